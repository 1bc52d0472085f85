/*
 * uci.c - parser for OpenWrt UCI configuration files.
 *
 * Behaves as libuci's uci_load() in strict mode, quirks included, because
 * a file must mean the same here and in uci(1)/LuCI.  libuci tokenises a
 * line buffer in place (unquoting by copying bytes backwards and writing
 * NUL terminators); several of its documented-by-behaviour quirks follow
 * from that, e.g. `option a b; option c d` drops the second statement while
 * `option a b ; option c d` keeps it.  So we do the same on a private copy
 * of the whole file, through a cursor that never reads past the current
 * logical line: reads there return 0, just like the end of libuci's buffer.
 *
 * Parsing builds a new package and only hands it out when the whole file
 * was accepted.  See doc/uci-parser.md for the rules and the differences.
 */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "sfile.h"
#include "uci_int.h"

/* Namespace tag for section names in the parser's hash. */
static const char parse_tag_secs;

struct uci_cur {
	char *buf;	/* private copy + terminating NUL; NULs inside are ours */
	size_t len;
	size_t pos;	/* read position */
	size_t lend;	/* end of the logical line: reads at or past it give 0 */
};

struct uci_tok {
	size_t off;	/* NUL-terminated in place at off + len */
	size_t len;
};

/* Options in order of last change; libuci moves a changed option last. */
struct uci_slot {
	struct uci_sec *sec;
	struct uci_opt *opt;	/* NULL: moved to a later slot */
};

struct uci_parser {
	struct uci_cur c;
	const char *src;	/* pristine input, for line/column */
	const char *file;
	struct uci_err *err;
	struct uci_pkg *pkg;
	struct uci_sec *sec;	/* section options go to */
	struct uci_sec **sec_tail;
	struct uci_htab names;	/* section name -> sec; (sec, option) -> slot */
	struct uci_slot *slots;
	size_t n_slots;
	size_t cap_slots;
	size_t line_start;	/* offset where the logical line starts */
	int line_no;		/* its line number */
	size_t n_tokens;
};

enum arg_kind {
	ARG_VALUE,
	ARG_NAME,	/* [A-Za-z0-9_]+ */
	ARG_PKG,	/* [A-Za-z0-9_-]+ */
	__ARG_MAX
};

/* ---- errors ---- */

static void err_set(struct uci_err *err, const char *file, int line, int col,
		    const char *msg)
{
	snprintf(err->file, sizeof(err->file), "%s", file ? file : "-");
	err->line = line;
	err->col = col;
	snprintf(err->msg, sizeof(err->msg), "%s", msg);
}

static int perr_nopos(struct uci_parser *ps, const char *msg)
{
	err_set(ps->err, ps->file, 0, 0, msg);
	return -1;
}

/* Report at byte @at of the input, as line and column (both 1-based). */
static int perr(struct uci_parser *ps, size_t at, const char *msg)
{
	const char *p = ps->src, *end, *nl;
	int line = 1;

	/* past the end of a line (missing argument): point at its newline */
	if (at >= ps->c.lend && at > 0 && ps->src[at - 1] == '\n')
		at--;
	end = ps->src + at;
	while ((nl = memchr(p, '\n', (size_t)(end - p)))) {
		line++;
		p = nl + 1;
	}
	err_set(ps->err, ps->file, line, (int)(end - p) + 1, msg);
	return -1;
}

void uci_err_format(const struct uci_err *err, char *buf, size_t size)
{
	if (!size)
		return;
	if (err->line > 0)
		snprintf(buf, size, "%s:%d:%d: %s", err->file, err->line,
			 err->col, err->msg);
	else
		snprintf(buf, size, "%s: %s", err->file, err->msg);
}

/* ---- cursor ---- */

static char uci_cur_at(const struct uci_cur *c, size_t at)
{
	return at < c->lend ? c->buf[at] : 0;
}

static void uci_cur_put(struct uci_cur *c, size_t at, char v)
{
	/* never touch the lines not read yet; buf[len] is our own NUL */
	if (at < c->lend || at == c->len)
		c->buf[at] = v;
}

static int is_space(char ch)
{
	return ch == ' ' || ch == '\t' || ch == '\n' || ch == '\v' ||
	       ch == '\f' || ch == '\r';
}

static void uci_cur_skip_ws(struct uci_cur *c)
{
	while (is_space(uci_cur_at(c, c->pos)))
		c->pos++;
}

/*
 * Copy the byte at pos down to *target: in-place unquoting.  Callers have
 * just read a non-zero byte at pos, so pos < lend, and target <= pos.
 */
static void uci_cur_addc(struct uci_cur *c, size_t *target)
{
	c->buf[(*target)++] = c->buf[c->pos++];
}

/*
 * Append the next physical line to the logical line, as libuci's
 * uci_getln() does inside quotes and after a backslash-newline.
 * Returns 1 if a line was added, 0 at end of file, -1 if too long.
 */
static int line_extend(struct uci_parser *ps)
{
	struct uci_cur *c = &ps->c;
	const char *nl;

	if (c->lend >= c->len)
		return 0;
	nl = memchr(ps->src + c->lend, '\n', c->len - c->lend);
	c->lend = nl ? (size_t)(nl - ps->src) + 1 : c->len;
	if (c->lend - ps->line_start > UCI_MAX_LINE_LEN)
		return perr(ps, ps->line_start, "line too long");
	return 1;
}

/* ---- tokens ---- */

/*
 * Backslash outside single quotes: at the end of a line it continues the
 * token on the next line (1 ignored byte), otherwise the next byte is taken
 * literally.  Returns 1 to copy the byte at pos, 0 to skip, -1 on error.
 */
static int parse_backslash(struct uci_parser *ps)
{
	struct uci_cur *c = &ps->c;
	char ch;

	ch = uci_cur_at(c, ++c->pos);
	if (ch == '\r' && uci_cur_at(c, c->pos + 1) == '\n' &&
	    !uci_cur_at(c, c->pos + 2))
		c->pos += 2;
	else if (ch == '\n')
		c->pos += 1;
	else if (ch)
		return 1;
	return line_extend(ps) < 0 ? -1 : 0;
}

/* Single quotes: all bytes literal.  Double quotes: backslash escapes. */
static int parse_quoted(struct uci_parser *ps, size_t *target, char q)
{
	struct uci_cur *c = &ps->c;
	size_t open = c->pos++;
	char ch;
	int r;

	for (;;) {
		ch = uci_cur_at(c, c->pos);
		if (ch == q) {
			c->pos++;
			return 0;
		}
		if (!ch) {
			if (line_extend(ps) < 0)
				return -1;
			if (!uci_cur_at(c, c->pos))
				return perr(ps, open, q == '"' ?
					    "EOF with unterminated \"" :
					    "EOF with unterminated '");
			continue;
		}
		if (ch == '\\' && q == '"') {
			r = parse_backslash(ps);
			if (r <= 0) {
				if (r < 0)
					return -1;
				continue;
			}
		}
		uci_cur_addc(c, target);
	}
}

/* One step of parse_str(); returns 1 when the token is complete. */
static int parse_str_step(struct uci_parser *ps, size_t *target, int *next)
{
	struct uci_cur *c = &ps->c;
	char ch = uci_cur_at(c, c->pos);
	int r;

	switch (ch) {
	case '\'':
	case '"':
		return parse_quoted(ps, target, ch);
	case '#':		/* a comment ends the line, even mid-token */
		uci_cur_put(c, c->pos, 0);
		return 1;
	case 0:
		return 1;
	case ';':		/* statement separator, left for the caller */
		*next = 0;
		return 1;
	case '\\':
		r = parse_backslash(ps);
		if (r <= 0)
			return r;
		/* fall through */
	default:
		uci_cur_addc(c, target);
		return 0;
	}
}

/* A token: quoted and unquoted segments up to whitespace, joined. */
static int parse_str(struct uci_parser *ps, size_t *target)
{
	struct uci_cur *c = &ps->c;
	int next = 1, r;

	do {
		r = parse_str_step(ps, target, &next);
		if (r < 0)
			return -1;
		if (r > 0)
			break;
	} while (uci_cur_at(c, c->pos) && !is_space(uci_cur_at(c, c->pos)));
	/* skip the whitespace that ended the token, not a ';' */
	if (uci_cur_at(c, c->pos) && next)
		c->pos++;
	uci_cur_put(c, *target, 0);
	return 0;
}

static int name_valid_n(const char *s, size_t len, enum arg_kind kind)
{
	size_t i;

	if (kind == ARG_PKG)
		return uci_pkgname_valid(s, len);
	for (i = 0; i < len; i++) {
		unsigned char ch = (unsigned char)s[i];

		if (!((ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') ||
		      (ch >= '0' && ch <= '9') || ch == '_'))
			return 0;
	}
	return len > 0;
}

static int count_token(struct uci_parser *ps, size_t at)
{
	if (++ps->n_tokens > UCI_MAX_TOKENS)
		return perr(ps, at, "too many tokens");
	return 0;
}

/* libuci next_arg(): an empty token means "no argument". */
static int next_arg(struct uci_parser *ps, int required, enum arg_kind kind,
		    struct uci_tok *t)
{
	struct uci_cur *c = &ps->c;
	size_t target;

	uci_cur_skip_ws(c);
	t->off = target = c->pos;
	if (uci_cur_at(c, c->pos) == ';') {
		uci_cur_put(c, c->pos++, 0);
	} else if (parse_str(ps, &target)) {
		return -1;
	}
	t->len = target - t->off;
	if (!t->len)
		return required ? perr(ps, t->off, "insufficient arguments") : 0;
	if (count_token(ps, t->off))
		return -1;
	if (kind != ARG_VALUE && !name_valid_n(c->buf + t->off, t->len, kind))
		return perr(ps, t->off, "invalid character in name field");
	if (kind != ARG_VALUE && t->len > UCI_MAX_NAME_LEN)
		return perr(ps, t->off, "name too long");
	return 0;
}

static int assert_eol(struct uci_parser *ps)
{
	struct uci_tok t;

	uci_cur_skip_ws(&ps->c);
	if (next_arg(ps, 0, ARG_VALUE, &t))
		return -1;
	return t.len ? perr(ps, t.off, "too many arguments") : 0;
}

static const char *tok_str(const struct uci_parser *ps, const struct uci_tok *t)
{
	return ps->c.buf + t->off;
}

static int stmt_line(const struct uci_parser *ps, size_t at)
{
	const char *p = ps->src + ps->line_start, *end = ps->src + at, *nl;
	int line = ps->line_no;

	while ((nl = memchr(p, '\n', (size_t)(end - p)))) {
		line++;
		p = nl + 1;
	}
	return line;
}

/* ---- tree building ---- */

static int sec_append(struct uci_parser *ps, struct uci_sec *s, size_t w)
{
	const char *key = s->name ? s->name : s->anon_name;

	s->line = stmt_line(ps, w);
	*ps->sec_tail = s;
	ps->sec_tail = &s->next;
	ps->sec = s;
	/* an earlier section owning the name keeps it, as in libuci's lookup */
	if (uci_htab_find(&ps->names, &parse_tag_secs, key))
		return 0;
	if (uci_htab_put(&ps->names, &parse_tag_secs, key, (size_t)(uintptr_t)s))
		return perr_nopos(ps, "out of memory");
	return 0;
}

static int sec_anon(struct uci_parser *ps, const struct uci_tok *type, size_t w)
{
	struct uci_sec *s = uci_sec_alloc(tok_str(ps, type), type->len, NULL, 0);

	if (!s || uci_sec_name_anon(ps->pkg, s)) {
		uci_sec_free(s);
		return perr_nopos(ps, "out of memory");
	}
	return sec_append(ps, s, w);
}

/* Named sections merge; in strict mode the type must match. */
static int sec_named(struct uci_parser *ps, const struct uci_tok *type,
		     const struct uci_tok *name, size_t w)
{
	struct uci_hent *e;
	struct uci_sec *s;

	e = uci_htab_find(&ps->names, &parse_tag_secs, tok_str(ps, name));
	if (e) {
		s = (struct uci_sec *)(uintptr_t)e->val;
		if (strcmp(s->type, tok_str(ps, type)))
			return perr(ps, type->off, "section of different type "
				    "overwrites prior section with same name");
		ps->sec = s;
		return 0;
	}
	s = uci_sec_alloc(tok_str(ps, type), type->len, tok_str(ps, name),
			  name->len);
	if (!s)
		return perr_nopos(ps, "out of memory");
	ps->pkg->n_section++;
	return sec_append(ps, s, w);
}

static int slot_push(struct uci_parser *ps, struct uci_opt *o, size_t *idx)
{
	struct uci_slot *slots = ps->slots;
	size_t cap = ps->cap_slots;

	if (ps->n_slots == cap) {
		cap = cap ? cap * 2 : 64;
		slots = realloc(ps->slots, cap * sizeof(*slots));
		if (!slots)
			return perr_nopos(ps, "out of memory");
		ps->slots = slots;
		ps->cap_slots = cap;
	}
	slots[ps->n_slots].sec = ps->sec;
	slots[ps->n_slots].opt = o;
	*idx = ps->n_slots++;
	return 0;
}

/* A new option: owned by the slot table from here on. */
static struct uci_opt *opt_new(struct uci_parser *ps, const struct uci_tok *name)
{
	struct uci_opt *o = uci_opt_alloc(tok_str(ps, name), name->len);
	size_t idx;

	if (!o) {
		perr_nopos(ps, "out of memory");
		return NULL;
	}
	if (slot_push(ps, o, &idx)) {
		uci_opt_free(o);
		return NULL;
	}
	if (uci_htab_put(&ps->names, ps->sec, o->name, idx)) {
		perr_nopos(ps, "out of memory");
		return NULL;
	}
	return o;
}

static int opt_move_last(struct uci_parser *ps, struct uci_hent *e)
{
	struct uci_opt *o = ps->slots[e->val].opt;
	size_t idx;

	ps->slots[e->val].opt = NULL;
	if (slot_push(ps, o, &idx)) {
		ps->slots[e->val].opt = o;
		return -1;
	}
	e->val = idx;
	return 0;
}

/* `option`: last one wins, a changed option moves last (libuci uci_set). */
static int opt_string(struct uci_parser *ps, const struct uci_tok *name,
		      const struct uci_tok *val)
{
	struct uci_hent *e = uci_htab_find(&ps->names, ps->sec, tok_str(ps, name));
	struct uci_opt *o = e ? ps->slots[e->val].opt : NULL;

	if (o && o->type == UCI_OPT_STRING && !strcmp(o->value, tok_str(ps, val)))
		return 0;
	if (o) {
		if (opt_move_last(ps, e))
			return -1;
		uci_opt_clear(o);
	} else {
		o = opt_new(ps, name);
		if (!o)
			return -1;
	}
	o->value = strndup(tok_str(ps, val), val->len);
	if (!o->value)
		return perr_nopos(ps, "out of memory");
	return 0;
}

/* `list`: appends; a string option becomes a list and moves last. */
static int opt_list(struct uci_parser *ps, const struct uci_tok *name,
		    const struct uci_tok *val)
{
	struct uci_hent *e = uci_htab_find(&ps->names, ps->sec, tok_str(ps, name));
	struct uci_opt *o = e ? ps->slots[e->val].opt : NULL;

	if (o && o->type == UCI_OPT_STRING &&
	    (opt_move_last(ps, e) || uci_opt_to_list(o)))
		return perr_nopos(ps, "out of memory");
	if (!o) {
		o = opt_new(ps, name);
		if (!o)
			return -1;
	}
	if (uci_opt_push(o, tok_str(ps, val), val->len))
		return perr_nopos(ps, "out of memory");
	return 0;
}

/* ---- statements ---- */

/* Step over the keyword; libuci fails when nothing, not even '\n', follows. */
static int stmt_begin(struct uci_parser *ps, size_t w, size_t end,
		      const char *msg)
{
	if (end >= ps->c.lend)
		return perr(ps, w, msg);
	ps->c.pos = end + 1;
	return count_token(ps, w);
}

/* In a single-package load, `package` is checked and otherwise ignored. */
static int stmt_package(struct uci_parser *ps, size_t w, size_t end)
{
	struct uci_tok name;

	if (stmt_begin(ps, w, end, "package without name") ||
	    next_arg(ps, 1, ARG_PKG, &name))
		return -1;
	return assert_eol(ps);
}

static int stmt_config(struct uci_parser *ps, size_t w, size_t end)
{
	struct uci_tok type, name;

	if (stmt_begin(ps, w, end, "config without name") ||
	    next_arg(ps, 1, ARG_VALUE, &type))
		return -1;
	if (!uci_type_valid(tok_str(ps, &type), type.len))
		return perr(ps, type.off, "invalid character in type field");
	if (type.len > UCI_MAX_NAME_LEN)
		return perr(ps, type.off, "type too long");
	if (next_arg(ps, 0, ARG_NAME, &name) || assert_eol(ps))
		return -1;
	return name.len ? sec_named(ps, &type, &name, w) : sec_anon(ps, &type, w);
}

static int stmt_option(struct uci_parser *ps, size_t w, size_t end, int list)
{
	struct uci_tok name, val;
	struct uci_hent *e;
	int r;

	if (!ps->sec)
		return perr(ps, w, "option/list command found before the first section");
	if (stmt_begin(ps, w, end, "option without name") ||
	    next_arg(ps, 1, ARG_NAME, &name) ||
	    next_arg(ps, 0, ARG_VALUE, &val) || assert_eol(ps))
		return -1;
	if (!list && !val.len)	/* libuci: setting "" on load is a no-op */
		return 0;
	r = list ? opt_list(ps, &name, &val) : opt_string(ps, &name, &val);
	e = uci_htab_find(&ps->names, ps->sec, tok_str(ps, &name));
	if (!r && e && ps->slots[e->val].opt)
		ps->slots[e->val].opt->line = stmt_line(ps, w);
	return r;
}

/* "c" or "config", etc.: libuci accepts the one-letter forms. */
static int kw_is(const char *word, size_t len, const char *full)
{
	return word[0] == full[0] &&
	       (len == 1 || (len == strlen(full) && !memcmp(word, full, len)));
}

static int parse_stmt(struct uci_parser *ps, size_t w, size_t end)
{
	const char *word = ps->c.buf + w;
	size_t len = end - w;

	if (kw_is(word, len, "package"))
		return stmt_package(ps, w, end);
	if (kw_is(word, len, "config"))
		return stmt_config(ps, w, end);
	if (kw_is(word, len, "option"))
		return stmt_option(ps, w, end, 0);
	if (kw_is(word, len, "list"))
		return stmt_option(ps, w, end, 1);
	return perr(ps, w, "invalid command");
}

/*
 * The keyword is split off with strtok(" \t") in libuci, so only space and
 * tab end it ("config\r" is not a keyword) and the delimiter becomes NUL.
 */
static int kw_next(struct uci_cur *c, size_t *w, size_t *end)
{
	size_t i = c->pos;

	while (uci_cur_at(c, i) == ' ' || uci_cur_at(c, i) == '\t')
		i++;
	if (!uci_cur_at(c, i))
		return 0;
	*w = i;
	while (uci_cur_at(c, i) && uci_cur_at(c, i) != ' ' && uci_cur_at(c, i) != '\t')
		i++;
	if (uci_cur_at(c, i))
		uci_cur_put(c, i, 0);
	*end = i;
	return 1;
}

/* A logical line may hold several statements separated by ';'. */
static int parse_line(struct uci_parser *ps)
{
	size_t w, end;

	uci_cur_skip_ws(&ps->c);
	while (kw_next(&ps->c, &w, &end)) {
		if (ps->c.buf[w] == '#')
			return 0;
		if (parse_stmt(ps, w, end))
			return -1;
	}
	return 0;
}

static int parse_all(struct uci_parser *ps)
{
	struct uci_cur *c = &ps->c;
	size_t next = 0;
	const char *p, *nl;

	ps->line_no = 1;
	while (next < c->len) {
		ps->line_start = c->pos = c->lend = next;
		if (line_extend(ps) < 0 || parse_line(ps))
			return -1;
		for (p = ps->src + next;
		     (nl = memchr(p, '\n', c->lend - (size_t)(p - ps->src)));
		     p = nl + 1)
			ps->line_no++;
		next = c->lend;
	}
	return 0;
}

/* Link options into their sections in slot order (prepend, back to front). */
static int parse_finish(struct uci_parser *ps)
{
	struct uci_slot *sl;
	size_t i;

	for (i = ps->n_slots; i-- > 0;) {
		sl = &ps->slots[i];
		if (!sl->opt)
			continue;
		sl->opt->next = sl->sec->opts;
		sl->sec->opts = sl->opt;
	}
	ps->n_slots = 0;	/* the sections own the options now */
	if (uci_pkg_reindex(ps->pkg))
		return perr_nopos(ps, "out of memory");
	return 0;
}

static void parser_release(struct uci_parser *ps)
{
	size_t i;

	for (i = 0; i < ps->n_slots; i++)
		uci_opt_free(ps->slots[i].opt);
	free(ps->slots);
	uci_htab_free(&ps->names);
	uci_pkg_free(ps->pkg);
	free(ps->c.buf);
}

static int parser_init(struct uci_parser *ps, const char *pkg_name,
		       const char *buf, size_t len)
{
	const char *nul;

	if (len > UCI_MAX_FILE_SIZE)
		return perr_nopos(ps, "file too large");
	if (!pkg_name || !uci_pkgname_valid(pkg_name, strlen(pkg_name)))
		return perr_nopos(ps, "invalid package name");
	nul = len ? memchr(buf, 0, len) : NULL;
	ps->c.lend = len;
	if (nul)
		return perr(ps, (size_t)(nul - buf), "NUL byte in file");
	ps->c.buf = malloc(len + 1);
	ps->pkg = uci_pkg_new(pkg_name, ps->file);
	if (!ps->c.buf || !ps->pkg)
		return perr_nopos(ps, "out of memory");
	if (len)
		memcpy(ps->c.buf, buf, len);
	ps->c.buf[len] = 0;
	ps->c.len = len;
	ps->c.lend = 0;
	ps->sec_tail = &ps->pkg->secs;
	return 0;
}

int uci_parse_buf(const char *file, const char *pkg_name, const char *buf,
		  size_t len, struct uci_pkg **out, struct uci_err *err)
{
	struct uci_parser ps;
	struct uci_err scratch;
	int ret = -1;

	memset(&ps, 0, sizeof(ps));
	ps.err = err ? err : &scratch;
	ps.file = file;
	ps.src = buf ? buf : "";
	uci_htab_init(&ps.names);
	memset(ps.err, 0, sizeof(*ps.err));
	if (!out || (!buf && len)) {
		perr_nopos(&ps, "invalid argument");
		errno = EINVAL;
		return -1;
	}
	if (parser_init(&ps, pkg_name, ps.src, len) || parse_all(&ps) ||
	    parse_finish(&ps))
		goto out_release;
	*out = ps.pkg;
	ps.pkg = NULL;
	ret = 0;

out_release:
	parser_release(&ps);
	return ret;
}

/* ---- files ---- */

static int file_fail(struct uci_err *err, const char *path, const char *msg)
{
	err_set(err, path, 0, 0, msg);
	return -1;
}

int uci_parse_file(const char *path, struct uci_pkg **out, struct uci_err *err)
{
	struct uci_err scratch;
	char why[SFILE_WHY_LEN];
	const char *base;
	size_t len;
	char *buf;
	int ret;

	err = err ? err : &scratch;
	memset(err, 0, sizeof(*err));
	if (!path || !out)
		return file_fail(err, path, "invalid argument");
	base = strrchr(path, '/');
	base = base ? base + 1 : path;
	/* a regular file only, opened without waiting on a FIFO */
	if (!(buf = sfile_read(path, UCI_MAX_FILE_SIZE, &len, why, sizeof(why))))
		return file_fail(err, path, why);
	ret = uci_parse_buf(path, base, buf, len, out, err);
	free(buf);
	return ret;
}
