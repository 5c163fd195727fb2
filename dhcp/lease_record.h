/* The lease file's bytes (pure code): CRC-32C, the file header and the
 * records of the append-only log. lease_store.h says what the records mean.
 *
 * File: a 32-byte header, then records, every integer little-endian.
 *
 *	header:	"DEFNETL1" | u32 version | boot_id[16] | u32 CRC-32C of the 28 bytes before
 *	record:	u32 length | u32 CRC-32C | u8 type | payload
 *
 * A record's length counts all of it (9 + payload); its CRC covers the
 * length field, the type and the payload, so a damaged length fails the
 * CRC like damaged data. No valid record has length 0, so the zeros a
 * crashed file system may leave after the last write end the log. */
#ifndef DEFNET_LEASE_RECORD_H
#define DEFNET_LEASE_RECORD_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "dns_const.h"

#define LEASE_FILE_MAGIC "DEFNETL1"
#define LEASE_FILE_VERSION 1
#define LEASE_BOOT_ID_LEN 16
#define LEASE_HEADER_LEN 32
#define LEASE_RECORD_HEAD 9     /* length, CRC, type */
#define LEASE_RECORD_MAX 256    /* the largest record: a lease with every field full */

#define LEASE_CLIENT_ID_MAX 64
#define LEASE_HOSTNAME_MAX DNS_LABEL_MAX  /* a host name is one DNS label */

/* Lease flags, as stored. */
#define LEASE_F_STATIC 0x01     /* granted from a reservation */
#define LEASE_F_RELEASED 0x02   /* the client sent DHCPRELEASE */
#define LEASE_F_ALL (LEASE_F_STATIC | LEASE_F_RELEASED)

/* One client's binding. The client's key is its client identifier when it
 * sent one (RFC 2131 4.2), its MAC otherwise. Times: expiry and last use
 * on CLOCK_BOOTTIME in milliseconds, and the expiry in Unix seconds as the
 * wall clock said when the lease was granted (for files and the CLI). */
struct lease {
	uint64_t expires_boot_ms;
	int64_t expires_wall;
	uint64_t last_used_boot_ms;
	uint32_t ip;
	uint8_t mac[6];
	uint8_t flags;
	uint8_t client_id_len;  /* 0: no client identifier, the MAC is the key */
	uint8_t client_id[LEASE_CLIENT_ID_MAX];
	char hostname[LEASE_HOSTNAME_MAX + 1];  /* NUL-terminated, may be empty */
	/* The bridge port (ifindex) of the last ACK, 0: unknown. In memory
	 * only, never in the file: ifindexes mean nothing after a reboot,
	 * and version 1 files stay readable both ways. After a restart the
	 * next ACK binds the lease again. */
	unsigned port;
};

/* The client still holds the address: not released, not yet expired. */
static inline bool lease_is_live(const struct lease *l, uint64_t now_ms)
{
	return !(l->flags & LEASE_F_RELEASED) && l->expires_boot_ms > now_ms;
}

/* An address a client declined (RFC 2131 4.3.3): not offered until then. */
struct lease_quarantine {
	uint64_t until_boot_ms;
	int64_t until_wall;
	uint32_t ip;
	uint32_t duration_s;    /* bounds the wait after a reboot */
};

/* A reservation made with `defnetctl reserve MAC IP [NAME]`. */
struct lease_reservation {
	uint32_t ip;
	uint8_t mac[6];
	char name[LEASE_HOSTNAME_MAX + 1];  /* NUL-terminated, may be empty */
};

enum lease_record_type {
	LEASE_REC_LEASE = 1,     /* a lease's whole state (added or updated) */
	LEASE_REC_FORGET = 2,    /* the lease holding u.ip is dropped */
	LEASE_REC_DECLINE = 3,   /* u.quarantine; drops the lease holding the address */
	LEASE_REC_RESERVE = 4,   /* u.reservation */
	LEASE_REC_UNRESERVE = 5, /* the reservation of u.reservation.mac goes */
};

struct lease_record {
	enum lease_record_type type;
	union {
		struct lease lease;
		uint32_t ip;
		struct lease_quarantine quarantine;
		struct lease_reservation reservation;
	} u;
};

/* CRC-32C (Castagnoli). Start with crc 0; feeding a buffer in pieces,
 * each call taking the last result, gives the CRC of the whole. */
uint32_t lease_crc32c(uint32_t crc, const uint8_t *buf, size_t len);

/* Writes the header into buf (LEASE_HEADER_LEN bytes). */
void lease_header_encode(const uint8_t boot_id[LEASE_BOOT_ID_LEN],
			 uint8_t buf[LEASE_HEADER_LEN]);
/* -ENODATA if shorter than a header, -EBADMSG if not ours (magic,
 * version, CRC); else 0 and the writer's boot ID. */
int lease_header_parse(const uint8_t *buf, size_t len,
		       uint8_t boot_id[LEASE_BOOT_ID_LEN]);

/* The record's encoded size, or 0 if its content cannot be encoded
 * (unknown type or flags, address 0, a string without its NUL...). */
size_t lease_record_size(const struct lease_record *rec);
/* The same for the LEASE, RESERVE and DECLINE records of these. */
size_t lease_record_lease_size(const struct lease *l);
size_t lease_record_reservation_size(const struct lease_reservation *r);
#define LEASE_RECORD_DECLINE_SIZE (LEASE_RECORD_HEAD + 24)
/* Encodes rec into buf; returns its size, -EINVAL or -ENOSPC. */
int lease_record_encode(const struct lease_record *rec, uint8_t *buf, size_t size);
/* Parses the record at the start of buf; returns its size, -ENODATA if
 * buf ends inside it (a torn tail), -EBADMSG if it is damaged. */
int lease_record_parse(const uint8_t *buf, size_t len, struct lease_record *rec);

#endif
