/* Monitor: event ring, framing, addresses, nfnetlink_queue parser, and the
 * io thread over real sockets (greeting, slow client, junk, control). */
#include "config.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>
#include <cmocka.h>
#include <yajl/yajl_tree.h>

#include "control.h"
#include "evring.h"
#include "flowcap.h"
#include "monitor.h"
#include "nfqstat.h"
#include "rss.h"

/* ---- evring ---- */

static void test_ring_order_full_oversize(void **state)
{
	struct evring *r = evring_new(3, 16);	/* rounds up to 4 slots */
	struct evring_stats st;
	const char *p;
	size_t len;
	int i;

	assert_non_null(r);
	assert_int_equal(evring_capacity(r), 4);
	assert_null(evring_peek(r, &len));
	for (i = 0; i < 4; i++)
		assert_int_equal(evring_push(r, &"abcd"[i], 1), 0);
	assert_int_equal(evring_push(r, "x", 1), -1);		/* full */
	assert_int_equal(evring_push(r, "0123456789abcdefg", 17), -1);	/* oversize */
	assert_int_equal(evring_push(r, "0123456789abcdef", 16), -1);	/* full again */
	for (i = 0; i < 4; i++) {
		p = evring_peek(r, &len);
		assert_non_null(p);
		assert_int_equal(len, 1);
		assert_int_equal(p[0], "abcd"[i]);
		evring_pop(r);
	}
	assert_null(evring_peek(r, &len));
	/* wrap around: slots are reusable */
	for (i = 0; i < 10; i++) {
		assert_int_equal(evring_push(r, "0123456789abcdef", 16), 0);
		p = evring_peek(r, &len);
		assert_int_equal(len, 16);
		assert_memory_equal(p, "0123456789abcdef", 16);
		evring_pop(r);
	}
	evring_stats(r, &st);
	assert_int_equal(st.pushed, 14);
	assert_int_equal(st.full, 2);
	assert_int_equal(st.oversize, 1);
	evring_free(r);
}

/* A new ring touches none of its slots (the monitor's default, 1,024 x
 * 8 KiB, used to cost 4 MiB resident at idle); full and empty are still
 * told apart after the ring has wrapped several times, part full. */
static void test_ring_lazy(void **state)
{
	long before = rss_kib();
	struct evring *r = evring_new(1024, 8192);
	uint32_t i, n = 0, got = 0;
	const uint32_t *p;
	size_t len;

	(void)state;
	assert_non_null(r);
	if (before >= 0)
		assert_true(rss_kib() - before < 2048);
	evring_free(r);

	r = evring_new(8, 8);
	while (got < 100) {
		while (evring_push(r, &n, sizeof(n)) == 0)
			n++;
		assert_int_equal(n - got, 8);		/* full at exactly 8 */
		for (i = 0; i < 3; i++, got++) {
			p = evring_peek(r, &len);
			assert_non_null(p);
			assert_int_equal(*p, got);
			evring_pop(r);
		}
	}
	while ((p = evring_peek(r, &len))) {
		assert_int_equal(*p, got++);
		evring_pop(r);
	}
	assert_int_equal(got, n);
	evring_free(r);
}

#define PRODUCERS 4
#define PER_PRODUCER 50000

struct prod {
	struct evring *r;
	unsigned id;
	unsigned refused;
};

static void *producer(void *arg)
{
	struct prod *p = arg;
	unsigned i, msg[2];

	for (i = 0; i < PER_PRODUCER; i++) {
		msg[0] = p->id;
		msg[1] = i;
		if (evring_push(p->r, msg, sizeof(msg)) < 0)
			p->refused++;
	}
	return NULL;
}

/* Several producers against one consumer: every message is either
 * delivered exactly once, in its producer's order, or counted as refused. */
static void test_ring_concurrent(void **state)
{
	struct evring *r = evring_new(256, 8);
	struct prod p[PRODUCERS];
	pthread_t th[PRODUCERS];
	unsigned last[PRODUCERS], got = 0, refused = 0, done, i;
	struct evring_stats st;
	const unsigned *m;
	size_t len;

	for (i = 0; i < PRODUCERS; i++) {
		p[i] = (struct prod){ r, i, 0 };
		last[i] = UINT32_MAX;
		pthread_create(&th[i], NULL, producer, &p[i]);
	}
	for (done = 0; done < 2;) {
		while ((m = evring_peek(r, &len))) {
			assert_int_equal(len, 8);
			assert_true(m[0] < PRODUCERS);
			assert_true(last[m[0]] == UINT32_MAX || m[1] > last[m[0]]);
			last[m[0]] = m[1];
			evring_pop(r);
			got++;
		}
		evring_stats(r, &st);
		if (st.pushed + st.full == PRODUCERS * PER_PRODUCER)
			done++;	/* one more drain after the producers finished */
	}
	for (i = 0; i < PRODUCERS; i++) {
		pthread_join(th[i], NULL);
		refused += p[i].refused;
	}
	evring_stats(r, &st);
	assert_int_equal(got, st.pushed);
	assert_int_equal(refused, st.full);
	assert_int_equal(got + refused, PRODUCERS * PER_PRODUCER);
	evring_free(r);
}

/* ---- framing, addresses ---- */

static void test_framing(void **state)
{
	char buf[32];

	assert_int_equal(monitor_frame_header(MONITOR_FRAMING_NDJSON, 10, buf), 0);
	assert_int_equal(monitor_frame_header(MONITOR_FRAMING_NETIFY, 10, buf), 14);
	assert_memory_equal(buf, "{\"length\":11}\n", 14);
	assert_int_equal(monitor_framing_parse("ndjson"), MONITOR_FRAMING_NDJSON);
	assert_int_equal(monitor_framing_parse("netify"), MONITOR_FRAMING_NETIFY);
	assert_int_equal(monitor_framing_parse("json"), -1);
}

static void expect_addr(const char *s, int family, const char *ip, unsigned port)
{
	struct sockaddr_storage ss;
	char text[INET6_ADDRSTRLEN];
	unsigned len;
	const void *a;

	if (monitor_parse_addr(s, &ss, &len) < 0)
		fail_msg("'%s' refused", s);
	assert_int_equal(ss.ss_family, family);
	a = family == AF_INET ? (const void *)&((struct sockaddr_in *)&ss)->sin_addr
			      : (const void *)&((struct sockaddr_in6 *)&ss)->sin6_addr;
	inet_ntop(family, a, text, sizeof(text));
	assert_string_equal(text, ip);
	assert_int_equal(ntohs(family == AF_INET ? ((struct sockaddr_in *)&ss)->sin_port
			      : ((struct sockaddr_in6 *)&ss)->sin6_port), port);
}

static void test_addr(void **state)
{
	static const char *const bad[] = { "", ":", "0", "65536", "host:80", "1.2.3.4:",
		"1.2.3.4:x", "[::1]", "[::1]80", "::1:80x", "1.2.3.4:80:90", "-1", " 80", NULL };
	struct sockaddr_storage ss;
	unsigned len, i;

	expect_addr("7150", AF_INET, "127.0.0.1", 7150);
	expect_addr("localhost:7150", AF_INET, "127.0.0.1", 7150);
	expect_addr("0.0.0.0:1", AF_INET, "0.0.0.0", 1);
	expect_addr("192.168.1.1:65535", AF_INET, "192.168.1.1", 65535);
	expect_addr("[::]:7150", AF_INET6, "::", 7150);
	expect_addr("[fe80::1]:80", AF_INET6, "fe80::1", 80);
	for (i = 0; bad[i]; i++)
		if (monitor_parse_addr(bad[i], &ss, &len) == 0)
			fail_msg("'%s' accepted", bad[i]);
	assert_int_equal(monitor_parse_addr(NULL, &ss, &len), -1);
}

/* ---- nfnetlink_queue ---- */

static void test_nfqstat(void **state)
{
	static const char text[] =
		"    0  31337     5 2 65531     7     3        123  1\n"
		"    1      0     0 2 65531     0     0          0  1\n"
		"garbage line\n"
		"    2      0     0 2 65531     0     0          0\n"		/* 8 fields */
		"    3      0     0 2 65531     0     0          0  1 9\n"	/* 10 fields */
		"\n"
		"99999999999 0 0 2 65531 0 0 0 1\n"				/* > 32 bits */
		"    4 0 0 2 65531 18446744073709551615 0 0 1\n"		/* u64 max */
		"    5 0 0 2 65531 18446744073709551616 0 0 1\n"		/* overflow */
		"    6 0 0 2 65531 1 2 3 1";					/* no newline */
	struct nfqstat_queue q[8];
	unsigned bad, n;

	n = nfqstat_parse(text, sizeof(text) - 1, q, 8, &bad);
	assert_int_equal(n, 4);
	assert_int_equal(bad, 5);
	assert_int_equal(q[0].queue, 0);
	assert_int_equal(q[0].portid, 31337);
	assert_int_equal(q[0].waiting, 5);
	assert_int_equal(q[0].copy_range, 65531);
	assert_int_equal(q[0].dropped, 7);
	assert_int_equal(q[0].user_dropped, 3);
	assert_int_equal(q[0].id_sequence, 123);
	assert_int_equal(q[1].queue, 1);
	assert_true(q[2].queue == 4 && q[2].dropped == UINT64_MAX);
	assert_true(q[3].queue == 6 && q[3].id_sequence == 3);
	/* bounded output, and a length that cuts a line is honoured */
	assert_int_equal(nfqstat_parse(text, sizeof(text) - 1, q, 1, NULL), 1);
	assert_int_equal(nfqstat_parse(text, 20, q, 8, &bad), 0);
	assert_int_equal(bad, 1);
	assert_int_equal(nfqstat_parse(NULL, 0, q, 8, NULL), 0);
	assert_int_equal(nfqstat_read("/nonexistent/nfq", q, 8), -1);
}

static void test_nfqstat_json(void **state)
{
	char path[] = "/tmp/netify-nfq-XXXXXX";
	const unsigned char *buf;
	yajl_gen g = yajl_gen_alloc(NULL);
	size_t len;
	int fd = mkstemp(path);
	static const char text[] = "  3 99 1 2 65531 18446744073709551615 4 5 1\nbad\n";

	assert_true(fd >= 0);
	assert_int_equal(write(fd, text, sizeof(text) - 1), sizeof(text) - 1);
	close(fd);
	yajl_gen_map_open(g);
	nfqstat_json(g, path);
	nfqstat_json(g, "/nonexistent/nfq");
	yajl_gen_map_close(g);
	yajl_gen_get_buf(g, &buf, &len);
	assert_string_equal((const char *)buf, "{\"kernel_queues\":[{\"queue\":3,\"portid\":99,"
		"\"waiting\":1,\"dropped\":9223372036854775807,\"user_dropped\":4,"
		"\"id_sequence\":5}],\"kernel_queues\":[]}");
	yajl_gen_free(g);
	unlink(path);
}

/* ---- the io thread over real sockets ---- */

struct reader {
	int fd;
	char buf[1 << 16];
	size_t len;
};

static char tmpdir[64];

static int setup_dir(void **state)
{
	snprintf(tmpdir, sizeof(tmpdir), "/tmp/netify-mon-XXXXXX");
	return mkdtemp(tmpdir) ? 0 : -1;
}

static int teardown_dir(void **state)
{
	char cmd[128];

	snprintf(cmd, sizeof(cmd), "rm -rf %s", tmpdir);
	return system(cmd) == 0 ? 0 : -1;
}

static const char *tpath(const char *name)
{
	static char p[4][128];
	static unsigned i;

	i = (i + 1) % 4;
	snprintf(p[i], sizeof(p[i]), "%s/%s", tmpdir, name);
	return p[i];
}

static int uconnect(const char *path)
{
	struct sockaddr_un sun = { .sun_family = AF_UNIX };
	int fd = socket(AF_UNIX, SOCK_STREAM, 0);

	snprintf(sun.sun_path, sizeof(sun.sun_path), "%s", path);
	assert_int_equal(connect(fd, (struct sockaddr *)&sun, sizeof(sun)), 0);
	return fd;
}

/* Reads exactly n bytes (or up to a newline when n == 0) within 5 s. */
static char *rd(struct reader *r, size_t n)
{
	struct pollfd pfd = { .fd = r->fd, .events = POLLIN };
	static char out[1 << 16];
	char *nl;
	ssize_t k;

	for (;;) {
		nl = n ? NULL : memchr(r->buf, '\n', r->len);
		if (nl || (n && r->len >= n)) {
			size_t take = nl ? (size_t)(nl - r->buf) + 1 : n;

			memcpy(out, r->buf, take);
			out[take - (nl ? 1 : 0)] = '\0';
			memmove(r->buf, r->buf + take, r->len - take);
			r->len -= take;
			return out;
		}
		if (poll(&pfd, 1, 5000) <= 0)
			return NULL;
		k = read(r->fd, r->buf + r->len, sizeof(r->buf) - r->len);
		if (k <= 0)
			return NULL;
		r->len += (size_t)k;
	}
}

static yajl_val rd_json(struct reader *r)
{
	char *line = rd(r, 0);
	yajl_val v;

	assert_non_null(line);
	v = yajl_tree_parse(line, NULL, 0);
	if (!v)
		fail_msg("not JSON: %.200s", line);
	return v;
}

static const char *jstr(yajl_val v, const char *a, const char *b)
{
	const char *path[] = { a, b, NULL };
	yajl_val s = yajl_tree_get(v, path, yajl_t_string);

	return s ? YAJL_GET_STRING(s) : "";
}

static long long jint(yajl_val v, const char *a, const char *b)
{
	const char *path[] = { a, b, NULL };
	yajl_val s = yajl_tree_get(v, path, yajl_t_number);

	return s ? YAJL_GET_INTEGER(s) : -1;
}

static void defs_cb(void *ctx, yajl_gen g)
{
	yajl_gen_string(g, (const unsigned char *)"protocols", 9);
	yajl_gen_array_open(g);
	yajl_gen_array_close(g);
	yajl_gen_string(g, (const unsigned char *)"applications", 12);
	yajl_gen_array_open(g);
	yajl_gen_array_close(g);
}

static void status_cb(void *ctx, yajl_gen g)
{
	yajl_gen_string(g, (const unsigned char *)"uptime", 6);
	yajl_gen_integer(g, 77);
}

static void flows_cb(void *ctx, yajl_gen g)
{
	yajl_gen_map_open(g);
	yajl_gen_string(g, (const unsigned char *)"id", 2);
	yajl_gen_integer(g, 1);
	yajl_gen_map_close(g);
}

static const struct monitor_ops test_ops = { defs_cb, status_cb, flows_cb };

static struct monitor *start(struct monitor_cfg *c)
{
	struct monitor *m = monitor_new(c, &test_ops, NULL);

	if (!m)
		fail_msg("monitor_new: %s", strerror(errno));
	assert_int_equal(monitor_start(m), 0);
	return m;
}

static void base_cfg(struct monitor_cfg *c, const char *name)
{
	monitor_cfg_defaults(c);
	c->unix_path = tpath(name);
	c->status_interval_ms = 0;
}

/* Waits up to 5 s for *field of the stats to reach want. */
#define WAIT_STAT(m, field, want) do {					\
	struct monitor_stats st_;					\
	int t_;								\
	for (t_ = 0; t_ < 500; t_++) {					\
		monitor_stats(m, &st_);					\
		if (st_.field >= (want))				\
			break;						\
		usleep(10000);						\
	}								\
	assert_int_equal(st_.field, (want));				\
} while (0)

static void publish_n(struct monitor *m, unsigned from, unsigned n, unsigned pad)
{
	char buf[4096];
	unsigned i;
	int len;

	for (i = from; i < from + n; i++) {
		len = snprintf(buf, sizeof(buf), "{\"type\":\"flow\",\"n\":%u,\"pad\":\"%*s\"}\n", i,
			       (int)pad, "");
		assert_int_equal(monitor_publish(m, buf, (size_t)len), 0);
	}
}

static void greet(struct reader *r)
{
	yajl_val v = rd_json(r);

	assert_string_equal(jstr(v, "type", NULL), "agent_hello");
	assert_string_equal(jstr(v, "schema_version", NULL), MONITOR_SCHEMA_VERSION);
	assert_true(jint(v, "timestamp", NULL) > 0);
	yajl_tree_free(v);
	v = rd_json(r);
	assert_string_equal(jstr(v, "type", NULL), "definitions");
	assert_non_null(yajl_tree_get(v, (const char *[]){ "protocols", NULL }, yajl_t_array));
	yajl_tree_free(v);
}

static void test_stream_order(void **state)
{
	struct monitor_cfg c;
	struct monitor *m;
	struct reader *r = calloc(1, sizeof(*r));
	struct stat st;
	unsigned i;

	base_cfg(&c, "order.sock");
	m = start(&c);
	assert_int_equal(stat(c.unix_path, &st), 0);
	assert_int_equal(st.st_mode & 0777, 0660);
	r->fd = uconnect(c.unix_path);
	greet(r);
	publish_n(m, 0, 1000, 10);
	for (i = 0; i < 1000; i++) {
		yajl_val v = rd_json(r);

		assert_int_equal(jint(v, "n", NULL), i);
		yajl_tree_free(v);
	}
	close(r->fd);
	free(r);
	monitor_free(m);
	assert_int_equal(stat(c.unix_path, &st), -1);	/* socket file removed */
}

static void test_netify_framing(void **state)
{
	struct monitor_cfg c;
	struct monitor *m;
	struct reader *r = calloc(1, sizeof(*r));
	unsigned i, n;
	char *hdr, *body;

	base_cfg(&c, "netify.sock");
	c.unix_framing = MONITOR_FRAMING_NETIFY;
	m = start(&c);
	r->fd = uconnect(c.unix_path);
	publish_n(m, 0, 0, 0);
	WAIT_STAT(m, clients, 1);
	publish_n(m, 0, 5, 3);
	for (i = 0; i < 7; i++) {	/* hello, definitions, 5 events */
		hdr = rd(r, 0);
		assert_non_null(hdr);
		assert_int_equal(sscanf(hdr, "{\"length\":%u}", &n), 1);
		body = rd(r, n);
		assert_non_null(body);
		assert_int_equal(body[n - 1], '\n');
		assert_true(control_json_valid((const unsigned char *)body, n - 1));
		if (i >= 2)
			assert_non_null(strstr(body, "\"type\":\"flow\""));
	}
	close(r->fd);
	free(r);
	monitor_free(m);
}

struct drain_arg {
	int fd;
	unsigned lines;
};

static void *drainer(void *arg)
{
	struct drain_arg *d = arg;
	char buf[65536];
	ssize_t n, i;

	while ((n = read(d->fd, buf, sizeof(buf))) > 0)
		for (i = 0; i < n; i++)
			d->lines += buf[i] == '\n';
	return NULL;
}

/* A client that never reads is dropped; the one that reads gets every
 * event; the publisher is never refused for the slow one's sake. */
static void test_slow_client(void **state)
{
	struct monitor_cfg c;
	struct monitor *m;
	struct monitor_stats st;
	struct drain_arg d = { 0 };
	pthread_t th;
	unsigned i;
	int slow;

	base_cfg(&c, "slow.sock");
	/* 8 MB go out in all: the reader that never reads overflows this
	 * buffer whatever; the margin is for the draining reader, which a
	 * loaded CI machine may leave unscheduled for a while. */
	c.client_buf = 262144;
	c.queue_slots = 32768;
	m = start(&c);
	slow = uconnect(c.unix_path);
	d.fd = uconnect(c.unix_path);
	WAIT_STAT(m, clients, 2);
	pthread_create(&th, NULL, drainer, &d);
	/* paced, so that only the client that does not read falls behind */
	for (i = 0; i < 200; i++) {
		publish_n(m, i * 100, 100, 400);
		WAIT_STAT(m, events_sent, (i + 1) * 100);
	}
	WAIT_STAT(m, clients_slow, 1);
	monitor_stats(m, &st);
	assert_int_equal(st.events_dropped, 0);
	assert_int_equal(st.clients, 1);
	monitor_stop(m);	/* closes the drainer's connection */
	pthread_join(th, NULL);
	assert_int_equal(d.lines, 2 + 20000);
	close(slow);
	monitor_free(m);
}

static void test_junk_client(void **state)
{
	struct monitor_cfg c;
	struct monitor *m;
	struct reader *r = calloc(1, sizeof(*r));
	char junk[10000];
	unsigned i;

	base_cfg(&c, "junk.sock");
	m = start(&c);
	r->fd = uconnect(c.unix_path);
	greet(r);
	for (i = 0; i < sizeof(junk); i++)
		junk[i] = (char)(i * 7919);
	for (i = 0; i < 10; i++)
		assert_int_equal(write(r->fd, junk, sizeof(junk)), sizeof(junk));
	WAIT_STAT(m, junk_bytes, 100000);
	publish_n(m, 0, 3, 0);
	for (i = 0; i < 3; i++) {
		yajl_val v = rd_json(r);

		assert_int_equal(jint(v, "n", NULL), i);
		yajl_tree_free(v);
	}
	close(r->fd);
	free(r);
	monitor_free(m);
}

static void test_ring_full_counted(void **state)
{
	struct monitor_cfg c;
	struct monitor *m;
	struct monitor_stats st;
	char big[200];
	unsigned i, refused = 0;

	base_cfg(&c, "full.sock");
	c.queue_slots = 64;
	c.event_max = 128;
	m = monitor_new(&c, &test_ops, NULL);	/* not started: nothing drains */
	assert_non_null(m);
	for (i = 0; i < 100; i++)
		refused += monitor_publish(m, "{\"type\":\"flow\"}", 15) < 0;
	memset(big, 'x', sizeof(big));
	assert_int_equal(monitor_publish(m, big, sizeof(big)), -1);
	monitor_stats(m, &st);
	assert_int_equal(refused, 36);
	assert_int_equal(st.events, 64);
	assert_int_equal(st.events_dropped, 36);
	assert_int_equal(st.events_oversize, 1);
	monitor_free(m);
}

static void test_max_clients(void **state)
{
	struct monitor_cfg c;
	struct monitor *m;
	struct reader *r = calloc(1, sizeof(*r));
	int a, b;

	base_cfg(&c, "max.sock");
	c.max_clients = 2;
	m = start(&c);
	a = uconnect(c.unix_path);
	b = uconnect(c.unix_path);
	WAIT_STAT(m, clients, 2);
	r->fd = uconnect(c.unix_path);
	assert_null(rd(r, 0));		/* closed without a greeting */
	WAIT_STAT(m, clients_rejected, 1);
	close(a);
	close(b);
	close(r->fd);
	free(r);
	monitor_free(m);
}

/* ---- idle and stalled clients, on a clock of the test's ---- */

static uint64_t fake_ms = 1000000;

static uint64_t fake_clock(void)
{
	return fake_ms;
}

static int ctl_status(void *ctx, const struct control_args *a, yajl_gen g, char *err, size_t el);

/* Turns the loop on this thread until nothing happens for a turn. */
static void turns(struct monitor *m)
{
	int i;

	for (i = 0; i < 50 && monitor_run_once(m, 20) > 0; i++)
		;
}

static struct monitor_stats stats_of(struct monitor *m)
{
	struct monitor_stats st;

	monitor_stats(m, &st);
	return st;
}

/* 1 if the peer closed fd (EOF after whatever it sent). */
static int closed_by_peer(int fd)
{
	char buf[65536];
	ssize_t n;

	while ((n = recv(fd, buf, sizeof(buf), MSG_DONTWAIT)) > 0)
		;
	return n == 0;
}

static void test_idle_and_stalled(void **state)
{
	struct control_ops ops = { .fn = { [CONTROL_STATUS] = ctl_status } };
	struct monitor_cfg c;
	struct monitor *m;
	struct reader *r = calloc(1, sizeof(*r));
	int s[3], k[MONITOR_CONTROL_CLIENTS + 1], i, rcv = 4096;
	yajl_val v;

	base_cfg(&c, "idle.sock");
	c.control_path = tpath("idlectl.sock");
	c.control = control_new(&ops, NULL);
	c.max_clients = 2;
	c.clock_ms = fake_clock;
	m = monitor_new(&c, &test_ops, NULL);	/* no io thread: turned here */
	assert_non_null(m);
	/* two stream readers that never read take both slots; a third is
	 * refused while they are not stalled for MONITOR_EVICT_MIN_MS */
	for (i = 0; i < 3; i++) {
		s[i] = uconnect(c.unix_path);
		setsockopt(s[i], SOL_SOCKET, SO_RCVBUF, &rcv, sizeof(rcv));
		turns(m);
	}
	assert_int_equal(stats_of(m).clients, 2);
	assert_int_equal(stats_of(m).clients_rejected, 1);
	assert_true(closed_by_peer(s[2]));
	close(s[2]);
	/* stalled long enough: the longest stalled gives its slot */
	fake_ms += MONITOR_EVICT_MIN_MS;
	s[2] = uconnect(c.unix_path);
	turns(m);
	assert_int_equal(stats_of(m).clients, 2);
	assert_int_equal(stats_of(m).clients_stalled, 1);
	assert_true(closed_by_peer(s[0]));
	/* 8 idle control connections: a ninth takes the idlest one's place */
	for (i = 0; i <= MONITOR_CONTROL_CLIENTS; i++) {
		k[i] = uconnect(c.control_path);
		turns(m);
		fake_ms += 10;
	}
	assert_int_equal(stats_of(m).control_dropped, 1);
	assert_int_equal(stats_of(m).control_rejected, 0);
	assert_true(closed_by_peer(k[0]));
	r->fd = k[MONITOR_CONTROL_CLIENTS];
	assert_int_equal(write(r->fd, "{\"method\":\"status\"}\n", 20), 20);
	turns(m);
	v = rd_json(r);
	assert_int_equal(jint(v, "flows", NULL), 5);
	yajl_tree_free(v);
	/* idle for MONITOR_CONTROL_IDLE_MS: every control connection closes;
	 * the stream clients (stalled less than MONITOR_STREAM_STALL_MS) stay */
	fake_ms += MONITOR_CONTROL_IDLE_MS;
	turns(m);
	assert_int_equal(stats_of(m).control_dropped, 1 + MONITOR_CONTROL_CLIENTS);
	for (i = 1; i <= MONITOR_CONTROL_CLIENTS; i++) {
		assert_true(closed_by_peer(k[i]));
		close(k[i]);
	}
	assert_int_equal(stats_of(m).clients, 2);
	/* a stream client that read everything is not stalled, however long */
	r->fd = s[2];
	r->len = 0;
	greet(r);
	fake_ms += MONITOR_STREAM_STALL_MS;
	turns(m);
	assert_int_equal(stats_of(m).clients, 1);
	assert_int_equal(stats_of(m).clients_stalled, 2);
	assert_true(closed_by_peer(s[1]));
	assert_false(closed_by_peer(s[2]));
	for (i = 0; i < 3; i++)
		close(s[i]);
	close(k[0]);
	free(r);
	monitor_free(m);
	control_free(c.control);
}

static int ctl_status(void *ctx, const struct control_args *a, yajl_gen g, char *err, size_t el)
{
	yajl_gen_string(g, (const unsigned char *)"flows", 5);
	yajl_gen_integer(g, 5);
	return 0;
}

static void test_control_socket(void **state)
{
	struct control_ops ops = { .fn = { [CONTROL_STATUS] = ctl_status } };
	struct monitor_cfg c;
	struct monitor *m;
	struct reader *r = calloc(1, sizeof(*r));
	char *big = malloc(CONTROL_REQ_MAX + 100);
	yajl_val v;

	base_cfg(&c, "mon.sock");
	c.control_path = tpath("ctl.sock");
	c.control = control_new(&ops, NULL);
	m = start(&c);
	r->fd = uconnect(c.control_path);
	assert_int_equal(write(r->fd, "{\"method\":\"status\"}\n{\"method\":\"x\"}\n", 35), 35);
	v = rd_json(r);
	assert_int_equal(jint(v, "flows", NULL), 5);
	yajl_tree_free(v);
	v = rd_json(r);
	assert_non_null(strstr(jstr(v, "error", NULL), "unknown method"));
	yajl_tree_free(v);
	/* without a newline, answered at end of input */
	assert_int_equal(write(r->fd, "{\"method\":\"status\"}", 19), 19);
	shutdown(r->fd, SHUT_WR);
	v = rd_json(r);
	if (jint(v, "flows", NULL) != 5)
		fail_msg("reply: %s", jstr(v, "error", NULL));
	assert_int_equal(jint(v, "flows", NULL), 5);
	yajl_tree_free(v);
	close(r->fd);
	/* an endless line: error, then the connection closes */
	r->len = 0;
	r->fd = uconnect(c.control_path);
	memset(big, 'a', CONTROL_REQ_MAX + 100);
	assert_int_equal(write(r->fd, big, CONTROL_REQ_MAX + 100), CONTROL_REQ_MAX + 100);
	v = rd_json(r);
	assert_string_equal(jstr(v, "error", NULL), "request too large");
	yajl_tree_free(v);
	assert_null(rd(r, 0));
	close(r->fd);
	free(big);
	free(r);
	monitor_free(m);
	control_free(c.control);
}

static void test_status_json_save(void **state)
{
	struct monitor_cfg c;
	struct monitor *m;
	struct reader *r = calloc(1, sizeof(*r));
	char path[160], buf[4096];
	yajl_val v;
	FILE *f;
	size_t n;

	base_cfg(&c, "status.sock");
	c.status_interval_ms = 50;
	c.json_save_dir = tmpdir;
	m = start(&c);
	r->fd = uconnect(c.unix_path);
	greet(r);
	v = rd_json(r);
	assert_string_equal(jstr(v, "type", NULL), "agent_status");
	assert_int_equal(jint(v, "uptime", NULL), 77);
	assert_int_equal(jint(v, "monitor", "clients"), 1);
	yajl_tree_free(v);
	WAIT_STAT(m, status_sent, 3);
	monitor_free(m);
	snprintf(path, sizeof(path), "%s/flows.json", tmpdir);
	f = fopen(path, "r");
	assert_non_null(f);
	n = fread(buf, 1, sizeof(buf) - 1, f);
	fclose(f);
	buf[n] = '\0';
	assert_non_null(strstr(buf, ",\"flows\":[{\"id\":1}]}\n"));
	assert_true(control_json_valid((const unsigned char *)buf, n));
	snprintf(path, sizeof(path), "%s/status.json", tmpdir);
	assert_int_equal(access(path, R_OK), 0);
	close(r->fd);
	free(r);
}

static void test_socket_file_rules(void **state)
{
	struct sockaddr_un sun = { .sun_family = AF_UNIX };
	struct monitor_cfg c;
	struct monitor *m, *m2;
	int fd;

	base_cfg(&c, "busy.sock");
	m = monitor_new(&c, &test_ops, NULL);
	assert_non_null(m);
	m2 = monitor_new(&c, &test_ops, NULL);		/* a live daemon owns it */
	assert_null(m2);
	assert_int_equal(errno, EADDRINUSE);
	monitor_free(m);
	/* a stale socket file (its daemon died) is replaced */
	snprintf(sun.sun_path, sizeof(sun.sun_path), "%s", c.unix_path);
	fd = socket(AF_UNIX, SOCK_STREAM, 0);
	assert_int_equal(bind(fd, (struct sockaddr *)&sun, sizeof(sun)), 0);
	close(fd);
	m = monitor_new(&c, &test_ops, NULL);
	assert_non_null(m);
	monitor_free(m);
	/* a regular file is never removed */
	fd = open(c.unix_path, O_CREAT | O_WRONLY, 0600);
	close(fd);
	assert_null(monitor_new(&c, &test_ops, NULL));
	assert_int_equal(errno, EEXIST);
	unlink(c.unix_path);
	c.tcp[0] = "not-an-address";
	c.n_tcp = 1;
	assert_null(monitor_new(&c, &test_ops, NULL));
	assert_int_equal(errno, EINVAL);
}

/* Reads a pcap file written by the monitor: returns the record count, or -1. */
static int pcap_records(const char *path, uint32_t *linktype, uint32_t *first_len)
{
	uint8_t buf[70000];
	FILE *f = fopen(path, "rb");
	size_t n, off = 24;
	uint32_t magic, caplen;
	int recs = 0;

	if (!f)
		return -1;
	n = fread(buf, 1, sizeof(buf), f);
	fclose(f);
	memcpy(&magic, buf, 4);
	if (n < 24 || magic != 0xa1b2c3d4)
		return -1;
	memcpy(linktype, buf + 20, 4);
	while (off + 16 <= n) {
		memcpy(&caplen, buf + off + 8, 4);
		if (!recs)
			*first_len = caplen;
		off += 16 + caplen;
		recs++;
	}
	return off == n ? recs : -1;
}

static unsigned count_pcaps(const char *dir, char *last, size_t lastlen)
{
	char cmd[256];
	FILE *p;
	unsigned n = 0;

	snprintf(cmd, sizeof(cmd), "ls %s/unknown-*.pcap 2>/dev/null", dir);
	p = popen(cmd, "r");
	while (p && fgets(last, (int)lastlen, p)) {
		last[strcspn(last, "\n")] = '\0';
		n++;
	}
	if (p)
		pclose(p);
	return n;
}

static void test_capture_unknown(void **state)
{
	struct monitor_cfg c;
	struct monitor *m;
	struct monitor_stats st;
	static uint8_t pkt[1500], file[16384];
	struct flowcap_pkt pkts[3];
	char dir[128], last[256];
	uint32_t lt = 0, first = 0;
	size_t len;
	unsigned i;

	snprintf(dir, sizeof(dir), "%s/cap", tmpdir);
	assert_int_equal(mkdir(dir, 0700), 0);
	memset(pkt, 0x45, sizeof(pkt));
	for (i = 0; i < 3; i++)
		pkts[i] = (struct flowcap_pkt){ 1700000000000000ull + i, pkt, 1000 + i, 1400 };
	len = flowcap_pcap_build(file, sizeof(file), 101, pkts, 3);
	base_cfg(&c, "cap.sock");
	c.capture_dir = dir;
	c.capture_max_files = 2;
	c.capture_max_bytes = 8192;
	m = start(&c);
	assert_int_equal(monitor_capture(m, 7, file, len), 0);
	assert_int_equal(monitor_capture(m, 6, file, 8193), -1);	/* larger than a file may be */
	assert_int_equal(monitor_capture(m, 8, file, 8192), 0);
	assert_int_equal(monitor_capture(m, 9, file, len), -1);	/* file cap */
	WAIT_STAT(m, captures, 2);
	monitor_stats(m, &st);
	assert_int_equal(st.captures_skipped, 2);
	assert_int_equal(count_pcaps(dir, last, sizeof(last)), 2);
	snprintf(last, sizeof(last), "ls %s/unknown-7-*.pcap > %s/name", dir, tmpdir);
	assert_int_equal(system(last), 0);
	snprintf(last, sizeof(last), "%s/name", tmpdir);
	{
		FILE *f = fopen(last, "r");

		assert_non_null(fgets(last, sizeof(last), f));
		fclose(f);
		last[strcspn(last, "\n")] = '\0';
	}
	/* the bytes as given */
	assert_int_equal(pcap_records(last, &lt, &first), 3);
	assert_int_equal(lt, 101);
	assert_int_equal(first, 1000);
	monitor_free(m);
	/* off unless configured */
	base_cfg(&c, "nocap.sock");
	m = monitor_new(&c, &test_ops, NULL);
	assert_int_equal(monitor_capture(m, 1, file, len), -1);
	monitor_free(m);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_ring_order_full_oversize),
		cmocka_unit_test(test_ring_concurrent),
		cmocka_unit_test(test_ring_lazy),
		cmocka_unit_test(test_framing),
		cmocka_unit_test(test_addr),
		cmocka_unit_test(test_nfqstat),
		cmocka_unit_test(test_nfqstat_json),
		cmocka_unit_test(test_stream_order),
		cmocka_unit_test(test_netify_framing),
		cmocka_unit_test(test_slow_client),
		cmocka_unit_test(test_junk_client),
		cmocka_unit_test(test_ring_full_counted),
		cmocka_unit_test(test_max_clients),
		cmocka_unit_test(test_control_socket),
		cmocka_unit_test(test_idle_and_stalled),
		cmocka_unit_test(test_status_json_save),
		cmocka_unit_test(test_socket_file_rules),
		cmocka_unit_test(test_capture_unknown),
	};

	signal(SIGPIPE, SIG_IGN);
	return cmocka_run_group_tests(tests, setup_dir, teardown_dir);
}
