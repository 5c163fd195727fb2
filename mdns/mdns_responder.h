/* The mDNS responder's logic (RFC 6762), pure: packets in, packets out,
 * times given by the caller. mdns_io.c moves the bytes.
 *
 * defnet answers on the guests' behalf for the names in the name table:
 *  - NAME.local: A, the guest's address, and AAAA, its IPv6 addresses in
 *    the guests' prefix (opts.aaaa), the other family as additional
 *    records (RFC 6762 6.2);
 *  - D.C.B.A.in-addr.arpa for a named address in the bridge subnet: PTR to
 *    NAME.local;
 *  - either name asked for another type: NSEC saying which types exist
 *    (RFC 6762 6.1), so a resolver asking for AAAA of a guest without
 *    IPv6 need not wait.
 * Queries come over IPv4 (224.0.0.251) or IPv6 (ff02::fb, m->v6); the
 * answers are the same, the I/O sends them back on the family asked.
 * All are unique records (cache-flush bit, RFC 6762 10.2) with the host
 * record TTL of 120 s (RFC 6762 10); at most 10 s in legacy unicast answers
 * (RFC 6762 6.7).
 *
 * Names come and go through mdns_responder_name_event() (the name table's
 * listener): a new name is announced twice, one second apart (RFC 6762
 * 8.3), with its A, reverse PTR and AAAA, a name that goes away gets a
 * goodbye, TTL 0 (RFC 6762 10.1); so does an IPv6 address of its that
 * comes or goes (mdns_responder_aaaa_event()).
 * There is no probing: the name belongs to the guest that holds the lease,
 * and the DHCP name rules already settled who that is. When the lease
 * holder itself announces the same record (a guest running avahi) all is
 * well; when it announces other data for its name, defnet falls silent on
 * that name until the name table changes it, the lease is renewed
 * (mdns_responder_renewed()) or the announced record's TTL runs out,
 * whichever comes first. A source address is easy to forge, so only an
 * announcement that came in on the holder's own bridge port counts
 * (mdns_handle_port_response(), fed from a packet socket on the ports;
 * opts.holder_port says which port holds each name). */
#ifndef DEFNET_MDNS_RESPONDER_H
#define DEFNET_MDNS_RESPONDER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "dns_local.h"
#include "log_sink.h"
#include "name_table.h"

#define MDNS_PORT 5353
#define MDNS_GROUP 0xe00000fbu          /* 224.0.0.251, host order */
#define MDNS_GROUP6 { 0xff, 0x02, [15] = 0xfb }  /* ff02::fb */
#define MDNS_AAAA_MAX DNS_LOCAL_AAAA_MAX /* a guest's addresses answered */
#define MDNS_TTL 120                    /* host records, RFC 6762 10 */
#define MDNS_LEGACY_TTL 10              /* RFC 6762 6.7 */
#define MDNS_PKT_MAX 1472               /* one Ethernet frame, no fragments */
#define MDNS_LEGACY_MAX 512             /* RFC 1035 UDP size: no EDNS here */
#define MDNS_ANNOUNCE_COUNT 2           /* RFC 6762 8.3 */
#define MDNS_ANNOUNCE_GAP_MS 1000
#define MDNS_RECORD_GAP_MS 1000         /* per-record multicast limit, RFC 6762 6 */
#define MDNS_REPLY_RATE 100             /* replies per second, sustained */
#define MDNS_REPLY_BURST 200
/* Of that budget, one source's (legacy unicast answers included): a
 * flooding guest spends its own share, not the others'. */
#define MDNS_SOURCE_RATE 10
#define MDNS_SOURCE_BURST 20
#define MDNS_SENT_RING 16               /* own packets remembered for loop detection */
#define MDNS_LOOP_WINDOW_MS 5000
#define MDNS_SILENCE_MAX_S 4500         /* RFC 6762 10: the longest usual TTL */


/* What mdns_handle() did with a packet. */
enum mdns_outcome {
	MDNS_ANSWER_MULTICAST = 0,  /* out->mcast holds the answer */
	MDNS_ANSWER_UNICAST,        /* out->ucast, to the querier (QU, RFC 6762 5.4) */
	MDNS_ANSWER_BOTH,           /* some questions one way, some the other */
	MDNS_ANSWER_LEGACY,         /* out->ucast, to the querier's port (RFC 6762 6.7) */
	MDNS_DROP_NOT_OUR_LINK,     /* arrived on another interface */
	MDNS_DROP_OFF_SUBNET,       /* unicast from off the link (RFC 6762 11) */
	MDNS_DROP_OWN_LOOP,         /* our own multicast or host copy, looped back */
	MDNS_DROP_RATE_LIMITED,     /* record multicast < 1 s ago, or reply budget spent */
	MDNS_DROP_MALFORMED,
	MDNS_DROP_IGNORED,          /* opcode or rcode not 0 (RFC 6762 18.3, 18.11),
				     * or a response not from port 5353 (RFC 6762 6) */
	MDNS_DROP_NO_ANSWER,        /* nothing of ours asked, or all known (7.1) */
	MDNS_RESPONSE_SEEN,         /* another responder's answer, checked (9) */
	MDNS_CONFLICT_SILENCED,     /* the lease holder claims other data: silent */
	MDNS_DROP_SOURCE_LIMITED,   /* a query from a source that spent its share:
				     * dropped unread (issue 18) */
	MDNS_OUTCOME_COUNT,
};

const char *mdns_outcome_name(enum mdns_outcome o);

/* How a packet arrived (addresses in host byte order). */
struct mdns_meta {
	uint32_t src;               /* IPv4 only */
	uint16_t sport;
	uint32_t dst;               /* MDNS_GROUP or a unicast address; IPv4 only */
	bool v6;                    /* over IPv6: src6 and dst6 instead */
	uint8_t src6[16];
	uint8_t dst6[16];           /* ff02::fb or a unicast address */
	unsigned ifindex;           /* arrival interface */
	unsigned port;              /* the bridge port it came in on, 0 unknown */
	int ttl;                    /* IP TTL or hop limit, -1 when unknown; logged only:
				     * RFC 6762 11 lets receivers not check it */
	uint64_t now_ms;            /* monotonic */
};

struct mdns_out {
	uint8_t mcast[MDNS_PKT_MAX];
	size_t mcast_len;           /* 0: nothing to multicast */
	uint8_t ucast[MDNS_PKT_MAX];
	size_t ucast_len;           /* 0: nothing for the querier */
};

struct mdns_responder_opts {
	unsigned ifindex;           /* the bridge */
	uint32_t gateway;           /* our own address on it */
	uint32_t subnet_addr;
	uint8_t subnet_len;
	const struct name_table *names;
	/* A guest's IPv6 addresses in the prefix, by its IPv4 address; NULL
	 * (IPv6=no): no AAAA. */
	dns_local_aaaa_fn aaaa;
	void *aaaa_ctx;
	/* The guests' prefix: unicast over IPv6 must come from it or from
	 * fe80::/10 (RFC 6762 11). prefix6_len 0: none. */
	uint8_t prefix6[16];
	uint8_t prefix6_len;
	struct log_sink log;        /* fn may be NULL */
	/* The bridge port of the live lease holding name, 0 if unknown. NULL:
	 * no announcement silences a name. */
	unsigned (*holder_port)(void *ctx, const char *name);
	void *ctx;
};

struct mdns_counters {
	uint64_t outcome[MDNS_OUTCOME_COUNT];
	uint64_t unsolicited;       /* announcement and goodbye packets built */
	uint64_t goodbyes;          /* records said goodbye to */
	size_t names;               /* tracked now */
	uint64_t host_copies;       /* the I/O's: copies sent to the host's resolver */
	size_t silenced;            /* of which silent after a conflict */
};

struct mdns_responder;

/* Tracks every name already in the table, to be announced from now_ms.
 * Returns 0, -EINVAL or -ENOMEM. The name table must outlive it. */
int mdns_responder_new(struct mdns_responder **r, const struct mdns_responder_opts *o,
		       uint64_t now_ms);
void mdns_responder_free(struct mdns_responder *r);

/* A name table change (the listener's arguments). added: announce it;
 * removed: say goodbye, unless the lease holder speaks for it itself. */
void mdns_responder_name_event(struct mdns_responder *r, const char *name, uint32_t ip,
			       bool added, uint64_t now_ms);

/* One of the IPv6 addresses of the guest at ip appeared or went (the
 * neighbour table): the name is announced again with it, or that AAAA
 * gets its goodbye (RFC 6762 8.4, 10.1). */
void mdns_responder_aaaa_event(struct mdns_responder *r, uint32_t ip, const uint8_t addr[16],
			       bool added, uint64_t now_ms);

/* Every tracked name gets its goodbye now (the daemon stops, or mDNS is
 * turned off); drain mdns_responder_due() afterwards. */
void mdns_responder_goodbye_all(struct mdns_responder *r);

/* One received packet. Every multicast packet it builds is remembered,
 * so that its looped-back copy is recognised. out is written only for
 * the answer outcomes. */
enum mdns_outcome mdns_handle(struct mdns_responder *r, const uint8_t *pkt, size_t len,
			      const struct mdns_meta *m, struct mdns_out *out);

/* A response as a bridge port received it (m->port set; the UDP socket
 * cannot tell ports apart): the only way a name falls silent. Returns
 * MDNS_CONFLICT_SILENCED, MDNS_RESPONSE_SEEN or a drop. */
enum mdns_outcome mdns_handle_port_response(struct mdns_responder *r, const uint8_t *pkt,
					    size_t len, const struct mdns_meta *m);

/* The lease of name, at ip, was renewed: a silence on it ends. */
void mdns_responder_renewed(struct mdns_responder *r, const char *name, uint32_t ip,
			    uint64_t now_ms);

/* Unsolicited packets due at now_ms: writes one (announcements and
 * goodbyes) into buf and returns its length, 0 when nothing is due, or
 * -errno. Call until it returns 0; what does not fit waits for the next. */
int mdns_responder_due(struct mdns_responder *r, uint64_t now_ms, uint8_t *buf, size_t size);

/* When mdns_responder_due() has something next. Returns true with *when_ms
 * set, false when nothing is scheduled. */
bool mdns_responder_next(const struct mdns_responder *r, uint64_t *when_ms);

void mdns_responder_counters(const struct mdns_responder *r, struct mdns_counters *c);

/* systemd-resolved drops every mDNS packet that comes from one of its own
 * host's addresses with source port 5353 (its guard against hearing
 * itself), so the host's resolver never hears our answers from the
 * gateway. The I/O sends it a copy of each answer the host asked for, and
 * of each announcement and goodbye, from the address of a guest the packet
 * names and with multicast TTL 0, which keeps it on the host (RFC 1112
 * 6.1). Returns that address: the first A record in the answer section
 * that is inside the subnet and not the gateway; 0 when there is none (no
 * copy). */
uint32_t mdns_responder_host_copy_source(const struct mdns_responder *r, const uint8_t *pkt,
					 size_t len);

#endif
