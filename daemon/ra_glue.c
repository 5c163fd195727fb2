/* Router advertisements in the daemon: see ra_glue.h. */
#include <errno.h>
#include <net/if.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <unistd.h>

#include "daemon.h"
#include "dhcp6_glue.h"
#include "json.h"
#include "log.h"
#include "ra_glue.h"
#include "ra_sched.h"
#include "ra_service.h"
#include "uplink6.h"

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
	memcpy(o->old_prefix, d->subnet.old_prefix6.addr, sizeof(o->old_prefix));
	o->old_prefix_len = d->subnet.old_prefix6.len;
	memcpy(o->gateway, d->subnet.gateway6, sizeof(o->gateway));
}

void ra_glue_start(struct daemon *d)
{
	struct ra_service_opts o;

	if (!d->subnet.prefix6.len || d->ra)
		return;
	uplink6_evaluate(d);
	ra_glue_opts(d, &o);
	if (ra_service_start(d->base, &o, &d->ra) < 0)
		log_warning("ra: router advertisements are off; guests get no IPv6 address");
	else
		ra_glue_announce(d);
}

void ra_glue_announce(struct daemon *d)
{
	if (d->ra)
		ra_service_announce(d->ra);
}

void ra_glue_follow(struct daemon *d)
{
	struct ra_service_opts o;

	if (!d->ra)
		return;
	uplink6_evaluate(d);
	ra_glue_opts(d, &o);
	if (ra_service_reload(d->ra, &o) < 0)
		log_warning("ra: the advertisements do not follow the change");
}

void ra_glue_stop(struct daemon *d)
{
	ra_service_stop(d->ra);
	d->ra = NULL;
}

static unsigned ra_glue_lifetime(const struct daemon *d)
{
	return d->ra && d->uplink6.present ? RA_ROUTER_LIFETIME_S : 0;
}

static void ra_glue_json_ra(const struct daemon *d, struct json *j)
{
	struct ra_counters c = { 0 };

	if (d->ra)
		ra_service_counters(d->ra, &c);
	json_key(j, "ra");
	json_object_begin(j);
	json_field_uint(j, "sent", c.sent);
	json_field_uint(j, "solicits", c.solicits);
	json_field_uint(j, "announced", c.announced);
	json_field_uint(j, "dropped", c.dropped);
	json_object_end(j);
}

void ra_glue_status_json(const struct daemon *d, struct json *j)
{
	char p[IP6_PREFIX_STRLEN], a[IP6_STRLEN];

	json_key(j, "ipv6");
	if (!d->subnet.prefix6.len) {
		json_null(j);
		return;
	}
	json_object_begin(j);
	json_field_string(j, "prefix", ip6_prefix_format(&d->subnet.prefix6, p));
	json_field_string(j, "prefix_mode", d->cfg.prefix6_auto ? "auto" : "fixed");
	json_field_string(j, "gateway", ip6_format(d->subnet.gateway6, a));
	json_key(j, "uplink");
	if (d->uplink6.present) {
		json_object_begin(j);
		json_field_string(j, "ifname", d->uplink6.ifname);
		json_field_string(j, "address", ip6_format(d->uplink6.addr, a));
		json_object_end(j);
	} else {
		json_null(j);
	}
	json_field_uint(j, "router_lifetime", ra_glue_lifetime(d));
	ra_glue_json_ra(d, j);
	dhcp6_glue_status_json(d, j);
	json_object_end(j);
}

void ra_glue_status_text(const struct daemon *d, FILE *out)
{
	char p[IP6_PREFIX_STRLEN], a[IP6_STRLEN];

	if (!d->subnet.prefix6.len) {
		fprintf(out, "ipv6:         off (IPv6=no)\n");
		return;
	}
	fprintf(out, "ipv6:         %s (%s), gateway %s\n",
		ip6_prefix_format(&d->subnet.prefix6, p), d->cfg.prefix6_auto ? "auto" : "fixed",
		ip6_format(d->subnet.gateway6, a));
	if (d->uplink6.present)
		fprintf(out, "ipv6 uplink:  %s (%s), router lifetime %us\n", d->uplink6.ifname,
			ip6_format(d->uplink6.addr, a), ra_glue_lifetime(d));
	else
		fprintf(out, "ipv6 uplink:  none (router lifetime 0: guests get no IPv6 default "
			"route)\n");
}
