/* The mDNS responder in the daemon: see glue.h. */
#include <string.h>

#include "boot_clock.h"
#include "daemon.h"
#include "dhcp_service.h"
#include "glue.h"
#include "log.h"
#include "mdns_service.h"
#include "name_table.h"

static void mdns_glue_log(void *ctx, enum log_level level, const char *msg)
{
	log_msg(level, "%s", msg);
}

/* The port of the live DHCP lease that holds the name: a name from a
 * reservation alone has none. */
static unsigned mdns_glue_holder_port(void *ctx, const char *name)
{
	const struct daemon *d = ctx;
	const struct lease *l;
	uint32_t ip;

	if (!d->dhcp || name_table_lookup(d->names, name, strlen(name), &ip) < 0)
		return 0;
	l = lease_store_find_ip(dhcp_service_store(d->dhcp), ip);
	return l && lease_is_live(l, boot_clock_ms()) ? l->port : 0;
}

static void mdns_glue_opts(struct daemon *d, struct mdns_service_opts *o)
{
	*o = (struct mdns_service_opts){
		.ifname = d->cfg.bridge, .ifindex = d->ifindex, .gateway = d->subnet.gateway,
		.subnet_addr = d->subnet.subnet.addr, .subnet_len = d->subnet.subnet.len,
		.names = d->names, .log = { mdns_glue_log, NULL },
		.holder_port = mdns_glue_holder_port, .ctx = d,
		.prefix6_len = d->subnet.prefix6.len, .aaaa = dns_glue_guest_aaaa, .aaaa_ctx = d,
	};
	memcpy(o->prefix6, d->subnet.prefix6.addr, sizeof(o->prefix6));
}

void mdns_glue_start(struct daemon *d)
{
	struct mdns_service_opts o;

	if (!d->cfg.mdns_enable || d->mdns)
		return;
	mdns_glue_opts(d, &o);
	if (mdns_service_start(d->base, &o, &d->mdns) < 0)
		log_warning("mdns: the responder is off; guests' .local names will not resolve");
}

/* [MDNS] Enable= applies live; turning it off says goodbye to every name.
 * A new gateway (renumbering) is announced afresh. */
void mdns_glue_reload(struct daemon *d)
{
	struct mdns_service_opts o;

	if (!d->cfg.mdns_enable) {
		if (d->mdns)
			log_info("mdns: responder stopped ([MDNS] Enable=no)");
		mdns_glue_stop(d);
		return;
	}
	if (!d->mdns) {
		mdns_glue_start(d);
		return;
	}
	mdns_glue_opts(d, &o);
	if (mdns_service_reload(d->mdns, &o) < 0)
		log_warning("mdns: the responder keeps announcing the previous gateway");
}

void mdns_glue_aaaa_event(struct daemon *d, const uint8_t mac[6], const uint8_t addr[16],
			  bool added)
{
	uint32_t ip;

	if (!d->mdns)
		return;
	ip = dns_glue_lease_ip(d, mac);
	if (ip)
		mdns_service_aaaa_event(d->mdns, ip, addr, added);
}

void mdns_glue_stop(struct daemon *d)
{
	mdns_service_stop(d->mdns);
	d->mdns = NULL;
}
