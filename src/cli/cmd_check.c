/*
 * cmd_check.c - `netify check` (validate /etc/config/netify and print the
 * effective policy) and `netify policy test` (which rule a device/app hits).
 *
 * Both load the policy exactly as the daemon does, with the application
 * catalog and nDPI behind the policy_names callbacks, so a file that passes
 * `check` is one the daemon accepts on reload.
 */
#define _GNU_SOURCE	/* strptime */
#include <arpa/inet.h>
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "apps.h"
#include "cmd.h"
#include "dpi.h"
#include "esc.h"
#include "json.h"
#include "policy_names.h"
#include "policy.h"
#include "uci.h"

#define CHECK_DEFAULT_CONFIG	"/etc/config/netify"
#define CHECK_DEFAULT_APPS	"/etc/netify/apps.d"

struct check_ctx {
	const char *config;
	const char *apps_dir;	/* --apps, else the file's apps_dir */
	struct apps_db *db;
	struct policy *policy;
	char error[POLICY_ERROR_LEN + 32];	/* first problem, for --json */
};

/*
 * The catalog directory is itself a setting of the file being checked, so
 * read it with the bare UCI parser first; a broken file is reported by the
 * real load right after.
 */
static char *check_apps_dir_of(const char *config)
{
	struct uci_pkg *pkg = NULL;
	const char *dir = CHECK_DEFAULT_APPS;
	char why[128], *ret, *buf;
	size_t len = 0;

	buf = policy_read_file(config, &len, why, sizeof(why));
	if (buf && uci_parse_buf(config, "netify", buf, len, &pkg, NULL) == 0) {
		for (const struct uci_sec *s = pkg->secs; s; s = s->next)
			if (!strcmp(s->type, "netify"))
				dir = uci_get_str(s, "apps_dir", dir);
	}
	ret = strdup(dir);
	uci_pkg_free(pkg);
	free(buf);
	return ret;
}

static void check_load_apps(struct check_ctx *c, const char *dir)
{
	struct apps_errors *ae = calloc(1, sizeof(*ae));

	c->db = apps_db_load(dir, ae);
	if (!c->db)
		fprintf(stderr, "warning: cannot read application catalog "
			"%s: %s\n", esc(dir), strerror(errno));
	for (unsigned int i = 0; ae && i < ae->count; i++)
		fprintf(stderr, "warning: %s\n", esc(ae->msg[i]));
	if (ae && ae->dropped)
		fprintf(stderr, "warning: %u more catalog errors\n",
			ae->dropped);
	free(ae);
}

static void check_print_errors(const struct policy_errors *e)
{
	for (unsigned int i = 0; i < e->count; i++)
		fprintf(stderr, "%s\n", esc(e->msg[i]));
	if (e->dropped)
		fprintf(stderr, "... and %u more errors\n", e->dropped);
	fprintf(stderr, "%u error%s\n", e->count + e->dropped,
		e->count + e->dropped == 1 ? "" : "s");
}

/* Loads catalog and policy; prints every error.  0 or -1. */
static int check_load(struct check_ctx *c)
{
	struct policy_catalog n = { NULL, policy_names_dpi_proto, NULL };
	struct policy_names names;
	struct policy_errors *errs = calloc(1, sizeof(*errs));
	char *dir = c->apps_dir ? strdup(c->apps_dir) :
				  check_apps_dir_of(c->config);

	if (!errs || !dir) {
		fprintf(stderr, "out of memory\n");
		goto out_free;
	}
	check_load_apps(c, dir);
	n.apps = c->db;
	policy_names_init(&n, &names);
	c->policy = policy_load(c->config, &names, errs);
	if (!c->policy && errs->count)
		snprintf(c->error, sizeof(c->error), "invalid configuration: %s",
			 errs->msg[0]);
	if (!c->policy)
		check_print_errors(errs);
out_free:
	free(dir);
	free(errs);
	return c->policy ? 0 : -1;
}

static void check_unload(struct check_ctx *c)
{
	policy_free(c->policy);
	apps_db_free(c->db);
}

/* ---- printing the effective policy ---- */

/* A table size per queue; 0 is decided at start from the RAM the box has. */
static void check_print_size(const char *label, unsigned int n)
{
	if (n)
		printf("  %-16s %u per queue\n", label, n);
	else
		printf("  %-16s from RAM at start\n", label);
}

static void check_print_strs(const char *label, const struct policy_strs *l)
{
	printf("  %-16s", label);
	for (size_t i = 0; i < l->n; i++)
		printf(" %s", esc(l->v[i]));
	printf("%s\n", l->n ? "" : " (none)");
}

static void check_print_cidrs(const char *label, const struct policy_cidrs *l)
{
	char buf[64];

	printf("  %-16s", label);
	for (size_t i = 0; i < l->n; i++) {
		policy_cidr_format(&l->v[i], buf, sizeof(buf));
		printf(" %s", buf);
	}
	printf("%s\n", l->n ? "" : " (none)");
}

static void check_print_main(const struct policy_main *m)
{
	printf("main:\n");
	printf("  %-16s %s\n", "enabled", m->enabled ? "yes" : "no");
	if (m->queue_first == m->queue_last)
		printf("  %-16s %u\n", "queue", m->queue_first);
	else
		printf("  %-16s %u-%u\n", "queue", m->queue_first,
		       m->queue_last);
	printf("  %-16s %u%s\n", "packet_budget", m->packet_budget,
	       m->packet_budget ? "" : " (no limit)");
	printf("  %-16s %s\n", "fail_open", m->fail_open ? "yes" : "no");
	check_print_strs("lan_interface", &m->lan_interface);
	check_print_strs("wan_interface", &m->wan_interface);
	check_print_cidrs("lan_network", &m->lan_network);
	check_print_cidrs("wan_network", &m->wan_network);
	printf("  %-16s 0x%08x\n", "mark_mask", m->mark_mask);
	printf("  %-16s %s\n", "block_mode",
	       policy_block_mode_name(m->block_mode));
	printf("  %-16s %us\n", "block_timeout", m->block_timeout);
	printf("  %-16s %s\n", "input_chain", m->input_chain ? "yes" : "no");
	printf("  %-16s %s\n", "output_chain", m->output_chain ? "yes" : "no");
	printf("  %-16s %s\n", "keep_blocking", m->keep_blocking ? "yes" : "no");
	printf("  %-16s %s (group %s, %s)\n", "monitor_socket",
	       esc(m->monitor_socket), esc(m->monitor_group),
	       policy_framing_name(m->monitor_framing));
	check_print_strs("monitor_tcp", &m->monitor_tcp);
	printf("  %-16s %s\n", "control_socket", esc(m->control_socket));
	printf("  %-16s %us\n", "status_interval", m->status_interval);
	printf("  %-16s %s\n", "apps_dir", esc(m->apps_dir));
	check_print_size("flow_table_size", m->flow_table_size);
	check_print_size("inspect_slots", m->inspect_slots);
	check_print_size("dns_cache_size", m->dns_cache_size);
	printf("  %-16s %u queue%s per nDPI module\n", "dpi_share", m->dpi_share,
	       m->dpi_share == 1 ? "" : "s");
	if (m->worker_priority)
		printf("  %-16s SCHED_FIFO %u (else nice -10)\n", "worker_priority", m->worker_priority);
	else
		printf("  %-16s normal\n", "worker_priority");
	printf("  %-16s %u..%us\n", "dns_ttl", m->dns_ttl_min, m->dns_ttl_max);
	printf("  %-16s %s\n", "log_level", policy_log_level_name(m->log_level));
	if (!m->usage) {
		printf("  %-16s off (rules with a limit never match)\n", "usage");
		return;
	}
	printf("  %-16s on, days start at %02d:%02d, state in %s every %us", "usage",
	       m->reset_time / 60, m->reset_time % 60, m->usage_dir,
	       m->usage_save_interval);
	if (m->usage_persist_dir)
		printf(", copy in %s every %us", m->usage_persist_dir,
		       m->usage_persist_interval);
	printf("\n  %-16s %u entries, active minute from %u byte%s, "
	       "volume limits read every %us\n", "", m->usage_max_entries,
	       m->usage_min_bytes, m->usage_min_bytes == 1 ? "" : "s",
	       m->usage_refresh);
}

/* "1h30m/day, 500 MB/day" */
static void check_print_limit(const struct policy_rule *r)
{
	static const char *const unit[] = { "B", "kB", "MB", "GB", "TB", "PB" };
	double v = (double)r->volume_limit;
	int u = 0;

	printf("     limit:  ");
	if (r->time_limit >= 60)
		printf("%uh%02um/day", r->time_limit / 60, r->time_limit % 60);
	else if (r->time_limit)
		printf("%um/day", r->time_limit);
	while (v >= 1000 && u < 5) {
		v /= 1000;
		u++;
	}
	if (r->volume_limit)
		printf("%s%.*f %s/day", r->time_limit ? ", " : "",
		       v == (double)(uint64_t)v ? 0 : 1, v, unit[u]);
	if (r->limit_warn)
		printf(", warning at %u%%", r->limit_warn);
	printf(", %s; matches once reached\n",
	       r->limit_per == POLICY_LIMIT_PER_DEVICE ?
	       "each device its own budget" : "one budget for all its devices");
}

static void check_print_list(const char *what, const struct policy_strs *l,
			     bool *first)
{
	for (size_t i = 0; i < l->n; i++) {
		printf("%s%s %s", *first ? "" : ", ", what, esc(l->v[i]));
		*first = false;
	}
}

static void check_print_source(const struct policy_rule *r)
{
	bool first = true;
	char buf[64];

	printf("     from:   ");
	for (size_t i = 0; i < r->src_mac.n; i++) {
		const uint8_t *a = r->src_mac.v[i];

		printf("%smac %02x:%02x:%02x:%02x:%02x:%02x", first ? "" : ", ",
		       a[0], a[1], a[2], a[3], a[4], a[5]);
		first = false;
	}
	for (size_t i = 0; i < r->src_ip.n; i++) {
		policy_cidr_format(&r->src_ip.v[i], buf, sizeof(buf));
		printf("%sip %s", first ? "" : ", ", buf);
		first = false;
	}
	check_print_list("device", &r->device, &first);
	check_print_list("group", &r->group, &first);
	if (first)
		printf("any source");
	if (r->src_iface.n) {
		printf(" on");
		for (size_t i = 0; i < r->src_iface.n; i++)
			printf(" %s", esc(r->src_iface.v[i]));
	}
	printf("\n");
}

static void check_print_rule(const struct policy_rule *r)
{
	bool first = true;
	char when[512];
	const struct policy_class *k = r->class;

	printf("  %d. %s%s (line %d)\n", r->index + 1, esc(r->name),
	       r->enabled ? "" : " [disabled]", r->line);
	check_print_source(r);
	printf("     match:  ");
	check_print_list("app", &r->app, &first);
	check_print_list("category", &r->category, &first);
	check_print_list("proto", &r->proto, &first);
	printf("%s\n", first ? "any traffic" : "");
	printf("     action: %s", policy_action_name(r->action));
	if (k) {
		printf(" class %s (mark %u", esc(k->name), k->mark);
		if (k->dscp >= 0)
			printf(", dscp %d", k->dscp);
		if (k->priority >= 0)
			printf(", priority %d", k->priority);
		printf(")");
	}
	if (r->action == POLICY_LOG)
		printf(" (recorded, matching continues)");
	sched_describe(&r->sched, when, sizeof(when));
	printf("\n     when:   %s\n", esc(when));
	if (r->limit_key)
		check_print_limit(r);
}

static void check_print_export(const struct policy_export *x)
{
	if (!x->enabled) {
		printf("  %-16s off\n", "export");
		return;
	}
	printf("  %-16s IPFIX, observation domain %u, active timeout %us, "
	       "queue %u, rate %u/s%s\n", "export", x->observation_domain,
	       x->active_timeout, x->queue, x->rate, x->pen ? ", with netify's elements" : "");
	check_print_strs("collector", &x->collector);
}

static void check_print_policy(const struct policy *p)
{
	check_print_main(&p->main);
	check_print_export(&p->export);
	printf("rules: %zu, first match wins%s\n", p->n_rules,
	       p->n_rules ? "" : " (none: all traffic is allowed)");
	for (size_t i = 0; i < p->n_rules; i++)
		check_print_rule(&p->rules[i]);
	printf("classes: %zu, devices: %zu, groups: %zu\n", p->n_classes,
	       p->n_devices, p->n_groups);
}

/* ---- netify check ---- */

enum { CHECK_OPT_APPS = 0x100 };

static void check_usage(FILE *f)
{
	fprintf(f, "usage: netify check [-c FILE] [--apps DIR]\n"
		"Validate %s and print the effective policy.\n",
		CHECK_DEFAULT_CONFIG);
}

int cmd_check(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "config", required_argument, NULL, 'c' },
		{ "apps", required_argument, NULL, CHECK_OPT_APPS },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	struct check_ctx c = { .config = CHECK_DEFAULT_CONFIG };
	int opt, rc;

	optind = 1;
	while ((opt = getopt_long(argc, argv, "c:h", longopts, NULL)) != -1) {
		if (opt == 'c')
			c.config = optarg;
		else if (opt == CHECK_OPT_APPS)
			c.apps_dir = optarg;
		else {
			check_usage(opt == 'h' ? stdout : stderr);
			return opt == 'h' ? 0 : 2;
		}
	}
	if (optind != argc) {
		check_usage(stderr);
		return 2;
	}
	rc = check_load(&c);
	if (rc == 0) {
		printf("%s: OK\n", esc(c.config));
		check_print_policy(c.policy);
	}
	check_unload(&c);
	return rc == 0 ? 0 : 1;
}

/* ---- netify policy test ---- */

struct test_args {
	const char *mac, *ip, *app, *proto, *iface, *at;
	bool json, reached;
};

struct test_result {
	const struct policy_rule *rule;
	int index;
	bool active;
	char reason[1024];
	const struct policy_rule *limits[4];	/* limit rules the flow counts against */
	size_t n_limits;
};

/* --limits-reached: every daily limit's budget is spent */
static bool test_all_spent(void *ctx, uint64_t key, const uint8_t mac[6],
			   time_t now)
{
	(void)ctx;
	(void)key;
	(void)mac;
	(void)now;
	return true;
}

static int test_parse_at(const char *at, time_t *now)
{
	struct tm tm;
	const char *end;

	if (!at) {
		*now = time(NULL);
		return 0;
	}
	memset(&tm, 0, sizeof(tm));
	end = strptime(at, "%Y-%m-%d %H:%M", &tm);
	if (!end || (*end && (*end != ':' ||
			      !(end = strptime(end + 1, "%S", &tm)) || *end)))
		return -1;
	tm.tm_isdst = -1;	/* local wall clock, whatever DST says */
	*now = mktime(&tm);
	return *now == (time_t)-1 ? -1 : 0;
}

/* --proto "TLS" or nDPI's "TLS.WhatsApp" (master.application) */
static int test_set_proto(struct policy_input *in, const char *proto)
{
	const char *dot = strchr(proto, '.');
	char master[64];

	if (!dot) {
		in->proto_id = dpi_proto_by_name(proto);
		return in->proto_id < 0 ? -1 : 0;
	}
	if ((size_t)(dot - proto) >= sizeof(master))
		return -1;
	memcpy(master, proto, (size_t)(dot - proto));
	master[dot - proto] = '\0';
	in->proto_master_id = dpi_proto_by_name(master);
	in->proto_id = dpi_proto_by_name(dot + 1);
	return in->proto_master_id < 0 || in->proto_id < 0 ? -1 : 0;
}

static int test_set_app(struct policy_input *in, const struct apps_db *db,
			const char *app)
{
	const struct apps_app *a;

	in->app_id = db ? apps_find_tag(db, app) : -1;
	a = in->app_id >= 0 ? apps_get(db, in->app_id) : NULL;
	if (a)
		in->category_id = a->category;
	return in->app_id < 0 ? -1 : 0;
}

static int test_set_ip(struct policy_input *in, const char *ip)
{
	in->family = strchr(ip, ':') ? AF_INET6 : AF_INET;
	return inet_pton(in->family, ip, in->addr) == 1 ? 0 : -1;
}

static int test_build_input(const struct test_args *a, struct check_ctx *c,
			    struct policy_input *in)
{
	policy_input_init(in);
	in->ifname = a->iface;
	in->has_mac = a->mac != NULL;
	if (a->mac && policy_parse_mac(a->mac, in->mac) < 0)
		snprintf(c->error, sizeof(c->error), "invalid MAC address "
			 "'%s'", a->mac);
	else if (a->ip && test_set_ip(in, a->ip) < 0)
		snprintf(c->error, sizeof(c->error), "invalid IP address '%s'",
			 a->ip);
	else if (a->app && test_set_app(in, c->db, a->app) < 0)
		snprintf(c->error, sizeof(c->error), "unknown application "
			 "'%s'", a->app);
	else if (a->proto && test_set_proto(in, a->proto) < 0)
		snprintf(c->error, sizeof(c->error), "unknown protocol '%s'",
			 a->proto);
	else
		return 0;
	fprintf(stderr, "%s\n", esc(c->error));
	return -1;
}

/* The daily limits the flow counts against, and what happens once one is
 * reached (the first of them matches then). */
static void test_limits(const struct policy *p, const struct policy_input *in,
			time_t now, struct test_result *res, size_t pos)
{
	uint64_t keys[4];
	size_t n = policy_limits(p, in, now, res->active ? res->index : -1,
				 keys, 3);

	if (res->active && res->rule->limit_key) {
		res->limits[res->n_limits++] = res->rule;
		pos += (size_t)snprintf(res->reason + pos,
					sizeof(res->reason) - pos,
					"; its daily limit is reached");
	}
	for (size_t i = 0; i < n; i++) {
		const struct policy_rule *r = policy_rule_find_limit(p, keys[i]);

		if (!r || pos >= sizeof(res->reason))
			continue;
		res->limits[res->n_limits++] = r;
		pos += (size_t)snprintf(res->reason + pos,
					sizeof(res->reason) - pos,
					"; counts against the daily limit of "
					"rule #%d '%s'%s", r->index + 1,
					r->name, i ? "" : " (once it is reached, "
					"that rule decides: "
					"--limits-reached)");
	}
}

static void test_evaluate(const struct policy *p,
			  const struct policy_input *in, time_t now,
			  struct test_result *res)
{
	const struct policy_rule *logged[4];
	size_t n_logged = 0, pos;
	char when[256];

	res->rule = policy_match_ex(p, in, now, 0, &res->index, logged, 4,
				    &n_logged);
	res->active = res->rule != NULL;
	if (res->rule) {
		pos = (size_t)snprintf(res->reason, sizeof(res->reason),
				       "first matching rule (#%d)",
				       res->index + 1);
	} else {
		/* explain the near miss: a rule that would match at another time */
		res->rule = policy_match_ex(p, in, now,
					    POLICY_MATCH_IGNORE_SCHEDULE,
					    &res->index, NULL, 0, NULL);
		if (res->rule) {
			sched_describe(&res->rule->sched, when, sizeof(when));
			pos = (size_t)snprintf(res->reason, sizeof(res->reason),
					       "rule matches but is not active "
					       "then (%s); no rule applies, "
					       "traffic is allowed", when);
		} else {
			pos = (size_t)snprintf(res->reason, sizeof(res->reason),
					       "no rule matches; traffic is "
					       "allowed");
		}
	}
	for (size_t i = 0; i < n_logged && i < 4 &&
			   pos < sizeof(res->reason); i++)
		pos += (size_t)snprintf(res->reason + pos,
					sizeof(res->reason) - pos,
					"; logged by '%s'", logged[i]->name);
	test_limits(p, in, now, res, pos);
}

static void test_print_text(const struct test_result *res)
{
	const struct policy_rule *r = res->rule;

	if (!r)
		printf("no rule: allow\n");
	else
		printf("rule %d '%s': %s%s%s%s\n", res->index + 1, esc(r->name),
		       policy_action_name(r->action),
		       r->class ? " class " : "",
		       r->class ? esc(r->class->name) : "",
		       res->active ? "" : " (inactive now)");
	printf("reason: %s\n", esc(res->reason));
}

static int test_print_json_gen(yajl_gen g)
{
	int r = json_gen_print(g, stdout);

	yajl_gen_free(g);
	return r;
}

static yajl_gen test_json_open(void)
{
	yajl_gen g = json_gen_new();

	if (g) {
		yajl_gen_config(g, yajl_gen_validate_utf8, 1);
		yajl_gen_map_open(g);
	}
	return g;
}

/* --json failures: one {"error": ...} object on stdout, as rpc expects */
static int test_print_json_error(const char *msg)
{
	yajl_gen g = test_json_open();

	if (!g)
		return -1;
	json_kv_str(g, "error", msg[0] ? msg : "cannot load the configuration");
	yajl_gen_map_close(g);
	return test_print_json_gen(g);
}

static int test_print_json(const struct test_result *res)
{
	const struct policy_rule *r = res->rule;
	yajl_gen g = test_json_open();

	if (!g)
		return -1;
	json_kv_null(g, "rule", r ? r->name : NULL);
	json_kv_int(g, "index", res->index);
	json_kv_str(g, "action", r ? policy_action_name(r->action) : "none");
	json_kv_null(g, "class", r && r->class ? r->class->name : NULL);
	json_kv_bool(g, "active", res->active);
	json_kv_str(g, "reason", res->reason);
	json_key(g, "limits");
	yajl_gen_array_open(g);
	for (size_t i = 0; i < res->n_limits; i++)
		json_cstr(g, res->limits[i]->name);
	yajl_gen_array_close(g);
	yajl_gen_map_close(g);
	return test_print_json_gen(g);
}

static void test_usage(FILE *f)
{
	fprintf(f, "usage: netify policy test [-c FILE] [--apps DIR] "
		"--mac MAC [--ip IP] [--iface IF]\n"
		"         --app APP [--proto PROTO] "
		"[--at 'YYYY-MM-DD hh:mm'] [--limits-reached] [--json]\n");
}

enum {
	TEST_OPT_MAC = 0x100, TEST_OPT_IP, TEST_OPT_APP, TEST_OPT_PROTO,
	TEST_OPT_AT, TEST_OPT_JSON, TEST_OPT_IFACE, TEST_OPT_APPS,
	TEST_OPT_REACHED,
};

static int test_parse_args(int argc, char **argv, struct test_args *a,
			   struct check_ctx *c)
{
	static const struct option longopts[] = {
		{ "config", required_argument, NULL, 'c' },
		{ "apps", required_argument, NULL, TEST_OPT_APPS },
		{ "mac", required_argument, NULL, TEST_OPT_MAC },
		{ "ip", required_argument, NULL, TEST_OPT_IP },
		{ "iface", required_argument, NULL, TEST_OPT_IFACE },
		{ "app", required_argument, NULL, TEST_OPT_APP },
		{ "proto", required_argument, NULL, TEST_OPT_PROTO },
		{ "at", required_argument, NULL, TEST_OPT_AT },
		{ "json", no_argument, NULL, TEST_OPT_JSON },
		{ "limits-reached", no_argument, NULL, TEST_OPT_REACHED },
		{ NULL, 0, NULL, 0 },
	};
	int opt;

	optind = 1;
	while ((opt = getopt_long(argc, argv, "c:", longopts, NULL)) != -1) {
		switch (opt) {
		case 'c': c->config = optarg; break;
		case TEST_OPT_APPS: c->apps_dir = optarg; break;
		case TEST_OPT_MAC: a->mac = optarg; break;
		case TEST_OPT_IP: a->ip = optarg; break;
		case TEST_OPT_IFACE: a->iface = optarg; break;
		case TEST_OPT_APP: a->app = optarg; break;
		case TEST_OPT_PROTO: a->proto = optarg; break;
		case TEST_OPT_AT: a->at = optarg; break;
		case TEST_OPT_JSON: a->json = true; break;
		case TEST_OPT_REACHED: a->reached = true; break;
		default: return -1;
		}
	}
	/* a flow is known by its source and what it is */
	if (optind != argc || (!a->mac && !a->ip) || (!a->app && !a->proto))
		return -1;
	return 0;
}

static int cmd_policy_test(int argc, char **argv)
{
	struct check_ctx c = { .config = CHECK_DEFAULT_CONFIG };
	struct test_args a = { 0 };
	struct policy_input in;
	struct test_result res;
	time_t now;
	int rc = 1;

	if (test_parse_args(argc, argv, &a, &c) < 0) {
		test_usage(stderr);
		return 2;
	}
	if (test_parse_at(a.at, &now) < 0) {
		fprintf(stderr, "invalid --at '%s' (want 'YYYY-MM-DD hh:mm')\n",
			esc(a.at));
		return 2;
	}
	if (check_load(&c) < 0 || test_build_input(&a, &c, &in) < 0) {
		if (a.json)
			test_print_json_error(c.error);
		goto out_unload;
	}
	if (a.reached)
		in.limit_spent = test_all_spent;
	memset(&res, 0, sizeof(res));
	test_evaluate(c.policy, &in, now, &res);
	if (a.json)
		rc = test_print_json(&res) < 0 ? 1 : 0;
	else {
		test_print_text(&res);
		rc = 0;
	}
out_unload:
	check_unload(&c);
	return rc;
}

int cmd_policy(int argc, char **argv)
{
	if (argc >= 2 && !strcmp(argv[1], "test"))
		return cmd_policy_test(argc - 1, argv + 1);
	if (argc >= 2 && (!strcmp(argv[1], "-h") || !strcmp(argv[1], "--help"))) {
		test_usage(stdout);
		return 0;
	}
	test_usage(stderr);
	return 2;
}
