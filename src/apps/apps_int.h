/*
 * apps_int.h - the database's layout, shared by apps.c (loading) and
 * apps_db.c (the frozen database and its queries). Not a public interface.
 */
#ifndef NETIFY_APPS_INT_H
#define NETIFY_APPS_INT_H

#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>

#include "apps.h"
#include "domset.h"
#include "lpm.h"

struct apps_entry {
	struct apps_app pub;
	char *cat_tag;		/* resolved into pub.category at the end */
	uint16_t file;
	uint32_t line;
};

struct apps_cat_entry {
	struct apps_category pub;
	char *tag, *label;
};

struct apps_netrule {
	int32_t app;
	uint16_t file;
	uint32_t line;
};

struct apps_ndpirule {
	char *name;
	int32_t app;
	uint16_t file;
	uint32_t line;
};

struct apps_db {
	atomic_int refs;
	struct apps_entry *apps;	/* sorted by id */
	size_t n_apps, cap_apps;
	struct apps_entry **by_tag;	/* sorted by tag, for apps_find_tag */
	struct apps_cat_entry *cats;
	size_t n_cats;
	struct domset doms;
	struct lpm lpm4, lpm6;
	struct apps_netrule *nets;
	size_t n_nets, cap_nets;
	struct apps_ndpirule *ndpi;	/* sorted by name once loaded */
	size_t n_ndpi;
	char **files;
	size_t n_files;
};

/* An empty database (refcount 1), or NULL. */
struct apps_db *apps_db_new(void);

/* Index of app @id in the sorted array, or where it would go (negative:
 * -(pos + 1)). */
long apps_db_search(const struct apps_db *db, int32_t id);

/* The order of the nDPI rules: by name, any case (qsort, bsearch). */
int apps_db_cmp_ndpi(const void *a, const void *b);

/* Frees what an entry holds (not the entry). */
void apps_entry_clear(struct apps_entry *e);

#endif
