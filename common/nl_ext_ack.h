/* The kernel's text in a netlink error: the extended ACK of Linux 4.12+
 * (NETLINK_EXT_ACK), for rtnetlink and nftables alike. */
#ifndef DEFNET_NL_EXT_ACK_H
#define DEFNET_NL_EXT_ACK_H

#include <stddef.h>

#include <linux/netlink.h>

/* The NLMSGERR_ATTR_MSG string of the NLMSG_ERROR at nlh, or NULL when it
 * carries none. Reads no more than len bytes, nor past its nlmsg_len; the
 * string points into the message. */
const char *nl_ext_ack_msg(const struct nlmsghdr *nlh, size_t len);

#endif
