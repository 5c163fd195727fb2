/* Router advertisements: the socket and the timer around ra_codec.c and
 * ra_sched.c. */
#include <errno.h>
#include <netinet/icmp6.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "boot_clock.h"
#include "ra_sched.h"
#include "ra_service.h"

#define RA_RECV_BATCH 32
#define RA_RECV_MAX 1500
/* Advertised lifetimes (seconds). RFC 8106 5.1: DNS options live between
 * MaxRtrAdvInterval and twice that. Prefix lifetimes shorter than RFC
 * 4861's defaults (30 and 7 days), so that a prefix given up (a
 * renumbering) fades from guests within a day. */
#define RA_VALID_LIFETIME_S 86400u
#define RA_PREFERRED_LIFETIME_S 14400u
#define RA_DNS_LIFETIME_S (2 * RA_MAX_INTERVAL_MS / 1000)
#define RA_CUR_HOP_LIMIT 64

struct ra_service {
	struct ra_service_opts o;
	char domain[RA_DOMAIN_MAX + 1];
	int fd;
	struct event *read_ev, *timer_ev;
	unsigned n_sent;             /* since start or the last change */
	uint64_t last_ms;            /* last multicast advertisement, 0: none */
	uint64_t next_ms;            /* next unsolicited one */
	uint64_t reply_ms;           /* a solicitation's answer, 0: none due */
	bool send_err_logged;
	struct ra_counters c;
};

void ra_service_info(const struct ra_service_opts *o, bool final, struct ra_info *ra)
{
	memset(ra, 0, sizeof(*ra));
	ra->cur_hop_limit = RA_CUR_HOP_LIMIT;
	ra->other = true;
	ra->router_lifetime = o->default_router && !final ? RA_ROUTER_LIFETIME_S : 0;
	ra->mtu = o->mtu;
	ra->have_prefix = true;
	memcpy(ra->prefix, o->prefix, 16);
	ra->prefix_len = o->prefix_len;
	ra->onlink = ra->autonomous = true;
	ra->valid_lifetime = RA_VALID_LIFETIME_S;
	ra->preferred_lifetime = RA_PREFERRED_LIFETIME_S;
	if (o->old_prefix_len) {
		ra->have_old_prefix = true;
		memcpy(ra->old_prefix, o->old_prefix, 16);
		ra->old_prefix_len = o->old_prefix_len;
	}
	ra->have_rdnss = true;
	memcpy(ra->rdnss, o->gateway, 16);
	ra->rdnss_lifetime = RA_DNS_LIFETIME_S;
	if (o->domain && strlen(o->domain) < sizeof(ra->dnssl)) {
		strcpy(ra->dnssl, o->domain);
		ra->dnssl_lifetime = RA_DNS_LIFETIME_S;
	}
	ra->have_sll = true;
	memcpy(ra->sll, o->mac, 6);
}

/* Multicast to all nodes on the bridge (RFC 4861 6.2.4, 6.2.6). */
static void ra_send(struct ra_service *s, bool final)
{
	struct sockaddr_in6 to = {
		.sin6_family = AF_INET6,
		.sin6_scope_id = s->o.ifindex,
		.sin6_addr = { .s6_addr = { 0xff, 0x02, [15] = 1 } },
	};
	uint8_t buf[RA_MAX_LEN];
	struct ra_info ra;
	int n;

	ra_service_info(&s->o, final, &ra);
	n = ra_build(&ra, buf, sizeof(buf));
	if (n < 0) {
		log_sink_printf(&s->o.log, LOG_LEVEL_WARNING, "ra: cannot build: %s", strerror(-n));
		return;
	}
	if (sendto(s->fd, buf, (size_t)n, 0, (struct sockaddr *)&to, sizeof(to)) < 0) {
		/* The bridge's link-local address is tentative until a port
		 * has carrier: expected at start, worth one line. */
		if (!s->send_err_logged)
			log_sink_printf(&s->o.log, LOG_LEVEL_DEBUG, "ra: cannot send on %s: %s",
					s->o.ifname, strerror(errno));
		s->send_err_logged = true;
		return;
	}
	s->send_err_logged = false;
	s->c.sent++;
}

void ra_service_announce(struct ra_service *s)
{
	struct sockaddr_in6 to = {
		.sin6_family = AF_INET6,
		.sin6_scope_id = s->o.ifindex,
		.sin6_addr = { .s6_addr = { 0xff, 0x02, [15] = 1 } },
	};
	uint8_t buf[RA_NA_LEN];
	int n = ra_build_na(s->o.gateway, s->o.mac, buf, sizeof(buf));

	if (n < 0 || sendto(s->fd, buf, (size_t)n, 0, (struct sockaddr *)&to, sizeof(to)) < 0) {
		log_sink_printf(&s->o.log, LOG_LEVEL_DEBUG, "ra: cannot announce the gateway on "
				"%s: %s", s->o.ifname, strerror(n < 0 ? -n : errno));
		return;
	}
	s->c.announced++;
}

static void ra_arm(struct ra_service *s, uint64_t now)
{
	uint64_t at = s->reply_ms && s->reply_ms < s->next_ms ? s->reply_ms : s->next_ms;
	uint64_t wait = at > now ? at - now : 0;
	struct timeval tv = { .tv_sec = (time_t)(wait / 1000),
			      .tv_usec = (suseconds_t)(wait % 1000) * 1000 };

	if (evtimer_add(s->timer_ev, &tv) < 0)
		log_sink_printf(&s->o.log, LOG_LEVEL_WARNING, "ra: cannot arm the timer");
}

/* One multicast advertisement serves both the schedule and any
 * solicitation waiting for an answer. */
static void ra_advertise(struct ra_service *s, uint64_t now)
{
	ra_send(s, false);
	s->last_ms = now;
	s->reply_ms = 0;
	s->next_ms = now + ra_sched_interval(s->n_sent++, arc4random());
	ra_arm(s, now);
}

static void ra_on_timer(evutil_socket_t fd, short what, void *arg)
{
	struct ra_service *s = arg;
	uint64_t now = boot_clock_ms();

	if (now >= s->next_ms || (s->reply_ms && now >= s->reply_ms))
		ra_advertise(s, now);
	else
		ra_arm(s, now);
}

static int ra_hop_limit(struct msghdr *m)
{
	struct cmsghdr *c;
	int h;

	for (c = CMSG_FIRSTHDR(m); c; c = CMSG_NXTHDR(m, c)) {
		if (c->cmsg_level == IPPROTO_IPV6 && c->cmsg_type == IPV6_HOPLIMIT &&
		    c->cmsg_len == CMSG_LEN(sizeof(int))) {
			memcpy(&h, CMSG_DATA(c), sizeof(h));
			return h;
		}
	}
	return -1;
}

/* RFC 4861 6.1.1: hop limit 255, a valid message, and no source
 * link-layer option from the unspecified address. */
static bool ra_solicit_ok(const uint8_t *buf, size_t len, int hops,
			  const struct sockaddr_in6 *from)
{
	struct ra_solicit rs;

	if (hops != RA_HOP_LIMIT || ra_parse_rs(buf, len, &rs) < 0)
		return false;
	return !(rs.have_sll && IN6_IS_ADDR_UNSPECIFIED(&from->sin6_addr));
}

static void ra_on_solicit(struct ra_service *s)
{
	uint64_t now = boot_clock_ms();

	s->c.solicits++;
	if (s->reply_ms)
		return;
	s->reply_ms = ra_sched_reply_at(now, s->last_ms, arc4random());
	ra_arm(s, now);
}

static void ra_on_read(evutil_socket_t fd, short what, void *arg)
{
	struct ra_service *s = arg;
	uint8_t buf[RA_RECV_MAX];
	union {
		struct cmsghdr align;
		uint8_t buf[CMSG_SPACE(sizeof(int)) * 2];
	} control;
	struct sockaddr_in6 from;
	struct iovec iov = { buf, sizeof(buf) };
	struct msghdr m;
	ssize_t n;
	int i;

	for (i = 0; i < RA_RECV_BATCH; i++) {
		m = (struct msghdr){ .msg_name = &from, .msg_namelen = sizeof(from),
				     .msg_iov = &iov, .msg_iovlen = 1,
				     .msg_control = control.buf,
				     .msg_controllen = sizeof(control.buf) };
		n = recvmsg(fd, &m, 0);
		if (n < 0)
			return;
		if (ra_solicit_ok(buf, (size_t)n, ra_hop_limit(&m), &from))
			ra_on_solicit(s);
		else
			s->c.dropped++;
	}
}

static int ra_setsockopt(struct ra_service *s, int level, int name, const void *v,
			 socklen_t len, const char *what)
{
	if (setsockopt(s->fd, level, name, v, len) == 0)
		return 0;
	log_sink_printf(&s->o.log, LOG_LEVEL_ERROR, "ra: %s on %s: %s", what, s->o.ifname,
			strerror(errno));
	return -errno;
}

static int ra_socket(struct ra_service *s)
{
	struct icmp6_filter filter;
	struct ipv6_mreq all_routers = {
		.ipv6mr_multiaddr = { .s6_addr = { 0xff, 0x02, [15] = 2 } },
		.ipv6mr_interface = s->o.ifindex,
	};
	int one = 1, zero = 0, hops = RA_HOP_LIMIT, ifindex = (int)s->o.ifindex, r;

	s->fd = socket(AF_INET6, SOCK_RAW | SOCK_NONBLOCK | SOCK_CLOEXEC, IPPROTO_ICMPV6);
	if (s->fd < 0) {
		log_sink_printf(&s->o.log, LOG_LEVEL_ERROR, "ra: socket: %s", strerror(errno));
		return -errno;
	}
	ICMP6_FILTER_SETBLOCKALL(&filter);
	ICMP6_FILTER_SETPASS(ND_ROUTER_SOLICIT, &filter);
	if ((r = ra_setsockopt(s, IPPROTO_ICMPV6, ICMP6_FILTER, &filter, sizeof(filter),
			       "ICMP6_FILTER")) < 0 ||
	    (r = ra_setsockopt(s, SOL_SOCKET, SO_BINDTODEVICE, s->o.ifname,
			       (socklen_t)strlen(s->o.ifname), "SO_BINDTODEVICE")) < 0 ||
	    (r = ra_setsockopt(s, IPPROTO_IPV6, IPV6_RECVHOPLIMIT, &one, sizeof(one),
			       "IPV6_RECVHOPLIMIT")) < 0 ||
	    (r = ra_setsockopt(s, IPPROTO_IPV6, IPV6_MULTICAST_HOPS, &hops, sizeof(hops),
			       "IPV6_MULTICAST_HOPS")) < 0 ||
	    (r = ra_setsockopt(s, IPPROTO_IPV6, IPV6_UNICAST_HOPS, &hops, sizeof(hops),
			       "IPV6_UNICAST_HOPS")) < 0 ||
	    (r = ra_setsockopt(s, IPPROTO_IPV6, IPV6_MULTICAST_IF, &ifindex, sizeof(ifindex),
			       "IPV6_MULTICAST_IF")) < 0 ||
	    (r = ra_setsockopt(s, IPPROTO_IPV6, IPV6_MULTICAST_LOOP, &zero, sizeof(zero),
			       "IPV6_MULTICAST_LOOP")) < 0)
		return r;
	/* Solicitations go to all-routers (RFC 4861 6.3.7); the kernel joins
	 * it with forwarding on, and a second join is harmless. */
	if (setsockopt(s->fd, IPPROTO_IPV6, IPV6_JOIN_GROUP, &all_routers,
		       sizeof(all_routers)) < 0 && errno != EADDRINUSE)
		return ra_setsockopt(s, IPPROTO_IPV6, IPV6_JOIN_GROUP, &all_routers,
				     sizeof(all_routers), "IPV6_JOIN_GROUP");
	return 0;
}

static void ra_copy_opts(struct ra_service *s, const struct ra_service_opts *o)
{
	s->o = *o;
	snprintf(s->domain, sizeof(s->domain), "%s", o->domain ? o->domain : "");
	s->o.domain = s->domain;
}

static void ra_free(struct ra_service *s)
{
	if (s->read_ev)
		event_free(s->read_ev);
	if (s->timer_ev)
		event_free(s->timer_ev);
	if (s->fd >= 0)
		close(s->fd);
	free(s);
}

int ra_service_start(struct event_base *base, const struct ra_service_opts *opts,
		     struct ra_service **svc)
{
	struct ra_service *s;
	int r;

	if (!base || !opts || !opts->ifname || !opts->ifindex || !svc)
		return -EINVAL;
	s = calloc(1, sizeof(*s));
	if (!s)
		return -ENOMEM;
	s->fd = -1;
	ra_copy_opts(s, opts);
	r = ra_socket(s);
	if (r == 0) {
		s->read_ev = event_new(base, s->fd, EV_READ | EV_PERSIST, ra_on_read, s);
		s->timer_ev = evtimer_new(base, ra_on_timer, s);
		if (!s->read_ev || !s->timer_ev || event_add(s->read_ev, NULL) < 0)
			r = -ENOMEM;
	}
	if (r < 0) {
		ra_free(s);
		return r;
	}
	ra_advertise(s, boot_clock_ms());
	log_sink_printf(&s->o.log, LOG_LEVEL_INFO, "ra: advertising on %s (router lifetime %us)",
			s->o.ifname, s->o.default_router ? RA_ROUTER_LIFETIME_S : 0);
	*svc = s;
	return 0;
}

static bool ra_opts_differ(const struct ra_service_opts *a, const struct ra_service_opts *b)
{
	return memcmp(a->prefix, b->prefix, 16) != 0 || a->prefix_len != b->prefix_len ||
	       memcmp(a->old_prefix, b->old_prefix, 16) != 0 ||
	       a->old_prefix_len != b->old_prefix_len || memcmp(a->gateway, b->gateway, 16) != 0 || a->mtu != b->mtu ||
	       a->default_router != b->default_router || memcmp(a->mac, b->mac, 6) != 0 ||
	       strcmp(a->domain ? a->domain : "", b->domain ? b->domain : "") != 0;
}

/* RFC 4861 6.2.4: after a change a router may send up to
 * MAX_INITIAL_RTR_ADVERTISEMENTS as if it had just started. */
int ra_service_reload(struct ra_service *s, const struct ra_service_opts *opts)
{
	bool changed;

	if (!s || !opts || opts->ifindex != s->o.ifindex)
		return -EINVAL;
	changed = ra_opts_differ(&s->o, opts);
	ra_copy_opts(s, opts);
	if (!changed)
		return 0;
	log_sink_printf(&s->o.log, LOG_LEVEL_INFO, "ra: advertising a change at once "
			"(router lifetime %us)", s->o.default_router ? RA_ROUTER_LIFETIME_S : 0);
	s->n_sent = 0;
	ra_advertise(s, boot_clock_ms());
	return 0;
}

void ra_service_stop(struct ra_service *s)
{
	if (!s)
		return;
	/* RFC 4861 6.2.5: guests stop using us as a default router now
	 * rather than when the lifetime runs out. */
	ra_send(s, true);
	ra_free(s);
}

void ra_service_counters(const struct ra_service *s, struct ra_counters *c)
{
	*c = s->c;
}
