/* dns/name_table.c: one name <-> one address, case, listeners. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "name_table.h"

struct events {
	char log[1024];
};

static void listener(void *ctx, const char *name, uint32_t ip, bool added)
{
	struct events *e = ctx;
	size_t n = strlen(e->log);

	snprintf(e->log + n, sizeof(e->log) - n, "%c%s=%u ", added ? '+' : '-', name, ip);
}

static void test_set_lookup(void **state)
{
	struct name_table *t = name_table_new();
	uint32_t ip = 0;

	assert_non_null(t);
	assert_int_equal(name_table_set(t, "VM1", 3, 10), 0);
	assert_int_equal(name_table_lookup(t, "vm1", 3, &ip), 0);
	assert_int_equal(ip, 10);
	assert_int_equal(name_table_lookup(t, "Vm1", 3, &ip), 0);
	assert_string_equal(name_table_reverse(t, 10), "vm1");
	assert_null(name_table_reverse(t, 11));
	assert_int_equal(name_table_lookup(t, "vm2", 3, &ip), -ENOENT);
	assert_int_equal(name_table_lookup(t, "vm1x", 3, &ip), 0);   /* length counts */
	assert_int_equal(name_table_count(t), 1);
	name_table_free(t);
}

static void test_check(void **state)
{
	struct name_table *t = name_table_new();
	char long_name[65];

	memset(long_name, 'a', 64);
	long_name[64] = 0;
	assert_int_equal(name_table_set(t, "-a", 2, 1), -EINVAL);
	assert_int_equal(name_table_set(t, "a-", 2, 1), -EINVAL);
	assert_int_equal(name_table_set(t, "a.b", 3, 1), -EINVAL);
	assert_int_equal(name_table_set(t, "a_b", 3, 1), -EINVAL);
	assert_int_equal(name_table_set(t, "", 0, 1), -EINVAL);
	assert_int_equal(name_table_set(t, long_name, 64, 1), -EINVAL);
	assert_int_equal(name_table_set(t, long_name, 63, 1), 0);
	assert_int_equal(name_table_set(t, "9-lives", 7, 2), 0);
	assert_int_equal(name_table_count(t), 2);
	name_table_free(t);
}

static void test_replace(void **state)
{
	struct name_table *t = name_table_new();
	struct events e = { "" };
	uint32_t ip;

	assert_int_equal(name_table_add_listener(t, listener, &e), 0);
	assert_int_equal(name_table_set(t, "a", 1, 1), 0);
	assert_int_equal(name_table_set(t, "a", 1, 1), 0);      /* no change, no event */
	assert_int_equal(name_table_set(t, "A", 1, 2), 0);      /* name moves */
	assert_int_equal(name_table_set(t, "b", 1, 2), 0);      /* address taken over */
	assert_string_equal(e.log, "+a=1 -a=1 +a=2 -a=2 +b=2 ");
	assert_int_equal(name_table_lookup(t, "a", 1, &ip), -ENOENT);
	assert_null(name_table_reverse(t, 1));
	assert_string_equal(name_table_reverse(t, 2), "b");
	assert_int_equal(name_table_count(t), 1);
	e.log[0] = 0;
	assert_int_equal(name_table_remove(t, "B", 1), 0);
	assert_int_equal(name_table_remove(t, "b", 1), -ENOENT);
	assert_int_equal(name_table_set(t, "c", 1, 3), 0);
	assert_int_equal(name_table_remove_ip(t, 3), 0);
	assert_int_equal(name_table_remove_ip(t, 3), -ENOENT);
	assert_string_equal(e.log, "-b=2 +c=3 -c=3 ");
	name_table_remove_listener(t, listener, &e);
	assert_int_equal(name_table_set(t, "d", 1, 4), 0);
	assert_string_equal(e.log, "-b=2 +c=3 -c=3 ");
	name_table_free(t);
}

static void test_many_and_iterate(void **state)
{
	struct name_table *t = name_table_new();
	struct name_table_iter it = { 0 };
	unsigned seen[1000] = { 0 }, n = 0;
	const char *name;
	uint32_t ip;
	char buf[16];

	for (uint32_t i = 0; i < 1000; i++) {
		int len = snprintf(buf, sizeof(buf), "host%u", i);

		assert_int_equal(name_table_set(t, buf, (size_t)len, 1000 + i), 0);
	}
	assert_int_equal(name_table_count(t), 1000);
	for (uint32_t i = 0; i < 1000; i += 37) {
		int len = snprintf(buf, sizeof(buf), "HOST%u", i);

		assert_int_equal(name_table_lookup(t, buf, (size_t)len, &ip), 0);
		assert_int_equal(ip, 1000 + i);
	}
	while (name_table_next(t, &it, &name, &ip)) {
		assert_true(ip >= 1000 && ip < 2000);
		snprintf(buf, sizeof(buf), "host%u", ip - 1000);
		assert_string_equal(name, buf);
		seen[ip - 1000]++;
		n++;
	}
	assert_int_equal(n, 1000);
	for (unsigned i = 0; i < 1000; i++)
		assert_int_equal(seen[i], 1);
	name_table_clear(t);
	assert_int_equal(name_table_count(t), 0);
	name_table_free(t);
}

static void test_listeners_bound(void **state)
{
	struct name_table *t = name_table_new();
	struct events e[NAME_TABLE_MAX_LISTENERS + 1];

	for (unsigned i = 0; i < NAME_TABLE_MAX_LISTENERS; i++)
		assert_int_equal(name_table_add_listener(t, listener, &e[i]), 0);
	assert_int_equal(name_table_add_listener(t, listener, &e[NAME_TABLE_MAX_LISTENERS]),
			 -ENOSPC);
	name_table_free(t);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_set_lookup),
		cmocka_unit_test(test_check),
		cmocka_unit_test(test_replace),
		cmocka_unit_test(test_many_and_iterate),
		cmocka_unit_test(test_listeners_bound),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
