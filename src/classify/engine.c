/* The classifier pipeline: decode -> flow -> dpi -> apps.
 *
 * engine_process() is the packet path: it decodes into the caller's result,
 * finds or creates the flow, feeds nDPI while the flow is inspected and
 * decides when inspection ends. Nothing here allocates per packet: the flow
 * table is fixed and nDPI states come from dpi's pool.
 */
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include "apps.h"
#include "dns.h"
#include "dnscache.h"
#include "dpi.h"
#include "engine.h"
#include "http.h"
#include "quic.h"
#include "log.h"
#include "util.h"

#define QUIC_CHUNK 8	/* reassembly states allocated at once */

/* QUIC Initial readers: ~5 KiB each, so only for QUIC flows nDPI could
 * not name, at most quic_max at once, reused through a free list. */
struct quic_slot {
	struct quic_slot *next;
	struct quic_reasm r;
};

struct quic_chunk {
	struct quic_chunk *next;
	struct quic_slot slots[QUIC_CHUNK];
};

#define TEXT_CHUNK 32	/* text places allocated at once (10 KiB) */

struct text_chunk {
	struct text_chunk *next;
	union meta_text_buf bufs[TEXT_CHUNK];
};

enum { QUIC_ST_NONE, QUIC_ST_READING, QUIC_ST_DONE, QUIC_ST_GAVE_UP };

struct engine {
	struct engine_cfg cfg;
	struct quic_slot *quic_free;
	struct quic_chunk *quic_chunks;
	uint32_t quic_used;
	int quic_full_logged;
	union meta_text_buf *text_free;
	struct text_chunk *text_chunks;
	uint32_t text_used, text_capacity;
	int text_full_logged;
	struct meta_extra *insp_head, *insp_tail;	/* flows under inspection, LRU */
	struct flow_table *flows;
	struct dpi *dpi;
	struct dnscache *dns;
	const struct apps_db *apps;
	struct engine_cidr *local_nets;
	struct engine_stats stats;
};

void engine_cfg_defaults(struct engine_cfg *cfg)
{
	memset(cfg, 0, sizeof(*cfg));
	cfg->flow_capacity = 65536;
	cfg->packet_budget = 32;
	cfg->inspect_idle = 30;
	cfg->timeouts.tcp = 3600;
	cfg->timeouts.tcp_closed = 10;
	cfg->timeouts.udp = 120;
	cfg->timeouts.other = 60;
	cfg->dns_cache_size = 16384;
	cfg->dns_ttl_min = 60;
	cfg->dns_ttl_max = 86400;
	cfg->quic_capacity = 256;
}

static void engine_on_purge(void *user, struct flow *f, enum flow_purge why);

struct engine *engine_new(const struct engine_cfg *cfg)
{
	struct engine *e = calloc(1, sizeof(*e));

	if (!e)
		return NULL;
	e->cfg = *cfg;
	if (cfg->n_local_nets) {
		e->local_nets = calloc(cfg->n_local_nets, sizeof(*e->local_nets));
		if (!e->local_nets)
			goto out_free;
		memcpy(e->local_nets, cfg->local_nets, cfg->n_local_nets * sizeof(*e->local_nets));
		e->cfg.local_nets = e->local_nets;
	}
	e->flows = flow_table_new(cfg->flow_capacity, cfg->seed, &cfg->timeouts, engine_on_purge, e);
	if (!e->flows)
		goto out_free;
	flow_table_set_id_base(e->flows, cfg->flow_id_base);
	e->dpi = dpi_new(cfg->dpi_capacity ? cfg->dpi_capacity : cfg->flow_capacity,
			 cfg->dpi_share ? cfg->dpi_share->dpi : NULL);
	if (!e->dpi)
		goto out_free;
	e->text_capacity = cfg->text_capacity ? cfg->text_capacity
			 : (cfg->dpi_capacity ? cfg->dpi_capacity : cfg->flow_capacity) / 2;
	if (e->text_capacity < TEXT_CHUNK)
		e->text_capacity = TEXT_CHUNK;
	if (cfg->dns_cache_size) {
		e->dns = dnscache_new(cfg->dns_cache_size, cfg->dns_ttl_min, cfg->dns_ttl_max);
		if (!e->dns)
			goto out_free;
	}
	return e;

out_free:
	engine_free(e);
	return NULL;
}

void engine_free(struct engine *e)
{
	if (!e)
		return;
	if (e->flows)
		flow_table_flush(e->flows, FLOW_PURGE_SHUTDOWN);
	flow_table_free(e->flows);
	dpi_free(e->dpi);
	dnscache_free(e->dns);
	while (e->quic_chunks) {
		struct quic_chunk *next = e->quic_chunks->next;

		free(e->quic_chunks);
		e->quic_chunks = next;
	}
	while (e->text_chunks) {
		struct text_chunk *next = e->text_chunks->next;

		free(e->text_chunks);
		e->text_chunks = next;
	}
	free(e->local_nets);
	free(e);
}

void engine_set_apps(struct engine *e, const struct apps_db *db)
{
	e->apps = db;
}

const struct apps_db *engine_apps(const struct engine *e)
{
	return e->apps;
}

/* ---- sides ---- */

static int cidr_contains(const struct engine_cidr *c, int family, const uint8_t *a)
{
	unsigned full = c->bits / 8, rest = c->bits % 8;

	if (c->family != family)
		return 0;
	if (memcmp(c->addr, a, full))
		return 0;
	return !rest || !((c->addr[full] ^ a[full]) & (uint8_t)(0xff << (8 - rest)));
}

static int is_local(const struct engine *e, int family, const uint8_t *a)
{
	unsigned i;

	for (i = 0; i < e->cfg.n_local_nets; i++)
		if (cidr_contains(&e->local_nets[i], family, a))
			return 1;
	return 0;
}

uint8_t engine_local_side(const struct engine *e, const struct flow *f)
{
	if (e->cfg.n_local_nets) {
		int l0 = is_local(e, f->key.family, f->key.addr[0]);
		int l1 = is_local(e, f->key.family, f->key.addr[1]);

		if (l0 != l1)
			return l1;
	}
	return f->init_side;
}

/* ---- applications ---- */

static int app_from_cert(const struct apps_db *db, const struct flow_meta *m)
{
	char name[256];
	const char *p = m->cert_names;
	int id;

	while (p && *p) {
		size_t n = strcspn(p, ",");

		if (n && n < sizeof(name)) {
			memcpy(name, p, n);
			name[n] = '\0';
			id = apps_match_host(db, name[0] == '*' && name[1] == '.' ? name + 2 : name);
			if (id >= 0)
				return id;
		}
		p += n + (p[n] == ',');
	}
	return -1;
}

/* nDPI's own answer as an application: its app-level protocol, or the
 * master itself when nDPI names an application outright (WhatsApp, Zoom).
 * Plain protocols (TLS, HTTP, ...) map to no application. */
static int app_from_ndpi(const struct engine *e, const struct flow *f)
{
	int id = -1;

	if (f->proto_app && f->proto_app != f->proto_master)
		id = apps_match_ndpi(e->apps, dpi_proto_name(e->dpi, f->proto_app));
	if (id < 0 && f->proto_master)
		id = apps_match_ndpi(e->apps, dpi_proto_name(e->dpi, f->proto_master));
	return id;
}

/* An address in a platform's network (Google, Meta, a cloud) says who hosts
 * the server, not which application the flow is: leave it unnamed rather
 * than call every such flow "Google". Application-specific networks
 * (Telegram, Zoom, ...) still name their application. */
static int app_unless_platform(const struct apps_db *db, int id)
{
	return apps_is_platform(db, id) ? -1 : id;
}

static int app_from_addr(const struct apps_db *db, const struct flow *f, uint8_t srv)
{
	return app_unless_platform(db, apps_match_addr(db, f->key.family, f->key.addr[srv]));
}

/* nDPI's own application for the flow: its app-level protocol (TLS.YouTube),
 * else the one it names by the server's address. */
uint16_t engine_ndpi_app(const struct flow *f)
{
	if (f->proto_app && f->proto_app != f->proto_master)
		return f->proto_app;
	if (f->proto_ip && f->proto_ip != f->proto_master)
		return f->proto_ip;
	return 0;
}

int engine_ndpi_app_catalog(const struct engine *e, const struct flow *f)
{
	uint16_t id = engine_ndpi_app(f);

	return id && e->apps ? apps_match_ndpi(e->apps, dpi_proto_name(e->dpi, id)) : -1;
}

/* The application nDPI 4.6+ names by address (4.2 put it in the app
 * protocol, which app_from_ndpi() reads): the same rule as for the
 * catalog's own networks applies, a platform's network names nothing. */
static int app_from_ndpi_addr(const struct engine *e, const struct flow *f)
{
	if (!f->proto_ip)
		return -1;
	return app_unless_platform(e->apps, apps_match_ndpi(e->apps, dpi_proto_name(e->dpi, f->proto_ip)));
}

static void classify_app(struct engine *e, struct flow *f)
{
	const struct apps_db *db = e->apps;
	uint8_t srv = (uint8_t)!f->init_side;
	/* DNS, NTP, ICMP... to a vendor's server are not that vendor's app. */
	int by_server = !dpi_proto_is_infrastructure(f->proto_master);
	struct flow_meta m;
	const char *host = f->host;
	int id = -1;

	memset(&m, 0, sizeof(m));
	if (f->dpi) {
		struct dpi_result r = { .master = f->proto_master, .app = f->proto_app };

		dpi_meta(f->dpi, &r, &m);
		if (m.host) {
			host = m.host;
			/* Known now, not only when inspection ends: the
			 * daemon lists flows while they are inspected. */
			util_strlcpy(f->host, m.host, sizeof(f->host));
		}
	}
	f->source = FLOW_SRC_NONE;
	if (f->proto_app && f->proto_app != f->proto_master)
		f->source = FLOW_SRC_NDPI;
	if (!db)
		return;
	if (*host && (dpi_proto_names_server(f->proto_master) || dpi_proto_names_server(f->proto_app)) &&
	    (id = apps_match_host(db, host)) >= 0) {
		f->source = FLOW_SRC_SNI;
	} else if ((id = app_from_ndpi(e, f)) >= 0) {
		f->source = FLOW_SRC_NDPI;
	} else if (by_server && e->dns &&
		   (host = dnscache_lookup(e->dns, f->key.family, f->key.addr[srv], f->last_seen / 1000)) &&
		   (id = apps_match_host(db, host)) >= 0) {
		f->source = FLOW_SRC_DNS;
	} else if (by_server && (id = app_from_addr(db, f, srv)) >= 0) {
		f->source = FLOW_SRC_ADDR;
	} else if (by_server && (id = app_from_ndpi_addr(e, f)) >= 0) {
		f->source = FLOW_SRC_ADDR;
	} else if (m.cert_names && (id = app_from_cert(db, &m)) >= 0) {
		f->source = FLOW_SRC_CERT;
	}
	f->app_id = id;
}

const char *engine_app_tag(const struct engine *e, const struct flow *f)
{
	const struct apps_app *a;

	if (f->app_id >= 0 && e->apps && (a = apps_get(e->apps, f->app_id)))
		return a->tag;
	if (f->proto_app && f->proto_app != f->proto_master)
		return dpi_proto_name(e->dpi, f->proto_app);
	return NULL;
}

const char *engine_proto_name(const struct engine *e, uint16_t id)
{
	return dpi_proto_name(e->dpi, id);
}

/* ---- QUIC Initials ---- */

static struct quic_reasm *engine_quic_get(struct engine *e)
{
	struct quic_slot *q;
	int i;

	if (e->quic_used >= e->cfg.quic_capacity) {
		e->stats.quic_full++;
		log_once(&e->quic_full_logged, LOG_WARNING,
			 "%u QUIC handshakes read at once: more are left to nDPI", e->cfg.quic_capacity);
		return NULL;
	}
	if (!e->quic_free) {
		struct quic_chunk *c = malloc(sizeof(*c));

		if (!c)
			return NULL;
		c->next = e->quic_chunks;
		e->quic_chunks = c;
		for (i = 0; i < QUIC_CHUNK; i++) {
			c->slots[i].next = e->quic_free;
			e->quic_free = &c->slots[i];
		}
	}
	q = e->quic_free;
	e->quic_free = q->next;
	e->quic_used++;
	quic_reasm_init(&q->r);
	return &q->r;
}

static void engine_quic_put(struct engine *e, struct meta_extra *x)
{
	struct quic_slot *q;

	if (!x->quic)
		return;
	q = (struct quic_slot *)(void *)((char *)x->quic - offsetof(struct quic_slot, r));
	q->next = e->quic_free;
	e->quic_free = q;
	e->quic_used--;
	x->quic = NULL;
}

/* ---- text places (struct meta_extra's t) ---- */

/* A text place from the pool, which grows a chunk at a time up to
 * text_capacity places in use; NULL past it or without memory (counted,
 * logged once: the flow then has no text of netify's, fail-open). */
static union meta_text_buf *engine_text_get(struct engine *e)
{
	union meta_text_buf *t;
	int i;

	if (e->text_used >= e->text_capacity) {
		e->stats.text_full++;
		log_once(&e->text_full_logged, LOG_WARNING,
			 "%u flows hold text read by netify: more flows go without it", e->text_capacity);
		return NULL;
	}
	if (!e->text_free) {
		struct text_chunk *c = malloc(sizeof(*c));

		if (!c) {
			e->stats.text_full++;
			log_once(&e->text_full_logged, LOG_WARNING,
				 "out of memory for flow text: flows go without it");
			return NULL;
		}
		c->next = e->text_chunks;
		e->text_chunks = c;
		for (i = 0; i < TEXT_CHUNK; i++) {
			c->bufs[i].next_free = e->text_free;
			e->text_free = &c->bufs[i];
		}
	}
	t = e->text_free;
	e->text_free = t->next_free;
	e->text_used++;
	memset(t, 0, sizeof(*t));
	return t;
}

static void engine_text_put(struct engine *e, struct meta_extra *x)
{
	if (!x->t)
		return;
	x->t->next_free = e->text_free;
	e->text_free = x->t;
	e->text_used--;
	x->t = NULL;
	x->text = META_TEXT_NONE;
}

/* Takes the flow's text place for @kind: true if it was free or is this
 * kind's already (see enum meta_text), and a place could be had. */
static bool engine_meta_claim(struct engine *e, struct meta_extra *x, enum meta_text kind)
{
	if (x->text != META_TEXT_NONE && x->text != kind)
		return false;
	if (!x->t && !(x->t = engine_text_get(e))) {
		x->text = META_TEXT_REFUSED;	/* counted once per flow */
		return false;
	}
	x->text = (uint8_t)kind;
	return true;
}

/* A first client datagram nDPI has no name for that has the shape of a QUIC
 * Initial: long header, fixed bit, and the 1200-byte minimum RFC 9000 sets
 * for client Initials. quic_reasm_feed() then decides. */
static int looks_like_initial(const struct flow *f, const struct pkt *p)
{
	return !f->proto_master && f->packets[f->init_side] == 1 && p->payload_len >= 1200 &&
	       (p->payload[0] & 0xc0) == 0xc0;
}

/* Reads the client's QUIC Initials when nDPI found QUIC but no SNI (a
 * ClientHello split over packets or out of order). Returns 1 while more
 * Initials are needed, so inspection goes on. */
static int engine_quic_step(struct engine *e, struct flow *f, const struct pkt *p, uint8_t side)
{
	struct meta_extra *x = dpi_flow_extra(f->dpi);
	struct dpi_result r = { .master = f->proto_master, .app = f->proto_app };
	struct flow_meta m;
	int st;

	if (x->quic_state == QUIC_ST_DONE || x->quic_state == QUIC_ST_GAVE_UP ||
	    p->l4proto != IPPROTO_UDP || side != f->init_side || !p->payload_len)
		return 0;
	if (x->quic_state == QUIC_ST_NONE) {
		if (!e->cfg.quic_capacity ||	/* netify's reader off: nDPI's only */
		    (!dpi_proto_is_quic(f->proto_master) && !dpi_proto_is_quic(f->proto_app) &&
		     !looks_like_initial(f, p)))
			return 0;
		dpi_meta(f->dpi, &r, &m);
		if (m.host || !(x->quic = engine_quic_get(e))) {
			x->quic_state = QUIC_ST_GAVE_UP;
			return 0;
		}
		x->quic_state = QUIC_ST_READING;
	}
	st = quic_reasm_feed(x->quic, p->payload, p->payload_len);
	if (st == QUIC_MORE)
		return 1;
	if (st == QUIC_DONE && !f->proto_master) {
		/* A QUIC version nDPI does not know (v2, ...): netify names it. */
		f->proto_master = f->proto_app = (uint16_t)dpi_proto_quic_id();
	}
	if (st == QUIC_DONE && quic_reasm_sni(x->quic) && engine_meta_claim(e, x, META_TEXT_QUIC)) {
		util_strlcpy(x->t->quic.sni, quic_reasm_sni(x->quic), sizeof(x->t->quic.sni));
		if (quic_reasm_alpn(x->quic))
			util_strlcpy(x->t->quic.alpn, quic_reasm_alpn(x->quic), sizeof(x->t->quic.alpn));
		e->stats.quic_named++;
		classify_app(e, f);
		if (e->cfg.cb.flow_update)
			e->cfg.cb.flow_update(e->cfg.cb.user, e, f);
	}
	x->quic_state = st == QUIC_DONE ? QUIC_ST_DONE : QUIC_ST_GAVE_UP;
	engine_quic_put(e, x);
	return 0;
}

/* ---- inspection ---- */

/* Flows under inspection in least-recently-used order, so that an idle one
 * gives its nDPI state back after inspect_idle instead of holding it until
 * the flow times out (a lone UDP packet would keep ~2 KiB for minutes). */
static void insp_unlink(struct engine *e, struct meta_extra *x)
{
	if (x->iprev)
		x->iprev->inext = x->inext;
	else if (e->insp_head == x)
		e->insp_head = x->inext;
	if (x->inext)
		x->inext->iprev = x->iprev;
	else if (e->insp_tail == x)
		e->insp_tail = x->iprev;
	x->iprev = x->inext = NULL;
}

static void insp_touch(struct engine *e, struct meta_extra *x, uint64_t now_ms)
{
	if (e->insp_head != x) {
		insp_unlink(e, x);
		x->inext = e->insp_head;
		if (e->insp_head)
			e->insp_head->iprev = x;
		e->insp_head = x;
		if (!e->insp_tail)
			e->insp_tail = x;
	}
	if (now_ms > x->last_ms)
		x->last_ms = now_ms;
}

/* Shows nDPI a bare ACK from f's initiator, built from the flow key: what
 * its guess by port and address needs when a connection picked up
 * mid-stream ends before any payload (inspect() kept its bare ACKs from
 * nDPI, so its state was never taken). */
static void feed_header(struct engine *e, struct flow *f)
{
	uint8_t buf[60] = { 0 }, *tcp, s = f->init_side, o = (uint8_t)!s;
	struct dpi_result r;
	struct pkt p;
	size_t alen = f->key.family == 4 ? 4 : 16;

	memset(&p, 0, sizeof(p));
	if (f->key.family == 4) {
		buf[0] = 0x45, buf[3] = 40, buf[8] = 64, buf[9] = IPPROTO_TCP;
		memcpy(buf + 12, f->key.addr[s], alen);
		memcpy(buf + 16, f->key.addr[o], alen);
		tcp = buf + 20;
	} else {
		buf[0] = 0x60, buf[5] = 20, buf[6] = IPPROTO_TCP, buf[7] = 64;
		memcpy(buf + 8, f->key.addr[s], alen);
		memcpy(buf + 24, f->key.addr[o], alen);
		tcp = buf + 40;
	}
	tcp[0] = (uint8_t)(f->key.port[s] >> 8), tcp[1] = (uint8_t)f->key.port[s];
	tcp[2] = (uint8_t)(f->key.port[o] >> 8), tcp[3] = (uint8_t)f->key.port[o];
	tcp[12] = 5 << 4, tcp[13] = TH_ACK, tcp[14] = 0xff;
	p.l3 = buf;
	p.l3_len = (uint32_t)(tcp + 20 - buf);
	p.ip_len = p.l3_len;
	p.payload = tcp + 20;
	p.family = f->key.family;
	p.l4proto = IPPROTO_TCP;
	p.tcp_flags = TH_ACK;
	p.sport = f->key.port[s];
	p.dport = f->key.port[o];
	memcpy(p.src, f->key.addr[s], alen);
	memcpy(p.dst, f->key.addr[o], alen);
	dpi_process(e->dpi, f->dpi, &p, f->last_seen, &r);
}

static void inspection_end(struct engine *e, struct flow *f, enum flow_end why)
{
	struct dpi_result r;
	struct flow_meta m;

	if (why != FLOW_END_CLASSIFIED && why != FLOW_END_OVERLOAD && f->dpi) {
		if (!dpi_flow_fed(f->dpi) && f->key.proto == IPPROTO_TCP)
			feed_header(e, f);
		dpi_giveup(e->dpi, f->dpi, &r);
		f->proto_master = r.master;
		f->proto_app = r.app;
		if (r.by_ip)
			f->proto_ip = r.by_ip;
		f->guessed = r.guessed;
	}
	if (f->dpi) {
		r.master = f->proto_master;
		r.app = f->proto_app;
		dpi_meta(f->dpi, &r, &m);
		if (m.host)
			util_strlcpy(f->host, m.host, sizeof(f->host));
	}
	classify_app(e, f);
	if (f->dpi) {
		engine_quic_put(e, dpi_flow_extra(f->dpi));
		insp_unlink(e, dpi_flow_extra(f->dpi));
	}
	f->state = FLOW_DONE;
	f->end_reason = (uint8_t)why;
	e->stats.flows_done[why]++;
	if (e->cfg.cb.flow_done)
		e->cfg.cb.flow_done(e->cfg.cb.user, e, f);
	if (f->dpi)
		engine_text_put(e, dpi_flow_extra(f->dpi));
	dpi_flow_release(e->dpi, f->dpi);
	f->dpi = NULL;
}

void engine_finish(struct engine *e, struct flow *f, enum flow_end why)
{
	if (f->state == FLOW_INSPECTING)
		inspection_end(e, f, why);
}

void engine_finish_soon(struct flow *f)
{
	f->finish_req = 1;
}

int engine_flow_meta(struct engine *e, const struct flow *f, struct flow_meta *m)
{
	struct dpi_result r = { .master = f->proto_master, .app = f->proto_app };

	(void)e;
	if (!f->dpi)
		return -1;
	dpi_meta(f->dpi, &r, m);
	return 0;
}

static void engine_on_purge(void *user, struct flow *f, enum flow_purge why)
{
	struct engine *e = user;

	if (f->state == FLOW_INSPECTING)
		inspection_end(e, f, why == FLOW_PURGE_CLOSED ? FLOW_END_CLOSED :
				     why == FLOW_PURGE_SHUTDOWN ? FLOW_END_EOF : FLOW_END_IDLE);
	if (e->cfg.cb.flow_purge)
		e->cfg.cb.flow_purge(e->cfg.cb.user, e, f, why);
}

static int is_dns_port(uint16_t port)
{
	return port == 53 || port == 5353 || port == 5355;
}

/* Keeps netify's own view of a DNS message (answers nDPI does not keep). */
static void engine_dns_meta(struct engine *e, struct dpi_flow *df, const struct pkt *p)
{
	struct meta_extra *x = dpi_flow_extra(df);
	struct meta_dns *d;
	struct dns_msg msg;
	unsigned i, n = 0;

	if (p->l4proto != IPPROTO_UDP || dns_parse(p->payload, p->payload_len, &msg))
		return;
	if (x->text == META_TEXT_DNS && x->t->dns.is_response && !msg.is_response)
		return;		/* keep the answer over a retransmitted query */
	if (!engine_meta_claim(e, x, META_TEXT_DNS))
		return;
	d = &x->t->dns;
	d->is_response = !!msg.is_response;
	d->qtype = msg.qtype;
	d->rcode = msg.rcode;
	for (i = 0; i < msg.n_answers && n < META_DNS_ANSWERS; i++)
		util_strlcpy(d->answers[n++], msg.answers[i].data, META_DNS_ANSWER_LEN);
	d->n_answers = (uint8_t)n;
}

/* The first HTTP request head of a flow, for the fields nDPI may not keep. */
static void engine_http_meta(struct engine *e, struct dpi_flow *df, const struct pkt *p)
{
	struct meta_extra *x = dpi_flow_extra(df);
	struct http_req req;

	if (x->text != META_TEXT_NONE || p->l4proto != IPPROTO_TCP || p->payload_len < 16 ||
	    http_parse_request(p->payload, p->payload_len, &req))
		return;		/* the first request head only */
	if (!engine_meta_claim(e, x, META_TEXT_HTTP))
		return;
	util_strlcpy(x->t->http.url, req.url, sizeof(x->t->http.url));
	util_strlcpy(x->t->http.user_agent, req.user_agent, sizeof(x->t->http.user_agent));
}

/* A DNS answer feeds the hint cache, and goes into the result for the
 * caches of other engines (see engine_result). */
static void learn_dns(struct engine *e, struct engine_result *res, uint64_t now_ms)
{
	const struct pkt *p = &res->pkt;

	if (p->sport != 53 || !p->payload_len)
		return;
	if (p->l4proto == IPPROTO_UDP) {
		res->dns = p->payload;
		res->dns_len = p->payload_len;
	} else if (p->l4proto == IPPROTO_TCP && p->payload_len > 2) {
		res->dns = p->payload + 2;
		res->dns_len = p->payload_len - 2;
	}
	if (e->dns && res->dns)
		dnscache_learn(e->dns, res->dns, res->dns_len, now_ms / 1000);
}

/* What a flow's TCP segments showed of TLS (meta_extra.tls_seen), per key
 * side: the first packet seen may be the server's. */
enum tls_seen {
	TLS_SEEN_HELLO0 = 1,	/* a handshake record from key side 0 */
	TLS_SEEN_HELLO1 = 2,
	TLS_SEEN_DATA0 = 4,	/* an application data record from key side 0 */
	TLS_SEEN_DATA1 = 8,
};

/* Whether this segment shows that f's TLS handshake is over, so nothing
 * more is in clear: application data after handshake records from both
 * sides (TLS 1.2: after the certificate and both Finished; TLS 1.3: the
 * server's encrypted flight right after its ServerHello; a client's early
 * data right after its hello does not count, the server's hello is still
 * to come). With no handshake seen at all (a connection picked up
 * mid-stream): application data on a flow nDPI found to be TLS, or from
 * both sides of one it has not named. The records of a segment are walked
 * from its start; a segment starting inside a record tells nothing. */
static int tls_handshake_over(struct flow *f, const struct pkt *p, uint8_t side)
{
	const uint8_t hellos = TLS_SEEN_HELLO0 | TLS_SEEN_HELLO1, data = TLS_SEEN_DATA0 | TLS_SEEN_DATA1;
	struct meta_extra *x = dpi_flow_extra(f->dpi);
	const uint8_t *b = p->payload;
	uint32_t off = 0, len;
	int app = 0;

	if (p->l4proto != IPPROTO_TCP || (f->proto_master && !dpi_proto_is_tls(f->proto_master)))
		return 0;
	while (p->payload_len - off >= 5 && b[off + 1] == 3 && b[off + 2] <= 4 &&
	       b[off] >= 20 && b[off] <= 24) {
		if (b[off] == 22)
			x->tls_seen |= side ? TLS_SEEN_HELLO1 : TLS_SEEN_HELLO0;
		else if (b[off] == 23)
			app = 1;
		len = (uint32_t)b[off + 3] << 8 | b[off + 4];
		if (len > p->payload_len - off - 5)
			break;		/* goes on in the next segment */
		off += 5 + len;
	}
	if (!app)
		return 0;
	x->tls_seen |= side ? TLS_SEEN_DATA1 : TLS_SEEN_DATA0;
	if (x->tls_seen & hellos)
		return f->proto_master && (x->tls_seen & hellos) == hellos;
	return f->proto_master || (x->tls_seen & data) == data;
}

static void inspect(struct engine *e, struct flow *f, const struct pkt *p, uint8_t side,
		    uint64_t now_ms, struct engine_result *res)
{
	struct dpi_result r;
	int more;

	insp_touch(e, dpi_flow_extra(f->dpi), now_ms);
	if (is_dns_port(p->sport) || is_dns_port(p->dport))
		engine_dns_meta(e, f->dpi, p);
	else if (p->payload_len && f->packets[f->init_side] <= 8)
		engine_http_meta(e, f->dpi, p);
	if (dpi_flow_fed(f->dpi) || p->l4proto != IPPROTO_TCP || p->payload_len ||
	    (p->tcp_flags & TH_SYN)) {
		dpi_process(e->dpi, f->dpi, p, now_ms, &r);
		if (r.nomem) {
			e->stats.dpi_alloc_fail++;
			inspection_end(e, f, FLOW_END_OVERLOAD);
			res->done_now = true;
			return;
		}
	} else {
		/* a TCP connection picked up mid-stream, no payload yet:
		 * nothing for nDPI, which is shown its first payload */
		memset(&r, 0, sizeof(r));
	}
	e->stats.inspected++;
	f->detection_packets++;
	if ((r.detected && (r.master != f->proto_master || r.app != f->proto_app)) ||
	    (r.by_ip && r.by_ip != f->proto_ip)) {
		if (r.detected) {
			f->proto_master = r.master;
			f->proto_app = r.app;
		}
		if (r.by_ip)
			f->proto_ip = r.by_ip;
		classify_app(e, f);
		if (e->cfg.cb.flow_update)
			e->cfg.cb.flow_update(e->cfg.cb.user, e, f);
	}
	more = engine_quic_step(e, f, p, side);
	if (f->finish_req) {
		inspection_end(e, f, FLOW_END_DECIDED);
		res->done_now = true;
	} else if (r.complete && !more) {
		inspection_end(e, f, FLOW_END_CLASSIFIED);
		res->done_now = true;
	} else if (tls_handshake_over(f, p, side)) {
		inspection_end(e, f, FLOW_END_ENCRYPTED);
		res->done_now = true;
	} else if (p->l4proto == IPPROTO_TCP && f->fin_seen0 && f->fin_seen1) {
		/* both sides said they have no more to send (a reset is not
		 * enough: what the other side had in flight still comes) */
		inspection_end(e, f, FLOW_END_CLOSED);
		res->done_now = true;
	} else if (e->cfg.packet_budget && f->detection_packets >= e->cfg.packet_budget) {
		inspection_end(e, f, FLOW_END_BUDGET);
		res->done_now = true;
	}
}

static void engine_flow_start(struct engine *e, struct flow *f, uint8_t side)
{
	uint64_t full = dpi_stats(e->dpi)->flows_full;

	f->init_side = side;
	f->state = FLOW_INSPECTING;
	f->dpi = dpi_flow_new(e->dpi);
	if (!f->dpi) {
		if (dpi_stats(e->dpi)->flows_full != full)
			e->stats.dpi_full++;
		else
			e->stats.dpi_alloc_fail++;
		inspection_end(e, f, FLOW_END_OVERLOAD);
		return;
	}
	dpi_flow_extra(f->dpi)->owner = f;
}

static void engine_flow_account(struct flow *f, const struct pkt *p, uint8_t side)
{
	f->packets[side]++;
	f->bytes[side] += p->ip_len;
	if (p->has_mac) {
		memcpy(f->mac[side], p->smac, 6);
		f->has_mac = 1;
	}
	if (p->l4proto == IPPROTO_TCP) {
		if (p->tcp_flags & TH_RST)
			f->rst_seen = 1;
		if (p->tcp_flags & TH_FIN) {
			if (side)
				f->fin_seen1 = 1;
			else
				f->fin_seen0 = 1;
		}
	}
}

int engine_lookup(struct engine *e, enum link_type lt, const uint8_t *data, uint32_t caplen,
		  uint64_t ts_us, struct engine_result *res)
{
	struct flow_key key;

	/* field by field: decode_packet() clears res->pkt itself */
	res->flow = NULL;
	res->side = 0;
	res->created = res->done_now = false;
	res->dns = NULL;
	res->dns_len = 0;
	res->ts_us = ts_us;
	e->stats.packets++;
	e->stats.bytes += caplen;
	res->status = decode_packet_opts(lt, data, caplen, e->cfg.decode_tunnels ? DECODE_TUNNELS : 0, &res->pkt);
	e->stats.decode[res->status]++;
	if (res->status != DECODE_OK)
		return 0;
	flow_key_from_pkt(&res->pkt, &key, &res->side);
	res->flow = flow_get(e->flows, &key, ts_us / 1000, &res->created);
	if (!res->flow)
		return -1;
	/* which side is local may depend on it (no local_nets) */
	if (res->created)
		res->flow->init_side = res->side;
	return 0;
}

void engine_inspect(struct engine *e, struct engine_result *res)
{
	uint64_t now_ms = res->ts_us / 1000;
	struct flow *f = res->flow;

	if (!f)
		return;
	if (res->created)
		engine_flow_start(e, f, res->side);
	engine_flow_account(f, &res->pkt, res->side);
	flow_touch(e->flows, f, now_ms);
	learn_dns(e, res, now_ms);
	if (f->state == FLOW_INSPECTING)
		inspect(e, f, &res->pkt, res->side, now_ms, res);
}

int engine_process(struct engine *e, enum link_type lt, const uint8_t *data, uint32_t caplen,
		   uint64_t ts_us, struct engine_result *res)
{
	int rc = engine_lookup(e, lt, data, caplen, ts_us, res);

	engine_inspect(e, res);
	return rc;
}

void engine_expire(struct engine *e, uint64_t now_us)
{
	uint64_t now_ms = now_us / 1000, idle_ms = (uint64_t)e->cfg.inspect_idle * 1000;

	while (idle_ms && e->insp_tail && now_ms >= e->insp_tail->last_ms + idle_ms)
		inspection_end(e, e->insp_tail->owner, FLOW_END_IDLE);
	flow_expire(e->flows, now_ms);
}

void engine_flush(struct engine *e, enum flow_purge why)
{
	flow_table_flush(e->flows, why);
}

int engine_foreach_flow(struct engine *e, int (*fn)(void *user, struct flow *f), void *user)
{
	return flow_foreach(e->flows, fn, user);
}

int engine_foreach_flow_step(struct engine *e, uint32_t *pos, uint32_t slots,
			     int (*fn)(void *user, struct flow *f), void *user)
{
	return flow_foreach_step(e->flows, pos, slots, fn, user);
}

const struct engine_stats *engine_stats(const struct engine *e)
{
	return &e->stats;
}

const struct flow_stats *engine_flow_stats(const struct engine *e)
{
	return flow_table_stats(e->flows);
}

struct dnscache *engine_dnscache(struct engine *e)
{
	return e->dns;
}
