/* Usage per device and application: the aggregation table.
 *
 * One entry per (device MAC, kind, id): kind USAGE_APP with a catalog
 * application id (-1 = unknown application), USAGE_CATEGORY with a
 * category id (-1 = none), USAGE_ALL for all of the device's traffic
 * (id 0). Each reading of a connection adds to its three entries.
 *
 * An entry holds bytes in (to the device) and out (from it), connections
 * started and active minutes, per hour for the last 48 hours and per
 * usage day for the last 62 days (days from daycal: local days starting
 * at reset_time), and a bitmap of its active minutes over the last 2048
 * minutes (34 h), from which the active time of any set of entries in the
 * current day is counted without double-counting overlaps.
 *
 * Active time. A minute (an epoch minute, hh:mm:00 to hh:mm:59 on the
 * wall clock) is active for an entry when the readings attributed to it
 * carry at least min_bytes (default 1) of its traffic, in either
 * direction. Active time is the number of active minutes. Parallel
 * connections of one application, one category or the whole device make a
 * minute active once. Readings are attributed by the caller (see
 * usage.h): a reading at a minute boundary covers the minute that ended.
 *
 * Memory is bounded: at most max_entries entries, allocated once (touched
 * as used). When full, the least recently updated entry is evicted and
 * counted. Nothing is done per packet: only per reading (per connection
 * per minute at most, and at its end).
 *
 * Single-threaded: the owner serialises updates and queries.
 */
#ifndef NETIFY_USAGE_USAGEDB_H
#define NETIFY_USAGE_USAGEDB_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include "daycal.h"

#define USAGE_HOURS	48	/* hourly buckets kept */
#define USAGE_DAYS	62	/* daily buckets kept */
#define USAGE_MIN_RING	2048	/* minutes of the active-minute bitmap */
#define USAGE_CONNS_MAX	0x1fffffu	/* connections per bucket saturate here */

enum usage_kind {
	USAGE_APP,
	USAGE_CATEGORY,
	USAGE_ALL,
	__USAGE_KIND_MAX
};

enum usage_order {
	USAGE_BY_TIME,		/* active minutes, then bytes */
	USAGE_BY_VOLUME,	/* bytes in + out, then minutes */
	__USAGE_ORDER_MAX
};

struct usage_key {
	uint8_t mac[6];
	uint8_t kind;		/* enum usage_kind */
	uint8_t pad;
	int32_t id;
};

struct usage_totals {
	uint64_t bytes_in, bytes_out;
	uint64_t conns;
	uint32_t minutes;
};

/* One reading: traffic of one connection attributed to a minute. */
struct usage_sample {
	uint8_t mac[6];		/* the device (zero: unknown device) */
	int32_t app;		/* -1 unknown */
	int32_t category;	/* -1 none */
	uint64_t bytes_in, bytes_out;
	uint32_t conns;		/* connections started by this reading (0 or 1) */
	uint32_t minute;	/* epoch minute the traffic belongs to */
};

struct usagedb_opts {
	uint32_t max_entries;	/* cap of device x (app | category | all) entries */
	int reset_min;		/* day start, minutes after local midnight */
	uint32_t min_bytes;	/* bytes that make a minute active (0 means 1) */
	uint64_t seed;		/* hash seed (0: random) */
};

struct usagedb_stats {
	uint32_t entries, max_entries;
	uint64_t samples;
	uint64_t evictions;	/* entries dropped to make room */
	uint64_t too_old;	/* samples older than the buckets, dropped */
};

struct usagedb;

struct usagedb *usagedb_new(const struct usagedb_opts *o);
void usagedb_free(struct usagedb *db);

/** usagedb_add - add one reading to the device's app, category and all entries; 0 or -1 (none could be kept) */
int usagedb_add(struct usagedb *db, const struct usage_sample *s);

/** usagedb_day / usagedb_day_start - the usage day of @t, and the first instant of a day */
int32_t usagedb_day(struct usagedb *db, time_t t);
time_t usagedb_day_start(struct usagedb *db, int32_t day);

/**
 * usagedb_range - totals of one entry over usage days @from..@to (both
 * included); @mac NULL sums over every device (minutes then add up device
 * by device). Days past the 62 kept count as zero. 0, or -1 if no entry.
 */
int usagedb_range(struct usagedb *db, const uint8_t *mac, enum usage_kind kind, int32_t id,
		  int32_t from, int32_t to, struct usage_totals *t);

/** usagedb_days - daily history: out[i] = usage day @from + i, for @n days */
int usagedb_days(struct usagedb *db, const uint8_t *mac, enum usage_kind kind, int32_t id,
		 int32_t from, size_t n, struct usage_totals *out);

/** usagedb_hours - hourly history: out[i] = hour key @from + i (daycal_hour), for @n hours */
int usagedb_hours(struct usagedb *db, const uint8_t *mac, enum usage_kind kind, int32_t id,
		  uint32_t from, size_t n, struct usage_totals *out);

struct usage_row {
	int32_t id;
	struct usage_totals t;
};

/**
 * usagedb_top - the device's @kind entries over days @from..@to, the @max
 * largest by @order, largest first; returns how many were written.
 */
size_t usagedb_top(struct usagedb *db, const uint8_t *mac, enum usage_kind kind, int32_t from, int32_t to,
		   enum usage_order order, struct usage_row *out, size_t max);

/** usagedb_devices - calls @fn for every device with an entry, with its totals over @from..@to */
void usagedb_devices(struct usagedb *db, int32_t from, int32_t to,
		     void (*fn)(void *ctx, const uint8_t mac[6], const struct usage_totals *t), void *ctx);

/* A set of devices and traffic, as a rule names them. */
struct usage_scope {
	const uint8_t (*macs)[6];	/* NULL or n_macs 0: every device */
	size_t n_macs;
	const int32_t *apps;		/* apps and categories: traffic matching either; */
	size_t n_apps;
	const int32_t *cats;		/* none of both: all traffic */
	size_t n_cats;
};

/**
 * usagedb_scope_today - the scope's usage in the usage day of @now up to
 * @now: bytes and connections summed, minutes counted once however many
 * devices and applications were active in them. 0 or -1.
 */
int usagedb_scope_today(struct usagedb *db, const struct usage_scope *s, time_t now, struct usage_totals *t);

void usagedb_stats(const struct usagedb *db, struct usagedb_stats *st);

/** usagedb_entry_size - bytes one entry takes (for the memory figures) */
size_t usagedb_entry_size(void);

#endif
