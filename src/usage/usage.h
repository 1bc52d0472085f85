/* Usage accounting: the service the daemon starts, and the calls its
 * threads make.
 *
 * Threads.
 *   - Workers (packet path) call usage_flow_note() when a flow's decision
 *     is made or changes (once per flow, or a few times; never per
 *     packet): it copies the flow into a bounded MPSC ring (evring) and
 *     returns at once; a full ring drops the note and counts it. They call
 *     usage_limit_blocked() for each new flow of a limited scope: a
 *     lock-free read.
 *   - The accounting thread (usage_start(), or usage_step() from the
 *     owner's loop) owns everything else: it drains the ring into the
 *     connection map, reads destroy events, dumps the kernel's table at
 *     each minute boundary, reads connections of volume-limited scopes
 *     every refresh_s seconds, decides limits, cuts live connections of a spent
 *     budget, and saves the state.
 *   - The control thread queries under usage_lock()/usage_unlock(), and a
 *     reload calls usage_limits_configure().
 *
 * Readings and minutes. A dump at the minute boundary reads every running
 * netify-marked connection; what it reads is the traffic of the minute that
 * just ended. A destroy event's delta belongs to the minute it arrives in.
 * Reads of volume-limited scopes belong to the current minute. (Readings
 * are late by the dump's own duration at most: milliseconds.)
 *
 * Nothing here is per packet: a flow costs one ring slot at its decision,
 * one table entry while it lives, one reading per minute and one at its
 * end.
 */
#ifndef NETIFY_USAGE_USAGE_H
#define NETIFY_USAGE_USAGE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include "conntab.h"
#include "ctacct.h"
#include "uflow.h"
#include "ulimits.h"
#include "usagedb.h"

struct usage_opts {
	/* kernel */
	bool kernel;			/* read conntrack (false: the owner feeds records) */
	bool acct_sysctl;		/* turn net.netfilter.nf_conntrack_acct on (logged) */
	bool reliable_events;		/* ctacct_opts.reliable */
	uint32_t event_mask;		/* destroy events of connections with one of these mark bits (netify's) */
	uint32_t dump_mark, dump_mask;	/* the minute dump: (mark & dump_mask) == dump_mark (released) */
	uint32_t cut_mark, cut_mask;	/* written into a spent budget's live connections
					 * (blocked bit, netify's bits); 0: no cut here */
	/* bounds */
	uint32_t max_entries;		/* device x (app | category | all); 0: 4096 */
	uint32_t max_conns;		/* connections counted at once; 0: 65536 */
	uint32_t max_scopes;		/* limit budgets; 0: 1024 */
	uint32_t ring_slots;		/* flow notes waiting; 0: 4096 */
	/* accounting */
	int reset_min;			/* day start (reset_time), minutes after midnight */
	uint32_t min_bytes;		/* bytes that make a minute active; 0: 1 */
	unsigned int refresh_s;		/* reading period of volume-limited connections; 0: 2 */
	/* state */
	const char *state_dir;		/* tmpfs, NULL: none */
	const char *persist_dir;	/* survives reboots, NULL: none */
	unsigned int save_s;		/* state_dir at most this often; 0: 300 */
	unsigned int persist_s;		/* persist_dir at most this often; 0: 21600 */
	bool timestamps;		/* turn nf_conntrack_timestamp on (a consumer wants start/stop) */
	bool reader_only;		/* no accounting: the reader only feeds the consumers
					 * (usage_ct_attach), e.g. an export without usage */
	/* without the kernel (kernel false): the owner's connections, read
	 * at each minute boundary (@boundary) and every refresh_s; it hands
	 * each one over with usage_reading(). A replay uses this. */
	void (*read_conns)(void *ctx, bool boundary);
	void *read_ctx;
	/* callbacks and clock */
	ulimit_fn on_limit;		/* warn, reached, reset; in the thread that decided */
	void *limit_ctx;
	time_t (*clock)(void *ctx);	/* wall clock; NULL: time() */
	void *clock_ctx;
};

struct usage_stats {
	uint64_t notes, notes_dropped;	/* flow notes; dropped: ring full */
	uint64_t readings, destroys;
	uint64_t boundaries, boundaries_late;	/* a dump more than 5 s after its boundary */
	uint64_t dump_errors;
	uint32_t last_dump_us, max_dump_us, last_dump_conns;
	uint64_t refreshes;
	uint32_t last_refresh_us, last_refresh_conns;
	uint64_t cuts, cut_errors;	/* connections cut by a spent budget */
	uint64_t blocked_bytes;		/* bytes of blocked connections: not use */
	uint64_t unmapped_bytes;	/* bytes of connections nobody registered */
	uint64_t saves, save_errors;
	uint32_t last_save_bytes, last_save_us;
	struct conntab_stats conns;
	struct usagedb_stats db;
	struct ulimits_stats limits;
	struct ctacct_stats ct;
};

struct usage;

/**
 * usage_new - the accounting, with the state of state_dir and persist_dir
 * merged in. NULL + errno (with the reason logged) on failure.
 */
struct usage *usage_new(const struct usage_opts *o);
/** usage_free - stops the thread if running, saves both copies, frees */
void usage_free(struct usage *u);

/** usage_start - runs the accounting thread; 0 or -1 */
int usage_start(struct usage *u);

/** usage_flow_note - any thread, never blocks: a flow decided; 0, or -1 (ring full, counted) */
int usage_flow_note(struct usage *u, const struct usage_flow *f);

/**
 * usage_reading - any thread, never blocks: one reading of a connection's
 * counters from the owner (usage_opts.read_conns, or a connection that
 * ended: kind CTACCT_DESTROY), queued behind the notes already given, so a
 * reading never overtakes its flow's note. 0, or -1 (ring full, counted).
 */
int usage_reading(struct usage *u, const struct ctacct_rec *r);

#define USAGE_CT_CONSUMERS 4

/**
 * usage_ct_attach - another consumer of the conntrack reader's records
 * (destroy events, the minute dumps, gets), e.g. a flow exporter: @fn is
 * called in the accounting thread, after usage's own accounting, with the
 * usage lock held; the record is on the stack (copy what is kept) and @fn
 * must not call usage_* functions that lock. At most USAGE_CT_CONSUMERS;
 * 0, or -1 (full, or no kernel reader).
 */
int usage_ct_attach(struct usage *u, ctacct_fn fn, void *ctx);

/** usage_limit_blocked - any thread, lock-free: limit @key's budget for @mac is spent now */
bool usage_limit_blocked(const struct usage *u, uint64_t key, const uint8_t mac[6], time_t now);

/** usage_limits_configure - the limits of a (re)loaded policy; see ulimits_configure() */
int usage_limits_configure(struct usage *u, const struct ulimit_def *defs, size_t n);

/**
 * usage_step - one turn of the accounting at @now: notes, events, and when
 * due the minute boundary (dump, sweep, limits), the volume refresh and
 * the saves. The thread calls it; an owner without the thread may too.
 * Takes the lock.
 */
void usage_step(struct usage *u, time_t now);

/** usage_feed - one reading attributed to @minute (what the reader hands over; tests feed their own) */
void usage_feed(struct usage *u, const struct ctacct_rec *r, uint32_t minute);

/** usage_save - writes state_dir (and persist_dir if @persist) now; 0 or -1 */
int usage_save(struct usage *u, bool persist);

/* Queries: hold the lock while using the tables. */
void usage_lock(struct usage *u);
void usage_unlock(struct usage *u);
struct usagedb *usage_db(struct usage *u);
struct ulimits *usage_limits(struct usage *u);
time_t usage_now(const struct usage *u);
void usage_stats(struct usage *u, struct usage_stats *st);

#endif
