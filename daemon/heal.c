/* Putting back the bridge and its addresses: see heal.h. */
#include <errno.h>
#include <string.h>

#include "boot_clock.h"
#include "bridge.h"
#include "daemon.h"
#include "dhcp6_glue.h"
#include "dhcp_glue.h"
#include "glue.h"
#include "heal.h"
#include "log.h"
#include "ra_glue.h"

void heal_gate_init(struct heal_gate *g, struct daemon *d, const char *what,
		    void (*run)(struct daemon *d))
{
	*g = (struct heal_gate){ .what = what, .run = run, .d = d };
	heal_budget_init(&g->budget, boot_clock_ms());
}

static void heal_gate_on_retry(evutil_socket_t fd, short what, void *arg)
{
	struct heal_gate *g = arg;

	g->run(g->d);
}

bool heal_gate_allow(struct heal_gate *g)
{
	uint64_t now = boot_clock_ms(), wait = heal_budget_take(&g->budget, now);
	struct timeval tv = { .tv_sec = (time_t)(wait / 1000),
			      .tv_usec = (suseconds_t)(wait % 1000) * 1000 };

	if (wait == 0)
		return true;
	if (heal_budget_should_warn(&g->budget, now))
		log_warning("something keeps removing %s (%llu repairs so far); repairing it at "
			    "most once every %d s until it stops", g->what,
			    (unsigned long long)g->budget.repairs, HEAL_REFILL_MS / 1000);
	if (!g->retry)
		g->retry = evtimer_new(g->d->base, heal_gate_on_retry, g);
	if (!g->retry || evtimer_add(g->retry, &tv) < 0)
		log_error("cannot schedule the repair of %s", g->what);
	return false;
}

void heal_gate_stop(struct heal_gate *g)
{
	if (g->retry)
		event_free(g->retry);
	g->retry = NULL;
}

/* The services' sockets were bound to the old bridge: start them again on
 * the new one. The DHCP lease store is flushed to disk on stop and read
 * back on start, so no lease is lost. */
static void heal_restart_services(struct daemon *d)
{
	ra_glue_stop(d);
	dhcp6_glue_stop(d);
	mdns_glue_stop(d);
	dhcp_glue_stop(d);
	dns_glue_stop(d);
	if (dns_glue_start(d) < 0)
		log_error("DNS: not serving the recreated bridge");
	if (dhcp_glue_start(d) < 0)
		log_error("DHCP: not serving the recreated bridge");
	mdns_glue_start(d);
	dhcp6_glue_start(d);
	ra_glue_start(d);
}

static void heal_recreate_bridge(struct daemon *d)
{
	char mac[MAC_STRLEN];
	bool created;
	int r;

	r = bridge_ensure(&d->nl, d->cfg.bridge, d->mac, &d->ifindex, &created);
	if (r < 0) {
		log_error("cannot recreate bridge %s: %s", d->cfg.bridge, strerror(-r));
		return;
	}
	r = bridge_set_up(&d->nl, d->ifindex);
	if (r < 0)
		log_error("cannot bring %s up: %s", d->cfg.bridge, strerror(-r));
	if (subnet_owner_restore(&d->subnet, d->ifindex) < 0)
		return;
	heal_restart_services(d);
	daemon_announce_gateway(d);
	log_warning("bridge %s was deleted by another program: recreated (ifindex %u, MAC %s) "
		    "with its gateway address; DHCP, DNS, mDNS (and router advertisements, "
		    "DHCPv6) restarted on it, leases kept",
		    d->cfg.bridge, d->ifindex, mac_format(d->mac, mac));
}

void heal_bridge(struct daemon *d)
{
	unsigned ifindex;
	bool up;
	int r = bridge_find(&d->nl, d->cfg.bridge, &ifindex, &up);

	if (r == -EEXIST) {
		log_error("%s is no longer a bridge: something else took its name", d->cfg.bridge);
		return;
	}
	if (r < 0 && r != -ENODEV) {
		log_warning("cannot look bridge %s up: %s", d->cfg.bridge, strerror(-r));
		return;
	}
	if (r == 0 && ifindex == d->ifindex) {
		if (subnet_owner_restore(&d->subnet, d->ifindex) > 0)
			daemon_announce_gateway(d);
		return;
	}
	if (heal_gate_allow(&d->bridge_heal))
		heal_recreate_bridge(d);
}
