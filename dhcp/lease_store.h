/* The lease store: every lease, declined address and reservation, in
 * memory and in DIR/leases. The only code that writes lease files.
 *
 * Durability is a group commit. Changes (commit, release, decline,
 * reserve...) apply in memory at once and queue their records; the daemon
 * calls lease_store_flush() once per event-loop iteration, which writes the
 * queue with one write() and one fdatasync(), and only then sends the ACKs
 * that depend on it. A slow disk then makes batches larger, not the server
 * slower than its fsync rate.
 *
 * The file (lease_record.h) is an append-only log: a crash at any moment
 * leaves a prefix of whole records, maybe followed by a torn record, which
 * the next load ignores. When the log has grown well past its live data, a
 * flush writes a snapshot to DIR/leases.new, fsyncs it and renames it over.
 *
 * Times come from the caller (CLOCK_BOOTTIME in ms, Unix seconds), so the
 * module runs in tests without a clock. Expiry is on CLOCK_BOOTTIME: wall
 * clock jumps neither expire nor extend leases. The file records the
 * writer's boot ID; a file from an earlier boot has its expiries derived
 * from the wall clock instead, never further away than the lease's length.
 *
 * Leases stay in the store after they expire: a client that comes back gets
 * its address again (sticky addresses) until the pool runs out and
 * lease_store_reclaim_lru() hands the address of the least recently used
 * expired lease to someone else.
 *
 * Lookups are O(1) (hash tables over the client key and the address) and
 * allocate nothing. Pointers returned by lookups stay valid until the next
 * change to the store. */
#ifndef DEFNET_LEASE_STORE_H
#define DEFNET_LEASE_STORE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "lease_record.h"

#define LEASE_STORE_MAX_LEASES (1u << 16)
#define LEASE_STORE_MAX_RESERVATIONS 1024
#define LEASE_STORE_MAX_QUARANTINE 256

struct lease_store;

/* What a load found. */
struct lease_load_info {
	size_t records;         /* records applied */
	size_t dropped_bytes;   /* after the last good record: a torn tail or damage */
	bool other_boot;        /* written in an earlier boot (or boot unknown) */
	bool bad_header;        /* not a lease file; open renames it to leases.corrupt */
	bool rewritten;         /* open wrote a fresh snapshot */
};

/* An empty store in memory, not tied to a file. boot_id: the running boot
 * (all zeros: unknown, so every file counts as from another boot). */
int lease_store_new(struct lease_store **out, const uint8_t boot_id[LEASE_BOOT_ID_LEN]);
/* Replays a file image into an empty store (pure). A short or damaged tail
 * ends the replay and counts in info->dropped_bytes: that is still 0.
 * -EBADMSG: the header is not ours (the store stays empty). */
int lease_store_load(struct lease_store *s, const uint8_t *buf, size_t len,
		     uint64_t now_boot_ms, int64_t now_wall, struct lease_load_info *info);
/* The store of DIR/leases (missing: empty). A file from another boot, with
 * a dropped tail or too much garbage is rewritten before this returns; a
 * file with a bad header is renamed to DIR/leases.corrupt and replaced by
 * an empty one. A missing file stays missing until there is a record. */
int lease_store_open(struct lease_store **out, const char *dir,
		     const uint8_t boot_id[LEASE_BOOT_ID_LEN],
		     uint64_t now_boot_ms, int64_t now_wall, struct lease_load_info *info);
/* Closes the file without flushing: call lease_store_flush() first. */
void lease_store_close(struct lease_store *s);

/* Changes not yet durable? */
bool lease_store_pending(const struct lease_store *s);
/* Makes every change so far durable (one write, one fdatasync; sometimes a
 * compaction). Send no ACK for a change before it returns 0. After an
 * error the store stays usable, memory keeps every change, and the next
 * flush rewrites the whole file. A store without a file drops the queue. */
int lease_store_flush(struct lease_store *s);
/* The whole state as a file image (header and records), malloc()ed. */
int lease_store_snapshot(const struct lease_store *s, uint8_t **buf, size_t *len);

/* The boot ID of the running kernel (/proc/sys/kernel/random/boot_id). */
int lease_store_read_boot_id(uint8_t boot_id[LEASE_BOOT_ID_LEN]);
/* Pure: parses a UUID in text form ("6a9d...-...", newline allowed). */
int lease_boot_id_parse(const char *s, size_t n, uint8_t boot_id[LEASE_BOOT_ID_LEN]);

/* Leases. The client key: client_id when cid_len > 0, else the MAC. */
const struct lease *lease_store_find_client(const struct lease_store *s,
					    const uint8_t mac[6],
					    const uint8_t *client_id, size_t cid_len);
const struct lease *lease_store_find_ip(const struct lease_store *s, uint32_t ip);
/* Adds or replaces the lease of l's client; the lease holding l->ip for
 * another client, if any, is dropped, and a quarantine of l->ip lifted.
 * Commit order is the least-recently-used order. -EINVAL for a lease that
 * cannot be stored, -ENOSPC when LEASE_STORE_MAX_LEASES are held. */
int lease_store_commit(struct lease_store *s, const struct lease *l);
/* The client sent DHCPRELEASE: its lease ends now but its address stays
 * its own until reclaimed. -ENOENT if no lease holds ip. */
int lease_store_release(struct lease_store *s, uint32_t ip,
			uint64_t now_boot_ms, int64_t now_wall);
/* Drops the lease holding ip. -ENOENT if none. */
int lease_store_forget(struct lease_store *s, uint32_t ip);

/* Leases in least-recently-used order. Start with *cursor = 0; NULL at
 * the end. The store must not change meanwhile. */
const struct lease *lease_store_next(const struct lease_store *s, uint32_t *cursor);
size_t lease_store_count(const struct lease_store *s);
/* When l expires on the wall clock as it reads now, in Unix seconds. */
int64_t lease_store_wall_expiry(const struct lease *l, uint64_t now_boot_ms,
				int64_t now_wall);

/* Reports each lease whose expiry has passed, once (not released ones, not
 * those already expired when loaded); the callback must not change the
 * store. Returns the next expiry to come (UINT64_MAX: none). It walks
 * every lease: call it when that time comes, not per packet. */
typedef void (*lease_store_expire_cb)(const struct lease *l, void *ctx);
uint64_t lease_store_expire(struct lease_store *s, uint64_t now_boot_ms,
			    lease_store_expire_cb cb, void *ctx);

/* The pool ran out: drops the least recently used expired lease whose
 * address usable() accepts (NULL: any), skipping static leases and
 * reserved addresses, and gives its address. -ENOENT if there is none;
 * until the next lease expires, later calls then return at once. */
int lease_store_reclaim_lru(struct lease_store *s, uint64_t now_boot_ms,
			    bool (*usable)(uint32_t ip, void *ctx), void *ctx,
			    uint32_t *ip);

/* DHCPDECLINE (RFC 2131 4.3.3): ip is in use by someone else; it is not
 * offered for duration_s, and the lease holding it is dropped. When the
 * quarantine list is full the one ending first goes. */
int lease_store_decline(struct lease_store *s, uint32_t ip, uint32_t duration_s,
			uint64_t now_boot_ms, int64_t now_wall);
bool lease_store_quarantined(const struct lease_store *s, uint32_t ip,
			     uint64_t now_boot_ms);

/* Reservations from defnetctl. Reserving a MAC again replaces its
 * reservation; -EEXIST if ip is reserved for another MAC; -ENOSPC when
 * full. Unreserve: -ENOENT if the MAC has none. */
int lease_store_reserve(struct lease_store *s, const uint8_t mac[6], uint32_t ip,
			const char *name);
int lease_store_unreserve(struct lease_store *s, const uint8_t mac[6]);
const struct lease_reservation *lease_store_reservation_mac(const struct lease_store *s,
							    const uint8_t mac[6]);
const struct lease_reservation *lease_store_reservation_ip(const struct lease_store *s,
							   uint32_t ip);
/* Start with *cursor = 0; NULL at the end. */
const struct lease_reservation *lease_store_reservation_next(const struct lease_store *s,
							     size_t *cursor);

/* Bytes the store has allocated (for the memory budget). */
size_t lease_store_memory(const struct lease_store *s);

#endif
