/*
 * lpm.h - longest-prefix match over IPv4 or IPv6 keys.
 *
 * A path-compressed binary trie (each node skips the bits its children
 * share), built at load time and read-only afterwards, so lookups need no
 * locks and never allocate.  Nodes live in one array addressed by index:
 * at most two nodes per prefix, about 32 bytes each.
 */
#ifndef NETIFY_LPM_H
#define NETIFY_LPM_H

#include <stddef.h>
#include <stdint.h>

#define LPM_NONE	(-1)

struct lpm_node;

struct lpm {
	struct lpm_node *nodes;
	uint32_t n_nodes;
	uint32_t cap_nodes;
	uint32_t root;		/* index, or UINT32_MAX when empty */
	uint32_t n_prefixes;
	uint8_t max_bits;	/* 32 or 128 */
};

/** lpm_init - empty table for @max_bits-bit keys (32 or 128); 0 or -1. */
int lpm_init(struct lpm *l, unsigned int max_bits);

/** lpm_free - release the nodes; @l may be re-initialised afterwards. */
void lpm_free(struct lpm *l);

/**
 * lpm_insert - map @key/@plen to @value (>= 0); bits past @plen are
 * ignored.  Inserting an existing prefix replaces its value (later
 * definitions win).  Returns 0, or -1 with errno (EINVAL, ENOMEM).
 */
int lpm_insert(struct lpm *l, const uint8_t *key, unsigned int plen,
	       int32_t value);

/**
 * lpm_lookup - value of the longest prefix covering @addr, or LPM_NONE.
 * @plen: if not NULL, receives that prefix's length.
 */
int32_t lpm_lookup(const struct lpm *l, const uint8_t *addr,
		   unsigned int *plen);

/** lpm_bytes - memory held by the node array. */
size_t lpm_bytes(const struct lpm *l);

#endif /* NETIFY_LPM_H */
