/* The mDNS responder's socket and timers: moves bytes between the bridge
 * and mdns_responder.c. */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "boot_clock.h"
#include "mdns_ports.h"
#include "mdns_service.h"

#define MDNS_RECV_BATCH 32       /* packets read per wake-up */
/* Room for a flood while its source's share drops it cheaply
 * (mdns_responder.h): with the default buffer, a scheduling gap of a
 * millisecond or two lets the kernel drop everyone's queries alike. */
#define MDNS_RCVBUF (1 << 20)
#define MDNS_DUE_BATCH 256       /* unsolicited packets sent per timer tick */
#define MDNS_STOP_BATCH 1024     /* goodbye packets sent on stop */
#define MDNS_RECV_MAX 9000       /* RFC 6762 17: jumbo frames at most */
#define MDNS_ERR_LOG_GAP_MS 60000

struct mdns_service {
	struct mdns_service_opts o;
	struct mdns_responder *resp;
	struct mdns_ports *ports;
	int fd;
	int fd6;                        /* -1: no IPv6 */
	struct event *read_ev, *read_ev6, *timer_ev;
	uint64_t last_err_log_ms;
	bool err_logged;
	uint64_t n_host_copies;         /* copies sent to the host's resolver */
	bool host_copy_err_logged;
	struct mdns_out out;
	uint8_t in[MDNS_RECV_MAX];
	uint8_t due[MDNS_PKT_MAX];
};

/* A full socket buffer or a link going down: the peers ask again. */
static void mdns_send_failed(struct mdns_service *s)
{
	int err = errno;
	uint64_t now = boot_clock_ms();

	if (s->err_logged && s->last_err_log_ms + MDNS_ERR_LOG_GAP_MS > now)
		return;
	s->err_logged = true;
	s->last_err_log_ms = now;
	log_sink_printf(&s->o.log, LOG_LEVEL_WARNING, "mdns: cannot send on %s: %s", s->o.ifname,
			strerror(err));
}

static void mdns_send(struct mdns_service *s, const uint8_t *buf, size_t len, uint32_t addr,
		      uint16_t port)
{
	struct sockaddr_in to = {
		.sin_family = AF_INET,
		.sin_port = htons(port),
		.sin_addr.s_addr = htonl(addr),
	};
	union {
		struct cmsghdr align;
		uint8_t buf[CMSG_SPACE(sizeof(struct in_pktinfo))];
	} control = { 0 };
	struct iovec iov = { (void *)buf, len };
	struct msghdr msg = {
		.msg_name = &to, .msg_namelen = sizeof(to),
		.msg_iov = &iov, .msg_iovlen = 1,
		.msg_control = control.buf, .msg_controllen = sizeof(control.buf),
	};
	struct cmsghdr *c = CMSG_FIRSTHDR(&msg);
	struct in_pktinfo pi = { .ipi_spec_dst.s_addr = htonl(s->o.gateway) };

	/* The source is always the gateway: a reply to the host itself would
	 * otherwise take whichever address the kernel likes for a local
	 * destination, and queriers ignore answers from off the link. */
	c->cmsg_level = IPPROTO_IP;
	c->cmsg_type = IP_PKTINFO;
	c->cmsg_len = CMSG_LEN(sizeof(pi));
	memcpy(CMSG_DATA(c), &pi, sizeof(pi));
	if (sendmsg(s->fd, &msg, 0) < 0)
		mdns_send_failed(s);
}

/* The kernel picks the bridge's link-local source, which is what peers
 * expect on the link (RFC 6762 11); the scope is the bridge for both the
 * group and a link-local querier. */
static void mdns_send6(struct mdns_service *s, const uint8_t *buf, size_t len,
		       const uint8_t addr[16], uint16_t port)
{
	struct sockaddr_in6 to = {
		.sin6_family = AF_INET6,
		.sin6_port = htons(port),
		.sin6_scope_id = s->o.ifindex,
	};

	if (s->fd6 < 0)
		return;
	memcpy(to.sin6_addr.s6_addr, addr, 16);
	if (sendto(s->fd6, buf, len, 0, (struct sockaddr *)&to, sizeof(to)) < 0)
		mdns_send_failed(s);
}

static void mdns_send_group6(struct mdns_service *s, const uint8_t *buf, size_t len)
{
	static const uint8_t group6[16] = MDNS_GROUP6;

	mdns_send6(s, buf, len, group6, MDNS_PORT);
}

static int mdns_host_copy_socket(const struct mdns_service *s, uint32_t src)
{
	struct sockaddr_in from = {
		.sin_family = AF_INET,
		.sin_port = htons(MDNS_PORT),
		.sin_addr.s_addr = htonl(src),
	};
	struct ip_mreqn mif = { .imr_ifindex = (int)s->o.ifindex };
	int one = 1, zero = 0;
	int fd = socket(AF_INET, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);

	if (fd < 0)
		return -errno;
	/* IP_TRANSPARENT lets it bind to the guest's address; no packet for
	 * that address is ever delivered to the host, so it receives nothing. */
	if (setsockopt(fd, SOL_IP, IP_TRANSPARENT, &one, sizeof(one)) < 0 ||
	    setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)) < 0 ||
	    setsockopt(fd, IPPROTO_IP, IP_MULTICAST_IF, &mif, sizeof(mif)) < 0 ||
	    setsockopt(fd, IPPROTO_IP, IP_MULTICAST_TTL, &zero, sizeof(zero)) < 0 ||
	    setsockopt(fd, IPPROTO_IP, IP_MULTICAST_LOOP, &one, sizeof(one)) < 0 ||
	    bind(fd, (struct sockaddr *)&from, sizeof(from)) < 0) {
		int r = -errno;

		close(fd);
		return r;
	}
	return fd;
}

/* The copy for the host's own resolver: see mdns_responder_host_copy_source().
 * One short-lived socket per copy, since its source address is a guest's. */
static void mdns_send_host_copy(struct mdns_service *s, const uint8_t *buf, size_t len)
{
	struct sockaddr_in to = {
		.sin_family = AF_INET,
		.sin_port = htons(MDNS_PORT),
		.sin_addr.s_addr = htonl(MDNS_GROUP),
	};
	uint32_t src = mdns_responder_host_copy_source(s->resp, buf, len);
	int fd, r = 0;

	if (!src)
		return;
	fd = mdns_host_copy_socket(s, src);
	if (fd < 0)
		r = fd;
	else if (sendto(fd, buf, len, 0, (struct sockaddr *)&to, sizeof(to)) < 0)
		r = -errno;
	if (fd >= 0)
		close(fd);
	s->n_host_copies += r == 0;
	if (r < 0 && !s->host_copy_err_logged) {
		s->host_copy_err_logged = true;
		log_sink_printf(&s->o.log, LOG_LEVEL_WARNING, "mdns: cannot send the host's resolver "
				"its copy of an answer (%s): systemd-resolved will not resolve the "
				"guests' .local names", strerror(-r));
	}
}

static void mdns_schedule(struct mdns_service *s)
{
	uint64_t when, now = boot_clock_ms();
	struct timeval tv = { 0 };

	if (!mdns_responder_next(s->resp, &when)) {
		evtimer_del(s->timer_ev);
		return;
	}
	if (when > now) {
		tv.tv_sec = (time_t)((when - now) / 1000);
		tv.tv_usec = (suseconds_t)((when - now) % 1000 * 1000);
	}
	evtimer_add(s->timer_ev, &tv);
}

/* Sends what is due, at most max packets. */
static void mdns_flush(struct mdns_service *s, unsigned max)
{
	uint64_t now = boot_clock_ms();
	int n;

	for (unsigned i = 0; i < max; i++) {
		n = mdns_responder_due(s->resp, now, s->due, sizeof(s->due));
		if (n <= 0) {
			if (n < 0)
				log_sink_printf(&s->o.log, LOG_LEVEL_WARNING, "mdns: cannot build an announcement: %s",
					     strerror(-n));
			return;
		}
		mdns_send(s, s->due, (size_t)n, MDNS_GROUP, MDNS_PORT);
		mdns_send_group6(s, s->due, (size_t)n);
		mdns_send_host_copy(s, s->due, (size_t)n);
	}
}

static void mdns_on_timer(evutil_socket_t fd, short what, void *arg)
{
	struct mdns_service *s = arg;

	mdns_flush(s, MDNS_DUE_BATCH);
	mdns_schedule(s);
}

/* IPV6_PKTINFO, IPV6_HOPLIMIT. */
static void mdns_read_cmsg6(struct cmsghdr *c, struct mdns_meta *m)
{
	if (c->cmsg_type == IPV6_PKTINFO) {
		struct in6_pktinfo pi;

		memcpy(&pi, CMSG_DATA(c), sizeof(pi));
		m->ifindex = pi.ipi6_ifindex;
		memcpy(m->dst6, pi.ipi6_addr.s6_addr, 16);
	} else if (c->cmsg_type == IPV6_HOPLIMIT) {
		int hops;

		memcpy(&hops, CMSG_DATA(c), sizeof(hops));
		m->ttl = hops;
	}
}

/* Reads the arrival interface, destination and TTL (IP_PKTINFO,
 * IP_RECVTTL, or their IPv6 kin). */
static void mdns_read_cmsg(struct msghdr *msg, struct mdns_meta *m)
{
	for (struct cmsghdr *c = CMSG_FIRSTHDR(msg); c; c = CMSG_NXTHDR(msg, c)) {
		if (c->cmsg_level == IPPROTO_IPV6)
			mdns_read_cmsg6(c, m);
		if (c->cmsg_level != IPPROTO_IP)
			continue;
		if (c->cmsg_type == IP_PKTINFO) {
			struct in_pktinfo pi;

			memcpy(&pi, CMSG_DATA(c), sizeof(pi));
			m->ifindex = (unsigned)pi.ipi_ifindex;
			m->dst = ntohl(pi.ipi_addr.s_addr);
		} else if (c->cmsg_type == IP_TTL) {
			int ttl;

			memcpy(&ttl, CMSG_DATA(c), sizeof(ttl));
			m->ttl = ttl;
		}
	}
}

/* The sender's address and port; false for a family not the socket's. */
static bool mdns_read_from(const struct sockaddr_storage *from, bool v6, struct mdns_meta *m)
{
	const struct sockaddr_in6 *f6 = (const struct sockaddr_in6 *)from;
	const struct sockaddr_in *f4 = (const struct sockaddr_in *)from;

	m->v6 = v6;
	if (v6 && from->ss_family == AF_INET6) {
		memcpy(m->src6, f6->sin6_addr.s6_addr, 16);
		m->sport = ntohs(f6->sin6_port);
		return true;
	}
	if (v6 || from->ss_family != AF_INET)
		return false;
	m->src = ntohl(f4->sin_addr.s_addr);
	m->sport = ntohs(f4->sin_port);
	return true;
}

/* Where the answers to a query go: the group of the family it came on,
 * and the querier. */
static void mdns_answer(struct mdns_service *s, const struct mdns_meta *m)
{
	if (m->v6) {
		if (s->out.mcast_len)
			mdns_send_group6(s, s->out.mcast, s->out.mcast_len);
		if (s->out.ucast_len)
			mdns_send6(s, s->out.ucast, s->out.ucast_len, m->src6, m->sport);
		return;
	}
	if (s->out.mcast_len)
		mdns_send(s, s->out.mcast, s->out.mcast_len, MDNS_GROUP, MDNS_PORT);
	if (s->out.ucast_len)
		mdns_send(s, s->out.ucast, s->out.ucast_len, m->src, m->sport);
	/* The host asked (its resolver's queries leave from the gateway). */
	if (m->src == s->o.gateway && m->sport == MDNS_PORT)
		mdns_send_host_copy(s, s->out.mcast_len ? s->out.mcast : s->out.ucast,
				    s->out.mcast_len ? s->out.mcast_len : s->out.ucast_len);
}

/* One datagram: 1 handled, 0 none left, -errno. */
static int mdns_recv_one(struct mdns_service *s, bool v6)
{
	union {
		struct cmsghdr align;
		uint8_t buf[CMSG_SPACE(sizeof(struct in6_pktinfo)) + CMSG_SPACE(sizeof(int))];
	} control;
	struct sockaddr_storage from;
	struct iovec iov = { s->in, sizeof(s->in) };
	struct msghdr msg = {
		.msg_name = &from, .msg_namelen = sizeof(from),
		.msg_iov = &iov, .msg_iovlen = 1,
		.msg_control = control.buf, .msg_controllen = sizeof(control.buf),
	};
	struct mdns_meta m = { .ttl = -1 };
	enum mdns_outcome o;
	ssize_t n;

	n = recvmsg(v6 ? s->fd6 : s->fd, &msg, MSG_DONTWAIT);
	if (n < 0)
		return errno == EAGAIN || errno == EWOULDBLOCK ? 0 : -errno;
	/* Truncated datagrams and ones without their interface are not
	 * judged: the interface is what the link check needs. */
	if (msg.msg_flags & (MSG_TRUNC | MSG_CTRUNC) || !mdns_read_from(&from, v6, &m))
		return 1;
	m.now_ms = boot_clock_ms();
	mdns_read_cmsg(&msg, &m);
	if (!m.ifindex)
		return 1;
	o = mdns_handle(s->resp, s->in, (size_t)n, &m, &s->out);
	if (o != MDNS_ANSWER_MULTICAST && o != MDNS_ANSWER_UNICAST && o != MDNS_ANSWER_BOTH &&
	    o != MDNS_ANSWER_LEGACY)
		return 1;
	mdns_answer(s, &m);
	return 1;
}

static void mdns_on_read(evutil_socket_t fd, short what, void *arg)
{
	struct mdns_service *s = arg;
	int r = 1;

	for (unsigned i = 0; i < MDNS_RECV_BATCH && r == 1; i++)
		r = mdns_recv_one(s, fd == s->fd6);
	if (r < 0)
		log_sink_printf(&s->o.log, LOG_LEVEL_WARNING, "mdns: receive on %s: %s", s->o.ifname, strerror(-r));
	/* A response may have silenced a name with announcements pending. */
	mdns_schedule(s);
}

static void mdns_on_name(void *ctx, const char *name, uint32_t ip, bool added)
{
	struct mdns_service *s = ctx;

	mdns_responder_name_event(s->resp, name, ip, added, boot_clock_ms());
	mdns_schedule(s);
}

static void mdns_on_port_response(void *ctx, const uint8_t *dns, size_t len,
				  const struct mdns_meta *m)
{
	struct mdns_service *s = ctx;

	if (mdns_handle_port_response(s->resp, dns, len, m) == MDNS_CONFLICT_SILENCED)
		mdns_schedule(s);
}

/* Without the ports' socket no announcement can silence a name: the
 * responder goes on answering, which is the safe side. */
static void mdns_open_ports(struct mdns_service *s, struct event_base *base)
{
	int r = mdns_ports_open(base, s->o.ifindex, s->o.log, mdns_on_port_response, s, &s->ports);

	if (r < 0)
		log_sink_printf(&s->o.log, LOG_LEVEL_WARNING, "mdns: cannot watch the bridge ports (%s): "
				"a guest's own announcements will not silence its name", strerror(-r));
}

static int mdns_setopt(int fd, int level, int opt, const void *v, socklen_t len,
		       const char *what, const struct mdns_service *s)
{
	if (setsockopt(fd, level, opt, v, len) == 0)
		return 0;
	log_sink_printf(&s->o.log, LOG_LEVEL_ERROR, "mdns: %s on %s: %s", what, s->o.ifname, strerror(errno));
	return -errno;
}

/* Port 5353 on every address of the bridge only, shared: SO_REUSEADDR is
 * what avahi and resolved set (any user), SO_REUSEPORT lets sockets of
 * our own user share too. */
static int mdns_socket_shared(struct mdns_service *s, int fd)
{
	int one = 1, size = MDNS_RCVBUF;
	int r;

	if ((r = mdns_setopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one), "SO_REUSEADDR", s)) ||
	    (r = mdns_setopt(fd, SOL_SOCKET, SO_REUSEPORT, &one, sizeof(one), "SO_REUSEPORT", s)) ||
	    (r = mdns_setopt(fd, SOL_SOCKET, SO_BINDTODEVICE, s->o.ifname,
			     (socklen_t)strlen(s->o.ifname), "SO_BINDTODEVICE", s)))
		return r;
	/* Best effort: the kernel caps it at rmem_max. */
	setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &size, sizeof(size));
	return 0;
}

static int mdns_socket_options(struct mdns_service *s, int fd)
{
	struct ip_mreqn mif = { .imr_ifindex = (int)s->o.ifindex };
	int one = 1, ttl = 255;
	int r;

	if ((r = mdns_socket_shared(s, fd)) ||
	    (r = mdns_setopt(fd, IPPROTO_IP, IP_PKTINFO, &one, sizeof(one), "IP_PKTINFO", s)) ||
	    (r = mdns_setopt(fd, IPPROTO_IP, IP_RECVTTL, &one, sizeof(one), "IP_RECVTTL", s)) ||
	    /* RFC 6762 11: TTL 255 on everything we send. */
	    (r = mdns_setopt(fd, IPPROTO_IP, IP_TTL, &ttl, sizeof(ttl), "IP_TTL", s)) ||
	    (r = mdns_setopt(fd, IPPROTO_IP, IP_MULTICAST_TTL, &ttl, sizeof(ttl),
			     "IP_MULTICAST_TTL", s)) ||
	    (r = mdns_setopt(fd, IPPROTO_IP, IP_MULTICAST_LOOP, &one, sizeof(one),
			     "IP_MULTICAST_LOOP", s)) ||
	    (r = mdns_setopt(fd, IPPROTO_IP, IP_MULTICAST_IF, &mif, sizeof(mif),
			     "IP_MULTICAST_IF", s)))
		return r;
	return 0;
}

static int mdns_socket_options6(struct mdns_service *s, int fd)
{
	int one = 1, hops = 255, ifindex = (int)s->o.ifindex;
	int r;

	if ((r = mdns_socket_shared(s, fd)) ||
	    (r = mdns_setopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &one, sizeof(one), "IPV6_V6ONLY", s)) ||
	    (r = mdns_setopt(fd, IPPROTO_IPV6, IPV6_RECVPKTINFO, &one, sizeof(one),
			     "IPV6_RECVPKTINFO", s)) ||
	    (r = mdns_setopt(fd, IPPROTO_IPV6, IPV6_RECVHOPLIMIT, &one, sizeof(one),
			     "IPV6_RECVHOPLIMIT", s)) ||
	    /* RFC 6762 11: hop limit 255 on everything we send. */
	    (r = mdns_setopt(fd, IPPROTO_IPV6, IPV6_UNICAST_HOPS, &hops, sizeof(hops),
			     "IPV6_UNICAST_HOPS", s)) ||
	    (r = mdns_setopt(fd, IPPROTO_IPV6, IPV6_MULTICAST_HOPS, &hops, sizeof(hops),
			     "IPV6_MULTICAST_HOPS", s)) ||
	    (r = mdns_setopt(fd, IPPROTO_IPV6, IPV6_MULTICAST_LOOP, &one, sizeof(one),
			     "IPV6_MULTICAST_LOOP", s)) ||
	    (r = mdns_setopt(fd, IPPROTO_IPV6, IPV6_MULTICAST_IF, &ifindex, sizeof(ifindex),
			     "IPV6_MULTICAST_IF", s)))
		return r;
	return 0;
}

/* The IPv6 socket, when there is a prefix: -errno after logging why. */
static int mdns_open6(struct mdns_service *s)
{
	struct sockaddr_in6 any = { .sin6_family = AF_INET6, .sin6_port = htons(MDNS_PORT) };
	struct ipv6_mreq group = { .ipv6mr_multiaddr.s6_addr = MDNS_GROUP6,
				   .ipv6mr_interface = s->o.ifindex };
	int fd, r;

	fd = socket(AF_INET6, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0) {
		r = -errno;
		log_sink_printf(&s->o.log, LOG_LEVEL_WARNING, "mdns: IPv6 socket: %s", strerror(-r));
		return r;
	}
	r = mdns_socket_options6(s, fd);
	if (r == 0 && bind(fd, (struct sockaddr *)&any, sizeof(any)) < 0) {
		r = -errno;
		log_sink_printf(&s->o.log, LOG_LEVEL_WARNING, "mdns: cannot bind [::]:%u on %s: %s",
				MDNS_PORT, s->o.ifname, strerror(-r));
	}
	if (r == 0)
		r = mdns_setopt(fd, IPPROTO_IPV6, IPV6_JOIN_GROUP, &group, sizeof(group),
				"joining ff02::fb", s);
	if (r < 0) {
		close(fd);
		return r;
	}
	s->fd6 = fd;
	return 0;
}

/* IPv6 is an extra: without it guests still resolve over IPv4. */
static void mdns_start6(struct mdns_service *s, struct event_base *base)
{
	if (!s->o.prefix6_len)
		return;
	if (mdns_open6(s) < 0) {
		log_sink_printf(&s->o.log, LOG_LEVEL_WARNING, "mdns: not answering on ff02::fb; "
				"guests ask over IPv4");
		return;
	}
	s->read_ev6 = event_new(base, s->fd6, EV_READ | EV_PERSIST, mdns_on_read, s);
	if (s->read_ev6 && event_add(s->read_ev6, NULL) == 0)
		return;
	log_sink_printf(&s->o.log, LOG_LEVEL_WARNING, "mdns: cannot watch the IPv6 socket");
	if (s->read_ev6)
		event_free(s->read_ev6);
	s->read_ev6 = NULL;
	close(s->fd6);
	s->fd6 = -1;
}

static int mdns_open(struct mdns_service *s)
{
	struct sockaddr_in any = { .sin_family = AF_INET, .sin_port = htons(MDNS_PORT) };
	struct ip_mreqn group = {
		.imr_multiaddr.s_addr = htonl(MDNS_GROUP),
		.imr_ifindex = (int)s->o.ifindex,
	};
	int fd, r;

	fd = socket(AF_INET, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0) {
		r = -errno;
		log_sink_printf(&s->o.log, LOG_LEVEL_ERROR, "mdns: socket: %s", strerror(-r));
		return r;
	}
	r = mdns_socket_options(s, fd);
	if (r < 0)
		goto fail;
	if (bind(fd, (struct sockaddr *)&any, sizeof(any)) < 0) {
		r = -errno;
		log_sink_printf(&s->o.log, LOG_LEVEL_ERROR, "mdns: cannot bind port %u on %s: %s (another mDNS responder "
			     "without SO_REUSEADDR?)", MDNS_PORT, s->o.ifname, strerror(-r));
		goto fail;
	}
	r = mdns_setopt(fd, IPPROTO_IP, IP_ADD_MEMBERSHIP, &group, sizeof(group),
			"joining 224.0.0.251", s);
	if (r < 0)
		goto fail;
	s->fd = fd;
	return 0;
fail:
	close(fd);
	return r;
}

static int mdns_new_responder(const struct mdns_service_opts *o, struct mdns_responder **out)
{
	struct mdns_responder_opts ro = {
		.ifindex = o->ifindex, .gateway = o->gateway, .subnet_addr = o->subnet_addr,
		.subnet_len = o->subnet_len, .names = o->names, .log = o->log,
		.holder_port = o->holder_port, .ctx = o->ctx,
		.aaaa = o->prefix6_len ? o->aaaa : NULL, .aaaa_ctx = o->aaaa_ctx,
		.prefix6_len = o->prefix6_len,
	};

	memcpy(ro.prefix6, o->prefix6, sizeof(ro.prefix6));
	return mdns_responder_new(out, &ro, boot_clock_ms());
}

int mdns_service_start(struct event_base *base, const struct mdns_service_opts *o,
		       struct mdns_service **svc)
{
	struct mdns_service *s;
	int r;

	if (!svc || !base || !o || !o->ifname || !o->names || !o->ifindex)
		return -EINVAL;
	s = calloc(1, sizeof(*s));
	if (!s)
		return -ENOMEM;
	s->o = *o;
	s->fd = -1;
	s->fd6 = -1;
	r = mdns_open(s);   /* logs why it failed */
	if (r < 0)
		goto fail_quiet;
	r = mdns_new_responder(o, &s->resp);
	if (r < 0)
		goto fail;
	s->read_ev = event_new(base, s->fd, EV_READ | EV_PERSIST, mdns_on_read, s);
	s->timer_ev = evtimer_new(base, mdns_on_timer, s);
	if (!s->read_ev || !s->timer_ev || event_add(s->read_ev, NULL) < 0) {
		r = -ENOMEM;
		goto fail;
	}
	r = name_table_add_listener(o->names, mdns_on_name, s);
	if (r < 0)
		goto fail;
	mdns_start6(s, base);
	mdns_open_ports(s, base);
	mdns_schedule(s);
	log_sink_printf(&s->o.log, LOG_LEVEL_INFO, "mdns: responder on %s, %zu name%s", o->ifname,
		     name_table_count(o->names), name_table_count(o->names) == 1 ? "" : "s");
	*svc = s;
	return 0;
fail:
	log_sink_printf(&s->o.log, LOG_LEVEL_ERROR, "mdns: cannot start the responder: %s", strerror(-r));
fail_quiet:
	s->o.names = NULL;
	mdns_service_stop(s);
	return r;
}

/* The socket is bound to the bridge, not to an address: a new gateway
 * or subnet needs a new responder only, announced afresh after the old
 * one's goodbyes. */
int mdns_service_reload(struct mdns_service *s, const struct mdns_service_opts *o)
{
	struct mdns_service_opts n;
	struct mdns_responder *next;
	int r;

	if (!s || !o || o->names != s->o.names || o->ifindex != s->o.ifindex)
		return -EINVAL;
	/* The IPv6 socket stays as it started: IPv6= and Prefix6= need a
	 * restart (config reload says so). */
	n = *o;
	memcpy(n.prefix6, s->o.prefix6, sizeof(n.prefix6));
	n.prefix6_len = s->o.prefix6_len;
	if (o->gateway != s->o.gateway || o->subnet_addr != s->o.subnet_addr ||
	    o->subnet_len != s->o.subnet_len) {
		r = mdns_new_responder(&n, &next);
		if (r < 0)
			return r;
		mdns_responder_goodbye_all(s->resp);
		mdns_flush(s, MDNS_STOP_BATCH);
		mdns_responder_free(s->resp);
		s->resp = next;
	}
	s->o = n;
	mdns_schedule(s);
	return 0;
}

void mdns_service_stop(struct mdns_service *s)
{
	if (!s)
		return;
	if (s->o.names)
		name_table_remove_listener(s->o.names, mdns_on_name, s);
	if (s->resp && s->fd >= 0) {
		mdns_responder_goodbye_all(s->resp);
		mdns_flush(s, MDNS_STOP_BATCH);
	}
	mdns_ports_close(s->ports);
	if (s->read_ev)
		event_free(s->read_ev);
	if (s->read_ev6)
		event_free(s->read_ev6);
	if (s->timer_ev)
		event_free(s->timer_ev);
	if (s->fd >= 0)
		close(s->fd);
	if (s->fd6 >= 0)
		close(s->fd6);
	mdns_responder_free(s->resp);
	free(s);
}

void mdns_service_renewed(struct mdns_service *s, const char *name, uint32_t ip)
{
	if (!s)
		return;
	mdns_responder_renewed(s->resp, name, ip, boot_clock_ms());
	mdns_schedule(s);
}

void mdns_service_aaaa_event(struct mdns_service *s, uint32_t ip, const uint8_t addr[16],
			     bool added)
{
	if (!s)
		return;
	mdns_responder_aaaa_event(s->resp, ip, addr, added, boot_clock_ms());
	mdns_schedule(s);
}

void mdns_service_counters(const struct mdns_service *s, struct mdns_counters *c)
{
	mdns_responder_counters(s->resp, c);
	c->host_copies = s->n_host_copies;
}
