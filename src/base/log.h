/* Logging to stderr and, in the daemon, syslog. */
#ifndef NETIFY_LOG_H
#define NETIFY_LOG_H

#include <syslog.h>

#define LOG_MSG_MAX 1024	/* bytes of one message, before escaping */

void log_open(const char *ident, int use_syslog, int level);
void log_set_level(int level);
int log_level_from_name(const char *name);	/* LOG_* or -1 */
void log_msg(int prio, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* Logs only the first time *flag is clear: for "table full" conditions that
 * are counted every time but must not flood the log. */
#define log_once(flag, prio, ...) do {		\
	if (!*(flag)) {				\
		*(flag) = 1;			\
		log_msg(prio, __VA_ARGS__);	\
	}					\
} while (0)

#endif
