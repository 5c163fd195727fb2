/* Which ports the guards drop frames from: the drop rules' nflog copies
 * (nat_nflog.h), read on the event loop and tallied per guard and port
 * until the guards' periodic report takes them. */
#ifndef DEFNET_GUARD_LOG_H
#define DEFNET_GUARD_LOG_H

#include <stddef.h>

#include <event2/event.h>

#include "nat_ruleset.h"

struct guard_log;

/* Binds nflog group NAT_NFLOG_GROUP (metadata only). Returns 0 or -errno
 * (-EBUSY: another program has the group; -ENOENT or -EOPNOTSUPP: no
 * nfnetlink_log in the kernel). */
int guard_log_start(struct event_base *base, struct guard_log **out);
void guard_log_stop(struct guard_log *gl);

/* What guard g dropped since the last call, by port: "port v-rogue
 * (52:54:00:12:34:56) 3" and so on, into out; "" when nothing was logged.
 * The tally starts again. */
void guard_log_take(struct guard_log *gl, enum nat_guard g, char *out, size_t outlen);

#endif
