/* Leases per bridge port (port_leases.h). */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "port_leases.h"

int port_leases_reset(struct port_leases *pl, uint32_t size)
{
	uint8_t *tag = calloc(size ? size : 1, 1);

	if (!tag)
		return -ENOMEM;
	free(pl->tag);
	memset(pl, 0, sizeof(*pl));
	pl->tag = tag;
	pl->size = size;
	return 0;
}

void port_leases_free(struct port_leases *pl)
{
	free(pl->tag);
	memset(pl, 0, sizeof(*pl));
}

static struct port_leases_port *port_leases_find(const struct port_leases *pl, unsigned ifindex)
{
	for (size_t i = 0; i < PORT_LEASES_PORTS; i++)
		if (pl->port[i].ifindex == ifindex && pl->port[i].leases)
			return (struct port_leases_port *)&pl->port[i];
	return NULL;
}

/* The tag for ifindex: its entry, or a free one; 0 when the table is full. */
static uint8_t port_leases_tag(struct port_leases *pl, unsigned ifindex)
{
	struct port_leases_port *p = port_leases_find(pl, ifindex);

	for (size_t i = 0; !p && i < PORT_LEASES_PORTS; i++)
		if (!pl->port[i].leases)
			p = &pl->port[i];
	if (!p)
		return 0;
	p->ifindex = ifindex;
	return (uint8_t)(p - pl->port + 1);
}

void port_leases_set(struct port_leases *pl, uint32_t idx, unsigned ifindex)
{
	uint8_t *t;

	if (idx >= pl->size)
		return;
	t = &pl->tag[idx];
	if (*t)
		pl->port[*t - 1].leases--;
	*t = ifindex ? port_leases_tag(pl, ifindex) : 0;
	if (*t)
		pl->port[*t - 1].leases++;
}

unsigned port_leases_port_of(const struct port_leases *pl, uint32_t idx)
{
	if (idx >= pl->size || !pl->tag[idx])
		return 0;
	return pl->port[pl->tag[idx] - 1].ifindex;
}

uint32_t port_leases_count(const struct port_leases *pl, unsigned ifindex)
{
	const struct port_leases_port *p = ifindex ? port_leases_find(pl, ifindex) : NULL;

	return p ? p->leases : 0;
}
