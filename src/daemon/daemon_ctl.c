/* The daemon's answers on the monitor and control sockets, and its
 * counters in the log. Runs on the monitor's io thread (or the main thread
 * for the log): every read of a worker's state holds that worker's lock,
 * every read of the configuration holds cfg_lock. */
/* strptime; not _GNU_SOURCE, which makes pthread.h want sched.h (ours is src/sched.h) */
#define _XOPEN_SOURCE 700
#define _DEFAULT_SOURCE
#include "config.h"

#include <errno.h>
#include <grp.h>
#include <netinet/in.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <time.h>

#include "apps.h"
#include "control.h"
#include "daemon_int.h"
#include "dnscache.h"
#include "flowcap.h"
#include "flowevent.h"
#include "json.h"
#include "log.h"
#include "monitor.h"
#include "nfq.h"
#include "nfqstat.h"
#include "util.h"

void daemon_ctl_lock(struct daemon_ctx *d)
{
	pthread_mutex_lock(&d->cfg_lock);
}

void daemon_ctl_unlock(struct daemon_ctx *d)
{
	pthread_mutex_unlock(&d->cfg_lock);
}

/* ---- status --------------------------------------------------------- */

static void status_queue(yajl_gen g, struct worker *w, const struct nfqstat_queue *k, unsigned int nk)
{
	const struct nfqueue_stats *s = nfqueue_stats(w->q);
	uint64_t fail_open = 0;
	unsigned int i;

	for (i = 0; i < nk; i++)
		if (k[i].queue == w->queue)
			fail_open = k[i].dropped + k[i].user_dropped;
	yajl_gen_map_open(g);
	json_kv_int(g, "queue", w->queue);
	json_kv_int(g, "packets", (long long)s->packets);
	json_kv_int(g, "verdicts", (long long)s->verdicts);
	json_kv_int(g, "verdict_msgs", (long long)s->verdict_msgs);
	json_kv_int(g, "batched", (long long)s->batched);
	json_kv_int(g, "dropped", (long long)s->dropped);
	json_kv_int(g, "fail_open", (long long)fail_open);
	json_kv_int(g, "enobufs", (long long)s->enobufs);
	json_kv_int(g, "latency_p50_ns", (long long)nfqueue_lat_percentile(s->lat, 0.50));
	json_kv_int(g, "latency_p99_ns", (long long)nfqueue_lat_percentile(s->lat, 0.99));
	json_kv_int(g, "flows_blocked", (long long)w->v.st.flows_blocked);
	json_kv_int(g, "flows_released", (long long)w->v.st.flows_released);
	json_kv_int(g, "flows_qos", (long long)w->v.st.flows_qos);
	json_kv_int(g, "block_set_adds", (long long)w->v.st.block_set_adds);
	json_kv_int(g, "block_set_shared", (long long)w->v.st.block_set_shared);
	json_kv_int(g, "block_set_withdrawn", (long long)w->v.st.block_set_withdrawn);
	json_kv_int(g, "ct_updates", (long long)w->v.st.ct_updates);
	json_kv_int(g, "ct_errors", (long long)w->v.st.ct_errors);
	json_kv_int(g, "flows_not_inspected", (long long)engine_stats(w->e)->dpi_full);
	json_kv_int(g, "flows_evicted", (long long)engine_flow_stats(w->e)->evictions);
	yajl_gen_map_close(g);
}

/* What the bounds did, summed over the queues: flows left uninspected
 * because every inspection slot was taken (or no memory for one), flows
 * dropped from a full table to make room, flows inspected without netify's
 * own text (DNS answers, HTTP request, QUIC SNI) for want of a place. Then the sizes in effect, per
 * queue (UCI's or derived from RAM at start, sizing.c). */
struct status_bounds {
	uint64_t not_inspected, inspect_nomem, evicted, evicted_inspecting, no_text;
};

static void status_bounds_add(struct status_bounds *b, struct engine *e)
{
	const struct engine_stats *es = engine_stats(e);
	const struct flow_stats *fs = engine_flow_stats(e);

	b->not_inspected += es->dpi_full;
	b->inspect_nomem += es->dpi_alloc_fail;
	b->evicted += fs->evictions;
	b->evicted_inspecting += fs->evict_inspecting;
	b->no_text += es->text_full;
}

static void status_bounds(struct daemon_ctx *d, yajl_gen g, const struct status_bounds *b)
{
	unsigned int share = d->main.dpi_share > 1 ? d->main.dpi_share : 1;

	if (share > d->n_workers)	/* queues per nDPI module, as run */
		share = d->n_workers ? d->n_workers : 1;
	json_kv_int(g, "flows_not_inspected", (long long)b->not_inspected);
	json_kv_int(g, "flows_not_inspected_nomem", (long long)b->inspect_nomem);
	json_kv_int(g, "flows_evicted", (long long)b->evicted);
	json_kv_int(g, "flows_evicted_inspecting", (long long)b->evicted_inspecting);
	json_kv_int(g, "flows_without_text", (long long)b->no_text);
	json_key(g, "tables");
	yajl_gen_map_open(g);
	json_kv_int(g, "flow_table_size", d->main.flow_table_size);
	json_kv_int(g, "inspect_slots", d->main.inspect_slots);
	json_kv_int(g, "dns_cache_size", d->main.dns_cache_size);
	json_kv_int(g, "dpi_share", share);
	json_kv_int(g, "dpi_modules", (d->n_workers + share - 1) / share);
	yajl_gen_map_close(g);
}

/* The "capture_unknown" member, summed over workers. */
static void status_capture(struct daemon_ctx *d, yajl_gen g)
{
	struct flowcap_stats sum = { 0 }, st;
	unsigned int i;

	if (!d->w[0].cap)
		return;
	for (i = 0; i < d->n_workers; i++) {
		pthread_mutex_lock(&d->w[i].lock);
		flowcap_stats(d->w[i].cap, &st);
		pthread_mutex_unlock(&d->w[i].lock);
		sum.slots += st.slots;
		sum.in_use += st.in_use;
		sum.pool_empty += st.pool_empty;
		sum.packets += st.packets;
		sum.handed += st.handed;
		sum.refused += st.refused;
	}
	json_key(g, "capture_unknown");
	yajl_gen_map_open(g);
	json_kv_int(g, "slots", (long long)sum.slots);
	json_kv_int(g, "in_use", (long long)sum.in_use);
	json_kv_int(g, "pool_empty", (long long)sum.pool_empty);
	json_kv_int(g, "packets", (long long)sum.packets);
	json_kv_int(g, "flows", (long long)sum.handed);
	json_kv_int(g, "refused", (long long)sum.refused);
	yajl_gen_map_close(g);
}

static void status_members(struct daemon_ctx *d, yajl_gen g)
{
	struct nfqstat_queue k[DAEMON_WORKERS_MAX];
	int nk = nfqstat_read(NULL, k, DAEMON_WORKERS_MAX);
	uint64_t flows = 0, dns = 0;
	struct status_bounds b = { 0 };
	struct dnscache_stats ds;
	unsigned int i;

	json_kv_str(g, "version", PACKAGE_VERSION);
	json_kv_int(g, "uptime", (long long)((util_wall_ms() - d->start_ms) / 1000));
	json_key(g, "queues");
	yajl_gen_array_open(g);
	for (i = 0; i < d->n_workers; i++) {
		struct worker *w = &d->w[i];

		pthread_mutex_lock(&w->lock);
		flows += engine_flow_stats(w->e)->active;
		status_bounds_add(&b, w->e);
		if (engine_dnscache(w->e)) {
			dnscache_get_stats(engine_dnscache(w->e), &ds);
			dns += ds.entries;
		}
		if (w->q)
			status_queue(g, w, k, nk > 0 ? (unsigned int)nk : 0);
		pthread_mutex_unlock(&w->lock);
	}
	yajl_gen_array_close(g);
	json_kv_int(g, "flows", (long long)flows);
	json_kv_int(g, "dns_cache", (long long)dns);
	status_bounds(d, g, &b);
	daemon_ctl_lock(d);
	json_kv_int(g, "apps", (long long)apps_count(d->cfg->apps));
	json_kv_int(g, "rules", (long long)d->cfg->policy->n_rules);
	daemon_ctl_unlock(d);
	if (d->mon) {
		struct monitor_stats ms;

		monitor_stats(d->mon, &ms);
		json_kv_int(g, "clients", (long long)ms.clients);
		if (d->main.json_save_dir)
			json_kv_int(g, "json_save_errors", (long long)ms.json_save_errors);
	}
	status_capture(d, g);
	json_kv_bool(g, "flow_offloading", d->offload);
	json_kv_str(g, "queue_backend", nft_backend_name(d->nftcfg.backend));
	json_kv_int(g, "reloads", (long long)d->reloads);
	json_kv_int(g, "reload_errors", (long long)d->reload_errors);
	daemon_usage_status(d, g);
	daemon_export_status(d, g);
}

/* The local side's MAC: NFQUEUE's hardware address, else the capture's. */
static const uint8_t *local_mac(const struct flow *f, const struct flowstate *fs, uint8_t l)
{
	if (fs && fs->has_mac)
		return fs->mac;
	return f->has_mac ? f->mac[l] : NULL;
}

/* ---- flows ----------------------------------------------------------
 *
 * The flow list is a walk in steps over every worker's table: a step
 * copies at most FLOWS_STEP_ROWS flows under the worker's lock, which the
 * packet path waits on, and writes them out after letting it go. cfg_lock
 * is held for one step at a time, so the names the rows point at (the
 * policy's, the catalog's, nDPI's) stay alive while they are written, and
 * a reload is never held up by a client that reads slowly. The control
 * reply is sent a part at a time while the walk goes on. */

#define FLOWS_STEP_SLOTS	4096u		/* table slots looked at per step */
#define FLOWS_STEP_ROWS		256u		/* flows copied per step */
#define FLOWS_PART_BYTES	(64u * 1024u)	/* reply written per part */

struct flow_row {
	struct flow_key key;
	uint8_t l;
	bool has_mac, released;
	uint8_t mac[6];
	const char *proto, *app, *label;
	struct flowevent_outcome out;
	uint64_t first_seen, last_seen;
	char host[FLOW_HOST_MAX];
};

struct flows_walk {
	struct daemon_ctx *d;
	struct worker *w;
	const struct control_args *a;
	unsigned int worker;	/* where the walk is */
	uint32_t pos;
	unsigned int n;		/* rows of this step */
	struct flow_row rows[FLOWS_STEP_ROWS];
};

static bool ctl_flow_wanted(const struct flows_walk *fw, const char *dev, const char *app, bool blocked)
{
	if (!fw->a)
		return true;
	if (fw->a->device && (!dev || strcmp(fw->a->device, dev)))
		return false;
	if (fw->a->app && (!app || strcasecmp(fw->a->app, app)))
		return false;
	return fw->a->blocked < 0 || blocked == (fw->a->blocked != 0);
}

/* Under the worker's lock: a wanted flow becomes a row. */
static int ctl_flow_take(void *user, struct flow *f)
{
	struct flows_walk *fw = user;
	struct engine *e = fw->w->e;
	const struct flowstate *fs = f->user;
	uint8_t l = engine_local_side(e, f);
	const char *app = engine_app_tag(e, f);
	const uint8_t *lm = local_mac(f, fs, l);
	const struct apps_app *aa = f->app_id >= 0 ? apps_get(fw->d->cfg->apps, f->app_id) : NULL;
	struct flow_row *r = &fw->rows[fw->n];

	worker_outcome(fw->w, fw->d->cfg->policy, f, fs, &r->out);
	if (!ctl_flow_wanted(fw, r->out.device, app, r->out.blocked))
		return 0;
	r->key = f->key;
	r->l = l;
	r->has_mac = lm != NULL;
	if (lm)
		memcpy(r->mac, lm, 6);
	r->proto = engine_proto_name(e, f->proto_master);
	r->app = app;
	r->label = aa ? aa->label : NULL;
	r->released = fs && (fs->bits & fw->d->marks.released);
	r->first_seen = f->first_seen;
	r->last_seen = f->last_seen;
	memcpy(r->host, f->host, sizeof(r->host));
	r->host[sizeof(r->host) - 1] = '\0';
	return ++fw->n == FLOWS_STEP_ROWS;
}

static void ctl_flow_json(yajl_gen g, const struct flow_row *r)
{
	uint8_t l = r->l, o = (uint8_t)!l;

	yajl_gen_map_open(g);
	if (r->has_mac)
		json_kv_mac(g, "local_mac", r->mac);
	json_kv_ip(g, "local_ip", r->key.family, r->key.addr[l]);
	json_kv_int(g, "local_port", r->key.port[l]);
	json_kv_ip(g, "other_ip", r->key.family, r->key.addr[o]);
	json_kv_int(g, "other_port", r->key.port[o]);
	json_kv_int(g, "ip_protocol", r->key.proto);
	json_kv_str(g, "detected_protocol_name", r->proto);
	json_kv_str(g, "detected_application_name", r->app ? r->app : "unknown");
	json_kv_str(g, "app_label", r->label);
	json_kv_str(g, "host_server_name", r->host[0] ? r->host : NULL);
	json_kv_str(g, "device", r->out.device);
	json_kv_str(g, "rule", r->out.rule);
	json_kv_str(g, "action", r->out.action);
	json_kv_str(g, "class", r->out.class_name);
	json_kv_bool(g, "released", r->released);
	json_kv_int(g, "first_seen_at", (long long)r->first_seen);
	json_kv_int(g, "last_seen_at", (long long)r->last_seen);
	yajl_gen_map_close(g);
}

/* One step of the walk, its rows written into g; false once it is done. */
static bool flows_step(struct flows_walk *fw, yajl_gen g)
{
	unsigned int i;
	int more;

	if (fw->worker >= fw->d->n_workers)
		return false;
	fw->w = &fw->d->w[fw->worker];
	fw->n = 0;
	daemon_ctl_lock(fw->d);
	pthread_mutex_lock(&fw->w->lock);
	more = engine_foreach_flow_step(fw->w->e, &fw->pos, FLOWS_STEP_SLOTS, ctl_flow_take, fw);
	pthread_mutex_unlock(&fw->w->lock);
	for (i = 0; i < fw->n; i++)
		ctl_flow_json(g, &fw->rows[i]);
	daemon_ctl_unlock(fw->d);
	if (!more) {
		fw->worker++;
		fw->pos = 0;
	}
	return true;
}

/* One map per flow, into an array the caller opened (json_save). */
static void flows_items(struct daemon_ctx *d, const struct control_args *a, yajl_gen g)
{
	struct flows_walk *fw = calloc(1, sizeof(*fw));

	if (!fw)
		return;
	fw->d = d;
	fw->a = a;
	while (flows_step(fw, g))
		;
	free(fw);
}

/* ---- apps ----------------------------------------------------------- */

static void ctl_apps_categories(const struct apps_db *db, yajl_gen g)
{
	size_t i;

	json_key(g, "categories");
	yajl_gen_array_open(g);
	for (i = 0; i < apps_category_count(db); i++) {
		const struct apps_category *c = apps_category_at(db, i);

		yajl_gen_map_open(g);
		json_kv_str(g, "tag", c->tag);
		json_kv_str(g, "label", c->label);
		yajl_gen_map_close(g);
	}
	yajl_gen_array_close(g);
}

static void ctl_apps_list(const struct apps_db *db, const char *key, const char *category, yajl_gen g)
{
	int cat = category ? apps_category_find(db, category) : -1;
	size_t i;

	json_key(g, key);
	yajl_gen_array_open(g);
	for (i = 0; i < apps_count(db); i++) {
		const struct apps_app *a = apps_at(db, i);
		const struct apps_category *c = a->category >= 0 ? apps_category_at(db, (size_t)a->category) : NULL;

		if ((category && a->category != cat) || a->id < 1)
			continue;
		yajl_gen_map_open(g);
		json_kv_int(g, "id", a->id);
		json_kv_str(g, "tag", a->tag);
		json_kv_str(g, "label", a->label);
		json_kv_str(g, "category", c ? c->tag : NULL);
		yajl_gen_map_close(g);
	}
	yajl_gen_array_close(g);
}

/* nDPI's protocol names by id; ids past the last known one read "Unknown". */
static void protocols_list(struct worker *w, yajl_gen g)
{
	unsigned int id;

	json_key(g, "protocols");
	yajl_gen_array_open(g);
	pthread_mutex_lock(&w->lock);
	for (id = 0; id < 1024; id++) {
		const char *name = engine_proto_name(w->e, (uint16_t)id);

		if (id && (!name || !*name || !strcmp(name, "Unknown")))
			continue;
		yajl_gen_map_open(g);
		json_kv_int(g, "id", id);
		json_kv_str(g, "name", name && *name ? name : "Unknown");
		yajl_gen_map_close(g);
	}
	pthread_mutex_unlock(&w->lock);
	yajl_gen_array_close(g);
}

/* ---- devices ------------------------------------------------------- */

#define DEVICES_MAX 1024	/* devices listed in one reply */

struct device_row {
	uint8_t mac[6];
	bool has_mac;
	int family;
	uint8_t addr[16];
	const char *name;
	unsigned int flows;
};

/* The walk copies each flow's local side in steps, as the flow list does,
 * and counts devices after letting the worker's lock go. */
struct devices_walk {
	struct daemon_ctx *d;
	struct worker *w;
	struct device_row *rows;
	unsigned int n;
	struct device_row seen[FLOWS_STEP_ROWS];
	unsigned int n_seen;
};

static int device_take(void *user, struct flow *f)
{
	struct devices_walk *dw = user;
	const struct flowstate *fs = f->user;
	uint8_t l = engine_local_side(dw->w->e, f);
	const uint8_t *mac = local_mac(f, fs, l);
	struct device_row *r = &dw->seen[dw->n_seen];

	r->has_mac = mac != NULL;
	if (mac)
		memcpy(r->mac, mac, 6);
	r->family = f->key.family;
	memcpy(r->addr, f->key.addr[l], 16);
	return ++dw->n_seen == FLOWS_STEP_ROWS;
}

/* One row per local device, by MAC when known, else by address. */
static void device_count(struct devices_walk *dw, const struct device_row *s)
{
	unsigned int i;

	for (i = 0; i < dw->n; i++) {
		struct device_row *r = &dw->rows[i];

		if (s->has_mac ? r->has_mac && !memcmp(r->mac, s->mac, 6)
			       : !r->has_mac && r->family == s->family && !memcmp(r->addr, s->addr, 16)) {
			r->flows++;
			return;
		}
	}
	if (dw->n == DEVICES_MAX)
		return;
	dw->rows[dw->n] = *s;
	dw->rows[dw->n].flows = 1;
	dw->rows[dw->n].name = policy_device_name(dw->d->cfg->policy, s->has_mac ? s->mac : NULL,
						  s->family == 4 ? AF_INET : AF_INET6, s->addr);
	dw->n++;
}

static void device_json(yajl_gen g, const struct device_row *r)
{
	yajl_gen_map_open(g);
	if (r->has_mac)
		json_kv_mac(g, "mac", r->mac);
	json_kv_ip(g, "ip", r->family, r->addr);
	json_kv_null(g, "name", r->name);
	json_kv_int(g, "flows", r->flows);
	yajl_gen_map_close(g);
}

static int ctl_devices(void *ctx, const struct control_args *a, yajl_gen g, char *err, size_t errlen)
{
	struct devices_walk *dw = calloc(1, sizeof(*dw));
	unsigned int i, k;
	uint32_t pos;
	int more;

	if (!dw || !(dw->rows = calloc(DEVICES_MAX, sizeof(struct device_row)))) {
		free(dw);
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	dw->d = ctx;
	daemon_ctl_lock(dw->d);
	for (i = 0; i < dw->d->n_workers; i++) {
		dw->w = &dw->d->w[i];
		pos = 0;
		do {
			dw->n_seen = 0;
			pthread_mutex_lock(&dw->w->lock);
			more = engine_foreach_flow_step(dw->w->e, &pos, FLOWS_STEP_SLOTS, device_take, dw);
			pthread_mutex_unlock(&dw->w->lock);
			for (k = 0; k < dw->n_seen; k++)
				device_count(dw, &dw->seen[k]);
		} while (more);
	}
	json_key(g, "devices");
	yajl_gen_array_open(g);
	for (i = 0; i < dw->n; i++)
		device_json(g, &dw->rows[i]);
	yajl_gen_array_close(g);
	daemon_ctl_unlock(dw->d);
	free(dw->rows);
	free(dw);
	return 0;
}

/* ---- policy test and app lookup ------------------------------------- */

/* "YYYY-MM-DD hh:mm[:ss]" local time; NULL means now. */
static int parse_at(const char *at, time_t *t)
{
	struct tm tm = { 0 };
	const char *end;

	*t = time(NULL);
	if (!at)
		return 0;
	end = strptime(at, "%Y-%m-%d %H:%M", &tm);
	if (end && *end == ':')
		end = strptime(end + 1, "%S", &tm);
	if (!end || *end)
		return -1;
	tm.tm_isdst = -1;
	*t = mktime(&tm);
	return 0;
}

static int test_input(struct daemon_ctx *d, const struct control_args *a, struct policy_input *in,
		      char *err, size_t errlen)
{
	struct policy_cidr c;
	const struct apps_app *app;

	policy_input_init(in);
	if (a->mac) {
		if (policy_parse_mac(a->mac, in->mac)) {
			snprintf(err, errlen, "bad mac '%s'", a->mac);
			return -1;
		}
		in->has_mac = true;
	}
	if (a->ip) {
		if (policy_parse_cidr(a->ip, &c)) {
			snprintf(err, errlen, "bad ip '%s'", a->ip);
			return -1;
		}
		in->family = c.family;
		memcpy(in->addr, c.addr, 16);
	}
	if (a->app && (in->app_id = apps_find_tag(d->cfg->apps, a->app)) < 0) {
		snprintf(err, errlen, "unknown app '%s'", a->app);
		return -1;
	}
	if (in->app_id >= 0 && (app = apps_get(d->cfg->apps, in->app_id)))
		in->category_id = app->category;
	return 0;
}

static int ctl_policy_test(void *ctx, const struct control_args *a, yajl_gen g, char *err, size_t errlen)
{
	struct daemon_ctx *d = ctx;
	const struct policy_rule *r, *off;
	struct policy_input in;
	int index = -1, off_index = -1, ret = -1;
	char reason[512];	/* two sentences and a rule name */
	time_t at;

	if (parse_at(a->at, &at)) {
		snprintf(err, errlen, "bad time '%s' (want 'YYYY-MM-DD hh:mm')", a->at);
		return -1;
	}
	daemon_ctl_lock(d);
	if (test_input(d, a, &in, err, errlen))
		goto out_unlock;
	daemon_usage_policy_test(d, &in, at, -1, NULL);
	r = policy_match(d->cfg->policy, &in, at, &index);
	/* the first rule for this device and traffic at any time: when it
	 * comes before the verdict, its schedule is what kept it out */
	off = policy_match_ex(d->cfg->policy, &in, at, POLICY_MATCH_IGNORE_SCHEDULE, &off_index,
			      NULL, 0, NULL);
	if (off && r && off_index >= index)
		off = NULL;
	if (!off)
		off_index = -1;
	if (r && off)
		snprintf(reason, sizeof(reason), "first matching rule (running policy); rule '%s' "
			 "before it is outside its schedule then", policy_rule_name(off));
	else if (r)
		snprintf(reason, sizeof(reason), "first matching rule (running policy)");
	else if (off)
		snprintf(reason, sizeof(reason), "rule '%s' matches but is outside its schedule "
			 "then; no rule applies: allowed", policy_rule_name(off));
	else
		snprintf(reason, sizeof(reason), "no rule matches: allowed");
	json_kv_null(g, "rule", r ? policy_rule_name(r) : NULL);
	json_kv_int(g, "index", index);
	json_kv_str(g, "action", r ? policy_action_name(policy_rule_action(r)) : "none");
	json_kv_null(g, "class", r && policy_rule_class(r) ? policy_rule_class(r)->name : NULL);
	json_kv_bool(g, "active", r != NULL);
	json_kv_null(g, "inactive_rule", off ? policy_rule_name(off) : NULL);
	json_kv_int(g, "inactive_index", off_index);
	json_kv_str(g, "reason", reason);
	daemon_usage_policy_test(d, &in, at, index, g);
	ret = 0;
out_unlock:
	daemon_ctl_unlock(d);
	return ret;
}

static int ctl_apps_lookup(void *ctx, const struct control_args *a, yajl_gen g, char *err, size_t errlen)
{
	struct daemon_ctx *d = ctx;
	const struct apps_app *app;
	struct apps_match m;
	struct policy_cidr c;
	int id = -1;

	if (!a->host && !a->ip) {
		snprintf(err, errlen, "host or ip required");
		return -1;
	}
	if (a->ip && policy_parse_cidr(a->ip, &c)) {
		snprintf(err, errlen, "bad ip '%s'", a->ip);
		return -1;
	}
	memset(&m, 0, sizeof(m));
	daemon_ctl_lock(d);
	if (a->host)
		id = apps_explain_host(d->cfg->apps, a->host, &m);
	if (id < 0 && a->ip)
		id = apps_explain_addr(d->cfg->apps, c.family, c.addr, &m);
	app = id >= 0 ? apps_get(d->cfg->apps, id) : NULL;
	json_kv_null(g, "host", a->host);
	json_kv_null(g, "ip", a->ip);
	json_kv_null(g, "app", app ? app->tag : NULL);
	json_kv_null(g, "label", app ? app->label : NULL);
	json_kv_null(g, "rule", app ? m.rule : NULL);
	daemon_ctl_unlock(d);
	return 0;
}

/* ---- control callbacks ---------------------------------------------- */

static int ctl_status(void *ctx, const struct control_args *a, yajl_gen g, char *err, size_t errlen)
{
	status_members(ctx, g);
	return 0;
}

/* The flows reply, a step of the walk after another until a part is
 * FLOWS_PART_BYTES long. */
static int ctl_flows(void *ctx, const struct control_args *a, void **cursor, yajl_gen g, char *err,
		     size_t errlen)
{
	struct flows_walk *fw = *cursor;
	const unsigned char *buf;
	size_t len = 0;

	if (!fw) {
		if (!(fw = *cursor = calloc(1, sizeof(*fw)))) {
			snprintf(err, errlen, "out of memory");
			return -1;
		}
		fw->d = ctx;
		json_key(g, "flows");
		yajl_gen_array_open(g);
	}
	fw->a = a;
	while (len < FLOWS_PART_BYTES && flows_step(fw, g))
		yajl_gen_get_buf(g, &buf, &len);
	if (fw->worker < fw->d->n_workers)
		return CONTROL_MORE;
	yajl_gen_array_close(g);
	return CONTROL_DONE;
}

static void ctl_reload_list(yajl_gen g, const char *key, const struct policy_errors *l,
			    const char *more)
{
	unsigned int i;
	char buf[64];

	json_key(g, key);
	yajl_gen_array_open(g);
	for (i = 0; i < l->count; i++)
		json_cstr(g, l->msg[i]);
	if (l->dropped) {
		snprintf(buf, sizeof(buf), "... and %u more %s", l->dropped, more);
		json_cstr(g, buf);
	}
	yajl_gen_array_close(g);
}

/* The reload's answer once the main thread has tried it: it asks, then
 * waits for a reload that began after the request. */
static int ctl_reload(void *ctx, const struct control_args *a, void **cursor, yajl_gen g, char *err,
		      size_t errlen)
{
	struct daemon_ctx *d = ctx;
	unsigned int *req = *cursor;
	const struct reload_report *rep;

	if (!req) {
		if (!(req = *cursor = malloc(sizeof(*req)))) {
			snprintf(err, errlen, "out of memory");
			return -1;
		}
		*req = __atomic_add_fetch(&d->reload_req, 1, __ATOMIC_ACQ_REL);
		return CONTROL_WAIT;
	}
	daemon_ctl_lock(d);
	if ((int)(d->reload_done - *req) < 0) {
		daemon_ctl_unlock(d);
		return CONTROL_WAIT;
	}
	rep = d->reload_last;
	json_kv_bool(g, "reload", rep && rep->ok);
	if (rep && !rep->ok)
		ctl_reload_list(g, "errors", &rep->errors, "errors");
	if (!rep) {
		json_key(g, "errors");
		yajl_gen_array_open(g);
		json_cstr(g, "out of memory");
		yajl_gen_array_close(g);
	}
	if (rep && (rep->warnings.count || rep->warnings.dropped))
		ctl_reload_list(g, "warnings", &rep->warnings, "warnings");
	daemon_ctl_unlock(d);
	return CONTROL_DONE;
}

static void ctl_cursor_free(void *ctx, void *cursor)
{
	free(cursor);
}

static int ctl_apps(void *ctx, const struct control_args *a, yajl_gen g, char *err, size_t errlen)
{
	struct daemon_ctx *d = ctx;

	daemon_ctl_lock(d);
	ctl_apps_categories(d->cfg->apps, g);
	ctl_apps_list(d->cfg->apps, "apps", a->category, g);
	daemon_ctl_unlock(d);
	return 0;
}

/* ---- monitor callbacks ---------------------------------------------- */

static void ctl_mon_status(void *ctx, yajl_gen g)
{
	status_members(ctx, g);
}

/* json_save's flows.json: the monitor has opened the "flows" array */
static void ctl_mon_flows(void *ctx, yajl_gen g)
{
	flows_items(ctx, NULL, g);
}

static void ctl_mon_definitions(void *ctx, yajl_gen g)
{
	struct daemon_ctx *d = ctx;

	protocols_list(&d->w[0], g);
	daemon_ctl_lock(d);
	ctl_apps_list(d->cfg->apps, "applications", NULL, g);
	ctl_apps_categories(d->cfg->apps, g);
	daemon_ctl_unlock(d);
}

/* The directory of an optional file feature, made if missing (one level,
 * like /var/run/netify under tmpfs after a reboot). A directory that cannot
 * be made leaves the feature on: every failed write is then counted in
 * json_save_errors or captures_skipped, and the log says why once. */
static const char *ctl_dir_ready(const char *opt, const char *dir)
{
	if (!dir)
		return NULL;
	if (mkdir(dir, 0750) < 0 && errno != EEXIST)
		log_msg(LOG_WARNING, "%s '%s': %s", opt, dir, strerror(errno));
	return dir;
}

int daemon_ctl_start(struct daemon_ctx *d)
{
	static const struct monitor_ops mops = { ctl_mon_definitions, ctl_mon_status, ctl_mon_flows };
	struct control_ops cops = { .fn = {
		[CONTROL_STATUS] = ctl_status,
		[CONTROL_APPS] = ctl_apps, [CONTROL_DEVICES] = ctl_devices,
		[CONTROL_APPS_LOOKUP] = ctl_apps_lookup, [CONTROL_POLICY_TEST] = ctl_policy_test,
		[CONTROL_USAGE] = daemon_ctl_usage },
		.part = { [CONTROL_FLOWS] = ctl_flows, [CONTROL_RELOAD] = ctl_reload },
		.cursor_free = ctl_cursor_free };
	struct monitor_cfg mc;
	size_t i;

	if (!(d->ctl = control_new(&cops, d)))
		return -1;
	monitor_cfg_defaults(&mc);
	mc.unix_path = d->main.monitor_socket && *d->main.monitor_socket ? d->main.monitor_socket : NULL;
	mc.unix_framing = (enum monitor_framing)d->main.monitor_framing;
	for (i = 0; i < d->main.monitor_tcp.n && i < MONITOR_TCP_MAX; i++) {
		mc.tcp[i] = d->main.monitor_tcp.v[i];
		mc.tcp_framing[i] = mc.unix_framing;
	}
	mc.n_tcp = (unsigned int)i;
	mc.control_path = d->main.control_socket && *d->main.control_socket ? d->main.control_socket : NULL;
	mc.control = d->ctl;
	mc.group = d->main.monitor_group && *d->main.monitor_group ? d->main.monitor_group : NULL;
	if (mc.group && !getgrnam(mc.group)) {
		/* the default group 'netify' exists only where the package made it */
		log_msg(LOG_WARNING, "monitor_group '%s' does not exist; sockets keep our group", mc.group);
		mc.group = NULL;
	}
	mc.mode = 0660;
	mc.status_interval_ms = d->main.status_interval * 1000;
	mc.version = PACKAGE_VERSION;
	mc.json_save_dir = ctl_dir_ready("json_save_dir", d->main.json_save_dir);
	mc.capture_dir = ctl_dir_ready("capture_unknown_dir", d->main.capture_unknown_dir);
	mc.capture_max_files = d->main.capture_unknown_max_files;
	/* a file never holds more than the flow keeper's packets: no need for
	 * the monitor to reserve room for more */
	mc.capture_max_bytes = d->main.capture_unknown_max_bytes < FLOWCAP_FILE_MAX ?
			       d->main.capture_unknown_max_bytes : FLOWCAP_FILE_MAX;
	if (!(d->mon = monitor_new(&mc, &mops, d)) || monitor_start(d->mon)) {
		log_msg(LOG_ERR, "monitor: %s", strerror(errno));
		return -1;
	}
	return 0;
}

void daemon_ctl_stop(struct daemon_ctx *d)
{
	if (d->mon)
		monitor_free(d->mon);
	d->mon = NULL;
	if (d->ctl)
		control_free(d->ctl);
	d->ctl = NULL;
}

/* ---- log ------------------------------------------------------------ */

void daemon_stats_log(struct daemon_ctx *d)
{
	unsigned int i;

	for (i = 0; i < d->n_workers; i++) {
		struct worker *w = &d->w[i];
		const struct engine_stats *es;
		const struct nfqueue_stats *s;

		pthread_mutex_lock(&w->lock);
		es = engine_stats(w->e);
		log_msg(LOG_NOTICE, "worker %u: packets %llu flows %llu not-inspected %llu evicted %llu "
			"blocked %llu released %llu qos %llu block-set %llu ct-updates %llu ct-errors %llu",
			i, (unsigned long long)es->packets,
			(unsigned long long)engine_flow_stats(w->e)->inserts,
			(unsigned long long)es->dpi_full,
			(unsigned long long)engine_flow_stats(w->e)->evictions,
			(unsigned long long)w->v.st.flows_blocked, (unsigned long long)w->v.st.flows_released,
			(unsigned long long)w->v.st.flows_qos, (unsigned long long)w->v.st.block_set_adds,
			(unsigned long long)w->v.st.ct_updates, (unsigned long long)w->v.st.ct_errors);
		if (w->q) {
			s = nfqueue_stats(w->q);
			log_msg(LOG_NOTICE, "queue %u: packets %llu verdicts %llu msgs %llu batched %llu "
				"dropped %llu enobufs %llu latency p50 %llu ns p99 %llu ns", w->queue,
				(unsigned long long)s->packets, (unsigned long long)s->verdicts,
				(unsigned long long)s->verdict_msgs, (unsigned long long)s->batched,
				(unsigned long long)s->dropped, (unsigned long long)s->enobufs,
				(unsigned long long)nfqueue_lat_percentile(s->lat, 0.50),
				(unsigned long long)nfqueue_lat_percentile(s->lat, 0.99));
		}
		pthread_mutex_unlock(&w->lock);
	}
}
