/* Flow table: fixed capacity, seeded hash, LRU eviction, idle expiry.
 *
 * All flows live in one array allocated at start; lookups and inserts never
 * allocate. A flow key is direction-free: both directions of a conversation
 * find the same entry, and flow->init_side says which endpoint spoke first.
 */
#ifndef NETIFY_FLOW_H
#define NETIFY_FLOW_H

#include <stdbool.h>
#include <stdint.h>

#include "decode.h"

#define FLOW_NONE UINT32_MAX
#define FLOW_HOST_MAX 64	/* host name kept after inspection (truncated) */

struct flow_key {
	uint8_t addr[2][16];	/* addr[0] <= addr[1] (memcmp, then port) */
	uint16_t port[2];
	uint16_t vlan;
	uint8_t family;
	uint8_t proto;
};

enum flow_state {
	FLOW_INSPECTING,
	FLOW_DONE,		/* inspection ended, compact record only */
	__FLOW_STATE_MAX
};

/* Why inspection ended. */
enum flow_end {
	FLOW_END_NONE,
	FLOW_END_CLASSIFIED,	/* nDPI classified it and has nothing more to collect */
	FLOW_END_BUDGET,	/* packet budget spent: best guess */
	FLOW_END_IDLE,		/* expired or evicted while inspecting: best guess */
	FLOW_END_CLOSED,	/* FIN/RST before a result: best guess */
	FLOW_END_EOF,		/* capture ended while inspecting: best guess */
	FLOW_END_OVERLOAD,	/* not inspected: too many flows under inspection */
	FLOW_END_DECIDED,	/* the owner acted (e.g. blocked) before nDPI was done */
	FLOW_END_ENCRYPTED,	/* TLS handshake over: nothing more in clear */
	__FLOW_END_MAX
};

/* Why a flow left the table. */
enum flow_purge {
	FLOW_PURGE_IDLE,
	FLOW_PURGE_CLOSED,
	FLOW_PURGE_EVICTED,
	FLOW_PURGE_SHUTDOWN,
	__FLOW_PURGE_MAX
};

enum flow_source {		/* what named the application */
	FLOW_SRC_NONE,
	FLOW_SRC_NDPI,		/* nDPI's own app-level protocol */
	FLOW_SRC_SNI,		/* TLS/QUIC SNI or HTTP Host against app rules */
	FLOW_SRC_DNS,		/* DNS hint cache against app rules */
	FLOW_SRC_ADDR,		/* server address against app networks */
	FLOW_SRC_CERT,		/* certificate names against app rules */
	__FLOW_SRC_MAX
};

struct dpi_flow;

struct flow {
	struct flow_key key;
	uint64_t first_seen;	/* ms */
	uint64_t last_seen;	/* ms */
	uint64_t bytes[2];	/* per key side, IP bytes */
	uint32_t packets[2];
	uint32_t hnext;		/* hash chain: next index + 1, 0 = end (free list: index) */
	uint32_t lru_prev, lru_next;
	uint32_t id;		/* serial, unique in a run */
	struct dpi_flow *dpi;	/* while inspecting, else NULL */
	void *user;		/* owner's per-flow data (daemon: policy outcome) */
	uint16_t proto_master;	/* nDPI ids, 0 = unknown */
	uint16_t proto_app;
	uint16_t proto_ip;	/* nDPI's application by server address (>= 4.6), 0 none */
	int32_t app_id;		/* netify application id, -1 none */
	uint16_t detection_packets;
	uint8_t state;		/* enum flow_state */
	uint8_t end_reason;	/* enum flow_end */
	uint8_t source;		/* enum flow_source */
	uint8_t init_side;	/* key side (0/1) of the initiator */
	uint8_t lru_class;	/* internal: the LRU list the flow is on */
	uint8_t guessed:1, fin_seen0:1, fin_seen1:1, rst_seen:1, has_mac:1, in_use:1;
	uint8_t finish_req:1;	/* engine_finish_soon() was called */
	uint8_t mac[2][6];	/* per key side, when the link layer has them */
	char host[FLOW_HOST_MAX];
};

struct flow_stats {
	uint64_t lookups, inserts, evictions, expired, closed, active;
	uint64_t evict_inspecting;	/* evictions of flows still under inspection */
};

struct flow_table;

struct flow_timeouts {		/* seconds */
	uint32_t tcp, tcp_closed, udp, other;
};

/* Called with each flow about to leave the table (expired, evicted, ...). */
typedef void (*flow_purge_cb)(void *user, struct flow *f, enum flow_purge why);

struct flow_table *flow_table_new(uint32_t capacity, uint64_t seed, const struct flow_timeouts *to,
				  flow_purge_cb purge, void *user);
void flow_table_free(struct flow_table *t);

/* Builds the direction-free key of a packet; *side is the packet's source side. */
void flow_key_from_pkt(const struct pkt *p, struct flow_key *k, uint8_t *side);

/* Finds the flow of k, or creates it (evicting the least recently used flow
 * when full). *created tells which. Never NULL when capacity > 0. */
struct flow *flow_get(struct flow_table *t, const struct flow_key *k, uint64_t now_ms, bool *created);
struct flow *flow_find(struct flow_table *t, const struct flow_key *k);

/* Marks f used now (moves it to the LRU head). */
void flow_touch(struct flow_table *t, struct flow *f, uint64_t now_ms);

/* Purges flows idle past their timeout; returns how many. */
unsigned flow_expire(struct flow_table *t, uint64_t now_ms);

/* Purges f now with the given reason. */
void flow_remove(struct flow_table *t, struct flow *f, enum flow_purge why);

/* Purges every flow (shutdown / end of capture). */
void flow_table_flush(struct flow_table *t, enum flow_purge why);

/* Visits live flows, most recently used first; stop by returning non-zero. */
int flow_foreach(struct flow_table *t, int (*fn)(void *user, struct flow *f), void *user);

/* A walk in steps, so that its caller need not hold the table for a whole
 * walk: visits the live flows of slots [*pos, *pos + slots) in slot order,
 * and moves *pos past the last slot visited. A flow keeps its slot while it
 * lives, so no flow is seen twice; one that arrives behind the walk is not
 * seen. fn ends the step early by returning non-zero (after its flow).
 * Returns 1 while slots remain, 0 when the walk is done. */
int flow_foreach_step(struct flow_table *t, uint32_t *pos, uint32_t slots,
		      int (*fn)(void *user, struct flow *f), void *user);

const struct flow_stats *flow_table_stats(const struct flow_table *t);
uint32_t flow_table_capacity(const struct flow_table *t);

/* Flow ids continue from base + 1 (several tables, disjoint ranges). */
void flow_table_set_id_base(struct flow_table *t, uint32_t base);

const char *flow_end_name(enum flow_end e);
const char *flow_purge_name(enum flow_purge p);
const char *flow_source_name(enum flow_source s);

#endif
