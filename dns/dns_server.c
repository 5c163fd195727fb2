/* The DNS server's query pipeline: local answers, the cache, forwarding
 * with fresh IDs, answers checked against their question. The service's
 * life cycle and upstream set are dns_service.c. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "boot_clock.h"
#include "byteorder.h"
#include "dns_server.h"

#define DNS_ID_TRIES 16

struct dns_pending {
	struct dns_pending *next;        /* in its ID bucket */
	struct dns_service *s;
	struct dns_client client;
	struct dns_query q;
	uint16_t up_id;                  /* what the upstream sees */
	unsigned share;                  /* its guest's slot in pending_share */
};

void dns_log_limited(const struct dns_service *s, struct log_limit *rl, uint64_t now_ms,
		     const char *what)
{
	uint64_t held;

	if (!log_limit_due(rl, now_ms, DNS_LOG_INTERVAL_MS, &held))
		return;
	if (held)
		log_sink_printf(&s->log, LOG_LEVEL_WARNING, "dns: %s (and %llu more in the last minute)", what,
			(unsigned long long)held);
	else
		log_sink_printf(&s->log, LOG_LEVEL_WARNING, "dns: %s", what);
}

/* Upstream IDs ------------------------------------------------------------ */

static uint16_t server_rand16(struct dns_service *s)
{
	if (s->rnd_left < 2) {
		arc4random_buf(s->rnd, sizeof(s->rnd));
		s->rnd_left = sizeof(s->rnd);
	}
	s->rnd_left -= 2;
	return be16_get(s->rnd + s->rnd_left);
}

static struct dns_pending **pending_slot(struct dns_service *s, struct dns_pending *p)
{
	struct dns_pending **pp = &s->pending[p->up_id % DNS_PENDING_BUCKETS];

	while (*pp && *pp != p)
		pp = &(*pp)->next;
	return pp;
}

static bool pending_id_used(const struct dns_service *s, uint16_t id)
{
	for (const struct dns_pending *p = s->pending[id % DNS_PENDING_BUCKETS]; p; p = p->next)
		if (p->up_id == id)
			return true;
	return false;
}

/* RFC 5452 9.2: an unpredictable ID, not the guest's, unique in flight. */
static uint16_t server_new_id(struct dns_service *s, uint16_t guest_id)
{
	uint16_t id = server_rand16(s);

	for (int i = 0; i < DNS_ID_TRIES && (id == guest_id || pending_id_used(s, id)); i++)
		id = server_rand16(s);
	return id;
}

static void pending_free(struct dns_service *s, struct dns_pending *p)
{
	src_share_release(s->pending_share, p->share);
	free(p);
}

static void pending_link(struct dns_service *s, struct dns_pending *p)
{
	p->next = s->pending[p->up_id % DNS_PENDING_BUCKETS];
	s->pending[p->up_id % DNS_PENDING_BUCKETS] = p;
	s->n.pending++;
}

static void pending_unlink(struct dns_service *s, struct dns_pending *p)
{
	struct dns_pending **pp = pending_slot(s, p);

	if (*pp) {
		*pp = p->next;
		s->n.pending--;
	}
}

/* Answers -------------------------------------------------------------- */

/* An answer with TC and no records, for a client whose UDP size it
 * exceeds (RFC 1035 4.2.1, RFC 6891 7). */
static int server_truncate(struct dns_service *s, const struct dns_query *q,
			   uint8_t *buf, size_t size, size_t *len)
{
	unsigned rcode = buf[3] & DNS_RCODE_MASK;

	s->n.truncated++;
	return dns_local_error(q, rcode, true, buf, size, len);
}

/* Makes an upstream or cached answer the guest's: its RD bit, our OPT
 * with its DO bit, TC when it does not fit its UDP size. */
static int server_finish(struct dns_service *s, const struct dns_query *q, bool udp,
			 uint8_t *buf, size_t size, size_t *len)
{
	buf[2] = (uint8_t)((buf[2] & ~(DNS_FLAG_RD >> 8)) | ((q->h.flags & DNS_FLAG_RD) >> 8));
	if (q->edns && dns_msg_append_opt(buf, len, size, DNS_UDP_MAX, q->do_bit) < 0)
		return server_truncate(s, q, buf, size, len);
	if (udp && *len > q->udp_max)
		return server_truncate(s, q, buf, size, len);
	return 0;
}

static bool server_matches(const struct dns_pending *p, const uint8_t *ans, size_t len)
{
	struct dns_header h;
	struct dns_question q;

	return dns_msg_question(ans, len, &h, &q) == 0 && (h.flags & DNS_FLAG_QR) &&
	       dns_header_opcode(&h) == DNS_OPCODE_QUERY && h.id == p->up_id &&
	       q.qtype == p->q.q.qtype && q.qclass == p->q.q.qclass &&
	       dns_name_equal(q.name, q.name_len, p->q.q.name, p->q.q.name_len);
}

static void server_cache_key(const struct dns_query *q, struct dns_cache_key *k)
{
	*k = (struct dns_cache_key){
		.name = q->q.name, .name_len = q->q.name_len,
		.qtype = q->q.qtype, .qclass = q->q.qclass, .do_bit = q->do_bit,
	};
}

/* The upstream's answer, checked, cached, and made the guest's. */
static int server_take_answer(struct dns_service *s, struct dns_pending *p,
			      const uint8_t *ans, size_t alen, size_t *len)
{
	struct dns_cache_key k;
	int r;

	if (!server_matches(p, ans, alen)) {
		s->n.mismatched++;
		return -EBADMSG;
	}
	memcpy(s->scratch, ans, alen);
	*len = alen;
	r = dns_msg_strip_opt(s->scratch, len);
	if (r < 0)
		return r;
	server_cache_key(&p->q, &k);
	dns_cache_put(s->cache, &k, s->scratch, *len, boot_clock_ms());
	dns_msg_set_id(s->scratch, *len, p->q.h.id);
	return server_finish(s, &p->q, !p->client.conn, s->scratch, sizeof(s->scratch), len);
}

static void server_on_answer(void *arg, bool ok, const uint8_t *ans, size_t alen)
{
	struct dns_pending *p = arg;
	struct dns_service *s = p->s;
	size_t len = 0;
	int r = -EIO;

	pending_unlink(s, p);
	/* Stopping, or dropped to make room for newer queries: no answer. */
	if (s->stopping || (!ok && dns_forward_cancelling(s->fwd))) {
		if (!s->stopping)
			s->n.dropped++;
		dns_io_release(&p->client);
		pending_free(s, p);
		return;
	}
	if (ok)
		r = server_take_answer(s, p, ans, alen, &len);
	if (r < 0) {
		/* An upstream that fails gives SERVFAIL now, not a timeout. */
		s->n.upstream_failures++;
		s->n.servfail++;
		r = dns_local_error(&p->q, DNS_RCODE_SERVFAIL, false, s->scratch,
				    sizeof(s->scratch), &len);
	}
	if (r == 0)
		dns_io_send_later(s, &p->client, s->scratch, len);
	else
		dns_io_release(&p->client);
	pending_free(s, p);
}

/* The query we send upstream: the guest's question, a fresh ID, RD, its
 * CD and AD bits, and our OPT with its DO bit (RFC 3225 3). */
static int server_upstream_query(const struct dns_pending *p, uint8_t *buf, size_t size,
				 size_t *len)
{
	uint16_t flags = (uint16_t)(DNS_FLAG_RD | (p->q.h.flags & (DNS_FLAG_CD | DNS_FLAG_AD)));
	struct dns_builder b;
	int r;

	r = dns_builder_init(&b, buf, size, p->up_id, flags);
	if (r == 0)
		r = dns_builder_question(&b, p->q.q.name, p->q.q.name_len, p->q.q.qtype,
					 p->q.q.qclass);
	if (r == 0)
		r = dns_builder_opt(&b, DNS_UDP_MAX, 0, p->q.do_bit);
	*len = dns_builder_len(&b);
	return r;
}

/* One guest's misses in flight are capped, so that its flood does not
 * push the others' out (dns_forward_drop_oldest) or keep them out. */
static int server_share(struct dns_service *s, const struct dns_client *cl, unsigned *share,
			uint64_t now_ms)
{
	*share = src_share_find(s->pending_share, dns_io_client_addr(cl), now_ms);
	if (src_share_hold(s->pending_share, *share, DNS_PENDING_PER_SOURCE))
		return 0;
	s->n.pending_refused_source++;
	dns_log_limited(s, &s->rl_pending_share, now_ms,
			"a guest has its share of queries in flight upstream; dropping its new ones");
	return -EBUSY;
}

static int server_forward(struct dns_service *s, const struct dns_query *q,
			  const struct dns_client *cl, uint64_t now_ms)
{
	uint8_t qbuf[DNS_HEADER_LEN + DNS_NAME_MAX + 4 + 11];
	struct dns_pending *p;
	unsigned share;
	size_t qlen;
	int r;

	if (server_share(s, cl, &share, now_ms) < 0)
		return -EBUSY;

	if (s->n.pending >= DNS_MAX_PENDING) {
		/* The oldest go, soon; meanwhile a little more is let in. */
		dns_log_limited(s, &s->rl_overload, now_ms,
				"too many queries in flight upstream; dropping the oldest");
		if (dns_forward_drop_oldest(s->fwd) < 0 || s->n.pending >= DNS_PENDING_HARD_MAX) {
			src_share_release(s->pending_share, share);
			return -EBUSY;
		}
	}
	p = calloc(1, sizeof(*p));
	if (!p) {
		src_share_release(s->pending_share, share);
		return -ENOMEM;
	}
	p->s = s;
	p->share = share;
	p->client = *cl;
	p->q = *q;
	p->up_id = server_new_id(s, q->h.id);
	r = server_upstream_query(p, qbuf, sizeof(qbuf), &qlen);
	if (r < 0) {
		pending_free(s, p);
		return r;
	}
	dns_io_hold(&p->client);
	pending_link(s, p);
	s->n.forwarded++;
	r = dns_forward_send(s->fwd, qbuf, qlen, server_on_answer, p);
	if (r < 0) {
		pending_unlink(s, p);
		dns_io_release(&p->client);
		pending_free(s, p);
	}
	return r;
}

static int server_from_cache(struct dns_service *s, const struct dns_query *q, bool udp,
			     uint8_t *out, size_t size, size_t *out_len, uint64_t now_ms)
{
	struct dns_cache_key k;
	int r;

	server_cache_key(q, &k);
	r = dns_cache_get(s->cache, &k, q->h.id, out, size, out_len, now_ms);
	if (r == -EMSGSIZE) {
		s->n.cache_hits++;
		out[3] = 0;
		return server_truncate(s, q, out, size, out_len) == 0 ? 1 : 0;
	}
	if (r < 0)
		return r;
	s->n.cache_hits++;
	return server_finish(s, q, udp, out, size, out_len) == 0 ? 1 : 0;
}

int dns_server_query(struct dns_service *s, const uint8_t *buf, size_t len,
		     const struct dns_client *cl, uint8_t *out, size_t size,
		     size_t *out_len, uint64_t now_ms)
{
	uint32_t src = dns_io_client_addr(cl);
	struct dns_query q;
	int r;

	s->n.queries++;
	r = dns_local_handle(&s->local, buf, len, &q, out, size, out_len);
	if (r < 0 || r == DNS_LOCAL_DROP) {
		s->n.dropped++;
		dns_history_record(&s->history, src, NULL, DNS_FATE_DROPPED, now_ms);
		return 0;
	}
	if (r == DNS_LOCAL_ANSWER) {
		if ((out[3] & DNS_RCODE_MASK) == DNS_RCODE_FORMERR)
			s->n.formerr++;
		else
			s->n.local++;
		dns_history_record(&s->history, src, &q.q, DNS_FATE_LOCAL, now_ms);
		return 1;
	}
	r = server_from_cache(s, &q, !cl->conn, out, size, out_len, now_ms);
	if (r >= 0) {
		dns_history_record(&s->history, src, &q.q, DNS_FATE_CACHE, now_ms);
		return r;
	}
	s->n.cache_misses++;
	r = server_forward(s, &q, cl, now_ms);
	if (r == -EBUSY) {
		s->n.dropped++;
		dns_history_record(&s->history, src, &q.q, DNS_FATE_DROPPED, now_ms);
		return 0;
	}
	if (r < 0) {
		s->n.servfail++;
		dns_history_record(&s->history, src, &q.q, DNS_FATE_SERVFAIL, now_ms);
		return dns_local_error(&q, DNS_RCODE_SERVFAIL, false, out, size, out_len) == 0;
	}
	dns_history_record(&s->history, src, &q.q, DNS_FATE_FORWARDED, now_ms);
	return 0;
}
