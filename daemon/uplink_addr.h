/* An uplink's addresses, and which one masquerade gives guest flows.
 * Pure. */
#ifndef DEFNET_UPLINK_ADDR_H
#define DEFNET_UPLINK_ADDR_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct uplink_addr {
	uint32_t addr;           /* host order */
	uint8_t len;
	bool primary;            /* not IFA_F_SECONDARY, scope global */
};

/* Pure: the address masquerade picks for a route through gateway out of
 * an interface with addrs (as the kernel's inet_select_addr() does: the
 * first primary global address on the gateway's subnet, else the first
 * primary global one). 0 when gateway is 0 or there is none. */
uint32_t uplink_masq_addr(const struct uplink_addr *addrs, size_t n, uint32_t gateway);

#endif
