#include <string.h>

#include "dhcp_history.h"

static struct dhcp_exchange *dhcp_history_slot(struct dhcp_history *h, const uint8_t mac[6])
{
	struct dhcp_exchange *oldest = NULL;

	for (unsigned i = 0; i < h->n; i++)
		if (memcmp(h->v[i].mac, mac, 6) == 0)
			return &h->v[i];
	if (h->n < DHCP_HISTORY_MAX)
		return &h->v[h->n++];
	for (unsigned i = 0; i < h->n; i++)
		if (!oldest || h->v[i].at_ms < oldest->at_ms)
			oldest = &h->v[i];
	return oldest;
}

void dhcp_history_record(struct dhcp_history *h, const struct dhcp_exchange *e)
{
	*dhcp_history_slot(h, e->mac) = *e;
}

const struct dhcp_exchange *dhcp_history_find(const struct dhcp_history *h, const uint8_t mac[6])
{
	for (unsigned i = 0; i < h->n; i++)
		if (memcmp(h->v[i].mac, mac, 6) == 0)
			return &h->v[i];
	return NULL;
}

const char *dhcp_history_asked_name(uint8_t type)
{
	static const char *const names[] = {
		[0] = "BOOTREQUEST", [DHCP_DISCOVER] = "DISCOVER", [DHCP_REQUEST] = "REQUEST",
		[DHCP_DECLINE] = "DECLINE", [DHCP_RELEASE] = "RELEASE", [DHCP_INFORM] = "INFORM",
	};

	return type < sizeof(names) / sizeof(names[0]) && names[type] ? names[type] : "a message";
}

const char *dhcp_history_outcome_name(enum dhcp_outcome o)
{
	switch (o) {
	case DHCP_OUTCOME_IGNORE:
		return "no answer";
	case DHCP_OUTCOME_OFFER:
		return "OFFER";
	case DHCP_OUTCOME_ACK:
	case DHCP_OUTCOME_INFORM:
		return "ACK";
	case DHCP_OUTCOME_NAK:
		return "NAK";
	case DHCP_OUTCOME_RELEASED:
		return "released";
	case DHCP_OUTCOME_DECLINED:
		return "declined";
	case DHCP_OUTCOME_DEFER:
		return "deferred (waiting for an ARP probe)";
	}
	return "?";
}
