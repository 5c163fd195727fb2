/* The upstream side of the forwarder: c-ares channels driven by the
 * libevent loop (ARES_OPT_SOCK_STATE_CB tells which sockets to watch,
 * ares_process_fd() services them, ares_timeout() arms one timer).
 *
 * c-ares 1.18 neither changes servers while queries are pending nor can
 * re-initialise a channel, and keeps one UDP socket per server for as long
 * as queries are pending. So a channel is never changed: a new server set,
 * or every DNS_FORWARD_ROTATE_QUERIES queries / DNS_FORWARD_ROTATE_SECS
 * (fresh source ports, RFC 5452 9.2), makes a new channel; the old one
 * answers what it has in flight and is destroyed once it drains. */
#ifndef DEFNET_DNS_FORWARD_H
#define DEFNET_DNS_FORWARD_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <event2/event.h>

#include "log_sink.h"
#include "resolv_conf.h"

#define DNS_FORWARD_ROTATE_QUERIES 1000
#define DNS_FORWARD_ROTATE_SECS 60
#define DNS_FORWARD_TIMEOUT_MS 400    /* per try; doubled each round */
#define DNS_FORWARD_TRIES 2
/* Queries in flight upstream before more wait here, in order, for an
 * answer to make room, DNS_FORWARD_HOLD_MS at most. A burst of misses
 * sent at once overflows the upstream's socket buffer (about 270 small
 * datagrams at Linux's default), and each query lost there costs its
 * guest a whole retry timeout; an upstream that answers normally makes
 * room within a few milliseconds, and one that answers nothing (a dead
 * zone) holds nothing back for longer than the hold. */
#define DNS_FORWARD_WINDOW 128
#define DNS_FORWARD_HOLD_MS 20

struct dns_forward;

/* ok: answer (len bytes) is the upstream's raw answer, whatever its rcode;
 * otherwise the query failed (timeout, refused, channel gone) and answer
 * is NULL. Called once per query, from the event loop (or from inside
 * dns_forward_send() when the query cannot even be sent). */
typedef void (*dns_forward_cb)(void *arg, bool ok, const uint8_t *answer, size_t len);

/* Error reports go to log. */

int dns_forward_new(struct dns_forward **f, struct event_base *base,
		    const struct log_sink *log);

/* Every query still in flight fails (its callback runs with ok false). */
void dns_forward_free(struct dns_forward *f);

/* The upstream servers, in the order to try them. Returns 0, or -errno
 * (the old servers stay). */
int dns_forward_set_servers(struct dns_forward *f, const struct dns_server_addr *s, size_t n);

/* Sends a complete query (its ID is what the upstream sees, and what
 * the answer must carry). Returns 0 (cb will run) or -errno (it will not). */
int dns_forward_send(struct dns_forward *f, const uint8_t *query, size_t len,
		     dns_forward_cb cb, void *arg);

/* Too many queries in flight: every query of the oldest channel still
 * draining fails, at the next turn of the loop (c-ares 1.18 cannot cancel
 * one query, and a channel must not be cancelled from inside its own
 * callbacks), its callbacks run while dns_forward_cancelling() is true.
 * As a channel takes DNS_FORWARD_ROTATE_QUERIES queries at most, those
 * are the oldest ones. When no channel drains, as many queries still
 * waiting for the window fail instead. Returns 0, or -EBUSY when neither
 * a channel drains nor a query waits. */
int dns_forward_drop_oldest(struct dns_forward *f);
bool dns_forward_cancelling(const struct dns_forward *f);

#endif
