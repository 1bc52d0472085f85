/*
 * policy.c - load /etc/config/netify into an immutable struct policy and
 * match flows against its rules (semantics in policy.h).
 *
 * Loading is table driven: each section type has a static array of option
 * name -> value kind -> field offset (as libubox's blobmsg_policy), one
 * parser per kind, and a resolve pass for what spans sections (classes,
 * devices, groups, names from the app catalog and nDPI).  Errors never stop
 * the load early: every problem in the file is reported in one go, then the
 * half-built policy is thrown away.
 */
#define _GNU_SOURCE	/* asprintf */
#include <arpa/inet.h>
#include <ctype.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <syslog.h>

#include "policy.h"
#include "uci.h"
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
	/* lists: `list x` items or `option x 'a b'`, split on white space */
	PK_IFNAMES,
	PK_NAMES,	/* resolved later: apps, devices, ... */
	PK_CIDRS,
	PK_MACS,
	PK_HOSTPORTS,
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
	OPT_U(M, "dns_ttl_min", dns_ttl_min, 0, 2592000),
	OPT_U(M, "dns_ttl_max", dns_ttl_max, 1, 2592000),
	OPT_E(M, "log_level", log_level, policy_log_levels),
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

static bool policy_utf8_valid(const char *s)
{
	const unsigned char *p = (const unsigned char *)s;
	unsigned int n;

	for (; *p; p += n)
		if (!(n = (unsigned int)util_utf8_seq(p, 4)))	/* the NUL ends a short one */
			return false;
	return true;
}

/* Messages quote the user's bytes and end up in JSON: keep them UTF-8. */
static void policy_utf8_scrub(char *s)
{
	unsigned char *p = (unsigned char *)s;
	unsigned int n;

	for (; *p; p += n) {
		n = (unsigned int)util_utf8_seq(p, 4);
		if (!n) {
			*p = '?';
			n = 1;
		}
	}
}

struct policy_load_ctx {
	struct policy *p;
	const struct policy_names *names;
	struct policy_errors *errs;
	const char *file;
	bool failed;
};

/* The section an error is about: "rule 'x'", "class 'bulk'", "main". */
struct policy_where {
	char label[128];
	int line;
};

static void policy_verr(struct policy_load_ctx *c, int line,
			const struct policy_where *w, const char *fmt,
			va_list ap)
{
	struct policy_errors *e = c->errs;
	char msg[POLICY_ERROR_LEN];
	int n;

	c->failed = true;
	if (!e)
		return;
	if (e->count >= POLICY_ERRORS_MAX) {
		e->dropped++;
		return;
	}
	vsnprintf(msg, sizeof(msg), fmt, ap);
	/* line 0: about the file as a whole (unreadable, out of memory) */
	n = line ? snprintf(e->msg[e->count], POLICY_ERROR_LEN, "%s:%d: ",
			    c->file, line) :
		   snprintf(e->msg[e->count], POLICY_ERROR_LEN, "%s: ", c->file);
	if (w && n >= 0 && (size_t)n < POLICY_ERROR_LEN)
		n += snprintf(e->msg[e->count] + n, POLICY_ERROR_LEN - (size_t)n,
			      "%s: ", w->label);
	if (n >= 0 && (size_t)n < POLICY_ERROR_LEN)
		snprintf(e->msg[e->count] + n, POLICY_ERROR_LEN - (size_t)n,
			 "%s", msg);
	policy_utf8_scrub(e->msg[e->count]);
	e->count++;
}

static void policy_err(struct policy_load_ctx *c, int line,
		       const struct policy_where *w, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));

static void policy_err(struct policy_load_ctx *c, int line,
		       const struct policy_where *w, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	policy_verr(c, line, w, fmt, ap);
	va_end(ap);
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

static int policy_vec_push(void **v, size_t *n, size_t elem, const void *item)
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

static void policy_strs_free(struct policy_strs *l)
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

static void policy_apply_section(struct policy_load_ctx *c,
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

/* ---- sections ---- */

#define POLICY_TABLE(t)	t, sizeof(t) / sizeof(t[0])

static int policy_main_defaults(struct policy_main *m)
{
	memset(m, 0, sizeof(*m));
	m->enabled = true;
	m->packet_budget = 32;
	m->fail_open = true;
	m->mark_mask = 0x00ff0000;
	m->block_mode = POLICY_BLOCK_REJECT;
	m->block_timeout = 300;
	m->monitor_framing = POLICY_FRAMING_NDJSON;
	m->status_interval = 10;
	m->flow_table_size = 65536;
	m->dns_cache_size = 16384;
	m->dns_ttl_min = 60;
	m->dns_ttl_max = 86400;
	m->capture_unknown_max_files = 100;
	m->capture_unknown_max_bytes = 65536;
	m->log_level = LOG_NOTICE;
	m->monitor_socket = strdup("/var/run/netify/netify.sock");
	m->monitor_group = strdup("netify");
	m->control_socket = strdup("/var/run/netify/control.sock");
	m->apps_dir = strdup("/etc/netify/apps.d");
	if (!m->monitor_socket || !m->monitor_group || !m->control_socket ||
	    !m->apps_dir)
		return -1;
	return 0;
}

static void policy_load_main(struct policy_load_ctx *c,
			     const struct uci_sec *s, int *seen)
{
	struct policy_where w = { "main", s->line };

	if (s->name && strcmp(s->name, "main"))
		snprintf(w.label, sizeof(w.label), "netify '%s'", s->name);
	if (++*seen > 1) {
		policy_err(c, s->line, &w, "only one 'config netify' "
			   "section is allowed");
		return;
	}
	policy_apply_section(c, &w, POLICY_TABLE(policy_main_opts),
			     &c->p->main, s);
}

static void policy_load_rule(struct policy_load_ctx *c,
			     const struct uci_sec *s)
{
	struct policy_rule *r = &c->p->rules[c->p->n_rules];
	const char *name = uci_get_str(s, "name", s->name);
	struct policy_where w;
	int rc;

	r->index = (int)c->p->n_rules++;
	r->line = s->line;
	r->enabled = true;
	r->action = __POLICY_ACTION_MAX;
	sched_init(&r->sched);
	/* the name shown in messages, `check` and flow records */
	if (name)
		rc = asprintf(&r->name, "%s", name);
	else
		rc = asprintf(&r->name, "@rule[%d]", s->anon_index);
	if (rc < 0)
		r->name = NULL;
	snprintf(w.label, sizeof(w.label), "rule '%s'", r->name ? r->name : "");
	w.line = s->line;
	policy_apply_section(c, &w, POLICY_TABLE(policy_rule_opts), r, s);
	if (!r->name)
		policy_err(c, s->line, &w, "out of memory");
	if (!uci_opt_get(s, "action"))
		policy_err(c, s->line, &w, "option 'action' is required "
			   "(allow, block, qos or log)");
}

/* Sections named by their section name: class, device, group. */
static bool policy_named(struct policy_load_ctx *c, const struct uci_sec *s,
			 struct policy_where *w, char **name)
{
	snprintf(w->label, sizeof(w->label), "%s '%s'", s->type,
		 s->name ? s->name : "");
	w->line = s->line;
	if (!s->name) {
		snprintf(w->label, sizeof(w->label), "%s @%s[%d]", s->type,
			 s->type, s->anon_index);
		policy_err(c, s->line, w, "a %s section needs a name "
			   "(config %s 'NAME')", s->type, s->type);
		return false;
	}
	*name = strdup(s->name);
	if (!*name)
		policy_err(c, s->line, w, "out of memory");
	return *name != NULL;
}

static void policy_load_class(struct policy_load_ctx *c,
			      const struct uci_sec *s)
{
	struct policy_class *k = &c->p->classes[c->p->n_classes];
	struct policy_where w;

	if (!policy_named(c, s, &w, &k->name))
		return;
	c->p->n_classes++;
	k->line = s->line;
	k->dscp = -1;
	k->priority = -1;
	policy_apply_section(c, &w, POLICY_TABLE(policy_class_opts), k, s);
	if (!uci_opt_get(s, "mark"))
		policy_err(c, s->line, &w, "option 'mark' is required "
			   "(1..%u)", POLICY_CLASS_MARK_MAX);
}

static void policy_load_device(struct policy_load_ctx *c,
			       const struct uci_sec *s)
{
	struct policy_device *d = &c->p->devices[c->p->n_devices];
	struct policy_where w;

	if (!policy_named(c, s, &w, &d->name))
		return;
	c->p->n_devices++;
	d->line = s->line;
	policy_apply_section(c, &w, POLICY_TABLE(policy_device_opts), d, s);
	if (!uci_opt_get(s, "mac") && !uci_opt_get(s, "ip"))
		policy_err(c, s->line, &w, "a device needs at least one "
			   "'mac' or 'ip'");
}

static void policy_load_group(struct policy_load_ctx *c,
			      const struct uci_sec *s)
{
	struct policy_group *g = &c->p->groups[c->p->n_groups];
	struct policy_where w;

	if (!policy_named(c, s, &w, &g->name))
		return;
	c->p->n_groups++;
	g->line = s->line;
	policy_apply_section(c, &w, POLICY_TABLE(policy_group_opts), g, s);
	if (!uci_opt_get(s, "device"))
		policy_err(c, s->line, &w, "a group needs at least one "
			   "'device'");
}

static const char *const policy_section_types[] = {
	"netify", "rule", "class", "device", "group",
};

static int policy_alloc_sections(struct policy_load_ctx *c,
				 const struct uci_pkg *pkg)
{
	size_t n[5] = { 0 };

	for (const struct uci_sec *s = pkg->secs; s; s = s->next)
		for (size_t t = 1; t < 5; t++)
			n[t] += !strcmp(s->type, policy_section_types[t]);
	if (n[1] > POLICY_RULES_MAX || n[2] > POLICY_OBJECTS_MAX ||
	    n[3] > POLICY_OBJECTS_MAX || n[4] > POLICY_OBJECTS_MAX) {
		policy_err(c, 1, NULL, "too many sections (at most %u rules "
			   "and %u of each other type)", POLICY_RULES_MAX,
			   POLICY_OBJECTS_MAX);
		return -1;
	}
	c->p->rules = calloc(n[1] + 1, sizeof(*c->p->rules));
	c->p->classes = calloc(n[2] + 1, sizeof(*c->p->classes));
	c->p->devices = calloc(n[3] + 1, sizeof(*c->p->devices));
	c->p->groups = calloc(n[4] + 1, sizeof(*c->p->groups));
	if (!c->p->rules || !c->p->classes || !c->p->devices || !c->p->groups) {
		policy_err(c, 0, NULL, "out of memory");
		return -1;
	}
	return 0;
}

static void policy_load_sections(struct policy_load_ctx *c,
				 const struct uci_pkg *pkg)
{
	int seen_main = 0;

	for (const struct uci_sec *s = pkg->secs; s; s = s->next) {
		if (!strcmp(s->type, "netify"))
			policy_load_main(c, s, &seen_main);
		else if (!strcmp(s->type, "rule"))
			policy_load_rule(c, s);
		else if (!strcmp(s->type, "class"))
			policy_load_class(c, s);
		else if (!strcmp(s->type, "device"))
			policy_load_device(c, s);
		else if (!strcmp(s->type, "group"))
			policy_load_group(c, s);
		else
			policy_err(c, s->line, NULL, "unknown section type "
				   "'%s' (netify, rule, class, device or "
				   "group)", s->type);
	}
}

/* ---- cross-section checks and name resolution ---- */

static const struct policy_class *policy_find_class(const struct policy *p,
						    const char *name)
{
	for (size_t i = 0; i < p->n_classes; i++)
		if (!strcmp(p->classes[i].name, name))
			return &p->classes[i];
	return NULL;
}

static const struct policy_device *policy_find_device(const struct policy *p,
						      const char *name)
{
	for (size_t i = 0; i < p->n_devices; i++)
		if (!strcmp(p->devices[i].name, name))
			return &p->devices[i];
	return NULL;
}

static const struct policy_group *policy_find_group(const struct policy *p,
						    const char *name)
{
	for (size_t i = 0; i < p->n_groups; i++)
		if (!strcmp(p->groups[i].name, name))
			return &p->groups[i];
	return NULL;
}

static void policy_check_main(struct policy_load_ctx *c)
{
	const struct policy_main *m = &c->p->main;
	uint32_t mask = m->mark_mask;
	struct policy_where w = { "main", 0 };

	if (m->dns_ttl_min > m->dns_ttl_max)
		policy_err(c, 1, &w, "dns_ttl_min (%u) is above dns_ttl_max "
			   "(%u)", m->dns_ttl_min, m->dns_ttl_max);
	/* the daemon shifts values into the mask: it must be one run of bits */
	if (!mask || ((mask >> __builtin_ctz(mask)) &
		      ((mask >> __builtin_ctz(mask)) + 1)))
		policy_err(c, 1, &w, "mark_mask 0x%08x must be one contiguous, "
			   "non-zero run of bits", mask);
	for (size_t i = 0; mask && i < c->p->n_classes; i++) {
		const struct policy_class *k = &c->p->classes[i];

		if ((uint64_t)k->mark > (mask >> __builtin_ctz(mask)))
			policy_err(c, k->line, NULL, "class '%s': mark %u does "
				   "not fit in mark_mask 0x%08x", k->name,
				   k->mark, mask);
	}
}

static void policy_check_groups(struct policy_load_ctx *c)
{
	for (size_t i = 0; i < c->p->n_groups; i++) {
		const struct policy_group *g = &c->p->groups[i];

		for (size_t j = 0; j < g->devices.n; j++)
			if (!policy_find_device(c->p, g->devices.v[j]))
				policy_err(c, g->line, NULL, "group '%s': "
					   "unknown device '%s'", g->name,
					   g->devices.v[j]);
	}
}

static int policy_add_device(struct policy_rule *r,
			     const struct policy_device *d)
{
	for (size_t i = 0; i < d->macs.n; i++)
		if (policy_vec_push((void **)&r->mac_set.v, &r->mac_set.n, 6,
				    d->macs.v[i]) < 0)
			return -1;
	for (size_t i = 0; i < d->ips.n; i++)
		if (policy_vec_push((void **)&r->ip_set.v, &r->ip_set.n,
				    sizeof(d->ips.v[i]), &d->ips.v[i]) < 0)
			return -1;
	return 0;
}

static int policy_add_group(const struct policy *p, struct policy_rule *r,
			    const struct policy_group *g)
{
	for (size_t i = 0; i < g->devices.n; i++) {
		const struct policy_device *d =
			policy_find_device(p, g->devices.v[i]);

		if (d && policy_add_device(r, d) < 0)
			return -1;
	}
	return 0;
}

static int policy_copy_source(struct policy_rule *r)
{
	for (size_t i = 0; i < r->src_mac.n; i++)
		if (policy_vec_push((void **)&r->mac_set.v, &r->mac_set.n, 6,
				    r->src_mac.v[i]) < 0)
			return -1;
	for (size_t i = 0; i < r->src_ip.n; i++)
		if (policy_vec_push((void **)&r->ip_set.v, &r->ip_set.n,
				    sizeof(r->src_ip.v[i]), &r->src_ip.v[i]) < 0)
			return -1;
	return 0;
}

static void policy_resolve_source(struct policy_load_ctx *c,
				  struct policy_rule *r)
{
	int rc = policy_copy_source(r);

	for (size_t i = 0; rc == 0 && i < r->device.n; i++) {
		const struct policy_device *d =
			policy_find_device(c->p, r->device.v[i]);

		if (!d)
			policy_err(c, r->line, NULL, "rule '%s': unknown "
				   "device '%s'", r->name, r->device.v[i]);
		else
			rc = policy_add_device(r, d);
	}
	for (size_t i = 0; rc == 0 && i < r->group.n; i++) {
		const struct policy_group *g =
			policy_find_group(c->p, r->group.v[i]);

		if (!g)
			policy_err(c, r->line, NULL, "rule '%s': unknown "
				   "group '%s'", r->name, r->group.v[i]);
		else
			rc = policy_add_group(c->p, r, g);
	}
	if (rc < 0)
		policy_err(c, r->line, NULL, "out of memory");
}

static void policy_resolve_ids(struct policy_load_ctx *c,
			       struct policy_rule *r,
			       const struct policy_strs *names,
			       struct policy_ids *ids,
			       int (*lookup)(void *, const char *),
			       const char *what)
{
	for (size_t i = 0; i < names->n; i++) {
		int id = lookup ? lookup(c->names->ctx, names->v[i]) : -1;

		if (id < 0) {
			policy_err(c, r->line, NULL, "rule '%s': unknown %s "
				   "'%s'", r->name, what, names->v[i]);
			continue;
		}
		if (policy_vec_push((void **)&ids->v, &ids->n, sizeof(id),
				    &id) < 0)
			policy_err(c, r->line, NULL, "out of memory");
	}
}

static void policy_resolve_class(struct policy_load_ctx *c,
				 struct policy_rule *r)
{
	if (r->action == POLICY_QOS && !r->class_name) {
		policy_err(c, r->line, NULL, "rule '%s': action 'qos' needs "
			   "option 'class'", r->name);
	} else if (r->action != POLICY_QOS && r->class_name &&
		   r->action != __POLICY_ACTION_MAX) {
		policy_err(c, r->line, NULL, "rule '%s': option 'class' is "
			   "only valid with action 'qos'", r->name);
	} else if (r->class_name) {
		r->class = policy_find_class(c->p, r->class_name);
		if (!r->class)
			policy_err(c, r->line, NULL, "rule '%s': unknown "
				   "class '%s'", r->name, r->class_name);
	}
}

static void policy_resolve_rules(struct policy_load_ctx *c)
{
	static const struct policy_names none;
	const struct policy_names *n = c->names ? c->names : &none;

	c->names = n;
	for (size_t i = 0; i < c->p->n_rules; i++) {
		struct policy_rule *r = &c->p->rules[i];

		if (!r->name)
			continue;
		policy_resolve_class(c, r);
		policy_resolve_source(c, r);
		policy_resolve_ids(c, r, &r->app, &r->app_ids, n->app_id,
				   "application");
		policy_resolve_ids(c, r, &r->category, &r->category_ids,
				   n->category_id, "category");
		policy_resolve_ids(c, r, &r->proto, &r->proto_ids,
				   n->proto_id, "protocol");
	}
}

/* ---- load / free ---- */

static struct policy *policy_build(struct policy_load_ctx *c,
				   const struct uci_pkg *pkg)
{
	c->p = calloc(1, sizeof(*c->p));
	if (!c->p || !(c->p->file = strdup(c->file)) ||
	    policy_main_defaults(&c->p->main) < 0) {
		policy_err(c, 0, NULL, "out of memory");
		goto out_free;
	}
	if (policy_alloc_sections(c, pkg) < 0)
		goto out_free;
	policy_load_sections(c, pkg);
	policy_check_main(c);
	policy_check_groups(c);
	policy_resolve_rules(c);
	if (c->failed)
		goto out_free;
	return c->p;

out_free:
	policy_free(c->p);
	return NULL;
}

static void policy_uci_error(struct policy_load_ctx *c,
			     const struct uci_err *ue)
{
	char buf[POLICY_ERROR_LEN];

	uci_err_format(ue, buf, sizeof(buf));
	c->failed = true;
	if (c->errs && c->errs->count < POLICY_ERRORS_MAX)
		snprintf(c->errs->msg[c->errs->count++], POLICY_ERROR_LEN,
			 "%s", buf);
	if (c->errs && c->errs->count)
		policy_utf8_scrub(c->errs->msg[c->errs->count - 1]);
}

static struct policy *policy_load_pkg(struct policy_load_ctx *c, int rc,
				      struct uci_pkg *pkg,
				      const struct uci_err *ue)
{
	struct policy *p;

	if (rc < 0) {
		policy_uci_error(c, ue);
		return NULL;
	}
	p = policy_build(c, pkg);
	uci_pkg_free(pkg);
	return p;
}

/*
 * Reads the file itself rather than uci_parse_file(), whose package name
 * is the file's basename: `netify check -c /tmp/netify.new` must check
 * the file as package netify, whatever it is called.
 */
char *policy_read_file(const char *path, size_t *len, char *why,
			      size_t whylen)
{
	FILE *f = fopen(path, "r");
	char *buf = NULL;
	size_t n = 0;

	if (!f)
		goto out_errno;
	buf = malloc(UCI_MAX_FILE_SIZE + 1);
	if (!buf)
		goto out_errno;
	n = fread(buf, 1, UCI_MAX_FILE_SIZE + 1, f);
	if (ferror(f))
		goto out_errno;
	if (n > UCI_MAX_FILE_SIZE) {
		snprintf(why, whylen, "file larger than %u bytes",
			 UCI_MAX_FILE_SIZE);
		goto out_free;
	}
	fclose(f);
	*len = n;
	return buf;

out_errno:
	snprintf(why, whylen, "%s", strerror(errno));
out_free:
	free(buf);
	if (f)
		fclose(f);
	return NULL;
}

struct policy *policy_load(const char *path, const struct policy_names *names,
			   struct policy_errors *errs)
{
	struct policy_load_ctx c = { NULL, names, errs, path, false };
	struct policy *p;
	char why[128];
	size_t len = 0;
	char *buf;

	if (errs)
		memset(errs, 0, sizeof(*errs));
	buf = policy_read_file(path, &len, why, sizeof(why));
	if (!buf) {
		policy_err(&c, 0, NULL, "cannot read: %s", why);
		return NULL;
	}
	p = policy_load_buf(path, buf, len, names, errs);
	free(buf);
	return p;
}

struct policy *policy_load_buf(const char *file, const char *buf, size_t len,
			       const struct policy_names *names,
			       struct policy_errors *errs)
{
	struct policy_load_ctx c = { NULL, names, errs, file, false };
	struct uci_pkg *pkg = NULL;
	struct uci_err ue;
	int rc;

	if (errs)
		memset(errs, 0, sizeof(*errs));
	memset(&ue, 0, sizeof(ue));
	rc = uci_parse_buf(file, "netify", buf, len, &pkg, &ue);
	return policy_load_pkg(&c, rc, pkg, &ue);
}

static void policy_main_free(struct policy_main *m)
{
	policy_strs_free(&m->lan_interface);
	policy_strs_free(&m->wan_interface);
	policy_strs_free(&m->monitor_tcp);
	free(m->lan_network.v);
	free(m->wan_network.v);
	free(m->monitor_socket);
	free(m->monitor_group);
	free(m->control_socket);
	free(m->apps_dir);
	free(m->json_save_dir);
	free(m->capture_unknown_dir);
}

static void policy_rule_free(struct policy_rule *r)
{
	free(r->name);
	free(r->class_name);
	policy_strs_free(&r->src_iface);
	policy_strs_free(&r->device);
	policy_strs_free(&r->group);
	policy_strs_free(&r->app);
	policy_strs_free(&r->category);
	policy_strs_free(&r->proto);
	free(r->src_mac.v);
	free(r->src_ip.v);
	free(r->mac_set.v);
	free(r->ip_set.v);
	free(r->app_ids.v);
	free(r->category_ids.v);
	free(r->proto_ids.v);
}

static void policy_objects_free(struct policy *p)
{
	for (size_t i = 0; i < p->n_classes; i++) {
		free(p->classes[i].name);
		free(p->classes[i].label);
	}
	for (size_t i = 0; i < p->n_devices; i++) {
		free(p->devices[i].name);
		free(p->devices[i].label);
		free(p->devices[i].macs.v);
		free(p->devices[i].ips.v);
	}
	for (size_t i = 0; i < p->n_groups; i++) {
		free(p->groups[i].name);
		free(p->groups[i].label);
		policy_strs_free(&p->groups[i].devices);
	}
}

void policy_free(struct policy *p)
{
	if (!p)
		return;
	/* rules past n_rules and unnamed objects were never filled */
	for (size_t i = 0; p->rules && i < p->n_rules; i++)
		policy_rule_free(&p->rules[i]);
	policy_objects_free(p);
	policy_main_free(&p->main);
	free(p->rules);
	free(p->classes);
	free(p->devices);
	free(p->groups);
	free(p->file);
	free(p);
}

/* ---- matching ---- */

void policy_input_init(struct policy_input *in)
{
	memset(in, 0, sizeof(*in));
	in->app_id = in->app_master_id = in->app_ndpi_id = in->category_id = -1;
	in->proto_id = in->proto_master_id = in->proto_ip_id = -1;
}

static bool policy_cidr_contains(const struct policy_cidr *c,
				 const uint8_t *addr)
{
	unsigned int full = c->prefix / 8, rest = c->prefix % 8;

	if (memcmp(c->addr, addr, full))
		return false;
	return !rest || !((c->addr[full] ^ addr[full]) &
			  (uint8_t)(0xff << (8 - rest)));
}

static bool policy_source_ok(const struct policy_rule *r,
			     const struct policy_input *in)
{
	bool hit = false;

	if (r->src_iface.n) {
		size_t i;

		for (i = 0; in->ifname && i < r->src_iface.n &&
			    strcmp(r->src_iface.v[i], in->ifname); i++)
			;
		if (!in->ifname || i == r->src_iface.n)
			return false;
	}
	if (!r->mac_set.n && !r->ip_set.n)
		return true;
	for (size_t i = 0; in->has_mac && !hit && i < r->mac_set.n; i++)
		hit = !memcmp(r->mac_set.v[i], in->mac, 6);
	for (size_t i = 0; in->family && !hit && i < r->ip_set.n; i++)
		hit = r->ip_set.v[i].family == in->family &&
		      policy_cidr_contains(&r->ip_set.v[i], in->addr);
	return hit;
}

static bool policy_id_in(const struct policy_ids *ids, int id)
{
	for (size_t i = 0; id >= 0 && i < ids->n; i++)
		if (ids->v[i] == id)
			return true;
	return false;
}

static bool policy_traffic_ok(const struct policy_rule *r,
			      const struct policy_input *in)
{
	if (!r->app_ids.n && !r->category_ids.n && !r->proto_ids.n)
		return true;
	return policy_id_in(&r->app_ids, in->app_id) ||
	       policy_id_in(&r->app_ids, in->app_master_id) ||
	       policy_id_in(&r->app_ids, in->app_ndpi_id) ||
	       policy_id_in(&r->category_ids, in->category_id) ||
	       policy_id_in(&r->proto_ids, in->proto_id) ||
	       policy_id_in(&r->proto_ids, in->proto_master_id) ||
	       policy_id_in(&r->proto_ids, in->proto_ip_id);
}

bool policy_rule_active(const struct policy_rule *r, time_t now)
{
	return r->enabled && sched_active(&r->sched, now);
}

const struct policy_rule *policy_match_ex(const struct policy *p,
					  const struct policy_input *in,
					  time_t now, unsigned int flags,
					  int *index,
					  const struct policy_rule **logged,
					  size_t max_logged, size_t *n_logged)
{
	size_t nlog = 0;

	if (index)
		*index = -1;
	for (size_t i = 0; i < p->n_rules; i++) {
		const struct policy_rule *r = &p->rules[i];

		/* cheapest test first: most rules name an app or protocol */
		if (!r->enabled || !policy_traffic_ok(r, in) ||
		    !policy_source_ok(r, in))
			continue;
		if (!(flags & POLICY_MATCH_IGNORE_SCHEDULE) &&
		    !sched_active(&r->sched, now))
			continue;
		if (r->action == POLICY_LOG) {
			if (logged && nlog < max_logged)
				logged[nlog] = r;
			nlog++;
			continue;
		}
		if (index)
			*index = (int)i;
		if (n_logged)
			*n_logged = nlog;
		return r;
	}
	if (n_logged)
		*n_logged = nlog;
	return NULL;
}

const struct policy_rule *policy_match(const struct policy *p,
				       const struct policy_input *in,
				       time_t now, int *index)
{
	return policy_match_ex(p, in, now, 0, index, NULL, 0, NULL);
}

const char *policy_rule_name(const struct policy_rule *r)
{
	return r->name;
}

enum policy_action policy_rule_action(const struct policy_rule *r)
{
	return r->action;
}

const struct policy_class *policy_rule_class(const struct policy_rule *r)
{
	return r->class;
}

const char *policy_action_name(enum policy_action a)
{
	return (unsigned int)a < __POLICY_ACTION_MAX ? policy_actions[a] : "?";
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
