/* Usage accounting service: see usage.h. */
#include <errno.h>
#include <poll.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "evring.h"
#include "log.h"
#include "util.h"
#include "usage.h"
#include "ustate.h"

#define USAGE_GETS_MAX 4096	/* connections checked or refreshed per turn */
#define USAGE_SWEEP_GRACE 2	/* minutes a registration may wait for its first reading */
#define USAGE_LATE_S 5		/* a minute dump later than this is counted late */
#define USAGE_IDLE_MS 100	/* the ring is drained at least this often */

/* A reading handed over by the owner travels in the notes' ring, so that
 * it comes after the note of its flow. */
struct usage_msg_reading {
	uint64_t magic;
	struct ctacct_rec r;
};
#define USAGE_MSG_READING 0x52454144494e4721ull
_Static_assert(sizeof(struct usage_msg_reading) != sizeof(struct usage_flow),
	       "notes and readings are told apart by their length");
#define USAGE_MSG_MAX (sizeof(struct usage_msg_reading) > sizeof(struct usage_flow) ? \
		       sizeof(struct usage_msg_reading) : sizeof(struct usage_flow))

struct usage_consumer {
	ctacct_fn fn;
	void *ctx;
};

struct usage {
	struct usage_opts o;
	struct usage_consumer tap[USAGE_CT_CONSUMERS];
	unsigned int n_tap;
	pthread_mutex_t lock;
	pthread_t th;
	bool running;
	atomic_int stop;
	struct evring *ring;
	struct ctacct *rd;
	struct ct *ct;
	struct conntab *conns;
	struct usagedb *db;
	struct ulimits *lim;
	time_t now;
	uint32_t attr_min;		/* minute the readings under way belong to */
	uint32_t done_min;		/* the last minute boundary handled */
	time_t next_refresh, next_save, next_persist;
	struct usage_stats st;
	int late_logged, full_logged;
	struct ct_tuple *gt;
	uint8_t *gdir;
};

static const uint8_t zero_mac[6];

time_t usage_now(const struct usage *u)
{
	return u->o.clock ? u->o.clock(u->o.clock_ctx) : time(NULL);
}

static uint64_t mono_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000 + (uint64_t)ts.tv_nsec / 1000;
}

/* ---- readings ------------------------------------------------------- */

void usage_feed(struct usage *u, const struct ctacct_rec *r, uint32_t minute)
{
	uint64_t limits[USAGE_FLOW_LIMITS];
	struct usage_sample s;
	struct conn_delta d;
	uint8_t n, mac[6];

	u->st.readings++;
	u->st.destroys += r->kind == CTACCT_DESTROY;
	if (conntab_reading(u->conns, r, daycal_minute(u->now), &d) < 0 || !(d.bytes_in + d.bytes_out))
		return;
	if (d.c->flags & CONN_BLOCKED) {
		u->st.blocked_bytes += d.bytes_in + d.bytes_out;
		return;
	}
	memset(&s, 0, sizeof(s));
	memcpy(s.mac, d.unmapped ? zero_mac : d.c->mac, 6);
	s.app = d.unmapped ? -1 : d.c->app;
	s.category = d.unmapped ? -1 : d.c->category;
	s.bytes_in = d.bytes_in;
	s.bytes_out = d.bytes_out;
	s.minute = minute;
	if (d.unmapped)
		u->st.unmapped_bytes += d.bytes_in + d.bytes_out;
	usagedb_add(u->db, &s);
	/* a budget reached by this reading may cut this very connection:
	 * take what is needed from the entry first */
	memcpy(mac, s.mac, 6);
	n = d.unmapped ? 0 : d.c->n_limits;
	memcpy(limits, d.c->limits, sizeof(limits));
	for (uint8_t i = 0; i < n; i++)
		ulimits_account(u->lim, limits[i], mac, minute, d.bytes_in + d.bytes_out, u->now);
}

/* The reader's callback: a dump or get reading belongs to the minute set
 * for it, a destroy event to the minute it arrives in. */
static void on_record(void *ctx, const struct ctacct_rec *r)
{
	struct usage *u = ctx;

	if (!u->o.reader_only)
		usage_feed(u, r, r->kind == CTACCT_DESTROY ? daycal_minute(u->now) : u->attr_min);
	for (unsigned int i = 0; i < u->n_tap; i++)
		u->tap[i].fn(u->tap[i].ctx, r);
}

int usage_ct_attach(struct usage *u, ctacct_fn fn, void *ctx)
{
	int r = -1;

	pthread_mutex_lock(&u->lock);
	if (u->rd && u->n_tap < USAGE_CT_CONSUMERS) {
		u->tap[u->n_tap++] = (struct usage_consumer){ fn, ctx };
		r = 0;
	}
	pthread_mutex_unlock(&u->lock);
	return r;
}

/* ---- notes from the workers ----------------------------------------- */

static void note(struct usage *u, const struct usage_flow *f)
{
	uint32_t m = daycal_minute(u->now);
	struct usage_sample s;

	if (conntab_note(u->conns, f, m) != CONNTAB_NEW || f->blocked)
		return;
	memset(&s, 0, sizeof(s));
	memcpy(s.mac, f->mac, 6);
	s.app = f->app;
	s.category = f->category;
	s.conns = 1;
	s.minute = m;
	usagedb_add(u->db, &s);
}

static void drain(struct usage *u)
{
	struct evring_stats es;
	const void *p;
	size_t len;

	evring_stats(u->ring, &es);
	if (es.full)
		log_once(&u->full_logged, LOG_WARNING,
			 "usage: flow notes dropped, the ring of %u was full: those connections count for no device (counted)",
			 evring_capacity(u->ring));

	while ((p = evring_peek(u->ring, &len))) {
		struct usage_msg_reading m;
		struct usage_flow f;

		if (len == sizeof(f)) {
			memcpy(&f, p, sizeof(f));
			note(u, &f);
		} else if (len == sizeof(m)) {
			memcpy(&m, p, sizeof(m));
			if (m.magic == USAGE_MSG_READING)
				on_record(u, &m.r);
		}
		evring_pop(u->ring);
	}
}

int usage_flow_note(struct usage *u, const struct usage_flow *f)
{
	return evring_push(u->ring, f, sizeof(*f));
}

int usage_reading(struct usage *u, const struct ctacct_rec *r)
{
	struct usage_msg_reading m = { USAGE_MSG_READING, *r };

	return evring_push(u->ring, &m, sizeof(m));
}

/* The owner's connections (no kernel): what it hands over now belongs to
 * minute @attr. */
static void owner_read(struct usage *u, uint32_t attr, bool boundary)
{
	uint64_t t0 = mono_us();

	drain(u);
	u->attr_min = attr;
	u->o.read_conns(u->o.read_ctx, boundary);
	drain(u);
	u->attr_min = daycal_minute(u->now);
	if (boundary)
		u->st.last_dump_us = (uint32_t)(mono_us() - t0);
	else
		u->st.refreshes++;
}

bool usage_limit_blocked(const struct usage *u, uint64_t key, const uint8_t mac[6], time_t now)
{
	return ulimits_blocked(u->lim, key, mac, now);
}

/* ---- cuts ----------------------------------------------------------- */

struct cut {
	struct usage *u;
	const struct ulimit_status *st;
};

static bool conn_counts_for(const struct conn *c, const struct ulimit_status *st)
{
	for (uint8_t i = 0; i < c->n_limits; i++)
		if (c->limits[i] == st->key)
			return !st->per_device || !memcmp(c->mac, st->mac, 6);
	return false;
}

/* Rewrites the mark of a live connection of the spent budget, as a reload
 * does: with the blocked bit its next packet is dropped (TCP reset). */
static void cut_one(void *ctx, struct conn *c)
{
	struct cut *k = ctx;
	struct usage *u = k->u;

	if ((c->flags & (CONN_BLOCKED | CONN_UNMAPPED)) || !conn_counts_for(c, k->st))
		return;
	c->flags |= CONN_BLOCKED;
	if (ct_set_mark(u->ct, &c->t, u->o.cut_mark, u->o.cut_mask) == 0)
		u->st.cuts++;
	else
		u->st.cut_errors++;
}

static void on_limit(void *ctx, enum ulimit_event ev, const struct ulimit_status *st0)
{
	struct usage *u = ctx;
	struct ulimit_status s = *st0, *st = &s;
	struct cut k = { u, st };
	uint64_t cuts = u->st.cuts;

	if (ev == ULIMIT_REACHED && u->ct && u->o.cut_mark)
		conntab_foreach(u->conns, cut_one, &k);
	s.cut = (uint32_t)(u->st.cuts - cuts);
	if (ev == ULIMIT_REACHED && st->by == ULIMIT_BY_TIME)
		log_msg(LOG_NOTICE, "usage: limit '%s' reached: %u of %u minutes", st->name, st->used_min,
			st->time_min);
	else if (ev == ULIMIT_REACHED)
		log_msg(LOG_NOTICE, "usage: limit '%s' reached: %llu of %llu bytes", st->name,
			(unsigned long long)st->used_bytes, (unsigned long long)st->volume);
	if (u->o.on_limit)
		u->o.on_limit(u->o.limit_ctx, ev, st);
}

/* ---- the minute boundary and the refresh ---------------------------- */

static void check_missing(struct usage *u, uint32_t m)
{
	size_t n = conntab_missing(u->conns, m, USAGE_SWEEP_GRACE, u->gt, u->gdir, USAGE_GETS_MAX);
	bool ok = !n || ctacct_get(u->rd, u->gt, u->gdir, n) >= 0;

	conntab_sweep(u->conns, m, USAGE_SWEEP_GRACE, ok);
}

static void dump(struct usage *u, uint32_t attr, bool boundary)
{
	uint64_t t0 = mono_us();
	int n;

	u->attr_min = attr;
	if (boundary)
		conntab_round(u->conns);
	n = ctacct_dump(u->rd, u->o.dump_mark, u->o.dump_mask);
	u->st.last_dump_us = (uint32_t)(mono_us() - t0);
	if (u->st.last_dump_us > u->st.max_dump_us)
		u->st.max_dump_us = u->st.last_dump_us;
	if (n < 0) {
		u->st.dump_errors++;
		return;
	}
	u->st.last_dump_conns = (uint32_t)n;
	if (boundary)
		check_missing(u, attr + 1);
}

static void boundary(struct usage *u, time_t now)
{
	uint32_t m = daycal_minute(now);

	u->st.boundaries++;
	if (now - (time_t)m * 60 > USAGE_LATE_S || m - u->done_min > 1) {
		u->st.boundaries_late++;
		log_once(&u->late_logged, LOG_WARNING,
			 "usage: the minute reading ran %llds after its minute ended: its traffic counts in that minute (counted)",
			 (long long)(now - (time_t)m * 60));
	}
	if (u->rd)
		dump(u, m - 1, true);
	else if (u->o.read_conns)
		owner_read(u, m - 1, true);
	u->attr_min = m;
	u->done_min = m;
	ulimits_tick(u->lim, now);
}

struct refresh {
	struct usage *u;
	size_t n;
};

static void refresh_pick(void *ctx, struct conn *c)
{
	struct refresh *r = ctx;

	if (r->n >= USAGE_GETS_MAX || (c->flags & (CONN_BLOCKED | CONN_UNMAPPED)))
		return;
	for (uint8_t i = 0; i < c->n_limits; i++)
		if (ulimits_has_volume(r->u->lim, c->limits[i])) {
			r->u->gt[r->n] = c->t;
			r->u->gdir[r->n++] = c->flags & CONN_BY_REPLY ? CT_DIR_REPLY : CT_DIR_ORIG;
			return;
		}
}

/* Connections of budgets with a volume limit, read every refresh_s: a
 * volume limit is reached between minute boundaries. */
static void refresh(struct usage *u, time_t now)
{
	struct refresh r = { u, 0 };
	uint64_t t0 = mono_us();

	conntab_foreach(u->conns, refresh_pick, &r);
	if (!r.n)
		return;
	u->attr_min = daycal_minute(now);
	ctacct_get(u->rd, u->gt, u->gdir, r.n);
	u->st.refreshes++;
	u->st.last_refresh_conns = (uint32_t)r.n;
	u->st.last_refresh_us = (uint32_t)(mono_us() - t0);
}

/* ---- state ---------------------------------------------------------- */

static int save_to(struct usage *u, const char *dir, bool conns)
{
	struct ustate_src src = { u->db, u->lim, u->conns };
	struct ustate_info info;
	uint64_t t0 = mono_us();

	if (ustate_save(dir, USTATE_FILE, &src, u->now, conns, &info) < 0) {
		u->st.save_errors++;
		return -1;
	}
	u->st.saves++;
	u->st.last_save_bytes = (uint32_t)info.bytes;
	u->st.last_save_us = (uint32_t)(mono_us() - t0);
	return 0;
}

static void load_from(struct usage *u, const char *dir, bool conns)
{
	struct ustate_src src = { u->db, u->lim, conns ? u->conns : NULL };
	struct ustate_info info;

	if (dir && ustate_load(dir, USTATE_FILE, &src, u->now, &info) == 0)
		log_msg(LOG_INFO, "usage: loaded %s/%s: %u entries, %u budgets, %u connections", dir, USTATE_FILE,
			info.entries, info.budgets, info.conns);
}

int usage_save(struct usage *u, bool persist)
{
	int r = 0;

	pthread_mutex_lock(&u->lock);
	u->now = usage_now(u);
	if (u->o.state_dir)
		r |= save_to(u, u->o.state_dir, true);
	if (persist && u->o.persist_dir)
		r |= save_to(u, u->o.persist_dir, false);
	pthread_mutex_unlock(&u->lock);
	return r ? -1 : 0;
}

/* ---- the turn ------------------------------------------------------- */

void usage_step(struct usage *u, time_t now)
{
	pthread_mutex_lock(&u->lock);
	u->now = now;
	drain(u);
	if (u->rd) {
		ctacct_read(u->rd, 0);
		/* events were lost: read every running connection again now */
		if (ctacct_resync_needed(u->rd))
			dump(u, daycal_minute(now), false);
	}
	if (daycal_minute(now) > u->done_min)
		boundary(u, now);
	if ((u->rd || u->o.read_conns) && now >= u->next_refresh) {
		if (u->rd)
			refresh(u, now);
		else
			owner_read(u, daycal_minute(now), false);
		u->next_refresh = now + (time_t)u->o.refresh_s;
	}
	if (u->o.state_dir && now >= u->next_save) {
		save_to(u, u->o.state_dir, true);
		u->next_save = now + (time_t)u->o.save_s;
	}
	if (u->o.persist_dir && now >= u->next_persist) {
		save_to(u, u->o.persist_dir, false);
		u->next_persist = now + (time_t)u->o.persist_s;
	}
	pthread_mutex_unlock(&u->lock);
}

/* Milliseconds to the next minute boundary (just past it), at most the idle period. */
static int wait_ms(const struct usage *u)
{
	uint64_t now = util_wall_ms(), next = ((uint64_t)u->done_min + 1) * 60000 + 20;

	if (u->o.clock)
		return USAGE_IDLE_MS;
	return next <= now ? 0 : next - now < USAGE_IDLE_MS ? (int)(next - now) : USAGE_IDLE_MS;
}

static void *run(void *arg)
{
	struct usage *u = arg;

	while (!atomic_load(&u->stop)) {
		struct pollfd p = { .fd = u->rd ? ctacct_fd(u->rd) : -1, .events = POLLIN };

		poll(&p, 1, wait_ms(u));
		usage_step(u, usage_now(u));
	}
	return NULL;
}

int usage_start(struct usage *u)
{
	if (u->running)
		return 0;
	atomic_store(&u->stop, 0);
	if (pthread_create(&u->th, NULL, run, u))
		return -1;
	u->running = true;
	return 0;
}

/* ---- life ----------------------------------------------------------- */

static void defaults(struct usage_opts *o)
{
	o->max_entries = o->max_entries ? o->max_entries : 4096;
	o->max_conns = o->max_conns ? o->max_conns : 65536;
	o->max_scopes = o->max_scopes ? o->max_scopes : 1024;
	o->ring_slots = o->ring_slots ? o->ring_slots : 4096;
	o->refresh_s = o->refresh_s ? o->refresh_s : 2;
	o->save_s = o->save_s ? o->save_s : 300;
	o->persist_s = o->persist_s ? o->persist_s : 21600;
}

static int open_kernel(struct usage *u)
{
	struct ctacct_opts co = { .events = true, .event_mask = u->o.event_mask,
				  .reliable = u->o.reliable_events };

	if (u->o.acct_sysctl) {
		ctacct_sysctl_ensure(NULL, "nf_conntrack_acct");
		ctacct_sysctl_ensure(NULL, "nf_conntrack_events");
	}
	if (u->o.timestamps)
		ctacct_sysctl_ensure(NULL, "nf_conntrack_timestamp");
	if (!(u->rd = ctacct_open(&co, on_record, u))) {
		log_msg(LOG_ERR, "usage: cannot read conntrack (ctnetlink): %s", strerror(errno));
		return -1;
	}
	if (u->o.cut_mark && !(u->ct = ct_open())) {
		log_msg(LOG_ERR, "usage: cannot open ctnetlink to cut connections: %s", strerror(errno));
		return -1;
	}
	return 0;
}

struct usage *usage_new(const struct usage_opts *o)
{
	struct usagedb_opts dbo = { 0 };
	struct ulimits_opts lo = { 0 };
	struct usage *u = calloc(1, sizeof(*u));

	if (!u)
		return NULL;
	u->o = *o;
	defaults(&u->o);
	pthread_mutex_init(&u->lock, NULL);
	u->now = usage_now(u);
	dbo.max_entries = u->o.max_entries;
	dbo.reset_min = u->o.reset_min;
	dbo.min_bytes = u->o.min_bytes;
	lo.max_scopes = u->o.max_scopes;
	lo.reset_min = u->o.reset_min;
	lo.fn = on_limit;
	lo.ctx = u;
	if (!(u->db = usagedb_new(&dbo)) || !(u->lim = ulimits_new(&lo)) ||
	    !(u->conns = conntab_new(u->o.max_conns, 0)) ||
	    !(u->ring = evring_new(u->o.ring_slots, USAGE_MSG_MAX)) ||
	    !(u->gt = calloc(USAGE_GETS_MAX, sizeof(*u->gt))) || !(u->gdir = calloc(USAGE_GETS_MAX, 1)))
		goto out_free;
	if (u->o.kernel && open_kernel(u) < 0)
		goto out_free;
	load_from(u, u->o.state_dir, true);
	load_from(u, u->o.persist_dir, false);
	u->done_min = daycal_minute(u->now);
	u->attr_min = u->done_min;
	u->next_refresh = u->now;
	u->next_save = u->now + (time_t)u->o.save_s;
	u->next_persist = u->now + (time_t)u->o.persist_s;
	return u;

out_free:
	u->o.state_dir = u->o.persist_dir = NULL;	/* nothing was counted: keep the files as they are */
	usage_free(u);
	return NULL;
}

void usage_free(struct usage *u)
{
	if (!u)
		return;
	if (u->running) {
		atomic_store(&u->stop, 1);
		pthread_join(u->th, NULL);
		u->running = false;
	}
	if (u->db && u->lim && u->conns && u->ring) {
		/* the last notes and readings (a replay's flows at its end) */
		pthread_mutex_lock(&u->lock);
		u->now = usage_now(u);
		drain(u);
		pthread_mutex_unlock(&u->lock);
		usage_save(u, true);
	}
	ctacct_close(u->rd);
	ct_close(u->ct);
	evring_free(u->ring);
	conntab_free(u->conns);
	ulimits_free(u->lim);
	usagedb_free(u->db);
	free(u->gt);
	free(u->gdir);
	pthread_mutex_destroy(&u->lock);
	free(u);
}

int usage_limits_configure(struct usage *u, const struct ulimit_def *defs, size_t n)
{
	int r;

	pthread_mutex_lock(&u->lock);
	u->now = usage_now(u);
	r = ulimits_configure(u->lim, defs, n, u->now);
	pthread_mutex_unlock(&u->lock);
	return r;
}

void usage_lock(struct usage *u)
{
	pthread_mutex_lock(&u->lock);
}

void usage_unlock(struct usage *u)
{
	pthread_mutex_unlock(&u->lock);
}

struct usagedb *usage_db(struct usage *u)
{
	return u->db;
}

struct ulimits *usage_limits(struct usage *u)
{
	return u->lim;
}

void usage_stats(struct usage *u, struct usage_stats *st)
{
	struct evring_stats es;

	pthread_mutex_lock(&u->lock);
	*st = u->st;
	evring_stats(u->ring, &es);
	st->notes = es.pushed;
	st->notes_dropped = es.full + es.oversize;
	conntab_stats(u->conns, &st->conns);
	usagedb_stats(u->db, &st->db);
	ulimits_stats(u->lim, &st->limits);
	if (u->rd)
		ctacct_stats(u->rd, &st->ct);
	pthread_mutex_unlock(&u->lock);
}
