/* Subnet conflicts at run time. When a route or an address that overlaps
 * the guest subnet appears (a VPN pushing 172.16.0.0/12) and Subnet=auto,
 * the daemon moves the guests to a new free subnet:
 *   - the new gateway address is added to the bridge, the old one stays:
 *     guests renew by unicast to the old gateway, so it must answer until
 *     every old lease has renewed into the new subnet or expired;
 *   - the choice is persisted, the old subnet remembered as conflicted;
 *   - the nftables table is re-applied for both subnets;
 *   - DNS listens on both gateways and answers guests of both subnets;
 *   - carrier drops briefly on the bridge's veth ports, so that container
 *     guests (networkd, NetworkManager) ask for a new lease at once;
 *   - d->old_subnet holds the subnet being drained: the DHCP server NAKs
 *     every request for an address in it (RFC 2131 4.3.2: a REQUEST for an
 *     address not on the client's network is NAKed), which is what moves
 *     dhclient and udhcpc, which ignore carrier; a RELEASE naming the old
 *     gateway still ends its lease. The drain ends when the DHCP service
 *     sees no live lease left in the old subnet (renumber_drain_done()), or
 *     one lease time (the longest an old lease can still run) after the
 *     change.
 * A fixed subnet is never changed: a warning says what it overlaps. */
#ifndef DEFNET_RENUMBER_H
#define DEFNET_RENUMBER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <event2/event.h>

#include "ip4.h"

/* How long carrier stays down on veth ports: long enough for a guest's
 * network manager to see it (they debounce for 100 ms or so), short
 * enough to be a blip. */
#define RENUMBER_FLAP_MS 500
#define RENUMBER_MAX_PORTS 256

struct daemon;

struct renumber {
	struct daemon *d;
	struct event *drain_timer;   /* ends the old subnet */
	struct event *flap_timer;    /* brings the flapped ports back up */
	unsigned flapped[RENUMBER_MAX_PORTS];
	size_t n_flapped;
	unsigned count;              /* renumberings since start */
	struct ip4_prefix conflict;  /* what the subnet last overlapped */
	struct ip4_prefix warned;    /* fixed subnet: the overlap warned about */
};

void renumber_init(struct renumber *rn, struct daemon *d);
void renumber_free(struct renumber *rn);

/* Checks the subnet against every route and address of the host (the
 * bridge's own left out); renumbers (auto) or warns once (fixed). */
void renumber_check(struct renumber *rn);

/* Ends the drain of the old subnet now: its gateway address goes, and the
 * table holds the new subnet only. The DHCP server calls this when the
 * last lease in the old subnet has moved or expired. */
void renumber_drain_done(struct renumber *rn);

#endif
