/* How often the daemon may repair what others undo (its nftables table,
 * the gateway address, the bridge) before it stops fighting: a token
 * bucket of HEAL_BURST repairs, one token back every HEAL_REFILL_MS. A
 * firewall reload that flushes the ruleset once is repaired at once; a
 * loop that removes the table again and again gets HEAL_BURST repairs,
 * then one per HEAL_REFILL_MS, and a single log line per HEAL_WARN_MS.
 * Pure code: the caller passes the time. */
#ifndef DEFNET_HEAL_BUDGET_H
#define DEFNET_HEAL_BUDGET_H

#include <stdbool.h>
#include <stdint.h>

#define HEAL_BURST 5
#define HEAL_REFILL_MS 2000
#define HEAL_WARN_MS 10000

struct heal_budget {
	unsigned tokens;
	uint64_t refilled_ms;    /* when the last token came back */
	uint64_t warned_ms;      /* when the last "keeps removing" line went out */
	bool warned;
	uint64_t repairs;        /* repairs allowed so far */
	uint64_t refused;        /* repairs put off so far */
};

void heal_budget_init(struct heal_budget *b, uint64_t now_ms);

/* Takes a token for a repair now. Returns 0 when the repair may go ahead,
 * else the milliseconds until one may (the caller retries then). */
uint64_t heal_budget_take(struct heal_budget *b, uint64_t now_ms);

/* After a refusal: true at most once per HEAL_WARN_MS, when the caller
 * should log that something keeps undoing its work. */
bool heal_budget_should_warn(struct heal_budget *b, uint64_t now_ms);

#endif
