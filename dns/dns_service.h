/* The gateway's DNS server, as a service: start it once the
 * bridge has its address, reload it with a new configuration, read its
 * counters, stop it.
 *
 * It listens on the gateway address (and the gateway's IPv6 address),
 * port 53, UDP and TCP, bound to the bridge (SO_BINDTODEVICE), so other DNS
 * servers of the host keep port 53 elsewhere, and answers only sources
 * inside the guest subnet (or the guests' IPv6 prefix): it is never
 * an open resolver. Names it owns are answered from the name table
 * (dns_local.h); the rest goes to the host's resolvers through c-ares
 * (dns_forward.h), with a cache (dns_cache.h). With upstream_auto the
 * resolvers are the nameserver lines of resolv_conf, followed as the file
 * changes (resolv_watch.h). */
#ifndef DEFNET_DNS_SERVICE_H
#define DEFNET_DNS_SERVICE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <event2/event.h>

#include "dns_history.h"
#include "dns_local.h"
#include "log_sink.h"
#include "name_table.h"
#include "resolv_conf.h"

#include "dns_const.h"

struct dns_service;

struct dns_service_opts {
	const char *ifname;          /* the bridge */
	uint32_t gateway;            /* host byte order */
	uint32_t subnet_addr;
	uint8_t subnet_len;
	/* Renumbering: the old gateway, still listened on, and its subnet,
	 * still answered, until the old leases are gone. 0: none. */
	uint32_t old_gateway;
	uint32_t old_subnet_addr;
	uint8_t old_subnet_len;
	/* The guests' IPv6 prefix, answered (its ip6.arpa zone too), and the
	 * gateway's address in it, listened on. prefix6_len 0: none. */
	uint8_t prefix6[16];
	uint8_t prefix6_len;
	uint8_t gateway6[16];
	dns_local_aaaa_fn aaaa;      /* guests' IPv6 addresses; NULL: no AAAA */
	dns_local_name6_fn name6;    /* and back; NULL: no guest names under ip6.arpa */
	void *aaaa_ctx;
	const char *domain;          /* "" or NULL: none */
	const char *hostname;        /* the host's name; may be a FQDN */
	struct name_table *names;    /* guest names; the caller owns it */
	bool upstream_auto;          /* resolvers from resolv_conf, followed */
	const char *resolv_conf;
	const struct dns_server_addr *upstreams;   /* when !upstream_auto */
	size_t n_upstreams;
	size_t cache_bytes;          /* 0: DNS_CACHE_DEFAULT_BYTES */
	uint16_t port;               /* 0: DNS_PORT */
	struct log_sink log;
};

struct dns_counters {
	uint64_t queries;            /* answered or not, from guests */
	uint64_t udp, tcp;           /* of which over UDP, over TCP */
	uint64_t udp_coalesced;      /* of the UDP ones, read on the tick (under load) */
	uint64_t local;              /* answered from owned zones */
	uint64_t cache_hits, cache_misses;
	uint64_t forwarded;          /* sent upstream */
	uint64_t upstream_failures;  /* timed out, refused, or a bad answer */
	uint64_t servfail;           /* SERVFAIL answers we made */
	uint64_t formerr;            /* malformed queries answered FORMERR */
	uint64_t dropped;            /* not answered (bad source, junk, overload) */
	uint64_t truncated;          /* sent with TC */
	uint64_t mismatched;         /* upstream answers not matching their question */
	uint64_t upstream_changes;   /* times the resolver set changed */
	uint64_t tcp_connections;    /* accepted so far */
	/* Refusals that keep one guest to its share (issue 18): */
	uint64_t tcp_refused_source; /* connection: its guest has DNS_TCP_PER_SOURCE */
	uint64_t tcp_refused_full;   /* connection: every slot busy, none idle */
	uint64_t tcp_idle_closed;    /* idle connections closed for a new one */
	uint64_t tcp_deadline_closed;/* a message not whole DNS_TCP_MSG_SECS after its start */
	uint64_t pending_refused_source;  /* misses: its guest's share in flight */
	uint64_t udp_refused_share;  /* UDP queries over their guest's share, overloaded */
	unsigned tcp_open;           /* open now */
	unsigned pending;            /* in flight upstream now */
	size_t cache_entries, cache_bytes;
	size_t n_upstreams;
	struct dns_server_addr upstreams[RESOLV_CONF_MAX_SERVERS];
};

/* Opens the sockets and starts forwarding. Returns 0 or -errno after
 * logging why (-EADDRINUSE: the port is taken on the gateway address). */
int dns_service_start(struct event_base *base, const struct dns_service_opts *opts,
		      struct dns_service **svc);

/* Applies new options: domain, hostname, subnet, upstream mode, servers,
 * resolv.conf path, and the gateways listened on (a renumbering: the new
 * gateway opens, the old one stays as old_gateway until it is 0; a new
 * bridge needs a restart). Returns 0 or -errno; on error the old settings
 * stay, and so do the sockets. */
int dns_service_reload(struct dns_service *svc, const struct dns_service_opts *opts);

/* Queries in flight are dropped. */
void dns_service_stop(struct dns_service *svc);

void dns_service_counters(const struct dns_service *svc, struct dns_counters *c);

/* The last query from the guest at src (doctor), or NULL. */
const struct dns_last_query *dns_service_last_query(const struct dns_service *svc, uint32_t src);

#endif
