/* rss.h - resident set size of the test process, for "allocates lazily"
 * checks: a table created untouched must not add its full size to RSS. */
#ifndef NETIFY_TEST_RSS_H
#define NETIFY_TEST_RSS_H

#include <stdio.h>
#include <string.h>

/* VmRSS in KiB, or -1 when /proc is not there. */
static inline long rss_kib(void)
{
	char line[128];
	long kib = -1;
	FILE *f = fopen("/proc/self/status", "r");

	if (!f)
		return -1;
	while (fgets(line, sizeof(line), f))
		if (strncmp(line, "VmRSS:", 6) == 0 &&
		    sscanf(line + 6, "%ld", &kib) == 1)
			break;
	fclose(f);
	return kib;
}

#endif
