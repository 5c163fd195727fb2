/* c-ares channels on the libevent loop. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>

#include <ares.h>

#include "boot_clock.h"
#include "dns_forward.h"


struct fwd_sock {
	ares_socket_t fd;
	struct event *ev;
};

struct fwd_channel {
	struct dns_forward *f;
	struct fwd_channel *next;          /* in f->draining */
	ares_channel ch;
	struct event *timer;
	struct fwd_sock *socks;
	unsigned n_socks, cap_socks;
	unsigned pending, sent;
	time_t born;
};

struct fwd_query {
	struct fwd_query *next;            /* in f->waiting */
	struct fwd_channel *c;
	dns_forward_cb cb;
	void *arg;
	uint64_t queued_ms;
	size_t len;
	uint8_t buf[];                     /* the query, while it waits */
};

struct dns_forward {
	struct event_base *base;
	struct fwd_channel *current;
	struct fwd_channel *draining;
	struct event *reaper;              /* destroys drained channels */
	struct event *canceller;           /* fails the oldest channel's queries */
	struct event *pacer;               /* sends queries held too long */
	bool cancelling;
	unsigned in_flight;                /* sent to c-ares, all channels */
	struct fwd_query *waiting, **waiting_tail;   /* over the window, oldest first */
	bool launching, freeing;
	struct dns_server_addr servers[RESOLV_CONF_MAX_SERVERS];
	size_t n_servers;
	struct log_sink log;
};

/* Re-arms the channel's timer for c-ares' next timeout, if any.
 * ares_timeout() walks every query in flight (c-ares 1.18), so it is not
 * asked after each send or answer: a new query's deadline, or a retry's,
 * is never earlier than one already armed, and a timer that fires for a
 * query answered meanwhile only costs one early wake-up, which re-arms. */
static void fwd_arm_timer(struct fwd_channel *c)
{
	struct timeval tv, *t = ares_timeout(c->ch, NULL, &tv);

	if (t)
		evtimer_add(c->timer, t);
	else
		evtimer_del(c->timer);
}

static void fwd_arm_timer_if_idle(struct fwd_channel *c)
{
	if (!evtimer_pending(c->timer, NULL))
		fwd_arm_timer(c);
}

static void fwd_maybe_reap(struct fwd_channel *c)
{
	if (c != c->f->current && c->pending == 0)
		event_active(c->f->reaper, EV_TIMEOUT, 0);
}

static void fwd_on_socket(evutil_socket_t fd, short what, void *arg)
{
	struct fwd_channel *c = arg;

	ares_process_fd(c->ch, (what & EV_READ) ? fd : ARES_SOCKET_BAD,
			(what & EV_WRITE) ? fd : ARES_SOCKET_BAD);
	fwd_arm_timer_if_idle(c);
}

static void fwd_on_timer(evutil_socket_t fd, short what, void *arg)
{
	struct fwd_channel *c = arg;

	ares_process_fd(c->ch, ARES_SOCKET_BAD, ARES_SOCKET_BAD);
	fwd_arm_timer(c);
}

static struct fwd_sock *fwd_find_sock(struct fwd_channel *c, ares_socket_t fd)
{
	for (unsigned i = 0; i < c->n_socks; i++)
		if (c->socks[i].fd == fd)
			return &c->socks[i];
	return NULL;
}

static struct fwd_sock *fwd_add_sock(struct fwd_channel *c, ares_socket_t fd)
{
	if (c->n_socks == c->cap_socks) {
		unsigned cap = c->cap_socks ? c->cap_socks * 2 : 4;
		struct fwd_sock *s = realloc(c->socks, cap * sizeof(*s));

		if (!s)
			return NULL;
		c->socks = s;
		c->cap_socks = cap;
	}
	c->socks[c->n_socks] = (struct fwd_sock){ .fd = fd };
	return &c->socks[c->n_socks++];
}

/* ARES_OPT_SOCK_STATE_CB: watch fd for what c-ares wants, or stop. */
static void fwd_sock_state(void *data, ares_socket_t fd, int readable, int writable)
{
	struct fwd_channel *c = data;
	struct fwd_sock *s = fwd_find_sock(c, fd);
	short what = (short)((readable ? EV_READ : 0) | (writable ? EV_WRITE : 0));

	if (s && s->ev) {
		event_free(s->ev);
		s->ev = NULL;
	}
	if (!what) {
		if (s)
			*s = c->socks[--c->n_socks];
		return;
	}
	if (!s)
		s = fwd_add_sock(c, fd);
	if (s)
		s->ev = event_new(c->f->base, fd, what | EV_PERSIST, fwd_on_socket, c);
	if (!s || !s->ev || event_add(s->ev, NULL) < 0)
		log_sink_printf(&c->f->log, LOG_LEVEL_ERROR, "dns: cannot watch an upstream socket; "
			"its queries will time out");
}

static int fwd_set_servers(ares_channel ch, const struct dns_server_addr *s, size_t n)
{
	struct ares_addr_port_node nodes[RESOLV_CONF_MAX_SERVERS];
	int r;

	if (n == 0)
		return 0;
	for (size_t i = 0; i < n; i++) {
		memset(&nodes[i], 0, sizeof(nodes[i]));
		nodes[i].next = i + 1 < n ? &nodes[i + 1] : NULL;
		nodes[i].family = s[i].family;
		if (s[i].family == AF_INET)
			memcpy(&nodes[i].addr.addr4, s[i].addr, 4);
		else
			memcpy(&nodes[i].addr.addr6, s[i].addr, 16);
		nodes[i].udp_port = s[i].port;
		nodes[i].tcp_port = s[i].port;
	}
	r = ares_set_servers_ports(ch, nodes);
	return r == ARES_SUCCESS ? 0 : -EINVAL;
}

static void fwd_channel_free(struct fwd_channel *c)
{
	if (!c)
		return;
	/* Fails whatever is in flight; c-ares closes its sockets through
	 * fwd_sock_state(). */
	if (c->ch)
		ares_destroy(c->ch);
	for (unsigned i = 0; i < c->n_socks; i++)
		if (c->socks[i].ev)
			event_free(c->socks[i].ev);
	free(c->socks);
	if (c->timer)
		event_free(c->timer);
	free(c);
}

static int fwd_channel_new(struct dns_forward *f, struct fwd_channel **out)
{
	struct ares_options o = { 0 };
	struct fwd_channel *c = calloc(1, sizeof(*c));
	char lookups[] = "b", resolv[] = "/dev/null";
	int r;

	if (!c)
		return -ENOMEM;
	c->f = f;
	c->born = (time_t)(boot_clock_ms() / 1000);
	c->timer = evtimer_new(f->base, fwd_on_timer, c);
	if (!c->timer) {
		free(c);
		return -ENOMEM;
	}
	/* NOCHECKRESP: SERVFAIL and REFUSED reach the guest as they are. */
	o.flags = ARES_FLAG_EDNS | ARES_FLAG_NOCHECKRESP | ARES_FLAG_NOSEARCH;
	o.timeout = DNS_FORWARD_TIMEOUT_MS;
	o.tries = DNS_FORWARD_TRIES;
	o.ednspsz = 1232;
	o.sock_state_cb = fwd_sock_state;
	o.sock_state_cb_data = c;
	o.lookups = lookups;
	/* The servers are ours to give: c-ares reads no resolv.conf. */
	o.resolvconf_path = resolv;
	r = ares_init_options(&c->ch, &o, ARES_OPT_FLAGS | ARES_OPT_TIMEOUTMS | ARES_OPT_TRIES |
			      ARES_OPT_EDNSPSZ | ARES_OPT_SOCK_STATE_CB | ARES_OPT_NOROTATE |
			      ARES_OPT_LOOKUPS | ARES_OPT_RESOLVCONF);
	if (r != ARES_SUCCESS) {
		c->ch = NULL;
		fwd_channel_free(c);
		log_sink_printf(&f->log, LOG_LEVEL_ERROR, "dns: c-ares: %s", ares_strerror(r));
		return r == ARES_ENOMEM ? -ENOMEM : -EIO;
	}
	r = fwd_set_servers(c->ch, f->servers, f->n_servers);
	if (r < 0) {
		fwd_channel_free(c);
		return r;
	}
	*out = c;
	return 0;
}

static void fwd_on_reap(evutil_socket_t fd, short what, void *arg)
{
	struct dns_forward *f = arg;
	struct fwd_channel **p = &f->draining;

	while (*p) {
		struct fwd_channel *c = *p;

		if (c->pending == 0) {
			*p = c->next;
			fwd_channel_free(c);
		} else {
			p = &c->next;
		}
	}
}

/* A new channel becomes current; the old one drains. */
static int fwd_replace_channel(struct dns_forward *f)
{
	struct fwd_channel *c, *old = f->current;
	int r = fwd_channel_new(f, &c);

	if (r < 0)
		return r;
	f->current = c;
	if (old) {
		old->next = f->draining;
		f->draining = old;
		fwd_maybe_reap(old);
	}
	return 0;
}

static void fwd_on_cancel(evutil_socket_t fd, short what, void *arg)
{
	struct dns_forward *f = arg;
	struct fwd_channel *oldest = NULL;
	struct fwd_query *q;

	/* The draining list has the newest first. */
	for (struct fwd_channel *c = f->draining; c; c = c->next)
		if (c->pending)
			oldest = c;
	f->cancelling = true;
	if (oldest) {
		ares_cancel(oldest->ch);
	} else {
		/* Nothing drains: the queries waiting for the window are the
		 * oldest not yet sent; as many go as a channel would hold. */
		for (unsigned n = 0; n < DNS_FORWARD_ROTATE_QUERIES && (q = f->waiting); n++) {
			f->waiting = q->next;
			q->cb(q->arg, false, NULL, 0);
			free(q);
		}
	}
	f->cancelling = false;
}

static void fwd_launch_waiting(struct dns_forward *f, bool overdue);

static void fwd_on_pace(evutil_socket_t fd, short what, void *arg)
{
	fwd_launch_waiting(arg, true);
}

int dns_forward_new(struct dns_forward **out, struct event_base *base,
		    const struct log_sink *log)
{
	struct dns_forward *f;
	int r;

	if (!out || !base)
		return -EINVAL;
	r = ares_library_init(ARES_LIB_INIT_ALL);
	if (r != ARES_SUCCESS)
		return -ENOMEM;
	f = calloc(1, sizeof(*f));
	if (!f) {
		ares_library_cleanup();
		return -ENOMEM;
	}
	f->base = base;
	f->log = *log;
	f->reaper = event_new(base, -1, 0, fwd_on_reap, f);
	f->canceller = event_new(base, -1, 0, fwd_on_cancel, f);
	f->pacer = evtimer_new(base, fwd_on_pace, f);
	if (!f->reaper || !f->canceller || !f->pacer) {
		dns_forward_free(f);
		return -ENOMEM;
	}
	*out = f;
	return 0;
}

void dns_forward_free(struct dns_forward *f)
{
	struct fwd_channel *c;
	struct fwd_query *q;

	if (!f)
		return;
	/* Nothing waiting may start on a channel being destroyed. */
	f->freeing = true;
	while ((q = f->waiting)) {
		f->waiting = q->next;
		q->cb(q->arg, false, NULL, 0);
		free(q);
	}
	while ((c = f->draining)) {
		f->draining = c->next;
		fwd_channel_free(c);
	}
	c = f->current;
	f->current = NULL;
	fwd_channel_free(c);
	if (f->reaper)
		event_free(f->reaper);
	if (f->canceller)
		event_free(f->canceller);
	if (f->pacer)
		event_free(f->pacer);
	free(f);
	ares_library_cleanup();
}

int dns_forward_set_servers(struct dns_forward *f, const struct dns_server_addr *s, size_t n)
{
	struct dns_server_addr keep[RESOLV_CONF_MAX_SERVERS];
	size_t keep_n;
	int r;

	if (!f || (n && !s) || n > RESOLV_CONF_MAX_SERVERS)
		return -EINVAL;
	keep_n = f->n_servers;
	memcpy(keep, f->servers, sizeof(keep));
	memcpy(f->servers, s, n * sizeof(*s));
	f->n_servers = n;
	r = fwd_replace_channel(f);
	if (r < 0) {
		memcpy(f->servers, keep, sizeof(keep));
		f->n_servers = keep_n;
	}
	return r;
}

static void fwd_on_answer(void *arg, int status, int timeouts, unsigned char *abuf, int alen)
{
	struct fwd_query *q = arg;
	struct fwd_channel *c = q->c;
	struct dns_forward *f = c->f;
	bool ok = status == ARES_SUCCESS && abuf && alen > 0;

	c->pending--;
	f->in_flight--;
	q->cb(q->arg, ok, ok ? abuf : NULL, ok ? (size_t)alen : 0);
	free(q);
	fwd_maybe_reap(c);
	fwd_launch_waiting(f, false);
}

/* Hands q to the current channel (c-ares copies the query). */
static void fwd_launch(struct dns_forward *f, struct fwd_query *q, const uint8_t *query,
		       size_t len)
{
	struct fwd_channel *c;

	/* RFC 5452 9.2: fresh source ports every so often. A channel that
	 * cannot be made leaves the old one in use. */
	if (f->current->sent >= DNS_FORWARD_ROTATE_QUERIES ||
	    (time_t)(boot_clock_ms() / 1000) - f->current->born >= DNS_FORWARD_ROTATE_SECS)
		fwd_replace_channel(f);
	c = f->current;
	q->c = c;
	c->pending++;
	c->sent++;
	f->in_flight++;
	ares_send(c->ch, query, (int)len, fwd_on_answer, q);
	fwd_arm_timer_if_idle(c);
}

/* Waiting queries go, oldest first, while the window has room; overdue:
 * also those held DNS_FORWARD_HOLD_MS, room or not (an upstream that
 * answers nothing must not hold back the queries it could answer). */
static void fwd_launch_waiting(struct dns_forward *f, bool overdue)
{
	const struct timeval tick = { 0, DNS_FORWARD_HOLD_MS * 1000 / 4 };
	uint64_t now = overdue ? boot_clock_ms() : 0;
	struct fwd_query *q;

	if (f->launching || f->freeing || !f->current)
		return;
	f->launching = true;
	while ((q = f->waiting) && (f->in_flight < DNS_FORWARD_WINDOW ||
				    (overdue && now - q->queued_ms >= DNS_FORWARD_HOLD_MS))) {
		f->waiting = q->next;
		if (!f->waiting)
			f->waiting_tail = &f->waiting;
		fwd_launch(f, q, q->buf, q->len);
	}
	f->launching = false;
	if (f->waiting && !evtimer_pending(f->pacer, NULL))
		evtimer_add(f->pacer, &tick);
}

int dns_forward_send(struct dns_forward *f, const uint8_t *query, size_t len,
		     dns_forward_cb cb, void *arg)
{
	bool wait;
	struct fwd_query *q;

	if (!f || !query || !cb || len > 65535)
		return -EINVAL;
	if (!f->current)
		return -ENOTCONN;
	wait = f->in_flight >= DNS_FORWARD_WINDOW;
	q = malloc(sizeof(*q) + (wait ? len : 0));
	if (!q)
		return -ENOMEM;
	*q = (struct fwd_query){ .cb = cb, .arg = arg, .len = len };
	if (!wait) {
		fwd_launch(f, q, query, len);
		return 0;
	}
	memcpy(q->buf, query, len);
	q->queued_ms = boot_clock_ms();
	if (!f->waiting)
		f->waiting_tail = &f->waiting;
	*f->waiting_tail = q;
	f->waiting_tail = &q->next;
	fwd_launch_waiting(f, false);
	return 0;
}

int dns_forward_drop_oldest(struct dns_forward *f)
{
	const struct fwd_channel *c;

	if (!f)
		return -EINVAL;
	for (c = f->draining; c && !c->pending; c = c->next)
		;
	if (!c && !f->waiting)
		return -EBUSY;
	event_active(f->canceller, EV_TIMEOUT, 0);
	return 0;
}

bool dns_forward_cancelling(const struct dns_forward *f)
{
	return f && f->cancelling;
}
