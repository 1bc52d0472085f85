/* `netify run`: the inline daemon, or a replay of a capture through the
 * same pipeline. */
#include "config.h"

#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>

#include "cmd.h"
#include "daemon.h"

#define RUN_CONFIG "/etc/config/netify"

static void run_usage(FILE *out)
{
	fprintf(out,
		"usage: netify run [-c FILE] [-d] [--apps DIR] [-r CAPTURE [--pace]]\n"
		"  -c, --config FILE   UCI configuration (default " RUN_CONFIG ", or $NETIFY_CONFIG)\n"
		"  -d, --daemon        detach (procd runs netify in the foreground)\n"
		"      --apps DIR      application definitions (overrides apps_dir)\n"
		"  -r, --replay FILE   run the pipeline on a capture, print flow events, no verdicts\n"
		"      --pace          replay at the capture's own speed\n"
		"      --table NAME    nftables table name (default netify; for tests)\n");
}

int cmd_run(int argc, char **argv)
{
	enum { OPT_APPS = 256, OPT_PACE, OPT_TABLE, OPT_FIREWALL };
	static const struct option longopts[] = {
		{ "config", required_argument, NULL, 'c' },
		{ "daemon", no_argument, NULL, 'd' },
		{ "replay", required_argument, NULL, 'r' },
		{ "apps", required_argument, NULL, OPT_APPS },
		{ "pace", no_argument, NULL, OPT_PACE },
		{ "table", required_argument, NULL, OPT_TABLE },
		{ "firewall-config", required_argument, NULL, OPT_FIREWALL },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	struct daemon_opts o = { .config = getenv("NETIFY_CONFIG") };
	int c;

	while ((c = getopt_long(argc, argv, "c:dr:h", longopts, NULL)) != -1) {
		switch (c) {
		case 'c': o.config = optarg; break;
		case 'd': o.daemonize = true; break;
		case 'r': o.replay = optarg; break;
		case OPT_APPS: o.apps_dir = optarg; break;
		case OPT_PACE: o.pace = true; break;
		case OPT_TABLE: o.table = optarg; break;
		case OPT_FIREWALL: o.firewall_config = optarg; break;
		case 'h': run_usage(stdout); return 0;
		default: run_usage(stderr); return 2;
		}
	}
	if (optind < argc || (o.pace && !o.replay)) {
		run_usage(stderr);
		return 2;
	}
	if (!o.config)
		o.config = RUN_CONFIG;
	return daemon_run(&o);
}
