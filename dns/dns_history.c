#include <string.h>

#include "dns_history.h"

static size_t dns_history_slot(uint32_t src)
{
	return (size_t)((src * 2654435761u) >> 24) % DNS_HISTORY_SLOTS;
}

void dns_history_record(struct dns_history *h, uint32_t src, const struct dns_question *q,
			enum dns_fate fate, uint64_t now_ms)
{
	struct dns_last_query *e = &h->v[dns_history_slot(src)];
	size_t len = q && q->name_len <= sizeof(e->name) ? q->name_len : 0;

	e->src = src;
	e->qtype = q ? q->qtype : 0;
	e->name_len = (uint8_t)len;
	memcpy(e->name, q ? q->name : e->name, len);
	e->fate = fate;
	e->at_ms = now_ms;
}

const struct dns_last_query *dns_history_find(const struct dns_history *h, uint32_t src)
{
	const struct dns_last_query *e = &h->v[dns_history_slot(src)];

	return src && e->src == src ? e : NULL;
}

const char *dns_history_fate_name(enum dns_fate f)
{
	switch (f) {
	case DNS_FATE_LOCAL:
		return "answered from the guest names";
	case DNS_FATE_CACHE:
		return "answered from the cache";
	case DNS_FATE_FORWARDED:
		return "forwarded to the host's resolvers";
	case DNS_FATE_SERVFAIL:
		return "SERVFAIL: could not be forwarded";
	case DNS_FATE_DROPPED:
		return "not answered (malformed, or over a limit)";
	}
	return "?";
}
