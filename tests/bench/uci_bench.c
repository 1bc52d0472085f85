/*
 * uci_bench - time uci_parse_buf() on a generated /etc/config/netify with
 * 1,000 rules (half named, half anonymous), plus write and re-parse.
 * Not a test: it prints numbers.  Usage: uci_bench [RULES [ROUNDS]]
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "uci.h"

static double bench_now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec * 1e3 + (double)ts.tv_nsec / 1e6;
}

static void bench_rule(FILE *f, int i)
{
	if (i % 2)
		fprintf(f, "\nconfig rule 'rule_%d'\n", i);
	else
		fprintf(f, "\nconfig rule\n");
	fprintf(f, "\toption name 'Rule %d: it'\\''s a rule'\n", i);
	fprintf(f, "\toption enabled '1'\n\toption action '%s'\n",
		i % 3 ? "block" : "qos");
	fprintf(f, "\tlist src_mac '02:00:00:00:%02x:%02x'\n", (i >> 8) & 0xff, i & 0xff);
	fprintf(f, "\tlist app 'youtube'\n\tlist app \"netflix\"\n\tlist app tiktok\n");
	fprintf(f, "\toption start_time '08:00' # school hours\n");
	fprintf(f, "\toption stop_time '16:30'\n\toption weekdays 'Mon Tue Wed Thu Fri'\n");
}

static char *bench_file(int rules, size_t *len)
{
	char *buf = NULL;
	FILE *f = open_memstream(&buf, len);
	int i;

	if (!f)
		return NULL;
	fprintf(f, "config global 'main'\n\toption enabled '1'\n");
	for (i = 0; i < rules; i++)
		bench_rule(f, i);
	fclose(f);
	return buf;
}

static int bench_roundtrip(const struct uci_pkg *p)
{
	struct uci_pkg *q = NULL;
	size_t len = 0;
	char *out = NULL;
	FILE *f = open_memstream(&out, &len);
	int ok;

	if (!f || uci_write(p, f))
		return -1;
	fclose(f);
	ok = !uci_parse_buf("roundtrip", p->name, out, len, &q, NULL) &&
	     uci_pkg_equal(p, q);
	uci_pkg_free(q);
	free(out);
	return ok ? 0 : -1;
}

int main(int argc, char **argv)
{
	int rules = argc > 1 ? atoi(argv[1]) : 1000;
	int rounds = argc > 2 ? atoi(argv[2]) : 50, i;
	double t0, best = 1e12, total = 0, dt;
	struct uci_pkg *p = NULL;
	struct uci_err err;
	size_t len;
	char *buf = bench_file(rules, &len);

	if (!buf || rounds < 1)
		return 1;
	for (i = 0; i < rounds; i++) {
		t0 = bench_now_ms();
		if (uci_parse_buf("bench", "netify", buf, len, &p, &err)) {
			fprintf(stderr, "%s:%d:%d: %s\n", err.file, err.line, err.col, err.msg);
			return 1;
		}
		dt = bench_now_ms() - t0;
		total += dt;
		best = dt < best ? dt : best;
		if (i < rounds - 1)
			uci_pkg_free(p);
	}
	printf("uci_parse_buf: %d rules, %zu bytes: best %.3f ms, mean %.3f ms over %d rounds\n",
	       rules, len, best, total / rounds, rounds);
	t0 = bench_now_ms();
	i = bench_roundtrip(p);
	printf("write + re-parse + compare: %.3f ms (%s)\n", bench_now_ms() - t0,
	       i ? "MISMATCH" : "equal");
	uci_pkg_free(p);
	free(buf);
	return i ? 1 : 0;
}
