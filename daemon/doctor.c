/* The doctor's checks against the live system: see doctor.h. */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/neighbour.h>
#include <linux/rtnetlink.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <libmnl/libmnl.h>

#include "boot_clock.h"
#include "bridge.h"
#include "coexist.h"
#include "daemon.h"
#include "dhcp_glue.h"
#include "dhcp_service.h"
#include "dns_service.h"
#include "doctor.h"
#include "doctor_dns.h"
#include "doctor_trace.h"
#include "doctor_report.h"
#include "lease_record.h"
#include "mdns_resolved.h"
#include "uplink.h"

/* ------------------------------------------------------------ the bridge */

static bool doctor_has_addr(struct daemon *d, uint32_t addr, uint8_t len)
{
	struct uplink_addr a[UPLINK_MAX_ADDRS];
	size_t n;

	if (uplink_if_addrs(&d->nl, d->ifindex, a, UPLINK_MAX_ADDRS, &n) < 0)
		return false;
	for (size_t i = 0; i < n; i++)
		if (a[i].addr == addr && a[i].len == len)
			return true;
	return false;
}

static void doctor_bridge(struct daemon *d, struct doctor_report *r)
{
	const char *br = d->cfg.bridge;
	char gw[IP4_STRLEN], fix[DOCTOR_TEXT_SIZE];
	unsigned ifindex, ports = 0;
	bool up;
	int e = bridge_find(&d->nl, br, &ifindex, &up);

	ip4_format(d->subnet.gateway, gw);
	if (e < 0) {
		doctor_add(r, "bridge", false, "systemctl restart defnet", "%s: %s", br,
			   e == -ENODEV ? "missing" : e == -EEXIST ? "not a bridge" : strerror(-e));
		return;
	}
	if (!up) {
		snprintf(fix, sizeof(fix), "ip link set %s up", br);
		doctor_add(r, "bridge", false, fix, "%s is down", br);
		return;
	}
	if (ifindex != d->ifindex || !doctor_has_addr(d, d->subnet.gateway, d->subnet.subnet.len)) {
		snprintf(fix, sizeof(fix), "ip addr add %s/%u dev %s", gw, d->subnet.subnet.len, br);
		doctor_add(r, "bridge", false, fix, "%s is up but lacks the gateway address %s/%u",
			   br, gw, d->subnet.subnet.len);
		return;
	}
	(void)bridge_port_count(&d->nl, ifindex, &ports);
	doctor_add(r, "bridge", true, NULL, "%s up with %s/%u, %u port%s", br, gw,
		   d->subnet.subnet.len, ports, ports == 1 ? "" : "s");
}

/* ------------------------------------------------------------ the host */

/* The first byte of a small file: '1' for an enabled sysctl. */
static int doctor_read_char(const char *path)
{
	char c;
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	ssize_t n;

	if (fd < 0)
		return -errno;
	n = read(fd, &c, 1);
	close(fd);
	return n == 1 ? c : -EIO;
}

static void doctor_forwarding(struct doctor_report *r)
{
	int c = doctor_read_char(DOCTOR_IP_FORWARD);

	if (c == '1')
		doctor_add(r, "forwarding", true, NULL, "IPv4 forwarding is on");
	else
		doctor_add(r, "forwarding", false, "sysctl -w net.ipv4.ip_forward=1",
			   "IPv4 forwarding is off (%s): guests cannot reach beyond the host",
			   DOCTOR_IP_FORWARD);
}

static void doctor_nat(struct daemon *d, struct doctor_report *r)
{
	uint64_t fp;
	int e = d->nat.sock ? nat_conn_fingerprint(&d->nat, &fp) : -ENOTCONN;

	if (e == 0 && d->nat_heal.fp_known && fp == d->nat_heal.fp)
		doctor_add(r, "nat", true, NULL, "table inet defnet in place (%s)",
			   d->cfg.masquerade ? "masquerade" : "routed");
	else if (e == 0)
		doctor_add(r, "nat", false, "systemctl restart defnet", "table inet defnet was "
			   "changed by another program since defnetd applied it");
	else
		doctor_add(r, "nat", false, "systemctl restart defnet", "table inet defnet: %s",
			   e == -ENOENT ? "missing" : strerror(-e));
}

static void doctor_uplink(struct daemon *d, struct doctor_report *r)
{
	const struct uplink_info *u = d->uplink ? &d->uplink->cur : NULL;
	char gw[IP4_STRLEN], masq[IP4_STRLEN];

	if (!u || !u->present) {
		doctor_add(r, "uplink", false, "ip route add default via GATEWAY dev INTERFACE",
			   "no route to the internet: guests cannot reach beyond the host");
		return;
	}
	doctor_add(r, "uplink", true, NULL, "%s via %s, guests leave as %s", u->ifname,
		   u->gateway ? ip4_format(u->gateway, gw) : "on-link",
		   u->masq ? ip4_format(u->masq, masq) : "the route's address");
}

/* IPv6: only with a prefix. Without a way out guests still have IPv6 on
 * the link, and the router lifetime 0 tells them not to route by us: a
 * report, not a failure, unless forwarding is what is missing. */
static void doctor_uplink6(struct daemon *d, struct doctor_report *r)
{
	const struct uplink6 *u = &d->uplink6;
	char a[IP6_STRLEN];

	if (!d->subnet.prefix6.len)
		return;
	if (u->present)
		doctor_add(r, "uplink6", true, NULL, "%s, guests leave as %s", u->ifname,
			   ip6_format(u->addr, a));
	else if (u->no_forwarding)
		doctor_add(r, "uplink6", false, "sysctl -w net.ipv6.conf.all.forwarding=1 (or "
			   "systemctl restart defnetd, whose unit turns it on)", "IPv6 forwarding "
			   "is off: guests get no IPv6 route out");
	else
		doctor_add(r, "uplink6", true, NULL, "none: the host has no IPv6 route out, so "
			   "guests get IPv6 on the bridge only");
}

static void doctor_docker(const struct coexist_report *rep, struct doctor_report *r)
{
	for (size_t i = 0; i < rep->n; i++)
		if (rep->v[i].kind == COEXIST_DOCKER)
			return;  /* reported with the firewalls */
	if (!rep->docker_user)
		doctor_add(r, "docker", true, NULL, "no Docker chains (ip filter DOCKER-USER)");
	else
		doctor_add(r, "docker", true, NULL, "Docker present; %s",
			   rep->docker_rules ? "DOCKER-USER lets the guests through" :
			   "its FORWARD policy does not drop");
}

/* Other tables and chains that drop the guests' traffic, named. */
static void doctor_firewall(struct daemon *d, struct doctor_report *r)
{
	struct coexist_view view;
	struct coexist_report rep;
	int e = coexist_scan(d->cfg.bridge, &view);

	if (e < 0) {
		doctor_add(r, "firewall", false, NULL, "cannot read the nftables ruleset: %s",
			   strerror(-e));
		return;
	}
	coexist_analyze(&view, &(struct coexist_opts){ .bridge = d->cfg.bridge,
						       .docker_compat = d->cfg.docker_compat,
						       .ipv6 = d->subnet.prefix6.len != 0 },
			&rep);
	coexist_view_free(&view);
	for (size_t i = 0; i < rep.n; i++) {
		char name[DOCTOR_NAME_SIZE];

		snprintf(name, sizeof(name), "firewall %s", coexist_kind_name(rep.v[i].kind));
		doctor_add(r, name, false, rep.v[i].fix, "%s", rep.v[i].what);
	}
	if (rep.n == 0)
		doctor_add(r, "firewall", true, NULL, "no other table or chain drops the guests' "
			   "traffic");
	doctor_docker(&rep, r);
}

/* NetworkManager's state file for the bridge says whether it manages it. */
static void doctor_nm(struct daemon *d, struct doctor_report *r)
{
	char path[128], buf[1024], fix[DOCTOR_TEXT_SIZE];
	struct stat st;
	ssize_t n = -1;
	int fd;

	if (stat(DOCTOR_NM_DIR, &st) < 0) {
		doctor_add(r, "networkmanager", true, NULL, "NetworkManager is not running");
		return;
	}
	snprintf(path, sizeof(path), DOCTOR_NM_DIR "/devices/%u", d->ifindex);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd >= 0) {
		n = read(fd, buf, sizeof(buf) - 1);
		close(fd);
	}
	buf[n > 0 ? n : 0] = '\0';
	if (!strstr(buf, "managed=true")) {
		doctor_add(r, "networkmanager", true, NULL, "NetworkManager does not manage %s",
			   d->cfg.bridge);
		return;
	}
	snprintf(fix, sizeof(fix), "nmcli device set %s managed no", d->cfg.bridge);
	doctor_add(r, "networkmanager", false, fix, "NetworkManager manages %s and may take "
		   "its address away", d->cfg.bridge);
}

static void doctor_dns_one(const struct dns_server_addr *s, const struct doctor_dns_result *res,
			   struct doctor_report *r)
{
	char a[INET6_ADDRSTRLEN], name[DOCTOR_NAME_SIZE];

	inet_ntop(s->family, s->addr, a, sizeof(a));
	snprintf(name, sizeof(name), "dns %s", a);
	switch (res->outcome) {
	case DOCTOR_DNS_ANSWERED:
		doctor_add(r, name, true, NULL, "answered in %u ms (rcode %u)", res->ms, res->rcode);
		break;
	case DOCTOR_DNS_REFUSED:
		doctor_add(r, name, false, "start the DNS server there, or set Upstream= in [DNS]",
			   "refused after %u ms: nothing listens on its DNS port", res->ms);
		break;
	case DOCTOR_DNS_TIMEOUT:
		doctor_add(r, name, false, "check that the server is up and reachable, or set "
			   "Upstream= in [DNS]", "no answer within %u ms", res->ms);
		break;
	case DOCTOR_DNS_ERROR:
		doctor_add(r, name, false, NULL, "cannot send a query: %s", strerror(res->err));
		break;
	}
}

static void doctor_dns(struct daemon *d, struct doctor_report *r)
{
	struct doctor_dns_result res[RESOLV_CONF_MAX_SERVERS];
	struct dns_counters c = { 0 };

	if (!d->dns) {
		doctor_add(r, "dns query", false, "systemctl restart defnet", "the DNS server is not running");
		return;
	}
	dns_service_counters(d->dns, &c);
	if (c.n_upstreams == 0) {
		doctor_add(r, "dns query", false, "add a nameserver to /etc/resolv.conf or set Upstream= "
			   "in [DNS]", "no upstream DNS server: guests resolve only local names");
		return;
	}
	doctor_dns_probe(c.upstreams, c.n_upstreams, res);
	for (size_t i = 0; i < c.n_upstreams && i < RESOLV_CONF_MAX_SERVERS; i++)
		doctor_dns_one(&c.upstreams[i], &res[i], r);
}

static void doctor_mdns(struct daemon *d, struct doctor_report *r)
{
	struct mdns_resolved_state st;
	struct stat sb;
	char hint[512];
	const char *h;
	bool avahi = stat(DOCTOR_AVAHI_SOCKET, &sb) == 0;

	mdns_resolved_read("", d->ifindex, &st);
	h = mdns_resolved_hint(&st, d->cfg.bridge, hint, sizeof(hint));
	if (h)
		doctor_add(r, "mdns", false, h, "the host's resolver does not resolve the guests' "
			   ".local names on %s", d->cfg.bridge);
	else
		doctor_add(r, "mdns", true, NULL, "responder %s; resolved %s%s",
			   d->mdns ? "on" : "off", st.running ? "running" : "not running",
			   avahi ? "; avahi-daemon running" : "");
}

/* ------------------------------------------------------------ a guest */

struct doctor_neigh {
	uint32_t ip;             /* network order */
	bool found;
	uint16_t state;          /* NUD_* */
	uint8_t mac[6];
	bool has_mac;
};

static int doctor_neigh_attr_cb(const struct nlattr *attr, void *data)
{
	const struct nlattr **tb = data;
	uint16_t type = mnl_attr_get_type(attr);

	if (type == NDA_DST || type == NDA_LLADDR)
		tb[type] = attr;
	return MNL_CB_OK;
}

static int doctor_neigh_cb(const struct nlmsghdr *nlh, void *data)
{
	const struct nlattr *tb[NDA_MAX + 1] = { NULL };
	struct doctor_neigh *n = data;
	const struct ndmsg *ndm = mnl_nlmsg_get_payload(nlh);

	if (nlh->nlmsg_type != RTM_NEWNEIGH || mnl_nlmsg_get_payload_len(nlh) < sizeof(*ndm) ||
	    ndm->ndm_family != AF_INET ||
	    mnl_attr_parse(nlh, sizeof(*ndm), doctor_neigh_attr_cb, tb) != MNL_CB_OK ||
	    !tb[NDA_DST] || mnl_attr_get_payload_len(tb[NDA_DST]) != 4 ||
	    memcmp(mnl_attr_get_payload(tb[NDA_DST]), &n->ip, 4) != 0)
		return MNL_CB_OK;
	n->found = true;
	n->state = ndm->ndm_state;
	n->has_mac = tb[NDA_LLADDR] && mnl_attr_get_payload_len(tb[NDA_LLADDR]) == 6;
	if (n->has_mac)
		memcpy(n->mac, mnl_attr_get_payload(tb[NDA_LLADDR]), 6);
	return MNL_CB_OK;
}

static const char *doctor_nud_name(uint16_t s)
{
	static const struct { uint16_t bit; const char *name; } names[] = {
		{ NUD_PERMANENT, "permanent" }, { NUD_REACHABLE, "reachable" },
		{ NUD_STALE, "stale" }, { NUD_DELAY, "delay" }, { NUD_PROBE, "probe" },
		{ NUD_FAILED, "failed" }, { NUD_INCOMPLETE, "incomplete" }, { NUD_NOARP, "noarp" },
	};

	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++)
		if (s & names[i].bit)
			return names[i].name;
	return "none";
}

static void doctor_guest_neigh(struct daemon *d, const struct lease *l, struct doctor_report *r)
{
	struct doctor_neigh n = { .ip = htonl(l->ip) };
	struct nlmsghdr *nlh = nl_msg_start(&d->nl, RTM_GETNEIGH, NLM_F_DUMP);
	struct ndmsg *ndm = mnl_nlmsg_put_extra_header(nlh, sizeof(*ndm));
	char ip[IP4_STRLEN], mac[MAC_STRLEN];
	int e;

	ndm->ndm_family = AF_INET;
	ndm->ndm_ifindex = (int)d->ifindex;
	e = nl_query(&d->nl, nlh, doctor_neigh_cb, &n);
	ip4_format(l->ip, ip);
	if (e < 0)
		doctor_add(r, "neighbour", false, NULL, "cannot read the neighbour table: %s",
			   strerror(-e));
	else if (!n.found)
		doctor_add(r, "neighbour", true, NULL, "%s: no entry on %s (the guest has not "
			   "talked to the host lately)", ip, d->cfg.bridge);
	else if (n.state & (NUD_FAILED | NUD_INCOMPLETE))
		doctor_add(r, "neighbour", false, "check that the guest is running and its "
			   "interface is up", "%s does not answer ARP on %s (%s)", ip,
			   d->cfg.bridge, doctor_nud_name(n.state));
	else if (n.has_mac && memcmp(n.mac, l->mac, 6) != 0)
		doctor_add(r, "neighbour", false, "find the machine with that MAC: two guests "
			   "use one address", "%s is at %s, not at the lease's MAC", ip,
			   mac_format(n.mac, mac));
	else
		doctor_add(r, "neighbour", true, NULL, "%s at %s (%s)", ip,
			   n.has_mac ? mac_format(n.mac, mac) : "?", doctor_nud_name(n.state));
}

/* Its last DHCP exchange: what it asked, what it was answered, when. An
 * exchange that ended without an address is the problem to look at. */
static void doctor_guest_dhcp(struct daemon *d, const uint8_t mac[6], struct doctor_report *r)
{
	const struct dhcp_exchange *e = d->dhcp ? dhcp_service_last_exchange(d->dhcp, mac) : NULL;
	char m[MAC_STRLEN], a[IP4_STRLEN], asked[IP4_STRLEN + 8] = "", got[IP4_STRLEN + 1] = "";
	char port[IF_NAMESIZE] = "?", fix[96];
	bool ok;

	mac_format(mac, m);
	if (!e) {
		doctor_add(r, "dhcp exchange", true, NULL, "%s: no DHCP message from it since defnetd "
			   "started", m);
		return;
	}
	ok = e->outcome != DHCP_OUTCOME_IGNORE && e->outcome != DHCP_OUTCOME_NAK;
	if (e->asked_ip)
		snprintf(asked, sizeof(asked), " for %s", ip4_format(e->asked_ip, a));
	if (e->answered_ip)
		snprintf(got, sizeof(got), " %s", ip4_format(e->answered_ip, a));
	if (!if_indextoname(e->port, port))
		snprintf(port, sizeof(port), "?");
	snprintf(fix, sizeof(fix), "journalctl -u defnetd DEFNET_MAC=%s says why", m);
	doctor_add(r, "dhcp exchange", ok, ok ? NULL : fix, "%s: %s%s on port %s, answered %s%s, %llu s ago",
		   m, dhcp_history_asked_name(e->asked), asked, port,
		   dhcp_history_outcome_name(e->outcome), got,
		   (unsigned long long)((boot_clock_ms() - e->at_ms) / 1000));
}

/* Its last DNS query through the gateway. */
static void doctor_guest_dns(struct daemon *d, uint32_t ip, struct doctor_report *r)
{
	const struct dns_last_query *q = dns_service_last_query(d->dns, ip);
	char a[IP4_STRLEN], name[DNS_NAME_TEXT_MAX] = "?";

	ip4_format(ip, a);
	if (!q) {
		doctor_add(r, "dns query", true, NULL, "%s: no DNS query to the gateway seen (or "
			   "another guest's took its place)", a);
		return;
	}
	if (q->name_len && dns_name_to_text(q->name, q->name_len, name, sizeof(name)) < 0)
		snprintf(name, sizeof(name), "?");
	doctor_add(r, "dns query", q->fate != DNS_FATE_SERVFAIL && q->fate != DNS_FATE_DROPPED,
		   q->fate == DNS_FATE_SERVFAIL ? "defnetctl doctor (the upstream DNS checks)" : NULL,
		   "%s: %s (type %u), %s, %llu s ago", a, name, q->qtype,
		   dns_history_fate_name(q->fate),
		   (unsigned long long)((boot_clock_ms() - q->at_ms) / 1000));
}

static void doctor_guest(struct daemon *d, const char *guest, struct doctor_report *r)
{
	const struct lease *l = dhcp_glue_find_lease(d, guest);
	char ip[IP4_STRLEN], mac[MAC_STRLEN];
	uint64_t now = boot_clock_ms();
	uint8_t m[6];
	uint32_t a;

	if (!l) {
		doctor_add(r, "lease", false, "in the guest, ask for a lease again (dhclient, "
			   "networkctl renew, nmcli device reapply)", "%s has no lease (by host "
			   "name, MAC or address)", guest);
		/* What it did ask, when its MAC or address is given. */
		if (mac_parse(guest, strlen(guest), m) == 0)
			doctor_guest_dhcp(d, m, r);
		else if (ip4_parse(guest, strlen(guest), &a) == 0)
			doctor_guest_dns(d, a, r);
		return;
	}
	doctor_add(r, "lease", true, NULL, "%s: %s at %s, %llu s left", guest,
		   ip4_format(l->ip, ip), mac_format(l->mac, mac),
		   (unsigned long long)((l->expires_boot_ms - now) / 1000));
	doctor_guest_dhcp(d, l->mac, r);
	doctor_guest_neigh(d, l, r);
	doctor_guest_dns(d, l->ip, r);
}

/* ------------------------------------------------------------ the command */

struct doctor_args {
	const char *guest;       /* NULL: none */
	bool json;
	unsigned trace;          /* seconds; 0: no trace */
};

/* --trace takes an optional number of seconds right after it. */
static int doctor_trace_arg(const struct control_request *req, size_t *i, unsigned *secs)
{
	char *end;
	unsigned long v;

	*secs = DOCTOR_TRACE_DEFAULT_SEC;
	if (*i + 1 >= req->argc || req->argv[*i + 1][0] < '0' || req->argv[*i + 1][0] > '9')
		return 0;
	v = strtoul(req->argv[++*i], &end, 10);
	if (*end || v == 0 || v > DOCTOR_TRACE_MAX_SEC)
		return -EINVAL;
	*secs = (unsigned)v;
	return 0;
}

static int doctor_args(const struct control_request *req, struct doctor_args *a,
		       char *err, size_t errlen)
{
	*a = (struct doctor_args){ 0 };
	for (size_t i = 1; i < req->argc; i++) {
		const char *w = req->argv[i];

		if (strcmp(w, "--json") == 0)
			a->json = true;
		else if (strcmp(w, "--trace") == 0 && doctor_trace_arg(req, &i, &a->trace) == 0)
			continue;
		else if (w[0] != '-' && !a->guest)
			a->guest = w;
		else
			goto usage;
	}
	if (a->trace && !a->guest)
		goto usage;
	return 0;
usage:
	snprintf(err, errlen, "usage: doctor [GUEST] [--json] [--trace [SECONDS]] "
		 "(SECONDS 1-%d; --trace needs GUEST)", DOCTOR_TRACE_MAX_SEC);
	return -EINVAL;
}

void doctor_collect(struct daemon *d, const char *guest, struct doctor_report *r)
{
	doctor_bridge(d, r);
	doctor_forwarding(r);
	doctor_nat(d, r);
	doctor_uplink(d, r);
	doctor_uplink6(d, r);
	doctor_firewall(d, r);
	doctor_nm(d, r);
	doctor_dns(d, r);
	doctor_mdns(d, r);
	if (guest)
		doctor_guest(d, guest, r);
}

void doctor_render(const struct doctor_report *r, bool json, FILE *out)
{
	if (json)
		doctor_report_json(r, out);
	else
		doctor_report_text(r, out);
}

/* The guest's address: its lease's, or the one given. */
static int doctor_guest_addr(struct daemon *d, const char *guest, uint32_t *addr,
			     char *err, size_t errlen)
{
	const struct lease *l = dhcp_glue_find_lease(d, guest);

	if (l) {
		*addr = l->ip;
		return 0;
	}
	if (ip4_parse(guest, strlen(guest), addr) == 0)
		return 0;
	snprintf(err, errlen, "%s has no lease: give its address to trace it", guest);
	return -ENOENT;
}

int doctor_cmd(struct daemon *d, const struct control_request *req, FILE *out,
	       char *err, size_t errlen)
{
	struct doctor_report *r;
	struct doctor_args a;
	uint32_t addr;
	int e = doctor_args(req, &a, err, errlen);

	if (e < 0)
		return e;
	if (a.trace) {
		e = doctor_guest_addr(d, a.guest, &addr, err, errlen);
		return e < 0 ? e : doctor_trace_start(d, a.guest, addr, a.trace, a.json, err, errlen);
	}
	r = malloc(sizeof(*r));
	if (!r)
		return -ENOMEM;
	doctor_report_init(r);
	doctor_collect(d, a.guest, r);
	doctor_render(r, a.json, out);
	free(r);
	return 0;
}
