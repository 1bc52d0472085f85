/*
 * sched.c - rule time windows (see sched.h for the semantics).
 *
 * Dates and times are compared as broken-down wall-clock values rather than
 * converted to time_t at load: a rule saying "until 07:00" must end at 07:00
 * on the day of a DST change too, and a reload is not needed when the
 * offset changes.
 */
#include <ctype.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "sched.h"

#define SCHED_TOKEN_MAX	32

static const char *const sched_day_names[7] = {
	"sunday", "monday", "tuesday", "wednesday", "thursday", "friday",
	"saturday",
};

static const char *const sched_day_short[7] = {
	"Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat",
};

void sched_init(struct sched *s)
{
	memset(s, 0, sizeof(*s));
	s->start_time = SCHED_UNSET;
	s->stop_time = SCHED_UNSET;
	s->start_date = SCHED_UNSET;
	s->stop_date = SCHED_UNSET;
}

bool sched_is_always(const struct sched *s)
{
	return !s->weekdays && !s->monthdays &&
	       s->start_time == SCHED_UNSET && s->stop_time == SCHED_UNSET &&
	       s->start_date == SCHED_UNSET && s->stop_date == SCHED_UNSET;
}

/* Next token of a space/comma separated list; returns its length, 0 at end. */
static size_t sched_next_token(const char **cur, char *tok)
{
	const char *p = *cur;
	size_t n = 0;

	while (*p && (isspace((unsigned char)*p) || *p == ','))
		p++;
	while (*p && !isspace((unsigned char)*p) && *p != ',') {
		if (n < SCHED_TOKEN_MAX)
			tok[n] = *p;
		n++;
		p++;
	}
	*cur = p;
	tok[n < SCHED_TOKEN_MAX ? n : SCHED_TOKEN_MAX] = '\0';
	return n;
}

/* A leading "!" (alone or glued to the first item) inverts the list. */
static const char *sched_take_invert(const char *text, bool *invert)
{
	while (isspace((unsigned char)*text))
		text++;
	*invert = *text == '!';
	return *invert ? text + 1 : text;
}

static int sched_parse_uint(const char *tok, unsigned max, unsigned *out)
{
	unsigned v = 0;

	if (!*tok)
		return -1;
	for (; *tok; tok++) {
		if (!isdigit((unsigned char)*tok))
			return -1;
		v = v * 10 + (unsigned)(*tok - '0');
		if (v > max)
			return -1;
	}
	*out = v;
	return 0;
}

/* Day index (tm_wday) of a name prefix or ISO number, -1 if not a day. */
static int sched_weekday_lookup(const char *tok, size_t len)
{
	unsigned iso;
	int found = -1;

	if (sched_parse_uint(tok, 7, &iso) == 0)
		return iso >= 1 ? (int)(iso % 7) : -1;
	if (len < 2 || len > SCHED_TOKEN_MAX)
		return -1;
	for (int d = 0; d < 7; d++) {
		if (strlen(sched_day_names[d]) < len ||
		    strncasecmp(sched_day_names[d], tok, len) != 0)
			continue;
		if (found >= 0)
			return -1;	/* ambiguous ("t", "s" never get here) */
		found = d;
	}
	return found;
}

int sched_parse_weekdays(struct sched *s, const char *text,
			 char *err, size_t errlen)
{
	char tok[SCHED_TOKEN_MAX + 1];
	const char *cur = sched_take_invert(text, &s->weekdays_invert);
	uint8_t mask = 0;
	size_t len;

	while ((len = sched_next_token(&cur, tok)) > 0) {
		int d = sched_weekday_lookup(tok, len);

		if (d < 0) {
			snprintf(err, errlen, "invalid weekday '%s'", tok);
			return -1;
		}
		mask |= (uint8_t)(1u << d);
	}
	if (!mask) {
		snprintf(err, errlen, "no weekday given");
		return -1;
	}
	s->weekdays = mask;
	return 0;
}

int sched_parse_monthdays(struct sched *s, const char *text,
			  char *err, size_t errlen)
{
	char tok[SCHED_TOKEN_MAX + 1];
	const char *cur = sched_take_invert(text, &s->monthdays_invert);
	uint32_t mask = 0;
	unsigned day;
	size_t len;

	while ((len = sched_next_token(&cur, tok)) > 0) {
		if (len > SCHED_TOKEN_MAX ||
		    sched_parse_uint(tok, 31, &day) < 0 || day < 1) {
			snprintf(err, errlen, "invalid day of month '%s'", tok);
			return -1;
		}
		mask |= 1u << day;
	}
	if (!mask) {
		snprintf(err, errlen, "no day of month given");
		return -1;
	}
	s->monthdays = mask;
	return 0;
}

/*
 * Reads up to @n numeric fields of exactly @width digits (the first of
 * width @first_width, 0 meaning one or two) separated by @sep.  Returns the count read, -1 on
 * anything else.  *@end points after the last field.
 */
static int sched_scan_fields(const char *p, const char **end, char sep,
			     int first_width, int width, int n, unsigned *v)
{
	int i;

	for (i = 0; i < n; i++) {
		int w = i ? width : first_width;

		if (i) {
			if (*p != sep)
				break;
			p++;
		}
		v[i] = 0;
		for (int k = 0; k < (w ? w : 2); k++, p++) {
			/* width 0: one or two digits ("8:00" and "08:00") */
			if (!w && k == 1 && !isdigit((unsigned char)*p))
				break;
			if (!isdigit((unsigned char)*p))
				return -1;
			v[i] = v[i] * 10 + (unsigned)(*p - '0');
		}
	}
	*end = p;
	return i;
}

static int sched_time_fields(const char *text, const char **end,
			     int32_t *secs)
{
	unsigned v[3] = { 0, 0, 0 };
	int n = sched_scan_fields(text, end, ':', 0, 2, 3, v);

	if (n < 1 || v[0] > 23 || v[1] > 59 || v[2] > 59)
		return -1;
	*secs = (int32_t)(v[0] * 3600 + v[1] * 60 + v[2]);
	return 0;
}

int sched_parse_time(const char *text, int32_t *secs, char *err,
		     size_t errlen)
{
	const char *end;

	if (sched_time_fields(text, &end, secs) < 0 || *end) {
		snprintf(err, errlen, "invalid time '%s' (want hh:mm[:ss])",
			 text);
		return -1;
	}
	return 0;
}

static bool sched_leap(unsigned y)
{
	return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
}

static unsigned sched_month_days(unsigned y, unsigned m)
{
	static const unsigned char days[12] = {
		31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31
	};

	return m == 2 && sched_leap(y) ? 29 : days[m - 1];
}

static int64_t sched_pack(unsigned y, unsigned mo, unsigned d, int32_t secs)
{
	int64_t hms = (secs / 3600) * 10000 + (secs / 60 % 60) * 100 +
		      secs % 60;

	return ((int64_t)y * 10000 + mo * 100 + d) * 1000000 + hms;
}

static int sched_date_fields(const char *text, int64_t *stamp)
{
	unsigned v[3] = { 0, 1, 1 };
	int32_t secs = 0;
	const char *p;
	int n = sched_scan_fields(text, &p, '-', 4, 2, 3, v);

	if (n < 1 || v[0] < 1970 || v[0] > 2199 || v[1] < 1 || v[1] > 12 ||
	    v[2] < 1 || v[2] > sched_month_days(v[0], v[1]))
		return -1;
	if (*p && (n < 3 || (*p != ' ' && *p != 'T')))
		return -1;
	if (*p && (sched_time_fields(p + 1, &p, &secs) < 0 || *p))
		return -1;
	*stamp = sched_pack(v[0], v[1], v[2], secs);
	return 0;
}

int sched_parse_date(const char *text, int64_t *stamp, char *err,
		     size_t errlen)
{
	if (sched_date_fields(text, stamp) < 0) {
		snprintf(err, errlen,
			 "invalid date '%s' (want YYYY-MM-DD[ hh:mm[:ss]])",
			 text);
		return -1;
	}
	return 0;
}

static bool sched_in_list(uint32_t mask, bool invert, unsigned bit)
{
	return !mask || (((mask >> bit) & 1u) != 0) != invert;
}

/*
 * stop < start spans midnight: active from start to the end of the day and
 * from midnight to stop (nft turns such a "meta hour" range around too).
 */
static bool sched_time_ok(const struct sched *s, int32_t now)
{
	int32_t start = s->start_time, stop = s->stop_time;

	if (start == SCHED_UNSET && stop == SCHED_UNSET)
		return true;
	if (stop == SCHED_UNSET)
		return now >= start;
	if (start == SCHED_UNSET)
		return now <= stop;
	if (start <= stop)
		return now >= start && now <= stop;
	return now >= start || now <= stop;
}

bool sched_active(const struct sched *s, time_t now)
{
	struct tm tm;
	int32_t secs;
	int64_t stamp;

	if (sched_is_always(s))
		return true;
	if (!(s->utc ? gmtime_r(&now, &tm) : localtime_r(&now, &tm)))
		return false;
	secs = tm.tm_hour * 3600 + tm.tm_min * 60 + tm.tm_sec;
	stamp = sched_pack((unsigned)tm.tm_year + 1900,
			   (unsigned)tm.tm_mon + 1, (unsigned)tm.tm_mday, secs);
	if (s->start_date != SCHED_UNSET && stamp < s->start_date)
		return false;
	if (s->stop_date != SCHED_UNSET && stamp > s->stop_date)
		return false;
	return sched_in_list(s->weekdays, s->weekdays_invert,
			     (unsigned)tm.tm_wday) &&
	       sched_in_list(s->monthdays, s->monthdays_invert,
			     (unsigned)tm.tm_mday) &&
	       sched_time_ok(s, secs);
}

void sched_format_date(int64_t stamp, char *buf, size_t len)
{
	int64_t date = stamp / 1000000, hms = stamp % 1000000;

	snprintf(buf, len, "%04d-%02d-%02d %02d:%02d:%02d",
		 (int)(date / 10000), (int)(date / 100 % 100),
		 (int)(date % 100), (int)(hms / 10000),
		 (int)(hms / 100 % 100), (int)(hms % 100));
}

/* Bounded appender: keeps counting past the end like snprintf. */
struct sched_out {
	char *buf;
	size_t len;
	size_t pos;
};

static void sched_put(struct sched_out *o, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

static void sched_put(struct sched_out *o, const char *fmt, ...)
{
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(o->pos < o->len ? o->buf + o->pos : NULL,
		      o->pos < o->len ? o->len - o->pos : 0, fmt, ap);
	va_end(ap);
	if (n > 0)
		o->pos += (size_t)n;
}

static void sched_put_sep(struct sched_out *o)
{
	if (o->pos)
		sched_put(o, ", ");
}

static void sched_describe_days(struct sched_out *o, const struct sched *s)
{
	if (s->weekdays) {
		sched_put_sep(o);
		sched_put(o, "%s", s->weekdays_invert ? "except" : "on");
		for (int d = 1; d <= 7; d++)	/* Monday first */
			if (s->weekdays & (1u << (d % 7)))
				sched_put(o, " %s", sched_day_short[d % 7]);
	}
	if (s->monthdays) {
		sched_put_sep(o);
		sched_put(o, "%s day", s->monthdays_invert ?
			  "except on" : "on");
		for (unsigned d = 1; d <= 31; d++)
			if (s->monthdays & (1u << d))
				sched_put(o, " %u", d);
		sched_put(o, " of the month");
	}
}

static void sched_put_time(struct sched_out *o, int32_t t)
{
	sched_put(o, "%02d:%02d", (int)(t / 3600), (int)(t / 60 % 60));
	if (t % 60)
		sched_put(o, ":%02d", (int)(t % 60));
}

static void sched_describe_times(struct sched_out *o, const struct sched *s)
{
	char date[32];

	if (s->start_time != SCHED_UNSET || s->stop_time != SCHED_UNSET) {
		sched_put_sep(o);
		sched_put(o, "from ");
		sched_put_time(o, s->start_time == SCHED_UNSET ?
			       0 : s->start_time);
		sched_put(o, " to ");
		if (s->stop_time == SCHED_UNSET)
			sched_put(o, "midnight");
		else
			sched_put_time(o, s->stop_time);
		if (s->start_time != SCHED_UNSET &&
		    s->stop_time != SCHED_UNSET && s->stop_time < s->start_time)
			sched_put(o, " (over midnight)");
	}
	if (s->start_date != SCHED_UNSET) {
		sched_format_date(s->start_date, date, sizeof(date));
		sched_put_sep(o);
		sched_put(o, "from %s", date);
	}
	if (s->stop_date != SCHED_UNSET) {
		sched_format_date(s->stop_date, date, sizeof(date));
		sched_put_sep(o);
		sched_put(o, "until %s", date);
	}
}

int sched_describe(const struct sched *s, char *buf, size_t len)
{
	struct sched_out o = { buf, len, 0 };

	if (len)
		buf[0] = '\0';
	if (sched_is_always(s)) {
		sched_put(&o, "always");
		return (int)o.pos;
	}
	sched_describe_days(&o, s);
	sched_describe_times(&o, s);
	sched_put(&o, " (%s)", s->utc ? "UTC" : "local time");
	return (int)o.pos;
}
