/* Per-flow policy outcome and the mark bits it turns into (see verdict.h). */
#include <net/if.h>
#include <netinet/in.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "apps.h"
#include "dnscache.h"
#include "engine.h"
#include "policy.h"
#include "verdict.h"

int verdict_init(struct verdict *v, struct engine *e, const struct marks *m, uint32_t capacity,
		 const struct verdict_ops *ops)
{
	memset(v, 0, sizeof(*v));
	v->e = e;
	v->marks = *m;
	if (ops)
		v->ops = *ops;
	v->pool = calloc(capacity ? capacity : 1, sizeof(*v->pool));
	if (!v->pool)
		return -1;
	/* no free list through the pool: states are handed out in index
	 * order, so an idle worker never touches the pool's pages */
	v->capacity = capacity;
	v->reeval_step = VERDICT_REEVAL_STEP;
	return 0;
}

void verdict_fini(struct verdict *v)
{
	free(v->pool);
	v->pool = v->free_list = NULL;
}

void verdict_set_config(struct verdict *v, const struct policy *p, const struct apps_db *apps)
{
	v->policy = p;
	v->apps = apps;
	v->sched_sig = 0;	/* the next tick takes the new policy's schedules as they are */
}

struct flowstate *verdict_state(struct verdict *v, struct flow *f)
{
	struct flowstate *fs = f->user;

	if (fs)
		return fs;
	if ((fs = v->free_list)) {
		v->free_list = fs->next_free;
	} else if (v->fresh < v->capacity) {
		fs = &v->pool[v->fresh++];
	} else {
		v->st.pool_empty++;
		return NULL;
	}
	memset(fs, 0, sizeof(*fs));
	fs->action = VERDICT_NONE;
	f->user = fs;
	return fs;
}

void verdict_state_put(struct verdict *v, struct flow *f)
{
	struct flowstate *fs = f->user;

	if (!fs)
		return;
	fs->next_free = v->free_list;
	v->free_list = fs;
	f->user = NULL;
}

void verdict_note(struct verdict *v, const struct flow *f, struct flowstate *fs, uint8_t side,
		  uint32_t indev, const uint8_t *hwaddr)
{
	if (fs->has_mac || side != engine_local_side(v->e, f))
		return;
	fs->indev = indev;
	if (hwaddr) {
		memcpy(fs->mac, hwaddr, 6);
		fs->has_mac = 1;
	}
}

static const char *verdict_ifname(struct verdict *v, uint32_t ifindex)
{
	unsigned int slot = ifindex % VERDICT_IFCACHE;

	if (!ifindex)
		return NULL;
	if (v->ifcache[slot].ifindex != ifindex) {
		/* once per flow at most, and only on a cache miss */
		if (!if_indextoname(ifindex, v->ifcache[slot].name))
			return NULL;
		v->ifcache[slot].ifindex = ifindex;
	}
	return v->ifcache[slot].name;
}

static bool verdict_is_dns(const struct verdict *v, const struct flow *f)
{
	return f->proto_master && !strcmp(engine_proto_name(v->e, f->proto_master), "DNS");
}

static void verdict_input(struct verdict *v, const struct flow *f, const struct flowstate *fs,
			  struct policy_input *in)
{
	uint8_t l = engine_local_side(v->e, f);
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
	in->ifname = verdict_ifname(v, fs->indev);
	/* A DNS lookup of a blocked app's name is not the app: dropping it
	 * would make the client wait for a DNS timeout instead of failing fast
	 * on connect, and would hide the answer from the DNS hint cache that
	 * names the app's next connection. */
	if (!verdict_is_dns(v, f)) {
		in->app_id = f->app_id;
		if (f->app_id >= 0 && v->apps && (a = apps_get(v->apps, f->app_id)))
			in->category_id = a->category;
		/* nDPI's own application may name another one (netify.5) */
		in->app_ndpi_id = engine_ndpi_app_catalog(v->e, f);
		in->proto_ip_id = f->proto_ip ? f->proto_ip : -1;
	}
	in->proto_id = f->proto_app ? f->proto_app : -1;
	in->proto_master_id = f->proto_master ? f->proto_master : -1;
	in->limit_spent = v->ops.limit_spent;
	in->limit_ctx = v->ops.ctx;
}

enum verdict_tie verdict_tie(struct verdict *v, const struct flow *f)
{
	const uint8_t *addr = f->key.addr[!f->init_side];
	struct dnscache *dc = engine_dnscache(v->e);
	const char *name;
	int owner;

	if (f->app_id < 0 || !v->apps)
		return VERDICT_TIE_NONE;
	/* the catalog's word first: an operator's network is shared by
	 * definition, another application's range is not this one's */
	owner = apps_match_addr(v->apps, f->key.family, addr);
	if (owner >= 0)
		return owner == f->app_id && !apps_is_platform(v->apps, owner) ? VERDICT_TIE_NET :
		       VERDICT_TIE_NONE;
	/* then the names the network asked for: one name, the application's
	 * (a second name for the address, whatever its application, and the
	 * address is not tied; a later one withdraws the entry, worker.c) */
	name = dc ? dnscache_sole_name(dc, f->key.family, addr, f->last_seen / 1000) : NULL;
	return name && apps_match_host(v->apps, name) == f->app_id ? VERDICT_TIE_DNS : VERDICT_TIE_NONE;
}

/* Puts the flow's (device, server, port) in the block set when the server
 * address is the blocked application's alone: the device's next
 * connection there is dropped by nft before any inspection. Otherwise the
 * next connection is inspected and judged on its own name. */
static void verdict_block_set(struct verdict *v, const struct flow *f, struct flowstate *fs)
{
	uint8_t l = engine_local_side(v->e, f);
	enum verdict_tie tie;

	/* a spent daily limit is a budget, not a standing block: an entry
	 * would outlive its renewal (the next connections are refused at their
	 * first decision instead) */
	if (fs->in_block_set || !v->ops.block || l != f->init_side ||
	    (fs->rule && fs->rule->limit_key) ||
	    (f->key.proto != IPPROTO_TCP && f->key.proto != IPPROTO_UDP))
		return;
	fs->in_block_set = 1;
	if ((tie = verdict_tie(v, f)) == VERDICT_TIE_NONE) {
		v->st.block_set_shared++;
		return;
	}
	if (v->ops.block(v->ops.ctx, f, l, tie) == 0)
		v->st.block_set_adds++;
	else
		v->st.block_set_errors++;
}

static uint32_t verdict_bits(const struct verdict *v, const struct flow *f, const struct flowstate *fs)
{
	const struct marks *m = &v->marks;
	uint32_t bits = 0;

	if (fs->action == POLICY_BLOCK)
		return m->blocked;
	if (fs->action == POLICY_QOS && fs->rule && policy_rule_class(fs->rule))
		bits |= marks_class(m, policy_rule_class(fs->rule)->mark);
	/* a DNS flow stays queued until its answer went by: the hint cache
	 * learns from the answer, the flow itself is done at the query */
	if (f->state == FLOW_DONE && (f->packets[!f->init_side] || !verdict_is_dns(v, f)))
		bits |= m->released;
	return bits;
}

void verdict_evaluate(struct verdict *v, struct flow *f, struct flowstate *fs, time_t now)
{
	struct policy_input in;
	uint32_t old = fs->bits;

	verdict_input(v, f, fs, &in);
	fs->rule = v->policy ? policy_match(v->policy, &in, now, NULL) : NULL;
	fs->action = fs->rule ? (uint8_t)policy_rule_action(fs->rule) : VERDICT_NONE;
	fs->bits = verdict_bits(v, f, fs);
	if (fs->bits == old)
		return;
	if (v->ops.decided)
		v->ops.decided(v->ops.ctx, f, fs, &in, now);
	if (fs->bits & v->marks.blocked) {
		v->st.flows_blocked++;
		verdict_block_set(v, f, fs);
	} else if ((fs->bits & v->marks.released) && !(old & v->marks.released)) {
		v->st.flows_released++;
		if (fs->bits & v->marks.class_mask)
			v->st.flows_qos++;
	}
}

void verdict_update(struct verdict *v, struct flow *f, struct flowstate *fs, time_t now)
{
	verdict_evaluate(v, f, fs, now);
	/* A blocked flow has nothing more to teach: its flow event goes out
	 * now, with the block, instead of when it times out. */
	if (fs->action == POLICY_BLOCK)
		engine_finish_soon(f);
}

void verdict_packet(struct verdict *v, struct flow *f, struct flowstate *fs, time_t now)
{
	if (f->state == FLOW_DONE && !(fs->bits & (v->marks.released | v->marks.blocked)))
		verdict_evaluate(v, f, fs, now);
}

/* ---- re-evaluation ---- */

struct verdict_walk {
	struct verdict *v;
	time_t now;
};

/* Re-matches one flow under the new policy; a flow whose decision already
 * reached the kernel gets its conntrack mark rewritten, so a now-blocked
 * live connection is cut at its next packet and a now-allowed one flows. */
static int verdict_reevaluate_one(void *user, struct flow *f)
{
	struct verdict_walk *vw = user;
	struct verdict *v = vw->v;
	struct flowstate *fs = f->user;
	uint32_t old;

	if (!fs)
		return 0;
	old = fs->bits;
	verdict_evaluate(v, f, fs, vw->now);
	if (fs->bits == old || !fs->committed || !v->ops.remark)
		return 0;
	if (v->ops.remark(v->ops.ctx, f, fs->bits) == 0)
		v->st.ct_updates++;
	else
		v->st.ct_errors++;
	return 0;
}

bool verdict_reevaluate_step(struct verdict *v, time_t now)
{
	struct verdict_walk vw = { v, now };

	if (!v->reeval_busy)
		return false;
	/* a flow keeps its slot while it lives: none is seen twice, and one
	 * that arrives behind the walk is matched under the new policy anyway */
	v->reeval_busy = engine_foreach_flow_step(v->e, &v->reeval_pos, v->reeval_step,
						  verdict_reevaluate_one, &vw) != 0;
	return v->reeval_busy;
}

void verdict_reevaluate(struct verdict *v, time_t now)
{
	v->reeval_pos = 0;
	v->reeval_busy = true;
	verdict_reevaluate_step(v, now);
}

/* Which rules are active now, folded into one number: when a schedule
 * starts or ends, it changes and live flows are matched again, so a rule
 * "from 22:00" also cuts the connections already open at 22:00. */
static uint64_t verdict_schedule_signature(const struct policy *p, time_t now)
{
	uint64_t sig = 0x9e3779b97f4a7c15ull;
	size_t i;

	for (i = 0; p && i < p->n_rules; i++)
		sig = (sig ^ (policy_rule_active(&p->rules[i], now) ? i + 1 : 0)) * 0x100000001b3ull;
	return sig;
}

void verdict_schedule_tick(struct verdict *v, time_t now)
{
	uint64_t sig = verdict_schedule_signature(v->policy, now);

	if (sig == v->sched_sig)
		return;
	if (v->sched_sig)
		verdict_reevaluate(v, now);
	v->sched_sig = sig;
}
