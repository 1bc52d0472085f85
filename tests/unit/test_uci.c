/*
 * test_uci - the UCI parser against libuci's behaviour, rule by rule, each
 * error path with its line:column, the writer (round trip, quoting), atomic
 * save and the editing helpers.  Expected trees are written as `uci show`
 * output (anonymous sections as @type[n]).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include "uci.h"

/* ---- helpers ---- */

static void render_value(const struct uci_opt *o, FILE *f)
{
	size_t i;

	if (o->type == UCI_OPT_STRING) {
		uci_write_quoted(o->value, f);
		return;
	}
	for (i = 0; i < o->n_items; i++) {
		if (i)
			fputc(' ', f);
		uci_write_quoted(o->items[i], f);
	}
}

/* The tree in `uci show` form, one line per section and option. */
static char *render(const struct uci_pkg *p)
{
	const struct uci_sec *s;
	const struct uci_opt *o;
	char *out = NULL, ref[300];
	size_t len;
	FILE *f = open_memstream(&out, &len);

	assert_non_null(f);
	for (s = p->secs; s; s = s->next) {
		if (s->name)
			snprintf(ref, sizeof(ref), "%s", s->name);
		else
			snprintf(ref, sizeof(ref), "@%s[%d]", s->type, s->anon_index);
		fprintf(f, "%s.%s=%s\n", p->name, ref, s->type);
		for (o = s->opts; o; o = o->next) {
			fprintf(f, "%s.%s.%s=", p->name, ref, o->name);
			render_value(o, f);
			fputc('\n', f);
		}
	}
	fclose(f);
	return out;
}

static struct uci_pkg *parse_ok(const char *in)
{
	struct uci_pkg *p = NULL;
	struct uci_err err;

	memset(&err, 0, sizeof(err));
	if (uci_parse_buf("t.conf", "t", in, strlen(in), &p, &err))
		fail_msg("unexpected error %d:%d: %s", err.line, err.col, err.msg);
	return p;
}

static void parse_ok_free(const char *in)
{
	uci_pkg_free(parse_ok(in));
}

static void expect_show(const char *in, const char *want)
{
	struct uci_pkg *p = parse_ok(in);
	char *got = render(p);

	assert_string_equal(got, want);
	free(got);
	uci_pkg_free(p);
}

static void expect_err_n(const char *in, size_t len, int line, int col,
			 const char *msg)
{
	struct uci_pkg *p = (struct uci_pkg *)(uintptr_t)1;
	struct uci_err err;

	assert_int_equal(uci_parse_buf("t.conf", "t", in, len, &p, &err), -1);
	/* rejected whole: nothing handed out */
	assert_ptr_equal(p, (struct uci_pkg *)(uintptr_t)1);
	assert_string_equal(err.msg, msg);
	assert_string_equal(err.file, "t.conf");
	assert_int_equal(err.line, line);
	assert_int_equal(err.col, col);
}

static void expect_err(const char *in, int line, int col, const char *msg)
{
	expect_err_n(in, strlen(in), line, col, msg);
}

static char *write_str(const struct uci_pkg *p)
{
	char *out = NULL;
	size_t len;
	FILE *f = open_memstream(&out, &len);

	assert_non_null(f);
	assert_int_equal(uci_write(p, f), 0);
	fclose(f);
	return out;
}

/* ---- syntax ---- */

static void test_keywords_long_and_short(void **state)
{
	const char *want = "t.n=ty\nt.n.a='1'\nt.n.b='2'\n";

	(void)state;
	expect_show("package t\nconfig ty n\noption a 1\nlist b 2\n", want);
	expect_show("p t\nc ty n\no a 1\nl b 2\n", want);
	expect_show("  \tc\tty\tn\n\to a\t1 \n", "t.n=ty\nt.n.a='1'\n");
}

static void test_single_quotes(void **state)
{
	(void)state;
	/* no escapes inside, and the value may span lines */
	expect_show("c t n\no a 'x\\y\"z'\no b 'l1\nl2'\n",
		    "t.n=t\nt.n.a='x\\y\"z'\nt.n.b='l1\nl2'\n");
}

static void test_double_quotes(void **state)
{
	(void)state;
	/* backslash makes the next byte literal: \n is 'n', not a newline */
	expect_show("c t n\no a \"x\\\"y\\\\z\\n\"\no b \"l1\nl2\"\n",
		    "t.n=t\nt.n.a='x\"y\\zn'\nt.n.b='l1\nl2'\n");
}

static void test_unquoted_escapes_and_continuation(void **state)
{
	(void)state;
	expect_show("c t n\no a x\\ y\\'z\n", "t.n=t\nt.n.a='x y'\\''z'\n");
	expect_show("c t n\no a x\\\ny\no b c\\\r\nd\n",
		    "t.n=t\nt.n.a='xy'\nt.n.b='cd'\n");
	/* a continued line that starts with blanks ends the token there */
	expect_err("c t n\no a x\\\n  y\n", 3, 3, "too many arguments");
	/* backslash as the very last byte: nothing follows, nothing added */
	expect_show("c t n\no a x\\", "t.n=t\nt.n.a='x'\n");
}

static void test_adjacent_segments(void **state)
{
	(void)state;
	expect_show("c t n\no a 'it'\\''s'\no b a'b'\"c\"d\n",
		    "t.n=t\nt.n.a='it'\\''s'\nt.n.b='abcd'\n");
}

static void test_comments(void **state)
{
	(void)state;
	expect_show("# head\n  # indented\nc t n # trailing\n"
		    "o a b#c d\no e 'x#y' # z\nl f g;#h\n",
		    "t.n=t\nt.n.a='b'\nt.n.e='x#y'\nt.n.f='g'\n");
}

static void test_crlf(void **state)
{
	(void)state;
	expect_show("c t n\r\no a b\r\nl c 'd'\r\n\r\n",
		    "t.n=t\nt.n.a='b'\nt.n.c='d'\n");
	/* only space and tab end a keyword: "config\r" is not one */
	expect_err("config\r\n", 1, 1, "invalid command");
}

static void test_semicolons(void **state)
{
	(void)state;
	expect_show("c t n ; o a b ; o c 'd'; o e f\n",
		    "t.n=t\nt.n.a='b'\nt.n.c='d'\nt.n.e='f'\n");
	/* libuci: a ';' glued to a bare word drops the rest of the line */
	expect_show("c t n; o a b\n", "t.n=t\n");
	/* ... and a ';' closing the line leaves "\n" as a keyword */
	expect_err("c t n\no a 'b';\n", 2, 9, "invalid command");
}

/* ---- names and types ---- */

static void test_names(void **state)
{
	(void)state;
	expect_show("c my-type.v2+x Name_9\no opt_1 v\n",
		    "t.Name_9=my-type.v2+x\nt.Name_9.opt_1='v'\n");
	expect_err("c t n\no a-b c\n", 2, 3, "invalid character in name field");
	expect_err("c t a.b\n", 1, 5, "invalid character in name field");
	expect_err("c 'a b' n\n", 1, 3, "invalid character in type field");
	expect_err("c t\x7f n\n", 1, 3, "invalid character in type field");
	expect_err("c t 'n'\no 'é' x\n", 2, 3, "invalid character in name field");
}

static void test_name_length_limit(void **state)
{
	char buf[2 * UCI_MAX_NAME_LEN + 64], *p;

	(void)state;
	p = buf + sprintf(buf, "c t n\no ");
	memset(p, 'a', UCI_MAX_NAME_LEN);
	strcpy(p + UCI_MAX_NAME_LEN, " v\n");
	parse_ok_free(buf);
	strcpy(p + UCI_MAX_NAME_LEN, "a v\n");
	expect_err(buf, 2, 3, "name too long");
	p = buf + sprintf(buf, "c ");
	memset(p, '-', UCI_MAX_NAME_LEN + 1);
	strcpy(p + UCI_MAX_NAME_LEN + 1, " n\n");
	expect_err(buf, 1, 3, "type too long");
}

static void test_package_statement(void **state)
{
	struct uci_pkg *p;

	(void)state;
	/* checked, then ignored: the package keeps the name it was loaded as */
	p = parse_ok("package other-name\nc t n\n");
	assert_string_equal(p->name, "t");
	uci_pkg_free(p);
	expect_err("package a.b\n", 1, 9, "invalid character in name field");
	expect_err("package\n", 1, 1, "invalid command");
	expect_err("p a b\n", 1, 5, "too many arguments");
}

/* ---- error paths ---- */

static void test_option_before_section(void **state)
{
	(void)state;
	expect_err("# x\n  option a b\n", 2, 3,
		   "option/list command found before the first section");
	expect_err("l a b\n", 1, 1,
		   "option/list command found before the first section");
}

static void test_extra_and_missing_arguments(void **state)
{
	(void)state;
	expect_err("c t n x\n", 1, 7, "too many arguments");
	expect_err("c t n\no a b c\n", 2, 7, "too many arguments");
	expect_err("c t n\nl a 'b' \"c\"\n", 2, 9, "too many arguments");
	expect_err("p a\nc \n", 2, 3, "insufficient arguments");
	expect_err("c t n\no  \n", 2, 4, "insufficient arguments");
	expect_err("c t n\no", 2, 1, "option without name");
	expect_err("config", 1, 1, "config without name");
	expect_err("package", 1, 1, "package without name");
}

static void test_unknown_keyword(void **state)
{
	(void)state;
	expect_err("c t n\n\n  foo bar\n", 3, 3, "invalid command");
	expect_err("configx t\n", 1, 1, "invalid command");
	expect_err("Config t\n", 1, 1, "invalid command");
	expect_err("'config' t\n", 1, 1, "invalid command");
}

static void test_unterminated_quotes(void **state)
{
	(void)state;
	expect_err("c t n\no a 'xx\n\nyy\n", 2, 5, "EOF with unterminated '");
	expect_err("c t n\no a \"x\\\"\n", 2, 5, "EOF with unterminated \"");
}

static void test_nul_and_size_limits(void **state)
{
	static const char nul[] = "c t n\no a b\0c\n";
	struct uci_pkg *p = NULL;
	struct uci_err err;
	char *big;
	size_t i;

	(void)state;
	expect_err_n(nul, sizeof(nul) - 1, 2, 6, "NUL byte in file");
	big = malloc(UCI_MAX_FILE_SIZE + 1);
	assert_non_null(big);
	memset(big, '#', UCI_MAX_FILE_SIZE + 1);
	assert_int_equal(uci_parse_buf("big", "t", big, UCI_MAX_FILE_SIZE + 1, &p, &err), -1);
	assert_string_equal(err.msg, "file too large");
	/* a quoted value longer than a line may be */
	memcpy(big, "c t n\no a '", 11);
	memset(big + 11, 'x', UCI_MAX_LINE_LEN);
	for (i = 11 + 100; i < 11 + UCI_MAX_LINE_LEN; i += 100)
		big[i] = '\n';
	memcpy(big + 11 + UCI_MAX_LINE_LEN, "'\n", 2);
	assert_int_equal(uci_parse_buf("big", "t", big, 13 + UCI_MAX_LINE_LEN, &p, &err), -1);
	assert_string_equal(err.msg, "line too long");
	assert_int_equal(err.line, 2);
	free(big);
}

static void test_token_limit(void **state)
{
	size_t n = UCI_MAX_TOKENS / 3 + 10, i, len = 6 + 6 * n;
	char *buf = malloc(len + 1), *p;
	struct uci_pkg *pkg = NULL;
	struct uci_err err;

	(void)state;
	assert_non_null(buf);
	p = buf + sprintf(buf, "c t n\n");
	for (i = 0; i < n; i++)
		p += sprintf(p, "l x a\n");
	assert_int_equal(uci_parse_buf("many", "t", buf, len, &pkg, &err), -1);
	assert_string_equal(err.msg, "too many tokens");
	assert_null(pkg);
	/* a third fewer parses */
	assert_int_equal(uci_parse_buf("many", "t", buf, len - 6 * 20, &pkg, &err), 0);
	assert_int_equal(pkg->secs->opts->n_items, n - 20);
	uci_pkg_free(pkg);
	free(buf);
}

/* ---- tree semantics ---- */

static void test_named_sections_merge(void **state)
{
	(void)state;
	expect_show("c t n\no a 1\nc t m\no b 2\nc t n\no c 3\n",
		    "t.n=t\nt.n.a='1'\nt.n.c='3'\nt.m=t\nt.m.b='2'\n");
	expect_err("c t n\nc u n\n", 2, 3,
		   "section of different type overwrites prior section with same name");
}

static void test_last_option_wins(void **state)
{
	(void)state;
	/* a changed option moves last, an unchanged one stays */
	expect_show("c t n\no a 1\no b 2\no a 3\n",
		    "t.n=t\nt.n.b='2'\nt.n.a='3'\n");
	expect_show("c t n\no a 1\no b 2\no a 1\n",
		    "t.n=t\nt.n.a='1'\nt.n.b='2'\n");
}

static void test_option_list_conversion(void **state)
{
	(void)state;
	expect_show("c t n\no a 1\no b 2\nl a 3\nl a 4\n",
		    "t.n=t\nt.n.b='2'\nt.n.a='1' '3' '4'\n");
	expect_show("c t n\nl a 1\nl a 2\no b 2\no a 3\n",
		    "t.n=t\nt.n.b='2'\nt.n.a='3'\n");
}

static void test_empty_values(void **state)
{
	(void)state;
	/* option x '' is ignored, even over an earlier value; list x '' kept */
	expect_show("c t n\no a ''\no b 1\no b ''\no c\nl d ''\nl d\n",
		    "t.n=t\nt.n.b='1'\nt.n.d='' ''\n");
}

static void test_order_and_anonymous(void **state)
{
	struct uci_pkg *p;

	(void)state;
	expect_show("c a\no x 1\nc b n\nc a\nc a m\nc a\n",
		    "t.@a[0]=a\nt.@a[0].x='1'\nt.n=b\nt.@a[1]=a\nt.m=a\nt.@a[3]=a\n");
	p = parse_ok("c rule\nc rule r\nc rule\nc defaults\n");
	/* libuci's names: sections created so far + djb2(type) */
	assert_string_equal(p->secs->anon_name, "cfg0192bd");
	assert_null(p->secs->next->anon_name);
	assert_string_equal(p->secs->next->next->anon_name, "cfg0392bd");
	assert_string_equal(p->secs->next->next->next->anon_name, "cfg04e63d");
	assert_ptr_equal(uci_sec_find(p, "cfg0392bd"), p->secs->next->next);
	assert_ptr_equal(uci_sec_find(p, "@rule[1]"), p->secs->next);
	assert_ptr_equal(uci_sec_find(p, "@rule[-1]"), p->secs->next->next);
	assert_ptr_equal(uci_sec_find(p, "@[3]"), p->secs->next->next->next);
	assert_null(uci_sec_find(p, "@rule[3]"));
	assert_null(uci_sec_find(p, "@rule[x]"));
	assert_null(uci_sec_find(p, "@rule"));
	uci_pkg_free(p);
	/* a named section can take an anonymous one's internal name */
	expect_show("c rule\no a 1\nc rule cfg0192bd\no b 2\n",
		    "t.@rule[0]=rule\nt.@rule[0].a='1'\nt.@rule[0].b='2'\n");
}

static void test_lookup_helpers(void **state)
{
	struct uci_pkg *p = parse_ok("c t n\no a 1\nl b x\n");
	struct uci_sec *s = uci_sec_find(p, "n");

	(void)state;
	assert_non_null(s);
	assert_string_equal(uci_get_str(s, "a", "d"), "1");
	assert_string_equal(uci_get_str(s, "b", "d"), "d");
	assert_string_equal(uci_get_str(s, "zz", "d"), "d");
	assert_int_equal(uci_opt_get(s, "b")->type, UCI_OPT_LIST);
	assert_int_equal(uci_opt_get(s, "a")->line, 2);
	assert_int_equal(s->line, 1);
	assert_null(uci_sec_find(p, "nn"));
	uci_pkg_free(p);
}

static void test_err_format(void **state)
{
	struct uci_err err;
	struct uci_pkg *p = NULL;
	char buf[300];

	(void)state;
	assert_int_equal(uci_parse_buf("x/y", "t", "c t\n o a b c\n", 13, &p, &err), -1);
	uci_err_format(&err, buf, sizeof(buf));
	assert_string_equal(buf, "x/y:2:8: too many arguments");
	assert_int_equal(uci_parse_buf("x/y", "bad.name", "", 0, &p, &err), -1);
	uci_err_format(&err, buf, sizeof(buf));
	assert_string_equal(buf, "x/y: invalid package name");
}

/* ---- writer ---- */

static const char sample[] =
	"package t\n"
	"config global 'main'\n\toption enabled 1\n\tlist dns \"1.1.1.1\"\n"
	"\nconfig rule\n\toption name 'it'\\''s\nmulti\\line'\n\tlist app ''\n"
	"config 'we\"ird#;t' r\n\toption q \"a\\\\b\"\n";

static void test_write_canonical(void **state)
{
	struct uci_pkg *p = parse_ok(sample);
	char *out = write_str(p);

	(void)state;
	assert_string_equal(out,
		"package t\n"
		"\nconfig global 'main'\n\toption enabled '1'\n\tlist dns '1.1.1.1'\n"
		"\nconfig rule\n\toption name 'it'\\''s\nmulti\\line'\n\tlist app ''\n"
		"\nconfig 'we\"ird#;t' 'r'\n\toption q 'a\\b'\n\n");
	free(out);
	uci_pkg_free(p);
}

static void test_roundtrip(void **state)
{
	struct uci_pkg *p = parse_ok(sample), *q;
	char *out = write_str(p);

	(void)state;
	q = parse_ok(out);
	assert_true(uci_pkg_equal(p, q));
	/* and the comparison does see a difference */
	assert_int_equal(uci_opt_set(uci_sec_find(q, "main"), "enabled", "0"), 0);
	assert_false(uci_pkg_equal(p, q));
	uci_pkg_free(q);
	free(out);
	uci_pkg_free(p);
}

static void test_save_atomic(void **state)
{
	char dir[] = "/tmp/test_uci.XXXXXX", path[64], tmpl[80];
	struct uci_pkg *p = parse_ok(sample), *q = NULL;
	struct uci_err err;
	struct stat st;
	FILE *f;

	(void)state;
	assert_non_null(mkdtemp(dir));
	snprintf(path, sizeof(path), "%s/t", dir);
	f = fopen(path, "w");
	assert_non_null(f);
	fclose(f);
	assert_int_equal(chmod(path, 0640), 0);
	assert_int_equal(uci_save_atomic(p, path), 0);
	assert_int_equal(stat(path, &st), 0);
	assert_int_equal(st.st_mode & 0777, 0640);
	assert_int_equal(uci_parse_file(path, &q, &err), 0);
	assert_string_equal(q->name, "t");
	assert_true(uci_pkg_equal(p, q));
	uci_pkg_free(q);
	/* through a symlink: the target is replaced, the link stays */
	snprintf(tmpl, sizeof(tmpl), "%s/link", dir);
	assert_int_equal(symlink("t", tmpl), 0);
	assert_int_equal(uci_opt_set(uci_sec_find(p, "main"), "enabled", "0"), 0);
	assert_int_equal(uci_save_atomic(p, tmpl), 0);
	assert_int_equal(lstat(tmpl, &st), 0);
	assert_true(S_ISLNK(st.st_mode));
	assert_int_equal(uci_parse_file(path, &q, &err), 0);
	assert_true(uci_pkg_equal(p, q));
	assert_string_equal(uci_get_str(uci_sec_find(q, "main"), "enabled", ""), "0");
	uci_pkg_free(q);
	assert_int_equal(unlink(tmpl), 0);
	/* a failed save leaves nothing behind */
	snprintf(tmpl, sizeof(tmpl), "%s/missing/t", dir);
	assert_int_equal(uci_save_atomic(p, tmpl), -1);
	assert_int_equal(unlink(path), 0);
	assert_int_equal(rmdir(dir), 0);
	uci_pkg_free(p);
}

static void test_parse_file_errors(void **state)
{
	char dir[] = "/tmp/test_uci.XXXXXX", path[64];
	struct uci_pkg *p = NULL;
	struct uci_err err;
	FILE *f;

	(void)state;
	assert_non_null(mkdtemp(dir));
	assert_int_equal(uci_parse_file(dir, &p, &err), -1);
	assert_string_equal(err.msg, "not a regular file (a directory)");
	/* a FIFO is refused at once (opening it used to wait for a writer:
	 * the alarm fails the test instead of hanging it) */
	snprintf(path, sizeof(path), "%s/fifo", dir);
	assert_int_equal(mkfifo(path, 0600), 0);
	alarm(10);
	assert_int_equal(uci_parse_file(path, &p, &err), -1);
	alarm(0);
	assert_string_equal(err.msg, "not a regular file (a FIFO)");
	assert_string_equal(err.file, path);
	unlink(path);
	snprintf(path, sizeof(path), "%s/zero", dir);
	assert_int_equal(symlink("/dev/zero", path), 0);
	assert_int_equal(uci_parse_file(path, &p, &err), -1);
	assert_string_equal(err.msg, "not a regular file (a character device)");
	unlink(path);
	snprintf(path, sizeof(path), "%s/big", dir);
	f = fopen(path, "w");
	assert_non_null(f);
	fclose(f);
	assert_int_equal(truncate(path, UCI_MAX_FILE_SIZE + 1), 0);
	assert_int_equal(uci_parse_file(path, &p, &err), -1);
	assert_string_equal(err.msg, "larger than 4194304 bytes");
	unlink(path);
	snprintf(path, sizeof(path), "%s/nope", dir);
	assert_int_equal(uci_parse_file(path, &p, &err), -1);
	assert_int_equal(err.line, 0);
	snprintf(path, sizeof(path), "%s/x.conf", dir);
	f = fopen(path, "w");
	assert_non_null(f);
	fputs("c t n\n", f);
	fclose(f);
	assert_int_equal(uci_parse_file(path, &p, &err), -1);
	assert_string_equal(err.msg, "invalid package name");
	assert_null(p);
	unlink(path);
	rmdir(dir);
}

/* ---- editing ---- */

static void test_edit_options(void **state)
{
	struct uci_pkg *p = parse_ok("c t n\no a 1\no b 2\nl c x\nl c y\nl c x\n");
	struct uci_sec *s = uci_sec_find(p, "n");
	char *got;

	(void)state;
	assert_int_equal(uci_opt_set(s, "a", "9"), 0);		/* moves last */
	assert_int_equal(uci_opt_set(s, "b", "2"), 0);		/* unchanged */
	assert_int_equal(uci_list_add(s, "b", "3"), 0);		/* becomes a list */
	assert_int_equal(uci_list_del(s, "c", "x"), 0);		/* every "x" */
	assert_int_equal(uci_list_del(s, "c", "x"), -1);
	got = render(p);
	assert_string_equal(got, "t.n=t\nt.n.c='y'\nt.n.a='9'\nt.n.b='2' '3'\n");
	free(got);
	assert_int_equal(uci_list_del(s, "c", "y"), 0);		/* empty: gone */
	assert_null(uci_opt_get(s, "c"));
	assert_int_equal(uci_opt_set(s, "a", ""), 0);		/* "" deletes */
	assert_null(uci_opt_get(s, "a"));
	assert_int_equal(uci_opt_del(s, "a"), -1);
	assert_int_equal(uci_opt_set(s, "bad-name", "1"), -1);
	assert_int_equal(uci_opt_del(s, "b"), 0);
	assert_null(s->opts);
	uci_pkg_free(p);
}

static void test_edit_sections(void **state)
{
	struct uci_pkg *p = uci_pkg_new("t", NULL);
	struct uci_sec *a, *b, *c;
	char *got;

	(void)state;
	assert_non_null(p);
	a = uci_sec_add(p, "rule", NULL);
	b = uci_sec_add(p, "rule", "named");
	c = uci_sec_add(p, "rule", NULL);
	assert_non_null(a);
	assert_non_null(b);
	assert_non_null(c);
	assert_string_equal(a->anon_name, "cfg0192bd");
	assert_ptr_equal(uci_sec_add(p, "rule", "named"), b);	/* merge */
	assert_null(uci_sec_add(p, "other", "named"));		/* type differs */
	assert_null(uci_sec_add(p, "bad type", NULL));
	assert_int_equal(c->anon_index, 2);
	assert_int_equal(uci_opt_set(c, "x", "1"), 0);
	assert_int_equal(uci_sec_move(p, c, 0), 0);
	got = render(p);
	assert_string_equal(got, "t.@rule[0]=rule\nt.@rule[0].x='1'\n"
			    "t.@rule[1]=rule\nt.named=rule\n");
	free(got);
	assert_int_equal(uci_sec_move(p, c, 99), 0);		/* clamped: last */
	assert_ptr_equal(uci_sec_find(p, "@rule[-1]"), c);
	assert_int_equal(uci_sec_del(p, a), 0);
	assert_int_equal(uci_sec_del(p, a == b ? c : (struct uci_sec *)p), -1);
	assert_int_equal(c->anon_index, 1);
	uci_pkg_free(p);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_keywords_long_and_short),
		cmocka_unit_test(test_single_quotes),
		cmocka_unit_test(test_double_quotes),
		cmocka_unit_test(test_unquoted_escapes_and_continuation),
		cmocka_unit_test(test_adjacent_segments),
		cmocka_unit_test(test_comments),
		cmocka_unit_test(test_crlf),
		cmocka_unit_test(test_semicolons),
		cmocka_unit_test(test_names),
		cmocka_unit_test(test_name_length_limit),
		cmocka_unit_test(test_package_statement),
		cmocka_unit_test(test_option_before_section),
		cmocka_unit_test(test_extra_and_missing_arguments),
		cmocka_unit_test(test_unknown_keyword),
		cmocka_unit_test(test_unterminated_quotes),
		cmocka_unit_test(test_nul_and_size_limits),
		cmocka_unit_test(test_token_limit),
		cmocka_unit_test(test_named_sections_merge),
		cmocka_unit_test(test_last_option_wins),
		cmocka_unit_test(test_option_list_conversion),
		cmocka_unit_test(test_empty_values),
		cmocka_unit_test(test_order_and_anonymous),
		cmocka_unit_test(test_lookup_helpers),
		cmocka_unit_test(test_err_format),
		cmocka_unit_test(test_write_canonical),
		cmocka_unit_test(test_roundtrip),
		cmocka_unit_test(test_save_atomic),
		cmocka_unit_test(test_parse_file_errors),
		cmocka_unit_test(test_edit_options),
		cmocka_unit_test(test_edit_sections),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
