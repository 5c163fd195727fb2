/* The uplink watch: where guests' traffic leaves the host right now, kept
 * current from the kernel's own notifications.
 *
 * An asynchronous NETLINK_ROUTE socket listens to links, addresses,
 * routes of every table and policy rules (IPv4 and IPv6); a NETLINK_NETFILTER socket
 * listens to nftables changes (for coexist.h). Bursts of events (a VPN
 * coming up sends dozens) are taken together: the daemon re-evaluates
 * UPLINK_DEBOUNCE_MS after the last event, and at most UPLINK_DEBOUNCE_MAX_MS
 * after the first one of a burst.
 *
 * The uplink is the kernel's answer to RTM_GETROUTE for a public
 * destination as if a guest sent it: RTA_IIF the bridge and a guest source
 * address, so policy routing (rules by source or input interface, VPN
 * tables) counts as it does for real guest packets. When it changes, the
 * guest flows masqueraded to an address the route no longer leaves from are
 * deleted from conntrack (conntrack.h), so they move to the new uplink. */
#ifndef DEFNET_UPLINK_H
#define DEFNET_UPLINK_H

#include <net/if.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include <event2/event.h>

#include "nl.h"
#include "uplink_addr.h"

#define UPLINK_DEBOUNCE_MS 20
#define UPLINK_DEBOUNCE_MAX_MS 60
/* What the uplink is looked up for: an address outside every private
 * range, never a real host (RFC 5737 TEST-NET-1). */
#define UPLINK_PROBE_ADDR 0xc0000201u
#define UPLINK_MAX_ADDRS 16

struct daemon;

/* What changed since the last evaluation. */
enum uplink_event {
	UPLINK_EV_LINK = 1 << 0,
	UPLINK_EV_ADDR = 1 << 1,
	UPLINK_EV_ROUTE = 1 << 2,
	UPLINK_EV_RULE = 1 << 3,
	UPLINK_EV_NFT = 1 << 4,
	/* Events were lost (a full socket buffer): assume anything changed. */
	UPLINK_EV_OVERRUN = 1 << 5,
	UPLINK_EV_ALL = (1 << 6) - 1
};

struct uplink_info {
	bool present;            /* false: no route out */
	unsigned ifindex;
	char ifname[IF_NAMESIZE];
	uint32_t gateway;        /* host order; 0 when on-link */
	struct uplink_addr addrs[UPLINK_MAX_ADDRS];  /* the output interface's IPv4 addresses */
	size_t n_addrs;
	/* The address masquerade gives guest flows on this route; 0 when it
	 * depends on each flow's destination (an on-link route). */
	uint32_t masq;
};

/* The kernel's route for a packet from src entering on iif towards dst.
 * iif 0 asks for the host's own route (no src). Returns 0, -ENETUNREACH
 * (no route), or -errno. */
int uplink_lookup(struct nl *nl, unsigned iif, uint32_t src, uint32_t dst,
		  struct uplink_info *out);

/* The uplink as a guest of the subnet sees it: the route a guest packet
 * takes, falling back to the host's own route when the kernel refuses
 * the guest's view (forwarding off, source validation). Fills the output
 * interface's addresses too. */
int uplink_for_guests(struct nl *nl, unsigned bridge_ifindex, uint32_t guest_src,
		      struct uplink_info *out);

/* The IPv4 addresses of a link, at most max of them, in *n. Returns 0 or
 * -errno. */
int uplink_if_addrs(struct nl *nl, unsigned ifindex, struct uplink_addr *addrs, size_t max,
		    size_t *n);

/* True when a and b differ in interface, gateway or addresses. */
bool uplink_changed(const struct uplink_info *a, const struct uplink_info *b);

/* The event sockets and the debounce timer. fn runs from the event loop
 * with the UPLINK_EV_* seen during the burst. */
typedef void (*uplink_watch_fn)(void *ctx, unsigned events);
struct uplink_watch;

int uplink_watch_open(struct uplink_watch **w, struct event_base *base,
		      uplink_watch_fn fn, void *ctx);
void uplink_watch_close(struct uplink_watch *w);

/* The daemon's side: the current uplink, and the guest flows moved when
 * it changes. daemon.c routes the watch's events to uplink_evaluate(). */
struct uplink {
	struct daemon *d;
	bool evaluated;          /* cur holds a result */
	struct uplink_info cur;
	uint64_t changes;        /* uplink changes seen */
	uint64_t flows_moved;    /* conntrack entries deleted so far */
};

/* Evaluates once at once. Returns 0 or -errno. */
int uplink_start(struct daemon *d, struct uplink **out);
void uplink_stop(struct uplink *u);

/* Looks the uplink up again; when it moved, logs it and moves the guest
 * flows masqueraded to an address it no longer gives them. */
void uplink_evaluate(struct uplink *u);

struct json;

/* For `defnetctl status`: the key "uplink" (object or null). u may be
 * NULL (not started). */
void uplink_status_json(const struct uplink *u, struct json *j);
/* The same as a text line, "uplink:". */
void uplink_status_text(const struct uplink *u, FILE *out);

#endif
