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
					    uint8_t type, uint16_t flags)
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
	nfg->nfgen_family = AF_INET;
	nfg->version = NFNETLINK_V0;
	nfg->res_id = htons(0);
	return nlh;
}

struct nlmsghdr *conntrack_build_dump(void *buf, size_t size, uint32_t seq)
{
	return conntrack_msg_start(buf, size, seq, IPCTNL_MSG_CT_GET, NLM_F_DUMP);
}

void conntrack_put_tuple(struct nlmsghdr *nlh, uint16_t type, const struct conntrack_tuple *t)
{
	struct nlattr *tuple, *nest;

	tuple = mnl_attr_nest_start(nlh, type);
	nest = mnl_attr_nest_start(nlh, CTA_TUPLE_IP);
	mnl_attr_put_u32(nlh, CTA_IP_V4_SRC, htonl(t->src));
	mnl_attr_put_u32(nlh, CTA_IP_V4_DST, htonl(t->dst));
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

	nlh = conntrack_msg_start(buf, size, seq, IPCTNL_MSG_CT_DELETE, NLM_F_ACK);
	if (!nlh)
		return NULL;
	conntrack_put_tuple(nlh, CTA_TUPLE_ORIG, &e->orig);
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
	bool src, dst;
};

static int conntrack_ip_cb(const struct nlattr *a, void *data)
{
	struct conntrack_ip_seen *s = data;
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
	bool ip, proto;
	int err;
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
		struct conntrack_ip_seen ip = { .t = s->t };

		if (mnl_attr_parse_nested(a, conntrack_ip_cb, &ip) != MNL_CB_OK)
			return MNL_CB_ERROR;
		/* IPv6 addresses instead: not an entry of ours. */
		if (!ip.src || !ip.dst)
			s->err = -ENOENT;
		s->ip = true;
		return MNL_CB_OK;
	}
	if (conntrack_parse_proto(a, s->t) < 0)
		return MNL_CB_ERROR;
	s->proto = true;
	return MNL_CB_OK;
}

static int conntrack_parse_tuple(const struct nlattr *nest, struct conntrack_tuple *t)
{
	struct conntrack_tuple_seen s = { .t = t };

	if (mnl_attr_parse_nested(nest, conntrack_tuple_cb, &s) != MNL_CB_OK)
		return -EINVAL;
	if (s.err)
		return s.err;
	return s.ip && s.proto ? 0 : -EINVAL;
}

struct conntrack_entry_seen {
	struct conntrack_entry *e;
	bool orig, reply;
	int err;
};

static int conntrack_entry_tuple(const struct nlattr *a, struct conntrack_tuple *t,
				 bool *seen, int *err)
{
	int r;

	if (conntrack_attr_check(a, MNL_TYPE_NESTED) != MNL_CB_OK)
		return MNL_CB_ERROR;
	r = conntrack_parse_tuple(a, t);
	if (r == -ENOENT) {
		*err = r;
		return MNL_CB_STOP;
	}
	if (r < 0)
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
		return conntrack_entry_tuple(a, &e->orig, &s->orig, &s->err);
	case CTA_TUPLE_REPLY:
		return conntrack_entry_tuple(a, &e->reply, &s->reply, &s->err);
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
	if (nfg->nfgen_family != AF_INET)
		return -ENOENT;
	r = mnl_attr_parse(nlh, sizeof(*nfg), conntrack_entry_cb, &s);
	if (s.err)
		return s.err;
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

bool conntrack_is_stale(const struct conntrack_entry *e,
			const struct nat_subnet *subnets, size_t n_subnets,
			const uint32_t *keep, size_t n_keep)
{
	/* The reply goes back to the address the flow was masqueraded to. */
	uint32_t masq = e->reply.dst;

	if (!(e->status & IPS_SRC_NAT) || masq == e->orig.src)
		return false;
	if (!conntrack_in_subnets(e->orig.src, subnets, n_subnets))
		return false;
	for (size_t i = 0; i < n_keep; i++)
		if (keep[i] == masq)
			return false;
	return true;
}
