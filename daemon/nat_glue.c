/* The nftables table inet defnet from the daemon's state: see glue.h. */
#include <errno.h>
#include <string.h>

#include "boot_clock.h"
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

static void nat_glue_on_retry(evutil_socket_t fd, short what, void *arg)
{
	nat_glue_heal(arg);
}

/* The budget is spent: try again when it allows, and say once per
 * interval that something is fighting us. */
static void nat_glue_put_off(struct daemon *d, uint64_t wait_ms, uint64_t now)
{
	struct nat_heal *h = &d->nat_heal;
	struct timeval tv = { .tv_sec = (time_t)(wait_ms / 1000),
			      .tv_usec = (suseconds_t)(wait_ms % 1000) * 1000 };

	if (heal_budget_should_warn(&h->budget, now))
		log_warning("nftables: something keeps removing table inet defnet (%llu repairs "
			    "so far); repairing at most once every %d s until it stops",
			    (unsigned long long)h->budget.repairs, HEAL_REFILL_MS / 1000);
	if (!h->retry)
		h->retry = evtimer_new(d->base, nat_glue_on_retry, d);
	if (!h->retry || evtimer_add(h->retry, &tv) < 0)
		log_error("nftables: cannot schedule the repair of table inet defnet");
}

void nat_glue_heal(struct daemon *d)
{
	struct nat_heal *h = &d->nat_heal;
	uint64_t fp, wait, now = boot_clock_ms();
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
	wait = heal_budget_take(&h->budget, now);
	if (wait) {
		nat_glue_put_off(d, wait, now);
		return;
	}
	log_warning("nftables: table inet defnet was %s by another program; restoring it",
		    r == -ENOENT ? "removed" : "changed");
	if (nat_glue_apply(d) == 0)
		log_info("nftables: restored table inet defnet (chains postrouting, forward, input) "
			 "in one batch, repair %llu", (unsigned long long)h->budget.repairs);
}

void nat_glue_stop(struct daemon *d)
{
	if (d->nat_heal.retry)
		event_free(d->nat_heal.retry);
	d->nat_heal.retry = NULL;
}
