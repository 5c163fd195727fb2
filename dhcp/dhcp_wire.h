/* Internal to the codec: the DNS name conversions shared by options 81
 * and 119. */
#ifndef DEFNET_DHCP_WIRE_H
#define DEFNET_DHCP_WIRE_H

#include <stddef.h>
#include <stdint.h>

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
