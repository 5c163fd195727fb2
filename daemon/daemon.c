#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "announce.h"
#include "boot_clock.h"
#include "bridge.h"
#include "daemon.h"
#include "dhcp6_glue.h"
#include "dhcp_glue.h"
#include "forward_glue.h"
#include "glue.h"
#include "log.h"
#include "machine_id.h"
#include "name_table.h"
#include "subnet.h"
#include "neigh6_watch.h"
#include "notify.h"
#include "ra_glue.h"
#include "uplink.h"

/* The first scan of the host's firewall, this long after start. */
#define DAEMON_FIREWALL_SCAN_MS 500

int daemon_load_config(const char *path, struct config *c, char *err, size_t errlen)
{
	struct config_error e = { 0 };
	int r = config_load(c, path, &e);

	if (r < 0) {
		if (e.line)
			snprintf(err, errlen, "%s:%u: %s", path, e.line, e.msg);
		else
			snprintf(err, errlen, "%s: %s", path, e.msg);
	}
	return r;
}

static int daemon_mkdir(const char *path)
{
	if (mkdir(path, 0755) < 0 && errno != EEXIST) {
		int r = -errno;
		log_error("cannot create %s: %s", path, strerror(-r));
		return r;
	}
	return 0;
}

/* The bridge's MAC comes from the machine id, so guests' ARP caches stay
 * valid across restarts and reboots. */
static int daemon_setup_bridge(struct daemon *d)
{
	char mac[MAC_STRLEN];
	uint8_t id[16] = { 0 };
	int r;

	r = machine_id_read(MACHINE_ID_PATH, id);
	if (r < 0)
		log_warning("cannot read %s (%s): bridge MAC and subnet choice will not be "
			    "specific to this host", MACHINE_ID_PATH, strerror(-r));
	machine_id_bridge_mac(id, d->cfg.bridge, d->mac);
	d->subnet_seed = machine_id_derive(id, "subnet");
	d->prefix6_seed = machine_id_derive(id, "ula");

	r = bridge_ensure(&d->nl, d->cfg.bridge, d->mac, &d->ifindex, &d->bridge_created);
	if (r == -EEXIST) {
		log_error("%s exists and is not a bridge: rename it or set Bridge= to another name",
			  d->cfg.bridge);
		return r;
	}
	if (r < 0) {
		log_error("cannot create bridge %s: %s", d->cfg.bridge, strerror(-r));
		return r;
	}
	log_info("bridge %s %s (ifindex %u, MAC %s)", d->cfg.bridge,
		 d->bridge_created ? "created" : "adopted", d->ifindex, mac_format(d->mac, mac));
	return 0;
}

static int daemon_bring_up(struct daemon *d)
{
	int r = bridge_set_up(&d->nl, d->ifindex);

	if (r < 0) {
		log_error("cannot bring %s up: %s", d->cfg.bridge, strerror(-r));
		return r;
	}
	r = ip_forwarding_enable();
	if (r < 0)
		log_error("cannot enable IPv4 forwarding: %s", strerror(-r));
	return r;
}

void daemon_announce_gateway(struct daemon *d)
{
	const struct subnet_owner *sn = &d->subnet;
	uint32_t ips[ANNOUNCE_MAX_ADDRS] = { sn->gateway };
	size_t n = 1;

	if (sn->old_subnet.len)
		ips[n++] = subnet_gateway(sn->old_subnet);
	announce_gateway(d->announce, d->ifindex, d->mac, ips, n);
	ra_glue_announce(d);
}

/* A guest that talked to an adopted bridge before holds its old MAC for
 * the gateway: the first announcement goes out as soon as the bridge is
 * up with its address. */
static void daemon_start_announce(struct daemon *d)
{
	int r = announce_open(d->base, &d->announce);

	if (r < 0)
		log_warning("no gratuitous ARP: %s", strerror(-r));
	daemon_announce_gateway(d);
}

/* What follows from events ------------------------------------------------------ */

/* The subnet owner moved the subnet or ended a drain: the table, DHCP, DNS
 * and mDNS follow (DHCP then NAKs requests for the old subnet, "wrong
 * network"; DNS listens on both gateways while the old one drains). */
static void daemon_on_subnet_changed(void *ctx)
{
	struct daemon *d = ctx;

	if (nat_glue_apply(d) < 0)
		log_error("the nftables table does not follow the subnet until it applies");
	dhcp_glue_reload(d, NULL);
	dns_glue_reload(d);
	mdns_glue_reload(d);
	forward_glue_follow(d);
	ra_glue_follow(d);
	dhcp6_glue_reload(d);
	daemon_announce_gateway(d);
}

void daemon_on_neigh6_changed(struct daemon *d)
{
	forward_glue_follow(d);
}

static void daemon_coexist_log(void *ctx, enum log_level level, const char *msg)
{
	log_msg(level, "%s", msg);
}

static void daemon_check_firewall(struct daemon *d)
{
	const struct coexist_opts o = {
		.bridge = d->cfg.bridge, .docker_compat = d->cfg.docker_compat,
		.ipv6 = d->subnet.prefix6.len != 0, .log = { daemon_coexist_log, NULL },
	};

	coexist_check(&d->coexist, &o);
}

/* The watch saw the host change: the uplink may have moved, a route may
 * now overlap the subnet, someone may have changed the firewall. */
static void daemon_on_host_events(void *ctx, unsigned events)
{
	struct daemon *d = ctx;

	log_msg(LOG_LEVEL_DEBUG, "uplink watch: events 0x%x", events);
	if (events & (UPLINK_EV_LINK | UPLINK_EV_ADDR | UPLINK_EV_OVERRUN))
		heal_bridge(d);
	if (events & (UPLINK_EV_LINK | UPLINK_EV_ADDR | UPLINK_EV_ROUTE | UPLINK_EV_RULE |
		      UPLINK_EV_OVERRUN)) {
		uplink_evaluate(d->uplink);
		ra_glue_follow(d);
	}
	if (events & (UPLINK_EV_ADDR | UPLINK_EV_ROUTE | UPLINK_EV_OVERRUN))
		subnet_owner_check(&d->subnet);
	if (events & (UPLINK_EV_NFT | UPLINK_EV_OVERRUN)) {
		nat_glue_heal(d);
		daemon_check_firewall(d);
	}
	if (events & (UPLINK_EV_LINK | UPLINK_EV_OVERRUN))
		nat_glue_ports(d);
}

static void daemon_on_first_scan(evutil_socket_t fd, short what, void *arg)
{
	daemon_check_firewall(arg);
}

/* The uplink as it is now, then the watch for what changes it. The
 * firewall scan waits DAEMON_FIREWALL_SCAN_MS: its netfilter socket,
 * closed right after our table was replaced, waits for the kernel to
 * destroy the old one (10-15 ms with the loop stopped), and neither
 * READY=1 nor the first guests' DHCP and DNS need to wait for that (the
 * first forwarded DNS answer came 12 ms after READY=1 when the scan ran
 * on the loop's first turn). */
static int daemon_watch_host(struct daemon *d)
{
	int r = uplink_start(d, &d->uplink);

	if (r < 0)
		return r;
	r = uplink_watch_open(&d->watch, d->base, daemon_on_host_events, d);
	if (r < 0) {
		log_error("cannot watch the host's links, addresses and routes: %s", strerror(-r));
		return r;
	}
	if (event_base_once(d->base, -1, EV_TIMEOUT, daemon_on_first_scan, d,
			    &(struct timeval){ 0, DAEMON_FIREWALL_SCAN_MS * 1000 }) < 0)
		daemon_check_firewall(d);
	return 0;
}

static int daemon_start_subnet(struct daemon *d)
{
	const struct subnet_owner_opts o = {
		.nl = &d->nl, .base = d->base, .state_dir = d->state_dir,
		.bridge = d->cfg.bridge, .ifindex = d->ifindex, .seed = d->subnet_seed,
		.subnet_auto = d->cfg.subnet_auto, .subnet = d->cfg.subnet,
		.lease_time = d->cfg.lease_time, .changed = daemon_on_subnet_changed, .ctx = d,
		.ipv6 = d->cfg.ipv6, .seed6 = d->prefix6_seed, .prefix6_auto = d->cfg.prefix6_auto,
		.prefix6 = d->cfg.prefix6,
	};

	return subnet_owner_start(&d->subnet, &o);
}

static int daemon_new_names(struct daemon *d)
{
	d->names = name_table_new();
	if (!d->names)
		log_error("out of memory for the name table");
	return d->names ? 0 : -ENOMEM;
}

static void daemon_on_stop_signal(evutil_socket_t sig, short what, void *arg)
{
	struct daemon *d = arg;

	log_info("%s received, stopping", sig == SIGINT ? "SIGINT" : "SIGTERM");
	notify_send("STOPPING=1");
	d->stop_asked = true;
	event_base_loopbreak(d->base);
}

static void daemon_on_hup(evutil_socket_t sig, short what, void *arg)
{
	struct daemon *d = arg;
	char err[512];

	if (!d->ready) {
		d->reload_asked = true;
		return;
	}
	daemon_reload(d, err, sizeof(err));
}

static int daemon_setup_signals(struct daemon *d)
{
	signal(SIGPIPE, SIG_IGN);
	d->sig_term = evsignal_new(d->base, SIGTERM, daemon_on_stop_signal, d);
	d->sig_int = evsignal_new(d->base, SIGINT, daemon_on_stop_signal, d);
	d->sig_hup = evsignal_new(d->base, SIGHUP, daemon_on_hup, d);
	if (!d->sig_term || !d->sig_int || !d->sig_hup ||
	    evsignal_add(d->sig_term, NULL) < 0 || evsignal_add(d->sig_int, NULL) < 0 ||
	    evsignal_add(d->sig_hup, NULL) < 0) {
		log_error("cannot install signal handlers");
		return -ENOMEM;
	}
	return 0;
}

static int daemon_open_control(struct daemon *d)
{
	char path[4096];
	int r;

	if ((size_t)snprintf(path, sizeof(path), "%s/control", d->runtime_dir) >= sizeof(path))
		return -ENAMETOOLONG;
	r = control_open(&d->control, d->base, path, daemon_command, d);
	if (r < 0)
		log_error("cannot open the control socket %s: %s", path, strerror(-r));
	return r;
}

/* One turn of the loop, not waiting: what has started serves while the
 * rest starts. A first query is forwarded and answered between two later
 * steps instead of after READY=1 (2 ms after the start of daemon_start()
 * instead of 4). Returns false once a stop signal has come: the caller
 * stops starting, daemon_run() returns at once. */
static bool daemon_serve(struct daemon *d)
{
	if (event_base_loop(d->base, EVLOOP_NONBLOCK | EVLOOP_ONCE) < 0)
		log_warning("the event loop failed during the start");
	return !d->stop_asked;
}

/* The start order, in one place: the bridge, its subnet and address, the
 * table with the forwards; the name table before the services that share
 * it (DHCP writes it, DNS and mDNS read it); DNS and DHCP. From there the
 * loop serves them between the steps: the forwards follow the leases just
 * loaded, the gateway is announced, mDNS (which may fail), IPv6, the state
 * file of a new subnet; the watch of the host, whose events reach all of
 * them; last the control socket, so that no command sees a daemon half
 * started. */
int daemon_start(struct daemon *d)
{
	char subnet[IP4_PREFIX_STRLEN];
	int r;

	d->started_ms = boot_clock_ms();
	nat_glue_init(d);
	heal_gate_init(&d->bridge_heal, d, "bridge", heal_bridge);
	log_set_level(d->cfg.log_level);
	if ((r = daemon_mkdir(d->state_dir)) < 0 || (r = daemon_mkdir(d->runtime_dir)) < 0)
		return r;
	d->base = event_base_new();
	if (!d->base) {
		log_error("cannot create the event loop");
		return -ENOMEM;
	}
	r = nl_open(&d->nl);
	if (r < 0) {
		log_error("cannot open rtnetlink: %s", strerror(-r));
		return r;
	}
	if ((r = daemon_setup_signals(d)) < 0 ||
	    (r = daemon_setup_bridge(d)) < 0 ||
	    (r = daemon_start_subnet(d)) < 0 ||
	    (r = daemon_bring_up(d)) < 0)
		return r;
	forward_glue_start(d);  /* the table holds the forwards */
	if ((r = nat_glue_apply(d)) < 0 ||
	    (r = daemon_new_names(d)) < 0 ||
	    (r = dns_glue_start(d)) < 0 ||
	    (r = dhcp_glue_start(d)) < 0)
		return r;
	if (!daemon_serve(d))
		return 0;
	forward_glue_follow(d);
	daemon_start_announce(d);
	if (!daemon_serve(d))
		return 0;
	mdns_glue_start(d);
	if (!daemon_serve(d))
		return 0;
	ra_glue_start(d);
	dhcp6_glue_start(d);
	neigh6_watch_start(d);
	if (!daemon_serve(d))
		return 0;
	subnet_owner_save_start(&d->subnet);
	if (!daemon_serve(d))
		return 0;
	if ((r = daemon_watch_host(d)) < 0)
		return r;
	if (!daemon_serve(d))
		return 0;
	if ((r = daemon_open_control(d)) < 0)
		return r;
	d->ready = true;
	notify_send("READY=1\nSTATUS=%s up, subnet %s", d->cfg.bridge,
		    ip4_prefix_format(d->subnet.subnet, subnet));
	log_info("ready in %llu ms", (unsigned long long)(boot_clock_ms() - d->started_ms));
	if (d->reload_asked) {
		char err[512];

		daemon_reload(d, err, sizeof(err));
	}
	return 0;
}

int daemon_run(struct daemon *d)
{
	if (d->stop_asked)
		return 0;
	return event_base_dispatch(d->base) < 0 ? -EIO : 0;
}

/* Keys that change what is already built need a restart for now; say so
 * rather than pretend they were applied. */
static void daemon_warn_restart_keys(const struct config *old, const struct config *new)
{
	if (strcmp(old->bridge, new->bridge) != 0)
		log_warning("reload: Bridge= changed; it takes effect at the next restart");
	if (old->subnet_auto != new->subnet_auto || old->subnet.addr != new->subnet.addr ||
	    old->subnet.len != new->subnet.len)
		log_warning("reload: Subnet= changed; it takes effect at the next restart");
	if (old->ipv6 != new->ipv6 || old->prefix6_auto != new->prefix6_auto ||
	    !ip6_prefix_equal(&old->prefix6, &new->prefix6))
		log_warning("reload: IPv6= or Prefix6= changed; it takes effect at the next restart");
}

int daemon_reload(struct daemon *d, char *err, size_t errlen)
{
	struct config next, old;
	bool nat_changed;
	int r;

	notify_send("RELOADING=1\nMONOTONIC_USEC=%llu", notify_monotonic_usec());
	config_init(&next);
	r = daemon_load_config(d->config_path, &next, err, errlen);
	if (r < 0) {
		log_error("reload failed, keeping the running configuration: %s", err);
		notify_send("READY=1");
		return r;
	}
	nat_changed = d->cfg.masquerade != next.masquerade ||
		      d->cfg.guard_dhcp_servers != next.guard_dhcp_servers ||
		      d->cfg.guard_router_ads != next.guard_router_ads ||
		      d->cfg.guard_spoof != next.guard_spoof;
	old = d->cfg;
	daemon_warn_restart_keys(&d->cfg, &next);
	d->cfg = next;
	log_set_level(d->cfg.log_level);
	dhcp_glue_reload(d, &old);
	dns_glue_reload(d);
	mdns_glue_reload(d);
	dhcp6_glue_reload(d);
	config_free(&old);
	forward_glue_reload(d);
	if (nat_changed && (r = nat_glue_apply(d)) < 0)
		snprintf(err, errlen, "configuration loaded, but nftables refused the "
			 "new ruleset (see the log)");
	/* Masquerade= and DockerCompat= change what follows host events. */
	if (d->uplink)
		daemon_on_host_events(d, UPLINK_EV_ALL);
	log_info("configuration reloaded from %s", d->config_path);
	notify_send("READY=1");
	return r;
}

void daemon_stop(struct daemon *d)
{
	control_close(d->control);
	d->control = NULL;
	uplink_watch_close(d->watch);
	d->watch = NULL;
	uplink_stop(d->uplink);
	d->uplink = NULL;
	mdns_glue_stop(d);  /* goodbyes: before the names go */
	ra_glue_stop(d);    /* router lifetime 0: guests stop routing through us */
	dhcp6_glue_stop(d);
	neigh6_watch_stop(d);
	dhcp_glue_stop(d);
	dns_glue_stop(d);
	nat_glue_stop(d);
	announce_close(d->announce);
	d->announce = NULL;
	heal_gate_stop(&d->bridge_heal);
	name_table_free(d->names);
	d->names = NULL;
	subnet_owner_stop(&d->subnet);
	if (d->sig_term)
		event_free(d->sig_term);
	if (d->sig_int)
		event_free(d->sig_int);
	if (d->sig_hup)
		event_free(d->sig_hup);
	d->sig_term = d->sig_int = d->sig_hup = NULL;
	nl_close(&d->nl);
	nat_conn_close(&d->nat);
	if (d->base)
		event_base_free(d->base);
	d->base = NULL;
	config_free(&d->cfg);
}
