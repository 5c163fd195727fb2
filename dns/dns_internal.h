/* Shared between the codec's files; not part of its interface. */
#ifndef DEFNET_DNS_INTERNAL_H
#define DEFNET_DNS_INTERNAL_H

#include <stddef.h>
#include <stdint.h>

/* dns_name_read() without the argument checks; out may be NULL to only
 * check the name and measure it. */
int dns_name_walk(const uint8_t *msg, size_t len, size_t off,
		  uint8_t *out, size_t *out_len, size_t *next);

#endif
