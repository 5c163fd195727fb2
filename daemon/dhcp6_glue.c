/* Stateless DHCPv6 in the daemon: see dhcp6_glue.h. */
#include <string.h>

#include "daemon.h"
#include "dhcp6_glue.h"
#include "dhcp6_service.h"
#include "json.h"
#include "log.h"

static void dhcp6_glue_log(void *ctx, enum log_level level, const char *msg)
{
	log_msg(level, "%s", msg);
}

static void dhcp6_glue_opts(const struct daemon *d, struct dhcp6_service_opts *o)
{
	*o = (struct dhcp6_service_opts){
		.ifname = d->cfg.bridge, .ifindex = d->ifindex, .domain = d->cfg.domain,
		.log = { dhcp6_glue_log, NULL },
	};
	memcpy(o->mac, d->mac, sizeof(o->mac));
	memcpy(o->dns, d->subnet.gateway6, sizeof(o->dns));
}

void dhcp6_glue_start(struct daemon *d)
{
	struct dhcp6_service_opts o;

	if (!d->subnet.prefix6.len || d->dhcp6)
		return;
	dhcp6_glue_opts(d, &o);
	if (dhcp6_service_start(d->base, &o, &d->dhcp6) < 0)
		log_warning("dhcp6: off; guests take DNS from the router advertisements");
}

void dhcp6_glue_reload(struct daemon *d)
{
	struct dhcp6_service_opts o;

	if (!d->dhcp6)
		return;
	dhcp6_glue_opts(d, &o);
	if (dhcp6_service_reload(d->dhcp6, &o) < 0)
		log_warning("dhcp6: keeps the previous DNS settings");
}

void dhcp6_glue_stop(struct daemon *d)
{
	dhcp6_service_stop(d->dhcp6);
	d->dhcp6 = NULL;
}

void dhcp6_glue_status_json(const struct daemon *d, struct json *j)
{
	struct dhcp6_counters c;

	json_key(j, "dhcp6");
	if (!d->dhcp6) {
		json_null(j);
		return;
	}
	dhcp6_service_counters(d->dhcp6, &c);
	json_object_begin(j);
	json_field_uint(j, "replies", c.replies);
	json_field_uint(j, "ignored", c.ignored);
	json_object_end(j);
}
