/* Fair shares between the sources (guest addresses) of one resource: each
 * source its own token bucket (a rate) and its own count of things held
 * (connections, queries in flight), so that one guest cannot spend what
 * all guests share. Bounded: a fixed table of SRC_SHARE_SLOTS sources,
 * open addressing over SRC_SHARE_PROBE slots (O(1) per packet); a source
 * that finds no room shares one overflow slot with the others that found
 * none, so memory never grows and a flood of fresh addresses only hurts
 * the sources in overflow. A slot is reused once it holds nothing and its
 * bucket is full again: such a source is indistinguishable from a new one.
 * Pure: the caller gives the time. */
#ifndef DEFNET_SRC_SHARE_H
#define DEFNET_SRC_SHARE_H

#include <stdbool.h>
#include <stdint.h>

#define SRC_SHARE_SLOTS 512
#define SRC_SHARE_PROBE 8
#define SRC_SHARE_OVERFLOW SRC_SHARE_SLOTS   /* the slot of sources without one */

struct src_share_slot {
	uint32_t addr;
	uint32_t held;          /* connections, queries, ... held now */
	uint64_t milli;         /* tokens, in thousandths */
	uint64_t at_ms;         /* when milli was last refilled */
	uint64_t seen;          /* 1 + the second it was last found in */
	bool used;
};

struct src_share {
	uint32_t rate;          /* tokens a second; 0: no bucket, counts only */
	uint32_t burst;         /* the bucket's size */
	uint32_t seed;          /* hashes addresses: guests cannot aim at a slot */
	uint32_t in_use;        /* slots used (overflow excluded) */
	uint64_t second;        /* the current second, for active sources */
	uint32_t active_now, active_before;   /* found in it, in the one before */
	struct src_share_slot slot[SRC_SHARE_SLOTS + 1];
};

void src_share_init(struct src_share *t, uint32_t rate, uint32_t burst, uint32_t seed);

/* The slot of addr at now_ms, found or claimed; SRC_SHARE_OVERFLOW when the
 * table has no room near its hash. Slot numbers stay valid while held > 0. */
unsigned src_share_find(struct src_share *t, uint32_t addr, uint64_t now_ms);

/* How many sources were found in the current second or the one before,
 * whichever is more: whether a source is alone, and may have it all. */
uint32_t src_share_active(struct src_share *t, uint64_t now_ms);

/* Takes n tokens from the slot's bucket. Returns false, taking none, when
 * it holds fewer. Always true for a table without a bucket. */
bool src_share_take(struct src_share *t, unsigned slot, uint64_t now_ms, uint32_t n);

/* Whether the slot's bucket holds less than one token: a cheap test before
 * the work whose result would be charged. */
bool src_share_spent(struct src_share *t, unsigned slot, uint64_t now_ms);

/* Counts one more thing held by the slot, unless it holds limit already
 * (returns false). */
bool src_share_hold(struct src_share *t, unsigned slot, uint32_t limit);
void src_share_release(struct src_share *t, unsigned slot);
uint32_t src_share_held(const struct src_share *t, unsigned slot);

#endif
