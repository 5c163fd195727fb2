/* defnet.conf: systemd-style INI. The parser is pure: text in, struct out,
 * or the first error with its line. README.md and defnet.conf(5)
 * (man/defnet.conf.5) document the keys. */
#ifndef DEFNET_CONFIG_H
#define DEFNET_CONFIG_H

#include <net/if.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "dns_const.h"
#include "forward.h"
#include "ip4.h"
#include "ip6.h"
#include "log.h"

#define CONFIG_DEFAULT_PATH "/etc/defnet/defnet.conf"
#define CONFIG_MAX_RESERVATIONS 4096
#define CONFIG_MAX_UPSTREAMS 8
#define CONFIG_HOSTNAME_MAX DNS_LABEL_MAX  /* one RFC 1123 label */
#define CONFIG_DOMAIN_MAX 253
/* New DHCP leases per second: room for a hundred guests booting at once
 * (the burst is one second's worth), each VM on its own port. */
#define CONFIG_RATE_LIMIT_DEFAULT 200
#define CONFIG_RATE_LIMIT_PORT_DEFAULT 20
#define CONFIG_RATE_LIMIT_MAX 1000000
/* Live leases per bridge port: a guest with many containers behind one
 * link has room; one port cannot take a pool. */
#define CONFIG_LEASES_PER_PORT_DEFAULT 64
#define CONFIG_LEASES_PER_PORT_MAX 16777216

struct config_reservation {
	uint8_t mac[6];
	uint32_t ip;
	char name[CONFIG_HOSTNAME_MAX + 1];  /* "" when none */
};

struct config_upstream {
	int family;          /* AF_INET or AF_INET6 */
	uint8_t addr[16];    /* network order, 4 or 16 bytes used */
	uint16_t port;       /* 53 unless given as [addr]:port or addr:port */
};

struct config {
	/* [Daemon] */
	enum log_level log_level;
	/* [Network] */
	char bridge[IFNAMSIZ];
	bool subnet_auto;
	struct ip4_prefix subnet;            /* valid when !subnet_auto */
	char domain[CONFIG_DOMAIN_MAX + 1];  /* "" when unset */
	bool ipv6;
	bool prefix6_auto;
	struct ip6_prefix prefix6;           /* a /64, valid when !prefix6_auto */
	/* [DHCP] */
	uint32_t lease_time;                 /* seconds */
	bool pool_auto;
	uint32_t pool_first, pool_last;      /* valid when !pool_auto */
	struct config_reservation *reservations;
	size_t n_reservations;
	uint32_t rate_limit;                 /* new leases per second, 0: off */
	uint32_t rate_limit_port;            /* the same per bridge port */
	uint32_t leases_per_port;            /* live leases per port, 0: off */
	/* [DNS] */
	bool upstream_auto;
	struct config_upstream upstreams[CONFIG_MAX_UPSTREAMS];
	size_t n_upstreams;
	char resolv_conf[256];
	/* [MDNS] */
	bool mdns_enable;
	/* [NAT] */
	bool masquerade;
	bool docker_compat;
	/* [Forward] */
	struct forward_table forwards;       /* each from_config */
	/* [Guard]: true drops (deny), the default. */
	bool guard_dhcp_servers;
	bool guard_router_ads;
	/* SpoofProtection=: off by default (guests with static addresses or
	 * nested bridges would lose their traffic). */
	bool guard_spoof;
};

struct config_error {
	unsigned line;   /* 0 when the error is not tied to a line */
	char msg[256];   /* "[Section] Key: what is wrong" */
};

void config_init(struct config *c);
void config_free(struct config *c);

/* Parses buf (len bytes, need not be NUL-terminated) over the defaults in
 * *c. Returns 0, or -EINVAL with *err filled in (c is then freed and reset
 * to the defaults). */
int config_parse(struct config *c, const char *buf, size_t len,
		 struct config_error *err);

/* Reads and parses path. A missing file is not an error: *c stays at the
 * defaults. Returns 0, -EINVAL (bad content, *err filled) or -errno (cannot
 * read; *err filled with the reason). */
int config_load(struct config *c, const char *path, struct config_error *err);

#endif
