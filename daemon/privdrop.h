/* Started as root outside systemd, defnetd becomes the user the unit would
 * run it as, keeping only the capabilities the unit grants, once all that
 * needed root is done (bridge, forwarding, nftables, privileged ports). */
#ifndef DEFNET_PRIVDROP_H
#define DEFNET_PRIVDROP_H

#include <stddef.h>

#define PRIVDROP_USER "defnet"

/* When the effective user is root, gives the paths (the state and runtime
 * directories, what is directly inside them) to the user `user`, then
 * switches to that user and its group, with CAP_NET_ADMIN,
 * CAP_NET_BIND_SERVICE and CAP_NET_RAW and nothing else, even in the
 * bounding set. Returns 0 when done, 1 when there was nothing to do (not
 * root, or no such user: the caller keeps running as it is), or -errno,
 * after which the process must not go on. */
int privdrop_to_user(const char *user, const char *const *dirs, size_t n_dirs);

#endif
