/* libFuzzer target for dhcp6/dhcp6_codec.c: the input is a UDP payload
 * from a client. A Reply must be well formed: the Reply type, the
 * request's transaction-id, options that tile the message exactly. Broken
 * promises abort. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "dhcp6_codec.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void fuzz_dhcp6_check(const uint8_t *in, const uint8_t *out, size_t len)
{
	size_t pos = 4;

	if (len < 4 || out[0] != DHCP6_MSG_REPLY || memcmp(out + 1, in + 1, 3) != 0)
		abort();
	while (pos < len) {
		if (len - pos < 4)
			abort();
		pos += 4 + (size_t)(out[pos + 2] << 8 | out[pos + 3]);
	}
	if (pos != len)
		abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const uint8_t mac[6] = { 0x02, 1, 2, 3, 4, 5 };
	struct dhcp6_server_cfg cfg = { .dns = { 0xfd, [15] = 1 } };
	uint8_t out[DHCP6_REPLY_MAX];
	int n;

	dhcp6_duid_ll(&cfg, mac);
	strcpy(cfg.domain, "internal.example");
	n = dhcp6_handle(&cfg, data, size, out, sizeof(out));
	if (n < 0)
		abort();
	if (n > 0)
		fuzz_dhcp6_check(data, out, (size_t)n);
	return 0;
}
