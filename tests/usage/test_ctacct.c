/* The accounting reader's messages: connection messages built as the
 * kernel sends them and parsed back (IPv4, IPv6, counters, timestamps),
 * bad attributes ignored or refused, the dump request with its kernel-side
 * mark filter parsed back, and the sysctl switch on a stand-in file. The
 * kernel side is in tests/usage/kernel.sh. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>

#include <arpa/inet.h>
#include <endian.h>
#include <libmnl/libmnl.h>
#include <linux/netfilter/nfnetlink.h>
#include <linux/netfilter/nfnetlink_conntrack.h>
#include <netinet/in.h>
#include <sys/socket.h>

#include "ctacct.h"

static char buf[4096];

static struct nlmsghdr *msg(uint16_t subsys, uint16_t type, int family)
{
	struct nlmsghdr *nlh = mnl_nlmsg_put_header(buf);
	struct nfgenmsg *nfg;

	nlh->nlmsg_type = (uint16_t)(subsys << 8 | type);
	nfg = mnl_nlmsg_put_extra_header(nlh, sizeof(*nfg));
	nfg->nfgen_family = (uint8_t)family;
	return nlh;
}

static void put_tuple(struct nlmsghdr *nlh, uint16_t type, int v6, const void *src, const void *dst,
		      uint8_t proto, uint16_t sport, uint16_t dport)
{
	struct nlattr *t = mnl_attr_nest_start(nlh, type), *ip, *p;

	ip = mnl_attr_nest_start(nlh, CTA_TUPLE_IP);
	mnl_attr_put(nlh, v6 ? CTA_IP_V6_SRC : CTA_IP_V4_SRC, v6 ? 16 : 4, src);
	mnl_attr_put(nlh, v6 ? CTA_IP_V6_DST : CTA_IP_V4_DST, v6 ? 16 : 4, dst);
	mnl_attr_nest_end(nlh, ip);
	p = mnl_attr_nest_start(nlh, CTA_TUPLE_PROTO);
	mnl_attr_put_u8(nlh, CTA_PROTO_NUM, proto);
	mnl_attr_put_u16(nlh, CTA_PROTO_SRC_PORT, htons(sport));
	mnl_attr_put_u16(nlh, CTA_PROTO_DST_PORT, htons(dport));
	mnl_attr_nest_end(nlh, p);
	mnl_attr_nest_end(nlh, t);
}

static void put_counters(struct nlmsghdr *nlh, uint16_t type, uint64_t packets, uint64_t bytes)
{
	struct nlattr *c = mnl_attr_nest_start(nlh, type);

	mnl_attr_put_u64(nlh, CTA_COUNTERS_PACKETS, htobe64(packets));
	mnl_attr_put_u64(nlh, CTA_COUNTERS_BYTES, htobe64(bytes));
	mnl_attr_nest_end(nlh, c);
}

static const uint8_t A4[4] = { 10, 0, 1, 2 }, B4[4] = { 10, 0, 2, 2 }, N4[4] = { 192, 0, 2, 1 };

static struct nlmsghdr *v4_conn(void)
{
	struct nlmsghdr *nlh = msg(NFNL_SUBSYS_CTNETLINK, IPCTNL_MSG_CT_DELETE, AF_INET);
	struct nlattr *ts;

	put_tuple(nlh, CTA_TUPLE_ORIG, 0, A4, B4, IPPROTO_TCP, 40000, 443);
	/* reply as after SNAT: the server answers the router's address */
	put_tuple(nlh, CTA_TUPLE_REPLY, 0, B4, N4, IPPROTO_TCP, 443, 61000);
	mnl_attr_put_u32(nlh, CTA_ID, htonl(0xdeadbeef));
	mnl_attr_put_u32(nlh, CTA_MARK, htonl(0x00010000));
	mnl_attr_put_u32(nlh, CTA_STATUS, htonl(0x8e));
	put_counters(nlh, CTA_COUNTERS_ORIG, 12, 3456);
	put_counters(nlh, CTA_COUNTERS_REPLY, 34, 5000000000ull);
	ts = mnl_attr_nest_start(nlh, CTA_TIMESTAMP);
	mnl_attr_put_u64(nlh, CTA_TIMESTAMP_START, htobe64(1000000000ull));
	mnl_attr_put_u64(nlh, CTA_TIMESTAMP_STOP, htobe64(3000000000ull));
	mnl_attr_nest_end(nlh, ts);
	return nlh;
}

static void test_parse_v4(void **state)
{
	struct nlmsghdr *nlh = v4_conn();
	struct ctacct_rec r = { .kind = CTACCT_DESTROY };

	(void)state;
	assert_int_equal(ctacct_parse(nlh, nlh->nlmsg_len, &r), 0);
	assert_int_equal(r.kind, CTACCT_DESTROY);
	assert_int_equal(r.orig.family, 4);
	assert_memory_equal(r.orig.src, A4, 4);
	assert_memory_equal(r.orig.dst, B4, 4);
	assert_int_equal(r.orig.proto, IPPROTO_TCP);
	assert_int_equal(r.orig.sport, 40000);
	assert_int_equal(r.orig.dport, 443);
	assert_true(r.has_reply);
	assert_memory_equal(r.reply.dst, N4, 4);
	assert_int_equal(r.reply.dport, 61000);
	assert_int_equal(r.id, 0xdeadbeef);
	assert_int_equal(r.mark, 0x10000);
	assert_int_equal(r.status, 0x8e);
	assert_true(r.has_counters);
	assert_int_equal(r.packets[CT_DIR_ORIG], 12);
	assert_int_equal(r.bytes[CT_DIR_ORIG], 3456);
	assert_int_equal(r.packets[CT_DIR_REPLY], 34);
	assert_int_equal(r.bytes[CT_DIR_REPLY], 5000000000ull);
	assert_true(r.has_timestamp);
	assert_int_equal(r.start_ns, 1000000000ull);
	assert_int_equal(r.stop_ns, 3000000000ull);
}

static void test_parse_v6_without_counters(void **state)
{
	uint8_t a[16] = { 0xfd, 0x88, 0, 1 }, b[16] = { 0xfd, 0x88, 0, 2 };
	struct nlmsghdr *nlh = msg(NFNL_SUBSYS_CTNETLINK, IPCTNL_MSG_CT_NEW, AF_INET6);
	struct ctacct_rec r = { .kind = CTACCT_DUMP };

	(void)state;
	a[15] = 2;
	b[15] = 2;
	put_tuple(nlh, CTA_TUPLE_ORIG, 1, a, b, IPPROTO_UDP, 5353, 53);
	mnl_attr_put_u32(nlh, CTA_MARK, htonl(0x20000));
	/* a connection created before accounting was on has no counters */
	assert_int_equal(ctacct_parse(nlh, nlh->nlmsg_len, &r), 0);
	assert_int_equal(r.kind, CTACCT_DUMP);
	assert_int_equal(r.orig.family, 6);
	assert_memory_equal(r.orig.src, a, 16);
	assert_int_equal(r.orig.dport, 53);
	assert_false(r.has_reply);
	assert_false(r.has_counters);
	assert_false(r.has_timestamp);
	assert_int_equal(r.id, 0);
	assert_int_equal(r.mark, 0x20000);
	/* one direction's counters alone are not counters */
	put_counters(nlh, CTA_COUNTERS_ORIG, 1, 100);
	assert_int_equal(ctacct_parse(nlh, nlh->nlmsg_len, &r), 0);
	assert_false(r.has_counters);
}

static void test_parse_refuses(void **state)
{
	struct ctacct_rec r;
	struct nlmsghdr *nlh;
	struct nlattr *t, *ip;

	(void)state;
	/* another subsystem, another message type */
	nlh = v4_conn();
	nlh->nlmsg_type = (NFNL_SUBSYS_QUEUE << 8) | IPCTNL_MSG_CT_NEW;
	assert_int_equal(ctacct_parse(nlh, nlh->nlmsg_len, &r), -1);
	nlh = v4_conn();
	nlh->nlmsg_type = (NFNL_SUBSYS_CTNETLINK << 8) | IPCTNL_MSG_CT_GET_STATS;
	assert_int_equal(ctacct_parse(nlh, nlh->nlmsg_len, &r), -1);
	/* shorter than it says */
	nlh = v4_conn();
	assert_int_equal(ctacct_parse(nlh, nlh->nlmsg_len - 1, &r), -1);
	assert_int_equal(ctacct_parse(nlh, 10, &r), -1);
	/* a length past 2 GiB: libmnl's int comparison would take it (found
	 * by fuzz_ctacct) */
	nlh->nlmsg_len = 0xffffff18;
	assert_int_equal(ctacct_parse(nlh, 257, &r), -1);
	/* no nfgenmsg */
	nlh = mnl_nlmsg_put_header(buf);
	nlh->nlmsg_type = (NFNL_SUBSYS_CTNETLINK << 8) | IPCTNL_MSG_CT_NEW;
	assert_int_equal(ctacct_parse(nlh, nlh->nlmsg_len, &r), -1);
	/* no tuple */
	nlh = msg(NFNL_SUBSYS_CTNETLINK, IPCTNL_MSG_CT_NEW, AF_INET);
	mnl_attr_put_u32(nlh, CTA_MARK, htonl(1));
	assert_int_equal(ctacct_parse(nlh, nlh->nlmsg_len, &r), -1);
	/* an address of the wrong size is ignored, which leaves no address */
	nlh = msg(NFNL_SUBSYS_CTNETLINK, IPCTNL_MSG_CT_NEW, AF_INET);
	t = mnl_attr_nest_start(nlh, CTA_TUPLE_ORIG);
	ip = mnl_attr_nest_start(nlh, CTA_TUPLE_IP);
	mnl_attr_put(nlh, CTA_IP_V4_SRC, 3, A4);
	mnl_attr_put(nlh, CTA_IP_V4_DST, 4, B4);
	mnl_attr_nest_end(nlh, ip);
	mnl_attr_nest_end(nlh, t);
	assert_int_equal(ctacct_parse(nlh, nlh->nlmsg_len, &r), -1);
	/* a counter of the wrong size is ignored: no counters */
	nlh = msg(NFNL_SUBSYS_CTNETLINK, IPCTNL_MSG_CT_NEW, AF_INET);
	put_tuple(nlh, CTA_TUPLE_ORIG, 0, A4, B4, IPPROTO_UDP, 1, 2);
	t = mnl_attr_nest_start(nlh, CTA_COUNTERS_ORIG);
	mnl_attr_put_u32(nlh, CTA_COUNTERS_PACKETS, 1);
	mnl_attr_put_u64(nlh, CTA_COUNTERS_BYTES, 1);
	mnl_attr_nest_end(nlh, t);
	put_counters(nlh, CTA_COUNTERS_REPLY, 1, 1);
	/* and unknown attributes past CTA_MAX are skipped */
	mnl_attr_put_u32(nlh, CTA_MAX + 5, 7);
	assert_int_equal(ctacct_parse(nlh, nlh->nlmsg_len, &r), 0);
	assert_false(r.has_counters);
}

struct req_seen {
	uint32_t mark, mask;
	int have_mark, have_mask;
};

static int req_cb(const struct nlattr *a, void *data)
{
	struct req_seen *s = data;

	if (mnl_attr_get_type(a) == CTA_MARK) {
		s->mark = ntohl(mnl_attr_get_u32(a));
		s->have_mark = 1;
	}
	if (mnl_attr_get_type(a) == CTA_MARK_MASK) {
		s->mask = ntohl(mnl_attr_get_u32(a));
		s->have_mask = 1;
	}
	return MNL_CB_OK;
}

static void test_dump_request(void **state)
{
	struct req_seen s = { 0 };
	const struct nlmsghdr *nlh = (const struct nlmsghdr *)buf;
	const struct nfgenmsg *nfg;
	size_t len;

	(void)state;
	len = ctacct_build_dump(buf, sizeof(buf), 77, 0x10000, 0x10000);
	assert_true(len > 0);
	assert_int_equal(nlh->nlmsg_len, len);
	assert_int_equal(nlh->nlmsg_type, (NFNL_SUBSYS_CTNETLINK << 8) | IPCTNL_MSG_CT_GET);
	assert_int_equal(nlh->nlmsg_flags, NLM_F_REQUEST | NLM_F_DUMP);
	assert_int_equal(nlh->nlmsg_seq, 77);
	nfg = mnl_nlmsg_get_payload(nlh);
	assert_int_equal(nfg->nfgen_family, AF_UNSPEC);
	assert_int_equal(mnl_attr_parse(nlh, sizeof(*nfg), req_cb, &s), MNL_CB_OK);
	assert_true(s.have_mark && s.have_mask);
	assert_int_equal(s.mark, 0x10000);
	assert_int_equal(s.mask, 0x10000);
	/* mask 0: the whole table, no filter attributes */
	memset(&s, 0, sizeof(s));
	len = ctacct_build_dump(buf, sizeof(buf), 78, 0, 0);
	assert_int_equal(mnl_attr_parse(nlh, sizeof(*nfg), req_cb, &s), MNL_CB_OK);
	assert_false(s.have_mark || s.have_mask);
	assert_int_equal(ctacct_build_dump(buf, 32, 1, 1, 1), 0);
}

static void test_sysctl(void **state)
{
	char dir[] = "/tmp/ctacct-sysctl.XXXXXX", path[64], v[4] = { 0 };
	FILE *f;

	(void)state;
	assert_non_null(mkdtemp(dir));
	snprintf(path, sizeof(path), "%s/nf_conntrack_acct", dir);
	f = fopen(path, "w");
	fputs("0\n", f);
	fclose(f);
	assert_int_equal(ctacct_sysctl_ensure(dir, "nf_conntrack_acct"), 1);
	f = fopen(path, "r");
	assert_non_null(fgets(v, sizeof(v), f));
	fclose(f);
	assert_int_equal(v[0], '1');
	assert_int_equal(ctacct_sysctl_ensure(dir, "nf_conntrack_acct"), 0);
	/* missing: an error, reported, never a crash */
	assert_int_equal(ctacct_sysctl_ensure(dir, "nf_conntrack_nothing"), -1);
	unlink(path);
	rmdir(dir);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_parse_v4),
		cmocka_unit_test(test_parse_v6_without_counters),
		cmocka_unit_test(test_parse_refuses),
		cmocka_unit_test(test_dump_request),
		cmocka_unit_test(test_sysctl),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
