/* neigh6_watch.c: follows the bridge's IPv6 neighbour table (a dump at
 * start, then RTNLGRP_NEIGH) into a neigh6_table of the guests' addresses
 * in the prefix, for `defnetctl leases` ("ip6"). Off with IPv6=no. */
#ifndef DEFNET_NEIGH6_WATCH_H
#define DEFNET_NEIGH6_WATCH_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct daemon;

/* Returns 0 or -errno after logging why (not fatal: leases show no ip6). */
int neigh6_watch_start(struct daemon *d);
void neigh6_watch_stop(struct daemon *d);
/* The guest's addresses, at most max; 0 when the watch is off. */
size_t neigh6_watch_lookup(const struct daemon *d, const uint8_t mac[6], uint8_t (*out)[16],
			   size_t max);
/* The guest's stable address (neigh6_stable()); false when it has none or
 * the watch is off. */
bool neigh6_watch_stable(const struct daemon *d, const uint8_t mac[6], uint8_t out[16]);
/* The MAC of the guest that has addr: 0, or -ENOENT (also when off). */
int neigh6_watch_mac_of(const struct daemon *d, const uint8_t addr[16], uint8_t mac[6]);

#endif
