/*
 * blockset.h - the block-set elements that rest on the DNS hint cache.
 *
 * A blocked flow's server address goes into the kernel's block set only
 * when it belongs to the blocked application alone (verdict.h). When the
 * DNS hint cache is what says so (the only name seen for the address is
 * the application's), a later DNS answer can prove it wrong: another name
 * for the same address, of another application (a shared front end). This
 * table remembers those elements with their application, so that such an
 * answer withdraws them before the client that asked can connect.
 *
 * Fixed capacity, preallocated, chained by server address; an element
 * lives as long as its kernel twin (its timeout) and no longer. Full: the
 * element is refused (the caller leaves the address out of the kernel set:
 * an element nobody could withdraw is never added). Thread-safe.
 */
#ifndef NETIFY_BLOCKSET_H
#define NETIFY_BLOCKSET_H

#include <stdint.h>

#define BLOCKSET_CAPACITY 4096	/* DNS-resting elements at once */

struct blockset_elem {
	uint8_t family;		/* 4 or 6 */
	uint8_t proto;
	uint16_t port;		/* server port, host order */
	uint8_t dev[16];	/* the device's address */
	uint8_t srv[16];	/* the server's */
};

struct blockset_stats {
	uint64_t adds, withdrawn, full;
	uint32_t live;
};

struct blockset;

/** blockset_new - a table of @capacity elements; NULL + errno */
struct blockset *blockset_new(uint32_t capacity);
void blockset_free(struct blockset *b);

/**
 * blockset_add - remembers @e for application @app until @expires (the
 * caller's monotonic seconds); the same element again is renewed.
 * 0, or -1 with ENOSPC when the table is full of live elements (counted).
 */
int blockset_add(struct blockset *b, const struct blockset_elem *e, int32_t app, uint64_t expires,
		 uint64_t now);

/** blockset_empty - cheap test before anything else (no lock) */
int blockset_empty(const struct blockset *b);

typedef void (*blockset_fn)(void *ctx, const struct blockset_elem *e);

/**
 * blockset_withdraw - the live elements for server @srv of @family whose
 * application is not @app are taken out of the table and handed to @fn
 * (under the table's lock: @fn must not call back into @b); returns how
 * many.
 */
unsigned int blockset_withdraw(struct blockset *b, int family, const uint8_t *srv, int32_t app,
			       uint64_t now, blockset_fn fn, void *ctx);

void blockset_get_stats(struct blockset *b, struct blockset_stats *st);

#endif
