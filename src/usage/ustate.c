/* The usage state file: see ustate.h. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>
#include <zlib.h>

#include "cursor.h"
#include "log.h"
#include "util.h"
#include "conntab.h"
#include "ulimits.h"
#include "usagedb_int.h"
#include "ustate.h"

#define MAGIC "NFYUSAGE"
#define END_MAGIC "NFYU-END"
#define HDR_LEN 32u
#define TRAILER_LEN 20u
#define FLAG_CONNS 1u

enum { REC_ENTRY = 1, REC_BUDGET = 2, REC_CONN = 3 };

#define ENTRY_FIXED 32u
#define BUCKET_LEN 16u
#define SLOT_LEN (4u + BUCKET_LEN)
#define MINS_LEN (USAGE_MIN_RING / 8)
#define BUDGET_LEN (8u + 6 + 4 + 4 + 8 + 8 + 4 + MINS_LEN)
#define CONN_FIXED 86u

/* CRC-32 (ISO 3309, zlib's crc32()) as the file stores it: big-endian. */
static void crc_put(uint32_t v, uint8_t crc[4])
{
	crc[0] = (uint8_t)(v >> 24), crc[1] = (uint8_t)(v >> 16);
	crc[2] = (uint8_t)(v >> 8), crc[3] = (uint8_t)v;
}

/* ---- writing -------------------------------------------------------- */

struct wr {
	FILE *f;
	uLong crc;
	uint64_t n;
	int err;
};

static void w_bytes(struct wr *w, const void *p, size_t n)
{
	if (fwrite(p, 1, n, w->f) != n)
		w->err = errno ? errno : EIO;
	w->crc = crc32_z(w->crc, p, n);
	w->n += n;
}

static void w_le(struct wr *w, uint64_t v, size_t n)
{
	uint8_t b[8];

	for (size_t i = 0; i < n; i++)
		b[i] = (uint8_t)(v >> (8 * i));
	w_bytes(w, b, n);
}

#define w_u8(w, v) w_le(w, (uint8_t)(v), 1)
#define w_u16(w, v) w_le(w, (uint16_t)(v), 2)
#define w_u32(w, v) w_le(w, (uint32_t)(v), 4)
#define w_u64(w, v) w_le(w, (uint64_t)(v), 8)

static void w_bucket(struct wr *w, const struct ubucket *b)
{
	w_u32(w, b->in_lo);
	w_u32(w, b->out_lo);
	w_u16(w, b->in_hi);
	w_u16(w, b->out_hi);
	w_u32(w, b->cm);
}

static void w_mins(struct wr *w, const uint64_t *mins)
{
	for (size_t i = 0; i < USAGE_MIN_RING / 64; i++)
		w_u64(w, mins[i]);
}

static bool mins_empty(const uint64_t *mins)
{
	for (size_t i = 0; i < USAGE_MIN_RING / 64; i++)
		if (mins[i])
			return false;
	return true;
}

static void w_entry(struct wr *w, const struct uentry *e, struct ustate_info *info)
{
	uint32_t nh = 0, nd = 0, len;
	bool mins = !mins_empty(e->mins);

	for (uint32_t k = 0; k < USAGE_HOURS && e->last_hour >= k; k++)
		nh += !ubucket_empty(&e->hours[(e->last_hour - k) % USAGE_HOURS]);
	for (int32_t k = 0; k < USAGE_DAYS; k++)
		nd += !ubucket_empty(&e->days[(uint32_t)(((int64_t)e->last_day - k) % USAGE_DAYS + USAGE_DAYS) %
					      USAGE_DAYS]);
	len = ENTRY_FIXED + (mins ? MINS_LEN : 0) + (nh + nd) * SLOT_LEN;
	w_u8(w, REC_ENTRY);
	w_u32(w, len);
	w_bytes(w, e->key.mac, 6);
	w_u8(w, e->key.kind);
	w_u8(w, 0);
	w_u32(w, (uint32_t)e->key.id);
	w_u32(w, (uint32_t)e->category);
	w_u32(w, e->last_hour);
	w_u32(w, (uint32_t)e->last_day);
	w_u32(w, e->last_min);
	w_u8(w, mins);
	w_u8(w, nh);
	w_u8(w, nd);
	w_u8(w, 0);
	if (mins)
		w_mins(w, e->mins);
	for (uint32_t k = 0; k < USAGE_HOURS && e->last_hour >= k; k++) {
		const struct ubucket *b = &e->hours[(e->last_hour - k) % USAGE_HOURS];

		if (ubucket_empty(b))
			continue;
		w_u32(w, e->last_hour - k);
		w_bucket(w, b);
	}
	for (int32_t k = 0; k < USAGE_DAYS; k++) {
		int32_t day = e->last_day - k;
		const struct ubucket *b = &e->days[(uint32_t)(((int64_t)day % USAGE_DAYS + USAGE_DAYS) % USAGE_DAYS)];

		if (ubucket_empty(b))
			continue;
		w_u32(w, (uint32_t)day);
		w_bucket(w, b);
	}
	info->entries++;
	info->buckets += nh + nd;
}

struct wctx {
	struct wr *w;
	struct ustate_info *info;
};

static void w_budget(void *ctx, const struct ulimit_saved *s)
{
	struct wctx *wc = ctx;
	struct wr *w = wc->w;

	w_u8(w, REC_BUDGET);
	w_u32(w, BUDGET_LEN);
	w_u64(w, s->key);
	w_bytes(w, s->mac, 6);
	w_u8(w, s->warned);
	w_u8(w, s->reached);
	w_u8(w, s->by);
	w_u8(w, 0);
	w_u32(w, (uint32_t)s->day);
	w_u64(w, s->bytes);
	w_u64(w, (uint64_t)s->reached_at);
	w_u32(w, s->last_min);
	w_mins(w, s->mins);
	wc->info->budgets++;
}

#define CONN_SAVED_FLAGS (CONN_BOUND | CONN_BY_REPLY | CONN_LOCAL_SRC | CONN_BLOCKED | CONN_UNMAPPED)

static void w_conn(void *ctx, struct conn *c)
{
	struct wctx *cc = ctx;
	struct wr *w = cc->w;

	w_u8(w, REC_CONN);
	w_u32(w, CONN_FIXED + 8u * c->n_limits);
	w_u8(w, c->t.family);
	w_u8(w, c->t.proto);
	w_u16(w, c->t.sport);
	w_u16(w, c->t.dport);
	w_bytes(w, c->t.src, 16);
	w_bytes(w, c->t.dst, 16);
	w_u64(w, c->flow_id);
	w_u64(w, c->base[0]);
	w_u64(w, c->base[1]);
	w_u32(w, c->ct_id);
	w_u32(w, c->created);
	w_u32(w, (uint32_t)c->app);
	w_u32(w, (uint32_t)c->category);
	w_bytes(w, c->mac, 6);
	w_u8(w, c->flags & CONN_SAVED_FLAGS);
	w_u8(w, c->n_limits);
	for (uint8_t i = 0; i < c->n_limits; i++)
		w_u64(w, c->limits[i]);
	cc->info->conns++;
}

static void w_all(struct wr *w, const struct ustate_src *s, time_t now, bool conns, struct ustate_info *info)
{
	struct wctx wc = { w, info };
	unsigned char crc[4];

	w_bytes(w, MAGIC, 8);
	w_u16(w, USTATE_VERSION);
	w_u16(w, HDR_LEN);
	w_u32(w, conns && s->conns ? FLAG_CONNS : 0);
	w_u64(w, (uint64_t)now);
	w_u16(w, s->db ? s->db->cal.reset_min : 0);
	w_u16(w, 0);
	w_u32(w, 0);
	if (s->db)
		for (uint32_t i = 0; i < s->db->high; i++)
			if (s->db->e[i].used)
				w_entry(w, &s->db->e[i], info);
	if (s->lim)
		ulimits_save_each(s->lim, w_budget, &wc);
	if (conns && s->conns)
		conntab_foreach(s->conns, w_conn, &wc);
	w_bytes(w, END_MAGIC, 8);
	w_u64(w, w->n + 8 + 4);
	crc_put((uint32_t)w->crc, crc);
	if (fwrite(crc, 1, 4, w->f) != 4)
		w->err = errno ? errno : EIO;
	w->n += 4;
}

static int ensure_dir(const char *dir)
{
	struct stat st;

	if (stat(dir, &st) == 0)
		return S_ISDIR(st.st_mode) ? 0 : (errno = ENOTDIR, -1);
	return mkdir(dir, 0700);
}

static int sync_dir(const char *dir)
{
	int fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC), r;

	if (fd < 0)
		return -1;
	r = fsync(fd);
	close(fd);
	return r;
}

int ustate_save(const char *dir, const char *name, const struct ustate_src *s, time_t now, bool conns,
		struct ustate_info *info)
{
	char path[4096], tmp[4096];
	struct ustate_info dummy;
	struct wr w = { 0 };
	int fd, err;

	info = info ? info : &dummy;
	memset(info, 0, sizeof(*info));
	w.crc = crc32(0L, Z_NULL, 0);
	if ((size_t)snprintf(path, sizeof(path), "%s/%s", dir, name) >= sizeof(path) ||
	    (size_t)snprintf(tmp, sizeof(tmp), "%s/.%s.%016llx", dir, name,
			     (unsigned long long)util_random64()) >= sizeof(tmp)) {
		errno = ENAMETOOLONG;
		goto out_log;
	}
	if (ensure_dir(dir) < 0)
		goto out_log;
	/* a fresh name that nobody can have prepared: no symlink followed */
	if ((fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600)) < 0)
		goto out_log;
	if (!(w.f = fdopen(fd, "wb"))) {
		close(fd);
		goto out_unlink;
	}
	w_all(&w, s, now, conns, info);
	if (w.err || fflush(w.f) || fsync(fileno(w.f))) {
		err = w.err ? w.err : errno;
		fclose(w.f);
		errno = err;
		goto out_unlink;
	}
	if (fclose(w.f))
		goto out_unlink;
	if (rename(tmp, path) < 0)
		goto out_unlink;
	sync_dir(dir);
	info->bytes = (size_t)w.n;
	info->saved_at = now;
	return 0;

out_unlink:
	err = errno;
	unlink(tmp);
	errno = err;
out_log:
	err = errno;
	log_msg(LOG_ERR, "usage: cannot write %s/%s: %s", dir, name, strerror(err));
	errno = err;
	return -1;
}

/* ---- reading -------------------------------------------------------- */

static int r_le(struct cursor *c, uint64_t *v, size_t n)
{
	const uint8_t *p = cur_pull(c, n);

	if (!p)
		return -1;
	*v = 0;
	for (size_t i = n; i > 0; i--)
		*v = *v << 8 | p[i - 1];
	return 0;
}

static uint64_t u(struct cursor *c, size_t n, int *bad)
{
	uint64_t v = 0;

	if (r_le(c, &v, n) < 0)
		*bad = 1;
	return v;
}

static void r_bucket(struct cursor *c, struct ubucket *b, int *bad)
{
	b->in_lo = (uint32_t)u(c, 4, bad);
	b->out_lo = (uint32_t)u(c, 4, bad);
	b->in_hi = (uint16_t)u(c, 2, bad);
	b->out_hi = (uint16_t)u(c, 2, bad);
	b->cm = (uint32_t)u(c, 4, bad);
}

static void r_mins(struct cursor *c, uint64_t *mins, int *bad)
{
	for (size_t i = 0; i < USAGE_MIN_RING / 64; i++)
		mins[i] = u(c, 8, bad);
}

struct dec {
	const struct ustate_src *s;
	time_t now;
	bool apply;
	struct ustate_info *info;
	char *why;
	size_t whylen;
	unsigned int rec;
};

static int fail(struct dec *d, const char *what)
{
	snprintf(d->why, d->whylen, "record %u: %s", d->rec, what);
	return -1;
}

static void apply_mins(struct uentry *e, uint32_t last_min, const uint64_t *mins)
{
	for (uint32_t k = 0; k < USAGE_MIN_RING && k <= last_min; k++) {
		uint32_t m = last_min - k;

		if ((mins[(m % USAGE_MIN_RING) / 64] >> (m % 64)) & 1)
			usagedb_minute_set(e, m);
	}
}

static int d_entry(struct dec *d, struct cursor *c, uint32_t len)
{
	struct usage_key k;
	uint64_t mins[USAGE_MIN_RING / 64];
	uint32_t last_hour, last_min, nh, nd, has_mins, pad;
	int32_t category, last_day;
	struct uentry *e = NULL;
	int bad = 0;
	const uint8_t *mac;

	if (len < ENTRY_FIXED || !(mac = cur_pull(c, 6)))
		return fail(d, "entry too short");
	memset(&k, 0, sizeof(k));
	memcpy(k.mac, mac, 6);
	k.kind = (uint8_t)u(c, 1, &bad);
	pad = (uint32_t)u(c, 1, &bad);
	k.id = (int32_t)u(c, 4, &bad);
	category = (int32_t)u(c, 4, &bad);
	last_hour = (uint32_t)u(c, 4, &bad);
	last_day = (int32_t)u(c, 4, &bad);
	last_min = (uint32_t)u(c, 4, &bad);
	has_mins = (uint32_t)u(c, 1, &bad);
	nh = (uint32_t)u(c, 1, &bad);
	nd = (uint32_t)u(c, 1, &bad);
	pad |= (uint32_t)u(c, 1, &bad);
	if (bad || k.kind >= __USAGE_KIND_MAX || pad || has_mins > 1 || nh > USAGE_HOURS || nd > USAGE_DAYS ||
	    (k.kind == USAGE_ALL && k.id))
		return fail(d, "bad entry header");
	if (len != ENTRY_FIXED + has_mins * MINS_LEN + (nh + nd) * SLOT_LEN)
		return fail(d, "entry length does not match its contents");
	if (has_mins)
		r_mins(c, mins, &bad);
	if (d->apply && d->s->db) {
		e = usagedb_entry(d->s->db, &k, 1);
		if (e && category >= 0)
			e->category = category;
		if (e && has_mins)
			apply_mins(e, last_min, mins);
	}
	for (uint32_t i = 0; i < nh + nd; i++) {
		uint32_t key = (uint32_t)u(c, 4, &bad);
		struct usage_totals t;
		struct ubucket b, *slot;
		bool hour = i < nh;

		r_bucket(c, &b, &bad);
		ubucket_get(&b, &t);
		if (bad)
			return fail(d, "entry truncated");
		if (hour ? (key > last_hour || last_hour - key >= USAGE_HOURS || t.minutes > 60)
			 : ((int32_t)key > last_day || (int64_t)last_day - (int32_t)key >= USAGE_DAYS ||
			    t.minutes > DAYCAL_MIN_PER_DAY_MAX))
			return fail(d, "bucket out of range");
		if (!e)
			continue;
		slot = hour ? usagedb_hour_slot(e, key) : usagedb_day_slot(e, (int32_t)key);
		if (slot)
			ubucket_max(slot, &b);
	}
	d->info->entries++;
	d->info->buckets += nh + nd;
	return 0;
}

static int d_budget(struct dec *d, struct cursor *c, uint32_t len)
{
	struct ulimit_saved sv;
	const uint8_t *mac;
	int bad = 0, pad;

	if (len != BUDGET_LEN)
		return fail(d, "budget of the wrong length");
	memset(&sv, 0, sizeof(sv));
	sv.key = u(c, 8, &bad);
	if (!(mac = cur_pull(c, 6)))
		return fail(d, "budget truncated");
	memcpy(sv.mac, mac, 6);
	sv.warned = (uint8_t)u(c, 1, &bad);
	sv.reached = (uint8_t)u(c, 1, &bad);
	sv.by = (uint8_t)u(c, 1, &bad);
	pad = (int)u(c, 1, &bad);
	sv.day = (int32_t)u(c, 4, &bad);
	sv.bytes = u(c, 8, &bad);
	sv.reached_at = (int64_t)u(c, 8, &bad);
	sv.last_min = (uint32_t)u(c, 4, &bad);
	r_mins(c, sv.mins, &bad);
	if (bad || pad || sv.warned > 1 || sv.reached > 1 || sv.by > ULIMIT_BY_VOLUME || !(sv.key & 1))
		return fail(d, "bad budget");
	if (d->apply && d->s->lim)
		ulimits_restore(d->s->lim, &sv, d->now);
	d->info->budgets++;
	return 0;
}

static int d_conn(struct dec *d, struct cursor *c, uint32_t len)
{
	struct conn cn;
	const uint8_t *p;
	int bad = 0;

	if (len < CONN_FIXED)
		return fail(d, "connection too short");
	memset(&cn, 0, sizeof(cn));
	cn.t.family = (int)u(c, 1, &bad);
	cn.t.proto = (uint8_t)u(c, 1, &bad);
	cn.t.sport = (uint16_t)u(c, 2, &bad);
	cn.t.dport = (uint16_t)u(c, 2, &bad);
	if (!(p = cur_pull(c, 32)))
		return fail(d, "connection truncated");
	memcpy(cn.t.src, p, 16);
	memcpy(cn.t.dst, p + 16, 16);
	cn.flow_id = u(c, 8, &bad);
	cn.base[0] = u(c, 8, &bad);
	cn.base[1] = u(c, 8, &bad);
	cn.ct_id = (uint32_t)u(c, 4, &bad);
	cn.created = (uint32_t)u(c, 4, &bad);
	cn.app = (int32_t)u(c, 4, &bad);
	cn.category = (int32_t)u(c, 4, &bad);
	if (!(p = cur_pull(c, 6)))
		return fail(d, "connection truncated");
	memcpy(cn.mac, p, 6);
	cn.flags = (uint8_t)u(c, 1, &bad);
	cn.n_limits = (uint8_t)u(c, 1, &bad);
	if (bad || (cn.t.family != 4 && cn.t.family != 6) || cn.n_limits > USAGE_FLOW_LIMITS ||
	    (cn.flags & ~CONN_SAVED_FLAGS) ||
	    len != CONN_FIXED + 8u * cn.n_limits)
		return fail(d, "bad connection");
	for (uint8_t i = 0; i < cn.n_limits; i++)
		cn.limits[i] = u(c, 8, &bad);
	if (bad)
		return fail(d, "connection truncated");
	if (d->apply && d->s->conns)
		conntab_restore(d->s->conns, &cn);
	d->info->conns++;
	return 0;
}

/* Every record, checked (and applied when d->apply). */
static int d_records(struct dec *d, const uint8_t *body, size_t len, bool conns)
{
	struct cursor c;

	cur_init(&c, body, len);
	for (d->rec = 1; c.len; d->rec++) {
		struct cursor r;
		uint64_t type, rlen;
		int ret = 0;

		if (r_le(&c, &type, 1) < 0 || r_le(&c, &rlen, 4) < 0 || rlen > c.len)
			return fail(d, "record header past the end");
		cur_init(&r, cur_pull(&c, (size_t)rlen), (size_t)rlen);
		if (type == REC_ENTRY)
			ret = d_entry(d, &r, (uint32_t)rlen);
		else if (type == REC_BUDGET)
			ret = d_budget(d, &r, (uint32_t)rlen);
		else if (type == REC_CONN && conns)
			ret = d_conn(d, &r, (uint32_t)rlen);
		else if (type == REC_CONN)
			return fail(d, "connection in a file that has none");
		/* other types: a newer netify's, skipped */
		if (ret < 0)
			return -1;
		if (r.len && (type == REC_ENTRY || type == REC_BUDGET || type == REC_CONN))
			return fail(d, "record longer than its contents");
	}
	return 0;
}

int ustate_decode(const void *buf, size_t len, const struct ustate_src *s, time_t now, bool apply,
		  struct ustate_info *info, char *why, size_t whylen)
{
	const uint8_t *p = buf, *t;
	struct ustate_info dummy;
	struct dec d = { s, now, false, NULL, why, whylen, 0 };
	uint64_t version = 0, hlen = 0, flags = 0, flen = 0, saved = 0;
	struct cursor c;
	unsigned char crc[4];

	info = info ? info : &dummy;
	memset(info, 0, sizeof(*info));
	d.info = info;
	if (len < HDR_LEN + TRAILER_LEN) {
		snprintf(why, whylen, "too short (%zu bytes)", len);
		return -1;
	}
	if (memcmp(p, MAGIC, 8)) {
		snprintf(why, whylen, "not a netify usage state file");
		return -1;
	}
	cur_init(&c, p + 8, HDR_LEN - 8);
	r_le(&c, &version, 2);
	r_le(&c, &hlen, 2);
	r_le(&c, &flags, 4);
	r_le(&c, &saved, 8);
	info->saved_at = (int64_t)saved;
	if (version != USTATE_VERSION || hlen != HDR_LEN) {
		snprintf(why, whylen, "version %u not supported (this netify reads %u)", (unsigned int)version,
			 USTATE_VERSION);
		return -1;
	}
	t = p + len - TRAILER_LEN;
	cur_init(&c, t + 8, 8);
	r_le(&c, &flen, 8);
	if (memcmp(t, END_MAGIC, 8) || flen != len) {
		snprintf(why, whylen, "truncated or garbled: %s",
			 memcmp(t, END_MAGIC, 8) ? "no end marker" : "length differs from the one written");
		return -1;
	}
	crc_put((uint32_t)crc32_z(crc32(0L, Z_NULL, 0), p, len - 4), crc);
	if (memcmp(crc, p + len - 4, 4)) {
		snprintf(why, whylen, "garbled: checksum mismatch");
		return -1;
	}
	/* check everything first, then apply: a file is used whole or not at all */
	if (d_records(&d, p + HDR_LEN, len - HDR_LEN - TRAILER_LEN, flags & FLAG_CONNS) < 0)
		return -1;
	if (!apply)
		return 0;
	d.apply = true;
	memset(info, 0, sizeof(*info));
	info->saved_at = (int64_t)saved;
	info->bytes = len;
	return d_records(&d, p + HDR_LEN, len - HDR_LEN - TRAILER_LEN, flags & FLAG_CONNS);
}

/* Renames a bad file out of the way, never deleting what a user may want. */
static void set_aside(const char *path, const char *why, time_t now)
{
	char bad[4200], stamp[32];
	struct tm tm;

	localtime_r(&now, &tm);
	strftime(stamp, sizeof(stamp), "%Y%m%dT%H%M%S", &tm);
	snprintf(bad, sizeof(bad), "%s.bad-%s", path, stamp);
	if (rename(path, bad) == 0)
		log_msg(LOG_ERR, "usage: state file %s is not usable (%s): set aside as %s; going on without it",
			path, why, bad);
	else
		log_msg(LOG_ERR, "usage: state file %s is not usable (%s), and cannot be set aside (%s): going on without it",
			path, why, strerror(errno));
}

int ustate_load(const char *dir, const char *name, const struct ustate_src *s, time_t now,
		struct ustate_info *info)
{
	char path[4096], why[160];
	struct stat st;
	void *map;
	int fd, r;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	/* O_NONBLOCK: a FIFO there must not hold the start; fstat() sets it aside */
	if ((fd = open(path, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC)) < 0) {
		if (errno == ENOENT)
			return 1;
		snprintf(why, sizeof(why), "%s", strerror(errno));
		log_msg(LOG_ERR, "usage: cannot read state file %s: %s", path, why);
		return -1;
	}
	if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode) || st.st_size > (off_t)USTATE_MAX_BYTES) {
		close(fd);
		set_aside(path, S_ISREG(st.st_mode) ? "larger than 256 MiB" : "not a regular file", now);
		return -1;
	}
	if (st.st_size == 0) {
		close(fd);
		set_aside(path, "empty", now);
		return -1;
	}
	map = mmap(NULL, (size_t)st.st_size, PROT_READ, MAP_PRIVATE, fd, 0);
	close(fd);
	if (map == MAP_FAILED) {
		log_msg(LOG_ERR, "usage: cannot read state file %s: %s", path, strerror(errno));
		return -1;
	}
	r = ustate_decode(map, (size_t)st.st_size, s, now, true, info, why, sizeof(why));
	munmap(map, (size_t)st.st_size);
	if (r < 0) {
		set_aside(path, why, now);
		return -1;
	}
	return 0;
}
