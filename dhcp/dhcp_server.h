/* The DHCPv4 server policy (RFC 2131): given a parsed message and the lease
 * store, decide what to answer, and build the answer.
 *
 * Pure code: no sockets, no clock, no files (the lease store's flush is the
 * caller's). Times come in struct dhcp_meta; everything the server needs
 * from the outside goes through struct dhcp_server_ops: ARP probes, who
 * holds a guest name, and events to log. dhcp_io.c moves packets between
 * the sockets and dhcp_server_handle(); unit tests call it directly.
 *
 * Address choice for a client (RFC 2131 4.3.1), in order: its reservation
 * (Reservation= first, then `defnetctl reserve`), its previous address
 * (sticky, even expired, while inside the pool), the address it asks for
 * if free, a fresh address never leased (checked by an ARP probe first),
 * and last the address of the least recently used expired lease. A live
 * lease, a reserved or a declined address is never handed to someone else.
 *
 * ARP probes run ahead of need: DHCP_PROBE_RESERVE addresses once a pool
 * is set, then more as the rate of new clients rises (up to
 * DHCP_PROBE_MAX), so that at a high rate a new client takes an address
 * already probed. When none is
 * ready, the DISCOVER is deferred (DHCP_OUTCOME_DEFER): the caller keeps
 * it and hands it in again once dhcp_server_tick() reports probes done.
 *
 * New leases (a client without any lease) are rate-limited by token
 * buckets, globally and per bridge port; renewals never are.
 *
 * A guest's identity is its bridge port, which it cannot forge: a live
 * lease is bound to the port of its last ACK, and while that port is still
 * a port of the bridge and up (ops.port_up), a message about the lease (its
 * client key, or its address as ciaddr) coming in on another port changes
 * nothing and gets no answer. A guest that moved (old port gone or down)
 * gets its lease back at once, bound to the new port.
 *
 * Relays: a message whose giaddr is inside the guest subnet is not
 * answered (no guest relays on a default network; answering would send
 * an OFFER to another guest's port 67). A giaddr outside it is a relay,
 * answered as RFC 2131 4.1 says; dhcp_io.c sends through the bridge only. */
#ifndef DEFNET_DHCP_SERVER_H
#define DEFNET_DHCP_SERVER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "dhcp_codec.h"
#include "lease_store.h"

/* The pool holds at most this many addresses (the store's size). */
#define DHCP_POOL_MAX LEASE_STORE_MAX_LEASES
#define DHCP_SERVER_MAX_RESERVATIONS 4096
/* How long a probe waits for an answer. Guests on a bridge answer ARP
 * in well under a millisecond; a fifth of a second leaves room for a busy
 * host (RFC 5227's one to two seconds are for a host claiming its own
 * address, which then waits for nobody). */
#define DHCP_PROBE_WAIT_MS 200
/* The first probes after a pool is set, the head of the start-up reserve
 * below, wait only this long: the first guests after a start are offered
 * within milliseconds (why that is safe: dhcp_probe_wait() in
 * dhcp_server.c). */
#define DHCP_PROBE_QUICK 16
#define DHCP_PROBE_QUICK_WAIT_MS 10
/* Addresses probed or waiting, at most. */
#define DHCP_PROBE_MAX 4096
/* A probed address is trusted this long, then probed again: long enough
 * for a burst of clients, short enough that a guest configured since is
 * seen. The set is refilled only while new clients come: an idle bridge
 * sees no ARP from us. */
#define DHCP_PROBE_TTL_MS (10 * 1000)
/* Addresses probed as soon as a pool is set (at start, or after a
 * renumbering), once, half the pool at most: the first guests after boot
 * take one at once instead of waiting a probe, and a burst finds them
 * while the probes it sets off are under way (a probe wait's worth at
 * 10,000 new clients a second). Not renewed when they grow stale. */
#define DHCP_PROBE_RESERVE 2048
/* The demand for fresh addresses is extrapolated from at least this much
 * of the current second: a burst ramps the probes up within a refill,
 * before the reserve runs out; a lone client sets off a few. */
#define DHCP_DEMAND_MIN_MS 20
/* An address found in use is not probed again before this. */
#define DHCP_IN_USE_HOLD_MS (10 * 60 * 1000)
#define DHCP_IN_USE_MAX 256
/* An offered address stays set aside for its client this long, or,
 * when the pool has nothing else left, at least DHCP_OFFER_KEEP_MS. */
#define DHCP_OFFER_HOLD_MS 30000
#define DHCP_OFFER_KEEP_MS 2000
#define DHCP_OFFER_MAX 4096
/* A declined address is not offered for this long (RFC 2131 4.3.3). */
#define DHCP_DECLINE_S 600
/* A limit that is hit is logged at most once per interval. */
#define DHCP_LIMIT_LOG_MS 10000
#define DHCP_PORT_BUCKETS 64
/* The largest reply payload we build (our options fit in far less). */
#define DHCP_REPLY_MAX 1024

/* A reservation from the configuration. */
struct dhcp_reservation {
	uint8_t mac[6];
	uint32_t ip;
	char name[LEASE_HOSTNAME_MAX + 1];  /* "" when none */
};

struct dhcp_server_config {
	uint32_t server_ip;       /* the gateway: server identifier, router, DNS */
	uint32_t old_server_ip;   /* renumbering: the old gateway, whose clients
				   * still release their leases to it; 0: none */
	uint32_t subnet;          /* network address, host order */
	uint8_t prefix_len;       /* 8..30 */
	bool pool_auto;           /* every host address but the gateway */
	uint32_t pool_first, pool_last;
	uint32_t lease_time;      /* seconds, >= 60 */
	const char *domain;       /* option 15 and 119; NULL or "" for none */
	const char *host_name;    /* the host's own name: refused to guests */
	const struct dhcp_reservation *reservations;
	size_t n_reservations;
	uint32_t rate_limit;      /* new leases per second, 0: unlimited */
	uint32_t rate_limit_port; /* the same per bridge port */
	uint32_t leases_per_port; /* live dynamic leases a bridge port may
				   * hold (reservations aside), 0: no cap */
};

enum dhcp_event_kind {
	DHCP_EV_ACK_NEW,          /* lease events: ip, mac, hostname */
	DHCP_EV_ACK_RENEW,
	DHCP_EV_RELEASE,
	DHCP_EV_EXPIRE,
	DHCP_EV_DECLINE,
	DHCP_EV_NAK,              /* ip: what the client asked for */
	DHCP_EV_NAME_REFUSED,     /* hostname: the refused name, printable */
	DHCP_EV_ADDR_IN_USE,      /* ip answered ARP from mac */
	DHCP_EV_RATE_LIMITED,     /* port 0: the global limit; count refused */
	DHCP_EV_POOL_EXHAUSTED,   /* count refused */
	DHCP_EV_PORT_FULL,        /* port at leases_per_port; count refused */
	DHCP_EV_IGNORED,          /* debug: a message left unanswered, why */
	DHCP_EV_WRONG_PORT,       /* a message about the lease of ip (bound to
				   * lease_port) came in on port; count: held
				   * back since the last report */
};

struct dhcp_event {
	enum dhcp_event_kind kind;
	uint32_t ip;
	uint8_t mac[6];
	const char *hostname;     /* never NULL; "" when none */
	const char *reason;       /* static text; "" when none */
	unsigned port;            /* bridge port ifindex, 0 unknown */
	unsigned lease_port;      /* WRONG_PORT: the port the lease is bound to */
	uint64_t count;           /* limits: refusals since the last report */
	bool static_lease;        /* the lease comes from a reservation */
};

struct dhcp_server_ops {
	/* Send an ARP probe for ip; dhcp_server_arp() reports answers. */
	void (*probe)(void *ctx, uint32_t ip);
	/* The address the guest name (lowercase) is bound to, 0 if none. */
	uint32_t (*name_owner)(void *ctx, const char *name);
	void (*event)(void *ctx, const struct dhcp_event *ev);
	/* Is ifindex still a port of the bridge, and up? NULL: leases are
	 * not bound to ports. */
	bool (*port_up)(void *ctx, unsigned ifindex);
};

/* Where a message came from. */
struct dhcp_meta {
	uint64_t now_ms;          /* CLOCK_BOOTTIME */
	int64_t now_wall;         /* Unix seconds */
	unsigned port;            /* the bridge port it came in on, 0 unknown */
	uint32_t dst_ip;          /* its IP destination: ours for unicast */
};

enum dhcp_outcome {
	DHCP_OUTCOME_IGNORE,      /* no answer */
	DHCP_OUTCOME_OFFER,
	DHCP_OUTCOME_ACK,
	DHCP_OUTCOME_NAK,
	DHCP_OUTCOME_INFORM,      /* a DHCPACK to a DHCPINFORM */
	DHCP_OUTCOME_RELEASED,    /* no answer; the lease ended */
	DHCP_OUTCOME_DECLINED,    /* no answer; the address is quarantined */
	DHCP_OUTCOME_DEFER,       /* no answer yet: hand it in again later */
};

/* Where a reply goes (RFC 2131 4.1). */
enum dhcp_dest {
	DHCP_DEST_RELAY,          /* UDP to giaddr, port 67 */
	DHCP_DEST_BROADCAST,      /* Ethernet and IP broadcast, port 68 */
	DHCP_DEST_CLIENT,         /* to chaddr and dst_ip (yiaddr or ciaddr), port 68 */
};

/* The caller gives the buffer: the payload is built at
 * buf + DHCP_IPUDP_LEN, leaving room to wrap it in IPv4 and UDP in place. */
struct dhcp_reply {
	enum dhcp_dest dest;
	uint32_t dst_ip;
	uint16_t dst_port;
	uint8_t dst_mac[6];
	uint8_t type;             /* DHCP_OFFER, DHCP_ACK or DHCP_NAK */
	uint8_t *buf;
	size_t size;              /* at least DHCP_IPUDP_LEN + DHCP_BOOTP_MIN_LEN */
	size_t len;               /* payload length */
};

static inline uint8_t *dhcp_reply_payload(const struct dhcp_reply *r)
{
	return r->buf + DHCP_IPUDP_LEN;
}

struct dhcp_server;

/* The store stays the caller's; the config is copied. -EINVAL for a
 * config that does not hold together (pool outside the subnet...). */
int dhcp_server_new(struct dhcp_server **out, struct lease_store *store,
		    const struct dhcp_server_config *cfg,
		    const struct dhcp_server_ops *ops, void *ctx);
void dhcp_server_free(struct dhcp_server *srv);
/* Applies a new configuration (reload). Leases stay; a changed pool drops
 * probes and offers in progress. On error the old one stays. */
int dhcp_server_configure(struct dhcp_server *srv, const struct dhcp_server_config *cfg);
/* The bridge's MTU, for option 26 (0: not sent). */
void dhcp_server_set_mtu(struct dhcp_server *srv, uint16_t mtu);

/* The one entry point: a parsed message in, what to do out. For OFFER,
 * ACK, NAK and INFORM the reply is built in reply->buf. An ACK's lease
 * is committed to the store: the caller flushes the store before it
 * sends the reply. */
enum dhcp_outcome dhcp_server_handle(struct dhcp_server *srv, const struct dhcp_msg *msg,
				     const struct dhcp_meta *meta, struct dhcp_reply *reply);

/* An ARP packet seen on the bridge, with its sender's addresses. An
 * answer for an address being probed marks it in use. */
void dhcp_server_arp(struct dhcp_server *srv, uint32_t sender_ip,
		     const uint8_t sender_mac[6], uint64_t now_ms);

/* Addresses probed free and not yet offered: how many deferred DISCOVERs
 * can go on now. */
size_t dhcp_server_probed(const struct dhcp_server *srv);

/* Timers: probes done, probes to start, offers and leases that expire.
 * Returns true when probes finished (deferred messages may go on now).
 * Call it when dhcp_server_deadline() comes. */
bool dhcp_server_tick(struct dhcp_server *srv, uint64_t now_ms);
/* When dhcp_server_tick() wants to run next (CLOCK_BOOTTIME ms). */
uint64_t dhcp_server_deadline(const struct dhcp_server *srv);

/* `defnetctl reserve`: checks that ip can be mac's (inside the subnet, not
 * the network, gateway or broadcast address, not reserved for another MAC,
 * not leased live to another client) and records it in the store (the
 * caller flushes). -EINVAL, -EEXIST (reserved for another), -EBUSY (leased
 * to another), or the store's errors; why in err. */
int dhcp_server_reserve(struct dhcp_server *srv, const uint8_t mac[6], uint32_t ip,
			const char *name, uint64_t now_ms, char *err, size_t errlen);

/* Checks a guest host name (RFC 1123 labels, dots allowed, one trailing
 * dot): returns 0 with its first label, lowercase, in label; or -EINVAL. */
int dhcp_hostname_label(const char *s, size_t n, char label[LEASE_HOSTNAME_MAX + 1]);

/* Counters, for status and tests. */
struct dhcp_server_stats {
	uint64_t offers, acks, naks, informs, releases, declines, ignored, deferred;
	uint64_t probes, in_use, rate_limited, wrong_port;
	uint64_t port_full;       /* new leases refused: the port at its cap */
	size_t probes_ready;
};
void dhcp_server_stats(const struct dhcp_server *srv, struct dhcp_server_stats *st);

#endif
