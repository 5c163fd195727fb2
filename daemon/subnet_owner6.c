/* The guests' IPv6 /64, owned with the subnet: see subnet_owner.h. */
#include <errno.h>
#include <string.h>

#include "host6.h"
#include "log.h"
#include "subnet_owner.h"
#include "subnet_state.h"

static bool subnet_owner6_overlap(const struct ip6_prefix *p, const struct prefix6_list *used,
				  struct ip6_prefix *hit)
{
	for (size_t i = 0; i < used->n; i++) {
		if (ip6_prefix_overlaps(p, &used->v[i])) {
			*hit = used->v[i];
			return true;
		}
	}
	return false;
}

static int subnet_owner6_used(struct subnet_owner *so, enum log_level level,
			      struct prefix6_list *used)
{
	int r = host6_dump_used(so->o.nl, so->o.ifindex, used);

	if (r < 0)
		log_msg(level, "cannot read the IPv6 routing tables: %s", strerror(-r));
	return r;
}

/* cur conflicted: remembered, and the next choice avoids it. */
static int subnet_owner6_choose(struct subnet_owner *so, const struct prefix6_list *used,
				struct subnet_state *st, const struct ip6_prefix *cur,
				struct ip6_prefix *next)
{
	if (cur && cur->len)
		subnet_state_add_conflicted6(st, cur);
	return ip6_ula_choose(used->v, used->n, st->conflicted6, st->n_conflicted6,
			      so->o.seed6, next);
}

static int subnet_owner6_initial(struct subnet_owner *so, const struct prefix6_list *used,
				 struct subnet_state *st)
{
	char a[IP6_PREFIX_STRLEN], b[IP6_PREFIX_STRLEN];
	struct ip6_prefix hit;
	const struct ip6_prefix *cur = st->have_prefix6 ? &st->prefix6 : NULL;

	if (!so->o.prefix6_auto) {
		so->prefix6 = so->o.prefix6;
		if (subnet_owner6_overlap(&so->prefix6, used, &hit))
			log_warning("Prefix6= %s overlaps %s, which the host already uses",
				    ip6_prefix_format(&so->prefix6, a), ip6_prefix_format(&hit, b));
		return 0;
	}
	if (cur && !subnet_owner6_overlap(cur, used, &hit)) {
		so->prefix6 = *cur;
		return 0;
	}
	if (cur)
		log_warning("IPv6 prefix %s overlaps %s, which the host already uses",
			    ip6_prefix_format(cur, a), ip6_prefix_format(&hit, b));
	if (subnet_owner6_choose(so, used, st, cur, &so->prefix6) < 0) {
		log_error("no free /64 left in the ULA prefix of this host: set Prefix6= by hand");
		return -ENOSPC;
	}
	return 0;
}

/* RFC 4862 5.5.3 e: a guest keeps an address whose prefix is advertised
 * with lifetime 0 at most two hours more; advertising it longer would
 * tell nobody anything. */
#define SUBNET_OWNER6_OLD_PREFIX_S (2 * 3600)

static void subnet_owner6_on_old_end(evutil_socket_t fd, short what, void *arg)
{
	struct subnet_owner *so = arg;
	char p[IP6_PREFIX_STRLEN];

	(void)fd;
	(void)what;
	log_info("IPv6 prefix %s no longer advertised as deprecated",
		 ip6_prefix_format(&so->old_prefix6, p));
	so->old_prefix6.len = 0;
	so->o.changed(so->o.ctx);
}

/* Guests may still hold addresses in old: the advertisements deprecate
 * it (subnet_owner.h). */
static void subnet_owner6_deprecate(struct subnet_owner *so, const struct ip6_prefix *old)
{
	const struct timeval tv = { .tv_sec = SUBNET_OWNER6_OLD_PREFIX_S };

	so->old_prefix6 = *old;
	if (!so->old6_timer)
		so->old6_timer = evtimer_new(so->o.base, subnet_owner6_on_old_end, so);
	if (!so->old6_timer || evtimer_add(so->old6_timer, &tv) < 0)
		log_warning("cannot time the end of the old IPv6 prefix's deprecation: "
			    "advertised deprecated until the next change");
}

/* A prefix given up (or IPv6 turned off) since the last run leaves its
 * gateway address behind; guests of the last run may still use it. */
static void subnet_owner6_drop_old(struct subnet_owner *so, const struct subnet_state *st)
{
	uint8_t gw[16];
	int r;

	if (!st->have_prefix6 || ip6_prefix_equal(&st->prefix6, &so->prefix6))
		return;
	if (so->prefix6.len)
		subnet_owner6_deprecate(so, &st->prefix6);
	ip6_gateway(&st->prefix6, gw);
	r = host6_addr_del(so->o.nl, so->o.ifindex, gw, st->prefix6.len);
	if (r < 0)
		log_warning("cannot remove the old IPv6 gateway address: %s", strerror(-r));
}

static int subnet_owner6_up(struct subnet_owner *so)
{
	char p[IP6_PREFIX_STRLEN], gw[IP6_STRLEN];
	int r;

	ip6_gateway(&so->prefix6, so->gateway6);
	/* Without forwarding the prefix still works on the link (guests
	 * reach each other and the gateway), so this is no reason to stop. */
	r = host6_forwarding_enable(so->o.bridge);
	if (r < 0)
		log_warning("cannot enable IPv6 forwarding (%s): guests get no IPv6 route out; "
			    "set net.ipv6.conf.all.forwarding=1", strerror(-r));
	r = host6_addr_add(so->o.nl, so->o.ifindex, so->gateway6, so->prefix6.len);
	if (r < 0) {
		log_error("cannot add the IPv6 gateway address to %s: %s", so->o.bridge,
			  strerror(-r));
		return r;
	}
	log_info("IPv6 prefix %s (%s), gateway %s", ip6_prefix_format(&so->prefix6, p),
		 so->o.prefix6_auto ? "auto" : "fixed", ip6_format(so->gateway6, gw));
	return 0;
}

int subnet_owner6_start(struct subnet_owner *so, struct subnet_state *st, bool *save)
{
	struct prefix6_list used = { 0 };
	int r;

	if (!so->o.ipv6) {
		subnet_owner6_drop_old(so, st);
		return 0;
	}
	r = subnet_owner6_used(so, LOG_LEVEL_ERROR, &used);
	if (r < 0)
		return r;
	r = subnet_owner6_initial(so, &used, st);
	prefix6_list_free(&used);
	if (r < 0)
		return r;
	subnet_owner6_drop_old(so, st);
	if (!st->have_prefix6 || !ip6_prefix_equal(&st->prefix6, &so->prefix6))
		*save = true;
	return subnet_owner6_up(so);
}

/* Run time: a new /64 at once; the old gateway address goes, and the
 * router advertisements (told through changed) list the old one as
 * deprecated. */
static void subnet_owner6_renumber(struct subnet_owner *so, const struct prefix6_list *used,
				   const struct ip6_prefix *hit)
{
	char o[IP6_PREFIX_STRLEN], n[IP6_PREFIX_STRLEN], h[IP6_PREFIX_STRLEN];
	struct ip6_prefix next, old = so->prefix6;
	struct subnet_state st;
	uint8_t old_gw[16];

	subnet_owner_load(so, &st);
	if (subnet_owner6_choose(so, used, &st, &old, &next) < 0) {
		log_error("the IPv6 prefix overlaps a route of the host and no free /64 is "
			  "left: set Prefix6= by hand");
		return;
	}
	memcpy(old_gw, so->gateway6, sizeof(old_gw));
	so->prefix6 = next;
	if (subnet_owner6_up(so) < 0)
		return;
	if (host6_addr_del(so->o.nl, so->o.ifindex, old_gw, old.len) < 0)
		log_warning("cannot remove the old IPv6 gateway address");
	subnet_owner6_deprecate(so, &old);
	subnet_owner_save(so, &st);
	so->renumbered6++;
	so->conflict6 = *hit;
	log_warning("RENUMBERED: IPv6 prefix %s now overlaps %s, which the host uses; guests "
		    "move to %s", ip6_prefix_format(&old, o), ip6_prefix_format(hit, h),
		    ip6_prefix_format(&next, n));
	so->o.changed(so->o.ctx);
}

void subnet_owner6_check(struct subnet_owner *so)
{
	char a[IP6_PREFIX_STRLEN], b[IP6_PREFIX_STRLEN];
	struct prefix6_list used = { 0 };
	struct ip6_prefix hit;

	if (!so->prefix6.len || subnet_owner6_used(so, LOG_LEVEL_WARNING, &used) < 0)
		return;
	if (!subnet_owner6_overlap(&so->prefix6, &used, &hit)) {
		so->warned6 = (struct ip6_prefix){ 0 };
	} else if (so->o.prefix6_auto) {
		subnet_owner6_renumber(so, &used, &hit);
	} else if (!ip6_prefix_equal(&so->warned6, &hit)) {
		so->warned6 = hit;
		log_warning("Prefix6=%s overlaps %s, which the host now uses: set Prefix6= to a "
			    "free /64, or Prefix6=auto to renumber by itself",
			    ip6_prefix_format(&so->prefix6, a), ip6_prefix_format(&hit, b));
	}
	prefix6_list_free(&used);
}

int subnet_owner6_restore(struct subnet_owner *so)
{
	char gw[IP6_STRLEN];
	int r;

	if (!so->prefix6.len)
		return 0;
	r = host6_addr_ensure(so->o.nl, so->o.ifindex, so->gateway6, so->prefix6.len);
	if (r < 0)
		log_error("cannot put the IPv6 gateway address %s back on %s: %s",
			  ip6_format(so->gateway6, gw), so->o.bridge, strerror(-r));
	else if (r > 0)
		log_warning("the IPv6 gateway address %s/%u was missing from %s: restored",
			    ip6_format(so->gateway6, gw), so->prefix6.len, so->o.bridge);
	return r;
}
