/* Usage days in real zones: reset_time, DST spring and autumn (23 h and
 * 25 h days, a reset time inside the skipped and the repeated hour),
 * half-hour zones, and a whole year scanned for gaps and overlaps. */
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

#include "daycal.h"

/* Berlin's rules as the tz database has them, and as a POSIX TZ string
 * (what OpenWrt puts in /etc/TZ): both must give the same days. */
static const char *const berlin[] = { "Europe/Berlin", "CET-1CEST,M3.5.0,M10.5.0/3" };

static void test_parse_reset(void **state)
{
	char err[128];
	int m;

	(void)state;
	assert_int_equal(daycal_parse_reset("00:00", &m, err, sizeof(err)), 0);
	assert_int_equal(m, 0);
	assert_int_equal(daycal_parse_reset("04:30", &m, err, sizeof(err)), 0);
	assert_int_equal(m, 270);
	assert_int_equal(daycal_parse_reset("23:59", &m, err, sizeof(err)), 0);
	assert_int_equal(m, 1439);
	assert_int_equal(daycal_parse_reset("24:00", &m, err, sizeof(err)), -1);
	assert_non_null(strstr(err, "24:00"));
	assert_int_equal(daycal_parse_reset("4:30", &m, err, sizeof(err)), -1);
	assert_int_equal(daycal_parse_reset("04:60", &m, err, sizeof(err)), -1);
	assert_int_equal(daycal_parse_reset("04:30x", &m, err, sizeof(err)), -1);
	assert_int_equal(daycal_parse_reset("", &m, err, sizeof(err)), -1);
}

static void test_civil(void **state)
{
	int y, mo, d;

	(void)state;
	assert_int_equal(daycal_from_civil(1970, 1, 1), 0);
	assert_int_equal(daycal_from_civil(2026, 3, 29), utc("2026-03-29 00:00:00") / 86400);
	assert_int_equal(daycal_weekday(daycal_from_civil(2026, 3, 29)), 7);	/* Sunday */
	assert_int_equal(daycal_weekday(daycal_from_civil(2026, 3, 30)), 1);	/* Monday */
	assert_int_equal(daycal_weekday(0), 4);					/* Thursday */
	for (int32_t day = -1000; day < 40000; day += 7) {
		daycal_civil(day, &y, &mo, &d);
		assert_int_equal(daycal_from_civil(y, mo, d), day);
	}
	daycal_civil(daycal_from_civil(2024, 2, 29), &y, &mo, &d);
	assert_true(y == 2024 && mo == 2 && d == 29);
}

static int32_t date(int y, int m, int d)
{
	return daycal_from_civil(y, m, d);
}

static void test_plain_days(void **state)
{
	struct daycal c;

	(void)state;
	for (size_t z = 0; z < 2; z++) {
		zone(berlin[z]);
		assert_int_equal(daycal_init(&c, 4 * 60), 0);
		/* 2026-06-10 04:00 CEST = 02:00 UTC */
		assert_int_equal(daycal_start(&c, date(2026, 6, 10)), utc("2026-06-10 02:00:00"));
		assert_int_equal(daycal_day(&c, utc("2026-06-10 01:59:59")), date(2026, 6, 9));
		assert_int_equal(daycal_day(&c, utc("2026-06-10 02:00:00")), date(2026, 6, 10));
		assert_int_equal(daycal_day(&c, utc("2026-06-10 21:59:59")), date(2026, 6, 10));
		/* after midnight but before 04:00: still the 10th */
		assert_int_equal(daycal_day(&c, utc("2026-06-11 01:00:00")), date(2026, 6, 10));
	}
}

static void test_spring_23h(void **state)
{
	struct daycal c;

	(void)state;
	for (size_t z = 0; z < 2; z++) {
		zone(berlin[z]);
		daycal_init(&c, 0);
		/* 2026-03-29: 02:00 CET becomes 03:00 CEST */
		assert_int_equal(daycal_start(&c, date(2026, 3, 29)), utc("2026-03-28 23:00:00"));
		assert_int_equal(daycal_start(&c, date(2026, 3, 30)), utc("2026-03-29 22:00:00"));
		assert_int_equal(daycal_start(&c, date(2026, 3, 30)) - daycal_start(&c, date(2026, 3, 29)),
				 23 * 3600);
		assert_int_equal(daycal_day(&c, utc("2026-03-29 21:59:59")), date(2026, 3, 29));
		assert_int_equal(daycal_day(&c, utc("2026-03-29 22:00:00")), date(2026, 3, 30));
	}
}

static void test_autumn_25h(void **state)
{
	struct daycal c;

	(void)state;
	for (size_t z = 0; z < 2; z++) {
		zone(berlin[z]);
		daycal_init(&c, 0);
		/* 2026-10-25: 03:00 CEST becomes 02:00 CET */
		assert_int_equal(daycal_start(&c, date(2026, 10, 25)), utc("2026-10-24 22:00:00"));
		assert_int_equal(daycal_start(&c, date(2026, 10, 26)), utc("2026-10-25 23:00:00"));
		assert_int_equal(daycal_start(&c, date(2026, 10, 26)) - daycal_start(&c, date(2026, 10, 25)),
				 25 * 3600);
	}
}

/* reset_time 02:30 does not exist on the spring day: the day begins when
 * the clocks jump (03:00 CEST = 01:00 UTC). */
static void test_reset_in_skipped_hour(void **state)
{
	struct daycal c;

	(void)state;
	for (size_t z = 0; z < 2; z++) {
		zone(berlin[z]);
		daycal_init(&c, 150);
		assert_int_equal(daycal_start(&c, date(2026, 3, 28)), utc("2026-03-28 01:30:00"));
		assert_int_equal(daycal_start(&c, date(2026, 3, 29)), utc("2026-03-29 01:00:00"));
		assert_int_equal(daycal_start(&c, date(2026, 3, 30)), utc("2026-03-30 00:30:00"));
		assert_int_equal(daycal_day(&c, utc("2026-03-29 00:59:59")), date(2026, 3, 28));
		assert_int_equal(daycal_day(&c, utc("2026-03-29 01:00:00")), date(2026, 3, 29));
	}
}

/* reset_time 02:30 occurs twice on the autumn day: the day begins at the
 * first (02:30 CEST = 00:30 UTC); the second 02:00-02:30 (CET) still
 * belongs to the new day although its wall clock reads earlier. */
static void test_reset_in_repeated_hour(void **state)
{
	struct daycal c;

	(void)state;
	for (size_t z = 0; z < 2; z++) {
		zone(berlin[z]);
		daycal_init(&c, 150);
		assert_int_equal(daycal_start(&c, date(2026, 10, 25)), utc("2026-10-25 00:30:00"));
		assert_int_equal(daycal_day(&c, utc("2026-10-25 00:29:59")), date(2026, 10, 24));
		assert_int_equal(daycal_day(&c, utc("2026-10-25 00:30:00")), date(2026, 10, 25));
		/* 02:15 CET, the second time the clock reads 02:15 */
		assert_int_equal(daycal_day(&c, utc("2026-10-25 01:15:00")), date(2026, 10, 25));
		assert_int_equal(daycal_start(&c, date(2026, 10, 26)) - daycal_start(&c, date(2026, 10, 25)),
				 25 * 3600);
	}
}

static void test_new_york(void **state)
{
	struct daycal c;

	(void)state;
	zone("America/New_York");
	daycal_init(&c, 0);
	/* 2026-03-08 02:00 EST -> 03:00 EDT; 2026-11-01 02:00 EDT -> 01:00 EST */
	assert_int_equal(daycal_start(&c, date(2026, 3, 9)) - daycal_start(&c, date(2026, 3, 8)), 23 * 3600);
	assert_int_equal(daycal_start(&c, date(2026, 11, 2)) - daycal_start(&c, date(2026, 11, 1)), 25 * 3600);
	assert_int_equal(daycal_start(&c, date(2026, 3, 8)), utc("2026-03-08 05:00:00"));
}

/* +05:30: hours start at :30 UTC, which is :00 on the wall clock. */
static void test_half_hour_zone(void **state)
{
	time_t t = utc("2026-06-10 04:45:00");	/* 10:15 IST */
	uint32_t h;

	(void)state;
	zone("Asia/Kolkata");
	h = daycal_hour(t);
	assert_int_equal(daycal_hour_start(h), utc("2026-06-10 04:30:00"));
	assert_int_equal(daycal_hour(utc("2026-06-10 04:29:59")), h - 1);
	assert_int_equal(daycal_hour(utc("2026-06-10 05:29:59")), h);
	zone("UTC");
	assert_int_equal(daycal_hour_start(daycal_hour(t)), utc("2026-06-10 04:00:00"));
}

/* A whole year every 5 minutes: days never go back, each lasts 24 h but
 * for one 23 h and one 25 h day, and the autumn day has 25 hours. */
static void test_year_scan(void **state)
{
	int resets[] = { 0, 150, 240 };

	(void)state;
	zone("Europe/Berlin");
	for (size_t r = 0; r < sizeof(resets) / sizeof(resets[0]); r++) {
		struct daycal c;
		time_t t0 = utc("2026-01-01 12:00:00"), t1 = utc("2027-01-01 12:00:00");
		int32_t prev = -1, n23 = 0, n25 = 0, n24 = 0;

		daycal_init(&c, resets[r]);
		for (time_t t = t0; t < t1; t += 300) {
			int32_t d = daycal_day(&c, t);

			assert_true(t >= daycal_start(&c, d) && t < daycal_start(&c, d + 1));
			if (prev >= 0)
				assert_true(d == prev || d == prev + 1);
			if (d != prev) {
				time_t len = daycal_start(&c, d + 1) - daycal_start(&c, d);

				n23 += len == 23 * 3600 || len == 23 * 3600 + 1800;
				n25 += len == 25 * 3600 || len == 24 * 3600 + 1800;
				n24 += len == 24 * 3600;
			}
			prev = d;
		}
		assert_int_equal(n24 + n23 + n25, 366);
		if (resets[r] == 150) {	/* both DST days split across two usage days */
			assert_int_equal(n23, 2);
			assert_int_equal(n25, 1);
		} else {
			assert_int_equal(n23, 1);
			assert_int_equal(n25, 1);
		}
	}
}

static void test_hours_of_autumn_day(void **state)
{
	struct daycal c;
	int32_t d;
	time_t s, e;

	(void)state;
	zone("Europe/Berlin");
	daycal_init(&c, 0);
	d = date(2026, 10, 25);
	s = daycal_start(&c, d);
	e = daycal_start(&c, d + 1);
	assert_int_equal(daycal_hour(e - 1) - daycal_hour(s) + 1, 25);
	assert_int_equal(daycal_hour_start(daycal_hour(s)), s);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_parse_reset),
		cmocka_unit_test(test_civil),
		cmocka_unit_test(test_plain_days),
		cmocka_unit_test(test_spring_23h),
		cmocka_unit_test(test_autumn_25h),
		cmocka_unit_test(test_reset_in_skipped_hour),
		cmocka_unit_test(test_reset_in_repeated_hour),
		cmocka_unit_test(test_new_york),
		cmocka_unit_test(test_half_hour_zone),
		cmocka_unit_test(test_year_scan),
		cmocka_unit_test(test_hours_of_autumn_day),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
