/* The last DHCP exchange of each recent client, for `defnetctl doctor
 * GUEST`: what it asked, what it was answered, when, and on which port.
 * A fixed table: the least recently heard client gives way to a new one.
 * Pure: the caller gives the time. */
#ifndef DEFNET_DHCP_HISTORY_H
#define DEFNET_DHCP_HISTORY_H

#include <stdint.h>

#include "dhcp_server.h"

#define DHCP_HISTORY_MAX 256

struct dhcp_exchange {
	uint8_t mac[6];
	uint8_t asked;            /* DHCP message type (DHCP_DISCOVER...), 0: BOOTP */
	uint32_t asked_ip;        /* option 50, else ciaddr; 0: none */
	unsigned port;            /* bridge port ifindex */
	enum dhcp_outcome outcome;
	uint32_t answered_ip;     /* yiaddr of an OFFER or ACK; 0: none */
	uint64_t at_ms;           /* CLOCK_BOOTTIME */
	int64_t at_wall;          /* Unix seconds */
};

struct dhcp_history {
	struct dhcp_exchange v[DHCP_HISTORY_MAX];
	unsigned n;
};

/* Keeps e as its client's last exchange. */
void dhcp_history_record(struct dhcp_history *h, const struct dhcp_exchange *e);
/* The last exchange of mac, or NULL. */
const struct dhcp_exchange *dhcp_history_find(const struct dhcp_history *h, const uint8_t mac[6]);

/* "DISCOVER", "REQUEST"... for asked; "offer", "ack", "nak", "no answer"...
 * for an outcome. */
const char *dhcp_history_asked_name(uint8_t type);
const char *dhcp_history_outcome_name(enum dhcp_outcome o);

#endif
