/* Daily limits with a fake clock: a time limit reached at the end of its
 * last minute, the warning once a day, overlaps counted once in a shared
 * budget, per-device budgets, a volume limit reached at the reading, the
 * reset at reset_time (Berlin, DST day), a reload raising, lowering and
 * removing a limit, late readings, the cap, the state round trip, and the
 * workers' lock-free view read while it is rewritten. */
#define _GNU_SOURCE	/* timegm, strptime */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <cmocka.h>

#include "utest.h"

#include "ulimits.h"

static const uint8_t MAC1[6] = { 2, 0, 0, 0, 0, 1 }, MAC2[6] = { 2, 0, 0, 0, 0, 2 };

struct seen {
	int n[__ULIMIT_EVENT_MAX];
	struct ulimit_status last[__ULIMIT_EVENT_MAX];
	time_t at[__ULIMIT_EVENT_MAX];
};

static void on_event(void *ctx, enum ulimit_event ev, const struct ulimit_status *st)
{
	struct seen *s = ctx;

	s->n[ev]++;
	s->last[ev] = *st;
}

static struct ulimits *lim_new(struct seen *s, int reset_min, uint32_t max_scopes)
{
	struct ulimits_opts o = { .max_scopes = max_scopes, .reset_min = reset_min, .fn = on_event, .ctx = s };
	struct ulimits *l;

	memset(s, 0, sizeof(*s));
	assert_non_null(l = ulimits_new(&o));
	return l;
}

static uint32_t M(time_t t)
{
	return (uint32_t)(t / 60);
}

/* "30 minutes of TikTok", here 3: each active minute counts whole, once
 * it is over; the third is spent at its end. */
static void test_time_limit(void **state)
{
	struct seen s;
	struct ulimits *l = lim_new(&s, 0, 0);
	struct ulimit_def d = { .name = "tiktok 3m", .time_min = 3, .warn_pct = 60, .per_device = true };
	uint64_t k = ulimit_key("tiktok 3m");
	time_t t = utc("2026-06-10 12:00:00");
	struct ulimit_status st;

	(void)state;
	zone("UTC");
	assert_int_equal(ulimits_configure(l, &d, 1, t), 0);
	/* minute 0: two connections; minute 1: nothing; minutes 2 and 3 */
	ulimits_account(l, k, MAC1, M(t), 1000, t + 10);
	ulimits_account(l, k, MAC1, M(t), 500, t + 20);
	ulimits_tick(l, t + 60);
	ulimits_tick(l, t + 120);
	assert_int_equal(s.n[ULIMIT_WARN], 0);	/* 1 of 3 < 60% */
	ulimits_account(l, k, MAC1, M(t + 120), 10, t + 150);
	ulimits_tick(l, t + 180);
	assert_int_equal(s.n[ULIMIT_WARN], 1);	/* 2 of 3 */
	assert_int_equal(s.last[ULIMIT_WARN].used_min, 2);
	assert_int_equal(s.last[ULIMIT_WARN].by, ULIMIT_BY_TIME);
	ulimits_account(l, k, MAC1, M(t + 180), 10, t + 185);
	/* the third minute is running: still allowed */
	assert_false(ulimits_blocked(l, k, MAC1, t + 230));
	ulimits_tick(l, t + 239);
	assert_int_equal(s.n[ULIMIT_REACHED], 0);
	/* it ends: reached, at the boundary */
	ulimits_tick(l, t + 240);
	assert_int_equal(s.n[ULIMIT_REACHED], 1);
	assert_int_equal(s.last[ULIMIT_REACHED].used_min, 3);
	assert_int_equal(s.last[ULIMIT_REACHED].reached_at, t + 240);
	assert_int_equal(s.last[ULIMIT_REACHED].reset_at, utc("2026-06-11 00:00:00"));
	assert_memory_equal(s.last[ULIMIT_REACHED].mac, MAC1, 6);
	assert_true(ulimits_blocked(l, k, MAC1, t + 241));
	assert_false(ulimits_blocked(l, k, MAC2, t + 241));	/* per device */
	assert_false(ulimits_blocked(l, ulimit_key("other"), MAC1, t + 241));
	/* no second warning or reached the same day */
	ulimits_account(l, k, MAC1, M(t + 300), 10, t + 310);
	ulimits_tick(l, t + 360);
	assert_int_equal(s.n[ULIMIT_WARN], 1);
	assert_int_equal(s.n[ULIMIT_REACHED], 1);
	assert_int_equal(ulimits_status(l, k, MAC1, t + 400, &st), 0);
	assert_true(st.reached && st.warned);
	assert_int_equal(st.used_min, 4);
	assert_int_equal(st.time_min, 3);
	/* the next day: renewed at midnight, before any tick */
	assert_false(ulimits_blocked(l, k, MAC1, utc("2026-06-11 00:00:00")));
	ulimits_tick(l, utc("2026-06-11 00:00:00"));
	assert_int_equal(s.n[ULIMIT_RESET], 1);
	assert_int_equal(ulimits_status(l, k, MAC1, utc("2026-06-11 00:00:01"), &st), 0);
	assert_false(st.reached || st.warned);
	assert_int_equal(st.used_min, 0);
	ulimits_free(l);
}

/* One budget for a group: two devices in the same minute use one minute. */
static void test_shared_budget(void **state)
{
	struct seen s;
	struct ulimits *l = lim_new(&s, 0, 0);
	struct ulimit_def d = { .name = "games", .time_min = 2 };
	uint64_t k = ulimit_key("games");
	time_t t = utc("2026-06-10 12:00:00");
	struct ulimit_status st;

	(void)state;
	zone("UTC");
	ulimits_configure(l, &d, 1, t);
	ulimits_account(l, k, MAC1, M(t), 100, t + 1);
	ulimits_account(l, k, MAC2, M(t), 100, t + 2);
	ulimits_tick(l, t + 60);
	assert_int_equal(ulimits_status(l, k, NULL, t + 60, &st), 0);
	assert_int_equal(st.used_min, 1);
	assert_int_equal(st.used_bytes, 200);
	assert_int_equal(s.n[ULIMIT_REACHED], 0);
	ulimits_account(l, k, MAC2, M(t + 60), 100, t + 61);
	ulimits_tick(l, t + 120);
	assert_int_equal(s.n[ULIMIT_REACHED], 1);
	/* spent for every device of the rule */
	assert_true(ulimits_blocked(l, k, MAC1, t + 121));
	assert_true(ulimits_blocked(l, k, MAC2, t + 121));
	ulimits_free(l);
}

static void test_volume_limit(void **state)
{
	struct seen s;
	struct ulimits *l = lim_new(&s, 0, 0);
	struct ulimit_def d = { .name = "video 1k", .volume = 1000, .warn_pct = 80, .per_device = true };
	uint64_t k = ulimit_key("video 1k");
	time_t t = utc("2026-06-10 12:00:30");

	(void)state;
	zone("UTC");
	ulimits_configure(l, &d, 1, t);
	ulimits_account(l, k, MAC1, M(t), 500, t);
	assert_int_equal(s.n[ULIMIT_WARN], 0);
	ulimits_account(l, k, MAC1, M(t), 300, t + 2);
	assert_int_equal(s.n[ULIMIT_WARN], 1);
	assert_int_equal(s.last[ULIMIT_WARN].by, ULIMIT_BY_VOLUME);
	/* reached at the reading, mid-minute, no tick needed */
	ulimits_account(l, k, MAC1, M(t), 300, t + 4);
	assert_int_equal(s.n[ULIMIT_REACHED], 1);
	assert_int_equal(s.last[ULIMIT_REACHED].used_bytes, 1100);
	assert_int_equal(s.last[ULIMIT_REACHED].reached_at, t + 4);
	assert_true(ulimits_blocked(l, k, MAC1, t + 4));
	assert_true(ulimits_has_volume(l, k));
	assert_false(ulimits_has_volume(l, ulimit_key("x")));
	ulimits_free(l);
}

/* reset_time 04:00 in Berlin, on the autumn day (25 h). */
static void test_reset_time_dst(void **state)
{
	struct seen s;
	struct ulimits *l = lim_new(&s, 4 * 60, 0);
	struct ulimit_def d = { .name = "all 1m", .time_min = 1, .per_device = true };
	uint64_t k = ulimit_key("all 1m");
	time_t t = utc("2026-10-25 01:30:00");	/* 02:30 CET, the second time: still the 24th's day */
	time_t reset = utc("2026-10-25 03:00:00");	/* 04:00 CET */
	struct ulimit_status st;

	(void)state;
	zone("Europe/Berlin");
	ulimits_configure(l, &d, 1, t);
	ulimits_account(l, k, MAC1, M(t), 1, t);
	ulimits_tick(l, t + 60);
	assert_int_equal(s.n[ULIMIT_REACHED], 1);
	assert_int_equal(s.last[ULIMIT_REACHED].reset_at, reset);
	assert_true(ulimits_blocked(l, k, MAC1, reset - 1));
	assert_false(ulimits_blocked(l, k, MAC1, reset));
	ulimits_tick(l, reset);
	assert_int_equal(s.n[ULIMIT_RESET], 1);
	assert_int_equal(ulimits_status(l, k, MAC1, reset + 1, &st), 0);
	assert_int_equal(st.reset_at, utc("2026-10-26 03:00:00"));
	/* a reading for the last minute of the old day, read after the reset, is not today's */
	ulimits_account(l, k, MAC1, M(reset - 60), 1, reset + 1);
	ulimits_tick(l, reset + 60);
	assert_int_equal(s.n[ULIMIT_REACHED], 1);
	ulimits_free(l);
}

static void test_reload(void **state)
{
	struct seen s;
	struct ulimits *l = lim_new(&s, 0, 0);
	struct ulimit_def d = { .name = "tiktok", .time_min = 1, .per_device = true };
	uint64_t k = ulimit_key("tiktok");
	time_t t = utc("2026-06-10 12:00:00");

	(void)state;
	zone("UTC");
	ulimits_configure(l, &d, 1, t);
	ulimits_account(l, k, MAC1, M(t), 1, t);
	ulimits_account(l, k, MAC1, M(t + 60), 1, t + 60);
	ulimits_tick(l, t + 60);
	assert_true(ulimits_blocked(l, k, MAC1, t + 61));
	/* the parent grants more: lifted at once, today's use kept */
	d.time_min = 5;
	assert_int_equal(ulimits_configure(l, &d, 1, t + 90), 0);
	assert_int_equal(s.n[ULIMIT_RESET], 1);
	assert_false(ulimits_blocked(l, k, MAC1, t + 91));
	ulimits_tick(l, t + 120);
	assert_int_equal(s.n[ULIMIT_REACHED], 1);
	/* lowered below what was used: reached at the reload */
	d.time_min = 2;
	assert_int_equal(ulimits_configure(l, &d, 1, t + 130), 0);
	assert_int_equal(s.n[ULIMIT_REACHED], 2);
	assert_true(ulimits_blocked(l, k, MAC1, t + 131));
	/* removed: nothing spent any more */
	assert_int_equal(ulimits_configure(l, NULL, 0, t + 140), 0);
	assert_false(ulimits_blocked(l, k, MAC1, t + 141));
	/* a bad set changes nothing */
	d.warn_pct = 100;
	assert_int_equal(ulimits_configure(l, &d, 1, t + 150), -1);
	ulimits_free(l);
}

static void test_cap(void **state)
{
	struct seen s;
	struct ulimits *l = lim_new(&s, 0, 2);
	struct ulimit_def d = { .name = "x", .time_min = 10, .per_device = true };
	uint64_t k = ulimit_key("x");
	time_t t = utc("2026-06-10 12:00:00");
	uint8_t mac[6] = { 2, 0, 0, 0, 0, 0 };
	struct ulimits_stats st;

	(void)state;
	zone("UTC");
	ulimits_configure(l, &d, 1, t);
	for (int i = 1; i <= 3; i++) {
		mac[5] = (uint8_t)i;
		ulimits_account(l, k, mac, M(t), 1, t);
	}
	ulimits_stats(l, &st);
	assert_int_equal(st.scopes, 2);
	assert_int_equal(st.scope_full, 1);
	ulimits_free(l);
}

struct saved_list {
	struct ulimit_saved v[4];
	int n;
};

static void keep(void *ctx, const struct ulimit_saved *sv)
{
	struct saved_list *sl = ctx;

	sl->v[sl->n++] = *sv;
}

static void test_saved_round_trip(void **state)
{
	struct seen s;
	struct ulimits *l = lim_new(&s, 0, 0), *l2;
	struct ulimit_def d = { .name = "tiktok", .time_min = 2, .per_device = true };
	uint64_t k = ulimit_key("tiktok");
	time_t t = utc("2026-06-10 12:00:00");
	struct saved_list sl = { .n = 0 };
	struct ulimit_status st;

	(void)state;
	zone("UTC");
	ulimits_configure(l, &d, 1, t);
	ulimits_account(l, k, MAC1, M(t), 7, t);
	ulimits_account(l, k, MAC1, M(t + 60), 7, t + 60);
	ulimits_tick(l, t + 120);
	assert_true(ulimits_blocked(l, k, MAC1, t + 121));
	ulimits_save_each(l, keep, &sl);
	assert_int_equal(sl.n, 1);
	/* a restart: restored before the limits are configured again */
	l2 = lim_new(&s, 0, 0);
	assert_int_equal(ulimits_restore(l2, &sl.v[0], t + 130), 0);
	assert_int_equal(ulimits_configure(l2, &d, 1, t + 131), 0);
	assert_true(ulimits_blocked(l2, k, MAC1, t + 132));
	assert_int_equal(ulimits_status(l2, k, MAC1, t + 132, &st), 0);
	assert_int_equal(st.used_min, 2);
	assert_int_equal(st.used_bytes, 14);
	assert_int_equal(s.n[ULIMIT_REACHED], 0);	/* not announced twice */
	/* a save from yesterday is not today's budget */
	ulimits_free(l2);
	l2 = lim_new(&s, 0, 0);
	assert_int_equal(ulimits_restore(l2, &sl.v[0], t + 86400), 0);
	ulimits_configure(l2, &d, 1, t + 86400);
	assert_false(ulimits_blocked(l2, k, MAC1, t + 86401));
	ulimits_free(l2);
	ulimits_free(l);
}

/* A worker reads while the accounting thread rewrites other budgets'
 * slots: a budget spent all along must read spent every time. */
struct race {
	struct ulimits *l;
	uint64_t k;
	time_t t;
	atomic_int stop;
	long wrong, reads;
};

static void *reader(void *arg)
{
	struct race *r = arg;

	while (!atomic_load(&r->stop)) {
		if (!ulimits_blocked(r->l, r->k, MAC1, r->t))
			r->wrong++;
		r->reads++;
	}
	return NULL;
}

static void test_lockfree_readers(void **state)
{
	struct seen s;
	struct ulimits *l = lim_new(&s, 0, 64);
	struct ulimit_def d[2] = { { .name = "spent", .volume = 1, .per_device = true },
				   { .name = "churn", .volume = 1, .per_device = true } };
	time_t t = utc("2026-06-10 12:00:00");
	struct race r = { .l = l, .k = ulimit_key("spent"), .t = t + 1 };
	uint8_t mac[6] = { 2, 0, 0, 0, 0, 0 };
	pthread_t th;

	(void)state;
	zone("UTC");
	ulimits_configure(l, d, 2, t);
	ulimits_account(l, r.k, MAC1, M(t), 5, t);
	assert_int_equal(pthread_create(&th, NULL, reader, &r), 0);
	for (int i = 0; i < 20000; i++) {
		mac[4] = (uint8_t)(i >> 8);
		mac[5] = (uint8_t)i;
		/* reach, then lift and reach again by reloading */
		ulimits_account(l, ulimit_key("churn"), mac, M(t), 5, t);
		if (i % 64 == 63) {
			ulimits_configure(l, &d[0], 1, t);
			ulimits_configure(l, d, 2, t);
		}
	}
	atomic_store(&r.stop, 1);
	pthread_join(th, NULL);
	assert_true(r.reads > 0);
	assert_int_equal(r.wrong, 0);
	ulimits_free(l);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_time_limit),
		cmocka_unit_test(test_shared_budget),
		cmocka_unit_test(test_volume_limit),
		cmocka_unit_test(test_reset_time_dst),
		cmocka_unit_test(test_reload),
		cmocka_unit_test(test_cap),
		cmocka_unit_test(test_saved_round_trip),
		cmocka_unit_test(test_lockfree_readers),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
