/*
 * apps.h - application definitions: catalog of apps and categories, domain
 * and address rules, nDPI protocol mapping.
 *
 * Definitions come from line files in the Netify Agent format
 * (app:<id>:<tag>, dom:<id>:<domain>, net:<id>:<CIDR>) plus netify's
 * backwards-compatible extensions (see netify-apps(5)):
 *   cat:<tag>:<Label>
 *   app:<id>:<tag>:<category tag>:<Display Name>
 *   ndpi:<id>:<nDPI protocol name>
 * Files are read in name order; a later file wins on conflicts.  Bad lines
 * are reported as "file:line: message" and skipped; a bad file never stops
 * the others from loading.
 *
 * A database is immutable once loaded, so lookups need no locks.  Reload
 * builds a new one beside the old and swaps the pointer; holders of the old
 * one keep it alive with apps_db_ref() until apps_db_free().
 */
#ifndef NETIFY_APPS_H
#define NETIFY_APPS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Hard limits: input beyond them is reported and skipped, never a crash. */
#define APPS_LINE_MAX		1024u		/* bytes per line, newline included */
#define APPS_FILES_MAX		256u		/* *.conf files per directory */
#define APPS_FILE_MAX		(64u << 20)	/* bytes per file */
#define APPS_APP_ID_MAX		1000000		/* app ids are 1..APPS_APP_ID_MAX */
#define APPS_APPS_MAX		65536u		/* distinct apps */
#define APPS_CATEGORIES_MAX	256u		/* distinct categories */
#define APPS_DOMAINS_MAX	(4u * 1024u * 1024u)	/* dom: rules */
#define APPS_NETS_MAX		(1024u * 1024u)	/* net: rules, v4 + v6 */
#define APPS_NDPI_MAX		4096u		/* ndpi: rules */
#define APPS_TAG_MAX		64u		/* bytes of a tag, NUL excluded */
#define APPS_LABEL_MAX		128u		/* bytes of a display name */
#define APPS_DOMAIN_MAX		253u		/* bytes of a domain name */

#define APPS_ERRORS_MAX		64u		/* messages kept; more are counted */
#define APPS_ERROR_LEN		256u

/* Collected load errors, bounded: the first APPS_ERRORS_MAX are kept. */
struct apps_errors {
	unsigned int count;		/* messages kept in msg[] */
	unsigned int dropped;		/* further errors, counted only */
	char msg[APPS_ERRORS_MAX][APPS_ERROR_LEN];	/* "file:line: message" */
};

struct apps_app {
	int id;			/* number from the definition files */
	const char *tag;	/* lower-case identifier used by policies */
	const char *label;	/* display name ("WhatsApp"); tag if none given */
	int category;		/* category id, or -1 if uncategorised */
};

struct apps_category {
	int id;			/* dense index 0..apps_category_count()-1 */
	const char *tag;	/* "chat", "video", ... */
	const char *label;	/* "Chat and messaging" */
};

/* Why a lookup matched: for `netify apps lookup` and debugging. */
struct apps_match {
	int id;			/* app id or -1 */
	char rule[APPS_DOMAIN_MAX + 1];	/* matched dom: suffix or net: CIDR text */
	const char *file;	/* definition file of the rule */
	unsigned int line;	/* line in that file */
};

struct apps_db;

/**
 * apps_db_load - load all *.conf files of a directory, in name order
 * @dir: directory, e.g. /etc/netify/apps.d
 * @errs: where to collect per-line errors (may be NULL); zeroed first
 *
 * Returns a database with refcount 1 (possibly empty, if every line was
 * bad), or NULL with errno set if @dir cannot be listed (opendir() or
 * readdir() failed), a file in it cannot be opened or read (the reason is
 * in @errs too), or memory runs out: never a catalog missing files.
 */
struct apps_db *apps_db_load(const char *dir, struct apps_errors *errs);

/** apps_db_load_files - as apps_db_load() for an explicit list of files. */
struct apps_db *apps_db_load_files(const char *const *files, size_t n,
				   struct apps_errors *errs);

/** apps_db_ref - take one more reference (flows in flight across reload). */
struct apps_db *apps_db_ref(struct apps_db *db);

/** apps_db_free - drop a reference; frees on the last one.  NULL is fine. */
void apps_db_free(struct apps_db *db);

/** apps_find_tag - app id for a tag (case-insensitive), or -1. */
int apps_find_tag(const struct apps_db *db, const char *tag);

/** apps_category_find - category id for a tag (case-insensitive), or -1. */
int apps_category_find(const struct apps_db *db, const char *tag);

/**
 * apps_match_host - app for a host name: the exact name, then each parent
 * domain label by label ("a.b.whatsapp.net" matches dom "whatsapp.net").
 * Case-insensitive, a trailing dot is ignored.  Returns app id or -1.
 * Never allocates.
 */
int apps_match_host(const struct apps_db *db, const char *host);

/**
 * apps_match_addr - app for a server address by longest-prefix match.
 * @family: AF_INET (4 bytes at @addr) or AF_INET6 (16 bytes); the IP
 *          version numbers 4 and 6 are accepted as well.
 * Returns app id or -1.  Never allocates.
 */
int apps_match_addr(const struct apps_db *db, int family, const uint8_t *addr);

/**
 * apps_is_platform - whether app @id is in category "platform": its net:
 * ranges are an operator's network, shared by several applications (Meta's
 * carries Facebook, Instagram and WhatsApp), so an address there names no
 * application and belongs to none alone.
 */
bool apps_is_platform(const struct apps_db *db, int id);

/** apps_match_ndpi - app for an nDPI protocol name (case-insensitive), or -1. */
int apps_match_ndpi(const struct apps_db *db, const char *ndpi_proto_name);

/** apps_explain_host / apps_explain_addr - as the match calls, filling @m. */
int apps_explain_host(const struct apps_db *db, const char *host,
		      struct apps_match *m);
int apps_explain_addr(const struct apps_db *db, int family,
		      const uint8_t *addr, struct apps_match *m);

/** apps_get - app by id, or NULL if no such app. */
const struct apps_app *apps_get(const struct apps_db *db, int id);

/** Iteration in id order: apps_at(i) for 0 <= i < apps_count(). */
size_t apps_count(const struct apps_db *db);
const struct apps_app *apps_at(const struct apps_db *db, size_t i);

/** Categories: apps_category_at(i) for 0 <= i < apps_category_count(). */
size_t apps_category_count(const struct apps_db *db);
const struct apps_category *apps_category_at(const struct apps_db *db,
					     size_t i);

/** Rule counts, for status messages and the benchmark. */
struct apps_stats {
	size_t apps, categories, domains, nets4, nets6, ndpi;
	size_t bytes;		/* memory held by the database */
};
void apps_db_stats(const struct apps_db *db, struct apps_stats *st);

#endif /* NETIFY_APPS_H */
