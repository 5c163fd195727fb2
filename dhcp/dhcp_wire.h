/* Internal to the codec: big-endian loads and stores, and the DNS name
 * conversions shared by options 81 and 119. */
#ifndef DEFNET_DHCP_WIRE_H
#define DEFNET_DHCP_WIRE_H

#include <stddef.h>
#include <stdint.h>

static inline uint16_t dhcp_get16(const uint8_t *p)
{
	return (uint16_t)(p[0] << 8 | p[1]);
}

static inline uint32_t dhcp_get32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 |
	       (uint32_t)p[2] << 8 | p[3];
}

static inline void dhcp_put16(uint8_t *p, uint16_t v)
{
	p[0] = v >> 8;
	p[1] = v & 0xff;
}

static inline void dhcp_put32(uint8_t *p, uint32_t v)
{
	p[0] = v >> 24;
	p[1] = (v >> 16) & 0xff;
	p[2] = (v >> 8) & 0xff;
	p[3] = v & 0xff;
}

/* Encodes a dotted name (one trailing dot allowed, "" is the root) into
 * uncompressed DNS wire format with its terminating zero. Each label is
 * 1..63 bytes, the whole at most 255 (RFC 1035 2.3.4). Returns 0 with
 * *len set, -EINVAL for a bad name, -ENOBUFS when out is too small. */
int dhcp_name_to_wire(const char *name, uint8_t *out, size_t cap,
		      size_t *len);

/* Decodes an uncompressed wire name (RFC 4702 2.3.1 forbids compression)
 * into dotted text without a trailing dot. The terminating zero may be
 * missing (a partial name). A pointer, a label holding a dot or a NUL,
 * or trailing bytes after the zero give -EINVAL; text that does not fit
 * in cap (with its NUL) gives -ENOBUFS. */
int dhcp_name_from_wire(const uint8_t *p, size_t len, char *out, size_t cap,
			size_t *out_len);

#endif
