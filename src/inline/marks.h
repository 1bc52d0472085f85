/* Mark layout: where netify keeps its verdict in the packet and conntrack marks.
 *
 * netify owns only the bits under a configurable mask (UCI `mark_mask`,
 * default 0x00ff0000) so it can share the 32-bit mark with mwan3 (low
 * bits), SQM and fw4. With s = the mask's lowest set bit:
 *
 *   bit s+0       released  the flow is decided; the kernel stops queueing it
 *   bit s+1       blocked   every further packet of the flow is dropped/rejected
 *   bits s+2..s+5 class     QoS class 1..15 (0 = none)
 *   bits s+6..    reserved  left untouched
 *
 * The daemon sets these bits in the packet mark of its verdict; a later
 * nft chain copies them into the conntrack mark (no NETLINK_GLUE_CT needed),
 * and the forward chain tests the conntrack mark. Bits outside the mask are
 * never written.
 */
#ifndef NETIFY_MARKS_H
#define NETIFY_MARKS_H

#include <stdint.h>

#define MARKS_BITS_USED 6	/* released + blocked + 4 class bits */
#define MARKS_CLASS_MAX 15u

struct marks {
	uint32_t mask;		/* all of netify's bits (as configured) */
	uint32_t released;
	uint32_t blocked;
	uint32_t class_mask;	/* the 4 class bits */
	unsigned int class_shift;
	uint32_t used;		/* released | blocked | class_mask */
};

/* Derives the layout from a mask; -1 if the mask is not contiguous or has
 * fewer than MARKS_BITS_USED bits. */
static inline int marks_init(struct marks *m, uint32_t mask)
{
	unsigned int s, n;

	if (!mask)
		return -1;
	s = (unsigned int)__builtin_ctz(mask);
	n = (unsigned int)__builtin_popcount(mask);
	/* contiguous: shifting the mask down leaves 2^n - 1 */
	if (n < MARKS_BITS_USED || s + n > 32 || (uint64_t)(mask >> s) + 1 != (uint64_t)1 << n)
		return -1;
	m->mask = mask;
	m->released = 1u << s;
	m->blocked = 1u << (s + 1);
	m->class_shift = s + 2;
	m->class_mask = 0xfu << m->class_shift;
	m->used = m->released | m->blocked | m->class_mask;
	return 0;
}

/* The mark bits of QoS class cls (1..15); 0 for 0 or out of range. */
static inline uint32_t marks_class(const struct marks *m, unsigned int cls)
{
	if (cls > MARKS_CLASS_MAX)
		return 0;
	return (uint32_t)cls << m->class_shift;
}

/* The class number held in a mark. */
static inline unsigned int marks_class_of(const struct marks *m, uint32_t mark)
{
	return (mark & m->class_mask) >> m->class_shift;
}

/* mark with netify's bits replaced by bits (which must lie under the mask). */
static inline uint32_t marks_apply(const struct marks *m, uint32_t mark, uint32_t bits)
{
	return (mark & ~m->mask) | (bits & m->mask);
}

#endif
