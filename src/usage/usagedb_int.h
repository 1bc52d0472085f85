/* The aggregation table's layout, shared by usagedb.c and the state file
 * (ustate.c). Not a public interface. */
#ifndef NETIFY_USAGE_USAGEDB_INT_H
#define NETIFY_USAGE_USAGEDB_INT_H

#include <stdint.h>

#include "daycal.h"
#include "usagedb.h"

#define UDB_NONE UINT32_MAX

/* 16 bytes: bytes each way in 48 bits (256 TiB), connections in 21 bits
 * (saturating), active minutes in 11 (a day has at most 1500). */
struct ubucket {
	uint32_t in_lo, out_lo;
	uint16_t in_hi, out_hi;
	uint32_t cm;		/* conns | minutes << 21 */
};

struct uentry {
	struct usage_key key;
	int32_t category;	/* APP entries: the application's category */
	uint32_t next;		/* hash chain */
	uint32_t lru_prev, lru_next;
	uint32_t last_hour;	/* newest hour in hours[] (0: none yet) */
	int32_t last_day;	/* newest day in days[] */
	uint32_t last_min;	/* newest minute in mins[] */
	uint32_t acc_min, acc_bytes;	/* bytes read so far in minute acc_min */
	uint8_t used;
	uint64_t mins[USAGE_MIN_RING / 64];
	struct ubucket hours[USAGE_HOURS];
	struct ubucket days[USAGE_DAYS];
};

struct usagedb {
	struct uentry *e;
	uint32_t *buckets;
	uint32_t mask;		/* hash buckets - 1 */
	uint32_t max, count;
	uint32_t high;		/* entries [0, high) have been used */
	uint32_t lru_head, lru_tail;	/* head: most recently updated */
	uint32_t min_bytes;
	uint64_t seed;
	struct daycal cal;
	struct usagedb_stats st;
	int full_logged;
};

void ubucket_add(struct ubucket *b, uint64_t in, uint64_t out, uint64_t conns, uint32_t minutes);
void ubucket_get(const struct ubucket *b, struct usage_totals *t);
/* Element-wise maximum (merging two saves of the same history). */
void ubucket_max(struct ubucket *b, const struct ubucket *o);
int ubucket_empty(const struct ubucket *b);

/* The entry of @k, created (evicting if full) when @create. */
struct uentry *usagedb_entry(struct usagedb *db, const struct usage_key *k, int create);

/* Ring slots: NULL when @key is older than the ring holds. */
struct ubucket *usagedb_hour_slot(struct uentry *e, uint32_t key);
struct ubucket *usagedb_day_slot(struct uentry *e, int32_t day);
/* Marks minute m active; 1 if it was not yet, 0 if it was, -1 if too old. */
int usagedb_minute_set(struct uentry *e, uint32_t m);
int usagedb_minute_test(const struct uentry *e, uint32_t m);

#endif
