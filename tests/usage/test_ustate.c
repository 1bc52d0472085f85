/* The usage state file: a round trip of usage, budgets and connections;
 * loading twice or an older copy counts nothing twice; every truncation
 * and every garbled byte refused with nothing applied; a bad record with a
 * good checksum refused whole; unknown records skipped; a bad file on
 * disk reported and set aside; atomic writes leave no temporary files. */
#define _GNU_SOURCE	/* timegm, strptime */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <dirent.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>
#include <cmocka.h>

#include "utest.h"

#include <gcrypt.h>
#include <netinet/in.h>

#include "conntab.h"
#include "ulimits.h"
#include "usagedb.h"
#include "ustate.h"

static const uint8_t MAC1[6] = { 2, 0, 0, 0, 0, 1 }, MAC2[6] = { 2, 0, 0, 0, 0, 2 };
static char dir[64];
static time_t T0;

struct world {
	struct usagedb *db;
	struct ulimits *lim;
	struct conntab *conns;
	struct ustate_src src;
};

static const struct ulimit_def LIMIT = { .name = "tiktok", .time_min = 2, .per_device = true };

static void world_new(struct world *w)
{
	struct usagedb_opts o = { .max_entries = 256, .seed = 3 };
	struct ulimits_opts lo = { 0 };

	assert_non_null(w->db = usagedb_new(&o));
	assert_non_null(w->lim = ulimits_new(&lo));
	assert_non_null(w->conns = conntab_new(64, 3));
	w->src.db = w->db;
	w->src.lim = w->lim;
	w->src.conns = w->conns;
}

static void world_free(struct world *w)
{
	usagedb_free(w->db);
	ulimits_free(w->lim);
	conntab_free(w->conns);
}

static void add(struct usagedb *db, const uint8_t *mac, int32_t app, uint64_t in, time_t t)
{
	struct usage_sample s = { .app = app, .category = 7, .bytes_in = in, .bytes_out = in / 10, .conns = 1,
				  .minute = (uint32_t)(t / 60) };

	memcpy(s.mac, mac, 6);
	assert_int_equal(usagedb_add(db, &s), 0);
}

static struct ct_tuple tup(uint16_t sport)
{
	struct ct_tuple t;

	memset(&t, 0, sizeof(t));
	t.family = 4;
	t.src[0] = 10, t.src[3] = 2;
	t.dst[0] = 10, t.dst[3] = 9;
	t.proto = IPPROTO_TCP;
	t.sport = sport;
	t.dport = 443;
	return t;
}

/* Usage over 70 days and the last hours, a spent budget, two connections. */
static void world_fill(struct world *w)
{
	struct usage_flow f;
	struct ctacct_rec r;
	struct conn_delta d;

	for (int day = 70; day >= 0; day--)
		add(w->db, MAC1, 100, 1000 + (uint64_t)day, T0 - day * 86400);
	for (int h = 0; h < 50; h++)
		add(w->db, MAC2, 200, 10, T0 - h * 3600);
	add(w->db, MAC2, 300, 5, T0 - 60);
	ulimits_configure(w->lim, &LIMIT, 1, T0);
	ulimits_account(w->lim, ulimit_key("tiktok"), MAC1, (uint32_t)(T0 / 60) - 2, 10, T0);
	ulimits_account(w->lim, ulimit_key("tiktok"), MAC1, (uint32_t)(T0 / 60) - 1, 10, T0);
	assert_true(ulimits_blocked(w->lim, ulimit_key("tiktok"), MAC1, T0));
	memset(&f, 0, sizeof(f));
	f.tuple = tup(40000);
	f.flow_id = 1;
	memcpy(f.mac, MAC1, 6);
	f.app = 100;
	f.local_is_src = 1;
	f.n_limits = 1;
	f.limits[0] = ulimit_key("tiktok");
	conntab_note(w->conns, &f, (uint32_t)(T0 / 60));
	memset(&r, 0, sizeof(r));
	r.kind = CTACCT_DUMP;
	r.orig = tup(40000);
	r.id = 77;
	r.has_counters = 1;
	r.bytes[0] = 500;
	r.bytes[1] = 9000;
	conntab_reading(w->conns, &r, (uint32_t)(T0 / 60), &d);
	f.tuple = tup(40001);
	f.flow_id = 2;
	conntab_note(w->conns, &f, (uint32_t)(T0 / 60));
}

static struct usage_totals range(struct usagedb *db, const uint8_t *mac, enum usage_kind k, int32_t id,
				 int32_t from, int32_t to)
{
	struct usage_totals t;

	memset(&t, 0, sizeof(t));
	usagedb_range(db, mac, k, id, from, to, &t);
	return t;
}

/* The figures a query would show, to compare two worlds. */
static void fingerprint(struct world *w, uint64_t out[8])
{
	int32_t today = usagedb_day(w->db, T0);
	struct usage_totals h[48], t;
	struct usage_scope all = { 0 };
	struct ulimit_status st;
	struct conntab_stats cs;

	t = range(w->db, MAC1, USAGE_APP, 100, today - 61, today);
	out[0] = t.bytes_in;
	out[1] = t.minutes;
	t = range(w->db, MAC2, USAGE_ALL, 0, today - 3, today);
	out[2] = t.bytes_in + t.bytes_out + t.conns;
	usagedb_hours(w->db, MAC2, USAGE_APP, 200, (uint32_t)(T0 / 3600) - 47, 48, h);
	out[3] = 0;
	for (int i = 0; i < 48; i++)
		out[3] += h[i].bytes_in * (uint64_t)(i + 1);
	usagedb_scope_today(w->db, &all, T0, &t);
	out[4] = t.minutes;
	out[5] = ulimits_status(w->lim, ulimit_key("tiktok"), MAC1, T0, &st) == 0 ? st.used_min * 10 + st.reached : 99;
	conntab_stats(w->conns, &cs);
	out[6] = cs.entries;
	out[7] = range(w->db, MAC2, USAGE_CATEGORY, 7, today, today).minutes;
}

static void test_round_trip(void **state)
{
	struct world a, b;
	struct ustate_info info;
	uint64_t fa[8], fb[8];
	struct ctacct_rec r;
	struct conn_delta d;
	struct stat st;
	char path[128];

	(void)state;
	world_new(&a);
	world_fill(&a);
	assert_int_equal(ustate_save(dir, USTATE_FILE, &a.src, T0, true, &info), 0);
	assert_true(info.entries > 0 && info.conns == 2 && info.budgets == 1);
	snprintf(path, sizeof(path), "%s/%s", dir, USTATE_FILE);
	assert_int_equal(stat(path, &st), 0);
	assert_int_equal(st.st_mode & 0777, 0600);
	assert_int_equal((size_t)st.st_size, info.bytes);
	world_new(&b);
	assert_int_equal(ustate_load(dir, USTATE_FILE, &b.src, T0 + 5, &info), 0);
	/* limits come back from the policy after the state */
	ulimits_configure(b.lim, &LIMIT, 1, T0 + 5);
	fingerprint(&a, fa);
	fingerprint(&b, fb);
	assert_memory_equal(fa, fb, sizeof(fa));
	assert_true(fa[0] > 0 && fa[3] > 0 && fa[5] == 21 && fa[6] == 2);
	assert_true(ulimits_blocked(b.lim, ulimit_key("tiktok"), MAC1, T0 + 6));
	/* the restored connection goes on with its deltas */
	memset(&r, 0, sizeof(r));
	r.kind = CTACCT_DUMP;
	r.orig = tup(40000);
	r.id = 77;
	r.has_counters = 1;
	r.bytes[0] = 600;
	r.bytes[1] = 9500;
	assert_int_equal(conntab_reading(b.conns, &r, (uint32_t)(T0 / 60), &d), 0);
	assert_false(d.unmapped);
	assert_int_equal(d.bytes_out, 100);
	assert_int_equal(d.bytes_in, 500);
	/* loaded again, and an older copy: nothing counted twice */
	assert_int_equal(ustate_load(dir, USTATE_FILE, &b.src, T0 + 5, NULL), 0);
	fingerprint(&b, fb);
	assert_memory_equal(fa, fb, sizeof(fa));
	world_free(&a);
	world_free(&b);
}

static void test_older_copy_merges(void **state)
{
	struct world a, b;
	uint64_t fa[8], fb[8];

	(void)state;
	world_new(&a);
	world_fill(&a);
	assert_int_equal(ustate_save(dir, "old.state", &a.src, T0, false, NULL), 0);
	add(a.db, MAC1, 100, 5000, T0);	/* more today */
	assert_int_equal(ustate_save(dir, USTATE_FILE, &a.src, T0, false, NULL), 0);
	world_new(&b);
	assert_int_equal(ustate_load(dir, USTATE_FILE, &b.src, T0, NULL), 0);
	assert_int_equal(ustate_load(dir, "old.state", &b.src, T0, NULL), 0);
	ulimits_configure(b.lim, &LIMIT, 1, T0);
	fingerprint(&a, fa);
	fingerprint(&b, fb);
	fa[6] = fb[6] = 0;	/* no connections in these copies */
	assert_memory_equal(fa, fb, sizeof(fa));
	world_free(&a);
	world_free(&b);
}

static uint8_t *read_file(const char *name, size_t *len)
{
	char path[128];
	FILE *f;
	uint8_t *buf;
	long n;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	assert_non_null(f = fopen(path, "rb"));
	fseek(f, 0, SEEK_END);
	n = ftell(f);
	rewind(f);
	buf = malloc((size_t)n);
	assert_int_equal(fread(buf, 1, (size_t)n, f), (size_t)n);
	fclose(f);
	*len = (size_t)n;
	return buf;
}

static size_t world_entries(struct world *w)
{
	struct usagedb_stats st;

	usagedb_stats(w->db, &st);
	return st.entries;
}

static void test_truncated_and_garbled(void **state)
{
	struct world a, b;
	uint8_t *buf;
	size_t len, refused = 0;
	char why[160];

	(void)state;
	world_new(&a);
	world_fill(&a);
	assert_int_equal(ustate_save(dir, USTATE_FILE, &a.src, T0, true, NULL), 0);
	buf = read_file(USTATE_FILE, &len);
	world_new(&b);
	assert_int_equal(ustate_decode(buf, len, &b.src, T0, false, NULL, why, sizeof(why)), 0);
	assert_int_equal(world_entries(&b), 0);	/* checked, not applied */
	for (size_t cut = 0; cut < len; cut++) {
		why[0] = 0;
		refused += ustate_decode(buf, cut, &b.src, T0, true, NULL, why, sizeof(why)) < 0 && why[0];
	}
	assert_int_equal(refused, len);
	for (size_t i = 0; i < len; i++) {
		buf[i] ^= 0x5a;
		refused += ustate_decode(buf, len, &b.src, T0, true, NULL, why, sizeof(why)) < 0;
		buf[i] ^= 0x5a;
	}
	assert_int_equal(refused, 2 * len);
	assert_int_equal(world_entries(&b), 0);
	assert_int_equal(ustate_decode(buf, len - 1, &b.src, T0, true, NULL, why, sizeof(why)), -1);
	assert_non_null(strstr(why, "truncated"));
	buf[len - 1] ^= 1;
	assert_int_equal(ustate_decode(buf, len, &b.src, T0, true, NULL, why, sizeof(why)), -1);
	assert_non_null(strstr(why, "checksum"));
	buf[len - 1] ^= 1;
	buf[8] = 9;	/* version */
	assert_int_equal(ustate_decode(buf, len, &b.src, T0, true, NULL, why, sizeof(why)), -1);
	assert_non_null(strstr(why, "version 9"));
	free(buf);
	world_free(&a);
	world_free(&b);
}

/* A file whose checksum is right but whose contents are not (written by a
 * bug, or by hand): refused whole, even the good records before it. */
static void refit(uint8_t *buf, size_t len)
{
	for (int i = 0; i < 8; i++)
		buf[len - 12 + i] = (uint8_t)((uint64_t)len >> (8 * i));
	gcry_md_hash_buffer(GCRY_MD_CRC32, buf + len - 4, buf, len - 4);
}

static void test_bad_record_refused_whole(void **state)
{
	struct world a, b;
	uint8_t *buf, *big;
	size_t len;
	char why[160];

	(void)state;
	world_new(&a);
	world_fill(&a);
	assert_int_equal(ustate_save(dir, USTATE_FILE, &a.src, T0, false, NULL), 0);
	buf = read_file(USTATE_FILE, &len);
	world_new(&b);
	/* the first record is an entry; the last before the trailer a budget:
	 * give that budget a bad flag */
	buf[len - 20 - 298 + 8 + 6] = 7;
	refit(buf, len);
	assert_int_equal(ustate_decode(buf, len, &b.src, T0, true, NULL, why, sizeof(why)), -1);
	assert_non_null(strstr(why, "bad budget"));
	assert_int_equal(world_entries(&b), 0);
	buf[len - 20 - 298 + 8 + 6] = 1;
	/* an entry of an unknown kind */
	buf[32 + 5 + 6] = 9;
	refit(buf, len);
	assert_int_equal(ustate_decode(buf, len, &b.src, T0, true, NULL, why, sizeof(why)), -1);
	assert_non_null(strstr(why, "record 1"));
	buf[32 + 5 + 6] = 0;
	refit(buf, len);
	assert_int_equal(ustate_decode(buf, len, &b.src, T0, false, NULL, why, sizeof(why)), 0);
	/* a record from a newer netify is skipped */
	big = malloc(len + 8);
	memcpy(big, buf, len - 20);
	memcpy(big + len - 20, "\x63\x03\x00\x00\x00xyz", 8);
	memcpy(big + len - 12, buf + len - 20, 20);
	refit(big, len + 8);
	assert_int_equal(ustate_decode(big, len + 8, &b.src, T0, true, NULL, why, sizeof(why)), 0);
	assert_true(world_entries(&b) > 0);
	free(big);
	free(buf);
	world_free(&a);
	world_free(&b);
}

static int count_files(const char *prefix)
{
	DIR *d = opendir(dir);
	struct dirent *e;
	int n = 0;

	while ((e = readdir(d)))
		n += !strncmp(e->d_name, prefix, strlen(prefix));
	closedir(d);
	return n;
}

static void test_bad_file_set_aside(void **state)
{
	struct world a, b;
	char path[128];
	uint8_t *buf;
	size_t len;
	FILE *f;

	(void)state;
	world_new(&a);
	world_fill(&a);
	assert_int_equal(ustate_save(dir, "cut.state", &a.src, T0, true, NULL), 0);
	assert_int_equal(count_files(".cut.state."), 0);	/* no temporary left */
	buf = read_file("cut.state", &len);
	snprintf(path, sizeof(path), "%s/cut.state", dir);
	f = fopen(path, "wb");
	fwrite(buf, 1, len / 2, f);	/* a crash would not do this (rename), a full disk might */
	fclose(f);
	world_new(&b);
	assert_int_equal(ustate_load(dir, "cut.state", &b.src, T0, NULL), -1);
	assert_int_equal(count_files("cut.state.bad-"), 1);
	assert_int_equal(count_files("cut.state"), 1);	/* only the one set aside */
	assert_int_equal(world_entries(&b), 0);
	assert_int_equal(ustate_load(dir, "cut.state", &b.src, T0, NULL), 1);	/* gone: none */
	assert_int_equal(ustate_load(dir, "never.state", &b.src, T0, NULL), 1);
	/* an empty file too */
	f = fopen(path, "wb");
	fclose(f);
	assert_int_equal(ustate_load(dir, "cut.state", &b.src, T0 + 1, NULL), -1);
	/* a FIFO is set aside at once, not waited on (the alarm fails a hang) */
	assert_int_equal(mkfifo(path, 0600), 0);
	alarm(10);
	assert_int_equal(ustate_load(dir, "cut.state", &b.src, T0 + 2, NULL), -1);
	alarm(0);
	assert_int_equal(count_files("cut.state.bad-"), 3);
	/* a directory that does not exist yet is made */
	snprintf(path, sizeof(path), "%s/sub", dir);
	assert_int_equal(ustate_save(path, USTATE_FILE, &a.src, T0, false, NULL), 0);
	free(buf);
	world_free(&a);
	world_free(&b);
}

static int setup(void **state)
{
	(void)state;
	zone("UTC");
	T0 = utc("2026-06-10 12:30:00");
	scratch_dir(dir, sizeof(dir), "ustate-test");
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	return scratch_remove(dir);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_round_trip),
		cmocka_unit_test(test_older_copy_merges),
		cmocka_unit_test(test_truncated_and_garbled),
		cmocka_unit_test(test_bad_record_refused_whole),
		cmocka_unit_test(test_bad_file_set_aside),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
