/* ctnetlink messages: the dump request, the delete, the parse of one
 * entry, and the rule that says which guest flows must start over. Pure:
 * no socket. */
#include <arpa/inet.h>
#include <errno.h>
#include <string.h>
#include <sys/socket.h>

#include <linux/netfilter/nf_conntrack_common.h>
#include <linux/netfilter/nfnetlink.h>
#include <linux/netfilter/nfnetlink_conntrack.h>

#include <libmnl/libmnl.h>

#include "conntrack.h"

static struct nlmsghdr *conntrack_msg_start(void *buf, size_t size, uint32_t seq,
					    uint8_t family, uint8_t type, uint16_t flags)
{
	struct nlmsghdr *nlh;
	struct nfgenmsg *nfg;

	if (!buf || size < CONNTRACK_MSG_MAX)
		return NULL;
	nlh = mnl_nlmsg_put_header(buf);
	nlh->nlmsg_type = (NFNL_SUBSYS_CTNETLINK << 8) | type;
	nlh->nlmsg_flags = NLM_F_REQUEST | flags;
	nlh->nlmsg_seq = seq;
	nfg = mnl_nlmsg_put_extra_header(nlh, sizeof(*nfg));
	nfg->nfgen_family = family;
	nfg->version = NFNETLINK_V0;
	nfg->res_id = htons(0);
	return nlh;
}

struct nlmsghdr *conntrack_build_dump(void *buf, size_t size, uint32_t seq, uint8_t family)
{
	return conntrack_msg_start(buf, size, seq, family, IPCTNL_MSG_CT_GET, NLM_F_DUMP);
}

void conntrack_put_tuple(struct nlmsghdr *nlh, uint16_t type, uint8_t family,
			 const struct conntrack_tuple *t)
{
	struct nlattr *tuple, *nest;

	tuple = mnl_attr_nest_start(nlh, type);
	nest = mnl_attr_nest_start(nlh, CTA_TUPLE_IP);
	if (family == AF_INET6) {
		mnl_attr_put(nlh, CTA_IP_V6_SRC, 16, t->src6);
		mnl_attr_put(nlh, CTA_IP_V6_DST, 16, t->dst6);
	} else {
		mnl_attr_put_u32(nlh, CTA_IP_V4_SRC, htonl(t->src));
		mnl_attr_put_u32(nlh, CTA_IP_V4_DST, htonl(t->dst));
	}
	mnl_attr_nest_end(nlh, nest);
	nest = mnl_attr_nest_start(nlh, CTA_TUPLE_PROTO);
	mnl_attr_put_u8(nlh, CTA_PROTO_NUM, t->proto);
	if (t->has_ports) {
		mnl_attr_put_u16(nlh, CTA_PROTO_SRC_PORT, htons(t->sport));
		mnl_attr_put_u16(nlh, CTA_PROTO_DST_PORT, htons(t->dport));
	}
	if (t->has_icmp) {
		mnl_attr_put_u16(nlh, CTA_PROTO_ICMP_ID, htons(t->icmp_id));
		mnl_attr_put_u8(nlh, CTA_PROTO_ICMP_TYPE, t->icmp_type);
		mnl_attr_put_u8(nlh, CTA_PROTO_ICMP_CODE, t->icmp_code);
	}
	mnl_attr_nest_end(nlh, nest);
	mnl_attr_nest_end(nlh, tuple);
}

struct nlmsghdr *conntrack_build_delete(void *buf, size_t size, uint32_t seq,
					const struct conntrack_entry *e)
{
	struct nlmsghdr *nlh;

	nlh = conntrack_msg_start(buf, size, seq, e->family, IPCTNL_MSG_CT_DELETE, NLM_F_ACK);
	if (!nlh)
		return NULL;
	conntrack_put_tuple(nlh, CTA_TUPLE_ORIG, e->family, &e->orig);
	if (e->has_id)
		mnl_attr_put_u32(nlh, CTA_ID, htonl(e->id));
	if (e->has_zone)
		mnl_attr_put_u16(nlh, CTA_ZONE, htons(e->zone));
	return nlh;
}

/* Parsing ------------------------------------------------------------------ */

/* What each attribute we read must hold. */
static int conntrack_attr_check(const struct nlattr *a, enum mnl_attr_data_type t)
{
	return mnl_attr_validate(a, t) < 0 ? MNL_CB_ERROR : MNL_CB_OK;
}

struct conntrack_ip_seen {
	struct conntrack_tuple *t;
	uint8_t family;
	bool src, dst;
};

static int conntrack_ip4_cb(const struct nlattr *a, struct conntrack_ip_seen *s)
{
	uint16_t type = mnl_attr_get_type(a);

	if (type != CTA_IP_V4_SRC && type != CTA_IP_V4_DST)
		return MNL_CB_OK;
	if (conntrack_attr_check(a, MNL_TYPE_U32) != MNL_CB_OK)
		return MNL_CB_ERROR;
	if (type == CTA_IP_V4_SRC) {
		s->t->src = ntohl(mnl_attr_get_u32(a));
		s->src = true;
	} else {
		s->t->dst = ntohl(mnl_attr_get_u32(a));
		s->dst = true;
	}
	return MNL_CB_OK;
}

static int conntrack_ip6_cb(const struct nlattr *a, struct conntrack_ip_seen *s)
{
	uint16_t type = mnl_attr_get_type(a);

	if (type != CTA_IP_V6_SRC && type != CTA_IP_V6_DST)
		return MNL_CB_OK;
	if (mnl_attr_validate2(a, MNL_TYPE_BINARY, 16) < 0)
		return MNL_CB_ERROR;
	if (type == CTA_IP_V6_SRC) {
		memcpy(s->t->src6, mnl_attr_get_payload(a), 16);
		s->src = true;
	} else {
		memcpy(s->t->dst6, mnl_attr_get_payload(a), 16);
		s->dst = true;
	}
	return MNL_CB_OK;
}

static int conntrack_ip_cb(const struct nlattr *a, void *data)
{
	struct conntrack_ip_seen *s = data;

	return s->family == AF_INET6 ? conntrack_ip6_cb(a, s) : conntrack_ip4_cb(a, s);
}

struct conntrack_proto_seen {
	struct conntrack_tuple *t;
	bool num, sport, dport, icmp_id, icmp_type, icmp_code;
};

static int conntrack_proto_u16(const struct nlattr *a, uint16_t *out, bool *seen)
{
	if (conntrack_attr_check(a, MNL_TYPE_U16) != MNL_CB_OK)
		return MNL_CB_ERROR;
	*out = ntohs(mnl_attr_get_u16(a));
	*seen = true;
	return MNL_CB_OK;
}

static int conntrack_proto_u8(const struct nlattr *a, uint8_t *out, bool *seen)
{
	if (conntrack_attr_check(a, MNL_TYPE_U8) != MNL_CB_OK)
		return MNL_CB_ERROR;
	*out = mnl_attr_get_u8(a);
	*seen = true;
	return MNL_CB_OK;
}

static int conntrack_proto_cb(const struct nlattr *a, void *data)
{
	struct conntrack_proto_seen *s = data;
	struct conntrack_tuple *t = s->t;

	switch (mnl_attr_get_type(a)) {
	case CTA_PROTO_NUM:
		return conntrack_proto_u8(a, &t->proto, &s->num);
	case CTA_PROTO_SRC_PORT:
		return conntrack_proto_u16(a, &t->sport, &s->sport);
	case CTA_PROTO_DST_PORT:
		return conntrack_proto_u16(a, &t->dport, &s->dport);
	case CTA_PROTO_ICMP_ID:
		return conntrack_proto_u16(a, &t->icmp_id, &s->icmp_id);
	case CTA_PROTO_ICMP_TYPE:
		return conntrack_proto_u8(a, &t->icmp_type, &s->icmp_type);
	case CTA_PROTO_ICMP_CODE:
		return conntrack_proto_u8(a, &t->icmp_code, &s->icmp_code);
	default:
		return MNL_CB_OK;
	}
}

static int conntrack_parse_proto(const struct nlattr *nest, struct conntrack_tuple *t)
{
	struct conntrack_proto_seen s = { .t = t };

	if (mnl_attr_parse_nested(nest, conntrack_proto_cb, &s) != MNL_CB_OK || !s.num)
		return -EINVAL;
	/* A half-given pair could not be sent back in a delete. */
	if (s.sport != s.dport || (s.icmp_id != s.icmp_type || s.icmp_id != s.icmp_code))
		return -EINVAL;
	t->has_ports = s.sport;
	t->has_icmp = s.icmp_id;
	return 0;
}

struct conntrack_tuple_seen {
	struct conntrack_tuple *t;
	uint8_t family;
	bool ip, proto;
};

static int conntrack_tuple_cb(const struct nlattr *a, void *data)
{
	struct conntrack_tuple_seen *s = data;
	uint16_t type = mnl_attr_get_type(a);

	if (type != CTA_TUPLE_IP && type != CTA_TUPLE_PROTO)
		return MNL_CB_OK;
	if (conntrack_attr_check(a, MNL_TYPE_NESTED) != MNL_CB_OK)
		return MNL_CB_ERROR;
	if (type == CTA_TUPLE_IP) {
		struct conntrack_ip_seen ip = { .t = s->t, .family = s->family };

		/* Both addresses, of the message's family: a delete must name
		 * the entry exactly. */
		if (mnl_attr_parse_nested(a, conntrack_ip_cb, &ip) != MNL_CB_OK ||
		    !ip.src || !ip.dst)
			return MNL_CB_ERROR;
		s->ip = true;
		return MNL_CB_OK;
	}
	if (conntrack_parse_proto(a, s->t) < 0)
		return MNL_CB_ERROR;
	s->proto = true;
	return MNL_CB_OK;
}

static int conntrack_parse_tuple(const struct nlattr *nest, uint8_t family,
				 struct conntrack_tuple *t)
{
	struct conntrack_tuple_seen s = { .t = t, .family = family };

	if (mnl_attr_parse_nested(nest, conntrack_tuple_cb, &s) != MNL_CB_OK)
		return -EINVAL;
	return s.ip && s.proto ? 0 : -EINVAL;
}

struct conntrack_entry_seen {
	struct conntrack_entry *e;
	bool orig, reply;
};

static int conntrack_entry_tuple(const struct nlattr *a, uint8_t family,
				 struct conntrack_tuple *t, bool *seen)
{
	if (conntrack_attr_check(a, MNL_TYPE_NESTED) != MNL_CB_OK ||
	    conntrack_parse_tuple(a, family, t) < 0)
		return MNL_CB_ERROR;
	*seen = true;
	return MNL_CB_OK;
}

static int conntrack_entry_cb(const struct nlattr *a, void *data)
{
	struct conntrack_entry_seen *s = data;
	struct conntrack_entry *e = s->e;

	switch (mnl_attr_get_type(a)) {
	case CTA_TUPLE_ORIG:
		return conntrack_entry_tuple(a, e->family, &e->orig, &s->orig);
	case CTA_TUPLE_REPLY:
		return conntrack_entry_tuple(a, e->family, &e->reply, &s->reply);
	case CTA_STATUS:
		if (conntrack_attr_check(a, MNL_TYPE_U32) != MNL_CB_OK)
			return MNL_CB_ERROR;
		e->status = ntohl(mnl_attr_get_u32(a));
		return MNL_CB_OK;
	case CTA_ID:
		if (conntrack_attr_check(a, MNL_TYPE_U32) != MNL_CB_OK)
			return MNL_CB_ERROR;
		e->id = ntohl(mnl_attr_get_u32(a));
		e->has_id = true;
		return MNL_CB_OK;
	case CTA_ZONE:
		if (conntrack_attr_check(a, MNL_TYPE_U16) != MNL_CB_OK)
			return MNL_CB_ERROR;
		e->zone = ntohs(mnl_attr_get_u16(a));
		e->has_zone = true;
		return MNL_CB_OK;
	default:
		return MNL_CB_OK;
	}
}

int conntrack_parse(const void *buf, size_t len, struct conntrack_entry *e)
{
	const struct nlmsghdr *nlh = buf;
	const struct nfgenmsg *nfg;
	struct conntrack_entry_seen s = { .e = e };
	int r;

	memset(e, 0, sizeof(*e));
	if (!buf || len > INT32_MAX || !mnl_nlmsg_ok(nlh, (int)len))
		return -EINVAL;
	/* libmnl walks attributes up to the aligned end of the message. */
	if (MNL_ALIGN(nlh->nlmsg_len) > len)
		return -EINVAL;
	if (nlh->nlmsg_type != ((NFNL_SUBSYS_CTNETLINK << 8) | IPCTNL_MSG_CT_NEW))
		return -ENOENT;
	if (mnl_nlmsg_get_payload_len(nlh) < sizeof(*nfg))
		return -EINVAL;
	nfg = mnl_nlmsg_get_payload(nlh);
	if (nfg->nfgen_family != AF_INET && nfg->nfgen_family != AF_INET6)
		return -ENOENT;
	e->family = nfg->nfgen_family;
	r = mnl_attr_parse(nlh, sizeof(*nfg), conntrack_entry_cb, &s);
	if (r != MNL_CB_OK || !s.orig || !s.reply)
		return -EINVAL;
	return 0;
}

/* The rule ----------------------------------------------------------------- */

static bool conntrack_in_subnets(uint32_t addr, const struct nat_subnet *subnets, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		uint32_t mask = subnets[i].len ? ~0u << (32 - subnets[i].len) : 0;

		if ((addr & mask) == subnets[i].addr)
			return true;
	}
	return false;
}

static bool conntrack_in_prefix(const uint8_t a[16], const struct nat_prefix6 *p)
{
	unsigned bytes = p->len / 8, bits = p->len % 8;

	if (p->len > 128 || memcmp(a, p->addr, bytes) != 0)
		return false;
	return !bits || ((a[bytes] ^ p->addr[bytes]) & (0xffu << (8 - bits))) == 0;
}

static bool conntrack_is_stale4(const struct conntrack_entry *e, const struct conntrack_scope *s)
{
	/* The reply goes back to the address the flow was masqueraded to. */
	uint32_t masq = e->reply.dst;

	if (masq == e->orig.src || !conntrack_in_subnets(e->orig.src, s->subnets, s->n_subnets))
		return false;
	for (size_t i = 0; i < s->n_keep; i++)
		if (s->keep[i] == masq)
			return false;
	return true;
}

static bool conntrack_is_stale6(const struct conntrack_entry *e, const struct conntrack_scope *s)
{
	const uint8_t *masq = e->reply.dst6;
	bool guest = false;

	if (memcmp(masq, e->orig.src6, 16) == 0)
		return false;
	for (size_t i = 0; i < s->n_prefixes && !guest; i++)
		guest = conntrack_in_prefix(e->orig.src6, &s->prefixes[i]);
	if (!guest)
		return false;
	for (size_t i = 0; i < s->n_keep6; i++)
		if (memcmp(s->keep6[i], masq, 16) == 0)
			return false;
	return true;
}

bool conntrack_is_stale(const struct conntrack_entry *e, const struct conntrack_scope *s)
{
	if (!(e->status & IPS_SRC_NAT) || e->family != s->family)
		return false;
	return e->family == AF_INET6 ? conntrack_is_stale6(e, s) : conntrack_is_stale4(e, s);
}
