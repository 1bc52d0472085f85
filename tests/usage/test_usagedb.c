/* The aggregation table with a fake clock (readings carry their minute):
 * overlapping connections, hours and days, reset time, DST days, bucket
 * expiry at 48 h and 62 days, late readings, the cap and its eviction,
 * the activity threshold, top lists, scopes. */
#define _GNU_SOURCE	/* timegm, strptime */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <cmocka.h>

#include "utest.h"

#include "usagedb.h"

enum { APP_A = 10, APP_B = 11, APP_C = 12, CAT_X = 3, CAT_Y = 4 };

static const uint8_t MAC1[6] = { 0x02, 0, 0, 0, 0, 1 };
static const uint8_t MAC2[6] = { 0x02, 0, 0, 0, 0, 2 };
static const uint8_t MAC3[6] = { 0x02, 0, 0, 0, 0, 3 };

static struct usagedb *db_new(uint32_t max, int reset_min, uint32_t min_bytes)
{
	struct usagedb_opts o = { .max_entries = max, .reset_min = reset_min, .min_bytes = min_bytes,
				  .seed = 42 };
	struct usagedb *db = usagedb_new(&o);

	assert_non_null(db);
	return db;
}

static void add(struct usagedb *db, const uint8_t *mac, int32_t app, int32_t cat, uint64_t in, uint64_t out,
		uint32_t conns, time_t t)
{
	struct usage_sample s = { .app = app, .category = cat, .bytes_in = in, .bytes_out = out,
				  .conns = conns, .minute = (uint32_t)(t / 60) };

	memcpy(s.mac, mac, 6);
	assert_int_equal(usagedb_add(db, &s), 0);
}

static struct usage_totals day_of(struct usagedb *db, const uint8_t *mac, enum usage_kind k, int32_t id,
				  time_t t)
{
	struct usage_totals tot;
	int32_t d = usagedb_day(db, t);

	assert_int_equal(usagedb_range(db, mac, k, id, d, d, &tot), 0);
	return tot;
}

static void test_overlapping_connections(void **state)
{
	struct usagedb *db = db_new(64, 0, 0);
	time_t t = utc("2026-06-10 12:00:10");
	struct usage_totals a, b, all, cat;

	(void)state;
	zone("UTC");
	/* two connections of A and one of B in the same minute, then A alone */
	add(db, MAC1, APP_A, CAT_X, 1000, 100, 1, t);
	add(db, MAC1, APP_A, CAT_X, 2000, 200, 1, t + 20);
	add(db, MAC1, APP_B, CAT_X, 500, 50, 1, t + 30);
	add(db, MAC1, APP_A, CAT_X, 10, 1, 0, t + 60);
	a = day_of(db, MAC1, USAGE_APP, APP_A, t);
	b = day_of(db, MAC1, USAGE_APP, APP_B, t);
	all = day_of(db, MAC1, USAGE_ALL, 0, t);
	cat = day_of(db, MAC1, USAGE_CATEGORY, CAT_X, t);
	assert_int_equal(a.minutes, 2);
	assert_int_equal(a.bytes_in, 3010);
	assert_int_equal(a.bytes_out, 301);
	assert_int_equal(a.conns, 2);
	assert_int_equal(b.minutes, 1);
	assert_int_equal(all.minutes, 2);	/* A and B in parallel count once */
	assert_int_equal(all.bytes_in, 3510);
	assert_int_equal(all.conns, 3);
	assert_int_equal(cat.minutes, 2);
	/* a connection that only started (no bytes yet) makes no minute */
	add(db, MAC1, APP_C, CAT_Y, 0, 0, 1, t + 300);
	assert_int_equal(day_of(db, MAC1, USAGE_APP, APP_C, t).minutes, 0);
	assert_int_equal(day_of(db, MAC1, USAGE_APP, APP_C, t).conns, 1);
	usagedb_free(db);
}

static void test_hours(void **state)
{
	struct usagedb *db = db_new(64, 0, 0);
	time_t t = utc("2026-06-10 12:58:00");
	struct usage_totals h[3];
	uint32_t h12 = (uint32_t)(utc("2026-06-10 12:00:00") / 3600);

	(void)state;
	zone("UTC");
	for (int i = 0; i < 5; i++)	/* 12:58 .. 13:02 */
		add(db, MAC1, APP_A, CAT_X, 100, 10, i == 0, t + i * 60);
	assert_int_equal(usagedb_hours(db, MAC1, USAGE_APP, APP_A, h12, 3, h), 0);
	assert_int_equal(h[0].minutes, 2);
	assert_int_equal(h[0].bytes_in, 200);
	assert_int_equal(h[0].conns, 1);
	assert_int_equal(h[1].minutes, 3);
	assert_int_equal(h[2].minutes, 0);
	assert_int_equal(day_of(db, MAC1, USAGE_APP, APP_A, t).minutes, 5);
	usagedb_free(db);
}

/* reset_time 04:00 in Berlin: 03:59 belongs to the day before. */
static void test_reset_time_rollover(void **state)
{
	struct usagedb *db;
	time_t before = utc("2026-06-10 01:59:30"), after = utc("2026-06-10 02:00:30");	/* 03:59 / 04:00 CEST */
	struct usage_totals d[2];
	int32_t day;

	(void)state;
	zone("Europe/Berlin");
	db = db_new(64, 4 * 60, 0);
	add(db, MAC1, APP_A, CAT_X, 100, 0, 1, before);
	add(db, MAC1, APP_A, CAT_X, 300, 0, 1, after);
	day = usagedb_day(db, after);
	assert_int_equal(usagedb_day(db, before), day - 1);
	assert_int_equal(usagedb_days(db, MAC1, USAGE_APP, APP_A, day - 1, 2, d), 0);
	assert_int_equal(d[0].bytes_in, 100);
	assert_int_equal(d[0].minutes, 1);
	assert_int_equal(d[1].bytes_in, 300);
	assert_int_equal(d[1].minutes, 1);
	usagedb_free(db);
}

/* A device active every minute of the DST days: 1380 and 1500 minutes,
 * 23 and 25 hourly buckets. */
static void test_dst_days(void **state)
{
	struct {
		const char *start, *end;
		uint32_t minutes, hours;
	} cases[] = {
		{ "2026-03-28 23:00:00", "2026-03-29 22:00:00", 23 * 60, 23 },
		{ "2026-10-24 22:00:00", "2026-10-25 23:00:00", 25 * 60, 25 },
	};

	(void)state;
	zone("Europe/Berlin");
	for (size_t c = 0; c < 2; c++) {
		struct usagedb *db = db_new(64, 0, 0);
		time_t s = utc(cases[c].start), e = utc(cases[c].end);
		struct usage_totals h[30];
		uint32_t hours = 0;

		for (time_t t = s; t < e; t += 60)
			add(db, MAC1, APP_A, CAT_X, 1, 0, 0, t);
		assert_int_equal(usagedb_day_start(db, usagedb_day(db, s)), s);
		assert_int_equal(day_of(db, MAC1, USAGE_APP, APP_A, s).minutes, cases[c].minutes);
		assert_int_equal(day_of(db, MAC1, USAGE_APP, APP_A, s).bytes_in, cases[c].minutes);
		/* the next day has nothing yet */
		assert_int_equal(day_of(db, MAC1, USAGE_APP, APP_A, e).minutes, 0);
		assert_int_equal(usagedb_hours(db, MAC1, USAGE_APP, APP_A, (uint32_t)(s / 3600), 30, h), 0);
		for (size_t i = 0; i < 30; i++) {
			hours += h[i].minutes > 0;
			assert_true(h[i].minutes == 0 || h[i].minutes == 60);
		}
		assert_int_equal(hours, cases[c].hours);
		usagedb_free(db);
	}
}

static void test_hour_expiry_48h(void **state)
{
	struct usagedb *db = db_new(64, 0, 0);
	time_t t = utc("2026-06-10 00:30:00");
	uint32_t h0 = (uint32_t)(t / 3600);
	struct usage_totals h[49];

	(void)state;
	zone("UTC");
	add(db, MAC1, APP_A, CAT_X, 7, 0, 0, t);
	add(db, MAC1, APP_A, CAT_X, 9, 0, 0, t + 47 * 3600);
	assert_int_equal(usagedb_hours(db, MAC1, USAGE_APP, APP_A, h0, 49, h), 0);
	assert_int_equal(h[0].bytes_in, 7);
	assert_int_equal(h[47].bytes_in, 9);
	/* hour 48 reuses hour 0's slot */
	add(db, MAC1, APP_A, CAT_X, 11, 0, 0, t + 48 * 3600);
	assert_int_equal(usagedb_hours(db, MAC1, USAGE_APP, APP_A, h0, 49, h), 0);
	assert_int_equal(h[0].bytes_in, 0);
	assert_int_equal(h[47].bytes_in, 9);
	assert_int_equal(h[48].bytes_in, 11);
	/* a reading for the expired hour still counts in its day */
	add(db, MAC1, APP_A, CAT_X, 5, 0, 0, t + 60);
	assert_int_equal(day_of(db, MAC1, USAGE_APP, APP_A, t).bytes_in, 12);
	assert_int_equal(usagedb_hours(db, MAC1, USAGE_APP, APP_A, h0, 1, h), 0);
	assert_int_equal(h[0].bytes_in, 0);
	usagedb_free(db);
}

static void test_day_expiry_62d(void **state)
{
	struct usagedb *db = db_new(64, 0, 0);
	time_t t = utc("2026-01-01 12:00:00");
	int32_t d0 = usagedb_day(db, t);
	struct usage_totals tot;
	struct usagedb_stats st;

	(void)state;
	zone("UTC");
	add(db, MAC1, APP_A, CAT_X, 100, 0, 1, t);
	add(db, MAC1, APP_A, CAT_X, 1, 0, 0, t + 61 * 86400);
	assert_int_equal(usagedb_range(db, MAC1, USAGE_APP, APP_A, d0, d0 + 61, &tot), 0);
	assert_int_equal(tot.bytes_in, 101);
	assert_int_equal(tot.minutes, 2);
	add(db, MAC1, APP_A, CAT_X, 1, 0, 0, t + 62 * 86400);
	assert_int_equal(usagedb_range(db, MAC1, USAGE_APP, APP_A, d0, d0 + 62, &tot), 0);
	assert_int_equal(tot.bytes_in, 2);
	/* a reading older than every bucket is dropped and counted */
	add(db, MAC1, APP_A, CAT_X, 1000, 0, 0, t + 60);
	usagedb_stats(db, &st);
	assert_int_equal(st.too_old, 3);	/* app, category and all entries */
	assert_int_equal(usagedb_range(db, MAC1, USAGE_APP, APP_A, d0, d0 + 62, &tot), 0);
	assert_int_equal(tot.bytes_in, 2);
	usagedb_free(db);
}

/* A reading for the minute that just ended may come after one for the
 * new minute (a destroy event before the boundary dump). */
static void test_late_reading(void **state)
{
	struct usagedb *db = db_new(64, 0, 0);
	time_t t = utc("2026-06-10 12:00:00");

	(void)state;
	zone("UTC");
	add(db, MAC1, APP_A, CAT_X, 1, 0, 0, t + 60);
	add(db, MAC1, APP_A, CAT_X, 1, 0, 0, t);
	add(db, MAC1, APP_A, CAT_X, 1, 0, 0, t);
	add(db, MAC1, APP_A, CAT_X, 1, 0, 0, t + 60);
	assert_int_equal(day_of(db, MAC1, USAGE_APP, APP_A, t).minutes, 2);
	assert_int_equal(day_of(db, MAC1, USAGE_APP, APP_A, t).bytes_in, 4);
	/* the day's last minute, read after the next day began */
	add(db, MAC1, APP_A, CAT_X, 1, 0, 0, utc("2026-06-11 00:00:05"));
	add(db, MAC1, APP_A, CAT_X, 1, 0, 0, utc("2026-06-10 23:59:30"));
	assert_int_equal(day_of(db, MAC1, USAGE_APP, APP_A, t).minutes, 3);
	assert_int_equal(day_of(db, MAC1, USAGE_APP, APP_A, utc("2026-06-11 00:00:05")).minutes, 1);
	usagedb_free(db);
}

static void test_cap_eviction(void **state)
{
	struct usagedb *db = db_new(9, 0, 0);	/* three devices' app + category + all */
	time_t t = utc("2026-06-10 12:00:00");
	struct usagedb_stats st;
	struct usage_totals tot;
	int32_t d;

	(void)state;
	zone("UTC");
	d = usagedb_day(db, t);
	add(db, MAC1, APP_A, CAT_X, 1, 0, 1, t);
	add(db, MAC2, APP_A, CAT_X, 2, 0, 1, t + 60);
	add(db, MAC3, APP_A, CAT_X, 3, 0, 1, t + 120);
	add(db, MAC1, APP_A, CAT_X, 1, 0, 0, t + 180);	/* MAC1 is now the most recent */
	usagedb_stats(db, &st);
	assert_int_equal(st.entries, 9);
	assert_int_equal(st.evictions, 0);
	add(db, MAC3, APP_B, CAT_X, 5, 0, 1, t + 240);	/* a new entry: MAC2's oldest goes */
	usagedb_stats(db, &st);
	assert_int_equal(st.entries, 9);
	assert_int_equal(st.evictions, 1);
	assert_int_equal(usagedb_range(db, MAC2, USAGE_APP, APP_A, d, d, &tot), -1);
	assert_int_equal(usagedb_range(db, MAC1, USAGE_APP, APP_A, d, d, &tot), 0);
	assert_int_equal(tot.bytes_in, 2);
	assert_int_equal(usagedb_range(db, MAC3, USAGE_APP, APP_B, d, d, &tot), 0);
	assert_int_equal(tot.bytes_in, 5);
	/* a cap of one still works: every reading keeps the latest entry */
	usagedb_free(db);
	db = db_new(1, 0, 0);
	add(db, MAC1, APP_A, CAT_X, 1, 0, 1, t);
	usagedb_stats(db, &st);
	assert_int_equal(st.entries, 1);
	assert_int_equal(st.evictions, 2);
	usagedb_free(db);
}

static void test_min_bytes(void **state)
{
	struct usagedb *db = db_new(64, 0, 1000);
	time_t t = utc("2026-06-10 12:00:00");

	(void)state;
	zone("UTC");
	add(db, MAC1, APP_A, CAT_X, 400, 0, 0, t);		/* a keep-alive: not use */
	assert_int_equal(day_of(db, MAC1, USAGE_APP, APP_A, t).minutes, 0);
	add(db, MAC1, APP_A, CAT_X, 300, 300, 0, t + 30);	/* 1000 in the minute */
	assert_int_equal(day_of(db, MAC1, USAGE_APP, APP_A, t).minutes, 1);
	add(db, MAC1, APP_A, CAT_X, 999, 0, 0, t + 60);
	assert_int_equal(day_of(db, MAC1, USAGE_APP, APP_A, t).minutes, 1);
	assert_int_equal(day_of(db, MAC1, USAGE_APP, APP_A, t).bytes_in, 1699);
	usagedb_free(db);
}

static void test_top(void **state)
{
	struct usagedb *db = db_new(64, 0, 0);
	time_t t = utc("2026-06-10 12:00:00");
	struct usage_row r[3];
	int32_t d;

	(void)state;
	zone("UTC");
	d = usagedb_day(db, t);
	for (int i = 0; i < 10; i++)	/* A: 10 minutes, little volume */
		add(db, MAC1, APP_A, CAT_X, 10, 0, 0, t + i * 60);
	add(db, MAC1, APP_B, CAT_X, 1000000, 0, 1, t);	/* B: 1 minute, much volume */
	add(db, MAC1, APP_C, CAT_Y, 500, 0, 1, t);
	add(db, MAC1, APP_C, CAT_Y, 500, 0, 1, t + 60);
	add(db, MAC2, APP_C, CAT_Y, 1u << 30, 0, 1, t);	/* another device */
	assert_int_equal(usagedb_top(db, MAC1, USAGE_APP, d, d, USAGE_BY_TIME, r, 3), 3);
	assert_int_equal(r[0].id, APP_A);
	assert_int_equal(r[1].id, APP_C);
	assert_int_equal(r[2].id, APP_B);
	assert_int_equal(usagedb_top(db, MAC1, USAGE_APP, d, d, USAGE_BY_VOLUME, r, 2), 2);
	assert_int_equal(r[0].id, APP_B);
	assert_int_equal(r[1].id, APP_C);
	assert_int_equal(usagedb_top(db, MAC1, USAGE_CATEGORY, d - 6, d, USAGE_BY_TIME, r, 3), 2);
	assert_int_equal(r[0].id, CAT_X);
	assert_int_equal(r[0].t.minutes, 10);
	assert_int_equal(usagedb_top(db, MAC3, USAGE_APP, d, d, USAGE_BY_TIME, r, 3), 0);
	/* all devices: the app's figures add up */
	{
		struct usage_totals tot;

		assert_int_equal(usagedb_range(db, NULL, USAGE_APP, APP_C, d, d, &tot), 0);
		assert_int_equal(tot.bytes_in, 1000 + (1u << 30));
		assert_int_equal(tot.minutes, 3);
	}
	usagedb_free(db);
}

/* A group of two devices and "app A or category Y": minutes in which any
 * of them was active, counted once; bytes of app C (category Y) once. */
static void test_scope_today(void **state)
{
	struct usagedb *db = db_new(64, 0, 0);
	time_t t = utc("2026-06-10 12:00:00");
	const uint8_t macs[2][6] = { { 0x02, 0, 0, 0, 0, 1 }, { 0x02, 0, 0, 0, 0, 2 } };
	const int32_t apps[] = { APP_A, APP_C };
	const int32_t cats[] = { CAT_Y };
	struct usage_scope s = { macs, 2, apps, 2, cats, 1 };
	struct usage_totals tot;

	(void)state;
	zone("UTC");
	add(db, MAC1, APP_A, CAT_X, 100, 0, 1, t);		/* minute 0 */
	add(db, MAC2, APP_A, CAT_X, 100, 0, 1, t + 10);	/* minute 0, other device */
	add(db, MAC2, APP_C, CAT_Y, 100, 0, 1, t + 60);	/* minute 1 */
	add(db, MAC1, APP_B, CAT_X, 100, 0, 1, t + 120);	/* out of scope */
	add(db, MAC3, APP_A, CAT_X, 100, 0, 1, t + 180);	/* device out of scope */
	add(db, MAC1, APP_A, CAT_X, 100, 0, 0, t - 86400);	/* yesterday */
	assert_int_equal(usagedb_scope_today(db, &s, t + 3600, &tot), 0);
	assert_int_equal(tot.minutes, 2);
	assert_int_equal(tot.bytes_in, 300);
	assert_int_equal(tot.conns, 3);
	/* "now" bounds the count */
	assert_int_equal(usagedb_scope_today(db, &s, t + 30, &tot), 0);
	assert_int_equal(tot.minutes, 1);
	/* every device, all traffic */
	memset(&s, 0, sizeof(s));
	assert_int_equal(usagedb_scope_today(db, &s, t + 3600, &tot), 0);
	assert_int_equal(tot.minutes, 4);
	assert_int_equal(tot.bytes_in, 500);
	usagedb_free(db);
}

static void count_dev(void *ctx, const uint8_t mac[6], const struct usage_totals *t)
{
	uint64_t *sum = ctx;

	(void)mac;
	sum[0]++;
	sum[1] += t->bytes_in;
}

static void test_devices_and_size(void **state)
{
	struct usagedb *db = db_new(64, 0, 0);
	time_t t = utc("2026-06-10 12:00:00");
	uint64_t sum[2] = { 0, 0 };
	int32_t d;

	(void)state;
	zone("UTC");
	d = usagedb_day(db, t);
	add(db, MAC1, APP_A, CAT_X, 1, 0, 1, t);
	add(db, MAC2, APP_B, CAT_X, 2, 0, 1, t);
	add(db, MAC2, APP_A, CAT_X, 4, 0, 1, t);
	usagedb_devices(db, d, d, count_dev, sum);
	assert_int_equal(sum[0], 2);
	assert_int_equal(sum[1], 7);
	/* 48 hourly and 62 daily buckets of 16 bytes and a 2048-minute bitmap */
	assert_true(usagedb_entry_size() <= 2112);
	usagedb_free(db);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_overlapping_connections),
		cmocka_unit_test(test_hours),
		cmocka_unit_test(test_reset_time_rollover),
		cmocka_unit_test(test_dst_days),
		cmocka_unit_test(test_hour_expiry_48h),
		cmocka_unit_test(test_day_expiry_62d),
		cmocka_unit_test(test_late_reading),
		cmocka_unit_test(test_cap_eviction),
		cmocka_unit_test(test_min_bytes),
		cmocka_unit_test(test_top),
		cmocka_unit_test(test_scope_today),
		cmocka_unit_test(test_devices_and_size),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
