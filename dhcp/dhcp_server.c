/* The DHCPv4 server policy: see dhcp_server.h.
 *
 * Per pool address the server keeps one byte of state (probing, probed
 * free, found in use, offered); the leases themselves live in the store.
 * Probes in flight and addresses probed free are FIFO rings (every probe
 * waits the same time, so deadlines come in order); a ring entry whose
 * state bit was cleared meanwhile is stale and skipped when it comes out.
 * Offers are an open-addressing table keyed by a hash of the client's key
 * (linear probing, backward-shift deletion) with a FIFO of their ends. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/random.h>

#include "dhcp_server.h"
#include "log_limit.h"
#include "port_leases.h"

#define DHCP_ST_EXCLUDED 0x01   /* the gateway */
#define DHCP_ST_PROBING 0x02
#define DHCP_ST_READY 0x04      /* probed, nobody answered */
#define DHCP_ST_IN_USE 0x08     /* somebody answered, or claimed it in ARP */
#define DHCP_ST_OFFERED 0x10

/* Addresses looked at per scan for a fresh one. */
#define DHCP_SCAN_BUDGET 1024
/* A pool without a fresh address is scanned again after this. */
#define DHCP_SCAN_RETRY_MS 1000
/* How often the probe refill runs while it is short of its target. */
#define DHCP_REFILL_MS 20
/* New probes per refill, at most; a refill that stops here goes on at the
 * next tick, at once, after the loop has served what came meanwhile.
 * 2,048 ARP frames take about 1.3 ms to send: in one go at start they
 * came before the first DNS answer. */
#define DHCP_REFILL_BATCH 64
#define DHCP_NAME_PRINT_MAX 64

struct dhcp_slot {              /* a ring entry */
	uint32_t ip;
	uint8_t mac[6];         /* in-use ring: who claimed it */
	uint64_t at;            /* deadline, or when it was probed */
};

struct dhcp_ring {
	struct dhcp_slot *v;
	uint32_t head, len, cap;
};

struct dhcp_offer {
	uint64_t client;        /* 0: empty slot */
	uint64_t until;
	uint32_t ip;
	uint32_t seq;
};

struct dhcp_offer_end {
	uint64_t client;
	uint64_t until;
	uint32_t seq;
};

struct dhcp_bucket {
	uint64_t tokens;        /* thousandths of a lease */
	uint64_t last_ms;
	struct log_limit refusals;
	bool used;
};

struct dhcp_port_bucket {
	unsigned port;
	uint64_t used_ms;
	struct dhcp_bucket b;
};

struct dhcp_server {
	struct lease_store *store;
	struct dhcp_server_ops ops;
	void *ctx;
	uint64_t seed;

	uint32_t server_ip, net, mask, bcast;
	uint32_t old_server_ip;
	uint32_t pool_first, pool_last, pool_size;
	uint32_t lease_time;
	uint32_t rate, rate_port;
	uint16_t mtu;
	char domain[DHCP_NAME_MAX + 1];
	char host_name[LEASE_HOSTNAME_MAX + 1];
	struct dhcp_reservation *res;   /* sorted by MAC */
	uint32_t *res_ip;               /* indices of res, sorted by address */
	size_t n_res;

	uint8_t *st;                    /* per pool address */
	struct dhcp_ring probing, ready, in_use;
	uint32_t cursor;
	uint32_t reserve_left;          /* DHCP_PROBE_RESERVE probes to start */
	bool refill_more;               /* the last refill stopped at DHCP_REFILL_BATCH */
	uint32_t quick_left;            /* probes still to wait the quick wait */
	uint32_t scan_missed;
	uint64_t scan_after;
	uint64_t demand_window, demand_count, demand_rate;
	uint64_t tick_ms;               /* the last dhcp_server_tick() */

	struct dhcp_offer *offers;
	uint32_t offer_mask, n_offers, offer_seq;
	struct dhcp_offer_end *ends;
	uint32_t ends_head, ends_len;

	struct dhcp_bucket global, exhausted, port_full;
	uint32_t leases_port;           /* cap per port, 0: none */
	struct port_leases pl;
	struct dhcp_port_bucket ports[DHCP_PORT_BUCKETS];
	struct log_limit wrong_port;

	uint64_t next_expiry;
	struct dhcp_server_stats stats;
};

/* One request being handled. */
struct dhcp_client {
	const struct dhcp_msg *msg;
	const struct dhcp_meta *meta;
	const uint8_t *mac;
	const uint8_t *cid;
	size_t cid_len;
	uint64_t key;
	const struct lease *lease;      /* its lease (maybe expired), or NULL */
	bool has_res;
	uint32_t res_ip;
	const char *res_name;
};

enum dhcp_choice {
	DHCP_CHOSEN,
	DHCP_CHOSEN_NEW,                /* a new allocation: takes a token */
	DHCP_CHOICE_DEFER,
	DHCP_CHOICE_LIMITED,
	DHCP_CHOICE_NONE,
};

/* ------------------------------------------------------------ helpers */

static bool dhcp_mac_ok(const uint8_t *mac)
{
	static const uint8_t zero[6];

	/* Group addresses (I/G bit) and all zeros are nobody's. */
	return !(mac[0] & 1) && memcmp(mac, zero, 6) != 0;
}

static uint64_t dhcp_hash(uint64_t seed, uint8_t tag, const uint8_t *p, size_t n)
{
	uint64_t h = (seed ^ 0xcbf29ce484222325ull) ^ ((uint64_t)tag << 8 | n);
	size_t i;

	for (i = 0; i < n; i++)
		h = (h ^ p[i]) * 0x100000001b3ull;
	h ^= h >> 33;
	h *= 0xff51afd7ed558ccdull;
	h ^= h >> 33;
	return h | 1;   /* never 0: 0 marks an empty offer slot */
}

static bool dhcp_in_subnet(const struct dhcp_server *srv, uint32_t ip)
{
	return (ip & srv->mask) == srv->net && ip != srv->net && ip != srv->bcast;
}

static bool dhcp_in_pool(const struct dhcp_server *srv, uint32_t ip)
{
	return ip >= srv->pool_first && ip <= srv->pool_last && ip != srv->server_ip;
}

static uint8_t *dhcp_state(const struct dhcp_server *srv, uint32_t ip)
{
	static uint8_t none;

	if (ip < srv->pool_first || ip > srv->pool_last) {
		none = 0;
		return &none;
	}
	return &srv->st[ip - srv->pool_first];
}

static void dhcp_emit(struct dhcp_server *srv, enum dhcp_event_kind kind, uint32_t ip,
		      const uint8_t *mac, const char *hostname, const char *reason,
		      unsigned port)
{
	struct dhcp_event ev = {
		.kind = kind, .ip = ip, .hostname = hostname ? hostname : "",
		.reason = reason ? reason : "", .port = port,
	};

	if (mac)
		memcpy(ev.mac, mac, 6);
	if (srv->ops.event)
		srv->ops.event(srv->ctx, &ev);
}

static enum dhcp_outcome dhcp_ignore(struct dhcp_server *srv, const struct dhcp_client *cl,
				     const char *why)
{
	srv->stats.ignored++;
	dhcp_emit(srv, DHCP_EV_IGNORED, 0, cl->mac, NULL, why, cl->meta->port);
	return DHCP_OUTCOME_IGNORE;
}

/* --------------------------------------------------------------- rings */

static int dhcp_ring_init(struct dhcp_ring *r, uint32_t cap)
{
	r->v = calloc(cap, sizeof(*r->v));
	r->cap = cap;
	r->head = r->len = 0;
	return r->v ? 0 : -ENOMEM;
}

static struct dhcp_slot *dhcp_ring_front(const struct dhcp_ring *r)
{
	return r->len ? &r->v[r->head] : NULL;
}

static void dhcp_ring_pop(struct dhcp_ring *r)
{
	r->head = (r->head + 1) % r->cap;
	r->len--;
}

static bool dhcp_ring_push(struct dhcp_ring *r, uint32_t ip, uint64_t at, const uint8_t *mac)
{
	struct dhcp_slot *s;

	if (r->len == r->cap)
		return false;
	s = &r->v[(r->head + r->len) % r->cap];
	s->ip = ip;
	s->at = at;
	if (mac)
		memcpy(s->mac, mac, 6);
	else
		memset(s->mac, 0, 6);
	r->len++;
	return true;
}

/* -------------------------------------------------------- reservations */

static int dhcp_res_cmp_mac(const void *a, const void *b)
{
	return memcmp(((const struct dhcp_reservation *)a)->mac,
		      ((const struct dhcp_reservation *)b)->mac, 6);
}

static const struct dhcp_reservation *dhcp_cfg_res_mac(const struct dhcp_server *srv,
							const uint8_t mac[6])
{
	struct dhcp_reservation k;

	/* bsearch() must not be given a null array, even an empty one. */
	if (!srv->n_res)
		return NULL;
	memcpy(k.mac, mac, 6);
	return bsearch(&k, srv->res, srv->n_res, sizeof(k), dhcp_res_cmp_mac);
}

static const struct dhcp_reservation *dhcp_cfg_res_ip(const struct dhcp_server *srv, uint32_t ip)
{
	size_t lo = 0, hi = srv->n_res, mid;

	while (lo < hi) {
		mid = lo + (hi - lo) / 2;
		if (srv->res[srv->res_ip[mid]].ip < ip)
			lo = mid + 1;
		else
			hi = mid;
	}
	if (lo < srv->n_res && srv->res[srv->res_ip[lo]].ip == ip)
		return &srv->res[srv->res_ip[lo]];
	return NULL;
}

/* The reservation of mac: the configuration's first, then the store's. */
static bool dhcp_res_of_mac(const struct dhcp_server *srv, const uint8_t mac[6],
			    uint32_t *ip, const char **name)
{
	const struct dhcp_reservation *c = dhcp_cfg_res_mac(srv, mac);
	const struct lease_reservation *s;

	if (c) {
		*ip = c->ip;
		*name = c->name;
		return true;
	}
	s = lease_store_reservation_mac(srv->store, mac);
	if (!s)
		return false;
	*ip = s->ip;
	*name = s->name;
	return true;
}

/* The MAC ip is reserved for, or NULL. */
static const uint8_t *dhcp_res_of_ip(const struct dhcp_server *srv, uint32_t ip)
{
	const struct dhcp_reservation *c = dhcp_cfg_res_ip(srv, ip);
	const struct lease_reservation *s;

	if (c)
		return c->mac;
	s = lease_store_reservation_ip(srv->store, ip);
	return s ? s->mac : NULL;
}

static bool dhcp_name_reserved_by_other(const struct dhcp_server *srv, const char *name,
					const uint8_t mac[6])
{
	const struct lease_reservation *s;
	size_t i, cur = 0;

	for (i = 0; i < srv->n_res; i++)
		if (strcasecmp(srv->res[i].name, name) == 0 && memcmp(srv->res[i].mac, mac, 6))
			return true;
	while ((s = lease_store_reservation_next(srv->store, &cur)))
		if (strcasecmp(s->name, name) == 0 && memcmp(s->mac, mac, 6))
			return true;
	return false;
}

/* -------------------------------------------------------------- offers */

static struct dhcp_offer *dhcp_offer_slot(const struct dhcp_server *srv, uint64_t client)
{
	uint32_t i = (uint32_t)client & srv->offer_mask;

	while (srv->offers[i].client) {
		if (srv->offers[i].client == client)
			return &srv->offers[i];
		i = (i + 1) & srv->offer_mask;
	}
	return NULL;
}

/* Backward-shift deletion keeps every probe chain unbroken. */
static void dhcp_offer_erase(struct dhcp_server *srv, struct dhcp_offer *o)
{
	uint32_t i = (uint32_t)(o - srv->offers), j = i, home;
	struct dhcp_offer *v = srv->offers;

	*dhcp_state(srv, o->ip) &= (uint8_t)~DHCP_ST_OFFERED;
	for (;;) {
		j = (j + 1) & srv->offer_mask;
		if (!v[j].client)
			break;
		home = (uint32_t)v[j].client & srv->offer_mask;
		/* v[j] may move to i unless its home lies in (i, j]. */
		if ((j > i && (home <= i || home > j)) || (j < i && home <= i && home > j)) {
			v[i] = v[j];
			i = j;
		}
	}
	v[i].client = 0;
	srv->n_offers--;
}

static void dhcp_offer_drop(struct dhcp_server *srv, uint64_t client)
{
	struct dhcp_offer *o = dhcp_offer_slot(srv, client);

	if (o)
		dhcp_offer_erase(srv, o);
}

static void dhcp_offer_end_pop(struct dhcp_server *srv)
{
	struct dhcp_offer_end *e = &srv->ends[srv->ends_head];
	struct dhcp_offer *o = dhcp_offer_slot(srv, e->client);

	/* A later offer to the same client has its own end. */
	if (o && o->seq == e->seq)
		dhcp_offer_erase(srv, o);
	srv->ends_head = (srv->ends_head + 1) % DHCP_OFFER_MAX;
	srv->ends_len--;
}

/* The address offered to client, if the offer still holds. */
static bool dhcp_offer_of(const struct dhcp_server *srv, uint64_t client, uint64_t now,
			  uint32_t *ip)
{
	const struct dhcp_offer *o = dhcp_offer_slot(srv, client);

	if (!o || o->until <= now)
		return false;
	*ip = o->ip;
	return true;
}

static void dhcp_offer_add(struct dhcp_server *srv, uint64_t client, uint32_t ip, uint64_t now)
{
	struct dhcp_offer *o;
	uint32_t i;

	dhcp_offer_drop(srv, client);
	if (srv->ends_len == DHCP_OFFER_MAX)
		dhcp_offer_end_pop(srv);
	i = (uint32_t)client & srv->offer_mask;
	while (srv->offers[i].client)
		i = (i + 1) & srv->offer_mask;
	o = &srv->offers[i];
	o->client = client;
	o->ip = ip;
	o->until = now + DHCP_OFFER_HOLD_MS;
	o->seq = ++srv->offer_seq;
	srv->n_offers++;
	*dhcp_state(srv, ip) |= DHCP_ST_OFFERED;
	srv->ends[(srv->ends_head + srv->ends_len) % DHCP_OFFER_MAX] =
		(struct dhcp_offer_end){ client, o->until, o->seq };
	srv->ends_len++;
}

static void dhcp_offers_expire(struct dhcp_server *srv, uint64_t now)
{
	while (srv->ends_len && srv->ends[srv->ends_head].until <= now)
		dhcp_offer_end_pop(srv);
}

/* --------------------------------------------------------- rate limits */

/* A bucket holds one second of new leases (the burst) and refills at the
 * rate. Fixed point: a lease is 1000 tokens, so refill is rate per ms. */
static void dhcp_bucket_refill(struct dhcp_bucket *b, uint32_t rate, uint64_t now)
{
	uint64_t cap = (uint64_t)rate * 1000, dt;

	if (!b->used) {
		b->used = true;
		b->tokens = cap;
		b->last_ms = now;
		return;
	}
	dt = now > b->last_ms ? now - b->last_ms : 0;
	b->last_ms = now;
	b->tokens = dt >= 1000 ? cap : b->tokens + dt * rate;
	if (b->tokens > cap)
		b->tokens = cap;
}

/* Counts a refusal; reports once per DHCP_LIMIT_LOG_MS. */
static void dhcp_bucket_refuse(struct dhcp_server *srv, struct dhcp_bucket *b,
			       enum dhcp_event_kind kind, const struct dhcp_client *cl,
			       unsigned port, const char *why)
{
	struct dhcp_event ev = { .kind = kind, .hostname = "", .reason = why, .port = port };
	uint64_t held;

	if (!log_limit_due(&b->refusals, cl->meta->now_ms, DHCP_LIMIT_LOG_MS, &held))
		return;
	memcpy(ev.mac, cl->mac, 6);
	ev.count = held + 1;
	if (srv->ops.event)
		srv->ops.event(srv->ctx, &ev);
}

static struct dhcp_bucket *dhcp_port_bucket(struct dhcp_server *srv, unsigned port, uint64_t now)
{
	struct dhcp_port_bucket *p, *lru = &srv->ports[0];
	size_t i;

	for (i = 0; i < DHCP_PORT_BUCKETS; i++) {
		p = &srv->ports[i];
		if (p->port == port && p->b.used) {
			p->used_ms = now;
			return &p->b;
		}
		if (!p->b.used || p->used_ms < lru->used_ms)
			lru = p;
	}
	memset(lru, 0, sizeof(*lru));
	lru->port = port;
	lru->used_ms = now;
	return &lru->b;
}

/* Is the client's port at its cap, so that it may not have a new lease
 * at ip (0: any)? A lease the port holds on ip already is no new one. */
static bool dhcp_port_full(struct dhcp_server *srv, const struct dhcp_client *cl, uint32_t ip)
{
	unsigned port = cl->meta->port;

	if (!srv->leases_port || !port ||
	    port_leases_count(&srv->pl, port) < srv->leases_port ||
	    (ip && dhcp_in_pool(srv, ip) &&
	     port_leases_port_of(&srv->pl, ip - srv->pool_first) == port))
		return false;
	srv->stats.port_full++;
	dhcp_bucket_refuse(srv, &srv->port_full, DHCP_EV_PORT_FULL, cl, port,
			   "the port holds LeasesPerPort= leases");
	return true;
}

/* Pool address ip is leased from port now (0: not, or a reservation). */
static void dhcp_port_lease(struct dhcp_server *srv, uint32_t ip, unsigned port)
{
	if (dhcp_in_pool(srv, ip))
		port_leases_set(&srv->pl, ip - srv->pool_first, port);
}

/* May this client get a new lease now? Takes nothing yet. */
static bool dhcp_limit_allows(struct dhcp_server *srv, const struct dhcp_client *cl)
{
	uint64_t now = cl->meta->now_ms;
	unsigned port = cl->meta->port;
	struct dhcp_bucket *b;

	if (dhcp_port_full(srv, cl, 0))
		return false;
	if (srv->rate) {
		dhcp_bucket_refill(&srv->global, srv->rate, now);
		if (srv->global.tokens < 1000) {
			srv->stats.rate_limited++;
			dhcp_bucket_refuse(srv, &srv->global, DHCP_EV_RATE_LIMITED, cl, 0,
					   "global new-lease rate limit");
			return false;
		}
	}
	if (srv->rate_port && port) {
		b = dhcp_port_bucket(srv, port, now);
		dhcp_bucket_refill(b, srv->rate_port, now);
		if (b->tokens < 1000) {
			srv->stats.rate_limited++;
			dhcp_bucket_refuse(srv, b, DHCP_EV_RATE_LIMITED, cl, port,
					   "per-port new-lease rate limit");
			return false;
		}
	}
	return true;
}

static void dhcp_limit_take(struct dhcp_server *srv, const struct dhcp_client *cl)
{
	struct dhcp_bucket *b;

	if (srv->rate && srv->global.tokens >= 1000)
		srv->global.tokens -= 1000;
	if (srv->rate_port && cl->meta->port) {
		b = dhcp_port_bucket(srv, cl->meta->port, cl->meta->now_ms);
		if (b->tokens >= 1000)
			b->tokens -= 1000;
	}
}

/* -------------------------------------------------------------- probes */

/* The demand for fresh addresses per second: last second's count, or a
 * slow decay of the past (an eighth a second), so that a pause in a burst
 * does not empty the probed set. */
static void dhcp_demand(struct dhcp_server *srv, uint64_t now)
{
	if (now >= srv->demand_window + 1000) {
		uint64_t decayed = srv->demand_rate - srv->demand_rate / 8;

		if (decayed < 8)
			decayed = 0;
		srv->demand_rate = srv->demand_count > decayed ? srv->demand_count : decayed;
		srv->demand_count = 0;
		srv->demand_window = now;
	}
}

/* Fresh addresses per second wanted now: last second's rate, or this
 * second's so far, extrapolated (a burst from idle is seen within a
 * refill, not after a second of deferred DISCOVERs). */
static uint64_t dhcp_demand_now(const struct dhcp_server *srv)
{
	uint64_t elapsed = srv->tick_ms > srv->demand_window ? srv->tick_ms - srv->demand_window : 0;
	uint64_t r = srv->demand_rate > srv->demand_count ? srv->demand_rate : srv->demand_count;
	uint64_t est;

	if (elapsed < DHCP_DEMAND_MIN_MS)
		elapsed = DHCP_DEMAND_MIN_MS;
	est = srv->demand_count * 1000 / elapsed;
	return est > r ? est : r;
}

/* How many addresses to keep probed or in probing: what half a second of
 * the demand for fresh addresses takes (two probe waits), none when idle
 * (beyond the reserve set once), so an idle bridge sees no ARP from us. */
static uint32_t dhcp_probe_target(const struct dhcp_server *srv)
{
	uint64_t r = dhcp_demand_now(srv);
	uint64_t t = r ? r * 2 * DHCP_PROBE_WAIT_MS / 1000 + 8 : 0;

	if (t < srv->reserve_left)
		t = srv->reserve_left;
	/* Half the pool at most: probing a small pool whole would leave no
	 * fresh address to scan for (and the scan pauses) when one is freed. */
	if (t > srv->pool_size / 2)
		t = srv->pool_size / 2;

	return t > DHCP_PROBE_MAX ? DHCP_PROBE_MAX : (uint32_t)t;
}

/* A pool address nobody holds, has held, or is probing: a fresh one. */
static bool dhcp_scan(struct dhcp_server *srv, uint64_t now, uint32_t *out)
{
	uint32_t n, idx, ip;

	if (now < srv->scan_after || !srv->pool_size)
		return false;
	for (n = 0; n < DHCP_SCAN_BUDGET && n < srv->pool_size; n++) {
		idx = srv->cursor;
		srv->cursor = (srv->cursor + 1) % srv->pool_size;
		ip = srv->pool_first + idx;
		if (srv->st[idx] || lease_store_find_ip(srv->store, ip) ||
		    dhcp_res_of_ip(srv, ip) || lease_store_quarantined(srv->store, ip, now))
			continue;
		srv->scan_missed = 0;
		*out = ip;
		return true;
	}
	srv->scan_missed += n;
	if (srv->scan_missed >= srv->pool_size) {
		srv->scan_missed = 0;
		srv->scan_after = now + DHCP_SCAN_RETRY_MS;
	}
	return false;
}

/* How long the next probe waits for an answer. RFC 2131 4.4.1 says only
 * that a server SHOULD probe before it offers; RFC 5227's one to two
 * seconds are for a host claiming an address for itself. A guest on the
 * bridge answers ARP in well under a millisecond (a container's kernel in
 * the softirq that delivers the request, a VM's once its vCPU runs, and
 * the bridge is local), and the I/O layer reads
 * every answer already queued before it lets a wait end, so a busy loop
 * does not shorten the wait. The first DHCP_PROBE_QUICK probes after a
 * pool is set, the ones the first guests after a start wait for, take
 * DHCP_PROBE_QUICK_WAIT_MS; the rest, made ahead of need where the wait
 * costs nobody anything, keep the margin of DHCP_PROBE_WAIT_MS for a
 * guest slowed by a loaded host. An answer later than the wait still
 * counts: the address is marked in use (dhcp_server_arp), so a REQUEST
 * for it from anyone else is NAKed (dhcp_blocked) and the client starts
 * over with another address; after an ACK the client's own check (RFC
 * 2131 4.4.1, DHCPDECLINE) puts it in quarantine. The quick probes are
 * the first in the probing ring after a new pool emptied it, so deadlines
 * still come out in order. */
static uint64_t dhcp_probe_wait(struct dhcp_server *srv)
{
	if (!srv->quick_left)
		return DHCP_PROBE_WAIT_MS;
	srv->quick_left--;
	return DHCP_PROBE_QUICK_WAIT_MS;
}

static bool dhcp_probe_start(struct dhcp_server *srv, uint32_t ip, uint64_t now)
{
	/* A full ring: no probe, and no quick wait spent on none. */
	if (srv->probing.len == srv->probing.cap)
		return false;
	if (!dhcp_ring_push(&srv->probing, ip, now + dhcp_probe_wait(srv), NULL))
		return false;
	*dhcp_state(srv, ip) |= DHCP_ST_PROBING;
	srv->stats.probes++;
	if (srv->ops.probe)
		srv->ops.probe(srv->ctx, ip);
	return true;
}

static void dhcp_refill(struct dhcp_server *srv, uint64_t now)
{
	uint32_t target = dhcp_probe_target(srv), started = 0, ip;

	while (srv->ready.len + srv->probing.len < target && started < DHCP_REFILL_BATCH &&
	       dhcp_scan(srv, now, &ip) && dhcp_probe_start(srv, ip, now))
		started++;
	srv->refill_more = started == DHCP_REFILL_BATCH &&
			   srv->ready.len + srv->probing.len < target;
	/* Set once: once started (or with no fresh address left to probe),
	 * the reserve lives on as ordinary probed addresses. */
	if (!srv->refill_more)
		srv->reserve_left = 0;
}

static void dhcp_mark_in_use(struct dhcp_server *srv, uint32_t ip, const uint8_t mac[6],
			     uint64_t now, const char *why)
{
	uint8_t *st = dhcp_state(srv, ip);

	if (srv->in_use.len == srv->in_use.cap) {
		*dhcp_state(srv, dhcp_ring_front(&srv->in_use)->ip) &= (uint8_t)~DHCP_ST_IN_USE;
		dhcp_ring_pop(&srv->in_use);
	}
	*st = (uint8_t)((*st & ~(DHCP_ST_PROBING | DHCP_ST_READY)) | DHCP_ST_IN_USE);
	dhcp_ring_push(&srv->in_use, ip, now + DHCP_IN_USE_HOLD_MS, mac);
	srv->stats.in_use++;
	dhcp_emit(srv, DHCP_EV_ADDR_IN_USE, ip, mac, NULL, why, 0);
}

/* Who claimed an address found in use. */
static const uint8_t *dhcp_in_use_by(const struct dhcp_server *srv, uint32_t ip)
{
	uint32_t i;
	const struct dhcp_slot *s;

	for (i = srv->in_use.len; i > 0; i--) {
		s = &srv->in_use.v[(srv->in_use.head + i - 1) % srv->in_use.cap];
		if (s->ip == ip)
			return s->mac;
	}
	return NULL;
}

void dhcp_server_arp(struct dhcp_server *srv, uint32_t sender_ip,
		     const uint8_t sender_mac[6], uint64_t now_ms)
{
	uint8_t st;

	if (!srv || !sender_mac || !dhcp_in_pool(srv, sender_ip))
		return;
	st = *dhcp_state(srv, sender_ip);
	if (st & (DHCP_ST_PROBING | DHCP_ST_READY)) {
		dhcp_mark_in_use(srv, sender_ip, sender_mac, now_ms, "answered an ARP probe");
		return;
	}
	/* A host using an address nobody leased: a static configuration, or
	 * one that answered a probe after its wait. An address offered and
	 * not yet leased counts too: the REQUEST of anyone but this host is
	 * then NAKed (dhcp_blocked), not ACKed into a conflict. */
	if (!(st & DHCP_ST_IN_USE) && !lease_store_find_ip(srv->store, sender_ip))
		dhcp_mark_in_use(srv, sender_ip, sender_mac, now_ms,
				 st & DHCP_ST_OFFERED ? "answered ARP after it was offered" :
				 "is used by a host without a lease (seen in ARP)");
}

/* A probed address for a new client; or a probe started for it. */
static enum dhcp_choice dhcp_fresh(struct dhcp_server *srv, uint64_t now, uint32_t *ip)
{
	struct dhcp_slot *s;
	uint8_t *st;
	uint32_t cand;

	/* After a pause the count starts a new second here, with the burst:
	 * idle time before it would dilute its rate. */
	dhcp_demand(srv, now);
	if (!srv->demand_count)
		srv->demand_window = now;
	srv->demand_count++;
	while ((s = dhcp_ring_front(&srv->ready))) {
		cand = s->ip;
		st = dhcp_state(srv, cand);
		dhcp_ring_pop(&srv->ready);
		if (!(*st & DHCP_ST_READY))
			continue;
		*st &= (uint8_t)~DHCP_ST_READY;
		if (*st || lease_store_find_ip(srv->store, cand) || dhcp_res_of_ip(srv, cand))
			continue;
		*ip = cand;
		return DHCP_CHOSEN_NEW;
	}
	if (dhcp_scan(srv, now, &cand) && dhcp_probe_start(srv, cand, now)) {
		/* Ramping up: probe one more for the clients to come. */
		if (dhcp_scan(srv, now, &cand))
			dhcp_probe_start(srv, cand, now);
		return DHCP_CHOICE_DEFER;
	}
	return srv->probing.len ? DHCP_CHOICE_DEFER : DHCP_CHOICE_NONE;
}

/* -------------------------------------------------- address bookkeeping */

/* Why ip cannot be this client's, or NULL when it can. */
static const char *dhcp_blocked(const struct dhcp_server *srv, const struct dhcp_client *cl,
				uint32_t ip)
{
	uint64_t now = cl->meta->now_ms;
	const struct lease *l;
	const uint8_t *owner;
	uint8_t st;
	uint32_t offered;

	if (!dhcp_in_subnet(srv, ip) || ip == srv->server_ip)
		return "address outside the subnet";
	owner = dhcp_res_of_ip(srv, ip);
	if (owner && memcmp(owner, cl->mac, 6) != 0)
		return "address reserved for another client";
	l = lease_store_find_ip(srv->store, ip);
	if (l && l != cl->lease && lease_is_live(l, now))
		return "address leased to another client";
	/* An expired lease keeps its address for its client (sticky), unless
	 * the address is now reserved for this one. */
	if (l && l != cl->lease && !owner)
		return "address kept for the client that held it";
	if (lease_store_quarantined(srv->store, ip, now))
		return "address declined lately";
	st = *dhcp_state(srv, ip);
	if (st & DHCP_ST_IN_USE) {
		owner = dhcp_in_use_by(srv, ip);
		if (!owner || memcmp(owner, cl->mac, 6) != 0)
			return "address in use by another host";
	}
	if ((st & DHCP_ST_OFFERED) && !(dhcp_offer_of(srv, cl->key, now, &offered) && offered == ip))
		return "address offered to another client";
	return NULL;
}

static bool dhcp_reclaim_usable(uint32_t ip, void *ctx)
{
	struct dhcp_server *srv = ctx;

	return dhcp_in_pool(srv, ip) && !dhcp_res_of_ip(srv, ip) &&
	       !(*dhcp_state(srv, ip) & (DHCP_ST_IN_USE | DHCP_ST_OFFERED));
}

/* RFC 2131 4.3.1: a server need not keep an offered address for its
 * client. With nothing else left, the oldest offer gives its address up,
 * unless it is younger than DHCP_OFFER_KEEP_MS (a client in the middle of
 * its exchange): a flood of DISCOVERs cannot hold the pool. */
static bool dhcp_offer_reclaim(struct dhcp_server *srv, const struct dhcp_client *cl,
			       uint64_t now, uint32_t *ip)
{
	while (srv->ends_len) {
		const struct dhcp_offer_end *e = &srv->ends[srv->ends_head];
		const struct dhcp_offer *o = dhcp_offer_slot(srv, e->client);
		uint32_t cand = 0;

		if (o && o->seq == e->seq) {
			if (e->until - DHCP_OFFER_HOLD_MS + DHCP_OFFER_KEEP_MS > now)
				return false;
			cand = o->ip;
		}
		dhcp_offer_end_pop(srv);
		if (cand && dhcp_in_pool(srv, cand) && !lease_store_find_ip(srv->store, cand) &&
		    !dhcp_blocked(srv, cl, cand)) {
			*ip = cand;
			return true;
		}
	}
	return false;
}

/* RFC 2131 4.3.1: the address to offer. */
static enum dhcp_choice dhcp_choose(struct dhcp_server *srv, struct dhcp_client *cl, uint32_t *ip)
{
	const struct dhcp_msg *m = cl->msg;
	uint64_t now = cl->meta->now_ms;
	const struct lease *l;
	enum dhcp_choice c;

	if (cl->has_res) {
		l = lease_store_find_ip(srv->store, cl->res_ip);
		/* Until a guest leased it before the reservation leaves. */
		if (!l || l == cl->lease || !lease_is_live(l, now)) {
			*ip = cl->res_ip;
			return DHCP_CHOSEN;
		}
	}
	if (cl->lease && dhcp_in_pool(srv, cl->lease->ip) && !dhcp_blocked(srv, cl, cl->lease->ip)) {
		*ip = cl->lease->ip;
		return DHCP_CHOSEN;
	}
	if (dhcp_offer_of(srv, cl->key, now, ip) && !dhcp_blocked(srv, cl, *ip))
		return DHCP_CHOSEN;
	if (!dhcp_limit_allows(srv, cl))
		return DHCP_CHOICE_LIMITED;
	if (m->has_requested_ip && dhcp_in_pool(srv, m->requested_ip) &&
	    !lease_store_find_ip(srv->store, m->requested_ip) &&
	    !dhcp_blocked(srv, cl, m->requested_ip)) {
		uint8_t *st = dhcp_state(srv, m->requested_ip);

		*ip = m->requested_ip;
		if (*st & DHCP_ST_READY) {
			*st &= (uint8_t)~DHCP_ST_READY;
			return DHCP_CHOSEN_NEW;
		}
		/* Never leased: probe it first. */
		if (!(*st & DHCP_ST_PROBING) && !dhcp_probe_start(srv, *ip, now))
			return DHCP_CHOICE_NONE;
		return DHCP_CHOICE_DEFER;
	}
	c = dhcp_fresh(srv, now, ip);
	if (c != DHCP_CHOICE_NONE)
		return c;
	if (lease_store_reclaim_lru(srv->store, now, dhcp_reclaim_usable, srv, ip) == 0) {
		/* The store changed: the client's lease pointer may have moved. */
		cl->lease = lease_store_find_client(srv->store, cl->mac, cl->cid, cl->cid_len);
		return DHCP_CHOSEN_NEW;
	}
	if (dhcp_offer_reclaim(srv, cl, now, ip))
		return DHCP_CHOSEN_NEW;
	return DHCP_CHOICE_NONE;
}

/* --------------------------------------------------------------- names */

int dhcp_hostname_label(const char *s, size_t n, char label[LEASE_HOSTNAME_MAX + 1])
{
	size_t i, start = 0, first = 0;
	char c;

	if (!s || !label)
		return -EINVAL;
	if (n > 0 && s[n - 1] == '.')
		n--;
	if (n == 0 || n > DHCP_NAME_MAX)
		return -EINVAL;
	for (i = 0; i <= n; i++) {
		c = i < n ? s[i] : '.';
		if (c == '.') {
			/* RFC 1123 2.1: 1..63 characters, no hyphen at either end. */
			if (i == start || i - start > LEASE_HOSTNAME_MAX ||
			    s[start] == '-' || s[i - 1] == '-')
				return -EINVAL;
			if (!first)
				first = i;
			start = i + 1;
		} else if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
			     (c >= '0' && c <= '9') || c == '-')) {
			return -EINVAL;
		}
	}
	for (i = 0; i < first; i++)
		label[i] = (char)((s[i] >= 'A' && s[i] <= 'Z') ? s[i] - 'A' + 'a' : s[i]);
	label[first] = '\0';
	return 0;
}

/* The refused name, printable and bounded, for the log. */
static void dhcp_name_printable(const char *s, size_t n, char *out, size_t size)
{
	size_t i, o = 0;

	for (i = 0; i < n && o + 4 < size && i < DHCP_NAME_PRINT_MAX; i++)
		out[o++] = (s[i] >= 0x20 && s[i] < 0x7f) ? s[i] : '?';
	if (i < n && o + 4 <= size) {
		memcpy(out + o, "...", 3);
		o += 3;
	}
	out[o] = '\0';
}

static void dhcp_name_refuse(struct dhcp_server *srv, const struct dhcp_client *cl, uint32_t ip,
			     const char *s, size_t n, const char *why, bool quiet)
{
	char shown[DHCP_NAME_PRINT_MAX + 8];

	if (quiet)
		return;
	dhcp_name_printable(s, n, shown, sizeof(shown));
	dhcp_emit(srv, DHCP_EV_NAME_REFUSED, ip, cl->mac, shown, why, cl->meta->port);
}

/* Why a well-formed label cannot be this client's, or NULL. */
static const char *dhcp_name_refusal(const struct dhcp_server *srv, const struct dhcp_client *cl,
				     const char *label, uint32_t ip)
{
	uint32_t owner;

	if (strcmp(label, "localhost") == 0 || strcmp(label, "wpad") == 0)
		return "a reserved name";
	if (srv->host_name[0] && strcasecmp(label, srv->host_name) == 0)
		return "the host's own name";
	if (dhcp_name_reserved_by_other(srv, label, cl->mac))
		return "reserved for another client";
	owner = srv->ops.name_owner ? srv->ops.name_owner(srv->ctx, label) : 0;
	if (owner && owner != ip && !(cl->lease && cl->lease->ip == owner))
		return "held by another guest";
	return NULL;
}

/* The name the lease gets: the reservation's, the client's if acceptable
 * (option 81's first label, else option 12's), or the one it had. */
static void dhcp_pick_name(struct dhcp_server *srv, const struct dhcp_client *cl, uint32_t ip,
			   bool quiet, char name[LEASE_HOSTNAME_MAX + 1])
{
	const struct dhcp_msg *m = cl->msg;
	const char *s, *why;
	size_t n;

	name[0] = '\0';
	if (cl->has_res && cl->res_ip == ip && cl->res_name[0]) {
		snprintf(name, LEASE_HOSTNAME_MAX + 1, "%s", cl->res_name);
		return;
	}
	if (m->has_fqdn && m->fqdn.name_len) {
		s = m->fqdn.name;
		n = m->fqdn.name_len;
	} else if (dhcp_msg_has(m, DHCP_OPT_HOSTNAME)) {
		s = (const char *)m->hostname.data;
		n = m->hostname.len;
		if (n == 0 || strlen(s) != n) {
			dhcp_name_refuse(srv, cl, ip, s, n, n ? "a NUL byte in the name" :
					 "empty, or longer than 255 bytes", quiet);
			return;
		}
	} else {
		if (cl->lease && cl->lease->ip == ip)
			snprintf(name, LEASE_HOSTNAME_MAX + 1, "%s", cl->lease->hostname);
		return;
	}
	if (dhcp_hostname_label(s, n, name) < 0) {
		name[0] = '\0';
		dhcp_name_refuse(srv, cl, ip, s, n, "not an RFC 1123 host name", quiet);
		return;
	}
	why = dhcp_name_refusal(srv, cl, name, ip);
	if (why) {
		dhcp_name_refuse(srv, cl, ip, s, n, why, quiet);
		name[0] = '\0';
	}
}

/* ------------------------------------------------------------- replies */

static bool dhcp_requested(const struct dhcp_msg *m, uint8_t code)
{
	return memchr(m->param_list.data, code, m->param_list.len) != NULL;
}

/* An option that does not fit is left out; the rest goes on. */
static int dhcp_opt(int r)
{
	return r == -EMSGSIZE ? 0 : r;
}

static int dhcp_put_name(const struct dhcp_server *srv, struct dhcp_builder *b,
			 const struct dhcp_msg *m, const char *name)
{
	char fqdn[LEASE_HOSTNAME_MAX + DHCP_NAME_MAX + 2];
	uint8_t flags;
	int r;

	if (!name[0])
		return 0;
	if (m->has_fqdn) {
		/* RFC 4702 3.1: we publish the name ourselves (S), overriding
		 * a client that asked us not to (O). */
		flags = DHCP_FQDN_S | (m->fqdn.flags & DHCP_FQDN_E);
		if (!(m->fqdn.flags & DHCP_FQDN_S))
			flags |= DHCP_FQDN_O;
		if (srv->domain[0])
			snprintf(fqdn, sizeof(fqdn), "%s.%s", name, srv->domain);
		else
			snprintf(fqdn, sizeof(fqdn), "%s", name);
		r = dhcp_build_fqdn(b, flags, fqdn);
		/* Too long with the domain: the bare name then. */
		if (r == -EINVAL)
			r = dhcp_build_fqdn(b, flags, name);
		return dhcp_opt(r);
	}
	if (dhcp_requested(m, DHCP_OPT_HOSTNAME) || dhcp_msg_has(m, DHCP_OPT_HOSTNAME))
		return dhcp_opt(dhcp_build_str(b, DHCP_OPT_HOSTNAME, name));
	return 0;
}

/* The configuration options, in the order small clients read best. */
static int dhcp_put_options(const struct dhcp_server *srv, struct dhcp_builder *b,
			    const struct dhcp_msg *m, uint8_t type, const char *name)
{
	const char *search[1] = { srv->domain };
	uint32_t t = srv->lease_time;
	int r = 0;

	if (type != DHCP_INFORM) {
		/* RFC 2131 4.4.5: T1 half the lease, T2 seven eighths. */
		r = dhcp_opt(dhcp_build_u32(b, DHCP_OPT_LEASE_TIME, t));
		if (!r)
			r = dhcp_opt(dhcp_build_u32(b, DHCP_OPT_T1, t / 2));
		if (!r)
			r = dhcp_opt(dhcp_build_u32(b, DHCP_OPT_T2, (uint32_t)((uint64_t)t * 7 / 8)));
	}
	if (!r)
		r = dhcp_opt(dhcp_build_u32(b, DHCP_OPT_SUBNET_MASK, srv->mask));
	if (!r)
		r = dhcp_opt(dhcp_build_u32(b, DHCP_OPT_ROUTER, srv->server_ip));
	if (!r)
		r = dhcp_opt(dhcp_build_u32(b, DHCP_OPT_DNS, srv->server_ip));
	if (!r && srv->domain[0])
		r = dhcp_opt(dhcp_build_str(b, DHCP_OPT_DOMAIN_NAME, srv->domain));
	if (!r && srv->domain[0] && dhcp_requested(m, DHCP_OPT_DOMAIN_SEARCH))
		r = dhcp_opt(dhcp_build_domain_search(b, search, 1));
	if (!r && srv->mtu && dhcp_requested(m, DHCP_OPT_MTU))
		r = dhcp_opt(dhcp_build_u16(b, DHCP_OPT_MTU, srv->mtu));
	if (!r)
		r = dhcp_put_name(srv, b, m, name);
	return r;
}

/* RFC 2131 4.1: relay, then ciaddr, NAKs broadcast, then the broadcast
 * flag, else unicast to the client's hardware address. */
static void dhcp_route(const struct dhcp_msg *m, uint8_t type, uint32_t yiaddr,
		       struct dhcp_reply *reply)
{
	reply->dst_port = DHCP_CLIENT_PORT;
	memcpy(reply->dst_mac, m->hdr.chaddr, 6);
	if (m->hdr.giaddr) {
		reply->dest = DHCP_DEST_RELAY;
		reply->dst_ip = m->hdr.giaddr;
		reply->dst_port = DHCP_SERVER_PORT;
	} else if (type == DHCP_NAK) {
		reply->dest = DHCP_DEST_BROADCAST;
		reply->dst_ip = UINT32_MAX;
	} else if (m->hdr.ciaddr) {
		reply->dest = DHCP_DEST_CLIENT;
		reply->dst_ip = m->hdr.ciaddr;
	} else if (m->hdr.flags & DHCP_FLAG_BROADCAST) {
		reply->dest = DHCP_DEST_BROADCAST;
		reply->dst_ip = UINT32_MAX;
	} else {
		reply->dest = DHCP_DEST_CLIENT;
		reply->dst_ip = yiaddr;
	}
}

static int dhcp_build_reply(const struct dhcp_server *srv, const struct dhcp_msg *m,
			    uint8_t type, uint32_t yiaddr, const char *name,
			    const char *nak_why, struct dhcp_reply *reply)
{
	struct dhcp_builder b;
	struct dhcp_header h;
	size_t size = dhcp_reply_max_len(m);
	int r;

	if (!reply->buf || reply->size < DHCP_IPUDP_LEN + DHCP_BOOTP_MIN_LEN)
		return -ENOBUFS;
	if (size > DHCP_REPLY_MAX)
		size = DHCP_REPLY_MAX;
	if (size > reply->size - DHCP_IPUDP_LEN)
		size = reply->size - DHCP_IPUDP_LEN;
	dhcp_header_reply(&h, &m->hdr);
	/* RFC 2131 4.3.1 table 3. */
	h.yiaddr = yiaddr;
	h.ciaddr = (type == DHCP_ACK) ? m->hdr.ciaddr : 0;
	h.siaddr = 0;
	/* RFC 2131 4.3.2: a relay broadcasts a NAK to the client. */
	if (type == DHCP_NAK && m->hdr.giaddr)
		h.flags |= DHCP_FLAG_BROADCAST;
	r = dhcp_build_init(&b, dhcp_reply_payload(reply), size, &h, type);
	if (!r && m->relay_info.len)
		r = dhcp_build_relay_info(&b, m->relay_info.data, m->relay_info.len);
	if (!r)
		r = dhcp_opt(dhcp_build_u32(&b, DHCP_OPT_SERVER_ID, srv->server_ip));
	if (!r && type == DHCP_NAK)
		r = dhcp_opt(dhcp_build_str(&b, DHCP_OPT_MESSAGE, nak_why));
	else if (!r)
		r = dhcp_put_options(srv, &b, m, m->type == DHCP_INFORM ? DHCP_INFORM : type, name);
	if (!r)
		r = dhcp_build_finish(&b, &reply->len);
	reply->type = type;
	return r;
}

/* ------------------------------------------------------------ messages */

static bool dhcp_client_init(const struct dhcp_server *srv, const struct dhcp_msg *m,
			     const struct dhcp_meta *meta, struct dhcp_client *cl)
{
	memset(cl, 0, sizeof(*cl));
	cl->msg = m;
	cl->meta = meta;
	cl->mac = m->hdr.chaddr;
	if (m->hdr.op != DHCP_OP_BOOTREQUEST || m->hdr.htype != DHCP_HTYPE_ETHER ||
	    m->hdr.hlen != 6 || !dhcp_mac_ok(cl->mac))
		return false;
	/* A client identifier too long to store keys nothing: the MAC does. */
	if (m->client_id.len > 0 && m->client_id.len <= LEASE_CLIENT_ID_MAX) {
		cl->cid = m->client_id.data;
		cl->cid_len = m->client_id.len;
	}
	cl->key = cl->cid ? dhcp_hash(srv->seed, 1, cl->cid, cl->cid_len) :
		  dhcp_hash(srv->seed, 0, cl->mac, 6);
	cl->lease = lease_store_find_client(srv->store, cl->mac, cl->cid, cl->cid_len);
	cl->has_res = dhcp_res_of_mac(srv, cl->mac, &cl->res_ip, &cl->res_name);
	return true;
}

static enum dhcp_outcome dhcp_send(struct dhcp_server *srv, const struct dhcp_client *cl,
				   uint8_t type, uint32_t yiaddr, const char *name,
				   const char *nak_why, struct dhcp_reply *reply)
{
	if (dhcp_build_reply(srv, cl->msg, type, yiaddr, name, nak_why, reply) < 0)
		return dhcp_ignore(srv, cl, "the reply does not fit the client's size");
	dhcp_route(cl->msg, type, yiaddr, reply);
	switch (type) {
	case DHCP_OFFER: srv->stats.offers++; return DHCP_OUTCOME_OFFER;
	case DHCP_NAK: srv->stats.naks++; return DHCP_OUTCOME_NAK;
	default: break;
	}
	if (cl->msg->type == DHCP_INFORM) {
		srv->stats.informs++;
		return DHCP_OUTCOME_INFORM;
	}
	srv->stats.acks++;
	return DHCP_OUTCOME_ACK;
}

static enum dhcp_outcome dhcp_nak(struct dhcp_server *srv, const struct dhcp_client *cl,
				  uint32_t ip, const char *why, struct dhcp_reply *reply)
{
	dhcp_emit(srv, DHCP_EV_NAK, ip, cl->mac, NULL, why, cl->meta->port);
	return dhcp_send(srv, cl, DHCP_NAK, 0, "", why, reply);
}

static enum dhcp_outcome dhcp_discover(struct dhcp_server *srv, struct dhcp_client *cl,
				       struct dhcp_reply *reply)
{
	char name[LEASE_HOSTNAME_MAX + 1];
	uint32_t ip = 0;

	switch (dhcp_choose(srv, cl, &ip)) {
	case DHCP_CHOICE_DEFER:
		srv->stats.deferred++;
		return DHCP_OUTCOME_DEFER;
	case DHCP_CHOICE_LIMITED:
		return DHCP_OUTCOME_IGNORE;
	case DHCP_CHOICE_NONE:
		srv->stats.ignored++;
		dhcp_bucket_refuse(srv, &srv->exhausted, DHCP_EV_POOL_EXHAUSTED, cl,
				   cl->meta->port, "no free address in the pool");
		return DHCP_OUTCOME_IGNORE;
	case DHCP_CHOSEN_NEW:
		dhcp_limit_take(srv, cl);
		break;
	case DHCP_CHOSEN:
		break;
	}
	dhcp_offer_add(srv, cl->key, ip, cl->meta->now_ms);
	dhcp_pick_name(srv, cl, ip, true, name);
	return dhcp_send(srv, cl, DHCP_OFFER, ip, name, NULL, reply);
}

/* Binds ip to the client and answers DHCPACK. */
static enum dhcp_outcome dhcp_ack(struct dhcp_server *srv, struct dhcp_client *cl, uint32_t ip,
				  struct dhcp_reply *reply)
{
	const struct dhcp_meta *meta = cl->meta;
	struct lease l;
	bool renew = cl->lease && cl->lease->ip == ip && lease_is_live(cl->lease, meta->now_ms);
	struct dhcp_event ev = { .kind = renew ? DHCP_EV_ACK_RENEW : DHCP_EV_ACK_NEW,
				 .ip = ip, .reason = "", .port = meta->port };
	uint32_t old_ip = cl->lease && cl->lease->ip != ip ? cl->lease->ip : 0;

	memset(&l, 0, sizeof(l));
	dhcp_pick_name(srv, cl, ip, false, l.hostname);
	l.expires_boot_ms = meta->now_ms + (uint64_t)srv->lease_time * 1000;
	l.expires_wall = meta->now_wall + srv->lease_time;
	l.last_used_boot_ms = meta->now_ms;
	l.ip = ip;
	l.port = meta->port;
	memcpy(l.mac, cl->mac, 6);
	l.flags = (cl->has_res && cl->res_ip == ip) ? LEASE_F_STATIC : 0;
	/* Renewals always go on; reservations are not the port's. */
	if (!renew && !l.flags && dhcp_port_full(srv, cl, ip))
		return DHCP_OUTCOME_IGNORE;
	l.client_id_len = (uint8_t)cl->cid_len;
	if (cl->cid_len)
		memcpy(l.client_id, cl->cid, cl->cid_len);
	if (lease_store_commit(srv->store, &l) < 0)
		return dhcp_ignore(srv, cl, "the lease store refused the lease");
	cl->lease = NULL;   /* the store changed */
	dhcp_offer_drop(srv, cl->key);
	if (old_ip)
		dhcp_port_lease(srv, old_ip, 0);
	/* A renewal from an unknown port keeps the port it was counted on. */
	if (l.flags || meta->port)
		dhcp_port_lease(srv, ip, l.flags ? 0 : meta->port);
	if (l.expires_boot_ms < srv->next_expiry)
		srv->next_expiry = l.expires_boot_ms;
	memcpy(ev.mac, l.mac, 6);
	ev.hostname = l.hostname;
	ev.static_lease = l.flags & LEASE_F_STATIC;
	if (srv->ops.event)
		srv->ops.event(srv->ctx, &ev);
	return dhcp_send(srv, cl, DHCP_ACK, ip, l.hostname, NULL, reply);
}

/* RFC 2131 4.3.2: may the client have ip? ACK, NAK or (limited) nothing. */
static enum dhcp_outcome dhcp_request_ip(struct dhcp_server *srv, struct dhcp_client *cl,
					 uint32_t ip, bool selecting, struct dhcp_reply *reply)
{
	uint64_t now = cl->meta->now_ms;
	const char *why;
	uint32_t offered;
	bool own;

	if (!dhcp_in_subnet(srv, ip) || ip == srv->server_ip)
		return dhcp_nak(srv, cl, ip, "wrong network", reply);
	if (cl->has_res && cl->res_ip != ip) {
		const struct lease *l = lease_store_find_ip(srv->store, cl->res_ip);

		if (!l || l == cl->lease || !lease_is_live(l, now))
			return dhcp_nak(srv, cl, ip, "the client has another address reserved", reply);
	}
	own = cl->lease && cl->lease->ip == ip;
	why = dhcp_blocked(srv, cl, ip);
	if (why) {
		/* A reservation made since: the address goes to its owner. */
		if (own && dhcp_res_of_ip(srv, ip)) {
			lease_store_forget(srv->store, ip);
			dhcp_port_lease(srv, ip, 0);
		}
		return dhcp_nak(srv, cl, ip, why, reply);
	}
	if (own || (cl->has_res && cl->res_ip == ip) ||
	    (dhcp_offer_of(srv, cl->key, now, &offered) && offered == ip))
		return dhcp_ack(srv, cl, ip, reply);
	if (cl->lease && !selecting)
		return dhcp_nak(srv, cl, ip, "the client's lease is for another address", reply);
	if (!dhcp_in_pool(srv, ip))
		return dhcp_nak(srv, cl, ip, "address outside the pool", reply);
	/* Authoritative: nobody holds ip, so the client may (an offer of an
	 * earlier run, or an address it had before the store knew it). */
	if (!dhcp_limit_allows(srv, cl))
		return DHCP_OUTCOME_IGNORE;
	dhcp_limit_take(srv, cl);
	return dhcp_ack(srv, cl, ip, reply);
}

static enum dhcp_outcome dhcp_request(struct dhcp_server *srv, struct dhcp_client *cl,
				      struct dhcp_reply *reply)
{
	const struct dhcp_msg *m = cl->msg;

	/* SELECTING: the server identifier says whose offer was taken. */
	if (m->has_server_id) {
		if (m->server_id != srv->server_ip) {
			dhcp_offer_drop(srv, cl->key);
			return dhcp_ignore(srv, cl, "the client chose another server");
		}
		if (!m->has_requested_ip)
			return dhcp_ignore(srv, cl, "SELECTING without a requested address");
		return dhcp_request_ip(srv, cl, m->requested_ip, true, reply);
	}
	/* INIT-REBOOT: the address it had, in option 50. */
	if (m->has_requested_ip && !m->hdr.ciaddr)
		return dhcp_request_ip(srv, cl, m->requested_ip, false, reply);
	/* RENEWING (unicast) and REBINDING (broadcast): ciaddr. */
	if (m->hdr.ciaddr)
		return dhcp_request_ip(srv, cl, m->hdr.ciaddr, false, reply);
	return dhcp_ignore(srv, cl, "REQUEST without an address");
}

static enum dhcp_outcome dhcp_decline(struct dhcp_server *srv, struct dhcp_client *cl)
{
	const struct dhcp_msg *m = cl->msg;
	uint32_t ip = m->requested_ip, offered;
	char name[LEASE_HOSTNAME_MAX + 1] = "";

	if (m->has_server_id && m->server_id != srv->server_ip)
		return dhcp_ignore(srv, cl, "DECLINE for another server");
	if (!m->has_requested_ip)
		return dhcp_ignore(srv, cl, "DECLINE without an address");
	/* Only the holder may declare an address taken, or anyone could
	 * quarantine the whole pool. */
	if (cl->lease && cl->lease->ip == ip)
		snprintf(name, sizeof(name), "%s", cl->lease->hostname);
	else if (!(dhcp_offer_of(srv, cl->key, cl->meta->now_ms, &offered) && offered == ip))
		return dhcp_ignore(srv, cl, "DECLINE of an address the client does not hold");
	dhcp_offer_drop(srv, cl->key);
	if (lease_store_decline(srv->store, ip, DHCP_DECLINE_S, cl->meta->now_ms,
				cl->meta->now_wall) < 0)
		return dhcp_ignore(srv, cl, "the lease store refused the quarantine");
	srv->stats.declines++;
	dhcp_port_lease(srv, ip, 0);
	dhcp_emit(srv, DHCP_EV_DECLINE, ip, cl->mac, name, "", cl->meta->port);
	return DHCP_OUTCOME_DECLINED;
}

static enum dhcp_outcome dhcp_release(struct dhcp_server *srv, struct dhcp_client *cl)
{
	const struct dhcp_msg *m = cl->msg;
	char name[LEASE_HOSTNAME_MAX + 1];
	uint32_t ip = m->hdr.ciaddr;

	if (m->has_server_id && m->server_id != srv->server_ip &&
	    !(srv->old_server_ip && m->server_id == srv->old_server_ip))
		return dhcp_ignore(srv, cl, "RELEASE for another server");
	if (!cl->lease || cl->lease->ip != ip)
		return dhcp_ignore(srv, cl, "RELEASE of an address the client does not hold");
	snprintf(name, sizeof(name), "%s", cl->lease->hostname);
	if (lease_store_release(srv->store, ip, cl->meta->now_ms, cl->meta->now_wall) < 0)
		return dhcp_ignore(srv, cl, "the lease store refused the release");
	srv->stats.releases++;
	dhcp_port_lease(srv, ip, 0);
	dhcp_emit(srv, DHCP_EV_RELEASE, ip, cl->mac, name, "", cl->meta->port);
	return DHCP_OUTCOME_RELEASED;
}

/* RFC 2131 4.3.5: configuration only, no lease, sent to ciaddr. */
static enum dhcp_outcome dhcp_inform(struct dhcp_server *srv, struct dhcp_client *cl,
				     struct dhcp_reply *reply)
{
	if (!dhcp_in_subnet(srv, cl->msg->hdr.ciaddr))
		return dhcp_ignore(srv, cl, "INFORM from outside the subnet");
	return dhcp_send(srv, cl, DHCP_ACK, 0, "", NULL, reply);
}

/* ---------------------------------------------------------- guest guards */

/* Is l bound to a port other than the message's, one still up on the
 * bridge? Unknown ports (0) bind nothing. */
static bool dhcp_bound_elsewhere(const struct dhcp_server *srv, const struct lease *l,
				 const struct dhcp_meta *meta)
{
	return l && l->port && meta->port && l->port != meta->port &&
	       lease_is_live(l, meta->now_ms) && srv->ops.port_up &&
	       srv->ops.port_up(srv->ctx, l->port);
}

/* The live lease this message is about (by client key or ciaddr) when it
 * is bound to another port that is still up, or NULL. */
static const struct lease *dhcp_held_elsewhere(const struct dhcp_server *srv,
					       const struct dhcp_client *cl)
{
	const struct lease *by_ip = NULL;

	if (dhcp_bound_elsewhere(srv, cl->lease, cl->meta))
		return cl->lease;
	if (cl->msg->hdr.ciaddr)
		by_ip = lease_store_find_ip(srv->store, cl->msg->hdr.ciaddr);
	return dhcp_bound_elsewhere(srv, by_ip, cl->meta) ? by_ip : NULL;
}

/* Another port speaks for a guest: nothing changes, nobody is answered,
 * and the warning is rate-limited (a flood must not flood the journal). */
static enum dhcp_outcome dhcp_wrong_port(struct dhcp_server *srv, const struct dhcp_client *cl,
					 const struct lease *l)
{
	struct dhcp_event ev = {
		.kind = DHCP_EV_WRONG_PORT, .ip = l->ip, .hostname = l->hostname,
		.reason = "", .port = cl->meta->port, .lease_port = l->port,
	};

	srv->stats.ignored++;
	srv->stats.wrong_port++;
	if (!log_limit_due(&srv->wrong_port, cl->meta->now_ms, DHCP_LIMIT_LOG_MS, &ev.count))
		return DHCP_OUTCOME_IGNORE;
	memcpy(ev.mac, cl->mac, 6);
	if (srv->ops.event)
		srv->ops.event(srv->ctx, &ev);
	return DHCP_OUTCOME_IGNORE;
}

/* RFC 2131 4.1 answers a relay at giaddr, port 67. No guest relays on a
 * default network: a giaddr inside the subnet is a guest aiming our reply
 * at another guest's port 67. One outside it is a real relay; the reply
 * socket is bound to the bridge, so it can only reach one through it. */
static bool dhcp_relay_ok(const struct dhcp_server *srv, const struct dhcp_msg *m)
{
	return !m->hdr.giaddr || !dhcp_in_subnet(srv, m->hdr.giaddr);
}

enum dhcp_outcome dhcp_server_handle(struct dhcp_server *srv, const struct dhcp_msg *msg,
				     const struct dhcp_meta *meta, struct dhcp_reply *reply)
{
	const struct lease *held;

	struct dhcp_client cl;

	if (!srv || !msg || !meta || !reply)
		return DHCP_OUTCOME_IGNORE;
	reply->len = 0;
	if (!dhcp_client_init(srv, msg, meta, &cl))
		return dhcp_ignore(srv, &cl, "not a request from an Ethernet client");
	if (!dhcp_relay_ok(srv, msg))
		return dhcp_ignore(srv, &cl, "giaddr is a guest's address, not a relay's");
	held = dhcp_held_elsewhere(srv, &cl);
	if (held)
		return dhcp_wrong_port(srv, &cl, held);
	switch (msg->type) {
	case DHCP_DISCOVER:
		return dhcp_discover(srv, &cl, reply);
	case DHCP_REQUEST:
		return dhcp_request(srv, &cl, reply);
	case DHCP_DECLINE:
		return dhcp_decline(srv, &cl);
	case DHCP_RELEASE:
		return dhcp_release(srv, &cl);
	case DHCP_INFORM:
		return dhcp_inform(srv, &cl, reply);
	default:
		return dhcp_ignore(srv, &cl, msg->type ? "not a client's message type" :
				   "BOOTP, not DHCP");
	}
}

/* -------------------------------------------------------------- timers */

static void dhcp_expired(const struct lease *l, void *ctx)
{
	struct dhcp_server *srv = ctx;

	dhcp_port_lease(srv, l->ip, 0);
	dhcp_emit(srv, DHCP_EV_EXPIRE, l->ip, l->mac, l->hostname, "", 0);
}

static bool dhcp_probes_done(struct dhcp_server *srv, uint64_t now)
{
	struct dhcp_slot *s;
	uint8_t *st;
	bool done = false;

	while ((s = dhcp_ring_front(&srv->probing)) && s->at <= now) {
		st = dhcp_state(srv, s->ip);
		if (*st & DHCP_ST_PROBING) {
			*st &= (uint8_t)~DHCP_ST_PROBING;
			if (dhcp_ring_push(&srv->ready, s->ip, now, NULL))
				*st |= DHCP_ST_READY;
			done = true;
		}
		dhcp_ring_pop(&srv->probing);
	}
	/* A probe's answer grows stale: a guest may take the address later. */
	while ((s = dhcp_ring_front(&srv->ready)) && s->at + DHCP_PROBE_TTL_MS <= now) {
		*dhcp_state(srv, s->ip) &= (uint8_t)~DHCP_ST_READY;
		dhcp_ring_pop(&srv->ready);
	}
	while ((s = dhcp_ring_front(&srv->in_use)) && s->at <= now) {
		*dhcp_state(srv, s->ip) &= (uint8_t)~DHCP_ST_IN_USE;
		dhcp_ring_pop(&srv->in_use);
	}
	return done;
}

bool dhcp_server_tick(struct dhcp_server *srv, uint64_t now_ms)
{
	bool done;

	if (!srv)
		return false;
	srv->tick_ms = now_ms;
	done = dhcp_probes_done(srv, now_ms);
	dhcp_offers_expire(srv, now_ms);
	dhcp_demand(srv, now_ms);
	dhcp_refill(srv, now_ms);
	if (now_ms >= srv->next_expiry)
		srv->next_expiry = lease_store_expire(srv->store, now_ms, dhcp_expired, srv);
	return done;
}

static uint64_t dhcp_min(uint64_t a, uint64_t b)
{
	return a < b ? a : b;
}

uint64_t dhcp_server_deadline(const struct dhcp_server *srv)
{
	const struct dhcp_slot *s;
	uint64_t t;

	if (!srv)
		return UINT64_MAX;
	t = srv->next_expiry;
	if ((s = dhcp_ring_front(&srv->probing)))
		t = dhcp_min(t, s->at);
	if ((s = dhcp_ring_front(&srv->ready)))
		t = dhcp_min(t, s->at + DHCP_PROBE_TTL_MS);
	if ((s = dhcp_ring_front(&srv->in_use)))
		t = dhcp_min(t, s->at);
	if (srv->ends_len)
		t = dhcp_min(t, srv->ends[srv->ends_head].until);
	/* Demand decays to nothing: look again each second until it has. */
	if (srv->demand_rate || srv->demand_count)
		t = dhcp_min(t, srv->demand_window + 1000);
	/* Counted from the last tick: requests coming in must not put the
	 * refill off. */
	if (srv->refill_more)
		t = dhcp_min(t, srv->tick_ms);
	else if (srv->ready.len + srv->probing.len < dhcp_probe_target(srv))
		t = dhcp_min(t, srv->tick_ms + DHCP_REFILL_MS > srv->scan_after ?
			     srv->tick_ms + DHCP_REFILL_MS : srv->scan_after);
	return t;
}

/* ------------------------------------------------------------- control */

int dhcp_server_reserve(struct dhcp_server *srv, const uint8_t mac[6], uint32_t ip,
			const char *name, uint64_t now_ms, char *err, size_t errlen)
{
	char label[LEASE_HOSTNAME_MAX + 1];
	const struct dhcp_reservation *c;
	const struct lease_reservation *s;
	const struct lease *l;
	size_t n = name ? strlen(name) : 0;

	if (!srv || !mac || !err)
		return -EINVAL;
	if (!dhcp_mac_ok(mac))
		return snprintf(err, errlen, "not a unicast MAC address"), -EINVAL;
	if (!dhcp_in_subnet(srv, ip) || ip == srv->server_ip)
		return snprintf(err, errlen, "not a guest address of the subnet"), -EINVAL;
	if (n && (dhcp_hostname_label(name, n, label) < 0 || strlen(label) != n))
		return snprintf(err, errlen, "'%s' is not a host name (one RFC 1123 label)", name),
		       -EINVAL;
	if (dhcp_cfg_res_mac(srv, mac))
		return snprintf(err, errlen, "the MAC has a Reservation= in the configuration"),
		       -EEXIST;
	c = dhcp_cfg_res_ip(srv, ip);
	s = lease_store_reservation_ip(srv->store, ip);
	if (c || (s && memcmp(s->mac, mac, 6) != 0))
		return snprintf(err, errlen, "the address is reserved for another MAC"), -EEXIST;
	if (n && dhcp_name_reserved_by_other(srv, name, mac))
		return snprintf(err, errlen, "the name is reserved for another MAC"), -EEXIST;
	l = lease_store_find_ip(srv->store, ip);
	if (l && memcmp(l->mac, mac, 6) != 0 && lease_is_live(l, now_ms))
		return snprintf(err, errlen, "the address is leased to another client"), -EBUSY;
	return lease_store_reserve(srv->store, mac, ip, n ? label : NULL);
}

void dhcp_server_stats(const struct dhcp_server *srv, struct dhcp_server_stats *st)
{
	if (!srv || !st)
		return;
	*st = srv->stats;
	st->probes_ready = srv->ready.len;
}

size_t dhcp_server_probed(const struct dhcp_server *srv)
{
	return srv ? srv->ready.len : 0;
}

void dhcp_server_set_mtu(struct dhcp_server *srv, uint16_t mtu)
{
	if (srv)
		srv->mtu = mtu;
}

/* ----------------------------------------------------------- lifecycle */

static int dhcp_res_cmp_ip(const void *a, const void *b, void *ctx)
{
	const struct dhcp_reservation *res = ctx;
	uint32_t x = res[*(const uint32_t *)a].ip, y = res[*(const uint32_t *)b].ip;

	return x < y ? -1 : x > y;
}

static int dhcp_copy_reservations(struct dhcp_server *srv, const struct dhcp_server_config *cfg)
{
	struct dhcp_reservation *res = NULL;
	uint32_t *by_ip = NULL;
	size_t i, n = cfg->n_reservations;

	if (n > DHCP_SERVER_MAX_RESERVATIONS || (n && !cfg->reservations))
		return -EINVAL;
	if (n) {
		res = malloc(n * sizeof(*res));
		by_ip = malloc(n * sizeof(*by_ip));
		if (!res || !by_ip) {
			free(res);
			free(by_ip);
			return -ENOMEM;
		}
		memcpy(res, cfg->reservations, n * sizeof(*res));
		qsort(res, n, sizeof(*res), dhcp_res_cmp_mac);
		for (i = 0; i < n; i++)
			by_ip[i] = (uint32_t)i;
		qsort_r(by_ip, n, sizeof(*by_ip), dhcp_res_cmp_ip, res);
	}
	free(srv->res);
	free(srv->res_ip);
	srv->res = res;
	srv->res_ip = by_ip;
	srv->n_res = n;
	return 0;
}

static int dhcp_check_config(const struct dhcp_server_config *cfg, uint32_t *first,
			     uint32_t *last)
{
	uint32_t mask, net, bcast;

	if (cfg->prefix_len < 8 || cfg->prefix_len > 30 || cfg->lease_time < 60)
		return -EINVAL;
	mask = UINT32_MAX << (32 - cfg->prefix_len);
	net = cfg->subnet & mask;
	bcast = net | ~mask;
	if (net != cfg->subnet || cfg->server_ip <= net || cfg->server_ip >= bcast)
		return -EINVAL;
	*first = cfg->pool_auto ? net + 1 : cfg->pool_first;
	*last = cfg->pool_auto ? bcast - 1 : cfg->pool_last;
	if (*first > *last || *first <= net || *last >= bcast)
		return -EINVAL;
	if (*last - *first >= DHCP_POOL_MAX)
		*last = *first + DHCP_POOL_MAX - 1;
	return 0;
}

/* A new pool: probes and offers in progress are forgotten, and leases
 * are counted on their ports again as they renew. */
static int dhcp_set_pool(struct dhcp_server *srv, uint32_t first, uint32_t last)
{
	uint32_t size = last - first + 1;
	uint8_t *st;

	if (srv->st && first == srv->pool_first && last == srv->pool_last)
		return 0;
	st = calloc(size, 1);
	if (!st || port_leases_reset(&srv->pl, size) < 0) {
		free(st);
		return -ENOMEM;
	}
	free(srv->st);
	srv->st = st;
	srv->pool_first = first;
	srv->pool_last = last;
	srv->pool_size = size;
	srv->cursor = 0;
	/* Half a small pool at most: the rest stays for the scan to find. */
	srv->reserve_left = size / 2 < DHCP_PROBE_RESERVE ? size / 2 : DHCP_PROBE_RESERVE;
	srv->quick_left = srv->reserve_left < DHCP_PROBE_QUICK ? srv->reserve_left : DHCP_PROBE_QUICK;
	srv->refill_more = false;
	srv->scan_after = 0;
	srv->scan_missed = 0;
	srv->probing.len = srv->ready.len = srv->in_use.len = 0;
	memset(srv->offers, 0, (size_t)(srv->offer_mask + 1) * sizeof(*srv->offers));
	srv->n_offers = srv->ends_len = 0;
	return 0;
}

int dhcp_server_configure(struct dhcp_server *srv, const struct dhcp_server_config *cfg)
{
	uint32_t first, last;
	int r;

	if (!srv || !cfg)
		return -EINVAL;
	r = dhcp_check_config(cfg, &first, &last);
	if (r == 0)
		r = dhcp_copy_reservations(srv, cfg);
	if (r == 0)
		r = dhcp_set_pool(srv, first, last);
	if (r < 0)
		return r;
	srv->mask = UINT32_MAX << (32 - cfg->prefix_len);
	srv->net = cfg->subnet;
	srv->bcast = srv->net | ~srv->mask;
	srv->server_ip = cfg->server_ip;
	srv->old_server_ip = cfg->old_server_ip;
	if (srv->server_ip >= first && srv->server_ip <= last)
		srv->st[srv->server_ip - first] |= DHCP_ST_EXCLUDED;
	srv->lease_time = cfg->lease_time;
	srv->rate = cfg->rate_limit;
	srv->rate_port = cfg->rate_limit_port;
	srv->leases_port = cfg->leases_per_port;
	snprintf(srv->domain, sizeof(srv->domain), "%s", cfg->domain ? cfg->domain : "");
	snprintf(srv->host_name, sizeof(srv->host_name), "%.*s",
		 cfg->host_name ? (int)strcspn(cfg->host_name, ".") : 0,
		 cfg->host_name ? cfg->host_name : "");
	/* Leases may be shorter now: look again at once. */
	srv->next_expiry = 0;
	return 0;
}

static uint64_t dhcp_seed(void)
{
	uint64_t seed = 0;

	/* Without entropy yet the table still works, only predictably. */
	if (getrandom(&seed, sizeof(seed), GRND_NONBLOCK) != (ssize_t)sizeof(seed))
		seed = 0x6a09e667f3bcc909ull;
	return seed;
}

int dhcp_server_new(struct dhcp_server **out, struct lease_store *store,
		    const struct dhcp_server_config *cfg,
		    const struct dhcp_server_ops *ops, void *ctx)
{
	struct dhcp_server *srv;
	int r = -ENOMEM;

	if (!out || !store || !cfg)
		return -EINVAL;
	srv = calloc(1, sizeof(*srv));
	if (!srv)
		return -ENOMEM;
	srv->store = store;
	if (ops)
		srv->ops = *ops;
	srv->ctx = ctx;
	srv->seed = dhcp_seed();
	srv->offer_mask = 2 * DHCP_OFFER_MAX - 1;
	srv->offers = calloc(2 * DHCP_OFFER_MAX, sizeof(*srv->offers));
	srv->ends = calloc(DHCP_OFFER_MAX, sizeof(*srv->ends));
	if (!srv->offers || !srv->ends || dhcp_ring_init(&srv->probing, DHCP_PROBE_MAX) < 0 ||
	    dhcp_ring_init(&srv->ready, DHCP_PROBE_MAX) < 0 ||
	    dhcp_ring_init(&srv->in_use, DHCP_IN_USE_MAX) < 0)
		goto fail;
	r = dhcp_server_configure(srv, cfg);
	if (r < 0)
		goto fail;
	*out = srv;
	return 0;
fail:
	dhcp_server_free(srv);
	return r;
}

void dhcp_server_free(struct dhcp_server *srv)
{
	if (!srv)
		return;
	free(srv->st);
	port_leases_free(&srv->pl);
	free(srv->probing.v);
	free(srv->ready.v);
	free(srv->in_use.v);
	free(srv->offers);
	free(srv->ends);
	free(srv->res);
	free(srv->res_ip);
	free(srv);
}
