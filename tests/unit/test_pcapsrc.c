/* Unit tests: the capture-file source's timestamps (microsecond and
 * nanosecond files, fractions out of range), and paths that are no
 * capture file. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <cmocka.h>

#include "pcapsrc.h"

#define MAGIC_USEC 0xa1b2c3d4u
#define MAGIC_NSEC 0xa1b23c4du

struct seen {
	uint64_t ts[8];
	unsigned n;
};

static int on_packet(void *user, enum link_type lt, const uint8_t *data, uint32_t caplen,
		     uint64_t ts_us)
{
	struct seen *s = user;

	(void)lt;
	(void)data;
	(void)caplen;
	if (s->n < 8)
		s->ts[s->n++] = ts_us;
	return 0;
}

static void put32(FILE *f, uint32_t v)
{
	fwrite(&v, 4, 1, f);	/* host order: libpcap reads either */
}

/* A capture of raw-IP packets with the given (sec, fraction) stamps. */
static void write_capture(const char *path, uint32_t magic, const uint32_t (*ts)[2], unsigned n)
{
	static const uint8_t ip[20] = { 0x45, 0, 0, 20, 0, 1, 0, 0, 64, 17, 0, 0, 10, 0, 0, 1,
					10, 0, 0, 2 };
	FILE *f = fopen(path, "wb");
	unsigned i;

	assert_non_null(f);
	put32(f, magic);
	put32(f, 2 | 4u << 16);		/* version 2.4 */
	put32(f, 0);
	put32(f, 0);
	put32(f, 65535);
	put32(f, 101);			/* LINKTYPE_RAW */
	for (i = 0; i < n; i++) {
		put32(f, ts[i][0]);
		put32(f, ts[i][1]);
		put32(f, sizeof(ip));
		put32(f, sizeof(ip));
		fwrite(ip, sizeof(ip), 1, f);
	}
	fclose(f);
}

/* Writes the stamps as a capture, reads it back through pcapsrc_read(). */
static void roundtrip(uint32_t magic, const uint32_t (*ts)[2], unsigned n, struct seen *s)
{
	char path[] = "/tmp/netify-pcapsrc-XXXXXX", err[256];
	int fd = mkstemp(path);

	assert_true(fd >= 0);
	close(fd);
	write_capture(path, magic, ts, n);
	memset(s, 0, sizeof(*s));
	assert_int_equal(pcapsrc_read(path, on_packet, s, err, sizeof(err)), 0);
	unlink(path);
	assert_int_equal(s->n, n);
}

static void microseconds(void **state)
{
	static const uint32_t ts[4][2] = { { 100, 999999 }, { 101, 1000000 }, { 102, 0xffffffffu },
					   { 103, 5 } };
	struct seen s;

	(void)state;
	roundtrip(MAGIC_USEC, ts, 4, &s);
	assert_true(s.ts[0] == 100999999ull);
	assert_true(s.ts[1] == s.ts[0]);	/* 1000000 us is no fraction: the previous time */
	assert_true(s.ts[2] == s.ts[0]);
	assert_true(s.ts[3] == 103000005ull);
}

static void nanoseconds(void **state)
{
	static const uint32_t ts[3][2] = { { 7, 999999999 }, { 8, 1000000000 }, { 9, 1500 } };
	struct seen s;

	(void)state;
	roundtrip(MAGIC_NSEC, ts, 3, &s);
	assert_true(s.ts[0] == 7999999ull);	/* nanoseconds read as such, not as microseconds */
	assert_true(s.ts[1] == s.ts[0]);
	assert_true(s.ts[2] == 9000001ull);
}

/* Paths that are not capture files: refused at once with the reason, a
 * FIFO included (opening it used to wait for a writer). */
static void not_regular(void **state)
{
	char dir[] = "/tmp/netify-pcapsrc-XXXXXX", path[64], err[256];
	struct seen s;

	(void)state;
	assert_non_null(mkdtemp(dir));
	snprintf(path, sizeof(path), "%s/fifo.pcap", dir);
	assert_int_equal(mkfifo(path, 0600), 0);
	alarm(10);
	assert_int_equal(pcapsrc_read(path, on_packet, &s, err, sizeof(err)), -1);
	alarm(0);
	assert_non_null(strstr(err, "not a regular file (a FIFO)"));
	assert_non_null(strstr(err, path));
	unlink(path);
	snprintf(path, sizeof(path), "%s/zero.pcap", dir);
	assert_int_equal(symlink("/dev/zero", path), 0);
	assert_int_equal(pcapsrc_read(path, on_packet, &s, err, sizeof(err)), -1);
	assert_non_null(strstr(err, "character device"));
	unlink(path);
	assert_int_equal(pcapsrc_read(dir, on_packet, &s, err, sizeof(err)), -1);
	assert_non_null(strstr(err, "directory"));
	rmdir(dir);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(microseconds),
		cmocka_unit_test(nanoseconds),
		cmocka_unit_test(not_regular),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
