/* Unit tests: the engine's inspection lifecycle. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <netinet/in.h>
#include <pthread.h>
#include <cmocka.h>

#include "dnsbuild.h"
#include "dpi.h"
#include "engine.h"
#include "meta.h"
#include "pktbuild.h"

struct seen {
	unsigned done, purged;
	enum flow_end why;
	uint16_t master;	/* of the last flow done */
	bool guessed;
};

static void on_done(void *user, struct engine *e, struct flow *f)
{
	struct seen *s = user;

	(void)e;
	s->done++;
	s->why = (enum flow_end)f->end_reason;
	s->master = f->proto_master;
	s->guessed = f->guessed;
}

static void on_purge(void *user, struct engine *e, struct flow *f, enum flow_purge why)
{
	struct seen *s = user;

	(void)e;
	(void)f;
	(void)why;
	s->purged++;
}

static struct engine *new_engine(struct seen *s)
{
	struct engine_cfg cfg;

	engine_cfg_defaults(&cfg);
	cfg.flow_capacity = 64;
	cfg.dns_cache_size = 0;
	cfg.cb.flow_done = on_done;
	cfg.cb.flow_purge = on_purge;
	cfg.cb.user = s;
	return engine_new(&cfg);
}

static void udp(struct engine *e, uint16_t sport, uint64_t ts_us)
{
	struct pb b = { .len = 0 };
	struct engine_result r;
	char dst[32];

	/* One server per flow and a payload no dissector claims. */
	snprintf(dst, sizeof(dst), "10.9.%u.%u", sport >> 8, sport & 0xff);
	pb_ipv4(&b, IPPROTO_UDP, "192.168.1.10", dst, 8 + 12, 0, 0);
	pb_udp(&b, sport, 33333, 12);
	pb_bytes(&b, "qzjxkwvqzjxk", 12);
	engine_process(e, LINK_RAW, b.buf, (uint32_t)b.len, ts_us, &r);
	assert_int_equal(r.status, DECODE_OK);
}

/* A lone unknown UDP packet gives its inspection state back after
 * inspect_idle (30 s), long before the flow itself expires (120 s). */
static void idle_inspection_ends_early(void **state)
{
	struct seen s = { 0 };
	struct engine *e = new_engine(&s);
	const uint64_t t0 = 1000000000ULL;

	(void)state;
	udp(e, 47123, t0);
	assert_int_equal(s.done, 0);	/* nothing nDPI knows: still inspected */
	udp(e, 47124, t0 + 20000000);
	assert_int_equal(s.done, 0);
	engine_expire(e, t0 + 29000000);
	assert_int_equal(s.done, 0);
	engine_expire(e, t0 + 31000000);	/* first flow idle 31 s, second 11 s */
	assert_int_equal(s.done, 1);
	assert_int_equal(s.why, FLOW_END_IDLE);
	assert_int_equal(s.purged, 0);
	assert_int_equal(engine_flow_stats(e)->active, 2);
	udp(e, 47124, t0 + 40000000);	/* refreshed: idle again from here */
	engine_expire(e, t0 + 65000000);
	assert_int_equal(s.done, 1);
	engine_expire(e, t0 + 71000000);
	assert_int_equal(s.done, 2);
	assert_int_equal(engine_stats(e)->flows_done[FLOW_END_IDLE], 2);
	engine_free(e);
	assert_int_equal(s.purged, 2);
}

/* One IPv4 TCP segment 192.168.1.10:sport <-> 10.9.0.1:dport; from the
 * server when !c2s. */
static struct flow *tcp(struct engine *e, bool c2s, uint16_t sport, uint16_t dport, uint8_t flags,
			const void *payload, uint16_t len, uint64_t ts_us)
{
	struct pb b = { .len = 0 };
	struct engine_result r;

	pb_ipv4(&b, IPPROTO_TCP, c2s ? "192.168.1.10" : "10.9.0.1", c2s ? "10.9.0.1" : "192.168.1.10",
		(uint16_t)(20 + len), 0, 0);
	pb_tcp(&b, c2s ? sport : dport, c2s ? dport : sport, flags);
	if (len)
		pb_bytes(&b, payload, len);
	engine_process(e, LINK_RAW, b.buf, (uint32_t)b.len, ts_us, &r);
	assert_int_equal(r.status, DECODE_OK);
	return r.flow;
}

#define TH_FIN_ 0x01
#define TH_SYN_ 0x02
#define TH_PSH_ 0x08
#define TH_ACK_ 0x10

/* A connection picked up mid-stream sends bare ACKs: nDPI is not shown
 * them, so its flow state is not taken (the head alone); when inspection
 * ends before any payload, nDPI still guesses by port as it would have had
 * it seen the ACKs (TLS for 443). The first payload is shown to nDPI. */
static void midstream_acks_wait_for_payload(void **state)
{
	struct seen s = { 0 };
	struct engine *e = new_engine(&s);
	const uint64_t t0 = 1000000000ULL;
	struct flow *f;
	unsigned i;

	(void)state;
	for (i = 0; i < 4; i++)
		f = tcp(e, i % 2 == 0, 50000, 443, TH_ACK_, NULL, 0, t0 + i * 1000);
	assert_int_equal(f->state, FLOW_INSPECTING);
	assert_false(dpi_flow_fed(f->dpi));
	assert_int_equal(f->detection_packets, 4);
	engine_expire(e, t0 + 31000000);	/* idle: nDPI guesses from a header */
	assert_int_equal(s.done, 1);
	assert_int_equal(s.why, FLOW_END_IDLE);
	assert_true(dpi_proto_is_tls(s.master));
	assert_true(s.guessed);

	f = tcp(e, true, 50001, 47000, TH_ACK_, NULL, 0, t0 + 40000000);
	assert_false(dpi_flow_fed(f->dpi));
	f = tcp(e, true, 50001, 47000, TH_ACK_ | TH_PSH_, "qzjxkwvqzjxk", 12, t0 + 40001000);
	assert_true(dpi_flow_fed(f->dpi));
	/* a SYN is shown to nDPI at once (its handshake tracking wants it) */
	f = tcp(e, true, 50002, 47000, TH_SYN_, NULL, 0, t0 + 40002000);
	assert_true(dpi_flow_fed(f->dpi));
	engine_free(e);
}

/* TLS application data records from both sides of a connection nDPI has
 * not named (picked up mid-stream): nothing more will be in clear. */
static void tls_application_data_ends_inspection(void **state)
{
	struct seen s = { 0 };
	struct engine *e = new_engine(&s);
	const uint64_t t0 = 1000000000ULL;
	uint8_t rec[5 + 40] = { 23, 3, 3, 0, 40 };
	unsigned i;

	(void)state;
	for (i = 5; i < sizeof(rec); i++)
		rec[i] = (uint8_t)(i * 37);
	tcp(e, true, 50010, 443, TH_ACK_ | TH_PSH_, rec, sizeof(rec), t0);
	tcp(e, false, 50010, 443, TH_ACK_ | TH_PSH_, rec, sizeof(rec), t0 + 1000);
	assert_int_equal(s.done, 1);
	assert_int_equal(s.why, FLOW_END_ENCRYPTED);
	assert_int_equal(engine_stats(e)->flows_done[FLOW_END_ENCRYPTED], 1);

	/* the same bytes under a content type TLS does not have: not TLS data */
	rec[0] = 99;
	tcp(e, true, 50011, 443, TH_ACK_ | TH_PSH_, rec, sizeof(rec), t0 + 2000);
	tcp(e, false, 50011, 443, TH_ACK_ | TH_PSH_, rec, sizeof(rec), t0 + 3000);
	assert_int_equal(engine_stats(e)->flows_done[FLOW_END_ENCRYPTED], 1);
	engine_free(e);
}

/* Both sides' FIN end inspection (reason "closed"); one FIN does not. */
static void both_fins_end_inspection(void **state)
{
	struct seen s = { 0 };
	struct engine *e = new_engine(&s);
	const uint64_t t0 = 1000000000ULL;

	(void)state;
	tcp(e, true, 50020, 47001, TH_SYN_, NULL, 0, t0);
	tcp(e, false, 50020, 47001, TH_SYN_ | TH_ACK_, NULL, 0, t0 + 1000);
	tcp(e, true, 50020, 47001, TH_ACK_, NULL, 0, t0 + 2000);
	tcp(e, true, 50020, 47001, TH_ACK_ | TH_PSH_, "qzjxkwvqzjxk", 12, t0 + 3000);
	tcp(e, true, 50020, 47001, TH_ACK_ | TH_FIN_, NULL, 0, t0 + 4000);
	assert_int_equal(s.done, 0);	/* half closed: the server may still send */
	tcp(e, false, 50020, 47001, TH_ACK_ | TH_FIN_, NULL, 0, t0 + 5000);
	assert_int_equal(s.done, 1);
	assert_int_equal(s.why, FLOW_END_CLOSED);
	engine_free(e);
}

/* More packets than the budget end inspection with reason "budget". */
static void budget_ends_inspection(void **state)
{
	struct seen s = { 0 };
	struct engine *e = new_engine(&s);
	unsigned i;

	(void)state;
	for (i = 0; i < 40; i++)
		udp(e, 6000, 1000000000ULL + i * 1000);
	assert_int_equal(s.done, 1);
	assert_int_equal(s.why, FLOW_END_BUDGET);
	engine_free(e);
}

/* A DNS answer over UDP: the result carries the decoded packet and the
 * answer the hint cache read, so nothing after the engine reads the packet
 * again; engine_lookup() + engine_inspect() is engine_process(). */
static void result_carries_packet_and_dns_answer(void **state)
{
	struct seen s = { 0 };
	struct engine *e = new_engine(&s);
	struct engine_result r;
	struct dnsb d;
	struct pb b = { .len = 0 };
	size_t dns_at;

	(void)state;
	dnsb_header(&d, 7, 1, 0, 1, 1);
	dnsb_question(&d, "chat.example.org", 1);
	dnsb_a(&d, "chat.example.org", 300, 10, 9, 8, 7);
	pb_ipv4(&b, IPPROTO_UDP, "192.168.1.1", "192.168.1.10", (uint16_t)(8 + d.len), 0, 4);
	pb_udp(&b, 53, 40000, (uint16_t)d.len);
	dns_at = b.len;
	pb_bytes(&b, d.buf, d.len);
	assert_int_equal(engine_lookup(e, LINK_RAW, b.buf, (uint32_t)b.len, 1000000, &r), 0);
	assert_non_null(r.flow);
	assert_true(r.created);
	assert_int_equal(r.flow->packets[0] + r.flow->packets[1], 0);	/* not inspected yet */
	engine_inspect(e, &r);
	assert_int_equal(r.flow->packets[r.side], 1);
	assert_int_equal(r.pkt.family, 4);
	assert_int_equal(r.pkt.sport, 53);
	assert_ptr_equal(r.pkt.payload, b.buf + dns_at);	/* past the IPv4 options */
	assert_ptr_equal(r.dns, b.buf + dns_at);
	assert_int_equal(r.dns_len, d.len);

	/* the query the other way is no answer */
	b.len = 0;
	pb_ipv4(&b, IPPROTO_UDP, "192.168.1.10", "192.168.1.1", 8 + 4, 0, 0);
	pb_udp(&b, 40000, 53, 4);
	pb_bytes(&b, "abcd", 4);
	assert_int_equal(engine_process(e, LINK_RAW, b.buf, (uint32_t)b.len, 2000000, &r), 0);
	assert_false(r.created);
	assert_null(r.dns);
	assert_int_equal(r.dns_len, 0);
	engine_free(e);
}

/* A DNS query from client port @sport to 192.168.1.1; its flow. */
static struct flow *dns_query(struct engine *e, uint16_t sport, uint64_t ts_us)
{
	struct pb b = { .len = 0 };
	struct engine_result r;
	struct dnsb d;

	dnsb_header(&d, sport, 0, 0, 1, 0);
	dnsb_question(&d, "www.example.org", 1);
	pb_ipv4(&b, IPPROTO_UDP, "192.168.1.10", "192.168.1.1", (uint16_t)(8 + d.len), 0, 0);
	pb_udp(&b, sport, 53, (uint16_t)d.len);
	pb_bytes(&b, d.buf, d.len);
	assert_int_equal(engine_process(e, LINK_RAW, b.buf, (uint32_t)b.len, ts_us, &r), 0);
	assert_non_null(r.flow);
	return r.flow;
}

/* netify's text of a flow (here DNS) comes from a bounded pool: flows past
 * text_capacity go on being inspected without it, counted once each; a
 * flow whose inspection ends gives its place back. */
static void text_pool_bounded(void **state)
{
	struct seen s = { 0 };
	struct engine_cfg cfg;
	struct flow *f[40], *g;
	struct flow_meta m;
	struct engine *e;
	unsigned i;

	(void)state;
	engine_cfg_defaults(&cfg);
	cfg.flow_capacity = 256;
	cfg.dns_cache_size = 0;
	cfg.text_capacity = 32;
	cfg.cb.flow_done = on_done;
	cfg.cb.user = &s;
	assert_non_null(e = engine_new(&cfg));
	for (i = 0; i < 40; i++)
		f[i] = dns_query(e, (uint16_t)(20000 + i), 1000000ULL + i);
	for (i = 0; i < 40; i++) {
		assert_int_equal(f[i]->state, FLOW_INSPECTING);
		assert_int_equal(engine_flow_meta(e, f[i], &m), 0);
		assert_true(m.is_dns);
		assert_string_equal(m.host, "www.example.org");	/* nDPI's, not the pool's */
		if (i < 32) {
			assert_non_null(m.dns);
			assert_int_equal(m.dns->qtype, 1);
		} else {
			assert_null(m.dns);
		}
	}
	assert_int_equal(engine_stats(e)->text_full, 8);
	dns_query(e, 20039, 2000000);		/* a refused flow again: not counted twice */
	assert_int_equal(engine_stats(e)->text_full, 8);
	g = dns_query(e, 20040, 2000001);	/* still full */
	assert_int_equal(engine_flow_meta(e, g, &m), 0);
	assert_null(m.dns);
	assert_int_equal(engine_stats(e)->text_full, 9);
	engine_finish(e, f[0], FLOW_END_DECIDED);	/* gives its place back */
	g = dns_query(e, 20041, 2000002);
	assert_int_equal(engine_flow_meta(e, g, &m), 0);
	assert_non_null(m.dns);
	assert_int_equal(m.dns->qtype, 1);
	assert_int_equal(engine_stats(e)->text_full, 9);
	engine_free(e);
}

/* Engines of two threads sharing one nDPI module (dpi_share): each names
 * its own DNS flows while the other runs; the module outlives whichever
 * engine goes first. */
struct dns_runner {
	struct engine *e;
	uint8_t net;		/* client addresses 192.168.<net>.x */
	unsigned named;
};

static void *dns_run(void *arg)
{
	struct dns_runner *t = arg;
	unsigned i;

	for (i = 0; i < 2000; i++) {
		struct pb b = { .len = 0 };
		struct engine_result r;
		struct dnsb d;
		char src[32];
		const char *name;

		dnsb_header(&d, (uint16_t)i, 0, 0, 1, 0);
		dnsb_question(&d, "www.example.org", 1);
		snprintf(src, sizeof(src), "192.168.%u.%u", t->net, 1 + i % 200);
		pb_ipv4(&b, IPPROTO_UDP, src, "192.168.1.1", (uint16_t)(8 + d.len), 0, 0);
		pb_udp(&b, (uint16_t)(20000 + i), 53, (uint16_t)d.len);
		pb_bytes(&b, d.buf, d.len);
		if (engine_process(t->e, LINK_RAW, b.buf, (uint32_t)b.len, 1000000ULL + i, &r) ||
		    !r.flow)
			continue;
		name = engine_proto_name(t->e, r.flow->proto_master);
		if (name && strcmp(name, "DNS") == 0)
			t->named++;
	}
	return NULL;
}

static void shared_module_two_threads(void **state)
{
	struct seen s = { 0 };
	struct engine_cfg cfg;
	struct dns_runner t[2] = { { .net = 2 }, { .net = 3 } };
	pthread_t th[2];
	int i;

	(void)state;
	engine_cfg_defaults(&cfg);
	cfg.flow_capacity = 4096;
	cfg.dns_cache_size = 0;
	cfg.cb.user = &s;
	assert_non_null(t[0].e = engine_new(&cfg));
	cfg.dpi_share = t[0].e;
	assert_non_null(t[1].e = engine_new(&cfg));
	assert_string_equal(engine_proto_name(t[1].e, 5), engine_proto_name(t[0].e, 5));
	for (i = 0; i < 2; i++)
		assert_int_equal(pthread_create(&th[i], NULL, dns_run, &t[i]), 0);
	for (i = 0; i < 2; i++)
		pthread_join(th[i], NULL);
	assert_int_equal(t[0].named, 2000);
	assert_int_equal(t[1].named, 2000);
	engine_free(t[0].e);		/* the sharer still uses the module */
	t[0].e = NULL;
	dns_run(&t[1]);
	assert_int_equal(t[1].named, 4000);
	engine_free(t[1].e);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(idle_inspection_ends_early),
		cmocka_unit_test(budget_ends_inspection),
		cmocka_unit_test(midstream_acks_wait_for_payload),
		cmocka_unit_test(tls_application_data_ends_inspection),
		cmocka_unit_test(both_fins_end_inspection),
		cmocka_unit_test(result_carries_packet_and_dns_answer),
		cmocka_unit_test(shared_module_two_threads),
		cmocka_unit_test(text_pool_bounded),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
