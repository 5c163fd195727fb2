/* The nftables table inet defnet from the daemon's state: see glue.h. */
#include <errno.h>
#include <string.h>

#include "daemon.h"
#include "glue.h"
#include "log.h"

/* What our batch left: later events compare against it. A table we cannot
 * read back is treated as unknown, so the next event checks it again. */
static void nat_glue_remember(struct daemon *d)
{
	struct nat_heal *h = &d->nat_heal;

	h->fp_known = nat_conn_fingerprint(&d->nat, &h->fp) == 0;
	if (!h->fp_known)
		log_warning("nftables: cannot read back table inet defnet after applying it");
}

int nat_glue_apply(struct daemon *d)
{
	const struct subnet_owner *sn = &d->subnet;
	struct nat_ruleset rs;
	char err[NAT_ERR_SIZE];
	int r;

	r = nat_ruleset_init(&rs, d->cfg.bridge, d->cfg.masquerade);
	rs.trace_addr = d->trace_addr;
	if (r == 0)
		r = nat_ruleset_add_subnet(&rs, sn->subnet.addr, sn->subnet.len);
	if (r == 0 && sn->old_subnet.len)
		r = nat_ruleset_add_subnet(&rs, sn->old_subnet.addr, sn->old_subnet.len);
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
	nat_glue_remember(d);
	log_info("nftables table inet defnet in place (%s)",
		 d->cfg.masquerade ? "masquerade" : "routed, no masquerade");
	return 0;
}

void nat_glue_heal(struct daemon *d)
{
	struct nat_heal *h = &d->nat_heal;
	uint64_t fp;
	int r;

	if (!d->nat.sock)
		return;
	r = nat_conn_fingerprint(&d->nat, &fp);
	if (r == 0 && h->fp_known && fp == h->fp)
		return;
	if (r < 0 && r != -ENOENT) {
		log_warning("nftables: cannot read table inet defnet: %s", strerror(-r));
		return;
	}
	if (!heal_gate_allow(&h->gate))
		return;
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
}
