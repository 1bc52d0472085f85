/* The block-set elements that rest on the DNS hint cache (see blockset.h). */
#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "blockset.h"
#include "util.h"

#define BS_NIL UINT32_MAX

struct bs_slot {
	struct blockset_elem e;
	int32_t app;
	uint32_t next;		/* bucket chain, or free list */
	uint64_t expires;
};

struct blockset {
	pthread_mutex_t lock;
	struct bs_slot *slots;
	uint32_t *buckets;
	uint32_t capacity, mask, free_head;
	uint64_t seed;
	int live;		/* atomic: read without the lock by blockset_empty() */
	struct blockset_stats st;
};

struct blockset *blockset_new(uint32_t capacity)
{
	struct blockset *b;
	uint32_t nb = 1, i;

	if (!capacity || capacity > (1u << 24)) {
		errno = EINVAL;
		return NULL;
	}
	if (!(b = calloc(1, sizeof(*b))))
		return NULL;
	while (nb < capacity)
		nb <<= 1;
	b->slots = calloc(capacity, sizeof(*b->slots));
	b->buckets = malloc(nb * sizeof(*b->buckets));
	if (!b->slots || !b->buckets) {
		blockset_free(b);
		errno = ENOMEM;
		return NULL;
	}
	memset(b->buckets, 0xff, nb * sizeof(*b->buckets));	/* all BS_NIL */
	for (i = 0; i < capacity; i++)
		b->slots[i].next = i + 1 < capacity ? i + 1 : BS_NIL;
	b->capacity = capacity;
	b->mask = nb - 1;
	b->seed = util_random64();	/* the addresses come from traffic */
	pthread_mutex_init(&b->lock, NULL);
	return b;
}

void blockset_free(struct blockset *b)
{
	if (!b)
		return;
	if (b->capacity)
		pthread_mutex_destroy(&b->lock);
	free(b->slots);
	free(b->buckets);
	free(b);
}

static uint32_t bs_bucket(const struct blockset *b, int family, const uint8_t *srv)
{
	return (uint32_t)util_hash(srv, family == 4 ? 4 : 16, b->seed ^ (uint64_t)family) & b->mask;
}

static size_t bs_alen(int family)
{
	return family == 4 ? 4 : 16;
}

static int bs_same_srv(const struct blockset_elem *e, int family, const uint8_t *srv)
{
	return e->family == family && !memcmp(e->srv, srv, bs_alen(family));
}

static int bs_same(const struct blockset_elem *a, const struct blockset_elem *e)
{
	return bs_same_srv(a, e->family, e->srv) && a->proto == e->proto && a->port == e->port &&
	       !memcmp(a->dev, e->dev, bs_alen(e->family));
}

/* Unlinks the slot *link points to, back to the free list. */
static void bs_unlink(struct blockset *b, uint32_t *link)
{
	uint32_t i = *link;

	*link = b->slots[i].next;
	b->slots[i].next = b->free_head;
	b->free_head = i;
	__atomic_sub_fetch(&b->live, 1, __ATOMIC_RELAXED);
}

/* Expired slots of one bucket go back to the free list. */
static void bs_reap(struct blockset *b, uint32_t bucket, uint64_t now)
{
	uint32_t *link = &b->buckets[bucket];

	while (*link != BS_NIL) {
		if (b->slots[*link].expires <= now)
			bs_unlink(b, link);
		else
			link = &b->slots[*link].next;
	}
}

/* A free slot; when there is none, every bucket is reaped once. */
static uint32_t bs_take(struct blockset *b, uint64_t now)
{
	uint32_t i;

	if (b->free_head == BS_NIL)
		for (i = 0; i <= b->mask; i++)
			bs_reap(b, i, now);
	i = b->free_head;
	if (i != BS_NIL)
		b->free_head = b->slots[i].next;
	return i;
}

int blockset_add(struct blockset *b, const struct blockset_elem *e, int32_t app, uint64_t expires,
		 uint64_t now)
{
	uint32_t h = bs_bucket(b, e->family, e->srv), i;
	int ret = 0;

	pthread_mutex_lock(&b->lock);
	bs_reap(b, h, now);
	for (i = b->buckets[h]; i != BS_NIL && !bs_same(&b->slots[i].e, e); i = b->slots[i].next)
		;
	if (i == BS_NIL) {
		if ((i = bs_take(b, now)) == BS_NIL) {
			b->st.full++;
			ret = -1;
			goto out_unlock;
		}
		b->slots[i].e = *e;
		b->slots[i].next = b->buckets[h];
		b->buckets[h] = i;
		__atomic_add_fetch(&b->live, 1, __ATOMIC_RELAXED);
	}
	b->slots[i].app = app;
	b->slots[i].expires = expires;
	b->st.adds++;
out_unlock:
	pthread_mutex_unlock(&b->lock);
	if (ret)
		errno = ENOSPC;
	return ret;
}

int blockset_empty(const struct blockset *b)
{
	return __atomic_load_n(&b->live, __ATOMIC_RELAXED) == 0;
}

unsigned int blockset_withdraw(struct blockset *b, int family, const uint8_t *srv, int32_t app,
			       uint64_t now, blockset_fn fn, void *ctx)
{
	uint32_t h = bs_bucket(b, family, srv), *link;
	unsigned int n = 0;

	pthread_mutex_lock(&b->lock);
	bs_reap(b, h, now);
	for (link = &b->buckets[h]; *link != BS_NIL;) {
		struct bs_slot *s = &b->slots[*link];

		if (!bs_same_srv(&s->e, family, srv) || s->app == app) {
			link = &s->next;
			continue;
		}
		if (fn)
			fn(ctx, &s->e);
		bs_unlink(b, link);
		n++;
	}
	b->st.withdrawn += n;
	pthread_mutex_unlock(&b->lock);
	return n;
}

void blockset_get_stats(struct blockset *b, struct blockset_stats *st)
{
	pthread_mutex_lock(&b->lock);
	*st = b->st;
	st->live = (uint32_t)__atomic_load_n(&b->live, __ATOMIC_RELAXED);
	pthread_mutex_unlock(&b->lock);
}
