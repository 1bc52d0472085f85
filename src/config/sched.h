/*
 * sched.h - time windows of policy rules, with firewall4's option names
 * and meaning (weekdays, monthdays, start_time/stop_time,
 * start_date/stop_date, utc_time).
 *
 * A schedule is evaluated against a wall clock: the broken-down local time
 * of the given instant (or UTC when utc_time is set), so "18:00" stays
 * 18:00 across DST changes and the time zone comes from TZ / tzset() like
 * any libc program.  Every unset field matches everything; all set fields
 * must hold at once.
 */
#ifndef NETIFY_SCHED_H
#define NETIFY_SCHED_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>

#define SCHED_UNSET	(-1)

struct sched {
	uint8_t weekdays;	/* bit n = tm_wday n (0 Sunday); 0 = any day */
	bool weekdays_invert;	/* '!' prefix: every day but those listed */
	uint32_t monthdays;	/* bit n = day n (1..31); 0 = any day */
	bool monthdays_invert;
	int32_t start_time;	/* seconds since midnight, or SCHED_UNSET */
	int32_t stop_time;	/* inclusive; below start_time = over midnight */
	int64_t start_date;	/* YYYYMMDDhhmmss as a number, or SCHED_UNSET */
	int64_t stop_date;	/* inclusive */
	bool utc;		/* evaluate in UTC instead of local time */
};

/** sched_init - an "always" schedule (every field unset) */
void sched_init(struct sched *s);

/** sched_is_always - true if no field restricts the schedule */
bool sched_is_always(const struct sched *s);

/*
 * Parsers.  Each returns 0, or -1 with a short reason in @err (for the
 * caller's "file:line: rule 'x': ..." message).
 */

/**
 * sched_parse_weekdays - "Mon Tue", "! Sat Sun", "monday tuEsday Th", "1 7"
 * Names are matched case-insensitively by unambiguous prefix (two letters
 * at least) as fw4 does; numbers are ISO days (1 Monday .. 7 Sunday).
 */
int sched_parse_weekdays(struct sched *s, const char *text,
			 char *err, size_t errlen);

/** sched_parse_monthdays - "1 15", "! 31": days of the month 1..31 */
int sched_parse_monthdays(struct sched *s, const char *text,
			  char *err, size_t errlen);

/** sched_parse_time - "hh[:mm[:ss]]" into seconds since midnight */
int sched_parse_time(const char *text, int32_t *secs, char *err,
		     size_t errlen);

/**
 * sched_parse_date - "YYYY[-MM[-DD[( |T)hh[:mm[:ss]]]]]"; missing parts are
 * the earliest value (month 1, day 1, 00:00:00), as fw4 renders them.
 */
int sched_parse_date(const char *text, int64_t *stamp, char *err,
		     size_t errlen);

/** sched_active - true if @s holds at instant @now */
bool sched_active(const struct sched *s, time_t now);

/**
 * sched_describe - the schedule in words ("Mon Tue 18:00-07:00 (over
 * midnight), local time"), "always" when unrestricted.  Returns the length
 * that would have been written, as snprintf.
 */
int sched_describe(const struct sched *s, char *buf, size_t len);

/** sched_format_date - a stamp as "YYYY-MM-DD hh:mm:ss" (buf >= 20 bytes) */
void sched_format_date(int64_t stamp, char *buf, size_t len);

#endif /* NETIFY_SCHED_H */
