/* libFuzzer target for the DHCP codec: the input is parsed as a DHCP
 * message and as an IPv4/UDP packet. A message that parses is answered
 * the way the server would, within the client's size limit; the reply
 * must parse back, carry the relay info unchanged, and survive the
 * IPv4/UDP wrapping. Any broken promise aborts. */
#include <errno.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "dhcp_codec.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define FUZZ_PAYLOAD_MAX 1500

static uint8_t fuzz_pkt[DHCP_IPUDP_LEN + FUZZ_PAYLOAD_MAX];

static void fuzz_check_value(const struct dhcp_opt_value *v)
{
	if (v->len > DHCP_OPT_MAX || v->data[v->len] != 0)
		abort();
}

static void fuzz_check_msg(const struct dhcp_msg *m)
{
	fuzz_check_value(&m->client_id);
	fuzz_check_value(&m->hostname);
	fuzz_check_value(&m->param_list);
	fuzz_check_value(&m->vendor_class);
	fuzz_check_value(&m->relay_info);
	if (m->hdr.hlen > DHCP_CHADDR_LEN || m->overload > DHCP_OVERLOAD_BOTH)
		abort();
	if (m->max_msg_size != 0 && m->max_msg_size < DHCP_MIN_MAX_MSG)
		abort();
	if (m->has_fqdn && (m->fqdn.name_len > DHCP_NAME_MAX ||
			    strlen(m->fqdn.name) != m->fqdn.name_len))
		abort();
	if (!m->has_fqdn && m->fqdn.name[0] != '\0')
		abort();
}

/* Options may be refused for lack of room, names for being invalid;
 * nothing else. */
static void fuzz_expect(int r, bool name)
{
	if (r != 0 && r != -EMSGSIZE && !(name && r == -EINVAL))
		abort();
}

/* Each requested code that the reply does not carry yet, and whose
 * length the parser does not check, gets a four-byte option, to run out
 * of room. */
static void fuzz_add_requested(struct dhcp_builder *b,
			       const struct dhcp_opt_value *prl)
{
	static const uint8_t taken[] = {
		DHCP_OPT_PAD, DHCP_OPT_SUBNET_MASK, DHCP_OPT_ROUTER, DHCP_OPT_DNS,
		DHCP_OPT_HOSTNAME, DHCP_OPT_DOMAIN_NAME, DHCP_OPT_MTU,
		DHCP_OPT_REQUESTED_IP, DHCP_OPT_LEASE_TIME, DHCP_OPT_OVERLOAD,
		DHCP_OPT_MSG_TYPE, DHCP_OPT_SERVER_ID, DHCP_OPT_MAX_MSG_SIZE,
		DHCP_OPT_T1, DHCP_OPT_T2, DHCP_OPT_FQDN, DHCP_OPT_RELAY_AGENT,
		DHCP_OPT_DOMAIN_SEARCH, DHCP_OPT_END,
	};
	size_t i;

	for (i = 0; i < prl->len; i++)
		if (!memchr(taken, prl->data[i], sizeof(taken)))
			fuzz_expect(dhcp_build_u32(b, prl->data[i], (uint32_t)i),
				    false);
}

static void fuzz_add_options(struct dhcp_builder *b, const struct dhcp_msg *req)
{
	static const char *const search[] = {
		"lab.example", "example", "x.lab.example",
	};
	static const uint32_t dns[2] = { 0xac140001, 0xc0000201 };

	fuzz_expect(dhcp_build_ips(b, DHCP_OPT_SERVER_ID, dns, 1), false);
	fuzz_expect(dhcp_build_u32(b, DHCP_OPT_LEASE_TIME, 3600), false);
	fuzz_expect(dhcp_build_u32(b, DHCP_OPT_T1, 1800), false);
	fuzz_expect(dhcp_build_u32(b, DHCP_OPT_T2, 3150), false);
	fuzz_expect(dhcp_build_u32(b, DHCP_OPT_SUBNET_MASK, 0xfffff000), false);
	fuzz_expect(dhcp_build_ips(b, DHCP_OPT_ROUTER, dns, 1), false);
	fuzz_expect(dhcp_build_ips(b, DHCP_OPT_DNS, dns, 2), false);
	fuzz_expect(dhcp_build_str(b, DHCP_OPT_DOMAIN_NAME, "lab.example"), false);
	fuzz_expect(dhcp_build_domain_search(b, search, 3), false);
	fuzz_expect(dhcp_build_u16(b, DHCP_OPT_MTU, 1500), false);
	if (req->hostname.len > 0)
		fuzz_expect(dhcp_build_option(b, DHCP_OPT_HOSTNAME,
					      req->hostname.data,
					      req->hostname.len), false);
	if (req->has_fqdn)
		fuzz_expect(dhcp_build_fqdn(b, req->fqdn.flags | DHCP_FQDN_O,
					    req->fqdn.name), true);
	fuzz_add_requested(b, &req->param_list);
}

static void fuzz_check_reply(const uint8_t *p, size_t len,
			     const struct dhcp_msg *req, uint8_t type)
{
	struct dhcp_msg rep;

	if (dhcp_parse(p, len, &rep) != 0)
		abort();
	if (rep.type != type || rep.hdr.op != DHCP_OP_BOOTREPLY ||
	    rep.hdr.xid != req->hdr.xid || rep.hdr.giaddr != req->hdr.giaddr ||
	    memcmp(rep.hdr.chaddr, req->hdr.chaddr, DHCP_CHADDR_LEN) != 0)
		abort();
	if (rep.relay_info.len != req->relay_info.len ||
	    memcmp(rep.relay_info.data, req->relay_info.data,
		   req->relay_info.len) != 0)
		abort();
}

static void fuzz_check_udp(size_t len)
{
	struct dhcp_udp u;

	if (dhcp_udp_encap(fuzz_pkt, sizeof(fuzz_pkt), 0xac140001, 0xffffffff,
			   DHCP_SERVER_PORT, DHCP_CLIENT_PORT,
			   fuzz_pkt + DHCP_IPUDP_LEN, len) != 0)
		abort();
	if (dhcp_udp_decap(fuzz_pkt, len + DHCP_IPUDP_LEN, &u) != 0 ||
	    u.payload != fuzz_pkt + DHCP_IPUDP_LEN || u.payload_len != len ||
	    u.sport != DHCP_SERVER_PORT || u.dport != DHCP_CLIENT_PORT)
		abort();
}

static void fuzz_reply(const struct dhcp_msg *req)
{
	struct dhcp_builder b;
	struct dhcp_header h;
	size_t limit, len;
	uint8_t type;

	type = req->type == DHCP_REQUEST ? DHCP_ACK : DHCP_OFFER;
	limit = dhcp_reply_max_len(req);
	if (limit > FUZZ_PAYLOAD_MAX)
		limit = FUZZ_PAYLOAD_MAX;
	dhcp_header_reply(&h, &req->hdr);
	h.yiaddr = req->has_requested_ip ? req->requested_ip : 0xac140032;
	if (dhcp_build_init(&b, fuzz_pkt + DHCP_IPUDP_LEN, limit, &h, type) != 0)
		abort();
	/* Relay info takes at most 257 bytes: it always fits in 548. */
	if (req->relay_info.len > 0 &&
	    dhcp_build_relay_info(&b, req->relay_info.data,
				  req->relay_info.len) != 0)
		abort();
	fuzz_add_options(&b, req);
	if (dhcp_build_finish(&b, &len) != 0 || len > limit ||
	    len < DHCP_BOOTP_MIN_LEN)
		abort();
	fuzz_check_reply(fuzz_pkt + DHCP_IPUDP_LEN, len, req, type);
	fuzz_check_udp(len);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct dhcp_msg req;
	struct dhcp_udp u;
	int r;

	if (dhcp_udp_decap(data, size, &u) == 0) {
		if (u.payload < data || u.payload + u.payload_len > data + size)
			abort();
		if (dhcp_parse(u.payload, u.payload_len, &req) == 0)
			fuzz_check_msg(&req);
	}
	r = dhcp_parse(data, size, &req);
	if (r == -EMSGSIZE && size >= DHCP_MIN_LEN)
		abort();
	if (r != 0)
		return 0;
	fuzz_check_msg(&req);
	fuzz_reply(&req);
	return 0;
}
