/* The DHCP server as a service: see dhcp_service.h. */
#include <errno.h>
#include <net/if.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "boot_clock.h"
#include "dhcp_io.h"
#include "dhcp_service.h"

/* The bridge's MTU is read again at most this often. */
#define DHCP_SERVICE_MTU_MS 1000

struct dhcp_service {
	struct dhcp_service_opts o;   /* without the caller's pointers */
	char ifname[IF_NAMESIZE];
	struct lease_store *store;
	struct dhcp_server *srv;
	struct dhcp_io *io;
	int ioctl_fd;
	uint16_t mtu;
	uint64_t mtu_at;
	struct event *drain_check;    /* renumbering: is the old subnet empty? */
};

static bool dhcp_service_in_old_subnet(const struct dhcp_service *svc, uint32_t ip)
{
	uint32_t mask = svc->o.old_subnet_len ? ~0u << (32 - svc->o.old_subnet_len) : 0;

	return svc->o.old_subnet_len && (ip & mask) == svc->o.old_subnet_addr;
}

static bool dhcp_service_old_lease_live(const struct dhcp_service *svc)
{
	uint64_t now = boot_clock_ms();
	const struct lease *l;
	uint32_t cur = 0;

	while ((l = lease_store_next(svc->store, &cur)))
		if (dhcp_service_in_old_subnet(svc, l->ip) && lease_is_live(l, now))
			return true;
	return false;
}

/* The old subnet is served only while a lease there runs: once the last
 * has renewed into the new subnet, been released or expired, the daemon
 * lets it go. */
static void dhcp_service_on_drain_check(evutil_socket_t fd, short what, void *arg)
{
	struct dhcp_service *svc = arg;

	if (svc->o.old_subnet_len && svc->o.ops->old_subnet_empty &&
	    !dhcp_service_old_lease_live(svc))
		svc->o.ops->old_subnet_empty(svc->o.ctx);
}

/* A lease moved or ended: look once this loop iteration is done (one walk
 * of the store for a whole batch, and not from inside the server). */
static void dhcp_service_drain_check(struct dhcp_service *svc)
{
	if (svc->o.old_subnet_len)
		event_active(svc->drain_check, EV_TIMEOUT, 0);
}

/* ------------------------------------------------------------ callbacks */

static void dhcp_service_event(void *ctx, const struct dhcp_event *ev)
{
	struct dhcp_service *svc = ctx;

	svc->o.ops->event(svc->o.ctx, ev);
	switch (ev->kind) {
	case DHCP_EV_ACK_NEW:
	case DHCP_EV_ACK_RENEW:
	case DHCP_EV_RELEASE:
	case DHCP_EV_EXPIRE:
	case DHCP_EV_DECLINE:
		dhcp_service_drain_check(svc);
		break;
	default:
		break;
	}
}

static void dhcp_service_probe(void *ctx, uint32_t ip)
{
	struct dhcp_service *svc = ctx;

	dhcp_io_probe(svc->io, ip);
}

static uint32_t dhcp_service_name_owner(void *ctx, const char *name)
{
	struct dhcp_service *svc = ctx;

	return svc->o.ops->name_owner(svc->o.ctx, name);
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
	snprintf(ifr.ifr_name, sizeof(ifr.ifr_name), "%s", svc->ifname);
	if (ioctl(svc->ioctl_fd, SIOCGIFMTU, &ifr) == 0 && ifr.ifr_mtu >= 68 &&
	    ifr.ifr_mtu <= UINT16_MAX)
		svc->mtu = (uint16_t)ifr.ifr_mtu;
	return svc->mtu;
}

static bool dhcp_service_is_port(void *ctx, unsigned ifindex)
{
	struct dhcp_service *svc = ctx;

	return svc->o.ops->is_port(svc->o.ctx, ifindex);
}

static void dhcp_service_before_acks(void *ctx)
{
	struct dhcp_service *svc = ctx;

	if (svc->o.ops->before_acks)
		svc->o.ops->before_acks(svc->o.ctx);
}

static bool dhcp_service_port_up(void *ctx, unsigned ifindex)
{
	struct dhcp_service *svc = ctx;

	return svc->o.ops->port_up && svc->o.ops->port_up(svc->o.ctx, ifindex);
}

/* ------------------------------------------------------------ lifecycle */

static int dhcp_service_open_store(struct dhcp_service *svc, const struct dhcp_service_opts *o)
{
	uint8_t boot[LEASE_BOOT_ID_LEN] = { 0 };
	struct lease_load_info info;
	const char *dir = o->state_dir;
	int r;

	r = lease_store_read_boot_id(boot);
	if (r < 0)
		log_sink_printf(&svc->o.log, LOG_LEVEL_WARNING, "cannot read the boot ID (%s): "
				"lease expiries after a reboot follow the wall clock", strerror(-r));
	r = lease_store_open(&svc->store, dir, boot, boot_clock_ms(), time(NULL), &info);
	if (r < 0) {
		log_sink_printf(&svc->o.log, LOG_LEVEL_ERROR, "cannot open the lease store "
				"in %s: %s", dir, strerror(-r));
		return r;
	}
	if (info.bad_header)
		log_sink_printf(&svc->o.log, LOG_LEVEL_WARNING, "%s/leases was not a lease "
				"file; kept as %s/leases.corrupt, starting with no leases", dir, dir);
	if (info.dropped_bytes)
		log_sink_printf(&svc->o.log, LOG_LEVEL_WARNING, "%s/leases ended in %zu "
				"damaged or torn bytes (a crash?); everything before them was kept",
				dir, info.dropped_bytes);
	log_sink_printf(&svc->o.log, LOG_LEVEL_INFO, "%zu lease%s loaded from %s/leases%s",
			lease_store_count(svc->store), lease_store_count(svc->store) == 1 ? "" : "s",
			dir, info.other_boot && info.records ? " (written before this boot)" : "");
	return 0;
}

static int dhcp_service_start_server(struct dhcp_service *svc, struct event_base *base,
				     const struct dhcp_service_opts *o)
{
	static const struct dhcp_server_ops ops = {
		.probe = dhcp_service_probe, .name_owner = dhcp_service_name_owner,
		.event = dhcp_service_event, .port_up = dhcp_service_port_up,
	};
	static const struct dhcp_io_ops io_ops = {
		.mtu = dhcp_service_mtu, .is_port = dhcp_service_is_port,
		.before_acks = dhcp_service_before_acks,
	};
	struct dhcp_io_config io_cfg = {
		.ifname = svc->ifname, .ifindex = svc->o.ifindex,
		.server_ip = svc->o.server.server_ip, .log = svc->o.log,
	};
	int r;

	r = dhcp_server_new(&svc->srv, svc->store, &o->server, &ops, svc);
	if (r < 0) {
		log_sink_printf(&svc->o.log, LOG_LEVEL_ERROR, "cannot start the server: %s",
				strerror(-r));
		return r;
	}
	memcpy(io_cfg.mac, svc->o.mac, 6);
	r = dhcp_io_start(&svc->io, base, svc->srv, svc->store, &io_cfg, &io_ops, svc);
	if (r < 0 && r != -EADDRINUSE)
		log_sink_printf(&svc->o.log, LOG_LEVEL_ERROR, "cannot open its sockets on "
				"%s: %s", svc->ifname, strerror(-r));
	return r;
}

/* What outlives the caller's opts: the strings and reservations of the
 * server config are the caller's (the server keeps copies), and the state
 * directory is needed only to open the store. */
static int dhcp_service_take_opts(struct dhcp_service *svc, const struct dhcp_service_opts *o)
{
	if (!o->ifname || strlen(o->ifname) >= sizeof(svc->ifname) || !o->state_dir || !o->ops ||
	    !o->ops->event || !o->ops->name_owner || !o->ops->is_port)
		return -EINVAL;
	svc->o = *o;
	svc->o.server.domain = svc->o.server.host_name = NULL;
	svc->o.server.reservations = NULL;
	svc->o.state_dir = NULL;
	snprintf(svc->ifname, sizeof(svc->ifname), "%s", o->ifname);
	svc->o.ifname = svc->ifname;
	return 0;
}

int dhcp_service_start(struct event_base *base, const struct dhcp_service_opts *o,
		       struct dhcp_service **out)
{
	struct dhcp_service *svc;
	int r;

	if (!base || !o || !out)
		return -EINVAL;
	svc = calloc(1, sizeof(*svc));
	if (!svc)
		return -ENOMEM;
	svc->ioctl_fd = -1;
	r = dhcp_service_take_opts(svc, o);
	if (r < 0)
		goto fail;
	svc->drain_check = event_new(base, -1, 0, dhcp_service_on_drain_check, svc);
	svc->ioctl_fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (!svc->drain_check || svc->ioctl_fd < 0) {
		r = svc->drain_check ? -errno : -ENOMEM;
		log_sink_printf(&svc->o.log, LOG_LEVEL_ERROR, "cannot open a socket: %s",
				strerror(-r));
		goto fail;
	}
	r = dhcp_service_open_store(svc, o);
	if (r == 0)
		r = dhcp_service_start_server(svc, base, o);
	if (r < 0)
		goto fail;
	*out = svc;
	return 0;
fail:
	dhcp_service_stop(svc);
	return r;
}

int dhcp_service_reload(struct dhcp_service *svc, const struct dhcp_service_opts *o)
{
	int r;

	if (!svc || !o || !svc->srv)
		return -EINVAL;
	r = dhcp_server_configure(svc->srv, &o->server);
	if (r < 0)
		return r;
	svc->o.server = o->server;
	svc->o.server.domain = svc->o.server.host_name = NULL;
	svc->o.server.reservations = NULL;
	svc->o.old_subnet_addr = o->old_subnet_addr;
	svc->o.old_subnet_len = o->old_subnet_len;
	dhcp_io_set_server_ip(svc->io, o->server.server_ip);
	dhcp_io_kick(svc->io);
	/* A renumbering with no lease in the old subnet has nothing to drain. */
	dhcp_service_drain_check(svc);
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
	log_sink_printf(&svc->o.log, LOG_LEVEL_INFO, "%llu received (%llu malformed), "
			"%llu offers, %llu acks, %llu naks, %llu ignored, %llu deferred (%llu "
			"dropped waiting), %llu probes (%llu in use), %llu rate-limited, %llu "
			"refused at LeasesPerPort=; %llu "
			"flushes for %llu batches (largest %llu)",
			(unsigned long long)io.received, (unsigned long long)io.malformed,
			(unsigned long long)s.offers, (unsigned long long)s.acks,
			(unsigned long long)s.naks, (unsigned long long)s.ignored,
			(unsigned long long)s.deferred, (unsigned long long)io.park_dropped,
			(unsigned long long)s.probes, (unsigned long long)s.in_use,
			(unsigned long long)s.rate_limited, (unsigned long long)s.port_full,
			(unsigned long long)io.flushes,
			(unsigned long long)io.batches, (unsigned long long)io.max_batch);
}

void dhcp_service_stop(struct dhcp_service *svc)
{
	if (!svc)
		return;
	dhcp_service_summary(svc);
	dhcp_io_stop(svc->io);
	if (svc->store && lease_store_flush(svc->store) < 0)
		log_sink_printf(&svc->o.log, LOG_LEVEL_ERROR, "the last lease changes could "
				"not be written");
	dhcp_server_free(svc->srv);
	lease_store_close(svc->store);
	if (svc->ioctl_fd >= 0)
		close(svc->ioctl_fd);
	if (svc->drain_check)
		event_free(svc->drain_check);
	free(svc);
}

/* -------------------------------------------------------------- queries */

const struct lease_store *dhcp_service_store(const struct dhcp_service *svc)
{
	return svc->store;
}

void dhcp_service_stats(const struct dhcp_service *svc, struct dhcp_server_stats *st)
{
	dhcp_server_stats(svc->srv, st);
}

const struct dhcp_exchange *dhcp_service_last_exchange(const struct dhcp_service *svc,
							const uint8_t mac[6])
{
	return dhcp_io_last_exchange(svc->io, mac);
}

size_t dhcp_service_live_leases(const struct dhcp_service *svc)
{
	uint64_t now = boot_clock_ms();
	const struct lease *l;
	uint32_t cur = 0;
	size_t n = 0;

	while ((l = lease_store_next(svc->store, &cur)))
		n += lease_is_live(l, now);
	return n;
}

size_t dhcp_service_reservations(const struct dhcp_service *svc)
{
	size_t cur = 0, n = svc->o.server.n_reservations;

	while (lease_store_reservation_next(svc->store, &cur))
		n++;
	return n;
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

int dhcp_service_reserve(struct dhcp_service *svc, const uint8_t mac[6], uint32_t ip,
			 const char *name, char *err, size_t errlen)
{
	int r;

	err[0] = '\0';
	r = dhcp_server_reserve(svc->srv, mac, ip, name, boot_clock_ms(), err, errlen);
	if (r < 0) {
		if (!err[0])
			snprintf(err, errlen, "cannot reserve: %s", strerror(-r));
		return r;
	}
	return dhcp_service_commit(svc, err, errlen);
}

int dhcp_service_unreserve(struct dhcp_service *svc, const uint8_t mac[6], char *err,
			   size_t errlen)
{
	int r;

	err[0] = '\0';
	r = lease_store_unreserve(svc->store, mac);
	if (r == 0)
		r = dhcp_service_commit(svc, err, errlen);
	if (r < 0 && !err[0])
		snprintf(err, errlen, "cannot unreserve: %s", strerror(-r));
	return r;
}
