/* Internals shared by daemon.c (life cycle, workers, reload), verdict.c
 * (policy outcome and verdict per flow) and daemon_ctl.c (monitor and
 * control callbacks). Not a public interface. */
#ifndef NETIFY_DAEMON_INT_H
#define NETIFY_DAEMON_INT_H

#include <pthread.h>
#include <signal.h>
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

struct apps_db;
struct ct;
struct flowcap;
struct flowcap_slot;
struct monitor;
struct control;
struct nfqueue;
struct nfqueue_pkt;

#define DAEMON_WORKERS_MAX 16
#define DAEMON_IFCACHE 32

/* Policy and definitions in force; immutable, swapped whole on reload. */
struct config {
	struct policy *policy;
	struct apps_db *apps;
	unsigned int gen;
};

/* The daemon's view of one flow: its policy outcome. One per engine flow
 * (flow->user), from a pool sized like the flow table. */
struct flowstate {
	const struct policy_rule *rule;	/* winning rule, NULL if none */
	struct flowcap_slot *cap;	/* first packets, while inspected (flowcap.h) */
	struct flowstate *next_free;
	uint32_t bits;		/* netify's mark bits decided for the flow */
	uint32_t indev;		/* ingress ifindex of the local side */
	uint8_t action;		/* enum policy_action, or FS_NONE */
	uint8_t mac[6];		/* local side MAC (NFQUEUE hw address) */
	uint8_t has_mac:1, committed:1, in_block_set:1;
};

#define FS_NONE 0xff

struct worker_stats {
	uint64_t flows_blocked, flows_released, flows_qos;
	uint64_t block_set_adds, block_set_errors;
	uint64_t ct_updates, ct_errors;
	uint64_t pool_empty;	/* flows without state (cannot happen when sized right) */
	uint64_t not_ip;	/* accepted without inspection: not decodable */
	uint64_t events_dropped;
	uint64_t replay_packets;
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
	struct flowstate *pool, *free_list;
	const struct config *cfg;	/* what this worker uses now */
	unsigned int gen;		/* generation acknowledged (atomic) */
	struct flowcap *cap;		/* unknown-flow packets; NULL when off */
	bool in_packet;			/* inside engine_process() */
	struct { uint32_t ifindex; char name[16]; } ifcache[DAEMON_IFCACHE];
	struct worker_stats st;
	uint64_t sched_sig;		/* rules active at the last tick */
	struct dnscache_inbox inbox;	/* answers other workers saw */
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
	bool offload;			/* fw4 flow offloading seen at start */
	struct monitor *mon;
	struct control *ctl;
	struct worker w[DAEMON_WORKERS_MAX];
	unsigned int n_workers;
	volatile sig_atomic_t stop;
	int reload_req;			/* set by control (atomic) */
	uint64_t start_ms;
	uint64_t reloads, reload_errors;
	pthread_mutex_t cfg_lock;	/* io thread reading cfg vs. reload freeing it */
};

/* verdict.c */
void verdict_callbacks(struct worker *w, struct engine_callbacks *cb);
struct flowstate *verdict_state(struct worker *w, struct flow *f);
void verdict_note_packet(struct worker *w, const struct flow *f, struct flowstate *fs,
			 const struct nfqueue_pkt *p, uint8_t side);
void verdict_evaluate(struct worker *w, struct flow *f, struct flowstate *fs);
void verdict_reevaluate(struct worker *w);
void verdict_schedule_tick(struct worker *w, time_t now);
int verdict_pool_init(struct worker *w, uint32_t capacity);
void verdict_write_outcome(struct jsonw *j, struct worker *w, const struct flow *f, const struct flowstate *fs);

/* daemon_ctl.c */
int daemon_ctl_start(struct daemon_ctx *d);
void daemon_ctl_stop(struct daemon_ctx *d);
void daemon_stats_log(struct daemon_ctx *d);
void daemon_ctl_lock(struct daemon_ctx *d);
void daemon_ctl_unlock(struct daemon_ctx *d);

#endif
