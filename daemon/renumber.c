/* Subnet conflicts at run time: detect, choose, add, persist, re-apply,
 * flap, log; and the end of the old subnet's drain. */
#include <errno.h>
#include <net/if.h>
#include <string.h>

#include <linux/if_link.h>
#include <linux/rtnetlink.h>

#include <libmnl/libmnl.h>

#include "bridge.h"
#include "daemon.h"
#include "log.h"
#include "notify.h"
#include "renumber.h"
#include "routes.h"
#include "subnet.h"
#include "subnet_state.h"

/* Old leases may still be renewing this long after the lease time (a
 * client that renews late, a clock that drifts). */
#define RENUMBER_DRAIN_SLACK_SEC 60
/* journalctl MESSAGE_ID=: a renumbering, for alerts. */
#define RENUMBER_MESSAGE_ID "5d1a7e4b0c2f4e7a9b8d6c3e1f0a2b47"

void renumber_init(struct renumber *rn, struct daemon *d)
{
	memset(rn, 0, sizeof(*rn));
	rn->d = d;
}

/* Veth ports ----------------------------------------------------------------- */

struct renumber_ports {
	unsigned master;
	unsigned *v;
	size_t n;
};

struct renumber_link_attrs {
	unsigned master;
	bool veth;
};

static int renumber_info_cb(const struct nlattr *attr, void *data)
{
	struct renumber_link_attrs *la = data;

	if (mnl_attr_get_type(attr) == IFLA_INFO_KIND &&
	    mnl_attr_validate(attr, MNL_TYPE_NUL_STRING) == 0)
		la->veth = strcmp(mnl_attr_get_str(attr), "veth") == 0;
	return MNL_CB_OK;
}

static int renumber_link_attr_cb(const struct nlattr *attr, void *data)
{
	struct renumber_link_attrs *la = data;

	switch (mnl_attr_get_type(attr)) {
	case IFLA_MASTER:
		if (mnl_attr_validate(attr, MNL_TYPE_U32) < 0)
			return MNL_CB_ERROR;
		la->master = mnl_attr_get_u32(attr);
		return MNL_CB_OK;
	case IFLA_LINKINFO:
		if (mnl_attr_validate(attr, MNL_TYPE_NESTED) < 0)
			return MNL_CB_ERROR;
		return mnl_attr_parse_nested(attr, renumber_info_cb, la);
	default:
		return MNL_CB_OK;
	}
}

static int renumber_port_cb(const struct nlmsghdr *nlh, void *data)
{
	struct renumber_ports *p = data;
	const struct ifinfomsg *ifi = mnl_nlmsg_get_payload(nlh);
	struct renumber_link_attrs la = { 0 };

	if (nlh->nlmsg_type != RTM_NEWLINK || mnl_nlmsg_get_payload_len(nlh) < sizeof(*ifi))
		return MNL_CB_OK;
	if (mnl_attr_parse(nlh, sizeof(*ifi), renumber_link_attr_cb, &la) != MNL_CB_OK)
		return MNL_CB_ERROR;
	/* Only ports that are up: one the admin took down stays down. */
	if (la.master == p->master && la.veth && (ifi->ifi_flags & IFF_UP) &&
	    p->n < RENUMBER_MAX_PORTS)
		p->v[p->n++] = (unsigned)ifi->ifi_index;
	return MNL_CB_OK;
}

static int renumber_list_veths(struct daemon *d, unsigned *v, size_t *n)
{
	struct renumber_ports p = { .master = d->ifindex, .v = v };
	struct nlmsghdr *nlh = nl_msg_start(&d->nl, RTM_GETLINK, NLM_F_DUMP);
	struct ifinfomsg *ifi = mnl_nlmsg_put_extra_header(nlh, sizeof(*ifi));
	int r;

	ifi->ifi_family = AF_UNSPEC;
	mnl_attr_put_u32(nlh, IFLA_MASTER, d->ifindex);
	mnl_attr_put_u32(nlh, IFLA_EXT_MASK, RTEXT_FILTER_SKIP_STATS);
	r = nl_query(&d->nl, nlh, renumber_port_cb, &p);
	*n = p.n;
	return r;
}

static int renumber_link_set_up(struct nl *nl, unsigned ifindex, bool up)
{
	struct nlmsghdr *nlh = nl_msg_start(nl, RTM_NEWLINK, 0);
	struct ifinfomsg *ifi = mnl_nlmsg_put_extra_header(nlh, sizeof(*ifi));

	ifi->ifi_family = AF_UNSPEC;
	ifi->ifi_index = (int)ifindex;
	ifi->ifi_change = IFF_UP;
	ifi->ifi_flags = up ? IFF_UP : 0;
	return nl_request(nl, nlh);
}

static void renumber_on_flap_end(evutil_socket_t fd, short what, void *arg)
{
	struct renumber *rn = arg;
	int r;

	for (size_t i = 0; i < rn->n_flapped; i++) {
		r = renumber_link_set_up(&rn->d->nl, rn->flapped[i], true);
		/* A port deleted meanwhile is gone, not a failure. */
		if (r < 0 && r != -ENODEV)
			log_warning("cannot bring bridge port %u back up: %s", rn->flapped[i],
				    strerror(-r));
	}
	rn->n_flapped = 0;
}

/* The guest side of a veth sees its carrier drop while the host side is
 * down: container network managers then ask for a new lease at once. */
static void renumber_flap_veths(struct renumber *rn)
{
	struct timeval tv = { .tv_sec = RENUMBER_FLAP_MS / 1000,
			      .tv_usec = (RENUMBER_FLAP_MS % 1000) * 1000 };
	size_t n = 0;
	int r;

	if (rn->n_flapped)
		return;
	r = renumber_list_veths(rn->d, rn->flapped, &n);
	if (r < 0) {
		log_warning("cannot list the bridge's ports: %s", strerror(-r));
		return;
	}
	for (size_t i = 0; i < n; i++)
		if (renumber_link_set_up(&rn->d->nl, rn->flapped[i], false) == 0)
			rn->flapped[rn->n_flapped++] = rn->flapped[i];
	if (!rn->n_flapped)
		return;
	if (!rn->flap_timer)
		rn->flap_timer = evtimer_new(rn->d->base, renumber_on_flap_end, rn);
	if (!rn->flap_timer || evtimer_add(rn->flap_timer, &tv) < 0)
		renumber_on_flap_end(-1, 0, rn);
	log_info("carrier dropped for %u ms on %zu veth port%s, so container guests re-lease",
		 RENUMBER_FLAP_MS, rn->n_flapped, rn->n_flapped == 1 ? "" : "s");
}

/* The drain ------------------------------------------------------------------ */

void renumber_drain_done(struct renumber *rn)
{
	struct daemon *d = rn->d;
	struct ip4_prefix old = d->old_subnet;
	char buf[IP4_PREFIX_STRLEN];
	int r;

	if (!old.len)
		return;
	if (rn->drain_timer)
		evtimer_del(rn->drain_timer);
	d->old_subnet = (struct ip4_prefix){ 0 };
	daemon_drained(d);
	r = bridge_addr_del(&d->nl, d->ifindex, subnet_gateway(old), old.len);
	if (r < 0)
		log_warning("cannot remove the old gateway address: %s", strerror(-r));
	if (daemon_apply_nat(d) < 0)
		log_warning("the table still serves the old subnet %s", ip4_prefix_format(old, buf));
	log_info("old subnet %s no longer served: its leases have moved or ended",
		 ip4_prefix_format(old, buf));
}

static void renumber_on_drain_end(evutil_socket_t fd, short what, void *arg)
{
	renumber_drain_done(arg);
}

static void renumber_arm_drain(struct renumber *rn)
{
	struct timeval tv = { .tv_sec = (time_t)rn->d->cfg.lease_time + RENUMBER_DRAIN_SLACK_SEC };

	if (!rn->drain_timer)
		rn->drain_timer = evtimer_new(rn->d->base, renumber_on_drain_end, rn);
	if (!rn->drain_timer || evtimer_add(rn->drain_timer, &tv) < 0)
		log_warning("cannot time the end of the old subnet: it is served until restart");
}

/* Renumbering ---------------------------------------------------------------- */

static bool renumber_overlap(struct ip4_prefix p, const struct prefix_list *used,
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

/* A new subnet: free now, never conflicted, not the one being drained. */
static int renumber_choose(struct renumber *rn, const struct prefix_list *used,
			   struct subnet_state *st, struct ip4_prefix *next)
{
	struct daemon *d = rn->d;
	struct ip4_prefix avoid[SUBNET_STATE_MAX_CONFLICTED + 1];
	size_t n = st->n_conflicted;

	memcpy(avoid, st->conflicted, n * sizeof(avoid[0]));
	if (d->old_subnet.len)
		avoid[n++] = d->old_subnet;
	return subnet_choose(used->v, used->n, avoid, n, d->subnet_seed, next);
}

static void renumber_log(struct daemon *d, struct ip4_prefix old, struct ip4_prefix next,
			 struct ip4_prefix hit)
{
	char o[IP4_PREFIX_STRLEN], n[IP4_PREFIX_STRLEN], h[IP4_PREFIX_STRLEN];
	char gw[IP4_STRLEN];
	const struct log_field f[] = {
		{ "OLD_SUBNET", ip4_prefix_format(old, o) },
		{ "NEW_SUBNET", ip4_prefix_format(next, n) },
		{ "CONFLICT", ip4_prefix_format(hit, h) },
	};

	ip4_format(subnet_gateway(next), gw);
	log_event(LOG_LEVEL_WARNING, RENUMBER_MESSAGE_ID, f, 3,
		  "RENUMBERED: guest subnet %s now overlaps %s, which the host uses; guests move "
		  "to %s (gateway %s). %s stays served until its leases have renewed into %s or "
		  "expired (at most %us)", o, h, n, gw, o, n, d->cfg.lease_time);
	notify_send("STATUS=%s up, subnet %s (renumbered from %s)", d->cfg.bridge, n, o);
}

static void renumber_now(struct renumber *rn, const struct prefix_list *used,
			 struct ip4_prefix hit)
{
	struct daemon *d = rn->d;
	struct subnet_state st;
	struct ip4_prefix next, old = d->subnet;
	int r;

	if (subnet_state_load(d->state_dir, &st) < 0)
		st = (struct subnet_state){ 0 };
	subnet_state_add_conflicted(&st, old);
	if (renumber_choose(rn, used, &st, &next) < 0) {
		log_error("guest subnet overlaps a route of the host and no free /%d is left: "
			  "set Subnet= by hand", SUBNET_AUTO_LEN);
		return;
	}
	r = bridge_addr_add(&d->nl, d->ifindex, subnet_gateway(next), next.len);
	if (r < 0) {
		log_error("cannot add the new gateway address to %s: %s", d->cfg.bridge,
			  strerror(-r));
		return;
	}
	/* Only two subnets at a time: one still draining from an earlier
	 * renumbering ends now. */
	renumber_drain_done(rn);
	d->old_subnet = old;
	d->subnet = next;
	d->gateway = subnet_gateway(next);
	st.have_current = true;
	st.current = next;
	r = subnet_state_save(d->state_dir, &st);
	if (r < 0)
		log_warning("cannot save %s/subnet: %s", d->state_dir, strerror(-r));
	if (daemon_apply_nat(d) < 0)
		log_error("guests of the new subnet have no NAT until the table applies");
	daemon_renumbered(d);
	rn->count++;
	rn->conflict = hit;
	renumber_log(d, old, next, hit);
	renumber_arm_drain(rn);
	renumber_flap_veths(rn);
}

void renumber_check(struct renumber *rn)
{
	struct daemon *d = rn->d;
	struct prefix_list used = { 0 };
	struct ip4_prefix hit;
	char a[IP4_PREFIX_STRLEN], b[IP4_PREFIX_STRLEN];
	int r;

	r = routes_dump_used(&d->nl, d->ifindex, &used);
	if (r < 0) {
		log_warning("cannot read the routing tables: %s", strerror(-r));
		return;
	}
	if (!renumber_overlap(d->subnet, &used, &hit)) {
		rn->warned = (struct ip4_prefix){ 0 };
	} else if (d->cfg.subnet_auto) {
		renumber_now(rn, &used, hit);
	} else if (rn->warned.addr != hit.addr || rn->warned.len != hit.len) {
		rn->warned = hit;
		log_warning("Subnet=%s overlaps %s, which the host now uses: traffic for the "
			    "overlap may not reach the guests; set Subnet= to a free range, or "
			    "Subnet=auto to renumber by itself", ip4_prefix_format(d->subnet, a),
			    ip4_prefix_format(hit, b));
	}
	prefix_list_free(&used);
}

void renumber_free(struct renumber *rn)
{
	if (rn->flap_timer) {
		/* Ports still down come back up before the daemon goes. */
		if (rn->n_flapped)
			renumber_on_flap_end(-1, 0, rn);
		event_free(rn->flap_timer);
	}
	if (rn->drain_timer)
		event_free(rn->drain_timer);
	rn->flap_timer = rn->drain_timer = NULL;
}
