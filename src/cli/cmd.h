/* Sub-commands of the multi-call netify binary. Each takes argv with
 * argv[0] set to the command name, as getopt_long expects. */
#ifndef NETIFY_CMD_H
#define NETIFY_CMD_H

#include <stdbool.h>
#include <yajl/yajl_tree.h>

int cmd_classify(int argc, char **argv);
int cmd_uci(int argc, char **argv);
int cmd_check(int argc, char **argv);
int cmd_policy(int argc, char **argv);
int cmd_apps(int argc, char **argv);
int cmd_run(int argc, char **argv);
int cmd_status(int argc, char **argv);
int cmd_flows(int argc, char **argv);
int cmd_reload(int argc, char **argv);
int cmd_rpc(int argc, char **argv);
int cmd_usage(int argc, char **argv);

/* cmd_ctl.c: one control method for a command; @print gets the parsed
 * reply (yajl_val), unless @json (printed as is). 0, 1, or 3 (not running). */
int ctl_command(const char *socket, bool json, const char *method, yajl_val args,
		void (*print)(yajl_val));

/**
 * cmd_uint - the value of a numeric option: decimal digits only (no sign,
 * no space, no empty value), from @min to @max, checked before any
 * narrowing, so that 4294967297 is an error rather than 1. Otherwise it
 * prints "netify CMD: OPT: 'ARG' is not a number from MIN to MAX" and
 * returns -1: the command exits 2, a usage error.
 */
int cmd_uint(const char *cmd, const char *opt, const char *arg, unsigned long long min,
	     unsigned long long max, unsigned long long *out);

#endif
