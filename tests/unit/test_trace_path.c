#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <linux/netfilter.h>
#include <linux/netfilter/nf_tables.h>

#include <cmocka.h>

#include "trace_path.h"

static struct trace_path path;

static void step(uint32_t id, uint8_t family, const char *table, const char *chain,
		 uint64_t handle, uint32_t type, int32_t verdict)
{
	struct nat_trace_event s = {
		.id = id, .family = family, .handle = handle, .type = type,
		.has_verdict = true, .verdict = verdict,
	};

	strcpy(s.table, table);
	strcpy(s.chain, chain);
	trace_path_add(&path, &s);
}

/* Two pings dropped alike by a rule: one check, counted twice, naming the
 * table, chain and handle, with the delete command. */
static void test_rule_drop(void **state)
{
	struct doctor_report r;

	(void)state;
	trace_path_init(&path);
	for (uint32_t id = 1; id <= 2; id++) {
		step(id, NFPROTO_INET, "defnet", "trace", 9, NFT_TRACETYPE_RULE, NFT_CONTINUE);
		step(id, NFPROTO_INET, "defnet", "trace", 0, NFT_TRACETYPE_POLICY, NF_ACCEPT);
		step(id, NFPROTO_INET, "hostile", "forward", 2, NFT_TRACETYPE_RULE, NF_DROP);
	}
	doctor_report_init(&r);
	trace_path_report(&path, "vm1", 3, &r);
	assert_int_equal(r.n, 1);
	assert_false(r.v[0].ok);
	assert_string_equal(r.v[0].name, "trace");
	assert_string_equal(r.v[0].detail, "2 packets dropped by inet hostile forward rule handle "
			    "2: inet defnet trace rule handle 9 continue > inet defnet trace policy "
			    "accept > inet hostile forward rule handle 2 drop");
	assert_string_equal(r.v[0].fix, "nft delete rule inet hostile forward handle 2");
}

static void test_policy_drop_and_accept(void **state)
{
	struct doctor_report r;

	(void)state;
	trace_path_init(&path);
	step(7, NFPROTO_IPV4, "filter", "FORWARD", 0, NFT_TRACETYPE_POLICY, NF_DROP);
	step(8, NFPROTO_IPV4, "filter", "INPUT", 0, NFT_TRACETYPE_POLICY, NF_ACCEPT);
	doctor_report_init(&r);
	trace_path_report(&path, "10.0.0.5", 3, &r);
	assert_int_equal(r.n, 2);
	assert_false(r.v[0].ok);
	assert_string_equal(r.v[0].detail, "1 packet dropped by ip filter FORWARD policy: ip "
			    "filter FORWARD policy drop");
	assert_non_null(strstr(r.v[0].fix, "nft list chain ip filter FORWARD"));
	assert_true(r.v[1].ok);
	assert_string_equal(r.v[1].detail, "1 packet: ip filter INPUT policy accept");
}

static void test_nothing_and_bounds(void **state)
{
	struct doctor_report r;

	(void)state;
	trace_path_init(&path);
	doctor_report_init(&r);
	trace_path_report(&path, "vm1", 5, &r);
	assert_int_equal(r.n, 1);
	assert_true(r.v[0].ok);
	assert_non_null(strstr(r.v[0].detail, "no packet from or to vm1 in 5 s"));
	for (uint32_t i = 0; i < TRACE_PATH_MAX + 3; i++)
		step(i, NFPROTO_INET, "t", "c", i, NFT_TRACETYPE_RULE, NFT_CONTINUE);
	assert_int_equal(path.n, TRACE_PATH_MAX);
	assert_int_equal(path.lost, 3);
	doctor_report_init(&r);
	trace_path_report(&path, "vm1", 5, &r);
	assert_int_equal(r.n, DOCTOR_MAX_CHECKS);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_rule_drop),
		cmocka_unit_test(test_policy_drop_and_accept),
		cmocka_unit_test(test_nothing_and_bounds),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
