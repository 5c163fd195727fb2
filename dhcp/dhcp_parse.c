/* Parsing DHCP messages (RFC 2131 2, RFC 2132). The header is checked
 * first, then the option fields are walked with a bounded iterator. The
 * fields are the options field and, when option 52 there says so, the
 * file and sname fields (RFC 2131 4.1). Option 52 counts only in the
 * options field, so an "overload" inside file or sname leads nowhere and
 * a message has at most three fields: no loop is possible. */
#include <errno.h>
#include <string.h>

#include "byteorder.h"
#include "dhcp_codec.h"
#include "dhcp_wire.h"

#define DHCP_OFF_SNAME 44
#define DHCP_OFF_FILE 108
#define DHCP_OFF_COOKIE 236

struct dhcp_field {
	const uint8_t *p;
	size_t len;
};

struct dhcp_fields {
	struct dhcp_field f[3];
	size_t n;
};

struct dhcp_opt_iter {
	const uint8_t *p;
	size_t len;
	size_t off;
};

/* Returns 1 with the next option, 0 at the end of the field (an end
 * option, or no bytes left), -EINVAL when an option runs past it. */
static int dhcp_opt_next(struct dhcp_opt_iter *it, uint8_t *code,
			 const uint8_t **data, size_t *len)
{
	size_t l;

	while (it->off < it->len) {
		*code = it->p[it->off];
		if (*code == DHCP_OPT_PAD) {
			it->off++;
			continue;
		}
		if (*code == DHCP_OPT_END) {
			it->off = it->len;
			return 0;
		}
		if (it->len - it->off < 2)
			return -EINVAL;
		l = it->p[it->off + 1];
		if (it->len - it->off - 2 < l)
			return -EINVAL;
		*data = it->p + it->off + 2;
		*len = l;
		it->off += 2 + l;
		return 1;
	}
	return 0;
}

/* Concatenates every instance of code, field after field (RFC 3396).
 * Copies at most cap bytes but sets *out_len to the whole length, so a
 * caller sees a value too long for it. Returns 0, -ENOENT or -EINVAL. */
static int dhcp_collect(const struct dhcp_fields *fs, uint8_t code,
			uint8_t *out, size_t cap, size_t *out_len)
{
	struct dhcp_opt_iter it;
	const uint8_t *data = NULL;
	size_t i, l = 0, total = 0;
	uint8_t c;
	bool found = false;
	int r;

	for (i = 0; i < fs->n; i++) {
		it = (struct dhcp_opt_iter){ fs->f[i].p, fs->f[i].len, 0 };
		while ((r = dhcp_opt_next(&it, &c, &data, &l)) > 0) {
			if (c != code)
				continue;
			if (total < cap)
				memcpy(out + total, data,
				       l < cap - total ? l : cap - total);
			total += l;
			found = true;
		}
		if (r < 0)
			return r;
	}
	*out_len = total;
	return found ? 0 : -ENOENT;
}

/* Checks every field and records the codes that appear. */
static int dhcp_scan(const struct dhcp_fields *fs, uint8_t seen[32])
{
	struct dhcp_opt_iter it;
	const uint8_t *data;
	size_t i, l;
	uint8_t c;
	int r;

	for (i = 0; i < fs->n; i++) {
		it = (struct dhcp_opt_iter){ fs->f[i].p, fs->f[i].len, 0 };
		while ((r = dhcp_opt_next(&it, &c, &data, &l)) > 0)
			seen[c / 8] |= (uint8_t)(1u << (c % 8));
		if (r < 0)
			return r;
	}
	return 0;
}

static int dhcp_header_parse(const uint8_t *buf, size_t len,
			     struct dhcp_header *h)
{
	if (len < DHCP_MIN_LEN)
		return -EMSGSIZE;
	if (be32_get(buf + DHCP_OFF_COOKIE) != DHCP_MAGIC_COOKIE)
		return -EINVAL;
	if (buf[2] > DHCP_CHADDR_LEN)
		return -EINVAL;
	h->op = buf[0];
	h->htype = buf[1];
	h->hlen = buf[2];
	h->hops = buf[3];
	h->xid = be32_get(buf + 4);
	h->secs = be16_get(buf + 8);
	h->flags = be16_get(buf + 10);
	h->ciaddr = be32_get(buf + 12);
	h->yiaddr = be32_get(buf + DHCP_YIADDR_OFF);
	h->siaddr = be32_get(buf + 20);
	h->giaddr = be32_get(buf + 24);
	memcpy(h->chaddr, buf + 28, DHCP_CHADDR_LEN);
	memcpy(h->sname, buf + DHCP_OFF_SNAME, DHCP_SNAME_LEN);
	memcpy(h->file, buf + DHCP_OFF_FILE, DHCP_FILE_LEN);
	return 0;
}

/* Finds option 52 in the options field and lists the fields to walk:
 * options, then file, then sname (RFC 3396). The caller has checked the
 * header, so len >= DHCP_MIN_LEN. */
static int dhcp_fields_init(const uint8_t *buf, size_t len,
			    struct dhcp_fields *fs, uint8_t *overload)
{
	size_t l;
	int r;

	fs->f[0] = (struct dhcp_field){ buf + DHCP_MIN_LEN, len - DHCP_MIN_LEN };
	fs->n = 1;
	*overload = 0;
	r = dhcp_collect(fs, DHCP_OPT_OVERLOAD, overload, 1, &l);
	if (r == -ENOENT)
		return 0;
	if (r < 0)
		return r;
	if (l != 1 || *overload < DHCP_OVERLOAD_FILE ||
	    *overload > DHCP_OVERLOAD_BOTH)
		return -EINVAL;
	if (*overload & DHCP_OVERLOAD_FILE)
		fs->f[fs->n++] = (struct dhcp_field){ buf + DHCP_OFF_FILE,
						      DHCP_FILE_LEN };
	if (*overload & DHCP_OVERLOAD_SNAME)
		fs->f[fs->n++] = (struct dhcp_field){ buf + DHCP_OFF_SNAME,
						      DHCP_SNAME_LEN };
	return 0;
}

static int dhcp_fields_open(const uint8_t *buf, size_t len,
			    struct dhcp_fields *fs, struct dhcp_header *h,
			    uint8_t *overload, uint8_t seen[32])
{
	int r;

	r = dhcp_header_parse(buf, len, h);
	if (r < 0)
		return r;
	r = dhcp_fields_init(buf, len, fs, overload);
	if (r < 0)
		return r;
	return dhcp_scan(fs, seen);
}

/* A fixed-size option: *found stays false when it is absent, and a
 * wrong length makes the whole message invalid. */
static int dhcp_get_fixed(const struct dhcp_fields *fs, uint8_t code,
			  uint8_t *out, size_t n, bool *found)
{
	size_t l;
	int r;

	*found = false;
	r = dhcp_collect(fs, code, out, n, &l);
	if (r == -ENOENT)
		return 0;
	if (r < 0)
		return r;
	if (l != n)
		return -EINVAL;
	*found = true;
	return 0;
}

static int dhcp_get_u32(const struct dhcp_fields *fs, uint8_t code,
			uint32_t *v, bool *found)
{
	uint8_t b[4];
	int r;

	r = dhcp_get_fixed(fs, code, b, sizeof(b), found);
	if (r == 0 && *found)
		*v = be32_get(b);
	return r;
}

static int dhcp_parse_fixed(const struct dhcp_fields *fs, struct dhcp_msg *m)
{
	uint8_t b[2];
	bool found;
	int r;

	r = dhcp_get_fixed(fs, DHCP_OPT_MSG_TYPE, &m->type, 1, &found);
	if (r < 0)
		return r;
	/* 0 is no message type, and would read as plain BOOTP. */
	if (found && m->type == 0)
		return -EINVAL;
	r = dhcp_get_u32(fs, DHCP_OPT_REQUESTED_IP, &m->requested_ip,
			 &m->has_requested_ip);
	if (r < 0)
		return r;
	r = dhcp_get_u32(fs, DHCP_OPT_SERVER_ID, &m->server_id,
			 &m->has_server_id);
	if (r < 0)
		return r;
	r = dhcp_get_u32(fs, DHCP_OPT_LEASE_TIME, &m->lease_time,
			 &m->has_lease_time);
	if (r < 0)
		return r;
	r = dhcp_get_fixed(fs, DHCP_OPT_MAX_MSG_SIZE, b, sizeof(b), &found);
	if (r < 0)
		return r;
	if (found && be16_get(b) >= DHCP_MIN_MAX_MSG)
		m->max_msg_size = be16_get(b);
	return 0;
}

/* A value longer than the struct holds is dropped, not truncated: a cut
 * client identifier would name another client. */
static int dhcp_get_value(const struct dhcp_fields *fs, uint8_t code,
			  struct dhcp_opt_value *v)
{
	size_t l;
	int r;

	r = dhcp_collect(fs, code, v->data, DHCP_OPT_MAX, &l);
	if (r == -ENOENT)
		return 0;
	if (r < 0)
		return r;
	if (l > DHCP_OPT_MAX)
		l = 0;
	v->len = l;
	memset(v->data + l, 0, sizeof(v->data) - l);
	return 0;
}

static int dhcp_parse_values(const struct dhcp_fields *fs, struct dhcp_msg *m)
{
	static const uint8_t codes[] = {
		DHCP_OPT_CLIENT_ID, DHCP_OPT_HOSTNAME, DHCP_OPT_PARAM_LIST,
		DHCP_OPT_VENDOR_CLASS, DHCP_OPT_RELAY_AGENT,
	};
	struct dhcp_opt_value *vals[] = {
		&m->client_id, &m->hostname, &m->param_list,
		&m->vendor_class, &m->relay_info,
	};
	size_t i;
	int r;

	for (i = 0; i < sizeof(codes); i++) {
		r = dhcp_get_value(fs, codes[i], vals[i]);
		if (r < 0)
			return r;
	}
	return 0;
}

/* The name of an ASCII-encoded option 81 (RFC 4702 2.3.2): copied as it
 * is, less one trailing dot; a NUL inside would hide the rest. */
static int dhcp_fqdn_ascii(const uint8_t *p, size_t len, struct dhcp_fqdn *f)
{
	if (len > 0 && p[len - 1] == '.')
		len--;
	if (len > DHCP_NAME_MAX || memchr(p, '\0', len))
		return -EINVAL;
	memcpy(f->name, p, len);
	f->name[len] = '\0';
	f->name_len = len;
	return 0;
}

/* Option 81 (RFC 4702 2): flags, two deprecated RCODE bytes, the name.
 * An option that does not decode is ignored; the policy falls back on
 * option 12 or the MAC address. */
static int dhcp_parse_fqdn(const struct dhcp_fields *fs, struct dhcp_msg *m)
{
	uint8_t b[3 + DHCP_OPT_MAX];
	size_t l;
	int r;

	r = dhcp_collect(fs, DHCP_OPT_FQDN, b, sizeof(b), &l);
	if (r == -ENOENT)
		return 0;
	if (r < 0)
		return r;
	if (l < 3 || l > sizeof(b))
		return 0;
	/* The high four bits must be zero and are ignored on receipt. */
	m->fqdn.flags = b[0] & 0x0f;
	if (b[0] & DHCP_FQDN_E)
		r = dhcp_name_from_wire(b + 3, l - 3, m->fqdn.name,
					sizeof(m->fqdn.name),
					&m->fqdn.name_len);
	else
		r = dhcp_fqdn_ascii(b + 3, l - 3, &m->fqdn);
	if (r < 0) {
		memset(&m->fqdn, 0, sizeof(m->fqdn));
		return 0;
	}
	m->has_fqdn = true;
	return 0;
}

int dhcp_parse(const uint8_t *buf, size_t len, struct dhcp_msg *msg)
{
	struct dhcp_fields fs;
	int r;

	if (!buf || !msg)
		return -EINVAL;
	memset(msg, 0, sizeof(*msg));
	r = dhcp_fields_open(buf, len, &fs, &msg->hdr, &msg->overload,
			     msg->seen);
	if (r < 0)
		goto fail;
	r = dhcp_parse_fixed(&fs, msg);
	if (r < 0)
		goto fail;
	r = dhcp_parse_values(&fs, msg);
	if (r < 0)
		goto fail;
	r = dhcp_parse_fqdn(&fs, msg);
	if (r < 0)
		goto fail;
	return 0;
fail:
	memset(msg, 0, sizeof(*msg));
	return r;
}

int dhcp_option_get(const uint8_t *buf, size_t len, uint8_t code,
		    uint8_t *out, size_t cap, size_t *out_len)
{
	struct dhcp_fields fs;
	struct dhcp_header h;
	uint8_t overload, seen[32] = { 0 };
	size_t l;
	int r;

	if (!buf || (!out && cap > 0) || !out_len)
		return -EINVAL;
	if (code == DHCP_OPT_PAD || code == DHCP_OPT_END)
		return -ENOENT;
	r = dhcp_fields_open(buf, len, &fs, &h, &overload, seen);
	if (r < 0)
		return r;
	r = dhcp_collect(&fs, code, out, cap, &l);
	if (r < 0)
		return r;
	if (l > cap)
		return -ENOBUFS;
	*out_len = l;
	return 0;
}

size_t dhcp_reply_max_len(const struct dhcp_msg *req)
{
	size_t max = req->max_msg_size;

	if (max < DHCP_MIN_MAX_MSG)
		max = DHCP_MIN_MAX_MSG;
	return max - DHCP_IPUDP_LEN;
}
