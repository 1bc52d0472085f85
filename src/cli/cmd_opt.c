/* Option values shared by the commands (cmd.h). */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cmd.h"
#include "esc.h"

int cmd_uint(const char *cmd, const char *opt, const char *arg, unsigned long long min,
	     unsigned long long max, unsigned long long *out)
{
	unsigned long long v;
	char *end;

	/* strtoull alone takes "-1", " 7" and "" */
	if (arg[0] >= '0' && arg[0] <= '9') {
		errno = 0;
		v = strtoull(arg, &end, 10);
		if (!errno && !*end && v >= min && v <= max) {
			*out = v;
			return 0;
		}
	}
	fprintf(stderr, "netify %s: %s: '%s' is not a number from %llu to %llu\n", cmd, opt, esc(arg),
		min, max);
	return -1;
}
