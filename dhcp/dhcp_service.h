/* The DHCP server as a service: the lease store in the state directory,
 * the server policy (dhcp_server.h) and its sockets on the bridge
 * (dhcp_io.h), started, reconfigured and stopped as one.
 *
 * Everything it needs from the daemon comes in the opts: where to keep
 * leases, the bridge, the server's configuration, and the callbacks (lease
 * events, who holds a guest name, whether an interface is a bridge port,
 * the end of a renumbering's old subnet). It knows nothing of names in
 * DNS, the journal or netlink. */
#ifndef DEFNET_DHCP_SERVICE_H
#define DEFNET_DHCP_SERVICE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <event2/event.h>

#include "dhcp_history.h"
#include "dhcp_server.h"
#include "lease_store.h"
#include "log_sink.h"

struct dhcp_service;

struct dhcp_service_ops {
	/* Every event of the server (dhcp_server_ops.event), after the lease
	 * store took it. */
	void (*event)(void *ctx, const struct dhcp_event *ev);
	/* The address the guest name (lowercase) is bound to, 0 if none. */
	uint32_t (*name_owner)(void *ctx, const char *name);
	/* Is ifindex a port of the bridge now? Without it nothing is served. */
	bool (*is_port)(void *ctx, unsigned ifindex);
	/* Is ifindex still a port of the bridge, and up? A live lease is
	 * bound to its port while this says yes (dhcp_server.h). May be
	 * NULL: leases are then not bound to ports. */
	bool (*port_up)(void *ctx, unsigned ifindex);
	/* Renumbering: no live lease is left in old_subnet (called from the
	 * event loop, once the batch that emptied it is done). May be NULL. */
	void (*old_subnet_empty)(void *ctx);
	/* The leases of the events since the last call are on disk; their
	 * ACKs go out when this returns (dhcp_io_ops.before_acks). May be
	 * NULL. */
	void (*before_acks)(void *ctx);
};

struct dhcp_service_opts {
	const char *state_dir;        /* the lease file lives here */
	const char *ifname;           /* the bridge */
	unsigned ifindex;
	uint8_t mac[6];               /* the bridge's MAC: ARP probes' sender */
	/* The server's configuration: gateway, subnet, pool, lease time,
	 * reservations, limits; old_server_ip while renumbering. */
	struct dhcp_server_config server;
	/* Renumbering: the subnet being drained; len 0: none. */
	uint32_t old_subnet_addr;
	uint8_t old_subnet_len;
	struct log_sink log;
	const struct dhcp_service_ops *ops;
	void *ctx;
};

/* Opens the lease store and starts serving the bridge (after its address
 * is up). Returns 0 or -errno after logging why. */
int dhcp_service_start(struct event_base *base, const struct dhcp_service_opts *opts,
		       struct dhcp_service **svc);
/* Applies a new configuration or, after a renumbering, a new gateway and
 * subnet (addresses of the old subnet are then NAKed as a wrong network).
 * Returns 0, or -errno with the previous settings kept. */
int dhcp_service_reload(struct dhcp_service *svc, const struct dhcp_service_opts *opts);
/* Makes every lease durable and closes the sockets. NULL is fine. */
void dhcp_service_stop(struct dhcp_service *svc);

/* The store, to read leases and reservations (lease_store_next(),
 * lease_store_reservation_next()); changes go through the calls below. */
const struct lease_store *dhcp_service_store(const struct dhcp_service *svc);

/* The last exchange of the client with this MAC (doctor), or NULL. */
const struct dhcp_exchange *dhcp_service_last_exchange(const struct dhcp_service *svc,
							const uint8_t mac[6]);

/* Leases live now; reservations, configured and made by reserve. */
size_t dhcp_service_live_leases(const struct dhcp_service *svc);
/* The policy's counters (refusals among them). */
void dhcp_service_stats(const struct dhcp_service *svc, struct dhcp_server_stats *st);
size_t dhcp_service_reservations(const struct dhcp_service *svc);

/* `defnetctl reserve` and `unreserve`: the change is on disk when they
 * return 0; otherwise -errno, and err says why. */
int dhcp_service_reserve(struct dhcp_service *svc, const uint8_t mac[6], uint32_t ip,
			 const char *name, char *err, size_t errlen);
int dhcp_service_unreserve(struct dhcp_service *svc, const uint8_t mac[6], char *err,
			   size_t errlen);

#endif
