/* Netlink extended ACKs: pure code over the bytes of one message. */
#include <stdint.h>
#include <string.h>

#include "nl_ext_ack.h"

/* NLMSG_ALIGN() and NLA_ALIGN() (both to 4) for a size_t: the macros'
 * mask is an unsigned int. */
static size_t nl_align(size_t n)
{
	return (n + NLMSG_ALIGNTO - 1) & ~(size_t)(NLMSG_ALIGNTO - 1);
}

const char *nl_ext_ack_msg(const struct nlmsghdr *nlh, size_t len)
{
	const uint8_t *p = (const uint8_t *)nlh;
	struct nlmsghdr hdr;
	struct nlmsgerr err;
	struct nlattr attr;
	size_t off, end, echo, text_len;

	if (!nlh || len < sizeof(hdr))
		return NULL;
	memcpy(&hdr, p, sizeof(hdr));
	if (hdr.nlmsg_type != NLMSG_ERROR || !(hdr.nlmsg_flags & NLM_F_ACK_TLVS))
		return NULL;
	end = hdr.nlmsg_len < len ? hdr.nlmsg_len : len;
	off = NLMSG_HDRLEN;
	if (end < off + sizeof(err))
		return NULL;
	memcpy(&err, p + off, sizeof(err));
	off += sizeof(err);
	/* Uncapped (no NETLINK_CAP_ACK), the failed request's payload sits
	 * between struct nlmsgerr and the attributes. */
	if (!(hdr.nlmsg_flags & NLM_F_CAPPED)) {
		if (err.msg.nlmsg_len < sizeof(struct nlmsghdr))
			return NULL;
		echo = err.msg.nlmsg_len - sizeof(struct nlmsghdr);
		if (echo > end - off)
			return NULL;
		off += echo;
	}
	for (off = nl_align(off); off + NLA_HDRLEN <= end; off += nl_align(attr.nla_len)) {
		memcpy(&attr, p + off, sizeof(attr));
		if (attr.nla_len < NLA_HDRLEN || attr.nla_len > end - off)
			return NULL;
		text_len = attr.nla_len - NLA_HDRLEN;
		if ((attr.nla_type & NLA_TYPE_MASK) == NLMSGERR_ATTR_MSG && text_len > 0 &&
		    p[off + NLA_HDRLEN + text_len - 1] == '\0')
			return (const char *)(p + off + NLA_HDRLEN);
	}
	return NULL;
}
