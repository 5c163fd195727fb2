/* Carrier blips on the bridge's veth ports: see port_flap.h. */
#include <errno.h>
#include <net/if.h>
#include <string.h>

#include <linux/if_link.h>
#include <linux/rtnetlink.h>

#include <libmnl/libmnl.h>

#include "log.h"
#include "port_flap.h"

void port_flap_init(struct port_flap *pf, struct nl *nl, struct event_base *base,
		    unsigned bridge)
{
	memset(pf, 0, sizeof(*pf));
	pf->nl = nl;
	pf->base = base;
	pf->bridge = bridge;
}

struct port_flap_ports {
	unsigned master;
	unsigned *v;
	size_t n;
};

struct port_flap_link {
	unsigned master;
	bool veth;
};

static int port_flap_info_cb(const struct nlattr *attr, void *data)
{
	struct port_flap_link *la = data;

	if (mnl_attr_get_type(attr) == IFLA_INFO_KIND &&
	    mnl_attr_validate(attr, MNL_TYPE_NUL_STRING) == 0)
		la->veth = strcmp(mnl_attr_get_str(attr), "veth") == 0;
	return MNL_CB_OK;
}

static int port_flap_attr_cb(const struct nlattr *attr, void *data)
{
	struct port_flap_link *la = data;

	switch (mnl_attr_get_type(attr)) {
	case IFLA_MASTER:
		if (mnl_attr_validate(attr, MNL_TYPE_U32) < 0)
			return MNL_CB_ERROR;
		la->master = mnl_attr_get_u32(attr);
		return MNL_CB_OK;
	case IFLA_LINKINFO:
		if (mnl_attr_validate(attr, MNL_TYPE_NESTED) < 0)
			return MNL_CB_ERROR;
		return mnl_attr_parse_nested(attr, port_flap_info_cb, la);
	default:
		return MNL_CB_OK;
	}
}

static int port_flap_port_cb(const struct nlmsghdr *nlh, void *data)
{
	struct port_flap_ports *p = data;
	const struct ifinfomsg *ifi = mnl_nlmsg_get_payload(nlh);
	struct port_flap_link la = { 0 };

	if (nlh->nlmsg_type != RTM_NEWLINK || mnl_nlmsg_get_payload_len(nlh) < sizeof(*ifi))
		return MNL_CB_OK;
	if (mnl_attr_parse(nlh, sizeof(*ifi), port_flap_attr_cb, &la) != MNL_CB_OK)
		return MNL_CB_ERROR;
	/* Only ports that are up: one the admin took down stays down. */
	if (la.master == p->master && la.veth && (ifi->ifi_flags & IFF_UP) &&
	    p->n < PORT_FLAP_MAX_PORTS)
		p->v[p->n++] = (unsigned)ifi->ifi_index;
	return MNL_CB_OK;
}

static int port_flap_list_veths(struct port_flap *pf, unsigned *v, size_t *n)
{
	struct port_flap_ports p = { .master = pf->bridge, .v = v };
	struct nlmsghdr *nlh = nl_msg_start(pf->nl, RTM_GETLINK, NLM_F_DUMP);
	struct ifinfomsg *ifi = mnl_nlmsg_put_extra_header(nlh, sizeof(*ifi));
	int r;

	ifi->ifi_family = AF_UNSPEC;
	mnl_attr_put_u32(nlh, IFLA_MASTER, pf->bridge);
	mnl_attr_put_u32(nlh, IFLA_EXT_MASK, RTEXT_FILTER_SKIP_STATS);
	r = nl_query(pf->nl, nlh, port_flap_port_cb, &p);
	*n = p.n;
	return r;
}

static int port_flap_set_up(struct nl *nl, unsigned ifindex, bool up)
{
	struct nlmsghdr *nlh = nl_msg_start(nl, RTM_NEWLINK, 0);
	struct ifinfomsg *ifi = mnl_nlmsg_put_extra_header(nlh, sizeof(*ifi));

	ifi->ifi_family = AF_UNSPEC;
	ifi->ifi_index = (int)ifindex;
	ifi->ifi_change = IFF_UP;
	ifi->ifi_flags = up ? IFF_UP : 0;
	return nl_request(nl, nlh);
}

static void port_flap_on_end(evutil_socket_t fd, short what, void *arg)
{
	struct port_flap *pf = arg;
	int r;

	for (size_t i = 0; i < pf->n_flapped; i++) {
		r = port_flap_set_up(pf->nl, pf->flapped[i], true);
		/* A port deleted meanwhile is gone, not a failure. */
		if (r < 0 && r != -ENODEV)
			log_warning("cannot bring bridge port %u back up: %s", pf->flapped[i],
				    strerror(-r));
	}
	pf->n_flapped = 0;
}

void port_flap_start(struct port_flap *pf)
{
	struct timeval tv = { .tv_sec = PORT_FLAP_MS / 1000,
			      .tv_usec = (PORT_FLAP_MS % 1000) * 1000 };
	size_t n = 0;
	int r;

	if (pf->n_flapped)
		return;
	r = port_flap_list_veths(pf, pf->flapped, &n);
	if (r < 0) {
		log_warning("cannot list the bridge's ports: %s", strerror(-r));
		return;
	}
	for (size_t i = 0; i < n; i++)
		if (port_flap_set_up(pf->nl, pf->flapped[i], false) == 0)
			pf->flapped[pf->n_flapped++] = pf->flapped[i];
	if (!pf->n_flapped)
		return;
	if (!pf->timer)
		pf->timer = evtimer_new(pf->base, port_flap_on_end, pf);
	if (!pf->timer || evtimer_add(pf->timer, &tv) < 0)
		port_flap_on_end(-1, 0, pf);
	log_info("carrier dropped for %u ms on %zu veth port%s, so container guests re-lease",
		 PORT_FLAP_MS, pf->n_flapped, pf->n_flapped == 1 ? "" : "s");
}


void port_flap_free(struct port_flap *pf)
{
	if (!pf->timer)
		return;
	if (pf->n_flapped)
		port_flap_on_end(-1, 0, pf);
	event_free(pf->timer);
	pf->timer = NULL;
}
