/*
 * libFuzzer target for the conntrack accounting reader's message parser
 * (ctacct_parse): any bytes, as one message or as the datagram of several
 * the reader walks, parse or are refused without reading out of bounds.
 * The kernel is trusted more than a packet, but a parser is fuzzed all the
 * same. The reader's source is built in by inclusion.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "ctacct.c"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct ctacct_rec r;
	const struct nlmsghdr *nlh;
	uint8_t *buf;
	size_t rem;

	/* netlink messages are 4-byte aligned in the reader's buffer */
	if (!(buf = malloc(size ? size : 1)))
		return 0;
	memcpy(buf, data, size);
	r.kind = CTACCT_DUMP;
	if (ctacct_parse(buf, size, &r) == 0 && (r.orig.family != 4 && r.orig.family != 6))
		abort();	/* a parsed connection always has an address family */
	nlh = (const struct nlmsghdr *)buf;
	rem = size;
	/* the walk the reader does over a datagram (its own checks: see msg_ok) */
	for (; msg_ok(nlh, rem); nlh = msg_next(nlh, &rem)) {
		r.kind = CTACCT_DESTROY;
		if (ctacct_parse(nlh, nlh->nlmsg_len, &r) == 0 && r.has_reply && r.reply.family != 4 &&
		    r.reply.family != 6)
			abort();
	}
	free(buf);
	return 0;
}
