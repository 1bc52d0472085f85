/*
 * libFuzzer target for the usage state file loader (ustate_decode). Each
 * input is decoded twice: as it is (almost always refused by the checksum)
 * and with its length and checksum fixed, so that the record parser sees
 * every mutation. A refusal must say why; an accepted file must leave
 * tables that can be queried, ticked, saved-from and freed without a
 * crash, a leak or undefined behaviour. The usage module's sources are
 * built into this target by inclusion.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <gcrypt.h>

#include "daycal.c"
#include "usagedb.c"
#include "ulimits.c"
#include "conntab.c"
#include "ustate.c"

#define NOW 1781094600	/* 2026-06-10 12:30 UTC */

static void fix(uint8_t *buf, size_t len)
{
	for (int i = 0; i < 8; i++)
		buf[len - 12 + i] = (uint8_t)((uint64_t)len >> (8 * i));
	gcry_md_hash_buffer(GCRY_MD_CRC32, buf + len - 4, buf, len - 4);
}

static void noop(void *ctx, const struct ulimit_status *st)
{
	(void)ctx;
	(void)st;
}

static void use(const struct ustate_src *s)
{
	struct usage_row rows[4];
	struct usage_totals t, h[4];
	struct usage_scope all = { 0 };
	const uint8_t mac[6] = { 2, 0, 0, 0, 0, 1 };
	int32_t day = usagedb_day(s->db, NOW);

	usagedb_top(s->db, mac, USAGE_APP, day - 6, day, USAGE_BY_TIME, rows, 4);
	usagedb_range(s->db, NULL, USAGE_ALL, 0, day - 61, day, &t);
	usagedb_hours(s->db, mac, USAGE_APP, 100, daycal_hour(NOW) - 3, 4, h);
	usagedb_scope_today(s->db, &all, NOW, &t);
	ulimits_tick(s->lim, NOW + 60);
	ulimits_foreach(s->lim, NOW, noop, NULL);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct usagedb_opts o = { .max_entries = 16, .seed = 1 };
	struct ulimits_opts lo = { .max_defs = 4, .max_scopes = 8 };
	const struct ulimit_def def = { .name = "tiktok", .time_min = 2, .volume = 1000, .warn_pct = 50 };
	struct ustate_src s;
	char why[160];
	uint8_t *buf;
	int r;

	setenv("TZ", "UTC", 1);
	s.db = usagedb_new(&o);
	s.lim = ulimits_new(&lo);
	s.conns = conntab_new(8, 1);
	if (!s.db || !s.lim || !s.conns)
		abort();
	ulimits_configure(s.lim, &def, 1, NOW);
	why[0] = 0;
	if (ustate_decode(data, size, &s, NOW, true, NULL, why, sizeof(why)) < 0 && !why[0])
		abort();	/* a refusal must say why */
	if (size >= 52 && (buf = malloc(size))) {
		memcpy(buf, data, size);
		fix(buf, size);
		why[0] = 0;
		r = ustate_decode(buf, size, &s, NOW, true, NULL, why, sizeof(why));
		if (r < 0 && !why[0])
			abort();
		free(buf);
	}
	use(&s);
	usagedb_free(s.db);
	ulimits_free(s.lim);
	conntab_free(s.conns);
	return 0;
}
