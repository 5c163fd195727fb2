/* libFuzzer target for config_parse(): any bytes in, a config or an error
 * out, no crash, no leak, and a successful parse always satisfies the
 * invariants the rest of the daemon relies on. */
#include <errno.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "config.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void fuzz_config_check(const struct config *c)
{
	size_t i;

	if (c->bridge[0] == '\0' || strlen(c->bridge) >= IFNAMSIZ)
		abort();
	if (!c->subnet_auto &&
	    (c->subnet.len < 8 || c->subnet.len > 30 ||
	     (c->subnet.addr & ~ip4_mask(c->subnet.len))))
		abort();
	if (!c->pool_auto &&
	    (c->subnet_auto || c->pool_first > c->pool_last ||
	     !ip4_prefix_contains(c->subnet, c->pool_first) ||
	     !ip4_prefix_contains(c->subnet, c->pool_last) ||
	     c->pool_first <= c->subnet.addr + 1 ||
	     c->pool_last >= ip4_prefix_last(c->subnet)))
		abort();
	if (c->lease_time < 60 || c->lease_time > 30 * 86400)
		abort();
	if (c->n_reservations > CONFIG_MAX_RESERVATIONS ||
	    c->n_upstreams > CONFIG_MAX_UPSTREAMS ||
	    (c->upstream_auto && c->n_upstreams != 0))
		abort();
	for (i = 0; i < c->n_reservations; i++)
		if (!c->subnet_auto &&
		    !ip4_prefix_contains(c->subnet, c->reservations[i].ip))
			abort();
	if (c->resolv_conf[0] != '/')
		abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct config c;
	struct config_error err;
	int r;

	config_init(&c);
	r = config_parse(&c, (const char *)data, size, &err);
	if (r == 0)
		fuzz_config_check(&c);
	else if (r != -EINVAL || err.line == 0 || err.msg[0] == '\0' ||
		 c.reservations != NULL)
		abort();
	config_free(&c);
	return 0;
}
