/* The uplink: route lookups as a guest sees them, the watch of rtnetlink
 * and nftables notifications (debounced), and the daemon's current uplink
 * with the conntrack sweep when it moves. */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>

#include <linux/netfilter/nf_tables.h>
#include <linux/netfilter/nfnetlink.h>
#include <linux/rtnetlink.h>

#include <libmnl/libmnl.h>

#include "boot_clock.h"
#include "conntrack.h"
#include "daemon.h"
#include "json.h"
#include "log.h"
#include "uplink.h"

/* A burst of a VPN's routes fits; more is an overrun, handled as one. */
#define UPLINK_RCVBUF (1 << 20)
/* Datagrams read per wake-up, so one busy socket cannot starve the loop. */
#define UPLINK_READS_PER_WAKE 64
/* Route lookups per sweep for flows whose own destination may still be
 * routed out of their old interface; beyond that they are moved. */
#define UPLINK_MAX_FLOW_LOOKUPS 256

/* Lookups ------------------------------------------------------------------- */

struct uplink_route {
	uint32_t oif, gateway;
};

static int uplink_route_attr_cb(const struct nlattr *attr, void *data)
{
	struct uplink_route *r = data;
	uint16_t type = mnl_attr_get_type(attr);

	if (type != RTA_OIF && type != RTA_GATEWAY)
		return MNL_CB_OK;
	if (mnl_attr_validate(attr, MNL_TYPE_U32) < 0)
		return MNL_CB_ERROR;
	if (type == RTA_OIF)
		r->oif = mnl_attr_get_u32(attr);
	else
		r->gateway = ntohl(mnl_attr_get_u32(attr));
	return MNL_CB_OK;
}

static int uplink_route_cb(const struct nlmsghdr *nlh, void *data)
{
	const struct rtmsg *rtm = mnl_nlmsg_get_payload(nlh);

	if (nlh->nlmsg_type != RTM_NEWROUTE || mnl_nlmsg_get_payload_len(nlh) < sizeof(*rtm))
		return MNL_CB_OK;
	/* A route that exists but leads nowhere (blackhole, unreachable,
	 * prohibit) is no uplink. */
	if (rtm->rtm_type != RTN_UNICAST)
		return MNL_CB_OK;
	return mnl_attr_parse(nlh, sizeof(*rtm), uplink_route_attr_cb, data);
}

struct uplink_addrs {
	unsigned ifindex;
	struct uplink_addr *v;
	size_t max, n;
};

static int uplink_addr_attr_cb(const struct nlattr *attr, void *data)
{
	uint32_t *local = data;

	if (mnl_attr_get_type(attr) != IFA_LOCAL)
		return MNL_CB_OK;
	if (mnl_attr_validate(attr, MNL_TYPE_U32) < 0)
		return MNL_CB_ERROR;
	*local = ntohl(mnl_attr_get_u32(attr));
	return MNL_CB_OK;
}

static int uplink_addr_cb(const struct nlmsghdr *nlh, void *data)
{
	struct uplink_addrs *a = data;
	const struct ifaddrmsg *ifa = mnl_nlmsg_get_payload(nlh);
	uint32_t local = 0;

	if (nlh->nlmsg_type != RTM_NEWADDR || mnl_nlmsg_get_payload_len(nlh) < sizeof(*ifa) ||
	    ifa->ifa_family != AF_INET || ifa->ifa_index != a->ifindex)
		return MNL_CB_OK;
	if (mnl_attr_parse(nlh, sizeof(*ifa), uplink_addr_attr_cb, &local) != MNL_CB_OK)
		return MNL_CB_ERROR;
	if (local && a->n < a->max)
		a->v[a->n++] = (struct uplink_addr){
			.addr = local, .len = ifa->ifa_prefixlen,
			.primary = !(ifa->ifa_flags & IFA_F_SECONDARY) &&
				   ifa->ifa_scope == RT_SCOPE_UNIVERSE,
		};
	return MNL_CB_OK;
}

int uplink_if_addrs(struct nl *nl, unsigned ifindex, struct uplink_addr *addrs, size_t max,
		    size_t *n)
{
	struct uplink_addrs a = { .ifindex = ifindex, .v = addrs, .max = max };
	struct nlmsghdr *nlh;
	struct ifaddrmsg *ifa;
	int r;

	nlh = nl_msg_start(nl, RTM_GETADDR, NLM_F_DUMP);
	ifa = mnl_nlmsg_put_extra_header(nlh, sizeof(*ifa));
	ifa->ifa_family = AF_INET;
	r = nl_query(nl, nlh, uplink_addr_cb, &a);
	*n = r == 0 ? a.n : 0;
	return r;
}

/* The IPv4 addresses of out->ifindex, and the one masquerade picks. */
static int uplink_addrs(struct nl *nl, struct uplink_info *out)
{
	int r = uplink_if_addrs(nl, out->ifindex, out->addrs, UPLINK_MAX_ADDRS, &out->n_addrs);

	out->masq = r == 0 ? uplink_masq_addr(out->addrs, out->n_addrs, out->gateway) : 0;
	return r;
}

int uplink_lookup(struct nl *nl, unsigned iif, uint32_t src, uint32_t dst,
		  struct uplink_info *out)
{
	struct uplink_route r = { 0 };
	struct nlmsghdr *nlh;
	struct rtmsg *rtm;
	int ret;

	memset(out, 0, sizeof(*out));
	nlh = nl_msg_start(nl, RTM_GETROUTE, 0);
	rtm = mnl_nlmsg_put_extra_header(nlh, sizeof(*rtm));
	rtm->rtm_family = AF_INET;
	rtm->rtm_dst_len = 32;
	mnl_attr_put_u32(nlh, RTA_DST, htonl(dst));
	if (iif) {
		rtm->rtm_src_len = 32;
		mnl_attr_put_u32(nlh, RTA_SRC, htonl(src));
		mnl_attr_put_u32(nlh, RTA_IIF, iif);
	}
	ret = nl_query(nl, nlh, uplink_route_cb, &r);
	if (ret == -EHOSTUNREACH)
		ret = -ENETUNREACH;
	if (ret < 0)
		return ret;
	if (r.oif == 0)
		return -ENETUNREACH;
	out->present = true;
	out->ifindex = r.oif;
	out->gateway = r.gateway;
	if (!if_indextoname(r.oif, out->ifname))
		snprintf(out->ifname, sizeof(out->ifname), "if%u", r.oif);
	return 0;
}

int uplink_for_guests(struct nl *nl, unsigned bridge_ifindex, uint32_t guest_src,
		      struct uplink_info *out)
{
	int ret = uplink_lookup(nl, bridge_ifindex, guest_src, UPLINK_PROBE_ADDR, out);

	/* The guests' view needs forwarding on and a source that passes
	 * reverse-path validation; without them the host's own route is the
	 * best guess. */
	if (ret < 0 && ret != -ENETUNREACH)
		ret = uplink_lookup(nl, 0, 0, UPLINK_PROBE_ADDR, out);
	if (ret < 0)
		return ret;
	return uplink_addrs(nl, out);
}

static bool uplink_has_addr(const struct uplink_info *u, uint32_t addr)
{
	for (size_t i = 0; i < u->n_addrs; i++)
		if (u->addrs[i].addr == addr)
			return true;
	return false;
}

/* Whether a flow masqueraded to addr is right for route u. */
static bool uplink_masq_ok(const struct uplink_info *u, uint32_t addr)
{
	return u->masq ? u->masq == addr : uplink_has_addr(u, addr);
}

bool uplink_changed(const struct uplink_info *a, const struct uplink_info *b)
{
	if (a->present != b->present)
		return true;
	if (!a->present)
		return false;
	if (a->ifindex != b->ifindex || a->gateway != b->gateway || a->n_addrs != b->n_addrs ||
	    a->masq != b->masq)
		return true;
	for (size_t i = 0; i < a->n_addrs; i++)
		if (!uplink_has_addr(b, a->addrs[i].addr))
			return true;
	return false;
}

/* The watch ------------------------------------------------------------------ */

struct uplink_watch {
	struct event_base *base;
	struct mnl_socket *rt, *nf;
	struct event *rt_ev, *nf_ev, *timer;
	unsigned pending;
	uint64_t first_ms;
	uplink_watch_fn fn;
	void *ctx;
	char buf[NL_BUF_SIZE];
};

static void uplink_schedule(struct uplink_watch *w, unsigned events)
{
	uint64_t now = boot_clock_ms(), delay = UPLINK_DEBOUNCE_MS;
	struct timeval tv;

	if (!w->pending)
		w->first_ms = now;
	w->pending |= events;
	if (now + delay > w->first_ms + UPLINK_DEBOUNCE_MAX_MS)
		delay = w->first_ms + UPLINK_DEBOUNCE_MAX_MS > now ?
			w->first_ms + UPLINK_DEBOUNCE_MAX_MS - now : 0;
	tv.tv_sec = (time_t)(delay / 1000);
	tv.tv_usec = (suseconds_t)(delay % 1000) * 1000;
	evtimer_add(w->timer, &tv);
}

static unsigned uplink_rt_kind(uint16_t type)
{
	switch (type) {
	case RTM_NEWLINK:
	case RTM_DELLINK:
	case RTM_NEWNETCONF:
		return UPLINK_EV_LINK;
	case RTM_NEWADDR:
	case RTM_DELADDR:
		return UPLINK_EV_ADDR;
	case RTM_NEWROUTE:
	case RTM_DELROUTE:
		return UPLINK_EV_ROUTE;
	case RTM_NEWRULE:
	case RTM_DELRULE:
		return UPLINK_EV_RULE;
	default:
		return 0;
	}
}

/* Set elements (the spoof protection changes ours with every lease; other
 * firewalls fill theirs) and the generation that ends every transaction
 * change no chain, rule or counter: nothing to heal or rescan. */
static unsigned uplink_nf_kind(uint16_t type)
{
	switch (NFNL_MSG_TYPE(type)) {
	case NFT_MSG_NEWSETELEM:
	case NFT_MSG_DELSETELEM:
	case NFT_MSG_NEWGEN:
		return 0;
	default:
		return UPLINK_EV_NFT;
	}
}

/* What one datagram of notifications is about. */
static unsigned uplink_classify(const void *buf, size_t len, bool rt)
{
	const struct nlmsghdr *nlh = buf;
	int remaining = (int)len;
	unsigned ev = 0;

	for (; mnl_nlmsg_ok(nlh, remaining); nlh = mnl_nlmsg_next(nlh, &remaining))
		ev |= rt ? uplink_rt_kind(nlh->nlmsg_type) : uplink_nf_kind(nlh->nlmsg_type);
	return ev;
}

static void uplink_on_readable(struct uplink_watch *w, struct mnl_socket *sock, bool rt)
{
	unsigned ev = 0;
	ssize_t n;

	for (int i = 0; i < UPLINK_READS_PER_WAKE; i++) {
		n = recv(mnl_socket_get_fd(sock), w->buf, sizeof(w->buf), MSG_DONTWAIT);
		if (n < 0 && errno == ENOBUFS) {
			ev |= UPLINK_EV_OVERRUN;
			continue;
		}
		if (n <= 0)
			break;
		ev |= uplink_classify(w->buf, (size_t)n, rt);
	}
	if (ev)
		uplink_schedule(w, ev);
}

static void uplink_on_rt(evutil_socket_t fd, short what, void *arg)
{
	struct uplink_watch *w = arg;

	uplink_on_readable(w, w->rt, true);
}

static void uplink_on_nf(evutil_socket_t fd, short what, void *arg)
{
	struct uplink_watch *w = arg;

	uplink_on_readable(w, w->nf, false);
}

static void uplink_on_timer(evutil_socket_t fd, short what, void *arg)
{
	struct uplink_watch *w = arg;
	unsigned ev = w->pending;

	w->pending = 0;
	w->fn(w->ctx, ev);
}

static int uplink_socket(struct mnl_socket **out, int bus, const unsigned *groups, size_t n)
{
	struct mnl_socket *sock = mnl_socket_open(bus);
	int size = UPLINK_RCVBUF, fd, ret;

	if (!sock)
		return -errno;
	fd = mnl_socket_get_fd(sock);
	if (mnl_socket_bind(sock, 0, MNL_SOCKET_AUTOPID) < 0)
		goto err;
	for (size_t i = 0; i < n; i++)
		if (mnl_socket_setsockopt(sock, NETLINK_ADD_MEMBERSHIP, (void *)&groups[i],
					  sizeof(groups[i])) < 0)
			goto err;
	/* FORCE goes past rmem_max with CAP_NET_ADMIN; the plain one is
	 * the fallback. */
	if (setsockopt(fd, SOL_SOCKET, SO_RCVBUFFORCE, &size, sizeof(size)) < 0)
		(void)setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &size, sizeof(size));
	if (fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK) < 0)
		goto err;
	*out = sock;
	return 0;
err:
	ret = -errno;
	mnl_socket_close(sock);
	return ret;
}

static const unsigned uplink_rt_groups[] = {
	RTNLGRP_LINK, RTNLGRP_IPV4_IFADDR, RTNLGRP_IPV4_ROUTE, RTNLGRP_IPV4_RULE,
	RTNLGRP_IPV6_IFADDR, RTNLGRP_IPV6_ROUTE, RTNLGRP_IPV6_RULE,
	RTNLGRP_IPV6_NETCONF,   /* forwarding turned on or off (ra_glue.c) */
};
static const unsigned uplink_nf_groups[] = { NFNLGRP_NFTABLES };

int uplink_watch_open(struct uplink_watch **out, struct event_base *base,
		      uplink_watch_fn fn, void *ctx)
{
	struct uplink_watch *w = calloc(1, sizeof(*w));
	int ret;

	if (!w)
		return -ENOMEM;
	w->base = base;
	w->fn = fn;
	w->ctx = ctx;
	ret = uplink_socket(&w->rt, NETLINK_ROUTE, uplink_rt_groups,
			    sizeof(uplink_rt_groups) / sizeof(uplink_rt_groups[0]));
	if (ret < 0)
		goto err;
	/* Without nf_tables there is no firewall of that kind to watch. */
	if (uplink_socket(&w->nf, NETLINK_NETFILTER, uplink_nf_groups, 1) < 0)
		w->nf = NULL;
	ret = -ENOMEM;
	w->timer = evtimer_new(base, uplink_on_timer, w);
	w->rt_ev = event_new(base, mnl_socket_get_fd(w->rt), EV_READ | EV_PERSIST, uplink_on_rt, w);
	if (w->nf)
		w->nf_ev = event_new(base, mnl_socket_get_fd(w->nf), EV_READ | EV_PERSIST,
				     uplink_on_nf, w);
	if (!w->timer || !w->rt_ev || (w->nf && !w->nf_ev) || event_add(w->rt_ev, NULL) < 0 ||
	    (w->nf_ev && event_add(w->nf_ev, NULL) < 0))
		goto err;
	*out = w;
	return 0;
err:
	uplink_watch_close(w);
	return ret;
}

void uplink_watch_close(struct uplink_watch *w)
{
	if (!w)
		return;
	if (w->timer)
		event_free(w->timer);
	if (w->rt_ev)
		event_free(w->rt_ev);
	if (w->nf_ev)
		event_free(w->nf_ev);
	if (w->rt)
		mnl_socket_close(w->rt);
	if (w->nf)
		mnl_socket_close(w->nf);
	free(w);
}

/* The daemon's side ------------------------------------------------------------ */

/* A guest's address to look the route up for: the first after the
 * gateway (rules match guests by their subnet, not one address). */
static uint32_t uplink_guest_src(const struct subnet_owner *sn)
{
	return sn->subnet.len <= 30 ? sn->gateway + 1 : sn->gateway;
}

static void uplink_log(const struct uplink_info *u)
{
	char gw[IP4_STRLEN];
	struct log_field f[2] = { { "UPLINK", u->ifname }, { "UPLINK_GATEWAY", gw } };

	if (!u->present) {
		log_warning("no uplink: guests reach only the host");
		return;
	}
	if (u->gateway) {
		ip4_format(u->gateway, gw);
		log_event(LOG_LEVEL_INFO, NULL, f, 2, "uplink now %s via %s", u->ifname, gw);
	} else {
		log_event(LOG_LEVEL_INFO, NULL, f, 1, "uplink now %s", u->ifname);
	}
}

struct uplink_keep_ctx {
	struct daemon *d;
	const struct uplink_info *cur;
	unsigned lookups;
};

/* Keeps a flow whose own destination still leaves from the interface its
 * address belongs to (a VPN that carries some destinations only). */
static bool uplink_flow_keep(void *arg, const struct conntrack_entry *e)
{
	struct uplink_keep_ctx *k = arg;
	struct uplink_info r;

	if (k->lookups >= UPLINK_MAX_FLOW_LOOKUPS)
		return false;
	k->lookups++;
	if (uplink_lookup(&k->d->nl, k->d->ifindex, e->orig.src, e->orig.dst, &r) < 0 ||
	    (r.ifindex == k->cur->ifindex && r.gateway == k->cur->gateway) ||
	    uplink_addrs(&k->d->nl, &r) < 0)
		return false;
	return uplink_masq_ok(&r, e->reply.dst);
}

/* The addresses guest flows may keep: the one masquerade picks on this
 * route, or any of the interface's when that depends on the flow. */
static size_t uplink_keep_set(const struct uplink_info *u, uint32_t keep[UPLINK_MAX_ADDRS])
{
	size_t n = 0;

	if (u->masq) {
		keep[n++] = u->masq;
		return n;
	}
	for (size_t i = 0; i < u->n_addrs; i++)
		keep[n++] = u->addrs[i].addr;
	return n;
}

/* Moves the guest flows masqueraded to an address the uplink no longer
 * gives them. */
static void uplink_move_flows(struct uplink *u)
{
	struct daemon *d = u->d;
	const struct subnet_owner *sn = &d->subnet;
	struct nat_subnet subnets[2] = { { sn->subnet.addr, sn->subnet.len } };
	struct uplink_keep_ctx k = { .d = d, .cur = &u->cur };
	struct conntrack_sweep sw;
	uint32_t keep[UPLINK_MAX_ADDRS];
	struct conntrack_scope scope = { .family = AF_INET, .subnets = subnets, .n_subnets = 1,
					 .keep = keep };
	uint64_t t0 = boot_clock_ms();
	int r;

	if (!d->cfg.masquerade || !u->cur.present)
		return;
	if (sn->old_subnet.len)
		subnets[scope.n_subnets++] = (struct nat_subnet){ sn->old_subnet.addr,
								  sn->old_subnet.len };
	scope.n_keep = uplink_keep_set(&u->cur, keep);
	r = conntrack_flush_stale(&scope, uplink_flow_keep, &k, &sw);
	if (r < 0)
		log_warning("conntrack: cannot move guest flows to %s: %s", u->cur.ifname,
			    strerror(-r));
	u->flows_moved += sw.deleted;
	log_msg(sw.deleted ? LOG_LEVEL_INFO : LOG_LEVEL_DEBUG,
		"conntrack: %u guest flow%s moved to %s (%u entries seen, %u kept) in %llu ms",
		sw.deleted, sw.deleted == 1 ? "" : "s", u->cur.ifname, sw.seen, sw.kept,
		(unsigned long long)(boot_clock_ms() - t0));
}

void uplink_evaluate(struct uplink *u)
{
	struct daemon *d = u->d;
	struct uplink_info now;
	int r;

	r = uplink_for_guests(&d->nl, d->ifindex, uplink_guest_src(&d->subnet), &now);
	if (r < 0 && r != -ENETUNREACH) {
		log_warning("cannot look up the uplink: %s", strerror(-r));
		return;
	}
	if (r < 0)
		memset(&now, 0, sizeof(now));
	if (u->evaluated && !uplink_changed(&u->cur, &now))
		return;
	if (u->evaluated)
		u->changes++;
	u->cur = now;
	u->evaluated = true;
	uplink_log(&now);
	uplink_move_flows(u);
}

int uplink_start(struct daemon *d, struct uplink **out)
{
	struct uplink *u = calloc(1, sizeof(*u));

	if (!u)
		return -ENOMEM;
	u->d = d;
	uplink_evaluate(u);
	*out = u;
	return 0;
}

void uplink_stop(struct uplink *u)
{
	free(u);
}

/* Status ------------------------------------------------------------------------ */

static void uplink_json_info(const struct uplink_info *u, struct json *j)
{
	char a[IP4_STRLEN];

	json_object_begin(j);
	json_field_string(j, "interface", u->ifname);
	json_key(j, "gateway");
	if (u->gateway)
		json_string(j, ip4_format(u->gateway, a));
	else
		json_null(j);
	json_key(j, "addresses");
	json_array_begin(j);
	for (size_t i = 0; i < u->n_addrs; i++)
		json_string(j, ip4_format(u->addrs[i].addr, a));
	json_array_end(j);
	json_key(j, "masquerade_address");
	if (u->masq)
		json_string(j, ip4_format(u->masq, a));
	else
		json_null(j);
}

void uplink_status_json(const struct uplink *u, struct json *j)
{
	json_key(j, "uplink");
	if (u && u->cur.present) {
		uplink_json_info(&u->cur, j);
		json_field_uint(j, "changes", u->changes);
		json_field_uint(j, "flows_moved", u->flows_moved);
		json_object_end(j);
	} else {
		json_null(j);
	}
}

void uplink_status_text(const struct uplink *u, FILE *out)
{
	char a[IP4_STRLEN];

	if (!u || !u->cur.present)
		fprintf(out, "uplink:       none (no route out)\n");
	else if (u->cur.gateway)
		fprintf(out, "uplink:       %s via %s\n", u->cur.ifname, ip4_format(u->cur.gateway, a));
	else
		fprintf(out, "uplink:       %s\n", u->cur.ifname);
}
