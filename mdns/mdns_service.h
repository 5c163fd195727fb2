/* The mDNS responder on the bridge, as a service: start it once the
 * bridge has its address, reload it when the gateway moves, stop it (with
 * goodbyes), read its counters.
 *
 * One UDP socket on port 5353, shared with avahi or resolved if they
 * listen too (SO_REUSEADDR), bound to the bridge and member of 224.0.0.251
 * there only. It sends with IP TTL 255 and multicast loopback on, so that
 * the host's own resolver hears the answers. With an IPv6 prefix, a second
 * socket does the same on [::]:5353, member of ff02::fb on the bridge only,
 * hop limit 255 (RFC 6762 11); a failure there is logged and IPv4 goes
 * on alone. Announcements go out on both. It follows the name table:
 * a new name is announced, a name gone gets a goodbye. */
#ifndef DEFNET_MDNS_SERVICE_H
#define DEFNET_MDNS_SERVICE_H

#include <stdint.h>

#include <event2/event.h>

#include "mdns_responder.h"
#include "name_table.h"

struct mdns_service;

struct mdns_service_opts {
	const char *ifname;          /* the bridge */
	unsigned ifindex;
	uint32_t gateway;            /* host byte order */
	uint32_t subnet_addr;
	uint8_t subnet_len;
	struct name_table *names;    /* the caller owns it; it must outlive the service */
	uint8_t prefix6[16];         /* the guests' IPv6 prefix; prefix6_len 0: no IPv6 */
	uint8_t prefix6_len;
	dns_local_aaaa_fn aaaa;      /* guests' IPv6 addresses; NULL: no AAAA */
	void *aaaa_ctx;
	struct log_sink log;
	/* The bridge port of the live lease holding name, 0 if unknown: only
	 * an announcement from there silences the name (mdns_responder.h). */
	unsigned (*holder_port)(void *ctx, const char *name);
	void *ctx;
};

/* Opens the socket, listens to the name table and announces the names
 * already in it. Returns 0 or -errno after logging why. */
int mdns_service_start(struct event_base *base, const struct mdns_service_opts *opts,
		       struct mdns_service **svc);

/* Follows a new gateway or subnet (renumbering): goodbyes for every name,
 * then the names announced again. The bridge and the name table stay.
 * Returns 0 or -errno (then nothing changed). */
int mdns_service_reload(struct mdns_service *svc, const struct mdns_service_opts *opts);

/* Says goodbye for every name (RFC 6762 10.1), then closes. NULL is fine. */
void mdns_service_stop(struct mdns_service *svc);

/* The lease of name, at ip, was renewed: a silence on the name ends. */
void mdns_service_renewed(struct mdns_service *svc, const char *name, uint32_t ip);

/* An IPv6 address of the guest at ip came or went (mdns_responder.h). */
void mdns_service_aaaa_event(struct mdns_service *svc, uint32_t ip, const uint8_t addr[16],
			     bool added);

void mdns_service_counters(const struct mdns_service *svc, struct mdns_counters *c);

#endif
