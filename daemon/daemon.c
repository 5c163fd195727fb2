#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "boot_clock.h"
#include "bridge.h"
#include "daemon.h"
#include "dhcp_service.h"
#include "dns_service.h"
#include "mdns_service.h"
#include "log.h"
#include "machine_id.h"
#include "nat_apply.h"
#include "notify.h"
#include "routes.h"
#include "subnet.h"
#include "subnet_state.h"
#include "uplink.h"

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

/* Logs the first route or address that overlaps p. */
static void daemon_log_conflict(int level, const char *what, struct ip4_prefix p,
				const struct prefix_list *used)
{
	char a[IP4_PREFIX_STRLEN], b[IP4_PREFIX_STRLEN];

	for (size_t i = 0; i < used->n; i++) {
		if (ip4_prefix_overlaps(p, used->v[i])) {
			log_msg(level, "%s %s overlaps %s, which the host already uses", what,
				ip4_prefix_format(p, a), ip4_prefix_format(used->v[i], b));
			return;
		}
	}
}

/* Subnet=auto keeps the subnet of the last run unless the host now uses
 * part of it; otherwise it picks a free /20 and remembers the one that
 * conflicted so it is not picked again. */
static int daemon_choose_subnet(struct daemon *d)
{
	struct prefix_list used = { 0 };
	struct subnet_state st = { 0 };
	char buf[IP4_PREFIX_STRLEN], gw[IP4_STRLEN];
	int r;

	r = routes_dump_used(&d->nl, d->ifindex, &used);
	if (r < 0) {
		log_error("cannot read the routing tables: %s", strerror(-r));
		return r;
	}
	r = subnet_state_load(d->state_dir, &st);
	if (r < 0) {
		log_warning("%s/subnet is unreadable (%s): choosing the subnet afresh",
			    d->state_dir, strerror(-r));
		st = (struct subnet_state){ 0 };
	}
	d->previous_subnet = st.have_current ? st.current : (struct ip4_prefix){ 0 };

	if (!d->cfg.subnet_auto) {
		d->subnet = d->cfg.subnet;
		if (subnet_conflicts(d->subnet, used.v, used.n))
			daemon_log_conflict(LOG_LEVEL_WARNING, "Subnet=", d->subnet, &used);
	} else if (st.have_current && !subnet_conflicts(st.current, used.v, used.n)) {
		d->subnet = st.current;
	} else {
		if (st.have_current) {
			daemon_log_conflict(LOG_LEVEL_WARNING, "subnet", st.current, &used);
			subnet_state_add_conflicted(&st, st.current);
		}
		r = subnet_choose(used.v, used.n, st.conflicted, st.n_conflicted,
				  d->subnet_seed, &d->subnet);
		if (r < 0) {
			log_error("no free /%d left in 172.16.0.0/12, 10.0.0.0/8 or 192.168.0.0/16: "
				  "set Subnet= by hand", SUBNET_AUTO_LEN);
			goto out;
		}
	}
	d->gateway = subnet_gateway(d->subnet);

	if (!st.have_current || st.current.addr != d->subnet.addr || st.current.len != d->subnet.len) {
		st.have_current = true;
		st.current = d->subnet;
		r = subnet_state_save(d->state_dir, &st);
		if (r < 0)
			log_warning("cannot save %s/subnet: %s", d->state_dir, strerror(-r));
		r = 0;
	}
	log_info("subnet %s (%s), gateway %s", ip4_prefix_format(d->subnet, buf),
		 d->cfg.subnet_auto ? "auto" : "fixed", ip4_format(d->gateway, gw));
out:
	prefix_list_free(&used);
	return r;
}

static int daemon_setup_addresses(struct daemon *d)
{
	struct ip4_prefix old = d->previous_subnet;
	int r;

	/* A subnet given up since the last run leaves its gateway behind. */
	if (old.len && (old.addr != d->subnet.addr || old.len != d->subnet.len)) {
		r = bridge_addr_del(&d->nl, d->ifindex, subnet_gateway(old), old.len);
		if (r < 0)
			log_warning("cannot remove the old gateway address: %s", strerror(-r));
	}
	r = bridge_addr_add(&d->nl, d->ifindex, d->gateway, d->subnet.len);
	if (r < 0) {
		log_error("cannot add the gateway address to %s: %s", d->cfg.bridge, strerror(-r));
		return r;
	}
	r = bridge_set_up(&d->nl, d->ifindex);
	if (r < 0) {
		log_error("cannot bring %s up: %s", d->cfg.bridge, strerror(-r));
		return r;
	}
	r = ip_forwarding_enable();
	if (r < 0) {
		log_error("cannot enable IPv4 forwarding: %s", strerror(-r));
		return r;
	}
	return 0;
}

/* The whole inet defnet table, replaced in one atomic batch. */
int daemon_apply_nat(struct daemon *d)
{
	struct nat_ruleset rs;
	char err[NAT_ERR_SIZE];
	int r;

	r = nat_ruleset_init(&rs, d->cfg.bridge, d->cfg.masquerade);
	if (r == 0)
		r = nat_ruleset_add_subnet(&rs, d->subnet.addr, d->subnet.len);
	if (r == 0 && d->old_subnet.len)
		r = nat_ruleset_add_subnet(&rs, d->old_subnet.addr, d->old_subnet.len);
	if (r < 0) {
		log_error("nftables: cannot describe the ruleset: %s", strerror(-r));
		return r;
	}
	if (!d->nat.sock && (r = nat_conn_open(&d->nat)) < 0) {
		log_error("nftables: cannot open a netlink socket: %s", strerror(-r));
		return r;
	}
	r = nat_conn_apply(&d->nat, &rs, NAT_BATCH_COMMIT, err, sizeof(err));
	if (r < 0) {
		log_error("%s", err);
		return r;
	}
	log_info("nftables table inet defnet in place (%s)",
		 d->cfg.masquerade ? "masquerade" : "routed, no masquerade");
	return 0;
}

/* DNS ---------------------------------------------------------------------- */

static void daemon_dns_log(void *ctx, enum log_level level, const char *msg)
{
	log_msg(level, "%s", msg);
}

/* Configured reservations with a name are guest names before any lease;
 * DHCP adds the leases' names. */
static void daemon_dns_names(struct daemon *d, const struct config *old)
{
	uint32_t ip;

	for (size_t i = 0; old && i < old->n_reservations; i++) {
		const struct config_reservation *r = &old->reservations[i];

		if (r->name[0] && name_table_lookup(d->names, r->name, strlen(r->name), &ip) == 0 &&
		    ip == r->ip)
			name_table_remove(d->names, r->name, strlen(r->name));
	}
	for (size_t i = 0; i < d->cfg.n_reservations; i++) {
		const struct config_reservation *r = &d->cfg.reservations[i];

		if (r->name[0] && name_table_set(d->names, r->name, strlen(r->name), r->ip) < 0)
			log_warning("reservation name '%s' is not usable in DNS", r->name);
	}
}

static void daemon_dns_opts(struct daemon *d, struct dns_service_opts *o, char *host,
			    size_t host_size, struct dns_server_addr *ups)
{
	if (gethostname(host, host_size) < 0)
		host[0] = '\0';
	host[host_size - 1] = '\0';
	for (size_t i = 0; i < d->cfg.n_upstreams; i++) {
		ups[i].family = d->cfg.upstreams[i].family;
		memcpy(ups[i].addr, d->cfg.upstreams[i].addr, sizeof(ups[i].addr));
		ups[i].port = d->cfg.upstreams[i].port;
	}
	*o = (struct dns_service_opts){
		.ifname = d->cfg.bridge, .gateway = d->gateway,
		.subnet_addr = d->subnet.addr, .subnet_len = d->subnet.len,
		.old_gateway = d->old_subnet.len ? subnet_gateway(d->old_subnet) : 0,
		.old_subnet_addr = d->old_subnet.addr, .old_subnet_len = d->old_subnet.len,
		.domain = d->cfg.domain, .hostname = host, .names = d->names,
		.upstream_auto = d->cfg.upstream_auto, .resolv_conf = d->cfg.resolv_conf,
		.upstreams = ups, .n_upstreams = d->cfg.n_upstreams,
		.log = { daemon_dns_log, NULL },
	};
}

static int daemon_start_dns(struct daemon *d)
{
	struct dns_server_addr ups[CONFIG_MAX_UPSTREAMS];
	struct dns_service_opts o;
	char host[256];
	int r;

	d->names = name_table_new();
	if (!d->names)
		return -ENOMEM;
	daemon_dns_names(d, NULL);
	daemon_dns_opts(d, &o, host, sizeof(host), ups);
	r = dns_service_start(&d->dns, d->base, &o);
	if (r < 0)
		log_error("cannot start the DNS server: %s", strerror(-r));
	return r;
}

static int daemon_reload_dns(struct daemon *d, const struct config *old)
{
	struct dns_server_addr ups[CONFIG_MAX_UPSTREAMS];
	struct dns_service_opts o;
	char host[256];

	if (!d->dns)
		return 0;
	daemon_dns_names(d, old);
	daemon_dns_opts(d, &o, host, sizeof(host), ups);
	return dns_service_reload(d->dns, &o);
}

/* mDNS ----------------------------------------------------------------------- */

/* The responder answers for the name table's names on the bridge. It is
 * not essential: when it cannot start (port 5353 held by a responder that
 * does not share it), guests still get addresses and DNS. */
static void daemon_start_mdns(struct daemon *d)
{
	struct mdns_service_opts o = {
		.ifname = d->cfg.bridge, .ifindex = d->ifindex, .gateway = d->gateway,
		.subnet_addr = d->subnet.addr, .subnet_len = d->subnet.len,
		.names = d->names, .log = { daemon_dns_log, NULL },
	};

	if (!d->cfg.mdns_enable || d->mdns)
		return;
	if (mdns_service_start(&d->mdns, d->base, &o) < 0)
		log_warning("mdns: the responder is off; guests' .local names will not resolve");
}

/* [MDNS] Enable= applies live; turning it off says goodbye to every name. */
static void daemon_reload_mdns(struct daemon *d)
{
	if (d->cfg.mdns_enable) {
		daemon_start_mdns(d);
	} else if (d->mdns) {
		mdns_service_stop(d->mdns);
		d->mdns = NULL;
		log_info("mdns: responder stopped ([MDNS] Enable=no)");
	}
}

/* DNS listens on the gateway and, while the old subnet drains, on the
 * old gateway too: guests there ask it until they re-lease. */
static void daemon_dns_follow(struct daemon *d)
{
	struct dns_server_addr ups[CONFIG_MAX_UPSTREAMS];
	struct dns_service_opts o;
	char host[256];

	if (!d->dns)
		return;
	daemon_dns_opts(d, &o, host, sizeof(host), ups);
	if (dns_service_reload(d->dns, &o) < 0)
		log_error("DNS: cannot follow the gateway: it keeps listening where it did");
}

/* Renumbering (renumber.c) moved the subnet and the gateway: DHCP serves the
 * new subnet and so NAKs requests for the old one ("wrong network"); DNS
 * opens the new gateway beside the old one; mDNS is bound to the gateway
 * address, so it starts again on the new one. */
void daemon_renumbered(struct daemon *d)
{
	dhcp_service_reload(d);
	daemon_dns_follow(d);
	if (d->mdns) {
		mdns_service_stop(d->mdns);
		d->mdns = NULL;
		daemon_start_mdns(d);
	}
}

void daemon_drained(struct daemon *d)
{
	dhcp_service_reload(d);
	daemon_dns_follow(d);
}

static void daemon_on_stop_signal(evutil_socket_t sig, short what, void *arg)
{
	struct daemon *d = arg;

	log_info("%s received, stopping", sig == SIGINT ? "SIGINT" : "SIGTERM");
	notify_send("STOPPING=1");
	event_base_loopbreak(d->base);
}

static void daemon_on_hup(evutil_socket_t sig, short what, void *arg)
{
	char err[512];

	daemon_reload(arg, err, sizeof(err));
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

int daemon_start(struct daemon *d)
{
	char subnet[IP4_PREFIX_STRLEN];
	int r;

	d->started_ms = boot_clock_ms();
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
	    (r = daemon_choose_subnet(d)) < 0 ||
	    (r = daemon_setup_addresses(d)) < 0 ||
	    (r = daemon_apply_nat(d)) < 0 ||
	    (r = uplink_start(d, &d->uplink)) < 0 ||
	    (r = daemon_start_dns(d)) < 0 ||
	    (r = dhcp_service_start(d)) < 0 ||
	    (r = daemon_open_control(d)) < 0)
		return r;
	daemon_start_mdns(d);
	notify_send("READY=1\nSTATUS=%s up, subnet %s", d->cfg.bridge,
		    ip4_prefix_format(d->subnet, subnet));
	log_info("ready in %llu ms", (unsigned long long)(boot_clock_ms() - d->started_ms));
	return 0;
}

int daemon_run(struct daemon *d)
{
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
}

int daemon_reload(struct daemon *d, char *err, size_t errlen)
{
	struct config next;
	int r;

	notify_send("RELOADING=1\nMONOTONIC_USEC=%llu", notify_monotonic_usec());
	config_init(&next);
	r = daemon_load_config(d->config_path, &next, err, errlen);
	if (r < 0) {
		log_error("reload failed, keeping the running configuration: %s", err);
	} else {
		bool nat_changed = d->cfg.masquerade != next.masquerade;

		struct config old = d->cfg;

		daemon_warn_restart_keys(&d->cfg, &next);
		d->cfg = next;
		log_set_level(d->cfg.log_level);
		dhcp_service_reload(d);
		if (daemon_reload_dns(d, &old) < 0)
			log_warning("reload: the DNS server keeps its previous settings");
		daemon_reload_mdns(d);
		config_free(&old);
		if (nat_changed && (r = daemon_apply_nat(d)) < 0)
			snprintf(err, errlen, "configuration loaded, but nftables refused the "
				 "new ruleset (see the log)");
		/* Masquerade= and DockerCompat= change what the watch does. */
		uplink_refresh(d->uplink);
		log_info("configuration reloaded from %s", d->config_path);
	}
	notify_send("READY=1");
	return r;
}

void daemon_stop(struct daemon *d)
{
	control_close(d->control);
	d->control = NULL;
	uplink_stop(d->uplink);
	d->uplink = NULL;
	mdns_service_stop(d->mdns);  /* goodbyes: before the names go */
	d->mdns = NULL;
	dhcp_service_stop(d);
	dns_service_stop(d->dns);
	d->dns = NULL;
	name_table_free(d->names);
	d->names = NULL;
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
