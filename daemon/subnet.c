/* Choosing the guest subnet: a /20 out of the private ranges (RFC 1918
 * section 3) that overlaps nothing the host already uses.
 *
 * Each range is cut into /20 blocks.  One pass over used[] and avoid[]
 * marks every block that an entry overlaps in a bitmap, then the blocks
 * are walked in a seed-derived order until an unmarked one turns up.
 * That is O(n_used + blocks) per range (plus the blocks a wide route
 * covers), so a host with thousands of routes costs nothing noticeable. */
#include <errno.h>
#include <string.h>

#include "subnet.h"

/* 10.0.0.0/8 holds 4096 /20 blocks, the largest of the three ranges. */
#define SUBNET_MAX_BLOCKS (1u << (SUBNET_AUTO_LEN - 8))
#define SUBNET_BITMAP_WORDS (SUBNET_MAX_BLOCKS / 64)

/* Tried in this order: 172.16/12 is the least used at home and at work,
 * 10/8 is the VPNs' favourite, 192.168/16 the home routers'. */
static const struct ip4_prefix subnet_ranges[] = {
	{ .addr = 0xac100000, .len = 12 },	/* 172.16.0.0/12 */
	{ .addr = 0x0a000000, .len = 8 },	/* 10.0.0.0/8 */
	{ .addr = 0xc0a80000, .len = 16 },	/* 192.168.0.0/16 */
};

struct subnet_blocks {
	struct ip4_prefix range;
	uint32_t count;
	uint64_t taken[SUBNET_BITMAP_WORDS];
};

bool subnet_conflicts(struct ip4_prefix p, const struct ip4_prefix *used, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (ip4_prefix_overlaps(p, used[i]))
			return true;
	return false;
}

static bool subnet_prefixes_valid(const struct ip4_prefix *v, size_t n)
{
	size_t i;

	if (n > 0 && !v)
		return false;
	for (i = 0; i < n; i++)
		if (v[i].len > 32)
			return false;
	return true;
}

static void subnet_blocks_init(struct subnet_blocks *b, struct ip4_prefix range)
{
	memset(b, 0, sizeof(*b));
	b->range = range;
	b->count = 1u << (SUBNET_AUTO_LEN - range.len);
}

static bool subnet_block_taken(const struct subnet_blocks *b, uint32_t i)
{
	return b->taken[i / 64] & (UINT64_C(1) << (i % 64));
}

/* Marks every block of the range that p overlaps. */
static void subnet_blocks_mark(struct subnet_blocks *b, struct ip4_prefix p)
{
	uint32_t lo, hi, first, last, i;

	p.addr &= ip4_mask(p.len);
	if (!ip4_prefix_overlaps(p, b->range))
		return;
	/* Overlapping prefixes nest, so the intersection is the longer one. */
	if (p.len >= b->range.len) {
		lo = p.addr;
		hi = ip4_prefix_last(p);
	} else {
		lo = b->range.addr;
		hi = ip4_prefix_last(b->range);
	}
	first = (lo - b->range.addr) >> (32 - SUBNET_AUTO_LEN);
	last = (hi - b->range.addr) >> (32 - SUBNET_AUTO_LEN);
	for (i = first; i <= last; i++)
		b->taken[i / 64] |= UINT64_C(1) << (i % 64);
}

/* The low bits of the seed pick the first block, the high half an odd
 * stride: odd is coprime with the power-of-two block count, so the walk
 * visits every block once, and hosts whose first choice is taken by the
 * same wide route (a VPN's /16) do not all fall onto the same next one. */
static int subnet_blocks_pick(const struct subnet_blocks *b, uint64_t seed,
			      struct ip4_prefix *out)
{
	uint32_t mask = b->count - 1;
	uint32_t start = (uint32_t)seed & mask;
	uint32_t stride = ((uint32_t)(seed >> 32) | 1) & mask;
	uint32_t i, block;

	for (i = 0; i < b->count; i++) {
		block = (start + i * stride) & mask;
		if (subnet_block_taken(b, block))
			continue;
		out->addr = b->range.addr + (block << (32 - SUBNET_AUTO_LEN));
		out->len = SUBNET_AUTO_LEN;
		return 0;
	}
	return -ENOSPC;
}

/* avoid[] entries are treated like used[] ones: a block is skipped when it
 * overlaps one, not only when it equals one.  A subnet that once conflicted
 * may have been a configured one of any length; every block that shares
 * addresses with it is equally suspect. */
int subnet_choose(const struct ip4_prefix *used, size_t n_used,
		  const struct ip4_prefix *avoid, size_t n_avoid,
		  uint64_t seed, struct ip4_prefix *out)
{
	struct subnet_blocks b;
	size_t r, i;

	if (!out || !subnet_prefixes_valid(used, n_used) ||
	    !subnet_prefixes_valid(avoid, n_avoid))
		return -EINVAL;

	for (r = 0; r < sizeof(subnet_ranges) / sizeof(subnet_ranges[0]); r++) {
		subnet_blocks_init(&b, subnet_ranges[r]);
		for (i = 0; i < n_used; i++)
			subnet_blocks_mark(&b, used[i]);
		for (i = 0; i < n_avoid; i++)
			subnet_blocks_mark(&b, avoid[i]);
		if (subnet_blocks_pick(&b, seed, out) == 0)
			return 0;
	}
	return -ENOSPC;
}
