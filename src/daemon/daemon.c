/* `netify run`: life cycle, configuration, reload, replay. See daemon.h;
 * the workers' packet path is worker.c. */
#include "config.h"

#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>


#include "apps.h"
#include "daemon_int.h"
#include "log.h"
#include "policy_names.h"
#include "pcapsrc.h"
#include "util.h"

#define RELOAD_WAIT_MS 5000

/* ---- configuration -------------------------------------------------- */

static int config_any_name(void *ctx, const char *name)
{
	(void)ctx;
	(void)name;
	return 0;
}

static void daemon_log_policy_errors(const struct policy_errors *errs, int prio)
{
	unsigned int i;

	for (i = 0; i < errs->count; i++)
		log_msg(prio, "%s", errs->msg[i]);
	if (errs->dropped)
		log_msg(prio, "... and %u more errors", errs->dropped);
}

/* The settings part of the file, read without resolving names: it says
 * where the definitions are, which the real load needs. */
static struct policy *config_boot(const char *path)
{
	struct policy_names lenient = { config_any_name, config_any_name, config_any_name, NULL };
	struct policy_errors *errs = calloc(1, sizeof(*errs));
	struct policy *p;

	if (!errs)
		return NULL;
	p = policy_load(path, &lenient, errs);
	if (!p)
		daemon_log_policy_errors(errs, LOG_ERR);
	free(errs);
	return p;
}

static struct apps_db *config_apps(const char *dir)
{
	struct apps_errors *errs = calloc(1, sizeof(*errs));
	struct apps_db *db;

	if (!errs)
		return NULL;
	db = apps_db_load(dir, errs);
	if (!db && errno == ENOENT) {
		/* No catalog at all: policies naming apps fail to load below; the
		 * others still work. A catalog that cannot be read is an error. */
		log_msg(LOG_WARNING, "apps: %s: %s; no application definitions", dir, strerror(errno));
		db = apps_db_load_files(NULL, 0, errs);
	}
	if (!db)
		log_msg(LOG_ERR, "apps: %s: %s", dir, errs->count ? errs->msg[0] : strerror(errno));
	else if (errs->count)
		log_msg(LOG_WARNING, "apps: %u bad definition lines skipped (first: %s)",
			errs->count + errs->dropped, errs->msg[0]);
	free(errs);
	return db;
}

static void config_free(struct config *c)
{
	if (!c)
		return;
	policy_free(c->policy);
	apps_db_free(c->apps);
	free(c);
}

/* Policy + definitions, parsed beside the running ones. e resolves nDPI
 * names (read-only tables). NULL if anything is wrong. */
static struct config *config_load(struct daemon_ctx *d, struct engine *e, unsigned int gen)
{
	const char *dir = d->opts.apps_dir ? d->opts.apps_dir : d->main.apps_dir;
	struct config *c = calloc(1, sizeof(*c));
	struct policy_errors *errs = calloc(1, sizeof(*errs));
	struct policy_catalog n = { NULL, policy_names_engine_proto, e };
	struct policy_names names;

	if (!c || !errs)
		goto out_fail;
	c->gen = gen;
	if (!(c->apps = config_apps(dir)))
		goto out_fail;
	n.apps = c->apps;
	policy_names_init(&n, &names);
	if (!(c->policy = policy_load(d->opts.config, &names, errs))) {
		daemon_log_policy_errors(errs, LOG_ERR);
		goto out_fail;
	}
	free(errs);
	return c;

out_fail:
	free(errs);
	config_free(c);
	return NULL;
}

/* ---- nft ------------------------------------------------------------ */

static void daemon_nft_cfg(struct daemon_ctx *d, const struct policy *p, struct nft_cfg *nc)
{
	size_t i;

	nft_cfg_defaults(nc);
	nc->table = d->opts.table ? d->opts.table : NFT_TABLE_DEFAULT;
	nc->marks = d->marks;
	nc->queue_first = d->main.queue_first;
	nc->queue_last = d->main.queue_last;
	nc->packet_budget = d->main.packet_budget;
	nc->bypass = d->main.fail_open;
	nc->reject = d->main.block_mode == POLICY_BLOCK_REJECT;
	nc->input_chain = d->main.input_chain;
	nc->output_chain = d->main.output_chain;
	nc->block_timeout = d->main.block_timeout;
	nc->backend = d->nftcfg.backend;
	for (i = 0; i < p->n_classes && nc->n_classes < NFT_CLASSES_MAX; i++) {
		struct nft_class_map *m = &nc->classes[nc->n_classes++];

		m->mark = p->classes[i].mark;
		m->dscp = p->classes[i].dscp;
		m->priority = p->classes[i].priority;
	}
}

static int daemon_nft_start(struct daemon_ctx *d)
{
	int probe;

	if (!(d->nft = nft_open())) {
		log_msg(LOG_ERR, "nftables socket: %s", strerror(errno));
		return -1;
	}
	probe = nft_probe_queue(d->nft);
	d->nftcfg.backend = probe == 1 ? NFT_QUEUE_EXPR : NFT_QUEUE_XT;
	daemon_nft_cfg(d, d->cfg->policy, &d->nftcfg);
	if (nft_install(d->nft, &d->nftcfg)) {
		log_msg(LOG_ERR, "nftables: installing table inet %s: %s", d->nftcfg.table, strerror(errno));
		return -1;
	}
	d->nft_installed = true;
	log_msg(LOG_NOTICE, "table inet %s installed, queues %u-%u via %s", d->nftcfg.table,
		d->main.queue_first, d->main.queue_last, nft_backend_name(d->nftcfg.backend));
	return 0;
}

static void daemon_nft_stop(struct daemon_ctx *d)
{
	if (!d->nft)
		return;
	if (d->nft_installed && !d->main.keep_blocking && nft_remove(d->nft, d->nftcfg.table))
		log_msg(LOG_WARNING, "nftables: removing table inet %s: %s", d->nftcfg.table, strerror(errno));
	nft_close(d->nft);
	d->nft = NULL;
}

/* fw4's flow offloading moves established flows past the forward hook, so
 * marks still work but a reload cannot cut an offloaded connection. */
static bool offload_enabled(const char *path)
{
	char line[256];
	bool on = false;
	FILE *f = fopen(path, "r");

	if (!f)
		return false;
	while (fgets(line, sizeof(line), f))
		if (strstr(line, "option") && strstr(line, "flow_offloading") &&
		    (strstr(line, "'1'") || strstr(line, "\"1\"") || strstr(line, " 1\n")))
			on = true;
	fclose(f);
	return on;
}

/* ---- reload --------------------------------------------------------- */

static bool classes_changed(const struct nft_cfg *a, const struct nft_cfg *b)
{
	return a->n_classes != b->n_classes ||
	       memcmp(a->classes, b->classes, a->n_classes * sizeof(a->classes[0]));
}

static bool workers_at(struct daemon_ctx *d, unsigned int gen)
{
	unsigned int i;

	for (i = 0; i < d->n_workers; i++)
		if (__atomic_load_n(&d->w[i].gen, __ATOMIC_ACQUIRE) != gen)
			return false;
	return true;
}

static void daemon_reload(struct daemon_ctx *d)
{
	struct config *old = d->cfg, *c;
	struct nft_cfg nc;
	unsigned int waited;

	pthread_mutex_lock(&d->w[0].lock);
	c = config_load(d, d->w[0].e, old->gen + 1);
	pthread_mutex_unlock(&d->w[0].lock);
	if (!c) {
		d->reload_errors++;
		log_msg(LOG_ERR, "reload failed; keeping the running policy");
		return;
	}
	daemon_nft_cfg(d, c->policy, &nc);
	if (d->nft_installed && classes_changed(&nc, &d->nftcfg)) {
		if (nft_install(d->nft, &nc) == 0)
			d->nftcfg = nc;
		else
			log_msg(LOG_ERR, "nftables: QoS classes not updated: %s", strerror(errno));
	}
	daemon_usage_configure(d, c->policy);
	daemon_export_configure(d, c->policy);
	__atomic_store_n(&d->cfg, c, __ATOMIC_RELEASE);
	for (waited = 0; !workers_at(d, c->gen) && waited < RELOAD_WAIT_MS; waited += 10)
		usleep(10000);
	d->reloads++;
	if (!workers_at(d, c->gen)) {
		/* a worker still holds it: leaking beats a use after free */
		log_msg(LOG_ERR, "reload: workers did not switch in time; old policy kept in memory");
		return;
	}
	daemon_ctl_lock(d);
	config_free(old);
	daemon_ctl_unlock(d);
	log_msg(LOG_NOTICE, "reloaded: %zu rules, %zu apps", c->policy->n_rules, apps_count(c->apps));
}

/* ---- replay --------------------------------------------------------- */

struct replay {
	struct worker *w;
	bool pace;
	uint64_t first_ts, start;
};

static int replay_packet(void *user, enum link_type lt, const uint8_t *data, uint32_t caplen, uint64_t ts_us)
{
	struct replay *r = user;
	struct worker_pkt wp = { lt, data, caplen, ts_us, NULL };

	if (r->pace) {
		uint64_t now = util_mono_ms() * 1000;

		if (!r->first_ts) {
			r->first_ts = ts_us;
			r->start = now;
		} else if (ts_us > r->first_ts && ts_us - r->first_ts > now - r->start) {
			usleep((useconds_t)(ts_us - r->first_ts - (now - r->start)));
		}
	}
	pthread_mutex_lock(&r->w->lock);	/* the control socket reads flows meanwhile */
	r->w->st.replay_packets++;
	worker_packet(r->w, &wp);
	daemon_export_tick(r->w, ts_us / 1000);
	pthread_mutex_unlock(&r->w->lock);
	return r->w->d->stop ? 1 : 0;
}

static int daemon_replay(struct daemon_ctx *d)
{
	struct replay r = { .w = &d->w[0], .pace = d->opts.pace };
	char err[512];
	int ret;

	worker_set_config(&d->w[0], d->cfg);
	/* the sockets live as long as the capture: clients can watch a replay */
	if (daemon_ctl_start(d)) {
		log_msg(LOG_WARNING, "replay without monitor and control sockets");
		daemon_ctl_stop(d);
	}
	daemon_usage_start(d);
	if (daemon_export_start(d))
		return 1;
	ret = pcapsrc_read(d->opts.replay, replay_packet, &r, err, sizeof(err));
	if (ret)
		log_msg(LOG_ERR, "%s", err);
	pthread_mutex_lock(&d->w[0].lock);
	engine_flush(d->w[0].e, FLOW_PURGE_SHUTDOWN);
	pthread_mutex_unlock(&d->w[0].lock);
	fflush(stdout);
	daemon_stats_log(d);
	return ret ? 1 : 0;
}

/* ---- main loop ------------------------------------------------------ */

static int daemon_threads_start(struct daemon_ctx *d)
{
	unsigned int i;

	for (i = 0; i < d->n_workers; i++) {
		worker_set_config(&d->w[i], d->cfg);
		d->w[i].gen = d->cfg->gen;
		if (pthread_create(&d->w[i].th, NULL, worker_main, &d->w[i])) {
			log_msg(LOG_ERR, "worker thread: %s", strerror(errno));
			return -1;
		}
		d->w[i].started = true;
	}
	return 0;
}

static void daemon_threads_stop(struct daemon_ctx *d)
{
	unsigned int i;

	d->stop = 1;
	for (i = 0; i < d->n_workers; i++) {
		if (!d->w[i].started)
			continue;
		pthread_join(d->w[i].th, NULL);
		/* last events (flow_purge shutdown) while the monitor still runs */
		engine_flush(d->w[i].e, FLOW_PURGE_SHUTDOWN);
	}
}

/* Signals are blocked in every thread and taken here synchronously. */
static void daemon_loop(struct daemon_ctx *d, const sigset_t *set)
{
	struct timespec tick = { 0, 250 * 1000 * 1000 };
	int sig;

	while (!d->stop) {
		sig = sigtimedwait(set, NULL, &tick);
		if (sig == SIGTERM || sig == SIGINT) {
			log_msg(LOG_NOTICE, "signal %d: exiting", sig);
			break;
		}
		if (sig == SIGHUP || __atomic_exchange_n(&d->reload_req, 0, __ATOMIC_ACQ_REL))
			daemon_reload(d);
		if (sig == SIGUSR1)
			daemon_stats_log(d);
	}
}

static int daemon_boot(struct daemon_ctx *d, struct policy **boot)
{
	unsigned int i;

	if (!(*boot = config_boot(d->opts.config)))
		return -1;
	d->main = (*boot)->main;
	log_set_level(d->main.log_level);
	if (marks_init(&d->marks, d->main.mark_mask)) {
		log_msg(LOG_ERR, "mark_mask 0x%08x: needs %d contiguous bits", d->main.mark_mask, MARKS_BITS_USED);
		return -1;
	}
	d->n_workers = d->replay ? 1 : d->main.queue_last - d->main.queue_first + 1;
	if (d->n_workers > DAEMON_WORKERS_MAX) {
		log_msg(LOG_ERR, "queue range: at most %d queues", DAEMON_WORKERS_MAX);
		return -1;
	}
	for (i = 0; i < d->n_workers; i++)
		if (worker_init(d, &d->w[i], i))
			return -1;
	if (!(d->cfg = config_load(d, d->w[0].e, 1)))
		return -1;
	return 0;
}

static int daemon_kernel_start(struct daemon_ctx *d)
{
	const char *fw = d->opts.firewall_config ? d->opts.firewall_config : "/etc/config/firewall";
	unsigned int i;

	for (i = 0; i < d->n_workers; i++)
		if (worker_open(&d->w[i]))
			return -1;
	if (daemon_nft_start(d))
		return -1;
	if ((d->offload = offload_enabled(fw)))
		log_msg(LOG_WARNING, "fw4 flow offloading is on (%s): offloaded connections skip the "
			"forward hook, so a reload cannot cut them", fw);
	return 0;
}

static void daemon_fini(struct daemon_ctx *d, struct policy *boot)
{
	unsigned int i;

	daemon_usage_stop(d);
	daemon_ctl_stop(d);
	daemon_export_stop(d);
	daemon_nft_stop(d);
	for (i = 0; i < d->n_workers; i++)
		worker_fini(&d->w[i]);
	config_free(d->cfg);
	policy_free(boot);
}

int daemon_run(const struct daemon_opts *o)
{
	struct daemon_ctx *d = calloc(1, sizeof(*d));
	struct policy *boot = NULL;
	sigset_t set;
	int ret = 1;

	if (!d)
		return 1;
	d->opts = *o;
	d->replay = o->replay != NULL;
	d->events = d->replay ? stdout : NULL;
	d->start_ms = util_wall_ms();
	pthread_mutex_init(&d->cfg_lock, NULL);
	log_open("netify", !d->replay, LOG_NOTICE);
	if (o->daemonize && !d->replay && daemon(0, 0) < 0)
		log_msg(LOG_ERR, "daemonize: %s", strerror(errno));
	if (daemon_boot(d, &boot))
		goto out_fini;
	if (!d->main.enabled && !d->replay) {
		log_msg(LOG_NOTICE, "disabled in %s (option enabled '0')", o->config);
		ret = 0;
		goto out_fini;
	}
	if (d->replay) {
		ret = daemon_replay(d);
		goto out_fini;
	}
	sigemptyset(&set);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGINT);
	sigaddset(&set, SIGHUP);
	sigaddset(&set, SIGUSR1);
	pthread_sigmask(SIG_BLOCK, &set, NULL);
	if (daemon_kernel_start(d) || daemon_ctl_start(d) || daemon_usage_start(d) ||
	    daemon_export_start(d) || daemon_threads_start(d))
		goto out_stop;
	log_msg(LOG_NOTICE, "running: %u worker%s, budget %u packets, mark mask 0x%08x", d->n_workers,
		d->n_workers == 1 ? "" : "s", d->main.packet_budget, d->main.mark_mask);
	daemon_loop(d, &set);
	ret = 0;
out_stop:
	daemon_threads_stop(d);
	daemon_stats_log(d);
out_fini:
	daemon_fini(d, boot);
	free(d);
	return ret;
}
