/*
 * policy_schema.c - the schema of /etc/config/netify: per section type a
 * static table of option name -> value kind -> field (as libubox's
 * blobmsg_policy), one parser per kind, and applying a section's options
 * to its object. Every bad value is an error with file and line.
 */
#define _GNU_SOURCE	/* asprintf */
#include <arpa/inet.h>
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <syslog.h>

#include "policy_int.h"
#include "util.h"

enum policy_kind {
	PK_BOOL,
	PK_UINT,	/* decimal, min..max */
	PK_HEX,		/* 0x... or decimal, 32 bits */
	PK_ENUM,	/* index into names[] (NULL entries skipped) */
	PK_STRING,	/* any valid UTF-8 */
	PK_PATH,	/* absolute */
	PK_SOCKPATH,	/* absolute, fits sun_path */
	PK_OPTPATH,	/* absolute, or '' for off (NULL) */
	PK_GROUPNAME,	/* unix group name */
	PK_QUEUE,	/* "N" or "N-M" into queue_first/queue_last */
	PK_DSCP,	/* name or 0..63 */
	PK_TIME,	/* sched.h */
	PK_DATE,
	PK_WEEKDAYS,
	PK_MONTHDAYS,
	PK_CLOCK,	/* "hh:mm" into minutes after midnight (int) */
	PK_DURATION,	/* "30m", "1h30m", "90" (minutes) into minutes, min..max */
	PK_VOLUME,	/* "500M", "2G", "1.5GiB", bytes (uint64_t), min..max */
	/* lists: `list x` items or `option x 'a b'`, split on white space */
	PK_IFNAMES,
	PK_NAMES,	/* resolved later: apps, devices, ... */
	PK_CIDRS,
	PK_MACS,
	PK_HOSTPORTS,
	PK_COLLECTORS,	/* export_collector_parse() */
	__PK_MAX
};

struct policy_opt {
	const char *name;
	enum policy_kind kind;
	size_t off;
	unsigned long min, max;
	const char *const *names;	/* PK_ENUM */
	size_t n_names;
};

#define OPT(st, n, k, f)	{ n, k, offsetof(st, f), 0, 0, NULL, 0 }
#define OPT_U(st, n, f, lo, hi)	{ n, PK_UINT, offsetof(st, f), lo, hi, NULL, 0 }
#define OPT_E(st, n, f, tbl) \
	{ n, PK_ENUM, offsetof(st, f), 0, 0, tbl, sizeof(tbl) / sizeof(tbl[0]) }

static const char *const policy_block_modes[] = { "reject", "drop" };
static const char *const policy_framings[] = { "ndjson", "netify" };
static const char *const policy_actions[] = { "allow", "block", "qos", "log" };
static const char *const policy_limit_pers[] = { "device", "rule" };
static const char *const policy_log_levels[] = {
	NULL, NULL, NULL, "err", "warning", "notice", "info", "debug",
};

#define M struct policy_main
static const struct policy_opt policy_main_opts[] = {
	OPT(M, "enabled", PK_BOOL, enabled),
	OPT(M, "queue", PK_QUEUE, queue_first),	/* and queue_last after it */
	OPT_U(M, "packet_budget", packet_budget, 0, 65535),
	OPT(M, "fail_open", PK_BOOL, fail_open),
	OPT(M, "lan_interface", PK_IFNAMES, lan_interface),
	OPT(M, "wan_interface", PK_IFNAMES, wan_interface),
	OPT(M, "lan_network", PK_CIDRS, lan_network),
	OPT(M, "wan_network", PK_CIDRS, wan_network),
	OPT(M, "mark_mask", PK_HEX, mark_mask),
	OPT_E(M, "block_mode", block_mode, policy_block_modes),
	OPT_U(M, "block_timeout", block_timeout, 1, 2592000),
	OPT(M, "input_chain", PK_BOOL, input_chain),
	OPT(M, "output_chain", PK_BOOL, output_chain),
	OPT(M, "keep_blocking", PK_BOOL, keep_blocking),
	OPT(M, "monitor_socket", PK_SOCKPATH, monitor_socket),
	OPT(M, "monitor_group", PK_GROUPNAME, monitor_group),
	OPT(M, "monitor_tcp", PK_HOSTPORTS, monitor_tcp),
	OPT_E(M, "monitor_framing", monitor_framing, policy_framings),
	OPT(M, "control_socket", PK_SOCKPATH, control_socket),
	OPT_U(M, "status_interval", status_interval, 1, 3600),
	OPT(M, "apps_dir", PK_PATH, apps_dir),
	OPT(M, "json_save_dir", PK_OPTPATH, json_save_dir),
	OPT(M, "capture_unknown_dir", PK_OPTPATH, capture_unknown_dir),
	OPT_U(M, "capture_unknown_max_files", capture_unknown_max_files, 1, 100000),
	OPT_U(M, "capture_unknown_max_bytes", capture_unknown_max_bytes, 1024, 1048576),
	OPT_U(M, "flow_table_size", flow_table_size, 1024, 16777216),
	OPT_U(M, "dns_cache_size", dns_cache_size, 64, 4194304),
	OPT_U(M, "inspect_slots", inspect_slots, 64, 16777216),
	OPT_U(M, "dpi_share", dpi_share, 1, 64),
	OPT_U(M, "worker_priority", worker_priority, 0, 99),
	OPT_U(M, "dns_ttl_min", dns_ttl_min, 0, 2592000),
	OPT_U(M, "dns_ttl_max", dns_ttl_max, 1, 2592000),
	OPT_E(M, "log_level", log_level, policy_log_levels),
	OPT(M, "usage", PK_BOOL, usage),
	OPT(M, "reset_time", PK_CLOCK, reset_time),
	OPT(M, "usage_dir", PK_PATH, usage_dir),
	OPT_U(M, "usage_save_interval", usage_save_interval, 60, 86400),
	OPT(M, "usage_persist_dir", PK_OPTPATH, usage_persist_dir),
	OPT_U(M, "usage_persist_interval", usage_persist_interval, 3600, 604800),
	OPT_U(M, "usage_max_entries", usage_max_entries, 64, 1048576),
	OPT_U(M, "usage_min_bytes", usage_min_bytes, 1, 1000000000),
	OPT_U(M, "usage_refresh", usage_refresh, 1, 60),
};
#undef M

#define R struct policy_rule
static const struct policy_opt policy_rule_opts[] = {
	OPT(R, "name", PK_STRING, name),
	OPT(R, "enabled", PK_BOOL, enabled),
	OPT(R, "src_mac", PK_MACS, src_mac),
	OPT(R, "src_ip", PK_CIDRS, src_ip),
	OPT(R, "src_iface", PK_IFNAMES, src_iface),
	OPT(R, "device", PK_NAMES, device),
	OPT(R, "group", PK_NAMES, group),
	OPT(R, "app", PK_NAMES, app),
	OPT(R, "proto", PK_NAMES, proto),
	OPT(R, "category", PK_NAMES, category),
	OPT_E(R, "action", action, policy_actions),
	OPT(R, "class", PK_STRING, class_name),
	OPT(R, "weekdays", PK_WEEKDAYS, sched),
	OPT(R, "monthdays", PK_MONTHDAYS, sched),
	OPT(R, "start_time", PK_TIME, sched.start_time),
	OPT(R, "stop_time", PK_TIME, sched.stop_time),
	OPT(R, "start_date", PK_DATE, sched.start_date),
	OPT(R, "stop_date", PK_DATE, sched.stop_date),
	OPT(R, "utc_time", PK_BOOL, sched.utc),
	{ "time_limit", PK_DURATION, offsetof(R, time_limit), 1, POLICY_TIME_LIMIT_MAX, NULL, 0 },
	{ "volume_limit", PK_VOLUME, offsetof(R, volume_limit), 1, 0, NULL, 0 },
	OPT_U(R, "limit_warn", limit_warn, 0, 99),
	OPT_E(R, "limit_per", limit_per, policy_limit_pers),
};
#undef R

#define C struct policy_class
static const struct policy_opt policy_class_opts[] = {
	OPT(C, "label", PK_STRING, label),
	OPT_U(C, "mark", mark, 1, POLICY_CLASS_MARK_MAX),
	OPT(C, "dscp", PK_DSCP, dscp),
	OPT_U(C, "priority", priority, 0, 2147483647),
};
#undef C

#define D struct policy_device
static const struct policy_opt policy_device_opts[] = {
	OPT(D, "label", PK_STRING, label),
	OPT(D, "mac", PK_MACS, macs),
	OPT(D, "ip", PK_CIDRS, ips),
};
#undef D

#define G struct policy_group
static const struct policy_opt policy_group_opts[] = {
	OPT(G, "label", PK_STRING, label),
	OPT(G, "device", PK_NAMES, devices),
};
#undef G

#define X struct policy_export
static const struct policy_opt policy_export_opts[] = {
	OPT(X, "enabled", PK_BOOL, enabled),
	OPT(X, "collector", PK_COLLECTORS, collector),
	OPT_U(X, "observation_domain", observation_domain, 0, 4294967295UL),
	OPT_U(X, "active_timeout", active_timeout, 0, 86400),
	OPT_U(X, "template_refresh", template_refresh, 1, 86400),
	OPT_U(X, "template_refresh_packets", template_refresh_packets, 0, 1000000),
	OPT_U(X, "mtu", mtu, 512, 65535),
	OPT_U(X, "queue", queue, 16, 1048576),
	OPT_U(X, "rate", rate, 0, 10000000),
	OPT_U(X, "flush", flush, 10, 60000),
	OPT_U(X, "max_conns", max_conns, 64, 16777216),
	OPT_U(X, "pen", pen, 0, 4294967295UL),
};
#undef X

static bool policy_utf8_valid(const char *s)
{
	const unsigned char *p = (const unsigned char *)s;
	unsigned int n;

	for (; *p; p += n)
		if (!(n = (unsigned int)util_utf8_seq(p, 4)))	/* the NUL ends a short one */
			return false;
	return true;
}

/* ---- value parsers ---- */

static int policy_parse_bool(const char *v, bool *out)
{
	static const char *const yes[] = { "1", "yes", "on", "true", "enabled" };
	static const char *const no[] = { "0", "no", "off", "false", "disabled" };

	for (size_t i = 0; i < sizeof(yes) / sizeof(yes[0]); i++) {
		if (!strcasecmp(v, yes[i]) || !strcasecmp(v, no[i])) {
			*out = !strcasecmp(v, yes[i]);
			return 0;
		}
	}
	return -1;
}

static int policy_parse_ulong(const char *v, unsigned long max,
			      unsigned long *out)
{
	unsigned long n = 0;

	if (!*v)
		return -1;
	for (; *v; v++) {
		if (!isdigit((unsigned char)*v))
			return -1;
		if (n > (max - (unsigned long)(*v - '0')) / 10)
			return -1;
		n = n * 10 + (unsigned long)(*v - '0');
	}
	*out = n;
	return 0;
}

static int policy_parse_hex(const char *v, uint32_t *out)
{
	unsigned long n = 0;
	int digits = 0;

	if (v[0] != '0' || (v[1] != 'x' && v[1] != 'X')) {
		if (policy_parse_ulong(v, 0xffffffffUL, &n) < 0)
			return -1;
		*out = (uint32_t)n;
		return 0;
	}
	for (v += 2; *v; v++, digits++) {
		if (!isxdigit((unsigned char)*v) || digits >= 8)
			return -1;
		n = n * 16 + (unsigned long)(isdigit((unsigned char)*v) ?
			*v - '0' : tolower((unsigned char)*v) - 'a' + 10);
	}
	if (!digits)
		return -1;
	*out = (uint32_t)n;
	return 0;
}

static int policy_parse_dscp(const char *v, int *out)
{
	static const struct { const char *name; int val; } names[] = {
		{ "CS0", 0 }, { "CS1", 8 }, { "CS2", 16 }, { "CS3", 24 },
		{ "CS4", 32 }, { "CS5", 40 }, { "CS6", 48 }, { "CS7", 56 },
		{ "AF11", 10 }, { "AF12", 12 }, { "AF13", 14 },
		{ "AF21", 18 }, { "AF22", 20 }, { "AF23", 22 },
		{ "AF31", 26 }, { "AF32", 28 }, { "AF33", 30 },
		{ "AF41", 34 }, { "AF42", 36 }, { "AF43", 38 },
		{ "EF", 46 }, { "LE", 1 }, { "VA", 44 },
	};
	unsigned long n;

	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		if (!strcasecmp(v, names[i].name)) {
			*out = names[i].val;
			return 0;
		}
	}
	if (policy_parse_ulong(v, 63, &n) < 0)
		return -1;
	*out = (int)n;
	return 0;
}

/* "hh:mm", 00:00 .. 23:59, two digits each */
static int policy_parse_clock(const char *v, int *minutes, char *why,
			      size_t whylen)
{
	const char *d = "0123456789";

	if (strlen(v) != 5 || v[2] != ':' || !strchr(d, v[0]) ||
	    !strchr(d, v[1]) || !strchr(d, v[3]) || !strchr(d, v[4]) ||
	    (v[0] - '0') * 10 + (v[1] - '0') > 23 || v[3] > '5') {
		snprintf(why, whylen, "'%s' is not a time of day hh:mm "
			 "(00:00 to 23:59)", v);
		return -1;
	}
	*minutes = ((v[0] - '0') * 10 + (v[1] - '0')) * 60 +
		   (v[3] - '0') * 10 + (v[4] - '0');
	return 0;
}

/* "90" (minutes), "30m", "2h", "1h30m": hours before minutes, each once */
static int policy_parse_duration(const char *v, unsigned long lo,
				 unsigned long hi, unsigned int *minutes,
				 char *why, size_t whylen)
{
	unsigned long total = 0, n;
	const char *p = v;
	char last = 0;

	while (*p) {
		const char *start = p;

		for (n = 0; isdigit((unsigned char)*p) && n <= hi * 60; p++)
			n = n * 10 + (unsigned long)(*p - '0');
		if (p == start || isdigit((unsigned char)*p))
			goto out_invalid;
		if (!*p && !last && p != v) {	/* a bare number: minutes */
			total = n;
			break;
		}
		if ((*p != 'h' && *p != 'm') || last == 'm' || last == *p)
			goto out_invalid;
		last = *p++;
		total += last == 'h' ? n * 60 : n;
		if (total > hi * 60)
			goto out_invalid;
	}
	if (!*v || total < lo || total > hi) {
		snprintf(why, whylen, "'%s' is not a duration of %lum to "
			 "%luh", v, lo, hi / 60);
		return -1;
	}
	*minutes = (unsigned int)total;
	return 0;

out_invalid:
	snprintf(why, whylen, "'%s' is not a duration (like 30m, 1h, 1h30m, "
		 "or minutes) of %lum to %luh", v, lo, hi / 60);
	return -1;
}

/* "500M", "2G", "800K", "1.5GB" (powers of 1000), "512MiB" (of 1024),
 * "1000000" or "1000000B" (bytes) */
static int policy_parse_volume(const char *v, uint64_t *bytes, char *why,
			       size_t whylen)
{
	static const char units[] = "KMGTP";
	uint64_t whole = 0, frac = 0, fdiv = 1, mult = 1;
	const char *p = v, *u;

	for (; isdigit((unsigned char)*p); p++) {
		if (whole > POLICY_VOLUME_LIMIT_MAX)
			goto out_invalid;
		whole = whole * 10 + (uint64_t)(*p - '0');
	}
	if (p == v)
		goto out_invalid;
	if (*p == '.') {
		/* three decimals at most: frac * mult stays in 64 bits */
		for (p++; isdigit((unsigned char)*p); p++) {
			if (fdiv == 1000)
				goto out_invalid;
			frac = frac * 10 + (uint64_t)(*p - '0');
			fdiv *= 10;
		}
		if (fdiv == 1)
			goto out_invalid;
	}
	if (*p && (u = strchr(units, toupper((unsigned char)*p)))) {
		bool binary = p[1] == 'i' && (p[2] == 'B' || p[2] == 'b');

		for (ptrdiff_t i = 0; i <= u - units; i++)
			mult *= binary ? 1024 : 1000;
		p += binary ? 3 : 1 + (p[1] == 'B' || p[1] == 'b');
	} else if (*p == 'B' || *p == 'b') {
		p++;
	}
	if (*p || whole > POLICY_VOLUME_LIMIT_MAX / mult)
		goto out_invalid;
	*bytes = whole * mult + frac * mult / fdiv;
	if (!*bytes || *bytes > POLICY_VOLUME_LIMIT_MAX)
		goto out_invalid;
	return 0;

out_invalid:
	snprintf(why, whylen, "'%s' is not a volume (like 500M, 2G, 1.5GB, "
		 "512MiB, or bytes) of 1 byte to 1 PB", v);
	return -1;
}

int policy_parse_mac(const char *text, uint8_t mac[6])
{
	for (int i = 0; i < 6; i++) {
		if (!isxdigit((unsigned char)text[0]) ||
		    !isxdigit((unsigned char)text[1]))
			return -1;
		mac[i] = (uint8_t)strtoul((char[3]){ text[0], text[1], 0 },
					  NULL, 16);
		text += 2;
		if (i < 5 && *text != ':' && *text != '-')
			return -1;
		if (i < 5)
			text++;
	}
	return *text ? -1 : 0;
}

static void policy_cidr_mask(struct policy_cidr *c)
{
	unsigned int bytes = c->family == AF_INET ? 4 : 16;

	for (unsigned int i = 0; i < bytes; i++) {
		unsigned int bit = i * 8;

		if (bit >= c->prefix)
			c->addr[i] = 0;
		else if (c->prefix - bit < 8)
			c->addr[i] &= (uint8_t)(0xff << (8 - (c->prefix - bit)));
	}
}

int policy_parse_cidr(const char *text, struct policy_cidr *c)
{
	char ip[INET6_ADDRSTRLEN + 1];
	const char *slash = strchr(text, '/');
	size_t len = slash ? (size_t)(slash - text) : strlen(text);
	unsigned long prefix;

	if (len == 0 || len >= sizeof(ip))
		return -1;
	memcpy(ip, text, len);
	ip[len] = '\0';
	memset(c, 0, sizeof(*c));
	c->family = strchr(ip, ':') ? AF_INET6 : AF_INET;
	if (inet_pton(c->family, ip, c->addr) != 1)
		return -1;
	prefix = c->family == AF_INET ? 32 : 128;
	if (slash && policy_parse_ulong(slash + 1, prefix, &prefix) < 0)
		return -1;
	c->prefix = (uint8_t)prefix;
	policy_cidr_mask(c);
	return 0;
}

void policy_cidr_format(const struct policy_cidr *c, char *buf, size_t len)
{
	char ip[INET6_ADDRSTRLEN];
	unsigned int full = c->family == AF_INET ? 32 : 128;

	if (!inet_ntop(c->family, c->addr, ip, sizeof(ip)))
		snprintf(ip, sizeof(ip), "?");
	if (c->prefix == full)
		snprintf(buf, len, "%s", ip);
	else
		snprintf(buf, len, "%s/%u", ip, c->prefix);
}

/* Kernel rules for interface names (dev_valid_name). */
static bool policy_ifname_valid(const char *s)
{
	size_t len = strlen(s);

	if (!len || len > POLICY_IFNAME_MAX || !strcmp(s, ".") ||
	    !strcmp(s, ".."))
		return false;
	for (; *s; s++)
		if (*s == '/' || *s == ':' || isspace((unsigned char)*s) ||
		    !isprint((unsigned char)*s))
			return false;
	return true;
}

static bool policy_groupname_valid(const char *s)
{
	size_t len = strlen(s);

	if (!len || len > 32 || *s == '-')
		return false;
	for (; *s; s++)
		if (!isalnum((unsigned char)*s) && !strchr("_.-", *s))
			return false;
	return true;
}

/* "192.0.2.1:7150" or "[2001:db8::1]:7150" */
static bool policy_hostport_valid(const char *s)
{
	char host[INET6_ADDRSTRLEN + 1];
	const char *colon = strrchr(s, ':');
	unsigned long port;
	uint8_t buf[16];
	size_t len;
	int family = AF_INET;

	if (!colon || policy_parse_ulong(colon + 1, 65535, &port) < 0 || !port)
		return false;
	len = (size_t)(colon - s);
	if (*s == '[') {
		if (len < 3 || s[len - 1] != ']')
			return false;
		s++;
		len -= 2;
		family = AF_INET6;
	}
	if (!len || len >= sizeof(host))
		return false;
	memcpy(host, s, len);
	host[len] = '\0';
	return inet_pton(family, host, buf) == 1;
}

static int policy_parse_queue(const char *v, unsigned int q[2])
{
	const char *dash = strchr(v, '-');
	char first[8];
	unsigned long a, b;

	if (!dash) {
		if (policy_parse_ulong(v, 65535, &a) < 0)
			return -1;
		q[0] = q[1] = (unsigned int)a;
		return 0;
	}
	if ((size_t)(dash - v) >= sizeof(first))
		return -1;
	memcpy(first, v, (size_t)(dash - v));
	first[dash - v] = '\0';
	/* one worker thread per queue: keep the count sane */
	if (policy_parse_ulong(first, 65535, &a) < 0 ||
	    policy_parse_ulong(dash + 1, 65535, &b) < 0 || b < a || b - a >= 64)
		return -1;
	q[0] = (unsigned int)a;
	q[1] = (unsigned int)b;
	return 0;
}

/* ---- growable arrays (load time only) ---- */

int policy_vec_push(void **v, size_t *n, size_t elem, const void *item)
{
	/* capacity is the next power of two >= 4: grow when n reaches it */
	if (*n >= 4 ? !(*n & (*n - 1)) : *n == 0) {
		size_t cap = *n ? *n * 2 : 4;
		void *nv = realloc(*v, cap * elem);

		if (!nv)
			return -1;
		*v = nv;
	}
	memcpy((char *)*v + *n * elem, item, elem);
	(*n)++;
	return 0;
}

static int policy_strs_push(struct policy_strs *l, const char *s)
{
	char *dup = strdup(s);

	if (!dup || policy_vec_push((void **)&l->v, &l->n, sizeof(*l->v),
				    &dup) < 0) {
		free(dup);
		return -1;
	}
	return 0;
}

void policy_strs_free(struct policy_strs *l)
{
	for (size_t i = 0; i < l->n; i++)
		free(l->v[i]);
	free(l->v);
	l->v = NULL;
	l->n = 0;
}

/* ---- applying options ---- */

/* One list item, already split out of the option's value(s). */
static int policy_list_item(const struct policy_opt *d, void *field,
			    const char *item, char *why, size_t whylen)
{
	struct policy_cidr cidr;
	uint8_t mac[6];

	switch (d->kind) {
	case PK_IFNAMES:
		if (!policy_ifname_valid(item))
			goto out_invalid;
		return policy_strs_push(field, item);
	case PK_NAMES:
		return policy_strs_push(field, item);
	case PK_HOSTPORTS:
		if (!policy_hostport_valid(item))
			goto out_invalid;
		return policy_strs_push(field, item);
	case PK_COLLECTORS: {
		struct util_endpoint ep;
		char err[128];

		if (((struct policy_strs *)field)->n >= POLICY_EXPORT_COLLECTORS_MAX) {
			snprintf(why, whylen, "more than %d collectors", POLICY_EXPORT_COLLECTORS_MAX);
			return 1;
		}
		if (util_endpoint_parse(item, 4739, &ep, err, sizeof(err)) < 0) {
			snprintf(why, whylen, "%s", err);
			return 1;
		}
		return policy_strs_push(field, item);
	}
	case PK_CIDRS: {
		struct policy_cidrs *l = field;

		if (policy_parse_cidr(item, &cidr) < 0)
			goto out_invalid;
		return policy_vec_push((void **)&l->v, &l->n, sizeof(cidr),
				       &cidr);
	}
	case PK_MACS: {
		struct policy_macs *l = field;

		if (policy_parse_mac(item, mac) < 0)
			goto out_invalid;
		return policy_vec_push((void **)&l->v, &l->n, sizeof(mac), mac);
	}
	default:
		break;
	}
out_invalid:
	snprintf(why, whylen, "invalid value '%s'", item);
	return 1;
}

static bool policy_kind_is_list(enum policy_kind k)
{
	return k >= PK_IFNAMES;
}

static void policy_apply_list_value(struct policy_load_ctx *c,
				    const struct policy_where *w,
				    const struct policy_opt *d, void *field,
				    const char *value, int line, size_t *count)
{
	char why[POLICY_ERROR_LEN];
	const char *p = value;

	while (*p) {
		size_t len;
		char *item;
		int rc;

		while (isspace((unsigned char)*p))
			p++;
		for (len = 0; p[len] && !isspace((unsigned char)p[len]); len++)
			;
		if (!len)
			break;
		if (++*count > POLICY_LIST_MAX) {
			policy_err(c, line, w, "option '%s': more than %u items",
				   d->name, POLICY_LIST_MAX);
			return;
		}
		item = strndup(p, len);
		rc = item ? policy_list_item(d, field, item, why, sizeof(why)) : -1;
		if (rc > 0)
			policy_err(c, line, w, "option '%s': %s", d->name, why);
		else if (rc < 0)
			policy_err(c, line, w, "out of memory");
		free(item);
		p += len;
	}
}

static int policy_set_string(char **field, const char *v)
{
	char *dup = strdup(v);

	if (!dup)
		return -1;
	free(*field);
	*field = dup;
	return 0;
}

static int policy_scalar_enum(const struct policy_opt *d, void *field,
			      const char *v)
{
	for (size_t i = 0; i < d->n_names; i++) {
		if (d->names[i] && !strcasecmp(v, d->names[i])) {
			*(int *)field = (int)i;
			return 0;
		}
	}
	return 1;
}

static int policy_scalar_sched(const struct policy_opt *d, void *field,
			       const char *v, char *why, size_t whylen)
{
	switch (d->kind) {
	case PK_TIME:
		return sched_parse_time(v, field, why, whylen) ? 2 : 0;
	case PK_DATE:
		return sched_parse_date(v, field, why, whylen) ? 2 : 0;
	case PK_WEEKDAYS:
		return sched_parse_weekdays(field, v, why, whylen) ? 2 : 0;
	default:
		return sched_parse_monthdays(field, v, why, whylen) ? 2 : 0;
	}
}

/*
 * Returns 0, -1 (out of memory), 1 (invalid value, generic message) or
 * 2 (invalid value, reason already in @why).
 */
static int policy_scalar(const struct policy_opt *d, void *field,
			 const char *v, char *why, size_t whylen)
{
	unsigned long n;

	switch (d->kind) {
	case PK_BOOL:
		return policy_parse_bool(v, field) ? 1 : 0;
	case PK_UINT:
		if (policy_parse_ulong(v, d->max, &n) < 0 || n < d->min) {
			snprintf(why, whylen, "'%s' is not a number in %lu..%lu",
				 v, d->min, d->max);
			return 2;
		}
		*(unsigned int *)field = (unsigned int)n;
		return 0;
	case PK_HEX:
		return policy_parse_hex(v, field) ? 1 : 0;
	case PK_ENUM:
		return policy_scalar_enum(d, field, v);
	case PK_STRING:
		return !policy_utf8_valid(v) ? 1 : policy_set_string(field, v);
	case PK_OPTPATH:
		if (!v[0]) {	/* '' turns the feature off, as if never set */
			free(*(char **)field);
			*(char **)field = NULL;
			return 0;
		}
		/* fall through */
	case PK_PATH:
	case PK_SOCKPATH:
		if (v[0] != '/' || (d->kind == PK_SOCKPATH &&
				    strlen(v) > POLICY_SOCKPATH_MAX))
			return 1;
		return policy_set_string(field, v);
	case PK_GROUPNAME:
		return !policy_groupname_valid(v) ? 1 : policy_set_string(field, v);
	case PK_QUEUE:
		return policy_parse_queue(v, field) ? 1 : 0;
	case PK_DSCP:
		return policy_parse_dscp(v, field) ? 1 : 0;
	case PK_CLOCK:
		return policy_parse_clock(v, field, why, whylen) ? 2 : 0;
	case PK_DURATION:
		return policy_parse_duration(v, d->min, d->max, field, why,
					     whylen) ? 2 : 0;
	case PK_VOLUME:
		return policy_parse_volume(v, field, why, whylen) ? 2 : 0;
	default:
		return policy_scalar_sched(d, field, v, why, whylen);
	}
}

static void policy_enum_choices(const struct policy_opt *d, char *buf,
				size_t len)
{
	size_t pos = 0;

	buf[0] = '\0';
	for (size_t i = 0; i < d->n_names && pos < len; i++)
		if (d->names[i])
			pos += (size_t)snprintf(buf + pos, len - pos, "%s%s",
						pos ? ", " : "", d->names[i]);
}

static void policy_apply_scalar(struct policy_load_ctx *c,
				const struct policy_where *w,
				const struct policy_opt *d, void *field,
				const struct uci_opt *o)
{
	char why[POLICY_ERROR_LEN], choices[96];
	int rc;

	if (o->type != UCI_OPT_STRING) {
		policy_err(c, o->line, w, "option '%s' takes one value, "
			   "not a list", d->name);
		return;
	}
	rc = policy_scalar(d, field, o->value, why, sizeof(why));
	if (rc < 0)
		policy_err(c, o->line, w, "out of memory");
	else if (rc == 2)
		policy_err(c, o->line, w, "option '%s': %s", d->name, why);
	else if (rc == 1 && d->kind == PK_ENUM) {
		policy_enum_choices(d, choices, sizeof(choices));
		policy_err(c, o->line, w, "option '%s': invalid value '%s' "
			   "(one of: %s)", d->name, o->value, choices);
	} else if (rc == 1)
		policy_err(c, o->line, w, "option '%s': invalid value '%s'",
			   d->name, o->value);
}

static void policy_apply_opt(struct policy_load_ctx *c,
			     const struct policy_where *w,
			     const struct policy_opt *d, void *base,
			     const struct uci_opt *o)
{
	void *field = (char *)base + d->off;
	size_t count = 0;

	if (!policy_kind_is_list(d->kind)) {
		policy_apply_scalar(c, w, d, field, o);
		return;
	}
	if (o->type == UCI_OPT_STRING) {
		policy_apply_list_value(c, w, d, field, o->value, o->line,
					&count);
		return;
	}
	for (size_t i = 0; i < o->n_items; i++)
		policy_apply_list_value(c, w, d, field, o->items[i], o->line,
					&count);
}

static void policy_apply_opts(struct policy_load_ctx *c,
			      const struct policy_where *w,
			      const struct policy_opt *tbl, size_t n,
			      void *base, const struct uci_sec *s)
{
	for (const struct uci_opt *o = s->opts; o; o = o->next) {
		size_t i;

		for (i = 0; i < n && strcmp(tbl[i].name, o->name); i++)
			;
		if (i == n)
			policy_err(c, o->line, w, "unknown option '%s'", o->name);
		else
			policy_apply_opt(c, w, &tbl[i], base, o);
	}
}

#define POLICY_TABLE(t)	{ t, sizeof(t) / sizeof(t[0]) }

static const struct {
	const struct policy_opt *opts;
	size_t n;
} policy_tables[__POLICY_SEC_MAX] = {
	[POLICY_SEC_MAIN] = POLICY_TABLE(policy_main_opts),
	[POLICY_SEC_RULE] = POLICY_TABLE(policy_rule_opts),
	[POLICY_SEC_CLASS] = POLICY_TABLE(policy_class_opts),
	[POLICY_SEC_DEVICE] = POLICY_TABLE(policy_device_opts),
	[POLICY_SEC_GROUP] = POLICY_TABLE(policy_group_opts),
	[POLICY_SEC_EXPORT] = POLICY_TABLE(policy_export_opts),
};

void policy_apply_section(struct policy_load_ctx *c,
			  const struct policy_where *w,
			  enum policy_section sec, void *obj,
			  const struct uci_sec *s)
{
	policy_apply_opts(c, w, policy_tables[sec].opts, policy_tables[sec].n,
			  obj, s);
}

/* ---- names of values ---- */

const char *policy_action_name(enum policy_action a)
{
	return (unsigned int)a < __POLICY_ACTION_MAX ? policy_actions[a] : "?";
}

const char *policy_limit_per_name(enum policy_limit_per per)
{
	return (unsigned int)per < __POLICY_LIMIT_PER_MAX ?
		policy_limit_pers[per] : "?";
}

const char *policy_log_level_name(int level)
{
	return level >= LOG_ERR && level <= LOG_DEBUG ?
		policy_log_levels[level] : "?";
}

const char *policy_block_mode_name(enum policy_block_mode m)
{
	return (unsigned int)m < __POLICY_BLOCK_MODE_MAX ?
		policy_block_modes[m] : "?";
}

const char *policy_framing_name(enum policy_framing f)
{
	return (unsigned int)f < __POLICY_FRAMING_MAX ?
		policy_framings[f] : "?";
}
