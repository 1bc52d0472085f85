/* NFQUEUE source: packet message parsing (attribute validation) and the
 * latency histogram. The socket side is covered by tests/lab/lab.sh. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include <arpa/inet.h>
#include <libmnl/libmnl.h>
#include <linux/netfilter/nfnetlink.h>
#include <linux/netfilter/nfnetlink_queue.h>

#include "nfq.h"

static const uint8_t ip_payload[28] = { 0x45, 0, 0, 28, 0, 0, 0, 0, 64, 17 };

/* A packet message as the kernel sends it; hdr = 0 leaves the header out. */
static struct nlmsghdr *pkt_msg(char *buf, int hdr, int bad_mark)
{
	struct nlmsghdr *nlh = mnl_nlmsg_put_header(buf);
	struct nfqnl_msg_packet_hdr ph = { .packet_id = htonl(77), .hw_protocol = htons(0x0800) };
	struct nfqnl_msg_packet_hw hw = { .hw_addrlen = htons(6), .hw_addr = { 2, 0, 0, 0, 0, 9 } };
	struct nfgenmsg *g;

	nlh->nlmsg_type = (NFNL_SUBSYS_QUEUE << 8) | NFQNL_MSG_PACKET;
	g = mnl_nlmsg_put_extra_header(nlh, sizeof(*g));
	g->nfgen_family = AF_INET;
	if (hdr)
		mnl_attr_put(nlh, NFQA_PACKET_HDR, sizeof(ph), &ph);
	if (bad_mark)
		mnl_attr_put_u16(nlh, NFQA_MARK, 1);	/* wrong size: must be ignored */
	else
		mnl_attr_put_u32(nlh, NFQA_MARK, htonl(0x00ab0001));
	mnl_attr_put_u32(nlh, NFQA_IFINDEX_INDEV, htonl(3));
	mnl_attr_put(nlh, NFQA_HWADDR, sizeof(hw), &hw);
	mnl_attr_put_u16(nlh, 250, 7);			/* unknown type: skipped */
	mnl_attr_put(nlh, NFQA_PAYLOAD, sizeof(ip_payload), ip_payload);
	return nlh;
}

static void test_parse_packet(void **state)
{
	char buf[1024] __attribute__((aligned(4)));
	struct nfqueue_pkt p;

	(void)state;
	assert_int_equal(nfqueue_parse(pkt_msg(buf, 1, 0), &p), 0);
	assert_int_equal(p.id, 77);
	assert_int_equal(p.hw_proto, 0x0800);
	assert_int_equal(p.mark, 0x00ab0001);
	assert_int_equal(p.indev, 3);
	assert_true(p.has_hwaddr);
	assert_int_equal(p.hwaddr[5], 9);
	assert_int_equal(p.len, sizeof(ip_payload));
	assert_memory_equal(p.payload, ip_payload, sizeof(ip_payload));
	assert_false(p.has_ct);
}

static void test_parse_rejects_and_skips(void **state)
{
	char buf[1024] __attribute__((aligned(4)));
	struct nfqueue_pkt p;

	(void)state;
	/* no packet header: nothing to answer */
	assert_int_equal(nfqueue_parse(pkt_msg(buf, 0, 0), &p), -1);
	/* a mark of the wrong size is dropped, the rest still parses */
	assert_int_equal(nfqueue_parse(pkt_msg(buf, 1, 1), &p), 0);
	assert_int_equal(p.mark, 0);
	assert_int_equal(p.id, 77);
}

static void test_parse_truncated(void **state)
{
	char buf[1024] __attribute__((aligned(4)));
	struct nlmsghdr *nlh = mnl_nlmsg_put_header(buf);
	struct nfqueue_pkt p;

	(void)state;
	nlh->nlmsg_type = (NFNL_SUBSYS_QUEUE << 8) | NFQNL_MSG_PACKET;
	/* shorter than the nfgenmsg header */
	assert_int_equal(nfqueue_parse(nlh, &p), -1);
}

static void test_latency_histogram(void **state)
{
	uint64_t hist[NFQUEUE_LAT_BUCKETS] = { 0 };
	int i;

	(void)state;
	assert_int_equal(nfqueue_lat_percentile(hist, 0.5), 0);
	for (i = 0; i < 98; i++)
		nfqueue_lat_add(hist, 1000);
	nfqueue_lat_add(hist, 1000000);
	nfqueue_lat_add(hist, 1000000);
	/* bucket bounds are within 25% above the value */
	assert_in_range(nfqueue_lat_percentile(hist, 0.50), 1000, 1250);
	assert_in_range(nfqueue_lat_percentile(hist, 0.98), 1000, 1250);
	assert_in_range(nfqueue_lat_percentile(hist, 0.99), 1000000, 1250000);
	assert_in_range(nfqueue_lat_percentile(hist, 1.0), 1000000, 1250000);
}

static void test_latency_edges(void **state)
{
	uint64_t hist[NFQUEUE_LAT_BUCKETS] = { 0 };
	uint64_t sum = 0;
	unsigned int i;

	(void)state;
	nfqueue_lat_add(hist, 0);
	nfqueue_lat_add(hist, 3);
	nfqueue_lat_add(hist, UINT64_MAX);	/* clipped into the last bucket */
	for (i = 0; i < NFQUEUE_LAT_BUCKETS; i++)
		sum += hist[i];
	assert_int_equal(sum, 3);
	assert_int_equal(hist[0], 1);
	assert_int_equal(hist[3], 1);
	assert_int_equal(hist[NFQUEUE_LAT_BUCKETS - 1], 1);
	assert_int_equal(nfqueue_lat_percentile(hist, 0.1), 1);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_parse_packet),
		cmocka_unit_test(test_parse_rejects_and_skips),
		cmocka_unit_test(test_parse_truncated),
		cmocka_unit_test(test_latency_histogram),
		cmocka_unit_test(test_latency_edges),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
