/* Router advertisements and solicitations (RFC 4861 4.1, 4.2, 4.6), with
 * the DNS options of RFC 8106. Pure code over (buf, len): the ICMPv6
 * message only, without the IPv6 header; the checksum is left zero for the
 * kernel to fill (raw ICMPv6 sockets always compute it, RFC 3542 3.1). */
#ifndef DEFNET_RA_CODEC_H
#define DEFNET_RA_CODEC_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define RA_ICMP_RS 133
#define RA_ICMP_RA 134
#define RA_ICMP_NA 136
/* An unsolicited neighbor advertisement with its target link-layer
 * address option (RFC 4861 4.4). */
#define RA_NA_LEN 32
/* RFC 4861 6.1: a Neighbor Discovery message arrives with hop limit 255,
 * so it was not forwarded. */
#define RA_HOP_LIMIT 255
/* Room for every option ra_build() writes, with a full-length domain. */
#define RA_MAX_LEN 512
#define RA_DOMAIN_MAX 253

struct ra_info {
	uint8_t cur_hop_limit;       /* 0: unspecified */
	bool managed;                /* M: addresses from DHCPv6 */
	bool other;                  /* O: other configuration (DNS) from DHCPv6 */
	uint16_t router_lifetime;    /* seconds; 0: not a default router */
	uint32_t reachable_ms, retrans_ms;
	uint32_t mtu;                /* 0: no MTU option */
	bool have_prefix;
	uint8_t prefix[16];
	uint8_t prefix_len;
	bool onlink, autonomous;     /* L and A */
	uint32_t valid_lifetime, preferred_lifetime;
	/* A prefix given up (renumbering): a second prefix option with L and
	 * A and both lifetimes 0, so guests stop using their addresses in it
	 * for new connections at once (RFC 4862 5.5.3 e: they keep them at
	 * most two hours more) and drop its on-link route (RFC 4861 6.3.4).
	 * The parser reads a prefix option with both lifetimes 0 as this. */
	bool have_old_prefix;
	uint8_t old_prefix[16];
	uint8_t old_prefix_len;
	bool have_rdnss;
	uint8_t rdnss[16];
	uint32_t rdnss_lifetime;
	char dnssl[RA_DOMAIN_MAX + 1]; /* "": no DNSSL option */
	uint32_t dnssl_lifetime;
	bool have_sll;               /* source link-layer address option */
	uint8_t sll[6];
};

/* Builds the advertisement into buf. Returns its length, -EINVAL (a bad
 * field: a domain that is not a name, a prefix longer than 128) or
 * -ENOSPC. */
int ra_build(const struct ra_info *ra, uint8_t *buf, size_t size);

/* An unsolicited neighbor advertisement from a router (RFC 4861 4.4,
 * 7.2.6): R and O set, S clear, target the address, the target link-layer
 * address option mac. Writes RA_NA_LEN bytes into buf; returns that length
 * or -ENOSPC. */
int ra_build_na(const uint8_t target[16], const uint8_t mac[6], uint8_t *buf, size_t size);

/* Parses an advertisement (the fields ra_build() writes; unknown options
 * are skipped, RFC 4861 4.6). Returns 0 or -EINVAL. */
int ra_parse(const uint8_t *buf, size_t len, struct ra_info *out);

struct ra_solicit {
	bool have_sll;
	uint8_t sll[6];
};

/* Validates a solicitation (RFC 4861 6.1.1: type, code 0, at least 8
 * bytes, every option of non-zero length and inside the message) and
 * takes its source link-layer address. The hop limit and the rule that an
 * unspecified source carries no link-layer option are the caller's, who
 * sees the IPv6 header. Returns 0 or -EINVAL. */
int ra_parse_rs(const uint8_t *buf, size_t len, struct ra_solicit *out);

#endif
