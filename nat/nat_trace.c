/* Trace events from their netlink form: see nat_trace.h. The attributes
 * are read with libmnl and checked here: libnftnl's trace parser exits
 * the process on an attribute of the wrong size. */
#include <arpa/inet.h>
#include <endian.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include <linux/netfilter/nfnetlink.h>
#include <linux/netfilter/nf_tables.h>

#include <libmnl/libmnl.h>

#include "nat_trace.h"

/* The attributes of one NFT_MSG_TRACE we use, by type. */
struct nat_trace_attrs {
	const struct nlattr *tb[NFTA_TRACE_MAX + 1];
	const struct nlattr *code;   /* NFTA_VERDICT_CODE inside NFTA_TRACE_VERDICT */
};

static int nat_trace_verdict_cb(const struct nlattr *attr, void *data)
{
	struct nat_trace_attrs *a = data;

	if (mnl_attr_get_type(attr) == NFTA_VERDICT_CODE &&
	    mnl_attr_validate(attr, MNL_TYPE_U32) == 0)
		a->code = attr;
	return MNL_CB_OK;
}

/* Only attributes of the right size are kept; the rest are ignored. */
static int nat_trace_attr_cb(const struct nlattr *attr, void *data)
{
	struct nat_trace_attrs *a = data;
	uint16_t type = mnl_attr_get_type(attr);
	int ok;

	switch (type) {
	case NFTA_TRACE_TABLE:
	case NFTA_TRACE_CHAIN:
		ok = mnl_attr_validate(attr, MNL_TYPE_NUL_STRING) == 0;
		break;
	case NFTA_TRACE_RULE_HANDLE:
		ok = mnl_attr_validate(attr, MNL_TYPE_U64) == 0;
		break;
	case NFTA_TRACE_TYPE:
	case NFTA_TRACE_ID:
	case NFTA_TRACE_POLICY:
		ok = mnl_attr_validate(attr, MNL_TYPE_U32) == 0;
		break;
	case NFTA_TRACE_VERDICT:
		ok = mnl_attr_validate(attr, MNL_TYPE_NESTED) == 0 &&
		     mnl_attr_parse_nested(attr, nat_trace_verdict_cb, a) == MNL_CB_OK;
		break;
	default:
		ok = 0;
	}
	if (ok)
		a->tb[type] = attr;
	return MNL_CB_OK;
}

static uint32_t nat_trace_u32(const struct nlattr *attr)
{
	return ntohl(mnl_attr_get_u32(attr));
}

/* An event, or false for a message without table, chain or type, and for
 * a rule event without a rule (the kernel's note that a chain was
 * entered). */
static bool nat_trace_event_from(const struct nlmsghdr *nlh, struct nat_trace_event *e)
{
	const struct nfgenmsg *nfg = mnl_nlmsg_get_payload(nlh);
	struct nat_trace_attrs a = { 0 };
	const struct nlattr *const *tb = a.tb;

	*e = (struct nat_trace_event){ 0 };
	if (mnl_nlmsg_get_payload_len(nlh) < sizeof(*nfg) ||
	    mnl_attr_parse(nlh, sizeof(*nfg), nat_trace_attr_cb, &a) != MNL_CB_OK ||
	    !tb[NFTA_TRACE_TABLE] || !tb[NFTA_TRACE_CHAIN] || !tb[NFTA_TRACE_TYPE])
		return false;
	e->type = nat_trace_u32(tb[NFTA_TRACE_TYPE]);
	if (e->type == NFT_TRACETYPE_RULE && !tb[NFTA_TRACE_RULE_HANDLE])
		return false;
	if (e->type == NFT_TRACETYPE_RULE)
		e->handle = be64toh(mnl_attr_get_u64(tb[NFTA_TRACE_RULE_HANDLE]));
	e->family = nfg->nfgen_family;
	e->id = tb[NFTA_TRACE_ID] ? nat_trace_u32(tb[NFTA_TRACE_ID]) : 0;
	snprintf(e->table, sizeof(e->table), "%s", mnl_attr_get_str(tb[NFTA_TRACE_TABLE]));
	snprintf(e->chain, sizeof(e->chain), "%s", mnl_attr_get_str(tb[NFTA_TRACE_CHAIN]));
	/* A policy's verdict comes as NFTA_TRACE_POLICY, a rule's as
	 * NFTA_TRACE_VERDICT. */
	if (e->type == NFT_TRACETYPE_POLICY && tb[NFTA_TRACE_POLICY]) {
		e->has_verdict = true;
		e->verdict = (int32_t)nat_trace_u32(tb[NFTA_TRACE_POLICY]);
	} else if (a.code) {
		e->has_verdict = true;
		e->verdict = (int32_t)nat_trace_u32(a.code);
	}
	return true;
}

/* mnl_nlmsg_ok() compares the length as a signed int: a length of 2^31
 * or more passes it, and the walk jumps outside the buffer. And libmnl
 * reads attributes up to the length rounded up to 4 bytes, so that much
 * must be in the buffer (the kernel always pads). */
bool nat_msg_fits(const struct nlmsghdr *nlh, int remaining)
{
	return remaining >= (int)sizeof(*nlh) && nlh->nlmsg_len >= sizeof(*nlh) &&
	       nlh->nlmsg_len <= (unsigned)remaining &&
	       MNL_ALIGN(nlh->nlmsg_len) <= (unsigned)remaining;
}

int nat_datagram_each(const void *buf, size_t len, uint16_t type, nat_msg_fn fn, void *ctx)
{
	const struct nlmsghdr *nlh = buf;
	int remaining = len > 1 << 20 ? -1 : (int)len, n = 0;

	if (remaining < 0)
		return -EPROTO;
	for (; nat_msg_fits(nlh, remaining); nlh = mnl_nlmsg_next(nlh, &remaining))
		if (nlh->nlmsg_type == type && fn(nlh, ctx))
			n++;
	return remaining == 0 ? n : -EPROTO;
}

struct nat_trace_walk {
	nat_trace_fn fn;
	void *ctx;
};

static bool nat_trace_one(const struct nlmsghdr *nlh, void *arg)
{
	struct nat_trace_walk *w = arg;
	struct nat_trace_event e;

	if (!nat_trace_event_from(nlh, &e))
		return false;
	w->fn(w->ctx, &e);
	return true;
}

int nat_trace_parse(const void *buf, size_t len, nat_trace_fn fn, void *ctx)
{
	struct nat_trace_walk w = { fn, ctx };

	return nat_datagram_each(buf, len, (NFNL_SUBSYS_NFTABLES << 8) | NFT_MSG_TRACE,
				 nat_trace_one, &w);
}
