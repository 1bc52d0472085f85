/* Helpers of the usage unit tests: instants written as UTC, the zone,
 * a scratch directory. Include after cmocka.h. */
#ifndef NETIFY_TESTS_USAGE_UTEST_H
#define NETIFY_TESTS_USAGE_UTEST_H

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

/* An instant given as UTC wall clock "YYYY-MM-DD hh:mm:ss". */
static inline time_t utc(const char *s)
{
	struct tm tm;

	memset(&tm, 0, sizeof(tm));
	assert_non_null(strptime(s, "%Y-%m-%d %H:%M:%S", &tm));
	return timegm(&tm);
}

/* The process's time zone, as a router sets it (TZ). */
static inline void zone(const char *tz)
{
	setenv("TZ", tz, 1);
	tzset();
}

/* A fresh directory /tmp/NAME.XXXXXX in dir[len]. */
static inline void scratch_dir(char *dir, size_t len, const char *name)
{
	snprintf(dir, len, "/tmp/%s.XXXXXX", name);
	assert_non_null(mkdtemp(dir));
}

static inline int scratch_remove(const char *dir)
{
	char cmd[160];

	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	return system(cmd) == 0 ? 0 : -1;
}

#endif
