/* The daemon's workers: one per NFQUEUE queue (or one for a replayed
 * capture), each with its own engine, flow outcomes (verdict.h) and
 * unknown-flow captures (flowcap.h). worker_packet() is what happens to
 * every packet, whatever its source; the engine's callbacks decide at the
 * moments inspection names a flow or ends, and send the flow events. */
#include "config.h"

#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <sched.h>
#include <stdio.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include "apps.h"
#include "ct.h"
#include "daemon_int.h"
#include "flowcap.h"
#include "flowevent.h"
#include "flowjson.h"
#include "log.h"
#include "monitor.h"
#include "nfq.h"
#include "util.h"

#define WORKER_POLL_MS 200		/* also bounds how late a reload is noticed */
#define WORKER_NICE (-10)		/* when a real-time priority is not permitted */

static uint64_t wall_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (uint64_t)ts.tv_sec * 1000000u + (uint64_t)ts.tv_nsec / 1000u;
}

/* ---- the packet path ------------------------------------------------ */

/* A UDP answer from port 53 goes to every other worker's DNS inbox. */
static void worker_dns_share(struct worker *w, const struct engine_result *res)
{
	unsigned int i;

	if (w->d->n_workers < 2 || !res->dns || res->pkt.l4proto != IPPROTO_UDP)
		return;
	for (i = 0; i < w->d->n_workers; i++)
		if (&w->d->w[i] != w)
			dnscache_inbox_post(&w->d->w[i].inbox, res->dns, res->dns_len);
}

struct flowstate *worker_packet(struct worker *w, const struct worker_pkt *p)
{
	const struct nfqueue_pkt *q = p->nfq;
	struct engine_result res;
	struct flowstate *fs;
	int rc;

	dnscache_inbox_drain(&w->inbox, engine_dnscache(w->e), util_wall_ms() / 1000);
	w->in_packet = true;
	rc = engine_lookup(w->e, p->lt, p->data, p->len, p->ts_us, &res);
	/* the device is known before inspection decides anything */
	if (q && rc == 0 && res.flow && (fs = verdict_state(&w->v, res.flow)))
		verdict_note(&w->v, res.flow, fs, res.side, q->indev, q->has_hwaddr ? q->hwaddr : NULL);
	engine_inspect(w->e, &res);
	w->in_packet = false;
	if (rc < 0 || res.status != DECODE_OK || !res.flow) {
		w->st.not_ip++;
		return NULL;
	}
	if (!(fs = verdict_state(&w->v, res.flow)))
		return NULL;
	flowcap_packet(w->cap, &fs->cap, res.flow, res.created, p->lt, p->data, p->len, p->ts_us);
	worker_dns_share(w, &res);
	verdict_packet(&w->v, res.flow, fs, time(NULL));
	return fs;
}

/* One queued packet: classify, then answer with the flow's mark bits.
 * Whatever goes wrong, the packet is accepted (v starts as NF_ACCEPT). */
static void worker_on_queued(void *user, const struct nfqueue_pkt *p, struct nfqueue_verdict *v)
{
	struct worker *w = user;
	struct worker_pkt wp = { LINK_RAW, p->payload, p->len, wall_us(), p };
	struct flowstate *fs = worker_packet(w, &wp);

	if (fs && fs->bits) {
		v->set_mark = true;
		v->mark = marks_apply(&w->d->marks, p->mark, fs->bits);
		fs->committed = 1;
	}
}

/* ---- flow events ---------------------------------------------------- */

void worker_outcome(const struct worker *w, const struct policy *p, const struct flow *f,
		    const struct flowstate *fs, struct flowevent_outcome *o)
{
	uint8_t l = engine_local_side(w->e, f);
	const uint8_t *mac = fs && fs->has_mac ? fs->mac : f->has_mac ? f->mac[l] : NULL;
	const struct policy_class *c;

	memset(o, 0, sizeof(*o));
	o->rule = fs && fs->rule ? policy_rule_name(fs->rule) : NULL;
	o->action = fs && fs->action != VERDICT_NONE ? policy_action_name((enum policy_action)fs->action) : "none";
	c = fs && fs->rule && fs->action == POLICY_QOS ? policy_rule_class(fs->rule) : NULL;
	o->class_name = c ? c->name : NULL;
	o->blocked = fs && fs->action == POLICY_BLOCK;
	o->has_mark = fs != NULL;
	o->mark = fs ? fs->bits : 0;
	o->device = policy_device_name(p, mac, f->key.family == 4 ? AF_INET : AF_INET6, f->key.addr[l]);
}

/* Sends the event just written to the monitor, and to d->events (stdout
 * when replaying). */
static void worker_emit(struct worker *w)
{
	const char *buf;
	size_t len;

	if (!(buf = jsonw_buf(&w->ev, &len))) {
		w->st.events_dropped++;	/* past FLOWJSON_MAX: cannot happen today */
	} else {
		if (w->d->mon && monitor_publish(w->d->mon, buf, len))
			w->st.events_dropped++;
		if (w->d->events) {
			fwrite(buf, 1, len, w->d->events);
			fputc('\n', w->d->events);
		}
	}
	jsonw_reset(&w->ev);
}

static const struct policy *worker_policy(const struct worker *w)
{
	return w->cfg ? w->cfg->policy : NULL;
}

static void worker_on_flow_done(void *user, struct engine *e, struct flow *f)
{
	struct worker *w = user;
	struct flowstate *fs = verdict_state(&w->v, f);
	struct flowevent_outcome o;

	if (fs) {
		verdict_evaluate(&w->v, f, fs, time(NULL));
		flowcap_flow_done(w->cap, &fs->cap, f, w->in_packet);
	}
	if (!w->d->mon && !w->d->events)
		return;
	worker_outcome(w, worker_policy(w), f, fs, &o);
	if (fs && fs->has_mac && !f->has_mac)
		o.local_mac = fs->mac;
	flowevent_flow(&w->ev, e, f, &o);
	worker_emit(w);
}

static void worker_on_flow_update(void *user, struct engine *e, struct flow *f)
{
	struct worker *w = user;
	struct flowstate *fs = verdict_state(&w->v, f);

	(void)e;
	if (fs)
		verdict_update(&w->v, f, fs, time(NULL));
}

static void worker_on_flow_purge(void *user, struct engine *e, struct flow *f, enum flow_purge why)
{
	struct worker *w = user;
	struct flowstate *fs = f->user;
	struct flowevent_outcome o;

	if (w->d->mon || w->d->events) {
		worker_outcome(w, worker_policy(w), f, fs, &o);
		flowevent_purge(&w->ev, e, f, why, &o);
		worker_emit(w);
	}
	if (fs)
		flowcap_flow_gone(w->cap, &fs->cap, f);
	daemon_usage_flow_gone(w, f);
	daemon_export_flow_gone(w, f, why);
	verdict_state_put(&w->v, f);
}

/* ---- the kernel side of decisions ----------------------------------- */

static int worker_block(void *ctx, const struct flow *f, uint8_t l, enum verdict_tie tie)
{
	struct worker *w = ctx;
	struct daemon_ctx *d = w->d;
	uint8_t o = (uint8_t)!l;

	if (!d->nft)
		return -1;
	if (tie == VERDICT_TIE_DNS)	/* remembered, so a later answer can take it back */
		return nft_block_add_dns(d->nft, d->nftcfg.table, f->key.family, f->key.addr[l],
					 f->key.addr[o], f->key.proto, f->key.port[o], d->main.block_timeout,
					 f->app_id);
	return nft_block_add(d->nft, d->nftcfg.table, f->key.family, f->key.addr[l], f->key.addr[o],
			     f->key.proto, f->key.port[o], d->main.block_timeout);
}

/* Every address a DNS answer teaches this worker's cache (its own packets
 * or, through the inbox, the other workers'): a block-set entry that rested
 * on the address having only the blocked application's name is taken back
 * when a name of another application shows up for it. The worker that sees
 * the answer in its packet path does so before the answer's verdict, so
 * the client that asked never meets the stale entry. */
static void worker_dns_learned(void *ctx, int family, const uint8_t *addr, const char *name)
{
	struct worker *w = ctx;
	struct daemon_ctx *d = w->d;
	int app, n;

	if (!d->nft || !nft_block_dns_any(d->nft))
		return;
	app = w->cfg && w->cfg->apps ? apps_match_host(w->cfg->apps, name) : -1;
	n = nft_block_withdraw(d->nft, d->nftcfg.table, family == AF_INET ? 4 : 6, addr, app);
	if (n > 0)
		w->v.st.block_set_withdrawn += (uint64_t)n;
	else if (n < 0)
		w->v.st.block_set_errors++;
}

void worker_tuple(const struct flow *f, struct ct_tuple *t)
{
	uint8_t i = f->init_side, r = (uint8_t)!i;

	memset(t, 0, sizeof(*t));
	t->family = f->key.family;
	memcpy(t->src, f->key.addr[i], 16);
	memcpy(t->dst, f->key.addr[r], 16);
	t->proto = f->key.proto;
	t->sport = f->key.port[i];
	t->dport = f->key.port[r];
}

static int worker_remark(void *ctx, const struct flow *f, uint32_t bits)
{
	struct worker *w = ctx;
	struct ct_tuple t;

	worker_tuple(f, &t);
	if (ct_set_mark(w->ct, &t, bits, w->d->marks.used) == 0)
		return 0;
	log_msg(LOG_DEBUG, "flow %u: conntrack mark: %s", f->id, strerror(errno));
	return -1;
}

/* ---- configuration and the loop ------------------------------------- */

void worker_set_config(struct worker *w, const struct config *c)
{
	w->cfg = c;
	engine_set_apps(w->e, c->apps);
	verdict_set_config(&w->v, c->policy, c->apps);
}

/* Picks up a new configuration: the worker switches, re-evaluates its
 * flows, then acknowledges so the old one can be freed. */
void worker_sync_config(struct worker *w)
{
	struct config *c = __atomic_load_n(&w->d->cfg, __ATOMIC_ACQUIRE);

	if (c == w->cfg)
		return;
	worker_set_config(w, c);
	verdict_reevaluate(&w->v, time(NULL));
	__atomic_store_n(&w->gen, c->gen, __ATOMIC_RELEASE);
}

/* A queued packet waits until its worker gets a CPU: on a busy 2-core
 * router that wait, not netify's own work, made the verdict p99 (1.5-3.9
 * ms loaded, 0.2 ms at SCHED_FIFO 1). The worker sleeps in poll() when
 * idle, and the kernel's real-time throttling bounds a runaway one. */
static void worker_set_priority(struct worker *w)
{
	struct sched_param sp = { .sched_priority = (int)w->d->main.worker_priority };
	int err;

	if (!sp.sched_priority)
		return;
	err = pthread_setschedparam(pthread_self(), SCHED_FIFO, &sp);
	if (!err) {
		log_msg(LOG_INFO, "queue %u: worker at real-time priority %d (SCHED_FIFO)",
			w->queue, sp.sched_priority);
		return;
	}
	/* per-thread nice: Linux keeps it per task */
	if (setpriority(PRIO_PROCESS, (id_t)syscall(SYS_gettid), WORKER_NICE) == 0)
		log_msg(LOG_NOTICE, "queue %u: real-time priority not permitted (%s): worker at nice %d",
			w->queue, strerror(err), WORKER_NICE);
	else
		log_msg(LOG_NOTICE, "queue %u: neither real-time priority (%s) nor nice %d "
			"permitted: worker at normal priority", w->queue, strerror(err), WORKER_NICE);
}

void *worker_main(void *arg)
{
	struct worker *w = arg;
	struct pollfd pfd = { .fd = nfqueue_fd(w->q), .events = POLLIN };
	uint64_t last_expire = util_mono_ms(), now;
	bool reeval = false;

	worker_set_priority(w);
	while (!w->d->stop) {
		/* a re-evaluation under way goes on between packets, not after
		 * the next one: poll without waiting until it is done */
		if (poll(&pfd, 1, reeval ? 0 : WORKER_POLL_MS) < 0 && errno != EINTR)
			log_msg(LOG_WARNING, "queue %u: poll: %s", w->queue, strerror(errno));
		pthread_mutex_lock(&w->lock);
		worker_sync_config(w);
		/* other workers' DNS answers, also while no packet comes: they
		 * may withdraw a block-set entry this worker added */
		dnscache_inbox_drain(&w->inbox, engine_dnscache(w->e), util_wall_ms() / 1000);
		daemon_usage_worker_sync(w);
		if (pfd.revents)
			nfqueue_receive(w->q, worker_on_queued, w);
		reeval = verdict_reevaluate_step(&w->v, time(NULL));
		now = util_mono_ms();
		if (now - last_expire >= 1000) {
			engine_expire(w->e, wall_us());
			verdict_schedule_tick(&w->v, time(NULL));
			last_expire = now;
		}
		pthread_mutex_unlock(&w->lock);
	}
	return NULL;
}

/* ---- life cycle ----------------------------------------------------- */

/* The worker's engine: its own flow table sized from the config, LAN
 * networks deciding which side is the device. */
static struct engine *worker_engine(struct worker *w, const struct policy_main *m)
{
	struct engine_cidr nets[64];
	struct engine_cfg ec;
	unsigned int i;

	engine_cfg_defaults(&ec);
	ec.flow_capacity = m->flow_table_size;
	ec.dpi_capacity = m->inspect_slots;
	/* every dpi_share queues use the first one's nDPI module (built
	 * before: workers start in order) */
	if (m->dpi_share > 1 && w->idx % m->dpi_share)
		ec.dpi_share = w->d->w[w->idx - w->idx % m->dpi_share].e;
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
	ec.cb = (struct engine_callbacks){ .flow_done = worker_on_flow_done,
					   .flow_update = worker_on_flow_update,
					   .flow_purge = worker_on_flow_purge, .user = w };
	return engine_new(&ec);
}

/* Unknown flows' packets go to the monitor, which writes the files. */
static int worker_capture_sink(void *ctx, uint32_t flow_id, const uint8_t *file, size_t len)
{
	struct daemon_ctx *d = ctx;

	return d->mon ? monitor_capture(d->mon, flow_id, file, len) : -1;
}

static int worker_capture_init(struct worker *w)
{
	uint32_t n = w->d->main.flow_table_size;

	if (!w->d->main.capture_unknown_dir)
		return 0;
	/* a flow holds its slot only while inspected, so far fewer than the
	 * flow table; past that, flows go uncaptured and are counted */
	w->cap = flowcap_new(n < FLOWCAP_SLOTS ? n : FLOWCAP_SLOTS, w->d->main.capture_unknown_max_bytes,
			     worker_capture_sink, w->d);
	return w->cap ? 0 : -1;
}

int worker_init(struct daemon_ctx *d, struct worker *w, unsigned int idx)
{
	w->d = d;
	w->idx = idx;
	w->queue = (uint16_t)(d->main.queue_first + idx);
	pthread_mutex_init(&w->lock, NULL);
	dnscache_inbox_init(&w->inbox);
	if (!(w->e = worker_engine(w, &d->main)) ||
	    verdict_init(&w->v, w->e, &d->marks, d->main.flow_table_size, NULL) ||
	    worker_capture_init(w) || jsonw_init(&w->ev, FLOWJSON_INITIAL, FLOWJSON_MAX)) {
		log_msg(LOG_ERR, "worker %u: out of memory", idx);
		return -1;
	}
	return 0;
}

/* Kernel side of a worker: its queue and a conntrack socket, and the
 * decisions' requests to the kernel (block set, conntrack marks). */
int worker_open(struct worker *w)
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
	w->v.ops = (struct verdict_ops){ .block = worker_block, .remark = w->ct ? worker_remark : NULL,
					 .ctx = w };
	if (engine_dnscache(w->e))
		dnscache_set_observer(engine_dnscache(w->e), worker_dns_learned, w);
	return 0;
}

void worker_fini(struct worker *w)
{
	if (!w->d)
		return;
	if (w->e)
		engine_free(w->e);
	nfqueue_close(w->q);
	ct_close(w->ct);
	jsonw_free(&w->ev);
	verdict_fini(&w->v);
	flowcap_free(w->cap);
	dnscache_inbox_destroy(&w->inbox);
	pthread_mutex_destroy(&w->lock);
}
