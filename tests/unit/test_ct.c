/* ctnetlink requests built and parsed back; replies parsed from crafted
 * messages (bad attributes ignored). The kernel side is in tests/lab. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include <arpa/inet.h>
#include <endian.h>
#include <libmnl/libmnl.h>
#include <linux/netfilter/nfnetlink.h>
#include <linux/netfilter/nfnetlink_conntrack.h>
#include <netinet/in.h>
#include <sys/socket.h>

#include "ct.h"

struct tuple_seen {
	const struct nlattr *ip, *proto;
	uint8_t src[16], dst[16];
	uint8_t pnum;
	uint16_t sport, dport;
};

static int ip_cb(const struct nlattr *a, void *data)
{
	struct tuple_seen *t = data;
	uint16_t type = mnl_attr_get_type(a);
	size_t len = mnl_attr_get_payload_len(a);

	if (type == CTA_IP_V4_SRC || type == CTA_IP_V6_SRC)
		memcpy(t->src, mnl_attr_get_payload(a), len);
	if (type == CTA_IP_V4_DST || type == CTA_IP_V6_DST)
		memcpy(t->dst, mnl_attr_get_payload(a), len);
	return MNL_CB_OK;
}

static int proto_cb(const struct nlattr *a, void *data)
{
	struct tuple_seen *t = data;

	switch (mnl_attr_get_type(a)) {
	case CTA_PROTO_NUM: t->pnum = mnl_attr_get_u8(a); break;
	case CTA_PROTO_SRC_PORT: t->sport = ntohs(mnl_attr_get_u16(a)); break;
	case CTA_PROTO_DST_PORT: t->dport = ntohs(mnl_attr_get_u16(a)); break;
	}
	return MNL_CB_OK;
}

static int tuple_cb(const struct nlattr *a, void *data)
{
	struct tuple_seen *t = data;

	if (mnl_attr_get_type(a) == CTA_TUPLE_IP)
		mnl_attr_parse_nested(a, ip_cb, t);
	if (mnl_attr_get_type(a) == CTA_TUPLE_PROTO)
		mnl_attr_parse_nested(a, proto_cb, t);
	return MNL_CB_OK;
}

struct msg_seen {
	const struct nlattr *tb[CTA_MAX + 1];
};

static int top_cb(const struct nlattr *a, void *data)
{
	struct msg_seen *m = data;

	if (mnl_attr_get_type(a) <= CTA_MAX)
		m->tb[mnl_attr_get_type(a)] = a;
	return MNL_CB_OK;
}

static const struct ct_tuple t4 = {
	.family = 4, .src = { 10, 77, 1, 2 }, .dst = { 10, 77, 2, 6 },
	.proto = IPPROTO_TCP, .sport = 40000, .dport = 7000,
};

static void test_mark_orig(void **state)
{
	char buf[1024] __attribute__((aligned(4)));
	struct msg_seen m = { { NULL } };
	struct tuple_seen t = { 0 };
	const struct nlmsghdr *nlh = (const struct nlmsghdr *)buf;
	const struct nfgenmsg *g;
	size_t len;

	(void)state;
	len = ct_build_mark(buf, sizeof(buf), 9, &t4, CT_DIR_ORIG, 0x20000, 0x3f0000);
	assert_true(len > 0);
	assert_int_equal(len, nlh->nlmsg_len);
	assert_int_equal(nlh->nlmsg_type, (NFNL_SUBSYS_CTNETLINK << 8) | IPCTNL_MSG_CT_NEW);
	/* an update only: never create a conntrack entry */
	assert_false(nlh->nlmsg_flags & NLM_F_CREATE);
	assert_int_equal(nlh->nlmsg_seq, 9);
	g = mnl_nlmsg_get_payload(nlh);
	assert_int_equal(g->nfgen_family, AF_INET);
	assert_true(mnl_attr_parse(nlh, sizeof(*g), top_cb, &m) >= 0);
	assert_non_null(m.tb[CTA_TUPLE_ORIG]);
	assert_null(m.tb[CTA_TUPLE_REPLY]);
	assert_int_equal(ntohl(mnl_attr_get_u32(m.tb[CTA_MARK])), 0x20000);
	assert_int_equal(ntohl(mnl_attr_get_u32(m.tb[CTA_MARK_MASK])), 0x3f0000);
	mnl_attr_parse_nested(m.tb[CTA_TUPLE_ORIG], tuple_cb, &t);
	assert_memory_equal(t.src, t4.src, 4);
	assert_memory_equal(t.dst, t4.dst, 4);
	assert_int_equal(t.pnum, IPPROTO_TCP);
	assert_int_equal(t.sport, 40000);
	assert_int_equal(t.dport, 7000);
}

static void test_delete_reply_v6(void **state)
{
	char buf[1024] __attribute__((aligned(4)));
	struct ct_tuple t6 = { .family = 6, .src = { 0xfd, 0x77, [15] = 2 }, .dst = { 0xfd, 0x77, [15] = 9 },
			       .proto = IPPROTO_UDP, .sport = 5353, .dport = 53 };
	struct msg_seen m = { { NULL } };
	struct tuple_seen t = { 0 };
	const struct nlmsghdr *nlh = (const struct nlmsghdr *)buf;

	(void)state;
	assert_true(ct_build_delete(buf, sizeof(buf), 1, &t6, CT_DIR_REPLY) > 0);
	assert_int_equal(nlh->nlmsg_type, (NFNL_SUBSYS_CTNETLINK << 8) | IPCTNL_MSG_CT_DELETE);
	assert_true(mnl_attr_parse(nlh, sizeof(struct nfgenmsg), top_cb, &m) >= 0);
	assert_null(m.tb[CTA_TUPLE_ORIG]);
	assert_non_null(m.tb[CTA_TUPLE_REPLY]);
	mnl_attr_parse_nested(m.tb[CTA_TUPLE_REPLY], tuple_cb, &t);
	/* the reply tuple is the original one reversed */
	assert_memory_equal(t.src, t6.dst, 16);
	assert_memory_equal(t.dst, t6.src, 16);
	assert_int_equal(t.sport, 53);
	assert_int_equal(t.dport, 5353);
}

static void test_refused(void **state)
{
	char buf[1024] __attribute__((aligned(4)));
	struct ct_tuple icmp = t4, bad = t4;

	(void)state;
	icmp.proto = IPPROTO_ICMP;	/* no ports to name it by */
	bad.family = 5;
	assert_int_equal(ct_build_mark(buf, sizeof(buf), 1, &icmp, CT_DIR_ORIG, 1, 1), 0);
	assert_int_equal(ct_build_get(buf, sizeof(buf), 1, &bad, CT_DIR_ORIG), 0);
	assert_int_equal(ct_build_delete(buf, 64, 1, &t4, CT_DIR_ORIG), 0);	/* no room */
}

/* A conntrack message as the kernel answers a GET. */
static size_t reply_msg(char *buf, int bad_mark)
{
	struct nlmsghdr *nlh = mnl_nlmsg_put_header(buf);
	struct nfgenmsg *g;
	struct nlattr *nest;

	nlh->nlmsg_type = (NFNL_SUBSYS_CTNETLINK << 8) | IPCTNL_MSG_CT_NEW;
	g = mnl_nlmsg_put_extra_header(nlh, sizeof(*g));
	g->nfgen_family = AF_INET;
	if (bad_mark)
		mnl_attr_put_u16(nlh, CTA_MARK, 5);
	else
		mnl_attr_put_u32(nlh, CTA_MARK, htonl(0x00010000));
	nest = mnl_attr_nest_start(nlh, CTA_COUNTERS_ORIG);
	mnl_attr_put_u64(nlh, CTA_COUNTERS_PACKETS, htobe64(12));
	mnl_attr_put_u64(nlh, CTA_COUNTERS_BYTES, htobe64(3456));
	mnl_attr_nest_end(nlh, nest);
	nest = mnl_attr_nest_start(nlh, CTA_COUNTERS_REPLY);
	mnl_attr_put_u64(nlh, CTA_COUNTERS_PACKETS, htobe64(30));
	mnl_attr_nest_end(nlh, nest);
	return nlh->nlmsg_len;
}

static void test_parse_info(void **state)
{
	char buf[1024] __attribute__((aligned(4)));
	struct ct_info info;
	size_t len;

	(void)state;
	len = reply_msg(buf, 0);
	assert_int_equal(ct_parse_info(buf, len, &info), 0);
	assert_int_equal(info.mark, 0x00010000);
	assert_int_equal(info.packets[0], 12);
	assert_int_equal(info.bytes[0], 3456);
	assert_int_equal(info.packets[1], 30);
	assert_int_equal(info.bytes[1], 0);
	len = reply_msg(buf, 1);
	assert_int_equal(ct_parse_info(buf, len, &info), 0);
	assert_int_equal(info.mark, 0);		/* wrong size: ignored */
	assert_int_equal(info.packets[0], 12);
	assert_int_equal(ct_parse_info(buf, 8, &info), -1);	/* truncated */
}

/* A message claiming 2 GiB or more: libmnl's mnl_nlmsg_ok() takes its
 * length as negative and lets it by, and the attribute walk then reads
 * past the buffer (ASan stops the test on the old code). */
static void test_parse_info_huge_length(void **state)
{
	static const uint32_t lens[] = { 0x80000000u, 0x80000010u, 0xfffffff0u, 0xffffffffu };
	char buf[1024] __attribute__((aligned(4)));
	struct nlmsghdr *nlh = (struct nlmsghdr *)buf;
	struct ct_info info;
	size_t len, i;

	(void)state;
	len = reply_msg(buf, 0);
	memset(buf + len, 0x41, sizeof(buf) - len);	/* what an overread would take for attributes */
	for (i = 0; i < sizeof(lens) / sizeof(lens[0]); i++) {
		nlh->nlmsg_len = lens[i];
		assert_int_equal(ct_parse_info(buf, len, &info), -1);
	}
	nlh->nlmsg_len = (uint32_t)len + 4;	/* one attribute header past the buffer */
	assert_int_equal(ct_parse_info(buf, len, &info), -1);
	nlh->nlmsg_len = sizeof(*nlh) + 2;	/* no room for the nfgenmsg header */
	assert_int_equal(ct_parse_info(buf, len, &info), -1);
	nlh->nlmsg_len = (uint32_t)len;
	assert_int_equal(ct_parse_info(buf, len, &info), 0);
}

/* Tuples as keys (conntab, the exporter): bytes past an IPv4 address do
 * not count, the seed does, and reversing twice gives the tuple back. */
static void test_tuple_keys(void **state)
{
	struct ct_tuple a, b, r, rr;

	(void)state;
	memset(&a, 0, sizeof(a));
	a.family = 4;
	a.proto = IPPROTO_TCP;
	memcpy(a.src, "\x0a\x00\x00\x02", 4);
	memcpy(a.dst, "\x0a\x00\x01\x02", 4);
	a.sport = 40000;
	a.dport = 443;
	b = a;
	memset(b.src + 4, 0xaa, 12);	/* left over from an IPv6 tuple */
	assert_true(ct_tuple_eq(&a, &b));
	assert_int_equal(ct_tuple_hash(&a, 7), ct_tuple_hash(&b, 7));
	assert_int_not_equal(ct_tuple_hash(&a, 7), ct_tuple_hash(&a, 8));
	b.sport++;
	assert_false(ct_tuple_eq(&a, &b));
	ct_tuple_reverse(&r, &a);
	assert_false(ct_tuple_eq(&a, &r));
	assert_int_equal(r.sport, 443);
	assert_memory_equal(r.src, a.dst, 4);
	ct_tuple_reverse(&rr, &r);
	assert_true(ct_tuple_eq(&a, &rr));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_mark_orig),
		cmocka_unit_test(test_delete_reply_v6),
		cmocka_unit_test(test_refused),
		cmocka_unit_test(test_parse_info),
		cmocka_unit_test(test_parse_info_huge_length),
		cmocka_unit_test(test_tuple_keys),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
