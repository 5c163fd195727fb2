/* Per-source token buckets and counts in a bounded table (src_share.h). */
#include <string.h>

#include "src_share.h"

void src_share_init(struct src_share *t, uint32_t rate, uint32_t burst, uint32_t seed)
{
	memset(t, 0, sizeof(*t));
	t->rate = rate;
	t->burst = burst;
	t->seed = seed;
	t->slot[SRC_SHARE_OVERFLOW] = (struct src_share_slot){
		.used = true, .milli = (uint64_t)burst * 1000,
	};
}

static void share_refill(const struct src_share *t, struct src_share_slot *s, uint64_t now_ms)
{
	uint64_t cap = (uint64_t)t->burst * 1000;

	if (now_ms <= s->at_ms)
		return;
	/* Past a full refill the product could overflow: cap the gap. */
	if (now_ms - s->at_ms >= 1000ull * t->burst + 1000 || !t->rate)
		s->milli = cap;
	else
		s->milli += (now_ms - s->at_ms) * t->rate;
	if (s->milli > cap)
		s->milli = cap;
	s->at_ms = now_ms;
}

/* Free again: nothing held and a full bucket, as a new source would have. */
static bool share_reusable(const struct src_share *t, struct src_share_slot *s, uint64_t now_ms)
{
	if (!s->used)
		return true;
	if (s->held)
		return false;
	share_refill(t, s, now_ms);
	return s->milli >= (uint64_t)t->burst * 1000;
}

static unsigned share_hash(const struct src_share *t, uint32_t addr)
{
	uint32_t h = (addr ^ t->seed) * 2654435761u;   /* Knuth's multiplicative hash */

	return (h >> 16) % SRC_SHARE_SLOTS;
}

static void share_roll(struct src_share *t, uint64_t now_ms)
{
	uint64_t second = now_ms / 1000;

	if (second == t->second)
		return;
	t->active_before = second == t->second + 1 ? t->active_now : 0;
	t->active_now = 0;
	t->second = second;
}

/* Counts the slot's source once in the current second. */
static unsigned share_seen(struct src_share *t, unsigned k, uint64_t now_ms)
{
	share_roll(t, now_ms);
	if (t->slot[k].seen != t->second + 1) {
		t->slot[k].seen = t->second + 1;
		t->active_now++;
	}
	return k;
}

uint32_t src_share_active(struct src_share *t, uint64_t now_ms)
{
	share_roll(t, now_ms);
	return t->active_now > t->active_before ? t->active_now : t->active_before;
}

unsigned src_share_find(struct src_share *t, uint32_t addr, uint64_t now_ms)
{
	unsigned h = share_hash(t, addr), free_slot = SRC_SHARE_OVERFLOW;

	for (unsigned i = 0; i < SRC_SHARE_PROBE; i++) {
		unsigned k = (h + i) % SRC_SHARE_SLOTS;
		struct src_share_slot *s = &t->slot[k];

		if (s->used && s->addr == addr)
			return share_seen(t, k, now_ms);
		if (free_slot == SRC_SHARE_OVERFLOW && share_reusable(t, s, now_ms))
			free_slot = k;
	}
	if (free_slot != SRC_SHARE_OVERFLOW) {
		if (!t->slot[free_slot].used)
			t->in_use++;
		t->slot[free_slot] = (struct src_share_slot){
			.addr = addr, .used = true, .at_ms = now_ms,
			.milli = (uint64_t)t->burst * 1000,
		};
	}
	return share_seen(t, free_slot, now_ms);
}

bool src_share_take(struct src_share *t, unsigned slot, uint64_t now_ms, uint32_t n)
{
	struct src_share_slot *s = &t->slot[slot];

	if (!t->rate)
		return true;
	share_refill(t, s, now_ms);
	if (s->milli < (uint64_t)n * 1000)
		return false;
	s->milli -= (uint64_t)n * 1000;
	return true;
}

bool src_share_spent(struct src_share *t, unsigned slot, uint64_t now_ms)
{
	if (!t->rate)
		return false;
	share_refill(t, &t->slot[slot], now_ms);
	return t->slot[slot].milli < 1000;
}

bool src_share_hold(struct src_share *t, unsigned slot, uint32_t limit)
{
	struct src_share_slot *s = &t->slot[slot];

	if (s->held >= limit)
		return false;
	s->held++;
	return true;
}

void src_share_release(struct src_share *t, unsigned slot)
{
	if (t->slot[slot].held)
		t->slot[slot].held--;
}

uint32_t src_share_held(const struct src_share *t, unsigned slot)
{
	return t->slot[slot].held;
}
