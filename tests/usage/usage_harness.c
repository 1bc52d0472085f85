/* Runs the usage accounting service against the real kernel, for
 * tests/usage/kernel_usage.sh: the daemon's part (flow notes, limits) is
 * played from stdin, one command per line; run it inside the router
 * namespace.
 *
 *   flow PROTO SRC SPORT DST DPORT MAC APP CAT [LIMIT...]
 *        a flow decided (PROTO tcp|udp; the device is SRC's)
 *   limit NAME TIME_MIN VOLUME WARN_PCT PER_DEVICE
 *        one limit of the next "configure"
 *   configure
 *   report MAC KIND ID      KIND app|category|all: today's figures
 *   blocked NAME MAC        is the budget spent now
 *   stats | save | quit
 *
 * Output lines: "ready", "REPORT ...", "BLOCKED 0|1", "EVENT <warn|reached|
 * reset> name=N by=B used_min=M used_bytes=B ms=<wall clock ms>", "STATS ...".
 * Marks as netify's defaults: released 0x10000, blocked 0x20000, its bits
 * 0x3f0000; a spent budget's connections get the blocked bit.
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "policy.h"
#include "util.h"
#include "usage.h"

static const char *const evnames[] = { "warn", "reached", "reset" };

static void on_limit(void *ctx, enum ulimit_event ev, const struct ulimit_status *st)
{
	(void)ctx;
	printf("EVENT %s name=%s by=%u used_min=%u used_bytes=%llu ms=%llu\n", evnames[ev], st->name, st->by,
	       st->used_min, (unsigned long long)st->used_bytes, (unsigned long long)util_wall_ms());
	fflush(stdout);
}

static int parse_addr(const char *s, struct ct_tuple *t, uint8_t *dst)
{
	if (inet_pton(AF_INET, s, dst) == 1) {
		t->family = 4;
		return 0;
	}
	if (inet_pton(AF_INET6, s, dst) == 1) {
		t->family = 6;
		return 0;
	}
	return -1;
}

static int cmd_flow(struct usage *u, char *args, uint64_t id)
{
	char proto[8], src[64], dst[64], mac[32], lim[USAGE_FLOW_LIMITS][ULIMIT_NAME_MAX];
	unsigned int sport, dport;
	int app, cat, n;
	struct usage_flow f;

	memset(&f, 0, sizeof(f));
	n = sscanf(args, "%7s %63s %u %63s %u %31s %d %d %63s %63s %63s %63s", proto, src, &sport, dst, &dport, mac,
		   &app, &cat, lim[0], lim[1], lim[2], lim[3]);
	if (n < 8 || parse_addr(src, &f.tuple, f.tuple.src) < 0 || parse_addr(dst, &f.tuple, f.tuple.dst) < 0 ||
	    policy_parse_mac(mac, f.mac) < 0)
		return -1;
	f.tuple.proto = !strcmp(proto, "udp") ? IPPROTO_UDP : IPPROTO_TCP;
	f.tuple.sport = (uint16_t)sport;
	f.tuple.dport = (uint16_t)dport;
	f.flow_id = id;
	f.local_is_src = 1;
	f.app = app;
	f.category = cat;
	f.rule = -1;
	for (int i = 8; i < n; i++)
		f.limits[f.n_limits++] = ulimit_key(lim[i - 8]);
	return usage_flow_note(u, &f);
}

static void cmd_report(struct usage *u, char *args)
{
	char mac[32], kind[16];
	uint8_t m[6];
	int id;
	struct usage_totals t;
	int32_t day;
	enum usage_kind k;

	if (sscanf(args, "%31s %15s %d", mac, kind, &id) != 3 || policy_parse_mac(mac, m) < 0) {
		printf("ERROR report\n");
		return;
	}
	k = !strcmp(kind, "category") ? USAGE_CATEGORY : !strcmp(kind, "all") ? USAGE_ALL : USAGE_APP;
	memset(&t, 0, sizeof(t));
	usage_lock(u);
	day = usagedb_day(usage_db(u), usage_now(u));
	usagedb_range(usage_db(u), m, k, id, day, day, &t);
	usage_unlock(u);
	printf("REPORT %s %s %d in=%llu out=%llu conns=%llu minutes=%u\n", mac, kind, id,
	       (unsigned long long)t.bytes_in, (unsigned long long)t.bytes_out, (unsigned long long)t.conns,
	       t.minutes);
}

static void cmd_stats(struct usage *u)
{
	struct usage_stats st;

	usage_stats(u, &st);
	printf("STATS notes=%llu dropped=%llu readings=%llu destroys=%llu boundaries=%llu late=%llu "
	       "dump_errors=%llu last_dump_us=%u refreshes=%llu cuts=%llu cut_errors=%llu blocked_bytes=%llu "
	       "unmapped_bytes=%llu conns=%u lost=%llu saves=%llu\n",
	       (unsigned long long)st.notes, (unsigned long long)st.notes_dropped,
	       (unsigned long long)st.readings, (unsigned long long)st.destroys,
	       (unsigned long long)st.boundaries, (unsigned long long)st.boundaries_late,
	       (unsigned long long)st.dump_errors, st.last_dump_us, (unsigned long long)st.refreshes,
	       (unsigned long long)st.cuts, (unsigned long long)st.cut_errors,
	       (unsigned long long)st.blocked_bytes, (unsigned long long)st.unmapped_bytes, st.conns.entries,
	       (unsigned long long)st.conns.lost, (unsigned long long)st.saves);
}

int main(int argc, char **argv)
{
	struct usage_opts o = { .kernel = true, .acct_sysctl = true, .event_mask = 0x003f0000,
				.dump_mark = 0x10000, .dump_mask = 0x10000, .cut_mark = 0x20000,
				.cut_mask = 0x003f0000, .refresh_s = 1, .on_limit = on_limit };
	struct ulimit_def defs[8];
	char names[8][ULIMIT_NAME_MAX];
	size_t n_defs = 0;
	char line[512];
	uint64_t id = 1;
	struct usage *u;

	for (int i = 1; i + 1 < argc; i += 2)
		if (!strcmp(argv[i], "--state"))
			o.state_dir = argv[i + 1];
		else if (!strcmp(argv[i], "--refresh"))
			o.refresh_s = (unsigned int)atoi(argv[i + 1]);
	setvbuf(stdout, NULL, _IOLBF, 0);
	if (!(u = usage_new(&o)) || usage_start(u) < 0) {
		perror("usage_new");
		return 1;
	}
	printf("ready\n");
	while (fgets(line, sizeof(line), stdin)) {
		line[strcspn(line, "\n")] = 0;
		if (!strncmp(line, "flow ", 5)) {
			if (cmd_flow(u, line + 5, id++) < 0)
				printf("ERROR flow %s\n", line + 5);
		} else if (!strncmp(line, "limit ", 6) && n_defs < 8) {
			struct ulimit_def *d = &defs[n_defs];
			unsigned int tm, warn, per;
			unsigned long long vol;

			if (sscanf(line + 6, "%63s %u %llu %u %u", names[n_defs], &tm, &vol, &warn, &per) != 5) {
				printf("ERROR limit\n");
				continue;
			}
			d->name = names[n_defs++];
			d->time_min = tm;
			d->volume = vol;
			d->warn_pct = (uint8_t)warn;
			d->per_device = per;
		} else if (!strcmp(line, "configure")) {
			printf("CONFIGURED %d\n", usage_limits_configure(u, defs, n_defs));
		} else if (!strncmp(line, "report ", 7)) {
			cmd_report(u, line + 7);
		} else if (!strncmp(line, "blocked ", 8)) {
			char name[ULIMIT_NAME_MAX], mac[32];
			uint8_t m[6];

			if (sscanf(line + 8, "%63s %31s", name, mac) == 2 && policy_parse_mac(mac, m) == 0)
				printf("BLOCKED %d\n", usage_limit_blocked(u, ulimit_key(name), m, time(NULL)));
		} else if (!strcmp(line, "stats")) {
			cmd_stats(u);
		} else if (!strcmp(line, "save")) {
			printf("SAVED %d\n", usage_save(u, true));
		} else if (!strcmp(line, "quit")) {
			break;
		}
	}
	cmd_stats(u);
	usage_free(u);
	return 0;
}
