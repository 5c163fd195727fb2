/* Unit tests for daemon/machine_id.c. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "daemon/machine_id.h"

static const uint8_t id_a[16] = {
	0x4f, 0x1d, 0x2a, 0x7e, 0x90, 0x31, 0x4b, 0x6c,
	0xa8, 0x05, 0xe3, 0x3d, 0x11, 0x9b, 0xc2, 0x70,
};
static const char id_a_hex[] = "4f1d2a7e90314b6ca805e33d119bc270";

/* The key 00 01 .. 0f of the SipHash paper's test vectors. */
static void sequential_bytes(uint8_t *p, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		p[i] = (uint8_t)i;
}

/* Appendix A of the paper, and the reference implementation's vector
 * table (message i bytes 00 01 .. i-1, key 00 .. 0f). */
static void test_siphash_vectors(void **state)
{
	static const struct {
		size_t len;
		uint64_t hash;
	} vectors[] = {
		{ 0, UINT64_C(0x726fdb47dd0e0e31) },
		{ 1, UINT64_C(0x74f839c593dc67fd) },
		{ 8, UINT64_C(0x93f5f5799a932462) },
		{ 15, UINT64_C(0xa129ca6149be45e5) },
	};
	uint8_t key[16], msg[64];
	size_t i;

	(void)state;
	sequential_bytes(key, sizeof(key));
	sequential_bytes(msg, sizeof(msg));
	for (i = 0; i < sizeof(vectors) / sizeof(vectors[0]); i++)
		assert_int_equal(machine_id_siphash24(key, msg, vectors[i].len),
				 vectors[i].hash);
}

static void test_parse_good(void **state)
{
	static const char upper[] = "4F1D2A7E90314B6CA805E33D119BC270";
	static const char mixed[] = "4f1D2a7E90314b6Ca805e33D119bC270\n";
	uint8_t id[16];

	(void)state;
	assert_int_equal(machine_id_parse(id_a_hex, 32, id), 0);
	assert_memory_equal(id, id_a, 16);
	memset(id, 0, sizeof(id));
	assert_int_equal(machine_id_parse(upper, 32, id), 0);
	assert_memory_equal(id, id_a, 16);
	memset(id, 0, sizeof(id));
	assert_int_equal(machine_id_parse(mixed, 33, id), 0);
	assert_memory_equal(id, id_a, 16);
}

static void test_parse_bad(void **state)
{
	static const char *const bad[] = {
		"",
		"\n",
		"4f1d2a7e90314b6ca805e33d119bc27",
		"4f1d2a7e90314b6ca805e33d119bc2700",
		"4f1d2a7e90314b6ca805e33d119bc270\n\n",
		"4f1d2a7e90314b6ca805e33d119bc270\r\n",
		"4f1d2a7e90314b6ca805e33d119bc270 ",
		" 4f1d2a7e90314b6ca805e33d119bc270",
		"4f1d2a7e-9031-4b6c-a805-e33d119bc270",
		"4f1d2a7e90314b6ca805e33d119bc27g",
		"g4f1d2a7e90314b6ca805e33d119bc27",
		"uninitialized\n",
	};
	uint8_t id[16];
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		memcpy(id, id_a, sizeof(id));
		if (machine_id_parse(bad[i], strlen(bad[i]), id) != -EINVAL)
			fail_msg("accepted: \"%s\"", bad[i]);
		/* Nothing is written on failure. */
		assert_memory_equal(id, id_a, 16);
	}
	assert_int_equal(machine_id_parse("4f1d2a7e90314b6ca805e33d119bc270\0", 33, id),
			 -EINVAL);
}

/* Only n bytes are looked at: a valid prefix of a longer text is fine. */
static void test_parse_respects_length(void **state)
{
	uint8_t id[16];
	char *heap = malloc(32);

	(void)state;
	assert_non_null(heap);
	memcpy(heap, id_a_hex, 32);
	assert_int_equal(machine_id_parse(heap, 32, id), 0);
	assert_memory_equal(id, id_a, 16);
	assert_int_equal(machine_id_parse(heap, 31, id), -EINVAL);
	free(heap);
}

static char *temp_file(const char *text, size_t len)
{
	char *path = strdup("/tmp/test_machine_id.XXXXXX");
	int fd;

	assert_non_null(path);
	fd = mkstemp(path);
	assert_true(fd >= 0);
	assert_int_equal(write(fd, text, len), (ssize_t)len);
	assert_int_equal(close(fd), 0);
	return path;
}

static int read_text(const char *text, uint8_t id[16])
{
	char *path = temp_file(text, strlen(text));
	int ret = machine_id_read(path, id);

	assert_int_equal(unlink(path), 0);
	free(path);
	return ret;
}

static void test_read(void **state)
{
	static const char long_text[] = "4f1d2a7e90314b6ca805e33d119bc270\n"
		"4f1d2a7e90314b6ca805e33d119bc270\n";
	uint8_t id[16];

	(void)state;
	memset(id, 0, sizeof(id));
	assert_int_equal(read_text("4f1d2a7e90314b6ca805e33d119bc270\n", id), 0);
	assert_memory_equal(id, id_a, 16);
	memset(id, 0, sizeof(id));
	assert_int_equal(read_text("4F1D2A7E90314B6CA805E33D119BC270", id), 0);
	assert_memory_equal(id, id_a, 16);

	assert_int_equal(read_text("", id), -EINVAL);
	assert_int_equal(read_text("uninitialized\n", id), -EINVAL);
	assert_int_equal(read_text("4f1d2a7e90314b6ca805e33d119bc27\n", id), -EINVAL);
	assert_int_equal(read_text(long_text, id), -EINVAL);
	assert_int_equal(read_text("4f1d2a7e90314b6ca805e33d119bc270\nx", id), -EINVAL);

	assert_int_equal(machine_id_read("/nonexistent/machine-id", id), -ENOENT);
	assert_int_equal(machine_id_read("/tmp", id), -EISDIR);
	assert_int_equal(machine_id_read(NULL, id), -EINVAL);
}

static void test_derive(void **state)
{
	uint8_t id_b[16];
	uint64_t a_subnet = machine_id_derive(id_a, "subnet");

	(void)state;
	memcpy(id_b, id_a, sizeof(id_b));
	id_b[15] ^= 1;
	/* derive is SipHash-2-4 of the purpose, keyed by the id. */
	assert_int_equal(a_subnet, machine_id_siphash24(id_a, "subnet", 6));
	assert_int_equal(machine_id_derive(id_a, "subnet"), a_subnet);
	assert_int_not_equal(machine_id_derive(id_a, "subnet2"), a_subnet);
	assert_int_not_equal(machine_id_derive(id_a, ""), a_subnet);
	assert_int_not_equal(machine_id_derive(id_a, "mac:defnet0"), a_subnet);
	assert_int_not_equal(machine_id_derive(id_b, "subnet"), a_subnet);
	assert_int_not_equal(machine_id_derive(id_b, "mac:defnet0"),
			     machine_id_derive(id_a, "mac:defnet0"));
}

/* Stable across releases: a change would move every host's subnet and
 * bridge MAC. */
static void test_derive_pinned(void **state)
{
	uint8_t key[16];

	(void)state;
	sequential_bytes(key, sizeof(key));
	assert_int_equal(machine_id_derive(key, ""), UINT64_C(0x726fdb47dd0e0e31));
	assert_int_equal(machine_id_derive(id_a, "subnet"), UINT64_C(0x7fce5c949073d7e9));
}

static void assert_local_unicast(const uint8_t mac[6])
{
	assert_int_equal(mac[0] & 0x01, 0);
	assert_int_equal(mac[0] & 0x02, 0x02);
}

static void test_bridge_mac(void **state)
{
	static const char *const names[] = {
		"defnet0", "defnet1", "br0", "", "a-fifteen-chars",
	};
	uint8_t mac[6], other[6], expect[6];
	uint64_t h;
	size_t i;
	int b;

	(void)state;
	for (i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		machine_id_bridge_mac(id_a, names[i], mac);
		assert_local_unicast(mac);
		machine_id_bridge_mac(id_a, names[i], other);
		assert_memory_equal(mac, other, 6);
	}

	/* The MAC is the first six bytes of derive(id, "mac:NAME"), little
	 * endian, with the two bits of the first octet forced. */
	machine_id_bridge_mac(id_a, "defnet0", mac);
	h = machine_id_derive(id_a, "mac:defnet0");
	for (b = 0; b < 6; b++)
		expect[b] = (uint8_t)(h >> (8 * b));
	expect[0] = (uint8_t)((expect[0] | 0x02) & ~0x01);
	assert_memory_equal(mac, expect, 6);

	machine_id_bridge_mac(id_a, "defnet1", other);
	assert_memory_not_equal(mac, other, 6);
}

/* Many ids: the two forced bits never vary, the others do. */
static void test_bridge_mac_bits(void **state)
{
	uint8_t id[16], mac[6], seen_or = 0, seen_and = 0xff;
	int i;

	(void)state;
	memcpy(id, id_a, sizeof(id));
	for (i = 0; i < 256; i++) {
		id[0] = (uint8_t)i;
		machine_id_bridge_mac(id, "defnet0", mac);
		assert_local_unicast(mac);
		seen_or |= mac[0];
		seen_and &= mac[0];
	}
	assert_int_equal(seen_or, 0xfe);
	assert_int_equal(seen_and, 0x02);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_siphash_vectors),
		cmocka_unit_test(test_parse_good),
		cmocka_unit_test(test_parse_bad),
		cmocka_unit_test(test_parse_respects_length),
		cmocka_unit_test(test_read),
		cmocka_unit_test(test_derive),
		cmocka_unit_test(test_derive_pinned),
		cmocka_unit_test(test_bridge_mac),
		cmocka_unit_test(test_bridge_mac_bits),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
