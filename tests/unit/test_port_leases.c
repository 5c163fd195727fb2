/* dhcp/port_leases.c: leases counted per bridge port, bounded. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "port_leases.h"

static void test_count_and_move(void **state)
{
	struct port_leases pl = { 0 };

	(void)state;
	assert_int_equal(port_leases_reset(&pl, 100), 0);
	port_leases_set(&pl, 1, 7);
	port_leases_set(&pl, 2, 7);
	port_leases_set(&pl, 3, 8);
	assert_int_equal(port_leases_count(&pl, 7), 2);
	assert_int_equal(port_leases_count(&pl, 8), 1);
	assert_int_equal(port_leases_port_of(&pl, 2), 7);
	/* The address goes to another port: the first loses it. */
	port_leases_set(&pl, 2, 8);
	assert_int_equal(port_leases_count(&pl, 7), 1);
	assert_int_equal(port_leases_count(&pl, 8), 2);
	/* Set twice to the same port: counted once. */
	port_leases_set(&pl, 2, 8);
	assert_int_equal(port_leases_count(&pl, 8), 2);
	port_leases_set(&pl, 1, 0);
	assert_int_equal(port_leases_count(&pl, 7), 0);
	assert_int_equal(port_leases_port_of(&pl, 1), 0);
	/* Out of the pool, or port 0: nothing counted. */
	port_leases_set(&pl, 100, 7);
	assert_int_equal(port_leases_count(&pl, 7), 0);
	assert_int_equal(port_leases_count(&pl, 0), 0);
	/* A new pool forgets every tag. */
	assert_int_equal(port_leases_reset(&pl, 10), 0);
	assert_int_equal(port_leases_count(&pl, 8), 0);
	port_leases_free(&pl);
}

/* Beyond PORT_LEASES_PORTS ports with leases, a new port is not counted;
 * a port whose leases all end frees its entry. */
static void test_bounded(void **state)
{
	struct port_leases pl = { 0 };

	(void)state;
	assert_int_equal(port_leases_reset(&pl, 1000), 0);
	for (unsigned p = 1; p <= PORT_LEASES_PORTS; p++)
		port_leases_set(&pl, p, p);
	port_leases_set(&pl, 500, 999);
	assert_int_equal(port_leases_count(&pl, 999), 0);
	assert_int_equal(port_leases_port_of(&pl, 500), 0);
	port_leases_set(&pl, 1, 0);
	port_leases_set(&pl, 501, 999);
	assert_int_equal(port_leases_count(&pl, 999), 1);
	port_leases_free(&pl);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_count_and_move),
		cmocka_unit_test(test_bounded),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
