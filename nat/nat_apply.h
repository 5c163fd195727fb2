/* Sends a NAT batch to the kernel over NETLINK_NETFILTER (libmnl) and
 * reads every ACK. Each error is traced to its message by sequence number,
 * and the report names the object: "nftables: rule 3 in chain forward
 * failed: Operation not supported". Needs CAP_NET_ADMIN and nf_tables.
 *
 * The calls are synchronous and bounded: the kernel handles a batch inside
 * sendmsg(), so the answers are queued by the time it returns; a missing
 * answer is waited for NAT_RECV_TIMEOUT_MS at most. */
#ifndef DEFNET_NAT_APPLY_H
#define DEFNET_NAT_APPLY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <libmnl/libmnl.h>

#include "nat_batch.h"
#include "nat_ruleset.h"

#define NAT_ERR_SIZE 256
#define NAT_RECV_TIMEOUT_MS 2000

/* A NETLINK_NETFILTER socket kept for a daemon's life. Closing such a
 * socket right after a transaction that replaced the table waits for the
 * kernel to destroy the old table (an RCU grace period, ~10 ms), so the
 * daemon keeps one open rather than opening one per batch. */
struct nat_conn {
	struct mnl_socket *sock;  /* NULL: not open */
	uint32_t seq;             /* of the next batch */
};

/* Returns 0 or -errno. */
int nat_conn_open(struct nat_conn *c);
void nat_conn_close(struct nat_conn *c);

/* Replaces the tables inet defnet and bridge defnet by what rs describes,
 * in one transaction; no other table is touched. NAT_BATCH_CHECK has the kernel
 * check the batch and keep nothing. Returns 0 or -errno; on failure err
 * (errlen bytes; may be NULL) says what failed. */
int nat_conn_apply(struct nat_conn *c, const struct nat_ruleset *rs,
		   enum nat_batch_mode mode, char *err, size_t errlen);

/* What the table inet defnet holds now, as one number (nat_fingerprint.c):
 * two equal results mean nobody changed its chains or rules in between,
 * as far as their names, handles and policies tell. -ENOENT: no such
 * table, or an empty one. Returns 0 or -errno. */
int nat_conn_fingerprint(struct nat_conn *c, uint64_t *fp);

/* Reads the answers to one request (seq) into buf (buflen bytes), each
 * message through cb, until the kernel says done; each wait is bounded by
 * NAT_RECV_TIMEOUT_MS. Returns 0 or -errno (the kernel's error). */
int nat_dump_receive(struct mnl_socket *sock, char *buf, size_t buflen, uint32_t seq,
		     mnl_cb_t cb, void *data);

/* The same over a socket of its own, for one-shot callers. */
int nat_apply(const struct nat_ruleset *rs, enum nat_batch_mode mode,
	      char *err, size_t errlen);

/* Deletes the tables inet defnet and bridge defnet; an absent table is
 * not an error. */
int nat_remove(char *err, size_t errlen);

/* Sends a built batch and reads its answers: over c, or (nat_send) over a
 * socket of its own. */
int nat_conn_send(struct nat_conn *c, const struct nat_batch *b,
		  char *err, size_t errlen);
int nat_send(const struct nat_batch *b, char *err, size_t errlen);

/* The answers to one batch, gathered as they arrive. */
struct nat_result {
	bool acked[NAT_BATCH_MAX_MSGS];  /* by index in the batch's msgs */
	size_t n_acked;
	/* An answer to BEGIN (permission denied, out of memory, a failed
	 * commit) speaks for the whole batch: nothing more will come. */
	bool batch_failed;
	int err;                         /* the first error, or 0 */
	char err_msg[NAT_ERR_SIZE];      /* its report, or "" */
};

void nat_result_init(struct nat_result *res);

/* Takes in one datagram of answers (pure: the seam that unit tests feed).
 * Returns 0, or -EPROTO when buf holds a malformed message. */
int nat_result_feed(struct nat_result *res, const struct nat_batch *b,
		    const void *buf, size_t len);

/* True when nothing more is to be read. */
bool nat_result_done(const struct nat_result *res, const struct nat_batch *b);

#endif
