/* Self-healing: what other software undoes of defnet's own is put back.
 * The nftables table is nat_glue.c's (nat_glue_heal()); the bridge and its
 * gateway addresses are here. Each kind of repair goes through a gate that
 * rations it (heal_budget.h): a repair the budget puts off runs from a
 * timer once allowed, and a fight is reported once per interval instead of
 * being fought at full speed. */
#ifndef DEFNET_HEAL_H
#define DEFNET_HEAL_H

#include <stdbool.h>

#include <event2/event.h>

#include "heal_budget.h"

struct daemon;

struct heal_gate {
	struct heal_budget budget;
	struct event *retry;         /* a repair put off by the budget */
	const char *what;            /* "table inet defnet", for the log */
	void (*run)(struct daemon *d);  /* what the retry runs */
	struct daemon *d;
};

void heal_gate_init(struct heal_gate *g, struct daemon *d, const char *what,
		    void (*run)(struct daemon *d));
/* True: repair now. False: the budget is spent; the repair runs later
 * from a timer, and the log hears of it at most once per interval. */
bool heal_gate_allow(struct heal_gate *g);
void heal_gate_stop(struct heal_gate *g);

/* Links or addresses changed: the bridge deleted is made again (same
 * name and MAC, up, its gateway addresses, DHCP, DNS and mDNS started
 * again on it with the leases kept); a gateway address removed is added
 * back. */
void heal_bridge(struct daemon *d);

#endif
