/* When router advertisements go out (RFC 4861 6.2.4, 6.2.6, 10). Pure:
 * times in milliseconds, randomness passed in. */
#ifndef DEFNET_RA_SCHED_H
#define DEFNET_RA_SCHED_H

#include <stdint.h>

/* RFC 4861 6.2.1 defaults: MaxRtrAdvInterval 600 s, MinRtrAdvInterval
 * 0.33 of it, AdvDefaultLifetime 3 times the maximum. */
#define RA_MAX_INTERVAL_MS 600000u
#define RA_MIN_INTERVAL_MS 198000u
#define RA_ROUTER_LIFETIME_S 1800u
/* RFC 4861 10: router constants. */
#define RA_MAX_INITIAL_INTERVAL_MS 16000u
#define RA_MAX_INITIAL_ADVERTS 3u
#define RA_MAX_FINAL_ADVERTS 3u
#define RA_MIN_DELAY_BETWEEN_MS 3000u
#define RA_MAX_DELAY_MS 500u

/* The wait before the next unsolicited advertisement, n_sent of them sent
 * since start (or since the last change): uniform in [Min, Max]
 * (rnd picks), capped at MAX_INITIAL_RTR_ADVERT_INTERVAL for the first
 * MAX_INITIAL_RTR_ADVERTISEMENTS. */
uint32_t ra_sched_interval(unsigned n_sent, uint32_t rnd);

/* When to answer a solicitation received at now: after a random delay of
 * at most MAX_RA_DELAY_TIME, and no sooner than MIN_DELAY_BETWEEN_RAS
 * after the last multicast advertisement (last_ms; 0: none yet). */
uint64_t ra_sched_reply_at(uint64_t now_ms, uint64_t last_ms, uint32_t rnd);

#endif
