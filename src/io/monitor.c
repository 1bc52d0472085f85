/* Monitor stream and control transport: the io thread's epoll loop,
 * per-client buffers, framing, control connections, periodic status.
 * Listeners are monitor_listen.c, the files it writes monitor_files.c. */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/timerfd.h>
#include <time.h>
#include <unistd.h>
#include <linux/sockios.h>

#include "control.h"
#include "json.h"
#include "monitor_int.h"
#include "util.h"

#define MON_BATCH	256	/* events per loop turn, so timers and accepts run */
#define MON_EPOLL_MAX	64
#define MON_READ_CHUNK	4096
/* A control connection holds one reply, or one part of a reply, at a time
 * (control.h): this bounds a single reply, not a queue. */
#define MON_CONTROL_OUT_MAX (64u * 1024u * 1024u)
#define MON_CONTROL_KEEP (64u * 1024u)	/* buffer kept by a connection between replies */
#define MON_CONTROL_BURST 4		/* requests or reply parts per connection and turn */
#define MON_IN_MIN	4096u		/* first request buffer; doubles up to a whole line */
#define MON_IN_MAX	(CONTROL_REQ_MAX + 1u)	/* the longest line and its newline */
#define MON_SWEEP_MS	1000		/* how often idle and stalled clients are looked for */

uint64_t mon_now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

void monitor_cfg_defaults(struct monitor_cfg *cfg)
{
	memset(cfg, 0, sizeof(*cfg));
	cfg->mode = 0660;
	cfg->status_interval_ms = 10000;
	cfg->queue_slots = 1024;
	cfg->event_max = 8192;
	cfg->client_buf = 256 * 1024;
	cfg->max_clients = 64;
	cfg->version = PACKAGE_VERSION;
	cfg->capture_max_files = 100;
	cfg->capture_max_bytes = 65536;
}

int monitor_framing_parse(const char *s)
{
	if (!strcmp(s, "ndjson"))
		return MONITOR_FRAMING_NDJSON;
	if (!strcmp(s, "netify"))
		return MONITOR_FRAMING_NETIFY;
	return -1;
}

size_t monitor_frame_header(enum monitor_framing framing, size_t len, char *buf)
{
	int n;

	if (framing != MONITOR_FRAMING_NETIFY)
		return 0;
	/* the length covers the JSON text and its newline, so the payload is
	 * also one line for readers that ignore the header */
	n = snprintf(buf, 32, "{\"length\":%zu}\n", len + 1);
	return n > 0 && n < 32 ? (size_t)n : 0;
}

/* ---- clients ---- */

static void mon_client_close(struct monitor *m, struct mon_client *c)
{
	epoll_ctl(m->epfd, EPOLL_CTL_DEL, c->ep.fd, NULL);
	close(c->ep.fd);
	free(c->out);
	free(c->in);
	control_reply_free(c->reply);
	if (!c->control)
		atomic_fetch_sub_explicit(&m->cnt.clients, 1, memory_order_relaxed);
	memset(c, 0, sizeof(*c));
	c->ep.fd = -1;
}

static void mon_client_arm(struct monitor *m, struct mon_client *c, uint32_t events)
{
	struct epoll_event ev = { .events = events, .data.ptr = &c->ep };

	if (c->armed == events)
		return;
	c->armed = events;
	epoll_ctl(m->epfd, EPOLL_CTL_MOD, c->ep.fd, &ev);
}

/* A stream client always reads (junk, or its end); it writes when it can. */
static void mon_stream_arm(struct monitor *m, struct mon_client *c)
{
	mon_client_arm(m, c, EPOLLIN | (c->len ? EPOLLOUT : 0));
}

/* Writes what the socket takes now; -1 if the client is gone. */
static int mon_client_flush(struct monitor *m, struct mon_client *c)
{
	while (c->len) {
		ssize_t n = send(c->ep.fd, c->out + c->off, c->len, MSG_NOSIGNAL | MSG_DONTWAIT);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
			break;
		if (n <= 0)
			return -1;
		c->off += (size_t)n;
		c->len -= (size_t)n;
		if (c->control)
			c->progress_ms = m->clock_ms();
		CNT_ADD(m, bytes_sent, (uint64_t)n);
	}
	if (!c->len)
		c->off = 0;
	return 0;
}

/* Makes room for n more bytes: compacts, and grows only when allowed (the
 * one-time greeting, control replies), doubling so that a reply written
 * in many appends is copied a bounded number of times. -1 if it does not
 * fit. */
static int mon_client_room(struct mon_client *c, size_t n, bool grow)
{
	uint8_t *p;
	size_t cap;

	if (c->cap - c->off - c->len >= n)
		return 0;
	if (c->off) {
		memmove(c->out, c->out + c->off, c->len);
		c->off = 0;
	}
	if (c->cap - c->len >= n)
		return 0;
	if (!grow || c->len + n > MON_CONTROL_OUT_MAX)
		return -1;
	cap = c->cap ? c->cap * 2 : MON_READ_CHUNK;
	while (cap < c->len + n)
		cap *= 2;
	if (cap > MON_CONTROL_OUT_MAX)
		cap = MON_CONTROL_OUT_MAX;
	p = realloc(c->out, cap);
	if (!p)
		return -1;
	c->out = p;
	c->cap = cap;
	return 0;
}

/* Appends n bytes as they are (no room check). */
static void mon_client_put(struct mon_client *c, const void *p, size_t n)
{
	memcpy(c->out + c->off + c->len, p, n);
	c->len += n;
}

/* Appends one framed message. A stream client whose buffer is still full
 * after a write attempt has fallen behind: it is dropped, never waited for. */
static int mon_client_send(struct monitor *m, struct mon_client *c, const void *msg, size_t len,
			   bool grow)
{
	char hdr[32];
	size_t hl = monitor_frame_header(c->framing, len, hdr);
	size_t need = hl + len + 1;

	if (mon_client_room(c, need, grow) < 0) {
		if (mon_client_flush(m, c) < 0 || mon_client_room(c, need, grow) < 0)
			return -1;
	}
	mon_client_put(c, hdr, hl);
	mon_client_put(c, msg, len);
	mon_client_put(c, "\n", 1);
	return 0;
}

static int mon_stream_flush(struct monitor *m, struct mon_client *c)
{
	if (mon_client_flush(m, c) < 0)
		return -1;
	mon_stream_arm(m, c);
	return 0;
}

static struct mon_client *mon_client_slot(struct monitor *m, bool control)
{
	unsigned i = control ? m->cfg.max_clients : 0;
	unsigned end = control ? m->n_slots : m->cfg.max_clients;

	for (; i < end; i++)
		if (!m->clients[i].in_use)
			return &m->clients[i];
	return NULL;
}

/* ---- idle and stalled clients ---- */

/* Looks at what a stream client's socket holds unread: the client stalls
 * from the moment bytes wait until that amount goes down (sends only make
 * it grow, so a drop means the peer read). For Unix sockets the kernel
 * counts buffer memory rather than bytes, hence no finer arithmetic. */
static void mon_stream_look(struct mon_client *c, uint64_t now)
{
	int outq = 0;

	if (ioctl(c->ep.fd, SIOCOUTQ, &outq) < 0)
		outq = 0;
	if (!outq && !c->len)
		c->stall_ms = 0;
	else if (!c->stall_ms || outq < c->outq)
		c->stall_ms = now;
	c->outq = outq;
}

/* The stream client stalled longest, at least MONITOR_EVICT_MIN_MS. */
static struct mon_client *mon_stream_victim(struct monitor *m, uint64_t now)
{
	struct mon_client *v = NULL;
	unsigned i;

	for (i = 0; i < m->cfg.max_clients; i++) {
		struct mon_client *c = &m->clients[i];

		if (!c->in_use)
			continue;
		mon_stream_look(c, now);
		if (c->stall_ms && now - c->stall_ms >= MONITOR_EVICT_MIN_MS &&
		    (!v || c->stall_ms < v->stall_ms))
			v = c;
	}
	return v;
}

/* The control connection that made no progress for longest; one whose
 * reply waits for the daemon is not taken. */
static struct mon_client *mon_control_victim(struct monitor *m)
{
	struct mon_client *v = NULL;
	unsigned i;

	for (i = m->cfg.max_clients; i < m->n_slots; i++) {
		struct mon_client *c = &m->clients[i];

		if (c->in_use && !c->waiting && (!v || c->progress_ms < v->progress_ms))
			v = c;
	}
	return v;
}

/* A free slot for a new client, made by closing the idlest one if all are
 * taken (counted); NULL if none may go. */
static struct mon_client *mon_client_make_room(struct monitor *m, bool control)
{
	struct mon_client *c = mon_client_slot(m, control);

	if (c)
		return c;
	c = control ? mon_control_victim(m) : mon_stream_victim(m, m->clock_ms());
	if (!c)
		return NULL;
	CNT_ADD(m, control_dropped, control);
	CNT_ADD(m, clients_stalled, !control);
	mon_client_close(m, c);
	return c;
}

/* Every MON_SWEEP_MS: closes control connections idle for
 * MONITOR_CONTROL_IDLE_MS and stream clients stalled for
 * MONITOR_STREAM_STALL_MS, so that slots free themselves. */
static void mon_sweep(struct monitor *m)
{
	uint64_t now = m->clock_ms();
	unsigned i;

	if (now - m->swept_ms < MON_SWEEP_MS)
		return;
	m->swept_ms = now;
	for (i = 0; i < m->n_slots; i++) {
		struct mon_client *c = &m->clients[i];

		if (!c->in_use)
			continue;
		if (c->control && !c->waiting && now - c->progress_ms >= MONITOR_CONTROL_IDLE_MS) {
			CNT_ADD(m, control_dropped, 1);
			mon_client_close(m, c);
		} else if (!c->control) {
			mon_stream_look(c, now);
			if (c->stall_ms && now - c->stall_ms >= MONITOR_STREAM_STALL_MS) {
				CNT_ADD(m, clients_stalled, 1);
				mon_client_close(m, c);
			}
		}
	}
}

/* ---- messages built on the io thread ---- */

yajl_gen mon_msg_open(const char *type)
{
	yajl_gen g = yajl_gen_alloc(NULL);

	if (!g)
		return NULL;
	yajl_gen_config(g, yajl_gen_validate_utf8, 1);
	yajl_gen_map_open(g);
	json_kv_str(g, "type", type);
	json_kv_int(g, "timestamp", (long long)mon_now_ms());
	return g;
}

/* Closes the message map; -1 if a callback left JSON that does not parse
 * back (unbalanced, a string refused as invalid UTF-8): clients never see a
 * broken message, the message is skipped. */
int mon_msg_close(yajl_gen g, const unsigned char **buf, size_t *len)
{
	if (yajl_gen_map_close(g) != yajl_gen_status_ok ||
	    yajl_gen_get_buf(g, buf, len) != yajl_gen_status_ok)
		return -1;
	return control_json_valid(*buf, *len) ? 0 : -1;
}

static const char *const mon_framing_names[__MONITOR_FRAMING_MAX] = { "ndjson", "netify" };

static int mon_greet(struct monitor *m, struct mon_client *c)
{
	const unsigned char *buf;
	size_t len;
	yajl_gen g;
	int r = -1;

	if (!(g = mon_msg_open("agent_hello")))
		return -1;
	json_kv_str(g, "agent_version", m->cfg.version ? m->cfg.version : PACKAGE_VERSION);
	json_kv_str(g, "schema_version", MONITOR_SCHEMA_VERSION);
	json_kv_str(g, "framing", mon_framing_names[c->framing]);
	if (mon_msg_close(g, &buf, &len) || mon_client_send(m, c, buf, len, true))
		goto out_free_gen;
	yajl_gen_free(g);
	if (!(g = mon_msg_open("definitions")))
		return -1;
	if (m->ops.definitions)
		m->ops.definitions(m->ctx, g);
	/* a broken definitions callback costs the client that message only */
	r = mon_msg_close(g, &buf, &len) == 0 ? mon_client_send(m, c, buf, len, true) : 0;
out_free_gen:
	yajl_gen_free(g);
	return r;
}

static void mon_accept(struct monitor *m, struct mon_listener *l)
{
	struct epoll_event ev = { .events = EPOLLIN };
	struct mon_client *c;
	int fd = accept(l->ep.fd, NULL, NULL);

	if (fd < 0)
		return;
	/* accept() rather than accept4(): _GNU_SOURCE would pull in sched.h,
	 * which src/sched.h shadows on this include path */
	if (fcntl(fd, F_SETFL, O_NONBLOCK) < 0 || fcntl(fd, F_SETFD, FD_CLOEXEC) < 0) {
		close(fd);
		return;
	}
	c = mon_client_make_room(m, l->control);
	if (!c) {
		close(fd);
		CNT_ADD(m, clients_rejected, !l->control);
		CNT_ADD(m, control_rejected, l->control);
		return;
	}
	*c = (struct mon_client){ .ep = { EP_CLIENT, fd }, .framing = l->framing,
				  .control = l->control, .in_use = true, .armed = EPOLLIN,
				  .progress_ms = m->clock_ms() };
	c->cap = l->control ? 0 : m->cfg.client_buf;
	c->out = c->cap ? malloc(c->cap) : NULL;
	ev.data.ptr = &c->ep;
	if ((c->cap && !c->out) || epoll_ctl(m->epfd, EPOLL_CTL_ADD, fd, &ev) < 0) {
		free(c->out);
		close(fd);
		memset(c, 0, sizeof(*c));
		c->ep.fd = -1;
		return;
	}
	if (l->control)
		return;
	CNT_ADD(m, clients, 1);
	CNT_ADD(m, clients_total, 1);
	c->stall_ms = c->progress_ms;	/* the greeting waits to be read */
	if (mon_greet(m, c) < 0 || mon_stream_flush(m, c) < 0)
		mon_client_close(m, c);
}

/* Sends a message to every stream client (events and agent_status). */
static void mon_broadcast(struct monitor *m, const void *msg, size_t len)
{
	unsigned i;

	for (i = 0; i < m->cfg.max_clients; i++) {
		struct mon_client *c = &m->clients[i];

		if (!c->in_use)
			continue;
		if (mon_client_send(m, c, msg, len, false) < 0) {
			CNT_ADD(m, clients_slow, 1);
			mon_client_close(m, c);
		}
	}
}

static void mon_flush_all(struct monitor *m)
{
	unsigned i;

	for (i = 0; i < m->cfg.max_clients; i++)
		if (m->clients[i].in_use && m->clients[i].len &&
		    mon_stream_flush(m, &m->clients[i]) < 0)
			mon_client_close(m, &m->clients[i]);
}

/* Drains up to MON_BATCH events; returns how many. */
static unsigned mon_drain(struct monitor *m)
{
	const void *msg;
	size_t len;
	unsigned n = 0;

	while (n < MON_BATCH && (msg = evring_peek(m->ring, &len))) {
		mon_broadcast(m, msg, len);
		evring_pop(m->ring);
		n++;
	}
	if (n) {
		CNT_ADD(m, events_sent, n);
		mon_flush_all(m);
	}
	return n;
}

/* ---- control connections ----
 *
 * One reply at a time: the next request is taken only when the reply
 * before it has been handed to the socket whole, and the socket is read
 * only when no request waits, so a client that sends and never reads
 * fills its own socket buffers and then waits; the daemon holds one reply
 * (or one part of a large one) and at most one request line for it. A peer
 * that has closed its end gets nothing more. */

/* Reads what fits of the next requests: the buffer starts small and
 * doubles up to one whole line. 0, or -1 on a socket error. */
static int mon_control_read(struct monitor *m, struct mon_client *c)
{
	ssize_t n;
	char *p;

	if (c->in_off) {
		memmove(c->in, c->in + c->in_off, c->in_len);
		c->in_off = 0;
	}
	if (c->in_len == c->in_cap && c->in_cap < MON_IN_MAX) {
		size_t cap = c->in_cap ? c->in_cap * 2 : MON_IN_MIN;

		if (cap > MON_IN_MAX)
			cap = MON_IN_MAX;
		if (!(p = realloc(c->in, cap)))
			return -1;
		c->in = p;
		c->in_cap = cap;
	}
	n = recv(c->ep.fd, c->in + c->in_len, c->in_cap - c->in_len, 0);
	if (n < 0)
		return errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR ? 0 : -1;
	if (n == 0)
		c->eof = true;
	c->in_len += (size_t)n;
	return 0;
}

/* Appends a reply's bytes (and its newline when it is complete). */
static int mon_control_put(struct mon_client *c, const unsigned char *buf, size_t len, bool done)
{
	if (mon_client_room(c, len + done, true) < 0)
		return -1;
	mon_client_put(c, buf, len);
	if (done)
		mon_client_put(c, "\n", 1);
	return 0;
}

/* Starts the reply to the next request: a complete line, a line past the
 * limit (an error, then the connection closes), or the bytes left when the
 * peer ended its input. 1 if one was started, 0 if none waits, -1 when out
 * of memory. */
static int mon_control_request(struct monitor *m, struct mon_client *c)
{
	char *line = c->in + c->in_off;
	char *nl = c->in_len > c->in_scan ? memchr(line + c->in_scan, '\n', c->in_len - c->in_scan)
					  : NULL;
	size_t ll, used, rlen;
	char *err;

	if (nl) {
		ll = (size_t)(nl - line);
		used = ll + 1;
	} else if (c->in_len > CONTROL_REQ_MAX || (c->eof && c->in_len)) {
		ll = used = c->in_len;	/* control_begin() says "request too large" */
		c->close_after_flush = c->in_len > CONTROL_REQ_MAX;
	} else {
		c->in_scan = c->in_len;
		return 0;
	}
	CNT_ADD(m, control_requests, 1);
	c->progress_ms = m->clock_ms();
	if (m->cfg.control) {
		c->reply = control_begin(m->cfg.control, line, ll);
	} else if ((err = control_error("control is not available", &rlen))) {
		if (mon_control_put(c, (const unsigned char *)err, rlen, true) < 0)
			c->close_after_flush = true;
		free(err);
	}
	c->in_off += used;
	c->in_len -= used;
	c->in_scan = 0;
	if (!c->in_len)
		c->in_off = 0;
	return m->cfg.control && !c->reply ? -1 : 1;
}

/* Takes the next part of the reply under way into the output buffer. */
static int mon_control_part(struct mon_client *c)
{
	const unsigned char *buf;
	size_t len;
	int r = control_next(c->reply, &buf, &len);

	c->waiting = r == CONTROL_WAIT;
	if (r < 0 || (len && mon_control_put(c, buf, len, r == CONTROL_DONE) < 0))
		return -1;
	if (r == CONTROL_DONE) {
		control_reply_free(c->reply);
		c->reply = NULL;
	}
	return r;
}

/* Works on a control connection while its socket takes what it writes:
 * sends what waits, takes the next part of the reply under way, or starts
 * the reply to the next request; at most MON_CONTROL_BURST steps a turn,
 * so that one client cannot hold the io thread. Then asks epoll for what
 * it waits for: the socket's room while there is more to do, a request
 * when there is nothing, neither while the reply waits for the daemon
 * (monitor_wake()). -1: close it. */
static int mon_control_work(struct monitor *m, struct mon_client *c)
{
	unsigned steps;
	int r = 0;

	for (steps = 0; steps < MON_CONTROL_BURST; steps++) {
		if (c->len && mon_client_flush(m, c) < 0)
			return -1;
		if (c->len)
			break;
		if (!c->reply && (c->close_after_flush || (r = mon_control_request(m, c)) <= 0))
			break;
		if (!c->reply)
			continue;	/* answered at once: no control behind the socket */
		if ((r = mon_control_part(c)) < 0)
			return -1;
		if (r == CONTROL_WAIT)
			break;
	}
	if (r < 0 || (c->len && mon_client_flush(m, c) < 0))
		return -1;
	if (!c->len && c->cap > MON_CONTROL_KEEP) {
		free(c->out);
		c->out = NULL;
		c->cap = 0;
	}
	if (c->len || (c->reply && !c->waiting) ||
	    (!c->reply && !c->close_after_flush && steps == MON_CONTROL_BURST))
		mon_client_arm(m, c, EPOLLOUT);
	else if (c->reply || c->close_after_flush || c->eof)
		mon_client_arm(m, c, 0);
	else
		mon_client_arm(m, c, EPOLLIN);
	/* nothing left to send, and nothing will come */
	if (!c->len && !c->reply && (c->close_after_flush || (c->eof && !c->in_len)))
		return -1;
	return 0;
}

/* Replies that wait for the daemon (a reload) are asked again every turn. */
static void mon_control_poll(struct monitor *m)
{
	unsigned i;

	for (i = m->cfg.max_clients; i < m->n_slots; i++) {
		struct mon_client *c = &m->clients[i];

		if (c->in_use && c->waiting && mon_control_work(m, c) < 0)
			mon_client_close(m, c);
	}
}

static void mon_control_event(struct monitor *m, struct mon_client *c, uint32_t events)
{
	/* EPOLLHUP on a Unix socket: the peer closed both ways, and will
	 * read no answer (a half-closed peer still gets its replies) */
	if ((events & (EPOLLHUP | EPOLLERR)) ||
	    ((events & EPOLLIN) && mon_control_read(m, c) < 0) || mon_control_work(m, c) < 0)
		mon_client_close(m, c);
}

/* Stream clients have nothing to say: their bytes are read and dropped. */
static int mon_stream_read(struct monitor *m, struct mon_client *c)
{
	char junk[MON_READ_CHUNK];
	ssize_t n = recv(c->ep.fd, junk, sizeof(junk), 0);

	if (n < 0 && (errno == EAGAIN || errno == EINTR))
		return 0;
	if (n <= 0)
		return -1;
	CNT_ADD(m, junk_bytes, (uint64_t)n);
	return 0;
}

static void mon_client_event(struct monitor *m, struct mon_client *c, uint32_t events)
{
	int r = 0;

	if (c->control) {
		mon_control_event(m, c, events);
		return;
	}
	if (events & EPOLLIN)
		r = mon_stream_read(m, c);
	else if (events & (EPOLLHUP | EPOLLERR))
		r = -1;
	if (r == 0 && c->len)
		r = mon_stream_flush(m, c);
	if (r < 0)
		mon_client_close(m, c);
}

/* ---- status and json_save ---- */

void monitor_stats(const struct monitor *m, struct monitor_stats *st)
{
	struct evring_stats rs;

	evring_stats(m->ring, &rs);
	memset(st, 0, sizeof(*st));
	st->events = rs.pushed;
	st->events_dropped = rs.full;
	st->events_oversize = rs.oversize;
#define LOAD(f) st->f = atomic_load_explicit(&m->cnt.f, memory_order_relaxed)
	LOAD(events_sent); LOAD(bytes_sent); LOAD(clients); LOAD(clients_total);
	LOAD(clients_slow); LOAD(clients_stalled); LOAD(clients_rejected); LOAD(junk_bytes);
	LOAD(control_requests); LOAD(control_rejected); LOAD(control_dropped); LOAD(status_sent);
	LOAD(json_save_errors); LOAD(captures);
#undef LOAD
	st->captures_skipped = atomic_load_explicit(&m->cap_skipped, memory_order_relaxed);
}

void monitor_stats_json(const struct monitor *m, yajl_gen g)
{
	struct monitor_stats st;

	monitor_stats(m, &st);
	json_kv_int(g, "clients", (long long)st.clients);
	json_kv_int(g, "clients_total", (long long)st.clients_total);
	json_kv_int(g, "clients_dropped", (long long)st.clients_slow);
	json_kv_int(g, "clients_stalled", (long long)st.clients_stalled);
	json_kv_int(g, "clients_rejected", (long long)st.clients_rejected);
	json_kv_int(g, "events", (long long)st.events);
	json_kv_int(g, "events_dropped", (long long)st.events_dropped);
	json_kv_int(g, "events_oversize", (long long)st.events_oversize);
	json_kv_int(g, "events_sent", (long long)st.events_sent);
	json_kv_int(g, "bytes_sent", (long long)st.bytes_sent);
	json_kv_int(g, "junk_bytes", (long long)st.junk_bytes);
	json_kv_int(g, "control_requests", (long long)st.control_requests);
	json_kv_int(g, "control_rejected", (long long)st.control_rejected);
	json_kv_int(g, "control_dropped", (long long)st.control_dropped);
	json_kv_int(g, "captures", (long long)st.captures);
	json_kv_int(g, "captures_skipped", (long long)st.captures_skipped);
}

static void mon_status(struct monitor *m)
{
	const unsigned char *buf;
	size_t len;
	yajl_gen g = mon_msg_open("agent_status");

	if (!g)
		return;
	if (m->ops.status)
		m->ops.status(m->ctx, g);
	json_key(g, "monitor");
	yajl_gen_map_open(g);
	monitor_stats_json(m, g);
	yajl_gen_map_close(g);
	if (mon_msg_close(g, &buf, &len) == 0) {
		CNT_ADD(m, status_sent, 1);
		mon_broadcast(m, buf, len);
		mon_flush_all(m);
		if (m->cfg.json_save_dir &&
		    mon_save_file(m, m->cfg.json_save_dir, "status.json", buf, len, true) < 0)
			CNT_ADD(m, json_save_errors, 1);
	}
	yajl_gen_free(g);
	if (m->cfg.json_save_dir)
		mon_save_flows(m);
}

/* ---- the io thread ---- */

static void mon_wake(struct monitor *m)
{
	uint64_t one = 1;
	ssize_t r;

	r = write(m->wake.fd, &one, sizeof(one));
	(void)r;	/* EAGAIN means a wake-up is already pending */
}

static void mon_event(struct monitor *m, const struct epoll_event *ev)
{
	struct mon_ep *ep = ev->data.ptr;
	uint64_t v;
	ssize_t r = 0;

	switch (ep->type) {
	case EP_WAKE:
		r = read(ep->fd, &v, sizeof(v));
		break;
	case EP_TIMER:
		r = read(ep->fd, &v, sizeof(v));
		if (r == sizeof(v))
			mon_status(m);
		break;
	case EP_LISTEN:
		mon_accept(m, (struct mon_listener *)ep);
		break;
	case EP_CLIENT:
		mon_client_event(m, (struct mon_client *)ep, ev->events);
		break;
	}
	(void)r;
}

/* While events flow, the io thread naps MON_NAP_MS between drains and
 * producers never make a system call for it; after MON_IDLE_NAPS empty naps
 * it sleeps for good with `sleeping` set, and the next producer wakes it
 * through the eventfd. The fences order the flag against the ring's slots. */
#define MON_NAP_MS	5
#define MON_IDLE_NAPS	20

static int mon_wait(struct monitor *m, struct epoll_event *evs, bool busy, unsigned *naps)
{
	size_t len;
	int n;

	if (busy)
		return epoll_wait(m->epfd, evs, MON_EPOLL_MAX, 0);
	if (*naps < MON_IDLE_NAPS) {
		(*naps)++;
		return epoll_wait(m->epfd, evs, MON_EPOLL_MAX, MON_NAP_MS);
	}
	atomic_store(&m->sleeping, 1);
	atomic_thread_fence(memory_order_seq_cst);
	busy = evring_peek(m->ring, &len) != NULL;
	/* the 1 s timeout is a backstop; wake-ups do not depend on it */
	n = epoll_wait(m->epfd, evs, MON_EPOLL_MAX, busy ? 0 : 1000);
	atomic_store(&m->sleeping, 0);
	return n;
}

/* What the io thread does with the events of one wait; returns how many
 * stream events it sent on. */
static unsigned mon_turn(struct monitor *m, const struct epoll_event *evs, int n)
{
	unsigned drained;
	int i;

	for (i = 0; i < n; i++)
		mon_event(m, &evs[i]);
	mon_control_poll(m);
	mon_sweep(m);
	drained = mon_drain(m);
	mon_capture_drain(m);
	return drained;
}

static void *mon_thread(void *arg)
{
	struct monitor *m = arg;
	struct epoll_event evs[MON_EPOLL_MAX];
	unsigned naps = 0, drained;
	bool busy = false;
	int n;

	while (!atomic_load(&m->stop)) {
		n = mon_wait(m, evs, busy, &naps);
		drained = mon_turn(m, evs, n);
		busy = drained == MON_BATCH;
		if (drained)
			naps = 0;
	}
	return NULL;
}

int monitor_run_once(struct monitor *m, int timeout_ms)
{
	struct epoll_event evs[MON_EPOLL_MAX];
	int n = epoll_wait(m->epfd, evs, MON_EPOLL_MAX, timeout_ms);

	if (n < 0)
		n = 0;
	mon_turn(m, evs, n);
	return n;
}

void monitor_wake(struct monitor *m)
{
	mon_wake(m);
}

/* After a push: wakes the io thread only if it went to sleep for good. */
void mon_kick(struct monitor *m)
{
	atomic_thread_fence(memory_order_seq_cst);
	if (atomic_load_explicit(&m->sleeping, memory_order_relaxed) &&
	    atomic_exchange(&m->sleeping, 0))
		mon_wake(m);
}

int monitor_publish(struct monitor *m, const char *json, size_t len)
{
	while (len && (json[len - 1] == '\n' || json[len - 1] == '\r'))
		len--;
	if (evring_push(m->ring, json, len) < 0)
		return -1;
	mon_kick(m);
	return 0;
}

int monitor_publish_gen(struct monitor *m, yajl_gen g)
{
	const unsigned char *buf;
	size_t len;

	if (yajl_gen_get_buf(g, &buf, &len) != yajl_gen_status_ok)
		return -1;
	return monitor_publish(m, (const char *)buf, len);
}

/* ---- life cycle ---- */

static int mon_timer_open(struct monitor *m)
{
	unsigned ms = m->cfg.status_interval_ms;
	struct itimerspec its = {
		.it_interval = { ms / 1000, (long)(ms % 1000) * 1000000 },
		.it_value = { ms / 1000, (long)(ms % 1000) * 1000000 },
	};
	struct epoll_event ev = { .events = EPOLLIN, .data.ptr = &m->timer };

	m->timer.type = EP_TIMER;
	m->timer.fd = timerfd_create(CLOCK_MONOTONIC, TFD_NONBLOCK | TFD_CLOEXEC);
	if (m->timer.fd < 0)
		return -1;
	if (ms && timerfd_settime(m->timer.fd, 0, &its, NULL) < 0)
		return -1;
	return epoll_ctl(m->epfd, EPOLL_CTL_ADD, m->timer.fd, &ev);
}

static int mon_fds_open(struct monitor *m)
{
	struct epoll_event ev = { .events = EPOLLIN, .data.ptr = &m->wake };

	m->epfd = epoll_create1(EPOLL_CLOEXEC);
	if (m->epfd < 0)
		return -1;
	m->wake.type = EP_WAKE;
	m->wake.fd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
	if (m->wake.fd < 0 || epoll_ctl(m->epfd, EPOLL_CTL_ADD, m->wake.fd, &ev) < 0)
		return -1;
	return mon_timer_open(m);
}

static void mon_cfg_fill(struct monitor_cfg *c)
{
	struct monitor_cfg d;

	monitor_cfg_defaults(&d);
	if (!c->mode)
		c->mode = d.mode;
	if (!c->queue_slots)
		c->queue_slots = d.queue_slots;
	if (!c->event_max)
		c->event_max = d.event_max;
	if (!c->client_buf)
		c->client_buf = d.client_buf;
	if (!c->max_clients)
		c->max_clients = d.max_clients;
	if (c->capture_max_bytes < 1024)
		c->capture_max_bytes = d.capture_max_bytes;
	if (c->unix_framing >= __MONITOR_FRAMING_MAX)
		c->unix_framing = MONITOR_FRAMING_NDJSON;
}

struct monitor *monitor_new(const struct monitor_cfg *cfg, const struct monitor_ops *ops, void *ctx)
{
	struct monitor *m = calloc(1, sizeof(*m));
	unsigned i;
	int e;

	if (!m)
		return NULL;
	m->cfg = *cfg;
	mon_cfg_fill(&m->cfg);
	if (ops)
		m->ops = *ops;
	m->ctx = ctx;
	m->clock_ms = m->cfg.clock_ms ? m->cfg.clock_ms : util_mono_ms;
	m->epfd = m->wake.fd = m->timer.fd = -1;
	m->n_slots = m->cfg.max_clients + MONITOR_CONTROL_CLIENTS;
	m->clients = calloc(m->n_slots, sizeof(*m->clients));
	m->ring = evring_new(m->cfg.queue_slots, m->cfg.event_max);
	if (!m->clients || !m->ring)
		goto out_free;
	/* Room for every file of a burst: flows end together at the end of a
	 * replay or at shutdown (8 slots wrote 8 of zabbix.pcap's 23 unknown
	 * flows). Slots are calloc'ed: only those a burst fills cost memory. */
	if (m->cfg.capture_dir &&
	    !(m->cap_ring = evring_new(mon_cap_slots(&m->cfg), sizeof(uint32_t) + m->cfg.capture_max_bytes)))
		goto out_free;
	for (i = 0; i < m->n_slots; i++)
		m->clients[i].ep.fd = -1;
	if (mon_fds_open(m) < 0 || mon_listeners_open(m) < 0)
		goto out_free;
	m->started_ms = mon_now_ms();
	return m;

out_free:
	e = errno;
	monitor_free(m);
	errno = e;
	return NULL;
}

int monitor_start(struct monitor *m)
{
	int e;

	if (m->running)
		return 0;
	atomic_store(&m->stop, 0);
	e = pthread_create(&m->thread, NULL, mon_thread, m);
	if (e) {
		errno = e;
		return -1;
	}
	m->running = true;
	return 0;
}

void monitor_stop(struct monitor *m)
{
	unsigned i;

	if (m->running) {
		atomic_store(&m->stop, 1);
		mon_wake(m);
		pthread_join(m->thread, NULL);
		m->running = false;
		/* last events out, best effort: what the sockets take now */
		while (mon_drain(m))
			;
		mon_capture_drain(m);
	}
	for (i = 0; i < m->n_slots; i++)
		if (m->clients[i].in_use)
			mon_client_close(m, &m->clients[i]);
}

void monitor_free(struct monitor *m)
{
	unsigned i;

	if (!m)
		return;
	if (m->clients)
		monitor_stop(m);
	for (i = 0; i < m->n_listeners; i++) {
		close(m->listeners[i].ep.fd);
		if (m->listeners[i].path[0])
			unlink(m->listeners[i].path);
	}
	if (m->timer.fd >= 0)
		close(m->timer.fd);
	if (m->wake.fd >= 0)
		close(m->wake.fd);
	if (m->epfd >= 0)
		close(m->epfd);
	evring_free(m->ring);
	evring_free(m->cap_ring);
	free(m->clients);
	free(m);
}
