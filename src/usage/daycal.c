/* Usage days in local time: see daycal.h. */
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "daycal.h"

/* The zone's offset from UTC at instant t, in seconds east. */
static long daycal_gmtoff(time_t t)
{
	struct tm tm;

	if (!localtime_r(&t, &tm))
		return 0;
	return tm.tm_gmtoff;
}

static int64_t floor_div(int64_t a, int64_t b)
{
	int64_t q = a / b;

	return (a % b != 0 && (a < 0) != (b < 0)) ? q - 1 : q;
}

int daycal_init(struct daycal *c, int reset_min)
{
	if (reset_min < 0 || reset_min >= 1440)
		return -1;
	c->reset_min = reset_min;
	c->memo_day = INT32_MIN;
	c->memo_start = c->memo_end = 0;
	return 0;
}

int daycal_parse_reset(const char *text, int *minutes, char *err, size_t errlen)
{
	unsigned int h, m;
	int n = 0;

	if (sscanf(text, "%2u:%2u%n", &h, &m, &n) != 2 || text[n] || n != 5 || h > 23 || m > 59) {
		snprintf(err, errlen, "'%s' is not a time of day hh:mm (00:00 to 23:59)", text);
		return -1;
	}
	*minutes = (int)(h * 60 + m);
	return 0;
}

/* Howard Hinnant's days_from_civil / civil_from_days. */
int32_t daycal_from_civil(int year, int month, int mday)
{
	int64_t y = (int64_t)year - (month <= 2);
	int64_t era = floor_div(y, 400);
	int64_t yoe = y - era * 400;
	int64_t doy = (153 * (month + (month > 2 ? -3 : 9)) + 2) / 5 + mday - 1;
	int64_t doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;

	return (int32_t)(era * 146097 + doe - 719468);
}

void daycal_civil(int32_t day, int *year, int *month, int *mday)
{
	int64_t z = (int64_t)day + 719468;
	int64_t era = floor_div(z, 146097);
	int64_t doe = z - era * 146097;
	int64_t yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
	int64_t doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
	int64_t mp = (5 * doy + 2) / 153;
	int64_t m = mp < 10 ? mp + 3 : mp - 9;

	*year = (int)(yoe + era * 400 + (m <= 2));
	*month = (int)m;
	*mday = (int)(doy - (153 * mp + 2) / 5 + 1);
}

int daycal_weekday(int32_t day)
{
	/* 1970-01-01 was a Thursday (4) */
	return (int)((int64_t)day + 3 - floor_div((int64_t)day + 3, 7) * 7) + 1;
}

/* The first instant whose wall clock reads local-seconds value `want` or
 * later. The offsets a day before and a day after bracket at most one
 * change (zones change offset months apart). */
static time_t daycal_first_at(int64_t want)
{
	long oa = daycal_gmtoff((time_t)(want - 86400)), ob = daycal_gmtoff((time_t)(want + 86400));
	time_t ta = (time_t)(want - oa), tb = (time_t)(want - ob), lo, hi;
	int va = daycal_gmtoff(ta) == oa, vb = daycal_gmtoff(tb) == ob;

	if (va && vb)	/* the wall time occurs twice (autumn): the first */
		return ta < tb ? ta : tb;
	if (va || vb)
		return va ? ta : tb;
	/* in the gap of a spring-forward change: the instant the clocks jump */
	lo = ta < tb ? ta : tb;
	hi = ta < tb ? tb : ta;
	while (hi - lo > 1) {
		time_t mid = lo + (hi - lo) / 2;

		if (daycal_gmtoff(mid) == ob)
			hi = mid;
		else
			lo = mid;
	}
	return hi;
}

time_t daycal_start(struct daycal *c, int32_t day)
{
	if (day == c->memo_day)
		return c->memo_start;
	return daycal_first_at((int64_t)day * 86400 + (int64_t)c->reset_min * 60);
}

int32_t daycal_day(struct daycal *c, time_t t)
{
	int64_t local = (int64_t)t + daycal_gmtoff(t);
	int32_t d;

	if (c->memo_day != INT32_MIN && t >= c->memo_start && t < c->memo_end)
		return c->memo_day;
	d = (int32_t)floor_div(local - (int64_t)c->reset_min * 60, 86400);
	/* the wall clock steps back in autumn: an instant of the repeated
	 * hour can read an earlier day than the one that already began */
	while (t < daycal_first_at((int64_t)d * 86400 + (int64_t)c->reset_min * 60))
		d--;
	while (t >= daycal_first_at((int64_t)(d + 1) * 86400 + (int64_t)c->reset_min * 60))
		d++;
	c->memo_day = d;
	c->memo_start = daycal_first_at((int64_t)d * 86400 + (int64_t)c->reset_min * 60);
	c->memo_end = daycal_first_at((int64_t)(d + 1) * 86400 + (int64_t)c->reset_min * 60);
	return d;
}

/* The offset's part below a whole hour (1800 for +05:30, 2700 for +05:45). */
static long daycal_hour_residue(time_t t)
{
	long r = daycal_gmtoff(t) % 3600;

	return r < 0 ? r + 3600 : r;
}

uint32_t daycal_hour(time_t t)
{
	return (uint32_t)(((int64_t)t + daycal_hour_residue(t)) / 3600);
}

time_t daycal_hour_start(uint32_t key)
{
	time_t t = (time_t)key * 3600;

	return t - daycal_hour_residue(t);
}
