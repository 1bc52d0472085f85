/* Drives the conntrack accounting reader against the real kernel, for
 * tests/usage/kernel.sh and tests/bench/ct_dump_bench.sh. Run inside the
 * namespace whose conntrack table it reads.
 *
 *   ct_harness watch [--event-mask M] [--dump MARK/MASK] [--interval MS]
 *                    [--duration MS] [--rcvbuf BYTES] [--stall MS] [--reliable]
 *       turns nf_conntrack_acct on, then prints one line per record read
 *       (destroy events, and a dump every --interval) until --duration;
 *       --stall sleeps before the first read (to overrun the socket).
 *       Starts by printing "ready" once its sockets are open; SIGTERM
 *       ends it early (with its STATS line).
 *   ct_harness dump MARK/MASK [REPEAT]
 *       one dump (REPEAT times); prints records, time and CPU per dump
 *   ct_harness get MARK/MASK N [REPEAT]
 *       dumps once, then reads the first N connections by tuple in batches
 *       (after CT_GET_PAUSE_MS milliseconds, if set)
 *   ct_harness acct
 *       ctacct_sysctl_ensure("nf_conntrack_acct") and its result
 */
#define _GNU_SOURCE
#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>
#include <unistd.h>

#include <arpa/inet.h>

#include "util.h"
#include "ctacct.h"

static const char *const kinds[] = { "DESTROY", "DUMP", "GET" };
static int quiet;
static volatile sig_atomic_t stop;

static void on_term(int sig)
{
	(void)sig;
	stop = 1;
}

static struct ct_tuple *keep;
static size_t n_keep, max_keep;

static void print_rec(void *ctx, const struct ctacct_rec *r)
{
	char s[64], d[64];

	(void)ctx;
	if (n_keep < max_keep)
		keep[n_keep++] = r->orig;
	if (quiet)
		return;
	util_ntop(r->orig.family, r->orig.src, s, sizeof(s));
	util_ntop(r->orig.family, r->orig.dst, d, sizeof(d));
	printf("%s id=%u proto=%u src=%s sport=%u dst=%s dport=%u mark=0x%x acct=%u "
	       "opkts=%llu obytes=%llu rpkts=%llu rbytes=%llu\n",
	       kinds[r->kind], r->id, r->orig.proto, s, r->orig.sport, d, r->orig.dport, r->mark,
	       r->has_counters, (unsigned long long)r->packets[0], (unsigned long long)r->bytes[0],
	       (unsigned long long)r->packets[1], (unsigned long long)r->bytes[1]);
}

static uint64_t now_ms(void)
{
	return util_mono_ms();
}

static double cpu_ms(void)
{
	struct rusage ru;

	getrusage(RUSAGE_SELF, &ru);
	return (ru.ru_utime.tv_sec + ru.ru_stime.tv_sec) * 1e3 + (ru.ru_utime.tv_usec + ru.ru_stime.tv_usec) / 1e3;
}

static int parse_mm(const char *s, uint32_t *mark, uint32_t *mask)
{
	char *end;

	*mark = (uint32_t)strtoul(s, &end, 0);
	if (*end != '/')
		return -1;
	*mask = (uint32_t)strtoul(end + 1, &end, 0);
	return *end ? -1 : 0;
}

static void print_stats(struct ctacct *a)
{
	struct ctacct_stats st;

	ctacct_stats(a, &st);
	printf("STATS events=%llu dumps=%llu dump_records=%llu dump_errors=%llu enobufs=%llu "
	       "parse_errors=%llu gets=%llu get_missing=%llu rcvbuf=%u resync=%d\n",
	       (unsigned long long)st.events, (unsigned long long)st.dumps,
	       (unsigned long long)st.dump_records, (unsigned long long)st.dump_errors,
	       (unsigned long long)st.enobufs, (unsigned long long)st.parse_errors,
	       (unsigned long long)st.gets, (unsigned long long)st.get_missing, st.rcvbuf,
	       ctacct_resync_needed(a));
}

static int cmd_watch(int argc, char **argv)
{
	struct ctacct_opts o = { .events = true };
	uint32_t mark = 0, mask = 0, interval = 1000, duration = 5000, stall = 0;
	bool dump = false;
	struct ctacct *a;
	uint64_t end, next;

	for (int i = 2; i < argc; i++) {
		const char *v = i + 1 < argc ? argv[i + 1] : "";

		if (!strcmp(argv[i], "--event-mask"))
			o.event_mask = (uint32_t)strtoul(v, NULL, 0), i++;
		else if (!strcmp(argv[i], "--dump") && parse_mm(v, &mark, &mask) == 0)
			dump = true, i++;
		else if (!strcmp(argv[i], "--interval"))
			interval = (uint32_t)atoi(v), i++;
		else if (!strcmp(argv[i], "--duration"))
			duration = (uint32_t)atoi(v), i++;
		else if (!strcmp(argv[i], "--rcvbuf"))
			o.rcvbuf = o.rcvbuf_max = (uint32_t)atoi(v), i++;
		else if (!strcmp(argv[i], "--stall"))
			stall = (uint32_t)atoi(v), i++;
		else if (!strcmp(argv[i], "--reliable"))
			o.reliable = true;
		else {
			fprintf(stderr, "watch: bad argument %s\n", argv[i]);
			return 2;
		}
	}
	if (ctacct_sysctl_ensure(NULL, "nf_conntrack_acct") < 0)
		return 1;
	if (!(a = ctacct_open(&o, print_rec, NULL))) {
		perror("ctacct_open");
		return 1;
	}
	printf("ready\n");
	fflush(stdout);
	if (stall)
		usleep(stall * 1000);
	end = now_ms() + duration;
	next = now_ms() + interval;
	signal(SIGTERM, on_term);
	signal(SIGINT, on_term);
	for (uint64_t t = now_ms(); t < end && !stop; t = now_ms()) {
		struct pollfd p = { .fd = ctacct_fd(a), .events = POLLIN };
		uint64_t until = next < end ? next : end;

		poll(&p, 1, (int)(until > t ? until - t : 0));
		if (ctacct_read(a, 0) < 0)
			perror("ctacct_read");
		if (dump && (now_ms() >= next || ctacct_resync_needed(a))) {
			if (ctacct_dump(a, mark, mask) < 0)
				perror("ctacct_dump");
			next = now_ms() + interval;
		}
		fflush(stdout);
	}
	ctacct_read(a, 0);
	print_stats(a);
	ctacct_close(a);
	return 0;
}

static int cmd_dump(int argc, char **argv, bool get)
{
	struct ctacct_opts o = { 0 };
	uint32_t mark, mask;
	int repeat, n_get = 0;
	struct ctacct *a;

	if (argc < 3 || parse_mm(argv[2], &mark, &mask) < 0)
		return 2;
	if (get) {
		if (argc < 4)
			return 2;
		n_get = atoi(argv[3]);
		repeat = argc > 4 ? atoi(argv[4]) : 1;
	} else {
		repeat = argc > 3 ? atoi(argv[3]) : 1;
	}
	quiet = repeat > 1 || getenv("CT_QUIET");
	if (!(a = ctacct_open(&o, print_rec, NULL))) {
		perror("ctacct_open");
		return 1;
	}
	if (get) {
		max_keep = (size_t)n_get;
		keep = calloc(max_keep ? max_keep : 1, sizeof(*keep));
		quiet = 1;
		ctacct_dump(a, mark, mask);
		printf("kept %zu\n", n_keep);
		fflush(stdout);
		if (getenv("CT_GET_PAUSE_MS"))	/* the test changes the table meanwhile */
			usleep((useconds_t)atoi(getenv("CT_GET_PAUSE_MS")) * 1000);
	}
	for (int i = 0; i < repeat; i++) {
		double c0 = cpu_ms();
		uint64_t t0 = util_mono_ms();
		int n;
		struct timespec ts0, ts1;

		clock_gettime(CLOCK_MONOTONIC, &ts0);
		n = get ? ctacct_get(a, keep, NULL, n_keep) : ctacct_dump(a, mark, mask);
		clock_gettime(CLOCK_MONOTONIC, &ts1);
		(void)t0;
		printf("%s records=%d wall_ms=%.3f cpu_ms=%.3f\n", get ? "GETRUN" : "DUMPRUN", n,
		       (ts1.tv_sec - ts0.tv_sec) * 1e3 + (ts1.tv_nsec - ts0.tv_nsec) / 1e6, cpu_ms() - c0);
		fflush(stdout);
	}
	print_stats(a);
	free(keep);
	ctacct_close(a);
	return 0;
}

int main(int argc, char **argv)
{
	if (argc < 2)
		goto usage;
	if (!strcmp(argv[1], "watch"))
		return cmd_watch(argc, argv);
	if (!strcmp(argv[1], "dump"))
		return cmd_dump(argc, argv, false);
	if (!strcmp(argv[1], "get"))
		return cmd_dump(argc, argv, true);
	if (!strcmp(argv[1], "acct")) {
		int r = ctacct_sysctl_ensure(NULL, "nf_conntrack_acct");

		printf("acct %d\n", r);
		return r < 0;
	}
usage:
	fprintf(stderr, "usage: ct_harness watch|dump|get|acct ...\n");
	return 2;
}
