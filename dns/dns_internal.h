/* Shared between the codec's files; not part of its interface. */
#ifndef DEFNET_DNS_INTERNAL_H
#define DEFNET_DNS_INTERNAL_H

#include <stddef.h>
#include <stdint.h>

/* dns_name_read() without the argument checks; out may be NULL to only
 * check the name and measure it. */
int dns_name_walk(const uint8_t *msg, size_t len, size_t off,
		  uint8_t *out, size_t *out_len, size_t *next);

static inline uint16_t dns_get16(const uint8_t *p)
{
	return (uint16_t)(p[0] << 8 | p[1]);
}

static inline uint32_t dns_get32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 |
	       (uint32_t)p[2] << 8 | p[3];
}

static inline void dns_put16(uint8_t *p, uint16_t v)
{
	p[0] = (uint8_t)(v >> 8);
	p[1] = (uint8_t)v;
}

static inline void dns_put32(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)(v >> 24);
	p[1] = (uint8_t)(v >> 16);
	p[2] = (uint8_t)(v >> 8);
	p[3] = (uint8_t)v;
}

#endif
