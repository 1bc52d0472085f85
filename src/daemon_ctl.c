/* The daemon's answers on the monitor and control sockets, and its
 * counters in the log. Runs on the monitor's io thread (or the main thread
 * for the log): every read of a worker's state holds that worker's lock,
 * every read of the configuration holds cfg_lock. */
#include "config.h"

#include <errno.h>
#include <grp.h>
#include <netinet/in.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>

#include "apps.h"
#include "control.h"
#include "daemon_int.h"
#include "dnscache.h"
#include "flowjson.h"
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
	json_kv_int(g, "dropped", (long long)s->dropped);
	json_kv_int(g, "fail_open", (long long)fail_open);
	json_kv_int(g, "enobufs", (long long)s->enobufs);
	json_kv_int(g, "latency_p50_ns", (long long)nfqueue_lat_percentile(s->lat, 0.50));
	json_kv_int(g, "latency_p99_ns", (long long)nfqueue_lat_percentile(s->lat, 0.99));
	json_kv_int(g, "flows_blocked", (long long)w->st.flows_blocked);
	json_kv_int(g, "flows_released", (long long)w->st.flows_released);
	json_kv_int(g, "flows_qos", (long long)w->st.flows_qos);
	json_kv_int(g, "block_set_adds", (long long)w->st.block_set_adds);
	json_kv_int(g, "ct_updates", (long long)w->st.ct_updates);
	json_kv_int(g, "ct_errors", (long long)w->st.ct_errors);
	yajl_gen_map_close(g);
}

static void status_members(struct daemon_ctx *d, yajl_gen g)
{
	struct nfqstat_queue k[DAEMON_WORKERS_MAX];
	int nk = nfqstat_read(NULL, k, DAEMON_WORKERS_MAX);
	uint64_t flows = 0, dns = 0;
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
	daemon_ctl_lock(d);
	json_kv_int(g, "apps", (long long)apps_count(d->cfg->apps));
	json_kv_int(g, "rules", (long long)d->cfg->policy->n_rules);
	daemon_ctl_unlock(d);
	if (d->mon) {
		struct monitor_stats ms;

		monitor_stats(d->mon, &ms);
		json_kv_int(g, "clients", (long long)ms.clients);
	}
	json_kv_bool(g, "flow_offloading", d->offload);
	json_kv_str(g, "queue_backend", nft_backend_name(d->nftcfg.backend));
	json_kv_int(g, "reloads", (long long)d->reloads);
	json_kv_int(g, "reload_errors", (long long)d->reload_errors);
}

/* ---- flows ---------------------------------------------------------- */

struct flows_walk {
	struct daemon_ctx *d;
	struct worker *w;
	const struct control_args *a;
	yajl_gen g;
};

static bool flow_wanted(const struct flows_walk *fw, const struct flow *f, const char *dev,
			const char *app)
{
	const struct flowstate *fs = f->user;
	bool blocked = fs && fs->action == POLICY_BLOCK;

	if (!fw->a)
		return true;
	if (fw->a->device && (!dev || strcmp(fw->a->device, dev)))
		return false;
	if (fw->a->app && (!app || strcasecmp(fw->a->app, app)))
		return false;
	return fw->a->blocked < 0 || blocked == (fw->a->blocked != 0);
}

static int flow_json(void *user, struct flow *f)
{
	struct flows_walk *fw = user;
	struct engine *e = fw->w->e;
	const struct flowstate *fs = f->user;
	uint8_t l = engine_local_side(e, f), o = (uint8_t)!l;
	const char *app = engine_app_tag(e, f);
	const char *dev = verdict_device(fw->d->cfg->policy, f, l, fs);
	const struct apps_app *aa = f->app_id >= 0 ? apps_get(fw->d->cfg->apps, f->app_id) : NULL;
	yajl_gen g = fw->g;
	char mac[18];

	if (!flow_wanted(fw, f, dev, app))
		return 0;
	yajl_gen_map_open(g);
	if (fs && fs->has_mac) {
		snprintf(mac, sizeof(mac), "%02x:%02x:%02x:%02x:%02x:%02x", fs->mac[0], fs->mac[1],
			 fs->mac[2], fs->mac[3], fs->mac[4], fs->mac[5]);
		json_kv_str(g, "local_mac", mac);
	}
	json_kv_ip(g, "local_ip", f->key.family, f->key.addr[l]);
	json_kv_int(g, "local_port", f->key.port[l]);
	json_kv_ip(g, "other_ip", f->key.family, f->key.addr[o]);
	json_kv_int(g, "other_port", f->key.port[o]);
	json_kv_int(g, "ip_protocol", f->key.proto);
	json_kv_str(g, "detected_protocol_name", engine_proto_name(e, f->proto_master));
	json_kv_str(g, "detected_application_name", app ? app : "unknown");
	json_kv_str(g, "app_label", aa ? aa->label : NULL);
	json_kv_str(g, "host_server_name", f->host[0] ? f->host : NULL);
	json_kv_str(g, "device", dev);
	json_kv_str(g, "rule", fs && fs->rule ? policy_rule_name(fs->rule) : NULL);
	json_kv_str(g, "action", fs && fs->action != FS_NONE ?
		    policy_action_name((enum policy_action)fs->action) : "none");
	json_kv_str(g, "class", fs && fs->action == POLICY_QOS && policy_rule_class(fs->rule) ?
		    policy_rule_class(fs->rule)->name : NULL);
	json_kv_bool(g, "released", fs && (fs->bits & fw->d->marks.released));
	json_kv_int(g, "first_seen_at", (long long)f->first_seen);
	json_kv_int(g, "last_seen_at", (long long)f->last_seen);
	yajl_gen_map_close(g);
	return 0;
}

static void flows_array(struct daemon_ctx *d, const struct control_args *a, yajl_gen g)
{
	struct flows_walk fw = { d, NULL, a, g };
	unsigned int i;

	yajl_gen_array_open(g);
	daemon_ctl_lock(d);
	for (i = 0; i < d->n_workers; i++) {
		fw.w = &d->w[i];
		pthread_mutex_lock(&fw.w->lock);
		engine_foreach_flow(fw.w->e, flow_json, &fw);
		pthread_mutex_unlock(&fw.w->lock);
	}
	daemon_ctl_unlock(d);
	yajl_gen_array_close(g);
}

/* ---- apps ----------------------------------------------------------- */

static void apps_categories(const struct apps_db *db, yajl_gen g)
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

static void apps_list(const struct apps_db *db, const char *key, const char *category, yajl_gen g)
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

/* ---- control callbacks ---------------------------------------------- */

static int ctl_status(void *ctx, const struct control_args *a, yajl_gen g, char *err, size_t errlen)
{
	status_members(ctx, g);
	return 0;
}

static int ctl_flows(void *ctx, const struct control_args *a, yajl_gen g, char *err, size_t errlen)
{
	json_key(g, "flows");
	flows_array(ctx, a, g);
	return 0;
}

static int ctl_reload(void *ctx, const struct control_args *a, yajl_gen g, char *err, size_t errlen)
{
	struct daemon_ctx *d = ctx;

	__atomic_store_n(&d->reload_req, 1, __ATOMIC_RELEASE);
	json_kv_bool(g, "reload", 1);
	return 0;
}

static int ctl_apps(void *ctx, const struct control_args *a, yajl_gen g, char *err, size_t errlen)
{
	struct daemon_ctx *d = ctx;

	daemon_ctl_lock(d);
	apps_categories(d->cfg->apps, g);
	apps_list(d->cfg->apps, "apps", a->category, g);
	daemon_ctl_unlock(d);
	return 0;
}

/* ---- monitor callbacks ---------------------------------------------- */

static void mon_status(void *ctx, yajl_gen g)
{
	status_members(ctx, g);
}

static void mon_flows(void *ctx, yajl_gen g)
{
	flows_array(ctx, NULL, g);
}

static void mon_definitions(void *ctx, yajl_gen g)
{
	struct daemon_ctx *d = ctx;

	protocols_list(&d->w[0], g);
	daemon_ctl_lock(d);
	apps_list(d->cfg->apps, "applications", NULL, g);
	apps_categories(d->cfg->apps, g);
	daemon_ctl_unlock(d);
}

int daemon_ctl_start(struct daemon_ctx *d)
{
	static const struct monitor_ops mops = { mon_definitions, mon_status, mon_flows };
	struct control_ops cops = { .fn = { [CONTROL_STATUS] = ctl_status, [CONTROL_FLOWS] = ctl_flows,
					    [CONTROL_RELOAD] = ctl_reload, [CONTROL_APPS] = ctl_apps } };
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
		log_msg(LOG_NOTICE, "worker %u: packets %llu flows %llu blocked %llu released %llu qos %llu "
			"block-set %llu ct-updates %llu ct-errors %llu", i, (unsigned long long)es->packets,
			(unsigned long long)engine_flow_stats(w->e)->inserts,
			(unsigned long long)w->st.flows_blocked, (unsigned long long)w->st.flows_released,
			(unsigned long long)w->st.flows_qos, (unsigned long long)w->st.block_set_adds,
			(unsigned long long)w->st.ct_updates, (unsigned long long)w->st.ct_errors);
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
