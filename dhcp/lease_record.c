/* The lease file's bytes: see lease_record.h for the layout. */
#include <errno.h>
#include <string.h>

#include "lease_record.h"

/* CRC-32C, reflected polynomial 0x82f63b78 (RFC 3720 B.4): the table of
 * each byte's remainder. */
static const uint32_t lease_crc_table[256] = {
	0x00000000u, 0xf26b8303u, 0xe13b70f7u, 0x1350f3f4u,
	0xc79a971fu, 0x35f1141cu, 0x26a1e7e8u, 0xd4ca64ebu,
	0x8ad958cfu, 0x78b2dbccu, 0x6be22838u, 0x9989ab3bu,
	0x4d43cfd0u, 0xbf284cd3u, 0xac78bf27u, 0x5e133c24u,
	0x105ec76fu, 0xe235446cu, 0xf165b798u, 0x030e349bu,
	0xd7c45070u, 0x25afd373u, 0x36ff2087u, 0xc494a384u,
	0x9a879fa0u, 0x68ec1ca3u, 0x7bbcef57u, 0x89d76c54u,
	0x5d1d08bfu, 0xaf768bbcu, 0xbc267848u, 0x4e4dfb4bu,
	0x20bd8edeu, 0xd2d60dddu, 0xc186fe29u, 0x33ed7d2au,
	0xe72719c1u, 0x154c9ac2u, 0x061c6936u, 0xf477ea35u,
	0xaa64d611u, 0x580f5512u, 0x4b5fa6e6u, 0xb93425e5u,
	0x6dfe410eu, 0x9f95c20du, 0x8cc531f9u, 0x7eaeb2fau,
	0x30e349b1u, 0xc288cab2u, 0xd1d83946u, 0x23b3ba45u,
	0xf779deaeu, 0x05125dadu, 0x1642ae59u, 0xe4292d5au,
	0xba3a117eu, 0x4851927du, 0x5b016189u, 0xa96ae28au,
	0x7da08661u, 0x8fcb0562u, 0x9c9bf696u, 0x6ef07595u,
	0x417b1dbcu, 0xb3109ebfu, 0xa0406d4bu, 0x522bee48u,
	0x86e18aa3u, 0x748a09a0u, 0x67dafa54u, 0x95b17957u,
	0xcba24573u, 0x39c9c670u, 0x2a993584u, 0xd8f2b687u,
	0x0c38d26cu, 0xfe53516fu, 0xed03a29bu, 0x1f682198u,
	0x5125dad3u, 0xa34e59d0u, 0xb01eaa24u, 0x42752927u,
	0x96bf4dccu, 0x64d4cecfu, 0x77843d3bu, 0x85efbe38u,
	0xdbfc821cu, 0x2997011fu, 0x3ac7f2ebu, 0xc8ac71e8u,
	0x1c661503u, 0xee0d9600u, 0xfd5d65f4u, 0x0f36e6f7u,
	0x61c69362u, 0x93ad1061u, 0x80fde395u, 0x72966096u,
	0xa65c047du, 0x5437877eu, 0x4767748au, 0xb50cf789u,
	0xeb1fcbadu, 0x197448aeu, 0x0a24bb5au, 0xf84f3859u,
	0x2c855cb2u, 0xdeeedfb1u, 0xcdbe2c45u, 0x3fd5af46u,
	0x7198540du, 0x83f3d70eu, 0x90a324fau, 0x62c8a7f9u,
	0xb602c312u, 0x44694011u, 0x5739b3e5u, 0xa55230e6u,
	0xfb410cc2u, 0x092a8fc1u, 0x1a7a7c35u, 0xe811ff36u,
	0x3cdb9bddu, 0xceb018deu, 0xdde0eb2au, 0x2f8b6829u,
	0x82f63b78u, 0x709db87bu, 0x63cd4b8fu, 0x91a6c88cu,
	0x456cac67u, 0xb7072f64u, 0xa457dc90u, 0x563c5f93u,
	0x082f63b7u, 0xfa44e0b4u, 0xe9141340u, 0x1b7f9043u,
	0xcfb5f4a8u, 0x3dde77abu, 0x2e8e845fu, 0xdce5075cu,
	0x92a8fc17u, 0x60c37f14u, 0x73938ce0u, 0x81f80fe3u,
	0x55326b08u, 0xa759e80bu, 0xb4091bffu, 0x466298fcu,
	0x1871a4d8u, 0xea1a27dbu, 0xf94ad42fu, 0x0b21572cu,
	0xdfeb33c7u, 0x2d80b0c4u, 0x3ed04330u, 0xccbbc033u,
	0xa24bb5a6u, 0x502036a5u, 0x4370c551u, 0xb11b4652u,
	0x65d122b9u, 0x97baa1bau, 0x84ea524eu, 0x7681d14du,
	0x2892ed69u, 0xdaf96e6au, 0xc9a99d9eu, 0x3bc21e9du,
	0xef087a76u, 0x1d63f975u, 0x0e330a81u, 0xfc588982u,
	0xb21572c9u, 0x407ef1cau, 0x532e023eu, 0xa145813du,
	0x758fe5d6u, 0x87e466d5u, 0x94b49521u, 0x66df1622u,
	0x38cc2a06u, 0xcaa7a905u, 0xd9f75af1u, 0x2b9cd9f2u,
	0xff56bd19u, 0x0d3d3e1au, 0x1e6dcdeeu, 0xec064eedu,
	0xc38d26c4u, 0x31e6a5c7u, 0x22b65633u, 0xd0ddd530u,
	0x0417b1dbu, 0xf67c32d8u, 0xe52cc12cu, 0x1747422fu,
	0x49547e0bu, 0xbb3ffd08u, 0xa86f0efcu, 0x5a048dffu,
	0x8ecee914u, 0x7ca56a17u, 0x6ff599e3u, 0x9d9e1ae0u,
	0xd3d3e1abu, 0x21b862a8u, 0x32e8915cu, 0xc083125fu,
	0x144976b4u, 0xe622f5b7u, 0xf5720643u, 0x07198540u,
	0x590ab964u, 0xab613a67u, 0xb831c993u, 0x4a5a4a90u,
	0x9e902e7bu, 0x6cfbad78u, 0x7fab5e8cu, 0x8dc0dd8fu,
	0xe330a81au, 0x115b2b19u, 0x020bd8edu, 0xf0605beeu,
	0x24aa3f05u, 0xd6c1bc06u, 0xc5914ff2u, 0x37faccf1u,
	0x69e9f0d5u, 0x9b8273d6u, 0x88d28022u, 0x7ab90321u,
	0xae7367cau, 0x5c18e4c9u, 0x4f48173du, 0xbd23943eu,
	0xf36e6f75u, 0x0105ec76u, 0x12551f82u, 0xe03e9c81u,
	0x34f4f86au, 0xc69f7b69u, 0xd5cf889du, 0x27a40b9eu,
	0x79b737bau, 0x8bdcb4b9u, 0x988c474du, 0x6ae7c44eu,
	0xbe2da0a5u, 0x4c4623a6u, 0x5f16d052u, 0xad7d5351u,
};

uint32_t lease_crc32c(uint32_t crc, const uint8_t *buf, size_t len)
{
	size_t i;

	crc = ~crc;
	for (i = 0; i < len; i++)
		crc = lease_crc_table[(crc ^ buf[i]) & 0xff] ^ (crc >> 8);
	return ~crc;
}

static void lease_put_u32(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)v;
	p[1] = (uint8_t)(v >> 8);
	p[2] = (uint8_t)(v >> 16);
	p[3] = (uint8_t)(v >> 24);
}

static void lease_put_u64(uint8_t *p, uint64_t v)
{
	lease_put_u32(p, (uint32_t)v);
	lease_put_u32(p + 4, (uint32_t)(v >> 32));
}

static uint32_t lease_get_u32(const uint8_t *p)
{
	return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 |
	       (uint32_t)p[3] << 24;
}

static uint64_t lease_get_u64(const uint8_t *p)
{
	return (uint64_t)lease_get_u32(p) | (uint64_t)lease_get_u32(p + 4) << 32;
}

void lease_header_encode(const uint8_t boot_id[LEASE_BOOT_ID_LEN],
			 uint8_t buf[LEASE_HEADER_LEN])
{
	memcpy(buf, LEASE_FILE_MAGIC, 8);
	lease_put_u32(buf + 8, LEASE_FILE_VERSION);
	memcpy(buf + 12, boot_id, LEASE_BOOT_ID_LEN);
	lease_put_u32(buf + 28, lease_crc32c(0, buf, 28));
}

int lease_header_parse(const uint8_t *buf, size_t len,
		       uint8_t boot_id[LEASE_BOOT_ID_LEN])
{
	if (len < LEASE_HEADER_LEN)
		return -ENODATA;
	if (memcmp(buf, LEASE_FILE_MAGIC, 8) != 0 ||
	    lease_get_u32(buf + 8) != LEASE_FILE_VERSION ||
	    lease_get_u32(buf + 28) != lease_crc32c(0, buf, 28))
		return -EBADMSG;
	memcpy(boot_id, buf + 12, LEASE_BOOT_ID_LEN);
	return 0;
}

/* Payload sizes without their variable parts. */
#define LEASE_PAY_LEASE 37
#define LEASE_PAY_FORGET 4
#define LEASE_PAY_DECLINE 24
#define LEASE_PAY_RESERVE 11
#define LEASE_PAY_UNRESERVE 6

/* The length of a NUL-terminated string field, or -1 without its NUL. */
static int lease_str_len(const char *s, size_t size)
{
	size_t n = strnlen(s, size);

	return n < size ? (int)n : -1;
}

size_t lease_record_lease_size(const struct lease *l)
{
	int n = lease_str_len(l->hostname, sizeof(l->hostname));

	if (l->ip == 0 || (l->flags & ~LEASE_F_ALL) || n < 0 ||
	    l->client_id_len > LEASE_CLIENT_ID_MAX)
		return 0;
	return LEASE_RECORD_HEAD + LEASE_PAY_LEASE + l->client_id_len + (size_t)n;
}

size_t lease_record_reservation_size(const struct lease_reservation *r)
{
	int n = lease_str_len(r->name, sizeof(r->name));

	if (r->ip == 0 || n < 0)
		return 0;
	return LEASE_RECORD_HEAD + LEASE_PAY_RESERVE + (size_t)n;
}

size_t lease_record_size(const struct lease_record *rec)
{
	switch (rec->type) {
	case LEASE_REC_LEASE:
		return lease_record_lease_size(&rec->u.lease);
	case LEASE_REC_FORGET:
		return rec->u.ip ? LEASE_RECORD_HEAD + LEASE_PAY_FORGET : 0;
	case LEASE_REC_DECLINE:
		return rec->u.quarantine.ip ? LEASE_RECORD_DECLINE_SIZE : 0;
	case LEASE_REC_RESERVE:
		return lease_record_reservation_size(&rec->u.reservation);
	case LEASE_REC_UNRESERVE:
		return LEASE_RECORD_HEAD + LEASE_PAY_UNRESERVE;
	}
	return 0;
}

static uint8_t *lease_put_lease(uint8_t *p, const struct lease *l)
{
	size_t n = strlen(l->hostname);

	*p++ = l->flags;
	memcpy(p, l->mac, 6);
	lease_put_u32(p + 6, l->ip);
	lease_put_u64(p + 10, l->expires_boot_ms);
	lease_put_u64(p + 18, (uint64_t)l->expires_wall);
	lease_put_u64(p + 26, l->last_used_boot_ms);
	p += 34;
	*p++ = l->client_id_len;
	memcpy(p, l->client_id, l->client_id_len);
	p += l->client_id_len;
	*p++ = (uint8_t)n;
	memcpy(p, l->hostname, n);
	return p + n;
}

static void lease_put_payload(uint8_t *p, const struct lease_record *rec)
{
	const struct lease_quarantine *q = &rec->u.quarantine;
	const struct lease_reservation *r = &rec->u.reservation;
	size_t n;

	switch (rec->type) {
	case LEASE_REC_LEASE:
		lease_put_lease(p, &rec->u.lease);
		break;
	case LEASE_REC_FORGET:
		lease_put_u32(p, rec->u.ip);
		break;
	case LEASE_REC_DECLINE:
		lease_put_u32(p, q->ip);
		lease_put_u32(p + 4, q->duration_s);
		lease_put_u64(p + 8, q->until_boot_ms);
		lease_put_u64(p + 16, (uint64_t)q->until_wall);
		break;
	case LEASE_REC_RESERVE:
		n = strlen(r->name);
		memcpy(p, r->mac, 6);
		lease_put_u32(p + 6, r->ip);
		p[10] = (uint8_t)n;
		memcpy(p + 11, r->name, n);
		break;
	case LEASE_REC_UNRESERVE:
		memcpy(p, r->mac, 6);
		break;
	}
}

int lease_record_encode(const struct lease_record *rec, uint8_t *buf, size_t size)
{
	size_t n = lease_record_size(rec);
	uint32_t crc;

	if (n == 0)
		return -EINVAL;
	if (n > size)
		return -ENOSPC;
	lease_put_u32(buf, (uint32_t)n);
	buf[8] = (uint8_t)rec->type;
	lease_put_payload(buf + LEASE_RECORD_HEAD, rec);
	crc = lease_crc32c(0, buf, 4);
	lease_put_u32(buf + 4, lease_crc32c(crc, buf + 8, n - 8));
	return (int)n;
}

/* A string field of n bytes from p; a NUL inside is damage. */
static int lease_get_str(const uint8_t *p, size_t n, char *dst, size_t size)
{
	if (n >= size || memchr(p, '\0', n))
		return -EBADMSG;
	memcpy(dst, p, n);
	dst[n] = '\0';
	return 0;
}

static int lease_get_lease(const uint8_t *p, size_t n, struct lease *l)
{
	size_t cid, host;

	if (n < LEASE_PAY_LEASE)
		return -EBADMSG;
	l->flags = p[0];
	memcpy(l->mac, p + 1, 6);
	l->ip = lease_get_u32(p + 7);
	l->expires_boot_ms = lease_get_u64(p + 11);
	l->expires_wall = (int64_t)lease_get_u64(p + 19);
	l->last_used_boot_ms = lease_get_u64(p + 27);
	cid = p[35];
	if (l->ip == 0 || (l->flags & ~LEASE_F_ALL) || cid > LEASE_CLIENT_ID_MAX ||
	    n < LEASE_PAY_LEASE + cid)
		return -EBADMSG;
	l->client_id_len = (uint8_t)cid;
	memcpy(l->client_id, p + 36, cid);
	host = p[36 + cid];
	if (n != LEASE_PAY_LEASE + cid + host)
		return -EBADMSG;
	return lease_get_str(p + 37 + cid, host, l->hostname, sizeof(l->hostname));
}

static int lease_get_decline(const uint8_t *p, size_t n, struct lease_quarantine *q)
{
	if (n != LEASE_PAY_DECLINE)
		return -EBADMSG;
	q->ip = lease_get_u32(p);
	q->duration_s = lease_get_u32(p + 4);
	q->until_boot_ms = lease_get_u64(p + 8);
	q->until_wall = (int64_t)lease_get_u64(p + 16);
	return q->ip ? 0 : -EBADMSG;
}

static int lease_get_reserve(const uint8_t *p, size_t n, struct lease_reservation *r)
{
	if (n < LEASE_PAY_RESERVE || n != LEASE_PAY_RESERVE + (size_t)p[10])
		return -EBADMSG;
	memcpy(r->mac, p, 6);
	r->ip = lease_get_u32(p + 6);
	if (r->ip == 0)
		return -EBADMSG;
	return lease_get_str(p + 11, p[10], r->name, sizeof(r->name));
}

static int lease_get_payload(uint8_t type, const uint8_t *p, size_t n,
			     struct lease_record *rec)
{
	switch (type) {
	case LEASE_REC_LEASE:
		rec->type = LEASE_REC_LEASE;
		return lease_get_lease(p, n, &rec->u.lease);
	case LEASE_REC_FORGET:
		rec->type = LEASE_REC_FORGET;
		if (n != LEASE_PAY_FORGET)
			return -EBADMSG;
		rec->u.ip = lease_get_u32(p);
		return rec->u.ip ? 0 : -EBADMSG;
	case LEASE_REC_DECLINE:
		rec->type = LEASE_REC_DECLINE;
		return lease_get_decline(p, n, &rec->u.quarantine);
	case LEASE_REC_RESERVE:
		rec->type = LEASE_REC_RESERVE;
		return lease_get_reserve(p, n, &rec->u.reservation);
	case LEASE_REC_UNRESERVE:
		rec->type = LEASE_REC_UNRESERVE;
		if (n != LEASE_PAY_UNRESERVE)
			return -EBADMSG;
		memcpy(rec->u.reservation.mac, p, 6);
		return 0;
	}
	return -EBADMSG;
}

int lease_record_parse(const uint8_t *buf, size_t len, struct lease_record *rec)
{
	uint32_t n, crc;
	int ret;

	memset(rec, 0, sizeof(*rec));
	if (len < 4)
		return -ENODATA;
	n = lease_get_u32(buf);
	if (n < LEASE_RECORD_HEAD || n > LEASE_RECORD_MAX)
		return -EBADMSG;
	if (n > len)
		return -ENODATA;
	crc = lease_crc32c(0, buf, 4);
	if (lease_crc32c(crc, buf + 8, n - 8) != lease_get_u32(buf + 4))
		return -EBADMSG;
	ret = lease_get_payload(buf[8], buf + LEASE_RECORD_HEAD, n - LEASE_RECORD_HEAD, rec);
	if (ret < 0) {
		memset(rec, 0, sizeof(*rec));
		return ret;
	}
	return (int)n;
}
