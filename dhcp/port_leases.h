/* Live dynamic leases per bridge port ([DHCP] LeasesPerPort=): which port
 * each pool address was leased from, and how many each port holds, so
 * that one port cannot take the pool. O(1) memory per pool address (one
 * byte) and a fixed table of ports; a port beyond the table is not
 * counted (never refused). Reservations are never counted: the caller
 * does not tag them. Pure. */
#ifndef DEFNET_PORT_LEASES_H
#define DEFNET_PORT_LEASES_H

#include <stdint.h>

#define PORT_LEASES_PORTS 64    /* ports counted at once */

struct port_leases_port {
	unsigned ifindex;
	uint32_t leases;
};

struct port_leases {
	uint8_t *tag;               /* per pool address: 0, or 1 + index into port */
	uint32_t size;
	struct port_leases_port port[PORT_LEASES_PORTS];
};

/* Forgets every tag, for a pool of size addresses. 0 or -ENOMEM (the old
 * tags stay). */
int port_leases_reset(struct port_leases *pl, uint32_t size);
void port_leases_free(struct port_leases *pl);

/* Pool address idx is now leased from port ifindex (0: not leased, or not
 * counted); the port it was leased from before loses it. */
void port_leases_set(struct port_leases *pl, uint32_t idx, unsigned ifindex);

/* The port idx is counted on, 0 when none. */
unsigned port_leases_port_of(const struct port_leases *pl, uint32_t idx);

/* Live leases counted on ifindex. */
uint32_t port_leases_count(const struct port_leases *pl, unsigned ifindex);

#endif
