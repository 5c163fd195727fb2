/* The message builder: header, questions, records, name compression. */
#include <errno.h>
#include <string.h>

#include "byteorder.h"
#include "dns_codec.h"

#define DNS_PTR_MAX 0x3fff       /* 14-bit compression offsets */

int dns_builder_init(struct dns_builder *b, uint8_t *buf, size_t size,
		     uint16_t id, uint16_t flags)
{
	if (!b || !buf)
		return -EINVAL;
	memset(b, 0, sizeof(*b));
	if (size < DNS_HEADER_LEN)
		return -EMSGSIZE;
	b->buf = buf;
	b->size = size > DNS_MSG_MAX ? DNS_MSG_MAX : size;
	memset(buf, 0, DNS_HEADER_LEN);
	be16_put(buf, id);
	be16_put(buf + 2, flags);
	b->len = DNS_HEADER_LEN;
	return 0;
}

void dns_builder_set_tc(struct dns_builder *b)
{
	b->buf[2] |= DNS_FLAG_TC >> 8;
}

void dns_builder_set_rcode(struct dns_builder *b, unsigned rcode)
{
	b->buf[3] = (uint8_t)((b->buf[3] & ~DNS_RCODE_MASK) |
			      (rcode & DNS_RCODE_MASK));
}

/* Does the name we wrote at off read as name (same bytes, same case)?
 * Our own bytes: every pointer in them goes to an earlier name of ours. */
static bool builder_name_is(const struct dns_builder *b, size_t off,
			    const uint8_t *name)
{
	unsigned hops = 0;

	for (;;) {
		uint8_t c = b->buf[off];

		if ((c & 0xc0) == 0xc0) {
			if (++hops > DNS_NAME_MAX_HOPS)
				return false;
			off = (size_t)(c & 0x3f) << 8 | b->buf[off + 1];
			continue;
		}
		if (c != name[0])
			return false;
		if (c == 0)
			return true;
		if (memcmp(b->buf + off + 1, name + 1, c) != 0)
			return false;
		off += c + 1u;
		name += c + 1u;
	}
}

/* Offset of an earlier copy of the suffix, or 0 when there is none. */
static size_t builder_find(const struct dns_builder *b, const uint8_t *suffix,
			   size_t len)
{
	unsigned i;

	for (i = 0; i < b->n_names; i++) {
		if (b->names[i].len == len &&
		    builder_name_is(b, b->names[i].off, suffix))
			return b->names[i].off;
	}
	return 0;
}

/* Remembers the suffixes of a name just written at start, up to the first
 * pointer (whatever follows it is in the table already). */
static void builder_remember(struct dns_builder *b, size_t start,
			     const uint8_t *name, size_t name_len, size_t upto)
{
	size_t p;

	for (p = 0; p < upto && name[p] != 0; p += name[p] + 1u) {
		if (b->n_names == DNS_COMPRESS_MAX || start + p > DNS_PTR_MAX)
			return;
		b->names[b->n_names].off = (uint16_t)(start + p);
		b->names[b->n_names].len = (uint8_t)(name_len - p);
		b->n_names++;
	}
}

/* Writes a checked flat name, ending it with a pointer to the longest
 * suffix already in the message when compress is set (RFC 1035 4.1.4). */
static int builder_name(struct dns_builder *b, const uint8_t *name,
			size_t name_len, bool compress)
{
	size_t pos = name_len, target = 0, start = b->len, need;

	if (compress) {
		for (pos = 0; name[pos] != 0; pos += name[pos] + 1u) {
			target = builder_find(b, name + pos, name_len - pos);
			if (target)
				break;
		}
		if (!target)
			pos = name_len;
	}
	need = pos + (target ? 2 : 0);
	if (need > b->size - b->len)
		return -EMSGSIZE;
	memcpy(b->buf + b->len, name, pos);
	if (target)
		be16_put(b->buf + b->len + pos, (uint16_t)(0xc000 | target));
	b->len += need;
	if (compress)
		builder_remember(b, start, name, name_len, pos);
	return 0;
}

static int builder_put(struct dns_builder *b, const void *data, size_t n)
{
	if (n == 0)
		return 0;  /* data may be NULL then */
	if (n > b->size - b->len)
		return -EMSGSIZE;
	memcpy(b->buf + b->len, data, n);
	b->len += n;
	return 0;
}

static void builder_count(struct dns_builder *b, enum dns_section section)
{
	b->count[section]++;
	be16_put(b->buf + 4 + 2 * section, b->count[section]);
}

/* Sections go in order, and each count must fit its 16 bits. */
static int builder_section(struct dns_builder *b, enum dns_section section)
{
	if (b->open || section < b->section || section > DNS_SECTION_ADDITIONAL ||
	    b->count[section] == UINT16_MAX)
		return -EINVAL;
	b->section = section;
	return 0;
}

/* Takes back the question or record being written (it did not fit). */
static int builder_abort(struct dns_builder *b, int err)
{
	b->len = b->mark;
	b->n_names = b->mark_names;
	b->open = false;
	return err;
}

int dns_builder_question(struct dns_builder *b, const uint8_t *name,
			 size_t name_len, uint16_t qtype, uint16_t qclass)
{
	uint8_t fixed[4];
	int r;

	if (dns_name_check(name, name_len) < 0 ||
	    builder_section(b, DNS_SECTION_QUESTION) < 0)
		return -EINVAL;
	b->mark = b->len;
	b->mark_names = b->n_names;
	be16_put(fixed, qtype);
	be16_put(fixed + 2, qclass);
	r = builder_name(b, name, name_len, true);
	if (r == 0)
		r = builder_put(b, fixed, sizeof(fixed));
	if (r < 0)
		return builder_abort(b, r);
	builder_count(b, DNS_SECTION_QUESTION);
	return 0;
}

int dns_builder_rr_begin(struct dns_builder *b, enum dns_section section,
			 const uint8_t *name, size_t name_len, uint16_t type,
			 uint16_t rrclass, uint32_t ttl)
{
	uint8_t fixed[10];
	int r;

	if (section == DNS_SECTION_QUESTION || dns_name_check(name, name_len) < 0 ||
	    builder_section(b, section) < 0)
		return -EINVAL;
	b->open = true;
	b->mark = b->len;
	b->mark_names = b->n_names;
	be16_put(fixed, type);
	be16_put(fixed + 2, rrclass);
	be32_put(fixed + 4, ttl);
	be16_put(fixed + 8, 0);
	r = builder_name(b, name, name_len, true);
	if (r == 0)
		r = builder_put(b, fixed, sizeof(fixed));
	if (r < 0)
		return builder_abort(b, r);
	b->rdata_off = b->len;
	return 0;
}

int dns_builder_rdata(struct dns_builder *b, const void *data, size_t n)
{
	int r;

	if (!b->open)
		return -EINVAL;
	if (n > 0 && !data)
		return builder_abort(b, -EINVAL);
	r = builder_put(b, data, n);
	return r < 0 ? builder_abort(b, r) : 0;
}

int dns_builder_rdata_name(struct dns_builder *b, const uint8_t *name,
			   size_t name_len, bool compress)
{
	int r;

	if (!b->open)
		return -EINVAL;
	if (dns_name_check(name, name_len) < 0)
		return builder_abort(b, -EINVAL);
	r = builder_name(b, name, name_len, compress);
	return r < 0 ? builder_abort(b, r) : 0;
}

int dns_builder_rr_end(struct dns_builder *b)
{
	if (!b->open)
		return -EINVAL;
	/* size <= DNS_MSG_MAX, so RDATA always fits RDLENGTH. */
	be16_put(b->buf + b->rdata_off - 2, (uint16_t)(b->len - b->rdata_off));
	b->open = false;
	builder_count(b, b->section);
	return 0;
}

int dns_builder_rr(struct dns_builder *b, enum dns_section section,
		   const uint8_t *name, size_t name_len, uint16_t type,
		   uint16_t rrclass, uint32_t ttl,
		   const void *rdata, uint16_t rdlength)
{
	int r;

	r = dns_builder_rr_begin(b, section, name, name_len, type, rrclass, ttl);
	if (r == 0)
		r = dns_builder_rdata(b, rdata, rdlength);
	return r < 0 ? r : dns_builder_rr_end(b);
}

int dns_builder_a(struct dns_builder *b, enum dns_section section,
		  const uint8_t *name, size_t name_len, uint16_t rrclass,
		  uint32_t ttl, const uint8_t addr[4])
{
	return dns_builder_rr(b, section, name, name_len, DNS_TYPE_A, rrclass,
			      ttl, addr, 4);
}

int dns_builder_aaaa(struct dns_builder *b, enum dns_section section,
		     const uint8_t *name, size_t name_len, uint16_t rrclass,
		     uint32_t ttl, const uint8_t addr[16])
{
	return dns_builder_rr(b, section, name, name_len, DNS_TYPE_AAAA,
			      rrclass, ttl, addr, 16);
}

int dns_builder_ptr(struct dns_builder *b, enum dns_section section,
		    const uint8_t *name, size_t name_len, uint16_t rrclass,
		    uint32_t ttl, const uint8_t *target, size_t target_len)
{
	int r;

	r = dns_builder_rr_begin(b, section, name, name_len, DNS_TYPE_PTR,
				 rrclass, ttl);
	if (r == 0)
		r = dns_builder_rdata_name(b, target, target_len, true);
	return r < 0 ? r : dns_builder_rr_end(b);
}

int dns_builder_soa(struct dns_builder *b, enum dns_section section,
		    const uint8_t *name, size_t name_len, uint32_t ttl,
		    const uint8_t *mname, size_t mname_len,
		    const uint8_t *rname, size_t rname_len,
		    const struct dns_soa_times *t)
{
	uint8_t times[20];
	int r;

	if (!t)
		return -EINVAL;
	be32_put(times, t->serial);
	be32_put(times + 4, t->refresh);
	be32_put(times + 8, t->retry);
	be32_put(times + 12, t->expire);
	be32_put(times + 16, t->minimum);
	r = dns_builder_rr_begin(b, section, name, name_len, DNS_TYPE_SOA,
				 DNS_CLASS_IN, ttl);
	if (r == 0)
		r = dns_builder_rdata_name(b, mname, mname_len, true);
	if (r == 0)
		r = dns_builder_rdata_name(b, rname, rname_len, true);
	if (r == 0)
		r = dns_builder_rdata(b, times, sizeof(times));
	return r < 0 ? r : dns_builder_rr_end(b);
}

int dns_builder_opt(struct dns_builder *b, uint16_t udp_size,
		    uint8_t ext_rcode, bool do_bit)
{
	static const uint8_t root = 0;
	uint32_t ttl = (uint32_t)ext_rcode << 24 | (do_bit ? DNS_EDNS_DO : 0);

	return dns_builder_rr(b, DNS_SECTION_ADDITIONAL, &root, 1, DNS_TYPE_OPT,
			      udp_size, ttl, NULL, 0);
}
