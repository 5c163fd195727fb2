/* Unit tests for daemon/ip6.c: prefixes, and the choice of the guests'
 * ULA /64 (RFC 4193). */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "ip6.h"

/* Global ID 0x123456789a (low 40 bits), Subnet ID 0xbeef (bits 40..55). */
#define SEED UINT64_C(0x00beef123456789a)

static struct ip6_prefix pfx(const char *s)
{
	struct ip6_prefix p;

	assert_int_equal(ip6_prefix_parse(s, strlen(s), &p), 0);
	return p;
}

static void assert_prefix(const struct ip6_prefix *p, const char *want)
{
	char buf[IP6_PREFIX_STRLEN];

	assert_string_equal(ip6_prefix_format(p, buf), want);
}

static void test_parse(void **state)
{
	static const char *const bad[] = {
		"fd00::", "fd00::/", "fd00::/129", "fd00::/064", "fd00::1/64", "fd00::/6x",
		"fd00:::/64", "/64", "10.0.0.0/8", "fd00::/-1",
	};
	struct ip6_prefix p;
	size_t i;

	(void)state;
	p = pfx("fd12:3456:789a:1::/64");
	assert_int_equal(p.len, 64);
	assert_int_equal(p.addr[0], 0xfd);
	assert_int_equal(p.addr[7], 0x01);
	assert_prefix(&p, "fd12:3456:789a:1::/64");
	p = pfx("::/0");
	assert_int_equal(p.len, 0);
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		assert_int_equal(ip6_prefix_parse(bad[i], strlen(bad[i]), &p), -EINVAL);
	/* Not NUL-terminated: only n bytes count. */
	assert_int_equal(ip6_prefix_parse("fd00::/8junk", 8, &p), 0);
	assert_int_equal(p.len, 8);
}

static void test_overlaps(void **state)
{
	struct ip6_prefix a = pfx("fd12:3456:789a:1::/64");
	struct ip6_prefix b = pfx("fd00::/8"), c = pfx("fd12:3456:789a:2::/64");
	struct ip6_prefix d = pfx("fd12:3456:789a:1::5/128"), e = pfx("fe80::/10");

	(void)state;
	assert_true(ip6_prefix_overlaps(&a, &b));
	assert_true(ip6_prefix_overlaps(&b, &a));
	assert_false(ip6_prefix_overlaps(&a, &c));
	assert_true(ip6_prefix_overlaps(&a, &d));
	assert_true(ip6_prefix_contains(&a, d.addr));
	assert_false(ip6_prefix_contains(&a, c.addr));
	assert_false(ip6_prefix_contains(&(struct ip6_prefix){ .len = 0 }, d.addr));
	assert_false(ip6_prefix_overlaps(&a, &e));
	assert_true(ip6_prefix_equal(&a, &a));
	assert_false(ip6_prefix_equal(&a, &c));
}

static void test_gateway(void **state)
{
	struct ip6_prefix p = pfx("fd12:3456:789a:1::/64");
	char buf[IP6_STRLEN];
	uint8_t gw[16];

	(void)state;
	ip6_gateway(&p, gw);
	assert_string_equal(ip6_format(gw, buf), "fd12:3456:789a:1::1");
}

static void test_ula_from_seed(void **state)
{
	struct ip6_prefix out;

	(void)state;
	assert_int_equal(ip6_ula_choose(NULL, 0, NULL, 0, SEED, &out), 0);
	assert_prefix(&out, "fd12:3456:789a:beef::/64");
	/* The same seed, the same prefix: stable across restarts. */
	assert_int_equal(ip6_ula_choose(NULL, 0, NULL, 0, SEED, &out), 0);
	assert_prefix(&out, "fd12:3456:789a:beef::/64");
	/* Another machine, another Global ID. */
	assert_int_equal(ip6_ula_choose(NULL, 0, NULL, 0, SEED ^ 0xff, &out), 0);
	assert_prefix(&out, "fd12:3456:7865:beef::/64");
}

static void test_ula_skips_used_and_avoided(void **state)
{
	struct ip6_prefix used[] = { pfx("fd12:3456:789a:beef::42/128"),
				     pfx("2001:db8::/32") };
	struct ip6_prefix avoid[] = { pfx("fd12:3456:789a:bef0::/64") };
	struct ip6_prefix out;

	(void)state;
	assert_int_equal(ip6_ula_choose(used, 2, avoid, 1, SEED, &out), 0);
	assert_prefix(&out, "fd12:3456:789a:bef1::/64");
}

static void test_ula_wraps_and_runs_out(void **state)
{
	struct ip6_prefix used[] = { pfx("fd12:3456:789a:ffff::/64") };
	struct ip6_prefix all = pfx("fd00::/8"), out;
	uint64_t seed = UINT64_C(0x00ffff123456789a);

	(void)state;
	assert_int_equal(ip6_ula_choose(used, 1, NULL, 0, seed, &out), 0);
	assert_prefix(&out, "fd12:3456:789a::/64");
	assert_int_equal(ip6_ula_choose(&all, 1, NULL, 0, seed, &out), -ENOSPC);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_parse),
		cmocka_unit_test(test_overlaps),
		cmocka_unit_test(test_gateway),
		cmocka_unit_test(test_ula_from_seed),
		cmocka_unit_test(test_ula_skips_used_and_avoided),
		cmocka_unit_test(test_ula_wraps_and_runs_out),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
