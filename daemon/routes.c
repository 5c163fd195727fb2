/* The host's routes and addresses as address space in use, and the
 * kernel's route to one destination. */
#include <arpa/inet.h>
#include <errno.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include <linux/if_addr.h>
#include <linux/rtnetlink.h>

#include "routes.h"

#define PREFIX_LIST_MIN_CAP 16

int prefix_list_add(struct prefix_list *l, struct ip4_prefix p)
{
	struct ip4_prefix *v;
	size_t cap;

	if (l->n == l->cap) {
		cap = l->cap ? l->cap * 2 : PREFIX_LIST_MIN_CAP;
		v = reallocarray(l->v, cap, sizeof(*v));
		if (!v)
			return -ENOMEM;
		l->v = v;
		l->cap = cap;
	}
	l->v[l->n++] = p;
	return 0;
}

void prefix_list_free(struct prefix_list *l)
{
	free(l->v);
	l->v = NULL;
	l->n = 0;
	l->cap = 0;
}

struct routes_ctx {
	unsigned skip_ifindex;
	struct prefix_list *out;
};

/* The attributes of a route message that matter here, host order. */
struct routes_attrs {
	uint32_t dst;
	uint32_t oif;
};

static int routes_add(struct routes_ctx *ctx, uint32_t addr, uint8_t len)
{
	struct ip4_prefix p = { .addr = addr & ip4_mask(len), .len = len };
	int ret = prefix_list_add(ctx->out, p);

	if (ret < 0) {
		errno = -ret;
		return MNL_CB_ERROR;
	}
	return MNL_CB_OK;
}

static int routes_attr_cb(const struct nlattr *attr, void *data)
{
	struct routes_attrs *ra = data;
	uint16_t type = mnl_attr_get_type(attr);

	if (type != RTA_DST && type != RTA_OIF)
		return MNL_CB_OK;
	if (mnl_attr_validate(attr, MNL_TYPE_U32) < 0)
		return MNL_CB_ERROR;
	if (type == RTA_DST)
		ra->dst = ntohl(mnl_attr_get_u32(attr));
	else
		ra->oif = mnl_attr_get_u32(attr);
	return MNL_CB_OK;
}

/* Route types that say the space is reached or spoken for here (a
 * blackhole or unreachable route for a subnet means it is taken).
 * Multicast, throw and NAT routes claim no unicast space. */
static bool routes_type_in_use(uint8_t type)
{
	switch (type) {
	case RTN_UNICAST:
	case RTN_LOCAL:
	case RTN_BROADCAST:
	case RTN_BLACKHOLE:
	case RTN_UNREACHABLE:
	case RTN_PROHIBIT:
		return true;
	default:
		return false;
	}
}

static int routes_route_cb(const struct nlmsghdr *nlh, void *data)
{
	struct routes_ctx *ctx = data;
	const struct rtmsg *rtm = mnl_nlmsg_get_payload(nlh);
	struct routes_attrs ra = { 0 };

	if (nlh->nlmsg_type != RTM_NEWROUTE ||
	    mnl_nlmsg_get_payload_len(nlh) < sizeof(*rtm))
		return MNL_CB_OK;
	/* Default routes conflict with nothing: every subnet is more
	 * specific than they are. VPNs often replace the default route by two
	 * halves (0.0.0.0/1 and 128.0.0.0/1, OpenVPN's def1), which are
	 * default routes too. */
	if (rtm->rtm_family != AF_INET || rtm->rtm_dst_len <= 1 ||
	    rtm->rtm_dst_len > 32 || !routes_type_in_use(rtm->rtm_type))
		return MNL_CB_OK;
	if (mnl_attr_parse(nlh, sizeof(*rtm), routes_attr_cb, &ra) != MNL_CB_OK)
		return MNL_CB_ERROR;
	if (ctx->skip_ifindex && ra.oif == ctx->skip_ifindex)
		return MNL_CB_OK;
	return routes_add(ctx, ra.dst, rtm->rtm_dst_len);
}

/* IFA_LOCAL is the interface's own address; IFA_ADDRESS is the peer's
 * on a point-to-point link, and the same as IFA_LOCAL elsewhere. */
struct routes_addr_attrs {
	bool has_local, has_address;
	uint32_t local, address;
};

static int routes_addr_attr_cb(const struct nlattr *attr, void *data)
{
	struct routes_addr_attrs *aa = data;
	uint16_t type = mnl_attr_get_type(attr);

	if (type != IFA_LOCAL && type != IFA_ADDRESS)
		return MNL_CB_OK;
	if (mnl_attr_validate(attr, MNL_TYPE_U32) < 0)
		return MNL_CB_ERROR;
	if (type == IFA_LOCAL) {
		aa->local = ntohl(mnl_attr_get_u32(attr));
		aa->has_local = true;
	} else {
		aa->address = ntohl(mnl_attr_get_u32(attr));
		aa->has_address = true;
	}
	return MNL_CB_OK;
}

static int routes_addr_cb(const struct nlmsghdr *nlh, void *data)
{
	struct routes_ctx *ctx = data;
	const struct ifaddrmsg *ifa = mnl_nlmsg_get_payload(nlh);
	struct routes_addr_attrs aa = { 0 };

	if (nlh->nlmsg_type != RTM_NEWADDR ||
	    mnl_nlmsg_get_payload_len(nlh) < sizeof(*ifa))
		return MNL_CB_OK;
	if (ifa->ifa_family != AF_INET ||
	    (ctx->skip_ifindex && ifa->ifa_index == ctx->skip_ifindex))
		return MNL_CB_OK;
	if (mnl_attr_parse(nlh, sizeof(*ifa), routes_addr_attr_cb, &aa) != MNL_CB_OK)
		return MNL_CB_ERROR;
	if (aa.has_local)
		return routes_add(ctx, aa.local, 32);
	if (aa.has_address)
		return routes_add(ctx, aa.address, 32);
	return MNL_CB_OK;
}

static void routes_reset(void *data)
{
	struct routes_ctx *ctx = data;

	prefix_list_free(ctx->out);
}

int routes_dump_used(struct nl *nl, unsigned skip_ifindex, struct prefix_list *out)
{
	struct routes_ctx ctx = { .skip_ifindex = skip_ifindex, .out = out };
	int ret;

	*out = (struct prefix_list){ 0 };
	ret = nl_dump_used(nl, AF_INET, routes_route_cb, routes_addr_cb, routes_reset, &ctx);
	if (ret < 0)
		prefix_list_free(out);
	return ret;
}
