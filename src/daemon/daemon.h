/* `netify run`: the inline daemon.
 *
 * One worker thread per NFQUEUE queue, each with its own engine (flow table
 * and nDPI state); the kernel's queue balancing is flow-symmetric, so a
 * flow always lands on the same worker. The main thread owns the nft
 * table, signals (SIGHUP reload, SIGTERM/SIGINT exit, SIGUSR1 counters to
 * the log) and the monitor. A worker waits on its queue socket, and
 * otherwise only briefly: a blocked flow's block-set entry goes through
 * the one nftables socket (a mutex shared with the other workers and a
 * reload, then one netlink send), a DNS answer is copied into the other
 * workers' inboxes under their locks, and a reload or a schedule change
 * rewrites live flows' conntrack marks over the worker's own socket.
 *
 * Replay mode runs the same per-packet path (worker.c: engine, policy,
 * verdict computation, captures, JSON events) on a capture file, without
 * any kernel state.
 */
#ifndef NETIFY_DAEMON_H
#define NETIFY_DAEMON_H

#include <stdbool.h>

struct daemon_opts {
	const char *config;	/* UCI file (/etc/config/netify) */
	const char *apps_dir;	/* overrides the config's apps_dir */
	const char *replay;	/* capture file: replay mode */
	bool pace;		/* replay at the capture's own speed */
	bool daemonize;
	const char *table;	/* nft table name (tests); NULL: "netify" */
	const char *firewall_config;	/* for the offload check; NULL: /etc/config/firewall */
};

/* Runs until SIGTERM/SIGINT (or the end of the capture); returns the exit
 * status: 0 clean, 1 start-up failure. */
int daemon_run(const struct daemon_opts *o);

#endif
