#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "arp_build.h"

static const uint8_t mac[6] = { 0x02, 0x11, 0x22, 0x33, 0x44, 0x55 };

static void test_probe(void **state)
{
	static const uint8_t want[ARP_LEN] = {
		0x00, 0x01, 0x08, 0x00, 0x06, 0x04, 0x00, 0x01,
		0x02, 0x11, 0x22, 0x33, 0x44, 0x55, 0, 0, 0, 0,
		0, 0, 0, 0, 0, 0, 172, 20, 48, 7,
	};
	uint8_t p[ARP_LEN];

	(void)state;
	memset(p, 0xaa, sizeof(p));
	arp_build_probe(p, mac, 0xac143007u);
	assert_memory_equal(p, want, ARP_LEN);
}

/* RFC 5227 section 3: sender and target protocol addresses both the
 * announced address, target hardware address zero. */
static void test_announce(void **state)
{
	static const uint8_t want[ARP_LEN] = {
		0x00, 0x01, 0x08, 0x00, 0x06, 0x04, 0x00, 0x01,
		0x02, 0x11, 0x22, 0x33, 0x44, 0x55, 172, 20, 48, 1,
		0, 0, 0, 0, 0, 0, 172, 20, 48, 1,
	};
	uint8_t p[ARP_LEN];

	(void)state;
	memset(p, 0xaa, sizeof(p));
	arp_build_announce(p, mac, 0xac143001u);
	assert_memory_equal(p, want, ARP_LEN);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_probe),
		cmocka_unit_test(test_announce),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
