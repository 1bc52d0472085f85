/* Internals shared by daemon.c (life cycle, reload, replay), worker.c (the
 * packet path of each worker) and daemon_ctl.c (monitor and control
 * callbacks). Not a public interface. */
#ifndef NETIFY_DAEMON_INT_H
#define NETIFY_DAEMON_INT_H

#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdbool.h>
#include <stdint.h>
#include <time.h>
#include <yajl/yajl_gen.h>

#include "daemon.h"
#include "dnscache.h"
#include "engine.h"
#include "jsonw.h"
#include "marks.h"
#include "nft.h"
#include "policy.h"
#include "verdict.h"

struct apps_db;
struct ct;
struct ct_tuple;
struct usage;
struct flowcap;
struct flowevent_outcome;
struct monitor;
struct control;
struct control_args;
struct nfqueue;
struct nfqueue_pkt;

#define DAEMON_WORKERS_MAX 16

/* Policy and definitions in force; immutable, swapped whole on reload. */
struct config {
	struct policy *policy;
	struct apps_db *apps;
	unsigned int gen;
};

/* What a reload did, for the control socket's answer: errors when it
 * failed (the running configuration stays), what it skipped or could not
 * apply when it went through. */
struct reload_report {
	bool ok;
	struct policy_errors errors, warnings;
};

struct worker_stats {
	uint64_t not_ip;	/* accepted without inspection: not decodable */
	uint64_t events_dropped;
	uint64_t replay_packets;
};

/* A packet as a source hands it to its worker: the bytes, and what NFQUEUE
 * said about it out of band (NULL when a capture is replayed). */
struct worker_pkt {
	enum link_type lt;
	const uint8_t *data;
	uint32_t len;
	uint64_t ts_us;
	const struct nfqueue_pkt *nfq;
};

struct daemon_ctx;

struct worker {
	struct daemon_ctx *d;
	unsigned int idx;
	uint16_t queue;
	pthread_t th;
	bool started;
	pthread_mutex_t lock;		/* engine + states: the io thread reads them */
	struct engine *e;
	struct nfqueue *q;
	struct ct *ct;
	struct jsonw ev;		/* flow events, reused */
	struct verdict v;		/* the flows' policy outcomes */
	const struct config *cfg;	/* what this worker uses now */
	unsigned int gen;		/* generation acknowledged (atomic) */
	struct flowcap *cap;		/* unknown-flow packets; NULL when off */
	bool in_packet;			/* inside the engine's handling of a packet */
	struct worker_stats st;
	struct dnscache_inbox inbox;	/* answers other workers saw */
	unsigned int usage_gen;		/* limit events re-matched (daemon_usage.c) */
};

struct daemon_ctx {
	struct daemon_opts opts;
	struct config *cfg;		/* current (atomic pointer) */
	struct policy_main main;	/* settings fixed at start (queues, mask, ...) */
	struct marks marks;
	struct nft *nft;
	struct nft_cfg nftcfg;
	bool nft_installed;
	bool replay;
	FILE *events;			/* flow events also go here (replay: stdout) */
	bool offload;			/* fw4 flow offloading seen at start */
	struct monitor *mon;
	struct control *ctl;
	struct worker w[DAEMON_WORKERS_MAX];
	unsigned int n_workers;
	volatile sig_atomic_t stop;
	unsigned int reload_req;	/* reloads asked by control: a count (atomic) */
	unsigned int reload_seen;	/* main thread: the count its last reload answered */
	unsigned int reload_done;	/* the same, for control (cfg_lock) */
	struct reload_report *reload_last;	/* the last reload's (cfg_lock) */
	uint64_t start_ms;
	uint64_t reloads, reload_errors;
	pthread_mutex_t cfg_lock;	/* io thread reading cfg vs. reload freeing it */
	struct usage *usage;		/* usage accounting and limits; NULL when off */
	unsigned int usage_gen;		/* bumped by a limit reached or lifted (atomic) */
};

/* worker.c */
int worker_init(struct daemon_ctx *d, struct worker *w, unsigned int idx);
int worker_open(struct worker *w);
void worker_fini(struct worker *w);
void worker_set_config(struct worker *w, const struct config *c);
/* Switches to the daemon's current configuration if it changed, re-evaluates
 * the flows, acknowledges (the worker's own thread, or replay's). */
void worker_sync_config(struct worker *w);
void *worker_main(void *arg);	/* the thread of an NFQUEUE worker */
/* Everything that happens to one packet, whatever its source (NFQUEUE, a
 * replayed capture): the engine, the policy outcome, the unknown-flow
 * capture, the DNS answers shared with the other workers. Returns the
 * flow's state, whose bits the caller puts in its verdict; NULL if the
 * packet has no flow (not decodable: accept it). */
struct flowstate *worker_packet(struct worker *w, const struct worker_pkt *p);
/* What the policy did with f, for events and the flow list (device names
 * from p). */
void worker_outcome(const struct worker *w, const struct policy *p, const struct flow *f,
		    const struct flowstate *fs, struct flowevent_outcome *o);

/* The conntrack tuple of f's connection, original direction. */
void worker_tuple(const struct flow *f, struct ct_tuple *t);

/* daemon_usage.c: usage accounting and daily limits (doc/usage.md) */
int daemon_usage_start(struct daemon_ctx *d);	/* after the workers are open; 0 or -1 */
void daemon_usage_stop(struct daemon_ctx *d);	/* saves the state */
void daemon_usage_configure(struct daemon_ctx *d, const struct policy *p);	/* a reload's limits */
void daemon_usage_worker_sync(struct worker *w);	/* re-match after a limit event; worker loop */
void daemon_usage_flow_gone(struct worker *w, const struct flow *f);	/* a replayed flow's last reading */
void daemon_usage_status(struct daemon_ctx *d, yajl_gen g);	/* agent_status "usage" */
void daemon_usage_policy_test(struct daemon_ctx *d, struct policy_input *in, time_t at, int index,
			      yajl_gen g);
int daemon_ctl_usage(void *ctx, const struct control_args *a, yajl_gen g, char *err, size_t errlen);

/* daemon_export.c: IPFIX export (netify.5 "EXPORT") */
int daemon_export_start(struct daemon_ctx *d);	/* after the usage accounting; 0 or -1 */
void daemon_export_stop(struct daemon_ctx *d);	/* after the workers, usage and control stopped */
void daemon_export_configure(struct daemon_ctx *d, const struct policy *p);	/* a reload */
void daemon_export_flow_gone(struct worker *w, const struct flow *f, enum flow_purge why);
void daemon_export_tick(struct worker *w, uint64_t now_ms);	/* a replay's clock: active timeouts */
void daemon_export_status(struct daemon_ctx *d, yajl_gen g);	/* agent_status "export" */

/* daemon_ctl.c */
int daemon_ctl_start(struct daemon_ctx *d);
void daemon_ctl_stop(struct daemon_ctx *d);
void daemon_stats_log(struct daemon_ctx *d);
void daemon_ctl_lock(struct daemon_ctx *d);
void daemon_ctl_unlock(struct daemon_ctx *d);

#endif
