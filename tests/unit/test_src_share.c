/* common/src_share.c: per-source buckets and counts, bounded. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>

#include <cmocka.h>

#include "src_share.h"

static struct src_share t;

static void test_bucket_per_source(void **state)
{
	unsigned a, b;

	(void)state;
	src_share_init(&t, 10, 20, 0);
	a = src_share_find(&t, 0x0a000002, 0);
	b = src_share_find(&t, 0x0a000003, 0);
	assert_int_not_equal(a, b);
	for (int i = 0; i < 20; i++)
		assert_true(src_share_take(&t, a, 0, 1));
	assert_false(src_share_take(&t, a, 0, 1));
	assert_true(src_share_spent(&t, a, 0));
	assert_false(src_share_spent(&t, b, 0));
	/* The other source's bucket is whole. */
	assert_true(src_share_take(&t, b, 0, 20));
	/* 10 a second: one back each 100 ms. */
	assert_false(src_share_take(&t, a, 99, 1));
	assert_true(src_share_take(&t, a, 100, 1));
	assert_false(src_share_take(&t, a, 100, 1));
	/* Found again, same slot, same bucket. */
	assert_int_equal(src_share_find(&t, 0x0a000002, 150), a);
	assert_false(src_share_take(&t, a, 150, 1));
	/* Long idle: full, never more. */
	assert_true(src_share_take(&t, a, 1000000, 20));
	assert_false(src_share_take(&t, a, 1000000, 1));
}

static void test_hold_limit(void **state)
{
	unsigned a, b;

	(void)state;
	src_share_init(&t, 0, 0, 7);
	a = src_share_find(&t, 1, 0);
	for (int i = 0; i < 4; i++)
		assert_true(src_share_hold(&t, a, 4));
	assert_false(src_share_hold(&t, a, 4));
	assert_int_equal(src_share_held(&t, a), 4);
	b = src_share_find(&t, 2, 0);
	assert_true(src_share_hold(&t, b, 4));
	src_share_release(&t, a);
	assert_true(src_share_hold(&t, a, 4));
	/* Without a bucket, taking always succeeds. */
	assert_true(src_share_take(&t, a, 0, 1000));
}

/* A flood of fresh addresses fills the table; the ones that hold
 * something keep their slots, the rest go to overflow, memory is fixed. */
static void test_bounded(void **state)
{
	unsigned held[SRC_SHARE_SLOTS], n = 0, over = 0;

	(void)state;
	src_share_init(&t, 0, 0, 12345);
	for (uint32_t a = 1; a <= 4 * SRC_SHARE_SLOTS; a++) {
		unsigned k = src_share_find(&t, a, 0);

		assert_true(src_share_hold(&t, k, UINT32_MAX));
		if (k == SRC_SHARE_OVERFLOW)
			over++;
		else
			held[n++] = k;
	}
	assert_true(n <= SRC_SHARE_SLOTS);
	assert_int_equal(t.in_use, n);
	assert_int_equal(n + over, 4 * SRC_SHARE_SLOTS);
	assert_int_equal(src_share_held(&t, SRC_SHARE_OVERFLOW), over);
	/* Released slots are taken by new sources. */
	for (unsigned i = 0; i < n; i++)
		src_share_release(&t, held[i]);
	over = 0;
	for (uint32_t a = 100000; a < 100000 + SRC_SHARE_SLOTS / 2; a++)
		over += src_share_find(&t, a, 0) == SRC_SHARE_OVERFLOW;
	assert_true(over < SRC_SHARE_SLOTS / 16);
}

/* A spent bucket is not a free slot: a source cannot refill itself by
 * being pushed out of the table. */
static void test_spent_not_reused(void **state)
{
	unsigned a;

	(void)state;
	src_share_init(&t, 1, 1, 0);
	a = src_share_find(&t, 9, 0);
	assert_true(src_share_take(&t, a, 0, 1));
	for (uint32_t x = 10; x < 10 + 4 * SRC_SHARE_SLOTS; x++)
		src_share_find(&t, x, 0);
	assert_int_equal(src_share_find(&t, 9, 0), a);
	assert_false(src_share_take(&t, a, 0, 1));
}

/* Sources found this second or the last: one alone may have it all. */
static void test_active(void **state)
{
	(void)state;
	src_share_init(&t, 10, 20, 0);
	assert_int_equal(src_share_active(&t, 0), 0);
	src_share_find(&t, 1, 100);
	src_share_find(&t, 1, 200);
	assert_int_equal(src_share_active(&t, 300), 1);
	src_share_find(&t, 2, 400);
	assert_int_equal(src_share_active(&t, 500), 2);
	/* The next second remembers the last one's. */
	src_share_find(&t, 1, 1100);
	assert_int_equal(src_share_active(&t, 1200), 2);
	/* Two seconds on, only source 1 was seen in the last one. */
	src_share_find(&t, 1, 2100);
	assert_int_equal(src_share_active(&t, 2200), 1);
	/* A gap: nothing before. */
	assert_int_equal(src_share_active(&t, 9000), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_bucket_per_source),
		cmocka_unit_test(test_hold_limit),
		cmocka_unit_test(test_bounded),
		cmocka_unit_test(test_spent_not_reused),
		cmocka_unit_test(test_active),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
