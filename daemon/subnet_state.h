/* The subnet kept in the state directory across restarts ("subnet" file),
 * with the subnets that once conflicted, so they are not chosen again; the
 * guests' IPv6 /64 likewise. */
#ifndef DEFNET_SUBNET_STATE_H
#define DEFNET_SUBNET_STATE_H

#include <stdbool.h>
#include <stddef.h>

#include "ip4.h"
#include "ip6.h"

#define SUBNET_STATE_MAX_CONFLICTED 64

struct subnet_state {
	bool have_current;
	struct ip4_prefix current;
	struct ip4_prefix conflicted[SUBNET_STATE_MAX_CONFLICTED];
	size_t n_conflicted;
	bool have_prefix6;
	struct ip6_prefix prefix6;
	struct ip6_prefix conflicted6[SUBNET_STATE_MAX_CONFLICTED];
	size_t n_conflicted6;
};

/* Pure: parses the file's text. Unknown or malformed lines are -EINVAL. */
int subnet_state_parse(const char *buf, size_t len, struct subnet_state *st);
/* Pure: renders the file's text into buf; returns its length or -ENOSPC. */
int subnet_state_format(const struct subnet_state *st, char *buf, size_t size);

/* Remembers p as once conflicted (oldest forgotten when full). */
void subnet_state_add_conflicted(struct subnet_state *st, struct ip4_prefix p);
void subnet_state_add_conflicted6(struct subnet_state *st, const struct ip6_prefix *p);

/* DIR/subnet. A missing file is an empty state (0). */
int subnet_state_load(const char *dir, struct subnet_state *st);
/* Written to a temporary file, fsynced, renamed over, directory fsynced. */
int subnet_state_save(const char *dir, const struct subnet_state *st);

#endif
