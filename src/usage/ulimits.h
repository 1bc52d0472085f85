/* Daily time and volume limits: when a limit is reached, when it warns,
 * when it renews, and which devices are refused meanwhile.
 *
 * A limit is a rule's: its name is its identity (across reloads and
 * restarts), its scope is decided by the daemon for each flow (the flow
 * carries the keys of the limits whose scope holds it: uflow.h). A limit
 * has one budget for all the rule's devices, or one per device
 * (per_device).
 *
 * Time. The budget's used time is the number of active minutes of its
 * scope in the current usage day (usagedb.h: a minute in which any
 * connection in scope moved a byte; parallel connections, devices and
 * applications of one budget count once). A started minute counts whole,
 * and it counts once it is over: a limit of N minutes is reached at the
 * end of the N-th active minute, so ulimits_tick() must run at each minute
 * boundary, after the readings that close the minute.
 *
 * Volume. Bytes in + out of the scope today; the limit is reached as soon
 * as a reading brings the total to it, so the connections of a scope with
 * a volume limit must be read more often than once a minute (usage.h).
 *
 * Warning: once a day, when the used share first reaches warn_pct.
 * Reset: at the start of the next usage day (daycal.h: reset_time, local
 * time, DST); a budget reached stays reached until then, unless a reload
 * raises or removes the limit (then it is lifted at once).
 *
 * Events (warn, reached, reset) go to one callback, in the accounting
 * thread. ulimits_blocked() is the one call other threads may make: the
 * workers ask it for every new flow of a limited scope, without a lock
 * (a table of seqlock slots written only by the accounting thread).
 */
#ifndef NETIFY_USAGE_ULIMITS_H
#define NETIFY_USAGE_ULIMITS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>

#define ULIMIT_NAME_MAX 64

struct ulimit_def {
	const char *name;	/* the rule's name (at most ULIMIT_NAME_MAX - 1 bytes) */
	uint32_t time_min;	/* active minutes a day; 0: no time limit */
	uint64_t volume;	/* bytes a day, in + out; 0: no volume limit */
	uint8_t warn_pct;	/* warn at this share (1..99); 0: never */
	bool per_device;	/* each device its own budget; else one for all */
};

enum ulimit_event {
	ULIMIT_WARN,
	ULIMIT_REACHED,
	ULIMIT_RESET,		/* a new day, or a reload lifted it */
	__ULIMIT_EVENT_MAX
};

enum ulimit_by {
	ULIMIT_BY_NONE,
	ULIMIT_BY_TIME,
	ULIMIT_BY_VOLUME,
};

struct ulimit_status {
	const char *name;
	uint64_t key;
	uint8_t mac[6];		/* the device; all zero for a budget shared by the rule */
	bool per_device;
	uint32_t time_min, used_min;
	uint64_t volume, used_bytes;
	uint8_t warn_pct;
	bool warned, reached;
	uint8_t by;		/* enum ulimit_by: what reached (or warned) */
	int32_t day;
	time_t reset_at;	/* when the budget renews */
	time_t reached_at;	/* 0 if not reached */
	bool lifted;		/* ULIMIT_RESET: a reload raised or removed the limit (else: a new day) */
	uint32_t cut;		/* ULIMIT_REACHED: live connections cut (set by usage.c) */
};

typedef void (*ulimit_fn)(void *ctx, enum ulimit_event ev, const struct ulimit_status *st);

struct ulimits_opts {
	uint32_t max_defs;	/* limit rules (0: 256) */
	uint32_t max_scopes;	/* budgets tracked at once (0: 1024) */
	int reset_min;		/* day start, minutes after local midnight */
	ulimit_fn fn;
	void *ctx;
};

struct ulimits_stats {
	uint32_t defs, scopes;
	uint64_t scope_full;	/* budgets that found no room: not enforced (logged once) */
	uint64_t blocked_full;	/* reached budgets the workers' table could not hold */
	uint64_t warnings, reached, resets;
};

struct ulimits;

struct ulimits *ulimits_new(const struct ulimits_opts *o);
void ulimits_free(struct ulimits *l);

/** ulimit_key - a limit's key from its rule name (never 0) */
uint64_t ulimit_key(const char *name);

/**
 * ulimits_configure - the limits in force (replacing the previous set);
 * budgets of the same names keep what they used today, and are re-decided
 * at once against the new figures. 0, or -1 (EINVAL: too many, a name too
 * long; nothing changed).
 */
int ulimits_configure(struct ulimits *l, const struct ulimit_def *defs, size_t n, time_t now);

/** ulimits_has_volume - the limit exists and has a volume limit */
bool ulimits_has_volume(const struct ulimits *l, uint64_t key);
/** ulimits_per_device - the limit exists and counts per device */
bool ulimits_per_device(const struct ulimits *l, uint64_t key);

/**
 * ulimits_account - a reading of @bytes for limit @key's scope, device
 * @mac, attributed to @minute (epoch minutes), at @now. May fire a
 * warning, or reach a volume limit.
 */
void ulimits_account(struct ulimits *l, uint64_t key, const uint8_t mac[6], uint32_t minute, uint64_t bytes,
		     time_t now);

/** ulimits_tick - at each minute boundary: time limits reached, days renewed */
void ulimits_tick(struct ulimits *l, time_t now);

/** ulimits_blocked - any thread: @key's budget for @mac is spent at @now */
bool ulimits_blocked(const struct ulimits *l, uint64_t key, const uint8_t mac[6], time_t now);

/** ulimits_status - the budget of @key for @mac (ignored unless per device); 0, or -1 if no such limit */
int ulimits_status(struct ulimits *l, uint64_t key, const uint8_t mac[6], time_t now, struct ulimit_status *st);

/** ulimits_foreach - every budget used today, and every limit without use yet (zero mac) */
void ulimits_foreach(struct ulimits *l, time_t now, void (*fn)(void *ctx, const struct ulimit_status *st),
		     void *ctx);

void ulimits_stats(const struct ulimits *l, struct ulimits_stats *st);

/* For the state file (ustate.c): a budget's raw state, and its restore. */
struct ulimit_saved {
	uint64_t key;
	uint8_t mac[6];
	uint8_t warned, reached, by;
	int32_t day;
	uint64_t bytes;
	int64_t reached_at;
	uint32_t last_min;
	uint64_t mins[2048 / 64];
};
void ulimits_save_each(struct ulimits *l, void (*fn)(void *ctx, const struct ulimit_saved *s), void *ctx);
/** ulimits_restore - merges a saved budget (the larger of both); 0 or -1 (no room) */
int ulimits_restore(struct ulimits *l, const struct ulimit_saved *s, time_t now);

#endif
