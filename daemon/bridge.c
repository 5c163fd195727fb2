/* The bridge and its IPv4 addresses, through rtnetlink. */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <net/if.h>
#include <string.h>
#include <unistd.h>

#include <linux/if.h>
#include <linux/if_link.h>
#include <linux/neighbour.h>
#include <linux/rtnetlink.h>

#include "bridge.h"
#include "ip4.h"

#define BRIDGE_KIND "bridge"

/* What a lookup by name tells about an existing link. */
struct bridge_link {
	unsigned ifindex;
	bool is_bridge;
	bool up;                 /* IFF_UP */
	bool has_mac;
	uint8_t mac[6];
};

static int bridge_kind_cb(const struct nlattr *attr, void *data)
{
	struct bridge_link *link = data;
	const char *kind = mnl_attr_get_payload(attr);
	size_t len = mnl_attr_get_payload_len(attr);

	if (mnl_attr_get_type(attr) != IFLA_INFO_KIND)
		return MNL_CB_OK;
	link->is_bridge = strnlen(kind, len) == strlen(BRIDGE_KIND) &&
			  memcmp(kind, BRIDGE_KIND, strlen(BRIDGE_KIND)) == 0;
	return MNL_CB_OK;
}

static int bridge_link_attr_cb(const struct nlattr *attr, void *data)
{
	struct bridge_link *link = data;

	switch (mnl_attr_get_type(attr)) {
	case IFLA_ADDRESS:
		if (mnl_attr_get_payload_len(attr) != sizeof(link->mac))
			break;
		memcpy(link->mac, mnl_attr_get_payload(attr), sizeof(link->mac));
		link->has_mac = true;
		break;
	case IFLA_LINKINFO:
		if (mnl_attr_validate(attr, MNL_TYPE_NESTED) < 0)
			return MNL_CB_ERROR;
		return mnl_attr_parse_nested(attr, bridge_kind_cb, link);
	default:
		break;
	}
	return MNL_CB_OK;
}

static int bridge_link_cb(const struct nlmsghdr *nlh, void *data)
{
	struct bridge_link *link = data;
	const struct ifinfomsg *ifi = mnl_nlmsg_get_payload(nlh);

	if (nlh->nlmsg_type != RTM_NEWLINK ||
	    mnl_nlmsg_get_payload_len(nlh) < sizeof(*ifi))
		return MNL_CB_OK;
	link->ifindex = (unsigned)ifi->ifi_index;
	link->up = ifi->ifi_flags & IFF_UP;
	return mnl_attr_parse(nlh, sizeof(*ifi), bridge_link_attr_cb, link);
}

static struct ifinfomsg *bridge_link_msg(struct nl *nl, struct nlmsghdr **nlh,
					 uint16_t type, uint16_t flags)
{
	struct ifinfomsg *ifi;

	*nlh = nl_msg_start(nl, type, flags);
	ifi = mnl_nlmsg_put_extra_header(*nlh, sizeof(*ifi));
	ifi->ifi_family = AF_UNSPEC;
	return ifi;
}

/* -ENODEV when there is no link of that name. */
static int bridge_lookup(struct nl *nl, const char *name, struct bridge_link *link)
{
	struct nlmsghdr *nlh;
	int ret;

	memset(link, 0, sizeof(*link));
	bridge_link_msg(nl, &nlh, RTM_GETLINK, 0);
	mnl_attr_put_strz(nlh, IFLA_IFNAME, name);
	mnl_attr_put_u32(nlh, IFLA_EXT_MASK, RTEXT_FILTER_SKIP_STATS);
	ret = nl_query(nl, nlh, bridge_link_cb, link);
	if (ret < 0)
		return ret;
	return link->ifindex ? 0 : -EPROTO;
}

int bridge_find(struct nl *nl, const char *name, unsigned *ifindex, bool *up)
{
	struct bridge_link link;
	int ret = bridge_lookup(nl, name, &link);

	if (ret < 0)
		return ret;
	if (!link.is_bridge)
		return -EEXIST;
	*ifindex = link.ifindex;
	*up = link.up;
	return 0;
}

static int bridge_create(struct nl *nl, const char *name, const uint8_t mac[6])
{
	struct nlattr *linkinfo, *info_data;
	struct nlmsghdr *nlh;

	bridge_link_msg(nl, &nlh, RTM_NEWLINK, NLM_F_CREATE | NLM_F_EXCL);
	mnl_attr_put_strz(nlh, IFLA_IFNAME, name);
	/* A MAC of our choosing stays put; a bridge without one takes the
	 * lowest of its ports' MACs and changes it as guests come and go. */
	mnl_attr_put(nlh, IFLA_ADDRESS, 6, mac);
	linkinfo = mnl_attr_nest_start(nlh, IFLA_LINKINFO);
	mnl_attr_put_strz(nlh, IFLA_INFO_KIND, BRIDGE_KIND);
	info_data = mnl_attr_nest_start(nlh, IFLA_INFO_DATA);
	/* A guest's port forwards at once (its DHCP DISCOVER must not be
	 * lost in a listening/learning delay); STP is off: the daemon makes
	 * no loops, so it would only add that delay. */
	mnl_attr_put_u32(nlh, IFLA_BR_FORWARD_DELAY, 0);
	mnl_attr_put_u32(nlh, IFLA_BR_STP_STATE, 0);
	mnl_attr_nest_end(nlh, info_data);
	mnl_attr_nest_end(nlh, linkinfo);
	return nl_request(nl, nlh);
}

static int bridge_set_mac(struct nl *nl, unsigned ifindex, const uint8_t mac[6])
{
	struct nlmsghdr *nlh;
	struct ifinfomsg *ifi;

	ifi = bridge_link_msg(nl, &nlh, RTM_NEWLINK, 0);
	ifi->ifi_index = (int)ifindex;
	mnl_attr_put(nlh, IFLA_ADDRESS, 6, mac);
	return nl_request(nl, nlh);
}

int bridge_ensure(struct nl *nl, const char *name, const uint8_t mac[6],
		  unsigned *ifindex, bool *created)
{
	struct bridge_link link;
	bool made = false;
	int ret;

	if (name[0] == '\0' || strnlen(name, IFNAMSIZ) >= IFNAMSIZ)
		return -EINVAL;
	ret = bridge_lookup(nl, name, &link);
	if (ret == -ENODEV) {
		ret = bridge_create(nl, name, mac);
		/* -EEXIST: someone made it since the lookup; adopt theirs. */
		if (ret < 0 && ret != -EEXIST)
			return ret;
		made = ret == 0;
		ret = bridge_lookup(nl, name, &link);
	}
	if (ret < 0)
		return ret;
	if (!link.is_bridge)
		return -EEXIST;
	if (!link.has_mac || memcmp(link.mac, mac, sizeof(link.mac)) != 0) {
		ret = bridge_set_mac(nl, link.ifindex, mac);
		if (ret < 0)
			return ret;
	}
	*ifindex = link.ifindex;
	*created = made;
	return 0;
}

int bridge_delete(struct nl *nl, const char *name)
{
	struct bridge_link link;
	struct nlmsghdr *nlh;
	struct ifinfomsg *ifi;
	int ret;

	if (name[0] == '\0' || strnlen(name, IFNAMSIZ) >= IFNAMSIZ)
		return -EINVAL;
	ret = bridge_lookup(nl, name, &link);
	if (ret < 0)
		return ret;
	if (!link.is_bridge)
		return -EEXIST;
	ifi = bridge_link_msg(nl, &nlh, RTM_DELLINK, 0);
	ifi->ifi_index = (int)link.ifindex;
	return nl_request(nl, nlh);
}

static int bridge_addr_msg(struct nl *nl, uint16_t type, uint16_t flags,
			   unsigned ifindex, uint32_t addr, uint8_t len)
{
	struct ip4_prefix p = { .addr = addr & ip4_mask(len), .len = len };
	struct nlmsghdr *nlh;
	struct ifaddrmsg *ifa;

	if (ifindex == 0 || len > 32)
		return -EINVAL;
	nlh = nl_msg_start(nl, type, flags);
	ifa = mnl_nlmsg_put_extra_header(nlh, sizeof(*ifa));
	ifa->ifa_family = AF_INET;
	ifa->ifa_prefixlen = len;
	ifa->ifa_scope = RT_SCOPE_UNIVERSE;
	ifa->ifa_index = ifindex;
	mnl_attr_put_u32(nlh, IFA_LOCAL, htonl(addr));
	mnl_attr_put_u32(nlh, IFA_ADDRESS, htonl(addr));
	/* /31 and /32 have no broadcast address (RFC 3021). */
	if (type == RTM_NEWADDR && len < 31)
		mnl_attr_put_u32(nlh, IFA_BROADCAST, htonl(ip4_prefix_last(p)));
	return nl_request(nl, nlh);
}

int bridge_addr_ensure(struct nl *nl, unsigned ifindex, uint32_t addr, uint8_t len)
{
	int ret = bridge_addr_msg(nl, RTM_NEWADDR, NLM_F_CREATE | NLM_F_EXCL,
				  ifindex, addr, len);

	if (ret == -EEXIST)
		return 0;
	return ret < 0 ? ret : 1;
}

int bridge_addr_add(struct nl *nl, unsigned ifindex, uint32_t addr, uint8_t len)
{
	int ret = bridge_addr_ensure(nl, ifindex, addr, len);

	return ret < 0 ? ret : 0;
}

int bridge_addr_del(struct nl *nl, unsigned ifindex, uint32_t addr, uint8_t len)
{
	int ret = bridge_addr_msg(nl, RTM_DELADDR, 0, ifindex, addr, len);

	return ret == -EADDRNOTAVAIL ? 0 : ret;
}

int bridge_set_up(struct nl *nl, unsigned ifindex)
{
	struct nlmsghdr *nlh;
	struct ifinfomsg *ifi;

	if (ifindex == 0)
		return -EINVAL;
	ifi = bridge_link_msg(nl, &nlh, RTM_NEWLINK, 0);
	ifi->ifi_index = (int)ifindex;
	ifi->ifi_flags = IFF_UP;
	ifi->ifi_change = IFF_UP;
	return nl_request(nl, nlh);
}

struct bridge_ports {
	unsigned master;
	unsigned count;
	unsigned flags;         /* ifi_flags of the last port counted */
	uint32_t *list;         /* when set: the ports' ifindexes, up to max */
	size_t max;
};

static int bridge_port_attr_cb(const struct nlattr *attr, void *data)
{
	struct bridge_ports *ports = data;

	if (mnl_attr_get_type(attr) != IFLA_MASTER)
		return MNL_CB_OK;
	if (mnl_attr_validate(attr, MNL_TYPE_U32) < 0)
		return MNL_CB_ERROR;
	if (mnl_attr_get_u32(attr) == ports->master)
		ports->count++;
	return MNL_CB_OK;
}

static int bridge_port_cb(const struct nlmsghdr *nlh, void *data)
{
	struct bridge_ports *ports = data;
	const struct ifinfomsg *ifi;
	unsigned before = ports->count;
	int r;

	if (nlh->nlmsg_type != RTM_NEWLINK ||
	    mnl_nlmsg_get_payload_len(nlh) < sizeof(struct ifinfomsg))
		return MNL_CB_OK;
	ifi = mnl_nlmsg_get_payload(nlh);
	r = mnl_attr_parse(nlh, sizeof(struct ifinfomsg), bridge_port_attr_cb, data);
	if (ports->count > before)
		ports->flags = ifi->ifi_flags;
	if (ports->count > before && ports->list && before < ports->max)
		ports->list[before] = (uint32_t)ifi->ifi_index;
	return r;
}

static int bridge_port_dump(struct nl *nl, struct bridge_ports *ports)
{
	struct nlmsghdr *nlh;

	if (ports->master == 0)
		return -EINVAL;
	bridge_link_msg(nl, &nlh, RTM_GETLINK, NLM_F_DUMP);
	/* The kernel filters on IFLA_MASTER (4.15+); the callback checks
	 * again for older ones. */
	mnl_attr_put_u32(nlh, IFLA_MASTER, ports->master);
	mnl_attr_put_u32(nlh, IFLA_EXT_MASK, RTEXT_FILTER_SKIP_STATS);
	return nl_query(nl, nlh, bridge_port_cb, ports);
}

int bridge_port_list(struct nl *nl, unsigned ifindex, uint32_t *list, size_t max, size_t *n)
{
	struct bridge_ports ports = { .master = ifindex, .list = list, .max = max };
	int ret = bridge_port_dump(nl, &ports);

	if (ret < 0)
		return ret;
	if (ports.count > max)
		return -ENOSPC;
	*n = ports.count;
	return 0;
}

struct bridge_fdb {
	unsigned bridge;
	void (*fn)(void *ctx, unsigned port, const uint8_t mac[6]);
	void *ctx;
	const struct nlattr *lladdr, *master;
};

static int bridge_fdb_attr_cb(const struct nlattr *attr, void *data)
{
	struct bridge_fdb *f = data;

	if (mnl_attr_get_type(attr) == NDA_LLADDR && mnl_attr_get_payload_len(attr) == 6)
		f->lladdr = attr;
	else if (mnl_attr_get_type(attr) == NDA_MASTER &&
		 mnl_attr_validate(attr, MNL_TYPE_U32) == 0)
		f->master = attr;
	return MNL_CB_OK;
}

static int bridge_fdb_cb(const struct nlmsghdr *nlh, void *data)
{
	struct bridge_fdb *f = data;
	const struct ndmsg *nd;

	if (nlh->nlmsg_type != RTM_NEWNEIGH ||
	    mnl_nlmsg_get_payload_len(nlh) < sizeof(struct ndmsg))
		return MNL_CB_OK;
	nd = mnl_nlmsg_get_payload(nlh);
	if (nd->ndm_family != AF_BRIDGE || (nd->ndm_state & NUD_PERMANENT) ||
	    (unsigned)nd->ndm_ifindex == f->bridge)
		return MNL_CB_OK;
	f->lladdr = f->master = NULL;
	if (mnl_attr_parse(nlh, sizeof(struct ndmsg), bridge_fdb_attr_cb, f) < 0)
		return MNL_CB_ERROR;
	/* The kernel filters on NDA_MASTER; check again. */
	if (f->lladdr && f->master && mnl_attr_get_u32(f->master) == f->bridge)
		f->fn(f->ctx, (unsigned)nd->ndm_ifindex, mnl_attr_get_payload(f->lladdr));
	return MNL_CB_OK;
}

int bridge_fdb_walk(struct nl *nl, unsigned bridge,
		    void (*fn)(void *ctx, unsigned port, const uint8_t mac[6]), void *ctx)
{
	struct bridge_fdb f = { .bridge = bridge, .fn = fn, .ctx = ctx };
	struct nlmsghdr *nlh = nl_msg_start(nl, RTM_GETNEIGH, NLM_F_DUMP);
	struct ndmsg *nd = mnl_nlmsg_put_extra_header(nlh, sizeof(*nd));

	nd->ndm_family = AF_BRIDGE;
	mnl_attr_put_u32(nlh, NDA_MASTER, bridge);
	return nl_query(nl, nlh, bridge_fdb_cb, &f);
}

int bridge_port_count(struct nl *nl, unsigned ifindex, unsigned *count)
{
	struct bridge_ports ports = { .master = ifindex };
	int ret = bridge_port_dump(nl, &ports);

	if (ret < 0)
		return ret;
	*count = ports.count;
	return 0;
}

static int bridge_port_query(struct nl *nl, unsigned bridge, unsigned port,
			     struct bridge_ports *ports)
{
	struct nlmsghdr *nlh;
	struct ifinfomsg *ifi;

	if (bridge == 0 || port == 0)
		return -EINVAL;
	ifi = bridge_link_msg(nl, &nlh, RTM_GETLINK, 0);
	ifi->ifi_index = (int)port;
	mnl_attr_put_u32(nlh, IFLA_EXT_MASK, RTEXT_FILTER_SKIP_STATS);
	return nl_query(nl, nlh, bridge_port_cb, ports);
}

int bridge_is_port(struct nl *nl, unsigned bridge, unsigned port, bool *is_port)
{
	struct bridge_ports ports = { .master = bridge };
	int ret = bridge_port_query(nl, bridge, port, &ports);

	if (ret < 0)
		return ret;
	*is_port = ports.count > 0;
	return 0;
}

int bridge_port_up(struct nl *nl, unsigned bridge, unsigned port, bool *up)
{
	struct bridge_ports ports = { .master = bridge };
	int ret = bridge_port_query(nl, bridge, port, &ports);

	if (ret == -ENODEV) {
		*up = false;
		return 0;
	}
	if (ret < 0)
		return ret;
	*up = ports.count > 0 && (ports.flags & (IFF_UP | IFF_LOWER_UP)) == (IFF_UP | IFF_LOWER_UP);
	return 0;
}

#define IP_FORWARD_PATH "/proc/sys/net/ipv4/ip_forward"

static bool ip_forwarding_enabled(void)
{
	char c = '0';
	int fd = open(IP_FORWARD_PATH, O_RDONLY | O_CLOEXEC);

	if (fd < 0)
		return false;
	if (read(fd, &c, 1) != 1)
		c = '0';
	close(fd);
	return c == '1';
}

/* Already on (the unit's ExecStartPre, or the admin) needs no write: the
 * sandboxed service sees /proc/sys read-only. */
int ip_forwarding_enable(void)
{
	ssize_t n;
	int fd, ret = 0;

	if (ip_forwarding_enabled())
		return 0;
	fd = open(IP_FORWARD_PATH, O_WRONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	n = write(fd, "1", 1);
	if (n < 0)
		ret = -errno;
	else if (n != 1)
		ret = -EIO;
	if (close(fd) < 0 && ret == 0)
		ret = -errno;
	return ret;
}
