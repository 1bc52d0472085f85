/* Unit tests of util.c: address text equal to inet_ntop()'s, UTF-8
 * sequence lengths, decimal integers. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <arpa/inet.h>
#include <cmocka.h>

#include "util.h"

static void ntop_same(int family, const uint8_t *a)
{
	char want[INET6_ADDRSTRLEN], got[INET6_ADDRSTRLEN];

	assert_non_null(inet_ntop(family == 6 ? AF_INET6 : AF_INET, a, want, sizeof(want)));
	util_ntop(family, a, got, sizeof(got));
	assert_string_equal(got, want);
}

static void ntop_edges(void **state)
{
	static const char *const v6[] = {
		"::", "::1", "::2", "1::", "1::1", "::ffff:1.2.3.4", "::1.2.3.4", "::ffff:0:1.2.3.4",
		"64:ff9b::1.2.3.4", "2001:db8::1", "2001:db8:0:0:1:0:0:1", "2001:0:0:1::1",
		"fe80::1:2:3:4", "1:2:3:4:5:6:7:8", "1:0:2:0:3:0:4:0", "0:0:1:0:0:0:1:0",
		"ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff", "::ffff:ffff", "::fffe:1.2.3.4",
	};
	static const uint8_t v4[][4] = { { 0, 0, 0, 0 }, { 10, 0, 100, 255 }, { 255, 255, 255, 255 },
					 { 1, 20, 109, 9 } };
	uint8_t a[16];
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(v6) / sizeof(v6[0]); i++) {
		assert_int_equal(inet_pton(AF_INET6, v6[i], a), 1);
		ntop_same(6, a);
	}
	for (i = 0; i < sizeof(v4) / sizeof(v4[0]); i++)
		ntop_same(4, v4[i]);
}

/* Random addresses biased to zero groups, where the compression rules
 * (longest run, first on a tie, no run of one) decide the text. */
static void ntop_random(void **state)
{
	uint8_t a[16];
	unsigned int seed = 1, i, g;

	(void)state;
	for (i = 0; i < 200000; i++) {
		for (g = 0; g < 8; g++) {
			unsigned int r = rand_r(&seed), v = r % 3 ? 0 : r >> 8 & (r & 8 ? 0xf : 0xffff);

			a[2 * g] = (uint8_t)(v >> 8);
			a[2 * g + 1] = (uint8_t)v;
		}
		if (i % 5 == 0) {	/* the IPv4-compatible and -mapped shapes */
			memset(a, 0, 10);
			a[10] = a[11] = i % 10 ? 0xff : 0;
		}
		ntop_same(6, a);
		ntop_same(4, a);
	}
}

static void ntop_short_buffer(void **state)
{
	static const uint8_t a[4] = { 192, 168, 100, 200 };
	char buf[8];

	(void)state;
	util_ntop(4, a, buf, sizeof(buf));
	assert_string_equal(buf, "192.168");
}

static void utf8_sequences(void **state)
{
	(void)state;
	assert_int_equal(util_utf8_seq((const unsigned char *)"a", 1), 1);
	assert_int_equal(util_utf8_seq((const unsigned char *)"\xc3\xa9", 2), 2);
	assert_int_equal(util_utf8_seq((const unsigned char *)"\xe2\x82\xac", 3), 3);
	assert_int_equal(util_utf8_seq((const unsigned char *)"\xf0\x9f\x98\x80", 4), 4);
	assert_int_equal(util_utf8_seq((const unsigned char *)"\xe2\x82\xac", 2), 0);	/* cut */
	assert_int_equal(util_utf8_seq((const unsigned char *)"\xc0\xaf", 2), 0);	/* overlong */
	assert_int_equal(util_utf8_seq((const unsigned char *)"\xe0\x80\xaf", 3), 0);
	assert_int_equal(util_utf8_seq((const unsigned char *)"\xed\xa0\x80", 3), 0);	/* surrogate */
	assert_int_equal(util_utf8_seq((const unsigned char *)"\xf4\x90\x80\x80", 4), 0);
	assert_int_equal(util_utf8_seq((const unsigned char *)"\x80", 1), 0);
	assert_int_equal(util_utf8_seq((const unsigned char *)"\xff", 1), 0);
	/* a NUL ends a short sequence before the length does */
	assert_int_equal(util_utf8_seq((const unsigned char *)"\xe2\x82", 4), 0);
}

static void decimal(void **state)
{
	static const struct { long long v; const char *s; } cases[] = {
		{ 0, "0" }, { 7, "7" }, { -1, "-1" }, { 1000000000000LL, "1000000000000" },
		{ 9223372036854775807LL, "9223372036854775807" },
		{ -9223372036854775807LL - 1, "-9223372036854775808" },
	};
	char buf[24];
	size_t i, n;

	(void)state;
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		n = util_lltoa(cases[i].v, buf);
		assert_int_equal(n, strlen(cases[i].s));
		assert_memory_equal(buf, cases[i].s, n);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(ntop_edges),
		cmocka_unit_test(ntop_random),
		cmocka_unit_test(ntop_short_buffer),
		cmocka_unit_test(utf8_sequences),
		cmocka_unit_test(decimal),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
