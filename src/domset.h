/*
 * domset.h - domain suffix set: exact host, then parent domains.
 *
 * An open-addressing hash of lower-case domain names.  A lookup hashes the
 * host once from its last byte to its first, so the hash of every parent
 * domain ("whatsapp.net" inside "a.b.whatsapp.net") is a by-product, then
 * probes from the longest suffix to the shortest.  Built at load time and
 * read-only afterwards; lookups never allocate.
 */
#ifndef NETIFY_DOMSET_H
#define NETIFY_DOMSET_H

#include <stddef.h>
#include <stdint.h>

#define DOMSET_NAME_MAX		253u	/* bytes of a name, trailing dot excluded */
#define DOMSET_LABELS_MAX	128u	/* labels of a name (253 bytes => <= 127) */

/* What a rule says, and where it came from. */
struct domset_rule {
	uint32_t name_off;	/* into the name blob */
	uint32_t hash;
	int32_t value;		/* app id; < 0 disables the rule */
	uint16_t name_len;
	uint16_t file;		/* caller's file index */
	uint32_t line;
};

struct domset {
	struct domset_rule *rules;
	uint32_t n_rules, cap_rules;
	uint32_t *slots;	/* rule index + 1; 0 = empty */
	uint32_t n_slots;	/* power of two, kept at most half full */
	char *names;		/* NUL-terminated names back to back */
	size_t names_len, names_cap;
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

/** domset_compact - drop spare capacity once loading is over. */
void domset_compact(struct domset *d);

/** domset_bytes - memory held (rules, slots, names). */
size_t domset_bytes(const struct domset *d);

#endif /* NETIFY_DOMSET_H */
