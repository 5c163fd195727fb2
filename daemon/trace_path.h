/* `defnetctl doctor GUEST --trace`: the nftables trace events of the
 * guest's packets (NFNLGRP_NFTRACE), gathered per packet (the trace id)
 * into verdict paths, and reported as doctor checks: one per distinct
 * path, naming the family, table, chain and rule handle of each step and
 * of the verdict, with the command that removes a drop. Pure code;
 * doctor_trace.c reads the events. */
#ifndef DEFNET_TRACE_PATH_H
#define DEFNET_TRACE_PATH_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "doctor_report.h"

#define TRACE_PATH_MAX 512
#define TRACE_NAME_SIZE 64
#define TRACE_MAX_PACKETS 64

/* One event: a rule that matched, a chain's policy, a return. */
struct trace_step {
	uint32_t id;             /* the packet */
	uint8_t family;          /* NFPROTO_* */
	char table[TRACE_NAME_SIZE];
	char chain[TRACE_NAME_SIZE];
	uint64_t handle;         /* the rule's; 0 for a policy */
	uint32_t type;           /* NFT_TRACETYPE_* */
	bool has_verdict;
	int32_t verdict;         /* NF_DROP, NF_ACCEPT, NFT_CONTINUE, ... */
};

struct trace_path {
	struct trace_step v[TRACE_PATH_MAX];
	size_t n;
	uint64_t lost;           /* steps past TRACE_PATH_MAX */
};

void trace_path_init(struct trace_path *p);
void trace_path_add(struct trace_path *p, const struct trace_step *s);

/* Adds the checks: each distinct path once, with how many packets took
 * it; a path ending in a drop fails, with the fix. No packet at all is
 * said too. secs: how long the trace ran. */
void trace_path_report(const struct trace_path *p, const char *guest, unsigned secs,
		       struct doctor_report *r);

#endif
