/* libFuzzer target for daemon/neigh6.c: the input is what a read of the
 * rtnetlink neighbour socket returns, messages one after the other; each
 * goes to neigh6_parse() and, parsed, into a table, as the watch does.
 * The table must keep its bounds. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <linux/netlink.h>

#include "neigh6.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static struct neigh6_table fuzz_table;

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	uint8_t out[NEIGH6_PER_MAC][16];
	struct neigh6_event ev;
	struct nlmsghdr nlh;
	size_t pos = 0, step;

	fuzz_table.n = 0;
	while (size - pos >= sizeof(nlh)) {
		memcpy(&nlh, data + pos, sizeof(nlh));
		if (neigh6_parse(data + pos, size - pos, &ev) == 1) {
			/* An address just added is the MAC's, and it has a stable one. */
			if (neigh6_apply(&fuzz_table, &ev) == 1 && ev.add &&
			    (!neigh6_holds(&fuzz_table, ev.addr, ev.mac) ||
			     !neigh6_stable(&fuzz_table, ev.mac, out[0])))
				abort();
			if (fuzz_table.n > NEIGH6_MAX ||
			    neigh6_lookup(&fuzz_table, ev.mac, out, NEIGH6_PER_MAC) >
				    NEIGH6_PER_MAC)
				abort();
		}
		step = NLMSG_ALIGN(nlh.nlmsg_len);
		if (step < sizeof(nlh) || step > size - pos)
			break;
		pos += step;
	}
	return 0;
}
