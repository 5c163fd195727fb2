/* The nftables tables inet defnet and bridge defnet from the daemon's
 * state: see glue.h. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bridge.h"
#include "daemon.h"
#include "glue.h"
#include "guard_log.h"
#include "log.h"
#include "nat_counters.h"
#include "nat_nflog.h"

/* What the guards dropped is logged at most once per this interval. */
#define NAT_GLUE_GUARD_LOG_S 10

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

/* The whole ruleset: subnets, the IPv6 prefix, forwards, the trace, the guards. */
static int nat_glue_ruleset(struct daemon *d, struct nat_ruleset *rs)
{
	const struct subnet_owner *sn = &d->subnet;
	int r = nat_ruleset_init(rs, d->cfg.bridge, d->cfg.masquerade);

	rs->trace_addr = d->trace_addr;
	rs->guard_dhcp_servers = d->cfg.guard_dhcp_servers;
	rs->guard_router_ads = d->cfg.guard_router_ads;
	rs->guard_spoof = d->cfg.guard_spoof;
	rs->guard_log = d->guard_log != NULL;
	rs->ports = d->guard_ports;
	rs->n_ports = d->n_guard_ports;
	if (r == 0)
		r = nat_ruleset_add_subnet(rs, sn->subnet.addr, sn->subnet.len);
	if (r == 0 && sn->old_subnet.len)
		r = nat_ruleset_add_subnet(rs, sn->old_subnet.addr, sn->old_subnet.len);
	if (r == 0 && sn->prefix6.len)
		r = nat_ruleset_set_prefix6(rs, sn->prefix6.addr, sn->prefix6.len);
	for (size_t i = 0; r == 0 && i < d->forwards.n; i++) {
		const struct forward *f = &d->forwards.v[i];
		struct nat_forward nf = {
			.proto = f->proto, .port = f->port, .addr = f->addr,
			.to_port = f->guest_port,
		};

		/* The IPv6 target only while the guests have the prefix (it may
		 * have just moved: the next neighbour events say where). */
		if (forward_has_addr6(f) && ip6_prefix_contains(&sn->prefix6, f->addr6))
			memcpy(nf.addr6, f->addr6, sizeof(nf.addr6));
		/* A forward whose guest has no address has no rule. */
		if (nf.addr || forward_has_addr6(f))
			r = nat_ruleset_add_forward(rs, &nf);
	}
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
	/* The bindings of a port gone go with it. */
	spoof_glue_sync(d);
}

static const struct {
	const char *what, *why;
} nat_glue_guard_what[NAT_GUARD_COUNT] = {
	[NAT_GUARD_DHCP4] = { "DHCPv4 server message", "a guest running its own DHCP server?" },
	[NAT_GUARD_DHCP6] = { "DHCPv6 server message", "a guest running its own DHCP server?" },
	[NAT_GUARD_RA] = { "router advertisement", "a guest running its own router?" },
	[NAT_GUARD_SPOOF] = { "frame from a MAC or address not leased to its port",
			      "a guest with a static address, a bridge inside, or spoofing?" },
};

/* The counters say how many; the nflog samples (guard_log.h), from which
 * ports: the journal line points at the guest with a DHCP server or
 * router, nft does not. */
static void nat_glue_on_guard_timer(evutil_socket_t fd, short what, void *arg)
{
	struct daemon *d = arg;
	struct nat_guard_counts c;
	char ports[256];
	uint64_t n;

	if (nat_counters_read(&c) < 0)
		return;
	for (int g = 0; g < NAT_GUARD_COUNT; g++) {
		guard_log_take(d->guard_log, (enum nat_guard)g, ports, sizeof(ports));
		if (!c.present[g] || c.packets[g] <= d->guard_logged[g])
			continue;
		n = c.packets[g] - d->guard_logged[g];
		d->guard_logged[g] = c.packets[g];
		log_warning("guards: %llu %s%s from guest ports dropped at the bridge in the last "
			    "%d s (%s)%s%s", (unsigned long long)n, nat_glue_guard_what[g].what,
			    n == 1 ? "" : "s", NAT_GLUE_GUARD_LOG_S, nat_glue_guard_what[g].why,
			    ports[0] ? "; sampled: " : "", ports);
	}
}

/* The table was rebuilt: its counters start from zero. */
static void nat_glue_guard_report(struct daemon *d, const struct nat_ruleset *rs)
{
	struct timeval tv = { NAT_GLUE_GUARD_LOG_S, 0 };

	memset(d->guard_logged, 0, sizeof(d->guard_logged));
	if (!nat_ruleset_has_guards(rs) || d->guard_timer || !d->base)
		return;
	d->guard_timer = event_new(d->base, -1, EV_PERSIST, nat_glue_on_guard_timer, d);
	if (!d->guard_timer || event_add(d->guard_timer, &tv) < 0)
		log_warning("guards: no periodic report of what they drop (out of memory)");
}

/* The host's own localhost:HOSTPORT leaves on the bridge after the DNAT of
 * the output chain; the kernel routes a 127.0.0.0/8 source off the
 * loopback only with route_localnet (and the postrouting masquerade then
 * gives it the gateway's address). Set on our bridge only. */
static void nat_glue_route_localnet(const struct daemon *d)
{
	char path[128];
	bool ok;
	FILE *f;

	snprintf(path, sizeof(path), "/proc/sys/net/ipv4/conf/%s/route_localnet", d->cfg.bridge);
	f = fopen(path, "we");
	if (!f) {
		ok = false;
	} else {
		ok = fputs("1\n", f) >= 0;
		ok = fclose(f) == 0 && ok;
	}
	if (!ok)
		log_warning("forwards: cannot set %s (%s): localhost:HOSTPORT will not reach "
			    "guests", path, strerror(errno));
}

/* What our batch left: later events compare against it. A table we cannot
 * read back is treated as unknown, so the next event checks it again. */
static void nat_glue_remember(struct daemon *d)
{
	struct nat_heal *h = &d->nat_heal;

	h->fp_known = nat_conn_fingerprint(&d->nat, &h->fp) == 0;
	if (!h->fp_known)
		log_warning("nftables: cannot read back table inet defnet after applying it");
}

/* The nflog samples of the guards' drops, tried once: a kernel without
 * nfnetlink_log, or another program on the group, leaves the counters. */
static void nat_glue_guard_log(struct daemon *d)
{
	int r;

	if (d->guard_log_tried || !d->base ||
	    !(d->cfg.guard_dhcp_servers || d->cfg.guard_router_ads || d->cfg.guard_spoof))
		return;
	d->guard_log_tried = true;
	r = guard_log_start(d->base, &d->guard_log);
	if (r < 0)
		log_warning("guards: drops are counted but not traced to ports: cannot bind nflog "
			    "group %d (%s)", NAT_NFLOG_GROUP, strerror(-r));
}

/* A kernel that refuses the log rules (no nft_log): the guards without. */
static int nat_glue_apply_without_log(struct daemon *d, struct nat_ruleset *rs, char *err,
				      size_t errlen)
{
	log_warning("guards: %s; again without logging the drops to nflog", err);
	guard_log_stop(d->guard_log);
	d->guard_log = NULL;
	rs->guard_log = false;
	return nat_conn_apply(&d->nat, rs, NAT_BATCH_COMMIT, err, errlen);
}

int nat_glue_apply(struct daemon *d)
{
	struct nat_ruleset rs;
	char err[NAT_ERR_SIZE];
	int r;

	nat_glue_guard_log(d);
	d->n_guard_ports = nat_glue_list_ports(d, d->guard_ports);
	r = nat_glue_ruleset(d, &rs);
	if (r < 0) {
		log_error("nftables: cannot describe the ruleset: %s", strerror(-r));
		return r;
	}
	if (rs.n_forwards)
		nat_glue_route_localnet(d);
	if (!d->nat.sock && (r = nat_conn_open(&d->nat)) < 0) {
		log_error("nftables: cannot open a netlink socket: %s", strerror(-r));
		return r;
	}
	r = nat_conn_apply(&d->nat, &rs, NAT_BATCH_COMMIT, err, sizeof(err));
	if (r < 0 && rs.guard_log)
		r = nat_glue_apply_without_log(d, &rs, err, sizeof(err));
	if (r < 0) {
		log_error("%s", err);
		return r;
	}
	nat_glue_remember(d);
	nat_glue_guard_report(d, &rs);
	spoof_glue_sync(d);
	log_info("nftables table inet defnet in place (%s, %zu port forward%s); guards: DHCP "
		 "servers %s, router advertisements %s, spoof protection %s",
		 d->cfg.masquerade ? "masquerade" : "routed, no masquerade", rs.n_forwards,
		 rs.n_forwards == 1 ? "" : "s", rs.guard_dhcp_servers ? "denied" : "allowed",
		 rs.guard_router_ads ? "denied" : "allowed", rs.guard_spoof ? "on" : "off");
	return 0;
}

/* The guards' table, when they are on, holds a counter per guard: one
 * missing means someone removed the table (or its contents). */
static bool nat_glue_guards_gone(const struct daemon *d)
{
	const bool on[NAT_GUARD_COUNT] = {
		[NAT_GUARD_DHCP4] = d->cfg.guard_dhcp_servers,
		[NAT_GUARD_DHCP6] = d->cfg.guard_dhcp_servers,
		[NAT_GUARD_RA] = d->cfg.guard_router_ads,
		[NAT_GUARD_SPOOF] = d->cfg.guard_spoof,
	};
	struct nat_guard_counts c;
	int r;

	if (!d->cfg.guard_dhcp_servers && !d->cfg.guard_router_ads && !d->cfg.guard_spoof)
		return false;
	r = nat_counters_read(&c);
	if (r < 0)
		return r == -ENOENT;
	for (int g = 0; g < NAT_GUARD_COUNT; g++)
		if (on[g] && !c.present[g])
			return true;
	return false;
}

void nat_glue_heal(struct daemon *d)
{
	struct nat_heal *h = &d->nat_heal;
	bool guards_gone;
	uint64_t fp;
	int r;

	if (!d->nat.sock)
		return;
	r = nat_conn_fingerprint(&d->nat, &fp);
	guards_gone = nat_glue_guards_gone(d);
	if (r == 0 && h->fp_known && fp == h->fp && !guards_gone)
		return;
	if (r < 0 && r != -ENOENT) {
		log_warning("nftables: cannot read table inet defnet: %s", strerror(-r));
		return;
	}
	if (!heal_gate_allow(&h->gate))
		return;
	if (r == 0 && h->fp_known && fp == h->fp)
		log_warning("nftables: table bridge defnet (the guest guards) was removed by "
			    "another program; restoring it");
	else
		log_warning("nftables: table inet defnet was %s by another program; restoring it",
			    r == -ENOENT ? "removed" : "changed");
	if (nat_glue_apply(d) == 0)
		log_info("nftables: restored table inet defnet (chains postrouting, forward, input) "
			 "in one batch, repair %llu", (unsigned long long)h->gate.budget.repairs);
}

void nat_glue_init(struct daemon *d)
{
	heal_gate_init(&d->nat_heal.gate, d, "table inet defnet", nat_glue_heal);
}

void nat_glue_stop(struct daemon *d)
{
	heal_gate_stop(&d->nat_heal.gate);
	if (d->guard_timer)
		event_free(d->guard_timer);
	d->guard_timer = NULL;
	guard_log_stop(d->guard_log);
	d->guard_log = NULL;
	spoof_glue_stop(d);
}
