/* The forwarder's answer cache. Pure: the caller passes the time in.
 *
 * Keyed by (qname ignoring ASCII case, qtype, qclass, DO bit): a DO query
 * gets the answer with its RRSIGs, a plain one the answer without. An
 * entry keeps the upstream's answer bytes (no OPT record; the server adds
 * its own) and lives as long as its lowest TTL; negative answers (NXDOMAIN,
 * NODATA) as long as their SOA says (RFC 2308 5), and only when they carry
 * one. Hits come back with every TTL lowered by the entry's age, the ID and
 * the question's case of the asker. Memory is bounded in bytes; the least
 * recently used entries go first. */
#ifndef DEFNET_DNS_CACHE_H
#define DEFNET_DNS_CACHE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define DNS_CACHE_MAX_TTL 86400        /* a day, whatever the upstream says */
#define DNS_CACHE_MAX_NEG_TTL 10800    /* RFC 2308 5: one to three hours */
#define DNS_CACHE_DEFAULT_BYTES (4u << 20)

struct dns_cache;

struct dns_cache_key {
	const uint8_t *name;     /* flat, as the asker wrote it */
	size_t name_len;
	uint16_t qtype, qclass;
	bool do_bit;
};

/* max_bytes bounds entries and their bookkeeping; seed keys the hash so a
 * client cannot aim its names at one bucket. NULL when out of memory. */
struct dns_cache *dns_cache_new(size_t max_bytes, uint64_t seed);
void dns_cache_free(struct dns_cache *c);

/* Drops every entry (the upstream set changed). */
void dns_cache_flush(struct dns_cache *c);

/* Stores an answer to k's question: msg (len bytes, no OPT record) must
 * be a response with that one question. Returns 1 (stored), 0 (not
 * cacheable: error rcode, TC, TTL 0, a negative answer without SOA, too
 * big), -EBADMSG or -EINVAL. */
int dns_cache_put(struct dns_cache *c, const struct dns_cache_key *k,
		  const uint8_t *msg, size_t len, uint64_t now_ms);

/* Writes a live entry for k into out with the given ID. Returns 0,
 * -ENOENT (none, or expired: then it is dropped) or -EMSGSIZE. */
int dns_cache_get(struct dns_cache *c, const struct dns_cache_key *k, uint16_t id,
		  uint8_t *out, size_t size, size_t *out_len, uint64_t now_ms);

struct dns_cache_stats {
	size_t entries;
	size_t bytes;
	uint64_t evictions;      /* for space, not for age */
};
void dns_cache_stats(const struct dns_cache *c, struct dns_cache_stats *s);

#endif
