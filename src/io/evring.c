/* Bounded MPSC ring after Dmitry Vyukov's bounded queue: each slot carries
 * a sequence number that tells producers whether it is free for their
 * ticket and tells the consumer whether its contents are complete. A
 * producer claims a ticket with one compare-and-swap and never spins on
 * another thread, so a worker stuck in the scheduler cannot stall the rest.
 *
 * A slot stores its sequence number minus its own index, so every slot of
 * a new ring holds 0, as calloc left it: creating the ring touches none of
 * its pages (1,024 slots of 8 KiB each would otherwise cost 4 MiB resident
 * at idle, one page per slot).
 */
#include "config.h"

#include <errno.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>

#include "evring.h"

struct evslot {
	_Atomic uint64_t seq;
	uint32_t len;
	uint8_t data[];
};

struct evring {
	_Atomic uint64_t head;		/* next producer ticket */
	char pad0[64 - sizeof(uint64_t)];
	uint64_t tail;			/* next consumer ticket (consumer only) */
	uint32_t mask;
	uint32_t slot_size;
	size_t stride;
	_Atomic uint64_t pushed, full, oversize;
	uint8_t *slots;
};

static struct evslot *evring_slot(const struct evring *r, uint64_t ticket)
{
	return (struct evslot *)(r->slots + (size_t)(ticket & r->mask) * r->stride);
}

/* Sequence number of the slot @ticket maps to (see the top comment). */
static uint64_t evring_seq_load(const struct evring *r, uint64_t ticket)
{
	return atomic_load_explicit(&evring_slot(r, ticket)->seq, memory_order_acquire) +
	       (ticket & r->mask);
}

static void evring_seq_store(struct evring *r, uint64_t ticket, uint64_t seq)
{
	atomic_store_explicit(&evring_slot(r, ticket)->seq, seq - (ticket & r->mask),
			      memory_order_release);
}

static uint32_t evring_pow2(uint32_t n)
{
	uint32_t p = 2;

	while (p < n && p < (1u << 30))
		p <<= 1;
	return p;
}

struct evring *evring_new(uint32_t slots, uint32_t slot_size)
{
	struct evring *r;

	if (!slot_size) {
		errno = EINVAL;
		return NULL;
	}
	r = calloc(1, sizeof(*r));
	if (!r)
		return NULL;
	r->mask = evring_pow2(slots) - 1;
	r->slot_size = slot_size;
	/* keep every slot header 8-byte aligned for the atomic */
	r->stride = (sizeof(struct evslot) + slot_size + 7) & ~(size_t)7;
	r->slots = calloc((size_t)r->mask + 1, r->stride);
	if (!r->slots)
		goto out_free_ring;
	return r;	/* zeroed slots: slot i's sequence number is i */

out_free_ring:
	free(r);
	return NULL;
}

void evring_free(struct evring *r)
{
	if (!r)
		return;
	free(r->slots);
	free(r);
}

/* Claims a producer ticket, or returns -1 when the slot it would use still
 * holds an unconsumed message (ring full). */
static int evring_claim(struct evring *r, uint64_t *ticket)
{
	uint64_t pos = atomic_load_explicit(&r->head, memory_order_relaxed);

	for (;;) {
		uint64_t seq = evring_seq_load(r, pos);
		int64_t diff = (int64_t)(seq - pos);

		if (diff < 0)
			return -1;
		if (diff == 0 && atomic_compare_exchange_weak_explicit(&r->head, &pos, pos + 1,
					memory_order_relaxed, memory_order_relaxed)) {
			*ticket = pos;
			return 0;
		}
		if (diff > 0)	/* another producer took it; retry from the new head */
			pos = atomic_load_explicit(&r->head, memory_order_relaxed);
	}
}

void *evring_reserve(struct evring *r, uint64_t *ticket)
{
	if (evring_claim(r, ticket) < 0) {
		atomic_fetch_add_explicit(&r->full, 1, memory_order_relaxed);
		return NULL;
	}
	return evring_slot(r, *ticket)->data;
}

void evring_commit(struct evring *r, uint64_t ticket, size_t len)
{
	struct evslot *s = evring_slot(r, ticket);

	s->len = (uint32_t)(len < r->slot_size ? len : r->slot_size);
	evring_seq_store(r, ticket, ticket + 1);
	atomic_fetch_add_explicit(&r->pushed, 1, memory_order_relaxed);
}

uint32_t evring_slot_size(const struct evring *r)
{
	return r->slot_size;
}

int evring_push(struct evring *r, const void *msg, size_t len)
{
	uint64_t ticket;
	void *p;

	if (len > r->slot_size) {
		atomic_fetch_add_explicit(&r->oversize, 1, memory_order_relaxed);
		return -1;
	}
	p = evring_reserve(r, &ticket);
	if (!p)
		return -1;
	memcpy(p, msg, len);
	evring_commit(r, ticket, len);
	return 0;
}

const void *evring_peek(struct evring *r, size_t *len)
{
	struct evslot *s = evring_slot(r, r->tail);

	if (evring_seq_load(r, r->tail) != r->tail + 1)
		return NULL;
	*len = s->len;
	return s->data;
}

void evring_pop(struct evring *r)
{
	/* hand the slot back to the producer that will hold ticket tail+size */
	evring_seq_store(r, r->tail, r->tail + r->mask + 1);
	r->tail++;
}

uint32_t evring_capacity(const struct evring *r)
{
	return r->mask + 1;
}

void evring_stats(const struct evring *r, struct evring_stats *st)
{
	st->pushed = atomic_load_explicit(&r->pushed, memory_order_relaxed);
	st->full = atomic_load_explicit(&r->full, memory_order_relaxed);
	st->oversize = atomic_load_explicit(&r->oversize, memory_order_relaxed);
}
