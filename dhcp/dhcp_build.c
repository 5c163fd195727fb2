/* Building DHCP messages: the header, then options in the caller's order,
 * each one all or nothing, then the relay agent information, the end
 * option and padding. b->len + b->tail <= b->size holds throughout, so
 * the tail always fits. */
#include <errno.h>
#include <string.h>
#include <strings.h>

#include "byteorder.h"
#include "dhcp_codec.h"
#include "dhcp_wire.h"

/* The most addresses dhcp_build_ips takes: what one option holds. */
#define DHCP_IPS_MAX (DHCP_OPT_MAX / 4)
#define DHCP_PTR_MAX 0x3fff   /* the largest compression offset */
#define DHCP_SUFFIX_MAX (DHCP_SEARCH_MAX / 2)

_Static_assert(DHCP_SEARCH_MAX <= DHCP_PTR_MAX,
	       "every offset in a search list must fit a compression pointer");

void dhcp_header_request(struct dhcp_header *h, uint32_t xid,
			 const uint8_t mac[6])
{
	memset(h, 0, sizeof(*h));
	h->op = DHCP_OP_BOOTREQUEST;
	h->htype = DHCP_HTYPE_ETHER;
	h->hlen = 6;
	h->xid = xid;
	memcpy(h->chaddr, mac, 6);
}

void dhcp_header_reply(struct dhcp_header *h, const struct dhcp_header *req)
{
	memset(h, 0, sizeof(*h));
	h->op = DHCP_OP_BOOTREPLY;
	h->htype = req->htype;
	h->hlen = req->hlen <= DHCP_CHADDR_LEN ? req->hlen : DHCP_CHADDR_LEN;
	h->xid = req->xid;
	h->flags = req->flags;
	h->giaddr = req->giaddr;
	memcpy(h->chaddr, req->chaddr, DHCP_CHADDR_LEN);
}

static void dhcp_header_write(uint8_t *p, const struct dhcp_header *h)
{
	memset(p, 0, DHCP_MIN_LEN);
	p[0] = h->op;
	p[1] = h->htype;
	p[2] = h->hlen;
	p[3] = h->hops;
	be32_put(p + 4, h->xid);
	be16_put(p + 8, h->secs);
	be16_put(p + 10, h->flags);
	be32_put(p + 12, h->ciaddr);
	be32_put(p + DHCP_YIADDR_OFF, h->yiaddr);
	be32_put(p + 20, h->siaddr);
	be32_put(p + 24, h->giaddr);
	memcpy(p + 28, h->chaddr, DHCP_CHADDR_LEN);
	memcpy(p + 44, h->sname, DHCP_SNAME_LEN);
	memcpy(p + 108, h->file, DHCP_FILE_LEN);
	be32_put(p + DHCP_HEADER_LEN, DHCP_MAGIC_COOKIE);
}

int dhcp_build_init(struct dhcp_builder *b, uint8_t *buf, size_t size,
		    const struct dhcp_header *hdr, uint8_t type)
{
	if (!b || !buf || !hdr || hdr->hlen > DHCP_CHADDR_LEN)
		return -EINVAL;
	if (size < DHCP_BOOTP_MIN_LEN)
		return -EMSGSIZE;
	memset(b, 0, sizeof(*b));
	b->buf = buf;
	b->size = size;
	b->tail = 1;   /* the end option */
	dhcp_header_write(buf, hdr);
	b->len = DHCP_MIN_LEN;
	/* RFC 2131 4.1 wants no order, but clients look for 53 first. */
	if (type)
		return dhcp_build_u8(b, DHCP_OPT_MSG_TYPE, type);
	return 0;
}

/* Bytes that len bytes of value take once split into options of at
 * most 255 bytes each (RFC 3396); an empty value is one empty option. */
static size_t dhcp_opt_room(size_t len)
{
	size_t parts = len == 0 ? 1 : (len + DHCP_OPT_MAX - 1) / DHCP_OPT_MAX;

	return len + 2 * parts;
}

static bool dhcp_build_fits(const struct dhcp_builder *b, size_t n)
{
	return n <= b->size - b->tail - b->len;
}

int dhcp_build_option(struct dhcp_builder *b, uint8_t code,
		      const void *data, size_t len)
{
	const uint8_t *p = data;
	size_t off = 0, part;

	if (!b || (!data && len > 0) || b->finished)
		return -EINVAL;
	if (code == DHCP_OPT_PAD || code == DHCP_OPT_END)
		return -EINVAL;
	if (len > UINT16_MAX || !dhcp_build_fits(b, dhcp_opt_room(len)))
		return -EMSGSIZE;
	do {
		part = len - off < DHCP_OPT_MAX ? len - off : DHCP_OPT_MAX;
		b->buf[b->len++] = code;
		b->buf[b->len++] = (uint8_t)part;
		if (part > 0)
			memcpy(b->buf + b->len, p + off, part);
		b->len += part;
		off += part;
	} while (off < len);
	return 0;
}

int dhcp_build_u8(struct dhcp_builder *b, uint8_t code, uint8_t v)
{
	return dhcp_build_option(b, code, &v, 1);
}

int dhcp_build_u16(struct dhcp_builder *b, uint8_t code, uint16_t v)
{
	uint8_t p[2];

	be16_put(p, v);
	return dhcp_build_option(b, code, p, sizeof(p));
}

int dhcp_build_u32(struct dhcp_builder *b, uint8_t code, uint32_t v)
{
	uint8_t p[4];

	be32_put(p, v);
	return dhcp_build_option(b, code, p, sizeof(p));
}

int dhcp_build_ips(struct dhcp_builder *b, uint8_t code,
		   const uint32_t *ips, size_t n)
{
	uint8_t p[DHCP_IPS_MAX * 4];
	size_t i;

	if (!ips || n == 0 || n > DHCP_IPS_MAX)
		return -EINVAL;
	for (i = 0; i < n; i++)
		be32_put(p + 4 * i, ips[i]);
	return dhcp_build_option(b, code, p, 4 * n);
}

int dhcp_build_str(struct dhcp_builder *b, uint8_t code, const char *s)
{
	if (!s)
		return -EINVAL;
	return dhcp_build_option(b, code, s, strlen(s));
}

/* The name field of option 81: empty when the client leaves the name to
 * the server, else wire format or ASCII as the E flag says. */
static int dhcp_fqdn_name(uint8_t flags, const char *name, uint8_t *out,
			  size_t cap, size_t *len)
{
	size_t n = strlen(name);

	if (n == 0) {
		*len = 0;
		return 0;
	}
	if (flags & DHCP_FQDN_E)
		return dhcp_name_to_wire(name, out, cap, len) < 0 ? -EINVAL : 0;
	if (n > cap)
		return -EINVAL;
	memcpy(out, name, n);
	*len = n;
	return 0;
}

int dhcp_build_fqdn(struct dhcp_builder *b, uint8_t flags, const char *name)
{
	uint8_t v[3 + DHCP_OPT_MAX];
	size_t n;
	int r;

	if (!b || !name || b->finished)
		return -EINVAL;
	r = dhcp_fqdn_name(flags, name, v + 3, sizeof(v) - 3, &n);
	if (r < 0)
		return r;
	v[0] = flags & 0x0f;
	/* RFC 4702 2.2: the RCODEs are deprecated; servers send 255,
	 * clients 0. */
	v[1] = v[2] = b->buf[0] == DHCP_OP_BOOTREPLY ? 255 : 0;
	return dhcp_build_option(b, DHCP_OPT_FQDN, v, 3 + n);
}

/* A name suffix already written to the search list: its text (no
 * trailing dot) and where its labels start in the option data. */
struct dhcp_suffix {
	const char *text;
	size_t len;
	size_t off;
};

struct dhcp_search {
	uint8_t out[DHCP_SEARCH_MAX];
	size_t len;
	struct dhcp_suffix sfx[DHCP_SUFFIX_MAX];
	size_t n_sfx;
};

static const struct dhcp_suffix *dhcp_search_find(const struct dhcp_search *s,
						  const char *text, size_t len)
{
	size_t i;

	for (i = 0; i < s->n_sfx; i++)
		if (s->sfx[i].len == len &&
		    strncasecmp(s->sfx[i].text, text, len) == 0)
			return &s->sfx[i];
	return NULL;
}

static int dhcp_search_put(struct dhcp_search *s, const void *p, size_t n)
{
	if (n > sizeof(s->out) - s->len)
		return -ENOBUFS;
	memcpy(s->out + s->len, p, n);
	s->len += n;
	return 0;
}

/* Appends one name, ending in a pointer to the longest suffix written
 * before (RFC 1035 4.1.4; RFC 3397 2 counts offsets from the start of
 * the option data). The name is checked by dhcp_name_to_wire first. */
static int dhcp_search_add(struct dhcp_search *s, const char *name)
{
	const struct dhcp_suffix *hit;
	uint8_t wire[DHCP_OPT_MAX], ptr[2];
	size_t n = strlen(name), wlen, i, l;
	int r;

	r = dhcp_name_to_wire(name, wire, sizeof(wire), &wlen);
	if (r < 0 || wlen < 2)
		return -EINVAL;
	if (name[n - 1] == '.')
		n--;
	for (i = 0; i < n; i += l + 1) {
		hit = dhcp_search_find(s, name + i, n - i);
		if (hit) {
			be16_put(ptr, (uint16_t)(0xc000 | hit->off));
			return dhcp_search_put(s, ptr, sizeof(ptr));
		}
		if (s->n_sfx < DHCP_SUFFIX_MAX)
			s->sfx[s->n_sfx++] = (struct dhcp_suffix){
				name + i, n - i, s->len };
		for (l = 0; i + l < n && name[i + l] != '.'; l++)
			;
		ptr[0] = (uint8_t)l;
		r = dhcp_search_put(s, ptr, 1);
		if (r < 0)
			return r;
		r = dhcp_search_put(s, name + i, l);
		if (r < 0)
			return r;
	}
	ptr[0] = 0;
	return dhcp_search_put(s, ptr, 1);
}

int dhcp_build_domain_search(struct dhcp_builder *b,
			     const char *const *names, size_t n)
{
	struct dhcp_search s;
	size_t i;
	int r;

	if (!b || !names || n == 0)
		return -EINVAL;
	s.len = 0;
	s.n_sfx = 0;
	for (i = 0; i < n; i++) {
		if (!names[i])
			return -EINVAL;
		r = dhcp_search_add(&s, names[i]);
		if (r < 0)
			return r;
	}
	return dhcp_build_option(b, DHCP_OPT_DOMAIN_SEARCH, s.out, s.len);
}

int dhcp_build_relay_info(struct dhcp_builder *b, const uint8_t *data,
			  size_t len)
{
	if (!b || !data || len == 0 || len > DHCP_OPT_MAX || b->finished ||
	    b->relay_len > 0)
		return -EINVAL;
	if (!dhcp_build_fits(b, 2 + len))
		return -EMSGSIZE;
	memcpy(b->relay, data, len);
	b->relay_len = (uint8_t)len;
	b->tail += 2 + len;
	return 0;
}

int dhcp_build_finish(struct dhcp_builder *b, size_t *len)
{
	uint8_t *p;

	if (!b || !len || b->finished)
		return -EINVAL;
	p = b->buf;
	if (b->relay_len > 0) {
		p[b->len++] = DHCP_OPT_RELAY_AGENT;
		p[b->len++] = b->relay_len;
		memcpy(p + b->len, b->relay, b->relay_len);
		b->len += b->relay_len;
	}
	p[b->len++] = DHCP_OPT_END;
	b->tail = 0;
	if (b->len < DHCP_BOOTP_MIN_LEN) {
		memset(p + b->len, 0, DHCP_BOOTP_MIN_LEN - b->len);
		b->len = DHCP_BOOTP_MIN_LEN;
	}
	b->finished = true;
	*len = b->len;
	return 0;
}
