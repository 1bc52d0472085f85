/*
 * policy_bench - parse and validate a generated /etc/config/netify with
 * 1,000 rules (plus devices, groups, classes) and print the time taken.
 * Goal: under 20 ms per load on the target.  Not a test: run by hand.
 *
 *   tests/bench/policy_bench [RULES] [ITERATIONS]
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "policy.h"

static const char *const bench_apps[] = {
	"whatsapp", "telegram", "youtube", "netflix", "tiktok", "steam",
	"discord", "instagram",
};
#define BENCH_N_APPS (sizeof(bench_apps) / sizeof(bench_apps[0]))

static int bench_app(void *ctx, const char *tag)
{
	(void)ctx;
	for (size_t i = 0; i < BENCH_N_APPS; i++)
		if (!strcmp(bench_apps[i], tag))
			return (int)i + 1;
	return -1;
}

static int bench_category(void *ctx, const char *tag)
{
	(void)ctx;
	return !strcmp(tag, "games") ? 1 : !strcmp(tag, "video") ? 2 : -1;
}

static int bench_proto(void *ctx, const char *name)
{
	(void)ctx;
	return !strcasecmp(name, "BitTorrent") ? 37 :
	       !strcasecmp(name, "TLS") ? 91 : -1;
}

static void bench_write_objects(FILE *f)
{
	for (int i = 1; i <= 5; i++)
		fprintf(f, "config class 'c%d'\n\toption mark '%d'\n"
			"\toption dscp 'CS%d'\n\n", i, i, i);
	for (int i = 0; i < 100; i++)
		fprintf(f, "config device 'dev%d'\n\toption label 'Device %d'\n"
			"\tlist mac '02:00:00:00:%02x:%02x'\n"
			"\tlist ip '192.168.%d.%d'\n\n", i, i, i / 256, i % 256,
			1 + i / 200, 2 + i % 200);
	for (int i = 0; i < 10; i++) {
		fprintf(f, "config group 'grp%d'\n", i);
		for (int j = 0; j < 10; j++)
			fprintf(f, "\tlist device 'dev%d'\n", i * 10 + j);
		fprintf(f, "\n");
	}
}

static void bench_write_rule(FILE *f, int i)
{
	static const char *const actions[] = { "block", "allow", "qos", "log" };
	const char *action = actions[i % 4];

	fprintf(f, "config rule\n\toption name 'rule %d'\n", i);
	if (i % 3 == 0)
		fprintf(f, "\tlist group 'grp%d'\n", i % 10);
	else if (i % 3 == 1)
		fprintf(f, "\tlist device 'dev%d'\n\tlist src_ip '10.%d.0.0/16'\n",
			i % 100, i % 256);
	else
		fprintf(f, "\tlist src_mac '02:00:00:01:%02x:%02x'\n",
			(i >> 8) & 0xff, i & 0xff);
	fprintf(f, "\tlist app '%s'\n\tlist app '%s'\n",
		bench_apps[i % BENCH_N_APPS], bench_apps[(i + 3) % BENCH_N_APPS]);
	if (i % 5 == 0)
		fprintf(f, "\tlist category 'games'\n\tlist proto 'BitTorrent'\n");
	fprintf(f, "\toption action '%s'\n", action);
	if (!strcmp(action, "qos"))
		fprintf(f, "\toption class 'c%d'\n", 1 + i % 5);
	if (i % 2)
		fprintf(f, "\toption weekdays 'Mon Tue Wed Thu Sun'\n"
			"\toption start_time '18:00'\n\toption stop_time '07:00'\n"
			"\toption start_date '2026-09-01'\n"
			"\toption stop_date '2027-06-30 23:59:59'\n");
	fprintf(f, "\n");
}

static double bench_ms(const struct timespec *a, const struct timespec *b)
{
	return (double)(b->tv_sec - a->tv_sec) * 1e3 +
	       (double)(b->tv_nsec - a->tv_nsec) / 1e6;
}

int main(int argc, char **argv)
{
	int rules = argc > 1 ? atoi(argv[1]) : 1000;
	int iters = argc > 2 ? atoi(argv[2]) : 20;
	struct policy_names names = { bench_app, bench_category, bench_proto, NULL };
	static struct policy_errors errs;
	char path[] = "/tmp/policy_bench_XXXXXX";
	struct timespec t0, t1;
	double best = 1e9, total = 0;
	struct policy *p;
	int fd = mkstemp(path);
	FILE *f = fd >= 0 ? fdopen(fd, "w") : NULL;
	long size;

	if (!f || rules < 1 || iters < 1)
		return 1;
	fprintf(f, "config netify 'main'\n\tlist lan_interface 'br-lan'\n\n");
	bench_write_objects(f);
	for (int i = 0; i < rules; i++)
		bench_write_rule(f, i);
	size = ftell(f);
	fclose(f);
	for (int it = 0; it < iters; it++) {
		clock_gettime(CLOCK_MONOTONIC, &t0);
		p = policy_load(path, &names, &errs);
		clock_gettime(CLOCK_MONOTONIC, &t1);
		if (!p) {
			fprintf(stderr, "load failed: %s\n", errs.msg[0]);
			unlink(path);
			return 1;
		}
		total += bench_ms(&t0, &t1);
		if (bench_ms(&t0, &t1) < best)
			best = bench_ms(&t0, &t1);
		policy_free(p);
	}
	printf("policy_load: %d rules, %ld bytes: best %.2f ms, mean %.2f ms "
	       "over %d runs (goal < 20 ms)\n", rules, size, best,
	       total / iters, iters);

	/* worst case matching: a flow no rule matches walks every rule */
	p = policy_load(path, &names, &errs);
	if (p) {
		struct policy_input in;
		int n = 100000;

		policy_input_init(&in);
		in.family = AF_INET;
		in.app_id = 99;
		clock_gettime(CLOCK_MONOTONIC, &t0);
		for (int i = 0; i < n; i++) {
			in.addr[3] = (uint8_t)i;
			policy_match(p, &in, (time_t)1790000000 + i, NULL);
		}
		clock_gettime(CLOCK_MONOTONIC, &t1);
		printf("policy_match: no-match walk of %d rules: %.2f us per "
		       "flow\n", rules, bench_ms(&t0, &t1) * 1e3 / n);
		policy_free(p);
	}
	unlink(path);
	return 0;
}
