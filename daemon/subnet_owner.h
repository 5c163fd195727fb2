/* The one owner of the guest subnet: its choice, the gateway address on
 * the bridge, the state file, and renumbering. Nothing else writes the
 * subnet; the rest of the daemon reads the fields below and hears of every
 * change through one callback.
 *
 * Start and run time share one path: load the state file, read the
 * host's routes and addresses, keep the current subnet unless it
 * conflicts, choose a free one otherwise, save.
 *   - Subnet=auto keeps the subnet of the last run unless the host now
 *     uses part of it; otherwise it picks a free /20 and remembers the one
 *     that conflicted so it is not picked again.
 *   - A fixed subnet is never changed: a warning says what it overlaps.
 *
 * Renumbering (a route or address that overlaps the subnet appears at run
 * time, a VPN pushing 172.16.0.0/12, and Subnet=auto):
 *   - the new gateway address is added to the bridge, the old one stays:
 *     guests renew by unicast to the old gateway, so it must answer until
 *     every old lease has renewed into the new subnet or expired;
 *   - old_subnet holds the subnet being drained: NAT, DNS and the gateway
 *     address still serve it, and the DHCP server NAKs every request for
 *     an address in it (RFC 2131 4.3.2: a REQUEST for an address not on
 *     the client's network is NAKed), which is what moves dhclient and
 *     udhcpc, which ignore carrier;
 *   - carrier drops briefly on the bridge's veth ports (port_flap.h);
 *   - the drain ends when the DHCP service reports no live lease left in
 *     the old subnet (subnet_owner_drain_done()), or one lease time (the
 *     longest an old lease can still run) after the change.
 *
 * The guests' IPv6 /64 (subnet_owner6.c) follows the same path: Prefix6=
 * auto keeps the last run's ULA unless the host uses part of it, else
 * picks another (ip6_ula_choose) and remembers the conflict; a fixed one
 * is only warned about. There is no drain: the old gateway address goes
 * at once, and old_prefix6 holds the prefix given up (at run time, or
 * since the last run) for two hours, which the router advertisements
 * list deprecated (ra_codec.h) so that guests stop using it at once. */
#ifndef DEFNET_SUBNET_OWNER_H
#define DEFNET_SUBNET_OWNER_H

#include <stdbool.h>
#include <stdint.h>

#include <event2/event.h>

#include "ip4.h"
#include "ip6.h"
#include "nl.h"
#include "port_flap.h"
#include "subnet_state.h"

struct subnet_owner_opts {
	struct nl *nl;
	struct event_base *base;
	const char *state_dir;
	const char *bridge;          /* name, for messages */
	unsigned ifindex;
	uint64_t seed;               /* from the machine id: the preferred choice */
	bool subnet_auto;
	struct ip4_prefix subnet;    /* when !subnet_auto */
	uint32_t lease_time;         /* seconds: the longest drain */
	bool ipv6;
	uint64_t seed6;              /* from the machine id: the ULA's Global ID */
	bool prefix6_auto;
	struct ip6_prefix prefix6;   /* when !prefix6_auto */
	/* subnet, gateway or old_subnet changed (renumbering, end of a
	 * drain); not called from subnet_owner_start(). */
	void (*changed)(void *ctx);
	void *ctx;
};

/* Read these; only subnet_owner.c writes them. */
struct subnet_owner {
	struct subnet_owner_opts o;
	struct ip4_prefix subnet;
	uint32_t gateway;
	struct ip4_prefix old_subnet;   /* being drained; len 0: none */
	unsigned renumbered;            /* renumberings since start */
	struct ip4_prefix conflict;     /* what the subnet last overlapped */
	struct ip4_prefix warned;       /* fixed subnet: the overlap warned about */
	struct event *drain_timer;
	struct port_flap flap;
	char state_dir[4096];
	struct ip6_prefix prefix6;      /* len 0: IPv6=no */
	uint8_t gateway6[16];           /* PREFIX::1 */
	unsigned renumbered6;
	struct ip6_prefix conflict6;    /* what the prefix last overlapped */
	struct ip6_prefix warned6;      /* fixed prefix: the overlap warned about */
	struct ip6_prefix old_prefix6;  /* given up, advertised deprecated; len 0: none */
	struct event *old6_timer;
	bool unsaved;                   /* a new choice, for subnet_owner_save_start() */
	struct subnet_state start_state;
};

/* Chooses the subnet and puts its gateway on the bridge (a gateway of the
 * last run's subnet, if that was given up, is removed). A new choice is
 * saved by subnet_owner_save_start(), so that its fsync comes after the
 * services that serve the first guests. Returns 0, or -errno after
 * logging why. */
int subnet_owner_start(struct subnet_owner *so, const struct subnet_owner_opts *opts);
/* Writes the state file if the start chose anew (once). */
void subnet_owner_save_start(struct subnet_owner *so);

/* The host's routes or addresses changed: renumbers (auto) or warns once
 * (fixed) when the subnet now overlaps one. */
void subnet_owner_check(struct subnet_owner *so);

/* Ends the drain of the old subnet now: its gateway address goes. */
void subnet_owner_drain_done(struct subnet_owner *so);

/* Puts the gateway addresses (and the draining old gateway's) back on the
 * bridge when someone removed them; ifindex is the bridge's, which changes
 * when the bridge was deleted and made again. Returns how many addresses
 * it added (each logged), or -errno after logging why. */
int subnet_owner_restore(struct subnet_owner *so, unsigned ifindex);

void subnet_owner_stop(struct subnet_owner *so);

struct subnet_state;
/* subnet_owner6.c, called by the above: the prefix at start (with IPv6
 * forwarding), from the state file st already read; sets *save when st
 * must be written (the caller writes it once for both); and its check
 * when the host's routes change. */
int subnet_owner6_start(struct subnet_owner *so, struct subnet_state *st, bool *save);
/* The state file, shared by both: a bad file reads as empty (logged); a
 * save records the current subnet and prefix. */
void subnet_owner_load(struct subnet_owner *so, struct subnet_state *st);
void subnet_owner_save(struct subnet_owner *so, struct subnet_state *st);
void subnet_owner6_check(struct subnet_owner *so);
/* The IPv6 gateway address back on the bridge: 1 restored, 0 there (or no
 * prefix), -errno after logging why. */
int subnet_owner6_restore(struct subnet_owner *so);

#endif
