/* Unit tests of the exporter (src/export/export.c) over real loopback
 * sockets, driven with export_poll() and a clock the test moves: sequence
 * numbers per collector, templates first and refreshed by time and by
 * messages on UDP, on every new TCP connection, the queue bound and the
 * rate cap counted, a collector that is down costing only counters. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <poll.h>
#include <cmocka.h>

#include "export.h"
#include "ipfix.h"
#include "ipfixparse.h"
#include "util.h"

#define MSGS_MAX 256

struct rx {
	uint8_t *m[MSGS_MAX];
	size_t len[MSGS_MAX];
	unsigned n;
};

static int listen_on(int type, uint16_t *port)
{
	struct sockaddr_in a = { .sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
	socklen_t l = sizeof(a);
	int fd = socket(AF_INET, type, 0), one = 1;

	assert_true(fd >= 0);
	setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	a.sin_port = htons(*port);
	assert_int_equal(bind(fd, (struct sockaddr *)&a, sizeof(a)), 0);
	assert_int_equal(getsockname(fd, (struct sockaddr *)&a, &l), 0);
	*port = ntohs(a.sin_port);
	if (type == SOCK_STREAM)
		assert_int_equal(listen(fd, 4), 0);
	return fd;
}

static void rx_free(struct rx *r)
{
	unsigned i;

	for (i = 0; i < r->n; i++)
		free(r->m[i]);
	r->n = 0;
}

/* Every datagram waiting on fd. */
static void rx_udp(int fd, struct rx *r)
{
	uint8_t buf[65536];
	ssize_t n;

	while (r->n < MSGS_MAX && (n = recv(fd, buf, sizeof(buf), MSG_DONTWAIT)) > 0) {
		r->m[r->n] = malloc((size_t)n);
		memcpy(r->m[r->n], buf, (size_t)n);
		r->len[r->n++] = (size_t)n;
	}
}

/* Every whole message waiting on a TCP stream (the length is in the header). */
static void rx_tcp(int fd, struct rx *r)
{
	static uint8_t buf[1 << 20];
	static size_t have;
	struct pollfd p = { .fd = fd, .events = POLLIN };
	ssize_t n;
	size_t len;

	if (fd < 0) {
		have = 0;
		return;
	}
	while (poll(&p, 1, 50) > 0 && (n = recv(fd, buf + have, sizeof(buf) - have, 0)) > 0)
		have += (size_t)n;
	while (have >= IPFIX_HDR_LEN && have >= (len = get16(buf + 2)) && r->n < MSGS_MAX) {
		r->m[r->n] = malloc(len);
		memcpy(r->m[r->n], buf, len);
		r->len[r->n++] = len;
		memmove(buf, buf + len, have - len);
		have -= len;
	}
}

static void record(struct export_record *r, unsigned i)
{
	memset(r, 0, sizeof(*r));
	r->flow_id = i;
	r->start_ms = 1700000000000ull + i;
	r->end_ms = r->start_ms + 10;
	r->bytes[0] = 100 + i;
	r->packets[0] = 1;
	r->family = i % 2 ? 6 : 4;
	r->proto = 17;
	r->sport = (uint16_t)(1024 + i);
	r->dport = 53;
	r->saddr[0] = 10;
	r->daddr[0] = 192;
	r->end = EXPORT_END_IDLE;
	r->app_id = i % 3 ? 100 + i % 3 : 0;
	r->ndpi_id = 5;
	snprintf(r->app_name, sizeof(r->app_name), "app%u", i % 3);
	strcpy(r->category, "utilities");
	strcpy(r->ndpi_name, "DNS");
}

static struct exporter *udp_exporter(struct export_cfg *cfg, uint16_t port)
{
	char err[128], s[32];
	struct exporter *x;

	snprintf(s, sizeof(s), "127.0.0.1:%u", port);
	assert_int_equal(export_collector_parse(s, &cfg->collectors[cfg->n_collectors++], err, sizeof(err)), 0);
	x = export_new(cfg);
	assert_non_null(x);
	return x;
}

/* Checks a stream of messages: the first carries templates, sequence
 * numbers count the data records before each message. Returns the flow
 * records seen; *tmpl_msgs counts messages with templates. */
static unsigned check_stream(struct rx *r, uint32_t seq0, uint32_t domain, unsigned *tmpl_msgs, uint32_t *seq_end)
{
	struct tmpl t[8];
	unsigned nt = 0, i, flows = 0, recs;
	uint32_t seq = seq0;

	*tmpl_msgs = 0;
	for (i = 0; i < r->n; i++) {
		const uint8_t *m = r->m[i];

		assert_int_equal(get16(m), 10);
		assert_int_equal(get32(m + 12), domain);
		assert_int_equal(get32(m + 8), seq);
		if (get16(m + IPFIX_HDR_LEN) == IPFIX_SET_TEMPLATE) {
			nt = parse_templates(m, r->len[i], t, 8);
			(*tmpl_msgs)++;
			continue;
		}
		assert_true(nt > 0);	/* never data before templates */
		recs = count_records(m, r->len[i], t, nt);
		if (get16(m + IPFIX_HDR_LEN) != IPFIX_TID_APPS)
			flows += recs;
		seq += recs;
	}
	*seq_end = seq;
	return flows;
}

static void udp_sequence_templates(void **state)
{
	struct export_cfg cfg;
	struct export_record r;
	struct export_stats st;
	struct rx rx = { 0 };
	uint16_t port = 0;
	int fd = listen_on(SOCK_DGRAM, &port);
	struct exporter *x;
	unsigned i, tm;
	uint32_t seq;

	(void)state;
	export_cfg_defaults(&cfg);
	cfg.domain = 4242;
	cfg.template_refresh = 60;
	cfg.template_refresh_packets = 0;
	x = udp_exporter(&cfg, port);
	for (i = 0; i < 40; i++) {
		record(&r, i);
		assert_int_equal(export_push(x, &r), 0);
	}
	export_poll(x, 1000);		/* several full messages go out at once */
	export_poll(x, 1000 + cfg.flush_ms);	/* the last, partly filled one */
	rx_udp(fd, &rx);
	assert_int_equal(check_stream(&rx, 0, 4242, &tm, &seq), 40);
	assert_int_equal(tm, 1);
	assert_int_equal(seq, 40 + 3);	/* 40 flows + 3 applications announced */
	export_stats(x, &st);
	assert_int_equal(st.pushed, 40);
	assert_int_equal(st.encoded, 40);
	assert_int_equal(st.apps, 3);	/* app1, app2 and nDPI's DNS */
	assert_int_equal(st.c[0].records, 43);
	assert_int_equal(st.c[0].templates, 1);
	assert_int_equal(st.c[0].sequence, 43);
	assert_int_equal(st.c[0].dropped, 0);
	rx_free(&rx);

	/* before the refresh time: no templates; at it: templates again */
	record(&r, 100);
	export_push(x, &r);
	export_flush(x, 2000);
	record(&r, 101);
	export_push(x, &r);
	export_flush(x, 1000 + 60000);
	rx_udp(fd, &rx);
	assert_int_equal(rx.n, 4);	/* data, then templates + applications + data */
	assert_int_equal(get32(rx.m[0] + 8), 43);
	assert_int_equal(get16(rx.m[0] + IPFIX_HDR_LEN), IPFIX_TID_V4);
	assert_int_equal(get16(rx.m[1] + IPFIX_HDR_LEN), IPFIX_SET_TEMPLATE);
	assert_int_equal(get32(rx.m[1] + 8), 44);
	assert_int_equal(get16(rx.m[2] + IPFIX_HDR_LEN), IPFIX_TID_APPS);
	assert_int_equal(get32(rx.m[3] + 8), 44 + 3);
	rx_free(&rx);
	export_free(x);
	close(fd);
}

static void udp_refresh_by_messages(void **state)
{
	struct export_cfg cfg;
	struct export_record r;
	struct rx rx = { 0 };
	uint16_t port = 0;
	int fd = listen_on(SOCK_DGRAM, &port);
	struct exporter *x;
	unsigned i, tm;
	uint32_t seq;

	(void)state;
	export_cfg_defaults(&cfg);
	cfg.template_refresh_packets = 3;
	cfg.app_table = 0;	/* no options records: only templates and data */
	x = udp_exporter(&cfg, port);
	for (i = 0; i < 7; i++) {
		record(&r, i);
		export_push(x, &r);
		export_poll(x, 10);
		export_flush(x, 10);
	}
	rx_udp(fd, &rx);
	/* T D D D T D D D T D: templates before the 1st, 4th and 7th data message */
	assert_int_equal(rx.n, 10);
	assert_int_equal(check_stream(&rx, 0, 1, &tm, &seq), 7);
	assert_int_equal(tm, 3);
	assert_int_equal(get16(rx.m[4] + IPFIX_HDR_LEN), IPFIX_SET_TEMPLATE);
	assert_int_equal(get16(rx.m[8] + IPFIX_HDR_LEN), IPFIX_SET_TEMPLATE);
	rx_free(&rx);
	export_free(x);
	close(fd);
}

/* The queue holds what it was sized for; the rest is refused and counted,
 * at once, whatever the collectors do. */
static void queue_bound(void **state)
{
	struct export_cfg cfg;
	struct export_record r;
	struct export_stats st;
	struct exporter *x;
	unsigned i, ok = 0;

	(void)state;
	export_cfg_defaults(&cfg);
	cfg.queue = 8;
	x = export_new(&cfg);	/* no collector at all */
	assert_non_null(x);
	record(&r, 1);
	for (i = 0; i < 20; i++)
		ok += export_push(x, &r) == 0;
	assert_int_equal(ok, 8);
	export_stats(x, &st);
	assert_int_equal(st.pushed, 8);
	assert_int_equal(st.dropped, 12);
	export_poll(x, 5);
	export_stats(x, &st);
	assert_int_equal(st.encoded, 8);
	assert_int_equal(export_push(x, &r), 0);	/* room again */
	export_free(x);
}

static void rate_cap(void **state)
{
	struct export_cfg cfg;
	struct export_record r;
	struct export_stats st;
	struct exporter *x;
	unsigned i;

	(void)state;
	export_cfg_defaults(&cfg);
	cfg.rate = 10;
	cfg.queue = 64;
	x = export_new(&cfg);
	record(&r, 1);
	for (i = 0; i < 50; i++)
		export_push(x, &r);
	export_poll(x, 1000);
	export_stats(x, &st);
	assert_int_equal(st.encoded, 10);	/* a second's worth */
	export_poll(x, 1500);
	export_stats(x, &st);
	assert_int_equal(st.encoded, 15);
	export_free(x);
}

/* A UDP collector whose port is closed: sends fail with ECONNREFUSED and
 * are counted; when it listens again it gets templates before data. */
static void udp_collector_down(void **state)
{
	struct export_cfg cfg;
	struct export_record r;
	struct export_stats st;
	struct rx rx = { 0 };
	uint16_t port = 0;
	int fd = listen_on(SOCK_DGRAM, &port);
	struct exporter *x;
	unsigned i, tm;
	uint32_t seq;

	(void)state;
	export_cfg_defaults(&cfg);
	x = udp_exporter(&cfg, port);
	record(&r, 1);
	export_push(x, &r);
	export_poll(x, 1);
	export_flush(x, 1);
	rx_udp(fd, &rx);
	assert_int_equal(check_stream(&rx, 0, 1, &tm, &seq), 1);
	rx_free(&rx);
	close(fd);		/* the collector stops */
	for (i = 0; i < 5; i++) {
		record(&r, 10 + i);
		assert_int_equal(export_push(x, &r), 0);
		export_poll(x, 2 + i);
		export_flush(x, 2 + i);
		usleep(10000);	/* the ICMP error comes back */
	}
	export_stats(x, &st);
	assert_true(st.c[0].errors >= 3);
	assert_true(st.c[0].dropped >= 3);
	assert_int_equal(st.c[0].up, 0);
	fd = listen_on(SOCK_DGRAM, &port);	/* it comes back on the same port */
	record(&r, 20);
	export_push(x, &r);
	export_flush(x, 20);
	rx_udp(fd, &rx);
	assert_true(rx.n >= 2);
	assert_int_equal(get16(rx.m[0] + IPFIX_HDR_LEN), IPFIX_SET_TEMPLATE);
	assert_int_equal(check_stream(&rx, get32(rx.m[0] + 8), 1, &tm, &seq), 1);
	rx_free(&rx);
	/* no refusal for a while: up, and no more templates than refresh wants */
	record(&r, 21);
	export_push(x, &r);
	export_flush(x, 20 + 6000);
	rx_udp(fd, &rx);
	assert_int_equal(rx.n, 1);
	assert_int_equal(get32(rx.m[0] + 8), seq);
	export_stats(x, &st);
	assert_int_equal(st.c[0].up, 1);
	rx_free(&rx);
	export_free(x);
	close(fd);
}

static int accept_within(int lfd, int ms)
{
	struct pollfd p = { .fd = lfd, .events = POLLIN };

	if (poll(&p, 1, ms) <= 0)
		return -1;
	return accept(lfd, NULL, NULL);
}

/* TCP: templates at the start of every connection, sequence numbers from
 * 0 in each; a lost connection is made again after a backoff, records in
 * between are dropped and counted. */
static void tcp_reconnect(void **state)
{
	struct export_cfg cfg;
	struct export_record r;
	struct export_stats st;
	struct rx rx = { 0 };
	uint16_t port = 0;
	int lfd = listen_on(SOCK_STREAM, &port), afd;
	struct exporter *x;
	char err[64], s[48];
	unsigned i, tm;
	uint32_t seq;
	uint64_t now = 100;

	(void)state;
	export_cfg_defaults(&cfg);
	snprintf(s, sizeof(s), "tcp://127.0.0.1:%u", port);
	assert_int_equal(export_collector_parse(s, &cfg.collectors[0], err, sizeof(err)), 0);
	cfg.n_collectors = 1;
	x = export_new(&cfg);
	export_poll(x, now);
	afd = accept_within(lfd, 1000);
	assert_true(afd >= 0);
	export_poll(x, ++now);	/* the connect completes */
	for (i = 0; i < 30; i++) {
		record(&r, i);
		export_push(x, &r);
	}
	export_poll(x, ++now);
	export_flush(x, now);
	rx_tcp(afd, &rx);
	assert_int_equal(check_stream(&rx, 0, 1, &tm, &seq), 30);
	assert_int_equal(tm, 1);
	rx_free(&rx);
	rx_tcp(-1, &rx);

	close(afd);		/* the collector goes away */
	usleep(20000);
	export_poll(x, ++now);
	export_stats(x, &st);
	assert_int_equal(st.c[0].up, 0);
	record(&r, 50);
	export_push(x, &r);
	export_flush(x, ++now);
	export_stats(x, &st);
	assert_int_equal(st.c[0].dropped, 1);
	/* nothing before the backoff, then a new connection */
	export_poll(x, now + 500);
	assert_int_equal(accept_within(lfd, 50), -1);
	export_poll(x, now + 1000);
	afd = accept_within(lfd, 1000);
	assert_true(afd >= 0);
	export_poll(x, now + 1001);
	record(&r, 60);
	export_push(x, &r);
	export_poll(x, now + 1002);
	export_flush(x, now + 1002);
	rx_tcp(afd, &rx);
	assert_int_equal(check_stream(&rx, 0, 1, &tm, &seq), 1);	/* seq 0 again */
	assert_int_equal(tm, 1);
	export_stats(x, &st);
	assert_int_equal(st.c[0].connects, 2);
	assert_int_equal(st.c[0].templates, 2);
	rx_free(&rx);
	rx_tcp(-1, &rx);
	export_free(x);
	close(afd);
	close(lfd);
}

/* Two collectors: each its own sequence; one down does not stop the other. */
static void two_collectors(void **state)
{
	struct export_cfg cfg;
	struct export_record r;
	struct export_stats st;
	struct rx rx = { 0 };
	uint16_t p1 = 0, p2 = 0;
	int f1 = listen_on(SOCK_DGRAM, &p1), f2 = listen_on(SOCK_DGRAM, &p2);
	struct exporter *x;
	char err[64], s[48];
	unsigned i, tm;
	uint32_t seq;

	(void)state;
	export_cfg_defaults(&cfg);
	snprintf(s, sizeof(s), "127.0.0.1:%u", p1);
	export_collector_parse(s, &cfg.collectors[0], err, sizeof(err));
	snprintf(s, sizeof(s), "udp://[::ffff:127.0.0.1]:%u", p2);
	assert_int_equal(export_collector_parse(s, &cfg.collectors[1], err, sizeof(err)), 0);
	cfg.n_collectors = 2;
	close(f2);		/* the second is down from the start */
	x = export_new(&cfg);
	for (i = 0; i < 6; i++) {
		record(&r, i);
		export_push(x, &r);
		export_poll(x, 1 + i);
		export_flush(x, 1 + i);
		usleep(5000);
	}
	rx_udp(f1, &rx);
	assert_int_equal(check_stream(&rx, 0, 1, &tm, &seq), 6);
	export_stats(x, &st);
	assert_int_equal(st.c[0].dropped, 0);
	assert_true(st.c[1].dropped >= 4);
	assert_true(st.c[1].errors >= 4);
	rx_free(&rx);
	export_free(x);
	close(f1);
}

/* The thread: export_stop() sends what was queued. */
static void thread_drains(void **state)
{
	struct export_cfg cfg;
	struct export_record r;
	struct rx rx = { 0 };
	uint16_t port = 0;
	int fd = listen_on(SOCK_DGRAM, &port), sz = 1 << 22;
	struct exporter *x;
	unsigned i, tm;
	uint32_t seq;

	(void)state;
	setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &sz, sizeof(sz));
	export_cfg_defaults(&cfg);
	cfg.flush_ms = 60000;	/* only the stop sends the last message */
	x = udp_exporter(&cfg, port);
	assert_int_equal(export_start(x), 0);
	for (i = 0; i < 500; i++) {
		record(&r, i);
		while (export_push(x, &r))
			usleep(1000);
	}
	export_stop(x);
	rx_udp(fd, &rx);
	assert_int_equal(check_stream(&rx, 0, 1, &tm, &seq), 500);
	rx_free(&rx);
	export_free(x);
	close(fd);
}

static void counters_and_due(void **state)
{
	struct export_cfg cfg;
	struct export_record r = { 0 };
	struct export_mark m = { 0 };
	uint64_t b[2] = { 1000, 50 }, p[2] = { 10, 2 };

	(void)state;
	export_cfg_defaults(&cfg);
	export_counters(&r, &m, b, p, 5000);
	assert_int_equal(r.bytes[0], 1000);
	assert_int_equal(r.packets[1], 2);
	assert_false(export_due(&cfg, &m, 5000 + 119999));
	assert_true(export_due(&cfg, &m, 5000 + 120000));
	b[0] = 1500;
	b[1] = 50;
	p[0] = 15;
	export_counters(&r, &m, b, p, 130000);
	assert_int_equal(r.bytes[0], 500);
	assert_int_equal(r.bytes[1], 0);
	assert_int_equal(r.packets[0], 5);
	b[0] = 20;		/* a counter that started again */
	export_counters(&r, &m, b, p, 140000);
	assert_int_equal(r.bytes[0], 20);
	cfg.active_timeout = 0;
	assert_false(export_due(&cfg, &m, 1ull << 40));
}

static void collector_parse(void **state)
{
	struct export_collector c;
	char err[128];

	(void)state;
	assert_int_equal(export_collector_parse("192.0.2.1", &c, err, sizeof(err)), 0);
	assert_string_equal(c.host, "192.0.2.1");
	assert_string_equal(c.port, "4739");
	assert_int_equal(c.proto, EXPORT_UDP);
	assert_int_equal(export_collector_parse("tcp://collector.example:2055", &c, err, sizeof(err)), 0);
	assert_string_equal(c.host, "collector.example");
	assert_string_equal(c.port, "2055");
	assert_int_equal(c.proto, EXPORT_TCP);
	assert_int_equal(export_collector_parse("udp://[2001:db8::1]:9995", &c, err, sizeof(err)), 0);
	assert_string_equal(c.host, "2001:db8::1");
	assert_string_equal(c.port, "9995");
	assert_int_equal(export_collector_parse("[2001:db8::1]", &c, err, sizeof(err)), 0);
	assert_string_equal(c.port, "4739");
	assert_int_equal(export_collector_parse("2001:db8::1", &c, err, sizeof(err)), -1);
	assert_non_null(strstr(err, "[addr]:port"));
	assert_int_equal(export_collector_parse("sctp://h:1", &c, err, sizeof(err)), -1);
	assert_int_equal(export_collector_parse("h:0", &c, err, sizeof(err)), -1);
	assert_int_equal(export_collector_parse("h:65536", &c, err, sizeof(err)), -1);
	assert_int_equal(export_collector_parse("h:12x", &c, err, sizeof(err)), -1);
	assert_int_equal(export_collector_parse(":4739", &c, err, sizeof(err)), -1);
	assert_int_equal(export_collector_parse("[::1", &c, err, sizeof(err)), -1);
}

static void bad_cfg(void **state)
{
	struct export_cfg cfg;

	(void)state;
	export_cfg_defaults(&cfg);
	cfg.mtu = 100;
	assert_null(export_new(&cfg));
	export_cfg_defaults(&cfg);
	cfg.queue = 0;
	assert_null(export_new(&cfg));
	export_cfg_defaults(&cfg);
	cfg.n_collectors = 1;	/* empty host */
	assert_null(export_new(&cfg));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(udp_sequence_templates),
		cmocka_unit_test(udp_refresh_by_messages),
		cmocka_unit_test(queue_bound),
		cmocka_unit_test(rate_cap),
		cmocka_unit_test(udp_collector_down),
		cmocka_unit_test(tcp_reconnect),
		cmocka_unit_test(two_collectors),
		cmocka_unit_test(thread_drains),
		cmocka_unit_test(counters_and_due),
		cmocka_unit_test(collector_parse),
		cmocka_unit_test(bad_cfg),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
