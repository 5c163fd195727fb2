/* The kernel's side of coexistence: reading every chain and rule
 * (libnftnl), the legacy tables' names, the DockerCompat rules, and the
 * report of it all, logged to the caller's sink. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>
#include <netinet/in.h>

#include <linux/netfilter.h>
#include <linux/netfilter/nf_conntrack_common.h>
#include <linux/netfilter/nf_tables.h>
#include <linux/netfilter/nfnetlink.h>
#include <linux/netfilter/xt_conntrack.h>

#include <libmnl/libmnl.h>
#include <libnftnl/chain.h>
#include <libnftnl/common.h>
#include <libnftnl/expr.h>
#include <libnftnl/rule.h>

#include "coexist.h"
#include "nat_apply.h"

#define COEXIST_RECV_TIMEOUT_SEC 2
#define COEXIST_BUF_SIZE 32768
#define COEXIST_DOCKER_TABLE "filter"
#define COEXIST_DOCKER_CHAIN "DOCKER-USER"

/* Dumps ------------------------------------------------------------------------ */

struct coexist_scan_ctx {
	const char *bridge;
	struct coexist_view *view;
	size_t cap;
};

static int coexist_chain_add(struct coexist_scan_ctx *s, const struct nftnl_chain *c)
{
	struct coexist_view *v = s->view;
	struct coexist_chain *n;
	const char *table = nftnl_chain_get_str(c, NFTNL_CHAIN_TABLE);
	const char *name = nftnl_chain_get_str(c, NFTNL_CHAIN_NAME);
	uint32_t family = nftnl_chain_get_u32(c, NFTNL_CHAIN_FAMILY);

	if (!table || !name || v->n_chains == COEXIST_MAX_CHAINS)
		return 0;
	/* Our own table is what we made: nothing to report. */
	if (family == NFPROTO_INET && strcmp(table, NAT_TABLE_NAME) == 0)
		return 0;
	if (v->n_chains == s->cap) {
		size_t cap = s->cap ? s->cap * 2 : 32;

		n = reallocarray(v->chains, cap, sizeof(*n));
		if (!n)
			return -ENOMEM;
		v->chains = n;
		s->cap = cap;
	}
	n = &v->chains[v->n_chains++];
	memset(n, 0, sizeof(*n));
	n->family = (uint8_t)family;
	snprintf(n->table, sizeof(n->table), "%s", table);
	snprintf(n->name, sizeof(n->name), "%s", name);
	n->base = nftnl_chain_is_set(c, NFTNL_CHAIN_HOOKNUM);
	if (n->base) {
		n->hook = nftnl_chain_get_u32(c, NFTNL_CHAIN_HOOKNUM);
		n->policy = nftnl_chain_is_set(c, NFTNL_CHAIN_POLICY) ?
			    nftnl_chain_get_u32(c, NFTNL_CHAIN_POLICY) : NF_ACCEPT;
	}
	return 0;
}

static int coexist_chain_cb(const struct nlmsghdr *nlh, void *data)
{
	struct nftnl_chain *c = nftnl_chain_alloc();
	int r = -ENOMEM;

	if (c && nftnl_chain_nlmsg_parse(nlh, c) == 0)
		r = coexist_chain_add(data, c);
	else if (c)
		r = 0;  /* a chain libnftnl cannot read is skipped */
	nftnl_chain_free(c);
	if (r < 0) {
		errno = -r;
		return MNL_CB_ERROR;
	}
	return MNL_CB_OK;
}

/* A compare against the bridge's name: "name\0" (iptables-nft) or the
 * name padded with zeros (nft). */
static bool coexist_expr_names(struct nftnl_expr *e, const char *bridge)
{
	const char *kind = nftnl_expr_get_str(e, NFTNL_EXPR_NAME);
	size_t blen = strlen(bridge);
	const char *data;
	uint32_t len = 0;

	if (!kind || strcmp(kind, "cmp") != 0)
		return false;
	data = nftnl_expr_get(e, NFTNL_EXPR_CMP_DATA, &len);
	if (!data || len <= blen || memcmp(data, bridge, blen) != 0)
		return false;
	for (uint32_t i = (uint32_t)blen; i < len; i++)
		if (data[i])
			return false;
	return true;
}

/* A drop verdict, or a reject. */
static bool coexist_expr_drops(struct nftnl_expr *e)
{
	const char *kind = nftnl_expr_get_str(e, NFTNL_EXPR_NAME);

	if (!kind)
		return false;
	if (strcmp(kind, "reject") == 0)
		return true;
	return strcmp(kind, "immediate") == 0 && nftnl_expr_is_set(e, NFTNL_EXPR_IMM_VERDICT) &&
	       (int)nftnl_expr_get_u32(e, NFTNL_EXPR_IMM_VERDICT) == NF_DROP;
}

/* What a rule does with the bridge: 0 nothing, 1 names it, 2 names it and
 * drops. */
static int coexist_rule_names(struct nftnl_rule *r, const char *bridge)
{
	struct nftnl_expr_iter *it = nftnl_expr_iter_create(r);
	struct nftnl_expr *e;
	bool names = false, drops = false;

	if (!it)
		return 0;
	while ((e = nftnl_expr_iter_next(it))) {
		names = names || coexist_expr_names(e, bridge);
		drops = drops || coexist_expr_drops(e);
	}
	nftnl_expr_iter_destroy(it);
	return names ? 1 + drops : 0;
}

static void coexist_mark_rule(struct coexist_scan_ctx *s, const struct nftnl_rule *r, int how)
{
	const char *table = nftnl_rule_get_str(r, NFTNL_RULE_TABLE);
	const char *chain = nftnl_rule_get_str(r, NFTNL_RULE_CHAIN);
	uint32_t family = nftnl_rule_get_u32(r, NFTNL_RULE_FAMILY);

	if (!table || !chain)
		return;
	for (size_t i = 0; i < s->view->n_chains; i++) {
		struct coexist_chain *c = &s->view->chains[i];

		if (c->family == family && strcmp(c->table, table) == 0 &&
		    strcmp(c->name, chain) == 0) {
			if (how == 1) {
				c->mentions_bridge = true;
			} else if (!c->drops_bridge) {
				c->drops_bridge = true;
				c->drop_handle = nftnl_rule_get_u64(r, NFTNL_RULE_HANDLE);
			}
			return;
		}
	}
}

static int coexist_rule_cb(const struct nlmsghdr *nlh, void *data)
{
	struct coexist_scan_ctx *s = data;
	struct nftnl_rule *r = nftnl_rule_alloc();
	int how;

	if (!r) {
		errno = ENOMEM;
		return MNL_CB_ERROR;
	}
	if (nftnl_rule_nlmsg_parse(nlh, r) == 0 && (how = coexist_rule_names(r, s->bridge)) > 0)
		coexist_mark_rule(s, r, how);
	nftnl_rule_free(r);
	return MNL_CB_OK;
}

static int coexist_dump(struct mnl_socket *sock, char *buf, uint16_t type, uint32_t seq,
			mnl_cb_t cb, void *data)
{
	struct nlmsghdr *nlh = nftnl_nlmsg_build_hdr(buf, type, NFPROTO_UNSPEC, NLM_F_DUMP, seq);

	if (mnl_socket_sendto(sock, nlh, nlh->nlmsg_len) < 0)
		return -errno;
	return nat_dump_receive(sock, buf, COEXIST_BUF_SIZE, seq, cb, data);
}

/* /proc/net/ip_tables_names (ip6_tables_names) lists this namespace's
 * legacy tables: whether filter is one. */
static bool coexist_legacy_filter(const char *path)
{
	char names[512];
	ssize_t n;
	int fd = open(path, O_RDONLY | O_CLOEXEC);

	if (fd < 0)
		return false;
	n = read(fd, names, sizeof(names) - 1);
	close(fd);
	if (n <= 0)
		return false;
	names[n] = '\0';
	for (char *save = NULL, *t = strtok_r(names, "\n", &save); t; t = strtok_r(NULL, "\n", &save))
		if (strcmp(t, "filter") == 0)
			return true;
	return false;
}

static void coexist_scan_legacy(struct coexist_view *v)
{
	v->legacy_filter = coexist_legacy_filter(COEXIST_LEGACY_NAMES);
	v->legacy_filter6 = coexist_legacy_filter(COEXIST_LEGACY6_NAMES);
}

static struct mnl_socket *coexist_socket(void)
{
	struct timeval tv = { .tv_sec = COEXIST_RECV_TIMEOUT_SEC };
	struct mnl_socket *sock = mnl_socket_open(NETLINK_NETFILTER);

	if (!sock)
		return NULL;
	if (mnl_socket_bind(sock, 0, MNL_SOCKET_AUTOPID) < 0 ||
	    setsockopt(mnl_socket_get_fd(sock), SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv)) < 0) {
		int e = errno;

		mnl_socket_close(sock);
		errno = e;
		return NULL;
	}
	return sock;
}

int coexist_scan(const char *bridge, struct coexist_view *view)
{
	struct coexist_scan_ctx s = { .bridge = bridge, .view = view };
	struct mnl_socket *sock;
	uint32_t seq = (uint32_t)time(NULL);
	char *buf;
	int r;

	memset(view, 0, sizeof(*view));
	coexist_scan_legacy(view);
	buf = malloc(COEXIST_BUF_SIZE);
	if (!buf)
		return -ENOMEM;
	sock = coexist_socket();
	if (!sock) {
		r = -errno;
		goto out;
	}
	r = coexist_dump(sock, buf, NFT_MSG_GETCHAIN, seq, coexist_chain_cb, &s);
	if (r == 0)
		r = coexist_dump(sock, buf, NFT_MSG_GETRULE, seq + 1, coexist_rule_cb, &s);
	mnl_socket_close(sock);
out:
	free(buf);
	if (r < 0)
		coexist_view_free(view);
	return r;
}

void coexist_view_free(struct coexist_view *view)
{
	free(view->chains);
	view->chains = NULL;
	view->n_chains = 0;
}

/* DockerCompat ------------------------------------------------------------------- */

static int coexist_add_expr(struct nftnl_rule *r, struct nftnl_expr *e)
{
	if (!e)
		return -ENOMEM;
	nftnl_rule_add_expr(r, e);
	return 0;
}

static int coexist_put_ifname(struct nftnl_rule *r, uint32_t key, const char *bridge)
{
	struct nftnl_expr *meta = nftnl_expr_alloc("meta"), *cmp;

	if (!meta)
		return -ENOMEM;
	nftnl_expr_set_u32(meta, NFTNL_EXPR_META_KEY, key);
	nftnl_expr_set_u32(meta, NFTNL_EXPR_META_DREG, NFT_REG_1);
	nftnl_rule_add_expr(r, meta);
	cmp = nftnl_expr_alloc("cmp");
	if (!cmp)
		return -ENOMEM;
	nftnl_expr_set_u32(cmp, NFTNL_EXPR_CMP_SREG, NFT_REG_1);
	nftnl_expr_set_u32(cmp, NFTNL_EXPR_CMP_OP, NFT_CMP_EQ);
	/* As iptables-nft writes -i/-o: the name and its NUL. */
	nftnl_expr_set(cmp, NFTNL_EXPR_CMP_DATA, bridge, (uint32_t)strlen(bridge) + 1);
	return coexist_add_expr(r, cmp);
}

static void coexist_ctstate_info(struct xt_conntrack_mtinfo3 *info)
{
	memset(info, 0, sizeof(*info));
	info->match_flags = XT_CONNTRACK_STATE;
	info->state_mask = XT_CONNTRACK_STATE_BIT(IP_CT_ESTABLISHED) |
			   XT_CONNTRACK_STATE_BIT(IP_CT_RELATED);
}

/* -m conntrack --ctstate RELATED,ESTABLISHED, through the xtables match as
 * iptables-nft 1.8 writes it: a native ct expression would make iptables
 * refuse the whole chain as incompatible. */
static int coexist_put_ctstate(struct nftnl_rule *r)
{
	struct xt_conntrack_mtinfo3 *info;
	struct nftnl_expr *mt = nftnl_expr_alloc("match");

	if (!mt)
		return -ENOMEM;
	/* libnftnl takes the info itself (and frees it with the expression). */
	info = calloc(1, sizeof(*info));
	if (!info) {
		nftnl_expr_free(mt);
		return -ENOMEM;
	}
	coexist_ctstate_info(info);
	nftnl_expr_set_str(mt, NFTNL_EXPR_MT_NAME, "conntrack");
	nftnl_expr_set_u32(mt, NFTNL_EXPR_MT_REV, 3);
	nftnl_expr_set(mt, NFTNL_EXPR_MT_INFO, info, sizeof(*info));
	return coexist_add_expr(r, mt);
}

static int coexist_put_accept(struct nftnl_rule *r)
{
	struct nftnl_expr *cnt = nftnl_expr_alloc("counter"), *imm;

	if (!cnt)
		return -ENOMEM;
	nftnl_rule_add_expr(r, cnt);
	imm = nftnl_expr_alloc("immediate");
	if (!imm)
		return -ENOMEM;
	nftnl_expr_set_u32(imm, NFTNL_EXPR_IMM_DREG, NFT_REG_VERDICT);
	nftnl_expr_set_u32(imm, NFTNL_EXPR_IMM_VERDICT, NF_ACCEPT);
	return coexist_add_expr(r, imm);
}

/* One rule at the head of DOCKER-USER, before Docker's RETURN. */
static int coexist_docker_rule(struct nat_batch *b, uint32_t seq, const char *bridge, bool out)
{
	struct nftnl_rule *r = nftnl_rule_alloc();
	struct nlmsghdr *nlh;
	int ret;

	if (!r)
		return -ENOMEM;
	nftnl_rule_set_u32(r, NFTNL_RULE_FAMILY, NFPROTO_IPV4);
	nftnl_rule_set_str(r, NFTNL_RULE_TABLE, COEXIST_DOCKER_TABLE);
	nftnl_rule_set_str(r, NFTNL_RULE_CHAIN, COEXIST_DOCKER_CHAIN);
	ret = coexist_put_ifname(r, out ? NFT_META_OIFNAME : NFT_META_IIFNAME, bridge);
	if (ret == 0 && out)
		ret = coexist_put_ctstate(r);
	if (ret == 0)
		ret = coexist_put_accept(r);
	if (ret == 0) {
		nlh = nftnl_nlmsg_build_hdr(b->buf + b->len, NFT_MSG_NEWRULE, NFPROTO_IPV4,
					    NLM_F_CREATE | NLM_F_ACK, seq);
		nftnl_rule_nlmsg_build_payload(nlh, r);
		b->len += nlh->nlmsg_len;
		b->msgs[b->n_msgs].seq = seq;
		snprintf(b->msgs[b->n_msgs].what, sizeof(b->msgs[0].what),
			 "rule %d in ip filter DOCKER-USER", out ? 2 : 1);
		b->n_msgs++;
	}
	nftnl_rule_free(r);
	return ret;
}

int coexist_docker_add(const char *bridge, const struct log_sink *log)
{
	struct nat_batch *b = calloc(1, sizeof(*b));
	char err[NAT_ERR_SIZE];
	uint32_t seq = (uint32_t)time(NULL);
	int r;

	if (!b)
		return -ENOMEM;
	b->seq_begin = seq;
	b->len = nftnl_batch_begin(b->buf, seq)->nlmsg_len;
	/* Each goes to the head: the second added is the first rule. */
	r = coexist_docker_rule(b, seq + 1, bridge, true);
	if (r == 0)
		r = coexist_docker_rule(b, seq + 2, bridge, false);
	if (r == 0) {
		b->len += nftnl_batch_end(b->buf + b->len, seq + 3)->nlmsg_len;
		r = nat_send(b, err, sizeof(err));
		if (r < 0 && r != -ENOENT)
			log_sink_printf(log, LOG_LEVEL_WARNING, "DockerCompat: %s", err);
	}
	free(b);
	return r;
}

/* Our rules, as coexist_docker_rule() builds them: every expression and
 * its every attribute that the rule's meaning depends on. A rule that
 * differs in anything (another interface, a further match, a comment) is
 * someone else's. */
#define COEXIST_RULE_MAX_EXPRS 6
#define COEXIST_MAX_OURS 16

static bool coexist_kind_is(struct nftnl_expr *e, const char *kind)
{
	const char *k = nftnl_expr_get_str(e, NFTNL_EXPR_NAME);

	return k && strcmp(k, kind) == 0;
}

static bool coexist_is_ifname(struct nftnl_expr *meta, struct nftnl_expr *cmp, uint32_t key,
			      const char *bridge)
{
	const void *data;
	uint32_t len = 0;

	if (!coexist_kind_is(meta, "meta") || !coexist_kind_is(cmp, "cmp") ||
	    nftnl_expr_get_u32(meta, NFTNL_EXPR_META_KEY) != key ||
	    nftnl_expr_get_u32(meta, NFTNL_EXPR_META_DREG) != NFT_REG_1 ||
	    nftnl_expr_get_u32(cmp, NFTNL_EXPR_CMP_SREG) != NFT_REG_1 ||
	    nftnl_expr_get_u32(cmp, NFTNL_EXPR_CMP_OP) != NFT_CMP_EQ)
		return false;
	data = nftnl_expr_get(cmp, NFTNL_EXPR_CMP_DATA, &len);
	return data && len == strlen(bridge) + 1 && memcmp(data, bridge, len) == 0;
}

static bool coexist_is_ctstate(struct nftnl_expr *mt)
{
	struct xt_conntrack_mtinfo3 want;
	const char *name;
	const void *info;
	uint32_t len = 0;

	if (!coexist_kind_is(mt, "match"))
		return false;
	name = nftnl_expr_get_str(mt, NFTNL_EXPR_MT_NAME);
	info = nftnl_expr_get(mt, NFTNL_EXPR_MT_INFO, &len);
	coexist_ctstate_info(&want);
	/* The kernel gives the info back padded to its alignment. */
	return name && strcmp(name, "conntrack") == 0 &&
	       nftnl_expr_get_u32(mt, NFTNL_EXPR_MT_REV) == 3 && info && len >= sizeof(want) &&
	       memcmp(info, &want, sizeof(want)) == 0;
}

static bool coexist_is_accept(struct nftnl_expr *cnt, struct nftnl_expr *imm)
{
	return coexist_kind_is(cnt, "counter") && coexist_kind_is(imm, "immediate") &&
	       nftnl_expr_get_u32(imm, NFTNL_EXPR_IMM_DREG) == NFT_REG_VERDICT &&
	       nftnl_expr_get_u32(imm, NFTNL_EXPR_IMM_VERDICT) == NF_ACCEPT;
}

static bool coexist_is_ours(struct nftnl_rule *r, const char *bridge)
{
	struct nftnl_expr *e[COEXIST_RULE_MAX_EXPRS + 1];
	struct nftnl_expr_iter *it = nftnl_expr_iter_create(r);
	size_t n = 0;

	if (!it)
		return false;
	while (n < COEXIST_RULE_MAX_EXPRS + 1 && (e[n] = nftnl_expr_iter_next(it)))
		n++;
	nftnl_expr_iter_destroy(it);
	if (n == 4)
		return coexist_is_ifname(e[0], e[1], NFT_META_IIFNAME, bridge) &&
		       coexist_is_accept(e[2], e[3]);
	if (n == 5)
		return coexist_is_ifname(e[0], e[1], NFT_META_OIFNAME, bridge) &&
		       coexist_is_ctstate(e[2]) && coexist_is_accept(e[3], e[4]);
	return false;
}

struct coexist_ours {
	const char *bridge;
	uint64_t handles[COEXIST_MAX_OURS];
	size_t n;
};

static int coexist_ours_cb(const struct nlmsghdr *nlh, void *data)
{
	struct coexist_ours *o = data;
	struct nftnl_rule *r = nftnl_rule_alloc();
	const char *table, *chain;

	if (!r) {
		errno = ENOMEM;
		return MNL_CB_ERROR;
	}
	if (nftnl_rule_nlmsg_parse(nlh, r) == 0 &&
	    nftnl_rule_get_u32(r, NFTNL_RULE_FAMILY) == NFPROTO_IPV4 &&
	    (table = nftnl_rule_get_str(r, NFTNL_RULE_TABLE)) &&
	    (chain = nftnl_rule_get_str(r, NFTNL_RULE_CHAIN)) &&
	    strcmp(table, COEXIST_DOCKER_TABLE) == 0 && strcmp(chain, COEXIST_DOCKER_CHAIN) == 0 &&
	    nftnl_rule_is_set(r, NFTNL_RULE_HANDLE) && o->n < COEXIST_MAX_OURS &&
	    coexist_is_ours(r, o->bridge))
		o->handles[o->n++] = nftnl_rule_get_u64(r, NFTNL_RULE_HANDLE);
	nftnl_rule_free(r);
	return MNL_CB_OK;
}

static int coexist_find_ours(struct coexist_ours *o)
{
	struct mnl_socket *sock;
	char *buf = malloc(COEXIST_BUF_SIZE);
	int r;

	if (!buf)
		return -ENOMEM;
	sock = coexist_socket();
	if (!sock) {
		r = -errno;
		free(buf);
		return r;
	}
	r = coexist_dump(sock, buf, NFT_MSG_GETRULE, (uint32_t)time(NULL), coexist_ours_cb, o);
	mnl_socket_close(sock);
	free(buf);
	return r;
}

static int coexist_docker_del(struct nat_batch *b, uint32_t seq, uint64_t handle)
{
	struct nftnl_rule *r = nftnl_rule_alloc();
	struct nlmsghdr *nlh;

	if (!r)
		return -ENOMEM;
	nftnl_rule_set_u32(r, NFTNL_RULE_FAMILY, NFPROTO_IPV4);
	nftnl_rule_set_str(r, NFTNL_RULE_TABLE, COEXIST_DOCKER_TABLE);
	nftnl_rule_set_str(r, NFTNL_RULE_CHAIN, COEXIST_DOCKER_CHAIN);
	nftnl_rule_set_u64(r, NFTNL_RULE_HANDLE, handle);
	nlh = nftnl_nlmsg_build_hdr(b->buf + b->len, NFT_MSG_DELRULE, NFPROTO_IPV4, NLM_F_ACK,
				    seq);
	nftnl_rule_nlmsg_build_payload(nlh, r);
	b->len += nlh->nlmsg_len;
	b->msgs[b->n_msgs].seq = seq;
	snprintf(b->msgs[b->n_msgs].what, sizeof(b->msgs[0].what),
		 "rule handle %llu in ip filter DOCKER-USER", (unsigned long long)handle);
	b->n_msgs++;
	nftnl_rule_free(r);
	return 0;
}

int coexist_docker_remove(const char *bridge, char *err, size_t errlen)
{
	struct coexist_ours o = { .bridge = bridge };
	struct nat_batch *b;
	uint32_t seq = (uint32_t)time(NULL);
	int r;

	err[0] = '\0';
	r = coexist_find_ours(&o);
	if (r < 0 || o.n == 0)
		return r;
	b = calloc(1, sizeof(*b));
	if (!b)
		return -ENOMEM;
	b->seq_begin = seq;
	b->len = nftnl_batch_begin(b->buf, seq)->nlmsg_len;
	for (size_t i = 0; r == 0 && i < o.n; i++)
		r = coexist_docker_del(b, seq + 1 + (uint32_t)i, o.handles[i]);
	if (r == 0) {
		b->len += nftnl_batch_end(b->buf + b->len, seq + 1 + (uint32_t)o.n)->nlmsg_len;
		r = nat_send(b, err, errlen);
	}
	free(b);
	return r < 0 ? r : (int)o.n;
}

/* The report ------------------------------------------------------------------- */

static bool coexist_reported(const struct coexist_report *rep, const struct coexist_problem *p)
{
	for (size_t i = 0; i < rep->n; i++)
		if (strcmp(rep->v[i].what, p->what) == 0)
			return true;
	return false;
}

/* A problem's line holds two texts of COEXIST_TEXT_SIZE, more than
 * LOG_SINK_LINE_MAX: it is formatted here, whole. */
static void coexist_log_problem(const struct log_sink *log, const struct coexist_problem *p)
{
	char line[sizeof(p->what) + sizeof(p->fix) + sizeof("firewall: ; fix: ")];

	if (!log->fn)
		return;
	snprintf(line, sizeof(line), "firewall: %s; fix: %s", p->what, p->fix);
	log->fn(log->ctx, LOG_LEVEL_WARNING, line);
}

static void coexist_log_changes(const struct log_sink *log, const struct coexist_report *old,
				const struct coexist_report *now)
{
	for (size_t i = 0; i < now->n; i++)
		if (!coexist_reported(old, &now->v[i]))
			coexist_log_problem(log, &now->v[i]);
	for (size_t i = 0; i < old->n; i++)
		if (!coexist_reported(now, &old->v[i]))
			log_sink_printf(log, LOG_LEVEL_INFO, "firewall: resolved: %s",
					old->v[i].what);
}

static int coexist_analyze_now(const struct coexist_opts *o, struct coexist_report *rep)
{
	struct coexist_view v;
	int r = coexist_scan(o->bridge, &v);

	if (r < 0)
		return r;
	coexist_analyze(&v, o, rep);
	coexist_view_free(&v);
	return 0;
}

void coexist_check(struct coexist *c, const struct coexist_opts *o)
{
	struct coexist_report now;
	int r;

	r = coexist_analyze_now(o, &now);
	if (r < 0) {
		log_sink_printf(&o->log, c->scanned ? LOG_LEVEL_DEBUG : LOG_LEVEL_WARNING,
				"cannot read the host's firewall rules: %s", strerror(-r));
		return;
	}
	if (o->docker_compat && now.docker_user && !now.docker_rules) {
		r = coexist_docker_add(o->bridge, &o->log);
		if (r == 0) {
			log_sink_printf(&o->log, LOG_LEVEL_INFO, "DockerCompat: accept rules for "
					"%s added to iptables' DOCKER-USER chain", o->bridge);
			if (coexist_analyze_now(o, &now) < 0)
				return;
		}
	}
	coexist_log_changes(&o->log, c->scanned ? &c->rep : &(struct coexist_report){ .n = 0 },
			    &now);
	c->rep = now;
	c->scanned = true;
}
