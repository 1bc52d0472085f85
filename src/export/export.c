/* The IPFIX exporter: queue, thread, collectors. See export.h.
 *
 * Why a thread of its own and not the monitor's io loop: a TCP collector
 * must be connected again with backoff, a collector given by name must be
 * resolved (getaddrinfo() blocks), and the encoder runs for every record;
 * none of that may delay the monitor's clients or the control socket, and
 * the monitor's loop has no place for timers of other modules. The thread
 * wakes every EXPORT_TICK_MS, so producers never make a system call.
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <poll.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "evring.h"
#include "export.h"
#include "json.h"
#include "ipfix.h"
#include "log.h"
#include "util.h"

#define EXPORT_TICK_MS		20
#define EXPORT_BACKOFF_MIN	1000
#define EXPORT_BACKOFF_MAX	60000
#define EXPORT_STOP_MS		1000	/* export_stop() sends what is queued for this long */
#define EXPORT_UDP_RECOVER_MS	5000	/* templates with every message this long after a refusal */

#define STAT_ADD(field, v) __atomic_fetch_add(&(field), (v), __ATOMIC_RELAXED)
#define STAT_SET(field, v) __atomic_store_n(&(field), (v), __ATOMIC_RELAXED)
#define STAT_GET(field) __atomic_load_n(&(field), __ATOMIC_RELAXED)

enum coll_state {
	COLL_DOWN,		/* no socket; next attempt at next_try */
	COLL_CONNECTING,	/* TCP connect() in progress */
	COLL_UP,
};

struct coll {
	struct export_collector cfg;
	int fd;
	enum coll_state state;
	uint64_t next_try;		/* monotonic ms */
	uint32_t backoff;		/* ms */
	uint32_t seq;			/* data records sent in this transport session */
	bool need_templates;
	uint64_t last_templates;	/* monotonic ms */
	uint32_t msgs_since_templates;
	bool log_down;			/* "collector down" logged since it was last up */
	uint64_t refused_at;		/* UDP: last ECONNREFUSED (monotonic ms; 0: never) */
	uint8_t *out;			/* TCP: whole messages waiting to be written */
	size_t out_len, out_cap;
	struct export_collector_stats st;	/* STAT_* access: read by other threads */
};

struct app_entry {
	uint8_t id[IPFIX_APPID_LEN];
	bool pending;
	char name[IPFIX_APPNAME_LEN];
	char desc[IPFIX_APPDESC_LEN];
};

struct exporter {
	struct export_cfg cfg;
	struct evring *ring;
	pthread_t th;
	bool started;
	atomic_int stop;
	/* the data message being filled, shared by every collector */
	struct ipfix_msg msg;
	uint8_t *msg_buf;
	uint64_t msg_first;		/* monotonic ms when its first record came */
	/* template and application messages, built per collector */
	struct ipfix_msg aux;
	uint8_t *aux_buf;
	/* applications announced in options records: hash of indices into apps */
	struct app_entry *apps;
	uint32_t n_apps;
	uint32_t *app_hash;		/* index + 1; 0: empty */
	uint32_t app_mask;
	uint32_t *pending;		/* indices of entries not yet announced */
	uint32_t n_pending;
	/* rate limit: a token bucket of records */
	double tokens;
	uint64_t tokens_at;
	uint64_t encoded, apps_full, oversize;	/* STAT_* */
	uint64_t waits;			/* refusals export_push_wait() waited out (not drops) */
	uint64_t cpu_us;		/* the exporter thread's CPU time, user + system */
	struct coll c[EXPORT_COLLECTORS_MAX];
};

/* ---- configuration -------------------------------------------------- */

void export_cfg_defaults(struct export_cfg *cfg)
{
	memset(cfg, 0, sizeof(*cfg));
	cfg->domain = 1;
	cfg->active_timeout = 120;
	cfg->template_refresh = 60;
	cfg->template_refresh_packets = 1000;
	cfg->mtu = 1400;
	cfg->queue = 512;
	cfg->rate = 20000;
	cfg->flush_ms = 500;
	cfg->tcp_buffer = 65536;
	cfg->app_table = 512;
}

int export_collector_parse(const char *s, struct export_collector *c, char *err, size_t errlen)
{
	struct util_endpoint ep;

	_Static_assert(sizeof(ep.host) == sizeof(c->host) && sizeof(ep.port) == sizeof(c->port),
		       "the same bounds");
	memset(c, 0, sizeof(*c));
	if (util_endpoint_parse(s, EXPORT_DEFAULT_PORT, &ep, err, errlen) < 0)
		return -1;
	memcpy(c->host, ep.host, sizeof(c->host));
	memcpy(c->port, ep.port, sizeof(c->port));
	c->proto = ep.tcp ? EXPORT_TCP : EXPORT_UDP;
	return 0;
}

static int cfg_check(const struct export_cfg *cfg)
{
	unsigned i;

	if (cfg->n_collectors > EXPORT_COLLECTORS_MAX || cfg->mtu < 512 || cfg->mtu > 65535 ||
	    !cfg->queue || cfg->queue > (1u << 20) || !cfg->template_refresh ||
	    cfg->tcp_buffer < cfg->mtu || cfg->app_table > 65536 || !cfg->flush_ms)
		return -1;
	for (i = 0; i < cfg->n_collectors; i++)
		if (!cfg->collectors[i].host[0] || cfg->collectors[i].proto >= __EXPORT_PROTO_MAX)
			return -1;
	return 0;
}

/* ---- counters of one flow ------------------------------------------- */

void export_counters(struct export_record *r, struct export_mark *m, const uint64_t bytes[2],
		     const uint64_t packets[2], uint64_t now_ms)
{
	int i;

	for (i = 0; i < 2; i++) {
		r->bytes[i] = bytes[i] >= m->bytes[i] ? bytes[i] - m->bytes[i] : bytes[i];
		r->packets[i] = packets[i] >= m->packets[i] ? packets[i] - m->packets[i] : packets[i];
		m->bytes[i] = bytes[i];
		m->packets[i] = packets[i];
	}
	m->last_ms = now_ms;
}

bool export_due(const struct export_cfg *cfg, const struct export_mark *m, uint64_t now_ms)
{
	return cfg->active_timeout && now_ms >= m->last_ms + (uint64_t)cfg->active_timeout * 1000;
}

/* ---- life cycle ----------------------------------------------------- */

static uint32_t pow2_at_least(uint32_t n)
{
	uint32_t p = 2;

	while (p < n)
		p <<= 1;
	return p;
}

struct exporter *export_new(const struct export_cfg *cfg)
{
	struct exporter *x;
	unsigned i;

	if (cfg_check(cfg)) {
		errno = EINVAL;
		return NULL;
	}
	if (!(x = calloc(1, sizeof(*x))))
		return NULL;
	for (i = 0; i < EXPORT_COLLECTORS_MAX; i++)
		x->c[i].fd = -1;	/* before anything can fail: export_free() closes them */
	x->cfg = *cfg;
	x->app_mask = pow2_at_least(cfg->app_table * 2 + 2) - 1;
	x->ring = evring_new(cfg->queue, sizeof(struct export_record));
	x->msg_buf = malloc(cfg->mtu);
	x->aux_buf = malloc(cfg->mtu);
	x->apps = calloc(cfg->app_table + 1, sizeof(*x->apps));
	x->app_hash = calloc((size_t)x->app_mask + 1, sizeof(*x->app_hash));
	x->pending = calloc(cfg->app_table + 1, sizeof(*x->pending));
	if (!x->ring || !x->msg_buf || !x->aux_buf || !x->apps || !x->app_hash || !x->pending)
		goto out_free;
	ipfix_msg_init(&x->msg, x->msg_buf, cfg->mtu);
	ipfix_msg_init(&x->aux, x->aux_buf, cfg->mtu);
	for (i = 0; i < cfg->n_collectors; i++) {
		struct coll *c = &x->c[i];

		c->cfg = cfg->collectors[i];
		c->backoff = EXPORT_BACKOFF_MIN;
		c->out_cap = cfg->tcp_buffer;
		if (c->cfg.proto == EXPORT_TCP && !(c->out = malloc(cfg->tcp_buffer)))
			goto out_free;
	}
	x->tokens = cfg->rate;
	return x;

out_free:
	export_free(x);
	errno = ENOMEM;
	return NULL;
}

int export_push(struct exporter *x, const struct export_record *r)
{
	return evring_push(x->ring, r, sizeof(*r));
}

int export_push_wait(struct exporter *x, const struct export_record *r, unsigned int wait_ms)
{
	unsigned int waited = 0;

	while (export_push(x, r) < 0) {
		if (waited >= wait_ms || !x->started)
			return -1;	/* the last refusal stays counted */
		STAT_ADD(x->waits, 1);
		usleep(1000);
		waited++;
	}
	return 0;
}

/* ---- collectors ----------------------------------------------------- */

static const char *proto_name(enum export_proto p)
{
	return p == EXPORT_TCP ? "tcp" : "udp";
}

static void coll_close(struct coll *c, uint64_t now, bool failed)
{
	if (c->fd >= 0)
		close(c->fd);
	c->fd = -1;
	c->out_len = 0;
	c->state = COLL_DOWN;
	STAT_SET(c->st.up, 0);
	if (failed) {
		STAT_ADD(c->st.errors, 1);
		c->next_try = now + c->backoff;
		c->backoff = c->backoff * 2 > EXPORT_BACKOFF_MAX ? EXPORT_BACKOFF_MAX : c->backoff * 2;
	}
}

static void coll_up(struct coll *c)
{
	c->state = COLL_UP;
	c->seq = 0;		/* a new transport session */
	c->need_templates = true;
	c->backoff = EXPORT_BACKOFF_MIN;
	STAT_SET(c->st.up, 1);
	if (c->cfg.proto == EXPORT_TCP)
		STAT_ADD(c->st.connects, 1);
	if (c->log_down) {
		log_msg(LOG_NOTICE, "export: collector %s://%s:%s is back", proto_name(c->cfg.proto),
			c->cfg.host, c->cfg.port);
		c->log_down = false;
	}
}

static void coll_failed(struct coll *c, uint64_t now, const char *what, int err)
{
	if (!c->log_down) {
		log_msg(LOG_WARNING, "export: collector %s://%s:%s: %s: %s; records for it are dropped "
			"and counted until it answers", proto_name(c->cfg.proto), c->cfg.host,
			c->cfg.port, what, strerror(err));
		c->log_down = true;
	}
	coll_close(c, now, true);
}

/* Opens the collector's socket: UDP connected (so that a closed port
 * comes back as ECONNREFUSED), TCP connecting without blocking. */
static void coll_open(struct coll *c, uint64_t now)
{
	struct addrinfo hints = { 0 }, *ai;
	int rc, fd;

	hints.ai_socktype = c->cfg.proto == EXPORT_TCP ? SOCK_STREAM : SOCK_DGRAM;
	hints.ai_flags = AI_NUMERICSERV;
	if ((rc = getaddrinfo(c->cfg.host, c->cfg.port, &hints, &ai))) {
		coll_failed(c, now, gai_strerror(rc), EHOSTUNREACH);
		return;
	}
	fd = socket(ai->ai_family, ai->ai_socktype | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0) {
		rc = errno;
		freeaddrinfo(ai);
		coll_failed(c, now, "socket", rc);
		return;
	}
	c->fd = fd;
	rc = connect(fd, ai->ai_addr, ai->ai_addrlen);
	freeaddrinfo(ai);
	if (rc == 0) {
		coll_up(c);
	} else if (errno == EINPROGRESS && c->cfg.proto == EXPORT_TCP) {
		c->state = COLL_CONNECTING;
	} else {
		coll_failed(c, now, "connect", errno);
	}
}

/* TCP: completes a connect, notices a collector that closed, discards what
 * it sends (a collector has nothing to say on IPFIX/TCP). */
static void coll_check_tcp(struct coll *c, uint64_t now)
{
	struct pollfd p = { .fd = c->fd, .events = POLLIN | POLLOUT };
	char junk[512];
	socklen_t l = sizeof(int);
	int err = 0;
	ssize_t n;

	if (poll(&p, 1, 0) <= 0)
		return;
	if (c->state == COLL_CONNECTING) {
		if (getsockopt(c->fd, SOL_SOCKET, SO_ERROR, &err, &l) || err) {
			coll_failed(c, now, "connect", err ? err : errno);
			return;
		}
		if (p.revents & POLLOUT)
			coll_up(c);
		return;
	}
	if (!(p.revents & (POLLIN | POLLHUP | POLLERR)))
		return;
	while ((n = recv(c->fd, junk, sizeof(junk), MSG_DONTWAIT)) > 0)
		;
	if (n == 0 || (errno != EAGAIN && errno != EWOULDBLOCK))
		coll_failed(c, now, "connection lost", n == 0 ? ECONNRESET : errno);
}

/* Writes what the TCP collector has waiting, as far as it takes it. */
static void coll_flush_tcp(struct coll *c, uint64_t now)
{
	ssize_t n;

	while (c->state == COLL_UP && c->out_len) {
		n = send(c->fd, c->out, c->out_len, MSG_DONTWAIT | MSG_NOSIGNAL);
		if (n < 0) {
			if (errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR)
				coll_failed(c, now, "send", errno);
			return;
		}
		memmove(c->out, c->out + n, c->out_len - (size_t)n);
		c->out_len -= (size_t)n;
	}
}

static void coll_maintain(struct coll *c, uint64_t now)
{
	if (c->state == COLL_DOWN && now >= c->next_try)
		coll_open(c, now);
	if (c->state != COLL_DOWN && c->cfg.proto == EXPORT_TCP) {
		coll_check_tcp(c, now);
		coll_flush_tcp(c, now);
	}
}

static bool udp_refused_lately(const struct coll *c, uint64_t now)
{
	return c->refused_at && now < c->refused_at + EXPORT_UDP_RECOVER_MS;
}

/* Sends one whole message; 0, or -1 when it did not leave (counted). */
static int coll_send(struct coll *c, const uint8_t *buf, size_t len, uint64_t now)
{
	if (c->state != COLL_UP)
		return -1;
	if (c->cfg.proto == EXPORT_TCP) {
		/* whole messages only: a cut one would end the session */
		if (c->out_len + len > c->out_cap)
			return -1;
		memcpy(c->out + c->out_len, buf, len);
		c->out_len += len;
		coll_flush_tcp(c, now);
		return c->state == COLL_UP ? 0 : -1;
	}
	if (send(c->fd, buf, len, MSG_DONTWAIT | MSG_NOSIGNAL) < 0) {
		STAT_ADD(c->st.errors, 1);
		/* The collector's port is closed: it lost our templates. The
		 * ICMP error of one datagram fails the next send only, so the
		 * collector counts as down until none came for a while. */
		if (errno == ECONNREFUSED) {
			c->refused_at = now ? now : 1;
			STAT_SET(c->st.up, 0);
			if (!c->log_down) {
				log_msg(LOG_WARNING, "export: collector udp://%s:%s refuses messages; "
					"records for it are dropped and counted", c->cfg.host, c->cfg.port);
				c->log_down = true;
			}
		}
		return -1;
	}
	if (!udp_refused_lately(c, now)) {
		if (c->log_down)
			log_msg(LOG_NOTICE, "export: collector udp://%s:%s takes messages again",
				c->cfg.host, c->cfg.port);
		c->log_down = false;
		STAT_SET(c->st.up, 1);
	}
	return 0;
}

/* Sends the message in m to c with c's sequence number; accounts for it. */
static int coll_send_msg(struct exporter *x, struct coll *c, struct ipfix_msg *m, uint64_t now)
{
	size_t len = ipfix_msg_header(m, (uint32_t)time(NULL), c->seq, x->cfg.domain);

	if (coll_send(c, m->buf, len, now))
		return -1;
	/* RFC 7011 section 3.1: data records sent before this message, modulo 2^32 */
	c->seq += m->records;
	c->msgs_since_templates++;
	STAT_ADD(c->st.messages, 1);
	STAT_ADD(c->st.records, m->records);
	STAT_ADD(c->st.bytes, len);
	STAT_SET(c->st.sequence, c->seq);
	return 0;
}

/* ---- applications announced in options records ---------------------- */

static void app_fill(struct app_entry *a, const char *name, const char *desc)
{
	util_strlcpy(a->name, name, sizeof(a->name));
	util_strlcpy(a->desc, desc, sizeof(a->desc));
}

/* Remembers the record's application; a new one, or one whose name
 * changed (a reload), is announced before the next data message. */
static void app_learn(struct exporter *x, const struct export_record *r)
{
	uint8_t id[IPFIX_APPID_LEN];
	const char *name = ipfix_app_name(r), *desc;
	uint32_t h, i;
	struct app_entry *a;

	if (!x->cfg.app_table || !name[0])
		return;
	ipfix_app_id(r, id);
	desc = r->app_id ? r->category : "nDPI protocol";
	h = (uint32_t)util_hash(id, sizeof(id), 0) & x->app_mask;
	for (; (i = x->app_hash[h]); h = (h + 1) & x->app_mask) {
		a = &x->apps[i - 1];
		if (memcmp(a->id, id, sizeof(id)))
			continue;
		if (!strncmp(a->name, name, sizeof(a->name) - 1) && !strncmp(a->desc, desc, sizeof(a->desc) - 1))
			return;
		app_fill(a, name, desc);
		break;
	}
	if (!i) {
		if (x->n_apps >= x->cfg.app_table) {
			STAT_ADD(x->apps_full, 1);
			return;
		}
		a = &x->apps[x->n_apps];
		memcpy(a->id, id, sizeof(id));
		app_fill(a, name, desc);
		STAT_SET(x->n_apps, x->n_apps + 1);
		x->app_hash[h] = x->n_apps;
	}
	if (!a->pending) {
		a->pending = true;
		x->pending[x->n_pending++] = (uint32_t)(a - x->apps);
	}
}

/* Sends entries idx[0..n) to c in as many messages as they need. */
static int send_apps(struct exporter *x, struct coll *c, const uint32_t *idx, uint32_t n, uint64_t now)
{
	uint32_t i;

	ipfix_msg_reset(&x->aux);
	for (i = 0; i < n; i++) {
		const struct app_entry *a = &x->apps[idx ? idx[i] : i];

		if (ipfix_msg_app(&x->aux, a->id, a->name, a->desc) == 0)
			continue;
		if (coll_send_msg(x, c, &x->aux, now))
			return -1;
		ipfix_msg_reset(&x->aux);
		ipfix_msg_app(&x->aux, a->id, a->name, a->desc);
	}
	if (!ipfix_msg_empty(&x->aux) && coll_send_msg(x, c, &x->aux, now))
		return -1;
	return 0;
}

/* Templates, then every application known, in a message of their own. */
static int send_templates(struct exporter *x, struct coll *c, uint64_t now)
{
	ipfix_msg_reset(&x->aux);
	ipfix_msg_templates(&x->aux, x->cfg.pen);
	if (coll_send_msg(x, c, &x->aux, now))
		return -1;
	STAT_ADD(c->st.templates, 1);
	c->need_templates = false;
	c->last_templates = now;
	c->msgs_since_templates = 0;
	return send_apps(x, c, NULL, x->n_apps, now);
}

static bool templates_due(const struct exporter *x, const struct coll *c, uint64_t now)
{
	if (c->need_templates)
		return true;
	if (c->cfg.proto == EXPORT_TCP)	/* once per connection (RFC 7011 section 8.3) */
		return false;
	/* a UDP collector that refused messages lately may be starting again */
	if (udp_refused_lately(c, now))
		return true;
	return now >= c->last_templates + (uint64_t)x->cfg.template_refresh * 1000 ||
	       (x->cfg.template_refresh_packets && c->msgs_since_templates >= x->cfg.template_refresh_packets);
}

/* ---- sending -------------------------------------------------------- */

/* Sends the data message being filled to every collector, each preceded
 * by what it lacks: templates, or the applications announced since. */
static void send_data(struct exporter *x, uint64_t now)
{
	unsigned i;

	if (ipfix_msg_empty(&x->msg) && !x->n_pending)
		return;
	for (i = 0; i < x->cfg.n_collectors; i++) {
		struct coll *c = &x->c[i];
		int rc = c->state == COLL_UP ? 0 : -1;

		if (!rc && templates_due(x, c, now))
			rc = send_templates(x, c, now);
		else if (!rc && x->n_pending)
			rc = send_apps(x, c, x->pending, x->n_pending, now);
		if (ipfix_msg_empty(&x->msg))
			continue;
		if (rc || coll_send_msg(x, c, &x->msg, now))
			STAT_ADD(c->st.dropped, x->msg.records);
	}
	for (i = 0; i < x->n_pending; i++)
		x->apps[x->pending[i]].pending = false;
	x->n_pending = 0;
	ipfix_msg_reset(&x->msg);
}

static void encode(struct exporter *x, const struct export_record *r, uint64_t now)
{
	app_learn(x, r);
	if (ipfix_msg_empty(&x->msg))
		x->msg_first = now;
	if (ipfix_msg_record(&x->msg, r, x->cfg.pen) == 0)
		goto out_encoded;
	send_data(x, now);
	x->msg_first = now;
	if (ipfix_msg_record(&x->msg, r, x->cfg.pen) == 0)
		goto out_encoded;
	STAT_ADD(x->oversize, 1);	/* larger than an empty message: mtu too small */
	return;
out_encoded:
	STAT_ADD(x->encoded, 1);
}

static bool take_token(struct exporter *x, uint64_t now)
{
	if (!x->cfg.rate)
		return true;
	if (now > x->tokens_at) {
		x->tokens += (double)x->cfg.rate * (double)(now - x->tokens_at) / 1000.0;
		if (x->tokens > x->cfg.rate)
			x->tokens = x->cfg.rate;
		x->tokens_at = now;
	}
	if (x->tokens < 1.0)
		return false;
	x->tokens -= 1.0;
	return true;
}

/* Encodes what is queued, as far as the rate allows. */
static void drain(struct exporter *x, uint64_t now)
{
	struct export_record r;
	const void *p;
	size_t len;

	while ((p = evring_peek(x->ring, &len)) && take_token(x, now)) {
		memcpy(&r, p, sizeof(r));
		evring_pop(x->ring);
		encode(x, &r, now);
	}
}

void export_poll(struct exporter *x, uint64_t now_ms)
{
	unsigned i;

	for (i = 0; i < x->cfg.n_collectors; i++)
		coll_maintain(&x->c[i], now_ms);
	drain(x, now_ms);
	if ((!ipfix_msg_empty(&x->msg) && now_ms >= x->msg_first + x->cfg.flush_ms) || x->n_pending)
		send_data(x, now_ms);
}

void export_flush(struct exporter *x, uint64_t now_ms)
{
	drain(x, now_ms);
	send_data(x, now_ms);
}

/* ---- thread --------------------------------------------------------- */

/* Sleeps a tick, or less when a TCP collector can take bytes. */
static void export_wait(struct exporter *x)
{
	struct pollfd p[EXPORT_COLLECTORS_MAX];
	unsigned i, n = 0;

	for (i = 0; i < x->cfg.n_collectors; i++) {
		struct coll *c = &x->c[i];

		if (c->fd < 0 || c->cfg.proto != EXPORT_TCP)
			continue;
		p[n].fd = c->fd;
		p[n].events = POLLIN | (c->out_len || c->state == COLL_CONNECTING ? POLLOUT : 0);
		n++;
	}
	if (n) {
		poll(p, n, EXPORT_TICK_MS);
	} else {
		struct timespec ts = { 0, EXPORT_TICK_MS * 1000000L };

		nanosleep(&ts, NULL);
	}
}

/* What the thread has cost so far (one clock_gettime per turn, 50 a second). */
static void thread_cpu(struct exporter *x)
{
	struct timespec ts;

	if (clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts) == 0)
		STAT_SET(x->cpu_us, (uint64_t)ts.tv_sec * 1000000 + (uint64_t)ts.tv_nsec / 1000);
}

static void *export_main(void *arg)
{
	struct exporter *x = arg;
	uint64_t until;
	unsigned i;

	while (!atomic_load(&x->stop)) {
		export_poll(x, util_mono_ms());
		thread_cpu(x);
		export_wait(x);
	}
	/* what is queued still goes out, for a bounded time */
	until = util_mono_ms() + EXPORT_STOP_MS;
	do {
		export_poll(x, util_mono_ms());
		if (!evring_peek(x->ring, &(size_t){ 0 }))
			break;
		export_wait(x);
	} while (util_mono_ms() < until);
	export_flush(x, util_mono_ms());
	for (i = 0; i < x->cfg.n_collectors; i++)
		coll_flush_tcp(&x->c[i], util_mono_ms());
	thread_cpu(x);
	return NULL;
}

int export_start(struct exporter *x)
{
	if (x->started)
		return 0;
	x->tokens_at = util_mono_ms();
	if (pthread_create(&x->th, NULL, export_main, x))
		return -1;
	x->started = true;
	return 0;
}

void export_stop(struct exporter *x)
{
	if (!x || !x->started)
		return;
	atomic_store(&x->stop, 1);
	pthread_join(x->th, NULL);
	x->started = false;
}

void export_free(struct exporter *x)
{
	unsigned i;

	if (!x)
		return;
	export_stop(x);
	for (i = 0; i < EXPORT_COLLECTORS_MAX; i++) {
		if (x->c[i].fd >= 0)
			close(x->c[i].fd);
		free(x->c[i].out);
	}
	evring_free(x->ring);
	free(x->msg_buf);
	free(x->aux_buf);
	free(x->apps);
	free(x->app_hash);
	free(x->pending);
	free(x);
}

/* ---- counters ------------------------------------------------------- */

void export_stats(const struct exporter *x, struct export_stats *st)
{
	struct evring_stats rs;
	unsigned i;

	memset(st, 0, sizeof(*st));
	evring_stats(x->ring, &rs);
	st->pushed = rs.pushed;
	st->dropped = rs.full + rs.oversize + STAT_GET(x->oversize) - STAT_GET(x->waits);
	st->encoded = STAT_GET(x->encoded);
	st->apps = STAT_GET(x->n_apps);
	st->apps_full = STAT_GET(x->apps_full);
	st->cpu_us = STAT_GET(x->cpu_us);
	st->n_collectors = x->cfg.n_collectors;
	for (i = 0; i < x->cfg.n_collectors; i++) {
		const struct export_collector_stats *s = &x->c[i].st;
		struct export_collector_stats *d = &st->c[i];

		d->messages = STAT_GET(s->messages);
		d->records = STAT_GET(s->records);
		d->bytes = STAT_GET(s->bytes);
		d->templates = STAT_GET(s->templates);
		d->errors = STAT_GET(s->errors);
		d->dropped = STAT_GET(s->dropped);
		d->connects = STAT_GET(s->connects);
		d->sequence = STAT_GET(s->sequence);
		d->up = STAT_GET(s->up);
	}
}

void export_stats_json(const struct exporter *x, yajl_gen g)
{
	struct export_stats st;
	char name[300];
	unsigned i;

	export_stats(x, &st);
	json_kv_int(g, "records", (long long)st.pushed);
	json_kv_int(g, "dropped", (long long)st.dropped);
	json_kv_int(g, "encoded", (long long)st.encoded);
	json_kv_int(g, "applications", (long long)st.apps);
	json_kv_int(g, "applications_full", (long long)st.apps_full);
	json_kv_int(g, "cpu_ms", (long long)(st.cpu_us / 1000));
	json_key(g, "collectors");
	yajl_gen_array_open(g);
	for (i = 0; i < st.n_collectors; i++) {
		const struct export_collector *c = &x->cfg.collectors[i];
		const struct export_collector_stats *s = &st.c[i];

		snprintf(name, sizeof(name), strchr(c->host, ':') ? "%s://[%s]:%s" : "%s://%s:%s",
			 proto_name(c->proto), c->host, c->port);
		yajl_gen_map_open(g);
		json_kv_str(g, "collector", name);
		json_kv_bool(g, "up", s->up);
		json_kv_int(g, "messages", (long long)s->messages);
		json_kv_int(g, "records", (long long)s->records);
		json_kv_int(g, "bytes", (long long)s->bytes);
		json_kv_int(g, "templates", (long long)s->templates);
		json_kv_int(g, "errors", (long long)s->errors);
		json_kv_int(g, "dropped", (long long)s->dropped);
		json_kv_int(g, "connects", (long long)s->connects);
		json_kv_int(g, "sequence", (long long)s->sequence);
		yajl_gen_map_close(g);
	}
	yajl_gen_array_close(g);
}
