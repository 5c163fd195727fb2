/* libFuzzer target for nat/nat_trace.c: the input is one datagram from
 * the NFNLGRP_NFTRACE socket. Every event handed out must have
 * NUL-terminated names; the count returned must match
 * the events seen. The input is copied to an aligned buffer of its exact
 * size, so a read past it is caught by ASan (libmnl is not
 * instrumented: reads inside it go unseen). */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "nat_trace.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void fuzz_event(void *ctx, const struct nat_trace_event *e)
{
	unsigned *n = ctx;

	if (!memchr(e->table, 0, sizeof(e->table)) || !memchr(e->chain, 0, sizeof(e->chain)))
		abort();
	(*n)++;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	unsigned seen = 0;
	void *buf = malloc(size ? size : 1);
	int r;

	if (!buf)
		return 0;
	memcpy(buf, data, size);
	r = nat_trace_parse(buf, size, fuzz_event, &seen);
	if (r >= 0 && (unsigned)r != seen)
		abort();
	free(buf);
	return 0;
}
