/* The UDP listener's read policy (udp_pacing.h). */
#include <limits.h>

#include "udp_pacing.h"

bool udp_pacing_note(struct udp_pacing *p, unsigned n, uint64_t now_ms)
{
	uint64_t age = now_ms - p->window_ms;

	if (age >= UDP_PACING_WINDOW_MS) {
		/* A window that ended long ago (the listener slept through
		 * the ones after it) says nothing about the rate now. */
		unsigned last = age < 2 * UDP_PACING_WINDOW_MS ? p->count : 0;

		if (!p->coalescing && last >= UDP_PACING_ENTER)
			p->coalescing = true;
		else if (p->coalescing && last < UDP_PACING_LEAVE)
			p->coalescing = false;
		p->window_ms = now_ms;
		p->count = 0;
	}
	p->count = n > UINT_MAX - p->count ? UINT_MAX : p->count + n;
	return p->coalescing;
}
