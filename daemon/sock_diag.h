/* Who on the host listens on a port: NETLINK_SOCK_DIAG (inet_diag) for the
 * sockets, /proc/PID/fd for the process that holds one. Thin I/O, used
 * before a port forward takes a HOSTPORT away from the host. */
#ifndef DEFNET_SOCK_DIAG_H
#define DEFNET_SOCK_DIAG_H

#include <stddef.h>
#include <stdint.h>

/* Whether a socket of proto (IPPROTO_TCP: listening; IPPROTO_UDP: bound
 * and not connected) has local port port, IPv4 or IPv6. Returns 1 with
 * *inode set, 0 when none, or -errno. */
int sock_diag_listener(uint8_t proto, uint16_t port, uint32_t *inode);

/* "NAME (pid N)" of a process holding socket inode, into buf; "an unknown
 * process" when none is found (another namespace, or it exited). */
void sock_diag_owner(uint32_t inode, char *buf, size_t size);

#endif
