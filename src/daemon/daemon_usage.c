/* The daemon's usage accounting and daily limits (src/usage/, doc/usage.md):
 * the service's options from the configuration, the workers' two hooks
 * (a decided flow's note, and whether a limit rule's budget is spent), the
 * limit events (monitor messages, and the workers' re-match so that their
 * flows agree with a spent or lifted budget), a replay's readings, the
 * "usage" member of agent_status and the control method "usage".
 *
 * Locks, in the order they may be taken: cfg_lock (the configuration), the
 * usage lock, a worker's lock (only by a replay's readings). The limit
 * events run with the usage lock held, in the accounting thread or the
 * reload: they name devices from a copy made at configuration time, never
 * from the configuration itself.
 */
#include "config.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include "apps.h"
#include "control.h"
#include "daemon_int.h"
#include "json.h"
#include "log.h"
#include "monitor.h"
#include "usage.h"
#include "util.h"

#define USAGE_REPLY_DEVICES	1024	/* devices in one reply */
#define USAGE_REPLY_ROWS	128	/* applications (categories) per device */
#define USAGE_REPLY_LIMITS	1024	/* budgets in one reply */
#define USAGE_HOURS_SHOWN	48

/* What a limit event needs to know of the configuration, copied when it
 * is configured (usage lock held), so that the event never reads the
 * configuration a reload may be freeing. */
struct usage_names {
	size_t n_devices;
	struct { uint8_t mac[6]; char name[64]; } *devices;
	size_t n_limits;
	struct { uint64_t key; char action[8]; } *limits;
};

static struct usage_names names;	/* one daemon per process */
static const uint8_t zero_mac[6];

/* ---- names ---------------------------------------------------------- */

static void names_free(struct usage_names *n)
{
	free(n->devices);
	free(n->limits);
	memset(n, 0, sizeof(*n));
}

static int names_build(struct usage_names *n, const struct policy *p)
{
	size_t nd = 0;

	memset(n, 0, sizeof(*n));
	for (size_t i = 0; i < p->n_devices; i++)
		nd += p->devices[i].macs.n;
	n->devices = calloc(nd + 1, sizeof(*n->devices));
	n->limits = calloc(p->n_rules + 1, sizeof(*n->limits));
	if (!n->devices || !n->limits) {
		names_free(n);
		return -1;
	}
	for (size_t i = 0; i < p->n_devices; i++)
		for (size_t j = 0; j < p->devices[i].macs.n; j++) {
			memcpy(n->devices[n->n_devices].mac, p->devices[i].macs.v[j], 6);
			snprintf(n->devices[n->n_devices++].name, sizeof(n->devices[0].name), "%s",
				 p->devices[i].name);
		}
	for (size_t i = 0; i < p->n_rules; i++)
		if (p->rules[i].limit_key) {
			n->limits[n->n_limits].key = p->rules[i].limit_key;
			snprintf(n->limits[n->n_limits++].action, sizeof(n->limits[0].action), "%s",
				 policy_action_name(p->rules[i].action));
		}
	return 0;
}

static const char *names_device(const struct usage_names *n, const uint8_t *mac)
{
	for (size_t i = 0; i < n->n_devices; i++)
		if (!memcmp(n->devices[i].mac, mac, 6))
			return n->devices[i].name;
	return NULL;
}

static const char *names_action(const struct usage_names *n, uint64_t key)
{
	for (size_t i = 0; i < n->n_limits; i++)
		if (n->limits[i].key == key)
			return n->limits[i].action;
	return NULL;
}

/* ---- JSON pieces ---------------------------------------------------- */

static void kv_day(yajl_gen g, const char *key, int32_t day)
{
	char buf[16];
	int y, m, d;

	daycal_civil(day, &y, &m, &d);
	snprintf(buf, sizeof(buf), "%04d-%02d-%02d", y, m, d);
	json_kv_str(g, key, buf);
}

static int parse_day(const char *s, int32_t *day)
{
	int y, m, d, n = 0;

	if (!s || sscanf(s, "%4d-%2d-%2d%n", &y, &m, &d, &n) != 3 || n != 10 || s[n] || m < 1 || m > 12 ||
	    d < 1 || d > 31)
		return -1;
	*day = daycal_from_civil(y, m, d);
	return 0;
}

static const char *by_name(uint8_t by)
{
	return by == ULIMIT_BY_TIME ? "time" : by == ULIMIT_BY_VOLUME ? "volume" : NULL;
}

/* One budget: the members shared by the limit messages and the reply. */
static void limit_members(yajl_gen g, const struct ulimit_status *st, const struct usage_names *n)
{
	bool shared = !memcmp(st->mac, zero_mac, 6);

	json_kv_str(g, "rule", st->name);
	json_kv_null(g, "action", names_action(n, st->key));
	json_kv_str(g, "per", st->per_device ? "device" : "rule");
	json_kv_null(g, "device", shared ? NULL : names_device(n, st->mac));
	if (shared)
		json_kv_null(g, "mac", NULL);
	else
		json_kv_mac(g, "mac", st->mac);
	json_kv_int(g, "time_limit_s", (long long)st->time_min * 60);
	json_kv_int(g, "used_s", (long long)st->used_min * 60);
	if (st->time_min)
		json_kv_int(g, "remaining_s",
			    st->used_min < st->time_min ? (long long)(st->time_min - st->used_min) * 60 : 0);
	json_kv_int(g, "volume_limit", (long long)st->volume);
	json_kv_int(g, "used_bytes", (long long)st->used_bytes);
	if (st->volume)
		json_kv_int(g, "remaining_bytes",
			    st->used_bytes < st->volume ? (long long)(st->volume - st->used_bytes) : 0);
	json_kv_int(g, "warn", st->warn_pct);
	json_kv_bool(g, "warned", st->warned);
	json_kv_bool(g, "reached", st->reached);
	json_kv_null(g, "by", by_name(st->by));
	if (st->reached_at)
		json_kv_int(g, "reached_at", (long long)st->reached_at * 1000);
	else
		json_kv_null(g, "reached_at", NULL);
	json_kv_int(g, "resets_at", (long long)st->reset_at * 1000);
}

static unsigned int share_of(const struct ulimit_status *st)
{
	uint64_t t = st->time_min ? (uint64_t)st->used_min * 100 / st->time_min : 0;
	uint64_t v = st->volume ? st->used_bytes * 100 / st->volume : 0;

	return (unsigned int)(t > v ? t : v);
}

static void totals_json(yajl_gen g, const char *key, const struct usage_totals *t)
{
	json_key(g, key);
	yajl_gen_map_open(g);
	json_kv_int(g, "bytes_in", (long long)t->bytes_in);
	json_kv_int(g, "bytes_out", (long long)t->bytes_out);
	json_kv_int(g, "conns", (long long)t->conns);
	json_kv_int(g, "active_s", (long long)t->minutes * 60);
	yajl_gen_map_close(g);
}

/* ---- limit events --------------------------------------------------- */

static const char *const limit_types[__ULIMIT_EVENT_MAX] = {
	[ULIMIT_WARN] = "limit_warning", [ULIMIT_REACHED] = "limit_reached", [ULIMIT_RESET] = "limit_reset",
};

/* In the accounting thread or the reload, usage lock held. */
static void on_limit(void *ctx, enum ulimit_event ev, const struct ulimit_status *st)
{
	struct daemon_ctx *d = ctx;
	yajl_gen g;

	if (ev == ULIMIT_REACHED || ev == ULIMIT_RESET)
		__atomic_add_fetch(&d->usage_gen, 1, __ATOMIC_RELEASE);	/* workers re-match */
	if (ev == ULIMIT_WARN)
		log_msg(LOG_INFO, "usage: limit '%s' at %u%%", st->name, share_of(st));
	else if (ev == ULIMIT_RESET)
		log_msg(LOG_NOTICE, "usage: limit '%s' renewed (%s)", st->name, st->lifted ? "reload" : "new day");
	if (!d->mon || !(g = json_gen_new()))
		return;
	yajl_gen_map_open(g);
	json_kv_str(g, "type", limit_types[ev]);
	json_kv_int(g, "timestamp", (long long)util_wall_ms());
	limit_members(g, st, &names);
	json_kv_int(g, "share", share_of(st));
	if (ev == ULIMIT_REACHED)
		json_kv_int(g, "cut", st->cut);
	if (ev == ULIMIT_RESET)
		json_kv_str(g, "reason", st->lifted ? "reload" : "day");
	yajl_gen_map_close(g);
	monitor_publish_gen(d->mon, g);
	yajl_gen_free(g);
}

/* ---- the workers' hooks --------------------------------------------- */

static bool hook_spent(void *ctx, uint64_t key, const uint8_t mac[6], time_t now)
{
	struct worker *w = ctx;

	return w->d->usage && usage_limit_blocked(w->d->usage, key, mac, now);
}

/* A decision changed: the accounting learns who and what the connection
 * is, and which limits it counts against. */
static void hook_decided(void *ctx, const struct flow *f, const struct flowstate *fs,
			 const struct policy_input *in, time_t now)
{
	struct worker *w = ctx;
	const struct apps_app *a;
	struct usage_flow uf;

	if (!w->d->usage)
		return;
	memset(&uf, 0, sizeof(uf));
	worker_tuple(f, &uf.tuple);
	uf.flow_id = f->id;
	if (in->has_mac)
		memcpy(uf.mac, in->mac, 6);
	uf.local_is_src = engine_local_side(w->e, f) == f->init_side;
	uf.blocked = fs->action == POLICY_BLOCK;
	/* the application the policy saw: netify's, else the one nDPI's
	 * own application stands for */
	uf.app = in->app_id >= 0 ? in->app_id : in->app_ndpi_id;
	uf.category = in->app_id >= 0 ? in->category_id :
		      w->v.apps && (a = apps_get(w->v.apps, uf.app)) ? a->category : -1;
	uf.rule = fs->rule ? fs->rule->index : -1;
	if (w->v.policy)
		uf.n_limits = (uint8_t)policy_limits(w->v.policy, in, now, uf.rule, uf.limits,
						      USAGE_FLOW_LIMITS);
	usage_flow_note(w->d->usage, &uf);
}

void daemon_usage_worker_sync(struct worker *w)
{
	unsigned int g = __atomic_load_n(&w->d->usage_gen, __ATOMIC_ACQUIRE);

	if (g == w->usage_gen)
		return;
	w->usage_gen = g;
	verdict_reevaluate(&w->v, time(NULL));
}

/* ---- a replay's readings: the flows' own counters -------------------- */

static void replay_rec(const struct flow *f, uint8_t kind, struct ctacct_rec *r)
{
	uint8_t i = f->init_side, o = (uint8_t)!i;

	memset(r, 0, sizeof(*r));
	r->kind = kind;
	r->has_counters = 1;
	worker_tuple(f, &r->orig);
	r->id = f->id + 1;
	r->packets[CT_DIR_ORIG] = f->packets[i];
	r->packets[CT_DIR_REPLY] = f->packets[o];
	r->bytes[CT_DIR_ORIG] = f->bytes[i];
	r->bytes[CT_DIR_REPLY] = f->bytes[o];
}

void daemon_usage_flow_gone(struct worker *w, const struct flow *f)
{
	const struct flowstate *fs = f->user;
	struct ctacct_rec r;

	if (!w->d->replay || !w->d->usage || !fs || !fs->bits)
		return;
	replay_rec(f, CTACCT_DESTROY, &r);
	usage_reading(w->d->usage, &r);
}

static int replay_read_one(void *user, struct flow *f)
{
	struct worker *w = user;
	const struct flowstate *fs = f->user;
	struct ctacct_rec r;

	if (fs && fs->bits) {
		replay_rec(f, CTACCT_DUMP, &r);
		usage_reading(w->d->usage, &r);
	}
	return 0;
}

/* The accounting thread (usage lock held) reads the replay's live flows. */
static void replay_read(void *ctx, bool boundary)
{
	struct daemon_ctx *d = ctx;

	(void)boundary;
	for (unsigned int i = 0; i < d->n_workers; i++) {
		pthread_mutex_lock(&d->w[i].lock);
		engine_foreach_flow(d->w[i].e, replay_read_one, &d->w[i]);
		pthread_mutex_unlock(&d->w[i].lock);
	}
}

/* ---- life cycle ----------------------------------------------------- */

static size_t limit_defs(const struct policy *p, struct ulimit_def *defs, size_t max)
{
	size_t n = 0;

	for (size_t i = 0; i < p->n_rules && n < max; i++) {
		const struct policy_rule *r = &p->rules[i];

		if (!r->limit_key || !r->enabled)
			continue;
		defs[n++] = (struct ulimit_def){ r->name, r->time_limit, r->volume_limit, (uint8_t)r->limit_warn,
						 r->limit_per == POLICY_LIMIT_PER_DEVICE };
	}
	return n;
}

static bool str_differ(const char *a, const char *b)
{
	return a && b ? strcmp(a, b) != 0 : a != b;
}

static bool usage_settings_changed(const struct policy_main *a, const struct policy_main *b)
{
	return a->usage != b->usage || a->reset_time != b->reset_time || str_differ(a->usage_dir, b->usage_dir) ||
	       a->usage_save_interval != b->usage_save_interval ||
	       str_differ(a->usage_persist_dir, b->usage_persist_dir) ||
	       a->usage_persist_interval != b->usage_persist_interval ||
	       a->usage_max_entries != b->usage_max_entries || a->usage_min_bytes != b->usage_min_bytes ||
	       a->usage_refresh != b->usage_refresh;
}

void daemon_usage_configure(struct daemon_ctx *d, const struct policy *p)
{
	struct ulimit_def *defs;
	struct usage_names nn;
	size_t n;

	if (!d->usage)
		return;
	if (usage_settings_changed(&p->main, &d->main))
		log_msg(LOG_WARNING, "usage: the usage settings (usage, reset_time, usage_*) take effect at "
			"the next start");
	if (!(defs = calloc(POLICY_LIMITS_MAX, sizeof(*defs))) || names_build(&nn, p) < 0) {
		free(defs);
		log_msg(LOG_ERR, "usage: out of memory: limits not updated");
		return;
	}
	usage_lock(d->usage);
	names_free(&names);
	names = nn;
	usage_unlock(d->usage);
	n = limit_defs(p, defs, POLICY_LIMITS_MAX);
	if (usage_limits_configure(d->usage, defs, n) < 0)
		log_msg(LOG_ERR, "usage: %zu limits refused: %s", n, strerror(errno));
	free(defs);
}

/* The state directory, made if missing (one level, like /var/run/netify
 * on tmpfs after a reboot). */
static const char *state_dir(const char *dir)
{
	if (dir && mkdir(dir, 0750) < 0 && errno != EEXIST)
		log_msg(LOG_WARNING, "usage: '%s': %s", dir, strerror(errno));
	return dir;
}

int daemon_usage_start(struct daemon_ctx *d)
{
	const struct policy_main *m = &d->main;
	struct usage_opts o;

	if (!m->usage) {
		log_msg(LOG_NOTICE, "usage accounting off (option usage '0'): limit rules never match");
		return 0;
	}
	memset(&o, 0, sizeof(o));
	o.kernel = !d->replay;
	o.acct_sysctl = true;
	o.event_mask = d->marks.used;
	o.dump_mark = o.dump_mask = d->marks.released;
	o.cut_mark = d->marks.blocked;
	o.cut_mask = d->marks.used;
	o.max_entries = m->usage_max_entries;
	o.max_conns = m->flow_table_size;
	o.reset_min = m->reset_time;
	o.min_bytes = m->usage_min_bytes;
	o.refresh_s = m->usage_refresh;
	/* a replay counts what its capture carries, in memory: its figures
	 * are not the router's, and never touch its state files */
	o.state_dir = d->replay ? NULL : state_dir(m->usage_dir);
	o.persist_dir = d->replay ? NULL : state_dir(m->usage_persist_dir);
	o.save_s = m->usage_save_interval;
	o.persist_s = m->usage_persist_interval;
	o.on_limit = on_limit;
	o.limit_ctx = d;
	if (d->replay) {
		o.read_conns = replay_read;
		o.read_ctx = d;
	}
	if (!(d->usage = usage_new(&o))) {
		log_msg(LOG_ERR, "usage accounting could not start: limit rules never match");
		return 0;
	}
	daemon_usage_configure(d, d->cfg->policy);
	for (unsigned int i = 0; i < d->n_workers; i++) {
		struct worker *w = &d->w[i];

		w->v.ops.limit_spent = hook_spent;
		w->v.ops.decided = hook_decided;
		w->v.ops.ctx = w;
	}
	if (usage_start(d->usage) < 0) {
		log_msg(LOG_ERR, "usage: thread: %s", strerror(errno));
		return -1;
	}
	log_msg(LOG_INFO, "usage accounting on: %s%s%s", o.state_dir ? "state in " : "in memory",
		o.state_dir ? o.state_dir : "", o.persist_dir ? " (and a persistent copy)" : "");
	return 0;
}

void daemon_usage_stop(struct daemon_ctx *d)
{
	if (!d->usage)
		return;
	for (unsigned int i = 0; i < d->n_workers; i++) {
		d->w[i].v.ops.limit_spent = NULL;
		d->w[i].v.ops.decided = NULL;
	}
	usage_free(d->usage);	/* saves */
	d->usage = NULL;
	names_free(&names);
}

/* ---- agent_status --------------------------------------------------- */

void daemon_usage_status(struct daemon_ctx *d, yajl_gen g)
{
	struct usage_stats st;

	if (!d->usage)
		return;
	usage_stats(d->usage, &st);
	json_key(g, "usage");
	yajl_gen_map_open(g);
	json_kv_int(g, "notes", (long long)st.notes);
	json_kv_int(g, "notes_dropped", (long long)st.notes_dropped);
	json_kv_int(g, "readings", (long long)st.readings);
	json_kv_int(g, "boundaries", (long long)st.boundaries);
	json_kv_int(g, "boundaries_late", (long long)st.boundaries_late);
	json_kv_int(g, "last_dump_us", st.last_dump_us);
	json_kv_int(g, "last_dump_conns", st.last_dump_conns);
	json_kv_int(g, "entries", st.db.entries);
	json_kv_int(g, "max_entries", st.db.max_entries);
	json_kv_int(g, "evictions", (long long)st.db.evictions);
	json_key(g, "conns");
	yajl_gen_map_open(g);
	json_kv_int(g, "entries", st.conns.entries);
	json_kv_int(g, "capacity", st.conns.capacity);
	json_kv_int(g, "full", (long long)st.conns.full);
	json_kv_int(g, "lost", (long long)st.conns.lost);
	json_kv_int(g, "unmapped", (long long)st.conns.unmapped);
	yajl_gen_map_close(g);
	json_key(g, "limits");
	yajl_gen_map_open(g);
	json_kv_int(g, "defs", st.limits.defs);
	json_kv_int(g, "scopes", st.limits.scopes);
	json_kv_int(g, "scope_full", (long long)st.limits.scope_full);
	json_kv_int(g, "warnings", (long long)st.limits.warnings);
	json_kv_int(g, "reached", (long long)st.limits.reached);
	json_kv_int(g, "resets", (long long)st.limits.resets);
	json_kv_int(g, "cuts", (long long)st.cuts);
	json_kv_int(g, "cut_errors", (long long)st.cut_errors);
	yajl_gen_map_close(g);
	json_key(g, "ct");
	yajl_gen_map_open(g);
	json_kv_int(g, "events", (long long)st.ct.events);
	json_kv_int(g, "enobufs", (long long)st.ct.enobufs);
	json_kv_int(g, "dump_errors", (long long)st.dump_errors);
	yajl_gen_map_close(g);
	json_kv_int(g, "saves", (long long)st.saves);
	json_kv_int(g, "save_errors", (long long)st.save_errors);
	json_kv_int(g, "last_save_bytes", st.last_save_bytes);
	yajl_gen_map_close(g);
}

/* ---- policy_test: the budgets a device and application count against - */

static bool spent_any(void *ctx, uint64_t key, const uint8_t mac[6], time_t now)
{
	struct daemon_ctx *d = ctx;

	return d->usage && usage_limit_blocked(d->usage, key, mac, now);
}

void daemon_usage_policy_test(struct daemon_ctx *d, struct policy_input *in, time_t at, int index, yajl_gen g)
{
	uint64_t keys[USAGE_FLOW_LIMITS];
	struct ulimit_status st;
	size_t n;

	if (!g) {	/* before matching: spent budgets make their rules match */
		in->limit_spent = spent_any;
		in->limit_ctx = d;
		return;
	}
	(void)index;
	n = policy_limits(d->cfg->policy, in, at, -1, keys, USAGE_FLOW_LIMITS);
	json_key(g, "limits");
	yajl_gen_array_open(g);
	if (d->usage)
		usage_lock(d->usage);
	for (size_t i = 0; d->usage && i < n; i++) {
		if (ulimits_status(usage_limits(d->usage), keys[i], in->has_mac ? in->mac : zero_mac,
				   usage_now(d->usage), &st) < 0)
			continue;
		yajl_gen_map_open(g);
		limit_members(g, &st, &names);
		yajl_gen_map_close(g);
	}
	if (d->usage)
		usage_unlock(d->usage);
	yajl_gen_array_close(g);
}

/* ---- the control method "usage" ------------------------------------- */

struct usage_query {
	struct daemon_ctx *d;
	struct usagedb *db;
	const struct policy *p;
	const struct apps_db *apps;
	yajl_gen g;
	int32_t from, to, today;
	enum usage_kind kind;		/* USAGE_ALL, or the app / category asked for */
	int32_t id;
	const uint8_t (*macs)[6];	/* the devices asked for; NULL: all */
	size_t n_macs;
	bool hours;
	time_t now;
	struct dev_row { uint8_t mac[6]; struct usage_totals t; } *rows;
	size_t n_rows;
	struct usage_row *top;
};

static void collect_device(void *ctx, const uint8_t mac[6], const struct usage_totals *t)
{
	struct usage_query *q = ctx;
	size_t i;

	for (i = 0; q->macs && i < q->n_macs && memcmp(q->macs[i], mac, 6); i++)
		;
	if ((q->macs && i == q->n_macs) || q->n_rows == USAGE_REPLY_DEVICES)
		return;
	memcpy(q->rows[q->n_rows].mac, mac, 6);
	q->rows[q->n_rows++].t = *t;
}

static int by_bytes(const void *a, const void *b)
{
	const struct dev_row *x = a, *y = b;
	uint64_t bx = x->t.bytes_in + x->t.bytes_out, by = y->t.bytes_in + y->t.bytes_out;

	return bx < by ? 1 : bx > by ? -1 : memcmp(x->mac, y->mac, 6);
}

static void app_names(const struct usage_query *q, int32_t id, yajl_gen g)
{
	const struct apps_app *a = id >= 0 ? apps_get(q->apps, id) : NULL;
	const struct apps_category *c = a && a->category >= 0 ? apps_category_at(q->apps, (size_t)a->category) : NULL;

	json_kv_int(g, "id", id);
	json_kv_str(g, "tag", a ? a->tag : "unknown");
	json_kv_str(g, "label", a ? a->label : "Unknown");
	json_kv_null(g, "category", c ? c->tag : NULL);
}

static void category_names(const struct usage_query *q, int32_t id, yajl_gen g)
{
	const struct apps_category *c = id >= 0 && (size_t)id < apps_category_count(q->apps) ?
					apps_category_at(q->apps, (size_t)id) : NULL;

	json_kv_int(g, "id", id);
	json_kv_str(g, "tag", c ? c->tag : "none");
	json_kv_str(g, "label", c ? c->label : "None");
}

static void top_list(struct usage_query *q, const uint8_t *mac, enum usage_kind kind, const char *key)
{
	size_t n = usagedb_top(q->db, mac, kind, q->from, q->to, USAGE_BY_VOLUME, q->top, USAGE_REPLY_ROWS);
	yajl_gen g = q->g;

	json_key(g, key);
	yajl_gen_array_open(g);
	for (size_t i = 0; i < n; i++) {
		yajl_gen_map_open(g);
		if (kind == USAGE_APP)
			app_names(q, q->top[i].id, g);
		else
			category_names(q, q->top[i].id, g);
		totals_json(g, "totals", &q->top[i].t);
		yajl_gen_map_close(g);
	}
	yajl_gen_array_close(g);
}

static void series(struct usage_query *q, const uint8_t *mac)
{
	struct usage_totals t[USAGE_DAYS > USAGE_HOURS_SHOWN ? USAGE_DAYS : USAGE_HOURS_SHOWN];
	uint32_t h0 = daycal_hour(q->now) - (USAGE_HOURS_SHOWN - 1);
	size_t n = (size_t)(q->to - q->from + 1);
	yajl_gen g = q->g;

	if (q->kind != USAGE_ALL) {
		usagedb_days(q->db, mac, q->kind, q->id, q->from, n, t);
		json_key(g, "days");
		yajl_gen_array_open(g);
		for (size_t i = 0; i < n; i++) {
			yajl_gen_map_open(g);
			kv_day(g, "day", q->from + (int32_t)i);
			totals_json(g, "totals", &t[i]);
			yajl_gen_map_close(g);
		}
		yajl_gen_array_close(g);
	}
	if (!q->hours)
		return;
	usagedb_hours(q->db, mac, q->kind, q->id, h0, USAGE_HOURS_SHOWN, t);
	json_key(g, "hours");
	yajl_gen_array_open(g);
	for (size_t i = 0; i < USAGE_HOURS_SHOWN; i++) {
		yajl_gen_map_open(g);
		json_kv_int(g, "start", (long long)daycal_hour_start(h0 + (uint32_t)i) * 1000);
		totals_json(g, "totals", &t[i]);
		yajl_gen_map_close(g);
	}
	yajl_gen_array_close(g);
}

static void devices_json(struct usage_query *q)
{
	yajl_gen g = q->g;

	usagedb_devices(q->db, q->from, q->to, collect_device, q);
	qsort(q->rows, q->n_rows, sizeof(q->rows[0]), by_bytes);
	json_key(g, "devices");
	yajl_gen_array_open(g);
	for (size_t i = 0; i < q->n_rows; i++) {
		const uint8_t *mac = q->rows[i].mac;
		struct usage_totals t = q->rows[i].t;

		if (q->kind != USAGE_ALL &&
		    usagedb_range(q->db, mac, q->kind, q->id, q->from, q->to, &t) < 0)
			continue;	/* not this device's application */
		yajl_gen_map_open(g);
		json_kv_mac(g, "mac", mac);
		json_kv_null(g, "name", policy_device_name(q->p, mac, 0, zero_mac));
		totals_json(g, "totals", &t);
		if (q->kind == USAGE_ALL) {
			top_list(q, mac, USAGE_APP, "apps");
			top_list(q, mac, USAGE_CATEGORY, "categories");
		}
		series(q, mac);
		yajl_gen_map_close(g);
	}
	yajl_gen_array_close(g);
}

struct limits_walk {
	yajl_gen g;
	const struct policy *p;
	size_t n;
};

static void limit_json(void *ctx, const struct ulimit_status *st)
{
	struct limits_walk *lw = ctx;
	const struct policy_rule *r = policy_rule_find_limit(lw->p, st->key);

	/* a per-device limit nobody used yet: its devices are listed below */
	if (st->per_device && !memcmp(st->mac, zero_mac, 6) && r && r->mac_set.n)
		return;
	if (lw->n++ >= USAGE_REPLY_LIMITS)
		return;
	yajl_gen_map_open(lw->g);
	limit_members(lw->g, st, &names);
	yajl_gen_map_close(lw->g);
}

/* Every budget used today, every limit not used yet, and the devices a
 * per-device limit names that have not used it yet. */
static void limits_json(struct usage_query *q)
{
	struct ulimits *l = usage_limits(q->d->usage);
	struct limits_walk lw = { q->g, q->p, 0 };
	struct ulimit_status st;

	json_key(q->g, "limits");
	yajl_gen_array_open(q->g);
	ulimits_foreach(l, q->now, limit_json, &lw);
	for (size_t i = 0; i < q->p->n_rules; i++) {
		const struct policy_rule *r = &q->p->rules[i];

		if (!r->limit_key || !r->enabled || r->limit_per != POLICY_LIMIT_PER_DEVICE)
			continue;
		for (size_t j = 0; j < r->mac_set.n; j++)
			if (ulimits_status(l, r->limit_key, r->mac_set.v[j], q->now, &st) == 0 && !st.used_min &&
			    !st.used_bytes && !st.reached)
				limit_json(&lw, &st);
	}
	yajl_gen_array_close(q->g);
}

/* The devices a "device" argument names: a MAC, or a config device. */
static int query_devices(struct usage_query *q, const char *dev, uint8_t *one, char *err, size_t errlen)
{
	if (!dev)
		return 0;
	if (policy_parse_mac(dev, one) == 0) {
		q->macs = (const uint8_t (*)[6])one;
		q->n_macs = 1;
		return 0;
	}
	for (size_t i = 0; i < q->p->n_devices; i++)
		if (!strcmp(q->p->devices[i].name, dev)) {
			q->macs = (const uint8_t (*)[6])q->p->devices[i].macs.v;
			q->n_macs = q->p->devices[i].macs.n;
			return 0;
		}
	snprintf(err, errlen, "unknown device '%.64s' (a device name of the configuration, or a MAC address)", dev);
	return -1;
}

static int query_parse(struct usage_query *q, const struct control_args *a, uint8_t *one, char *err,
		       size_t errlen)
{
	q->kind = USAGE_ALL;
	if (a->app && a->category) {
		snprintf(err, errlen, "app or category, not both");
		return -1;
	}
	if (a->app && !strcmp(a->app, "unknown")) {
		q->kind = USAGE_APP;
		q->id = -1;
	} else if (a->app && (q->id = apps_find_tag(q->apps, a->app)) >= 0) {
		q->kind = USAGE_APP;
	} else if (a->app) {
		snprintf(err, errlen, "unknown app '%.64s'", a->app);
		return -1;
	}
	if (a->category && (q->id = apps_category_find(q->apps, a->category)) < 0) {
		snprintf(err, errlen, "unknown category '%.64s'", a->category);
		return -1;
	}
	if (a->category)
		q->kind = USAGE_CATEGORY;
	/* an application's or category's history: the days kept; else today */
	q->to = q->today;
	q->from = q->kind == USAGE_ALL ? q->today : q->today - (USAGE_DAYS - 1);
	if (a->from && parse_day(a->from, &q->from) < 0) {
		snprintf(err, errlen, "bad day '%.32s' (want YYYY-MM-DD)", a->from);
		return -1;
	}
	if (a->to && parse_day(a->to, &q->to) < 0) {
		snprintf(err, errlen, "bad day '%.32s' (want YYYY-MM-DD)", a->to);
		return -1;
	}
	if (a->from && !a->to)
		q->to = q->today;
	if (q->from > q->to || q->to - q->from >= USAGE_DAYS) {
		snprintf(err, errlen, "from..to must be 1 to %d days, from not after to", USAGE_DAYS);
		return -1;
	}
	q->hours = a->hours > 0;
	return query_devices(q, a->device, one, err, errlen);
}

int daemon_ctl_usage(void *ctx, const struct control_args *a, yajl_gen g, char *err, size_t errlen)
{
	struct daemon_ctx *d = ctx;
	struct usage_query q = { .d = d, .g = g };
	uint8_t one[6];
	char reset[24];
	int ret = -1;

	if (!d->usage) {
		snprintf(err, errlen, "usage accounting is off");
		return -1;
	}
	q.rows = calloc(USAGE_REPLY_DEVICES, sizeof(*q.rows));
	q.top = calloc(USAGE_REPLY_ROWS, sizeof(*q.top));
	if (!q.rows || !q.top) {
		snprintf(err, errlen, "out of memory");
		goto out_free;
	}
	daemon_ctl_lock(d);	/* before the usage lock: names of apps and devices */
	usage_lock(d->usage);
	q.db = usage_db(d->usage);
	q.p = d->cfg->policy;
	q.apps = d->cfg->apps;
	q.now = usage_now(d->usage);
	q.today = usagedb_day(q.db, q.now);
	if (query_parse(&q, a, one, err, errlen) == 0) {
		kv_day(g, "day", q.today);
		json_kv_int(g, "day_start", (long long)usagedb_day_start(q.db, q.today) * 1000);
		json_kv_int(g, "day_end", (long long)usagedb_day_start(q.db, q.today + 1) * 1000);
		snprintf(reset, sizeof(reset), "%02d:%02d", d->main.reset_time / 60, d->main.reset_time % 60);
		json_kv_str(g, "reset_time", reset);
		json_kv_int(g, "now", (long long)q.now * 1000);
		kv_day(g, "from", q.from);
		kv_day(g, "to", q.to);
		devices_json(&q);
		limits_json(&q);
		ret = 0;
	}
	usage_unlock(d->usage);
	daemon_ctl_unlock(d);
out_free:
	free(q.rows);
	free(q.top);
	return ret;
}
