/* When the DNS server's UDP listener reads. Lightly loaded, it reads as
 * each datagram wakes it: the answer goes out at once. Under load it
 * coalesces: it reads on a fixed tick instead (dns_io.c), so that each
 * wake-up, recvmmsg and sendmmsg carries many datagrams. Most of what a
 * cached answer costs is the two wake-ups around it (ours on the query,
 * the guest's on the answer), not the work in between; this is the user
 * space form of a NIC's adaptive interrupt moderation. Pure: the caller
 * says how many datagrams it read, and when. */
#ifndef DEFNET_UDP_PACING_H
#define DEFNET_UDP_PACING_H

#include <stdbool.h>
#include <stdint.h>

#define UDP_PACING_WINDOW_MS 10
#define UDP_PACING_ENTER 100     /* datagrams in a window: 10,000/s */
#define UDP_PACING_LEAVE 20      /* fewer: under 2,000/s */

struct udp_pacing {
	uint64_t window_ms;          /* when the current window began */
	unsigned count;              /* datagrams read in it */
	bool coalescing;
};

/* Records n datagrams read at now_ms (n may be 0: a tick that found
 * none). Returns whether to coalesce from now on: the rate of the window
 * that just ended decides, with hysteresis between ENTER and LEAVE. */
bool udp_pacing_note(struct udp_pacing *p, unsigned n, uint64_t now_ms);

#endif
