/* The mDNS responder's logic (mdns/mdns_responder.c) and the reader of
 * systemd-resolved's settings (mdns/mdns_resolved.c). */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include "dns_codec.h"
#include "mdns_resolved.h"
#include "mdns_ports.h"
#include "mdns_responder.h"
#include "name_table.h"

#define IFINDEX 7
#define GATEWAY 0xac143001u       /* 172.20.48.1 */
#define SUBNET 0xac143000u        /* 172.20.48.0/20 */
#define VM1 0xac143032u           /* 172.20.48.50 */
#define VM2 0xac143033u           /* 172.20.48.51 */
#define GUEST 0xac14303cu         /* 172.20.48.60, a querier */
#define OUTSIDE 0xc6336409u       /* 198.51.100.9 */
#define T0 100000
#define VM1_PORT 11               /* vm1's lease is on this bridge port */
#define OTHER_PORT 12

struct fixture {
	struct name_table *names;
	struct mdns_responder *resp;
	struct mdns_out out;
	uint64_t now;
	int warnings;
	char last_log[512];
};

static void fx_log(void *ctx, enum log_level level, const char *msg)
{
	struct fixture *f = ctx;

	if (level <= 4)
		f->warnings++;
	snprintf(f->last_log, sizeof(f->last_log), "%s", msg);
}

static void fx_listener(void *ctx, const char *name, uint32_t ip, bool added)
{
	struct fixture *f = ctx;

	mdns_responder_name_event(f->resp, name, ip, added, f->now);
}

static unsigned fx_holder_port(void *ctx, const char *name)
{
	return strcmp(name, "vm1") == 0 ? VM1_PORT : 0;
}

/* The guests' prefix, and vm1's two addresses in it (stable, privacy). */
static const uint8_t PREFIX6[16] = { 0xfd, 0x12, 0x34, 0x56, 0x78, 0x9a, 0, 1 };
static const uint8_t VM1_V6A[16] = { 0xfd, 0x12, 0x34, 0x56, 0x78, 0x9a, 0, 1, [15] = 0x50 };
static const uint8_t VM1_V6B[16] = { 0xfd, 0x12, 0x34, 0x56, 0x78, 0x9a, 0, 1, 0x3c, [15] = 0x7 };
static const uint8_t LINK_LOCAL[16] = { 0xfe, 0x80, [15] = 0x3c };
static const uint8_t FAR6[16] = { 0x20, 0x01, 0x0d, 0xb8, [15] = 1 };
static const uint8_t GROUP6[16] = MDNS_GROUP6;

static size_t fx_n6;             /* how many of the two vm1 has now */

static size_t fx_aaaa(void *ctx, uint32_t ip, uint8_t (*out)[16], size_t max)
{
	if (ip != VM1 || max < 2)
		return 0;
	memcpy(out[0], VM1_V6A, 16);
	memcpy(out[1], VM1_V6B, 16);
	return fx_n6;
}

static int setup_opts(void **state, bool v6)
{
	struct fixture *f = calloc(1, sizeof(*f));
	struct mdns_responder_opts o = {
		.ifindex = IFINDEX, .gateway = GATEWAY, .subnet_addr = SUBNET, .subnet_len = 20,
		.holder_port = fx_holder_port,
	};

	fx_n6 = 2;
	if (v6) {
		o.aaaa = fx_aaaa;
		memcpy(o.prefix6, PREFIX6, 16);
		o.prefix6_len = 64;
	}

	assert_non_null(f);
	f->names = name_table_new();
	assert_non_null(f->names);
	assert_int_equal(name_table_set(f->names, "vm1", 3, VM1), 0);
	o.names = f->names;
	o.log = (struct log_sink){ fx_log, f };
	f->now = T0;
	assert_int_equal(mdns_responder_new(&f->resp, &o, f->now), 0);
	assert_int_equal(name_table_add_listener(f->names, fx_listener, f), 0);
	*state = f;
	return 0;
}

static int setup(void **state)
{
	return setup_opts(state, false);
}

static int setup6(void **state)
{
	return setup_opts(state, true);
}

static int teardown(void **state)
{
	struct fixture *f = *state;

	mdns_responder_free(f->resp);
	name_table_free(f->names);
	free(f);
	return 0;
}

/* Packets ------------------------------------------------------------------ */

struct pkt {
	uint8_t buf[MDNS_PKT_MAX];
	struct dns_builder b;
};

static void name_of(const char *text, uint8_t *name, size_t *len)
{
	assert_int_equal(dns_name_from_text(text, strlen(text), name, len), 0);
}

static void pkt_init(struct pkt *p, uint16_t id, uint16_t flags)
{
	assert_int_equal(dns_builder_init(&p->b, p->buf, sizeof(p->buf), id, flags), 0);
}

static void pkt_question(struct pkt *p, const char *text, uint16_t type, bool qu)
{
	uint8_t name[DNS_NAME_MAX];
	size_t len;

	name_of(text, name, &len);
	assert_int_equal(dns_builder_question(&p->b, name, len, type,
					      DNS_CLASS_IN | (qu ? DNS_CLASS_MDNS_BIT : 0)), 0);
}

static void pkt_a(struct pkt *p, enum dns_section sec, const char *text, uint32_t ip,
		  uint32_t ttl)
{
	uint8_t name[DNS_NAME_MAX], a[4] = { ip >> 24, ip >> 16, ip >> 8, ip };
	size_t len;

	name_of(text, name, &len);
	assert_int_equal(dns_builder_a(&p->b, sec, name, len, DNS_CLASS_IN | DNS_CLASS_MDNS_BIT,
				       ttl, a), 0);
}

static size_t pkt_len(const struct pkt *p)
{
	return dns_builder_len(&p->b);
}

static struct pkt *query(const char *text, uint16_t type, bool qu)
{
	static struct pkt p;

	pkt_init(&p, 0, 0);
	pkt_question(&p, text, type, qu);
	return &p;
}

static struct mdns_meta meta(const struct fixture *f, uint32_t src, uint16_t sport, uint32_t dst)
{
	return (struct mdns_meta){
		.src = src, .sport = sport, .dst = dst, .ifindex = IFINDEX, .ttl = 255,
		.now_ms = f->now,
	};
}

static enum mdns_outcome handle(struct fixture *f, const struct pkt *p, uint32_t src,
				uint16_t sport, uint32_t dst)
{
	struct mdns_meta m = meta(f, src, sport, dst);

	memset(&f->out, 0, sizeof(f->out));
	return mdns_handle(f->resp, p->buf, pkt_len(p), &m, &f->out);
}

/* A response as the packet socket on bridge port `port` saw it. */
static enum mdns_outcome from_port(struct fixture *f, const struct pkt *p, uint32_t src,
				   unsigned port)
{
	struct mdns_meta m = meta(f, src, MDNS_PORT, MDNS_GROUP);

	m.port = port;
	return mdns_handle_port_response(f->resp, p->buf, pkt_len(p), &m);
}

/* A packet over IPv6 from src to dst. */
static enum mdns_outcome handle6(struct fixture *f, const struct pkt *p, const uint8_t src[16],
				 uint16_t sport, const uint8_t dst[16])
{
	struct mdns_meta m = { .v6 = true, .sport = sport, .ifindex = IFINDEX, .ttl = 255,
			       .now_ms = f->now };

	memcpy(m.src6, src, 16);
	memcpy(m.dst6, dst, 16);
	memset(&f->out, 0, sizeof(f->out));
	return mdns_handle(f->resp, p->buf, pkt_len(p), &m, &f->out);
}

/* A multicast query from a guest for text/type. */
static enum mdns_outcome ask(struct fixture *f, const char *text, uint16_t type)
{
	return handle(f, query(text, type, false), GUEST, MDNS_PORT, MDNS_GROUP);
}

/* A parsed record of an answer. */
struct rec {
	char name[DNS_NAME_TEXT_MAX];
	uint16_t type, rrclass;
	uint32_t ttl;
	uint32_t a;                  /* type A */
	uint8_t aaaa[16];            /* type AAAA */
	char target[DNS_NAME_TEXT_MAX];  /* PTR, NSEC next name */
	uint8_t bitmap[8];           /* NSEC: window 0 */
	size_t bitmap_len;
	enum dns_section section;
};

struct msg {
	struct dns_header h;
	size_t n_q;
	char q0[DNS_NAME_TEXT_MAX];
	size_t n;
	struct rec r[16];
};

static void parse(const uint8_t *buf, size_t len, struct msg *m)
{
	uint8_t name[DNS_NAME_MAX];
	struct dns_question q;
	struct dns_iter it;
	struct dns_rr rr;
	size_t nlen, next;
	int rc;

	memset(m, 0, sizeof(*m));
	assert_int_equal(dns_iter_init(&it, buf, len, &m->h), 0);
	while ((rc = dns_iter_question(&it, &q)) == 1) {
		if (m->n_q++ == 0)
			assert_true(dns_name_to_text(q.name, q.name_len, m->q0, sizeof(m->q0)) > 0);
	}
	assert_int_equal(rc, 0);
	while ((rc = dns_iter_rr(&it, &rr)) == 1) {
		struct rec *r = &m->r[m->n++];

		assert_true(m->n <= 16);
		assert_int_equal(dns_name_read(buf, len, rr.name_off, name, &nlen, &next), 0);
		assert_true(dns_name_to_text(name, nlen, r->name, sizeof(r->name)) > 0);
		r->type = rr.type;
		r->rrclass = rr.rrclass;
		r->ttl = rr.ttl;
		r->section = rr.section;
		if (rr.type == DNS_TYPE_A) {
			const uint8_t *d = buf + rr.rdata_off;

			assert_int_equal(rr.rdlength, 4);
			r->a = (uint32_t)d[0] << 24 | (uint32_t)d[1] << 16 | (uint32_t)d[2] << 8 | d[3];
		}
		if (rr.type == DNS_TYPE_AAAA) {
			assert_int_equal(rr.rdlength, 16);
			memcpy(r->aaaa, buf + rr.rdata_off, 16);
		}
		if (rr.type == DNS_TYPE_PTR || rr.type == DNS_TYPE_NSEC) {
			assert_int_equal(dns_rr_name_at(buf, len, &rr, rr.rdata_off, name, &nlen,
							&next), 0);
			assert_true(dns_name_to_text(name, nlen, r->target, sizeof(r->target)) > 0);
			if (rr.type == DNS_TYPE_NSEC) {
				r->bitmap_len = rr.end - next;
				assert_true(r->bitmap_len <= sizeof(r->bitmap));
				memcpy(r->bitmap, buf + next, r->bitmap_len);
			}
		}
	}
	assert_int_equal(rc, 0);
}

/* Answering ------------------------------------------------------------------ */

static void test_qm_answer_multicast(void **state)
{
	struct fixture *f = *state;
	struct msg m;

	assert_int_equal(ask(f, "vm1.local", DNS_TYPE_A), MDNS_ANSWER_MULTICAST);
	assert_int_equal(f->out.ucast_len, 0);
	parse(f->out.mcast, f->out.mcast_len, &m);
	/* RFC 6762 18.1, 6: ID 0, QR and AA, no question. */
	assert_int_equal(m.h.id, 0);
	assert_int_equal(m.h.flags, DNS_FLAG_QR | DNS_FLAG_AA);
	assert_int_equal(m.n_q, 0);
	assert_int_equal(m.n, 2);
	assert_string_equal(m.r[0].name, "vm1.local");
	assert_int_equal(m.r[0].type, DNS_TYPE_A);
	assert_int_equal(m.r[0].rrclass, DNS_CLASS_IN | DNS_CLASS_MDNS_BIT);
	assert_int_equal(m.r[0].ttl, MDNS_TTL);
	assert_int_equal(m.r[0].a, VM1);
	/* RFC 6762 6.2: no AAAA, so an NSEC saying so, as additional. */
	assert_int_equal(m.r[1].section, DNS_SECTION_ADDITIONAL);
	assert_int_equal(m.r[1].type, DNS_TYPE_NSEC);
	assert_int_equal(m.r[1].bitmap_len, 3);
	assert_int_equal(m.r[1].bitmap[2], 0x40);
}

static void test_case_insensitive_and_any(void **state)
{
	struct fixture *f = *state;
	struct msg m;

	assert_int_equal(ask(f, "VM1.Local", DNS_TYPE_ANY), MDNS_ANSWER_MULTICAST);
	parse(f->out.mcast, f->out.mcast_len, &m);
	assert_int_equal(m.n, 2);
	assert_int_equal(m.r[0].a, VM1);
	assert_int_equal(m.r[1].type, DNS_TYPE_NSEC);
}

static void test_unknown_names_unanswered(void **state)
{
	struct fixture *f = *state;

	assert_int_equal(ask(f, "vm9.local", DNS_TYPE_A), MDNS_DROP_NO_ANSWER);
	assert_int_equal(ask(f, "vm1.local.local", DNS_TYPE_A), MDNS_DROP_NO_ANSWER);
	assert_int_equal(ask(f, "vm1.example", DNS_TYPE_A), MDNS_DROP_NO_ANSWER);
	assert_int_equal(ask(f, "local", DNS_TYPE_A), MDNS_DROP_NO_ANSWER);
	assert_int_equal(f->out.mcast_len + f->out.ucast_len, 0);
}

static void test_other_type_gets_nsec(void **state)
{
	struct fixture *f = *state;
	struct msg m;

	assert_int_equal(ask(f, "vm1.local", DNS_TYPE_AAAA), MDNS_ANSWER_MULTICAST);
	parse(f->out.mcast, f->out.mcast_len, &m);
	assert_int_equal(m.n, 1);
	assert_int_equal(m.r[0].type, DNS_TYPE_NSEC);
	assert_string_equal(m.r[0].target, "vm1.local");
	/* RFC 6762 6.1: window 0, one byte, bit 1 (A). */
	assert_int_equal(m.r[0].bitmap_len, 3);
	assert_int_equal(m.r[0].bitmap[0], 0);
	assert_int_equal(m.r[0].bitmap[1], 1);
	assert_int_equal(m.r[0].bitmap[2], 0x40);
}

static void test_reverse_ptr(void **state)
{
	struct fixture *f = *state;
	struct msg m;

	assert_int_equal(ask(f, "50.48.20.172.in-addr.arpa", DNS_TYPE_PTR), MDNS_ANSWER_MULTICAST);
	parse(f->out.mcast, f->out.mcast_len, &m);
	assert_int_equal(m.n, 1);
	assert_int_equal(m.r[0].type, DNS_TYPE_PTR);
	assert_string_equal(m.r[0].name, "50.48.20.172.in-addr.arpa");
	assert_string_equal(m.r[0].target, "vm1.local");
	assert_int_equal(m.r[0].ttl, MDNS_TTL);
	/* No name for .51, .50 outside the subnet is not ours, no leading zeros. */
	assert_int_equal(ask(f, "51.48.20.172.in-addr.arpa", DNS_TYPE_PTR), MDNS_DROP_NO_ANSWER);
	assert_int_equal(ask(f, "50.48.20.10.in-addr.arpa", DNS_TYPE_PTR), MDNS_DROP_NO_ANSWER);
	assert_int_equal(ask(f, "050.48.20.172.in-addr.arpa", DNS_TYPE_PTR), MDNS_DROP_NO_ANSWER);
	assert_int_equal(ask(f, "48.20.172.in-addr.arpa", DNS_TYPE_PTR), MDNS_DROP_NO_ANSWER);
	/* The reverse name asked for A: NSEC with PTR (12) only. */
	f->now += 2000;
	assert_int_equal(ask(f, "50.48.20.172.in-addr.arpa", DNS_TYPE_A), MDNS_ANSWER_MULTICAST);
	parse(f->out.mcast, f->out.mcast_len, &m);
	assert_int_equal(m.r[0].type, DNS_TYPE_NSEC);
	assert_int_equal(m.r[0].bitmap_len, 4);
	assert_int_equal(m.r[0].bitmap[1], 2);
	assert_int_equal(m.r[0].bitmap[3], 0x08);
}

/* Who may ask ------------------------------------------------------------------ */

static void test_not_our_link(void **state)
{
	struct fixture *f = *state;
	struct mdns_meta m = meta(f, GUEST, MDNS_PORT, MDNS_GROUP);
	struct pkt *p = query("vm1.local", DNS_TYPE_A, false);

	m.ifindex = IFINDEX + 1;
	assert_int_equal(mdns_handle(f->resp, p->buf, pkt_len(p), &m, &f->out),
			 MDNS_DROP_NOT_OUR_LINK);
}

/* RFC 6762 11, and avahi's CVE-2017-6519: a unicast query from off the
 * subnet gets nothing, legacy unicast (source port not 5353) included. */
static void test_off_subnet_unicast_dropped(void **state)
{
	struct fixture *f = *state;
	struct pkt *p = query("vm1.local", DNS_TYPE_A, false);

	assert_int_equal(handle(f, p, OUTSIDE, 40000, GATEWAY), MDNS_DROP_OFF_SUBNET);
	assert_int_equal(handle(f, p, OUTSIDE, MDNS_PORT, GATEWAY), MDNS_DROP_OFF_SUBNET);
	assert_int_equal(f->out.mcast_len + f->out.ucast_len, 0);
	/* From the subnet to the unicast address: answered (RFC 6762 5.5). */
	assert_int_equal(handle(f, p, GUEST, 40000, GATEWAY), MDNS_ANSWER_LEGACY);
	/* Sent to the group, the source does not matter (a link-local one). */
	f->now += 2000;
	assert_int_equal(handle(f, p, 0xa9fe0102u, MDNS_PORT, MDNS_GROUP), MDNS_ANSWER_MULTICAST);
}

static void test_legacy_unicast(void **state)
{
	struct fixture *f = *state;
	struct pkt p;
	struct msg m;

	pkt_init(&p, 0x1234, DNS_FLAG_RD);
	pkt_question(&p, "Vm1.local", DNS_TYPE_A, false);
	assert_int_equal(handle(f, &p, GUEST, 40000, MDNS_GROUP), MDNS_ANSWER_LEGACY);
	assert_int_equal(f->out.mcast_len, 0);
	parse(f->out.ucast, f->out.ucast_len, &m);
	/* RFC 6762 6.7: the ID and the question echoed, TTL <= 10, no
	 * cache-flush bit. */
	assert_int_equal(m.h.id, 0x1234);
	assert_true(m.h.flags & DNS_FLAG_QR);
	assert_int_equal(m.n_q, 1);
	assert_string_equal(m.q0, "Vm1.local");
	assert_int_equal(m.n, 2);
	assert_int_equal(m.r[0].a, VM1);
	assert_int_equal(m.r[1].rrclass, DNS_CLASS_IN);
	assert_true(m.r[0].ttl <= MDNS_LEGACY_TTL);
	assert_int_equal(m.r[0].rrclass, DNS_CLASS_IN);
	/* Not rate-limited: it is unicast. */
	assert_int_equal(handle(f, &p, GUEST, 40000, MDNS_GROUP), MDNS_ANSWER_LEGACY);
}

static void test_qu(void **state)
{
	struct fixture *f = *state;
	struct msg m;

	/* RFC 6762 5.4: not multicast in the last quarter TTL: multicast. */
	assert_int_equal(handle(f, query("vm1.local", DNS_TYPE_A, true), GUEST, MDNS_PORT,
				MDNS_GROUP), MDNS_ANSWER_MULTICAST);
	f->now += 500;
	/* Now it was: unicast to the querier, even within the second. */
	assert_int_equal(handle(f, query("vm1.local", DNS_TYPE_A, true), GUEST, MDNS_PORT,
				MDNS_GROUP), MDNS_ANSWER_UNICAST);
	assert_int_equal(f->out.mcast_len, 0);
	parse(f->out.ucast, f->out.ucast_len, &m);
	assert_int_equal(m.h.id, 0);
	assert_int_equal(m.n_q, 0);
	assert_int_equal(m.r[0].a, VM1);
	assert_int_equal(m.r[0].ttl, MDNS_TTL);
	/* A quarter TTL later it is multicast again. */
	f->now += MDNS_TTL * 1000 / 4;
	assert_int_equal(handle(f, query("vm1.local", DNS_TYPE_A, true), GUEST, MDNS_PORT,
				MDNS_GROUP), MDNS_ANSWER_MULTICAST);
}

static void test_qu_and_qm_both(void **state)
{
	struct fixture *f = *state;
	struct pkt p;

	assert_int_equal(name_table_set(f->names, "vm2", 3, VM2), 0);
	assert_int_equal(ask(f, "vm1.local", DNS_TYPE_A), MDNS_ANSWER_MULTICAST);
	f->now += 1500;
	pkt_init(&p, 0, 0);
	pkt_question(&p, "vm1.local", DNS_TYPE_A, true);
	pkt_question(&p, "vm2.local", DNS_TYPE_A, false);
	assert_int_equal(handle(f, &p, GUEST, MDNS_PORT, MDNS_GROUP), MDNS_ANSWER_BOTH);
	assert_true(f->out.ucast_len > 0);
	assert_true(f->out.mcast_len > 0);
}

/* RFC 6762 6: a record is multicast at most once a second. */
static void test_record_rate_limit(void **state)
{
	struct fixture *f = *state;

	assert_int_equal(ask(f, "vm1.local", DNS_TYPE_A), MDNS_ANSWER_MULTICAST);
	f->now += 999;
	assert_int_equal(ask(f, "vm1.local", DNS_TYPE_A), MDNS_DROP_RATE_LIMITED);
	/* Another record of the same name is not limited by it. */
	assert_int_equal(ask(f, "vm1.local", DNS_TYPE_AAAA), MDNS_ANSWER_MULTICAST);
	f->now += 1;
	assert_int_equal(ask(f, "vm1.local", DNS_TYPE_A), MDNS_ANSWER_MULTICAST);
}

/* ...except to answer a probe (RFC 6762 8.1). */
static void test_probe_not_rate_limited(void **state)
{
	struct fixture *f = *state;
	struct pkt p;

	assert_int_equal(ask(f, "vm1.local", DNS_TYPE_A), MDNS_ANSWER_MULTICAST);
	f->now += 100;
	pkt_init(&p, 0, 0);
	pkt_question(&p, "vm1.local", DNS_TYPE_ANY, false);
	pkt_a(&p, DNS_SECTION_AUTHORITY, "vm1.local", 0xac143063u, 120);
	assert_int_equal(handle(f, &p, 0xac143063u, MDNS_PORT, MDNS_GROUP), MDNS_ANSWER_MULTICAST);
}

/* The budget of all sources together: twenty, each within its share. */
static void test_reply_budget(void **state)
{
	struct fixture *f = *state;
	struct pkt *p = query("vm1.local", DNS_TYPE_A, false);
	unsigned answered = 0, limited = 0;

	for (unsigned i = 0; i < MDNS_REPLY_BURST + 50; i++) {
		enum mdns_outcome o = handle(f, p, GUEST + i % 20, 40000, MDNS_GROUP);

		answered += o == MDNS_ANSWER_LEGACY;
		limited += o == MDNS_DROP_RATE_LIMITED;
	}
	assert_int_equal(answered, MDNS_REPLY_BURST);
	assert_int_equal(limited, 50);
	/* The budget comes back at MDNS_REPLY_RATE a second. */
	f->now += 1000;
	answered = 0;
	for (unsigned i = 0; i < MDNS_REPLY_BURST; i++)
		answered += handle(f, p, GUEST + i % 20, 40000, MDNS_GROUP) == MDNS_ANSWER_LEGACY;
	assert_int_equal(answered, MDNS_REPLY_RATE);
}

/* One source's flood of legacy queries spends its share, not the
 * others': they are still answered, and its excess is dropped unread. */
static void test_source_share(void **state)
{
	struct fixture *f = *state;
	struct pkt *p = query("vm1.local", DNS_TYPE_A, false);
	unsigned answered = 0, dropped = 0;

	for (unsigned i = 0; i < 1000; i++) {
		enum mdns_outcome o = handle(f, p, GUEST, 40000, MDNS_GROUP);

		answered += o == MDNS_ANSWER_LEGACY;
		dropped += o == MDNS_DROP_SOURCE_LIMITED;
	}
	assert_int_equal(answered, MDNS_SOURCE_BURST);
	assert_int_equal(dropped, 1000 - MDNS_SOURCE_BURST);
	for (unsigned i = 0; i < 20; i++)
		assert_int_equal(handle(f, p, GUEST + 1, 40000, MDNS_GROUP), MDNS_ANSWER_LEGACY);
	/* Its share comes back at MDNS_SOURCE_RATE a second. */
	f->now += 1000;
	answered = 0;
	for (unsigned i = 0; i < 100; i++)
		answered += handle(f, p, GUEST, 40000, MDNS_GROUP) == MDNS_ANSWER_LEGACY;
	assert_int_equal(answered, MDNS_SOURCE_RATE);
}

/* RFC 6762 7.1. */
static void test_known_answer_suppression(void **state)
{
	struct fixture *f = *state;
	struct pkt p;

	pkt_init(&p, 0, 0);
	pkt_question(&p, "vm1.local", DNS_TYPE_A, false);
	pkt_a(&p, DNS_SECTION_ANSWER, "VM1.local", VM1, MDNS_TTL / 2);
	assert_int_equal(handle(f, &p, GUEST, MDNS_PORT, MDNS_GROUP), MDNS_DROP_NO_ANSWER);
	assert_int_equal(f->out.mcast_len, 0);
	/* Less than half the TTL left: answered. */
	pkt_init(&p, 0, 0);
	pkt_question(&p, "vm1.local", DNS_TYPE_A, false);
	pkt_a(&p, DNS_SECTION_ANSWER, "vm1.local", VM1, MDNS_TTL / 2 - 1);
	assert_int_equal(handle(f, &p, GUEST, MDNS_PORT, MDNS_GROUP), MDNS_ANSWER_MULTICAST);
	/* Other data known: answered. */
	f->now += 1000;
	pkt_init(&p, 0, 0);
	pkt_question(&p, "vm1.local", DNS_TYPE_A, false);
	pkt_a(&p, DNS_SECTION_ANSWER, "vm1.local", VM2, MDNS_TTL);
	assert_int_equal(handle(f, &p, GUEST, MDNS_PORT, MDNS_GROUP), MDNS_ANSWER_MULTICAST);
}

static void test_known_answer_ptr(void **state)
{
	struct fixture *f = *state;
	uint8_t name[DNS_NAME_MAX], target[DNS_NAME_MAX];
	size_t len, tlen;
	struct pkt p;

	pkt_init(&p, 0, 0);
	pkt_question(&p, "50.48.20.172.in-addr.arpa", DNS_TYPE_PTR, false);
	name_of("50.48.20.172.in-addr.arpa", name, &len);
	name_of("vm1.local", target, &tlen);
	assert_int_equal(dns_builder_ptr(&p.b, DNS_SECTION_ANSWER, name, len, DNS_CLASS_IN,
					 MDNS_TTL, target, tlen), 0);
	assert_int_equal(handle(f, &p, GUEST, MDNS_PORT, MDNS_GROUP), MDNS_DROP_NO_ANSWER);
}

/* Packets we do not answer --------------------------------------------------- */

static void test_own_loop(void **state)
{
	struct fixture *f = *state;
	struct mdns_meta m;
	uint8_t copy[MDNS_PKT_MAX];
	size_t len;

	assert_int_equal(ask(f, "vm1.local", DNS_TYPE_A), MDNS_ANSWER_MULTICAST);
	len = f->out.mcast_len;
	memcpy(copy, f->out.mcast, len);
	f->now += 1;
	m = meta(f, GATEWAY, MDNS_PORT, MDNS_GROUP);
	assert_int_equal(mdns_handle(f->resp, copy, len, &m, &f->out), MDNS_DROP_OWN_LOOP);
	/* The same bytes from a guest are not ours... */
	m = meta(f, GUEST, MDNS_PORT, MDNS_GROUP);
	assert_int_equal(mdns_handle(f->resp, copy, len, &m, &f->out), MDNS_RESPONSE_SEEN);
	/* ...unless they have IP TTL 0: our copy for the host's resolver. */
	m.ttl = 0;
	assert_int_equal(mdns_handle(f->resp, copy, len, &m, &f->out), MDNS_DROP_OWN_LOOP);
}

/* The host's own resolver queries from the gateway address: answered. */
static void test_host_resolver_query_answered(void **state)
{
	struct fixture *f = *state;

	assert_int_equal(handle(f, query("vm1.local", DNS_TYPE_A, false), GATEWAY, MDNS_PORT,
				MDNS_GROUP), MDNS_ANSWER_MULTICAST);
}

static void test_malformed_and_ignored(void **state)
{
	struct fixture *f = *state;
	struct pkt *p = query("vm1.local", DNS_TYPE_A, false);
	struct mdns_meta m = meta(f, GUEST, MDNS_PORT, MDNS_GROUP);
	uint8_t buf[MDNS_PKT_MAX];
	size_t len = pkt_len(p);

	memcpy(buf, p->buf, len);
	assert_int_equal(mdns_handle(f->resp, buf, 5, &m, &f->out), MDNS_DROP_MALFORMED);
	assert_int_equal(mdns_handle(f->resp, buf, len - 3, &m, &f->out), MDNS_DROP_MALFORMED);
	/* RFC 6762 18.3: opcode not 0. */
	buf[2] = (uint8_t)(DNS_OPCODE_UPDATE << 3);
	assert_int_equal(mdns_handle(f->resp, buf, len, &m, &f->out), MDNS_DROP_IGNORED);
	/* RFC 6762 18.11: rcode not 0. */
	buf[2] = 0;
	buf[3] = DNS_RCODE_SERVFAIL;
	assert_int_equal(mdns_handle(f->resp, buf, len, &m, &f->out), MDNS_DROP_IGNORED);
	assert_int_equal(mdns_handle(f->resp, NULL, 0, &m, &f->out), MDNS_DROP_MALFORMED);
}

static void test_response_not_from_5353_ignored(void **state)
{
	struct fixture *f = *state;
	struct pkt p;

	pkt_init(&p, 0, DNS_FLAG_QR | DNS_FLAG_AA);
	pkt_a(&p, DNS_SECTION_ANSWER, "vm1.local", 0x0a090909u, MDNS_TTL);
	assert_int_equal(handle(f, &p, VM1, 40000, MDNS_GROUP), MDNS_DROP_IGNORED);
	assert_int_equal(ask(f, "vm1.local", DNS_TYPE_A), MDNS_ANSWER_MULTICAST);
}

/* Conflicts ------------------------------------------------------------------ */

static struct pkt *announce(const char *text, uint32_t ip, uint32_t ttl)
{
	static struct pkt p;

	pkt_init(&p, 0, DNS_FLAG_QR | DNS_FLAG_AA);
	pkt_a(&p, DNS_SECTION_ANSWER, text, ip, ttl);
	return &p;
}

static void test_holder_same_data_is_fine(void **state)
{
	struct fixture *f = *state;

	assert_int_equal(handle(f, announce("vm1.local", VM1, MDNS_TTL), VM1, MDNS_PORT,
				MDNS_GROUP), MDNS_RESPONSE_SEEN);
	assert_int_equal(f->warnings, 0);
	assert_int_equal(ask(f, "vm1.local", DNS_TYPE_A), MDNS_ANSWER_MULTICAST);
}

static void test_holder_other_data_silences(void **state)
{
	struct fixture *f = *state;
	struct mdns_counters c;

	/* Over UDP, the source address is all there is: it proves nothing. */
	assert_int_equal(handle(f, announce("VM1.local", 0x0a090909u, MDNS_TTL), VM1, MDNS_PORT,
				MDNS_GROUP), MDNS_RESPONSE_SEEN);
	/* From another port with vm1's address: a forgery. */
	assert_int_equal(from_port(f, announce("VM1.local", 0x0a090909u, MDNS_TTL), VM1,
				   OTHER_PORT), MDNS_RESPONSE_SEEN);
	assert_int_equal(f->warnings, 0);
	assert_int_equal(ask(f, "vm1.local", DNS_TYPE_A), MDNS_ANSWER_MULTICAST);
	/* From vm1's own port. */
	assert_int_equal(from_port(f, announce("VM1.local", 0x0a090909u, MDNS_TTL), VM1,
				   VM1_PORT), MDNS_CONFLICT_SILENCED);
	assert_int_equal(f->warnings, 1);
	assert_non_null(strstr(f->last_log, "vm1.local"));
	f->now += 1000;
	assert_int_equal(ask(f, "vm1.local", DNS_TYPE_A), MDNS_DROP_NO_ANSWER);
	assert_int_equal(ask(f, "50.48.20.172.in-addr.arpa", DNS_TYPE_PTR), MDNS_DROP_NO_ANSWER);
	assert_int_equal(handle(f, query("vm1.local", DNS_TYPE_A, false), GUEST, 40000,
				MDNS_GROUP), MDNS_DROP_NO_ANSWER);
	/* Said once. */
	assert_int_equal(from_port(f, announce("vm1.local", 0x0a090909u, MDNS_TTL), VM1,
				   VM1_PORT), MDNS_RESPONSE_SEEN);
	assert_int_equal(f->warnings, 1);
	mdns_responder_counters(f->resp, &c);
	assert_int_equal(c.silenced, 1);
	assert_int_equal(c.outcome[MDNS_CONFLICT_SILENCED], 1);
	/* A new lease for the name: answered again. */
	assert_int_equal(name_table_remove(f->names, "vm1", 3), 0);
	assert_int_equal(name_table_set(f->names, "vm1", 3, VM1), 0);
	assert_int_equal(ask(f, "vm1.local", DNS_TYPE_A), MDNS_ANSWER_MULTICAST);
}

static void test_goodbye_from_holder_not_a_conflict(void **state)
{
	struct fixture *f = *state;

	assert_int_equal(handle(f, announce("vm1.local", 0x0a090909u, 0), VM1, MDNS_PORT,
				MDNS_GROUP), MDNS_RESPONSE_SEEN);
	assert_int_equal(ask(f, "vm1.local", DNS_TYPE_A), MDNS_ANSWER_MULTICAST);
}

static void test_stranger_claim_logged_not_silenced(void **state)
{
	struct fixture *f = *state;

	assert_int_equal(handle(f, announce("vm1.local", 0x0a090909u, MDNS_TTL), GUEST,
				MDNS_PORT, MDNS_GROUP), MDNS_RESPONSE_SEEN);
	assert_int_equal(f->warnings, 1);
	assert_int_equal(handle(f, announce("vm1.local", 0x0a090909u, MDNS_TTL), GUEST,
				MDNS_PORT, MDNS_GROUP), MDNS_RESPONSE_SEEN);
	assert_int_equal(f->warnings, 1);
	assert_int_equal(ask(f, "vm1.local", DNS_TYPE_A), MDNS_ANSWER_MULTICAST);
}

/* Announcements and goodbyes ---------------------------------------------------- */

static int due(struct fixture *f, struct msg *m)
{
	uint8_t buf[MDNS_PKT_MAX];
	int n = mdns_responder_due(f->resp, f->now, buf, sizeof(buf));

	if (n > 0)
		parse(buf, (size_t)n, m);
	return n;
}

static void test_announce_twice_a_second_apart(void **state)
{
	struct fixture *f = *state;
	uint64_t when;
	struct msg m;

	assert_true(mdns_responder_next(f->resp, &when));
	assert_int_equal(when, T0);
	assert_true(due(f, &m) > 0);
	assert_int_equal(m.h.id, 0);
	assert_int_equal(m.h.flags, DNS_FLAG_QR | DNS_FLAG_AA);
	assert_int_equal(m.n, 2);
	assert_int_equal(m.r[0].type, DNS_TYPE_A);
	assert_int_equal(m.r[0].a, VM1);
	assert_int_equal(m.r[0].ttl, MDNS_TTL);
	assert_int_equal(m.r[0].rrclass, DNS_CLASS_IN | DNS_CLASS_MDNS_BIT);
	assert_int_equal(m.r[1].type, DNS_TYPE_PTR);
	assert_string_equal(m.r[1].target, "vm1.local");
	assert_int_equal(due(f, &m), 0);
	assert_true(mdns_responder_next(f->resp, &when));
	assert_int_equal(when, T0 + MDNS_ANNOUNCE_GAP_MS);
	f->now += MDNS_ANNOUNCE_GAP_MS - 1;
	assert_int_equal(due(f, &m), 0);
	f->now += 1;
	assert_true(due(f, &m) > 0);
	assert_int_equal(m.n, 2);
	assert_false(mdns_responder_next(f->resp, &when));
	/* The announcement counts as a multicast of the record (RFC 6762 6). */
	f->now += 500;
	assert_int_equal(ask(f, "vm1.local", DNS_TYPE_A), MDNS_DROP_RATE_LIMITED);
}

static void test_new_name_announced(void **state)
{
	struct fixture *f = *state;
	uint64_t when;
	struct msg m;

	assert_true(due(f, &m) > 0);
	f->now += 5000;
	assert_true(due(f, &m) > 0);
	assert_false(mdns_responder_next(f->resp, &when));
	f->now += 5000;
	assert_int_equal(name_table_set(f->names, "vm2", 3, VM2), 0);
	assert_true(mdns_responder_next(f->resp, &when));
	assert_int_equal(when, f->now);
	assert_true(due(f, &m) > 0);
	assert_int_equal(m.n, 2);
	assert_string_equal(m.r[0].name, "vm2.local");
	assert_int_equal(m.r[0].a, VM2);
}

static void announce_all(struct fixture *f)
{
	struct msg m;

	for (unsigned i = 0; i < MDNS_ANNOUNCE_COUNT; i++) {
		assert_true(due(f, &m) > 0);
		f->now += MDNS_ANNOUNCE_GAP_MS;
	}
	assert_int_equal(due(f, &m), 0);
}

static void test_goodbye_on_removal(void **state)
{
	struct fixture *f = *state;
	struct mdns_counters c;
	uint64_t when;
	struct msg m;

	announce_all(f);
	assert_int_equal(name_table_remove(f->names, "vm1", 3), 0);
	assert_true(mdns_responder_next(f->resp, &when));
	assert_true(due(f, &m) > 0);
	/* RFC 6762 10.1: TTL 0; no cache-flush bit. */
	assert_int_equal(m.n, 2);
	assert_int_equal(m.r[0].type, DNS_TYPE_A);
	assert_int_equal(m.r[0].a, VM1);
	assert_int_equal(m.r[0].ttl, 0);
	assert_int_equal(m.r[0].rrclass, DNS_CLASS_IN);
	assert_int_equal(m.r[1].type, DNS_TYPE_PTR);
	assert_int_equal(m.r[1].ttl, 0);
	assert_int_equal(due(f, &m), 0);
	assert_false(mdns_responder_next(f->resp, &when));
	assert_int_equal(ask(f, "vm1.local", DNS_TYPE_A), MDNS_DROP_NO_ANSWER);
	mdns_responder_counters(f->resp, &c);
	assert_int_equal(c.goodbyes, 1);
	assert_int_equal(c.names, 0);
}

static void test_readdress_goodbye_then_announce(void **state)
{
	struct fixture *f = *state;
	struct msg m;

	announce_all(f);
	assert_int_equal(name_table_set(f->names, "vm1", 3, VM2), 0);
	assert_true(due(f, &m) > 0);
	assert_int_equal(m.n, 4);
	assert_int_equal(m.r[0].ttl, 0);
	assert_int_equal(m.r[0].a, VM1);
	assert_int_equal(m.r[2].ttl, MDNS_TTL);
	assert_int_equal(m.r[2].a, VM2);
}

static void test_no_goodbye_before_announcement(void **state)
{
	struct fixture *f = *state;
	struct msg m;

	assert_int_equal(name_table_remove(f->names, "vm1", 3), 0);
	assert_int_equal(due(f, &m), 0);
}

/* A reload takes a name out and puts it back: nothing to tell the peers. */
static void test_remove_readd_is_quiet(void **state)
{
	struct fixture *f = *state;
	uint64_t when;
	struct msg m;

	announce_all(f);
	name_table_clear(f->names);
	assert_int_equal(name_table_set(f->names, "vm1", 3, VM1), 0);
	assert_false(mdns_responder_next(f->resp, &when));
	assert_int_equal(due(f, &m), 0);
}

static void test_no_goodbye_when_holder_speaks(void **state)
{
	struct fixture *f = *state;
	struct msg m;

	announce_all(f);
	assert_int_equal(handle(f, announce("vm1.local", VM1, MDNS_TTL), VM1, MDNS_PORT,
				MDNS_GROUP), MDNS_RESPONSE_SEEN);
	mdns_responder_goodbye_all(f->resp);
	assert_int_equal(due(f, &m), 0);
}

/* The silence lasts the announced record's TTL, then our record is
 * announced again. */
static void test_silence_ends_after_ttl(void **state)
{
	struct fixture *f = *state;
	struct msg m;
	uint64_t when;

	while (due(f, &m) > 0)
		;
	f->now += 10000;
	while (due(f, &m) > 0)
		;
	assert_int_equal(from_port(f, announce("vm1.local", 0x0a090909u, 30), VM1, VM1_PORT),
			 MDNS_CONFLICT_SILENCED);
	assert_true(mdns_responder_next(f->resp, &when));
	assert_int_equal(when, f->now + 30000);
	f->now += 29999;
	assert_int_equal(ask(f, "vm1.local", DNS_TYPE_A), MDNS_DROP_NO_ANSWER);
	f->now += 1;
	assert_true(due(f, &m) > 0);
	assert_true(m.n >= 1);
	assert_int_equal(m.r[0].a, VM1);
	f->now += MDNS_RECORD_GAP_MS;
	assert_int_equal(ask(f, "vm1.local", DNS_TYPE_A), MDNS_ANSWER_MULTICAST);
	/* An absurd TTL is bounded. */
	assert_int_equal(from_port(f, announce("vm1.local", 0x0a090909u, UINT32_MAX), VM1,
				   VM1_PORT), MDNS_CONFLICT_SILENCED);
	f->now += (uint64_t)MDNS_SILENCE_MAX_S * 1000;
	assert_int_equal(ask(f, "vm1.local", DNS_TYPE_A), MDNS_ANSWER_MULTICAST);
}

/* A renewal of the holder's lease ends the silence at once. */
static void test_silence_ends_on_renewal(void **state)
{
	struct fixture *f = *state;

	assert_int_equal(from_port(f, announce("vm1.local", 0x0a090909u, MDNS_TTL), VM1, VM1_PORT),
			 MDNS_CONFLICT_SILENCED);
	f->now += 1000;
	mdns_responder_renewed(f->resp, "vm1", VM2, f->now);
	assert_int_equal(ask(f, "vm1.local", DNS_TYPE_A), MDNS_DROP_NO_ANSWER);
	mdns_responder_renewed(f->resp, "vm1", VM1, f->now);
	assert_int_equal(ask(f, "vm1.local", DNS_TYPE_A), MDNS_ANSWER_MULTICAST);
	/* Not a response, not from a port: nothing. */
	assert_int_equal(from_port(f, query("vm1.local", DNS_TYPE_A, false), VM1, VM1_PORT),
			 MDNS_DROP_IGNORED);
	assert_int_equal(from_port(f, announce("vm1.local", 0x0a090909u, MDNS_TTL), VM1, 0),
			 MDNS_DROP_IGNORED);
}

/* The headers of a response seen on a bridge port. */
static void test_port_packet(void **state)
{
	uint8_t p[64] = { 0x45, 0, 0, 40, 0, 0, 0x40, 0, 255, IPPROTO_UDP, 0, 0,
			  172, 20, 48, 50, 224, 0, 0, 251,
			  0x14, 0xe9, 0x14, 0xe9, 0, 20, 0, 0 };
	struct mdns_meta m = { 0 };
	const uint8_t *dns;
	size_t n;

	(void)state;
	assert_int_equal(mdns_port_packet(p, 40, &m, &dns, &n), 0);
	assert_int_equal(m.src, VM1);
	assert_int_equal(m.dst, MDNS_GROUP);
	assert_int_equal(m.sport, MDNS_PORT);
	assert_int_equal(m.ttl, 255);
	assert_ptr_equal(dns, p + 28);
	assert_int_equal(n, 12);
	/* Ethernet padding after the IP length is not DNS. */
	assert_int_equal(mdns_port_packet(p, sizeof(p), &m, &dns, &n), 0);
	assert_int_equal(n, 12);
	assert_int_equal(mdns_port_packet(p, 39, &m, &dns, &n), -EBADMSG);
	p[25] = 21;   /* UDP longer than IP */
	assert_int_equal(mdns_port_packet(p, 40, &m, &dns, &n), -EBADMSG);
	p[25] = 20;
	p[6] = 0x20;  /* a fragment */
	assert_int_equal(mdns_port_packet(p, 40, &m, &dns, &n), -EBADMSG);
	p[6] = 0x40;
	p[23] = 53;   /* not to 5353 */
	assert_int_equal(mdns_port_packet(p, 40, &m, &dns, &n), -EBADMSG);
	p[23] = 0xe9;
	p[0] = 0x46;  /* IP options */
	assert_int_equal(mdns_port_packet(p, 40, &m, &dns, &n), -EBADMSG);
}

static void test_silenced_not_announced(void **state)
{
	struct fixture *f = *state;
	uint64_t when;
	struct msg m;

	while (due(f, &m) > 0)
		;
	f->now += 10000;
	while (due(f, &m) > 0)
		;
	assert_int_equal(from_port(f, announce("vm1.local", 0x0a090909u, MDNS_TTL), VM1,
				   VM1_PORT), MDNS_CONFLICT_SILENCED);
	/* Only the silence's end is scheduled. */
	assert_true(mdns_responder_next(f->resp, &when));
	assert_int_equal(when, f->now + MDNS_TTL * 1000);
	assert_int_equal(due(f, &m), 0);
	mdns_responder_goodbye_all(f->resp);
	assert_int_equal(due(f, &m), 0);
}

static void test_goodbye_all(void **state)
{
	struct fixture *f = *state;
	struct msg m;

	assert_int_equal(name_table_set(f->names, "vm2", 3, VM2), 0);
	announce_all(f);
	mdns_responder_goodbye_all(f->resp);
	assert_true(due(f, &m) > 0);
	assert_int_equal(m.n, 4);
	for (size_t i = 0; i < m.n; i++)
		assert_int_equal(m.r[i].ttl, 0);
	assert_int_equal(due(f, &m), 0);
	/* Once only. */
	mdns_responder_goodbye_all(f->resp);
	assert_int_equal(due(f, &m), 0);
}

/* Many names: several packets, each within MDNS_PKT_MAX, every name once. */
static void test_announce_many_names(void **state)
{
	struct fixture *f = *state;
	unsigned packets = 0, records = 0;
	char name[16];
	struct msg m;
	int n;

	for (unsigned i = 0; i < 200; i++) {
		snprintf(name, sizeof(name), "guest%u", i);
		assert_int_equal(name_table_set(f->names, name, strlen(name), VM2 + i), 0);
	}
	for (unsigned i = 0; i < 100; i++) {
		uint8_t buf[MDNS_PKT_MAX];

		n = mdns_responder_due(f->resp, f->now, buf, sizeof(buf));
		assert_true(n >= 0);
		if (n == 0)
			break;
		assert_true(n <= MDNS_PKT_MAX);
		packets++;
		assert_int_equal(dns_msg_parse_header(buf, (size_t)n, &m.h), 0);
		records += m.h.count[DNS_SECTION_ANSWER];
	}
	assert_int_equal(records, 2 * 201);
	assert_true(packets > 1);
}

/* resolved's settings --------------------------------------------------------- */

static void test_resolved_parse(void **state)
{
	static const struct {
		const char *text;
		enum mdns_resolved_mode want;
	} cases[] = {
		{ "", MDNS_RESOLVED_UNSET },
		{ "[Resolve]\n#MulticastDNS=no\n", MDNS_RESOLVED_UNSET },
		{ "[Resolve]\nMulticastDNS=no\n", MDNS_RESOLVED_NO },
		{ "[Resolve]\nMulticastDNS = resolve \r\n", MDNS_RESOLVED_RESOLVE },
		{ "[Resolve]\nMulticastDNS=false", MDNS_RESOLVED_NO },
		{ "[Resolve]\nMulticastDNS=on\n", MDNS_RESOLVED_YES },
		{ "[Resolve]\nMulticastDNS=no\nMulticastDNS=yes\n", MDNS_RESOLVED_YES },
		{ "[Resolve]\nMulticastDNS=no\nMulticastDNS=bogus\n", MDNS_RESOLVED_NO },
		{ "[Other]\nMulticastDNS=no\n", MDNS_RESOLVED_UNSET },
		{ "MulticastDNS=no\n", MDNS_RESOLVED_UNSET },
		{ "[Resolve]\nLLMNR=no\nmulticastdns=no\n", MDNS_RESOLVED_UNSET },
	};

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
		assert_int_equal(mdns_resolved_parse(cases[i].text, strlen(cases[i].text)),
				 cases[i].want);
}

static void write_file(const char *root, const char *rel, const char *text)
{
	char path[4096], cmd[4200];
	FILE *fp;

	snprintf(path, sizeof(path), "%s%s", root, rel);
	snprintf(cmd, sizeof(cmd), "mkdir -p \"$(dirname '%s')\"", path);
	assert_int_equal(system(cmd), 0);
	fp = fopen(path, "w");
	assert_non_null(fp);
	fputs(text, fp);
	assert_int_equal(fclose(fp), 0);
}

static void test_resolved_read(void **state)
{
	char root[] = "/tmp/test_mdns.XXXXXX", cmd[256], hint[512];
	struct mdns_resolved_state st;

	assert_non_null(mkdtemp(root));
	/* Nothing at all: compiled default yes, not running. */
	mdns_resolved_read(root, 7, &st);
	assert_false(st.running);
	assert_int_equal(st.global, MDNS_RESOLVED_YES);
	assert_int_equal(st.link, MDNS_RESOLVED_UNSET);
	assert_null(mdns_resolved_hint(&st, "defnet0", hint, sizeof(hint)));

	write_file(root, "/etc/systemd/resolved.conf", "[Resolve]\nMulticastDNS=no\n");
	write_file(root, "/run/systemd/resolve/netif/7", "LLMNR=yes\nMDNS=resolve\n");
	mdns_resolved_read(root, 7, &st);
	assert_true(st.running);
	assert_int_equal(st.global, MDNS_RESOLVED_NO);
	assert_int_equal(st.link, MDNS_RESOLVED_RESOLVE);
	assert_non_null(mdns_resolved_hint(&st, "defnet0", hint, sizeof(hint)));
	assert_non_null(strstr(hint, "MulticastDNS=resolve"));

	/* Drop-ins override the main file, later names win, and /etc masks
	 * the same name elsewhere. */
	write_file(root, "/usr/lib/systemd/resolved.conf.d/50-vendor.conf",
		   "[Resolve]\nMulticastDNS=resolve\n");
	mdns_resolved_read(root, 7, &st);
	assert_int_equal(st.global, MDNS_RESOLVED_RESOLVE);
	assert_null(mdns_resolved_hint(&st, "defnet0", hint, sizeof(hint)));
	write_file(root, "/etc/systemd/resolved.conf.d/50-vendor.conf", "[Resolve]\n");
	mdns_resolved_read(root, 7, &st);
	assert_int_equal(st.global, MDNS_RESOLVED_NO);
	write_file(root, "/run/systemd/resolved.conf.d/90-off.conf", "[Resolve]\nMulticastDNS=no\n");
	write_file(root, "/etc/systemd/resolved.conf.d/60-on.conf", "[Resolve]\nMulticastDNS=yes\n");
	mdns_resolved_read(root, 7, &st);
	assert_int_equal(st.global, MDNS_RESOLVED_NO);
	write_file(root, "/etc/systemd/resolved.conf.d/95-on.conf", "[Resolve]\nMulticastDNS=yes\n");
	mdns_resolved_read(root, 7, &st);
	assert_int_equal(st.global, MDNS_RESOLVED_YES);

	/* The link off: the hint names the bridge. */
	write_file(root, "/run/systemd/resolve/netif/7", "MDNS=no\n");
	mdns_resolved_read(root, 7, &st);
	assert_int_equal(st.link, MDNS_RESOLVED_NO);
	assert_non_null(mdns_resolved_hint(&st, "defnet0", hint, sizeof(hint)));
	assert_non_null(strstr(hint, "resolvectl mdns defnet0 resolve"));
	assert_string_equal(mdns_resolved_mode_name(st.global), "yes");

	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", root);
	assert_int_equal(system(cmd), 0);
}

/* Host copies ------------------------------------------------------------------- */

static void test_host_copy_source(void **state)
{
	struct fixture *f = *state;
	uint8_t buf[MDNS_PKT_MAX];
	struct pkt p;
	int n = mdns_responder_due(f->resp, f->now, buf, sizeof(buf));

	assert_true(n > 0);
	assert_int_equal(mdns_responder_host_copy_source(f->resp, buf, (size_t)n), VM1);
	/* Cut anywhere: the A record if it is whole before the cut, else
	 * none; never a read past the cut (ASan and valgrind runs see). */
	for (int cut = 0; cut < n; cut++) {
		uint32_t src = mdns_responder_host_copy_source(f->resp, buf, (size_t)cut);

		assert_true(src == 0 || src == VM1);
		if (cut < DNS_HEADER_LEN + 4)
			assert_int_equal(src, 0);
	}
	/* The gateway's own record, or an address off the subnet: no copy. */
	pkt_init(&p, 0, DNS_FLAG_QR | DNS_FLAG_AA);
	pkt_a(&p, DNS_SECTION_ANSWER, "host.local", GATEWAY, MDNS_TTL);
	pkt_a(&p, DNS_SECTION_ANSWER, "far.local", 0x0a090909u, MDNS_TTL);
	assert_int_equal(mdns_responder_host_copy_source(f->resp, p.buf, pkt_len(&p)), 0);
	/* An A record in the additional section is no answer. */
	pkt_a(&p, DNS_SECTION_ADDITIONAL, "vm1.local", VM1, MDNS_TTL);
	assert_int_equal(mdns_responder_host_copy_source(f->resp, p.buf, pkt_len(&p)), 0);
	/* The first guest record of the answers names the source. */
	pkt_init(&p, 0, DNS_FLAG_QR | DNS_FLAG_AA);
	pkt_a(&p, DNS_SECTION_ANSWER, "host.local", GATEWAY, MDNS_TTL);
	pkt_a(&p, DNS_SECTION_ANSWER, "vm1.local", VM1, 0);
	assert_int_equal(mdns_responder_host_copy_source(f->resp, p.buf, pkt_len(&p)), VM1);
}


/* IPv6 ---------------------------------------------------------------------- */

static void pkt_aaaa(struct pkt *p, enum dns_section sec, const char *text,
		     const uint8_t addr[16], uint32_t ttl)
{
	uint8_t name[DNS_NAME_MAX];
	size_t len;

	name_of(text, name, &len);
	assert_int_equal(dns_builder_aaaa(&p->b, sec, name, len,
					  DNS_CLASS_IN | DNS_CLASS_MDNS_BIT, ttl, addr), 0);
}

static void assert_vm1_aaaa(const struct rec *r, enum dns_section sec, const uint8_t addr[16])
{
	assert_string_equal(r->name, "vm1.local");
	assert_int_equal(r->section, sec);
	assert_int_equal(r->type, DNS_TYPE_AAAA);
	assert_int_equal(r->rrclass, DNS_CLASS_IN | DNS_CLASS_MDNS_BIT);
	assert_int_equal(r->ttl, MDNS_TTL);
	assert_memory_equal(r->aaaa, addr, 16);
}

/* AAAA: every address of the guest, its A as additional (RFC 6762 6.2). */
static void test_aaaa_answer(void **state)
{
	struct fixture *f = *state;
	struct msg m;

	assert_int_equal(ask(f, "vm1.local", DNS_TYPE_AAAA), MDNS_ANSWER_MULTICAST);
	parse(f->out.mcast, f->out.mcast_len, &m);
	assert_int_equal(m.n, 3);
	assert_vm1_aaaa(&m.r[0], DNS_SECTION_ANSWER, VM1_V6A);
	assert_vm1_aaaa(&m.r[1], DNS_SECTION_ANSWER, VM1_V6B);
	assert_int_equal(m.r[2].section, DNS_SECTION_ADDITIONAL);
	assert_int_equal(m.r[2].type, DNS_TYPE_A);
	assert_int_equal(m.r[2].a, VM1);
}

static void test_a_brings_aaaa(void **state)
{
	struct fixture *f = *state;
	struct msg m;

	assert_int_equal(ask(f, "vm1.local", DNS_TYPE_A), MDNS_ANSWER_MULTICAST);
	parse(f->out.mcast, f->out.mcast_len, &m);
	assert_int_equal(m.n, 3);
	assert_int_equal(m.r[0].type, DNS_TYPE_A);
	assert_vm1_aaaa(&m.r[1], DNS_SECTION_ADDITIONAL, VM1_V6A);
	assert_vm1_aaaa(&m.r[2], DNS_SECTION_ADDITIONAL, VM1_V6B);
}

/* ANY: both families as answers, nothing left to add. */
static void test_any_both_families(void **state)
{
	struct fixture *f = *state;
	struct msg m;

	assert_int_equal(ask(f, "vm1.local", DNS_TYPE_ANY), MDNS_ANSWER_MULTICAST);
	parse(f->out.mcast, f->out.mcast_len, &m);
	assert_int_equal(m.n, 3);
	assert_int_equal(m.r[0].type, DNS_TYPE_A);
	assert_vm1_aaaa(&m.r[1], DNS_SECTION_ANSWER, VM1_V6A);
	assert_vm1_aaaa(&m.r[2], DNS_SECTION_ANSWER, VM1_V6B);
}

/* Another type: the NSEC lists A (1) and AAAA (28): four bitmap bytes. */
static void test_nsec_lists_aaaa(void **state)
{
	struct fixture *f = *state;
	struct msg m;

	assert_int_equal(ask(f, "vm1.local", DNS_TYPE_TXT), MDNS_ANSWER_MULTICAST);
	parse(f->out.mcast, f->out.mcast_len, &m);
	assert_int_equal(m.n, 1);
	assert_int_equal(m.r[0].type, DNS_TYPE_NSEC);
	assert_int_equal(m.r[0].bitmap_len, 6);
	assert_int_equal(m.r[0].bitmap[0], 0);
	assert_int_equal(m.r[0].bitmap[1], 4);
	assert_int_equal(m.r[0].bitmap[2], 0x40);
	assert_int_equal(m.r[0].bitmap[5], 0x08);
}

/* No address from the neighbour table (yet): NSEC, as without IPv6. */
static void test_aaaa_none_yet(void **state)
{
	struct fixture *f = *state;
	struct msg m;

	assert_int_equal(name_table_set(f->names, "vm2", 3, VM2), 0);
	assert_int_equal(ask(f, "vm2.local", DNS_TYPE_AAAA), MDNS_ANSWER_MULTICAST);
	parse(f->out.mcast, f->out.mcast_len, &m);
	assert_int_equal(m.n, 1);
	assert_int_equal(m.r[0].type, DNS_TYPE_NSEC);
	assert_int_equal(m.r[0].bitmap_len, 3);
}

/* Queries on ff02::fb are answered as on 224.0.0.251; unicast over IPv6
 * only from the link (RFC 6762 11). */
static void test_query_over_ipv6(void **state)
{
	struct fixture *f = *state;
	struct pkt *q = query("vm1.local", DNS_TYPE_AAAA, false);
	struct msg m;

	assert_int_equal(handle6(f, q, LINK_LOCAL, MDNS_PORT, GROUP6), MDNS_ANSWER_MULTICAST);
	parse(f->out.mcast, f->out.mcast_len, &m);
	assert_vm1_aaaa(&m.r[0], DNS_SECTION_ANSWER, VM1_V6A);
	f->now += 2000;
	assert_int_equal(handle6(f, q, FAR6, MDNS_PORT, VM1_V6A), MDNS_DROP_OFF_SUBNET);
	assert_int_equal(handle6(f, q, VM1_V6B, 40000, VM1_V6A), MDNS_ANSWER_LEGACY);
	assert_int_equal(handle6(f, q, LINK_LOCAL, 40000, VM1_V6A), MDNS_ANSWER_LEGACY);
	parse(f->out.ucast, f->out.ucast_len, &m);
	assert_int_equal(m.r[0].type, DNS_TYPE_AAAA);
	assert_true(m.r[0].ttl <= MDNS_LEGACY_TTL);
	/* From the group, any source: the querier's own link. */
	assert_int_equal(handle6(f, q, FAR6, MDNS_PORT, GROUP6), MDNS_ANSWER_MULTICAST);
}

/* The once-a-second limit counts per family: a querier asking on both
 * at once (avahi does) gets both answers. */
static void test_rate_limit_per_family(void **state)
{
	struct fixture *f = *state;
	struct pkt *q = query("vm1.local", DNS_TYPE_A, false);

	assert_int_equal(handle(f, q, GUEST, MDNS_PORT, MDNS_GROUP), MDNS_ANSWER_MULTICAST);
	assert_int_equal(handle6(f, q, LINK_LOCAL, MDNS_PORT, GROUP6), MDNS_ANSWER_MULTICAST);
	f->now += 10;
	assert_int_equal(handle6(f, q, LINK_LOCAL, MDNS_PORT, GROUP6), MDNS_DROP_RATE_LIMITED);
	assert_int_equal(handle(f, q, GUEST, MDNS_PORT, MDNS_GROUP), MDNS_DROP_RATE_LIMITED);
}

/* RFC 6762 7.1 on an AAAA set: suppressed only when all of it is known. */
static void test_known_answer_aaaa(void **state)
{
	struct fixture *f = *state;
	struct pkt p;

	pkt_init(&p, 0, 0);
	pkt_question(&p, "vm1.local", DNS_TYPE_AAAA, false);
	pkt_aaaa(&p, DNS_SECTION_ANSWER, "vm1.local", VM1_V6B, MDNS_TTL);
	pkt_aaaa(&p, DNS_SECTION_ANSWER, "vm1.local", VM1_V6A, MDNS_TTL);
	assert_int_equal(handle6(f, &p, LINK_LOCAL, MDNS_PORT, GROUP6), MDNS_DROP_NO_ANSWER);
	pkt_init(&p, 0, 0);
	pkt_question(&p, "vm1.local", DNS_TYPE_AAAA, false);
	pkt_aaaa(&p, DNS_SECTION_ANSWER, "vm1.local", VM1_V6A, MDNS_TTL);
	assert_int_equal(handle6(f, &p, LINK_LOCAL, MDNS_PORT, GROUP6), MDNS_ANSWER_MULTICAST);
}

/* Our answer looped back on the IPv6 socket, from the bridge's
 * link-local address: recognised by its bytes. */
static void test_own_loop_ipv6(void **state)
{
	struct fixture *f = *state;
	uint8_t copy[MDNS_PKT_MAX];
	struct pkt p;
	size_t len;

	assert_int_equal(handle6(f, query("vm1.local", DNS_TYPE_AAAA, false), LINK_LOCAL,
				 MDNS_PORT, GROUP6), MDNS_ANSWER_MULTICAST);
	len = f->out.mcast_len;
	memcpy(copy, f->out.mcast, len);
	memcpy(p.buf, copy, len);
	p.b.len = len;
	f->now += 1;
	assert_int_equal(handle6(f, &p, LINK_LOCAL, MDNS_PORT, GROUP6), MDNS_DROP_OWN_LOOP);
	/* A guest's AAAA announcement over IPv6 is only seen. */
	pkt_init(&p, 0, DNS_FLAG_QR | DNS_FLAG_AA);
	pkt_aaaa(&p, DNS_SECTION_ANSWER, "vm1.local", VM1_V6A, MDNS_TTL);
	pkt_a(&p, DNS_SECTION_ADDITIONAL, "vm1.local", VM2, MDNS_TTL);
	assert_int_equal(handle6(f, &p, VM1_V6A, MDNS_PORT, GROUP6), MDNS_RESPONSE_SEEN);
	assert_int_equal(f->warnings, 0);
}

/* Announcements carry the AAAA set beside A and PTR. */
static void test_announce_with_aaaa(void **state)
{
	struct fixture *f = *state;
	struct msg m;

	assert_true(due(f, &m) > 0);
	assert_int_equal(m.n, 4);
	assert_int_equal(m.r[0].type, DNS_TYPE_A);
	assert_int_equal(m.r[1].type, DNS_TYPE_PTR);
	assert_vm1_aaaa(&m.r[2], DNS_SECTION_ANSWER, VM1_V6A);
	assert_vm1_aaaa(&m.r[3], DNS_SECTION_ANSWER, VM1_V6B);
	/* Just multicast: a query in the next second is not answered. */
	assert_int_equal(ask(f, "vm1.local", DNS_TYPE_AAAA), MDNS_DROP_RATE_LIMITED);
}

/* An address that goes gets its goodbye; one that comes, announcements
 * (RFC 6762 10.1, 8.4). */
static void test_aaaa_event(void **state)
{
	struct fixture *f = *state;
	struct msg m;

	announce_all(f);
	fx_n6 = 1;
	mdns_responder_aaaa_event(f->resp, VM1, VM1_V6B, false, f->now);
	assert_true(due(f, &m) > 0);
	assert_int_equal(m.n, 1);
	assert_int_equal(m.r[0].type, DNS_TYPE_AAAA);
	assert_int_equal(m.r[0].ttl, 0);
	assert_int_equal(m.r[0].rrclass, DNS_CLASS_IN);
	assert_memory_equal(m.r[0].aaaa, VM1_V6B, 16);
	assert_int_equal(due(f, &m), 0);
	fx_n6 = 2;
	mdns_responder_aaaa_event(f->resp, VM1, VM1_V6B, true, f->now);
	assert_true(due(f, &m) > 0);
	assert_int_equal(m.n, 4);
	assert_vm1_aaaa(&m.r[3], DNS_SECTION_ANSWER, VM1_V6B);
	f->now += MDNS_ANNOUNCE_GAP_MS;
	assert_true(due(f, &m) > 0);
	assert_int_equal(due(f, &m), 0);
	/* Not a guest with a name: nothing. */
	mdns_responder_aaaa_event(f->resp, VM2, VM1_V6B, false, f->now);
	mdns_responder_aaaa_event(f->resp, VM2, VM1_V6B, true, f->now);
	assert_int_equal(due(f, &m), 0);
}

/* A name that goes: goodbyes for its A, PTR and every AAAA; removed and
 * put back before they went out: none. */
static void test_goodbye_with_aaaa(void **state)
{
	struct fixture *f = *state;
	struct msg m;

	announce_all(f);
	assert_int_equal(name_table_remove(f->names, "vm1", 3), 0);
	assert_true(due(f, &m) > 0);
	assert_int_equal(m.n, 4);
	for (size_t i = 0; i < m.n; i++)
		assert_int_equal(m.r[i].ttl, 0);
	assert_int_equal(m.r[0].type, DNS_TYPE_AAAA);
	assert_int_equal(m.r[2].type, DNS_TYPE_A);
	assert_int_equal(name_table_set(f->names, "vm1", 3, VM1), 0);
	f->now += 10 * MDNS_ANNOUNCE_GAP_MS;
	announce_all(f);
	name_table_clear(f->names);
	assert_int_equal(name_table_set(f->names, "vm1", 3, VM1), 0);
	assert_int_equal(due(f, &m), 0);
}

#define T(fn) cmocka_unit_test_setup_teardown(fn, setup, teardown)
#define T6(fn) cmocka_unit_test_setup_teardown(fn, setup6, teardown)

int main(void)
{
	const struct CMUnitTest tests[] = {
		T(test_qm_answer_multicast),
		T(test_case_insensitive_and_any),
		T(test_unknown_names_unanswered),
		T(test_other_type_gets_nsec),
		T(test_reverse_ptr),
		T(test_not_our_link),
		T(test_off_subnet_unicast_dropped),
		T(test_legacy_unicast),
		T(test_qu),
		T(test_qu_and_qm_both),
		T(test_record_rate_limit),
		T(test_probe_not_rate_limited),
		T(test_reply_budget),
		T(test_source_share),
		T(test_known_answer_suppression),
		T(test_known_answer_ptr),
		T(test_own_loop),
		T(test_host_resolver_query_answered),
		T(test_malformed_and_ignored),
		T(test_response_not_from_5353_ignored),
		T(test_holder_same_data_is_fine),
		T(test_holder_other_data_silences),
		T(test_goodbye_from_holder_not_a_conflict),
		T(test_stranger_claim_logged_not_silenced),
		T(test_silence_ends_after_ttl),
		T(test_silence_ends_on_renewal),
		T(test_port_packet),
		T(test_announce_twice_a_second_apart),
		T(test_new_name_announced),
		T(test_goodbye_on_removal),
		T(test_readdress_goodbye_then_announce),
		T(test_no_goodbye_before_announcement),
		T(test_remove_readd_is_quiet),
		T(test_no_goodbye_when_holder_speaks),
		T(test_silenced_not_announced),
		T(test_goodbye_all),
		T(test_announce_many_names),
		T(test_host_copy_source),
		T6(test_aaaa_answer),
		T6(test_a_brings_aaaa),
		T6(test_any_both_families),
		T6(test_nsec_lists_aaaa),
		T6(test_aaaa_none_yet),
		T6(test_query_over_ipv6),
		T6(test_rate_limit_per_family),
		T6(test_known_answer_aaaa),
		T6(test_own_loop_ipv6),
		T6(test_announce_with_aaaa),
		T6(test_aaaa_event),
		T6(test_goodbye_with_aaaa),
		cmocka_unit_test(test_resolved_parse),
		cmocka_unit_test(test_resolved_read),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
