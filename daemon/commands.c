/* The control socket's commands: each takes the request's words and writes
 * its output, text or JSON, for defnetctl to print as it is. */
#include <errno.h>
#include <stdbool.h>
#include <string.h>
#include <unistd.h>

#include "bridge.h"
#include "daemon.h"
#include "defnet_config.h"
#include "json.h"
#include "routes.h"

/* Where guests' traffic would leave now: the route to an address outside
 * every private range. The NAT issue refines this with the guests' own
 * source address and policy routing. */
#define UPLINK_PROBE_ADDR 0xc0000201u  /* 192.0.2.1, RFC 5737 */

struct status {
	char mac[MAC_STRLEN], subnet[IP4_PREFIX_STRLEN], gateway[IP4_STRLEN];
	bool have_uplink;
	char uplink_if[IF_NAMESIZE], uplink_gw[IP4_STRLEN];
	unsigned ports;
	uint64_t uptime;
};

static void status_collect(struct daemon *d, struct status *s)
{
	uint32_t gw = 0;

	mac_format(d->mac, s->mac);
	ip4_prefix_format(d->subnet, s->subnet);
	ip4_format(d->gateway, s->gateway);
	s->have_uplink = route_lookup(&d->nl, UPLINK_PROBE_ADDR, s->uplink_if, &gw) == 0;
	if (gw)
		ip4_format(gw, s->uplink_gw);
	else
		s->uplink_gw[0] = '\0';
	if (bridge_port_count(&d->nl, d->ifindex, &s->ports) < 0)
		s->ports = 0;
	s->uptime = (daemon_now_ms() - d->started_ms) / 1000;
}

static void status_json(struct daemon *d, const struct status *s, FILE *out)
{
	struct json j;

	json_init(&j, out);
	json_object_begin(&j);
	json_key(&j, "version");
	json_string(&j, DEFNET_VERSION);
	json_key(&j, "pid");
	json_uint(&j, (uint64_t)getpid());
	json_key(&j, "bridge");
	json_string(&j, d->cfg.bridge);
	json_key(&j, "ifindex");
	json_uint(&j, d->ifindex);
	json_key(&j, "mac");
	json_string(&j, s->mac);
	json_key(&j, "subnet");
	json_string(&j, s->subnet);
	json_key(&j, "subnet_mode");
	json_string(&j, d->cfg.subnet_auto ? "auto" : "fixed");
	json_key(&j, "gateway");
	json_string(&j, s->gateway);
	json_key(&j, "uplink");
	if (s->have_uplink) {
		json_object_begin(&j);
		json_key(&j, "interface");
		json_string(&j, s->uplink_if);
		json_key(&j, "gateway");
		if (s->uplink_gw[0])
			json_string(&j, s->uplink_gw);
		else
			json_null(&j);
		json_object_end(&j);
	} else {
		json_null(&j);
	}
	json_key(&j, "ports");
	json_uint(&j, s->ports);
	json_key(&j, "leases");
	json_uint(&j, 0);
	json_key(&j, "reservations");
	json_uint(&j, d->cfg.n_reservations);
	json_key(&j, "uptime");
	json_uint(&j, s->uptime);
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
	if (!s->have_uplink)
		fprintf(out, "uplink:       none (no route out)\n");
	else if (s->uplink_gw[0])
		fprintf(out, "uplink:       %s via %s\n", s->uplink_if, s->uplink_gw);
	else
		fprintf(out, "uplink:       %s\n", s->uplink_if);
	fprintf(out, "leases:       0\n");
	fprintf(out, "reservations: %zu\n", d->cfg.n_reservations);
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
