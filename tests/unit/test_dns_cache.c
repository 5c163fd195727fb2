/* dns/dns_cache.c: TTLs, negative caching, keys, LRU bound, flush. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "dns_cache.h"
#include "dns_codec.h"

struct msg {
	uint8_t buf[1024];
	size_t len;
	uint8_t name[DNS_NAME_MAX];
	size_t name_len;
};

static void name(struct msg *m, const char *text)
{
	assert_int_equal(dns_name_from_text(text, strlen(text), m->name, &m->name_len), 0);
}

/* An A answer with ttl, or (ttl_a 0) a negative answer with an SOA
 * (soa: whether it has one) of TTL soa_ttl and MINIMUM soa_min. */
static void answer(struct msg *m, const char *text, unsigned rcode, uint32_t ttl_a,
		   bool soa, uint32_t soa_ttl, uint32_t soa_min)
{
	static const uint8_t ip[4] = { 192, 0, 2, 1 };
	const struct dns_soa_times t = { 1, 2, 3, 4, soa_min };
	struct dns_builder b;

	name(m, text);
	assert_int_equal(dns_builder_init(&b, m->buf, sizeof(m->buf), 0x9999,
					  DNS_FLAG_QR | DNS_FLAG_RD | DNS_FLAG_RA), 0);
	dns_builder_set_rcode(&b, rcode);
	assert_int_equal(dns_builder_question(&b, m->name, m->name_len, DNS_TYPE_A, DNS_CLASS_IN), 0);
	if (ttl_a)
		assert_int_equal(dns_builder_a(&b, DNS_SECTION_ANSWER, m->name, m->name_len,
					       DNS_CLASS_IN, ttl_a, ip), 0);
	if (soa)
		assert_int_equal(dns_builder_soa(&b, DNS_SECTION_AUTHORITY, m->name + 1 + m->name[0],
						 m->name_len - 1 - m->name[0], soa_ttl,
						 m->name, m->name_len, m->name, m->name_len, &t), 0);
	m->len = dns_builder_len(&b);
}

static struct dns_cache_key key(const struct msg *m, bool do_bit)
{
	return (struct dns_cache_key){ m->name, m->name_len, DNS_TYPE_A, DNS_CLASS_IN, do_bit };
}

/* TTL of the first record of a message. */
static uint32_t first_ttl(const uint8_t *buf, size_t len)
{
	struct dns_iter it;
	struct dns_rr rr;

	assert_int_equal(dns_iter_init(&it, buf, len, NULL), 0);
	assert_int_equal(dns_iter_rr(&it, &rr), 1);
	return rr.ttl;
}

static void test_hit_ttl(void **state)
{
	struct dns_cache *c = dns_cache_new(1 << 20, 42);
	struct msg m, q;
	struct dns_cache_key k;
	uint8_t out[1024];
	size_t len;

	answer(&m, "www.example.com", DNS_RCODE_NOERROR, 300, false, 0, 0);
	k = key(&m, false);
	assert_int_equal(dns_cache_put(c, &k, m.buf, m.len, 1000), 1);
	name(&q, "WWW.Example.COM");
	k = key(&q, false);
	assert_int_equal(dns_cache_get(c, &k, 0x4242, out, sizeof(out), &len, 1000 + 10500), 0);
	assert_int_equal(len, m.len);
	assert_int_equal(out[0] << 8 | out[1], 0x4242);
	assert_memory_equal(out + 12, q.name, q.name_len);   /* the asker's case */
	assert_int_equal(first_ttl(out, len), 290);
	/* DO is part of the key. */
	k = key(&q, true);
	assert_int_equal(dns_cache_get(c, &k, 1, out, sizeof(out), &len, 2000), -ENOENT);
	/* Expired at 300 s. */
	k = key(&q, false);
	assert_int_equal(dns_cache_get(c, &k, 1, out, sizeof(out), &len, 1000 + 299999), 0);
	assert_int_equal(first_ttl(out, len), 1);
	assert_int_equal(dns_cache_get(c, &k, 1, out, sizeof(out), &len, 1000 + 300000), -ENOENT);
	/* Too small a buffer. */
	assert_int_equal(dns_cache_put(c, &k, m.buf, m.len, 0), 1);
	assert_int_equal(dns_cache_get(c, &k, 1, out, m.len - 1, &len, 0), -EMSGSIZE);
	dns_cache_free(c);
}

static void test_negative(void **state)
{
	struct dns_cache *c = dns_cache_new(1 << 20, 1);
	struct dns_cache_key k;
	struct msg m;
	uint8_t out[1024];
	size_t len;

	/* RFC 2308 5: min(SOA TTL, MINIMUM). */
	answer(&m, "nope.example.com", DNS_RCODE_NXDOMAIN, 0, true, 3600, 60);
	k = key(&m, false);
	assert_int_equal(dns_cache_put(c, &k, m.buf, m.len, 0), 1);
	assert_int_equal(dns_cache_get(c, &k, 7, out, sizeof(out), &len, 59999), 0);
	assert_int_equal(out[3] & 0xf, DNS_RCODE_NXDOMAIN);
	assert_int_equal(dns_cache_get(c, &k, 7, out, sizeof(out), &len, 60000), -ENOENT);
	/* NODATA with an SOA, capped at three hours. */
	answer(&m, "nodata.example.com", DNS_RCODE_NOERROR, 0, true, 86400, 86400);
	k = key(&m, false);
	assert_int_equal(dns_cache_put(c, &k, m.buf, m.len, 0), 1);
	assert_int_equal(dns_cache_get(c, &k, 7, out, sizeof(out), &len,
				       DNS_CACHE_MAX_NEG_TTL * 1000ull - 1), 0);
	assert_int_equal(dns_cache_get(c, &k, 7, out, sizeof(out), &len,
				       DNS_CACHE_MAX_NEG_TTL * 1000ull), -ENOENT);
	/* Without an SOA: not cached. */
	answer(&m, "nosoa.example.com", DNS_RCODE_NXDOMAIN, 0, false, 0, 0);
	k = key(&m, false);
	assert_int_equal(dns_cache_put(c, &k, m.buf, m.len, 0), 0);
	dns_cache_free(c);
}

static void test_not_cacheable(void **state)
{
	struct dns_cache *c = dns_cache_new(1 << 20, 1);
	struct dns_cache_key k;
	struct msg m, other;

	answer(&m, "a.example.com", DNS_RCODE_SERVFAIL, 300, false, 0, 0);
	k = key(&m, false);
	assert_int_equal(dns_cache_put(c, &k, m.buf, m.len, 0), 0);
	answer(&m, "a.example.com", DNS_RCODE_NOERROR, 0, true, 0, 0);   /* TTL 0 */
	assert_int_equal(dns_cache_put(c, &k, m.buf, m.len, 0), 0);
	answer(&m, "a.example.com", DNS_RCODE_NOERROR, 300, false, 0, 0);
	m.buf[2] |= DNS_FLAG_TC >> 8;
	assert_int_equal(dns_cache_put(c, &k, m.buf, m.len, 0), 0);
	/* Another question than the key's. */
	name(&other, "b.example.com");
	k = key(&other, false);
	answer(&m, "a.example.com", DNS_RCODE_NOERROR, 300, false, 0, 0);
	assert_int_equal(dns_cache_put(c, &k, m.buf, m.len, 0), -EINVAL);
	/* Garbage. */
	k = key(&m, false);
	assert_int_equal(dns_cache_put(c, &k, m.buf, 11, 0), -EBADMSG);
	dns_cache_free(c);
}

static void test_lru_bound(void **state)
{
	const size_t max = 64 << 10;
	struct dns_cache *c = dns_cache_new(max, 3);
	struct dns_cache_stats st;
	struct dns_cache_key k;
	struct msg m;
	char text[64];
	uint8_t out[1024];
	size_t len;

	for (unsigned i = 0; i < 2000; i++) {
		snprintf(text, sizeof(text), "host%u.example.com", i);
		answer(&m, text, DNS_RCODE_NOERROR, 300, false, 0, 0);
		k = key(&m, false);
		assert_int_equal(dns_cache_put(c, &k, m.buf, m.len, 0), 1);
		if (i == 0 || i % 100 == 0) {
			/* Keep host0 in use: it must survive. */
			name(&m, "host0.example.com");
			k = key(&m, false);
			assert_int_equal(dns_cache_get(c, &k, 1, out, sizeof(out), &len, 0), 0);
		}
	}
	dns_cache_stats(c, &st);
	assert_true(st.bytes <= max);
	assert_true(st.entries > 100 && st.entries < 2000);
	assert_true(st.evictions > 0);
	name(&m, "host1.example.com");
	k = key(&m, false);
	assert_int_equal(dns_cache_get(c, &k, 1, out, sizeof(out), &len, 0), -ENOENT);
	name(&m, "host1999.example.com");
	k = key(&m, false);
	assert_int_equal(dns_cache_get(c, &k, 1, out, sizeof(out), &len, 0), 0);
	dns_cache_flush(c);
	dns_cache_stats(c, &st);
	assert_int_equal(st.entries, 0);
	assert_int_equal(st.bytes, 0);
	assert_int_equal(dns_cache_get(c, &k, 1, out, sizeof(out), &len, 0), -ENOENT);
	dns_cache_free(c);
}

static void test_replace(void **state)
{
	struct dns_cache *c = dns_cache_new(1 << 20, 5);
	struct dns_cache_stats st;
	struct dns_cache_key k;
	struct msg m;
	uint8_t out[1024];
	size_t len;

	answer(&m, "x.example.com", DNS_RCODE_NOERROR, 100, false, 0, 0);
	k = key(&m, false);
	assert_int_equal(dns_cache_put(c, &k, m.buf, m.len, 0), 1);
	answer(&m, "x.example.com", DNS_RCODE_NOERROR, 200, false, 0, 0);
	assert_int_equal(dns_cache_put(c, &k, m.buf, m.len, 0), 1);
	dns_cache_stats(c, &st);
	assert_int_equal(st.entries, 1);
	assert_int_equal(dns_cache_get(c, &k, 1, out, sizeof(out), &len, 0), 0);
	assert_int_equal(first_ttl(out, len), 200);
	dns_cache_free(c);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_hit_ttl),
		cmocka_unit_test(test_negative),
		cmocka_unit_test(test_not_cacheable),
		cmocka_unit_test(test_lru_bound),
		cmocka_unit_test(test_replace),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
