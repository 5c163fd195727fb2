/* mDNS responses per bridge port: see mdns_ports.h. */
#include <arpa/inet.h>
#include <errno.h>
#include <linux/filter.h>
#include <linux/if_ether.h>
#include <linux/if_packet.h>
#include <netinet/in.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "boot_clock.h"
#include "byteorder.h"
#include "mdns_ports.h"

#define MDNS_PORTS_BATCH 32
#define MDNS_PORTS_MAX 9000      /* RFC 6762 17: jumbo frames at most */
#define MDNS_UDP_HDR 8

struct mdns_ports {
	int fd;
	unsigned bridge;
	struct event *ev;
	struct log_sink log;
	mdns_ports_fn fn;
	void *ctx;
	uint8_t buf[MDNS_PORTS_MAX];
};

/* One frame: 1 handled, 0 none left, -errno. */
static int mdns_ports_recv_one(struct mdns_ports *p)
{
	struct sockaddr_ll from;
	socklen_t flen = sizeof(from);
	struct mdns_meta m = { .ttl = -1 };
	const uint8_t *dns;
	size_t dns_len;
	ssize_t n;

	n = recvfrom(p->fd, p->buf, sizeof(p->buf), MSG_DONTWAIT | MSG_TRUNC,
		     (struct sockaddr *)&from, &flen);
	if (n < 0)
		return errno == EAGAIN || errno == EWOULDBLOCK ? 0 : -errno;
	if ((size_t)n > sizeof(p->buf) || from.sll_ifindex <= 0 ||
	    mdns_port_packet(p->buf, (size_t)n, &m, &dns, &dns_len) < 0)
		return 1;
	m.port = (unsigned)from.sll_ifindex;
	m.ifindex = p->bridge;
	m.now_ms = boot_clock_ms();
	p->fn(p->ctx, dns, dns_len, &m);
	return 1;
}

static void mdns_ports_on_read(evutil_socket_t fd, short what, void *arg)
{
	struct mdns_ports *p = arg;
	int r = 1;

	for (unsigned i = 0; i < MDNS_PORTS_BATCH && r == 1; i++)
		r = mdns_ports_recv_one(p);
	if (r < 0)
		log_sink_printf(&p->log, LOG_LEVEL_WARNING, "mdns: receive on the bridge ports: %s",
				strerror(-r));
}

/* IPv4 received (not sent) on an interface other than the bridge, UDP,
 * not a fragment, 5353 to 5353, the DNS QR bit set. The offsets count
 * from the IPv4 header (a SOCK_DGRAM packet socket). */
static int mdns_ports_filter(int fd, unsigned bridge)
{
	struct sock_filter code[] = {
		BPF_STMT(BPF_LD | BPF_H | BPF_ABS, SKF_AD_OFF + SKF_AD_PROTOCOL),
		BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, ETH_P_IP, 0, 14),
		BPF_STMT(BPF_LD | BPF_W | BPF_ABS, SKF_AD_OFF + SKF_AD_IFINDEX),
		BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, bridge, 12, 0),
		BPF_STMT(BPF_LD | BPF_B | BPF_ABS, SKF_AD_OFF + SKF_AD_PKTTYPE),
		BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, PACKET_OUTGOING, 10, 0),
		BPF_STMT(BPF_LD | BPF_B | BPF_ABS, 9),
		BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, IPPROTO_UDP, 0, 8),
		BPF_STMT(BPF_LD | BPF_H | BPF_ABS, 6),
		BPF_JUMP(BPF_JMP | BPF_JSET | BPF_K, 0x1fff, 6, 0),
		BPF_STMT(BPF_LDX | BPF_B | BPF_MSH, 0),
		BPF_STMT(BPF_LD | BPF_W | BPF_IND, 0),
		BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, (uint32_t)MDNS_PORT << 16 | MDNS_PORT, 0, 3),
		BPF_STMT(BPF_LD | BPF_B | BPF_IND, MDNS_UDP_HDR + 2),
		BPF_JUMP(BPF_JMP | BPF_JSET | BPF_K, 0x80, 0, 1),
		BPF_STMT(BPF_RET | BPF_K, 0xffff),
		BPF_STMT(BPF_RET | BPF_K, 0),
	};
	struct sock_fprog prog = { .len = sizeof(code) / sizeof(code[0]), .filter = code };

	return setsockopt(fd, SOL_SOCKET, SO_ATTACH_FILTER, &prog, sizeof(prog)) < 0 ? -errno : 0;
}

static int mdns_ports_socket(struct mdns_ports *p)
{
	/* ETH_P_ALL: a port's frames go to the bridge before any handler
	 * of one protocol sees them; only the taps of all see the port. */
	struct sockaddr_ll sll = { .sll_family = AF_PACKET, .sll_protocol = htons(ETH_P_ALL) };
	int r;

	/* Protocol 0 until bound: nothing arrives before the filter is on. */
	p->fd = socket(AF_PACKET, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (p->fd < 0)
		return -errno;
	r = mdns_ports_filter(p->fd, p->bridge);
	if (r == 0 && bind(p->fd, (struct sockaddr *)&sll, sizeof(sll)) < 0)
		r = -errno;
	return r;
}

int mdns_ports_open(struct event_base *base, unsigned bridge, struct log_sink log,
		    mdns_ports_fn fn, void *ctx, struct mdns_ports **out)
{
	struct mdns_ports *p;
	int r;

	if (!base || !bridge || !fn || !out)
		return -EINVAL;
	p = calloc(1, sizeof(*p));
	if (!p)
		return -ENOMEM;
	*p = (struct mdns_ports){ .fd = -1, .bridge = bridge, .log = log, .fn = fn, .ctx = ctx };
	r = mdns_ports_socket(p);
	if (r == 0) {
		p->ev = event_new(base, p->fd, EV_READ | EV_PERSIST, mdns_ports_on_read, p);
		r = !p->ev || event_add(p->ev, NULL) < 0 ? -ENOMEM : 0;
	}
	if (r < 0) {
		mdns_ports_close(p);
		return r;
	}
	*out = p;
	return 0;
}

void mdns_ports_close(struct mdns_ports *p)
{
	if (!p)
		return;
	if (p->ev)
		event_free(p->ev);
	if (p->fd >= 0)
		close(p->fd);
	free(p);
}
