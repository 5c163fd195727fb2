/* Thin I/O: the conntrack dump in, the deletes out, over one
 * NETLINK_NETFILTER socket opened for the sweep. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <time.h>

#include <libmnl/libmnl.h>

#include "conntrack.h"

/* Deletes go out this many to a datagram; the kernel handles each in
 * turn and answers each with an ACK. */
#define CONNTRACK_DELETES_PER_SEND 64
#define CONNTRACK_RECV_BUF_SIZE 32768

struct conntrack_io {
	struct mnl_socket *sock;
	uint32_t portid;
	uint32_t seq;
	char buf[CONNTRACK_RECV_BUF_SIZE];
	_Alignas(uint32_t) char out[CONNTRACK_DELETES_PER_SEND * CONNTRACK_MSG_MAX];
};

static int conntrack_io_open(struct conntrack_io *io)
{
	struct timeval tv = {
		.tv_sec = CONNTRACK_RECV_TIMEOUT_MS / 1000,
		.tv_usec = (CONNTRACK_RECV_TIMEOUT_MS % 1000) * 1000,
	};
	int one = 1;
	int r;

	io->sock = mnl_socket_open(NETLINK_NETFILTER);
	if (!io->sock)
		return -errno;
	if (mnl_socket_bind(io->sock, 0, MNL_SOCKET_AUTOPID) < 0 ||
	    setsockopt(mnl_socket_get_fd(io->sock), SOL_SOCKET, SO_RCVTIMEO,
		       &tv, sizeof(tv)) < 0) {
		r = -errno;
		mnl_socket_close(io->sock);
		io->sock = NULL;
		return r;
	}
	/* ACKs without a copy of each request. */
	(void)mnl_socket_setsockopt(io->sock, NETLINK_CAP_ACK, &one, sizeof(one));
	io->portid = mnl_socket_get_portid(io->sock);
	io->seq = (uint32_t)time(NULL);
	return 0;
}

static ssize_t conntrack_io_recv(struct conntrack_io *io)
{
	ssize_t n = mnl_socket_recvfrom(io->sock, io->buf, sizeof(io->buf));

	if (n < 0)
		return errno == EAGAIN ? -ETIMEDOUT : -errno;
	return n;
}

/* The stale entries found by the dump. */
struct conntrack_found {
	const struct conntrack_scope *scope;
	struct conntrack_entry *v;
	size_t n, cap;
	struct conntrack_sweep *sw;
};

static int conntrack_found_add(struct conntrack_found *f, const struct conntrack_entry *e)
{
	struct conntrack_entry *v;
	size_t cap;

	if (f->n == CONNTRACK_MAX_STALE)
		return 0;
	if (f->n == f->cap) {
		cap = f->cap ? f->cap * 2 : 64;
		v = reallocarray(f->v, cap, sizeof(*v));
		if (!v)
			return -ENOMEM;
		f->v = v;
		f->cap = cap;
	}
	f->v[f->n++] = *e;
	return 0;
}

static int conntrack_dump_cb(const struct nlmsghdr *nlh, void *data)
{
	struct conntrack_found *f = data;
	struct conntrack_entry e;
	int r;

	if (conntrack_parse(nlh, nlh->nlmsg_len, &e) < 0)
		return MNL_CB_OK;
	f->sw->seen++;
	if (!conntrack_is_stale(&e, f->scope))
		return MNL_CB_OK;
	f->sw->stale++;
	r = conntrack_found_add(f, &e);
	if (r < 0) {
		errno = -r;
		return MNL_CB_ERROR;
	}
	return MNL_CB_OK;
}

static int conntrack_dump(struct conntrack_io *io, struct conntrack_found *f)
{
	uint32_t seq = ++io->seq;
	struct nlmsghdr *nlh = conntrack_build_dump(io->buf, sizeof(io->buf), seq,
						    f->scope->family);
	ssize_t n;
	int r;

	if (mnl_socket_sendto(io->sock, nlh, nlh->nlmsg_len) < 0)
		return -errno;
	for (;;) {
		n = conntrack_io_recv(io);
		if (n < 0)
			return (int)n;
		errno = 0;
		r = mnl_cb_run(io->buf, (size_t)n, seq, io->portid, conntrack_dump_cb, f);
		if (r == MNL_CB_STOP)
			return 0;
		if (r == MNL_CB_ERROR)
			return errno ? -errno : -EPROTO;
	}
}

/* Counts the ACKs in one datagram for sequence numbers [first, first + n).
 * An entry already gone (-ENOENT) counts as deleted. */
static int conntrack_acks(const void *buf, size_t len, uint32_t first, size_t n,
			  size_t *acked, struct conntrack_sweep *sw)
{
	const struct nlmsghdr *nlh = buf;
	int remaining = (int)len;
	int err = 0;

	for (; mnl_nlmsg_ok(nlh, remaining); nlh = mnl_nlmsg_next(nlh, &remaining)) {
		const struct nlmsgerr *e = mnl_nlmsg_get_payload(nlh);

		if (nlh->nlmsg_type != NLMSG_ERROR || nlh->nlmsg_seq - first >= n ||
		    mnl_nlmsg_get_payload_len(nlh) < sizeof(*e))
			continue;
		(*acked)++;
		if (e->error == 0 || e->error == -ENOENT)
			sw->deleted++;
		else if (!err)
			err = e->error;
	}
	return err;
}

/* Sends entries v[0..n) as deletes in one datagram, and reads their ACKs. */
static int conntrack_delete_some(struct conntrack_io *io, const struct conntrack_entry *v,
				 size_t n, struct conntrack_sweep *sw)
{
	uint32_t first = io->seq + 1;
	size_t len = 0, acked = 0;
	ssize_t got;
	int r, err = 0;

	for (size_t i = 0; i < n; i++) {
		struct nlmsghdr *nlh = conntrack_build_delete(io->out + len,
							      sizeof(io->out) - len,
							      ++io->seq, &v[i]);
		len += nlh->nlmsg_len;
	}
	if (mnl_socket_sendto(io->sock, io->out, len) < 0)
		return -errno;
	while (acked < n) {
		got = conntrack_io_recv(io);
		if (got < 0)
			return (int)got;
		r = conntrack_acks(io->buf, (size_t)got, first, n, &acked, sw);
		if (r < 0 && !err)
			err = r;
	}
	return err;
}

static int conntrack_delete_all(struct conntrack_io *io, const struct conntrack_found *f,
				struct conntrack_sweep *sw)
{
	int r, err = 0;

	for (size_t i = 0; i < f->n; i += CONNTRACK_DELETES_PER_SEND) {
		size_t n = f->n - i;

		if (n > CONNTRACK_DELETES_PER_SEND)
			n = CONNTRACK_DELETES_PER_SEND;
		r = conntrack_delete_some(io, f->v + i, n, sw);
		/* A lost answer would leave the socket out of step. */
		if (r == -ETIMEDOUT)
			return r;
		if (r < 0 && !err)
			err = r;
	}
	return err;
}

/* Leaves out of f the entries keep_fn keeps. */
static void conntrack_filter(struct conntrack_found *f, conntrack_keep_fn keep_fn, void *ctx)
{
	size_t n = 0;

	if (!keep_fn)
		return;
	for (size_t i = 0; i < f->n; i++) {
		if (keep_fn(ctx, &f->v[i]))
			f->sw->kept++;
		else
			f->v[n++] = f->v[i];
	}
	f->n = n;
}

int conntrack_flush_stale(const struct conntrack_scope *scope,
			  conntrack_keep_fn keep_fn, void *ctx,
			  struct conntrack_sweep *sw)
{
	struct conntrack_io *io;
	struct conntrack_found f = { .scope = scope, .sw = sw };
	int r;

	memset(sw, 0, sizeof(*sw));
	io = calloc(1, sizeof(*io));
	if (!io)
		return -ENOMEM;
	r = conntrack_io_open(io);
	if (r < 0)
		goto out_free;
	r = conntrack_dump(io, &f);
	if (r < 0)
		goto out_close;
	conntrack_filter(&f, keep_fn, ctx);
	r = conntrack_delete_all(io, &f, sw);
out_close:
	mnl_socket_close(io->sock);
out_free:
	free(f.v);
	free(io);
	return r;
}
