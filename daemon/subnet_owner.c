/* The guest subnet's one owner: see subnet_owner.h. */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "bridge.h"
#include "log.h"
#include "notify.h"
#include "routes.h"
#include "subnet.h"
#include "subnet_owner.h"
#include "subnet_state.h"

/* Old leases may still be renewing this long after the lease time (a
 * client that renews late, a clock that drifts). */
#define SUBNET_DRAIN_SLACK_SEC 60
/* journalctl MESSAGE_ID=: a renumbering, for alerts. */
#define SUBNET_RENUMBERED_ID "5d1a7e4b0c2f4e7a9b8d6c3e1f0a2b47"

static bool subnet_owner_overlap(struct ip4_prefix p, const struct prefix_list *used,
				 struct ip4_prefix *hit)
{
	for (size_t i = 0; i < used->n; i++) {
		if (ip4_prefix_overlaps(p, used->v[i])) {
			*hit = used->v[i];
			return true;
		}
	}
	return false;
}

static bool subnet_equal(struct ip4_prefix a, struct ip4_prefix b)
{
	return a.addr == b.addr && a.len == b.len;
}

static int subnet_owner_routes(struct subnet_owner *so, enum log_level level,
			       struct prefix_list *used)
{
	int r = routes_dump_used(so->o.nl, so->o.ifindex, used);

	if (r < 0)
		log_msg(level, "cannot read the routing tables: %s", strerror(-r));
	return r;
}

void subnet_owner_load(struct subnet_owner *so, struct subnet_state *st)
{
	int r = subnet_state_load(so->state_dir, st);

	if (r < 0) {
		log_warning("%s/subnet is unreadable (%s): choosing the subnet afresh",
			    so->state_dir, strerror(-r));
		*st = (struct subnet_state){ 0 };
	}
}

void subnet_owner_save(struct subnet_owner *so, struct subnet_state *st)
{
	int r;

	st->have_current = true;
	st->current = so->subnet;
	if (so->prefix6.len) {
		st->have_prefix6 = true;
		st->prefix6 = so->prefix6;
	}
	r = subnet_state_save(so->state_dir, st);
	if (r < 0)
		log_warning("cannot save %s/subnet: %s", so->state_dir, strerror(-r));
}

/* The choice shared by start and renumbering: cur conflicted, so it is
 * remembered as such; the new subnet is free now, never conflicted, and
 * not the one being drained. */
static int subnet_owner_choose(struct subnet_owner *so, const struct prefix_list *used,
			       struct subnet_state *st, struct ip4_prefix cur,
			       struct ip4_prefix *next)
{
	struct ip4_prefix avoid[SUBNET_STATE_MAX_CONFLICTED + 1];
	size_t n;

	if (cur.len)
		subnet_state_add_conflicted(st, cur);
	n = st->n_conflicted;
	memcpy(avoid, st->conflicted, n * sizeof(avoid[0]));
	if (so->old_subnet.len)
		avoid[n++] = so->old_subnet;
	return subnet_choose(used->v, used->n, avoid, n, so->o.seed, next);
}

/* Start ------------------------------------------------------------------------ */

/* The subnet at start: the configured one, or (auto) the last run's unless
 * the host uses part of it now. */
static int subnet_owner_initial(struct subnet_owner *so, const struct prefix_list *used,
				struct subnet_state *st)
{
	char a[IP4_PREFIX_STRLEN], b[IP4_PREFIX_STRLEN];
	struct ip4_prefix hit, cur = st->have_current ? st->current : (struct ip4_prefix){ 0 };

	if (!so->o.subnet_auto) {
		so->subnet = so->o.subnet;
		if (subnet_owner_overlap(so->subnet, used, &hit))
			log_warning("Subnet= %s overlaps %s, which the host already uses",
				    ip4_prefix_format(so->subnet, a), ip4_prefix_format(hit, b));
		return 0;
	}
	if (cur.len && !subnet_owner_overlap(cur, used, &hit)) {
		so->subnet = cur;
		return 0;
	}
	if (cur.len)
		log_warning("subnet %s overlaps %s, which the host already uses",
			    ip4_prefix_format(cur, a), ip4_prefix_format(hit, b));
	if (subnet_owner_choose(so, used, st, cur, &so->subnet) < 0) {
		log_error("no free /%d left in 172.16.0.0/12, 10.0.0.0/8 or 192.168.0.0/16: "
			  "set Subnet= by hand", SUBNET_AUTO_LEN);
		return -ENOSPC;
	}
	return 0;
}

/* A subnet given up since the last run leaves its gateway behind. */
static int subnet_owner_addresses(struct subnet_owner *so, struct ip4_prefix previous)
{
	int r;

	if (previous.len && !subnet_equal(previous, so->subnet)) {
		r = bridge_addr_del(so->o.nl, so->o.ifindex, subnet_gateway(previous), previous.len);
		if (r < 0)
			log_warning("cannot remove the old gateway address: %s", strerror(-r));
	}
	r = bridge_addr_add(so->o.nl, so->o.ifindex, so->gateway, so->subnet.len);
	if (r < 0)
		log_error("cannot add the gateway address to %s: %s", so->o.bridge, strerror(-r));
	return r;
}

int subnet_owner_start(struct subnet_owner *so, const struct subnet_owner_opts *o)
{
	struct prefix_list used = { 0 };
	struct subnet_state st = { 0 };
	struct ip4_prefix previous;
	char buf[IP4_PREFIX_STRLEN], gw[IP4_STRLEN];
	bool save;
	int r;

	memset(so, 0, sizeof(*so));
	so->o = *o;
	if ((size_t)snprintf(so->state_dir, sizeof(so->state_dir), "%s", o->state_dir) >=
	    sizeof(so->state_dir))
		return -ENAMETOOLONG;
	so->o.state_dir = so->state_dir;
	port_flap_init(&so->flap, o->nl, o->base, o->ifindex);
	r = subnet_owner_routes(so, LOG_LEVEL_ERROR, &used);
	if (r < 0)
		return r;
	subnet_owner_load(so, &st);
	previous = st.have_current ? st.current : (struct ip4_prefix){ 0 };
	r = subnet_owner_initial(so, &used, &st);
	prefix_list_free(&used);
	if (r < 0)
		return r;
	so->gateway = subnet_gateway(so->subnet);
	save = !subnet_equal(previous, so->subnet);
	log_info("subnet %s (%s), gateway %s", ip4_prefix_format(so->subnet, buf),
		 o->subnet_auto ? "auto" : "fixed", ip4_format(so->gateway, gw));
	r = subnet_owner_addresses(so, previous);
	if (r == 0)
		r = subnet_owner6_start(so, &st, &save);
	/* One write (and fsync) of the state file for both choices, later. */
	so->unsaved = save;
	so->start_state = st;
	return r;
}

void subnet_owner_save_start(struct subnet_owner *so)
{
	if (!so->unsaved)
		return;
	so->unsaved = false;
	subnet_owner_save(so, &so->start_state);
}

/* The drain ------------------------------------------------------------------ */

void subnet_owner_drain_done(struct subnet_owner *so)
{
	struct ip4_prefix old = so->old_subnet;
	char buf[IP4_PREFIX_STRLEN];
	int r;

	if (!old.len)
		return;
	if (so->drain_timer)
		evtimer_del(so->drain_timer);
	so->old_subnet = (struct ip4_prefix){ 0 };
	so->o.changed(so->o.ctx);
	r = bridge_addr_del(so->o.nl, so->o.ifindex, subnet_gateway(old), old.len);
	if (r < 0)
		log_warning("cannot remove the old gateway address: %s", strerror(-r));
	log_info("old subnet %s no longer served: its leases have moved or ended",
		 ip4_prefix_format(old, buf));
}

static void subnet_owner_on_drain_end(evutil_socket_t fd, short what, void *arg)
{
	subnet_owner_drain_done(arg);
}

static void subnet_owner_arm_drain(struct subnet_owner *so)
{
	struct timeval tv = { .tv_sec = (time_t)so->o.lease_time + SUBNET_DRAIN_SLACK_SEC };

	if (!so->drain_timer)
		so->drain_timer = evtimer_new(so->o.base, subnet_owner_on_drain_end, so);
	if (!so->drain_timer || evtimer_add(so->drain_timer, &tv) < 0)
		log_warning("cannot time the end of the old subnet: it is served until restart");
}

/* Renumbering ---------------------------------------------------------------- */

static void subnet_owner_log_renumber(const struct subnet_owner *so, struct ip4_prefix old,
				      struct ip4_prefix hit)
{
	char o[IP4_PREFIX_STRLEN], n[IP4_PREFIX_STRLEN], h[IP4_PREFIX_STRLEN];
	char gw[IP4_STRLEN];
	const struct log_field f[] = {
		{ "OLD_SUBNET", ip4_prefix_format(old, o) },
		{ "NEW_SUBNET", ip4_prefix_format(so->subnet, n) },
		{ "CONFLICT", ip4_prefix_format(hit, h) },
	};

	ip4_format(so->gateway, gw);
	log_event(LOG_LEVEL_WARNING, SUBNET_RENUMBERED_ID, f, 3,
		  "RENUMBERED: guest subnet %s now overlaps %s, which the host uses; guests move "
		  "to %s (gateway %s). %s stays served until its leases have renewed into %s or "
		  "expired (at most %us)", o, h, n, gw, o, n, so->o.lease_time);
	notify_send("STATUS=%s up, subnet %s (renumbered from %s)", so->o.bridge, n, o);
}

static void subnet_owner_renumber(struct subnet_owner *so, const struct prefix_list *used,
				  struct ip4_prefix hit)
{
	struct subnet_state st;
	struct ip4_prefix next, old = so->subnet;
	int r;

	subnet_owner_load(so, &st);
	if (subnet_owner_choose(so, used, &st, old, &next) < 0) {
		log_error("guest subnet overlaps a route of the host and no free /%d is left: "
			  "set Subnet= by hand", SUBNET_AUTO_LEN);
		return;
	}
	r = bridge_addr_add(so->o.nl, so->o.ifindex, subnet_gateway(next), next.len);
	if (r < 0) {
		log_error("cannot add the new gateway address to %s: %s", so->o.bridge,
			  strerror(-r));
		return;
	}
	/* Only two subnets at a time: one still draining from an earlier
	 * renumbering ends now. */
	subnet_owner_drain_done(so);
	so->old_subnet = old;
	so->subnet = next;
	so->gateway = subnet_gateway(next);
	subnet_owner_save(so, &st);
	so->o.changed(so->o.ctx);
	so->renumbered++;
	so->conflict = hit;
	subnet_owner_log_renumber(so, old, hit);
	subnet_owner_arm_drain(so);
	port_flap_start(&so->flap);
}

void subnet_owner_check(struct subnet_owner *so)
{
	struct prefix_list used = { 0 };
	struct ip4_prefix hit;
	char a[IP4_PREFIX_STRLEN], b[IP4_PREFIX_STRLEN];

	if (subnet_owner_routes(so, LOG_LEVEL_WARNING, &used) < 0)
		return;
	if (!subnet_owner_overlap(so->subnet, &used, &hit)) {
		so->warned = (struct ip4_prefix){ 0 };
	} else if (so->o.subnet_auto) {
		subnet_owner_renumber(so, &used, hit);
	} else if (!subnet_equal(so->warned, hit)) {
		so->warned = hit;
		log_warning("Subnet=%s overlaps %s, which the host now uses: traffic for the "
			    "overlap may not reach the guests; set Subnet= to a free range, or "
			    "Subnet=auto to renumber by itself", ip4_prefix_format(so->subnet, a),
			    ip4_prefix_format(hit, b));
	}
	prefix_list_free(&used);
	subnet_owner6_check(so);
}

static int subnet_owner_restore_one(struct subnet_owner *so, struct ip4_prefix p)
{
	char gw[IP4_STRLEN];
	int r = bridge_addr_ensure(so->o.nl, so->o.ifindex, subnet_gateway(p), p.len);

	if (r < 0)
		log_error("cannot put the gateway address %s back on %s: %s",
			  ip4_format(subnet_gateway(p), gw), so->o.bridge, strerror(-r));
	else if (r > 0)
		log_warning("the gateway address %s/%u was missing from %s: restored",
			    ip4_format(subnet_gateway(p), gw), p.len, so->o.bridge);
	return r;
}

int subnet_owner_restore(struct subnet_owner *so, unsigned ifindex)
{
	int r, n;

	so->o.ifindex = ifindex;
	so->flap.bridge = ifindex;
	n = subnet_owner_restore_one(so, so->subnet);
	if (n >= 0 && so->old_subnet.len)
		n = (r = subnet_owner_restore_one(so, so->old_subnet)) < 0 ? r : n + r;
	if (n >= 0)
		n = (r = subnet_owner6_restore(so)) < 0 ? r : n + r;
	return n;
}

void subnet_owner_stop(struct subnet_owner *so)
{
	port_flap_free(&so->flap);
	if (so->drain_timer)
		event_free(so->drain_timer);
	so->drain_timer = NULL;
	if (so->old6_timer)
		event_free(so->old6_timer);
	so->old6_timer = NULL;
}
