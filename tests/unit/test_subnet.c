/* Unit tests for daemon/subnet.c: choosing the guest /20. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>

#include <cmocka.h>

#include "daemon/subnet.h"

#define RANGE_172 0xac100000u	/* 172.16.0.0/12: 256 blocks */
#define RANGE_10 0x0a000000u	/* 10.0.0.0/8: 4096 blocks */
#define RANGE_192 0xc0a80000u	/* 192.168.0.0/16: 16 blocks */
#define BLOCK_SIZE (1u << 12)

/* A seed whose halves are both non-trivial: start 0x5a (of 256), an odd
 * stride 0x35 in 172.16/12. */
#define SEED UINT64_C(0x123456359abcde5a)

static struct ip4_prefix pfx(uint8_t a, uint8_t b, uint8_t c, uint8_t d, uint8_t len)
{
	struct ip4_prefix p = {
		.addr = (uint32_t)a << 24 | (uint32_t)b << 16 | (uint32_t)c << 8 | d,
		.len = len,
	};
	return p;
}

/* The documented walk: start at seed mod count, step by the odd number
 * taken from the seed's high half. */
static uint32_t walk_block(uint64_t seed, uint32_t count, uint32_t i)
{
	uint32_t mask = count - 1;
	uint32_t start = (uint32_t)seed & mask;
	uint32_t stride = ((uint32_t)(seed >> 32) | 1) & mask;

	return (start + i * stride) & mask;
}

static uint32_t walk_addr(uint32_t base, uint32_t count, uint64_t seed, uint32_t i)
{
	return base + walk_block(seed, count, i) * BLOCK_SIZE;
}

static void assert_chosen(const struct ip4_prefix *used, size_t n_used,
			  const struct ip4_prefix *avoid, size_t n_avoid,
			  uint64_t seed, uint32_t expect)
{
	struct ip4_prefix out = { 0, 0 };

	assert_int_equal(subnet_choose(used, n_used, avoid, n_avoid, seed, &out), 0);
	assert_int_equal(out.len, SUBNET_AUTO_LEN);
	assert_int_equal(out.addr, expect);
}

static void test_conflicts(void **state)
{
	struct ip4_prefix used[] = {
		pfx(172, 16, 0, 0, 20),
		pfx(10, 1, 2, 3, 32),
	};

	(void)state;
	assert_false(subnet_conflicts(pfx(172, 16, 16, 0, 20), used, 2));
	assert_true(subnet_conflicts(pfx(172, 16, 0, 0, 20), used, 2));
	assert_true(subnet_conflicts(pfx(172, 16, 15, 0, 24), used, 2));
	assert_true(subnet_conflicts(pfx(172, 16, 0, 0, 12), used, 2));
	assert_true(subnet_conflicts(pfx(10, 1, 0, 0, 20), used, 2));
	assert_false(subnet_conflicts(pfx(10, 1, 16, 0, 20), used, 2));
	assert_false(subnet_conflicts(pfx(172, 16, 0, 0, 20), used, 0));
}

static void test_gateway(void **state)
{
	(void)state;
	assert_int_equal(subnet_gateway(pfx(172, 20, 48, 0, 20)),
			 pfx(172, 20, 48, 1, 32).addr);
}

static void test_empty_table_takes_seed_block(void **state)
{
	static const uint64_t seeds[] = {
		0, 1, 255, 256, SEED, UINT64_MAX, UINT64_C(0xfedcba9876543210),
	};
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(seeds) / sizeof(seeds[0]); i++)
		assert_chosen(NULL, 0, NULL, 0, seeds[i],
			      RANGE_172 + (uint32_t)(seeds[i] % 256) * BLOCK_SIZE);
	/* Seed 0x5a: 172.16.0.0 + 0x5a * 4096 = 172.21.160.0. */
	assert_chosen(NULL, 0, NULL, 0, SEED, pfx(172, 21, 160, 0, 20).addr);
}

static void test_route_inside_preferred_block(void **state)
{
	uint32_t first = walk_addr(RANGE_172, 256, SEED, 0);
	struct ip4_prefix used[] = {
		{ .addr = first + 0x700, .len = 24 },
	};

	(void)state;
	assert_chosen(used, 1, NULL, 0, SEED, walk_addr(RANGE_172, 256, SEED, 1));
	assert_int_not_equal(walk_addr(RANGE_172, 256, SEED, 1), first + BLOCK_SIZE);
}

static void test_host_address_inside_preferred_block(void **state)
{
	uint32_t first = walk_addr(RANGE_172, 256, SEED, 0);
	struct ip4_prefix used[] = {
		pfx(192, 0, 2, 1, 32),
		{ .addr = first + BLOCK_SIZE - 1, .len = 32 },
	};

	(void)state;
	assert_chosen(used, 2, NULL, 0, SEED, walk_addr(RANGE_172, 256, SEED, 1));
}

static void test_host_bits_in_used_are_ignored(void **state)
{
	uint32_t first = walk_addr(RANGE_172, 256, SEED, 0);
	struct ip4_prefix used[] = {
		{ .addr = first + 5, .len = 20 },
	};

	(void)state;
	assert_chosen(used, 1, NULL, 0, SEED, walk_addr(RANGE_172, 256, SEED, 1));
}

static void test_adjacent_routes_do_not_count(void **state)
{
	uint32_t first = walk_addr(RANGE_172, 256, SEED, 0);
	struct ip4_prefix used[] = {
		{ .addr = first - BLOCK_SIZE, .len = 20 },
		{ .addr = first + BLOCK_SIZE, .len = 20 },
		{ .addr = first + BLOCK_SIZE, .len = 32 },
	};

	(void)state;
	assert_chosen(used, 3, NULL, 0, SEED, first);
}

static void test_several_taken_in_a_row(void **state)
{
	struct ip4_prefix used[3];
	uint32_t i;

	(void)state;
	for (i = 0; i < 3; i++) {
		used[i].addr = walk_addr(RANGE_172, 256, SEED, i);
		used[i].len = 20;
	}
	assert_chosen(used, 3, NULL, 0, SEED, walk_addr(RANGE_172, 256, SEED, 3));
}

static void test_covered_172_falls_to_10(void **state)
{
	struct ip4_prefix used[] = { pfx(172, 16, 0, 0, 12) };

	(void)state;
	assert_chosen(used, 1, NULL, 0, SEED, walk_addr(RANGE_10, 4096, SEED, 0));
}

static void test_covered_172_and_10_falls_to_192(void **state)
{
	struct ip4_prefix used[] = { pfx(10, 0, 0, 0, 8), pfx(172, 16, 0, 0, 12) };

	(void)state;
	assert_chosen(used, 2, NULL, 0, SEED, walk_addr(RANGE_192, 16, SEED, 0));
	assert_chosen(used, 2, NULL, 0, SEED, RANGE_192 + (SEED % 16) * BLOCK_SIZE);
}

static void test_wider_route_covers_a_range(void **state)
{
	/* 172.0.0.0/8 contains all of 172.16/12. */
	struct ip4_prefix used[] = { pfx(172, 0, 0, 0, 8) };

	(void)state;
	assert_chosen(used, 1, NULL, 0, SEED, walk_addr(RANGE_10, 4096, SEED, 0));
}

static void test_all_covered_is_enospc(void **state)
{
	struct ip4_prefix used[] = {
		pfx(10, 0, 0, 0, 8), pfx(172, 16, 0, 0, 12), pfx(192, 168, 0, 0, 16),
	};
	struct ip4_prefix out = pfx(1, 2, 3, 0, 24);

	(void)state;
	assert_int_equal(subnet_choose(used, 3, NULL, 0, SEED, &out), -ENOSPC);
	assert_int_equal(subnet_choose(used, 3, NULL, 0, 0, &out), -ENOSPC);
}

/* Default routes are the caller's to drop.  A split default route (OpenVPN
 * "def1": 0.0.0.0/1 and 128.0.0.0/1) is not dropped here: it overlaps
 * every block, so the caller has to filter it like 0.0.0.0/0 when it wants
 * it treated as a default route. */
static void test_split_default_route_covers_everything(void **state)
{
	struct ip4_prefix used[] = { pfx(0, 0, 0, 0, 1), pfx(128, 0, 0, 0, 1) };
	struct ip4_prefix out;

	(void)state;
	assert_int_equal(subnet_choose(used, 2, NULL, 0, SEED, &out), -ENOSPC);
	/* 128.0.0.0/1 alone leaves 10/8 free. */
	assert_chosen(used + 1, 1, NULL, 0, SEED, walk_addr(RANGE_10, 4096, SEED, 0));
}

static void test_walk_reaches_the_last_free_block(void **state)
{
	static const uint64_t seeds[] = { 0, 1, SEED, UINT64_MAX, UINT64_C(0x80000000ff) };
	struct ip4_prefix used[255];
	uint32_t free_block, b, n;
	size_t s;

	(void)state;
	for (s = 0; s < sizeof(seeds) / sizeof(seeds[0]); s++) {
		for (free_block = 0; free_block < 256; free_block += 51) {
			n = 0;
			for (b = 0; b < 256; b++) {
				if (b == free_block)
					continue;
				used[n].addr = RANGE_172 + b * BLOCK_SIZE;
				used[n++].len = 20;
			}
			assert_chosen(used, n, NULL, 0, seeds[s],
				      RANGE_172 + free_block * BLOCK_SIZE);
		}
	}
}

static void test_avoid_exact_block(void **state)
{
	struct ip4_prefix avoid[] = {
		{ .addr = walk_addr(RANGE_172, 256, SEED, 0), .len = 20 },
	};

	(void)state;
	assert_chosen(NULL, 0, avoid, 1, SEED, walk_addr(RANGE_172, 256, SEED, 1));
}

/* avoid[] entries count when they overlap a block, not only when equal. */
static void test_avoid_overlapping_prefix(void **state)
{
	uint32_t first = walk_addr(RANGE_172, 256, SEED, 0);
	struct ip4_prefix avoid[] = {
		{ .addr = first + 0x100, .len = 24 },
		{ .addr = walk_addr(RANGE_172, 256, SEED, 1), .len = 20 },
	};
	struct ip4_prefix used[] = {
		{ .addr = walk_addr(RANGE_172, 256, SEED, 2), .len = 32 },
	};
	struct ip4_prefix whole[] = { pfx(172, 16, 0, 0, 12) };

	(void)state;
	assert_chosen(used, 1, avoid, 2, SEED, walk_addr(RANGE_172, 256, SEED, 3));
	assert_chosen(NULL, 0, whole, 1, SEED, walk_addr(RANGE_10, 4096, SEED, 0));
}

static void test_bad_arguments(void **state)
{
	struct ip4_prefix bad[] = { { .addr = 0, .len = 33 } };
	struct ip4_prefix good[] = { pfx(10, 0, 0, 0, 8) };
	struct ip4_prefix out;

	(void)state;
	assert_int_equal(subnet_choose(NULL, 0, NULL, 0, 0, NULL), -EINVAL);
	assert_int_equal(subnet_choose(NULL, 1, NULL, 0, 0, &out), -EINVAL);
	assert_int_equal(subnet_choose(good, 1, NULL, 1, 0, &out), -EINVAL);
	assert_int_equal(subnet_choose(bad, 1, NULL, 0, 0, &out), -EINVAL);
	assert_int_equal(subnet_choose(good, 1, bad, 1, 0, &out), -EINVAL);
}

/* A small deterministic generator, so a failure can be replayed. */
static uint64_t xorshift64(uint64_t *s)
{
	*s ^= *s << 13;
	*s ^= *s >> 7;
	*s ^= *s << 17;
	return *s;
}

/* A route inside one of the private ranges (so it matters) one time in
 * private_one_in, anywhere otherwise; min_len..32 long. */
static struct ip4_prefix random_route(uint64_t *rng, unsigned int private_one_in,
				      uint8_t min_len)
{
	static const uint32_t bases[] = { RANGE_172, RANGE_10, RANGE_192 };
	static const uint8_t base_len[] = { 12, 8, 16 };
	uint64_t r = xorshift64(rng);
	unsigned int which = (unsigned int)(r % (3 * private_one_in));
	struct ip4_prefix p;

	p.len = (uint8_t)(min_len + (r >> 8) % (33 - min_len));
	p.addr = (uint32_t)(r >> 32);
	if (which < 3) {
		if (p.len < base_len[which])
			p.len = base_len[which];
		p.addr = bases[which] | (p.addr & ~ip4_mask(base_len[which]));
	}
	p.addr &= ip4_mask(p.len);
	return p;
}

/* The obvious O(blocks * n) search, in the documented order. */
static int reference_choose(const struct ip4_prefix *used, size_t n, uint64_t seed,
			    struct ip4_prefix *out)
{
	static const uint32_t bases[] = { RANGE_172, RANGE_10, RANGE_192 };
	static const uint32_t counts[] = { 256, 4096, 16 };
	struct ip4_prefix p;
	uint32_t i;
	size_t r;

	for (r = 0; r < 3; r++) {
		for (i = 0; i < counts[r]; i++) {
			p.addr = walk_addr(bases[r], counts[r], seed, i);
			p.len = SUBNET_AUTO_LEN;
			if (!subnet_conflicts(p, used, n)) {
				*out = p;
				return 0;
			}
		}
	}
	return -ENOSPC;
}

static void test_big_table(void **state)
{
	enum { N = 5000 };
	struct ip4_prefix *used = calloc(N, sizeof(*used));
	struct ip4_prefix out, ref;
	uint64_t rng = UINT64_C(0x9e3779b97f4a7c15), seed;
	int round, i, ret, found = 0;

	(void)state;
	assert_non_null(used);
	for (round = 0; round < 20; round++) {
		for (i = 0; i < N; i++)
			used[i] = random_route(&rng, 30, 16);
		seed = xorshift64(&rng);
		ret = subnet_choose(used, N, NULL, 0, seed, &out);
		assert_int_equal(ret, reference_choose(used, N, seed, &ref));
		if (ret < 0)
			continue;
		assert_int_equal(out.len, SUBNET_AUTO_LEN);
		assert_false(subnet_conflicts(out, used, N));
		assert_int_equal(out.addr, ref.addr);
		found++;
	}
	free(used);
	/* The table leaves room: the search must have had something to find. */
	assert_int_equal(found, 20);
}

/* Smaller tables, many of them, against the reference search. */
static void test_random_tables_match_reference(void **state)
{
	struct ip4_prefix used[64], out, ref;
	uint64_t rng = 42, seed;
	int round, ret, in_10 = 0;
	size_t n, i;

	(void)state;
	for (round = 0; round < 2000; round++) {
		n = (size_t)(xorshift64(&rng) % 64);
		for (i = 0; i < n; i++)
			used[i] = random_route(&rng, 2, 8);
		seed = xorshift64(&rng);
		ret = subnet_choose(used, n, NULL, 0, seed, &out);
		assert_int_equal(ret, reference_choose(used, n, seed, &ref));
		if (ret < 0)
			continue;
		assert_int_equal(out.addr, ref.addr);
		if ((out.addr >> 24) == 10)
			in_10++;
	}
	/* The tables are dense enough that the fallback was exercised. */
	assert_true(in_10 > 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_conflicts),
		cmocka_unit_test(test_gateway),
		cmocka_unit_test(test_empty_table_takes_seed_block),
		cmocka_unit_test(test_route_inside_preferred_block),
		cmocka_unit_test(test_host_address_inside_preferred_block),
		cmocka_unit_test(test_host_bits_in_used_are_ignored),
		cmocka_unit_test(test_adjacent_routes_do_not_count),
		cmocka_unit_test(test_several_taken_in_a_row),
		cmocka_unit_test(test_covered_172_falls_to_10),
		cmocka_unit_test(test_covered_172_and_10_falls_to_192),
		cmocka_unit_test(test_wider_route_covers_a_range),
		cmocka_unit_test(test_all_covered_is_enospc),
		cmocka_unit_test(test_split_default_route_covers_everything),
		cmocka_unit_test(test_walk_reaches_the_last_free_block),
		cmocka_unit_test(test_avoid_exact_block),
		cmocka_unit_test(test_avoid_overlapping_prefix),
		cmocka_unit_test(test_bad_arguments),
		cmocka_unit_test(test_big_table),
		cmocka_unit_test(test_random_tables_match_reference),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
