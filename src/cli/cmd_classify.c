/* `netify classify`: the daemon's decode/flow/DPI path over capture files,
 * one JSON record per flow when its inspection ends, then a summary. */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "apps.h"
#include "cmd.h"
#include "engine.h"
#include "esc.h"
#include "flowjson.h"
#include "json.h"
#include "pcapsrc.h"
#include "util.h"

#define MAX_LOCAL_NETS 64
#define TABLE_SLOTS 1024	/* distinct protocol/application names in --table */
/* option ranges: as the daemon's packet_budget and flow_table_size allow
 * (flows from 1, for tests of eviction) */
#define CLASSIFY_BUDGET_MAX	65535
#define CLASSIFY_FLOWS_MAX	16777216
#define CLASSIFY_QUIC_MAX	65536

struct tally {
	const char *name;
	uint64_t flows, bytes;
};

struct classify {
	struct engine *engine;
	yajl_gen gen;		/* the summary */
	struct jsonw rec;	/* flow records */
	const char *capture;
	int table;
	uint64_t last_expire_us, flows;
	struct tally protos[TABLE_SLOTS], apps[TABLE_SLOTS];
};

static void tally_add(struct tally *t, const char *name, uint64_t bytes)
{
	size_t i, h = util_hash(name, strlen(name), 0) % TABLE_SLOTS;

	for (i = 0; i < TABLE_SLOTS; i++, h = (h + 1) % TABLE_SLOTS) {
		if (!t[h].name)
			t[h].name = name;
		if (t[h].name == name || !strcmp(t[h].name, name)) {
			t[h].flows++;
			t[h].bytes += bytes;
			return;
		}
	}
}

static void print_record(const struct jsonw *w)
{
	size_t len;
	const char *buf = jsonw_buf(w, &len);

	if (!buf) {	/* cannot happen with today's bounded fields */
		fprintf(stderr, "netify classify: a flow record passed %zu bytes, skipped\n", w->max);
		return;
	}
	fwrite(buf, 1, len, stdout);
	fputc('\n', stdout);
}

static void on_flow_done(void *user, struct engine *e, struct flow *f)
{
	struct classify *c = user;

	c->flows++;
	if (c->table)
		return;
	jsonw_reset(&c->rec);
	flowjson_open(&c->rec, e, f);
	flowjson_close(&c->rec);
	print_record(&c->rec);
}

static void on_flow_purge(void *user, struct engine *e, struct flow *f, enum flow_purge why)
{
	struct classify *c = user;
	const char *app = engine_app_tag(e, f);
	uint64_t bytes = f->bytes[0] + f->bytes[1];

	(void)why;
	if (!c->table)
		return;
	/* Names from nDPI and the app database outlive the run: keep pointers. */
	tally_add(c->protos, engine_proto_name(e, f->proto_master), bytes);
	tally_add(c->apps, app ? app : "unknown", bytes);
}

static int on_packet(void *user, enum link_type lt, const uint8_t *data, uint32_t caplen, uint64_t ts)
{
	struct classify *c = user;
	struct engine_result res;

	engine_process(c->engine, lt, data, caplen, ts, &res);
	if (ts > c->last_expire_us + 1000000) {
		engine_expire(c->engine, ts);
		c->last_expire_us = ts;
	}
	return 0;
}

static int tally_cmp(const void *a, const void *b)
{
	const struct tally *x = a, *y = b;

	return (y->bytes > x->bytes) - (y->bytes < x->bytes);
}

static void print_tally(const char *title, struct tally *t)
{
	size_t i;

	qsort(t, TABLE_SLOTS, sizeof(*t), tally_cmp);
	printf("%-28s %10s %14s\n", title, "flows", "bytes");
	for (i = 0; i < TABLE_SLOTS && t[i].name; i++)
		printf("%-28s %10llu %14llu\n", esc(t[i].name), (unsigned long long)t[i].flows,
		       (unsigned long long)t[i].bytes);
	printf("\n");
}

static const char *summary_decode_name(int i)
{
	return decode_status_name((enum decode_status)i);
}

static const char *summary_end_name(int i)
{
	return flow_end_name((enum flow_end)i);
}

/* A map of counters v[first..n), each named by name(i). */
static void print_counts(yajl_gen g, const char *key, const char *(*name)(int), const uint64_t *v,
			 int first, int n)
{
	int i;

	json_key(g, key);
	yajl_gen_map_open(g);
	for (i = first; i < n; i++)
		json_kv_int(g, name(i), (long long)v[i]);
	yajl_gen_map_close(g);
}

static void print_summary(struct classify *c, unsigned captures, unsigned failed, double secs)
{
	const struct engine_stats *st = engine_stats(c->engine);
	const struct flow_stats *fs = engine_flow_stats(c->engine);
	yajl_gen g = c->gen;

	yajl_gen_map_open(g);
	json_kv_str(g, "type", "summary");
	json_kv_int(g, "captures", captures);
	json_kv_int(g, "captures_failed", failed);
	json_kv_int(g, "packets", (long long)st->packets);
	json_kv_int(g, "bytes", (long long)st->bytes);
	print_counts(g, "decode", summary_decode_name, st->decode, 0, __DECODE_MAX);
	json_kv_int(g, "packets_inspected", (long long)st->inspected);
	json_kv_int(g, "flows", (long long)fs->inserts);
	print_counts(g, "flows_done", summary_end_name, st->flows_done, 1, __FLOW_END_MAX);
	json_kv_int(g, "flows_evicted", (long long)fs->evictions);
	json_kv_int(g, "flows_evicted_inspecting", (long long)fs->evict_inspecting);
	json_kv_int(g, "elapsed_ms", (long long)(secs * 1000));
	yajl_gen_map_close(g);
	json_gen_print(g, stdout);
}

static void usage(FILE *out)
{
	fprintf(out,
		"usage: netify classify [options] CAPTURE...\n"
		"  -b, --budget N       packets inspected per flow (default 32, 0 = no limit)\n"
		"  -f, --flows N        flow table capacity (default 65536)\n"
		"  -a, --apps DIR       application definitions directory\n"
		"  -l, --local-net CIDR LAN network: decides the local side (repeatable)\n"
		"  -t, --table          print a table per protocol and application\n"
		"      --no-summary     omit the closing summary record\n"
		"      --quic-capacity N  QUIC handshakes netify reads itself at once (default 256,\n"
		"                       0 = only nDPI reads QUIC)\n");
}

struct classify_opts {
	struct engine_cfg cfg;
	struct engine_cidr nets[MAX_LOCAL_NETS];
	const char *apps_dir;
	int table, summary;
};

static int parse_opts(int argc, char **argv, struct classify_opts *o)
{
	static const struct option longopts[] = {
		{ "budget", required_argument, NULL, 'b' },
		{ "flows", required_argument, NULL, 'f' },
		{ "apps", required_argument, NULL, 'a' },
		{ "local-net", required_argument, NULL, 'l' },
		{ "table", no_argument, NULL, 't' },
		{ "no-summary", no_argument, NULL, 'S' },
		{ "quic-capacity", required_argument, NULL, 'Q' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	unsigned long long v;
	struct engine_cidr *n;
	int opt;

	engine_cfg_defaults(&o->cfg);
	o->cfg.decode_tunnels = true;	/* as ndpiReader reads captures */
	o->summary = 1;
	while ((opt = getopt_long(argc, argv, "b:f:a:l:th", longopts, NULL)) != -1) {
		switch (opt) {
		case 'b':
			if (cmd_uint("classify", "--budget", optarg, 0, CLASSIFY_BUDGET_MAX, &v))
				return -1;
			o->cfg.packet_budget = (uint32_t)v;
			break;
		case 'f':
			if (cmd_uint("classify", "--flows", optarg, 1, CLASSIFY_FLOWS_MAX, &v))
				return -1;
			o->cfg.flow_capacity = (uint32_t)v;
			break;
		case 'a':
			o->apps_dir = optarg;
			break;
		case 'l':
			if (o->cfg.n_local_nets >= MAX_LOCAL_NETS)
				goto bad;
			n = &o->nets[o->cfg.n_local_nets];
			if (util_parse_cidr(optarg, &n->family, n->addr, &n->bits))
				goto bad;
			o->cfg.n_local_nets++;
			break;
		case 't':
			o->table = 1;
			break;
		case 'S':
			o->summary = 0;
			break;
		case 'Q':
			if (cmd_uint("classify", "--quic-capacity", optarg, 0, CLASSIFY_QUIC_MAX, &v))
				return -1;
			o->cfg.quic_capacity = (uint32_t)v;
			break;
		case 'h':
			usage(stdout);
			exit(0);
		default:
			usage(stderr);
			return -1;
		}
	}
	o->cfg.local_nets = o->nets;
	if (optind >= argc) {
		usage(stderr);
		return -1;
	}
	return 0;
bad:
	fprintf(stderr, "netify classify: bad value for -%c: '%s'\n", opt, esc(optarg));
	return -1;
}

static struct apps_db *load_apps(const char *dir)
{
	struct apps_errors errs;
	struct apps_db *db;
	unsigned i;

	memset(&errs, 0, sizeof(errs));
	db = apps_db_load(dir, &errs);
	for (i = 0; i < errs.count; i++)
		fprintf(stderr, "netify classify: %s\n", esc(errs.msg[i]));
	if (errs.dropped)
		fprintf(stderr, "netify classify: %u more errors\n", errs.dropped);
	return db;
}

static int run_captures(struct classify *c, int n, char **paths, unsigned *failed)
{
	char err[512];
	int i;

	for (i = 0; i < n; i++) {
		c->capture = paths[i];
		c->last_expire_us = 0;
		if (pcapsrc_read(paths[i], on_packet, c, err, sizeof(err))) {
			fprintf(stderr, "netify classify: %s\n", esc(err));
			(*failed)++;
		}
		/* Flows of one capture never continue in the next. */
		engine_flush(c->engine, FLOW_PURGE_SHUTDOWN);
	}
	return 0;
}

int cmd_classify(int argc, char **argv)
{
	static struct classify c;
	struct classify_opts o;
	struct apps_db *db = NULL;
	struct timespec t0, t1;
	unsigned failed = 0;
	int rc = 1;

	memset(&o, 0, sizeof(o));
	if (parse_opts(argc, argv, &o))
		return 2;
	if (o.apps_dir && !(db = load_apps(o.apps_dir))) {
		fprintf(stderr, "netify classify: cannot load definitions from %s\n", esc(o.apps_dir));
		return 1;
	}
	memset(&c, 0, sizeof(c));
	c.table = o.table;
	o.cfg.cb = (struct engine_callbacks){ .flow_done = on_flow_done, .flow_purge = on_flow_purge,
					      .user = &c };
	c.engine = engine_new(&o.cfg);
	c.gen = json_gen_new();
	if (!c.engine || !c.gen || jsonw_init(&c.rec, FLOWJSON_INITIAL, FLOWJSON_MAX)) {
		fprintf(stderr, "netify classify: cannot initialise the engine\n");
		goto out;
	}
	engine_set_apps(c.engine, db);
	clock_gettime(CLOCK_MONOTONIC, &t0);
	run_captures(&c, argc - optind, argv + optind, &failed);
	clock_gettime(CLOCK_MONOTONIC, &t1);
	if (c.table) {
		print_tally("protocol", c.protos);
		print_tally("application", c.apps);
	} else if (o.summary) {
		print_summary(&c, (unsigned)(argc - optind), failed,
			      (double)(t1.tv_sec - t0.tv_sec) + (double)(t1.tv_nsec - t0.tv_nsec) / 1e9);
	}
	rc = failed ? 1 : 0;
out:
	if (c.gen)
		yajl_gen_free(c.gen);
	jsonw_free(&c.rec);
	engine_free(c.engine);
	apps_db_free(db);
	fflush(stdout);
	return rc;
}
