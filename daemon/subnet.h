/* Choosing the guest subnet. Pure policy: the caller supplies what is in
 * use (routes and host addresses) and what once conflicted. */
#ifndef DEFNET_SUBNET_H
#define DEFNET_SUBNET_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "ip4.h"

#define SUBNET_AUTO_LEN 20

/* True when p overlaps any of used[0..n). */
bool subnet_conflicts(struct ip4_prefix p, const struct ip4_prefix *used, size_t n);

/* Picks a /20 that overlaps nothing in used[] nor in avoid[],
 * from 172.16.0.0/12, then 10.0.0.0/8, then 192.168.0.0/16, starting in
 * each range at the block that seed selects. Returns 0 or -ENOSPC. */
int subnet_choose(const struct ip4_prefix *used, size_t n_used,
		  const struct ip4_prefix *avoid, size_t n_avoid,
		  uint64_t seed, struct ip4_prefix *out);

/* The gateway: the first host address of the subnet. */
static inline uint32_t subnet_gateway(struct ip4_prefix p)
{
	return p.addr + 1;
}

#endif
