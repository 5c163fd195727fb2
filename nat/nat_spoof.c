/* The spoof protection's bindings: see nat_spoof.h. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "nat_spoof.h"

#define NAT_SPOOF_MIN_CAP 64

void nat_spoof_table_init(struct nat_spoof_table *t)
{
	memset(t, 0, sizeof(*t));
}

void nat_spoof_table_free(struct nat_spoof_table *t)
{
	free(t->v);
	nat_spoof_table_init(t);
}

void nat_spoof_table_clear(struct nat_spoof_table *t)
{
	if (t->v)
		memset(t->v, 0, t->cap * sizeof(*t->v));
	t->n = 0;
}

/* Fibonacci hashing: leases come in runs of consecutive addresses. */
static size_t nat_spoof_home(const struct nat_spoof_table *t, uint32_t ip)
{
	return (size_t)((ip * 2654435769u) & (uint32_t)(t->cap - 1));
}

/* The slot of ip, or of the free slot where it would go. */
static size_t nat_spoof_slot(const struct nat_spoof_table *t, uint32_t ip)
{
	size_t i = nat_spoof_home(t, ip);

	while (t->v[i].ip && t->v[i].ip != ip)
		i = (i + 1) & (t->cap - 1);
	return i;
}

static int nat_spoof_grow(struct nat_spoof_table *t)
{
	size_t cap = t->cap ? t->cap * 2 : NAT_SPOOF_MIN_CAP, old_cap = t->cap, i;
	struct nat_spoof_binding *old = t->v;

	t->v = calloc(cap, sizeof(*t->v));
	if (!t->v) {
		t->v = old;
		return -ENOMEM;
	}
	t->cap = cap;
	for (i = 0; i < old_cap; i++)
		if (old[i].ip)
			t->v[nat_spoof_slot(t, old[i].ip)] = old[i];
	free(old);
	return 0;
}

/* Removes slot i, moving back the entries of its run that hashed before
 * it (linear probing without tombstones). */
static void nat_spoof_remove_slot(struct nat_spoof_table *t, size_t i)
{
	size_t mask = t->cap - 1, j = i, home;

	for (;;) {
		t->v[i].ip = 0;
		for (;;) {
			j = (j + 1) & mask;
			if (!t->v[j].ip)
				return;
			home = nat_spoof_home(t, t->v[j].ip);
			/* Stays when its home lies cyclically in (i, j]. */
			if (i <= j ? (i < home && home <= j) : (i < home || home <= j))
				continue;
			break;
		}
		t->v[i] = t->v[j];
		i = j;
	}
}

/* Whether another binding than the one of ip has mac (on port, unless
 * port is 0). */
static bool nat_spoof_shared(const struct nat_spoof_table *t, uint32_t ip, uint32_t port,
			     const uint8_t mac[6])
{
	for (size_t i = 0; i < t->cap; i++) {
		const struct nat_spoof_binding *o = &t->v[i];

		if (o->ip && o->ip != ip && (!port || o->port == port) &&
		    memcmp(o->mac, mac, 6) == 0)
			return true;
	}
	return false;
}

static void nat_spoof_op(struct nat_spoof_op *ops, size_t *n, bool add, enum nat_spoof_set set,
			 const struct nat_spoof_binding *b)
{
	ops[*n] = (struct nat_spoof_op){ .add = add, .set = set, .b = *b };
	(*n)++;
}

int nat_spoof_unbind(struct nat_spoof_table *t, uint32_t ip, struct nat_spoof_op *ops,
		     size_t *n)
{
	struct nat_spoof_binding old;
	size_t i;

	*n = 0;
	if (!t->n || !ip)
		return 0;
	i = nat_spoof_slot(t, ip);
	if (!t->v[i].ip)
		return 0;
	old = t->v[i];
	nat_spoof_op(ops, n, false, NAT_SPOOF_ADDR, &old);
	if (!nat_spoof_shared(t, ip, old.port, old.mac))
		nat_spoof_op(ops, n, false, NAT_SPOOF_PORT_MAC, &old);
	if (!nat_spoof_shared(t, ip, 0, old.mac))
		nat_spoof_op(ops, n, false, NAT_SPOOF_MAC, &old);
	nat_spoof_remove_slot(t, i);
	t->n--;
	return 0;
}

int nat_spoof_bind(struct nat_spoof_table *t, const struct nat_spoof_binding *b,
		   struct nat_spoof_op *ops, size_t *n)
{
	static const uint8_t zero[6];
	size_t i, k = 0;

	*n = 0;
	if (!b->ip || !b->port || memcmp(b->mac, zero, 6) == 0)
		return -EINVAL;
	if (t->cap) {
		i = nat_spoof_slot(t, b->ip);
		if (t->v[i].ip && t->v[i].port == b->port && memcmp(t->v[i].mac, b->mac, 6) == 0)
			return 0;
	}
	if ((t->n + 1) * 2 > t->cap) {
		if (t->n >= NAT_SPOOF_MAX_BINDINGS)
			return -ENOMEM;
		if (nat_spoof_grow(t) < 0)
			return -ENOMEM;
	}
	nat_spoof_unbind(t, b->ip, ops, &k);
	t->v[nat_spoof_slot(t, b->ip)] = *b;
	t->n++;
	nat_spoof_op(ops, &k, true, NAT_SPOOF_ADDR, b);
	nat_spoof_op(ops, &k, true, NAT_SPOOF_PORT_MAC, b);
	nat_spoof_op(ops, &k, true, NAT_SPOOF_MAC, b);
	*n = k;
	return 0;
}

size_t nat_spoof_sync_ops(const struct nat_spoof_table *t, size_t *cursor,
			  struct nat_spoof_op *ops, size_t max)
{
	size_t per_set = max / NAT_SPOOF_SETS, start = *cursor, end = start, taken = 0, n = 0;

	while (end < t->cap && taken < per_set)
		if (t->v[end++].ip)
			taken++;
	for (int s = 0; s < NAT_SPOOF_SETS; s++)
		for (size_t i = start; i < end; i++)
			if (t->v[i].ip)
				nat_spoof_op(ops, &n, true, (enum nat_spoof_set)s, &t->v[i]);
	*cursor = end;
	return n;
}
