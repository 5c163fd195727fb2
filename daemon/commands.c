/* The control socket's commands: each takes the request's words and writes
 * its output, text or JSON, for defnetctl to print as it is. */
#include <arpa/inet.h>
#include <errno.h>
#include <stdbool.h>
#include <string.h>
#include <unistd.h>

#include "boot_clock.h"
#include "bridge.h"
#include "daemon.h"
#include "defnet_config.h"
#include "dhcp_glue.h"
#include "dhcp_service.h"
#include "dns_service.h"
#include "forward_glue.h"
#include "doctor.h"
#include "ra_glue.h"
#include "json.h"
#include "mdns_resolved.h"
#include "mdns_service.h"
#include "nat_counters.h"
#include "routes.h"
#include "uplink.h"

struct status {
	char mac[MAC_STRLEN], subnet[IP4_PREFIX_STRLEN], gateway[IP4_STRLEN];
	unsigned ports;
	uint64_t uptime;
};

static void status_collect(struct daemon *d, struct status *s)
{
	mac_format(d->mac, s->mac);
	ip4_prefix_format(d->subnet.subnet, s->subnet);
	ip4_format(d->subnet.gateway, s->gateway);
	if (bridge_port_count(&d->nl, d->ifindex, &s->ports) < 0)
		s->ports = 0;
	s->uptime = (boot_clock_ms() - d->started_ms) / 1000;
}

static void status_json_dns(struct daemon *d, struct json *j)
{
	struct dns_counters c = { 0 };

	json_key(j, "dns");
	if (!d->dns) {
		json_null(j);
		return;
	}
	dns_service_counters(d->dns, &c);
	json_object_begin(j);
	json_key(j, "upstreams");
	json_array_begin(j);
	for (size_t i = 0; i < c.n_upstreams; i++) {
		char a[INET6_ADDRSTRLEN];

		json_string(j, inet_ntop(c.upstreams[i].family, c.upstreams[i].addr, a, sizeof(a)));
	}
	json_array_end(j);
	json_field_uint(j, "queries", c.queries);
	json_field_uint(j, "udp", c.udp);
	json_field_uint(j, "udp_coalesced", c.udp_coalesced);
	json_field_uint(j, "tcp", c.tcp);
	json_field_uint(j, "local", c.local);
	json_field_uint(j, "cache_hits", c.cache_hits);
	json_field_uint(j, "cache_misses", c.cache_misses);
	json_field_uint(j, "forwarded", c.forwarded);
	json_field_uint(j, "upstream_failures", c.upstream_failures);
	json_field_uint(j, "servfail", c.servfail);
	json_field_uint(j, "formerr", c.formerr);
	json_field_uint(j, "dropped", c.dropped);
	json_field_uint(j, "truncated", c.truncated);
	json_field_uint(j, "mismatched", c.mismatched);
	json_field_uint(j, "upstream_changes", c.upstream_changes);
	json_field_uint(j, "pending", c.pending);
	json_field_uint(j, "tcp_open", c.tcp_open);
	json_field_uint(j, "tcp_refused_source", c.tcp_refused_source);
	json_field_uint(j, "tcp_refused_full", c.tcp_refused_full);
	json_field_uint(j, "tcp_idle_closed", c.tcp_idle_closed);
	json_field_uint(j, "tcp_deadline_closed", c.tcp_deadline_closed);
	json_field_uint(j, "pending_refused_source", c.pending_refused_source);
	json_field_uint(j, "udp_refused_share", c.udp_refused_share);
	json_field_uint(j, "cache_entries", c.cache_entries);
	json_field_uint(j, "cache_bytes", c.cache_bytes);
	json_field_uint(j, "names", name_table_count(d->names));
	json_object_end(j);
}

/* mDNS: the responder's counters, and whether the host's resolver can use
 * it (systemd-resolved's MulticastDNS=, read from its files). */
struct status_mdns {
	struct mdns_counters c;
	uint64_t answered;
	struct mdns_resolved_state resolved;
	char hint_buf[512];
	const char *hint;
};

static void status_mdns_collect(struct daemon *d, struct status_mdns *m)
{
	memset(m, 0, sizeof(*m));
	if (d->mdns)
		mdns_service_counters(d->mdns, &m->c);
	for (int o = MDNS_ANSWER_MULTICAST; o <= MDNS_ANSWER_LEGACY; o++)
		m->answered += m->c.outcome[o];
	mdns_resolved_read("", d->ifindex, &m->resolved);
	m->hint = mdns_resolved_hint(&m->resolved, d->cfg.bridge, m->hint_buf,
				     sizeof(m->hint_buf));
}

static void status_json_mdns(struct daemon *d, struct json *j)
{
	struct status_mdns m;

	status_mdns_collect(d, &m);
	json_key(j, "mdns");
	json_object_begin(j);
	json_field_bool(j, "enabled", d->cfg.mdns_enable);
	json_field_bool(j, "running", d->mdns != NULL);
	json_field_uint(j, "names", m.c.names);
	json_field_uint(j, "silenced", m.c.silenced);
	json_field_uint(j, "answered", m.answered);
	json_field_uint(j, "unsolicited", m.c.unsolicited);
	json_field_uint(j, "goodbyes", m.c.goodbyes);
	json_field_uint(j, "host_copies", m.c.host_copies);
	json_key(j, "packets");
	json_object_begin(j);
	for (int o = 0; o < MDNS_OUTCOME_COUNT; o++) {
		json_key(j, mdns_outcome_name((enum mdns_outcome)o));
		json_uint(j, m.c.outcome[o]);
	}
	json_object_end(j);
	json_field_bool(j, "resolved_running", m.resolved.running);
	json_field_string(j, "resolved_multicast_dns", mdns_resolved_mode_name(m.resolved.global));
	json_key(j, "resolved_link_mdns");
	if (m.resolved.link == MDNS_RESOLVED_UNSET)
		json_null(j);
	else
		json_string(j, mdns_resolved_mode_name(m.resolved.link));
	json_key(j, "hint");
	if (m.hint)
		json_string(j, m.hint);
	else
		json_null(j);
	json_object_end(j);
}

static void status_text_mdns(struct daemon *d, FILE *out)
{
	struct status_mdns m;

	status_mdns_collect(d, &m);
	if (d->mdns)
		fprintf(out, "mdns:         on, %zu name%s (%zu silenced), %llu answers\n", m.c.names,
			m.c.names == 1 ? "" : "s", m.c.silenced, (unsigned long long)m.answered);
	else if (d->cfg.mdns_enable)
		fprintf(out, "mdns:         not running (see the log)\n");
	else
		fprintf(out, "mdns:         off ([MDNS] Enable=no)\n");
	if (m.hint)
		fprintf(out, "mdns hint:    %s\n", m.hint);
}

/* "old_subnet" (string or null), "renumbered" (count) and "firewall"
 * (array of {"kind","problem","fix"}). */
static void status_json_host(const struct daemon *d, struct json *j)
{
	char p[IP4_PREFIX_STRLEN];

	json_key(j, "old_subnet");
	if (d->subnet.old_subnet.len)
		json_string(j, ip4_prefix_format(d->subnet.old_subnet, p));
	else
		json_null(j);
	json_field_uint(j, "renumbered", d->subnet.renumbered);
	json_key(j, "firewall");
	json_array_begin(j);
	for (size_t i = 0; i < d->coexist.rep.n; i++) {
		const struct coexist_problem *c = &d->coexist.rep.v[i];

		json_object_begin(j);
		json_field_string(j, "kind", coexist_kind_name(c->kind));
		json_field_string(j, "problem", c->what);
		json_field_string(j, "fix", c->fix);
		json_object_end(j);
	}
	json_array_end(j);
}

static void status_text_host(const struct daemon *d, FILE *out)
{
	char p[IP4_PREFIX_STRLEN], c[IP4_PREFIX_STRLEN];

	if (d->subnet.old_subnet.len)
		fprintf(out, "renumbering:  from %s (it overlapped %s), still served until its "
			"leases end\n", ip4_prefix_format(d->subnet.old_subnet, p),
			ip4_prefix_format(d->subnet.conflict, c));
	for (size_t i = 0; i < d->coexist.rep.n; i++)
		fprintf(out, "firewall:     %s\n              fix: %s\n", d->coexist.rep.v[i].what,
			d->coexist.rep.v[i].fix);
}

static size_t status_leases(const struct daemon *d)
{
	return d->dhcp ? dhcp_service_live_leases(d->dhcp) : 0;
}

/* The DHCP policy's refusals: each limit that kept a new client out. */
static void status_json_dhcp(const struct daemon *d, struct json *j)
{
	struct dhcp_server_stats st = { 0 };

	if (d->dhcp)
		dhcp_service_stats(d->dhcp, &st);
	json_key(j, "dhcp");
	json_object_begin(j);
	json_field_bool(j, "running", d->dhcp != NULL);
	json_field_uint(j, "leases_per_port", d->cfg.leases_per_port);
	json_field_uint(j, "rate_limited", st.rate_limited);
	json_field_uint(j, "port_full", st.port_full);
	json_object_end(j);
}

static size_t status_reservations(const struct daemon *d)
{
	return d->dhcp ? dhcp_service_reservations(d->dhcp) : d->cfg.n_reservations;
}

/* The guards' configuration and what their counters dropped (null: the
 * counter is not there, its guard being off or the table missing). */
static void status_json_guards(struct daemon *d, struct json *j)
{
	struct nat_guard_counts c;

	if (nat_counters_read(&c) < 0)
		memset(&c, 0, sizeof(c));
	json_key(j, "guards");
	json_object_begin(j);
	json_field_string(j, "dhcp_servers", d->cfg.guard_dhcp_servers ? "deny" : "allow");
	json_field_string(j, "router_advertisements", d->cfg.guard_router_ads ? "deny" : "allow");
	json_field_bool(j, "spoof_protection", d->cfg.guard_spoof);
	json_key(j, "dropped");
	json_object_begin(j);
	for (int g = 0; g < NAT_GUARD_COUNT; g++) {
		json_key(j, nat_guard_spec((enum nat_guard)g)->counter);
		if (c.present[g])
			json_uint(j, c.packets[g]);
		else
			json_null(j);
	}
	json_object_end(j);
	json_object_end(j);
}

static void status_text_guards(struct daemon *d, FILE *out)
{
	struct nat_guard_counts c;

	if (nat_counters_read(&c) < 0)
		memset(&c, 0, sizeof(c));
	fprintf(out, "guards:       DHCP servers %s (%llu+%llu dropped), router advertisements %s "
		"(%llu dropped), spoof protection %s (%llu dropped)\n",
		d->cfg.guard_dhcp_servers ? "deny" : "allow",
		(unsigned long long)c.packets[NAT_GUARD_DHCP4],
		(unsigned long long)c.packets[NAT_GUARD_DHCP6],
		d->cfg.guard_router_ads ? "deny" : "allow",
		(unsigned long long)c.packets[NAT_GUARD_RA], d->cfg.guard_spoof ? "on" : "off",
		(unsigned long long)c.packets[NAT_GUARD_SPOOF]);
}

static void status_json(struct daemon *d, const struct status *s, FILE *out)
{
	struct json j;

	json_init(&j, out);
	json_object_begin(&j);
	json_field_string(&j, "version", DEFNET_VERSION);
	json_field_uint(&j, "pid", (uint64_t)getpid());
	json_field_string(&j, "bridge", d->cfg.bridge);
	json_field_uint(&j, "ifindex", d->ifindex);
	json_field_string(&j, "mac", s->mac);
	json_field_string(&j, "subnet", s->subnet);
	json_field_string(&j, "subnet_mode", d->cfg.subnet_auto ? "auto" : "fixed");
	json_field_string(&j, "gateway", s->gateway);
	uplink_status_json(d->uplink, &j);
	ra_glue_status_json(d, &j);
	status_json_host(d, &j);
	json_field_uint(&j, "ports", s->ports);
	json_field_uint(&j, "leases", status_leases(d));
	json_field_uint(&j, "reservations", status_reservations(d));
	json_field_uint(&j, "uptime", s->uptime);
	status_json_dhcp(d, &j);
	status_json_dns(d, &j);
	status_json_mdns(d, &j);
	forward_glue_status_json(d, &j);
	status_json_guards(d, &j);
	json_object_end(&j);
	fputc('\n', out);
}

static void status_text(struct daemon *d, const struct status *s, FILE *out)
{
	fprintf(out, "defnetd %s, pid %d, up %llus\n", DEFNET_VERSION, (int)getpid(),
		(unsigned long long)s->uptime);
	fprintf(out, "bridge:       %s (ifindex %u, MAC %s), %u port%s\n", d->cfg.bridge,
		d->ifindex, s->mac, s->ports, s->ports == 1 ? "" : "s");
	fprintf(out, "subnet:       %s (%s)\n", s->subnet, d->cfg.subnet_auto ? "auto" : "fixed");
	fprintf(out, "gateway:      %s\n", s->gateway);
	uplink_status_text(d->uplink, out);
	ra_glue_status_text(d, out);
	status_text_host(d, out);
	fprintf(out, "leases:       %zu\n", status_leases(d));
	fprintf(out, "reservations: %zu\n", status_reservations(d));
	if (d->dns) {
		struct dns_counters c = { 0 };

		dns_service_counters(d->dns, &c);
		fprintf(out, "dns:          %llu queries, %llu cache hits, %llu upstream failures, "
			"%zu upstream%s\n", (unsigned long long)c.queries,
			(unsigned long long)c.cache_hits, (unsigned long long)c.upstream_failures,
			c.n_upstreams, c.n_upstreams == 1 ? "" : "s");
	}
	status_text_mdns(d, out);
	forward_glue_status_text(d, out);
	status_text_guards(d, out);
}

static int cmd_status(struct daemon *d, const struct control_request *req, FILE *out,
		      char *err, size_t errlen)
{
	struct status s;
	bool json = false;

	for (size_t i = 1; i < req->argc; i++) {
		if (strcmp(req->argv[i], "--json") != 0) {
			snprintf(err, errlen, "status: unknown argument '%s'", req->argv[i]);
			return -EINVAL;
		}
		json = true;
	}
	status_collect(d, &s);
	if (json)
		status_json(d, &s, out);
	else
		status_text(d, &s, out);
	return 0;
}

static int cmd_reload(struct daemon *d, const struct control_request *req, FILE *out,
		      char *err, size_t errlen)
{
	if (req->argc != 1) {
		snprintf(err, errlen, "reload takes no arguments");
		return -EINVAL;
	}
	return daemon_reload(d, err, errlen);
}

static const struct {
	const char *name;
	int (*run)(struct daemon *d, const struct control_request *req, FILE *out,
		   char *err, size_t errlen);
} commands[] = {
	{ "status", cmd_status },
	{ "reload", cmd_reload },
	{ "leases", dhcp_glue_cmd_leases },
	{ "reserve", dhcp_glue_cmd_reserve },
	{ "unreserve", dhcp_glue_cmd_unreserve },
	{ "forward", forward_glue_cmd },
	{ "doctor", doctor_cmd },
};

int daemon_command(void *ctx, const struct control_request *req, FILE *out,
		   char *err, size_t errlen)
{
	for (size_t i = 0; i < sizeof(commands) / sizeof(commands[0]); i++)
		if (strcmp(req->argv[0], commands[i].name) == 0)
			return commands[i].run(ctx, req, out, err, errlen);
	snprintf(err, errlen, "unknown command '%s'", req->argv[0]);
	return -EOPNOTSUPP;
}
