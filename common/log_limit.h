/* A log line that a flood could repeat thousands of times a second is
 * written at most once per interval: the first time, then the first time
 * after the interval has passed, saying how many were held back. Pure:
 * the caller gives the time. */
#ifndef DEFNET_LOG_LIMIT_H
#define DEFNET_LOG_LIMIT_H

#include <stdbool.h>
#include <stdint.h>

struct log_limit {
	uint64_t last_ms;   /* when one was last logged */
	uint64_t held;      /* not logged since */
	bool logged;        /* one was, ever */
};

/* Counts one occurrence at now_ms. Returns true when this one is to be
 * logged, with *held (unless NULL) how many were held back before it. */
bool log_limit_due(struct log_limit *l, uint64_t now_ms, uint64_t interval_ms, uint64_t *held);

#endif
