/* Connections being counted: see conntab.h. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "log.h"
#include "util.h"
#include "conntab.h"

#define CONN_NONE UINT32_MAX
#define CONN_CHECKING (1 << 5)	/* named by conntab_missing(), not seen since */
#define CONN_USED (1 << 7)

struct conntab {
	struct conn *c;
	uint32_t *buckets;	/* chain head index + 1, 0 empty: calloc'ed, untouched until used */
	uint32_t mask, cap, count;
	uint32_t free_head, high;
	uint32_t round;
	uint64_t seed;
	struct conn gone;	/* the entry a destroy event removed, for its delta */
	struct conntab_stats st;
	int full_logged, untracked_logged;
};

static uint32_t bucket_of(const struct conntab *tab, const struct ct_tuple *t)
{
	return ct_tuple_hash(t, tab->seed) & tab->mask;
}

/* The first index of t's chain, CONN_NONE when empty (0 - 1 wraps to it). */
static uint32_t chain_of(const struct conntab *tab, const struct ct_tuple *t)
{
	return tab->buckets[bucket_of(tab, t)] - 1;
}

struct conntab *conntab_new(uint32_t capacity, uint64_t seed)
{
	struct conntab *tab;
	uint32_t n = 16;

	if (!capacity || capacity > (1u << 26)) {
		errno = EINVAL;
		return NULL;
	}
	if (!(tab = calloc(1, sizeof(*tab))))
		return NULL;
	while (n < capacity)
		n <<= 1;
	tab->mask = n - 1;
	tab->cap = capacity;
	if (!(tab->c = calloc(capacity, sizeof(*tab->c))))
		goto out_free_tab;
	if (!(tab->buckets = calloc(n, sizeof(*tab->buckets))))
		goto out_free_conns;
	tab->free_head = CONN_NONE;
	tab->seed = seed ? seed : util_random64();
	tab->round = 1;
	tab->st.capacity = capacity;
	return tab;

out_free_conns:
	free(tab->c);
out_free_tab:
	free(tab);
	return NULL;
}

void conntab_free(struct conntab *tab)
{
	if (!tab)
		return;
	free(tab->buckets);
	free(tab->c);
	free(tab);
}

size_t conntab_entry_size(void)
{
	return sizeof(struct conn);
}

static struct conn *conn_alloc(struct conntab *tab, const struct ct_tuple *t)
{
	uint32_t i, b;
	struct conn *c;

	if (tab->free_head != CONN_NONE) {
		i = tab->free_head;
		tab->free_head = tab->c[i].next;
	} else if (tab->high < tab->cap) {
		i = tab->high++;
	} else {
		return NULL;
	}
	c = &tab->c[i];
	memset(c, 0, sizeof(*c));
	c->t = *t;
	c->flags = CONN_USED;
	b = bucket_of(tab, t);
	c->next = tab->buckets[b] - 1;
	tab->buckets[b] = i + 1;
	tab->count++;
	return c;
}

static void conn_remove(struct conntab *tab, struct conn *c)
{
	uint32_t i = (uint32_t)(c - tab->c), b = bucket_of(tab, &c->t), j;

	if (tab->buckets[b] == i + 1) {
		tab->buckets[b] = c->next + 1;		/* CONN_NONE + 1 == 0 */
	} else {
		for (j = tab->buckets[b] - 1; j != CONN_NONE; j = tab->c[j].next)
			if (tab->c[j].next == i) {
				tab->c[j].next = c->next;
				break;
			}
	}
	c->flags = 0;
	c->next = tab->free_head;
	tab->free_head = i;
	tab->count--;
}

static void conn_map(struct conn *c, const struct usage_flow *f)
{
	c->flow_id = f->flow_id;
	memcpy(c->mac, f->mac, 6);
	c->app = f->app;
	c->category = f->category;
	c->flags &= (uint8_t)~(CONN_LOCAL_SRC | CONN_BLOCKED | CONN_UNMAPPED);
	if (f->local_is_src)
		c->flags |= CONN_LOCAL_SRC;
	if (f->blocked)
		c->flags |= CONN_BLOCKED;
	c->n_limits = f->n_limits < USAGE_FLOW_LIMITS ? f->n_limits : USAGE_FLOW_LIMITS;
	memset(c->limits, 0, sizeof(c->limits));
	memcpy(c->limits, f->limits, c->n_limits * sizeof(c->limits[0]));
}

enum conntab_note_result conntab_note(struct conntab *tab, const struct usage_flow *f, uint32_t now_min)
{
	struct conn *c;
	uint32_t i;

	tab->st.notes++;
	for (i = chain_of(tab, &f->tuple); i != CONN_NONE; i = tab->c[i].next) {
		c = &tab->c[i];
		if (!ct_tuple_eq(&c->t, &f->tuple))
			continue;
		if (c->flow_id == f->flow_id && !(c->flags & CONN_UNMAPPED)) {
			conn_map(c, f);
			return CONNTAB_UPDATED;
		}
		if (c->flags & CONN_UNMAPPED) {
			/* read before its registration came through: now it is
			 * someone's; what was counted unmapped stays there */
			conn_map(c, f);
			return CONNTAB_NEW;
		}
		if (!(c->flags & CONN_BOUND)) {
			/* an earlier flow with this tuple that never reached the
			 * kernel's table: nothing of it was counted */
			conn_map(c, f);
			c->created = now_min;
			return CONNTAB_NEW;
		}
		/* bound to an older connection whose destroy event is still
		 * to come: the new one gets its own entry */
	}
	if (!(c = conn_alloc(tab, &f->tuple))) {
		tab->st.full++;
		log_once(&tab->full_logged, LOG_WARNING,
			 "usage: connection table full (%u): connections not counted (counted)", tab->cap);
		return CONNTAB_FULL;
	}
	conn_map(c, f);
	c->created = now_min;
	return CONNTAB_NEW;
}

/* The entry for reading r of tuple t: the one bound to r's conntrack id,
 * else one not bound yet (then bound now). */
static struct conn *conn_find(struct conntab *tab, const struct ct_tuple *t, uint32_t id, bool by_reply)
{
	struct conn *unbound = NULL, *c;
	uint32_t i;

	for (i = chain_of(tab, t); i != CONN_NONE; i = tab->c[i].next) {
		c = &tab->c[i];
		if (!ct_tuple_eq(&c->t, t))
			continue;
		if (c->flags & CONN_BOUND) {
			if (c->ct_id == id)
				return c;
		} else if (!unbound) {
			unbound = c;
		}
	}
	if (unbound) {
		unbound->ct_id = id;
		unbound->flags |= CONN_BOUND | (by_reply ? CONN_BY_REPLY : 0);
	}
	return unbound;
}

static void delta_of(struct conn *c, const struct ctacct_rec *r, struct conn_delta *d)
{
	uint64_t o = r->bytes[CT_DIR_ORIG], p = r->bytes[CT_DIR_REPLY];
	/* counters only grow; a smaller value is a new start */
	uint64_t dor = o >= c->base[CT_DIR_ORIG] ? o - c->base[CT_DIR_ORIG] : o;
	uint64_t drp = p >= c->base[CT_DIR_REPLY] ? p - c->base[CT_DIR_REPLY] : p;

	c->base[CT_DIR_ORIG] = o;
	c->base[CT_DIR_REPLY] = p;
	d->bytes_out = c->flags & CONN_LOCAL_SRC ? dor : drp;
	d->bytes_in = c->flags & CONN_LOCAL_SRC ? drp : dor;
}

int conntab_reading(struct conntab *tab, const struct ctacct_rec *r, uint32_t now_min, struct conn_delta *d)
{
	struct ct_tuple rev;
	struct conn *c;

	memset(d, 0, sizeof(*d));
	tab->st.readings++;
	c = conn_find(tab, &r->orig, r->id, false);
	if (!c && r->has_reply) {
		ct_tuple_reverse(&rev, &r->reply);
		c = conn_find(tab, &rev, r->id, true);
	}
	if (!c && r->kind == CTACCT_DESTROY) {
		/* never seen and already gone: its whole life, once */
		memset(&tab->gone, 0, sizeof(tab->gone));
		tab->gone.t = r->orig;
		tab->gone.flags = CONN_USED | CONN_BOUND | CONN_UNMAPPED | CONN_LOCAL_SRC;
		tab->gone.app = tab->gone.category = -1;
		tab->gone.ct_id = r->id;
		tab->st.unmapped++;
		d->c = &tab->gone;
		d->unmapped = d->ended = true;
		if (!r->has_counters)
			return -1;
		delta_of(&tab->gone, r, d);
		return 0;
	}
	if (!c) {
		if (!(c = conn_alloc(tab, &r->orig))) {
			tab->st.untracked++;
			log_once(&tab->untracked_logged, LOG_WARNING,
				 "usage: connection table full (%u): unregistered connections not counted (counted)",
				 tab->cap);
			return -1;
		}
		c->flags |= CONN_BOUND | CONN_UNMAPPED | CONN_LOCAL_SRC;
		c->ct_id = r->id;
		c->app = c->category = -1;
		c->created = now_min;
		tab->st.unmapped++;
	}
	c->seen = tab->round;
	c->flags &= (uint8_t)~CONN_CHECKING;
	d->c = c;
	d->unmapped = c->flags & CONN_UNMAPPED;
	if (r->has_counters)
		delta_of(c, r, d);
	if (r->kind == CTACCT_DESTROY) {
		tab->gone = *c;
		conn_remove(tab, c);
		d->c = &tab->gone;
		d->ended = true;
	}
	return r->has_counters ? 0 : -1;
}

void conntab_round(struct conntab *tab)
{
	tab->round++;
}

static bool conn_unseen(const struct conntab *tab, const struct conn *c, uint32_t now_min, uint32_t grace)
{
	if (!(c->flags & CONN_USED) || c->seen == tab->round)
		return false;
	/* a connection whose first packet is still in the queue is not in
	 * the kernel's table yet: give a fresh registration time */
	return (c->flags & CONN_BOUND) || now_min - c->created > grace;
}

size_t conntab_missing(struct conntab *tab, uint32_t now_min, uint32_t grace, struct ct_tuple *t,
		       uint8_t *dir, size_t max)
{
	size_t n = 0;

	for (uint32_t i = 0; i < tab->high; i++) {
		struct conn *c = &tab->c[i];

		if (!conn_unseen(tab, c, now_min, grace))
			continue;
		/* not bound yet: it may be known by either tuple (DNAT) */
		if (n + ((c->flags & CONN_BOUND) ? 1 : 2) > max)
			break;
		c->flags |= CONN_CHECKING;
		if (c->flags & CONN_BOUND) {
			t[n] = c->t;
			dir[n++] = c->flags & CONN_BY_REPLY ? CT_DIR_REPLY : CT_DIR_ORIG;
		} else {
			t[n] = c->t;
			dir[n++] = CT_DIR_ORIG;
			t[n] = c->t;
			dir[n++] = CT_DIR_REPLY;
		}
	}
	return n;
}

size_t conntab_sweep(struct conntab *tab, uint32_t now_min, uint32_t grace, bool remove)
{
	size_t n = 0;

	for (uint32_t i = 0; i < tab->high; i++) {
		struct conn *c = &tab->c[i];

		if (!(c->flags & CONN_CHECKING))
			continue;
		c->flags &= (uint8_t)~CONN_CHECKING;
		if (!remove || !conn_unseen(tab, c, now_min, grace))
			continue;
		if (c->flags & CONN_BOUND)
			tab->st.lost++;
		else
			tab->st.never_read++;
		conn_remove(tab, c);
		n++;
	}
	return n;
}

void conntab_foreach(struct conntab *tab, void (*fn)(void *ctx, struct conn *c), void *ctx)
{
	for (uint32_t i = 0; i < tab->high; i++)
		if (tab->c[i].flags & CONN_USED)
			fn(ctx, &tab->c[i]);
}

int conntab_restore(struct conntab *tab, const struct conn *saved)
{
	struct conn *c;

	if ((saved->t.family != 4 && saved->t.family != 6) || saved->n_limits > USAGE_FLOW_LIMITS)
		return -1;
	for (uint32_t i = chain_of(tab, &saved->t); i != CONN_NONE; i = tab->c[i].next)
		if (ct_tuple_eq(&tab->c[i].t, &saved->t) && tab->c[i].flow_id == saved->flow_id &&
		    tab->c[i].ct_id == saved->ct_id)
			return 0;	/* restored already */
	if (!(c = conn_alloc(tab, &saved->t))) {
		tab->st.full++;
		return -1;
	}
	c->flow_id = saved->flow_id;
	memcpy(c->base, saved->base, sizeof(c->base));
	memcpy(c->limits, saved->limits, sizeof(c->limits));
	c->ct_id = saved->ct_id;
	c->created = saved->created;
	c->app = saved->app;
	c->category = saved->category;
	memcpy(c->mac, saved->mac, 6);
	c->n_limits = saved->n_limits;
	/* not seen yet: the first complete round checks it is still there */
	c->flags = CONN_USED | (saved->flags & (CONN_BOUND | CONN_BY_REPLY | CONN_LOCAL_SRC | CONN_BLOCKED |
						CONN_UNMAPPED));
	c->seen = 0;
	return 0;
}

void conntab_stats(const struct conntab *tab, struct conntab_stats *st)
{
	*st = tab->st;
	st->entries = tab->count;
}
