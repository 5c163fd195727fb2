#include "log_limit.h"

bool log_limit_due(struct log_limit *l, uint64_t now_ms, uint64_t interval_ms, uint64_t *held)
{
	if (l->logged && now_ms - l->last_ms < interval_ms) {
		l->held++;
		return false;
	}
	if (held)
		*held = l->held;
	l->held = 0;
	l->logged = true;
	l->last_ms = now_ms;
	return true;
}
