/* The DNS server in the daemon: see glue.h. */
#include <errno.h>
#include <string.h>
#include <unistd.h>

#include "daemon.h"
#include "dhcp_service.h"
#include "dns_service.h"
#include "glue.h"
#include "lease_store.h"
#include "log.h"
#include "neigh6_watch.h"
#include "subnet.h"

static void dns_glue_log(void *ctx, enum log_level level, const char *msg)
{
	log_msg(level, "%s", msg);
}

size_t dns_glue_guest_aaaa(void *ctx, uint32_t ip, uint8_t (*out)[16], size_t max)
{
	const struct daemon *d = ctx;
	const struct lease *l = d->dhcp ? lease_store_find_ip(dhcp_service_store(d->dhcp), ip) :
				NULL;

	return l ? neigh6_watch_lookup(d, l->mac, out, max) : 0;
}

uint32_t dns_glue_lease_ip(const struct daemon *d, const uint8_t mac[6])
{
	const struct lease *l;
	uint32_t cursor = 0, ip = 0;

	if (!d->dhcp)
		return 0;
	while ((l = lease_store_next(dhcp_service_store(d->dhcp), &cursor)) != NULL)
		if (memcmp(l->mac, mac, 6) == 0)
			ip = l->ip;
	return ip;
}

/* The guest that has an IPv6 address: its MAC in the neighbour table,
 * then the lease of that MAC (for PTR queries in the prefix only). */
static uint32_t dns_glue_guest_ip(void *ctx, const uint8_t addr[16])
{
	const struct daemon *d = ctx;
	uint8_t mac[6];

	return neigh6_watch_mac_of(d, addr, mac) == 0 ? dns_glue_lease_ip(d, mac) : 0;
}

/* The opts point into host and ups, which the caller provides. */
static void dns_glue_opts(struct daemon *d, struct dns_service_opts *o, char *host,
			  size_t host_size, struct dns_server_addr *ups)
{
	const struct subnet_owner *sn = &d->subnet;

	if (gethostname(host, host_size) < 0)
		host[0] = '\0';
	host[host_size - 1] = '\0';
	for (size_t i = 0; i < d->cfg.n_upstreams; i++) {
		ups[i].family = d->cfg.upstreams[i].family;
		memcpy(ups[i].addr, d->cfg.upstreams[i].addr, sizeof(ups[i].addr));
		ups[i].port = d->cfg.upstreams[i].port;
	}
	*o = (struct dns_service_opts){
		.ifname = d->cfg.bridge, .gateway = sn->gateway,
		.subnet_addr = sn->subnet.addr, .subnet_len = sn->subnet.len,
		.old_gateway = sn->old_subnet.len ? subnet_gateway(sn->old_subnet) : 0,
		.old_subnet_addr = sn->old_subnet.addr, .old_subnet_len = sn->old_subnet.len,
		.domain = d->cfg.domain, .hostname = host, .names = d->names,
		.upstream_auto = d->cfg.upstream_auto, .resolv_conf = d->cfg.resolv_conf,
		.upstreams = ups, .n_upstreams = d->cfg.n_upstreams,
		.log = { dns_glue_log, NULL },
		.prefix6_len = sn->prefix6.len, .aaaa = dns_glue_guest_aaaa, .aaaa_ctx = d,
		.name6 = dns_glue_guest_ip,
	};
	memcpy(o->prefix6, sn->prefix6.addr, sizeof(o->prefix6));
	memcpy(o->gateway6, sn->gateway6, sizeof(o->gateway6));
}

int dns_glue_start(struct daemon *d)
{
	struct dns_server_addr ups[CONFIG_MAX_UPSTREAMS];
	struct dns_service_opts o;
	char host[256];
	int r;

	dns_glue_opts(d, &o, host, sizeof(host), ups);
	r = dns_service_start(d->base, &o, &d->dns);
	if (r < 0)
		log_error("cannot start the DNS server: %s", strerror(-r));
	return r;
}

/* A reload, or the gateway moved: while a renumbering drains the old
 * subnet, DNS listens on the old gateway too, since guests there ask it
 * until they re-lease. On failure the server keeps listening where it did
 * and answering as it did. */
void dns_glue_reload(struct daemon *d)
{
	struct dns_server_addr ups[CONFIG_MAX_UPSTREAMS];
	struct dns_service_opts o;
	char host[256];

	if (!d->dns)
		return;
	dns_glue_opts(d, &o, host, sizeof(host), ups);
	if (dns_service_reload(d->dns, &o) < 0)
		log_warning("DNS: the server keeps its previous settings and addresses");
}

void dns_glue_stop(struct daemon *d)
{
	dns_service_stop(d->dns);
	d->dns = NULL;
}
