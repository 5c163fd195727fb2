/* Port forwards: HOSTPORT on every address of the host to a guest's port.
 * Pure code: the spec parser (PROTO:HOSTPORT:GUEST[:GUESTPORT], shared by
 * the configuration, the CLI and the state file), the table of forwards,
 * the state file's format and the JSON of `forward list`. Which address a
 * guest holds now is the daemon's to say (forward_glue.c); the rules are
 * nat/'s. */
#ifndef DEFNET_FORWARD_H
#define DEFNET_FORWARD_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "json.h"

/* Each forward is two rules (nat_ruleset.h NAT_MAX_FORWARDS). */
#define FORWARD_MAX 64
#define FORWARD_GUEST_MAX 63   /* one RFC 1123 label; a MAC or an IPv4 is shorter */
/* "udp:65535:" + guest + ":65535" + NUL */
#define FORWARD_SPEC_MAX (10 + FORWARD_GUEST_MAX + 6 + 1)
#define FORWARD_STATE_MAX (FORWARD_MAX * FORWARD_SPEC_MAX + 128)

enum forward_guest_kind {
	FORWARD_GUEST_NAME,  /* the host name of its lease */
	FORWARD_GUEST_MAC,
	FORWARD_GUEST_IP     /* an address in the subnet */
};

struct forward {
	uint8_t proto;                 /* IPPROTO_TCP or IPPROTO_UDP */
	uint16_t port;                 /* on the host */
	uint16_t guest_port;
	enum forward_guest_kind kind;
	char guest[FORWARD_GUEST_MAX + 1];  /* as written; MACs in lower case */
	uint8_t mac[6];                /* FORWARD_GUEST_MAC */
	uint32_t ip;                   /* FORWARD_GUEST_IP, host order */
	bool from_config;              /* [Forward] Port=, not the CLI */
	uint32_t addr;                 /* the guest's address now, 0: no lease */
	uint8_t addr6[16];             /* its IPv6 address in the prefix; ::: none */
};

struct forward_table {
	struct forward v[FORWARD_MAX];
	size_t n;
};

/* The four words of a forward; gport may be NULL (= port). On error *why
 * says what is wrong. Returns 0 or -EINVAL. */
int forward_from_words(const char *proto, const char *port, const char *guest,
		       const char *gport, struct forward *f, const char **why);

/* PROTO:HOSTPORT:GUEST[:GUESTPORT] (s need not be NUL-terminated); a MAC
 * GUEST keeps its colons. Returns 0 or -EINVAL with *why. */
int forward_parse(const char *s, size_t n, struct forward *f, const char **why);

/* "tcp:2222:vm1:22" into buf of FORWARD_SPEC_MAX bytes. */
char *forward_format(const struct forward *f, char *buf);

const char *forward_proto_name(uint8_t proto);

/* The index of the forward of proto/port, or -1. */
int forward_table_find(const struct forward_table *t, uint8_t proto, uint16_t port);
/* -EEXIST (that HOSTPORT is forwarded) or -ENOSPC (FORWARD_MAX). */
int forward_table_add(struct forward_table *t, const struct forward *f);
void forward_table_remove(struct forward_table *t, size_t idx);

/* The state file: the CLI's forwards, one spec a line, '#' comments. format
 * returns the length, or -ENOSPC. parse adds the lines' forwards to t,
 * skipping (and counting in *bad) lines that are not a forward or repeat a
 * HOSTPORT; returns 0. */
int forward_state_format(const struct forward_table *t, char *buf, size_t size);
int forward_state_parse(const char *buf, size_t len, struct forward_table *t, size_t *bad);

/* Whether the forward has an IPv6 target. */
bool forward_has_addr6(const struct forward *f);

/* {"proto","port","guest","guest_port","address","address6"}; each
 * address null while there is none. */
void forward_json(struct json *j, const struct forward *f);

#endif
