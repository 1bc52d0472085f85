/* Exports known flow records through the real exporter, for the collector
 * tests (tests/export/collectors.sh).
 *
 *   export_tool [-c COLLECTOR]... [-d DOMAIN] [-p PEN] [-r REFRESH_S] -e EXPECT
 *
 * Reads commands on standard input, one per line:
 *   batch N COUNT   export COUNT records of batch N and wait until sent
 *   stats           print the exporter's counters as one JSON line
 *   quit
 * Every record exported is also written to EXPECT as one JSON line (strings
 * in hex, as given to the exporter: the checker works out what a collector
 * must show), so the test compares what the collectors stored with it.
 * Records come in four kinds (by index): an IPv4 TCP flow named by a
 * catalog application; an IPv6 UDP flow named by nDPI only; an IPv4 flow
 * with hostile names (invalid UTF-8, 63-byte strings), blocked; an IPv6
 * flow with empty names, in a QoS class, at an active timeout, with
 * counters past 2^32.
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <yajl/yajl_gen.h>

#include "export.h"
#include "util.h"

static void hex(FILE *f, const char *key, const char *s, size_t max)
{
	size_t i, n = strnlen(s, max);

	fprintf(f, ",\"%s\":\"", key);
	for (i = 0; i < n; i++)
		fprintf(f, "%02x", (unsigned char)s[i]);
	fputc('"', f);
}

static void addr_text(FILE *f, const char *key, const struct export_record *r, const uint8_t *a)
{
	char buf[64];

	fprintf(f, ",\"%s\":\"%s\"", key, util_ntop(r->family, a, buf, sizeof(buf)));
}

static void mac_text(FILE *f, const char *key, const uint8_t *m)
{
	fprintf(f, ",\"%s\":\"%02x:%02x:%02x:%02x:%02x:%02x\"", key, m[0], m[1], m[2], m[3], m[4], m[5]);
}

static void expect(FILE *f, const struct export_record *r)
{
	fprintf(f, "{\"flow_id\":%llu,\"family\":%u,\"proto\":%u,\"sport\":%u,\"dport\":%u",
		(unsigned long long)r->flow_id, r->family, r->proto, r->sport, r->dport);
	addr_text(f, "saddr", r, r->saddr);
	addr_text(f, "daddr", r, r->daddr);
	mac_text(f, "smac", r->smac);
	mac_text(f, "dmac", r->dmac);
	fprintf(f, ",\"start_ms\":%llu,\"end_ms\":%llu,\"bytes\":[%llu,%llu],\"packets\":[%llu,%llu]",
		(unsigned long long)r->start_ms, (unsigned long long)r->end_ms,
		(unsigned long long)r->bytes[0], (unsigned long long)r->bytes[1],
		(unsigned long long)r->packets[0], (unsigned long long)r->packets[1]);
	fprintf(f, ",\"vlan\":%u,\"end\":%u,\"action\":%u,\"app_id\":%u,\"ndpi_id\":%u", r->vlan, r->end,
		r->action, r->app_id, r->ndpi_id);
	hex(f, "app_name", r->app_name, sizeof(r->app_name));
	hex(f, "category", r->category, sizeof(r->category));
	hex(f, "ndpi_name", r->ndpi_name, sizeof(r->ndpi_name));
	hex(f, "host", r->host, sizeof(r->host));
	hex(f, "rule", r->rule, sizeof(r->rule));
	hex(f, "qos_class", r->qos_class, sizeof(r->qos_class));
	fputs("}\n", f);
}

static void make(struct export_record *r, unsigned batch, unsigned i)
{
	unsigned kind = i % 4;

	memset(r, 0, sizeof(*r));
	r->flow_id = batch * 1000 + i;
	r->start_ms = 1700000000000ull + batch * 100000ull + i * 1000ull;
	r->end_ms = r->start_ms + 2500 + i;
	r->bytes[0] = 1000ull * (i + 1) + batch;
	r->bytes[1] = 500ull * (i + 1);
	r->packets[0] = 10 + i;
	r->packets[1] = 5 + i;
	r->sport = (uint16_t)(20000 + batch * 100 + i);
	r->smac[0] = 2;
	r->smac[4] = (uint8_t)batch;
	r->smac[5] = (uint8_t)i;
	memcpy(r->dmac, "\x02\x00\x00\x01\x00\x01", 6);
	r->family = kind % 2 ? 6 : 4;
	if (r->family == 4) {
		memcpy(r->saddr, (uint8_t[]){ 10, 1, (uint8_t)batch, (uint8_t)(i + 1) }, 4);
		memcpy(r->daddr, (uint8_t[]){ 192, 0, 2, (uint8_t)(i + 1) }, 4);
	} else {
		memcpy(r->saddr, "\x20\x01\x0d\xb8\0\0\0\0\0\0\0\0\0\0\0\0", 16);
		r->saddr[5] = (uint8_t)batch;
		r->saddr[15] = (uint8_t)(i + 1);
		memcpy(r->daddr, "\x20\x01\x0d\xb8\xff\xff\0\0\0\0\0\0\0\0\0\x01", 16);
	}
	switch (kind) {
	case 0:
		r->proto = 6;
		r->dport = 443;
		r->end = EXPORT_END_CLOSED;
		r->action = EXPORT_ACTION_ALLOW;
		r->app_id = 402;
		r->ndpi_id = 124;
		strcpy(r->app_name, "YouTube");
		strcpy(r->category, "video");
		strcpy(r->ndpi_name, "TLS.YouTube");
		strcpy(r->host, "www.youtube.com");
		strcpy(r->rule, "school-nights");
		break;
	case 1:
		r->proto = 17;
		r->dport = 53;
		r->end = EXPORT_END_IDLE;
		r->ndpi_id = 5;
		strcpy(r->ndpi_name, "DNS");
		strcpy(r->host, "example.org");
		break;
	case 2:
		r->proto = 17;
		r->dport = 443;
		r->end = EXPORT_END_EVICTED;
		r->action = EXPORT_ACTION_BLOCK;
		r->app_id = 50001;
		r->ndpi_id = 188;
		memset(r->app_name, 0xff, sizeof(r->app_name) - 1);
		strcpy(r->category, "\xc0\xaf" "bad");
		strcpy(r->ndpi_name, "QUIC");
		memset(r->host, 'a', sizeof(r->host) - 1);
		memcpy(r->host + 10, "\xf0\x9f\x98\x80\xfe", 5);	/* an emoji, a bad byte */
		strcpy(r->rule, "block-all");
		break;
	default:
		r->proto = 6;
		r->dport = 8080;
		r->end = EXPORT_END_ACTIVE;
		r->action = EXPORT_ACTION_QOS;
		r->bytes[0] = 5000000000ull + i;
		r->packets[0] = 4500000000ull;
		strcpy(r->qos_class, "bulk");
		break;
	}
}

static void batch(struct exporter *x, FILE *ef, unsigned n, unsigned count)
{
	struct export_record r;
	struct export_stats st;
	unsigned i, tries;

	for (i = 0; i < count; i++) {
		make(&r, n, i);
		for (tries = 0; export_push(x, &r) && tries < 1000; tries++)
			usleep(1000);
		expect(ef, &r);
	}
	fflush(ef);
	/* sent once the exporter encoded them all and its flush time passed */
	for (tries = 0; tries < 500; tries++) {
		export_stats(x, &st);
		if (st.encoded + st.dropped >= st.pushed)
			break;
		usleep(10000);
	}
	usleep(300000);
}

static void stats(struct exporter *x)
{
	yajl_gen g = yajl_gen_alloc(NULL);
	const unsigned char *buf;
	size_t len;

	yajl_gen_map_open(g);
	export_stats_json(x, g);
	yajl_gen_map_close(g);
	yajl_gen_get_buf(g, &buf, &len);
	printf("%.*s\n", (int)len, buf);
	fflush(stdout);
	yajl_gen_free(g);
}

int main(int argc, char **argv)
{
	const char *expect_path = NULL;
	struct export_cfg cfg;
	struct exporter *x;
	char line[256], err[256];
	unsigned n, count;
	FILE *ef;
	int opt;

	export_cfg_defaults(&cfg);
	cfg.flush_ms = 100;
	while ((opt = getopt(argc, argv, "c:d:p:r:e:")) != -1) {
		switch (opt) {
		case 'c':
			if (cfg.n_collectors == EXPORT_COLLECTORS_MAX ||
			    export_collector_parse(optarg, &cfg.collectors[cfg.n_collectors++], err, sizeof(err))) {
				fprintf(stderr, "export_tool: %s\n", err);
				return 2;
			}
			break;
		case 'd': cfg.domain = (uint32_t)strtoul(optarg, NULL, 10); break;
		case 'p': cfg.pen = (uint32_t)strtoul(optarg, NULL, 10); break;
		case 'r': cfg.template_refresh = (uint32_t)strtoul(optarg, NULL, 10); break;
		case 'e': expect_path = optarg; break;
		default: return 2;
		}
	}
	if (!expect_path || !(ef = fopen(expect_path, "w"))) {
		fprintf(stderr, "usage: export_tool [-c COLLECTOR]... [-d DOMAIN] [-p PEN] [-r S] -e EXPECT\n");
		return 2;
	}
	if (!(x = export_new(&cfg)) || export_start(x)) {
		perror("export_tool");
		return 1;
	}
	while (fgets(line, sizeof(line), stdin)) {
		if (sscanf(line, "batch %u %u", &n, &count) == 2)
			batch(x, ef, n, count);
		else if (!strncmp(line, "stats", 5))
			stats(x);
		else if (!strncmp(line, "quit", 4))
			break;
		printf("done\n");
		fflush(stdout);
	}
	export_stop(x);
	stats(x);
	export_free(x);
	fclose(ef);
	return 0;
}
