/* Unit tests for dhcp6/dhcp6_codec.c: Information-request -> Reply with
 * the server and client identifiers, DNS servers and domain list (RFC
 * 8415 18.3.6), and what is ignored (16.12). */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "dhcp6_codec.h"

static const uint8_t mac[6] = { 0x02, 0x11, 0x22, 0x33, 0x44, 0x55 };
static const uint8_t dns[16] = { 0xfd, 0x12, 0x34, 0x56, 0x78, 0x9a, 0, 1, [15] = 1 };

/* Information-request, xid 0xabcdef, client id 00030001 0a0b0c0d0e0f,
 * ORO asking for 23 and 24, elapsed time 0. */
static const uint8_t info_req[] = {
	11, 0xab, 0xcd, 0xef,
	0, 1, 0, 10, 0, 3, 0, 1, 0x0a, 0x0b, 0x0c, 0x0d, 0x0e, 0x0f,
	0, 6, 0, 4, 0, 23, 0, 24,
	0, 8, 0, 2, 0, 0,
};

static struct dhcp6_server_cfg cfg(const char *domain)
{
	struct dhcp6_server_cfg c = { 0 };

	dhcp6_duid_ll(&c, mac);
	memcpy(c.dns, dns, 16);
	strcpy(c.domain, domain);
	return c;
}

/* The value of option code in the reply, or NULL; its length in *n. */
static const uint8_t *opt(const uint8_t *m, size_t len, uint16_t code, size_t *n)
{
	size_t pos = 4;

	while (pos + 4 <= len) {
		uint16_t c = (uint16_t)(m[pos] << 8 | m[pos + 1]);
		size_t l = (size_t)(m[pos + 2] << 8 | m[pos + 3]);

		assert_true(pos + 4 + l <= len);
		if (c == code) {
			*n = l;
			return m + pos + 4;
		}
		pos += 4 + l;
	}
	return NULL;
}

static void test_reply(void **state)
{
	static const uint8_t duid[10] = { 0, 3, 0, 1, 0x02, 0x11, 0x22, 0x33, 0x44, 0x55 };
	static const uint8_t domain[] = "\x08" "internal" "\x07" "example";
	struct dhcp6_server_cfg c = cfg("internal.example");
	uint8_t out[DHCP6_REPLY_MAX];
	const uint8_t *v;
	size_t n;
	int len;

	(void)state;
	len = dhcp6_handle(&c, info_req, sizeof(info_req), out, sizeof(out));
	assert_true(len > 4);
	assert_int_equal(out[0], DHCP6_MSG_REPLY);
	assert_memory_equal(out + 1, info_req + 1, 3);
	v = opt(out, (size_t)len, DHCP6_OPT_SERVERID, &n);
	assert_non_null(v);
	assert_int_equal(n, 10);
	assert_memory_equal(v, duid, 10);
	v = opt(out, (size_t)len, DHCP6_OPT_CLIENTID, &n);
	assert_non_null(v);
	assert_int_equal(n, 10);
	assert_memory_equal(v, info_req + 8, 10);
	v = opt(out, (size_t)len, DHCP6_OPT_DNS_SERVERS, &n);
	assert_non_null(v);
	assert_int_equal(n, 16);
	assert_memory_equal(v, dns, 16);
	v = opt(out, (size_t)len, DHCP6_OPT_DOMAIN_LIST, &n);
	assert_non_null(v);
	assert_int_equal(n, sizeof(domain));
	assert_memory_equal(v, domain, sizeof(domain));
	v = opt(out, (size_t)len, DHCP6_OPT_INFO_REFRESH_TIME, &n);
	assert_non_null(v);
	assert_int_equal(n, 4);
}

static void test_no_domain(void **state)
{
	struct dhcp6_server_cfg c = cfg("");
	uint8_t out[DHCP6_REPLY_MAX];
	size_t n;
	int len;

	(void)state;
	len = dhcp6_handle(&c, info_req, sizeof(info_req), out, sizeof(out));
	assert_true(len > 0);
	assert_null(opt(out, (size_t)len, DHCP6_OPT_DOMAIN_LIST, &n));
	assert_non_null(opt(out, (size_t)len, DHCP6_OPT_DNS_SERVERS, &n));
	assert_int_equal(dhcp6_handle(&c, info_req, sizeof(info_req), out, 20), -ENOSPC);
	c = cfg("bad..name");
	assert_int_equal(dhcp6_handle(&c, info_req, sizeof(info_req), out, sizeof(out)),
			 -EINVAL);
}

static void test_ignored(void **state)
{
	struct dhcp6_server_cfg c = cfg("");
	uint8_t out[DHCP6_REPLY_MAX], m[64];
	static const uint8_t other_server[] = { 0, 2, 0, 10, 0, 3, 0, 1, 9, 9, 9, 9, 9, 9 };
	static const uint8_t ia_na[] = { 0, 3, 0, 12, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 0 };
	static const uint8_t our_server[] = { 0, 2, 0, 10, 0, 3, 0, 1,
					      0x02, 0x11, 0x22, 0x33, 0x44, 0x55 };

	(void)state;
	/* Solicit (stateful): not ours to answer. */
	memcpy(m, info_req, sizeof(info_req));
	m[0] = 1;
	assert_int_equal(dhcp6_handle(&c, m, sizeof(info_req), out, sizeof(out)), 0);
	/* Another server's DUID. */
	memcpy(m, info_req, sizeof(info_req));
	memcpy(m + sizeof(info_req), other_server, sizeof(other_server));
	assert_int_equal(dhcp6_handle(&c, m, sizeof(info_req) + sizeof(other_server), out,
				      sizeof(out)), 0);
	/* Ours is fine. */
	memcpy(m + sizeof(info_req), our_server, sizeof(our_server));
	assert_true(dhcp6_handle(&c, m, sizeof(info_req) + sizeof(our_server), out,
				 sizeof(out)) > 0);
	/* Asking for an address. */
	memcpy(m + sizeof(info_req), ia_na, sizeof(ia_na));
	assert_int_equal(dhcp6_handle(&c, m, sizeof(info_req) + sizeof(ia_na), out,
				      sizeof(out)), 0);
	/* Truncated: an option running past the end, a short header. */
	assert_int_equal(dhcp6_handle(&c, info_req, sizeof(info_req) - 1, out, sizeof(out)), 0);
	assert_int_equal(dhcp6_handle(&c, info_req, 3, out, sizeof(out)), 0);
	/* Two client identifiers. */
	memcpy(m, info_req, sizeof(info_req));
	memcpy(m + sizeof(info_req), info_req + 4, 14);
	assert_int_equal(dhcp6_handle(&c, m, sizeof(info_req) + 14, out, sizeof(out)), 0);
	/* No client identifier is allowed (RFC 8415 18.2.6: MAY be absent). */
	assert_true(dhcp6_handle(&c, info_req, 4, out, sizeof(out)) > 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_reply),
		cmocka_unit_test(test_no_domain),
		cmocka_unit_test(test_ignored),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
