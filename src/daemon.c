/* `netify run`: life cycle, workers, reload. See daemon.h. */
#include "config.h"

#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <netinet/in.h>

#include "apps.h"
#include "ct.h"
#include "daemon_int.h"
#include "dnscache.h"
#include "flowcap.h"
#include "flowjson.h"
#include "log.h"
#include "nfq.h"
#include "pcapsrc.h"
#include "util.h"

#define WORKER_POLL_MS 200		/* also bounds how late a reload is noticed */
#define RELOAD_WAIT_MS 5000
#define NDPI_ID_SCAN 1024		/* nDPI protocol ids searched by name */

/* ---- configuration -------------------------------------------------- */

struct names_ctx {
	const struct apps_db *apps;
	struct engine *e;
};

static int names_any(void *ctx, const char *name)
{
	(void)ctx;
	(void)name;
	return 0;
}

static int names_app(void *ctx, const char *tag)
{
	const struct names_ctx *n = ctx;

	return n->apps ? apps_find_tag(n->apps, tag) : -1;
}

static int names_category(void *ctx, const char *tag)
{
	const struct names_ctx *n = ctx;

	return n->apps ? apps_category_find(n->apps, tag) : -1;
}

/* Once per rule at load: a linear search is fine. */
static int names_proto(void *ctx, const char *name)
{
	const struct names_ctx *n = ctx;
	int id;

	for (id = 0; id < NDPI_ID_SCAN; id++)
		if (!strcasecmp(engine_proto_name(n->e, (uint16_t)id), name))
			return id;
	return -1;
}

static void log_policy_errors(const struct policy_errors *errs, int prio)
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
	struct policy_names lenient = { names_any, names_any, names_any, NULL };
	struct policy_errors *errs = calloc(1, sizeof(*errs));
	struct policy *p;

	if (!errs)
		return NULL;
	p = policy_load(path, &lenient, errs);
	if (!p)
		log_policy_errors(errs, LOG_ERR);
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
	struct names_ctx n = { NULL, e };
	struct policy_names names = { names_app, names_category, names_proto, &n };

	if (!c || !errs)
		goto out_fail;
	c->gen = gen;
	if (!(c->apps = config_apps(dir)))
		goto out_fail;
	n.apps = c->apps;
	if (!(c->policy = policy_load(d->opts.config, &names, errs))) {
		log_policy_errors(errs, LOG_ERR);
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

static void nft_cfg_from(struct daemon_ctx *d, const struct policy *p, struct nft_cfg *nc)
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
	nft_cfg_from(d, d->cfg->policy, &d->nftcfg);
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

/* ---- workers -------------------------------------------------------- */

static uint64_t wall_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (uint64_t)ts.tv_sec * 1000000u + (uint64_t)ts.tv_nsec / 1000u;
}

/* ---- DNS answers shared between workers ------------------------------ */

static void inbox_post(struct worker *to, const uint8_t *data, size_t len)
{
	struct dns_inbox *in = &to->inbox;

	if (len > DNS_INBOX_LEN)
		len = DNS_INBOX_LEN;	/* the answers we need come first */
	pthread_mutex_lock(&in->lock);
	if (in->count < DNS_INBOX_SLOTS) {
		in->slot[in->count].len = (uint16_t)len;
		memcpy(in->slot[in->count].data, data, len);
		in->count++;
		__atomic_store_n(&in->pending, 1, __ATOMIC_RELEASE);
	} else {
		in->dropped++;
	}
	pthread_mutex_unlock(&in->lock);
}

static void inbox_drain(struct worker *w)
{
	struct dns_inbox *in = &w->inbox;
	struct dnscache *dc = engine_dnscache(w->e);
	unsigned int i;

	if (!__atomic_load_n(&in->pending, __ATOMIC_ACQUIRE))
		return;
	pthread_mutex_lock(&in->lock);
	for (i = 0; dc && i < in->count; i++)
		dnscache_learn(dc, in->slot[i].data, in->slot[i].len, util_wall_ms() / 1000);
	in->count = 0;
	__atomic_store_n(&in->pending, 0, __ATOMIC_RELEASE);
	pthread_mutex_unlock(&in->lock);
}

/* A UDP answer from port 53 goes to every other worker's inbox. */
static void dns_share(struct worker *w, const struct nfqueue_pkt *p, const struct flow *f, uint8_t side)
{
	size_t off;
	unsigned int i;

	if (w->d->n_workers < 2 || f->key.proto != IPPROTO_UDP || f->key.port[side] != 53)
		return;
	off = f->key.family == 4 ? (size_t)(p->payload[0] & 0x0f) * 4 + 8 : 40 + 8;
	if (p->len <= off)
		return;
	for (i = 0; i < w->d->n_workers; i++)
		if (&w->d->w[i] != w)
			inbox_post(&w->d->w[i], p->payload + off, p->len - off);
}

/* One queued packet: classify, then answer with the flow's mark bits.
 * Whatever goes wrong, the packet is accepted (v starts as NF_ACCEPT). */
static void on_packet(void *user, const struct nfqueue_pkt *p, struct nfqueue_verdict *v)
{
	struct worker *w = user;
	struct engine_result res;
	struct flowstate *fs;
	uint64_t ts = wall_us();
	int rc;

	w->cur = p;
	inbox_drain(w);
	w->in_packet = true;
	rc = engine_process(w->e, LINK_RAW, p->payload, p->len, ts, &res);
	w->in_packet = false;
	if (rc < 0 || res.status != DECODE_OK || !res.flow) {
		w->st.not_ip++;
		goto out_clear;
	}
	if (!(fs = verdict_state(w, res.flow)))
		goto out_clear;
	verdict_capture_packet(w, &res, LINK_RAW, p->payload, p->len, ts);
	verdict_note_packet(w, res.flow, fs);
	dns_share(w, p, res.flow, res.side);
	/* inspection over but not released: a DNS flow waiting for its answer */
	if (res.flow->state == FLOW_DONE && !(fs->bits & (w->d->marks.released | w->d->marks.blocked)))
		verdict_evaluate(w, res.flow, fs);
	if (fs->bits) {
		v->set_mark = true;
		v->mark = marks_apply(&w->d->marks, p->mark, fs->bits);
		fs->committed = 1;
	}
out_clear:
	w->cur = NULL;
}

/* Picks up a new configuration: the worker switches, re-evaluates its
 * flows, then acknowledges so the old one can be freed. */
static void worker_sync_config(struct worker *w)
{
	struct config *c = __atomic_load_n(&w->d->cfg, __ATOMIC_ACQUIRE);

	if (c == w->cfg)
		return;
	w->cfg = c;
	engine_set_apps(w->e, c->apps);
	verdict_reevaluate(w);
	w->sched_sig = 0;	/* the next tick takes the new policy's schedules as they are */
	__atomic_store_n(&w->gen, c->gen, __ATOMIC_RELEASE);
}

static void *worker_main(void *arg)
{
	struct worker *w = arg;
	struct pollfd pfd = { .fd = nfqueue_fd(w->q), .events = POLLIN };
	uint64_t last_expire = util_mono_ms(), now;

	while (!w->d->stop) {
		if (poll(&pfd, 1, WORKER_POLL_MS) < 0 && errno != EINTR)
			log_msg(LOG_WARNING, "queue %u: poll: %s", w->queue, strerror(errno));
		pthread_mutex_lock(&w->lock);
		worker_sync_config(w);
		if (pfd.revents)
			nfqueue_receive(w->q, on_packet, w);
		now = util_mono_ms();
		if (now - last_expire >= 1000) {
			engine_expire(w->e, wall_us());
			verdict_schedule_tick(w, time(NULL));
			last_expire = now;
		}
		pthread_mutex_unlock(&w->lock);
	}
	return NULL;
}

/* The worker's engine: its own flow table sized from the config, LAN
 * networks deciding which side is the device. */
static struct engine *worker_engine(struct worker *w, const struct policy_main *m)
{
	struct engine_cidr nets[64];
	struct engine_cfg ec;
	unsigned int i;

	engine_cfg_defaults(&ec);
	ec.flow_capacity = m->flow_table_size;
	ec.packet_budget = m->packet_budget;
	ec.dns_cache_size = m->dns_cache_size;
	ec.dns_ttl_min = m->dns_ttl_min;
	ec.dns_ttl_max = m->dns_ttl_max;
	/* A capture's tunnels are decoded as `netify classify` does; inline,
	 * the verdict is the outer packet's, so its flow is the outer one. */
	ec.decode_tunnels = w->d->replay;
	/* Flow ids unique across workers: 2^24 per worker before they wrap. */
	ec.flow_id_base = (uint32_t)(w->queue - m->queue_first) << 24;
	for (i = 0; i < m->lan_network.n && i < ARRAY_SIZE(nets); i++) {
		nets[i].family = m->lan_network.v[i].family == AF_INET ? 4 : 6;
		nets[i].bits = m->lan_network.v[i].prefix;
		memcpy(nets[i].addr, m->lan_network.v[i].addr, 16);
	}
	ec.local_nets = nets;	/* copied by engine_new() */
	ec.n_local_nets = i;
	verdict_callbacks(w, &ec.cb);
	return engine_new(&ec);
}

static int worker_init(struct daemon_ctx *d, struct worker *w, unsigned int idx)
{
	w->d = d;
	w->idx = idx;
	w->queue = (uint16_t)(d->main.queue_first + idx);
	pthread_mutex_init(&w->lock, NULL);
	pthread_mutex_init(&w->inbox.lock, NULL);
	if (!(w->e = worker_engine(w, &d->main)) || verdict_pool_init(w, d->main.flow_table_size) ||
	    verdict_capture_init(w) || jsonw_init(&w->ev, FLOWJSON_INITIAL, FLOWJSON_MAX)) {
		log_msg(LOG_ERR, "worker %u: out of memory", idx);
		return -1;
	}
	return 0;
}

/* Kernel side of a worker: its queue and a conntrack socket. */
static int worker_open(struct worker *w)
{
	struct nfqueue_opts o;

	nfqueue_opts_defaults(&o);
	o.fail_open = w->d->main.fail_open;
	if (!(w->q = nfqueue_open(w->queue, &o))) {
		log_msg(LOG_ERR, "queue %u: %s%s", w->queue, strerror(errno),
			errno == EBUSY || errno == EEXIST ? " (another netify running?)" : "");
		return -1;
	}
	if (!(w->ct = ct_open()))
		log_msg(LOG_WARNING, "conntrack socket: %s; reload cannot update live flows", strerror(errno));
	if (w->idx == 0)
		log_msg(LOG_INFO, "queue conntrack info: %s",
			nfqueue_has_conntrack(w->q) ? "yes" : "no (marks saved by the nft verdict chain)");
	return 0;
}

static void worker_fini(struct worker *w)
{
	if (!w->d)
		return;
	if (w->e)
		engine_free(w->e);
	nfqueue_close(w->q);
	ct_close(w->ct);
	jsonw_free(&w->ev);
	free(w->pool);
	flowcap_free(w->cap);
	pthread_mutex_destroy(&w->inbox.lock);
	pthread_mutex_destroy(&w->lock);
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
	nft_cfg_from(d, c->policy, &nc);
	if (d->nft_installed && classes_changed(&nc, &d->nftcfg)) {
		if (nft_install(d->nft, &nc) == 0)
			d->nftcfg = nc;
		else
			log_msg(LOG_ERR, "nftables: QoS classes not updated: %s", strerror(errno));
	}
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
	struct engine_result res;
	int rc;

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
	r->w->in_packet = true;
	rc = engine_process(r->w->e, lt, data, caplen, ts_us, &res);
	r->w->in_packet = false;
	if (rc == 0 && res.flow && verdict_state(r->w, res.flow))
		verdict_capture_packet(r->w, &res, lt, data, caplen, ts_us);
	pthread_mutex_unlock(&r->w->lock);
	return r->w->d->stop ? 1 : 0;
}

static int daemon_replay(struct daemon_ctx *d)
{
	struct replay r = { .w = &d->w[0], .pace = d->opts.pace };
	char err[512];
	int ret;

	d->w[0].cfg = d->cfg;
	engine_set_apps(d->w[0].e, d->cfg->apps);
	/* the sockets live as long as the capture: clients can watch a replay */
	if (daemon_ctl_start(d)) {
		log_msg(LOG_WARNING, "replay without monitor and control sockets");
		daemon_ctl_stop(d);
	}
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
		d->w[i].cfg = d->cfg;
		d->w[i].gen = d->cfg->gen;
		engine_set_apps(d->w[i].e, d->cfg->apps);
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

	daemon_ctl_stop(d);
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
	if (daemon_kernel_start(d) || daemon_ctl_start(d) || daemon_threads_start(d))
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
