/* Spoof protection ([Guard] SpoofProtection=yes): each bridge port sends
 * only from the MAC and the address of the leases bound to it. Three sets
 * of table bridge defnet (nat_ruleset.h) hold the bindings:
 *   spoof4     iface_index . ether_addr . ipv4_addr: a lease's port, MAC
 *              and address
 *   spoofmac   iface_index . ether_addr: the ports' lease MACs
 *   spoofheld  ether_addr: every lease MAC, whatever its port
 * and chain guard, after the server and router guards, lets through:
 *   ip:   iif . ether saddr . ip saddr @spoof4
 *         ip saddr 0.0.0.0, iif . ether saddr @spoofmac (a renewing guest:
 *         RFC 2131 4.3.2 INIT-REBOOT, and IGMP before an address)
 *         udp sport 68 udp dport 67, ether saddr not @spoofheld (a new
 *         guest's DISCOVER, or the renewal of a lease whose port is unknown
 *         since a restart; another's MAC gets nothing)
 *   arp:  iif . ether saddr . arp saddr ip @spoof4 and
 *         iif . arp saddr ether . arp saddr ip @spoof4
 *         arp saddr ip 0.0.0.0, iif . ether saddr and iif . arp saddr
 *         ether @spoofmac (RFC 5227 2.1.1 probes)
 *   ip6:  ip6 saddr ::, fe80::/10 or the guests' prefix, iif . ether
 *         saddr @spoofmac. A guest picks its IPv6 addresses itself (SLAAC,
 *         privacy, RFC 7217) and the host learns them only from the
 *         guest's own neighbour discovery, which anyone can forge: they
 *         are not an identity, so IPv6 is bound to the port's MAC and the
 *         network's prefixes, not to single addresses.
 *   any other ether type: iif . ether saddr @spoofmac
 * and counts and drops the rest that comes in on a port (counter spoof).
 * A frame dropped in prerouting never reaches the bridge's learning, so a
 * forged source MAC cannot steal another guest's forwarding entry.
 *
 * This file is pure: the table of bindings the daemon has put in the
 * sets (by address: a lease is one address), and the set element changes
 * that follow a lease event. */
#ifndef DEFNET_NAT_SPOOF_H
#define DEFNET_NAT_SPOOF_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "nat_batch.h"

#define NAT_SPOOF4_SET "spoof4"
#define NAT_SPOOFMAC_SET "spoofmac"
#define NAT_SPOOFHELD_SET "spoofheld"
/* Bindings the table holds at most: more leases than any subnet we pick
 * has addresses (a /12 at most). */
#define NAT_SPOOF_MAX_BINDINGS (1u << 20)
/* A lease that moves: three deletes, three adds. */
#define NAT_SPOOF_MAX_OPS 6
/* Elements per set element message (each some 28 bytes), and set element
 * changes per batch. */
#define NAT_SPOOF_PER_MSG 32
#define NAT_SPOOF_OPS_PER_BATCH 1536

struct nat_spoof_binding {
	uint32_t ip;      /* host order; 0: a free slot */
	uint32_t port;    /* the bridge port's ifindex */
	uint8_t mac[6];
};

enum nat_spoof_set {
	NAT_SPOOF_ADDR,      /* spoof4 */
	NAT_SPOOF_PORT_MAC,  /* spoofmac */
	NAT_SPOOF_MAC,       /* spoofheld */
	NAT_SPOOF_SETS
};

/* Add (or delete) the element of binding b that set takes. */
struct nat_spoof_op {
	bool add;
	enum nat_spoof_set set;
	struct nat_spoof_binding b;
};

/* Open addressing by address; grows as needed. */
struct nat_spoof_table {
	struct nat_spoof_binding *v;
	size_t cap;   /* a power of two, or 0 */
	size_t n;
};

void nat_spoof_table_init(struct nat_spoof_table *t);
void nat_spoof_table_free(struct nat_spoof_table *t);
/* Forgets every binding (the sets are being flushed). */
void nat_spoof_table_clear(struct nat_spoof_table *t);

/* The lease of b->ip is now bound to b->port and b->mac. Fills ops with
 * what the sets must change (*n of them, at most NAT_SPOOF_MAX_OPS): none
 * when that binding is already there. Adds are unconditional (an add of
 * an element present is no error without NLM_F_EXCL); deletes of
 * spoofmac and spoofheld elements only when no other binding needs them.
 * Returns 0, -EINVAL (address, port or MAC zero) or -ENOMEM (table
 * unchanged). */
int nat_spoof_bind(struct nat_spoof_table *t, const struct nat_spoof_binding *b,
		   struct nat_spoof_op *ops, size_t *n);

/* The lease of ip ended: ops (at most 3) delete its elements. Returns 0;
 * *n = 0 when ip had no binding. */
int nat_spoof_unbind(struct nat_spoof_table *t, uint32_t ip, struct nat_spoof_op *ops,
		     size_t *n);

/* The adds that put every binding from *cursor on into empty sets, set by
 * set (so that they pack into few messages), for at most max / 3
 * bindings; *cursor moves past them. Returns how many ops; 0 when the
 * walk is done. */
size_t nat_spoof_sync_ops(const struct nat_spoof_table *t, size_t *cursor,
			  struct nat_spoof_op *ops, size_t max);

/* The batch of set element changes ops[0..n) (at most
 * NAT_SPOOF_OPS_PER_BATCH), after flushing the three sets when flush is
 * set. Consecutive ops on the same set in the same direction share a
 * message. b must be zeroed (calloc) before its first use and then only
 * built by this function: it zeroes only what the last batch used.
 * Returns 0, -EINVAL or -EMSGSIZE. */
int nat_batch_build_spoof(struct nat_batch *b, const struct nat_spoof_op *ops, size_t n,
			  bool flush, uint32_t seq, enum nat_batch_mode mode);

#endif
