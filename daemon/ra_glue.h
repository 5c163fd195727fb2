/* ra_glue.c: router advertisements while the bridge has an IPv6 prefix.
 * follow re-reads the host's IPv6 route out (the router lifetime is
 * non-zero only while there is one) and the bridge's MTU, and takes a new
 * prefix; a change is advertised at once. Not essential: a failure is
 * logged and guests go without IPv6 routing. */
#ifndef DEFNET_RA_GLUE_H
#define DEFNET_RA_GLUE_H

#include <stdio.h>

struct daemon;
struct json;

void ra_glue_start(struct daemon *d);
void ra_glue_follow(struct daemon *d);
void ra_glue_stop(struct daemon *d);
/* The IPv6 gateway's address appeared or moved to a new MAC: an
 * unsolicited neighbor advertisement (ra_service_announce()). */
void ra_glue_announce(struct daemon *d);

/* status: "ipv6" {"prefix","prefix_mode","gateway","uplink" (null or
 * {"ifname","address"}),"router_lifetime","ra" {"sent","solicits","dropped"},"dhcp6" (dhcp6_glue.h)},
 * null with IPv6=no; and the text form. */
void ra_glue_status_json(const struct daemon *d, struct json *j);
void ra_glue_status_text(const struct daemon *d, FILE *out);

#endif
