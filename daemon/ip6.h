/* IPv6 prefixes: parsing, formatting, overlap, and the choice of the
 * guests' /64 (RFC 4193 unique local addresses). Pure code; addresses are
 * 16 bytes in network order. */
#ifndef DEFNET_IP6_H
#define DEFNET_IP6_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define IP6_STRLEN 46          /* INET6_ADDRSTRLEN */
#define IP6_PREFIX_STRLEN 50   /* address, "/128" and NUL */
#define IP6_GUEST_LEN 64       /* SLAAC needs a /64 (RFC 4862 5.5.3, RFC 7421) */

struct ip6_prefix {
	uint8_t addr[16];  /* host bits zero */
	uint8_t len;       /* 0..128 */
};

bool ip6_prefix_overlaps(const struct ip6_prefix *a, const struct ip6_prefix *b);
/* Whether addr is inside p (never for a prefix of length 0: none). */
bool ip6_prefix_contains(const struct ip6_prefix *p, const uint8_t addr[16]);
bool ip6_prefix_equal(const struct ip6_prefix *a, const struct ip6_prefix *b);
/* Clears the bits past len. */
void ip6_prefix_mask(struct ip6_prefix *p);

/* "ADDR/LEN" (s, n: not NUL-terminated); host bits must be zero.
 * Returns 0 or -EINVAL. */
int ip6_prefix_parse(const char *s, size_t n, struct ip6_prefix *out);
char *ip6_format(const uint8_t addr[16], char buf[IP6_STRLEN]);
char *ip6_prefix_format(const struct ip6_prefix *p, char buf[IP6_PREFIX_STRLEN]);

/* The gateway on the guests' /64: PREFIX::1. */
void ip6_gateway(const struct ip6_prefix *p, uint8_t gw[16]);

/* RFC 4193 3.2: fd00::/8, a 40-bit Global ID, a 16-bit Subnet ID. The
 * Global ID is the low 40 bits of seed (a keyed hash of the machine id
 * stands in for 3.2.2's SHA-1 of time and EUI-64: stable, and as random);
 * the Subnet ID starts at seed's bits 40..55 and moves on, wrapping, past
 * every /64 that overlaps used[] or avoid[]. Returns 0 or -ENOSPC. */
int ip6_ula_choose(const struct ip6_prefix *used, size_t n_used,
		   const struct ip6_prefix *avoid, size_t n_avoid,
		   uint64_t seed, struct ip6_prefix *out);

#endif
