/* libFuzzer target for the DHCP server policy: the input is a script of
 * records run against one server over an in-memory lease store:
 *
 *	u8 op | u16 length (big-endian) | length bytes
 *
 * op % 4: 0 a DHCP message (parsed, then handed to the server; op's upper
 * bits choose the bridge port and unicast or broadcast), 1 an ARP packet's
 * sender (4 bytes address, 6 bytes MAC), 2 time passing (the first two
 * bytes, in ms) and a tick, 3 a `reserve` (6 bytes MAC, 1 byte address in
 * the subnet, a name). Broken promises abort: a reply that does not parse
 * back, an ACK whose lease is not in the store for that client, an offered
 * address outside the subnet, a live lease of one client handed to
 * another, a live lease bound to a port that is up changed by a message
 * from another port (port 3 counts as down, the others as up). */
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "dhcp_codec.h"
#include "dhcp_server.h"
#include "lease_store.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define FUZZ_NET 0x0a000000u
#define FUZZ_GW 0x0a000001u

static uint32_t fuzz_name_owner(void *ctx, const char *name)
{
	(void)ctx;
	return strcmp(name, "taken") == 0 ? FUZZ_NET + 99 : 0;
}

#define FUZZ_PORT_DOWN 3

static bool fuzz_port_up(void *ctx, unsigned ifindex)
{
	(void)ctx;
	return ifindex != FUZZ_PORT_DOWN;
}

static const struct dhcp_server_ops fuzz_ops = {
	.name_owner = fuzz_name_owner, .port_up = fuzz_port_up,
};

static const struct dhcp_reservation fuzz_res[] = {
	{ { 0x52, 0x54, 0, 0, 0, 1 }, FUZZ_NET + 50, "res" },
};

static void fuzz_check_reply(struct lease_store *st, const struct dhcp_msg *req,
			     enum dhcp_outcome o, const struct dhcp_reply *r, uint64_t now)
{
	struct dhcp_msg got;
	const struct lease *l;

	if (dhcp_parse(dhcp_reply_payload(r), r->len, &got) < 0 || got.hdr.xid != req->hdr.xid)
		abort();
	if (o == DHCP_OUTCOME_OFFER || o == DHCP_OUTCOME_ACK) {
		if ((got.hdr.yiaddr & 0xffffff00u) != FUZZ_NET || got.hdr.yiaddr == FUZZ_GW)
			abort();
	}
	if (o == DHCP_OUTCOME_ACK) {
		l = lease_store_find_ip(st, got.hdr.yiaddr);
		if (!l || memcmp(l->mac, req->hdr.chaddr, 6) != 0 || l->expires_boot_ms <= now)
			abort();
	}
}

/* Are two leases' holders the same client? RFC 2131 4.2: the client
 * identifier when there is one, else chaddr (the store's key). */
static bool fuzz_same_holder(const struct lease *a, const struct lease *b)
{
	if (a->client_id_len != b->client_id_len)
		return false;
	if (a->client_id_len)
		return memcmp(a->client_id, b->client_id, a->client_id_len) == 0;
	return memcmp(a->mac, b->mac, 6) == 0;
}

/* The message's client, as a lease would name it. */
static void fuzz_sender(const struct dhcp_msg *m, struct lease *who)
{
	memset(who, 0, sizeof(*who));
	memcpy(who->mac, m->hdr.chaddr, 6);
	if (m->client_id.len > 0 && m->client_id.len <= LEASE_CLIENT_ID_MAX) {
		who->client_id_len = (uint8_t)m->client_id.len;
		memcpy(who->client_id, m->client_id.data, m->client_id.len);
	}
}

/* The live lease of another client on the address a message names. */
static bool fuzz_held(struct lease_store *st, const struct dhcp_msg *m, uint32_t ip,
		      uint64_t now, struct lease *held)
{
	const struct lease *l = ip ? lease_store_find_ip(st, ip) : NULL;
	struct lease who;

	fuzz_sender(m, &who);
	if (!l || fuzz_same_holder(l, &who) || !lease_is_live(l, now))
		return false;
	*held = *l;
	return true;
}

/* The sender's live lease, bound to another port that is up. */
static bool fuzz_bound_elsewhere(struct lease_store *st, const struct dhcp_msg *m,
				 const struct dhcp_meta *meta, struct lease *bound)
{
	const struct lease *l;
	struct lease who;

	fuzz_sender(m, &who);
	l = lease_store_find_client(st, who.mac, who.client_id, who.client_id_len);
	if (!l || !l->port || !meta->port || l->port == meta->port ||
	    l->port == FUZZ_PORT_DOWN || !lease_is_live(l, meta->now_ms))
		return false;
	*bound = *l;
	return true;
}

static void fuzz_message(struct dhcp_server *srv, struct lease_store *st, uint8_t op,
			 const uint8_t *p, size_t n, uint64_t now)
{
	static uint8_t frame[DHCP_IPUDP_LEN + DHCP_REPLY_MAX];
	struct dhcp_reply r = { .buf = frame, .size = sizeof(frame) };
	struct dhcp_meta meta = { now, 1700000000 + (int64_t)(now / 1000), (op >> 2) & 3,
				  (op & 0x10) ? FUZZ_GW : UINT32_MAX };
	const struct lease *after;
	struct lease held[2], bound;
	bool was[2], guarded;
	struct dhcp_msg m;
	enum dhcp_outcome o;
	int i;

	if (dhcp_parse(p, n, &m) < 0)
		return;
	guarded = fuzz_bound_elsewhere(st, &m, &meta, &bound);
	was[0] = fuzz_held(st, &m, m.has_requested_ip ? m.requested_ip : 0, now, &held[0]);
	was[1] = fuzz_held(st, &m, m.hdr.ciaddr, now, &held[1]);
	o = dhcp_server_handle(srv, &m, &meta, &r);
	if (r.len)
		fuzz_check_reply(st, &m, o, &r, now);
	/* Whatever another client sends, a live lease stays its holder's. */
	for (i = 0; i < 2; i++) {
		if (!was[i])
			continue;
		after = lease_store_find_ip(st, held[i].ip);
		if (!after || !fuzz_same_holder(after, &held[i]))
			abort();
	}
	/* Identity is the port: no answer, no change. */
	if (guarded) {
		after = lease_store_find_ip(st, bound.ip);
		if (r.len || !after || memcmp(after, &bound, sizeof(bound)) != 0)
			abort();
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const uint8_t boot[LEASE_BOOT_ID_LEN] = { 1 };
	struct dhcp_server_config cfg = {
		.server_ip = FUZZ_GW, .subnet = FUZZ_NET, .prefix_len = 24,
		.pool_first = FUZZ_NET + 10, .pool_last = FUZZ_NET + 20, .lease_time = 60,
		.domain = "lab.test", .host_name = "host", .reservations = fuzz_res,
		.n_reservations = 1, .rate_limit = 50, .rate_limit_port = 5,
	};
	struct lease_store *st;
	struct dhcp_server *srv;
	uint64_t now = 1000000;
	size_t pos = 0, n;
	char err[128], name[64];
	uint8_t op;

	if (lease_store_new(&st, boot) < 0)
		return 0;
	if (dhcp_server_new(&srv, st, &cfg, &fuzz_ops, NULL) < 0) {
		lease_store_close(st);
		return 0;
	}
	dhcp_server_set_mtu(srv, 1500);
	while (pos + 3 <= size) {
		op = data[pos];
		n = (size_t)data[pos + 1] << 8 | data[pos + 2];
		pos += 3;
		if (n > size - pos)
			n = size - pos;
		switch (op % 4) {
		case 0:
			fuzz_message(srv, st, op, data + pos, n, now);
			break;
		case 1:
			if (n >= 10)
				dhcp_server_arp(srv, (uint32_t)data[pos] << 24 | (uint32_t)data[pos + 1] << 16 |
						(uint32_t)data[pos + 2] << 8 | data[pos + 3],
						data + pos + 4, now);
			break;
		case 2:
			now += n >= 2 ? ((uint64_t)data[pos] << 8 | data[pos + 1]) * 16 : 250;
			dhcp_server_tick(srv, now);
			if (dhcp_server_deadline(srv) < now)
				abort();
			break;
		default:
			if (n >= 7) {
				size_t k = n - 7 < sizeof(name) - 1 ? n - 7 : sizeof(name) - 1;

				memcpy(name, data + pos + 7, k);
				name[k] = '\0';
				dhcp_server_reserve(srv, data + pos, FUZZ_NET + data[pos + 6], name, now,
						    err, sizeof(err));
			}
			break;
		}
		pos += n;
	}
	dhcp_server_free(srv);
	lease_store_close(st);
	return 0;
}
