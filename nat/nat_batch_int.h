/* What the batch encoders share (nat_batch.c, nat_batch_spoof.c): the
 * builder that appends messages to a batch, and the expression helpers.
 * Internal to nat/. Helpers return 0 or -errno; matches load into
 * register 1 unless they take a register. */
#ifndef DEFNET_NAT_BATCH_INT_H
#define DEFNET_NAT_BATCH_INT_H

#include <stdbool.h>
#include <stdint.h>

#include <libnftnl/expr.h>
#include <libnftnl/rule.h>
#include <libnftnl/set.h>

#include "nat_batch.h"

/* nft's datatype numbers (enum datatypes): `nft list` shows set elements
 * by them; a concatenation packs each part's type in 6 bits. */
#define NAT_TYPE_IPADDR 7
#define NAT_TYPE_ETHERADDR 9
#define NAT_TYPE_IFINDEX 20
#define NAT_TYPE_BITS 6
#define NAT_PORTS_SET_ID 1

struct nat_builder {
	struct nat_batch *b;
	uint32_t seq;
};

char *nat_msg_room(struct nat_builder *nb);
int nat_msg_done(struct nat_builder *nb, const struct nlmsghdr *nlh, const char *what);
int nat_msg_begin(struct nat_builder *nb);
int nat_msg_end(struct nat_builder *nb);
void nat_batch_reset(struct nat_batch *b);

struct nftnl_expr *nat_expr_add(struct nftnl_rule *r, const char *name);
int nat_expr_meta(struct nftnl_rule *r, uint32_t key);
int nat_expr_meta_to(struct nftnl_rule *r, uint32_t key, uint32_t dreg);
int nat_expr_cmp(struct nftnl_rule *r, uint32_t op, const void *data, uint32_t len);
int nat_expr_payload(struct nftnl_rule *r, uint32_t base, uint32_t offset, uint32_t len);
int nat_expr_payload_to(struct nftnl_rule *r, uint32_t base, uint32_t offset, uint32_t len,
			uint32_t dreg);
/* The key at register sreg is (inverted: is not) in set. */
int nat_expr_lookup(struct nftnl_rule *r, uint32_t sreg, const char *set, uint32_t id,
		    bool inverted);
int nat_match_saddr6(struct nftnl_rule *r, const struct nat_prefix6 *p);
int nat_match_port(struct nftnl_rule *r);
int nat_match_l4_field(struct nftnl_rule *r, uint32_t offset, uint32_t value, uint32_t len);
int nat_action_verdict(struct nftnl_rule *r, uint32_t verdict);
/* limit rate NAT_NFLOG_RATE/second log group NAT_NFLOG_GROUP prefix
 * PREFIX (nat_nflog.h). */
int nat_action_log(struct nftnl_rule *r, const char *prefix);
/* counter name COUNTER drop. */
int nat_action_counted_drop(struct nftnl_rule *r, const char *counter);

/* A rule for chain of our table in family, or NULL. */
struct nftnl_rule *nat_rule_new(uint16_t family, const char *chain);
/* r, appended to its chain; r is freed. */
int nat_msg_rule_put(struct nat_builder *nb, struct nftnl_rule *r, uint16_t family,
		     const char *what);

/* Appends a rule to the bridge table's chain guard: fn(r, arg) adds its
 * expressions; what names it in error reports ("bridge rule WHAT"). */
typedef int (*nat_rule_fn)(struct nftnl_rule *r, const void *arg);
int nat_msg_bridge_rule(struct nat_builder *nb, nat_rule_fn fn, const void *arg,
			const char *what);

/* A set of the bridge table, by name and id, for messages. */
struct nftnl_set *nat_set_new(const char *name, uint32_t id);
int nat_msg_set(struct nat_builder *nb, const char *name, uint32_t id, uint32_t key_type,
		uint32_t key_len, const char *what);

/* nat_batch_spoof.c: the spoof protection's sets and rules (nat_spoof.h),
 * for the apply batch. */
int nat_msgs_spoof_sets(struct nat_builder *nb);
int nat_msgs_spoof_rules(struct nat_builder *nb, const struct nat_ruleset *rs);

#endif
