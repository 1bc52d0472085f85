/* Unit tests: unknown-flow captures. Which flows are kept and handed over,
 * the pool's bounds, and the pcap layout read back by libpcap itself. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>
#include <pcap/pcap.h>

#include "flow.h"
#include "flowcap.h"
#include "rss.h"

struct sink {
	unsigned calls;
	int refuse;
	uint32_t flow_id;
	uint8_t file[FLOWCAP_FILE_MAX];
	size_t len;
};

static int sink_fn(void *ctx, uint32_t flow_id, const uint8_t *file, size_t len)
{
	struct sink *s = ctx;

	s->calls++;
	s->flow_id = flow_id;
	assert_true(len <= sizeof(s->file));
	memcpy(s->file, file, len);
	s->len = len;
	return s->refuse ? -1 : 0;
}

/* Reads a pcap file's bytes with libpcap: the number of records, each
 * checked against the packet it came from (@data, lengths 100 + i). */
static int read_back(const uint8_t *file, size_t len, int *dlt)
{
	char path[] = "/tmp/netify-flowcap-XXXXXX", err[PCAP_ERRBUF_SIZE];
	struct pcap_pkthdr *h;
	const u_char *data;
	int fd = mkstemp(path), n = 0, rc;
	pcap_t *pc;

	assert_true(fd >= 0);
	assert_int_equal(write(fd, file, len), (ssize_t)len);
	close(fd);
	pc = pcap_open_offline(path, err);
	assert_non_null(pc);
	*dlt = pcap_datalink(pc);
	while ((rc = pcap_next_ex(pc, &h, &data)) == 1) {
		assert_int_equal(h->ts.tv_sec, 1700000000 + n);
		assert_int_equal(h->ts.tv_usec, 5);
		assert_int_equal(h->caplen, 100 + n);
		assert_int_equal(data[0], 0x45);
		assert_int_equal(data[h->caplen - 1], (uint8_t)n);
		n++;
	}
	assert_int_equal(rc, PCAP_ERROR_BREAK);	/* the end, not a broken record */
	pcap_close(pc);
	unlink(path);
	return n;
}

static uint8_t pkt_bytes[8][1500];

static const uint8_t *pkt(unsigned i)
{
	memset(pkt_bytes[i], 0x45, sizeof(pkt_bytes[i]));
	pkt_bytes[i][100 + i - 1] = (uint8_t)i;	/* the last byte kept */
	return pkt_bytes[i];
}

static uint64_t ts(unsigned i)
{
	return (1700000000ull + i) * 1000000 + 5;
}

static void layout_read_by_libpcap(void **state)
{
	struct flowcap_pkt p[3];
	uint8_t file[FLOWCAP_FILE_MAX];
	size_t len;
	int dlt;
	unsigned i;

	(void)state;
	for (i = 0; i < 3; i++)
		p[i] = (struct flowcap_pkt){ ts(i), pkt(i), 100 + i, 1400 };
	len = flowcap_pcap_build(file, sizeof(file), 101, p, 3);
	assert_int_equal(len, FLOWCAP_PCAP_HDR + 3 * FLOWCAP_REC_HDR + 100 + 101 + 102);
	assert_int_equal(read_back(file, len, &dlt), 3);
	assert_int_equal(decode_link_from_dlt(dlt), LINK_RAW);	/* libpcap says DLT_RAW */
	/* a cap cuts whole records */
	len = flowcap_pcap_build(file, FLOWCAP_PCAP_HDR + 2 * FLOWCAP_REC_HDR + 201, 1, p, 3);
	assert_int_equal(len, FLOWCAP_PCAP_HDR + 2 * FLOWCAP_REC_HDR + 201);
	assert_int_equal(read_back(file, len, &dlt), 2);
	assert_int_equal(decode_link_from_dlt(dlt), LINK_ETHERNET);
}

static void flow_init(struct flow *f, uint32_t id)
{
	memset(f, 0, sizeof(*f));
	f->id = id;
	f->app_id = -1;
	f->state = FLOW_INSPECTING;
}

/* An unknown flow keeps its first FLOWCAP_PKTS packets and is handed over
 * when its inspection ends on a packet, after that packet. */
static void unknown_flow_handed_over(void **state)
{
	struct sink s = { 0 };
	struct flowcap *c = flowcap_new(4, FLOWCAP_FILE_MAX, sink_fn, &s);
	struct flowcap_slot *slot = NULL;
	struct flowcap_stats st;
	struct flow f;
	unsigned i;
	int dlt;

	(void)state;
	assert_non_null(c);
	flow_init(&f, 42);
	for (i = 0; i < 5; i++) {
		if (i == 4) {	/* inspection ends on the fifth packet */
			flowcap_flow_done(c, &slot, &f, true);
			assert_int_equal(s.calls, 0);
			f.state = FLOW_DONE;
		}
		flowcap_packet(c, &slot, &f, i == 0, LINK_RAW, pkt(i), 100 + i, ts(i));
	}
	assert_null(slot);
	assert_int_equal(s.calls, 1);
	assert_int_equal(s.flow_id, 42);
	assert_int_equal(read_back(s.file, s.len, &dlt), FLOWCAP_PKTS);
	assert_int_equal(decode_link_from_dlt(dlt), LINK_RAW);
	flowcap_stats(c, &st);
	assert_int_equal(st.in_use, 0);
	assert_int_equal(st.packets, FLOWCAP_PKTS);
	assert_int_equal(st.handed, 1);
	assert_int_equal(st.refused, 0);
	flowcap_free(c);
}

/* A flow that ends named gives its slot back without a file; one that ends
 * unknown outside a packet (expiry) is handed over at once; one that
 * leaves the table with a file pending hands it over then. */
static void known_flows_and_other_endings(void **state)
{
	struct sink s = { 0 };
	struct flowcap *c = flowcap_new(4, FLOWCAP_FILE_MAX, sink_fn, &s);
	struct flowcap_slot *slot = NULL;
	struct flowcap_stats st;
	struct flow f;

	(void)state;
	flow_init(&f, 1);
	flowcap_packet(c, &slot, &f, true, LINK_ETHERNET, pkt(0), 100, ts(0));
	f.proto_master = 7;
	flowcap_flow_done(c, &slot, &f, true);
	assert_null(slot);
	assert_int_equal(s.calls, 0);

	flow_init(&f, 2);
	flowcap_packet(c, &slot, &f, true, LINK_ETHERNET, pkt(0), 100, ts(0));
	flowcap_flow_done(c, &slot, &f, false);
	assert_null(slot);
	assert_int_equal(s.calls, 1);
	assert_int_equal(s.flow_id, 2);

	flow_init(&f, 3);
	flowcap_packet(c, &slot, &f, true, LINK_ETHERNET, pkt(0), 100, ts(0));
	flowcap_flow_done(c, &slot, &f, true);
	assert_non_null(slot);
	flowcap_flow_gone(c, &slot, &f);
	assert_null(slot);
	assert_int_equal(s.calls, 2);
	assert_int_equal(s.flow_id, 3);

	/* a flow whose first packet already ended inspection is not kept */
	flow_init(&f, 4);
	f.state = FLOW_DONE;
	flowcap_packet(c, &slot, &f, true, LINK_ETHERNET, pkt(0), 100, ts(0));
	assert_null(slot);
	flowcap_stats(c, &st);
	assert_int_equal(st.in_use, 0);
	assert_int_equal(st.handed, 2);
	flowcap_free(c);
}

/* Every bound counts: an empty pool, a sink that refuses, captures off. */
static void bounds_counted(void **state)
{
	struct sink s = { .refuse = 1 };
	struct flowcap *c = flowcap_new(1, FLOWCAP_FILE_MAX, sink_fn, &s);
	struct flowcap_slot *a = NULL, *b = NULL;
	struct flowcap_stats st;
	struct flow fa, fb;

	(void)state;
	assert_null(flowcap_new(0, FLOWCAP_FILE_MAX, sink_fn, &s));
	flow_init(&fa, 1);
	flow_init(&fb, 2);
	flowcap_packet(c, &a, &fa, true, LINK_RAW, pkt(0), 100, ts(0));
	flowcap_packet(c, &b, &fb, true, LINK_RAW, pkt(0), 100, ts(0));
	assert_non_null(a);
	assert_null(b);
	flowcap_flow_done(c, &a, &fa, false);
	assert_int_equal(s.calls, 1);
	flowcap_stats(c, &st);
	assert_int_equal(st.slots, 1);
	assert_int_equal(st.pool_empty, 1);
	assert_int_equal(st.handed, 1);
	assert_int_equal(st.refused, 1);
	assert_int_equal(st.in_use, 0);
	flowcap_free(c);
	/* off: nothing is kept */
	flowcap_packet(NULL, &a, &fa, true, LINK_RAW, pkt(0), 100, ts(0));
	flowcap_flow_done(NULL, &a, &fa, false);
	flowcap_flow_gone(NULL, &a, &fa);
	assert_null(a);
}

/* Slots are touched only when flows use them: 16,384 slots (34 MiB) cost
 * no resident memory at creation, and a freed slot serves the next flow. */
static void slots_lazy(void **state)
{
	struct sink s = { 0 };
	long before = rss_kib();
	struct flowcap *c = flowcap_new(16384, FLOWCAP_FILE_MAX, sink_fn, &s);
	struct flowcap_slot *a = NULL;
	struct flowcap_stats st;
	struct flow f;
	unsigned i;

	(void)state;
	assert_non_null(c);
	if (before >= 0)
		assert_true(rss_kib() - before < 4096);
	for (i = 0; i < 3; i++) {
		flow_init(&f, i + 1);
		flowcap_packet(c, &a, &f, true, LINK_RAW, pkt(0), 100, ts(0));
		assert_non_null(a);
		f.proto_master = 7;
		flowcap_flow_done(c, &a, &f, false);
		assert_null(a);
	}
	flowcap_stats(c, &st);
	assert_int_equal(st.in_use, 0);
	assert_int_equal(st.pool_empty, 0);
	flowcap_free(c);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(layout_read_by_libpcap),
		cmocka_unit_test(unknown_flow_handed_over),
		cmocka_unit_test(known_flows_and_other_endings),
		cmocka_unit_test(bounds_counted),
		cmocka_unit_test(slots_lazy),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
