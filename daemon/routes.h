/* What the host's routing state says about address space in use. */
#ifndef DEFNET_ROUTES_H
#define DEFNET_ROUTES_H

#include <stddef.h>
#include <stdint.h>

#include "ip4.h"
#include "nl.h"

struct prefix_list {
	struct ip4_prefix *v;
	size_t n, cap;
};

int prefix_list_add(struct prefix_list *l, struct ip4_prefix p);
void prefix_list_free(struct prefix_list *l);

/* Every IPv4 route of every routing table except default routes (/0, and
 * the /1 halves VPNs use instead), and
 * every IPv4 address of every link as a /32, leaving out routes and
 * addresses whose link is skip_ifindex (the bridge: our own subnet is not a
 * conflict with itself). 0 for skip_ifindex skips nothing.
 * Returns 0 or -errno; on error *out is left empty. */
int routes_dump_used(struct nl *nl, unsigned skip_ifindex, struct prefix_list *out);

#endif
