/* `defnetctl doctor GUEST --trace [SECONDS]`: the guest's packets traced
 * through every nftables table for SECONDS (DOCTOR_TRACE_DEFAULT_SEC, at
 * most DOCTOR_TRACE_MAX_SEC) while the user retries in the guest. The
 * trace chain goes into our own table (nat_ruleset.h: chain trace, meta
 * nftrace set 1 for the guest's address), the events are read from
 * NFNLGRP_NFTRACE on the event loop, and the reply, the doctor's checks
 * and the verdict paths (trace_path.h), is sent when the time is up. The
 * trace chain is removed whatever happens: at the end, when the client
 * hangs up, when the daemon stops. One trace at a time. */
#ifndef DEFNET_DOCTOR_TRACE_H
#define DEFNET_DOCTOR_TRACE_H

#include <stdbool.h>
#include <stdint.h>

#define DOCTOR_TRACE_DEFAULT_SEC 5
#define DOCTOR_TRACE_MAX_SEC 60

struct daemon;

/* Starts a trace for addr (host order); guest names it in the report.
 * Returns CONTROL_DEFERRED, or -errno with err set. */
int doctor_trace_start(struct daemon *d, const char *guest, uint32_t addr, unsigned secs,
		       bool json, char *err, size_t errlen);

#endif
