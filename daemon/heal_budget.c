/* The repair budget: see heal_budget.h. */
#include "heal_budget.h"

void heal_budget_init(struct heal_budget *b, uint64_t now_ms)
{
	*b = (struct heal_budget){ .tokens = HEAL_BURST, .refilled_ms = now_ms };
}

static void heal_budget_refill(struct heal_budget *b, uint64_t now_ms)
{
	uint64_t earned;

	if (now_ms < b->refilled_ms) {  /* a clock that went back: start over */
		b->refilled_ms = now_ms;
		return;
	}
	earned = (now_ms - b->refilled_ms) / HEAL_REFILL_MS;
	if (earned == 0)
		return;
	if (b->tokens + earned >= HEAL_BURST)
		b->tokens = HEAL_BURST;
	else
		b->tokens += (unsigned)earned;
	b->refilled_ms += earned * HEAL_REFILL_MS;
	if (b->tokens == HEAL_BURST)
		b->refilled_ms = now_ms;
}

uint64_t heal_budget_take(struct heal_budget *b, uint64_t now_ms)
{
	heal_budget_refill(b, now_ms);
	if (b->tokens > 0) {
		b->tokens--;
		b->repairs++;
		return 0;
	}
	b->refused++;
	return b->refilled_ms + HEAL_REFILL_MS - now_ms;
}

bool heal_budget_should_warn(struct heal_budget *b, uint64_t now_ms)
{
	if (b->warned && now_ms >= b->warned_ms && now_ms - b->warned_ms < HEAL_WARN_MS)
		return false;
	b->warned = true;
	b->warned_ms = now_ms;
	return true;
}
