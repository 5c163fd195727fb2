/* Stateless DHCPv6 on the bridge, as a service: for guests that take DNS
 * from DHCPv6 rather than from the router advertisement's RDNSS (the O
 * flag tells them to ask). One UDP socket on port 547, bound to the bridge,
 * member of All_DHCP_Relay_Agents_and_Servers (ff02::1:2, RFC 8415 7.1)
 * there; each Reply goes back to the client's address and port. */
#ifndef DEFNET_DHCP6_SERVICE_H
#define DEFNET_DHCP6_SERVICE_H

#include <stdint.h>

#include <event2/event.h>

#include "dhcp6_codec.h"
#include "log_sink.h"

struct dhcp6_service;

struct dhcp6_service_opts {
	const char *ifname;          /* the bridge */
	unsigned ifindex;
	uint8_t mac[6];              /* for the server's DUID */
	uint8_t dns[16];             /* the gateway's IPv6 address */
	const char *domain;          /* "" or NULL: no domain list */
	struct log_sink log;
};

struct dhcp6_counters {
	uint64_t replies, ignored;
};

/* Returns 0 or -errno after logging why. */
int dhcp6_service_start(struct event_base *base, const struct dhcp6_service_opts *opts,
			struct dhcp6_service **svc);
/* New DNS address or domain. Returns 0 or -EINVAL (a bad domain: the old
 * settings stay). */
int dhcp6_service_reload(struct dhcp6_service *svc, const struct dhcp6_service_opts *opts);
/* NULL is fine. */
void dhcp6_service_stop(struct dhcp6_service *svc);
void dhcp6_service_counters(const struct dhcp6_service *svc, struct dhcp6_counters *c);

#endif
