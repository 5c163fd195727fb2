#include <errno.h>
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "control_proto.h"

static void test_parse_words(void **state)
{
	struct control_request req;
	const char line[] = "reserve 52:54:00:12:34:56 172.20.48.50 vm1\n";

	assert_int_equal(control_request_parse(line, strlen(line), &req), 0);
	assert_int_equal(req.argc, 4);
	assert_string_equal(req.argv[0], "reserve");
	assert_string_equal(req.argv[1], "52:54:00:12:34:56");
	assert_string_equal(req.argv[2], "172.20.48.50");
	assert_string_equal(req.argv[3], "vm1");
}

static void test_parse_without_newline(void **state)
{
	struct control_request req;

	assert_int_equal(control_request_parse("status --json", 13, &req), 0);
	assert_int_equal(req.argc, 2);
	assert_string_equal(req.argv[1], "--json");
}

static void test_parse_rejects(void **state)
{
	struct control_request req;
	static const char *const bad[] = {
		"", "\n", " status", "status ", "status  --json", "sta\ttus",
		"status\n\n", "st\x01" "atus", "st\x7f" "atus",
	};

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		assert_int_equal(control_request_parse(bad[i], strlen(bad[i]), &req), -EINVAL);
	/* a NUL inside the line ends the word early and is not a separator */
	assert_int_equal(control_request_parse("sta\0tus", 7, &req), -EINVAL);
}

static void test_parse_limits(void **state)
{
	struct control_request req;
	char line[CONTROL_REQUEST_MAX + 8];

	memset(line, 'a', sizeof(line));
	assert_int_equal(control_request_parse(line, CONTROL_REQUEST_MAX, &req), -EMSGSIZE);
	assert_int_equal(control_request_parse(line, CONTROL_REQUEST_MAX - 1, &req), 0);
	assert_int_equal(req.argc, 1);

	const char many[] = "a b c d e f g h i";
	assert_int_equal(control_request_parse(many, strlen(many), &req), -E2BIG);
}

static void test_format_round_trip(void **state)
{
	char *argv[] = { "reserve", "52:54:00:12:34:56", "172.20.48.50", "vm1" };
	char buf[CONTROL_REQUEST_MAX];
	struct control_request req;
	int n = control_request_format(buf, sizeof(buf), 4, argv);

	assert_int_equal(n, (int)strlen("reserve 52:54:00:12:34:56 172.20.48.50 vm1\n"));
	assert_string_equal(buf, "reserve 52:54:00:12:34:56 172.20.48.50 vm1\n");
	assert_int_equal(control_request_parse(buf, (size_t)n, &req), 0);
	assert_int_equal(req.argc, 4);
	for (size_t i = 0; i < 4; i++)
		assert_string_equal(req.argv[i], argv[i]);
}

static void test_format_rejects(void **state)
{
	char buf[CONTROL_REQUEST_MAX];
	char *spaced[] = { "reserve", "a b" };
	char *empty[] = { "" };
	char *ctrl[] = { "x\n" };
	char big[CONTROL_REQUEST_MAX];
	char *huge[] = { big };

	memset(big, 'x', sizeof(big) - 1);
	big[sizeof(big) - 1] = '\0';
	assert_int_equal(control_request_format(buf, sizeof(buf), 2, spaced), -EINVAL);
	assert_int_equal(control_request_format(buf, sizeof(buf), 1, empty), -EINVAL);
	assert_int_equal(control_request_format(buf, sizeof(buf), 1, ctrl), -EINVAL);
	assert_int_equal(control_request_format(buf, sizeof(buf), 0, empty), -EINVAL);
	assert_int_equal(control_request_format(buf, sizeof(buf), 1, huge), -EMSGSIZE);
	assert_int_equal(control_request_format(buf, 4, 2, spaced + 0), -EINVAL);
	char *ok[] = { "status" };
	assert_int_equal(control_request_format(buf, 7, 1, ok), -EMSGSIZE);
	assert_int_equal(control_request_format(buf, 8, 1, ok), 7);
}

static void test_status_line(void **state)
{
	const char *msg;

	assert_int_equal(control_status_parse("ok", &msg), 0);
	assert_null(msg);
	assert_int_equal(control_status_parse("error: no such command 'x'", &msg), -EPROTO);
	assert_string_equal(msg, "no such command 'x'");
	assert_int_equal(control_status_parse("okay", &msg), -EBADMSG);
	assert_int_equal(control_status_parse("", &msg), -EBADMSG);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_parse_words),
		cmocka_unit_test(test_parse_without_newline),
		cmocka_unit_test(test_parse_rejects),
		cmocka_unit_test(test_parse_limits),
		cmocka_unit_test(test_format_round_trip),
		cmocka_unit_test(test_format_rejects),
		cmocka_unit_test(test_status_line),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
