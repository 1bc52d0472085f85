/* Unit tests for the longest-prefix-match trie. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <arpa/inet.h>
#include <cmocka.h>

#include "lpm.h"

static void add4(struct lpm *l, const char *a, unsigned int plen, int32_t v)
{
	uint8_t k[4];

	assert_int_equal(inet_pton(AF_INET, a, k), 1);
	assert_int_equal(lpm_insert(l, k, plen, v), 0);
}

static int32_t get4(const struct lpm *l, const char *a, unsigned int *plen)
{
	uint8_t k[4];

	assert_int_equal(inet_pton(AF_INET, a, k), 1);
	return lpm_lookup(l, k, plen);
}

static void add6(struct lpm *l, const char *a, unsigned int plen, int32_t v)
{
	uint8_t k[16];

	assert_int_equal(inet_pton(AF_INET6, a, k), 1);
	assert_int_equal(lpm_insert(l, k, plen, v), 0);
}

static int32_t get6(const struct lpm *l, const char *a)
{
	uint8_t k[16];

	assert_int_equal(inet_pton(AF_INET6, a, k), 1);
	return lpm_lookup(l, k, NULL);
}

static void test_empty(void **state)
{
	struct lpm l;
	(void)state;

	assert_int_equal(lpm_init(&l, 32), 0);
	assert_int_equal(get4(&l, "1.2.3.4", NULL), LPM_NONE);
	lpm_free(&l);
	assert_int_equal(lpm_init(&l, 64), -1);
}

static void test_v4_overlaps(void **state)
{
	struct lpm l;
	unsigned int plen = 99;
	(void)state;

	lpm_init(&l, 32);
	add4(&l, "149.154.160.0", 20, 1);
	add4(&l, "149.154.167.0", 24, 2);
	add4(&l, "149.154.167.99", 32, 3);
	add4(&l, "10.0.0.0", 8, 4);
	assert_int_equal(get4(&l, "149.154.161.1", &plen), 1);
	assert_int_equal(plen, 20);
	assert_int_equal(get4(&l, "149.154.167.1", &plen), 2);
	assert_int_equal(plen, 24);
	assert_int_equal(get4(&l, "149.154.167.99", &plen), 3);
	assert_int_equal(plen, 32);
	assert_int_equal(get4(&l, "149.154.176.0", NULL), LPM_NONE);
	assert_int_equal(get4(&l, "149.154.159.255", NULL), LPM_NONE);
	assert_int_equal(get4(&l, "10.255.255.255", NULL), 4);
	assert_int_equal(get4(&l, "11.0.0.0", NULL), LPM_NONE);
	assert_int_equal(l.n_prefixes, 4);
	lpm_free(&l);
}

/* Shorter prefix inserted after longer ones must become their parent. */
static void test_v4_insert_order(void **state)
{
	struct lpm l;
	(void)state;

	lpm_init(&l, 32);
	add4(&l, "192.168.1.0", 24, 1);
	add4(&l, "192.168.2.0", 24, 2);
	add4(&l, "192.168.0.0", 16, 3);
	add4(&l, "192.0.0.0", 8, 4);
	assert_int_equal(get4(&l, "192.168.1.7", NULL), 1);
	assert_int_equal(get4(&l, "192.168.2.7", NULL), 2);
	assert_int_equal(get4(&l, "192.168.3.7", NULL), 3);
	assert_int_equal(get4(&l, "192.1.3.7", NULL), 4);
	lpm_free(&l);
}

static void test_v4_default_and_replace(void **state)
{
	struct lpm l;
	unsigned int plen = 99;
	(void)state;

	lpm_init(&l, 32);
	add4(&l, "8.8.8.8", 32, 1);
	add4(&l, "0.0.0.0", 0, 2);
	assert_int_equal(get4(&l, "1.1.1.1", &plen), 2);
	assert_int_equal(plen, 0);
	assert_int_equal(get4(&l, "8.8.8.8", NULL), 1);
	assert_int_equal(get4(&l, "8.8.8.9", NULL), 2);
	/* host bits are ignored and the same prefix is replaced */
	add4(&l, "8.8.8.8", 0, 5);
	assert_int_equal(get4(&l, "1.1.1.1", NULL), 5);
	assert_int_equal(l.n_prefixes, 2);
	lpm_free(&l);
}

static void test_v4_bad_args(void **state)
{
	struct lpm l;
	uint8_t k[4] = { 1, 2, 3, 4 };
	(void)state;

	lpm_init(&l, 32);
	assert_int_equal(lpm_insert(&l, k, 33, 1), -1);
	assert_int_equal(lpm_insert(&l, k, 8, -1), -1);
	lpm_free(&l);
}

static void test_v6(void **state)
{
	struct lpm l;
	(void)state;

	lpm_init(&l, 128);
	add6(&l, "2001:67c:4e8::", 48, 1);
	add6(&l, "2001:b28:f23d::", 48, 2);
	add6(&l, "2001:b28:f23d:f001::a", 128, 3);
	add6(&l, "2000::", 3, 4);
	assert_int_equal(get6(&l, "2001:67c:4e8:1::1"), 1);
	assert_int_equal(get6(&l, "2001:b28:f23d:f001::a"), 3);
	assert_int_equal(get6(&l, "2001:b28:f23d:f001::b"), 2);
	assert_int_equal(get6(&l, "2a03:2880::1"), 4);
	assert_int_equal(get6(&l, "fe80::1"), LPM_NONE);
	add6(&l, "::", 0, 5);
	assert_int_equal(get6(&l, "fe80::1"), 5);
	lpm_free(&l);
}

/* Random prefixes against a linear reference scan. */
static void test_v4_random_vs_linear(void **state)
{
	enum { N = 3000, Q = 20000 };
	static uint32_t nets[N];
	static uint8_t lens[N];
	struct lpm l;
	int i, j;
	(void)state;

	srand(7);
	lpm_init(&l, 32);
	for (i = 0; i < N; i++) {
		uint8_t k[4];

		/* few high bits so prefixes overlap a lot */
		nets[i] = ((uint32_t)rand() & 0x0fffffff) | 0x40000000u;
		lens[i] = (uint8_t)(rand() % 33);
		nets[i] &= lens[i] ? ~0u << (32 - lens[i]) : 0;
		k[0] = nets[i] >> 24, k[1] = nets[i] >> 16;
		k[2] = nets[i] >> 8, k[3] = (uint8_t)nets[i];
		assert_int_equal(lpm_insert(&l, k, lens[i], i), 0);
	}
	for (j = 0; j < Q; j++) {
		uint32_t a = (uint32_t)rand() | 0x40000000u;
		int best = -1, bestlen = -1;
		uint8_t k[4] = { a >> 24, a >> 16, a >> 8, (uint8_t)a };

		if (j % 2)	/* half the queries inside a known prefix */
			a = nets[j % N] | ((uint32_t)rand() & (lens[j % N] ? ~(~0u << (32 - lens[j % N])) : ~0u));
		k[0] = a >> 24, k[1] = a >> 16, k[2] = a >> 8, k[3] = (uint8_t)a;
		for (i = 0; i < N; i++) {
			uint32_t m = lens[i] ? ~0u << (32 - lens[i]) : 0;

			/* the same prefix inserted twice: the later wins */
			if ((a & m) == nets[i] && lens[i] >= bestlen) {
				best = i;
				bestlen = lens[i];
			}
		}
		assert_int_equal(lpm_lookup(&l, k, NULL), best);
	}
	lpm_free(&l);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_empty),
		cmocka_unit_test(test_v4_overlaps),
		cmocka_unit_test(test_v4_insert_order),
		cmocka_unit_test(test_v4_default_and_replace),
		cmocka_unit_test(test_v4_bad_args),
		cmocka_unit_test(test_v6),
		cmocka_unit_test(test_v4_random_vs_linear),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
