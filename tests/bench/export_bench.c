/* IPFIX export benchmark.
 *
 *   make tests/bench/export_bench && tests/bench/export_bench [RECORDS]
 *
 * Per record, on one core, all measured in this run:
 *   1. export_push(): what a worker or the accounting thread pays;
 *   2. ipfix_msg_record(): the encoding, in the exporter thread;
 *   3. the whole path: push, then export_poll() packing MTU-sized messages
 *      and sending each to a UDP collector on loopback (a socket that is
 *      read by nobody: the kernel still takes every datagram);
 * against two baselines of the same records:
 *   a. memcpy of the record into a ring of slots (the least a queue costs);
 *   b. the record written as a JSON flow event with jsonw, as the daemon
 *      writes every flow for the monitor stream.
 * Prints records/s per core, ratios, and the share of one core that 10,000
 * flow ends per second would take. No assertion: numbers only.
 */
#include "config.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "export.h"
#include "ipfix.h"
#include "jsonw.h"

#define KINDS 4

static uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

static void make(struct export_record *r, unsigned i)
{
	memset(r, 0, sizeof(*r));
	r->flow_id = i;
	r->start_ms = 1700000000000ull + i;
	r->end_ms = r->start_ms + 30000;
	r->bytes[0] = 123456 + i;
	r->bytes[1] = 9876543;
	r->packets[0] = 300;
	r->packets[1] = 7000;
	r->family = i % 4 == 3 ? 6 : 4;
	r->proto = 6;
	r->sport = (uint16_t)(1024 + i);
	r->dport = 443;
	memcpy(r->saddr, "\xc0\xa8\x01\x32", 4);
	memcpy(r->daddr, "\x8e\xfa\xb4\x0e", 4);
	memcpy(r->smac, "\xaa\xbb\xcc\xdd\xee\xff", 6);
	r->end = EXPORT_END_CLOSED;
	r->action = EXPORT_ACTION_ALLOW;
	r->app_id = 400 + i % KINDS;
	r->ndpi_id = 124;
	snprintf(r->app_name, sizeof(r->app_name), "YouTube%u", i % KINDS);
	strcpy(r->category, "video");
	strcpy(r->ndpi_name, "TLS.YouTube");
	strcpy(r->host, "rr3---sn-4g5e6nzz.googlevideo.com");
	strcpy(r->rule, "kids-video");
}

/* The same facts as the daemon's flow event, with its member names. */
static void json_event(struct jsonw *j, const struct export_record *r)
{
	char a[64];

	jsonw_map_open(j);
	jsonw_kv_str(j, "type", "flow");
	jsonw_name(j, "flow");
	jsonw_map_open(j);
	jsonw_kv_int(j, "flow_id", (long long)r->flow_id);
	jsonw_kv_int(j, "ip_version", r->family);
	jsonw_kv_int(j, "ip_protocol", r->proto);
	inet_ntop(r->family == 4 ? AF_INET : AF_INET6, r->saddr, a, sizeof(a));
	jsonw_kv_str(j, "local_ip", a);
	inet_ntop(r->family == 4 ? AF_INET : AF_INET6, r->daddr, a, sizeof(a));
	jsonw_kv_str(j, "other_ip", a);
	jsonw_kv_int(j, "local_port", r->sport);
	jsonw_kv_int(j, "other_port", r->dport);
	jsonw_kv_str(j, "local_mac", "aa:bb:cc:dd:ee:ff");
	jsonw_kv_int(j, "first_seen_at", (long long)r->start_ms);
	jsonw_kv_int(j, "last_seen_at", (long long)r->end_ms);
	jsonw_kv_int(j, "local_bytes", (long long)r->bytes[0]);
	jsonw_kv_int(j, "other_bytes", (long long)r->bytes[1]);
	jsonw_kv_int(j, "local_packets", (long long)r->packets[0]);
	jsonw_kv_int(j, "other_packets", (long long)r->packets[1]);
	jsonw_kv_int(j, "detected_application", r->app_id);
	jsonw_kv_str(j, "detected_application_name", r->app_name);
	jsonw_kv_str(j, "category", r->category);
	jsonw_kv_str(j, "detected_protocol_name", r->ndpi_name);
	jsonw_kv_str(j, "host_server_name", r->host);
	jsonw_kv_str(j, "rule", r->rule);
	jsonw_map_close(j);
	jsonw_map_close(j);
}

static int udp_sink(uint16_t *port)
{
	struct sockaddr_in a = { .sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
	socklen_t l = sizeof(a);
	int fd = socket(AF_INET, SOCK_DGRAM, 0);

	if (fd < 0 || bind(fd, (struct sockaddr *)&a, sizeof(a)) || getsockname(fd, (struct sockaddr *)&a, &l))
		return -1;
	*port = ntohs(a.sin_port);
	return fd;
}

static volatile size_t sink;

int main(int argc, char **argv)
{
	unsigned n = argc > 1 ? (unsigned)strtoul(argv[1], NULL, 10) : 1000000, i, q = 1024;
	struct export_record *recs = calloc(4096, sizeof(*recs));
	uint8_t *slots = malloc((size_t)q * sizeof(*recs)), buf[1400];
	double t_copy, t_json, t_push, t_enc, t_path;
	struct export_stats st;
	struct export_cfg cfg;
	struct exporter *x;
	struct ipfix_msg m;
	struct jsonw j;
	uint64_t t0, ms = 1;
	uint16_t port;
	char err[64], spec[32];
	int fd;

	if (!recs || !slots || jsonw_init(&j, 4096, 65536) || (fd = udp_sink(&port)) < 0)
		return 1;
	for (i = 0; i < 4096; i++)
		make(&recs[i], i);

	t0 = now_ns();
	for (i = 0; i < n; i++)
		memcpy(slots + (size_t)(i % q) * sizeof(*recs), &recs[i % 4096], sizeof(*recs));
	t_copy = (double)(now_ns() - t0) / n;
	sink += slots[5];

	t0 = now_ns();
	for (i = 0; i < n; i++) {
		size_t len;

		jsonw_reset(&j);
		json_event(&j, &recs[i % 4096]);
		sink += (size_t)jsonw_buf(&j, &len) + len;
	}
	t_json = (double)(now_ns() - t0) / n;

	ipfix_msg_init(&m, buf, sizeof(buf));
	t0 = now_ns();
	for (i = 0; i < n; i++)
		if (ipfix_msg_record(&m, &recs[i % 4096], 0)) {
			ipfix_msg_header(&m, 0, i, 1);
			sink += m.len;
			ipfix_msg_reset(&m);
			ipfix_msg_record(&m, &recs[i % 4096], 0);
		}
	t_enc = (double)(now_ns() - t0) / n;

	/* push alone: the queue drained between rounds, outside the clock */
	export_cfg_defaults(&cfg);
	cfg.rate = 0;
	cfg.queue = q;
	x = export_new(&cfg);
	t_push = 0;
	for (i = 0; i < n; i += q) {
		unsigned k, lim = n - i < q ? n - i : q;

		t0 = now_ns();
		for (k = 0; k < lim; k++)
			export_push(x, &recs[(i + k) % 4096]);
		t_push += (double)(now_ns() - t0);
		export_poll(x, ms++);
	}
	t_push /= n;
	export_free(x);

	/* the whole path to a UDP collector */
	export_cfg_defaults(&cfg);
	cfg.rate = 0;
	cfg.queue = q;
	snprintf(spec, sizeof(spec), "127.0.0.1:%u", port);
	export_collector_parse(spec, &cfg.collectors[0], err, sizeof(err));
	cfg.n_collectors = 1;
	x = export_new(&cfg);
	t0 = now_ns();
	for (i = 0; i < n; i += q) {
		unsigned k, lim = n - i < q ? n - i : q;

		for (k = 0; k < lim; k++)
			export_push(x, &recs[(i + k) % 4096]);
		export_poll(x, ms++);
	}
	export_flush(x, ms);
	t_path = (double)(now_ns() - t0) / n;
	export_stats(x, &st);
	export_free(x);
	close(fd);

	printf("export_bench: %u records, one core, ns per record (records/s)\n", n);
	printf("  baseline memcpy of the record (%zu B)   %8.1f ns  (%.0f/s)\n", sizeof(*recs), t_copy, 1e9 / t_copy);
	printf("  baseline JSON flow event (jsonw)        %8.1f ns  (%.0f/s)\n", t_json, 1e9 / t_json);
	printf("  export_push (caller's cost)             %8.1f ns  (%.0f/s)  %.2fx memcpy\n", t_push,
	       1e9 / t_push, t_push / t_copy);
	printf("  IPFIX encode (exporter thread)          %8.1f ns  (%.0f/s)  %.2fx JSON event\n", t_enc,
	       1e9 / t_enc, t_enc / t_json);
	printf("  push + encode + send over UDP           %8.1f ns  (%.0f/s)  %.2fx JSON event\n", t_path,
	       1e9 / t_path, t_path / t_json);
	printf("  sent: %llu records in %llu messages (%.1f records/message), dropped %llu\n",
	       (unsigned long long)st.c[0].records, (unsigned long long)st.c[0].messages,
	       st.c[0].messages ? (double)st.c[0].records / (double)st.c[0].messages : 0.0,
	       (unsigned long long)st.c[0].dropped);
	printf("  at 10,000 flow ends/s: %.2f%% of one core (caller's share %.3f%%)\n", t_path * 1e4 / 1e7,
	       t_push * 1e4 / 1e7);
	jsonw_free(&j);
	free(recs);
	free(slots);
	return sink == 42;
}
