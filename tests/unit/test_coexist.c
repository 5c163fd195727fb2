/* Tests for nat/coexist.c: which firewalls kill guest traffic, and the
 * fix for each. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <linux/netfilter.h>

#include <cmocka.h>

#include "coexist.h"

#define BR "defnet0"
#define MAX_CHAINS 16

struct view_builder {
	struct coexist_chain chains[MAX_CHAINS];
	struct coexist_view v;
};

static void vb_init(struct view_builder *b)
{
	memset(b, 0, sizeof(*b));
	b->v.chains = b->chains;
}

static struct coexist_chain *vb_chain(struct view_builder *b, uint8_t family, const char *table,
				      const char *name)
{
	struct coexist_chain *c = &b->chains[b->v.n_chains++];

	assert_true(b->v.n_chains <= MAX_CHAINS);
	c->family = family;
	strcpy(c->table, table);
	strcpy(c->name, name);
	return c;
}

static struct coexist_chain *vb_base(struct view_builder *b, uint8_t family, const char *table,
				     const char *name, uint32_t hook, uint32_t policy)
{
	struct coexist_chain *c = vb_chain(b, family, table, name);

	c->base = true;
	c->hook = hook;
	c->policy = policy;
	return c;
}

/* What iptables-nft makes for its filter table. */
static void vb_iptables(struct view_builder *b, uint32_t forward_policy, uint32_t input_policy)
{
	vb_base(b, NFPROTO_IPV4, "filter", "INPUT", NF_INET_LOCAL_IN, input_policy);
	vb_base(b, NFPROTO_IPV4, "filter", "FORWARD", NF_INET_FORWARD, forward_policy);
	vb_base(b, NFPROTO_IPV4, "filter", "OUTPUT", NF_INET_LOCAL_OUT, NF_ACCEPT);
}

static struct coexist_report analyze_with(struct view_builder *b, bool docker_compat, bool ipv6)
{
	const struct coexist_opts o = { .bridge = BR, .docker_compat = docker_compat, .ipv6 = ipv6 };
	struct coexist_report rep;

	coexist_analyze(&b->v, &o, &rep);
	return rep;
}

static struct coexist_report analyze(struct view_builder *b, bool docker_compat)
{
	return analyze_with(b, docker_compat, false);
}

static void test_nothing(void **state)
{
	struct view_builder b;
	struct coexist_report rep;

	vb_init(&b);
	rep = analyze(&b, false);
	assert_int_equal(rep.n, 0);
	/* Accepting policies everywhere: nothing either. */
	vb_iptables(&b, NF_ACCEPT, NF_ACCEPT);
	vb_base(&b, NFPROTO_INET, "mine", "fw", NF_INET_FORWARD, NF_ACCEPT);
	rep = analyze(&b, false);
	assert_int_equal(rep.n, 0);
	assert_false(rep.docker_user);
}

static void test_iptables_forward_drop(void **state)
{
	struct view_builder b;
	struct coexist_report rep;

	vb_init(&b);
	vb_iptables(&b, NF_DROP, NF_ACCEPT);
	rep = analyze(&b, false);
	assert_int_equal(rep.n, 1);
	assert_int_equal(rep.v[0].kind, COEXIST_IPTABLES_FORWARD);
	assert_string_equal(rep.v[0].fix, "iptables -I FORWARD -i defnet0 -j ACCEPT && "
			    "iptables -I FORWARD -o defnet0 -m conntrack --ctstate "
			    "RELATED,ESTABLISHED -j ACCEPT");
	/* A rule that names the bridge anywhere in the table: fixed. */
	b.chains[1].mentions_bridge = true;
	rep = analyze(&b, false);
	assert_int_equal(rep.n, 0);
}

static void test_iptables_input_drop(void **state)
{
	struct view_builder b;
	struct coexist_report rep;

	vb_init(&b);
	vb_iptables(&b, NF_DROP, NF_DROP);
	rep = analyze(&b, false);
	assert_int_equal(rep.n, 2);
	assert_non_null(strstr(rep.v[1].what, "INPUT"));
	assert_string_equal(rep.v[1].fix, "iptables -I INPUT -i defnet0 -j ACCEPT");
}

static void test_docker(void **state)
{
	struct view_builder b;
	struct coexist_report rep;
	struct coexist_chain *user;

	vb_init(&b);
	vb_iptables(&b, NF_DROP, NF_ACCEPT);
	user = vb_chain(&b, NFPROTO_IPV4, "filter", "DOCKER-USER");
	vb_chain(&b, NFPROTO_IPV4, "filter", "DOCKER");
	rep = analyze(&b, false);
	assert_true(rep.docker_user);
	assert_false(rep.docker_rules);
	assert_int_equal(rep.n, 1);
	assert_int_equal(rep.v[0].kind, COEXIST_DOCKER);
	assert_non_null(strstr(rep.v[0].fix, "DockerCompat=yes"));
	assert_null(strstr(rep.v[0].what, "could not be added"));
	/* Asked for, but the rules are not there. */
	rep = analyze(&b, true);
	assert_non_null(strstr(rep.v[0].what, "could not be added"));
	/* Our rules in DOCKER-USER. */
	user->mentions_bridge = true;
	rep = analyze(&b, true);
	assert_true(rep.docker_rules);
	assert_int_equal(rep.n, 0);
}

static void test_ufw(void **state)
{
	struct view_builder b;
	struct coexist_report rep;

	vb_init(&b);
	vb_iptables(&b, NF_ACCEPT, NF_DROP);
	vb_chain(&b, NFPROTO_IPV4, "filter", "ufw-before-input");
	rep = analyze(&b, false);
	assert_int_equal(rep.n, 1);
	assert_int_equal(rep.v[0].kind, COEXIST_UFW);
	assert_string_equal(rep.v[0].fix, "ufw allow in on defnet0 && ufw route allow in on "
			    "defnet0 && ufw route allow out on defnet0");
	/* ufw with accepting policies: nothing. */
	vb_init(&b);
	vb_iptables(&b, NF_ACCEPT, NF_ACCEPT);
	vb_chain(&b, NFPROTO_IPV4, "filter", "ufw-before-input");
	assert_int_equal(analyze(&b, false).n, 0);
}

static void test_firewalld(void **state)
{
	struct view_builder b;
	struct coexist_report rep;
	struct coexist_chain *c;

	vb_init(&b);
	/* firewalld's chains accept by policy and reject in a last rule. */
	vb_base(&b, NFPROTO_INET, "firewalld", "filter_FORWARD", NF_INET_FORWARD, NF_ACCEPT);
	c = vb_chain(&b, NFPROTO_INET, "firewalld", "filter_IN_trusted");
	rep = analyze(&b, false);
	assert_int_equal(rep.n, 1);
	assert_int_equal(rep.v[0].kind, COEXIST_FIREWALLD);
	assert_string_equal(rep.v[0].fix, "firewall-cmd --permanent --zone=trusted "
			    "--add-interface=defnet0 && firewall-cmd --reload");
	c->mentions_bridge = true;
	assert_int_equal(analyze(&b, false).n, 0);
}

static void test_nft_drop(void **state)
{
	struct view_builder b;
	struct coexist_report rep;

	vb_init(&b);
	vb_base(&b, NFPROTO_INET, "mine", "fw", NF_INET_FORWARD, NF_DROP);
	vb_base(&b, NFPROTO_IPV4, "host", "in", NF_INET_LOCAL_IN, NF_DROP);
	/* Other families and hooks are not ours to judge. */
	vb_base(&b, NFPROTO_BRIDGE, "br", "fw", NF_INET_FORWARD, NF_DROP);
	vb_base(&b, NFPROTO_INET, "mine", "out", NF_INET_LOCAL_OUT, NF_DROP);
	rep = analyze(&b, false);
	assert_int_equal(rep.n, 2);
	assert_int_equal(rep.v[0].kind, COEXIST_NFT_DROP);
	assert_string_equal(rep.v[0].fix, "nft insert rule inet mine fw iifname \"defnet0\" accept "
			    "&& nft insert rule inet mine fw oifname \"defnet0\" ct state "
			    "established,related accept");
	assert_string_equal(rep.v[1].fix, "nft insert rule ip host in iifname \"defnet0\" accept");
	assert_non_null(strstr(rep.v[1].what, "DHCP or DNS"));
}

/* A rule that drops what names the bridge is reported with its handle,
 * even in a chain whose policy accepts. */
static void test_nft_rule_drops_bridge(void **state)
{
	struct view_builder b;
	struct coexist_report rep;
	struct coexist_chain *c;

	vb_init(&b);
	c = vb_base(&b, NFPROTO_INET, "hostile", "forward", NF_INET_FORWARD, NF_ACCEPT);
	c->drops_bridge = true;
	c->drop_handle = 7;
	rep = analyze(&b, false);
	assert_int_equal(rep.n, 1);
	assert_int_equal(rep.v[0].kind, COEXIST_NFT_DROP);
	assert_string_equal(rep.v[0].what, "nftables chain inet hostile forward drops forwarded "
			    "traffic from defnet0 (rule handle 7): guests cannot reach beyond "
			    "the host");
	assert_string_equal(rep.v[0].fix, "nft delete rule inet hostile forward handle 7");
}

static void test_legacy(void **state)
{
	struct view_builder b;
	struct coexist_report rep;

	vb_init(&b);
	rep = analyze(&b, false);
	assert_int_equal(rep.n, 0);
	b.v.legacy_filter = true;
	rep = analyze(&b, false);
	assert_int_equal(rep.n, 1);
	assert_int_equal(rep.v[0].kind, COEXIST_LEGACY);
	assert_non_null(strstr(rep.v[0].fix, "iptables-legacy -I FORWARD -i defnet0 -j ACCEPT"));
}

/* With IPv6 on, the IPv6 side's drops count as much; with it off, not
 * at all. */
static void test_ipv6_side(void **state)
{
	struct view_builder b;
	struct coexist_report rep;

	vb_init(&b);
	vb_base(&b, NFPROTO_IPV6, "filter", "FORWARD", NF_INET_FORWARD, NF_DROP);
	vb_base(&b, NFPROTO_IPV6, "filter", "INPUT", NF_INET_LOCAL_IN, NF_DROP);
	vb_base(&b, NFPROTO_IPV6, "mine", "fw", NF_INET_FORWARD, NF_DROP);
	b.v.legacy_filter6 = true;
	assert_int_equal(analyze(&b, false).n, 0);
	rep = analyze_with(&b, false, true);
	assert_int_equal(rep.n, 4);
	assert_int_equal(rep.v[0].kind, COEXIST_IPTABLES_FORWARD);
	assert_string_equal(rep.v[0].what, "ip6tables' FORWARD policy is DROP: guests' IPv6 "
			    "cannot reach beyond the host");
	assert_string_equal(rep.v[0].fix, "ip6tables -I FORWARD -i defnet0 -j ACCEPT && "
			    "ip6tables -I FORWARD -o defnet0 -m conntrack --ctstate "
			    "RELATED,ESTABLISHED -j ACCEPT");
	assert_string_equal(rep.v[1].fix, "ip6tables -I INPUT -i defnet0 -j ACCEPT");
	assert_int_equal(rep.v[2].kind, COEXIST_NFT_DROP);
	assert_string_equal(rep.v[2].fix, "nft insert rule ip6 mine fw iifname \"defnet0\" accept "
			    "&& nft insert rule ip6 mine fw oifname \"defnet0\" ct state "
			    "established,related accept");
	assert_int_equal(rep.v[3].kind, COEXIST_LEGACY);
	assert_non_null(strstr(rep.v[3].fix, "ip6tables-legacy -I FORWARD -i defnet0 -j ACCEPT"));
	/* Told about the bridge: fixed. */
	b.chains[0].mentions_bridge = true;
	b.chains[2].mentions_bridge = true;
	b.v.legacy_filter6 = false;
	assert_int_equal(analyze_with(&b, false, true).n, 0);
}

/* ufw has chains in both families and one fix for both: one report. */
static void test_ufw_both_families(void **state)
{
	struct view_builder b;
	struct coexist_report rep;

	vb_init(&b);
	vb_iptables(&b, NF_DROP, NF_DROP);
	vb_chain(&b, NFPROTO_IPV4, "filter", "ufw-before-input");
	vb_base(&b, NFPROTO_IPV6, "filter", "FORWARD", NF_INET_FORWARD, NF_DROP);
	vb_chain(&b, NFPROTO_IPV6, "filter", "ufw6-before-input");
	rep = analyze_with(&b, false, true);
	assert_int_equal(rep.n, 1);
	assert_int_equal(rep.v[0].kind, COEXIST_UFW);
}

static void test_bounded(void **state)
{
	struct view_builder b;
	char name[16];

	vb_init(&b);
	for (int i = 0; i < MAX_CHAINS; i++) {
		snprintf(name, sizeof(name), "t%d", i);
		vb_base(&b, NFPROTO_INET, name, "fw", NF_INET_FORWARD, NF_DROP);
	}
	assert_int_equal(analyze(&b, false).n, COEXIST_MAX_PROBLEMS);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_nothing),
		cmocka_unit_test(test_iptables_forward_drop),
		cmocka_unit_test(test_iptables_input_drop),
		cmocka_unit_test(test_docker),
		cmocka_unit_test(test_ufw),
		cmocka_unit_test(test_firewalld),
		cmocka_unit_test(test_nft_drop),
		cmocka_unit_test(test_nft_rule_drops_bridge),
		cmocka_unit_test(test_legacy),
		cmocka_unit_test(test_ipv6_side),
		cmocka_unit_test(test_ufw_both_families),
		cmocka_unit_test(test_bounded),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
