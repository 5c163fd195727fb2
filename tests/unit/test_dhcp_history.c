/* dhcp_history: the last exchange per client, a bounded table. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "dhcp_history.h"

static struct dhcp_exchange exchange(uint8_t last, uint8_t asked, enum dhcp_outcome o, uint64_t at)
{
	struct dhcp_exchange e = {
		.mac = { 0x52, 0x54, 0x00, 0x00, 0x00, last }, .asked = asked, .outcome = o,
		.at_ms = at,
	};

	return e;
}

static void test_last_one_kept(void **state)
{
	struct dhcp_history *h = calloc(1, sizeof(*h));
	struct dhcp_exchange e = exchange(1, DHCP_DISCOVER, DHCP_OUTCOME_OFFER, 10);

	assert_non_null(h);
	assert_null(dhcp_history_find(h, e.mac));
	dhcp_history_record(h, &e);
	e = exchange(1, DHCP_REQUEST, DHCP_OUTCOME_ACK, 20);
	e.answered_ip = 0xac140002u;
	dhcp_history_record(h, &e);
	assert_int_equal(h->n, 1);
	assert_int_equal(dhcp_history_find(h, e.mac)->asked, DHCP_REQUEST);
	assert_int_equal(dhcp_history_find(h, e.mac)->answered_ip, 0xac140002u);
	free(h);
}

/* Full: the client heard from longest ago gives way. */
static void test_oldest_gives_way(void **state)
{
	struct dhcp_history *h = calloc(1, sizeof(*h));
	struct dhcp_exchange e;

	assert_non_null(h);
	for (unsigned i = 0; i < DHCP_HISTORY_MAX; i++) {
		e = exchange((uint8_t)i, DHCP_DISCOVER, DHCP_OUTCOME_OFFER, 100 + i);
		e.mac[4] = (uint8_t)(i >> 8);
		dhcp_history_record(h, &e);
	}
	e = exchange(0, DHCP_REQUEST, DHCP_OUTCOME_ACK, 1000);
	dhcp_history_record(h, &e);   /* client 0 again: no eviction */
	e = exchange(0, DHCP_DISCOVER, DHCP_OUTCOME_IGNORE, 1001);
	e.mac[3] = 0xff;              /* a new client: evicts client 1, the oldest */
	dhcp_history_record(h, &e);
	assert_int_equal(h->n, DHCP_HISTORY_MAX);
	assert_non_null(dhcp_history_find(h, e.mac));
	e = exchange(0, 0, DHCP_OUTCOME_IGNORE, 0);
	assert_int_equal(dhcp_history_find(h, e.mac)->asked, DHCP_REQUEST);
	e = exchange(1, 0, DHCP_OUTCOME_IGNORE, 0);
	assert_null(dhcp_history_find(h, e.mac));
	free(h);
}

static void test_names(void **state)
{
	assert_string_equal(dhcp_history_asked_name(DHCP_DISCOVER), "DISCOVER");
	assert_string_equal(dhcp_history_asked_name(0), "BOOTREQUEST");
	assert_string_equal(dhcp_history_asked_name(200), "a message");
	assert_string_equal(dhcp_history_outcome_name(DHCP_OUTCOME_NAK), "NAK");
	assert_string_equal(dhcp_history_outcome_name(DHCP_OUTCOME_IGNORE), "no answer");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_last_one_kept),
		cmocka_unit_test(test_oldest_gives_way),
		cmocka_unit_test(test_names),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
