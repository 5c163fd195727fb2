#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <cmocka.h>

#include "json.h"

struct sink {
	FILE *f;
	char *buf;
	size_t len;
};

static void sink_open(struct sink *s, struct json *j)
{
	s->buf = NULL;
	s->len = 0;
	s->f = open_memstream(&s->buf, &s->len);
	assert_non_null(s->f);
	json_init(j, s->f);
}

static void sink_expect(struct sink *s, const char *want)
{
	assert_int_equal(fclose(s->f), 0);
	assert_string_equal(s->buf, want);
	free(s->buf);
}

static void test_nested(void **state)
{
	struct sink s;
	struct json j;

	sink_open(&s, &j);
	json_object_begin(&j);
	json_key(&j, "bridge");
	json_string(&j, "defnet0");
	json_key(&j, "ports");
	json_uint(&j, 2);
	json_key(&j, "uplink");
	json_null(&j);
	json_key(&j, "list");
	json_array_begin(&j);
	json_int(&j, -1);
	json_bool(&j, true);
	json_object_begin(&j);
	json_object_end(&j);
	json_array_begin(&j);
	json_array_end(&j);
	json_array_end(&j);
	json_object_end(&j);
	sink_expect(&s, "{\"bridge\":\"defnet0\",\"ports\":2,\"uplink\":null,"
		    "\"list\":[-1,true,{},[]]}");
}

static void test_escapes(void **state)
{
	struct sink s;
	struct json j;

	sink_open(&s, &j);
	json_array_begin(&j);
	json_string(&j, "a\"b\\c\nd\te\x01");
	json_array_end(&j);
	sink_expect(&s, "[\"a\\\"b\\\\c\\nd\\te\\u0001\"]");
}

static void test_array_of_objects(void **state)
{
	struct sink s;
	struct json j;

	sink_open(&s, &j);
	json_array_begin(&j);
	for (int i = 0; i < 2; i++) {
		json_object_begin(&j);
		json_key(&j, "ip");
		json_string(&j, i ? "10.0.0.2" : "10.0.0.1");
		json_key(&j, "static");
		json_bool(&j, i);
		json_object_end(&j);
	}
	json_array_end(&j);
	sink_expect(&s, "[{\"ip\":\"10.0.0.1\",\"static\":false},"
		    "{\"ip\":\"10.0.0.2\",\"static\":true}]");
}

static void test_fields(void **state)
{
	struct sink s;
	struct json j;

	sink_open(&s, &j);
	json_object_begin(&j);
	json_field_string(&j, "ip", "10.0.0.1");
	json_field_uint(&j, "expires", 1700000000);
	json_field_int(&j, "delta", -5);
	json_field_bool(&j, "static", false);
	json_object_end(&j);
	sink_expect(&s, "{\"ip\":\"10.0.0.1\",\"expires\":1700000000,\"delta\":-5,"
		    "\"static\":false}");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_nested),
		cmocka_unit_test(test_escapes),
		cmocka_unit_test(test_array_of_objects),
		cmocka_unit_test(test_fields),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
