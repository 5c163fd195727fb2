/* Whether the host's own resolver can see defnet's answers: systemd-resolved
 * resolves .local over mDNS only on links where both its global
 * MulticastDNS= and the link's setting allow it (the lower one wins). The
 * unit sets the link (`resolvectl mdns defnet0 resolve`); the global
 * setting is the administrator's, so `defnetctl status` reports it when it
 * is off, with the fix. Read from files, without D-Bus. */
#ifndef DEFNET_MDNS_RESOLVED_H
#define DEFNET_MDNS_RESOLVED_H

#include <stdbool.h>
#include <stddef.h>

#define MDNS_RESOLVED_MAX_DROPINS 64
#define MDNS_RESOLVED_FILE_MAX (64u << 10)

enum mdns_resolved_mode {
	MDNS_RESOLVED_UNSET = -1,    /* the file does not say */
	MDNS_RESOLVED_NO = 0,
	MDNS_RESOLVED_RESOLVE,
	MDNS_RESOLVED_YES,
};

struct mdns_resolved_state {
	bool running;                      /* /run/systemd/resolve exists */
	enum mdns_resolved_mode global;    /* compiled default yes (Debian 12, systemd 252) */
	enum mdns_resolved_mode link;      /* the bridge's, from resolved's link state; UNSET: unknown */
};

/* The last [Resolve] MulticastDNS= of one resolved.conf text (yes, no,
 * resolve, and the booleans 1/0, true/false, on/off). Invalid values are
 * skipped, as resolved does. Returns the mode or MDNS_RESOLVED_UNSET. */
enum mdns_resolved_mode mdns_resolved_parse(const char *buf, size_t len);

/* Reads ROOT/etc/systemd/resolved.conf and the drop-ins in the
 * resolved.conf.d directories under ROOT/etc, /run, /usr/local/lib,
 * /usr/lib and /lib (same-named files: the first directory wins; then in
 * file name order, later files override), and resolved's state for the
 * link ifindex. root is "" for the real system. */
void mdns_resolved_read(const char *root, unsigned ifindex, struct mdns_resolved_state *st);

const char *mdns_resolved_mode_name(enum mdns_resolved_mode m);

/* A line telling the administrator what to fix, or NULL when nothing
 * needs fixing (or resolved is not running). Writes into buf. */
const char *mdns_resolved_hint(const struct mdns_resolved_state *st, const char *ifname,
			       char *buf, size_t size);

#endif
