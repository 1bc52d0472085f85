/* The first packets of flows under inspection, kept so that a flow whose
 * inspection ends unknown can be written out as a pcap (monitor_capture).
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

#include <stdint.h>

#include "monitor.h"

#define FLOWCAP_PKTS	4	/* packets kept per flow */
#define FLOWCAP_SNAP	512	/* bytes kept per packet */
#define FLOWCAP_SLOTS	1024	/* flows captured at once, per worker */
/* the largest pcap file of one flow: global header, then records */
#define FLOWCAP_FILE_MAX	(24 + FLOWCAP_PKTS * (16 + FLOWCAP_SNAP))

struct flowcap;
struct flowcap_slot;

struct flowcap_stats {
	uint64_t slots;		/* pool size */
	uint64_t in_use;	/* flows holding a slot now */
	uint64_t pool_empty;	/* flows not captured: every slot taken */
	uint64_t packets;	/* packets copied into slots */
	uint64_t handed;	/* unknown flows given to monitor_capture() */
	uint64_t refused;	/* of those, refused by the monitor (cap, queue) */
};

/** flowcap_new - a pool of @slots slots; NULL + errno */
struct flowcap *flowcap_new(uint32_t slots);
void flowcap_free(struct flowcap *c);

/** flowcap_get - a free slot for packets of @linktype (pcap DLT), or NULL
 * (counted) when all are taken */
struct flowcap_slot *flowcap_get(struct flowcap *c, uint32_t linktype);

/** flowcap_add - copies the first FLOWCAP_SNAP bytes of one packet into @s;
 * 0, or -1 when @s already holds FLOWCAP_PKTS packets */
int flowcap_add(struct flowcap *c, struct flowcap_slot *s, const uint8_t *data, uint32_t len,
		uint64_t ts_us);

/** flowcap_hand - gives @s's packets to monitor_capture() as flow @flow_id;
 * 0 or -1 (counted) */
int flowcap_hand(struct flowcap *c, struct flowcap_slot *s, struct monitor *m, uint32_t flow_id);

/** flowcap_put - returns @s to the pool */
void flowcap_put(struct flowcap *c, struct flowcap_slot *s);

void flowcap_stats(const struct flowcap *c, struct flowcap_stats *st);

#endif
