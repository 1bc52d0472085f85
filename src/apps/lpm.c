/*
 * lpm.c - path-compressed binary trie for longest-prefix match.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "lpm.h"

#define LPM_NIL		UINT32_MAX
#define LPM_KEY_BYTES	16u

struct lpm_node {
	uint8_t key[LPM_KEY_BYTES];	/* prefix bits, zero past plen */
	uint32_t child[2];		/* next bit 0 / 1, or LPM_NIL */
	int32_t value;			/* LPM_NONE for a branching-only node */
	uint8_t plen;
};

static unsigned int lpm_bit(const uint8_t *key, unsigned int i)
{
	return (key[i >> 3] >> (7 - (i & 7))) & 1u;
}

/* Copy the first @plen bits of @src, zeroing the rest, so equal prefixes
 * compare equal whatever host bits the definition carried. */
static void lpm_mask(uint8_t *dst, const uint8_t *src, unsigned int plen)
{
	unsigned int full = plen >> 3;

	memset(dst, 0, LPM_KEY_BYTES);
	memcpy(dst, src, full);
	if (plen & 7)
		dst[full] = src[full] & (uint8_t)(0xff00u >> (plen & 7));
}

/* Number of leading bits @a and @b share, at most @limit. */
static unsigned int lpm_common(const uint8_t *a, const uint8_t *b,
			       unsigned int limit)
{
	unsigned int i = 0;

	while (i + 8 <= limit && a[i >> 3] == b[i >> 3])
		i += 8;
	while (i < limit && lpm_bit(a, i) == lpm_bit(b, i))
		i++;
	return i;
}

static int lpm_prefix_matches(const struct lpm_node *n, const uint8_t *addr)
{
	unsigned int full = n->plen >> 3, rest = n->plen & 7;

	if (memcmp(n->key, addr, full) != 0)
		return 0;
	if (!rest)
		return 1;
	return ((addr[full] ^ n->key[full]) & (0xff00u >> rest)) == 0;
}

int lpm_init(struct lpm *l, unsigned int max_bits)
{
	memset(l, 0, sizeof(*l));
	if (max_bits != 32 && max_bits != 128) {
		errno = EINVAL;
		return -1;
	}
	l->max_bits = (uint8_t)max_bits;
	l->root = LPM_NIL;
	return 0;
}

void lpm_free(struct lpm *l)
{
	free(l->nodes);
	l->nodes = NULL;
	l->n_nodes = l->cap_nodes = 0;
	l->root = LPM_NIL;
	l->n_prefixes = 0;
}

/* New node; indices, not pointers, are kept so growing the array is safe. */
static uint32_t lpm_node_new(struct lpm *l, const uint8_t *key,
			     unsigned int plen, int32_t value)
{
	struct lpm_node *n;

	if (l->n_nodes == l->cap_nodes) {
		uint32_t cap = l->cap_nodes ? l->cap_nodes * 2 : 64;
		struct lpm_node *grown;

		if (cap >= LPM_NIL / 2) {
			errno = ENOMEM;
			return LPM_NIL;
		}
		grown = realloc(l->nodes, (size_t)cap * sizeof(*grown));
		if (!grown)
			return LPM_NIL;
		l->nodes = grown;
		l->cap_nodes = cap;
	}
	n = &l->nodes[l->n_nodes];
	lpm_mask(n->key, key, plen);
	n->plen = (uint8_t)plen;
	n->value = value;
	n->child[0] = n->child[1] = LPM_NIL;
	return l->n_nodes++;
}

/* Link from @parent (LPM_NIL: the root) towards bit @bit.  Recomputed
 * after every allocation because growing the array moves the nodes. */
static uint32_t *lpm_slot(struct lpm *l, uint32_t parent, unsigned int bit)
{
	return parent == LPM_NIL ? &l->root : &l->nodes[parent].child[bit];
}

/* Node @cur diverges from the new prefix after @common bits: put a node
 * for the shared part between it and its parent. */
static int lpm_split(struct lpm *l, uint32_t parent, unsigned int pbit,
		     uint32_t cur, const uint8_t *key, unsigned int plen,
		     unsigned int common, int32_t value)
{
	uint32_t mid, leaf;

	if (common == plen) {
		/* the new prefix itself becomes the parent of @cur */
		mid = lpm_node_new(l, key, plen, value);
		if (mid == LPM_NIL)
			return -1;
		l->nodes[mid].child[lpm_bit(l->nodes[cur].key, plen)] = cur;
		*lpm_slot(l, parent, pbit) = mid;
		l->n_prefixes++;
		return 0;
	}
	mid = lpm_node_new(l, key, common, LPM_NONE);
	if (mid == LPM_NIL)
		return -1;
	leaf = lpm_node_new(l, key, plen, value);
	if (leaf == LPM_NIL)
		return -1;	/* @mid stays unreferenced: harmless */
	l->nodes[mid].child[lpm_bit(l->nodes[cur].key, common)] = cur;
	l->nodes[mid].child[lpm_bit(key, common)] = leaf;
	*lpm_slot(l, parent, pbit) = mid;
	l->n_prefixes++;
	return 0;
}

int lpm_insert(struct lpm *l, const uint8_t *key, unsigned int plen,
	       int32_t value)
{
	uint32_t parent = LPM_NIL;
	unsigned int pbit = 0;

	if (plen > l->max_bits || value < 0) {
		errno = EINVAL;
		return -1;
	}
	for (;;) {
		uint32_t cur = *lpm_slot(l, parent, pbit), idx;
		struct lpm_node *n;
		unsigned int limit, common;

		if (cur == LPM_NIL) {
			idx = lpm_node_new(l, key, plen, value);
			if (idx == LPM_NIL)
				return -1;
			*lpm_slot(l, parent, pbit) = idx;
			l->n_prefixes++;
			return 0;
		}
		n = &l->nodes[cur];
		limit = n->plen < plen ? n->plen : plen;
		common = lpm_common(n->key, key, limit);
		if (common < n->plen)
			return lpm_split(l, parent, pbit, cur, key, plen,
					 common, value);
		if (n->plen == plen) {
			if (n->value == LPM_NONE)
				l->n_prefixes++;
			n->value = value;
			return 0;
		}
		parent = cur;
		pbit = lpm_bit(key, n->plen);
	}
}

int32_t lpm_lookup(const struct lpm *l, const uint8_t *addr,
		   unsigned int *plen)
{
	int32_t best = LPM_NONE;
	uint32_t cur = l->root;

	while (cur != LPM_NIL) {
		const struct lpm_node *n = &l->nodes[cur];

		if (!lpm_prefix_matches(n, addr))
			break;
		if (n->value != LPM_NONE) {
			best = n->value;
			if (plen)
				*plen = n->plen;
		}
		if (n->plen >= l->max_bits)
			break;
		cur = n->child[lpm_bit(addr, n->plen)];
	}
	return best;
}

size_t lpm_bytes(const struct lpm *l)
{
	return (size_t)l->cap_nodes * sizeof(struct lpm_node);
}
