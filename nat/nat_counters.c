/* The guards' counters: see nat_counters.h. */
#include <errno.h>
#include <poll.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>

#include <linux/netfilter.h>
#include <linux/netfilter/nf_tables.h>
#include <linux/netfilter/nfnetlink.h>

#include <libmnl/libmnl.h>
#include <libnftnl/common.h>
#include <libnftnl/object.h>

#include "nat_apply.h"
#include "nat_counters.h"

#define NAT_COUNTERS_BUF 8192
#define NAT_COUNTERS_REQ 512     /* one GETOBJ naming the table */
/* A dump of a handful of objects comes in a few datagrams. */
#define NAT_COUNTERS_MAX_READS 64

static int nat_counters_obj(const struct nlmsghdr *nlh, void *data)
{
	struct nat_guard_counts *c = data;
	struct nftnl_obj *o = nftnl_obj_alloc();
	const char *name;
	int g, ret = MNL_CB_OK;

	if (!o)
		return MNL_CB_ERROR;
	if (nftnl_obj_nlmsg_parse(nlh, o) < 0) {
		ret = MNL_CB_ERROR;
		goto out;
	}
	name = nftnl_obj_get_str(o, NFTNL_OBJ_NAME);
	if (!name || nftnl_obj_get_u32(o, NFTNL_OBJ_TYPE) != NFT_OBJECT_COUNTER ||
	    strcmp(nftnl_obj_get_str(o, NFTNL_OBJ_TABLE), NAT_TABLE_NAME) != 0)
		goto out;
	for (g = 0; g < NAT_GUARD_COUNT; g++) {
		if (strcmp(name, nat_guard_spec((enum nat_guard)g)->counter) != 0)
			continue;
		c->present[g] = true;
		c->packets[g] = nftnl_obj_get_u64(o, NFTNL_OBJ_CTR_PKTS);
		c->bytes[g] = nftnl_obj_get_u64(o, NFTNL_OBJ_CTR_BYTES);
	}
out:
	nftnl_obj_free(o);
	return ret;
}

int nat_counters_feed(struct nat_guard_counts *c, const void *buf, size_t len, uint32_t seq)
{
	int ret = mnl_cb_run(buf, len, seq, 0, nat_counters_obj, c);

	if (ret == MNL_CB_STOP)
		return 1;
	if (ret == MNL_CB_OK)
		return 0;
	return errno ? -errno : -EPROTO;
}

/* GETOBJ, dumping the counters of table bridge defnet. */
static size_t nat_counters_request(char *buf, uint32_t seq)
{
	struct nftnl_obj *o = nftnl_obj_alloc();
	struct nlmsghdr *nlh;

	if (!o)
		return 0;
	nftnl_obj_set_str(o, NFTNL_OBJ_TABLE, NAT_TABLE_NAME);
	nftnl_obj_set_u32(o, NFTNL_OBJ_TYPE, NFT_OBJECT_COUNTER);
	nlh = nftnl_nlmsg_build_hdr(buf, NFT_MSG_GETOBJ, NFPROTO_BRIDGE,
				    NLM_F_DUMP | NLM_F_ACK, seq);
	nftnl_obj_nlmsg_build_payload(nlh, o);
	nftnl_obj_free(o);
	return nlh->nlmsg_len;
}

static int nat_counters_receive(struct mnl_socket *sock, struct nat_guard_counts *c,
				uint32_t seq)
{
	_Alignas(uint32_t) char buf[NAT_COUNTERS_BUF];
	struct pollfd pfd = { .fd = mnl_socket_get_fd(sock), .events = POLLIN };
	ssize_t n;
	int ret = 0;

	for (int i = 0; i < NAT_COUNTERS_MAX_READS && ret == 0; i++) {
		ret = poll(&pfd, 1, NAT_RECV_TIMEOUT_MS);
		if (ret <= 0)
			return ret < 0 ? -errno : -ETIMEDOUT;
		n = mnl_socket_recvfrom(sock, buf, sizeof(buf));
		if (n < 0)
			return -errno;
		ret = nat_counters_feed(c, buf, (size_t)n, seq);
	}
	return ret == 1 ? 0 : (ret < 0 ? ret : -ETIMEDOUT);
}

int nat_counters_read(struct nat_guard_counts *c)
{
	/* Zeroed: attribute padding goes out as zeros. */
	_Alignas(uint32_t) char req[NAT_COUNTERS_REQ] = { 0 };
	uint32_t seq = (uint32_t)time(NULL);
	struct mnl_socket *sock;
	size_t len;
	int ret;

	memset(c, 0, sizeof(*c));
	len = nat_counters_request(req, seq);
	if (!len)
		return -ENOMEM;
	sock = mnl_socket_open2(NETLINK_NETFILTER, SOCK_CLOEXEC);
	if (!sock)
		return -errno;
	if (mnl_socket_bind(sock, 0, MNL_SOCKET_AUTOPID) < 0 ||
	    mnl_socket_sendto(sock, req, len) < 0)
		ret = -errno;
	else
		ret = nat_counters_receive(sock, c, seq);
	mnl_socket_close(sock);
	return ret;
}
