/* The nftables table inet defnet from the daemon's state: see glue.h. */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "daemon.h"
#include "glue.h"
#include "log.h"

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

int nat_glue_apply(struct daemon *d)
{
	const struct subnet_owner *sn = &d->subnet;
	struct nat_ruleset rs;
	char err[NAT_ERR_SIZE];
	int r;

	r = nat_ruleset_init(&rs, d->cfg.bridge, d->cfg.masquerade);
	if (r == 0)
		r = nat_ruleset_add_subnet(&rs, sn->subnet.addr, sn->subnet.len);
	if (r == 0 && sn->old_subnet.len)
		r = nat_ruleset_add_subnet(&rs, sn->old_subnet.addr, sn->old_subnet.len);
	if (r == 0 && sn->prefix6.len)
		r = nat_ruleset_set_prefix6(&rs, sn->prefix6.addr, sn->prefix6.len);
	for (size_t i = 0; r == 0 && i < d->forwards.n; i++) {
		const struct forward *f = &d->forwards.v[i];
		const struct nat_forward nf = {
			.proto = f->proto, .port = f->port, .addr = f->addr,
			.to_port = f->guest_port,
		};

		/* A forward whose guest has no lease has no rule. */
		if (f->addr)
			r = nat_ruleset_add_forward(&rs, &nf);
	}
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
	if (r < 0) {
		log_error("%s", err);
		return r;
	}
	log_info("nftables table inet defnet in place (%s, %zu port forward%s)",
		 d->cfg.masquerade ? "masquerade" : "routed, no masquerade", rs.n_forwards,
		 rs.n_forwards == 1 ? "" : "s");
	return 0;
}
