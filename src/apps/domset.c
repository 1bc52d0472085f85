/*
 * domset.c - domain suffix set (see domset.h).
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "domset.h"

#define DOMSET_HASH_INIT	2166136261u
#define DOMSET_HASH_MUL		16777619u
#define DOMSET_CHILDREN		0x80000000u
#define DOMSET_REF_MASK		0x7fffffffu
#define DOMSET_MIN_SLOTS	1024u

static inline uint8_t domset_lower(uint8_t c)
{
	return (uint8_t)(c | ((uint8_t)(c - 'A') < 26u) << 5);	/* branch-free */
}

/* FNV-1a over the bytes from last to first, so a suffix's hash is the
 * state reached at its first byte; the mix spreads it over the top bits
 * that pick a slot. */
static inline uint32_t domset_step(uint32_t h, uint8_t c)
{
	return (h ^ domset_lower(c)) * DOMSET_HASH_MUL;
}

static inline uint32_t domset_mix(uint32_t h)
{
	h ^= h >> 16;
	h *= 0x7feb352du;
	h ^= h >> 15;
	h *= 0x846ca68bu;
	h ^= h >> 16;
	return h;
}

/* Slot index from the hash's high bits: any table size works. */
static inline uint32_t domset_home(const struct domset *d, uint32_t hash)
{
	return (uint32_t)(((uint64_t)hash * d->n_slots) >> 32);
}

void domset_init(struct domset *d)
{
	memset(d, 0, sizeof(*d));
}

void domset_free(struct domset *d)
{
	free(d->offs);
	free(d->slots);
	free(d->blob);
	domset_init(d);
}

const char *domset_name(const struct domset *d, const struct domset_rule *r)
{
	(void)d;
	return r->name;
}

static inline struct domset_rule *domset_rec(const struct domset *d,
					     uint32_t ref)
{
	return (struct domset_rule *)(void *)(d->blob + (size_t)(ref - 1) * 4);
}

struct domset_rule *domset_rule_at(const struct domset *d, uint32_t i)
{
	return domset_rec(d, d->offs[i] + 1);
}

/* Case-insensitive compare of @s (length @len) with a stored name; hosts
 * nearly always arrive in lower case already, so try memcmp first. */
static int domset_equal(const struct domset_rule *r, const char *s, size_t len)
{
	const char *name = r->name;
	size_t i;

	if (r->name_len != len)
		return 0;
	if (memcmp(name, s, len) == 0)
		return 1;
	for (i = 0; i < len; i++)
		if (domset_lower((uint8_t)s[i]) != (uint8_t)name[i])
			return 0;
	return 1;
}

/* The slot holding rule @s, or NULL; *@children tells whether a longer
 * rule ends in this suffix.  mark_parent sets the children bit on every
 * slot of the hash, and a parent-only slot never shares its hash with a
 * rule slot, so the first slot of the hash answers both questions except
 * on a true 32-bit collision between two rules, where the walk goes on.
 * A parent-only slot carries no name: a collision can only make a lookup
 * look one label deeper, never match the wrong rule. */
static struct domset_slot *domset_probe(const struct domset *d, const char *s,
					size_t len, uint32_t hash,
					int *children)
{
	uint32_t i = domset_home(d, hash);

	*children = 0;
	for (; d->slots[i].ref; i = i + 1 == d->n_slots ? 0 : i + 1) {
		struct domset_slot *sl = &d->slots[i];
		uint32_t ref = sl->ref & DOMSET_REF_MASK;

		if (sl->hash != hash)
			continue;
		*children = !!(sl->ref & DOMSET_CHILDREN);
		if (!ref)
			return NULL;
		if (domset_equal(domset_rec(d, ref), s, len))
			return sl;
	}
	return NULL;
}

/* First free slot of @hash's run; the caller fills in ref (never 0). */
static struct domset_slot *domset_claim(struct domset *d, uint32_t hash)
{
	uint32_t i = domset_home(d, hash);

	while (d->slots[i].ref)
		i = i + 1 == d->n_slots ? 0 : i + 1;
	d->slots[i].hash = hash;
	d->n_used++;
	return &d->slots[i];
}

static int domset_rehash(struct domset *d, uint32_t n)
{
	struct domset_slot *old = d->slots;
	uint32_t n_old = d->n_slots, i;

	d->slots = calloc(n, sizeof(*d->slots));
	if (!d->slots) {
		d->slots = old;
		return -1;
	}
	d->n_slots = n;
	d->n_used = 0;
	for (i = 0; i < n_old; i++)
		if (old[i].ref)
			domset_claim(d, old[i].hash)->ref = old[i].ref;
	free(old);
	return 0;
}

/* Room for one more slot, keeping the table at most 60% used so probe
 * runs stay short. */
static int domset_room(struct domset *d)
{
	uint64_t n;

	if ((uint64_t)(d->n_used + 1) * 5 <= (uint64_t)d->n_slots * 3)
		return 0;
	n = (uint64_t)d->n_used * 2 + DOMSET_MIN_SLOTS;
	if (n > (1u << 28)) {
		errno = ENOMEM;
		return -1;
	}
	return domset_rehash(d, (uint32_t)n);
}

/* Note that a rule ends in the suffix of hash @hash. */
static int domset_mark_parent(struct domset *d, uint32_t hash)
{
	uint32_t i;
	int seen = 0;

	for (i = domset_home(d, hash); d->slots[i].ref;
	     i = i + 1 == d->n_slots ? 0 : i + 1) {
		if (d->slots[i].hash == hash) {
			d->slots[i].ref |= DOMSET_CHILDREN;
			seen = 1;
		}
	}
	if (seen)
		return 0;
	if (domset_room(d) < 0)
		return -1;
	domset_claim(d, hash)->ref = DOMSET_CHILDREN;
	return 0;
}

static int domset_reserve(struct domset *d, size_t rec_bytes)
{
	if (d->n_rules == d->cap_rules) {
		uint32_t cap = d->cap_rules ? d->cap_rules * 2 : 256;
		uint32_t *o = realloc(d->offs, cap * sizeof(*o));

		if (!o)
			return -1;
		d->offs = o;
		d->cap_rules = cap;
	}
	if (d->blob_len + rec_bytes > d->blob_cap) {
		size_t cap = d->blob_cap ? d->blob_cap * 2 : 8192;
		char *n;

		while (cap < d->blob_len + rec_bytes)
			cap *= 2;
		if (cap / 4 >= DOMSET_REF_MASK) {
			errno = ENOMEM;
			return -1;
		}
		n = realloc(d->blob, cap);
		if (!n)
			return -1;
		d->blob = n;
		d->blob_cap = cap;
	}
	return 0;
}

/* Append a new rule record for @name; returns its slot reference. */
static int64_t domset_new_rule(struct domset *d, const char *name, size_t len)
{
	size_t bytes = (sizeof(struct domset_rule) + len + 1 + 3) & ~(size_t)3;
	struct domset_rule *r;
	size_t i;

	if (domset_reserve(d, bytes) < 0)
		return -1;
	r = (struct domset_rule *)(void *)(d->blob + d->blob_len);
	memset(r, 0, bytes);
	r->name_len = (uint16_t)len;
	for (i = 0; i < len; i++)
		r->name[i] = (char)domset_lower((uint8_t)name[i]);
	d->offs[d->n_rules++] = (uint32_t)(d->blob_len / 4);
	d->blob_len += bytes;
	return (int64_t)(d->blob_len - bytes) / 4 + 1;
}

/* Slot for rule @name: the existing one, a parent-only slot of the same
 * hash (which gains the rule), or a new one. */
static struct domset_rule *domset_rule_slot(struct domset *d, const char *name,
					    size_t len, uint32_t hash)
{
	struct domset_slot *sl;
	uint32_t i, kids = 0;
	int64_t ref;
	int children;

	if (d->n_slots && (sl = domset_probe(d, name, len, hash, &children)))
		return domset_rec(d, sl->ref & DOMSET_REF_MASK);
	if (domset_room(d) < 0 || (ref = domset_new_rule(d, name, len)) < 0)
		return NULL;
	for (i = domset_home(d, hash); d->slots[i].ref;
	     i = i + 1 == d->n_slots ? 0 : i + 1) {
		if (d->slots[i].hash != hash)
			continue;
		if (!(d->slots[i].ref & DOMSET_REF_MASK)) {
			d->slots[i].ref |= (uint32_t)ref;
			return domset_rec(d, (uint32_t)ref);
		}
		/* a colliding rule: every slot of a hash carries the same bit */
		kids |= d->slots[i].ref & DOMSET_CHILDREN;
	}
	domset_claim(d, hash)->ref = (uint32_t)ref | kids;
	return domset_rec(d, (uint32_t)ref);
}

int domset_add(struct domset *d, const char *name, int32_t value,
	       uint16_t file, uint32_t line)
{
	size_t len = strlen(name), i;
	uint32_t h = DOMSET_HASH_INIT;
	struct domset_rule *r;

	if (len == 0 || len > DOMSET_NAME_MAX) {
		errno = EINVAL;
		return -1;
	}
	if (domset_room(d) < 0)
		return -1;
	/* every proper parent ("net", "whatsapp.net") is marked first */
	for (i = len; i-- > 1;) {
		h = domset_step(h, (uint8_t)name[i]);
		if (name[i - 1] == '.' && domset_mark_parent(d, domset_mix(h)) < 0)
			return -1;
	}
	h = domset_step(h, (uint8_t)name[0]);
	r = domset_rule_slot(d, name, len, domset_mix(h));
	if (!r)
		return -1;
	r->value = value;
	r->file = file;
	r->line = line;
	return 0;
}

const struct domset_rule *domset_match(const struct domset *d,
				       const char *host)
{
	const struct domset_rule *best = NULL;
	size_t len = strnlen(host, DOMSET_NAME_MAX + 2), i;
	uint32_t h = DOMSET_HASH_INIT, hashes[DOMSET_NAME_MAX / 2 + 1];
	uint8_t starts[DOMSET_NAME_MAX / 2 + 1];
	unsigned int n = 0, k;

	if (len && host[len - 1] == '.')
		len--;
	if (len == 0 || len > DOMSET_NAME_MAX || !d->n_used)
		return NULL;
	/* hash every suffix first and prefetch its slot, so the cache misses
	 * of the probes below overlap instead of queueing one behind another */
	for (i = len; i-- > 0;) {
		h = domset_step(h, (uint8_t)host[i]);
		if (i && host[i - 1] != '.')
			continue;
		/* A valid name has at most 127 labels; hostile bytes from a
		 * packet ("a......b") may have more: the shortest suffixes,
		 * collected first, are the ones that can match anyway. */
		if (n == sizeof(starts))
			break;
		starts[n] = (uint8_t)i;
		hashes[n] = domset_mix(h);
		__builtin_prefetch(&d->slots[domset_home(d, hashes[n])]);
		n++;
	}
	/* shortest suffix first; stop where no rule goes deeper */
	for (k = 0; k < n; k++) {
		const struct domset_slot *sl;
		int children;

		sl = domset_probe(d, host + starts[k], len - starts[k],
				  hashes[k], &children);
		if (sl) {
			const struct domset_rule *r;

			r = domset_rec(d, sl->ref & DOMSET_REF_MASK);
			if (r->value >= 0)
				best = r;
		}
		if (!children)
			break;
	}
	return best;
}

void domset_compact(struct domset *d)
{
	uint32_t *o;
	char *b;

	/* built once, read for hours: give back the growth slack */
	if (d->n_used)
		domset_rehash(d, d->n_used + d->n_used / 2 + d->n_used / 6 + 1);
	if (d->n_rules && d->n_rules < d->cap_rules) {
		o = realloc(d->offs, d->n_rules * sizeof(*o));
		if (o) {
			d->offs = o;
			d->cap_rules = d->n_rules;
		}
	}
	if (d->blob_len && d->blob_len < d->blob_cap) {
		b = realloc(d->blob, d->blob_len);
		if (b) {
			d->blob = b;
			d->blob_cap = d->blob_len;
		}
	}
}

size_t domset_bytes(const struct domset *d)
{
	return (size_t)d->cap_rules * sizeof(*d->offs) +
	       (size_t)d->n_slots * sizeof(*d->slots) + d->blob_cap;
}
