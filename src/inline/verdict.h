/* Per-flow policy outcome and the mark bits it turns into.
 *
 * One struct verdict per worker: a pool of flow states sized like the flow
 * table (flow->user), the policy and definitions in force, the mark layout.
 * Each decision matches the flow against the policy and recomputes its
 * mark bits:
 *   block -> blocked (at once, even mid-inspection; when the flow's server
 *            address belongs to the blocked application alone, it also
 *            goes into the block set so the device's next connection there
 *            dies at its first packet; see verdict_tie)
 *   qos   -> class bits, plus released once inspection ended
 *   other -> released once inspection ended
 * A DNS flow is released only once its answer went by, so the hint cache
 * learns from it. The caller puts the bits in its verdict's packet mark;
 * nft copies them into the conntrack mark. What the decision asks of the
 * kernel (a block-set entry, a live connection's new mark) goes through
 * verdict_ops, so the decisions run, and are tested, without a kernel.
 * Nothing here is locked: a struct verdict belongs to one worker.
 */
#ifndef NETIFY_VERDICT_H
#define NETIFY_VERDICT_H

#include <stdbool.h>
#include <stdint.h>
#include <time.h>

#include "marks.h"

struct apps_db;
struct engine;
struct flow;
struct flowcap_slot;
struct policy;
struct policy_input;
struct policy_rule;

#define VERDICT_NONE 0xff	/* flowstate.action: no rule */
#define VERDICT_IFCACHE 32	/* interface names remembered */
/* flow table slots re-matched per step: ~0.1-0.3 ms of a worker's time */
#define VERDICT_REEVAL_STEP 256

/* The daemon's view of one flow: its policy outcome. */
struct flowstate {
	const struct policy_rule *rule;	/* winning rule, NULL if none */
	struct flowcap_slot *cap;	/* the capture module's, while inspected (flowcap.h) */
	struct flowstate *next_free;
	uint32_t bits;		/* netify's mark bits decided for the flow */
	uint32_t indev;		/* ingress ifindex of the local side */
	uint8_t action;		/* enum policy_action, or VERDICT_NONE */
	uint8_t mac[6];		/* local side MAC (NFQUEUE hw address) */
	uint8_t has_mac:1, committed:1, in_block_set:1;
};

/*
 * What ties a blocked flow's server address to its application alone, so
 * that the address may go into the block set. On a shared front end
 * (Google, Cloudflare, Akamai, Meta's edge) the address serves other
 * applications too: then nothing goes into the set, and each new
 * connection of the device there is inspected and blocked, or not, on its
 * own name, at its ClientHello or request, before any payload passes.
 */
enum verdict_tie {
	VERDICT_TIE_NONE,	/* shared, or nothing says: no block-set entry */
	VERDICT_TIE_NET,	/* a net: range of the application itself (no platform's) */
	VERDICT_TIE_DNS,	/* the DNS hint cache saw one name for it, the application's */
	__VERDICT_TIE_MAX
};

/* What a decision asks of the kernel side. A NULL callback means there is
 * no such kernel state (a replay, a test): nothing is asked or counted. */
struct verdict_ops {
	/* Put (local address, server, protocol, server port) of @f into the
	 * block set; @local is the local key side, @tie why the address is the
	 * application's alone (a DNS tie may be withdrawn later, when another
	 * application's name shows up for the address). 0, or -1 (counted). */
	int (*block)(void *ctx, const struct flow *f, uint8_t local, enum verdict_tie tie);
	/* Rewrite the conntrack mark of @f's live connection to @bits. */
	int (*remark)(void *ctx, const struct flow *f, uint32_t bits);
	void *ctx;
	/* Whether a limit rule's budget is spent (policy_input.limit_spent:
	 * lock-free); NULL: limit rules never match. */
	bool (*limit_spent)(void *ctx, uint64_t key, const uint8_t mac[6], time_t now);
	/* @f's decision changed (its mark bits): once per decided flow, a few
	 * times at most, never per packet; @in is what it was matched with. */
	void (*decided)(void *ctx, const struct flow *f, const struct flowstate *fs,
			const struct policy_input *in, time_t now);
};

struct verdict_stats {
	uint64_t flows_blocked, flows_released, flows_qos;
	uint64_t block_set_adds, block_set_errors;
	uint64_t block_set_shared;	/* blocked flows whose server is not the app's alone */
	uint64_t block_set_withdrawn;	/* DNS-tied entries taken back (worker's DNS observer) */
	uint64_t ct_updates, ct_errors;
	uint64_t pool_empty;	/* flows without state (cannot happen when sized right) */
};

struct verdict {
	struct engine *e;		/* local side, protocol names, the flows */
	struct marks marks;
	const struct policy *policy;	/* in force; NULL: none */
	const struct apps_db *apps;	/* for categories; may be NULL */
	struct verdict_ops ops;
	struct flowstate *pool, *free_list;
	uint32_t capacity, fresh;	/* pool[fresh..capacity) never used yet */
	struct { uint32_t ifindex; char name[16]; } ifcache[VERDICT_IFCACHE];
	uint64_t sched_sig;		/* rules active at the last tick */
	uint32_t reeval_pos;		/* next flow table slot of a re-evaluation */
	uint32_t reeval_step;		/* slots per step (VERDICT_REEVAL_STEP) */
	bool reeval_busy;		/* a re-evaluation walk is under way */
	struct verdict_stats st;
};

/** verdict_init - a pool of @capacity states; 0, or -1 (ENOMEM) */
int verdict_init(struct verdict *v, struct engine *e, const struct marks *m, uint32_t capacity,
		 const struct verdict_ops *ops);
void verdict_fini(struct verdict *v);

/** verdict_set_config - the policy and definitions flows are matched
 * against from now on (flows already decided keep their outcome until
 * verdict_reevaluate()) */
void verdict_set_config(struct verdict *v, const struct policy *p, const struct apps_db *apps);

/** verdict_state - @f's state, taken from the pool on first use; NULL when
 * the pool is empty (counted) */
struct flowstate *verdict_state(struct verdict *v, struct flow *f);
/** verdict_state_put - @f leaves the table: its state goes back */
void verdict_state_put(struct verdict *v, struct flow *f);

/** verdict_note - remembers the local device's interface and MAC from a
 * packet the flow's key side @side sent (NFQUEUE gives them out of band;
 * @hwaddr may be NULL) */
void verdict_note(struct verdict *v, const struct flow *f, struct flowstate *fs, uint8_t side,
		  uint32_t indev, const uint8_t *hwaddr);

/** verdict_tie - what ties @f's server address to @f's application
 * alone: the application's own net: range (not a platform's, and no other
 * application's), else a DNS hint cache whose only name for the address
 * is the application's; VERDICT_TIE_NONE otherwise */
enum verdict_tie verdict_tie(struct verdict *v, const struct flow *f);

/** verdict_evaluate - matches @f against the policy at @now and sets
 * fs->bits (requesting the block set when it turns blocked) */
void verdict_evaluate(struct verdict *v, struct flow *f, struct flowstate *fs, time_t now);

/** verdict_update - the engine named @f anew during its inspection: decide
 * now, and end the inspection of a blocked flow (nothing more to learn) */
void verdict_update(struct verdict *v, struct flow *f, struct flowstate *fs, time_t now);

/** verdict_packet - after each packet of @f: a flow whose inspection is
 * over but that is neither released nor blocked (a DNS flow waiting for
 * its answer) is decided again */
void verdict_packet(struct verdict *v, struct flow *f, struct flowstate *fs, time_t now);

/** verdict_reevaluate - every flow matched again (new policy); a flow
 * whose decision had reached the kernel (fs->committed) and changed gets
 * its conntrack mark rewritten.  Starts a walk over the flow table (again
 * from the start if one is under way) and runs its first step of
 * v->reeval_step slots; verdict_reevaluate_step() runs the rest, so a
 * worker with 65,536 flows keeps answering packets in between. */
void verdict_reevaluate(struct verdict *v, time_t now);

/** verdict_reevaluate_step - next step of a walk verdict_reevaluate()
 * started; true while the walk is not over */
bool verdict_reevaluate_step(struct verdict *v, time_t now);

/** verdict_schedule_tick - about once a second: when a rule's schedule
 * starts or ends, every flow is matched again (verdict_reevaluate) */
void verdict_schedule_tick(struct verdict *v, time_t now);

#endif
