/* The NAT ruleset model: what the daemon's nftables table (inet defnet)
 * must hold, as plain data. Pure code; the netlink encoding of this model
 * lives in nat_batch.c and knows nothing of why each rule is there.
 *
 * The table, for bridge B and guest subnet S:
 *   postrouting (nat, srcnat):  ip saddr S oifname != B masquerade
 *   forward (filter, policy accept):
 *     iifname B tcp flags syn / syn,rst tcp option maxseg size set rt mtu
 *     oifname B tcp flags syn / syn,rst tcp option maxseg size set rt mtu
 *     iifname B accept
 *     oifname B ct state established,related accept
 *     oifname B drop
 *   input (filter, policy accept):
 *     iifname B udp dport 53|67|5353 accept, iifname B tcp dport 53 accept
 *   trace (filter, prerouting, priority -350, before raw and conntrack),
 *   only while `defnetctl doctor GUEST --trace` runs, for guest address G:
 *     ip saddr G meta nftrace set 1, ip daddr G meta nftrace set 1
 * An accept here does not override a drop in another table at the same
 * hook: every base chain of every table sees the packet. */
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
/* Enough for every rule nat_ruleset_rules() makes (2 + 5 + 4 + 2). */
#define NAT_MAX_RULES 16

struct nat_subnet {
	uint32_t addr;  /* host order, host bits zero */
	uint8_t len;    /* 1..32 */
};

struct nat_ruleset {
	char bridge[IFNAMSIZ];
	struct nat_subnet subnets[NAT_MAX_SUBNETS];
	size_t n_subnets;
	bool masquerade;  /* [NAT] Masquerade=no leaves a routed network */
	uint32_t trace_addr;  /* host order: a guest whose packets are traced; 0: none */
};

enum nat_chain {
	NAT_CHAIN_POSTROUTING,
	NAT_CHAIN_FORWARD,
	NAT_CHAIN_INPUT,
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
	uint8_t l4proto;         /* IPPROTO_TCP/UDP, 0 = any */
	uint16_t dport;          /* needs l4proto; 0 = any */
	bool tcp_syn;            /* tcp flags syn / syn,rst; needs TCP */
	bool ct_established;     /* ct state established,related */
	enum nat_action action;
};

/* Sets up rs for bridge (NUL-terminated), no subnets yet. Returns 0, or
 * -EINVAL when the name is not a valid interface name. */
int nat_ruleset_init(struct nat_ruleset *rs, const char *bridge,
		     bool masquerade);

/* Adds a guest subnet. Returns 0, -EINVAL (length 0 or over 32, host bits
 * set) or -ENOSPC (already NAT_MAX_SUBNETS). */
int nat_ruleset_add_subnet(struct nat_ruleset *rs, uint32_t addr,
			   uint8_t len);

/* Checks a ruleset filled in by hand: bridge name, 1..NAT_MAX_SUBNETS
 * valid subnets. Returns 0 or -EINVAL. */
int nat_ruleset_check(const struct nat_ruleset *rs);

const struct nat_chain_spec *nat_chain_spec(enum nat_chain chain);

/* Whether the table has this chain: no nat chain without masquerade, so
 * that a routed network registers no NAT hook at all; the trace chain only
 * while a trace runs. */
bool nat_ruleset_has_chain(const struct nat_ruleset *rs, enum nat_chain chain);

/* Fills out[0..*n) with the rules, in order, chain by chain. Returns 0,
 * -EINVAL (bad ruleset) or -ENOSPC (max too small). */
int nat_ruleset_rules(const struct nat_ruleset *rs, struct nat_rule *out,
		      size_t max, size_t *n);

#endif
