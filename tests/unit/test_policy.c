/*
 * test_policy.c - schema validation (every error path, all errors
 * collected) and rule matching (first match wins, log rules, sources,
 * app/category/proto, schedules).
 */
#define _GNU_SOURCE	/* strptime, timegm */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <syslog.h>
#include <arpa/inet.h>
#include <time.h>
#include <unistd.h>
#include <cmocka.h>

#include "policy.h"

/* ---- fake name resolution: what the app catalog and nDPI would say ---- */

struct fake_name {
	const char *name;
	int id;
};

static const struct fake_name fake_apps[] = {
	{ "whatsapp", 101 }, { "telegram", 102 }, { "youtube", 103 },
};
static const struct fake_name fake_cats[] = {
	{ "chat", 0 }, { "games", 1 }, { "video", 2 },
};
static const struct fake_name fake_protos[] = {
	{ "TLS", 91 }, { "BitTorrent", 37 }, { "HTTP", 7 }, { "WhatsApp", 142 },
};

static int fake_lookup(const struct fake_name *t, size_t n, const char *s,
		       int (*cmp)(const char *, const char *))
{
	for (size_t i = 0; i < n; i++)
		if (!cmp(t[i].name, s))
			return t[i].id;
	return -1;
}

static int fake_app(void *ctx, const char *tag)
{
	(*(int *)ctx)++;
	return fake_lookup(fake_apps, 3, tag, strcmp);
}

static int fake_cat(void *ctx, const char *tag)
{
	(*(int *)ctx)++;
	return fake_lookup(fake_cats, 3, tag, strcmp);
}

static int fake_proto(void *ctx, const char *name)
{
	(*(int *)ctx)++;
	return fake_lookup(fake_protos, 4, name, strcasecmp);
}

static int lookups;
static const struct policy_names names = {
	fake_app, fake_cat, fake_proto, &lookups,
};

static struct policy_errors errs;

static struct policy *load(const char *text)
{
	return policy_load_buf("/etc/config/netify", text, strlen(text),
			       &names, &errs);
}

static void dump_errors(void)
{
	for (unsigned int i = 0; i < errs.count; i++)
		print_message("  %s\n", errs.msg[i]);
}

static struct policy *load_ok(const char *text)
{
	struct policy *p = load(text);

	if (!p)
		dump_errors();
	assert_non_null(p);
	assert_int_equal(errs.count, 0);
	return p;
}

/* Loading @text must fail with exactly one error equal to @want. */
static void expect_error(const char *text, const char *want)
{
	struct policy *p = load(text);

	if (p || errs.count != 1 || strcmp(errs.msg[0], want)) {
		print_message("want: %s\n", want);
		dump_errors();
	}
	assert_null(p);
	assert_int_equal(errs.count, 1);
	assert_string_equal(errs.msg[0], want);
}

static time_t at_utc(const char *s)
{
	struct tm tm;

	memset(&tm, 0, sizeof(tm));
	assert_non_null(strptime(s, "%Y-%m-%d %H:%M", &tm));
	return timegm(&tm);
}

static int setup(void **state)
{
	(void)state;
	setenv("TZ", "Europe/Berlin", 1);
	tzset();
	return 0;
}

/* ---- loading ---- */

static void test_export_section(void **state)
{
	struct policy *p = load_ok("");

	(void)state;
	assert_false(p->export.enabled);
	assert_int_equal(p->export.observation_domain, 1);
	assert_int_equal(p->export.active_timeout, 120);
	assert_int_equal(p->export.queue, 512);
	assert_int_equal(p->export.max_conns, 8192);
	assert_int_equal(p->export.line, 0);
	policy_free(p);
	p = load_ok("config export 'export'\n"
		    "\toption enabled '1'\n"
		    "\tlist collector '192.0.2.10:4739'\n"
		    "\tlist collector 'tcp://[2001:db8::1]:4740'\n"
		    "\toption observation_domain '4294967295'\n"
		    "\toption active_timeout '0'\n"
		    "\toption template_refresh '30'\n"
		    "\toption template_refresh_packets '0'\n"
		    "\toption mtu '9000'\n"
		    "\toption queue '4096'\n"
		    "\toption rate '0'\n"
		    "\toption flush '100'\n"
		    "\toption max_conns '100000'\n"
		    "\toption pen '32473'\n");
	assert_true(p->export.enabled);
	assert_int_equal(p->export.collector.n, 2);
	assert_string_equal(p->export.collector.v[1], "tcp://[2001:db8::1]:4740");
	assert_int_equal(p->export.observation_domain, 4294967295u);
	assert_int_equal(p->export.active_timeout, 0);
	assert_int_equal(p->export.template_refresh, 30);
	assert_int_equal(p->export.mtu, 9000);
	assert_int_equal(p->export.queue, 4096);
	assert_int_equal(p->export.rate, 0);
	assert_int_equal(p->export.flush, 100);
	assert_int_equal(p->export.max_conns, 100000);
	assert_int_equal(p->export.pen, 32473);
	assert_int_equal(p->export.line, 1);
	policy_free(p);
}

static void test_defaults(void **state)
{
	struct policy *p = load_ok("");
	const struct policy_main *m = &p->main;

	(void)state;
	assert_true(m->enabled);
	assert_int_equal(m->queue_first, 0);
	assert_int_equal(m->queue_last, 0);
	assert_int_equal(m->packet_budget, 32);
	assert_true(m->fail_open);
	assert_int_equal(m->mark_mask, 0x00ff0000);
	assert_int_equal(m->block_mode, POLICY_BLOCK_REJECT);
	assert_int_equal(m->block_timeout, 300);
	assert_false(m->input_chain || m->output_chain || m->keep_blocking);
	assert_string_equal(m->monitor_socket, "/var/run/netify/netify.sock");
	assert_string_equal(m->monitor_group, "netify");
	assert_int_equal(m->monitor_tcp.n, 0);
	assert_int_equal(m->monitor_framing, POLICY_FRAMING_NDJSON);
	assert_string_equal(m->control_socket, "/var/run/netify/control.sock");
	assert_int_equal(m->status_interval, 10);
	assert_string_equal(m->apps_dir, "/etc/netify/apps.d");
	/* table sizes: 0 = from RAM at start (sizing.c) */
	assert_int_equal(m->flow_table_size, 0);
	assert_int_equal(m->dns_cache_size, 0);
	assert_int_equal(m->inspect_slots, 0);
	assert_int_equal(m->dpi_share, 2);
	assert_int_equal(m->worker_priority, 1);
	assert_int_equal(m->dns_ttl_min, 60);
	assert_int_equal(m->dns_ttl_max, 86400);
	assert_int_equal(m->log_level, LOG_NOTICE);
	assert_int_equal(p->n_rules, 0);
	policy_free(p);
}

static void test_main_all_options(void **state)
{
	struct policy *p = load_ok(
		"config netify 'main'\n"
		"\toption enabled 'no'\n"
		"\toption queue '2-5'\n"
		"\toption packet_budget '0'\n"
		"\toption fail_open 'off'\n"
		"\tlist lan_interface 'br-lan'\n"
		"\tlist lan_interface 'br-guest'\n"
		"\toption wan_interface 'wan wwan'\n"
		"\tlist lan_network '192.168.1.77/24'\n"
		"\tlist lan_network 'fd00:1::/64'\n"
		"\tlist wan_network '0.0.0.0/0'\n"
		"\toption mark_mask '0xF000'\n"
		"\toption block_mode 'DROP'\n"
		"\toption block_timeout '60'\n"
		"\toption input_chain 'true'\n"
		"\toption output_chain 'enabled'\n"
		"\toption keep_blocking '1'\n"
		"\toption monitor_socket '/tmp/m.sock'\n"
		"\toption monitor_group 'nogroup'\n"
		"\tlist monitor_tcp '127.0.0.1:7150'\n"
		"\tlist monitor_tcp '[::1]:7151'\n"
		"\toption monitor_framing 'netify'\n"
		"\toption control_socket '/tmp/c.sock'\n"
		"\toption status_interval '30'\n"
		"\toption apps_dir '/usr/share/netify/apps'\n"
		"\toption flow_table_size '1024'\n"
		"\toption dns_cache_size '64'\n"
		"\toption inspect_slots '100'\n"
		"\toption dpi_share '1'\n"
		"\toption worker_priority '0'\n"
		"\toption dns_ttl_min '0'\n"
		"\toption dns_ttl_max '1'\n"
		"\toption log_level 'debug'\n");
	const struct policy_main *m;
	char buf[64];

	(void)state;
	m = &p->main;
	assert_false(m->enabled);
	assert_int_equal(m->queue_first, 2);
	assert_int_equal(m->queue_last, 5);
	assert_int_equal(m->packet_budget, 0);
	assert_false(m->fail_open);
	assert_int_equal(m->lan_interface.n, 2);
	assert_string_equal(m->lan_interface.v[1], "br-guest");
	assert_int_equal(m->wan_interface.n, 2);
	assert_string_equal(m->wan_interface.v[1], "wwan");
	assert_int_equal(m->lan_network.n, 2);
	policy_cidr_format(&m->lan_network.v[0], buf, sizeof(buf));
	assert_string_equal(buf, "192.168.1.0/24");	/* host bits cleared */
	policy_cidr_format(&m->lan_network.v[1], buf, sizeof(buf));
	assert_string_equal(buf, "fd00:1::/64");
	assert_int_equal(m->mark_mask, 0xf000);
	assert_int_equal(m->block_mode, POLICY_BLOCK_DROP);
	assert_int_equal(m->block_timeout, 60);
	assert_true(m->input_chain && m->output_chain && m->keep_blocking);
	assert_string_equal(m->monitor_socket, "/tmp/m.sock");
	assert_string_equal(m->monitor_group, "nogroup");
	assert_int_equal(m->monitor_tcp.n, 2);
	assert_string_equal(m->monitor_tcp.v[1], "[::1]:7151");
	assert_int_equal(m->monitor_framing, POLICY_FRAMING_NETIFY);
	assert_string_equal(m->control_socket, "/tmp/c.sock");
	assert_int_equal(m->status_interval, 30);
	assert_string_equal(m->apps_dir, "/usr/share/netify/apps");
	assert_int_equal(m->flow_table_size, 1024);
	assert_int_equal(m->dns_cache_size, 64);
	assert_int_equal(m->inspect_slots, 100);
	assert_int_equal(m->dpi_share, 1);
	assert_int_equal(m->worker_priority, 0);
	assert_int_equal(m->dns_ttl_min, 0);
	assert_int_equal(m->dns_ttl_max, 1);
	assert_int_equal(m->log_level, LOG_DEBUG);
	policy_free(p);
}

#define NF "/etc/config/netify:"

static void test_errors_main(void **state)
{
	(void)state;
	expect_error("config netify 'main'\n\toption bogus '1'\n",
		     NF "2: main: unknown option 'bogus'");
	expect_error("config netify 'main'\n\toption enabled 'maybe'\n",
		     NF "2: main: option 'enabled': invalid value 'maybe'");
	expect_error("config netify 'main'\n\tlist enabled '1'\n",
		     NF "2: main: option 'enabled' takes one value, not a list");
	expect_error("config netify 'main'\n\toption packet_budget '65536'\n",
		     NF "2: main: option 'packet_budget': '65536' is not a "
		     "number in 0..65535");
	expect_error("config netify 'main'\n\toption block_timeout '0'\n",
		     NF "2: main: option 'block_timeout': '0' is not a "
		     "number in 1..2592000");
	expect_error("config netify 'main'\n\toption status_interval '-1'\n",
		     NF "2: main: option 'status_interval': '-1' is not a "
		     "number in 1..3600");
	expect_error("config netify 'main'\n\toption flow_table_size "
		     "'99999999999999999999999'\n",
		     NF "2: main: option 'flow_table_size': "
		     "'99999999999999999999999' is not a number in 1024..16777216");
	expect_error("config netify 'main'\n\toption inspect_slots '0'\n",
		     NF "2: main: option 'inspect_slots': '0' is not a "
		     "number in 64..16777216");
	expect_error("config netify 'main'\n\toption mark_mask '0xfg'\n",
		     NF "2: main: option 'mark_mask': invalid value '0xfg'");
	expect_error("config netify 'main'\n\toption mark_mask '0x100000000'\n",
		     NF "2: main: option 'mark_mask': invalid value "
		     "'0x100000000'");
	expect_error("config netify 'main'\n\toption mark_mask '0x00f0f000'\n",
		     NF "1: main: mark_mask 0x00f0f000 must be one contiguous, "
		     "non-zero run of bits");
	expect_error("config netify 'main'\n\toption mark_mask '0'\n",
		     NF "1: main: mark_mask 0x00000000 must be one contiguous, "
		     "non-zero run of bits");
	expect_error("config netify 'main'\n\toption block_mode 'ignore'\n",
		     NF "2: main: option 'block_mode': invalid value 'ignore' "
		     "(one of: reject, drop)");
	expect_error("config netify 'main'\n\toption log_level 'crit'\n",
		     NF "2: main: option 'log_level': invalid value 'crit' "
		     "(one of: err, warning, notice, info, debug)");
	expect_error("config netify 'main'\n\toption monitor_framing 'xml'\n",
		     NF "2: main: option 'monitor_framing': invalid value "
		     "'xml' (one of: ndjson, netify)");
	expect_error("config netify 'main'\n\toption apps_dir 'apps.d'\n",
		     NF "2: main: option 'apps_dir': invalid value 'apps.d'");
	expect_error("config netify 'main'\n\toption control_socket '/var/run/"
		     "0123456789012345678901234567890123456789012345678901234567"
		     "8901234567890123456789012345678901234567890.sock'\n",
		     NF "2: main: option 'control_socket': invalid value '/var/"
		     "run/01234567890123456789012345678901234567890123456789012"
		     "345678901234567890123456789012345678901234567890.sock'");
	expect_error("config netify 'main'\n\toption monitor_group '-wheel'\n",
		     NF "2: main: option 'monitor_group': invalid value "
		     "'-wheel'");
	expect_error("config netify 'main'\n\toption queue '3-1'\n",
		     NF "2: main: option 'queue': invalid value '3-1'");
	expect_error("config netify 'main'\n\toption queue '0-64'\n",
		     NF "2: main: option 'queue': invalid value '0-64'");
	expect_error("config netify 'main'\n\toption queue 'x'\n",
		     NF "2: main: option 'queue': invalid value 'x'");
	expect_error("config netify 'main'\n\tlist lan_interface 'br/lan'\n",
		     NF "2: main: option 'lan_interface': invalid value "
		     "'br/lan'");
	expect_error("config netify 'main'\n\tlist wan_interface "
		     "'averyveryverylongname'\n",
		     NF "2: main: option 'wan_interface': invalid value "
		     "'averyveryverylongname'");
	expect_error("config netify 'main'\n\tlist lan_network '192.168.1.0/33'\n",
		     NF "2: main: option 'lan_network': invalid value "
		     "'192.168.1.0/33'");
	expect_error("config netify 'main'\n\tlist wan_network '300.1.1.1'\n",
		     NF "2: main: option 'wan_network': invalid value "
		     "'300.1.1.1'");
	expect_error("config netify 'main'\n\tlist monitor_tcp '127.0.0.1'\n",
		     NF "2: main: option 'monitor_tcp': invalid value "
		     "'127.0.0.1'");
	expect_error("config netify 'main'\n\tlist monitor_tcp '::1:80'\n",
		     NF "2: main: option 'monitor_tcp': invalid value '::1:80'");
	expect_error("config netify 'main'\n\tlist monitor_tcp 'host:0'\n",
		     NF "2: main: option 'monitor_tcp': invalid value 'host:0'");
	expect_error("config netify 'main'\n\toption dns_ttl_min '100'\n"
		     "\toption dns_ttl_max '99'\n",
		     NF "1: main: dns_ttl_min (100) is above dns_ttl_max (99)");
	expect_error("config netify 'main'\nconfig netify 'other'\n",
		     NF "2: netify 'other': only one 'config netify' section "
		     "is allowed");
}

/* json_save_dir and the unknown-flow capture options: off by default, an
 * absolute path turns them on, '' turns them back off, caps are bounded. */
static void test_files_options(void **state)
{
	struct policy *p = load_ok("config netify 'main'\n");

	(void)state;
	assert_null(p->main.json_save_dir);
	assert_null(p->main.capture_unknown_dir);
	assert_int_equal(p->main.capture_unknown_max_files, 100);
	assert_int_equal(p->main.capture_unknown_max_bytes, 65536);
	policy_free(p);
	p = load_ok("config netify 'main'\n"
		    "\toption json_save_dir '/tmp/netify'\n"
		    "\toption capture_unknown_dir '/tmp/unknown'\n"
		    "\toption capture_unknown_max_files '7'\n"
		    "\toption capture_unknown_max_bytes '4096'\n");
	assert_string_equal(p->main.json_save_dir, "/tmp/netify");
	assert_string_equal(p->main.capture_unknown_dir, "/tmp/unknown");
	assert_int_equal(p->main.capture_unknown_max_files, 7);
	assert_int_equal(p->main.capture_unknown_max_bytes, 4096);
	policy_free(p);
	p = load_ok("config netify 'main'\n"
		    "\toption json_save_dir ''\n"
		    "\toption capture_unknown_dir ''\n");
	assert_null(p->main.json_save_dir);
	assert_null(p->main.capture_unknown_dir);
	policy_free(p);
	expect_error("config netify 'main'\n\toption json_save_dir 'run/netify'\n",
		     NF "2: main: option 'json_save_dir': invalid value 'run/netify'");
	expect_error("config netify 'main'\n\tlist capture_unknown_dir '/tmp'\n",
		     NF "2: main: option 'capture_unknown_dir' takes one value, not a list");
	expect_error("config netify 'main'\n\toption capture_unknown_max_files '0'\n",
		     NF "2: main: option 'capture_unknown_max_files': '0' is not a "
		     "number in 1..100000");
	expect_error("config netify 'main'\n\toption capture_unknown_max_bytes '512'\n",
		     NF "2: main: option 'capture_unknown_max_bytes': '512' is not a "
		     "number in 1024..1048576");
}

/* "too many sections" names the first section past the limit, not line
 * 1; a config path that is a FIFO is an error at once, not a hang. */
static void test_errors_section_limit_and_file(void **state)
{
	char *text = malloc(4200 * 48), dir[] = "/tmp/test_policy.XXXXXX", path[64], want[128];
	struct policy *p;
	size_t n = 0;
	unsigned int i;

	(void)state;
	assert_non_null(text);
	n += (size_t)sprintf(text + n, "config netify 'main'\n");
	for (i = 0; i <= POLICY_OBJECTS_MAX + 2; i++)
		n += (size_t)sprintf(text + n, "config device 'd%u'\n\toption ip '10.0.0.1'\n", i);
	snprintf(want, sizeof(want), NF "%u: too many 'device' sections (at most %u)",
		 2 + 2 * POLICY_OBJECTS_MAX, POLICY_OBJECTS_MAX);
	expect_error(text, want);
	free(text);
	assert_non_null(mkdtemp(dir));
	snprintf(path, sizeof(path), "%s/netify", dir);
	assert_int_equal(mkfifo(path, 0600), 0);
	alarm(10);
	p = policy_load(path, &names, &errs);
	alarm(0);
	assert_null(p);
	assert_int_equal(errs.count, 1);
	assert_non_null(strstr(errs.msg[0], path));
	assert_non_null(strstr(errs.msg[0], "not a regular file (a FIFO)"));
	unlink(path);
	rmdir(dir);
}

static void test_errors_sections(void **state)
{
	(void)state;
	expect_error("config firewall\n\toption x '1'\n",
		     NF "1: unknown section type 'firewall' (netify, rule, "
		     "class, device, group or export)");
	/* config export: the collector syntax, bounds, one section, a collector */
	expect_error("config export\n\toption enabled '1'\n",
		     NF "1: export: an enabled export needs at least one "
		     "'collector' (host:port)");
	expect_error("config export\n\tlist collector 'sctp://a:1'\n",
		     NF "2: export: option 'collector': 'sctp://a:1': transport "
		     "must be udp:// or tcp://");
	expect_error("config export\n\tlist collector '10.0.0.1:4739'\n"
		     "\toption mtu '100'\n",
		     NF "3: export: option 'mtu': '100' is not a number in "
		     "512..65535");
	expect_error("config export\nconfig export 'b'\n",
		     NF "2: export 'b': only one 'config export' section is "
		     "allowed (line 1 has one)");
	expect_error("config export\n\toption pen 'x'\n",
		     NF "2: export: option 'pen': 'x' is not a number in "
		     "0..4294967295");
	expect_error("config class\n\toption mark '1'\n",
		     NF "1: class @class[0]: a class section needs a name "
		     "(config class 'NAME')");
	expect_error("config class 'bulk'\n\toption label 'x'\n",
		     NF "1: class 'bulk': option 'mark' is required (1..15)");
	expect_error("config class 'bulk'\n\toption mark '16'\n",
		     NF "2: class 'bulk': option 'mark': '16' is not a number "
		     "in 1..15");
	expect_error("config class 'bulk'\n\toption mark '1'\n"
		     "\toption dscp 'AF44'\n",
		     NF "3: class 'bulk': option 'dscp': invalid value 'AF44'");
	expect_error("config class 'bulk'\n\toption mark '1'\n"
		     "\toption dscp '64'\n",
		     NF "3: class 'bulk': option 'dscp': invalid value '64'");
	expect_error("config class 'bulk'\n\toption mark '1'\n"
		     "\toption label 'bad \xc3\x28'\n",
		     NF "3: class 'bulk': option 'label': invalid value "
		     "'bad ?('");
	expect_error("config netify 'main'\n\toption mark_mask '0x0000f000'\n"
		     "config class 'c'\n\toption mark '15'\n"
		     "config netify_x 'y'\n",
		     NF "5: unknown section type 'netify_x' (netify, rule, "
		     "class, device, group or export)");
	expect_error("config netify 'main'\n\toption mark_mask '0x00007000'\n"
		     "config class 'c'\n\toption mark '8'\n",
		     NF "3: class 'c': mark 8 does not fit in mark_mask "
		     "0x00007000");
	expect_error("config device 'd'\n\toption label 'D'\n",
		     NF "1: device 'd': a device needs at least one 'mac' or "
		     "'ip'");
	expect_error("config device 'd'\n\tlist mac 'aa:bb:cc:dd:ee'\n",
		     NF "2: device 'd': option 'mac': invalid value "
		     "'aa:bb:cc:dd:ee'");
	expect_error("config device 'd'\n\tlist mac 'aa:bb:cc:dd:ee:fg'\n",
		     NF "2: device 'd': option 'mac': invalid value "
		     "'aa:bb:cc:dd:ee:fg'");
	expect_error("config device 'd'\n\tlist ip 'fe80::1::2'\n",
		     NF "2: device 'd': option 'ip': invalid value 'fe80::1::2'");
	expect_error("config group 'g'\n\toption label 'G'\n",
		     NF "1: group 'g': a group needs at least one 'device'");
	expect_error("config group 'g'\n\tlist device 'nobody'\n",
		     NF "1: group 'g': unknown device 'nobody'");
	/* syntax errors come from the UCI parser, worded its way */
	assert_null(load("config netify 'main'\n\toption enabled '1\n"));
	assert_int_equal(errs.count, 1);
	assert_memory_equal(errs.msg[0], NF "2:", strlen(NF "2:"));
}

static void test_errors_rules(void **state)
{
	(void)state;
	expect_error("config rule\n\toption name 'r'\n",
		     NF "1: rule 'r': option 'action' is required (allow, "
		     "block, qos or log)");
	expect_error("config rule\n\toption action 'deny'\n",
		     NF "2: rule '@rule[0]': option 'action': invalid value "
		     "'deny' (one of: allow, block, qos, log)");
	expect_error("config rule\n\toption action 'qos'\n",
		     NF "1: rule '@rule[0]': action 'qos' needs option 'class'");
	expect_error("config class 'bulk'\n\toption mark '1'\n"
		     "config rule 'x'\n\toption action 'block'\n"
		     "\toption class 'bulk'\n",
		     NF "3: rule 'x': option 'class' is only valid with action "
		     "'qos'");
	expect_error("config rule\n\toption name 'r'\n\toption action 'qos'\n"
		     "\toption class 'nope'\n",
		     NF "1: rule 'r': unknown class 'nope'");
	expect_error("config rule\n\toption name 'x'\n\toption action 'block'\n"
		     "\tlist app 'whatsap'\n",
		     NF "1: rule 'x': unknown application 'whatsap'");
	expect_error("config rule\n\toption name 'x'\n\toption action 'block'\n"
		     "\tlist category 'Chat'\n",
		     NF "1: rule 'x': unknown category 'Chat'");
	expect_error("config rule\n\toption name 'x'\n\toption action 'block'\n"
		     "\tlist proto 'bittorent'\n",
		     NF "1: rule 'x': unknown protocol 'bittorent'");
	expect_error("config rule\n\toption name 'x'\n\toption action 'block'\n"
		     "\tlist device 'kid'\n",
		     NF "1: rule 'x': unknown device 'kid'");
	expect_error("config rule\n\toption name 'x'\n\toption action 'block'\n"
		     "\tlist group 'kids'\n",
		     NF "1: rule 'x': unknown group 'kids'");
	expect_error("config rule\n\toption name 'x'\n\toption action 'block'\n"
		     "\tlist src_mac 'zz'\n",
		     NF "4: rule 'x': option 'src_mac': invalid value 'zz'");
	expect_error("config rule\n\toption name 'x'\n\toption action 'block'\n"
		     "\tlist src_ip '10.0.0.0/8/8'\n",
		     NF "4: rule 'x': option 'src_ip': invalid value "
		     "'10.0.0.0/8/8'");
	expect_error("config rule\n\toption name 'x'\n\toption action 'block'\n"
		     "\toption weekdays 'Mon Funday'\n",
		     NF "4: rule 'x': option 'weekdays': invalid weekday "
		     "'Funday'");
	expect_error("config rule\n\toption name 'x'\n\toption action 'block'\n"
		     "\toption monthdays '0'\n",
		     NF "4: rule 'x': option 'monthdays': invalid day of month "
		     "'0'");
	expect_error("config rule\n\toption name 'x'\n\toption action 'block'\n"
		     "\toption start_time '25:00'\n",
		     NF "4: rule 'x': option 'start_time': invalid time '25:00' "
		     "(want hh:mm[:ss])");
	expect_error("config rule\n\toption name 'x'\n\toption action 'block'\n"
		     "\toption stop_date '2026-02-30'\n",
		     NF "4: rule 'x': option 'stop_date': invalid date "
		     "'2026-02-30' (want YYYY-MM-DD[ hh:mm[:ss]])");
	expect_error("config rule\n\toption name 'x'\n\toption action 'block'\n"
		     "\tlist start_time '10:00'\n",
		     NF "4: rule 'x': option 'start_time' takes one value, not "
		     "a list");
	expect_error("config rule\n\toption name 'x'\n\toption action 'block'\n"
		     "\toption src_port '80'\n",
		     NF "4: rule 'x': unknown option 'src_port'");
}

/* Everything wrong in one file is reported, in file order. */
static void test_all_errors_collected(void **state)
{
	static const char text[] =
		"config netify 'main'\n"			/* 1 */
		"\toption queue 'x'\n"				/* 2 */
		"\toption colour 'blue'\n"			/* 3 */
		"config rule\n"					/* 4 */
		"\toption name 'No WhatsApp'\n"			/* 5 */
		"\tlist app 'whatsap'\n"			/* 6 */
		"\tlist app 'telegramm'\n"			/* 7 */
		"\toption action 'block'\n"			/* 8 */
		"\toption start_time '7'\n"			/* 9 */
		"config rule\n"					/* 10 */
		"\toption action 'qos'\n"			/* 11 */
		"\toption class 'bulk'\n"			/* 12 */
		"\tlist group 'kids'\n";			/* 13 */
	struct policy *p = load(text);

	(void)state;
	assert_null(p);
	if (errs.count != 6)
		dump_errors();
	assert_int_equal(errs.count, 6);
	assert_string_equal(errs.msg[0], NF "2: main: option 'queue': invalid "
			    "value 'x'");
	assert_string_equal(errs.msg[1], NF "3: main: unknown option 'colour'");
	assert_string_equal(errs.msg[2], NF "4: rule 'No WhatsApp': unknown "
			    "application 'whatsap'");
	assert_string_equal(errs.msg[3], NF "4: rule 'No WhatsApp': unknown "
			    "application 'telegramm'");
	assert_string_equal(errs.msg[4], NF "10: rule '@rule[1]': unknown class "
			    "'bulk'");
	assert_string_equal(errs.msg[5], NF "10: rule '@rule[1]': unknown group "
			    "'kids'");
}

static void test_error_overflow_counted(void **state)
{
	char *text = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&text, &len);

	(void)state;
	assert_non_null(f);
	fprintf(f, "config netify 'main'\n");
	for (int i = 0; i < 100; i++)
		fprintf(f, "\toption bad%d '1'\n", i);
	fclose(f);
	assert_null(load(text));
	assert_int_equal(errs.count, POLICY_ERRORS_MAX);
	assert_int_equal(errs.dropped, 100 - POLICY_ERRORS_MAX);
	assert_string_equal(errs.msg[63], NF "65: main: unknown option 'bad63'");
	free(text);
}

static const char base_cfg[] =
	"config class 'bulk'\n"
	"\toption label 'Bulk downloads'\n"
	"\toption mark '1'\n"
	"\toption dscp 'CS1'\n"
	"\toption priority '1'\n"
	"config device 'kid_phone'\n"
	"\toption label \"Kid's phone\"\n"
	"\tlist mac 'aa:bb:cc:dd:ee:ff'\n"
	"\tlist ip '192.168.1.50'\n"
	"config device 'kid_tablet'\n"
	"\tlist ip 'fd00::50'\n"
	"config device 'tv'\n"
	"\tlist mac '02:00:00:00:00:01'\n"
	"config group 'kids'\n"
	"\toption label 'Kids'\n"
	"\tlist device 'kid_phone'\n"
	"\tlist device 'kid_tablet'\n";

static struct policy *load_rules(const char *rules)
{
	char *text;
	struct policy *p;

	assert_true(asprintf(&text, "%s%s", base_cfg, rules) > 0);
	p = load_ok(text);
	free(text);
	return p;
}

static void test_objects_and_names(void **state)
{
	struct policy *p = load_rules(
		"config rule\n\toption action 'qos'\n\toption class 'bulk'\n"
		"config rule 'named'\n\toption action 'allow'\n"
		"config rule\n\toption name 'Shown'\n\toption action 'log'\n"
		"\toption enabled '0'\n");

	(void)state;
	assert_int_equal(p->n_classes, 1);
	assert_string_equal(p->classes[0].label, "Bulk downloads");
	assert_int_equal(p->classes[0].mark, 1);
	assert_int_equal(p->classes[0].dscp, 8);
	assert_int_equal(p->classes[0].priority, 1);
	assert_int_equal(p->n_devices, 3);
	assert_string_equal(p->devices[0].label, "Kid's phone");
	assert_int_equal(p->n_groups, 1);
	assert_int_equal(p->n_rules, 3);
	assert_string_equal(policy_rule_name(&p->rules[0]), "@rule[0]");
	assert_int_equal(policy_rule_action(&p->rules[0]), POLICY_QOS);
	assert_ptr_equal(policy_rule_class(&p->rules[0]), &p->classes[0]);
	assert_string_equal(p->rules[1].name, "named");
	assert_null(policy_rule_class(&p->rules[1]));
	assert_string_equal(p->rules[2].name, "Shown");
	assert_false(p->rules[2].enabled);
	assert_int_equal(p->rules[2].index, 2);
	policy_free(p);
}

/* ---- matching ---- */

static struct policy_input input(const char *mac, const char *ip,
				 const char *ifname, int app)
{
	struct policy_input in;

	policy_input_init(&in);
	if (mac) {
		assert_int_equal(policy_parse_mac(mac, in.mac), 0);
		in.has_mac = true;
	}
	if (ip) {
		in.family = strchr(ip, ':') ? AF_INET6 : AF_INET;
		assert_int_equal(inet_pton(in.family, ip, in.addr), 1);
	}
	in.ifname = ifname;
	in.app_id = app;
	return in;
}

static const char *match_name(const struct policy *p,
			      const struct policy_input *in, time_t now)
{
	const struct policy_rule *r = policy_match(p, in, now, NULL);

	return r ? r->name : "(none)";
}

/* ---- usage options and daily limits ---- */

static void test_usage_options(void **state)
{
	struct policy *p = load_ok("");

	(void)state;
	assert_true(p->main.usage);
	assert_int_equal(p->main.reset_time, 0);
	assert_string_equal(p->main.usage_dir, "/var/run/netify");
	assert_null(p->main.usage_persist_dir);
	assert_int_equal(p->main.usage_save_interval, 300);
	assert_int_equal(p->main.usage_persist_interval, 21600);
	assert_int_equal(p->main.usage_max_entries, 4096);
	assert_int_equal(p->main.usage_min_bytes, 1);
	assert_int_equal(p->main.usage_refresh, 2);
	assert_int_equal(p->n_limits, 0);
	policy_free(p);
	p = load_ok("config netify 'main'\n\toption usage '0'\n\toption reset_time '04:30'\n"
		    "\toption usage_dir '/tmp/u'\n\toption usage_persist_dir '/etc/netify/usage'\n"
		    "\toption usage_save_interval '60'\n\toption usage_persist_interval '604800'\n"
		    "\toption usage_max_entries '64'\n\toption usage_min_bytes '500'\n"
		    "\toption usage_refresh '60'\n");
	assert_false(p->main.usage);
	assert_int_equal(p->main.reset_time, 4 * 60 + 30);
	assert_string_equal(p->main.usage_dir, "/tmp/u");
	assert_string_equal(p->main.usage_persist_dir, "/etc/netify/usage");
	assert_int_equal(p->main.usage_save_interval, 60);
	assert_int_equal(p->main.usage_persist_interval, 604800);
	assert_int_equal(p->main.usage_max_entries, 64);
	assert_int_equal(p->main.usage_min_bytes, 500);
	assert_int_equal(p->main.usage_refresh, 60);
	policy_free(p);
	expect_error("config netify 'main'\n\toption reset_time '24:00'\n",
		     NF "2: main: option 'reset_time': '24:00' is not a time of day hh:mm (00:00 to 23:59)");
	expect_error("config netify 'main'\n\toption reset_time '4:30'\n",
		     NF "2: main: option 'reset_time': '4:30' is not a time of day hh:mm (00:00 to 23:59)");
	expect_error("config netify 'main'\n\toption reset_time '04:60'\n",
		     NF "2: main: option 'reset_time': '04:60' is not a time of day hh:mm (00:00 to 23:59)");
	expect_error("config netify 'main'\n\toption usage_refresh '0'\n",
		     NF "2: main: option 'usage_refresh': '0' is not a number in 1..60");
	expect_error("config netify 'main'\n\toption usage_save_interval '59'\n",
		     NF "2: main: option 'usage_save_interval': '59' is not a number in 60..86400");
	expect_error("config netify 'main'\n\toption usage_dir 'var/run'\n",
		     NF "2: main: option 'usage_dir': invalid value 'var/run'");
}

/* A rule with @opt '@val' and otherwise valid: its limit, or -1 on error. */
static struct policy *limit_rule(const char *opt, const char *val)
{
	char *text;
	struct policy *p;

	assert_true(asprintf(&text, "config rule 'l'\n\toption %s '%s'\n", opt, val) > 0);
	p = load(text);
	free(text);
	return p;
}

static void test_limit_values(void **state)
{
	static const struct { const char *v; unsigned int min; } times[] = {
		{ "30m", 30 }, { "1h", 60 }, { "1h30m", 90 }, { "90", 90 }, { "24h", 1440 },
		{ "1m", 1 }, { "0h5m", 5 }, { "1440", 1440 },
	};
	static const char *const bad_times[] = {
		"0", "0m", "24h1m", "1441", "1h30", "30m1h", "1h1h", "m", "h", "1.5h", "-5m",
		"1d", " 30m", "30 m", "99999999999999999999m",
	};
	static const struct { const char *v; uint64_t bytes; } vols[] = {
		{ "500M", 500000000ull }, { "2G", 2000000000ull }, { "800K", 800000ull },
		{ "800k", 800000ull }, { "1.5G", 1500000000ull }, { "1.5GB", 1500000000ull },
		{ "512MiB", 512ull << 20 }, { "1GiB", 1ull << 30 }, { "1.5KiB", 1536 },
		{ "1000000", 1000000 }, { "42B", 42 }, { "1P", 1000000000000000ull },
		{ "0.001G", 1000000 },
	};
	static const char *const bad_vols[] = {
		"0", "0M", "M", "1.M", ".5M", "1.2345G", "5X", "5Ki", "5MiBB", "2P", "1e9",
		"-1M", "18446744073709551616", "1 M",
	};
	struct policy *p;

	(void)state;
	for (size_t i = 0; i < sizeof(times) / sizeof(times[0]); i++) {
		p = limit_rule("time_limit", times[i].v);
		if (!p)
			dump_errors();
		assert_non_null(p);
		assert_int_equal(p->rules[0].time_limit, times[i].min);
		assert_int_equal(p->rules[0].volume_limit, 0);
		policy_free(p);
	}
	for (size_t i = 0; i < sizeof(bad_times) / sizeof(bad_times[0]); i++) {
		assert_null(p = limit_rule("time_limit", bad_times[i]));
		assert_int_equal(errs.count, 2);	/* and no action */
		assert_non_null(strstr(errs.msg[0], "option 'time_limit': '"));
	}
	for (size_t i = 0; i < sizeof(vols) / sizeof(vols[0]); i++) {
		p = limit_rule("volume_limit", vols[i].v);
		if (!p)
			dump_errors();
		assert_non_null(p);
		assert_true(p->rules[0].volume_limit == vols[i].bytes);
		policy_free(p);
	}
	for (size_t i = 0; i < sizeof(bad_vols) / sizeof(bad_vols[0]); i++) {
		assert_null(p = limit_rule("volume_limit", bad_vols[i]));
		assert_non_null(strstr(errs.msg[0], "option 'volume_limit': '"));
	}
}

static void test_limit_rules(void **state)
{
	struct policy *p;
	const struct policy_rule *r;

	(void)state;
	/* a limit rule blocks by default, warns at 80%, counts per device */
	p = load_rules("config rule 'tt'\n\toption name 'TikTok 30m'\n\tlist app 'youtube'\n"
		       "\toption time_limit '30m'\n"
		       "config rule 'vol'\n\toption volume_limit '2G'\n\toption action 'qos'\n"
		       "\toption class 'bulk'\n\toption limit_warn '0'\n\toption limit_per 'rule'\n"
		       "\tlist device 'kid_phone'\n"
		       "config rule 'off'\n\toption time_limit '1h'\n\toption enabled '0'\n"
		       "config rule 'plain'\n\toption action 'allow'\n");
	r = &p->rules[0];
	assert_int_equal(r->action, POLICY_BLOCK);
	assert_int_equal(r->time_limit, 30);
	assert_int_equal(r->limit_warn, 80);
	assert_int_equal(r->limit_per, POLICY_LIMIT_PER_DEVICE);
	assert_true(r->limit_key == policy_limit_key("TikTok 30m"));
	assert_true(r->limit_key & 1);
	r = &p->rules[1];
	assert_int_equal(r->action, POLICY_QOS);
	assert_int_equal(r->limit_warn, 0);
	assert_int_equal(r->limit_per, POLICY_LIMIT_PER_RULE);
	assert_true(r->volume_limit == 2000000000ull);
	assert_true(p->rules[2].limit_key != 0);
	assert_true(p->rules[3].limit_key == 0);
	assert_int_equal(p->n_limits, 2);	/* the disabled one is not in force */
	assert_ptr_equal(policy_rule_find_limit(p, policy_limit_key("vol")), &p->rules[1]);
	assert_null(policy_rule_find_limit(p, policy_limit_key("plain")));
	assert_string_equal(policy_limit_per_name(POLICY_LIMIT_PER_RULE), "rule");
	policy_free(p);

	expect_error("config rule 'x'\n\toption time_limit '1h'\n\toption action 'allow'\n",
		     NF "3: rule 'x': a limit rule must block, qos or log once its limit is reached, not allow");
	expect_error("config rule\n\toption time_limit '1h'\n",
		     NF "1: rule '@rule[0]': a rule with a limit needs a name (option name, or config rule "
		     "'NAME'): its budget is kept by name");
	expect_error("config rule 'x'\n\toption action 'block'\n\toption limit_warn '50'\n",
		     NF "3: rule 'x': option 'limit_warn' needs 'time_limit' or 'volume_limit'");
	expect_error("config rule 'x'\n\toption action 'block'\n\toption limit_per 'rule'\n",
		     NF "3: rule 'x': option 'limit_per' needs 'time_limit' or 'volume_limit'");
	expect_error("config rule 'x'\n\toption time_limit '1h'\n\toption limit_warn '100'\n",
		     NF "3: rule 'x': option 'limit_warn': '100' is not a number in 0..99");
	expect_error("config rule 'x'\n\toption time_limit '1h'\n\toption limit_per 'group'\n",
		     NF "3: rule 'x': option 'limit_per': invalid value 'group' (one of: device, rule)");
	expect_error("config rule 'a'\n\toption name 'same'\n\toption time_limit '1h'\n"
		     "config rule 'b'\n\toption name 'same'\n\toption volume_limit '1G'\n",
		     NF "4: rule 'same': another rule with a limit has this name (line 1); limits are kept by name");
	expect_error("config rule\n\toption name '0123456789012345678901234567890123456789012345678901234567890123'\n"
		     "\toption time_limit '1h'\n",
		     NF "1: rule '0123456789012345678901234567890123456789012345678901234567890123': the name of "
		     "a rule with a limit is at most 63 bytes");
	/* two rules of one name are fine while at most one has a limit */
	p = load_ok("config rule\n\toption name 'same'\n\toption time_limit '1h'\n"
		    "config rule\n\toption name 'same'\n\toption action 'block'\n");
	policy_free(p);
}

static const uint8_t spent_mac[6] = { 0xaa, 0xbb, 0xcc, 0xdd, 0xee, 0xff };

/* The accounting's answer: spent for spent_mac only, and counted. */
static bool fake_spent(void *ctx, uint64_t key, const uint8_t mac[6], time_t now)
{
	(void)now;
	(void)key;
	(*(int *)ctx)++;
	return !memcmp(mac, spent_mac, 6);
}

static void test_limit_matching(void **state)
{
	struct policy *p = load_rules(
		"config rule 'videos'\n\toption name 'videos 1h'\n\tlist app 'youtube'\n"
		"\toption time_limit '1h'\n"
		"config rule 'all'\n\toption name 'everything 5G'\n\toption volume_limit '5G'\n"
		"\toption action 'log'\n"
		"config rule 'eve'\n\toption name 'evenings'\n\tlist app 'youtube'\n"
		"\toption time_limit '10m'\n\toption start_time '18:00'\n\toption stop_time '20:00'\n"
		"config rule 'qos'\n\toption action 'qos'\n\toption class 'bulk'\n\tlist app 'youtube'\n"
		"config rule 'after'\n\toption name 'after qos'\n\toption time_limit '2h'\n");
	struct policy_input in = input("aa:bb:cc:dd:ee:ff", NULL, NULL, 103);
	const struct policy_rule *logged[4];
	size_t n_logged = 0;
	uint64_t keys[4];
	int asked = 0, idx;
	time_t noon = at_utc("2024-03-04 11:00"), evening = at_utc("2024-03-04 18:30");

	(void)state;
	/* no accounting: limit rules never match, the qos rule decides */
	assert_string_equal(match_name(p, &in, noon), "qos");
	/* their keys: those before the deciding rule, schedule holding */
	assert_int_equal(policy_limits(p, &in, noon, 3, keys, 4), 2);
	assert_true(keys[0] == policy_limit_key("videos 1h"));
	assert_true(keys[1] == policy_limit_key("everything 5G"));
	assert_int_equal(policy_limits(p, &in, evening, 3, keys, 4), 3);
	assert_true(keys[2] == policy_limit_key("evenings"));
	assert_int_equal(policy_limits(p, &in, evening, -1, keys, 4), 4);
	assert_int_equal(policy_limits(p, &in, evening, -1, keys, 2), 2);
	in.app_id = 101;	/* whatsapp: only the limits on all traffic */
	assert_int_equal(policy_limits(p, &in, noon, -1, keys, 4), 2);
	assert_true(keys[1] == policy_limit_key("after qos"));
	in.app_id = 103;

	/* spent for this device: the first limit rule matches, and blocks */
	in.limit_spent = fake_spent;
	in.limit_ctx = &asked;
	assert_ptr_equal(policy_match_ex(p, &in, noon, 0, &idx, logged, 4, &n_logged), &p->rules[0]);
	assert_int_equal(idx, 0);
	assert_int_equal(n_logged, 0);
	assert_int_equal(asked, 1);
	/* another device: not spent, the spent log limit is not either */
	assert_int_equal(policy_parse_mac("aa:bb:cc:dd:ee:00", in.mac), 0);
	assert_ptr_equal(policy_match_ex(p, &in, noon, 0, &idx, logged, 4, &n_logged), &p->rules[3]);
	assert_int_equal(n_logged, 0);
	assert_int_equal(asked, 3);
	/* a device without a MAC is asked about as all zero */
	in.has_mac = false;
	assert_ptr_equal(policy_match(p, &in, noon, NULL), &p->rules[3]);
	policy_free(p);

	/* a spent limit with action log is recorded, matching goes on */
	p = load_rules("config rule 'all'\n\toption name 'everything 5G'\n\toption volume_limit '5G'\n"
		       "\toption action 'log'\n"
		       "config rule 'qos'\n\toption action 'qos'\n\toption class 'bulk'\n");
	in = input("aa:bb:cc:dd:ee:ff", NULL, NULL, 103);
	in.limit_spent = fake_spent;
	in.limit_ctx = &asked;
	assert_ptr_equal(policy_match_ex(p, &in, noon, 0, &idx, logged, 4, &n_logged), &p->rules[1]);
	assert_int_equal(n_logged, 1);
	assert_ptr_equal(logged[0], &p->rules[0]);
	policy_free(p);
}

static void test_first_match_wins(void **state)
{
	struct policy *p = load_rules(
		"config rule\n\toption name 'off'\n\toption action 'allow'\n"
		"\toption enabled '0'\n"
		"config rule\n\toption name 'wa1'\n\toption action 'block'\n"
		"\tlist app 'whatsapp'\n"
		"config rule\n\toption name 'wa2'\n\toption action 'allow'\n"
		"\tlist app 'whatsapp'\n"
		"config rule\n\toption name 'any'\n\toption action 'qos'\n"
		"\toption class 'bulk'\n");
	struct policy_input in = input(NULL, "10.0.0.1", "br-lan", 101);
	int idx = 42;

	(void)state;
	assert_ptr_equal(policy_match(p, &in, 0, &idx), &p->rules[1]);
	assert_int_equal(idx, 1);
	in.app_id = 102;
	assert_ptr_equal(policy_match(p, &in, 0, &idx), &p->rules[3]);
	assert_int_equal(idx, 3);
	policy_free(p);
	p = load_rules("config rule\n\toption action 'block'\n"
		       "\tlist app 'youtube'\n");
	assert_null(policy_match(p, &in, 0, &idx));
	assert_int_equal(idx, -1);
	policy_free(p);
}

static void test_log_rules_continue(void **state)
{
	struct policy *p = load_rules(
		"config rule\n\toption name 'log-all'\n\toption action 'log'\n"
		"config rule\n\toption name 'log-wa'\n\toption action 'log'\n"
		"\tlist app 'whatsapp'\n"
		"config rule\n\toption name 'block-wa'\n"
		"\toption action 'block'\n\tlist app 'whatsapp'\n");
	struct policy_input in = input(NULL, NULL, NULL, 101);
	const struct policy_rule *logged[1];
	size_t n = 0;
	int idx;
	const struct policy_rule *r;

	(void)state;
	r = policy_match_ex(p, &in, 0, 0, &idx, logged, 1, &n);
	assert_ptr_equal(r, &p->rules[2]);
	assert_int_equal(idx, 2);
	assert_int_equal(n, 2);			/* counted past the room */
	assert_ptr_equal(logged[0], &p->rules[0]);
	in.app_id = 103;
	r = policy_match_ex(p, &in, 0, 0, &idx, logged, 1, &n);
	assert_null(r);
	assert_int_equal(n, 1);
	policy_free(p);
}

static void test_sources(void **state)
{
	struct policy *p = load_rules(
		"config rule\n\toption name 'by-mac'\n\toption action 'block'\n"
		"\toption src_mac '11:22:33:44:55:66 11-22-33-44-55-77'\n"
		"config rule\n\toption name 'by-cidr'\n\toption action 'block'\n"
		"\tlist src_ip '10.1.0.0/16'\n\tlist src_ip '2001:db8::/32'\n"
		"config rule\n\toption name 'by-device'\n\toption action 'block'\n"
		"\tlist device 'tv'\n"
		"config rule\n\toption name 'by-group'\n\toption action 'block'\n"
		"\tlist group 'kids'\n"
		"config rule\n\toption name 'by-iface'\n\toption action 'block'\n"
		"\tlist src_iface 'br-guest'\n"
		"config rule\n\toption name 'iface+ip'\n\toption action 'block'\n"
		"\tlist src_iface 'br-iot'\n\tlist src_ip '10.9.9.9'\n");
	struct policy_input in;

	(void)state;
	in = input("11:22:33:44:55:77", NULL, NULL, -1);
	assert_string_equal(match_name(p, &in, 0), "by-mac");
	in = input(NULL, "10.1.255.254", NULL, -1);
	assert_string_equal(match_name(p, &in, 0), "by-cidr");
	in = input(NULL, "10.2.0.1", NULL, -1);
	assert_string_equal(match_name(p, &in, 0), "(none)");
	in = input(NULL, "2001:db8:ffff::1", NULL, -1);
	assert_string_equal(match_name(p, &in, 0), "by-cidr");
	in = input(NULL, "2001:db9::1", NULL, -1);
	assert_string_equal(match_name(p, &in, 0), "(none)");
	in = input("02:00:00:00:00:01", "192.168.1.9", NULL, -1);
	assert_string_equal(match_name(p, &in, 0), "by-device");
	/* group members: by the phone's MAC, the phone's v4, the tablet's v6 */
	in = input("AA:BB:CC:DD:EE:FF", NULL, NULL, -1);
	assert_string_equal(match_name(p, &in, 0), "by-group");
	in = input("02:00:00:00:00:99", "192.168.1.50", NULL, -1);
	assert_string_equal(match_name(p, &in, 0), "by-group");
	in = input(NULL, "fd00::50", NULL, -1);
	assert_string_equal(match_name(p, &in, 0), "by-group");
	in = input(NULL, "fd00::51", NULL, -1);
	assert_string_equal(match_name(p, &in, 0), "(none)");
	/* v4 address bytes never match a v6 network and vice versa */
	in = input(NULL, "192.168.1.50", NULL, -1);
	in.family = AF_INET6;
	assert_string_equal(match_name(p, &in, 0), "(none)");
	in = input(NULL, NULL, "br-guest", -1);
	assert_string_equal(match_name(p, &in, 0), "by-iface");
	/* src_iface and src_ip must both hold */
	in = input(NULL, "10.9.9.9", "br-lan", -1);
	assert_string_equal(match_name(p, &in, 0), "(none)");
	in = input(NULL, "10.9.9.9", "br-iot", -1);
	assert_string_equal(match_name(p, &in, 0), "iface+ip");
	in = input(NULL, "10.9.9.8", "br-iot", -1);
	assert_string_equal(match_name(p, &in, 0), "(none)");
	policy_free(p);
}

/* Which device a host is: by MAC first within a device, devices in file
 * order, addresses compared whole and by family. */
static void test_device_name(void **state)
{
	struct policy *p = load_rules("");
	struct policy_input in;

	(void)state;
	in = input("aa:bb:cc:dd:ee:ff", "10.0.0.1", NULL, -1);
	assert_string_equal(policy_device_name(p, in.mac, in.family, in.addr), "kid_phone");
	in = input("02:00:00:00:00:01", "192.168.1.50", NULL, -1);
	/* kid_phone lists the address and comes first */
	assert_string_equal(policy_device_name(p, in.mac, in.family, in.addr), "kid_phone");
	assert_string_equal(policy_device_name(p, NULL, in.family, in.addr), "kid_phone");
	in = input("02:00:00:00:00:01", "10.0.0.1", NULL, -1);
	assert_string_equal(policy_device_name(p, in.mac, in.family, in.addr), "tv");
	assert_null(policy_device_name(p, NULL, in.family, in.addr));
	in = input(NULL, "fd00::50", NULL, -1);
	assert_string_equal(policy_device_name(p, NULL, in.family, in.addr), "kid_tablet");
	assert_null(policy_device_name(p, NULL, AF_INET, in.addr));
	assert_null(policy_device_name(NULL, NULL, in.family, in.addr));
	policy_free(p);
}

static void test_traffic_lists(void **state)
{
	struct policy *p = load_rules(
		"config rule\n\toption name 'apps'\n\toption action 'block'\n"
		"\tlist app 'telegram'\n\tlist app 'youtube'\n"
		"config rule\n\toption name 'cat'\n\toption action 'block'\n"
		"\tlist category 'games'\n"
		"config rule\n\toption name 'proto'\n\toption action 'block'\n"
		"\tlist proto 'bittorrent'\n\tlist proto 'tls'\n"
		"config rule\n\toption name 'wa-proto'\n\toption action 'block'\n"
		"\tlist proto 'WhatsApp'\n");
	struct policy_input in = input(NULL, NULL, NULL, 103);

	(void)state;
	assert_string_equal(match_name(p, &in, 0), "apps");
	in = input(NULL, NULL, NULL, -1);
	in.app_master_id = 102;
	assert_string_equal(match_name(p, &in, 0), "apps");
	in = input(NULL, NULL, NULL, -1);
	in.category_id = 1;
	assert_string_equal(match_name(p, &in, 0), "cat");
	in.category_id = 2;
	assert_string_equal(match_name(p, &in, 0), "(none)");
	in = input(NULL, NULL, NULL, -1);
	in.proto_id = 37;
	assert_string_equal(match_name(p, &in, 0), "proto");
	/* TLS carrying WhatsApp: the TLS master protocol matches first */
	in.proto_id = 142;
	in.proto_master_id = 91;
	assert_string_equal(match_name(p, &in, 0), "proto");
	in.proto_master_id = 7;
	assert_string_equal(match_name(p, &in, 0), "wa-proto");
	in = input(NULL, NULL, NULL, -1);
	assert_string_equal(match_name(p, &in, 0), "(none)");
	/* nDPI's own application, beside the catalog's: the catalog app it
	 * stands for matches app rules, what nDPI names by address (nDPI's
	 * protocol_by_ip) matches proto rules */
	in = input(NULL, NULL, NULL, 101);
	in.app_ndpi_id = 103;
	assert_string_equal(match_name(p, &in, 0), "apps");
	in = input(NULL, NULL, NULL, -1);
	in.proto_master_id = 7;
	in.proto_ip_id = 142;
	assert_string_equal(match_name(p, &in, 0), "wa-proto");
	policy_free(p);
}

static void test_schedule_in_rules(void **state)
{
	struct policy *p = load_rules(
		"config rule\n\toption name 'school nights'\n"
		"\toption action 'block'\n\tlist group 'kids'\n"
		"\tlist app 'whatsapp'\n"
		"\toption weekdays 'Mon Tue Wed Thu Sun'\n"
		"\toption start_time '18:00'\n\toption stop_time '07:00'\n"
		"\toption start_date '2026-09-01'\n"
		"\toption stop_date '2027-06-30'\n");
	struct policy_input in = input("aa:bb:cc:dd:ee:ff", NULL, NULL, 101);
	const struct policy_rule *r;
	int idx;

	(void)state;
	/* Sunday 2026-11-29 20:00 CET */
	assert_string_equal(match_name(p, &in, at_utc("2026-11-29 19:00")),
			    "school nights");
	/* Friday 20:00 */
	assert_string_equal(match_name(p, &in, at_utc("2026-11-27 19:00")),
			    "(none)");
	/* Sunday, but before start_date */
	assert_string_equal(match_name(p, &in, at_utc("2026-08-30 19:00")),
			    "(none)");
	assert_true(policy_rule_active(&p->rules[0],
				       at_utc("2026-11-29 19:00")));
	assert_false(policy_rule_active(&p->rules[0],
					at_utc("2026-11-29 12:00")));
	/* ignoring the schedule finds the rule anyway, for `policy test` */
	r = policy_match_ex(p, &in, at_utc("2026-11-27 19:00"),
			    POLICY_MATCH_IGNORE_SCHEDULE, &idx, NULL, 0, NULL);
	assert_ptr_equal(r, &p->rules[0]);
	assert_int_equal(idx, 0);
	policy_free(p);
}

static void test_no_names_callbacks(void **state)
{
	static const char text[] = "config rule\n\toption action 'block'\n"
				   "\tlist app 'whatsapp'\n";
	struct policy *p;

	(void)state;
	p = policy_load_buf("f", text, strlen(text), NULL, &errs);
	assert_null(p);
	assert_int_equal(errs.count, 1);
	assert_string_equal(errs.msg[0], "f:1: rule '@rule[0]': unknown "
			    "application 'whatsapp'");
}

static void test_load_file(void **state)
{
	char path[] = "/tmp/test_policy_XXXXXX";
	int fd = mkstemp(path);
	FILE *f;
	struct policy *p;
	char *want;

	(void)state;
	assert_true(fd >= 0);
	f = fdopen(fd, "w");
	fputs("config netify 'main'\n\toption queue '1'\n", f);
	fclose(f);
	p = policy_load(path, &names, &errs);
	assert_non_null(p);
	assert_string_equal(p->file, path);
	assert_int_equal(p->main.queue_first, 1);
	policy_free(p);
	unlink(path);
	assert_null(policy_load(path, &names, &errs));
	assert_int_equal(errs.count, 1);
	assert_true(asprintf(&want, "%s: cannot read: No such file or "
			     "directory", path) > 0);
	assert_string_equal(errs.msg[0], want);
	free(want);
}

static void test_names_of_enums(void **state)
{
	(void)state;
	assert_string_equal(policy_action_name(POLICY_ALLOW), "allow");
	assert_string_equal(policy_action_name(POLICY_LOG), "log");
	assert_string_equal(policy_action_name(__POLICY_ACTION_MAX), "?");
	assert_string_equal(policy_log_level_name(LOG_WARNING), "warning");
	assert_string_equal(policy_log_level_name(LOG_CRIT), "?");
	assert_string_equal(policy_block_mode_name(POLICY_BLOCK_DROP), "drop");
	assert_string_equal(policy_framing_name(POLICY_FRAMING_NETIFY),
			    "netify");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_defaults),
		cmocka_unit_test(test_export_section),
		cmocka_unit_test(test_main_all_options),
		cmocka_unit_test(test_errors_main),
		cmocka_unit_test(test_files_options),
		cmocka_unit_test(test_errors_sections),
		cmocka_unit_test(test_errors_section_limit_and_file),
		cmocka_unit_test(test_errors_rules),
		cmocka_unit_test(test_all_errors_collected),
		cmocka_unit_test(test_error_overflow_counted),
		cmocka_unit_test(test_objects_and_names),
		cmocka_unit_test(test_first_match_wins),
		cmocka_unit_test(test_log_rules_continue),
		cmocka_unit_test(test_sources),
		cmocka_unit_test(test_device_name),
		cmocka_unit_test(test_traffic_lists),
		cmocka_unit_test(test_schedule_in_rules),
		cmocka_unit_test(test_no_names_callbacks),
		cmocka_unit_test(test_load_file),
		cmocka_unit_test(test_names_of_enums),
		cmocka_unit_test(test_usage_options),
		cmocka_unit_test(test_limit_values),
		cmocka_unit_test(test_limit_rules),
		cmocka_unit_test(test_limit_matching),
	};

	return cmocka_run_group_tests(tests, setup, NULL);
}
