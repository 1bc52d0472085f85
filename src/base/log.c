#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "esc.h"
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

/* A message quotes bytes from packets, files and clients: it is escaped
 * (esc.h) before a terminal or the system log sees it, so that no value
 * can forge a line or drive the terminal of whoever reads the log. */
void log_msg(int prio, const char *fmt, ...)
{
	char msg[LOG_MSG_MAX], out[ESC_SIZE(LOG_MSG_MAX)];
	va_list ap;

	if (prio > log_max)
		return;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	esc_str(msg, out, sizeof(out));
	if (log_syslog)
		syslog(prio, "%s", out);
	fprintf(stderr, "netify: %s\n", out);
}
