/* The guards' drops as nfnetlink_log reports them: before each guard's
 * counted drop, a rule with the same matches logs the frame to nflog
 * group NAT_NFLOG_GROUP, prefix the guard's counter name, at most
 * NAT_NFLOG_RATE a second (nft `limit`, in the kernel), without its
 * payload. The report names the bridge port the frame came in on and its
 * source MAC, which the counters cannot. Pure code: the parser of one
 * datagram (fuzzed: tests/fuzz/fuzz_nflog.c) and the configuration
 * messages; daemon/guard_log.c does the I/O. */
#ifndef DEFNET_NAT_NFLOG_H
#define DEFNET_NAT_NFLOG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* nflog groups are per network namespace and have one listener each:
 * 0xdef, for defnet, is unlikely to be another program's. */
#define NAT_NFLOG_GROUP 3567
#define NAT_NFLOG_RATE 10
#define NAT_NFLOG_PREFIX_SIZE 32

struct nat_nflog_event {
	char prefix[NAT_NFLOG_PREFIX_SIZE];  /* the guard's counter name */
	uint32_t port;          /* the bridge port it came in on; 0 unknown */
	bool has_mac;
	uint8_t mac[6];         /* its source MAC */
};

typedef void (*nat_nflog_fn)(void *ctx, const struct nat_nflog_event *e);

/* Calls fn for each logged packet of group in buf (messages without a
 * prefix are left out). Returns how many events fn got, or -EPROTO when
 * buf is not a sequence of netlink messages. */
int nat_nflog_parse(const void *buf, size_t len, uint16_t group, nat_nflog_fn fn, void *ctx);

enum nat_nflog_config {
	NAT_NFLOG_BIND,      /* NFULNL_CFG_CMD_BIND: this socket gets group */
	NAT_NFLOG_COPY_NONE, /* metadata only, no payload */
};

/* Builds in buf (size bytes, at least NAT_NFLOG_CONFIG_SIZE) the config
 * message what for group, asking for an ACK; returns its length. */
#define NAT_NFLOG_CONFIG_SIZE 64
size_t nat_nflog_config(void *buf, size_t size, enum nat_nflog_config what, uint16_t group,
			uint32_t seq);

#endif
