/* Tests for the DHCPv4 server policy: every client state (RFC 2131 4.3),
 * the NAK rules of 4.3.2, reply destinations of 4.1, sticky addresses,
 * reservations, pool exhaustion, quarantine, ARP probes, rate limits and
 * host name rules. Whole exchanges run in-process: a small client builds
 * requests with the codec, and a fake transport takes each reply the way
 * dhcp_io.c would (wrapped in IPv4/UDP, delivered by destination) and
 * hands it back to the client. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "dhcp_codec.h"
#include "dhcp_server.h"
#include "lease_store.h"

#define NET 0x0a000000u            /* 10.0.0.0/24 */
#define GW 0x0a000001u
#define POOL_FIRST 0x0a00000au     /* .10 - .19 */
#define POOL_LAST 0x0a000013u
#define FOREIGN 0xc0a80105u        /* 192.168.1.5 */
#define RES_IP 0x0a000032u         /* .50, outside the pool */
#define LEASE_S 600
#define T0 1000000ull
#define WALL0 1700000000

#define MAX_EVENTS 64
#define MAX_PROBES 256

struct ev_copy {
	enum dhcp_event_kind kind;
	uint32_t ip;
	uint8_t mac[6];
	char hostname[80];
	char reason[80];
	uint64_t count;
	bool static_lease;
	unsigned port, lease_port;
};

struct fixture {
	struct lease_store *store;
	struct dhcp_server *srv;
	struct dhcp_server_config cfg;
	struct dhcp_reservation res[2];
	uint64_t now;
	struct ev_copy ev[MAX_EVENTS];
	size_t n_ev;
	uint32_t probes[MAX_PROBES];
	size_t n_probes, all_probes;
	/* The fake name table: one name held by another guest. */
	char held_name[64];
	uint32_t held_ip;
	/* Bridge ports gone or down (the rest are up). */
	bool port_down[16];
	/* The last reply as the transport delivered it. */
	uint8_t frame[DHCP_IPUDP_LEN + DHCP_REPLY_MAX];
	struct dhcp_reply reply;
	struct dhcp_msg got;
	struct dhcp_udp udp;
};

static struct fixture *F;

static void on_probe(void *ctx, uint32_t ip)
{
	struct fixture *f = ctx;

	f->all_probes++;
	if (f->n_probes < MAX_PROBES)
		f->probes[f->n_probes++] = ip;
}

static uint32_t on_name_owner(void *ctx, const char *name)
{
	struct fixture *f = ctx;

	return strcmp(name, f->held_name) == 0 ? f->held_ip : 0;
}

static void on_event(void *ctx, const struct dhcp_event *ev)
{
	struct fixture *f = ctx;
	struct ev_copy *c;

	if (f->n_ev == MAX_EVENTS)
		return;
	c = &f->ev[f->n_ev++];
	c->kind = ev->kind;
	c->ip = ev->ip;
	memcpy(c->mac, ev->mac, 6);
	snprintf(c->hostname, sizeof(c->hostname), "%s", ev->hostname);
	snprintf(c->reason, sizeof(c->reason), "%s", ev->reason);
	c->count = ev->count;
	c->static_lease = ev->static_lease;
	c->port = ev->port;
	c->lease_port = ev->lease_port;
}

static bool on_port_up(void *ctx, unsigned ifindex)
{
	struct fixture *f = ctx;

	return ifindex < 16 && !f->port_down[ifindex];
}

static const struct dhcp_server_ops test_ops = {
	.probe = on_probe, .name_owner = on_name_owner, .event = on_event,
	.port_up = on_port_up,
};

static void base_config(struct fixture *f)
{
	memset(&f->cfg, 0, sizeof(f->cfg));
	f->cfg.server_ip = GW;
	f->cfg.subnet = NET;
	f->cfg.prefix_len = 24;
	f->cfg.pool_first = POOL_FIRST;
	f->cfg.pool_last = POOL_LAST;
	f->cfg.lease_time = LEASE_S;
	f->cfg.domain = "lab.test";
	f->cfg.host_name = "myhost.example";
	memcpy(f->res[0].mac, (uint8_t[]){ 0x52, 0x54, 0, 0, 0, 0x50 }, 6);
	f->res[0].ip = RES_IP;
	snprintf(f->res[0].name, sizeof(f->res[0].name), "buildbox");
	f->cfg.reservations = f->res;
	f->cfg.n_reservations = 1;
}

static int setup(void **state)
{
	static const uint8_t boot[LEASE_BOOT_ID_LEN] = { 1 };
	struct fixture *f = calloc(1, sizeof(*f));

	assert_non_null(f);
	base_config(f);
	assert_int_equal(lease_store_new(&f->store, boot), 0);
	assert_int_equal(dhcp_server_new(&f->srv, f->store, &f->cfg, &test_ops, f), 0);
	dhcp_server_set_mtu(f->srv, 1500);
	f->now = T0;
	F = f;
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fixture *f = *state;

	dhcp_server_free(f->srv);
	lease_store_close(f->store);
	free(f);
	return 0;
}

/* ------------------------------------------------------- the test client */

struct req {
	uint8_t type;
	uint8_t mac[6];
	uint32_t ciaddr, giaddr;
	uint16_t flags;
	uint32_t requested;       /* option 50 when set */
	uint32_t server_id;       /* option 54 when set */
	const char *hostname;     /* option 12 */
	size_t hostname_len;      /* 0: strlen */
	const char *fqdn;         /* option 81, ASCII */
	const uint8_t *prl;
	size_t prl_len;
	uint32_t dst_ip;          /* 0: broadcast */
	unsigned port;
};

static void mac_n(uint8_t mac[6], unsigned n)
{
	memcpy(mac, (uint8_t[]){ 0x52, 0x54, 0x00, 0xaa, (uint8_t)(n >> 8), (uint8_t)n }, 6);
}

static void build_req(const struct req *q, struct dhcp_msg *m)
{
	uint8_t buf[1024];
	struct dhcp_builder b;
	struct dhcp_header h;
	size_t len;

	dhcp_header_request(&h, 0x1234, q->mac);
	h.ciaddr = q->ciaddr;
	h.giaddr = q->giaddr;
	h.flags = q->flags;
	assert_int_equal(dhcp_build_init(&b, buf, sizeof(buf), &h, q->type), 0);
	if (q->requested)
		assert_int_equal(dhcp_build_u32(&b, DHCP_OPT_REQUESTED_IP, q->requested), 0);
	if (q->server_id)
		assert_int_equal(dhcp_build_u32(&b, DHCP_OPT_SERVER_ID, q->server_id), 0);
	if (q->hostname)
		assert_int_equal(dhcp_build_option(&b, DHCP_OPT_HOSTNAME, q->hostname,
						   q->hostname_len ? q->hostname_len :
						   strlen(q->hostname)), 0);
	if (q->fqdn)
		assert_int_equal(dhcp_build_fqdn(&b, DHCP_FQDN_S, q->fqdn), 0);
	if (q->prl)
		assert_int_equal(dhcp_build_option(&b, DHCP_OPT_PARAM_LIST, q->prl, q->prl_len), 0);
	assert_int_equal(dhcp_build_finish(&b, &len), 0);
	assert_int_equal(dhcp_parse(buf, len, m), 0);
}

/* The transport: wraps the reply as dhcp_io.c does and parses it back. */
static void deliver(struct fixture *f)
{
	struct dhcp_reply *r = &f->reply;

	assert_true(r->len >= DHCP_BOOTP_MIN_LEN);
	if (r->dest == DHCP_DEST_RELAY) {
		assert_int_equal(r->dst_port, DHCP_SERVER_PORT);
		assert_int_equal(dhcp_parse(dhcp_reply_payload(r), r->len, &f->got), 0);
		return;
	}
	assert_int_equal(r->dst_port, DHCP_CLIENT_PORT);
	assert_int_equal(dhcp_udp_encap(r->buf, r->size, GW, r->dst_ip, DHCP_SERVER_PORT,
					r->dst_port, dhcp_reply_payload(r), r->len), 0);
	assert_int_equal(dhcp_udp_decap(r->buf, r->len + DHCP_IPUDP_LEN, &f->udp), 0);
	assert_int_equal(f->udp.dst_ip, r->dst_ip);
	assert_int_equal(dhcp_parse(f->udp.payload, f->udp.payload_len, &f->got), 0);
}

static enum dhcp_outcome send_msg(struct fixture *f, const struct dhcp_msg *m, unsigned port,
				  uint32_t dst_ip)
{
	struct dhcp_meta meta = {
		.now_ms = f->now, .now_wall = WALL0 + (int64_t)((f->now - T0) / 1000),
		.port = port, .dst_ip = dst_ip ? dst_ip : UINT32_MAX,
	};
	enum dhcp_outcome o;

	memset(&f->reply, 0, sizeof(f->reply));
	f->reply.buf = f->frame;
	f->reply.size = sizeof(f->frame);
	o = dhcp_server_handle(f->srv, m, &meta, &f->reply);
	if (o == DHCP_OUTCOME_OFFER || o == DHCP_OUTCOME_ACK || o == DHCP_OUTCOME_NAK ||
	    o == DHCP_OUTCOME_INFORM)
		deliver(f);
	else
		assert_int_equal(f->reply.len, 0);
	return o;
}

static void advance(struct fixture *f, uint64_t ms)
{
	f->now += ms;
	dhcp_server_tick(f->srv, f->now);
}

/* The ticks due now, as the I/O layer's timer runs them (a refill that
 * stopped at its batch); returns how many ran. */
static unsigned advance_due(struct fixture *f)
{
	unsigned ticks = 0;

	while (dhcp_server_deadline(f->srv) <= f->now && ticks++ < 100)
		advance(f, 0);
	assert_true(ticks < 100);
	return ticks;
}

/* Sends; a deferred DISCOVER waits for its probe and is sent again, as
 * the I/O layer does. */
static enum dhcp_outcome send_req(struct fixture *f, const struct req *q)
{
	struct dhcp_msg m;
	enum dhcp_outcome o;
	int i;

	build_req(q, &m);
	o = send_msg(f, &m, q->port, q->dst_ip);
	for (i = 0; i < 4 && o == DHCP_OUTCOME_DEFER; i++) {
		advance(f, DHCP_PROBE_WAIT_MS);
		o = send_msg(f, &m, q->port, q->dst_ip);
	}
	return o;
}

static uint32_t discover(struct fixture *f, const uint8_t mac[6])
{
	struct req q = { .type = DHCP_DISCOVER };

	memcpy(q.mac, mac, 6);
	assert_int_equal(send_req(f, &q), DHCP_OUTCOME_OFFER);
	assert_int_equal(f->got.type, DHCP_OFFER);
	return f->got.hdr.yiaddr;
}

static enum dhcp_outcome select_ip(struct fixture *f, const uint8_t mac[6], uint32_t ip,
				   const char *hostname)
{
	struct req q = { .type = DHCP_REQUEST, .requested = ip, .server_id = GW,
			 .hostname = hostname };

	memcpy(q.mac, mac, 6);
	return send_req(f, &q);
}

/* A whole DISCOVER-OFFER-REQUEST-ACK; returns the address. */
static uint32_t dora(struct fixture *f, const uint8_t mac[6], const char *hostname)
{
	uint32_t ip = discover(f, mac);

	assert_int_equal(select_ip(f, mac, ip, hostname), DHCP_OUTCOME_ACK);
	assert_int_equal(f->got.type, DHCP_ACK);
	assert_int_equal(f->got.hdr.yiaddr, ip);
	return ip;
}

static const struct ev_copy *last_event(const struct fixture *f, enum dhcp_event_kind kind)
{
	size_t i;

	for (i = f->n_ev; i > 0; i--)
		if (f->ev[i - 1].kind == kind)
			return &f->ev[i - 1];
	return NULL;
}

static size_t count_events(const struct fixture *f, enum dhcp_event_kind kind)
{
	size_t i, n = 0;

	for (i = 0; i < f->n_ev; i++)
		n += f->ev[i].kind == kind;
	return n;
}

static uint32_t opt_u32(const struct fixture *f, uint8_t code)
{
	uint8_t v[4];
	size_t n;

	assert_int_equal(dhcp_option_get(dhcp_reply_payload(&f->reply), f->reply.len, code,
					 v, sizeof(v), &n), 0);
	assert_int_equal(n, 4);
	return (uint32_t)v[0] << 24 | (uint32_t)v[1] << 16 | (uint32_t)v[2] << 8 | v[3];
}

static bool has_opt(const struct fixture *f, uint8_t code)
{
	uint8_t v[256];
	size_t n;

	return dhcp_option_get(dhcp_reply_payload(&f->reply), f->reply.len, code, v,
			       sizeof(v), &n) == 0;
}

/* ---------------------------------------------------------------- tests */

static void test_dora(void **state)
{
	struct fixture *f = *state;
	uint8_t mac[6];
	const struct lease *l;
	const struct ev_copy *e;
	uint32_t ip;

	mac_n(mac, 1);
	ip = discover(f, mac);
	assert_true(ip >= POOL_FIRST && ip <= POOL_LAST);
	/* The fresh address was probed before it was offered. */
	assert_true(f->n_probes >= 1);
	assert_int_equal(opt_u32(f, DHCP_OPT_SERVER_ID), GW);
	assert_int_equal(opt_u32(f, DHCP_OPT_SUBNET_MASK), 0xffffff00u);
	assert_int_equal(opt_u32(f, DHCP_OPT_ROUTER), GW);
	assert_int_equal(opt_u32(f, DHCP_OPT_DNS), GW);
	assert_int_equal(opt_u32(f, DHCP_OPT_LEASE_TIME), LEASE_S);
	assert_int_equal(opt_u32(f, DHCP_OPT_T1), LEASE_S / 2);
	assert_int_equal(opt_u32(f, DHCP_OPT_T2), LEASE_S * 7 / 8);
	assert_true(has_opt(f, DHCP_OPT_DOMAIN_NAME));
	/* Unicast to the client's MAC and the offered address (4.1). */
	assert_int_equal(f->reply.dest, DHCP_DEST_CLIENT);
	assert_int_equal(f->reply.dst_ip, ip);
	assert_memory_equal(f->reply.dst_mac, mac, 6);
	assert_null(lease_store_find_ip(f->store, ip));

	assert_int_equal(select_ip(f, mac, ip, "Vm1"), DHCP_OUTCOME_ACK);
	l = lease_store_find_ip(f->store, ip);
	assert_non_null(l);
	assert_memory_equal(l->mac, mac, 6);
	assert_string_equal(l->hostname, "vm1");
	assert_int_equal(l->expires_boot_ms, f->now + LEASE_S * 1000ull);
	e = last_event(f, DHCP_EV_ACK_NEW);
	assert_non_null(e);
	assert_int_equal(e->ip, ip);
	assert_string_equal(e->hostname, "vm1");
}

static void test_mtu_and_search_when_asked(void **state)
{
	struct fixture *f = *state;
	static const uint8_t prl[] = { 1, 3, 6, 26, 119, 12 };
	struct req q = { .type = DHCP_DISCOVER, .prl = prl, .prl_len = sizeof(prl) };
	uint8_t v[64];
	size_t n;

	mac_n(q.mac, 2);
	assert_int_equal(send_req(f, &q), DHCP_OUTCOME_OFFER);
	assert_int_equal(dhcp_option_get(dhcp_reply_payload(&f->reply), f->reply.len,
					 DHCP_OPT_MTU, v, sizeof(v), &n), 0);
	assert_int_equal(n, 2);
	assert_int_equal(v[0] << 8 | v[1], 1500);
	assert_true(has_opt(f, DHCP_OPT_DOMAIN_SEARCH));
	/* Without asking, no MTU. */
	q.prl = NULL;
	q.prl_len = 0;
	assert_int_equal(send_req(f, &q), DHCP_OUTCOME_OFFER);
	assert_false(has_opt(f, DHCP_OPT_MTU));
}

static void test_retransmitted_discover_same_offer(void **state)
{
	struct fixture *f = *state;
	uint8_t a[6], b[6];
	uint32_t ip1, ip2, ipb;

	mac_n(a, 3);
	mac_n(b, 4);
	ip1 = discover(f, a);
	ip2 = discover(f, a);
	assert_int_equal(ip1, ip2);
	/* Offered to a: another client gets another address, and a NAK if
	 * it asks for a's. */
	ipb = discover(f, b);
	assert_int_not_equal(ipb, ip1);
	assert_int_equal(select_ip(f, b, ip1, NULL), DHCP_OUTCOME_NAK);
	assert_int_equal(select_ip(f, a, ip1, NULL), DHCP_OUTCOME_ACK);
}

static void test_selecting_other_server(void **state)
{
	struct fixture *f = *state;
	struct req q = { .type = DHCP_REQUEST, .server_id = 0x0a0000feu };
	uint8_t mac[6];

	mac_n(mac, 5);
	memcpy(q.mac, mac, 6);
	q.requested = discover(f, mac);
	assert_int_equal(send_req(f, &q), DHCP_OUTCOME_IGNORE);
	assert_null(lease_store_find_ip(f->store, q.requested));
}

static void test_renewing_and_rebinding(void **state)
{
	struct fixture *f = *state;
	struct req q = { .type = DHCP_REQUEST };
	uint32_t ip;

	mac_n(q.mac, 6);
	ip = dora(f, q.mac, "r1");
	advance(f, LEASE_S * 500ull);
	/* RENEWING: unicast to us, ciaddr set; the answer goes to ciaddr. */
	q.ciaddr = ip;
	q.dst_ip = GW;
	assert_int_equal(send_req(f, &q), DHCP_OUTCOME_ACK);
	assert_int_equal(f->reply.dest, DHCP_DEST_CLIENT);
	assert_int_equal(f->reply.dst_ip, ip);
	assert_int_equal(f->got.hdr.ciaddr, ip);
	assert_int_equal(f->got.hdr.yiaddr, ip);
	assert_int_equal(last_event(f, DHCP_EV_ACK_RENEW)->ip, ip);
	assert_int_equal(lease_store_find_ip(f->store, ip)->expires_boot_ms,
			 f->now + LEASE_S * 1000ull);
	/* The name stays when a renewal does not repeat it. */
	assert_string_equal(lease_store_find_ip(f->store, ip)->hostname, "r1");
	/* REBINDING: broadcast. */
	q.dst_ip = 0;
	assert_int_equal(send_req(f, &q), DHCP_OUTCOME_ACK);
	assert_int_equal(f->reply.dst_ip, ip);
}

static void test_init_reboot(void **state)
{
	struct fixture *f = *state;
	struct req q = { .type = DHCP_REQUEST };
	uint8_t other[6];
	uint32_t ip, ip2;

	mac_n(q.mac, 7);
	mac_n(other, 8);
	ip = dora(f, q.mac, NULL);
	/* Its own address: ACK. */
	q.requested = ip;
	assert_int_equal(send_req(f, &q), DHCP_OUTCOME_ACK);
	/* A foreign network: NAK, broadcast (4.3.2, 4.1). */
	q.requested = FOREIGN;
	assert_int_equal(send_req(f, &q), DHCP_OUTCOME_NAK);
	assert_int_equal(f->got.type, DHCP_NAK);
	assert_int_equal(f->reply.dest, DHCP_DEST_BROADCAST);
	assert_int_equal(f->reply.dst_ip, UINT32_MAX);
	assert_int_equal(f->got.hdr.yiaddr, 0);
	assert_int_equal(last_event(f, DHCP_EV_NAK)->ip, FOREIGN);
	/* Another address of our subnet while its lease says ip: NAK. */
	q.requested = ip == POOL_FIRST ? POOL_FIRST + 1 : POOL_FIRST;
	assert_int_equal(send_req(f, &q), DHCP_OUTCOME_NAK);
	/* Someone else's live lease: NAK. */
	ip2 = dora(f, other, NULL);
	memcpy(q.mac, (uint8_t[]){ 0x52, 0x54, 0, 0xbb, 0, 1 }, 6);
	q.requested = ip2;
	assert_int_equal(send_req(f, &q), DHCP_OUTCOME_NAK);
	/* An unknown client on a free address of the pool: authoritative ACK. */
	q.requested = POOL_LAST;
	assert_int_equal(send_req(f, &q), DHCP_OUTCOME_ACK);
	assert_non_null(lease_store_find_ip(f->store, POOL_LAST));
	/* Our own address is nobody's. */
	q.requested = GW;
	assert_int_equal(send_req(f, &q), DHCP_OUTCOME_NAK);
}

static void test_relay_destinations(void **state)
{
	struct fixture *f = *state;
	struct req q = { .type = DHCP_DISCOVER, .giaddr = FOREIGN };

	mac_n(q.mac, 9);
	assert_int_equal(send_req(f, &q), DHCP_OUTCOME_OFFER);
	assert_int_equal(f->reply.dest, DHCP_DEST_RELAY);
	assert_int_equal(f->reply.dst_ip, FOREIGN);
	assert_int_equal(f->reply.dst_port, DHCP_SERVER_PORT);
	assert_int_equal(f->got.hdr.giaddr, FOREIGN);
	/* A NAK through a relay: to the relay, broadcast bit set (4.3.2). */
	q.type = DHCP_REQUEST;
	q.requested = FOREIGN;
	assert_int_equal(send_req(f, &q), DHCP_OUTCOME_NAK);
	assert_int_equal(f->reply.dest, DHCP_DEST_RELAY);
	assert_true(f->got.hdr.flags & DHCP_FLAG_BROADCAST);
}

static void test_broadcast_flag(void **state)
{
	struct fixture *f = *state;
	struct req q = { .type = DHCP_DISCOVER, .flags = DHCP_FLAG_BROADCAST };

	mac_n(q.mac, 10);
	assert_int_equal(send_req(f, &q), DHCP_OUTCOME_OFFER);
	assert_int_equal(f->reply.dest, DHCP_DEST_BROADCAST);
	assert_int_equal(f->reply.dst_ip, UINT32_MAX);
	assert_int_equal(f->udp.dst_ip, UINT32_MAX);
}

static void test_sticky_after_expiry_and_restart(void **state)
{
	struct fixture *f = *state;
	static const uint8_t boot[LEASE_BOOT_ID_LEN] = { 1 };
	struct lease_load_info info;
	struct lease_store *s2;
	struct dhcp_server *srv2;
	uint8_t *img;
	size_t len;
	uint8_t a[6], b[6];
	uint32_t ip;

	mac_n(a, 11);
	mac_n(b, 12);
	ip = dora(f, a, NULL);
	advance(f, LEASE_S * 1000ull + 1);
	assert_int_equal(last_event(f, DHCP_EV_EXPIRE)->ip, ip);
	/* Another client does not get the expired address while the pool
	 * has fresh ones; the owner gets it back. */
	assert_int_not_equal(dora(f, b, NULL), ip);
	assert_int_equal(dora(f, a, NULL), ip);

	/* A restart: the store's image, loaded again, same address. */
	assert_int_equal(lease_store_snapshot(f->store, &img, &len), 0);
	assert_int_equal(lease_store_new(&s2, boot), 0);
	assert_int_equal(lease_store_load(s2, img, len, f->now, WALL0, &info), 0);
	free(img);
	assert_int_equal(dhcp_server_new(&srv2, s2, &f->cfg, &test_ops, f), 0);
	dhcp_server_free(f->srv);
	lease_store_close(f->store);
	f->srv = srv2;
	f->store = s2;
	assert_int_equal(discover(f, a), ip);
	/* INIT-REBOOT after the restart: ACK. */
	{
		struct req q = { .type = DHCP_REQUEST, .requested = ip };

		memcpy(q.mac, a, 6);
		assert_int_equal(send_req(f, &q), DHCP_OUTCOME_ACK);
	}
}

static void test_config_reservation(void **state)
{
	struct fixture *f = *state;
	const struct lease *l;
	uint8_t other[6];

	assert_int_equal(discover(f, F->res[0].mac), RES_IP);
	assert_int_equal(select_ip(f, f->res[0].mac, RES_IP, "whatever"), DHCP_OUTCOME_ACK);
	l = lease_store_find_ip(f->store, RES_IP);
	assert_non_null(l);
	assert_true(l->flags & LEASE_F_STATIC);
	/* The reservation's name wins over the client's. */
	assert_string_equal(l->hostname, "buildbox");
	assert_true(last_event(f, DHCP_EV_ACK_NEW)->static_lease);
	/* Nobody else gets it, even asking. */
	mac_n(other, 13);
	{
		struct req q = { .type = DHCP_REQUEST, .requested = RES_IP };

		memcpy(q.mac, other, 6);
		assert_int_equal(send_req(f, &q), DHCP_OUTCOME_NAK);
	}
	/* The reserved client asking for another address gets a NAK. */
	assert_int_equal(select_ip(f, f->res[0].mac, POOL_FIRST, NULL), DHCP_OUTCOME_NAK);
}

static void test_store_reservation(void **state)
{
	struct fixture *f = *state;
	char err[128];
	uint8_t a[6], b[6];
	uint32_t ip;

	mac_n(a, 14);
	mac_n(b, 15);
	ip = dora(f, a, NULL);
	/* Leased live to a: b may not reserve it. */
	assert_int_equal(dhcp_server_reserve(f->srv, b, ip, "bee", f->now, err, sizeof(err)),
			 -EBUSY);
	/* Reserved in the configuration. */
	assert_int_equal(dhcp_server_reserve(f->srv, b, RES_IP, NULL, f->now, err, sizeof(err)),
			 -EEXIST);
	assert_int_equal(dhcp_server_reserve(f->srv, b, GW, NULL, f->now, err, sizeof(err)),
			 -EINVAL);
	assert_int_equal(dhcp_server_reserve(f->srv, b, FOREIGN, NULL, f->now, err, sizeof(err)),
			 -EINVAL);
	assert_int_equal(dhcp_server_reserve(f->srv, b, 0x0a000040u, "a..b", f->now, err,
					     sizeof(err)), -EINVAL);
	assert_int_equal(dhcp_server_reserve(f->srv, b, 0x0a000040u, "buildbox", f->now, err,
					     sizeof(err)), -EEXIST);
	assert_int_equal(dhcp_server_reserve(f->srv, b, 0x0a000040u, "Bee", f->now, err,
					     sizeof(err)), 0);
	assert_int_equal(dora(f, b, NULL), 0x0a000040u);
	assert_string_equal(lease_store_find_ip(f->store, 0x0a000040u)->hostname, "bee");
	/* a reserves its own address; then it is never offered to b. */
	assert_int_equal(dhcp_server_reserve(f->srv, a, ip, NULL, f->now, err, sizeof(err)), 0);
	assert_true(lease_store_find_ip(f->store, ip) != NULL);
}

static void test_reservation_moves_client(void **state)
{
	struct fixture *f = *state;
	struct req q = { .type = DHCP_REQUEST };
	char err[128];
	uint32_t ip;

	mac_n(q.mac, 16);
	ip = dora(f, q.mac, NULL);
	assert_int_equal(dhcp_server_reserve(f->srv, q.mac, 0x0a000041u, NULL, f->now, err,
					     sizeof(err)), 0);
	/* Its renewal of the old address is refused; it comes back to the
	 * reserved one. */
	q.ciaddr = ip;
	q.dst_ip = GW;
	assert_int_equal(send_req(f, &q), DHCP_OUTCOME_NAK);
	assert_int_equal(dora(f, q.mac, NULL), 0x0a000041u);
}

static void test_exhaustion_never_steals(void **state)
{
	struct fixture *f = *state;
	uint32_t held[10];
	uint8_t mac[6];
	unsigned i;

	for (i = 0; i < 10; i++) {
		mac_n(mac, 100 + i);
		held[i] = dora(f, mac, NULL);
	}
	/* A flood of new MACs: nothing to give, nothing taken. */
	for (i = 0; i < 50; i++) {
		struct req q = { .type = DHCP_DISCOVER };

		mac_n(q.mac, 1000 + i);
		assert_int_equal(send_req(f, &q), DHCP_OUTCOME_IGNORE);
	}
	for (i = 0; i < 10; i++) {
		mac_n(mac, 100 + i);
		assert_memory_equal(lease_store_find_ip(f->store, held[i])->mac, mac, 6);
	}
	/* Reported once per interval, with the count. */
	assert_int_equal(count_events(f, DHCP_EV_POOL_EXHAUSTED), 1);
	/* Once a lease has expired, the least recently used goes. */
	advance(f, LEASE_S * 1000ull + 1);
	mac_n(mac, 2000);
	assert_int_equal(dora(f, mac, NULL), held[0]);
	advance(f, DHCP_LIMIT_LOG_MS);
	{
		struct req q = { .type = DHCP_DISCOVER };

		/* Renewed leases are live again: still no stealing. */
		for (i = 1; i < 10; i++) {
			struct req r = { .type = DHCP_REQUEST, .requested = held[i] };

			mac_n(r.mac, 100 + i);
			assert_int_equal(send_req(f, &r), DHCP_OUTCOME_ACK);
		}
		mac_n(q.mac, 3000);
		assert_int_equal(send_req(f, &q), DHCP_OUTCOME_IGNORE);
		assert_int_equal(count_events(f, DHCP_EV_POOL_EXHAUSTED), 2);
	}
}

/* Issue 8's starvation: DISCOVERs from new MACs that never REQUEST hold
 * every address of the pool in offers. A new client waits while they are
 * young (a client may be in the middle of its exchange), then takes the
 * oldest offer's address; leases are never taken. */
static void test_offers_do_not_starve(void **state)
{
	struct fixture *f = *state;
	uint32_t held, got;
	uint8_t mac[6], other[6];
	unsigned i;

	mac_n(mac, 50);
	held = dora(f, mac, NULL);
	for (i = 0; i < 9; i++) {
		struct req q = { .type = DHCP_DISCOVER };

		mac_n(q.mac, 700 + i);
		assert_int_equal(send_req(f, &q), DHCP_OUTCOME_OFFER);
	}
	{
		struct req q = { .type = DHCP_DISCOVER };

		mac_n(q.mac, 800);
		assert_int_equal(send_req(f, &q), DHCP_OUTCOME_IGNORE);
	}
	advance(f, DHCP_OFFER_KEEP_MS);
	mac_n(other, 801);
	got = dora(f, other, NULL);
	assert_int_not_equal(got, held);
	assert_memory_equal(lease_store_find_ip(f->store, held)->mac, mac, 6);
	/* The client whose offer went is refused it, and gets another. */
	mac_n(mac, 700);
	assert_int_equal(select_ip(f, mac, got, NULL), DHCP_OUTCOME_NAK);
}

static void test_reserved_in_pool_not_offered(void **state)
{
	struct fixture *f = *state;
	char err[128];
	uint8_t owner[6], mac[6];
	unsigned i;

	mac_n(owner, 20);
	assert_int_equal(dhcp_server_reserve(f->srv, owner, POOL_FIRST, NULL, f->now, err,
					     sizeof(err)), 0);
	for (i = 0; i < 9; i++) {
		mac_n(mac, 200 + i);
		assert_int_not_equal(dora(f, mac, NULL), POOL_FIRST);
	}
	assert_int_equal(dora(f, owner, NULL), POOL_FIRST);
}

static void test_decline_quarantine(void **state)
{
	struct fixture *f = *state;
	struct req q = { .type = DHCP_DECLINE, .server_id = GW };
	uint8_t other[6], mac[6];
	uint32_t ip;
	unsigned i;

	mac_n(q.mac, 21);
	mac_n(other, 22);
	ip = dora(f, q.mac, NULL);
	/* Someone else cannot decline it. */
	{
		struct req d = q;

		memcpy(d.mac, other, 6);
		d.requested = ip;
		assert_int_equal(send_req(f, &d), DHCP_OUTCOME_IGNORE);
		assert_non_null(lease_store_find_ip(f->store, ip));
	}
	q.requested = ip;
	assert_int_equal(send_req(f, &q), DHCP_OUTCOME_DECLINED);
	assert_null(lease_store_find_ip(f->store, ip));
	assert_true(lease_store_quarantined(f->store, ip, f->now));
	assert_int_equal(last_event(f, DHCP_EV_DECLINE)->ip, ip);
	/* Nobody gets it, the decliner neither. */
	assert_int_not_equal(dora(f, q.mac, NULL), ip);
	for (i = 0; i < 8; i++) {
		mac_n(mac, 300 + i);
		assert_int_not_equal(dora(f, mac, NULL), ip);
	}
}

static void test_release_keeps_address_sticky(void **state)
{
	struct fixture *f = *state;
	struct req q = { .type = DHCP_RELEASE, .server_id = GW };
	uint8_t other[6];
	const struct lease *l;
	uint32_t ip;

	mac_n(q.mac, 23);
	mac_n(other, 24);
	ip = dora(f, q.mac, "rel");
	/* A release of someone else's address is ignored. */
	{
		struct req r = q;

		memcpy(r.mac, other, 6);
		r.ciaddr = ip;
		assert_int_equal(send_req(f, &r), DHCP_OUTCOME_IGNORE);
	}
	q.ciaddr = ip;
	assert_int_equal(send_req(f, &q), DHCP_OUTCOME_RELEASED);
	l = lease_store_find_ip(f->store, ip);
	assert_non_null(l);
	assert_true(l->flags & LEASE_F_RELEASED);
	assert_string_equal(last_event(f, DHCP_EV_RELEASE)->hostname, "rel");
	assert_int_equal(dora(f, q.mac, NULL), ip);
}

static void test_inform(void **state)
{
	struct fixture *f = *state;
	struct req q = { .type = DHCP_INFORM, .ciaddr = 0x0a000063u, .dst_ip = GW };

	mac_n(q.mac, 25);
	assert_int_equal(send_req(f, &q), DHCP_OUTCOME_INFORM);
	assert_int_equal(f->got.type, DHCP_ACK);
	assert_int_equal(f->got.hdr.yiaddr, 0);
	assert_int_equal(f->reply.dest, DHCP_DEST_CLIENT);
	assert_int_equal(f->reply.dst_ip, 0x0a000063u);
	assert_false(has_opt(f, DHCP_OPT_LEASE_TIME));
	assert_int_equal(opt_u32(f, DHCP_OPT_ROUTER), GW);
	assert_null(lease_store_find_ip(f->store, 0x0a000063u));
	q.ciaddr = FOREIGN;
	assert_int_equal(send_req(f, &q), DHCP_OUTCOME_IGNORE);
}

static void test_probe_finds_static_host(void **state)
{
	struct fixture *f = *state;
	struct req q = { .type = DHCP_DISCOVER };
	static const uint8_t static_mac[6] = { 0x52, 0x54, 0, 0x5e, 0x5e, 0x5e };
	struct dhcp_msg m;
	uint32_t probed;

	mac_n(q.mac, 26);
	build_req(&q, &m);
	assert_int_equal(send_msg(f, &m, 0, 0), DHCP_OUTCOME_DEFER);
	/* Its own address, and one ahead for the clients to come. */
	assert_int_equal(f->n_probes, 2);
	probed = f->probes[0];
	/* A guest with a static address answers. */
	dhcp_server_arp(f->srv, probed, static_mac, f->now + 1);
	assert_int_equal(last_event(f, DHCP_EV_ADDR_IN_USE)->ip, probed);
	advance(f, DHCP_PROBE_WAIT_MS);
	assert_int_equal(send_req(f, &q), DHCP_OUTCOME_OFFER);
	assert_int_not_equal(f->got.hdr.yiaddr, probed);
	/* Asking for it does not help. */
	{
		struct req r = { .type = DHCP_REQUEST, .requested = probed };

		memcpy(r.mac, q.mac, 6);
		assert_int_equal(send_req(f, &r), DHCP_OUTCOME_NAK);
	}
}

/* A DISCOVER from client n, answered at once (no probe to wait for). */
static void discover_now(struct fixture *f, unsigned n)
{
	struct req q = { .type = DHCP_DISCOVER };
	struct dhcp_msg m;

	mac_n(q.mac, n);
	build_req(&q, &m);
	assert_int_equal(send_msg(f, &m, 0, 0), DHCP_OUTCOME_OFFER);
}

/* After settle_s idle seconds, ten more send no ARP probe. */
static void assert_quiet_when_idle(struct fixture *f, unsigned settle_s)
{
	size_t before;
	unsigned i;

	for (i = 0; i < settle_s; i++)
		advance(f, 1000);
	before = f->n_probes;
	for (i = 0; i < 10; i++)
		advance(f, 1000);
	assert_int_equal(f->n_probes, before);
}

/* A pool of 231 addresses (.10 - .240): a start-up reserve of 115. */
static void wide_pool(struct fixture *f)
{
	f->cfg.pool_last = 0x0a0000f0u;
	assert_int_equal(dhcp_server_configure(f->srv, &f->cfg), 0);
}

static void test_passive_arp_and_prefill(void **state)
{
	struct fixture *f = *state;
	static const uint8_t static_mac[6] = { 0x52, 0x54, 0, 0x5e, 0x5e, 0x5f };
	uint8_t mac[6];
	unsigned i;

	wide_pool(f);
	/* The start-up reserve grows stale first: the prefill below is the
	 * demand's. */
	advance(f, DHCP_PROBE_WAIT_MS + DHCP_PROBE_TTL_MS);
	/* An ARP from a host on an address nobody leased. */
	dhcp_server_arp(f->srv, POOL_FIRST + 3, static_mac, f->now);
	assert_int_equal(last_event(f, DHCP_EV_ADDR_IN_USE)->ip, POOL_FIRST + 3);
	for (i = 0; i < 5; i++) {
		mac_n(mac, 400 + i);
		assert_int_not_equal(dora(f, mac, NULL), POOL_FIRST + 3);
	}
	/* After that demand, probes run ahead of the next clients. */
	advance(f, 20);
	advance(f, DHCP_PROBE_WAIT_MS);
	assert_true(dhcp_server_probed(f->srv) > 0);
	/* Taken from the probed set: no wait. */
	discover_now(f, 500);
	/* Idle for long: the demand and the probed set fade, no ARP. */
	assert_quiet_when_idle(f, 40);
}

static void test_probe_reserve(void **state)
{
	struct fixture *f = *state;
	size_t before;
	unsigned i;

	wide_pool(f);
	/* A new pool: half of its 231 addresses probed at once, unasked. */
	advance(f, 0);
	advance_due(f);
	assert_int_equal(f->n_probes, 115);
	advance(f, DHCP_PROBE_WAIT_MS);
	/* The first guests need not wait for a probe. */
	for (i = 0; i < 3; i++)
		discover_now(f, 700 + i);
	/* Once stale, the reserve is not probed again on an idle bridge. */
	assert_quiet_when_idle(f, 20);
	before = f->n_probes;
	/* The same pool again (a reload): no new reserve. */
	assert_int_equal(dhcp_server_configure(f->srv, &f->cfg), 0);
	advance(f, 20);
	assert_int_equal(f->n_probes, before);
}

/* The head of the start-up reserve waits the quick wait; an answer
 * within it keeps its address from every client, and the rest of the
 * reserve still waits the whole probe wait. */
static void test_probe_quick_start(void **state)
{
	struct fixture *f = *state;
	static const uint8_t squatter[6] = { 0x52, 0x54, 0, 0x5e, 0x5e, 0x60 };
	struct req q = { .type = DHCP_DISCOVER };
	struct dhcp_msg m;
	uint32_t taken;
	unsigned i;

	wide_pool(f);
	advance(f, 0);
	advance_due(f);
	assert_int_equal(f->n_probes, 115);
	taken = f->probes[0];
	dhcp_server_arp(f->srv, taken, squatter, f->now + 1);
	assert_int_equal(last_event(f, DHCP_EV_ADDR_IN_USE)->ip, taken);
	advance(f, DHCP_PROBE_QUICK_WAIT_MS - 1);
	assert_int_equal(dhcp_server_probed(f->srv), 0);
	advance(f, 1);
	assert_int_equal(dhcp_server_probed(f->srv), DHCP_PROBE_QUICK - 1);
	for (i = 0; i < DHCP_PROBE_QUICK - 1; i++) {
		discover_now(f, 800 + i);
		assert_int_not_equal(f->got.hdr.yiaddr, taken);
	}
	/* The next waits for a probe of the whole wait. */
	mac_n(q.mac, 900);
	build_req(&q, &m);
	assert_int_equal(send_msg(f, &m, 0, 0), DHCP_OUTCOME_DEFER);
	advance(f, DHCP_PROBE_WAIT_MS - DHCP_PROBE_QUICK_WAIT_MS - 1);
	assert_int_equal(send_msg(f, &m, 0, 0), DHCP_OUTCOME_DEFER);
	advance(f, 1);
	assert_int_equal(send_msg(f, &m, 0, 0), DHCP_OUTCOME_OFFER);
	assert_int_not_equal(f->got.hdr.yiaddr, taken);
}

/* A big pool's reserve goes out a batch per tick, the next tick due at
 * once, so no one turn of the loop sends thousands of ARP frames. */
static void test_probe_reserve_in_batches(void **state)
{
	struct fixture *f = *state;

	f->cfg.prefix_len = 16;
	f->cfg.pool_last = NET + 0xfffe;
	assert_int_equal(dhcp_server_configure(f->srv, &f->cfg), 0);
	advance(f, 0);
	assert_true(f->all_probes >= DHCP_PROBE_QUICK && f->all_probes < DHCP_PROBE_RESERVE);
	assert_true(advance_due(f) > 2);
	assert_int_equal(f->all_probes, DHCP_PROBE_RESERVE);
	/* Done: nothing more on an idle bridge. */
	assert_true(dhcp_server_deadline(f->srv) > f->now);
	advance(f, 1);
	assert_int_equal(f->all_probes, DHCP_PROBE_RESERVE);
}

/* An answer after the wait, once the address is offered: the client's
 * REQUEST for it is NAKed and it is offered another; the host that
 * answered is not disturbed. */
static void test_late_arp_after_offer(void **state)
{
	struct fixture *f = *state;
	static const uint8_t late[6] = { 0x52, 0x54, 0, 0x5e, 0x5e, 0x61 };
	uint8_t mac[6];
	uint32_t offered;

	wide_pool(f);
	advance(f, 0);
	advance(f, DHCP_PROBE_QUICK_WAIT_MS);
	mac_n(mac, 950);
	offered = discover(f, mac);
	dhcp_server_arp(f->srv, offered, late, f->now + 1);
	assert_int_equal(last_event(f, DHCP_EV_ADDR_IN_USE)->ip, offered);
	assert_int_equal(select_ip(f, mac, offered, NULL), DHCP_OUTCOME_NAK);
	assert_int_not_equal(dora(f, mac, NULL), offered);
	assert_null(lease_store_find_ip(f->store, offered));
}

struct name_case {
	const char *name;
	size_t len;
	const char *want;   /* NULL: refused */
};

static void test_hostname_rules(void **state)
{
	struct fixture *f = *state;
	char long_label[65], long_name[300];
	const struct name_case cases[] = {
		{ "Guest-7", 0, "guest-7" },
		{ "web.example.com", 0, "web" },
		{ "trailing.", 0, "trailing" },
		{ "localhost", 0, NULL },
		{ "LocalHost", 0, NULL },
		{ "wpad", 0, NULL },
		{ "myhost", 0, NULL },
		{ "MyHost.lan", 0, NULL },
		{ "a..b", 0, NULL },
		{ "-lead", 0, NULL },
		{ "trail-", 0, NULL },
		{ "sp ace", 0, NULL },
		{ "under_score", 0, NULL },
		{ long_label, 0, NULL },
		{ "nul\0byte", 8, NULL },
		{ "taken", 0, NULL },
		{ "buildbox", 0, NULL },
		{ long_name, 255, NULL },
	};
	uint8_t mac[6];
	size_t i, refused;
	uint32_t ip;

	memset(long_label, 'a', 64);
	long_label[64] = '\0';
	memset(long_name, 'b', sizeof(long_name) - 1);
	long_name[sizeof(long_name) - 1] = '\0';
	snprintf(f->held_name, sizeof(f->held_name), "taken");
	f->held_ip = 0x0a000077u;
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct req q = { .type = DHCP_DISCOVER };

		mac_n(mac, 600 + (unsigned)i);
		memcpy(q.mac, mac, 6);
		assert_int_equal(send_req(f, &q), DHCP_OUTCOME_OFFER);
		ip = f->got.hdr.yiaddr;
		refused = count_events(f, DHCP_EV_NAME_REFUSED);
		q.type = DHCP_REQUEST;
		q.requested = ip;
		q.server_id = GW;
		q.hostname = cases[i].name;
		q.hostname_len = cases[i].len;
		/* The lease is granted either way. */
		assert_int_equal(send_req(f, &q), DHCP_OUTCOME_ACK);
		if (cases[i].want) {
			assert_string_equal(lease_store_find_ip(f->store, ip)->hostname,
					    cases[i].want);
			assert_int_equal(count_events(f, DHCP_EV_NAME_REFUSED), refused);
		} else {
			assert_string_equal(lease_store_find_ip(f->store, ip)->hostname, "");
			assert_int_equal(count_events(f, DHCP_EV_NAME_REFUSED), refused + 1);
		}
		/* Release the address for the next case (the pool is small). */
		assert_int_equal(lease_store_forget(f->store, ip), 0);
	}
}

static void test_fqdn_option(void **state)
{
	struct fixture *f = *state;
	struct req q = { .type = DHCP_DISCOVER };
	uint32_t ip;

	mac_n(q.mac, 27);
	ip = discover(f, q.mac);
	q.type = DHCP_REQUEST;
	q.requested = ip;
	q.server_id = GW;
	q.fqdn = "Db1.example.org";
	q.hostname = "ignored";
	assert_int_equal(send_req(f, &q), DHCP_OUTCOME_ACK);
	assert_string_equal(lease_store_find_ip(f->store, ip)->hostname, "db1");
	assert_true(f->got.has_fqdn);
	assert_string_equal(f->got.fqdn.name, "db1.lab.test");
	assert_true(f->got.fqdn.flags & DHCP_FQDN_S);
}

static void test_hostname_label(void **state)
{
	char out[LEASE_HOSTNAME_MAX + 1];

	(void)state;
	assert_int_equal(dhcp_hostname_label("ABC.def", 7, out), 0);
	assert_string_equal(out, "abc");
	assert_int_equal(dhcp_hostname_label("x", 1, out), 0);
	assert_string_equal(out, "x");
	assert_int_equal(dhcp_hostname_label("", 0, out), -EINVAL);
	assert_int_equal(dhcp_hostname_label(".", 1, out), -EINVAL);
	assert_int_equal(dhcp_hostname_label("a.", 2, out), 0);
	assert_int_equal(dhcp_hostname_label("a..", 3, out), -EINVAL);
	assert_int_equal(dhcp_hostname_label(".a", 2, out), -EINVAL);
	assert_int_equal(dhcp_hostname_label("a.-b", 4, out), -EINVAL);
	assert_int_equal(dhcp_hostname_label("é", 2, out), -EINVAL);
}

static void test_rate_limits(void **state)
{
	struct fixture *f = *state;
	uint8_t mac[6];
	unsigned i;
	uint32_t ip;

	f->cfg.rate_limit = 3;
	f->cfg.rate_limit_port = 2;
	f->cfg.pool_first = 0x0a000040u;
	wide_pool(f);
	/* Port 5: two new clients, then the port's limit. */
	for (i = 0; i < 2; i++) {
		struct req q = { .type = DHCP_DISCOVER, .port = 5 };

		mac_n(q.mac, 700 + i);
		assert_int_equal(send_req(f, &q), DHCP_OUTCOME_OFFER);
	}
	{
		struct req q = { .type = DHCP_DISCOVER, .port = 5 };

		mac_n(q.mac, 702);
		assert_int_equal(send_req(f, &q), DHCP_OUTCOME_IGNORE);
		assert_int_equal(send_req(f, &q), DHCP_OUTCOME_IGNORE);
		/* Logged once, not per packet. */
		assert_int_equal(count_events(f, DHCP_EV_RATE_LIMITED), 1);
		/* Port 6 has its own bucket, the global one has one left. */
		q.port = 6;
		assert_int_equal(send_req(f, &q), DHCP_OUTCOME_OFFER);
		mac_n(q.mac, 703);
		assert_int_equal(send_req(f, &q), DHCP_OUTCOME_IGNORE);
		assert_int_equal(count_events(f, DHCP_EV_RATE_LIMITED), 2);
	}
	/* A client already offered is not new: its REQUEST passes. */
	mac_n(mac, 700);
	ip = discover(f, mac);
	assert_int_equal(select_ip(f, mac, ip, NULL), DHCP_OUTCOME_ACK);
	/* Renewals are never limited. */
	for (i = 0; i < 10; i++) {
		struct req q = { .type = DHCP_REQUEST, .ciaddr = ip, .dst_ip = GW, .port = 5 };

		memcpy(q.mac, mac, 6);
		assert_int_equal(send_req(f, &q), DHCP_OUTCOME_ACK);
	}
	/* A second later the buckets are full again. */
	advance(f, 1000);
	{
		struct req q = { .type = DHCP_DISCOVER, .port = 5 };

		mac_n(q.mac, 704);
		assert_int_equal(send_req(f, &q), DHCP_OUTCOME_OFFER);
	}
}

/* DORA on a port; returns the address, 0 when the DISCOVER is ignored. */
static uint32_t dora_port(struct fixture *f, unsigned n, unsigned port)
{
	struct req q = { .type = DHCP_DISCOVER, .port = port };
	uint32_t ip;

	mac_n(q.mac, n);
	if (send_req(f, &q) != DHCP_OUTCOME_OFFER)
		return 0;
	ip = f->got.hdr.yiaddr;
	q = (struct req){ .type = DHCP_REQUEST, .requested = ip, .server_id = GW, .port = port };
	mac_n(q.mac, n);
	assert_int_equal(send_req(f, &q), DHCP_OUTCOME_ACK);
	return ip;
}

/* LeasesPerPort=: a port at its cap gets no new lease; its leases renew,
 * other ports and reservations are not held back. */
static void test_leases_per_port(void **state)
{
	struct fixture *f = *state;
	struct dhcp_server_stats st;
	uint32_t ip[3];
	unsigned i;

	f->cfg.leases_per_port = 3;
	assert_int_equal(dhcp_server_configure(f->srv, &f->cfg), 0);
	for (i = 0; i < 3; i++) {
		ip[i] = dora_port(f, 800 + i, 5);
		assert_int_not_equal(ip[i], 0);
	}
	assert_int_equal(dora_port(f, 803, 5), 0);
	assert_int_equal(dora_port(f, 804, 5), 0);
	/* Logged once, counted each time. */
	assert_int_equal(count_events(f, DHCP_EV_PORT_FULL), 1);
	dhcp_server_stats(f->srv, &st);
	assert_int_equal(st.port_full, 2);
	/* A REQUEST for a free address straight away is no way round. */
	{
		struct req q = { .type = DHCP_REQUEST, .requested = POOL_LAST, .port = 5 };

		mac_n(q.mac, 805);
		assert_int_equal(send_req(f, &q), DHCP_OUTCOME_IGNORE);
		dhcp_server_stats(f->srv, &st);
		assert_int_equal(st.port_full, 3);
	}
	/* Another port is not held back, nor a reservation on this one. */
	assert_int_not_equal(dora_port(f, 806, 6), 0);
	{
		struct req q = { .type = DHCP_DISCOVER, .port = 5 };

		memcpy(q.mac, f->res[0].mac, 6);
		assert_int_equal(send_req(f, &q), DHCP_OUTCOME_OFFER);
		q = (struct req){ .type = DHCP_REQUEST, .requested = RES_IP, .server_id = GW,
				  .port = 5 };
		memcpy(q.mac, f->res[0].mac, 6);
		assert_int_equal(send_req(f, &q), DHCP_OUTCOME_ACK);
	}
	/* Renewals go on. */
	for (i = 0; i < 3; i++) {
		struct req q = { .type = DHCP_REQUEST, .ciaddr = ip[i], .dst_ip = GW, .port = 5 };

		mac_n(q.mac, 800 + i);
		assert_int_equal(send_req(f, &q), DHCP_OUTCOME_ACK);
	}
	/* A release makes room. */
	{
		struct req q = { .type = DHCP_RELEASE, .ciaddr = ip[0], .server_id = GW, .port = 5 };

		mac_n(q.mac, 800);
		assert_int_equal(send_req(f, &q), DHCP_OUTCOME_RELEASED);
	}
	assert_int_not_equal(dora_port(f, 807, 5), 0);
	assert_int_equal(dora_port(f, 808, 5), 0);
}

static void test_ignored_messages(void **state)
{
	struct fixture *f = *state;
	struct req q = { .type = DHCP_DISCOVER };
	struct dhcp_msg m;

	mac_n(q.mac, 28);
	build_req(&q, &m);
	m.type = 0;   /* BOOTP */
	assert_int_equal(send_msg(f, &m, 0, 0), DHCP_OUTCOME_IGNORE);
	build_req(&q, &m);
	m.hdr.op = DHCP_OP_BOOTREPLY;
	assert_int_equal(send_msg(f, &m, 0, 0), DHCP_OUTCOME_IGNORE);
	build_req(&q, &m);
	m.hdr.hlen = 16;
	assert_int_equal(send_msg(f, &m, 0, 0), DHCP_OUTCOME_IGNORE);
	build_req(&q, &m);
	m.hdr.chaddr[0] = 0x01;   /* multicast */
	assert_int_equal(send_msg(f, &m, 0, 0), DHCP_OUTCOME_IGNORE);
	build_req(&q, &m);
	m.type = DHCP_OFFER;
	assert_int_equal(send_msg(f, &m, 0, 0), DHCP_OUTCOME_IGNORE);
	/* A REQUEST with no address at all. */
	q.type = DHCP_REQUEST;
	assert_int_equal(send_req(f, &q), DHCP_OUTCOME_IGNORE);
	assert_true(count_events(f, DHCP_EV_IGNORED) >= 6);
}

static void test_pool_narrowed(void **state)
{
	struct fixture *f = *state;
	uint8_t mac[6];
	uint32_t ip, ip2;

	mac_n(mac, 29);
	ip = dora(f, mac, NULL);
	f->cfg.pool_first = ip + 1 <= POOL_LAST ? ip + 1 : POOL_FIRST;
	f->cfg.pool_last = f->cfg.pool_first;
	assert_int_equal(dhcp_server_configure(f->srv, &f->cfg), 0);
	/* Outside the new pool: not sticky any more. */
	ip2 = dora(f, mac, NULL);
	assert_int_equal(ip2, f->cfg.pool_first);
	assert_int_not_equal(ip2, ip);
	/* A bad configuration keeps the old one. */
	f->cfg.pool_first = FOREIGN;
	assert_int_equal(dhcp_server_configure(f->srv, &f->cfg), -EINVAL);
	f->cfg.pool_first = 0x0a000011u;
	f->cfg.pool_last = 0x0a000010u;
	assert_int_equal(dhcp_server_configure(f->srv, &f->cfg), -EINVAL);
}

static void test_pool_auto_skips_gateway(void **state)
{
	struct fixture *f = *state;
	uint8_t mac[6];
	unsigned i;
	uint32_t ip;

	f->cfg.pool_auto = true;
	f->cfg.prefix_len = 29;   /* .1 is the gateway, .2 - .6 the pool */
	f->cfg.n_reservations = 0;
	assert_int_equal(dhcp_server_configure(f->srv, &f->cfg), 0);
	for (i = 0; i < 5; i++) {
		mac_n(mac, 800 + i);
		ip = dora(f, mac, NULL);
		assert_true(ip >= NET + 2 && ip <= NET + 6);
	}
	mac_n(mac, 900);
	{
		struct req q = { .type = DHCP_DISCOVER };

		memcpy(q.mac, mac, 6);
		assert_int_equal(send_req(f, &q), DHCP_OUTCOME_IGNORE);
	}
}

static void test_client_id_key(void **state)
{
	struct fixture *f = *state;
	uint8_t buf[512];
	struct dhcp_builder b;
	struct dhcp_header h;
	struct dhcp_msg m;
	static const uint8_t cid[] = { 0xff, 1, 2, 3, 4, 5, 6, 7, 8 };
	uint8_t mac[6];
	size_t len;
	uint32_t ip;

	mac_n(mac, 30);
	dhcp_header_request(&h, 7, mac);
	assert_int_equal(dhcp_build_init(&b, buf, sizeof(buf), &h, DHCP_DISCOVER), 0);
	assert_int_equal(dhcp_build_option(&b, DHCP_OPT_CLIENT_ID, cid, sizeof(cid)), 0);
	assert_int_equal(dhcp_build_finish(&b, &len), 0);
	assert_int_equal(dhcp_parse(buf, len, &m), 0);
	assert_int_equal(send_msg(f, &m, 0, 0), DHCP_OUTCOME_DEFER);
	advance(f, DHCP_PROBE_WAIT_MS);
	assert_int_equal(send_msg(f, &m, 0, 0), DHCP_OUTCOME_OFFER);
	ip = f->got.hdr.yiaddr;
	m.type = DHCP_REQUEST;
	m.has_requested_ip = true;
	m.requested_ip = ip;
	assert_int_equal(send_msg(f, &m, 0, 0), DHCP_OUTCOME_ACK);
	assert_int_equal(lease_store_find_ip(f->store, ip)->client_id_len, sizeof(cid));
	assert_non_null(lease_store_find_client(f->store, NULL, cid, sizeof(cid)));
}

/* ------------------------------------------------------- guest guards */

#define VICTIM_PORT 3
#define ATTACKER_PORT 4

/* The victim's lease, named vm1, taken on VICTIM_PORT. */
static uint32_t victim_lease(struct fixture *f, const uint8_t mac[6])
{
	struct req q = { .type = DHCP_DISCOVER, .port = VICTIM_PORT };

	memcpy(q.mac, mac, 6);
	assert_int_equal(send_req(f, &q), DHCP_OUTCOME_OFFER);
	q = (struct req){ .type = DHCP_REQUEST, .requested = f->got.hdr.yiaddr,
			  .server_id = GW, .hostname = "vm1", .port = VICTIM_PORT };
	memcpy(q.mac, mac, 6);
	assert_int_equal(send_req(f, &q), DHCP_OUTCOME_ACK);
	assert_int_equal(lease_store_find_ip(f->store, q.requested)->port, VICTIM_PORT);
	return q.requested;
}

static void assert_victim_intact(struct fixture *f, uint32_t ip, const uint8_t mac[6])
{
	const struct lease *l = lease_store_find_ip(f->store, ip);

	assert_non_null(l);
	assert_true(lease_is_live(l, f->now));
	assert_memory_equal(l->mac, mac, 6);
	assert_string_equal(l->hostname, "vm1");
	assert_int_equal(l->port, VICTIM_PORT);
}

/* Each forged message about the victim's lease, from another port. */
static void test_port_identity_attacks(void **state)
{
	struct fixture *f = *state;
	uint8_t victim[6], attacker[6];
	const struct ev_copy *ev;
	uint32_t ip;

	mac_n(victim, 900);
	mac_n(attacker, 901);
	ip = victim_lease(f, victim);
	const struct req forged[] = {
		{ .type = DHCP_REQUEST, .ciaddr = ip, .dst_ip = GW, .hostname = "pwned" },
		{ .type = DHCP_REQUEST, .requested = ip, .hostname = "pwned" },
		{ .type = DHCP_RELEASE, .ciaddr = ip, .server_id = GW, .dst_ip = GW },
		{ .type = DHCP_DECLINE, .requested = ip, .server_id = GW },
		{ .type = DHCP_INFORM, .ciaddr = ip, .dst_ip = GW },
		{ .type = DHCP_DISCOVER },
	};
	for (size_t i = 0; i < sizeof(forged) / sizeof(forged[0]); i++) {
		struct req q = forged[i];

		q.port = ATTACKER_PORT;
		memcpy(q.mac, victim, 6);
		assert_int_equal(send_req(f, &q), DHCP_OUTCOME_IGNORE);
		assert_victim_intact(f, ip, victim);
		/* By ciaddr, with the attacker's own MAC. */
		if (!q.ciaddr)
			continue;
		memcpy(q.mac, attacker, 6);
		assert_int_equal(send_req(f, &q), DHCP_OUTCOME_IGNORE);
		assert_victim_intact(f, ip, victim);
	}
	/* Logged once per interval, naming both ports. */
	assert_int_equal(count_events(f, DHCP_EV_WRONG_PORT), 1);
	ev = last_event(f, DHCP_EV_WRONG_PORT);
	assert_int_equal(ev->port, ATTACKER_PORT);
	assert_int_equal(ev->lease_port, VICTIM_PORT);
	assert_int_equal(ev->ip, ip);
	/* The name stays the victim's and the victim still renews. */
	{
		struct req q = { .type = DHCP_REQUEST, .ciaddr = ip, .dst_ip = GW,
				 .port = VICTIM_PORT };

		memcpy(q.mac, victim, 6);
		assert_int_equal(send_req(f, &q), DHCP_OUTCOME_ACK);
		assert_victim_intact(f, ip, victim);
	}
	advance(f, DHCP_LIMIT_LOG_MS);
	{
		struct req q = { .type = DHCP_DISCOVER, .port = ATTACKER_PORT };

		memcpy(q.mac, victim, 6);
		assert_int_equal(send_req(f, &q), DHCP_OUTCOME_IGNORE);
		assert_int_equal(count_events(f, DHCP_EV_WRONG_PORT), 2);
		/* The nine forged messages above: one logged, eight held back. */
		assert_int_equal(last_event(f, DHCP_EV_WRONG_PORT)->count, 8);
	}
}

/* A guest that moved gets its lease back at once, bound to its new port. */
static void test_port_moved(void **state)
{
	struct fixture *f = *state;
	struct req q = { .type = DHCP_DISCOVER, .port = ATTACKER_PORT };
	uint8_t mac[6];
	uint32_t ip;

	mac_n(mac, 910);
	ip = victim_lease(f, mac);
	memcpy(q.mac, mac, 6);
	assert_int_equal(send_req(f, &q), DHCP_OUTCOME_IGNORE);
	f->port_down[VICTIM_PORT] = true;
	assert_int_equal(send_req(f, &q), DHCP_OUTCOME_OFFER);
	assert_int_equal(f->got.hdr.yiaddr, ip);
	q = (struct req){ .type = DHCP_REQUEST, .requested = ip, .server_id = GW,
			  .port = ATTACKER_PORT };
	memcpy(q.mac, mac, 6);
	assert_int_equal(send_req(f, &q), DHCP_OUTCOME_ACK);
	assert_int_equal(lease_store_find_ip(f->store, ip)->port, ATTACKER_PORT);
	assert_string_equal(lease_store_find_ip(f->store, ip)->hostname, "vm1");
	/* Now the old port, back up, is the other one. */
	f->port_down[VICTIM_PORT] = false;
	q = (struct req){ .type = DHCP_REQUEST, .ciaddr = ip, .dst_ip = GW, .port = VICTIM_PORT };
	memcpy(q.mac, mac, 6);
	assert_int_equal(send_req(f, &q), DHCP_OUTCOME_IGNORE);
	/* An expired lease binds nothing. */
	advance(f, (uint64_t)LEASE_S * 1000 + 1);
	assert_int_equal(send_req(f, &q), DHCP_OUTCOME_ACK);
}

/* A giaddr inside the subnet is a guest, not a relay: no OFFER to its
 * port 67 (the reflection that hides a sender). */
static void test_relay_guest_giaddr(void **state)
{
	struct fixture *f = *state;
	struct req q = { .type = DHCP_DISCOVER, .giaddr = 0x0a000005u, .port = ATTACKER_PORT };

	mac_n(q.mac, 920);
	assert_int_equal(send_req(f, &q), DHCP_OUTCOME_IGNORE);
	q.type = DHCP_REQUEST;
	q.requested = POOL_FIRST;
	q.server_id = GW;
	assert_int_equal(send_req(f, &q), DHCP_OUTCOME_IGNORE);
	assert_null(lease_store_find_ip(f->store, POOL_FIRST));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_dora, setup, teardown),
		cmocka_unit_test_setup_teardown(test_mtu_and_search_when_asked, setup, teardown),
		cmocka_unit_test_setup_teardown(test_retransmitted_discover_same_offer, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_selecting_other_server, setup, teardown),
		cmocka_unit_test_setup_teardown(test_renewing_and_rebinding, setup, teardown),
		cmocka_unit_test_setup_teardown(test_init_reboot, setup, teardown),
		cmocka_unit_test_setup_teardown(test_relay_destinations, setup, teardown),
		cmocka_unit_test_setup_teardown(test_broadcast_flag, setup, teardown),
		cmocka_unit_test_setup_teardown(test_sticky_after_expiry_and_restart, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_config_reservation, setup, teardown),
		cmocka_unit_test_setup_teardown(test_store_reservation, setup, teardown),
		cmocka_unit_test_setup_teardown(test_reservation_moves_client, setup, teardown),
		cmocka_unit_test_setup_teardown(test_exhaustion_never_steals, setup, teardown),
		cmocka_unit_test_setup_teardown(test_offers_do_not_starve, setup, teardown),
		cmocka_unit_test_setup_teardown(test_reserved_in_pool_not_offered, setup, teardown),
		cmocka_unit_test_setup_teardown(test_decline_quarantine, setup, teardown),
		cmocka_unit_test_setup_teardown(test_release_keeps_address_sticky, setup, teardown),
		cmocka_unit_test_setup_teardown(test_inform, setup, teardown),
		cmocka_unit_test_setup_teardown(test_probe_finds_static_host, setup, teardown),
		cmocka_unit_test_setup_teardown(test_passive_arp_and_prefill, setup, teardown),
		cmocka_unit_test_setup_teardown(test_probe_reserve, setup, teardown),
		cmocka_unit_test_setup_teardown(test_probe_quick_start, setup, teardown),
		cmocka_unit_test_setup_teardown(test_probe_reserve_in_batches, setup, teardown),
		cmocka_unit_test_setup_teardown(test_late_arp_after_offer, setup, teardown),
		cmocka_unit_test_setup_teardown(test_hostname_rules, setup, teardown),
		cmocka_unit_test_setup_teardown(test_fqdn_option, setup, teardown),
		cmocka_unit_test(test_hostname_label),
		cmocka_unit_test_setup_teardown(test_leases_per_port, setup, teardown),
		cmocka_unit_test_setup_teardown(test_rate_limits, setup, teardown),
		cmocka_unit_test_setup_teardown(test_ignored_messages, setup, teardown),
		cmocka_unit_test_setup_teardown(test_pool_narrowed, setup, teardown),
		cmocka_unit_test_setup_teardown(test_pool_auto_skips_gateway, setup, teardown),
		cmocka_unit_test_setup_teardown(test_client_id_key, setup, teardown),
		cmocka_unit_test_setup_teardown(test_port_identity_attacks, setup, teardown),
		cmocka_unit_test_setup_teardown(test_port_moved, setup, teardown),
		cmocka_unit_test_setup_teardown(test_relay_guest_giaddr, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
