/* Unit tests for the DNS hint cache: CNAME chains, TTL clamp, LRU, TCP. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <arpa/inet.h>
#include <sys/socket.h>
#include <cmocka.h>
#include <stdlib.h>

#include "dnscache.h"
#include "dnsbuild.h"
#include "rss.h"

static const char *look4(struct dnscache *c, const char *ip, uint64_t now)
{
	uint8_t a[4];

	assert_int_equal(inet_pton(AF_INET, ip, a), 1);
	return dnscache_lookup(c, AF_INET, a, now);
}

/* Response to @q: A records for 10.0.0.<first>..<first+n-1> owned by @q. */
static void answer(struct dnsb *b, const char *q, uint32_t ttl, int first,
		   int n)
{
	int i;

	dnsb_header(b, 9, 1, 0, 1, (uint16_t)n);
	dnsb_question(b, q, 1);
	for (i = 0; i < n; i++)
		dnsb_a(b, q, ttl, 10, 0, 0, (uint8_t)(first + i));
}

static void test_new_args(void **state)
{
	(void)state;
	assert_null(dnscache_new(0, 1, 2));
	assert_null(dnscache_new(4, 10, 5));
	dnscache_free(NULL);
}

static void test_cname_chain(void **state)
{
	struct dnscache *c = dnscache_new(64, 60, 3600);
	struct dnscache_stats st;
	uint8_t v6[16] = { 0x2a, 0x03, 0x28, 0x80, [15] = 0x33 };
	struct dnsb b;
	(void)state;

	dnsb_header(&b, 1, 1, 0, 1, 5);
	dnsb_question(&b, "Chat.WhatsApp.NET", 1);
	dnsb_cname(&b, "chat.whatsapp.net", 300, "dyn.whatsapp.net");
	dnsb_cname(&b, "dyn.whatsapp.net", 300, "edge.fbcdn.example");
	dnsb_a(&b, "edge.fbcdn.example", 120, 157, 240, 1, 53);
	dnsb_name(&b, "edge.fbcdn.example");
	dnsb_rr(&b, 28, 120, 16);
	dnsb_bytes(&b, v6, 16);
	/* an unrelated record in the same answer must not be attributed */
	dnsb_a(&b, "other.example", 120, 192, 0, 2, 1);
	assert_int_equal(dnscache_learn(c, b.buf, b.len, 1000), 2);
	assert_string_equal(look4(c, "157.240.1.53", 1001), "chat.whatsapp.net");
	assert_string_equal(dnscache_lookup(c, AF_INET6, v6, 1001), "chat.whatsapp.net");
	assert_string_equal(dnscache_lookup(c, 6, v6, 1001), "chat.whatsapp.net");
	assert_null(look4(c, "192.0.2.1", 1001));
	dnscache_get_stats(c, &st);
	assert_int_equal(st.entries, 2);
	assert_int_equal(st.inserts, 2);
	assert_int_equal(st.hits, 3);
	assert_int_equal(st.misses, 1);
	dnscache_free(c);
}

static void test_ignored_messages(void **state)
{
	struct dnscache *c = dnscache_new(8, 1, 10);
	struct dnscache_stats st;
	struct dnsb b;
	(void)state;

	answer(&b, "a.example", 60, 1, 1);
	b.buf[2] &= 0x7f;			/* a query, not a response */
	assert_int_equal(dnscache_learn(c, b.buf, b.len, 0), 0);
	answer(&b, "a.example", 60, 1, 1);
	b.buf[3] |= 3;				/* NXDOMAIN */
	assert_int_equal(dnscache_learn(c, b.buf, b.len, 0), 0);
	assert_int_equal(dnscache_learn(c, b.buf, 5, 0), -1);
	dnscache_get_stats(c, &st);
	assert_int_equal(st.entries, 0);
	assert_int_equal(st.parse_errors, 1);
	assert_null(look4(c, "10.0.0.1", 0));
	dnscache_free(c);
}

static void test_ttl_clamp(void **state)
{
	struct dnscache *c = dnscache_new(8, 60, 600);
	struct dnscache_stats st;
	struct dnsb b;
	(void)state;

	answer(&b, "short.example", 5, 1, 1);	/* 5 s raised to 60 */
	dnscache_learn(c, b.buf, b.len, 100);
	answer(&b, "long.example", 999999, 2, 1);	/* lowered to 600 */
	dnscache_learn(c, b.buf, b.len, 100);
	assert_non_null(look4(c, "10.0.0.1", 159));
	assert_null(look4(c, "10.0.0.1", 160));
	assert_non_null(look4(c, "10.0.0.2", 699));
	assert_null(look4(c, "10.0.0.2", 700));
	dnscache_get_stats(c, &st);
	assert_int_equal(st.expired, 2);
	assert_int_equal(st.entries, 0);
	dnscache_free(c);
}

static void test_lru_capacity(void **state)
{
	struct dnscache *c = dnscache_new(4, 60, 600);
	struct dnscache_stats st;
	struct dnsb b;
	(void)state;

	answer(&b, "four.example", 300, 1, 4);
	assert_int_equal(dnscache_learn(c, b.buf, b.len, 0), 4);
	/* touch .1 so .2 is now the least recently used */
	assert_non_null(look4(c, "10.0.0.1", 1));
	answer(&b, "five.example", 300, 5, 1);
	dnscache_learn(c, b.buf, b.len, 2);
	assert_null(look4(c, "10.0.0.2", 3));
	assert_string_equal(look4(c, "10.0.0.1", 3), "four.example");
	assert_string_equal(look4(c, "10.0.0.5", 3), "five.example");
	/* an address seen again is updated in place, not duplicated */
	answer(&b, "renamed.example", 300, 3, 1);
	dnscache_learn(c, b.buf, b.len, 4);
	assert_string_equal(look4(c, "10.0.0.3", 5), "renamed.example");
	dnscache_get_stats(c, &st);
	assert_int_equal(st.entries, 4);
	assert_int_equal(st.evictions, 1);
	assert_int_equal(st.updates, 1);
	assert_int_equal(st.inserts, 5);
	dnscache_free(c);
}

/* Many more addresses than slots: the table stays consistent. */
static void test_churn(void **state)
{
	struct dnscache *c = dnscache_new(16, 1, 5);
	struct dnscache_stats st;
	struct dnsb b;
	int round, live = 0, i;
	(void)state;

	for (round = 0; round < 200; round++) {
		answer(&b, "churn.example", (uint32_t)(round % 7), round % 250, 3);
		dnscache_learn(c, b.buf, b.len, (uint64_t)round);
	}
	for (i = 0; i < 256; i++) {
		char ip[16];

		snprintf(ip, sizeof(ip), "10.0.0.%d", i);
		if (look4(c, ip, 199))
			live++;
	}
	dnscache_get_stats(c, &st);
	assert_true(live > 0 && live <= 16);
	assert_int_equal(st.entries, (uint64_t)live);
	dnscache_free(c);
}

static void test_tcp_framing(void **state)
{
	struct dnscache *c = dnscache_new(8, 60, 600);
	uint8_t seg[2048];
	struct dnsb b;
	size_t n = 0;
	(void)state;

	answer(&b, "tcp-one.example", 300, 1, 1);
	seg[n++] = (uint8_t)(b.len >> 8), seg[n++] = (uint8_t)b.len;
	memcpy(seg + n, b.buf, b.len), n += b.len;
	answer(&b, "tcp-two.example", 300, 2, 1);
	seg[n++] = (uint8_t)(b.len >> 8), seg[n++] = (uint8_t)b.len;
	memcpy(seg + n, b.buf, b.len), n += b.len;
	assert_int_equal(dnscache_learn(c, seg, n, 0), 2);
	assert_string_equal(look4(c, "10.0.0.1", 1), "tcp-one.example");
	assert_string_equal(look4(c, "10.0.0.2", 1), "tcp-two.example");
	/* a UDP message is still read as UDP */
	answer(&b, "udp.example", 300, 3, 1);
	assert_int_equal(dnscache_learn(c, b.buf, b.len, 0), 1);
	dnscache_free(c);
}

/* Entries come from the free list first, then from the never-used part of
 * the pool, and only then is the LRU entry evicted. */
static void test_free_then_fresh(void **state)
{
	struct dnscache *c = dnscache_new(4, 10, 600);
	struct dnscache_stats st;
	struct dnsb b;
	(void)state;

	answer(&b, "short.example", 10, 1, 2);		/* .1 .2 until 10 */
	assert_int_equal(dnscache_learn(c, b.buf, b.len, 0), 2);
	assert_null(look4(c, "10.0.0.1", 20));		/* expired: freed */
	answer(&b, "more.example", 300, 3, 3);		/* .3 .4 .5 */
	assert_int_equal(dnscache_learn(c, b.buf, b.len, 21), 3);
	dnscache_get_stats(c, &st);
	assert_int_equal(st.entries, 4);
	assert_int_equal(st.evictions, 0);
	assert_string_equal(look4(c, "10.0.0.2", 5), "short.example");
	answer(&b, "last.example", 300, 6, 1);		/* full: evicts .3 */
	dnscache_learn(c, b.buf, b.len, 22);
	dnscache_get_stats(c, &st);
	assert_int_equal(st.entries, 4);
	assert_int_equal(st.evictions, 1);
	assert_null(look4(c, "10.0.0.3", 23));
	assert_string_equal(look4(c, "10.0.0.6", 23), "last.example");
	dnscache_free(c);
}

/* A cache nobody fed costs next to nothing resident: 1,048,576 entries
 * are ~300 MiB of pool and 4 MiB of buckets, of which only what is used
 * may be touched. */
static void test_lazy_pool(void **state)
{
	long before = rss_kib();
	struct dnscache *c = dnscache_new(1u << 20, 10, 600);
	struct dnsb b;
	(void)state;

	assert_non_null(c);
	if (before < 0)
		skip();
	answer(&b, "one.example", 300, 1, 1);
	assert_int_equal(dnscache_learn(c, b.buf, b.len, 0), 1);
	assert_true(rss_kib() - before < 4096);
	dnscache_free(c);
}

/* Answers another worker posted are learnt at the owner's next drain; a
 * full inbox drops (counted), and a drain without a cache empties it. */
static void test_inbox(void **state)
{
	struct dnscache *c = dnscache_new(64, 60, 600);
	struct dnscache_inbox *in = calloc(1, sizeof(*in));
	struct dnsb b;
	int i;

	(void)state;
	assert_non_null(in);
	dnscache_inbox_init(in);
	answer(&b, "posted.example", 300, 1, 1);
	dnscache_inbox_post(in, b.buf, b.len);
	assert_null(look4(c, "10.0.0.1", 1000));	/* not before the drain */
	dnscache_inbox_drain(in, c, 1000);
	assert_string_equal(look4(c, "10.0.0.1", 1001), "posted.example");
	assert_int_equal(in->count, 0);
	for (i = 0; i < DNSCACHE_INBOX_SLOTS + 3; i++)
		dnscache_inbox_post(in, b.buf, b.len);
	assert_int_equal(in->count, DNSCACHE_INBOX_SLOTS);
	assert_int_equal(in->dropped, 3);
	dnscache_inbox_drain(in, NULL, 1002);
	assert_int_equal(in->count, 0);
	dnscache_inbox_destroy(in);
	free(in);
	dnscache_free(c);
}

static const char *sole4(const struct dnscache *c, const char *ip, uint64_t now)
{
	uint8_t a[4];

	assert_int_equal(inet_pton(AF_INET, ip, a), 1);
	return dnscache_sole_name(c, 4, a, now);
}

struct seen {
	int calls, family;
	uint8_t addr[16];
	char name[64];
};

static void observe(void *ctx, int family, const uint8_t *addr, const char *name)
{
	struct seen *s = ctx;

	s->calls++;
	s->family = family;
	memcpy(s->addr, addr, family == AF_INET ? 4 : 16);
	snprintf(s->name, sizeof(s->name), "%s", name);
}

/* Whether an address was ever learned under a second name while its entry
 * lived (the block set's test), and the observer of every address learned,
 * directly or through the inbox. */
static void test_sole_name(void **state)
{
	struct dnscache *c = dnscache_new(64, 60, 600);
	struct dnscache_inbox *in = calloc(1, sizeof(*in));
	struct dnscache_stats st;
	struct seen seen = { 0 };
	struct dnsb b;

	(void)state;
	assert_non_null(in);
	dnscache_set_observer(c, observe, &seen);
	answer(&b, "a.example", 60, 1, 2);	/* 10.0.0.1, 10.0.0.2 */
	assert_int_equal(dnscache_learn(c, b.buf, b.len, 100), 2);
	assert_int_equal(seen.calls, 2);
	assert_int_equal(seen.family, AF_INET);
	assert_int_equal(seen.addr[3], 2);
	assert_string_equal(seen.name, "a.example");
	assert_string_equal(sole4(c, "10.0.0.1", 101), "a.example");
	answer(&b, "A.Example", 60, 1, 1);	/* the same name again */
	dnscache_learn(c, b.buf, b.len, 110);
	assert_string_equal(sole4(c, "10.0.0.1", 111), "a.example");
	answer(&b, "b.example", 60, 2, 1);	/* a second name for 10.0.0.2 */
	dnscache_learn(c, b.buf, b.len, 120);
	assert_null(sole4(c, "10.0.0.2", 121));
	assert_string_equal(look4(c, "10.0.0.2", 121), "b.example");	/* the hint still names */
	answer(&b, "a.example", 60, 2, 1);	/* back to the first: still two names seen */
	dnscache_learn(c, b.buf, b.len, 130);
	assert_null(sole4(c, "10.0.0.2", 131));
	assert_null(sole4(c, "10.0.0.3", 131));	/* never learned */
	assert_null(sole4(c, "10.0.0.1", 170));	/* expired */
	assert_null(sole4(c, "10.0.0.2", 190));
	assert_null(look4(c, "10.0.0.2", 190));	/* gone: the entry starts afresh */
	dnscache_inbox_init(in);
	answer(&b, "c.example", 60, 2, 1);
	dnscache_inbox_post(in, b.buf, b.len);
	dnscache_inbox_drain(in, c, 200);
	assert_string_equal(seen.name, "c.example");
	assert_int_equal(seen.calls, 6);
	assert_string_equal(sole4(c, "10.0.0.2", 201), "c.example");
	dnscache_get_stats(c, &st);
	assert_int_equal(st.hits, 1);	/* the sole-name tests are not lookups */
	dnscache_inbox_destroy(in);
	free(in);
	dnscache_free(c);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_new_args),
		cmocka_unit_test(test_cname_chain),
		cmocka_unit_test(test_ignored_messages),
		cmocka_unit_test(test_ttl_clamp),
		cmocka_unit_test(test_lru_capacity),
		cmocka_unit_test(test_churn),
		cmocka_unit_test(test_tcp_framing),
		cmocka_unit_test(test_inbox),
		cmocka_unit_test(test_sole_name),
		cmocka_unit_test(test_free_then_fresh),
		cmocka_unit_test(test_lazy_pool),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
