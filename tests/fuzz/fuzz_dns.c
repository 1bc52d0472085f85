/*
 * libFuzzer target for the DNS parser and the hint cache that feeds on it:
 * any bytes must parse or be refused without reading out of bounds, and
 * whatever the cache learns must be consistent when looked up.
 */
#include <stdint.h>
#include <stddef.h>
#include <string.h>
#include <sys/socket.h>

#include "dns.h"
#include "dnscache.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void fuzz_check_text(const char *s)
{
	size_t i, n = strlen(s);

	/* names must stay printable ASCII and inside their buffer */
	if (n >= DNS_NAME_TEXT_MAX)
		__builtin_trap();
	for (i = 0; i < n; i++)
		if ((unsigned char)s[i] < 0x21 || (unsigned char)s[i] > 0x7e)
			__builtin_trap();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct dnscache *cache;
	static struct dns_msg msg;
	unsigned int i;

	if (!cache)
		cache = dnscache_new(64, 1, 100);
	if (dns_parse(data, size, &msg) == 0) {
		fuzz_check_text(msg.qname);
		if (msg.n_answers > DNS_ANSWERS_MAX ||
		    msg.n_answers > msg.answers_seen ||
		    msg.answers_seen > msg.ancount)
			__builtin_trap();
		for (i = 0; i < msg.n_answers; i++) {
			fuzz_check_text(msg.answers[i].name);
			fuzz_check_text(msg.answers[i].data);
		}
	}
	/* the cache keeps state across inputs: LRU and buckets get exercised */
	dnscache_learn(cache, data, size, size);
	for (i = 0; i < msg.n_answers; i++) {
		const struct dns_answer *a = &msg.answers[i];
		const char *name;

		if (a->type != DNS_TYPE_A && a->type != DNS_TYPE_AAAA)
			continue;
		name = dnscache_lookup(cache, a->type == DNS_TYPE_A ? AF_INET : AF_INET6,
				       a->addr, size);
		if (name)
			fuzz_check_text(name);
	}
	return 0;
}
