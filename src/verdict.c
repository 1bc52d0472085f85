/* Per-flow policy outcome and the mark bits it turns into.
 *
 * The engine calls back when a flow's application changes (flow_update)
 * and when its inspection ends (flow_done). Each time, the flow is matched
 * against the policy and its mark bits are recomputed:
 *   block -> blocked (at once, even mid-inspection; the flow's server also
 *            goes into the block set so the device's next connection dies
 *            at its first packet)
 *   qos   -> class bits, plus released once inspection ended
 *   other -> released once inspection ended
 * The packet path (daemon.c) puts the bits in the verdict's packet mark;
 * nft copies them into the conntrack mark.
 */
#include <errno.h>
#include <stdio.h>
#include <net/if.h>
#include <netinet/in.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>

#include "apps.h"
#include "ct.h"
#include "daemon_int.h"
#include "flowcap.h"
#include "flowjson.h"
#include "log.h"
#include "monitor.h"
#include "nfq.h"

int verdict_pool_init(struct worker *w, uint32_t capacity)
{
	uint32_t i;

	w->pool = calloc(capacity ? capacity : 1, sizeof(*w->pool));
	if (!w->pool)
		return -1;
	for (i = 0; i + 1 < capacity; i++)
		w->pool[i].next_free = &w->pool[i + 1];
	w->free_list = capacity ? w->pool : NULL;
	return 0;
}

/* The flow's state, taken from the pool on first use. */
struct flowstate *verdict_state(struct worker *w, struct flow *f)
{
	struct flowstate *fs = f->user;

	if (fs)
		return fs;
	if (!(fs = w->free_list)) {
		w->st.pool_empty++;
		return NULL;
	}
	w->free_list = fs->next_free;
	memset(fs, 0, sizeof(*fs));
	fs->action = FS_NONE;
	f->user = fs;
	return fs;
}

static void verdict_state_put(struct worker *w, struct flow *f)
{
	struct flowstate *fs = f->user;

	if (!fs)
		return;
	fs->next_free = w->free_list;
	w->free_list = fs;
	f->user = NULL;
}

/* The packet's source address equals the flow's address on side s. */
static bool pkt_from_side(const struct nfqueue_pkt *p, const struct flow *f, uint8_t s)
{
	if (f->key.family == 4)
		return p->len >= 20 && !memcmp(p->payload + 12, f->key.addr[s], 4);
	return p->len >= 40 && !memcmp(p->payload + 8, f->key.addr[s], 16);
}

/* Remembers the local device's MAC and ingress interface from the packet
 * being handled (NFQUEUE gives them out of band; the payload starts at IP). */
void verdict_note_packet(struct worker *w, struct flow *f, struct flowstate *fs)
{
	const struct nfqueue_pkt *p = w->cur;

	if (!p || fs->has_mac || !pkt_from_side(p, f, engine_local_side(w->e, f)))
		return;
	fs->indev = p->indev;
	if (p->has_hwaddr) {
		memcpy(fs->mac, p->hwaddr, 6);
		fs->has_mac = 1;
	}
}

static const char *ifname_of(struct worker *w, uint32_t ifindex)
{
	unsigned int slot = ifindex % DAEMON_IFCACHE;

	if (!ifindex)
		return NULL;
	if (w->ifcache[slot].ifindex != ifindex) {
		/* once per flow at most, and only on a cache miss */
		if (!if_indextoname(ifindex, w->ifcache[slot].name))
			return NULL;
		w->ifcache[slot].ifindex = ifindex;
	}
	return w->ifcache[slot].name;
}

static bool is_dns(struct engine *e, const struct flow *f)
{
	return f->proto_master && !strcmp(engine_proto_name(e, f->proto_master), "DNS");
}

static void policy_input_of(struct worker *w, struct flow *f, const struct flowstate *fs,
			    struct policy_input *in)
{
	uint8_t l = engine_local_side(w->e, f);
	const struct apps_app *a;

	policy_input_init(in);
	if (fs->has_mac) {
		in->has_mac = true;
		memcpy(in->mac, fs->mac, 6);
	} else if (f->has_mac) {
		in->has_mac = true;
		memcpy(in->mac, f->mac[l], 6);
	}
	in->family = f->key.family == 4 ? AF_INET : AF_INET6;
	memcpy(in->addr, f->key.addr[l], 16);
	in->ifname = ifname_of(w, fs->indev);
	/* A DNS lookup of a blocked app's name is not the app: dropping it
	 * would make the client wait for a DNS timeout instead of failing fast
	 * on connect, and would hide the answer from the DNS hint cache that
	 * names the app's next connection. */
	if (!is_dns(w->e, f)) {
		in->app_id = f->app_id;
		if (f->app_id >= 0 && w->cfg->apps && (a = apps_get(w->cfg->apps, f->app_id)))
			in->category_id = a->category;
		/* nDPI's own application may name another one (netify.5) */
		in->app_ndpi_id = engine_ndpi_app_catalog(w->e, f);
		in->proto_ip_id = f->proto_ip ? f->proto_ip : -1;
	}
	in->proto_id = f->proto_app ? f->proto_app : -1;
	in->proto_master_id = f->proto_master ? f->proto_master : -1;
}

/* Puts the flow's (device, server, port) in the block set: the device's
 * next connection there is dropped by nft before any inspection. */
static void verdict_block_set(struct worker *w, struct flow *f, struct flowstate *fs)
{
	struct daemon_ctx *d = w->d;
	uint8_t l = engine_local_side(w->e, f), o = (uint8_t)!l;

	if (fs->in_block_set || !d->nft || l != f->init_side ||
	    (f->key.proto != IPPROTO_TCP && f->key.proto != IPPROTO_UDP))
		return;
	fs->in_block_set = 1;
	if (nft_block_add(d->nft, d->nftcfg.table, f->key.family, f->key.addr[l], f->key.addr[o],
			  f->key.proto, f->key.port[o], d->main.block_timeout) == 0)
		w->st.block_set_adds++;
	else
		w->st.block_set_errors++;
}

static uint32_t verdict_bits(struct worker *w, const struct flow *f, const struct flowstate *fs)
{
	const struct marks *m = &w->d->marks;
	uint32_t bits = 0;

	if (fs->action == POLICY_BLOCK)
		return m->blocked;
	if (fs->action == POLICY_QOS && fs->rule && policy_rule_class(fs->rule))
		bits |= marks_class(m, policy_rule_class(fs->rule)->mark);
	/* a DNS flow stays queued until its answer went by: the hint cache
	 * learns from the answer, the flow itself is done at the query */
	if (f->state == FLOW_DONE && (f->packets[!f->init_side] || !is_dns(w->e, f)))
		bits |= m->released;
	return bits;
}

void verdict_evaluate(struct worker *w, struct flow *f, struct flowstate *fs)
{
	const struct policy *p = w->cfg->policy;
	struct policy_input in;
	uint32_t old = fs->bits;

	policy_input_of(w, f, fs, &in);
	fs->rule = p ? policy_match(p, &in, time(NULL), NULL) : NULL;
	fs->action = fs->rule ? (uint8_t)policy_rule_action(fs->rule) : FS_NONE;
	fs->bits = verdict_bits(w, f, fs);
	if (fs->bits == old)
		return;
	if (fs->bits & w->d->marks.blocked) {
		w->st.flows_blocked++;
		verdict_block_set(w, f, fs);
	} else if ((fs->bits & w->d->marks.released) && !(old & w->d->marks.released)) {
		w->st.flows_released++;
		if (fs->bits & w->d->marks.class_mask)
			w->st.flows_qos++;
	}
}

/* ---- unknown-flow captures ------------------------------------------ */

/* pcap link types of the packet sources' layers (pcap-linktype(7)) */
static const uint32_t capture_dlt[__LINK_MAX] = {
	[LINK_ETHERNET] = 1, [LINK_SLL] = 113, [LINK_SLL2] = 276, [LINK_RAW] = 101,
	[LINK_NULL] = 0, [LINK_PPP] = 9, [LINK_CHDLC] = 104, [LINK_PPI] = 192,
};

int verdict_capture_init(struct worker *w)
{
	uint32_t n = w->d->main.flow_table_size;

	if (!w->d->main.capture_unknown_dir)
		return 0;
	/* a flow holds its slot only while inspected, so far fewer than the
	 * flow table; past that, flows go uncaptured and are counted */
	w->cap = flowcap_new(n < FLOWCAP_SLOTS ? n : FLOWCAP_SLOTS);
	return w->cap ? 0 : -1;
}

static bool capture_wanted(const struct flow *f)
{
	return !f->proto_master && f->app_id < 0;
}

/* Hands the flow's packets over if it ended unknown, then frees its slot. */
static void capture_end(struct worker *w, const struct flow *f, struct flowstate *fs)
{
	if (!fs || !fs->cap)
		return;
	if (fs->cap_pending)
		flowcap_hand(w->cap, fs->cap, w->d->mon, f->id);
	flowcap_put(w->cap, fs->cap);
	fs->cap = NULL;
	fs->cap_pending = 0;
}

/* Inspection of f ended. Inside engine_process() the packet that ended it
 * is not kept yet: verdict_capture_packet() (or the purge) hands it over. */
static void capture_flow_done(struct worker *w, const struct flow *f, struct flowstate *fs)
{
	if (!fs || !fs->cap)
		return;
	fs->cap_pending = capture_wanted(f);
	if (!fs->cap_pending || !w->in_packet)
		capture_end(w, f, fs);
}

/* After engine_process(): keeps the packet if its flow is captured. */
void verdict_capture_packet(struct worker *w, const struct engine_result *res, enum link_type lt,
			    const uint8_t *data, uint32_t len, uint64_t ts_us)
{
	struct flowstate *fs;

	if (!w->cap || !res->flow || !(fs = res->flow->user))
		return;
	if (res->created && res->flow->state == FLOW_INSPECTING && lt < __LINK_MAX)
		fs->cap = flowcap_get(w->cap, capture_dlt[lt]);
	if (!fs->cap)
		return;
	flowcap_add(w->cap, fs->cap, data, len, ts_us);
	if (res->flow->state == FLOW_DONE)
		capture_end(w, res->flow, fs);
}

/* The "capture_unknown" member of agent_status, summed over workers. */
void verdict_capture_status(struct daemon_ctx *d, yajl_gen g)
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

/* ---- events --------------------------------------------------------- */

/* The name of the `config device` a flow's local side belongs to. */
const char *verdict_device(const struct policy *p, const struct flow *f, uint8_t l,
			   const struct flowstate *fs)
{
	const uint8_t *mac = fs && fs->has_mac ? fs->mac : f->has_mac ? f->mac[l] : NULL;
	size_t i, j;

	for (i = 0; p && i < p->n_devices; i++) {
		const struct policy_device *dv = &p->devices[i];

		for (j = 0; mac && j < dv->macs.n; j++)
			if (!memcmp(dv->macs.v[j], mac, 6))
				return dv->name;
		for (j = 0; j < dv->ips.n; j++)
			if ((dv->ips.v[j].family == AF_INET) == (f->key.family == 4) &&
			    !memcmp(dv->ips.v[j].addr, f->key.addr[l], f->key.family == 4 ? 4 : 16))
				return dv->name;
	}
	return NULL;
}

void verdict_write_outcome(struct jsonw *j, struct worker *w, const struct flow *f, const struct flowstate *fs)
{
	const struct policy_class *c;

	jsonw_name(j, "netify");
	jsonw_map_open(j);
	jsonw_kv_str(j, "rule", fs && fs->rule ? policy_rule_name(fs->rule) : NULL);
	jsonw_kv_str(j, "action", fs && fs->action != FS_NONE ?
		    policy_action_name((enum policy_action)fs->action) : "none");
	c = fs && fs->rule && fs->action == POLICY_QOS ? policy_rule_class(fs->rule) : NULL;
	jsonw_kv_str(j, "class", c ? c->name : NULL);
	jsonw_kv_bool(j, "blocked", fs && fs->action == POLICY_BLOCK);
	if (fs)
		jsonw_kv_int(j, "mark", fs->bits);
	jsonw_kv_str(j, "device", verdict_device(w->cfg ? w->cfg->policy : NULL, f,
						 engine_local_side(w->e, f), fs));
	jsonw_map_close(j);
}

static void mac_text(const uint8_t *m, char *buf, size_t len)
{
	snprintf(buf, len, "%02x:%02x:%02x:%02x:%02x:%02x", m[0], m[1], m[2], m[3], m[4], m[5]);
}

/* Sends the generator's event to the monitor, or stdout when replaying. */
static void verdict_emit(struct worker *w)
{
	const char *buf;
	size_t len;

	if (!(buf = jsonw_buf(&w->ev, &len))) {
		w->st.events_dropped++;	/* past FLOWJSON_MAX: cannot happen today */
	} else {
		if (w->d->mon && monitor_publish(w->d->mon, buf, len))
			w->st.events_dropped++;
		if (w->d->replay) {
			fwrite(buf, 1, len, stdout);
			fputc('\n', stdout);
		}
	}
	jsonw_reset(&w->ev);
}

static void on_flow_done(void *user, struct engine *e, struct flow *f)
{
	struct worker *w = user;
	struct flowstate *fs = verdict_state(w, f);
	char mac[18];

	if (fs) {
		verdict_note_packet(w, f, fs);
		verdict_evaluate(w, f, fs);
		capture_flow_done(w, f, fs);
	}
	if (!w->d->mon && !w->d->replay)
		return;
	flowjson_open(&w->ev, e, f);
	if (fs && fs->has_mac && !f->has_mac) {
		mac_text(fs->mac, mac, sizeof(mac));
		jsonw_kv_str(&w->ev, "local_mac", mac);
	}
	verdict_write_outcome(&w->ev, w, f, fs);
	flowjson_close(&w->ev);
	verdict_emit(w);
}

static void on_flow_update(void *user, struct engine *e, struct flow *f)
{
	struct worker *w = user;
	struct flowstate *fs = verdict_state(w, f);

	(void)e;
	if (!fs)
		return;
	verdict_note_packet(w, f, fs);
	verdict_evaluate(w, f, fs);
	/* A blocked flow has nothing more to teach: its flow event goes out
	 * now, with the block, instead of when it times out. */
	if (fs->action == POLICY_BLOCK)
		engine_finish_soon(f);
}

static void purge_json(struct worker *w, struct engine *e, struct flow *f, enum flow_purge why)
{
	uint8_t l = engine_local_side(e, f);
	struct jsonw *j = &w->ev;

	jsonw_map_open(j);
	jsonw_kv_str(j, "type", "flow_purge");
	jsonw_kv_str(j, "reason", flow_purge_name(why));
	jsonw_name(j, "flow");
	jsonw_map_open(j);
	jsonw_kv_int(j, "flow_id", f->id);
	jsonw_kv_int(j, "first_seen_at", (long long)f->first_seen);
	jsonw_kv_int(j, "last_seen_at", (long long)f->last_seen);
	jsonw_kv_int(j, "local_packets", f->packets[l]);
	jsonw_kv_int(j, "other_packets", f->packets[!l]);
	jsonw_kv_int(j, "local_bytes", (long long)f->bytes[l]);
	jsonw_kv_int(j, "other_bytes", (long long)f->bytes[!l]);
	verdict_write_outcome(j, w, f, f->user);
	jsonw_map_close(j);
	jsonw_map_close(j);
}

static void on_flow_purge(void *user, struct engine *e, struct flow *f, enum flow_purge why)
{
	struct worker *w = user;

	if (w->d->mon || w->d->replay) {
		purge_json(w, e, f, why);
		verdict_emit(w);
	}
	capture_end(w, f, f->user);
	verdict_state_put(w, f);
}

void verdict_callbacks(struct worker *w, struct engine_callbacks *cb)
{
	cb->flow_done = on_flow_done;
	cb->flow_update = on_flow_update;
	cb->flow_purge = on_flow_purge;
	cb->user = w;
}

/* ---- reload --------------------------------------------------------- */

static void tuple_of(const struct flow *f, struct ct_tuple *t)
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

/* Re-matches one flow under the new policy; a flow whose decision already
 * reached the kernel gets its conntrack mark rewritten, so a now-blocked
 * live connection is cut at its next packet and a now-allowed one flows. */
static int reevaluate_one(void *user, struct flow *f)
{
	struct worker *w = user;
	struct flowstate *fs = f->user;
	struct ct_tuple t;
	uint32_t old;

	if (!fs)
		return 0;
	old = fs->bits;
	verdict_evaluate(w, f, fs);
	if (fs->bits == old || !fs->committed || !w->ct)
		return 0;
	tuple_of(f, &t);
	if (ct_set_mark(w->ct, &t, fs->bits, w->d->marks.used) == 0) {
		w->st.ct_updates++;
	} else {
		w->st.ct_errors++;
		log_msg(LOG_DEBUG, "flow %u: conntrack mark: %s", f->id, strerror(errno));
	}
	return 0;
}

void verdict_reevaluate(struct worker *w)
{
	engine_foreach_flow(w->e, reevaluate_one, w);
}

/* Which rules are active now, folded into one number: when a schedule
 * starts or ends, it changes and live flows are matched again, so a rule
 * "from 22:00" also cuts the connections already open at 22:00. */
static uint64_t schedule_signature(const struct policy *p, time_t now)
{
	uint64_t sig = 0x9e3779b97f4a7c15ull;
	size_t i;

	for (i = 0; p && i < p->n_rules; i++)
		sig = (sig ^ (policy_rule_active(&p->rules[i], now) ? i + 1 : 0)) * 0x100000001b3ull;
	return sig;
}

void verdict_schedule_tick(struct worker *w, time_t now)
{
	uint64_t sig = schedule_signature(w->cfg ? w->cfg->policy : NULL, now);

	if (sig == w->sched_sig)
		return;
	if (w->sched_sig)
		verdict_reevaluate(w);
	w->sched_sig = sig;
}
