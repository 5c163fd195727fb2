/* dns_history: each guest's last query, direct-mapped by address. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "dns_history.h"

static struct dns_question question(const char *text, uint16_t qtype)
{
	struct dns_question q = { .qtype = qtype };
	size_t len;

	assert_int_equal(dns_name_from_text(text, strlen(text), q.name, &len), 0);
	q.name_len = (uint16_t)len;
	return q;
}

static void test_last_query_kept(void **state)
{
	struct dns_history *h = calloc(1, sizeof(*h));
	struct dns_question q = question("www.example.test", DNS_TYPE_A);
	const struct dns_last_query *e;
	char text[DNS_NAME_TEXT_MAX];

	assert_non_null(h);
	assert_null(dns_history_find(h, 0xac140002u));
	dns_history_record(h, 0xac140002u, &q, DNS_FATE_FORWARDED, 5);
	q = question("vm1", DNS_TYPE_AAAA);
	dns_history_record(h, 0xac140002u, &q, DNS_FATE_LOCAL, 9);
	e = dns_history_find(h, 0xac140002u);
	assert_non_null(e);
	assert_int_equal(e->qtype, DNS_TYPE_AAAA);
	assert_int_equal(e->fate, DNS_FATE_LOCAL);
	assert_int_equal(e->at_ms, 9);
	assert_true(dns_name_to_text(e->name, e->name_len, text, sizeof(text)) > 0);
	assert_string_equal(text, "vm1");
	/* A dropped query has no question: the name is empty. */
	dns_history_record(h, 0xac140003u, NULL, DNS_FATE_DROPPED, 10);
	e = dns_history_find(h, 0xac140003u);
	assert_non_null(e);
	assert_int_equal(e->name_len, 0);
	/* Address 0 is never a guest's. */
	assert_null(dns_history_find(h, 0));
	assert_string_equal(dns_history_fate_name(DNS_FATE_CACHE), "answered from the cache");
	free(h);
}

/* Another guest in the same slot takes it: the first shows nothing rather
 * than the other's query. */
static void test_slot_taken(void **state)
{
	struct dns_history *h = calloc(1, sizeof(*h));
	struct dns_question q = question("a.test", DNS_TYPE_A);
	uint32_t first = 0xac140002u, other = 0;

	assert_non_null(h);
	dns_history_record(h, first, &q, DNS_FATE_CACHE, 1);
	for (uint32_t a = first + 1; !other && a < first + 65536; a++) {
		dns_history_record(h, a, &q, DNS_FATE_CACHE, 2);
		if (!dns_history_find(h, first))
			other = a;
	}
	assert_int_not_equal(other, 0);
	assert_non_null(dns_history_find(h, other));
	assert_null(dns_history_find(h, first));
	free(h);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_last_query_kept),
		cmocka_unit_test(test_slot_taken),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
