/* The doctor's probe of the upstream DNS servers: one query to each, all
 * at once, over connected UDP sockets, waited for DOCTOR_DNS_TIMEOUT_MS at
 * most in all. It runs inside the control command, so that bound is how
 * long the event loop waits; a server that is down usually answers at
 * once with ICMP port unreachable. */
#ifndef DEFNET_DOCTOR_DNS_H
#define DEFNET_DOCTOR_DNS_H

#include <stddef.h>

#include "resolv_conf.h"

#define DOCTOR_DNS_TIMEOUT_MS 700

enum doctor_dns_outcome {
	DOCTOR_DNS_ANSWERED,
	DOCTOR_DNS_TIMEOUT,
	DOCTOR_DNS_REFUSED,      /* ICMP port unreachable: nothing listens */
	DOCTOR_DNS_ERROR         /* could not send */
};

struct doctor_dns_result {
	enum doctor_dns_outcome outcome;
	unsigned ms;             /* until the answer or the error */
	unsigned rcode;          /* of the answer */
	int err;                 /* errno, for DOCTOR_DNS_ERROR */
};

/* Probes n servers; out[i] is servers[i]'s result. */
void doctor_dns_probe(const struct dns_server_addr *servers, size_t n,
		      struct doctor_dns_result *out);

#endif
