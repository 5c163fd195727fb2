/* libFuzzer target for the DNS codec: parse the header, walk every section,
 * read every name in RDATA, look at EDNS, and answer queries with the
 * builder, checking that what we build always parses again. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "dns_codec.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* The text form of every name must read back as the same name. */
static void fuzz_text_roundtrip(const uint8_t *name, size_t len)
{
	char text[DNS_NAME_TEXT_MAX];
	uint8_t back[DNS_NAME_MAX];
	size_t back_len;
	int n;

	n = dns_name_to_text(name, len, text, sizeof(text));
	if (n < 0 || dns_name_from_text(text, (size_t)n, back, &back_len) < 0 ||
	    back_len != len || memcmp(back, name, len) != 0)
		abort();
}

/* Offset in the RDATA of the name(s) a record type carries. */
static int fuzz_rdata_name_at(uint16_t type)
{
	switch (type) {
	case DNS_TYPE_NS:
	case DNS_TYPE_CNAME:
	case DNS_TYPE_PTR:
		return 0;
	case DNS_TYPE_MX:
		return 2;
	case DNS_TYPE_SRV:
		return 6;
	default:
		return -1;
	}
}

static void fuzz_rr(const uint8_t *data, size_t size, const struct dns_rr *rr)
{
	uint8_t name[DNS_NAME_MAX];
	size_t len, next, m, r;
	struct dns_soa_times t;
	int at = fuzz_rdata_name_at(rr->type);

	if (rr->end > size || rr->rdata_off + rr->rdlength != rr->end)
		abort();
	if (dns_name_read(data, size, rr->name_off, name, &len, &next) < 0 ||
	    len != rr->name_len)
		abort();
	fuzz_text_roundtrip(name, len);
	if (dns_name_equal_at(data, size, rr->name_off, name, len) != 1)
		abort();
	if (at >= 0 && dns_rr_name_at(data, size, rr, rr->rdata_off + (size_t)at,
				      name, &len, &next) == 0) {
		if (next > rr->end)
			abort();
		fuzz_text_roundtrip(name, len);
	}
	if (rr->type == DNS_TYPE_SOA && dns_rr_soa(data, size, rr, &m, &r, &t) == 0) {
		if (dns_name_read(data, size, m, name, &len, &next) < 0 ||
		    dns_name_read(data, size, r, name, &len, &next) < 0)
			abort();
	}
}

/* Every message the builder makes must parse, with the counts it wrote. */
static void fuzz_check_built(const uint8_t *buf, size_t len)
{
	struct dns_iter it;
	struct dns_header h;
	struct dns_question q;
	struct dns_rr rr;
	unsigned n = 0;
	int r;

	if (dns_iter_init(&it, buf, len, &h) < 0)
		abort();
	while ((r = dns_iter_question(&it, &q)) == 1)
		n++;
	if (r == 0) {
		while ((r = dns_iter_rr(&it, &rr)) == 1)
			n++;
	}
	if (r != 0 || dns_iter_end(&it) != len ||
	    n != (unsigned)h.count[0] + h.count[1] + h.count[2] + h.count[3])
		abort();
}

/* Answers a query the way the forwarder and responder will: the question
 * echoed, an answer, a negative-answer SOA, OPT when asked for; the buffer
 * size comes from the input so that -EMSGSIZE paths run too. */
static void fuzz_answer(const uint8_t *data, size_t size)
{
	static const uint8_t addr[4] = { 192, 0, 2, 1 };
	static const uint8_t zone[] = "\7example\0";
	static const struct dns_soa_times t = { 1, 7200, 900, 1209600, 300 };
	uint8_t out[1500];
	struct dns_header h;
	struct dns_question q;
	struct dns_edns e;
	struct dns_builder b;
	size_t room = DNS_HEADER_LEN + data[size - 1] * 6u, len;
	uint16_t flags;

	if (dns_msg_question(data, size, &h, &q) < 0 || (h.flags & DNS_FLAG_QR))
		return;
	if (room > sizeof(out) - 11)
		room = sizeof(out) - 11;  /* room for the OPT appended below */
	flags = DNS_FLAG_QR | DNS_FLAG_RA | (h.flags & (DNS_FLAG_RD | DNS_FLAG_CD));
	if (dns_builder_init(&b, out, room, h.id, flags) < 0)
		return;
	if (dns_builder_question(&b, q.name, q.name_len, q.qtype, q.qclass) < 0 ||
	    dns_builder_a(&b, DNS_SECTION_ANSWER, q.name, q.name_len,
			  DNS_CLASS_IN | DNS_CLASS_MDNS_BIT, 120, addr) < 0 ||
	    dns_builder_ptr(&b, DNS_SECTION_ANSWER, q.name, q.name_len,
			    DNS_CLASS_IN, 60, q.name, q.name_len) < 0 ||
	    dns_builder_soa(&b, DNS_SECTION_AUTHORITY, zone, sizeof(zone), 3600,
			    q.name, q.name_len, zone, sizeof(zone), &t) < 0)
		dns_builder_set_tc(&b);
	if (dns_msg_edns(data, size, &e) == 0 && e.present &&
	    dns_builder_opt(&b, 1232, 0, e.do_bit) < 0)
		dns_builder_set_tc(&b);
	fuzz_check_built(out, dns_builder_len(&b));

	len = dns_builder_len(&b);
	if (dns_msg_strip_opt(out, &len) < 0 ||
	    dns_msg_append_opt(out, &len, sizeof(out), 4096, true) < 0 ||
	    dns_msg_edns(out, len, &e) < 0 || !e.present || e.udp_size != 4096)
		abort();
	fuzz_check_built(out, len);
}

/* The in-place edits on a copy of the input. */
static void fuzz_edit(const uint8_t *data, size_t size)
{
	uint8_t *copy = malloc(size + 11);
	size_t len = size;
	uint32_t ttl;

	if (!copy)
		return;
	memcpy(copy, data, size);
	if (dns_msg_set_id(copy, len, 0x4242) == 0 &&
	    dns_msg_strip_opt(copy, &len) == 0) {
		if (len > size)
			abort();
		if (dns_msg_append_opt(copy, &len, size + 11, 1232, false) == 0 &&
		    dns_msg_edns(copy, len, &(struct dns_edns){ 0 }) < 0)
			abort();
	}
	(void)dns_msg_min_ttl(copy, len, &ttl);
	free(copy);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct dns_iter it;
	struct dns_header h;
	struct dns_question q;
	struct dns_rr rr;
	struct dns_edns e;
	int r;

	if (dns_msg_parse_header(data, size, &h) < 0)
		return 0;
	if (dns_iter_init(&it, data, size, NULL) < 0)
		abort();
	while ((r = dns_iter_question(&it, &q)) == 1)
		fuzz_text_roundtrip(q.name, q.name_len);
	if (r == 0) {
		while ((r = dns_iter_rr(&it, &rr)) == 1)
			fuzz_rr(data, size, &rr);
	}
	if (dns_iter_end(&it) > size)
		abort();
	(void)dns_msg_edns(data, size, &e);
	fuzz_answer(data, size);
	fuzz_edit(data, size);
	return 0;
}
