/*
 * dnscache.h - DNS hint cache: server address -> name the client asked for.
 *
 * Learned from DNS responses seen in traffic (A and AAAA, following CNAME
 * chains back to the question name), so flows without SNI can still be
 * named.  Fixed capacity chosen at creation, all memory reserved then (and
 * touched as it fills), LRU
 * eviction when full, TTL clamped to [ttl_min, ttl_max], everything
 * counted.  Not thread-safe: one cache per worker.  What other workers
 * saw reaches a cache through its inbox, the one part that is shared.
 */
#ifndef NETIFY_DNSCACHE_H
#define NETIFY_DNSCACHE_H

#include <pthread.h>
#include <stddef.h>
#include <stdint.h>

struct dnscache;

struct dnscache_stats {
	uint64_t entries;	/* live entries now */
	uint64_t inserts;	/* new entries created */
	uint64_t updates;	/* existing entries refreshed */
	uint64_t evictions;	/* LRU entries reused while not expired */
	uint64_t expired;	/* entries found expired */
	uint64_t parse_errors;	/* payloads dns_parse rejected */
	uint64_t hits;
	uint64_t misses;
};

/**
 * dnscache_new - cache of @capacity entries (>= 1), TTLs clamped to
 * [@ttl_min, @ttl_max] seconds.  NULL with errno on bad arguments or ENOMEM.
 */
struct dnscache *dnscache_new(uint32_t capacity, uint32_t ttl_min,
			      uint32_t ttl_max);

void dnscache_free(struct dnscache *c);

/**
 * dnscache_learn - feed a DNS payload seen at time @now (seconds)
 * A UDP payload, or a TCP payload starting with its 2-byte length: when the
 * first two bytes equal @len - 2 the TCP reading is tried first, and the
 * UDP reading if that fails to parse.  Queries and non-NOERROR responses
 * are ignored.  Returns the number of addresses learned (>= 0), or -1 if
 * the payload did not parse (counted in parse_errors).
 */
int dnscache_learn(struct dnscache *c, const uint8_t *payload, size_t len,
		   uint64_t now);

/**
 * dnscache_lookup - question name that resolved to @addr, or NULL
 * @family: AF_INET (4 bytes) or AF_INET6 (16 bytes); the IP version
 *          numbers 4 and 6 are accepted as well
 * The string stays valid until the next call that mutates @c.  A hit
 * moves the entry to the LRU head.  Never allocates.
 */
const char *dnscache_lookup(struct dnscache *c, int family,
			    const uint8_t *addr, uint64_t now);

/**
 * dnscache_sole_name - the name @addr was learned under, if no other name
 * resolved to it while its entry lived (since it was learned, expired or
 * evicted); NULL otherwise.  The block set's test of whether an address
 * belongs to one application: unlike dnscache_lookup(), neither counted
 * nor moved in the LRU list.
 */
const char *dnscache_sole_name(const struct dnscache *c, int family, const uint8_t *addr,
			       uint64_t now);

/* Called for every address learned (@family AF_INET or AF_INET6), after
 * the cache took it, from dnscache_learn() and dnscache_inbox_drain(). */
typedef void (*dnscache_observer)(void *ctx, int family, const uint8_t *addr, const char *name);

/** dnscache_set_observer - @fn (NULL: none) sees every address learned */
void dnscache_set_observer(struct dnscache *c, dnscache_observer fn, void *ctx);

void dnscache_get_stats(const struct dnscache *c, struct dnscache_stats *st);

#define DNSCACHE_INBOX_SLOTS 32		/* answers waiting for the cache's owner */
#define DNSCACHE_INBOX_LEN 1232		/* bytes kept of one answer (EDNS default size) */

/*
 * DNS answers seen by other workers.  The kernel spreads flows over queues
 * by address, so a lookup and the connection it announces often land on
 * different workers; each worker's cache gets every answer through its
 * inbox.  Posting copies into a fixed slot under a short lock (a full inbox
 * drops and counts); the owner drains it before its next packet.
 */
struct dnscache_inbox {
	pthread_mutex_t lock;
	int pending;		/* atomic: slots in use, read without the lock */
	unsigned int count;
	uint64_t dropped;
	struct {
		uint16_t len;
		uint8_t data[DNSCACHE_INBOX_LEN];
	} slot[DNSCACHE_INBOX_SLOTS];
};

void dnscache_inbox_init(struct dnscache_inbox *in);
void dnscache_inbox_destroy(struct dnscache_inbox *in);

/** dnscache_inbox_post - copy one answer (its first DNSCACHE_INBOX_LEN
 * bytes) into @in; any thread */
void dnscache_inbox_post(struct dnscache_inbox *in, const uint8_t *payload, size_t len);

/** dnscache_inbox_drain - learn every answer waiting in @in into @c (NULL:
 * drop them) at time @now (seconds); the cache's owner only */
void dnscache_inbox_drain(struct dnscache_inbox *in, struct dnscache *c, uint64_t now);

#endif /* NETIFY_DNSCACHE_H */
