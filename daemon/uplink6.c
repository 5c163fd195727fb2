/* The guests' IPv6 uplink: see uplink6.h. */
#include <errno.h>
#include <string.h>
#include <sys/socket.h>

#include "boot_clock.h"
#include "conntrack.h"
#include "daemon.h"
#include "log.h"
#include "uplink6.h"

static bool uplink6_changed(const struct uplink6 *a, const struct uplink6 *b)
{
	return a->present != b->present || a->ifindex != b->ifindex ||
	       a->no_forwarding != b->no_forwarding || a->n_addrs != b->n_addrs ||
	       memcmp(a->addrs, b->addrs, a->n_addrs * sizeof(a->addrs[0])) != 0;
}

static void uplink6_log(const struct uplink6 *u)
{
	char addr[IP6_STRLEN];

	if (u->present)
		log_info("IPv6 uplink now %s (%s)", u->ifname, ip6_format(u->addr, addr));
	else if (u->no_forwarding)
		log_warning("IPv6 uplink: none, IPv6 forwarding is off "
			    "(net.ipv6.conf.all.forwarding=0): guests get no IPv6 default route");
	else
		log_info("IPv6 uplink: none (no IPv6 route out with a global address)");
}

/* NAT66 flows masqueraded to an address the new uplink does not have
 * would keep leaving with it (a UDP flow for as long as it sends). */
static void uplink6_move_flows(struct daemon *d)
{
	const struct uplink6 *u = &d->uplink6;
	struct nat_prefix6 prefix = { .len = d->subnet.prefix6.len };
	struct conntrack_scope scope = {
		.family = AF_INET6, .prefixes = &prefix, .n_prefixes = 1,
		.keep6 = (const uint8_t (*)[16])u->addrs, .n_keep6 = u->n_addrs,
	};
	struct conntrack_sweep sw;
	uint64_t t0 = boot_clock_ms();
	int r;

	if (!d->cfg.masquerade || !u->present)
		return;
	memcpy(prefix.addr, d->subnet.prefix6.addr, sizeof(prefix.addr));
	r = conntrack_flush_stale(&scope, NULL, NULL, &sw);
	if (r < 0)
		log_warning("conntrack: cannot move guest IPv6 flows to %s: %s", u->ifname,
			    strerror(-r));
	log_msg(sw.deleted ? LOG_LEVEL_INFO : LOG_LEVEL_DEBUG,
		"conntrack: %u guest IPv6 flow%s moved to %s (%u entries seen) in %llu ms",
		sw.deleted, sw.deleted == 1 ? "" : "s", u->ifname, sw.seen,
		(unsigned long long)(boot_clock_ms() - t0));
}

void uplink6_evaluate(struct daemon *d)
{
	struct uplink6 u;
	uint8_t src[16];
	int r;

	if (!d->subnet.prefix6.len)
		return;
	/* A guest's view: a source in the prefix, in on the bridge. */
	memcpy(src, d->subnet.gateway6, sizeof(src));
	src[15] = 2;
	r = host6_uplink(&d->nl, d->ifindex, src, &u);
	if (r < 0) {
		log_warning("cannot look up the IPv6 route out: %s", strerror(-r));
		return;
	}
	if (!uplink6_changed(&u, &d->uplink6))
		return;
	uplink6_log(&u);
	d->uplink6 = u;
	uplink6_move_flows(d);
}
