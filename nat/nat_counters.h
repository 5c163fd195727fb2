/* The guards' drop counters (table bridge defnet, nat_ruleset.h), read
 * back from the kernel: a dump of the table's counter objects. The
 * parsing of the answers is pure (nat_counters_feed()); the I/O uses a
 * NETLINK_NETFILTER socket of its own, bounded like nat_apply.c's. */
#ifndef DEFNET_NAT_COUNTERS_H
#define DEFNET_NAT_COUNTERS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "nat_ruleset.h"

struct nat_guard_counts {
	bool present[NAT_GUARD_COUNT];    /* the guard's counter exists */
	uint64_t packets[NAT_GUARD_COUNT];
	uint64_t bytes[NAT_GUARD_COUNT];
};

/* Takes in one datagram of a GETOBJ dump (pure): counts the guards'
 * counters found in it. Returns 1 when the dump is done, 0 when more is
 * to come, -ENOENT when the table is absent, or -errno. */
int nat_counters_feed(struct nat_guard_counts *c, const void *buf, size_t len, uint32_t seq);

/* Reads every guard's counter. -ENOENT: no bridge table (every guard off). */
int nat_counters_read(struct nat_guard_counts *c);

#endif
