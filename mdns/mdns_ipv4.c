/* The IPv4 and UDP headers of an mDNS response seen on a bridge port
 * (pure): see mdns_ports.h. */
#include <errno.h>
#include <netinet/in.h>

#include "byteorder.h"
#include "mdns_ports.h"

#define MDNS_IP_HDR 20
#define MDNS_UDP_HDR 8

int mdns_port_packet(const uint8_t *pkt, size_t len, struct mdns_meta *m,
		     const uint8_t **dns, size_t *dns_len)
{
	size_t ulen;

	/* No IP options: mDNS senders use none, and a fixed header keeps
	 * the check simple. */
	if (!pkt || !m || !dns || !dns_len || len < MDNS_IP_HDR + MDNS_UDP_HDR ||
	    pkt[0] != 0x45 || pkt[9] != IPPROTO_UDP || (be16_get(pkt + 6) & 0x3fff) != 0 ||
	    be16_get(pkt + 2) > len || be16_get(pkt + 2) < MDNS_IP_HDR + MDNS_UDP_HDR)
		return -EBADMSG;
	len = be16_get(pkt + 2);
	ulen = be16_get(pkt + MDNS_IP_HDR + 4);
	if (ulen < MDNS_UDP_HDR || ulen > len - MDNS_IP_HDR ||
	    be16_get(pkt + MDNS_IP_HDR + 2) != MDNS_PORT)
		return -EBADMSG;
	m->ttl = pkt[8];
	m->src = be32_get(pkt + 12);
	m->dst = be32_get(pkt + 16);
	m->sport = be16_get(pkt + MDNS_IP_HDR);
	*dns = pkt + MDNS_IP_HDR + MDNS_UDP_HDR;
	*dns_len = ulen - MDNS_UDP_HDR;
	return 0;
}
