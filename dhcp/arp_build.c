/* ARP probes and announcements: see arp_build.h. */
#include <string.h>

#include "arp_build.h"

static void arp_put_ip(uint8_t *p, uint32_t ip)
{
	p[0] = (uint8_t)(ip >> 24);
	p[1] = (uint8_t)(ip >> 16);
	p[2] = (uint8_t)(ip >> 8);
	p[3] = (uint8_t)ip;
}

/* An ARP request (opcode 1): hardware Ethernet (1), protocol IPv4
 * (0x0800), lengths 6 and 4; the target hardware address is unknown. */
static void arp_build_request(uint8_t out[ARP_LEN], const uint8_t mac[6], uint32_t spa,
			      uint32_t tpa)
{
	memcpy(out, "\x00\x01\x08\x00\x06\x04\x00\x01", 8);
	memcpy(out + 8, mac, 6);
	arp_put_ip(out + 14, spa);
	memset(out + 18, 0, 6);
	arp_put_ip(out + 24, tpa);
}

void arp_build_probe(uint8_t out[ARP_LEN], const uint8_t mac[6], uint32_t ip)
{
	arp_build_request(out, mac, 0, ip);
}

void arp_build_announce(uint8_t out[ARP_LEN], const uint8_t mac[6], uint32_t ip)
{
	arp_build_request(out, mac, ip, ip);
}
