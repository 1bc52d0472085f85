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

#endif
