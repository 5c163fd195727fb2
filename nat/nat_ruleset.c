/* The NAT ruleset model: which chains and rules the table holds. */
#include <errno.h>
#include <netinet/in.h>
#include <string.h>

#include <linux/if_ether.h>
#include <linux/netfilter.h>

#include "dns_const.h"
#include "nat_ruleset.h"

#define NAT_PORT_DHCP 67    /* RFC 2131 4.1: the server's port */
#define NAT_PORT_MDNS 5353  /* RFC 6762 5 */

/* NF_IP_PRI_NAT_SRC, NF_IP_PRI_NAT_DST and NF_IP_PRI_FILTER, which nft
 * calls srcnat, dstnat and filter. */
#define NAT_PRIO_SRCNAT 100
#define NAT_PRIO_DSTNAT (-100)
#define NAT_PRIO_FILTER 0
/* The host's localhost, whose connections to a forward leave on the
 * bridge (route_localnet) and need the gateway's address instead. */
#define NAT_LOOPBACK_NET 0x7f000000u
#define NAT_LOOPBACK_LEN 8
/* Before NF_IP_PRI_RAW (-300) and conntrack (-200): the trace flag is set
 * before any other table's prerouting chain sees the packet. */
#define NAT_PRIO_TRACE (-350)

static const struct nat_chain_spec nat_chains[NAT_CHAIN_COUNT] = {
	[NAT_CHAIN_POSTROUTING] = {
		.name = "postrouting", .type = NAT_TYPE_NAT,
		.hook = NF_INET_POST_ROUTING, .priority = NAT_PRIO_SRCNAT,
		.policy = NF_ACCEPT,
	},
	[NAT_CHAIN_FORWARD] = {
		.name = "forward", .type = NAT_TYPE_FILTER,
		.hook = NF_INET_FORWARD, .priority = NAT_PRIO_FILTER,
		.policy = NF_ACCEPT,
	},
	[NAT_CHAIN_INPUT] = {
		.name = "input", .type = NAT_TYPE_FILTER,
		.hook = NF_INET_LOCAL_IN, .priority = NAT_PRIO_FILTER,
		.policy = NF_ACCEPT,
	},
	[NAT_CHAIN_PREROUTING] = {
		.name = "prerouting", .type = NAT_TYPE_NAT,
		.hook = NF_INET_PRE_ROUTING, .priority = NAT_PRIO_DSTNAT,
		.policy = NF_ACCEPT,
	},
	[NAT_CHAIN_OUTPUT] = {
		.name = "output", .type = NAT_TYPE_NAT,
		.hook = NF_INET_LOCAL_OUT, .priority = NAT_PRIO_DSTNAT,
		.policy = NF_ACCEPT,
	},
	[NAT_CHAIN_TRACE] = {
		.name = "trace", .type = NAT_TYPE_FILTER,
		.hook = NF_INET_PRE_ROUTING, .priority = NAT_PRIO_TRACE,
		.policy = NF_ACCEPT,
	},
};

/* RFC 2131 4.1: servers send from port 67 to clients' port 68; RFC 8415
 * 7.2: DHCPv6 servers and relays send from port 547; RFC 4861 4.2: router
 * advertisements are ICMPv6 type 134. */
static const struct nat_guard_spec nat_guards[NAT_GUARD_COUNT] = {
	[NAT_GUARD_DHCP4] = { .counter = "dhcp4-server", .ethertype = ETH_P_IP,
			      .l4proto = IPPROTO_UDP, .sport = 67, .dport = 68 },
	[NAT_GUARD_DHCP6] = { .counter = "dhcp6-server", .ethertype = ETH_P_IPV6,
			      .l4proto = IPPROTO_UDP, .sport = 547 },
	[NAT_GUARD_RA] = { .counter = "router-advert", .ethertype = ETH_P_IPV6,
			   .l4proto = IPPROTO_ICMPV6, .icmp6_type = 134 },
	[NAT_GUARD_SPOOF] = { .counter = "spoof" },
};

const struct nat_guard_spec *nat_guard_spec(enum nat_guard g)
{
	return (unsigned)g < NAT_GUARD_COUNT ? &nat_guards[g] : NULL;
}

bool nat_ruleset_guard_on(const struct nat_ruleset *rs, enum nat_guard g)
{
	switch (g) {
	case NAT_GUARD_DHCP4:
	case NAT_GUARD_DHCP6:
		return rs->guard_dhcp_servers;
	case NAT_GUARD_RA:
		return rs->guard_router_ads;
	case NAT_GUARD_SPOOF:
		return rs->guard_spoof;
	default:
		return false;
	}
}

bool nat_ruleset_has_guards(const struct nat_ruleset *rs)
{
	return rs->guard_dhcp_servers || rs->guard_router_ads || rs->guard_spoof;
}

/* The kernel's rule for interface names (dev_valid_name), restricted to
 * printable ASCII so that the name reads the same in `nft list`. */
static bool nat_ifname_valid(const char *name)
{
	size_t i, n = strnlen(name, IFNAMSIZ);

	if (n == 0 || n >= IFNAMSIZ)
		return false;
	if (strcmp(name, ".") == 0 || strcmp(name, "..") == 0)
		return false;
	for (i = 0; i < n; i++) {
		unsigned char c = (unsigned char)name[i];

		if (c <= ' ' || c >= 0x7f || c == '/' || c == ':')
			return false;
	}
	return true;
}

static bool nat_subnet_valid(const struct nat_subnet *s)
{
	uint32_t host_mask;

	/* A /0 would masquerade the whole Internet's traffic. */
	if (s->len == 0 || s->len > 32)
		return false;
	host_mask = s->len == 32 ? 0 : UINT32_MAX >> s->len;
	return (s->addr & host_mask) == 0;
}

int nat_ruleset_init(struct nat_ruleset *rs, const char *bridge,
		     bool masquerade)
{
	memset(rs, 0, sizeof(*rs));
	if (!bridge || !nat_ifname_valid(bridge))
		return -EINVAL;
	memcpy(rs->bridge, bridge, strlen(bridge) + 1);
	rs->masquerade = masquerade;
	rs->guard_dhcp_servers = rs->guard_router_ads = true;
	return 0;
}

int nat_ruleset_add_subnet(struct nat_ruleset *rs, uint32_t addr,
			   uint8_t len)
{
	struct nat_subnet s = { .addr = addr, .len = len };

	if (!nat_subnet_valid(&s))
		return -EINVAL;
	if (rs->n_subnets >= NAT_MAX_SUBNETS)
		return -ENOSPC;
	rs->subnets[rs->n_subnets++] = s;
	return 0;
}

static bool nat_prefix6_valid(const struct nat_prefix6 *p)
{
	size_t i;

	if (p->len == 0 || p->len > 128)
		return false;
	for (i = p->len / 8; i < 16; i++)
		if (p->addr[i] & (i == p->len / 8u ? 0xff >> (p->len % 8) : 0xff))
			return false;
	return true;
}

int nat_ruleset_set_prefix6(struct nat_ruleset *rs, const uint8_t addr[16], uint8_t len)
{
	struct nat_prefix6 p = { .len = len };

	memcpy(p.addr, addr, sizeof(p.addr));
	if (!nat_prefix6_valid(&p))
		return -EINVAL;
	rs->prefix6 = p;
	return 0;
}

static bool nat_addr6_set(const uint8_t a[16])
{
	static const uint8_t none[16];

	return memcmp(a, none, sizeof(none)) != 0;
}

static bool nat_prefix6_contains(const struct nat_prefix6 *p, const uint8_t a[16])
{
	size_t full = p->len / 8u;
	uint8_t mask = (uint8_t)(0xff << (8 - p->len % 8));

	return memcmp(p->addr, a, full) == 0 &&
	       (p->len % 8 == 0 || ((p->addr[full] ^ a[full]) & mask) == 0);
}

/* An IPv6 target only inside the guests' prefix: nothing v6 without one
 * (IPv6=no), and never a rewrite to somewhere that is not a guest. */
static bool nat_forward_valid(const struct nat_ruleset *rs, const struct nat_forward *f)
{
	bool has6 = nat_addr6_set(f->addr6);

	if (has6 && (rs->prefix6.len == 0 || !nat_prefix6_contains(&rs->prefix6, f->addr6)))
		return false;
	return (f->proto == IPPROTO_TCP || f->proto == IPPROTO_UDP) && f->port != 0 &&
	       f->to_port != 0 && (f->addr != 0 || has6);
}

int nat_ruleset_add_forward(struct nat_ruleset *rs, const struct nat_forward *f)
{
	if (!nat_forward_valid(rs, f))
		return -EINVAL;
	if (rs->n_forwards >= NAT_MAX_FORWARDS)
		return -ENOSPC;
	rs->forwards[rs->n_forwards++] = *f;
	return 0;
}

int nat_ruleset_check(const struct nat_ruleset *rs)
{
	size_t i;

	if (!nat_ifname_valid(rs->bridge))
		return -EINVAL;
	if (rs->n_subnets == 0 || rs->n_subnets > NAT_MAX_SUBNETS)
		return -EINVAL;
	for (i = 0; i < rs->n_subnets; i++)
		if (!nat_subnet_valid(&rs->subnets[i]))
			return -EINVAL;
	if (rs->n_forwards > NAT_MAX_FORWARDS ||
	    (rs->prefix6.len && !nat_prefix6_valid(&rs->prefix6)))
		return -EINVAL;
	for (i = 0; i < rs->n_forwards; i++)
		if (!nat_forward_valid(rs, &rs->forwards[i]))
			return -EINVAL;
	if (rs->n_ports > NAT_MAX_PORTS || (rs->n_ports && !rs->ports))
		return -EINVAL;
	return 0;
}

const struct nat_chain_spec *nat_chain_spec(enum nat_chain chain)
{
	if ((unsigned int)chain >= NAT_CHAIN_COUNT)
		return NULL;
	return &nat_chains[chain];
}

bool nat_ruleset_has_chain(const struct nat_ruleset *rs, enum nat_chain chain)
{
	if (chain == NAT_CHAIN_POSTROUTING)
		return rs->masquerade || rs->n_forwards > 0;
	if (chain == NAT_CHAIN_PREROUTING || chain == NAT_CHAIN_OUTPUT)
		return rs->n_forwards > 0;
	if (chain == NAT_CHAIN_TRACE)
		return rs->trace_addr != 0;
	return (unsigned int)chain < NAT_CHAIN_COUNT;
}

struct nat_rule_list {
	struct nat_rule *rules;
	size_t max;
	size_t n;
};

static struct nat_rule *nat_rule_add(struct nat_rule_list *l,
				     enum nat_chain chain, enum nat_iface iface,
				     enum nat_action action)
{
	struct nat_rule *r;

	if (l->n >= l->max)
		return NULL;
	r = &l->rules[l->n++];
	memset(r, 0, sizeof(*r));
	r->chain = chain;
	r->iface = iface;
	r->action = action;
	return r;
}

/* Guest traffic leaves through whatever the routing table picks: out of
 * any interface but the bridge. Only what came in on the bridge: the
 * host's own packets from the gateway address (to itself, over lo) keep
 * their source. */
static int nat_rules_postrouting(const struct nat_ruleset *rs,
				 struct nat_rule_list *l)
{
	struct nat_rule *r;
	size_t i;

	for (i = 0; i < rs->n_subnets; i++) {
		r = nat_rule_add(l, NAT_CHAIN_POSTROUTING, NAT_IF_FORWARDED,
				 NAT_MASQUERADE);
		if (!r)
			return -ENOSPC;
		r->match_saddr = true;
		r->saddr = rs->subnets[i];
	}
	/* NAT66 (RFC 6296 would keep the 1:1 mapping; one uplink address for
	 * all, as for IPv4, is what follows the host's route). */
	if (rs->prefix6.len) {
		r = nat_rule_add(l, NAT_CHAIN_POSTROUTING, NAT_IF_FORWARDED, NAT_MASQUERADE);
		if (!r)
			return -ENOSPC;
		r->match_saddr6 = true;
		r->saddr6 = rs->prefix6;
	}
	return 0;
}

/* The answers of a forwarded flow must come back through the host to be
 * un-NATed: a guest reaching a forward (hairpin) would get them straight
 * from the other guest, and a guest cannot answer the host's 127.0.0.1. */
static int nat_rules_forward_snat(const struct nat_ruleset *rs,
				  struct nat_rule_list *l)
{
	struct nat_rule *r;
	size_t i;

	for (i = 0; i < rs->n_subnets; i++) {
		r = nat_rule_add(l, NAT_CHAIN_POSTROUTING, NAT_IF_OUT, NAT_MASQUERADE);
		if (!r)
			return -ENOSPC;
		r->match_saddr = true;
		r->saddr = rs->subnets[i];
		r->ct_dnat = true;
	}
	if (rs->prefix6.len) {
		r = nat_rule_add(l, NAT_CHAIN_POSTROUTING, NAT_IF_OUT, NAT_MASQUERADE);
		if (!r)
			return -ENOSPC;
		r->match_saddr6 = true;
		r->saddr6 = rs->prefix6;
		r->ct_dnat = true;
	}
	r = nat_rule_add(l, NAT_CHAIN_POSTROUTING, NAT_IF_OUT, NAT_MASQUERADE);
	if (!r)
		return -ENOSPC;
	r->match_saddr = true;
	r->saddr = (struct nat_subnet){ NAT_LOOPBACK_NET, NAT_LOOPBACK_LEN };
	return 0;
}

static struct nat_rule *nat_rule_dnat(struct nat_rule_list *l, enum nat_chain chain,
				      const struct nat_forward *f)
{
	struct nat_rule *r = nat_rule_add(l, chain, NAT_IF_ANY, NAT_DNAT);

	if (!r)
		return NULL;
	r->fib_local = true;
	r->l4proto = f->proto;
	r->dport = f->port;
	r->dnat_port = f->to_port;
	return r;
}

/* To every local address, from anywhere (prerouting) and from the host
 * itself (output): the IPv4 rule when the guest has an address, the IPv6
 * one when it has one in the prefix. */
static int nat_rules_dnat(const struct nat_ruleset *rs, struct nat_rule_list *l,
			  enum nat_chain chain)
{
	struct nat_rule *r;
	size_t i;

	for (i = 0; i < rs->n_forwards; i++) {
		const struct nat_forward *f = &rs->forwards[i];

		if (f->addr) {
			r = nat_rule_dnat(l, chain, f);
			if (!r)
				return -ENOSPC;
			r->dnat_addr = f->addr;
		}
		if (nat_addr6_set(f->addr6)) {
			r = nat_rule_dnat(l, chain, f);
			if (!r)
				return -ENOSPC;
			r->dnat6 = true;
			memcpy(r->dnat_addr6, f->addr6, sizeof(r->dnat_addr6));
		}
	}
	return 0;
}

static int nat_rules_forward(const struct nat_ruleset *rs, struct nat_rule_list *l)
{
	static const enum nat_iface clamp_dirs[] = { NAT_IF_IN, NAT_IF_OUT };
	struct nat_rule *r;
	size_t i;

	/* First, so that the SYNs that the accepts below let through are
	 * clamped in both directions. */
	for (i = 0; i < sizeof(clamp_dirs) / sizeof(clamp_dirs[0]); i++) {
		r = nat_rule_add(l, NAT_CHAIN_FORWARD, clamp_dirs[i],
				 NAT_CLAMP_MSS);
		if (!r)
			return -ENOSPC;
		r->l4proto = IPPROTO_TCP;
		r->tcp_syn = true;
	}
	if (!nat_rule_add(l, NAT_CHAIN_FORWARD, NAT_IF_IN, NAT_ACCEPT))
		return -ENOSPC;
	r = nat_rule_add(l, NAT_CHAIN_FORWARD, NAT_IF_OUT, NAT_ACCEPT);
	if (!r)
		return -ENOSPC;
	r->ct_established = true;
	/* A port forward lets in what its DNAT rewrote. */
	if (rs->n_forwards > 0) {
		r = nat_rule_add(l, NAT_CHAIN_FORWARD, NAT_IF_OUT, NAT_ACCEPT);
		if (!r)
			return -ENOSPC;
		r->ct_dnat = true;
	}
	/* New connections from outside to the guests: they sit behind NAT
	 * as they would behind a home router. */
	if (!nat_rule_add(l, NAT_CHAIN_FORWARD, NAT_IF_OUT, NAT_DROP))
		return -ENOSPC;
	return 0;
}

/* The daemon's own services on the bridge: DNS, DHCP and mDNS. The chain's
 * policy is accept, so these only say what guests must reach; they cannot
 * open a port that another table's input chain drops. */
static int nat_rules_input(struct nat_rule_list *l)
{
	static const struct {
		uint8_t proto;
		uint16_t port;
	} svc[] = {
		{ IPPROTO_UDP, DNS_PORT },
		{ IPPROTO_UDP, NAT_PORT_DHCP },
		{ IPPROTO_UDP, NAT_PORT_MDNS },
		{ IPPROTO_TCP, DNS_PORT },
	};
	struct nat_rule *r;
	size_t i;

	for (i = 0; i < sizeof(svc) / sizeof(svc[0]); i++) {
		r = nat_rule_add(l, NAT_CHAIN_INPUT, NAT_IF_IN, NAT_ACCEPT);
		if (!r)
			return -ENOSPC;
		r->l4proto = svc[i].proto;
		r->dport = svc[i].port;
	}
	return 0;
}

/* Both directions of the guest's traffic, marked for tracing. */
static int nat_rules_trace(const struct nat_ruleset *rs, struct nat_rule_list *l)
{
	const struct nat_subnet g = { .addr = rs->trace_addr, .len = 32 };
	struct nat_rule *from = nat_rule_add(l, NAT_CHAIN_TRACE, NAT_IF_ANY, NAT_TRACE);
	struct nat_rule *to = nat_rule_add(l, NAT_CHAIN_TRACE, NAT_IF_ANY, NAT_TRACE);

	if (!from || !to)
		return -ENOSPC;
	from->match_saddr = true;
	from->saddr = g;
	to->match_daddr = true;
	to->daddr = g;
	return 0;
}

int nat_ruleset_rules(const struct nat_ruleset *rs, struct nat_rule *out,
		      size_t max, size_t *n)
{
	struct nat_rule_list l = { .rules = out, .max = max, .n = 0 };
	int ret;

	*n = 0;
	ret = nat_ruleset_check(rs);
	if (ret < 0)
		return ret;
	if (rs->masquerade) {
		ret = nat_rules_postrouting(rs, &l);
		if (ret < 0)
			return ret;
	}
	if (rs->n_forwards > 0) {
		ret = nat_rules_forward_snat(rs, &l);
		if (ret == 0)
			ret = nat_rules_dnat(rs, &l, NAT_CHAIN_PREROUTING);
		if (ret == 0)
			ret = nat_rules_dnat(rs, &l, NAT_CHAIN_OUTPUT);
		if (ret < 0)
			return ret;
	}
	ret = nat_rules_forward(rs, &l);
	if (ret < 0)
		return ret;
	ret = nat_rules_input(&l);
	if (ret == 0 && rs->trace_addr)
		ret = nat_rules_trace(rs, &l);
	if (ret < 0)
		return ret;
	*n = l.n;
	return 0;
}
