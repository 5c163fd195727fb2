/* Unit tests for daemon/subnet_state.c: the "subnet" state file. */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include "daemon/subnet_state.h"

static struct ip4_prefix pfx(uint8_t a, uint8_t b, uint8_t c, uint8_t d, uint8_t len)
{
	struct ip4_prefix p = {
		.addr = (uint32_t)a << 24 | (uint32_t)b << 16 | (uint32_t)c << 8 | d,
		.len = len,
	};
	return p;
}

static void assert_prefix_equal(struct ip4_prefix a, struct ip4_prefix b)
{
	assert_int_equal(a.addr, b.addr);
	assert_int_equal(a.len, b.len);
}

static void assert_state_equal(const struct subnet_state *a, const struct subnet_state *b)
{
	size_t i;

	assert_int_equal(a->have_current, b->have_current);
	if (a->have_current)
		assert_prefix_equal(a->current, b->current);
	assert_int_equal(a->n_conflicted, b->n_conflicted);
	for (i = 0; i < a->n_conflicted; i++)
		assert_prefix_equal(a->conflicted[i], b->conflicted[i]);
}

static void assert_state_empty(const struct subnet_state *st)
{
	assert_false(st->have_current);
	assert_int_equal(st->n_conflicted, 0);
}

static int parse_str(const char *s, struct subnet_state *st)
{
	return subnet_state_parse(s, strlen(s), st);
}

static void test_parse_good(void **state)
{
	static const char text[] =
		"# Written by defnetd\n"
		"\n"
		"   \t\n"
		"  # indented comment\n"
		"conflicted 172.16.0.0/20\n"
		"subnet 172.20.48.0/20\n"
		"\tconflicted\t\t10.1.0.0/16  \n"
		"conflicted 192.168.0.0/20";	/* no final newline */
	struct subnet_state st;

	(void)state;
	assert_int_equal(parse_str(text, &st), 0);
	assert_true(st.have_current);
	assert_prefix_equal(st.current, pfx(172, 20, 48, 0, 20));
	assert_int_equal(st.n_conflicted, 3);
	assert_prefix_equal(st.conflicted[0], pfx(172, 16, 0, 0, 20));
	assert_prefix_equal(st.conflicted[1], pfx(10, 1, 0, 0, 16));
	assert_prefix_equal(st.conflicted[2], pfx(192, 168, 0, 0, 20));
}

static void test_parse_empty(void **state)
{
	struct subnet_state st;

	(void)state;
	memset(&st, 0xff, sizeof(st));
	assert_int_equal(subnet_state_parse(NULL, 0, &st), 0);
	assert_state_empty(&st);
	assert_int_equal(parse_str("# only a comment\n\n", &st), 0);
	assert_state_empty(&st);
}

static void test_parse_bad_lines(void **state)
{
	static const char *const bad[] = {
		"subnet",
		"subnet ",
		"subnet\t",
		"172.16.0.0/20",
		"subnet172.16.0.0/20",
		"Subnet 172.16.0.0/20",
		"subnets 172.16.0.0/20",
		"network 172.16.0.0/20",
		"subnet 172.16.0.0",
		"subnet 172.16.0.0/33",
		"subnet 172.16.0.1/20",
		"subnet 172.16.0.0/20 extra",
		"subnet 172.16.0.0/20 # comment",
		"subnet 172.16.0.0/20\r\n",
		"conflicted 300.16.0.0/20",
		"conflicted",
		"subnet 172.16.0.0/20\nsubnet 172.16.16.0/20\n",
		"subnet 172.20.48.0/20\ngarbage\n",
		"; not a comment\n",
	};
	struct subnet_state st;
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		memset(&st, 0xff, sizeof(st));
		if (parse_str(bad[i], &st) != -EINVAL)
			fail_msg("accepted: \"%s\"", bad[i]);
		/* A rejected file leaves an empty state, never half of one. */
		assert_state_empty(&st);
	}
}

static void test_parse_embedded_nul(void **state)
{
	static const char text[] = "subnet 172.16.0.0/20\0\n";
	struct subnet_state st;

	(void)state;
	assert_int_equal(subnet_state_parse(text, sizeof(text) - 1, &st), -EINVAL);
}

/* The parser stops at len even when the text goes on. */
static void test_parse_respects_length(void **state)
{
	static const char text[] = "subnet 172.20.48.0/20garbage";
	struct subnet_state st;
	char *heap;
	size_t n = strlen("subnet 172.20.48.0/20");

	(void)state;
	assert_int_equal(subnet_state_parse(text, n, &st), 0);
	assert_prefix_equal(st.current, pfx(172, 20, 48, 0, 20));
	assert_int_equal(subnet_state_parse(text, n - 1, &st), -EINVAL);

	/* An exact-size heap copy: valgrind reports any read past it. */
	heap = malloc(n);
	assert_non_null(heap);
	memcpy(heap, text, n);
	assert_int_equal(subnet_state_parse(heap, n, &st), 0);
	free(heap);
}

static void test_format(void **state)
{
	struct subnet_state st;
	char buf[512];
	int len;

	(void)state;
	memset(&st, 0, sizeof(st));
	st.have_current = true;
	st.current = pfx(172, 20, 48, 0, 20);
	subnet_state_add_conflicted(&st, pfx(172, 16, 0, 0, 20));
	subnet_state_add_conflicted(&st, pfx(10, 0, 0, 0, 8));
	len = subnet_state_format(&st, buf, sizeof(buf));
	assert_true(len > 0);
	assert_int_equal((size_t)len, strlen(buf));
	assert_string_equal(buf,
			    "# Written by defnetd; edit only while it is stopped.\n"
			    "subnet 172.20.48.0/20\n"
			    "conflicted 172.16.0.0/20\n"
			    "conflicted 10.0.0.0/8\n");

	memset(&st, 0, sizeof(st));
	len = subnet_state_format(&st, buf, sizeof(buf));
	assert_int_equal(len, (int)strlen(buf));
	assert_int_equal(buf[0], '#');
	assert_non_null(strstr(buf, "defnetd"));
	assert_null(strstr(buf, "subnet "));
}

static void test_format_buffer_size(void **state)
{
	struct subnet_state st;
	char buf[512], small[512];
	int len;

	(void)state;
	memset(&st, 0, sizeof(st));
	st.have_current = true;
	st.current = pfx(172, 20, 48, 0, 20);
	len = subnet_state_format(&st, buf, sizeof(buf));
	assert_true(len > 0);
	/* Exactly enough room for the text and its NUL, then one byte less. */
	assert_int_equal(subnet_state_format(&st, small, (size_t)len + 1), len);
	assert_string_equal(small, buf);
	assert_int_equal(subnet_state_format(&st, small, (size_t)len), -ENOSPC);
	assert_int_equal(subnet_state_format(&st, small, 1), -ENOSPC);
	assert_int_equal(subnet_state_format(&st, small, 0), -EINVAL);
}

static void test_round_trip(void **state)
{
	struct subnet_state st, back;
	char buf[4096];
	int len;
	uint32_t i;

	(void)state;
	memset(&st, 0, sizeof(st));
	st.have_current = true;
	st.current = pfx(10, 200, 16, 0, 20);
	for (i = 0; i < SUBNET_STATE_MAX_CONFLICTED; i++)
		subnet_state_add_conflicted(&st, (struct ip4_prefix){
			.addr = pfx(172, 16, 0, 0, 20).addr + (i << 12), .len = 20 });
	len = subnet_state_format(&st, buf, sizeof(buf));
	assert_true(len > 0);
	assert_int_equal(subnet_state_parse(buf, (size_t)len, &back), 0);
	assert_state_equal(&st, &back);
}

/* IPv6 lines: parsed beside the v4 ones, rendered after them, and a file
 * of an older version (no IPv6 line) still valid. */
static void test_prefix6(void **state)
{
	static const char text[] =
		"subnet 172.20.48.0/20\n"
		"prefix6 fd12:3456:789a:1::/64\n"
		"conflicted6 fd12:3456:789a::/64\n";
	struct ip6_prefix c;
	struct subnet_state st, back;
	char buf[8192];
	int len, i;

	(void)state;
	assert_int_equal(subnet_state_parse(text, strlen(text), &st), 0);
	assert_true(st.have_current);
	assert_true(st.have_prefix6);
	assert_int_equal(st.prefix6.addr[7], 1);
	assert_int_equal(st.n_conflicted6, 1);
	for (i = 0; i < SUBNET_STATE_MAX_CONFLICTED + 2; i++) {
		c = st.prefix6;
		c.addr[6] = (uint8_t)i;
		subnet_state_add_conflicted6(&st, &c);
	}
	assert_int_equal(st.n_conflicted6, SUBNET_STATE_MAX_CONFLICTED);
	len = subnet_state_format(&st, buf, sizeof(buf));
	assert_true(len > 0);
	assert_non_null(strstr(buf, "subnet 172.20.48.0/20\nprefix6 fd12:3456:789a:1::/64\n"));
	assert_int_equal(subnet_state_parse(buf, (size_t)len, &back), 0);
	assert_state_equal(&st, &back);
	assert_true(back.have_prefix6);
	assert_true(ip6_prefix_equal(&st.prefix6, &back.prefix6));
	assert_int_equal(back.n_conflicted6, st.n_conflicted6);
	for (i = 0; i < (int)st.n_conflicted6; i++)
		assert_true(ip6_prefix_equal(&st.conflicted6[i], &back.conflicted6[i]));
	assert_int_equal(subnet_state_parse("subnet 172.20.48.0/20\n", 22, &st), 0);
	assert_false(st.have_prefix6);
	assert_int_equal(subnet_state_parse("prefix6 fd00::/64\nprefix6 fd00::/64\n", 36, &st),
			 -EINVAL);
	assert_int_equal(subnet_state_parse("prefix6 fd00::1/64\n", 19, &st), -EINVAL);
	assert_int_equal(subnet_state_parse("conflicted6 10.0.0.0/8\n", 23, &st), -EINVAL);
}

static void test_add_conflicted_dedupe(void **state)
{
	struct subnet_state st;

	(void)state;
	memset(&st, 0, sizeof(st));
	subnet_state_add_conflicted(&st, pfx(172, 16, 0, 0, 20));
	subnet_state_add_conflicted(&st, pfx(172, 16, 0, 0, 20));
	assert_int_equal(st.n_conflicted, 1);
	/* Same address, another length: a different prefix. */
	subnet_state_add_conflicted(&st, pfx(172, 16, 0, 0, 16));
	assert_int_equal(st.n_conflicted, 2);
	subnet_state_add_conflicted(&st, pfx(172, 16, 0, 0, 20));
	assert_int_equal(st.n_conflicted, 2);
	assert_prefix_equal(st.conflicted[0], pfx(172, 16, 0, 0, 20));
	assert_prefix_equal(st.conflicted[1], pfx(172, 16, 0, 0, 16));

	assert_int_equal(parse_str("conflicted 10.0.0.0/20\nconflicted 10.0.0.0/20\n",
				   &st), 0);
	assert_int_equal(st.n_conflicted, 1);
}

static struct ip4_prefix nth_block(uint32_t i)
{
	struct ip4_prefix p = { .addr = 0x0a000000u + (i << 12), .len = 20 };
	return p;
}

static void test_add_conflicted_cap(void **state)
{
	enum { EXTRA = 6 };
	struct subnet_state st, parsed;
	char text[8192];
	size_t pos = 0;
	uint32_t i;
	int n;

	(void)state;
	memset(&st, 0, sizeof(st));
	for (i = 0; i < SUBNET_STATE_MAX_CONFLICTED + EXTRA; i++) {
		subnet_state_add_conflicted(&st, nth_block(i));
		n = snprintf(text + pos, sizeof(text) - pos, "conflicted 10.%u.%u.0/20\n",
			     i >> 4, (i & 15) << 4);
		assert_true(n > 0 && (size_t)n < sizeof(text) - pos);
		pos += (size_t)n;
	}
	assert_int_equal(st.n_conflicted, SUBNET_STATE_MAX_CONFLICTED);
	/* The oldest were forgotten, the order kept. */
	assert_prefix_equal(st.conflicted[0], nth_block(EXTRA));
	assert_prefix_equal(st.conflicted[SUBNET_STATE_MAX_CONFLICTED - 1],
			    nth_block(SUBNET_STATE_MAX_CONFLICTED + EXTRA - 1));

	/* A file with too many lines loads like the same adds. */
	assert_int_equal(subnet_state_parse(text, pos, &parsed), 0);
	assert_state_equal(&st, &parsed);

	/* Re-adding a remembered one when full changes nothing. */
	subnet_state_add_conflicted(&st, nth_block(EXTRA));
	assert_state_equal(&st, &parsed);
}

static char *make_tmpdir(void)
{
	char *dir = strdup("/tmp/test_subnet_state.XXXXXX");

	assert_non_null(dir);
	assert_non_null(mkdtemp(dir));
	return dir;
}

static char *dir_file(const char *dir, const char *name)
{
	char *path;

	assert_true(asprintf(&path, "%s/%s", dir, name) > 0);
	return path;
}

static void write_file(const char *path, const char *text, size_t len)
{
	FILE *f = fopen(path, "w");

	assert_non_null(f);
	assert_int_equal(fwrite(text, 1, len, f), len);
	assert_int_equal(fclose(f), 0);
}

static void remove_dir(char *dir)
{
	char *path = dir_file(dir, "subnet");

	if (unlink(path) < 0)
		assert_int_equal(errno, ENOENT);
	free(path);
	assert_int_equal(rmdir(dir), 0);
	free(dir);
}

static void test_load_missing(void **state)
{
	struct subnet_state st;
	char *dir = make_tmpdir();
	char *gone = dir_file(dir, "nonexistent");

	(void)state;
	memset(&st, 0xff, sizeof(st));
	assert_int_equal(subnet_state_load(dir, &st), 0);
	assert_state_empty(&st);
	memset(&st, 0xff, sizeof(st));
	assert_int_equal(subnet_state_load(gone, &st), 0);
	assert_state_empty(&st);
	free(gone);
	remove_dir(dir);
}

static void test_save_load_replace(void **state)
{
	struct subnet_state st, back;
	char *dir = make_tmpdir();
	char *file = dir_file(dir, "subnet");
	char *tmp = dir_file(dir, "subnet.tmp");
	struct stat sb;
	mode_t old_umask;

	(void)state;
	old_umask = umask(022);
	memset(&st, 0, sizeof(st));
	st.have_current = true;
	st.current = pfx(172, 20, 48, 0, 20);
	subnet_state_add_conflicted(&st, pfx(172, 16, 0, 0, 20));
	assert_int_equal(subnet_state_save(dir, &st), 0);
	assert_int_equal(stat(file, &sb), 0);
	assert_int_equal(sb.st_mode & 07777, 0644);
	assert_int_equal(access(tmp, F_OK), -1);
	assert_int_equal(subnet_state_load(dir, &back), 0);
	assert_state_equal(&st, &back);

	/* Replace an existing file, with a longer state, then a shorter one. */
	st.current = pfx(10, 77, 0, 0, 20);
	subnet_state_add_conflicted(&st, pfx(172, 20, 48, 0, 20));
	assert_int_equal(subnet_state_save(dir, &st), 0);
	memset(&back, 0, sizeof(back));
	assert_int_equal(subnet_state_load(dir, &back), 0);
	assert_state_equal(&st, &back);

	memset(&st, 0, sizeof(st));
	assert_int_equal(subnet_state_save(dir, &st), 0);
	assert_int_equal(subnet_state_load(dir, &back), 0);
	assert_state_empty(&back);
	assert_int_equal(access(tmp, F_OK), -1);

	/* A leftover temporary file from a crash is simply overwritten. */
	write_file(tmp, "junk junk junk junk junk junk junk junk junk junk\n", 51);
	st.have_current = true;
	st.current = pfx(192, 168, 16, 0, 20);
	assert_int_equal(subnet_state_save(dir, &st), 0);
	assert_int_equal(subnet_state_load(dir, &back), 0);
	assert_state_equal(&st, &back);
	assert_int_equal(access(tmp, F_OK), -1);

	umask(old_umask);
	free(tmp);
	free(file);
	remove_dir(dir);
}

static void test_load_bad_file(void **state)
{
	struct subnet_state st;
	char *dir = make_tmpdir();
	char *file = dir_file(dir, "subnet");
	char *big;

	(void)state;
	write_file(file, "subnet 172.20.48.0/20\nnonsense\n", 31);
	memset(&st, 0xff, sizeof(st));
	assert_int_equal(subnet_state_load(dir, &st), -EINVAL);
	assert_state_empty(&st);

	/* Comments only, but far larger than any file defnetd writes. */
	big = malloc(20000);
	assert_non_null(big);
	memset(big, '#', 20000);
	big[19999] = '\n';
	write_file(file, big, 20000);
	free(big);
	assert_int_equal(subnet_state_load(dir, &st), -EINVAL);
	assert_state_empty(&st);

	free(file);
	remove_dir(dir);
}

static void test_save_errors(void **state)
{
	struct subnet_state st;
	char *dir = make_tmpdir();
	char *gone = dir_file(dir, "nonexistent");

	(void)state;
	memset(&st, 0, sizeof(st));
	assert_int_equal(subnet_state_save(gone, &st), -ENOENT);
	assert_int_equal(subnet_state_save(NULL, &st), -EINVAL);
	assert_int_equal(subnet_state_save(dir, NULL), -EINVAL);
	assert_int_equal(subnet_state_load(NULL, &st), -EINVAL);
	free(gone);
	remove_dir(dir);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_parse_good),
		cmocka_unit_test(test_parse_empty),
		cmocka_unit_test(test_parse_bad_lines),
		cmocka_unit_test(test_parse_embedded_nul),
		cmocka_unit_test(test_parse_respects_length),
		cmocka_unit_test(test_format),
		cmocka_unit_test(test_format_buffer_size),
		cmocka_unit_test(test_round_trip),
		cmocka_unit_test(test_prefix6),
		cmocka_unit_test(test_add_conflicted_dedupe),
		cmocka_unit_test(test_add_conflicted_cap),
		cmocka_unit_test(test_load_missing),
		cmocka_unit_test(test_save_load_replace),
		cmocka_unit_test(test_load_bad_file),
		cmocka_unit_test(test_save_errors),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
