/* Guest flows in the kernel's connection tracking table, over nfnetlink
 * (NETLINK_NETFILTER, subsystem ctnetlink) with libmnl.
 *
 * Why: masquerade picks the source address when a flow's first packet
 * leaves, and the conntrack entry keeps that choice for the flow's life.
 * The kernel forgets such entries when the address goes or the link goes
 * down, but not when only the routes change: a UDP flow (VoIP, a game,
 * QUIC) that keeps sending would leave through the new uplink with the
 * old uplink's address for as long as it lives. Deleting the entry makes
 * the next packet a new flow, masqueraded afresh to the new uplink.
 *
 * conntrack.c is pure (message building, parsing, the staleness rule);
 * conntrack_io.c talks to the kernel. */
#ifndef DEFNET_CONNTRACK_H
#define DEFNET_CONNTRACK_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <linux/netlink.h>

#include "nat_ruleset.h"

/* Room each built message needs: header, nfgenmsg, a tuple, id, zone. */
#define CONNTRACK_MSG_MAX 256
/* At most this many entries are deleted per sweep; the rest stay until
 * the next one (a host with more guest flows than this is unusual). */
#define CONNTRACK_MAX_STALE 65536
#define CONNTRACK_RECV_TIMEOUT_MS 2000

/* One direction of a flow. Ports in host order. */
struct conntrack_tuple {
	uint32_t src, dst;       /* IPv4 entries: host order */
	uint8_t src6[16], dst6[16];  /* IPv6 entries: network order */
	uint8_t proto;
	bool has_ports;          /* TCP, UDP, SCTP, DCCP, GRE keys */
	uint16_t sport, dport;
	bool has_icmp;           /* ICMP echo and friends */
	uint16_t icmp_id;
	uint8_t icmp_type, icmp_code;
};

struct conntrack_entry {
	uint8_t family;          /* AF_INET or AF_INET6 */
	struct conntrack_tuple orig, reply;
	uint32_t status;         /* IPS_* */
	bool has_id;
	uint32_t id;             /* the kernel's id: a delete hits this entry only */
	bool has_zone;
	uint16_t zone;
};

/* Builds a dump request (IPCTNL_MSG_CT_GET, NLM_F_DUMP) for the entries
 * of family (AF_INET or AF_INET6) in buf. Returns the message, or NULL
 * when size < CONNTRACK_MSG_MAX. */
struct nlmsghdr *conntrack_build_dump(void *buf, size_t size, uint32_t seq, uint8_t family);

/* Appends t, with addresses of family, as the nested attribute type
 * (CTA_TUPLE_ORIG or _REPLY), as the kernel encodes it. */
void conntrack_put_tuple(struct nlmsghdr *nlh, uint16_t type, uint8_t family,
			 const struct conntrack_tuple *t);

/* Builds a delete (IPCTNL_MSG_CT_DELETE, with an ACK asked) of e by its
 * original tuple, id and zone. Returns the message, or NULL when
 * size < CONNTRACK_MSG_MAX. */
struct nlmsghdr *conntrack_build_delete(void *buf, size_t size, uint32_t seq,
					const struct conntrack_entry *e);

/* Parses one IPCTNL_MSG_CT_NEW message (a dump's entry): buf holds the
 * whole netlink message, len its length. Returns 0; -ENOENT for a message
 * that is not an IPv4 or IPv6 entry; -EINVAL when it is malformed, lacks
 * a tuple or holds addresses of the other family. */
int conntrack_parse(const void *buf, size_t len, struct conntrack_entry *e);

/* What a sweep looks at: the guests' flows of one family, and the
 * addresses they may stay masqueraded to (the output interface's). */
struct conntrack_scope {
	uint8_t family;                         /* AF_INET or AF_INET6 */
	const struct nat_subnet *subnets;       /* AF_INET */
	size_t n_subnets;
	const uint32_t *keep;                   /* host order */
	size_t n_keep;
	const struct nat_prefix6 *prefixes;     /* AF_INET6 */
	size_t n_prefixes;
	const uint8_t (*keep6)[16];
	size_t n_keep6;
};

/* The rule: e is a guest's flow of the scope's family (original source in
 * one of its subnets or prefixes), masqueraded (source NAT to an address
 * other than its own), to an address the scope does not keep. */
bool conntrack_is_stale(const struct conntrack_entry *e, const struct conntrack_scope *s);

struct conntrack_sweep {
	unsigned seen;     /* entries of the family dumped */
	unsigned stale;    /* of which stale */
	unsigned kept;     /* of which keep_fn kept */
	unsigned deleted;  /* of which deleted (gone already counts) */
};

/* Asked about each stale entry before it goes: true keeps it (its own
 * destination is still routed out of the interface it was masqueraded
 * to, as with a VPN that carries only some destinations). */
typedef bool (*conntrack_keep_fn)(void *ctx, const struct conntrack_entry *e);

/* Dumps the conntrack table of the scope's family and deletes each stale
 * entry that keep_fn (may be NULL) does not keep. Needs CAP_NET_ADMIN.
 * Blocks at most CONNTRACK_RECV_TIMEOUT_MS per read. Returns 0 or -errno;
 * *sw says what was done, even on error. */
int conntrack_flush_stale(const struct conntrack_scope *scope,
			  conntrack_keep_fn keep_fn, void *ctx,
			  struct conntrack_sweep *sw);

#endif
