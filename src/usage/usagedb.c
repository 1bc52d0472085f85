/* Usage aggregation table: see usagedb.h. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "log.h"
#include "util.h"
#include "usagedb_int.h"

/* ---- buckets -------------------------------------------------------- */

#define BYTES48_MAX ((1ull << 48) - 1)
#define MINUTES_MAX 0x7ffu

static uint64_t u48_get(uint32_t lo, uint16_t hi)
{
	return (uint64_t)hi << 32 | lo;
}

static void u48_put(uint32_t *lo, uint16_t *hi, uint64_t v)
{
	if (v > BYTES48_MAX)
		v = BYTES48_MAX;
	*lo = (uint32_t)v;
	*hi = (uint16_t)(v >> 32);
}

static uint64_t sat_add(uint64_t a, uint64_t b, uint64_t max)
{
	return a + b < a || a + b > max ? max : a + b;
}

void ubucket_get(const struct ubucket *b, struct usage_totals *t)
{
	t->bytes_in = u48_get(b->in_lo, b->in_hi);
	t->bytes_out = u48_get(b->out_lo, b->out_hi);
	t->conns = b->cm & USAGE_CONNS_MAX;
	t->minutes = b->cm >> 21;
}

static void ubucket_put(struct ubucket *b, const struct usage_totals *t)
{
	u48_put(&b->in_lo, &b->in_hi, t->bytes_in);
	u48_put(&b->out_lo, &b->out_hi, t->bytes_out);
	b->cm = (uint32_t)(t->conns > USAGE_CONNS_MAX ? USAGE_CONNS_MAX : t->conns) |
		(t->minutes > MINUTES_MAX ? MINUTES_MAX : t->minutes) << 21;
}

void ubucket_add(struct ubucket *b, uint64_t in, uint64_t out, uint64_t conns, uint32_t minutes)
{
	struct usage_totals t;

	ubucket_get(b, &t);
	t.bytes_in = sat_add(t.bytes_in, in, BYTES48_MAX);
	t.bytes_out = sat_add(t.bytes_out, out, BYTES48_MAX);
	t.conns = sat_add(t.conns, conns, USAGE_CONNS_MAX);
	t.minutes = (uint32_t)sat_add(t.minutes, minutes, MINUTES_MAX);
	ubucket_put(b, &t);
}

void ubucket_max(struct ubucket *b, const struct ubucket *o)
{
	struct usage_totals x, y;

	ubucket_get(b, &x);
	ubucket_get(o, &y);
	x.bytes_in = x.bytes_in > y.bytes_in ? x.bytes_in : y.bytes_in;
	x.bytes_out = x.bytes_out > y.bytes_out ? x.bytes_out : y.bytes_out;
	x.conns = x.conns > y.conns ? x.conns : y.conns;
	x.minutes = x.minutes > y.minutes ? x.minutes : y.minutes;
	ubucket_put(b, &x);
}

int ubucket_empty(const struct ubucket *b)
{
	return !b->in_lo && !b->out_lo && !b->in_hi && !b->out_hi && !b->cm;
}

static void totals_add(struct usage_totals *a, const struct usage_totals *b)
{
	a->bytes_in += b->bytes_in;
	a->bytes_out += b->bytes_out;
	a->conns += b->conns;
	a->minutes += b->minutes;
}

/* ---- rings ---------------------------------------------------------- */

struct ubucket *usagedb_hour_slot(struct uentry *e, uint32_t key)
{
	if (key > e->last_hour) {
		if (key - e->last_hour >= USAGE_HOURS)
			memset(e->hours, 0, sizeof(e->hours));
		else
			for (uint32_t k = e->last_hour + 1; k <= key; k++)
				memset(&e->hours[k % USAGE_HOURS], 0, sizeof(e->hours[0]));
		e->last_hour = key;
	} else if (e->last_hour - key >= USAGE_HOURS) {
		return NULL;
	}
	return &e->hours[key % USAGE_HOURS];
}

static uint32_t day_index(int32_t day)
{
	return (uint32_t)(((int64_t)day % USAGE_DAYS + USAGE_DAYS) % USAGE_DAYS);
}

struct ubucket *usagedb_day_slot(struct uentry *e, int32_t day)
{
	if (day > e->last_day) {
		if ((int64_t)day - e->last_day >= USAGE_DAYS)
			memset(e->days, 0, sizeof(e->days));
		else
			for (int32_t d = e->last_day + 1; d <= day; d++)
				memset(&e->days[day_index(d)], 0, sizeof(e->days[0]));
		e->last_day = day;
	} else if ((int64_t)e->last_day - day >= USAGE_DAYS) {
		return NULL;
	}
	return &e->days[day_index(day)];
}

static const struct ubucket *day_slot_ro(const struct uentry *e, int32_t day)
{
	if (day > e->last_day || (int64_t)e->last_day - day >= USAGE_DAYS)
		return NULL;
	return &e->days[day_index(day)];
}

static const struct ubucket *hour_slot_ro(const struct uentry *e, uint32_t key)
{
	if (!e->last_hour || key > e->last_hour || e->last_hour - key >= USAGE_HOURS)
		return NULL;
	return &e->hours[key % USAGE_HOURS];
}

#define MIN_BIT(m) ((m) % USAGE_MIN_RING)

int usagedb_minute_test(const struct uentry *e, uint32_t m)
{
	if (m > e->last_min || e->last_min - m >= USAGE_MIN_RING)
		return 0;
	return (e->mins[MIN_BIT(m) / 64] >> (MIN_BIT(m) % 64)) & 1;
}

int usagedb_minute_set(struct uentry *e, uint32_t m)
{
	uint64_t bit;

	if (m > e->last_min) {
		if (m - e->last_min >= USAGE_MIN_RING)
			memset(e->mins, 0, sizeof(e->mins));
		else
			for (uint32_t k = e->last_min + 1; k <= m; k++)
				e->mins[MIN_BIT(k) / 64] &= ~(1ull << (MIN_BIT(k) % 64));
		e->last_min = m;
	} else if (e->last_min - m >= USAGE_MIN_RING) {
		return -1;
	}
	bit = 1ull << (MIN_BIT(m) % 64);
	if (e->mins[MIN_BIT(m) / 64] & bit)
		return 0;
	e->mins[MIN_BIT(m) / 64] |= bit;
	return 1;
}

/* ---- table ---------------------------------------------------------- */

static uint32_t pow2_at_least(uint32_t n)
{
	uint32_t p = 16;

	while (p < n && p < (1u << 30))
		p <<= 1;
	return p;
}

struct usagedb *usagedb_new(const struct usagedb_opts *o)
{
	struct usagedb *db;
	uint32_t i;

	if (!o->max_entries || o->max_entries > (1u << 24)) {
		errno = EINVAL;
		return NULL;
	}
	if (!(db = calloc(1, sizeof(*db))))
		return NULL;
	if (daycal_init(&db->cal, o->reset_min) < 0) {
		errno = EINVAL;
		goto out_free_db;
	}
	db->max = o->max_entries;
	db->mask = pow2_at_least(o->max_entries) - 1;
	/* calloc: pages of entries never used are never touched */
	if (!(db->e = calloc(db->max, sizeof(*db->e))))
		goto out_free_db;
	if (!(db->buckets = malloc(((size_t)db->mask + 1) * sizeof(*db->buckets))))
		goto out_free_entries;
	for (i = 0; i <= db->mask; i++)
		db->buckets[i] = UDB_NONE;
	db->lru_head = db->lru_tail = UDB_NONE;
	db->min_bytes = o->min_bytes ? o->min_bytes : 1;
	db->seed = o->seed ? o->seed : util_random64();
	db->st.max_entries = db->max;
	return db;

out_free_entries:
	free(db->e);
out_free_db:
	free(db);
	return NULL;
}

void usagedb_free(struct usagedb *db)
{
	if (!db)
		return;
	free(db->buckets);
	free(db->e);
	free(db);
}

size_t usagedb_entry_size(void)
{
	return sizeof(struct uentry);
}

static uint32_t key_bucket(const struct usagedb *db, const struct usage_key *k)
{
	return (uint32_t)util_hash(k, sizeof(*k), db->seed) & db->mask;
}

static void key_make(struct usage_key *k, const uint8_t *mac, enum usage_kind kind, int32_t id)
{
	memset(k, 0, sizeof(*k));
	if (mac)
		memcpy(k->mac, mac, 6);
	k->kind = (uint8_t)kind;
	k->id = kind == USAGE_ALL ? 0 : id;
}

static void lru_unlink(struct usagedb *db, uint32_t i)
{
	struct uentry *e = &db->e[i];

	if (e->lru_prev != UDB_NONE)
		db->e[e->lru_prev].lru_next = e->lru_next;
	else
		db->lru_head = e->lru_next;
	if (e->lru_next != UDB_NONE)
		db->e[e->lru_next].lru_prev = e->lru_prev;
	else
		db->lru_tail = e->lru_prev;
}

static void lru_push(struct usagedb *db, uint32_t i)
{
	struct uentry *e = &db->e[i];

	e->lru_prev = UDB_NONE;
	e->lru_next = db->lru_head;
	if (db->lru_head != UDB_NONE)
		db->e[db->lru_head].lru_prev = i;
	db->lru_head = i;
	if (db->lru_tail == UDB_NONE)
		db->lru_tail = i;
}

static void chain_unlink(struct usagedb *db, uint32_t i)
{
	uint32_t *p = &db->buckets[key_bucket(db, &db->e[i].key)];

	while (*p != UDB_NONE && *p != i)
		p = &db->e[*p].next;
	if (*p == i)
		*p = db->e[i].next;
}

/* A free entry: one never used while there are, then the least recently
 * updated entry, evicted. */
static uint32_t entry_take(struct usagedb *db)
{
	uint32_t i;

	if (db->high < db->max)
		return db->high++;
	i = db->lru_tail;
	if (i == UDB_NONE)
		return UDB_NONE;
	chain_unlink(db, i);
	lru_unlink(db, i);
	db->count--;
	db->st.evictions++;
	log_once(&db->full_logged, LOG_WARNING,
		 "usage: table full (%u device x application entries): evicting the least recently used",
		 db->max);
	return i;
}

struct uentry *usagedb_entry(struct usagedb *db, const struct usage_key *k, int create)
{
	uint32_t b = key_bucket(db, k), i;
	struct uentry *e;

	for (i = db->buckets[b]; i != UDB_NONE; i = db->e[i].next)
		if (!memcmp(&db->e[i].key, k, sizeof(*k))) {
			if (create && db->lru_head != i) {
				lru_unlink(db, i);
				lru_push(db, i);
			}
			return &db->e[i];
		}
	if (!create || (i = entry_take(db)) == UDB_NONE)
		return NULL;
	e = &db->e[i];
	memset(e, 0, sizeof(*e));
	e->key = *k;
	e->category = -1;
	e->used = 1;
	e->next = db->buckets[b];
	db->buckets[b] = i;
	lru_push(db, i);
	db->count++;
	return e;
}

/* ---- updates -------------------------------------------------------- */

/* Whether the reading makes its minute active for e: the bytes read in
 * that minute reach min_bytes. */
static bool minute_reached(struct usagedb *db, struct uentry *e, uint32_t m, uint64_t bytes)
{
	if (!bytes)
		return false;
	if (m == e->acc_min) {
		e->acc_bytes = (uint32_t)sat_add(e->acc_bytes, bytes, UINT32_MAX);
	} else if (m > e->acc_min) {
		e->acc_min = m;
		e->acc_bytes = (uint32_t)(bytes > UINT32_MAX ? UINT32_MAX : bytes);
	} else {
		return bytes >= db->min_bytes;	/* late reading of an older minute */
	}
	return e->acc_bytes >= db->min_bytes;
}

static void entry_add(struct usagedb *db, struct uentry *e, const struct usage_sample *s,
		      uint32_t hour, int32_t day)
{
	struct ubucket *hb = usagedb_hour_slot(e, hour);
	struct ubucket *db_ = usagedb_day_slot(e, day);
	uint32_t newmin = 0;

	if (!hb && !db_) {
		db->st.too_old++;
		return;
	}
	if (minute_reached(db, e, s->minute, s->bytes_in + s->bytes_out))
		newmin = usagedb_minute_set(e, s->minute) > 0;
	if (hb)
		ubucket_add(hb, s->bytes_in, s->bytes_out, s->conns, newmin);
	if (db_)
		ubucket_add(db_, s->bytes_in, s->bytes_out, s->conns, newmin);
}

int usagedb_add(struct usagedb *db, const struct usage_sample *s)
{
	time_t t = (time_t)s->minute * 60;
	uint32_t hour = daycal_hour(t);
	int32_t day = daycal_day(&db->cal, t);
	struct usage_key k;
	struct uentry *e;
	int kept = 0;

	db->st.samples++;
	for (int kind = 0; kind < __USAGE_KIND_MAX; kind++) {
		key_make(&k, s->mac, (enum usage_kind)kind, kind == USAGE_APP ? s->app : s->category);
		if (!(e = usagedb_entry(db, &k, 1)))
			continue;
		if (kind == USAGE_APP)
			e->category = s->category;
		entry_add(db, e, s, hour, day);
		kept++;
	}
	return kept ? 0 : -1;
}

/* ---- queries -------------------------------------------------------- */

int32_t usagedb_day(struct usagedb *db, time_t t)
{
	return daycal_day(&db->cal, t);
}

time_t usagedb_day_start(struct usagedb *db, int32_t day)
{
	return daycal_start(&db->cal, day);
}

static void entry_range(const struct uentry *e, int32_t from, int32_t to, struct usage_totals *t)
{
	struct usage_totals one;
	const struct ubucket *b;

	if (to - from >= USAGE_DAYS)
		from = to - USAGE_DAYS + 1;
	for (int32_t d = from; d <= to; d++)
		if ((b = day_slot_ro(e, d))) {
			ubucket_get(b, &one);
			totals_add(t, &one);
		}
}

/* Calls fn for each entry of (mac or every device, kind, id). */
static int for_key(struct usagedb *db, const uint8_t *mac, enum usage_kind kind, int32_t id,
		   void (*fn)(const struct uentry *e, void *ctx), void *ctx)
{
	struct usage_key k;
	struct uentry *e;
	int found = 0;

	if (mac) {
		key_make(&k, mac, kind, id);
		if (!(e = usagedb_entry(db, &k, 0)))
			return -1;
		fn(e, ctx);
		return 0;
	}
	if (kind == USAGE_ALL)
		id = 0;
	for (uint32_t i = 0; i < db->high; i++) {
		e = &db->e[i];
		if (e->used && e->key.kind == kind && e->key.id == id) {
			fn(e, ctx);
			found = 1;
		}
	}
	return found ? 0 : -1;
}

struct range_ctx {
	int32_t from, to;
	struct usage_totals *t;
	size_t n;
	uint32_t hour_from;
};

static void range_fn(const struct uentry *e, void *ctx)
{
	struct range_ctx *c = ctx;

	entry_range(e, c->from, c->to, c->t);
}

int usagedb_range(struct usagedb *db, const uint8_t *mac, enum usage_kind kind, int32_t id,
		  int32_t from, int32_t to, struct usage_totals *t)
{
	struct range_ctx c = { from, to, t, 0, 0 };

	memset(t, 0, sizeof(*t));
	return for_key(db, mac, kind, id, range_fn, &c);
}

static void days_fn(const struct uentry *e, void *ctx)
{
	struct range_ctx *c = ctx;
	struct usage_totals one;
	const struct ubucket *b;

	for (size_t i = 0; i < c->n; i++)
		if ((b = day_slot_ro(e, c->from + (int32_t)i))) {
			ubucket_get(b, &one);
			totals_add(&c->t[i], &one);
		}
}

int usagedb_days(struct usagedb *db, const uint8_t *mac, enum usage_kind kind, int32_t id,
		 int32_t from, size_t n, struct usage_totals *out)
{
	struct range_ctx c = { from, 0, out, n, 0 };

	memset(out, 0, n * sizeof(*out));
	return for_key(db, mac, kind, id, days_fn, &c);
}

static void hours_fn(const struct uentry *e, void *ctx)
{
	struct range_ctx *c = ctx;
	struct usage_totals one;
	const struct ubucket *b;

	for (size_t i = 0; i < c->n; i++)
		if ((b = hour_slot_ro(e, c->hour_from + (uint32_t)i))) {
			ubucket_get(b, &one);
			totals_add(&c->t[i], &one);
		}
}

int usagedb_hours(struct usagedb *db, const uint8_t *mac, enum usage_kind kind, int32_t id,
		  uint32_t from, size_t n, struct usage_totals *out)
{
	struct range_ctx c = { 0, 0, out, n, from };

	memset(out, 0, n * sizeof(*out));
	return for_key(db, mac, kind, id, hours_fn, &c);
}

static bool row_before(const struct usage_row *a, const struct usage_row *b, enum usage_order order)
{
	uint64_t va = a->t.bytes_in + a->t.bytes_out, vb = b->t.bytes_in + b->t.bytes_out;

	if (order == USAGE_BY_TIME && a->t.minutes != b->t.minutes)
		return a->t.minutes > b->t.minutes;
	if (va != vb)
		return va > vb;
	if (a->t.minutes != b->t.minutes)
		return a->t.minutes > b->t.minutes;
	return a->id < b->id;
}

size_t usagedb_top(struct usagedb *db, const uint8_t *mac, enum usage_kind kind, int32_t from, int32_t to,
		   enum usage_order order, struct usage_row *out, size_t max)
{
	size_t n = 0;

	for (uint32_t i = 0; i < db->high && max; i++) {
		const struct uentry *e = &db->e[i];
		struct usage_row r = { 0 };
		size_t j;

		if (!e->used || e->key.kind != kind || memcmp(e->key.mac, mac, 6))
			continue;
		r.id = e->key.id;
		entry_range(e, from, to, &r.t);
		if (!r.t.minutes && !r.t.bytes_in && !r.t.bytes_out && !r.t.conns)
			continue;
		/* insertion into the sorted top list */
		for (j = n; j > 0 && row_before(&r, &out[j - 1], order); j--)
			if (j < max)
				out[j] = out[j - 1];
		if (j < max) {
			out[j] = r;
			if (n < max)
				n++;
		}
	}
	return n;
}

void usagedb_devices(struct usagedb *db, int32_t from, int32_t to,
		     void (*fn)(void *ctx, const uint8_t mac[6], const struct usage_totals *t), void *ctx)
{
	for (uint32_t i = 0; i < db->high; i++) {
		const struct uentry *e = &db->e[i];
		struct usage_totals t = { 0 };

		if (!e->used || e->key.kind != USAGE_ALL)
			continue;
		entry_range(e, from, to, &t);
		fn(ctx, e->key.mac, &t);
	}
}

static bool in_ids(const int32_t *v, size_t n, int32_t id)
{
	for (size_t i = 0; i < n; i++)
		if (v[i] == id)
			return true;
	return false;
}

static bool scope_has(const struct usage_scope *s, const struct uentry *e)
{
	bool all = !s->n_apps && !s->n_cats;
	size_t i;

	if (e->key.kind != (all ? USAGE_ALL : USAGE_APP))
		return false;
	if (s->n_macs) {
		for (i = 0; i < s->n_macs && memcmp(s->macs[i], e->key.mac, 6); i++)
			;
		if (i == s->n_macs)
			return false;
	}
	return all || in_ids(s->apps, s->n_apps, e->key.id) || in_ids(s->cats, s->n_cats, e->category);
}

int usagedb_scope_today(struct usagedb *db, const struct usage_scope *s, time_t now, struct usage_totals *t)
{
	int32_t day = daycal_day(&db->cal, now);
	uint32_t first = daycal_minute(daycal_start(&db->cal, day)), last = daycal_minute(now);
	uint64_t seen[(DAYCAL_MIN_PER_DAY_MAX + 63) / 64] = { 0 };
	struct usage_totals one;

	memset(t, 0, sizeof(*t));
	if (last < first || last - first >= DAYCAL_MIN_PER_DAY_MAX)
		return -1;
	for (uint32_t i = 0; i < db->high; i++) {
		const struct uentry *e = &db->e[i];
		const struct ubucket *b;

		if (!e->used || !scope_has(s, e))
			continue;
		if ((b = day_slot_ro(e, day))) {
			ubucket_get(b, &one);
			t->bytes_in += one.bytes_in;
			t->bytes_out += one.bytes_out;
			t->conns += one.conns;
		}
		for (uint32_t m = first; m <= last; m++)
			if (usagedb_minute_test(e, m))
				seen[(m - first) / 64] |= 1ull << ((m - first) % 64);
	}
	for (size_t w = 0; w < sizeof(seen) / sizeof(seen[0]); w++)
		t->minutes += (uint32_t)__builtin_popcountll(seen[w]);
	return 0;
}

void usagedb_stats(const struct usagedb *db, struct usagedb_stats *st)
{
	*st = db->st;
	st->entries = db->count;
}
