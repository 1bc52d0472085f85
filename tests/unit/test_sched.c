/*
 * test_sched.c - schedule parsing and evaluation: fw4 weekday syntax,
 * over-midnight windows, DST changes in Europe/Berlin, UTC vs local time,
 * date ranges.
 */
#define _GNU_SOURCE	/* strptime, timegm */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <cmocka.h>

#include "sched.h"

static char err[128];

/* An instant given as UTC wall clock "YYYY-MM-DD hh:mm:ss". */
static time_t at_utc(const char *s)
{
	struct tm tm;

	memset(&tm, 0, sizeof(tm));
	assert_non_null(strptime(s, "%Y-%m-%d %H:%M:%S", &tm));
	return timegm(&tm);
}

static int setup_berlin(void **state)
{
	(void)state;
	setenv("TZ", "Europe/Berlin", 1);
	tzset();
	return 0;
}

static struct sched window(const char *start, const char *stop)
{
	struct sched s;

	sched_init(&s);
	if (start)
		assert_int_equal(sched_parse_time(start, &s.start_time, err,
						  sizeof(err)), 0);
	if (stop)
		assert_int_equal(sched_parse_time(stop, &s.stop_time, err,
						  sizeof(err)), 0);
	return s;
}

static void test_weekdays_fw4_names(void **state)
{
	struct sched s;

	(void)state;
	sched_init(&s);
	assert_int_equal(sched_parse_weekdays(&s, "Monday tuEsday wed SUN Th",
					      err, sizeof(err)), 0);
	assert_int_equal(s.weekdays, (1 << 1) | (1 << 2) | (1 << 3) |
					     (1 << 0) | (1 << 4));
	assert_false(s.weekdays_invert);
	assert_int_equal(sched_parse_weekdays(&s, "1,7", err, sizeof(err)), 0);
	assert_int_equal(s.weekdays, (1 << 1) | (1 << 0));
}

static void test_weekdays_negation(void **state)
{
	struct sched s;

	(void)state;
	sched_init(&s);
	assert_int_equal(sched_parse_weekdays(&s, "! Sat Sun", err,
					      sizeof(err)), 0);
	assert_true(s.weekdays_invert);
	assert_int_equal(s.weekdays, (1 << 6) | (1 << 0));
	sched_init(&s);
	assert_int_equal(sched_parse_weekdays(&s, "!Sat", err, sizeof(err)), 0);
	assert_true(s.weekdays_invert);
	assert_int_equal(s.weekdays, 1 << 6);
	/* Saturday 2026-11-28 12:00 local: excluded; Monday: included */
	assert_false(sched_active(&s, at_utc("2026-11-28 11:00:00")));
	assert_true(sched_active(&s, at_utc("2026-11-30 11:00:00")));
}

static void test_weekdays_invalid(void **state)
{
	static const char *const bad[] = {
		"Funday", "M", "T", "", "!", "8", "0", "Mon Xyz", "mondayy",
		"mooooooooooooooooooooooooooooooooooooooonday",
	};
	struct sched s;

	(void)state;
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		sched_init(&s);
		assert_int_equal(sched_parse_weekdays(&s, bad[i], err,
						      sizeof(err)), -1);
		assert_int_equal(s.weekdays, 0);
	}
	sched_init(&s);
	sched_parse_weekdays(&s, "Funday", err, sizeof(err));
	assert_string_equal(err, "invalid weekday 'Funday'");
}

static void test_monthdays(void **state)
{
	static const char *const bad[] = { "0", "32", "x", "", "! ", "1 -2" };
	struct sched s;

	(void)state;
	sched_init(&s);
	assert_int_equal(sched_parse_monthdays(&s, "1 15 31", err,
					       sizeof(err)), 0);
	assert_int_equal(s.monthdays, (1u << 1) | (1u << 15) | (1u << 31));
	assert_true(sched_active(&s, at_utc("2026-01-15 12:00:00")));
	assert_false(sched_active(&s, at_utc("2026-01-16 12:00:00")));
	/* local time: 2026-01-14 23:30 UTC is the 15th in Berlin */
	assert_true(sched_active(&s, at_utc("2026-01-14 23:30:00")));
	sched_init(&s);
	assert_int_equal(sched_parse_monthdays(&s, "! 1", err, sizeof(err)), 0);
	assert_false(sched_active(&s, at_utc("2026-02-01 12:00:00")));
	assert_true(sched_active(&s, at_utc("2026-02-02 12:00:00")));
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		sched_init(&s);
		assert_int_equal(sched_parse_monthdays(&s, bad[i], err,
						       sizeof(err)), -1);
	}
}

static void test_parse_time(void **state)
{
	static const char *const bad[] = {
		"24:00", "12:60", "12:00:60", "", "1200", "12:0", "12:00:",
		"-1:00", "12:00 ", "123",
	};
	int32_t t;

	(void)state;
	assert_int_equal(sched_parse_time("21", &t, err, sizeof(err)), 0);
	assert_int_equal(t, 21 * 3600);
	assert_int_equal(sched_parse_time("21:51", &t, err, sizeof(err)), 0);
	assert_int_equal(t, 21 * 3600 + 51 * 60);
	assert_int_equal(sched_parse_time("21:51:23", &t, err, sizeof(err)), 0);
	assert_int_equal(t, 21 * 3600 + 51 * 60 + 23);
	assert_int_equal(sched_parse_time("8:05", &t, err, sizeof(err)), 0);
	assert_int_equal(t, 8 * 3600 + 5 * 60);
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		assert_int_equal(sched_parse_time(bad[i], &t, err,
						  sizeof(err)), -1);
}

static void test_parse_date(void **state)
{
	static const char *const bad[] = {
		"2026-02-29", "2026-13-01", "2026-00-10", "2026-09-01 25:00",
		"2026/09/01", "2026-09-01x", "26-09-01", "2026-9-1", "",
		"2026-09 10:00", "1969-12-31", "2026-09-01T",
	};
	int64_t d;

	(void)state;
	assert_int_equal(sched_parse_date("2026-09-01", &d, err,
					  sizeof(err)), 0);
	assert_int_equal(d, 20260901000000LL);
	assert_int_equal(sched_parse_date("2022-05-30T21:51:23", &d, err,
					  sizeof(err)), 0);
	assert_int_equal(d, 20220530215123LL);
	assert_int_equal(sched_parse_date("2027-06-30 23:59", &d, err,
					  sizeof(err)), 0);
	assert_int_equal(d, 20270630235900LL);
	assert_int_equal(sched_parse_date("2022-05", &d, err, sizeof(err)), 0);
	assert_int_equal(d, 20220501000000LL);
	assert_int_equal(sched_parse_date("2022", &d, err, sizeof(err)), 0);
	assert_int_equal(d, 20220101000000LL);
	assert_int_equal(sched_parse_date("2028-02-29", &d, err,
					  sizeof(err)), 0);
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		assert_int_equal(sched_parse_date(bad[i], &d, err,
						  sizeof(err)), -1);
}

static void test_over_midnight(void **state)
{
	struct sched s = window("18:00", "07:00");

	(void)state;
	/* winter, CET = UTC+1 */
	assert_true(sched_active(&s, at_utc("2026-01-10 17:00:00")));  /* 18:00 */
	assert_false(sched_active(&s, at_utc("2026-01-10 16:59:59"))); /* 17:59:59 */
	assert_true(sched_active(&s, at_utc("2026-01-10 22:59:59")));  /* 23:59:59 */
	assert_true(sched_active(&s, at_utc("2026-01-10 23:00:00")));  /* 00:00 */
	assert_true(sched_active(&s, at_utc("2026-01-11 06:00:00")));  /* 07:00 */
	assert_false(sched_active(&s, at_utc("2026-01-11 06:00:01")));
	assert_false(sched_active(&s, at_utc("2026-01-11 11:00:00")));
}

static void test_plain_window_and_open_ends(void **state)
{
	struct sched s = window("08:00", "16:30");
	struct sched from = window("21:00", NULL);
	struct sched until = window(NULL, "06:00");

	(void)state;
	assert_false(sched_active(&s, at_utc("2026-01-10 06:59:59")));
	assert_true(sched_active(&s, at_utc("2026-01-10 07:00:00")));
	assert_true(sched_active(&s, at_utc("2026-01-10 15:30:00")));
	assert_false(sched_active(&s, at_utc("2026-01-10 15:30:01")));
	assert_true(sched_active(&from, at_utc("2026-01-10 22:59:00")));
	assert_false(sched_active(&from, at_utc("2026-01-10 19:59:00")));
	assert_true(sched_active(&until, at_utc("2026-01-10 04:00:00")));
	assert_false(sched_active(&until, at_utc("2026-01-10 06:00:00")));
}

/* Spring forward, 2026-03-29 02:00 CET -> 03:00 CEST: the window follows
 * the wall clock, so "until 07:00" ends an hour earlier in UTC. */
static void test_dst_spring_forward(void **state)
{
	struct sched s = window("18:00", "07:00");

	(void)state;
	assert_true(sched_active(&s, at_utc("2026-03-28 05:30:00")));  /* 06:30 CET */
	assert_true(sched_active(&s, at_utc("2026-03-29 04:30:00")));  /* 06:30 CEST */
	assert_false(sched_active(&s, at_utc("2026-03-29 05:30:00"))); /* 07:30 CEST */
	assert_true(sched_active(&s, at_utc("2026-03-29 16:00:00")));  /* 18:00 CEST */
	assert_false(sched_active(&s, at_utc("2026-03-29 15:59:59")));
}

/* Fall back, 2026-10-25 03:00 CEST -> 02:00 CET: 02:xx happens twice and
 * a 02:00-02:59 window is active both times. */
static void test_dst_fall_back(void **state)
{
	struct sched s = window("02:00", "02:59:59");

	(void)state;
	assert_true(sched_active(&s, at_utc("2026-10-25 00:30:00")));  /* 02:30 CEST */
	assert_true(sched_active(&s, at_utc("2026-10-25 01:30:00")));  /* 02:30 CET */
	assert_false(sched_active(&s, at_utc("2026-10-25 02:00:00"))); /* 03:00 CET */
	assert_false(sched_active(&s, at_utc("2026-10-24 23:59:59"))); /* 01:59:59 CEST */
}

static void test_utc_vs_local_weekday(void **state)
{
	struct sched s;
	time_t t = at_utc("2026-11-29 23:30:00");	/* Sun UTC, Mon 00:30 Berlin */

	(void)state;
	sched_init(&s);
	assert_int_equal(sched_parse_weekdays(&s, "Mon", err, sizeof(err)), 0);
	assert_true(sched_active(&s, t));
	s.utc = true;
	assert_false(sched_active(&s, t));
	assert_true(sched_active(&s, at_utc("2026-11-30 00:00:00")));
}

static void test_utc_time_window(void **state)
{
	struct sched s = window("12:00", "13:00");

	(void)state;
	s.utc = true;
	assert_true(sched_active(&s, at_utc("2026-07-01 12:30:00")));
	s.utc = false;	/* 12:30 UTC is 14:30 CEST */
	assert_false(sched_active(&s, at_utc("2026-07-01 12:30:00")));
	assert_true(sched_active(&s, at_utc("2026-07-01 10:30:00")));
}

static void test_date_range(void **state)
{
	struct sched s;

	(void)state;
	sched_init(&s);
	assert_int_equal(sched_parse_date("2026-09-01", &s.start_date, err,
					  sizeof(err)), 0);
	assert_int_equal(sched_parse_date("2027-06-30 23:59:59", &s.stop_date,
					  err, sizeof(err)), 0);
	/* local midnight Berlin (CEST) is 22:00 UTC the day before */
	assert_false(sched_active(&s, at_utc("2026-08-31 21:59:59")));
	assert_true(sched_active(&s, at_utc("2026-08-31 22:00:00")));
	assert_true(sched_active(&s, at_utc("2027-06-30 21:59:59")));
	assert_false(sched_active(&s, at_utc("2027-06-30 22:00:00")));
	s.utc = true;
	assert_false(sched_active(&s, at_utc("2026-08-31 22:00:00")));
	assert_true(sched_active(&s, at_utc("2026-09-01 00:00:00")));
}

static void test_combined_fields(void **state)
{
	struct sched s = window("18:00", "07:00");

	(void)state;
	assert_int_equal(sched_parse_weekdays(&s, "Mon Tue Wed Thu Sun", err,
					      sizeof(err)), 0);
	/* Friday 2026-11-27 20:00 CET: right time, wrong day */
	assert_false(sched_active(&s, at_utc("2026-11-27 19:00:00")));
	/* Sunday 2026-11-29 20:00 CET */
	assert_true(sched_active(&s, at_utc("2026-11-29 19:00:00")));
	/* Monday 06:00 is still the Sunday night; fw4 checks the day of the
	 * moment itself, so it holds because Monday is listed too */
	assert_true(sched_active(&s, at_utc("2026-11-30 05:00:00")));
	/* Saturday 06:00 (Friday night): Saturday not listed */
	assert_false(sched_active(&s, at_utc("2026-11-28 05:00:00")));
}

static void test_always_and_describe(void **state)
{
	struct sched s;
	char buf[256];

	(void)state;
	sched_init(&s);
	assert_true(sched_is_always(&s));
	assert_true(sched_active(&s, 0));
	sched_describe(&s, buf, sizeof(buf));
	assert_string_equal(buf, "always");
	s = window("18:00", "07:00");
	sched_parse_weekdays(&s, "sun mon", err, sizeof(err));
	sched_parse_date("2026-09-01", &s.start_date, err, sizeof(err));
	sched_describe(&s, buf, sizeof(buf));
	assert_string_equal(buf, "on Mon Sun, from 18:00 to 07:00 "
			    "(over midnight), from 2026-09-01 00:00:00 "
			    "(local time)");
	sched_init(&s);
	sched_parse_weekdays(&s, "!sat", err, sizeof(err));
	sched_parse_monthdays(&s, "1 15", err, sizeof(err));
	s.utc = true;
	sched_describe(&s, buf, sizeof(buf));
	assert_string_equal(buf, "except Sat, on day 1 15 of the month (UTC)");
	/* truncation reports the full length and stays terminated */
	assert_true(sched_describe(&s, buf, 8) > 8);
	assert_int_equal(strlen(buf), 7);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_weekdays_fw4_names),
		cmocka_unit_test(test_weekdays_negation),
		cmocka_unit_test(test_weekdays_invalid),
		cmocka_unit_test(test_monthdays),
		cmocka_unit_test(test_parse_time),
		cmocka_unit_test(test_parse_date),
		cmocka_unit_test(test_over_midnight),
		cmocka_unit_test(test_plain_window_and_open_ends),
		cmocka_unit_test(test_dst_spring_forward),
		cmocka_unit_test(test_dst_fall_back),
		cmocka_unit_test(test_utc_vs_local_weekday),
		cmocka_unit_test(test_utc_time_window),
		cmocka_unit_test(test_date_range),
		cmocka_unit_test(test_combined_fields),
		cmocka_unit_test(test_always_and_describe),
	};

	return cmocka_run_group_tests(tests, setup_berlin, NULL);
}
