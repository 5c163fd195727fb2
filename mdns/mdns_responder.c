/* The mDNS responder's logic: which packets to take, what to answer and
 * where, what to announce when. See mdns_responder.h. */
#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "addr6.h"
#include "byteorder.h"
#include "dns_codec.h"
#include "mdns_responder.h"
#include "src_share.h"

#define MDNS_BUCKETS 1024
#define MDNS_MAX_ANSWERS 64     /* records in one reply; more are asked again */
#define MDNS_REVERSE_NAME_MAX 30 /* "255.255.255.255.in-addr.arpa", flat */
#define MDNS_LOG_GAP_MS 1000    /* debug lines about dropped packets */

/* The records defnet owns for one name. */
enum mdns_rec {
	MDNS_REC_A = 0,
	MDNS_REC_PTR,           /* the reverse name's PTR */
	MDNS_REC_NSEC_HOST,     /* NAME.local has only A */
	MDNS_REC_NSEC_REV,      /* the reverse name has only PTR */
	MDNS_REC_AAAA,          /* NAME.local's IPv6 addresses, all of them */
	MDNS_REC_COUNT,
};

struct mdns_entry {
	struct mdns_entry *next;
	uint32_t ip;
	/* Per family: IPv4 and IPv6 multicast are two links to the peers'
	 * caches (RFC 6762 6 counts per interface). */
	uint64_t last_mcast[2][MDNS_REC_COUNT];
	uint8_t mcast_mask[2];  /* records multicast at least once */
	uint8_t announce_left;
	uint64_t next_announce_ms;
	bool announced;         /* peers may have it cached */
	bool silenced;          /* the lease holder claims other data */
	uint64_t silent_until_ms;
	bool holder_claims;     /* the lease holder announces the same data */
	bool stranger_logged;
	uint32_t gen;           /* the query that ka_mask and ans_mask are for */
	uint8_t ka_mask;        /* known answers the querier has (RFC 6762 7.1) */
	uint8_t ka6;            /* of the AAAA addresses, by index */
	uint8_t ans_mask;       /* records already in this reply */
	uint8_t len;
	char name[DNS_LABEL_MAX + 1];
};

/* A record peers may hold: the name's A and PTR, or one of its AAAA. */
struct mdns_goodbye {
	uint32_t ip;
	bool v6;
	uint8_t addr6[16];
	uint8_t len;
	char name[DNS_LABEL_MAX + 1];
};

struct mdns_sent {
	uint64_t hash;
	size_t len;
	uint64_t at_ms;
};

struct mdns_responder {
	struct mdns_responder_opts o;
	struct mdns_entry *buckets[MDNS_BUCKETS];
	size_t n_entries;
	struct mdns_goodbye *goodbyes;
	size_t n_goodbyes, cap_goodbyes;
	struct mdns_sent sent[MDNS_SENT_RING];
	unsigned sent_next;
	uint32_t gen;
	uint64_t tokens_ms;     /* reply budget, in ms of MDNS_REPLY_RATE */
	uint64_t tokens_at_ms;
	struct src_share share;  /* the budget per source */
	uint64_t last_drop_log_ms;
	bool drop_logged;
	uint64_t silence_end;   /* the first silence to end; UINT64_MAX: none */
	struct mdns_counters n;
};

/* One record picked for a reply, and where it goes. */
struct mdns_pick {
	struct mdns_entry *e;
	enum mdns_rec rec;
	bool unicast;
};

/* A guest's IPv6 addresses, as opts.aaaa gives them. */
struct mdns_aaaa {
	uint8_t addr[MDNS_AAAA_MAX][16];
	size_t n;
};

static const char *const mdns_outcome_names[MDNS_OUTCOME_COUNT] = {
	[MDNS_ANSWER_MULTICAST] = "answer-multicast",
	[MDNS_ANSWER_UNICAST] = "answer-unicast",
	[MDNS_ANSWER_BOTH] = "answer-both",
	[MDNS_ANSWER_LEGACY] = "answer-legacy-unicast",
	[MDNS_DROP_NOT_OUR_LINK] = "drop-not-our-link",
	[MDNS_DROP_OFF_SUBNET] = "drop-off-subnet",
	[MDNS_DROP_OWN_LOOP] = "drop-own-loop",
	[MDNS_DROP_RATE_LIMITED] = "drop-rate-limited",
	[MDNS_DROP_SOURCE_LIMITED] = "drop-source-limited",
	[MDNS_DROP_MALFORMED] = "drop-malformed",
	[MDNS_DROP_IGNORED] = "drop-ignored",
	[MDNS_DROP_NO_ANSWER] = "drop-no-answer",
	[MDNS_RESPONSE_SEEN] = "response-seen",
	[MDNS_CONFLICT_SILENCED] = "conflict-silenced",
};

const char *mdns_outcome_name(enum mdns_outcome o)
{
	return (unsigned)o < MDNS_OUTCOME_COUNT ? mdns_outcome_names[o] : "?";
}

static void mdns_ip_text(uint32_t ip, char out[16])
{
	snprintf(out, 16, "%u.%u.%u.%u", ip >> 24, (ip >> 16) & 0xff, (ip >> 8) & 0xff, ip & 0xff);
}

static void mdns_src_text(const struct mdns_meta *m, char out[INET6_ADDRSTRLEN])
{
	if (!m->v6)
		mdns_ip_text(m->src, out);
	else if (!inet_ntop(AF_INET6, m->src6, out, INET6_ADDRSTRLEN))
		snprintf(out, INET6_ADDRSTRLEN, "?");
}

/* The key of a source's reply share: an IPv6 source folded to 32 bits
 * (sources are on the link, so a collision only shares a budget). */
static uint32_t mdns_source_key(const struct mdns_meta *m)
{
	uint32_t k = 0;

	if (!m->v6)
		return m->src;
	for (unsigned i = 0; i < 16; i += 4)
		k ^= be32_get(m->src6 + i);
	return k;
}

static char mdns_lower(char c)
{
	return c >= 'A' && c <= 'Z' ? (char)(c - 'A' + 'a') : c;
}

/* Names ------------------------------------------------------------------ */

/* NAME.local, flat. */
static size_t mdns_host_name(const char *name, size_t len, uint8_t out[DNS_NAME_MAX])
{
	out[0] = (uint8_t)len;
	memcpy(out + 1, name, len);
	memcpy(out + 1 + len, "\005local", 7);
	return len + 8;
}

/* D.C.B.A.in-addr.arpa, flat. */
static size_t mdns_reverse_name(uint32_t ip, uint8_t out[DNS_NAME_MAX])
{
	size_t n = 0;

	for (unsigned i = 0; i < 4; i++) {
		int w = snprintf((char *)out + n + 1, 4, "%u", (ip >> (8 * i)) & 0xff);

		out[n] = (uint8_t)w;
		n += (size_t)w + 1;
	}
	memcpy(out + n, "\007in-addr\004arpa", 14);
	return n + 14;
}

static bool mdns_label_is(const uint8_t *p, const char *want, size_t n)
{
	if (p[0] != n)
		return false;
	for (size_t i = 0; i < n; i++)
		if (mdns_lower((char)p[1 + i]) != want[i])
			return false;
	return true;
}

/* A flat name NAME.local: its first label. */
static bool mdns_parse_host(const uint8_t *name, size_t len, const char **label,
			    size_t *label_len)
{
	size_t l = name[0];

	if (l == 0 || len != l + 8 || !mdns_label_is(name + 1 + l, "local", 5))
		return false;
	*label = (const char *)name + 1;
	*label_len = l;
	return true;
}

/* A decimal label 0..255, without leading zeros. */
static bool mdns_parse_octet(const uint8_t *p, unsigned *v)
{
	unsigned n = p[0], x = 0;

	if (n == 0 || n > 3 || (n > 1 && p[1] == '0'))
		return false;
	for (unsigned i = 1; i <= n; i++) {
		if (p[i] < '0' || p[i] > '9')
			return false;
		x = x * 10 + (unsigned)(p[i] - '0');
	}
	*v = x;
	return x <= 255;
}

/* A flat name D.C.B.A.in-addr.arpa: the address A.B.C.D. */
static bool mdns_parse_reverse(const uint8_t *name, size_t len, uint32_t *ip)
{
	size_t off = 0;
	uint32_t a = 0;
	unsigned v;

	for (unsigned i = 0; i < 4; i++) {
		if (off >= len || !mdns_parse_octet(name + off, &v))
			return false;
		a |= (uint32_t)v << (8 * i);
		off += 1u + name[off];
	}
	if (len != off + 14 || !mdns_label_is(name + off, "in-addr", 7) ||
	    !mdns_label_is(name + off + 8, "arpa", 4))
		return false;
	*ip = a;
	return true;
}

/* Entries ---------------------------------------------------------------- */

static size_t mdns_hash_name(const char *name, size_t len)
{
	uint32_t h = 2166136261u;

	for (size_t i = 0; i < len; i++) {
		h ^= (uint8_t)mdns_lower(name[i]);
		h *= 16777619u;
	}
	return h % MDNS_BUCKETS;
}

static bool mdns_entry_is(const struct mdns_entry *e, const char *name, size_t len)
{
	if (e->len != len)
		return false;
	for (size_t i = 0; i < len; i++)
		if (e->name[i] != mdns_lower(name[i]))
			return false;
	return true;
}

static struct mdns_entry **mdns_entry_slot(struct mdns_responder *r, const char *name, size_t len)
{
	struct mdns_entry **p = &r->buckets[mdns_hash_name(name, len)];

	while (*p && !mdns_entry_is(*p, name, len))
		p = &(*p)->next;
	return p;
}

static struct mdns_entry *mdns_entry_find(struct mdns_responder *r, const char *name, size_t len)
{
	if (len == 0 || len > DNS_LABEL_MAX)
		return NULL;
	return *mdns_entry_slot(r, name, len);
}

static struct mdns_entry *mdns_entry_by_ip(struct mdns_responder *r, uint32_t ip)
{
	const char *name = name_table_reverse(r->o.names, ip);

	return name ? mdns_entry_find(r, name, strlen(name)) : NULL;
}

static struct mdns_entry *mdns_entry_add(struct mdns_responder *r, const char *name, size_t len,
					 uint32_t ip)
{
	struct mdns_entry **p = mdns_entry_slot(r, name, len);
	struct mdns_entry *e = *p;

	if (e) {
		*e = (struct mdns_entry){ .next = e->next };
	} else {
		e = calloc(1, sizeof(*e));
		if (!e)
			return NULL;
		*p = e;
		r->n_entries++;
	}
	for (size_t i = 0; i < len; i++)
		e->name[i] = mdns_lower(name[i]);
	e->len = (uint8_t)len;
	e->ip = ip;
	return e;
}

static void mdns_entry_del(struct mdns_responder *r, struct mdns_entry *e)
{
	struct mdns_entry **p = mdns_entry_slot(r, e->name, e->len);

	*p = e->next;
	r->n_entries--;
	free(e);
}

static bool mdns_in_subnet(const struct mdns_responder *r, uint32_t ip)
{
	uint32_t mask = r->o.subnet_len ? UINT32_MAX << (32 - r->o.subnet_len) : 0;

	return (ip & mask) == r->o.subnet_addr;
}

static void mdns_entry_aaaa(const struct mdns_responder *r, const struct mdns_entry *e,
			    struct mdns_aaaa *a)
{
	a->n = r->o.aaaa ? r->o.aaaa(r->o.aaaa_ctx, e->ip, a->addr, MDNS_AAAA_MAX) : 0;
	if (a->n > MDNS_AAAA_MAX)
		a->n = MDNS_AAAA_MAX;
}

static bool mdns_has_aaaa(const struct mdns_responder *r, const struct mdns_entry *e)
{
	struct mdns_aaaa a;

	mdns_entry_aaaa(r, e, &a);
	return a.n > 0;
}

/* Goodbyes and announcements --------------------------------------------- */

/* addr6 NULL: the A and PTR goodbye; else that AAAA's. */
static int mdns_goodbye_push(struct mdns_responder *r, const struct mdns_entry *e,
			     const uint8_t *addr6)
{
	if (r->n_goodbyes == r->cap_goodbyes) {
		size_t cap = r->cap_goodbyes ? r->cap_goodbyes * 2 : 16;
		struct mdns_goodbye *g = realloc(r->goodbyes, cap * sizeof(*g));

		if (!g)
			return -ENOMEM;
		r->goodbyes = g;
		r->cap_goodbyes = cap;
	}
	r->goodbyes[r->n_goodbyes] = (struct mdns_goodbye){ .ip = e->ip, .len = e->len,
							    .v6 = addr6 != NULL };
	if (addr6)
		memcpy(r->goodbyes[r->n_goodbyes].addr6, addr6, 16);
	memcpy(r->goodbyes[r->n_goodbyes].name, e->name, e->len + 1u);
	r->n_goodbyes++;
	return 0;
}

/* Drops the goodbyes of (name, ip) still waiting to go out, its AAAA
 * ones too: peers keep what they have. Returns whether the A one was
 * among them. */
static bool mdns_goodbye_cancel(struct mdns_responder *r, const char *name, size_t len,
				uint32_t ip)
{
	bool a = false;

	for (size_t i = r->n_goodbyes; i-- > 0;) {
		const struct mdns_goodbye *g = &r->goodbyes[i];

		if (g->ip != ip || g->len != len || memcmp(g->name, name, len) != 0)
			continue;
		a |= !g->v6;
		r->goodbyes[i] = r->goodbyes[--r->n_goodbyes];
	}
	return a;
}

/* Peers may hold our records: they get a goodbye, unless the lease holder
 * speaks for the name itself (ours would delete its identical record from
 * their caches) or we had fallen silent on it. */
static void mdns_entry_retire(struct mdns_responder *r, struct mdns_entry *e)
{
	struct mdns_aaaa a;
	int rc;

	if (!e->announced || e->silenced || e->holder_claims)
		return;
	mdns_entry_aaaa(r, e, &a);
	rc = mdns_goodbye_push(r, e, NULL);
	for (size_t i = 0; rc == 0 && i < a.n; i++)
		rc = mdns_goodbye_push(r, e, a.addr[i]);
	if (rc < 0)
		log_sink_printf(&r->o.log, LOG_LEVEL_WARNING, "mdns: out of memory: no goodbye for %s.local", e->name);
	e->announced = false;
	e->announce_left = 0;
}

void mdns_responder_name_event(struct mdns_responder *r, const char *name, uint32_t ip,
			       bool added, uint64_t now_ms)
{
	size_t len = strlen(name);
	struct mdns_entry *e;

	if (!added) {
		e = mdns_entry_find(r, name, len);
		if (e && e->ip == ip) {
			mdns_entry_retire(r, e);
			mdns_entry_del(r, e);
		}
		return;
	}
	e = mdns_entry_add(r, name, len, ip);
	if (!e) {
		log_sink_printf(&r->o.log, LOG_LEVEL_WARNING, "mdns: out of memory: %.*s.local is not answered", (int)len, name);
		return;
	}
	/* Removed and put back before its goodbye went out (a reload): for
	 * the peers nothing changed. */
	if (mdns_goodbye_cancel(r, e->name, len, ip)) {
		e->announced = true;
		return;
	}
	e->announce_left = MDNS_ANNOUNCE_COUNT;
	e->next_announce_ms = now_ms;
}

void mdns_responder_aaaa_event(struct mdns_responder *r, uint32_t ip, const uint8_t addr[16],
			       bool added, uint64_t now_ms)
{
	struct mdns_entry *e = r && addr ? mdns_entry_by_ip(r, ip) : NULL;

	if (!e || e->silenced)
		return;
	/* RFC 6762 8.4: changed data is announced again. */
	if (added && !e->announce_left) {
		e->announce_left = MDNS_ANNOUNCE_COUNT;
		e->next_announce_ms = now_ms;
	} else if (!added && e->announced && !e->holder_claims &&
		   mdns_goodbye_push(r, e, addr) < 0) {
		log_sink_printf(&r->o.log, LOG_LEVEL_WARNING, "mdns: out of memory: no goodbye for "
				"an address of %s.local", e->name);
	}
}

void mdns_responder_goodbye_all(struct mdns_responder *r)
{
	for (size_t b = 0; b < MDNS_BUCKETS; b++)
		for (struct mdns_entry *e = r->buckets[b]; e; e = e->next)
			mdns_entry_retire(r, e);
}

static void mdns_silence_end(struct mdns_entry *e, uint64_t now_ms)
{
	e->silenced = false;
	/* Peers dropped our record when the holder's replaced it. */
	e->announce_left = MDNS_ANNOUNCE_COUNT;
	e->next_announce_ms = now_ms;
}

/* Ends the silences whose time has come: a walk only when one has. */
static void mdns_silences_expire(struct mdns_responder *r, uint64_t now_ms)
{
	uint64_t next = UINT64_MAX;

	if (now_ms < r->silence_end)
		return;
	for (size_t b = 0; b < MDNS_BUCKETS; b++) {
		for (struct mdns_entry *e = r->buckets[b]; e; e = e->next) {
			if (!e->silenced)
				continue;
			if (e->silent_until_ms > now_ms) {
				next = e->silent_until_ms < next ? e->silent_until_ms : next;
				continue;
			}
			mdns_silence_end(e, now_ms);
			log_sink_printf(&r->o.log, LOG_LEVEL_INFO, "mdns: %s.local: the lease holder's record "
					"expired; answering for it again", e->name);
		}
	}
	r->silence_end = next;
}

static bool mdns_announce_due(const struct mdns_entry *e, uint64_t now_ms)
{
	return e->announce_left && !e->silenced && e->next_announce_ms <= now_ms;
}

bool mdns_responder_next(const struct mdns_responder *r, uint64_t *when_ms)
{
	bool any = false;

	if (r->n_goodbyes) {
		*when_ms = 0;
		return true;
	}
	if (r->silence_end != UINT64_MAX) {
		*when_ms = r->silence_end;
		any = true;
	}
	for (size_t b = 0; b < MDNS_BUCKETS; b++) {
		for (const struct mdns_entry *e = r->buckets[b]; e; e = e->next) {
			if (!e->announce_left || e->silenced)
				continue;
			if (!any || e->next_announce_ms < *when_ms)
				*when_ms = e->next_announce_ms;
			any = true;
		}
	}
	return any;
}

/* Loop detection ----------------------------------------------------------- */

static uint64_t mdns_hash_pkt(const uint8_t *p, size_t len)
{
	uint64_t h = 14695981039346656037ull;

	for (size_t i = 0; i < len; i++) {
		h ^= p[i];
		h *= 1099511628211ull;
	}
	return h;
}

static void mdns_remember(struct mdns_responder *r, const uint8_t *p, size_t len, uint64_t now_ms)
{
	r->sent[r->sent_next] = (struct mdns_sent){ mdns_hash_pkt(p, len), len, now_ms };
	r->sent_next = (r->sent_next + 1) % MDNS_SENT_RING;
}

/* Our own multicast comes back to us (IP_MULTICAST_LOOP is on so that the
 * host's resolver hears it). Its source is the gateway, but so is the
 * host resolver's traffic: only the bytes tell them apart. */
static bool mdns_is_own(const struct mdns_responder *r, const uint8_t *p, size_t len,
			uint64_t now_ms)
{
	uint64_t h = mdns_hash_pkt(p, len);

	for (unsigned i = 0; i < MDNS_SENT_RING; i++) {
		const struct mdns_sent *s = &r->sent[i];

		if (s->len == len && s->hash == h && s->at_ms + MDNS_LOOP_WINDOW_MS >= now_ms)
			return true;
	}
	return false;
}

/* Writing records ---------------------------------------------------------- */

/* types: at most two, all below 256. */
static int mdns_write_nsec(struct dns_builder *b, enum dns_section sec, const uint8_t *owner,
			   size_t owner_len, uint16_t rrclass, uint32_t ttl,
			   const uint8_t *types, size_t n_types)
{
	/* RFC 6762 6.1: window 0, a bitmap just long enough for the types. */
	uint8_t map[2 + 32] = { 0 };
	int rc;

	for (size_t i = 0; i < n_types; i++) {
		map[2 + types[i] / 8] |= (uint8_t)(0x80 >> (types[i] % 8));
		if (types[i] / 8 + 1 > map[1])
			map[1] = (uint8_t)(types[i] / 8 + 1);
	}
	rc = dns_builder_rr_begin(b, sec, owner, owner_len, DNS_TYPE_NSEC, rrclass, ttl);
	if (rc == 0)
		rc = dns_builder_rdata_name(b, owner, owner_len, true);
	if (rc == 0)
		rc = dns_builder_rdata(b, map, 2u + map[1]);
	return rc < 0 ? rc : dns_builder_rr_end(b);
}

/* Every AAAA of a name; a partial set only when the packet is full. */
static int mdns_write_aaaa(struct dns_builder *b, enum dns_section sec, const uint8_t *host,
			   size_t host_len, uint16_t cls, uint32_t ttl, const struct mdns_aaaa *a)
{
	int rc = 0;

	for (size_t i = 0; rc == 0 && i < a->n; i++)
		rc = dns_builder_aaaa(b, sec, host, host_len, cls, ttl, a->addr[i]);
	return rc;
}

/* One of an entry's records. flush: the cache-flush bit (RFC 6762 10.2). */
static int mdns_write_rec(const struct mdns_responder *r, struct dns_builder *b,
			  enum dns_section sec, const struct mdns_entry *e, enum mdns_rec rec,
			  uint32_t ttl, bool flush)
{
	uint8_t host[DNS_NAME_MAX], rev[DNS_NAME_MAX];
	size_t host_len = mdns_host_name(e->name, e->len, host);
	size_t rev_len = mdns_reverse_name(e->ip, rev);
	uint16_t cls = DNS_CLASS_IN | (flush ? DNS_CLASS_MDNS_BIT : 0);
	uint8_t addr[4] = { e->ip >> 24, e->ip >> 16, e->ip >> 8, e->ip };
	uint8_t types[2] = { DNS_TYPE_A, DNS_TYPE_AAAA };
	uint8_t ptr_type = DNS_TYPE_PTR;
	struct mdns_aaaa a;

	switch (rec) {
	case MDNS_REC_A:
		return dns_builder_a(b, sec, host, host_len, cls, ttl, addr);
	case MDNS_REC_PTR:
		return dns_builder_ptr(b, sec, rev, rev_len, cls, ttl, host, host_len);
	case MDNS_REC_AAAA:
		mdns_entry_aaaa(r, e, &a);
		return mdns_write_aaaa(b, sec, host, host_len, cls, ttl, &a);
	case MDNS_REC_NSEC_HOST:
		return mdns_write_nsec(b, sec, host, host_len, cls, ttl, types,
				       mdns_has_aaaa(r, e) ? 2 : 1);
	default:
		return mdns_write_nsec(b, sec, rev, rev_len, cls, ttl, &ptr_type, 1);
	}
}

static bool mdns_has_reverse(const struct mdns_responder *r, const struct mdns_entry *e)
{
	return mdns_in_subnet(r, e->ip);
}

/* Whether an entry's A, PTR and n_aaaa AAAA fit in b uncompressed: all or
 * none go in a packet, never an A whose PTR must wait for the next one. */
static bool mdns_room(const struct dns_builder *b, size_t len, size_t n_aaaa)
{
	return b->size - b->len >= (len + 8 + 14) + (MDNS_REVERSE_NAME_MAX + 10 + len + 8) +
				   n_aaaa * (len + 8 + 26);
}

/* RFC 6762 10.1: TTL 0. No cache-flush bit: only our record goes, not an
 * identical or newer one that the guest announces itself. */
static int mdns_write_goodbye(const struct mdns_responder *r, struct dns_builder *b,
			      const struct mdns_goodbye *g)
{
	struct mdns_entry e = { .ip = g->ip, .len = g->len };
	uint8_t host[DNS_NAME_MAX];
	int rc;

	memcpy(e.name, g->name, sizeof(e.name));
	if (!mdns_room(b, e.len, 0))
		return -EMSGSIZE;
	if (g->v6)
		return dns_builder_aaaa(b, DNS_SECTION_ANSWER, host,
					mdns_host_name(e.name, e.len, host), DNS_CLASS_IN, 0, g->addr6);
	rc = mdns_write_rec(r, b, DNS_SECTION_ANSWER, &e, MDNS_REC_A, 0, false);
	if (rc == 0 && mdns_has_reverse(r, &e))
		rc = mdns_write_rec(r, b, DNS_SECTION_ANSWER, &e, MDNS_REC_PTR, 0, false);
	return rc;
}

/* An entry's announcement: A, the reverse PTR, every AAAA. */
static int mdns_write_announcement(const struct mdns_responder *r, struct dns_builder *b,
				   struct mdns_entry *e, uint64_t now_ms)
{
	uint8_t recs = 1u << MDNS_REC_A | 1u << MDNS_REC_PTR;
	uint8_t host[DNS_NAME_MAX];
	struct mdns_aaaa a;
	int rc;

	mdns_entry_aaaa(r, e, &a);
	if (!mdns_room(b, e->len, a.n))
		return -EMSGSIZE;
	rc = mdns_write_rec(r, b, DNS_SECTION_ANSWER, e, MDNS_REC_A, MDNS_TTL, true);
	if (rc == 0 && mdns_has_reverse(r, e))
		rc = mdns_write_rec(r, b, DNS_SECTION_ANSWER, e, MDNS_REC_PTR, MDNS_TTL, true);
	if (rc == 0 && a.n) {
		rc = mdns_write_aaaa(b, DNS_SECTION_ANSWER, host,
				     mdns_host_name(e->name, e->len, host),
				     DNS_CLASS_IN | DNS_CLASS_MDNS_BIT, MDNS_TTL, &a);
		recs |= 1u << MDNS_REC_AAAA;
	}
	if (rc < 0)
		return rc;
	e->announce_left--;
	e->next_announce_ms = now_ms + MDNS_ANNOUNCE_GAP_MS;
	e->announced = true;
	/* The I/O sends announcements on both families. */
	for (unsigned f = 0; f < 2; f++) {
		for (unsigned rec = 0; rec < MDNS_REC_COUNT; rec++)
			if (recs & (1u << rec))
				e->last_mcast[f][rec] = now_ms;
		e->mcast_mask[f] |= recs;
	}
	return 0;
}

/* Announcements and goodbyes due now, as many as fit in one packet. */
int mdns_responder_due(struct mdns_responder *r, uint64_t now_ms, uint8_t *buf, size_t size)
{
	struct dns_builder b;
	size_t done = 0;
	int rc;

	mdns_silences_expire(r, now_ms);
	rc = dns_builder_init(&b, buf, size, 0, DNS_FLAG_QR | DNS_FLAG_AA);
	if (rc < 0)
		return rc;
	while (r->n_goodbyes) {
		rc = mdns_write_goodbye(r, &b, &r->goodbyes[r->n_goodbyes - 1]);
		if (rc < 0)
			break;
		r->n_goodbyes--;
		r->n.goodbyes++;
		done++;
	}
	for (size_t i = 0; rc == 0 && i < MDNS_BUCKETS; i++) {
		for (struct mdns_entry *e = r->buckets[i]; rc == 0 && e; e = e->next) {
			if (!mdns_announce_due(e, now_ms))
				continue;
			rc = mdns_write_announcement(r, &b, e, now_ms);
			done += rc == 0;
		}
	}
	if (rc < 0 && rc != -EMSGSIZE)
		return rc;
	if (!done)
		return rc;
	r->n.unsolicited++;
	mdns_remember(r, buf, dns_builder_len(&b), now_ms);
	return (int)dns_builder_len(&b);
}

/* Responses from others: conflicts (RFC 6762 9) ---------------------------- */

/* Our entry named by an A record that is not a goodbye, and its address. */
static struct mdns_entry *mdns_rr_entry(struct mdns_responder *r, const uint8_t *pkt, size_t len,
					const struct dns_rr *rr, uint32_t *ip)
{
	uint8_t name[DNS_NAME_MAX];
	const char *label;
	size_t name_len, next, label_len;

	if (rr->type != DNS_TYPE_A || dns_rr_class(rr) != DNS_CLASS_IN || rr->rdlength != 4 ||
	    rr->ttl == 0)
		return NULL;
	if (dns_name_read(pkt, len, rr->name_off, name, &name_len, &next) < 0 ||
	    !mdns_parse_host(name, name_len, &label, &label_len))
		return NULL;
	*ip = be32_get(pkt + rr->rdata_off);
	return mdns_entry_find(r, label, label_len);
}

/* From the UDP socket: who speaks for our names. A source address proves
 * nothing, so nothing here silences a name. */
static enum mdns_outcome mdns_check_a(struct mdns_responder *r, const uint8_t *pkt, size_t len,
				      const struct dns_rr *rr, const struct mdns_meta *m)
{
	char a[16], b[16], c[16];
	struct mdns_entry *e;
	uint32_t ip;

	/* An IPv6 source says nothing about who holds the IPv4 lease. */
	e = m->v6 ? NULL : mdns_rr_entry(r, pkt, len, rr, &ip);
	if (!e)
		return MDNS_RESPONSE_SEEN;
	if (m->src == e->ip && ip == e->ip) {
		e->holder_claims = true;
	} else if (m->src != e->ip && ip != e->ip && !e->stranger_logged) {
		e->stranger_logged = true;
		mdns_ip_text(ip, a);
		mdns_ip_text(e->ip, b);
		mdns_ip_text(m->src, c);
		log_sink_printf(&r->o.log, LOG_LEVEL_WARNING, "mdns: %s claims %s.local with the address %s, which the lease "
			 "gives %s; still answering for the lease holder", c, e->name, a, b);
	}
	return MDNS_RESPONSE_SEEN;
}

/* From the holder's own bridge port, the holder's address, other data:
 * silent for the record's TTL (bounded), or until the lease is renewed. */
static enum mdns_outcome mdns_check_holder(struct mdns_responder *r, const uint8_t *pkt,
					   size_t len, const struct dns_rr *rr,
					   const struct mdns_meta *m)
{
	uint32_t ip, ttl = rr->ttl < MDNS_SILENCE_MAX_S ? rr->ttl : MDNS_SILENCE_MAX_S;
	struct mdns_entry *e = mdns_rr_entry(r, pkt, len, rr, &ip);
	char a[16], b[16];

	if (!e || e->silenced || m->src != e->ip || ip == e->ip || !r->o.holder_port ||
	    r->o.holder_port(r->o.ctx, e->name) != m->port)
		return MDNS_RESPONSE_SEEN;
	e->silenced = true;
	e->silent_until_ms = m->now_ms + (uint64_t)ttl * 1000;
	if (e->silent_until_ms < r->silence_end)
		r->silence_end = e->silent_until_ms;
	mdns_ip_text(ip, a);
	mdns_ip_text(e->ip, b);
	log_sink_printf(&r->o.log, LOG_LEVEL_WARNING, "mdns: %s.local: the lease holder %s announces the address %s; "
		 "no longer answering for it for %u s or until its lease is renewed", e->name, b, a, ttl);
	return MDNS_CONFLICT_SILENCED;
}

typedef enum mdns_outcome (*mdns_rr_check)(struct mdns_responder *r, const uint8_t *pkt,
					   size_t len, const struct dns_rr *rr,
					   const struct mdns_meta *m);

/* Every answer and additional record of a response through check. */
static enum mdns_outcome mdns_walk_response(struct mdns_responder *r, const uint8_t *pkt,
					    size_t len, const struct mdns_meta *m,
					    mdns_rr_check check)
{
	enum mdns_outcome out = MDNS_RESPONSE_SEEN;
	struct dns_iter it;
	struct dns_rr rr;
	int rc;

	/* RFC 6762 6: responses not from port 5353 are not mDNS. */
	if (m->sport != MDNS_PORT)
		return MDNS_DROP_IGNORED;
	if (dns_iter_init(&it, pkt, len, NULL) < 0)
		return MDNS_DROP_MALFORMED;
	while ((rc = dns_iter_rr(&it, &rr)) == 1) {
		if (rr.section != DNS_SECTION_AUTHORITY &&
		    check(r, pkt, len, &rr, m) == MDNS_CONFLICT_SILENCED)
			out = MDNS_CONFLICT_SILENCED;
	}
	return rc < 0 ? MDNS_DROP_MALFORMED : out;
}

enum mdns_outcome mdns_handle_port_response(struct mdns_responder *r, const uint8_t *pkt,
					    size_t len, const struct mdns_meta *m)
{
	struct dns_header h;
	enum mdns_outcome o;

	if (!r || !pkt || !m)
		return MDNS_DROP_MALFORMED;
	mdns_silences_expire(r, m->now_ms);
	if (dns_msg_parse_header(pkt, len, &h) < 0)
		return MDNS_DROP_MALFORMED;
	/* RFC 6762 18.3, 18.11. */
	if (!m->port || !(h.flags & DNS_FLAG_QR) || dns_header_opcode(&h) != DNS_OPCODE_QUERY ||
	    dns_header_rcode(&h) != 0)
		return MDNS_DROP_IGNORED;
	o = mdns_walk_response(r, pkt, len, m, mdns_check_holder);
	/* The UDP socket counts the rest of this packet's fate. */
	if (o == MDNS_CONFLICT_SILENCED)
		r->n.outcome[o]++;
	return o;
}

void mdns_responder_renewed(struct mdns_responder *r, const char *name, uint32_t ip,
			    uint64_t now_ms)
{
	struct mdns_entry *e = r && name ? mdns_entry_find(r, name, strlen(name)) : NULL;

	if (!e || !e->silenced || e->ip != ip)
		return;
	mdns_silence_end(e, now_ms);
	log_sink_printf(&r->o.log, LOG_LEVEL_INFO, "mdns: %s.local: the lease was renewed; answering for it again",
			e->name);
}

/* Queries ---------------------------------------------------------------- */

/* Which of our records a question names, if any. */
static struct mdns_entry *mdns_question_entry(struct mdns_responder *r,
					      const uint8_t *name, size_t len, bool *reverse)
{
	const char *label;
	size_t label_len;
	uint32_t ip;

	*reverse = false;
	if (mdns_parse_host(name, len, &label, &label_len))
		return mdns_entry_find(r, label, label_len);
	if (mdns_parse_reverse(name, len, &ip) && mdns_in_subnet(r, ip)) {
		*reverse = true;
		return mdns_entry_by_ip(r, ip);
	}
	return NULL;
}

static void mdns_touch(struct mdns_responder *r, struct mdns_entry *e)
{
	if (e->gen != r->gen) {
		e->gen = r->gen;
		e->ka_mask = 0;
		e->ka6 = 0;
		e->ans_mask = 0;
	}
}

/* A known AAAA: which of the entry's addresses the querier has. */
static void mdns_known_aaaa(const struct mdns_responder *r, struct mdns_entry *e,
			    const uint8_t *pkt, const struct dns_rr *rr)
{
	struct mdns_aaaa a;

	if (rr->rdlength != 16)
		return;
	mdns_entry_aaaa(r, e, &a);
	for (size_t i = 0; i < a.n; i++)
		if (memcmp(a.addr[i], pkt + rr->rdata_off, 16) == 0)
			e->ka6 |= (uint8_t)(1u << i);
}

/* RFC 6762 7.1: a known answer with at least half our TTL left means the
 * querier has the record; with the same data only. */
static void mdns_known_answer(struct mdns_responder *r, const uint8_t *pkt, size_t len,
			      const struct dns_rr *rr)
{
	uint8_t name[DNS_NAME_MAX], target[DNS_NAME_MAX], host[DNS_NAME_MAX];
	size_t name_len, target_len, host_len, next;
	struct mdns_entry *e;
	bool reverse;

	if (rr->section != DNS_SECTION_ANSWER || dns_rr_class(rr) != DNS_CLASS_IN ||
	    rr->ttl < MDNS_TTL / 2 ||
	    dns_name_read(pkt, len, rr->name_off, name, &name_len, &next) < 0)
		return;
	e = mdns_question_entry(r, name, name_len, &reverse);
	if (!e || e->silenced)
		return;
	mdns_touch(r, e);
	if (!reverse && rr->type == DNS_TYPE_A && rr->rdlength == 4 &&
	    be32_get(pkt + rr->rdata_off) == e->ip)
		e->ka_mask |= 1u << MDNS_REC_A;
	if (!reverse && rr->type == DNS_TYPE_AAAA)
		mdns_known_aaaa(r, e, pkt, rr);
	host_len = mdns_host_name(e->name, e->len, host);
	if (reverse && rr->type == DNS_TYPE_PTR &&
	    dns_rr_name_at(pkt, len, rr, rr->rdata_off, target, &target_len, &next) == 0 &&
	    next == rr->end && dns_name_equal(target, target_len, host, host_len))
		e->ka_mask |= 1u << MDNS_REC_PTR;
	if (rr->type == DNS_TYPE_NSEC)
		e->ka_mask |= 1u << (reverse ? MDNS_REC_NSEC_REV : MDNS_REC_NSEC_HOST);
}

/* Walks the records after the questions: the known answers, and whether
 * it is a probe (RFC 6762 8.1: proposed records in the authority section). */
static int mdns_scan_records(struct mdns_responder *r, const uint8_t *pkt, size_t len,
			     bool *probe)
{
	struct dns_iter it;
	struct dns_rr rr;
	int rc;

	*probe = false;
	if (dns_iter_init(&it, pkt, len, NULL) < 0)
		return -EBADMSG;
	while ((rc = dns_iter_rr(&it, &rr)) == 1) {
		if (rr.section == DNS_SECTION_AUTHORITY)
			*probe = true;
		mdns_known_answer(r, pkt, len, &rr);
	}
	return rc;
}

static enum mdns_rec mdns_rec_for(bool reverse, uint16_t qtype, bool aaaa)
{
	if (reverse)
		return qtype == DNS_TYPE_PTR || qtype == DNS_TYPE_ANY ? MDNS_REC_PTR
								      : MDNS_REC_NSEC_REV;
	if (qtype == DNS_TYPE_AAAA && aaaa)
		return MDNS_REC_AAAA;
	return qtype == DNS_TYPE_A || qtype == DNS_TYPE_ANY ? MDNS_REC_A : MDNS_REC_NSEC_HOST;
}

/* RFC 6762 7.1 for one record; an AAAA set is known when all of it is. */
static bool mdns_known(const struct mdns_responder *r, const struct mdns_entry *e,
		       enum mdns_rec rec)
{
	struct mdns_aaaa a;

	if (rec != MDNS_REC_AAAA)
		return e->ka_mask & (1u << rec);
	mdns_entry_aaaa(r, e, &a);
	return a.n && (e->ka6 & ((1u << a.n) - 1)) == (1u << a.n) - 1;
}

struct mdns_query {
	const struct mdns_meta *m;
	bool legacy, probe;
	struct mdns_pick picks[MDNS_MAX_ANSWERS];
	size_t n_picks;
	bool rate_limited;
};

/* Decides where one record goes, or that it does not (RFC 6762 5.4, 6, 7.1). */
static void mdns_pick(struct mdns_responder *r, struct mdns_query *q, struct mdns_entry *e,
		      enum mdns_rec rec, bool qu)
{
	uint64_t now = q->m->now_ms, last = e->last_mcast[q->m->v6][rec];
	bool ever = e->mcast_mask[q->m->v6] & (1u << rec);
	bool unicast = q->legacy;

	mdns_touch(r, e);
	if (e->ans_mask & (1u << rec) || q->n_picks == MDNS_MAX_ANSWERS)
		return;
	if (!q->legacy && mdns_known(r, e, rec))
		return;
	/* 5.4: a QU question gets a unicast answer, unless the record has
	 * not been multicast within a quarter of its TTL. */
	if (qu && ever && last + MDNS_TTL * 1000 / 4 > now)
		unicast = true;
	/* 6: once a second per record on the link, except to defend (8.1). */
	if (!unicast && ever && last + MDNS_RECORD_GAP_MS > now && !q->probe) {
		q->rate_limited = true;
		return;
	}
	e->ans_mask |= 1u << rec;
	q->picks[q->n_picks++] = (struct mdns_pick){ e, rec, unicast };
}

static int mdns_pick_all(struct mdns_responder *r, const uint8_t *pkt, size_t len,
			 struct mdns_query *q)
{
	struct dns_question qn;
	struct mdns_entry *e;
	struct dns_iter it;
	bool reverse, aaaa;
	int rc;

	if (dns_iter_init(&it, pkt, len, NULL) < 0)
		return -EBADMSG;
	while ((rc = dns_iter_question(&it, &qn)) == 1) {
		uint16_t cls = qn.qclass & DNS_CLASS_MASK;

		if (cls != DNS_CLASS_IN && cls != DNS_CLASS_ANY)
			continue;
		e = mdns_question_entry(r, qn.name, qn.name_len, &reverse);
		if (!e || e->silenced)
			continue;
		aaaa = !reverse && mdns_has_aaaa(r, e);
		mdns_pick(r, q, e, mdns_rec_for(reverse, qn.qtype, aaaa), dns_question_qu(&qn));
		if (aaaa && qn.qtype == DNS_TYPE_ANY)
			mdns_pick(r, q, e, MDNS_REC_AAAA, dns_question_qu(&qn));
	}
	return rc;
}

/* The reply budget: a token bucket, MDNS_REPLY_RATE a second, and the
 * source's own, MDNS_SOURCE_RATE. */
static bool mdns_budget(struct mdns_responder *r, unsigned share, uint64_t now_ms,
			unsigned packets)
{
	uint64_t cap = (uint64_t)MDNS_REPLY_BURST * 1000;

	if (now_ms > r->tokens_at_ms) {
		r->tokens_ms += (now_ms - r->tokens_at_ms) * MDNS_REPLY_RATE;
		if (r->tokens_ms > cap)
			r->tokens_ms = cap;
		r->tokens_at_ms = now_ms;
	}
	if (r->tokens_ms < (uint64_t)packets * 1000 ||
	    !src_share_take(&r->share, share, now_ms, packets))
		return false;
	r->tokens_ms -= (uint64_t)packets * 1000;
	return true;
}

static bool mdns_picked(const struct mdns_query *q, const struct mdns_entry *e,
			enum mdns_rec rec, bool unicast)
{
	for (size_t i = 0; i < q->n_picks; i++)
		if (q->picks[i].e == e && q->picks[i].rec == rec && q->picks[i].unicast == unicast)
			return true;
	return false;
}

/* The other family's record for an address answer, if not an answer
 * itself: AAAA (or an NSEC saying there is none) beside A, A beside AAAA. */
static enum mdns_rec mdns_additional_for(const struct mdns_responder *r,
					 const struct mdns_query *q, const struct mdns_pick *p)
{
	enum mdns_rec want;

	if (p->rec == MDNS_REC_AAAA)
		want = MDNS_REC_A;
	else if (p->rec == MDNS_REC_A)
		want = mdns_has_aaaa(r, p->e) ? MDNS_REC_AAAA : MDNS_REC_NSEC_HOST;
	else
		return MDNS_REC_COUNT;
	return mdns_picked(q, p->e, want, p->unicast) ? MDNS_REC_COUNT : want;
}

/* RFC 6762 6.2: additional records, as many as fit; none is promised, so
 * a full packet just ends them (no TC). */
static void mdns_build_additional(const struct mdns_responder *r, struct dns_builder *b,
				  const struct mdns_query *q, bool unicast, uint32_t ttl)
{
	for (size_t i = 0; i < q->n_picks; i++) {
		const struct mdns_pick *p = &q->picks[i];
		enum mdns_rec rec;

		if (p->unicast != unicast)
			continue;
		rec = mdns_additional_for(r, q, p);
		if (rec != MDNS_REC_COUNT &&
		    mdns_write_rec(r, b, DNS_SECTION_ADDITIONAL, p->e, rec, ttl, !q->legacy) < 0)
			return;
	}
}

/* The picks bound for one destination, into buf. Returns the length. */
static size_t mdns_build(struct mdns_responder *r, const uint8_t *pkt, size_t len,
			 struct mdns_query *q, bool unicast, uint8_t *buf, size_t size)
{
	struct dns_header h = { 0 };
	struct dns_builder b;
	struct dns_question qn;
	struct dns_iter it;
	uint32_t ttl = q->legacy ? MDNS_LEGACY_TTL : MDNS_TTL;

	/* 6.7: legacy answers echo the ID and the questions; 18.1: others
	 * have ID 0 and no question. */
	if (dns_iter_init(&it, pkt, len, &h) < 0 ||
	    dns_builder_init(&b, buf, size, q->legacy ? h.id : 0, DNS_FLAG_QR | DNS_FLAG_AA) < 0)
		return 0;
	while (q->legacy && dns_iter_question(&it, &qn) == 1) {
		if (dns_builder_question(&b, qn.name, qn.name_len, qn.qtype, qn.qclass) < 0) {
			dns_builder_set_tc(&b);
			break;
		}
	}
	for (size_t i = 0; i < q->n_picks; i++) {
		const struct mdns_pick *p = &q->picks[i];

		if (p->unicast != unicast)
			continue;
		/* 6.7: no cache-flush bit in legacy answers. */
		if (mdns_write_rec(r, &b, DNS_SECTION_ANSWER, p->e, p->rec, ttl, !q->legacy) < 0) {
			dns_builder_set_tc(&b);
			return dns_builder_len(&b);
		}
		if (!unicast) {
			p->e->last_mcast[q->m->v6][p->rec] = q->m->now_ms;
			p->e->mcast_mask[q->m->v6] |= 1u << p->rec;
		}
	}
	mdns_build_additional(r, &b, q, unicast, ttl);
	return dns_builder_len(&b);
}

static enum mdns_outcome mdns_handle_query(struct mdns_responder *r, const uint8_t *pkt,
					   size_t len, const struct mdns_meta *m,
					   struct mdns_out *out)
{
	struct mdns_query q = { .m = m, .legacy = m->sport != MDNS_PORT };
	unsigned share = src_share_find(&r->share, mdns_source_key(m), m->now_ms);
	size_t n_uni = 0, n_multi;

	/* Before any parsing: a flood costs a lookup a packet. */
	if (src_share_spent(&r->share, share, m->now_ms))
		return MDNS_DROP_SOURCE_LIMITED;
	r->gen++;
	if (mdns_scan_records(r, pkt, len, &q.probe) < 0 || mdns_pick_all(r, pkt, len, &q) < 0)
		return MDNS_DROP_MALFORMED;
	if (!q.n_picks)
		return q.rate_limited ? MDNS_DROP_RATE_LIMITED : MDNS_DROP_NO_ANSWER;
	for (size_t i = 0; i < q.n_picks; i++)
		n_uni += q.picks[i].unicast;
	n_multi = q.n_picks - n_uni;
	if (!mdns_budget(r, share, m->now_ms, (n_uni > 0) + (n_multi > 0)))
		return MDNS_DROP_RATE_LIMITED;
	out->ucast_len = out->mcast_len = 0;
	if (n_uni)
		out->ucast_len = mdns_build(r, pkt, len, &q, true, out->ucast,
					    q.legacy ? MDNS_LEGACY_MAX : sizeof(out->ucast));
	if (n_multi) {
		out->mcast_len = mdns_build(r, pkt, len, &q, false, out->mcast,
					    sizeof(out->mcast));
		mdns_remember(r, out->mcast, out->mcast_len, m->now_ms);
	}
	if (q.legacy)
		return MDNS_ANSWER_LEGACY;
	if (n_uni && n_multi)
		return MDNS_ANSWER_BOTH;
	return n_uni ? MDNS_ANSWER_UNICAST : MDNS_ANSWER_MULTICAST;
}

/* Debug lines for dropped packets, at most one a second. */
static void mdns_log_drop(struct mdns_responder *r, const struct mdns_meta *m,
			  enum mdns_outcome o)
{
	char src[INET6_ADDRSTRLEN];

	if (o != MDNS_DROP_OFF_SUBNET && o != MDNS_DROP_NOT_OUR_LINK && o != MDNS_DROP_MALFORMED)
		return;
	if (r->drop_logged && r->last_drop_log_ms + MDNS_LOG_GAP_MS > m->now_ms)
		return;
	r->drop_logged = true;
	r->last_drop_log_ms = m->now_ms;
	mdns_src_text(m, src);
	log_sink_printf(&r->o.log, LOG_LEVEL_DEBUG, "mdns: %s from %s port %u (ifindex %u, TTL %d)", mdns_outcome_name(o), src,
		 m->sport, m->ifindex, m->ttl);
}

/* RFC 6762 11: what is not sent to the group must come from the link;
 * legacy unicast is no exception (avahi's CVE-2017-6519). Over IPv6 the
 * link is fe80::/10 and the guests' prefix. */
static bool mdns_from_link(const struct mdns_responder *r, const struct mdns_meta *m)
{
	static const uint8_t group6[16] = MDNS_GROUP6;

	if (!m->v6)
		return m->dst == MDNS_GROUP || mdns_in_subnet(r, m->src);
	return memcmp(m->dst6, group6, 16) == 0 || addr6_link_local(m->src6) ||
	       addr6_in_prefix(m->src6, r->o.prefix6, r->o.prefix6_len);
}

static enum mdns_outcome mdns_classify(struct mdns_responder *r, const uint8_t *pkt,
				       size_t len, const struct mdns_meta *m,
				       struct mdns_out *out)
{
	struct dns_header h;

	if (m->ifindex != r->o.ifindex)
		return MDNS_DROP_NOT_OUR_LINK;
	if (!mdns_from_link(r, m))
		return MDNS_DROP_OFF_SUBNET;
	if (dns_msg_parse_header(pkt, len, &h) < 0)
		return MDNS_DROP_MALFORMED;
	if (h.flags & DNS_FLAG_QR) {
		/* Over IPv6 the bridge's own source is its link-local
		 * address, which the responder does not know: bytes alone. */
		if ((m->v6 || m->src == r->o.gateway) && mdns_is_own(r, pkt, len, m->now_ms))
			return MDNS_DROP_OWN_LOOP;
		/* IP TTL 0 never crossed a link (RFC 1112 6.1): one of our
		 * copies for the host's resolver, from a guest's address. */
		if (m->ttl == 0)
			return MDNS_DROP_OWN_LOOP;
	}
	/* RFC 6762 18.3, 18.11. */
	if (dns_header_opcode(&h) != DNS_OPCODE_QUERY || dns_header_rcode(&h) != 0)
		return MDNS_DROP_IGNORED;
	if (h.flags & DNS_FLAG_QR)
		return mdns_walk_response(r, pkt, len, m, mdns_check_a);
	return mdns_handle_query(r, pkt, len, m, out);
}

enum mdns_outcome mdns_handle(struct mdns_responder *r, const uint8_t *pkt, size_t len,
			      const struct mdns_meta *m, struct mdns_out *out)
{
	enum mdns_outcome o;

	if (!r || !pkt || !m || !out)
		return MDNS_DROP_MALFORMED;
	mdns_silences_expire(r, m->now_ms);
	o = mdns_classify(r, pkt, len, m, out);
	r->n.outcome[o]++;
	mdns_log_drop(r, m, o);
	return o;
}

/* Life cycle ----------------------------------------------------------------- */

int mdns_responder_new(struct mdns_responder **rp, const struct mdns_responder_opts *o,
		       uint64_t now_ms)
{
	struct name_table_iter it = { 0 };
	struct mdns_responder *r;
	const char *name;
	uint32_t ip;

	if (!rp || !o || !o->names || o->subnet_len > 32 || o->prefix6_len > 128)
		return -EINVAL;
	r = calloc(1, sizeof(*r));
	if (!r)
		return -ENOMEM;
	r->o = *o;
	r->o.subnet_addr &= o->subnet_len ? UINT32_MAX << (32 - o->subnet_len) : 0;
	r->tokens_ms = (uint64_t)MDNS_REPLY_BURST * 1000;
	r->silence_end = UINT64_MAX;
	r->tokens_at_ms = now_ms;
	src_share_init(&r->share, MDNS_SOURCE_RATE, MDNS_SOURCE_BURST, arc4random());
	while (name_table_next(o->names, &it, &name, &ip))
		mdns_responder_name_event(r, name, ip, true, now_ms);
	*rp = r;
	return 0;
}

void mdns_responder_free(struct mdns_responder *r)
{
	if (!r)
		return;
	for (size_t b = 0; b < MDNS_BUCKETS; b++) {
		struct mdns_entry *e = r->buckets[b];

		while (e) {
			struct mdns_entry *next = e->next;

			free(e);
			e = next;
		}
	}
	free(r->goodbyes);
	free(r);
}

void mdns_responder_counters(const struct mdns_responder *r, struct mdns_counters *c)
{
	*c = r->n;
	c->names = r->n_entries;
	c->silenced = 0;
	for (size_t b = 0; b < MDNS_BUCKETS; b++)
		for (const struct mdns_entry *e = r->buckets[b]; e; e = e->next)
			c->silenced += e->silenced;
}

/* Host copies --------------------------------------------------------------- */

uint32_t mdns_responder_host_copy_source(const struct mdns_responder *r, const uint8_t *pkt,
					 size_t len)
{
	struct dns_iter it;
	struct dns_rr rr;
	uint32_t ip;

	if (dns_iter_init(&it, pkt, len, NULL) < 0)
		return 0;
	while (dns_iter_rr(&it, &rr) == 1) {
		if (rr.section != DNS_SECTION_ANSWER || rr.type != DNS_TYPE_A ||
		    dns_rr_class(&rr) != DNS_CLASS_IN || rr.rdlength != 4)
			continue;
		ip = be32_get(pkt + rr.rdata_off);
		if (ip != r->o.gateway && mdns_in_subnet(r, ip))
			return ip;
	}
	return 0;
}
