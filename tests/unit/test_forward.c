/* Tests for daemon/forward.c: the spec parser, the table, the state file
 * and the JSON of `forward list`. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <netinet/in.h>

#include <cmocka.h>

#include "forward.h"

static struct forward parse_ok(const char *spec)
{
	struct forward f;
	const char *why = NULL;

	assert_int_equal(forward_parse(spec, strlen(spec), &f, &why), 0);
	return f;
}

static const char *parse_bad(const char *spec)
{
	struct forward f;
	const char *why = NULL;

	assert_int_equal(forward_parse(spec, strlen(spec), &f, &why), -EINVAL);
	assert_non_null(why);
	return why;
}

static void test_parse_name(void **state)
{
	struct forward f = parse_ok("tcp:2222:vm1:22");
	char buf[FORWARD_SPEC_MAX];

	assert_int_equal(f.proto, IPPROTO_TCP);
	assert_int_equal(f.port, 2222);
	assert_int_equal(f.guest_port, 22);
	assert_int_equal(f.kind, FORWARD_GUEST_NAME);
	assert_string_equal(f.guest, "vm1");
	assert_string_equal(forward_format(&f, buf), "tcp:2222:vm1:22");
	f = parse_ok("UDP:53:dns-box");
	assert_int_equal(f.proto, IPPROTO_UDP);
	assert_int_equal(f.guest_port, 53);
}

static void test_parse_mac_and_ip(void **state)
{
	struct forward f = parse_ok("tcp:80:52:54:00:AB:cd:EF");
	const uint8_t mac[6] = { 0x52, 0x54, 0x00, 0xab, 0xcd, 0xef };

	assert_int_equal(f.kind, FORWARD_GUEST_MAC);
	assert_memory_equal(f.mac, mac, 6);
	assert_string_equal(f.guest, "52:54:00:ab:cd:ef");
	assert_int_equal(f.guest_port, 80);
	f = parse_ok("tcp:80:52:54:00:ab:cd:ef:8080");
	assert_int_equal(f.guest_port, 8080);
	f = parse_ok("udp:9:172.20.48.5:10");
	assert_int_equal(f.kind, FORWARD_GUEST_IP);
	assert_int_equal(f.ip, 0xac143005u);
	assert_int_equal(f.guest_port, 10);
}

static void test_parse_refusals(void **state)
{
	assert_string_equal(parse_bad("icmp:1:vm1"), "PROTO is tcp or udp");
	assert_string_equal(parse_bad("tcp:0:vm1"), "HOSTPORT is a port number, 1-65535");
	assert_string_equal(parse_bad("tcp:65536:vm1"), "HOSTPORT is a port number, 1-65535");
	assert_string_equal(parse_bad("tcp:99999999999:vm1"), "HOSTPORT is a port number, 1-65535");
	assert_string_equal(parse_bad("tcp:-1:vm1"), "HOSTPORT is a port number, 1-65535");
	assert_string_equal(parse_bad("tcp:22:vm1:0"), "GUESTPORT is a port number, 1-65535");
	assert_string_equal(parse_bad("tcp:22:a..b"), "GUEST is a guest's name, its MAC or its address");
	assert_string_equal(parse_bad("tcp:22:-vm"), "GUEST is a guest's name, its MAC or its address");
	assert_string_equal(parse_bad("tcp:22:127.0.0.1"),
			    "GUEST is a guest's name, its MAC or its address");
	/* A group MAC is no guest. */
	assert_string_equal(parse_bad("tcp:22:01:00:5e:00:00:01"),
			    "GUEST is a guest's name, its MAC or its address");
	parse_bad("tcp:22");
	parse_bad("tcp:22:vm1:22:1");
	parse_bad("tcp:22:a:b:c:d:e:f:g:h");
	parse_bad("");
}

static void test_from_words(void **state)
{
	struct forward f;
	const char *why;

	assert_int_equal(forward_from_words("tcp", "2222", "vm1", NULL, &f, &why), 0);
	assert_int_equal(f.guest_port, 2222);
	assert_int_equal(forward_from_words("tcp", "70000", "vm1", NULL, &f, &why), -EINVAL);
	assert_int_equal(forward_from_words("tcp", "22", "vm1", "x", &f, &why), -EINVAL);
}

static void test_table(void **state)
{
	static struct forward_table t;
	struct forward f = parse_ok("tcp:22:vm1");

	t.n = 0;
	assert_int_equal(forward_table_add(&t, &f), 0);
	assert_int_equal(forward_table_add(&t, &f), -EEXIST);
	f.proto = IPPROTO_UDP;  /* the same port, another protocol */
	assert_int_equal(forward_table_add(&t, &f), 0);
	assert_int_equal(forward_table_find(&t, IPPROTO_UDP, 22), 1);
	forward_table_remove(&t, 0);
	assert_int_equal(t.n, 1);
	assert_int_equal(forward_table_find(&t, IPPROTO_TCP, 22), -1);
	for (uint16_t p = 100; t.n < FORWARD_MAX; p++) {
		f.port = p;
		assert_int_equal(forward_table_add(&t, &f), 0);
	}
	f.port = 60000;
	assert_int_equal(forward_table_add(&t, &f), -ENOSPC);
}

static void test_state_round_trip(void **state)
{
	static struct forward_table t, back;
	static const char text[] = "# comment\n  tcp:2222:vm1:22 \r\n\nudp:9:52:54:00:00:00:01\n"
				   "bogus\ntcp:2222:vm2\n";
	static char out[FORWARD_STATE_MAX];
	size_t bad;
	int len;

	t.n = 0;
	assert_int_equal(forward_state_parse(text, sizeof(text) - 1, &t, &bad), 0);
	assert_int_equal(t.n, 2);
	assert_int_equal(bad, 2);  /* "bogus", and 2222 twice */
	t.v[0].from_config = false;
	len = forward_state_format(&t, out, sizeof(out));
	assert_true(len > 0);
	assert_non_null(strstr(out, "\ntcp:2222:vm1:22\nudp:9:52:54:00:00:00:01:9\n"));
	back.n = 0;
	assert_int_equal(forward_state_parse(out, (size_t)len, &back, &bad), 0);
	assert_int_equal(bad, 0);
	assert_int_equal(back.n, 2);
	/* The configuration's forwards are not the state file's. */
	t.v[1].from_config = true;
	len = forward_state_format(&t, out, sizeof(out));
	assert_null(strstr(out, "udp:9"));
	assert_int_equal(forward_state_format(&t, out, 10), -ENOSPC);
}

static void test_json(void **state)
{
	struct forward f = parse_ok("tcp:2222:vm1:22");
	char *buf = NULL;
	size_t len = 0;
	FILE *out = open_memstream(&buf, &len);
	struct json j;

	assert_non_null(out);
	json_init(&j, out);
	json_array_begin(&j);
	forward_json(&j, &f);
	f.addr = 0xac143005u;
	forward_json(&j, &f);
	f.addr6[0] = 0xfd;
	f.addr6[15] = 5;
	forward_json(&j, &f);
	json_array_end(&j);
	assert_int_equal(fclose(out), 0);
	assert_string_equal(buf,
		"[{\"proto\":\"tcp\",\"port\":2222,\"guest\":\"vm1\",\"guest_port\":22,\"address\":null,"
		"\"address6\":null},"
		"{\"proto\":\"tcp\",\"port\":2222,\"guest\":\"vm1\",\"guest_port\":22,"
		"\"address\":\"172.20.48.5\",\"address6\":null},"
		"{\"proto\":\"tcp\",\"port\":2222,\"guest\":\"vm1\",\"guest_port\":22,"
		"\"address\":\"172.20.48.5\",\"address6\":\"fd00::5\"}]");
	free(buf);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_parse_name),
		cmocka_unit_test(test_parse_mac_and_ip),
		cmocka_unit_test(test_parse_refusals),
		cmocka_unit_test(test_from_words),
		cmocka_unit_test(test_table),
		cmocka_unit_test(test_state_round_trip),
		cmocka_unit_test(test_json),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
