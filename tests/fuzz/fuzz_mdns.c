/* libFuzzer target for the mDNS responder: mdns_handle() over any packet
 * from any kind of sender, then the announcements and goodbyes.
 *
 * Input: one byte that picks how the packet arrived (bit 0: from the
 * subnet or from outside, bit 1: source port 5353 or not, bit 2: sent to
 * the group or to the gateway, bit 3: from the lease holder of vm1; bit 4:
 * instead an IPv4 packet seen on a bridge port, through mdns_port_packet()
 * and mdns_handle_port_response(), bit 5 picking vm1's port or another;
 * bit 6: over IPv6, bit 0 then picking a link-local or a far source and
 * bit 2 ff02::fb or a unicast destination), then the packet. vm1 has two
 * IPv6 addresses, so AAAA answers and their additional records are built. Checks: every reply parses and fits its size, legacy replies
 * carry the query's ID, and a multicast reply that comes back to us is
 * recognised as our own. */
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "dns_codec.h"
#include "mdns_ports.h"
#include "mdns_responder.h"
#include "name_table.h"

#define FUZZ_GATEWAY 0xac143001u    /* 172.20.48.1/20 */
#define FUZZ_SUBNET 0xac143000u
#define FUZZ_VM1 0xac143032u
#define FUZZ_IFINDEX 3
#define FUZZ_VM1_PORT 11

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static struct name_table *fuzz_names(void)
{
	static struct name_table *t;

	if (!t) {
		t = name_table_new();
		if (!t || name_table_set(t, "vm1", 3, FUZZ_VM1) < 0 ||
		    name_table_set(t, "build-box", 9, FUZZ_VM1 + 1) < 0 ||
		    name_table_set(t, "a", 1, FUZZ_SUBNET + 4000) < 0)
			abort();
	}
	return t;
}

static void fuzz_check_msg(const uint8_t *buf, size_t len, size_t max)
{
	struct dns_question q;
	struct dns_iter it;
	struct dns_rr rr;
	int r;

	if (len < DNS_HEADER_LEN || len > max || dns_iter_init(&it, buf, len, NULL) < 0)
		abort();
	while ((r = dns_iter_question(&it, &q)) == 1)
		;
	if (r < 0)
		abort();
	while ((r = dns_iter_rr(&it, &rr)) == 1)
		;
	if (r < 0)
		abort();
}

static size_t fuzz_aaaa(void *ctx, uint32_t ip, uint8_t (*out)[16], size_t max)
{
	static const uint8_t a[16] = { 0xfd, 0x12, [7] = 1, [15] = 0x50 };

	(void)ctx;
	if (ip != FUZZ_VM1 || max < 2)
		return 0;
	memcpy(out[0], a, 16);
	memcpy(out[1], a, 16);
	out[1][8] = 0x3c;
	return 2;
}

/* bit 6 of the first byte: the packet came over IPv6. */
static void fuzz_meta6(uint8_t how, struct mdns_meta *m)
{
	static const uint8_t group6[16] = MDNS_GROUP6;
	static const uint8_t link6[16] = { 0xfe, 0x80, [15] = 0x3c };
	static const uint8_t far6[16] = { 0x20, 0x01, 0x0d, 0xb8, [15] = 1 };
	static const uint8_t gw6[16] = { 0xfd, 0x12, [7] = 1, [15] = 1 };

	m->v6 = true;
	memcpy(m->src6, how & 1 ? far6 : link6, 16);
	memcpy(m->dst6, how & 4 ? gw6 : group6, 16);
}

static void fuzz_check_answer(struct mdns_responder *resp, const uint8_t *pkt, size_t len,
			      const struct mdns_meta *m, enum mdns_outcome o,
			      const struct mdns_out *out)
{
	static struct mdns_out again;
	struct mdns_meta loop = *m;

	if (out->ucast_len)
		fuzz_check_msg(out->ucast, out->ucast_len,
			       o == MDNS_ANSWER_LEGACY ? MDNS_LEGACY_MAX : MDNS_PKT_MAX);
	if (o == MDNS_ANSWER_LEGACY && (out->ucast_len < 2 || memcmp(out->ucast, pkt, 2) != 0))
		abort();
	if (!out->mcast_len)
		return;
	fuzz_check_msg(out->mcast, out->mcast_len, MDNS_PKT_MAX);
	loop.src = FUZZ_GATEWAY;
	loop.sport = MDNS_PORT;
	loop.dst = MDNS_GROUP;
	if (loop.v6)
		fuzz_meta6(0, &loop);
	if (mdns_handle(resp, out->mcast, out->mcast_len, &loop, &again) != MDNS_DROP_OWN_LOOP)
		abort();
}

static unsigned fuzz_holder_port(void *ctx, const char *name)
{
	(void)ctx;
	return strcmp(name, "vm1") == 0 ? FUZZ_VM1_PORT : 0;
}

/* A frame from a bridge port: only a silence may come of it. */
static void fuzz_port(struct mdns_responder *resp, uint8_t how, const uint8_t *data,
		      size_t size)
{
	struct mdns_meta m = { .ifindex = FUZZ_IFINDEX, .now_ms = 5000 };
	enum mdns_outcome res;
	const uint8_t *dns;
	size_t len;

	if (mdns_port_packet(data, size, &m, &dns, &len) < 0)
		return;
	if (dns < data || dns + len > data + size)
		abort();
	m.port = how & 32 ? FUZZ_VM1_PORT : FUZZ_VM1_PORT + 1;
	res = mdns_handle_port_response(resp, dns, len, &m);
	if (res != MDNS_RESPONSE_SEEN && res != MDNS_CONFLICT_SILENCED &&
	    res != MDNS_DROP_MALFORMED && res != MDNS_DROP_IGNORED)
		abort();
	if (res == MDNS_CONFLICT_SILENCED && (m.port != FUZZ_VM1_PORT || m.src != FUZZ_VM1))
		abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct mdns_out out;
	struct mdns_responder_opts o = {
		.ifindex = FUZZ_IFINDEX, .gateway = FUZZ_GATEWAY, .subnet_addr = FUZZ_SUBNET,
		.subnet_len = 20, .names = fuzz_names(), .holder_port = fuzz_holder_port,
		.aaaa = fuzz_aaaa, .prefix6 = { 0xfd, 0x12, [7] = 1 }, .prefix6_len = 64,
	};
	struct mdns_responder *resp;
	struct mdns_meta m = { .ifindex = FUZZ_IFINDEX, .ttl = 255, .now_ms = 5000 };
	uint8_t buf[MDNS_PKT_MAX];
	enum mdns_outcome res;
	uint8_t how;
	int n;

	if (size < 1)
		return 0;
	how = data[0];
	data++;
	size--;
	if (mdns_responder_new(&resp, &o, 1000) < 0)
		abort();
	m.src = how & 1 ? 0xc6336409u : FUZZ_SUBNET + 60;
	if (how & 8)
		m.src = FUZZ_VM1;
	m.sport = how & 2 ? 40000 : MDNS_PORT;
	m.dst = how & 4 ? FUZZ_GATEWAY : MDNS_GROUP;
	if (how & 64)
		fuzz_meta6(how, &m);
	memset(&out, 0, sizeof(out));
	if (how & 16) {
		fuzz_port(resp, how, data, size);
	} else {
		res = mdns_handle(resp, data, size, &m, &out);
		if ((unsigned)res >= MDNS_OUTCOME_COUNT)
			abort();
		if (res <= MDNS_ANSWER_LEGACY)
			fuzz_check_answer(resp, data, size, &m, res, &out);
	}
	/* Announcements, then goodbyes: a conflict may have silenced names. */
	for (int i = 0; i < 8 && (n = mdns_responder_due(resp, 5000, buf, sizeof(buf))) > 0; i++)
		fuzz_check_msg(buf, (size_t)n, sizeof(buf));
	mdns_responder_goodbye_all(resp);
	for (int i = 0; i < 8 && (n = mdns_responder_due(resp, 5000, buf, sizeof(buf))) > 0; i++)
		fuzz_check_msg(buf, (size_t)n, sizeof(buf));
	mdns_responder_free(resp);
	return 0;
}
