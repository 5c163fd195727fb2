/* uplink6.c: the guests' IPv6 way out (d->uplink6), looked up again on
 * every host event: the router advertisements follow it (ra_glue.c), and
 * when it moves, guest flows masqueraded to an address it no longer has
 * start over (conntrack.h says why), as uplink.c does for IPv4. */
#ifndef DEFNET_UPLINK6_H
#define DEFNET_UPLINK6_H

struct daemon;

/* Looks the route out up for a guest's source in the prefix; logs and
 * sweeps when it changed. Nothing with IPv6=no. */
void uplink6_evaluate(struct daemon *d);

#endif
