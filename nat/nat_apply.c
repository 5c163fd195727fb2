/* Thin I/O: one batch out over NETLINK_NETFILTER, every ACK back in. */
#include <errno.h>
#include <limits.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>

#include <linux/netlink.h>

#include <libmnl/libmnl.h>

#include "nat_apply.h"
#include "nl_ext_ack.h"

/* Each ACK is a datagram of its own, a few dozen bytes. */
#define NAT_RECV_BUF_SIZE 8192
#define NAT_RCVBUF (1 << 20)

static void nat_err_printf(char *err, size_t errlen, const char *what,
			   int errnum, const char *text)
{
	if (!err || errlen == 0)
		return;
	snprintf(err, errlen, "nftables: %s failed: %s%s%s%s", what,
		 strerror(errnum), text[0] ? " (" : "", text,
		 text[0] ? ")" : "");
}

void nat_result_init(struct nat_result *res)
{
	memset(res, 0, sizeof(*res));
}

static int nat_msg_index(const struct nat_batch *b, uint32_t seq)
{
	size_t i;

	for (i = 0; i < b->n_msgs; i++)
		if (b->msgs[i].seq == seq)
			return (int)i;
	return -1;
}

/* One NLMSG_ERROR: an ACK (error 0) or an error, for one message of the
 * batch, or for BEGIN and so for the whole batch. */
static int nat_result_error(struct nat_result *res, const struct nat_batch *b,
			    const struct nlmsghdr *nlh)
{
	const struct nlmsgerr *e;
	const char *text;
	int idx;

	if (mnl_nlmsg_get_payload_len(nlh) < sizeof(*e))
		return -EPROTO;
	e = mnl_nlmsg_get_payload(nlh);
	idx = nat_msg_index(b, nlh->nlmsg_seq);
	if (idx < 0 && nlh->nlmsg_seq != b->seq_begin)
		return 0;  /* not an answer to this batch */
	if (idx >= 0 && !res->acked[idx]) {
		res->acked[idx] = true;
		res->n_acked++;
	}
	if (idx < 0)
		res->batch_failed = true;
	if (e->error == 0 || res->err != 0)
		return 0;
	/* Answers come in batch order: the first error is the cause, later
	 * ones may be its consequences. */
	res->err = e->error < 0 ? e->error : -EPROTO;
	text = nl_ext_ack_msg(nlh, nlh->nlmsg_len);
	nat_err_printf(res->err_msg, sizeof(res->err_msg),
		       idx >= 0 ? b->msgs[idx].what : "batch", -res->err, text ? text : "");
	return 0;
}

int nat_result_feed(struct nat_result *res, const struct nat_batch *b,
		    const void *buf, size_t len)
{
	const struct nlmsghdr *nlh = buf;
	int remaining, ret;

	if (len > INT_MAX)
		return -EPROTO;
	remaining = (int)len;
	for (; mnl_nlmsg_ok(nlh, remaining);
	     nlh = mnl_nlmsg_next(nlh, &remaining)) {
		if (nlh->nlmsg_type != NLMSG_ERROR)
			continue;
		ret = nat_result_error(res, b, nlh);
		if (ret < 0)
			return ret;
	}
	return remaining == 0 ? 0 : -EPROTO;
}

bool nat_result_done(const struct nat_result *res, const struct nat_batch *b)
{
	return res->batch_failed || res->n_acked >= b->n_msgs;
}

static struct mnl_socket *nat_socket_open(void)
{
	struct mnl_socket *sock;
	int one = 1, rcvbuf = NAT_RCVBUF, saved;

	sock = mnl_socket_open2(NETLINK_NETFILTER, SOCK_CLOEXEC);
	if (!sock)
		return NULL;
	if (mnl_socket_bind(sock, 0, MNL_SOCKET_AUTOPID) < 0) {
		saved = errno;
		mnl_socket_close(sock);
		errno = saved;
		return NULL;
	}
	/* Error text from the kernel, without an echo of each request.
	 * Kernels before 4.12 lack both; their errors come without text. */
	(void)mnl_socket_setsockopt(sock, NETLINK_EXT_ACK, &one, sizeof(one));
	(void)mnl_socket_setsockopt(sock, NETLINK_CAP_ACK, &one, sizeof(one));
	/* Every message of a batch is ACKed before we read any: the default
	 * buffer (rmem_default, some 200 ACKs' worth) would overflow with
	 * the largest batches. Best effort: without CAP_NET_ADMIN the kernel
	 * caps it at rmem_max. */
	if (setsockopt(mnl_socket_get_fd(sock), SOL_SOCKET, SO_RCVBUFFORCE, &rcvbuf,
		       sizeof(rcvbuf)) < 0)
		(void)setsockopt(mnl_socket_get_fd(sock), SOL_SOCKET, SO_RCVBUF, &rcvbuf,
				 sizeof(rcvbuf));
	return sock;
}

/* Reads answers until every message has one, or the batch failed as a
 * whole. Bounded: each answer is a datagram, each wait is bounded. */
static int nat_receive(struct mnl_socket *sock, const struct nat_batch *b,
		       struct nat_result *res)
{
	_Alignas(uint32_t) char buf[NAT_RECV_BUF_SIZE];
	struct pollfd pfd = { .fd = mnl_socket_get_fd(sock), .events = POLLIN };
	size_t i;
	ssize_t n;
	int ret;

	for (i = 0; i < 2 * NAT_BATCH_MAX_MSGS && !nat_result_done(res, b);
	     i++) {
		ret = poll(&pfd, 1, NAT_RECV_TIMEOUT_MS);
		if (ret < 0 && errno == EINTR)
			continue;
		if (ret < 0)
			return -errno;
		if (ret == 0)
			return -ETIMEDOUT;
		n = mnl_socket_recvfrom(sock, buf, sizeof(buf));
		if (n < 0)
			return -errno;
		ret = nat_result_feed(res, b, buf, (size_t)n);
		if (ret < 0)
			return ret;
	}
	return nat_result_done(res, b) ? 0 : -ETIMEDOUT;
}

int nat_conn_open(struct nat_conn *c)
{
	c->sock = nat_socket_open();
	if (!c->sock)
		return -errno;
	c->seq = (uint32_t)time(NULL);
	return 0;
}

void nat_conn_close(struct nat_conn *c)
{
	if (!c->sock)
		return;
	mnl_socket_close(c->sock);
	c->sock = NULL;
}

int nat_conn_send(struct nat_conn *c, const struct nat_batch *b,
		  char *err, size_t errlen)
{
	struct nat_result res;
	ssize_t n;
	int ret;

	nat_result_init(&res);
	n = mnl_socket_sendto(c->sock, b->buf, b->len);
	if (n < 0 || (size_t)n != b->len) {
		ret = n < 0 ? -errno : -EIO;
		nat_err_printf(err, errlen, "sending the batch", -ret, "");
		return ret;
	}
	ret = nat_receive(c->sock, b, &res);
	if (res.err < 0) {
		ret = res.err;
		if (err && errlen > 0)
			snprintf(err, errlen, "%s", res.err_msg);
	} else if (ret < 0) {
		nat_err_printf(err, errlen, "reading the answers", -ret, "");
	}
	return ret;
}

/* Builds a batch with build(), numbered from the connection's next
 * sequence number, and sends it. */
static int nat_conn_run(struct nat_conn *c, const struct nat_ruleset *rs,
			enum nat_batch_mode mode, char *err, size_t errlen)
{
	struct nat_batch *b;
	int ret;

	if (err && errlen > 0)
		err[0] = '\0';
	b = malloc(sizeof(*b));
	if (!b) {
		nat_err_printf(err, errlen, "building the batch", ENOMEM, "");
		return -ENOMEM;
	}
	ret = rs ? nat_batch_build_apply(b, rs, c->seq, mode)
		 : nat_batch_build_remove(b, c->seq, mode);
	if (ret < 0) {
		nat_err_printf(err, errlen, "building the batch", -ret, "");
		goto out;
	}
	/* Sequence numbers only need to differ between batches on a socket. */
	c->seq += (uint32_t)b->n_msgs + 2;
	ret = nat_conn_send(c, b, err, errlen);
out:
	free(b);
	return ret;
}

int nat_conn_apply(struct nat_conn *c, const struct nat_ruleset *rs,
		   enum nat_batch_mode mode, char *err, size_t errlen)
{
	if (!rs || !c->sock)
		return -EINVAL;
	return nat_conn_run(c, rs, mode, err, errlen);
}

/* One-shot callers get a socket of their own for one batch. */
static int nat_once_open(struct nat_conn *c, char *err, size_t errlen)
{
	int ret;

	if (err && errlen > 0)
		err[0] = '\0';
	ret = nat_conn_open(c);
	if (ret < 0)
		nat_err_printf(err, errlen, "netlink socket", -ret, "");
	return ret;
}

static int nat_once(const struct nat_ruleset *rs, enum nat_batch_mode mode,
		    char *err, size_t errlen)
{
	struct nat_conn c;
	int ret = nat_once_open(&c, err, errlen);

	if (ret < 0)
		return ret;
	ret = nat_conn_run(&c, rs, mode, err, errlen);
	nat_conn_close(&c);
	return ret;
}

int nat_apply(const struct nat_ruleset *rs, enum nat_batch_mode mode,
	      char *err, size_t errlen)
{
	return nat_once(rs, mode, err, errlen);
}

int nat_remove(char *err, size_t errlen)
{
	return nat_once(NULL, NAT_BATCH_COMMIT, err, errlen);
}

int nat_send(const struct nat_batch *b, char *err, size_t errlen)
{
	struct nat_conn c;
	int ret = nat_once_open(&c, err, errlen);

	if (ret < 0)
		return ret;
	ret = nat_conn_send(&c, b, err, errlen);
	nat_conn_close(&c);
	return ret;
}
