/* Daily limits: see ulimits.h. */
#include <errno.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>

#include "log.h"
#include "util.h"
#include "policy.h"
#include "daycal.h"
#include "ulimits.h"

#define UL_NONE UINT32_MAX
#define UL_RING 2048u
#define UL_PROBE 16	/* blocked-table slots a lookup looks at */

struct udef {
	char name[ULIMIT_NAME_MAX];
	uint64_t key;
	uint32_t time_min;
	uint64_t volume;
	uint8_t warn_pct;
	bool per_device;
};

struct uscope {
	uint64_t key;
	uint8_t mac[6];
	uint8_t used, warned, reached, by;
	int32_t day;
	uint64_t bytes;
	time_t reached_at;
	uint32_t last_min;
	uint32_t next;
	uint64_t mins[UL_RING / 64];
};

/* One published "spent until" entry; a seqlock lets workers read it
 * while the accounting thread rewrites it. A slot once used is never
 * emptied (an expired one is reused), so probe chains stay whole. */
struct bslot {
	_Atomic uint32_t seq;
	_Atomic uint64_t key;
	_Atomic uint64_t mac;
	_Atomic int64_t until;
};

struct ulimits {
	struct udef *defs;
	uint32_t n_defs, max_defs;
	struct uscope *s;
	uint32_t *buckets;
	uint32_t smask, max_scopes, n_scopes, free_head, high;
	struct bslot *blk;
	uint32_t bmask;
	struct daycal cal;
	ulimit_fn fn;
	void *ctx;
	uint64_t seed;
	struct ulimits_stats st;
	int full_logged, blk_logged;
};

static const uint8_t zero_mac[6];

uint64_t ulimit_key(const char *name)
{
	/* the policy's key of the rule (a fixed seed: keys must not change
	 * across restarts) */
	return policy_limit_key(name);
}

static uint64_t mac48(const uint8_t *mac)
{
	uint64_t v = 0;

	for (int i = 0; i < 6; i++)
		v = v << 8 | mac[i];
	return v;
}

static uint32_t pow2(uint32_t n)
{
	uint32_t p = 16;

	while (p < n && p < (1u << 30))
		p <<= 1;
	return p;
}

struct ulimits *ulimits_new(const struct ulimits_opts *o)
{
	struct ulimits *l = calloc(1, sizeof(*l));

	if (!l)
		return NULL;
	if (daycal_init(&l->cal, o->reset_min) < 0) {
		errno = EINVAL;
		goto out_free;
	}
	l->max_defs = o->max_defs ? o->max_defs : 256;
	l->max_scopes = o->max_scopes ? o->max_scopes : 1024;
	l->smask = pow2(l->max_scopes) - 1;
	l->bmask = pow2(l->max_scopes * 2) - 1;
	l->defs = calloc(l->max_defs, sizeof(*l->defs));
	l->s = calloc(l->max_scopes, sizeof(*l->s));
	l->buckets = malloc(((size_t)l->smask + 1) * sizeof(*l->buckets));
	l->blk = calloc((size_t)l->bmask + 1, sizeof(*l->blk));
	if (!l->defs || !l->s || !l->buckets || !l->blk)
		goto out_free;
	memset(l->buckets, 0xff, ((size_t)l->smask + 1) * sizeof(*l->buckets));
	l->free_head = UL_NONE;
	l->fn = o->fn;
	l->ctx = o->ctx;
	l->seed = util_random64();
	return l;

out_free:
	ulimits_free(l);
	return NULL;
}

void ulimits_free(struct ulimits *l)
{
	if (!l)
		return;
	free(l->defs);
	free(l->s);
	free(l->buckets);
	free(l->blk);
	free(l);
}

/* ---- the workers' table --------------------------------------------- */

static uint32_t blk_hash(const struct ulimits *l, uint64_t key, uint64_t mac)
{
	uint64_t k[2] = { key, mac };

	(void)l;
	return (uint32_t)util_hash(k, sizeof(k), 0x9e3779b9ull);
}

static void blk_read(const struct bslot *b, uint64_t *key, uint64_t *mac, int64_t *until)
{
	uint32_t s1, s2;

	do {
		s1 = atomic_load_explicit(&b->seq, memory_order_acquire);
		*key = atomic_load_explicit(&b->key, memory_order_relaxed);
		*mac = atomic_load_explicit(&b->mac, memory_order_relaxed);
		*until = atomic_load_explicit(&b->until, memory_order_relaxed);
		atomic_thread_fence(memory_order_acquire);
		s2 = atomic_load_explicit(&b->seq, memory_order_relaxed);
	} while ((s1 & 1) || s1 != s2);
}

static void blk_write(struct bslot *b, uint64_t key, uint64_t mac, int64_t until)
{
	uint32_t s = atomic_load_explicit(&b->seq, memory_order_relaxed);

	atomic_store_explicit(&b->seq, s + 1, memory_order_relaxed);
	atomic_thread_fence(memory_order_release);
	atomic_store_explicit(&b->key, key, memory_order_relaxed);
	atomic_store_explicit(&b->mac, mac, memory_order_relaxed);
	atomic_store_explicit(&b->until, until, memory_order_relaxed);
	atomic_store_explicit(&b->seq, s + 2, memory_order_release);
}

/* Writer only: publishes (or with until 0, withdraws) a spent budget. */
static void blk_set(struct ulimits *l, uint64_t key, const uint8_t *mac6, time_t until, time_t now)
{
	uint64_t mac = mac48(mac6), k, m;
	uint32_t h = blk_hash(l, key, mac), reuse = UL_NONE;
	int64_t u;

	for (uint32_t i = 0; i < UL_PROBE; i++) {
		struct bslot *b = &l->blk[(h + i) & l->bmask];

		blk_read(b, &k, &m, &u);
		if (k == key && m == mac) {
			blk_write(b, key, mac, until);
			return;
		}
		if (reuse == UL_NONE && (!k || u <= now))
			reuse = (h + i) & l->bmask;
		if (!k)
			break;
	}
	if (!until)
		return;
	if (reuse == UL_NONE) {
		l->st.blocked_full++;
		log_once(&l->blk_logged, LOG_WARNING, "usage: limits: no room to publish a spent budget (counted)");
		return;
	}
	blk_write(&l->blk[reuse], key, mac, until);
}

static bool blk_spent(const struct ulimits *l, uint64_t key, uint64_t mac, time_t now)
{
	uint32_t h = blk_hash(l, key, mac);
	uint64_t k, m;
	int64_t u;

	for (uint32_t i = 0; i < UL_PROBE; i++) {
		blk_read(&l->blk[(h + i) & l->bmask], &k, &m, &u);
		if (!k)
			return false;
		if (k == key && m == mac)
			return now < u;
	}
	return false;
}

bool ulimits_blocked(const struct ulimits *l, uint64_t key, const uint8_t mac[6], time_t now)
{
	return blk_spent(l, key, 0, now) || (mac && blk_spent(l, key, mac48(mac), now));
}

/* ---- definitions ---------------------------------------------------- */

static const struct udef *def_find(const struct ulimits *l, uint64_t key)
{
	for (uint32_t i = 0; i < l->n_defs; i++)
		if (l->defs[i].key == key)
			return &l->defs[i];
	return NULL;
}

bool ulimits_has_volume(const struct ulimits *l, uint64_t key)
{
	const struct udef *d = def_find(l, key);

	return d && d->volume;
}

bool ulimits_per_device(const struct ulimits *l, uint64_t key)
{
	const struct udef *d = def_find(l, key);

	return d && d->per_device;
}

/* ---- budgets -------------------------------------------------------- */

static uint32_t scope_bucket(const struct ulimits *l, uint64_t key, const uint8_t *mac)
{
	uint64_t k[2] = { key, mac48(mac) };

	return (uint32_t)util_hash(k, sizeof(k), l->seed) & l->smask;
}

static struct uscope *scope_get(struct ulimits *l, uint64_t key, const uint8_t *mac, bool create)
{
	uint32_t b = scope_bucket(l, key, mac), i;
	struct uscope *s;

	for (i = l->buckets[b]; i != UL_NONE; i = l->s[i].next)
		if (l->s[i].key == key && !memcmp(l->s[i].mac, mac, 6))
			return &l->s[i];
	if (!create)
		return NULL;
	if (l->free_head != UL_NONE) {
		i = l->free_head;
		l->free_head = l->s[i].next;
	} else if (l->high < l->max_scopes) {
		i = l->high++;
	} else {
		l->st.scope_full++;
		log_once(&l->full_logged, LOG_WARNING,
			 "usage: limits: %u budgets in use, more are not enforced (counted)", l->max_scopes);
		return NULL;
	}
	s = &l->s[i];
	memset(s, 0, sizeof(*s));
	s->key = key;
	memcpy(s->mac, mac, 6);
	s->used = 1;
	s->day = INT32_MIN;
	s->next = l->buckets[b];
	l->buckets[b] = i;
	l->n_scopes++;
	return s;
}

static void scope_drop(struct ulimits *l, struct uscope *s)
{
	uint32_t i = (uint32_t)(s - l->s);
	uint32_t *p = &l->buckets[scope_bucket(l, s->key, s->mac)];

	while (*p != UL_NONE && *p != i)
		p = &l->s[*p].next;
	if (*p == i)
		*p = s->next;
	s->used = 0;
	s->next = l->free_head;
	l->free_head = i;
	l->n_scopes--;
}

static bool ring_test(const struct uscope *s, uint32_t m)
{
	if (m > s->last_min || s->last_min - m >= UL_RING)
		return false;
	return (s->mins[(m % UL_RING) / 64] >> (m % 64)) & 1;
}

static void ring_set(struct uscope *s, uint32_t m)
{
	if (m > s->last_min) {
		if (m - s->last_min >= UL_RING)
			memset(s->mins, 0, sizeof(s->mins));
		else
			for (uint32_t k = s->last_min + 1; k <= m; k++)
				s->mins[(k % UL_RING) / 64] &= ~(1ull << (k % 64));
		s->last_min = m;
	} else if (s->last_min - m >= UL_RING) {
		return;
	}
	s->mins[(m % UL_RING) / 64] |= 1ull << (m % 64);
}

/* Active minutes of the budget's day that are over at @now. */
static uint32_t used_minutes(struct ulimits *l, const struct uscope *s, time_t now)
{
	uint32_t from = daycal_minute(daycal_start(&l->cal, s->day)), to = daycal_minute(now), n = 0;

	for (uint32_t m = from; m < to && m - from < DAYCAL_MIN_PER_DAY_MAX; m++)
		n += ring_test(s, m);
	return n;
}

static void status_of(struct ulimits *l, const struct udef *d, const struct uscope *s, time_t now,
		      struct ulimit_status *st)
{
	memset(st, 0, sizeof(*st));
	st->name = d ? d->name : "";
	st->key = s->key;
	memcpy(st->mac, s->mac, 6);
	st->per_device = d && d->per_device;
	st->time_min = d ? d->time_min : 0;
	st->volume = d ? d->volume : 0;
	st->warn_pct = d ? d->warn_pct : 0;
	st->used_min = used_minutes(l, s, now);
	st->used_bytes = s->bytes;
	st->warned = s->warned;
	st->reached = s->reached;
	st->by = s->by;
	st->day = s->day;
	st->reset_at = daycal_start(&l->cal, s->day + 1);
	st->reached_at = s->reached ? s->reached_at : 0;
}

static void emit_ex(struct ulimits *l, enum ulimit_event ev, const struct udef *d, const struct uscope *s,
		    time_t now, bool lifted)
{
	struct ulimit_status st;

	if (ev == ULIMIT_WARN)
		l->st.warnings++;
	else if (ev == ULIMIT_REACHED)
		l->st.reached++;
	else
		l->st.resets++;
	if (!l->fn)
		return;
	status_of(l, d, s, now, &st);
	st.lifted = lifted;
	l->fn(l->ctx, ev, &st);
}

static void emit(struct ulimits *l, enum ulimit_event ev, const struct udef *d, const struct uscope *s, time_t now)
{
	emit_ex(l, ev, d, s, now, false);
}

/* A new day for the budget: it renews. */
static void scope_roll(struct ulimits *l, const struct udef *d, struct uscope *s, int32_t today, time_t now)
{
	bool was = s->reached;

	if (s->day == today)
		return;
	if (was) {
		blk_set(l, s->key, s->mac, 0, now);
		emit(l, ULIMIT_RESET, d, s, now);
	}
	s->day = today;
	s->bytes = 0;
	s->warned = s->reached = s->by = 0;
	s->reached_at = 0;
}

static bool share_reached(uint64_t used, uint64_t limit, uint8_t pct)
{
	return limit && pct && used * 100 >= limit * pct;
}

/* Decides the budget against its limit at @now. */
static void scope_eval(struct ulimits *l, const struct udef *d, struct uscope *s, time_t now)
{
	uint32_t used = d->time_min ? used_minutes(l, s, now) : 0;
	bool by_time = d->time_min && used >= d->time_min;
	bool by_vol = d->volume && s->bytes >= d->volume;

	if (s->reached && !by_time && !by_vol) {
		/* a reload raised or removed the limit */
		s->reached = 0;
		s->warned = share_reached(used, d->time_min, d->warn_pct) ||
			    share_reached(s->bytes, d->volume, d->warn_pct);
		blk_set(l, s->key, s->mac, 0, now);
		emit_ex(l, ULIMIT_RESET, d, s, now, true);
		return;
	}
	if (s->reached) {
		blk_set(l, s->key, s->mac, daycal_start(&l->cal, s->day + 1), now);
		return;
	}
	if (by_time || by_vol) {
		s->reached = 1;
		s->by = by_time ? ULIMIT_BY_TIME : ULIMIT_BY_VOLUME;
		s->reached_at = now;
		blk_set(l, s->key, s->mac, daycal_start(&l->cal, s->day + 1), now);
		emit(l, ULIMIT_REACHED, d, s, now);
		return;
	}
	if (!s->warned && (share_reached(used, d->time_min, d->warn_pct) ||
			   share_reached(s->bytes, d->volume, d->warn_pct))) {
		s->warned = 1;
		s->by = share_reached(used, d->time_min, d->warn_pct) ? ULIMIT_BY_TIME : ULIMIT_BY_VOLUME;
		emit(l, ULIMIT_WARN, d, s, now);
	}
}

void ulimits_account(struct ulimits *l, uint64_t key, const uint8_t mac[6], uint32_t minute, uint64_t bytes,
		     time_t now)
{
	const struct udef *d = def_find(l, key);
	int32_t today, day;
	struct uscope *s;

	if (!d)
		return;
	today = daycal_day(&l->cal, now);
	day = daycal_day(&l->cal, (time_t)minute * 60);
	if (day < today)	/* a late reading of a day that is over */
		return;
	if (!(s = scope_get(l, key, d->per_device ? mac : zero_mac, true)))
		return;
	scope_roll(l, d, s, today, now);
	if (bytes) {
		ring_set(s, minute);
		s->bytes += bytes;
	}
	scope_eval(l, d, s, now);
}

void ulimits_tick(struct ulimits *l, time_t now)
{
	int32_t today = daycal_day(&l->cal, now);

	for (uint32_t i = 0; i < l->high; i++) {
		struct uscope *s = &l->s[i];
		const struct udef *d;

		if (!s->used || !(d = def_find(l, s->key)))
			continue;
		scope_roll(l, d, s, today, now);
		scope_eval(l, d, s, now);
	}
}

int ulimits_configure(struct ulimits *l, const struct ulimit_def *defs, size_t n, time_t now)
{
	int32_t today = daycal_day(&l->cal, now);

	if (n > l->max_defs)
		goto out_inval;
	for (size_t i = 0; i < n; i++)
		if (!defs[i].name || strlen(defs[i].name) >= ULIMIT_NAME_MAX || defs[i].warn_pct > 99)
			goto out_inval;
	for (size_t i = 0; i < n; i++) {
		struct udef *d = &l->defs[i];

		memset(d, 0, sizeof(*d));
		strcpy(d->name, defs[i].name);
		d->key = ulimit_key(d->name);
		d->time_min = defs[i].time_min;
		d->volume = defs[i].volume;
		d->warn_pct = defs[i].warn_pct;
		d->per_device = defs[i].per_device;
	}
	l->n_defs = (uint32_t)n;
	for (uint32_t i = 0; i < l->high; i++) {
		struct uscope *s = &l->s[i];
		const struct udef *d;
		bool shared;

		if (!s->used)
			continue;
		d = def_find(l, s->key);
		shared = !memcmp(s->mac, zero_mac, 6);
		/* gone, or now counted the other way (per device <-> shared) */
		if (!d || d->per_device == shared) {
			blk_set(l, s->key, s->mac, 0, now);
			scope_drop(l, s);
			continue;
		}
		scope_roll(l, d, s, today, now);
		scope_eval(l, d, s, now);
	}
	return 0;

out_inval:
	errno = EINVAL;
	return -1;
}

int ulimits_status(struct ulimits *l, uint64_t key, const uint8_t mac[6], time_t now, struct ulimit_status *st)
{
	const struct udef *d = def_find(l, key);
	struct uscope *s, tmp;
	int32_t today;

	if (!d)
		return -1;
	today = daycal_day(&l->cal, now);
	s = scope_get(l, key, d->per_device && mac ? mac : zero_mac, false);
	if (!s || s->day != today) {
		memset(&tmp, 0, sizeof(tmp));
		tmp.key = key;
		if (d->per_device && mac)
			memcpy(tmp.mac, mac, 6);
		tmp.day = today;
		s = &tmp;
	}
	status_of(l, d, s, now, st);
	return 0;
}

void ulimits_foreach(struct ulimits *l, time_t now, void (*fn)(void *ctx, const struct ulimit_status *st),
		     void *ctx)
{
	int32_t today = daycal_day(&l->cal, now);
	struct ulimit_status st;

	for (uint32_t i = 0; i < l->n_defs; i++) {
		const struct udef *d = &l->defs[i];
		bool any = false;

		for (uint32_t j = 0; j < l->high; j++) {
			struct uscope *s = &l->s[j];

			if (!s->used || s->key != d->key || s->day != today)
				continue;
			status_of(l, d, s, now, &st);
			fn(ctx, &st);
			any = true;
		}
		if (!any && ulimits_status(l, d->key, NULL, now, &st) == 0)
			fn(ctx, &st);
	}
}

void ulimits_stats(const struct ulimits *l, struct ulimits_stats *st)
{
	*st = l->st;
	st->defs = l->n_defs;
	st->scopes = l->n_scopes;
}

/* ---- state file ----------------------------------------------------- */

void ulimits_save_each(struct ulimits *l, void (*fn)(void *ctx, const struct ulimit_saved *s), void *ctx)
{
	struct ulimit_saved sv;

	for (uint32_t i = 0; i < l->high; i++) {
		const struct uscope *s = &l->s[i];

		if (!s->used)
			continue;
		memset(&sv, 0, sizeof(sv));
		sv.key = s->key;
		memcpy(sv.mac, s->mac, 6);
		sv.warned = s->warned;
		sv.reached = s->reached;
		sv.by = s->by;
		sv.day = s->day;
		sv.bytes = s->bytes;
		sv.reached_at = s->reached_at;
		sv.last_min = s->last_min;
		memcpy(sv.mins, s->mins, sizeof(sv.mins));
		fn(ctx, &sv);
	}
}

int ulimits_restore(struct ulimits *l, const struct ulimit_saved *sv, time_t now)
{
	int32_t today = daycal_day(&l->cal, now);
	struct uscope *s;

	if (sv->day != today)	/* another day's budget: renewed since */
		return 0;
	if (!(s = scope_get(l, sv->key, sv->mac, true)))
		return -1;
	if (s->day != today) {
		s->day = today;
		s->bytes = 0;
		s->warned = s->reached = s->by = 0;
	}
	s->bytes = s->bytes > sv->bytes ? s->bytes : sv->bytes;
	s->warned |= sv->warned;
	if (sv->reached && !s->reached) {
		s->reached = 1;
		s->by = sv->by;
		s->reached_at = (time_t)sv->reached_at;
	}
	/* the saved minutes, in this budget's ring */
	for (uint32_t k = 0; k < UL_RING && k <= sv->last_min; k++) {
		uint32_t m = sv->last_min - k;

		if ((sv->mins[(m % UL_RING) / 64] >> (m % 64)) & 1)
			ring_set(s, m);
	}
	return 0;
}
