/* The classifier pipeline: decode -> flow -> dpi -> apps.
 *
 * One engine per worker thread (its own flow table and nDPI state); nothing
 * in it is shared or locked. Packet sources (pcap file, NFQUEUE) call
 * engine_process() for each packet and act on the result; the engine calls
 * back when a flow's inspection ends and when a flow leaves the table.
 */
#ifndef NETIFY_ENGINE_H
#define NETIFY_ENGINE_H

#include <stdbool.h>
#include <stdint.h>

#include "decode.h"
#include "flow.h"

struct apps_db;
struct dnscache;
struct engine;

struct engine_cidr {
	uint8_t family;		/* 4 or 6 */
	uint8_t bits;
	uint8_t addr[16];
};

struct engine_callbacks {
	/* Inspection of f ended (f->end_reason says why). The full metadata is
	 * still attached: flowjson_write() can print it. */
	void (*flow_done)(void *user, struct engine *e, struct flow *f);
	/* f leaves the table. */
	void (*flow_purge)(void *user, struct engine *e, struct flow *f, enum flow_purge why);
	/* Called after every packet of a flow under inspection whose
	 * application or protocol changed, so a policy can act early. */
	void (*flow_update)(void *user, struct engine *e, struct flow *f);
	void *user;
};

struct engine_cfg {
	uint32_t flow_capacity;		/* flows in the table (default 65536) */
	uint32_t dpi_capacity;		/* flows inspected at once (default: flow_capacity) */
	uint32_t packet_budget;		/* packets inspected per flow; 0 = no limit (default 32) */
	uint32_t inspect_idle;		/* seconds without a packet that end inspection (default 30, 0 = off) */
	struct flow_timeouts timeouts;	/* default tcp 3600, closed 10, udp 120, other 60 */
	uint32_t dns_cache_size;	/* 0 disables the DNS hint cache (default 16384) */
	uint32_t dns_ttl_min, dns_ttl_max;
	uint32_t quic_capacity;		/* QUIC handshakes read by netify at once (default 256, 0 = none) */
	uint32_t text_capacity;		/* flows holding text netify read (DNS answers, HTTP
					 * request, QUIC SNI) at once; 0 = half of dpi_capacity */
	bool decode_tunnels;		/* inner packets of IP-in-IP, GRE, CAPWAP (captures; default off) */
	const struct engine_cidr *local_nets;	/* decides the "local" side; none: the initiator */
	unsigned n_local_nets;
	uint64_t seed;			/* hash seed; 0 = random */
	uint32_t flow_id_base;		/* first flow id - 1: workers use disjoint ranges */
	struct engine *dpi_share;	/* use this engine's nDPI module (locked); NULL: own */
	struct engine_callbacks cb;
};

struct engine_stats {
	uint64_t packets, bytes;
	uint64_t decode[__DECODE_MAX];
	uint64_t inspected;		/* packets given to nDPI */
	uint64_t flows_done[__FLOW_END_MAX];
	uint64_t dpi_full;		/* new flows not inspected: dpi_capacity reached */
	uint64_t dpi_alloc_fail;	/* new flows not inspected: no memory for their state */
	uint64_t quic_named;		/* QUIC flows named from netify's own Initial reading */
	uint64_t quic_full;		/* QUIC flows left to nDPI: quic_capacity reached */
	uint64_t text_full;		/* flows left without netify's text: text_capacity reached */
};

/* What one packet did. */
struct engine_result {
	enum decode_status status;
	struct flow *flow;		/* NULL unless status == DECODE_OK */
	uint8_t side;			/* key side the packet came from */
	bool created;			/* first packet of the flow */
	bool done_now;			/* inspection ended on this packet */
	/* The decoded packet (addresses, ports, the transport payload and its
	 * length), pointing into the caller's bytes: nothing after the engine
	 * needs to read a header again. */
	struct pkt pkt;
	/* A DNS answer the packet carried (from port 53), as the hint cache
	 * read it: the UDP payload, or a TCP payload after its length prefix.
	 * NULL if none. A daemon shares it with its other workers' caches. */
	const uint8_t *dns;
	uint32_t dns_len;
	uint64_t ts_us;			/* the packet's time, for engine_inspect() */
};

void engine_cfg_defaults(struct engine_cfg *cfg);
struct engine *engine_new(const struct engine_cfg *cfg);
void engine_free(struct engine *e);

/* Swaps the application definitions used for flows classified from now on.
 * The caller keeps db alive until every engine using it has switched. */
void engine_set_apps(struct engine *e, const struct apps_db *db);
const struct apps_db *engine_apps(const struct engine *e);

/* Processes one packet seen at ts_us (microseconds): engine_lookup() then
 * engine_inspect(). 0, or -1 when no flow could be had (zero capacity). */
int engine_process(struct engine *e, enum link_type lt, const uint8_t *data, uint32_t caplen,
		   uint64_t ts_us, struct engine_result *res);

/* engine_process() in two steps, for a caller that acts on the packet's
 * flow before it is inspected (the daemon notes what NFQUEUE told it about
 * the packet, so the policy decided during inspection knows the device).
 * engine_lookup() decodes and finds or creates the flow (res->flow, side,
 * created); when it returns 0 with res->flow set, the caller must call
 * engine_inspect() with the same result before the next packet. */
int engine_lookup(struct engine *e, enum link_type lt, const uint8_t *data, uint32_t caplen,
		  uint64_t ts_us, struct engine_result *res);
void engine_inspect(struct engine *e, struct engine_result *res);

/* Ends f's inspection now with reason why (e.g. the daemon gave up). */
void engine_finish(struct engine *e, struct flow *f, enum flow_end why);

/* From inside a flow_update callback: end f's inspection (FLOW_END_DECIDED)
 * as soon as the callback returns, e.g. because the flow is blocked and
 * there is nothing more to learn from it. */
void engine_finish_soon(struct flow *f);

/* Purges flows idle at now_us; call about once a second. */
void engine_expire(struct engine *e, uint64_t now_us);

/* Ends every inspection (FLOW_END_EOF) and purges every flow. */
void engine_flush(struct engine *e, enum flow_purge why);

int engine_foreach_flow(struct engine *e, int (*fn)(void *user, struct flow *f), void *user);
/* One step of a walk over the flows: see flow_foreach_step(). */
int engine_foreach_flow_step(struct engine *e, uint32_t *pos, uint32_t slots,
			     int (*fn)(void *user, struct flow *f), void *user);

const struct engine_stats *engine_stats(const struct engine *e);
const struct flow_stats *engine_flow_stats(const struct engine *e);
struct dnscache *engine_dnscache(struct engine *e);

/* Fills m with f's metadata while f is inspected (in flow_done too);
 * -1 once inspection state is gone. */
struct flow_meta;
int engine_flow_meta(struct engine *e, const struct flow *f, struct flow_meta *m);

/* Which key side of f is "local" (LAN), by local_nets or else the initiator. */
uint8_t engine_local_side(const struct engine *e, const struct flow *f);

/* nDPI's own application for f, beside the catalog's f->app_id: its
 * app-level protocol (GoogleServices in TLS.GoogleServices), else what it
 * names by the server's address (protocol_by_ip); 0 if none. */
uint16_t engine_ndpi_app(const struct flow *f);

/* The catalog application engine_ndpi_app() stands for (its ndpi: lines),
 * or -1: a rule naming that application matches the flow too. */
int engine_ndpi_app_catalog(const struct engine *e, const struct flow *f);

/* Names for ids, for JSON and tables. */
const char *engine_proto_name(const struct engine *e, uint16_t ndpi_id);
const char *engine_app_tag(const struct engine *e, const struct flow *f);

#endif
