/* `netify run`: life cycle, configuration, reload, replay. See daemon.h;
 * the workers' packet path is worker.c. */
#include "config.h"

#include <errno.h>
#include <signal.h>
#include <stdarg.h>
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
#include "monitor.h"
#include "pcapsrc.h"
#include "sfile.h"
#include "sizing.h"
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

/* Adds a message to a report's list (counted past its room). */
static void report_add(struct policy_errors *l, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
static void report_add(struct policy_errors *l, const char *fmt, ...)
{
	va_list ap;

	if (l->count == POLICY_ERRORS_MAX) {
		l->dropped++;
		return;
	}
	va_start(ap, fmt);
	vsnprintf(l->msg[l->count++], POLICY_ERROR_LEN, fmt, ap);
	va_end(ap);
}

static struct apps_db *config_apps(const char *dir, struct reload_report *rep)
{
	struct apps_errors *errs = calloc(1, sizeof(*errs));
	struct apps_db *db;
	unsigned int i;

	if (!errs) {
		report_add(&rep->errors, "out of memory");
		return NULL;
	}
	db = apps_db_load(dir, errs);
	if (!db && errno == ENOENT) {
		/* No catalog at all: policies naming apps fail to load below; the
		 * others still work. A catalog that cannot be read is an error. */
		log_msg(LOG_WARNING, "apps: %s: %s; no application definitions", dir, strerror(errno));
		report_add(&rep->warnings, "apps: %s: %s; no application definitions", dir,
			   strerror(errno));
		db = apps_db_load_files(NULL, 0, errs);
	}
	if (!db) {
		log_msg(LOG_ERR, "apps: %s: %s", dir, errs->count ? errs->msg[0] : strerror(errno));
		report_add(&rep->errors, "apps: %s: %s", dir, errs->count ? errs->msg[0] : strerror(errno));
	} else if (errs->count) {
		log_msg(LOG_WARNING, "apps: %u bad definition lines skipped (first: %s)",
			errs->count + errs->dropped, errs->msg[0]);
		for (i = 0; i < errs->count; i++)
			report_add(&rep->warnings, "%s", errs->msg[i]);
		rep->warnings.dropped += errs->dropped;
	}
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
 * names (read-only tables). NULL if anything is wrong: why is in
 * rep->errors, and in the log. */
static struct config *config_load(struct daemon_ctx *d, struct engine *e, unsigned int gen,
				  struct reload_report *rep)
{
	const char *dir = d->opts.apps_dir ? d->opts.apps_dir : d->main.apps_dir;
	struct config *c = calloc(1, sizeof(*c));
	struct policy_catalog n = { NULL, policy_names_engine_proto, e };
	struct policy_names names;

	if (!c) {
		report_add(&rep->errors, "out of memory");
		return NULL;
	}
	c->gen = gen;
	if (!(c->apps = config_apps(dir, rep)))
		goto out_fail;
	n.apps = c->apps;
	policy_names_init(&n, &names);
	if (!(c->policy = policy_load(d->opts.config, &names, &rep->errors))) {
		daemon_log_policy_errors(&rep->errors, LOG_ERR);
		if (!rep->errors.count && !rep->errors.dropped)
			report_add(&rep->errors, "%s: %s", d->opts.config, strerror(errno));
		goto out_fail;
	}
	return c;

out_fail:
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
	char line[256], why[SFILE_WHY_LEN];
	bool on = false;
	int fd = sfile_open(path, 0, why, sizeof(why));	/* a FIFO would block the start */
	FILE *f = fd >= 0 ? fdopen(fd, "r") : NULL;

	if (!f) {
		if (fd >= 0)
			close(fd);
		return false;
	}
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

/* Makes rep the answer to reload requests up to req, for the control
 * socket, and has the io thread give it to those waiting. */
static void daemon_reload_publish(struct daemon_ctx *d, unsigned int req, struct reload_report *rep)
{
	struct reload_report *old;

	daemon_ctl_lock(d);
	old = d->reload_last;
	d->reload_last = rep;
	d->reload_done = req;
	daemon_ctl_unlock(d);
	free(old);
	if (d->mon)
		monitor_wake(d->mon);
}

/* Loads the configuration again and swaps it in, or keeps the running one
 * if anything is wrong; answers the control requests up to req. */
static void daemon_reload(struct daemon_ctx *d, unsigned int req)
{
	struct reload_report *rep = calloc(1, sizeof(*rep));
	struct config *old = d->cfg, *c;
	struct nft_cfg nc;
	unsigned int waited;

	if (!rep) {
		log_msg(LOG_ERR, "reload failed: out of memory; keeping the running policy");
		daemon_reload_publish(d, req, NULL);
		return;
	}
	pthread_mutex_lock(&d->w[0].lock);
	c = config_load(d, d->w[0].e, old->gen + 1, rep);
	pthread_mutex_unlock(&d->w[0].lock);
	if (!c) {
		d->reload_errors++;
		log_msg(LOG_ERR, "reload failed; keeping the running policy");
		goto out_publish;
	}
	daemon_nft_cfg(d, c->policy, &nc);
	if (d->nft_installed && classes_changed(&nc, &d->nftcfg)) {
		if (nft_install(d->nft, &nc) == 0)
			d->nftcfg = nc;
		else {
			log_msg(LOG_ERR, "nftables: QoS classes not updated: %s", strerror(errno));
			report_add(&rep->warnings, "nftables: QoS classes not updated: %s", strerror(errno));
		}
	}
	daemon_usage_configure(d, c->policy);
	daemon_export_configure(d, c->policy);
	__atomic_store_n(&d->cfg, c, __ATOMIC_RELEASE);
	if (d->replay) {
		/* the replay's one worker is this thread, between two packets */
		pthread_mutex_lock(&d->w[0].lock);
		worker_sync_config(&d->w[0]);
		pthread_mutex_unlock(&d->w[0].lock);
	}
	for (waited = 0; !workers_at(d, c->gen) && waited < RELOAD_WAIT_MS; waited += 10)
		usleep(10000);
	d->reloads++;
	rep->ok = true;
	if (!workers_at(d, c->gen)) {
		/* a worker still holds it: leaking beats a use after free */
		log_msg(LOG_ERR, "reload: workers did not switch in time; old policy kept in memory");
		report_add(&rep->warnings, "workers did not switch in time; old policy kept in memory");
		goto out_publish;
	}
	daemon_ctl_lock(d);
	config_free(old);
	daemon_ctl_unlock(d);
	log_msg(LOG_NOTICE, "reloaded: %zu rules, %zu apps", c->policy->n_rules, apps_count(c->apps));
out_publish:
	daemon_reload_publish(d, req, rep);
}

/* What the main thread does with a signal (-1: none came) and with reload
 * requests from the control socket, in the inline daemon's loop and
 * between a replay's packets alike. true: exit. */
static bool daemon_signal(struct daemon_ctx *d, int sig)
{
	unsigned int req = __atomic_load_n(&d->reload_req, __ATOMIC_ACQUIRE);

	if (sig == SIGTERM || sig == SIGINT) {
		log_msg(LOG_NOTICE, "signal %d: exiting", sig);
		return true;
	}
	if (sig == SIGHUP || req != d->reload_seen) {
		d->reload_seen = req;
		daemon_reload(d, req);
	}
	if (sig == SIGUSR1)
		daemon_stats_log(d);
	return false;
}

/* ---- replay --------------------------------------------------------- */

#define REPLAY_SIGNAL_PACKETS	256	/* packets between two looks at signals */
#define REPLAY_TICK_US		250000	/* longest sleep between two looks (--pace) */

struct replay {
	struct daemon_ctx *d;
	struct worker *w;
	const sigset_t *sigs;
	bool pace;
	bool stopped;			/* a signal ended it */
	uint64_t first_ts, start;	/* us: the capture's first packet, the clock then */
	unsigned int since_look;
};

static uint64_t replay_clock_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000u + (uint64_t)ts.tv_nsec / 1000u;
}

/* Signals and reload requests, waiting at most us for a signal. true: stop. */
static bool replay_look(struct replay *r, uint64_t us)
{
	struct timespec ts = { (time_t)(us / 1000000u), (long)(us % 1000000u) * 1000 };

	r->since_look = 0;
	if (daemon_signal(r->d, sigtimedwait(r->sigs, NULL, &ts)))
		r->stopped = true;
	return r->stopped;
}

/* --pace: waits until the capture's time of ts_us comes, however long the
 * gap (64-bit microseconds), taking signals meanwhile. true: stop. */
static bool replay_pace(struct replay *r, uint64_t ts_us)
{
	uint64_t now = replay_clock_us(), due;

	if (!r->first_ts) {
		r->first_ts = ts_us;
		r->start = now;
		return false;
	}
	if (ts_us <= r->first_ts)
		return false;
	due = ts_us - r->first_ts > UINT64_MAX - r->start ? UINT64_MAX : r->start + (ts_us - r->first_ts);
	while ((now = replay_clock_us()) < due)
		if (replay_look(r, due - now < REPLAY_TICK_US ? due - now : REPLAY_TICK_US))
			return true;
	return false;
}

static int replay_packet(void *user, enum link_type lt, const uint8_t *data, uint32_t caplen, uint64_t ts_us)
{
	struct replay *r = user;
	struct worker_pkt wp = { lt, data, caplen, ts_us, NULL };

	if (r->pace ? replay_pace(r, ts_us) :
	    ++r->since_look >= REPLAY_SIGNAL_PACKETS && replay_look(r, 0))
		return 1;
	pthread_mutex_lock(&r->w->lock);	/* the control socket reads flows meanwhile */
	r->w->st.replay_packets++;
	worker_packet(r->w, &wp);
	daemon_export_tick(r->w, ts_us / 1000);
	pthread_mutex_unlock(&r->w->lock);
	return 0;
}

/* The capture through the daemon's one worker, on this thread, which takes
 * signals as daemon_loop() does: SIGHUP and control requests reload,
 * SIGTERM/SIGINT end the replay as its end would (the last events, the
 * counters in the log, the sockets removed). */
static int daemon_replay(struct daemon_ctx *d, const sigset_t *sigs)
{
	struct replay r = { .d = d, .w = &d->w[0], .sigs = sigs, .pace = d->opts.pace };
	char err[512];
	int ret;

	worker_set_config(&d->w[0], d->cfg);
	d->w[0].gen = d->cfg->gen;
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
	else if (r.stopped)
		log_msg(LOG_NOTICE, "replay stopped after %llu packets",
			(unsigned long long)d->w[0].st.replay_packets);
	pthread_mutex_lock(&d->w[0].lock);
	engine_flush(d->w[0].e, FLOW_PURGE_SHUTDOWN);
	pthread_mutex_unlock(&d->w[0].lock);
	fflush(stdout);
	daemon_stats_log(d);
	return ret ? 1 : 0;
}

/* ---- main loop ------------------------------------------------------ */

/* A worker's stack peaks at ~28 KiB (measured, nDPI 4.2-4.11): 256 KiB
 * instead of glibc's 8 MiB default (musl's is 128 KiB), the same on both.
 * ASan's redzones need more. */
#ifdef __SANITIZE_ADDRESS__
#define WORKER_STACK (1024 * 1024)
#else
#define WORKER_STACK (256 * 1024)
#endif

static int daemon_threads_start(struct daemon_ctx *d)
{
	pthread_attr_t attr;
	unsigned int i;
	int err = 0;

	pthread_attr_init(&attr);
	pthread_attr_setstacksize(&attr, WORKER_STACK);
	for (i = 0; i < d->n_workers && !err; i++) {
		worker_set_config(&d->w[i], d->cfg);
		d->w[i].gen = d->cfg->gen;
		err = pthread_create(&d->w[i].th, &attr, worker_main, &d->w[i]);
		if (err)
			log_msg(LOG_ERR, "worker thread: %s", strerror(err));
		else
			d->w[i].started = true;
	}
	pthread_attr_destroy(&attr);
	return err ? -1 : 0;
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
		if (daemon_signal(d, sig))
			break;
	}
}

static int daemon_boot(struct daemon_ctx *d, struct policy **boot)
{
	struct reload_report *rep;
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
	sizing_apply(&d->main, d->n_workers, sizing_memtotal());
	log_msg(LOG_INFO, "tables per queue: %u flows, %u inspected at once, %u DNS entries",
		d->main.flow_table_size, d->main.inspect_slots, d->main.dns_cache_size);
	for (i = 0; i < d->n_workers; i++)
		if (worker_init(d, &d->w[i], i))
			return -1;
	rep = calloc(1, sizeof(*rep));
	d->cfg = rep ? config_load(d, d->w[0].e, 1, rep) : NULL;
	free(rep);
	return d->cfg ? 0 : -1;
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
	free(d->reload_last);
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
	/* blocked before any thread starts, so that every thread inherits it
	 * and the main thread takes them all, replay or not */
	sigemptyset(&set);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGINT);
	sigaddset(&set, SIGHUP);
	sigaddset(&set, SIGUSR1);
	pthread_sigmask(SIG_BLOCK, &set, NULL);
	if (d->replay) {
		ret = daemon_replay(d, &set);
		goto out_fini;
	}
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
