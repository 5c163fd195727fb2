/* IPv6 address tests shared by the DNS server, its reverse zone and the
 * mDNS responder: pure, on 16-byte addresses in network order. */
#ifndef DEFNET_ADDR6_H
#define DEFNET_ADDR6_H

#include <stdbool.h>
#include <stdint.h>
#include <string.h>

/* Whether a lies in p/len; len 0 is no prefix at all (false). */
static inline bool addr6_in_prefix(const uint8_t a[16], const uint8_t p[16], uint8_t len)
{
	size_t whole = len / 8u;

	if (len == 0 || len > 128 || memcmp(a, p, whole) != 0)
		return false;
	return len % 8 == 0 || ((a[whole] ^ p[whole]) & (0xff << (8 - len % 8)) & 0xff) == 0;
}

/* fe80::/10 (RFC 4291 2.5.6). */
static inline bool addr6_link_local(const uint8_t a[16])
{
	return a[0] == 0xfe && (a[1] & 0xc0) == 0x80;
}

#endif
