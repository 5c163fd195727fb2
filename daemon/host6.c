/* The host's IPv6 state: see host6.h. */
#include <arpa/inet.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <linux/if_addr.h>
#include <linux/rtnetlink.h>

#include "host6.h"
#include "log.h"

#define PREFIX6_LIST_MIN_CAP 16
#define HOST6_CONF_DIR "/proc/sys/net/ipv6/conf"

int prefix6_list_add(struct prefix6_list *l, const struct ip6_prefix *p)
{
	struct ip6_prefix *v;
	size_t cap;

	if (l->n == l->cap) {
		cap = l->cap ? 2 * l->cap : PREFIX6_LIST_MIN_CAP;
		v = realloc(l->v, cap * sizeof(*v));
		if (!v)
			return -ENOMEM;
		l->v = v;
		l->cap = cap;
	}
	l->v[l->n++] = *p;
	return 0;
}

void prefix6_list_free(struct prefix6_list *l)
{
	free(l->v);
	*l = (struct prefix6_list){ 0 };
}

/* Used space ------------------------------------------------------------------ */

struct host6_ctx {
	unsigned skip_ifindex;
	struct prefix6_list *out;
};

/* One address attribute and the interface of a message. */
struct host6_attrs {
	uint16_t want;             /* RTA_DST, or IFA_ADDRESS for addresses */
	bool has_addr;
	uint8_t addr[16];
	uint32_t oif;
};

static int host6_attr_cb(const struct nlattr *attr, void *data)
{
	struct host6_attrs *a = data;
	uint16_t type = mnl_attr_get_type(attr);

	if (type == a->want) {
		if (mnl_attr_get_payload_len(attr) != 16)
			return MNL_CB_ERROR;
		memcpy(a->addr, mnl_attr_get_payload(attr), 16);
		a->has_addr = true;
	} else if (type == RTA_OIF && a->want == RTA_DST) {
		if (mnl_attr_validate(attr, MNL_TYPE_U32) < 0)
			return MNL_CB_ERROR;
		a->oif = mnl_attr_get_u32(attr);
	}
	return MNL_CB_OK;
}

/* Link-local (fe80::/10) and multicast (ff00::/8) space is on every link
 * and never a guest prefix. */
static bool host6_is_local_scope(const uint8_t a[16])
{
	return a[0] == 0xff || (a[0] == 0xfe && (a[1] & 0xc0) == 0x80);
}

static int host6_add(struct host6_ctx *ctx, const uint8_t addr[16], uint8_t len)
{
	struct ip6_prefix p = { .len = len };

	memcpy(p.addr, addr, 16);
	ip6_prefix_mask(&p);
	if (host6_is_local_scope(p.addr))
		return MNL_CB_OK;
	if (prefix6_list_add(ctx->out, &p) < 0) {
		errno = ENOMEM;
		return MNL_CB_ERROR;
	}
	return MNL_CB_OK;
}

static int host6_route_cb(const struct nlmsghdr *nlh, void *data)
{
	struct host6_ctx *ctx = data;
	const struct rtmsg *rtm = mnl_nlmsg_get_payload(nlh);
	struct host6_attrs a = { .want = RTA_DST };

	if (nlh->nlmsg_type != RTM_NEWROUTE || mnl_nlmsg_get_payload_len(nlh) < sizeof(*rtm))
		return MNL_CB_OK;
	/* Default routes (and VPNs' /1 halves) conflict with nothing. */
	if (rtm->rtm_family != AF_INET6 || rtm->rtm_dst_len <= 1 || rtm->rtm_dst_len > 128 ||
	    rtm->rtm_type == RTN_MULTICAST || rtm->rtm_type == RTN_THROW)
		return MNL_CB_OK;
	if (mnl_attr_parse(nlh, sizeof(*rtm), host6_attr_cb, &a) != MNL_CB_OK)
		return MNL_CB_ERROR;
	if (!a.has_addr || (ctx->skip_ifindex && a.oif == ctx->skip_ifindex))
		return MNL_CB_OK;
	return host6_add(ctx, a.addr, rtm->rtm_dst_len);
}

static int host6_addr_cb(const struct nlmsghdr *nlh, void *data)
{
	struct host6_ctx *ctx = data;
	const struct ifaddrmsg *ifa = mnl_nlmsg_get_payload(nlh);
	struct host6_attrs a = { .want = IFA_ADDRESS };

	if (nlh->nlmsg_type != RTM_NEWADDR || mnl_nlmsg_get_payload_len(nlh) < sizeof(*ifa) ||
	    ifa->ifa_family != AF_INET6 ||
	    (ctx->skip_ifindex && ifa->ifa_index == ctx->skip_ifindex))
		return MNL_CB_OK;
	if (mnl_attr_parse(nlh, sizeof(*ifa), host6_attr_cb, &a) != MNL_CB_OK)
		return MNL_CB_ERROR;
	return a.has_addr ? host6_add(ctx, a.addr, 128) : MNL_CB_OK;
}

static void host6_reset(void *data)
{
	struct host6_ctx *ctx = data;

	prefix6_list_free(ctx->out);
}

int host6_dump_used(struct nl *nl, unsigned skip_ifindex, struct prefix6_list *out)
{
	struct host6_ctx ctx = { .skip_ifindex = skip_ifindex, .out = out };
	int ret;

	*out = (struct prefix6_list){ 0 };
	ret = nl_dump_used(nl, AF_INET6, host6_route_cb, host6_addr_cb, host6_reset, &ctx);
	if (ret < 0)
		prefix6_list_free(out);
	return ret;
}

/* The uplink ------------------------------------------------------------------ */

static int host6_lookup_cb(const struct nlmsghdr *nlh, void *data)
{
	const struct rtmsg *rtm = mnl_nlmsg_get_payload(nlh);

	if (nlh->nlmsg_type != RTM_NEWROUTE || mnl_nlmsg_get_payload_len(nlh) < sizeof(*rtm))
		return MNL_CB_OK;
	/* Unreachable, blackhole, prohibit: a route that leads nowhere. */
	if (rtm->rtm_type != RTN_UNICAST)
		return MNL_CB_OK;
	return mnl_attr_parse(nlh, sizeof(*rtm), host6_attr_cb, data);
}

static int host6_lookup(struct nl *nl, unsigned iif, const uint8_t src[16], unsigned *oif)
{
	static const uint8_t probe[16] = HOST6_PROBE_ADDR;
	struct host6_attrs a = { .want = RTA_DST };
	struct nlmsghdr *nlh;
	struct rtmsg *rtm;
	int ret;

	nlh = nl_msg_start(nl, RTM_GETROUTE, 0);
	rtm = mnl_nlmsg_put_extra_header(nlh, sizeof(*rtm));
	rtm->rtm_family = AF_INET6;
	rtm->rtm_dst_len = 128;
	mnl_attr_put(nlh, RTA_DST, 16, probe);
	if (iif) {
		rtm->rtm_src_len = 128;
		mnl_attr_put(nlh, RTA_SRC, 16, src);
		mnl_attr_put_u32(nlh, RTA_IIF, iif);
	}
	ret = nl_query(nl, nlh, host6_lookup_cb, &a);
	if (ret == -EHOSTUNREACH || ret == -ENETUNREACH)
		ret = 0;
	*oif = ret == 0 ? a.oif : 0;
	return ret;
}

static int host6_sysctl_read(const char *path, char *c);

static bool host6_forwarding_on(void)
{
	char c;

	return host6_sysctl_read(HOST6_CONF_DIR "/all/forwarding", &c) == 0 && c == '1';
}

struct host6_global {
	unsigned ifindex;
	struct uplink6 *out;
};

static int host6_global_cb(const struct nlmsghdr *nlh, void *data)
{
	struct host6_global *g = data;
	const struct ifaddrmsg *ifa = mnl_nlmsg_get_payload(nlh);
	struct host6_attrs a = { .want = IFA_ADDRESS };

	if (g->out->n_addrs == UPLINK6_MAX_ADDRS || nlh->nlmsg_type != RTM_NEWADDR ||
	    mnl_nlmsg_get_payload_len(nlh) < sizeof(*ifa) || ifa->ifa_family != AF_INET6 ||
	    ifa->ifa_index != g->ifindex || ifa->ifa_scope != RT_SCOPE_UNIVERSE ||
	    (ifa->ifa_flags & (IFA_F_TENTATIVE | IFA_F_DADFAILED | IFA_F_DEPRECATED)))
		return MNL_CB_OK;
	if (mnl_attr_parse(nlh, sizeof(*ifa), host6_attr_cb, &a) != MNL_CB_OK)
		return MNL_CB_ERROR;
	if (a.has_addr)
		memcpy(g->out->addrs[g->out->n_addrs++], a.addr, 16);
	return MNL_CB_OK;
}

int host6_uplink(struct nl *nl, unsigned bridge_ifindex, const uint8_t src[16],
		 struct uplink6 *out)
{
	struct host6_global g = { .out = out };
	struct nlmsghdr *nlh;
	struct ifaddrmsg *ifa;
	unsigned oif;
	int ret;

	memset(out, 0, sizeof(*out));
	/* A default route to guests that the host will not forward for
	 * would blackhole their IPv6 (a sandboxed service cannot turn
	 * forwarding on: host6_forwarding_enable()). */
	if (!host6_forwarding_on()) {
		out->no_forwarding = true;
		return 0;
	}
	ret = host6_lookup(nl, bridge_ifindex, src, &oif);
	/* Forwarding off or source validation: the host's own route. */
	if (ret < 0)
		ret = host6_lookup(nl, 0, NULL, &oif);
	if (ret < 0 || oif == 0 || oif == bridge_ifindex)
		return ret;
	g.ifindex = oif;
	nlh = nl_msg_start(nl, RTM_GETADDR, NLM_F_DUMP);
	ifa = mnl_nlmsg_put_extra_header(nlh, sizeof(*ifa));
	ifa->ifa_family = AF_INET6;
	ret = nl_query(nl, nlh, host6_global_cb, &g);
	if (ret < 0 || !out->n_addrs) {
		out->n_addrs = 0;
		return ret;
	}
	out->present = true;
	out->ifindex = oif;
	memcpy(out->addr, out->addrs[0], 16);
	if (!if_indextoname(oif, out->ifname))
		snprintf(out->ifname, sizeof(out->ifname), "if%u", oif);
	return 0;
}

/* The bridge's address ------------------------------------------------------------ */

static int host6_addr_msg(struct nl *nl, uint16_t type, uint16_t flags, unsigned ifindex,
			  const uint8_t addr[16], uint8_t len)
{
	struct nlmsghdr *nlh;
	struct ifaddrmsg *ifa;

	if (ifindex == 0 || len > 128)
		return -EINVAL;
	nlh = nl_msg_start(nl, type, flags);
	ifa = mnl_nlmsg_put_extra_header(nlh, sizeof(*ifa));
	ifa->ifa_family = AF_INET6;
	ifa->ifa_prefixlen = len;
	ifa->ifa_scope = RT_SCOPE_UNIVERSE;
	ifa->ifa_flags = IFA_F_NODAD;
	ifa->ifa_index = ifindex;
	mnl_attr_put(nlh, IFA_LOCAL, 16, addr);
	mnl_attr_put(nlh, IFA_ADDRESS, 16, addr);
	return nl_request(nl, nlh);
}

int host6_addr_ensure(struct nl *nl, unsigned ifindex, const uint8_t addr[16], uint8_t len)
{
	int ret = host6_addr_msg(nl, RTM_NEWADDR, NLM_F_CREATE | NLM_F_EXCL, ifindex, addr, len);

	if (ret == -EEXIST)
		return 0;
	return ret < 0 ? ret : 1;
}

int host6_addr_add(struct nl *nl, unsigned ifindex, const uint8_t addr[16], uint8_t len)
{
	int ret = host6_addr_ensure(nl, ifindex, addr, len);

	return ret < 0 ? ret : 0;
}

int host6_addr_del(struct nl *nl, unsigned ifindex, const uint8_t addr[16], uint8_t len)
{
	int ret = host6_addr_msg(nl, RTM_DELADDR, 0, ifindex, addr, len);

	return ret == -EADDRNOTAVAIL ? 0 : ret;
}

/* Forwarding ------------------------------------------------------------------------ */

static int host6_sysctl_read(const char *path, char *c)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	ssize_t n;

	if (fd < 0)
		return -errno;
	n = read(fd, c, 1);
	close(fd);
	return n == 1 ? 0 : -EIO;
}

/* Writing the value already there is skipped: a sandboxed service sees
 * /proc/sys read-only, and the unit sets what it needs beforehand. */
static int host6_sysctl_write(const char *path, char v)
{
	char c;
	ssize_t n;
	int fd, ret = 0;

	if (host6_sysctl_read(path, &c) == 0 && c == v)
		return 0;
	fd = open(path, O_WRONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	n = write(fd, &v, 1);
	if (n != 1)
		ret = n < 0 ? -errno : -EIO;
	if (close(fd) < 0 && ret == 0)
		ret = -errno;
	return ret;
}

static void host6_keep_ra(const char *name)
{
	char path[PATH_MAX];
	char c;
	int r;

	if ((size_t)snprintf(path, sizeof(path), HOST6_CONF_DIR "/%s/accept_ra", name) >=
	    sizeof(path) || host6_sysctl_read(path, &c) < 0 || c != '1')
		return;
	r = host6_sysctl_write(path, '2');
	if (r < 0)
		log_warning("IPv6 forwarding makes %s ignore router advertisements, and "
			    "accept_ra=2 cannot be set: %s", name, strerror(-r));
	else
		log_info("%s: accept_ra 1 -> 2, so that it keeps taking router advertisements "
			 "with IPv6 forwarding on", name);
}

int host6_forwarding_enable(const char *bridge)
{
	char path[PATH_MAX];
	struct dirent *e;
	DIR *dir = opendir(HOST6_CONF_DIR);

	if (!dir)
		return -errno;
	while ((e = readdir(dir)))
		if (e->d_name[0] != '.' && strcmp(e->d_name, bridge) != 0 &&
		    strcmp(e->d_name, "all") != 0 && strcmp(e->d_name, "lo") != 0)
			host6_keep_ra(e->d_name);
	closedir(dir);
	if ((size_t)snprintf(path, sizeof(path), HOST6_CONF_DIR "/%s/accept_ra", bridge) <
	    sizeof(path) && host6_sysctl_write(path, '0') < 0)
		log_warning("cannot set accept_ra=0 on %s", bridge);
	return host6_sysctl_write(HOST6_CONF_DIR "/all/forwarding", '1');
}
