/* Which of the host's firewalls kill guest traffic, and the command that
 * fixes each. Pure: works on what coexist_scan() saw. */
#include <stdio.h>
#include <string.h>

#include <linux/netfilter.h>

#include "coexist.h"

#define COEXIST_DOCKER_CHAIN "DOCKER-USER"

static bool coexist_is(const struct coexist_chain *c, uint8_t family, const char *table)
{
	return c->family == family && strcmp(c->table, table) == 0;
}

/* A table that compares some interface name to the bridge has been told
 * about it: taken as fixed by its owner. */
static bool coexist_table_knows(const struct coexist_view *v, uint8_t family, const char *table)
{
	for (size_t i = 0; i < v->n_chains; i++)
		if (coexist_is(&v->chains[i], family, table) && v->chains[i].mentions_bridge)
			return true;
	return false;
}

static bool coexist_has_chain_prefix(const struct coexist_view *v, uint8_t family,
				     const char *table, const char *prefix)
{
	for (size_t i = 0; i < v->n_chains; i++)
		if (coexist_is(&v->chains[i], family, table) &&
		    strncmp(v->chains[i].name, prefix, strlen(prefix)) == 0)
			return true;
	return false;
}

static bool coexist_has_table(const struct coexist_view *v, uint8_t family, const char *table)
{
	return coexist_has_chain_prefix(v, family, table, "");
}

static struct coexist_problem *coexist_add(struct coexist_report *rep, enum coexist_kind kind)
{
	struct coexist_problem *p;

	if (rep->n == COEXIST_MAX_PROBLEMS)
		return NULL;
	p = &rep->v[rep->n++];
	p->kind = kind;
	return p;
}

static bool coexist_drops(const struct coexist_chain *c, uint32_t hook)
{
	return c->base && c->hook == hook && c->policy == NF_DROP;
}

static const struct coexist_chain *coexist_find_drop(const struct coexist_view *v,
						     uint8_t family, const char *table,
						     uint32_t hook)
{
	for (size_t i = 0; i < v->n_chains; i++)
		if (coexist_is(&v->chains[i], family, table) && coexist_drops(&v->chains[i], hook))
			return &v->chains[i];
	return NULL;
}

static void coexist_firewalld(const struct coexist_view *v, const char *br,
			      struct coexist_report *rep)
{
	struct coexist_problem *p;

	if (!coexist_has_table(v, NFPROTO_INET, "firewalld") ||
	    coexist_table_knows(v, NFPROTO_INET, "firewalld"))
		return;
	p = coexist_add(rep, COEXIST_FIREWALLD);
	if (!p)
		return;
	snprintf(p->what, sizeof(p->what), "firewalld is active and does not know %s: it "
		 "rejects the guests' forwarded traffic and their DHCP and DNS", br);
	snprintf(p->fix, sizeof(p->fix), "firewall-cmd --permanent --zone=trusted "
		 "--add-interface=%s && firewall-cmd --reload", br);
}

/* The iptables-nft tables of one family and the tool that fixes them. */
struct coexist_xt {
	uint8_t family;          /* NFPROTO_IPV4 or NFPROTO_IPV6 */
	const char *tool;        /* "iptables", "ip6tables" */
	const char *ufw_prefix;  /* ufw's chain names in that table */
	const char *traffic;     /* what a drop there costs the guests */
};

static const struct coexist_xt coexist_xt4 = {
	NFPROTO_IPV4, "iptables", "ufw-", "guests",
};
static const struct coexist_xt coexist_xt6 = {
	NFPROTO_IPV6, "ip6tables", "ufw6-", "guests' IPv6",
};

static bool coexist_has_kind(const struct coexist_report *rep, enum coexist_kind kind)
{
	for (size_t i = 0; i < rep->n; i++)
		if (rep->v[i].kind == kind)
			return true;
	return false;
}

static void coexist_ufw(const char *br, struct coexist_report *rep)
{
	struct coexist_problem *p;

	/* ufw's rules cover both families: one report, one fix. */
	if (coexist_has_kind(rep, COEXIST_UFW) || !(p = coexist_add(rep, COEXIST_UFW)))
		return;
	snprintf(p->what, sizeof(p->what), "ufw drops traffic from %s (its default "
		 "policy): guests get no DHCP, DNS or forwarding", br);
	snprintf(p->fix, sizeof(p->fix), "ufw allow in on %s && ufw route allow in on %s "
		 "&& ufw route allow out on %s", br, br, br);
}

/* iptables-nft's own tables: ufw's chains, Docker's, or plain policies. */
static void coexist_iptables(const struct coexist_view *v, const struct coexist_xt *xt,
			     const char *br, bool docker_compat, struct coexist_report *rep)
{
	const struct coexist_chain *fwd, *in;
	struct coexist_problem *p;

	if (coexist_table_knows(v, xt->family, "filter"))
		return;
	fwd = coexist_find_drop(v, xt->family, "filter", NF_INET_FORWARD);
	in = coexist_find_drop(v, xt->family, "filter", NF_INET_LOCAL_IN);
	if (coexist_has_chain_prefix(v, xt->family, "filter", xt->ufw_prefix)) {
		if (fwd || in)
			coexist_ufw(br, rep);
		return;
	}
	/* DockerCompat writes iptables' DOCKER-USER only. */
	if (fwd && rep->docker_user && xt->family == NFPROTO_IPV4) {
		p = coexist_add(rep, COEXIST_DOCKER);
		if (!p)
			return;
		snprintf(p->what, sizeof(p->what), "iptables' FORWARD policy is DROP (Docker): "
			 "guests cannot reach beyond the host%s", docker_compat ?
			 ", and the DockerCompat rules could not be added" : "");
		snprintf(p->fix, sizeof(p->fix), "set DockerCompat=yes in [NAT] of the "
			 "configuration and run: defnetctl reload");
	} else if (fwd && (p = coexist_add(rep, COEXIST_IPTABLES_FORWARD))) {
		snprintf(p->what, sizeof(p->what), "%s' FORWARD policy is DROP: %s cannot reach "
			 "beyond the host", xt->tool, xt->traffic);
		snprintf(p->fix, sizeof(p->fix), "%s -I FORWARD -i %s -j ACCEPT && "
			 "%s -I FORWARD -o %s -m conntrack --ctstate RELATED,ESTABLISHED "
			 "-j ACCEPT", xt->tool, br, xt->tool, br);
	}
	if (in && (p = coexist_add(rep, COEXIST_IPTABLES_FORWARD))) {
		snprintf(p->what, sizeof(p->what), "%s' INPUT policy is DROP: %s get no DHCP "
			 "or DNS from the host", xt->tool, xt->traffic);
		snprintf(p->fix, sizeof(p->fix), "%s -I INPUT -i %s -j ACCEPT", xt->tool, br);
	}
}

static const char *coexist_family_name(uint8_t family)
{
	return family == NFPROTO_INET ? "inet" : family == NFPROTO_IPV6 ? "ip6" : "ip";
}

/* A rule that drops what names the bridge: whoever wrote it meant it, but
 * the guests are cut off all the same; say which rule. */
static void coexist_nft_rule(const struct coexist_chain *c, const char *br,
			     struct coexist_report *rep)
{
	const char *fam = coexist_family_name(c->family);
	bool fwd = c->base && c->hook == NF_INET_FORWARD;
	struct coexist_problem *p = coexist_add(rep, COEXIST_NFT_DROP);

	if (!p)
		return;
	snprintf(p->what, sizeof(p->what), "nftables chain %s %s %s drops %s from %s (rule "
		 "handle %llu): %s", fam, c->table, c->name, fwd ? "forwarded traffic" : "traffic",
		 br, (unsigned long long)c->drop_handle,
		 fwd ? "guests cannot reach beyond the host" : "guests may be cut off");
	snprintf(p->fix, sizeof(p->fix), "nft delete rule %s %s %s handle %llu", fam, c->table,
		 c->name, (unsigned long long)c->drop_handle);
}

/* The families whose tables see guest traffic, iptables-nft's own filter
 * tables and firewalld aside (each has its own report). */
static bool coexist_nft_sees(const struct coexist_chain *c, bool ipv6)
{
	if (c->family != NFPROTO_IPV4 && c->family != NFPROTO_INET &&
	    !(ipv6 && c->family == NFPROTO_IPV6))
		return false;
	return !coexist_is(c, NFPROTO_IPV4, "filter") && !coexist_is(c, NFPROTO_IPV6, "filter") &&
	       !coexist_is(c, NFPROTO_INET, "firewalld");
}

/* Any other table's forward or input base chain that drops by policy. */
static void coexist_nft(const struct coexist_view *v, const char *br, bool ipv6,
			struct coexist_report *rep)
{
	for (size_t i = 0; i < v->n_chains; i++) {
		const struct coexist_chain *c = &v->chains[i];
		const char *fam = coexist_family_name(c->family);
		struct coexist_problem *p;
		bool fwd = coexist_drops(c, NF_INET_FORWARD);

		if (!coexist_nft_sees(c, ipv6))
			continue;
		if (c->drops_bridge) {
			coexist_nft_rule(c, br, rep);
			continue;
		}
		if ((!fwd && !coexist_drops(c, NF_INET_LOCAL_IN)) ||
		    coexist_table_knows(v, c->family, c->table))
			continue;
		p = coexist_add(rep, COEXIST_NFT_DROP);
		if (!p)
			return;
		snprintf(p->what, sizeof(p->what), "nftables chain %s %s %s drops %s by policy: %s",
			 fam, c->table, c->name, fwd ? "forwarded traffic" : "input",
			 fwd ? "guests cannot reach beyond the host" : "guests get no DHCP or DNS");
		if (fwd)
			snprintf(p->fix, sizeof(p->fix), "nft insert rule %s %s %s iifname \"%s\" "
				 "accept && nft insert rule %s %s %s oifname \"%s\" ct state "
				 "established,related accept", fam, c->table, c->name, br, fam,
				 c->table, c->name, br);
		else
			snprintf(p->fix, sizeof(p->fix), "nft insert rule %s %s %s iifname \"%s\" "
				 "accept", fam, c->table, c->name, br);
	}
}

static void coexist_legacy(bool loaded, const struct coexist_xt *xt, const char *br,
			   struct coexist_report *rep)
{
	struct coexist_problem *p;

	if (!loaded || !(p = coexist_add(rep, COEXIST_LEGACY)))
		return;
	snprintf(p->what, sizeof(p->what), "%s-legacy's filter table is loaded: defnetd "
		 "cannot see it through nftables, and a DROP policy there cuts off %s",
		 xt->tool, xt->traffic);
	snprintf(p->fix, sizeof(p->fix), "%s-legacy -I FORWARD -i %s -j ACCEPT && "
		 "%s-legacy -I FORWARD -o %s -m conntrack --ctstate RELATED,ESTABLISHED "
		 "-j ACCEPT && %s-legacy -I INPUT -i %s -j ACCEPT", xt->tool, br, xt->tool, br,
		 xt->tool, br);
}

void coexist_analyze(const struct coexist_view *v, const struct coexist_opts *o,
		     struct coexist_report *rep)
{
	const char *bridge = o->bridge;

	memset(rep, 0, sizeof(*rep));
	for (size_t i = 0; i < v->n_chains; i++) {
		const struct coexist_chain *c = &v->chains[i];

		if (coexist_is(c, NFPROTO_IPV4, "filter") &&
		    strcmp(c->name, COEXIST_DOCKER_CHAIN) == 0) {
			rep->docker_user = true;
			rep->docker_rules = c->mentions_bridge;
		}
	}
	coexist_iptables(v, &coexist_xt4, bridge, o->docker_compat, rep);
	if (o->ipv6)
		coexist_iptables(v, &coexist_xt6, bridge, o->docker_compat, rep);
	coexist_firewalld(v, bridge, rep);
	coexist_nft(v, bridge, o->ipv6, rep);
	coexist_legacy(v->legacy_filter, &coexist_xt4, bridge, rep);
	coexist_legacy(o->ipv6 && v->legacy_filter6, &coexist_xt6, bridge, rep);
}

const char *coexist_kind_name(enum coexist_kind k)
{
	switch (k) {
	case COEXIST_IPTABLES_FORWARD:
		return "iptables";
	case COEXIST_DOCKER:
		return "docker";
	case COEXIST_FIREWALLD:
		return "firewalld";
	case COEXIST_UFW:
		return "ufw";
	case COEXIST_NFT_DROP:
		return "nftables";
	case COEXIST_LEGACY:
		return "iptables-legacy";
	}
	return "unknown";
}
