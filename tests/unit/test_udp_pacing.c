/* dns/udp_pacing.c: when the UDP listener coalesces its reads. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "udp_pacing.h"

/* Feeds `per_ms` datagrams each millisecond from *now for ms
 * milliseconds; returns the last answer. */
static bool feed(struct udp_pacing *p, uint64_t *now, unsigned per_ms, unsigned ms)
{
	bool on = false;

	for (unsigned i = 0; i < ms; i++, (*now)++)
		on = udp_pacing_note(p, per_ms, *now);
	return on;
}

static void test_light_load_never_coalesces(void **state)
{
	struct udp_pacing p = { 0 };
	uint64_t now = 1000;

	(void)state;
	/* 200 queries/s, one at a time, for 10 s. */
	for (unsigned i = 0; i < 2000; i++, now += 5)
		assert_false(udp_pacing_note(&p, 1, now));
	/* Just under the threshold: 9,000/s. */
	assert_false(feed(&p, &now, 9, 1000));
}

static void test_heavy_load_coalesces_after_one_window(void **state)
{
	struct udp_pacing p = { 0 };
	uint64_t now = 1000;

	(void)state;
	/* 50,000/s: the first window only counts, the next one decides. */
	assert_false(feed(&p, &now, 50, UDP_PACING_WINDOW_MS));
	assert_true(udp_pacing_note(&p, 50, now++));
	assert_true(feed(&p, &now, 50, 1000));
	/* Exactly the threshold. */
	p = (struct udp_pacing){ 0 };
	assert_false(feed(&p, &now, UDP_PACING_ENTER / UDP_PACING_WINDOW_MS, UDP_PACING_WINDOW_MS));
	assert_true(udp_pacing_note(&p, 0, now));
}

static void test_hysteresis(void **state)
{
	struct udp_pacing p = { 0 };
	uint64_t now = 1000;

	(void)state;
	assert_true(feed(&p, &now, 20, 3 * UDP_PACING_WINDOW_MS));
	/* 5,000/s: under ENTER, over LEAVE: it goes on coalescing. */
	assert_true(feed(&p, &now, 5, 1000));
	/* 1,000/s: it stops at the end of the first such window... */
	assert_true(feed(&p, &now, 1, UDP_PACING_WINDOW_MS));
	assert_false(udp_pacing_note(&p, 1, now++));
	/* ...and 5,000/s does not start it again. */
	assert_false(feed(&p, &now, 5, 1000));
}

static void test_burst_then_silence(void **state)
{
	struct udp_pacing p = { 0 };
	uint64_t now = 1000;

	(void)state;
	/* 500 queries at once, then nothing for a minute: the next query
	 * is answered as it comes, the old window is stale. */
	assert_false(udp_pacing_note(&p, 500, now));
	now += 60000;
	assert_false(udp_pacing_note(&p, 1, now));
	/* Coalescing, then a minute of silence with no tick in it. */
	p = (struct udp_pacing){ 0 };
	assert_true(feed(&p, &now, 50, 2 * UDP_PACING_WINDOW_MS));
	now += 60000;
	assert_false(udp_pacing_note(&p, 1, now));
}

static void test_count_saturates(void **state)
{
	struct udp_pacing p = { 0 };

	(void)state;
	assert_false(udp_pacing_note(&p, UINT32_MAX, 5));
	assert_false(udp_pacing_note(&p, UINT32_MAX, 6));
	assert_true(udp_pacing_note(&p, 0, 5 + UDP_PACING_WINDOW_MS));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_light_load_never_coalesces),
		cmocka_unit_test(test_heavy_load_coalesces_after_one_window),
		cmocka_unit_test(test_hysteresis),
		cmocka_unit_test(test_burst_then_silence),
		cmocka_unit_test(test_count_saturates),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
