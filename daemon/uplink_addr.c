/* Which uplink address masquerade gives guest flows. Pure. */
#include "ip4.h"
#include "uplink_addr.h"

uint32_t uplink_masq_addr(const struct uplink_addr *addrs, size_t n, uint32_t gateway)
{
	uint32_t first = 0;

	if (!gateway)
		return 0;
	for (size_t i = 0; i < n; i++) {
		if (!addrs[i].primary)
			continue;
		if (((addrs[i].addr ^ gateway) & ip4_mask(addrs[i].len)) == 0)
			return addrs[i].addr;
		if (!first)
			first = addrs[i].addr;
	}
	return first;
}
