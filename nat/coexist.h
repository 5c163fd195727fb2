/* Coexistence with the host's firewalls. Every base chain of every table
 * sees a packet: an accept in our table does not override a drop elsewhere.
 * The common killers of guest traffic:
 *   - iptables' filter FORWARD policy of drop (Docker sets it), which
 *     iptables-nft shows as table ip filter, chain FORWARD;
 *   - firewalld (table inet firewalld) and ufw (ip filter chains ufw-*),
 *     which reject forwarded traffic and DHCP/DNS from unknown interfaces;
 *   - a hand-written nftables table whose forward or input base chain drops
 *     by policy, or has a rule that drops what names the bridge;
 *   - iptables-legacy tables, which nftables cannot see at all.
 * With IPv6 on, the same for the IPv6 side (ip6tables-nft's table ip6
 * filter, ip6 tables, ip6tables-legacy): a drop there is as fatal to the
 * guests' IPv6 as the IPv4 one is to the rest.
 * Each is reported in the log and in `defnetctl status` with the exact
 * command that fixes it. A table that mentions the bridge in a rule that
 * does not drop is taken as already fixed.
 *
 * [NAT] DockerCompat=yes adds two rules to iptables-nft's DOCKER-USER
 * chain (table ip filter), the one place Docker leaves to the admin:
 *   -i BRIDGE -j ACCEPT
 *   -o BRIDGE -m conntrack --ctstate RELATED,ESTABLISHED -j ACCEPT
 * encoded as iptables-nft encodes them, so iptables keeps reading the
 * chain. They are re-added whenever the chain appears again (Docker
 * restarted after defnetd). No other table is ever written. */
#ifndef DEFNET_COEXIST_H
#define DEFNET_COEXIST_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "log_sink.h"

#define COEXIST_NAME_SIZE 64
#define COEXIST_TEXT_SIZE 512
#define COEXIST_MAX_PROBLEMS 8
#define COEXIST_MAX_CHAINS 1024
#define COEXIST_LEGACY_NAMES "/proc/net/ip_tables_names"
#define COEXIST_LEGACY6_NAMES "/proc/net/ip6_tables_names"

/* A chain of someone else's table, as the scan saw it. */
struct coexist_chain {
	uint8_t family;          /* NFPROTO_* */
	char table[COEXIST_NAME_SIZE];
	char name[COEXIST_NAME_SIZE];
	bool base;               /* has a hook */
	uint32_t hook;           /* NF_INET_* */
	uint32_t policy;         /* NF_ACCEPT, NF_DROP */
	bool mentions_bridge;    /* one of its rules compares a name to the bridge */
	/* One of those rules drops or rejects: its handle, to delete it. */
	bool drops_bridge;
	uint64_t drop_handle;
};

/* Everything the scan saw. */
struct coexist_view {
	struct coexist_chain *chains;
	size_t n_chains;
	bool legacy_filter;      /* iptables-legacy's filter table is loaded */
	bool legacy_filter6;     /* ip6tables-legacy's */
};

enum coexist_kind {
	COEXIST_IPTABLES_FORWARD,   /* ip (or ip6) filter FORWARD policy drop (iptables-nft) */
	COEXIST_DOCKER,             /* the same, with Docker's DOCKER-USER chain */
	COEXIST_FIREWALLD,
	COEXIST_UFW,
	COEXIST_NFT_DROP,           /* another table's forward/input chain drops */
	COEXIST_LEGACY              /* iptables-legacy: unseen, maybe dropping */
};

struct coexist_problem {
	enum coexist_kind kind;
	char what[COEXIST_TEXT_SIZE];
	char fix[COEXIST_TEXT_SIZE];
};

struct coexist_report {
	struct coexist_problem v[COEXIST_MAX_PROBLEMS];
	size_t n;
	bool docker_user;        /* ip filter DOCKER-USER exists */
	bool docker_rules;       /* and holds our two rules */
};

/* Pure: the kind's short name ("iptables", "docker", "nftables"...), as
 * status and doctor show it. */
const char *coexist_kind_name(enum coexist_kind k);

struct coexist_opts;

/* Pure: what in view kills guest traffic for o->bridge. o->docker_compat
 * says whether DockerCompat=yes (then a Docker FORWARD drop is fixed once
 * our rules are in DOCKER-USER); o->ipv6 whether the IPv6 side counts. */
void coexist_analyze(const struct coexist_view *view, const struct coexist_opts *o,
		     struct coexist_report *rep);

/* The kernel's side: reads every chain and rule (NFT_MSG_GETCHAIN and
 * NFT_MSG_GETRULE dumps, libnftnl) and the legacy tables' names. The
 * daemon's own table is left out. view->chains is allocated; free it with
 * coexist_view_free(). Returns 0 or -errno. */
int coexist_scan(const char *bridge, struct coexist_view *view);
void coexist_view_free(struct coexist_view *view);

/* Adds the two DockerCompat rules to ip filter DOCKER-USER, in one batch,
 * unless they are there. -ENOENT when the chain does not exist; a failed
 * batch is also logged to log. */
int coexist_docker_add(const char *bridge, const struct log_sink *log);

/* Deletes from ip filter DOCKER-USER exactly the rules that
 * coexist_docker_add() adds (every expression alike), in one batch, and
 * nothing else. Returns how many it deleted (0: none there, or no such
 * chain), or -errno with err saying what failed. */
int coexist_docker_remove(const char *bridge, char *err, size_t errlen);

/* The caller's state: the last report, to log only what changes. */
struct coexist {
	struct coexist_report rep;
	bool scanned;
};

/* What coexist_check() works for: the bridge, DockerCompat=, whether
 * guests have IPv6, and where its lines go. */
struct coexist_opts {
	const char *bridge;
	bool docker_compat;
	bool ipv6;
	struct log_sink log;
};

/* Scans, adds the DockerCompat rules when asked and missing, and logs
 * each problem that appeared or went away. */
void coexist_check(struct coexist *c, const struct coexist_opts *o);

#endif
