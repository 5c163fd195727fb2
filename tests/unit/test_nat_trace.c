/* Tests for nat/nat_trace.c: trace events from their netlink form. */
#include <arpa/inet.h>
#include <endian.h>
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <linux/netfilter.h>
#include <linux/netfilter/nfnetlink.h>
#include <linux/netfilter/nf_tables.h>

#include <libmnl/libmnl.h>

#include <cmocka.h>

#include "nat_trace.h"

static _Alignas(struct nlmsghdr) char buf[4096];
static size_t len;
static struct nat_trace_event got[8];
static unsigned n_got;

static void on_event(void *ctx, const struct nat_trace_event *e)
{
	(void)ctx;
	if (n_got < 8)
		got[n_got++] = *e;
}

/* Appends one NFT_MSG_TRACE; handle 0: none; verdict_attr 0: none. */
static void put_trace(const char *table, const char *chain, uint64_t handle, uint32_t type,
		      uint16_t verdict_attr, int32_t verdict, uint32_t id)
{
	struct nlmsghdr *nlh = mnl_nlmsg_put_header(buf + len);
	struct nfgenmsg *nfg;
	struct nlattr *nest;

	nlh->nlmsg_type = (NFNL_SUBSYS_NFTABLES << 8) | NFT_MSG_TRACE;
	nfg = mnl_nlmsg_put_extra_header(nlh, sizeof(*nfg));
	nfg->nfgen_family = NFPROTO_INET;
	mnl_attr_put_strz(nlh, NFTA_TRACE_TABLE, table);
	mnl_attr_put_strz(nlh, NFTA_TRACE_CHAIN, chain);
	if (handle)
		mnl_attr_put_u64(nlh, NFTA_TRACE_RULE_HANDLE, htobe64(handle));
	mnl_attr_put_u32(nlh, NFTA_TRACE_TYPE, htonl(type));
	mnl_attr_put_u32(nlh, NFTA_TRACE_ID, htonl(id));
	if (verdict_attr == NFTA_TRACE_VERDICT) {
		nest = mnl_attr_nest_start(nlh, NFTA_TRACE_VERDICT);
		mnl_attr_put_u32(nlh, NFTA_VERDICT_CODE, htonl((uint32_t)verdict));
		mnl_attr_nest_end(nlh, nest);
	} else if (verdict_attr == NFTA_TRACE_POLICY) {
		mnl_attr_put_u32(nlh, NFTA_TRACE_POLICY, htonl((uint32_t)verdict));
	}
	len += nlh->nlmsg_len;
}

static int setup(void **state)
{
	(void)state;
	memset(buf, 0, sizeof(buf));
	len = 0;
	n_got = 0;
	return 0;
}

static void test_datagram(void **state)
{
	(void)state;
	put_trace("defnet", "trace", 15, NFT_TRACETYPE_RULE, NFTA_TRACE_VERDICT, NFT_CONTINUE, 7);
	/* A chain entered: a rule event without a rule, left out. */
	put_trace("defnet", "trace", 0, NFT_TRACETYPE_RULE, NFTA_TRACE_VERDICT, NFT_CONTINUE, 7);
	put_trace("defnet", "trace", 0, NFT_TRACETYPE_POLICY, NFTA_TRACE_POLICY, NF_ACCEPT, 7);
	put_trace("hostile", "forward", 2, NFT_TRACETYPE_RULE, NFTA_TRACE_VERDICT, NF_DROP, 9);
	assert_int_equal(nat_trace_parse(buf, len, on_event, NULL), 3);
	assert_int_equal(n_got, 3);
	assert_string_equal(got[0].table, "defnet");
	assert_string_equal(got[0].chain, "trace");
	assert_int_equal(got[0].handle, 15);
	assert_int_equal(got[0].id, 7);
	assert_true(got[0].has_verdict);
	assert_int_equal(got[0].verdict, NFT_CONTINUE);
	assert_int_equal(got[1].type, NFT_TRACETYPE_POLICY);
	assert_int_equal(got[1].verdict, NF_ACCEPT);
	assert_string_equal(got[2].table, "hostile");
	assert_int_equal(got[2].handle, 2);
	assert_int_equal(got[2].verdict, NF_DROP);
}

static void test_malformed(void **state)
{
	(void)state;
	put_trace("defnet", "trace", 15, NFT_TRACETYPE_RULE, NFTA_TRACE_VERDICT, NF_ACCEPT, 1);
	assert_int_equal(nat_trace_parse(buf, len - 1, on_event, NULL), -EPROTO);
	assert_int_equal(nat_trace_parse(buf, 3, on_event, NULL), -EPROTO);
	assert_int_equal(nat_trace_parse(buf, 0, on_event, NULL), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup(test_datagram, setup),
		cmocka_unit_test_setup(test_malformed, setup),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
