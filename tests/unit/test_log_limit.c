/* common/log_limit.c: at most one log line per interval, held ones counted. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "log_limit.h"

static void test_first_then_once_per_interval(void **state)
{
	struct log_limit l = { 0 };
	uint64_t held = 99;

	(void)state;
	/* The first is logged even at time 0. */
	assert_true(log_limit_due(&l, 0, 10000, &held));
	assert_int_equal(held, 0);
	for (uint64_t t = 1; t < 10000; t += 7)
		assert_false(log_limit_due(&l, t, 10000, &held));
	assert_true(log_limit_due(&l, 10000, 10000, &held));
	assert_int_equal(held, 1429);
	/* The count starts again. */
	assert_false(log_limit_due(&l, 10001, 10000, &held));
	assert_true(log_limit_due(&l, 30000, 10000, NULL));
	assert_true(log_limit_due(&l, 40000, 10000, &held));
	assert_int_equal(held, 0);
}

static void test_interval_from_the_last_logged(void **state)
{
	struct log_limit l = { 0 };
	uint64_t held;

	(void)state;
	assert_true(log_limit_due(&l, 5000, 60000, &held));
	assert_false(log_limit_due(&l, 64999, 60000, &held));
	assert_true(log_limit_due(&l, 65000, 60000, &held));
	assert_int_equal(held, 1);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_first_then_once_per_interval),
		cmocka_unit_test(test_interval_from_the_last_logged),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
