/* Router advertisement codec: see ra_codec.h. */
#include <errno.h>
#include <string.h>

#include "byteorder.h"
#include "ra_codec.h"
#include "wire_name.h"

/* RFC 4861 4.6, RFC 8106 5. */
#define RA_OPT_SLL 1
#define RA_OPT_TLL 2
#define RA_OPT_PREFIX 3
#define RA_OPT_MTU 5
#define RA_OPT_RDNSS 25
#define RA_OPT_DNSSL 31

#define RA_HDR_LEN 16   /* type, code, checksum, hop limit, flags, lifetime, timers */
#define RA_RS_HDR_LEN 8
#define RA_FLAG_M 0x80
#define RA_FLAG_O 0x40
#define RA_NA_FLAG_R 0x80   /* RFC 4861 4.4: router */
#define RA_NA_FLAG_O 0x20   /* override */
#define RA_PREFIX_FLAG_L 0x80
#define RA_PREFIX_FLAG_A 0x40
#define RA_PREFIX_OPT_LEN 32
#define RA_LABEL_MAX 63

struct ra_writer {
	uint8_t *buf;
	size_t size, pos;
};

/* Reserves n bytes, zeroed; NULL when they do not fit. */
static uint8_t *ra_put(struct ra_writer *w, size_t n)
{
	uint8_t *p;

	if (n > w->size - w->pos)
		return NULL;
	p = w->buf + w->pos;
	memset(p, 0, n);
	w->pos += n;
	return p;
}

/* An option of n bytes (a multiple of 8): type and length in units of 8
 * octets (RFC 4861 4.6). */
static uint8_t *ra_put_opt(struct ra_writer *w, uint8_t type, size_t n)
{
	uint8_t *p = ra_put(w, n);

	if (p) {
		p[0] = type;
		p[1] = (uint8_t)(n / 8);
	}
	return p;
}

static int ra_put_header(struct ra_writer *w, const struct ra_info *ra)
{
	uint8_t *p = ra_put(w, RA_HDR_LEN);

	if (!p)
		return -ENOSPC;
	p[0] = RA_ICMP_RA;
	p[4] = ra->cur_hop_limit;
	p[5] = (uint8_t)((ra->managed ? RA_FLAG_M : 0) | (ra->other ? RA_FLAG_O : 0));
	be16_put(p + 6, ra->router_lifetime);
	be32_put(p + 8, ra->reachable_ms);
	be32_put(p + 12, ra->retrans_ms);
	return 0;
}

/* RFC 4861 4.6.2. */
static int ra_put_pio(struct ra_writer *w, const uint8_t prefix[16], uint8_t len, uint8_t flags,
		      uint32_t valid, uint32_t preferred)
{
	uint8_t *p;

	if (len > 128)
		return -EINVAL;
	p = ra_put_opt(w, RA_OPT_PREFIX, RA_PREFIX_OPT_LEN);
	if (!p)
		return -ENOSPC;
	p[2] = len;
	p[3] = flags;
	be32_put(p + 4, valid);
	be32_put(p + 8, preferred);
	memcpy(p + 16, prefix, 16);
	return 0;
}

static int ra_put_prefix(struct ra_writer *w, const struct ra_info *ra)
{
	int r = 0;

	if (ra->have_prefix)
		r = ra_put_pio(w, ra->prefix, ra->prefix_len,
			       (uint8_t)((ra->onlink ? RA_PREFIX_FLAG_L : 0) |
					 (ra->autonomous ? RA_PREFIX_FLAG_A : 0)),
			       ra->valid_lifetime, ra->preferred_lifetime);
	if (r == 0 && ra->have_old_prefix)
		r = ra_put_pio(w, ra->old_prefix, ra->old_prefix_len,
			       RA_PREFIX_FLAG_L | RA_PREFIX_FLAG_A, 0, 0);
	return r;
}

static int ra_put_small(struct ra_writer *w, const struct ra_info *ra)
{
	uint8_t *p;

	if (ra->have_sll) {
		p = ra_put_opt(w, RA_OPT_SLL, 8);  /* RFC 4861 4.6.1 */
		if (!p)
			return -ENOSPC;
		memcpy(p + 2, ra->sll, 6);
	}
	if (ra->mtu) {
		p = ra_put_opt(w, RA_OPT_MTU, 8);  /* RFC 4861 4.6.4 */
		if (!p)
			return -ENOSPC;
		be32_put(p + 4, ra->mtu);
	}
	if (ra->have_rdnss) {
		p = ra_put_opt(w, RA_OPT_RDNSS, 24);  /* RFC 8106 5.1: one address */
		if (!p)
			return -ENOSPC;
		be32_put(p + 4, ra->rdnss_lifetime);
		memcpy(p + 8, ra->rdnss, 16);
	}
	return 0;
}

/* RFC 8106 5.2: one domain, padded with zeros to a multiple of 8. */
static int ra_put_dnssl(struct ra_writer *w, const struct ra_info *ra)
{
	uint8_t name[RA_DOMAIN_MAX + 2];
	int n;
	uint8_t *p;

	if (!ra->dnssl[0])
		return 0;
	n = wire_name_encode(ra->dnssl, name, sizeof(name));
	if (n < 0)
		return n;
	p = ra_put_opt(w, RA_OPT_DNSSL, (8 + (size_t)n + 7) / 8 * 8);
	if (!p)
		return -ENOSPC;
	be32_put(p + 4, ra->dnssl_lifetime);
	memcpy(p + 8, name, (size_t)n);
	return 0;
}

int ra_build(const struct ra_info *ra, uint8_t *buf, size_t size)
{
	struct ra_writer w = { .buf = buf, .size = size };
	int r;

	if (!ra || !buf)
		return -EINVAL;
	if ((r = ra_put_header(&w, ra)) < 0 || (r = ra_put_small(&w, ra)) < 0 ||
	    (r = ra_put_prefix(&w, ra)) < 0 || (r = ra_put_dnssl(&w, ra)) < 0)
		return r;
	return (int)w.pos;
}

int ra_build_na(const uint8_t target[16], const uint8_t mac[6], uint8_t *buf, size_t size)
{
	struct ra_writer w = { .buf = buf, .size = size };
	uint8_t *p = ra_put(&w, 24), *opt;

	if (!p)
		return -ENOSPC;
	p[0] = RA_ICMP_NA;
	p[4] = RA_NA_FLAG_R | RA_NA_FLAG_O;
	memcpy(p + 8, target, 16);
	opt = ra_put_opt(&w, RA_OPT_TLL, 8);
	if (!opt)
		return -ENOSPC;
	memcpy(opt + 2, mac, 6);
	return (int)w.pos;
}

/* Parsing ---------------------------------------------------------------------- */

typedef int (*ra_opt_fn)(uint8_t type, const uint8_t *opt, size_t n, void *ctx);

/* RFC 4861 4.6: every option has a non-zero length and lies inside the
 * message; a bad one makes the whole message invalid (6.1.1, 6.1.2). */
static int ra_walk(const uint8_t *p, size_t len, ra_opt_fn fn, void *ctx)
{
	size_t n;
	int r;

	while (len > 0) {
		if (len < 2 || p[1] == 0 || (size_t)p[1] * 8 > len)
			return -EINVAL;
		n = (size_t)p[1] * 8;
		r = fn(p[0], p, n, ctx);
		if (r < 0)
			return r;
		p += n;
		len -= n;
	}
	return 0;
}

static int ra_sll_opt(const uint8_t *opt, size_t n, bool *have, uint8_t sll[6])
{
	/* Ethernet: 6 bytes of address in one unit (RFC 2464 6). */
	if (n != 8)
		return -EINVAL;
	*have = true;
	memcpy(sll, opt + 2, 6);
	return 0;
}

/* The text form cannot carry a NUL or a dot inside a label. */
static bool ra_label_ok(const uint8_t *p, size_t n)
{
	return !memchr(p, '\0', n) && !memchr(p, '.', n);
}

/* A DNSSL option's first domain, back to dotted text. */
static int ra_dnssl_opt(const uint8_t *opt, size_t n, struct ra_info *ra)
{
	size_t pos = 8, out = 0, l;

	if (n < 16)
		return -EINVAL;
	ra->dnssl_lifetime = be32_get(opt + 4);
	while (pos < n && opt[pos] != 0) {
		l = opt[pos++];
		if (l > RA_LABEL_MAX || l > n - pos || out + l + 1 > RA_DOMAIN_MAX ||
		    !ra_label_ok(opt + pos, l))
			return -EINVAL;
		if (out)
			ra->dnssl[out++] = '.';
		memcpy(ra->dnssl + out, opt + pos, l);
		out += l;
		pos += l;
	}
	if (pos >= n)
		return -EINVAL;
	ra->dnssl[out] = '\0';
	return 0;
}

static int ra_prefix_opt(const uint8_t *opt, size_t n, struct ra_info *ra)
{
	if (n != RA_PREFIX_OPT_LEN || opt[2] > 128)
		return -EINVAL;
	if (be32_get(opt + 4) == 0 && be32_get(opt + 8) == 0) {
		ra->have_old_prefix = true;
		ra->old_prefix_len = opt[2];
		memcpy(ra->old_prefix, opt + 16, 16);
		return 0;
	}
	ra->have_prefix = true;
	ra->prefix_len = opt[2];
	ra->onlink = opt[3] & RA_PREFIX_FLAG_L;
	ra->autonomous = opt[3] & RA_PREFIX_FLAG_A;
	ra->valid_lifetime = be32_get(opt + 4);
	ra->preferred_lifetime = be32_get(opt + 8);
	memcpy(ra->prefix, opt + 16, 16);
	return 0;
}

static int ra_opt(uint8_t type, const uint8_t *opt, size_t n, void *ctx)
{
	struct ra_info *ra = ctx;

	switch (type) {
	case RA_OPT_SLL:
		return ra_sll_opt(opt, n, &ra->have_sll, ra->sll);
	case RA_OPT_PREFIX:
		return ra_prefix_opt(opt, n, ra);
	case RA_OPT_MTU:
		if (n != 8)
			return -EINVAL;
		ra->mtu = be32_get(opt + 4);
		return 0;
	case RA_OPT_RDNSS:
		if (n < 24)
			return -EINVAL;
		ra->have_rdnss = true;
		ra->rdnss_lifetime = be32_get(opt + 4);
		memcpy(ra->rdnss, opt + 8, 16);
		return 0;
	case RA_OPT_DNSSL:
		return ra_dnssl_opt(opt, n, ra);
	default:
		return 0;
	}
}

int ra_parse(const uint8_t *buf, size_t len, struct ra_info *out)
{
	struct ra_info ra;
	int r;

	if (!buf || !out || len < RA_HDR_LEN || buf[0] != RA_ICMP_RA || buf[1] != 0)
		return -EINVAL;
	memset(&ra, 0, sizeof(ra));
	ra.cur_hop_limit = buf[4];
	ra.managed = buf[5] & RA_FLAG_M;
	ra.other = buf[5] & RA_FLAG_O;
	ra.router_lifetime = be16_get(buf + 6);
	ra.reachable_ms = be32_get(buf + 8);
	ra.retrans_ms = be32_get(buf + 12);
	r = ra_walk(buf + RA_HDR_LEN, len - RA_HDR_LEN, ra_opt, &ra);
	if (r < 0)
		return r;
	*out = ra;
	return 0;
}

static int ra_rs_opt(uint8_t type, const uint8_t *opt, size_t n, void *ctx)
{
	struct ra_solicit *rs = ctx;

	return type == RA_OPT_SLL ? ra_sll_opt(opt, n, &rs->have_sll, rs->sll) : 0;
}

int ra_parse_rs(const uint8_t *buf, size_t len, struct ra_solicit *out)
{
	struct ra_solicit rs = { 0 };
	int r;

	if (!buf || !out || len < RA_RS_HDR_LEN || buf[0] != RA_ICMP_RS || buf[1] != 0)
		return -EINVAL;
	r = ra_walk(buf + RA_RS_HDR_LEN, len - RA_RS_HDR_LEN, ra_rs_opt, &rs);
	if (r < 0)
		return r;
	*out = rs;
	return 0;
}
