/* ARP packets for Ethernet and IPv4 (RFC 826), as an AF_PACKET SOCK_DGRAM
 * socket sends them: the 28-byte ARP payload, the link header left to the
 * kernel. Pure code. */
#ifndef DEFNET_ARP_BUILD_H
#define DEFNET_ARP_BUILD_H

#include <stdint.h>

#define ARP_LEN 28
/* RFC 5227 section 1.1: ANNOUNCE_NUM announcements, ANNOUNCE_INTERVAL
 * seconds apart. */
#define ARP_ANNOUNCE_NUM 2
#define ARP_ANNOUNCE_INTERVAL_MS 2000

/* RFC 5227 section 2.1.1: an ARP Probe for ip (host order): a request
 * with sender address zero, so that no host's ARP cache learns from it. */
void arp_build_probe(uint8_t out[ARP_LEN], const uint8_t mac[6], uint32_t ip);

/* RFC 5227 section 3: an ARP Announcement that mac holds ip: a request
 * whose sender and target addresses are both ip, which makes every host
 * that has ip in its cache update it to mac. */
void arp_build_announce(uint8_t out[ARP_LEN], const uint8_t mac[6], uint32_t ip);

#endif
