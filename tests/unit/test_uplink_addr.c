/* Tests for daemon/uplink_addr.c: the address masquerade picks. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "uplink_addr.h"

static void test_masq_addr(void **state)
{
	const struct uplink_addr a[] = {
		{ .addr = 0xc6336402u, .len = 24, .primary = true },   /* 198.51.100.2/24 */
		{ .addr = 0xc6336403u, .len = 24, .primary = false },  /* secondary */
		{ .addr = 0xc6120002u, .len = 24, .primary = true },   /* 198.18.0.2/24 */
	};

	/* The address on the gateway's subnet. */
	assert_int_equal(uplink_masq_addr(a, 3, 0xc6336401u), 0xc6336402u);
	assert_int_equal(uplink_masq_addr(a, 3, 0xc6120001u), 0xc6120002u);
	/* A gateway on no subnet of the link: the first primary. */
	assert_int_equal(uplink_masq_addr(a, 3, 0x0a000001u), 0xc6336402u);
	assert_int_equal(uplink_masq_addr(a + 1, 2, 0x0a000001u), 0xc6120002u);
	/* On-link route: it depends on the destination. */
	assert_int_equal(uplink_masq_addr(a, 3, 0), 0);
	/* Secondaries only: none. */
	assert_int_equal(uplink_masq_addr(a + 1, 1, 0xc6336401u), 0);
	assert_int_equal(uplink_masq_addr(a, 0, 0xc6336401u), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_masq_addr),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
