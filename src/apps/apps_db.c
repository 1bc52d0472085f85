/*
 * apps_db.c - the frozen application database (see apps.h): lookups by
 * tag, host name, address and nDPI name, explained or not, and its life
 * cycle. Immutable once loaded: no locks, no allocation on lookups.
 */
#include <arpa/inet.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>

#include "apps_int.h"

/* --- the database ---------------------------------------------------------- */

int apps_db_cmp_ndpi(const void *a, const void *b)
{
	return strcasecmp(((const struct apps_ndpirule *)a)->name,
			  ((const struct apps_ndpirule *)b)->name);
}

struct apps_db *apps_db_new(void)
{
	struct apps_db *db = calloc(1, sizeof(*db));

	if (!db)
		return NULL;
	atomic_init(&db->refs, 1);
	domset_init(&db->doms);
	lpm_init(&db->lpm4, 32);
	lpm_init(&db->lpm6, 128);
	return db;
}

long apps_db_search(const struct apps_db *db, int32_t id)
{
	size_t lo = 0, hi = db->n_apps;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (db->apps[mid].pub.id == id)
			return (long)mid;
		if (db->apps[mid].pub.id < id)
			lo = mid + 1;
		else
			hi = mid;
	}
	return -(long)lo - 1;
}

void apps_entry_clear(struct apps_entry *e)
{
	free((char *)e->pub.tag);
	free((char *)e->pub.label);
	free(e->cat_tag);
	e->pub.tag = e->pub.label = NULL;
	e->cat_tag = NULL;
}

struct apps_db *apps_db_ref(struct apps_db *db)
{
	atomic_fetch_add(&db->refs, 1);
	return db;
}

void apps_db_free(struct apps_db *db)
{
	size_t i;

	if (!db || atomic_fetch_sub(&db->refs, 1) > 1)
		return;
	for (i = 0; i < db->n_apps; i++)
		apps_entry_clear(&db->apps[i]);
	for (i = 0; i < db->n_cats; i++) {
		free(db->cats[i].tag);
		free(db->cats[i].label);
	}
	for (i = 0; i < db->n_ndpi; i++)
		free(db->ndpi[i].name);
	for (i = 0; i < db->n_files; i++)
		free(db->files[i]);
	free(db->apps);
	free(db->by_tag);
	free(db->cats);
	free(db->nets);
	free(db->ndpi);
	free(db->files);
	domset_free(&db->doms);
	lpm_free(&db->lpm4);
	lpm_free(&db->lpm6);
	free(db);
}

/* --- queries ------------------------------------------------------------- */

int apps_find_tag(const struct apps_db *db, const char *tag)
{
	size_t lo = 0, hi = db->n_apps;

	/* tags are stored lower-case, so strcasecmp orders like strcmp */
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		int c = strcasecmp(tag, db->by_tag[mid]->pub.tag);

		if (c == 0)
			return db->by_tag[mid]->pub.id;
		if (c < 0)
			hi = mid;
		else
			lo = mid + 1;
	}
	return -1;
}

int apps_category_find(const struct apps_db *db, const char *tag)
{
	size_t i;

	for (i = 0; i < db->n_cats; i++)
		if (strcasecmp(db->cats[i].tag, tag) == 0)
			return (int)i;
	return -1;
}

int apps_match_host(const struct apps_db *db, const char *host)
{
	const struct domset_rule *r = domset_match(&db->doms, host);

	return r ? r->value : -1;
}

/* AF_INET/AF_INET6, or the IP version numbers 4/6 that flow keys carry. */
static const struct lpm *apps_lpm(const struct apps_db *db, int family)
{
	if (family == AF_INET || family == 4)
		return &db->lpm4;
	if (family == AF_INET6 || family == 6)
		return &db->lpm6;
	return NULL;
}

int apps_match_addr(const struct apps_db *db, int family, const uint8_t *addr)
{
	const struct lpm *l = apps_lpm(db, family);
	int32_t r;

	if (!l)
		return -1;
	r = lpm_lookup(l, addr, NULL);
	return r == LPM_NONE ? -1 : db->nets[r].app;
}

bool apps_is_platform(const struct apps_db *db, int id)
{
	const struct apps_app *a = id >= 0 ? apps_get(db, id) : NULL;
	const struct apps_category *c;

	return a && a->category >= 0 && (c = apps_category_at(db, (size_t)a->category)) &&
	       !strcmp(c->tag, "platform");
}

int apps_match_ndpi(const struct apps_db *db, const char *ndpi_proto_name)
{
	struct apps_ndpirule key = { .name = (char *)ndpi_proto_name };
	const struct apps_ndpirule *r;

	if (!db->n_ndpi)
		return -1;
	r = bsearch(&key, db->ndpi, db->n_ndpi, sizeof(*db->ndpi),
		    apps_db_cmp_ndpi);
	return r ? r->app : -1;
}

int apps_explain_host(const struct apps_db *db, const char *host,
		      struct apps_match *m)
{
	const struct domset_rule *r = domset_match(&db->doms, host);

	memset(m, 0, sizeof(*m));
	m->id = -1;
	if (!r)
		return -1;
	m->id = r->value;
	snprintf(m->rule, sizeof(m->rule), "%s", domset_name(&db->doms, r));
	m->file = db->files[r->file];
	m->line = r->line;
	return m->id;
}

int apps_explain_addr(const struct apps_db *db, int family,
		      const uint8_t *addr, struct apps_match *m)
{
	const struct lpm *l = apps_lpm(db, family);
	char text[INET6_ADDRSTRLEN];
	uint8_t net[16] = { 0 };
	unsigned int plen = 0, i;
	int32_t r;

	memset(m, 0, sizeof(*m));
	m->id = -1;
	if (!l || (r = lpm_lookup(l, addr, &plen)) == LPM_NONE)
		return -1;
	for (i = 0; i < plen; i++)	/* the network, not the host asked for */
		net[i >> 3] |= addr[i >> 3] & (0x80u >> (i & 7));
	inet_ntop(l == &db->lpm4 ? AF_INET : AF_INET6, net, text, sizeof(text));
	snprintf(m->rule, sizeof(m->rule), "%s/%u", text, plen);
	m->id = db->nets[r].app;
	m->file = db->files[db->nets[r].file];
	m->line = db->nets[r].line;
	return m->id;
}

const struct apps_app *apps_get(const struct apps_db *db, int id)
{
	long at = apps_db_search(db, id);

	return at < 0 ? NULL : &db->apps[at].pub;
}

size_t apps_count(const struct apps_db *db)
{
	return db->n_apps;
}

const struct apps_app *apps_at(const struct apps_db *db, size_t i)
{
	return i < db->n_apps ? &db->apps[i].pub : NULL;
}

size_t apps_category_count(const struct apps_db *db)
{
	return db->n_cats;
}

const struct apps_category *apps_category_at(const struct apps_db *db,
					     size_t i)
{
	return i < db->n_cats ? &db->cats[i].pub : NULL;
}

void apps_db_stats(const struct apps_db *db, struct apps_stats *st)
{
	size_t i;

	memset(st, 0, sizeof(*st));
	st->apps = db->n_apps;
	st->categories = db->n_cats;
	st->domains = db->doms.n_rules;
	st->nets4 = db->lpm4.n_prefixes;
	st->nets6 = db->lpm6.n_prefixes;
	st->ndpi = db->n_ndpi;
	st->bytes = sizeof(*db) + domset_bytes(&db->doms) +
		    lpm_bytes(&db->lpm4) + lpm_bytes(&db->lpm6) +
		    db->cap_nets * sizeof(*db->nets) +
		    db->cap_apps * sizeof(*db->apps) +
		    db->n_apps * sizeof(*db->by_tag) +
		    db->n_ndpi * sizeof(*db->ndpi) +
		    db->n_cats * sizeof(*db->cats);
	for (i = 0; i < db->n_apps; i++)
		st->bytes += strlen(db->apps[i].pub.tag) +
			     strlen(db->apps[i].pub.label) + 2;
}
