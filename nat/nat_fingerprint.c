/* What the table inet defnet holds now, reduced to one number: see
 * nat_apply.h. Chains and rules are read back (NFT_MSG_GETCHAIN and
 * NFT_MSG_GETRULE dumps) and their identities folded in: names, handles
 * (never reused within a table, so a rule deleted and added back differs)
 * and policies. Counters and other values that move with traffic are left
 * out. */
#include <errno.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>

#include <linux/netfilter.h>
#include <linux/netfilter/nf_tables.h>

#include <libmnl/libmnl.h>
#include <libnftnl/chain.h>
#include <libnftnl/common.h>
#include <libnftnl/rule.h>
#include <libnftnl/table.h>

#include "nat_apply.h"

#define NAT_FP_BUF_SIZE 32768
/* FNV-1a, 64 bits. */
#define NAT_FP_BASIS 0xcbf29ce484222325ull
#define NAT_FP_PRIME 0x100000001b3ull

struct nat_fp_ctx {
	uint64_t h;
	unsigned n;
};

static void nat_fp_add(struct nat_fp_ctx *f, const void *p, size_t len)
{
	const unsigned char *b = p;

	for (size_t i = 0; i < len; i++) {
		f->h ^= b[i];
		f->h *= NAT_FP_PRIME;
	}
}

static void nat_fp_add_str(struct nat_fp_ctx *f, const char *s)
{
	nat_fp_add(f, s ? s : "", s ? strlen(s) + 1 : 1);
}

static void nat_fp_add_u64(struct nat_fp_ctx *f, uint64_t v)
{
	nat_fp_add(f, &v, sizeof(v));
}

static bool nat_fp_ours(const char *table, uint32_t family)
{
	return table && family == NFPROTO_INET && strcmp(table, NAT_TABLE_NAME) == 0;
}

static int nat_fp_chain_cb(const struct nlmsghdr *nlh, void *data)
{
	struct nftnl_chain *c = nftnl_chain_alloc();
	struct nat_fp_ctx *f = data;

	if (!c)
		return MNL_CB_ERROR;
	if (nftnl_chain_nlmsg_parse(nlh, c) == 0 &&
	    nat_fp_ours(nftnl_chain_get_str(c, NFTNL_CHAIN_TABLE),
			nftnl_chain_get_u32(c, NFTNL_CHAIN_FAMILY))) {
		nat_fp_add_str(f, "chain");
		nat_fp_add_str(f, nftnl_chain_get_str(c, NFTNL_CHAIN_NAME));
		nat_fp_add_u64(f, nftnl_chain_get_u64(c, NFTNL_CHAIN_HANDLE));
		nat_fp_add_u64(f, nftnl_chain_is_set(c, NFTNL_CHAIN_POLICY) ?
				  nftnl_chain_get_u32(c, NFTNL_CHAIN_POLICY) : NF_ACCEPT);
		f->n++;
	}
	nftnl_chain_free(c);
	return MNL_CB_OK;
}

static int nat_fp_rule_cb(const struct nlmsghdr *nlh, void *data)
{
	struct nftnl_rule *r = nftnl_rule_alloc();
	struct nat_fp_ctx *f = data;

	if (!r)
		return MNL_CB_ERROR;
	if (nftnl_rule_nlmsg_parse(nlh, r) == 0 &&
	    nat_fp_ours(nftnl_rule_get_str(r, NFTNL_RULE_TABLE),
			nftnl_rule_get_u32(r, NFTNL_RULE_FAMILY))) {
		nat_fp_add_str(f, nftnl_rule_get_str(r, NFTNL_RULE_CHAIN));
		nat_fp_add_u64(f, nftnl_rule_get_u64(r, NFTNL_RULE_HANDLE));
		f->n++;
	}
	nftnl_rule_free(r);
	return MNL_CB_OK;
}

static int nat_fp_table_cb(const struct nlmsghdr *nlh, void *data)
{
	struct nftnl_table *t = nftnl_table_alloc();
	struct nat_fp_ctx *f = data;

	if (!t)
		return MNL_CB_ERROR;
	if (nftnl_table_nlmsg_parse(nlh, t) == 0)
		nat_fp_add_u64(f, nftnl_table_get_u64(t, NFTNL_TABLE_HANDLE));
	nftnl_table_free(t);
	return MNL_CB_OK;
}

int nat_dump_receive(struct mnl_socket *sock, char *buf, size_t buflen, uint32_t seq,
		     mnl_cb_t cb, void *data)
{
	struct pollfd pfd = { .fd = mnl_socket_get_fd(sock), .events = POLLIN };
	uint32_t portid = mnl_socket_get_portid(sock);
	ssize_t n;
	int r;

	for (;;) {
		r = poll(&pfd, 1, NAT_RECV_TIMEOUT_MS);
		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0)
			return r < 0 ? -errno : -ETIMEDOUT;
		n = mnl_socket_recvfrom(sock, buf, buflen);
		if (n < 0)
			return -errno;
		errno = 0;
		r = mnl_cb_run(buf, (size_t)n, seq, portid, cb, data);
		if (r == MNL_CB_STOP)
			return 0;
		if (r == MNL_CB_ERROR)
			return errno ? -errno : -EPROTO;
	}
}

/* One request for the table inet defnet: a GET of the table itself, or a
 * dump of the family's chains or rules (the kernel filters rules by table;
 * chains are filtered in the callback). */
static int nat_fp_request(struct nat_conn *c, char *buf, uint16_t type,
			  mnl_cb_t cb, struct nat_fp_ctx *f)
{
	uint16_t flags = type == NFT_MSG_GETTABLE ? NLM_F_ACK : NLM_F_DUMP;
	uint32_t seq = c->seq++;
	struct nlmsghdr *nlh = nftnl_nlmsg_build_hdr(buf, type, NFPROTO_INET, flags, seq);

	if (type != NFT_MSG_GETCHAIN)
		mnl_attr_put_strz(nlh, type == NFT_MSG_GETTABLE ? NFTA_TABLE_NAME : NFTA_RULE_TABLE,
				  NAT_TABLE_NAME);
	if (mnl_socket_sendto(c->sock, nlh, nlh->nlmsg_len) < 0)
		return -errno;
	return nat_dump_receive(c->sock, buf, NAT_FP_BUF_SIZE, seq, cb, f);
}

int nat_conn_fingerprint(struct nat_conn *c, uint64_t *fp)
{
	struct nat_fp_ctx f = { .h = NAT_FP_BASIS };
	char *buf;
	int r;

	if (!c->sock)
		return -EINVAL;
	buf = calloc(1, NAT_FP_BUF_SIZE);  /* attribute padding goes out as zeros */
	if (!buf)
		return -ENOMEM;
	r = nat_fp_request(c, buf, NFT_MSG_GETTABLE, nat_fp_table_cb, &f);
	if (r == 0)
		r = nat_fp_request(c, buf, NFT_MSG_GETCHAIN, nat_fp_chain_cb, &f);
	if (r == 0)
		r = nat_fp_request(c, buf, NFT_MSG_GETRULE, nat_fp_rule_cb, &f);
	free(buf);
	if (r == 0 && f.n == 0)
		r = -ENOENT;
	if (r == 0)
		*fp = f.h;
	return r;
}
