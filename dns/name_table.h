/* The guests' names: one table that the DNS forwarder answers from and the
 * mDNS responder announces from, fed by the daemon (configured
 * reservations, DHCP lease events). Pure: no I/O.
 *
 * Names are single RFC 1123 labels (letters, digits, '-', 1..63 bytes, no
 * '-' at either end), stored lowercase and looked up ignoring case. A name
 * maps to one address and an address to one name: setting a mapping
 * replaces any older mapping of that name and of that address.
 * Addresses are IPv4 in host byte order. */
#ifndef DEFNET_NAME_TABLE_H
#define DEFNET_NAME_TABLE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "dns_const.h"

#define NAME_TABLE_MAX_LISTENERS 4

struct name_table;

/* Called after each change: a mapping added, or one removed (replaced,
 * removed by name or by address, or dropped by name_table_free()). */
typedef void (*name_table_listener_fn)(void *ctx, const char *name, uint32_t ip,
				       bool added);

struct name_table *name_table_new(void);
/* Frees the table; listeners are not told. */
void name_table_free(struct name_table *t);

/* Checks a name as name_table_set() would. Returns 0 or -EINVAL. */
int name_table_check(const char *name, size_t len);

/* Maps name (len bytes, need not be NUL-terminated) to ip. Returns 0,
 * -EINVAL (not an RFC 1123 label) or -ENOMEM. Setting a mapping that is
 * already there changes nothing and tells no listener. */
int name_table_set(struct name_table *t, const char *name, size_t len, uint32_t ip);

/* Returns 0, or -ENOENT when there was no such name / address. */
int name_table_remove(struct name_table *t, const char *name, size_t len);
int name_table_remove_ip(struct name_table *t, uint32_t ip);

/* Removes every mapping (listeners are told of each). */
void name_table_clear(struct name_table *t);

/* Case-insensitive. Returns 0 with *ip set, or -ENOENT. */
int name_table_lookup(const struct name_table *t, const char *name, size_t len,
		      uint32_t *ip);

/* The (lowercase, NUL-terminated) name of ip, or NULL. Valid until the
 * next change to the table. */
const char *name_table_reverse(const struct name_table *t, uint32_t ip);

size_t name_table_count(const struct name_table *t);

/* Iteration in no particular order; the table must not change meanwhile.
 *	struct name_table_iter it = { 0 };
 *	while (name_table_next(t, &it, &name, &ip)) ... */
struct name_table_iter {
	size_t bucket;
	const void *entry;
};
bool name_table_next(const struct name_table *t, struct name_table_iter *it,
		     const char **name, uint32_t *ip);

/* Returns 0, -ENOSPC (NAME_TABLE_MAX_LISTENERS already) or -EINVAL. */
int name_table_add_listener(struct name_table *t, name_table_listener_fn fn, void *ctx);
void name_table_remove_listener(struct name_table *t, name_table_listener_fn fn, void *ctx);

#endif
