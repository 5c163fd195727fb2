/* The NAT ruleset model: what the daemon's nftables table (inet defnet)
 * must hold, as plain data. Pure code; the netlink encoding of this model
 * lives in nat_batch.c and knows nothing of why each rule is there.
 *
 * The table, for bridge B, guest subnet S and guest IPv6 prefix P:
 *   postrouting (nat, srcnat):  ip saddr S oifname != B masquerade
 *                               ip6 saddr P oifname != B masquerade (NAT66)
 *   forward (filter, policy accept):
 *     iifname B tcp flags syn / syn,rst tcp option maxseg size set rt mtu
 *     oifname B tcp flags syn / syn,rst tcp option maxseg size set rt mtu
 *     iifname B accept
 *     oifname B ct state established,related accept
 *     oifname B drop
 *   input (filter, policy accept):
 *     iifname B udp dport 53|67|5353 accept, iifname B tcp dport 53 accept
 * With port forwards (HOSTPORT P to guest address A, port Q), also:
 *   prerouting (nat, dstnat) and output (nat, -100), one rule each per
 *   forward:  fib daddr type local meta l4proto L th dport P dnat ip to A:Q
 *   and, when the guest has an IPv6 address A6 in P6 (the prefix):
 *     fib daddr type local meta l4proto L th dport P dnat ip6 to [A6]:Q
 *   postrouting:  oifname B ip saddr S ct status dnat masquerade (hairpin:
 *     a guest reaching another through the host must get the answers back
 *     through the host), the same for ip6 saddr P6, and oifname B ip saddr
 *     127.0.0.0/8 masquerade (the host's own localhost:P; the guest cannot
 *     answer 127.0.0.1). No such path for ::1: IPv6 has no route_localnet,
 *     and the kernel drops a packet from ::1 that would leave the host.
 *   forward, before the drop:  oifname B ct status dnat accept
 * Only DNAT on the way in: a guest sees the real address of a client from
 * the uplink side.
 *   trace (filter, prerouting, priority -350, before raw and conntrack),
 *   only while `defnetctl doctor GUEST --trace` runs, for guest address G:
 *     ip saddr G meta nftrace set 1, ip daddr G meta nftrace set 1
 * An accept here does not override a drop in another table at the same
 * hook: every base chain of every table sees the packet.
 *
 * The guest guards live in a second table, bridge defnet, in the same
 * batch (nat_batch.h), present while at least one guard is on:
 *   set ports { type iface_index }: B's ports, which the daemon keeps
 *   current (nat_batch_build_ports()): `meta ibrname` needs the
 *   nft_meta_bridge module, which not every kernel has;
 *   guard (filter, prerouting, priority -200, policy accept): frames that
 *   come in on a port of B and only a server or a router sends (the
 *   compares first: the hook sees every bridge of the host):
 *     ether type ip udp sport 67 udp dport 68 meta iif @ports
 *       counter name dhcp4-server drop
 *     ether type ip6 udp sport 547 meta iif @ports counter name dhcp6-server drop
 *     ether type ip6 icmpv6 type nd-router-advert meta iif @ports
 *       counter name router-advert drop
 *   with guard_log, before each guard's drop a rule with its matches that
 *   logs to nflog: limit rate 10/second log group 3567 prefix COUNTER
 *   (nat_nflog.h);
 *   with SpoofProtection=yes, three sets of what the lease store binds to
 *   each port, and rules after those above that let through only what
 *   comes from a binding, counting and dropping the rest (nat_spoof.h).
 * Prerouting of the bridge family sees what enters from a port, never
 * what the host itself sends through the bridge. */
#ifndef DEFNET_NAT_RULESET_H
#define DEFNET_NAT_RULESET_H

#include <net/if.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define NAT_TABLE_NAME "defnet"
/* Two while renumbering: the old subnet's flows drain as the new one's
 * start. */
#define NAT_MAX_SUBNETS 2
#define NAT_MAX_FORWARDS 64
/* Enough for every rule nat_ruleset_rules() makes: masquerade per subnet,
 * 5 forward, 4 input; per forward 2 for IPv4 and 2 for IPv6; hairpin per
 * subnet and for the prefix, localhost and the accept of forwarded flows;
 * the IPv6 masquerade; 2 trace. */
#define NAT_MAX_RULES (NAT_MAX_SUBNETS + 1 + 5 + 4 + 4 * NAT_MAX_FORWARDS + \
		       NAT_MAX_SUBNETS + 3 + 2)

struct nat_subnet {
	uint32_t addr;  /* host order, host bits zero */
	uint8_t len;    /* 1..32 */
};

/* An IPv6 prefix: the guests' /64. */
struct nat_prefix6 {
	uint8_t addr[16];   /* network order, host bits zero */
	uint8_t len;        /* 1..128; 0: none */
};

/* HOSTPORT port of proto to addr:to_port, and over IPv6 to
 * [addr6]:to_port; at least one of the two. */
struct nat_forward {
	uint8_t proto;      /* IPPROTO_TCP or IPPROTO_UDP */
	uint16_t port;
	uint32_t addr;      /* host order; 0: none */
	uint16_t to_port;
	uint8_t addr6[16];  /* in the prefix; all zero (::): none */
};

struct nat_ruleset {
	char bridge[IFNAMSIZ];
	struct nat_subnet subnets[NAT_MAX_SUBNETS];
	size_t n_subnets;
	bool masquerade;  /* [NAT] Masquerade=no leaves a routed network */
	struct nat_prefix6 prefix6;  /* len 0: IPv6=no */
	struct nat_forward forwards[NAT_MAX_FORWARDS];
	size_t n_forwards;
	uint32_t trace_addr;  /* host order: a guest whose packets are traced; 0: none */
	/* [Guard]: true drops (deny). nat_ruleset_init() turns both on. */
	bool guard_dhcp_servers;
	bool guard_router_ads;
	/* SpoofProtection=yes: a port sends only from what is bound to it
	 * (nat_spoof.h). Off after nat_ruleset_init(). */
	bool guard_spoof;
	/* Each guard's drops also go to nflog, rate limited, for the
	 * daemon's report of ports (nat_nflog.h). */
	bool guard_log;
	/* The bridge's ports (ifindexes), the caller's; at most
	 * NAT_MAX_PORTS. */
	const uint32_t *ports;
	size_t n_ports;
};

#define NAT_MAX_PORTS 1024
#define NAT_PORTS_SET "ports"

/* The guest guards of the bridge table, one rule and counter each. */
enum nat_guard {
	NAT_GUARD_DHCP4,
	NAT_GUARD_DHCP6,
	NAT_GUARD_RA,
	NAT_GUARD_SPOOF,   /* rules of their own: nat_spoof.h */
	NAT_GUARD_COUNT
};

#define NAT_GUARD_CHAIN "guard"

struct nat_guard_spec {
	const char *counter;   /* the named counter, in table bridge defnet */
	uint16_t ethertype;    /* ETH_P_IP or ETH_P_IPV6 */
	uint8_t l4proto;
	uint16_t sport, dport; /* UDP; 0: any */
	uint8_t icmp6_type;    /* ICMPv6; 0: any */
};

enum nat_chain {
	NAT_CHAIN_POSTROUTING,
	NAT_CHAIN_FORWARD,
	NAT_CHAIN_INPUT,
	NAT_CHAIN_PREROUTING,
	NAT_CHAIN_OUTPUT,
	NAT_CHAIN_TRACE,
	NAT_CHAIN_COUNT
};

enum nat_chain_type {
	NAT_TYPE_FILTER,
	NAT_TYPE_NAT
};

/* A base chain of the table. */
struct nat_chain_spec {
	const char *name;
	enum nat_chain_type type;
	uint32_t hook;      /* NF_INET_* */
	int32_t priority;
	uint32_t policy;    /* NF_ACCEPT */
};

/* Which interface a rule matches, by name, against the bridge. */
enum nat_iface {
	NAT_IF_ANY,
	NAT_IF_IN,          /* iifname B */
	NAT_IF_OUT,         /* oifname B */
	NAT_IF_FORWARDED    /* iifname B oifname != B */
};

enum nat_action {
	NAT_ACCEPT,
	NAT_DROP,
	NAT_MASQUERADE,
	/* Rewrite the TCP MSS option to fit the route's MTU: VPN links have
	 * small MTUs, and PMTU discovery often fails through them. */
	NAT_CLAMP_MSS,
	NAT_DNAT,          /* to dnat_addr:dnat_port */
	/* meta nftrace set 1: the kernel reports every chain and rule the
	 * packet meets, in every table (NFNLGRP_NFTRACE). */
	NAT_TRACE
};

/* One rule: every match present must hold; then the action. */
struct nat_rule {
	enum nat_chain chain;
	enum nat_iface iface;
	bool match_saddr;        /* IPv4 source inside saddr */
	struct nat_subnet saddr;
	bool match_daddr;        /* IPv4 destination inside daddr */
	struct nat_subnet daddr;
	bool match_saddr6;       /* IPv6 source inside saddr6 */
	struct nat_prefix6 saddr6;
	uint8_t l4proto;         /* IPPROTO_TCP/UDP, 0 = any */
	uint16_t dport;          /* needs l4proto; 0 = any */
	bool tcp_syn;            /* tcp flags syn / syn,rst; needs TCP */
	bool ct_established;     /* ct state established,related */
	bool ct_dnat;            /* ct status dnat */
	bool fib_local;          /* fib daddr type local (IPv4 unless dnat6) */
	enum nat_action action;
	uint32_t dnat_addr;      /* NAT_DNAT, host order */
	uint16_t dnat_port;
	bool dnat6;              /* NAT_DNAT to [dnat_addr6]: an IPv6 rule */
	uint8_t dnat_addr6[16];
};

/* Sets up rs for bridge (NUL-terminated), no subnets yet. Returns 0, or
 * -EINVAL when the name is not a valid interface name. */
int nat_ruleset_init(struct nat_ruleset *rs, const char *bridge,
		     bool masquerade);

/* Adds a guest subnet. Returns 0, -EINVAL (length 0 or over 32, host bits
 * set) or -ENOSPC (already NAT_MAX_SUBNETS). */
int nat_ruleset_add_subnet(struct nat_ruleset *rs, uint32_t addr,
			   uint8_t len);

/* Sets the guests' IPv6 prefix, masqueraded like the subnets. Returns 0
 * or -EINVAL (length 0 or over 128, host bits set). */
int nat_ruleset_set_prefix6(struct nat_ruleset *rs, const uint8_t addr[16], uint8_t len);

/* Adds a port forward. Returns 0, -EINVAL (protocol not TCP or UDP, a
 * port 0, neither address, an addr6 outside the prefix or without one:
 * set the prefix first) or -ENOSPC (already NAT_MAX_FORWARDS). */
int nat_ruleset_add_forward(struct nat_ruleset *rs, const struct nat_forward *f);

/* Checks a ruleset filled in by hand: bridge name, 1..NAT_MAX_SUBNETS
 * valid subnets. Returns 0 or -EINVAL. */
int nat_ruleset_check(const struct nat_ruleset *rs);

const struct nat_chain_spec *nat_chain_spec(enum nat_chain chain);

/* Whether the table has this chain: no nat chain without masquerade or
 * forwards, so that a routed network registers no NAT hook at all; the
 * trace chain only while a trace runs. */
bool nat_ruleset_has_chain(const struct nat_ruleset *rs, enum nat_chain chain);

const struct nat_guard_spec *nat_guard_spec(enum nat_guard g);
/* Whether the bridge table drops what guard g names. */
bool nat_ruleset_guard_on(const struct nat_ruleset *rs, enum nat_guard g);
/* Whether the bridge table is needed at all (some guard on). */
bool nat_ruleset_has_guards(const struct nat_ruleset *rs);

/* Fills out[0..*n) with the rules, in order, chain by chain. Returns 0,
 * -EINVAL (bad ruleset) or -ENOSPC (max too small). */
int nat_ruleset_rules(const struct nat_ruleset *rs, struct nat_rule *out,
		      size_t max, size_t *n);

#endif
