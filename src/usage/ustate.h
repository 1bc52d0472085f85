/* The usage state file: what the accounting keeps in RAM, saved so that a
 * restart (and, from a second directory, a reboot) loses nothing that was
 * written.
 *
 * Format (version 1, all integers little-endian):
 *
 *   header   "NFYUSAGE", u16 version, u16 header length (32), u32 flags,
 *            i64 saved at (unix time), i16 reset_min, u16 0, u32 0
 *   records  u8 type, u32 payload length, payload:
 *            1 entry: a device x (app | category | all) entry: its key,
 *              category, ring heads, active-minute bitmap, and its non-empty
 *              hourly and daily buckets, each with its absolute hour / day
 *            2 budget: one limit's budget of one day (ulimit_saved)
 *            3 connection: one counted connection (tuple, conntrack id,
 *              device, app, limits, bytes counted so far), so that a
 *              restart goes on with its deltas
 *            unknown types are skipped (a newer netify's additions)
 *   trailer  "NFYU-END", u64 file length, u32 CRC-32 of everything before it
 *
 * Loading checks the header, the end marker, the length, the checksum,
 * then every record (sizes, ranges) before it applies anything: a file is
 * used whole or not at all. A bad file is logged with its path and the
 * reason and set aside (renamed PATH.bad-YYYYmmddTHHMMSS), never deleted.
 * Loading merges: each bucket takes the larger of what is in memory and in
 * the file, bitmaps are joined, so loading the same data twice, or an
 * older copy after a newer one, counts nothing twice.
 *
 * Saving writes a temporary file in the same directory (O_EXCL |
 * O_NOFOLLOW, mode 0600), fsyncs it, renames it over the old one and
 * fsyncs the directory: a reader, or a crash, sees the old file or the new
 * one, never half of one.
 */
#ifndef NETIFY_USAGE_USTATE_H
#define NETIFY_USAGE_USTATE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>

struct usagedb;
struct ulimits;
struct conntab;

#define USTATE_VERSION 1
#define USTATE_FILE "usage.state"
#define USTATE_MAX_BYTES (256u << 20)	/* larger files are refused */

/* What is saved and loaded; any member may be NULL. */
struct ustate_src {
	struct usagedb *db;
	struct ulimits *lim;
	struct conntab *conns;
};

struct ustate_info {
	size_t bytes;
	uint32_t entries, buckets, budgets, conns;
	int64_t saved_at;
};

/**
 * ustate_save - writes @s to @dir/@name atomically (@conns false leaves
 * the connections out: a copy meant to survive a reboot has no use for
 * them). Makes @dir (one level, mode 0700) if missing. 0, or -1 with the
 * reason logged.
 */
int ustate_save(const char *dir, const char *name, const struct ustate_src *s, time_t now, bool conns,
		struct ustate_info *info);

/**
 * ustate_load - merges @dir/@name into @s. Returns 1 if there is no such
 * file, 0 when loaded, -1 when the file was bad: reported (with the path
 * and the reason) and set aside.
 */
int ustate_load(const char *dir, const char *name, const struct ustate_src *s, time_t now,
		struct ustate_info *info);

/**
 * ustate_decode - checks a state file held in memory and, if it is good
 * and @apply, merges it into @s. 0, or -1 with the reason in @why.
 */
int ustate_decode(const void *buf, size_t len, const struct ustate_src *s, time_t now, bool apply,
		  struct ustate_info *info, char *why, size_t whylen);

#endif
