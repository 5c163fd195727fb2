/* The one clock every timer and lease expiry runs on: CLOCK_BOOTTIME, which
 * counts suspend and never jumps with the wall clock. */
#ifndef DEFNET_BOOT_CLOCK_H
#define DEFNET_BOOT_CLOCK_H

#include <stdint.h>
#include <time.h>

static inline uint64_t timespec_to_ms(const struct timespec *ts)
{
	return (uint64_t)ts->tv_sec * 1000 + (uint64_t)ts->tv_nsec / 1000000;
}

/* Milliseconds since boot, suspend included. */
static inline uint64_t boot_clock_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_BOOTTIME, &ts);
	return timespec_to_ms(&ts);
}

#endif
