/*
 * domset.c - domain suffix set (see domset.h).
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "domset.h"

#define DOMSET_HASH_INIT	2166136261u
#define DOMSET_HASH_MUL		16777619u

static inline uint8_t domset_lower(uint8_t c)
{
	return (c >= 'A' && c <= 'Z') ? (uint8_t)(c | 0x20) : c;
}

/* FNV-1a over the bytes from last to first, so that a suffix's hash is the
 * state reached at its first byte; the final mix spreads the low bits
 * used to pick a slot. */
static inline uint32_t domset_step(uint32_t h, uint8_t c)
{
	return (h ^ domset_lower(c)) * DOMSET_HASH_MUL;
}

static inline uint32_t domset_mix(uint32_t h)
{
	h ^= h >> 16;
	h *= 0x7feb352du;
	h ^= h >> 15;
	return h;
}

static uint32_t domset_hash(const char *s, size_t len)
{
	uint32_t h = DOMSET_HASH_INIT;

	while (len)
		h = domset_step(h, (uint8_t)s[--len]);
	return domset_mix(h);
}

void domset_init(struct domset *d)
{
	memset(d, 0, sizeof(*d));
}

void domset_free(struct domset *d)
{
	free(d->rules);
	free(d->slots);
	free(d->names);
	domset_init(d);
}

const char *domset_name(const struct domset *d, const struct domset_rule *r)
{
	return d->names + r->name_off;
}

/* Case-insensitive compare of @s (length @len) with a stored lower-case name. */
static int domset_equal(const struct domset *d, const struct domset_rule *r,
			const char *s, size_t len)
{
	const char *name = d->names + r->name_off;
	size_t i;

	if (r->name_len != len)
		return 0;
	for (i = 0; i < len; i++)
		if (domset_lower((uint8_t)s[i]) != (uint8_t)name[i])
			return 0;
	return 1;
}

static const struct domset_rule *domset_find(const struct domset *d,
					     const char *s, size_t len,
					     uint32_t hash)
{
	uint32_t mask = d->n_slots - 1, i = hash & mask, slot;

	if (!d->n_slots)
		return NULL;
	/* at most half full, so an empty slot always ends the probe */
	while ((slot = d->slots[i]) != 0) {
		const struct domset_rule *r = &d->rules[slot - 1];

		if (r->hash == hash && domset_equal(d, r, s, len))
			return r;
		i = (i + 1) & mask;
	}
	return NULL;
}

static void domset_place(uint32_t *slots, uint32_t n_slots, uint32_t hash,
			 uint32_t idx)
{
	uint32_t mask = n_slots - 1, i = hash & mask;

	while (slots[i])
		i = (i + 1) & mask;
	slots[i] = idx + 1;
}

static int domset_grow_slots(struct domset *d)
{
	uint32_t n = d->n_slots ? d->n_slots * 2 : 1024, i;
	uint32_t *slots;

	if (n == 0 || n > (1u << 30)) {
		errno = ENOMEM;
		return -1;
	}
	slots = calloc(n, sizeof(*slots));
	if (!slots)
		return -1;
	for (i = 0; i < d->n_rules; i++)
		domset_place(slots, n, d->rules[i].hash, i);
	free(d->slots);
	d->slots = slots;
	d->n_slots = n;
	return 0;
}

static int domset_reserve(struct domset *d, size_t name_bytes)
{
	if (d->n_rules == d->cap_rules) {
		uint32_t cap = d->cap_rules ? d->cap_rules * 2 : 256;
		struct domset_rule *r = realloc(d->rules, cap * sizeof(*r));

		if (!r)
			return -1;
		d->rules = r;
		d->cap_rules = cap;
	}
	if (d->names_len + name_bytes > d->names_cap) {
		size_t cap = d->names_cap ? d->names_cap * 2 : 4096;
		char *n;

		while (cap < d->names_len + name_bytes)
			cap *= 2;
		if (cap > UINT32_MAX) {
			errno = ENOMEM;
			return -1;
		}
		n = realloc(d->names, cap);
		if (!n)
			return -1;
		d->names = n;
		d->names_cap = cap;
	}
	if ((d->n_rules + 1) * 2 > d->n_slots)
		return domset_grow_slots(d);
	return 0;
}

int domset_add(struct domset *d, const char *name, int32_t value,
	       uint16_t file, uint32_t line)
{
	size_t len = strlen(name), i;
	uint32_t hash = domset_hash(name, len);
	struct domset_rule *r;

	if (len == 0 || len > DOMSET_NAME_MAX) {
		errno = EINVAL;
		return -1;
	}
	r = (struct domset_rule *)domset_find(d, name, len, hash);
	if (!r) {
		if (domset_reserve(d, len + 1) < 0)
			return -1;
		r = &d->rules[d->n_rules];
		r->name_off = (uint32_t)d->names_len;
		r->name_len = (uint16_t)len;
		r->hash = hash;
		for (i = 0; i < len; i++)
			d->names[d->names_len + i] = (char)domset_lower((uint8_t)name[i]);
		d->names[d->names_len + len] = '\0';
		d->names_len += len + 1;
		domset_place(d->slots, d->n_slots, hash, d->n_rules++);
	}
	r->value = value;
	r->file = file;
	r->line = line;
	return 0;
}

const struct domset_rule *domset_match(const struct domset *d,
				       const char *host)
{
	uint32_t starts[DOMSET_LABELS_MAX], hashes[DOMSET_LABELS_MAX];
	uint32_t h = DOMSET_HASH_INIT;
	size_t len = strnlen(host, DOMSET_NAME_MAX + 2), n = 0, i;

	if (len && host[len - 1] == '.')
		len--;
	if (len == 0 || len > DOMSET_NAME_MAX || !d->n_rules)
		return NULL;
	/* one pass from the right; record each label start with its hash */
	for (i = len; i-- > 0;) {
		h = domset_step(h, (uint8_t)host[i]);
		if ((i == 0 || host[i - 1] == '.') && n < DOMSET_LABELS_MAX) {
			starts[n] = (uint32_t)i;
			hashes[n++] = domset_mix(h);
		}
	}
	/* longest suffix first: the exact host, then its parents */
	while (n-- > 0) {
		const struct domset_rule *r;

		r = domset_find(d, host + starts[n], len - starts[n], hashes[n]);
		if (r && r->value >= 0)
			return r;
	}
	return NULL;
}

size_t domset_bytes(const struct domset *d)
{
	return (size_t)d->cap_rules * sizeof(*d->rules) +
	       (size_t)d->n_slots * sizeof(*d->slots) + d->names_cap;
}

void domset_compact(struct domset *d)
{
	struct domset_rule *r;
	char *n;

	/* built once, read for hours: give back the doubling slack */
	if (d->n_rules && d->n_rules < d->cap_rules) {
		r = realloc(d->rules, d->n_rules * sizeof(*r));
		if (r) {
			d->rules = r;
			d->cap_rules = d->n_rules;
		}
	}
	if (d->names_len && d->names_len < d->names_cap) {
		n = realloc(d->names, d->names_len);
		if (n) {
			d->names = n;
			d->names_cap = d->names_len;
		}
	}
}
