/* The ruleset model, encoded as one nf_tables batch with libnftnl. */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>

#include <linux/netfilter.h>
#include <linux/netfilter/nf_conntrack_common.h>
#include <linux/netfilter/nf_tables.h>
#include <linux/netfilter/nfnetlink.h>
#include <linux/rtnetlink.h>

#include <libmnl/libmnl.h>
#include <libnftnl/chain.h>
#include <libnftnl/common.h>
#include <libnftnl/expr.h>
#include <libnftnl/object.h>
#include <libnftnl/rule.h>
#include <libnftnl/set.h>
#include <libnftnl/table.h>

#include "nat_batch.h"
#include "nat_batch_int.h"
#include "nat_nflog.h"

/* Header offsets: RFC 791 3.1 (source address), RFC 768 and RFC 9293 3.1
 * (destination port, the same place in UDP and TCP; the flags byte). */
#define NAT_IP4_SADDR_OFF 12
#define NAT_IP4_DADDR_OFF 16
#define NAT_IP6_SADDR_OFF 8
#define NAT_L4_DPORT_OFF 2
#define NAT_TCP_FLAGS_OFF 13
/* RFC 9293 3.2: the MSS option (kind 2, length 4) holds its value in its
 * last two bytes. */
#define NAT_TCPOPT_MSS_VALUE_OFF 2
#define NAT_TCPOPT_MSS_VALUE_LEN 2
/* RFC 768: the source port leads the UDP header; RFC 4443 2.1: the type
 * leads the ICMPv6 header. */
#define NAT_L4_SPORT_OFF 0
#define NAT_ICMP6_TYPE_OFF 0
/* NAT_BR_HOOK_PREROUTING and NF_BR_PRI_FILTER_BRIDGED (which nft calls filter
 * in the bridge family), from linux/netfilter_bridge.h, whose linux/if.h
 * clashes with net/if.h. */
#define NAT_BR_HOOK_PREROUTING 0
#define NAT_BR_PRIO_FILTER (-200)

static const char *const nat_chain_type_names[] = {
	[NAT_TYPE_FILTER] = "filter",
	[NAT_TYPE_NAT] = "nat",
};

/* Where the next message goes, or NULL when the buffer is too full to be
 * sure that it fits. */
char *nat_msg_room(struct nat_builder *nb)
{
	if (NAT_BATCH_BUF_SIZE - nb->b->len < NAT_MSG_MAX)
		return NULL;
	return nb->b->buf + nb->b->len;
}

/* Accounts for the message just built at nat_msg_room(); what (or NULL for
 * BEGIN and END) names it for error reports. */
int nat_msg_done(struct nat_builder *nb, const struct nlmsghdr *nlh,
			const char *what)
{
	struct nat_batch *b = nb->b;
	struct nat_batch_msg *m;

	if (nlh->nlmsg_len > NAT_MSG_MAX)
		return -EMSGSIZE;
	if (what) {
		if (b->n_msgs >= NAT_BATCH_MAX_MSGS)
			return -EMSGSIZE;
		m = &b->msgs[b->n_msgs++];
		m->seq = nlh->nlmsg_seq;
		snprintf(m->what, sizeof(m->what), "%s", what);
	}
	b->len += NLMSG_ALIGN(nlh->nlmsg_len);
	nb->seq++;
	return 0;
}

int nat_msg_begin(struct nat_builder *nb)
{
	char *buf = nat_msg_room(nb);

	if (!buf)
		return -EMSGSIZE;
	nb->b->seq_begin = nb->seq;
	return nat_msg_done(nb, nftnl_batch_begin(buf, nb->seq), NULL);
}

int nat_msg_end(struct nat_builder *nb)
{
	char *buf = nat_msg_room(nb);

	if (!buf)
		return -EMSGSIZE;
	return nat_msg_done(nb, nftnl_batch_end(buf, nb->seq), NULL);
}

static int nat_msg_table_of(struct nat_builder *nb, uint16_t family, uint16_t cmd,
			    uint16_t flags, const char *what)
{
	struct nftnl_table *t;
	struct nlmsghdr *nlh;
	char *buf = nat_msg_room(nb);
	int ret = -ENOMEM;

	if (!buf)
		return -EMSGSIZE;
	t = nftnl_table_alloc();
	if (!t)
		return -ENOMEM;
	if (nftnl_table_set_str(t, NFTNL_TABLE_NAME, NAT_TABLE_NAME) < 0)
		goto out;
	nftnl_table_set_u32(t, NFTNL_TABLE_FAMILY, family);
	nlh = nftnl_table_nlmsg_build_hdr(buf, cmd, family, flags | NLM_F_ACK, nb->seq);
	nftnl_table_nlmsg_build_payload(nlh, t);
	ret = nat_msg_done(nb, nlh, what);
out:
	nftnl_table_free(t);
	return ret;
}

static int nat_msg_table(struct nat_builder *nb, uint16_t cmd, uint16_t flags,
			 const char *what)
{
	return nat_msg_table_of(nb, NFPROTO_INET, cmd, flags, what);
}

static int nat_msg_chain_of(struct nat_builder *nb, uint16_t family,
			    const struct nat_chain_spec *spec, const char *what)
{
	struct nftnl_chain *c;
	struct nlmsghdr *nlh;
	char *buf = nat_msg_room(nb);
	int ret = -ENOMEM;

	if (!buf)
		return -EMSGSIZE;
	c = nftnl_chain_alloc();
	if (!c)
		return -ENOMEM;
	if (nftnl_chain_set_str(c, NFTNL_CHAIN_TABLE, NAT_TABLE_NAME) < 0 ||
	    nftnl_chain_set_str(c, NFTNL_CHAIN_NAME, spec->name) < 0 ||
	    nftnl_chain_set_str(c, NFTNL_CHAIN_TYPE,
				nat_chain_type_names[spec->type]) < 0)
		goto out;
	nftnl_chain_set_u32(c, NFTNL_CHAIN_FAMILY, family);
	nftnl_chain_set_u32(c, NFTNL_CHAIN_HOOKNUM, spec->hook);
	nftnl_chain_set_s32(c, NFTNL_CHAIN_PRIO, spec->priority);
	nftnl_chain_set_u32(c, NFTNL_CHAIN_POLICY, spec->policy);
	nlh = nftnl_chain_nlmsg_build_hdr(buf, NFT_MSG_NEWCHAIN, family,
					  NLM_F_CREATE | NLM_F_ACK, nb->seq);
	nftnl_chain_nlmsg_build_payload(nlh, c);
	ret = nat_msg_done(nb, nlh, what);
out:
	nftnl_chain_free(c);
	return ret;
}

static int nat_msg_chain(struct nat_builder *nb, enum nat_chain chain)
{
	const struct nat_chain_spec *spec = nat_chain_spec(chain);
	char what[NAT_WHAT_SIZE];

	snprintf(what, sizeof(what), "chain %s", spec->name);
	return nat_msg_chain_of(nb, NFPROTO_INET, spec, what);
}

/* ------------------------------------------------------------ expressions
 * Each helper appends one expression to the rule (which then owns it) and
 * returns 0 or -ENOMEM. Matches load into register 1, as nft does. */

struct nftnl_expr *nat_expr_add(struct nftnl_rule *r, const char *name)
{
	struct nftnl_expr *e = nftnl_expr_alloc(name);

	if (e)
		nftnl_rule_add_expr(r, e);
	return e;
}

int nat_expr_meta_to(struct nftnl_rule *r, uint32_t key, uint32_t dreg)
{
	struct nftnl_expr *e = nat_expr_add(r, "meta");

	if (!e)
		return -ENOMEM;
	nftnl_expr_set_u32(e, NFTNL_EXPR_META_KEY, key);
	nftnl_expr_set_u32(e, NFTNL_EXPR_META_DREG, dreg);
	return 0;
}

int nat_expr_meta(struct nftnl_rule *r, uint32_t key)
{
	return nat_expr_meta_to(r, key, NFT_REG_1);
}

int nat_expr_cmp(struct nftnl_rule *r, uint32_t op, const void *data,
			uint32_t len)
{
	struct nftnl_expr *e = nat_expr_add(r, "cmp");

	if (!e)
		return -ENOMEM;
	nftnl_expr_set_u32(e, NFTNL_EXPR_CMP_SREG, NFT_REG_1);
	nftnl_expr_set_u32(e, NFTNL_EXPR_CMP_OP, op);
	return nftnl_expr_set(e, NFTNL_EXPR_CMP_DATA, data, len) < 0 ?
		-ENOMEM : 0;
}

int nat_expr_payload_to(struct nftnl_rule *r, uint32_t base, uint32_t offset,
			uint32_t len, uint32_t dreg)
{
	struct nftnl_expr *e = nat_expr_add(r, "payload");

	if (!e)
		return -ENOMEM;
	nftnl_expr_set_u32(e, NFTNL_EXPR_PAYLOAD_BASE, base);
	nftnl_expr_set_u32(e, NFTNL_EXPR_PAYLOAD_OFFSET, offset);
	nftnl_expr_set_u32(e, NFTNL_EXPR_PAYLOAD_LEN, len);
	nftnl_expr_set_u32(e, NFTNL_EXPR_PAYLOAD_DREG, dreg);
	return 0;
}

int nat_expr_payload(struct nftnl_rule *r, uint32_t base, uint32_t offset, uint32_t len)
{
	return nat_expr_payload_to(r, base, offset, len, NFT_REG_1);
}

/* reg1 = reg1 & mask (len bytes). */
static int nat_expr_and(struct nftnl_rule *r, const void *mask, uint32_t len)
{
	static const uint8_t zero[16];  /* an IPv6 address at most */
	struct nftnl_expr *e;

	if (len > sizeof(zero))
		return -EINVAL;
	e = nat_expr_add(r, "bitwise");
	if (!e)
		return -ENOMEM;
	nftnl_expr_set_u32(e, NFTNL_EXPR_BITWISE_SREG, NFT_REG_1);
	nftnl_expr_set_u32(e, NFTNL_EXPR_BITWISE_DREG, NFT_REG_1);
	nftnl_expr_set_u32(e, NFTNL_EXPR_BITWISE_LEN, len);
	if (nftnl_expr_set(e, NFTNL_EXPR_BITWISE_MASK, mask, len) < 0 ||
	    nftnl_expr_set(e, NFTNL_EXPR_BITWISE_XOR, zero, len) < 0)
		return -ENOMEM;
	return 0;
}

/* The interface name, compared with its NUL padding: an exact match, not
 * a prefix. */
static int nat_match_ifname(struct nftnl_rule *r, uint32_t key, uint32_t op,
			    const char *bridge)
{
	char name[IFNAMSIZ] = { 0 };
	int ret;

	memcpy(name, bridge, strnlen(bridge, IFNAMSIZ - 1));
	ret = nat_expr_meta(r, key);
	if (ret < 0)
		return ret;
	return nat_expr_cmp(r, op, name, sizeof(name));
}

static int nat_match_iface(struct nftnl_rule *r, const struct nat_ruleset *rs,
			   enum nat_iface iface)
{
	int ret;

	switch (iface) {
	case NAT_IF_ANY:
		return 0;
	case NAT_IF_IN:
		return nat_match_ifname(r, NFT_META_IIFNAME, NFT_CMP_EQ, rs->bridge);
	case NAT_IF_OUT:
		return nat_match_ifname(r, NFT_META_OIFNAME, NFT_CMP_EQ, rs->bridge);
	case NAT_IF_FORWARDED:
		ret = nat_match_ifname(r, NFT_META_IIFNAME, NFT_CMP_EQ, rs->bridge);
		if (ret < 0)
			return ret;
		return nat_match_ifname(r, NFT_META_OIFNAME, NFT_CMP_NEQ, rs->bridge);
	}
	return -EINVAL;
}

/* The inet family carries both: an address match or DNAT first checks
 * the packet's family. */
static int nat_match_family(struct nftnl_rule *r, uint8_t proto)
{
	int ret;

	ret = nat_expr_meta(r, NFT_META_NFPROTO);
	if (ret == 0)
		ret = nat_expr_cmp(r, NFT_CMP_EQ, &proto, sizeof(proto));
	return ret;
}

/* ip6 saddr P */
int nat_match_saddr6(struct nftnl_rule *r, const struct nat_prefix6 *p)
{
	uint8_t mask[16] = { 0 };
	size_t i;
	int ret;

	for (i = 0; i < p->len / 8u; i++)
		mask[i] = 0xff;
	if (p->len % 8)
		mask[i] = (uint8_t)(0xff << (8 - p->len % 8));
	ret = nat_expr_payload(r, NFT_PAYLOAD_NETWORK_HEADER, NAT_IP6_SADDR_OFF, 16);
	if (ret == 0 && p->len < 128)
		ret = nat_expr_and(r, mask, sizeof(mask));
	if (ret == 0)
		ret = nat_expr_cmp(r, NFT_CMP_EQ, p->addr, sizeof(p->addr));
	return ret;
}

/* ip saddr S (or daddr, by offset), after nat_match_family(). */
static int nat_match_addr(struct nftnl_rule *r, const struct nat_subnet *s, uint32_t offset)
{
	uint32_t addr = htonl(s->addr);
	uint32_t mask = htonl(s->len == 32 ? UINT32_MAX : ~(UINT32_MAX >> s->len));
	int ret;

	ret = nat_expr_payload(r, NFT_PAYLOAD_NETWORK_HEADER, offset, sizeof(addr));
	if (ret == 0 && s->len < 32)
		ret = nat_expr_and(r, &mask, sizeof(mask));
	if (ret == 0)
		ret = nat_expr_cmp(r, NFT_CMP_EQ, &addr, sizeof(addr));
	return ret;
}

static int nat_match_l4(struct nftnl_rule *r, const struct nat_rule *rule)
{
	uint16_t port = htons(rule->dport);
	int ret;

	if (rule->l4proto == 0)
		return 0;
	ret = nat_expr_meta(r, NFT_META_L4PROTO);
	if (ret == 0)
		ret = nat_expr_cmp(r, NFT_CMP_EQ, &rule->l4proto,
				   sizeof(rule->l4proto));
	if (ret == 0 && rule->dport != 0)
		ret = nat_expr_payload(r, NFT_PAYLOAD_TRANSPORT_HEADER,
				       NAT_L4_DPORT_OFF, sizeof(port));
	if (ret == 0 && rule->dport != 0)
		ret = nat_expr_cmp(r, NFT_CMP_EQ, &port, sizeof(port));
	return ret;
}

/* tcp flags syn / syn,rst: SYN and SYN-ACK, the two segments that carry
 * an MSS option (RFC 9293 3.7.1). */
static int nat_match_syn(struct nftnl_rule *r)
{
	uint8_t mask = TH_SYN | TH_RST, syn = TH_SYN;
	int ret;

	ret = nat_expr_payload(r, NFT_PAYLOAD_TRANSPORT_HEADER,
			       NAT_TCP_FLAGS_OFF, sizeof(mask));
	if (ret == 0)
		ret = nat_expr_and(r, &mask, sizeof(mask));
	if (ret == 0)
		ret = nat_expr_cmp(r, NFT_CMP_EQ, &syn, sizeof(syn));
	return ret;
}

/* fib daddr type local: addressed to the host, on any of its addresses
 * (the kernel's local routing table). */
static int nat_match_fib_local(struct nftnl_rule *r)
{
	uint32_t local = RTN_LOCAL;
	struct nftnl_expr *e = nat_expr_add(r, "fib");

	if (!e)
		return -ENOMEM;
	nftnl_expr_set_u32(e, NFTNL_EXPR_FIB_RESULT, NFT_FIB_RESULT_ADDRTYPE);
	nftnl_expr_set_u32(e, NFTNL_EXPR_FIB_FLAGS, NFTA_FIB_F_DADDR);
	nftnl_expr_set_u32(e, NFTNL_EXPR_FIB_DREG, NFT_REG_1);
	return nat_expr_cmp(r, NFT_CMP_EQ, &local, sizeof(local));
}

/* ct KEY & mask != 0: ct state established,related; ct status dnat. */
static int nat_match_ct(struct nftnl_rule *r, uint32_t key, uint32_t mask)
{
	uint32_t none = 0;
	struct nftnl_expr *e = nat_expr_add(r, "ct");
	int ret;

	if (!e)
		return -ENOMEM;
	nftnl_expr_set_u32(e, NFTNL_EXPR_CT_KEY, key);
	nftnl_expr_set_u32(e, NFTNL_EXPR_CT_DREG, NFT_REG_1);
	ret = nat_expr_and(r, &mask, sizeof(mask));
	if (ret == 0)
		ret = nat_expr_cmp(r, NFT_CMP_NEQ, &none, sizeof(none));
	return ret;
}

static int nat_load_imm(struct nftnl_rule *r, uint32_t reg, const void *data,
			uint32_t len)
{
	struct nftnl_expr *e = nat_expr_add(r, "immediate");

	if (!e)
		return -ENOMEM;
	nftnl_expr_set_u32(e, NFTNL_EXPR_IMM_DREG, reg);
	return nftnl_expr_set(e, NFTNL_EXPR_IMM_DATA, data, len) < 0 ? -ENOMEM : 0;
}

/* dnat ip to A:Q or dnat ip6 to [A6]:Q: the address in register 1 (all
 * 16 bytes of it for IPv6), the port in register 2. */
static int nat_action_dnat(struct nftnl_rule *r, const struct nat_rule *rule)
{
	uint32_t addr = htonl(rule->dnat_addr);
	uint16_t port = htons(rule->dnat_port);
	struct nftnl_expr *e;
	int ret;

	if (rule->dnat6)
		ret = nat_load_imm(r, NFT_REG_1, rule->dnat_addr6, sizeof(rule->dnat_addr6));
	else
		ret = nat_load_imm(r, NFT_REG_1, &addr, sizeof(addr));
	if (ret == 0)
		ret = nat_load_imm(r, NFT_REG_2, &port, sizeof(port));
	if (ret < 0)
		return ret;
	e = nat_expr_add(r, "nat");
	if (!e)
		return -ENOMEM;
	nftnl_expr_set_u32(e, NFTNL_EXPR_NAT_TYPE, NFT_NAT_DNAT);
	nftnl_expr_set_u32(e, NFTNL_EXPR_NAT_FAMILY, rule->dnat6 ? NFPROTO_IPV6 : NFPROTO_IPV4);
	nftnl_expr_set_u32(e, NFTNL_EXPR_NAT_REG_ADDR_MIN, NFT_REG_1);
	nftnl_expr_set_u32(e, NFTNL_EXPR_NAT_REG_PROTO_MIN, NFT_REG_2);
	return 0;
}

int nat_action_verdict(struct nftnl_rule *r, uint32_t verdict)
{
	struct nftnl_expr *e = nat_expr_add(r, "immediate");

	if (!e)
		return -ENOMEM;
	nftnl_expr_set_u32(e, NFTNL_EXPR_IMM_DREG, NFT_REG_VERDICT);
	nftnl_expr_set_u32(e, NFTNL_EXPR_IMM_VERDICT, verdict);
	return 0;
}

/* tcp option maxseg size set rt mtu: the route's MSS (host order, 16
 * bits) is turned to network order and written over the option's value. */
static int nat_action_clamp_mss(struct nftnl_rule *r)
{
	struct nftnl_expr *e;

	e = nat_expr_add(r, "rt");
	if (!e)
		return -ENOMEM;
	nftnl_expr_set_u32(e, NFTNL_EXPR_RT_KEY, NFT_RT_TCPMSS);
	nftnl_expr_set_u32(e, NFTNL_EXPR_RT_DREG, NFT_REG_1);
	e = nat_expr_add(r, "byteorder");
	if (!e)
		return -ENOMEM;
	nftnl_expr_set_u32(e, NFTNL_EXPR_BYTEORDER_SREG, NFT_REG_1);
	nftnl_expr_set_u32(e, NFTNL_EXPR_BYTEORDER_DREG, NFT_REG_1);
	nftnl_expr_set_u32(e, NFTNL_EXPR_BYTEORDER_OP, NFT_BYTEORDER_HTON);
	nftnl_expr_set_u32(e, NFTNL_EXPR_BYTEORDER_LEN, NAT_TCPOPT_MSS_VALUE_LEN);
	nftnl_expr_set_u32(e, NFTNL_EXPR_BYTEORDER_SIZE, NAT_TCPOPT_MSS_VALUE_LEN);
	e = nat_expr_add(r, "exthdr");
	if (!e)
		return -ENOMEM;
	nftnl_expr_set_u32(e, NFTNL_EXPR_EXTHDR_SREG, NFT_REG_1);
	nftnl_expr_set_u32(e, NFTNL_EXPR_EXTHDR_OP, NFT_EXTHDR_OP_TCPOPT);
	nftnl_expr_set_u8(e, NFTNL_EXPR_EXTHDR_TYPE, TCPOPT_MAXSEG);
	nftnl_expr_set_u32(e, NFTNL_EXPR_EXTHDR_OFFSET, NAT_TCPOPT_MSS_VALUE_OFF);
	nftnl_expr_set_u32(e, NFTNL_EXPR_EXTHDR_LEN, NAT_TCPOPT_MSS_VALUE_LEN);
	return 0;
}

/* meta nftrace set 1: the value through register 1, as nft does. */
static int nat_action_trace(struct nftnl_rule *r)
{
	struct nftnl_expr *e = nat_expr_add(r, "immediate");
	uint8_t one = 1;

	if (!e)
		return -ENOMEM;
	nftnl_expr_set_u32(e, NFTNL_EXPR_IMM_DREG, NFT_REG_1);
	nftnl_expr_set(e, NFTNL_EXPR_IMM_DATA, &one, sizeof(one));
	e = nat_expr_add(r, "meta");
	if (!e)
		return -ENOMEM;
	nftnl_expr_set_u32(e, NFTNL_EXPR_META_KEY, NFT_META_NFTRACE);
	nftnl_expr_set_u32(e, NFTNL_EXPR_META_SREG, NFT_REG_1);
	return 0;
}

static int nat_action(struct nftnl_rule *r, const struct nat_rule *rule)
{
	switch (rule->action) {
	case NAT_ACCEPT:
		return nat_action_verdict(r, NF_ACCEPT);
	case NAT_DROP:
		return nat_action_verdict(r, NF_DROP);
	case NAT_MASQUERADE:
		return nat_expr_add(r, "masq") ? 0 : -ENOMEM;
	case NAT_CLAMP_MSS:
		return nat_action_clamp_mss(r);
	case NAT_DNAT:
		return nat_action_dnat(r, rule);
	case NAT_TRACE:
		return nat_action_trace(r);
	}
	return -EINVAL;
}

static int nat_rule_exprs(struct nftnl_rule *r, const struct nat_ruleset *rs,
			  const struct nat_rule *rule)
{
	bool ip6 = rule->match_saddr6 || rule->dnat6;
	bool ip4 = !ip6 && (rule->match_saddr || rule->match_daddr || rule->fib_local ||
			    rule->action == NAT_DNAT);
	int ret;

	ret = ip4 || ip6 ? nat_match_family(r, ip6 ? NFPROTO_IPV6 : NFPROTO_IPV4) : 0;
	if (ret == 0 && rule->match_saddr6)
		ret = nat_match_saddr6(r, &rule->saddr6);
	if (ret == 0 && rule->match_saddr)
		ret = nat_match_addr(r, &rule->saddr, NAT_IP4_SADDR_OFF);
	if (ret == 0 && rule->match_daddr)
		ret = nat_match_addr(r, &rule->daddr, NAT_IP4_DADDR_OFF);
	if (ret == 0 && rule->fib_local)
		ret = nat_match_fib_local(r);
	if (ret == 0)
		ret = nat_match_iface(r, rs, rule->iface);
	if (ret == 0)
		ret = nat_match_l4(r, rule);
	if (ret == 0 && rule->tcp_syn)
		ret = nat_match_syn(r);
	if (ret == 0 && rule->ct_established)
		ret = nat_match_ct(r, NFT_CT_STATE, NF_CT_STATE_BIT(IP_CT_ESTABLISHED) |
				   NF_CT_STATE_BIT(IP_CT_RELATED));
	if (ret == 0 && rule->ct_dnat)
		ret = nat_match_ct(r, NFT_CT_STATUS, IPS_DST_NAT);
	if (ret == 0)
		ret = nat_action(r, rule);
	return ret;
}

/* A rule for chain of our table in family, or NULL. */
struct nftnl_rule *nat_rule_new(uint16_t family, const char *chain)
{
	struct nftnl_rule *r = nftnl_rule_alloc();

	if (!r)
		return NULL;
	if (nftnl_rule_set_str(r, NFTNL_RULE_TABLE, NAT_TABLE_NAME) < 0 ||
	    nftnl_rule_set_str(r, NFTNL_RULE_CHAIN, chain) < 0) {
		nftnl_rule_free(r);
		return NULL;
	}
	nftnl_rule_set_u32(r, NFTNL_RULE_FAMILY, family);
	return r;
}

/* r, appended to its chain; r is freed. */
int nat_msg_rule_put(struct nat_builder *nb, struct nftnl_rule *r, uint16_t family,
			    const char *what)
{
	struct nlmsghdr *nlh;
	char *buf = nat_msg_room(nb);
	int ret = -EMSGSIZE;

	if (buf) {
		nlh = nftnl_rule_nlmsg_build_hdr(buf, NFT_MSG_NEWRULE, family,
						 NLM_F_CREATE | NLM_F_APPEND | NLM_F_ACK,
						 nb->seq);
		nftnl_rule_nlmsg_build_payload(nlh, r);
		ret = nat_msg_done(nb, nlh, what);
	}
	nftnl_rule_free(r);
	return ret;
}

/* index: the rule's place in its chain, from 1, for error reports. */
static int nat_msg_rule(struct nat_builder *nb, const struct nat_ruleset *rs,
			const struct nat_rule *rule, unsigned int index)
{
	const struct nat_chain_spec *spec = nat_chain_spec(rule->chain);
	struct nftnl_rule *r;
	char what[NAT_WHAT_SIZE];
	int ret;

	if (!spec)
		return -EINVAL;
	r = nat_rule_new(NFPROTO_INET, spec->name);
	if (!r)
		return -ENOMEM;
	ret = nat_rule_exprs(r, rs, rule);
	if (ret < 0) {
		nftnl_rule_free(r);
		return ret;
	}
	snprintf(what, sizeof(what), "rule %u in chain %s", index, spec->name);
	return nat_msg_rule_put(nb, r, NFPROTO_INET, what);
}

/* ---------------------------------------------------- the bridge table */

static int nat_msg_guard_counter(struct nat_builder *nb, const struct nat_guard_spec *g)
{
	struct nftnl_obj *o;
	struct nlmsghdr *nlh;
	char what[NAT_WHAT_SIZE];
	char *buf = nat_msg_room(nb);
	int ret = -ENOMEM;

	if (!buf)
		return -EMSGSIZE;
	o = nftnl_obj_alloc();
	if (!o)
		return -ENOMEM;
	/* These setters return nothing: a failed copy shows as an unset
	 * attribute. */
	nftnl_obj_set_str(o, NFTNL_OBJ_TABLE, NAT_TABLE_NAME);
	nftnl_obj_set_str(o, NFTNL_OBJ_NAME, g->counter);
	if (!nftnl_obj_is_set(o, NFTNL_OBJ_TABLE) || !nftnl_obj_is_set(o, NFTNL_OBJ_NAME))
		goto out;
	nftnl_obj_set_u32(o, NFTNL_OBJ_FAMILY, NFPROTO_BRIDGE);
	nftnl_obj_set_u32(o, NFTNL_OBJ_TYPE, NFT_OBJECT_COUNTER);
	nlh = nftnl_nlmsg_build_hdr(buf, NFT_MSG_NEWOBJ, NFPROTO_BRIDGE,
				    NLM_F_CREATE | NLM_F_ACK, nb->seq);
	nftnl_obj_nlmsg_build_payload(nlh, o);
	snprintf(what, sizeof(what), "counter %s", g->counter);
	ret = nat_msg_done(nb, nlh, what);
out:
	nftnl_obj_free(o);
	return ret;
}

static int nat_msg_guard_chain(struct nat_builder *nb)
{
	static const struct nat_chain_spec guard = {
		.name = NAT_GUARD_CHAIN, .type = NAT_TYPE_FILTER,
		.hook = NAT_BR_HOOK_PREROUTING, .priority = NAT_BR_PRIO_FILTER,
		.policy = NF_ACCEPT,
	};

	return nat_msg_chain_of(nb, NFPROTO_BRIDGE, &guard, "chain bridge " NAT_GUARD_CHAIN);
}

struct nftnl_set *nat_set_new(const char *name, uint32_t id)
{
	struct nftnl_set *set = nftnl_set_alloc();

	if (!set)
		return NULL;
	if (nftnl_set_set_str(set, NFTNL_SET_TABLE, NAT_TABLE_NAME) < 0 ||
	    nftnl_set_set_str(set, NFTNL_SET_NAME, name) < 0) {
		nftnl_set_free(set);
		return NULL;
	}
	nftnl_set_set_u32(set, NFTNL_SET_FAMILY, NFPROTO_BRIDGE);
	nftnl_set_set_u32(set, NFTNL_SET_ID, id);
	return set;
}

int nat_msg_set(struct nat_builder *nb, const char *name, uint32_t id, uint32_t key_type,
		uint32_t key_len, const char *what)
{
	struct nftnl_set *set;
	struct nlmsghdr *nlh;
	char *buf = nat_msg_room(nb);

	if (!buf)
		return -EMSGSIZE;
	set = nat_set_new(name, id);
	if (!set)
		return -ENOMEM;
	nftnl_set_set_u32(set, NFTNL_SET_KEY_TYPE, key_type);
	nftnl_set_set_u32(set, NFTNL_SET_KEY_LEN, key_len);
	nlh = nftnl_set_nlmsg_build_hdr(buf, NFT_MSG_NEWSET, NFPROTO_BRIDGE,
					NLM_F_CREATE | NLM_F_ACK, nb->seq);
	nftnl_set_nlmsg_build_payload(nlh, set);
	nftnl_set_free(set);
	return nat_msg_done(nb, nlh, what);
}

/* cmd NEWSETELEM with ports[0..n), or DELSETELEM without elements: the
 * kernel then flushes the set. */
static int nat_msg_ports_elems(struct nat_builder *nb, uint16_t cmd, const uint32_t *ports,
			       size_t n)
{
	struct nftnl_set_elem *e;
	struct nftnl_set *set;
	struct nlmsghdr *nlh;
	char *buf = nat_msg_room(nb);
	size_t i;

	if (!buf)
		return -EMSGSIZE;
	set = nat_set_new(NAT_PORTS_SET, NAT_PORTS_SET_ID);
	if (!set)
		return -ENOMEM;
	for (i = 0; i < n; i++) {
		e = nftnl_set_elem_alloc();
		if (!e) {
			nftnl_set_free(set);
			return -ENOMEM;
		}
		nftnl_set_elem_set_u32(e, NFTNL_SET_ELEM_KEY, ports[i]);
		nftnl_set_elem_add(set, e);
	}
	nlh = nftnl_set_nlmsg_build_hdr(buf, cmd, NFPROTO_BRIDGE,
					(cmd == NFT_MSG_NEWSETELEM ? NLM_F_CREATE : 0) | NLM_F_ACK,
					nb->seq);
	nftnl_set_elems_nlmsg_build_payload(nlh, set);
	nftnl_set_free(set);
	return nat_msg_done(nb, nlh, cmd == NFT_MSG_NEWSETELEM ? "set bridge ports: elements" :
			    "set bridge ports: flush");
}

static int nat_msgs_ports(struct nat_builder *nb, const struct nat_ruleset *rs)
{
	size_t i, n;
	int ret = 0;

	for (i = 0; ret == 0 && i < rs->n_ports; i += n) {
		n = rs->n_ports - i < NAT_PORTS_PER_MSG ? rs->n_ports - i : NAT_PORTS_PER_MSG;
		ret = nat_msg_ports_elems(nb, NFT_MSG_NEWSETELEM, rs->ports + i, n);
	}
	return ret;
}

int nat_expr_lookup(struct nftnl_rule *r, uint32_t sreg, const char *set, uint32_t id,
		    bool inverted)
{
	struct nftnl_expr *e = nat_expr_add(r, "lookup");

	if (!e)
		return -ENOMEM;
	nftnl_expr_set_u32(e, NFTNL_EXPR_LOOKUP_SREG, sreg);
	nftnl_expr_set_u32(e, NFTNL_EXPR_LOOKUP_SET_ID, id);
	if (inverted)
		nftnl_expr_set_u32(e, NFTNL_EXPR_LOOKUP_FLAGS, NFT_LOOKUP_F_INV);
	return nftnl_expr_set_str(e, NFTNL_EXPR_LOOKUP_SET, set) < 0 ? -ENOMEM : 0;
}

/* meta iif @ports. */
int nat_match_port(struct nftnl_rule *r)
{
	int ret = nat_expr_meta(r, NFT_META_IIF);

	if (ret < 0)
		return ret;
	return nat_expr_lookup(r, NFT_REG_1, NAT_PORTS_SET, NAT_PORTS_SET_ID, false);
}

/* A header field at the transport header equals value (1 or 2 bytes). */
int nat_match_l4_field(struct nftnl_rule *r, uint32_t offset, uint32_t value,
			      uint32_t len)
{
	uint16_t v16 = htons((uint16_t)value);
	uint8_t v8 = (uint8_t)value;
	int ret = nat_expr_payload(r, NFT_PAYLOAD_TRANSPORT_HEADER, offset, len);

	if (ret == 0)
		ret = nat_expr_cmp(r, NFT_CMP_EQ, len == 1 ? (const void *)&v8 :
				   (const void *)&v16, len);
	return ret;
}

int nat_action_counted_drop(struct nftnl_rule *r, const char *counter)
{
	struct nftnl_expr *e = nat_expr_add(r, "objref");

	if (!e)
		return -ENOMEM;
	nftnl_expr_set_u32(e, NFTNL_EXPR_OBJREF_IMM_TYPE, NFT_OBJECT_COUNTER);
	if (nftnl_expr_set_str(e, NFTNL_EXPR_OBJREF_IMM_NAME, counter) < 0)
		return -ENOMEM;
	return nat_action_verdict(r, NF_DROP);
}

int nat_action_log(struct nftnl_rule *r, const char *prefix)
{
	struct nftnl_expr *e = nat_expr_add(r, "limit");

	if (!e)
		return -ENOMEM;
	nftnl_expr_set_u64(e, NFTNL_EXPR_LIMIT_RATE, NAT_NFLOG_RATE);
	nftnl_expr_set_u64(e, NFTNL_EXPR_LIMIT_UNIT, 1);
	nftnl_expr_set_u32(e, NFTNL_EXPR_LIMIT_BURST, NAT_NFLOG_RATE);
	nftnl_expr_set_u32(e, NFTNL_EXPR_LIMIT_TYPE, NFT_LIMIT_PKTS);
	e = nat_expr_add(r, "log");
	if (!e)
		return -ENOMEM;
	nftnl_expr_set_u16(e, NFTNL_EXPR_LOG_GROUP, NAT_NFLOG_GROUP);
	return nftnl_expr_set_str(e, NFTNL_EXPR_LOG_PREFIX, prefix) < 0 ? -ENOMEM : 0;
}

/* Ether type, l4 protocol, ports or ICMPv6 type, then meta iif @ports:
 * every frame entering any bridge of the host goes through these rules,
 * and most fail at a compare; the set lookup only for what is left (with
 * it first, guest-to-gateway DNS answered 7% fewer queries a second). */
static int nat_guard_matches(struct nftnl_rule *r, const struct nat_guard_spec *g)
{
	uint16_t ethertype = htons(g->ethertype);
	int ret;

	ret = nat_expr_meta(r, NFT_META_PROTOCOL);
	if (ret == 0)
		ret = nat_expr_cmp(r, NFT_CMP_EQ, &ethertype, sizeof(ethertype));
	if (ret == 0)
		ret = nat_expr_meta(r, NFT_META_L4PROTO);
	if (ret == 0)
		ret = nat_expr_cmp(r, NFT_CMP_EQ, &g->l4proto, sizeof(g->l4proto));
	if (ret == 0 && g->sport)
		ret = nat_match_l4_field(r, NAT_L4_SPORT_OFF, g->sport, 2);
	if (ret == 0 && g->dport)
		ret = nat_match_l4_field(r, NAT_L4_DPORT_OFF, g->dport, 2);
	if (ret == 0 && g->icmp6_type)
		ret = nat_match_l4_field(r, NAT_ICMP6_TYPE_OFF, g->icmp6_type, 1);
	return ret ? ret : nat_match_port(r);
}

/* The guard's matches, then the named counter and drop. */
static int nat_guard_drop_exprs(struct nftnl_rule *r, const void *arg)
{
	const struct nat_guard_spec *g = arg;
	int ret = nat_guard_matches(r, g);

	return ret ? ret : nat_action_counted_drop(r, g->counter);
}

/* The guard's matches, then a rate-limited log to nflog. */
static int nat_guard_log_exprs(struct nftnl_rule *r, const void *arg)
{
	const struct nat_guard_spec *g = arg;
	int ret = nat_guard_matches(r, g);

	return ret ? ret : nat_action_log(r, g->counter);
}

static int nat_msg_guard_rules(struct nat_builder *nb, const struct nat_ruleset *rs,
			       const struct nat_guard_spec *g)
{
	char what[NAT_WHAT_SIZE];
	int ret = 0;

	snprintf(what, sizeof(what), "%s (log)", g->counter);
	if (rs->guard_log)
		ret = nat_msg_bridge_rule(nb, nat_guard_log_exprs, g, what);
	return ret ? ret : nat_msg_bridge_rule(nb, nat_guard_drop_exprs, g, g->counter);
}

int nat_msg_bridge_rule(struct nat_builder *nb, nat_rule_fn fn, const void *arg,
			const char *what)
{
	struct nftnl_rule *r = nat_rule_new(NFPROTO_BRIDGE, NAT_GUARD_CHAIN);
	char desc[NAT_WHAT_SIZE];
	int ret;

	if (!r)
		return -ENOMEM;
	ret = fn(r, arg);
	if (ret < 0) {
		nftnl_rule_free(r);
		return ret;
	}
	snprintf(desc, sizeof(desc), "bridge rule %s", what);
	return nat_msg_rule_put(nb, r, NFPROTO_BRIDGE, desc);
}

static int nat_msgs_drop_bridge_table(struct nat_builder *nb)
{
	int ret;

	ret = nat_msg_table_of(nb, NFPROTO_BRIDGE, NFT_MSG_NEWTABLE, NLM_F_CREATE,
			       "table bridge " NAT_TABLE_NAME " (ensure)");
	if (ret < 0)
		return ret;
	return nat_msg_table_of(nb, NFPROTO_BRIDGE, NFT_MSG_DELTABLE, 0,
				"table bridge " NAT_TABLE_NAME " (delete)");
}

/* The bridge table afresh (counters start at zero), or none when every
 * guard is off. */
static int nat_msgs_guards(struct nat_builder *nb, const struct nat_ruleset *rs)
{
	int ret, g;

	ret = nat_msgs_drop_bridge_table(nb);
	if (ret < 0 || !nat_ruleset_has_guards(rs))
		return ret;
	ret = nat_msg_table_of(nb, NFPROTO_BRIDGE, NFT_MSG_NEWTABLE, NLM_F_CREATE,
			       "table bridge " NAT_TABLE_NAME);
	if (ret == 0)
		ret = nat_msg_set(nb, NAT_PORTS_SET, NAT_PORTS_SET_ID, NAT_TYPE_IFINDEX,
				  sizeof(uint32_t), "set bridge " NAT_PORTS_SET);
	if (ret == 0)
		ret = nat_msgs_ports(nb, rs);
	if (ret == 0 && rs->guard_spoof)
		ret = nat_msgs_spoof_sets(nb);
	for (g = 0; ret == 0 && g < NAT_GUARD_COUNT; g++)
		if (nat_ruleset_guard_on(rs, (enum nat_guard)g))
			ret = nat_msg_guard_counter(nb, nat_guard_spec((enum nat_guard)g));
	if (ret == 0)
		ret = nat_msg_guard_chain(nb);
	for (g = 0; ret == 0 && g < NAT_GUARD_COUNT; g++)
		if (g != NAT_GUARD_SPOOF && nat_ruleset_guard_on(rs, (enum nat_guard)g))
			ret = nat_msg_guard_rules(nb, rs, nat_guard_spec((enum nat_guard)g));
	if (ret == 0 && rs->guard_spoof)
		ret = nat_msgs_spoof_rules(nb, rs);
	return ret;
}

/* Zeroed, because libmnl leaves attribute padding as it finds it: the
 * same ruleset then always gives the same bytes. */
void nat_batch_reset(struct nat_batch *b)
{
	memset(b->buf, 0, sizeof(b->buf));
	b->len = 0;
	b->n_msgs = 0;
	b->seq_begin = 0;
}

/* NEWTABLE without NLM_F_EXCL is a no-op on an existing table: after it,
 * DELTABLE always finds the table, in the same transaction. */
static int nat_msgs_drop_table(struct nat_builder *nb)
{
	int ret;

	ret = nat_msg_table(nb, NFT_MSG_NEWTABLE, NLM_F_CREATE,
			    "table inet " NAT_TABLE_NAME " (ensure)");
	if (ret < 0)
		return ret;
	return nat_msg_table(nb, NFT_MSG_DELTABLE, 0,
			     "table inet " NAT_TABLE_NAME " (delete)");
}

static int nat_msgs_rules(struct nat_builder *nb, const struct nat_ruleset *rs)
{
	struct nat_rule rules[NAT_MAX_RULES];
	unsigned int index[NAT_CHAIN_COUNT] = { 0 };
	size_t i, n;
	int ret;

	ret = nat_ruleset_rules(rs, rules, NAT_MAX_RULES, &n);
	if (ret < 0)
		return ret;
	for (i = 0; i < n; i++) {
		if ((unsigned int)rules[i].chain >= NAT_CHAIN_COUNT)
			return -EINVAL;
		ret = nat_msg_rule(nb, rs, &rules[i], ++index[rules[i].chain]);
		if (ret < 0)
			return ret;
	}
	return 0;
}

static int nat_msgs_apply(struct nat_builder *nb, const struct nat_ruleset *rs)
{
	int ret, c;

	ret = nat_msgs_drop_table(nb);
	if (ret < 0)
		return ret;
	ret = nat_msg_table(nb, NFT_MSG_NEWTABLE, NLM_F_CREATE,
			    "table inet " NAT_TABLE_NAME);
	if (ret < 0)
		return ret;
	for (c = 0; c < NAT_CHAIN_COUNT; c++) {
		if (!nat_ruleset_has_chain(rs, (enum nat_chain)c))
			continue;
		ret = nat_msg_chain(nb, (enum nat_chain)c);
		if (ret < 0)
			return ret;
	}
	return nat_msgs_rules(nb, rs);
}

int nat_batch_build_apply(struct nat_batch *b, const struct nat_ruleset *rs,
			  uint32_t seq, enum nat_batch_mode mode)
{
	struct nat_builder nb = { .b = b, .seq = seq };
	int ret;

	nat_batch_reset(b);
	ret = nat_ruleset_check(rs);
	if (ret == 0)
		ret = nat_msg_begin(&nb);
	if (ret == 0)
		ret = nat_msgs_apply(&nb, rs);
	if (ret == 0)
		ret = nat_msgs_guards(&nb, rs);
	if (ret == 0 && mode == NAT_BATCH_COMMIT)
		ret = nat_msg_end(&nb);
	if (ret < 0)
		nat_batch_reset(b);
	return ret;
}

int nat_batch_build_ports(struct nat_batch *b, const struct nat_ruleset *rs,
			  uint32_t seq, enum nat_batch_mode mode)
{
	struct nat_builder nb = { .b = b, .seq = seq };
	int ret;

	nat_batch_reset(b);
	ret = nat_ruleset_check(rs);
	if (ret == 0 && !nat_ruleset_has_guards(rs))
		ret = -EINVAL;
	if (ret == 0)
		ret = nat_msg_begin(&nb);
	if (ret == 0)
		ret = nat_msg_ports_elems(&nb, NFT_MSG_DELSETELEM, NULL, 0);
	if (ret == 0)
		ret = nat_msgs_ports(&nb, rs);
	if (ret == 0 && mode == NAT_BATCH_COMMIT)
		ret = nat_msg_end(&nb);
	if (ret < 0)
		nat_batch_reset(b);
	return ret;
}

int nat_batch_build_remove(struct nat_batch *b, uint32_t seq,
			   enum nat_batch_mode mode)
{
	struct nat_builder nb = { .b = b, .seq = seq };
	int ret;

	nat_batch_reset(b);
	ret = nat_msg_begin(&nb);
	if (ret == 0)
		ret = nat_msgs_drop_table(&nb);
	if (ret == 0)
		ret = nat_msgs_drop_bridge_table(&nb);
	if (ret == 0 && mode == NAT_BATCH_COMMIT)
		ret = nat_msg_end(&nb);
	if (ret < 0)
		nat_batch_reset(b);
	return ret;
}

const char *nat_batch_describe(const struct nat_batch *b, uint32_t seq)
{
	size_t i;

	for (i = 0; i < b->n_msgs; i++)
		if (b->msgs[i].seq == seq)
			return b->msgs[i].what;
	return NULL;
}
