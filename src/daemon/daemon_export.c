/* The daemon's IPFIX export (src/export/, netify.5 "EXPORT"): one record
 * per connection when it ends and one every active_timeout while it lasts.
 *
 * Replay (`netify run -r`): netify saw every packet, so the records come
 * from its own flows: a flow that leaves the table sends its last record
 * (worker_on_flow_purge), and the replay's clock walks the live flows for
 * active timeouts (daemon_export_tick). What was already reported of each
 * flow is an export_mark per flow state (indexed like the verdict pool).
 *
 * Inline (NFQUEUE): netify sees the first packets only; the counters and
 * the end come from conntrack, through the usage accounting's reader
 * (usage_ct_attach: destroy events, the minute dumps of released
 * connections). When usage accounting is off, a reader of its own runs
 * with no accounting (usage_opts.reader_only). A decided flow's record
 * (addresses, MAC, application, action) goes from the worker through a
 * bounded ring (never blocks; full: dropped and counted) to the reader's
 * thread, which keeps it by conntrack tuple until the connection's destroy
 * event, and joins the readings to it.
 *
 * export_push() never blocks either: a full queue drops the record and
 * counts it.
 */
#include "config.h"

#include <errno.h>
#include <netinet/in.h>
#include <stdlib.h>
#include <string.h>

#include "apps.h"
#include "ct.h"
#include "ctacct.h"
#include "daemon_int.h"
#include "evring.h"
#include "export.h"
#include "json.h"
#include "log.h"
#include "usage.h"
#include "util.h"

#define XCONN_NONE	UINT32_MAX
#define XCONN_STALE_MS	(10 * 60 * 1000)	/* untouched this long: conntrack lost its end */
#define XCONN_SWEEP_MS	(60 * 1000)
#define XNOTES_SLOTS	1024

/* A connection netify decided, waiting for conntrack's readings. */
struct xconn {
	struct ct_tuple t;		/* original direction, as netify saw it */
	struct export_record r;		/* without counters */
	struct export_mark m;
	uint64_t touched_ms;
	uint32_t next;			/* hash chain, or free list */
	uint8_t used;
};

struct xnote {
	struct ct_tuple t;
	struct export_record r;
};

struct xstats {
	uint64_t notes, notes_dropped;	/* decided flows handed to the reader's thread */
	uint64_t ct_records;		/* readings seen */
	uint64_t unmatched;		/* connections ended that netify had no record of */
	uint64_t conns_full;		/* decided flows not kept: table full */
	uint64_t stale;			/* kept connections never seen ending */
	uint64_t active;		/* active-timeout records */
	uint64_t ended;			/* end-of-connection records */
	uint64_t conns;			/* kept now */
};

static struct {
	struct exporter *x;
	struct export_cfg cfg;
	bool inline_ct;
	/* replay: per worker, what was reported of each flow state */
	struct export_mark *marks[DAEMON_WORKERS_MAX];
	uint32_t n_marks;
	uint64_t replay_tick_ms;
	/* inline */
	struct usage *reader;		/* our own, when usage accounting is off */
	struct evring *notes;
	struct xconn *conns;
	uint32_t *bucket, mask, cap, free_head, n_used;
	uint64_t seed;		/* of the tuple hash */
	uint64_t last_sweep_ms;
	void (*usage_decided)(void *ctx, const struct flow *f, const struct flowstate *fs,
			      const struct policy_input *in, time_t now);
	struct xstats st;
} xp;

/* ---- records from netify's flows ------------------------------------ */

static void copy_str(char *dst, size_t len, const char *s)
{
	snprintf(dst, len, "%s", s ? s : "");
}

static enum export_end end_of(enum flow_purge why)
{
	switch (why) {
	case FLOW_PURGE_CLOSED: return EXPORT_END_CLOSED;
	case FLOW_PURGE_EVICTED: return EXPORT_END_EVICTED;
	case FLOW_PURGE_SHUTDOWN: return EXPORT_END_FORCED;
	default: return EXPORT_END_IDLE;
	}
}

static enum export_action action_of(const struct flowstate *fs)
{
	if (!fs || fs->action == VERDICT_NONE)
		return EXPORT_ACTION_NONE;
	switch ((enum policy_action)fs->action) {
	case POLICY_ALLOW: return EXPORT_ACTION_ALLOW;
	case POLICY_BLOCK: return EXPORT_ACTION_BLOCK;
	case POLICY_QOS: return EXPORT_ACTION_QOS;
	default: return EXPORT_ACTION_NONE;	/* log: forwarded */
	}
}

/* f's record without counters: the initiator is the source (RFC 5103). */
static void record_of(const struct worker *w, const struct flow *f, const struct flowstate *fs,
		      struct export_record *r)
{
	uint8_t i = f->init_side, o = (uint8_t)!i, l = engine_local_side(w->e, f);
	const struct apps_db *db = w->cfg ? w->cfg->apps : NULL;
	const struct apps_app *a = f->app_id > 0 && db ? apps_get(db, f->app_id) : NULL;
	const struct apps_category *c;
	const struct policy_class *k;
	uint16_t app = f->proto_app, master = f->proto_master;

	memset(r, 0, sizeof(*r));
	r->flow_id = f->id;
	r->start_ms = f->first_seen;
	r->end_ms = f->last_seen;
	r->family = f->key.family;
	r->proto = f->key.proto;
	r->sport = f->key.port[i];
	r->dport = f->key.port[o];
	memcpy(r->saddr, f->key.addr[i], 16);
	memcpy(r->daddr, f->key.addr[o], 16);
	if (f->has_mac) {
		memcpy(r->smac, f->mac[i], 6);
		memcpy(r->dmac, f->mac[o], 6);
	}
	if (fs && fs->has_mac)	/* NFQUEUE's hardware address of the local side */
		memcpy(l == i ? r->smac : r->dmac, fs->mac, 6);
	r->vlan = f->key.vlan;
	r->action = (uint8_t)action_of(fs);
	if (a) {
		r->app_id = (uint32_t)a->id;
		copy_str(r->app_name, sizeof(r->app_name), a->label);
		if (a->category >= 0 && (size_t)a->category < apps_category_count(db) &&
		    (c = apps_category_at(db, (size_t)a->category)))
			copy_str(r->category, sizeof(r->category), c->tag);
	}
	r->ndpi_id = app ? app : master;
	if (app && master && app != master)
		snprintf(r->ndpi_name, sizeof(r->ndpi_name), "%s.%s", engine_proto_name(w->e, master),
			 engine_proto_name(w->e, app));
	else
		copy_str(r->ndpi_name, sizeof(r->ndpi_name), engine_proto_name(w->e, r->ndpi_id));
	copy_str(r->host, sizeof(r->host), f->host);
	if (fs && fs->rule) {
		copy_str(r->rule, sizeof(r->rule), policy_rule_name(fs->rule));
		if (fs->action == POLICY_QOS && (k = policy_rule_class(fs->rule)))
			copy_str(r->qos_class, sizeof(r->qos_class), k->name);
	}
}

/* ---- replay: netify's own counters ----------------------------------- */

static struct export_mark *mark_of(const struct worker *w, const struct flowstate *fs)
{
	if (!fs || !xp.marks[w->idx] || fs < w->v.pool || (uint32_t)(fs - w->v.pool) >= xp.n_marks)
		return NULL;
	return &xp.marks[w->idx][fs - w->v.pool];
}

static void replay_push(const struct worker *w, const struct flow *f, const struct flowstate *fs,
			enum export_end end, uint64_t now_ms)
{
	uint8_t i = f->init_side, o = (uint8_t)!i;
	uint64_t bytes[2] = { f->bytes[i], f->bytes[o] }, packets[2] = { f->packets[i], f->packets[o] };
	struct export_mark none = { 0 }, *m = mark_of(w, fs);
	struct export_record r;

	/* every record of a flow has its start; the end is its last packet so far */
	record_of(w, f, fs, &r);
	export_counters(&r, m ? m : &none, bytes, packets, now_ms);
	r.end = (uint8_t)end;
	if (end == EXPORT_END_ACTIVE)
		xp.st.active++;
	else
		xp.st.ended++;
	/* a replay holds no packet: it waits for the exporter rather than drop */
	if (w->d->replay)
		export_push_wait(xp.x, &r, 5000);
	else
		export_push(xp.x, &r);
}

void daemon_export_flow_gone(struct worker *w, const struct flow *f, enum flow_purge why)
{
	struct export_mark *m;

	const struct flowstate *fs = f->user;

	if (!xp.x)
		return;
	/* inline, conntrack says when a connection ends, except for one netify
	 * blocked: its packets died here, so it is netify's own count of them */
	if (!w->d->replay && !(fs && fs->action == POLICY_BLOCK))
		return;
	replay_push(w, f, f->user, end_of(why), f->last_seen);
	if ((m = mark_of(w, f->user)))
		memset(m, 0, sizeof(*m));
}

struct tick {
	struct worker *w;
	uint64_t now_ms;
};

static int tick_one(void *user, struct flow *f)
{
	struct tick *t = user;
	struct export_mark *m = mark_of(t->w, f->user);

	if (!m)
		return 0;
	if (!m->last_ms)	/* never reported: due active_timeout after it began */
		m->last_ms = f->first_seen;
	if (export_due(&xp.cfg, m, t->now_ms))
		replay_push(t->w, f, f->user, EXPORT_END_ACTIVE, t->now_ms);
	return 0;
}

void daemon_export_tick(struct worker *w, uint64_t now_ms)
{
	struct tick t = { w, now_ms };

	if (!xp.x || !xp.cfg.active_timeout || now_ms < xp.replay_tick_ms + 1000)
		return;
	xp.replay_tick_ms = now_ms;
	engine_foreach_flow(w->e, tick_one, &t);
}

/* ---- inline: conntrack's readings ------------------------------------ */

static uint32_t *conn_slot(const struct ct_tuple *t)
{
	uint32_t *p = &xp.bucket[ct_tuple_hash(t, xp.seed) & xp.mask];

	while (*p != XCONN_NONE && !ct_tuple_eq(&xp.conns[*p].t, t))
		p = &xp.conns[*p].next;
	return p;
}

static void conn_del(uint32_t *slot)
{
	uint32_t i = *slot;

	*slot = xp.conns[i].next;
	xp.conns[i].used = 0;
	xp.conns[i].next = xp.free_head;
	xp.free_head = i;
	xp.n_used--;
}

/* A decided flow's note: kept (or updated, the decision changed) until
 * its connection ends. */
static void conn_note(const struct xnote *n, uint64_t now_ms)
{
	uint32_t *slot = conn_slot(&n->t), i;

	if (*slot == XCONN_NONE) {
		if (xp.free_head == XCONN_NONE) {
			xp.st.conns_full++;
			return;
		}
		i = xp.free_head;
		xp.free_head = xp.conns[i].next;
		memset(&xp.conns[i], 0, sizeof(xp.conns[i]));
		xp.conns[i].t = n->t;
		xp.conns[i].used = 1;
		xp.conns[i].m.last_ms = n->r.start_ms;
		xp.conns[i].next = XCONN_NONE;
		*slot = i;
		xp.n_used++;
	}
	i = *slot;
	xp.conns[i].r = n->r;
	xp.conns[i].touched_ms = now_ms;
}

static void notes_drain(uint64_t now_ms)
{
	struct xnote n;
	const void *p;
	size_t len;

	while ((p = evring_peek(xp.notes, &len))) {
		if (len == sizeof(n)) {
			memcpy(&n, p, sizeof(n));	/* a slot's bytes are not aligned */
			conn_note(&n, now_ms);
		}
		evring_pop(xp.notes);
	}
}

static void sweep(uint64_t now_ms)
{
	if (now_ms < xp.last_sweep_ms + XCONN_SWEEP_MS)
		return;
	xp.last_sweep_ms = now_ms;
	for (uint32_t b = 0; b <= xp.mask; b++)
		for (uint32_t *p = &xp.bucket[b]; *p != XCONN_NONE;)
			if (xp.conns[*p].touched_ms + XCONN_STALE_MS < now_ms) {
				/* a blocked one often never had a conntrack entry */
				xp.st.stale += xp.conns[*p].r.action != EXPORT_ACTION_BLOCK;
				conn_del(p);
			} else {
				p = &xp.conns[*p].next;
			}
}

/* The conntrack reader's thread: a connection ended (destroy event) or
 * was read while it runs (minute dump of released connections). */
static void on_ct(void *ctx, const struct ctacct_rec *cr)
{
	uint64_t now_ms = util_wall_ms(), end_ms;
	struct export_record r;
	struct export_mark none = { 0 }, *m;
	struct ct_tuple back;
	uint32_t *slot;
	struct xconn *c;

	(void)ctx;
	notes_drain(now_ms);
	sweep(now_ms);
	xp.st.ct_records++;
	if (!cr->has_counters)
		return;
	slot = conn_slot(&cr->orig);
	if (*slot == XCONN_NONE && cr->has_reply) {	/* DNAT: netify saw the reply's addresses */
		ct_tuple_reverse(&back, &cr->reply);
		slot = conn_slot(&back);
	}
	c = *slot != XCONN_NONE ? &xp.conns[*slot] : NULL;
	if (cr->kind != CTACCT_DESTROY) {
		if (!c || !export_due(&xp.cfg, &c->m, now_ms))
			return;
		c->touched_ms = now_ms;
		r = c->r;
		if (cr->has_timestamp && cr->start_ns)
			r.start_ms = cr->start_ns / 1000000;
		export_counters(&r, &c->m, cr->bytes, cr->packets, now_ms);
		r.end_ms = now_ms;
		r.end = EXPORT_END_ACTIVE;
		xp.st.active++;
		export_push(xp.x, &r);
		return;
	}
	end_ms = cr->has_timestamp && cr->stop_ns ? cr->stop_ns / 1000000 : now_ms;
	if (c && c->r.action == EXPORT_ACTION_BLOCK) {	/* its record went out at netify's end of it */
		conn_del(slot);
		return;
	}
	if (c) {
		r = c->r;
		m = &c->m;
		if (cr->has_timestamp && cr->start_ns)
			r.start_ms = cr->start_ns / 1000000;
	} else {	/* decided before we started, or its note was lost */
		xp.st.unmatched++;
		memset(&r, 0, sizeof(r));
		m = &none;
		r.family = (uint8_t)cr->orig.family;
		r.proto = cr->orig.proto;
		r.sport = cr->orig.sport;
		r.dport = cr->orig.dport;
		memcpy(r.saddr, cr->orig.src, 16);
		memcpy(r.daddr, cr->orig.dst, 16);
		r.start_ms = cr->has_timestamp && cr->start_ns ? cr->start_ns / 1000000 : end_ms;
	}
	export_counters(&r, m, cr->bytes, cr->packets, end_ms);
	r.end_ms = end_ms;
	/* conntrack keeps no reason: a TCP connection ends closed (or
	 * reset), the others when their timeout passes */
	r.end = cr->orig.proto == IPPROTO_TCP ? EXPORT_END_CLOSED : EXPORT_END_IDLE;
	xp.st.ended++;
	export_push(xp.x, &r);
	if (c)
		conn_del(slot);
}

/* A worker decided a flow (a few times per flow at most, never per
 * packet): its record goes to the reader's thread. */
static void hook_decided(void *ctx, const struct flow *f, const struct flowstate *fs,
			 const struct policy_input *in, time_t now)
{
	struct worker *w = ctx;
	struct xnote n;

	if (xp.notes) {
		worker_tuple(f, &n.t);
		record_of(w, f, fs, &n.r);
		if (evring_push(xp.notes, &n, sizeof(n)) < 0)
			__atomic_add_fetch(&xp.st.notes_dropped, 1, __ATOMIC_RELAXED);
		else
			__atomic_add_fetch(&xp.st.notes, 1, __ATOMIC_RELAXED);
	}
	if (xp.usage_decided)
		xp.usage_decided(ctx, f, fs, in, now);
}

static int conns_init(uint32_t cap)
{
	uint32_t nb = 2;

	while (nb < cap)
		nb <<= 1;
	if (!(xp.conns = calloc(cap, sizeof(*xp.conns))) || !(xp.bucket = malloc(nb * sizeof(*xp.bucket))) ||
	    !(xp.notes = evring_new(XNOTES_SLOTS, sizeof(struct xnote))))
		return -1;
	xp.cap = cap;
	xp.mask = nb - 1;
	xp.seed = util_random64();
	memset(xp.bucket, 0xff, nb * sizeof(*xp.bucket));
	for (uint32_t i = 0; i < cap; i++)
		xp.conns[i].next = i + 1 < cap ? i + 1 : XCONN_NONE;
	xp.free_head = 0;
	return 0;
}

/* Attach to the usage accounting's reader, or run one without accounting. */
static int inline_start(struct daemon_ctx *d)
{
	struct usage_opts o;

	if (conns_init(d->cfg->policy->export.max_conns) < 0) {
		log_msg(LOG_ERR, "export: out of memory");
		return -1;
	}
	xp.inline_ct = true;
	/* start and end times from conntrack, when it keeps them */
	ctacct_sysctl_ensure(NULL, "nf_conntrack_timestamp");
	if (!d->usage) {
		memset(&o, 0, sizeof(o));
		o.kernel = true;
		o.acct_sysctl = true;
		o.reader_only = true;
		o.event_mask = d->marks.used;
		o.dump_mark = o.dump_mask = d->marks.released;
		o.max_entries = 64;
		o.max_conns = 64;
		if (!(xp.reader = usage_new(&o))) {
			log_msg(LOG_ERR, "export: no conntrack reader: only blocked connections are exported");
			return 0;
		}
	}
	if (usage_ct_attach(d->usage ? d->usage : xp.reader, on_ct, NULL) < 0) {
		log_msg(LOG_ERR, "export: cannot read conntrack: only blocked connections are exported");
		return 0;
	}
	for (unsigned int i = 0; i < d->n_workers; i++) {
		struct worker *w = &d->w[i];

		xp.usage_decided = w->v.ops.decided;	/* the same for every worker */
		w->v.ops.decided = hook_decided;
		w->v.ops.ctx = w;
	}
	if (xp.reader && usage_start(xp.reader) < 0) {
		log_msg(LOG_ERR, "export: conntrack reader thread: %s", strerror(errno));
		return -1;
	}
	return 0;
}

/* ---- life cycle ----------------------------------------------------- */

static void cfg_of(const struct policy_export *pe, struct export_cfg *c)
{
	export_cfg_defaults(c);
	for (size_t i = 0; i < pe->collector.n && i < EXPORT_COLLECTORS_MAX; i++) {
		char err[128];

		if (export_collector_parse(pe->collector.v[i], &c->collectors[c->n_collectors], err,
					   sizeof(err)) == 0)
			c->n_collectors++;
	}
	c->domain = pe->observation_domain;
	c->active_timeout = pe->active_timeout;
	c->template_refresh = pe->template_refresh;
	c->template_refresh_packets = pe->template_refresh_packets;
	c->mtu = pe->mtu;
	c->queue = pe->queue;
	c->rate = pe->rate;
	c->flush_ms = pe->flush;
	c->pen = pe->pen;
}

int daemon_export_start(struct daemon_ctx *d)
{
	const struct policy_export *pe = &d->cfg->policy->export;

	if (!pe->enabled)
		return 0;
	cfg_of(pe, &xp.cfg);
	if (!(xp.x = export_new(&xp.cfg))) {
		log_msg(LOG_ERR, "export: %s", strerror(errno));
		return -1;
	}
	if (d->replay) {
		xp.n_marks = d->main.flow_table_size;
		for (unsigned int i = 0; i < d->n_workers; i++)
			if (!(xp.marks[i] = calloc(xp.n_marks, sizeof(struct export_mark)))) {
				log_msg(LOG_ERR, "export: out of memory");
				return -1;
			}
	} else if (inline_start(d) < 0) {
		return -1;
	}
	if (export_start(xp.x) < 0) {
		log_msg(LOG_ERR, "export: thread: %s", strerror(errno));
		return -1;
	}
	log_msg(LOG_NOTICE, "export: IPFIX to %u collector%s, observation domain %u, %s", xp.cfg.n_collectors,
		xp.cfg.n_collectors == 1 ? "" : "s", xp.cfg.domain,
		d->replay ? "the replay's own counters" : "counters from conntrack");
	return 0;
}

/* Reload: the export settings are read at start. */
void daemon_export_configure(struct daemon_ctx *d, const struct policy *p)
{
	struct export_cfg c;

	if (!p->export.enabled && !xp.x)
		return;
	cfg_of(&p->export, &c);
	if (p->export.enabled != (xp.x != NULL) || memcmp(&c, &xp.cfg, sizeof(c)) ||
	    p->export.max_conns != d->cfg->policy->export.max_conns)
		log_msg(LOG_WARNING, "export: the export settings take effect at the next start");
}

/* After the workers, the usage accounting and the control socket stopped:
 * nothing calls us any more. The queue is sent (1 s at most). */
void daemon_export_stop(struct daemon_ctx *d)
{
	struct export_stats st;

	(void)d;
	usage_free(xp.reader);
	if (xp.x) {
		export_stop(xp.x);
		export_stats(xp.x, &st);
		log_msg(LOG_NOTICE, "export: %llu records (%llu ended, %llu active), %llu dropped by the queue, "
			"exporter thread %llu ms of CPU", (unsigned long long)st.pushed,
			(unsigned long long)xp.st.ended, (unsigned long long)xp.st.active,
			(unsigned long long)st.dropped, (unsigned long long)(st.cpu_us / 1000));
		for (unsigned int i = 0; i < st.n_collectors; i++)
			log_msg(LOG_NOTICE, "export: collector %u (%s:%s): %s, %llu records, %llu templates, "
				"%llu errors, %llu dropped", i + 1, xp.cfg.collectors[i].host,
				xp.cfg.collectors[i].port, st.c[i].up ? "up" : "down",
				(unsigned long long)st.c[i].records, (unsigned long long)st.c[i].templates,
				(unsigned long long)st.c[i].errors, (unsigned long long)st.c[i].dropped);
	}
	export_free(xp.x);
	evring_free(xp.notes);
	free(xp.conns);
	free(xp.bucket);
	for (unsigned int i = 0; i < DAEMON_WORKERS_MAX; i++)
		free(xp.marks[i]);
	memset(&xp, 0, sizeof(xp));
}

/* ---- status --------------------------------------------------------- */

void daemon_export_status(struct daemon_ctx *d, yajl_gen g)
{
	struct xstats s;

	(void)d;
	if (!xp.x)
		return;
	/* read without the reader's lock: counters, a torn value at worst */
	s = xp.st;
	s.notes = __atomic_load_n(&xp.st.notes, __ATOMIC_RELAXED);
	s.notes_dropped = __atomic_load_n(&xp.st.notes_dropped, __ATOMIC_RELAXED);
	json_key(g, "export");
	yajl_gen_map_open(g);
	json_kv_str(g, "source", xp.inline_ct ? "conntrack" : "replay");
	json_kv_int(g, "observation_domain", xp.cfg.domain);
	json_kv_int(g, "active_timeout", xp.cfg.active_timeout);
	json_kv_int(g, "ended", (long long)s.ended);
	json_kv_int(g, "active", (long long)s.active);
	if (xp.inline_ct) {
		json_kv_int(g, "notes", (long long)s.notes);
		json_kv_int(g, "notes_dropped", (long long)s.notes_dropped);
		json_kv_int(g, "ct_records", (long long)s.ct_records);
		json_kv_int(g, "unmatched", (long long)s.unmatched);
		json_kv_int(g, "conns", xp.n_used);
		json_kv_int(g, "max_conns", xp.cap);
		json_kv_int(g, "conns_full", (long long)s.conns_full);
		json_kv_int(g, "stale", (long long)s.stale);
	}
	export_stats_json(xp.x, g);
	yajl_gen_map_close(g);
}
