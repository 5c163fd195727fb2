/* The bridge and its addresses, through rtnetlink. */
#ifndef DEFNET_BRIDGE_H
#define DEFNET_BRIDGE_H

#include <stdbool.h>
#include <stdint.h>

#include "nl.h"

/* Creates the bridge `name` with MAC `mac` (forward delay 0, STP off), or
 * adopts an existing bridge of that name and sets its MAC to `mac`.
 * An existing link of that name that is not a bridge is -EEXIST.
 * Returns 0 with *ifindex and *created set, or -errno. */
int bridge_ensure(struct nl *nl, const char *name, const uint8_t mac[6],
		  unsigned *ifindex, bool *created);

/* The bridge `name` as it is now: its ifindex and whether it is up.
 * -ENODEV: no such link; -EEXIST: a link that is not a bridge. */
int bridge_find(struct nl *nl, const char *name, unsigned *ifindex, bool *up);

/* Deletes the bridge `name` (its ports are released, not deleted). No
 * link of that name is -ENODEV; a link that is not a bridge, -EEXIST.
 * Returns 0 or -errno. */
int bridge_delete(struct nl *nl, const char *name);

/* Adds addr/len to the link (already present: 0). Returns 0 or -errno. */
int bridge_addr_add(struct nl *nl, unsigned ifindex, uint32_t addr, uint8_t len);
/* The same, telling apart: 1 added now, 0 already there, or -errno. */
int bridge_addr_ensure(struct nl *nl, unsigned ifindex, uint32_t addr, uint8_t len);
/* Removes addr/len from the link (absent: 0). Returns 0 or -errno. */
int bridge_addr_del(struct nl *nl, unsigned ifindex, uint32_t addr, uint8_t len);

/* Sets the link administratively up. Returns 0 or -errno. */
int bridge_set_up(struct nl *nl, unsigned ifindex);

/* Counts the links enslaved to the bridge. Returns 0 or -errno. */
int bridge_port_count(struct nl *nl, unsigned ifindex, unsigned *count);
/* The ifindexes of the links enslaved to the bridge, in dump order:
 * 0, -ENOSPC (more than max) or -errno. */
int bridge_port_list(struct nl *nl, unsigned ifindex, uint32_t *list, size_t max, size_t *n);
/* Is the link port a port of the bridge now? -ENODEV: no such link. */
int bridge_is_port(struct nl *nl, unsigned bridge, unsigned port, bool *is_port);
/* Is port a port of bridge, administratively up and with carrier? A port
 * gone is not (no error). */
int bridge_port_up(struct nl *nl, unsigned bridge, unsigned port, bool *up);

/* Calls fn for each MAC the bridge has learned on a port (its forwarding
 * database, without the ports' own permanent entries). Returns 0 or
 * -errno. */
int bridge_fdb_walk(struct nl *nl, unsigned bridge,
		    void (*fn)(void *ctx, unsigned port, const uint8_t mac[6]), void *ctx);

/* Writes 1 to /proc/sys/net/ipv4/ip_forward. Returns 0 or -errno. */
int ip_forwarding_enable(void);

#endif
