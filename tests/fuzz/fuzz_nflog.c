/* libFuzzer target for nat/nat_nflog.c: the input is one datagram from
 * the guards' nflog socket. Every event handed out must have a
 * NUL-terminated prefix; the count returned must match the events seen.
 * The input is copied to an aligned buffer of its exact size, so a read
 * past it is caught by ASan (libmnl is not instrumented). */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "nat_nflog.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void fuzz_event(void *ctx, const struct nat_nflog_event *e)
{
	unsigned *n = ctx;

	if (!memchr(e->prefix, 0, sizeof(e->prefix)))
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
	r = nat_nflog_parse(buf, size, NAT_NFLOG_GROUP, fuzz_event, &seen);
	if (r >= 0 && (unsigned)r != seen)
		abort();
	free(buf);
	return 0;
}
