/* libFuzzer target for the lease file: any bytes load without a crash or
 * a leak, the loaded store is consistent, its snapshot replays to the very
 * same bytes, and every record that parses encodes back to its own bytes.
 *
 * Input: one mode byte, then the file image.
 *	bit 0	prepend a valid header (the fuzzer need not find its CRC)
 *	bit 1	that header names another boot (times rebased on the wall clock)
 *	bit 2	fix up each record's CRC, so mutations reach the payload parser
 * The bits above choose the clock the load sees. */
#include <errno.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "../../dhcp/lease_store.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const uint8_t fuzz_boot[LEASE_BOOT_ID_LEN] = { 0xaa, 1, 2, 3, 4, 5, 6, 7,
						      8, 9, 10, 11, 12, 13, 14, 15 };
static const uint8_t fuzz_other_boot[LEASE_BOOT_ID_LEN] = { 0xbb, 1, 2, 3, 4, 5, 6, 7,
							    8, 9, 10, 11, 12, 13, 14, 15 };

static void fuzz_put_u32(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)v;
	p[1] = (uint8_t)(v >> 8);
	p[2] = (uint8_t)(v >> 16);
	p[3] = (uint8_t)(v >> 24);
}

/* Writes the right CRC into every record whose length is plausible. */
static void fuzz_fix_crcs(uint8_t *buf, size_t len)
{
	size_t pos = LEASE_HEADER_LEN;
	uint32_t n, crc;

	while (len - pos >= LEASE_RECORD_HEAD) {
		n = (uint32_t)buf[pos] | (uint32_t)buf[pos + 1] << 8 |
		    (uint32_t)buf[pos + 2] << 16 | (uint32_t)buf[pos + 3] << 24;
		if (n < LEASE_RECORD_HEAD || n > LEASE_RECORD_MAX || n > len - pos)
			return;
		crc = lease_crc32c(0, buf + pos, 4);
		fuzz_put_u32(buf + pos + 4, lease_crc32c(crc, buf + pos + 8, n - 8));
		pos += n;
	}
}

/* A record that parses is in its only encoding. */
static void fuzz_check_records(const uint8_t *buf, size_t len)
{
	uint8_t again[LEASE_RECORD_MAX];
	struct lease_record rec;
	size_t pos = LEASE_HEADER_LEN;
	int n;

	while (pos < len) {
		n = lease_record_parse(buf + pos, len - pos, &rec);
		if (n == -ENODATA || n == -EBADMSG)
			return;
		if (n < LEASE_RECORD_HEAD || (size_t)n > len - pos)
			abort();
		if (lease_record_encode(&rec, again, sizeof(again)) != n ||
		    memcmp(again, buf + pos, (size_t)n) != 0)
			abort();
		pos += (size_t)n;
	}
}

/* Each lease is found by its key and by its address, and nowhere else. */
static void fuzz_check_store(const struct lease_store *s)
{
	const struct lease *l;
	uint32_t cursor = 0;
	size_t n = 0;

	while ((l = lease_store_next(s, &cursor))) {
		if (lease_store_find_ip(s, l->ip) != l ||
		    lease_store_find_client(s, l->mac, l->client_id, l->client_id_len) != l ||
		    l->ip == 0 || strnlen(l->hostname, sizeof(l->hostname)) > LEASE_HOSTNAME_MAX)
			abort();
		if (++n > LEASE_STORE_MAX_LEASES)
			abort();
	}
	if (n != lease_store_count(s))
		abort();
}

/* The snapshot replays, in the same boot, to a store with the same
 * snapshot. */
static void fuzz_check_snapshot(const struct lease_store *s, uint64_t now, int64_t wall)
{
	struct lease_load_info info;
	struct lease_store *t;
	uint8_t *a, *b;
	size_t la, lb;

	if (lease_store_snapshot(s, &a, &la) < 0)
		abort();
	if (lease_store_new(&t, fuzz_boot) < 0)
		abort();
	if (lease_store_load(t, a, la, now, wall, &info) < 0 || info.dropped_bytes ||
	    info.other_boot)
		abort();
	fuzz_check_store(t);
	if (lease_store_snapshot(t, &b, &lb) < 0 || la != lb || memcmp(a, b, la) != 0)
		abort();
	free(a);
	free(b);
	lease_store_close(t);
}

/* Changes on the loaded state keep it consistent. */
static void fuzz_change(struct lease_store *s, uint64_t now, int64_t wall)
{
	const struct lease *l;
	uint32_t cursor = 0, ip;
	struct lease copy;

	(void)lease_store_expire(s, now, NULL, NULL);
	(void)lease_store_reclaim_lru(s, now, NULL, NULL, &ip);
	l = lease_store_next(s, &cursor);
	if (l) {
		copy = *l;
		if (lease_store_decline(s, copy.ip, 60, now, wall) < 0)
			abort();
		copy.ip ^= 1;
		if (copy.ip && lease_store_commit(s, &copy) < 0)
			abort();
	}
	fuzz_check_store(s);
	(void)lease_store_flush(s);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const uint64_t nows[4] = { 0, 5000000, 1ull << 40, UINT64_MAX };
	static const int64_t walls[4] = { 1700000000, 0, -1, INT64_MAX };
	struct lease_load_info info;
	struct lease_store *s;
	uint8_t mode, *buf;
	size_t len, off = 0;
	uint64_t now;
	int64_t wall;
	int ret;

	if (size < 1)
		return 0;
	mode = data[0];
	data++;
	size--;
	now = nows[(mode >> 3) & 3];
	wall = walls[(mode >> 5) & 3];
	buf = malloc(size + LEASE_HEADER_LEN + 1);
	if (!buf)
		return 0;
	if (mode & 1) {
		lease_header_encode(mode & 2 ? fuzz_other_boot : fuzz_boot, buf);
		off = LEASE_HEADER_LEN;
	}
	memcpy(buf + off, data, size);
	len = off + size;
	if ((mode & 4) && len >= LEASE_HEADER_LEN)
		fuzz_fix_crcs(buf, len);
	if (len >= LEASE_HEADER_LEN)
		fuzz_check_records(buf, len);

	if (lease_store_new(&s, fuzz_boot) < 0)
		abort();
	ret = lease_store_load(s, buf, len, now, wall, &info);
	if (ret < 0 && ret != -EBADMSG)
		abort();
	if (ret == -EBADMSG && (!info.bad_header || lease_store_count(s) != 0))
		abort();
	if (info.dropped_bytes > len)
		abort();
	fuzz_check_store(s);
	fuzz_check_snapshot(s, now, wall);
	fuzz_change(s, now, wall);
	fuzz_check_snapshot(s, now, wall);
	lease_store_close(s);
	free(buf);
	return 0;
}
