/* DHCP in the daemon: see dhcp_glue.h. */
#include <errno.h>
#include <limits.h>
#include <net/if.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>

#include "boot_clock.h"
#include "bridge.h"
#include "daemon.h"
#include "dhcp_glue.h"
#include "dhcp_service.h"
#include "forward_glue.h"
#include "glue.h"
#include "json.h"
#include "log.h"
#include "mdns_service.h"
#include "name_table.h"
#include "neigh6.h"
#include "neigh6_watch.h"
#include "subnet.h"

/* ----------------------------------------------------------- name table */

/* The name a reservation gives ip, or NULL. */
static const char *dhcp_glue_reserved_name(const struct daemon *d, uint32_t ip)
{
	const struct lease_reservation *r;

	for (size_t i = 0; i < d->cfg.n_reservations; i++)
		if (d->cfg.reservations[i].ip == ip && d->cfg.reservations[i].name[0])
			return d->cfg.reservations[i].name;
	r = d->dhcp ? lease_store_reservation_ip(dhcp_service_store(d->dhcp), ip) : NULL;
	return r && r->name[0] ? r->name : NULL;
}

/* A lease ended: its name goes, unless a reservation names the address. */
static void dhcp_glue_unname(struct daemon *d, uint32_t ip)
{
	const char *keep = dhcp_glue_reserved_name(d, ip);

	name_table_remove_ip(d->names, ip);
	if (keep)
		name_table_set(d->names, keep, strlen(keep), ip);
}

static void dhcp_glue_name(struct daemon *d, const char *name, uint32_t ip)
{
	if (!name[0]) {
		dhcp_glue_unname(d, ip);
		return;
	}
	if (name_table_set(d->names, name, strlen(name), ip) < 0)
		log_warning("DHCP: guest name '%s' is not usable in DNS", name);
}

/* Configured reservations with a name are guest names before any lease;
 * those of the configuration a reload replaced (old) go. */
static void dhcp_glue_reservation_names(struct daemon *d, const struct config *old)
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

/* Names of the leases and reservations in the store, at start. */
static void dhcp_glue_store_names(struct daemon *d)
{
	const struct lease_store *store = dhcp_service_store(d->dhcp);
	uint64_t now = boot_clock_ms();
	const struct lease_reservation *r;
	const struct lease *l;
	uint32_t cur = 0;
	size_t rc = 0;

	while ((r = lease_store_reservation_next(store, &rc)))
		if (r->name[0])
			name_table_set(d->names, r->name, strlen(r->name), r->ip);
	while ((l = lease_store_next(store, &cur)))
		if (l->hostname[0] && lease_is_live(l, now))
			name_table_set(d->names, l->hostname, strlen(l->hostname), l->ip);
}

/* --------------------------------------------------------------- events */

struct dhcp_glue_kind {
	const char *event;        /* DEFNET_EVENT */
	const char *msgid;
	enum log_level level;
	const char *what;
};

static const struct dhcp_glue_kind dhcp_glue_kinds[] = {
	[DHCP_EV_ACK_NEW] = { "ack-new", DHCP_MSGID_ACK, LOG_LEVEL_INFO, "DHCPACK, new lease" },
	[DHCP_EV_ACK_RENEW] = { "ack-renew", DHCP_MSGID_ACK, LOG_LEVEL_INFO, "DHCPACK, renewed" },
	[DHCP_EV_RELEASE] = { "release", DHCP_MSGID_RELEASE, LOG_LEVEL_INFO, "DHCPRELEASE" },
	[DHCP_EV_EXPIRE] = { "expire", DHCP_MSGID_EXPIRE, LOG_LEVEL_INFO, "lease expired" },
	[DHCP_EV_DECLINE] = { "decline", DHCP_MSGID_DECLINE, LOG_LEVEL_WARNING,
			      "DHCPDECLINE, address quarantined" },
	[DHCP_EV_NAK] = { "nak", DHCP_MSGID_NAK, LOG_LEVEL_INFO, "DHCPNAK" },
};

static void dhcp_glue_lease_event(const struct dhcp_event *ev)
{
	const struct dhcp_glue_kind *k = &dhcp_glue_kinds[ev->kind];
	char mac[MAC_STRLEN], ip[IP4_STRLEN];
	struct log_field f[4];

	if (log_get_level() < k->level)
		return;
	mac_format(ev->mac, mac);
	ip4_format(ev->ip, ip);
	f[0] = (struct log_field){ "DEFNET_EVENT", k->event };
	f[1] = (struct log_field){ "DEFNET_MAC", mac };
	f[2] = (struct log_field){ "DEFNET_IP", ip };
	f[3] = (struct log_field){ "DEFNET_HOSTNAME", ev->hostname };
	log_event(k->level, k->msgid, f, 4, "%s: %s %s%s%s%s%s%s", k->what, ip, mac,
		  ev->hostname[0] ? " " : "", ev->hostname, ev->static_lease ? " (reserved)" : "",
		  ev->reason[0] ? ": " : "", ev->reason);
}

/* The server already limits these to one per interval. */
static void dhcp_glue_wrong_port(const struct dhcp_event *ev, const char *port)
{
	char mac[MAC_STRLEN], ip[IP4_STRLEN], lease_port[IF_NAMESIZE] = "?";
	struct log_field f[2] = { { "DEFNET_MAC", mac }, { "DEFNET_EVENT", "wrong-port" } };

	mac_format(ev->mac, mac);
	ip4_format(ev->ip, ip);
	if_indextoname(ev->lease_port, lease_port);
	log_event(LOG_LEVEL_WARNING, NULL, f, 2, "DHCP: message from %s about the lease of "
		  "%s%s%s ignored: it came in on port %s, the lease belongs to port %s, "
		  "still up (%llu more since the last report)", mac, ip,
		  ev->hostname[0] ? " " : "", ev->hostname, port, lease_port,
		  (unsigned long long)ev->count);
}

static void dhcp_glue_notice(const struct dhcp_event *ev)
{
	char mac[MAC_STRLEN], ip[IP4_STRLEN], port[IF_NAMESIZE] = "?";
	struct log_field f[2] = { { "DEFNET_MAC", mac }, { "DEFNET_EVENT", "" } };

	mac_format(ev->mac, mac);
	ip4_format(ev->ip, ip);
	if (ev->port)
		if_indextoname(ev->port, port);
	switch (ev->kind) {
	case DHCP_EV_NAME_REFUSED:
		f[1].value = "name-refused";
		log_event(LOG_LEVEL_WARNING, NULL, f, 2, "DHCP: host name '%s' of %s refused (%s); "
			  "the lease has no name", ev->hostname, mac, ev->reason);
		break;
	case DHCP_EV_ADDR_IN_USE:
		f[1].value = "address-in-use";
		log_event(LOG_LEVEL_WARNING, NULL, f, 2, "DHCP: %s %s, by %s (a static address?): "
			  "not offered", ip, ev->reason, mac);
		break;
	case DHCP_EV_RATE_LIMITED:
		log_warning("DHCP: %s reached%s%s: %llu new client%s refused (a flood of new MACs?)",
			    ev->reason, ev->port ? " on port " : "", ev->port ? port : "",
			    (unsigned long long)ev->count, ev->count == 1 ? "" : "s");
		break;
	case DHCP_EV_PORT_FULL:
		log_warning("DHCP: port %s holds its LeasesPerPort= leases: %llu new client%s "
			    "refused (a flood of new MACs?)", port, (unsigned long long)ev->count,
			    ev->count == 1 ? "" : "s");
		break;
	case DHCP_EV_WRONG_PORT:
		dhcp_glue_wrong_port(ev, port);
		break;
	case DHCP_EV_POOL_EXHAUSTED:
		log_warning("DHCP: the pool is exhausted: %llu new client%s without an address",
			    (unsigned long long)ev->count, ev->count == 1 ? "" : "s");
		break;
	default:
		log_debug("DHCP: message from %s ignored: %s", mac, ev->reason);
		break;
	}
}

static void dhcp_glue_before_acks(void *ctx)
{
	spoof_glue_flush(ctx);
}

static void dhcp_glue_event(void *ctx, const struct dhcp_event *ev)
{
	struct daemon *d = ctx;

	switch (ev->kind) {
	case DHCP_EV_ACK_NEW:
	case DHCP_EV_ACK_RENEW:
		dhcp_glue_name(d, ev->hostname, ev->ip);
		if (ev->kind == DHCP_EV_ACK_RENEW && ev->hostname[0])
			mdns_service_renewed(d->mdns, ev->hostname, ev->ip);
		dhcp_glue_lease_event(ev);
		spoof_glue_lease(d, ev);
		forward_glue_lease(d, ev->mac, ev->ip);
		break;
	case DHCP_EV_RELEASE:
	case DHCP_EV_EXPIRE:
	case DHCP_EV_DECLINE:
		dhcp_glue_unname(d, ev->ip);
		dhcp_glue_lease_event(ev);
		spoof_glue_lease(d, ev);
		forward_glue_lease(d, ev->mac, ev->ip);
		break;
	case DHCP_EV_NAK:
		dhcp_glue_lease_event(ev);
		break;
	default:
		if (ev->kind != DHCP_EV_IGNORED || log_get_level() >= LOG_LEVEL_DEBUG)
			dhcp_glue_notice(ev);
		break;
	}
}

/* ------------------------------------------------------------ callbacks */

static uint32_t dhcp_glue_name_owner(void *ctx, const char *name)
{
	struct daemon *d = ctx;
	uint32_t ip;

	return name_table_lookup(d->names, name, strlen(name), &ip) < 0 ? 0 : ip;
}

/* Requests from the bridge's ports only. */
static bool dhcp_glue_is_port(void *ctx, unsigned ifindex)
{
	struct daemon *d = ctx;
	bool is_port = false;

	return bridge_is_port(&d->nl, d->ifindex, ifindex, &is_port) == 0 && is_port;
}

/* A lease stays bound to its port while the port is the bridge's and up
 * (dhcp_server.h); a netlink error keeps the binding (fail closed). */
static bool dhcp_glue_port_up(void *ctx, unsigned ifindex)
{
	struct daemon *d = ctx;
	bool up = false;

	return bridge_port_up(&d->nl, d->ifindex, ifindex, &up) < 0 || up;
}

static void dhcp_glue_old_subnet_empty(void *ctx)
{
	struct daemon *d = ctx;

	subnet_owner_drain_done(&d->subnet);
}

static void dhcp_glue_log(void *ctx, enum log_level level, const char *msg)
{
	log_msg(level, "DHCP: %s", msg);
}

/* ------------------------------------------------------------ lifecycle */

/* The service's view of the configuration and the subnet; res holds the
 * reservations (freed by the caller). */
static int dhcp_glue_opts(struct daemon *d, struct dhcp_service_opts *o,
			  struct dhcp_reservation **res, char *host, size_t host_size)
{
	static const struct dhcp_service_ops ops = {
		.event = dhcp_glue_event, .name_owner = dhcp_glue_name_owner,
		.is_port = dhcp_glue_is_port, .old_subnet_empty = dhcp_glue_old_subnet_empty,
		.port_up = dhcp_glue_port_up, .before_acks = dhcp_glue_before_acks,
	};
	const struct config *cfg = &d->cfg;
	const struct subnet_owner *sn = &d->subnet;

	*res = NULL;
	if (cfg->n_reservations) {
		*res = calloc(cfg->n_reservations, sizeof(**res));
		if (!*res)
			return -ENOMEM;
	}
	for (size_t i = 0; i < cfg->n_reservations; i++) {
		memcpy((*res)[i].mac, cfg->reservations[i].mac, 6);
		(*res)[i].ip = cfg->reservations[i].ip;
		snprintf((*res)[i].name, sizeof((*res)[i].name), "%s", cfg->reservations[i].name);
	}
	if (gethostname(host, host_size) < 0)
		host[0] = '\0';
	host[host_size - 1] = '\0';
	*o = (struct dhcp_service_opts){
		.state_dir = d->state_dir, .ifname = cfg->bridge, .ifindex = d->ifindex,
		.server = {
			.server_ip = sn->gateway, .subnet = sn->subnet.addr,
			.prefix_len = sn->subnet.len,
			.old_server_ip = sn->old_subnet.len ? subnet_gateway(sn->old_subnet) : 0,
			.pool_auto = cfg->pool_auto, .pool_first = cfg->pool_first,
			.pool_last = cfg->pool_last, .lease_time = cfg->lease_time,
			.domain = cfg->domain, .host_name = host, .reservations = *res,
			.n_reservations = cfg->n_reservations, .rate_limit = cfg->rate_limit,
			.rate_limit_port = cfg->rate_limit_port,
			.leases_per_port = cfg->leases_per_port,
		},
		.old_subnet_addr = sn->old_subnet.addr, .old_subnet_len = sn->old_subnet.len,
		.log = { dhcp_glue_log, NULL },
		.ops = &ops, .ctx = d,
	};
	memcpy(o->mac, d->mac, 6);
	return 0;
}

static void dhcp_glue_log_serving(const struct daemon *d)
{
	char pool[2 * IP4_STRLEN + 1] = "auto";

	if (!d->cfg.pool_auto) {
		char a[IP4_STRLEN], b[IP4_STRLEN];

		snprintf(pool, sizeof(pool), "%s-%s", ip4_format(d->cfg.pool_first, a),
			 ip4_format(d->cfg.pool_last, b));
	}
	log_info("DHCP: serving %s (pool %s, leases of %us)", d->cfg.bridge, pool,
		 d->cfg.lease_time);
}

int dhcp_glue_start(struct daemon *d)
{
	struct dhcp_service_opts o;
	struct dhcp_reservation *res;
	char host[HOST_NAME_MAX + 1];
	int r;

	dhcp_glue_reservation_names(d, NULL);
	r = dhcp_glue_opts(d, &o, &res, host, sizeof(host));
	if (r == 0)
		r = dhcp_service_start(d->base, &o, &d->dhcp);
	free(res);
	if (r < 0)
		return r;
	dhcp_glue_store_names(d);
	spoof_glue_sync(d);
	dhcp_glue_log_serving(d);
	return 0;
}

void dhcp_glue_reload(struct daemon *d, const struct config *old)
{
	struct dhcp_service_opts o;
	struct dhcp_reservation *res;
	char host[HOST_NAME_MAX + 1];
	int r;

	if (old)
		dhcp_glue_reservation_names(d, old);
	if (!d->dhcp)
		return;
	r = dhcp_glue_opts(d, &o, &res, host, sizeof(host));
	if (r == 0)
		r = dhcp_service_reload(d->dhcp, &o);
	free(res);
	if (r < 0)
		log_warning("reload: the DHCP server keeps its previous settings (%s)", strerror(-r));
}

void dhcp_glue_stop(struct daemon *d)
{
	dhcp_service_stop(d->dhcp);
	d->dhcp = NULL;
}

/* -------------------------------------------------------------- queries */

static void dhcp_glue_lease_json(const struct daemon *d, struct json *j, const struct lease *l,
				 int64_t expires)
{
	char mac[MAC_STRLEN], ip[IP4_STRLEN], a6[IP6_STRLEN];
	uint8_t ip6[NEIGH6_PER_MAC][16];
	size_t n6 = neigh6_watch_lookup(d, l->mac, ip6, NEIGH6_PER_MAC);

	json_object_begin(j);
	json_field_string(j, "mac", mac_format(l->mac, mac));
	json_field_string(j, "ip", ip4_format(l->ip, ip));
	json_key(j, "hostname");
	if (l->hostname[0])
		json_string(j, l->hostname);
	else
		json_null(j);
	json_field_int(j, "expires", expires);
	json_field_bool(j, "static", l->flags & LEASE_F_STATIC);
	/* Learned from the neighbour table (neigh6.h): the addresses in use. */
	json_key(j, "ip6");
	json_array_begin(j);
	for (size_t i = 0; i < n6; i++)
		json_string(j, ip6_format(ip6[i], a6));
	json_array_end(j);
	json_object_end(j);
}

static void dhcp_glue_lease_text(FILE *out, const struct lease *l, int64_t expires)
{
	char mac[MAC_STRLEN], ip[IP4_STRLEN], when[32];
	time_t t = (time_t)expires;
	struct tm tm;

	if (!localtime_r(&t, &tm) || !strftime(when, sizeof(when), "%Y-%m-%d %H:%M:%S", &tm))
		snprintf(when, sizeof(when), "%lld", (long long)expires);
	fprintf(out, "%-15s  %s  %s  %-6s  %s\n", ip4_format(l->ip, ip), mac_format(l->mac, mac),
		when, l->flags & LEASE_F_STATIC ? "static" : "", l->hostname);
}

/* `leases [--json]`: the live leases, least recently used first. */
int dhcp_glue_cmd_leases(struct daemon *d, const struct control_request *req, FILE *out,
			 char *err, size_t errlen)
{
	uint64_t now = boot_clock_ms();
	int64_t wall = time(NULL);
	const struct lease *l;
	struct json j;
	uint32_t cur = 0;
	bool json = req->argc == 2 && strcmp(req->argv[1], "--json") == 0;

	if (req->argc > 2 || (req->argc == 2 && !json)) {
		snprintf(err, errlen, "usage: leases [--json]");
		return -EINVAL;
	}
	if (!d->dhcp) {
		snprintf(err, errlen, "the DHCP server is not running");
		return -ENODEV;
	}
	if (json) {
		json_init(&j, out);
		json_array_begin(&j);
	} else {
		fprintf(out, "%-15s  %-17s  %-19s  %-6s  %s\n", "IP", "MAC", "EXPIRES", "", "HOSTNAME");
	}
	while ((l = lease_store_next(dhcp_service_store(d->dhcp), &cur))) {
		if (!lease_is_live(l, now))
			continue;
		if (json)
			dhcp_glue_lease_json(d, &j, l, lease_store_wall_expiry(l, now, wall));
		else
			dhcp_glue_lease_text(out, l, lease_store_wall_expiry(l, now, wall));
	}
	if (json) {
		json_array_end(&j);
		fputc('\n', out);
	}
	return 0;
}

static bool dhcp_glue_lease_is(const struct lease *l, const char *guest)
{
	uint8_t mac[6];
	uint32_t ip;

	if (mac_parse(guest, strlen(guest), mac) == 0)
		return memcmp(mac, l->mac, 6) == 0;
	if (ip4_parse(guest, strlen(guest), &ip) == 0)
		return ip == l->ip;
	return l->hostname[0] && strcasecmp(l->hostname, guest) == 0;
}

const struct lease *dhcp_glue_find_lease(const struct daemon *d, const char *guest)
{
	uint64_t now = boot_clock_ms();
	const struct lease *l;
	uint32_t cur = 0;

	if (!d->dhcp)
		return NULL;
	while ((l = lease_store_next(dhcp_service_store(d->dhcp), &cur)))
		if (lease_is_live(l, now) && dhcp_glue_lease_is(l, guest))
			return l;
	return NULL;
}

/* What reserve and unreserve check first: the server runs and argv[1] is
 * a MAC address (into mac). 0, or -errno with err set. */
static int dhcp_glue_cmd_mac(struct daemon *d, const struct control_request *req,
			     uint8_t mac[6], char *err, size_t errlen)
{
	if (!d->dhcp) {
		snprintf(err, errlen, "the DHCP server is not running");
		return -ENODEV;
	}
	if (mac_parse(req->argv[1], strlen(req->argv[1]), mac) < 0) {
		snprintf(err, errlen, "'%s' is not a MAC address such as 52:54:00:12:34:56",
			 req->argv[1]);
		return -EINVAL;
	}
	return 0;
}

int dhcp_glue_cmd_reserve(struct daemon *d, const struct control_request *req, FILE *out,
			  char *err, size_t errlen)
{
	const char *name = req->argc == 4 ? req->argv[3] : NULL;
	const struct lease_reservation *old;
	bool old_named = false;
	uint32_t ip, old_ip = 0;
	uint8_t mac[6];
	int r;

	if (req->argc < 3 || req->argc > 4) {
		snprintf(err, errlen, "usage: reserve MAC IP [NAME]");
		return -EINVAL;
	}
	r = dhcp_glue_cmd_mac(d, req, mac, err, errlen);
	if (r < 0)
		return r;
	if (ip4_parse(req->argv[2], strlen(req->argv[2]), &ip) < 0) {
		snprintf(err, errlen, "'%s' is not an IPv4 address", req->argv[2]);
		return -EINVAL;
	}
	old = lease_store_reservation_mac(dhcp_service_store(d->dhcp), mac);
	if (old) {
		old_ip = old->ip;
		old_named = old->name[0];
	}
	r = dhcp_service_reserve(d->dhcp, mac, ip, name, err, errlen);
	if (r < 0)
		return r;
	if (old_named)
		dhcp_glue_unname(d, old_ip);
	if (name)
		name_table_set(d->names, name, strlen(name), ip);
	fprintf(out, "reserved %s for %s%s%s\n", req->argv[2], req->argv[1], name ? " as " : "",
		name ? name : "");
	log_info("DHCP: %s reserved for %s%s%s", req->argv[2], req->argv[1], name ? " as " : "",
		 name ? name : "");
	return 0;
}

int dhcp_glue_cmd_unreserve(struct daemon *d, const struct control_request *req, FILE *out,
			    char *err, size_t errlen)
{
	const struct lease_reservation *old;
	uint8_t mac[6];
	uint32_t ip;
	bool named;
	int r;

	if (req->argc != 2) {
		snprintf(err, errlen, "usage: unreserve MAC");
		return -EINVAL;
	}
	r = dhcp_glue_cmd_mac(d, req, mac, err, errlen);
	if (r < 0)
		return r;
	old = lease_store_reservation_mac(dhcp_service_store(d->dhcp), mac);
	if (!old) {
		snprintf(err, errlen, "%s has no reservation made with reserve (Reservation= "
			 "entries change in the configuration file)", req->argv[1]);
		return -ENOENT;
	}
	ip = old->ip;
	named = old->name[0];
	r = dhcp_service_unreserve(d->dhcp, mac, err, errlen);
	if (r < 0)
		return r;
	if (named)
		dhcp_glue_unname(d, ip);
	fprintf(out, "reservation of %s removed\n", req->argv[1]);
	log_info("DHCP: reservation of %s removed", req->argv[1]);
	return 0;
}
