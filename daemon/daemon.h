/* defnetd's state and its life cycle: start (bridge, subnet, sockets),
 * reload, stop. main.c parses the arguments; daemon.c is the composition
 * root: it starts the modules in order and routes what happens between
 * them (host changes, subnet changes, reloads). */
#ifndef DEFNET_DAEMON_H
#define DEFNET_DAEMON_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include <event2/event.h>

#include "config.h"
#include "coexist.h"
#include "control.h"
#include "heal.h"
#include "host6.h"
#include "ip4.h"
#include "nat_apply.h"
#include "nat_spoof.h"
#include "nl.h"
#include "subnet_owner.h"

struct announce;
struct doctor_trace;
struct dhcp_service;
struct dns_service;
struct mdns_service;
struct ra_service;
struct dhcp6_service;
struct neigh6_watch;
struct name_table;
struct uplink;
struct uplink_watch;

/* The table inet defnet as last applied, to see when someone else removed
 * or changed it (nat_glue.c). */
struct nat_heal {
	uint64_t fp;                /* nat_conn_fingerprint() after our batch */
	bool fp_known;
	struct heal_gate gate;
};

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
	struct nat_heal nat_heal;
	struct heal_gate bridge_heal; /* the bridge deleted, made again */
	/* The bridge's ports as the guards' set last got them, sorted. */
	uint32_t guard_ports[NAT_MAX_PORTS];
	size_t n_guard_ports;
	/* Every NAT_GLUE_GUARD_LOG_S: what the guards dropped since. */
	struct event *guard_timer;
	uint64_t guard_logged[NAT_GUARD_COUNT];
	/* SpoofProtection=yes: the bindings in the bridge table's sets, a
	 * batch kept for their changes, and the changes not sent yet
	 * (spoof_glue.c). */
	struct nat_spoof_table spoof;
	struct nat_batch *spoof_batch;
	struct nat_spoof_op *spoof_queue;
	size_t n_spoof_queue;
	/* The ports the guards drop from (nflog); NULL: not bound, tried
	 * once (guard_log_tried) or every guard off. */
	struct guard_log *guard_log;
	bool guard_log_tried;

	unsigned ifindex;
	bool bridge_created;
	uint8_t mac[6];
	uint64_t subnet_seed;       /* from the machine id */
	uint64_t prefix6_seed;      /* likewise, for the ULA */
	uint64_t started_ms;        /* CLOCK_BOOTTIME */
	bool ready;                 /* READY=1 sent */
	bool stop_asked;            /* SIGTERM or SIGINT, maybe during the start */
	bool reload_asked;          /* SIGHUP before READY=1: reloaded after it */
	struct subnet_owner subnet; /* subnet, gateway, renumbering: read only */
	struct uplink_watch *watch; /* links, addresses, routes, nftables */
	struct uplink *uplink;      /* where guest traffic leaves (uplink.h) */
	struct coexist coexist;     /* the host's firewalls, as last scanned */
	struct name_table *names;   /* guest names: DHCP writes, DNS and mDNS read */
	struct dns_service *dns;
	struct dhcp_service *dhcp;
	struct mdns_service *mdns;  /* NULL: [MDNS] Enable=no, or it could not start */
	struct ra_service *ra;      /* NULL: IPv6=no, or it could not start */
	struct dhcp6_service *dhcp6; /* likewise */
	struct neigh6_watch *neigh6; /* guests' IPv6 addresses; NULL: IPv6=no */
	struct uplink6 uplink6;     /* the guests' IPv6 way out, as last looked up */
	struct forward_table forwards; /* the configuration's, then the CLI's */
	struct announce *announce;  /* gratuitous ARP; NULL: no AF_PACKET socket */
	struct doctor_trace *trace; /* `doctor GUEST --trace` running; NULL: none */
	uint32_t trace_addr;        /* the guest it traces, in our table; 0: none */
};

/* Sets up everything and tells the service manager READY=1. Returns 0, or
 * -errno after logging what failed. */
int daemon_start(struct daemon *d);

/* Tells the guests the gateway's MAC (announce.h): its address, and the
 * old one while a renumbering drains. */
void daemon_announce_gateway(struct daemon *d);
/* neigh6_watch.c: a guest's IPv6 address appeared, moved or went. */
void daemon_on_neigh6_changed(struct daemon *d);

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
