/* The nftables table inet defnet from the daemon's state: see glue.h. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "bridge.h"
#include "daemon.h"
#include "glue.h"
#include "log.h"

static int nat_glue_cmp_port(const void *a, const void *b)
{
	uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;

	return x < y ? -1 : x > y;
}

/* The bridge's ports now, sorted, into ports (NAT_MAX_PORTS). */
static size_t nat_glue_list_ports(struct daemon *d, uint32_t *ports)
{
	size_t n = 0;
	int r = bridge_port_list(&d->nl, d->ifindex, ports, NAT_MAX_PORTS, &n);

	if (r == -ENOSPC) {
		log_warning("guards: more than %d bridge ports; the others are not guarded",
			    NAT_MAX_PORTS);
		n = NAT_MAX_PORTS;
	} else if (r < 0) {
		log_warning("guards: cannot list the bridge's ports: %s", strerror(-r));
		n = 0;
	}
	qsort(ports, n, sizeof(*ports), nat_glue_cmp_port);
	return n;
}

static int nat_glue_ruleset(struct daemon *d, struct nat_ruleset *rs)
{
	const struct subnet_owner *sn = &d->subnet;
	int r = nat_ruleset_init(rs, d->cfg.bridge, d->cfg.masquerade);

	rs->guard_dhcp_servers = d->cfg.guard_dhcp_servers;
	rs->guard_router_ads = d->cfg.guard_router_ads;
	rs->ports = d->guard_ports;
	rs->n_ports = d->n_guard_ports;
	if (r == 0)
		r = nat_ruleset_add_subnet(rs, sn->subnet.addr, sn->subnet.len);
	if (r == 0 && sn->old_subnet.len)
		r = nat_ruleset_add_subnet(rs, sn->old_subnet.addr, sn->old_subnet.len);
	return r;
}

void nat_glue_ports(struct daemon *d)
{
	uint32_t ports[NAT_MAX_PORTS];
	struct nat_ruleset rs;
	struct nat_batch *b;
	char err[NAT_ERR_SIZE];
	size_t n = nat_glue_list_ports(d, ports);
	int r;

	if (!d->nat.sock || (n == d->n_guard_ports &&
			     memcmp(ports, d->guard_ports, n * sizeof(*ports)) == 0))
		return;
	memcpy(d->guard_ports, ports, n * sizeof(*ports));
	d->n_guard_ports = n;
	if (nat_glue_ruleset(d, &rs) < 0 || !nat_ruleset_has_guards(&rs))
		return;
	b = malloc(sizeof(*b));
	r = b ? nat_batch_build_ports(b, &rs, d->nat.seq, NAT_BATCH_COMMIT) : -ENOMEM;
	if (r == 0) {
		d->nat.seq += (uint32_t)b->n_msgs + 2;
		r = nat_conn_send(&d->nat, b, err, sizeof(err));
	} else {
		snprintf(err, sizeof(err), "%s", strerror(-r));
	}
	free(b);
	if (r < 0)
		log_error("guards: the set of bridge ports was not updated: %s", err);
}

int nat_glue_apply(struct daemon *d)
{
	struct nat_ruleset rs;
	char err[NAT_ERR_SIZE];
	int r;

	d->n_guard_ports = nat_glue_list_ports(d, d->guard_ports);
	r = nat_glue_ruleset(d, &rs);
	if (r < 0) {
		log_error("nftables: cannot describe the ruleset: %s", strerror(-r));
		return r;
	}
	if (!d->nat.sock && (r = nat_conn_open(&d->nat)) < 0) {
		log_error("nftables: cannot open a netlink socket: %s", strerror(-r));
		return r;
	}
	r = nat_conn_apply(&d->nat, &rs, NAT_BATCH_COMMIT, err, sizeof(err));
	if (r < 0) {
		log_error("%s", err);
		return r;
	}
	log_info("nftables table inet defnet in place (%s); guards: DHCP servers %s, "
		 "router advertisements %s", d->cfg.masquerade ? "masquerade" : "routed, no masquerade",
		 rs.guard_dhcp_servers ? "denied" : "allowed",
		 rs.guard_router_ads ? "denied" : "allowed");
	return 0;
}
