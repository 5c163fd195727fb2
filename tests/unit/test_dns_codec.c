/* The DNS wire codec: names, the iterator, EDNS0, builder, forwarder edits. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "dns_codec.h"

/* Flat name from text; fails the test when the text is bad. */
static size_t tn(const char *s, uint8_t *out)
{
	size_t n = 0;

	assert_int_equal(dns_name_from_text(s, strlen(s), out, &n), 0);
	return n;
}

/* Walks every question and record; returns the first error, or the
 * number of entries read. */
static int walk_all(const uint8_t *buf, size_t len)
{
	struct dns_iter it;
	struct dns_question q;
	struct dns_rr rr;
	int r, n = 0;

	r = dns_iter_init(&it, buf, len, NULL);
	if (r < 0)
		return r;
	while ((r = dns_iter_question(&it, &q)) == 1)
		n++;
	if (r < 0)
		return r;
	while ((r = dns_iter_rr(&it, &rr)) == 1)
		n++;
	return r < 0 ? r : n;
}

/* A response with a little of everything: question, A, CNAME, AAAA, an
 * authority SOA, additional PTR and OPT (last). */
static size_t build_full(uint8_t *buf, size_t size)
{
	static const uint8_t a[4] = { 192, 0, 2, 1 };
	static const uint8_t aaaa[16] = { 0x20, 0x01, 0x0d, 0xb8, [15] = 1 };
	const struct dns_soa_times t = { 2024010101, 7200, 900, 1209600, 300 };
	uint8_t qn[DNS_NAME_MAX], cn[DNS_NAME_MAX], zn[DNS_NAME_MAX];
	uint8_t mn[DNS_NAME_MAX], rn[DNS_NAME_MAX], pn[DNS_NAME_MAX];
	size_t ql = tn("www.example.com", qn), cl = tn("web.example.com", cn);
	size_t zl = tn("example.com", zn), ml = tn("ns1.example.com", mn);
	size_t rl = tn("hostmaster.example.com", rn);
	size_t pl = tn("1.2.0.192.in-addr.arpa", pn);
	struct dns_builder b;

	assert_int_equal(dns_builder_init(&b, buf, size, 0xbeef,
					  DNS_FLAG_QR | DNS_FLAG_RD | DNS_FLAG_RA), 0);
	assert_int_equal(dns_builder_question(&b, qn, ql, DNS_TYPE_A, DNS_CLASS_IN), 0);
	assert_int_equal(dns_builder_rr_begin(&b, DNS_SECTION_ANSWER, qn, ql,
					      DNS_TYPE_CNAME, DNS_CLASS_IN, 600), 0);
	assert_int_equal(dns_builder_rdata_name(&b, cn, cl, true), 0);
	assert_int_equal(dns_builder_rr_end(&b), 0);
	assert_int_equal(dns_builder_a(&b, DNS_SECTION_ANSWER, cn, cl, DNS_CLASS_IN, 120, a), 0);
	assert_int_equal(dns_builder_aaaa(&b, DNS_SECTION_ANSWER, cn, cl, DNS_CLASS_IN, 180, aaaa), 0);
	assert_int_equal(dns_builder_soa(&b, DNS_SECTION_AUTHORITY, zn, zl, 3600,
					 mn, ml, rn, rl, &t), 0);
	assert_int_equal(dns_builder_ptr(&b, DNS_SECTION_ADDITIONAL, pn, pl,
					 DNS_CLASS_IN, 60, cn, cl), 0);
	assert_int_equal(dns_builder_opt(&b, 1232, 0, true), 0);
	return dns_builder_len(&b);
}

static void test_header(void **state)
{
	static const uint8_t m[12] = { 0x12, 0x34, 0x85, 0xa3, 0, 1, 0, 2, 0, 3, 0, 4 };
	struct dns_header h;

	assert_int_equal(dns_msg_parse_header(m, sizeof(m), &h), 0);
	assert_int_equal(h.id, 0x1234);
	assert_true(h.flags & DNS_FLAG_QR);
	assert_true(h.flags & DNS_FLAG_AA);
	assert_false(h.flags & DNS_FLAG_TC);
	assert_true(h.flags & DNS_FLAG_RD);
	assert_true(h.flags & DNS_FLAG_RA);
	assert_true(h.flags & DNS_FLAG_AD);
	assert_false(h.flags & DNS_FLAG_CD);
	assert_int_equal(dns_header_opcode(&h), 0);
	assert_int_equal(dns_header_rcode(&h), DNS_RCODE_NXDOMAIN);
	assert_int_equal(h.count[DNS_SECTION_QUESTION], 1);
	assert_int_equal(h.count[DNS_SECTION_ADDITIONAL], 4);
	assert_int_equal(dns_msg_parse_header(m, 11, &h), -EBADMSG);
	assert_int_equal(dns_msg_parse_header(m, 0, &h), -EBADMSG);
	assert_int_equal(dns_msg_parse_header(m, DNS_MSG_MAX + 1, &h), -EBADMSG);
}

static void test_name_text(void **state)
{
	static const uint8_t want[] = "\3www\7Example\3com";
	uint8_t n[DNS_NAME_MAX], n2[DNS_NAME_MAX];
	char text[DNS_NAME_TEXT_MAX];
	size_t len, len2;

	len = tn("www.Example.com", n);
	assert_int_equal(len, sizeof(want));
	assert_memory_equal(n, want, sizeof(want));
	assert_int_equal(dns_name_to_text(n, len, text, sizeof(text)), 15);
	assert_string_equal(text, "www.Example.com");
	assert_int_equal(tn("www.Example.com.", n2), len);
	assert_memory_equal(n2, want, len);

	assert_int_equal(tn("", n), 1);
	assert_int_equal(n[0], 0);
	assert_int_equal(tn(".", n), 1);
	assert_int_equal(dns_name_to_text(n, 1, text, sizeof(text)), 1);
	assert_string_equal(text, ".");

	/* Escapes: a dot and a backslash inside labels, a control byte, a
	 * space, a byte above '~'. */
	len = tn("a\\.b\\\\.\\007x\\032\\255", n);
	assert_int_equal(len, 1 + 4 + 1 + 4 + 1);
	assert_memory_equal(n, "\4a.b\\\4\7x \377", len);
	assert_int_equal(dns_name_to_text(n, len, text, sizeof(text)), 20);
	assert_string_equal(text, "a\\.b\\\\.\\007x\\032\\255");
	len2 = tn(text, n2);
	assert_true(len2 == len && memcmp(n, n2, len) == 0);
}

static void test_name_text_errors(void **state)
{
	static const char *bad[] = { "a..b", ".a", "..", "a\\", "a\\25",
				     "a\\256", "a\\2x5" };
	char label64[80], long_name[300];
	uint8_t n[DNS_NAME_MAX];
	size_t len;
	int i;

	memset(label64, 'a', 64);
	label64[64] = '\0';
	for (i = 0; i < (int)(sizeof(bad) / sizeof(bad[0])); i++)
		assert_int_equal(dns_name_from_text(bad[i], strlen(bad[i]), n, &len),
				 -EINVAL);
	assert_int_equal(dns_name_from_text(label64, 64, n, &len), -EINVAL);
	assert_int_equal(dns_name_from_text(label64, 63, n, &len), 0);
	assert_int_equal(len, 65);

	/* 4 labels of 63: 4 * 64 + 1 = 257 bytes, too long; 63,63,63,61 is
	 * exactly 255. */
	for (i = 0; i < 4; i++) {
		memset(long_name + i * 64, 'b', 63);
		long_name[i * 64 + 63] = '.';
	}
	assert_int_equal(dns_name_from_text(long_name, 255, n, &len), -EINVAL);
	assert_int_equal(dns_name_from_text(long_name, 253, n, &len), 0);
	assert_int_equal(len, 255);
	assert_int_equal(dns_name_check(n, len), 0);
	assert_int_equal(dns_name_from_text(long_name, 254, n, &len), -EINVAL);
}

static void test_name_to_text_sizes(void **state)
{
	uint8_t n[DNS_NAME_MAX];
	char text[DNS_NAME_TEXT_MAX];

	/* The worst case: 250 bytes to escape, in 4 labels. */
	memset(n, 1, sizeof(n));
	n[0] = 63;
	n[64] = 63;
	n[128] = 63;
	n[192] = 61;
	n[254] = 0;
	assert_int_equal(dns_name_check(n, 255), 0);
	assert_int_equal(dns_name_to_text(n, 255, text, sizeof(text)),
			 DNS_NAME_TEXT_MAX - 1);
	assert_int_equal(dns_name_to_text(n, 255, text, sizeof(text) - 1), -ENOSPC);

	assert_int_equal(tn("ab.c", n), 6);
	assert_int_equal(dns_name_to_text(n, 6, text, 5), 4);
	assert_int_equal(dns_name_to_text(n, 6, text, 4), -ENOSPC);
	assert_int_equal(dns_name_to_text(n, 6, text, 0), -ENOSPC);
	assert_int_equal(dns_name_to_text((const uint8_t *)"", 1, text, 1), -ENOSPC);
	assert_int_equal(dns_name_to_text(n, 5, text, sizeof(text)), -EINVAL);
}

static void test_name_equal_check(void **state)
{
	uint8_t a[DNS_NAME_MAX], b[DNS_NAME_MAX];
	size_t al = tn("WWW.Example.COM", a), bl = tn("www.example.com", b);

	assert_true(dns_name_equal(a, al, b, bl));
	bl = tn("www.example.co", b);
	assert_false(dns_name_equal(a, al, b, bl));
	/* '@' and '`' differ by 0x20 but are not letters. */
	al = tn("a@", a);
	bl = tn("a`", b);
	assert_false(dns_name_equal(a, al, b, bl));
	/* Label lengths 1 and 33 differ by 0x20 too. */
	al = tn("a.bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb", a);
	memcpy(b, a, al);
	b[0] = 33;
	b[2] = 1;
	assert_false(dns_name_equal(a, al, b, al));

	assert_int_equal(dns_name_check((const uint8_t *)"\3www\0", 5), 0);
	assert_int_equal(dns_name_check((const uint8_t *)"\3www\0", 4), -EINVAL);
	assert_int_equal(dns_name_check((const uint8_t *)"\3www\0\0", 6), -EINVAL);
	assert_int_equal(dns_name_check((const uint8_t *)"\100", 1), -EINVAL);
	assert_int_equal(dns_name_check((const uint8_t *)"\300\014", 2), -EINVAL);
	assert_int_equal(dns_name_check((const uint8_t *)"", 0), -EINVAL);
}

/* example.com A, as a resolver answers it, the answer name compressed. */
static const uint8_t example_a[] = {
	0xab, 0xcd, 0x81, 0x80, 0, 1, 0, 1, 0, 0, 0, 0,
	7, 'e', 'x', 'a', 'm', 'p', 'l', 'e', 3, 'c', 'o', 'm', 0,
	0, 1, 0, 1,
	0xc0, 0x0c, 0, 1, 0, 1, 0, 0, 0x0e, 0x10, 0, 4, 93, 184, 216, 34,
};

static void test_real_a_answer(void **state)
{
	struct dns_iter it;
	struct dns_header h;
	struct dns_question q;
	struct dns_rr rr;
	uint8_t n[DNS_NAME_MAX], want[DNS_NAME_MAX];
	size_t nl, next, wl = tn("example.com", want);
	uint32_t ttl;

	assert_int_equal(dns_iter_init(&it, example_a, sizeof(example_a), &h), 0);
	assert_int_equal(h.id, 0xabcd);
	assert_int_equal(dns_iter_question(&it, &q), 1);
	assert_int_equal(q.name_off, 12);
	assert_true(dns_name_equal(q.name, q.name_len, want, wl));
	assert_int_equal(q.qtype, DNS_TYPE_A);
	assert_int_equal(q.qclass, DNS_CLASS_IN);
	assert_false(dns_question_qu(&q));
	assert_int_equal(dns_iter_question(&it, &q), 0);
	assert_int_equal(dns_iter_rr(&it, &rr), 1);
	assert_int_equal(rr.section, DNS_SECTION_ANSWER);
	assert_int_equal(rr.name_off, 29);
	assert_int_equal(rr.name_len, wl);
	assert_int_equal(rr.type, DNS_TYPE_A);
	assert_int_equal(dns_rr_class(&rr), DNS_CLASS_IN);
	assert_int_equal(rr.ttl, 3600);
	assert_int_equal(rr.rdlength, 4);
	assert_memory_equal(example_a + rr.rdata_off, "\x5d\xb8\xd8\x22", 4);
	assert_int_equal(rr.end, sizeof(example_a));
	assert_int_equal(dns_name_read(example_a, sizeof(example_a), rr.name_off,
				       n, &nl, &next), 0);
	assert_true(dns_name_equal(n, nl, want, wl));
	assert_int_equal(next, 31);
	assert_int_equal(dns_name_equal_at(example_a, sizeof(example_a), 29,
					   want, wl), 1);
	assert_int_equal(dns_name_equal_at(example_a, sizeof(example_a), 20,
					   want, wl), 0);
	assert_int_equal(dns_iter_rr(&it, &rr), 0);
	assert_int_equal(dns_iter_end(&it), sizeof(example_a));
	assert_int_equal(dns_msg_min_ttl(example_a, sizeof(example_a), &ttl), 0);
	assert_int_equal(ttl, 3600);
}

/* www.example.org CNAME example.org (compressed inside the RDATA), then
 * example.org A; a resolver's answer to a CNAME chain. */
static const uint8_t cname_chain[] = {
	0x00, 0x07, 0x81, 0x80, 0, 1, 0, 2, 0, 0, 0, 0,
	3, 'w', 'w', 'w', 7, 'e', 'x', 'a', 'm', 'p', 'l', 'e', 3, 'o', 'r', 'g', 0,
	0, 1, 0, 1,
	0xc0, 0x0c, 0, 5, 0, 1, 0, 0, 0x01, 0x2c, 0, 2, 0xc0, 0x10,
	0xc0, 0x10, 0, 1, 0, 1, 0, 0, 0x00, 0x3c, 0, 4, 192, 0, 2, 7,
};

static void test_cname_chain(void **state)
{
	struct dns_iter it;
	struct dns_rr rr;
	uint8_t n[DNS_NAME_MAX], want[DNS_NAME_MAX];
	size_t nl, next, wl = tn("example.org", want);
	uint32_t ttl;

	assert_int_equal(walk_all(cname_chain, sizeof(cname_chain)), 3);
	assert_int_equal(dns_iter_init(&it, cname_chain, sizeof(cname_chain), NULL), 0);
	assert_int_equal(dns_iter_rr(&it, &rr), 1);
	assert_int_equal(rr.type, DNS_TYPE_CNAME);
	assert_int_equal(dns_rr_name_at(cname_chain, sizeof(cname_chain), &rr,
					 rr.rdata_off, n, &nl, &next), 0);
	assert_true(dns_name_equal(n, nl, want, wl));
	assert_int_equal(next, rr.end);
	/* Outside the RDATA. */
	assert_int_equal(dns_rr_name_at(cname_chain, sizeof(cname_chain), &rr,
					 rr.rdata_off - 1, n, &nl, &next), -EBADMSG);
	assert_int_equal(dns_rr_name_at(cname_chain, sizeof(cname_chain), &rr,
					 rr.end, n, &nl, &next), -EBADMSG);
	assert_int_equal(dns_iter_rr(&it, &rr), 1);
	assert_int_equal(dns_name_equal_at(cname_chain, sizeof(cname_chain),
					   rr.name_off, want, wl), 1);
	assert_int_equal(dns_msg_min_ttl(cname_chain, sizeof(cname_chain), &ttl), 0);
	assert_int_equal(ttl, 60);
}

static void test_rdata_name_overruns_rdata(void **state)
{
	/* A CNAME whose RDATA claims 2 bytes but whose name is 5 long. */
	static const uint8_t m[] = {
		0, 1, 0x81, 0x80, 0, 0, 0, 1, 0, 0, 0, 0,
		1, 'a', 0, 0, 5, 0, 1, 0, 0, 0, 1, 0, 2,
		3, 'x', 'y', 'z', 0,
	};
	struct dns_iter it;
	struct dns_rr rr;
	uint8_t n[DNS_NAME_MAX];
	size_t nl, next;

	assert_int_equal(dns_iter_init(&it, m, sizeof(m), NULL), 0);
	assert_int_equal(dns_iter_rr(&it, &rr), 1);
	assert_int_equal(rr.rdlength, 2);
	assert_int_equal(dns_rr_name_at(m, sizeof(m), &rr, rr.rdata_off, n, &nl,
					 &next), -EBADMSG);
}

/* A query for a name at offset 12, bytes given; returns walk_all(). */
static int query_with_name(const uint8_t *name, size_t n)
{
	uint8_t m[600] = { 0, 1, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0 };

	assert_true(n + 16 <= sizeof(m));
	memcpy(m + 12, name, n);
	memcpy(m + 12 + n, "\0\1\0\1", 4);
	return walk_all(m, 12 + n + 4);
}

static void test_pointer_loops(void **state)
{
	uint8_t n[DNS_NAME_MAX];
	size_t nl, next;

	/* Self pointer. */
	assert_int_equal(query_with_name((const uint8_t *)"\300\014", 2), -EBADMSG);
	/* Forward pointer, to a valid name after it. */
	assert_int_equal(query_with_name((const uint8_t *)"\300\016\1a\0", 5), -EBADMSG);
	/* Into the header. */
	assert_int_equal(query_with_name((const uint8_t *)"\300\002", 2), -EBADMSG);
	/* Two pointers pointing at each other. */
	assert_int_equal(query_with_name((const uint8_t *)"\300\016\300\014", 4), -EBADMSG);
	assert_int_equal(dns_name_read((const uint8_t *)"\0\1\0\0\0\0\0\0\0\0\0\0"
				       "\300\016\300\014", 16, 14, n, &nl, &next),
			 -EBADMSG);
	/* Reserved label types. */
	assert_int_equal(query_with_name((const uint8_t *)"\100a\0", 3), -EBADMSG);
	assert_int_equal(query_with_name((const uint8_t *)"\200a\0", 3), -EBADMSG);
	/* Pointer cut off by the end of the message. */
	assert_int_equal(walk_all((const uint8_t *)"\0\1\0\0\0\1\0\0\0\0\0\0\300", 13),
			 -EBADMSG);
}

static void test_pointer_loop_through_label(void **state)
{
	/* A plain backward pointer: fine. */
	static const uint8_t m[] = {
		0, 1, 0, 0, 0, 2, 0, 0, 0, 0, 0, 0,
		1, 'a', 0, 0, 1, 0, 1,
		0xc0, 0x0c, 0, 1, 0, 1,
	};
	/* 12: a label of 5 (13..17) whose last two bytes, at 16, read as a
	 * pointer to 12; 18: a pointer to 12. From 16 or 18 every jump goes
	 * backwards from where it stands, yet 12 -> 18 -> 12 cycles: a jump
	 * must land before the labels that led to it. */
	static const uint8_t loop[] = {
		0, 1, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0,
		5, 'x', 'x', 'x', 0xc0, 0x0c, 0xc0, 0x0c, 0, 1, 0, 1,
	};
	struct dns_iter it;
	struct dns_question q;
	uint8_t n[DNS_NAME_MAX];
	size_t nl, next;

	/* At 14, a pointer back to 12, where a label runs over the pointer:
	 * the suffix must lie wholly before the pointer. */
	static const uint8_t overlap[] = {
		0, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
		3, 'x', 0xc0, 0x0c, 0,
	};

	assert_int_equal(dns_name_read(overlap, sizeof(overlap), 12, n, &nl, &next), 0);
	assert_int_equal(nl, 5);
	assert_int_equal(dns_name_read(overlap, sizeof(overlap), 14, n, &nl, &next),
			 -EBADMSG);
	assert_int_equal(walk_all(m, sizeof(m)), 2);
	assert_int_equal(dns_name_read(loop, sizeof(loop), 16, n, &nl, &next),
			 -EBADMSG);
	assert_int_equal(dns_name_read(loop, sizeof(loop), 18, n, &nl, &next),
			 -EBADMSG);
	assert_int_equal(dns_iter_init(&it, loop, sizeof(loop), NULL), 0);
	assert_int_equal(dns_iter_question(&it, &q), -EBADMSG);
	/* Sticky. */
	assert_int_equal(dns_iter_question(&it, &q), -EBADMSG);
}

static void test_pointer_hops(void **state)
{
	/* A root name at 12, then a chain of pointers, each to the one
	 * before: reading the last of k+1 pointers takes k+1 jumps. */
	uint8_t m[200] = { 0, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0 };
	uint8_t n[DNS_NAME_MAX];
	size_t nl, next, i, off = 13;

	for (i = 0; i < DNS_NAME_MAX_HOPS + 1; i++, off += 2) {
		size_t to = i == 0 ? 12 : off - 2;

		m[off] = (uint8_t)(0xc0 | to >> 8);
		m[off + 1] = (uint8_t)to;
	}
	assert_int_equal(dns_name_read(m, off, off - 4, n, &nl, &next), 0);
	assert_int_equal(nl, 1);
	assert_int_equal(dns_name_read(m, off, off - 2, n, &nl, &next), -EBADMSG);
}

static void test_label_and_name_limits(void **state)
{
	uint8_t name[300];
	int i;

	/* Label of 63: fine; 64: rejected. */
	name[0] = 63;
	memset(name + 1, 'a', 63);
	name[64] = 0;
	assert_int_equal(query_with_name(name, 65), 1);
	name[0] = 64;
	memset(name + 1, 'a', 64);
	name[65] = 0;
	assert_int_equal(query_with_name(name, 66), -EBADMSG);

	/* 63,63,63,61 = 255 bytes: fine; 63,63,63,62 = 256: rejected. */
	for (i = 0; i < 4; i++) {
		name[i * 64] = 63;
		memset(name + i * 64 + 1, 'b', 63);
	}
	name[192] = 61;
	name[254] = 0;
	assert_int_equal(query_with_name(name, 255), 1);
	name[192] = 62;
	name[255] = 0;
	assert_int_equal(query_with_name(name, 256), -EBADMSG);
}

static void test_compressed_name_too_long(void **state)
{
	/* Question 1: 200 bytes of labels; question 2: 60 more bytes, then a
	 * pointer to question 1: 260 bytes in all. */
	uint8_t m[400] = { 0, 1, 0, 0, 0, 2, 0, 0, 0, 0, 0, 0 };
	size_t off = 12;
	int i;

	for (i = 0; i < 4; i++, off += 50) {
		m[off] = 49;
		memset(m + off + 1, 'c', 49);
	}
	m[off++] = 0;
	memcpy(m + off, "\0\1\0\1", 4);
	off += 4;
	m[off] = 59;
	memset(m + off + 1, 'd', 59);
	off += 60;
	m[off++] = 0xc0;
	m[off++] = 12;
	memcpy(m + off, "\0\1\0\1", 4);
	off += 4;
	assert_int_equal(walk_all(m, off), -EBADMSG);
	/* With the label 10 bytes shorter it is 251: fine. */
	m[213 + 4] = 49;
	memmove(m + 217 + 50, m + 217 + 60, 6);
	assert_int_equal(walk_all(m, off - 10), 2);
}

static void test_truncated_every_length(void **state)
{
	uint8_t full[512];
	size_t n = build_full(full, sizeof(full)), len;

	struct dns_iter it;
	struct dns_rr rr;
	size_t first_additional_end = 0;

	assert_int_equal(walk_all(full, n), 7);
	assert_int_equal(dns_iter_init(&it, full, n, NULL), 0);
	while (dns_iter_rr(&it, &rr) == 1 && !first_additional_end) {
		if (rr.section == DNS_SECTION_ADDITIONAL)
			first_additional_end = rr.end;
	}
	assert_true(first_additional_end > 0);
	/* An exact-size copy, so a read past len is caught by valgrind/ASan. */
	for (len = 0; len < n; len++) {
		uint8_t *copy = malloc(len ? len : 1);
		struct dns_edns e;
		uint32_t ttl;

		assert_non_null(copy);
		memcpy(copy, full, len);
		assert_int_equal(walk_all(copy, len), -EBADMSG);
		assert_int_equal(dns_msg_edns(copy, len, &e), -EBADMSG);
		/* It stops at the additional section. */
		if (len < first_additional_end) {
			assert_int_equal(dns_msg_min_ttl(copy, len, &ttl), -EBADMSG);
		} else {
			assert_int_equal(dns_msg_min_ttl(copy, len, &ttl), 0);
			assert_int_equal(ttl, 120);
		}
		free(copy);
	}
}

static void test_counts_lie(void **state)
{
	uint8_t m[sizeof(example_a)];
	struct dns_header h;
	struct dns_question q;

	memcpy(m, example_a, sizeof(m));
	m[7] = 2;  /* two answers claimed, one there */
	assert_int_equal(walk_all(m, sizeof(m)), -EBADMSG);
	m[7] = 1;
	m[11] = 1; /* an additional record claimed */
	assert_int_equal(walk_all(m, sizeof(m)), -EBADMSG);
	m[11] = 0;
	m[4] = 0xff;
	m[5] = 0xff; /* 65535 questions */
	assert_int_equal(walk_all(m, sizeof(m)), -EBADMSG);
	assert_int_equal(dns_msg_question(m, sizeof(m), &h, &q), -EBADMSG);
	/* RDLENGTH past the end. */
	memcpy(m, example_a, sizeof(m));
	m[sizeof(m) - 5] = 5;
	assert_int_equal(walk_all(m, sizeof(m)), -EBADMSG);
	/* Fewer records claimed than present: the rest is trailing bytes. */
	memcpy(m, example_a, sizeof(m));
	m[7] = 0;
	assert_int_equal(walk_all(m, sizeof(m)), 1);
}

static void test_msg_question(void **state)
{
	uint8_t m[sizeof(example_a)];
	struct dns_header h;
	struct dns_question q;

	assert_int_equal(dns_msg_question(example_a, sizeof(example_a), &h, &q), 0);
	assert_int_equal(h.id, 0xabcd);
	assert_int_equal(q.qtype, DNS_TYPE_A);
	assert_int_equal(q.name_len, 13);
	memcpy(m, example_a, sizeof(m));
	m[5] = 0;
	assert_int_equal(dns_msg_question(m, sizeof(m), &h, &q), -EBADMSG);
	m[5] = 2;
	assert_int_equal(dns_msg_question(m, sizeof(m), &h, &q), -EBADMSG);
	assert_int_equal(dns_msg_question(m, 11, &h, &q), -EBADMSG);
	assert_int_equal(dns_msg_question(example_a, 20, &h, &q), -EBADMSG);
}

static void test_builder_roundtrip(void **state)
{
	uint8_t buf[512], n[DNS_NAME_MAX], want[DNS_NAME_MAX];
	size_t len = build_full(buf, sizeof(buf)), nl, next, m_off, r_off;
	struct dns_iter it;
	struct dns_header h;
	struct dns_question q;
	struct dns_rr rr;
	struct dns_soa_times t;
	struct dns_edns e;

	assert_int_equal(dns_iter_init(&it, buf, len, &h), 0);
	assert_int_equal(h.id, 0xbeef);
	assert_int_equal(h.flags, DNS_FLAG_QR | DNS_FLAG_RD | DNS_FLAG_RA);
	assert_int_equal(h.count[0], 1);
	assert_int_equal(h.count[1], 3);
	assert_int_equal(h.count[2], 1);
	assert_int_equal(h.count[3], 2);
	assert_int_equal(dns_iter_question(&it, &q), 1);
	assert_true(dns_name_equal(q.name, q.name_len, want, tn("www.example.com", want)));

	assert_int_equal(dns_iter_rr(&it, &rr), 1);
	assert_int_equal(rr.type, DNS_TYPE_CNAME);
	assert_int_equal(rr.ttl, 600);
	/* Owner compressed to the question; the target to example.com. */
	assert_memory_equal(buf + rr.name_off, "\300\014", 2);
	assert_int_equal(rr.rdlength, 6);
	assert_int_equal(dns_rr_name_at(buf, len, &rr, rr.rdata_off, n, &nl, &next), 0);
	assert_true(dns_name_equal(n, nl, want, tn("web.example.com", want)));

	assert_int_equal(dns_iter_rr(&it, &rr), 1);
	assert_int_equal(rr.type, DNS_TYPE_A);
	assert_int_equal(rr.name_len, 17);
	assert_int_equal(rr.end - rr.name_off, 2 + 10 + 4);
	assert_memory_equal(buf + rr.rdata_off, "\300\000\002\001", 4);

	assert_int_equal(dns_iter_rr(&it, &rr), 1);
	assert_int_equal(rr.type, DNS_TYPE_AAAA);
	assert_int_equal(rr.ttl, 180);
	assert_int_equal(rr.rdlength, 16);

	assert_int_equal(dns_iter_rr(&it, &rr), 1);
	assert_int_equal(rr.section, DNS_SECTION_AUTHORITY);
	assert_int_equal(rr.type, DNS_TYPE_SOA);
	assert_int_equal(dns_rr_soa(buf, len, &rr, &m_off, &r_off, &t), 0);
	assert_int_equal(t.serial, 2024010101);
	assert_int_equal(t.refresh, 7200);
	assert_int_equal(t.retry, 900);
	assert_int_equal(t.expire, 1209600);
	assert_int_equal(t.minimum, 300);
	assert_int_equal(dns_name_equal_at(buf, len, m_off, want,
					   tn("ns1.example.com", want)), 1);
	assert_int_equal(dns_name_equal_at(buf, len, r_off, want,
					   tn("hostmaster.example.com", want)), 1);
	/* "ns1" + pointer, "hostmaster" + pointer, 20 bytes of times. */
	assert_int_equal(rr.rdlength, 6 + 13 + 20);

	assert_int_equal(dns_iter_rr(&it, &rr), 1);
	assert_int_equal(rr.section, DNS_SECTION_ADDITIONAL);
	assert_int_equal(rr.type, DNS_TYPE_PTR);
	assert_int_equal(rr.rdlength, 2);
	assert_int_equal(dns_rr_name_at(buf, len, &rr, rr.rdata_off, n, &nl, &next), 0);
	assert_true(dns_name_equal(n, nl, want, tn("web.example.com", want)));

	assert_int_equal(dns_iter_rr(&it, &rr), 1);
	assert_int_equal(rr.type, DNS_TYPE_OPT);
	assert_int_equal(dns_iter_rr(&it, &rr), 0);
	assert_int_equal(dns_iter_end(&it), len);

	assert_int_equal(dns_msg_edns(buf, len, &e), 0);
	assert_true(e.present);
	assert_int_equal(e.udp_size, 1232);
	assert_true(e.do_bit);
	assert_int_equal(e.version, 0);
	assert_int_equal(e.rr_end, len);
	assert_int_equal(e.rr_off, len - 11);

	assert_int_equal(dns_rr_soa(buf, len, &rr, &m_off, &r_off, &t), -EINVAL);
}

static void test_builder_case_kept(void **state)
{
	uint8_t buf[256], q[DNS_NAME_MAX], a[DNS_NAME_MAX], n[DNS_NAME_MAX];
	size_t ql = tn("wWw.ExAmPlE.com", q), al = tn("www.example.com", a), nl, next;
	static const uint8_t addr[4] = { 192, 0, 2, 9 };
	struct dns_builder b;
	struct dns_iter it;
	struct dns_rr rr;

	assert_int_equal(dns_builder_init(&b, buf, sizeof(buf), 1, DNS_FLAG_QR), 0);
	assert_int_equal(dns_builder_question(&b, q, ql, DNS_TYPE_A, DNS_CLASS_IN), 0);
	assert_int_equal(dns_builder_a(&b, DNS_SECTION_ANSWER, a, al, DNS_CLASS_IN, 5, addr), 0);
	assert_int_equal(dns_iter_init(&it, buf, dns_builder_len(&b), NULL), 0);
	assert_int_equal(dns_iter_rr(&it, &rr), 1);
	assert_int_equal(dns_name_read(buf, dns_builder_len(&b), rr.name_off, n, &nl,
				       &next), 0);
	/* Same name to DNS, but its bytes were written as given: only "com"
	 * was shared. */
	assert_int_equal(nl, al);
	assert_memory_equal(n, a, al);
	assert_int_equal(next - rr.name_off, 1 + 3 + 1 + 7 + 2);
}

static void test_builder_emsgsize(void **state)
{
	uint8_t buf[64], q[DNS_NAME_MAX], z[DNS_NAME_MAX], ns[DNS_NAME_MAX];
	size_t ql = tn("host.example.com", q), zl = tn("example.com", z);
	size_t nsl = tn("a-rather-long-name-server.example.net", ns), before;
	const struct dns_soa_times t = { 1, 2, 3, 4, 5 };
	static const uint8_t addr[4] = { 192, 0, 2, 1 };
	struct dns_builder b;
	struct dns_header h;

	assert_int_equal(dns_builder_init(&b, buf, 11, 7, DNS_FLAG_QR), -EMSGSIZE);
	assert_int_equal(dns_builder_init(&b, buf, sizeof(buf), 7, DNS_FLAG_QR), 0);
	assert_int_equal(dns_builder_question(&b, q, ql, DNS_TYPE_A, DNS_CLASS_IN), 0);
	assert_int_equal(dns_builder_len(&b), 12 + 18 + 4);
	/* A: 2 + 10 + 4 = 16 bytes: fits (50); a second one: 66, does not. */
	assert_int_equal(dns_builder_a(&b, DNS_SECTION_ANSWER, q, ql, DNS_CLASS_IN, 1, addr), 0);
	before = dns_builder_len(&b);
	assert_int_equal(dns_builder_a(&b, DNS_SECTION_ANSWER, q, ql, DNS_CLASS_IN, 1, addr),
			 -EMSGSIZE);
	assert_int_equal(dns_builder_len(&b), before);
	/* An SOA that breaks off in its MNAME: taken back whole. */
	assert_int_equal(dns_builder_soa(&b, DNS_SECTION_AUTHORITY, z, zl, 60, ns, nsl,
					 ns, nsl, &t), -EMSGSIZE);
	assert_int_equal(dns_builder_len(&b), before);
	assert_int_equal(dns_builder_rr_end(&b), -EINVAL);
	assert_int_equal(dns_builder_opt(&b, 1232, 0, false), 0);
	dns_builder_set_tc(&b);
	assert_int_equal(dns_msg_parse_header(buf, dns_builder_len(&b), &h), 0);
	assert_true(h.flags & DNS_FLAG_TC);
	assert_int_equal(h.count[DNS_SECTION_ANSWER], 1);
	assert_int_equal(h.count[DNS_SECTION_AUTHORITY], 0);
	assert_int_equal(h.count[DNS_SECTION_ADDITIONAL], 1);
	assert_int_equal(walk_all(buf, dns_builder_len(&b)), 3);
	dns_builder_set_rcode(&b, DNS_RCODE_SERVFAIL);
	assert_int_equal(dns_msg_parse_header(buf, dns_builder_len(&b), &h), 0);
	assert_int_equal(dns_header_rcode(&h), DNS_RCODE_SERVFAIL);
	assert_true(h.flags & DNS_FLAG_TC);
}

static void test_builder_rollback_compression(void **state)
{
	/* A PTR whose target fits but whose record then does not would leave
	 * the target's suffixes in the table; the next record must not point
	 * into the discarded bytes. */
	uint8_t buf[80], o[DNS_NAME_MAX], t[DNS_NAME_MAX];
	size_t ol = tn("x", o), tl = tn("target.example", t);
	static const uint8_t pad[30];
	struct dns_builder b;

	assert_int_equal(dns_builder_init(&b, buf, sizeof(buf), 7, DNS_FLAG_QR), 0);
	assert_int_equal(dns_builder_rr_begin(&b, DNS_SECTION_ANSWER, o, ol,
					      DNS_TYPE_TXT, DNS_CLASS_IN, 1), 0);
	assert_int_equal(dns_builder_rdata_name(&b, t, tl, true), 0);
	assert_int_equal(dns_builder_rdata(&b, pad, sizeof(pad)), 0);
	assert_int_equal(dns_builder_rdata(&b, pad, sizeof(pad)), -EMSGSIZE);
	assert_int_equal(dns_builder_rdata(&b, pad, 1), -EINVAL);
	assert_int_equal(dns_builder_len(&b), 12);
	assert_int_equal(dns_builder_ptr(&b, DNS_SECTION_ANSWER, o, ol, DNS_CLASS_IN,
					 1, t, tl), 0);
	assert_int_equal(walk_all(buf, dns_builder_len(&b)), 1);
	assert_int_equal(dns_builder_len(&b), 12 + 3 + 10 + tl);
}

static void test_builder_invalid(void **state)
{
	uint8_t buf[128], n[DNS_NAME_MAX];
	size_t nl = tn("a.b", n);
	struct dns_builder b;

	assert_int_equal(dns_builder_init(&b, buf, sizeof(buf), 7, 0), 0);
	assert_int_equal(dns_builder_question(&b, n, nl - 1, 1, 1), -EINVAL);
	assert_int_equal(dns_builder_rr_begin(&b, DNS_SECTION_QUESTION, n, nl, 1, 1, 1),
			 -EINVAL);
	assert_int_equal(dns_builder_rr(&b, DNS_SECTION_AUTHORITY, n, nl, 1, 1, 1,
					"\1\2\3\4", 4), 0);
	/* Sections in order. */
	assert_int_equal(dns_builder_rr(&b, DNS_SECTION_ANSWER, n, nl, 1, 1, 1,
					"\1\2\3\4", 4), -EINVAL);
	assert_int_equal(dns_builder_question(&b, n, nl, 1, 1), -EINVAL);
	/* No second record while one is open. */
	assert_int_equal(dns_builder_rr_begin(&b, DNS_SECTION_ADDITIONAL, n, nl, 1, 1, 1), 0);
	assert_int_equal(dns_builder_rr_begin(&b, DNS_SECTION_ADDITIONAL, n, nl, 1, 1, 1),
			 -EINVAL);
	/* A bad RDATA name takes the record back. */
	assert_int_equal(dns_builder_rdata_name(&b, n, 2, true), -EINVAL);
	assert_int_equal(dns_builder_rr_end(&b), -EINVAL);
	assert_int_equal(walk_all(buf, dns_builder_len(&b)), 1);
}

static void test_mdns_bits(void **state)
{
	uint8_t buf[256], n[DNS_NAME_MAX];
	size_t nl = tn("vm1.local", n);
	static const uint8_t addr[4] = { 172, 20, 48, 10 };
	struct dns_builder b;
	struct dns_iter it;
	struct dns_question q;
	struct dns_rr rr;

	assert_int_equal(dns_builder_init(&b, buf, sizeof(buf), 0, DNS_FLAG_QR | DNS_FLAG_AA), 0);
	assert_int_equal(dns_builder_question(&b, n, nl, DNS_TYPE_A,
					      DNS_CLASS_IN | DNS_CLASS_MDNS_BIT), 0);
	assert_int_equal(dns_builder_a(&b, DNS_SECTION_ANSWER, n, nl,
				       DNS_CLASS_IN | DNS_CLASS_MDNS_BIT, 120, addr), 0);
	assert_int_equal(dns_builder_a(&b, DNS_SECTION_ANSWER, n, nl, DNS_CLASS_IN, 120,
				       addr), 0);
	assert_int_equal(dns_iter_init(&it, buf, dns_builder_len(&b), NULL), 0);
	assert_int_equal(dns_iter_question(&it, &q), 1);
	assert_true(dns_question_qu(&q));
	assert_int_equal(q.qclass & DNS_CLASS_MASK, DNS_CLASS_IN);
	assert_int_equal(dns_iter_rr(&it, &rr), 1);
	assert_true(dns_rr_cache_flush(&rr));
	assert_int_equal(dns_rr_class(&rr), DNS_CLASS_IN);
	assert_int_equal(rr.rrclass, 0x8001);
	assert_int_equal(dns_iter_rr(&it, &rr), 1);
	assert_false(dns_rr_cache_flush(&rr));
	assert_int_equal(dns_rr_class(&rr), DNS_CLASS_IN);
}

/* A query for example.com A with the given additional bytes. */
static size_t query_with_additional(uint8_t *m, uint16_t arcount,
				    const uint8_t *add, size_t add_len)
{
	static const uint8_t head[] = {
		0x55, 0x66, 0x01, 0x20, 0, 1, 0, 0, 0, 0, 0, 0,
		7, 'e', 'x', 'a', 'm', 'p', 'l', 'e', 3, 'c', 'o', 'm', 0, 0, 1, 0, 1,
	};

	memcpy(m, head, sizeof(head));
	m[10] = (uint8_t)(arcount >> 8);
	m[11] = (uint8_t)arcount;
	memcpy(m + sizeof(head), add, add_len);
	return sizeof(head) + add_len;
}

static void test_edns(void **state)
{
	/* OPT: 4096, ext rcode 1, version 0, DO, a 4-byte option. */
	static const uint8_t opt[] = {
		0, 0, 41, 0x10, 0x00, 1, 0, 0x80, 0, 0, 8, 0, 10, 0, 4, 1, 2, 3, 4,
	};
	static const uint8_t opt_plain[] = { 0, 0, 41, 0x02, 0x00, 0, 1, 0, 0, 0, 0 };
	uint8_t m[256], two[64];
	struct dns_edns e;
	size_t len;

	len = query_with_additional(m, 1, opt, sizeof(opt));
	assert_int_equal(dns_msg_edns(m, len, &e), 0);
	assert_true(e.present);
	assert_int_equal(e.udp_size, 4096);
	assert_int_equal(e.ext_rcode, 1);
	assert_int_equal(e.version, 0);
	assert_true(e.do_bit);
	assert_int_equal(e.opts_len, 8);
	assert_int_equal(e.opts_off, len - 8);

	len = query_with_additional(m, 1, opt_plain, sizeof(opt_plain));
	assert_int_equal(dns_msg_edns(m, len, &e), 0);
	assert_true(e.present);
	assert_int_equal(e.udp_size, 512);
	assert_int_equal(e.version, 1);
	assert_false(e.do_bit);

	/* No OPT. */
	assert_int_equal(dns_msg_edns(example_a, sizeof(example_a), &e), 0);
	assert_false(e.present);

	/* Two OPTs: FORMERR. */
	memcpy(two, opt_plain, sizeof(opt_plain));
	memcpy(two + sizeof(opt_plain), opt_plain, sizeof(opt_plain));
	len = query_with_additional(m, 2, two, 2 * sizeof(opt_plain));
	assert_int_equal(walk_all(m, len), 3);
	assert_int_equal(dns_msg_edns(m, len, &e), -EBADMSG);

	/* Not owned by the root. */
	memcpy(two, "\1a", 2);
	memcpy(two + 2, opt_plain, sizeof(opt_plain));
	len = query_with_additional(m, 1, two, 2 + sizeof(opt_plain));
	assert_int_equal(dns_msg_edns(m, len, &e), -EBADMSG);

	/* An option that runs past the RDATA. */
	memcpy(two, opt, sizeof(opt));
	two[14] = 5;
	len = query_with_additional(m, 1, two, sizeof(opt));
	assert_int_equal(walk_all(m, len), 2);
	assert_int_equal(dns_msg_edns(m, len, &e), -EBADMSG);
	/* A stray byte after the last option. */
	memcpy(two, opt, sizeof(opt));
	two[10] = 9;
	two[sizeof(opt)] = 0;
	len = query_with_additional(m, 1, two, sizeof(opt) + 1);
	assert_int_equal(dns_msg_edns(m, len, &e), -EBADMSG);

	/* In the answer section. */
	len = query_with_additional(m, 0, opt_plain, sizeof(opt_plain));
	m[7] = 1;
	assert_int_equal(dns_msg_edns(m, len, &e), -EBADMSG);
}

static void test_min_ttl(void **state)
{
	uint8_t buf[256], z[DNS_NAME_MAX], mn[DNS_NAME_MAX], q[DNS_NAME_MAX];
	size_t zl = tn("example.com", z), ml = tn("ns.example.com", mn);
	size_t ql = tn("nx.example.com", q);
	struct dns_soa_times t = { 1, 2, 3, 4, 900 };
	static const uint8_t addr[4] = { 192, 0, 2, 1 };
	struct dns_builder b;
	uint32_t ttl;

	/* NXDOMAIN: min(SOA TTL 3600, MINIMUM 900). */
	assert_int_equal(dns_builder_init(&b, buf, sizeof(buf), 1,
					  DNS_FLAG_QR | DNS_RCODE_NXDOMAIN), 0);
	assert_int_equal(dns_builder_question(&b, q, ql, DNS_TYPE_A, DNS_CLASS_IN), 0);
	assert_int_equal(dns_builder_soa(&b, DNS_SECTION_AUTHORITY, z, zl, 3600, mn, ml,
					 mn, ml, &t), 0);
	assert_int_equal(dns_builder_opt(&b, 1232, 0, false), 0);
	assert_int_equal(dns_msg_min_ttl(buf, dns_builder_len(&b), &ttl), 0);
	assert_int_equal(ttl, 900);

	/* SOA TTL below MINIMUM. */
	assert_int_equal(dns_builder_init(&b, buf, sizeof(buf), 1, DNS_FLAG_QR), 0);
	assert_int_equal(dns_builder_soa(&b, DNS_SECTION_AUTHORITY, z, zl, 100, mn, ml,
					 mn, ml, &t), 0);
	assert_int_equal(dns_msg_min_ttl(buf, dns_builder_len(&b), &ttl), 0);
	assert_int_equal(ttl, 100);

	/* An SOA as an answer keeps its own TTL; a TTL with the top bit set
	 * counts as 0. */
	assert_int_equal(dns_builder_init(&b, buf, sizeof(buf), 1, DNS_FLAG_QR), 0);
	assert_int_equal(dns_builder_soa(&b, DNS_SECTION_ANSWER, z, zl, 1800, mn, ml,
					 mn, ml, &t), 0);
	assert_int_equal(dns_msg_min_ttl(buf, dns_builder_len(&b), &ttl), 0);
	assert_int_equal(ttl, 1800);
	assert_int_equal(dns_builder_a(&b, DNS_SECTION_ANSWER, z, zl, DNS_CLASS_IN,
				       0x80000000u, addr), 0);
	assert_int_equal(dns_msg_min_ttl(buf, dns_builder_len(&b), &ttl), 0);
	assert_int_equal(ttl, 0);

	/* Additional records do not count; nothing else: -ENOENT. */
	assert_int_equal(dns_builder_init(&b, buf, sizeof(buf), 1, DNS_FLAG_QR), 0);
	assert_int_equal(dns_builder_a(&b, DNS_SECTION_ADDITIONAL, z, zl, DNS_CLASS_IN,
				       5, addr), 0);
	assert_int_equal(dns_msg_min_ttl(buf, dns_builder_len(&b), &ttl), -ENOENT);

	/* A broken SOA in the authority section. */
	assert_int_equal(dns_builder_init(&b, buf, sizeof(buf), 1, DNS_FLAG_QR), 0);
	assert_int_equal(dns_builder_rr(&b, DNS_SECTION_AUTHORITY, z, zl, DNS_TYPE_SOA,
					DNS_CLASS_IN, 60, "\0\0\1\2", 4), 0);
	assert_int_equal(dns_msg_min_ttl(buf, dns_builder_len(&b), &ttl), -EBADMSG);
}

static void test_set_id(void **state)
{
	uint8_t m[sizeof(example_a)];
	struct dns_header h;

	memcpy(m, example_a, sizeof(m));
	assert_int_equal(dns_msg_set_id(m, sizeof(m), 0x0102), 0);
	assert_int_equal(dns_msg_parse_header(m, sizeof(m), &h), 0);
	assert_int_equal(h.id, 0x0102);
	assert_memory_equal(m + 2, example_a + 2, sizeof(m) - 2);
	assert_int_equal(dns_msg_set_id(m, 11, 1), -EBADMSG);
}

static void test_strip_and_append_opt(void **state)
{
	uint8_t buf[512], copy[sizeof(example_a) + 11];
	size_t len = build_full(buf, sizeof(buf)), full = len, clen;
	struct dns_header h;
	struct dns_edns e;

	assert_int_equal(dns_msg_strip_opt(buf, &len), 0);
	assert_int_equal(len, full - 11);
	assert_int_equal(dns_msg_parse_header(buf, len, &h), 0);
	assert_int_equal(h.count[DNS_SECTION_ADDITIONAL], 1);
	assert_int_equal(walk_all(buf, len), 6);
	assert_int_equal(dns_msg_edns(buf, len, &e), 0);
	assert_false(e.present);
	/* Nothing to strip: unchanged. */
	assert_int_equal(dns_msg_strip_opt(buf, &len), 0);
	assert_int_equal(len, full - 11);

	assert_int_equal(dns_msg_append_opt(buf, &len, sizeof(buf), 4096, false), 0);
	assert_int_equal(len, full);
	assert_int_equal(dns_msg_edns(buf, len, &e), 0);
	assert_true(e.present);
	assert_int_equal(e.udp_size, 4096);
	assert_false(e.do_bit);

	/* No room. */
	memcpy(copy, example_a, sizeof(example_a));
	clen = sizeof(example_a);
	assert_int_equal(dns_msg_append_opt(copy, &clen, sizeof(copy) - 1, 1232, true),
			 -EMSGSIZE);
	assert_int_equal(dns_msg_append_opt(copy, &clen, sizeof(copy), 1232, true), 0);
	assert_int_equal(clen, sizeof(copy));
	assert_int_equal(dns_msg_edns(copy, clen, &e), 0);
	assert_true(e.do_bit);
	assert_int_equal(e.udp_size, 1232);
	assert_int_equal(dns_msg_strip_opt(copy, &clen), 0);
	assert_int_equal(clen, sizeof(example_a));
	assert_memory_equal(copy, example_a, clen);
}

static void test_strip_opt_not_last(void **state)
{
	static const uint8_t add[] = {
		0, 0, 41, 0x04, 0xd0, 0, 0, 0, 0, 0, 0,
		0xc0, 0x0c, 0, 1, 0, 1, 0, 0, 0, 9, 0, 4, 1, 2, 3, 4,
	};
	uint8_t m[128];
	size_t len = query_with_additional(m, 2, add, sizeof(add)), before = len;

	assert_int_equal(dns_msg_strip_opt(m, &len), -ENOTSUP);
	assert_int_equal(len, before);
	m[11] = 3;  /* and a lying count */
	assert_int_equal(dns_msg_strip_opt(m, &len), -EBADMSG);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_header),
		cmocka_unit_test(test_name_text),
		cmocka_unit_test(test_name_text_errors),
		cmocka_unit_test(test_name_to_text_sizes),
		cmocka_unit_test(test_name_equal_check),
		cmocka_unit_test(test_real_a_answer),
		cmocka_unit_test(test_cname_chain),
		cmocka_unit_test(test_rdata_name_overruns_rdata),
		cmocka_unit_test(test_pointer_loops),
		cmocka_unit_test(test_pointer_loop_through_label),
		cmocka_unit_test(test_pointer_hops),
		cmocka_unit_test(test_label_and_name_limits),
		cmocka_unit_test(test_compressed_name_too_long),
		cmocka_unit_test(test_truncated_every_length),
		cmocka_unit_test(test_counts_lie),
		cmocka_unit_test(test_msg_question),
		cmocka_unit_test(test_builder_roundtrip),
		cmocka_unit_test(test_builder_case_kept),
		cmocka_unit_test(test_builder_emsgsize),
		cmocka_unit_test(test_builder_rollback_compression),
		cmocka_unit_test(test_builder_invalid),
		cmocka_unit_test(test_mdns_bits),
		cmocka_unit_test(test_edns),
		cmocka_unit_test(test_min_ttl),
		cmocka_unit_test(test_set_id),
		cmocka_unit_test(test_strip_and_append_opt),
		cmocka_unit_test(test_strip_opt_not_last),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
