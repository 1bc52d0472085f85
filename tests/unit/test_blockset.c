/* Unit tests of blockset.c: the block-set elements resting on the DNS
 * hint, withdrawn by server address when another application's name shows
 * up; expiry, renewal, the capacity bound. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "blockset.h"

static struct blockset_elem elem(uint8_t dev, uint8_t srv, uint16_t port)
{
	struct blockset_elem e = { 4, 6, port, { 10, 77, 1, dev }, { 10, 77, 2, srv } };

	return e;
}

struct got {
	unsigned int n;
	struct blockset_elem e[8];
};

static void collect(void *ctx, const struct blockset_elem *e)
{
	struct got *g = ctx;

	if (g->n < 8)
		g->e[g->n] = *e;
	g->n++;
}

static void withdraw_by_server(void **state)
{
	struct blockset *b = blockset_new(16);
	const uint8_t srv2[16] = { 10, 77, 2, 2 }, srv3[16] = { 10, 77, 2, 3 };
	struct blockset_elem e;
	struct blockset_stats st;
	struct got g = { 0 };

	(void)state;
	assert_non_null(b);
	assert_true(blockset_empty(b));
	e = elem(2, 2, 443);
	assert_int_equal(blockset_add(b, &e, 101, 400, 100), 0);
	e = elem(3, 2, 443);	/* another device, same server */
	assert_int_equal(blockset_add(b, &e, 101, 400, 100), 0);
	e = elem(2, 3, 443);	/* another server */
	assert_int_equal(blockset_add(b, &e, 101, 400, 100), 0);
	e = elem(2, 2, 443);	/* the first again: renewed, not doubled */
	assert_int_equal(blockset_add(b, &e, 101, 500, 110), 0);
	assert_false(blockset_empty(b));
	/* a name of the same application: nothing to withdraw */
	assert_int_equal(blockset_withdraw(b, 4, srv2, 101, 120, collect, &g), 0);
	/* another application's: both devices' elements for 10.77.2.2 */
	assert_int_equal(blockset_withdraw(b, 4, srv2, 202, 120, collect, &g), 2);
	assert_int_equal(g.n, 2);
	assert_memory_equal(g.e[0].srv, srv2, 4);
	assert_memory_equal(g.e[1].srv, srv2, 4);
	assert_int_equal(g.e[0].dev[3] + g.e[1].dev[3], 2 + 3);
	assert_int_equal(blockset_withdraw(b, 4, srv2, -1, 120, collect, &g), 0);
	assert_int_equal(blockset_withdraw(b, 6, srv3, -1, 120, collect, &g), 0);	/* family matters */
	blockset_get_stats(b, &st);
	assert_int_equal(st.live, 1);
	assert_int_equal(st.withdrawn, 2);
	assert_int_equal(st.adds, 4);
	/* an expired element is not withdrawn: its kernel twin is gone too */
	assert_int_equal(blockset_withdraw(b, 4, srv3, -1, 400, collect, &g), 0);
	assert_true(blockset_empty(b));
	blockset_free(b);
}

static void capacity(void **state)
{
	struct blockset *b = blockset_new(4);
	struct blockset_elem e;
	struct blockset_stats st;
	uint8_t i;

	(void)state;
	for (i = 0; i < 4; i++) {
		e = elem(i, 9, 443);
		assert_int_equal(blockset_add(b, &e, 1, 100, 0), 0);
	}
	e = elem(9, 9, 443);
	assert_int_equal(blockset_add(b, &e, 1, 100, 0), -1);
	assert_int_equal(errno, ENOSPC);
	/* once the others expired, there is room again */
	assert_int_equal(blockset_add(b, &e, 1, 300, 100), 0);
	blockset_get_stats(b, &st);
	assert_int_equal(st.full, 1);
	assert_int_equal(st.live, 1);
	blockset_free(b);
	assert_null(blockset_new(0));
	blockset_free(NULL);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(withdraw_by_server),
		cmocka_unit_test(capacity),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
