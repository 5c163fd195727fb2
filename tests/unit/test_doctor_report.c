#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "doctor_report.h"

enum form { TEXT, JSON };

/* The report in one form, as a string the caller frees. */
static char *render(const struct doctor_report *r, enum form f)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *out = open_memstream(&buf, &len);

	assert_non_null(out);
	if (f == TEXT)
		doctor_report_text(r, out);
	else
		doctor_report_json(r, out);
	assert_int_equal(fclose(out), 0);
	return buf;
}

static void healthy(struct doctor_report *r)
{
	doctor_report_init(r);
	doctor_add(r, "bridge", true, NULL, "defnet0 up, %s, %u ports", "172.20.48.1/20", 2u);
	doctor_add(r, "forwarding", true, "sysctl -w net.ipv4.ip_forward=1", "IPv4 forwarding on");
}

static void test_healthy_text(void **state)
{
	struct doctor_report r;
	char *s;

	(void)state;
	healthy(&r);
	assert_true(doctor_report_ok(&r));
	s = render(&r, TEXT);
	assert_string_equal(s, "doctor: ok, 2 checks\n"
			       "ok   bridge: defnet0 up, 172.20.48.1/20, 2 ports\n"
			       "ok   forwarding: IPv4 forwarding on\n");
	assert_int_equal(doctor_reply_ok(s, strlen(s)), 1);
	free(s);
}

static void test_problem_json(void **state)
{
	struct doctor_report r;
	char *s;

	(void)state;
	healthy(&r);
	doctor_add(&r, "firewall", false, "nft add rule inet t forward iifname \"defnet0\" accept",
		   "table inet t, chain forward drops\nforwarded traffic");
	assert_false(doctor_report_ok(&r));
	s = render(&r, JSON);
	assert_string_equal(s,
		"{\"ok\":false,\"checks\":["
		"{\"name\":\"bridge\",\"ok\":true,\"detail\":\"defnet0 up, 172.20.48.1/20, 2 ports\","
		"\"fix\":null},"
		"{\"name\":\"forwarding\",\"ok\":true,\"detail\":\"IPv4 forwarding on\","
		"\"fix\":\"sysctl -w net.ipv4.ip_forward=1\"},"
		"{\"name\":\"firewall\",\"ok\":false,"
		"\"detail\":\"table inet t, chain forward drops forwarded traffic\","
		"\"fix\":\"nft add rule inet t forward iifname \\\"defnet0\\\" accept\"}]}\n");
	assert_int_equal(doctor_reply_ok(s, strlen(s)), 0);
	free(s);
}

static void test_problem_text(void **state)
{
	struct doctor_report r;
	char *s;

	(void)state;
	doctor_report_init(&r);
	doctor_add(&r, "forwarding", false, "sysctl -w net.ipv4.ip_forward=1", "IPv4 forwarding off");
	doctor_add(&r, "dns 192.0.2.53", false, NULL, "no answer in %d ms", 500);
	s = render(&r, TEXT);
	assert_string_equal(s, "doctor: 2 problems\n"
			       "FAIL forwarding: IPv4 forwarding off\n"
			       "     fix: sysctl -w net.ipv4.ip_forward=1\n"
			       "FAIL dns 192.0.2.53: no answer in 500 ms\n");
	assert_int_equal(doctor_reply_ok(s, strlen(s)), 0);
	free(s);
}

static void test_full_and_reply(void **state)
{
	struct doctor_report r;

	(void)state;
	doctor_report_init(&r);
	for (int i = 0; i < DOCTOR_MAX_CHECKS + 3; i++)
		doctor_add(&r, "x", true, NULL, "%d", i);
	assert_int_equal(r.n, DOCTOR_MAX_CHECKS);
	assert_int_equal(r.dropped, 3);
	assert_int_equal(doctor_reply_ok("", 0), -1);
	assert_int_equal(doctor_reply_ok("[]", 2), -1);
	assert_int_equal(doctor_reply_ok("{\"ok\":t", 7), -1);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_healthy_text),
		cmocka_unit_test(test_problem_json),
		cmocka_unit_test(test_problem_text),
		cmocka_unit_test(test_full_and_reply),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
