/* Messages: header, the section iterator, EDNS0, and the in-place edits a
 * forwarder makes. */
#include <errno.h>
#include <string.h>

#include "byteorder.h"
#include "dns_codec.h"
#include "dns_internal.h"

#define DNS_RR_FIXED 10          /* TYPE, CLASS, TTL, RDLENGTH */
#define DNS_OPT_LEN 11           /* root, fixed part, no options */

int dns_msg_parse_header(const uint8_t *buf, size_t len, struct dns_header *h)
{
	unsigned i;

	if (!buf || !h)
		return -EINVAL;
	if (len < DNS_HEADER_LEN || len > DNS_MSG_MAX)
		return -EBADMSG;
	h->id = be16_get(buf);
	h->flags = be16_get(buf + 2);
	for (i = 0; i < 4; i++)
		h->count[i] = be16_get(buf + 4 + 2 * i);
	return 0;
}

int dns_iter_init(struct dns_iter *it, const uint8_t *buf, size_t len,
		  struct dns_header *h)
{
	struct dns_header hdr;
	int r;

	if (!it)
		return -EINVAL;
	r = dns_msg_parse_header(buf, len, &hdr);
	if (r < 0)
		return r;
	it->msg = buf;
	it->len = len;
	it->off = DNS_HEADER_LEN;
	it->section = DNS_SECTION_QUESTION;
	memcpy(it->left, hdr.count, sizeof(it->left));
	it->err = 0;
	if (h)
		*h = hdr;
	return 0;
}

static int iter_fail(struct dns_iter *it)
{
	it->err = -EBADMSG;
	return it->err;
}

int dns_iter_question(struct dns_iter *it, struct dns_question *q)
{
	size_t n, next;

	if (it->err)
		return it->err;
	if (it->section != DNS_SECTION_QUESTION ||
	    it->left[DNS_SECTION_QUESTION] == 0)
		return 0;
	if (dns_name_walk(it->msg, it->len, it->off, q->name, &n, &next) < 0 ||
	    it->len - next < 4)
		return iter_fail(it);
	q->name_off = (uint16_t)it->off;
	q->name_len = (uint16_t)n;
	q->qtype = be16_get(it->msg + next);
	q->qclass = be16_get(it->msg + next + 2);
	it->off = next + 4;
	it->left[DNS_SECTION_QUESTION]--;
	return 1;
}

/* Skips the questions not read yet, checking them. */
static int iter_skip_questions(struct dns_iter *it)
{
	while (it->left[DNS_SECTION_QUESTION] > 0) {
		size_t n, next;

		if (dns_name_walk(it->msg, it->len, it->off, NULL, &n, &next) < 0 ||
		    it->len - next < 4)
			return iter_fail(it);
		it->off = next + 4;
		it->left[DNS_SECTION_QUESTION]--;
	}
	it->section = DNS_SECTION_ANSWER;
	return 0;
}

int dns_iter_rr(struct dns_iter *it, struct dns_rr *rr)
{
	size_t n, next, rdlength;
	const uint8_t *p;

	if (it->err)
		return it->err;
	if (it->section == DNS_SECTION_QUESTION && iter_skip_questions(it) < 0)
		return it->err;
	while (it->left[it->section] == 0) {
		if (it->section == DNS_SECTION_ADDITIONAL)
			return 0;
		it->section++;
	}
	if (dns_name_walk(it->msg, it->len, it->off, NULL, &n, &next) < 0 ||
	    it->len - next < DNS_RR_FIXED)
		return iter_fail(it);
	p = it->msg + next;
	rdlength = be16_get(p + 8);
	if (rdlength > it->len - next - DNS_RR_FIXED)
		return iter_fail(it);
	rr->section = it->section;
	rr->name_off = (uint16_t)it->off;
	rr->name_len = (uint16_t)n;
	rr->type = be16_get(p);
	rr->rrclass = be16_get(p + 2);
	rr->ttl = be32_get(p + 4);
	rr->rdata_off = (uint16_t)(next + DNS_RR_FIXED);
	rr->rdlength = (uint16_t)rdlength;
	rr->end = (uint16_t)(next + DNS_RR_FIXED + rdlength);
	it->off = rr->end;
	it->left[it->section]--;
	return 1;
}

int dns_rr_name_at(const uint8_t *msg, size_t len, const struct dns_rr *rr,
		   size_t off, uint8_t *out, size_t *out_len, size_t *next)
{
	int r;

	if (!msg || !rr || !out || !out_len || !next)
		return -EINVAL;
	if (off < rr->rdata_off || off >= rr->end || rr->end > len)
		return -EBADMSG;
	/* The name's own bytes must stay in the RDATA; pointers may reach
	 * anywhere earlier in the message. */
	r = dns_name_walk(msg, rr->end, off, out, out_len, next);
	return r < 0 ? -EBADMSG : 0;
}

int dns_rr_soa(const uint8_t *msg, size_t len, const struct dns_rr *rr,
	       size_t *mname_off, size_t *rname_off, struct dns_soa_times *t)
{
	size_t n, pos;
	const uint8_t *p;

	if (!msg || !rr || !mname_off || !rname_off || !t ||
	    rr->type != DNS_TYPE_SOA)
		return -EINVAL;
	if (rr->end > len)
		return -EBADMSG;
	*mname_off = rr->rdata_off;
	if (dns_name_walk(msg, rr->end, rr->rdata_off, NULL, &n, &pos) < 0)
		return -EBADMSG;
	*rname_off = pos;
	if (dns_name_walk(msg, rr->end, pos, NULL, &n, &pos) < 0 ||
	    rr->end - pos != 20)
		return -EBADMSG;
	p = msg + pos;
	t->serial = be32_get(p);
	t->refresh = be32_get(p + 4);
	t->retry = be32_get(p + 8);
	t->expire = be32_get(p + 12);
	t->minimum = be32_get(p + 16);
	return 0;
}

int dns_msg_question(const uint8_t *buf, size_t len, struct dns_header *h,
		     struct dns_question *q)
{
	struct dns_iter it;
	int r;

	if (!h || !q)
		return -EINVAL;
	r = dns_iter_init(&it, buf, len, h);
	if (r < 0)
		return r;
	if (h->count[DNS_SECTION_QUESTION] != 1)
		return -EBADMSG;
	r = dns_iter_question(&it, q);
	return r == 1 ? 0 : -EBADMSG;
}

/* RFC 6891 6.1.2: the options are {code, length, data} to the last byte. */
static int edns_check_options(const uint8_t *p, size_t n)
{
	while (n > 0) {
		size_t l;

		if (n < 4)
			return -EBADMSG;
		l = be16_get(p + 2);
		if (l > n - 4)
			return -EBADMSG;
		p += 4 + l;
		n -= 4 + l;
	}
	return 0;
}

static int edns_take(const uint8_t *buf, const struct dns_rr *rr,
		     struct dns_edns *e)
{
	/* RFC 6891 6.1.1: one OPT at most, owned by the root, and only in
	 * the additional section. */
	if (rr->section != DNS_SECTION_ADDITIONAL || e->present ||
	    rr->name_len != 1 ||
	    edns_check_options(buf + rr->rdata_off, rr->rdlength) < 0)
		return -EBADMSG;
	e->present = true;
	e->udp_size = rr->rrclass;
	e->ext_rcode = (uint8_t)(rr->ttl >> 24);
	e->version = (uint8_t)(rr->ttl >> 16);
	e->do_bit = rr->ttl & DNS_EDNS_DO;
	e->rr_off = rr->name_off;
	e->rr_end = rr->end;
	e->opts_off = rr->rdata_off;
	e->opts_len = rr->rdlength;
	return 0;
}

/* Finds the OPT record and the end of the last record. */
static int edns_scan(const uint8_t *buf, size_t len, struct dns_edns *e,
		     size_t *end)
{
	struct dns_iter it;
	struct dns_rr rr;
	int r;

	memset(e, 0, sizeof(*e));
	r = dns_iter_init(&it, buf, len, NULL);
	if (r < 0)
		return r;
	while ((r = dns_iter_rr(&it, &rr)) == 1) {
		if (rr.type == DNS_TYPE_OPT && edns_take(buf, &rr, e) < 0)
			return -EBADMSG;
	}
	if (r < 0)
		return r;
	*end = dns_iter_end(&it);
	return 0;
}

int dns_msg_edns(const uint8_t *buf, size_t len, struct dns_edns *e)
{
	size_t end;

	if (!e)
		return -EINVAL;
	return edns_scan(buf, len, e, &end);
}

static uint32_t min_ttl_of(const uint8_t *buf, size_t len,
			   const struct dns_rr *rr, int *err)
{
	/* RFC 2181 8: a TTL with the top bit set is to be read as zero. */
	uint32_t ttl = rr->ttl > INT32_MAX ? 0 : rr->ttl;
	struct dns_soa_times t;
	size_t m, n;

	if (rr->type != DNS_TYPE_SOA || rr->section != DNS_SECTION_AUTHORITY)
		return ttl;
	*err = dns_rr_soa(buf, len, rr, &m, &n, &t);
	if (*err < 0)
		return ttl;
	/* RFC 2308 5: a negative answer lives min(SOA TTL, SOA MINIMUM). */
	if (t.minimum > INT32_MAX)
		t.minimum = 0;
	return t.minimum < ttl ? t.minimum : ttl;
}

int dns_msg_min_ttl(const uint8_t *buf, size_t len, uint32_t *ttl)
{
	struct dns_iter it;
	struct dns_rr rr;
	bool found = false;
	uint32_t min = UINT32_MAX;
	int r, err = 0;

	if (!ttl)
		return -EINVAL;
	r = dns_iter_init(&it, buf, len, NULL);
	if (r < 0)
		return r;
	while ((r = dns_iter_rr(&it, &rr)) == 1 &&
	       rr.section != DNS_SECTION_ADDITIONAL) {
		uint32_t t = min_ttl_of(buf, len, &rr, &err);

		if (err < 0)
			return err;
		if (t < min)
			min = t;
		found = true;
	}
	if (r < 0)
		return r;
	if (!found)
		return -ENOENT;
	*ttl = min;
	return 0;
}

int dns_msg_set_id(uint8_t *buf, size_t len, uint16_t id)
{
	if (!buf)
		return -EINVAL;
	if (len < DNS_HEADER_LEN)
		return -EBADMSG;
	be16_put(buf, id);
	return 0;
}

int dns_msg_strip_opt(uint8_t *buf, size_t *len)
{
	struct dns_edns e;
	size_t end;
	int r;

	if (!len)
		return -EINVAL;
	r = edns_scan(buf, *len, &e, &end);
	if (r < 0)
		return r;
	if (!e.present) {
		*len = end;
		return 0;
	}
	if (e.rr_end != end)
		return -ENOTSUP;
	*len = e.rr_off;
	be16_put(buf + 10, (uint16_t)(be16_get(buf + 10) - 1));
	return 0;
}

int dns_msg_append_opt(uint8_t *buf, size_t *len, size_t size,
		       uint16_t udp_size, bool do_bit)
{
	uint8_t *p;
	uint16_t arcount;

	if (!buf || !len)
		return -EINVAL;
	if (*len < DNS_HEADER_LEN || *len > DNS_MSG_MAX)
		return -EBADMSG;
	arcount = be16_get(buf + 10);
	if (arcount == UINT16_MAX)
		return -EBADMSG;
	if (size < *len || size - *len < DNS_OPT_LEN ||
	    *len + DNS_OPT_LEN > DNS_MSG_MAX)
		return -EMSGSIZE;
	p = buf + *len;
	p[0] = 0;
	be16_put(p + 1, DNS_TYPE_OPT);
	be16_put(p + 3, udp_size);
	be32_put(p + 5, do_bit ? DNS_EDNS_DO : 0);
	be16_put(p + 9, 0);
	be16_put(buf + 10, (uint16_t)(arcount + 1));
	*len += DNS_OPT_LEN;
	return 0;
}
