/* Unit tests: flow table (keys, collisions, expiry, eviction, capacity). */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <string.h>
#include <netinet/in.h>
#include <cmocka.h>

#include "flow.h"
#include "rss.h"

static const struct flow_timeouts TO = { .tcp = 100, .tcp_closed = 5, .udp = 30, .other = 10 };

struct purged {
	unsigned n, why[__FLOW_PURGE_MAX];
	uint32_t last_id;
};

static void on_purge(void *user, struct flow *f, enum flow_purge why)
{
	struct purged *p = user;

	p->n++;
	p->why[why]++;
	p->last_id = f->id;
}

static void mkpkt(struct pkt *p, uint8_t proto, uint32_t src, uint16_t sport, uint32_t dst, uint16_t dport)
{
	memset(p, 0, sizeof(*p));
	p->family = 4;
	p->l4proto = proto;
	memcpy(p->src, &src, 4);
	memcpy(p->dst, &dst, 4);
	p->sport = sport;
	p->dport = dport;
}

static struct flow *get(struct flow_table *t, uint8_t proto, uint32_t a, uint16_t ap, uint32_t b,
			uint16_t bp, uint64_t now, bool *created, uint8_t *side)
{
	struct flow_key k;
	struct pkt p;
	struct flow *f;

	mkpkt(&p, proto, a, ap, b, bp);
	flow_key_from_pkt(&p, &k, side);
	f = flow_get(t, &k, now, created);
	if (f)
		flow_touch(t, f, now);
	return f;
}

static void both_directions_one_flow(void **state)
{
	struct purged pg = { 0 };
	struct flow_table *t = flow_table_new(16, 1, &TO, on_purge, &pg);
	struct flow *f1, *f2;
	bool created;
	uint8_t s1, s2;

	(void)state;
	f1 = get(t, IPPROTO_TCP, 0x0100000a, 4000, 0x0200000a, 443, 1000, &created, &s1);
	assert_true(created);
	f2 = get(t, IPPROTO_TCP, 0x0200000a, 443, 0x0100000a, 4000, 1001, &created, &s2);
	assert_false(created);
	assert_ptr_equal(f1, f2);
	assert_int_not_equal(s1, s2);
	/* Same endpoints, other protocol or VLAN: another flow. */
	f2 = get(t, IPPROTO_UDP, 0x0100000a, 4000, 0x0200000a, 443, 1002, &created, &s2);
	assert_true(created);
	assert_ptr_not_equal(f1, f2);
	assert_int_equal(flow_table_stats(t)->active, 2);
	flow_table_free(t);
}

static void many_flows_collide_and_stay_distinct(void **state)
{
	struct purged pg = { 0 };
	struct flow_table *t = flow_table_new(4096, 7, &TO, on_purge, &pg);
	struct flow *seen[4096];
	bool created;
	uint8_t side;
	unsigned i;

	(void)state;
	/* 4096 flows in 4096 buckets: chains are certain; every flow must be
	 * found again and be distinct. */
	for (i = 0; i < 4096; i++) {
		seen[i] = get(t, IPPROTO_UDP, 0x0100000a, (uint16_t)i, 0x0200000a, 53, 1000, &created, &side);
		assert_true(created);
	}
	for (i = 0; i < 4096; i++) {
		assert_ptr_equal(get(t, IPPROTO_UDP, 0x0200000a, 53, 0x0100000a, (uint16_t)i, 1001,
				     &created, &side), seen[i]);
		assert_false(created);
	}
	assert_int_equal(pg.n, 0);
	flow_table_free(t);
}

static void lru_eviction_when_full(void **state)
{
	struct purged pg = { 0 };
	struct flow_table *t = flow_table_new(4, 1, &TO, on_purge, &pg);
	struct flow *f;
	bool created;
	uint8_t side;
	uint32_t first_id;
	unsigned i;

	(void)state;
	for (i = 0; i < 4; i++)
		get(t, IPPROTO_TCP, 0x0100000a, (uint16_t)(1000 + i), 0x0200000a, 80, 1000 + i, &created, &side);
	f = get(t, IPPROTO_TCP, 0x0100000a, 1000, 0x0200000a, 80, 2000, &created, &side);
	first_id = f->id;	/* flow 0 used again: now the newest */
	get(t, IPPROTO_TCP, 0x0100000a, 5000, 0x0200000a, 80, 2001, &created, &side);
	assert_int_equal(pg.why[FLOW_PURGE_EVICTED], 1);
	assert_int_not_equal(pg.last_id, first_id);	/* flow 1, the oldest, went */
	assert_int_equal(flow_table_stats(t)->evictions, 1);
	assert_int_equal(flow_table_stats(t)->active, 4);
	f = get(t, IPPROTO_TCP, 0x0100000a, 1000, 0x0200000a, 80, 2002, &created, &side);
	assert_false(created);
	flow_table_free(t);
}

static void expiry_per_protocol(void **state)
{
	struct purged pg = { 0 };
	struct flow_table *t = flow_table_new(16, 1, &TO, on_purge, &pg);
	bool created;
	uint8_t side;

	(void)state;
	get(t, IPPROTO_TCP, 1, 1, 2, 2, 0, &created, &side);
	get(t, IPPROTO_UDP, 1, 1, 2, 2, 0, &created, &side);
	get(t, IPPROTO_ICMP, 1, 0, 2, 0, 0, &created, &side);
	assert_int_equal(flow_expire(t, 9999), 0);
	assert_int_equal(flow_expire(t, 10000), 1);	/* other: 10 s */
	assert_int_equal(flow_expire(t, 29999), 0);
	assert_int_equal(flow_expire(t, 30000), 1);	/* udp: 30 s */
	assert_int_equal(flow_expire(t, 99999), 0);
	assert_int_equal(flow_expire(t, 100000), 1);	/* tcp: 100 s */
	assert_int_equal(pg.why[FLOW_PURGE_IDLE], 3);
	assert_int_equal(flow_table_stats(t)->active, 0);
	flow_table_free(t);
}

static void tcp_fin_rst_short_timeout(void **state)
{
	struct purged pg = { 0 };
	struct flow_table *t = flow_table_new(16, 1, &TO, on_purge, &pg);
	struct flow *f, *g;
	bool created;
	uint8_t side;

	(void)state;
	f = get(t, IPPROTO_TCP, 1, 1, 2, 2, 0, &created, &side);
	g = get(t, IPPROTO_TCP, 1, 3, 2, 2, 0, &created, &side);
	f->fin_seen0 = 1;
	flow_touch(t, f, 0);
	assert_int_equal(flow_expire(t, 5000), 0);	/* one FIN: still open */
	f->fin_seen1 = 1;
	flow_touch(t, f, 0);
	g->rst_seen = 1;
	flow_touch(t, g, 0);
	assert_int_equal(flow_expire(t, 5000), 2);
	assert_int_equal(pg.why[FLOW_PURGE_CLOSED], 2);
	flow_table_free(t);
}

static void refresh_delays_expiry(void **state)
{
	struct purged pg = { 0 };
	struct flow_table *t = flow_table_new(16, 1, &TO, on_purge, &pg);
	bool created;
	uint8_t side;

	(void)state;
	get(t, IPPROTO_UDP, 1, 1, 2, 2, 0, &created, &side);
	get(t, IPPROTO_UDP, 2, 2, 1, 1, 20000, &created, &side);
	assert_int_equal(flow_expire(t, 30000), 0);
	assert_int_equal(flow_expire(t, 50000), 1);
	flow_table_free(t);
}

static void flush_and_capacity_limits(void **state)
{
	struct purged pg = { 0 };
	struct flow_table *t;
	bool created;
	uint8_t side;
	unsigned i;

	(void)state;
	assert_null(flow_table_new(0, 1, &TO, on_purge, &pg));
	t = flow_table_new(100, 1, &TO, on_purge, &pg);
	for (i = 0; i < 1000; i++)
		assert_non_null(get(t, IPPROTO_UDP, i, 1, 2, 2, i, &created, &side));
	assert_int_equal(flow_table_stats(t)->active, 100);
	assert_int_equal(flow_table_stats(t)->evictions, 900);
	flow_table_flush(t, FLOW_PURGE_SHUTDOWN);
	assert_int_equal(pg.why[FLOW_PURGE_SHUTDOWN], 100);
	assert_int_equal(flow_table_stats(t)->active, 0);
	flow_table_free(t);
}

/* A new table costs no RAM until flows arrive: neither its flows nor its
 * buckets (8 MiB of them here) are touched at creation. */
static void new_table_untouched(void **state)
{
	struct purged pg = { 0 };
	long before = rss_kib();
	struct flow_table *t = flow_table_new(1u << 21, 1, &TO, on_purge, &pg);
	bool created;
	uint8_t side;

	(void)state;
	assert_non_null(t);
	if (before >= 0)
		assert_true(rss_kib() - before < 4096);
	assert_non_null(get(t, IPPROTO_UDP, 1, 1, 2, 2, 1, &created, &side));
	assert_true(created);
	flow_table_free(t);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(both_directions_one_flow),
		cmocka_unit_test(many_flows_collide_and_stay_distinct),
		cmocka_unit_test(lru_eviction_when_full),
		cmocka_unit_test(expiry_per_protocol),
		cmocka_unit_test(tcp_fin_rst_short_timeout),
		cmocka_unit_test(refresh_delays_expiry),
		cmocka_unit_test(flush_and_capacity_limits),
		cmocka_unit_test(new_table_untouched),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
