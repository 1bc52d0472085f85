/* Usage accounting: memory per device x application entry (measured as
 * the resident memory a filled table takes), per counted connection and
 * per limit budget; the cost of one reading against the cost of parsing
 * the ctnetlink message it comes from; and the state file against the
 * same data as JSON written and parsed by yajl (size, write, read).
 *
 *   make tests/bench/usage_bench && tests/bench/usage_bench [DEVICES] [APPS]
 */
#define _GNU_SOURCE
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <arpa/inet.h>
#include <endian.h>
#include <libmnl/libmnl.h>
#include <linux/netfilter/nfnetlink.h>
#include <linux/netfilter/nfnetlink_conntrack.h>
#include <yajl/yajl_gen.h>
#include <yajl/yajl_tree.h>

#include "util.h"
#include "conntab.h"
#include "ulimits.h"
#include "usagedb_int.h"
#include "ustate.h"

#define NOW 1781094600	/* 2026-06-10 12:30 UTC */

static long rss_kb(void)
{
	long pages = 0, res = 0;
	FILE *f = fopen("/proc/self/statm", "r");

	if (f) {
		if (fscanf(f, "%ld %ld", &pages, &res) != 2)
			res = 0;
		fclose(f);
	}
	return res * (sysconf(_SC_PAGESIZE) / 1024);
}

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

static uint32_t rnd(void)
{
	static uint64_t s = 88172645463325252ull;

	s ^= s << 13;
	s ^= s >> 7;
	s ^= s << 17;
	return (uint32_t)s;
}

/* A home's pattern: each app used on half of the 62 days, a few times a
 * day, and in a few of the last 48 hours. */
static void fill(struct usagedb *db, int devices, int apps)
{
	struct usage_sample s;

	memset(&s, 0, sizeof(s));
	for (int d = 0; d < devices; d++)
		for (int a = 0; a < apps; a++) {
			s.mac[0] = 2;
			s.mac[4] = (uint8_t)(d >> 8);
			s.mac[5] = (uint8_t)d;
			s.app = 1000 + a;
			s.category = a % 12;
			for (int day = 61; day >= 0; day--) {
				if (rnd() % 2 && day > 1)
					continue;
				for (int k = 0; k < 3; k++) {
					s.minute = (uint32_t)((NOW - day * 86400 - (time_t)(rnd() % 86400)) / 60);
					if (day <= 1)
						s.minute = (uint32_t)(NOW / 60) - rnd() % 2880;
					s.bytes_in = 1000 + rnd() % 5000000;
					s.bytes_out = rnd() % 100000;
					s.conns = 1;
					usagedb_add(db, &s);
				}
			}
		}
}

static void memory(int devices, int apps)
{
	struct usagedb_opts o = { .max_entries = (uint32_t)(devices * (apps + 13)), .seed = 1 };
	long before = rss_kb(), after;
	struct usagedb_stats st;
	struct usagedb *db = usagedb_new(&o);
	struct conntab *ct;
	struct ulimits *l;
	struct ulimits_opts lo = { .max_scopes = 4096 };

	fill(db, devices, apps);
	after = rss_kb();
	usagedb_stats(db, &st);
	printf("usage table: %u entries (%d devices x %d apps + categories + all) in %ld KiB resident: "
	       "%.0f bytes per entry (struct %zu, hash %zu)\n",
	       st.entries, devices, apps, after - before, (after - before) * 1024.0 / st.entries,
	       usagedb_entry_size(), sizeof(uint32_t) * 2);
	usagedb_free(db);
	before = rss_kb();
	ct = conntab_new(65536, 1);
	for (uint32_t i = 0; i < 65536; i++) {
		struct usage_flow f;

		memset(&f, 0, sizeof(f));
		f.tuple.family = 4;
		f.tuple.proto = 6;
		memcpy(f.tuple.src, &i, 4);
		f.tuple.sport = (uint16_t)i;
		f.flow_id = i;
		conntab_note(ct, &f, 1);
	}
	after = rss_kb();
	printf("connection map: 65536 connections in %ld KiB resident: %.0f bytes per connection (struct %zu)\n",
	       after - before, (after - before) * 1024.0 / 65536, conntab_entry_size());
	conntab_free(ct);
	before = rss_kb();
	l = ulimits_new(&lo);
	{
		struct ulimit_def d = { .name = "x", .time_min = 600, .per_device = true };
		uint8_t mac[6] = { 2 };

		ulimits_configure(l, &d, 1, NOW);
		for (int i = 0; i < 4096; i++) {
			mac[4] = (uint8_t)(i >> 8);
			mac[5] = (uint8_t)i;
			ulimits_account(l, ulimit_key("x"), mac, NOW / 60, 1, NOW);
		}
	}
	after = rss_kb();
	printf("limit budgets: 4096 in %ld KiB resident: %.0f bytes per budget\n", after - before,
	       (after - before) * 1024.0 / 4096);
	ulimits_free(l);
}

/* ---- cost of a reading ---------------------------------------------- */

static size_t conn_msg(char *buf)
{
	struct nlmsghdr *nlh = mnl_nlmsg_put_header(buf);
	struct nfgenmsg *nfg;
	struct nlattr *t, *ip, *p, *c;
	uint8_t a[4] = { 10, 0, 1, 2 }, b[4] = { 10, 0, 2, 2 };

	nlh->nlmsg_type = (NFNL_SUBSYS_CTNETLINK << 8) | IPCTNL_MSG_CT_NEW;
	nfg = mnl_nlmsg_put_extra_header(nlh, sizeof(*nfg));
	nfg->nfgen_family = AF_INET;
	for (int dir = 0; dir < 2; dir++) {
		t = mnl_attr_nest_start(nlh, dir ? CTA_TUPLE_REPLY : CTA_TUPLE_ORIG);
		ip = mnl_attr_nest_start(nlh, CTA_TUPLE_IP);
		mnl_attr_put(nlh, CTA_IP_V4_SRC, 4, dir ? b : a);
		mnl_attr_put(nlh, CTA_IP_V4_DST, 4, dir ? a : b);
		mnl_attr_nest_end(nlh, ip);
		p = mnl_attr_nest_start(nlh, CTA_TUPLE_PROTO);
		mnl_attr_put_u8(nlh, CTA_PROTO_NUM, 6);
		mnl_attr_put_u16(nlh, CTA_PROTO_SRC_PORT, htons(dir ? 443 : 40000));
		mnl_attr_put_u16(nlh, CTA_PROTO_DST_PORT, htons(dir ? 40000 : 443));
		mnl_attr_nest_end(nlh, p);
		mnl_attr_nest_end(nlh, t);
		c = mnl_attr_nest_start(nlh, dir ? CTA_COUNTERS_REPLY : CTA_COUNTERS_ORIG);
		mnl_attr_put_u64(nlh, CTA_COUNTERS_PACKETS, htobe64(10));
		mnl_attr_put_u64(nlh, CTA_COUNTERS_BYTES, htobe64(10000));
		mnl_attr_nest_end(nlh, c);
	}
	mnl_attr_put_u32(nlh, CTA_ID, htonl(7));
	mnl_attr_put_u32(nlh, CTA_MARK, htonl(0x10000));
	mnl_attr_put_u32(nlh, CTA_STATUS, htonl(0x18e));
	return nlh->nlmsg_len;
}

static void reading_cost(void)
{
	char buf[1024];
	size_t len = conn_msg(buf);
	struct ctacct_rec r;
	struct conntab *ct = conntab_new(1024, 1);
	struct usagedb_opts o = { .max_entries = 4096, .seed = 1 };
	struct usagedb *db = usagedb_new(&o);
	struct usage_flow f;
	struct conn_delta d;
	struct usage_sample s;
	const int n = 2000000;
	double t0, parse, account;

	t0 = now_s();
	for (int i = 0; i < n; i++)
		ctacct_parse(buf, len, &r);
	parse = (now_s() - t0) / n;
	memset(&f, 0, sizeof(f));
	f.tuple = r.orig;
	f.flow_id = 1;
	f.app = 5;
	f.local_is_src = 1;
	conntab_note(ct, &f, NOW / 60);
	memset(&s, 0, sizeof(s));
	t0 = now_s();
	for (int i = 0; i < n; i++) {
		r.bytes[1] += 1000;
		conntab_reading(ct, &r, NOW / 60, &d);
		s.app = d.c->app;
		s.category = 3;
		s.bytes_in = d.bytes_in;
		s.minute = (uint32_t)(NOW / 60) + (uint32_t)(i / 50000);	/* minutes go by */
		usagedb_add(db, &s);
	}
	account = (now_s() - t0) / n;
	printf("one reading: parse %.0f ns (baseline), map + account %.0f ns: %.2fx the parse\n", parse * 1e9,
	       account * 1e9, account / parse);
	conntab_free(ct);
	usagedb_free(db);
}

/* ---- state file vs JSON --------------------------------------------- */

static void json_bucket(yajl_gen g, uint32_t key, const struct ubucket *b)
{
	struct usage_totals t;

	ubucket_get(b, &t);
	yajl_gen_array_open(g);
	yajl_gen_integer(g, key);
	yajl_gen_integer(g, (long long)t.bytes_in);
	yajl_gen_integer(g, (long long)t.bytes_out);
	yajl_gen_integer(g, (long long)t.conns);
	yajl_gen_integer(g, t.minutes);
	yajl_gen_array_close(g);
}

/* The same content as the binary file, in the JSON a hand-written format
 * would use: one object per entry, buckets as arrays, the minute bitmap
 * as hex. */
static void json_state(struct usagedb *db, yajl_gen g)
{
	static const char *const kinds[] = { "app", "category", "all" };
	char mac[18], hex[USAGE_MIN_RING / 4 + 1];

	yajl_gen_map_open(g);
	yajl_gen_string(g, (const unsigned char *)"version", 7);
	yajl_gen_integer(g, 1);
	yajl_gen_string(g, (const unsigned char *)"entries", 7);
	yajl_gen_array_open(g);
	for (uint32_t i = 0; i < db->high; i++) {
		const struct uentry *e = &db->e[i];

		if (!e->used)
			continue;
		yajl_gen_map_open(g);
		snprintf(mac, sizeof(mac), "%02x:%02x:%02x:%02x:%02x:%02x", e->key.mac[0], e->key.mac[1],
			 e->key.mac[2], e->key.mac[3], e->key.mac[4], e->key.mac[5]);
		yajl_gen_string(g, (const unsigned char *)"mac", 3);
		yajl_gen_string(g, (const unsigned char *)mac, 17);
		yajl_gen_string(g, (const unsigned char *)"kind", 4);
		yajl_gen_string(g, (const unsigned char *)kinds[e->key.kind], strlen(kinds[e->key.kind]));
		yajl_gen_string(g, (const unsigned char *)"id", 2);
		yajl_gen_integer(g, e->key.id);
		yajl_gen_string(g, (const unsigned char *)"minutes", 7);
		for (int w = 0; w < USAGE_MIN_RING / 64; w++)
			snprintf(hex + w * 16, 17, "%016llx", (unsigned long long)e->mins[w]);
		yajl_gen_string(g, (const unsigned char *)hex, strlen(hex));
		yajl_gen_string(g, (const unsigned char *)"hours", 5);
		yajl_gen_array_open(g);
		for (uint32_t k = 0; k < USAGE_HOURS; k++)
			if (!ubucket_empty(&e->hours[(e->last_hour - k) % USAGE_HOURS]))
				json_bucket(g, e->last_hour - k, &e->hours[(e->last_hour - k) % USAGE_HOURS]);
		yajl_gen_array_close(g);
		yajl_gen_string(g, (const unsigned char *)"days", 4);
		yajl_gen_array_open(g);
		for (int k = 0; k < USAGE_DAYS; k++) {
			int32_t day = e->last_day - k;
			const struct ubucket *b = &e->days[((day % USAGE_DAYS) + USAGE_DAYS) % USAGE_DAYS];

			if (!ubucket_empty(b))
				json_bucket(g, (uint32_t)day, b);
		}
		yajl_gen_array_close(g);
		yajl_gen_map_close(g);
	}
	yajl_gen_array_close(g);
	yajl_gen_map_close(g);
}

static void state_file(int devices, int apps)
{
	struct usagedb_opts o = { .max_entries = (uint32_t)(devices * (apps + 13)), .seed = 1 };
	struct usagedb *db = usagedb_new(&o), *db2;
	struct ustate_src src = { db, NULL, NULL }, src2;
	struct ustate_info info;
	char dir[] = "/tmp/usage-bench.XXXXXX", cmd[64];
	const unsigned char *json;
	size_t jlen;
	double t0, bin_w, bin_r, js_w, js_r;
	yajl_gen g;
	yajl_val tree;
	char err[128];

	fill(db, devices, apps);
	if (!mkdtemp(dir))
		return;
	t0 = now_s();
	ustate_save(dir, "usage.state", &src, NOW, false, &info);
	bin_w = now_s() - t0;
	db2 = usagedb_new(&o);
	src2 = (struct ustate_src){ db2, NULL, NULL };
	t0 = now_s();
	ustate_load(dir, "usage.state", &src2, NOW, NULL);
	bin_r = now_s() - t0;
	g = yajl_gen_alloc(NULL);
	t0 = now_s();
	json_state(db, g);
	yajl_gen_get_buf(g, &json, &jlen);
	js_w = now_s() - t0;
	{
		char *copy = malloc(jlen + 1);

		memcpy(copy, json, jlen);
		copy[jlen] = 0;
		t0 = now_s();
		tree = yajl_tree_parse(copy, err, sizeof(err));
		js_r = now_s() - t0;
		yajl_tree_free(tree);
		free(copy);
	}
	printf("state file: %u entries, %u buckets: binary %zu bytes (write+fsync %.1f ms, check+load %.1f ms); "
	       "JSON by yajl %zu bytes (%.2fx; generate %.1f ms, parse to a tree alone %.1f ms: %.2fx the binary load)\n",
	       info.entries, info.buckets, info.bytes, bin_w * 1e3, bin_r * 1e3, jlen, (double)jlen / info.bytes,
	       js_w * 1e3, js_r * 1e3, js_r / bin_r);
	yajl_gen_free(g);
	usagedb_free(db);
	usagedb_free(db2);
	snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
	if (system(cmd))
		return;
}

int main(int argc, char **argv)
{
	int devices = argc > 1 ? atoi(argv[1]) : 50, apps = argc > 2 ? atoi(argv[2]) : 40;

	setenv("TZ", "UTC", 1);
	memory(devices, apps);
	reading_cost();
	state_file(devices, apps);
	return 0;
}
