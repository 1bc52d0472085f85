/* Flow table.
 *
 * One array of struct flow, a power-of-two bucket array of chain heads, and
 * one LRU list per timeout class (TCP, closing TCP, UDP, other). Each list
 * is ordered by last use, so expiry pops from its tail and stops at the
 * first flow that is still fresh: O(expired), not O(table). Eviction takes
 * the oldest of the four tails. Indices, not pointers, link the lists;
 * hash chains (buckets and hnext) hold index + 1, so that 0 ends a chain
 * and the calloc'ed bucket array costs no RAM until flows arrive (the
 * free list, also through hnext, holds plain indices).
 */
#include <stdlib.h>
#include <string.h>
#include <netinet/in.h>

#include "flow.h"
#include "log.h"
#include "util.h"

enum lru_class { LRU_TCP, LRU_TCP_CLOSED, LRU_UDP, LRU_OTHER, __LRU_MAX };

struct lru {
	uint32_t head, tail;
};

struct flow_table {
	struct flow *flows;
	uint32_t *buckets;
	uint32_t capacity, mask, free_head, next_id;
	uint32_t fresh;		/* entries never used yet start here */
	uint64_t seed;
	struct lru lru[__LRU_MAX];
	uint32_t timeout_ms[__LRU_MAX];
	flow_purge_cb purge;
	void *user;
	struct flow_stats stats;
	int full_logged;
};

static enum lru_class flow_class(const struct flow *f)
{
	switch (f->key.proto) {
	case IPPROTO_TCP:
		return (f->rst_seen || (f->fin_seen0 && f->fin_seen1)) ? LRU_TCP_CLOSED : LRU_TCP;
	case IPPROTO_UDP:
		return LRU_UDP;
	default:
		return LRU_OTHER;
	}
}

static void lru_unlink(struct flow_table *t, struct flow *f, enum lru_class cl)
{
	struct lru *l = &t->lru[cl];

	if (f->lru_prev != FLOW_NONE)
		t->flows[f->lru_prev].lru_next = f->lru_next;
	else
		l->head = f->lru_next;
	if (f->lru_next != FLOW_NONE)
		t->flows[f->lru_next].lru_prev = f->lru_prev;
	else
		l->tail = f->lru_prev;
}

static void lru_push(struct flow_table *t, struct flow *f, enum lru_class cl)
{
	struct lru *l = &t->lru[cl];
	uint32_t idx = (uint32_t)(f - t->flows);

	f->lru_prev = FLOW_NONE;
	f->lru_next = l->head;
	if (l->head != FLOW_NONE)
		t->flows[l->head].lru_prev = idx;
	l->head = idx;
	if (l->tail == FLOW_NONE)
		l->tail = idx;
}

struct flow_table *flow_table_new(uint32_t capacity, uint64_t seed, const struct flow_timeouts *to,
				  flow_purge_cb purge, void *user)
{
	struct flow_table *t;
	uint32_t nb = 1;
	int i;

	if (!capacity || capacity > (1u << 28))
		return NULL;
	t = calloc(1, sizeof(*t));
	if (!t)
		return NULL;
	while (nb < capacity)
		nb <<= 1;
	t->flows = calloc(capacity, sizeof(*t->flows));
	t->buckets = calloc(nb, sizeof(*t->buckets));	/* all chains empty */
	if (!t->flows || !t->buckets)
		goto out_free;
	/* Entries are handed out in order before the free list is used, so
	 * calloc's untouched pages of a big, mostly empty table cost no RAM. */
	t->free_head = FLOW_NONE;
	for (i = 0; i < __LRU_MAX; i++)
		t->lru[i].head = t->lru[i].tail = FLOW_NONE;
	t->capacity = capacity;
	t->mask = nb - 1;
	t->seed = seed ? seed : util_random64();
	t->timeout_ms[LRU_TCP] = to->tcp * 1000;
	t->timeout_ms[LRU_TCP_CLOSED] = to->tcp_closed * 1000;
	t->timeout_ms[LRU_UDP] = to->udp * 1000;
	t->timeout_ms[LRU_OTHER] = to->other * 1000;
	t->purge = purge;
	t->user = user;
	return t;

out_free:
	free(t->flows);
	free(t->buckets);
	free(t);
	return NULL;
}

void flow_table_free(struct flow_table *t)
{
	if (!t)
		return;
	free(t->flows);
	free(t->buckets);
	free(t);
}

void flow_key_from_pkt(const struct pkt *p, struct flow_key *k, uint8_t *side)
{
	int cmp;

	memset(k, 0, sizeof(*k));
	if (p->family == 6) {
		cmp = memcmp(p->src, p->dst, 16);
	} else {	/* memcmp's order, without the call */
		uint32_t s, d;

		memcpy(&s, p->src, 4);
		memcpy(&d, p->dst, 4);
		s = ntohl(s);
		d = ntohl(d);
		cmp = s < d ? -1 : s > d;
	}
	if (cmp == 0)
		cmp = p->sport < p->dport ? -1 : p->sport > p->dport;
	*side = cmp > 0;
	if (p->family == 6) {
		memcpy(k->addr[*side], p->src, 16);
		memcpy(k->addr[!*side], p->dst, 16);
	} else {
		memcpy(k->addr[*side], p->src, 4);
		memcpy(k->addr[!*side], p->dst, 4);
	}
	k->port[*side] = p->sport;
	k->port[!*side] = p->dport;
	k->vlan = p->vlan;
	k->family = p->family;
	k->proto = p->l4proto;
}

/* An IPv4 key is mostly the zeros of its unused address bytes: its hash
 * reads the 16 bytes that carry something (3 rounds of util_hash, not 6). */
static uint32_t bucket_of(const struct flow_table *t, const struct flow_key *k)
{
	uint8_t v4[16];

	if (k->family == 6)
		return (uint32_t)util_hash(k, sizeof(*k), t->seed) & t->mask;
	memcpy(v4, k->addr[0], 4);
	memcpy(v4 + 4, k->addr[1], 4);
	memcpy(v4 + 8, k->port, 4);
	memcpy(v4 + 12, &k->vlan, 2);
	v4[14] = k->family;
	v4[15] = k->proto;
	return (uint32_t)util_hash(v4, sizeof(v4), t->seed) & t->mask;
}

struct flow *flow_find(struct flow_table *t, const struct flow_key *k)
{
	uint32_t l;

	t->stats.lookups++;
	for (l = t->buckets[bucket_of(t, k)]; l; l = t->flows[l - 1].hnext)
		if (!memcmp(&t->flows[l - 1].key, k, sizeof(*k)))
			return &t->flows[l - 1];
	return NULL;
}

static void hash_unlink(struct flow_table *t, struct flow *f)
{
	uint32_t *pp = &t->buckets[bucket_of(t, &f->key)];
	uint32_t link = (uint32_t)(f - t->flows) + 1;

	while (*pp && *pp != link)
		pp = &t->flows[*pp - 1].hnext;
	if (*pp == link)
		*pp = f->hnext;
}

void flow_remove(struct flow_table *t, struct flow *f, enum flow_purge why)
{
	if (!f->in_use)
		return;
	if (t->purge)
		t->purge(t->user, f, why);
	lru_unlink(t, f, (enum lru_class)f->lru_class);
	hash_unlink(t, f);
	f->in_use = 0;
	f->hnext = t->free_head;
	t->free_head = (uint32_t)(f - t->flows);
	t->stats.active--;
	if (why == FLOW_PURGE_EVICTED)
		t->stats.evictions++;
	else if (why == FLOW_PURGE_IDLE)
		t->stats.expired++;
	else if (why == FLOW_PURGE_CLOSED)
		t->stats.closed++;
}

/* The least recently used flow across the classes. */
static struct flow *oldest_flow(struct flow_table *t)
{
	struct flow *best = NULL;
	int i;

	for (i = 0; i < __LRU_MAX; i++) {
		struct flow *f;

		if (t->lru[i].tail == FLOW_NONE)
			continue;
		f = &t->flows[t->lru[i].tail];
		if (!best || f->last_seen < best->last_seen)
			best = f;
	}
	return best;
}

static struct flow *flow_alloc(struct flow_table *t)
{
	struct flow *f;

	if (t->free_head == FLOW_NONE && t->fresh < t->capacity)
		return &t->flows[t->fresh++];
	if (t->free_head == FLOW_NONE) {
		f = oldest_flow(t);
		if (!f)
			return NULL;
		log_once(&t->full_logged, LOG_WARNING,
			 "flow table full (%u flows): evicting least recently used flows", t->capacity);
		if (f->state == FLOW_INSPECTING)
			t->stats.evict_inspecting++;
		flow_remove(t, f, FLOW_PURGE_EVICTED);
	}
	f = &t->flows[t->free_head];
	t->free_head = f->hnext;
	return f;
}

struct flow *flow_get(struct flow_table *t, const struct flow_key *k, uint64_t now_ms, bool *created)
{
	struct flow *f = flow_find(t, k);
	uint32_t b;

	*created = false;
	if (f)
		return f;
	f = flow_alloc(t);
	if (!f)
		return NULL;
	memset(f, 0, sizeof(*f));
	f->key = *k;
	f->first_seen = f->last_seen = now_ms;
	f->app_id = -1;
	f->in_use = 1;
	f->id = ++t->next_id;
	b = bucket_of(t, k);
	f->hnext = t->buckets[b];
	t->buckets[b] = (uint32_t)(f - t->flows) + 1;
	f->lru_class = (uint8_t)flow_class(f);
	lru_push(t, f, (enum lru_class)f->lru_class);
	t->stats.inserts++;
	t->stats.active++;
	*created = true;
	return f;
}

void flow_touch(struct flow_table *t, struct flow *f, uint64_t now_ms)
{
	/* The caller may have changed FIN/RST bits since the flow was linked,
	 * so unlink from the class it was in before relinking. */
	lru_unlink(t, f, (enum lru_class)f->lru_class);
	if (now_ms > f->last_seen)
		f->last_seen = now_ms;
	f->lru_class = (uint8_t)flow_class(f);
	lru_push(t, f, (enum lru_class)f->lru_class);
}

unsigned flow_expire(struct flow_table *t, uint64_t now_ms)
{
	unsigned n = 0;
	int i;

	for (i = 0; i < __LRU_MAX; i++) {
		while (t->lru[i].tail != FLOW_NONE) {
			struct flow *f = &t->flows[t->lru[i].tail];

			if (now_ms < f->last_seen + t->timeout_ms[i])
				break;
			flow_remove(t, f, i == LRU_TCP_CLOSED ? FLOW_PURGE_CLOSED : FLOW_PURGE_IDLE);
			n++;
		}
	}
	return n;
}

void flow_table_flush(struct flow_table *t, enum flow_purge why)
{
	int i;

	for (i = 0; i < __LRU_MAX; i++)
		while (t->lru[i].tail != FLOW_NONE)
			flow_remove(t, &t->flows[t->lru[i].tail], why);
}

int flow_foreach(struct flow_table *t, int (*fn)(void *user, struct flow *f), void *user)
{
	uint32_t i;
	int rc;

	for (i = 0; i < t->fresh; i++) {
		if (!t->flows[i].in_use)
			continue;
		rc = fn(user, &t->flows[i]);
		if (rc)
			return rc;
	}
	return 0;
}

int flow_foreach_step(struct flow_table *t, uint32_t *pos, uint32_t slots,
		      int (*fn)(void *user, struct flow *f), void *user)
{
	uint32_t i = *pos, end = t->fresh - i > slots ? i + slots : t->fresh;

	while (i < end) {
		struct flow *f = &t->flows[i++];

		if (f->in_use && fn(user, f))
			break;
	}
	*pos = i;
	return i < t->fresh;
}

const struct flow_stats *flow_table_stats(const struct flow_table *t)
{
	return &t->stats;
}

uint32_t flow_table_capacity(const struct flow_table *t)
{
	return t->capacity;
}

void flow_table_set_id_base(struct flow_table *t, uint32_t base)
{
	t->next_id = base;
}

const char *flow_end_name(enum flow_end e)
{
	static const char *const names[__FLOW_END_MAX] = {
		[FLOW_END_NONE] = "none",
		[FLOW_END_CLASSIFIED] = "classified",
		[FLOW_END_BUDGET] = "budget",
		[FLOW_END_IDLE] = "idle",
		[FLOW_END_CLOSED] = "closed",
		[FLOW_END_EOF] = "end_of_capture",
		[FLOW_END_OVERLOAD] = "overload",
		[FLOW_END_DECIDED] = "decided",
		[FLOW_END_ENCRYPTED] = "encrypted",
	};

	return e < __FLOW_END_MAX ? names[e] : "?";
}

const char *flow_purge_name(enum flow_purge p)
{
	static const char *const names[__FLOW_PURGE_MAX] = {
		[FLOW_PURGE_IDLE] = "idle",
		[FLOW_PURGE_CLOSED] = "closed",
		[FLOW_PURGE_EVICTED] = "evicted",
		[FLOW_PURGE_SHUTDOWN] = "shutdown",
	};

	return p < __FLOW_PURGE_MAX ? names[p] : "?";
}

const char *flow_source_name(enum flow_source s)
{
	static const char *const names[__FLOW_SRC_MAX] = {
		[FLOW_SRC_NONE] = "none",
		[FLOW_SRC_NDPI] = "ndpi",
		[FLOW_SRC_SNI] = "sni",
		[FLOW_SRC_DNS] = "dns",
		[FLOW_SRC_ADDR] = "address",
		[FLOW_SRC_CERT] = "certificate",
	};

	return s < __FLOW_SRC_MAX ? names[s] : "?";
}
