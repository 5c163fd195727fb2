/* The netlink encoding of the NAT ruleset: one nf_tables batch in a buffer,
 * built with libnftnl. Pure code: no socket (nat_apply.c sends it).
 *
 * An apply batch replaces the whole table in one transaction:
 *   BEGIN, NEWTABLE inet defnet (creates it when absent, so that the delete
 *   cannot fail), DELTABLE inet defnet, NEWTABLE, NEWCHAIN..., NEWRULE...,
 *   END
 * then the same for the guards' table bridge defnet (nat_ruleset.h):
 *   NEWTABLE bridge defnet, DELTABLE, and while a guard is on NEWTABLE,
 *   NEWSET ports, NEWSETELEM..., NEWOBJ (a counter per guard), NEWCHAIN
 *   guard, NEWRULE...
 * in the same transaction: both tables change together or neither does.
 * A remove batch is BEGIN, NEWTABLE, DELTABLE for each table, END. No other
 * table is named. Every message but BEGIN and END asks for an ACK, and the batch
 * remembers what each sequence number stands for, so that an error from
 * the kernel names the object that failed. */
#ifndef DEFNET_NAT_BATCH_H
#define DEFNET_NAT_BATCH_H

#include <stddef.h>
#include <stdint.h>

#include "nat_ruleset.h"

/* The largest message we build (a rule of a dozen expressions) is well
 * under 1 KiB; libnftnl writes without bounds checks, so each message
 * starts only when this much room is left. */
#define NAT_MSG_MAX 2048
/* A forward's DNAT rule is the largest, about 500 bytes; the bridge
 * table's ports set takes some 20 bytes a port. */
#define NAT_BATCH_BUF_SIZE ((NAT_MAX_RULES + NAT_SPOOF_RULES) * 640 + 4 * NAT_MSG_MAX + \
			    NAT_MAX_PORTS * 32 + 8192)
/* The spoof protection's rules at most (nat_batch_spoof.c). */
#define NAT_SPOOF_RULES 11
/* Ports per set element message: each takes some 20 bytes. */
#define NAT_PORTS_PER_MSG 64
/* BEGIN, 3 table messages, NAT_CHAIN_COUNT chains, NAT_MAX_RULES rules,
 * then the bridge table: 3 table messages, the ports set and its
 * elements, a chain, a counter and a rule per guard, with the spoof
 * protection its 3 sets and rules; END. */
#define NAT_BATCH_MAX_MSGS (2 + 3 + NAT_CHAIN_COUNT + NAT_MAX_RULES + 3 + 1 + \
			    NAT_MAX_PORTS / NAT_PORTS_PER_MSG + 1 + 1 + 3 * NAT_GUARD_COUNT + \
			    3 + NAT_SPOOF_RULES)
#define NAT_WHAT_SIZE 48

enum nat_batch_mode {
	NAT_BATCH_COMMIT,
	/* Without END: the kernel checks every message, then aborts the
	 * transaction (what `nft --check` does). */
	NAT_BATCH_CHECK
};

struct nat_batch_msg {
	uint32_t seq;
	char what[NAT_WHAT_SIZE];  /* "table inet defnet", "rule 3 in chain forward" */
};

struct nat_batch {
	_Alignas(uint32_t) char buf[NAT_BATCH_BUF_SIZE];
	size_t len;
	uint32_t seq_begin;   /* the BEGIN message's sequence number */
	/* Every message that asks for an ACK, in order. */
	struct nat_batch_msg msgs[NAT_BATCH_MAX_MSGS];
	size_t n_msgs;
};

/* Builds the batch that replaces our table by the one rs describes; the
 * messages take sequence numbers seq, seq + 1, ... Returns 0, -EINVAL
 * (bad ruleset), -ENOMEM, or -EMSGSIZE (cannot happen with the limits
 * above). */
int nat_batch_build_apply(struct nat_batch *b, const struct nat_ruleset *rs,
			  uint32_t seq, enum nat_batch_mode mode);

/* Builds the batch that replaces the bridge table's set of ports by
 * rs->ports (flush, then add): counters and rules stay. Only for a ruleset
 * with guards on, whose table is in place. */
int nat_batch_build_ports(struct nat_batch *b, const struct nat_ruleset *rs,
			  uint32_t seq, enum nat_batch_mode mode);

/* Builds the batch that deletes our table; an absent table is fine. */
int nat_batch_build_remove(struct nat_batch *b, uint32_t seq,
			   enum nat_batch_mode mode);

/* What the message with this sequence number stands for, or NULL when
 * the batch sent no such message expecting an ACK. */
const char *nat_batch_describe(const struct nat_batch *b, uint32_t seq);

#endif
