/* Connections being counted: which device and application each one is,
 * and how much of it was counted already.
 *
 * The daemon registers a flow when it decides it (conntab_note(), through
 * the accounting thread); readings of the kernel's counters find it by
 * tuple - the original tuple, or the reply tuple reversed, which is how a
 * DNAT'ed connection looks from the forward hook - and the first reading
 * binds it to the conntrack id, so that a new connection reusing the
 * tuple before the old one's destroy event was read is told apart. Each
 * reading yields the bytes since the previous one (a delta); the destroy
 * event yields the last delta and removes the entry.
 *
 * A reading of a marked connection nobody registered (the registration
 * was lost, or netify restarted) gets an "unmapped" entry so that its
 * bytes are counted once (for an unknown device), not at every dump.
 *
 * Bounded: a fixed number of entries; a registration that finds the table
 * full is refused and counted (logged once). Not thread-safe.
 */
#ifndef NETIFY_USAGE_CONNTAB_H
#define NETIFY_USAGE_CONNTAB_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "ctacct.h"
#include "uflow.h"

enum {
	CONN_BOUND = 1 << 0,	/* ct_id is the kernel's id for it */
	CONN_BY_REPLY = 1 << 1,	/* the kernel knows it by the reply tuple (DNAT) */
	CONN_LOCAL_SRC = 1 << 2,	/* the device opened it: out = original direction */
	CONN_BLOCKED = 1 << 3,	/* decided blocked (or cut): bytes are not use */
	CONN_UNMAPPED = 1 << 4,	/* read, never registered */
};

struct conn {
	struct ct_tuple t;	/* as registered (or as read, when unmapped) */
	uint64_t flow_id;
	uint64_t base[2];	/* bytes counted so far, [CT_DIR_ORIG], [CT_DIR_REPLY] */
	uint64_t limits[USAGE_FLOW_LIMITS];
	uint32_t ct_id;
	uint32_t next;		/* hash chain, or the free list */
	uint32_t created;	/* minute it was registered (or first read) */
	uint32_t seen;		/* reading round that last saw it */
	int32_t app, category;
	uint8_t mac[6];
	uint8_t flags;
	uint8_t n_limits;
};

/* What one reading means for usage. */
struct conn_delta {
	const struct conn *c;	/* the entry (removed after a destroy: a copy) */
	uint64_t bytes_in, bytes_out;	/* to the device, from it */
	bool unmapped;		/* counted for no known device */
	bool ended;		/* destroy event: the entry is gone */
};

enum conntab_note_result {
	CONNTAB_NEW,		/* a new connection */
	CONNTAB_UPDATED,	/* the same flow decided again (or a read one now named) */
	CONNTAB_FULL,		/* refused: table full (counted) */
};

struct conntab_stats {
	uint32_t entries, capacity;
	uint64_t notes, full;
	uint64_t readings, unmapped;	/* readings of connections never registered */
	uint64_t untracked;		/* such readings that found no room */
	uint64_t lost;			/* gone without their destroy event */
	uint64_t never_read;		/* registered, gone before any reading */
};

struct conntab;

struct conntab *conntab_new(uint32_t capacity, uint64_t seed);
void conntab_free(struct conntab *tab);

/** conntab_note - registers (or updates) a decided flow at minute @now_min */
enum conntab_note_result conntab_note(struct conntab *tab, const struct usage_flow *f, uint32_t now_min);

/**
 * conntab_reading - the delta of one reading, in @d; 0, or -1 when the
 * reading has no counters or no entry could hold it.
 */
int conntab_reading(struct conntab *tab, const struct ctacct_rec *r, uint32_t now_min, struct conn_delta *d);

/** conntab_round - starts a reading round (a complete dump); readings mark entries seen */
void conntab_round(struct conntab *tab);

/**
 * conntab_missing - entries the current round did not see, except those
 * registered in the last @grace minutes (their connection may not be
 * confirmed in the kernel yet): up to @max tuples and directions to check.
 */
size_t conntab_missing(struct conntab *tab, uint32_t now_min, uint32_t grace, struct ct_tuple *t,
		       uint8_t *dir, size_t max);

/**
 * conntab_sweep - removes the entries conntab_missing() named that no
 * reading saw since (gone from the kernel's table without a destroy event
 * read: counted lost); with @remove false (the check failed) keeps them.
 * Returns how many were removed.
 */
size_t conntab_sweep(struct conntab *tab, uint32_t now_min, uint32_t grace, bool remove);

/** conntab_foreach - calls @fn for each entry; @fn may set CONN_BLOCKED in flags */
void conntab_foreach(struct conntab *tab, void (*fn)(void *ctx, struct conn *c), void *ctx);

/** conntab_restore - an entry saved before a restart; 0, or -1 (full, or not valid) */
int conntab_restore(struct conntab *tab, const struct conn *saved);

void conntab_stats(const struct conntab *tab, struct conntab_stats *st);

/** conntab_entry_size - bytes per entry (for the memory figures) */
size_t conntab_entry_size(void);

#endif
