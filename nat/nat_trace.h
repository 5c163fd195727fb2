/* nftables trace events (NFNLGRP_NFTRACE, NFT_MSG_TRACE): one datagram
 * from the kernel into the events it holds. Pure code (no socket);
 * fuzzed (tests/fuzz/fuzz_nat_trace.c). */
#ifndef DEFNET_NAT_TRACE_H
#define DEFNET_NAT_TRACE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define NAT_TRACE_NAME_SIZE 64

/* One event: a rule that matched, a chain's policy, a return. */
struct nat_trace_event {
	uint32_t id;             /* the packet, at this hook */
	uint8_t family;          /* NFPROTO_* */
	char table[NAT_TRACE_NAME_SIZE];
	char chain[NAT_TRACE_NAME_SIZE];
	uint64_t handle;         /* the rule's; 0 for a policy or a return */
	uint32_t type;           /* NFT_TRACETYPE_* */
	bool has_verdict;
	int32_t verdict;         /* NF_DROP, NF_ACCEPT, NFT_CONTINUE, ... */
};

struct nlmsghdr;
/* Whether the message at nlh lies whole (with its padding) within the
 * remaining bytes: the check every nat/ datagram parser makes before
 * libmnl reads a message. */
bool nat_msg_fits(const struct nlmsghdr *nlh, int remaining);
/* Calls fn for each message of the given type in the datagram buf;
 * returns how many fn took (returned true), or -EPROTO when buf is not a
 * sequence of whole netlink messages. */
typedef bool (*nat_msg_fn)(const struct nlmsghdr *nlh, void *ctx);
int nat_datagram_each(const void *buf, size_t len, uint16_t type, nat_msg_fn fn, void *ctx);

typedef void (*nat_trace_fn)(void *ctx, const struct nat_trace_event *e);

/* Calls fn for each event in buf: rule events without a rule (the
 * kernel's note that a chain was entered) and events without table or
 * chain are left out. Returns how many events fn got, or -EPROTO when buf
 * is not a sequence of netlink messages. */
int nat_trace_parse(const void *buf, size_t len, nat_trace_fn fn, void *ctx);

#endif
