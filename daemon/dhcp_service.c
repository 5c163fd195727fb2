/* The DHCP server wired into the daemon: see dhcp_service.h. */
#include <errno.h>
#include <limits.h>
#include <net/if.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "boot_clock.h"
#include "bridge.h"
#include "daemon.h"
#include "dhcp_io.h"
#include "dhcp_server.h"
#include "dhcp_service.h"
#include "json.h"
#include "lease_store.h"
#include "log.h"
#include "name_table.h"
#include "subnet.h"
#include "uplink.h"

/* The bridge's MTU is read again at most this often. */
#define DHCP_SERVICE_MTU_MS 1000

struct dhcp_service {
	struct daemon *d;
	struct lease_store *store;
	struct dhcp_server *srv;
	struct dhcp_io *io;
	int ioctl_fd;
	uint16_t mtu;
	uint64_t mtu_at;
	struct event *drain_check;   /* renumbering: is the old subnet empty? */
	char host_name[HOST_NAME_MAX + 1];
};

/* ----------------------------------------------------------- name table */

/* The name a reservation gives ip, or NULL. */
static const char *dhcp_service_res_name(const struct daemon *d, uint32_t ip)
{
	const struct lease_reservation *r;

	for (size_t i = 0; i < d->cfg.n_reservations; i++)
		if (d->cfg.reservations[i].ip == ip && d->cfg.reservations[i].name[0])
			return d->cfg.reservations[i].name;
	r = lease_store_reservation_ip(d->dhcp->store, ip);
	return r && r->name[0] ? r->name : NULL;
}

/* A lease ended: its name goes, unless a reservation names the address. */
static void dhcp_service_unname(struct daemon *d, uint32_t ip)
{
	const char *keep = dhcp_service_res_name(d, ip);

	if (!d->names)
		return;
	name_table_remove_ip(d->names, ip);
	if (keep)
		name_table_set(d->names, keep, strlen(keep), ip);
}

static void dhcp_service_name(struct daemon *d, const char *name, uint32_t ip)
{
	if (!d->names)
		return;
	if (!name[0]) {
		dhcp_service_unname(d, ip);
		return;
	}
	if (name_table_set(d->names, name, strlen(name), ip) < 0)
		log_warning("DHCP: guest name '%s' is not usable in DNS", name);
}

static uint32_t dhcp_service_name_owner(void *ctx, const char *name)
{
	struct dhcp_service *svc = ctx;
	uint32_t ip;

	if (!svc->d->names || name_table_lookup(svc->d->names, name, strlen(name), &ip) < 0)
		return 0;
	return ip;
}

/* Names of the leases and reservations in the store, at start. */
static void dhcp_service_load_names(struct dhcp_service *svc)
{
	uint64_t now = boot_clock_ms();
	const struct lease_reservation *r;
	const struct lease *l;
	uint32_t cur = 0;
	size_t rc = 0;

	if (!svc->d->names)
		return;
	while ((r = lease_store_reservation_next(svc->store, &rc)))
		if (r->name[0])
			name_table_set(svc->d->names, r->name, strlen(r->name), r->ip);
	while ((l = lease_store_next(svc->store, &cur)))
		if (l->hostname[0] && !(l->flags & LEASE_F_RELEASED) && l->expires_boot_ms > now)
			name_table_set(svc->d->names, l->hostname, strlen(l->hostname), l->ip);
}

/* ---------------------------------------------------------- renumbering */

static bool dhcp_service_old_lease_live(const struct dhcp_service *svc)
{
	uint64_t now = boot_clock_ms();
	const struct lease *l;
	uint32_t cur = 0;

	while ((l = lease_store_next(svc->store, &cur)))
		if (ip4_prefix_contains(svc->d->old_subnet, l->ip) &&
		    !(l->flags & LEASE_F_RELEASED) && l->expires_boot_ms > now)
			return true;
	return false;
}

/* The old subnet is served only while a lease there runs: once the last
 * has renewed into the new subnet, been released or expired, its gateway
 * address, NAT rules and DNS listener go. */
static void dhcp_service_on_drain_check(evutil_socket_t fd, short what, void *arg)
{
	struct dhcp_service *svc = arg;
	struct daemon *d = svc->d;

	if (d->old_subnet.len && d->uplink && !dhcp_service_old_lease_live(svc))
		renumber_drain_done(&d->uplink->renumber);
}

/* A lease moved or ended: look once this loop iteration is done (one walk
 * of the store for a whole batch, and not from inside the server). */
static void dhcp_service_drain_check(struct dhcp_service *svc)
{
	if (svc->d->old_subnet.len && svc->drain_check)
		event_active(svc->drain_check, EV_TIMEOUT, 0);
}

/* --------------------------------------------------------------- events */

struct dhcp_service_kind {
	const char *event;        /* DEFNET_EVENT */
	const char *msgid;
	enum log_level level;
	const char *what;
};

static const struct dhcp_service_kind dhcp_service_kinds[] = {
	[DHCP_EV_ACK_NEW] = { "ack-new", DHCP_MSGID_ACK, LOG_LEVEL_INFO, "DHCPACK, new lease" },
	[DHCP_EV_ACK_RENEW] = { "ack-renew", DHCP_MSGID_ACK, LOG_LEVEL_INFO, "DHCPACK, renewed" },
	[DHCP_EV_RELEASE] = { "release", DHCP_MSGID_RELEASE, LOG_LEVEL_INFO, "DHCPRELEASE" },
	[DHCP_EV_EXPIRE] = { "expire", DHCP_MSGID_EXPIRE, LOG_LEVEL_INFO, "lease expired" },
	[DHCP_EV_DECLINE] = { "decline", DHCP_MSGID_DECLINE, LOG_LEVEL_WARNING,
			      "DHCPDECLINE, address quarantined" },
	[DHCP_EV_NAK] = { "nak", DHCP_MSGID_NAK, LOG_LEVEL_INFO, "DHCPNAK" },
};

static void dhcp_service_lease_event(struct dhcp_service *svc, const struct dhcp_event *ev)
{
	const struct dhcp_service_kind *k = &dhcp_service_kinds[ev->kind];
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

static void dhcp_service_notice(const struct dhcp_event *ev)
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
	case DHCP_EV_POOL_EXHAUSTED:
		log_warning("DHCP: the pool is exhausted: %llu new client%s without an address",
			    (unsigned long long)ev->count, ev->count == 1 ? "" : "s");
		break;
	default:
		log_debug("DHCP: message from %s ignored: %s", mac, ev->reason);
		break;
	}
}

static void dhcp_service_event(void *ctx, const struct dhcp_event *ev)
{
	struct dhcp_service *svc = ctx;

	switch (ev->kind) {
	case DHCP_EV_ACK_NEW:
	case DHCP_EV_ACK_RENEW:
		dhcp_service_name(svc->d, ev->hostname, ev->ip);
		dhcp_service_lease_event(svc, ev);
		dhcp_service_drain_check(svc);
		break;
	case DHCP_EV_RELEASE:
	case DHCP_EV_EXPIRE:
	case DHCP_EV_DECLINE:
		dhcp_service_unname(svc->d, ev->ip);
		dhcp_service_lease_event(svc, ev);
		dhcp_service_drain_check(svc);
		break;
	case DHCP_EV_NAK:
		dhcp_service_lease_event(svc, ev);
		break;
	default:
		if (ev->kind != DHCP_EV_IGNORED || log_get_level() >= LOG_LEVEL_DEBUG)
			dhcp_service_notice(ev);
		break;
	}
}

/* ------------------------------------------------------------ callbacks */

static void dhcp_service_probe(void *ctx, uint32_t ip)
{
	struct dhcp_service *svc = ctx;

	dhcp_io_probe(svc->io, ip);
}

static void dhcp_service_log(void *ctx, enum log_level level, const char *msg)
{
	log_msg(level, "DHCP: %s", msg);
}

/* The bridge's MTU (it follows its ports'), read at most once a second. */
static uint16_t dhcp_service_mtu(void *ctx)
{
	struct dhcp_service *svc = ctx;
	uint64_t now = boot_clock_ms();
	struct ifreq ifr;

	if (svc->mtu_at && now - svc->mtu_at < DHCP_SERVICE_MTU_MS)
		return svc->mtu;
	svc->mtu_at = now;
	memset(&ifr, 0, sizeof(ifr));
	snprintf(ifr.ifr_name, sizeof(ifr.ifr_name), "%s", svc->d->cfg.bridge);
	if (ioctl(svc->ioctl_fd, SIOCGIFMTU, &ifr) == 0 && ifr.ifr_mtu >= 68 &&
	    ifr.ifr_mtu <= UINT16_MAX)
		svc->mtu = (uint16_t)ifr.ifr_mtu;
	return svc->mtu;
}

/* dhcp_io_ops.is_port: requests from the bridge's ports only. */
static bool dhcp_service_is_port(void *ctx, unsigned ifindex)
{
	struct dhcp_service *svc = ctx;
	bool is_port = false;

	return bridge_is_port(&svc->d->nl, svc->d->ifindex, ifindex, &is_port) == 0 && is_port;
}

/* ------------------------------------------------------------ lifecycle */

/* The server's view of the configuration; res holds the reservations
 * (freed by the caller). */
static int dhcp_service_config(struct dhcp_service *svc, struct dhcp_server_config *c,
			       struct dhcp_reservation **res)
{
	const struct config *cfg = &svc->d->cfg;

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
	*c = (struct dhcp_server_config){
		.server_ip = svc->d->gateway, .subnet = svc->d->subnet.addr,
		.old_server_ip = svc->d->old_subnet.len ? subnet_gateway(svc->d->old_subnet) : 0,
		.prefix_len = svc->d->subnet.len, .pool_auto = cfg->pool_auto,
		.pool_first = cfg->pool_first, .pool_last = cfg->pool_last,
		.lease_time = cfg->lease_time, .domain = cfg->domain,
		.host_name = svc->host_name, .reservations = *res,
		.n_reservations = cfg->n_reservations, .rate_limit = cfg->rate_limit,
		.rate_limit_port = cfg->rate_limit_port,
	};
	return 0;
}

static int dhcp_service_open_store(struct dhcp_service *svc)
{
	uint8_t boot[LEASE_BOOT_ID_LEN] = { 0 };
	struct lease_load_info info;
	const char *dir = svc->d->state_dir;
	int r;

	r = lease_store_read_boot_id(boot);
	if (r < 0)
		log_warning("DHCP: cannot read the boot ID (%s): lease expiries after a reboot "
			    "follow the wall clock", strerror(-r));
	r = lease_store_open(&svc->store, dir, boot, boot_clock_ms(), time(NULL), &info);
	if (r < 0) {
		log_error("DHCP: cannot open the lease store in %s: %s", dir, strerror(-r));
		return r;
	}
	if (info.bad_header)
		log_warning("DHCP: %s/leases was not a lease file; kept as %s/leases.corrupt, "
			    "starting with no leases", dir, dir);
	if (info.dropped_bytes)
		log_warning("DHCP: %s/leases ended in %zu damaged or torn bytes (a crash?); "
			    "everything before them was kept", dir, info.dropped_bytes);
	log_info("DHCP: %zu lease%s loaded from %s/leases%s", lease_store_count(svc->store),
		 lease_store_count(svc->store) == 1 ? "" : "s", dir,
		 info.other_boot && info.records ? " (written before this boot)" : "");
	return 0;
}

static int dhcp_service_start_server(struct dhcp_service *svc)
{
	static const struct dhcp_server_ops ops = {
		.probe = dhcp_service_probe, .name_owner = dhcp_service_name_owner,
		.event = dhcp_service_event,
	};
	const struct dhcp_io_ops io_ops = { .mtu = dhcp_service_mtu,
					    .is_port = dhcp_service_is_port };
	struct dhcp_io_config io_cfg = { .ifname = svc->d->cfg.bridge, .ifindex = svc->d->ifindex,
					 .server_ip = svc->d->gateway,
					 .log = { dhcp_service_log, NULL } };
	struct dhcp_server_config c;
	struct dhcp_reservation *res;
	int r;

	r = dhcp_service_config(svc, &c, &res);
	if (r == 0)
		r = dhcp_server_new(&svc->srv, svc->store, &c, &ops, svc);
	free(res);
	if (r < 0) {
		log_error("DHCP: cannot start the server: %s", strerror(-r));
		return r;
	}
	dhcp_service_load_names(svc);
	memcpy(io_cfg.mac, svc->d->mac, 6);
	r = dhcp_io_start(&svc->io, svc->d->base, svc->srv, svc->store, &io_cfg, &io_ops, svc);
	if (r < 0 && r != -EADDRINUSE)
		log_error("DHCP: cannot open its sockets on %s: %s", svc->d->cfg.bridge,
			  strerror(-r));
	return r;
}

int dhcp_service_start(struct daemon *d)
{
	struct dhcp_service *svc = calloc(1, sizeof(*svc));
	char pool[2 * IP4_STRLEN + 1];
	int r;

	if (!svc)
		return -ENOMEM;
	svc->d = d;
	d->dhcp = svc;
	svc->drain_check = event_new(d->base, -1, 0, dhcp_service_on_drain_check, svc);
	svc->ioctl_fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (gethostname(svc->host_name, sizeof(svc->host_name)) < 0)
		svc->host_name[0] = '\0';
	svc->host_name[sizeof(svc->host_name) - 1] = '\0';
	if (svc->ioctl_fd < 0) {
		r = -errno;
		log_error("DHCP: cannot open a socket: %s", strerror(-r));
		return r;
	}
	if (!svc->drain_check) {
		log_error("DHCP: out of memory");
		return -ENOMEM;
	}
	r = dhcp_service_open_store(svc);
	if (r == 0)
		r = dhcp_service_start_server(svc);
	if (r < 0)
		return r;
	if (d->cfg.pool_auto) {
		snprintf(pool, sizeof(pool), "auto");
	} else {
		char a[IP4_STRLEN], b[IP4_STRLEN];

		snprintf(pool, sizeof(pool), "%s-%s", ip4_format(d->cfg.pool_first, a),
			 ip4_format(d->cfg.pool_last, b));
	}
	log_info("DHCP: serving %s (pool %s, leases of %us)", d->cfg.bridge, pool,
		 d->cfg.lease_time);
	return 0;
}

static void dhcp_service_summary(const struct dhcp_service *svc)
{
	struct dhcp_server_stats s;
	struct dhcp_io_stats io;

	if (!svc->srv || !svc->io)
		return;
	dhcp_server_stats(svc->srv, &s);
	dhcp_io_stats(svc->io, &io);
	log_info("DHCP: %llu received (%llu malformed), %llu offers, %llu acks, %llu naks, "
		 "%llu ignored, %llu deferred (%llu dropped waiting), %llu probes (%llu in use), "
		 "%llu rate-limited; %llu flushes for %llu batches (largest %llu)",
		 (unsigned long long)io.received, (unsigned long long)io.malformed,
		 (unsigned long long)s.offers, (unsigned long long)s.acks,
		 (unsigned long long)s.naks, (unsigned long long)s.ignored,
		 (unsigned long long)s.deferred, (unsigned long long)io.park_dropped,
		 (unsigned long long)s.probes, (unsigned long long)s.in_use,
		 (unsigned long long)s.rate_limited, (unsigned long long)io.flushes,
		 (unsigned long long)io.batches, (unsigned long long)io.max_batch);
}

void dhcp_service_stop(struct daemon *d)
{
	struct dhcp_service *svc = d->dhcp;

	if (!svc)
		return;
	dhcp_service_summary(svc);
	dhcp_io_stop(svc->io);
	if (svc->store && lease_store_flush(svc->store) < 0)
		log_error("DHCP: the last lease changes could not be written");
	dhcp_server_free(svc->srv);
	lease_store_close(svc->store);
	if (svc->ioctl_fd >= 0)
		close(svc->ioctl_fd);
	if (svc->drain_check)
		event_free(svc->drain_check);
	free(svc);
	d->dhcp = NULL;
}

void dhcp_service_reload(struct daemon *d)
{
	struct dhcp_service *svc = d->dhcp;
	struct dhcp_server_config c;
	struct dhcp_reservation *res;
	int r;

	if (!svc || !svc->srv)
		return;
	r = dhcp_service_config(svc, &c, &res);
	if (r == 0)
		r = dhcp_server_configure(svc->srv, &c);
	free(res);
	if (r < 0) {
		log_warning("reload: the DHCP server keeps its previous settings (%s)", strerror(-r));
		return;
	}
	dhcp_io_set_server_ip(svc->io, d->gateway);
	dhcp_io_kick(svc->io);
	/* A renumbering with no lease in the old subnet has nothing to drain. */
	dhcp_service_drain_check(svc);
}

/* -------------------------------------------------------------- queries */

size_t dhcp_service_live_leases(const struct daemon *d)
{
	uint64_t now = boot_clock_ms();
	const struct lease *l;
	uint32_t cur = 0;
	size_t n = 0;

	if (!d->dhcp)
		return 0;
	while ((l = lease_store_next(d->dhcp->store, &cur)))
		n += !(l->flags & LEASE_F_RELEASED) && l->expires_boot_ms > now;
	return n;
}

size_t dhcp_service_reservations(const struct daemon *d)
{
	size_t cur = 0, n = d->cfg.n_reservations;

	if (d->dhcp)
		while (lease_store_reservation_next(d->dhcp->store, &cur))
			n++;
	return n;
}

static void dhcp_service_lease_json(struct json *j, const struct lease *l, int64_t expires)
{
	char mac[MAC_STRLEN], ip[IP4_STRLEN];

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
	json_object_end(j);
}

static void dhcp_service_lease_text(FILE *out, const struct lease *l, int64_t expires)
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
int dhcp_service_cmd_leases(struct daemon *d, const struct control_request *req, FILE *out,
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
	while ((l = lease_store_next(d->dhcp->store, &cur))) {
		if ((l->flags & LEASE_F_RELEASED) || l->expires_boot_ms <= now)
			continue;
		if (json)
			dhcp_service_lease_json(&j, l, lease_store_wall_expiry(l, now, wall));
		else
			dhcp_service_lease_text(out, l, lease_store_wall_expiry(l, now, wall));
	}
	if (json) {
		json_array_end(&j);
		fputc('\n', out);
	}
	return 0;
}

/* Reservations change only through the store, and the reply waits until
 * the change is on disk. */
static int dhcp_service_commit(struct dhcp_service *svc, char *err, size_t errlen)
{
	int r = lease_store_flush(svc->store);

	if (r < 0)
		snprintf(err, errlen, "cannot write the lease file: %s", strerror(-r));
	dhcp_io_kick(svc->io);
	return r;
}

/* What reserve and unreserve check first: the server runs and argv[1] is
 * a MAC address (into mac). 0, or -errno with err set. */
static int dhcp_service_cmd_mac(struct daemon *d, const struct control_request *req,
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

int dhcp_service_cmd_reserve(struct daemon *d, const struct control_request *req, FILE *out,
			     char *err, size_t errlen)
{
	const char *name = req->argc == 4 ? req->argv[3] : NULL;
	const struct lease_reservation *old;
	char old_name[LEASE_HOSTNAME_MAX + 1] = "";
	uint32_t ip, old_ip = 0;
	uint8_t mac[6];
	int r;

	if (req->argc < 3 || req->argc > 4) {
		snprintf(err, errlen, "usage: reserve MAC IP [NAME]");
		return -EINVAL;
	}
	r = dhcp_service_cmd_mac(d, req, mac, err, errlen);
	if (r < 0)
		return r;
	if (ip4_parse(req->argv[2], strlen(req->argv[2]), &ip) < 0) {
		snprintf(err, errlen, "'%s' is not an IPv4 address", req->argv[2]);
		return -EINVAL;
	}
	old = lease_store_reservation_mac(d->dhcp->store, mac);
	if (old) {
		old_ip = old->ip;
		snprintf(old_name, sizeof(old_name), "%s", old->name);
	}
	r = dhcp_server_reserve(d->dhcp->srv, mac, ip, name, boot_clock_ms(), err, errlen);
	if (r < 0) {
		if (!err[0])
			snprintf(err, errlen, "cannot reserve: %s", strerror(-r));
		return r;
	}
	r = dhcp_service_commit(d->dhcp, err, errlen);
	if (r < 0)
		return r;
	if (old_name[0] && d->names)
		dhcp_service_unname(d, old_ip);
	if (name && d->names)
		name_table_set(d->names, name, strlen(name), ip);
	fprintf(out, "reserved %s for %s%s%s\n", req->argv[2], req->argv[1], name ? " as " : "",
		name ? name : "");
	log_info("DHCP: %s reserved for %s%s%s", req->argv[2], req->argv[1], name ? " as " : "",
		 name ? name : "");
	return 0;
}

int dhcp_service_cmd_unreserve(struct daemon *d, const struct control_request *req, FILE *out,
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
	r = dhcp_service_cmd_mac(d, req, mac, err, errlen);
	if (r < 0)
		return r;
	old = lease_store_reservation_mac(d->dhcp->store, mac);
	if (!old) {
		snprintf(err, errlen, "%s has no reservation made with reserve (Reservation= "
			 "entries change in the configuration file)", req->argv[1]);
		return -ENOENT;
	}
	ip = old->ip;
	named = old->name[0];
	r = lease_store_unreserve(d->dhcp->store, mac);
	if (r == 0)
		r = dhcp_service_commit(d->dhcp, err, errlen);
	if (r < 0) {
		if (!err[0])
			snprintf(err, errlen, "cannot unreserve: %s", strerror(-r));
		return r;
	}
	if (named)
		dhcp_service_unname(d, ip);
	fprintf(out, "reservation of %s removed\n", req->argv[1]);
	log_info("DHCP: reservation of %s removed", req->argv[1]);
	return 0;
}
