/* The daemon's thin glue to each service, one file each: the configuration
 * and the subnet owner's addresses mapped to the service's opts, and what
 * the daemon does with the service's events. dhcp_glue.h has its own
 * header for its control commands. */
#ifndef DEFNET_GLUE_H
#define DEFNET_GLUE_H

#include "config.h"

struct daemon;

/* nat_glue.c: replaces the nftables tables inet defnet (the subnet, and
 * the old subnet while renumbering) and bridge defnet (the guards) in one
 * batch, and reports what the guards drop once per interval. Returns 0 or
 * -errno after logging why. */
int nat_glue_apply(struct daemon *d);
/* The bridge's ports changed, maybe: the guards' set of ports follows
 * (table bridge defnet, nat_ruleset.h). */
void nat_glue_ports(struct daemon *d);
/* nftables changed: when the table is gone or differs from what
 * nat_glue_apply() last made, applies it again, within the repair budget
 * (heal_budget.h); a repair the budget puts off runs when it allows. Our
 * own batches leave the table as remembered, so they never loop. */
void nat_glue_heal(struct daemon *d);
void nat_glue_init(struct daemon *d);
/* Stops the repairs put off and the guards' periodic report. */
void nat_glue_stop(struct daemon *d);

/* spoof_glue.c: SpoofProtection=yes. lease queues the few set element
 * changes that follow a DHCP lease event; flush sends the queue in one
 * transaction (returns whether it went as it was), which the DHCP service
 * asks for before its ACKs go out (the guest may send from its address as
 * soon as it has it); sync rebuilds the sets from the lease store (after
 * the table was replaced, when the ports changed, once the DHCP server
 * runs). A lease whose port is unknown (leases learn it again after a
 * restart only at their next ACK) takes the port where the bridge learned
 * its MAC. Failures are logged; a failed change is followed by a sync. */
struct dhcp_event;
void spoof_glue_lease(struct daemon *d, const struct dhcp_event *ev);
bool spoof_glue_flush(struct daemon *d);
void spoof_glue_sync(struct daemon *d);
void spoof_glue_stop(struct daemon *d);

/* dns_glue.c: the DNS server on the gateway. start returns 0 or -errno
 * after logging why; reload follows d->cfg and the subnet owner. */
int dns_glue_start(struct daemon *d);
void dns_glue_reload(struct daemon *d);
void dns_glue_stop(struct daemon *d);
/* A guest's IPv6 addresses by its IPv4 one (ctx: the daemon): its lease's
 * MAC, then what the neighbour table pairs with that MAC (neigh6.h). For
 * the DNS server's and the mDNS responder's AAAA. */
size_t dns_glue_guest_aaaa(void *ctx, uint32_t ip, uint8_t (*out)[16], size_t max);
/* The IPv4 address of the lease of mac, the most recently used if it has
 * several (a walk of the leases); 0 when none. */
uint32_t dns_glue_lease_ip(const struct daemon *d, const uint8_t mac[6]);

/* mdns_glue.c: the responder is not essential: when it cannot start (port
 * 5353 held by a responder that does not share it), guests still get
 * addresses and DNS. reload follows [MDNS] Enable= and the gateway. */
void mdns_glue_start(struct daemon *d);
void mdns_glue_reload(struct daemon *d);
void mdns_glue_stop(struct daemon *d);
/* An IPv6 address of the guest with mac appeared in the neighbour table or
 * went: the responder announces it or says its goodbye. */
void mdns_glue_aaaa_event(struct daemon *d, const uint8_t mac[6], const uint8_t addr[16],
			  bool added);

/* ra_glue.c: router advertisements while the bridge has an IPv6 prefix.
 * follow re-reads the host's IPv6 route out (the router lifetime is
 * non-zero only while there is one) and the bridge's MTU, and takes a new
 * prefix; a change is advertised at once. Not essential: a failure is
 * logged and guests go without IPv6 routing. */
void ra_glue_start(struct daemon *d);
void ra_glue_follow(struct daemon *d);
void ra_glue_stop(struct daemon *d);

#endif
