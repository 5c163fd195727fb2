/* The lease file's bytes: CRC-32C vectors, header, every record type
 * round trip, and damage of every kind detected. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "lease_record.h"

static uint32_t crc_of(const uint8_t *p, size_t n)
{
	return lease_crc32c(0, p, n);
}

/* RFC 3720 B.4, and the usual check value of "123456789". */
static void test_crc32c_vectors(void **state)
{
	static const uint8_t read_pdu[48] = {
		0x01, 0xc0, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
		0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
		0x14, 0x00, 0x00, 0x00, 0x00, 0x00, 0x04, 0x00,
		0x00, 0x00, 0x00, 0x14, 0x00, 0x00, 0x00, 0x18,
		0x28, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
		0x02, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
	};
	uint8_t buf[32];
	size_t i;

	memset(buf, 0, sizeof(buf));
	assert_int_equal(crc_of(buf, 32), 0x8a9136aa);
	memset(buf, 0xff, sizeof(buf));
	assert_int_equal(crc_of(buf, 32), 0x62a8ab43);
	for (i = 0; i < 32; i++)
		buf[i] = (uint8_t)i;
	assert_int_equal(crc_of(buf, 32), 0x46dd794e);
	for (i = 0; i < 32; i++)
		buf[i] = (uint8_t)(31 - i);
	assert_int_equal(crc_of(buf, 32), 0x113fdb5c);
	assert_int_equal(crc_of(read_pdu, sizeof(read_pdu)), 0xd9963a56);
	assert_int_equal(crc_of((const uint8_t *)"123456789", 9), 0xe3069283);
	assert_int_equal(crc_of(buf, 0), 0);
}

static void test_crc32c_chained(void **state)
{
	uint8_t buf[100];
	size_t i, cut;

	for (i = 0; i < sizeof(buf); i++)
		buf[i] = (uint8_t)(i * 7 + 3);
	for (cut = 0; cut <= sizeof(buf); cut++)
		assert_int_equal(lease_crc32c(lease_crc32c(0, buf, cut), buf + cut,
					      sizeof(buf) - cut),
				 crc_of(buf, sizeof(buf)));
}

static void test_header(void **state)
{
	uint8_t id[LEASE_BOOT_ID_LEN], out[LEASE_BOOT_ID_LEN], buf[LEASE_HEADER_LEN];
	size_t i;

	for (i = 0; i < sizeof(id); i++)
		id[i] = (uint8_t)(0xa0 + i);
	lease_header_encode(id, buf);
	assert_memory_equal(buf, "DEFNETL1", 8);
	assert_int_equal(lease_header_parse(buf, sizeof(buf), out), 0);
	assert_memory_equal(out, id, sizeof(id));
	for (i = 0; i < sizeof(buf); i++)
		assert_int_equal(lease_header_parse(buf, i, out), -ENODATA);
	for (i = 0; i < sizeof(buf) * 8; i++) {
		buf[i / 8] ^= (uint8_t)(1u << (i % 8));
		assert_int_equal(lease_header_parse(buf, sizeof(buf), out), -EBADMSG);
		buf[i / 8] ^= (uint8_t)(1u << (i % 8));
	}
}

static struct lease_record sample_lease(void)
{
	struct lease_record r;

	memset(&r, 0, sizeof(r));
	r.type = LEASE_REC_LEASE;
	r.u.lease.ip = 0xac143032;
	memcpy(r.u.lease.mac, "\x52\x54\x00\x12\x34\x56", 6);
	r.u.lease.flags = LEASE_F_STATIC;
	r.u.lease.client_id_len = 7;
	memcpy(r.u.lease.client_id, "\x01\x52\x54\x00\x12\x34\x56", 7);
	strcpy(r.u.lease.hostname, "buildbox");
	r.u.lease.expires_boot_ms = 0x0123456789abcdefull;
	r.u.lease.expires_wall = -5;
	r.u.lease.last_used_boot_ms = 42;
	return r;
}

static void roundtrip(const struct lease_record *in, size_t want_size)
{
	uint8_t buf[LEASE_RECORD_MAX + 10], again[LEASE_RECORD_MAX];
	struct lease_record out;
	int n;

	assert_int_equal(lease_record_size(in), want_size);
	n = lease_record_encode(in, buf, sizeof(buf));
	assert_int_equal(n, (int)want_size);
	assert_int_equal(lease_record_parse(buf, sizeof(buf), &out), n);
	assert_int_equal(lease_record_parse(buf, (size_t)n, &out), n);
	assert_int_equal(out.type, in->type);
	/* Encoding covers every field: equal bytes, equal records. */
	assert_int_equal(lease_record_encode(&out, again, sizeof(again)), n);
	assert_memory_equal(again, buf, (size_t)n);
	assert_int_equal(lease_record_encode(in, buf, want_size - 1), -ENOSPC);
}

static void check_sample_fields(const struct lease_record *in)
{
	uint8_t buf[LEASE_RECORD_MAX];
	struct lease_record out;
	int n = lease_record_encode(in, buf, sizeof(buf));

	assert_int_equal(lease_record_parse(buf, (size_t)n, &out), n);
	assert_int_equal(out.u.lease.ip, 0xac143032);
	assert_memory_equal(out.u.lease.mac, "\x52\x54\x00\x12\x34\x56", 6);
	assert_int_equal(out.u.lease.flags, LEASE_F_STATIC);
	assert_int_equal(out.u.lease.client_id_len, 7);
	assert_memory_equal(out.u.lease.client_id, "\x01\x52\x54\x00\x12\x34\x56", 7);
	assert_string_equal(out.u.lease.hostname, "buildbox");
	assert_true(out.u.lease.expires_boot_ms == 0x0123456789abcdefull);
	assert_true(out.u.lease.expires_wall == -5);
	assert_true(out.u.lease.last_used_boot_ms == 42);
}

static void test_roundtrip_all_types(void **state)
{
	struct lease_record r = sample_lease();

	roundtrip(&r, LEASE_RECORD_HEAD + 37 + 7 + 8);
	check_sample_fields(&r);
	/* The largest record fits LEASE_RECORD_MAX. */
	r.u.lease.client_id_len = LEASE_CLIENT_ID_MAX;
	memset(r.u.lease.client_id, 0xee, LEASE_CLIENT_ID_MAX);
	memset(r.u.lease.hostname, 'h', LEASE_HOSTNAME_MAX);
	roundtrip(&r, LEASE_RECORD_HEAD + 37 + LEASE_CLIENT_ID_MAX + LEASE_HOSTNAME_MAX);
	assert_true(lease_record_size(&r) <= LEASE_RECORD_MAX);

	memset(&r, 0, sizeof(r));
	r.type = LEASE_REC_FORGET;
	r.u.ip = 0x0a000001;
	roundtrip(&r, LEASE_RECORD_HEAD + 4);

	memset(&r, 0, sizeof(r));
	r.type = LEASE_REC_DECLINE;
	r.u.quarantine.ip = 0x0a000002;
	r.u.quarantine.duration_s = 600;
	r.u.quarantine.until_boot_ms = 1234567;
	r.u.quarantine.until_wall = 1700000000;
	roundtrip(&r, LEASE_RECORD_DECLINE_SIZE);

	memset(&r, 0, sizeof(r));
	r.type = LEASE_REC_RESERVE;
	r.u.reservation.ip = 0x0a000003;
	memcpy(r.u.reservation.mac, "\x02\x00\x00\x00\x00\x01", 6);
	strcpy(r.u.reservation.name, "db");
	roundtrip(&r, LEASE_RECORD_HEAD + 11 + 2);
	r.u.reservation.name[0] = '\0';
	roundtrip(&r, LEASE_RECORD_HEAD + 11);

	memset(&r, 0, sizeof(r));
	r.type = LEASE_REC_UNRESERVE;
	memcpy(r.u.reservation.mac, "\x02\x00\x00\x00\x00\x01", 6);
	roundtrip(&r, LEASE_RECORD_HEAD + 6);
}

static void test_encode_rejects(void **state)
{
	struct lease_record r = sample_lease();
	uint8_t buf[LEASE_RECORD_MAX];

	r.u.lease.ip = 0;
	assert_int_equal(lease_record_encode(&r, buf, sizeof(buf)), -EINVAL);
	r = sample_lease();
	r.u.lease.flags = 0x80;
	assert_int_equal(lease_record_encode(&r, buf, sizeof(buf)), -EINVAL);
	r = sample_lease();
	r.u.lease.client_id_len = LEASE_CLIENT_ID_MAX + 1;
	assert_int_equal(lease_record_encode(&r, buf, sizeof(buf)), -EINVAL);
	r = sample_lease();
	memset(r.u.lease.hostname, 'x', sizeof(r.u.lease.hostname));
	assert_int_equal(lease_record_encode(&r, buf, sizeof(buf)), -EINVAL);
	r.type = 9;
	assert_int_equal(lease_record_encode(&r, buf, sizeof(buf)), -EINVAL);
	memset(&r, 0, sizeof(r));
	r.type = LEASE_REC_FORGET;
	assert_int_equal(lease_record_encode(&r, buf, sizeof(buf)), -EINVAL);
}

static void test_truncated_is_nodata(void **state)
{
	struct lease_record r = sample_lease(), out;
	uint8_t buf[LEASE_RECORD_MAX];
	int n = lease_record_encode(&r, buf, sizeof(buf));
	int i;

	assert_true(n > 0);
	for (i = 0; i < n; i++) {
		/* Four bytes give the length, which is sane: the rest is torn. */
		assert_int_equal(lease_record_parse(buf, (size_t)i, &out), -ENODATA);
		assert_int_equal(out.type, 0);
	}
}

static void test_every_bit_flip_detected(void **state)
{
	struct lease_record r = sample_lease(), out;
	uint8_t buf[LEASE_RECORD_MAX];
	int n = lease_record_encode(&r, buf, sizeof(buf)), i, ret;

	for (i = 0; i < n * 8; i++) {
		buf[i / 8] ^= (uint8_t)(1u << (i % 8));
		ret = lease_record_parse(buf, (size_t)n, &out);
		assert_true(ret == -EBADMSG || ret == -ENODATA);
		buf[i / 8] ^= (uint8_t)(1u << (i % 8));
	}
	assert_int_equal(lease_record_parse(buf, (size_t)n, &out), n);
}

static void test_zeros_end_the_log(void **state)
{
	uint8_t zeros[64] = { 0 };
	struct lease_record out;

	assert_int_equal(lease_record_parse(zeros, sizeof(zeros), &out), -EBADMSG);
}

/* A record with a correct CRC but content no writer produces. */
static int parse_forged(uint8_t *buf, size_t n)
{
	struct lease_record out;
	uint32_t crc;

	buf[0] = (uint8_t)n;
	buf[1] = buf[2] = buf[3] = 0;
	crc = lease_crc32c(0, buf, 4);
	crc = lease_crc32c(crc, buf + 8, n - 8);
	buf[4] = (uint8_t)crc;
	buf[5] = (uint8_t)(crc >> 8);
	buf[6] = (uint8_t)(crc >> 16);
	buf[7] = (uint8_t)(crc >> 24);
	return lease_record_parse(buf, n, &out);
}

static void test_forged_content_rejected(void **state)
{
	struct lease_record r = sample_lease();
	uint8_t buf[LEASE_RECORD_MAX], copy[LEASE_RECORD_MAX];
	int n = lease_record_encode(&r, buf, sizeof(buf));
	size_t host_at = LEASE_RECORD_HEAD + 37 + 7;  /* first hostname byte */

	assert_int_equal(parse_forged(memcpy(copy, buf, sizeof(buf)), (size_t)n), n);
	memcpy(copy, buf, sizeof(buf));
	copy[8] = 42;           /* unknown type */
	assert_int_equal(parse_forged(copy, (size_t)n), -EBADMSG);
	memcpy(copy, buf, sizeof(buf));
	copy[9] = 0x40;         /* unknown flag */
	assert_int_equal(parse_forged(copy, (size_t)n), -EBADMSG);
	memcpy(copy, buf, sizeof(buf));
	memset(copy + 16, 0, 4);  /* address 0 */
	assert_int_equal(parse_forged(copy, (size_t)n), -EBADMSG);
	memcpy(copy, buf, sizeof(buf));
	copy[host_at + 2] = '\0';  /* NUL inside the hostname */
	assert_int_equal(parse_forged(copy, (size_t)n), -EBADMSG);
	memcpy(copy, buf, sizeof(buf));
	copy[LEASE_RECORD_HEAD + 35] = LEASE_CLIENT_ID_MAX + 1;  /* client id length */
	assert_int_equal(parse_forged(copy, (size_t)n), -EBADMSG);
	memcpy(copy, buf, sizeof(buf));
	assert_int_equal(parse_forged(copy, (size_t)n - 1), -EBADMSG);  /* short payload */
	memcpy(copy, buf, sizeof(buf));
	copy[n] = 'x';          /* payload longer than its fields */
	assert_int_equal(parse_forged(copy, (size_t)n + 1), -EBADMSG);
}

static void test_length_limits(void **state)
{
	uint8_t buf[LEASE_RECORD_MAX + 16];
	struct lease_record out;

	memset(buf, 0, sizeof(buf));
	buf[0] = LEASE_RECORD_HEAD - 1;
	assert_int_equal(lease_record_parse(buf, sizeof(buf), &out), -EBADMSG);
	buf[0] = (uint8_t)((LEASE_RECORD_MAX + 1) & 0xff);
	buf[1] = (uint8_t)((LEASE_RECORD_MAX + 1) >> 8);
	assert_int_equal(lease_record_parse(buf, sizeof(buf), &out), -EBADMSG);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_crc32c_vectors),
		cmocka_unit_test(test_crc32c_chained),
		cmocka_unit_test(test_header),
		cmocka_unit_test(test_roundtrip_all_types),
		cmocka_unit_test(test_encode_rejects),
		cmocka_unit_test(test_truncated_is_nodata),
		cmocka_unit_test(test_every_bit_flip_detected),
		cmocka_unit_test(test_zeros_end_the_log),
		cmocka_unit_test(test_forged_content_rejected),
		cmocka_unit_test(test_length_limits),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
