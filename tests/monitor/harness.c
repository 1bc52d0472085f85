/* Test harness: the real monitor and control modules with synthetic data,
 * so the stream tests run without the daemon, root or NFQUEUE.
 *
 *   monitor_harness --unix PATH [--tcp ADDR] [--netify-unix PATH]
 *       [--control PATH] [--events N] [--size BYTES] [--threads T]
 *       [--wait-clients K] [--interval-ms MS] [--client-buf B]
 *       [--linger-ms MS] [--json-save DIR] [--slots N] [--rate EVENTS_PER_S]
 *
 * Waits for K stream clients, publishes N flow events from T threads (as
 * fast as they go), lingers, then prints the monitor counters as JSON on
 * stdout. SIGTERM ends the linger early. "--netify-unix" opens a second
 * monitor whose Unix listener uses the Netify framing.
 */
#include "config.h"

#include <getopt.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "control.h"
#include "monitor.h"
#include "nfqstat.h"

struct harness {
	struct monitor *m, *m2;
	unsigned events, size, threads, wait_clients;
	unsigned linger_ms;
	unsigned rate;		/* events per second, 0 = as fast as possible */
	uint64_t start_ns;
	_Atomic unsigned next;
	unsigned reloads;
};

static volatile sig_atomic_t stop_flag;

static void on_signal(int sig)
{
	(void)sig;
	stop_flag = 1;
}

static void kv_str(yajl_gen g, const char *k, const char *v)
{
	yajl_gen_string(g, (const unsigned char *)k, strlen(k));
	yajl_gen_string(g, (const unsigned char *)v, strlen(v));
}

static void kv_int(yajl_gen g, const char *k, long long v)
{
	yajl_gen_string(g, (const unsigned char *)k, strlen(k));
	yajl_gen_integer(g, v);
}

static void kv_bool(yajl_gen g, const char *k, int v)
{
	yajl_gen_string(g, (const unsigned char *)k, strlen(k));
	yajl_gen_bool(g, v);
}

static const char *const apps[] = { "whatsapp", "youtube", "netflix", "steam" };
static const char *const protos[] = { "TLS", "QUIC", "HTTP", "DNS" };

/* One synthetic flow's members (the fields the engine and policy emit). */
static void flow_fields(yajl_gen g, unsigned i, unsigned pad)
{
	char ip[32], host[64];

	snprintf(ip, sizeof(ip), "192.168.1.%u", 10 + i % 4);
	snprintf(host, sizeof(host), "host%u.example.com", i);
	kv_int(g, "flow_id", i);
	kv_int(g, "ip_version", 4);
	kv_int(g, "ip_protocol", 6);
	kv_str(g, "local_mac", "aa:bb:cc:dd:ee:0f");
	kv_str(g, "local_ip", ip);
	kv_int(g, "local_port", 40000 + i % 20000);
	kv_str(g, "other_ip", "203.0.113.7");
	kv_int(g, "other_port", 443);
	kv_int(g, "detected_protocol", 7 + i % 4);
	kv_str(g, "detected_protocol_name", protos[i % 4]);
	kv_int(g, "detected_application", 100 + i % 4);
	kv_str(g, "detected_application_name", apps[i % 4]);
	kv_str(g, "host_server_name", host);
	kv_str(g, "device", i % 2 ? "kid_phone" : "laptop");
	kv_str(g, "action", i % 4 == 0 ? "block" : "allow");
	kv_int(g, "first_seen_at", 1700000000000LL + i);
	kv_int(g, "last_seen_at", 1700000000100LL + i);
	if (pad) {
		char *p = malloc(pad + 1);

		memset(p, 'x', pad);
		p[pad] = '\0';
		kv_str(g, "padding", p);
		free(p);
	}
}

static uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

/* Sleeps while event i is ahead of the --rate schedule. */
static void pace(const struct harness *h, unsigned i)
{
	uint64_t due, now;
	struct timespec ts;

	if (!h->rate)
		return;
	due = h->start_ns + (uint64_t)i * 1000000000u / h->rate;
	now = now_ns();
	if (due > now + 1000000) {
		ts.tv_sec = (time_t)((due - now) / 1000000000u);
		ts.tv_nsec = (long)((due - now) % 1000000000u);
		nanosleep(&ts, NULL);
	}
}

static void *publisher(void *arg)
{
	struct harness *h = arg;
	yajl_gen g = yajl_gen_alloc(NULL);
	unsigned i;

	while ((i = atomic_fetch_add(&h->next, 1)) < h->events) {
		pace(h, i);
		yajl_gen_clear(g);
		yajl_gen_reset(g, NULL);
		yajl_gen_map_open(g);
		kv_str(g, "type", "flow");
		yajl_gen_string(g, (const unsigned char *)"flow", 4);
		yajl_gen_map_open(g);
		flow_fields(g, i, h->size);
		yajl_gen_map_close(g);
		yajl_gen_map_close(g);
		monitor_publish_gen(h->m, g);
		if (h->m2)
			monitor_publish_gen(h->m2, g);
	}
	yajl_gen_free(g);
	return NULL;
}

static void defs(void *ctx, yajl_gen g)
{
	unsigned i;

	yajl_gen_string(g, (const unsigned char *)"protocols", 9);
	yajl_gen_array_open(g);
	for (i = 0; i < 4; i++) {
		yajl_gen_map_open(g);
		kv_int(g, "id", 7 + i);
		kv_str(g, "name", protos[i]);
		yajl_gen_map_close(g);
	}
	yajl_gen_array_close(g);
	yajl_gen_string(g, (const unsigned char *)"applications", 12);
	yajl_gen_array_open(g);
	for (i = 0; i < 4; i++) {
		yajl_gen_map_open(g);
		kv_int(g, "id", 100 + i);
		kv_str(g, "tag", apps[i]);
		kv_str(g, "label", apps[i]);
		kv_str(g, "category", "test");
		yajl_gen_map_close(g);
	}
	yajl_gen_array_close(g);
}

static void status_fields(void *ctx, yajl_gen g)
{
	struct harness *h = ctx;

	kv_str(g, "version", PACKAGE_VERSION);
	kv_int(g, "uptime", 1);
	kv_int(g, "flows", atomic_load(&h->next) < h->events ? atomic_load(&h->next) : h->events);
	yajl_gen_string(g, (const unsigned char *)"queues", 6);
	yajl_gen_array_open(g);
	yajl_gen_map_open(g);
	kv_int(g, "queue", 0);
	kv_int(g, "packets", 10);
	kv_int(g, "verdicts", 10);
	kv_int(g, "dropped", 0);
	kv_int(g, "fail_open", 0);
	kv_int(g, "enobufs", 0);
	kv_int(g, "latency_p99_ns", 1048576);	/* names and values longer than a tab */
	kv_int(g, "flows_released", 123456789012);
	yajl_gen_map_close(g);
	yajl_gen_array_close(g);
	nfqstat_json(g, NULL);
	kv_int(g, "dns_cache", 0);
	kv_int(g, "apps", 4);
}

static void flows_json(void *ctx, yajl_gen g)
{
	unsigned i;

	for (i = 0; i < 3; i++) {
		yajl_gen_map_open(g);
		flow_fields(g, i, 0);
		yajl_gen_map_close(g);
	}
}

/* ---- control callbacks over the same synthetic data ---- */

static int ctl_status(void *ctx, const struct control_args *a, yajl_gen g, char *err, size_t el)
{
	struct harness *h = ctx;

	status_fields(ctx, g);
	kv_int(g, "clients", 0);
	kv_bool(g, "flow_offloading", 0);
	yajl_gen_string(g, (const unsigned char *)"monitor", 7);
	yajl_gen_map_open(g);
	monitor_stats_json(h->m, g);
	yajl_gen_map_close(g);
	return 0;
}

static int ctl_flows(void *ctx, const struct control_args *a, yajl_gen g, char *err, size_t el)
{
	unsigned i;

	yajl_gen_string(g, (const unsigned char *)"flows", 5);
	yajl_gen_array_open(g);
	for (i = 0; i < 8; i++) {
		if (a->app && strcmp(a->app, apps[i % 4]))
			continue;
		if (a->device && strcmp(a->device, i % 2 ? "kid_phone" : "laptop"))
			continue;
		if (a->blocked >= 0 && a->blocked != (i % 4 == 0))
			continue;
		yajl_gen_map_open(g);
		flow_fields(g, i, 0);
		yajl_gen_map_close(g);
	}
	yajl_gen_array_close(g);
	return 0;
}

static int ctl_reload(void *ctx, const struct control_args *a, yajl_gen g, char *err, size_t el)
{
	struct harness *h = ctx;

	h->reloads++;
	kv_bool(g, "reload", 1);
	return 0;
}

static int ctl_policy(void *ctx, const struct control_args *a, yajl_gen g, char *err, size_t el)
{
	snprintf(err, el, "no policy loaded");
	return -1;
}

static void usage(void)
{
	fprintf(stderr, "usage: monitor_harness --unix PATH [options]\n");
	exit(2);
}

static void parse_args(int argc, char **argv, struct harness *h, struct monitor_cfg *c,
		       const char **netify_unix)
{
	static const struct option opts[] = {
		{ "unix", 1, 0, 'u' }, { "tcp", 1, 0, 't' }, { "netify-unix", 1, 0, 'N' },
		{ "control", 1, 0, 'c' }, { "events", 1, 0, 'n' }, { "size", 1, 0, 's' },
		{ "threads", 1, 0, 'T' }, { "wait-clients", 1, 0, 'w' },
		{ "interval-ms", 1, 0, 'i' }, { "client-buf", 1, 0, 'b' },
		{ "linger-ms", 1, 0, 'l' }, { "json-save", 1, 0, 'j' }, { "slots", 1, 0, 'q' }, { "rate", 1, 0, 'r' },
		{ 0, 0, 0, 0 },
	};
	int o;

	while ((o = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		switch (o) {
		case 'u': c->unix_path = optarg; break;
		case 't': c->tcp[c->n_tcp++ % MONITOR_TCP_MAX] = optarg; break;
		case 'N': *netify_unix = optarg; break;
		case 'c': c->control_path = optarg; break;
		case 'n': h->events = (unsigned)atoi(optarg); break;
		case 's': h->size = (unsigned)atoi(optarg); break;
		case 'T': h->threads = (unsigned)atoi(optarg); break;
		case 'w': h->wait_clients = (unsigned)atoi(optarg); break;
		case 'i': c->status_interval_ms = (unsigned)atoi(optarg); break;
		case 'b': c->client_buf = (uint32_t)atoi(optarg); break;
		case 'l': h->linger_ms = (unsigned)atoi(optarg); break;
		case 'j': c->json_save_dir = optarg; break;
		case 'q': c->queue_slots = (uint32_t)atoi(optarg); break;
		case 'r': h->rate = (unsigned)atoi(optarg); break;
		default: usage();
		}
	}
	if (!c->unix_path)
		usage();
}

static void sleep_ms(unsigned ms)
{
	struct timespec ts = { ms / 1000, (long)(ms % 1000) * 1000000 };

	nanosleep(&ts, NULL);
}

static void wait_clients(struct harness *h)
{
	struct monitor_stats st;
	unsigned waited = 0;

	for (;;) {
		monitor_stats(h->m, &st);
		if (st.clients >= h->wait_clients || stop_flag || waited > 20000)
			return;
		sleep_ms(10);
		waited += 10;
	}
}

static void print_stats(struct monitor *m)
{
	yajl_gen g = yajl_gen_alloc(NULL);
	const unsigned char *buf;
	size_t len;

	yajl_gen_map_open(g);
	monitor_stats_json(m, g);
	yajl_gen_map_close(g);
	yajl_gen_get_buf(g, &buf, &len);
	printf("%.*s\n", (int)len, buf);
	fflush(stdout);
	yajl_gen_free(g);
}

static struct monitor *open_second(const char *path, struct harness *h)
{
	static const struct monitor_ops ops = { .definitions = defs, .status = status_fields };
	struct monitor_cfg c;

	monitor_cfg_defaults(&c);
	c.unix_path = path;
	c.unix_framing = MONITOR_FRAMING_NETIFY;
	c.status_interval_ms = 0;
	return monitor_new(&c, &ops, h);
}

static void run(struct harness *h)
{
	pthread_t th[16];
	unsigned i, n = h->threads ? (h->threads > 16 ? 16 : h->threads) : 1;
	unsigned lingered = 0;

	wait_clients(h);
	h->start_ns = now_ns();
	for (i = 0; i < n; i++)
		pthread_create(&th[i], NULL, publisher, h);
	for (i = 0; i < n; i++)
		pthread_join(th[i], NULL);
	while (!stop_flag && lingered < h->linger_ms) {
		sleep_ms(10);
		lingered += 10;
	}
}

int main(int argc, char **argv)
{
	static const struct monitor_ops ops = { .definitions = defs, .status = status_fields,
						.flows = flows_json };
	struct control_ops cops = { .fn = { [CONTROL_STATUS] = ctl_status,
		[CONTROL_FLOWS] = ctl_flows, [CONTROL_RELOAD] = ctl_reload,
		[CONTROL_POLICY_TEST] = ctl_policy } };
	struct harness h = { .linger_ms = 500 };
	const char *netify_unix = NULL;
	struct monitor_cfg c;

	monitor_cfg_defaults(&c);
	parse_args(argc, argv, &h, &c, &netify_unix);
	signal(SIGTERM, on_signal);
	signal(SIGINT, on_signal);
	signal(SIGPIPE, SIG_IGN);
	c.control = control_new(&cops, &h);
	h.m = monitor_new(&c, &ops, &h);
	if (!h.m || (netify_unix && !(h.m2 = open_second(netify_unix, &h)))) {
		perror("monitor_harness: monitor_new");
		return 1;
	}
	if (monitor_start(h.m) < 0 || (h.m2 && monitor_start(h.m2) < 0))
		return 1;
	fprintf(stderr, "ready\n");
	run(&h);
	print_stats(h.m);
	monitor_free(h.m2);
	monitor_free(h.m);
	control_free(c.control);
	return 0;
}
