/* Bounded multi-producer, single-consumer queue of byte messages.
 *
 * Worker threads push events (one JSON text each) and never wait: when the
 * ring is full, or a message is larger than a slot, the push fails and is
 * counted. One consumer thread (the monitor's io thread) pops in order.
 * Slots are allocated once at creation; push and pop never allocate.
 */
#ifndef NETIFY_EVRING_H
#define NETIFY_EVRING_H

#include <stddef.h>
#include <stdint.h>

struct evring;

struct evring_stats {
	uint64_t pushed;	/* messages accepted */
	uint64_t full;		/* refused: every slot in use */
	uint64_t oversize;	/* refused: larger than a slot */
};

/**
 * evring_new - ring of at least @slots slots (rounded up to a power of two,
 * at least 2) of @slot_size bytes each. NULL + errno on failure.
 */
struct evring *evring_new(uint32_t slots, uint32_t slot_size);
void evring_free(struct evring *r);

/** evring_push - copy @len bytes in; 0, or -1 when full or too large (counted) */
int evring_push(struct evring *r, const void *msg, size_t len);

/**
 * evring_reserve - claim a slot to fill in place (no copy): returns where to
 * write up to the slot size, or NULL when full (counted). Every reserve must
 * be followed by evring_commit(); the consumer waits for it in order.
 */
void *evring_reserve(struct evring *r, uint64_t *ticket);
/** evring_commit - publish @len bytes written into a reserved slot */
void evring_commit(struct evring *r, uint64_t ticket, size_t len);
/** evring_slot_size - bytes a slot holds */
uint32_t evring_slot_size(const struct evring *r);

/**
 * evring_peek - consumer only: the oldest message, or NULL when none is
 * ready. The pointer stays valid until evring_pop().
 */
const void *evring_peek(struct evring *r, size_t *len);
/** evring_pop - consumer only: release the message evring_peek() returned */
void evring_pop(struct evring *r);

uint32_t evring_capacity(const struct evring *r);
void evring_stats(const struct evring *r, struct evring_stats *st);

#endif
