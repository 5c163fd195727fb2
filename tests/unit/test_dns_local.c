/* dns/dns_local.c: owned zones, local answers, errors, forwarding. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "dns_local.h"

#define GW 0xac163001u       /* 172.22.48.1 */
#define SUBNET 0xac163000u   /* 172.22.48.0/20 */
#define BOX 0xac163032u      /* 172.22.48.50 */

struct fixture {
	struct name_table *t;
	struct dns_local_ctx ctx;
	uint8_t out[1232];
	size_t out_len;
	struct dns_query q;
};

static int setup(void **state)
{
	static struct fixture f;

	memset(&f, 0, sizeof(f));
	f.t = name_table_new();
	assert_non_null(f.t);
	assert_int_equal(name_table_set(f.t, "buildbox", 8, BOX), 0);
	assert_int_equal(dns_local_ctx_init(&f.ctx, f.t, "internal", "MyHost.example.org", GW,
					    SUBNET, 20), 0);
	*state = &f;
	return 0;
}

static int teardown(void **state)
{
	struct fixture *f = *state;

	name_table_free(f->t);
	return 0;
}

/* A query for text name, type; edns: add an OPT (with DO when do_bit). */
static size_t query(uint8_t *buf, size_t size, const char *text, uint16_t type, bool edns,
		    bool do_bit)
{
	uint8_t name[DNS_NAME_MAX];
	size_t n;
	struct dns_builder b;

	assert_int_equal(dns_name_from_text(text, strlen(text), name, &n), 0);
	assert_int_equal(dns_builder_init(&b, buf, size, 0x1234, DNS_FLAG_RD), 0);
	assert_int_equal(dns_builder_question(&b, name, n, type, DNS_CLASS_IN), 0);
	if (edns)
		assert_int_equal(dns_builder_opt(&b, 4096, 0, do_bit), 0);
	return dns_builder_len(&b);
}

static int handle(struct fixture *f, const char *text, uint16_t type)
{
	uint8_t buf[512];
	size_t n = query(buf, sizeof(buf), text, type, false, false);

	return dns_local_handle(&f->ctx, buf, n, &f->q, f->out, sizeof(f->out), &f->out_len);
}

/* The answer's rcode, counts, and first answer record. */
static unsigned answer(struct fixture *f, struct dns_header *h, struct dns_rr *rr)
{
	struct dns_iter it;

	assert_int_equal(dns_iter_init(&it, f->out, f->out_len, h), 0);
	memset(rr, 0, sizeof(*rr));
	if (h->count[DNS_SECTION_ANSWER] || h->count[DNS_SECTION_AUTHORITY])
		assert_int_equal(dns_iter_rr(&it, rr), 1);
	assert_int_equal(h->id, 0x1234);
	assert_true(h->flags & DNS_FLAG_QR);
	return dns_header_rcode(h);
}

static void test_a(void **state)
{
	struct fixture *f = *state;
	struct dns_header h;
	struct dns_rr rr;

	assert_int_equal(handle(f, "BuildBox.local", DNS_TYPE_A), DNS_LOCAL_ANSWER);
	assert_int_equal(answer(f, &h, &rr), DNS_RCODE_NOERROR);
	assert_int_equal(h.count[DNS_SECTION_ANSWER], 1);
	assert_int_equal(rr.type, DNS_TYPE_A);
	assert_int_equal(rr.ttl, DNS_LOCAL_TTL);
	assert_memory_equal(f->out + rr.rdata_off, "\xac\x16\x30\x32", 4);
	assert_true(h.flags & DNS_FLAG_AA);

	assert_int_equal(handle(f, "buildbox.INTERNAL", DNS_TYPE_A), DNS_LOCAL_ANSWER);
	assert_int_equal(answer(f, &h, &rr), DNS_RCODE_NOERROR);
	assert_int_equal(h.count[DNS_SECTION_ANSWER], 1);
}

static void test_host_name(void **state)
{
	struct fixture *f = *state;
	struct dns_header h;
	struct dns_rr rr;

	assert_int_equal(handle(f, "myhost.local", DNS_TYPE_A), DNS_LOCAL_ANSWER);
	assert_int_equal(answer(f, &h, &rr), DNS_RCODE_NOERROR);
	assert_memory_equal(f->out + rr.rdata_off, "\xac\x16\x30\x01", 4);
	/* A guest named like the host does not take its name. */
	assert_int_equal(name_table_set(f->t, "myhost", 6, BOX + 1), 0);
	assert_int_equal(handle(f, "myhost.internal", DNS_TYPE_A), DNS_LOCAL_ANSWER);
	assert_int_equal(answer(f, &h, &rr), DNS_RCODE_NOERROR);
	assert_memory_equal(f->out + rr.rdata_off, "\xac\x16\x30\x01", 4);
}

static void test_nodata_nxdomain(void **state)
{
	struct fixture *f = *state;
	struct dns_header h;
	struct dns_rr rr;

	assert_int_equal(handle(f, "buildbox.local", DNS_TYPE_AAAA), DNS_LOCAL_ANSWER);
	assert_int_equal(answer(f, &h, &rr), DNS_RCODE_NOERROR);
	assert_int_equal(h.count[DNS_SECTION_ANSWER], 0);
	assert_int_equal(h.count[DNS_SECTION_AUTHORITY], 1);
	assert_int_equal(rr.type, DNS_TYPE_SOA);

	assert_int_equal(handle(f, "nobody.local", DNS_TYPE_A), DNS_LOCAL_ANSWER);
	assert_int_equal(answer(f, &h, &rr), DNS_RCODE_NXDOMAIN);
	assert_int_equal(rr.type, DNS_TYPE_SOA);
	assert_int_equal(handle(f, "a.buildbox.local", DNS_TYPE_A), DNS_LOCAL_ANSWER);
	assert_int_equal(answer(f, &h, &rr), DNS_RCODE_NXDOMAIN);
	assert_int_equal(handle(f, "local", DNS_TYPE_A), DNS_LOCAL_ANSWER);
	assert_int_equal(answer(f, &h, &rr), DNS_RCODE_NOERROR);
	assert_int_equal(handle(f, "local", DNS_TYPE_SOA), DNS_LOCAL_ANSWER);
	assert_int_equal(answer(f, &h, &rr), DNS_RCODE_NOERROR);
	assert_int_equal(h.count[DNS_SECTION_ANSWER], 1);
}

/* The glue's lookup: buildbox has two IPv6 addresses, nobody else any. */
static size_t stub_aaaa(void *ctx, uint32_t ip, uint8_t (*out)[16], size_t max)
{
	static const uint8_t v6[2][16] = { { 0xfd, 0x12, [15] = 0x10 }, { 0xfd, 0x12, [15] = 0x11 } };
	size_t n = ip == BOX ? 2 : 0;

	(void)ctx;
	n = n < max ? n : max;
	memcpy(out, v6, n * 16);
	return n;
}

static void test_aaaa(void **state)
{
	struct fixture *f = *state;
	struct dns_header h;
	struct dns_rr rr;

	f->ctx.aaaa = stub_aaaa;
	assert_int_equal(handle(f, "buildbox.local", DNS_TYPE_AAAA), DNS_LOCAL_ANSWER);
	assert_int_equal(answer(f, &h, &rr), DNS_RCODE_NOERROR);
	assert_int_equal(h.count[DNS_SECTION_ANSWER], 2);
	assert_int_equal(rr.type, DNS_TYPE_AAAA);
	assert_int_equal(rr.rdlength, 16);
	assert_int_equal(f->out[rr.rdata_off], 0xfd);
	assert_int_equal(f->out[rr.rdata_off + 15], 0x10);
	/* A keeps its one record; ANY gets all three. */
	assert_int_equal(handle(f, "buildbox.internal", DNS_TYPE_A), DNS_LOCAL_ANSWER);
	assert_int_equal(answer(f, &h, &rr), DNS_RCODE_NOERROR);
	assert_int_equal(h.count[DNS_SECTION_ANSWER], 1);
	assert_int_equal(rr.type, DNS_TYPE_A);
	assert_int_equal(handle(f, "buildbox.internal", DNS_TYPE_ANY), DNS_LOCAL_ANSWER);
	assert_int_equal(answer(f, &h, &rr), DNS_RCODE_NOERROR);
	assert_int_equal(h.count[DNS_SECTION_ANSWER], 3);
	/* The host's own name has no guest addresses: NODATA for AAAA. */
	assert_int_equal(handle(f, "myhost.local", DNS_TYPE_AAAA), DNS_LOCAL_ANSWER);
	assert_int_equal(answer(f, &h, &rr), DNS_RCODE_NOERROR);
	assert_int_equal(h.count[DNS_SECTION_ANSWER], 0);
	f->ctx.aaaa = NULL;
}

static void test_ptr(void **state)
{
	struct fixture *f = *state;
	struct dns_header h;
	struct dns_rr rr;
	uint8_t name[DNS_NAME_MAX];
	char text[DNS_NAME_TEXT_MAX];
	size_t n, next;

	assert_int_equal(handle(f, "50.48.22.172.in-addr.arpa", DNS_TYPE_PTR), DNS_LOCAL_ANSWER);
	assert_int_equal(answer(f, &h, &rr), DNS_RCODE_NOERROR);
	assert_int_equal(rr.type, DNS_TYPE_PTR);
	assert_int_equal(dns_rr_name_at(f->out, f->out_len, &rr, rr.rdata_off, name, &n, &next), 0);
	assert_true(dns_name_to_text(name, n, text, sizeof(text)) > 0);
	assert_string_equal(text, "buildbox.internal");

	assert_int_equal(handle(f, "1.48.22.172.in-addr.arpa", DNS_TYPE_PTR), DNS_LOCAL_ANSWER);
	assert_int_equal(answer(f, &h, &rr), DNS_RCODE_NOERROR);
	assert_int_equal(dns_rr_name_at(f->out, f->out_len, &rr, rr.rdata_off, name, &n, &next), 0);
	assert_true(dns_name_to_text(name, n, text, sizeof(text)) > 0);
	assert_string_equal(text, "myhost.internal");

	/* In the subnet, no name; an empty non-terminal; junk below ours. */
	assert_int_equal(handle(f, "9.63.22.172.in-addr.arpa", DNS_TYPE_PTR), DNS_LOCAL_ANSWER);
	assert_int_equal(answer(f, &h, &rr), DNS_RCODE_NXDOMAIN);
	assert_int_equal(handle(f, "49.22.172.in-addr.arpa", DNS_TYPE_PTR), DNS_LOCAL_ANSWER);
	assert_int_equal(answer(f, &h, &rr), DNS_RCODE_NOERROR);
	assert_int_equal(h.count[DNS_SECTION_ANSWER], 0);
	assert_int_equal(handle(f, "x.50.48.22.172.in-addr.arpa", DNS_TYPE_PTR), DNS_LOCAL_ANSWER);
	assert_int_equal(answer(f, &h, &rr), DNS_RCODE_NXDOMAIN);
	assert_int_equal(handle(f, "050.48.22.172.in-addr.arpa", DNS_TYPE_PTR), DNS_LOCAL_ANSWER);
	assert_int_equal(answer(f, &h, &rr), DNS_RCODE_NXDOMAIN);

	/* Outside the subnet, or wider than it: forwarded. */
	assert_int_equal(handle(f, "1.64.22.172.in-addr.arpa", DNS_TYPE_PTR), DNS_LOCAL_FORWARD);
	assert_int_equal(handle(f, "22.172.in-addr.arpa", DNS_TYPE_PTR), DNS_LOCAL_FORWARD);
	assert_int_equal(handle(f, "1.2.0.192.in-addr.arpa", DNS_TYPE_PTR), DNS_LOCAL_FORWARD);
}

static void test_forward(void **state)
{
	struct fixture *f = *state;
	uint8_t buf[512];
	size_t n;

	assert_int_equal(handle(f, "www.example.com", DNS_TYPE_A), DNS_LOCAL_FORWARD);
	assert_int_equal(f->q.udp_max, 512);
	assert_false(f->q.edns);
	assert_int_equal(handle(f, "localx", DNS_TYPE_A), DNS_LOCAL_FORWARD);
	n = query(buf, sizeof(buf), "www.example.com", DNS_TYPE_A, true, true);
	assert_int_equal(dns_local_handle(&f->ctx, buf, n, &f->q, f->out, sizeof(f->out),
					  &f->out_len), DNS_LOCAL_FORWARD);
	assert_true(f->q.edns);
	assert_true(f->q.do_bit);
	assert_int_equal(f->q.udp_max, DNS_UDP_MAX);
}

static void test_edns_answer(void **state)
{
	struct fixture *f = *state;
	uint8_t buf[512];
	struct dns_edns e;
	size_t n = query(buf, sizeof(buf), "buildbox.local", DNS_TYPE_A, true, true);

	assert_int_equal(dns_local_handle(&f->ctx, buf, n, &f->q, f->out, sizeof(f->out),
					  &f->out_len), DNS_LOCAL_ANSWER);
	assert_int_equal(dns_msg_edns(f->out, f->out_len, &e), 0);
	assert_true(e.present);
	assert_true(e.do_bit);
	assert_int_equal(e.udp_size, DNS_UDP_MAX);
}

static void test_errors(void **state)
{
	struct fixture *f = *state;
	uint8_t buf[512];
	struct dns_header h;
	struct dns_edns e;
	size_t n;

	/* Too short, or a response: dropped. */
	assert_int_equal(dns_local_handle(&f->ctx, (const uint8_t *)"abc", 3, &f->q, f->out,
					  sizeof(f->out), &f->out_len), DNS_LOCAL_DROP);
	n = query(buf, sizeof(buf), "www.example.com", DNS_TYPE_A, false, false);
	buf[2] |= 0x80;
	assert_int_equal(dns_local_handle(&f->ctx, buf, n, &f->q, f->out, sizeof(f->out),
					  &f->out_len), DNS_LOCAL_DROP);
	/* A cut question: FORMERR. */
	n = query(buf, sizeof(buf), "www.example.com", DNS_TYPE_A, false, false);
	assert_int_equal(dns_local_handle(&f->ctx, buf, n - 3, &f->q, f->out, sizeof(f->out),
					  &f->out_len), DNS_LOCAL_ANSWER);
	assert_int_equal(dns_msg_parse_header(f->out, f->out_len, &h), 0);
	assert_int_equal(dns_header_rcode(&h), DNS_RCODE_FORMERR);
	/* Two questions: FORMERR. */
	n = query(buf, sizeof(buf), "www.example.com", DNS_TYPE_A, false, false);
	buf[5] = 2;
	assert_int_equal(dns_local_handle(&f->ctx, buf, n, &f->q, f->out, sizeof(f->out),
					  &f->out_len), DNS_LOCAL_ANSWER);
	assert_int_equal(dns_msg_parse_header(f->out, f->out_len, &h), 0);
	assert_int_equal(dns_header_rcode(&h), DNS_RCODE_FORMERR);
	/* Opcode STATUS: NOTIMP. */
	n = query(buf, sizeof(buf), "www.example.com", DNS_TYPE_A, false, false);
	buf[2] |= DNS_OPCODE_STATUS << 3;
	assert_int_equal(dns_local_handle(&f->ctx, buf, n, &f->q, f->out, sizeof(f->out),
					  &f->out_len), DNS_LOCAL_ANSWER);
	assert_int_equal(dns_msg_parse_header(f->out, f->out_len, &h), 0);
	assert_int_equal(dns_header_rcode(&h), DNS_RCODE_NOTIMP);
	/* EDNS version 1: BADVERS (RFC 6891 6.1.3). */
	n = query(buf, sizeof(buf), "www.example.com", DNS_TYPE_A, true, false);
	buf[n - 11 + 6] = 1;
	assert_int_equal(dns_local_handle(&f->ctx, buf, n, &f->q, f->out, sizeof(f->out),
					  &f->out_len), DNS_LOCAL_ANSWER);
	assert_int_equal(dns_msg_edns(f->out, f->out_len, &e), 0);
	assert_int_equal(e.ext_rcode, DNS_RCODE_BADVERS >> 4);
	/* Zone transfers: REFUSED. */
	assert_int_equal(handle(f, "example.com", 252), DNS_LOCAL_ANSWER);
	assert_int_equal(dns_msg_parse_header(f->out, f->out_len, &h), 0);
	assert_int_equal(dns_header_rcode(&h), DNS_RCODE_REFUSED);
}

static void test_error_answer(void **state)
{
	struct fixture *f = *state;
	struct dns_header h;

	assert_int_equal(handle(f, "www.example.com", DNS_TYPE_A), DNS_LOCAL_FORWARD);
	assert_int_equal(dns_local_error(&f->q, DNS_RCODE_SERVFAIL, true, f->out, sizeof(f->out),
					 &f->out_len), 0);
	assert_int_equal(dns_msg_parse_header(f->out, f->out_len, &h), 0);
	assert_int_equal(dns_header_rcode(&h), DNS_RCODE_SERVFAIL);
	assert_true(h.flags & DNS_FLAG_TC);
	assert_true(h.flags & DNS_FLAG_RD);
	assert_int_equal(h.count[DNS_SECTION_QUESTION], 1);
}


/* The guests' prefix fd12:3456:789a:1::/64; buildbox has ::50 in it. */
static const uint8_t PREFIX6[16] = { 0xfd, 0x12, 0x34, 0x56, 0x78, 0x9a, 0, 1 };

static void addr6(uint8_t a[16], uint8_t last)
{
	memcpy(a, PREFIX6, 16);
	a[15] = last;
}

static uint32_t stub_name6(void *ctx, const uint8_t addr[16])
{
	uint8_t box[16];

	(void)ctx;
	addr6(box, 0x50);
	return memcmp(addr, box, 16) == 0 ? BOX : 0;
}

/* The nibble name of a, "0.5.0....ip6.arpa" (RFC 3596 2.5). */
static void rev6(const uint8_t a[16], char out[80])
{
	static const char hex[] = "0123456789abcdef";
	char *p = out;

	for (int i = 15; i >= 0; i--) {
		*p++ = hex[a[i] & 0xf];
		*p++ = '.';
		*p++ = hex[a[i] >> 4];
		*p++ = '.';
	}
	strcpy(p, "ip6.arpa");
}

static void ctx6(struct fixture *f)
{
	f->ctx.name6 = stub_name6;
	memcpy(f->ctx.prefix6, PREFIX6, 16);
	f->ctx.prefix6_len = 64;
	addr6(f->ctx.gateway6, 1);
}

static void assert_ptr_to(struct fixture *f, const char *want)
{
	struct dns_header h;
	struct dns_rr rr;
	uint8_t name[DNS_NAME_MAX];
	char text[DNS_NAME_TEXT_MAX];
	size_t n, next;

	assert_int_equal(answer(f, &h, &rr), DNS_RCODE_NOERROR);
	assert_int_equal(rr.type, DNS_TYPE_PTR);
	assert_int_equal(dns_rr_name_at(f->out, f->out_len, &rr, rr.rdata_off, name, &n, &next), 0);
	assert_true(dns_name_to_text(name, n, text, sizeof(text)) > 0);
	assert_string_equal(text, want);
}

static void test_ptr6(void **state)
{
	struct fixture *f = *state;
	struct dns_header h;
	struct dns_rr rr;
	uint8_t a[16];
	char text[80];

	ctx6(f);
	addr6(a, 0x50);
	rev6(a, text);
	assert_int_equal(handle(f, text, DNS_TYPE_PTR), DNS_LOCAL_ANSWER);
	assert_ptr_to(f, "buildbox.internal");
	/* Upper-case nibbles are the same name: byte 5 (0x9a) starts at
	 * character (15 - 5) * 4 with its low nibble. */
	assert_int_equal(text[40], 'a');
	text[40] = 'A';
	assert_int_equal(handle(f, text, DNS_TYPE_PTR), DNS_LOCAL_ANSWER);
	assert_ptr_to(f, "buildbox.internal");
	/* The gateway's address: the host's name. */
	addr6(a, 1);
	rev6(a, text);
	assert_int_equal(handle(f, text, DNS_TYPE_PTR), DNS_LOCAL_ANSWER);
	assert_ptr_to(f, "myhost.internal");
	/* In the prefix, nobody's: NXDOMAIN with the zone's SOA. */
	addr6(a, 0x99);
	rev6(a, text);
	assert_int_equal(handle(f, text, DNS_TYPE_PTR), DNS_LOCAL_ANSWER);
	assert_int_equal(answer(f, &h, &rr), DNS_RCODE_NXDOMAIN);
	assert_int_equal(rr.type, DNS_TYPE_SOA);
	assert_int_equal(h.count[DNS_SECTION_AUTHORITY], 1);
	/* The prefix's apex and names between it and an address: no data. */
	assert_int_equal(handle(f, "1.0.0.0.a.9.8.7.6.5.4.3.2.1.d.f.ip6.arpa", DNS_TYPE_PTR),
			 DNS_LOCAL_ANSWER);
	assert_int_equal(answer(f, &h, &rr), DNS_RCODE_NOERROR);
	assert_int_equal(h.count[DNS_SECTION_ANSWER], 0);
	assert_int_equal(handle(f, "1.0.0.0.a.9.8.7.6.5.4.3.2.1.d.f.ip6.arpa", DNS_TYPE_SOA),
			 DNS_LOCAL_ANSWER);
	assert_int_equal(answer(f, &h, &rr), DNS_RCODE_NOERROR);
	assert_int_equal(rr.type, DNS_TYPE_SOA);
	assert_int_equal(handle(f, "0.1.0.0.0.a.9.8.7.6.5.4.3.2.1.d.f.ip6.arpa", DNS_TYPE_PTR),
			 DNS_LOCAL_ANSWER);
	assert_int_equal(answer(f, &h, &rr), DNS_RCODE_NOERROR);
	/* Junk below the prefix, or a 33rd nibble: NXDOMAIN, not forwarded. */
	assert_int_equal(handle(f, "xx.1.0.0.0.a.9.8.7.6.5.4.3.2.1.d.f.ip6.arpa", DNS_TYPE_PTR),
			 DNS_LOCAL_ANSWER);
	assert_int_equal(answer(f, &h, &rr), DNS_RCODE_NXDOMAIN);
	addr6(a, 0x50);
	rev6(a, text);
	memmove(text + 2, text, strlen(text) + 1);
	text[0] = '0';
	text[1] = '.';
	assert_int_equal(handle(f, text, DNS_TYPE_PTR), DNS_LOCAL_ANSWER);
	assert_int_equal(answer(f, &h, &rr), DNS_RCODE_NXDOMAIN);
	/* Outside the prefix, or wider than it: forwarded. */
	assert_int_equal(handle(f, "2.0.0.0.a.9.8.7.6.5.4.3.2.1.d.f.ip6.arpa", DNS_TYPE_PTR),
			 DNS_LOCAL_FORWARD);
	assert_int_equal(handle(f, "0.0.a.9.8.7.6.5.4.3.2.1.d.f.ip6.arpa", DNS_TYPE_PTR),
			 DNS_LOCAL_FORWARD);
	assert_int_equal(handle(f, "ip6.arpa", DNS_TYPE_PTR), DNS_LOCAL_FORWARD);
	/* Without IPv6: none of it is ours. */
	f->ctx.prefix6_len = 0;
	addr6(a, 0x50);
	rev6(a, text);
	assert_int_equal(handle(f, text, DNS_TYPE_PTR), DNS_LOCAL_FORWARD);
}

/* The host's own name gets the gateway's IPv6 address, as it gets the
 * IPv4 one. */
static void test_host_aaaa(void **state)
{
	struct fixture *f = *state;
	struct dns_header h;
	struct dns_rr rr;

	ctx6(f);
	assert_int_equal(handle(f, "myhost.internal", DNS_TYPE_AAAA), DNS_LOCAL_ANSWER);
	assert_int_equal(answer(f, &h, &rr), DNS_RCODE_NOERROR);
	assert_int_equal(h.count[DNS_SECTION_ANSWER], 1);
	assert_int_equal(rr.type, DNS_TYPE_AAAA);
	assert_memory_equal(f->out + rr.rdata_off, f->ctx.gateway6, 16);
}

/* RFC 3596 2.5, read right to left, pure. */
static void test_ip6_nibbles(void **state)
{
	uint8_t name[DNS_NAME_MAX], a[16], want[16] = { 0xfd, 0x12, 0x30 };
	size_t n;
	bool whole;

	(void)state;
	assert_int_equal(dns_name_from_text("3.2.1.d.f", 9, name, &n), 0);
	assert_int_equal(dns_local_ip6_nibbles(name, n - 1, a, &whole), 5);
	assert_true(whole);
	assert_memory_equal(a, want, 16);
	assert_int_equal(dns_name_from_text("3.zz.2.1.D.F", 12, name, &n), 0);
	assert_int_equal(dns_local_ip6_nibbles(name, n - 1, a, &whole), 4);
	assert_false(whole);
	assert_int_equal(a[0], 0xfd);
	/* A two-digit label is no nibble; an empty prefix has none. */
	assert_int_equal(dns_name_from_text("12.f", 4, name, &n), 0);
	assert_int_equal(dns_local_ip6_nibbles(name, n - 1, a, &whole), 1);
	assert_false(whole);
	assert_int_equal(dns_local_ip6_nibbles(name, 0, a, &whole), 0);
	assert_true(whole);
	/* Labels that do not end at plen. */
	assert_int_equal(dns_local_ip6_nibbles(name, 2, a, &whole), -EINVAL);
	assert_int_equal(dns_local_ip6_nibbles(name, n + 5, a, &whole), -EINVAL);
}

static void test_ctx(void **state)
{
	struct dns_local_ctx ctx;

	assert_int_equal(dns_local_ctx_init(&ctx, NULL, "", "-bad-", GW, SUBNET, 20), 0);
	assert_string_equal(ctx.hostname, "");
	assert_int_equal(ctx.domain_len, 0);
	assert_int_equal(dns_local_ctx_init(&ctx, NULL, "a..b", "h", GW, SUBNET, 20), -EINVAL);
	assert_int_equal(dns_local_ctx_init(&ctx, NULL, NULL, "h", GW, SUBNET | 1, 20), -EINVAL);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_a, setup, teardown),
		cmocka_unit_test_setup_teardown(test_host_name, setup, teardown),
		cmocka_unit_test_setup_teardown(test_nodata_nxdomain, setup, teardown),
		cmocka_unit_test_setup_teardown(test_aaaa, setup, teardown),
		cmocka_unit_test_setup_teardown(test_ptr, setup, teardown),
		cmocka_unit_test_setup_teardown(test_forward, setup, teardown),
		cmocka_unit_test_setup_teardown(test_edns_answer, setup, teardown),
		cmocka_unit_test_setup_teardown(test_errors, setup, teardown),
		cmocka_unit_test_setup_teardown(test_error_answer, setup, teardown),
		cmocka_unit_test_setup_teardown(test_ptr6, setup, teardown),
		cmocka_unit_test_setup_teardown(test_host_aaaa, setup, teardown),
		cmocka_unit_test(test_ip6_nibbles),
		cmocka_unit_test(test_ctx),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
