/* Unknown-flow captures (capture_unknown_dir): the first packets of every
 * flow under inspection are kept, and a flow whose inspection ends with
 * neither protocol nor application is written out as a pcap file. This
 * module decides which flows are kept and owns the pcap file layout; a
 * sink (the daemon's monitor) writes the file's bytes.
 *
 * One pool per worker, allocated whole at start and only when captures are
 * on: FLOWCAP_PKTS packets of at most FLOWCAP_SNAP bytes per flow. A flow
 * takes a slot at its first packet and gives it back when its inspection
 * ends or it leaves the table; a flow that finds the pool empty is not
 * captured, and counted. Nothing here allocates after flowcap_new() and
 * nothing is locked: a pool belongs to one worker.
 */
#ifndef NETIFY_FLOWCAP_H
#define NETIFY_FLOWCAP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "decode.h"

struct flow;

#define FLOWCAP_PKTS	4	/* packets kept per flow */
#define FLOWCAP_SNAP	512	/* bytes kept per packet */
#define FLOWCAP_SLOTS	1024	/* flows captured at once, per worker */
#define FLOWCAP_PCAP_HDR 24	/* pcap global header */
#define FLOWCAP_REC_HDR	16	/* pcap record header */
/* the largest pcap file of one flow: global header, then records */
#define FLOWCAP_FILE_MAX	(FLOWCAP_PCAP_HDR + FLOWCAP_PKTS * (FLOWCAP_REC_HDR + FLOWCAP_SNAP))

struct flowcap;
struct flowcap_slot;

/* Writes one flow's pcap file (@len bytes); 0, or -1 when refused. The
 * bytes are only valid during the call. */
typedef int (*flowcap_sink)(void *ctx, uint32_t flow_id, const uint8_t *file, size_t len);

struct flowcap_stats {
	uint64_t slots;		/* pool size */
	uint64_t in_use;	/* flows holding a slot now */
	uint64_t pool_empty;	/* flows not captured: every slot taken */
	uint64_t packets;	/* packets copied into slots */
	uint64_t handed;	/* unknown flows given to the sink */
	uint64_t refused;	/* of those, refused by the sink (cap, queue) */
};

/** flowcap_new - a pool of @slots slots whose files are at most @file_max
 * bytes (packets that would pass it are left out) and go to @sink; NULL +
 * errno */
struct flowcap *flowcap_new(uint32_t slots, size_t file_max, flowcap_sink sink, void *ctx);
void flowcap_free(struct flowcap *c);

/*
 * The per-flow life cycle. @slot is the flow's own pointer (NULL until the
 * flow is captured), kept by the caller beside the flow; @c may be NULL
 * when captures are off.
 */

/** flowcap_packet - after the engine handled a packet of @f (its first one
 * if @created): a new flow under inspection takes a slot, the packet is
 * kept, and a flow whose inspection is over gives its slot back (handing
 * its packets to the sink first if it ended unknown). */
void flowcap_packet(struct flowcap *c, struct flowcap_slot **slot, const struct flow *f, bool created,
		    enum link_type lt, const uint8_t *data, uint32_t len, uint64_t ts_us);

/** flowcap_flow_done - inspection of @f ended. Inside the engine's handling
 * of a packet (@in_packet) the packet that ended it is not kept yet: the
 * flow is handed over at flowcap_packet() (or flowcap_flow_gone()). */
void flowcap_flow_done(struct flowcap *c, struct flowcap_slot **slot, const struct flow *f, bool in_packet);

/** flowcap_flow_gone - @f leaves the table: hand over what is pending,
 * give the slot back */
void flowcap_flow_gone(struct flowcap *c, struct flowcap_slot **slot, const struct flow *f);

void flowcap_stats(const struct flowcap *c, struct flowcap_stats *st);

/* One packet of a pcap file. */
struct flowcap_pkt {
	uint64_t ts_us;
	const uint8_t *data;
	uint32_t caplen;	/* bytes at data */
	uint32_t len;		/* length on the wire */
};

/** flowcap_pcap_build - lays out a pcap file (microsecond timestamps, the
 * writer's byte order, link type @dlt) at @out: global header, then one
 * record per packet while they fit in @cap bytes (@cap >= FLOWCAP_PCAP_HDR).
 * Returns the file's length. */
size_t flowcap_pcap_build(uint8_t *out, size_t cap, uint32_t dlt, const struct flowcap_pkt *pkts, unsigned n);

#endif
