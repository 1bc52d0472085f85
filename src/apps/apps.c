/*
 * apps.c - application definitions: the line parser and loading (see
 * apps.h); the frozen database and its queries are apps_db.c.
 *
 * Loading reads every line into a fresh database; references between
 * records (an app's category, a rule's app) are resolved once all files
 * are read so their order does not matter, then the database is frozen.
 */
#define _GNU_SOURCE	/* asprintf */
#include <arpa/inet.h>
#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <unistd.h>

#include "apps_int.h"
#include "sfile.h"
#include "util.h"

/* Where a line came from, threaded through the parsers for messages. */
struct apps_ctx {
	struct apps_db *db;
	struct apps_errors *errs;
	uint16_t file;
	uint32_t line;
};

/* --- errors ------------------------------------------------------------ */

static void apps_err_add(struct apps_errors *errs, const char *file,
			 unsigned int line, const char *fmt, va_list ap)
{
	char *msg;
	int n;

	if (!errs)
		return;
	if (errs->count >= APPS_ERRORS_MAX) {
		errs->dropped++;
		return;
	}
	msg = errs->msg[errs->count++];
	n = snprintf(msg, APPS_ERROR_LEN, "%s:%u: ", file, line);
	if (n < 0 || (size_t)n >= APPS_ERROR_LEN)
		return;
	vsnprintf(msg + n, APPS_ERROR_LEN - (size_t)n, fmt, ap);
}

static void __attribute__((format(printf, 4, 5)))
apps_err_at(struct apps_ctx *ctx, uint16_t file, uint32_t line,
	    const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	apps_err_add(ctx->errs, ctx->db->files[file], line, fmt, ap);
	va_end(ap);
}

#define apps_err(ctx, ...) apps_err_at((ctx), (ctx)->file, (ctx)->line, __VA_ARGS__)

/* The error that fails the whole load goes first, before the line errors of
 * the files read until then (a caller that shows one message shows why),
 * and is never the one dropped when the list is full. */
static void __attribute__((format(printf, 2, 3)))
apps_err_fatal(struct apps_ctx *ctx, const char *fmt, ...)
{
	struct apps_errors *errs = ctx->errs;
	char first[APPS_ERROR_LEN];
	va_list ap;

	if (!errs)
		return;
	if (errs->count >= APPS_ERRORS_MAX) {
		errs->count--;
		errs->dropped++;
	}
	va_start(ap, fmt);
	apps_err_add(errs, ctx->db->files[ctx->file], ctx->line, fmt, ap);
	va_end(ap);
	memcpy(first, errs->msg[errs->count - 1], sizeof(first));
	memmove(errs->msg[1], errs->msg[0], (errs->count - 1) * sizeof(errs->msg[0]));
	memcpy(errs->msg[0], first, sizeof(first));
}

/* --- field validation ---------------------------------------------------- */

static char *apps_trim(char *s)
{
	char *end;

	while (*s == ' ' || *s == '\t')
		s++;
	end = s + strlen(s);
	while (end > s && isspace((unsigned char)end[-1]))
		*--end = '\0';
	return s;
}

static int apps_parse_id(struct apps_ctx *ctx, const char *s, int32_t *id)
{
	char *end;
	long v;

	errno = 0;
	v = strtol(s, &end, 10);
	if (!isdigit((unsigned char)*s) || *end || errno ||
	    v < 1 || v > APPS_APP_ID_MAX) {
		apps_err(ctx, "bad application id '%.32s' (1..%d)", s,
			 APPS_APP_ID_MAX);
		return -1;
	}
	*id = (int32_t)v;
	return 0;
}

/* Tags are what policies name: keep them to a safe, case-folded set. */
static int apps_valid_tag(struct apps_ctx *ctx, char *s, const char *what)
{
	size_t i, len = strlen(s);

	if (len == 0 || len > APPS_TAG_MAX) {
		apps_err(ctx, "%s tag must be 1..%u bytes", what, APPS_TAG_MAX);
		return -1;
	}
	for (i = 0; i < len; i++) {
		unsigned char c = (unsigned char)s[i];

		if (!isalnum(c) && c != '-' && c != '_' && c != '.') {
			apps_err(ctx, "%s tag '%.64s' has a character other "
				 "than letters, digits, '-', '_', '.'", what, s);
			return -1;
		}
		s[i] = (char)tolower(c);
	}
	return 0;
}

/* Labels end up in JSON and on screens: valid UTF-8, no control bytes. */
static int apps_valid_label(struct apps_ctx *ctx, const char *s)
{
	const unsigned char *p = (const unsigned char *)s;
	size_t n;

	if (!*s || strlen(s) > APPS_LABEL_MAX) {
		apps_err(ctx, "display name must be 1..%u bytes", APPS_LABEL_MAX);
		return -1;
	}
	for (; *p; p += n) {
		n = util_utf8_seq(p, 4);	/* the NUL ends a short sequence */
		if (n == 0 || *p < 0x20 || *p == 0x7f) {
			apps_err(ctx, "display name is not printable UTF-8");
			return -1;
		}
	}
	return 0;
}

/* Accept "example.com", "*.example.com" and ".example.com" (all mean the
 * domain and everything under it); returns the bare name or NULL. */
static char *apps_valid_domain(struct apps_ctx *ctx, char *s)
{
	size_t len, label = 0, i;

	if (s[0] == '*' && s[1] == '.')
		s += 2;
	else if (s[0] == '.')
		s++;
	len = strlen(s);
	if (len && s[len - 1] == '.')
		s[--len] = '\0';
	if (len == 0 || len > APPS_DOMAIN_MAX)
		goto bad;
	for (i = 0; i <= len; i++) {
		unsigned char c = (unsigned char)s[i];

		if (c == '.' || c == '\0') {
			if (label == 0 || label > 63)
				goto bad;
			label = 0;
		} else if (isalnum(c) || c == '-' || c == '_') {
			label++;
		} else {
			goto bad;
		}
	}
	return s;
bad:
	apps_err(ctx, "bad domain name '%.64s'", s);
	return NULL;
}

/* "a.b.c.d[/n]" or "v6[/n]"; host bits past the prefix are ignored. */
static int apps_parse_cidr(struct apps_ctx *ctx, char *s, int *family,
			   uint8_t *addr, unsigned int *plen)
{
	char *slash = strchr(s, '/'), *end;
	unsigned long n;

	if (slash)
		*slash = '\0';
	if (inet_pton(AF_INET, s, addr) == 1) {
		*family = AF_INET;
		*plen = 32;
	} else if (inet_pton(AF_INET6, s, addr) == 1) {
		*family = AF_INET6;
		*plen = 128;
	} else {
		apps_err(ctx, "bad network address '%.64s'", s);
		return -1;
	}
	if (!slash)
		return 0;
	errno = 0;
	n = strtoul(slash + 1, &end, 10);
	if (!isdigit((unsigned char)slash[1]) || *end || errno || n > *plen) {
		apps_err(ctx, "bad prefix length '/%.16s'", slash + 1);
		return -1;
	}
	*plen = (unsigned int)n;
	return 0;
}

/* --- records --------------------------------------------------------------- */

/* Slot for app @id: the existing one (a later file redefines it) or a new
 * one kept in id order.  Files list apps in id order, so this appends. */
static struct apps_entry *apps_slot(struct apps_db *db, int32_t id)
{
	long at = apps_db_search(db, id);
	size_t pos;

	if (at >= 0)
		return &db->apps[at];
	if (db->n_apps >= APPS_APPS_MAX) {
		errno = ENOSPC;
		return NULL;
	}
	if (db->n_apps == db->cap_apps) {
		size_t cap = db->cap_apps ? db->cap_apps * 2 : 128;
		struct apps_entry *a = realloc(db->apps, cap * sizeof(*a));

		if (!a)
			return NULL;
		db->apps = a;
		db->cap_apps = cap;
	}
	pos = (size_t)(-at - 1);
	memmove(&db->apps[pos + 1], &db->apps[pos],
		(db->n_apps - pos) * sizeof(*db->apps));
	db->n_apps++;
	memset(&db->apps[pos], 0, sizeof(db->apps[pos]));
	db->apps[pos].pub.id = id;
	return &db->apps[pos];
}

/* app:<id>:<tag>[:<category>[:<Display Name>]] */
static int apps_rec_app(struct apps_ctx *ctx, char *rest)
{
	char *f[4] = { NULL }, *tok;
	struct apps_entry *e;
	int32_t id;
	int n;

	for (n = 0; n < 3 && (tok = strsep(&rest, ":")); n++)
		f[n] = apps_trim(tok);
	f[3] = rest ? apps_trim(rest) : NULL;	/* a name may hold ':' */
	if (n < 2 || !*f[1]) {
		apps_err(ctx, "app needs at least <id>:<tag>");
		return -1;
	}
	if (apps_parse_id(ctx, f[0], &id) < 0 ||
	    apps_valid_tag(ctx, f[1], "application") < 0 ||
	    (f[2] && *f[2] && apps_valid_tag(ctx, f[2], "category") < 0) ||
	    (f[3] && apps_valid_label(ctx, f[3]) < 0))
		return -1;
	e = apps_slot(ctx->db, id);
	if (!e) {
		apps_err(ctx, "too many applications (max %u)", APPS_APPS_MAX);
		return -1;
	}
	apps_entry_clear(e);
	e->pub.tag = strdup(f[1]);
	e->pub.label = strdup(f[3] ? f[3] : f[1]);
	e->cat_tag = (f[2] && *f[2]) ? strdup(f[2]) : NULL;
	e->pub.category = -1;
	e->file = ctx->file;
	e->line = ctx->line;
	if (!e->pub.tag || !e->pub.label || (f[2] && *f[2] && !e->cat_tag))
		return -2;
	return 0;
}

/* cat:<tag>:<Label> */
static int apps_rec_cat(struct apps_ctx *ctx, char *rest)
{
	char *tag = apps_trim(strsep(&rest, ":")), *label;
	struct apps_db *db = ctx->db;
	struct apps_cat_entry *c;
	size_t i;

	label = rest ? apps_trim(rest) : tag;
	if (apps_valid_tag(ctx, tag, "category") < 0 ||
	    apps_valid_label(ctx, label) < 0)
		return -1;
	for (i = 0; i < db->n_cats; i++)
		if (strcmp(db->cats[i].tag, tag) == 0)
			break;
	if (i == db->n_cats) {
		if (db->n_cats >= APPS_CATEGORIES_MAX) {
			apps_err(ctx, "too many categories (max %u)",
				 APPS_CATEGORIES_MAX);
			return -1;
		}
		c = realloc(db->cats, (db->n_cats + 1) * sizeof(*c));
		if (!c)
			return -2;
		db->cats = c;
		memset(&c[i], 0, sizeof(c[i]));
		c[i].tag = strdup(tag);
		if (!c[i].tag)
			return -2;
		db->n_cats++;
	}
	c = &db->cats[i];
	free(c->label);
	c->label = strdup(label);	/* a later file may relabel */
	c->pub = (struct apps_category){ (int)i, c->tag, c->label };
	return c->label ? 0 : -2;
}

/* dom:<id>:<domain> */
static int apps_rec_dom(struct apps_ctx *ctx, int32_t id, char *arg)
{
	char *name = apps_valid_domain(ctx, arg);

	if (!name)
		return -1;
	if (ctx->db->doms.n_rules >= APPS_DOMAINS_MAX) {
		apps_err(ctx, "too many domains (max %u)", APPS_DOMAINS_MAX);
		return -1;
	}
	return domset_add(&ctx->db->doms, name, id, ctx->file, ctx->line) < 0 ?
	       -2 : 0;
}

/* net:<id>:<CIDR> */
static int apps_rec_net(struct apps_ctx *ctx, int32_t id, char *arg)
{
	struct apps_db *db = ctx->db;
	uint8_t addr[16];
	unsigned int plen;
	int family;

	if (apps_parse_cidr(ctx, arg, &family, addr, &plen) < 0)
		return -1;
	if (db->n_nets >= APPS_NETS_MAX) {
		apps_err(ctx, "too many networks (max %u)", APPS_NETS_MAX);
		return -1;
	}
	if (db->n_nets == db->cap_nets) {
		size_t cap = db->cap_nets ? db->cap_nets * 2 : 256;
		struct apps_netrule *n = realloc(db->nets, cap * sizeof(*n));

		if (!n)
			return -2;
		db->nets = n;
		db->cap_nets = cap;
	}
	db->nets[db->n_nets] = (struct apps_netrule){ id, ctx->file, ctx->line };
	if (lpm_insert(family == AF_INET ? &db->lpm4 : &db->lpm6, addr, plen,
		       (int32_t)db->n_nets) < 0)
		return -2;
	db->n_nets++;
	return 0;
}

/* ndpi:<id>:<nDPI protocol name> */
static int apps_rec_ndpi(struct apps_ctx *ctx, int32_t id, char *arg)
{
	struct apps_db *db = ctx->db;
	struct apps_ndpirule *r;
	size_t i;

	if (!*arg || strlen(arg) > APPS_TAG_MAX) {
		apps_err(ctx, "nDPI protocol name must be 1..%u bytes",
			 APPS_TAG_MAX);
		return -1;
	}
	for (i = 0; i < db->n_ndpi; i++)
		if (strcasecmp(db->ndpi[i].name, arg) == 0)
			break;
	if (i == db->n_ndpi) {
		if (db->n_ndpi >= APPS_NDPI_MAX) {
			apps_err(ctx, "too many ndpi mappings (max %u)",
				 APPS_NDPI_MAX);
			return -1;
		}
		r = realloc(db->ndpi, (db->n_ndpi + 1) * sizeof(*r));
		if (!r)
			return -2;
		db->ndpi = r;
		r[i].name = strdup(arg);
		if (!r[i].name)
			return -2;
		db->n_ndpi++;
	}
	r = &db->ndpi[i];
	r->app = id;
	r->file = ctx->file;
	r->line = ctx->line;
	return 0;
}

/* dom/net/ndpi share <id>:<argument>. */
static int apps_rec_rule(struct apps_ctx *ctx, const char *key, char *rest)
{
	char *idtext = strsep(&rest, ":");
	int32_t id;

	if (!rest) {
		apps_err(ctx, "%s needs <id>:<value>", key);
		return -1;
	}
	if (apps_parse_id(ctx, apps_trim(idtext), &id) < 0)
		return -1;
	rest = apps_trim(rest);
	if (strcmp(key, "dom") == 0)
		return apps_rec_dom(ctx, id, rest);
	if (strcmp(key, "net") == 0)
		return apps_rec_net(ctx, id, rest);
	return apps_rec_ndpi(ctx, id, rest);
}

/* One line; returns -2 only when memory ran out (loading stops). */
static int apps_parse_line(struct apps_ctx *ctx, char *line)
{
	char *rest = apps_trim(line), *key;

	if (*rest == '\0' || *rest == '#')
		return 0;
	key = strsep(&rest, ":");
	if (!rest) {
		apps_err(ctx, "expected <type>:..., got '%.32s'", key);
		return -1;
	}
	if (strcmp(key, "app") == 0)
		return apps_rec_app(ctx, rest);
	if (strcmp(key, "cat") == 0)
		return apps_rec_cat(ctx, rest);
	if (strcmp(key, "dom") == 0 || strcmp(key, "net") == 0 ||
	    strcmp(key, "ndpi") == 0)
		return apps_rec_rule(ctx, key, rest);
	apps_err(ctx, "unknown record type '%.16s'", key);
	return -1;
}

/* --- loading ------------------------------------------------------------- */

#define APPS_READ_BUF (16u * 1024u)

/* Splits a file's bytes into lines as read() delivers them. */
struct apps_reader {
	char buf[APPS_READ_BUF];
	size_t have;		/* bytes in buf */
	uint64_t total;		/* bytes read from the file */
	bool skipping;		/* inside a line already reported too long */
};

/* One line of @len bytes, newline excluded. A line is counted once, even
 * when its end comes after it was reported too long; a line with a NUL in
 * it is reported, not cut at the NUL (the rest would be lost, or read as a
 * line of its own). Returns -2 when memory ran out. */
static int apps_line(struct apps_ctx *ctx, struct apps_reader *r, const char *p, size_t len)
{
	char line[APPS_LINE_MAX + 1];
	const char *nul;

	if (r->skipping) {
		r->skipping = false;
		return 0;
	}
	ctx->line++;
	if (len + 1 > APPS_LINE_MAX) {
		apps_err(ctx, "line longer than %u bytes", APPS_LINE_MAX);
		return -1;
	}
	if ((nul = memchr(p, '\0', len))) {
		apps_err(ctx, "NUL byte in the line (column %zu)", (size_t)(nul - p) + 1);
		return -1;
	}
	memcpy(line, p, len);
	line[len] = '\0';
	return apps_parse_line(ctx, line);
}

/* Hands every complete line in the buffer over; what is left is the start
 * of a line still being read. At the end of the file it is the last line. */
static int apps_lines(struct apps_ctx *ctx, struct apps_reader *r, bool eof)
{
	size_t start = 0;
	char *nl;

	while ((nl = memchr(r->buf + start, '\n', r->have - start))) {
		if (apps_line(ctx, r, r->buf + start, (size_t)(nl - r->buf) - start) == -2)
			return -2;
		start = (size_t)(nl - r->buf) + 1;
	}
	if (eof && start < r->have) {
		if (apps_line(ctx, r, r->buf + start, r->have - start) == -2)
			return -2;
		start = r->have;
	}
	memmove(r->buf, r->buf + start, r->have - start);
	r->have -= start;
	if (r->have + 1 > APPS_LINE_MAX) {
		/* no newline in sight: report the line now, drop it up to its end */
		if (!r->skipping) {
			ctx->line++;
			apps_err(ctx, "line longer than %u bytes", APPS_LINE_MAX);
			r->skipping = true;
		}
		r->have = 0;
	}
	return 0;
}

static int apps_read_fd(struct apps_ctx *ctx, int fd, struct apps_reader *r)
{
	ssize_t n;
	int err;

	for (;;) {
		n = read(fd, r->buf + r->have, sizeof(r->buf) - r->have);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			err = errno;
			apps_err_fatal(ctx, "read error: %s", strerror(err));
			errno = err;
			return -1;
		}
		r->have += (size_t)n;
		r->total += (uint64_t)n;
		if (r->total > APPS_FILE_MAX) {	/* it grew since it was opened */
			apps_err_fatal(ctx, "larger than %u bytes", APPS_FILE_MAX);
			errno = EFBIG;
			return -1;
		}
		if (apps_lines(ctx, r, n == 0) == -2) {
			errno = ENOMEM;
			return -1;
		}
		if (n == 0)
			return 0;
	}
}

/* Read one file. A file that cannot be opened or read fails the whole
 * load (-1, errno set, the reason in the errors): a catalog missing a file
 * would name fewer applications without anyone noticing. sfile_open()
 * refuses what is not a regular file (a FIFO would block the loader, the
 * daemon's main thread on a reload, /dev/zero would never end). */
static int apps_read_file(struct apps_ctx *ctx)
{
	char why[SFILE_WHY_LEN];
	struct apps_reader *r;
	int fd, rc, err;

	ctx->line = 0;
	fd = sfile_open(ctx->db->files[ctx->file], APPS_FILE_MAX, why, sizeof(why));
	if (fd < 0) {
		err = errno;
		apps_err_fatal(ctx, "cannot open: %s", why);
		errno = err;
		return -1;
	}
	if (!(r = calloc(1, sizeof(*r)))) {
		close(fd);
		errno = ENOMEM;
		return -1;
	}
	rc = apps_read_fd(ctx, fd, r);
	err = errno;
	free(r);
	close(fd);
	errno = err;
	return rc;
}

static int apps_cmp_tag(const void *a, const void *b)
{
	const struct apps_entry *x = *(const struct apps_entry *const *)a;
	const struct apps_entry *y = *(const struct apps_entry *const *)b;
	int c = strcmp(x->pub.tag, y->pub.tag);

	if (c)
		return c;
	if (x->file != y->file)
		return x->file < y->file ? -1 : 1;
	return x->line < y->line ? -1 : (x->line > y->line);
}

/* Two ids may not share a tag (policies name apps by tag): the first
 * definition keeps it, the later one is reported and dropped. */
static int apps_dedupe_tags(struct apps_ctx *ctx)
{
	struct apps_db *db = ctx->db;
	size_t i, kept = 0;

	db->by_tag = malloc((db->n_apps ? db->n_apps : 1) * sizeof(*db->by_tag));
	if (!db->by_tag)
		return -1;
	for (i = 0; i < db->n_apps; i++)
		db->by_tag[i] = &db->apps[i];
	qsort(db->by_tag, db->n_apps, sizeof(*db->by_tag), apps_cmp_tag);
	for (i = 1; i < db->n_apps; i++) {
		struct apps_entry *prev = db->by_tag[i - 1], *e = db->by_tag[i];

		if (strcmp(prev->pub.tag, e->pub.tag) != 0)
			continue;
		apps_err_at(ctx, e->file, e->line,
			    "tag '%s' already used by application %d",
			    e->pub.tag, prev->pub.id);
		db->by_tag[i] = prev;	/* keeps the chain of duplicates going */
		apps_entry_clear(e);
	}
	for (i = 0; i < db->n_apps; i++) {
		if (!db->apps[i].pub.tag)
			continue;
		db->apps[kept++] = db->apps[i];
	}
	db->n_apps = kept;
	/* entries moved: rebuild the tag index over the survivors */
	for (i = 0; i < db->n_apps; i++)
		db->by_tag[i] = &db->apps[i];
	qsort(db->by_tag, db->n_apps, sizeof(*db->by_tag), apps_cmp_tag);
	return 0;
}

static void apps_resolve_categories(struct apps_ctx *ctx)
{
	struct apps_db *db = ctx->db;
	size_t i;

	for (i = 0; i < db->n_apps; i++) {
		struct apps_entry *e = &db->apps[i];

		if (!e->cat_tag)
			continue;
		e->pub.category = apps_category_find(db, e->cat_tag);
		if (e->pub.category < 0)
			apps_err_at(ctx, e->file, e->line,
				    "unknown category '%s'", e->cat_tag);
		free(e->cat_tag);
		e->cat_tag = NULL;
	}
}

/* Rules naming an app no file defines are reported and disabled. */
static void apps_check_rules(struct apps_ctx *ctx)
{
	struct apps_db *db = ctx->db;
	size_t i;

	for (i = 0; i < db->doms.n_rules; i++) {
		struct domset_rule *r = domset_rule_at(&db->doms, (uint32_t)i);

		if (r->value >= 0 && apps_db_search(db, r->value) < 0) {
			apps_err_at(ctx, r->file, r->line,
				    "dom: unknown application %d", r->value);
			r->value = -1;
		}
	}
	for (i = 0; i < db->n_nets; i++) {
		struct apps_netrule *r = &db->nets[i];

		if (apps_db_search(db, r->app) < 0) {
			apps_err_at(ctx, r->file, r->line,
				    "net: unknown application %d", r->app);
			r->app = -1;
		}
	}
}

static void apps_check_ndpi(struct apps_ctx *ctx)
{
	struct apps_db *db = ctx->db;
	size_t i, kept = 0;

	for (i = 0; i < db->n_ndpi; i++) {
		struct apps_ndpirule *r = &db->ndpi[i];

		if (apps_db_search(db, r->app) < 0) {
			apps_err_at(ctx, r->file, r->line,
				    "ndpi: unknown application %d", r->app);
			free(r->name);
			continue;
		}
		db->ndpi[kept++] = *r;
	}
	db->n_ndpi = kept;
	if (db->n_ndpi)
		qsort(db->ndpi, db->n_ndpi, sizeof(*db->ndpi), apps_db_cmp_ndpi);
}

static int apps_finish(struct apps_ctx *ctx)
{
	if (apps_dedupe_tags(ctx) < 0)
		return -1;
	apps_resolve_categories(ctx);
	apps_check_rules(ctx);
	apps_check_ndpi(ctx);
	domset_compact(&ctx->db->doms);
	return 0;
}

struct apps_db *apps_db_load_files(const char *const *files, size_t n,
				   struct apps_errors *errs)
{
	struct apps_ctx ctx = { .errs = errs };
	size_t i;
	int err;

	if (errs)
		memset(errs, 0, sizeof(*errs));
	ctx.db = apps_db_new();
	if (!ctx.db)
		return NULL;
	if (n > APPS_FILES_MAX)
		n = APPS_FILES_MAX;	/* apps_db_load reports the excess */
	ctx.db->files = calloc(n ? n : 1, sizeof(char *));
	if (!ctx.db->files)
		goto out_free_db;
	for (i = 0; i < n; i++) {
		ctx.db->files[i] = strdup(files[i]);
		if (!ctx.db->files[i])
			goto out_free_db;
		ctx.db->n_files++;
		ctx.file = (uint16_t)i;
		if (apps_read_file(&ctx) < 0)
			goto out_free_db_errno;
	}
	if (apps_finish(&ctx) < 0)
		goto out_free_db;
	return ctx.db;

out_free_db:
	errno = ENOMEM;
out_free_db_errno:
	err = errno;
	apps_db_free(ctx.db);
	errno = err;
	return NULL;
}

static int apps_cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

static int apps_is_conf(const char *name)
{
	size_t len = strlen(name);

	return name[0] != '.' && len > 5 && strcmp(name + len - 5, ".conf") == 0;
}

/* Paths of the *.conf files of @dir, sorted by name (C locale). */
static char **apps_list_dir(const char *dir, size_t *n, int *too_many)
{
	size_t cap = 16, i;
	struct dirent *de;
	char **names;
	int err;
	DIR *d;

	*n = 0;
	*too_many = 0;
	d = opendir(dir);
	if (!d)
		return NULL;
	names = malloc(cap * sizeof(*names));
	if (!names)
		goto out_close;
	/* readdir() returns NULL at the end and on an error (EOVERFLOW for a
	 * large inode with 32-bit offsets, EIO): only errno tells them apart,
	 * and an error must not pass for a directory with fewer files. */
	for (errno = 0; (de = readdir(d)); errno = 0) {
		if (!apps_is_conf(de->d_name))
			continue;
		if (*n >= APPS_FILES_MAX) {
			*too_many = 1;
			continue;
		}
		if (*n == cap) {
			char **g = realloc(names, cap * 2 * sizeof(*g));

			if (!g)
				goto out_free_names;
			names = g;
			cap *= 2;
		}
		if (asprintf(&names[*n], "%s/%s", dir, de->d_name) < 0)
			goto out_free_names;
		(*n)++;
	}
	if (errno) {
		err = errno;
		goto out_free_names_errno;
	}
	closedir(d);
	qsort(names, *n, sizeof(*names), apps_cmp_str);
	return names;

out_free_names:
	err = ENOMEM;
out_free_names_errno:
	for (i = 0; i < *n; i++)
		free(names[i]);
	free(names);
	closedir(d);
	errno = err;
	return NULL;
out_close:
	closedir(d);
	errno = ENOMEM;
	return NULL;
}

struct apps_db *apps_db_load(const char *dir, struct apps_errors *errs)
{
	struct apps_db *db;
	int too_many, saved;
	char **names;
	size_t n, i;

	names = apps_list_dir(dir, &n, &too_many);
	if (!names)
		return NULL;
	db = apps_db_load_files((const char *const *)names, n, errs);
	saved = errno;
	if (db && too_many && errs && errs->count < APPS_ERRORS_MAX)
		snprintf(errs->msg[errs->count++], APPS_ERROR_LEN,
			 "%s:0: more than %u *.conf files, the rest ignored",
			 dir, APPS_FILES_MAX);
	for (i = 0; i < n; i++)
		free(names[i]);
	free(names);
	errno = saved;
	return db;
}
