/* The DHCP server's sockets, on the libevent loop: thin I/O between the
 * bridge and dhcp_server_handle().
 *
 * Requests come in on a packet socket that hears them on the bridge's
 * ports, before the bridge, filtered to UDP port 67 and to the bridge's
 * MAC or broadcast: the kernel then names the port a frame came in on,
 * which the per-port rate limit needs (a guest that forges chaddr cannot
 * forge its port); frames of other interfaces (the uplinks) are dropped
 * (dhcp_io_ops.is_port). A UDP socket on 0.0.0.0:67, bound
 * to the bridge (SO_BINDTODEVICE, so other DHCP servers keep port 67 on
 * other interfaces), owns the port and sends replies to relays; a filter
 * drops everything it would receive, since the packet socket has it.
 * Replies to a client's MAC and broadcasts go out on the packet socket,
 * IPv4 and UDP checksums computed here (dhcp_udp_encap). A second packet
 * socket sends ARP probes and hears ARP on the bridge.
 *
 * Group commit: each time the socket is readable, requests are read in
 * batches (recvmmsg) until none is left or DHCP_IO_MAX_BATCH, each goes
 * through the policy (which commits leases to the store); OFFERs and NAKs
 * go out at once (sendmmsg), then the store is flushed once (one write,
 * one fdatasync), and only then are the batch's ACKs sent. If the flush
 * fails, they are not sent: the clients ask again. A slow disk makes
 * batches larger, not the server slower than its fsync rate. */
#ifndef DEFNET_DHCP_IO_H
#define DEFNET_DHCP_IO_H

#include <stdbool.h>
#include <stdint.h>

#include <event2/event.h>

#include "dhcp_history.h"
#include "dhcp_server.h"
#include "lease_store.h"
#include "log_sink.h"

#define DHCP_IO_MAX_BATCH 512
/* Deferred DISCOVERs (waiting for a probe) kept at most, and how long. */
#define DHCP_IO_PARK_MAX 4096
#define DHCP_IO_PARK_MS 2000

struct dhcp_io;

struct dhcp_io_config {
	const char *ifname;       /* the bridge */
	unsigned ifindex;
	uint8_t mac[6];           /* the bridge's MAC: the probes' sender */
	uint32_t server_ip;       /* the gateway */
	struct log_sink log;
};

struct dhcp_io_ops {
	/* The bridge's MTU now (asked once per batch), 0 if unknown. */
	uint16_t (*mtu)(void *ctx);
	/* Is ifindex a port of the bridge now? Asked once a second at most
	 * per interface; without it nothing is served. */
	bool (*is_port)(void *ctx, unsigned ifindex);
	/* A batch's leases are on disk and its ACKs go out next: what must
	 * be in place before a guest uses its address goes now. May be
	 * NULL. */
	void (*before_acks)(void *ctx);
};

/* Opens the sockets and starts reading. -EADDRINUSE: another server has
 * UDP port 67 for every interface (logged with what to do). */
int dhcp_io_start(struct dhcp_io **out, struct event_base *base, struct dhcp_server *srv,
		  struct lease_store *store, const struct dhcp_io_config *cfg,
		  const struct dhcp_io_ops *ops, void *ctx);
/* Flushes the store and closes the sockets. */
void dhcp_io_stop(struct dhcp_io *io);

/* For dhcp_server_ops.probe: queues an ARP probe for ip. */
void dhcp_io_probe(struct dhcp_io *io, uint32_t ip);

/* The gateway changed (renumbering): replies leave from this address. */
void dhcp_io_set_server_ip(struct dhcp_io *io, uint32_t server_ip);

/* After a change outside the loop's batches (reservation, reload): sends
 * the queued probes and arms the timer for the server's next deadline. */
void dhcp_io_kick(struct dhcp_io *io);

struct dhcp_io_stats {
	uint64_t received, malformed, sent, send_errors, flushes, flush_errors;
	uint64_t parked, park_dropped, batches, max_batch;
};
void dhcp_io_stats(const struct dhcp_io *io, struct dhcp_io_stats *st);

/* The last exchange of the client with this MAC, or NULL. */
const struct dhcp_exchange *dhcp_io_last_exchange(const struct dhcp_io *io, const uint8_t mac[6]);

#endif
