/* Unit tests for daemon/ip4.c: canonical parsing and formatting. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "ip4.h"

static int parse_ip(const char *s, uint32_t *out)
{
	return ip4_parse(s, strlen(s), out);
}

static int parse_prefix(const char *s, struct ip4_prefix *out)
{
	return ip4_prefix_parse(s, strlen(s), out);
}

static int parse_mac(const char *s, uint8_t out[6])
{
	return mac_parse(s, strlen(s), out);
}

static void test_ip4_parse_valid(void **state)
{
	static const struct {
		const char *text;
		uint32_t addr;
	} cases[] = {
		{ "0.0.0.0", 0 },
		{ "1.2.3.4", 0x01020304 },
		{ "10.0.0.1", 0x0a000001 },
		{ "172.20.48.0", 0xac143000 },
		{ "192.168.100.200", 0xc0a864c8 },
		{ "255.255.255.255", 0xffffffff },
		{ "100.64.0.99", 0x64400063 },
	};
	size_t i;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		uint32_t addr = 0xdeadbeef;

		assert_int_equal(parse_ip(cases[i].text, &addr), 0);
		assert_int_equal(addr, cases[i].addr);
	}
}

static void test_ip4_parse_invalid(void **state)
{
	static const char *const bad[] = {
		"", ".", "1", "1.2", "1.2.3", "1.2.3.4.", "1.2.3.4.5", ".1.2.3",
		"1..2.3", "256.0.0.1", "1.2.3.256", "999.1.1.1", "1000.1.1.1",
		"01.2.3.4", "1.02.3.4", "1.2.3.04", "1.2.3.00", "00.0.0.0",
		" 1.2.3.4", "1.2.3.4 ", "1.2. 3.4", "1.2.3.4/24", "a.b.c.d",
		"1.2.3.x", "0x1.2.3.4", "1.2.3.-4", "+1.2.3.4", "1.2.3.4\n",
		"1.2.3.1234", "::1", "1,2,3,4",
	};
	size_t i;

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		uint32_t addr = 0x11223344;

		if (parse_ip(bad[i], &addr) != -EINVAL)
			fail_msg("'%s' was accepted", bad[i]);
		assert_int_equal(addr, 0x11223344);
	}
}

/* The parser must stop at n: the bytes after it are not part of the text. */
static void test_ip4_parse_respects_length(void **state)
{
	const char text[] = "10.1.2.345";
	uint32_t addr;

	assert_int_equal(ip4_parse(text, 8, &addr), 0);
	assert_int_equal(addr, 0x0a010203);
	assert_int_equal(ip4_parse(text, 9, &addr), 0);
	assert_int_equal(addr, 0x0a010222);
	assert_int_equal(ip4_parse(text, 10, &addr), -EINVAL);
	assert_int_equal(ip4_parse(text, 7, &addr), -EINVAL);
	assert_int_equal(ip4_parse(text, 0, &addr), -EINVAL);
}

static void test_ip4_prefix_parse_valid(void **state)
{
	struct ip4_prefix p;

	assert_int_equal(parse_prefix("172.20.48.0/20", &p), 0);
	assert_int_equal(p.addr, 0xac143000);
	assert_int_equal(p.len, 20);
	assert_int_equal(parse_prefix("0.0.0.0/0", &p), 0);
	assert_int_equal(p.addr, 0);
	assert_int_equal(p.len, 0);
	assert_int_equal(parse_prefix("10.1.2.3/32", &p), 0);
	assert_int_equal(p.addr, 0x0a010203);
	assert_int_equal(p.len, 32);
	assert_int_equal(parse_prefix("10.0.0.0/8", &p), 0);
	assert_int_equal(p.len, 8);
	assert_int_equal(parse_prefix("192.168.1.252/30", &p), 0);
	assert_int_equal(p.addr, 0xc0a801fc);
}

static void test_ip4_prefix_parse_invalid(void **state)
{
	static const char *const bad[] = {
		"", "/", "/24", "10.0.0.0", "10.0.0.0/", "10.0.0.0/33",
		"10.0.0.0/024", "10.0.0.0/00", "10.0.0.0/-1", "10.0.0.0/+8",
		"10.0.0.0/ 8", "10.0.0.0 /8", "10.0.0.0/8 ", "10.0.0.0/8/8",
		"10.0.0.1/24", "172.20.48.0/19", "0.0.0.1/0", "10.0.0.0/1000",
		"10.0.0.0/x", "010.0.0.0/8", "10.0.0/8",
	};
	size_t i;

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		struct ip4_prefix p = { .addr = 7, .len = 7 };

		if (parse_prefix(bad[i], &p) != -EINVAL)
			fail_msg("'%s' was accepted", bad[i]);
		assert_int_equal(p.addr, 7);
		assert_int_equal(p.len, 7);
	}
}

static void test_ip4_prefix_parse_respects_length(void **state)
{
	const char text[] = "128.0.0.0/16";
	struct ip4_prefix p;

	assert_int_equal(ip4_prefix_parse(text, 11, &p), 0);
	assert_int_equal(p.addr, 0x80000000);
	assert_int_equal(p.len, 1);
	assert_int_equal(ip4_prefix_parse(text, 10, &p), -EINVAL);
	assert_int_equal(ip4_prefix_parse(text, 12, &p), 0);
	assert_int_equal(p.len, 16);
}

static void test_ip4_prefix_helpers(void **state)
{
	struct ip4_prefix p = { .addr = 0xac143000, .len = 20 };
	struct ip4_prefix q = { .addr = 0xac100000, .len = 12 };
	struct ip4_prefix r = { .addr = 0x0a000000, .len = 8 };

	assert_int_equal(ip4_mask(0), 0);
	assert_int_equal(ip4_mask(20), 0xfffff000);
	assert_int_equal(ip4_mask(32), 0xffffffff);
	assert_int_equal(ip4_prefix_last(p), 0xac143fff);
	assert_true(ip4_prefix_contains(p, 0xac143abc));
	assert_false(ip4_prefix_contains(p, 0xac144000));
	assert_true(ip4_prefix_overlaps(p, q));
	assert_true(ip4_prefix_overlaps(q, p));
	assert_false(ip4_prefix_overlaps(p, r));
}

static void test_mac_parse_valid(void **state)
{
	static const uint8_t want[6] = { 0x52, 0x54, 0x00, 0xab, 0xcd, 0xef };
	uint8_t mac[6];

	assert_int_equal(parse_mac("52:54:00:ab:cd:ef", mac), 0);
	assert_memory_equal(mac, want, 6);
	assert_int_equal(parse_mac("52:54:00:AB:CD:EF", mac), 0);
	assert_memory_equal(mac, want, 6);
	assert_int_equal(parse_mac("52:54:00:aB:Cd:eF", mac), 0);
	assert_memory_equal(mac, want, 6);
	assert_int_equal(parse_mac("ff:ff:ff:ff:ff:ff", mac), 0);
	assert_int_equal(mac[0], 0xff);
	assert_int_equal(mac[5], 0xff);
}

static void test_mac_parse_invalid(void **state)
{
	static const char *const bad[] = {
		"", "52:54:00:ab:cd", "52:54:00:ab:cd:ef:01", "52:54:00:ab:cd:e",
		"52:54:00:ab:cd:eff", "52-54-00-ab-cd-ef", "5254.00ab.cdef",
		"525400abcdef", "52:54:00:ab:cd:eg", " 52:54:00:ab:cd:ef",
		"52:54:00:ab:cd:ef ", "2:54:00:ab:cd:ef0", "52:54:00:ab:cd::f",
		"52:54:00:ab:cd:ef:", "0x:54:00:ab:cd:ef",
	};
	size_t i;

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		uint8_t mac[6] = { 1, 2, 3, 4, 5, 6 };
		static const uint8_t untouched[6] = { 1, 2, 3, 4, 5, 6 };

		if (parse_mac(bad[i], mac) != -EINVAL)
			fail_msg("'%s' was accepted", bad[i]);
		assert_memory_equal(mac, untouched, 6);
	}
}

static void test_mac_parse_respects_length(void **state)
{
	const char text[] = "52:54:00:ab:cd:ef:01";
	uint8_t mac[6];

	assert_int_equal(mac_parse(text, 17, mac), 0);
	assert_int_equal(mac[5], 0xef);
	assert_int_equal(mac_parse(text, 16, mac), -EINVAL);
	assert_int_equal(mac_parse(text, 18, mac), -EINVAL);
}

static void test_ip4_format(void **state)
{
	char buf[IP4_STRLEN];
	char pbuf[IP4_PREFIX_STRLEN];
	struct ip4_prefix p = { .addr = 0xac143000, .len = 20 };
	struct ip4_prefix widest = { .addr = 0xffffffff, .len = 32 };

	assert_string_equal(ip4_format(0, buf), "0.0.0.0");
	assert_string_equal(ip4_format(0x0a000001, buf), "10.0.0.1");
	assert_string_equal(ip4_format(0xffffffff, buf), "255.255.255.255");
	assert_ptr_equal(ip4_format(1, buf), buf);
	assert_string_equal(ip4_prefix_format(p, pbuf), "172.20.48.0/20");
	assert_string_equal(ip4_prefix_format(widest, pbuf), "255.255.255.255/32");
	assert_ptr_equal(ip4_prefix_format(p, pbuf), pbuf);
}

static void test_mac_format(void **state)
{
	static const uint8_t mac[6] = { 0x52, 0x54, 0x00, 0xAB, 0x0c, 0xff };
	char buf[MAC_STRLEN];

	assert_string_equal(mac_format(mac, buf), "52:54:00:ab:0c:ff");
	assert_ptr_equal(mac_format(mac, buf), buf);
}

/* Whatever the formatters write, the parsers read back. */
static void test_round_trip(void **state)
{
	static const uint32_t addrs[] = { 0, 1, 0x7f000001, 0x0a0a0a0a,
					  0xc0a80001, 0xfffffffe, 0xffffffff };
	char buf[IP4_STRLEN], pbuf[IP4_PREFIX_STRLEN], mbuf[MAC_STRLEN];
	uint8_t mac[6] = { 0x02, 0, 0, 0, 0, 0 }, back[6];
	unsigned len;
	size_t i;

	for (i = 0; i < sizeof(addrs) / sizeof(addrs[0]); i++) {
		uint32_t out;

		assert_int_equal(parse_ip(ip4_format(addrs[i], buf), &out), 0);
		assert_int_equal(out, addrs[i]);
	}
	for (len = 0; len <= 32; len++) {
		struct ip4_prefix p = { .addr = 0xc0a8abcd & ip4_mask((uint8_t)len),
					.len = (uint8_t)len };
		struct ip4_prefix out;

		assert_int_equal(parse_prefix(ip4_prefix_format(p, pbuf), &out), 0);
		assert_int_equal(out.addr, p.addr);
		assert_int_equal(out.len, p.len);
	}
	for (i = 0; i < 256; i++) {
		mac[1] = (uint8_t)i;
		mac[5] = (uint8_t)(255 - i);
		assert_int_equal(parse_mac(mac_format(mac, mbuf), back), 0);
		assert_memory_equal(back, mac, 6);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_ip4_parse_valid),
		cmocka_unit_test(test_ip4_parse_invalid),
		cmocka_unit_test(test_ip4_parse_respects_length),
		cmocka_unit_test(test_ip4_prefix_parse_valid),
		cmocka_unit_test(test_ip4_prefix_parse_invalid),
		cmocka_unit_test(test_ip4_prefix_parse_respects_length),
		cmocka_unit_test(test_ip4_prefix_helpers),
		cmocka_unit_test(test_mac_parse_valid),
		cmocka_unit_test(test_mac_parse_invalid),
		cmocka_unit_test(test_mac_parse_respects_length),
		cmocka_unit_test(test_ip4_format),
		cmocka_unit_test(test_mac_format),
		cmocka_unit_test(test_round_trip),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
