/* The lease store: see lease_store.h.
 *
 * Leases live in one array of entries (freed entries are reused through a
 * free list), threaded on a doubly linked list in least-recently-used
 * order. Two open-addressing hash tables (linear probing, tombstones) map
 * the client key and the address to an entry; each 32-bit slot keeps 15
 * bits of the key's hash beside the entry number, so probing compares keys
 * only on a likely match. The hash is seeded at random: clients choose
 * their MACs and client identifiers.
 *
 * Reservations and quarantined addresses are short arrays searched
 * linearly (at most LEASE_STORE_MAX_RESERVATIONS and _QUARANTINE).
 *
 * Every change is prepared (memory reserved, so it cannot fail half-way),
 * queued as a record, then applied; a load applies records the same way,
 * so the file always replays to the state in memory. */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <time.h>
#include <unistd.h>

#include "durable_file.h"
#include "hex.h"
#include "lease_file.h"
#include "lease_store.h"

#define LEASE_NONE UINT32_MAX
#define LEASE_SLOT_EMPTY 0
#define LEASE_SLOT_DEAD 1
/* Slot: entry + 2 in the low bits, the top bits of the key's hash above. */
#define LEASE_SLOT_ENTRY 0x1ffffu
_Static_assert(LEASE_STORE_MAX_LEASES + 2 <= LEASE_SLOT_ENTRY, "entry numbers fit a slot");
#define LEASE_INDEX_MIN 64

#define LEASE_FILE_NAME "leases"
#define LEASE_FILE_TMP "leases.new"
#define LEASE_FILE_CORRUPT "leases.corrupt"
/* Far above any log we write: 4 times the largest live data. */
#define LEASE_FILE_MAX (64u << 20)
/* Compaction once the log is this big and 4 times its live data. */
#define LEASE_COMPACT_MIN (1u << 20)
#define LEASE_QUEUE_MIN 4096
/* Snapshots are written in chunks of this size. */
#define LEASE_CHUNK 16384

struct lease_entry {
	struct lease lease;
	uint32_t prev, next;    /* LRU list; next also links free entries */
	bool reported;          /* expiry reported, or nothing to report */
};

struct lease_index {
	uint32_t *slot;
	uint32_t mask;
	uint32_t used;          /* slots not empty (tombstones too) */
	uint32_t live;
};

struct lease_probe {
	uint32_t pos;
	uint32_t left;
	uint32_t at;            /* the slot of the last candidate */
};

struct lease_key {
	const uint8_t *p;
	size_t n;
	bool cid;
};

struct lease_store {
	uint8_t boot_id[LEASE_BOOT_ID_LEN];
	uint64_t seed;

	struct lease_entry *e;
	uint32_t n_alloc;       /* entries allocated */
	uint32_t n_high;        /* entries ever used */
	uint32_t free_head;
	uint32_t count;
	uint32_t lru_head, lru_tail;
	struct lease_index by_client, by_ip;
	/* No lease to reclaim before this time (a scan found none). */
	uint64_t reclaim_after;

	struct lease_reservation *res;
	size_t n_res, res_alloc;
	struct lease_quarantine quar[LEASE_STORE_MAX_QUARANTINE];
	size_t n_quar;

	/* Bytes of a snapshot's records: the live data. */
	size_t live_bytes;

	uint8_t *queue;         /* records not yet durable */
	size_t queue_len, queue_alloc;

	int dfd, fd;            /* -1 without a file */
	size_t file_len;
	bool rewrite;           /* the last flush failed: write a snapshot */
};

/* Hashes. */

static uint32_t lease_hash_mix(uint64_t h)
{
	h ^= h >> 33;
	h *= 0xff51afd7ed558ccdull;
	h ^= h >> 33;
	return (uint32_t)h;
}

static uint32_t lease_hash_key(const struct lease_store *s, const struct lease_key *k)
{
	uint64_t h = s->seed ^ ((uint64_t)k->cid << 8 | k->n);
	size_t i;

	for (i = 0; i < k->n; i++)
		h = (h ^ k->p[i]) * 0x100000001b3ull;
	return lease_hash_mix(h);
}

static uint32_t lease_hash_ip(const struct lease_store *s, uint32_t ip)
{
	return lease_hash_mix((s->seed ^ ip) * 0x9e3779b97f4a7c15ull);
}

static struct lease_key lease_key_of(const struct lease *l)
{
	struct lease_key k;

	k.cid = l->client_id_len > 0;
	k.p = k.cid ? l->client_id : l->mac;
	k.n = k.cid ? l->client_id_len : 6;
	return k;
}

static uint32_t lease_entry_key_hash(const struct lease_store *s, uint32_t i)
{
	struct lease_key k = lease_key_of(&s->e[i].lease);

	return lease_hash_key(s, &k);
}

static uint32_t lease_entry_ip_hash(const struct lease_store *s, uint32_t i)
{
	return lease_hash_ip(s, s->e[i].lease.ip);
}

static bool lease_key_equal(const struct lease_key *a, const struct lease_key *b)
{
	return a->cid == b->cid && a->n == b->n && memcmp(a->p, b->p, a->n) == 0;
}

/* Hash tables. */

static uint32_t lease_index_size(const struct lease_index *ix)
{
	return ix->slot ? ix->mask + 1 : 0;
}

static void lease_probe_start(const struct lease_index *ix, uint32_t hash,
			      struct lease_probe *p)
{
	p->pos = hash & ix->mask;
	p->left = lease_index_size(ix);
	p->at = 0;
}

static uint32_t lease_slot_tag(uint32_t hash)
{
	return hash & ~LEASE_SLOT_ENTRY;
}

/* The next entry whose key may have this hash, or LEASE_NONE. */
static uint32_t lease_probe_next(const struct lease_index *ix, uint32_t hash,
				 struct lease_probe *p)
{
	uint32_t v;

	while (p->left > 0) {
		v = ix->slot[p->pos];
		p->at = p->pos;
		p->pos = (p->pos + 1) & ix->mask;
		p->left--;
		if (v == LEASE_SLOT_EMPTY)
			break;
		if (v != LEASE_SLOT_DEAD && (v & ~LEASE_SLOT_ENTRY) == lease_slot_tag(hash))
			return (v & LEASE_SLOT_ENTRY) - 2;
	}
	p->left = 0;
	return LEASE_NONE;
}

/* Room must have been made by lease_index_reserve(). */
static void lease_index_insert(struct lease_index *ix, uint32_t hash, uint32_t entry)
{
	uint32_t pos = hash & ix->mask;

	while (ix->slot[pos] > LEASE_SLOT_DEAD)
		pos = (pos + 1) & ix->mask;
	if (ix->slot[pos] == LEASE_SLOT_EMPTY)
		ix->used++;
	ix->slot[pos] = lease_slot_tag(hash) | (entry + 2);
	ix->live++;
}

static void lease_index_remove(struct lease_index *ix, uint32_t hash, uint32_t entry)
{
	struct lease_probe p;
	uint32_t e;

	lease_probe_start(ix, hash, &p);
	while ((e = lease_probe_next(ix, hash, &p)) != LEASE_NONE) {
		if (e == entry) {
			ix->slot[p.at] = LEASE_SLOT_DEAD;
			ix->live--;
			return;
		}
	}
}

typedef uint32_t (*lease_hash_fn)(const struct lease_store *s, uint32_t entry);

/* Makes room for one more insertion: at most 3/4 of the slots in use;
 * a new table is at most 2/3 full. */
static int lease_index_reserve(const struct lease_store *s, struct lease_index *ix,
			       lease_hash_fn hash_of)
{
	struct lease_index n = { 0 };
	uint32_t size = lease_index_size(ix), i, e, want = LEASE_INDEX_MIN;

	if ((uint64_t)(ix->used + 1) * 4 <= (uint64_t)size * 3)
		return 0;
	while ((uint64_t)want * 2 < (uint64_t)(ix->live + 1) * 3)
		want *= 2;
	n.slot = calloc(want, sizeof(*n.slot));
	if (!n.slot)
		return -ENOMEM;
	n.mask = want - 1;
	for (i = 0; i < size; i++) {
		if (ix->slot[i] <= LEASE_SLOT_DEAD)
			continue;
		e = (ix->slot[i] & LEASE_SLOT_ENTRY) - 2;
		lease_index_insert(&n, hash_of(s, e), e);
	}
	free(ix->slot);
	*ix = n;
	return 0;
}

/* Entries and the LRU list. */

static void lease_lru_unlink(struct lease_store *s, uint32_t i)
{
	struct lease_entry *e = &s->e[i];

	if (e->prev != LEASE_NONE)
		s->e[e->prev].next = e->next;
	else
		s->lru_head = e->next;
	if (e->next != LEASE_NONE)
		s->e[e->next].prev = e->prev;
	else
		s->lru_tail = e->prev;
}

static void lease_lru_append(struct lease_store *s, uint32_t i)
{
	s->e[i].prev = s->lru_tail;
	s->e[i].next = LEASE_NONE;
	if (s->lru_tail != LEASE_NONE)
		s->e[s->lru_tail].next = i;
	else
		s->lru_head = i;
	s->lru_tail = i;
}

static int lease_entries_reserve(struct lease_store *s)
{
	struct lease_entry *e;
	uint32_t n;

	if (s->free_head != LEASE_NONE || s->n_high < s->n_alloc)
		return 0;
	if (s->n_alloc >= LEASE_STORE_MAX_LEASES)
		return -ENOSPC;
	n = s->n_alloc ? s->n_alloc * 2 : 64;
	if (n > LEASE_STORE_MAX_LEASES)
		n = LEASE_STORE_MAX_LEASES;
	e = realloc(s->e, n * sizeof(*e));
	if (!e)
		return -ENOMEM;
	s->e = e;
	s->n_alloc = n;
	return 0;
}

static uint32_t lease_entry_alloc(struct lease_store *s)
{
	uint32_t i = s->free_head;

	if (i != LEASE_NONE)
		s->free_head = s->e[i].next;
	else
		i = s->n_high++;
	return i;
}

static uint32_t lease_find_key(const struct lease_store *s, const struct lease_key *k)
{
	uint32_t hash = lease_hash_key(s, k), i;
	struct lease_probe p;
	struct lease_key other;

	lease_probe_start(&s->by_client, hash, &p);
	while ((i = lease_probe_next(&s->by_client, hash, &p)) != LEASE_NONE) {
		other = lease_key_of(&s->e[i].lease);
		if (lease_key_equal(k, &other))
			return i;
	}
	return LEASE_NONE;
}

static uint32_t lease_find_ip(const struct lease_store *s, uint32_t ip)
{
	uint32_t hash = lease_hash_ip(s, ip), i;
	struct lease_probe p;

	lease_probe_start(&s->by_ip, hash, &p);
	while ((i = lease_probe_next(&s->by_ip, hash, &p)) != LEASE_NONE)
		if (s->e[i].lease.ip == ip)
			return i;
	return LEASE_NONE;
}

static void lease_drop(struct lease_store *s, uint32_t i)
{
	struct lease *l = &s->e[i].lease;
	struct lease_key k = lease_key_of(l);

	lease_index_remove(&s->by_client, lease_hash_key(s, &k), i);
	lease_index_remove(&s->by_ip, lease_hash_ip(s, l->ip), i);
	lease_lru_unlink(s, i);
	s->live_bytes -= lease_record_lease_size(l);
	s->e[i].next = s->free_head;
	s->free_head = i;
	s->count--;
}

/* Quarantine and reservations. */

static size_t lease_quar_find(const struct lease_store *s, uint32_t ip)
{
	size_t i;

	for (i = 0; i < s->n_quar; i++)
		if (s->quar[i].ip == ip)
			return i;
	return SIZE_MAX;
}

static void lease_quar_remove(struct lease_store *s, size_t i)
{
	s->quar[i] = s->quar[--s->n_quar];
	s->live_bytes -= LEASE_RECORD_DECLINE_SIZE;
}

/* The entry to overwrite for a quarantine of ip: its own, a free one, or
 * the one that ends first. */
static size_t lease_quar_slot(struct lease_store *s, uint32_t ip)
{
	size_t i = lease_quar_find(s, ip), j;

	if (i != SIZE_MAX)
		return i;
	if (s->n_quar < LEASE_STORE_MAX_QUARANTINE) {
		s->live_bytes += LEASE_RECORD_DECLINE_SIZE;
		return s->n_quar++;
	}
	for (i = 0, j = 1; j < s->n_quar; j++)
		if (s->quar[j].until_boot_ms < s->quar[i].until_boot_ms)
			i = j;
	return i;
}

static size_t lease_res_find_mac(const struct lease_store *s, const uint8_t mac[6])
{
	size_t i;

	for (i = 0; i < s->n_res; i++)
		if (memcmp(s->res[i].mac, mac, 6) == 0)
			return i;
	return SIZE_MAX;
}

static size_t lease_res_find_ip(const struct lease_store *s, uint32_t ip)
{
	size_t i;

	for (i = 0; i < s->n_res; i++)
		if (s->res[i].ip == ip)
			return i;
	return SIZE_MAX;
}

static void lease_res_remove(struct lease_store *s, size_t i)
{
	s->live_bytes -= lease_record_reservation_size(&s->res[i]);
	s->res[i] = s->res[--s->n_res];
}

static int lease_res_reserve(struct lease_store *s)
{
	struct lease_reservation *r;
	size_t n;

	if (s->n_res < s->res_alloc)
		return 0;
	if (s->n_res >= LEASE_STORE_MAX_RESERVATIONS)
		return -ENOSPC;
	n = s->res_alloc ? s->res_alloc * 2 : 8;
	r = realloc(s->res, n * sizeof(*r));
	if (!r)
		return -ENOMEM;
	s->res = r;
	s->res_alloc = n;
	return 0;
}

/* Applying records: prepare (may fail, changes nothing visible), then
 * apply (cannot fail). */

static int lease_prepare(struct lease_store *s, const struct lease_record *rec)
{
	const struct lease *l = &rec->u.lease;
	struct lease_key k;
	int ret = 0;

	switch (rec->type) {
	case LEASE_REC_LEASE:
		/* A new entry unless the client has one, or takes over the
		 * address (and entry) of another. */
		k = lease_key_of(l);
		if (lease_find_key(s, &k) == LEASE_NONE &&
		    lease_find_ip(s, l->ip) == LEASE_NONE)
			ret = lease_entries_reserve(s);
		if (ret == 0)
			ret = lease_index_reserve(s, &s->by_client, lease_entry_key_hash);
		if (ret == 0)
			ret = lease_index_reserve(s, &s->by_ip, lease_entry_ip_hash);
		return ret;
	case LEASE_REC_RESERVE:
		if (lease_res_find_mac(s, rec->u.reservation.mac) != SIZE_MAX)
			return 0;
		return lease_res_reserve(s);
	default:
		return 0;
	}
}

static void lease_apply_lease(struct lease_store *s, const struct lease *l, bool reported)
{
	struct lease_key k = lease_key_of(l);
	uint32_t a = lease_find_key(s, &k), b = lease_find_ip(s, l->ip);
	uint32_t ip_hash = lease_hash_ip(s, l->ip);
	size_t q;

	if (b != LEASE_NONE && b != a)
		lease_drop(s, b);
	if (a != LEASE_NONE) {
		lease_lru_unlink(s, a);
		s->live_bytes -= lease_record_lease_size(&s->e[a].lease);
		if (s->e[a].lease.ip != l->ip) {
			lease_index_remove(&s->by_ip,
					   lease_hash_ip(s, s->e[a].lease.ip), a);
			lease_index_insert(&s->by_ip, ip_hash, a);
		}
	} else {
		a = lease_entry_alloc(s);
		lease_index_insert(&s->by_client, lease_hash_key(s, &k), a);
		lease_index_insert(&s->by_ip, ip_hash, a);
		s->count++;
	}
	s->e[a].lease = *l;
	s->e[a].reported = reported;
	if (!(l->flags & LEASE_F_STATIC) && l->expires_boot_ms < s->reclaim_after)
		s->reclaim_after = l->expires_boot_ms;
	lease_lru_append(s, a);
	s->live_bytes += lease_record_lease_size(l);
	q = lease_quar_find(s, l->ip);
	if (q != SIZE_MAX)
		lease_quar_remove(s, q);
}

static void lease_apply_forget(struct lease_store *s, uint32_t ip)
{
	uint32_t i = lease_find_ip(s, ip);

	if (i != LEASE_NONE)
		lease_drop(s, i);
}

static void lease_apply_reserve(struct lease_store *s, const struct lease_reservation *r)
{
	size_t i = lease_res_find_ip(s, r->ip);

	/* Only a damaged file can get here with the address reserved for
	 * another MAC (the API refuses): the newer reservation wins. */
	if (i != SIZE_MAX && memcmp(s->res[i].mac, r->mac, 6) != 0)
		lease_res_remove(s, i);
	i = lease_res_find_mac(s, r->mac);
	if (i == SIZE_MAX)
		i = s->n_res++;
	else
		s->live_bytes -= lease_record_reservation_size(&s->res[i]);
	s->res[i] = *r;
	s->live_bytes += lease_record_reservation_size(r);
}

/* loading: the lease's expiry is reported only if it is still ahead. */
static void lease_apply(struct lease_store *s, const struct lease_record *rec,
			bool loading, uint64_t now_boot_ms)
{
	const struct lease *l = &rec->u.lease;
	size_t i;

	switch (rec->type) {
	case LEASE_REC_LEASE:
		lease_apply_lease(s, l, (l->flags & LEASE_F_RELEASED) ||
				  (loading && l->expires_boot_ms <= now_boot_ms));
		break;
	case LEASE_REC_FORGET:
		lease_apply_forget(s, rec->u.ip);
		break;
	case LEASE_REC_DECLINE:
		lease_apply_forget(s, rec->u.quarantine.ip);
		s->quar[lease_quar_slot(s, rec->u.quarantine.ip)] = rec->u.quarantine;
		break;
	case LEASE_REC_RESERVE:
		lease_apply_reserve(s, &rec->u.reservation);
		break;
	case LEASE_REC_UNRESERVE:
		i = lease_res_find_mac(s, rec->u.reservation.mac);
		if (i != SIZE_MAX)
			lease_res_remove(s, i);
		break;
	}
}

static int lease_queue_reserve(struct lease_store *s)
{
	uint8_t *q;
	size_t n;

	if (s->queue_alloc - s->queue_len >= LEASE_RECORD_MAX)
		return 0;
	n = s->queue_alloc ? s->queue_alloc * 2 : LEASE_QUEUE_MIN;
	q = realloc(s->queue, n);
	if (!q)
		return -ENOMEM;
	s->queue = q;
	s->queue_alloc = n;
	return 0;
}

/* A change made through the API: queued for the next flush, applied now. */
static int lease_change(struct lease_store *s, const struct lease_record *rec)
{
	int ret;

	if (lease_record_size(rec) == 0)
		return -EINVAL;
	ret = lease_queue_reserve(s);
	if (ret == 0)
		ret = lease_prepare(s, rec);
	if (ret == 0)
		ret = lease_record_encode(rec, s->queue + s->queue_len,
					  s->queue_alloc - s->queue_len);
	if (ret < 0)
		return ret;
	s->queue_len += (size_t)ret;
	lease_apply(s, rec, false, 0);
	return 0;
}

/* Times from another boot. */

static uint64_t lease_add_sat(uint64_t a, uint64_t b)
{
	return a + b < a ? UINT64_MAX : a + b;
}

/* Milliseconds from now_wall to until_wall, within [0, max_ms]. */
static uint64_t lease_remaining_ms(int64_t until_wall, int64_t now_wall, uint64_t max_ms)
{
	uint64_t d;

	if (until_wall <= now_wall)
		return 0;
	d = (uint64_t)until_wall - (uint64_t)now_wall;
	if (d > max_ms / 1000)
		return max_ms;
	return d * 1000 < max_ms ? d * 1000 : max_ms;
}

/* The CLOCK_BOOTTIME values of the old boot mean nothing now: the expiry
 * comes from the wall clock, bounded by the lease's own length, so a
 * clock that is behind cannot make a lease longer than it was granted. */
static void lease_rebase(struct lease_record *rec, uint64_t now_boot_ms, int64_t now_wall)
{
	struct lease *l = &rec->u.lease;
	struct lease_quarantine *q = &rec->u.quarantine;
	uint64_t len;

	if (rec->type == LEASE_REC_LEASE) {
		len = l->expires_boot_ms > l->last_used_boot_ms ?
		      l->expires_boot_ms - l->last_used_boot_ms : 0;
		l->expires_boot_ms = lease_add_sat(now_boot_ms,
			lease_remaining_ms(l->expires_wall, now_wall, len));
		l->last_used_boot_ms = l->expires_boot_ms > len ?
				       l->expires_boot_ms - len : 0;
	} else if (rec->type == LEASE_REC_DECLINE) {
		q->until_boot_ms = lease_add_sat(now_boot_ms,
			lease_remaining_ms(q->until_wall, now_wall,
					   (uint64_t)q->duration_s * 1000));
	}
}

/* The store in memory. */

static uint64_t lease_seed(void)
{
	struct timespec ts;
	uint64_t seed;

	if (getrandom(&seed, sizeof(seed), GRND_NONBLOCK) == (ssize_t)sizeof(seed))
		return seed;
	/* Early boot, entropy not ready: weaker, but the tables still work. */
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_nsec * 0x9e3779b97f4a7c15ull ^ (uint64_t)getpid();
}

int lease_store_new(struct lease_store **out, const uint8_t boot_id[LEASE_BOOT_ID_LEN])
{
	struct lease_store *s;

	if (!out || !boot_id)
		return -EINVAL;
	s = calloc(1, sizeof(*s));
	if (!s)
		return -ENOMEM;
	memcpy(s->boot_id, boot_id, LEASE_BOOT_ID_LEN);
	s->seed = lease_seed();
	s->free_head = LEASE_NONE;
	s->lru_head = LEASE_NONE;
	s->lru_tail = LEASE_NONE;
	s->dfd = -1;
	s->fd = -1;
	*out = s;
	return 0;
}

void lease_store_close(struct lease_store *s)
{
	if (!s)
		return;
	if (s->fd >= 0)
		close(s->fd);
	if (s->dfd >= 0)
		close(s->dfd);
	free(s->e);
	free(s->by_client.slot);
	free(s->by_ip.slot);
	free(s->res);
	free(s->queue);
	free(s);
}

static bool lease_boot_known(const uint8_t id[LEASE_BOOT_ID_LEN])
{
	size_t i;

	for (i = 0; i < LEASE_BOOT_ID_LEN; i++)
		if (id[i])
			return true;
	return false;
}

int lease_store_load(struct lease_store *s, const uint8_t *buf, size_t len,
		     uint64_t now_boot_ms, int64_t now_wall, struct lease_load_info *info)
{
	uint8_t boot_id[LEASE_BOOT_ID_LEN];
	struct lease_record rec;
	size_t pos = LEASE_HEADER_LEN;
	int n, ret;

	if (!s || !info || (!buf && len > 0) || s->count || s->n_res || s->n_quar)
		return -EINVAL;
	memset(info, 0, sizeof(*info));
	if (len == 0)
		return 0;
	if (lease_header_parse(buf, len, boot_id) < 0) {
		info->bad_header = true;
		return -EBADMSG;
	}
	info->other_boot = !lease_boot_known(s->boot_id) ||
			   memcmp(boot_id, s->boot_id, LEASE_BOOT_ID_LEN) != 0;
	while (pos < len) {
		n = lease_record_parse(buf + pos, len - pos, &rec);
		if (n < 0)
			break;
		if (info->other_boot)
			lease_rebase(&rec, now_boot_ms, now_wall);
		ret = lease_prepare(s, &rec);
		if (ret == -ENOMEM)
			return ret;
		/* Over a limit: no file we wrote does that, so it is damage. */
		if (ret < 0)
			break;
		lease_apply(s, &rec, true, now_boot_ms);
		pos += (size_t)n;
		info->records++;
	}
	info->dropped_bytes = len - pos;
	return 0;
}

/* Snapshots. */

typedef int (*lease_sink)(void *ctx, const uint8_t *p, size_t n);

struct lease_emit {
	uint8_t buf[LEASE_CHUNK];
	size_t len;
	lease_sink sink;
	void *ctx;
};

static int lease_emit_record(struct lease_emit *em, const struct lease_record *rec)
{
	int ret;

	if (sizeof(em->buf) - em->len < LEASE_RECORD_MAX) {
		ret = em->sink(em->ctx, em->buf, em->len);
		if (ret < 0)
			return ret;
		em->len = 0;
	}
	ret = lease_record_encode(rec, em->buf + em->len, sizeof(em->buf) - em->len);
	if (ret < 0)
		return ret;
	em->len += (size_t)ret;
	return 0;
}

static int lease_emit_state(const struct lease_store *s, struct lease_emit *em)
{
	struct lease_record rec;
	uint32_t i;
	size_t j;
	int ret = 0;

	rec.type = LEASE_REC_RESERVE;
	for (j = 0; ret == 0 && j < s->n_res; j++) {
		rec.u.reservation = s->res[j];
		ret = lease_emit_record(em, &rec);
	}
	rec.type = LEASE_REC_DECLINE;
	for (j = 0; ret == 0 && j < s->n_quar; j++) {
		rec.u.quarantine = s->quar[j];
		ret = lease_emit_record(em, &rec);
	}
	/* In LRU order, so the replay rebuilds the same order. */
	rec.type = LEASE_REC_LEASE;
	for (i = s->lru_head; ret == 0 && i != LEASE_NONE; i = s->e[i].next) {
		rec.u.lease = s->e[i].lease;
		ret = lease_emit_record(em, &rec);
	}
	return ret;
}

/* Header, then the state; em lives on the heap (it is 16 KiB). */
static int lease_emit_all(const struct lease_store *s, lease_sink sink, void *ctx)
{
	struct lease_emit *em = malloc(sizeof(*em));
	int ret;

	if (!em)
		return -ENOMEM;
	em->sink = sink;
	em->ctx = ctx;
	lease_header_encode(s->boot_id, em->buf);
	em->len = LEASE_HEADER_LEN;
	ret = lease_emit_state(s, em);
	if (ret == 0)
		ret = sink(ctx, em->buf, em->len);
	free(em);
	return ret;
}

struct lease_membuf {
	uint8_t *p;
	size_t len, size;
};

static int lease_membuf_sink(void *ctx, const uint8_t *p, size_t n)
{
	struct lease_membuf *m = ctx;

	if (n > m->size - m->len)
		return -EOVERFLOW;
	memcpy(m->p + m->len, p, n);
	m->len += n;
	return 0;
}

int lease_store_snapshot(const struct lease_store *s, uint8_t **buf, size_t *len)
{
	struct lease_membuf m;
	int ret;

	if (!s || !buf || !len)
		return -EINVAL;
	m.size = LEASE_HEADER_LEN + s->live_bytes;
	m.len = 0;
	m.p = malloc(m.size);
	if (!m.p)
		return -ENOMEM;
	ret = lease_emit_all(s, lease_membuf_sink, &m);
	/* live_bytes is exact: a snapshot of another size is a bug. */
	if (ret == 0 && m.len != m.size)
		ret = -EOVERFLOW;
	if (ret < 0) {
		free(m.p);
		return ret;
	}
	*buf = m.p;
	*len = m.len;
	return 0;
}

/* The file. */

static int lease_fd_sink(void *ctx, const uint8_t *p, size_t n)
{
	return durable_write_all(*(int *)ctx, p, n);
}

/* Writes the whole state to a new file and puts it in place: every change
 * so far is then durable. */
static int lease_compact(struct lease_store *s)
{
	int fd, ret;

	fd = lease_file_create(s->dfd, LEASE_FILE_TMP);
	if (fd < 0) {
		ret = fd;
		goto fail;
	}
	ret = lease_emit_all(s, lease_fd_sink, &fd);
	if (ret == 0)
		ret = durable_replace(s->dfd, fd, LEASE_FILE_TMP, LEASE_FILE_NAME);
	if (ret < 0) {
		close(fd);
		goto fail;
	}
	if (s->fd >= 0)
		close(s->fd);
	s->fd = fd;
	s->file_len = LEASE_HEADER_LEN + s->live_bytes;
	s->queue_len = 0;
	s->rewrite = false;
	return 0;
fail:
	s->rewrite = true;
	return ret;
}

static bool lease_log_too_big(const struct lease_store *s)
{
	size_t log = s->file_len + s->queue_len;
	size_t live = LEASE_HEADER_LEN + s->live_bytes;

	return log > LEASE_COMPACT_MIN && log / 4 > live;
}

/* With no file, an empty store has nothing to save: the file is written
 * with the first record (a first start fsyncs no empty file before it
 * serves). A file there is rewritten even empty: its tail goes. */
static bool lease_store_nothing_to_write(const struct lease_store *s)
{
	return s->fd < 0 && !s->count && !s->n_res && !s->n_quar;
}

bool lease_store_pending(const struct lease_store *s)
{
	return s && (s->queue_len > 0 || (s->rewrite && !lease_store_nothing_to_write(s)));
}

int lease_store_flush(struct lease_store *s)
{
	int ret;

	if (!s)
		return -EINVAL;
	if (s->fd < 0 && s->dfd < 0) {
		s->queue_len = 0;
		return 0;
	}
	if (!lease_store_pending(s))
		return 0;
	if (s->rewrite || lease_log_too_big(s))
		return lease_compact(s);
	ret = lease_file_append(s->fd, s->queue, s->queue_len);
	if (ret < 0) {
		/* What reached the file is unknown now (a partial write, or
		 * pages the kernel failed to write back): start afresh. */
		s->rewrite = true;
		return ret;
	}
	s->file_len += s->queue_len;
	s->queue_len = 0;
	return 0;
}

/* Reads DIR/leases into s through fd; a file we cannot use goes aside. */
static int lease_open_load(struct lease_store *s, int fd, uint64_t now_boot_ms,
			   int64_t now_wall, struct lease_load_info *info)
{
	uint8_t *buf;
	size_t len;
	int ret;

	ret = lease_file_read(fd, LEASE_FILE_MAX, &buf, &len);
	if (ret == 0) {
		ret = lease_store_load(s, buf, len, now_boot_ms, now_wall, info);
		free(buf);
	}
	if (ret == -EBADMSG || ret == -EFBIG) {
		/* Not a file we wrote: keep it for a human to look at and
		 * start empty. */
		info->bad_header = true;
		ret = lease_file_set_aside(s->dfd, LEASE_FILE_NAME, LEASE_FILE_CORRUPT);
		if (ret < 0)
			return ret;
		s->rewrite = true;
		return 0;
	}
	if (ret < 0)
		return ret;
	s->file_len = len;
	/* A new boot needs its ID in the header; a dropped tail must not
	 * sit under the records appended next. */
	if (len == 0 || info->other_boot || info->dropped_bytes || lease_log_too_big(s))
		s->rewrite = true;
	return 0;
}

int lease_store_open(struct lease_store **out, const char *dir,
		     const uint8_t boot_id[LEASE_BOOT_ID_LEN],
		     uint64_t now_boot_ms, int64_t now_wall, struct lease_load_info *info)
{
	struct lease_store *s;
	int fd, ret;

	if (!out || !dir || !info)
		return -EINVAL;
	memset(info, 0, sizeof(*info));
	ret = lease_store_new(&s, boot_id);
	if (ret < 0)
		return ret;
	s->dfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (s->dfd < 0) {
		ret = -errno;
		goto fail;
	}
	fd = openat(s->dfd, LEASE_FILE_NAME, O_RDWR | O_APPEND | O_CLOEXEC | O_NOCTTY);
	if (fd < 0 && errno != ENOENT) {
		ret = -errno;
		goto fail;
	}
	s->rewrite = fd < 0;
	if (fd >= 0) {
		s->fd = fd;
		ret = lease_open_load(s, fd, now_boot_ms, now_wall, info);
		if (ret < 0)
			goto fail;
	}
	info->rewritten = lease_store_pending(s);
	ret = lease_store_flush(s);
	if (ret < 0)
		goto fail;
	*out = s;
	return 0;
fail:
	lease_store_close(s);
	return ret;
}

int lease_boot_id_parse(const char *s, size_t n, uint8_t boot_id[LEASE_BOOT_ID_LEN])
{
	size_t i, digits = 0;
	int v;

	if (!s || !boot_id)
		return -EINVAL;
	if (n > 0 && s[n - 1] == '\n')
		n--;
	for (i = 0; i < n; i++) {
		if (s[i] == '-')
			continue;
		v = hex_digit(s[i]);
		if (v < 0 || digits == 2 * LEASE_BOOT_ID_LEN)
			return -EINVAL;
		if (digits % 2 == 0)
			boot_id[digits / 2] = (uint8_t)(v << 4);
		else
			boot_id[digits / 2] |= (uint8_t)v;
		digits++;
	}
	return digits == 2 * LEASE_BOOT_ID_LEN ? 0 : -EINVAL;
}

int lease_store_read_boot_id(uint8_t boot_id[LEASE_BOOT_ID_LEN])
{
	char text[64];
	ssize_t n;
	int fd, ret;

	fd = open("/proc/sys/kernel/random/boot_id", O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	do
		n = read(fd, text, sizeof(text));
	while (n < 0 && errno == EINTR);
	ret = n < 0 ? -errno : lease_boot_id_parse(text, (size_t)n, boot_id);
	close(fd);
	return ret;
}

/* Lookups and changes. */

const struct lease *lease_store_find_client(const struct lease_store *s,
					    const uint8_t mac[6],
					    const uint8_t *client_id, size_t cid_len)
{
	struct lease_key k;
	uint32_t i;

	if (!s || (cid_len > 0 && !client_id) || (cid_len == 0 && !mac) ||
	    cid_len > LEASE_CLIENT_ID_MAX)
		return NULL;
	k.cid = cid_len > 0;
	k.p = k.cid ? client_id : mac;
	k.n = k.cid ? cid_len : 6;
	i = lease_find_key(s, &k);
	return i == LEASE_NONE ? NULL : &s->e[i].lease;
}

const struct lease *lease_store_find_ip(const struct lease_store *s, uint32_t ip)
{
	uint32_t i;

	if (!s)
		return NULL;
	i = lease_find_ip(s, ip);
	return i == LEASE_NONE ? NULL : &s->e[i].lease;
}

int lease_store_commit(struct lease_store *s, const struct lease *l)
{
	struct lease_record rec;
	struct lease *c = &rec.u.lease;
	size_t n;

	if (!s || !l)
		return -EINVAL;
	/* A clean copy: nothing past the lengths, so records and copies
	 * compare equal when the leases do. */
	memset(&rec, 0, sizeof(rec));
	rec.type = LEASE_REC_LEASE;
	n = strnlen(l->hostname, sizeof(l->hostname));
	if (n > LEASE_HOSTNAME_MAX || l->client_id_len > LEASE_CLIENT_ID_MAX)
		return -EINVAL;
	c->expires_boot_ms = l->expires_boot_ms;
	c->expires_wall = l->expires_wall;
	c->last_used_boot_ms = l->last_used_boot_ms;
	c->ip = l->ip;
	memcpy(c->mac, l->mac, 6);
	c->flags = l->flags;
	c->client_id_len = l->client_id_len;
	memcpy(c->client_id, l->client_id, l->client_id_len);
	memcpy(c->hostname, l->hostname, n);
	c->port = l->port;
	return lease_change(s, &rec);
}

int lease_store_release(struct lease_store *s, uint32_t ip,
			uint64_t now_boot_ms, int64_t now_wall)
{
	const struct lease *cur = lease_store_find_ip(s, ip);
	struct lease_record rec;

	if (!cur)
		return s ? -ENOENT : -EINVAL;
	rec.type = LEASE_REC_LEASE;
	rec.u.lease = *cur;
	rec.u.lease.flags |= LEASE_F_RELEASED;
	rec.u.lease.expires_boot_ms = now_boot_ms;
	rec.u.lease.expires_wall = now_wall;
	rec.u.lease.last_used_boot_ms = now_boot_ms;
	return lease_change(s, &rec);
}

int lease_store_forget(struct lease_store *s, uint32_t ip)
{
	struct lease_record rec;

	if (!lease_store_find_ip(s, ip))
		return s ? -ENOENT : -EINVAL;
	rec.type = LEASE_REC_FORGET;
	rec.u.ip = ip;
	return lease_change(s, &rec);
}

const struct lease *lease_store_next(const struct lease_store *s, uint32_t *cursor)
{
	uint32_t i;

	if (!s || !cursor || *cursor == UINT32_MAX)
		return NULL;
	i = *cursor == 0 ? s->lru_head : *cursor - 1;
	if (i == LEASE_NONE || i >= s->n_high) {
		*cursor = UINT32_MAX;
		return NULL;
	}
	*cursor = s->e[i].next == LEASE_NONE ? UINT32_MAX : s->e[i].next + 1;
	return &s->e[i].lease;
}

size_t lease_store_count(const struct lease_store *s)
{
	return s ? s->count : 0;
}

int64_t lease_store_wall_expiry(const struct lease *l, uint64_t now_boot_ms,
				int64_t now_wall)
{
	int64_t d, r;

	/* Below INT64_MAX: a u64 of milliseconds, in seconds. */
	if (l->expires_boot_ms >= now_boot_ms) {
		d = (int64_t)((l->expires_boot_ms - now_boot_ms) / 1000);
		return __builtin_add_overflow(now_wall, d, &r) ? INT64_MAX : r;
	}
	d = (int64_t)((now_boot_ms - l->expires_boot_ms) / 1000);
	return __builtin_sub_overflow(now_wall, d, &r) ? INT64_MIN : r;
}

uint64_t lease_store_expire(struct lease_store *s, uint64_t now_boot_ms,
			    lease_store_expire_cb cb, void *ctx)
{
	uint64_t next = UINT64_MAX;
	struct lease_entry *e;
	uint32_t i;

	if (!s)
		return next;
	for (i = s->lru_head; i != LEASE_NONE; i = e->next) {
		e = &s->e[i];
		if (e->reported)
			continue;
		if (e->lease.expires_boot_ms <= now_boot_ms) {
			e->reported = true;
			if (cb)
				cb(&e->lease, ctx);
		} else if (e->lease.expires_boot_ms < next) {
			next = e->lease.expires_boot_ms;
		}
	}
	return next;
}

int lease_store_reclaim_lru(struct lease_store *s, uint64_t now_boot_ms,
			    bool (*usable)(uint32_t ip, void *ctx), void *ctx,
			    uint32_t *ip)
{
	uint64_t next = UINT64_MAX;
	bool skipped = false;
	const struct lease *l;
	uint32_t i;

	if (!s || !ip)
		return -EINVAL;
	/* A full pool sees a scan per DISCOVER: skip the hopeless ones. */
	if (now_boot_ms < s->reclaim_after)
		return -ENOENT;
	for (i = s->lru_head; i != LEASE_NONE; i = s->e[i].next) {
		l = &s->e[i].lease;
		if (l->flags & LEASE_F_STATIC)
			continue;
		if (l->expires_boot_ms > now_boot_ms) {
			if (l->expires_boot_ms < next)
				next = l->expires_boot_ms;
			continue;
		}
		if (lease_res_find_ip(s, l->ip) != SIZE_MAX ||
		    (usable && !usable(l->ip, ctx))) {
			skipped = true;
			continue;
		}
		*ip = l->ip;
		return lease_store_forget(s, l->ip);
	}
	/* Expired leases skipped for their address may qualify later. */
	s->reclaim_after = skipped ? 0 : next;
	return -ENOENT;
}

int lease_store_decline(struct lease_store *s, uint32_t ip, uint32_t duration_s,
			uint64_t now_boot_ms, int64_t now_wall)
{
	struct lease_record rec;
	struct lease_quarantine *q = &rec.u.quarantine;

	if (!s || ip == 0)
		return -EINVAL;
	rec.type = LEASE_REC_DECLINE;
	q->ip = ip;
	q->duration_s = duration_s;
	q->until_boot_ms = lease_add_sat(now_boot_ms, (uint64_t)duration_s * 1000);
	q->until_wall = now_wall > INT64_MAX - duration_s ? INT64_MAX : now_wall + duration_s;
	return lease_change(s, &rec);
}

bool lease_store_quarantined(const struct lease_store *s, uint32_t ip,
			     uint64_t now_boot_ms)
{
	size_t i;

	if (!s)
		return false;
	i = lease_quar_find(s, ip);
	return i != SIZE_MAX && s->quar[i].until_boot_ms > now_boot_ms;
}

int lease_store_reserve(struct lease_store *s, const uint8_t mac[6], uint32_t ip,
			const char *name)
{
	struct lease_record rec;
	size_t n, i;

	if (!s || !mac || ip == 0)
		return -EINVAL;
	n = name ? strnlen(name, LEASE_HOSTNAME_MAX + 1) : 0;
	if (n > LEASE_HOSTNAME_MAX)
		return -EINVAL;
	i = lease_res_find_ip(s, ip);
	if (i != SIZE_MAX && memcmp(s->res[i].mac, mac, 6) != 0)
		return -EEXIST;
	memset(&rec, 0, sizeof(rec));
	rec.type = LEASE_REC_RESERVE;
	memcpy(rec.u.reservation.mac, mac, 6);
	rec.u.reservation.ip = ip;
	if (n)
		memcpy(rec.u.reservation.name, name, n);
	return lease_change(s, &rec);
}

int lease_store_unreserve(struct lease_store *s, const uint8_t mac[6])
{
	struct lease_record rec;

	if (!s || !mac)
		return -EINVAL;
	if (lease_res_find_mac(s, mac) == SIZE_MAX)
		return -ENOENT;
	memset(&rec, 0, sizeof(rec));
	rec.type = LEASE_REC_UNRESERVE;
	memcpy(rec.u.reservation.mac, mac, 6);
	return lease_change(s, &rec);
}

const struct lease_reservation *lease_store_reservation_mac(const struct lease_store *s,
							    const uint8_t mac[6])
{
	size_t i;

	if (!s || !mac)
		return NULL;
	i = lease_res_find_mac(s, mac);
	return i == SIZE_MAX ? NULL : &s->res[i];
}

const struct lease_reservation *lease_store_reservation_ip(const struct lease_store *s,
							   uint32_t ip)
{
	size_t i;

	if (!s)
		return NULL;
	i = lease_res_find_ip(s, ip);
	return i == SIZE_MAX ? NULL : &s->res[i];
}

const struct lease_reservation *lease_store_reservation_next(const struct lease_store *s,
							     size_t *cursor)
{
	if (!s || !cursor || *cursor >= s->n_res)
		return NULL;
	return &s->res[(*cursor)++];
}

size_t lease_store_memory(const struct lease_store *s)
{
	if (!s)
		return 0;
	return sizeof(*s) + (size_t)s->n_alloc * sizeof(*s->e) +
	       (size_t)lease_index_size(&s->by_client) * sizeof(uint32_t) +
	       (size_t)lease_index_size(&s->by_ip) * sizeof(uint32_t) +
	       s->res_alloc * sizeof(*s->res) + s->queue_alloc;
}
