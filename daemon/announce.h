/* Gratuitous ARP for the gateway: whenever its address or MAC appears or
 * changes on the bridge (start, an adopted bridge given defnet's MAC, a
 * bridge recreated, a gateway address put back, a renumbering), guests
 * whose ARP cache holds an old MAC for the gateway would be cut off until
 * the entry ages out. RFC 5227 section 3 ARP Announcements make them
 * update it at once: ARP_ANNOUNCE_NUM of them, ARP_ANNOUNCE_INTERVAL_MS
 * apart, from one send-only AF_PACKET socket, opened at the first round
 * and kept. */
#ifndef DEFNET_ANNOUNCE_H
#define DEFNET_ANNOUNCE_H

#include <stddef.h>
#include <stdint.h>

#include <event2/event.h>

#define ANNOUNCE_MAX_ADDRS 2

struct announce;

/* Returns 0 or -ENOMEM. The first round opens the packet socket
 * (CAP_NET_RAW); a round that cannot, tries again at the next. */
int announce_open(struct event_base *base, struct announce **out);
void announce_close(struct announce *a);

/* Announces ips (host order, at most ANNOUNCE_MAX_ADDRS) as held by mac
 * on ifindex: once now, the rest from a timer. A new call replaces an
 * announcement under way. Failures are logged. */
void announce_gateway(struct announce *a, unsigned ifindex, const uint8_t mac[6],
		      const uint32_t *ips, size_t n);

#endif
