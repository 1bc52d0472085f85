/* Unit tests: table sizes derived from the RAM the box has (sizing.c). */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "policy.h"
#include "sizing.h"

#define MIB (1024ull * 1024)

static struct policy_main sized(unsigned int workers, uint64_t ram)
{
	struct policy_main m;

	memset(&m, 0, sizeof(m));
	sizing_apply(&m, workers, ram);
	return m;
}

/* Each RAM class gets its totals, split over the queues except the DNS
 * cache (every worker learns every answer). */
static void by_ram_and_queues(void **state)
{
	struct policy_main m;

	(void)state;
	m = sized(1, 128 * MIB);
	assert_int_equal(m.flow_table_size, 16384);
	assert_int_equal(m.inspect_slots, 2048);
	assert_int_equal(m.dns_cache_size, 4096);
	m = sized(4, 120 * MIB);	/* a "128 MB" box reports a bit less */
	assert_int_equal(m.flow_table_size, 4096);
	assert_int_equal(m.inspect_slots, 512);
	assert_int_equal(m.dns_cache_size, 4096);
	m = sized(2, 256 * MIB);
	assert_int_equal(m.flow_table_size, 16384);
	assert_int_equal(m.inspect_slots, 2048);
	assert_int_equal(m.dns_cache_size, 8192);
	m = sized(1, 500 * MIB);
	assert_int_equal(m.flow_table_size, 65536);
	assert_int_equal(m.inspect_slots, 8192);
	assert_int_equal(m.dns_cache_size, 16384);
	m = sized(4, 24 * 1024 * MIB);	/* a big box: as before, per queue */
	assert_int_equal(m.flow_table_size, 65536);
	assert_int_equal(m.inspect_slots, 4096);
	assert_int_equal(m.dns_cache_size, 16384);
	m = sized(1, 0);		/* RAM unknown: as a big box */
	assert_int_equal(m.flow_table_size, 65536);
	assert_int_equal(m.inspect_slots, 16384);
}

/* What the owner set stays; floors keep many queues usable; inspection
 * never gets more slots than there are flows. */
static void owner_values_and_floors(void **state)
{
	struct policy_main m;

	(void)state;
	memset(&m, 0, sizeof(m));
	m.flow_table_size = 2000;
	m.dns_cache_size = 64;
	sizing_apply(&m, 1, 128 * MIB);
	assert_int_equal(m.flow_table_size, 2000);
	assert_int_equal(m.inspect_slots, 2000);
	assert_int_equal(m.dns_cache_size, 64);

	m = sized(64, 64 * MIB);
	assert_int_equal(m.flow_table_size, 1024);
	assert_int_equal(m.inspect_slots, 256);

	memset(&m, 0, sizeof(m));
	m.inspect_slots = 100;
	sizing_apply(&m, 0, 128 * MIB);	/* 0 workers read as 1 */
	assert_int_equal(m.inspect_slots, 100);
	assert_int_equal(m.flow_table_size, 16384);
}

static void memtotal_read(void **state)
{
	(void)state;
	/* this test runs on Linux: /proc/meminfo is there and says something */
	assert_true(sizing_memtotal() > 16 * MIB);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(by_ram_and_queues),
		cmocka_unit_test(owner_values_and_floors),
		cmocka_unit_test(memtotal_read),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
