/* Guests' IPv6 addresses, learned from the bridge's neighbour table: a
 * guest configures its own by SLAAC (and privacy extensions), and the
 * kernel's neighbour entries pair each address in use with the guest's
 * MAC, the MAC of its DHCPv4 lease. Pure code: the rtnetlink message
 * parser and the table; neigh6_watch.c feeds them. */
#ifndef DEFNET_NEIGH6_H
#define DEFNET_NEIGH6_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define NEIGH6_MAX 4096          /* addresses remembered, all guests */
#define NEIGH6_PER_MAC 8         /* a guest's stable and privacy addresses */

struct neigh6_event {
	bool add;                /* false: the entry is gone or failed */
	unsigned ifindex;
	uint8_t addr[16];
	uint8_t mac[6];          /* valid when add */
};

/* One rtnetlink message (its nlmsghdr first, len bytes). Returns 1 with
 * *ev filled for an IPv6 neighbour message, 0 for anything else that is
 * well formed, -EINVAL for a malformed one. */
int neigh6_parse(const void *buf, size_t len, struct neigh6_event *ev);

struct neigh6_entry {
	uint8_t mac[6];
	uint8_t addr[16];
};

struct neigh6_table {
	struct neigh6_entry v[NEIGH6_MAX];
	size_t n;
};

/* Applies an event: an address moves to the MAC that now has it (one
 * that stays with its MAC keeps its place); a guest's oldest address goes
 * when it has NEIGH6_PER_MAC; a full table drops the event (-ENOSPC).
 * Returns 1 when the table changed, 0 when not, or -ENOSPC. */
int neigh6_apply(struct neigh6_table *t, const struct neigh6_event *ev);

/* Whether the table pairs addr with mac. */
bool neigh6_holds(const struct neigh6_table *t, const uint8_t addr[16], const uint8_t mac[6]);

/* The one address of mac that a port forward targets, into out: the
 * modified EUI-64 one (RFC 4291 2.5.1, appendix A: SLAAC's address from
 * the MAC, the same after every reboot) when the guest has it, else the
 * oldest seen (a stable-privacy address, RFC 7217, is configured before
 * the temporary ones of RFC 8981, which change daily). Whether it has one. */
bool neigh6_stable(const struct neigh6_table *t, const uint8_t mac[6], uint8_t out[16]);

/* The addresses of mac, at most max, oldest first; returns how many. */
size_t neigh6_lookup(const struct neigh6_table *t, const uint8_t mac[6], uint8_t (*out)[16],
		     size_t max);

/* The MAC that has addr, for reverse names. Returns 0 with mac set, or
 * -ENOENT. */
int neigh6_mac_of(const struct neigh6_table *t, const uint8_t addr[16], uint8_t mac[6]);

#endif
