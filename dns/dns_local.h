/* What the gateway's DNS server does with a query: answer it from what the
 * daemon knows (the guests' names, the host's own name, the guest subnet's
 * reverse zone), forward it, refuse it, or drop it. Pure policy over bytes.
 *
 * Owned zones, answered here and never forwarded (RFC 6761 6.3 and RFC
 * 6762 3 for .local; the reverse zone is the guest subnet's):
 *  - NAME.local, and NAME.DOMAIN when a domain is set: A from the name
 *    table; the host's own name answers with the gateway address;
 *  - D.C.B.A.in-addr.arpa for A.B.C.D in the subnet: PTR to NAME.DOMAIN (or
 *    NAME.local without a domain);
 *  - the nibble names under ip6.arpa for an address in the guests' IPv6
 *    prefix (RFC 3596 2.5): PTR to the same name, for the gateway's IPv6
 *    address and a guest's (its MAC in the neighbour table, then its
 *    lease: the name6 callback);
 *  - an owned name asked for another type (AAAA, MX...) is NOERROR with no
 *    data, an unknown name in an owned zone NXDOMAIN, both with the zone's
 *    SOA in the authority section for negative caching (RFC 2308 3). */
#ifndef DEFNET_DNS_LOCAL_H
#define DEFNET_DNS_LOCAL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "dns_codec.h"
#include "name_table.h"

#define DNS_LOCAL_TTL 5          /* names come and go with DHCP leases */
#define DNS_UDP_MAX 1232         /* our EDNS size: no IP fragments (DNS flag day 2020) */

#define DNS_LOCAL_AAAA_MAX 8

/* A guest's IPv6 addresses, by its IPv4 address (the name table's): at
 * most max into out; returns how many. */
typedef size_t (*dns_local_aaaa_fn)(void *ctx, uint32_t ip, uint8_t (*out)[16], size_t max);
/* The reverse: the IPv4 address (the name table's) of the guest that has
 * an IPv6 address, 0 when none does. */
typedef uint32_t (*dns_local_name6_fn)(void *ctx, const uint8_t addr[16]);

struct dns_local_ctx {
	const struct name_table *names;  /* may be NULL: no guest names */
	dns_local_aaaa_fn aaaa;          /* NULL: no AAAA for guest names */
	dns_local_name6_fn name6;        /* NULL: no guest names under ip6.arpa */
	void *aaaa_ctx;                  /* for both */
	uint8_t prefix6[16];             /* the guests' prefix; prefix6_len 0: */
	uint8_t prefix6_len;             /* no ip6.arpa zone, such names go upstream */
	uint8_t gateway6[16];
	uint8_t domain[DNS_NAME_MAX];    /* flat; domain_len 0: no domain */
	size_t domain_len;
	char hostname[DNS_LABEL_MAX + 1];  /* "" when unusable */
	uint32_t gateway;                /* host byte order */
	uint32_t subnet_addr;
	uint8_t subnet_len;
};

/* Fills ctx. domain ("" or NULL: none) is a text name; hostname may be a
 * FQDN, its first label is used when it is a valid RFC 1123 label.
 * Returns 0 or -EINVAL (a bad domain or prefix). */
int dns_local_ctx_init(struct dns_local_ctx *ctx, const struct name_table *names,
		       const char *domain, const char *hostname, uint32_t gateway,
		       uint32_t subnet_addr, uint8_t subnet_len);

/* The labels before ip6.arpa (prefix, plen bytes of a flat name without
 * the zone), read right to left as nibbles, one hex digit a label (RFC
 * 3596 2.5): addr gets them as its high-order nibbles, the rest zero.
 * Returns how many were read, up to the first label that is not one or
 * the 33rd, and sets *whole when that was every label; -EINVAL when the
 * labels do not end exactly at plen. */
int dns_local_ip6_nibbles(const uint8_t *prefix, size_t plen, uint8_t addr[16], bool *whole);

/* A query as the server understood it, for the forwarder. */
struct dns_query {
	struct dns_header h;
	struct dns_question q;
	bool edns;               /* it had an OPT record */
	bool do_bit;             /* RFC 3225 */
	uint16_t udp_max;        /* largest UDP answer it takes, <= DNS_UDP_MAX */
};

enum dns_local_result {
	DNS_LOCAL_DROP = 0,      /* not a query worth an answer */
	DNS_LOCAL_ANSWER,        /* the answer is in out */
	DNS_LOCAL_FORWARD,       /* *q describes it; send it upstream */
};

/* Looks at the query in buf and either writes the complete answer (with
 * an OPT record when the query had one) into out (size bytes, at least
 * 512), or says to forward or drop it. Malformed queries are answered
 * FORMERR when their header can be trusted, unknown opcodes NOTIMP, EDNS
 * versions above 0 BADVERS (RFC 6891 6.1.3), zone transfers REFUSED.
 * Returns an enum dns_local_result, or -EINVAL / -EMSGSIZE. */
int dns_local_handle(const struct dns_local_ctx *ctx, const uint8_t *buf, size_t len,
		     struct dns_query *q, uint8_t *out, size_t size, size_t *out_len);

/* An answer with no records and the given rcode for a query already
 * understood (SERVFAIL when the upstream fails, or TC to send the client
 * to TCP). Returns 0 or -EMSGSIZE. */
int dns_local_error(const struct dns_query *q, unsigned rcode, bool tc,
		    uint8_t *out, size_t size, size_t *out_len);

#endif
