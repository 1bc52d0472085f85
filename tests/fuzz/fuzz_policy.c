/*
 * libFuzzer target for policy_load_buf(): any input is either rejected
 * with at least one error or accepted as a policy that can be matched,
 * described and freed without crashes, leaks or undefined behaviour.
 */
#include <stdint.h>
#include <sys/socket.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "policy.h"

static int fuzz_app(void *ctx, const char *tag)
{
	(void)ctx;
	return !strcmp(tag, "whatsapp") ? 1 : !strcmp(tag, "youtube") ? 2 : -1;
}

static int fuzz_category(void *ctx, const char *tag)
{
	(void)ctx;
	return !strcmp(tag, "chat") ? 0 : -1;
}

static int fuzz_proto(void *ctx, const char *name)
{
	(void)ctx;
	return !strcasecmp(name, "TLS") ? 91 :
	       !strcasecmp(name, "BitTorrent") ? 37 : -1;
}

static const struct policy_names fuzz_names = {
	fuzz_app, fuzz_category, fuzz_proto, NULL,
};

/* A daily limit's budget: spent or not, from the key and the device */
static bool fuzz_spent(void *ctx, uint64_t key, const uint8_t mac[6],
		       time_t now)
{
	(void)ctx;
	return ((key >> 7) ^ mac[5] ^ (uint64_t)now) & 1;
}

/* Matches a few inputs derived from the data itself. */
static void fuzz_match(const struct policy *p, const uint8_t *data,
		       size_t size)
{
	struct policy_input in;
	const struct policy_rule *logged[2];
	uint64_t keys[4];
	char buf[512];
	size_t n;
	int idx;

	policy_input_init(&in);
	in.has_mac = size >= 6;
	if (in.has_mac)
		memcpy(in.mac, data, 6);
	in.family = size & 1 ? AF_INET6 : AF_INET;
	memcpy(in.addr, data, size < 16 ? size : 16);
	in.ifname = "br-lan";
	in.app_id = size % 3 ? 1 : -1;
	in.proto_master_id = 91;
	for (time_t t = 0; t < 4; t++) {
		time_t now = t * 97531 + (time_t)size * 86400;

		/* limit rules: never spent (no accounting), then spent
		 * or not as fuzz_spent says */
		in.limit_spent = t & 2 ? fuzz_spent : NULL;
		policy_match_ex(p, &in, now, t & 1, &idx, logged, 2, &n);
		n = policy_limits(p, &in, now, idx, keys, 4);
		for (size_t i = 0; i < n; i++)
			if (!policy_rule_find_limit(p, keys[i]))
				abort();	/* a counted limit is a rule's */
	}
	for (size_t i = 0; i < p->n_rules; i++)
		sched_describe(&p->rules[i].sched, buf, sizeof(buf));
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct policy_errors errs;
	struct policy *p;

	p = policy_load_buf("fuzz", (const char *)data, size, &fuzz_names,
			    &errs);
	if (!p) {
		if (!errs.count)
			abort();	/* a refusal must say why */
		return 0;
	}
	if (errs.count)
		abort();
	fuzz_match(p, data, size);
	policy_free(p);
	return 0;
}
