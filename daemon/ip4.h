/* IPv4 addresses, prefixes and MAC addresses: parsing and formatting.
 * Pure code. Addresses are kept in host byte order (uint32_t) everywhere
 * inside the daemon; conversion to network order happens at the socket. */
#ifndef DEFNET_IP4_H
#define DEFNET_IP4_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define IP4_STRLEN 16          /* "255.255.255.255" + NUL */
#define IP4_PREFIX_STRLEN 19   /* "255.255.255.255/32" + NUL */
#define MAC_STRLEN 18          /* "52:54:00:12:34:56" + NUL */

struct ip4_prefix {
	uint32_t addr;  /* host order, host bits zero */
	uint8_t len;    /* 0..32 */
};

static inline uint32_t ip4_mask(uint8_t len)
{
	return len == 0 ? 0 : UINT32_MAX << (32 - len);
}

/* Last address of the prefix (its broadcast address). */
static inline uint32_t ip4_prefix_last(struct ip4_prefix p)
{
	return p.addr | ~ip4_mask(p.len);
}

static inline bool ip4_prefix_contains(struct ip4_prefix p, uint32_t addr)
{
	return (addr & ip4_mask(p.len)) == p.addr;
}

static inline bool ip4_prefix_overlaps(struct ip4_prefix a, struct ip4_prefix b)
{
	uint8_t len = a.len < b.len ? a.len : b.len;
	return ((a.addr ^ b.addr) & ip4_mask(len)) == 0;
}

/* Each parser takes the whole text (not NUL-terminated: s, n), accepts only
 * the canonical form and returns 0 or -EINVAL. */
int ip4_parse(const char *s, size_t n, uint32_t *out);
/* "A.B.C.D/LEN"; host bits must be zero. */
int ip4_prefix_parse(const char *s, size_t n, struct ip4_prefix *out);
/* "52:54:00:12:34:56" (case-insensitive hex, colon separated). */
int mac_parse(const char *s, size_t n, uint8_t out[6]);

/* Formatters write a NUL-terminated string into buf and return it. */
char *ip4_format(uint32_t addr, char buf[IP4_STRLEN]);
char *ip4_prefix_format(struct ip4_prefix p, char buf[IP4_PREFIX_STRLEN]);
char *mac_format(const uint8_t mac[6], char buf[MAC_STRLEN]);

#endif
