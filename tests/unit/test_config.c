/* Unit tests for daemon/config.c: every key, every error with its line,
 * the checks across keys, and config_load()'s file handling. */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include "config.h"

static int parse(struct config *c, struct config_error *err, const char *text)
{
	config_init(c);
	return config_parse(c, text, strlen(text), err);
}

static void assert_defaults(const struct config *c)
{
	assert_int_equal(c->log_level, LOG_LEVEL_INFO);
	assert_string_equal(c->bridge, "defnet0");
	assert_true(c->subnet_auto);
	assert_true(c->ipv6);
	assert_true(c->prefix6_auto);
	assert_string_equal(c->domain, "");
	assert_int_equal(c->lease_time, 3600);
	assert_true(c->pool_auto);
	assert_int_equal(c->rate_limit, CONFIG_RATE_LIMIT_DEFAULT);
	assert_int_equal(c->rate_limit_port, CONFIG_RATE_LIMIT_PORT_DEFAULT);
	assert_null(c->reservations);
	assert_int_equal(c->n_reservations, 0);
	assert_true(c->upstream_auto);
	assert_int_equal(c->n_upstreams, 0);
	assert_string_equal(c->resolv_conf, "/etc/resolv.conf");
	assert_true(c->mdns_enable);
	assert_true(c->masquerade);
	assert_false(c->docker_compat);
	assert_true(c->guard_dhcp_servers);
	assert_true(c->guard_router_ads);
}

/* Parses text, which must succeed; the caller frees c. */
static void expect_ok(struct config *c, const char *text)
{
	struct config_error err;
	int r = parse(c, &err, text);

	if (r != 0)
		fail_msg("unexpected error %d at line %u: %s\n--- input ---\n%s",
			 r, err.line, err.msg, text);
}

/* Parses text, which must fail at line with a message containing part,
 * and leave c at the defaults. */
static void expect_error(const char *text, unsigned line, const char *part)
{
	struct config c;
	struct config_error err;
	int r = parse(&c, &err, text);

	if (r != -EINVAL)
		fail_msg("expected -EINVAL, got %d\n--- input ---\n%s", r, text);
	if (err.line != line || !strstr(err.msg, part))
		fail_msg("got line %u '%s', want line %u and '%s'\n--- input ---\n%s",
			 err.line, err.msg, line, part, text);
	assert_defaults(&c);
	config_free(&c);
}

/* ---- defaults, layout, structure ---- */

static void test_defaults(void **state)
{
	struct config c;

	config_init(&c);
	assert_defaults(&c);
	config_free(&c);
	expect_ok(&c, "");
	assert_defaults(&c);
	config_free(&c);
	expect_ok(&c, "# only a comment\n; another\n\n[Daemon]\n[Network]\n[DHCP]\n[DNS]\n[MDNS]\n[NAT]\n");
	assert_defaults(&c);
	config_free(&c);
}

static void test_config_free_twice(void **state)
{
	struct config c;

	expect_ok(&c, "[DHCP]\nReservation=52:54:00:00:00:01 10.0.0.5\n");
	assert_int_equal(c.n_reservations, 1);
	config_free(&c);
	assert_null(c.reservations);
	assert_int_equal(c.n_reservations, 0);
	config_free(&c);
}

static void test_comments_and_whitespace(void **state)
{
	struct config c;

	expect_ok(&c,
		  "# leading comment\n"
		  "; semicolon comment\n"
		  "\n"
		  "   \t \n"
		  "  [Daemon]  \n"
		  "\t# indented comment\n"
		  "  LogLevel  =\t debug \t\n"
		  "[Network]\n"
		  "Bridge = br0\n");
	assert_int_equal(c.log_level, LOG_LEVEL_DEBUG);
	assert_string_equal(c.bridge, "br0");
	config_free(&c);
	/* As in systemd, '#' starts a comment only at the start of a line:
	 * inside a value it is part of the value. */
	expect_error("[Network]\nDomain=internal # note\n", 2,
		     "[Network] Domain: 'internal # note' is not a domain name");
}

static void test_crlf_and_last_line(void **state)
{
	struct config c;

	expect_ok(&c,
		  "# comment\r\n"
		  "\r\n"
		  "[Daemon]\r\n"
		  "LogLevel=warning\r\n"
		  "[Network]\r\n"
		  "Subnet=10.20.0.0/16\r\n"
		  "[DHCP]\r\n"
		  "Reservation=52:54:00:00:00:01 10.20.0.9 vm1\r\n"
		  "[NAT]\r\n"
		  "DockerCompat=yes");
	assert_int_equal(c.log_level, LOG_LEVEL_WARNING);
	assert_false(c.subnet_auto);
	assert_int_equal(c.subnet.addr, 0x0a140000);
	assert_int_equal(c.subnet.len, 16);
	assert_int_equal(c.n_reservations, 1);
	assert_string_equal(c.reservations[0].name, "vm1");
	assert_true(c.docker_compat);
	config_free(&c);
	expect_error("[Daemon]\r\nLogLevel=loud\r\n", 2,
		     "[Daemon] LogLevel: 'loud' is not a log level");
}

static void test_full_file(void **state)
{
	static const uint8_t mac[6] = { 0x52, 0x54, 0x00, 0x12, 0x34, 0x56 };
	struct config c;

	expect_ok(&c,
		  "[Daemon]\n"
		  "LogLevel=debug\n"
		  "[Network]\n"
		  "Bridge=vmbr1\n"
		  "Subnet=172.20.48.0/20\n"
		  "Domain=internal\n"
		  "[DHCP]\n"
		  "LeaseTime=2d\n"
		  "Pool=172.20.48.100-172.20.48.200\n"
		  "Reservation=52:54:00:12:34:56 172.20.48.50 buildbox\n"
		  "[DNS]\n"
		  "Upstream=192.0.2.53 [2001:db8::53]:5353\n"
		  "ResolvConf=/run/systemd/resolve/resolv.conf\n"
		  "[MDNS]\n"
		  "Enable=no\n"
		  "[NAT]\n"
		  "Masquerade=no\n"
		  "DockerCompat=yes\n");
	assert_int_equal(c.log_level, LOG_LEVEL_DEBUG);
	assert_string_equal(c.bridge, "vmbr1");
	assert_false(c.subnet_auto);
	assert_int_equal(c.subnet.addr, 0xac143000);
	assert_int_equal(c.subnet.len, 20);
	assert_string_equal(c.domain, "internal");
	assert_int_equal(c.lease_time, 2 * 86400);
	assert_false(c.pool_auto);
	assert_int_equal(c.pool_first, 0xac143064);
	assert_int_equal(c.pool_last, 0xac1430c8);
	assert_int_equal(c.n_reservations, 1);
	assert_memory_equal(c.reservations[0].mac, mac, 6);
	assert_int_equal(c.reservations[0].ip, 0xac143032);
	assert_string_equal(c.reservations[0].name, "buildbox");
	assert_false(c.upstream_auto);
	assert_int_equal(c.n_upstreams, 2);
	assert_string_equal(c.resolv_conf, "/run/systemd/resolve/resolv.conf");
	assert_false(c.mdns_enable);
	assert_false(c.masquerade);
	assert_true(c.docker_compat);
	config_free(&c);
}

static void test_last_assignment_wins(void **state)
{
	struct config c;

	expect_ok(&c,
		  "[Daemon]\nLogLevel=debug\n"
		  "[NAT]\nMasquerade=no\n"
		  "[Daemon]\nLogLevel=error\n"
		  "[NAT]\nMasquerade=yes\n");
	assert_int_equal(c.log_level, LOG_LEVEL_ERROR);
	assert_true(c.masquerade);
	config_free(&c);
}

static void test_structure_errors(void **state)
{
	expect_error("[Daemon]\n[Foo]\n", 2, "unknown section [Foo]");
	expect_error("[dhcp]\n", 1, "unknown section [dhcp]");
	expect_error("[ DHCP ]\n", 1, "unknown section [ DHCP ]");
	expect_error("\n\n[DHCP\n", 3, "'[DHCP' is not a section header");
	expect_error("[]\n", 1, "'[]' is not a section header");
	expect_error("[DHCP] # c\n", 1, "'[DHCP] # c' is not a section header");
	expect_error("LeaseTime=1h\n", 1,
		     "LeaseTime: key outside any section");
	expect_error("# c\n\nFoo = bar\n[DHCP]\n", 3,
		     "Foo: key outside any section");
	expect_error("[DHCP]\nLeaseTime=1h\nFoo=bar\n", 3,
		     "[DHCP] Foo: unknown key");
	expect_error("[DHCP]\nleasetime=1h\n", 2,
		     "[DHCP] leasetime: unknown key");
	expect_error("[Network]\nLeaseTime=1h\n", 2,
		     "[Network] LeaseTime: unknown key");
	expect_error("[DHCP]\nLeaseTime 1h\n", 2,
		     "'LeaseTime 1h' is not a [Section] header, a Key=value line or a # comment");
	expect_error("[DHCP]\n = 1h\n", 2, "has no key before '='");
	expect_error("[NAT]\n\n\n=\n", 4, "has no key before '='");
}

static void test_exact_message(void **state)
{
	struct config c;
	struct config_error err;

	assert_int_equal(parse(&c, &err, "[DHCP]\nLeaseTime=5x\n"), -EINVAL);
	assert_int_equal(err.line, 2);
	assert_string_equal(err.msg,
			    "[DHCP] LeaseTime: '5x' is not a duration (use e.g. 30m, 1h, 2d)");
	config_free(&c);
}

static void test_long_lines(void **state)
{
	/* "[Daemon]\n", "#" + 4095 x = 4096 bytes, then 4097 bytes. */
	size_t sz = 9 + 4097 + 4098 + 1;
	char *text = malloc(sz);
	struct config c;
	struct config_error err;
	char *p = text;

	assert_non_null(text);
	p += sprintf(p, "[Daemon]\n#");
	memset(p, 'x', 4095);
	p += 4095;
	*p++ = '\n';
	*p++ = '#';
	memset(p, 'y', 4096);
	p += 4096;
	*p++ = '\n';
	*p = '\0';
	assert_int_equal(parse(&c, &err, text), -EINVAL);
	assert_int_equal(err.line, 3);
	assert_non_null(strstr(err.msg, "longer than 4096 bytes"));
	config_free(&c);
	/* Without the last line, the 4096-byte line is fine. */
	assert_int_equal(config_parse(&c, text, 9 + 4097, &err), 0);
	config_free(&c);
	free(text);
}

static void test_nul_byte(void **state)
{
	static const char text[] = "[Daemon]\n# ok\nLogLevel=in\0fo\n";
	struct config c;
	struct config_error err;

	config_init(&c);
	assert_int_equal(config_parse(&c, text, sizeof(text) - 1, &err), -EINVAL);
	assert_int_equal(err.line, 3);
	assert_non_null(strstr(err.msg, "NUL byte"));
	assert_defaults(&c);
	/* A NUL on a comment line counts as well. */
	assert_int_equal(config_parse(&c, "#\0\n", 3, &err), -EINVAL);
	assert_int_equal(err.line, 1);
	config_free(&c);
}

/* The parser reads len bytes and no more: the buffer needs no NUL. */
static void test_respects_length(void **state)
{
	static const char text[] = "[Daemon]\nLogLevel=infoXYZ";
	struct config c;
	struct config_error err;

	config_init(&c);
	assert_int_equal(config_parse(&c, text, sizeof(text) - 1 - 3, &err), 0);
	assert_int_equal(c.log_level, LOG_LEVEL_INFO);
	assert_int_equal(config_parse(&c, text, sizeof(text) - 1, &err), -EINVAL);
	assert_int_equal(config_parse(&c, text, 0, &err), 0);
	assert_defaults(&c);
	config_free(&c);
}

static void test_error_message_is_printable_and_bounded(void **state)
{
	char text[600];
	struct config c;
	struct config_error err;
	size_t i;

	strcpy(text, "[DHCP]\nLeaseTime=\x01\x7f\xc3\xa9");
	for (i = strlen(text); i < sizeof(text) - 2; i++)
		text[i] = 'z';
	text[i] = '\n';
	text[i + 1] = '\0';
	assert_int_equal(parse(&c, &err, text), -EINVAL);
	assert_int_equal(err.line, 2);
	assert_non_null(strstr(err.msg, "'????zzz"));
	assert_non_null(strstr(err.msg, "...' is not a duration"));
	for (i = 0; err.msg[i]; i++)
		assert_true(err.msg[i] >= 0x20 && err.msg[i] < 0x7f);
	assert_true(strlen(err.msg) < sizeof(err.msg));
	config_free(&c);
}

/* A failed parse frees what an earlier part of the file allocated and
 * leaves the defaults (valgrind checks the freeing). */
static void test_error_resets(void **state)
{
	expect_error("[Daemon]\nLogLevel=debug\n"
		     "[DHCP]\n"
		     "Reservation=52:54:00:00:00:01 10.0.0.5\n"
		     "Reservation=52:54:00:00:00:02 10.0.0.6\n"
		     "LeaseTime=1y\n", 6, "LeaseTime");
}

/* ---- [Daemon] ---- */

static void test_log_level(void **state)
{
	static const struct {
		const char *text;
		enum log_level level;
	} cases[] = {
		{ "[Daemon]\nLogLevel=error\n", LOG_LEVEL_ERROR },
		{ "[Daemon]\nLogLevel=warning\n", LOG_LEVEL_WARNING },
		{ "[Daemon]\nLogLevel=info\n", LOG_LEVEL_INFO },
		{ "[Daemon]\nLogLevel=debug\n", LOG_LEVEL_DEBUG },
		{ "[Daemon]\nLogLevel=debug\nLogLevel=\n", LOG_LEVEL_INFO },
	};
	struct config c;
	size_t i;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		expect_ok(&c, cases[i].text);
		assert_int_equal(c.log_level, cases[i].level);
		config_free(&c);
	}
	expect_error("[Daemon]\nLogLevel=verbose\n", 2,
		     "[Daemon] LogLevel: 'verbose' is not a log level (use error, warning, info or debug)");
	expect_error("[Daemon]\nLogLevel=Debug\n", 2, "'Debug' is not a log level");
	expect_error("[Daemon]\nLogLevel=warn\n", 2, "'warn' is not a log level");
}

/* ---- [Network] ---- */

static void test_bridge(void **state)
{
	struct config c;

	expect_ok(&c, "[Network]\nBridge=br-vm.10\n");
	assert_string_equal(c.bridge, "br-vm.10");
	config_free(&c);
	expect_ok(&c, "[Network]\nBridge=abcdefghijklmno\n");
	assert_string_equal(c.bridge, "abcdefghijklmno");
	config_free(&c);
	expect_ok(&c, "[Network]\nBridge=br0\nBridge=\n");
	assert_string_equal(c.bridge, "defnet0");
	config_free(&c);
	expect_error("[Network]\nBridge=abcdefghijklmnop\n", 2,
		     "[Network] Bridge: 'abcdefghijklmnop' is not an interface name");
	expect_error("[Network]\nBridge=a/b\n", 2, "'a/b' is not an interface name");
	expect_error("[Network]\nBridge=a:b\n", 2, "'a:b' is not an interface name");
	expect_error("[Network]\nBridge=a b\n", 2, "'a b' is not an interface name");
	expect_error("[Network]\nBridge=a\tb\n", 2, "is not an interface name");
	expect_error("[Network]\nBridge=.\n", 2, "'.' is not an interface name");
	expect_error("[Network]\nBridge=..\n", 2, "'..' is not an interface name");
	expect_error("[Network]\nBridge=a\x7f\n", 2, "is not an interface name");
}

static void test_subnet(void **state)
{
	struct config c;

	expect_ok(&c, "[Network]\nSubnet=10.0.0.0/8\n");
	assert_false(c.subnet_auto);
	assert_int_equal(c.subnet.addr, 0x0a000000);
	assert_int_equal(c.subnet.len, 8);
	config_free(&c);
	expect_ok(&c, "[Network]\nSubnet=192.168.7.4/30\n");
	assert_int_equal(c.subnet.addr, 0xc0a80704);
	assert_int_equal(c.subnet.len, 30);
	config_free(&c);
	expect_ok(&c, "[Network]\nSubnet=10.0.0.0/8\nSubnet=auto\n");
	assert_true(c.subnet_auto);
	config_free(&c);
	expect_ok(&c, "[Network]\nSubnet=10.0.0.0/8\nSubnet=\n");
	assert_true(c.subnet_auto);
	config_free(&c);
	expect_error("[Network]\nSubnet=172.20.48.1/20\n", 2,
		     "[Network] Subnet: '172.20.48.1/20' has host bits set; did you mean 172.20.48.0/20?");
	expect_error("[Network]\nSubnet=10.1.2.3/8\n", 2, "did you mean 10.0.0.0/8?");
	expect_error("[Network]\nSubnet=10.0.0.0/7\n", 2,
		     "'10.0.0.0/7': the prefix length must be between 8 and 30");
	expect_error("[Network]\nSubnet=10.0.0.0/31\n", 2, "between 8 and 30");
	expect_error("[Network]\nSubnet=10.0.0.0/32\n", 2, "between 8 and 30");
	expect_error("[Network]\nSubnet=0.0.0.0/0\n", 2, "between 8 and 30");
	expect_error("[Network]\nSubnet=10.0.0.0/33\n", 2,
		     "'10.0.0.0/33' is not auto or a CIDR such as 172.20.48.0/20");
	expect_error("[Network]\nSubnet=10.0.0.0\n", 2, "is not auto or a CIDR");
	expect_error("[Network]\nSubnet=10.0.0.0/08\n", 2, "is not auto or a CIDR");
	expect_error("[Network]\nSubnet=010.0.0.0/8\n", 2, "is not auto or a CIDR");
	expect_error("[Network]\nSubnet=10.0.0.0/\n", 2, "is not auto or a CIDR");
	expect_error("[Network]\nSubnet=10.0.0.0 /8\n", 2, "is not auto or a CIDR");
	expect_error("[Network]\nSubnet=Auto\n", 2, "is not auto or a CIDR");
}

static void test_domain(void **state)
{
	char text[400];
	struct config c;

	expect_ok(&c, "[Network]\nDomain=internal\n");
	assert_string_equal(c.domain, "internal");
	config_free(&c);
	expect_ok(&c, "[Network]\nDomain=vm.Corp-1.example.\n");
	assert_string_equal(c.domain, "vm.Corp-1.example");
	config_free(&c);
	expect_ok(&c, "[Network]\nDomain=0lab.1x\n");
	assert_string_equal(c.domain, "0lab.1x");
	config_free(&c);
	expect_ok(&c, "[Network]\nDomain=internal\nDomain=\n");
	assert_string_equal(c.domain, "");
	config_free(&c);
	expect_ok(&c, "[Network]\nDomain=localdomain\n");
	assert_string_equal(c.domain, "localdomain");
	config_free(&c);
	expect_ok(&c, "[Network]\nDomain=local.internal\n");
	config_free(&c);

	/* 63 a's, then labels up to exactly 253 characters. */
	snprintf(text, sizeof(text), "[Network]\nDomain=%.63s.%.63s.%.63s.%.61s\n",
		 "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa",
		 "bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb",
		 "cccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccc",
		 "dddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddd");
	expect_ok(&c, text);
	assert_int_equal(strlen(c.domain), 253);
	config_free(&c);
	snprintf(text, sizeof(text), "[Network]\nDomain=%.63s.%.63s.%.63s.%.62s\n",
		 "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa",
		 "bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb",
		 "cccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccc",
		 "dddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddd");
	expect_error(text, 2, "is not a domain name");
	snprintf(text, sizeof(text), "[Network]\nDomain=%.64s.example\n",
		 "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa");
	expect_error(text, 2, "is not a domain name");

	expect_error("[Network]\nDomain=local\n", 2,
		     "[Network] Domain: 'local' is for multicast DNS");
	expect_error("[Network]\nDomain=LOCAL.\n", 2, "is for multicast DNS");
	expect_error("[Network]\nDomain=lab.local\n", 2, "is for multicast DNS");
	expect_error("[Network]\nDomain=lab.Local.\n", 2, "is for multicast DNS");
	expect_error("[Network]\nDomain=-lab\n", 2, "'-lab' is not a domain name");
	expect_error("[Network]\nDomain=lab-\n", 2, "is not a domain name");
	expect_error("[Network]\nDomain=a..b\n", 2, "is not a domain name");
	expect_error("[Network]\nDomain=.a\n", 2, "is not a domain name");
	expect_error("[Network]\nDomain=.\n", 2, "is not a domain name");
	expect_error("[Network]\nDomain=a.b..\n", 2, "is not a domain name");
	expect_error("[Network]\nDomain=my_lab\n", 2, "is not a domain name");
	expect_error("[Network]\nDomain=my lab\n", 2, "is not a domain name");
}

/* ---- [DHCP] ---- */

static void test_lease_time(void **state)
{
	static const struct {
		const char *value;
		uint32_t secs;
	} ok[] = {
		{ "60", 60 }, { "60s", 60 }, { "90s", 90 }, { "1m", 60 },
		{ "30m", 1800 }, { "1h", 3600 }, { "2d", 172800 },
		{ "3600", 3600 }, { "1h30m", 5400 }, { "1d12h", 129600 },
		{ "1m30s", 90 }, { "30d", 2592000 }, { "720h", 2592000 },
		{ "29d23h59m59s", 2591999 }, { "0h1m", 60 }, { "", 3600 },
	};
	static const char *const not_duration[] = {
		"5x", "h", "1H", "1 h", "1h 30m", "-1h", "1.5h", "1h30", "1hh",
		"0x10", "m1", "1min",
	};
	char text[128];
	struct config c;
	size_t i;

	for (i = 0; i < sizeof(ok) / sizeof(ok[0]); i++) {
		snprintf(text, sizeof(text), "[DHCP]\nLeaseTime=1d\nLeaseTime=%s\n",
			 ok[i].value);
		expect_ok(&c, text);
		if (c.lease_time != ok[i].secs)
			fail_msg("'%s' gave %u, want %u", ok[i].value,
				 c.lease_time, ok[i].secs);
		config_free(&c);
	}
	for (i = 0; i < sizeof(not_duration) / sizeof(not_duration[0]); i++) {
		snprintf(text, sizeof(text), "[DHCP]\nLeaseTime=%s\n",
			 not_duration[i]);
		expect_error(text, 2, "is not a duration (use e.g. 30m, 1h, 2d)");
	}
	expect_error("[DHCP]\nLeaseTime=59\n", 2,
		     "[DHCP] LeaseTime: '59' is shorter than the minimum of 60s");
	expect_error("[DHCP]\nLeaseTime=59s\n", 2, "shorter than the minimum");
	expect_error("[DHCP]\nLeaseTime=0\n", 2, "shorter than the minimum");
	expect_error("[DHCP]\nLeaseTime=30d1s\n", 2,
		     "'30d1s' is longer than the maximum of 30d");
	expect_error("[DHCP]\nLeaseTime=31d\n", 2, "longer than the maximum");
	expect_error("[DHCP]\nLeaseTime=2592001\n", 2, "longer than the maximum");
	expect_error("[DHCP]\nLeaseTime=99999999999999999999999d\n", 2,
		     "longer than the maximum");
	expect_error("[DHCP]\nLeaseTime=4294967296s\n", 2, "longer than the maximum");
}

static void test_rate_limit(void **state)
{
	static const char *const bad[] = { "0", "-1", "1.5", "10/s", "01", "1000001", "on", "x" };
	char text[128];
	struct config c;
	size_t i;

	expect_ok(&c, "[DHCP]\nRateLimit=5000\nRateLimitPerPort=off\n");
	assert_int_equal(c.rate_limit, 5000);
	assert_int_equal(c.rate_limit_port, 0);
	config_free(&c);
	expect_ok(&c, "[DHCP]\nRateLimit=off\nRateLimit=\nRateLimitPerPort=1000000\n");
	assert_int_equal(c.rate_limit, CONFIG_RATE_LIMIT_DEFAULT);
	assert_int_equal(c.rate_limit_port, 1000000);
	config_free(&c);
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		snprintf(text, sizeof(text), "[DHCP]\nLeaseTime=1h\nRateLimit=%s\n", bad[i]);
		expect_error(text, 3, "is not off or a number of new leases per second");
		snprintf(text, sizeof(text), "[DHCP]\nRateLimitPerPort=%s\n", bad[i]);
		expect_error(text, 2, "[DHCP] RateLimitPerPort: '");
	}
}

static void test_leases_per_port(void **state)
{
	static const char *const bad[] = { "0", "-1", "1.5", "01", "16777217", "on", "x" };
	char text[128];
	struct config c;
	size_t i;

	expect_ok(&c, "[DHCP]\n");
	assert_int_equal(c.leases_per_port, CONFIG_LEASES_PER_PORT_DEFAULT);
	config_free(&c);
	expect_ok(&c, "[DHCP]\nLeasesPerPort=off\n");
	assert_int_equal(c.leases_per_port, 0);
	config_free(&c);
	expect_ok(&c, "[DHCP]\nLeasesPerPort=5\nLeasesPerPort=\n");
	assert_int_equal(c.leases_per_port, CONFIG_LEASES_PER_PORT_DEFAULT);
	config_free(&c);
	expect_ok(&c, "[DHCP]\nLeasesPerPort=1000\n");
	assert_int_equal(c.leases_per_port, 1000);
	config_free(&c);
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		snprintf(text, sizeof(text), "[DHCP]\nLeaseTime=1h\nLeasesPerPort=%s\n", bad[i]);
		expect_error(text, 3, "[DHCP] LeasesPerPort: '");
	}
}

static void test_pool(void **state)
{
	struct config c;

	expect_ok(&c, "[Network]\nSubnet=10.0.0.0/24\n[DHCP]\nPool=10.0.0.2-10.0.0.254\n");
	assert_false(c.pool_auto);
	assert_int_equal(c.pool_first, 0x0a000002);
	assert_int_equal(c.pool_last, 0x0a0000fe);
	config_free(&c);
	/* Pool before Subnet, spaces around the dash, one address. */
	expect_ok(&c, "[DHCP]\nPool=10.0.0.7 - 10.0.0.7\n[Network]\nSubnet=10.0.0.0/24\n");
	assert_int_equal(c.pool_first, 0x0a000007);
	assert_int_equal(c.pool_last, 0x0a000007);
	config_free(&c);
	expect_ok(&c, "[DHCP]\nPool=auto\n");
	assert_true(c.pool_auto);
	config_free(&c);
	expect_ok(&c, "[Network]\nSubnet=10.0.0.0/24\n[DHCP]\nPool=10.0.0.2-10.0.0.9\nPool=\n");
	assert_true(c.pool_auto);
	config_free(&c);
	/* Resetting Pool makes Subnet=auto acceptable again. */
	expect_ok(&c, "[DHCP]\nPool=10.0.0.2-10.0.0.9\nPool=auto\n");
	config_free(&c);

	expect_error("[DHCP]\nPool=10.0.0.2\n", 2,
		     "[DHCP] Pool: '10.0.0.2' is not auto or a range such as 172.20.48.100-172.20.48.200");
	expect_error("[DHCP]\nPool=10.0.0.2-\n", 2, "is not auto or a range");
	expect_error("[DHCP]\nPool=10.0.0.2-10.0.0.9-10.0.0.10\n", 2,
		     "is not auto or a range");
	expect_error("[DHCP]\nPool=10.0.0.02-10.0.0.9\n", 2, "is not auto or a range");
	expect_error("[DHCP]\nPool=10.0.0.9-10.0.0.2\n", 2,
		     "'10.0.0.9-10.0.0.2' ends before it starts");
}

static void test_pool_combinations(void **state)
{
	expect_error("[DHCP]\nPool=10.0.0.2-10.0.0.9\n", 2,
		     "[DHCP] Pool: Pool needs a fixed Subnet");
	expect_error("[Network]\nSubnet=10.0.0.0/24\n[DHCP]\nPool=10.0.0.2-10.0.0.9\n"
		     "[Network]\nSubnet=auto\n", 6, "Pool needs a fixed Subnet");
	expect_error("[Network]\nSubnet=10.0.0.0/24\n[DHCP]\nPool=10.0.1.2-10.0.1.9\n", 4,
		     "[DHCP] Pool: 10.0.1.2-10.0.1.9 is not inside Subnet 10.0.0.0/24");
	expect_error("[Network]\nSubnet=10.0.0.0/24\n[DHCP]\nPool=10.0.0.200-10.0.1.9\n", 4,
		     "is not inside Subnet 10.0.0.0/24");
	/* The later key carries the line: here the Subnet. */
	expect_error("[DHCP]\nPool=10.0.1.2-10.0.1.9\n\n[Network]\nSubnet=10.0.0.0/24\n", 5,
		     "is not inside Subnet");
	expect_error("[Network]\nSubnet=10.0.0.0/24\n[DHCP]\nPool=10.0.0.1-10.0.0.9\n", 4,
		     "10.0.0.1-10.0.0.9 contains 10.0.0.1, the gateway address of Subnet 10.0.0.0/24");
	expect_error("[Network]\nSubnet=10.0.0.0/24\n[DHCP]\nPool=10.0.0.0-10.0.0.9\n", 4,
		     "contains 10.0.0.0, the network address");
	expect_error("[Network]\nSubnet=10.0.0.0/24\n[DHCP]\nPool=10.0.0.2-10.0.0.255\n", 4,
		     "contains 10.0.0.255, the broadcast address");
	expect_error("[Network]\nSubnet=10.0.0.4/30\n[DHCP]\nPool=10.0.0.5-10.0.0.6\n", 4,
		     "contains 10.0.0.5, the gateway address of Subnet 10.0.0.4/30");
}

static void test_reservation(void **state)
{
	static const uint8_t mac1[6] = { 0x52, 0x54, 0x00, 0xab, 0xcd, 0xef };
	static const uint8_t mac2[6] = { 0x02, 0, 0, 0, 0, 0x02 };
	char text[256];
	struct config c;

	expect_ok(&c,
		  "[DHCP]\n"
		  "Reservation=52:54:00:AB:cd:ef 10.0.0.5 build-box1\n"
		  "Reservation = \t02:00:00:00:00:02   10.0.0.6 \n");
	assert_int_equal(c.n_reservations, 2);
	assert_memory_equal(c.reservations[0].mac, mac1, 6);
	assert_int_equal(c.reservations[0].ip, 0x0a000005);
	assert_string_equal(c.reservations[0].name, "build-box1");
	assert_memory_equal(c.reservations[1].mac, mac2, 6);
	assert_int_equal(c.reservations[1].ip, 0x0a000006);
	assert_string_equal(c.reservations[1].name, "");
	config_free(&c);

	/* An empty value clears the list; entries after it count. */
	expect_ok(&c,
		  "[DHCP]\n"
		  "Reservation=52:54:00:00:00:01 10.0.0.5 a\n"
		  "Reservation=52:54:00:00:00:02 10.0.0.6 b\n"
		  "Reservation=\n"
		  "Reservation=52:54:00:00:00:01 10.0.0.6 a\n");
	assert_int_equal(c.n_reservations, 1);
	assert_int_equal(c.reservations[0].ip, 0x0a000006);
	assert_string_equal(c.reservations[0].name, "a");
	config_free(&c);
	expect_ok(&c, "[DHCP]\nReservation=52:54:00:00:00:01 10.0.0.5\nReservation=\n");
	assert_int_equal(c.n_reservations, 0);
	config_free(&c);

	snprintf(text, sizeof(text), "[DHCP]\nReservation=52:54:00:00:00:01 10.0.0.5 %s\n",
		 "a23456789012345678901234567890123456789012345678901234567890123");
	expect_ok(&c, text);
	assert_int_equal(strlen(c.reservations[0].name), 63);
	config_free(&c);
	snprintf(text, sizeof(text), "[DHCP]\nReservation=52:54:00:00:00:01 10.0.0.5 %s\n",
		 "a234567890123456789012345678901234567890123456789012345678901234");
	expect_error(text, 2, "is not a host name");

	expect_error("[DHCP]\nReservation=52:54:00:00:00:01\n", 2,
		     "[DHCP] Reservation: '52:54:00:00:00:01' is not MAC IP [NAME]");
	expect_error("[DHCP]\nReservation=52:54:00:00:00:01 10.0.0.5 a b\n", 2,
		     "is not MAC IP [NAME]");
	expect_error("[DHCP]\nReservation=52-54-00-00-00-01 10.0.0.5\n", 2,
		     "'52-54-00-00-00-01' is not a MAC address such as 52:54:00:12:34:56");
	expect_error("[DHCP]\nReservation=01:00:5e:00:00:01 10.0.0.5\n", 2,
		     "'01:00:5e:00:00:01' is not a unicast MAC address");
	expect_error("[DHCP]\nReservation=ff:ff:ff:ff:ff:ff 10.0.0.5\n", 2,
		     "is not a unicast MAC address");
	expect_error("[DHCP]\nReservation=00:00:00:00:00:00 10.0.0.5\n", 2,
		     "is not a unicast MAC address");
	expect_error("[DHCP]\nReservation=52:54:00:00:00:01 10.0.0.256\n", 2,
		     "'10.0.0.256' is not an IPv4 address");
	expect_error("[DHCP]\nReservation=52:54:00:00:00:01 10.0.0.5/24\n", 2,
		     "is not an IPv4 address");
	expect_error("[DHCP]\nReservation=52:54:00:00:00:01 127.0.0.2\n", 2,
		     "'127.0.0.2' cannot be a guest's address");
	expect_error("[DHCP]\nReservation=52:54:00:00:00:01 0.1.2.3\n", 2,
		     "cannot be a guest's address");
	expect_error("[DHCP]\nReservation=52:54:00:00:00:01 224.0.0.251\n", 2,
		     "cannot be a guest's address");
	expect_error("[DHCP]\nReservation=52:54:00:00:00:01 255.255.255.255\n", 2,
		     "cannot be a guest's address");
	expect_error("[DHCP]\nReservation=52:54:00:00:00:01 10.0.0.5 my_vm\n", 2,
		     "'my_vm' is not a host name");
	expect_error("[DHCP]\nReservation=52:54:00:00:00:01 10.0.0.5 -vm\n", 2,
		     "is not a host name");
	expect_error("[DHCP]\nReservation=52:54:00:00:00:01 10.0.0.5 vm.lab\n", 2,
		     "is not a host name");
}

static void test_reservation_duplicates(void **state)
{
	expect_error("[DHCP]\n"
		     "Reservation=52:54:00:00:00:01 10.0.0.5\n"
		     "Reservation=52:54:00:00:00:02 10.0.0.6\n"
		     "Reservation=52:54:00:00:00:01 10.0.0.7\n", 4,
		     "[DHCP] Reservation: MAC 52:54:00:00:00:01 is already reserved on line 2");
	expect_error("[DHCP]\n"
		     "Reservation=52:54:00:00:00:01 10.0.0.5\n"
		     "Reservation=52:54:00:00:00:02 10.0.0.5\n", 3,
		     "IP 10.0.0.5 is already reserved on line 2");
	expect_error("[DHCP]\n"
		     "Reservation=52:54:00:00:00:01 10.0.0.5 vm\n"
		     "\n"
		     "Reservation=52:54:00:00:00:02 10.0.0.6 VM\n", 4,
		     "name 'VM' is already reserved on line 2");
}

/* Parsing a second file over a config keeps its reservations, and a
 * duplicate of one of them is still found. */
static void test_reservation_over_existing(void **state)
{
	struct config c;
	struct config_error err;
	static const char more[] = "[DHCP]\nReservation=52:54:00:00:00:02 10.0.0.6\n";
	static const char dup[] = "[DHCP]\nReservation=52:54:00:00:00:01 10.0.0.7\n";

	expect_ok(&c, "[DHCP]\nReservation=52:54:00:00:00:01 10.0.0.5\n");
	assert_int_equal(config_parse(&c, more, strlen(more), &err), 0);
	assert_int_equal(c.n_reservations, 2);
	assert_int_equal(config_parse(&c, dup, strlen(dup), &err), -EINVAL);
	assert_int_equal(err.line, 2);
	assert_string_equal(err.msg,
			    "[DHCP] Reservation: MAC 52:54:00:00:00:01 is already reserved");
	assert_defaults(&c);
	config_free(&c);
}

/* Clearing reservations that an earlier parse left, then adding more. */
static void test_reservation_clear_existing(void **state)
{
	static const char again[] = "[DHCP]\nReservation=\n"
				    "Reservation=52:54:00:00:00:03 10.0.0.7\n"
				    "Reservation=52:54:00:00:00:04 10.0.0.8\n"
				    "Reservation=52:54:00:00:00:03 10.0.0.9\n";
	struct config c;
	struct config_error err;

	expect_ok(&c, "[DHCP]\nReservation=52:54:00:00:00:01 10.0.0.5\n"
		  "Reservation=52:54:00:00:00:02 10.0.0.6\n");
	assert_int_equal(config_parse(&c, again, strlen(again) - 39, &err), 0);
	assert_int_equal(c.n_reservations, 2);
	assert_int_equal(c.reservations[0].ip, 0x0a000007);
	assert_int_equal(c.reservations[1].ip, 0x0a000008);
	assert_int_equal(config_parse(&c, again, strlen(again), &err), -EINVAL);
	assert_int_equal(err.line, 5);
	assert_non_null(strstr(err.msg, "already reserved on line 3"));
	config_free(&c);
}

static void test_reservation_combinations(void **state)
{
	struct config c;

	/* With Subnet=auto a reservation cannot be checked yet. */
	expect_ok(&c, "[DHCP]\nReservation=52:54:00:00:00:01 192.168.1.1\n");
	config_free(&c);
	/* Inside the pool is fine: the pool skips reserved addresses. */
	expect_ok(&c, "[Network]\nSubnet=10.0.0.0/24\n[DHCP]\nPool=10.0.0.2-10.0.0.254\n"
		  "Reservation=52:54:00:00:00:01 10.0.0.10\n");
	config_free(&c);

	expect_error("[Network]\nSubnet=10.0.0.0/24\n[DHCP]\n"
		     "Reservation=52:54:00:00:00:01 10.0.0.10\n"
		     "Reservation=52:54:00:00:00:02 10.0.1.10\n", 5,
		     "[DHCP] Reservation: 10.0.1.10 is not inside Subnet 10.0.0.0/24");
	expect_error("[DHCP]\nReservation=52:54:00:00:00:02 10.0.1.10\n"
		     "[Network]\n\nSubnet=10.0.0.0/24\n", 5,
		     "10.0.1.10 is not inside Subnet 10.0.0.0/24");
	expect_error("[Network]\nSubnet=10.0.0.0/24\n[DHCP]\n"
		     "Reservation=52:54:00:00:00:01 10.0.0.1\n", 4,
		     "10.0.0.1 is the gateway address of Subnet 10.0.0.0/24");
	expect_error("[Network]\nSubnet=10.0.0.0/24\n[DHCP]\n"
		     "Reservation=52:54:00:00:00:01 10.0.0.0\n", 4,
		     "10.0.0.0 is the network address");
	expect_error("[Network]\nSubnet=10.0.0.0/24\n[DHCP]\n"
		     "Reservation=52:54:00:00:00:01 10.0.0.255\n", 4,
		     "10.0.0.255 is the broadcast address");
	/* A bad Pool is reported before a bad Reservation. */
	expect_error("[Network]\nSubnet=10.0.0.0/24\n[DHCP]\n"
		     "Reservation=52:54:00:00:00:01 10.0.0.255\n"
		     "Pool=10.0.0.1-10.0.0.5\n", 5, "[DHCP] Pool:");
}

static char *make_reservations(size_t n)
{
	size_t sz = 16 + n * 48;
	char *text = malloc(sz);
	size_t used;
	size_t i;

	assert_non_null(text);
	used = (size_t)snprintf(text, sz, "[DHCP]\n");
	for (i = 0; i < n; i++)
		used += (size_t)snprintf(text + used, sz - used,
				 "Reservation=02:00:00:00:%02zx:%02zx 10.1.%zu.%zu\n",
				 i >> 8, i & 0xff, i >> 8, i & 0xff);
	return text;
}

static void test_reservation_limit(void **state)
{
	struct config c;
	struct config_error err;
	char *text = make_reservations(CONFIG_MAX_RESERVATIONS);

	expect_ok(&c, text);
	assert_int_equal(c.n_reservations, CONFIG_MAX_RESERVATIONS);
	assert_int_equal(c.reservations[4095].ip, 0x0a010fff);
	config_free(&c);
	free(text);

	text = make_reservations(CONFIG_MAX_RESERVATIONS + 1);
	assert_int_equal(parse(&c, &err, text), -EINVAL);
	assert_int_equal(err.line, CONFIG_MAX_RESERVATIONS + 2);
	assert_string_equal(err.msg, "[DHCP] Reservation: more than 4096 reservations");
	assert_defaults(&c);
	config_free(&c);
	free(text);
}

/* ---- [DNS] ---- */

static void assert_upstream4(const struct config_upstream *u, const char *ip,
			     uint16_t port)
{
	uint8_t want[4];

	assert_int_equal(inet_pton(AF_INET, ip, want), 1);
	assert_int_equal(u->family, AF_INET);
	assert_memory_equal(u->addr, want, 4);
	assert_int_equal(u->port, port);
}

static void assert_upstream6(const struct config_upstream *u, const char *ip,
			     uint16_t port)
{
	uint8_t want[16];

	assert_int_equal(inet_pton(AF_INET6, ip, want), 1);
	assert_int_equal(u->family, AF_INET6);
	assert_memory_equal(u->addr, want, 16);
	assert_int_equal(u->port, port);
}

static void test_upstream(void **state)
{
	static const char *const bad[] = {
		"192.0.2.1:0", "192.0.2.1:65536", "192.0.2.1:", "192.0.2.1:053",
		":53", "[::1]:", "[::1", "[::1]x", "[::1]:0", "[]", "[]:53",
		"fe80::1%eth0", "[1.2.3.4]", "2001:db8::g", "1.2.3.4:5:6",
		"example.com", "[2001:db8::1]:53:53",
		"1111:2222:3333:4444:5555:6666:7777:8888:9999",
		"[1111:2222:3333:4444:5555:6666:255.255.255.255:1]",
	};
	struct config c;
	size_t i;

	expect_ok(&c, "[DNS]\nUpstream=auto\n");
	assert_true(c.upstream_auto);
	assert_int_equal(c.n_upstreams, 0);
	config_free(&c);
	expect_ok(&c, "[DNS]\nUpstream=192.0.2.1 192.0.2.2:5353\t2001:db8::1 "
		  "[2001:db8::2]:5300 [::1] [::ffff:192.0.2.3]:1\n");
	assert_false(c.upstream_auto);
	assert_int_equal(c.n_upstreams, 6);
	assert_upstream4(&c.upstreams[0], "192.0.2.1", 53);
	assert_upstream4(&c.upstreams[1], "192.0.2.2", 5353);
	assert_upstream6(&c.upstreams[2], "2001:db8::1", 53);
	assert_upstream6(&c.upstreams[3], "2001:db8::2", 5300);
	assert_upstream6(&c.upstreams[4], "::1", 53);
	assert_upstream6(&c.upstreams[5], "::ffff:192.0.2.3", 1);
	config_free(&c);
	expect_ok(&c, "[DNS]\nUpstream=1.1.1.1 2.2.2.2 3.3.3.3 4.4.4.4 5.5.5.5 "
		  "6.6.6.6 7.7.7.7 8.8.8.8:65535\n");
	assert_int_equal(c.n_upstreams, CONFIG_MAX_UPSTREAMS);
	assert_upstream4(&c.upstreams[7], "8.8.8.8", 65535);
	config_free(&c);
	/* An empty value, or auto, resets an earlier list. */
	expect_ok(&c, "[DNS]\nUpstream=192.0.2.1\nUpstream=\n");
	assert_true(c.upstream_auto);
	assert_int_equal(c.n_upstreams, 0);
	config_free(&c);
	expect_ok(&c, "[DNS]\nUpstream=192.0.2.1 192.0.2.2\nUpstream=auto\n");
	assert_true(c.upstream_auto);
	assert_int_equal(c.n_upstreams, 0);
	config_free(&c);
	expect_ok(&c, "[DNS]\nUpstream=192.0.2.1 192.0.2.2\nUpstream=192.0.2.9\n");
	assert_int_equal(c.n_upstreams, 1);
	assert_upstream4(&c.upstreams[0], "192.0.2.9", 53);
	config_free(&c);

	expect_error("[DNS]\nUpstream=1.1.1.1 2.2.2.2 3.3.3.3 4.4.4.4 5.5.5.5 "
		     "6.6.6.6 7.7.7.7 8.8.8.8 9.9.9.9\n", 2,
		     "[DNS] Upstream: more than 8 servers");
	expect_error("[DNS]\nUpstream=auto 192.0.2.1\n", 2,
		     "auto cannot be mixed with addresses");
	expect_error("[DNS]\nUpstream=192.0.2.1 auto\n", 2,
		     "auto cannot be mixed with addresses");
	expect_error("[DNS]\nUpstream=192.0.2\n", 2,
		     "[DNS] Upstream: '192.0.2' is not an IPv4 or IPv6 address");
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		char text[128];

		snprintf(text, sizeof(text), "[DNS]\nUpstream=192.0.2.1 %s\n", bad[i]);
		expect_error(text, 2, "is not an IPv4 or IPv6 address (with an optional port");
	}
}


static void test_resolv_conf(void **state)
{
	char text[400];
	struct config c;

	expect_ok(&c, "[DNS]\nResolvConf=/run/systemd/resolve/resolv.conf\n");
	assert_string_equal(c.resolv_conf, "/run/systemd/resolve/resolv.conf");
	config_free(&c);
	expect_ok(&c, "[DNS]\nResolvConf=/tmp/my dir/resolv.conf\n");
	assert_string_equal(c.resolv_conf, "/tmp/my dir/resolv.conf");
	config_free(&c);
	expect_ok(&c, "[DNS]\nResolvConf=/x\nResolvConf=\n");
	assert_string_equal(c.resolv_conf, "/etc/resolv.conf");
	config_free(&c);

	memset(text, 0, sizeof(text));
	strcpy(text, "[DNS]\nResolvConf=/");
	memset(text + strlen(text), 'r', 254);
	strcat(text, "\n");
	expect_ok(&c, text);
	assert_int_equal(strlen(c.resolv_conf), 255);
	config_free(&c);
	memset(text, 0, sizeof(text));
	strcpy(text, "[DNS]\nResolvConf=/");
	memset(text + strlen(text), 'r', 255);
	strcat(text, "\n");
	expect_error(text, 2, "is not an absolute path (at most 255 characters)");

	expect_error("[DNS]\nResolvConf=etc/resolv.conf\n", 2,
		     "[DNS] ResolvConf: 'etc/resolv.conf' is not an absolute path");
	expect_error("[DNS]\nResolvConf=~/resolv.conf\n", 2, "is not an absolute path");
	expect_error("[DNS]\nResolvConf=/etc/a\x01" "b\n", 2, "is not an absolute path");
}

/* ---- [MDNS], [NAT] ---- */

static void test_booleans(void **state)
{
	static const char *const yes[] = { "yes", "true", "on", "1", "YES", "True", "On" };
	static const char *const no[] = { "no", "false", "off", "0", "NO", "False", "oFF" };
	char text[160];
	struct config c;
	size_t i;

	for (i = 0; i < sizeof(yes) / sizeof(yes[0]); i++) {
		snprintf(text, sizeof(text),
			 "[MDNS]\nEnable=no\nEnable=%s\n[NAT]\nMasquerade=no\nMasquerade=%s\nDockerCompat=%s\n",
			 yes[i], yes[i], yes[i]);
		expect_ok(&c, text);
		assert_true(c.mdns_enable);
		assert_true(c.masquerade);
		assert_true(c.docker_compat);
		config_free(&c);
	}
	for (i = 0; i < sizeof(no) / sizeof(no[0]); i++) {
		snprintf(text, sizeof(text),
			 "[MDNS]\nEnable=%s\n[NAT]\nMasquerade=%s\nDockerCompat=yes\nDockerCompat=%s\n",
			 no[i], no[i], no[i]);
		expect_ok(&c, text);
		assert_false(c.mdns_enable);
		assert_false(c.masquerade);
		assert_false(c.docker_compat);
		config_free(&c);
	}
	/* Empty values reset to the defaults. */
	expect_ok(&c, "[MDNS]\nEnable=no\nEnable=\n[NAT]\nMasquerade=no\nMasquerade=\n"
		  "DockerCompat=yes\nDockerCompat=\n");
	assert_defaults(&c);
	config_free(&c);

	expect_error("[MDNS]\nEnable=maybe\n", 2,
		     "[MDNS] Enable: 'maybe' is not a boolean (use yes or no)");
	expect_error("[NAT]\nMasquerade=2\n", 2, "[NAT] Masquerade: '2' is not a boolean");
	expect_error("[NAT]\nDockerCompat=y\n", 2, "[NAT] DockerCompat: 'y' is not a boolean");
	expect_error("[NAT]\nDockerCompat=yess\n", 2, "is not a boolean");
}

/* ---- config_load() ---- */

struct tmpdir {
	char path[64];
};

static int setup_tmpdir(void **state)
{
	struct tmpdir *t = malloc(sizeof(*t));

	if (!t)
		return -1;
	strcpy(t->path, "/tmp/test_config.XXXXXX");
	if (!mkdtemp(t->path)) {
		free(t);
		return -1;
	}
	*state = t;
	return 0;
}

static int teardown_tmpdir(void **state)
{
	struct tmpdir *t = *state;
	static const char *const names[] = { "ok.conf", "bad.conf", "big.conf",
					     "max.conf", "fifo", "dir", "noperm.conf" };
	char path[128];
	size_t i;

	for (i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		snprintf(path, sizeof(path), "%s/%s", t->path, names[i]);
		if (unlink(path) < 0)
			rmdir(path);
	}
	rmdir(t->path);
	free(t);
	return 0;
}

static const char *tmp_file(const struct tmpdir *t, const char *name,
			    const char *content, size_t len, char path[128])
{
	FILE *f;

	snprintf(path, 128, "%s/%s", t->path, name);
	f = fopen(path, "w");
	assert_non_null(f);
	assert_int_equal(fwrite(content, 1, len, f), len);
	assert_int_equal(fclose(f), 0);
	return path;
}

static void test_load_missing(void **state)
{
	struct tmpdir *t = *state;
	struct config c;
	struct config_error err;
	char path[128];

	snprintf(path, sizeof(path), "%s/none.conf", t->path);
	config_init(&c);
	assert_int_equal(config_load(&c, path, &err), 0);
	assert_defaults(&c);
	config_free(&c);
}

static void test_load_file(void **state)
{
	static const char ok[] = "[DHCP]\nLeaseTime=30m\nReservation=52:54:00:00:00:01 10.0.0.5 vm\n";
	static const char bad[] = "[DHCP]\nLeaseTime=30m\n\nPool=x\n";
	struct tmpdir *t = *state;
	struct config c;
	struct config_error err;
	char path[128];

	config_init(&c);
	assert_int_equal(config_load(&c, tmp_file(t, "ok.conf", ok, strlen(ok), path), &err), 0);
	assert_int_equal(c.lease_time, 1800);
	assert_int_equal(c.n_reservations, 1);
	config_free(&c);

	config_init(&c);
	assert_int_equal(config_load(&c, tmp_file(t, "bad.conf", bad, strlen(bad), path), &err),
			 -EINVAL);
	assert_int_equal(err.line, 4);
	assert_non_null(strstr(err.msg, "[DHCP] Pool: 'x'"));
	assert_defaults(&c);
	config_free(&c);
}

static void test_load_size_limit(void **state)
{
	struct tmpdir *t = *state;
	size_t max = 1024 * 1024;
	char *text = malloc(max + 1);
	struct config c;
	struct config_error err;
	char path[128];
	size_t i;

	assert_non_null(text);
	/* Exactly 1 MiB of 64-byte comment lines is still read... */
	for (i = 0; i < max; i += 64) {
		memset(text + i, '#', 63);
		text[i + 63] = '\n';
	}
	config_init(&c);
	assert_int_equal(config_load(&c, tmp_file(t, "max.conf", text, max, path), &err), 0);
	/* ...one byte more is not. */
	text[max] = '\n';
	assert_int_equal(config_load(&c, tmp_file(t, "big.conf", text, max + 1, path), &err),
			 -EFBIG);
	assert_int_equal(err.line, 0);
	assert_non_null(strstr(err.msg, "larger than"));
	config_free(&c);
	free(text);
}

static void test_load_errors(void **state)
{
	struct tmpdir *t = *state;
	struct config c;
	struct config_error err;
	char path[256], file[128];

	config_init(&c);
	snprintf(path, sizeof(path), "%s/dir", t->path);
	assert_int_equal(mkdir(path, 0700), 0);
	assert_int_equal(config_load(&c, path, &err), -EISDIR);
	assert_int_equal(err.line, 0);
	assert_non_null(strstr(err.msg, strerror(EISDIR)));

	snprintf(path, sizeof(path), "%s/fifo", t->path);
	assert_int_equal(mkfifo(path, 0600), 0);
	assert_int_equal(config_load(&c, path, &err), -EINVAL);
	assert_int_equal(err.line, 0);
	assert_non_null(strstr(err.msg, "not a regular file"));

	/* A path through a regular file is an error, not a missing file. */
	tmp_file(t, "ok.conf", "", 0, file);
	snprintf(path, sizeof(path), "%s/x.conf", file);
	assert_int_equal(config_load(&c, path, &err), -ENOTDIR);
	assert_int_equal(err.line, 0);
	assert_non_null(strstr(err.msg, strerror(ENOTDIR)));
	assert_defaults(&c);
	config_free(&c);
}

static void test_load_permission(void **state)
{
	struct tmpdir *t = *state;
	struct config c;
	struct config_error err;
	char path[128];

	tmp_file(t, "noperm.conf", "[Daemon]\n", 9, path);
	assert_int_equal(chmod(path, 0), 0);
	/* root reads it anyway; only an unprivileged run can see EACCES. */
	if (access(path, R_OK) == 0)
		skip();
	config_init(&c);
	assert_int_equal(config_load(&c, path, &err), -EACCES);
	assert_int_equal(err.line, 0);
	assert_non_null(strstr(err.msg, strerror(EACCES)));
	config_free(&c);
}

static void test_guard(void **state)
{
	struct config c;

	expect_ok(&c, "[Guard]\nDHCPServers=allow\nRouterAdvertisements=deny\n");
	assert_false(c.guard_dhcp_servers);
	assert_true(c.guard_router_ads);
	config_free(&c);
	expect_ok(&c, "[Guard]\nDHCPServers=deny\nRouterAdvertisements=allow\n");
	assert_true(c.guard_dhcp_servers);
	assert_false(c.guard_router_ads);
	config_free(&c);
	/* Empty: the default. */
	expect_ok(&c, "[Guard]\nRouterAdvertisements=allow\nRouterAdvertisements=\n");
	assert_true(c.guard_router_ads);
	config_free(&c);
	expect_error("[Guard]\nDHCPServers=no\n", 2, "neither deny nor allow");
	expect_error("[Guard]\nDHCPServers=Deny\n", 2, "neither deny nor allow");
	expect_error("[Guard]\n\nRouterAdvertisements=drop\n", 3, "neither deny nor allow");
	expect_error("[Guard]\nSpoofing=yes\n", 2, "Spoofing");
	/* SpoofProtection=: a boolean, off unless asked for. */
	expect_ok(&c, "[Guard]\nDHCPServers=deny\n");
	assert_false(c.guard_spoof);
	config_free(&c);
	expect_ok(&c, "[Guard]\nSpoofProtection=yes\n");
	assert_true(c.guard_spoof);
	config_free(&c);
	expect_ok(&c, "[Guard]\nSpoofProtection=yes\nSpoofProtection=\n");
	assert_false(c.guard_spoof);
	config_free(&c);
	expect_error("[Guard]\n# x\nSpoofProtection=deny\n", 3, "not a boolean");
}

static void test_ipv6_keys(void **state)
{
	struct config c;

	(void)state;
	expect_ok(&c, "[Network]\nIPv6=no\nPrefix6=fd12:3456:789a:1::/64\n");
	assert_false(c.ipv6);
	assert_false(c.prefix6_auto);
	assert_int_equal(c.prefix6.len, 64);
	assert_int_equal(c.prefix6.addr[7], 1);
	config_free(&c);
	expect_ok(&c, "[Network]\nPrefix6=fd00::/64\nPrefix6=auto\nIPv6=\n");
	assert_true(c.ipv6);
	assert_true(c.prefix6_auto);
	config_free(&c);
	expect_error("[Network]\nIPv6=maybe\n", 2, "IPv6");
	expect_error("[Network]\n\nPrefix6=fd00::/48\n", 3, "must be 64");
	expect_error("[Network]\nPrefix6=fd00::1/64\n", 2, "host bits");
	expect_error("[Network]\nPrefix6=10.0.0.0/8\n", 2, "Prefix6");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_guard),
		cmocka_unit_test(test_ipv6_keys),
		cmocka_unit_test(test_defaults),
		cmocka_unit_test(test_config_free_twice),
		cmocka_unit_test(test_comments_and_whitespace),
		cmocka_unit_test(test_crlf_and_last_line),
		cmocka_unit_test(test_full_file),
		cmocka_unit_test(test_last_assignment_wins),
		cmocka_unit_test(test_structure_errors),
		cmocka_unit_test(test_exact_message),
		cmocka_unit_test(test_long_lines),
		cmocka_unit_test(test_nul_byte),
		cmocka_unit_test(test_respects_length),
		cmocka_unit_test(test_error_message_is_printable_and_bounded),
		cmocka_unit_test(test_error_resets),
		cmocka_unit_test(test_log_level),
		cmocka_unit_test(test_bridge),
		cmocka_unit_test(test_subnet),
		cmocka_unit_test(test_domain),
		cmocka_unit_test(test_lease_time),
		cmocka_unit_test(test_rate_limit),
		cmocka_unit_test(test_leases_per_port),
		cmocka_unit_test(test_pool),
		cmocka_unit_test(test_pool_combinations),
		cmocka_unit_test(test_reservation),
		cmocka_unit_test(test_reservation_duplicates),
		cmocka_unit_test(test_reservation_over_existing),
		cmocka_unit_test(test_reservation_clear_existing),
		cmocka_unit_test(test_reservation_combinations),
		cmocka_unit_test(test_reservation_limit),
		cmocka_unit_test(test_upstream),
		cmocka_unit_test(test_resolv_conf),
		cmocka_unit_test(test_booleans),
		cmocka_unit_test_setup_teardown(test_load_missing, setup_tmpdir, teardown_tmpdir),
		cmocka_unit_test_setup_teardown(test_load_file, setup_tmpdir, teardown_tmpdir),
		cmocka_unit_test_setup_teardown(test_load_size_limit, setup_tmpdir, teardown_tmpdir),
		cmocka_unit_test_setup_teardown(test_load_errors, setup_tmpdir, teardown_tmpdir),
		cmocka_unit_test_setup_teardown(test_load_permission, setup_tmpdir, teardown_tmpdir),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
