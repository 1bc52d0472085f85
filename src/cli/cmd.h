/* Sub-commands of the multi-call netify binary. Each takes argv with
 * argv[0] set to the command name, as getopt_long expects. */
#ifndef NETIFY_CMD_H
#define NETIFY_CMD_H

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
