/* The answer cache: a chained hash table plus an LRU list. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "byteorder.h"
#include "dns_cache.h"
#include "dns_codec.h"

#define CACHE_MAX_RRS 256        /* records whose TTL an entry rewrites */
#define CACHE_MIN_BUCKETS 64

struct cache_entry {
	struct cache_entry *next;            /* hash chain */
	struct cache_entry *lru_prev, *lru_next;
	uint64_t hash;
	uint64_t stored_ms, expires_ms;
	size_t bytes;                        /* what it counts against the bound */
	uint16_t len;                        /* of the message */
	uint16_t name_len;                   /* the question name, at offset 12 */
	uint16_t qtype, qclass;
	bool do_bit;
	uint16_t n_ttls;
	uint8_t data[];                      /* uint16_t ttl offsets, then msg */
};

struct dns_cache {
	struct cache_entry **buckets;
	size_t n_buckets;                    /* a power of two */
	struct cache_entry *lru_head, *lru_tail;   /* head: most recent */
	size_t bytes, max_bytes, entries;
	uint64_t seed, evictions;
};

static uint8_t cache_lower(uint8_t c)
{
	return c >= 'A' && c <= 'Z' ? (uint8_t)(c - 'A' + 'a') : c;
}

static uint64_t cache_mix(uint64_t h)
{
	h ^= h >> 33;
	h *= 0xff51afd7ed558ccdull;
	h ^= h >> 33;
	h *= 0xc4ceb9fe1a85ec53ull;
	h ^= h >> 33;
	return h;
}

static uint64_t cache_hash(const struct dns_cache *c, const struct dns_cache_key *k)
{
	uint64_t h = c->seed ^ 0xcbf29ce484222325ull;

	for (size_t i = 0; i < k->name_len; i++) {
		h ^= cache_lower(k->name[i]);
		h *= 0x100000001b3ull;
	}
	h ^= (uint64_t)k->qtype << 32 | (uint64_t)k->qclass << 16 | k->do_bit;
	return cache_mix(h);
}

static const uint16_t *entry_ttls(const struct cache_entry *e)
{
	return (const uint16_t *)(const void *)e->data;
}

static uint8_t *entry_msg(struct cache_entry *e)
{
	return e->data + e->n_ttls * sizeof(uint16_t);
}

static bool entry_is(struct cache_entry *e, uint64_t hash, const struct dns_cache_key *k)
{
	return e->hash == hash && e->qtype == k->qtype && e->qclass == k->qclass &&
	       e->do_bit == k->do_bit &&
	       dns_name_equal(entry_msg(e) + DNS_HEADER_LEN, e->name_len, k->name, k->name_len);
}

struct dns_cache *dns_cache_new(size_t max_bytes, uint64_t seed)
{
	struct dns_cache *c = calloc(1, sizeof(*c));
	size_t n = CACHE_MIN_BUCKETS;

	if (!c)
		return NULL;
	/* About one bucket per 512 bytes of answers. */
	while (n < max_bytes / 512 && n < ((size_t)1 << 24))
		n *= 2;
	c->buckets = calloc(n, sizeof(*c->buckets));
	if (!c->buckets) {
		free(c);
		return NULL;
	}
	c->n_buckets = n;
	c->max_bytes = max_bytes;
	c->seed = seed;
	return c;
}

static void lru_unlink(struct dns_cache *c, struct cache_entry *e)
{
	if (e->lru_prev)
		e->lru_prev->lru_next = e->lru_next;
	else
		c->lru_head = e->lru_next;
	if (e->lru_next)
		e->lru_next->lru_prev = e->lru_prev;
	else
		c->lru_tail = e->lru_prev;
	e->lru_prev = e->lru_next = NULL;
}

static void lru_push(struct dns_cache *c, struct cache_entry *e)
{
	e->lru_prev = NULL;
	e->lru_next = c->lru_head;
	if (c->lru_head)
		c->lru_head->lru_prev = e;
	c->lru_head = e;
	if (!c->lru_tail)
		c->lru_tail = e;
}

static void cache_drop(struct dns_cache *c, struct cache_entry *e)
{
	struct cache_entry **p = &c->buckets[e->hash & (c->n_buckets - 1)];

	while (*p != e)
		p = &(*p)->next;
	*p = e->next;
	lru_unlink(c, e);
	c->bytes -= e->bytes;
	c->entries--;
	free(e);
}

void dns_cache_flush(struct dns_cache *c)
{
	while (c && c->lru_head)
		cache_drop(c, c->lru_head);
}

void dns_cache_free(struct dns_cache *c)
{
	if (!c)
		return;
	dns_cache_flush(c);
	free(c->buckets);
	free(c);
}

static struct cache_entry *cache_find(struct dns_cache *c, const struct dns_cache_key *k,
				      uint64_t hash)
{
	struct cache_entry *e = c->buckets[hash & (c->n_buckets - 1)];

	while (e && !entry_is(e, hash, k))
		e = e->next;
	return e;
}

/* How long the answer may live, in seconds; 0: not at all. */
static int cache_ttl(const uint8_t *msg, size_t len, const struct dns_header *h,
		     uint32_t *ttl)
{
	unsigned rcode = dns_header_rcode(h);
	bool negative = rcode == DNS_RCODE_NXDOMAIN || h->count[DNS_SECTION_ANSWER] == 0;
	int r;

	*ttl = 0;
	if ((rcode != DNS_RCODE_NOERROR && rcode != DNS_RCODE_NXDOMAIN) ||
	    (h->flags & DNS_FLAG_TC) || !(h->flags & DNS_FLAG_QR))
		return 0;
	r = dns_msg_min_ttl(msg, len, ttl);
	if (r == -ENOENT)
		return 0;
	if (r < 0)
		return r;
	/* RFC 2308 5: only a negative answer with an SOA can be cached; the
	 * SOA's TTL was already folded in by dns_msg_min_ttl(). */
	if (negative) {
		bool soa = false;
		struct dns_iter it;
		struct dns_rr rr;

		if (dns_iter_init(&it, msg, len, NULL) < 0)
			return -EBADMSG;
		while ((r = dns_iter_rr(&it, &rr)) == 1)
			soa |= rr.section == DNS_SECTION_AUTHORITY && rr.type == DNS_TYPE_SOA;
		if (r < 0)
			return r;
		if (!soa)
			*ttl = 0;
		else if (*ttl > DNS_CACHE_MAX_NEG_TTL)
			*ttl = DNS_CACHE_MAX_NEG_TTL;
	}
	if (*ttl > DNS_CACHE_MAX_TTL)
		*ttl = DNS_CACHE_MAX_TTL;
	return 0;
}

/* Collects where each record's TTL is; false when there are too many. */
static int cache_ttl_offsets(const uint8_t *msg, size_t len, uint16_t *offs, uint16_t *n)
{
	struct dns_iter it;
	struct dns_rr rr;
	int r;

	*n = 0;
	if (dns_iter_init(&it, msg, len, NULL) < 0)
		return -EBADMSG;
	while ((r = dns_iter_rr(&it, &rr)) == 1) {
		if (rr.type == DNS_TYPE_OPT)
			return -EBADMSG;
		if (*n == CACHE_MAX_RRS)
			return -E2BIG;
		offs[(*n)++] = (uint16_t)(rr.rdata_off - 6);
	}
	return r;
}

static void cache_make_room(struct dns_cache *c, size_t need)
{
	while (c->lru_tail && c->bytes + need > c->max_bytes) {
		cache_drop(c, c->lru_tail);
		c->evictions++;
	}
}

static int cache_check_question(const uint8_t *msg, size_t len, struct dns_header *h,
				const struct dns_cache_key *k)
{
	struct dns_question q;

	if (dns_msg_question(msg, len, h, &q) < 0)
		return -EBADMSG;
	/* The name must sit flat at offset 12 so that a hit can put the
	 * asker's case back over it. */
	if (q.name_off != DNS_HEADER_LEN || q.name_len != k->name_len ||
	    len < DNS_HEADER_LEN + k->name_len ||
	    !dns_name_equal(msg + DNS_HEADER_LEN, k->name_len, k->name, k->name_len) ||
	    q.qtype != k->qtype || q.qclass != k->qclass)
		return -EINVAL;
	return 0;
}

int dns_cache_put(struct dns_cache *c, const struct dns_cache_key *k,
		  const uint8_t *msg, size_t len, uint64_t now_ms)
{
	uint16_t offs[CACHE_MAX_RRS], n;
	struct dns_header h;
	struct cache_entry *e;
	uint64_t hash;
	uint32_t ttl;
	size_t bytes;
	int r;

	if (!c || !k || !k->name || !msg)
		return -EINVAL;
	r = cache_check_question(msg, len, &h, k);
	if (r == 0)
		r = cache_ttl(msg, len, &h, &ttl);
	if (r < 0)
		return r;
	r = cache_ttl_offsets(msg, len, offs, &n);
	if (r == -E2BIG || ttl == 0)
		return 0;
	if (r < 0)
		return r;
	bytes = sizeof(*e) + n * sizeof(uint16_t) + len;
	if (bytes > c->max_bytes / 16)
		return 0;
	hash = cache_hash(c, k);
	e = cache_find(c, k, hash);
	if (e)
		cache_drop(c, e);
	cache_make_room(c, bytes);
	e = malloc(bytes);
	if (!e)
		return -ENOMEM;
	*e = (struct cache_entry){
		.hash = hash, .stored_ms = now_ms, .expires_ms = now_ms + ttl * 1000ull,
		.bytes = bytes, .len = (uint16_t)len, .name_len = (uint16_t)k->name_len,
		.qtype = k->qtype, .qclass = k->qclass, .do_bit = k->do_bit, .n_ttls = n,
	};
	memcpy(e->data, offs, n * sizeof(uint16_t));
	memcpy(entry_msg(e), msg, len);
	e->next = c->buckets[hash & (c->n_buckets - 1)];
	c->buckets[hash & (c->n_buckets - 1)] = e;
	lru_push(c, e);
	c->bytes += bytes;
	c->entries++;
	return 1;
}

int dns_cache_get(struct dns_cache *c, const struct dns_cache_key *k, uint16_t id,
		  uint8_t *out, size_t size, size_t *out_len, uint64_t now_ms)
{
	struct cache_entry *e;
	const uint16_t *offs;
	uint8_t *msg;
	uint32_t age;

	if (!c || !k || !k->name || !out || !out_len)
		return -EINVAL;
	e = cache_find(c, k, cache_hash(c, k));
	if (!e)
		return -ENOENT;
	if (now_ms >= e->expires_ms) {
		cache_drop(c, e);
		return -ENOENT;
	}
	if (e->len > size)
		return -EMSGSIZE;
	msg = entry_msg(e);
	memcpy(out, msg, e->len);
	be16_put(out, id);
	memcpy(out + DNS_HEADER_LEN, k->name, k->name_len);
	age = (uint32_t)((now_ms - e->stored_ms) / 1000);
	offs = entry_ttls(e);
	for (unsigned i = 0; i < e->n_ttls; i++) {
		uint32_t ttl = be32_get(msg + offs[i]);

		/* RFC 2181 8: top bit set reads as 0. */
		if (ttl > INT32_MAX)
			ttl = 0;
		be32_put(out + offs[i], ttl > age ? ttl - age : 0);
	}
	lru_unlink(c, e);
	lru_push(c, e);
	*out_len = e->len;
	return 0;
}

void dns_cache_stats(const struct dns_cache *c, struct dns_cache_stats *s)
{
	if (!c || !s)
		return;
	s->entries = c->entries;
	s->bytes = c->bytes;
	s->evictions = c->evictions;
}
