/* netify: multi-call entry point (`netify classify`, `netify run`, ...). */
#include "config.h"

#include <stdio.h>
#include <string.h>

#include "cmd.h"
#include "esc.h"

struct command {
	const char *name;
	int (*fn)(int argc, char **argv);
	const char *help;
};

static const struct command commands[] = {
	{ "classify", cmd_classify, "classify the flows of capture files, print JSON" },
	{ "run",      cmd_run,      "run the inline daemon (NFQUEUE) or replay a capture" },
	{ "check",    cmd_check,    "validate /etc/config/netify and print the policy" },
	{ "policy",   cmd_policy,   "policy test: which rule a device/app hits" },
	{ "apps",     cmd_apps,     "list applications, look up a host or address" },
	{ "status",   cmd_status,   "ask the running daemon for its status" },
	{ "flows",    cmd_flows,    "list the running daemon's flows" },
	{ "reload",   cmd_reload,   "reload configuration and definitions" },
	{ "usage",    cmd_usage,    "usage per device and application, daily limits" },
	{ "rpc",      cmd_rpc,      "rpcd exec plugin (list / call METHOD)" },
	{ "uci",      cmd_uci,      "show / export a UCI file as netify parses it" },
};

static int usage(FILE *out)
{
	size_t i;

	fprintf(out, "usage: netify COMMAND [ARGS]\n\ncommands:\n");
	for (i = 0; i < sizeof(commands) / sizeof(commands[0]); i++)
		fprintf(out, "  %-9s %s\n", commands[i].name, commands[i].help);
	fprintf(out, "\n`netify COMMAND --help` for a command's options; man netify(8).\n");
	return out == stderr ? 2 : 0;
}

int main(int argc, char **argv)
{
	size_t i;

	if (argc < 2)
		return usage(stderr);
	if (!strcmp(argv[1], "-h") || !strcmp(argv[1], "--help") || !strcmp(argv[1], "help"))
		return usage(stdout);
	if (!strcmp(argv[1], "--version") || !strcmp(argv[1], "version")) {
		printf("netify %s\n", PACKAGE_VERSION);
		return 0;
	}
	for (i = 0; i < sizeof(commands) / sizeof(commands[0]); i++) {
		if (strcmp(argv[1], commands[i].name))
			continue;
		return commands[i].fn(argc - 1, argv + 1);
	}
	fprintf(stderr, "netify: unknown command '%s'\n", esc(argv[1]));
	return usage(stderr);
}
