#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "heal_budget.h"

static void test_burst_then_refused(void **state)
{
	struct heal_budget b;

	(void)state;
	heal_budget_init(&b, 1000);
	for (int i = 0; i < HEAL_BURST; i++)
		assert_int_equal(heal_budget_take(&b, 1000 + (uint64_t)i), 0);
	assert_int_equal(heal_budget_take(&b, 1010), HEAL_REFILL_MS - 10);
	assert_int_equal(b.repairs, HEAL_BURST);
	assert_int_equal(b.refused, 1);
}

static void test_refill_one_per_interval(void **state)
{
	struct heal_budget b;

	(void)state;
	heal_budget_init(&b, 0);
	for (int i = 0; i < HEAL_BURST; i++)
		assert_int_equal(heal_budget_take(&b, 0), 0);
	assert_int_equal(heal_budget_take(&b, HEAL_REFILL_MS), 0);
	assert_int_not_equal(heal_budget_take(&b, HEAL_REFILL_MS + 1), 0);
	/* A long quiet spell gives back the whole burst, no more. */
	for (int i = 0; i < HEAL_BURST; i++)
		assert_int_equal(heal_budget_take(&b, 100 * HEAL_REFILL_MS), 0);
	assert_int_not_equal(heal_budget_take(&b, 100 * HEAL_REFILL_MS), 0);
}

static void test_loop_bounded(void **state)
{
	struct heal_budget b;
	uint64_t allowed = 0;

	(void)state;
	heal_budget_init(&b, 0);
	/* A flush every 50 ms for 10 s. */
	for (uint64_t t = 0; t < HEAL_WARN_MS; t += 50)
		allowed += heal_budget_take(&b, t) == 0;
	assert_true(allowed <= HEAL_BURST + HEAL_WARN_MS / HEAL_REFILL_MS);
	assert_true(allowed >= HEAL_BURST);
}

static void test_warn_once_per_interval(void **state)
{
	struct heal_budget b;

	(void)state;
	heal_budget_init(&b, 0);
	assert_true(heal_budget_should_warn(&b, 100));
	assert_false(heal_budget_should_warn(&b, 200));
	assert_false(heal_budget_should_warn(&b, 100 + HEAL_WARN_MS - 1));
	assert_true(heal_budget_should_warn(&b, 100 + HEAL_WARN_MS));
}

static void test_clock_back(void **state)
{
	struct heal_budget b;

	(void)state;
	heal_budget_init(&b, 5000);
	for (int i = 0; i < HEAL_BURST; i++)
		assert_int_equal(heal_budget_take(&b, 5000), 0);
	assert_true(heal_budget_take(&b, 10) <= HEAL_REFILL_MS);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_burst_then_refused),
		cmocka_unit_test(test_refill_one_per_interval),
		cmocka_unit_test(test_loop_bounded),
		cmocka_unit_test(test_warn_once_per_interval),
		cmocka_unit_test(test_clock_back),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
