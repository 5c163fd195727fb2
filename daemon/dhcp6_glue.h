/* dhcp6_glue.c: stateless DHCPv6 while the bridge has an IPv6 prefix (the
 * DNS server it gives is the gateway's IPv6 address, the domain list the
 * configuration's Domain=). Not essential: a failure is logged, and guests
 * still have RDNSS and IPv4. */
#ifndef DEFNET_DHCP6_GLUE_H
#define DEFNET_DHCP6_GLUE_H

struct daemon;
struct json;

void dhcp6_glue_start(struct daemon *d);
/* A new prefix (renumbering) or configuration (Domain=). */
void dhcp6_glue_reload(struct daemon *d);
void dhcp6_glue_stop(struct daemon *d);
/* status: "dhcp6" {"replies","ignored"}, null when off. */
void dhcp6_glue_status_json(const struct daemon *d, struct json *j);

#endif
