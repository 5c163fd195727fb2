/* Tracing a guest's packets through nftables: see doctor_trace.h. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <linux/netfilter/nfnetlink.h>
#include <linux/netfilter/nf_tables.h>

#include <libmnl/libmnl.h>

#include "control.h"
#include "daemon.h"
#include "doctor.h"
#include "doctor_trace.h"
#include "glue.h"
#include "log.h"
#include "nat_trace.h"
#include "trace_path.h"

#define DOCTOR_TRACE_BUF 16384

struct doctor_trace {
	struct daemon *d;
	struct control_conn *conn;
	char guest[CONTROL_REQUEST_MAX];
	bool json;
	unsigned secs;
	struct mnl_socket *sock;
	struct event *ev, *timer;
	struct trace_path path;
};

/* Events come as datagrams; a full buffer loses some (ENOBUFS), which the
 * report survives: it shows what came. Bounded per wake-up. */
static void doctor_trace_on_read(evutil_socket_t fd, short what, void *arg)
{
	struct doctor_trace *t = arg;
	_Alignas(struct nlmsghdr) char buf[DOCTOR_TRACE_BUF];

	for (int i = 0; i < 64; i++) {
		ssize_t n = recv(fd, buf, sizeof(buf), MSG_DONTWAIT);

		if (n < 0 && errno == ENOBUFS)
			continue;
		if (n <= 0)
			return;
		(void)nat_trace_parse(buf, (size_t)n, trace_path_add_cb, &t->path);
	}
}

/* The trace chain leaves our table, the socket closes. */
static void doctor_trace_free(struct doctor_trace *t)
{
	struct daemon *d = t->d;

	d->trace_addr = 0;
	if (nat_glue_apply(d) < 0)
		log_error("doctor: the trace chain may still be in table inet defnet");
	if (t->ev)
		event_free(t->ev);
	if (t->timer)
		event_free(t->timer);
	if (t->sock)
		mnl_socket_close(t->sock);
	d->trace = NULL;
	free(t);
}

static void doctor_trace_on_cancel(void *arg)
{
	log_info("doctor: trace cancelled (the client left or defnetd stops)");
	doctor_trace_free(arg);
}

static void doctor_trace_on_done(evutil_socket_t fd, short what, void *arg)
{
	struct doctor_trace *t = arg;
	struct control_conn *conn = t->conn;
	struct doctor_report *r = malloc(sizeof(*r));
	char *body = NULL;
	size_t len = 0;
	FILE *out;

	doctor_trace_on_read(event_get_fd(t->ev), EV_READ, t);
	if (!r) {
		doctor_trace_free(t);
		control_finish(conn, -ENOMEM, "out of memory", NULL, 0);
		return;
	}
	doctor_report_init(r);
	doctor_collect(t->d, t->guest, r);
	trace_path_report(&t->path, t->guest, t->secs, r);
	out = open_memstream(&body, &len);
	if (out) {
		doctor_render(r, t->json, out);
		fclose(out);
	}
	doctor_trace_free(t);
	if (out)
		control_finish(conn, 0, "", body, len);
	else
		control_finish(conn, -ENOMEM, "out of memory", NULL, 0);
	free(body);
	free(r);
}

static int doctor_trace_socket(struct doctor_trace *t)
{
	int group = NFNLGRP_NFTRACE;

	t->sock = mnl_socket_open2(NETLINK_NETFILTER, SOCK_CLOEXEC | SOCK_NONBLOCK);
	if (!t->sock)
		return -errno;
	if (mnl_socket_bind(t->sock, 0, MNL_SOCKET_AUTOPID) < 0 ||
	    mnl_socket_setsockopt(t->sock, NETLINK_ADD_MEMBERSHIP, &group, sizeof(group)) < 0)
		return -errno;
	return 0;
}

static int doctor_trace_events(struct doctor_trace *t)
{
	struct timeval tv = { .tv_sec = t->secs };

	t->ev = event_new(t->d->base, mnl_socket_get_fd(t->sock), EV_READ | EV_PERSIST,
			  doctor_trace_on_read, t);
	t->timer = evtimer_new(t->d->base, doctor_trace_on_done, t);
	if (!t->ev || !t->timer || event_add(t->ev, NULL) < 0 || evtimer_add(t->timer, &tv) < 0)
		return -ENOMEM;
	return 0;
}

int doctor_trace_start(struct daemon *d, const char *guest, uint32_t addr, unsigned secs,
		       bool json, char *err, size_t errlen)
{
	struct doctor_trace *t;
	int r;

	if (d->trace) {
		snprintf(err, errlen, "a trace is running already; try again when it ends");
		return -EBUSY;
	}
	t = calloc(1, sizeof(*t));
	if (!t)
		return -ENOMEM;
	*t = (struct doctor_trace){ .d = d, .json = json, .secs = secs };
	snprintf(t->guest, sizeof(t->guest), "%s", guest);
	trace_path_init(&t->path);
	d->trace = t;
	/* Listening first: the first packets after the chain is in count. */
	r = doctor_trace_socket(t);
	if (r == 0) {
		d->trace_addr = addr;
		r = nat_glue_apply(d);
	}
	if (r == 0)
		r = doctor_trace_events(t);
	if (r < 0) {
		snprintf(err, errlen, "cannot start the trace: %s", strerror(-r));
		doctor_trace_free(t);
		return r;
	}
	t->conn = control_defer(d->control, doctor_trace_on_cancel, t);
	log_info("doctor: tracing %s for %u s", guest, secs);
	return CONTROL_DEFERRED;
}
