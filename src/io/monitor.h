/* The JSON monitor stream and the control socket's transport.
 *
 * One io thread runs an epoll loop over the monitor listeners (a Unix
 * socket and optional TCP listeners), their clients, and the control
 * socket. Worker threads hand events to it with monitor_publish(), which
 * copies into a bounded lock-free ring and never waits: when the ring is
 * full the event is dropped and counted. Every client has a bounded output
 * buffer; a client that falls so far behind that an event does not fit is
 * disconnected and counted, so a stalled reader costs the packet path
 * nothing. Bytes clients send on the stream are read and ignored.
 *
 * On connect a client receives "agent_hello" and "definitions"; every
 * status interval all clients receive "agent_status". Message formats:
 * doc/json.md and the JSON Schemas in schema/.
 */
#ifndef NETIFY_MONITOR_H
#define NETIFY_MONITOR_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>
#include <yajl/yajl_gen.h>

#define MONITOR_SCHEMA_VERSION	"1.0"
#define MONITOR_DEFAULT_PATH	"/var/run/netify/netify.sock"
#define MONITOR_TCP_MAX		8
#define MONITOR_CONTROL_CLIENTS	8	/* control connections at once */
/* A control connection that sends no request and takes no byte of its
 * reply for this long is closed: an idle or a stalled client frees its
 * slot. One that waits for a reload is not idle. */
#define MONITOR_CONTROL_IDLE_MS	10000
/* A stream client that leaves what waits for it unread this long is
 * dropped, whether or not events come to fill its buffer. */
#define MONITOR_STREAM_STALL_MS	60000
/* A full table makes room for a new client: the control connection idle
 * longest, or the stream client stalled longest if stalled this long. */
#define MONITOR_EVICT_MIN_MS	1000

enum monitor_framing {
	MONITOR_FRAMING_NDJSON,		/* one JSON object per line */
	MONITOR_FRAMING_NETIFY,		/* {"length":N}\n then N bytes (JSON + \n) */
	__MONITOR_FRAMING_MAX
};

struct control;

struct monitor_cfg {
	const char *unix_path;		/* NULL: no Unix listener */
	enum monitor_framing unix_framing;
	const char *tcp[MONITOR_TCP_MAX];	/* "port", "addr:port", "[v6]:port" */
	enum monitor_framing tcp_framing[MONITOR_TCP_MAX];
	unsigned n_tcp;
	const char *control_path;	/* NULL: no control socket */
	struct control *control;	/* answers control requests (control.h) */
	const char *group;		/* group of the Unix sockets; NULL: unchanged */
	mode_t mode;			/* of the Unix sockets (0660) */
	unsigned status_interval_ms;	/* agent_status period; 0 = never */
	const char *json_save_dir;	/* status.json + flows.json each interval; NULL = off */
	uint32_t queue_slots;		/* events in flight (1024) */
	uint32_t event_max;		/* bytes of one event (8192); larger are dropped */
	uint32_t client_buf;		/* bytes queued per client (256 KiB) */
	unsigned max_clients;		/* stream clients at once (64) */
	const char *version;		/* agent_version in agent_hello (PACKAGE_VERSION) */
	const char *capture_dir;	/* pcaps of flows that end unknown; NULL = off */
	unsigned capture_max_files;	/* files written per run (100) */
	uint32_t capture_max_bytes;	/* bytes of one file (65536) */
	uint64_t (*clock_ms)(void);	/* tests: the clock of timeouts; NULL: monotonic */
};

/* Callbacks run on the io thread and write members into an open map; they
 * must lock whatever the workers change. Any may be NULL. */
struct monitor_ops {
	/* definitions message: "protocols", "applications", "categories" arrays */
	void (*definitions)(void *ctx, yajl_gen g);
	/* agent_status message: uptime, flows, memory, queues, ... */
	void (*status)(void *ctx, yajl_gen g);
	/* json_save flows.json: writes the members of each flow (one map per
	 * flow) inside the open "flows" array */
	void (*flows)(void *ctx, yajl_gen g);
};

struct monitor_stats {
	uint64_t events;		/* accepted by monitor_publish() */
	uint64_t events_dropped;	/* refused: queue full */
	uint64_t events_oversize;	/* refused: larger than event_max */
	uint64_t events_sent;		/* taken off the queue and sent to clients */
	uint64_t bytes_sent;
	uint64_t clients;		/* stream clients connected now */
	uint64_t clients_total;		/* accepted since start */
	uint64_t clients_slow;		/* disconnected: fell behind */
	uint64_t clients_stalled;	/* disconnected: read nothing (timeout, or room made) */
	uint64_t clients_rejected;	/* refused: max_clients reached */
	uint64_t junk_bytes;		/* bytes stream clients sent us (ignored) */
	uint64_t control_requests;
	uint64_t control_rejected;	/* too many control connections */
	uint64_t control_dropped;	/* closed: idle or stalled (timeout, or room made) */
	uint64_t status_sent;		/* agent_status messages built */
	uint64_t json_save_errors;
	uint64_t captures;		/* unknown-flow pcaps written */
	uint64_t captures_skipped;	/* refused: file cap reached, queue full, or I/O error */
};

struct monitor;

/** monitor_cfg_defaults - the defaults above; no listener, no control */
void monitor_cfg_defaults(struct monitor_cfg *cfg);

/**
 * monitor_new - open every listener now, so that configuration errors
 * (address in use, bad "host:port", unknown group) are reported before the
 * daemon starts; NULL + errno on failure. No thread runs yet.
 */
struct monitor *monitor_new(const struct monitor_cfg *cfg, const struct monitor_ops *ops,
			    void *ctx);

/** monitor_start - start the io thread; 0 or -1 */
int monitor_start(struct monitor *m);

/**
 * monitor_run_once - one turn of the io thread's loop on the caller's
 * thread, waiting at most @timeout_ms for an event (tests and fuzzing,
 * with no io thread started). Returns the number of events handled.
 */
int monitor_run_once(struct monitor *m, int timeout_ms);

/**
 * monitor_wake - make the io thread look again at control replies that
 * wait (control.h CONTROL_WAIT) now: the daemon calls it once a reload
 * was tried. Any thread.
 */
void monitor_wake(struct monitor *m);

/**
 * monitor_publish - queue one event (a JSON object; a trailing newline is
 * ignored) for every stream client. Safe from any number of threads; never
 * blocks. 0, or -1 when dropped (counted).
 */
int monitor_publish(struct monitor *m, const char *json, size_t len);
/** monitor_publish_gen - monitor_publish() of a generator's buffer */
int monitor_publish_gen(struct monitor *m, yajl_gen g);

/**
 * monitor_capture - queue the capture file of a flow that ended
 * unclassified (@len bytes, laid out by flowcap.h), to be written by the io
 * thread as capture_dir/unknown-<flow_id>-<ms>-<n>.pcap (n counts the files
 * of the run). No file is written past capture_max_files, nor one larger
 * than capture_max_bytes. Any thread; never blocks, never allocates.
 * 0, or -1 when off, over a cap or the queue is full (counted).
 */
int monitor_capture(struct monitor *m, uint32_t flow_id, const uint8_t *file, size_t len);

/** monitor_stats - a snapshot of the counters; any thread */
void monitor_stats(const struct monitor *m, struct monitor_stats *st);
/** monitor_stats_json - the counters as members of an open map */
void monitor_stats_json(const struct monitor *m, yajl_gen g);

/** monitor_stop - stop and join the io thread; clients are closed */
void monitor_stop(struct monitor *m);
/** monitor_free - stop, close listeners, remove the Unix socket files */
void monitor_free(struct monitor *m);

/**
 * monitor_parse_addr - "7150" (loopback), "0.0.0.0:7150", "[::]:7150",
 * "192.168.1.1:7150": numeric addresses only, never a DNS lookup.
 * 0 or -1 (EINVAL).
 */
struct sockaddr_storage;
int monitor_parse_addr(const char *s, struct sockaddr_storage *ss, unsigned *sslen);

/** monitor_framing_parse - "ndjson" / "netify"; -1 if neither */
int monitor_framing_parse(const char *s);

/**
 * monitor_frame_header - the bytes sent before a @len-byte event (and the
 * newline after it) in @framing; returns the header length (0 for ndjson).
 * @buf must hold 32 bytes.
 */
size_t monitor_frame_header(enum monitor_framing framing, size_t len, char *buf);

#endif
