/*
 * uci_int.h - internals shared by the UCI parser (uci.c), the tree and
 * editing code (ucit.c) and the writer (uciw.c).  Not a public interface.
 */
#ifndef NETIFY_UCI_INT_H
#define NETIFY_UCI_INT_H

#include <stddef.h>
#include <stdint.h>

#include "uci.h"

/*
 * Open-addressing hash from (owner, name) to a size_t.  The owner tells
 * namespaces apart: a section for its options, a tag for section names or
 * type counters.  Names are borrowed, never copied: they must outlive
 * the table.
 */
struct uci_hent {
	const void *owner;
	const char *name;	/* NULL: free slot */
	size_t val;
	uint32_t h;
};

struct uci_htab {
	struct uci_hent *ents;
	size_t cap;		/* power of two, or 0 */
	size_t n;
	uint32_t seed;
};

void uci_htab_init(struct uci_htab *t);
void uci_htab_free(struct uci_htab *t);
struct uci_hent *uci_htab_find(const struct uci_htab *t, const void *owner,
			       const char *name);
int uci_htab_put(struct uci_htab *t, const void *owner, const char *name,
		 size_t val);

/* Tree primitives; all return NULL / -1 on allocation failure. */
struct uci_sec *uci_sec_alloc(const char *type, size_t type_len,
			      const char *name, size_t name_len);
int uci_sec_name_anon(struct uci_pkg *p, struct uci_sec *s);
void uci_sec_free(struct uci_sec *s);
struct uci_opt *uci_opt_alloc(const char *name, size_t name_len);
void uci_opt_clear(struct uci_opt *o);
void uci_opt_free(struct uci_opt *o);
int uci_opt_push(struct uci_opt *o, const char *val, size_t len);
int uci_opt_to_list(struct uci_opt *o);
int uci_pkg_reindex(struct uci_pkg *p);
int uci_type_valid(const char *s, size_t len);
int uci_pkgname_valid(const char *s, size_t len);

#endif /* NETIFY_UCI_INT_H */
