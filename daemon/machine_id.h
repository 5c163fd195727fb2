/* Stable per-host identity derived from /etc/machine-id. */
#ifndef DEFNET_MACHINE_ID_H
#define DEFNET_MACHINE_ID_H

#include <stddef.h>
#include <stdint.h>

#define MACHINE_ID_PATH "/etc/machine-id"

/* Pure: 32 hex digits (either case) and an optional newline, nothing
 * else. Returns 0 or -EINVAL. */
int machine_id_parse(const char *s, size_t n, uint8_t id[16]);

/* Reads 32 hex digits (and an optional newline). Returns 0 or -errno
 * (-EINVAL for bad content). */
int machine_id_read(const char *path, uint8_t id[16]);

/* A 64-bit value derived from the id and a purpose string, the same on
 * every run, different per purpose ("subnet", "mac:defnet0", ...). */
uint64_t machine_id_derive(const uint8_t id[16], const char *purpose);

/* SipHash-2-4 of msg under the 128-bit key (Aumasson and Bernstein,
 * "SipHash: a fast short-input PRF", 2012); exposed for its test vectors. */
uint64_t machine_id_siphash24(const uint8_t key[16], const void *msg, size_t len);

/* A locally administered unicast MAC for the bridge `name`. */
void machine_id_bridge_mac(const uint8_t id[16], const char *name, uint8_t mac[6]);

#endif
