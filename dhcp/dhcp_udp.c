/* IPv4 and UDP headers for replies sent on a packet socket, where the
 * kernel fills in nothing: both checksums are computed here (RFC 791
 * 3.1, RFC 768, the Internet checksum of RFC 1071). */
#include <errno.h>
#include <string.h>

#include "byteorder.h"
#include "dhcp_codec.h"

#define DHCP_IP_HLEN 20
#define DHCP_UDP_HLEN 8
#define DHCP_IP_PROTO_UDP 17
#define DHCP_IP_TTL 64
/* RFC 4594 3.2: network control traffic such as DHCP goes as CS6. */
#define DHCP_IP_TOS 0xc0
#define DHCP_IP_DF 0x4000
#define DHCP_IP_FRAG_MASK 0x3fff   /* more fragments and the offset */

/* Adds len bytes to a one's complement sum, as 16-bit big-endian words;
 * an odd last byte is padded with a zero. */
static uint64_t dhcp_csum_add(uint64_t sum, const uint8_t *p, size_t len)
{
	size_t i;

	for (i = 0; i + 1 < len; i += 2)
		sum += be16_get(p + i);
	if (len & 1)
		sum += (uint64_t)p[len - 1] << 8;
	return sum;
}

static uint16_t dhcp_csum_fold(uint64_t sum)
{
	while (sum >> 16)
		sum = (sum & 0xffff) + (sum >> 16);
	return (uint16_t)~sum;
}

/* The sum of the UDP pseudo header (RFC 768): addresses, protocol and
 * UDP length. */
static uint64_t dhcp_pseudo_sum(uint32_t src, uint32_t dst, size_t udp_len)
{
	return (src >> 16) + (src & 0xffff) + (dst >> 16) + (dst & 0xffff) +
	       DHCP_IP_PROTO_UDP + udp_len;
}

int dhcp_udp_encap(uint8_t *buf, size_t size, uint32_t src_ip,
		   uint32_t dst_ip, uint16_t sport, uint16_t dport,
		   const uint8_t *payload, size_t len)
{
	uint8_t *ip = buf, *udp = buf + DHCP_IP_HLEN;
	uint16_t csum;
	uint64_t sum;

	if (!buf || (!payload && len > 0))
		return -EINVAL;
	if (len > UINT16_MAX - DHCP_IPUDP_LEN || size < DHCP_IPUDP_LEN ||
	    len > size - DHCP_IPUDP_LEN)
		return -EMSGSIZE;
	if (len > 0)
		memmove(buf + DHCP_IPUDP_LEN, payload, len);
	memset(buf, 0, DHCP_IPUDP_LEN);
	ip[0] = 0x45;   /* version 4, five words of header */
	ip[1] = DHCP_IP_TOS;
	be16_put(ip + 2, (uint16_t)(DHCP_IPUDP_LEN + len));
	/* An atomic datagram (DF set) may carry ID 0 (RFC 6864 4.1). */
	be16_put(ip + 6, DHCP_IP_DF);
	ip[8] = DHCP_IP_TTL;
	ip[9] = DHCP_IP_PROTO_UDP;
	be32_put(ip + 12, src_ip);
	be32_put(ip + 16, dst_ip);
	be16_put(ip + 10, dhcp_csum_fold(dhcp_csum_add(0, ip, DHCP_IP_HLEN)));
	be16_put(udp, sport);
	be16_put(udp + 2, dport);
	be16_put(udp + 4, (uint16_t)(DHCP_UDP_HLEN + len));
	sum = dhcp_pseudo_sum(src_ip, dst_ip, DHCP_UDP_HLEN + len);
	sum = dhcp_csum_add(sum, udp, DHCP_UDP_HLEN + len);
	csum = dhcp_csum_fold(sum);
	/* RFC 768: a computed zero is sent as all ones; zero means none. */
	be16_put(udp + 6, csum ? csum : 0xffff);
	return 0;
}

static int dhcp_ip_check(const uint8_t *buf, size_t len, size_t *hlen,
			 size_t *tot)
{
	if (len < DHCP_IP_HLEN)
		return -EMSGSIZE;
	if (buf[0] >> 4 != 4)
		return -EINVAL;
	*hlen = (size_t)(buf[0] & 0x0f) * 4;
	if (*hlen < DHCP_IP_HLEN)
		return -EINVAL;
	if (len < *hlen)
		return -EMSGSIZE;
	*tot = be16_get(buf + 2);
	if (*tot < *hlen + DHCP_UDP_HLEN)
		return -EINVAL;
	if (*tot > len)
		return -EMSGSIZE;
	if (dhcp_csum_fold(dhcp_csum_add(0, buf, *hlen)) != 0)
		return -EINVAL;
	if (be16_get(buf + 6) & DHCP_IP_FRAG_MASK)
		return -EINVAL;
	if (buf[9] != DHCP_IP_PROTO_UDP)
		return -EINVAL;
	return 0;
}

int dhcp_udp_decap(const uint8_t *buf, size_t len, struct dhcp_udp *out)
{
	const uint8_t *udp;
	size_t hlen, tot, ulen;
	uint64_t sum;
	int r;

	if (!buf || !out)
		return -EINVAL;
	r = dhcp_ip_check(buf, len, &hlen, &tot);
	if (r < 0)
		return r;
	udp = buf + hlen;
	ulen = be16_get(udp + 4);
	if (ulen < DHCP_UDP_HLEN || ulen > tot - hlen)
		return -EINVAL;
	out->src_ip = be32_get(buf + 12);
	out->dst_ip = be32_get(buf + 16);
	if (be16_get(udp + 6) != 0) {
		sum = dhcp_pseudo_sum(out->src_ip, out->dst_ip, ulen);
		if (dhcp_csum_fold(dhcp_csum_add(sum, udp, ulen)) != 0)
			return -EINVAL;
	}
	out->sport = be16_get(udp);
	out->dport = be16_get(udp + 2);
	out->payload = udp + DHCP_UDP_HLEN;
	out->payload_len = ulen - DHCP_UDP_HLEN;
	return 0;
}
