/* Unit tests for ra/: the router advertisement codec (build, then parse
 * back), solicitation checks (RFC 4861 6.1.1), the schedule (6.2.4,
 * 6.2.6), and the advertisement the service's options give. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "ra_codec.h"
#include "ra_sched.h"
#include "ra_service.h"

static const uint8_t prefix[16] = { 0xfd, 0x12, 0x34, 0x56, 0x78, 0x9a, 0x00, 0x01 };
static const uint8_t gw[16] = { 0xfd, 0x12, 0x34, 0x56, 0x78, 0x9a, 0x00, 0x01, [15] = 1 };
static const uint8_t mac[6] = { 0x02, 0x11, 0x22, 0x33, 0x44, 0x55 };

static struct ra_service_opts opts(bool default_router, const char *domain)
{
	struct ra_service_opts o = {
		.ifname = "defnet0", .ifindex = 7, .prefix_len = 64, .mtu = 1500,
		.default_router = default_router, .domain = domain,
	};

	memcpy(o.prefix, prefix, 16);
	memcpy(o.gateway, gw, 16);
	memcpy(o.mac, mac, 6);
	return o;
}

static void test_build_parse_round_trip(void **state)
{
	struct ra_service_opts o = opts(true, "internal.example");
	struct ra_info ra, back;
	uint8_t buf[RA_MAX_LEN];
	int n;

	(void)state;
	ra_service_info(&o, false, &ra);
	n = ra_build(&ra, buf, sizeof(buf));
	/* header 16, SLL 8, MTU 8, RDNSS 24, prefix 32, DNSSL 8 + 18 -> 32 */
	assert_int_equal(n, 16 + 8 + 8 + 24 + 32 + 32);
	assert_int_equal(buf[0], RA_ICMP_RA);
	assert_int_equal(buf[5], 0x40);             /* O, not M */
	assert_int_equal(buf[6] << 8 | buf[7], RA_ROUTER_LIFETIME_S);
	assert_int_equal(ra_parse(buf, (size_t)n, &back), 0);
	assert_true(back.other);
	assert_false(back.managed);
	assert_int_equal(back.router_lifetime, RA_ROUTER_LIFETIME_S);
	assert_int_equal(back.mtu, 1500);
	assert_true(back.have_prefix && back.onlink && back.autonomous);
	assert_int_equal(back.prefix_len, 64);
	assert_memory_equal(back.prefix, prefix, 16);
	assert_true(back.valid_lifetime >= back.preferred_lifetime);
	assert_true(back.have_rdnss);
	assert_memory_equal(back.rdnss, gw, 16);
	/* RFC 8106 5.1: MaxRtrAdvInterval <= lifetime <= 2 * MaxRtrAdvInterval */
	assert_in_range(back.rdnss_lifetime, RA_MAX_INTERVAL_MS / 1000,
			2 * RA_MAX_INTERVAL_MS / 1000);
	assert_string_equal(back.dnssl, "internal.example");
	assert_true(back.have_sll);
	assert_memory_equal(back.sll, mac, 6);
}

static void test_no_domain_no_dnssl_final_zero(void **state)
{
	struct ra_service_opts o = opts(true, "");
	struct ra_info ra, back;
	uint8_t buf[RA_MAX_LEN];
	int n;

	(void)state;
	ra_service_info(&o, true, &ra);
	n = ra_build(&ra, buf, sizeof(buf));
	assert_int_equal(n, 16 + 8 + 8 + 24 + 32);
	assert_int_equal(ra_parse(buf, (size_t)n, &back), 0);
	assert_int_equal(back.router_lifetime, 0);
	assert_string_equal(back.dnssl, "");
	/* No route out: not a default router, the prefix still on-link. */
	o = opts(false, NULL);
	ra_service_info(&o, false, &ra);
	assert_int_equal(ra.router_lifetime, 0);
	assert_true(ra.have_prefix && ra.onlink);
}

/* A prefix given up goes out as a second prefix option with both
 * lifetimes 0 (deprecated at once), beside the current one. */
static void test_old_prefix_deprecated(void **state)
{
	struct ra_service_opts o = opts(true, NULL);
	const uint8_t old[16] = { 0xfd, 0x0f, 0xee, 0xdd, 0xcc, 0xbb, 0, 1 };
	struct ra_info ra, back;
	uint8_t buf[RA_MAX_LEN];
	int n;

	(void)state;
	memcpy(o.old_prefix, old, 16);
	o.old_prefix_len = 64;
	ra_service_info(&o, false, &ra);
	n = ra_build(&ra, buf, sizeof(buf));
	assert_int_equal(n, 16 + 8 + 8 + 24 + 32 + 32);
	/* The second prefix option: L and A, valid 0, preferred 0. */
	assert_int_equal(buf[16 + 8 + 8 + 24 + 32], 3);
	assert_int_equal(buf[16 + 8 + 8 + 24 + 32 + 3], 0xc0);
	assert_int_equal(ra_parse(buf, (size_t)n, &back), 0);
	assert_true(back.have_prefix);
	assert_memory_equal(back.prefix, o.prefix, 16);
	assert_int_not_equal(back.preferred_lifetime, 0);
	assert_true(back.have_old_prefix);
	assert_memory_equal(back.old_prefix, old, 16);
	assert_int_equal(back.old_prefix_len, 64);
	/* None given: none sent. */
	o.old_prefix_len = 0;
	ra_service_info(&o, false, &ra);
	assert_false(ra.have_old_prefix);
}

static void test_build_errors(void **state)
{
	struct ra_service_opts o = opts(true, "a..b");
	struct ra_info ra;
	uint8_t buf[RA_MAX_LEN];

	(void)state;
	ra_service_info(&o, false, &ra);
	assert_int_equal(ra_build(&ra, buf, sizeof(buf)), -EINVAL);
	o = opts(true, "ok");
	ra_service_info(&o, false, &ra);
	assert_int_equal(ra_build(&ra, buf, 40), -ENOSPC);
	ra.prefix_len = 129;
	assert_int_equal(ra_build(&ra, buf, sizeof(buf)), -EINVAL);
	assert_int_equal(ra_build(NULL, buf, sizeof(buf)), -EINVAL);
}

static void test_parse_bad(void **state)
{
	uint8_t buf[RA_MAX_LEN];
	struct ra_info ra;
	struct ra_service_opts o = opts(true, "x");
	int n;

	(void)state;
	ra_service_info(&o, false, &ra);
	n = ra_build(&ra, buf, sizeof(buf));
	assert_true(n > 0);
	assert_int_equal(ra_parse(buf, 15, &ra), -EINVAL);       /* short header */
	assert_int_equal(ra_parse(buf, (size_t)n - 1, &ra), -EINVAL);  /* cut option */
	buf[16 + 1] = 0;                                            /* zero length */
	assert_int_equal(ra_parse(buf, (size_t)n, &ra), -EINVAL);
	buf[16 + 1] = 1;
	buf[1] = 1;                                                 /* code */
	assert_int_equal(ra_parse(buf, (size_t)n, &ra), -EINVAL);
}

static void test_parse_rs(void **state)
{
	uint8_t rs[16] = { RA_ICMP_RS, 0, 0, 0, 0, 0, 0, 0, 1, 1, 2, 3, 4, 5, 6, 7 };
	uint8_t unknown[16] = { RA_ICMP_RS, 0, 0, 0, 0, 0, 0, 0, 99, 1 };
	struct ra_solicit s;

	(void)state;
	assert_int_equal(ra_parse_rs(rs, 8, &s), 0);
	assert_false(s.have_sll);
	assert_int_equal(ra_parse_rs(rs, 16, &s), 0);
	assert_true(s.have_sll);
	assert_int_equal(s.sll[0], 2);
	assert_int_equal(s.sll[5], 7);
	assert_int_equal(ra_parse_rs(unknown, 16, &s), 0);  /* RFC 4861 4.6: skipped */
	assert_int_equal(ra_parse_rs(rs, 7, &s), -EINVAL);
	assert_int_equal(ra_parse_rs(rs, 12, &s), -EINVAL);
	rs[9] = 0;
	assert_int_equal(ra_parse_rs(rs, 16, &s), -EINVAL);
	rs[9] = 1;
	rs[0] = RA_ICMP_RA;
	assert_int_equal(ra_parse_rs(rs, 16, &s), -EINVAL);
}

/* RFC 4861 4.4: type 136, code 0, R and O set, S clear, the target, and
 * the target link-layer address option (type 2, length 1). */
static void test_build_na(void **state)
{
	const uint8_t target[16] = { 0xfd, 0x12, [15] = 1 };
	const uint8_t lladdr[6] = { 0x52, 0x54, 0x00, 0xaa, 0xbb, 0xcc };
	uint8_t buf[RA_NA_LEN + 8];

	assert_int_equal(ra_build_na(target, lladdr, buf, sizeof(buf)), RA_NA_LEN);
	assert_int_equal(buf[0], RA_ICMP_NA);
	assert_int_equal(buf[1], 0);
	assert_int_equal(buf[4], 0xa0);
	assert_memory_equal(buf + 8, target, 16);
	assert_int_equal(buf[24], 2);
	assert_int_equal(buf[25], 1);
	assert_memory_equal(buf + 26, lladdr, 6);
	for (size_t size = 0; size < RA_NA_LEN; size++)
		assert_int_equal(ra_build_na(target, lladdr, buf, size), -ENOSPC);
}

static void test_sched(void **state)
{
	unsigned i;

	(void)state;
	/* RFC 4861 6.2.4: the first three at most 16 s apart. */
	for (i = 0; i < RA_MAX_INITIAL_ADVERTS; i++)
		assert_true(ra_sched_interval(i, UINT32_MAX - i) <= RA_MAX_INITIAL_INTERVAL_MS);
	assert_int_equal(ra_sched_interval(3, 0), RA_MIN_INTERVAL_MS);
	assert_int_equal(ra_sched_interval(3, RA_MAX_INTERVAL_MS - RA_MIN_INTERVAL_MS),
			 RA_MAX_INTERVAL_MS);
	for (i = 0; i < 1000; i++)
		assert_in_range(ra_sched_interval(10, i * 7919u), RA_MIN_INTERVAL_MS,
				RA_MAX_INTERVAL_MS);
	/* RFC 4861 6.2.6: at most 0.5 s of delay, 3 s after the last one. */
	assert_in_range(ra_sched_reply_at(100000, 0, 12345), 100000, 100000 + RA_MAX_DELAY_MS);
	assert_int_equal(ra_sched_reply_at(100000, 99000, 0), 99000 + RA_MIN_DELAY_BETWEEN_MS);
	assert_in_range(ra_sched_reply_at(100000, 50000, 7), 100000, 100000 + RA_MAX_DELAY_MS);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_build_parse_round_trip),
		cmocka_unit_test(test_no_domain_no_dnssl_final_zero),
		cmocka_unit_test(test_old_prefix_deprecated),
		cmocka_unit_test(test_build_errors),
		cmocka_unit_test(test_parse_bad),
		cmocka_unit_test(test_parse_rs),
		cmocka_unit_test(test_build_na),
		cmocka_unit_test(test_sched),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
