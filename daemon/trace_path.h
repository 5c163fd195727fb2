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
#include "nat_trace.h"

#define TRACE_PATH_MAX 512
#define TRACE_MAX_PACKETS 64

struct trace_path {
	struct nat_trace_event v[TRACE_PATH_MAX];
	size_t n;
	uint64_t lost;           /* steps past TRACE_PATH_MAX */
};

void trace_path_init(struct trace_path *p);
void trace_path_add(struct trace_path *p, const struct nat_trace_event *s);
/* The same as a nat_trace_fn, ctx the path. */
void trace_path_add_cb(void *ctx, const struct nat_trace_event *s);

/* Adds the checks: each distinct path once, with how many packets took
 * it; a path ending in a drop fails, with the fix. No packet at all is
 * said too. secs: how long the trace ran. */
void trace_path_report(const struct trace_path *p, const char *guest, unsigned secs,
		       struct doctor_report *r);

#endif
