/* Stateless DHCPv6 (RFC 8415 6.1, 18.2.6, 18.3.6): an Information-request
 * in, a Reply with the DNS servers (RFC 3646 option 23) and the domain
 * search list (option 24) out. Pure code over (buf, len); addresses come
 * from SLAAC, so every other message is ignored. */
#ifndef DEFNET_DHCP6_CODEC_H
#define DEFNET_DHCP6_CODEC_H

#include <stddef.h>
#include <stdint.h>

#define DHCP6_SERVER_PORT 547
#define DHCP6_CLIENT_PORT 546
#define DHCP6_MSG_INFORMATION_REQUEST 11
#define DHCP6_MSG_REPLY 7
#define DHCP6_OPT_CLIENTID 1
#define DHCP6_OPT_SERVERID 2
#define DHCP6_OPT_DNS_SERVERS 23
#define DHCP6_OPT_DOMAIN_LIST 24
#define DHCP6_OPT_INFO_REFRESH_TIME 32
/* RFC 8415 11.1: a DUID is at most 128 bytes. */
#define DHCP6_DUID_MAX 128
#define DHCP6_DOMAIN_MAX 253
#define DHCP6_REPLY_MAX 512
/* RFC 8415 21.23: the refresh time servers give when they have no other. */
#define DHCP6_INFO_REFRESH_S 86400u

struct dhcp6_server_cfg {
	uint8_t duid[DHCP6_DUID_MAX];   /* the server's own */
	size_t duid_len;
	uint8_t dns[16];                /* the gateway's address */
	char domain[DHCP6_DOMAIN_MAX + 1];  /* "": no domain list */
};

/* Our DUID: DUID-LL (RFC 8415 11.4) from the bridge's MAC, stable as the
 * MAC is. */
void dhcp6_duid_ll(struct dhcp6_server_cfg *cfg, const uint8_t mac[6]);

/* The one entry point: a message from a client. Returns the Reply's
 * length (written to out), 0 when the message is to be ignored (not an
 * Information-request, addressed to another server, asking for addresses,
 * malformed: RFC 8415 16.12), or -ENOSPC / -EINVAL (a bad cfg). */
int dhcp6_handle(const struct dhcp6_server_cfg *cfg, const uint8_t *in, size_t len,
		 uint8_t *out, size_t size);

#endif
