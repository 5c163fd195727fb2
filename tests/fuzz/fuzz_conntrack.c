/* libFuzzer target for nat/conntrack.c's parser: the input is what a
 * read of the ctnetlink dump socket returns, netlink messages one after
 * the other, each handed to conntrack_parse() as the sweep does.
 *
 * libmnl is not instrumented, so a read past the end inside it would go
 * unseen: each message is parsed twice, with the bytes after its length
 * (up to the next 4-byte boundary, where libmnl's walk may look) set to
 * 0x00 and then to 0xff; the results must be the same. An entry that
 * parses is sent back through conntrack_build_delete(), completed into a
 * dump entry (its reply tuple and status added), and must parse back to
 * itself. The staleness rule runs on it too. Broken promises abort. */
#include <arpa/inet.h>
#include <errno.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <linux/netfilter/nf_conntrack_common.h>
#include <linux/netfilter/nfnetlink.h>
#include <linux/netfilter/nfnetlink_conntrack.h>

#include <libmnl/libmnl.h>

#include "conntrack.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define FUZZ_MAX (64 * 1024)

static const struct nat_subnet fuzz_subnets[] = {
	{ .addr = 0xac143000u, .len = 20 },  /* 172.20.48.0/20 */
	{ .addr = 0, .len = 0 },             /* everything */
};
static const uint32_t fuzz_keep[] = { 0xc6336402u, 0 };
static const struct nat_prefix6 fuzz_prefixes[] = {
	{ .addr = { 0xfd, 0x12, 0x34, 0x56, 0x78, 0x9a }, .len = 64 },
	{ .len = 0 },                        /* everything */
};
static const uint8_t fuzz_keep6[][16] = { { 0x20, 0x01, 0x0d, 0xb8, [15] = 2 } };

static _Alignas(uint32_t) uint8_t fuzz_buf[FUZZ_MAX + 4];
static _Alignas(uint32_t) uint8_t fuzz_msg[2 * CONNTRACK_MSG_MAX];

static bool fuzz_tuple_equal(const struct conntrack_tuple *a, const struct conntrack_tuple *b)
{
	if (a->src != b->src || a->dst != b->dst || memcmp(a->src6, b->src6, 16) != 0 ||
	    memcmp(a->dst6, b->dst6, 16) != 0 || a->proto != b->proto ||
	    a->has_ports != b->has_ports || a->has_icmp != b->has_icmp)
		return false;
	if (a->has_ports && (a->sport != b->sport || a->dport != b->dport))
		return false;
	return !a->has_icmp || (a->icmp_id == b->icmp_id && a->icmp_type == b->icmp_type &&
				a->icmp_code == b->icmp_code);
}

static bool fuzz_entry_equal(const struct conntrack_entry *a, const struct conntrack_entry *b)
{
	return a->family == b->family && fuzz_tuple_equal(&a->orig, &b->orig) && fuzz_tuple_equal(&a->reply, &b->reply) &&
	       a->status == b->status && a->has_id == b->has_id &&
	       (!a->has_id || a->id == b->id) && a->has_zone == b->has_zone &&
	       (!a->has_zone || a->zone == b->zone);
}

static void fuzz_round_trip(const struct conntrack_entry *e)
{
	struct conntrack_entry back;
	struct nlmsghdr *nlh;

	memset(fuzz_msg, 0, sizeof(fuzz_msg));
	nlh = conntrack_build_delete(fuzz_msg, CONNTRACK_MSG_MAX, 1, e);
	if (!nlh || nlh->nlmsg_len > CONNTRACK_MSG_MAX ||
	    nlh->nlmsg_type != ((NFNL_SUBSYS_CTNETLINK << 8) | IPCTNL_MSG_CT_DELETE))
		abort();
	nlh->nlmsg_type = (NFNL_SUBSYS_CTNETLINK << 8) | IPCTNL_MSG_CT_NEW;
	conntrack_put_tuple(nlh, CTA_TUPLE_REPLY, e->family, &e->reply);
	mnl_attr_put_u32(nlh, CTA_STATUS, htonl(e->status));
	if (conntrack_parse(nlh, nlh->nlmsg_len, &back) != 0 || !fuzz_entry_equal(e, &back))
		abort();
}

static void fuzz_rule(const struct conntrack_entry *e)
{
	const struct conntrack_scope v4 = {
		.family = AF_INET, .subnets = fuzz_subnets, .n_subnets = 2,
		.keep = fuzz_keep, .n_keep = 2,
	};
	const struct conntrack_scope v6 = {
		.family = AF_INET6, .prefixes = fuzz_prefixes, .n_prefixes = 2,
		.keep6 = fuzz_keep6, .n_keep6 = 1,
	};
	const struct conntrack_scope none4 = { .family = AF_INET };
	const struct conntrack_scope none6 = { .family = AF_INET6 };
	bool stale4 = conntrack_is_stale(e, &v4), stale6 = conntrack_is_stale(e, &v6);

	if ((stale4 || stale6) && !(e->status & IPS_SRC_NAT))
		abort();
	if (stale4 && (e->family != AF_INET || e->reply.dst == e->orig.src ||
		       e->reply.dst == fuzz_keep[0] || e->reply.dst == fuzz_keep[1]))
		abort();
	if (stale6 && (e->family != AF_INET6 || !memcmp(e->reply.dst6, e->orig.src6, 16) ||
		       !memcmp(e->reply.dst6, fuzz_keep6[0], 16)))
		abort();
	if (conntrack_is_stale(e, &none4) || conntrack_is_stale(e, &none6))
		abort();
}

/* One message at buf (len bytes; room for the padding after it). */
static void fuzz_one(uint8_t *buf, size_t len)
{
	size_t pad = MNL_ALIGN(len) - len;
	struct conntrack_entry a, b;
	int ra, rb;

	memset(buf + len, 0, pad);
	ra = conntrack_parse(buf, len, &a);
	memset(buf + len, 0xff, pad);
	rb = conntrack_parse(buf, len, &b);
	if (ra != rb || (ra == 0 && !fuzz_entry_equal(&a, &b)))
		abort();
	if (ra != 0 && ra != -ENOENT && ra != -EINVAL)
		abort();
	if (ra == 0) {
		fuzz_rule(&a);
		fuzz_round_trip(&a);
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const struct nlmsghdr *nlh;
	size_t off = 0;
	int left;

	if (size > FUZZ_MAX)
		return 0;
	/* The input as one message, whatever its header says. */
	memcpy(fuzz_buf, data, size);
	fuzz_one(fuzz_buf, size);
	/* As a dump: each message its own length, the way the sweep reads. */
	memcpy(fuzz_buf, data, size);
	nlh = (const struct nlmsghdr *)fuzz_buf;
	left = (int)size;
	/* libmnl 1.0.4's mnl_nlmsg_ok() compares the length as a signed int:
	 * one of 2 GiB or more passes. mnl_cb_run() has the same walk, over
	 * the kernel's messages only; here the length is checked first. */
	while (mnl_nlmsg_ok(nlh, left) && nlh->nlmsg_len <= (uint32_t)left) {
		size_t len = nlh->nlmsg_len;
		uint8_t keep[4];

		off = (size_t)((const uint8_t *)nlh - fuzz_buf);
		memcpy(keep, fuzz_buf + off + len, MNL_ALIGN(len) - len);
		fuzz_one(fuzz_buf + off, len);
		memcpy(fuzz_buf + off + len, keep, MNL_ALIGN(len) - len);
		nlh = mnl_nlmsg_next(nlh, &left);
	}
	return 0;
}
