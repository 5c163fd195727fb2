/* Tests for the DHCPv4 wire codec: builder and parser round trips, option
 * overload and concatenation, malformed and truncated input, the reply
 * size limits and the IPv4/UDP encapsulation. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "dhcp_codec.h"

#define BUF_SIZE 1500

static const uint8_t test_mac[6] = { 0x52, 0x54, 0x00, 0x12, 0x34, 0x56 };

/* --- raw packets, written without the builder ------------------------ */

struct raw {
	uint8_t p[BUF_SIZE];
	size_t len;
};

/* A BOOTREQUEST header and cookie, options to follow. */
static void raw_start(struct raw *r)
{
	memset(r, 0, sizeof(*r));
	r->p[0] = 1;
	r->p[1] = 1;
	r->p[2] = 6;
	r->p[4] = 0xde;
	r->p[5] = 0xad;
	r->p[6] = 0xbe;
	r->p[7] = 0xef;
	memcpy(r->p + 28, test_mac, 6);
	r->p[236] = 99;
	r->p[237] = 130;
	r->p[238] = 83;
	r->p[239] = 99;
	r->len = 240;
}

static void raw_put(struct raw *r, const void *data, size_t n)
{
	memcpy(r->p + r->len, data, n);
	r->len += n;
}

static void raw_opt(struct raw *r, uint8_t code, const void *data, uint8_t n)
{
	r->p[r->len++] = code;
	r->p[r->len++] = n;
	raw_put(r, data, n);
}

static void raw_u8(struct raw *r, uint8_t code, uint8_t v)
{
	raw_opt(r, code, &v, 1);
}

static void raw_end(struct raw *r)
{
	r->p[r->len++] = DHCP_OPT_END;
}

/* Writes options into a header field (file at 108, sname at 44). */
static size_t field_opt(uint8_t *f, size_t off, uint8_t code,
			const void *data, uint8_t n)
{
	f[off] = code;
	f[off + 1] = n;
	memcpy(f + off + 2, data, n);
	return off + 2 + n;
}

/* Parses from an exact-size heap copy, so that a read past len is caught
 * by valgrind and ASan. */
static int parse_exact(const uint8_t *p, size_t len, struct dhcp_msg *m)
{
	uint8_t *copy = malloc(len ? len : 1);
	int r;

	assert_non_null(copy);
	if (len)
		memcpy(copy, p, len);
	r = dhcp_parse(copy, len, m);
	free(copy);
	return r;
}

static void assert_value(const struct dhcp_opt_value *v, const void *data,
			 size_t len)
{
	assert_int_equal(v->len, len);
	assert_memory_equal(v->data, data, len);
	assert_int_equal(v->data[len], 0);
}

/* --- builder -> parser round trips ----------------------------------- */

static void build_request(uint8_t *buf, size_t size, uint8_t type,
			  size_t *len)
{
	struct dhcp_builder b;
	struct dhcp_header h;

	dhcp_header_request(&h, 0x01020304, test_mac);
	assert_int_equal(dhcp_build_init(&b, buf, size, &h, type), 0);
	assert_int_equal(dhcp_build_finish(&b, len), 0);
}

static void test_header_roundtrip(void **state)
{
	uint8_t buf[BUF_SIZE];
	struct dhcp_builder b;
	struct dhcp_header h;
	struct dhcp_msg m;
	size_t len;

	(void)state;
	dhcp_header_request(&h, 0xcafef00d, test_mac);
	h.hops = 3;
	h.secs = 0x1234;
	h.flags = DHCP_FLAG_BROADCAST;
	h.ciaddr = 0x0a000001;
	h.yiaddr = 0x0a000002;
	h.siaddr = 0x0a000003;
	h.giaddr = 0x0a000004;
	memcpy(h.sname, "server", 6);
	memcpy(h.file, "pxelinux.0", 10);
	assert_int_equal(dhcp_build_init(&b, buf, sizeof(buf), &h,
					 DHCP_REQUEST), 0);
	assert_int_equal(dhcp_build_finish(&b, &len), 0);
	assert_int_equal(len, DHCP_BOOTP_MIN_LEN);
	/* The wire layout, checked byte by byte (RFC 2131 figure 1). */
	assert_int_equal(buf[0], 1);
	assert_int_equal(buf[3], 3);
	assert_int_equal(buf[4], 0xca);
	assert_int_equal(buf[7], 0x0d);
	assert_int_equal(buf[10], 0x80);
	assert_int_equal(buf[15], 1);
	assert_int_equal(buf[27], 4);
	assert_memory_equal(buf + 28, test_mac, 6);
	assert_memory_equal(buf + 44, "server", 6);
	assert_memory_equal(buf + 108, "pxelinux.0", 10);
	assert_int_equal(buf[236], 99);
	assert_int_equal(buf[239], 99);
	assert_int_equal(buf[240], DHCP_OPT_MSG_TYPE);

	assert_int_equal(parse_exact(buf, len, &m), 0);
	assert_memory_equal(&m.hdr, &h, sizeof(h));
	assert_int_equal(m.type, DHCP_REQUEST);
	assert_true(m.hdr.flags & DHCP_FLAG_BROADCAST);
}

static void test_every_type(void **state)
{
	uint8_t buf[BUF_SIZE];
	struct dhcp_msg m;
	size_t len;
	uint8_t t;

	(void)state;
	for (t = DHCP_DISCOVER; t <= DHCP_INFORM; t++) {
		build_request(buf, sizeof(buf), t, &len);
		assert_int_equal(parse_exact(buf, len, &m), 0);
		assert_int_equal(m.type, t);
		assert_int_equal(m.hdr.op, DHCP_OP_BOOTREQUEST);
		assert_true(dhcp_msg_has(&m, DHCP_OPT_MSG_TYPE));
		assert_false(dhcp_msg_has(&m, DHCP_OPT_SERVER_ID));
	}
	/* Plain BOOTP: no option 53 at all. */
	build_request(buf, sizeof(buf), 0, &len);
	assert_int_equal(parse_exact(buf, len, &m), 0);
	assert_int_equal(m.type, 0);
	assert_int_equal(buf[240], DHCP_OPT_END);
}

static void test_request_options(void **state)
{
	static const uint8_t cid[] = { 0xff, 0, 0, 0, 1, 0, 1, 2, 3 };
	static const uint8_t prl[] = { 1, 3, 6, 15, 119, 26, 12 };
	static const uint8_t relay[] = { 1, 4, 'e', 't', 'h', '0', 2, 1, 9 };
	uint8_t buf[BUF_SIZE];
	struct dhcp_builder b;
	struct dhcp_header h;
	struct dhcp_msg m;
	size_t len;

	(void)state;
	dhcp_header_request(&h, 7, test_mac);
	assert_int_equal(dhcp_build_init(&b, buf, sizeof(buf), &h,
					 DHCP_REQUEST), 0);
	assert_int_equal(dhcp_build_u32(&b, DHCP_OPT_REQUESTED_IP, 0xac140032), 0);
	assert_int_equal(dhcp_build_u32(&b, DHCP_OPT_SERVER_ID, 0xac140001), 0);
	assert_int_equal(dhcp_build_u32(&b, DHCP_OPT_LEASE_TIME, 7200), 0);
	assert_int_equal(dhcp_build_u16(&b, DHCP_OPT_MAX_MSG_SIZE, 1500), 0);
	assert_int_equal(dhcp_build_option(&b, DHCP_OPT_CLIENT_ID, cid,
					   sizeof(cid)), 0);
	assert_int_equal(dhcp_build_str(&b, DHCP_OPT_HOSTNAME, "vm1"), 0);
	assert_int_equal(dhcp_build_option(&b, DHCP_OPT_PARAM_LIST, prl,
					   sizeof(prl)), 0);
	assert_int_equal(dhcp_build_str(&b, DHCP_OPT_VENDOR_CLASS,
					"udhcp 1.36.1"), 0);
	assert_int_equal(dhcp_build_option(&b, DHCP_OPT_RAPID_COMMIT, NULL, 0), 0);
	assert_int_equal(dhcp_build_fqdn(&b, DHCP_FQDN_S | DHCP_FQDN_E,
					 "vm1.example.com"), 0);
	assert_int_equal(dhcp_build_u8(&b, 200, 42), 0);
	assert_int_equal(dhcp_build_relay_info(&b, relay, sizeof(relay)), 0);
	assert_int_equal(dhcp_build_finish(&b, &len), 0);

	assert_int_equal(parse_exact(buf, len, &m), 0);
	assert_int_equal(m.type, DHCP_REQUEST);
	assert_true(m.has_requested_ip);
	assert_int_equal(m.requested_ip, 0xac140032);
	assert_true(m.has_server_id);
	assert_int_equal(m.server_id, 0xac140001);
	assert_true(m.has_lease_time);
	assert_int_equal(m.lease_time, 7200);
	assert_int_equal(m.max_msg_size, 1500);
	assert_value(&m.client_id, cid, sizeof(cid));
	assert_value(&m.hostname, "vm1", 3);
	assert_string_equal((const char *)m.hostname.data, "vm1");
	assert_value(&m.param_list, prl, sizeof(prl));
	assert_value(&m.vendor_class, "udhcp 1.36.1", 12);
	assert_value(&m.relay_info, relay, sizeof(relay));
	assert_true(m.has_fqdn);
	assert_int_equal(m.fqdn.flags, DHCP_FQDN_S | DHCP_FQDN_E);
	assert_string_equal(m.fqdn.name, "vm1.example.com");
	assert_int_equal(m.fqdn.name_len, 15);
	assert_true(dhcp_msg_has(&m, DHCP_OPT_RAPID_COMMIT));
	assert_true(dhcp_msg_has(&m, 200));
	assert_false(dhcp_msg_has(&m, 201));
	assert_false(dhcp_msg_has(&m, DHCP_OPT_END));
	assert_int_equal(m.overload, 0);
	assert_int_equal(dhcp_reply_max_len(&m), 1500 - 28);
}

/* Walks the options field of a built message and returns the offset of
 * each option code in order; the test knows no overload is used. */
static size_t list_codes(const uint8_t *buf, size_t len, uint8_t *codes,
			 size_t max)
{
	size_t off = DHCP_MIN_LEN, n = 0;

	while (off < len && buf[off] != DHCP_OPT_END && n < max) {
		codes[n++] = buf[off];
		off += 2 + buf[off + 1];
	}
	assert_true(off < len);
	assert_int_equal(buf[off], DHCP_OPT_END);
	return n;
}

static void build_offer(uint8_t *buf, size_t size, size_t *len)
{
	static const uint8_t relay[] = { 1, 2, 'x', 'y' };
	static const char *const search[] = { "example.com", "lab.example.com" };
	uint32_t dns[2] = { 0xac140001, 0x08080808 };
	struct dhcp_header req, h;
	struct dhcp_builder b;

	dhcp_header_request(&req, 0x55aa55aa, test_mac);
	req.flags = DHCP_FLAG_BROADCAST;
	req.giaddr = 0xc0a80101;
	dhcp_header_reply(&h, &req);
	h.yiaddr = 0xac140032;
	assert_int_equal(dhcp_build_init(&b, buf, size, &h, DHCP_OFFER), 0);
	assert_int_equal(dhcp_build_relay_info(&b, relay, sizeof(relay)), 0);
	assert_int_equal(dhcp_build_ips(&b, DHCP_OPT_SERVER_ID, dns, 1), 0);
	assert_int_equal(dhcp_build_u32(&b, DHCP_OPT_LEASE_TIME, 3600), 0);
	assert_int_equal(dhcp_build_u32(&b, DHCP_OPT_T1, 1800), 0);
	assert_int_equal(dhcp_build_u32(&b, DHCP_OPT_T2, 3150), 0);
	assert_int_equal(dhcp_build_u32(&b, DHCP_OPT_SUBNET_MASK, 0xfffff000), 0);
	assert_int_equal(dhcp_build_ips(&b, DHCP_OPT_ROUTER, dns, 1), 0);
	assert_int_equal(dhcp_build_ips(&b, DHCP_OPT_DNS, dns, 2), 0);
	assert_int_equal(dhcp_build_str(&b, DHCP_OPT_DOMAIN_NAME, "example.com"), 0);
	assert_int_equal(dhcp_build_domain_search(&b, search, 2), 0);
	assert_int_equal(dhcp_build_u16(&b, DHCP_OPT_MTU, 1500), 0);
	assert_int_equal(dhcp_build_str(&b, DHCP_OPT_HOSTNAME, "vm1"), 0);
	assert_int_equal(dhcp_build_fqdn(&b, DHCP_FQDN_S | DHCP_FQDN_O |
					 DHCP_FQDN_E, "vm1.example.com"), 0);
	assert_int_equal(dhcp_build_finish(&b, len), 0);
}

static void test_reply_options(void **state)
{
	static const uint8_t order[] = { 53, 54, 51, 58, 59, 1, 3, 6, 15,
					 119, 26, 12, 81, 82 };
	uint8_t buf[BUF_SIZE], v[300], codes[32];
	struct dhcp_msg m;
	size_t len, n;

	(void)state;
	build_offer(buf, sizeof(buf), &len);
	n = list_codes(buf, len, codes, sizeof(codes));
	assert_int_equal(n, sizeof(order));
	assert_memory_equal(codes, order, sizeof(order));

	assert_int_equal(parse_exact(buf, len, &m), 0);
	assert_int_equal(m.hdr.op, DHCP_OP_BOOTREPLY);
	assert_int_equal(m.hdr.xid, 0x55aa55aa);
	assert_int_equal(m.hdr.flags, DHCP_FLAG_BROADCAST);
	assert_int_equal(m.hdr.giaddr, 0xc0a80101);
	assert_int_equal(m.hdr.yiaddr, 0xac140032);
	assert_int_equal(m.hdr.hops, 0);
	assert_int_equal(m.type, DHCP_OFFER);
	assert_int_equal(m.server_id, 0xac140001);
	assert_int_equal(m.lease_time, 3600);
	assert_value(&m.relay_info, "\x01\x02xy", 4);
	/* RFC 4702 2.2: a server sends both RCODEs as 255. */
	assert_int_equal(dhcp_option_get(buf, len, DHCP_OPT_FQDN, v, sizeof(v),
					 &n), 0);
	assert_int_equal(n, 3 + 17);
	assert_int_equal(v[0], DHCP_FQDN_S | DHCP_FQDN_O | DHCP_FQDN_E);
	assert_int_equal(v[1], 255);
	assert_int_equal(v[2], 255);
	assert_memory_equal(v + 3, "\x03vm1\x07" "example\x03" "com\x00", 17);
	assert_string_equal(m.fqdn.name, "vm1.example.com");

	assert_int_equal(dhcp_option_get(buf, len, DHCP_OPT_DNS, v, sizeof(v),
					 &n), 0);
	assert_int_equal(n, 8);
	assert_memory_equal(v, "\xac\x14\x00\x01\x08\x08\x08\x08", 8);
	assert_int_equal(dhcp_option_get(buf, len, DHCP_OPT_SUBNET_MASK, v,
					 sizeof(v), &n), 0);
	assert_memory_equal(v, "\xff\xff\xf0\x00", 4);
	assert_int_equal(dhcp_option_get(buf, len, DHCP_OPT_T2, v, sizeof(v),
					 &n), 0);
	assert_memory_equal(v, "\x00\x00\x0c\x4e", 4);
	assert_int_equal(dhcp_option_get(buf, len, DHCP_OPT_MTU, v, sizeof(v),
					 &n), 0);
	assert_memory_equal(v, "\x05\xdc", 2);
	assert_int_equal(dhcp_option_get(buf, len, DHCP_OPT_DOMAIN_NAME, v,
					 sizeof(v), &n), 0);
	assert_int_equal(n, 11);
	assert_memory_equal(v, "example.com", 11);
	/* The second search name points back at "example.com" (offset 0). */
	assert_int_equal(dhcp_option_get(buf, len, DHCP_OPT_DOMAIN_SEARCH, v,
					 sizeof(v), &n), 0);
	assert_int_equal(n, 13 + 6);
	assert_memory_equal(v, "\x07" "example\x03" "com\x00\x03" "lab\xc0\x00",
			    19);
}

static void test_reply_header(void **state)
{
	struct dhcp_header req, h;

	(void)state;
	dhcp_header_request(&req, 99, test_mac);
	req.hops = 2;
	req.secs = 10;
	req.ciaddr = 1;
	req.flags = DHCP_FLAG_BROADCAST;
	req.giaddr = 0x0a000001;
	memcpy(req.file, "boot", 4);
	dhcp_header_reply(&h, &req);
	assert_int_equal(h.op, DHCP_OP_BOOTREPLY);
	assert_int_equal(h.htype, DHCP_HTYPE_ETHER);
	assert_int_equal(h.hlen, 6);
	assert_int_equal(h.hops, 0);
	assert_int_equal(h.secs, 0);
	assert_int_equal(h.xid, 99);
	assert_int_equal(h.flags, DHCP_FLAG_BROADCAST);
	assert_int_equal(h.ciaddr, 0);
	assert_int_equal(h.giaddr, 0x0a000001);
	assert_memory_equal(h.chaddr, test_mac, 6);
	assert_int_equal(h.file[0], 0);
}

/* --- overload -------------------------------------------------------- */

static void test_overload_file(void **state)
{
	struct raw r;
	struct dhcp_msg m;
	size_t off;

	(void)state;
	raw_start(&r);
	raw_u8(&r, DHCP_OPT_MSG_TYPE, DHCP_DISCOVER);
	raw_u8(&r, DHCP_OPT_OVERLOAD, DHCP_OVERLOAD_FILE);
	raw_opt(&r, DHCP_OPT_HOSTNAME, "vm", 2);
	raw_end(&r);
	off = field_opt(r.p + 108, 0, DHCP_OPT_HOSTNAME, "-one", 4);
	off = field_opt(r.p + 108, off, DHCP_OPT_LEASE_TIME, "\0\0\x0e\x10", 4);
	r.p[108 + off] = DHCP_OPT_END;
	/* An option in sname is not read: only file is overloaded. */
	field_opt(r.p + 44, 0, DHCP_OPT_REQUESTED_IP, "\x0a\0\0\x05", 4);
	assert_int_equal(parse_exact(r.p, r.len, &m), 0);
	assert_int_equal(m.overload, DHCP_OVERLOAD_FILE);
	/* RFC 3396: the parts join, options field first. */
	assert_value(&m.hostname, "vm-one", 6);
	assert_true(m.has_lease_time);
	assert_int_equal(m.lease_time, 3600);
	assert_false(m.has_requested_ip);
}

static void test_overload_sname(void **state)
{
	struct raw r;
	struct dhcp_msg m;

	(void)state;
	raw_start(&r);
	raw_u8(&r, DHCP_OPT_OVERLOAD, DHCP_OVERLOAD_SNAME);
	raw_end(&r);
	field_opt(r.p + 44, 0, DHCP_OPT_MSG_TYPE, "\x03", 1);
	/* Not terminated by end: the field's end ends it. */
	memset(r.p + 44 + 3, 0, DHCP_SNAME_LEN - 3);
	field_opt(r.p + 108, 0, DHCP_OPT_SERVER_ID, "\x0a\0\0\x01", 4);
	assert_int_equal(parse_exact(r.p, r.len, &m), 0);
	assert_int_equal(m.type, DHCP_REQUEST);
	assert_false(m.has_server_id);
}

static void test_overload_both(void **state)
{
	struct raw r;
	struct dhcp_msg m;
	uint8_t v[16];
	size_t n, off;

	(void)state;
	raw_start(&r);
	raw_u8(&r, DHCP_OPT_OVERLOAD, DHCP_OVERLOAD_BOTH);
	raw_opt(&r, DHCP_OPT_CLIENT_ID, "\x01", 1);
	raw_end(&r);
	off = field_opt(r.p + 108, 0, DHCP_OPT_CLIENT_ID, "\x52\x54", 2);
	r.p[108 + off] = DHCP_OPT_END;
	off = field_opt(r.p + 44, 0, DHCP_OPT_CLIENT_ID, "\x00\x12\x34\x56", 4);
	off = field_opt(r.p + 44, off, DHCP_OPT_MSG_TYPE, "\x01", 1);
	r.p[44 + off] = DHCP_OPT_END;
	assert_int_equal(parse_exact(r.p, r.len, &m), 0);
	assert_int_equal(m.overload, DHCP_OVERLOAD_BOTH);
	assert_int_equal(m.type, DHCP_DISCOVER);
	/* Options, then file, then sname. */
	assert_value(&m.client_id, "\x01\x52\x54\x00\x12\x34\x56", 7);
	assert_int_equal(dhcp_option_get(r.p, r.len, DHCP_OPT_CLIENT_ID, v,
					 sizeof(v), &n), 0);
	assert_int_equal(n, 7);
	/* The raw fields still come back in the header. */
	assert_int_equal(m.hdr.file[0], DHCP_OPT_CLIENT_ID);
	assert_int_equal(m.hdr.sname[0], DHCP_OPT_CLIENT_ID);
}

/* Overload into empty fields (all pad) and an overload option inside an
 * overloaded field, which must lead nowhere. */
static void test_overload_empty_and_loop(void **state)
{
	struct raw r;
	struct dhcp_msg m;

	(void)state;
	raw_start(&r);
	raw_u8(&r, DHCP_OPT_MSG_TYPE, DHCP_DISCOVER);
	raw_u8(&r, DHCP_OPT_OVERLOAD, DHCP_OVERLOAD_BOTH);
	raw_end(&r);
	assert_int_equal(parse_exact(r.p, r.len, &m), 0);
	assert_int_equal(m.overload, DHCP_OVERLOAD_BOTH);
	assert_int_equal(m.type, DHCP_DISCOVER);

	raw_start(&r);
	raw_u8(&r, DHCP_OPT_OVERLOAD, DHCP_OVERLOAD_FILE);
	raw_end(&r);
	/* file says "overload sname" and sname says "overload file". */
	field_opt(r.p + 108, 0, DHCP_OPT_OVERLOAD, "\x03", 1);
	field_opt(r.p + 44, 0, DHCP_OPT_OVERLOAD, "\x03", 1);
	field_opt(r.p + 44, 3, DHCP_OPT_HOSTNAME, "no", 2);
	assert_int_equal(parse_exact(r.p, r.len, &m), 0);
	assert_int_equal(m.overload, DHCP_OVERLOAD_FILE);
	assert_int_equal(m.hostname.len, 0);
	assert_true(dhcp_msg_has(&m, DHCP_OPT_OVERLOAD));
	assert_false(dhcp_msg_has(&m, DHCP_OPT_HOSTNAME));

	/* The overload option only counts in the options field: one in
	 * file alone makes nothing overloaded. Option 52 in the options
	 * field after an end option is not seen either. */
	raw_start(&r);
	raw_end(&r);
	raw_u8(&r, DHCP_OPT_OVERLOAD, DHCP_OVERLOAD_BOTH);
	assert_int_equal(parse_exact(r.p, r.len, &m), 0);
	assert_int_equal(m.overload, 0);
}

static void test_overload_bad(void **state)
{
	static const uint8_t values[] = { 0, 4, 255 };
	struct raw r;
	struct dhcp_msg m;
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(values); i++) {
		raw_start(&r);
		raw_u8(&r, DHCP_OPT_OVERLOAD, values[i]);
		raw_end(&r);
		assert_int_equal(parse_exact(r.p, r.len, &m), -EINVAL);
	}
	raw_start(&r);
	raw_opt(&r, DHCP_OPT_OVERLOAD, "\x01\x01", 2);
	raw_end(&r);
	assert_int_equal(parse_exact(r.p, r.len, &m), -EINVAL);
	/* Twice is concatenated to two bytes: as bad. */
	raw_start(&r);
	raw_u8(&r, DHCP_OPT_OVERLOAD, 1);
	raw_u8(&r, DHCP_OPT_OVERLOAD, 1);
	raw_end(&r);
	assert_int_equal(parse_exact(r.p, r.len, &m), -EINVAL);
	/* A malformed option inside an overloaded field. */
	raw_start(&r);
	raw_u8(&r, DHCP_OPT_OVERLOAD, DHCP_OVERLOAD_SNAME);
	raw_end(&r);
	r.p[44 + 62] = DHCP_OPT_HOSTNAME;
	r.p[44 + 63] = 5;
	assert_int_equal(parse_exact(r.p, r.len, &m), -EINVAL);
}

/* --- malformed and truncated input ----------------------------------- */

static void test_truncated(void **state)
{
	uint8_t buf[BUF_SIZE];
	struct dhcp_builder b;
	struct dhcp_header h;
	struct dhcp_msg m;
	size_t len, cut, ok = 0;
	int r;

	(void)state;
	dhcp_header_request(&h, 1, test_mac);
	assert_int_equal(dhcp_build_init(&b, buf, sizeof(buf), &h,
					 DHCP_DISCOVER), 0);
	assert_int_equal(dhcp_build_str(&b, DHCP_OPT_HOSTNAME, "guest"), 0);
	assert_int_equal(dhcp_build_u16(&b, DHCP_OPT_MAX_MSG_SIZE, 1000), 0);
	assert_int_equal(dhcp_build_fqdn(&b, DHCP_FQDN_E, "guest.lan"), 0);
	assert_int_equal(dhcp_build_finish(&b, &len), 0);
	for (cut = 0; cut <= len; cut++) {
		r = parse_exact(buf, cut, &m);
		if (cut < DHCP_MIN_LEN) {
			assert_int_equal(r, -EMSGSIZE);
			continue;
		}
		assert_true(r == 0 || r == -EINVAL);
		ok += r == 0;
	}
	/* Cut inside option 53 (code and length, no value). */
	assert_int_equal(parse_exact(buf, 242, &m), -EINVAL);
	/* Cut right after it: a field may end without an end option. */
	assert_int_equal(parse_exact(buf, 243, &m), 0);
	assert_int_equal(m.type, DHCP_DISCOVER);
	assert_int_equal(parse_exact(buf, len, &m), 0);
	/* Whole options: 240, 243, after each of 12, 57, 81, and every
	 * length from the end option on. */
	assert_int_equal(ok, 5 + (len - (243 + 7 + 4 + 3 + 11 + 2)));
	assert_int_equal(dhcp_parse(NULL, 0, &m), -EINVAL);
}

static void test_length_lies(void **state)
{
	struct raw r;
	struct dhcp_msg m;

	(void)state;
	/* An option that claims more bytes than the packet has. */
	raw_start(&r);
	raw_u8(&r, DHCP_OPT_MSG_TYPE, DHCP_DISCOVER);
	r.p[r.len++] = DHCP_OPT_HOSTNAME;
	r.p[r.len++] = 200;
	raw_put(&r, "abcdefghij", 10);
	assert_int_equal(parse_exact(r.p, r.len, &m), -EINVAL);
	/* A code in the last byte, with no length. */
	raw_start(&r);
	r.p[r.len++] = DHCP_OPT_HOSTNAME;
	assert_int_equal(parse_exact(r.p, r.len, &m), -EINVAL);
	/* Wrong lengths of fixed-size options. */
	raw_start(&r);
	raw_opt(&r, DHCP_OPT_MSG_TYPE, "\x01\x01", 2);
	assert_int_equal(parse_exact(r.p, r.len, &m), -EINVAL);
	raw_start(&r);
	raw_opt(&r, DHCP_OPT_MSG_TYPE, "", 0);
	assert_int_equal(parse_exact(r.p, r.len, &m), -EINVAL);
	raw_start(&r);
	raw_u8(&r, DHCP_OPT_MSG_TYPE, 0);
	assert_int_equal(parse_exact(r.p, r.len, &m), -EINVAL);
	raw_start(&r);
	raw_opt(&r, DHCP_OPT_REQUESTED_IP, "\x0a\0\0", 3);
	assert_int_equal(parse_exact(r.p, r.len, &m), -EINVAL);
	raw_start(&r);
	raw_opt(&r, DHCP_OPT_SERVER_ID, "\x0a\0\0\x01\x00", 5);
	assert_int_equal(parse_exact(r.p, r.len, &m), -EINVAL);
	raw_start(&r);
	raw_opt(&r, DHCP_OPT_LEASE_TIME, "\0\0", 2);
	assert_int_equal(parse_exact(r.p, r.len, &m), -EINVAL);
	raw_start(&r);
	raw_u8(&r, DHCP_OPT_MAX_MSG_SIZE, 9);
	assert_int_equal(parse_exact(r.p, r.len, &m), -EINVAL);
	/* A 4-byte address split in two parts is still 4 bytes. */
	raw_start(&r);
	raw_opt(&r, DHCP_OPT_REQUESTED_IP, "\x0a\x00", 2);
	raw_opt(&r, DHCP_OPT_REQUESTED_IP, "\x00\x07", 2);
	assert_int_equal(parse_exact(r.p, r.len, &m), 0);
	assert_int_equal(m.requested_ip, 0x0a000007);
	/* Header checks: hlen, magic cookie. */
	raw_start(&r);
	r.p[2] = 17;
	assert_int_equal(parse_exact(r.p, r.len, &m), -EINVAL);
	r.p[2] = 16;
	assert_int_equal(parse_exact(r.p, r.len, &m), 0);
	r.p[239] = 0;
	assert_int_equal(parse_exact(r.p, r.len, &m), -EINVAL);
	/* After an error the struct is left zeroed. */
	assert_int_equal(m.hdr.xid, 0);
}

static void test_max_msg_size_option(void **state)
{
	struct raw r;
	struct dhcp_msg m;

	(void)state;
	raw_start(&r);
	raw_opt(&r, DHCP_OPT_MAX_MSG_SIZE, "\x02\x3f", 2);   /* 575 */
	raw_end(&r);
	assert_int_equal(parse_exact(r.p, r.len, &m), 0);
	assert_int_equal(m.max_msg_size, 0);
	assert_int_equal(dhcp_reply_max_len(&m), 548);
	raw_start(&r);
	raw_opt(&r, DHCP_OPT_MAX_MSG_SIZE, "\x02\x40", 2);   /* 576 */
	raw_end(&r);
	assert_int_equal(parse_exact(r.p, r.len, &m), 0);
	assert_int_equal(m.max_msg_size, 576);
	assert_int_equal(dhcp_reply_max_len(&m), 548);
	raw_start(&r);
	raw_opt(&r, DHCP_OPT_MAX_MSG_SIZE, "\xff\xff", 2);
	raw_end(&r);
	assert_int_equal(parse_exact(r.p, r.len, &m), 0);
	assert_int_equal(dhcp_reply_max_len(&m), 65535 - 28);
}

/* --- long options (RFC 3396) ----------------------------------------- */

static void test_split_options(void **state)
{
	uint8_t buf[BUF_SIZE], big[600], out[600];
	struct dhcp_builder b;
	struct dhcp_header h;
	struct dhcp_msg m;
	struct raw r;
	size_t len, n, i;

	(void)state;
	/* Client id in three parts with other options in between. */
	raw_start(&r);
	raw_opt(&r, DHCP_OPT_CLIENT_ID, "\x01\x52", 2);
	raw_u8(&r, DHCP_OPT_MSG_TYPE, DHCP_DISCOVER);
	raw_opt(&r, DHCP_OPT_CLIENT_ID, "\x54\x00", 2);
	raw_opt(&r, DHCP_OPT_HOSTNAME, "a", 1);
	raw_opt(&r, DHCP_OPT_CLIENT_ID, "", 0);
	raw_opt(&r, DHCP_OPT_CLIENT_ID, "\x12\x34\x56", 3);
	raw_end(&r);
	assert_int_equal(parse_exact(r.p, r.len, &m), 0);
	assert_value(&m.client_id, "\x01\x52\x54\x00\x12\x34\x56", 7);

	/* 256 bytes of hostname in two parts: too long, dropped whole. */
	memset(big, 'x', sizeof(big));
	raw_start(&r);
	raw_opt(&r, DHCP_OPT_HOSTNAME, big, 200);
	raw_opt(&r, DHCP_OPT_HOSTNAME, big, 56);
	raw_opt(&r, DHCP_OPT_CLIENT_ID, big, 255);
	raw_end(&r);
	assert_int_equal(parse_exact(r.p, r.len, &m), 0);
	assert_int_equal(m.hostname.len, 0);
	assert_int_equal(m.hostname.data[0], 0);
	assert_true(dhcp_msg_has(&m, DHCP_OPT_HOSTNAME));
	assert_int_equal(m.client_id.len, 255);

	/* The builder splits a 600-byte value into 255 + 255 + 90. */
	for (i = 0; i < sizeof(big); i++)
		big[i] = (uint8_t)i;
	dhcp_header_request(&h, 1, test_mac);
	assert_int_equal(dhcp_build_init(&b, buf, sizeof(buf), &h,
					 DHCP_INFORM), 0);
	assert_int_equal(dhcp_build_option(&b, 224, big, sizeof(big)), 0);
	assert_int_equal(dhcp_build_finish(&b, &len), 0);
	assert_int_equal(len, 243 + 600 + 6 + 1);
	assert_int_equal(buf[243], 224);
	assert_int_equal(buf[244], 255);
	assert_int_equal(buf[243 + 257], 224);
	assert_int_equal(buf[243 + 258], 255);
	assert_int_equal(buf[243 + 514], 224);
	assert_int_equal(buf[243 + 515], 90);
	assert_int_equal(dhcp_option_get(buf, len, 224, out, sizeof(out), &n), 0);
	assert_int_equal(n, 600);
	assert_memory_equal(out, big, 600);
	assert_int_equal(dhcp_option_get(buf, len, 224, out, 599, &n), -ENOBUFS);
	assert_int_equal(dhcp_option_get(buf, len, 225, out, 599, &n), -ENOENT);
	assert_int_equal(dhcp_option_get(buf, len, DHCP_OPT_END, out, 599, &n),
			 -ENOENT);
	assert_int_equal(dhcp_option_get(buf, 100, 224, out, 599, &n), -EMSGSIZE);
}

/* --- FQDN (RFC 4702) ------------------------------------------------- */

static int parse_fqdn(const void *opt, uint8_t n, struct dhcp_msg *m)
{
	struct raw r;

	raw_start(&r);
	raw_opt(&r, DHCP_OPT_FQDN, opt, n);
	raw_end(&r);
	return parse_exact(r.p, r.len, m);
}

static void test_fqdn(void **state)
{
	static const char wire[] = "\x05\0\0\x03vm1\x07" "example\x03" "com";
	struct dhcp_msg m;

	(void)state;
	/* Wire format, with and without the terminating zero. */
	assert_int_equal(parse_fqdn(wire, sizeof(wire), &m), 0);
	assert_true(m.has_fqdn);
	assert_int_equal(m.fqdn.flags, DHCP_FQDN_S | DHCP_FQDN_E);
	assert_string_equal(m.fqdn.name, "vm1.example.com");
	assert_int_equal(parse_fqdn(wire, sizeof(wire) - 1, &m), 0);
	assert_string_equal(m.fqdn.name, "vm1.example.com");
	/* ASCII, a trailing dot dropped; the MBZ bits ignored. */
	assert_int_equal(parse_fqdn("\xf1\0\0vm1.lan.", 11, &m), 0);
	assert_true(m.has_fqdn);
	assert_int_equal(m.fqdn.flags, DHCP_FQDN_S);
	assert_string_equal(m.fqdn.name, "vm1.lan");
	assert_int_equal(m.fqdn.name_len, 7);
	/* No name at all, or the root: "". */
	assert_int_equal(parse_fqdn("\x04\0\0", 3, &m), 0);
	assert_true(m.has_fqdn);
	assert_string_equal(m.fqdn.name, "");
	assert_int_equal(parse_fqdn("\x04\0\0\0", 4, &m), 0);
	assert_true(m.has_fqdn);
	assert_string_equal(m.fqdn.name, "");
	/* Ignored, the message still parses: too short, a compression
	 * pointer, a label past the end, a dot or NUL inside a label,
	 * bytes after the zero, a NUL in an ASCII name. */
	assert_int_equal(parse_fqdn("\x04\0", 2, &m), 0);
	assert_false(m.has_fqdn);
	assert_int_equal(parse_fqdn("\x04\0\0\x03vm1\xc0\x0c", 9, &m), 0);
	assert_false(m.has_fqdn);
	assert_int_equal(parse_fqdn("\x04\0\0\x05vm1", 7, &m), 0);
	assert_false(m.has_fqdn);
	assert_int_equal(parse_fqdn("\x04\0\0\x03v.1\0", 8, &m), 0);
	assert_false(m.has_fqdn);
	assert_int_equal(parse_fqdn("\x04\0\0\x03v\0001\0", 8, &m), 0);
	assert_false(m.has_fqdn);
	assert_int_equal(parse_fqdn("\x04\0\0\x01x\0\x01y", 8, &m), 0);
	assert_false(m.has_fqdn);
	assert_int_equal(parse_fqdn("\0\0\0v\0m", 6, &m), 0);
	assert_false(m.has_fqdn);
	assert_string_equal(m.fqdn.name, "");
}

/* Option 81 split in two parts (RFC 3396) around a name of labels of
 * 63, 63, 63 and last_label bytes. */
static int parse_fqdn_split(uint8_t last_label, struct dhcp_msg *m)
{
	uint8_t opt[3 + 256];
	size_t off = 3, i;
	struct raw r;

	opt[0] = DHCP_FQDN_E;
	opt[1] = opt[2] = 0;
	for (i = 0; i < 4; i++) {
		opt[off] = i < 3 ? 63 : last_label;
		memset(opt + off + 1, 'a' + (int)i, opt[off]);
		off += 1 + opt[off];
	}
	opt[off++] = 0;
	raw_start(&r);
	raw_opt(&r, DHCP_OPT_FQDN, opt, 255);
	raw_opt(&r, DHCP_OPT_FQDN, opt + 255, (uint8_t)(off - 255));
	raw_end(&r);
	return parse_exact(r.p, r.len, m);
}

static void test_fqdn_long(void **state)
{
	struct dhcp_msg m;

	(void)state;
	/* 255 wire bytes, the longest name: 253 characters of text. */
	assert_int_equal(parse_fqdn_split(61, &m), 0);
	assert_true(m.has_fqdn);
	assert_int_equal(m.fqdn.name_len, DHCP_NAME_MAX);
	assert_int_equal(strlen(m.fqdn.name), DHCP_NAME_MAX);
	assert_int_equal(m.fqdn.name[63], '.');
	assert_int_equal(m.fqdn.name[252], 'd');
	/* One byte more: ignored. */
	assert_int_equal(parse_fqdn_split(62, &m), 0);
	assert_false(m.has_fqdn);
	assert_true(dhcp_msg_has(&m, DHCP_OPT_FQDN));
}

static void test_fqdn_build(void **state)
{
	uint8_t buf[BUF_SIZE], v[300];
	struct dhcp_builder b;
	struct dhcp_header h;
	struct dhcp_msg m;
	size_t len, n;
	char label[70];

	(void)state;
	dhcp_header_request(&h, 1, test_mac);
	assert_int_equal(dhcp_build_init(&b, buf, sizeof(buf), &h,
					 DHCP_DISCOVER), 0);
	/* ASCII, from a client: RCODEs 0. */
	assert_int_equal(dhcp_build_fqdn(&b, 0, "vm2.lan"), 0);
	memset(label, 'a', 64);
	label[64] = '\0';
	assert_int_equal(dhcp_build_fqdn(&b, DHCP_FQDN_E, label), -EINVAL);
	assert_int_equal(dhcp_build_fqdn(&b, DHCP_FQDN_E, "a..b"), -EINVAL);
	assert_int_equal(dhcp_build_fqdn(&b, DHCP_FQDN_E, ".a"), -EINVAL);
	assert_int_equal(dhcp_build_fqdn(&b, DHCP_FQDN_E, "a.."), -EINVAL);
	assert_int_equal(dhcp_build_finish(&b, &len), 0);
	assert_int_equal(dhcp_option_get(buf, len, DHCP_OPT_FQDN, v, sizeof(v),
					 &n), 0);
	assert_int_equal(n, 10);
	assert_memory_equal(v, "\0\0\0vm2.lan", 10);
	assert_int_equal(parse_exact(buf, len, &m), 0);
	assert_string_equal(m.fqdn.name, "vm2.lan");

	/* Wire format with a trailing dot, and an empty name. */
	assert_int_equal(dhcp_build_init(&b, buf, sizeof(buf), &h,
					 DHCP_DISCOVER), 0);
	assert_int_equal(dhcp_build_fqdn(&b, DHCP_FQDN_E, "vm2.lan."), 0);
	assert_int_equal(dhcp_build_finish(&b, &len), 0);
	assert_int_equal(dhcp_option_get(buf, len, DHCP_OPT_FQDN, v, sizeof(v),
					 &n), 0);
	assert_memory_equal(v, "\x04\0\0\x03vm2\x03lan\0", 12);
	assert_int_equal(dhcp_build_init(&b, buf, sizeof(buf), &h,
					 DHCP_DISCOVER), 0);
	assert_int_equal(dhcp_build_fqdn(&b, DHCP_FQDN_E, ""), 0);
	assert_int_equal(dhcp_build_finish(&b, &len), 0);
	assert_int_equal(dhcp_option_get(buf, len, DHCP_OPT_FQDN, v, sizeof(v),
					 &n), 0);
	assert_int_equal(n, 3);
	assert_int_equal(parse_exact(buf, len, &m), 0);
	assert_true(m.has_fqdn);
	assert_string_equal(m.fqdn.name, "");
}

/* --- domain search (RFC 3397) ---------------------------------------- */

static int search_bytes(const char *const *names, size_t n, uint8_t *v,
			size_t *len)
{
	uint8_t buf[BUF_SIZE];
	struct dhcp_builder b;
	struct dhcp_header h;
	size_t mlen;
	int r;

	dhcp_header_reply(&h, &(struct dhcp_header){ .hlen = 6 });
	assert_int_equal(dhcp_build_init(&b, buf, sizeof(buf), &h, DHCP_ACK), 0);
	r = dhcp_build_domain_search(&b, names, n);
	if (r < 0)
		return r;
	assert_int_equal(dhcp_build_finish(&b, &mlen), 0);
	return dhcp_option_get(buf, mlen, DHCP_OPT_DOMAIN_SEARCH, v, 1100, len);
}

static void test_domain_search(void **state)
{
	/* The example of RFC 3397 section 3. */
	static const char *const rfc[] = { "eng.apple.com.", "marketing.apple.com." };
	static const uint8_t rfc_wire[] = {
		3, 'e', 'n', 'g', 5, 'a', 'p', 'p', 'l', 'e', 3, 'c', 'o', 'm', 0,
		9, 'm', 'a', 'r', 'k', 'e', 't', 'i', 'n', 'g', 0xc0, 4,
	};
	static const char *const mixed[] = { "Example.COM", "example.com",
					     "a.example.com", "org" };
	static const char *const bad[][1] = { { "a..b" }, { "" }, { "." },
					      { "-.x." "." } };
	const char *many[300];
	char names[300][8];
	uint8_t v[1100];
	size_t len, i;

	(void)state;
	assert_int_equal(search_bytes(rfc, 2, v, &len), 0);
	assert_int_equal(len, sizeof(rfc_wire));
	assert_memory_equal(v, rfc_wire, sizeof(rfc_wire));
	/* Compression ignores case; a repeated name is one pointer. */
	assert_int_equal(search_bytes(mixed, 4, v, &len), 0);
	assert_int_equal(len, 13 + 2 + 4 + 5);
	assert_memory_equal(v + 13, "\xc0\x00\x01" "a\xc0\x00\x03" "org\0", 11);
	for (i = 0; i < 4; i++)
		assert_int_equal(search_bytes(bad[i], 1, v, &len), -EINVAL);
	assert_int_equal(search_bytes(rfc, 0, v, &len), -EINVAL);
	/* Past DHCP_SEARCH_MAX bytes: 300 names of 7 bytes in wire. */
	for (i = 0; i < 300; i++) {
		snprintf(names[i], sizeof(names[i]), "n%03zu.x", i);
		many[i] = names[i];
	}
	assert_int_equal(search_bytes(many, 300, v, &len), -ENOBUFS);
	/* 120 fit: "n000" "x" 0 then 119 times label + pointer; split
	 * over several options and joined again. */
	assert_int_equal(search_bytes(many, 120, v, &len), 0);
	assert_int_equal(len, 8 + 119 * 7);
	assert_memory_equal(v + 8, "\x04n001\xc0\x05", 7);
}

/* --- sizes and padding ----------------------------------------------- */

static void test_max_size_honoured(void **state)
{
	static const uint8_t relay[40] = { 1, 38 };
	uint8_t buf[BUF_SIZE], filler[200] = { 0 };
	struct dhcp_builder b;
	struct dhcp_header h;
	struct dhcp_msg req, m;
	size_t len, max, added = 0;
	int r, i;

	(void)state;
	memset(&req, 0, sizeof(req));
	max = dhcp_reply_max_len(&req);
	assert_int_equal(max, 548);
	dhcp_header_reply(&h, &req.hdr);
	assert_int_equal(dhcp_build_init(&b, buf, max, &h, DHCP_ACK), 0);
	assert_int_equal(dhcp_build_relay_info(&b, relay, sizeof(relay)), 0);
	/* 243 + 42 of relay info + 1 of end are taken: 262 left, one
	 * 202-byte option fits, the next does not. */
	for (i = 0; i < 4; i++) {
		r = dhcp_build_option(&b, 224, filler, sizeof(filler));
		assert_true(r == 0 || r == -EMSGSIZE);
		added += r == 0;
	}
	assert_int_equal(added, 1);
	/* A failed option changed nothing; smaller ones still go in. */
	assert_int_equal(b.len, 243 + 202);
	assert_int_equal(dhcp_build_option(&b, 225, filler, 58), 0);
	assert_int_equal(dhcp_build_u8(&b, 226, 1), -EMSGSIZE);
	assert_int_equal(dhcp_build_finish(&b, &len), 0);
	assert_int_equal(len, 548);
	assert_int_equal(buf[len - 1], DHCP_OPT_END);
	assert_int_equal(buf[len - 43], DHCP_OPT_RELAY_AGENT);
	assert_int_equal(parse_exact(buf, len, &m), 0);
	assert_value(&m.relay_info, relay, sizeof(relay));
	/* Relay info that does not fit at all. */
	assert_int_equal(dhcp_build_init(&b, buf, 300, &h, DHCP_ACK), 0);
	assert_int_equal(dhcp_build_option(&b, 224, filler, 30), 0);
	assert_int_equal(dhcp_build_relay_info(&b, relay, sizeof(relay)),
			 -EMSGSIZE);
	assert_int_equal(dhcp_build_finish(&b, &len), 0);
	assert_int_equal(len, 300);
}

static void test_bootp_padding(void **state)
{
	uint8_t buf[BUF_SIZE];
	size_t len, i;

	(void)state;
	memset(buf, 0xee, sizeof(buf));
	build_request(buf, sizeof(buf), DHCP_DISCOVER, &len);
	assert_int_equal(len, DHCP_BOOTP_MIN_LEN);
	assert_int_equal(buf[243], DHCP_OPT_END);
	for (i = 244; i < len; i++)
		assert_int_equal(buf[i], 0);
	/* A long message is not padded. */
	build_offer(buf, sizeof(buf), &len);
	assert_true(len > DHCP_BOOTP_MIN_LEN);
	assert_int_equal(buf[len - 1], DHCP_OPT_END);
}

static void test_builder_errors(void **state)
{
	uint8_t buf[BUF_SIZE];
	uint32_t ips[64] = { 0 };
	struct dhcp_builder b;
	struct dhcp_header h;
	size_t len;

	(void)state;
	dhcp_header_request(&h, 1, test_mac);
	assert_int_equal(dhcp_build_init(&b, buf, 299, &h, DHCP_DISCOVER),
			 -EMSGSIZE);
	h.hlen = 17;
	assert_int_equal(dhcp_build_init(&b, buf, sizeof(buf), &h, 1), -EINVAL);
	h.hlen = 6;
	assert_int_equal(dhcp_build_init(&b, buf, sizeof(buf), &h, 1), 0);
	assert_int_equal(dhcp_build_option(&b, DHCP_OPT_PAD, "x", 1), -EINVAL);
	assert_int_equal(dhcp_build_option(&b, DHCP_OPT_END, "x", 1), -EINVAL);
	assert_int_equal(dhcp_build_option(&b, 224, NULL, 1), -EINVAL);
	assert_int_equal(dhcp_build_option(&b, 224, buf, 65536), -EMSGSIZE);
	assert_int_equal(dhcp_build_ips(&b, DHCP_OPT_DNS, ips, 0), -EINVAL);
	assert_int_equal(dhcp_build_ips(&b, DHCP_OPT_DNS, ips, 64), -EINVAL);
	assert_int_equal(dhcp_build_ips(&b, DHCP_OPT_DNS, ips, 63), 0);
	assert_int_equal(dhcp_build_str(&b, DHCP_OPT_HOSTNAME, NULL), -EINVAL);
	assert_int_equal(dhcp_build_relay_info(&b, buf, 0), -EINVAL);
	assert_int_equal(dhcp_build_relay_info(&b, buf, 256), -EINVAL);
	assert_int_equal(dhcp_build_relay_info(&b, buf, 10), 0);
	assert_int_equal(dhcp_build_relay_info(&b, buf, 10), -EINVAL);
	assert_int_equal(dhcp_build_finish(&b, &len), 0);
	assert_int_equal(dhcp_build_finish(&b, &len), -EINVAL);
	assert_int_equal(dhcp_build_u8(&b, 224, 1), -EINVAL);
	assert_int_equal(dhcp_build_fqdn(&b, 0, "x"), -EINVAL);
}

/* --- IPv4/UDP -------------------------------------------------------- */

/* The Internet checksum written out again, independently of the codec:
 * bytes summed pairwise into a 32-bit total, carries folded at the end. */
static uint16_t ref_csum(const uint8_t *p, size_t n, uint32_t start)
{
	uint32_t sum = start;
	size_t i;

	for (i = 0; i < n; i++)
		sum += (i % 2 == 0) ? (uint32_t)p[i] * 256 : p[i];
	while (sum > 0xffff)
		sum = (sum >> 16) + (sum & 0xffff);
	return (uint16_t)(0xffff - sum);
}

static void fix_ip_csum(uint8_t *ip)
{
	uint16_t c;

	ip[10] = ip[11] = 0;
	c = ref_csum(ip, 20, 0);
	ip[10] = (uint8_t)(c >> 8);
	ip[11] = (uint8_t)c;
}

static void test_udp_known_packet(void **state)
{
	/* Checksums worked out by hand: 192.168.0.1:67 to
	 * 255.255.255.255:68, eight bytes "DHCPtest", TOS 0xc0, DF, TTL 64.
	 * IP: 45c0+0024+0000+4000+4011+c0a8+0001+ffff+ffff = 3869c, folded
	 * 869f, complement 7960. */
	static const uint8_t expect[36] = {
		0x45, 0xc0, 0x00, 0x24, 0x00, 0x00, 0x40, 0x00,
		0x40, 0x11, 0x79, 0x60, 0xc0, 0xa8, 0x00, 0x01,
		0xff, 0xff, 0xff, 0xff,
		0x00, 0x43, 0x00, 0x44, 0x00, 0x10, 0xcf, 0x2b,
		'D', 'H', 'C', 'P', 't', 'e', 's', 't',
	};
	uint8_t buf[64], pseudo[12];
	struct dhcp_udp u;

	(void)state;
	assert_int_equal(dhcp_udp_encap(buf, sizeof(buf), 0xc0a80001,
					0xffffffff, 67, 68,
					(const uint8_t *)"DHCPtest", 8), 0);
	assert_memory_equal(buf, expect, sizeof(expect));
	/* And the UDP checksum once more from the pseudo header. */
	memcpy(pseudo, expect + 12, 8);
	pseudo[8] = 0;
	pseudo[9] = 17;
	pseudo[10] = 0;
	pseudo[11] = 16;
	buf[26] = buf[27] = 0;
	assert_int_equal(ref_csum(buf + 20, 16,
				  0xffff - ref_csum(pseudo, 12, 0)), 0xcf2b);
	assert_int_equal(ref_csum(expect, 20, 0), 0);

	assert_int_equal(dhcp_udp_decap(expect, sizeof(expect), &u), 0);
	assert_int_equal(u.src_ip, 0xc0a80001);
	assert_int_equal(u.dst_ip, 0xffffffff);
	assert_int_equal(u.sport, 67);
	assert_int_equal(u.dport, 68);
	assert_int_equal(u.payload_len, 8);
	assert_ptr_equal(u.payload, expect + 28);
	assert_int_equal(dhcp_udp_encap(buf, 35, 1, 2, 3, 4,
					(const uint8_t *)"DHCPtest", 8), -EMSGSIZE);
}

static void test_udp_in_place(void **state)
{
	uint8_t pkt[BUF_SIZE], *copy;
	struct dhcp_udp u;
	struct dhcp_msg m;
	size_t len, tot, i, bit;

	(void)state;
	build_offer(pkt + DHCP_IPUDP_LEN, sizeof(pkt) - DHCP_IPUDP_LEN, &len);
	assert_true(len % 2 == 1);   /* an odd payload pads the checksum */
	assert_int_equal(dhcp_udp_encap(pkt, sizeof(pkt), 0xac140001,
					0xac140032, 67, 68,
					pkt + DHCP_IPUDP_LEN, len), 0);
	tot = len + DHCP_IPUDP_LEN;
	assert_int_equal(ref_csum(pkt, 20, 0), 0);
	assert_int_equal(dhcp_udp_decap(pkt, tot, &u), 0);
	assert_int_equal(u.payload_len, len);
	assert_int_equal(dhcp_parse(u.payload, u.payload_len, &m), 0);
	assert_int_equal(m.type, DHCP_OFFER);
	/* Trailing bytes (Ethernet padding) past the IP length are fine. */
	assert_int_equal(dhcp_udp_decap(pkt, tot + 10, &u), 0);

	/* Every single-bit error is caught, unless it zeroes the UDP
	 * checksum field (no checksum). */
	for (i = 0; i < tot; i++) {
		for (bit = 0; bit < 8; bit++) {
			pkt[i] ^= (uint8_t)(1u << bit);
			if (!(i >= 26 && i <= 27 && pkt[26] == 0 && pkt[27] == 0))
				assert_int_not_equal(dhcp_udp_decap(pkt, tot, &u), 0);
			pkt[i] ^= (uint8_t)(1u << bit);
		}
	}
	/* Every truncation fails without reading past the end. */
	for (i = 0; i < tot; i++) {
		copy = malloc(i ? i : 1);
		assert_non_null(copy);
		memcpy(copy, pkt, i);
		assert_int_not_equal(dhcp_udp_decap(copy, i, &u), 0);
		free(copy);
	}
}

static void test_udp_zero_checksum(void **state)
{
	uint8_t buf[64], payload[2] = { 0, 0 };
	struct dhcp_udp u;

	(void)state;
	/* Pick the payload word that makes the computed sum zero: it must
	 * go out as ffff (RFC 768). */
	assert_int_equal(dhcp_udp_encap(buf, sizeof(buf), 0x0a000001,
					0x0a000002, 67, 68, payload, 2), 0);
	payload[0] = buf[26];
	payload[1] = buf[27];
	assert_int_equal(dhcp_udp_encap(buf, sizeof(buf), 0x0a000001,
					0x0a000002, 67, 68, payload, 2), 0);
	assert_int_equal(buf[26], 0xff);
	assert_int_equal(buf[27], 0xff);
	assert_int_equal(dhcp_udp_decap(buf, 30, &u), 0);
	/* A zero checksum field means none, and is accepted. */
	buf[26] = buf[27] = 0;
	buf[29] ^= 1;
	assert_int_equal(dhcp_udp_decap(buf, 30, &u), 0);
	/* Not UDP, a fragment (first, then a later one), each with a good
	 * header checksum; IPv6; a bad IHL. */
	buf[29] ^= 1;
	buf[9] = 6;
	fix_ip_csum(buf);
	assert_int_equal(dhcp_udp_decap(buf, 30, &u), -EINVAL);
	buf[9] = 17;
	fix_ip_csum(buf);
	assert_int_equal(dhcp_udp_decap(buf, 30, &u), 0);
	buf[6] |= 0x20;
	fix_ip_csum(buf);
	assert_int_equal(dhcp_udp_decap(buf, 30, &u), -EINVAL);
	buf[6] = 0x40;
	buf[7] = 0x10;
	fix_ip_csum(buf);
	assert_int_equal(dhcp_udp_decap(buf, 30, &u), -EINVAL);
	buf[0] = 0x65;
	assert_int_equal(dhcp_udp_decap(buf, 30, &u), -EINVAL);
	buf[0] = 0x44;
	assert_int_equal(dhcp_udp_decap(buf, 30, &u), -EINVAL);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_header_roundtrip),
		cmocka_unit_test(test_every_type),
		cmocka_unit_test(test_request_options),
		cmocka_unit_test(test_reply_options),
		cmocka_unit_test(test_reply_header),
		cmocka_unit_test(test_overload_file),
		cmocka_unit_test(test_overload_sname),
		cmocka_unit_test(test_overload_both),
		cmocka_unit_test(test_overload_empty_and_loop),
		cmocka_unit_test(test_overload_bad),
		cmocka_unit_test(test_truncated),
		cmocka_unit_test(test_length_lies),
		cmocka_unit_test(test_max_msg_size_option),
		cmocka_unit_test(test_split_options),
		cmocka_unit_test(test_fqdn),
		cmocka_unit_test(test_fqdn_long),
		cmocka_unit_test(test_fqdn_build),
		cmocka_unit_test(test_domain_search),
		cmocka_unit_test(test_max_size_honoured),
		cmocka_unit_test(test_bootp_padding),
		cmocka_unit_test(test_builder_errors),
		cmocka_unit_test(test_udp_known_packet),
		cmocka_unit_test(test_udp_in_place),
		cmocka_unit_test(test_udp_zero_checksum),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
