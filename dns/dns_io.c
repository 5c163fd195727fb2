/* The DNS server's sockets: UDP with recvmmsg/sendmmsg batches, TCP with
 * bufferevents (RFC 7766: pipelined queries, answers in any order, idle
 * timeout, bounded connections and queries per connection). Bound to the
 * gateway address on the bridge; sources outside the guest subnet get
 * nothing. */
#include <arpa/inet.h>
#include <errno.h>
#include <net/if.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/timerfd.h>
#include <unistd.h>

#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <event2/listener.h>

#include "addr6.h"
#include "boot_clock.h"
#include "byteorder.h"
#include "dns_server.h"

#define IO_UDP_ROUNDS 8          /* batches per wake-up, then others' turn */
/* Coalescing (udp_pacing.h): under load a datagram waits at most this
 * long, half of it on average. At 50,000 queries/s that makes batches of
 * about 25 and halves the CPU per answer (bench/dns.sh: 250 us gave 5.3
 * us per answer, 500 us 3.6-4.2, 1 ms 3.2, reading on each datagram 6.5);
 * 8 rounds of 32 a tick read up to 512,000 a second. */
#define IO_UDP_TICK_NS 500000
/* A tick that comes late (the loop was busy, or the CPU elsewhere) reads
 * for each tick it missed, up to this many, and so does every tick under
 * overload, until the socket is empty: a wake-up that read only one tick's
 * worth would leave the backlog to the kernel, which drops from every
 * guest alike when the receive buffer fills. */
#define IO_UDP_LATE_TICKS 16
#define IO_UDP_RCVBUF (4 << 20)

struct dns_tcp_conn {
	struct dns_service *s;
	struct dns_tcp_conn *prev, *next;
	struct bufferevent *bev;         /* NULL once closed */
	union dns_peer peer;
	unsigned share;                  /* its guest's slot in io.tcp_share */
	struct event *deadline;          /* a message begun must end by then */
	unsigned pending;                /* answers still owed */
	bool paused;                     /* reading stopped: too much owed */
	bool eof;                        /* the client sent all it will */
};

static bool io_in_prefix(uint32_t a, uint32_t net, uint8_t len)
{
	return len && (a & (UINT32_MAX << (32 - len))) == net;
}

/* The guest subnet, or the one a renumbering is draining; or the guests'
 * IPv6 prefix. */
bool dns_io_source_ok(const struct dns_service *s, const struct sockaddr *sa)
{
	const union dns_peer *p = (const union dns_peer *)sa;
	uint32_t a;

	if (sa->sa_family == AF_INET6)
		return p->in6.sin6_port != 0 &&
		       addr6_in_prefix(p->in6.sin6_addr.s6_addr, s->prefix6, s->prefix6_len);
	a = ntohl(p->in4.sin_addr.s_addr);
	return sa->sa_family == AF_INET && p->in4.sin_port != 0 &&
	       (io_in_prefix(a, s->local.subnet_addr, s->local.subnet_len) ||
		io_in_prefix(a, s->old_subnet_addr, s->old_subnet_len));
}

/* The listener on addr; addr 0: a free slot. */
static struct dns_listen *io_listen_of(struct dns_service *s, uint32_t addr)
{
	for (size_t i = 0; i < DNS_MAX_LISTEN; i++)
		if (s->io.l[i].addr == addr)
			return &s->io.l[i];
	return NULL;
}

/* The listener's own address, port port. */
static socklen_t io_local_addr(const struct dns_listen *l, uint16_t port, union dns_peer *a)
{
	memset(a, 0, sizeof(*a));
	if (l->v6) {
		a->in6.sin6_family = AF_INET6;
		a->in6.sin6_port = htons(port);
		memcpy(a->in6.sin6_addr.s6_addr, l->addr6, 16);
		return sizeof(a->in6);
	}
	a->in4.sin_family = AF_INET;
	a->in4.sin_port = htons(port);
	a->in4.sin_addr.s_addr = htonl(l->addr);
	return sizeof(a->in4);
}

static int io_socket(const char *ifname, const struct dns_listen *l, uint16_t port, int type)
{
	union dns_peer sin;
	socklen_t sin_len = io_local_addr(l, port, &sin);
	int fd, one = 1, r;

	fd = socket(sin.sa.sa_family, type | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -errno;
	if ((l->v6 && setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &one, sizeof(one)) < 0) ||
	    (type == SOCK_STREAM &&
	     setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)) < 0) ||
	    setsockopt(fd, SOL_SOCKET, SO_BINDTODEVICE, ifname, (socklen_t)strlen(ifname)) < 0 ||
	    bind(fd, &sin.sa, sin_len) < 0 ||
	    (type == SOCK_STREAM && listen(fd, 64) < 0)) {
		r = -errno;
		close(fd);
		return r;
	}
	if (type == SOCK_DGRAM) {
		int size = IO_UDP_RCVBUF;

		/* Best effort: the kernel caps it at rmem_max. */
		setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &size, sizeof(size));
	}
	return fd;
}

/* UDP ----------------------------------------------------------------------- */

/* The key a guest's shares and last query are kept under: its IPv4
 * address, or its IPv6 address folded to 32 bits. */
static uint32_t io_peer_key(const union dns_peer *p)
{
	uint32_t k = 0;

	if (p->sa.sa_family == AF_INET)
		return ntohl(p->in4.sin_addr.s_addr);
	for (size_t i = 0; i < 16; i += 4)
		k ^= be32_get(p->in6.sin6_addr.s6_addr + i);
	return k;
}

uint32_t dns_io_client_addr(const struct dns_client *cl)
{
	return io_peer_key(cl->conn ? &cl->conn->peer : &cl->addr);
}

/* Every query is counted against its guest's bucket; only under overload,
 * and with other guests asking, does a spent bucket cost the query
 * (dns_server.h): a guest alone may have the whole server. */
static bool io_udp_share_ok(struct dns_service *s, const union dns_peer *from, uint64_t now)
{
	struct src_share *t = s->io.udp_share;
	unsigned k = src_share_find(t, io_peer_key(from), now);

	if (src_share_take(t, k, now, 1) || now >= s->io.udp_overload_until_ms ||
	    src_share_active(t, now) < 2)
		return true;
	s->n.udp_refused_share++;
	s->n.dropped++;
	dns_log_limited(s, &s->rl_udp_share, now,
			"UDP overload: queries beyond a guest's share dropped");
	return false;
}

static void io_udp_batch(struct dns_listen *l, struct mmsghdr *in, unsigned n,
			 union dns_peer *from, uint64_t now)
{
	struct dns_service *s = l->s;
	struct mmsghdr out[DNS_UDP_BATCH];
	struct iovec iov[DNS_UDP_BATCH];
	unsigned k = 0;
	int sent;

	for (unsigned i = 0; i < n; i++) {
		struct dns_client cl = { .addr = from[i], .local = l->addr };
		uint8_t *ob = s->io.udp_out + (size_t)k * DNS_UDP_MAX;
		size_t len;

		if (!dns_io_source_ok(s, &from[i].sa)) {
			s->n.dropped++;
			dns_log_limited(s, &s->rl_source, now,
					"query from outside the guest subnet dropped");
			continue;
		}
		s->n.udp++;
		if (!io_udp_share_ok(s, &from[i], now))
			continue;
		if (in[i].msg_hdr.msg_flags & MSG_TRUNC) {
			s->n.queries++;
			s->n.dropped++;
			continue;
		}
		if (dns_server_query(s, s->io.udp_in + (size_t)i * DNS_UDP_QUERY_MAX,
				     in[i].msg_len, &cl, ob, DNS_UDP_MAX, &len, now) != 1)
			continue;
		iov[k] = (struct iovec){ .iov_base = ob, .iov_len = len };
		out[k] = (struct mmsghdr){ .msg_hdr = {
			/* The address as received: IPv4's is shorter than the union. */
			.msg_name = &from[i], .msg_namelen = in[i].msg_hdr.msg_namelen,
			.msg_iov = &iov[k], .msg_iovlen = 1 } };
		k++;
	}
	if (k == 0)
		return;
	sent = sendmmsg(l->udp_fd, out, k, MSG_DONTWAIT);
	if (sent < (int)k)
		s->n.dropped += k - (unsigned)(sent < 0 ? 0 : sent);
}

/* Reads and answers up to rounds batches; returns how many datagrams it
 * read. */
static unsigned io_udp_read(struct dns_listen *l, unsigned rounds, uint64_t now)
{
	struct dns_service *s = l->s;
	struct mmsghdr in[DNS_UDP_BATCH];
	struct iovec iov[DNS_UDP_BATCH];
	union dns_peer from[DNS_UDP_BATCH];
	unsigned total = 0;

	for (unsigned round = 0; round < rounds; round++) {
		int n;

		for (unsigned i = 0; i < DNS_UDP_BATCH; i++) {
			iov[i] = (struct iovec){ s->io.udp_in + (size_t)i * DNS_UDP_QUERY_MAX,
						 DNS_UDP_QUERY_MAX };
			in[i] = (struct mmsghdr){ .msg_hdr = {
				.msg_name = &from[i], .msg_namelen = sizeof(from[i]),
				.msg_iov = &iov[i], .msg_iovlen = 1 } };
		}
		n = recvmmsg(l->udp_fd, in, DNS_UDP_BATCH, MSG_DONTWAIT, NULL);
		if (n <= 0)
			return total;
		io_udp_batch(l, in, (unsigned)n, from, now);
		total += (unsigned)n;
		if (n < DNS_UDP_BATCH)
			return total;
	}
	/* More waiting than a wake-up takes: the guests share from now on. */
	if (total == rounds * DNS_UDP_BATCH)
		s->io.udp_overload_until_ms = now + DNS_UDP_OVERLOAD_MS;
	return total;
}

/* Switches the listener between reading on each datagram (the socket's
 * event) and reading on the tick (the timerfd's). The new reader is in
 * place before the old one goes, so a failure leaves the listener as it
 * was. Returns 0 or -1. */
static int io_udp_coalesce(struct dns_listen *l, bool on)
{
	struct itimerspec tick = { 0 };

	if (on) {
		tick.it_interval.tv_nsec = tick.it_value.tv_nsec = IO_UDP_TICK_NS;
		if (timerfd_settime(l->tick_fd, 0, &tick, NULL) < 0)
			goto fail;
		if (event_add(l->tick_ev, NULL) < 0) {
			tick = (struct itimerspec){ 0 };
			timerfd_settime(l->tick_fd, 0, &tick, NULL);
			goto fail;
		}
		event_del(l->udp_ev);
	} else {
		if (event_add(l->udp_ev, NULL) < 0)
			goto fail;
		event_del(l->tick_ev);
		if (timerfd_settime(l->tick_fd, 0, &tick, NULL) < 0)
			log_sink_printf(&l->s->log, LOG_LEVEL_ERROR, "dns: stopping the UDP tick: %s", strerror(errno));
	}
	return 0;
fail:
	log_sink_printf(&l->s->log, LOG_LEVEL_ERROR, "dns: cannot %s coalescing UDP reads: %s",
		on ? "start" : "stop", strerror(errno));
	l->pace.coalescing = !on;
	return -1;
}

static void io_on_udp(evutil_socket_t fd, short what, void *arg)
{
	struct dns_listen *l = arg;
	uint64_t now = boot_clock_ms();

	(void)fd;
	(void)what;
	if (udp_pacing_note(&l->pace, io_udp_read(l, IO_UDP_ROUNDS, now), now))
		io_udp_coalesce(l, true);
}

static void io_on_udp_tick(evutil_socket_t fd, short what, void *arg)
{
	struct dns_listen *l = arg;
	uint64_t ticks = 1, now = boot_clock_ms();
	unsigned n;

	(void)what;
	if (read(fd, &ticks, sizeof(ticks)) < 0) {
		if (errno != EAGAIN)
			log_sink_printf(&l->s->log, LOG_LEVEL_ERROR, "dns: reading the UDP tick: %s", strerror(errno));
		ticks = 1;
	}
	if (ticks > IO_UDP_LATE_TICKS || now < l->s->io.udp_overload_until_ms)
		ticks = IO_UDP_LATE_TICKS;
	n = io_udp_read(l, IO_UDP_ROUNDS * (unsigned)(ticks ? ticks : 1), now);
	l->s->n.udp_coalesced += n;
	if (!udp_pacing_note(&l->pace, n, now))
		io_udp_coalesce(l, false);
}

/* TCP ----------------------------------------------------------------------- */

static void io_tcp_free(struct dns_tcp_conn *c)
{
	if (c->prev)
		c->prev->next = c->next;
	else
		c->s->io.conns = c->next;
	if (c->next)
		c->next->prev = c->prev;
	free(c);
}

static void io_tcp_close(struct dns_tcp_conn *c)
{
	if (c->bev) {
		bufferevent_free(c->bev);
		c->bev = NULL;
		c->s->io.tcp_open--;
		src_share_release(c->s->io.tcp_share, c->share);
		event_free(c->deadline);
		c->deadline = NULL;
	}
	if (c->pending == 0)
		io_tcp_free(c);
}

static size_t io_tcp_outlen(const struct dns_tcp_conn *c)
{
	return evbuffer_get_length(bufferevent_get_output(c->bev));
}

/* A message begun (some of it in the input) must be whole within
 * DNS_TCP_MSG_SECS; the clock starts at its first byte, and bytes that
 * trickle in do not restart it (a slowloris keeps no slot). */
static int io_tcp_deadline(struct dns_tcp_conn *c, bool begun)
{
	const struct timeval tv = { DNS_TCP_MSG_SECS, 0 };

	if (!begun)
		return event_del(c->deadline);
	if (evtimer_pending(c->deadline, NULL))
		return 0;
	return evtimer_add(c->deadline, &tv);
}

static void io_tcp_on_deadline(evutil_socket_t fd, short what, void *arg)
{
	struct dns_tcp_conn *c = arg;

	(void)fd;
	(void)what;
	c->s->n.tcp_deadline_closed++;
	io_tcp_close(c);
}

/* Reads every complete query there is, as long as the connection owes
 * few enough answers. Returns false when it closed the connection. */
static bool io_tcp_process(struct dns_tcp_conn *c)
{
	struct dns_service *s = c->s;
	struct evbuffer *in = bufferevent_get_input(c->bev);

	while (c->bev && !c->eof) {
		struct dns_client cl = { .addr = c->peer, .conn = c };
		uint8_t hdr[2];
		size_t mlen, len;

		if (c->pending >= DNS_TCP_MAX_PENDING || io_tcp_outlen(c) > DNS_TCP_OUT_MAX) {
			/* Not reading is our doing: no deadline meanwhile. */
			event_del(c->deadline);
			bufferevent_disable(c->bev, EV_READ);
			c->paused = true;
			return true;
		}
		if (evbuffer_copyout(in, hdr, 2) != 2)
			break;
		mlen = be16_get(hdr);
		if (mlen == 0) {
			io_tcp_close(c);
			return false;
		}
		if (evbuffer_get_length(in) < 2 + mlen)
			break;
		evbuffer_drain(in, 2);
		evbuffer_remove(in, s->io.tcp_in, mlen);
		/* The next message has its own deadline, from its first byte. */
		event_del(c->deadline);
		s->n.tcp++;
		if (dns_server_query(s, s->io.tcp_in, mlen, &cl, s->io.tcp_out + 2, DNS_MSG_MAX,
				     &len, boot_clock_ms()) != 1)
			continue;
		be16_put(s->io.tcp_out, (uint16_t)len);
		bufferevent_write(c->bev, s->io.tcp_out, len + 2);
	}
	if (c->bev && io_tcp_deadline(c, evbuffer_get_length(in) > 0) < 0) {
		io_tcp_close(c);
		return false;
	}
	return true;
}

/* After an answer went out (or was given up): resume a paused
 * connection, close one the client has finished with, free a closed one. */
static void io_tcp_settle(struct dns_tcp_conn *c)
{
	if (!c->bev) {
		if (c->pending == 0)
			io_tcp_free(c);
		return;
	}
	if (c->s->stopping)
		return;
	if (c->eof) {
		if (c->pending == 0 && io_tcp_outlen(c) == 0)
			io_tcp_close(c);
		return;
	}
	if (c->paused && c->pending < DNS_TCP_MAX_PENDING && io_tcp_outlen(c) <= DNS_TCP_OUT_MAX) {
		c->paused = false;
		bufferevent_enable(c->bev, EV_READ);
		io_tcp_process(c);
	}
}

static void io_tcp_on_read(struct bufferevent *bev, void *arg)
{
	io_tcp_process(arg);
}

static void io_tcp_on_write(struct bufferevent *bev, void *arg)
{
	io_tcp_settle(arg);
}

static void io_tcp_on_event(struct bufferevent *bev, short what, void *arg)
{
	struct dns_tcp_conn *c = arg;

	if ((what & BEV_EVENT_TIMEOUT) && (what & BEV_EVENT_READING) && c->pending > 0) {
		/* RFC 7766 6.2.3: idle means no query outstanding. */
		bufferevent_enable(bev, EV_READ);
		return;
	}
	if ((what & BEV_EVENT_EOF) && !(what & BEV_EVENT_ERROR) && c->pending > 0) {
		c->eof = true;
		bufferevent_disable(bev, EV_READ);
		return;
	}
	io_tcp_close(c);
}

/* The table is full: the oldest connection that owes nothing and has no
 * message begun goes (RFC 7766 6.2.3 lets a server close idle ones). */
static bool io_tcp_close_idle(struct dns_service *s)
{
	struct dns_tcp_conn *idle = NULL;

	for (struct dns_tcp_conn *c = s->io.conns; c; c = c->next)
		if (c->bev && c->pending == 0 && !c->eof && io_tcp_outlen(c) == 0 &&
		    evbuffer_get_length(bufferevent_get_input(c->bev)) == 0)
			idle = c;   /* new ones first in the list: the last is the oldest */
	if (!idle)
		return false;
	s->n.tcp_idle_closed++;
	io_tcp_close(idle);
	return true;
}

/* Whether a connection from sin may have a slot; *share is its guest's. */
static bool io_tcp_admit(struct dns_service *s, const union dns_peer *peer, unsigned *share,
			 uint64_t now)
{
	*share = src_share_find(s->io.tcp_share, io_peer_key(peer), now);
	if (src_share_held(s->io.tcp_share, *share) >= DNS_TCP_PER_SOURCE) {
		s->n.tcp_refused_source++;
		dns_log_limited(s, &s->rl_tcp_share, now,
				"a guest has its share of TCP connections; closing its new ones");
		return false;
	}
	if (s->io.tcp_open >= DNS_TCP_MAX_CONNS && !io_tcp_close_idle(s)) {
		s->n.tcp_refused_full++;
		dns_log_limited(s, &s->rl_overload, now, "too many TCP connections; closing new ones");
		return false;
	}
	return true;
}

static struct dns_tcp_conn *io_tcp_new(struct dns_service *s, evutil_socket_t fd)
{
	struct dns_tcp_conn *c = calloc(1, sizeof(*c));

	if (!c)
		return NULL;
	c->bev = bufferevent_socket_new(s->base, fd, BEV_OPT_CLOSE_ON_FREE);
	c->deadline = evtimer_new(s->base, io_tcp_on_deadline, c);
	if (!c->bev || !c->deadline) {
		if (c->bev)
			bufferevent_free(c->bev);
		else
			close(fd);
		if (c->deadline)
			event_free(c->deadline);
		free(c);
		return NULL;
	}
	return c;
}

static void io_on_accept(struct evconnlistener *l, evutil_socket_t fd, struct sockaddr *sa,
			 int salen, void *arg)
{
	const struct timeval idle = { DNS_TCP_IDLE_SECS, 0 };
	struct dns_service *s = ((struct dns_listen *)arg)->s;
	struct dns_tcp_conn *c;
	uint64_t now = boot_clock_ms();
	unsigned share;

	if ((size_t)salen > sizeof(union dns_peer) || !dns_io_source_ok(s, sa)) {
		s->n.dropped++;
		dns_log_limited(s, &s->rl_source, now,
				"TCP connection from outside the guest subnet closed");
		close(fd);
		return;
	}
	if (!io_tcp_admit(s, (const union dns_peer *)sa, &share, now)) {
		close(fd);
		return;
	}
	c = io_tcp_new(s, fd);
	if (!c) {
		dns_log_limited(s, &s->rl_overload, now, "out of memory for a TCP connection");
		return;
	}
	c->s = s;
	c->share = share;
	src_share_hold(s->io.tcp_share, share, DNS_TCP_PER_SOURCE);
	memcpy(&c->peer, sa, (size_t)salen);
	c->next = s->io.conns;
	if (s->io.conns)
		s->io.conns->prev = c;
	s->io.conns = c;
	s->io.tcp_open++;
	s->n.tcp_connections++;
	bufferevent_setcb(c->bev, io_tcp_on_read, io_tcp_on_write, io_tcp_on_event, c);
	bufferevent_set_timeouts(c->bev, &idle, &idle);
	bufferevent_enable(c->bev, EV_READ | EV_WRITE);
}

/* From the pipeline --------------------------------------------------------- */

void dns_io_hold(struct dns_client *cl)
{
	if (cl->conn)
		cl->conn->pending++;
}

void dns_io_release(struct dns_client *cl)
{
	struct dns_tcp_conn *c = cl->conn;

	if (!c)
		return;
	c->pending--;
	io_tcp_settle(c);
}

void dns_io_send_later(struct dns_service *s, const struct dns_client *cl,
		       const uint8_t *buf, size_t len)
{
	struct dns_tcp_conn *c = cl->conn;

	if (!c) {
		/* From the address it asked, or the guest takes it for spoofed. */
		bool v6 = cl->addr.sa.sa_family == AF_INET6;
		struct dns_listen *l = v6 ? (s->io.l6.v6 ? &s->io.l6 : NULL) :
				       cl->local ? io_listen_of(s, cl->local) : NULL;

		if (!l || sendto(l->udp_fd, buf, len, MSG_DONTWAIT, &cl->addr.sa,
				 v6 ? sizeof(cl->addr.in6) : sizeof(cl->addr.in4)) < 0)
			s->n.dropped++;
		return;
	}
	c->pending--;
	if (c->bev) {
		uint8_t hdr[2];

		be16_put(hdr, (uint16_t)len);
		bufferevent_write(c->bev, hdr, 2);
		bufferevent_write(c->bev, buf, len);
	}
	io_tcp_settle(c);
}

/* Open and close ------------------------------------------------------------ */

static int io_open_error(struct dns_service *s, const char *proto, const struct dns_listen *l,
			 uint16_t port, int r)
{
	char a[INET6_ADDRSTRLEN];
	uint32_t n = htonl(l->addr);

	if (l->v6)
		inet_ntop(AF_INET6, l->addr6, a, sizeof(a));
	else
		inet_ntop(AF_INET, &n, a, sizeof(a));
	if (r == -EADDRINUSE)
		log_sink_printf(&s->log, LOG_LEVEL_ERROR, "dns: %s port %u on %s is in use by another program "
			"(one bound to it, or to all addresses without SO_BINDTODEVICE)",
			proto, port, a);
	else
		log_sink_printf(&s->log, LOG_LEVEL_ERROR, "dns: cannot listen on %s %s:%u: %s", proto, a, port,
			strerror(-r));
	return r;
}

int dns_io_open(struct dns_service *s)
{
	s->io.tcp_share = malloc(sizeof(*s->io.tcp_share));
	s->io.udp_share = malloc(sizeof(*s->io.udp_share));
	if (!s->io.tcp_share || !s->io.udp_share)
		return -ENOMEM;
	src_share_init(s->io.tcp_share, 0, 0, arc4random());
	src_share_init(s->io.udp_share, DNS_UDP_SOURCE_RATE, DNS_UDP_SOURCE_BURST, arc4random());
	s->io.udp_in = malloc((size_t)DNS_UDP_BATCH * DNS_UDP_QUERY_MAX);
	s->io.udp_out = malloc((size_t)DNS_UDP_BATCH * DNS_UDP_MAX);
	s->io.tcp_in = malloc(DNS_MSG_MAX);
	s->io.tcp_out = malloc(2 + DNS_MSG_MAX);
	if (!s->io.udp_in || !s->io.udp_out || !s->io.tcp_in || !s->io.tcp_out)
		return -ENOMEM;
	return 0;
}

bool dns_io_listening(const struct dns_service *s, uint32_t addr)
{
	for (size_t i = 0; addr && i < DNS_MAX_LISTEN; i++)
		if (s->io.l[i].addr == addr)
			return true;
	return false;
}

static void io_listen_close(struct dns_listen *l)
{
	if (l->listener)
		evconnlistener_free(l->listener);
	if (l->udp_ev)
		event_free(l->udp_ev);
	if (l->tick_ev)
		event_free(l->tick_ev);
	if (l->addr || l->v6) {
		close(l->udp_fd);
		if (l->tick_fd >= 0)
			close(l->tick_fd);
	}
	*l = (struct dns_listen){ .udp_fd = -1, .tick_fd = -1 };
}

/* Opens the sockets of l, whose address is set. */
static int io_listen_open(struct dns_service *s, struct dns_listen *l)
{
	struct dns_listen want = *l;
	int fd, r;

	fd = io_socket(s->ifname, &want, s->port, SOCK_DGRAM);
	if (fd < 0) {
		*l = (struct dns_listen){ .udp_fd = -1, .tick_fd = -1 };
		return io_open_error(s, "UDP", &want, s->port, fd);
	}
	l->s = s;
	l->udp_fd = fd;
	l->tick_fd = timerfd_create(CLOCK_MONOTONIC, TFD_NONBLOCK | TFD_CLOEXEC);
	if (l->tick_fd < 0) {
		r = -errno;
		io_listen_close(l);
		return io_open_error(s, "UDP", &want, s->port, r);
	}
	l->udp_ev = event_new(s->base, fd, EV_READ | EV_PERSIST, io_on_udp, l);
	l->tick_ev = event_new(s->base, l->tick_fd, EV_READ | EV_PERSIST, io_on_udp_tick, l);
	if (!l->udp_ev || !l->tick_ev || event_add(l->udp_ev, NULL) < 0) {
		io_listen_close(l);
		return -ENOMEM;
	}
	fd = io_socket(s->ifname, &want, s->port, SOCK_STREAM);
	if (fd < 0) {
		io_listen_close(l);
		return io_open_error(s, "TCP", &want, s->port, fd);
	}
	l->listener = evconnlistener_new(s->base, io_on_accept, l,
					 LEV_OPT_CLOSE_ON_FREE | LEV_OPT_CLOSE_ON_EXEC, 0, fd);
	if (!l->listener) {
		close(fd);
		io_listen_close(l);
		return -ENOMEM;
	}
	return 0;
}

int dns_io_listen(struct dns_service *s, uint32_t addr)
{
	struct dns_listen *l = io_listen_of(s, 0);

	if (!addr)
		return -EINVAL;
	if (!l) {
		struct dns_listen want = { .addr = addr };

		return io_open_error(s, "UDP", &want, s->port, -ENOSPC);
	}
	*l = (struct dns_listen){ .addr = addr, .udp_fd = -1, .tick_fd = -1 };
	return io_listen_open(s, l);
}

int dns_io_listen6(struct dns_service *s, const uint8_t addr[16])
{
	struct dns_listen *l = &s->io.l6;

	io_listen_close(l);
	l->v6 = true;
	memcpy(l->addr6, addr, sizeof(l->addr6));
	return io_listen_open(s, l);
}

void dns_io_unlisten6(struct dns_service *s)
{
	io_listen_close(&s->io.l6);
}

void dns_io_unlisten(struct dns_service *s, uint32_t addr)
{
	struct dns_listen *l = io_listen_of(s, addr);

	if (l)
		io_listen_close(l);
}

void dns_io_close(struct dns_service *s)
{
	while (s->io.conns) {
		struct dns_tcp_conn *c = s->io.conns;

		if (c->bev) {
			bufferevent_free(c->bev);
			event_free(c->deadline);
			s->io.tcp_open--;
		}
		s->io.conns = c->next;
		free(c);
	}
	for (size_t i = 0; i < DNS_MAX_LISTEN; i++)
		io_listen_close(&s->io.l[i]);
	io_listen_close(&s->io.l6);
	free(s->io.udp_in);
	free(s->io.udp_out);
	free(s->io.tcp_in);
	free(s->io.tcp_out);
	free(s->io.tcp_share);
	free(s->io.udp_share);
	memset(&s->io, 0, sizeof(s->io));
}
