/* Router advertisements on the bridge, as a service (RFC 4861 6.2): the
 * guests' prefix for SLAAC (L and A), the O flag (DNS from stateless
 * DHCPv6), the gateway as DNS server (RDNSS) and the domain (DNSSL, RFC
 * 8106), the bridge's MTU; answers to solicitations; unsolicited
 * advertisements on the RFC's schedule (ra_sched.h); one with router
 * lifetime 0 on stop.
 *
 * The router lifetime is the caller's call (default_router): non-zero only
 * while guests' IPv6 traffic has a way out. A reload that changes anything
 * advertises at once and restarts the initial schedule, so guests follow a
 * change in seconds rather than at the next periodic advertisement.
 *
 * One raw ICMPv6 socket bound to the bridge, letting only solicitations
 * in (ICMP6_FILTER), which sends with hop limit 255 (RFC 4861 6.1.2) to
 * ff02::1; the kernel picks the bridge's link-local address as source and
 * fills the checksum. */
#ifndef DEFNET_RA_SERVICE_H
#define DEFNET_RA_SERVICE_H

#include <stdbool.h>
#include <stdint.h>

#include <event2/event.h>

#include "log_sink.h"
#include "ra_codec.h"

struct ra_service;

struct ra_service_opts {
	const char *ifname;          /* the bridge */
	unsigned ifindex;
	uint8_t mac[6];              /* the bridge's, for the source link-layer option */
	uint8_t prefix[16];
	uint8_t prefix_len;          /* 64 */
	uint8_t old_prefix[16];      /* given up, advertised deprecated (ra_info) */
	uint8_t old_prefix_len;      /* 0: none */
	uint8_t gateway[16];         /* the DNS server advertised */
	uint32_t mtu;                /* 0: no MTU option */
	bool default_router;
	const char *domain;          /* "" or NULL: no DNSSL */
	struct log_sink log;
};

struct ra_counters {
	uint64_t sent, solicits, dropped;
	uint64_t announced;          /* unsolicited neighbor advertisements */
};

/* Opens the socket and sends the first advertisement. Returns 0 or -errno
 * after logging why. */
int ra_service_start(struct event_base *base, const struct ra_service_opts *opts,
		     struct ra_service **svc);

/* Takes new options (prefix, lifetime, domain, MTU); a change is
 * advertised at once. The bridge stays. Returns 0 or -errno. */
int ra_service_reload(struct ra_service *svc, const struct ra_service_opts *opts);

/* Sends the final advertisement (router lifetime 0), then closes. NULL is
 * fine. */
void ra_service_stop(struct ra_service *svc);

/* The gateway's address appeared or moved to a new MAC (an adopted or
 * recreated bridge, a renumbering): an unsolicited neighbor advertisement
 * to all nodes (RFC 4861 7.2.6), so that guests update their neighbor
 * cache at once. */
void ra_service_announce(struct ra_service *svc);

void ra_service_counters(const struct ra_service *svc, struct ra_counters *c);

/* Pure: the advertisement these options give (final: the last one, with
 * router lifetime 0). */
void ra_service_info(const struct ra_service_opts *o, bool final, struct ra_info *ra);

#endif
