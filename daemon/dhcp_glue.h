/* DHCP in the daemon: the configuration and the subnet owner's addresses
 * as the DHCP service's opts (dhcp/dhcp_service.h), lease events to the
 * journal and to the guest name table, and the control commands `leases`,
 * `reserve` and `unreserve`. */
#ifndef DEFNET_DHCP_GLUE_H
#define DEFNET_DHCP_GLUE_H

#include <stdio.h>

#include "config.h"
#include "control_proto.h"

struct daemon;

/* Journal MESSAGE_IDs of the lease events, one per kind (for a catalog). */
#define DHCP_MSGID_ACK "b56de6afcab247b7ac72f21a5ed05325"
#define DHCP_MSGID_RELEASE "baad9e385e2b4261880d4c3c7370f4df"
#define DHCP_MSGID_EXPIRE "33c92fe0b7054eebb1eb78079de8c46c"
#define DHCP_MSGID_DECLINE "1b7fad7d6e7644b7b97f33bd6801c846"
#define DHCP_MSGID_NAK "65e447a095ae4bdd8268394707f79fb8"

/* Names the reservations, opens the lease store (its names go into the
 * name table) and starts serving the bridge. Returns 0 or -errno after
 * logging why. */
int dhcp_glue_start(struct daemon *d);
/* Follows d->cfg (old: the configuration it replaced, whose reservation
 * names go) or, with old NULL, the subnet owner's new addresses. */
void dhcp_glue_reload(struct daemon *d, const struct config *old);
void dhcp_glue_stop(struct daemon *d);

struct lease;

/* The live lease of a guest named by its host name (any case), MAC or
 * address, from the lease store; NULL when it has none or DHCP is off. */
const struct lease *dhcp_glue_find_lease(const struct daemon *d, const char *guest);

/* The control commands, with daemon_command()'s conventions. */
int dhcp_glue_cmd_leases(struct daemon *d, const struct control_request *req, FILE *out,
			 char *err, size_t errlen);
int dhcp_glue_cmd_reserve(struct daemon *d, const struct control_request *req, FILE *out,
			  char *err, size_t errlen);
int dhcp_glue_cmd_unreserve(struct daemon *d, const struct control_request *req, FILE *out,
			    char *err, size_t errlen);

#endif
