/* The spoof protection in the bridge table (nat_spoof.h): its sets and
 * rules for the apply batch, and the batches of set element changes. */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <arpa/inet.h>
#include <netinet/in.h>

#include <linux/if_ether.h>
#include <linux/netfilter.h>
#include <linux/netfilter/nf_tables.h>
#include <linux/netfilter/nfnetlink.h>

#include <libmnl/libmnl.h>
#include <libnftnl/object.h>

#include "nat_batch_int.h"
#include "nat_spoof.h"

/* Set ids after the ports' (NAT_PORTS_SET_ID), by enum nat_spoof_set. */
#define NAT_SPOOF_SET_ID0 2
/* A concatenation's parts each start on a 32-bit register: ifindex (4),
 * MAC (6, padded to 8), IPv4 address (4). */
#define NAT_KEY_MAC_OFF 4
#define NAT_KEY_IP_OFF 12
/* Offsets: RFC 894 (the Ethernet source address), RFC 791 3.1, RFC 826
 * (the sender's hardware and protocol addresses, for Ethernet and IPv4),
 * RFC 768 (the ports). */
#define NAT_ETH_SADDR_OFF 6
#define NAT_IP4_SADDR_OFF 12
#define NAT_ARP_SHA_OFF 8
#define NAT_ARP_SPA_OFF 14
#define NAT_UDP_SPORT_OFF 0
#define NAT_UDP_DPORT_OFF 2
#define NAT_PORT_DHCP_CLIENT 68
#define NAT_PORT_DHCP_SERVER 67

static const struct {
	const char *name;
	uint32_t type;
	uint32_t len;
} nat_spoof_sets[NAT_SPOOF_SETS] = {
	[NAT_SPOOF_ADDR] = { NAT_SPOOF4_SET, (((NAT_TYPE_IFINDEX << NAT_TYPE_BITS) |
					       NAT_TYPE_ETHERADDR) << NAT_TYPE_BITS) |
					     NAT_TYPE_IPADDR, 16 },
	[NAT_SPOOF_PORT_MAC] = { NAT_SPOOFMAC_SET, (NAT_TYPE_IFINDEX << NAT_TYPE_BITS) |
						   NAT_TYPE_ETHERADDR, 12 },
	[NAT_SPOOF_MAC] = { NAT_SPOOFHELD_SET, NAT_TYPE_ETHERADDR, 6 },
};

int nat_msgs_spoof_sets(struct nat_builder *nb)
{
	char what[NAT_WHAT_SIZE];
	int ret = 0;

	for (int s = 0; ret == 0 && s < NAT_SPOOF_SETS; s++) {
		snprintf(what, sizeof(what), "set bridge %s", nat_spoof_sets[s].name);
		ret = nat_msg_set(nb, nat_spoof_sets[s].name, NAT_SPOOF_SET_ID0 + (uint32_t)s,
				  nat_spoof_sets[s].type, nat_spoof_sets[s].len, what);
	}
	return ret;
}

/* ------------------------------------------------------------------ rules */

static int nat_spoof_lookup(struct nftnl_rule *r, uint32_t sreg, enum nat_spoof_set s,
			    bool inverted)
{
	return nat_expr_lookup(r, sreg, nat_spoof_sets[s].name, NAT_SPOOF_SET_ID0 + (uint32_t)s,
			       inverted);
}

static int nat_spoof_ethertype(struct nftnl_rule *r, uint32_t op, uint16_t type)
{
	uint16_t et = htons(type);

	return nat_expr_cmp(r, op, &et, sizeof(et));
}

/* meta protocol TYPE. */
static int nat_spoof_proto(struct nftnl_rule *r, uint16_t type)
{
	int ret = nat_expr_meta(r, NFT_META_PROTOCOL);

	return ret ? ret : nat_spoof_ethertype(r, NFT_CMP_EQ, type);
}

/* The network header's 4 bytes at off are 0.0.0.0. */
static int nat_spoof_zero4(struct nftnl_rule *r, uint32_t off)
{
	uint32_t zero = 0;
	int ret = nat_expr_payload(r, NFT_PAYLOAD_NETWORK_HEADER, off, sizeof(zero));

	return ret ? ret : nat_expr_cmp(r, NFT_CMP_EQ, &zero, sizeof(zero));
}

/* iif . MAC (at base/off) into the registers from NFT_REG32_00. */
static int nat_spoof_port_mac(struct nftnl_rule *r, uint32_t base, uint32_t off)
{
	int ret = nat_expr_meta_to(r, NFT_META_IIF, NFT_REG32_00);

	return ret ? ret : nat_expr_payload_to(r, base, off, ETH_ALEN, NFT_REG32_01);
}

/* iif . ether saddr @spoofmac. */
static int nat_spoof_own_mac(struct nftnl_rule *r)
{
	int ret = nat_spoof_port_mac(r, NFT_PAYLOAD_LL_HEADER, NAT_ETH_SADDR_OFF);

	return ret ? ret : nat_spoof_lookup(r, NFT_REG32_00, NAT_SPOOF_PORT_MAC, false);
}

/* iif . ether saddr . ip saddr @spoof4. */
static int nat_rule_spoof_ip(struct nftnl_rule *r, const void *arg)
{
	int ret = nat_spoof_proto(r, ETH_P_IP);

	if (ret == 0)
		ret = nat_spoof_port_mac(r, NFT_PAYLOAD_LL_HEADER, NAT_ETH_SADDR_OFF);
	if (ret == 0)
		ret = nat_expr_payload_to(r, NFT_PAYLOAD_NETWORK_HEADER, NAT_IP4_SADDR_OFF, 4,
					  NFT_REG32_03);
	return ret ? ret : nat_spoof_lookup(r, NFT_REG32_00, NAT_SPOOF_ADDR, false);
}

/* ip saddr 0.0.0.0 from the port's own MAC. */
static int nat_rule_spoof_ip_unset(struct nftnl_rule *r, const void *arg)
{
	int ret = nat_spoof_proto(r, ETH_P_IP);

	if (ret == 0)
		ret = nat_spoof_zero4(r, NAT_IP4_SADDR_OFF);
	return ret ? ret : nat_spoof_own_mac(r);
}

/* A DHCP client's message (udp 68 -> 67) from a MAC that no lease on a
 * port holds: a new guest's DISCOVER, or the renewal of a lease whose port
 * is not known since a restart, which binds it again. */
static int nat_rule_spoof_discover(struct nftnl_rule *r, const void *arg)
{
	uint8_t udp = IPPROTO_UDP;
	int ret = nat_spoof_proto(r, ETH_P_IP);

	if (ret == 0)
		ret = nat_expr_meta(r, NFT_META_L4PROTO);
	if (ret == 0)
		ret = nat_expr_cmp(r, NFT_CMP_EQ, &udp, sizeof(udp));
	if (ret == 0)
		ret = nat_match_l4_field(r, NAT_UDP_SPORT_OFF, NAT_PORT_DHCP_CLIENT, 2);
	if (ret == 0)
		ret = nat_match_l4_field(r, NAT_UDP_DPORT_OFF, NAT_PORT_DHCP_SERVER, 2);
	if (ret == 0)
		ret = nat_expr_payload(r, NFT_PAYLOAD_LL_HEADER, NAT_ETH_SADDR_OFF, ETH_ALEN);
	return ret ? ret : nat_spoof_lookup(r, NFT_REG_1, NAT_SPOOF_MAC, true);
}

/* ARP whose Ethernet source and sender hardware address are both the
 * port's binding of the sender address. */
static int nat_rule_spoof_arp(struct nftnl_rule *r, const void *arg)
{
	int ret = nat_spoof_proto(r, ETH_P_ARP);

	if (ret == 0)
		ret = nat_spoof_port_mac(r, NFT_PAYLOAD_LL_HEADER, NAT_ETH_SADDR_OFF);
	if (ret == 0)
		ret = nat_expr_payload_to(r, NFT_PAYLOAD_NETWORK_HEADER, NAT_ARP_SPA_OFF, 4,
					  NFT_REG32_03);
	if (ret == 0)
		ret = nat_spoof_lookup(r, NFT_REG32_00, NAT_SPOOF_ADDR, false);
	if (ret == 0)
		ret = nat_expr_payload_to(r, NFT_PAYLOAD_NETWORK_HEADER, NAT_ARP_SHA_OFF, ETH_ALEN,
					  NFT_REG32_01);
	return ret ? ret : nat_spoof_lookup(r, NFT_REG32_00, NAT_SPOOF_ADDR, false);
}

/* RFC 5227 2.1.1: an ARP probe (sender address 0.0.0.0) from the port's
 * own MAC, in both places. */
static int nat_rule_spoof_arp_probe(struct nftnl_rule *r, const void *arg)
{
	int ret = nat_spoof_proto(r, ETH_P_ARP);

	if (ret == 0)
		ret = nat_spoof_zero4(r, NAT_ARP_SPA_OFF);
	if (ret == 0)
		ret = nat_spoof_own_mac(r);
	if (ret == 0)
		ret = nat_spoof_port_mac(r, NFT_PAYLOAD_NETWORK_HEADER, NAT_ARP_SHA_OFF);
	return ret ? ret : nat_spoof_lookup(r, NFT_REG32_00, NAT_SPOOF_PORT_MAC, false);
}

/* IPv6 from the port's own MAC, with a source inside prefix *arg. */
static int nat_rule_spoof_ip6(struct nftnl_rule *r, const void *arg)
{
	int ret = nat_spoof_proto(r, ETH_P_IPV6);

	if (ret == 0)
		ret = nat_match_saddr6(r, arg);
	return ret ? ret : nat_spoof_own_mac(r);
}

/* Any other ether type from the port's own MAC. */
static int nat_rule_spoof_other(struct nftnl_rule *r, const void *arg)
{
	static const uint16_t checked[] = { ETH_P_IP, ETH_P_ARP, ETH_P_IPV6 };
	int ret = nat_expr_meta(r, NFT_META_PROTOCOL);

	for (size_t i = 0; ret == 0 && i < sizeof(checked) / sizeof(checked[0]); i++)
		ret = nat_spoof_ethertype(r, NFT_CMP_NEQ, checked[i]);
	return ret ? ret : nat_spoof_own_mac(r);
}

/* meta iif @ports counter name spoof drop. */
static int nat_rule_spoof_drop(struct nftnl_rule *r, const void *arg)
{
	int ret = nat_match_port(r);

	return ret ? ret : nat_action_counted_drop(r, nat_guard_spec(NAT_GUARD_SPOOF)->counter);
}

/* meta iif @ports, logged (rate limited) before the drop. */
static int nat_rule_spoof_log(struct nftnl_rule *r, const void *arg)
{
	int ret = nat_match_port(r);

	return ret ? ret : nat_action_log(r, nat_guard_spec(NAT_GUARD_SPOOF)->counter);
}

/* What an accept rule matches: fn(r, arg). */
struct nat_spoof_accept {
	nat_rule_fn fn;
	const void *arg;
};

static int nat_rule_spoof_accept(struct nftnl_rule *r, const void *arg)
{
	const struct nat_spoof_accept *a = arg;
	int ret = a->fn(r, a->arg);

	return ret ? ret : nat_action_verdict(r, NF_ACCEPT);
}

/* One rule that lets through what fn matches. */
static int nat_msg_spoof_accept(struct nat_builder *nb, nat_rule_fn fn, const void *arg,
				const char *what)
{
	char desc[NAT_WHAT_SIZE];
	const struct nat_spoof_accept a = { fn, arg };

	snprintf(desc, sizeof(desc), "spoof: %s", what);
	return nat_msg_bridge_rule(nb, nat_rule_spoof_accept, &a, desc);
}

int nat_msgs_spoof_rules(struct nat_builder *nb, const struct nat_ruleset *rs)
{
	static const struct nat_prefix6 unspecified = { .len = 128 };
	static const struct nat_prefix6 link_local = { .addr = { 0xfe, 0x80 }, .len = 10 };
	const struct {
		nat_rule_fn fn;
		const void *arg;
		const char *what;
	} rules[] = {
		{ nat_rule_spoof_ip, NULL, "ip" },
		{ nat_rule_spoof_ip_unset, NULL, "ip 0.0.0.0" },
		{ nat_rule_spoof_discover, NULL, "discover" },
		{ nat_rule_spoof_arp, NULL, "arp" },
		{ nat_rule_spoof_arp_probe, NULL, "arp probe" },
		{ nat_rule_spoof_ip6, &unspecified, "ip6 ::" },
		{ nat_rule_spoof_ip6, &link_local, "ip6 fe80::/10" },
		{ nat_rule_spoof_ip6, &rs->prefix6, "ip6 prefix" },
		{ nat_rule_spoof_other, NULL, "other" },
	};
	int ret = 0;

	for (size_t i = 0; ret == 0 && i < sizeof(rules) / sizeof(rules[0]); i++)
		if (rules[i].arg != &rs->prefix6 || rs->prefix6.len)
			ret = nat_msg_spoof_accept(nb, rules[i].fn, rules[i].arg, rules[i].what);
	if (ret == 0 && rs->guard_log)
		ret = nat_msg_bridge_rule(nb, nat_rule_spoof_log, NULL, "spoof: log");
	if (ret == 0)
		ret = nat_msg_bridge_rule(nb, nat_rule_spoof_drop, NULL, "spoof: drop");
	return ret;
}

/* ---------------------------------------------------------- the elements */

/* The element key of b in set s. */
static uint32_t nat_spoof_key(enum nat_spoof_set s, const struct nat_spoof_binding *b,
			      uint8_t key[16])
{
	uint32_t ip = htonl(b->ip);

	memset(key, 0, 16);
	if (s == NAT_SPOOF_MAC) {
		memcpy(key, b->mac, ETH_ALEN);
		return ETH_ALEN;
	}
	/* meta iif loads the ifindex in host order. */
	memcpy(key, &b->port, sizeof(b->port));
	memcpy(key + NAT_KEY_MAC_OFF, b->mac, ETH_ALEN);
	if (s == NAT_SPOOF_PORT_MAC)
		return 12;
	memcpy(key + NAT_KEY_IP_OFF, &ip, sizeof(ip));
	return 16;
}

/* One message: ops[0..n), all on the same set in the same direction; or,
 * with n 0, a DELSETELEM without elements, which flushes set s. */
static int nat_msg_spoof_elems(struct nat_builder *nb, enum nat_spoof_set s, bool add,
			       const struct nat_spoof_op *ops, size_t n)
{
	uint16_t cmd = add ? NFT_MSG_NEWSETELEM : NFT_MSG_DELSETELEM;
	struct nftnl_set_elem *e;
	struct nftnl_set *set;
	struct nlmsghdr *nlh;
	char what[NAT_WHAT_SIZE];
	char *buf = nat_msg_room(nb);
	uint8_t key[16];

	if (!buf)
		return -EMSGSIZE;
	set = nat_set_new(nat_spoof_sets[s].name, NAT_SPOOF_SET_ID0 + (uint32_t)s);
	if (!set)
		return -ENOMEM;
	for (size_t i = 0; i < n; i++) {
		e = nftnl_set_elem_alloc();
		if (!e) {
			nftnl_set_free(set);
			return -ENOMEM;
		}
		nftnl_set_elem_set(e, NFTNL_SET_ELEM_KEY, key, nat_spoof_key(s, &ops[i].b, key));
		nftnl_set_elem_add(set, e);
	}
	nlh = nftnl_set_nlmsg_build_hdr(buf, cmd, NFPROTO_BRIDGE,
					(add ? NLM_F_CREATE : 0) | NLM_F_ACK, nb->seq);
	nftnl_set_elems_nlmsg_build_payload(nlh, set);
	nftnl_set_free(set);
	snprintf(what, sizeof(what), "set bridge %s: %s", nat_spoof_sets[s].name,
		 n == 0 ? "flush" : add ? "add" : "delete");
	return nat_msg_done(nb, nlh, what);
}

static int nat_msgs_spoof_ops(struct nat_builder *nb, const struct nat_spoof_op *ops, size_t n)
{
	size_t i = 0, run;
	int ret = 0;

	while (ret == 0 && i < n) {
		for (run = 1; i + run < n && run < NAT_SPOOF_PER_MSG &&
			      ops[i + run].set == ops[i].set && ops[i + run].add == ops[i].add; run++)
			;
		if ((unsigned)ops[i].set >= NAT_SPOOF_SETS)
			return -EINVAL;
		ret = nat_msg_spoof_elems(nb, ops[i].set, ops[i].add, ops + i, run);
		i += run;
	}
	return ret;
}

int nat_batch_build_spoof(struct nat_batch *b, const struct nat_spoof_op *ops, size_t n,
			  bool flush, uint32_t seq, enum nat_batch_mode mode)
{
	struct nat_builder nb = { .b = b, .seq = seq };
	int ret;

	/* A lease's few elements take some 300 bytes of the buffer: zeroing
	 * all of it per lease would cost more than the rest. */
	memset(b->buf, 0, b->len);
	b->len = b->n_msgs = 0;
	if (n > NAT_SPOOF_OPS_PER_BATCH)
		return -EINVAL;
	ret = nat_msg_begin(&nb);
	for (int s = 0; ret == 0 && flush && s < NAT_SPOOF_SETS; s++)
		ret = nat_msg_spoof_elems(&nb, (enum nat_spoof_set)s, false, NULL, 0);
	if (ret == 0)
		ret = nat_msgs_spoof_ops(&nb, ops, n);
	if (ret == 0 && mode == NAT_BATCH_COMMIT)
		ret = nat_msg_end(&nb);
	if (ret < 0)
		nat_batch_reset(b);
	return ret;
}
