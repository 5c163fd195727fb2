/* A synchronous rtnetlink channel over libmnl, for the daemon's own
 * requests (set-up and queries). Every request asks for an ACK and the
 * kernel's errno comes back as the return value. */
#ifndef DEFNET_NL_H
#define DEFNET_NL_H

#include <libmnl/libmnl.h>
#include <stdint.h>

/* libmnl's MNL_SOCKET_BUFFER_SIZE calls sysconf(), so it cannot size an
 * array member; 32 KiB holds the largest dump batch the kernel sends. */
#define NL_BUF_SIZE 32768
#define NL_ERR_MSG_SIZE 128

struct nl {
	struct mnl_socket *sock;
	uint32_t portid;
	uint32_t seq;
	/* The kernel's extended ACK text for the last failed request, or "". */
	char err_msg[NL_ERR_MSG_SIZE];
	char buf[NL_BUF_SIZE];  /* one request or reply at a time */
};

/* Opens a NETLINK_ROUTE socket. Returns 0 or -errno. */
int nl_open(struct nl *nl);
void nl_close(struct nl *nl);

/* Starts a request of the given type and flags in nl->buf (NLM_F_REQUEST
 * and NLM_F_ACK are added, and a fresh sequence number). */
struct nlmsghdr *nl_msg_start(struct nl *nl, uint16_t type, uint16_t flags);

/* Sends the request built in nl->buf and waits for the kernel's ACK.
 * Returns 0 or the kernel's -errno. */
int nl_request(struct nl *nl, struct nlmsghdr *req);

/* Sends a request (a dump, or a get) and calls cb for each reply message
 * until the kernel says done. Returns 0 or -errno. */
int nl_query(struct nl *nl, struct nlmsghdr *req, mnl_cb_t cb, void *data);

/* A dump that raced with a change of the tables is marked interrupted
 * (NLM_F_DUMP_INTR) and taken again; tables that keep changing this many
 * times give -EINTR to the caller, who will try later. */
#define NL_DUMP_TRIES 3

/* What the host uses of one family: every route of every table (local,
 * main and policy routing's), then every address, each message through
 * its callback. An interrupted dump starts again after reset(data), at
 * most NL_DUMP_TRIES times. Returns 0 or -errno. */
int nl_dump_used(struct nl *nl, uint8_t family, mnl_cb_t route_cb, mnl_cb_t addr_cb,
		 void (*reset)(void *data), void *data);

#endif
