/* The DHCP server's sockets: see dhcp_io.h. */
#include <arpa/inet.h>
#include <errno.h>
#include <linux/filter.h>
#include <linux/if_ether.h>
#include <linux/if_packet.h>
#include <net/if.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "arp_build.h"
#include "boot_clock.h"
#include "byteorder.h"
#include "dhcp_io.h"
#include "log_limit.h"

#define DHCP_IO_RECV 64                 /* datagrams per recvmmsg */
#define DHCP_IO_FRAME 1600              /* a received IPv4 packet, at most */
#define DHCP_IO_REPLY (DHCP_IPUDP_LEN + DHCP_REPLY_MAX)
#define DHCP_IO_ARENA (DHCP_IO_MAX_BATCH * 512)
#define DHCP_IO_SEND 64                 /* datagrams per sendmmsg */
#define DHCP_IO_PROBES 256
/* ARP frames read before a tick, at most: more than a receive buffer
 * holds, and a bound under an ARP flood. */
#define DHCP_IO_ARP_DRAIN 4096
#define DHCP_IO_PARK_LEN 576            /* RFC 2131 2: what every client sends within */
/* Deferred DISCOVERs answered per turn, a turn every DHCP_IO_UNPARK_MS:
 * a relay agent gets the replies to a whole probe wait's worth of
 * DISCOVERs, which at once would overflow its socket (a 200 KB buffer
 * holds about 250). */
#define DHCP_IO_UNPARK_TURN 64
#define DHCP_IO_UNPARK_MS 1
#define DHCP_IO_RCVBUF (4 << 20)
#define DHCP_IO_LOG_MS 10000
#define DHCP_IO_PORTS 64                /* bridge port answers remembered */
#define DHCP_IO_PORT_MS 1000            /* for this long */

struct dhcp_io_out {
	enum dhcp_dest dest;
	uint32_t dst_ip;
	uint16_t dst_port;
	uint8_t dst_mac[6];
	uint8_t type;
	uint8_t *frame;                 /* IPv4 + UDP + payload */
	size_t len;                     /* payload */
};

/* Is this interface a port of the bridge? As last asked. */
struct dhcp_io_port {
	unsigned ifindex;
	bool is_port;
	uint64_t at;
};

struct dhcp_io_parked {
	uint64_t since;
	unsigned port;
	uint32_t dst_ip;
	uint16_t len;
	uint8_t data[DHCP_IO_PARK_LEN];
};

struct dhcp_io {
	struct event_base *base;
	struct dhcp_server *srv;
	struct lease_store *store;
	struct dhcp_io_ops ops;
	void *ctx;
	struct log_sink log;
	unsigned ifindex;
	uint8_t mac[6];
	uint32_t server_ip;

	int pkt_fd, udp_fd, arp_fd;
	struct event *pkt_ev, *arp_ev, *timer;
	uint64_t timer_at;              /* UINT64_MAX: not armed */

	/* One batch. */
	struct mmsghdr rmsg[DHCP_IO_RECV];
	struct iovec riov[DHCP_IO_RECV];
	struct sockaddr_ll rsll[DHCP_IO_RECV];
	uint8_t rcmsg[DHCP_IO_RECV][CMSG_SPACE(sizeof(struct tpacket_auxdata))];
	uint8_t *rbuf;                  /* DHCP_IO_RECV frames */
	struct dhcp_msg msg;
	uint8_t *arena;
	size_t arena_used;
	struct dhcp_io_out out[DHCP_IO_MAX_BATCH];
	size_t n_out;

	uint32_t probes[DHCP_IO_PROBES];
	size_t n_probes;

	struct dhcp_io_port ports[DHCP_IO_PORTS];   /* by ifindex % DHCP_IO_PORTS */

	struct dhcp_io_parked *park;    /* allocated while something waits */
	size_t n_park;

	uint64_t now_ms;
	int64_t now_wall;
	struct log_limit flush_log, send_log;
	struct dhcp_io_stats stats;
	struct dhcp_history history;
};

static void dhcp_io_clock(struct dhcp_io *io)
{
	io->now_ms = boot_clock_ms();
	io->now_wall = time(NULL);
}

/* ------------------------------------------------------------- sockets */

static int dhcp_io_filter(int fd, struct sock_filter *code, unsigned short n)
{
	struct sock_fprog prog = { .len = n, .filter = code };

	return setsockopt(fd, SOL_SOCKET, SO_ATTACH_FILTER, &prog, sizeof(prog)) < 0 ? -errno : 0;
}

static void dhcp_io_rcvbuf(int fd)
{
	int size = DHCP_IO_RCVBUF;

	/* A slow fsync makes bursts queue up: room for them. FORCE needs
	 * CAP_NET_ADMIN; without it the sysctl's maximum applies. */
	if (setsockopt(fd, SOL_SOCKET, SO_RCVBUFFORCE, &size, sizeof(size)) < 0)
		setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &size, sizeof(size));
}

/* Requests, as each bridge port receives them, before the bridge: a
 * socket bound to the bridge itself would not say which port (the kernel
 * names the bridge as the frame's original device too), and the per-port
 * rate limit needs the port, which a guest cannot forge. So the socket
 * hears every interface, and the filter keeps IPv4 frames received (not
 * sent) on an interface other than the bridge, addressed to the bridge's
 * MAC or broadcast, UDP to port 67, not a fragment; dhcp_io_from_port()
 * keeps those of the bridge's ports. The offsets count from the IPv4
 * header (a SOCK_DGRAM packet socket); SKF_LL_OFF reads the Ethernet
 * header. */
static int dhcp_io_open_pkt(struct dhcp_io *io)
{
	uint32_t mac_hi = (uint32_t)io->mac[0] << 24 | (uint32_t)io->mac[1] << 16 |
			  (uint32_t)io->mac[2] << 8 | io->mac[3];
	uint32_t mac_lo = (uint32_t)io->mac[4] << 8 | io->mac[5];
	struct sock_filter code[] = {
		BPF_STMT(BPF_LD | BPF_H | BPF_ABS, SKF_AD_OFF + SKF_AD_PROTOCOL),
		BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, ETH_P_IP, 0, 20),
		BPF_STMT(BPF_LD | BPF_W | BPF_ABS, SKF_AD_OFF + SKF_AD_IFINDEX),
		BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, io->ifindex, 18, 0),
		BPF_STMT(BPF_LD | BPF_B | BPF_ABS, SKF_AD_OFF + SKF_AD_PKTTYPE),
		BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, PACKET_OUTGOING, 16, 0),
		/* Destination MAC: broadcast, or ours. */
		BPF_STMT(BPF_LD | BPF_W | BPF_ABS, (uint32_t)SKF_LL_OFF),
		BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, 0xffffffff, 0, 2),
		BPF_STMT(BPF_LD | BPF_H | BPF_ABS, (uint32_t)SKF_LL_OFF + 4),
		BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, 0xffff, 4, 12),
		BPF_STMT(BPF_LD | BPF_W | BPF_ABS, (uint32_t)SKF_LL_OFF),
		BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, mac_hi, 0, 10),
		BPF_STMT(BPF_LD | BPF_H | BPF_ABS, (uint32_t)SKF_LL_OFF + 4),
		BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, mac_lo, 0, 8),
		BPF_STMT(BPF_LD | BPF_B | BPF_ABS, 9),
		BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, IPPROTO_UDP, 0, 6),
		BPF_STMT(BPF_LD | BPF_H | BPF_ABS, 6),
		BPF_JUMP(BPF_JMP | BPF_JSET | BPF_K, 0x1fff, 4, 0),
		BPF_STMT(BPF_LDX | BPF_B | BPF_MSH, 0),
		BPF_STMT(BPF_LD | BPF_H | BPF_IND, 2),
		BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, DHCP_SERVER_PORT, 0, 1),
		BPF_STMT(BPF_RET | BPF_K, 0xffff),
		BPF_STMT(BPF_RET | BPF_K, 0),
	};
	struct sockaddr_ll sll = {
		.sll_family = AF_PACKET, .sll_protocol = htons(ETH_P_ALL), .sll_ifindex = 0,
	};
	int one = 1;

	/* Protocol 0 until bound: nothing arrives before the filter is on. */
	io->pkt_fd = socket(AF_PACKET, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (io->pkt_fd < 0)
		return -errno;
	if (dhcp_io_filter(io->pkt_fd, code, sizeof(code) / sizeof(code[0])) < 0 ||
	    setsockopt(io->pkt_fd, SOL_PACKET, PACKET_AUXDATA, &one, sizeof(one)) < 0)
		return -errno;
	/* Our own replies need not come back (Linux 4.20 and later). */
	setsockopt(io->pkt_fd, SOL_PACKET, PACKET_IGNORE_OUTGOING, &one, sizeof(one));
	dhcp_io_rcvbuf(io->pkt_fd);
	if (bind(io->pkt_fd, (struct sockaddr *)&sll, sizeof(sll)) < 0)
		return -errno;
	return 0;
}

static int dhcp_io_open_udp(struct dhcp_io *io, const char *ifname)
{
	struct sock_filter none[] = { BPF_STMT(BPF_RET | BPF_K, 0) };
	struct sockaddr_in sin = { .sin_family = AF_INET, .sin_port = htons(DHCP_SERVER_PORT) };
	int one = 1, r;

	io->udp_fd = socket(AF_INET, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (io->udp_fd < 0)
		return -errno;
	if (dhcp_io_filter(io->udp_fd, none, 1) < 0 ||
	    setsockopt(io->udp_fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)) < 0 ||
	    setsockopt(io->udp_fd, SOL_SOCKET, SO_BINDTODEVICE, ifname, (socklen_t)strlen(ifname)) < 0)
		return -errno;
	if (bind(io->udp_fd, (struct sockaddr *)&sin, sizeof(sin)) < 0) {
		r = -errno;
		if (r == -EADDRINUSE)
			log_sink_printf(&io->log, LOG_LEVEL_ERROR, "UDP port %d is taken by another DHCP server listening on "
				    "every interface (dnsmasq, libvirt's, kea?): bind it to its own "
				    "interfaces (e.g. dnsmasq --bind-dynamic) so defnetd can serve %s",
				    DHCP_SERVER_PORT, ifname);
		return r;
	}
	return 0;
}

static int dhcp_io_open_arp(struct dhcp_io *io)
{
	struct sockaddr_ll sll = {
		.sll_family = AF_PACKET, .sll_protocol = htons(ETH_P_ARP),
		.sll_ifindex = (int)io->ifindex,
	};
	int one = 1;

	io->arp_fd = socket(AF_PACKET, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (io->arp_fd < 0)
		return -errno;
	setsockopt(io->arp_fd, SOL_PACKET, PACKET_IGNORE_OUTGOING, &one, sizeof(one));
	if (bind(io->arp_fd, (struct sockaddr *)&sll, sizeof(sll)) < 0)
		return -errno;
	return 0;
}

/* ---------------------------------------------------------------- ARP */

static void dhcp_io_send_probes(struct dhcp_io *io)
{
	struct mmsghdr mm[DHCP_IO_PROBES];
	struct iovec iov[DHCP_IO_PROBES];
	uint8_t pkt[DHCP_IO_PROBES][ARP_LEN];
	struct sockaddr_ll sll = {
		.sll_family = AF_PACKET, .sll_protocol = htons(ETH_P_ARP),
		.sll_ifindex = (int)io->ifindex, .sll_halen = 6,
		.sll_addr = { 0xff, 0xff, 0xff, 0xff, 0xff, 0xff },
	};
	size_t i, done = 0;
	int n;

	for (i = 0; i < io->n_probes; i++) {
		arp_build_probe(pkt[i], io->mac, io->probes[i]);
		iov[i] = (struct iovec){ pkt[i], ARP_LEN };
		mm[i] = (struct mmsghdr){ .msg_hdr = { .msg_name = &sll, .msg_namelen = sizeof(sll),
						       .msg_iov = &iov[i], .msg_iovlen = 1 } };
	}
	while (done < io->n_probes) {
		n = sendmmsg(io->arp_fd, mm + done, (unsigned)(io->n_probes - done), 0);
		if (n <= 0) {
			if (n < 0 && errno == EINTR)
				continue;
			io->stats.send_errors++;
			break;
		}
		done += (size_t)n;
	}
	io->n_probes = 0;
}

void dhcp_io_probe(struct dhcp_io *io, uint32_t ip)
{
	if (!io)
		return;
	if (io->n_probes == DHCP_IO_PROBES)
		dhcp_io_send_probes(io);
	io->probes[io->n_probes++] = ip;
}

/* At most max ARP frames already queued. */
static void dhcp_io_read_arp(struct dhcp_io *io, int max)
{
	uint8_t p[64];
	uint32_t spa;
	ssize_t n;
	int i;

	for (i = 0; i < max; i++) {
		n = recv(io->arp_fd, p, sizeof(p), MSG_DONTWAIT);
		if (n < 0)
			break;
		/* Ethernet/IPv4 ARP only; requests and replies both tell us
		 * that their sender uses its address. */
		if (n < ARP_LEN || memcmp(p, "\x00\x01\x08\x00\x06\x04", 6) != 0)
			continue;
		memcpy(&spa, p + 14, 4);
		dhcp_server_arp(io->srv, ntohl(spa), p + 8, io->now_ms);
	}
}

static void dhcp_io_on_arp(evutil_socket_t fd, short what, void *arg)
{
	struct dhcp_io *io = arg;

	dhcp_io_clock(io);
	dhcp_io_read_arp(io, DHCP_IO_RECV);
}

/* --------------------------------------------------------------- timer */

static void dhcp_io_arm(struct dhcp_io *io)
{
	uint64_t at = dhcp_server_deadline(io->srv), d;
	struct timeval tv;

	if (io->n_park && io->park[0].since + DHCP_IO_PARK_MS < at)
		at = io->park[0].since + DHCP_IO_PARK_MS;
	if (io->n_park && dhcp_server_probed(io->srv) && io->now_ms + DHCP_IO_UNPARK_MS < at)
		at = io->now_ms + DHCP_IO_UNPARK_MS;
	/* Only ever sooner: a steady stream of requests must not keep
	 * putting the timer off. */
	if (at >= io->timer_at && evtimer_pending(io->timer, NULL))
		return;
	io->timer_at = at;
	if (at == UINT64_MAX) {
		evtimer_del(io->timer);
		return;
	}
	d = at > io->now_ms ? at - io->now_ms : 0;
	tv.tv_sec = (time_t)(d / 1000);
	tv.tv_usec = (suseconds_t)(d % 1000) * 1000;
	evtimer_add(io->timer, &tv);
}

/* ------------------------------------------------------------- batches */

static void dhcp_io_park(struct dhcp_io *io, const uint8_t *p, size_t len,
			 const struct dhcp_meta *meta)
{
	struct dhcp_io_parked *k;

	if (!io->park) {
		io->park = malloc(DHCP_IO_PARK_MAX * sizeof(*io->park));
		if (!io->park)
			return;
	}
	if (io->n_park == DHCP_IO_PARK_MAX || len > DHCP_IO_PARK_LEN) {
		io->stats.park_dropped++;
		return;
	}
	k = &io->park[io->n_park++];
	k->since = io->now_ms;
	k->port = meta->port;
	k->dst_ip = meta->dst_ip;
	k->len = (uint16_t)len;
	memcpy(k->data, p, len);
	io->stats.parked++;
}

/* The client's last exchange, for doctor (dhcp_history.h). */
static void dhcp_io_remember(struct dhcp_io *io, const struct dhcp_meta *meta,
			     enum dhcp_outcome oc, const struct dhcp_reply *reply)
{
	const struct dhcp_msg *m = &io->msg;
	struct dhcp_exchange e = {
		.asked = m->type, .port = meta->port, .outcome = oc,
		.asked_ip = m->has_requested_ip ? m->requested_ip : m->hdr.ciaddr,
		.at_ms = meta->now_ms, .at_wall = meta->now_wall,
	};

	memcpy(e.mac, m->hdr.chaddr, 6);
	/* The address offered or acknowledged: the reply's yiaddr (RFC 2131 2). */
	if (reply->len >= DHCP_YIADDR_OFF + 4 &&
	    (reply->type == DHCP_OFFER || reply->type == DHCP_ACK))
		e.answered_ip = be32_get(dhcp_reply_payload(reply) + DHCP_YIADDR_OFF);
	dhcp_history_record(&io->history, &e);
}

/* Runs one DHCP message through the policy; its reply joins the batch. */
static enum dhcp_outcome dhcp_io_handle(struct dhcp_io *io, const uint8_t *p, size_t len, unsigned port,
			   uint32_t dst_ip, bool park)
{
	struct dhcp_meta meta = { io->now_ms, io->now_wall, port, dst_ip };
	struct dhcp_reply reply = { .buf = io->arena + io->arena_used, .size = DHCP_IO_REPLY };
	struct dhcp_io_out *o;
	enum dhcp_outcome oc;
	char ifn[IF_NAMESIZE];
	int r;

	r = dhcp_parse(p, len, &io->msg);
	if (r < 0) {
		io->stats.malformed++;
		log_sink_printf(&io->log, LOG_LEVEL_DEBUG, "dropped a malformed DHCP message (%zu bytes) from port %s: %s",
			    len, if_indextoname(port, ifn) ? ifn : "?", strerror(-r));
		return DHCP_OUTCOME_IGNORE;
	}
	oc = dhcp_server_handle(io->srv, &io->msg, &meta, &reply);
	dhcp_io_remember(io, &meta, oc, &reply);
	if (oc == DHCP_OUTCOME_DEFER && park)
		dhcp_io_park(io, p, len, &meta);
	if (!reply.len)
		return oc;
	o = &io->out[io->n_out++];
	*o = (struct dhcp_io_out){ reply.dest, reply.dst_ip, reply.dst_port, { 0 }, reply.type,
				   reply.buf, reply.len };
	memcpy(o->dst_mac, reply.dst_mac, 6);
	/* Keep the next reply 8-byte aligned. */
	io->arena_used += (DHCP_IPUDP_LEN + reply.len + 7) & ~(size_t)7;
	return oc;
}

/* A checksum the kernel left to an offload that will not happen (the
 * frame came from a local veth or tap): as good as none. */
static void dhcp_io_csum_unset(uint8_t *p, size_t len, const struct msghdr *mh)
{
	struct cmsghdr *c;
	struct tpacket_auxdata aux;
	size_t ihl;

	for (c = CMSG_FIRSTHDR(mh); c; c = CMSG_NXTHDR((struct msghdr *)mh, c)) {
		if (c->cmsg_level != SOL_PACKET || c->cmsg_type != PACKET_AUXDATA)
			continue;
		memcpy(&aux, CMSG_DATA(c), sizeof(aux));
		if (!(aux.tp_status & TP_STATUS_CSUMNOTREADY) || len < 1)
			return;
		ihl = (size_t)(p[0] & 0x0f) * 4;
		if (len >= ihl + 8) {
			p[ihl + 6] = 0;
			p[ihl + 7] = 0;
		}
		return;
	}
}

/* Did a frame that came in on ifindex come from a port of the bridge?
 * (From an uplink: never served.) Asked of the daemon at most once per
 * DHCP_IO_PORT_MS per interface. */
static bool dhcp_io_from_port(struct dhcp_io *io, unsigned ifindex)
{
	struct dhcp_io_port *p = &io->ports[ifindex % DHCP_IO_PORTS];

	if (p->ifindex != ifindex || io->now_ms - p->at >= DHCP_IO_PORT_MS) {
		p->ifindex = ifindex;
		p->is_port = io->ops.is_port && io->ops.is_port(io->ctx, ifindex);
		p->at = io->now_ms;
	}
	return p->is_port;
}

static void dhcp_io_input(struct dhcp_io *io, unsigned i)
{
	struct mmsghdr *m = &io->rmsg[i];
	uint8_t *p = io->rbuf + (size_t)i * DHCP_IO_FRAME;
	size_t len = m->msg_len;
	struct dhcp_udp udp;
	int r;

	io->stats.received++;
	if (io->rsll[i].sll_pkttype == PACKET_OUTGOING ||
	    !dhcp_io_from_port(io, (unsigned)io->rsll[i].sll_ifindex))
		return;
	dhcp_io_csum_unset(p, len, &m->msg_hdr);
	r = dhcp_udp_decap(p, len, &udp);
	if (r < 0 || udp.dport != DHCP_SERVER_PORT) {
		io->stats.malformed++;
		log_sink_printf(&io->log, LOG_LEVEL_DEBUG, "dropped a malformed IPv4/UDP packet (%zu bytes): %s", len,
			    strerror(r < 0 ? -r : EINVAL));
		return;
	}
	/* The address names the bridge port it came in on. */
	dhcp_io_handle(io, udp.payload, udp.payload_len, (unsigned)io->rsll[i].sll_ifindex,
		       udp.dst_ip, true);
}

static int dhcp_io_recv(struct dhcp_io *io)
{
	unsigned i;
	int n;

	for (i = 0; i < DHCP_IO_RECV; i++) {
		io->riov[i] = (struct iovec){ io->rbuf + (size_t)i * DHCP_IO_FRAME, DHCP_IO_FRAME };
		io->rmsg[i].msg_hdr = (struct msghdr){
			.msg_name = &io->rsll[i], .msg_namelen = sizeof(io->rsll[i]),
			.msg_iov = &io->riov[i], .msg_iovlen = 1,
			.msg_control = io->rcmsg[i], .msg_controllen = sizeof(io->rcmsg[i]),
		};
	}
	do
		n = recvmmsg(io->pkt_fd, io->rmsg, DHCP_IO_RECV, MSG_DONTWAIT, NULL);
	while (n < 0 && errno == EINTR);
	return n;
}

/* Room for a whole recvmmsg worth of the largest replies? */
static bool dhcp_io_room(const struct dhcp_io *io)
{
	return io->n_out + DHCP_IO_RECV <= DHCP_IO_MAX_BATCH &&
	       io->arena_used + (size_t)DHCP_IO_RECV * DHCP_IO_REPLY <= DHCP_IO_ARENA;
}

static void dhcp_io_sendv(struct dhcp_io *io, int fd, struct mmsghdr *mm, size_t n)
{
	size_t done = 0;
	int r;

	while (done < n) {
		r = sendmmsg(fd, mm + done, (unsigned)(n - done), 0);
		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0) {
			/* Skip the datagram that failed; the client will ask again. */
			io->stats.send_errors++;
			if (log_limit_due(&io->send_log, io->now_ms, DHCP_IO_LOG_MS, NULL))
				log_sink_printf(&io->log, LOG_LEVEL_WARNING, "cannot send a DHCP reply: %s", strerror(errno));
			done++;
			continue;
		}
		done += (size_t)r;
		io->stats.sent += (uint64_t)r;
	}
}

/* Fills one sendmmsg entry for reply o. */
static void dhcp_io_prepare(struct dhcp_io *io, struct dhcp_io_out *o, struct mmsghdr *mm,
			    struct iovec *iov, struct sockaddr_ll *sll, struct sockaddr_in *sin)
{
	if (o->dest == DHCP_DEST_RELAY) {
		*sin = (struct sockaddr_in){ .sin_family = AF_INET, .sin_port = htons(o->dst_port),
					     .sin_addr = { htonl(o->dst_ip) } };
		*iov = (struct iovec){ o->frame + DHCP_IPUDP_LEN, o->len };
		*mm = (struct mmsghdr){ .msg_hdr = { .msg_name = sin, .msg_namelen = sizeof(*sin),
						     .msg_iov = iov, .msg_iovlen = 1 } };
		return;
	}
	dhcp_udp_encap(o->frame, DHCP_IPUDP_LEN + o->len, io->server_ip, o->dst_ip,
		       DHCP_SERVER_PORT, o->dst_port, o->frame + DHCP_IPUDP_LEN, o->len);
	*sll = (struct sockaddr_ll){ .sll_family = AF_PACKET, .sll_protocol = htons(ETH_P_IP),
				     .sll_ifindex = (int)io->ifindex, .sll_halen = 6 };
	if (o->dest == DHCP_DEST_BROADCAST)
		memset(sll->sll_addr, 0xff, 6);
	else
		memcpy(sll->sll_addr, o->dst_mac, 6);
	*iov = (struct iovec){ o->frame, DHCP_IPUDP_LEN + o->len };
	*mm = (struct mmsghdr){ .msg_hdr = { .msg_name = sll, .msg_namelen = sizeof(*sll),
					     .msg_iov = iov, .msg_iovlen = 1 } };
}

/* Sends the batch's replies: packet socket for clients, UDP for relays.
 * acks: send the ACKs (after the flush) or everything else (before it: an
 * OFFER or a NAK promises nothing, so it need not wait for the disk). */
static void dhcp_io_send(struct dhcp_io *io, bool acks)
{
	struct mmsghdr mm[2][DHCP_IO_SEND];
	struct iovec iov[2][DHCP_IO_SEND];
	struct sockaddr_ll sll[DHCP_IO_SEND];
	struct sockaddr_in sin[DHCP_IO_SEND];
	size_t i, n[2] = { 0, 0 };
	int k;

	for (i = 0; i < io->n_out; i++) {
		struct dhcp_io_out *o = &io->out[i];

		if ((o->type == DHCP_ACK) != acks)
			continue;
		k = o->dest == DHCP_DEST_RELAY;
		dhcp_io_prepare(io, o, &mm[k][n[k]], &iov[k][n[k]], &sll[n[k]], &sin[n[k]]);
		n[k]++;
		if (n[k] == DHCP_IO_SEND) {
			dhcp_io_sendv(io, k ? io->udp_fd : io->pkt_fd, mm[k], n[k]);
			n[k] = 0;
		}
	}
	dhcp_io_sendv(io, io->pkt_fd, mm[0], n[0]);
	dhcp_io_sendv(io, io->udp_fd, mm[1], n[1]);
}

/* The end of a batch: durable first, then the replies and probes. */
static void dhcp_io_finish(struct dhcp_io *io)
{
	bool failed = false;
	int r;

	dhcp_io_send(io, false);
	if (lease_store_pending(io->store)) {
		io->stats.flushes++;
		r = lease_store_flush(io->store);
		if (r < 0) {
			failed = true;
			io->stats.flush_errors++;
			if (log_limit_due(&io->flush_log, io->now_ms, DHCP_IO_LOG_MS, NULL))
				log_sink_printf(&io->log, LOG_LEVEL_ERROR, "cannot write the lease file: %s; ACKs held back "
					    "until it works again", strerror(-r));
		}
	}
	if (io->ops.before_acks)
		io->ops.before_acks(io->ctx);
	if (!failed)
		dhcp_io_send(io, true);
	io->n_out = 0;
	io->arena_used = 0;
	if (io->n_probes)
		dhcp_io_send_probes(io);
	dhcp_io_arm(io);
}

static void dhcp_io_on_pkt(evutil_socket_t fd, short what, void *arg)
{
	struct dhcp_io *io = arg;
	uint64_t total = 0;
	int n, i;

	dhcp_io_clock(io);
	if (io->ops.mtu)
		dhcp_server_set_mtu(io->srv, io->ops.mtu(io->ctx));
	while (dhcp_io_room(io)) {
		n = dhcp_io_recv(io);
		if (n <= 0)
			break;
		for (i = 0; i < n; i++)
			dhcp_io_input(io, (unsigned)i);
		total += (uint64_t)n;
		if (n < DHCP_IO_RECV)
			break;
	}
	io->stats.batches++;
	if (total > io->stats.max_batch)
		io->stats.max_batch = total;
	dhcp_io_finish(io);
}

/* Deferred DISCOVERs again, as many as probes have freed addresses
 * (oldest first) and a turn allows; the too old go. */
static void dhcp_io_unpark(struct dhcp_io *io)
{
	size_t i, kept = 0, budget = dhcp_server_probed(io->srv);

	if (budget > DHCP_IO_UNPARK_TURN)
		budget = DHCP_IO_UNPARK_TURN;

	for (i = 0; i < io->n_park; i++) {
		struct dhcp_io_parked *k = &io->park[i];

		if (k->since + DHCP_IO_PARK_MS <= io->now_ms) {
			io->stats.park_dropped++;
			continue;
		}
		/* No address for it yet, no room in this batch, or deferred
		 * again: it waits. */
		if (!budget || !dhcp_io_room(io)) {
			io->park[kept++] = *k;
			continue;
		}
		budget--;
		if (dhcp_io_handle(io, k->data, k->len, k->port, k->dst_ip, false) ==
		    DHCP_OUTCOME_DEFER)
			io->park[kept++] = *k;
	}
	io->n_park = kept;
	if (!kept) {
		/* Hand the memory back: a burst should not stay in RSS. */
		free(io->park);
		io->park = NULL;
	}
}

static void dhcp_io_on_timer(evutil_socket_t fd, short what, void *arg)
{
	struct dhcp_io *io = arg;

	dhcp_io_clock(io);
	io->timer_at = UINT64_MAX;
	/* Answers to probes that are already here count before a probe's
	 * wait ends, however late the loop came round to them. */
	dhcp_io_read_arp(io, DHCP_IO_ARP_DRAIN);
	dhcp_server_tick(io->srv, io->now_ms);
	if (io->n_park)
		dhcp_io_unpark(io);
	dhcp_io_finish(io);
}

/* ----------------------------------------------------------- lifecycle */

void dhcp_io_kick(struct dhcp_io *io)
{
	if (!io)
		return;
	dhcp_io_clock(io);
	io->timer_at = UINT64_MAX;
	dhcp_io_finish(io);
}

void dhcp_io_set_server_ip(struct dhcp_io *io, uint32_t server_ip)
{
	if (io)
		io->server_ip = server_ip;
}

void dhcp_io_stats(const struct dhcp_io *io, struct dhcp_io_stats *st)
{
	if (io && st)
		*st = io->stats;
}

const struct dhcp_exchange *dhcp_io_last_exchange(const struct dhcp_io *io, const uint8_t mac[6])
{
	return io ? dhcp_history_find(&io->history, mac) : NULL;
}

static int dhcp_io_events(struct dhcp_io *io)
{
	io->pkt_ev = event_new(io->base, io->pkt_fd, EV_READ | EV_PERSIST, dhcp_io_on_pkt, io);
	io->arp_ev = event_new(io->base, io->arp_fd, EV_READ | EV_PERSIST, dhcp_io_on_arp, io);
	io->timer = evtimer_new(io->base, dhcp_io_on_timer, io);
	if (!io->pkt_ev || !io->arp_ev || !io->timer || event_add(io->pkt_ev, NULL) < 0 ||
	    event_add(io->arp_ev, NULL) < 0)
		return -ENOMEM;
	return 0;
}

int dhcp_io_start(struct dhcp_io **out, struct event_base *base, struct dhcp_server *srv,
		  struct lease_store *store, const struct dhcp_io_config *cfg,
		  const struct dhcp_io_ops *ops, void *ctx)
{
	struct dhcp_io *io;
	int r;

	if (!out || !base || !srv || !store || !cfg || !cfg->ifname)
		return -EINVAL;
	io = calloc(1, sizeof(*io));
	if (!io)
		return -ENOMEM;
	io->pkt_fd = io->udp_fd = io->arp_fd = -1;
	io->base = base;
	io->srv = srv;
	io->store = store;
	if (ops)
		io->ops = *ops;
	io->ctx = ctx;
	io->log = cfg->log;
	io->ifindex = cfg->ifindex;
	memcpy(io->mac, cfg->mac, 6);
	io->server_ip = cfg->server_ip;
	io->timer_at = UINT64_MAX;
	io->rbuf = malloc((size_t)DHCP_IO_RECV * DHCP_IO_FRAME);
	io->arena = malloc(DHCP_IO_ARENA);
	r = -ENOMEM;
	if (!io->rbuf || !io->arena)
		goto fail;
	if ((r = dhcp_io_open_udp(io, cfg->ifname)) < 0 ||
	    (r = dhcp_io_open_pkt(io)) < 0 ||
	    (r = dhcp_io_open_arp(io)) < 0 ||
	    (r = dhcp_io_events(io)) < 0)
		goto fail;
	/* The start-up probes go out now, not after the rest of the start;
	 * ops.probe reaches this io through *out. */
	*out = io;
	dhcp_io_clock(io);
	dhcp_server_tick(io->srv, io->now_ms);
	dhcp_io_finish(io);
	return 0;
fail:
	dhcp_io_stop(io);
	return r;
}

void dhcp_io_stop(struct dhcp_io *io)
{
	if (!io)
		return;
	if (io->pkt_ev)
		event_free(io->pkt_ev);
	if (io->arp_ev)
		event_free(io->arp_ev);
	if (io->timer)
		event_free(io->timer);
	if (io->store && lease_store_pending(io->store))
		lease_store_flush(io->store);
	if (io->pkt_fd >= 0)
		close(io->pkt_fd);
	if (io->udp_fd >= 0)
		close(io->udp_fd);
	if (io->arp_fd >= 0)
		close(io->arp_fd);
	free(io->rbuf);
	free(io->arena);
	free(io->park);
	free(io);
}
