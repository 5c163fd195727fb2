/* libFuzzer target for resolv.conf parsing: any bytes give a bounded list
 * of well-formed addresses, and parsing is deterministic. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "resolv_conf.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct resolv_conf a, b;

	resolv_conf_parse((const char *)data, size, &a);
	resolv_conf_parse((const char *)data, size, &b);
	if (a.n_servers > RESOLV_CONF_MAX_SERVERS ||
	    !resolv_conf_same(a.servers, a.n_servers, b.servers, b.n_servers))
		abort();
	for (size_t i = 0; i < a.n_servers; i++)
		if ((a.servers[i].family != AF_INET && a.servers[i].family != AF_INET6) ||
		    a.servers[i].port != 53)
			abort();
	return 0;
}
