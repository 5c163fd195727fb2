/* mDNS responses as each bridge port receives them. The responder's UDP
 * socket on the bridge cannot say which port a datagram came in on (the
 * bridge is its interface), and a source address is easy to forge; the
 * conflict rule trusts only the lease holder's own port
 * (mdns_handle_port_response()). A packet socket on every interface,
 * filtered to IPv4 UDP 5353 -> 5353 responses received on an interface
 * other than the bridge, says which. */
#ifndef DEFNET_MDNS_PORTS_H
#define DEFNET_MDNS_PORTS_H

#include <stddef.h>
#include <stdint.h>

#include <event2/event.h>

#include "log_sink.h"
#include "mdns_responder.h"

/* Pure: the IPv4 packet (from its header on) of a response to port 5353:
 * fills m's addresses, ports and TTL and points *dns at the UDP payload.
 * -EBADMSG for anything else (options, fragments, lengths that lie). */
int mdns_port_packet(const uint8_t *pkt, size_t len, struct mdns_meta *m,
		     const uint8_t **dns, size_t *dns_len);

/* Hands each response to fn with m->port set to the interface it came in
 * on and m->ifindex to the bridge. */
typedef void (*mdns_ports_fn)(void *ctx, const uint8_t *dns, size_t len,
			      const struct mdns_meta *m);

struct mdns_ports;

int mdns_ports_open(struct event_base *base, unsigned bridge, struct log_sink log,
		    mdns_ports_fn fn, void *ctx, struct mdns_ports **out);
void mdns_ports_close(struct mdns_ports *p);

#endif
