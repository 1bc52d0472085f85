/* Conntrack accounting reader over ctnetlink (libmnl).
 *
 * Reads the kernel's per-connection counters (bytes and packets each way)
 * three ways, and hands every connection read to one consumer callback as
 * a struct ctacct_rec:
 *   - destroy events (NFNLGRP_CONNTRACK_DESTROY): the final counters of a
 *     connection that ended. A socket filter in the kernel passes only
 *     connections whose mark has one of @event_mask's bits, so unmarked
 *     traffic costs no wake-up and cannot overrun the socket;
 *   - dumps of the connection table, filtered in the kernel by mark
 *     ((mark & mask) == value, CTA_MARK + CTA_MARK_MASK), for connections
 *     still running (a 3-hour stream is read as it goes);
 *   - gets of given connections by tuple, batched in one send, for the few
 *     connections whose counters are wanted more often than a dump.
 *
 * Counters exist only when net.netfilter.nf_conntrack_acct was on when the
 * connection was created: ctacct_sysctl_ensure() turns it on and logs it;
 * connections created before have no counters (has_counters 0).
 *
 * Overload: an event socket that overruns (ENOBUFS: the kernel dropped
 * events) is counted, its buffer doubles up to a cap (logged once), and
 * ctacct_resync_needed() turns true until the next complete dump, which
 * reads every live connection again. The destroy events lost are lost: the
 * traffic of those connections since their last reading is not seen
 * (option reliable asks the kernel to keep ended connections until their
 * event is delivered instead, as conntrackd's NetlinkEventsReliable).
 *
 * Buffers are allocated at open; reading never allocates. The callback
 * gets a record on the stack, valid during the call. Not thread-safe: one
 * thread owns a reader.
 */
#ifndef NETIFY_USAGE_CTACCT_H
#define NETIFY_USAGE_CTACCT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "ct.h"

enum ctacct_kind {
	CTACCT_DESTROY,		/* destroy event: final counters */
	CTACCT_DUMP,		/* from a dump: counters so far */
	CTACCT_GET,		/* from a get by tuple: counters so far */
	__CTACCT_KIND_MAX
};

struct ctacct_rec {
	uint8_t kind;			/* enum ctacct_kind */
	uint8_t has_counters;		/* the connection has accounting */
	uint8_t has_timestamp;		/* start_ns (and stop_ns on destroy) are set */
	uint8_t has_reply;
	struct ct_tuple orig;		/* original direction, as conntrack keys it */
	struct ct_tuple reply;		/* reply direction (NAT shows here) */
	uint32_t id;			/* conntrack id (CTA_ID), 0 if absent */
	uint32_t mark;
	uint32_t status;		/* IPS_* bits */
	uint16_t zone;
	uint64_t packets[2], bytes[2];	/* [CT_DIR_ORIG], [CT_DIR_REPLY]; bytes of IP packets */
	uint64_t start_ns, stop_ns;	/* CTA_TIMESTAMP (wall clock), with nf_conntrack_timestamp */
};

typedef void (*ctacct_fn)(void *ctx, const struct ctacct_rec *r);

struct ctacct_opts {
	bool events;		/* subscribe to destroy events */
	uint32_t event_mask;	/* pass events with (mark & event_mask) != 0; 0: all */
	bool reliable;		/* the kernel keeps ended connections until their event is read */
	uint32_t rcvbuf;	/* event socket buffer, bytes (0: 4 MiB) */
	uint32_t rcvbuf_max;	/* cap of its growth on ENOBUFS (0: 64 MiB) */
	uint32_t timeout_ms;	/* dump and get replies (0: 2000) */
};

struct ctacct_stats {
	uint64_t events;		/* destroy events read */
	uint64_t dumps, dump_records, dump_errors;
	uint64_t gets, get_missing;	/* connections asked for, not found */
	uint64_t enobufs;		/* event socket overruns */
	uint64_t parse_errors;		/* messages that were not a connection */
	uint32_t rcvbuf;		/* event socket buffer now */
};

struct ctacct;

/** ctacct_open - a reader; NULL + errno (EPERM without CAP_NET_ADMIN for events) */
struct ctacct *ctacct_open(const struct ctacct_opts *o, ctacct_fn fn, void *ctx);
void ctacct_close(struct ctacct *a);

/** ctacct_fd - the event socket, for poll(); -1 without events */
int ctacct_fd(const struct ctacct *a);

/**
 * ctacct_read - hands over the destroy events queued on the event socket,
 * without blocking, at most @budget datagrams (0: no limit). Returns how
 * many were read, or -1 on a socket error other than ENOBUFS (which is
 * counted and survived).
 */
int ctacct_read(struct ctacct *a, unsigned int budget);

/** ctacct_resync_needed - events were lost since the last complete dump */
bool ctacct_resync_needed(const struct ctacct *a);

/**
 * ctacct_dump - reads every connection with (mark & @mask) == @mark (all
 * with @mask 0), IPv4 and IPv6, blocking until the dump ends (bounded by
 * the timeout). Returns the number of records, or -1 + errno.
 */
int ctacct_dump(struct ctacct *a, uint32_t mark, uint32_t mask);

/**
 * ctacct_get - reads @n connections by tuple in batched requests: @t[i] as
 * direction @dir[i] (enum ct_dir; NULL: all original). Records come as
 * CTACCT_GET; connections not found are counted. Returns the number found,
 * or -1 + errno.
 */
int ctacct_get(struct ctacct *a, const struct ct_tuple *t, const uint8_t *dir, size_t n);

void ctacct_stats(const struct ctacct *a, struct ctacct_stats *st);

/** ctacct_parse - a ctnetlink connection message into @r (kind left as is); 0 or -1 */
int ctacct_parse(const void *msg, size_t len, struct ctacct_rec *r);

/** ctacct_build_dump - the dump request, in @buf; its length, or 0 if @len is too small */
size_t ctacct_build_dump(char *buf, size_t len, uint32_t seq, uint32_t mark, uint32_t mask);

/**
 * ctacct_sysctl_ensure - turns /proc/sys/net/netfilter/@name (under @dir,
 * NULL: /proc/sys/net/netfilter) on if it reads 0, and logs that it did.
 * Returns 0 if it was on, 1 if it turned it on, -1 + errno if it could
 * not read or write it (logged).
 */
int ctacct_sysctl_ensure(const char *dir, const char *name);

#endif
