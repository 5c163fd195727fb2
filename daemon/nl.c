/* A synchronous rtnetlink channel: send one request, then read until the
 * kernel's answer to that sequence number is complete. */
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <time.h>

#include <linux/netlink.h>
#include <linux/rtnetlink.h>

#include "nl.h"
#include "nl_ext_ack.h"

/* The kernel answers rtnetlink at once; silence this long (per read, and
 * for a whole answer) means something is wrong, and the daemon must not
 * hang on it. */
#define NL_RECV_TIMEOUT_SEC 5
#define NL_ANSWER_TIMEOUT_SEC 30

static int nl_set_options(struct mnl_socket *sock)
{
	struct timeval tv = { .tv_sec = NL_RECV_TIMEOUT_SEC };
	int one = 1;

	if (setsockopt(mnl_socket_get_fd(sock), SOL_SOCKET, SO_RCVTIMEO,
		       &tv, sizeof(tv)) < 0)
		return -errno;
	/* Error text from the kernel, without an echo of our request.
	 * Kernels before 4.12 lack both; their errors come without text. */
	(void)mnl_socket_setsockopt(sock, NETLINK_EXT_ACK, &one, sizeof(one));
	(void)mnl_socket_setsockopt(sock, NETLINK_CAP_ACK, &one, sizeof(one));
	return 0;
}

int nl_open(struct nl *nl)
{
	int ret;

	nl->err_msg[0] = '\0';
	nl->sock = mnl_socket_open(NETLINK_ROUTE);
	if (!nl->sock)
		return -errno;
	if (mnl_socket_bind(nl->sock, 0, MNL_SOCKET_AUTOPID) < 0) {
		ret = -errno;
		goto err_close;
	}
	ret = nl_set_options(nl->sock);
	if (ret < 0)
		goto err_close;
	nl->portid = mnl_socket_get_portid(nl->sock);
	nl->seq = (uint32_t)time(NULL);
	return 0;

err_close:
	mnl_socket_close(nl->sock);
	nl->sock = NULL;
	return ret;
}

void nl_close(struct nl *nl)
{
	if (!nl->sock)
		return;
	mnl_socket_close(nl->sock);
	nl->sock = NULL;
}

struct nlmsghdr *nl_msg_start(struct nl *nl, uint16_t type, uint16_t flags)
{
	struct nlmsghdr *nlh = mnl_nlmsg_put_header(nl->buf);

	nlh->nlmsg_type = type;
	nlh->nlmsg_flags = NLM_F_REQUEST | NLM_F_ACK | flags;
	nlh->nlmsg_seq = ++nl->seq;
	return nlh;
}

static int nl_send(struct nl *nl, const struct nlmsghdr *req)
{
	ssize_t n;

	if (!nl->sock)
		return -EBADF;
	nl->err_msg[0] = '\0';
	n = mnl_socket_sendto(nl->sock, req, req->nlmsg_len);
	if (n < 0)
		return -errno;
	if ((size_t)n != req->nlmsg_len)
		return -EIO;
	return 0;
}

/* Keeps the NLMSGERR_ATTR_MSG text of an error, if the kernel sent one. */
static void nl_save_err_msg(struct nl *nl, const struct nlmsghdr *nlh)
{
	const char *text = nl_ext_ack_msg(nlh, nlh->nlmsg_len);

	if (text)
		snprintf(nl->err_msg, sizeof(nl->err_msg), "%s", text);
}

/* A dump that failed part-way says so in the int that NLMSG_DONE carries;
 * libmnl 1.0.4 does not look at it. */
static int nl_done_error(const struct nlmsghdr *nlh)
{
	int err;

	if (mnl_nlmsg_get_payload_len(nlh) < sizeof(err))
		return 0;
	memcpy(&err, mnl_nlmsg_get_payload(nlh), sizeof(err));
	return err < 0 ? err : 0;
}

/* One answer being read: its callback, and the first error met. */
struct nl_answer {
	uint32_t seq;
	mnl_cb_t cb;
	void *data;
	int err;
};

/* NLMSG_ERROR (the ACK, or the error) and NLMSG_DONE end an answer. */
static bool nl_is_last(const struct nlmsghdr *nlh)
{
	return nlh->nlmsg_type == NLMSG_ERROR || nlh->nlmsg_type == NLMSG_DONE;
}

/* Runs the messages of one datagram: 0 when the answer is complete, 1 when
 * more is to come, or -errno. */
static int nl_run(struct nl *nl, size_t len, struct nl_answer *ans)
{
	const struct nlmsghdr *nlh = (const struct nlmsghdr *)nl->buf;
	int remaining = (int)len;
	int ret;

	for (; mnl_nlmsg_ok(nlh, remaining);
	     nlh = mnl_nlmsg_next(nlh, &remaining)) {
		/* Left over from an earlier request. */
		if (nlh->nlmsg_seq != ans->seq)
			continue;
		if (nlh->nlmsg_type == NLMSG_ERROR)
			nl_save_err_msg(nl, nlh);
		ret = nlh->nlmsg_type == NLMSG_DONE ? nl_done_error(nlh) : 0;
		if (ret == 0) {
			errno = 0;
			ret = mnl_cb_run(nlh, nlh->nlmsg_len, ans->seq, nl->portid,
					 ans->cb, ans->data);
			if (ret == MNL_CB_STOP)
				return ans->err;
			if (ret != MNL_CB_ERROR)
				continue;
			ret = errno > 0 ? -errno : -EPROTO;
		}
		if (!ans->err)
			ans->err = ret;
		if (nl_is_last(nlh))
			return ans->err;
		/* Read the rest of the answer without the callback: a dump
		 * left half-read would make the kernel refuse the next one
		 * with -EBUSY. */
		ans->cb = NULL;
	}
	return 1;
}

static int nl_receive(struct nl *nl, struct nl_answer *ans)
{
	struct timespec start, now;
	ssize_t n;
	int ret;

	if (clock_gettime(CLOCK_MONOTONIC, &start) < 0)
		return -errno;
	for (;;) {
		n = mnl_socket_recvfrom(nl->sock, nl->buf, sizeof(nl->buf));
		if (n < 0)
			return errno == EAGAIN ? -ETIMEDOUT : -errno;
		ret = nl_run(nl, (size_t)n, ans);
		if (ret <= 0)
			return ret;
		if (clock_gettime(CLOCK_MONOTONIC, &now) < 0)
			return -errno;
		if (now.tv_sec - start.tv_sec > NL_ANSWER_TIMEOUT_SEC)
			return -ETIMEDOUT;
	}
}

int nl_request(struct nl *nl, struct nlmsghdr *req)
{
	return nl_query(nl, req, NULL, NULL);
}

int nl_query(struct nl *nl, struct nlmsghdr *req, mnl_cb_t cb, void *data)
{
	/* req lives in nl->buf, which the answer overwrites. */
	struct nl_answer ans = { .seq = req->nlmsg_seq, .cb = cb, .data = data };
	int ret;

	ret = nl_send(nl, req);
	if (ret < 0)
		return ret;
	return nl_receive(nl, &ans);
}

static int nl_dump_used_once(struct nl *nl, uint8_t family, mnl_cb_t route_cb,
			     mnl_cb_t addr_cb, void *data)
{
	struct nlmsghdr *nlh = nl_msg_start(nl, RTM_GETROUTE, NLM_F_DUMP);
	struct rtmsg *rtm = mnl_nlmsg_put_extra_header(nlh, sizeof(*rtm));
	struct ifaddrmsg *ifa;
	int ret;

	rtm->rtm_family = family;
	rtm->rtm_table = RT_TABLE_UNSPEC;
	ret = nl_query(nl, nlh, route_cb, data);
	if (ret < 0)
		return ret;
	nlh = nl_msg_start(nl, RTM_GETADDR, NLM_F_DUMP);
	ifa = mnl_nlmsg_put_extra_header(nlh, sizeof(*ifa));
	ifa->ifa_family = family;
	return nl_query(nl, nlh, addr_cb, data);
}

int nl_dump_used(struct nl *nl, uint8_t family, mnl_cb_t route_cb, mnl_cb_t addr_cb,
		 void (*reset)(void *data), void *data)
{
	int ret = -EINTR;

	for (int i = 0; i < NL_DUMP_TRIES && ret == -EINTR; i++) {
		reset(data);
		ret = nl_dump_used_once(nl, family, route_cb, addr_cb, data);
	}
	return ret;
}
