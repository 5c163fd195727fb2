/* nflog messages: see nat_nflog.h. Attributes are read with libmnl and
 * their sizes checked here. */
#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>

#include <linux/netfilter/nfnetlink.h>
#include <linux/netfilter/nfnetlink_log.h>

#include <libmnl/libmnl.h>

#include "nat_nflog.h"
#include "nat_trace.h"

struct nat_nflog_attrs {
	const struct nlattr *tb[NFULA_MAX + 1];
};

static int nat_nflog_attr_cb(const struct nlattr *attr, void *data)
{
	struct nat_nflog_attrs *a = data;
	uint16_t type = mnl_attr_get_type(attr);
	int ok;

	switch (type) {
	case NFULA_PREFIX:
		ok = mnl_attr_validate(attr, MNL_TYPE_NUL_STRING) == 0;
		break;
	case NFULA_IFINDEX_INDEV:
	case NFULA_IFINDEX_PHYSINDEV:
		ok = mnl_attr_validate(attr, MNL_TYPE_U32) == 0;
		break;
	case NFULA_HWADDR:
		ok = mnl_attr_validate2(attr, MNL_TYPE_UNSPEC,
					sizeof(struct nfulnl_msg_packet_hw)) == 0;
		break;
	default:
		ok = 0;
	}
	if (ok)
		a->tb[type] = attr;
	return MNL_CB_OK;
}

/* With bridge netfilter built (Debian's kernels), a bridge family hook
 * reports the port as the physical in-device and the bridge as the
 * in-device; without, the port as the in-device. */
static uint32_t nat_nflog_port(const struct nat_nflog_attrs *a)
{
	const struct nlattr *dev = a->tb[NFULA_IFINDEX_PHYSINDEV] ?
				   a->tb[NFULA_IFINDEX_PHYSINDEV] : a->tb[NFULA_IFINDEX_INDEV];

	return dev ? ntohl(mnl_attr_get_u32(dev)) : 0;
}

static bool nat_nflog_event_from(const struct nlmsghdr *nlh, uint16_t group,
				 struct nat_nflog_event *e)
{
	const struct nfgenmsg *nfg = mnl_nlmsg_get_payload(nlh);
	struct nat_nflog_attrs a = { 0 };
	const struct nfulnl_msg_packet_hw *hw;

	*e = (struct nat_nflog_event){ 0 };
	if (mnl_nlmsg_get_payload_len(nlh) < sizeof(*nfg) || ntohs(nfg->res_id) != group ||
	    mnl_attr_parse(nlh, sizeof(*nfg), nat_nflog_attr_cb, &a) != MNL_CB_OK ||
	    !a.tb[NFULA_PREFIX])
		return false;
	snprintf(e->prefix, sizeof(e->prefix), "%s", mnl_attr_get_str(a.tb[NFULA_PREFIX]));
	e->port = nat_nflog_port(&a);
	if (a.tb[NFULA_HWADDR]) {
		hw = mnl_attr_get_payload(a.tb[NFULA_HWADDR]);
		e->has_mac = ntohs(hw->hw_addrlen) == sizeof(e->mac);
		if (e->has_mac)
			memcpy(e->mac, hw->hw_addr, sizeof(e->mac));
	}
	return true;
}

struct nat_nflog_walk {
	uint16_t group;
	nat_nflog_fn fn;
	void *ctx;
};

static bool nat_nflog_one(const struct nlmsghdr *nlh, void *arg)
{
	struct nat_nflog_walk *w = arg;
	struct nat_nflog_event e;

	if (!nat_nflog_event_from(nlh, w->group, &e))
		return false;
	w->fn(w->ctx, &e);
	return true;
}

int nat_nflog_parse(const void *buf, size_t len, uint16_t group, nat_nflog_fn fn, void *ctx)
{
	struct nat_nflog_walk w = { group, fn, ctx };

	return nat_datagram_each(buf, len, (NFNL_SUBSYS_ULOG << 8) | NFULNL_MSG_PACKET,
				 nat_nflog_one, &w);
}

size_t nat_nflog_config(void *buf, size_t size, enum nat_nflog_config what, uint16_t group,
			uint32_t seq)
{
	const struct nfulnl_msg_config_cmd cmd = { .command = NFULNL_CFG_CMD_BIND };
	const struct nfulnl_msg_config_mode mode = { .copy_mode = NFULNL_COPY_NONE };
	struct nlmsghdr *nlh;
	struct nfgenmsg *nfg;

	if (size < NAT_NFLOG_CONFIG_SIZE)
		return 0;
	memset(buf, 0, NAT_NFLOG_CONFIG_SIZE);
	nlh = mnl_nlmsg_put_header(buf);
	nlh->nlmsg_type = (NFNL_SUBSYS_ULOG << 8) | NFULNL_MSG_CONFIG;
	nlh->nlmsg_flags = NLM_F_REQUEST | NLM_F_ACK;
	nlh->nlmsg_seq = seq;
	nfg = mnl_nlmsg_put_extra_header(nlh, sizeof(*nfg));
	nfg->nfgen_family = AF_UNSPEC;
	nfg->version = NFNETLINK_V0;
	nfg->res_id = htons(group);
	if (what == NAT_NFLOG_BIND)
		mnl_attr_put(nlh, NFULA_CFG_CMD, sizeof(cmd), &cmd);
	else
		mnl_attr_put(nlh, NFULA_CFG_MODE, sizeof(mode), &mode);
	return nlh->nlmsg_len;
}
