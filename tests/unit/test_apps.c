/* Unit tests for application definitions: format, errors, precedence,
 * matching. */
#include <errno.h>
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <arpa/inet.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <cmocka.h>

#include "apps.h"

static char tmpdir[64];
static struct apps_errors errs;

static int setup(void **state)
{
	(void)state;
	strcpy(tmpdir, "/tmp/netify-test-apps-XXXXXX");
	return mkdtemp(tmpdir) ? 0 : -1;
}

static int teardown(void **state)
{
	char cmd[128];
	(void)state;

	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", tmpdir);
	return system(cmd) == 0 ? 0 : -1;
}

/* Write @text to tmpdir/@name; returns the path (static, per call slot). */
static const char *put(const char *name, const char *text)
{
	static char paths[8][256];
	static int next;
	char *path = paths[next++ % 8];
	FILE *f;

	snprintf(path, 256, "%s/%s", tmpdir, name);
	f = fopen(path, "w");
	assert_non_null(f);
	fputs(text, f);
	fclose(f);
	return path;
}

static struct apps_db *load1(const char *text)
{
	const char *files[1] = { put("one.conf", text) };
	struct apps_db *db = apps_db_load_files(files, 1, &errs);

	assert_non_null(db);
	return db;
}

/* True if some collected error mentions @line_tag and @needle. */
static int has_error(const char *line_tag, const char *needle)
{
	unsigned int i;

	for (i = 0; i < errs.count; i++)
		if (strstr(errs.msg[i], line_tag) && strstr(errs.msg[i], needle))
			return 1;
	return 0;
}

static const char *tag_of(const struct apps_db *db, int id)
{
	const struct apps_app *a = apps_get(db, id);

	return a ? a->tag : "(none)";
}

static int addr4(const struct apps_db *db, const char *ip)
{
	uint8_t a[4];

	assert_int_equal(inet_pton(AF_INET, ip, a), 1);
	return apps_match_addr(db, AF_INET, a);
}

static int addr6(const struct apps_db *db, const char *ip)
{
	uint8_t a[16];

	assert_int_equal(inet_pton(AF_INET6, ip, a), 1);
	return apps_match_addr(db, AF_INET6, a);
}

static const char basic[] =
	"# comment line\n"
	"\n"
	"cat:chat:Chat and messaging\n"
	"cat:video:Video: streaming\n"
	"app:10:whatsapp:chat:WhatsApp\n"
	"app:11:Telegram:chat:Telegram: the app\n"
	"app:12:netify.youtube\n"
	"dom:10:whatsapp.net\n"
	"dom:10:*.whatsapp.com\n"
	"dom:11:.telegram.org.\n"
	"dom:12:youtube.com\n"
	"dom:12:googlevideo.com\n"
	"net:11:149.154.160.0/20\n"
	"net:11:91.108.4.0/22\n"
	"net:11:2001:67c:4e8::/48\n"
	"net:10:157.240.0.0/16\n"
	"ndpi:10:WhatsApp\n"
	"ndpi:12:YouTube\n"
	"   app:13:spaced : chat : Spaced Out   \r\n";

static void test_format(void **state)
{
	struct apps_db *db = load1(basic);
	const struct apps_app *a;
	struct apps_stats st;
	(void)state;

	assert_int_equal(errs.count, 0);
	assert_int_equal(apps_count(db), 4);
	assert_int_equal(apps_category_count(db), 2);
	a = apps_get(db, 11);
	assert_non_null(a);
	assert_string_equal(a->tag, "telegram");	/* tags fold to lower case */
	assert_string_equal(a->label, "Telegram: the app");
	assert_string_equal(apps_category_at(db, (size_t)a->category)->tag, "chat");
	assert_string_equal(apps_category_at(db, 1)->label, "Video: streaming");
	a = apps_get(db, 12);
	assert_string_equal(a->label, "netify.youtube");	/* Netify Agent form */
	assert_int_equal(a->category, -1);
	a = apps_get(db, 13);
	assert_string_equal(a->tag, "spaced");
	assert_string_equal(a->label, "Spaced Out");
	assert_null(apps_get(db, 14));
	assert_int_equal(apps_find_tag(db, "WhatsApp"), 10);
	assert_int_equal(apps_find_tag(db, "netify.youtube"), 12);
	assert_int_equal(apps_find_tag(db, "nope"), -1);
	assert_int_equal(apps_category_find(db, "VIDEO"), 1);
	assert_int_equal(apps_category_find(db, "games"), -1);
	assert_int_equal(apps_match_ndpi(db, "whatsapp"), 10);
	assert_int_equal(apps_match_ndpi(db, "YouTube"), 12);
	assert_int_equal(apps_match_ndpi(db, "Netflix"), -1);
	/* iteration is in id order */
	assert_int_equal(apps_at(db, 0)->id, 10);
	assert_int_equal(apps_at(db, 3)->id, 13);
	assert_null(apps_at(db, 4));
	apps_db_stats(db, &st);
	assert_int_equal(st.domains, 5);
	assert_int_equal(st.nets4, 3);
	assert_int_equal(st.nets6, 1);
	assert_int_equal(st.ndpi, 2);
	assert_true(st.bytes > 0);
	apps_db_free(db);
}

/* Hostile names from packets: more labels than a DNS name may have. */
static void test_host_many_labels(void **state)
{
	struct apps_db *db = load1(basic);
	char host[260];
	size_t i;

	(void)state;
	for (i = 0; i < 240; i++)
		host[i] = i % 2 ? '.' : 'a';
	memcpy(host + 240, "whatsapp.net", 13);
	assert_int_equal(apps_match_host(db, host), 10);
	memset(host, '.', 240);
	assert_int_equal(apps_match_host(db, host), 10);
	apps_db_free(db);
}

static void test_host_matching(void **state)
{
	struct apps_db *db = load1(basic);
	(void)state;

	assert_int_equal(apps_match_host(db, "whatsapp.net"), 10);
	assert_int_equal(apps_match_host(db, "a.b.whatsapp.net"), 10);
	assert_int_equal(apps_match_host(db, "MMG.WhatsApp.NET."), 10);
	assert_int_equal(apps_match_host(db, "web.whatsapp.com"), 10);
	assert_int_equal(apps_match_host(db, "whatsapp.com"), 10);
	/* whole labels only */
	assert_int_equal(apps_match_host(db, "notwhatsapp.net"), -1);
	assert_int_equal(apps_match_host(db, "whatsapp.net.evil.example"), -1);
	assert_int_equal(apps_match_host(db, "net"), -1);
	assert_int_equal(apps_match_host(db, "core.telegram.org"), 11);
	assert_int_equal(apps_match_host(db, "rr3---sn-abc.googlevideo.com"), 12);
	assert_int_equal(apps_match_host(db, ""), -1);
	assert_int_equal(apps_match_host(db, "."), -1);
	assert_int_equal(apps_match_host(db, ".whatsapp.net"), 10);
	apps_db_free(db);
}

/* The longest domain wins over its parents, whatever the file order. */
static void test_host_longest(void **state)
{
	struct apps_db *db = load1(
		"app:1:google\napp:2:youtube\napp:3:maps\n"
		"dom:2:youtube.googleapis.com\n"
		"dom:1:googleapis.com\n"
		"dom:3:maps.googleapis.com\n");
	struct apps_match m;
	(void)state;

	assert_int_equal(apps_match_host(db, "www.googleapis.com"), 1);
	assert_int_equal(apps_match_host(db, "x.youtube.googleapis.com"), 2);
	assert_int_equal(apps_match_host(db, "maps.googleapis.com"), 3);
	assert_int_equal(apps_explain_host(db, "a.maps.googleapis.com", &m), 3);
	assert_string_equal(m.rule, "maps.googleapis.com");
	assert_int_equal(m.line, 6);
	assert_non_null(strstr(m.file, "one.conf"));
	assert_int_equal(apps_explain_host(db, "example.org", &m), -1);
	assert_int_equal(m.id, -1);
	apps_db_free(db);
}

/* Many overlapping domains from a tiny alphabet against a linear scan:
 * exercises parent marks, table growth and hash runs. */
static void test_host_random_vs_linear(void **state)
{
	enum { N = 3000, Q = 20000 };
	static char names[N][32];
	static int ids[N];
	char *text = malloc(N * 48 + 64), *p = text;
	struct apps_db *db;
	int i, j;
	(void)state;

	srand(11);
	p += sprintf(p, "app:1:one\napp:2:two\napp:3:three\n");
	for (i = 0; i < N; i++) {
		int labels = 1 + rand() % 4, l;

		names[i][0] = '\0';
		for (l = 0; l < labels; l++)
			sprintf(names[i] + strlen(names[i]), "%s%c%c", l ? "." : "",
				"abc"[rand() % 3], "xyz"[rand() % 3]);
		ids[i] = 1 + rand() % 3;
		p += sprintf(p, "dom:%d:%s\n", ids[i], names[i]);
	}
	db = load1(text);
	assert_int_equal(errs.count, 0);
	for (j = 0; j < Q; j++) {
		char host[40] = "";
		int labels = 1 + rand() % 6, l, best = -1;
		size_t bestlen = 0, hl;

		for (l = 0; l < labels; l++)
			sprintf(host + strlen(host), "%s%c%c", l ? "." : "",
				"abcd"[rand() % 4], "xyz"[rand() % 3]);
		hl = strlen(host);
		for (i = 0; i < N; i++) {
			size_t nl = strlen(names[i]);

			/* suffix on a label boundary; later definitions win */
			if (nl > hl || strcmp(host + hl - nl, names[i]) ||
			    (nl < hl && host[hl - nl - 1] != '.'))
				continue;
			if (nl >= bestlen) {
				best = ids[i];
				bestlen = nl;
			}
		}
		if (apps_match_host(db, host) != best)
			fail_msg("host %s: got %d want %d", host,
				 apps_match_host(db, host), best);
	}
	apps_db_free(db);
	free(text);
}

static void test_addr_matching(void **state)
{
	struct apps_db *db = load1(basic);
	struct apps_match m;
	uint8_t a[16];
	(void)state;

	assert_int_equal(addr4(db, "149.154.167.51"), 11);
	assert_int_equal(addr4(db, "149.154.176.1"), -1);
	assert_int_equal(addr4(db, "91.108.7.255"), 11);
	assert_int_equal(addr4(db, "157.240.22.35"), 10);
	assert_int_equal(addr6(db, "2001:67c:4e8:f004::a"), 11);
	assert_int_equal(addr6(db, "2001:67c:4e9::1"), -1);
	inet_pton(AF_INET, "149.154.167.51", a);
	assert_int_equal(apps_explain_addr(db, AF_INET, a, &m), 11);
	assert_string_equal(m.rule, "149.154.160.0/20");
	assert_int_equal(m.line, 13);
	inet_pton(AF_INET6, "2001:67c:4e8:f004::a", a);
	assert_int_equal(apps_explain_addr(db, AF_INET6, a, &m), 11);
	assert_string_equal(m.rule, "2001:67c:4e8::/48");
	assert_int_equal(apps_match_addr(db, 12345, a), -1);
	/* flow keys carry IP version numbers: accepted as well */
	assert_int_equal(apps_match_addr(db, 6, a), 11);
	inet_pton(AF_INET, "149.154.167.51", a);
	assert_int_equal(apps_match_addr(db, 4, a), 11);
	assert_int_equal(apps_explain_addr(db, 4, a, &m), 11);
	assert_string_equal(m.rule, "149.154.160.0/20");
	apps_db_free(db);
}

static void test_lpm_edges(void **state)
{
	struct apps_db *db = load1(
		"app:1:any\napp:2:host\napp:3:v6any\napp:4:v6host\n"
		"net:1:0.0.0.0/0\n"
		"net:2:192.0.2.7\n"
		"net:2:198.51.100.9/32\n"
		"net:3:::/0\n"
		"net:4:2001:db8::1/128\n"
		"net:1:10.1.2.3/8\n");	/* host bits ignored: 10.0.0.0/8 */
	(void)state;

	assert_int_equal(errs.count, 0);
	assert_int_equal(addr4(db, "8.8.8.8"), 1);
	assert_int_equal(addr4(db, "192.0.2.7"), 2);
	assert_int_equal(addr4(db, "192.0.2.8"), 1);
	assert_int_equal(addr4(db, "198.51.100.9"), 2);
	assert_int_equal(addr6(db, "2001:db8::1"), 4);
	assert_int_equal(addr6(db, "2001:db8::2"), 3);
	apps_db_free(db);
}

struct bad_line {
	const char *line;
	const char *error;
};

static const struct bad_line bad_lines[] = {
	{ "bogus:1:x", "unknown record type" },
	{ "just text", "expected <type>" },
	{ "app:0:zero", "bad application id" },
	{ "app:abc:letters", "bad application id" },
	{ "app:-5:negative", "bad application id" },
	{ "app:1000001:big", "bad application id" },
	{ "app:12x:trailing", "bad application id" },
	{ "app:7", "at least <id>:<tag>" },
	{ "app:7:", "at least <id>:<tag>" },
	{ "app:7:bad tag", "application tag" },
	{ "app:7:x:cat egory", "category tag" },
	{ "app:7:aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa",
	  "application tag must be" },
	{ "app:7:ctl:chat:bell\a", "not printable" },
	{ "app:7:utf:chat:\xc3\x28", "not printable" },
	{ "app:7:surrogate:chat:\xed\xa0\x80", "not printable" },
	{ "app:7:overlong:chat:\xc0\xaf", "not printable" },
	{ "app:7:emptylabel:chat:", "display name must be" },
	{ "cat:bad tag:Label", "category tag" },
	{ "cat:x:\x01", "not printable" },
	{ "dom:1", "needs <id>:<value>" },
	{ "dom:x:a.example", "bad application id" },
	{ "dom:1:a..example", "bad domain" },
	{ "dom:1:", "bad domain" },
	{ "dom:1:a_b.exa mple", "bad domain" },
	{ "dom:1:a/b.example", "bad domain" },
	{ "dom:1:aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa.com",
	  "bad domain" },
	{ "net:1:300.1.1.1/8", "bad network address" },
	{ "net:1:1.2.3.4/33", "bad prefix length" },
	{ "net:1:1.2.3.4/", "bad prefix length" },
	{ "net:1:1.2.3.4/x", "bad prefix length" },
	{ "net:1:2001:db8::/129", "bad prefix length" },
	{ "net:1:example.com", "bad network address" },
	{ "ndpi:1:", "nDPI protocol name" },
	{ "dom:99:orphan.example", "unknown application 99" },
	{ "net:98:192.0.2.0/24", "unknown application 98" },
	{ "ndpi:97:Orphan", "unknown application 97" },
	{ "app:7:nocat:nosuchcat:No Category", "unknown category 'nosuchcat'" },
};

/* Every bad line is reported with file:line and skipped; good lines
 * around it still load. */
static void test_errors(void **state)
{
	size_t i;
	(void)state;

	for (i = 0; i < sizeof(bad_lines) / sizeof(bad_lines[0]); i++) {
		char text[512];
		struct apps_db *db;

		snprintf(text, sizeof(text),
			 "cat:chat:Chat\napp:1:good:chat:Good\n%s\ndom:1:good.example\n",
			 bad_lines[i].line);
		db = load1(text);
		if (!has_error("one.conf:3: ", bad_lines[i].error))
			fail_msg("line '%s': expected '%s', got %u errors, first '%s'",
				 bad_lines[i].line, bad_lines[i].error, errs.count,
				 errs.count ? errs.msg[0] : "");
		assert_int_equal(errs.count, 1);
		assert_int_equal(apps_match_host(db, "good.example"), 1);
		assert_int_equal(apps_find_tag(db, "good"), 1);
		apps_db_free(db);
	}
}

static void test_long_line(void **state)
{
	char *text = malloc(APPS_LINE_MAX * 3);
	struct apps_db *db;
	size_t n;
	(void)state;

	n = (size_t)sprintf(text, "app:1:a\ndom:1:");
	memset(text + n, 'x', APPS_LINE_MAX * 2);
	n += APPS_LINE_MAX * 2;
	strcpy(text + n, ".example\ndom:1:after.example\n");
	db = load1(text);
	assert_true(has_error("one.conf:2: ", "longer than"));
	assert_int_equal(errs.count, 1);
	/* the rest of the long line is not read as new lines */
	assert_int_equal(apps_match_host(db, "after.example"), 1);
	{
		struct apps_stats st;

		apps_db_stats(db, &st);
		assert_int_equal(st.domains, 1);
	}
	apps_db_free(db);
	free(text);
}

/* Lines as bytes: a NUL is an error at its own line, the next line is
 * still read and later errors name their true lines; long lines across
 * the reader's buffer, a last line without a newline. */
static void test_nul_bytes(void **state)
{
	static const char text[] = "app:1:a\n"
				   "dom:1:one\0.example\n"	/* line 2 */
				   "dom:1:two.example\n"	/* line 3: kept */
				   "\0\n"			/* line 4 */
				   "bad line\n"		/* line 5 */
				   "dom:1:three.example";	/* line 6, no newline */
	const char *files[1];
	struct apps_db *db;
	FILE *f;
	(void)state;

	files[0] = put("nul.conf", "");
	f = fopen(files[0], "w");
	assert_int_equal(fwrite(text, 1, sizeof(text) - 1, f), sizeof(text) - 1);
	fclose(f);
	db = apps_db_load_files(files, 1, &errs);
	assert_non_null(db);
	assert_true(has_error("nul.conf:2: ", "NUL byte in the line (column 10)"));
	assert_true(has_error("nul.conf:4: ", "NUL byte"));
	assert_true(has_error("nul.conf:5: ", "expected <type>"));
	assert_int_equal(errs.count, 3);
	assert_int_equal(apps_match_host(db, "two.example"), 1);
	assert_int_equal(apps_match_host(db, "three.example"), 1);
	assert_int_equal(apps_match_host(db, "one"), -1);
	apps_db_free(db);
}

static void test_long_lines_span_reads(void **state)
{
	size_t n = 0, i;
	char *text = malloc(64 * 1024);
	struct apps_db *db;
	(void)state;

	n += (size_t)sprintf(text + n, "app:1:a\n");
	for (i = 0; i < 3; i++) {	/* lines 2, 4, 6: 20000 bytes each */
		memset(text + n, '#', 20000);
		n += 20000;
		n += (size_t)sprintf(text + n, "\ndom:1:d%zu.example\n", i);
	}
	/* line 8: exactly the limit with its newline, then a bad line 9 */
	n += (size_t)sprintf(text + n, "dom:1:");
	memset(text + n, 'x', APPS_LINE_MAX - 6 - 9);
	n += APPS_LINE_MAX - 6 - 9;
	n += (size_t)sprintf(text + n, ".example\nbad\n");
	/* line 10: too long, and the last, without a newline: one error */
	memset(text + n, '#', APPS_LINE_MAX + 10);
	n += APPS_LINE_MAX + 10;
	text[n] = '\0';
	db = load1(text);
	assert_true(has_error("one.conf:2: ", "longer than"));
	assert_true(has_error("one.conf:4: ", "longer than"));
	assert_true(has_error("one.conf:6: ", "longer than"));
	assert_true(has_error("one.conf:8: ", "bad domain name"));	/* read, label > 63 */
	assert_true(has_error("one.conf:9: ", "expected <type>"));
	assert_true(has_error("one.conf:10: ", "longer than"));
	assert_int_equal(errs.count, 6);
	for (i = 0; i < 3; i++) {
		char host[32];

		snprintf(host, sizeof(host), "d%zu.example", i);
		assert_int_equal(apps_match_host(db, host), 1);
	}
	apps_db_free(db);
	free(text);
}

/* What is not a regular file fails the load with its path, at once: a
 * FIFO used to block the loader (and the daemon's reload) for good. */
static void test_not_regular(void **state)
{
	static const struct { const char *name, *why; } cases[] = {
		{ "15-fifo.conf", "FIFO" },
		{ "15-zero.conf", "character device" },
		{ "15-dir.conf", "directory" },
		{ "15-big.conf", "larger than 67108864 bytes" },
	};
	char sub[128], path[192];
	struct apps_db *db;
	size_t i;
	FILE *f;
	(void)state;

	snprintf(sub, sizeof(sub), "%s/nr", tmpdir);
	assert_int_equal(mkdir(sub, 0700), 0);
	/* more line errors before it than are kept: the reason still comes first */
	snprintf(path, sizeof(path), "%s/10-ok.conf", sub);
	f = fopen(path, "w");
	for (i = 0; i < APPS_ERRORS_MAX + 6; i++)
		fputs("bad\n", f);
	fclose(f);
	alarm(10);
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		snprintf(path, sizeof(path), "%s/%s", sub, cases[i].name);
		if (i == 0)
			assert_int_equal(mkfifo(path, 0600), 0);
		else if (i == 1)
			assert_int_equal(symlink("/dev/zero", path), 0);
		else if (i == 2)
			assert_int_equal(mkdir(path, 0700), 0);
		else
			assert_int_equal(truncate(put("nr/15-big.conf", ""), APPS_FILE_MAX + 1ll), 0);
		db = apps_db_load(sub, &errs);
		if (db || errs.count != APPS_ERRORS_MAX || errs.dropped != 7 || !strstr(errs.msg[0], path) ||
		    !strstr(errs.msg[0], cases[i].why) || !strstr(errs.msg[1], "10-ok.conf:1: "))
			fail_msg("%s: loaded %d, %u errors, first '%s'", cases[i].name, db != NULL, errs.count,
				 errs.count ? errs.msg[0] : "");
		assert_int_equal(remove(path), 0);
	}
	alarm(0);
	db = apps_db_load(sub, &errs);
	assert_non_null(db);
	assert_int_equal(errs.count + errs.dropped, APPS_ERRORS_MAX + 6);
	apps_db_free(db);
}

static void test_duplicate_tag(void **state)
{
	struct apps_db *db = load1("app:1:same\napp:2:same:x:Other\n"
				   "dom:2:two.example\n");
	(void)state;

	assert_true(has_error("one.conf:2: ", "tag 'same' already used by application 1"));
	/* app 2 is dropped, so is the rule that names it */
	assert_true(has_error("one.conf:3: ", "unknown application 2"));
	assert_int_equal(apps_count(db), 1);
	assert_int_equal(apps_find_tag(db, "same"), 1);
	assert_int_equal(apps_match_host(db, "two.example"), -1);
	apps_db_free(db);
}

/* Later files win: the user's 90-local.conf over the vendor's 10-... */
static void test_precedence(void **state)
{
	const char *files[2];
	struct apps_db *db;
	const struct apps_app *a;
	(void)state;

	files[0] = put("10-vendor.conf",
		       "cat:chat:Chat\ncat:social:Social\n"
		       "app:1:whatsapp:chat:WhatsApp\napp:2:facebook:social:Facebook\n"
		       "dom:2:whatsapp.net\n"		/* vendor mistake */
		       "dom:1:whatsapp.com\n"
		       "net:2:157.240.0.0/16\nndpi:2:WhatsApp\n");
	files[1] = put("90-local.conf",
		       "cat:chat:Messaging\n"
		       "app:1:whatsapp:social:WhatsApp (mine)\n"
		       "app:3:mine:chat:Mine\n"
		       "dom:1:whatsapp.net\n"
		       "net:3:157.240.0.0/16\nndpi:1:whatsapp\n");
	db = apps_db_load_files(files, 2, &errs);
	assert_non_null(db);
	assert_int_equal(errs.count, 0);
	a = apps_get(db, 1);
	assert_string_equal(a->label, "WhatsApp (mine)");
	assert_string_equal(apps_category_at(db, (size_t)a->category)->tag, "social");
	assert_string_equal(apps_category_at(db, 0)->label, "Messaging");
	assert_int_equal(apps_match_host(db, "g.whatsapp.net"), 1);
	assert_int_equal(apps_match_host(db, "whatsapp.com"), 1);
	assert_int_equal(addr4(db, "157.240.1.1"), 3);
	assert_int_equal(apps_match_ndpi(db, "WhatsApp"), 1);
	assert_string_equal(tag_of(db, apps_match_host(db, "g.whatsapp.net")), "whatsapp");
	apps_db_free(db);
}

/* A directory loads *.conf in name order; other files are ignored; a file
 * that cannot be read fails the load, never a catalog missing it. */
static void test_load_dir(void **state)
{
	char sub[128], path[192];
	struct apps_db *db;
	FILE *f;
	(void)state;

	snprintf(sub, sizeof(sub), "%s/d", tmpdir);
	assert_int_equal(mkdir(sub, 0700), 0);
	snprintf(path, sizeof(path), "%s/20-b.conf", sub);
	f = fopen(path, "w");
	fputs("app:1:a:x:From B\ndom:1:b.example\n", f);
	fclose(f);
	snprintf(path, sizeof(path), "%s/10-a.conf", sub);
	f = fopen(path, "w");
	fputs("cat:x:X\napp:1:a:x:From A\n", f);
	fclose(f);
	snprintf(path, sizeof(path), "%s/99-z.conf.disabled", sub);
	f = fopen(path, "w");
	fputs("app:1:a:x:Disabled\n", f);
	fclose(f);
	snprintf(path, sizeof(path), "%s/15-dir.conf", sub);
	assert_int_equal(mkdir(path, 0700), 0);	/* not a readable file */
	errno = 0;
	assert_null(apps_db_load(sub, &errs));
	assert_int_equal(errno, EISDIR);
	assert_int_equal(errs.count, 1);
	assert_non_null(strstr(errs.msg[0], "15-dir.conf"));
	assert_int_equal(rmdir(path), 0);
	db = apps_db_load(sub, &errs);
	assert_non_null(db);
	assert_string_equal(apps_get(db, 1)->label, "From B");
	assert_int_equal(apps_match_host(db, "b.example"), 1);
	assert_int_equal(errs.count, 0);
	apps_db_free(db);
	assert_null(apps_db_load("/nonexistent/netify-apps", &errs));
	assert_int_equal(errno, ENOENT);
}

static void test_missing_file(void **state)
{
	const char *files[2] = { "/nonexistent/x.conf", NULL };
	struct apps_db *db;
	(void)state;

	files[1] = put("ok.conf", "app:5:ok\n");
	errno = 0;
	db = apps_db_load_files(files, 2, &errs);
	assert_null(db);
	assert_int_equal(errno, ENOENT);
	assert_true(has_error("/nonexistent/x.conf:0: ", "cannot open"));
	db = apps_db_load_files(files + 1, 1, &errs);
	assert_non_null(db);
	assert_int_equal(apps_find_tag(db, "ok"), 5);
	apps_db_free(db);
}

static void test_errors_bounded(void **state)
{
	char text[4096] = "";
	struct apps_db *db;
	int i;
	(void)state;

	for (i = 0; i < 100; i++)
		strcat(text, "bad line\n");
	db = load1(text);
	assert_int_equal(errs.count, APPS_ERRORS_MAX);
	assert_int_equal(errs.dropped, 100 - APPS_ERRORS_MAX);
	apps_db_free(db);
	/* NULL errs is allowed */
	{
		const char *files[1] = { put("e.conf", "bad\n") };

		db = apps_db_load_files(files, 1, NULL);
		assert_non_null(db);
		apps_db_free(db);
	}
}

static void test_refcount(void **state)
{
	struct apps_db *db = load1(basic);
	(void)state;

	assert_ptr_equal(apps_db_ref(db), db);
	apps_db_free(db);
	/* still alive for the second holder (ASan would catch a use after free) */
	assert_int_equal(apps_match_host(db, "whatsapp.net"), 10);
	apps_db_free(db);
	apps_db_free(NULL);
}

static void test_empty(void **state)
{
	struct apps_db *db = load1("# nothing\n\n");
	uint8_t a[4] = { 1, 2, 3, 4 };
	(void)state;

	assert_int_equal(apps_count(db), 0);
	assert_int_equal(apps_match_host(db, "x.example"), -1);
	assert_int_equal(apps_match_addr(db, AF_INET, a), -1);
	assert_int_equal(apps_match_ndpi(db, "HTTP"), -1);
	assert_int_equal(apps_find_tag(db, "x"), -1);
	apps_db_free(db);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_format),
		cmocka_unit_test(test_host_matching),
		cmocka_unit_test(test_host_many_labels),
		cmocka_unit_test(test_host_longest),
		cmocka_unit_test(test_host_random_vs_linear),
		cmocka_unit_test(test_addr_matching),
		cmocka_unit_test(test_lpm_edges),
		cmocka_unit_test(test_errors),
		cmocka_unit_test(test_long_line),
		cmocka_unit_test(test_nul_bytes),
		cmocka_unit_test(test_long_lines_span_reads),
		cmocka_unit_test(test_not_regular),
		cmocka_unit_test(test_duplicate_tag),
		cmocka_unit_test(test_precedence),
		cmocka_unit_test(test_load_dir),
		cmocka_unit_test(test_missing_file),
		cmocka_unit_test(test_errors_bounded),
		cmocka_unit_test(test_refcount),
		cmocka_unit_test(test_empty),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
