/* Stateless DHCPv6: see dhcp6_codec.h. */
#include <errno.h>
#include <stdbool.h>
#include <string.h>

#include "byteorder.h"
#include "dhcp6_codec.h"
#include "wire_name.h"

#define DHCP6_HDR_LEN 4        /* msg-type, transaction-id (RFC 8415 8) */
#define DHCP6_OPT_HDR_LEN 4    /* option-code, option-len (RFC 8415 21.1) */
#define DHCP6_OPT_IA_NA 3
#define DHCP6_OPT_IA_TA 4
#define DHCP6_OPT_IA_PD 25
#define DHCP6_DUID_LL 3
#define DHCP6_HW_ETHERNET 1

void dhcp6_duid_ll(struct dhcp6_server_cfg *cfg, const uint8_t mac[6])
{
	be16_put(cfg->duid, DHCP6_DUID_LL);
	be16_put(cfg->duid + 2, DHCP6_HW_ETHERNET);
	memcpy(cfg->duid + 4, mac, 6);
	cfg->duid_len = 10;
}

struct dhcp6_req {
	const uint8_t *client_id;
	size_t client_id_len;
	bool other_server;
	bool asks_address;
};

static int dhcp6_req_option(const struct dhcp6_server_cfg *cfg, uint16_t code,
			    const uint8_t *v, size_t n, struct dhcp6_req *req)
{
	switch (code) {
	case DHCP6_OPT_CLIENTID:
		/* RFC 8415 16.12: at most one; a DUID is 2..128 bytes. */
		if (req->client_id || n < 2 || n > DHCP6_DUID_MAX)
			return -EINVAL;
		req->client_id = v;
		req->client_id_len = n;
		return 0;
	case DHCP6_OPT_SERVERID:
		if (n != cfg->duid_len || memcmp(v, cfg->duid, n) != 0)
			req->other_server = true;
		return 0;
	case DHCP6_OPT_IA_NA:
	case DHCP6_OPT_IA_TA:
	case DHCP6_OPT_IA_PD:
		req->asks_address = true;
		return 0;
	default:
		return 0;
	}
}

static int dhcp6_parse(const struct dhcp6_server_cfg *cfg, const uint8_t *in, size_t len,
		       struct dhcp6_req *req)
{
	size_t pos = DHCP6_HDR_LEN, n;
	uint16_t code;
	int r;

	if (len < DHCP6_HDR_LEN || in[0] != DHCP6_MSG_INFORMATION_REQUEST)
		return -EINVAL;
	while (pos < len) {
		if (len - pos < DHCP6_OPT_HDR_LEN)
			return -EINVAL;
		code = be16_get(in + pos);
		n = be16_get(in + pos + 2);
		pos += DHCP6_OPT_HDR_LEN;
		if (n > len - pos)
			return -EINVAL;
		r = dhcp6_req_option(cfg, code, in + pos, n, req);
		if (r < 0)
			return r;
		pos += n;
	}
	return 0;
}

struct dhcp6_out {
	uint8_t *buf;
	size_t size, pos;
};

/* An option with n bytes of value, copied from v (NULL: zeros); returns
 * where the value goes, or NULL when it does not fit. */
static uint8_t *dhcp6_put(struct dhcp6_out *o, uint16_t code, const void *v, size_t n)
{
	uint8_t *p;

	if (n > UINT16_MAX || DHCP6_OPT_HDR_LEN + n > o->size - o->pos)
		return NULL;
	p = o->buf + o->pos;
	be16_put(p, code);
	be16_put(p + 2, (uint16_t)n);
	if (v)
		memcpy(p + DHCP6_OPT_HDR_LEN, v, n);
	else
		memset(p + DHCP6_OPT_HDR_LEN, 0, n);
	o->pos += DHCP6_OPT_HDR_LEN + n;
	return p + DHCP6_OPT_HDR_LEN;
}

static int dhcp6_reply(const struct dhcp6_server_cfg *cfg, const uint8_t *in,
		       const struct dhcp6_req *req, struct dhcp6_out *o)
{
	uint8_t name[DHCP6_DOMAIN_MAX + 2], refresh[4];
	int n;

	if (o->size < DHCP6_HDR_LEN)
		return -ENOSPC;
	o->buf[0] = DHCP6_MSG_REPLY;
	memcpy(o->buf + 1, in + 1, 3);  /* the transaction-id, echoed */
	o->pos = DHCP6_HDR_LEN;
	be32_put(refresh, DHCP6_INFO_REFRESH_S);
	if (!dhcp6_put(o, DHCP6_OPT_SERVERID, cfg->duid, cfg->duid_len) ||
	    (req->client_id &&
	     !dhcp6_put(o, DHCP6_OPT_CLIENTID, req->client_id, req->client_id_len)) ||
	    !dhcp6_put(o, DHCP6_OPT_DNS_SERVERS, cfg->dns, sizeof(cfg->dns)) ||
	    !dhcp6_put(o, DHCP6_OPT_INFO_REFRESH_TIME, refresh, sizeof(refresh)))
		return -ENOSPC;
	if (!cfg->domain[0])
		return (int)o->pos;
	/* RFC 8415 10: wire form, uncompressed. */
	n = wire_name_encode(cfg->domain, name, sizeof(name));
	if (n < 0)
		return n;
	return dhcp6_put(o, DHCP6_OPT_DOMAIN_LIST, name, (size_t)n) ? (int)o->pos : -ENOSPC;
}

int dhcp6_handle(const struct dhcp6_server_cfg *cfg, const uint8_t *in, size_t len,
		 uint8_t *out, size_t size)
{
	struct dhcp6_req req = { 0 };
	struct dhcp6_out o = { .buf = out, .size = size };

	if (!cfg || !in || !out || cfg->duid_len == 0 || cfg->duid_len > DHCP6_DUID_MAX)
		return -EINVAL;
	/* RFC 8415 16.12: another server's, or one asking for addresses. */
	if (dhcp6_parse(cfg, in, len, &req) < 0 || req.other_server || req.asks_address)
		return 0;
	return dhcp6_reply(cfg, in, &req, &o);
}
