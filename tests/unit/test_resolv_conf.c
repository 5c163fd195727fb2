/* dns/resolv_conf.c: nameserver lines. */
#include <arpa/inet.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "resolv_conf.h"

static void parse(const char *s, struct resolv_conf *rc)
{
	resolv_conf_parse(s, strlen(s), rc);
}

static void test_basic(void **state)
{
	struct resolv_conf rc;

	parse("# generated\nsearch example.com\nnameserver 127.0.0.53\n"
	      "options edns0 trust-ad\nnameserver\t2001:db8::1 # v6\n", &rc);
	assert_int_equal(rc.n_servers, 2);
	assert_int_equal(rc.servers[0].family, AF_INET);
	assert_memory_equal(rc.servers[0].addr, "\x7f\x00\x00\x35", 4);
	assert_int_equal(rc.servers[0].port, 53);
	assert_int_equal(rc.servers[1].family, AF_INET6);
	assert_int_equal(rc.servers[1].addr[0], 0x20);
	assert_int_equal(rc.servers[1].addr[15], 1);
	assert_int_equal(rc.n_ignored, 0);
}

static void test_odd_lines(void **state)
{
	struct resolv_conf rc;

	/* Comments, CRLF, no final newline, junk, zones, duplicates. */
	parse("#nameserver 1.1.1.1\n;nameserver 1.1.1.2\n nameserver 1.1.1.3\n"
	      "nameserverx 1.1.1.4\nnameserver 1.1.1.5;c\r\nnameserver 999.1.1.1\n"
	      "nameserver fe80::1%eth0\nnameserver 1.1.1.5\nnameserver\nnameserver 10.0.0.1", &rc);
	assert_int_equal(rc.n_servers, 2);
	assert_memory_equal(rc.servers[0].addr, "\x01\x01\x01\x05", 4);
	assert_memory_equal(rc.servers[1].addr, "\x0a\x00\x00\x01", 4);
	assert_int_equal(rc.n_ignored, 2);   /* 999.1.1.1 and the zone */
}

static void test_limits(void **state)
{
	struct resolv_conf rc;
	char buf[1024] = "";

	for (int i = 1; i <= RESOLV_CONF_MAX_SERVERS + 2; i++) {
		char line[32];

		snprintf(line, sizeof(line), "nameserver 10.0.0.%d\n", i);
		strcat(buf, line);
	}
	parse(buf, &rc);
	assert_int_equal(rc.n_servers, RESOLV_CONF_MAX_SERVERS);
	assert_int_equal(rc.n_ignored, 2);
	parse("", &rc);
	assert_int_equal(rc.n_servers, 0);
	resolv_conf_parse(NULL, 0, &rc);
	assert_int_equal(rc.n_servers, 0);
	/* The length is respected: nothing past n is read. */
	resolv_conf_parse("nameserver 10.0.0.1", 14, &rc);
	assert_int_equal(rc.n_servers, 0);
}

static void test_same(void **state)
{
	struct resolv_conf a, b;

	parse("nameserver 10.0.0.1\nnameserver 10.0.0.2\n", &a);
	parse("nameserver 10.0.0.1\nnameserver 10.0.0.2\n", &b);
	assert_true(resolv_conf_same(a.servers, a.n_servers, b.servers, b.n_servers));
	parse("nameserver 10.0.0.2\nnameserver 10.0.0.1\n", &b);
	assert_false(resolv_conf_same(a.servers, a.n_servers, b.servers, b.n_servers));
	assert_false(resolv_conf_same(a.servers, 1, b.servers, 2));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_basic),
		cmocka_unit_test(test_odd_lines),
		cmocka_unit_test(test_limits),
		cmocka_unit_test(test_same),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
