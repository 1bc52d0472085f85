/* The accounting service without a kernel, on a fake clock: flow notes
 * through the ring, readings into usage per device and application,
 * blocked connections not counted as use, unregistered ones under an
 * unknown device, a limit reached and announced, the ring's bound, saves
 * every save_s and at the end, and a restart that loses nothing. */
#define _GNU_SOURCE	/* timegm, strptime */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>
#include <cmocka.h>

#include "utest.h"

#include <netinet/in.h>

#include "usage.h"
#include "ustate.h"

static const uint8_t MAC1[6] = { 2, 0, 0, 0, 0, 1 };
static const uint8_t ZERO[6];
static time_t now_t;
static char dir[64], pdir[80];
static int reached, warned;

static time_t fake_clock(void *ctx)
{
	(void)ctx;
	return now_t;
}

static void on_limit(void *ctx, enum ulimit_event ev, const struct ulimit_status *st)
{
	(void)ctx;
	(void)st;
	reached += ev == ULIMIT_REACHED;
	warned += ev == ULIMIT_WARN;
}

static struct usage *service(uint32_t ring)
{
	struct usage_opts o = { .ring_slots = ring, .state_dir = dir, .persist_dir = pdir, .save_s = 60,
				.persist_s = 3600, .clock = fake_clock, .on_limit = on_limit };
	struct usage *u = usage_new(&o);

	assert_non_null(u);
	return u;
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

static struct usage_flow flow(uint16_t sport, int32_t app, int blocked)
{
	struct usage_flow f;

	memset(&f, 0, sizeof(f));
	f.tuple = tup(sport);
	f.flow_id = sport;
	memcpy(f.mac, MAC1, 6);
	f.local_is_src = 1;
	f.blocked = (uint8_t)blocked;
	f.app = app;
	f.category = 7;
	f.n_limits = app == 100;
	f.limits[0] = ulimit_key("tiktok");
	return f;
}

static void dump_rec(struct usage *u, uint16_t sport, uint32_t id, uint64_t out, uint64_t in, uint32_t minute)
{
	struct ctacct_rec r;

	memset(&r, 0, sizeof(r));
	r.kind = CTACCT_DUMP;
	r.orig = tup(sport);
	r.id = id;
	r.has_counters = 1;
	r.bytes[0] = out;
	r.bytes[1] = in;
	usage_lock(u);
	usage_feed(u, &r, minute);
	usage_unlock(u);
}

static struct usage_totals today(struct usage *u, const uint8_t *mac, int32_t app)
{
	struct usage_totals t;
	int32_t d;

	memset(&t, 0, sizeof(t));
	usage_lock(u);
	d = usagedb_day(usage_db(u), now_t);
	usagedb_range(usage_db(u), mac, USAGE_APP, app, d, d, &t);
	usage_unlock(u);
	return t;
}

static void test_service(void **state)
{
	struct ulimit_def lim = { .name = "tiktok", .time_min = 2, .warn_pct = 50, .per_device = true };
	struct usage *u = service(0);
	struct usage_flow f;
	struct usage_stats st;
	struct usage_totals t;
	uint32_t m;

	(void)state;
	assert_int_equal(usage_limits_configure(u, &lim, 1), 0);
	m = (uint32_t)(now_t / 60);
	f = flow(40000, 100, 0);
	assert_int_equal(usage_flow_note(u, &f), 0);
	f = flow(40001, 200, 0);
	usage_flow_note(u, &f);
	f = flow(40002, 300, 1);	/* blocked */
	usage_flow_note(u, &f);
	usage_step(u, now_t);
	assert_int_equal(today(u, MAC1, 100).conns, 1);
	assert_int_equal(today(u, MAC1, 300).conns, 0);
	/* the minute ends: the dump reads it */
	now_t += 60;
	dump_rec(u, 40000, 1, 1000, 50000, m);
	dump_rec(u, 40001, 2, 10, 20, m);
	dump_rec(u, 40002, 3, 60, 0, m);
	dump_rec(u, 40009, 9, 5, 5, m);	/* nobody registered it */
	usage_step(u, now_t);
	t = today(u, MAC1, 100);
	assert_int_equal(t.bytes_in, 50000);
	assert_int_equal(t.bytes_out, 1000);
	assert_int_equal(t.minutes, 1);
	assert_int_equal(today(u, ZERO, -1).bytes_in, 5);
	assert_int_equal(warned, 1);
	assert_int_equal(reached, 0);
	/* a second minute of tiktok: spent when it ends */
	now_t += 60;
	dump_rec(u, 40000, 1, 2000, 90000, m + 1);
	usage_step(u, now_t);
	assert_int_equal(reached, 1);
	assert_true(usage_limit_blocked(u, ulimit_key("tiktok"), MAC1, now_t));
	assert_int_equal(today(u, MAC1, 100).minutes, 2);
	usage_stats(u, &st);
	assert_int_equal(st.blocked_bytes, 60);
	assert_int_equal(st.unmapped_bytes, 10);
	assert_int_equal(st.notes, 3);
	assert_int_equal(st.saves, 2);	/* save_s 60: at +60 and +120 */
	assert_int_equal(st.conns.entries, 4);
	usage_free(u);
}

static void test_ring_bound(void **state)
{
	struct usage *u = service(2);
	struct usage_flow f = flow(1, 5, 0);
	struct usage_stats st;

	(void)state;
	for (int i = 0; i < 5; i++) {
		f.tuple.sport = (uint16_t)(1000 + i);
		f.flow_id = (uint64_t)i;
		usage_flow_note(u, &f);
	}
	usage_stats(u, &st);
	assert_int_equal(st.notes, 2);
	assert_int_equal(st.notes_dropped, 3);
	usage_step(u, now_t);
	assert_int_equal(today(u, MAC1, 5).conns, 2);
	usage_free(u);
}

/* A restart loses nothing that was written: usage_free saves, usage_new loads. */
static void test_restart(void **state)
{
	struct ulimit_def lim = { .name = "tiktok", .time_min = 1, .per_device = true };
	struct usage *u = service(0);
	struct usage_flow f = flow(40000, 100, 0);
	struct usage_totals a, b;
	char path[128];
	struct stat st;
	uint32_t m = (uint32_t)(now_t / 60);

	(void)state;
	usage_limits_configure(u, &lim, 1);
	usage_flow_note(u, &f);
	usage_step(u, now_t);
	dump_rec(u, 40000, 1, 100, 7000, m);
	now_t += 60;
	usage_step(u, now_t);
	assert_true(usage_limit_blocked(u, ulimit_key("tiktok"), MAC1, now_t));
	a = today(u, MAC1, 100);
	usage_free(u);
	snprintf(path, sizeof(path), "%s/%s", pdir, USTATE_FILE);
	assert_int_equal(stat(path, &st), 0);	/* the reboot copy too */
	u = service(0);
	usage_limits_configure(u, &lim, 1);
	b = today(u, MAC1, 100);
	assert_memory_equal(&a, &b, sizeof(a));
	assert_true(usage_limit_blocked(u, ulimit_key("tiktok"), MAC1, now_t));
	/* the connection goes on where it was: only what is new counts */
	dump_rec(u, 40000, 1, 150, 9000, m + 1);
	assert_int_equal(today(u, MAC1, 100).bytes_in, 9000);
	usage_free(u);
}

/* ---- without the kernel: the owner's readings (a replay) ---- */

static uint64_t owner_out, owner_in;	/* the owner's connection 40000, cumulative */
static int owner_reads, owner_boundaries, lifted;
static struct usage *owner_u;

static void owner_read(void *ctx, bool boundary)
{
	struct ctacct_rec r;

	(void)ctx;
	owner_reads++;
	owner_boundaries += boundary;
	memset(&r, 0, sizeof(r));
	r.kind = CTACCT_DUMP;
	r.orig = tup(40000);
	r.id = 1;
	r.has_counters = 1;
	r.bytes[0] = owner_out;
	r.bytes[1] = owner_in;
	assert_int_equal(usage_reading(owner_u, &r), 0);
}

static void owner_limit(void *ctx, enum ulimit_event ev, const struct ulimit_status *st)
{
	on_limit(ctx, ev, st);
	lifted += ev == ULIMIT_RESET && st->lifted;
}

static struct usage *owner_service(void)
{
	struct usage_opts o = { .state_dir = dir, .save_s = 3600, .refresh_s = 2, .clock = fake_clock,
				.on_limit = owner_limit, .read_conns = owner_read };

	assert_non_null(owner_u = usage_new(&o));
	return owner_u;
}

static void test_owner_readings(void **state)
{
	struct ulimit_def lim = { .name = "tiktok", .time_min = 1, .per_device = true };
	struct usage *u = owner_service();
	struct usage_flow f = flow(40000, 100, 0);
	struct ctacct_rec r;
	struct usage_stats st;
	uint32_t m = (uint32_t)(now_t / 60);

	(void)state;
	assert_int_equal(usage_limits_configure(u, &lim, 1), 0);
	assert_int_equal(usage_ct_attach(u, NULL, NULL), -1);	/* no kernel reader to share */
	/* the note, then a reading: in this order, so the reading is the flow's */
	usage_flow_note(u, &f);
	owner_out = 300;
	owner_in = 4000;
	usage_step(u, now_t);	/* a refresh is due at start */
	assert_int_equal(owner_reads, 1);
	assert_int_equal(owner_boundaries, 0);
	assert_int_equal(today(u, MAC1, 100).bytes_in, 4000);
	assert_int_equal(today(u, ZERO, -1).bytes_in, 0);
	usage_step(u, now_t + 1);	/* not yet due */
	assert_int_equal(owner_reads, 1);
	/* the minute ends: read for it, and the 1-minute limit is reached */
	owner_in = 9000;
	now_t += 60;
	usage_step(u, now_t);
	assert_int_equal(owner_boundaries, 1);
	assert_int_equal(today(u, MAC1, 100).bytes_in, 9000);
	assert_int_equal(today(u, MAC1, 100).minutes, 1);
	assert_int_equal(reached, 1);
	assert_true(usage_limit_blocked(u, ulimit_key("tiktok"), MAC1, now_t));
	/* a reload raising the limit lifts it, and says so */
	lim.time_min = 30;
	assert_int_equal(usage_limits_configure(u, &lim, 1), 0);
	assert_int_equal(lifted, 1);
	assert_false(usage_limit_blocked(u, ulimit_key("tiktok"), MAC1, now_t));
	/* it ends: its last reading, queued; usage_free still counts it */
	memset(&r, 0, sizeof(r));
	r.kind = CTACCT_DESTROY;
	r.orig = tup(40000);
	r.id = 1;
	r.has_counters = 1;
	r.bytes[0] = 300;
	r.bytes[1] = 12000;
	assert_int_equal(usage_reading(u, &r), 0);
	usage_stats(u, &st);
	assert_int_equal(st.conns.entries, 1);
	usage_free(u);
	u = service(0);
	assert_int_equal(today(u, MAC1, 100).bytes_in, 12000);
	usage_stats(u, &st);
	assert_int_equal(st.conns.entries, 0);
	usage_free(u);
	(void)m;
}

static int setup(void **state)
{
	(void)state;
	zone("UTC");
	now_t = utc("2026-06-10 12:00:05");
	scratch_dir(dir, sizeof(dir), "usage-test");
	snprintf(pdir, sizeof(pdir), "%s/flash", dir);
	reached = warned = 0;
	owner_reads = owner_boundaries = lifted = 0;
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
		cmocka_unit_test_setup_teardown(test_service, setup, teardown),
		cmocka_unit_test_setup_teardown(test_ring_bound, setup, teardown),
		cmocka_unit_test_setup_teardown(test_restart, setup, teardown),
		cmocka_unit_test_setup_teardown(test_owner_readings, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
