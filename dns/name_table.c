/* The guest name table: two chained hash tables over the same entries,
 * one by name, one by address. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "name_table.h"

#define NAME_TABLE_MIN_BUCKETS 64

struct name_entry {
	struct name_entry *next_name, *next_ip;
	uint32_t ip;
	uint8_t len;
	char name[DNS_LABEL_MAX + 1];
};

struct name_listener {
	name_table_listener_fn fn;
	void *ctx;
};

struct name_table {
	struct name_entry **by_name, **by_ip;
	size_t n_buckets;          /* a power of two */
	size_t count;
	struct name_listener listeners[NAME_TABLE_MAX_LISTENERS];
};

static char name_lower(char c)
{
	return c >= 'A' && c <= 'Z' ? (char)(c - 'A' + 'a') : c;
}

static bool name_is_alnum(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');
}

int name_table_check(const char *name, size_t len)
{
	if (!name || len == 0 || len > DNS_LABEL_MAX)
		return -EINVAL;
	/* RFC 1123 2.1: a leading digit is fine; '-' only inside. */
	if (name[0] == '-' || name[len - 1] == '-')
		return -EINVAL;
	for (size_t i = 0; i < len; i++)
		if (!name_is_alnum(name[i]) && name[i] != '-')
			return -EINVAL;
	return 0;
}

/* FNV-1a over the lowercase bytes. */
static size_t name_hash(const char *name, size_t len)
{
	uint32_t h = 2166136261u;

	for (size_t i = 0; i < len; i++) {
		h ^= (uint8_t)name_lower(name[i]);
		h *= 16777619u;
	}
	return h;
}

static size_t ip_hash(uint32_t ip)
{
	return (size_t)((ip * 2654435761u) >> 7);
}

static bool name_eq(const struct name_entry *e, const char *name, size_t len)
{
	if (e->len != len)
		return false;
	for (size_t i = 0; i < len; i++)
		if (e->name[i] != name_lower(name[i]))
			return false;
	return true;
}

struct name_table *name_table_new(void)
{
	struct name_table *t = calloc(1, sizeof(*t));

	if (!t)
		return NULL;
	t->n_buckets = NAME_TABLE_MIN_BUCKETS;
	t->by_name = calloc(t->n_buckets, sizeof(*t->by_name));
	t->by_ip = calloc(t->n_buckets, sizeof(*t->by_ip));
	if (!t->by_name || !t->by_ip) {
		name_table_free(t);
		return NULL;
	}
	return t;
}

void name_table_free(struct name_table *t)
{
	if (!t)
		return;
	for (size_t i = 0; t->by_name && i < t->n_buckets; i++) {
		struct name_entry *e = t->by_name[i];

		while (e) {
			struct name_entry *next = e->next_name;

			free(e);
			e = next;
		}
	}
	free(t->by_name);
	free(t->by_ip);
	free(t);
}

static void name_notify(const struct name_table *t, const struct name_entry *e, bool added)
{
	for (unsigned i = 0; i < NAME_TABLE_MAX_LISTENERS; i++)
		if (t->listeners[i].fn)
			t->listeners[i].fn(t->listeners[i].ctx, e->name, e->ip, added);
}

static struct name_entry **name_slot(const struct name_table *t, const char *name, size_t len)
{
	struct name_entry **p = &t->by_name[name_hash(name, len) & (t->n_buckets - 1)];

	while (*p && !name_eq(*p, name, len))
		p = &(*p)->next_name;
	return p;
}

static struct name_entry **ip_slot(const struct name_table *t, uint32_t ip)
{
	struct name_entry **p = &t->by_ip[ip_hash(ip) & (t->n_buckets - 1)];

	while (*p && (*p)->ip != ip)
		p = &(*p)->next_ip;
	return p;
}

/* Unlinks e from both chains, tells the listeners, frees it. */
static void name_unlink(struct name_table *t, struct name_entry *e)
{
	struct name_entry **pn = name_slot(t, e->name, e->len);
	struct name_entry **pi = ip_slot(t, e->ip);

	*pn = e->next_name;
	*pi = e->next_ip;
	t->count--;
	name_notify(t, e, false);
	free(e);
}

/* Doubles the bucket arrays when the chains get long; a failed
 * allocation only leaves them long. */
static void name_grow(struct name_table *t)
{
	size_t n = t->n_buckets * 2;
	struct name_entry **bn, **bi;

	if (t->count < t->n_buckets)
		return;
	bn = calloc(n, sizeof(*bn));
	bi = calloc(n, sizeof(*bi));
	if (!bn || !bi) {
		free(bn);
		free(bi);
		return;
	}
	for (size_t i = 0; i < t->n_buckets; i++) {
		struct name_entry *e = t->by_name[i];

		while (e) {
			struct name_entry *next = e->next_name;
			size_t hn = name_hash(e->name, e->len) & (n - 1);
			size_t hi = ip_hash(e->ip) & (n - 1);

			e->next_name = bn[hn];
			bn[hn] = e;
			e->next_ip = bi[hi];
			bi[hi] = e;
			e = next;
		}
	}
	free(t->by_name);
	free(t->by_ip);
	t->by_name = bn;
	t->by_ip = bi;
	t->n_buckets = n;
}

int name_table_set(struct name_table *t, const char *name, size_t len, uint32_t ip)
{
	struct name_entry *e, **p;

	if (!t || name_table_check(name, len) < 0)
		return -EINVAL;
	p = name_slot(t, name, len);
	if (*p && (*p)->ip == ip)
		return 0;
	if (*p)
		name_unlink(t, *p);
	p = ip_slot(t, ip);
	if (*p)
		name_unlink(t, *p);
	e = calloc(1, sizeof(*e));
	if (!e)
		return -ENOMEM;
	for (size_t i = 0; i < len; i++)
		e->name[i] = name_lower(name[i]);
	e->len = (uint8_t)len;
	e->ip = ip;
	p = name_slot(t, name, len);
	*p = e;
	p = ip_slot(t, ip);
	*p = e;
	t->count++;
	name_notify(t, e, true);
	name_grow(t);
	return 0;
}

/* The entry for name, or NULL (also for a length no name can have). */
static struct name_entry *name_find(const struct name_table *t, const char *name, size_t len)
{
	if (len == 0 || len > DNS_LABEL_MAX)
		return NULL;
	return *name_slot(t, name, len);
}

int name_table_remove(struct name_table *t, const char *name, size_t len)
{
	struct name_entry *e;

	if (!t || !name)
		return -EINVAL;
	e = name_find(t, name, len);
	if (!e)
		return -ENOENT;
	name_unlink(t, e);
	return 0;
}

int name_table_remove_ip(struct name_table *t, uint32_t ip)
{
	struct name_entry **p;

	if (!t)
		return -EINVAL;
	p = ip_slot(t, ip);
	if (!*p)
		return -ENOENT;
	name_unlink(t, *p);
	return 0;
}

void name_table_clear(struct name_table *t)
{
	for (size_t i = 0; t && i < t->n_buckets; i++)
		while (t->by_name[i])
			name_unlink(t, t->by_name[i]);
}

int name_table_lookup(const struct name_table *t, const char *name, size_t len,
		      uint32_t *ip)
{
	const struct name_entry *e;

	if (!t || !name || !ip)
		return -EINVAL;
	e = name_find(t, name, len);
	if (!e)
		return -ENOENT;
	*ip = e->ip;
	return 0;
}

const char *name_table_reverse(const struct name_table *t, uint32_t ip)
{
	struct name_entry **p;

	if (!t)
		return NULL;
	p = ip_slot(t, ip);
	return *p ? (*p)->name : NULL;
}

size_t name_table_count(const struct name_table *t)
{
	return t ? t->count : 0;
}

bool name_table_next(const struct name_table *t, struct name_table_iter *it,
		     const char **name, uint32_t *ip)
{
	const struct name_entry *e = it->entry;

	if (!t)
		return false;
	if (e)
		e = e->next_name;
	while (!e && it->bucket < t->n_buckets)
		e = t->by_name[it->bucket++];
	it->entry = e;
	if (!e)
		return false;
	*name = e->name;
	*ip = e->ip;
	return true;
}

int name_table_add_listener(struct name_table *t, name_table_listener_fn fn, void *ctx)
{
	if (!t || !fn)
		return -EINVAL;
	for (unsigned i = 0; i < NAME_TABLE_MAX_LISTENERS; i++) {
		if (!t->listeners[i].fn) {
			t->listeners[i] = (struct name_listener){ fn, ctx };
			return 0;
		}
	}
	return -ENOSPC;
}

void name_table_remove_listener(struct name_table *t, name_table_listener_fn fn, void *ctx)
{
	for (unsigned i = 0; t && i < NAME_TABLE_MAX_LISTENERS; i++)
		if (t->listeners[i].fn == fn && t->listeners[i].ctx == ctx)
			t->listeners[i] = (struct name_listener){ 0 };
}
