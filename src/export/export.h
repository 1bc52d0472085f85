/* IPFIX export of flow records to standard collectors (nfdump, pmacct, ...).
 *
 * The daemon fills one struct export_record per connection when it ends,
 * and one per active timeout while it lasts, and hands it to export_push()
 * from any thread: the record is copied into a bounded lock-free ring and
 * the caller never waits. When the ring is full the record is dropped and
 * counted. One exporter thread takes records off the ring, packs them into
 * IPFIX messages (RFC 7011) of at most `mtu` bytes, and sends each message
 * to every collector, over UDP or TCP, with the collector's own sequence
 * numbers. Templates go out before the first data, again every
 * `template_refresh` seconds or `template_refresh_packets` messages on UDP,
 * and on every new TCP connection. A collector that is down or slow costs
 * the caller nothing: its records are counted as dropped for it alone.
 *
 * The information elements and the application ID scheme are documented
 * in ipfix.h and man/netify.5.
 */
#ifndef NETIFY_EXPORT_H
#define NETIFY_EXPORT_H

#include <stdbool.h>
#include <stdint.h>
#include <yajl/yajl_gen.h>

#define EXPORT_COLLECTORS_MAX	8
#define EXPORT_NAME_MAX		64	/* bytes kept of a name, NUL included */
#define EXPORT_HOST_MAX		64	/* as FLOW_HOST_MAX: what a flow keeps */
#define EXPORT_DEFAULT_PORT	4739	/* IANA: ipfix */

/* Why the record was sent: IANA flowEndReason values (RFC 5102). */
enum export_end {
	EXPORT_END_IDLE = 1,		/* idle timeout */
	EXPORT_END_ACTIVE = 2,		/* active timeout: the flow goes on */
	EXPORT_END_CLOSED = 3,		/* end of flow detected (FIN/RST, conntrack destroy) */
	EXPORT_END_FORCED = 4,		/* forced end (shutdown, end of capture) */
	EXPORT_END_EVICTED = 5,		/* lack of resources (evicted from a full table) */
};

/* netify's policy outcome for the flow. */
enum export_action {
	EXPORT_ACTION_NONE,		/* no rule matched: forwarded */
	EXPORT_ACTION_ALLOW,		/* a rule allowed it */
	EXPORT_ACTION_BLOCK,		/* a rule blocked it */
	EXPORT_ACTION_QOS,		/* a rule put it in a QoS class */
	__EXPORT_ACTION_MAX
};

/**
 * struct export_record - one flow record, filled by the daemon.
 *
 * Direction follows RFC 5103: the source is the initiator. Counters are
 * deltas since the previous record of the same flow (the whole flow for
 * its only record): export_counters() turns totals into deltas, whether
 * they are netify's own counts (replay) or conntrack's (inline). Strings
 * are NUL-terminated, untrusted bytes; the encoder makes them valid UTF-8.
 */
struct export_record {
	uint64_t flow_id;		/* netify's flow id (flowId) */
	uint64_t start_ms, end_ms;	/* first and last packet, ms since the epoch */
	uint64_t bytes[2];		/* [0] initiator->responder, [1] reverse: IP bytes */
	uint64_t packets[2];
	uint8_t family;			/* 4 or 6 */
	uint8_t proto;			/* IP protocol */
	uint16_t sport, dport;		/* initiator's and responder's ports */
	uint8_t saddr[16], daddr[16];	/* initiator, responder (IPv4: first 4 bytes) */
	uint8_t smac[6], dmac[6];	/* all zero: unknown */
	uint16_t vlan;
	uint8_t end;			/* enum export_end */
	uint8_t action;			/* enum export_action */
	uint32_t app_id;		/* netify application id, 0: none */
	uint16_t ndpi_id;		/* nDPI protocol id (app, else master), 0: unknown */
	char app_name[EXPORT_NAME_MAX];	/* application display name */
	char category[EXPORT_NAME_MAX];	/* application category tag */
	char ndpi_name[EXPORT_NAME_MAX];/* nDPI protocol, "master.app" */
	char host[EXPORT_HOST_MAX];	/* TLS/QUIC SNI or HTTP Host */
	char rule[EXPORT_NAME_MAX];	/* name of the policy rule that matched */
	char qos_class[EXPORT_NAME_MAX];/* QoS class, for EXPORT_ACTION_QOS */
};

/* What was reported so far of one flow, kept by the caller per flow. */
struct export_mark {
	uint64_t bytes[2], packets[2];
	uint64_t last_ms;		/* when the last record went out (0: never) */
};

/**
 * export_counters - set r's counters to the deltas between the totals
 * given and what m says was reported, and remember the totals in m.
 * A total smaller than the one reported (a counter that started again)
 * counts from zero.
 */
void export_counters(struct export_record *r, struct export_mark *m, const uint64_t bytes[2],
		     const uint64_t packets[2], uint64_t now_ms);

enum export_proto {
	EXPORT_UDP,
	EXPORT_TCP,
	__EXPORT_PROTO_MAX
};

struct export_collector {
	char host[256];			/* name or address, resolved by the exporter thread */
	char port[8];
	enum export_proto proto;
};

/**
 * export_collector_parse - "[udp://|tcp://]host[:port]", IPv6 as "[addr]:port";
 * port 4739 when absent. 0, or -1 with a message in err.
 */
int export_collector_parse(const char *s, struct export_collector *c, char *err, size_t errlen);

struct export_cfg {
	struct export_collector collectors[EXPORT_COLLECTORS_MAX];
	unsigned n_collectors;
	uint32_t domain;		/* observation domain id (1) */
	uint32_t active_timeout;	/* s between records of a live flow (120); read by the daemon */
	uint32_t template_refresh;	/* s between templates on UDP (60) */
	uint32_t template_refresh_packets;	/* UDP messages between templates (1000; 0 = off) */
	uint32_t mtu;			/* bytes of one IPFIX message (1400, 256..65535) */
	uint32_t queue;			/* records waiting to be sent (512; 504 bytes each) */
	uint32_t rate;			/* records sent per second at most (20000; 0 = no limit) */
	uint32_t flush_ms;		/* longest a record waits for a fuller message (500) */
	uint32_t tcp_buffer;		/* bytes waiting per TCP collector (65536) */
	uint32_t app_table;		/* applications announced in options records (512) */
	uint32_t pen;			/* enterprise number for netify's own elements; 0: not sent */
};

struct export_collector_stats {
	uint64_t messages;		/* messages sent (data and templates) */
	uint64_t records;		/* data records sent (flow and application records) */
	uint64_t bytes;
	uint64_t templates;		/* template messages sent */
	uint64_t errors;		/* send or connect errors */
	uint64_t dropped;		/* flow records not sent to it: down, slow, refused */
	uint64_t connects;		/* TCP connections made */
	uint32_t sequence;		/* sequence number of the next message */
	uint8_t up;			/* TCP: connected; UDP: last send worked */
};

struct export_stats {
	uint64_t pushed;		/* records accepted by export_push() */
	uint64_t dropped;		/* records refused: queue full (collectors slow, rate cap) */
	uint64_t encoded;		/* records packed into messages */
	uint64_t apps;			/* applications in the options table */
	uint64_t apps_full;		/* applications not announced: table full */
	uint64_t cpu_us;		/* the exporter thread's CPU time so far */
	unsigned n_collectors;
	struct export_collector_stats c[EXPORT_COLLECTORS_MAX];
};

struct exporter;

void export_cfg_defaults(struct export_cfg *cfg);

/**
 * export_new - check cfg and allocate the queue and buffers; no socket is
 * opened and no thread runs yet. NULL + errno (EINVAL for a bad cfg).
 */
struct exporter *export_new(const struct export_cfg *cfg);

/** export_start - start the exporter thread; 0 or -1 */
int export_start(struct exporter *x);

/**
 * export_push - queue a copy of r. Any thread, never blocks, never
 * allocates. 0, or -1 when the queue is full (counted).
 */
int export_push(struct exporter *x, const struct export_record *r);

/**
 * export_push_wait - as export_push(), but a full queue is waited on for
 * up to @wait_ms (1 ms at a time) while the exporter thread sends: for a
 * replay, which has no packet to hold up; never on the packet path. Only a
 * record still refused at the end counts as dropped.
 */
int export_push_wait(struct exporter *x, const struct export_record *r, unsigned int wait_ms);

/**
 * export_poll - one turn of the exporter: (re)connect, send what is
 * queued, refresh templates, as of now_ms (monotonic). The thread calls it
 * in a loop; tests call it directly instead of export_start().
 */
void export_poll(struct exporter *x, uint64_t now_ms);

/** export_flush - send the message being filled now, whatever its size */
void export_flush(struct exporter *x, uint64_t now_ms);

/** export_stats - a snapshot of the counters; any thread */
void export_stats(const struct exporter *x, struct export_stats *st);
/** export_stats_json - the counters as members of an open map */
void export_stats_json(const struct exporter *x, yajl_gen g);

/** export_due - whether a live flow last reported at m is due a record */
bool export_due(const struct export_cfg *cfg, const struct export_mark *m, uint64_t now_ms);

/** export_stop - send what is queued (for at most a second) and join */
void export_stop(struct exporter *x);
/** export_free - stop, close the sockets, free everything */
void export_free(struct exporter *x);

#endif
