/* libFuzzer target for the DNS server's query handling: any bytes as a
 * query to dns_local_handle() (guest names, a domain, the reverse zones
 * of the subnet and of the IPv6 prefix); the same bytes as a name's labels
 * to dns_local_ip6_nibbles();
 * whatever it answers must parse, carry the query's ID, and fit; what it
 * forwards must have a checked question; error answers built for it too.
 * The answer cache gets every answer and must hand it back intact. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "dns_cache.h"
#include "dns_local.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static struct name_table *fuzz_names(void)
{
	static struct name_table *t;

	if (!t) {
		t = name_table_new();
		if (!t || name_table_set(t, "buildbox", 8, 0xac163032u) < 0 ||
		    name_table_set(t, "vm1", 3, 0xac163033u) < 0)
			abort();
	}
	return t;
}

static const uint8_t fuzz_prefix6[16] = { 0xfd, 0x12, 0x34, 0x56, 0x78, 0x9a, 0, 1 };

/* vm1 has fd12:3456:789a:1::50. */
static size_t fuzz_aaaa(void *ctx, uint32_t ip, uint8_t (*out)[16], size_t max)
{
	if (ip != 0xac163033u || max < 1)
		return 0;
	memcpy(out[0], fuzz_prefix6, 16);
	out[0][15] = 0x50;
	return 1;
}

static uint32_t fuzz_name6(void *ctx, const uint8_t addr[16])
{
	return memcmp(addr, fuzz_prefix6, 15) == 0 && addr[15] == 0x50 ? 0xac163033u : 0;
}

static void fuzz_nibbles(const uint8_t *data, size_t size)
{
	uint8_t addr[16];
	bool whole;
	int n = dns_local_ip6_nibbles(data, size, addr, &whole);

	if (n > 32 || (n >= 0 && !whole && (size_t)n * 2 >= size))
		abort();
}

static void fuzz_check_answer(const struct dns_query *q, const uint8_t *out, size_t len,
			      size_t size)
{
	struct dns_header h;
	struct dns_edns e;

	if (len > size || dns_msg_parse_header(out, len, &h) < 0 || h.id != q->h.id ||
	    !(h.flags & DNS_FLAG_QR) || dns_msg_edns(out, len, &e) < 0)
		abort();
}

static void fuzz_cache(const struct dns_query *q, const uint8_t *out, size_t len)
{
	static struct dns_cache *c;
	struct dns_cache_key k = { q->q.name, q->q.name_len, q->q.qtype, q->q.qclass, q->do_bit };
	uint8_t msg[1232], back[1232];
	size_t mlen = len, blen;

	if (!c && !(c = dns_cache_new(1 << 16, 7)))
		abort();
	memcpy(msg, out, len);
	if (dns_msg_strip_opt(msg, &mlen) < 0)
		return;
	if (dns_cache_put(c, &k, msg, mlen, 0) == 1 &&
	    (dns_cache_get(c, &k, q->h.id, back, sizeof(back), &blen, 0) < 0 ||
	     blen != mlen || memcmp(back, msg, mlen) != 0))
		abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct dns_local_ctx ctx;
	struct dns_query q;
	uint8_t out[DNS_UDP_MAX];
	size_t len = 0;
	int r;

	if (dns_local_ctx_init(&ctx, fuzz_names(), "internal", "myhost", 0xac163001u,
			       0xac163000u, 20) < 0)
		abort();
	ctx.aaaa = fuzz_aaaa;
	ctx.name6 = fuzz_name6;
	memcpy(ctx.prefix6, fuzz_prefix6, 16);
	ctx.prefix6_len = 64;
	memcpy(ctx.gateway6, fuzz_prefix6, 16);
	ctx.gateway6[15] = 1;
	fuzz_nibbles(data, size);
	r = dns_local_handle(&ctx, data, size, &q, out, sizeof(out), &len);
	if (r == DNS_LOCAL_ANSWER) {
		fuzz_check_answer(&q, out, len, sizeof(out));
		if (q.q.name_len)
			fuzz_cache(&q, out, len);
	} else if (r == DNS_LOCAL_FORWARD) {
		if (dns_name_check(q.q.name, q.q.name_len) < 0 || q.udp_max < 512 ||
		    q.udp_max > DNS_UDP_MAX)
			abort();
		if (dns_local_error(&q, DNS_RCODE_SERVFAIL, true, out, sizeof(out), &len) < 0)
			abort();
		fuzz_check_answer(&q, out, len, sizeof(out));
	} else if (r != DNS_LOCAL_DROP) {
		abort();
	}
	return 0;
}
