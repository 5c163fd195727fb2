/* Tests for nat/: the ruleset model, its batch encoding (built, then parsed
 * back with libnftnl's own parsers, no kernel), and the mapping of the
 * kernel's answers to the objects that failed. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <arpa/inet.h>
#include <netinet/in.h>

#include <linux/if_ether.h>

#include <linux/netfilter.h>
#include <linux/netfilter/nf_tables.h>
#include <linux/netfilter/nfnetlink.h>
#include <linux/netfilter/nfnetlink_log.h>
#include <linux/netlink.h>
#include <linux/rtnetlink.h>
#include <linux/netfilter/nf_conntrack_common.h>

#include <libmnl/libmnl.h>
#include <libnftnl/chain.h>
#include <libnftnl/expr.h>
#include <libnftnl/object.h>
#include <libnftnl/rule.h>
#include <libnftnl/set.h>
#include <libnftnl/table.h>

#include <cmocka.h>

#include "nat_apply.h"
#include "nat_batch.h"
#include "nat_counters.h"
#include "nat_ruleset.h"
#include "nat_spoof.h"
#include "nat_nflog.h"

#define SEQ0 1000u
#define SUBNET_A 0xac143000u  /* 172.20.48.0/20 */
#define SUBNET_B 0x0a090000u  /* 10.9.0.0/24 */
#define MAX_PARSED 256
#define GUEST_A 0xac143005u   /* 172.20.48.5 */
/* fd12:3456:789a:1::/64 and an EUI-64 address in it. */
static const uint8_t PREFIX6[16] = { 0xfd, 0x12, 0x34, 0x56, 0x78, 0x9a, 0, 1 };
static const uint8_t GUEST6_A[16] = { 0xfd, 0x12, 0x34, 0x56, 0x78, 0x9a, 0, 1,
				      0x50, 0x54, 0x00, 0xff, 0xfe, 0x00, 0x66, 0x01 };

static uint16_t nft_type(uint16_t cmd)
{
	return (uint16_t)((NFNL_SUBSYS_NFTABLES << 8) | cmd);
}

/* --- the batch, split into its messages ----------------------------- */

struct parsed {
	size_t n;
	const struct nlmsghdr *nlh[MAX_PARSED];
};

static void parse_batch(const struct nat_batch *b, struct parsed *p)
{
	const struct nlmsghdr *nlh = (const struct nlmsghdr *)b->buf;
	int remaining = (int)b->len;

	p->n = 0;
	for (; mnl_nlmsg_ok(nlh, remaining);
	     nlh = mnl_nlmsg_next(nlh, &remaining)) {
		assert_true(p->n < MAX_PARSED);
		p->nlh[p->n++] = nlh;
	}
	/* Every byte belongs to a whole message. */
	assert_int_equal(remaining, 0);
}

static struct nat_ruleset ruleset(size_t n_subnets, bool masquerade)
{
	struct nat_ruleset rs;

	assert_int_equal(nat_ruleset_init(&rs, "defnet0", masquerade), 0);
	/* The inet table alone; test_batch_guards covers the bridge table. */
	rs.guard_dhcp_servers = rs.guard_router_ads = false;
	if (n_subnets >= 1)
		assert_int_equal(nat_ruleset_add_subnet(&rs, SUBNET_A, 20), 0);
	if (n_subnets >= 2)
		assert_int_equal(nat_ruleset_add_subnet(&rs, SUBNET_B, 24), 0);
	return rs;
}

static struct nat_batch *build(const struct nat_ruleset *rs,
			       enum nat_batch_mode mode, struct parsed *p)
{
	struct nat_batch *b = malloc(sizeof(*b));

	assert_non_null(b);
	assert_int_equal(nat_batch_build_apply(b, rs, SEQ0, mode), 0);
	parse_batch(b, p);
	return b;
}

/* The parsed rules of one chain of family's table, in order. */
static size_t family_rules(const struct parsed *p, uint32_t family, const char *chain,
			   struct nftnl_rule **out, size_t max)
{
	struct nftnl_rule *r;
	size_t i, n = 0;

	for (i = 0; i < p->n; i++) {
		if (p->nlh[i]->nlmsg_type != nft_type(NFT_MSG_NEWRULE))
			continue;
		r = nftnl_rule_alloc();
		assert_non_null(r);
		assert_int_equal(nftnl_rule_nlmsg_parse(p->nlh[i], r), 0);
		assert_string_equal(nftnl_rule_get_str(r, NFTNL_RULE_TABLE), "defnet");
		if (nftnl_rule_get_u32(r, NFTNL_RULE_FAMILY) != family ||
		    strcmp(nftnl_rule_get_str(r, NFTNL_RULE_CHAIN), chain) != 0 ||
		    n >= max) {
			nftnl_rule_free(r);
			continue;
		}
		out[n++] = r;
	}
	return n;
}

static size_t chain_rules(const struct parsed *p, const char *chain,
			  struct nftnl_rule **out, size_t max)
{
	return family_rules(p, NFPROTO_INET, chain, out, max);
}

static void free_rules(struct nftnl_rule **r, size_t n)
{
	while (n > 0)
		nftnl_rule_free(r[--n]);
}

/* The expression names of a rule, joined by spaces. */
static void expr_names(const struct nftnl_rule *r, char *buf, size_t len)
{
	struct nftnl_expr_iter *it = nftnl_expr_iter_create(r);
	struct nftnl_expr *e;
	size_t used = 0;

	assert_non_null(it);
	buf[0] = '\0';
	while ((e = nftnl_expr_iter_next(it)) != NULL) {
		used += (size_t)snprintf(buf + used, len - used, "%s%s",
					 used ? " " : "",
					 nftnl_expr_get_str(e, NFTNL_EXPR_NAME));
		assert_true(used < len);
	}
	nftnl_expr_iter_destroy(it);
}

/* The idx-th expression (from 0) of a rule; the rule owns it. */
static struct nftnl_expr *expr_at(const struct nftnl_rule *r, size_t idx)
{
	struct nftnl_expr_iter *it = nftnl_expr_iter_create(r);
	struct nftnl_expr *e;

	assert_non_null(it);
	do {
		e = nftnl_expr_iter_next(it);
		assert_non_null(e);
	} while (idx-- > 0);
	nftnl_expr_iter_destroy(it);
	return e;
}

static void assert_expr_data(const struct nftnl_expr *e, uint16_t attr,
			     const void *want, uint32_t want_len)
{
	uint32_t len = 0;
	const void *data = nftnl_expr_get(e, attr, &len);

	assert_non_null(data);
	assert_int_equal(len, want_len);
	assert_memory_equal(data, want, want_len);
}

static void assert_cmp(const struct nftnl_expr *e, uint32_t op,
		       const void *data, uint32_t len)
{
	assert_string_equal(nftnl_expr_get_str(e, NFTNL_EXPR_NAME), "cmp");
	assert_int_equal(nftnl_expr_get_u32(e, NFTNL_EXPR_CMP_OP), op);
	assert_int_equal(nftnl_expr_get_u32(e, NFTNL_EXPR_CMP_SREG), NFT_REG_1);
	assert_expr_data(e, NFTNL_EXPR_CMP_DATA, data, len);
}

/* meta KEY, then cmp OP against the bridge's name with its NUL padding. */
static void assert_iface(const struct nftnl_rule *r, size_t idx, uint32_t key,
			 uint32_t op)
{
	char name[IFNAMSIZ] = "defnet0";
	const struct nftnl_expr *e = expr_at(r, idx);

	assert_string_equal(nftnl_expr_get_str(e, NFTNL_EXPR_NAME), "meta");
	assert_int_equal(nftnl_expr_get_u32(e, NFTNL_EXPR_META_KEY), key);
	assert_cmp(expr_at(r, idx + 1), op, name, sizeof(name));
}

static void assert_verdict(const struct nftnl_rule *r, size_t idx,
			   uint32_t verdict)
{
	const struct nftnl_expr *e = expr_at(r, idx);

	assert_string_equal(nftnl_expr_get_str(e, NFTNL_EXPR_NAME), "immediate");
	assert_int_equal(nftnl_expr_get_u32(e, NFTNL_EXPR_IMM_DREG), NFT_REG_VERDICT);
	assert_int_equal(nftnl_expr_get_u32(e, NFTNL_EXPR_IMM_VERDICT), verdict);
}

/* --- the model ------------------------------------------------------ */

static void test_ruleset_bridge_names(void **state)
{
	static const char *const bad[] = {
		"", "defnet0toolong16", "a/b", "a b", "a:b", ".", "..",
		"tab\tname", "\x7f", "caf\xc3\xa9",
	};
	static const char *const good[] = {
		"defnet0", "br-x", "a", "defnet0toolong1", "...", "v.1", "br_0@x",
	};
	struct nat_ruleset rs;
	size_t i;

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		assert_int_equal(nat_ruleset_init(&rs, bad[i], true), -EINVAL);
	assert_int_equal(nat_ruleset_init(&rs, NULL, true), -EINVAL);
	for (i = 0; i < sizeof(good) / sizeof(good[0]); i++) {
		assert_int_equal(nat_ruleset_init(&rs, good[i], false), 0);
		assert_string_equal(rs.bridge, good[i]);
		assert_false(rs.masquerade);
		assert_int_equal(rs.n_subnets, 0);
	}
}

static void test_ruleset_subnets(void **state)
{
	struct nat_ruleset rs;

	assert_int_equal(nat_ruleset_init(&rs, "defnet0", true), 0);
	/* No subnet yet: not a table we can build. */
	assert_int_equal(nat_ruleset_check(&rs), -EINVAL);
	assert_int_equal(nat_ruleset_add_subnet(&rs, SUBNET_A | 1, 20), -EINVAL);
	assert_int_equal(nat_ruleset_add_subnet(&rs, 0, 0), -EINVAL);
	assert_int_equal(nat_ruleset_add_subnet(&rs, SUBNET_A, 33), -EINVAL);
	assert_int_equal(rs.n_subnets, 0);
	assert_int_equal(nat_ruleset_add_subnet(&rs, SUBNET_A, 20), 0);
	assert_int_equal(nat_ruleset_check(&rs), 0);
	assert_int_equal(nat_ruleset_add_subnet(&rs, 0xc0a80101, 32), 0);
	assert_int_equal(nat_ruleset_add_subnet(&rs, SUBNET_B, 24), -ENOSPC);
	assert_int_equal(rs.n_subnets, 2);
	assert_int_equal(rs.subnets[1].addr, 0xc0a80101);
	assert_int_equal(rs.subnets[1].len, 32);
	assert_int_equal(nat_ruleset_check(&rs), 0);

	/* Filled in by hand, wrongly. */
	rs.subnets[0].addr |= 0x100;
	assert_int_equal(nat_ruleset_check(&rs), -EINVAL);
	rs.subnets[0].addr = SUBNET_A;
	rs.n_subnets = 3;
	assert_int_equal(nat_ruleset_check(&rs), -EINVAL);
	rs.n_subnets = 1;
	memset(rs.bridge, 'x', sizeof(rs.bridge));
	assert_int_equal(nat_ruleset_check(&rs), -EINVAL);
}

static void test_chain_specs(void **state)
{
	const struct nat_chain_spec *s;

	s = nat_chain_spec(NAT_CHAIN_POSTROUTING);
	assert_string_equal(s->name, "postrouting");
	assert_int_equal(s->type, NAT_TYPE_NAT);
	assert_int_equal(s->hook, NF_INET_POST_ROUTING);
	assert_int_equal(s->priority, 100);
	s = nat_chain_spec(NAT_CHAIN_FORWARD);
	assert_string_equal(s->name, "forward");
	assert_int_equal(s->hook, NF_INET_FORWARD);
	assert_int_equal(s->priority, 0);
	assert_int_equal(s->policy, NF_ACCEPT);
	s = nat_chain_spec(NAT_CHAIN_INPUT);
	assert_string_equal(s->name, "input");
	assert_int_equal(s->hook, NF_INET_LOCAL_IN);
	assert_null(nat_chain_spec(NAT_CHAIN_COUNT));
}

static size_t count_chain(const struct nat_rule *r, size_t n, enum nat_chain c)
{
	size_t i, k = 0;

	for (i = 0; i < n; i++)
		k += r[i].chain == c;
	return k;
}

static void test_model_rules(void **state)
{
	struct nat_rule r[NAT_MAX_RULES];
	struct nat_ruleset rs = ruleset(1, true);
	size_t n;

	assert_int_equal(nat_ruleset_rules(&rs, r, NAT_MAX_RULES, &n), 0);
	assert_int_equal(n, 10);
	assert_int_equal(count_chain(r, n, NAT_CHAIN_POSTROUTING), 1);
	assert_int_equal(count_chain(r, n, NAT_CHAIN_FORWARD), 5);
	assert_int_equal(count_chain(r, n, NAT_CHAIN_INPUT), 4);
	assert_int_equal(r[0].action, NAT_MASQUERADE);
	assert_int_equal(r[0].iface, NAT_IF_FORWARDED);
	assert_true(r[0].match_saddr);
	assert_int_equal(r[0].saddr.addr, SUBNET_A);
	/* The clamps come first in forward, before any verdict. */
	assert_int_equal(r[1].action, NAT_CLAMP_MSS);
	assert_int_equal(r[1].iface, NAT_IF_IN);
	assert_int_equal(r[2].action, NAT_CLAMP_MSS);
	assert_int_equal(r[2].iface, NAT_IF_OUT);
	assert_true(r[1].tcp_syn && r[2].tcp_syn);
	assert_int_equal(r[1].l4proto, IPPROTO_TCP);
	assert_int_equal(r[3].action, NAT_ACCEPT);
	assert_int_equal(r[3].iface, NAT_IF_IN);
	assert_true(r[4].ct_established);
	assert_int_equal(r[4].iface, NAT_IF_OUT);
	assert_int_equal(r[5].action, NAT_DROP);
	assert_int_equal(r[5].iface, NAT_IF_OUT);
	assert_false(r[5].ct_established);
	assert_int_equal(r[9].l4proto, IPPROTO_TCP);
	assert_int_equal(r[9].dport, 53);

	rs = ruleset(2, true);
	assert_int_equal(nat_ruleset_rules(&rs, r, NAT_MAX_RULES, &n), 0);
	assert_int_equal(count_chain(r, n, NAT_CHAIN_POSTROUTING), 2);
	assert_int_equal(r[1].saddr.addr, SUBNET_B);
	assert_true(nat_ruleset_has_chain(&rs, NAT_CHAIN_POSTROUTING));

	rs = ruleset(2, false);
	assert_int_equal(nat_ruleset_rules(&rs, r, NAT_MAX_RULES, &n), 0);
	assert_int_equal(n, 9);
	assert_int_equal(count_chain(r, n, NAT_CHAIN_POSTROUTING), 0);
	assert_false(nat_ruleset_has_chain(&rs, NAT_CHAIN_POSTROUTING));
	assert_true(nat_ruleset_has_chain(&rs, NAT_CHAIN_FORWARD));
	assert_false(nat_ruleset_has_chain(&rs, NAT_CHAIN_COUNT));

	/* Too little room, and a bad ruleset. */
	assert_int_equal(nat_ruleset_rules(&rs, r, 4, &n), -ENOSPC);
	assert_int_equal(n, 0);
	rs.n_subnets = 0;
	assert_int_equal(nat_ruleset_rules(&rs, r, NAT_MAX_RULES, &n), -EINVAL);
}

/* --- the batch ------------------------------------------------------ */

static void test_batch_messages(void **state)
{
	static const uint16_t cmds[] = {
		NFT_MSG_NEWTABLE, NFT_MSG_DELTABLE, NFT_MSG_NEWTABLE,
		NFT_MSG_NEWCHAIN, NFT_MSG_NEWCHAIN, NFT_MSG_NEWCHAIN,
	};
	struct nat_ruleset rs = ruleset(1, true);
	struct parsed p, p2;
	struct nat_batch *b = build(&rs, NAT_BATCH_COMMIT, &p), *b2;
	const struct nfgenmsg *nfg;
	size_t i;

	/* BEGIN, 3 table, 3 chain, 10 rule messages, the bridge table's
	 * ensure and delete (no guard on), END. */
	assert_int_equal(p.n, 20);
	assert_int_equal(b->n_msgs, 18);
	assert_int_equal(b->seq_begin, SEQ0);
	assert_int_equal(p.nlh[0]->nlmsg_type, NFNL_MSG_BATCH_BEGIN);
	nfg = mnl_nlmsg_get_payload(p.nlh[0]);
	assert_int_equal(ntohs(nfg->res_id), NFNL_SUBSYS_NFTABLES);
	assert_int_equal(p.nlh[19]->nlmsg_type, NFNL_MSG_BATCH_END);
	for (i = 0; i < p.n; i++)
		assert_int_equal(p.nlh[i]->nlmsg_seq, SEQ0 + i);
	for (i = 0; i < sizeof(cmds) / sizeof(cmds[0]); i++)
		assert_int_equal(p.nlh[1 + i]->nlmsg_type, nft_type(cmds[i]));
	for (i = 7; i < 17; i++)
		assert_int_equal(p.nlh[i]->nlmsg_type, nft_type(NFT_MSG_NEWRULE));
	for (i = 1; i < 19; i++) {
		/* Every object message wants its ACK, and is in family inet
		 * but the bridge table's. */
		assert_true(p.nlh[i]->nlmsg_flags & NLM_F_ACK);
		assert_true(p.nlh[i]->nlmsg_flags & NLM_F_REQUEST);
		nfg = mnl_nlmsg_get_payload(p.nlh[i]);
		assert_int_equal(nfg->nfgen_family, i < 17 ? NFPROTO_INET : NFPROTO_BRIDGE);
		assert_int_equal(b->msgs[i - 1].seq, SEQ0 + i);
	}
	/* The same ruleset, the same bytes: padding included. */
	b2 = build(&rs, NAT_BATCH_COMMIT, &p2);
	assert_int_equal(b2->len, b->len);
	assert_memory_equal(b2->buf, b->buf, b->len);
	free(b2);
	/* The first NEWTABLE must not fail on an existing table. */
	assert_false(p.nlh[1]->nlmsg_flags & NLM_F_EXCL);
	assert_true(p.nlh[1]->nlmsg_flags & NLM_F_CREATE);
	assert_true(p.nlh[7]->nlmsg_flags & NLM_F_APPEND);
	free(b);
}

static void test_batch_tables(void **state)
{
	struct nat_ruleset rs = ruleset(1, true);
	struct parsed p;
	struct nat_batch *b = build(&rs, NAT_BATCH_COMMIT, &p);
	struct nftnl_table *t;
	size_t i;

	/* Only our table is ever named. */
	for (i = 1; i <= 3; i++) {
		t = nftnl_table_alloc();
		assert_non_null(t);
		assert_int_equal(nftnl_table_nlmsg_parse(p.nlh[i], t), 0);
		assert_string_equal(nftnl_table_get_str(t, NFTNL_TABLE_NAME), "defnet");
		assert_int_equal(nftnl_table_get_u32(t, NFTNL_TABLE_FAMILY), NFPROTO_INET);
		nftnl_table_free(t);
	}
	free(b);
}

static void test_batch_chains(void **state)
{
	static const struct {
		const char *name, *type;
		uint32_t hook;
		int32_t prio;
	} want[] = {
		{ "postrouting", "nat", NF_INET_POST_ROUTING, 100 },
		{ "forward", "filter", NF_INET_FORWARD, 0 },
		{ "input", "filter", NF_INET_LOCAL_IN, 0 },
	};
	struct nat_ruleset rs = ruleset(1, true);
	struct parsed p;
	struct nat_batch *b = build(&rs, NAT_BATCH_COMMIT, &p);
	struct nftnl_chain *c;
	size_t i;

	for (i = 0; i < 3; i++) {
		c = nftnl_chain_alloc();
		assert_non_null(c);
		assert_int_equal(nftnl_chain_nlmsg_parse(p.nlh[4 + i], c), 0);
		assert_string_equal(nftnl_chain_get_str(c, NFTNL_CHAIN_TABLE), "defnet");
		assert_string_equal(nftnl_chain_get_str(c, NFTNL_CHAIN_NAME), want[i].name);
		assert_string_equal(nftnl_chain_get_str(c, NFTNL_CHAIN_TYPE), want[i].type);
		assert_int_equal(nftnl_chain_get_u32(c, NFTNL_CHAIN_HOOKNUM), want[i].hook);
		assert_int_equal(nftnl_chain_get_s32(c, NFTNL_CHAIN_PRIO), want[i].prio);
		assert_int_equal(nftnl_chain_get_u32(c, NFTNL_CHAIN_POLICY), NF_ACCEPT);
		nftnl_chain_free(c);
	}
	free(b);
}

static void assert_masquerade(const struct nftnl_rule *r, uint32_t addr,
			      uint8_t len)
{
	char names[256];
	uint8_t nfproto = NFPROTO_IPV4;
	uint32_t net_addr = htonl(addr), mask = htonl(~(UINT32_MAX >> len));
	const struct nftnl_expr *e;

	expr_names(r, names, sizeof(names));
	assert_string_equal(names, "meta cmp payload bitwise cmp meta cmp meta cmp masq");
	e = expr_at(r, 0);
	assert_int_equal(nftnl_expr_get_u32(e, NFTNL_EXPR_META_KEY), NFT_META_NFPROTO);
	assert_cmp(expr_at(r, 1), NFT_CMP_EQ, &nfproto, 1);
	e = expr_at(r, 2);
	assert_int_equal(nftnl_expr_get_u32(e, NFTNL_EXPR_PAYLOAD_BASE),
			 NFT_PAYLOAD_NETWORK_HEADER);
	assert_int_equal(nftnl_expr_get_u32(e, NFTNL_EXPR_PAYLOAD_OFFSET), 12);
	assert_int_equal(nftnl_expr_get_u32(e, NFTNL_EXPR_PAYLOAD_LEN), 4);
	assert_int_equal(nftnl_expr_get_u32(e, NFTNL_EXPR_PAYLOAD_DREG), NFT_REG_1);
	e = expr_at(r, 3);
	assert_int_equal(nftnl_expr_get_u32(e, NFTNL_EXPR_BITWISE_LEN), 4);
	assert_expr_data(e, NFTNL_EXPR_BITWISE_MASK, &mask, 4);
	assert_cmp(expr_at(r, 4), NFT_CMP_EQ, &net_addr, 4);
	assert_iface(r, 5, NFT_META_IIFNAME, NFT_CMP_EQ);
	assert_iface(r, 7, NFT_META_OIFNAME, NFT_CMP_NEQ);
}

static void test_batch_postrouting(void **state)
{
	struct nftnl_rule *r[4];
	struct nat_ruleset rs = ruleset(1, true);
	struct parsed p;
	struct nat_batch *b = build(&rs, NAT_BATCH_COMMIT, &p);
	size_t n;

	n = chain_rules(&p, "postrouting", r, 4);
	assert_int_equal(n, 1);
	assert_masquerade(r[0], SUBNET_A, 20);
	free_rules(r, n);
	free(b);

	/* Renumbering: two subnets, two masquerade rules. */
	rs = ruleset(2, true);
	b = build(&rs, NAT_BATCH_COMMIT, &p);
	n = chain_rules(&p, "postrouting", r, 4);
	assert_int_equal(n, 2);
	assert_masquerade(r[0], SUBNET_A, 20);
	assert_masquerade(r[1], SUBNET_B, 24);
	free_rules(r, n);
	free(b);
}

/* NAT66: meta nfproto ipv6, ip6 saddr P (payload at 8, 16 bytes, the
 * /64 mask), the bridge in and not out, masquerade; after the v4 rules. */
static void test_batch_postrouting6(void **state)
{
	static const uint8_t p6[16] = { 0xfd, 0x12, 0x34, 0x56, 0x78, 0x9a, 0, 1 };
	static const uint8_t mask[16] = { 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff };
	uint8_t bad[16] = { 0xfd, [15] = 1 }, nfproto = NFPROTO_IPV6;
	struct nftnl_rule *r[4];
	struct nat_ruleset rs = ruleset(1, true);
	const struct nftnl_expr *e;
	struct parsed p;
	struct nat_batch *b;
	char names[256];
	size_t n;

	(void)state;
	assert_int_equal(nat_ruleset_set_prefix6(&rs, bad, 64), -EINVAL);
	assert_int_equal(nat_ruleset_set_prefix6(&rs, p6, 0), -EINVAL);
	assert_int_equal(nat_ruleset_set_prefix6(&rs, p6, 129), -EINVAL);
	assert_int_equal(nat_ruleset_set_prefix6(&rs, p6, 64), 0);
	b = build(&rs, NAT_BATCH_COMMIT, &p);
	n = chain_rules(&p, "postrouting", r, 4);
	assert_int_equal(n, 2);
	assert_masquerade(r[0], SUBNET_A, 20);
	expr_names(r[1], names, sizeof(names));
	assert_string_equal(names, "meta cmp payload bitwise cmp meta cmp meta cmp masq");
	assert_int_equal(nftnl_expr_get_u32(expr_at(r[1], 0), NFTNL_EXPR_META_KEY),
			 NFT_META_NFPROTO);
	assert_cmp(expr_at(r[1], 1), NFT_CMP_EQ, &nfproto, 1);
	e = expr_at(r[1], 2);
	assert_int_equal(nftnl_expr_get_u32(e, NFTNL_EXPR_PAYLOAD_BASE),
			 NFT_PAYLOAD_NETWORK_HEADER);
	assert_int_equal(nftnl_expr_get_u32(e, NFTNL_EXPR_PAYLOAD_OFFSET), 8);
	assert_int_equal(nftnl_expr_get_u32(e, NFTNL_EXPR_PAYLOAD_LEN), 16);
	assert_expr_data(expr_at(r[1], 3), NFTNL_EXPR_BITWISE_MASK, mask, 16);
	assert_cmp(expr_at(r[1], 4), NFT_CMP_EQ, p6, 16);
	assert_iface(r[1], 5, NFT_META_IIFNAME, NFT_CMP_EQ);
	assert_iface(r[1], 7, NFT_META_OIFNAME, NFT_CMP_NEQ);
	free_rules(r, n);
	free(b);
}

static void test_batch_host_subnet(void **state)
{
	struct nftnl_rule *r[4];
	struct nat_ruleset rs;
	struct parsed p;
	struct nat_batch *b;
	uint32_t addr = htonl(0xc0a80101);
	char names[256];
	size_t n;

	assert_int_equal(nat_ruleset_init(&rs, "defnet0", true), 0);
	assert_int_equal(nat_ruleset_add_subnet(&rs, 0xc0a80101, 32), 0);
	b = build(&rs, NAT_BATCH_COMMIT, &p);
	n = chain_rules(&p, "postrouting", r, 4);
	assert_int_equal(n, 1);
	/* A /32 needs no mask. */
	expr_names(r[0], names, sizeof(names));
	assert_string_equal(names, "meta cmp payload cmp meta cmp meta cmp masq");
	assert_cmp(expr_at(r[0], 3), NFT_CMP_EQ, &addr, 4);
	free_rules(r, n);
	free(b);
}

static void test_batch_no_masquerade(void **state)
{
	struct nftnl_rule *r[8];
	struct nat_ruleset rs = ruleset(2, false);
	struct parsed p;
	struct nat_batch *b = build(&rs, NAT_BATCH_COMMIT, &p);
	struct nftnl_chain *c;
	size_t i, chains = 0;

	/* A routed network: no nat chain, so no NAT hook at all. */
	for (i = 0; i < p.n; i++) {
		if (p.nlh[i]->nlmsg_type != nft_type(NFT_MSG_NEWCHAIN))
			continue;
		c = nftnl_chain_alloc();
		assert_non_null(c);
		assert_int_equal(nftnl_chain_nlmsg_parse(p.nlh[i], c), 0);
		assert_string_not_equal(nftnl_chain_get_str(c, NFTNL_CHAIN_TYPE), "nat");
		nftnl_chain_free(c);
		chains++;
	}
	assert_int_equal(chains, 2);
	assert_int_equal(chain_rules(&p, "postrouting", r, 8), 0);
	i = chain_rules(&p, "forward", r, 8);
	assert_int_equal(i, 5);
	free_rules(r, i);
	free(b);
}

static void assert_clamp(const struct nftnl_rule *r, uint32_t key)
{
	char names[256];
	uint8_t tcp = IPPROTO_TCP, mask = 0x06, syn = 0x02;
	const struct nftnl_expr *e;

	expr_names(r, names, sizeof(names));
	assert_string_equal(names,
		"meta cmp meta cmp payload bitwise cmp rt byteorder exthdr");
	assert_iface(r, 0, key, NFT_CMP_EQ);
	assert_int_equal(nftnl_expr_get_u32(expr_at(r, 2), NFTNL_EXPR_META_KEY),
			 NFT_META_L4PROTO);
	assert_cmp(expr_at(r, 3), NFT_CMP_EQ, &tcp, 1);
	e = expr_at(r, 4);
	assert_int_equal(nftnl_expr_get_u32(e, NFTNL_EXPR_PAYLOAD_BASE),
			 NFT_PAYLOAD_TRANSPORT_HEADER);
	assert_int_equal(nftnl_expr_get_u32(e, NFTNL_EXPR_PAYLOAD_OFFSET), 13);
	assert_int_equal(nftnl_expr_get_u32(e, NFTNL_EXPR_PAYLOAD_LEN), 1);
	assert_expr_data(expr_at(r, 5), NFTNL_EXPR_BITWISE_MASK, &mask, 1);
	assert_cmp(expr_at(r, 6), NFT_CMP_EQ, &syn, 1);
	e = expr_at(r, 7);
	assert_int_equal(nftnl_expr_get_u32(e, NFTNL_EXPR_RT_KEY), NFT_RT_TCPMSS);
	assert_int_equal(nftnl_expr_get_u32(e, NFTNL_EXPR_RT_DREG), NFT_REG_1);
	e = expr_at(r, 8);
	assert_int_equal(nftnl_expr_get_u32(e, NFTNL_EXPR_BYTEORDER_OP),
			 NFT_BYTEORDER_HTON);
	assert_int_equal(nftnl_expr_get_u32(e, NFTNL_EXPR_BYTEORDER_SIZE), 2);
	e = expr_at(r, 9);
	assert_int_equal(nftnl_expr_get_u32(e, NFTNL_EXPR_EXTHDR_OP),
			 NFT_EXTHDR_OP_TCPOPT);
	assert_int_equal(nftnl_expr_get_u8(e, NFTNL_EXPR_EXTHDR_TYPE), 2);
	assert_int_equal(nftnl_expr_get_u32(e, NFTNL_EXPR_EXTHDR_OFFSET), 2);
	assert_int_equal(nftnl_expr_get_u32(e, NFTNL_EXPR_EXTHDR_LEN), 2);
	assert_int_equal(nftnl_expr_get_u32(e, NFTNL_EXPR_EXTHDR_SREG), NFT_REG_1);
}

static void test_batch_forward(void **state)
{
	struct nftnl_rule *r[8];
	struct nat_ruleset rs = ruleset(1, true);
	struct parsed p;
	struct nat_batch *b = build(&rs, NAT_BATCH_COMMIT, &p);
	uint32_t mask = 0x06, zero = 0;  /* established (2) | related (4) */
	char names[256];
	const struct nftnl_expr *e;
	size_t n;

	n = chain_rules(&p, "forward", r, 8);
	assert_int_equal(n, 5);
	assert_clamp(r[0], NFT_META_IIFNAME);
	assert_clamp(r[1], NFT_META_OIFNAME);

	expr_names(r[2], names, sizeof(names));
	assert_string_equal(names, "meta cmp immediate");
	assert_iface(r[2], 0, NFT_META_IIFNAME, NFT_CMP_EQ);
	assert_verdict(r[2], 2, NF_ACCEPT);

	expr_names(r[3], names, sizeof(names));
	assert_string_equal(names, "meta cmp ct bitwise cmp immediate");
	assert_iface(r[3], 0, NFT_META_OIFNAME, NFT_CMP_EQ);
	e = expr_at(r[3], 2);
	assert_int_equal(nftnl_expr_get_u32(e, NFTNL_EXPR_CT_KEY), NFT_CT_STATE);
	assert_expr_data(expr_at(r[3], 3), NFTNL_EXPR_BITWISE_MASK, &mask, 4);
	assert_cmp(expr_at(r[3], 4), NFT_CMP_NEQ, &zero, 4);
	assert_verdict(r[3], 5, NF_ACCEPT);

	expr_names(r[4], names, sizeof(names));
	assert_string_equal(names, "meta cmp immediate");
	assert_iface(r[4], 0, NFT_META_OIFNAME, NFT_CMP_EQ);
	assert_verdict(r[4], 2, NF_DROP);
	free_rules(r, n);
	free(b);
}

/* A trace: chain trace at prerouting, before raw; both directions of the
 * guest's IPv4 traffic get meta nftrace set 1. */
static void test_batch_trace(void **state)
{
	struct nftnl_rule *r[4];
	struct nat_ruleset rs = ruleset(1, true);
	struct parsed p;
	struct nat_batch *b;
	uint32_t guest = htonl(SUBNET_A | 7);
	uint8_t one = 1;
	char names[256];
	size_t n;

	assert_false(nat_ruleset_has_chain(&rs, NAT_CHAIN_TRACE));
	rs.trace_addr = SUBNET_A | 7;
	assert_true(nat_ruleset_has_chain(&rs, NAT_CHAIN_TRACE));
	assert_int_equal(nat_chain_spec(NAT_CHAIN_TRACE)->hook, NF_INET_PRE_ROUTING);
	assert_true(nat_chain_spec(NAT_CHAIN_TRACE)->priority < -300);
	b = build(&rs, NAT_BATCH_COMMIT, &p);
	n = chain_rules(&p, "trace", r, 4);
	assert_int_equal(n, 2);
	for (size_t i = 0; i < n; i++) {
		expr_names(r[i], names, sizeof(names));
		assert_string_equal(names, "meta cmp payload cmp immediate meta");
		assert_int_equal(nftnl_expr_get_u32(expr_at(r[i], 2), NFTNL_EXPR_PAYLOAD_OFFSET),
				 i == 0 ? 12 : 16);
		assert_cmp(expr_at(r[i], 3), NFT_CMP_EQ, &guest, 4);
		assert_expr_data(expr_at(r[i], 4), NFTNL_EXPR_IMM_DATA, &one, 1);
		assert_int_equal(nftnl_expr_get_u32(expr_at(r[i], 5), NFTNL_EXPR_META_KEY),
				 NFT_META_NFTRACE);
	}
	free_rules(r, n);
	free(b);
}

static void test_batch_input(void **state)
{
	static const struct {
		uint8_t proto;
		uint16_t port;
	} want[] = {
		{ IPPROTO_UDP, 53 }, { IPPROTO_UDP, 67 },
		{ IPPROTO_UDP, 5353 }, { IPPROTO_TCP, 53 },
	};
	struct nftnl_rule *r[8];
	struct nat_ruleset rs = ruleset(1, true);
	struct parsed p;
	struct nat_batch *b = build(&rs, NAT_BATCH_COMMIT, &p);
	char names[256];
	const struct nftnl_expr *e;
	uint16_t port;
	size_t i, n;

	n = chain_rules(&p, "input", r, 8);
	assert_int_equal(n, 4);
	for (i = 0; i < n; i++) {
		expr_names(r[i], names, sizeof(names));
		assert_string_equal(names, "meta cmp meta cmp payload cmp immediate");
		assert_iface(r[i], 0, NFT_META_IIFNAME, NFT_CMP_EQ);
		assert_cmp(expr_at(r[i], 3), NFT_CMP_EQ, &want[i].proto, 1);
		e = expr_at(r[i], 4);
		assert_int_equal(nftnl_expr_get_u32(e, NFTNL_EXPR_PAYLOAD_OFFSET), 2);
		assert_int_equal(nftnl_expr_get_u32(e, NFTNL_EXPR_PAYLOAD_LEN), 2);
		port = htons(want[i].port);
		assert_cmp(expr_at(r[i], 5), NFT_CMP_EQ, &port, 2);
		assert_verdict(r[i], 6, NF_ACCEPT);
	}
	free_rules(r, n);
	free(b);
}

static void test_batch_check_mode(void **state)
{
	struct nat_ruleset rs = ruleset(1, true);
	struct parsed p;
	struct nat_batch *b = build(&rs, NAT_BATCH_CHECK, &p);

	/* The same messages, without END: the kernel aborts at the end. */
	assert_int_equal(p.n, 19);
	assert_int_equal(p.nlh[0]->nlmsg_type, NFNL_MSG_BATCH_BEGIN);
	assert_int_equal(p.nlh[18]->nlmsg_type, nft_type(NFT_MSG_DELTABLE));
	assert_int_equal(b->n_msgs, 18);
	free(b);
}

static void test_batch_remove(void **state)
{
	struct nat_batch *b = malloc(sizeof(*b));
	struct nftnl_table *t;
	struct parsed p;

	assert_non_null(b);
	assert_int_equal(nat_batch_build_remove(b, SEQ0, NAT_BATCH_COMMIT), 0);
	parse_batch(b, &p);
	/* Both tables go: teardown leaves nothing of ours. */
	assert_int_equal(p.n, 6);
	assert_int_equal(p.nlh[0]->nlmsg_type, NFNL_MSG_BATCH_BEGIN);
	assert_int_equal(p.nlh[1]->nlmsg_type, nft_type(NFT_MSG_NEWTABLE));
	assert_int_equal(p.nlh[2]->nlmsg_type, nft_type(NFT_MSG_DELTABLE));
	assert_int_equal(p.nlh[3]->nlmsg_type, nft_type(NFT_MSG_NEWTABLE));
	assert_int_equal(p.nlh[4]->nlmsg_type, nft_type(NFT_MSG_DELTABLE));
	assert_int_equal(p.nlh[5]->nlmsg_type, NFNL_MSG_BATCH_END);
	assert_int_equal(((const struct nfgenmsg *)mnl_nlmsg_get_payload(p.nlh[4]))->nfgen_family,
			 NFPROTO_BRIDGE);
	t = nftnl_table_alloc();
	assert_non_null(t);
	assert_int_equal(nftnl_table_nlmsg_parse(p.nlh[2], t), 0);
	assert_string_equal(nftnl_table_get_str(t, NFTNL_TABLE_NAME), "defnet");
	nftnl_table_free(t);
	assert_string_equal(nat_batch_describe(b, SEQ0 + 2),
			    "table inet defnet (delete)");
	free(b);
}

static void test_batch_describe(void **state)
{
	struct nat_ruleset rs = ruleset(2, true);
	struct parsed p;
	struct nat_batch *b = build(&rs, NAT_BATCH_COMMIT, &p);

	assert_null(nat_batch_describe(b, SEQ0));       /* BEGIN */
	assert_string_equal(nat_batch_describe(b, SEQ0 + 1),
			    "table inet defnet (ensure)");
	assert_string_equal(nat_batch_describe(b, SEQ0 + 3), "table inet defnet");
	assert_string_equal(nat_batch_describe(b, SEQ0 + 5), "chain forward");
	assert_string_equal(nat_batch_describe(b, SEQ0 + 7),
			    "rule 1 in chain postrouting");
	assert_string_equal(nat_batch_describe(b, SEQ0 + 8),
			    "rule 2 in chain postrouting");
	assert_string_equal(nat_batch_describe(b, SEQ0 + 11),
			    "rule 3 in chain forward");
	assert_string_equal(nat_batch_describe(b, SEQ0 + 17),
			    "rule 4 in chain input");
	assert_string_equal(nat_batch_describe(b, SEQ0 + 19),
			    "table bridge defnet (delete)");
	assert_null(nat_batch_describe(b, SEQ0 + 20));  /* END */
	free(b);
}

/* --- the bridge table: the guest guards ------------------------------ */

/* The l4 field at offset equals value: payload, then cmp. */
static void assert_l4_field(const struct nftnl_rule *r, size_t idx, uint32_t offset,
			    const void *value, uint32_t len)
{
	const struct nftnl_expr *e = expr_at(r, idx);

	assert_int_equal(nftnl_expr_get_u32(e, NFTNL_EXPR_PAYLOAD_BASE),
			 NFT_PAYLOAD_TRANSPORT_HEADER);
	assert_int_equal(nftnl_expr_get_u32(e, NFTNL_EXPR_PAYLOAD_OFFSET), offset);
	assert_int_equal(nftnl_expr_get_u32(e, NFTNL_EXPR_PAYLOAD_LEN), len);
	assert_cmp(expr_at(r, idx + 1), NFT_CMP_EQ, value, len);
}

/* meta protocol ETHERTYPE, meta l4proto PROTO. */
static void assert_guard_head(const struct nftnl_rule *r, uint16_t ethertype, uint8_t proto)
{
	uint16_t et = htons(ethertype);

	assert_int_equal(nftnl_expr_get_u32(expr_at(r, 0), NFTNL_EXPR_META_KEY), NFT_META_PROTOCOL);
	assert_cmp(expr_at(r, 1), NFT_CMP_EQ, &et, sizeof(et));
	assert_int_equal(nftnl_expr_get_u32(expr_at(r, 2), NFTNL_EXPR_META_KEY), NFT_META_L4PROTO);
	assert_cmp(expr_at(r, 3), NFT_CMP_EQ, &proto, sizeof(proto));
}

/* meta iif @ports, after the compares. */
static void assert_guard_port(const struct nftnl_rule *r, size_t idx)
{
	const struct nftnl_expr *e = expr_at(r, idx + 1);

	assert_int_equal(nftnl_expr_get_u32(expr_at(r, idx), NFTNL_EXPR_META_KEY), NFT_META_IIF);
	assert_string_equal(nftnl_expr_get_str(e, NFTNL_EXPR_NAME), "lookup");
	assert_string_equal(nftnl_expr_get_str(e, NFTNL_EXPR_LOOKUP_SET), "ports");
	assert_int_equal(nftnl_expr_get_u32(e, NFTNL_EXPR_LOOKUP_SREG), NFT_REG_1);
}

static void assert_counted_drop(const struct nftnl_rule *r, size_t idx, const char *counter)
{
	const struct nftnl_expr *e = expr_at(r, idx);

	assert_string_equal(nftnl_expr_get_str(e, NFTNL_EXPR_NAME), "objref");
	assert_int_equal(nftnl_expr_get_u32(e, NFTNL_EXPR_OBJREF_IMM_TYPE), NFT_OBJECT_COUNTER);
	/* libnftnl 1.2.4 puts the name without its NUL (the kernel compares
	 * with nla_strcmp), so the parsed copy may run on: compare its start. */
	assert_memory_equal(nftnl_expr_get_str(e, NFTNL_EXPR_OBJREF_IMM_NAME), counter,
			    strlen(counter));
	assert_verdict(r, idx + 1, NF_DROP);
}

/* The bridge table's messages: table, counters, chain, one rule per guard. */
static void test_batch_guards(void **state)
{
	static const char *const counters[] = { "dhcp4-server", "dhcp6-server", "router-advert" };
	uint16_t p67 = htons(67), p68 = htons(68), p547 = htons(547);
	uint8_t ra = 134;
	struct nftnl_rule *r[4];
	struct nat_ruleset rs = ruleset(1, true);
	struct nftnl_chain *c;
	struct nftnl_obj *o;
	struct nat_batch *b;
	struct parsed p;
	char names[256];
	size_t n;

	rs.guard_dhcp_servers = rs.guard_router_ads = true;
	b = build(&rs, NAT_BATCH_COMMIT, &p);
	/* 20 as without guards, then the table, the (empty) set of ports, 3
	 * counters, the chain, 3 rules. */
	assert_int_equal(p.n, 29);
	assert_int_equal(p.nlh[19]->nlmsg_type, nft_type(NFT_MSG_NEWTABLE));
	assert_int_equal(p.nlh[20]->nlmsg_type, nft_type(NFT_MSG_NEWSET));
	for (n = 0; n < 3; n++) {
		assert_int_equal(p.nlh[21 + n]->nlmsg_type, nft_type(NFT_MSG_NEWOBJ));
		o = nftnl_obj_alloc();
		assert_non_null(o);
		assert_int_equal(nftnl_obj_nlmsg_parse(p.nlh[21 + n], o), 0);
		assert_string_equal(nftnl_obj_get_str(o, NFTNL_OBJ_TABLE), "defnet");
		assert_string_equal(nftnl_obj_get_str(o, NFTNL_OBJ_NAME), counters[n]);
		assert_int_equal(nftnl_obj_get_u32(o, NFTNL_OBJ_TYPE), NFT_OBJECT_COUNTER);
		assert_int_equal(nftnl_obj_get_u32(o, NFTNL_OBJ_FAMILY), NFPROTO_BRIDGE);
		nftnl_obj_free(o);
	}
	c = nftnl_chain_alloc();
	assert_non_null(c);
	assert_int_equal(nftnl_chain_nlmsg_parse(p.nlh[24], c), 0);
	assert_string_equal(nftnl_chain_get_str(c, NFTNL_CHAIN_NAME), "guard");
	assert_string_equal(nftnl_chain_get_str(c, NFTNL_CHAIN_TYPE), "filter");
	assert_int_equal(nftnl_chain_get_u32(c, NFTNL_CHAIN_FAMILY), NFPROTO_BRIDGE);
	assert_int_equal(nftnl_chain_get_u32(c, NFTNL_CHAIN_HOOKNUM), 0);  /* prerouting */
	assert_int_equal(nftnl_chain_get_s32(c, NFTNL_CHAIN_PRIO), -200);
	assert_int_equal(nftnl_chain_get_u32(c, NFTNL_CHAIN_POLICY), NF_ACCEPT);
	nftnl_chain_free(c);
	n = family_rules(&p, NFPROTO_BRIDGE, "guard", r, 4);
	assert_int_equal(n, 3);
	expr_names(r[0], names, sizeof(names));
	assert_string_equal(names, "meta cmp meta cmp payload cmp payload cmp meta lookup objref immediate");
	assert_guard_head(r[0], ETH_P_IP, IPPROTO_UDP);
	assert_l4_field(r[0], 4, 0, &p67, 2);
	assert_l4_field(r[0], 6, 2, &p68, 2);
	assert_guard_port(r[0], 8);
	assert_counted_drop(r[0], 10, "dhcp4-server");
	assert_guard_head(r[1], ETH_P_IPV6, IPPROTO_UDP);
	assert_l4_field(r[1], 4, 0, &p547, 2);
	assert_guard_port(r[1], 6);
	assert_counted_drop(r[1], 8, "dhcp6-server");
	assert_guard_head(r[2], ETH_P_IPV6, IPPROTO_ICMPV6);
	assert_l4_field(r[2], 4, 0, &ra, 1);
	assert_guard_port(r[2], 6);
	assert_counted_drop(r[2], 8, "router-advert");
	assert_string_equal(nat_batch_describe(b, SEQ0 + 27), "bridge rule router-advert");
	assert_int_equal(p.nlh[28]->nlmsg_type, NFNL_MSG_BATCH_END);
	free_rules(r, n);
	free(b);
}

/* The keys of a set element message, in order, each len bytes into
 * keys (set name and key length checked). Walked with libmnl: libnftnl
 * 1.2.4's parser gives up on a message of several elements. */
static size_t elem_keys(const struct nlmsghdr *nlh, const char *set, size_t len, void *keys,
			size_t max)
{
	const struct nlattr *a, *list, *elem, *key;
	size_t n = 0;

	mnl_attr_for_each(a, nlh, sizeof(struct nfgenmsg)) {
		if (mnl_attr_get_type(a) == NFTA_SET_ELEM_LIST_SET)
			assert_string_equal(mnl_attr_get_str(a), set);
		if (mnl_attr_get_type(a) == NFTA_SET_ELEM_LIST_TABLE)
			assert_string_equal(mnl_attr_get_str(a), "defnet");
		if (mnl_attr_get_type(a) != NFTA_SET_ELEM_LIST_ELEMENTS)
			continue;
		mnl_attr_for_each_nested(list, a) {
			mnl_attr_for_each_nested(elem, list) {
				if (mnl_attr_get_type(elem) != NFTA_SET_ELEM_KEY)
					continue;
				key = mnl_attr_get_payload(elem);
				assert_int_equal(mnl_attr_get_type(key), NFTA_DATA_VALUE);
				assert_int_equal(mnl_attr_get_payload_len(key), len);
				assert_true(n < max);
				memcpy((uint8_t *)keys + n++ * len, mnl_attr_get_payload(key), len);
			}
		}
	}
	return n;
}

static size_t set_elems(const struct nlmsghdr *nlh, uint32_t *keys, size_t max)
{
	return elem_keys(nlh, "ports", sizeof(*keys), keys, max);
}

/* The ports: in the apply batch, and replaced alone (flush, then add). */
static void test_batch_guard_ports(void **state)
{
	uint32_t ports[100], keys[100];
	struct nat_ruleset rs = ruleset(1, true);
	struct nat_batch *b;
	struct parsed p;
	size_t i;

	for (i = 0; i < 100; i++)
		ports[i] = 1000 + (uint32_t)i;
	rs.guard_dhcp_servers = true;
	rs.ports = ports;
	rs.n_ports = 2;
	b = build(&rs, NAT_BATCH_COMMIT, &p);
	assert_int_equal(p.nlh[21]->nlmsg_type, nft_type(NFT_MSG_NEWSETELEM));
	assert_int_equal(set_elems(p.nlh[21], keys, 100), 2);
	assert_int_equal(keys[0], 1000);
	assert_int_equal(keys[1], 1001);
	free(b);
	rs.n_ports = 100;
	assert_int_equal(nat_batch_build_ports(b = malloc(sizeof(*b)), &rs, SEQ0,
					       NAT_BATCH_COMMIT), 0);
	parse_batch(b, &p);
	/* BEGIN, flush, 64 + 36 ports, END. */
	assert_int_equal(p.n, 5);
	/* DELSETELEM without elements: the kernel flushes the set (libnftnl
	 * will not parse a message without elements). */
	assert_int_equal(p.nlh[1]->nlmsg_type, nft_type(NFT_MSG_DELSETELEM));
	assert_true(p.nlh[1]->nlmsg_len < 80);
	assert_int_equal(set_elems(p.nlh[2], keys, 100), NAT_PORTS_PER_MSG);
	assert_int_equal(set_elems(p.nlh[3], keys, 100), 100 - NAT_PORTS_PER_MSG);
	assert_int_equal(keys[35], 1099);
	assert_int_equal(p.nlh[4]->nlmsg_type, NFNL_MSG_BATCH_END);
	assert_string_equal(nat_batch_describe(b, SEQ0 + 1), "set bridge ports: flush");
	/* Too many ports, or no guard: no batch. */
	rs.n_ports = NAT_MAX_PORTS + 1;
	assert_int_equal(nat_batch_build_ports(b, &rs, SEQ0, NAT_BATCH_COMMIT), -EINVAL);
	rs.n_ports = 1;
	rs.guard_dhcp_servers = false;
	assert_int_equal(nat_batch_build_ports(b, &rs, SEQ0, NAT_BATCH_COMMIT), -EINVAL);
	free(b);
}

/* A counter object as the kernel dumps it. */
static size_t counter_msg(char *buf, const char *table, const char *name, uint64_t pkts)
{
	struct nftnl_obj *o = nftnl_obj_alloc();
	struct nlmsghdr *nlh;

	assert_non_null(o);
	nftnl_obj_set_str(o, NFTNL_OBJ_TABLE, table);
	nftnl_obj_set_str(o, NFTNL_OBJ_NAME, name);
	nftnl_obj_set_u32(o, NFTNL_OBJ_TYPE, NFT_OBJECT_COUNTER);
	nftnl_obj_set_u64(o, NFTNL_OBJ_CTR_PKTS, pkts);
	nftnl_obj_set_u64(o, NFTNL_OBJ_CTR_BYTES, pkts * 300);
	nlh = nftnl_nlmsg_build_hdr(buf, NFT_MSG_NEWOBJ, NFPROTO_BRIDGE, NLM_F_MULTI, 7);
	nftnl_obj_nlmsg_build_payload(nlh, o);
	nftnl_obj_free(o);
	return NLMSG_ALIGN(nlh->nlmsg_len);
}

static void test_counters_feed(void **state)
{
	_Alignas(uint32_t) char buf[2048] = { 0 };
	struct nat_guard_counts c = { 0 };
	struct nlmsghdr *done, *err;
	size_t len = 0;

	len += counter_msg(buf + len, "defnet", "dhcp4-server", 6);
	len += counter_msg(buf + len, "defnet", "router-advert", 3);
	len += counter_msg(buf + len, "defnet", "someone-else", 9);
	assert_int_equal(nat_counters_feed(&c, buf, len, 7), 0);
	assert_true(c.present[NAT_GUARD_DHCP4] && c.present[NAT_GUARD_RA]);
	assert_false(c.present[NAT_GUARD_DHCP6]);
	assert_int_equal(c.packets[NAT_GUARD_DHCP4], 6);
	assert_int_equal(c.bytes[NAT_GUARD_DHCP4], 1800);
	assert_int_equal(c.packets[NAT_GUARD_RA], 3);
	/* The end of the dump. */
	done = mnl_nlmsg_put_header(buf);
	done->nlmsg_type = NLMSG_DONE;
	done->nlmsg_seq = 7;
	done->nlmsg_flags = NLM_F_MULTI;
	mnl_nlmsg_put_extra_header(done, sizeof(int));
	assert_int_equal(nat_counters_feed(&c, buf, done->nlmsg_len, 7), 1);
	/* No table: the kernel's ENOENT. */
	memset(buf, 0, sizeof(buf));
	err = mnl_nlmsg_put_header(buf);
	err->nlmsg_type = NLMSG_ERROR;
	err->nlmsg_seq = 7;
	((struct nlmsgerr *)mnl_nlmsg_put_extra_header(err, sizeof(struct nlmsgerr)))->error = -ENOENT;
	assert_int_equal(nat_counters_feed(&c, buf, err->nlmsg_len, 7), -ENOENT);
}

/* Each guard alone; none at all leaves no bridge table. */
static void test_batch_guards_allow(void **state)
{
	struct nftnl_rule *r[4];
	struct nat_ruleset rs = ruleset(1, true);
	struct nat_batch *b;
	struct parsed p;
	size_t n;

	rs.guard_router_ads = true;
	b = build(&rs, NAT_BATCH_COMMIT, &p);
	n = family_rules(&p, NFPROTO_BRIDGE, "guard", r, 4);
	assert_int_equal(n, 1);
	assert_counted_drop(r[0], 8, "router-advert");
	free_rules(r, n);
	free(b);
	rs.guard_router_ads = false;
	rs.guard_dhcp_servers = true;
	b = build(&rs, NAT_BATCH_COMMIT, &p);
	n = family_rules(&p, NFPROTO_BRIDGE, "guard", r, 4);
	assert_int_equal(n, 2);
	free_rules(r, n);
	free(b);
	/* The defaults: every guard on. */
	assert_int_equal(nat_ruleset_init(&rs, "defnet0", true), 0);
	assert_true(rs.guard_dhcp_servers && rs.guard_router_ads);
	assert_true(nat_ruleset_has_guards(&rs));
	rs.guard_dhcp_servers = rs.guard_router_ads = false;
	assert_false(nat_ruleset_has_guards(&rs));
}

static void test_batch_bad_ruleset(void **state)
{
	struct nat_batch *b = malloc(sizeof(*b));
	struct nat_ruleset rs = ruleset(1, true);

	assert_non_null(b);
	rs.n_subnets = 0;
	assert_int_equal(nat_batch_build_apply(b, &rs, SEQ0, NAT_BATCH_COMMIT),
			 -EINVAL);
	assert_int_equal(b->len, 0);
	assert_int_equal(b->n_msgs, 0);
	free(b);
}

/* --- port forwards ---------------------------------------------------- */

static struct nat_ruleset ruleset_forwards(size_t n)
{
	struct nat_ruleset rs = ruleset(1, true);

	for (size_t i = 0; i < n; i++) {
		const struct nat_forward f = {
			.proto = i % 2 ? IPPROTO_UDP : IPPROTO_TCP, .port = (uint16_t)(2222 + i),
			.addr = GUEST_A, .to_port = 22,
		};

		assert_int_equal(nat_ruleset_add_forward(&rs, &f), 0);
	}
	return rs;
}

static void test_ruleset_forwards(void **state)
{
	struct nat_ruleset rs = ruleset(1, false);
	struct nat_forward f = { .proto = IPPROTO_TCP, .port = 80, .addr = GUEST_A, .to_port = 8080 };

	assert_false(nat_ruleset_has_chain(&rs, NAT_CHAIN_PREROUTING));
	assert_false(nat_ruleset_has_chain(&rs, NAT_CHAIN_POSTROUTING));
	assert_int_equal(nat_ruleset_add_forward(&rs, &f), 0);
	/* Forwards need NAT chains even on a routed network. */
	assert_true(nat_ruleset_has_chain(&rs, NAT_CHAIN_PREROUTING));
	assert_true(nat_ruleset_has_chain(&rs, NAT_CHAIN_OUTPUT));
	assert_true(nat_ruleset_has_chain(&rs, NAT_CHAIN_POSTROUTING));
	f.proto = IPPROTO_ICMP;
	assert_int_equal(nat_ruleset_add_forward(&rs, &f), -EINVAL);
	f.proto = IPPROTO_UDP;
	f.addr = 0;
	assert_int_equal(nat_ruleset_add_forward(&rs, &f), -EINVAL);
	f.addr = GUEST_A;
	f.port = 0;
	assert_int_equal(nat_ruleset_add_forward(&rs, &f), -EINVAL);
}

/* meta nfproto FAMILY, fib daddr type local, tcp dport 2222, dnat to
 * ADDR:22 (ADDR in register 1: 4 bytes for IPv4, 16 for IPv6). */
static void assert_dnat_rule(const struct nftnl_rule *r, uint8_t family, const void *addr,
			     uint32_t alen)
{
	uint8_t tcp = IPPROTO_TCP;
	uint32_t local = RTN_LOCAL;
	uint16_t port = htons(2222), to = htons(22);
	char names[256];
	const struct nftnl_expr *e;

	expr_names(r, names, sizeof(names));
	assert_string_equal(names, "meta cmp fib cmp meta cmp payload cmp immediate immediate nat");
	assert_cmp(expr_at(r, 1), NFT_CMP_EQ, &family, 1);
	e = expr_at(r, 2);
	assert_int_equal(nftnl_expr_get_u32(e, NFTNL_EXPR_FIB_RESULT), NFT_FIB_RESULT_ADDRTYPE);
	assert_int_equal(nftnl_expr_get_u32(e, NFTNL_EXPR_FIB_FLAGS), NFTA_FIB_F_DADDR);
	assert_cmp(expr_at(r, 3), NFT_CMP_EQ, &local, 4);
	assert_cmp(expr_at(r, 5), NFT_CMP_EQ, &tcp, 1);
	assert_cmp(expr_at(r, 7), NFT_CMP_EQ, &port, 2);
	assert_expr_data(expr_at(r, 8), NFTNL_EXPR_IMM_DATA, addr, alen);
	assert_int_equal(nftnl_expr_get_u32(expr_at(r, 8), NFTNL_EXPR_IMM_DREG), NFT_REG_1);
	assert_expr_data(expr_at(r, 9), NFTNL_EXPR_IMM_DATA, &to, 2);
	assert_int_equal(nftnl_expr_get_u32(expr_at(r, 9), NFTNL_EXPR_IMM_DREG), NFT_REG_2);
	e = expr_at(r, 10);
	assert_int_equal(nftnl_expr_get_u32(e, NFTNL_EXPR_NAT_TYPE), NFT_NAT_DNAT);
	assert_int_equal(nftnl_expr_get_u32(e, NFTNL_EXPR_NAT_FAMILY), family);
	assert_int_equal(nftnl_expr_get_u32(e, NFTNL_EXPR_NAT_REG_ADDR_MIN), NFT_REG_1);
	assert_int_equal(nftnl_expr_get_u32(e, NFTNL_EXPR_NAT_REG_PROTO_MIN), NFT_REG_2);
}

static void assert_dnat4_rule(const struct nftnl_rule *r)
{
	uint32_t addr = htonl(GUEST_A);

	assert_dnat_rule(r, NFPROTO_IPV4, &addr, sizeof(addr));
}

static void test_batch_dnat(void **state)
{
	struct nftnl_rule *r[8];
	struct nat_ruleset rs = ruleset_forwards(2);
	struct parsed p;
	struct nat_batch *b = build(&rs, NAT_BATCH_COMMIT, &p);
	size_t n;

	n = chain_rules(&p, "prerouting", r, 8);
	assert_int_equal(n, 2);
	assert_dnat4_rule(r[0]);
	free_rules(r, n);
	n = chain_rules(&p, "output", r, 8);
	assert_int_equal(n, 2);
	assert_dnat4_rule(r[0]);
	free_rules(r, n);
	free(b);
}

/* Hairpin and localhost masquerade; the forward chain lets DNATed flows
 * in before its drop. */
static void test_batch_forward_snat(void **state)
{
	struct nftnl_rule *r[8];
	struct nat_ruleset rs = ruleset_forwards(1);
	struct parsed p;
	struct nat_batch *b = build(&rs, NAT_BATCH_COMMIT, &p);
	uint32_t dnat = IPS_DST_NAT, zero = 0, lo = htonl(0x7f000000u);
	char names[256];
	size_t n;

	n = chain_rules(&p, "postrouting", r, 8);
	assert_int_equal(n, 3);
	expr_names(r[1], names, sizeof(names));
	assert_string_equal(names, "meta cmp payload bitwise cmp meta cmp ct bitwise cmp masq");
	assert_iface(r[1], 5, NFT_META_OIFNAME, NFT_CMP_EQ);
	assert_int_equal(nftnl_expr_get_u32(expr_at(r[1], 7), NFTNL_EXPR_CT_KEY), NFT_CT_STATUS);
	assert_expr_data(expr_at(r[1], 8), NFTNL_EXPR_BITWISE_MASK, &dnat, 4);
	assert_cmp(expr_at(r[1], 9), NFT_CMP_NEQ, &zero, 4);
	expr_names(r[2], names, sizeof(names));
	assert_string_equal(names, "meta cmp payload bitwise cmp meta cmp masq");
	assert_cmp(expr_at(r[2], 4), NFT_CMP_EQ, &lo, 4);
	free_rules(r, n);

	n = chain_rules(&p, "forward", r, 8);
	assert_int_equal(n, 6);
	expr_names(r[4], names, sizeof(names));
	assert_string_equal(names, "meta cmp ct bitwise cmp immediate");
	assert_int_equal(nftnl_expr_get_u32(expr_at(r[4], 2), NFTNL_EXPR_CT_KEY), NFT_CT_STATUS);
	assert_verdict(r[4], 5, NF_ACCEPT);
	assert_verdict(r[5], 2, NF_DROP);
	free_rules(r, n);
	free(b);
}

/* The largest table fits the batch, with both families' rules. */
static void test_batch_max_forwards(void **state)
{
	struct nat_ruleset rs = ruleset(1, true);
	struct nat_batch *b = malloc(sizeof(*b));
	struct nat_forward f = { .proto = IPPROTO_TCP, .port = 1, .addr = GUEST_A, .to_port = 1 };

	(void)state;
	assert_non_null(b);
	assert_int_equal(nat_ruleset_set_prefix6(&rs, PREFIX6, 64), 0);
	memcpy(f.addr6, GUEST6_A, 16);
	for (size_t i = 0; i < NAT_MAX_FORWARDS; i++) {
		f.port = (uint16_t)(1 + i);
		assert_int_equal(nat_ruleset_add_forward(&rs, &f), 0);
	}
	assert_int_equal(nat_ruleset_add_forward(&rs, &f), -ENOSPC);
	assert_int_equal(nat_batch_build_apply(b, &rs, SEQ0, NAT_BATCH_COMMIT), 0);
	free(b);
}

/* A v6 target needs the prefix and must lie in it; a forward may have
 * the v6 target alone (a guest with no DHCPv4 lease but a MAC). */
static void test_ruleset_forwards6(void **state)
{
	static const uint8_t outside[16] = { 0xfd, 0x12, 0x34, 0x56, 0x78, 0x9a, 0, 2, [15] = 5 };
	struct nat_ruleset rs = ruleset(1, true);
	struct nat_forward f = { .proto = IPPROTO_TCP, .port = 80, .to_port = 8080 };

	(void)state;
	memcpy(f.addr6, GUEST6_A, 16);
	assert_int_equal(nat_ruleset_add_forward(&rs, &f), -EINVAL);  /* IPv6=no */
	assert_int_equal(nat_ruleset_set_prefix6(&rs, PREFIX6, 64), 0);
	assert_int_equal(nat_ruleset_add_forward(&rs, &f), 0);
	memcpy(f.addr6, outside, 16);
	assert_int_equal(nat_ruleset_add_forward(&rs, &f), -EINVAL);
	memset(f.addr6, 0, 16);
	assert_int_equal(nat_ruleset_add_forward(&rs, &f), -EINVAL);  /* no address */
}

/* Both families per forward, v4 first; the v6 hairpin after the v4 one. */
static void test_batch_dnat6(void **state)
{
	struct nftnl_rule *r[8];
	struct nat_ruleset rs = ruleset(1, true);
	struct nat_forward f = { .proto = IPPROTO_TCP, .port = 2222, .addr = GUEST_A, .to_port = 22 };
	uint32_t dnat = IPS_DST_NAT;
	struct parsed p;
	struct nat_batch *b;
	char names[256];
	size_t n;

	(void)state;
	assert_int_equal(nat_ruleset_set_prefix6(&rs, PREFIX6, 64), 0);
	memcpy(f.addr6, GUEST6_A, 16);
	assert_int_equal(nat_ruleset_add_forward(&rs, &f), 0);
	f.port = 2223;
	f.addr = 0;   /* v6 only */
	assert_int_equal(nat_ruleset_add_forward(&rs, &f), 0);
	b = build(&rs, NAT_BATCH_COMMIT, &p);
	n = chain_rules(&p, "prerouting", r, 8);
	assert_int_equal(n, 3);
	assert_dnat4_rule(r[0]);
	assert_dnat_rule(r[1], NFPROTO_IPV6, GUEST6_A, 16);
	free_rules(r, n);
	n = chain_rules(&p, "output", r, 8);
	assert_int_equal(n, 3);
	assert_dnat_rule(r[1], NFPROTO_IPV6, GUEST6_A, 16);
	free_rules(r, n);
	/* masquerade v4, NAT66, hairpin v4, hairpin v6, localhost. */
	n = chain_rules(&p, "postrouting", r, 8);
	assert_int_equal(n, 5);
	expr_names(r[3], names, sizeof(names));
	assert_string_equal(names, "meta cmp payload bitwise cmp meta cmp ct bitwise cmp masq");
	assert_cmp(expr_at(r[3], 4), NFT_CMP_EQ, PREFIX6, 16);
	assert_iface(r[3], 5, NFT_META_OIFNAME, NFT_CMP_EQ);
	assert_expr_data(expr_at(r[3], 8), NFTNL_EXPR_BITWISE_MASK, &dnat, 4);
	free_rules(r, n);
	free(b);
}

/* --- the kernel's answers ------------------------------------------- */

struct answers {
	_Alignas(uint32_t) char buf[4096];
	size_t len;
};

/* Appends an NLMSG_ERROR for seq, capped (NETLINK_CAP_ACK), with the
 * extended ACK's text when text is not NULL. */
static void answer(struct answers *a, uint32_t seq, int error, const char *text)
{
	struct nlmsghdr *nlh = mnl_nlmsg_put_header(a->buf + a->len);
	struct nlmsgerr *e;

	nlh->nlmsg_type = NLMSG_ERROR;
	nlh->nlmsg_flags = NLM_F_CAPPED;
	nlh->nlmsg_seq = seq;
	e = mnl_nlmsg_put_extra_header(nlh, sizeof(*e));
	e->error = error;
	e->msg.nlmsg_len = sizeof(struct nlmsghdr);
	e->msg.nlmsg_seq = seq;
	if (text) {
		nlh->nlmsg_flags |= NLM_F_ACK_TLVS;
		mnl_attr_put_strz(nlh, NLMSGERR_ATTR_MSG, text);
	}
	a->len += nlh->nlmsg_len;
	assert_true(a->len < sizeof(a->buf) - 512);
}

static void test_result_all_acked(void **state)
{
	struct nat_ruleset rs = ruleset(1, true);
	struct nat_result res;
	struct answers a = { .len = 0 };
	struct parsed p;
	struct nat_batch *b = build(&rs, NAT_BATCH_COMMIT, &p);
	size_t i;

	nat_result_init(&res);
	for (i = 0; i < b->n_msgs - 1; i++)
		answer(&a, b->msgs[i].seq, 0, NULL);
	/* An answer to some other request is not ours to count. */
	answer(&a, SEQ0 + 500, -EINVAL, NULL);
	assert_int_equal(nat_result_feed(&res, b, a.buf, a.len), 0);
	assert_false(nat_result_done(&res, b));
	/* The same message acknowledged twice counts once. */
	a.len = 0;
	answer(&a, b->msgs[0].seq, 0, NULL);
	assert_int_equal(nat_result_feed(&res, b, a.buf, a.len), 0);
	assert_false(nat_result_done(&res, b));
	a.len = 0;
	answer(&a, b->msgs[b->n_msgs - 1].seq, 0, NULL);
	assert_int_equal(nat_result_feed(&res, b, a.buf, a.len), 0);
	assert_true(nat_result_done(&res, b));
	assert_int_equal(res.err, 0);
	assert_string_equal(res.err_msg, "");
	free(b);
}

static void test_result_rule_error(void **state)
{
	struct nat_ruleset rs = ruleset(1, true);
	struct nat_result res;
	struct answers a = { .len = 0 };
	struct parsed p;
	struct nat_batch *b = build(&rs, NAT_BATCH_COMMIT, &p);
	uint32_t seq;

	nat_result_init(&res);
	/* Rule 3 in forward: BEGIN, 3 tables, 3 chains, 1 postrouting rule,
	 * then forward's rules. */
	seq = SEQ0 + 10;
	assert_string_equal(nat_batch_describe(b, seq), "rule 3 in chain forward");
	answer(&a, seq - 1, 0, NULL);
	answer(&a, seq, -EOPNOTSUPP, "no such expression");
	answer(&a, seq + 1, -ENOENT, NULL);
	assert_int_equal(nat_result_feed(&res, b, a.buf, a.len), 0);
	assert_int_equal(res.err, -EOPNOTSUPP);
	assert_string_equal(res.err_msg,
		"nftables: rule 3 in chain forward failed: Operation not supported"
		" (no such expression)");
	assert_false(nat_result_done(&res, b));
	free(b);
}

static void test_result_batch_error(void **state)
{
	struct nat_ruleset rs = ruleset(1, true);
	struct nat_result res;
	struct answers a = { .len = 0 };
	struct parsed p;
	struct nat_batch *b = build(&rs, NAT_BATCH_COMMIT, &p);

	nat_result_init(&res);
	answer(&a, SEQ0, -EPERM, NULL);
	assert_int_equal(nat_result_feed(&res, b, a.buf, a.len), 0);
	assert_true(res.batch_failed);
	assert_true(nat_result_done(&res, b));
	assert_int_equal(res.err, -EPERM);
	assert_string_equal(res.err_msg,
			    "nftables: batch failed: Operation not permitted");
	free(b);
}

static void test_result_malformed(void **state)
{
	struct nat_ruleset rs = ruleset(1, true);
	struct nat_result res;
	struct answers a = { .len = 0 };
	struct parsed p;
	struct nat_batch *b = build(&rs, NAT_BATCH_COMMIT, &p);
	struct nlmsghdr *nlh;

	nat_result_init(&res);
	answer(&a, SEQ0 + 1, 0, NULL);
	/* Cut short: trailing bytes that are not a whole message. */
	assert_int_equal(nat_result_feed(&res, b, a.buf, a.len - 2), -EPROTO);
	/* An NLMSG_ERROR too short for its struct nlmsgerr. */
	nlh = (struct nlmsghdr *)a.buf;
	nlh->nlmsg_len = sizeof(*nlh) + 2;
	assert_int_equal(nat_result_feed(&res, b, a.buf, NLMSG_ALIGN(nlh->nlmsg_len)),
			 -EPROTO);
	assert_int_equal(res.err, 0);
	free(b);
}

/* --- spoof protection ------------------------------------------------ */

static const uint8_t MAC_A[6] = { 0x52, 0x54, 0, 0, 0, 0xa };
static const uint8_t MAC_B[6] = { 0x52, 0x54, 0, 0, 0, 0xb };

static struct nat_spoof_binding binding(uint32_t ip, uint32_t port, const uint8_t mac[6])
{
	struct nat_spoof_binding b = { .ip = ip, .port = port };

	memcpy(b.mac, mac, 6);
	return b;
}

static void assert_op(const struct nat_spoof_op *op, bool add, enum nat_spoof_set set,
		      uint32_t ip, uint32_t port)
{
	assert_int_equal(op->add, add);
	assert_int_equal(op->set, set);
	assert_int_equal(op->b.ip, ip);
	assert_int_equal(op->b.port, port);
}

/* A new lease adds its three elements; the same again adds nothing; a
 * move deletes the old ones first. */
static void test_spoof_bind(void **state)
{
	struct nat_spoof_op ops[NAT_SPOOF_MAX_OPS];
	struct nat_spoof_table t;
	struct nat_spoof_binding b = binding(GUEST_A, 7, MAC_A);
	size_t n;

	nat_spoof_table_init(&t);
	assert_int_equal(nat_spoof_bind(&t, &b, ops, &n), 0);
	assert_int_equal(n, 3);
	assert_op(&ops[0], true, NAT_SPOOF_ADDR, GUEST_A, 7);
	assert_op(&ops[1], true, NAT_SPOOF_PORT_MAC, GUEST_A, 7);
	assert_op(&ops[2], true, NAT_SPOOF_MAC, GUEST_A, 7);
	assert_int_equal(nat_spoof_bind(&t, &b, ops, &n), 0);
	assert_int_equal(n, 0);
	/* The clone of MAC_A on port 9, once port 7 is gone. */
	b.port = 9;
	assert_int_equal(nat_spoof_bind(&t, &b, ops, &n), 0);
	assert_int_equal(n, 6);
	assert_op(&ops[0], false, NAT_SPOOF_ADDR, GUEST_A, 7);
	assert_op(&ops[1], false, NAT_SPOOF_PORT_MAC, GUEST_A, 7);
	assert_op(&ops[2], false, NAT_SPOOF_MAC, GUEST_A, 7);
	assert_op(&ops[3], true, NAT_SPOOF_ADDR, GUEST_A, 9);
	assert_int_equal(t.n, 1);
	/* Nothing to bind: no address, port or MAC. */
	b.port = 0;
	assert_int_equal(nat_spoof_bind(&t, &b, ops, &n), -EINVAL);
	b = binding(GUEST_A + 1, 9, (const uint8_t[6]){ 0 });
	assert_int_equal(nat_spoof_bind(&t, &b, ops, &n), -EINVAL);
	nat_spoof_table_free(&t);
}

/* A MAC with two addresses on a port: the first to go keeps the MAC's
 * elements, the last takes them along. */
static void test_spoof_unbind_shared(void **state)
{
	struct nat_spoof_op ops[NAT_SPOOF_MAX_OPS];
	struct nat_spoof_table t;
	struct nat_spoof_binding a = binding(GUEST_A, 7, MAC_A), b = binding(GUEST_A + 1, 7, MAC_A);
	size_t n;

	nat_spoof_table_init(&t);
	assert_int_equal(nat_spoof_bind(&t, &a, ops, &n), 0);
	assert_int_equal(nat_spoof_bind(&t, &b, ops, &n), 0);
	assert_int_equal(nat_spoof_unbind(&t, GUEST_A, ops, &n), 0);
	assert_int_equal(n, 1);
	assert_op(&ops[0], false, NAT_SPOOF_ADDR, GUEST_A, 7);
	assert_int_equal(nat_spoof_unbind(&t, GUEST_A, ops, &n), 0);
	assert_int_equal(n, 0);
	assert_int_equal(nat_spoof_unbind(&t, GUEST_A + 1, ops, &n), 0);
	assert_int_equal(n, 3);
	assert_int_equal(t.n, 0);
	/* The same MAC on another port (renumbering, a move): the MAC stays
	 * held while either has it. */
	b.port = 8;
	assert_int_equal(nat_spoof_bind(&t, &a, ops, &n), 0);
	assert_int_equal(nat_spoof_bind(&t, &b, ops, &n), 0);
	assert_int_equal(nat_spoof_unbind(&t, GUEST_A, ops, &n), 0);
	assert_int_equal(n, 2);
	assert_op(&ops[1], false, NAT_SPOOF_PORT_MAC, GUEST_A, 7);
	nat_spoof_table_free(&t);
}

/* Many bindings, grown and removed in a mixed order: every one is still
 * found until removed (the probing runs stay whole). */
static void test_spoof_table_many(void **state)
{
	struct nat_spoof_op ops[NAT_SPOOF_MAX_OPS];
	struct nat_spoof_table t;
	struct nat_spoof_binding b;
	size_t n, i;

	nat_spoof_table_init(&t);
	for (i = 0; i < 3000; i++) {
		b = binding(SUBNET_A + 1 + (uint32_t)i, 100 + (uint32_t)(i % 5), MAC_B);
		b.mac[4] = (uint8_t)(i >> 8);
		b.mac[5] = (uint8_t)i;
		assert_int_equal(nat_spoof_bind(&t, &b, ops, &n), 0);
		assert_int_equal(n, 3);
	}
	assert_int_equal(t.n, 3000);
	for (i = 0; i < 3000; i += 3) {
		assert_int_equal(nat_spoof_unbind(&t, SUBNET_A + 1 + (uint32_t)i, ops, &n), 0);
		assert_int_equal(n, 3);
	}
	for (i = 0; i < 3000; i++) {
		assert_int_equal(nat_spoof_unbind(&t, SUBNET_A + 1 + (uint32_t)i, ops, &n), 0);
		assert_int_equal(n, i % 3 ? 3 : 0);
	}
	assert_int_equal(t.n, 0);
	nat_spoof_table_free(&t);
}

/* The sync's adds, set by set, in chunks. */
static void test_spoof_sync_ops(void **state)
{
	struct nat_spoof_op ops[NAT_SPOOF_MAX_OPS], all[9];
	struct nat_spoof_table t;
	struct nat_spoof_binding b;
	size_t n, cursor = 0, total = 0;

	nat_spoof_table_init(&t);
	for (uint32_t i = 0; i < 5; i++) {
		b = binding(GUEST_A + i, 7, MAC_A);
		b.mac[5] = (uint8_t)i;
		assert_int_equal(nat_spoof_bind(&t, &b, ops, &n), 0);
	}
	while ((n = nat_spoof_sync_ops(&t, &cursor, all, 9)) > 0) {
		assert_true(n <= 9 && n % 3 == 0);
		for (size_t i = 0; i < n; i++) {
			assert_true(all[i].add);
			/* Set by set: ADDR first, MAC last. */
			assert_int_equal(all[i].set, i / (n / 3));
		}
		total += n / 3;
	}
	assert_int_equal(total, 5);
	nat_spoof_table_free(&t);
}

/* A lease's change: BEGIN, one message per set, END; keys laid out as
 * the rules load them (ifindex in host order, MAC padded to 8, address
 * in network order). */
static void test_batch_spoof_elems(void **state)
{
	struct nat_spoof_op ops[NAT_SPOOF_MAX_OPS];
	struct nat_spoof_table t;
	struct nat_spoof_binding b = binding(GUEST_A, 7, MAC_A);
	struct nat_batch *bt = calloc(1, sizeof(*bt));
	uint8_t keys[4][16], want[16] = { 0 };
	uint32_t port = 7, ip = htonl(GUEST_A);
	struct parsed p;
	size_t n;

	assert_non_null(bt);
	nat_spoof_table_init(&t);
	assert_int_equal(nat_spoof_bind(&t, &b, ops, &n), 0);
	assert_int_equal(nat_batch_build_spoof(bt, ops, n, false, SEQ0, NAT_BATCH_COMMIT), 0);
	parse_batch(bt, &p);
	assert_int_equal(p.n, 5);
	assert_int_equal(p.nlh[1]->nlmsg_type, nft_type(NFT_MSG_NEWSETELEM));
	memcpy(want, &port, 4);
	memcpy(want + 4, MAC_A, 6);
	memcpy(want + 12, &ip, 4);
	assert_int_equal(elem_keys(p.nlh[1], "spoof4", 16, keys, 4), 1);
	assert_memory_equal(keys[0], want, 16);
	assert_int_equal(elem_keys(p.nlh[2], "spoofmac", 12, keys, 4), 1);
	assert_memory_equal(keys[0], want, 12);
	assert_int_equal(elem_keys(p.nlh[3], "spoofheld", 6, keys, 4), 1);
	assert_memory_equal(keys[0], MAC_A, 6);
	assert_string_equal(nat_batch_describe(bt, SEQ0 + 3), "set bridge spoofheld: add");
	/* The lease ends: deletes. */
	assert_int_equal(nat_spoof_unbind(&t, GUEST_A, ops, &n), 0);
	assert_int_equal(nat_batch_build_spoof(bt, ops, n, false, SEQ0, NAT_BATCH_COMMIT), 0);
	parse_batch(bt, &p);
	assert_int_equal(p.nlh[1]->nlmsg_type, nft_type(NFT_MSG_DELSETELEM));
	/* A sync: three flushes first. */
	assert_int_equal(nat_batch_build_spoof(bt, NULL, 0, true, SEQ0, NAT_BATCH_COMMIT), 0);
	parse_batch(bt, &p);
	assert_int_equal(p.n, 5);
	assert_string_equal(nat_batch_describe(bt, SEQ0 + 1), "set bridge spoof4: flush");
	assert_int_equal(nat_batch_build_spoof(bt, ops, NAT_SPOOF_OPS_PER_BATCH + 1, false, SEQ0,
					       NAT_BATCH_COMMIT), -EINVAL);
	nat_spoof_table_free(&t);
	free(bt);
}

/* SpoofProtection=yes: three more sets, the spoof counter, and its rules
 * after the guards' (with the IPv6 prefix, one more), the drop last. */
static void test_batch_spoof_rules(void **state)
{
	static const uint8_t ula[16] = { 0xfd, 0x12 };
	struct nftnl_rule *r[16];
	struct nat_ruleset rs = ruleset(1, true);
	struct nat_batch *b;
	struct nftnl_set *set;
	struct parsed p;
	char names[256];
	size_t n, sets = 0;
	uint32_t zero = 0;

	rs.guard_dhcp_servers = rs.guard_router_ads = rs.guard_spoof = true;
	b = build(&rs, NAT_BATCH_COMMIT, &p);
	for (size_t i = 0; i < p.n; i++) {
		if (p.nlh[i]->nlmsg_type != nft_type(NFT_MSG_NEWSET))
			continue;
		set = nftnl_set_alloc();
		assert_non_null(set);
		assert_int_equal(nftnl_set_nlmsg_parse(p.nlh[i], set), 0);
		if (strcmp(nftnl_set_get_str(set, NFTNL_SET_NAME), "spoof4") == 0) {
			assert_int_equal(nftnl_set_get_u32(set, NFTNL_SET_KEY_LEN), 16);
			/* iface_index . ether_addr . ipv4_addr */
			assert_int_equal(nftnl_set_get_u32(set, NFTNL_SET_KEY_TYPE),
					 (20 << 12) | (9 << 6) | 7);
		}
		sets++;
		nftnl_set_free(set);
	}
	assert_int_equal(sets, 4);
	n = family_rules(&p, NFPROTO_BRIDGE, "guard", r, 16);
	assert_int_equal(n, 3 + 9);
	expr_names(r[3], names, sizeof(names));
	assert_string_equal(names, "meta cmp meta payload payload lookup immediate");
	assert_int_equal(nftnl_expr_get_u32(expr_at(r[3], 2), NFTNL_EXPR_META_DREG), NFT_REG32_00);
	assert_int_equal(nftnl_expr_get_u32(expr_at(r[3], 3), NFTNL_EXPR_PAYLOAD_DREG),
			 NFT_REG32_01);
	assert_int_equal(nftnl_expr_get_u32(expr_at(r[3], 4), NFTNL_EXPR_PAYLOAD_DREG),
			 NFT_REG32_03);
	assert_string_equal(nftnl_expr_get_str(expr_at(r[3], 5), NFTNL_EXPR_LOOKUP_SET), "spoof4");
	assert_verdict(r[3], 6, NF_ACCEPT);
	/* The address 0.0.0.0 from the port's lease MAC. */
	assert_cmp(expr_at(r[4], 3), NFT_CMP_EQ, &zero, 4);
	/* A DHCP client's message from a MAC no lease holds. */
	expr_names(r[5], names, sizeof(names));
	assert_string_equal(names, "meta cmp meta cmp payload cmp payload cmp payload "
			    "lookup immediate");
	assert_string_equal(nftnl_expr_get_str(expr_at(r[5], 9), NFTNL_EXPR_LOOKUP_SET),
			    "spoofheld");
	assert_int_equal(nftnl_expr_get_u32(expr_at(r[5], 9), NFTNL_EXPR_LOOKUP_FLAGS),
			 NFT_LOOKUP_F_INV);
	/* ARP: both source MACs looked up with the sender address. */
	expr_names(r[6], names, sizeof(names));
	assert_string_equal(names, "meta cmp meta payload payload lookup payload lookup immediate");
	expr_names(r[11], names, sizeof(names));
	assert_string_equal(names, "meta lookup objref immediate");
	assert_counted_drop(r[11], 2, "spoof");
	free_rules(r, n);
	free(b);
	/* With the guests' IPv6 prefix: one rule more. */
	assert_int_equal(nat_ruleset_set_prefix6(&rs, ula, 64), 0);
	b = build(&rs, NAT_BATCH_COMMIT, &p);
	n = family_rules(&p, NFPROTO_BRIDGE, "guard", r, 16);
	assert_int_equal(n, 3 + 10);
	free_rules(r, n);
	free(b);
	/* Spoof protection alone makes the bridge table. */
	rs.guard_dhcp_servers = rs.guard_router_ads = false;
	assert_true(nat_ruleset_has_guards(&rs));
	assert_true(nat_ruleset_guard_on(&rs, NAT_GUARD_SPOOF));
	b = build(&rs, NAT_BATCH_COMMIT, &p);
	n = family_rules(&p, NFPROTO_BRIDGE, "guard", r, 16);
	assert_int_equal(n, 10);
	free_rules(r, n);
	free(b);
}

/* --- the guards' nflog samples -------------------------------------- */

/* One NFULNL_MSG_PACKET as the kernel sends it; physindev or indev 0
 * leaves the attribute out, prefix NULL too. */
static size_t nflog_msg(char *buf, uint16_t group, const char *prefix, uint32_t indev,
			uint32_t physindev, const uint8_t *mac)
{
	struct nlmsghdr *nlh = mnl_nlmsg_put_header(buf);
	struct nfgenmsg *nfg;
	struct nfulnl_msg_packet_hw hw = { .hw_addrlen = htons(6) };

	nlh->nlmsg_type = (NFNL_SUBSYS_ULOG << 8) | NFULNL_MSG_PACKET;
	nfg = mnl_nlmsg_put_extra_header(nlh, sizeof(*nfg));
	nfg->nfgen_family = NFPROTO_BRIDGE;
	nfg->res_id = htons(group);
	if (prefix)
		mnl_attr_put_strz(nlh, NFULA_PREFIX, prefix);
	if (indev)
		mnl_attr_put_u32(nlh, NFULA_IFINDEX_INDEV, htonl(indev));
	if (physindev)
		mnl_attr_put_u32(nlh, NFULA_IFINDEX_PHYSINDEV, htonl(physindev));
	if (mac) {
		memcpy(hw.hw_addr, mac, 6);
		mnl_attr_put(nlh, NFULA_HWADDR, sizeof(hw), &hw);
	}
	return NLMSG_ALIGN(nlh->nlmsg_len);
}

struct nflog_seen {
	struct nat_nflog_event e[4];
	size_t n;
};

static void nflog_event(void *ctx, const struct nat_nflog_event *e)
{
	struct nflog_seen *s = ctx;

	assert_true(s->n < 4);
	s->e[s->n++] = *e;
}

/* The port: the physical in-device (bridge netfilter), else the
 * in-device; other groups and messages without a prefix are left out. */
static void test_nflog_parse(void **state)
{
	_Alignas(uint32_t) char buf[1024] = { 0 };
	struct nflog_seen s = { 0 };
	size_t len = 0;

	len += nflog_msg(buf + len, NAT_NFLOG_GROUP, "spoof", 3, 9, MAC_A);
	len += nflog_msg(buf + len, NAT_NFLOG_GROUP + 1, "spoof", 3, 9, MAC_A);
	len += nflog_msg(buf + len, NAT_NFLOG_GROUP, NULL, 3, 9, MAC_A);
	len += nflog_msg(buf + len, NAT_NFLOG_GROUP, "dhcp4-server", 7, 0, NULL);
	assert_int_equal(nat_nflog_parse(buf, len, NAT_NFLOG_GROUP, nflog_event, &s), 2);
	assert_string_equal(s.e[0].prefix, "spoof");
	assert_int_equal(s.e[0].port, 9);
	assert_true(s.e[0].has_mac);
	assert_memory_equal(s.e[0].mac, MAC_A, 6);
	assert_string_equal(s.e[1].prefix, "dhcp4-server");
	assert_int_equal(s.e[1].port, 7);
	assert_false(s.e[1].has_mac);
	/* A message cut short: nothing past it is read. */
	assert_int_equal(nat_nflog_parse(buf, len - 2, NAT_NFLOG_GROUP, nflog_event, &s), -EPROTO);
}

/* The configuration: bind the group, then metadata only. */
static void test_nflog_config(void **state)
{
	_Alignas(uint32_t) char buf[NAT_NFLOG_CONFIG_SIZE] = { 0 };
	const struct nlmsghdr *nlh = (const struct nlmsghdr *)buf;
	const struct nfgenmsg *nfg = mnl_nlmsg_get_payload(nlh);
	const struct nlattr *a;
	size_t len;

	len = nat_nflog_config(buf, sizeof(buf), NAT_NFLOG_BIND, NAT_NFLOG_GROUP, 5);
	assert_int_equal(len, nlh->nlmsg_len);
	assert_int_equal(nlh->nlmsg_type, (NFNL_SUBSYS_ULOG << 8) | NFULNL_MSG_CONFIG);
	assert_true(nlh->nlmsg_flags & NLM_F_ACK);
	assert_int_equal(ntohs(nfg->res_id), NAT_NFLOG_GROUP);
	a = mnl_nlmsg_get_payload_offset(nlh, sizeof(*nfg));
	assert_int_equal(mnl_attr_get_type(a), NFULA_CFG_CMD);
	assert_int_equal(*(const uint8_t *)mnl_attr_get_payload(a), NFULNL_CFG_CMD_BIND);
	nat_nflog_config(buf, sizeof(buf), NAT_NFLOG_COPY_NONE, NAT_NFLOG_GROUP, 6);
	a = mnl_nlmsg_get_payload_offset(nlh, sizeof(*nfg));
	assert_int_equal(mnl_attr_get_type(a), NFULA_CFG_MODE);
	assert_int_equal(((const struct nfulnl_msg_config_mode *)mnl_attr_get_payload(a))->copy_mode,
			 NFULNL_COPY_NONE);
	assert_int_equal(nat_nflog_config(buf, 8, NAT_NFLOG_BIND, 1, 1), 0);
}

/* With guard_log, each guard's drop follows a rule with its matches that
 * logs to the group, rate limited, the counter's name as prefix. */
static void test_batch_guard_log(void **state)
{
	struct nftnl_rule *r[24];
	struct nat_ruleset rs = ruleset(1, true);
	const struct nftnl_expr *e;
	struct nat_batch *b;
	struct parsed p;
	char names[256];
	size_t n;

	rs.guard_dhcp_servers = rs.guard_router_ads = rs.guard_spoof = rs.guard_log = true;
	b = build(&rs, NAT_BATCH_COMMIT, &p);
	n = family_rules(&p, NFPROTO_BRIDGE, "guard", r, 24);
	/* 3 guards, logged and dropped; 8 accepts, the log and the drop. */
	assert_int_equal(n, 6 + 10);
	expr_names(r[0], names, sizeof(names));
	assert_string_equal(names, "meta cmp meta cmp payload cmp payload cmp meta lookup limit log");
	e = expr_at(r[0], 11);
	assert_int_equal(nftnl_expr_get_u64(expr_at(r[0], 10), NFTNL_EXPR_LIMIT_RATE),
			 NAT_NFLOG_RATE);
	assert_int_equal(nftnl_expr_get_u16(e, NFTNL_EXPR_LOG_GROUP), NAT_NFLOG_GROUP);
	assert_string_equal(nftnl_expr_get_str(e, NFTNL_EXPR_LOG_PREFIX), "dhcp4-server");
	assert_counted_drop(r[1], 10, "dhcp4-server");
	expr_names(r[14], names, sizeof(names));
	assert_string_equal(names, "meta lookup limit log");
	assert_counted_drop(r[15], 2, "spoof");
	free_rules(r, n);
	free(b);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_nflog_parse),
		cmocka_unit_test(test_nflog_config),
		cmocka_unit_test(test_batch_guard_log),
		cmocka_unit_test(test_spoof_bind),
		cmocka_unit_test(test_spoof_unbind_shared),
		cmocka_unit_test(test_spoof_table_many),
		cmocka_unit_test(test_spoof_sync_ops),
		cmocka_unit_test(test_batch_spoof_elems),
		cmocka_unit_test(test_batch_spoof_rules),
		cmocka_unit_test(test_batch_guards),
		cmocka_unit_test(test_batch_guards_allow),
		cmocka_unit_test(test_batch_guard_ports),
		cmocka_unit_test(test_counters_feed),
		cmocka_unit_test(test_ruleset_bridge_names),
		cmocka_unit_test(test_ruleset_subnets),
		cmocka_unit_test(test_chain_specs),
		cmocka_unit_test(test_model_rules),
		cmocka_unit_test(test_batch_messages),
		cmocka_unit_test(test_batch_tables),
		cmocka_unit_test(test_batch_chains),
		cmocka_unit_test(test_batch_postrouting),
		cmocka_unit_test(test_batch_postrouting6),
		cmocka_unit_test(test_batch_host_subnet),
		cmocka_unit_test(test_batch_no_masquerade),
		cmocka_unit_test(test_batch_forward),
		cmocka_unit_test(test_batch_input),
		cmocka_unit_test(test_batch_trace),
		cmocka_unit_test(test_batch_check_mode),
		cmocka_unit_test(test_batch_remove),
		cmocka_unit_test(test_batch_describe),
		cmocka_unit_test(test_batch_bad_ruleset),
		cmocka_unit_test(test_ruleset_forwards),
		cmocka_unit_test(test_batch_dnat),
		cmocka_unit_test(test_batch_forward_snat),
		cmocka_unit_test(test_batch_max_forwards),
		cmocka_unit_test(test_ruleset_forwards6),
		cmocka_unit_test(test_batch_dnat6),
		cmocka_unit_test(test_result_all_acked),
		cmocka_unit_test(test_result_rule_error),
		cmocka_unit_test(test_result_batch_error),
		cmocka_unit_test(test_result_malformed),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
