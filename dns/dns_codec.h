/* The DNS wire codec (RFC 1035, EDNS0 RFC 6891, the mDNS bits of RFC 6762).
 * Pure code over caller buffers: no allocation, no globals, never a read
 * past the length given. Used by the DNS forwarder and the mDNS responder.
 *
 * Names come in two forms:
 *  - in a message: an offset into that message; the name may end in a
 *    compression pointer (RFC 1035 4.1.4);
 *  - flat: uncompressed wire form (length-prefixed labels ending in the
 *    root label 0), at most DNS_NAME_MAX bytes including that 0.
 * Every function that reads a name from a message checks it completely:
 * labels of at most 63 bytes, total length at most 255, no reserved label
 * types (0x40, 0x80), and every pointer must land outside the header,
 * within DNS_NAME_MAX_HOPS jumps, on a suffix that lies wholly before the
 * stretch of labels that ends in the pointer (so, strictly backwards). That
 * rules out every loop, and it is what any compressor produces: it can only
 * point at a name it has finished writing.
 *
 * Errors: -EBADMSG for a malformed message (the forwarder answers FORMERR or
 * drops it), -EINVAL for bad arguments, -EMSGSIZE when a builder buffer is
 * full (the record that did not fit is left out entirely, so the caller
 * can set TC and send what is there). */
#ifndef DEFNET_DNS_CODEC_H
#define DEFNET_DNS_CODEC_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "dns_const.h"

#define DNS_HEADER_LEN 12
#define DNS_MSG_MAX 65535        /* TCP length prefix; offsets fit uint16_t */
#define DNS_NAME_MAX 255         /* flat wire form, root label included */
#define DNS_NAME_MAX_HOPS 32     /* compression pointers followed per name */
/* Text form of any name with every byte escaped as \DDD: at most 250 label
 * bytes in 4 labels fit in 255 wire bytes, 250 * 4 + 3 dots + NUL. */
#define DNS_NAME_TEXT_MAX 1004
#define DNS_COMPRESS_MAX 32      /* name suffixes a builder remembers */

/* Header flags (RFC 1035 4.1.1, AD/CD RFC 4035 3.2). */
#define DNS_FLAG_QR 0x8000
#define DNS_FLAG_AA 0x0400
#define DNS_FLAG_TC 0x0200
#define DNS_FLAG_RD 0x0100
#define DNS_FLAG_RA 0x0080
#define DNS_FLAG_AD 0x0020
#define DNS_FLAG_CD 0x0010
#define DNS_OPCODE_SHIFT 11
#define DNS_OPCODE_MASK 0x7800
#define DNS_RCODE_MASK 0x000f

enum dns_opcode {
	DNS_OPCODE_QUERY = 0,
	DNS_OPCODE_STATUS = 2,
	DNS_OPCODE_NOTIFY = 4,
	DNS_OPCODE_UPDATE = 5,
};

enum dns_rcode {
	DNS_RCODE_NOERROR = 0,
	DNS_RCODE_FORMERR = 1,
	DNS_RCODE_SERVFAIL = 2,
	DNS_RCODE_NXDOMAIN = 3,
	DNS_RCODE_NOTIMP = 4,
	DNS_RCODE_REFUSED = 5,
	DNS_RCODE_BADVERS = 16,  /* extended: needs OPT (RFC 6891 6.1.3) */
};

enum dns_type {
	DNS_TYPE_A = 1,
	DNS_TYPE_NS = 2,
	DNS_TYPE_CNAME = 5,
	DNS_TYPE_SOA = 6,
	DNS_TYPE_PTR = 12,
	DNS_TYPE_MX = 15,
	DNS_TYPE_TXT = 16,
	DNS_TYPE_AAAA = 28,
	DNS_TYPE_SRV = 33,
	DNS_TYPE_OPT = 41,
	DNS_TYPE_NSEC = 47,
	DNS_TYPE_ANY = 255,
};

#define DNS_CLASS_IN 1
#define DNS_CLASS_ANY 255
/* mDNS reuses the top bit of the class: in a question it asks for a
 * unicast response (QU, RFC 6762 5.4), in a record it is cache-flush
 * (RFC 6762 10.2). */
#define DNS_CLASS_MDNS_BIT 0x8000
#define DNS_CLASS_MASK 0x7fff

#define DNS_EDNS_DO 0x8000       /* in the OPT TTL field (RFC 3225) */

enum dns_section {
	DNS_SECTION_QUESTION = 0,
	DNS_SECTION_ANSWER,
	DNS_SECTION_AUTHORITY,
	DNS_SECTION_ADDITIONAL,
};

struct dns_header {
	uint16_t id;
	uint16_t flags;          /* QR, opcode, AA, TC, RD, RA, Z, AD, CD, rcode */
	uint16_t count[4];       /* indexed by enum dns_section */
};

static inline unsigned dns_header_opcode(const struct dns_header *h)
{
	return (h->flags & DNS_OPCODE_MASK) >> DNS_OPCODE_SHIFT;
}

static inline unsigned dns_header_rcode(const struct dns_header *h)
{
	return h->flags & DNS_RCODE_MASK;
}

struct dns_question {
	uint16_t name_off;       /* QNAME in the message */
	uint16_t name_len;       /* flat length of name[] */
	uint8_t name[DNS_NAME_MAX];  /* QNAME, flat, case as received */
	uint16_t qtype;
	uint16_t qclass;         /* as on the wire, QU bit included */
};

static inline bool dns_question_qu(const struct dns_question *q)
{
	return q->qclass & DNS_CLASS_MDNS_BIT;
}

struct dns_rr {
	enum dns_section section;
	uint16_t name_off;       /* owner name, where the record starts;
				  * read it with dns_name_read() */
	uint16_t name_len;       /* flat length of the owner name */
	uint16_t type;
	uint16_t rrclass;        /* as on the wire, cache-flush bit included */
	uint32_t ttl;            /* raw; RFC 2181 8 clamping is the caller's */
	uint16_t rdata_off;
	uint16_t rdlength;
	uint16_t end;            /* first byte after RDATA */
};

static inline bool dns_rr_cache_flush(const struct dns_rr *rr)
{
	return rr->rrclass & DNS_CLASS_MDNS_BIT;
}

static inline uint16_t dns_rr_class(const struct dns_rr *rr)
{
	return rr->rrclass & DNS_CLASS_MASK;
}

/* Names ------------------------------------------------------------------ */

/* Reads the name at off in msg into out (DNS_NAME_MAX bytes), flat.
 * *out_len gets its flat length, *next the offset just after the name's
 * bytes at off (after the first pointer, if any). Returns 0 or -EBADMSG. */
int dns_name_read(const uint8_t *msg, size_t len, size_t off,
		  uint8_t *out, size_t *out_len, size_t *next);

/* Checks that a flat name is well formed and exactly len bytes.
 * Returns 0 or -EINVAL. */
int dns_name_check(const uint8_t *name, size_t len);

/* Flat names, compared ignoring ASCII case (RFC 4343). */
bool dns_name_equal(const uint8_t *a, size_t alen,
		    const uint8_t *b, size_t blen);

/* Compares the name at off in msg with a flat name, ignoring ASCII case.
 * Returns 1 (equal), 0 (not) or -EBADMSG. */
int dns_name_equal_at(const uint8_t *msg, size_t len, size_t off,
		      const uint8_t *name, size_t name_len);

/* Text form: labels joined by '.', no trailing dot; the root is ".".
 * '.' and '\' inside a label are written "\." and "\\", bytes outside
 * '!'..'~' as "\DDD" (RFC 1035 5.1), so any name survives a round trip
 * and a log line never carries control bytes. Writes a NUL-terminated
 * string into out (size bytes; DNS_NAME_TEXT_MAX always suffices).
 * Returns its length, -EINVAL (bad name) or -ENOSPC. */
int dns_name_to_text(const uint8_t *name, size_t name_len,
		     char *out, size_t size);

/* Parses the text form above (a trailing dot is allowed; "" and "." are
 * the root) into out (DNS_NAME_MAX bytes). Empty labels, labels over 63
 * bytes, names over 255 bytes and bad escapes are -EINVAL. */
int dns_name_from_text(const char *s, size_t n, uint8_t *out, size_t *out_len);

/* Messages ----------------------------------------------------------------- */

/* Reads the 12-byte header. Returns 0 or -EBADMSG (short, or longer than
 * DNS_MSG_MAX). */
int dns_msg_parse_header(const uint8_t *buf, size_t len, struct dns_header *h);

/* Walks a message section by section without allocating. The counts in the
 * header are believed only as far as the bytes go: a count that claims
 * more records than there are is -EBADMSG. Bytes after the last record
 * are ignored. */
struct dns_iter {
	const uint8_t *msg;
	size_t len;
	size_t off;              /* next unread byte */
	enum dns_section section;
	uint16_t left[4];        /* entries not yet read, per section */
	int err;                 /* sticky */
};

/* Parses the header into *h (may be NULL) and starts the walk.
 * Returns 0 or -EBADMSG. */
int dns_iter_init(struct dns_iter *it, const uint8_t *buf, size_t len,
		  struct dns_header *h);

/* Next question. Returns 1 with *q filled, 0 when there are no more
 * questions, or -EBADMSG. */
int dns_iter_question(struct dns_iter *it, struct dns_question *q);

/* Next resource record of the answer, authority or additional section
 * (remaining questions are checked and skipped first). Returns 1 with *rr
 * filled, 0 at the end of the message's records, or -EBADMSG. */
int dns_iter_rr(struct dns_iter *it, struct dns_rr *rr);

/* Offset just after the last record, once dns_iter_rr() has returned 0. */
static inline size_t dns_iter_end(const struct dns_iter *it)
{
	return it->off;
}

/* Reads a name inside rr's RDATA at off (an absolute message offset): like
 * dns_name_read(), and the in-place bytes must stay inside the RDATA.
 * Returns 0 or -EBADMSG. */
int dns_rr_name_at(const uint8_t *msg, size_t len, const struct dns_rr *rr,
		   size_t off, uint8_t *out, size_t *out_len, size_t *next);

struct dns_soa_times {
	uint32_t serial, refresh, retry, expire, minimum;
};

/* SOA RDATA (RFC 1035 3.3.13): the offsets of MNAME and RNAME (checked,
 * read them with dns_name_read()) and the five numbers. The RDATA must end
 * exactly after MINIMUM. Returns 0, -EINVAL (not an SOA) or -EBADMSG. */
int dns_rr_soa(const uint8_t *msg, size_t len, const struct dns_rr *rr,
	       size_t *mname_off, size_t *rname_off, struct dns_soa_times *t);

/* The one question of a query: parses the header into *h and requires
 * QDCOUNT == 1. The rest of the message is not walked.
 * Returns 0 or -EBADMSG. */
int dns_msg_question(const uint8_t *buf, size_t len, struct dns_header *h,
		     struct dns_question *q);

struct dns_edns {
	bool present;
	uint16_t udp_size;       /* raw; RFC 6891 6.2.5: below 512 means 512 */
	uint8_t ext_rcode;       /* upper 8 bits of the 12-bit rcode */
	uint8_t version;
	bool do_bit;
	uint16_t rr_off;         /* the OPT record, start and end */
	uint16_t rr_end;
	uint16_t opts_off;       /* its options (checked to be well formed) */
	uint16_t opts_len;
};

/* Walks the whole message and finds the OPT record (RFC 6891 6.1.1): at
 * most one, in the additional section, owned by the root, with options
 * that fill its RDATA exactly; anything else is -EBADMSG (FORMERR).
 * Returns 0 (e->present tells whether there was one) or -EBADMSG. */
int dns_msg_edns(const uint8_t *buf, size_t len, struct dns_edns *e);

/* Lowest TTL of the answer and authority records, for a cache. An SOA in
 * the authority section counts as min(its TTL, its MINIMUM): the negative
 * caching TTL of RFC 2308 5. TTLs with the top bit set count as 0 (RFC 2181 8).
 * Returns 0, -ENOENT (no such records) or -EBADMSG. */
int dns_msg_min_ttl(const uint8_t *buf, size_t len, uint32_t *ttl);

/* Rewrites the ID in place. Returns 0 or -EBADMSG. */
int dns_msg_set_id(uint8_t *buf, size_t len, uint16_t id);

/* Removes the OPT record in place and shortens *len; bytes after the last
 * record go too, OPT or not, so that dns_msg_append_opt() can follow.
 * Only an OPT that is the last
 * record can go: records behind it may hold compression pointers past it,
 * which would have to be rewritten; that is -ENOTSUP (keep the message or
 * rebuild it). Returns 0, -ENOTSUP or -EBADMSG. */
int dns_msg_strip_opt(uint8_t *buf, size_t *len);

/* Appends an OPT record (root owner, version 0, no options) to a message
 * that has none and ends at its last record (as dns_msg_strip_opt()
 * leaves it), in a buffer of size bytes; *len grows by 11.
 * Returns 0, -EMSGSIZE or -EBADMSG. */
int dns_msg_append_opt(uint8_t *buf, size_t *len, size_t size,
		       uint16_t udp_size, bool do_bit);

/* Builder ------------------------------------------------------------------ */

/* Writes a message into a caller buffer, sections in order (a question
 * after an answer is -EINVAL). Names given as flat names; they are
 * compressed against the names written before, matching bytes exactly so
 * that the case a client sent (e.g. 0x20 randomisation) is kept. */
struct dns_builder {
	uint8_t *buf;
	size_t size;
	size_t len;
	enum dns_section section;
	uint16_t count[4];
	bool open;               /* a record is being written */
	size_t mark;             /* where the entry being written started */
	size_t rdata_off;
	unsigned mark_names;
	unsigned n_names;
	struct {
		uint16_t off;        /* a name suffix written at off */
		uint8_t len;         /* its flat length */
	} names[DNS_COMPRESS_MAX];
};

/* Starts a message: header with id and flags, all counts 0.
 * Returns 0 or -EMSGSIZE (size < 12). */
int dns_builder_init(struct dns_builder *b, uint8_t *buf, size_t size,
		     uint16_t id, uint16_t flags);

static inline size_t dns_builder_len(const struct dns_builder *b)
{
	return b->len;
}

void dns_builder_set_tc(struct dns_builder *b);
void dns_builder_set_rcode(struct dns_builder *b, unsigned rcode);

int dns_builder_question(struct dns_builder *b, const uint8_t *name,
			 size_t name_len, uint16_t qtype, uint16_t qclass);

/* A record in pieces: begin (owner name compressed, TYPE, CLASS, TTL),
 * any number of RDATA pieces, end (fills RDLENGTH, counts the record).
 * When a piece fails, the whole record is taken back and no record is
 * open any more. Returns 0, -EMSGSIZE or -EINVAL. */
int dns_builder_rr_begin(struct dns_builder *b, enum dns_section section,
			 const uint8_t *name, size_t name_len, uint16_t type,
			 uint16_t rrclass, uint32_t ttl);
int dns_builder_rdata(struct dns_builder *b, const void *data, size_t n);
/* A name in RDATA; compress only for types where RFC 3597 4 (or RFC 6762
 * 18.14 in mDNS) allows it. */
int dns_builder_rdata_name(struct dns_builder *b, const uint8_t *name,
			   size_t name_len, bool compress);
int dns_builder_rr_end(struct dns_builder *b);

/* Whole records. rdata is copied as is. */
int dns_builder_rr(struct dns_builder *b, enum dns_section section,
		   const uint8_t *name, size_t name_len, uint16_t type,
		   uint16_t rrclass, uint32_t ttl,
		   const void *rdata, uint16_t rdlength);
int dns_builder_a(struct dns_builder *b, enum dns_section section,
		  const uint8_t *name, size_t name_len, uint16_t rrclass,
		  uint32_t ttl, const uint8_t addr[4]);
int dns_builder_aaaa(struct dns_builder *b, enum dns_section section,
		     const uint8_t *name, size_t name_len, uint16_t rrclass,
		     uint32_t ttl, const uint8_t addr[16]);
int dns_builder_ptr(struct dns_builder *b, enum dns_section section,
		    const uint8_t *name, size_t name_len, uint16_t rrclass,
		    uint32_t ttl, const uint8_t *target, size_t target_len);
int dns_builder_soa(struct dns_builder *b, enum dns_section section,
		    const uint8_t *name, size_t name_len, uint32_t ttl,
		    const uint8_t *mname, size_t mname_len,
		    const uint8_t *rname, size_t rname_len,
		    const struct dns_soa_times *t);
/* The OPT record (RFC 6891 6.1.2), in the additional section. */
int dns_builder_opt(struct dns_builder *b, uint16_t udp_size,
		    uint8_t ext_rcode, bool do_bit);

#endif
