/* Conntrack entries through ctnetlink (libmnl): change the mark of one
 * connection or delete it. Used on reload to re-evaluate live flows: a flow
 * now blocked gets the blocked bit (its next packet is dropped/rejected by
 * the filter chain), a flow now allowed gets released again.
 *
 * One struct ct per thread; calls block until the kernel answers (a
 * receive timeout of one second bounds that).
 */
#ifndef NETIFY_CT_H
#define NETIFY_CT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* A connection as its initiator sent it (the conntrack "original" tuple,
 * as seen in the forward hook: after DNAT, before SNAT). */
struct ct_tuple {
	int family;		/* 4 or 6 */
	uint8_t src[16], dst[16];
	uint8_t proto;		/* IPPROTO_TCP, IPPROTO_UDP, IPPROTO_SCTP */
	uint16_t sport, dport;	/* host order */
};

/* Tuples as keys: a hash of the bytes that matter (seeded: a LAN client
 * chooses its ports), equality, and the tuple of the other direction. */
uint32_t ct_tuple_hash(const struct ct_tuple *t, uint64_t seed);
bool ct_tuple_eq(const struct ct_tuple *a, const struct ct_tuple *b);
void ct_tuple_reverse(struct ct_tuple *out, const struct ct_tuple *t);

struct ct_info {
	uint32_t mark;
	uint64_t packets[2], bytes[2];	/* original, reply (0 without accounting) */
};

enum ct_dir { CT_DIR_ORIG, CT_DIR_REPLY };

/**
 * ct_build_mark / ct_build_delete / ct_build_get - a ctnetlink request for
 * the entry whose @dir tuple is @t, in @buf; returns the message length or
 * 0 if @t cannot be expressed (protocol without ports). mark_mask selects
 * the bits of the mark that change: new = (old & ~mask) ^ mark.
 */
size_t ct_build_mark(char *buf, size_t len, uint32_t seq, const struct ct_tuple *t, enum ct_dir dir,
		     uint32_t mark, uint32_t mark_mask);
size_t ct_build_delete(char *buf, size_t len, uint32_t seq, const struct ct_tuple *t, enum ct_dir dir);
size_t ct_build_get(char *buf, size_t len, uint32_t seq, const struct ct_tuple *t, enum ct_dir dir);

/** ct_parse_info - mark and counters of a conntrack message; 0 or -1 */
int ct_parse_info(const void *nlh, size_t len, struct ct_info *info);

struct ct;

struct ct *ct_open(void);
void ct_close(struct ct *c);

/* Each looks the entry up by the original tuple and, if the kernel has no
 * such entry (NAT: DNAT'ed flows are known by their reply tuple), by the
 * reversed reply tuple. 0, or -1 + errno (ENOENT: no such connection). */
int ct_set_mark(struct ct *c, const struct ct_tuple *t, uint32_t mark, uint32_t mark_mask);
int ct_delete(struct ct *c, const struct ct_tuple *t);
int ct_get(struct ct *c, const struct ct_tuple *t, struct ct_info *info);

#endif
