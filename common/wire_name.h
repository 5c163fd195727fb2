/* A domain name in DNS wire form (RFC 1035 3.1), as router advertisements
 * (RFC 8106 5.2) and DHCPv6 (RFC 8415 10) carry it: uncompressed. */
#ifndef DEFNET_WIRE_NAME_H
#define DEFNET_WIRE_NAME_H

#include <stddef.h>
#include <stdint.h>

#define WIRE_NAME_MAX 253   /* characters, without a trailing dot */
#define WIRE_LABEL_MAX 63

/* Encodes name (a trailing dot allowed; no empty label) into out. Returns
 * the length written, with the root label, or -EINVAL (a bad name, or
 * size too small). */
int wire_name_encode(const char *name, uint8_t *out, size_t size);

#endif
