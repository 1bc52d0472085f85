/*
 * uci.h - parser, writer and editor for OpenWrt UCI configuration files.
 *
 * Accepts and rejects the same files as libuci in strict mode and builds
 * the same tree (named sections merge, last option wins, anonymous sections
 * are addressed as @type[n]).  Parsing is all-or-nothing: a malformed file
 * yields no package, only an error with file, line and column.
 */
#ifndef NETIFY_UCI_H
#define NETIFY_UCI_H

#include <stddef.h>
#include <stdio.h>

/* Hard limits: input beyond them is an error, never a crash or a stall. */
#define UCI_MAX_FILE_SIZE	(4u * 1024u * 1024u)	/* bytes per file */
#define UCI_MAX_LINE_LEN	(64u * 1024u)		/* bytes per logical line */
#define UCI_MAX_TOKENS		(1024u * 1024u)		/* tokens per file */
#define UCI_MAX_NAME_LEN	255u			/* names and section types */

enum uci_opt_type {
	UCI_OPT_STRING,
	UCI_OPT_LIST,
	__UCI_OPT_MAX
};

struct uci_opt {
	char *name;
	enum uci_opt_type type;
	char *value;		/* UCI_OPT_STRING */
	char **items;		/* UCI_OPT_LIST */
	size_t n_items;
	int line;		/* line of the last statement that set it */
	struct uci_opt *next;
};

struct uci_sec {
	char *type;
	char *name;		/* NULL if anonymous */
	int anon_index;		/* n for @type[n]: index among all sections of this type */
	int line;
	struct uci_opt *opts;
	struct uci_sec *next;
	char *anon_name;	/* anonymous only: libuci's internal "cfgNNhhhh" name */
};

struct uci_pkg {
	char *name;
	char *file;
	struct uci_sec *secs;
	unsigned int n_section;	/* libuci's counter behind anonymous names */
};

struct uci_err {
	char file[256];
	int line;		/* 1-based; 0 when not tied to a line (I/O, memory) */
	int col;		/* 1-based; 0 when not tied to a column */
	char msg[160];
};

/**
 * uci_parse_buf - parse a UCI file held in memory
 * @file: name used in error messages (may be NULL)
 * @pkg_name: package name; a `package` statement is checked and ignored,
 *            as uci_load() does
 * @buf: file contents (need not be NUL-terminated; NUL bytes are an error)
 * @len: length of @buf, at most UCI_MAX_FILE_SIZE
 * @out: receives the new package on success, untouched on failure
 * @err: filled on failure (may be NULL)
 *
 * Returns 0 or -1.
 */
int uci_parse_buf(const char *file, const char *pkg_name, const char *buf,
		  size_t len, struct uci_pkg **out, struct uci_err *err);

/**
 * uci_parse_file - read and parse a UCI file; package name is its basename
 * Returns 0 or -1.
 */
int uci_parse_file(const char *path, struct uci_pkg **out, struct uci_err *err);

void uci_pkg_free(struct uci_pkg *pkg);

/** uci_opt_get - option of a section by name, or NULL */
const struct uci_opt *uci_opt_get(const struct uci_sec *s, const char *name);

/** uci_get_str - value of a string option, or @def if absent or a list */
const char *uci_get_str(const struct uci_sec *s, const char *name,
			const char *def);

/**
 * uci_sec_find - section by name: a real name, the internal "cfgNNhhhh"
 * name of an anonymous section, or "@type[n]" / "@[n]" (n may be negative,
 * counting from the end, as in uci(1)).  NULL if none.
 */
struct uci_sec *uci_sec_find(const struct uci_pkg *p, const char *name);

/**
 * uci_err_format - "file:line:col: message" into @buf (always terminated)
 */
void uci_err_format(const struct uci_err *err, char *buf, size_t size);

/* ---- writer (uciw.c) ---- */

/**
 * uci_write - serialise @p in canonical UCI syntax (as `uci export`):
 * values single-quoted with ' written as '\'', anonymous sections unnamed.
 * Returns 0 or -1 (write error).
 */
int uci_write(const struct uci_pkg *p, FILE *out);

/**
 * uci_write_quoted - @v in single quotes, each ' written as '\'' (the form
 * both `uci export` and `uci show` use)
 */
void uci_write_quoted(const char *v, FILE *out);

/**
 * uci_save_atomic - write @p to @path via a temporary file in the same
 * directory, fsync, rename.  The old file stays intact on any failure.
 * Returns 0 or -1 with errno set.
 */
int uci_save_atomic(const struct uci_pkg *p, const char *path);

/* ---- editing (uci.c), for the configuration editor ----
 * All take names already validated by the caller's schema or validate them
 * themselves: invalid names/types return -1 with errno = EINVAL.  Values may
 * hold any bytes but NUL.  Return 0 or -1 (errno EINVAL, ENOENT, ENOMEM).
 */

/** uci_pkg_new - empty package; NULL + errno on failure */
struct uci_pkg *uci_pkg_new(const char *name, const char *file);

/**
 * uci_sec_add - append a section.  @name NULL makes it anonymous; a name
 * that exists already returns that section (merge, as libuci does) after
 * checking the type matches (EEXIST otherwise).  NULL + errno on failure.
 */
struct uci_sec *uci_sec_add(struct uci_pkg *p, const char *type,
			    const char *name);

/** uci_sec_del - unlink and free a section; renumbers anonymous indexes */
int uci_sec_del(struct uci_pkg *p, struct uci_sec *s);

/** uci_sec_move - move @s to position @pos (0-based, clamped to the end) */
int uci_sec_move(struct uci_pkg *p, struct uci_sec *s, size_t pos);

/** uci_opt_set - set a string option, replacing a string or list of that name */
int uci_opt_set(struct uci_sec *s, const char *name, const char *value);

/** uci_list_add - append an item; turns a string option into a list */
int uci_list_add(struct uci_sec *s, const char *name, const char *value);

/** uci_list_del - remove every item equal to @value (ENOENT if none) */
int uci_list_del(struct uci_sec *s, const char *name, const char *value);

/** uci_opt_del - remove an option or list (ENOENT if absent) */
int uci_opt_del(struct uci_sec *s, const char *name);

/** uci_name_valid - 1 if @name is a valid section/option name ([A-Za-z0-9_]+) */
int uci_name_valid(const char *name);

/** uci_pkg_equal - 1 if both trees hold the same sections/options in order */
int uci_pkg_equal(const struct uci_pkg *a, const struct uci_pkg *b);

#endif /* NETIFY_UCI_H */
