/* The last DNS query of each recent guest, for `defnetctl doctor GUEST`:
 * the name, the type, what became of it, when. Direct-mapped by source
 * address (a guest whose slot another took shows nothing): O(1) on the
 * query path, fixed memory. Pure: the caller gives the time. */
#ifndef DEFNET_DNS_HISTORY_H
#define DEFNET_DNS_HISTORY_H

#include <stddef.h>
#include <stdint.h>

#include "dns_codec.h"

#define DNS_HISTORY_SLOTS 256

enum dns_fate {
	DNS_FATE_LOCAL,          /* answered from the guest names or our zones */
	DNS_FATE_CACHE,          /* answered from the cache */
	DNS_FATE_FORWARDED,      /* sent to the host's resolvers */
	DNS_FATE_SERVFAIL,       /* could not be forwarded */
	DNS_FATE_DROPPED,        /* not answered (junk, overload) */
};

struct dns_last_query {
	uint32_t src;            /* host order; 0: empty slot */
	uint16_t qtype;
	uint8_t name_len;        /* flat */
	uint8_t name[DNS_NAME_MAX];
	enum dns_fate fate;
	uint64_t at_ms;          /* CLOCK_BOOTTIME */
};

struct dns_history {
	struct dns_last_query v[DNS_HISTORY_SLOTS];
};

void dns_history_record(struct dns_history *h, uint32_t src, const struct dns_question *q,
			enum dns_fate fate, uint64_t now_ms);
/* The last query from src, or NULL. */
const struct dns_last_query *dns_history_find(const struct dns_history *h, uint32_t src);

const char *dns_history_fate_name(enum dns_fate f);

#endif
