/* Router advertisements in the daemon: see glue.h. */
#include <errno.h>
#include <net/if.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <unistd.h>

#include "daemon.h"
#include "glue.h"
#include "log.h"
#include "ra_service.h"

static void ra_glue_log(void *ctx, enum log_level level, const char *msg)
{
	log_msg(level, "%s", msg);
}

/* The bridge's MTU (the smallest of its ports'): guests learn it from the
 * MTU option (RFC 4861 4.6.4). 0 when it cannot be read: no option. */
static uint32_t ra_glue_mtu(const char *ifname)
{
	struct ifreq ifr = { 0 };
	int fd = socket(AF_INET6, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	int r;

	if (fd < 0)
		return 0;
	snprintf(ifr.ifr_name, sizeof(ifr.ifr_name), "%s", ifname);
	r = ioctl(fd, SIOCGIFMTU, &ifr);
	close(fd);
	return r < 0 || ifr.ifr_mtu <= 0 ? 0 : (uint32_t)ifr.ifr_mtu;
}

/* A guest's view of the way out: a source in the prefix, in on the
 * bridge. */
static void ra_glue_uplink(struct daemon *d)
{
	char addr[IP6_STRLEN];
	struct uplink6 u;
	uint8_t src[16];
	int r;

	memcpy(src, d->subnet.gateway6, sizeof(src));
	src[15] = 2;
	r = host6_uplink(&d->nl, d->ifindex, src, &u);
	if (r < 0) {
		log_warning("cannot look up the IPv6 route out: %s", strerror(-r));
		return;
	}
	if (u.present != d->uplink6.present || u.ifindex != d->uplink6.ifindex ||
	    memcmp(u.addr, d->uplink6.addr, 16) != 0) {
		if (u.present)
			log_info("IPv6 uplink now %s (%s)", u.ifname, ip6_format(u.addr, addr));
		else
			log_info("IPv6 uplink: none (no IPv6 route out with a global address)");
	}
	d->uplink6 = u;
}

static void ra_glue_opts(struct daemon *d, struct ra_service_opts *o)
{
	*o = (struct ra_service_opts){
		.ifname = d->cfg.bridge, .ifindex = d->ifindex,
		.prefix_len = d->subnet.prefix6.len, .mtu = ra_glue_mtu(d->cfg.bridge),
		.default_router = d->uplink6.present, .domain = d->cfg.domain,
		.log = { ra_glue_log, NULL },
	};
	memcpy(o->mac, d->mac, sizeof(o->mac));
	memcpy(o->prefix, d->subnet.prefix6.addr, sizeof(o->prefix));
	memcpy(o->gateway, d->subnet.gateway6, sizeof(o->gateway));
}

void ra_glue_start(struct daemon *d)
{
	struct ra_service_opts o;

	if (!d->subnet.prefix6.len || d->ra)
		return;
	ra_glue_uplink(d);
	ra_glue_opts(d, &o);
	if (ra_service_start(d->base, &o, &d->ra) < 0)
		log_warning("ra: router advertisements are off; guests get no IPv6 address");
}

void ra_glue_follow(struct daemon *d)
{
	struct ra_service_opts o;

	if (!d->ra)
		return;
	ra_glue_uplink(d);
	ra_glue_opts(d, &o);
	if (ra_service_reload(d->ra, &o) < 0)
		log_warning("ra: the advertisements do not follow the change");
}

void ra_glue_stop(struct daemon *d)
{
	ra_service_stop(d->ra);
	d->ra = NULL;
}
