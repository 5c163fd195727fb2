/* Tests for nat/conntrack.c: the ctnetlink dump and delete messages, the
 * parse of a dump's entry (built here as the kernel sends it), and the rule
 * that picks the guest flows to start over. No kernel. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>

#include <linux/netfilter/nf_conntrack_common.h>
#include <linux/netfilter/nfnetlink.h>
#include <linux/netfilter/nfnetlink_conntrack.h>

#include <libmnl/libmnl.h>

#include <cmocka.h>

#include "conntrack.h"

#define GUEST 0xac14300au      /* 172.20.48.10 */
#define REMOTE 0xc0000201u     /* 192.0.2.1 */
#define UP0_ADDR 0xc6336402u   /* 198.51.100.2 */
#define UP1_ADDR 0xcb007102u   /* 203.0.113.2 */

static const struct nat_subnet subnets[] = {
	{ .addr = 0xac143000u, .len = 20 },  /* 172.20.48.0/20 */
	{ .addr = 0x0a090000u, .len = 24 },  /* 10.9.0.0/24 */
};

static uint16_t ct_type(uint8_t msg)
{
	return (uint16_t)((NFNL_SUBSYS_CTNETLINK << 8) | msg);
}

static const struct nfgenmsg *nfg_of(const struct nlmsghdr *nlh)
{
	assert_true(mnl_nlmsg_get_payload_len(nlh) >= sizeof(struct nfgenmsg));
	return mnl_nlmsg_get_payload(nlh);
}

/* A UDP flow from the guest, masqueraded to UP0_ADDR:40000. */
static struct conntrack_entry udp_entry(void)
{
	return (struct conntrack_entry){
		.family = AF_INET,
		.orig = { .src = GUEST, .dst = REMOTE, .proto = IPPROTO_UDP,
			  .has_ports = true, .sport = 5000, .dport = 7777 },
		.reply = { .src = REMOTE, .dst = UP0_ADDR, .proto = IPPROTO_UDP,
			   .has_ports = true, .sport = 7777, .dport = 40000 },
		.status = IPS_SRC_NAT | IPS_SRC_NAT_DONE | IPS_CONFIRMED,
		.has_id = true, .id = 0xdeadbeef,
	};
}

#define GUEST6 { 0xfd, 0x12, 0x34, 0x56, 0x78, 0x9a, 0, 0, [15] = 0x10 }
#define REMOTE6 { 0x20, 0x01, 0x0d, 0xb8, 0xff, [15] = 1 }
#define UP0_ADDR6 { 0x20, 0x01, 0x0d, 0xb8, 0, 0, [15] = 2 }
#define UP1_ADDR6 { 0x20, 0x01, 0x0d, 0xb8, 0, 1, [15] = 2 }

static const struct nat_prefix6 prefix6 = {
	.addr = { 0xfd, 0x12, 0x34, 0x56, 0x78, 0x9a }, .len = 64,
};

/* A TCP flow from a guest's ULA, masqueraded (NAT66) to UP0_ADDR6. */
static struct conntrack_entry tcp6_entry(void)
{
	return (struct conntrack_entry){
		.family = AF_INET6,
		.orig = { .src6 = GUEST6, .dst6 = REMOTE6, .proto = IPPROTO_TCP,
			  .has_ports = true, .sport = 40001, .dport = 443 },
		.reply = { .src6 = REMOTE6, .dst6 = UP0_ADDR6, .proto = IPPROTO_TCP,
			   .has_ports = true, .sport = 443, .dport = 40001 },
		.status = IPS_SRC_NAT | IPS_SRC_NAT_DONE | IPS_CONFIRMED,
		.has_id = true, .id = 66,
	};
}

/* --- building entries as the kernel dumps them -------------------------- */

struct shape {
	bool other_family;    /* addresses of the other family in the original tuple */
	bool no_reply;
	bool half_ports;      /* a source port without its destination port */
	bool short_status;    /* CTA_STATUS of 2 bytes */
	bool zone;
	uint8_t family;
};

static void put_tuple(struct nlmsghdr *nlh, uint16_t type, const struct conntrack_tuple *t,
		      const struct shape *s)
{
	struct nlattr *tuple = mnl_attr_nest_start(nlh, type);
	struct nlattr *nest = mnl_attr_nest_start(nlh, CTA_TUPLE_IP);
	bool v6 = (s->family == AF_INET6) != (s->other_family && type == CTA_TUPLE_ORIG);

	if (v6) {
		mnl_attr_put(nlh, CTA_IP_V6_SRC, 16, t->src6);
		mnl_attr_put(nlh, CTA_IP_V6_DST, 16, t->dst6);
	} else {
		mnl_attr_put_u32(nlh, CTA_IP_V4_SRC, htonl(t->src));
		mnl_attr_put_u32(nlh, CTA_IP_V4_DST, htonl(t->dst));
	}
	mnl_attr_nest_end(nlh, nest);
	nest = mnl_attr_nest_start(nlh, CTA_TUPLE_PROTO);
	mnl_attr_put_u8(nlh, CTA_PROTO_NUM, t->proto);
	if (t->has_ports) {
		mnl_attr_put_u16(nlh, CTA_PROTO_SRC_PORT, htons(t->sport));
		if (!s->half_ports)
			mnl_attr_put_u16(nlh, CTA_PROTO_DST_PORT, htons(t->dport));
	}
	if (t->has_icmp) {
		mnl_attr_put_u16(nlh, CTA_PROTO_ICMP_ID, htons(t->icmp_id));
		mnl_attr_put_u8(nlh, CTA_PROTO_ICMP_TYPE, t->icmp_type);
		mnl_attr_put_u8(nlh, CTA_PROTO_ICMP_CODE, t->icmp_code);
	}
	mnl_attr_nest_end(nlh, nest);
	mnl_attr_nest_end(nlh, tuple);
}

static struct nlmsghdr *build_new(char *buf, const struct conntrack_entry *e,
				  const struct shape *s)
{
	struct nlmsghdr *nlh = mnl_nlmsg_put_header(buf);
	struct nfgenmsg *nfg;

	nlh->nlmsg_type = ct_type(IPCTNL_MSG_CT_NEW);
	nlh->nlmsg_flags = NLM_F_MULTI;
	nfg = mnl_nlmsg_put_extra_header(nlh, sizeof(*nfg));
	nfg->nfgen_family = s->family;
	nfg->version = NFNETLINK_V0;
	put_tuple(nlh, CTA_TUPLE_ORIG, &e->orig, s);
	if (!s->no_reply)
		put_tuple(nlh, CTA_TUPLE_REPLY, &e->reply, s);
	if (s->short_status)
		mnl_attr_put_u16(nlh, CTA_STATUS, 1);
	else
		mnl_attr_put_u32(nlh, CTA_STATUS, htonl(e->status));
	/* An attribute we do not read, as the kernel sends many. */
	mnl_attr_put_u32(nlh, CTA_TIMEOUT, htonl(30));
	if (e->has_id)
		mnl_attr_put_u32(nlh, CTA_ID, htonl(e->id));
	if (s->zone)
		mnl_attr_put_u16(nlh, CTA_ZONE, htons(e->zone));
	return nlh;
}

static void assert_tuple_equal(const struct conntrack_tuple *a, const struct conntrack_tuple *b)
{
	assert_int_equal(a->src, b->src);
	assert_int_equal(a->dst, b->dst);
	assert_memory_equal(a->src6, b->src6, 16);
	assert_memory_equal(a->dst6, b->dst6, 16);
	assert_int_equal(a->proto, b->proto);
	assert_int_equal(a->has_ports, b->has_ports);
	assert_int_equal(a->sport, b->sport);
	assert_int_equal(a->dport, b->dport);
	assert_int_equal(a->has_icmp, b->has_icmp);
	assert_int_equal(a->icmp_id, b->icmp_id);
	assert_int_equal(a->icmp_type, b->icmp_type);
	assert_int_equal(a->icmp_code, b->icmp_code);
}

/* --- messages we send ---------------------------------------------------- */

static void test_dump_request(void **state)
{
	_Alignas(uint32_t) char buf[CONNTRACK_MSG_MAX];
	struct nlmsghdr *nlh = conntrack_build_dump(buf, sizeof(buf), 77, AF_INET);

	assert_non_null(nlh);
	assert_int_equal(nlh->nlmsg_type, ct_type(IPCTNL_MSG_CT_GET));
	assert_int_equal(nlh->nlmsg_flags, NLM_F_REQUEST | NLM_F_DUMP);
	assert_int_equal(nlh->nlmsg_seq, 77);
	assert_int_equal(nlh->nlmsg_len, MNL_NLMSG_HDRLEN + MNL_ALIGN(sizeof(struct nfgenmsg)));
	assert_int_equal(nfg_of(nlh)->nfgen_family, AF_INET);
	assert_int_equal(nfg_of(nlh)->version, NFNETLINK_V0);
	nlh = conntrack_build_dump(buf, sizeof(buf), 78, AF_INET6);
	assert_int_equal(nfg_of(nlh)->nfgen_family, AF_INET6);
}

static void test_too_small_buffer(void **state)
{
	_Alignas(uint32_t) char buf[CONNTRACK_MSG_MAX];
	struct conntrack_entry e = udp_entry();

	assert_null(conntrack_build_dump(buf, CONNTRACK_MSG_MAX - 1, 1, AF_INET));
	assert_null(conntrack_build_delete(buf, CONNTRACK_MSG_MAX - 1, 1, &e));
	assert_null(conntrack_build_delete(NULL, sizeof(buf), 1, &e));
}

/* What a delete carries, read back attribute by attribute. */
struct delete_seen {
	const struct nlattr *orig;
	bool id, zone, other;
	uint32_t idv;
	uint16_t zonev;
};

static int delete_cb(const struct nlattr *a, void *data)
{
	struct delete_seen *s = data;

	switch (mnl_attr_get_type(a)) {
	case CTA_TUPLE_ORIG:
		s->orig = a;
		break;
	case CTA_ID:
		s->id = true;
		s->idv = ntohl(mnl_attr_get_u32(a));
		break;
	case CTA_ZONE:
		s->zone = true;
		s->zonev = ntohs(mnl_attr_get_u16(a));
		break;
	default:
		s->other = true;
	}
	return MNL_CB_OK;
}

/* The delete names the original tuple (as the dump gave it), the id and
 * the zone, and nothing else: the kernel looks the entry up by them. The
 * tuple is checked by parsing it back as the orig and reply of an entry. */
static void check_delete(const struct conntrack_entry *e)
{
	_Alignas(uint32_t) char buf[CONNTRACK_MSG_MAX], back[1024];
	struct nlmsghdr *nlh = conntrack_build_delete(buf, sizeof(buf), 9, e);
	struct delete_seen s = { 0 };
	struct conntrack_entry got;
	struct nlmsghdr *b;

	assert_non_null(nlh);
	assert_true(nlh->nlmsg_len <= CONNTRACK_MSG_MAX);
	assert_int_equal(nlh->nlmsg_type, ct_type(IPCTNL_MSG_CT_DELETE));
	assert_int_equal(nlh->nlmsg_flags, NLM_F_REQUEST | NLM_F_ACK);
	assert_int_equal(nlh->nlmsg_seq, 9);
	assert_int_equal(nfg_of(nlh)->nfgen_family, e->family);
	assert_int_equal(mnl_attr_parse(nlh, sizeof(struct nfgenmsg), delete_cb, &s), MNL_CB_OK);
	assert_non_null(s.orig);
	assert_false(s.other);
	assert_int_equal(s.id, e->has_id);
	assert_int_equal(s.idv, e->has_id ? e->id : 0);
	assert_int_equal(s.zone, e->has_zone);
	assert_int_equal(s.zonev, e->has_zone ? e->zone : 0);

	b = mnl_nlmsg_put_header(back);
	b->nlmsg_type = ct_type(IPCTNL_MSG_CT_NEW);
	memcpy(mnl_nlmsg_put_extra_header(b, sizeof(struct nfgenmsg)), nfg_of(nlh),
	       sizeof(struct nfgenmsg));
	mnl_attr_put(b, CTA_TUPLE_ORIG, mnl_attr_get_payload_len(s.orig),
		     mnl_attr_get_payload(s.orig));
	mnl_attr_put(b, CTA_TUPLE_REPLY, mnl_attr_get_payload_len(s.orig),
		     mnl_attr_get_payload(s.orig));
	assert_int_equal(conntrack_parse(b, b->nlmsg_len, &got), 0);
	assert_int_equal(got.family, e->family);
	assert_tuple_equal(&got.orig, &e->orig);
	assert_tuple_equal(&got.reply, &e->orig);
}

static void test_delete_udp(void **state)
{
	struct conntrack_entry e = udp_entry();

	check_delete(&e);
}

static void test_delete_icmp_zone_no_id(void **state)
{
	struct conntrack_entry e = {
		.family = AF_INET,
		.orig = { .src = GUEST, .dst = REMOTE, .proto = IPPROTO_ICMP,
			  .has_icmp = true, .icmp_id = 0x1234, .icmp_type = 8 },
		.has_zone = true, .zone = 7,
	};

	check_delete(&e);
}

static void test_delete_other_proto(void **state)
{
	struct conntrack_entry e = {
		.family = AF_INET,
		.orig = { .src = GUEST, .dst = REMOTE, .proto = 50 },  /* ESP */
		.has_id = true, .id = 1,
	};

	check_delete(&e);
}

static void test_delete_ipv6(void **state)
{
	struct conntrack_entry e = tcp6_entry();

	check_delete(&e);
}

/* --- parsing what the kernel sends --------------------------------------- */

static void test_parse_entry(void **state)
{
	_Alignas(uint32_t) char buf[1024];
	struct conntrack_entry want = udp_entry(), got;
	struct shape s = { .zone = true, .family = AF_INET };
	struct nlmsghdr *nlh;

	want.has_zone = true;
	want.zone = 3;
	nlh = build_new(buf, &want, &s);
	assert_int_equal(conntrack_parse(nlh, nlh->nlmsg_len, &got), 0);
	assert_tuple_equal(&got.orig, &want.orig);
	assert_tuple_equal(&got.reply, &want.reply);
	assert_int_equal(got.status, want.status);
	assert_true(got.has_id);
	assert_int_equal(got.id, 0xdeadbeef);
	assert_true(got.has_zone);
	assert_int_equal(got.zone, 3);
}

static void test_parse_ipv6(void **state)
{
	_Alignas(uint32_t) char buf[1024];
	struct conntrack_entry want = tcp6_entry(), got;
	struct shape s = { .family = AF_INET6 };
	struct nlmsghdr *nlh = build_new(buf, &want, &s);

	assert_int_equal(conntrack_parse(nlh, nlh->nlmsg_len, &got), 0);
	assert_int_equal(got.family, AF_INET6);
	assert_tuple_equal(&got.orig, &want.orig);
	assert_tuple_equal(&got.reply, &want.reply);
	assert_int_equal(got.id, 66);
}

static void test_parse_icmp(void **state)
{
	_Alignas(uint32_t) char buf[1024];
	struct conntrack_entry want = {
		.orig = { .src = GUEST, .dst = REMOTE, .proto = IPPROTO_ICMP,
			  .has_icmp = true, .icmp_id = 99, .icmp_type = 8 },
		.reply = { .src = REMOTE, .dst = UP0_ADDR, .proto = IPPROTO_ICMP,
			   .has_icmp = true, .icmp_id = 99 },
		.status = IPS_SRC_NAT,
	}, got;
	struct shape s = { .family = AF_INET };
	struct nlmsghdr *nlh = build_new(buf, &want, &s);

	assert_int_equal(conntrack_parse(nlh, nlh->nlmsg_len, &got), 0);
	assert_tuple_equal(&got.orig, &want.orig);
	assert_tuple_equal(&got.reply, &want.reply);
	assert_false(got.has_id);
	assert_false(got.has_zone);
}

static int parse_shape(const struct shape *s)
{
	_Alignas(uint32_t) char buf[1024];
	struct conntrack_entry e = udp_entry(), got;
	struct nlmsghdr *nlh = build_new(buf, &e, s);

	return conntrack_parse(nlh, nlh->nlmsg_len, &got);
}

static void test_parse_not_ours(void **state)
{
	struct shape bridge = { .family = AF_BRIDGE }, unspec = { .family = AF_UNSPEC };

	assert_int_equal(parse_shape(&bridge), -ENOENT);
	assert_int_equal(parse_shape(&unspec), -ENOENT);
}

static void test_parse_malformed(void **state)
{
	struct shape noreply = { .no_reply = true, .family = AF_INET };
	struct shape half = { .half_ports = true, .family = AF_INET };
	struct shape shortst = { .short_status = true, .family = AF_INET };
	struct shape mixed4 = { .other_family = true, .family = AF_INET };
	struct shape mixed6 = { .other_family = true, .family = AF_INET6 };

	/* A tuple of the other family could not be named in a delete. */
	assert_int_equal(parse_shape(&mixed4), -EINVAL);
	assert_int_equal(parse_shape(&mixed6), -EINVAL);
	assert_int_equal(parse_shape(&noreply), -EINVAL);
	assert_int_equal(parse_shape(&half), -EINVAL);
	assert_int_equal(parse_shape(&shortst), -EINVAL);
}

static void test_parse_other_type(void **state)
{
	_Alignas(uint32_t) char buf[CONNTRACK_MSG_MAX];
	struct nlmsghdr *nlh = conntrack_build_dump(buf, sizeof(buf), 1, AF_INET);
	struct conntrack_entry got;

	assert_int_equal(conntrack_parse(nlh, nlh->nlmsg_len, &got), -ENOENT);
	nlh->nlmsg_type = NLMSG_DONE;
	assert_int_equal(conntrack_parse(nlh, nlh->nlmsg_len, &got), -ENOENT);
	assert_int_equal(conntrack_parse(NULL, 100, &got), -EINVAL);
}

/* Every cut of a good message is refused or parsed, never read past: the
 * header's length is cut with the buffer, and valgrind watches. */
static void test_parse_truncated(void **state)
{
	_Alignas(uint32_t) char buf[1024];
	struct conntrack_entry e = udp_entry(), got;
	struct shape s = { .family = AF_INET };
	struct nlmsghdr *nlh = build_new(buf, &e, &s);
	uint32_t full = nlh->nlmsg_len;
	unsigned ok = 0;

	for (uint32_t len = 0; len < full; len++) {
		_Alignas(uint32_t) char cut[1024];

		memcpy(cut, buf, len);
		if (len >= sizeof(struct nlmsghdr))
			((struct nlmsghdr *)cut)->nlmsg_len = len;
		if (conntrack_parse(cut, len, &got) != 0)
			continue;
		/* A cut past both tuples loses only what follows them. */
		assert_tuple_equal(&got.orig, &e.orig);
		assert_tuple_equal(&got.reply, &e.reply);
		ok++;
	}
	assert_true(ok > 0 && ok < full / 4);
	/* A header that claims more than the buffer holds. */
	assert_int_equal(conntrack_parse(buf, full - 1, &got), -EINVAL);
}

/* --- the rule ------------------------------------------------------------ */

static bool stale4(const struct conntrack_entry *e, size_t n_subnets, const uint32_t *keep,
		   size_t n_keep)
{
	const struct conntrack_scope scope = {
		.family = AF_INET, .subnets = subnets, .n_subnets = n_subnets,
		.keep = keep, .n_keep = n_keep,
	};

	return conntrack_is_stale(e, &scope);
}

static void test_stale_rule(void **state)
{
	const uint32_t keep_up1[] = { UP1_ADDR, 0x0a000001u };
	const uint32_t keep_up0[] = { UP0_ADDR };
	struct conntrack_entry e = udp_entry();

	/* Masqueraded to up0's address while the uplink is up1: stale. */
	assert_true(stale4(&e, 2, keep_up1, 2));
	/* Still up0: keep. */
	assert_false(stale4(&e, 2, keep_up0, 1));
	/* Not masqueraded (Masquerade=no, or a flow the host made). */
	e.status = IPS_CONFIRMED;
	assert_false(stale4(&e, 2, keep_up1, 2));
	/* Not a guest's. */
	e = udp_entry();
	e.orig.src = 0xc0a80105u;
	assert_false(stale4(&e, 2, keep_up1, 2));
	/* The second subnet (renumbering) counts too. */
	e.orig.src = 0x0a0900feu;
	assert_true(stale4(&e, 2, keep_up1, 2));
	assert_false(stale4(&e, 1, keep_up1, 2));
	/* Source NAT to itself (a port clash only): nothing to move. */
	e = udp_entry();
	e.reply.dst = GUEST;
	assert_false(stale4(&e, 2, keep_up1, 2));
	/* No addresses to keep: every masqueraded guest flow. */
	e = udp_entry();
	assert_true(stale4(&e, 2, NULL, 0));
	/* An IPv6 entry is not an IPv4 sweep's. */
	e = tcp6_entry();
	assert_false(stale4(&e, 2, NULL, 0));
}

static bool stale6(const struct conntrack_entry *e, const struct nat_prefix6 *p,
		   const uint8_t (*keep)[16], size_t n_keep)
{
	const struct conntrack_scope scope = {
		.family = AF_INET6, .prefixes = p, .n_prefixes = 1,
		.keep6 = keep, .n_keep6 = n_keep,
	};

	return conntrack_is_stale(e, &scope);
}

static void test_stale_rule_ipv6(void **state)
{
	const uint8_t keep_up1[][16] = { UP1_ADDR6, { 0xfe, 0x80, [15] = 1 } };
	const uint8_t keep_up0[][16] = { UP1_ADDR6, UP0_ADDR6 };
	const uint8_t guest[16] = GUEST6;
	struct nat_prefix6 p48 = { .addr = { 0xfd, 0x12, 0x34, 0x56, 0x78, 0x9b }, .len = 47 };
	struct conntrack_entry e = tcp6_entry();

	/* NAT66 to up0's address while the uplink is up1: stale. */
	assert_true(stale6(&e, &prefix6, keep_up1, 2));
	/* up0's address still kept (any of the link's). */
	assert_false(stale6(&e, &prefix6, keep_up0, 2));
	assert_true(stale6(&e, &prefix6, NULL, 0));
	/* Not a guest's: outside the prefix by one bit of the /64. */
	e.orig.src6[7] ^= 1;
	assert_false(stale6(&e, &prefix6, keep_up1, 2));
	/* A prefix whose length is not a whole number of bytes. */
	e = tcp6_entry();
	p48.addr[5] = 0x9a;
	assert_true(stale6(&e, &p48, NULL, 0));
	p48.addr[5] = 0x98;
	assert_false(stale6(&e, &p48, NULL, 0));
	/* Not translated, or translated to itself. */
	e = tcp6_entry();
	e.status = IPS_CONFIRMED;
	assert_false(stale6(&e, &prefix6, NULL, 0));
	e = tcp6_entry();
	memcpy(e.reply.dst6, guest, 16);
	assert_false(stale6(&e, &prefix6, NULL, 0));
	/* An IPv4 entry is not an IPv6 sweep's. */
	e = udp_entry();
	assert_false(stale6(&e, &prefix6, NULL, 0));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_dump_request),
		cmocka_unit_test(test_too_small_buffer),
		cmocka_unit_test(test_delete_udp),
		cmocka_unit_test(test_delete_icmp_zone_no_id),
		cmocka_unit_test(test_delete_other_proto),
		cmocka_unit_test(test_delete_ipv6),
		cmocka_unit_test(test_parse_entry),
		cmocka_unit_test(test_parse_ipv6),
		cmocka_unit_test(test_parse_icmp),
		cmocka_unit_test(test_parse_not_ours),
		cmocka_unit_test(test_parse_malformed),
		cmocka_unit_test(test_parse_other_type),
		cmocka_unit_test(test_parse_truncated),
		cmocka_unit_test(test_stale_rule),
		cmocka_unit_test(test_stale_rule_ipv6),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
