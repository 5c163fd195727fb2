/* Guests' IPv6 addresses from the neighbour table: see neigh6.h. */
#include <errno.h>
#include <string.h>

#include <linux/neighbour.h>
#include <linux/netlink.h>
#include <linux/rtnetlink.h>
#include <sys/socket.h>

#include "neigh6.h"

/* RFC 4861 7.3.2: an entry that failed resolution has no usable MAC. */
#define NEIGH6_DEAD (NUD_FAILED | NUD_INCOMPLETE | NUD_NONE)

static int neigh6_attrs(const uint8_t *p, size_t len, struct neigh6_event *ev,
			bool *has_dst, bool *has_mac)
{
	struct rtattr rta;
	size_t alen;

	while (len >= sizeof(rta)) {
		memcpy(&rta, p, sizeof(rta));
		if (rta.rta_len < sizeof(rta) || rta.rta_len > len)
			return -EINVAL;
		alen = rta.rta_len - sizeof(rta);
		if (rta.rta_type == NDA_DST && alen == 16) {
			memcpy(ev->addr, p + RTA_LENGTH(0), 16);
			*has_dst = true;
		} else if (rta.rta_type == NDA_LLADDR && alen == 6) {
			memcpy(ev->mac, p + RTA_LENGTH(0), 6);
			*has_mac = true;
		}
		alen = RTA_ALIGN(rta.rta_len);
		if (alen >= len)
			break;
		p += alen;
		len -= alen;
	}
	return 0;
}

int neigh6_parse(const void *buf, size_t len, struct neigh6_event *ev)
{
	const uint8_t *p = buf;
	struct nlmsghdr nlh;
	struct ndmsg nd;
	bool has_dst = false, has_mac = false;
	size_t off = NLMSG_LENGTH(sizeof(nd));

	if (!buf || !ev || len < sizeof(nlh))
		return -EINVAL;
	memcpy(&nlh, p, sizeof(nlh));
	if (nlh.nlmsg_len < sizeof(nlh) || nlh.nlmsg_len > len)
		return -EINVAL;
	if (nlh.nlmsg_type != RTM_NEWNEIGH && nlh.nlmsg_type != RTM_DELNEIGH)
		return 0;
	if (nlh.nlmsg_len < off)
		return -EINVAL;
	memcpy(&nd, p + NLMSG_HDRLEN, sizeof(nd));
	if (nd.ndm_family != AF_INET6)
		return 0;
	memset(ev, 0, sizeof(*ev));
	if (neigh6_attrs(p + NLMSG_ALIGN(off), nlh.nlmsg_len > NLMSG_ALIGN(off) ?
			 nlh.nlmsg_len - NLMSG_ALIGN(off) : 0, ev, &has_dst, &has_mac) < 0 ||
	    !has_dst)
		return -EINVAL;
	ev->ifindex = nd.ndm_ifindex > 0 ? (unsigned)nd.ndm_ifindex : 0;
	ev->add = nlh.nlmsg_type == RTM_NEWNEIGH && has_mac && !(nd.ndm_state & NEIGH6_DEAD);
	return 1;
}

static void neigh6_remove_at(struct neigh6_table *t, size_t i)
{
	memmove(&t->v[i], &t->v[i + 1], (t->n - i - 1) * sizeof(t->v[0]));
	t->n--;
}

static long neigh6_find(const struct neigh6_table *t, const uint8_t addr[16])
{
	for (size_t i = 0; i < t->n; i++)
		if (memcmp(t->v[i].addr, addr, 16) == 0)
			return (long)i;
	return -1;
}

static bool neigh6_forget(struct neigh6_table *t, const uint8_t addr[16])
{
	long i = neigh6_find(t, addr);

	if (i < 0)
		return false;
	neigh6_remove_at(t, (size_t)i);
	return true;
}

/* Entries stay in arrival order, so a MAC's first is its oldest. */
static void neigh6_make_room(struct neigh6_table *t, const uint8_t mac[6])
{
	size_t i, count = 0, oldest = 0;

	for (i = t->n; i-- > 0;) {
		if (memcmp(t->v[i].mac, mac, 6) == 0) {
			count++;
			oldest = i;
		}
	}
	if (count >= NEIGH6_PER_MAC)
		neigh6_remove_at(t, oldest);
}

bool neigh6_holds(const struct neigh6_table *t, const uint8_t addr[16], const uint8_t mac[6])
{
	long i = neigh6_find(t, addr);

	return i >= 0 && memcmp(t->v[i].mac, mac, 6) == 0;
}

int neigh6_apply(struct neigh6_table *t, const struct neigh6_event *ev)
{
	/* Reachable, stale, probe...: the kernel reports every state change. */
	if (ev->add && neigh6_holds(t, ev->addr, ev->mac))
		return 0;
	if (!ev->add)
		return neigh6_forget(t, ev->addr) ? 1 : 0;
	neigh6_forget(t, ev->addr);
	neigh6_make_room(t, ev->mac);
	if (t->n == NEIGH6_MAX)
		return -ENOSPC;
	memcpy(t->v[t->n].mac, ev->mac, 6);
	memcpy(t->v[t->n].addr, ev->addr, 16);
	t->n++;
	return 1;
}

size_t neigh6_lookup(const struct neigh6_table *t, const uint8_t mac[6], uint8_t (*out)[16],
		     size_t max)
{
	size_t i, n = 0;

	for (i = 0; i < t->n && n < max; i++)
		if (memcmp(t->v[i].mac, mac, 6) == 0)
			memcpy(out[n++], t->v[i].addr, 16);
	return n;
}

/* RFC 4291 appendix A: the MAC with ff:fe in its middle and the
 * universal/local bit inverted. */
static void neigh6_eui64(const uint8_t mac[6], uint8_t iid[8])
{
	iid[0] = mac[0] ^ 0x02;
	iid[1] = mac[1];
	iid[2] = mac[2];
	iid[3] = 0xff;
	iid[4] = 0xfe;
	iid[5] = mac[3];
	iid[6] = mac[4];
	iid[7] = mac[5];
}

bool neigh6_stable(const struct neigh6_table *t, const uint8_t mac[6], uint8_t out[16])
{
	uint8_t iid[8];
	bool found = false;

	neigh6_eui64(mac, iid);
	for (size_t i = 0; i < t->n; i++) {
		if (memcmp(t->v[i].mac, mac, 6) != 0)
			continue;
		if (!found || memcmp(t->v[i].addr + 8, iid, 8) == 0)
			memcpy(out, t->v[i].addr, 16);
		if (memcmp(t->v[i].addr + 8, iid, 8) == 0)
			return true;
		found = true;
	}
	return found;
}

int neigh6_mac_of(const struct neigh6_table *t, const uint8_t addr[16], uint8_t mac[6])
{
	long i = neigh6_find(t, addr);

	if (i < 0)
		return -ENOENT;
	memcpy(mac, t->v[i].mac, 6);
	return 0;
}
