/* Usage days, hours and minutes in local time.
 *
 * A usage day is a local calendar day that starts at reset_time (hh:mm,
 * 00:00 by default): day D begins at the first instant at which the wall
 * clock reads D's date and reset_time. When reset_time does not exist on
 * that date (it falls in the hour skipped by a spring-forward change), the
 * day begins when the clocks jump; when it occurs twice (autumn), at its
 * first occurrence. So a day is 24 h long, or 23 h / 25 h across a DST
 * change, and each instant belongs to exactly one day.
 *
 * Minutes are the epoch's: minute m is [60 m, 60 m + 60). They are the
 * wall clock's minutes too in every zone whose offset is a whole number of
 * minutes (all of today's zones), and a day always starts at one.
 *
 * Hours are real hours (3600 s) that start where the local wall clock
 * shows a whole hour: in zones with a :30 or :45 offset they start at :30
 * or :45 UTC. A 25 h day has 25 of them (the repeated hour twice), a 23 h
 * day 23.
 *
 * The time zone is the process's (TZ, tzset()), as for schedules.
 * A struct daycal caches the last day boundaries it computed: one per
 * thread, or under the owner's lock.
 */
#ifndef NETIFY_USAGE_DAYCAL_H
#define NETIFY_USAGE_DAYCAL_H

#include <stddef.h>
#include <stdint.h>
#include <time.h>

#define DAYCAL_MIN_PER_DAY_MAX 1500	/* a 25 h day */

struct daycal {
	int reset_min;		/* minutes after local midnight, 0..1439 */
	int32_t memo_day;	/* day whose bounds are cached, or INT32_MIN */
	time_t memo_start, memo_end;
};

/** daycal_init - a calendar whose days start @reset_min minutes after midnight; 0 or -1 */
int daycal_init(struct daycal *c, int reset_min);

/**
 * daycal_parse_reset - "hh:mm" (00:00 .. 23:59) into minutes after
 * midnight; 0, or -1 with the reason in @err.
 */
int daycal_parse_reset(const char *text, int *minutes, char *err, size_t errlen);

/** daycal_day - the usage day @t belongs to (a local date as days since 1970-01-01) */
int32_t daycal_day(struct daycal *c, time_t t);

/** daycal_start - the first instant of usage day @day */
time_t daycal_start(struct daycal *c, int32_t day);

/** daycal_minute - the minute of @t (epoch minutes) */
static inline uint32_t daycal_minute(time_t t)
{
	return (uint32_t)(t / 60);
}

/** daycal_hour - the local hour of @t as a key that grows by one per real hour */
uint32_t daycal_hour(time_t t);

/** daycal_hour_start - the first instant of hour @key */
time_t daycal_hour_start(uint32_t key);

/** daycal_civil - day number to calendar date (proleptic Gregorian) */
void daycal_civil(int32_t day, int *year, int *month, int *mday);

/** daycal_from_civil - calendar date to day number */
int32_t daycal_from_civil(int year, int month, int mday);

/** daycal_weekday - ISO weekday of a day number: 1 Monday .. 7 Sunday */
int daycal_weekday(int32_t day);

#endif
