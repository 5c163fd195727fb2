/* The mDNS responder in the daemon: see glue.h. */
#include "daemon.h"
#include "glue.h"
#include "log.h"
#include "mdns_service.h"

static void mdns_glue_log(void *ctx, enum log_level level, const char *msg)
{
	log_msg(level, "%s", msg);
}

static void mdns_glue_opts(const struct daemon *d, struct mdns_service_opts *o)
{
	*o = (struct mdns_service_opts){
		.ifname = d->cfg.bridge, .ifindex = d->ifindex, .gateway = d->subnet.gateway,
		.subnet_addr = d->subnet.subnet.addr, .subnet_len = d->subnet.subnet.len,
		.names = d->names, .log = { mdns_glue_log, NULL },
	};
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

void mdns_glue_stop(struct daemon *d)
{
	mdns_service_stop(d->mdns);
	d->mdns = NULL;
}
