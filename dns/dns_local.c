/* Local answers: the guests' names, the host's name, the subnet's reverse
 * zone; and the error answers the server gives itself. */
#include <errno.h>
#include <string.h>

#include "addr6.h"
#include "dns_local.h"
#include "hex.h"

#define DNS_TYPE_IXFR 251
#define DNS_TYPE_AXFR 252
#define DNS_MAX_LABELS 128       /* 255 bytes hold at most 127 labels */

static const uint8_t local_zone[] = "\x05local";   /* flat, with its root 0 */
static const uint8_t arpa_zone[] = "\x07in-addr\x04" "arpa";
static const uint8_t ip6_zone[] = "\x03ip6\x04" "arpa";

/* What a query for an owned name gets. */
struct local_answer {
	unsigned rcode;
	const uint8_t *apex;     /* the zone, for the SOA */
	size_t apex_len;
	bool have_a;             /* an address for an A question */
	uint32_t a;
	uint8_t aaaa[DNS_LOCAL_AAAA_MAX][16];  /* a guest's IPv6 addresses */
	size_t n_aaaa;
	bool have_ptr;           /* a name for a PTR question */
	uint8_t ptr[DNS_NAME_MAX];
	size_t ptr_len;
};

static uint8_t ascii_lower(uint8_t c)
{
	return c >= 'A' && c <= 'Z' ? (uint8_t)(c - 'A' + 'a') : c;
}

static uint32_t prefix_mask(uint8_t len)
{
	return len == 0 ? 0 : UINT32_MAX << (32 - len);
}

int dns_local_ctx_init(struct dns_local_ctx *ctx, const struct name_table *names,
		       const char *domain, const char *hostname, uint32_t gateway,
		       uint32_t subnet_addr, uint8_t subnet_len)
{
	size_t n;

	if (!ctx || subnet_len > 32 || (subnet_addr & ~prefix_mask(subnet_len)))
		return -EINVAL;
	memset(ctx, 0, sizeof(*ctx));
	ctx->names = names;
	ctx->gateway = gateway;
	ctx->subnet_addr = subnet_addr;
	ctx->subnet_len = subnet_len;
	if (domain && domain[0] &&
	    (dns_name_from_text(domain, strlen(domain), ctx->domain, &ctx->domain_len) < 0 ||
	     ctx->domain_len <= 1))
		return -EINVAL;
	if (hostname) {
		const char *dot = strchr(hostname, '.');

		n = dot ? (size_t)(dot - hostname) : strlen(hostname);
		if (name_table_check(hostname, n) == 0) {
			for (size_t i = 0; i < n; i++)
				ctx->hostname[i] = (char)ascii_lower((uint8_t)hostname[i]);
			ctx->hostname[n] = '\0';
		}
	}
	return 0;
}

/* Does name end in zone (flat names, ASCII case ignored)? *prefix gets
 * the length of the labels before the zone. */
static bool local_under(const uint8_t *name, size_t len, const uint8_t *zone,
			size_t zlen, size_t *prefix)
{
	size_t off = 0;

	while (off < len && len - off >= zlen) {
		if (len - off == zlen && dns_name_equal(name + off, zlen, zone, zlen)) {
			*prefix = off;
			return true;
		}
		if (name[off] == 0)
			break;
		off += name[off] + 1u;
	}
	return false;
}

/* The one label of prefix (plen bytes, flat without the root) as a
 * C string; false when prefix is not exactly one label. */
static bool local_one_label(const uint8_t *prefix, size_t plen, char out[DNS_LABEL_MAX + 1])
{
	if (plen == 0 || prefix[0] + 1u != plen)
		return false;
	memcpy(out, prefix + 1, prefix[0]);
	out[prefix[0]] = '\0';
	return true;
}

/* label + zone, flat. */
static int local_join(const char *label, const uint8_t *zone, size_t zlen,
		      uint8_t *out, size_t *out_len)
{
	size_t n = strlen(label);

	if (n == 0 || n > DNS_LABEL_MAX || n + 1 + zlen > DNS_NAME_MAX)
		return -EINVAL;
	out[0] = (uint8_t)n;
	memcpy(out + 1, label, n);
	memcpy(out + 1 + n, zone, zlen);
	*out_len = n + 1 + zlen;
	return 0;
}

/* The zone guest names live in for PTR targets. */
static void local_name_zone(const struct dns_local_ctx *ctx, const uint8_t **zone, size_t *zlen)
{
	if (ctx->domain_len) {
		*zone = ctx->domain;
		*zlen = ctx->domain_len;
	} else {
		*zone = local_zone;
		*zlen = sizeof(local_zone);
	}
}

/* NAME.zone: the host's own name first, so no guest can take it. */
static void local_forward_name(const struct dns_local_ctx *ctx, const uint8_t *prefix,
			       size_t plen, struct local_answer *a)
{
	char label[DNS_LABEL_MAX + 1];
	uint32_t ip;

	if (plen == 0)
		return;
	if (!local_one_label(prefix, plen, label)) {
		a->rcode = DNS_RCODE_NXDOMAIN;
		return;
	}
	for (char *p = label; *p; p++)
		*p = (char)ascii_lower((uint8_t)*p);
	if (ctx->hostname[0] && strcmp(label, ctx->hostname) == 0) {
		a->have_a = true;
		a->a = ctx->gateway;
		if (ctx->prefix6_len) {
			memcpy(a->aaaa[0], ctx->gateway6, 16);
			a->n_aaaa = 1;
		}
	} else if (ctx->names && name_table_lookup(ctx->names, label, strlen(label), &ip) == 0) {
		a->have_a = true;
		a->a = ip;
		if (ctx->aaaa)
			a->n_aaaa = ctx->aaaa(ctx->aaaa_ctx, ip, a->aaaa, DNS_LOCAL_AAAA_MAX);
	} else {
		a->rcode = DNS_RCODE_NXDOMAIN;
	}
}

/* A decimal octet label without leading zeros. */
static int local_octet(const uint8_t *label)
{
	unsigned v = 0, n = label[0];

	if (n == 0 || n > 3 || (n > 1 && label[1] == '0'))
		return -1;
	for (unsigned i = 1; i <= n; i++) {
		if (label[i] < '0' || label[i] > '9')
			return -1;
		v = v * 10 + (label[i] - '0');
	}
	return v > 255 ? -1 : (int)v;
}

/* PTR to name in the guests' zone, or NXDOMAIN without one. */
static void local_ptr_to(const struct dns_local_ctx *ctx, const char *name,
			 struct local_answer *a)
{
	const uint8_t *zone;
	size_t zlen;

	local_name_zone(ctx, &zone, &zlen);
	if (name && local_join(name, zone, zlen, a->ptr, &a->ptr_len) == 0)
		a->have_ptr = true;
	else
		a->rcode = DNS_RCODE_NXDOMAIN;
}

static void local_ptr(const struct dns_local_ctx *ctx, uint32_t ip, struct local_answer *a)
{
	const char *name = NULL;

	if (ip == ctx->gateway && ctx->hostname[0])
		name = ctx->hostname;
	else if (ctx->names)
		name = name_table_reverse(ctx->names, ip);
	local_ptr_to(ctx, name, a);
}

static void local_ptr6(const struct dns_local_ctx *ctx, const uint8_t addr[16],
		       struct local_answer *a)
{
	const char *name = NULL;
	uint32_t ip;

	if (memcmp(addr, ctx->gateway6, 16) == 0 && ctx->hostname[0])
		name = ctx->hostname;
	else if (ctx->names && ctx->name6 && (ip = ctx->name6(ctx->aaaa_ctx, addr)) != 0)
		name = name_table_reverse(ctx->names, ip);
	local_ptr_to(ctx, name, a);
}

int dns_local_ip6_nibbles(const uint8_t *prefix, size_t plen, uint8_t addr[16], bool *whole)
{
	size_t offs[DNS_MAX_LABELS], n = 0, off = 0;
	int got = 0;

	if (!prefix || !addr || !whole)
		return -EINVAL;
	memset(addr, 0, 16);
	while (off < plen && n < DNS_MAX_LABELS) {
		offs[n++] = off;
		off += prefix[off] + 1u;
	}
	if (off != plen)
		return -EINVAL;
	*whole = true;
	while (n > 0) {
		const uint8_t *l = prefix + offs[--n];
		int v = l[0] == 1 && got < 32 ? hex_digit((char)l[1]) : -1;

		if (v < 0) {
			*whole = false;
			break;
		}
		addr[got / 2] |= (uint8_t)(got % 2 ? v : v << 4);
		got++;
	}
	return got;
}

/* Is the name under ip6.arpa inside the guests' prefix? It is from the
 * nibble that completes the prefix (that label starts the apex); below
 * it, anything but a whole address is NXDOMAIN, never forwarded. */
static bool local_reverse6(const struct dns_local_ctx *ctx, const uint8_t *name,
			   size_t plen, struct local_answer *a)
{
	size_t need = (ctx->prefix6_len + 3u) / 4u;
	uint8_t addr[16];
	bool whole;
	int n = dns_local_ip6_nibbles(name, plen, addr, &whole);

	if (n < 0 || !ctx->prefix6_len || (size_t)n < need ||
	    !addr6_in_prefix(addr, ctx->prefix6, ctx->prefix6_len))
		return false;
	/* The nibbles read are the last n labels, two bytes each. */
	a->apex = name + plen - 2 * need;
	if (!whole)
		a->rcode = DNS_RCODE_NXDOMAIN;
	else if (n == 32)
		local_ptr6(ctx, addr, a);
	return true;
}

/* Is the name under in-addr.arpa inside the subnet? Labels are read
 * right to left as octets; the name is ours from the first label at which
 * the range it names lies inside the subnet (that label starts the apex). */
static bool local_reverse(const struct dns_local_ctx *ctx, const uint8_t *name,
			  size_t plen, struct local_answer *a)
{
	size_t offs[DNS_MAX_LABELS], n = 0, off = 0;
	uint32_t addr = 0;
	unsigned bits = 0;
	bool owned = false;

	while (off < plen && n < DNS_MAX_LABELS) {
		offs[n++] = off;
		off += name[off] + 1u;
	}
	while (n > 0) {
		int o = bits < 32 ? local_octet(name + offs[n - 1]) : -1;

		if (o < 0) {
			if (!owned)
				return false;
			a->rcode = DNS_RCODE_NXDOMAIN;
			return true;
		}
		n--;
		addr |= (uint32_t)o << (24 - bits);
		bits += 8;
		if (!owned && bits >= ctx->subnet_len &&
		    (addr & prefix_mask(ctx->subnet_len)) == ctx->subnet_addr) {
			owned = true;
			a->apex = name + offs[n];
		}
	}
	if (owned && bits == 32)
		local_ptr(ctx, addr, a);
	return owned;
}

/* Fills *a when the question's name is ours. */
static bool local_owned(const struct dns_local_ctx *ctx, const struct dns_question *q,
			struct local_answer *a)
{
	size_t plen;

	memset(a, 0, sizeof(*a));
	a->rcode = DNS_RCODE_NOERROR;
	if (local_under(q->name, q->name_len, local_zone, sizeof(local_zone), &plen) ||
	    (ctx->domain_len &&
	     local_under(q->name, q->name_len, ctx->domain, ctx->domain_len, &plen))) {
		a->apex = q->name + plen;
		a->apex_len = q->name_len - plen;
		local_forward_name(ctx, q->name, plen, a);
		return true;
	}
	if ((local_under(q->name, q->name_len, arpa_zone, sizeof(arpa_zone), &plen) &&
	     local_reverse(ctx, q->name, plen, a)) ||
	    (local_under(q->name, q->name_len, ip6_zone, sizeof(ip6_zone), &plen) &&
	     local_reverse6(ctx, q->name, plen, a))) {
		if (!a->apex)
			a->apex = q->name;
		a->apex_len = q->name_len - (size_t)(a->apex - q->name);
		return true;
	}
	return false;
}

static uint16_t local_flags(const struct dns_header *h, bool aa)
{
	return (uint16_t)(DNS_FLAG_QR | DNS_FLAG_RA | (aa ? DNS_FLAG_AA : 0) |
			  (h->flags & (DNS_OPCODE_MASK | DNS_FLAG_RD | DNS_FLAG_CD)));
}

/* The zone's SOA for negative answers: MNAME the apex, short times. */
static int local_soa(struct dns_builder *b, enum dns_section s, const struct local_answer *a)
{
	static const uint8_t hostmaster[] = "\x0ahostmaster";
	const struct dns_soa_times t = { 1, 3600, 600, 86400, DNS_LOCAL_TTL };
	uint8_t rname[DNS_NAME_MAX];
	size_t rlen = a->apex_len;

	if (a->apex_len + sizeof(hostmaster) - 1 <= DNS_NAME_MAX) {
		memcpy(rname, hostmaster, sizeof(hostmaster) - 1);
		memcpy(rname + sizeof(hostmaster) - 1, a->apex, a->apex_len);
		rlen += sizeof(hostmaster) - 1;
	} else {
		memcpy(rname, a->apex, a->apex_len);
	}
	return dns_builder_soa(b, s, a->apex, a->apex_len, DNS_LOCAL_TTL,
			       a->apex, a->apex_len, rname, rlen, &t);
}

/* A guest's (or the host's) addresses: A, and AAAA beside it (RFC 3596).
 * Sets *data when there was any for the question. */
static int local_addresses(struct dns_builder *b, const struct dns_question *qq,
			   const struct local_answer *a, bool any, bool *data)
{
	int r = 0;

	if (a->have_a && (qq->qtype == DNS_TYPE_A || any)) {
		uint8_t ip[4] = { a->a >> 24, a->a >> 16, a->a >> 8, a->a };

		r = dns_builder_a(b, DNS_SECTION_ANSWER, qq->name, qq->name_len,
				  DNS_CLASS_IN, DNS_LOCAL_TTL, ip);
		*data = true;
	}
	if (a->n_aaaa && (qq->qtype == DNS_TYPE_AAAA || any)) {
		for (size_t i = 0; r == 0 && i < a->n_aaaa; i++)
			r = dns_builder_aaaa(b, DNS_SECTION_ANSWER, qq->name, qq->name_len,
					     DNS_CLASS_IN, DNS_LOCAL_TTL, a->aaaa[i]);
		*data = true;
	}
	return r;
}

static int local_records(struct dns_builder *b, const struct dns_query *q,
			 const struct local_answer *a)
{
	const struct dns_question *qq = &q->q;
	bool any = qq->qtype == DNS_TYPE_ANY;
	bool data = false;
	int r;

	r = local_addresses(b, qq, a, any, &data);
	if (!data && a->have_ptr && (qq->qtype == DNS_TYPE_PTR || any)) {
		r = dns_builder_ptr(b, DNS_SECTION_ANSWER, qq->name, qq->name_len,
				    DNS_CLASS_IN, DNS_LOCAL_TTL, a->ptr, a->ptr_len);
		data = true;
	} else if (!data && qq->qtype == DNS_TYPE_SOA && qq->name == a->apex) {
		r = local_soa(b, DNS_SECTION_ANSWER, a);
		data = true;
	}
	if (r == 0 && !data)
		r = local_soa(b, DNS_SECTION_AUTHORITY, a);
	return r;
}

static int local_finish(struct dns_builder *b, const struct dns_query *q,
			uint8_t ext_rcode, size_t *out_len)
{
	int r = 0;

	if (q->edns)
		r = dns_builder_opt(b, DNS_UDP_MAX, ext_rcode, q->do_bit);
	*out_len = dns_builder_len(b);
	return r;
}

static int local_answer(const struct dns_query *q, const struct local_answer *a,
			uint8_t *out, size_t size, size_t *out_len)
{
	struct dns_builder b;
	int r;

	r = dns_builder_init(&b, out, size, q->h.id, local_flags(&q->h, true));
	if (r == 0)
		r = dns_builder_question(&b, q->q.name, q->q.name_len, q->q.qtype, q->q.qclass);
	if (r == 0)
		r = local_records(&b, q, a);
	if (r < 0)
		return r;
	dns_builder_set_rcode(&b, a->rcode);
	return local_finish(&b, q, 0, out_len);
}

static int local_error_ext(const struct dns_query *q, unsigned rcode, bool tc,
			   uint8_t *out, size_t size, size_t *out_len)
{
	struct dns_builder b;
	int r;

	r = dns_builder_init(&b, out, size, q->h.id, local_flags(&q->h, false));
	if (r == 0)
		r = dns_builder_question(&b, q->q.name, q->q.name_len, q->q.qtype, q->q.qclass);
	if (r < 0)
		return r;
	dns_builder_set_rcode(&b, rcode & DNS_RCODE_MASK);
	if (tc)
		dns_builder_set_tc(&b);
	return local_finish(&b, q, (uint8_t)(rcode >> 4), out_len);
}

int dns_local_error(const struct dns_query *q, unsigned rcode, bool tc,
		    uint8_t *out, size_t size, size_t *out_len)
{
	if (!q || !out || !out_len)
		return -EINVAL;
	return local_error_ext(q, rcode, tc, out, size, out_len);
}

/* An answer to a query we could not parse: the header alone. */
static int local_bare(const struct dns_header *h, unsigned rcode, uint8_t *out,
		      size_t size, size_t *out_len)
{
	struct dns_builder b;
	int r;

	r = dns_builder_init(&b, out, size, h->id, local_flags(h, false));
	if (r < 0)
		return r;
	dns_builder_set_rcode(&b, rcode);
	*out_len = dns_builder_len(&b);
	return DNS_LOCAL_ANSWER;
}

/* Reads the question and the OPT record into *q. */
static int local_parse(const uint8_t *buf, size_t len, struct dns_query *q)
{
	struct dns_edns e;

	if (dns_msg_question(buf, len, &q->h, &q->q) < 0 || dns_msg_edns(buf, len, &e) < 0)
		return -EBADMSG;
	q->edns = e.present;
	q->do_bit = e.present && e.do_bit;
	/* RFC 6891 6.2.5: below 512 means 512; above ours, ours. */
	q->udp_max = 512;
	if (e.present && e.udp_size > 512)
		q->udp_max = e.udp_size < DNS_UDP_MAX ? e.udp_size : DNS_UDP_MAX;
	return e.present ? e.version : 0;
}

static int local_reply(int r, int ok)
{
	return r < 0 ? r : ok;
}

int dns_local_handle(const struct dns_local_ctx *ctx, const uint8_t *buf, size_t len,
		     struct dns_query *q, uint8_t *out, size_t size, size_t *out_len)
{
	struct local_answer a;
	int version;

	if (!ctx || !buf || !q || !out || !out_len || size < 512)
		return -EINVAL;
	memset(q, 0, sizeof(*q));
	/* A response sent to us, or less than a header: nothing to say. */
	if (dns_msg_parse_header(buf, len, &q->h) < 0 || (q->h.flags & DNS_FLAG_QR))
		return DNS_LOCAL_DROP;
	if (dns_header_opcode(&q->h) != DNS_OPCODE_QUERY)
		return local_bare(&q->h, DNS_RCODE_NOTIMP, out, size, out_len);
	version = local_parse(buf, len, q);
	if (version < 0)
		return local_bare(&q->h, DNS_RCODE_FORMERR, out, size, out_len);
	if (version > 0)
		return local_reply(local_error_ext(q, DNS_RCODE_BADVERS, false, out, size,
						   out_len), DNS_LOCAL_ANSWER);
	if (q->q.qtype == DNS_TYPE_OPT)
		return local_reply(local_error_ext(q, DNS_RCODE_FORMERR, false, out, size,
						   out_len), DNS_LOCAL_ANSWER);
	if (q->q.qtype == DNS_TYPE_AXFR || q->q.qtype == DNS_TYPE_IXFR)
		return local_reply(local_error_ext(q, DNS_RCODE_REFUSED, false, out, size,
						   out_len), DNS_LOCAL_ANSWER);
	if (!local_owned(ctx, &q->q, &a))
		return DNS_LOCAL_FORWARD;
	if ((q->q.qclass & DNS_CLASS_MASK) != DNS_CLASS_IN &&
	    (q->q.qclass & DNS_CLASS_MASK) != DNS_CLASS_ANY)
		return local_reply(local_error_ext(q, DNS_RCODE_REFUSED, false, out, size,
						   out_len), DNS_LOCAL_ANSWER);
	return local_reply(local_answer(q, &a, out, size, out_len), DNS_LOCAL_ANSWER);
}
