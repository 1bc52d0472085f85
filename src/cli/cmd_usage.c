/* `netify usage`: what each device used of each application, and the daily
 * limits' budgets, from the running daemon (control method "usage",
 * doc/json.md). Tables for people, the reply as is with --json. */
#include "config.h"

#include <getopt.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <yajl/yajl_gen.h>
#include <yajl/yajl_tree.h>

#include "cmd.h"
#include "json.h"

#define USAGE_TOP_SHOWN 10	/* applications per device in the table */

struct usage_opts {
	const char *socket, *device, *app, *category, *from, *to;
	bool json, hours, limits;
};

/* ---- reading the reply ---- */

static yajl_val member(yajl_val obj, const char *key)
{
	if (!YAJL_IS_OBJECT(obj))
		return NULL;
	for (size_t i = 0; i < obj->u.object.len; i++)
		if (!strcmp(obj->u.object.keys[i], key))
			return obj->u.object.values[i];
	return NULL;
}

static long long num(yajl_val obj, const char *key)
{
	yajl_val v = member(obj, key);

	return YAJL_IS_INTEGER(v) ? YAJL_GET_INTEGER(v) : 0;
}

static bool flag(yajl_val obj, const char *key)
{
	return YAJL_IS_TRUE(member(obj, key));
}

/* A string member fit for a terminal: control bytes become '?'. */
static const char *str(yajl_val obj, const char *key, char *buf, size_t len)
{
	yajl_val v = member(obj, key);
	size_t i;

	if (!YAJL_IS_STRING(v) || !v->u.string[0])
		return "-";
	for (i = 0; v->u.string[i] && i + 1 < len; i++)
		buf[i] = (unsigned char)v->u.string[i] < 0x20 || v->u.string[i] == 0x7f ? '?' : v->u.string[i];
	buf[i] = '\0';
	return buf;
}

static yajl_val array(yajl_val obj, const char *key)
{
	yajl_val v = member(obj, key);

	return YAJL_IS_ARRAY(v) ? v : NULL;
}

/* ---- units ---- */

static const char *bytes_h(long long b, char *buf, size_t len)
{
	static const char *const unit[] = { "B", "kB", "MB", "GB", "TB", "PB" };
	double v = (double)b;
	int u = 0;

	while (v >= 1000 && u < 5) {
		v /= 1000;
		u++;
	}
	if (u)
		snprintf(buf, len, "%.1f %s", v, unit[u]);
	else
		snprintf(buf, len, "%lld B", b);
	return buf;
}

static const char *secs_h(long long s, char *buf, size_t len)
{
	long long m = s / 60;

	if (m >= 60)
		snprintf(buf, len, "%lldh%02lldm", m / 60, m % 60);
	else
		snprintf(buf, len, "%lldm", m);
	return buf;
}

static const char *when_h(long long ms, char *buf, size_t len)
{
	time_t t = (time_t)(ms / 1000);
	struct tm tm;

	if (!ms || !localtime_r(&t, &tm) || !strftime(buf, len, "%Y-%m-%d %H:%M", &tm))
		return "-";
	return buf;
}

/* ---- tables ---- */

static void totals_cols(yajl_val t)
{
	char a[32], b[32], c[32];

	printf(" %-8s %-10s %-10s %lld\n", secs_h(num(t, "active_s"), a, sizeof(a)),
	       bytes_h(num(t, "bytes_in"), b, sizeof(b)), bytes_h(num(t, "bytes_out"), c, sizeof(c)),
	       num(t, "conns"));
}

static void device_title(yajl_val dev)
{
	char n[64], m[32];

	if (YAJL_IS_STRING(member(dev, "name")))
		printf("\n%s (%s)\n", str(dev, "name", n, sizeof(n)), str(dev, "mac", m, sizeof(m)));
	else
		printf("\n%s\n", str(dev, "mac", m, sizeof(m)));
}

static long long active_of(yajl_val row)
{
	return num(member(row, "totals"), "active_s");
}

static int by_time(const void *a, const void *b)
{
	long long x = active_of(*(yajl_val const *)a), y = active_of(*(yajl_val const *)b);

	return x < y ? 1 : x > y ? -1 : 0;
}

/* The device's applications by active time; the reply lists them by volume. */
static void device_apps(yajl_val dev)
{
	yajl_val apps = array(dev, "apps"), v[USAGE_TOP_SHOWN];
	size_t n = apps ? apps->u.array.len : 0, shown = n < USAGE_TOP_SHOWN ? n : USAGE_TOP_SHOWN;
	char t[64], b[32];
	yajl_val *all;

	if (!n)
		return;
	if (!(all = malloc(n * sizeof(*all))))
		return;
	memcpy(all, apps->u.array.values, n * sizeof(*all));
	qsort(all, n, sizeof(*all), by_time);
	printf("  %-22s %-8s %-10s %-10s %s\n", "APP (by time)", "ACTIVE", "IN", "OUT", "CONNS");
	for (size_t i = 0; i < shown; i++) {
		printf("  %-22s", str(all[i], "tag", t, sizeof(t)));
		totals_cols(member(all[i], "totals"));
	}
	if (n > shown)
		printf("  ... %zu more\n", n - shown);
	printf("  by volume:");
	for (size_t i = 0; i < shown; i++) {
		v[i] = apps->u.array.values[i];
		printf("%s %s %s", i ? "," : "", str(v[i], "tag", t, sizeof(t)),
		       bytes_h(num(member(v[i], "totals"), "bytes_in") + num(member(v[i], "totals"), "bytes_out"),
			       b, sizeof(b)));
	}
	printf("\n");
	free(all);
}

/* Rows of a series ("days", "hours") with any use; a count of the others. */
static void device_series(yajl_val dev, const char *key, const char *title)
{
	yajl_val s = array(dev, key);
	size_t idle = 0;
	char d[32];

	if (!s)
		return;
	printf("  %-22s %-8s %-10s %-10s %s\n", title, "ACTIVE", "IN", "OUT", "CONNS");
	for (size_t i = 0; i < s->u.array.len; i++) {
		yajl_val row = s->u.array.values[i], t = member(row, "totals");

		if (!num(t, "bytes_in") && !num(t, "bytes_out") && !num(t, "conns")) {
			idle++;
			continue;
		}
		if (member(row, "day"))
			printf("  %-22s", str(row, "day", d, sizeof(d)));
		else
			printf("  %-22s", when_h(num(row, "start"), d, sizeof(d)));
		totals_cols(t);
	}
	if (idle)
		printf("  (%zu %s without use)\n", idle, !strcmp(key, "days") ? "days" : "hours");
}

static void print_limits(yajl_val r)
{
	yajl_val l = array(r, "limits");
	char n[64], dv[64], m[32], a[32], b[32], c[32], d[32], w[32];

	if (!l || !l->u.array.len) {
		printf("\nno daily limits\n");
		return;
	}
	printf("\n%-20s %-24s %-24s %-22s %s\n", "LIMIT", "DEVICE", "USED / LIMIT", "REMAINING", "STATE");
	for (size_t i = 0; i < l->u.array.len; i++) {
		yajl_val x = l->u.array.values[i];
		char used[64] = "", left[64] = "", who[128];
		long long tl = num(x, "time_limit_s"), vl = num(x, "volume_limit");

		if (member(x, "mac") && YAJL_IS_STRING(member(x, "mac")))
			snprintf(who, sizeof(who), "%s %s", str(x, "device", dv, sizeof(dv)), str(x, "mac", m, sizeof(m)));
		else
			snprintf(who, sizeof(who), "%s", !strcmp(str(x, "per", m, sizeof(m)), "rule") ?
				 "all its devices" : "(none yet)");
		if (tl) {
			snprintf(used, sizeof(used), "%s/%s", secs_h(num(x, "used_s"), a, sizeof(a)),
				 secs_h(tl, b, sizeof(b)));
			snprintf(left, sizeof(left), "%s", secs_h(num(x, "remaining_s"), c, sizeof(c)));
		}
		if (vl) {
			size_t u = strlen(used), k = strlen(left);

			snprintf(used + u, sizeof(used) - u, "%s%s/%s", u ? ", " : "",
				 bytes_h(num(x, "used_bytes"), a, sizeof(a)), bytes_h(vl, b, sizeof(b)));
			snprintf(left + k, sizeof(left) - k, "%s%s", k ? ", " : "",
				 bytes_h(num(x, "remaining_bytes"), d, sizeof(d)));
		}
		printf("%-20s %-24s %-24s %-22s ", str(x, "rule", n, sizeof(n)), who, used, left);
		if (flag(x, "reached"))
			printf("reached %s (%s), ", when_h(num(x, "reached_at"), w, sizeof(w)), str(x, "action", a, sizeof(a)));
		else if (flag(x, "warned"))
			printf("warned, ");
		printf("renews %s\n", when_h(num(x, "resets_at"), w, sizeof(w)));
	}
}

static bool limits_only;

static void print_usage_reply(yajl_val r)
{
	yajl_val devs = array(r, "devices");
	char d[32], f[32], t[32], rt[32];

	if (limits_only) {
		print_limits(r);
		return;
	}
	str(r, "from", f, sizeof(f));
	str(r, "to", t, sizeof(t));
	if (strcmp(f, t))
		printf("usage from %s to %s", f, t);
	else
		printf("usage of %s", f);
	printf(" (today is %s; a usage day starts at %s), %zu device%s\n", str(r, "day", d, sizeof(d)),
	       str(r, "reset_time", rt, sizeof(rt)), devs ? devs->u.array.len : 0,
	       devs && devs->u.array.len == 1 ? "" : "s");
	for (size_t i = 0; devs && i < devs->u.array.len; i++) {
		yajl_val dev = devs->u.array.values[i];

		device_title(dev);
		printf("  %-22s", array(dev, "apps") ? "all traffic" : "selected");
		totals_cols(member(dev, "totals"));
		device_apps(dev);
		device_series(dev, "days", "DAY");
		device_series(dev, "hours", "HOUR");
	}
	print_limits(r);
}

/* ---- arguments ---- */

static yajl_val usage_args(const struct usage_opts *o)
{
	yajl_gen g = json_gen_new();
	if (!g)
		return NULL;
	yajl_gen_map_open(g);
	json_kv_str(g, "device", o->device);
	json_kv_str(g, "app", o->app);
	json_kv_str(g, "category", o->category);
	json_kv_str(g, "from", o->from);
	json_kv_str(g, "to", o->to);
	if (o->hours)
		json_kv_bool(g, "hours", 1);
	yajl_gen_map_close(g);
	return json_gen_tree(g);
}

static int usage_help(FILE *f)
{
	fprintf(f, "usage: netify usage [--device D] [--app A | --category C] [--day YYYY-MM-DD | "
		"--since YYYY-MM-DD]\n"
		"                    [--hours] [--limits] [--json] [--socket PATH]\n"
		"Today's usage per device and application (a device is a name of the configuration\n"
		"or a MAC address); --app/--category: its daily history (62 days unless --day/--since);\n"
		"--hours: the last 48 hours too; --limits: only the daily limits' budgets.\n");
	return f == stdout ? 0 : 2;
}

int cmd_usage(int argc, char **argv)
{
	enum { O_DAY = 0x100, O_SINCE, O_HOURS, O_LIMITS, O_JSON, O_SOCKET };
	static const struct option opts[] = {
		{ "device", required_argument, NULL, 'd' }, { "app", required_argument, NULL, 'a' },
		{ "category", required_argument, NULL, 'C' }, { "day", required_argument, NULL, O_DAY },
		{ "since", required_argument, NULL, O_SINCE }, { "hours", no_argument, NULL, O_HOURS },
		{ "limits", no_argument, NULL, O_LIMITS }, { "json", no_argument, NULL, 'j' },
		{ "socket", required_argument, NULL, 's' }, { "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	struct usage_opts o = { 0 };
	yajl_val args;
	int c, r;

	optind = 1;
	while ((c = getopt_long(argc, argv, "d:a:C:js:h", opts, NULL)) != -1) {
		switch (c) {
		case 'd': o.device = optarg; break;
		case 'a': o.app = optarg; break;
		case 'C': o.category = optarg; break;
		case O_DAY: o.from = o.to = optarg; break;
		case O_SINCE: o.from = optarg; o.to = NULL; break;
		case O_HOURS: o.hours = true; break;
		case O_LIMITS: o.limits = true; break;
		case 'j': o.json = true; break;
		case 's': o.socket = optarg; break;
		case 'h': return usage_help(stdout);
		default: return usage_help(stderr);
		}
	}
	if (optind != argc || (o.app && o.category))
		return usage_help(stderr);
	limits_only = o.limits;
	if (!(args = usage_args(&o))) {
		fprintf(stderr, "netify: out of memory\n");
		return 1;
	}
	r = ctl_command(o.socket, o.json, "usage", args, print_usage_reply);
	yajl_tree_free(args);
	return r;
}
