/*
 * dnscache.c - DNS hint cache (see dnscache.h).
 *
 * A fixed pool of entries, chained into hash buckets and one LRU list by
 * index.  Nothing is allocated after dnscache_new(): a new address takes a
 * freed entry, else the next never-used one, else the least recently used
 * one.  Pool and buckets are calloc'ed and only touched as the cache
 * fills (a worker's idle cost stays small): entries are handed out in
 * index order, and hash chains hold index + 1 so that 0 ends a chain.  The
 * bucket hash is keyed with a random seed because the addresses come from
 * traffic.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/random.h>
#include <sys/socket.h>
#include <time.h>

#include "dns.h"
#include "dnscache.h"

#define DC_NIL		UINT32_MAX
#define DC_MAX_CAPACITY	(1u << 24)

struct dc_entry {
	uint8_t addr[16];
	uint8_t family;		/* 0 = free */
	uint8_t several;	/* another name resolved to addr while the entry lived */
	uint64_t expires;	/* seconds, same clock as @now */
	uint32_t hnext;		/* bucket chain: next index + 1, 0 = end;
				 * free list: next index, DC_NIL = end */
	uint32_t prev, next;	/* LRU list, head = most recent */
	char name[DNS_NAME_TEXT_MAX];
};

struct dnscache {
	struct dc_entry *pool;
	uint32_t *buckets;
	uint32_t capacity, bucket_mask;
	uint32_t free_head, lru_head, lru_tail;
	uint32_t fresh;		/* entries from here on were never used */
	uint32_t ttl_min, ttl_max;
	uint64_t seed;
	dnscache_observer observe;
	void *observe_ctx;
	struct dnscache_stats st;
	struct dns_msg msg;	/* parse scratch: too big for a worker's stack */
};

static uint64_t dc_seed(void)
{
	uint64_t s;

	if (getrandom(&s, sizeof(s), GRND_NONBLOCK) == sizeof(s))
		return s;
	return (uint64_t)time(NULL) * 0x9e3779b97f4a7c15ull ^ (uintptr_t)&s;
}

static uint32_t dc_hash(const struct dnscache *c, int family,
			const uint8_t *addr)
{
	size_t n = family == AF_INET ? 4 : 16, i;
	uint64_t h = c->seed ^ (uint64_t)family;

	for (i = 0; i < n; i += 4) {
		uint32_t w;

		memcpy(&w, addr + i, 4);
		h = (h ^ w) * 0x9e3779b97f4a7c15ull;
		h ^= h >> 29;
	}
	return (uint32_t)(h ^ (h >> 32)) & c->bucket_mask;
}

struct dnscache *dnscache_new(uint32_t capacity, uint32_t ttl_min,
			      uint32_t ttl_max)
{
	struct dnscache *c;
	uint32_t nb = 1;

	if (capacity == 0 || capacity > DC_MAX_CAPACITY || ttl_min > ttl_max) {
		errno = EINVAL;
		return NULL;
	}
	c = calloc(1, sizeof(*c));
	if (!c)
		return NULL;
	while (nb < capacity)
		nb <<= 1;
	c->pool = calloc(capacity, sizeof(*c->pool));
	c->buckets = calloc(nb, sizeof(*c->buckets));	/* all chains empty */
	if (!c->pool || !c->buckets)
		goto out_free_cache;
	c->capacity = capacity;
	c->bucket_mask = nb - 1;
	c->free_head = DC_NIL;
	c->lru_head = c->lru_tail = DC_NIL;
	c->ttl_min = ttl_min;
	c->ttl_max = ttl_max;
	c->seed = dc_seed();
	return c;

out_free_cache:
	dnscache_free(c);
	errno = ENOMEM;
	return NULL;
}

void dnscache_free(struct dnscache *c)
{
	if (!c)
		return;
	free(c->pool);
	free(c->buckets);
	free(c);
}

void dnscache_get_stats(const struct dnscache *c, struct dnscache_stats *st)
{
	*st = c->st;
}

/* --- LRU list and buckets -------------------------------------------------- */

static void dc_lru_unlink(struct dnscache *c, uint32_t i)
{
	struct dc_entry *e = &c->pool[i];

	if (e->prev != DC_NIL)
		c->pool[e->prev].next = e->next;
	else
		c->lru_head = e->next;
	if (e->next != DC_NIL)
		c->pool[e->next].prev = e->prev;
	else
		c->lru_tail = e->prev;
}

static void dc_lru_push(struct dnscache *c, uint32_t i)
{
	struct dc_entry *e = &c->pool[i];

	e->prev = DC_NIL;
	e->next = c->lru_head;
	if (c->lru_head != DC_NIL)
		c->pool[c->lru_head].prev = i;
	else
		c->lru_tail = i;
	c->lru_head = i;
}

static uint32_t dc_find(const struct dnscache *c, int family,
			const uint8_t *addr, uint32_t **link)
{
	uint32_t *l = &c->buckets[dc_hash(c, family, addr)];
	size_t n = family == AF_INET ? 4 : 16;

	while (*l) {
		struct dc_entry *e = &c->pool[*l - 1];

		if (e->family == family && memcmp(e->addr, addr, n) == 0)
			break;
		l = &e->hnext;
	}
	if (link)
		*link = l;
	return *l ? *l - 1 : DC_NIL;
}

/* Take entry @i out of its bucket and the LRU list, back to the free list. */
static void dc_remove(struct dnscache *c, uint32_t i)
{
	struct dc_entry *e = &c->pool[i];
	uint32_t *link;

	dc_find(c, e->family, e->addr, &link);
	*link = e->hnext;
	dc_lru_unlink(c, i);
	e->family = 0;
	e->hnext = c->free_head;
	c->free_head = i;
	c->st.entries--;
}

/* A freed entry, else a never-used one, else the LRU tail. */
static uint32_t dc_take(struct dnscache *c, uint64_t now)
{
	uint32_t i = c->free_head;

	if (i == DC_NIL && c->fresh < c->capacity)
		return c->fresh++;
	if (i == DC_NIL) {
		i = c->lru_tail;
		if (c->pool[i].expires <= now)
			c->st.expired++;
		else
			c->st.evictions++;
		dc_remove(c, i);
	}
	c->free_head = c->pool[i].hnext;
	return i;
}

static uint32_t dc_clamp(const struct dnscache *c, uint32_t ttl)
{
	if (ttl < c->ttl_min)
		return c->ttl_min;
	return ttl > c->ttl_max ? c->ttl_max : ttl;
}

static void dc_insert(struct dnscache *c, int family, const uint8_t *addr,
		      const char *name, uint32_t ttl, uint64_t now)
{
	uint32_t *link, i = dc_find(c, family, addr, &link);
	struct dc_entry *e;

	if (i != DC_NIL) {
		dc_lru_unlink(c, i);
		c->st.updates++;
		if (strcasecmp(c->pool[i].name, name))
			c->pool[i].several = 1;
	} else {
		i = dc_take(c, now);
		e = &c->pool[i];
		e->family = (uint8_t)family;
		memset(e->addr, 0, sizeof(e->addr));
		memcpy(e->addr, addr, family == AF_INET ? 4 : 16);
		e->several = 0;
		/* dc_take may have unlinked a neighbour: find the slot again */
		dc_find(c, family, addr, &link);
		e->hnext = 0;
		*link = i + 1;
		c->st.inserts++;
		c->st.entries++;
	}
	e = &c->pool[i];
	e->expires = now + dc_clamp(c, ttl);
	memcpy(e->name, name, strlen(name) + 1);
	dc_lru_push(c, i);
	if (c->observe)
		c->observe(c->observe_ctx, family, addr, name);
}

/* --- learning ------------------------------------------------------------ */

/* Mark the answers whose owner name the question leads to through CNAMEs:
 * the question name itself, or the target of an already reached CNAME. */
static void dc_reach(const struct dns_msg *m, uint8_t *reach)
{
	unsigned int i, j, changed = 1;

	for (i = 0; i < m->n_answers; i++)
		reach[i] = strcmp(m->answers[i].name, m->qname) == 0;
	/* each pass adds at least one answer or ends: at most n passes */
	while (changed) {
		changed = 0;
		for (i = 0; i < m->n_answers; i++) {
			if (reach[i])
				continue;
			for (j = 0; j < m->n_answers; j++) {
				if (!reach[j] || m->answers[j].type != DNS_TYPE_CNAME ||
				    strcmp(m->answers[j].data, m->answers[i].name))
					continue;
				reach[i] = changed = 1;
				break;
			}
		}
	}
}

static int dc_learn_msg(struct dnscache *c, const uint8_t *p, size_t len,
			uint64_t now)
{
	struct dns_msg *m = &c->msg;
	uint8_t reach[DNS_ANSWERS_MAX];
	unsigned int i;
	int learned = 0;

	if (dns_parse(p, len, m) < 0)
		return -1;
	/* only answers to a standard query for a real name teach anything */
	if (!m->is_response || m->opcode != 0 || m->rcode != 0 || !m->qname[0])
		return 0;
	dc_reach(m, reach);
	for (i = 0; i < m->n_answers; i++) {
		const struct dns_answer *a = &m->answers[i];

		if (!reach[i] || (a->type != DNS_TYPE_A && a->type != DNS_TYPE_AAAA))
			continue;
		dc_insert(c, a->type == DNS_TYPE_A ? AF_INET : AF_INET6,
			  a->addr, m->qname, a->ttl, now);
		learned++;
	}
	return learned;
}

static uint16_t dc_be16(const uint8_t *p)
{
	return (uint16_t)(p[0] << 8 | p[1]);
}

/* TCP framing if the 2-byte lengths tile the payload exactly; a UDP
 * message whose id happens to do so is still tried as UDP on failure. */
static int dc_is_tcp(const uint8_t *p, size_t len)
{
	size_t off = 0;

	while (off + 2 <= len) {
		size_t n = dc_be16(p + off);

		if (n < 12 || off + 2 + n > len)
			return 0;
		off += 2 + n;
	}
	return off == len && len > 0;
}

static int dc_learn_tcp(struct dnscache *c, const uint8_t *p, size_t len,
			uint64_t now)
{
	size_t off = 0;
	int total = 0, n;

	while (off < len) {
		size_t mlen = dc_be16(p + off);

		n = dc_learn_msg(c, p + off + 2, mlen, now);
		if (n < 0)
			return -1;
		total += n;
		off += 2 + mlen;
	}
	return total;
}

int dnscache_learn(struct dnscache *c, const uint8_t *payload, size_t len,
		   uint64_t now)
{
	int n = -1;

	if (dc_is_tcp(payload, len))
		n = dc_learn_tcp(c, payload, len, now);
	if (n < 0)
		n = dc_learn_msg(c, payload, len, now);
	if (n < 0)
		c->st.parse_errors++;
	return n;
}

/* flow keys carry the IP version; the cache stores AF_* (0: neither) */
static int dc_family(int family)
{
	if (family == 4 || family == AF_INET)
		return AF_INET;
	if (family == 6 || family == AF_INET6)
		return AF_INET6;
	return 0;
}

const char *dnscache_lookup(struct dnscache *c, int family,
			    const uint8_t *addr, uint64_t now)
{
	uint32_t i;

	if (!(family = dc_family(family)))
		goto out_miss;
	i = dc_find(c, family, addr, NULL);
	if (i == DC_NIL)
		goto out_miss;
	if (c->pool[i].expires <= now) {
		c->st.expired++;
		dc_remove(c, i);
		goto out_miss;
	}
	dc_lru_unlink(c, i);
	dc_lru_push(c, i);
	c->st.hits++;
	return c->pool[i].name;

out_miss:
	c->st.misses++;
	return NULL;
}

const char *dnscache_sole_name(const struct dnscache *c, int family, const uint8_t *addr,
			       uint64_t now)
{
	const struct dc_entry *e;
	uint32_t i;

	if (!(family = dc_family(family)) || (i = dc_find(c, family, addr, NULL)) == DC_NIL)
		return NULL;
	e = &c->pool[i];
	return e->expires > now && !e->several ? e->name : NULL;
}

void dnscache_set_observer(struct dnscache *c, dnscache_observer fn, void *ctx)
{
	c->observe = fn;
	c->observe_ctx = ctx;
}

/* ---- inbox ---- */

void dnscache_inbox_init(struct dnscache_inbox *in)
{
	pthread_mutex_init(&in->lock, NULL);
}

void dnscache_inbox_destroy(struct dnscache_inbox *in)
{
	pthread_mutex_destroy(&in->lock);
}

void dnscache_inbox_post(struct dnscache_inbox *in, const uint8_t *payload, size_t len)
{
	if (len > DNSCACHE_INBOX_LEN)
		len = DNSCACHE_INBOX_LEN;	/* the answers we need come first */
	pthread_mutex_lock(&in->lock);
	if (in->count < DNSCACHE_INBOX_SLOTS) {
		in->slot[in->count].len = (uint16_t)len;
		memcpy(in->slot[in->count].data, payload, len);
		in->count++;
		__atomic_store_n(&in->pending, 1, __ATOMIC_RELEASE);
	} else {
		in->dropped++;
	}
	pthread_mutex_unlock(&in->lock);
}

void dnscache_inbox_drain(struct dnscache_inbox *in, struct dnscache *c, uint64_t now)
{
	unsigned int i;

	if (!__atomic_load_n(&in->pending, __ATOMIC_ACQUIRE))
		return;
	pthread_mutex_lock(&in->lock);
	for (i = 0; c && i < in->count; i++)
		dnscache_learn(c, in->slot[i].data, in->slot[i].len, now);
	in->count = 0;
	__atomic_store_n(&in->pending, 0, __ATOMIC_RELEASE);
	pthread_mutex_unlock(&in->lock);
}
