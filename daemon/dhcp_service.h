/* The DHCP server as the daemon runs it: the lease store in the state
 * directory, the server policy and its sockets on the bridge, lease events
 * to the journal and to the guest name table, and the control commands
 * `leases`, `reserve` and `unreserve`. */
#ifndef DEFNET_DHCP_SERVICE_H
#define DEFNET_DHCP_SERVICE_H

#include <stddef.h>
#include <stdio.h>

#include "control_proto.h"

struct daemon;

/* Journal MESSAGE_IDs of the lease events, one per kind (for a catalog). */
#define DHCP_MSGID_ACK "b56de6afcab247b7ac72f21a5ed05325"
#define DHCP_MSGID_RELEASE "baad9e385e2b4261880d4c3c7370f4df"
#define DHCP_MSGID_EXPIRE "33c92fe0b7054eebb1eb78079de8c46c"
#define DHCP_MSGID_DECLINE "1b7fad7d6e7644b7b97f33bd6801c846"
#define DHCP_MSGID_NAK "65e447a095ae4bdd8268394707f79fb8"

/* Opens the lease store and starts serving the bridge (after its address
 * is up). Returns 0 or -errno after logging why. */
int dhcp_service_start(struct daemon *d);
/* Makes every lease durable and closes the sockets. */
void dhcp_service_stop(struct daemon *d);
/* After d->cfg changed: applies LeaseTime=, Pool=, Reservation=,
 * RateLimit=, RateLimitPerPort= and Domain= to the running server; after
 * a renumbering, the new d->subnet and d->gateway (addresses of the old
 * subnet are then NAKed as a wrong network). */
void dhcp_service_reload(struct daemon *d);

/* For `status`: leases live now, and reservations (configured and made
 * with `defnetctl reserve`). */
size_t dhcp_service_live_leases(const struct daemon *d);
size_t dhcp_service_reservations(const struct daemon *d);

/* The control commands, with daemon_command()'s conventions. */
int dhcp_service_cmd_leases(struct daemon *d, const struct control_request *req, FILE *out,
			    char *err, size_t errlen);
int dhcp_service_cmd_reserve(struct daemon *d, const struct control_request *req, FILE *out,
			     char *err, size_t errlen);
int dhcp_service_cmd_unreserve(struct daemon *d, const struct control_request *req, FILE *out,
			       char *err, size_t errlen);

#endif
