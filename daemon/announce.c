/* Thin I/O for gratuitous ARP: see announce.h. */
#include <errno.h>
#include <linux/if_ether.h>
#include <linux/if_packet.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "announce.h"
#include "arp_build.h"
#include "log.h"

struct announce {
	struct event *timer;
	/* Protocol 0: the socket sends only, nothing is queued to it. It stays
	 * open: closing a packet socket waits for an RCU grace period in the
	 * kernel (synchronize_net() in packet_release, 10-20 ms here), which
	 * would stall the loop at every round, the start among them. */
	int fd;
	unsigned ifindex;
	uint8_t mac[6];
	uint32_t ips[ANNOUNCE_MAX_ADDRS];
	size_t n_ips;
	unsigned left;           /* rounds still to send */
	uint64_t sent;
	bool warned;             /* a send failure was logged */
};

static void announce_round(struct announce *a)
{
	struct sockaddr_ll sll = {
		.sll_family = AF_PACKET, .sll_protocol = htons(ETH_P_ARP),
		.sll_ifindex = (int)a->ifindex, .sll_halen = 6,
		.sll_addr = { 0xff, 0xff, 0xff, 0xff, 0xff, 0xff },
	};
	uint8_t pkt[ARP_LEN];
	bool sent = false;

	a->left--;
	if (a->fd < 0)
		a->fd = socket(AF_PACKET, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	for (size_t i = 0; a->fd >= 0 && i < a->n_ips; i++) {
		arp_build_announce(pkt, a->mac, a->ips[i]);
		if (sendto(a->fd, pkt, sizeof(pkt), 0, (struct sockaddr *)&sll, sizeof(sll)) < 0)
			break;
		a->sent++;
		sent = true;
	}
	if (!sent && !a->warned) {
		log_warning("cannot send gratuitous ARP: %s", strerror(errno));
		a->warned = true;
	}
}

static void announce_arm(struct announce *a)
{
	struct timeval tv = { .tv_sec = ARP_ANNOUNCE_INTERVAL_MS / 1000,
			      .tv_usec = (ARP_ANNOUNCE_INTERVAL_MS % 1000) * 1000 };

	if (a->left && evtimer_add(a->timer, &tv) < 0)
		log_warning("cannot schedule the next gratuitous ARP");
}

static void announce_on_timer(evutil_socket_t fd, short what, void *arg)
{
	struct announce *a = arg;

	announce_round(a);
	announce_arm(a);
}

int announce_open(struct event_base *base, struct announce **out)
{
	struct announce *a = calloc(1, sizeof(*a));

	if (!a)
		return -ENOMEM;
	a->timer = evtimer_new(base, announce_on_timer, a);
	if (!a->timer) {
		free(a);
		return -ENOMEM;
	}
	a->fd = -1;
	*out = a;
	return 0;
}

void announce_close(struct announce *a)
{
	if (!a)
		return;
	event_free(a->timer);
	if (a->fd >= 0)
		close(a->fd);
	free(a);
}

void announce_gateway(struct announce *a, unsigned ifindex, const uint8_t mac[6],
		      const uint32_t *ips, size_t n)
{
	if (!a || n == 0)
		return;
	if (n > ANNOUNCE_MAX_ADDRS)
		n = ANNOUNCE_MAX_ADDRS;
	evtimer_del(a->timer);
	a->ifindex = ifindex;
	memcpy(a->mac, mac, 6);
	memcpy(a->ips, ips, n * sizeof(*ips));
	a->n_ips = n;
	a->left = ARP_ANNOUNCE_NUM;
	announce_round(a);
	announce_arm(a);
}
