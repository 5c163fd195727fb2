/* The bridge's IPv6 neighbours: see neigh6_watch.h. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <libmnl/libmnl.h>
#include <linux/rtnetlink.h>

#include "daemon.h"
#include "glue.h"
#include "log.h"
#include "neigh6.h"
#include "neigh6_watch.h"

#define NEIGH6_READ_BATCH 16
/* libmnl sizes its buffers with sysconf(); a dump batch fits in 32 KiB. */
#define NEIGH6_BUF_SIZE 32768
#define NEIGH6_REQ_SIZE 128

struct neigh6_watch {
	struct daemon *d;
	struct mnl_socket *sock;
	struct event *ev;
	struct neigh6_table table;
	char buf[NEIGH6_BUF_SIZE];
};

static bool neigh6_watch_wanted(const struct daemon *d, const struct neigh6_event *ev)
{
	return ev->ifindex == d->ifindex && ip6_prefix_contains(&d->subnet.prefix6, ev->addr) &&
	       memcmp(ev->addr, d->subnet.gateway6, 16) != 0;
}

/* Applies an event and tells the mDNS responder what changed for a
 * guest: an address new to it, or one it no longer has. A neighbour
 * changing state (REACHABLE, STALE...) changes nothing. Returns whether
 * the table changed. */
static bool neigh6_watch_apply(struct neigh6_watch *w, const struct neigh6_event *ev)
{
	uint8_t old[6];
	bool had = neigh6_mac_of(&w->table, ev->addr, old) == 0;
	int r = neigh6_apply(&w->table, ev);

	if (r < 0) {
		log_debug("neigh6: table full, %s not remembered", "an address");
		return false;
	}
	if (r == 0)
		return false;
	if (had)
		mdns_glue_aaaa_event(w->d, old, ev->addr, false);
	if (ev->add)
		mdns_glue_aaaa_event(w->d, ev->mac, ev->addr, true);
	return true;
}

static void neigh6_watch_batch(struct neigh6_watch *w, size_t len)
{
	const struct nlmsghdr *nlh = (const struct nlmsghdr *)w->buf;
	int remaining = (int)len;
	struct neigh6_event ev;
	bool changed = false;

	for (; mnl_nlmsg_ok(nlh, remaining); nlh = mnl_nlmsg_next(nlh, &remaining)) {
		if (neigh6_parse(nlh, nlh->nlmsg_len, &ev) != 1 || !neigh6_watch_wanted(w->d, &ev))
			continue;
		changed |= neigh6_watch_apply(w, &ev);
	}
	if (changed)
		daemon_on_neigh6_changed(w->d);
}

static int neigh6_watch_dump(struct neigh6_watch *w)
{
	char req[NEIGH6_REQ_SIZE];
	struct nlmsghdr *nlh = mnl_nlmsg_put_header(req);
	struct ndmsg *nd;

	nlh->nlmsg_type = RTM_GETNEIGH;
	nlh->nlmsg_flags = NLM_F_REQUEST | NLM_F_DUMP;
	nlh->nlmsg_seq = (uint32_t)time(NULL);
	nd = mnl_nlmsg_put_extra_header(nlh, sizeof(*nd));
	nd->ndm_family = AF_INET6;
	return mnl_socket_sendto(w->sock, nlh, nlh->nlmsg_len) < 0 ? -errno : 0;
}

static void neigh6_watch_on_read(evutil_socket_t fd, short what, void *arg)
{
	struct neigh6_watch *w = arg;
	ssize_t n;
	int i;

	for (i = 0; i < NEIGH6_READ_BATCH; i++) {
		n = mnl_socket_recvfrom(w->sock, w->buf, sizeof(w->buf));
		if (n < 0 && errno == ENOBUFS) {
			/* Events were lost: start again from the kernel's table. */
			w->table.n = 0;
			if (neigh6_watch_dump(w) < 0)
				log_warning("neigh6: cannot re-read the neighbour table");
			continue;
		}
		if (n <= 0)
			return;
		neigh6_watch_batch(w, (size_t)n);
	}
}

static void neigh6_watch_free(struct neigh6_watch *w)
{
	if (w->ev)
		event_free(w->ev);
	if (w->sock)
		mnl_socket_close(w->sock);
	free(w);
}

int neigh6_watch_start(struct daemon *d)
{
	struct neigh6_watch *w;
	int r = 0, fd;

	if (!d->subnet.prefix6.len || d->neigh6)
		return 0;
	w = calloc(1, sizeof(*w));
	if (!w)
		return -ENOMEM;
	w->d = d;
	w->sock = mnl_socket_open2(NETLINK_ROUTE, SOCK_NONBLOCK | SOCK_CLOEXEC);
	if (!w->sock || mnl_socket_bind(w->sock, 1u << (RTNLGRP_NEIGH - 1), MNL_SOCKET_AUTOPID) < 0)
		r = -errno;
	if (r == 0) {
		fd = mnl_socket_get_fd(w->sock);
		w->ev = event_new(d->base, fd, EV_READ | EV_PERSIST, neigh6_watch_on_read, w);
		r = w->ev && event_add(w->ev, NULL) == 0 ? neigh6_watch_dump(w) : -ENOMEM;
	}
	if (r < 0) {
		log_warning("neigh6: cannot follow the neighbour table (%s): leases show no IPv6 "
			    "addresses", strerror(-r));
		neigh6_watch_free(w);
		return r;
	}
	d->neigh6 = w;
	return 0;
}

void neigh6_watch_stop(struct daemon *d)
{
	if (d->neigh6)
		neigh6_watch_free(d->neigh6);
	d->neigh6 = NULL;
}

size_t neigh6_watch_lookup(const struct daemon *d, const uint8_t mac[6], uint8_t (*out)[16],
			   size_t max)
{
	return d->neigh6 ? neigh6_lookup(&d->neigh6->table, mac, out, max) : 0;
}

bool neigh6_watch_stable(const struct daemon *d, const uint8_t mac[6], uint8_t out[16])
{
	return d->neigh6 && neigh6_stable(&d->neigh6->table, mac, out);
}

int neigh6_watch_mac_of(const struct daemon *d, const uint8_t addr[16], uint8_t mac[6])
{
	return d->neigh6 ? neigh6_mac_of(&d->neigh6->table, addr, mac) : -ENOENT;
}
