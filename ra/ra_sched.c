/* Router advertisement timing: see ra_sched.h. */
#include "ra_sched.h"

uint32_t ra_sched_interval(unsigned n_sent, uint32_t rnd)
{
	uint32_t t = RA_MIN_INTERVAL_MS + rnd % (RA_MAX_INTERVAL_MS - RA_MIN_INTERVAL_MS + 1);

	if (n_sent < RA_MAX_INITIAL_ADVERTS && t > RA_MAX_INITIAL_INTERVAL_MS)
		t = RA_MAX_INITIAL_INTERVAL_MS;
	return t;
}

uint64_t ra_sched_reply_at(uint64_t now_ms, uint64_t last_ms, uint32_t rnd)
{
	uint64_t at = now_ms + rnd % (RA_MAX_DELAY_MS + 1);

	if (last_ms && at < last_ms + RA_MIN_DELAY_BETWEEN_MS)
		at = last_ms + RA_MIN_DELAY_BETWEEN_MS;
	return at;
}
