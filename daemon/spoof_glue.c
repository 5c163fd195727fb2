/* Spoof protection: the bridge table's sets follow the leases; see glue.h
 * and nat_spoof.h. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "boot_clock.h"
#include "bridge.h"
#include "daemon.h"
#include "dhcp_service.h"
#include "glue.h"
#include "log.h"

/* Where the bridge learned each MAC, sorted by MAC. */
struct spoof_fdb {
	struct spoof_fdb_entry {
		uint8_t mac[6];
		unsigned port;
	} *v;
	size_t n, cap;
	bool full;
};

static int spoof_glue_cmp_port(const void *a, const void *b)
{
	uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;

	return x < y ? -1 : x > y;
}

static bool spoof_glue_is_port(const struct daemon *d, unsigned port)
{
	uint32_t key = port;

	return port && bsearch(&key, d->guard_ports, d->n_guard_ports, sizeof(key),
			       spoof_glue_cmp_port);
}

static int spoof_glue_cmp_mac(const void *a, const void *b)
{
	return memcmp(a, b, 6);
}

static void spoof_glue_fdb_add(void *ctx, unsigned port, const uint8_t mac[6])
{
	struct spoof_fdb *f = ctx;
	struct spoof_fdb_entry *v;
	size_t cap;

	if (f->n == f->cap) {
		cap = f->cap ? f->cap * 2 : 64;
		v = realloc(f->v, cap * sizeof(*v));
		if (!v) {
			f->full = true;
			return;
		}
		f->v = v;
		f->cap = cap;
	}
	memcpy(f->v[f->n].mac, mac, 6);
	f->v[f->n++].port = port;
}

/* The port where the bridge last saw mac, 0 when it has not. */
static unsigned spoof_glue_fdb_port(const struct spoof_fdb *f, const uint8_t mac[6])
{
	const struct spoof_fdb_entry *e = f->n ? bsearch(mac, f->v, f->n, sizeof(*e),
							   spoof_glue_cmp_mac) : NULL;

	return e ? e->port : 0;
}

static int spoof_glue_send(struct daemon *d, const struct nat_spoof_op *ops, size_t n,
			   bool flush)
{
	char err[NAT_ERR_SIZE];
	int r;

	if (!d->spoof_batch && !(d->spoof_batch = calloc(1, sizeof(*d->spoof_batch))))
		return -ENOMEM;
	r = nat_batch_build_spoof(d->spoof_batch, ops, n, flush, d->nat.seq, NAT_BATCH_COMMIT);
	/* Changes of many leases alternate between the sets, a message each:
	 * more than a batch holds goes in two, in order. */
	if (r == -EMSGSIZE && n > 1 && !flush) {
		r = spoof_glue_send(d, ops, n / 2, false);
		return r < 0 ? r : spoof_glue_send(d, ops + n / 2, n - n / 2, false);
	}
	if (r < 0) {
		log_warning("guards: spoof protection's sets: cannot build the change: %s",
			    strerror(-r));
		return r;
	}
	d->nat.seq += (uint32_t)d->spoof_batch->n_msgs + 2;
	r = nat_conn_send(&d->nat, d->spoof_batch, err, sizeof(err));
	if (r < 0)
		log_warning("guards: spoof protection's sets: %s", err);
	return r;
}

/* The table from the lease store: the live leases on a port of the
 * bridge, by their port or, unknown, the bridge's. */
static void spoof_glue_fill(struct daemon *d)
{
	const struct lease_store *store = dhcp_service_store(d->dhcp);
	struct nat_spoof_op ops[NAT_SPOOF_MAX_OPS];
	struct spoof_fdb fdb = { 0 };
	uint64_t now = boot_clock_ms();
	const struct lease *l;
	uint32_t cur = 0;
	size_t n;
	int r = bridge_fdb_walk(&d->nl, d->ifindex, spoof_glue_fdb_add, &fdb);

	if (r < 0 || fdb.full)
		log_warning("guards: cannot read where the bridge learned its MACs (%s): leases "
			    "not bound to a port since the start wait for their renewal",
			    r < 0 ? strerror(-r) : "out of memory");
	if (fdb.n)
		qsort(fdb.v, fdb.n, sizeof(*fdb.v), spoof_glue_cmp_mac);
	while ((l = lease_store_next(store, &cur))) {
		struct nat_spoof_binding b = { .ip = l->ip, .port = l->port };

		if (!lease_is_live(l, now))
			continue;
		memcpy(b.mac, l->mac, 6);
		if (!b.port)
			b.port = spoof_glue_fdb_port(&fdb, l->mac);
		if (spoof_glue_is_port(d, b.port) && nat_spoof_bind(&d->spoof, &b, ops, &n) == -ENOMEM)
			break;
	}
	free(fdb.v);
}

void spoof_glue_sync(struct daemon *d)
{
	static struct nat_spoof_op ops[NAT_SPOOF_OPS_PER_BATCH];
	size_t cursor = 0, n;
	bool flush = true;
	int r = 0;

	/* The sets are rebuilt from the lease store: queued changes are in it. */
	d->n_spoof_queue = 0;
	nat_spoof_table_clear(&d->spoof);
	if (!d->cfg.guard_spoof || !d->nat.sock)
		return;
	if (d->dhcp)
		spoof_glue_fill(d);
	do {
		n = nat_spoof_sync_ops(&d->spoof, &cursor, ops, NAT_SPOOF_OPS_PER_BATCH);
		if (n || flush)
			r = spoof_glue_send(d, ops, n, flush);
		flush = false;
	} while (r == 0 && n);
	if (r < 0)
		log_error("guards: spoof protection's sets are incomplete (%s): some guests' "
			  "frames are dropped until the next change", strerror(-r));
	else
		log_debug("guards: spoof protection binds %zu lease%s to their ports", d->spoof.n,
			  d->spoof.n == 1 ? "" : "s");
}

/* Sends ops; a change the kernel refused leaves the sets unknown, so they
 * are rebuilt from the lease store. Whether ops went as they were. */
static bool spoof_glue_apply(struct daemon *d, const struct nat_spoof_op *ops, size_t n)
{
	if (spoof_glue_send(d, ops, n, false) == 0)
		return true;
	spoof_glue_sync(d);
	return false;
}

bool spoof_glue_flush(struct daemon *d)
{
	size_t n = d->n_spoof_queue;

	d->n_spoof_queue = 0;
	return !n || spoof_glue_apply(d, d->spoof_queue, n);
}

/* Queues ops, sending the queue first when they would not fit. A rebuild
 * on the way has them already. */
static void spoof_glue_queue(struct daemon *d, const struct nat_spoof_op *ops, size_t n)
{
	if (!d->spoof_queue &&
	    !(d->spoof_queue = calloc(NAT_SPOOF_OPS_PER_BATCH, sizeof(*d->spoof_queue)))) {
		spoof_glue_apply(d, ops, n);
		return;
	}
	if (d->n_spoof_queue + n > NAT_SPOOF_OPS_PER_BATCH && !spoof_glue_flush(d))
		return;
	memcpy(d->spoof_queue + d->n_spoof_queue, ops, n * sizeof(*ops));
	d->n_spoof_queue += n;
}

void spoof_glue_lease(struct daemon *d, const struct dhcp_event *ev)
{
	struct nat_spoof_op ops[NAT_SPOOF_MAX_OPS];
	struct nat_spoof_binding b = { .ip = ev->ip, .port = ev->port };
	size_t n = 0;
	int r;

	if (!d->cfg.guard_spoof || !d->nat.sock)
		return;
	memcpy(b.mac, ev->mac, 6);
	switch (ev->kind) {
	case DHCP_EV_ACK_NEW:
	case DHCP_EV_ACK_RENEW:
		/* From an unknown port: the binding it has stays. */
		if (!b.port)
			return;
		r = nat_spoof_bind(&d->spoof, &b, ops, &n);
		break;
	case DHCP_EV_RELEASE:
	case DHCP_EV_EXPIRE:
	case DHCP_EV_DECLINE:
		r = nat_spoof_unbind(&d->spoof, ev->ip, ops, &n);
		break;
	default:
		return;
	}
	if (r == 0 && n)
		spoof_glue_queue(d, ops, n);
	else if (r < 0 && r != -EINVAL)
		spoof_glue_sync(d);
}

void spoof_glue_stop(struct daemon *d)
{
	free(d->spoof_queue);
	d->spoof_queue = NULL;
	d->n_spoof_queue = 0;
	nat_spoof_table_free(&d->spoof);
	free(d->spoof_batch);
	d->spoof_batch = NULL;
}
