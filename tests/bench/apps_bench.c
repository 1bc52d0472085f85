/*
 * apps_bench.c - load time, host lookup rate and memory of the
 * application database with 100,000 synthetic domains and 50,000 CIDRs.
 * Goals (issue 3): load < 300 ms, >= 5M host lookups/s on one core,
 * < 100 bytes per domain.  Times are CPU time of one thread.  Prints the
 * numbers; exits 1 if a goal is missed.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <arpa/inet.h>
#include <sys/socket.h>

#include "apps.h"

#define N_DOMAINS	100000
#define N_CIDRS		50000
#define N_APPS		1000
#define N_QUERIES	(1u << 16)
#define ROUNDS		60

static uint64_t rng = 0x9e3779b97f4a7c15ull;

static uint32_t bench_rand(void)
{
	rng ^= rng << 13;
	rng ^= rng >> 7;
	rng ^= rng << 17;
	return (uint32_t)rng;
}

/* CPU time of this process: the build machine is shared, and wall time
 * would measure the neighbours' load rather than the code. */
static double bench_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

static void bench_label(char *out, size_t len)
{
	static const char chars[] = "abcdefghijklmnopqrstuvwxyz0123456789";
	size_t i;

	for (i = 0; i < len; i++)
		out[i] = chars[bench_rand() % 36];
	out[len] = '\0';
}

/* Definitions file: N_APPS apps, domains like "k3j9x2.q8w.com", CIDRs
 * spread over v4 (80%) and v6 (20%) with lengths 20..32 / 24..64. */
static int bench_write(const char *path, int with_nets, char (*doms)[64])
{
	static const char *tlds[] = { "com", "net", "org", "io", "co.uk", "de" };
	FILE *f = fopen(path, "w");
	int i;

	if (!f)
		return -1;
	fprintf(f, "cat:bench:Bench\n");
	for (i = 1; i <= N_APPS; i++)
		fprintf(f, "app:%d:app%d:bench:Application %d\n", i, i, i);
	for (i = 0; i < N_DOMAINS; i++) {
		char a[16], b[16];

		bench_label(a, 4 + bench_rand() % 8);
		bench_label(b, 3 + bench_rand() % 6);
		snprintf(doms[i], 64, "%s.%s.%s", a, b, tlds[bench_rand() % 6]);
		fprintf(f, "dom:%u:%s\n", 1 + bench_rand() % N_APPS, doms[i]);
	}
	for (i = 0; with_nets && i < N_CIDRS; i++) {
		uint32_t app = 1 + bench_rand() % N_APPS;

		if (i % 5)
			fprintf(f, "net:%u:%u.%u.%u.%u/%u\n", app, bench_rand() % 224,
				bench_rand() % 256, bench_rand() % 256, bench_rand() % 256,
				20 + bench_rand() % 13);
		else
			fprintf(f, "net:%u:2001:%x:%x::/%u\n", app,
				bench_rand() % 65536, bench_rand() % 65536,
				24 + bench_rand() % 41);
	}
	return fclose(f);
}

/* Queries as traffic brings them: subdomains of known names (hits via a
 * parent), exact names, and unknown hosts (misses walk every label). */
static void bench_queries(char (*q)[96], char (*doms)[64])
{
	unsigned int i;

	for (i = 0; i < N_QUERIES; i++) {
		const char *d = doms[bench_rand() % N_DOMAINS];
		char l[16];

		bench_label(l, 3 + bench_rand() % 10);
		switch (i % 4) {
		case 0:
			snprintf(q[i], 96, "%s", d);
			break;
		case 1:
		case 2:
			snprintf(q[i], 96, "%s.cdn.%s", l, d);
			break;
		default:
			snprintf(q[i], 96, "%s.%s.unknown-host.example", l, l);
		}
	}
}

static double bench_lookups(const struct apps_db *db, char (*q)[96],
			    unsigned long *hits)
{
	double t0 = bench_now();
	unsigned int r, i;

	*hits = 0;
	for (r = 0; r < ROUNDS; r++)
		for (i = 0; i < N_QUERIES; i++)
			*hits += apps_match_host(db, q[i]) >= 0;
	return (double)ROUNDS * N_QUERIES / (bench_now() - t0);
}

static double bench_addr_lookups(const struct apps_db *db)
{
	double t0 = bench_now();
	unsigned long hits = 0;
	unsigned int i;

	for (i = 0; i < ROUNDS * N_QUERIES; i++) {
		uint32_t a = htonl(bench_rand());

		hits += apps_match_addr(db, AF_INET, (const uint8_t *)&a) >= 0;
	}
	if (hits == 0)
		fprintf(stderr, "no address hits?\n");
	return (double)ROUNDS * N_QUERIES / (bench_now() - t0);
}

static struct apps_db *bench_load(const char *path, double *ms)
{
	static struct apps_errors errs;
	const char *files[1] = { path };
	double t0 = bench_now();
	struct apps_db *db = apps_db_load_files(files, 1, &errs);

	*ms = (bench_now() - t0) * 1000.0;
	if (!db || errs.count) {
		fprintf(stderr, "load failed: %s\n", errs.count ? errs.msg[0] : "");
		exit(2);
	}
	return db;
}

int main(void)
{
	static char doms[N_DOMAINS][64], q[N_QUERIES][96];
	char path[] = "/tmp/netify-apps-bench-XXXXXX";
	double load_ms, dom_ms, rate, arate, per_domain;
	struct apps_stats st, dst;
	struct apps_db *db, *ddb;
	unsigned long hits;
	int fd = mkstemp(path), fails = 0;

	if (fd < 0)
		return 2;
	close(fd);
	/* memory per domain from a database holding domains only */
	bench_write(path, 0, doms);
	ddb = bench_load(path, &dom_ms);
	apps_db_stats(ddb, &dst);
	per_domain = (double)dst.bytes / (double)dst.domains;
	apps_db_free(ddb);

	bench_write(path, 1, doms);
	db = bench_load(path, &load_ms);
	unlink(path);
	apps_db_stats(db, &st);
	bench_queries(q, doms);
	rate = bench_lookups(db, q, &hits);
	arate = bench_addr_lookups(db);

	printf("apps %zu, domains %zu, cidrs v4 %zu + v6 %zu\n", st.apps,
	       st.domains, st.nets4, st.nets6);
	printf("load time:        %8.1f ms (goal < 300)\n", load_ms);
	printf("host lookups:     %8.2f M/s (goal >= 5), hit share %.0f%%\n",
	       rate / 1e6, 100.0 * hits / ((double)ROUNDS * N_QUERIES));
	printf("address lookups:  %8.2f M/s\n", arate / 1e6);
	printf("bytes per domain: %8.1f (goal < 100), whole db %.1f MB\n",
	       per_domain, st.bytes / 1048576.0);
	fails += load_ms >= 300;
	fails += rate < 5e6;
	fails += per_domain >= 100;
	apps_db_free(db);
	return fails ? 1 : 0;
}
