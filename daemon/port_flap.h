/* A carrier blip on the bridge's veth ports after a renumbering: the guest
 * side of a veth sees its carrier drop while the host side is down, and
 * container network managers (networkd, NetworkManager) then ask for a new
 * lease at once. Ports the admin took down stay down. */
#ifndef DEFNET_PORT_FLAP_H
#define DEFNET_PORT_FLAP_H

#include <stddef.h>

#include <event2/event.h>

#include "nl.h"

/* How long carrier stays down on veth ports: long enough for a guest's
 * network manager to see it (they debounce for 100 ms or so), short
 * enough to be a blip. */
#define PORT_FLAP_MS 500
#define PORT_FLAP_MAX_PORTS 256

struct port_flap {
	struct nl *nl;
	struct event_base *base;
	unsigned bridge;             /* ifindex */
	struct event *timer;         /* brings the flapped ports back up */
	unsigned flapped[PORT_FLAP_MAX_PORTS];
	size_t n_flapped;
};

void port_flap_init(struct port_flap *pf, struct nl *nl, struct event_base *base,
		    unsigned bridge);
/* Takes the veth ports that are up down for PORT_FLAP_MS; a flap already
 * under way is left to end. */
void port_flap_start(struct port_flap *pf);
/* Ports still down come back up now. */
void port_flap_free(struct port_flap *pf);

#endif
