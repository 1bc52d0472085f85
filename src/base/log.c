#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "log.h"

static int log_syslog;
static int log_max = LOG_NOTICE;

void log_open(const char *ident, int use_syslog, int level)
{
	log_syslog = use_syslog;
	log_max = level;
	if (use_syslog)
		openlog(ident, LOG_PID, LOG_DAEMON);
}

void log_set_level(int level)
{
	log_max = level;
}

int log_level_from_name(const char *name)
{
	static const struct { const char *name; int level; } levels[] = {
		{ "err", LOG_ERR }, { "error", LOG_ERR }, { "warning", LOG_WARNING },
		{ "warn", LOG_WARNING }, { "notice", LOG_NOTICE }, { "info", LOG_INFO },
		{ "debug", LOG_DEBUG },
	};
	size_t i;

	for (i = 0; i < sizeof(levels) / sizeof(levels[0]); i++)
		if (!strcasecmp(name, levels[i].name))
			return levels[i].level;
	return -1;
}

void log_msg(int prio, const char *fmt, ...)
{
	va_list ap;

	if (prio > log_max)
		return;
	va_start(ap, fmt);
	if (log_syslog) {
		va_list ap2;

		va_copy(ap2, ap);
		vsyslog(prio, fmt, ap2);
		va_end(ap2);
	}
	fprintf(stderr, "netify: ");
	vfprintf(stderr, fmt, ap);
	fputc('\n', stderr);
	va_end(ap);
}
