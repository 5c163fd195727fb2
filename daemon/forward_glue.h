/* Port forwards in the daemon: the table (the configuration's [Forward]
 * Port= lines and the CLI's, kept in STATE_DIR/forwards), each forward's
 * guest resolved to the address it holds now, the rules through
 * nat_glue_apply(), and the `forward` control command. */
#ifndef DEFNET_FORWARD_GLUE_H
#define DEFNET_FORWARD_GLUE_H

#include <stdint.h>
#include <stdio.h>

#include "control_proto.h"
#include "json.h"

struct daemon;

/* Journal MESSAGE_IDs of the forward events (systemd/defnet.catalog). */
#define FORWARD_MSGID_ADD "c296708c577941f892043fc8d9e05dcb"
#define FORWARD_MSGID_REMOVE "0b814954105d494f8399a4dde8e3c857"
#define FORWARD_MSGID_RETARGET "3763659f70b144f6a99cadf0239e768d"

/* The configuration's forwards and those of the state file, into
 * d->forwards (nothing resolved yet). */
void forward_glue_start(struct daemon *d);
/* The configuration's forwards are d->cfg's now; resolves and applies. */
void forward_glue_reload(struct daemon *d);
/* The subnet, the leases or the guests' IPv6 addresses changed: every
 * forward follows its guest's addresses; the table is replaced when one
 * moved. */
void forward_glue_follow(struct daemon *d);
/* The lease of mac/ip was committed or ended (the name table already
 * says so): forward_glue_follow() when a forward may be concerned. */
void forward_glue_lease(struct daemon *d, const uint8_t mac[6], uint32_t ip);

/* `forward add|remove|list`, with daemon_command()'s conventions. */
int forward_glue_cmd(struct daemon *d, const struct control_request *req, FILE *out,
		     char *err, size_t errlen);

/* For status: the forwards as JSON ("forwards": [...]) and text. */
void forward_glue_status_json(const struct daemon *d, struct json *j);
void forward_glue_status_text(const struct daemon *d, FILE *out);

#endif
