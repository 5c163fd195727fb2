/* defnetd's state and its life cycle: start (bridge, subnet, sockets),
 * reload, stop. main.c parses the arguments; this wires the modules. */
#ifndef DEFNET_DAEMON_H
#define DEFNET_DAEMON_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include <event2/event.h>

#include "config.h"
#include "control.h"
#include "ip4.h"
#include "nat_apply.h"
#include "nl.h"

struct dhcp_service;
struct dns_service;
struct mdns_service;
struct name_table;
struct uplink;

struct daemon {
	const char *config_path;
	const char *state_dir;
	const char *runtime_dir;
	struct config cfg;

	struct event_base *base;
	struct event *sig_term, *sig_int, *sig_hup;
	struct control *control;
	struct nl nl;
	struct nat_conn nat;  /* nftables, open for the daemon's life */

	unsigned ifindex;
	bool bridge_created;
	uint8_t mac[6];
	uint64_t subnet_seed;               /* from the machine id */
	struct ip4_prefix previous_subnet;  /* from the state file; len 0: none */
	struct ip4_prefix subnet;
	/* Renumbering (renumber.h): the subnet guests are moving out of, still
	 * served (NAT, gateway address, DNS) and NAKed by DHCP; len 0: none. */
	struct ip4_prefix old_subnet;
	uint32_t gateway;
	uint64_t started_ms;  /* CLOCK_BOOTTIME */
	struct uplink *uplink;  /* the uplink watch (uplink.h) */
	struct name_table *names;  /* guest names, for DNS (and mDNS) */
	struct dns_service *dns;
	struct dhcp_service *dhcp;  /* dhcp_service.h */
	struct mdns_service *mdns;  /* NULL: [MDNS] Enable=no, or it could not start */
};

/* Sets up everything and tells the service manager READY=1. Returns 0, or
 * -errno after logging what failed. */
int daemon_start(struct daemon *d);

/* Replaces the nftables table inet defnet: the subnet, and old_subnet while
 * renumbering. Returns 0 or -errno after logging why. */
int daemon_apply_nat(struct daemon *d);

/* After renumbering: DHCP, DNS and mDNS follow the new subnet and gateway. */
void daemon_renumbered(struct daemon *d);
/* After the old subnet's drain ended (renumber_drain_done): DHCP and DNS
 * let go of the old gateway. */
void daemon_drained(struct daemon *d);

/* Runs the event loop until SIGTERM/SIGINT. */
int daemon_run(struct daemon *d);

/* Re-reads the configuration. A bad file keeps the running configuration;
 * the reason ("FILE:LINE: ...") is written to err. Returns 0 or -errno. */
int daemon_reload(struct daemon *d, char *err, size_t errlen);

/* Frees what daemon_start() made; the bridge and its address stay. */
void daemon_stop(struct daemon *d);

/* Loads a configuration file; on error err holds "FILE:LINE: reason"
 * (line omitted when the error has none). Returns 0 or -errno. */
int daemon_load_config(const char *path, struct config *c, char *err, size_t errlen);

/* The control socket's commands (commands.c). */
int daemon_command(void *ctx, const struct control_request *req, FILE *out,
		   char *err, size_t errlen);

#endif
