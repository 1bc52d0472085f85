/* Connections being counted: deltas between readings, the destroy event,
 * direction (device opened it or not), DNAT found by the reply tuple, a
 * tuple reused before the old destroy event, the same flow decided again,
 * unregistered connections counted once, the cap, and the sweep of
 * connections whose destroy event was lost. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include <netinet/in.h>

#include "conntab.h"

static struct ct_tuple tup(uint8_t a, uint8_t b, uint16_t sport, uint16_t dport)
{
	struct ct_tuple t;

	memset(&t, 0, sizeof(t));
	t.family = 4;
	t.src[0] = 10, t.src[3] = a;
	t.dst[0] = 10, t.dst[3] = b;
	t.proto = IPPROTO_TCP;
	t.sport = sport;
	t.dport = dport;
	return t;
}

static struct usage_flow flow(struct ct_tuple t, uint64_t id, int32_t app, int local_src)
{
	struct usage_flow f;

	memset(&f, 0, sizeof(f));
	f.tuple = t;
	f.flow_id = id;
	f.mac[5] = 1;
	f.app = app;
	f.category = 5;
	f.local_is_src = (uint8_t)local_src;
	return f;
}

static struct ctacct_rec rec(uint8_t kind, struct ct_tuple orig, uint32_t id, uint64_t ob, uint64_t rb)
{
	struct ctacct_rec r;

	memset(&r, 0, sizeof(r));
	r.kind = kind;
	r.orig = orig;
	r.reply = orig;	/* no NAT: the reply tuple is the original reversed */
	memcpy(r.reply.src, orig.dst, 16);
	memcpy(r.reply.dst, orig.src, 16);
	r.reply.sport = orig.dport;
	r.reply.dport = orig.sport;
	r.has_reply = 1;
	r.has_counters = 1;
	r.id = id;
	r.bytes[0] = ob;
	r.bytes[1] = rb;
	return r;
}

static void test_deltas_and_destroy(void **state)
{
	struct conntab *tab = conntab_new(16, 1);
	struct ct_tuple t = tup(2, 9, 40000, 443);
	struct usage_flow f = flow(t, 1, 100, 1);
	struct conntab_stats st;
	struct conn_delta d;
	struct ctacct_rec r;

	(void)state;
	assert_int_equal(conntab_note(tab, &f, 10), CONNTAB_NEW);
	r = rec(CTACCT_DUMP, t, 7, 100, 1000);
	assert_int_equal(conntab_reading(tab, &r, 11, &d), 0);
	assert_int_equal(d.bytes_out, 100);
	assert_int_equal(d.bytes_in, 1000);
	assert_false(d.unmapped);
	assert_false(d.ended);
	assert_int_equal(d.c->app, 100);
	assert_int_equal(d.c->ct_id, 7);
	r = rec(CTACCT_DUMP, t, 7, 150, 3000);
	assert_int_equal(conntab_reading(tab, &r, 12, &d), 0);
	assert_int_equal(d.bytes_out, 50);
	assert_int_equal(d.bytes_in, 2000);
	r = rec(CTACCT_DESTROY, t, 7, 150, 3500);
	assert_int_equal(conntab_reading(tab, &r, 12, &d), 0);
	assert_int_equal(d.bytes_out, 0);
	assert_int_equal(d.bytes_in, 500);
	assert_true(d.ended);
	assert_int_equal(d.c->app, 100);
	conntab_stats(tab, &st);
	assert_int_equal(st.entries, 0);
	conntab_free(tab);
}

/* A connection from outside to the device: the original direction is in. */
static void test_inbound(void **state)
{
	struct conntab *tab = conntab_new(16, 1);
	struct ct_tuple t = tup(200, 2, 5555, 22);
	struct usage_flow f = flow(t, 1, 100, 0);
	struct conn_delta d;
	struct ctacct_rec r = rec(CTACCT_DUMP, t, 1, 300, 20);

	(void)state;
	conntab_note(tab, &f, 0);
	assert_int_equal(conntab_reading(tab, &r, 0, &d), 0);
	assert_int_equal(d.bytes_in, 300);
	assert_int_equal(d.bytes_out, 20);
	conntab_free(tab);
}

/* Port forwarding: the forward hook saw client -> 10.0.0.5 (after DNAT);
 * the kernel's original tuple is client -> public address, its reply tuple
 * 10.0.0.5 -> client. */
static void test_dnat_by_reply(void **state)
{
	struct conntab *tab = conntab_new(16, 1);
	struct ct_tuple seen = tup(200, 5, 6000, 8080);
	struct usage_flow f = flow(seen, 1, 100, 0);
	struct ctacct_rec r;
	struct conn_delta d;

	(void)state;
	conntab_note(tab, &f, 0);
	r = rec(CTACCT_DUMP, tup(200, 77, 6000, 80), 42, 10, 20);	/* original: to the public address */
	r.reply = tup(5, 200, 8080, 6000);
	assert_int_equal(conntab_reading(tab, &r, 0, &d), 0);
	assert_false(d.unmapped);
	assert_int_equal(d.c->ct_id, 42);
	assert_true(d.c->flags & CONN_BY_REPLY);
	assert_int_equal(d.bytes_in, 10);
	conntab_free(tab);
}

static void test_tuple_reuse(void **state)
{
	struct conntab *tab = conntab_new(16, 1);
	struct ct_tuple t = tup(2, 9, 40000, 53);
	struct usage_flow f1 = flow(t, 1, 100, 1), f2 = flow(t, 2, 200, 1);
	struct conntab_stats st;
	struct conn_delta d;
	struct ctacct_rec r;

	(void)state;
	conntab_note(tab, &f1, 0);
	r = rec(CTACCT_DUMP, t, 7, 10, 10);
	conntab_reading(tab, &r, 0, &d);
	/* the old connection ended in the kernel, a new one with the same
	 * tuple is decided before the old destroy event is read */
	assert_int_equal(conntab_note(tab, &f2, 1), CONNTAB_NEW);
	r = rec(CTACCT_DUMP, t, 8, 5, 5);
	assert_int_equal(conntab_reading(tab, &r, 1, &d), 0);
	assert_int_equal(d.c->app, 200);
	assert_int_equal(d.bytes_out, 5);
	r = rec(CTACCT_DESTROY, t, 7, 30, 10);
	assert_int_equal(conntab_reading(tab, &r, 1, &d), 0);
	assert_int_equal(d.c->app, 100);
	assert_int_equal(d.bytes_out, 20);
	conntab_stats(tab, &st);
	assert_int_equal(st.entries, 1);
	conntab_free(tab);
}

static void test_decided_again(void **state)
{
	struct conntab *tab = conntab_new(16, 1);
	struct ct_tuple t = tup(2, 9, 40000, 443);
	struct usage_flow f = flow(t, 1, -1, 1);
	struct conn_delta d;
	struct ctacct_rec r;

	(void)state;
	conntab_note(tab, &f, 0);
	r = rec(CTACCT_DUMP, t, 7, 10, 10);
	conntab_reading(tab, &r, 0, &d);
	assert_int_equal(d.c->app, -1);
	f.app = 300;
	f.blocked = 1;
	assert_int_equal(conntab_note(tab, &f, 1), CONNTAB_UPDATED);
	r = rec(CTACCT_DUMP, t, 7, 15, 10);
	conntab_reading(tab, &r, 1, &d);
	assert_int_equal(d.c->app, 300);
	assert_true(d.c->flags & CONN_BLOCKED);
	assert_int_equal(d.bytes_out, 5);
	conntab_free(tab);
}

static void test_unmapped(void **state)
{
	struct conntab *tab = conntab_new(16, 1);
	struct ct_tuple t = tup(2, 9, 40000, 443), u = tup(3, 9, 1, 2);
	struct usage_flow f = flow(t, 1, 100, 1);
	struct conntab_stats st;
	struct conn_delta d;
	struct ctacct_rec r;

	(void)state;
	r = rec(CTACCT_DUMP, t, 7, 100, 100);
	assert_int_equal(conntab_reading(tab, &r, 0, &d), 0);
	assert_true(d.unmapped);
	assert_int_equal(d.bytes_out, 100);
	/* read again: only what is new, not the whole again */
	r = rec(CTACCT_DUMP, t, 7, 120, 100);
	conntab_reading(tab, &r, 0, &d);
	assert_true(d.unmapped);
	assert_int_equal(d.bytes_out, 20);
	/* its registration arrives late: from now on it is the device's */
	assert_int_equal(conntab_note(tab, &f, 0), CONNTAB_NEW);
	r = rec(CTACCT_DUMP, t, 7, 130, 100);
	conntab_reading(tab, &r, 0, &d);
	assert_false(d.unmapped);
	assert_int_equal(d.c->app, 100);
	assert_int_equal(d.bytes_out, 10);
	/* ended without ever being read or registered: its whole life, once */
	r = rec(CTACCT_DESTROY, u, 9, 1000, 2000);
	assert_int_equal(conntab_reading(tab, &r, 0, &d), 0);
	assert_true(d.unmapped && d.ended);
	assert_int_equal(d.bytes_out, 1000);
	assert_int_equal(d.bytes_in, 2000);
	conntab_stats(tab, &st);
	assert_int_equal(st.unmapped, 2);
	assert_int_equal(st.entries, 1);
	/* no counters (accounting was off when it began): no delta */
	r = rec(CTACCT_DUMP, t, 7, 0, 0);
	r.has_counters = 0;
	assert_int_equal(conntab_reading(tab, &r, 0, &d), -1);
	assert_int_equal(d.bytes_in + d.bytes_out, 0);
	conntab_free(tab);
}

static void test_full(void **state)
{
	struct conntab *tab = conntab_new(2, 1);
	struct usage_flow f;
	struct conntab_stats st;
	struct conn_delta d;
	struct ctacct_rec r;

	(void)state;
	f = flow(tup(2, 9, 1, 1), 1, 1, 1);
	assert_int_equal(conntab_note(tab, &f, 0), CONNTAB_NEW);
	f = flow(tup(2, 9, 2, 2), 2, 1, 1);
	assert_int_equal(conntab_note(tab, &f, 0), CONNTAB_NEW);
	f = flow(tup(2, 9, 3, 3), 3, 1, 1);
	assert_int_equal(conntab_note(tab, &f, 0), CONNTAB_FULL);
	r = rec(CTACCT_DUMP, tup(2, 9, 4, 4), 4, 1, 1);
	assert_int_equal(conntab_reading(tab, &r, 0, &d), -1);
	conntab_stats(tab, &st);
	assert_int_equal(st.full, 1);
	assert_int_equal(st.untracked, 1);
	/* a destroy frees room */
	r = rec(CTACCT_DESTROY, tup(2, 9, 1, 1), 1, 1, 1);
	conntab_reading(tab, &r, 0, &d);
	f = flow(tup(2, 9, 3, 3), 3, 1, 1);
	assert_int_equal(conntab_note(tab, &f, 0), CONNTAB_NEW);
	conntab_free(tab);
}

static void test_sweep(void **state)
{
	struct conntab *tab = conntab_new(16, 1);
	struct ct_tuple a = tup(2, 9, 1, 1), b = tup(2, 9, 2, 2), c = tup(2, 9, 3, 3), dd = tup(2, 9, 4, 4);
	struct usage_flow f;
	struct ct_tuple out[8];
	uint8_t dir[8];
	struct conntab_stats st;
	struct conn_delta d;
	struct ctacct_rec r;
	size_t n;

	(void)state;
	f = flow(a, 1, 1, 1);
	conntab_note(tab, &f, 100);
	f = flow(b, 2, 1, 1);
	conntab_note(tab, &f, 100);
	f = flow(c, 3, 1, 1);
	conntab_note(tab, &f, 100);	/* registered, never read */
	r = rec(CTACCT_DUMP, a, 1, 1, 1);
	conntab_reading(tab, &r, 100, &d);
	r = rec(CTACCT_DUMP, b, 2, 1, 1);
	conntab_reading(tab, &r, 100, &d);
	f = flow(dd, 4, 1, 1);
	conntab_note(tab, &f, 105);	/* fresh: may still be in the queue */
	/* a complete dump at minute 105 sees a only */
	conntab_round(tab);
	r = rec(CTACCT_DUMP, a, 1, 2, 2);
	conntab_reading(tab, &r, 105, &d);
	n = conntab_missing(tab, 105, 2, out, dir, 8);
	assert_int_equal(n, 3);	/* b by its tuple, c by both directions */
	/* a failed check removes nothing */
	assert_int_equal(conntab_sweep(tab, 105, 2, false), 0);
	n = conntab_missing(tab, 105, 2, out, dir, 8);
	assert_int_equal(n, 3);
	/* the check finds c (read for the first time), not b */
	r = rec(CTACCT_GET, c, 3, 5, 5);
	conntab_reading(tab, &r, 105, &d);
	assert_int_equal(conntab_sweep(tab, 105, 2, true), 1);
	conntab_stats(tab, &st);
	assert_int_equal(st.entries, 3);
	assert_int_equal(st.lost, 1);
	/* b's destroy event, late: counted unmapped, whole */
	r = rec(CTACCT_DESTROY, b, 2, 3, 3);
	conntab_reading(tab, &r, 105, &d);
	assert_true(d.unmapped);
	/* room for only part: the rest is checked next time, nothing removed unchecked */
	conntab_round(tab);
	n = conntab_missing(tab, 200, 2, out, dir, 1);
	assert_int_equal(n, 1);
	assert_int_equal(conntab_sweep(tab, 200, 2, true), 1);
	conntab_stats(tab, &st);
	assert_int_equal(st.entries, 2);
	conntab_free(tab);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_deltas_and_destroy),
		cmocka_unit_test(test_inbound),
		cmocka_unit_test(test_dnat_by_reply),
		cmocka_unit_test(test_tuple_reuse),
		cmocka_unit_test(test_decided_again),
		cmocka_unit_test(test_unmapped),
		cmocka_unit_test(test_full),
		cmocka_unit_test(test_sweep),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
