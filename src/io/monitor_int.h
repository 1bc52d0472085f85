/* Internals shared by the monitor's files, not a public interface:
 * monitor.c (clients, messages, control connections, the io thread, life
 * cycle), monitor_listen.c (addresses and listeners) and monitor_files.c
 * (json_save files and unknown-flow capture files). */
#ifndef NETIFY_MONITOR_INT_H
#define NETIFY_MONITOR_INT_H

#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/un.h>
#include <yajl/yajl_gen.h>

#include "evring.h"
#include "monitor.h"

#define MON_LISTEN_MAX	(2 + MONITOR_TCP_MAX)
#define MON_CAP_SLOTS_MAX 256	/* capture files in flight */

enum mon_ep_type { EP_WAKE, EP_TIMER, EP_LISTEN, EP_CLIENT };

/* What an epoll event points at. */
struct mon_ep {
	enum mon_ep_type type;
	int fd;
};

struct mon_listener {
	struct mon_ep ep;
	enum monitor_framing framing;
	bool control;
	char path[sizeof(((struct sockaddr_un *)0)->sun_path)];	/* Unix: unlinked at free */
};

struct mon_client {
	struct mon_ep ep;
	enum monitor_framing framing;
	bool control;
	bool in_use;
	bool close_after_flush;
	bool eof;			/* control: the peer sent its last byte */
	bool waiting;			/* control: the reply waits for the daemon */
	uint32_t armed;			/* epoll events asked for */
	uint8_t *out;
	size_t off, len, cap;		/* pending bytes are out[off..off+len) */
	char *in;			/* control: requests read, in[in_off..in_off+in_len) */
	size_t in_off, in_len, in_cap;
	size_t in_scan;			/* of those, bytes known to hold no newline */
	struct control_reply *reply;	/* control: the reply being sent */
	uint64_t progress_ms;		/* control: accepted, a request read, a byte sent */
	uint64_t stall_ms;		/* stream: since when bytes wait unread (0: none) */
	int outq;			/* stream: the socket's unread bytes at the last look */
};

#define CNT(m, f) ((m)->cnt.f)
#define CNT_ADD(m, f, n) atomic_fetch_add_explicit(&(m)->cnt.f, (n), memory_order_relaxed)

struct monitor {
	struct monitor_cfg cfg;
	struct monitor_ops ops;
	void *ctx;
	struct evring *ring;
	struct evring *cap_ring;	/* unknown-flow pcaps; NULL when off */
	_Atomic unsigned cap_claimed;	/* files promised (towards capture_max_files) */
	_Atomic uint64_t cap_skipped;
	unsigned cap_seq;		/* files written (io thread): keeps names unique */
	int save_logged;		/* a failed file write was logged (io thread) */
	int epfd;
	struct mon_ep wake;		/* eventfd: events queued or stop */
	struct mon_ep timer;		/* timerfd: status interval */
	struct mon_listener listeners[MON_LISTEN_MAX];
	unsigned n_listeners;
	struct mon_client *clients;	/* max_clients stream + control slots */
	unsigned n_slots;
	pthread_t thread;
	bool running;
	_Atomic int stop;
	_Atomic int sleeping;		/* io thread is (about to be) in epoll_wait */
	uint64_t started_ms;
	uint64_t (*clock_ms)(void);	/* of timeouts: monotonic */
	uint64_t swept_ms;		/* last look for stalled and idle clients */
	struct {
		_Atomic uint64_t events_sent, bytes_sent, clients, clients_total, clients_slow,
			clients_stalled, clients_rejected, junk_bytes, control_requests,
			control_rejected, control_dropped, status_sent, json_save_errors, captures;
	} cnt;
};

/* monitor.c */
uint64_t mon_now_ms(void);
/* A message {"type":..,"timestamp":..} being built; NULL if out of memory. */
yajl_gen mon_msg_open(const char *type);
/* Closes it; -1 if a callback left JSON that does not parse back. */
int mon_msg_close(yajl_gen g, const unsigned char **buf, size_t *len);
/* After a push: wakes the io thread only if it went to sleep for good. */
void mon_kick(struct monitor *m);

/* monitor_listen.c */
int mon_listeners_open(struct monitor *m);

/* monitor_files.c */
int mon_save_file(struct monitor *m, const char *dir, const char *name, const unsigned char *buf,
		  size_t len, bool newline);
void mon_save_flows(struct monitor *m);
uint32_t mon_cap_slots(const struct monitor_cfg *c);
void mon_capture_drain(struct monitor *m);

#endif
