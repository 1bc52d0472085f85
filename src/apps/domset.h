/*
 * domset.h - domain suffix set: exact host, then parent domains.
 *
 * An open-addressing hash of lower-case domain names.  A lookup hashes the
 * host from its last byte to its first, so the hash of each parent domain
 * ("net", "whatsapp.net" inside "a.b.whatsapp.net") comes out in turn, and
 * probes each as it goes.  Every parent of a rule also has a slot marked
 * "has children", so the walk stops at the first suffix nothing extends:
 * an unknown host costs one probe, a known one two or three.  Built at
 * load time and read-only afterwards; lookups never allocate.
 */
#ifndef NETIFY_DOMSET_H
#define NETIFY_DOMSET_H

#include <stddef.h>
#include <stdint.h>

#define DOMSET_NAME_MAX		253u	/* bytes of a name, trailing dot excluded */

/* What a rule says, and where it came from.  Records sit back to back in
 * one blob with the name inline, so a match costs one cache miss less. */
struct domset_rule {
	int32_t value;		/* app id; < 0 disables the rule */
	uint32_t line;
	uint16_t file;		/* caller's file index */
	uint16_t name_len;
	char name[];		/* lower case, NUL-terminated */
};

/* A name's slot: its rule, and whether longer rules end in it. */
struct domset_slot {
	uint32_t hash;
	uint32_t ref;		/* rule index + 1 (0: parent only) | DOMSET_CHILDREN */
};

struct domset {
	uint32_t *offs;		/* rule i's record at blob + offs[i] * 4 */
	uint32_t n_rules, cap_rules;
	char *blob;		/* rule records, 4-byte aligned */
	size_t blob_len, blob_cap;
	struct domset_slot *slots;
	uint32_t n_slots;	/* any size; kept at most 60% used */
	uint32_t n_used;	/* slots in use: rules and parent-only marks */
};

void domset_init(struct domset *d);
void domset_free(struct domset *d);

/**
 * domset_add - map @name (already validated, any case, no trailing dot) to
 * @value; an existing name is overwritten (later definitions win).
 * Returns 0, or -1 with errno (EINVAL for an empty/too long name, ENOMEM).
 */
int domset_add(struct domset *d, const char *name, int32_t value,
	       uint16_t file, uint32_t line);

/**
 * domset_match - rule for @host or its nearest parent domain with a
 * value >= 0, or NULL.  Case-insensitive; one trailing dot is ignored.
 */
const struct domset_rule *domset_match(const struct domset *d,
				       const char *host);

/** domset_name - text of a rule's name. */
const char *domset_name(const struct domset *d, const struct domset_rule *r);

/** domset_rule_at - rule @i (0 <= i < n_rules), in insertion order. */
struct domset_rule *domset_rule_at(const struct domset *d, uint32_t i);

/** domset_compact - drop spare capacity once loading is over. */
void domset_compact(struct domset *d);

/** domset_bytes - memory held (rules, slots, names). */
size_t domset_bytes(const struct domset *d);

#endif /* NETIFY_DOMSET_H */
