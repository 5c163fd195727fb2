/* The nftables table inet defnet from the daemon's state: see glue.h. */
#include <errno.h>
#include <string.h>

#include "daemon.h"
#include "glue.h"
#include "log.h"

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
	log_info("nftables table inet defnet in place (%s)",
		 d->cfg.masquerade ? "masquerade" : "routed, no masquerade");
	return 0;
}
