/* The host's IPv6 state through rtnetlink and /proc/sys: the prefixes it
 * uses, its route out for guests, the gateway's address on the bridge, and
 * forwarding. */
#ifndef DEFNET_HOST6_H
#define DEFNET_HOST6_H

#include <net/if.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "ip6.h"
#include "nl.h"

/* What the v6 uplink is looked up for: a global unicast destination
 * (2000::/3) that no host has, outside the documentation prefix the tests
 * build their upstream from. */
#define HOST6_PROBE_ADDR { 0x20, 0x00, [15] = 1 }

struct prefix6_list {
	struct ip6_prefix *v;
	size_t n, cap;
};

int prefix6_list_add(struct prefix6_list *l, const struct ip6_prefix *p);
void prefix6_list_free(struct prefix6_list *l);

/* Every IPv6 route of every table except default routes (::/0 and the /1
 * halves) and link-local or multicast space, and every global or ULA
 * address of every link as a /128, leaving out those of skip_ifindex.
 * Returns 0 or -errno; on error *out is empty. */
int host6_dump_used(struct nl *nl, unsigned skip_ifindex, struct prefix6_list *out);

#define UPLINK6_MAX_ADDRS 8

struct uplink6 {
	bool present;                /* a route out with a global address to masquerade to */
	bool no_forwarding;          /* !present because IPv6 forwarding is off */
	unsigned ifindex;
	char ifname[IF_NAMESIZE];
	uint8_t addr[16];            /* that address */
	/* Every usable global address of that link: masquerade picks one
	 * per destination (RFC 6724 source selection). addrs[0] is addr. */
	uint8_t addrs[UPLINK6_MAX_ADDRS][16];
	size_t n_addrs;
};

/* The route a guest's packet (from src, in on the bridge) takes to a
 * global destination, or the host's own when the kernel refuses the guest's
 * view; present only when IPv6 forwarding is on and it leaves by another
 * link that has a global address. Returns 0 or -errno (a missing route is
 * 0, !present). */
int host6_uplink(struct nl *nl, unsigned bridge_ifindex, const uint8_t src[16],
		 struct uplink6 *out);

/* The gateway's address, without duplicate address detection (it is
 * ours; guests may use it at once). Present: 0. Returns 0 or -errno. */
int host6_addr_add(struct nl *nl, unsigned ifindex, const uint8_t addr[16], uint8_t len);
/* The same, saying whether it had to: 1 added, 0 already there, -errno. */
int host6_addr_ensure(struct nl *nl, unsigned ifindex, const uint8_t addr[16], uint8_t len);
/* Absent: 0. */
int host6_addr_del(struct nl *nl, unsigned ifindex, const uint8_t addr[16], uint8_t len);

/* Turns IPv6 forwarding on. The kernel then ignores router advertisements
 * on links with accept_ra=1 (an uplink configured by SLAAC would lose its
 * default route), so those get accept_ra=2 first, each logged; the bridge
 * gets accept_ra=0 (we are its router). Returns 0 or -errno. */
int host6_forwarding_enable(const char *bridge);

#endif
