/* Between the DNS server's query pipeline (dns_server.c) and its sockets
 * (dns_io.c). Not for the daemon: it uses dns_service.h. */
#ifndef DEFNET_DNS_SERVER_H
#define DEFNET_DNS_SERVER_H

#include <net/if.h>
#include <netinet/in.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <event2/event.h>

#include "dns_cache.h"
#include "dns_forward.h"
#include "dns_history.h"
#include "dns_local.h"
#include "dns_service.h"
#include "log_limit.h"
#include "resolv_watch.h"
#include "src_share.h"
#include "udp_pacing.h"

#define DNS_MAX_PENDING 4096     /* upstream queries in flight; beyond, the
				  * oldest are dropped (dns_forward_drop_oldest) */
#define DNS_PENDING_HARD_MAX (DNS_MAX_PENDING + 1024)  /* new ones dropped meanwhile */
#define DNS_UDP_BATCH 32         /* recvmmsg/sendmmsg */
#define DNS_UDP_QUERY_MAX 4096   /* larger datagrams are not queries we take */
#define DNS_TCP_MAX_CONNS 64
#define DNS_TCP_PER_SOURCE 8     /* of them, one guest's: the rest for others */
#define DNS_TCP_MAX_PENDING 16   /* per connection (RFC 7766 6.2.1.1) */
#define DNS_TCP_IDLE_SECS 10     /* RFC 7766 6.2.3 */
#define DNS_TCP_MSG_SECS 3       /* a whole message, from its first byte:
				  * one byte at a time keeps no slot */
#define DNS_PENDING_PER_SOURCE (DNS_MAX_PENDING / 8)   /* one guest's misses */
/* Under overload (a UDP read found more waiting than it takes in one
 * wake-up), and with more than one guest asking, each guest gets this many
 * answers a second, the rest of its queries dropped before any work; the
 * others keep theirs. Not under overload, or alone: one guest may have the
 * whole server. */
#define DNS_UDP_SOURCE_RATE 20000
#define DNS_UDP_SOURCE_BURST 2000
#define DNS_UDP_OVERLOAD_MS 1000 /* overload lasts this long after seen */
#define DNS_TCP_OUT_MAX (256u << 10)
#define DNS_PENDING_BUCKETS 1024
#define DNS_LOG_INTERVAL_MS 60000

struct dns_tcp_conn;

/* A guest's address, either family. */
union dns_peer {
	struct sockaddr sa;
	struct sockaddr_in in4;
	struct sockaddr_in6 in6;
};

/* Where an answer goes. */
struct dns_client {
	union dns_peer addr;             /* UDP */
	uint32_t local;                  /* UDP: the gateway address it asked; 0: IPv6 */
	struct dns_tcp_conn *conn;       /* TCP, or NULL */
};

/* The guest a query came from. */
uint32_t dns_io_client_addr(const struct dns_client *cl);

struct dns_pending;

/* The gateway, and while a renumbering drains the old subnet, the old
 * gateway too: its guests keep asking it until they re-lease. */
#define DNS_MAX_LISTEN 2

struct dns_listen {
	struct dns_service *s;
	uint32_t addr;                   /* host order; 0: not open (IPv4) */
	bool v6;                         /* open on addr6 (the IPv6 listener) */
	uint8_t addr6[16];
	int udp_fd;
	struct event *udp_ev;            /* reads on each datagram... */
	int tick_fd;                     /* ...or, coalescing, on this timerfd's tick */
	struct event *tick_ev;
	struct udp_pacing pace;
	struct evconnlistener *listener;
};

struct dns_io {
	struct dns_listen l[DNS_MAX_LISTEN];
	struct dns_listen l6;            /* the gateway's IPv6 address */
	struct dns_tcp_conn *conns;
	unsigned tcp_open;
	struct src_share *tcp_share;     /* connections per guest */
	struct src_share *udp_share;     /* answers per guest, under overload */
	uint64_t udp_overload_until_ms;
	uint8_t *udp_in;                 /* DNS_UDP_BATCH * DNS_UDP_QUERY_MAX */
	uint8_t *udp_out;                /* DNS_UDP_BATCH * DNS_UDP_MAX */
	uint8_t *tcp_in, *tcp_out;       /* one TCP message; out has its length first */
};

struct dns_service {
	struct event_base *base;
	struct dns_local_ctx local;
	struct name_table *names;
	struct dns_cache *cache;
	struct dns_forward *fwd;
	struct resolv_watch *watch;
	struct dns_io io;
	char ifname[IFNAMSIZ];           /* the bridge the sockets are bound to */
	uint16_t port;
	uint32_t old_subnet_addr;        /* renumbering: guests there still asked */
	uint8_t old_subnet_len;          /* 0: none */
	uint8_t prefix6[16];             /* the guests' IPv6 prefix */
	uint8_t prefix6_len;             /* 0: none */
	struct dns_pending *pending[DNS_PENDING_BUCKETS];   /* by upstream ID */
	struct src_share *pending_share; /* queries in flight per guest */
	struct dns_counters n;
	bool upstream_auto;
	char resolv_conf[4096];
	struct dns_server_addr servers[RESOLV_CONF_MAX_SERVERS];
	size_t n_servers;
	bool stopping;
	uint8_t rnd[256];                /* random bytes for upstream IDs */
	size_t rnd_left;
	uint8_t scratch[DNS_MSG_MAX];    /* TCP answers, forwarded answers */
	struct log_limit rl_source, rl_overload;
	/* One per share, so that one guest's refusals hide no other line. */
	struct log_limit rl_tcp_share, rl_pending_share, rl_udp_share;
	struct log_sink log;
	struct dns_history history;      /* each guest's last query (doctor) */
};

/* Logs at most once per DNS_LOG_INTERVAL_MS, with the count held back. */
void dns_log_limited(const struct dns_service *s, struct log_limit *rl, uint64_t now_ms,
		     const char *what);

/* A query from a guest (the source was checked). Returns 1 with the
 * answer to send now in out (size bytes: DNS_UDP_MAX for UDP, the most a
 * TCP message takes for TCP), or 0 when there is none to send now (sent
 * upstream, or dropped). */
int dns_server_query(struct dns_service *s, const uint8_t *buf, size_t len,
		     const struct dns_client *cl, uint8_t *out, size_t size,
		     size_t *out_len, uint64_t now_ms);

/* dns_io.c */
/* The buffers; no socket yet. */
int dns_io_open(struct dns_service *s);
/* Listens on addr (s->port, bound to s->ifname), UDP and TCP. Returns 0
 * or -errno after logging why (-ENOSPC: DNS_MAX_LISTEN addresses already). */
int dns_io_listen(struct dns_service *s, uint32_t addr);
bool dns_io_listening(const struct dns_service *s, uint32_t addr);
/* Stops listening on addr; answers still owed to its UDP clients are
 * dropped, its TCP connections end by themselves. */
void dns_io_unlisten(struct dns_service *s, uint32_t addr);
/* The same on the gateway's IPv6 address (one at a time). */
int dns_io_listen6(struct dns_service *s, const uint8_t addr[16]);
void dns_io_unlisten6(struct dns_service *s);
void dns_io_close(struct dns_service *s);
bool dns_io_source_ok(const struct dns_service *s, const struct sockaddr *sa);
/* An answer that was pending; the connection (TCP) loses its hold on it. */
void dns_io_send_later(struct dns_service *s, const struct dns_client *cl,
		       const uint8_t *buf, size_t len);
/* A pending query was given up without an answer (service stopping). */
void dns_io_release(struct dns_client *cl);
void dns_io_hold(struct dns_client *cl);

#endif
