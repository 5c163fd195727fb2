/* Port forwards in the daemon: see forward_glue.h. */
#include <errno.h>
#include <string.h>
#include <time.h>

#include "boot_clock.h"
#include "daemon.h"
#include "dhcp_service.h"
#include "durable_file.h"
#include "forward_glue.h"
#include "glue.h"
#include "log.h"
#include "name_table.h"
#include "neigh6_watch.h"
#include "sock_diag.h"

#define FORWARD_STATE_FILE "forwards"
#define FORWARD_STATE_TMP "forwards.tmp"

/* ------------------------------------------------------------- resolve */

/* What a forward points at now. */
struct forward_target {
	uint32_t addr;
	uint8_t addr6[16];
};

static const struct lease *forward_glue_live(const struct daemon *d, uint32_t ip, uint64_t now)
{
	const struct lease *l;

	if (!d->dhcp)
		return NULL;
	l = lease_store_find_ip(dhcp_service_store(d->dhcp), ip);
	return l && lease_is_live(l, now) ? l : NULL;
}

/* The newest live lease of mac (commit order is oldest first). */
static const struct lease *forward_glue_mac_lease(const struct daemon *d, const uint8_t mac[6],
						  uint64_t now)
{
	const struct lease *l, *newest = NULL;
	uint32_t cur = 0;

	if (!d->dhcp)
		return NULL;
	while ((l = lease_store_next(dhcp_service_store(d->dhcp), &cur)))
		if (memcmp(l->mac, mac, 6) == 0 && lease_is_live(l, now))
			newest = l;
	return newest;
}

/* The forward's guest's live lease, or NULL: a name or MAC needs one; an
 * address may have none (a guest configured by hand). */
static const struct lease *forward_glue_lease_of(const struct daemon *d, const struct forward *f,
						 uint64_t now)
{
	uint32_t ip;

	switch (f->kind) {
	case FORWARD_GUEST_IP:
		return forward_glue_live(d, f->ip, now);
	case FORWARD_GUEST_MAC:
		return forward_glue_mac_lease(d, f->mac, now);
	case FORWARD_GUEST_NAME:
		if (name_table_lookup(d->names, f->guest, strlen(f->guest), &ip) < 0)
			return NULL;
		return forward_glue_live(d, ip, now);
	}
	return NULL;
}

/* The v4 address: the lease's, or a GUEST address in the subnet. The v6
 * one: the guest's stable address in the prefix (neigh6_stable()), by the
 * MAC of its lease or the MAC it was given as; none with IPv6=no. */
static struct forward_target forward_glue_resolve(const struct daemon *d, const struct forward *f)
{
	const struct lease *l = forward_glue_lease_of(d, f, boot_clock_ms());
	const uint8_t *mac = f->kind == FORWARD_GUEST_MAC ? f->mac : l ? l->mac : NULL;
	struct forward_target t = { .addr = l ? l->ip : 0 };

	if (f->kind == FORWARD_GUEST_IP)
		t.addr = ip4_prefix_contains(d->subnet.subnet, f->ip) ? f->ip : 0;
	if (!mac || !neigh6_watch_stable(d, mac, t.addr6) ||
	    !ip6_prefix_contains(&d->subnet.prefix6, t.addr6))
		memset(t.addr6, 0, sizeof(t.addr6));
	return t;
}

static void forward_glue_set(struct forward *f, const struct forward_target *t)
{
	f->addr = t->addr;
	memcpy(f->addr6, t->addr6, sizeof(f->addr6));
}

/* ------------------------------------------------------------- journal */

enum forward_glue_event {
	FORWARD_EVENT_ADD,
	FORWARD_EVENT_REMOVE,
	FORWARD_EVENT_RETARGET
};

static const struct {
	const char *name;       /* DEFNET_EVENT= */
	const char *message_id; /* systemd/defnet.catalog */
	const char *what;
} forward_glue_events[] = {
	[FORWARD_EVENT_ADD] = { "forward-add", FORWARD_MSGID_ADD, "added," },
	[FORWARD_EVENT_REMOVE] = { "forward-remove", FORWARD_MSGID_REMOVE, "removed, was" },
	[FORWARD_EVENT_RETARGET] = { "forward-retarget", FORWARD_MSGID_RETARGET,
				     "now points at" },
};

static void forward_glue_log(const struct forward *f, enum forward_glue_event ev)
{
	char port[6], gport[6], ip[IP4_STRLEN] = "", ip6[IP6_STRLEN] = "";
	struct log_field fields[7] = {
		{ "DEFNET_EVENT", forward_glue_events[ev].name },
		{ "DEFNET_PROTO", forward_proto_name(f->proto) },
		{ "DEFNET_PORT", port }, { "DEFNET_GUEST", f->guest },
		{ "DEFNET_GUEST_PORT", gport }, { "DEFNET_IP", ip }, { "DEFNET_IP6", ip6 },
	};

	snprintf(port, sizeof(port), "%u", f->port);
	snprintf(gport, sizeof(gport), "%u", f->guest_port);
	if (f->addr)
		ip4_format(f->addr, ip);
	if (forward_has_addr6(f))
		ip6_format(f->addr6, ip6);
	log_event(LOG_LEVEL_INFO, forward_glue_events[ev].message_id, fields, 7,
		  "forward %s %u to %s:%u %s%s%s%s%s%s", forward_proto_name(f->proto), f->port,
		  f->guest, f->guest_port, forward_glue_events[ev].what, f->addr ? " " : "",
		  f->addr ? ip : " (no lease)", *ip6 ? " [" : "", ip6, *ip6 ? "]" : "");
}

/* Resolves every forward; logs those that moved. Whether one moved. */
static bool forward_glue_resolve_all(struct daemon *d)
{
	bool moved = false;

	for (size_t i = 0; i < d->forwards.n; i++) {
		struct forward *f = &d->forwards.v[i];
		struct forward_target t = forward_glue_resolve(d, f);

		if (t.addr == f->addr && memcmp(t.addr6, f->addr6, sizeof(t.addr6)) == 0)
			continue;
		forward_glue_set(f, &t);
		moved = true;
		forward_glue_log(f, FORWARD_EVENT_RETARGET);
	}
	return moved;
}

static uint64_t forward_glue_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_BOOTTIME, &ts);
	return (uint64_t)ts.tv_sec * 1000000 + (uint64_t)ts.tv_nsec / 1000;
}

void forward_glue_follow(struct daemon *d)
{
	uint64_t t0 = forward_glue_us();

	if (!d->forwards.n || !forward_glue_resolve_all(d))
		return;
	if (nat_glue_apply(d) < 0) {
		log_error("forwards: the nftables table does not follow the guests until it applies");
		return;
	}
	/* What bench/nat.sh reads: from the lease's commit (or the neighbour
	 * table's change) to the rules. */
	log_info("forwards: the table follows the guests, %llu us after the event",
		 (unsigned long long)(forward_glue_us() - t0));
}

/* Whether a lease event of mac/ip can move a forward: most leases are no
 * forward's, and resolving a MAC walks the lease store. */
static bool forward_glue_concerns(const struct daemon *d, const uint8_t mac[6], uint32_t ip)
{
	uint32_t named;

	for (size_t i = 0; i < d->forwards.n; i++) {
		const struct forward *f = &d->forwards.v[i];

		if (f->addr == ip || (f->kind == FORWARD_GUEST_MAC && memcmp(f->mac, mac, 6) == 0))
			return true;
		if (f->kind == FORWARD_GUEST_NAME &&
		    name_table_lookup(d->names, f->guest, strlen(f->guest), &named) == 0 &&
		    named == ip)
			return true;
	}
	return false;
}

void forward_glue_lease(struct daemon *d, const uint8_t mac[6], uint32_t ip)
{
	if (forward_glue_concerns(d, mac, ip))
		forward_glue_follow(d);
}

/* ---------------------------------------------------------- the table */

static void forward_glue_load_state(struct daemon *d)
{
	static char buf[FORWARD_STATE_MAX + 1];
	struct forward_table cli = { .n = 0 };
	size_t len = 0, bad = 0;
	int r;

	r = durable_load(d->state_dir, FORWARD_STATE_FILE, buf, sizeof(buf), &len);
	if (r == -ENOENT)
		return;
	if (r == 0 && len > FORWARD_STATE_MAX)
		r = -EFBIG;
	if (r < 0) {
		log_error("forwards: cannot read %s/%s: %s", d->state_dir, FORWARD_STATE_FILE,
			  strerror(-r));
		return;
	}
	forward_state_parse(buf, len, &cli, &bad);
	if (bad)
		log_warning("forwards: %zu line%s of %s/%s skipped (not a forward)", bad,
			    bad == 1 ? "" : "s", d->state_dir, FORWARD_STATE_FILE);
	for (size_t i = 0; i < cli.n; i++)
		if (forward_table_add(&d->forwards, &cli.v[i]) < 0)
			log_warning("forwards: %s port %u of the state file is forwarded by the "
				    "configuration; that one applies",
				    forward_proto_name(cli.v[i].proto), cli.v[i].port);
}

/* The configuration's forwards first: they win over the CLI's. */
static void forward_glue_build(struct daemon *d, const struct forward_table *cli)
{
	d->forwards = d->cfg.forwards;
	for (size_t i = 0; i < cli->n; i++)
		if (!cli->v[i].from_config && forward_table_add(&d->forwards, &cli->v[i]) < 0)
			log_warning("forwards: %s port %u is forwarded by the configuration now",
				    forward_proto_name(cli->v[i].proto), cli->v[i].port);
}

void forward_glue_start(struct daemon *d)
{
	struct forward_table none = { .n = 0 };

	forward_glue_build(d, &none);
	forward_glue_load_state(d);
}

static bool forward_glue_same(const struct forward *a, const struct forward *b)
{
	return a->proto == b->proto && a->port == b->port && a->guest_port == b->guest_port &&
	       strcmp(a->guest, b->guest) == 0;
}

/* The configuration's forwards that came or went. */
static void forward_glue_log_changes(const struct forward_table *old,
				     const struct forward_table *now)
{
	for (size_t i = 0; i < old->n; i++) {
		int k = forward_table_find(now, old->v[i].proto, old->v[i].port);

		if (k < 0 || !forward_glue_same(&old->v[i], &now->v[k]))
			forward_glue_log(&old->v[i], FORWARD_EVENT_REMOVE);
	}
	for (size_t i = 0; i < now->n; i++) {
		int k = forward_table_find(old, now->v[i].proto, now->v[i].port);

		if (k < 0 || !forward_glue_same(&old->v[k], &now->v[i]))
			forward_glue_log(&now->v[i], FORWARD_EVENT_ADD);
	}
}

void forward_glue_reload(struct daemon *d)
{
	static struct forward_table old;

	old = d->forwards;
	forward_glue_build(d, &old);
	for (size_t i = 0; i < d->forwards.n; i++) {
		struct forward_target t = forward_glue_resolve(d, &d->forwards.v[i]);

		forward_glue_set(&d->forwards.v[i], &t);
	}
	forward_glue_log_changes(&old, &d->forwards);
	if (nat_glue_apply(d) < 0)
		log_error("reload: the forwards are not in the nftables table until it applies");
}

/* durable_file.h: on disk before the command answers. */
static int forward_glue_save(const struct daemon *d, char *err, size_t errlen)
{
	static char text[FORWARD_STATE_MAX];
	int len = forward_state_format(&d->forwards, text, sizeof(text));

	if (len >= 0)
		len = durable_save(d->state_dir, FORWARD_STATE_TMP, FORWARD_STATE_FILE, text,
				   (size_t)len);
	if (len < 0)
		snprintf(err, errlen, "cannot save %s/%s: %s", d->state_dir, FORWARD_STATE_FILE,
			 strerror(-len));
	return len < 0 ? len : 0;
}

/* Saved and applied, or neither (the table is as it was). */
static int forward_glue_commit(struct daemon *d, const struct forward_table *before, char *err,
			       size_t errlen)
{
	int r = forward_glue_save(d, err, errlen);

	if (r == 0 && (r = nat_glue_apply(d)) < 0)
		snprintf(err, errlen, "nftables refused the rules (see the log)");
	if (r < 0) {
		char why[512];

		d->forwards = *before;
		if (forward_glue_save(d, why, sizeof(why)) < 0)
			log_warning("%s: the file keeps the refused forwards until the next "
				    "change", why);
	}
	return r;
}

/* ------------------------------------------------------------ commands */

/* Why a forward cannot take its HOSTPORT: forwarded already, or a process
 * of the host listens there (it would never see a connection again). */
static int forward_glue_port_free(const struct daemon *d, const struct forward *f, char *err,
				  size_t errlen)
{
	char who[64];
	uint32_t inode = 0;
	int i = forward_table_find(&d->forwards, f->proto, f->port), r;

	if (i >= 0) {
		snprintf(err, errlen, "%s port %u is already forwarded to %s:%u",
			 forward_proto_name(f->proto), f->port, d->forwards.v[i].guest,
			 d->forwards.v[i].guest_port);
		return -EEXIST;
	}
	r = sock_diag_listener(f->proto, f->port, &inode);
	if (r < 0) {
		snprintf(err, errlen, "cannot list the host's sockets: %s", strerror(-r));
		return r;
	}
	if (r == 0)
		return 0;
	sock_diag_owner(inode, who, sizeof(who));
	snprintf(err, errlen, "%s port %u is in use on the host by %s",
		 forward_proto_name(f->proto), f->port, who);
	return -EADDRINUSE;
}

static int forward_glue_add(struct daemon *d, const struct control_request *req, FILE *out,
			    char *err, size_t errlen)
{
	static struct forward_table before;
	struct forward_target target;
	char ip[IP4_STRLEN];
	struct forward f;
	const char *why;
	int r;

	if (req->argc < 5 || req->argc > 6) {
		snprintf(err, errlen, "usage: forward add PROTO HOSTPORT GUEST [GUESTPORT]");
		return -EINVAL;
	}
	if (forward_from_words(req->argv[2], req->argv[3], req->argv[4],
			       req->argc == 6 ? req->argv[5] : NULL, &f, &why) < 0) {
		snprintf(err, errlen, "%s", why);
		return -EINVAL;
	}
	if (f.kind == FORWARD_GUEST_IP && !ip4_prefix_contains(d->subnet.subnet, f.ip)) {
		snprintf(err, errlen, "%s is not in the guest subnet", f.guest);
		return -EINVAL;
	}
	if ((r = forward_glue_port_free(d, &f, err, errlen)) < 0)
		return r;
	before = d->forwards;
	target = forward_glue_resolve(d, &f);
	forward_glue_set(&f, &target);
	if ((r = forward_table_add(&d->forwards, &f)) < 0) {
		snprintf(err, errlen, "already %d forwards", FORWARD_MAX);
		return r;
	}
	if ((r = forward_glue_commit(d, &before, err, errlen)) < 0)
		return r;
	forward_glue_log(&f, FORWARD_EVENT_ADD);
	fprintf(out, "forwarding %s port %u to %s:%u (%s)\n", forward_proto_name(f.proto), f.port,
		f.guest, f.guest_port, f.addr ? ip4_format(f.addr, ip) : "no lease yet");
	return 0;
}

static int forward_glue_remove(struct daemon *d, const struct control_request *req, FILE *out,
			       char *err, size_t errlen)
{
	static struct forward_table before;
	struct forward f;
	const char *why;
	int i, r;

	if (req->argc != 4) {
		snprintf(err, errlen, "usage: forward remove PROTO HOSTPORT");
		return -EINVAL;
	}
	/* The words checked as a forward to a placeholder guest. */
	if (forward_from_words(req->argv[2], req->argv[3], "x", NULL, &f, &why) < 0) {
		snprintf(err, errlen, "%s", why);
		return -EINVAL;
	}
	i = forward_table_find(&d->forwards, f.proto, f.port);
	if (i < 0) {
		snprintf(err, errlen, "%s port %u is not forwarded", req->argv[2], f.port);
		return -ENOENT;
	}
	if (d->forwards.v[i].from_config) {
		snprintf(err, errlen, "%s port %u is forwarded by the configuration file "
			 "([Forward] Port=)", req->argv[2], f.port);
		return -EPERM;
	}
	before = d->forwards;
	f = d->forwards.v[i];
	forward_table_remove(&d->forwards, (size_t)i);
	if ((r = forward_glue_commit(d, &before, err, errlen)) < 0)
		return r;
	forward_glue_log(&f, FORWARD_EVENT_REMOVE);
	fprintf(out, "%s port %u no longer forwarded\n", forward_proto_name(f.proto), f.port);
	return 0;
}

static void forward_glue_json(const struct daemon *d, struct json *j)
{
	json_array_begin(j);
	for (size_t i = 0; i < d->forwards.n; i++)
		forward_json(j, &d->forwards.v[i]);
	json_array_end(j);
}

static void forward_glue_text(const struct daemon *d, FILE *out, const char *indent)
{
	char ip[IP4_STRLEN], ip6[IP6_STRLEN];

	for (size_t i = 0; i < d->forwards.n; i++) {
		const struct forward *f = &d->forwards.v[i];
		bool has6 = forward_has_addr6(f);

		fprintf(out, "%s%s %5u -> %s:%u  %s%s%s%s%s\n", indent,
			forward_proto_name(f->proto), f->port, f->guest, f->guest_port,
			f->addr ? ip4_format(f->addr, ip) : "no lease", has6 ? " [" : "",
			has6 ? ip6_format(f->addr6, ip6) : "", has6 ? "]" : "",
			f->from_config ? " (config)" : "");
	}
}

static int forward_glue_list(struct daemon *d, const struct control_request *req, FILE *out,
			     char *err, size_t errlen)
{
	struct json j;
	bool json = req->argc == 3 && strcmp(req->argv[2], "--json") == 0;

	if (req->argc > 3 || (req->argc == 3 && !json)) {
		snprintf(err, errlen, "usage: forward list [--json]");
		return -EINVAL;
	}
	if (json) {
		json_init(&j, out);
		forward_glue_json(d, &j);
		fputc('\n', out);
	} else {
		forward_glue_text(d, out, "");
	}
	return 0;
}

int forward_glue_cmd(struct daemon *d, const struct control_request *req, FILE *out,
		     char *err, size_t errlen)
{
	const char *sub = req->argc >= 2 ? req->argv[1] : "";

	if (strcmp(sub, "add") == 0)
		return forward_glue_add(d, req, out, err, errlen);
	if (strcmp(sub, "remove") == 0)
		return forward_glue_remove(d, req, out, err, errlen);
	if (strcmp(sub, "list") == 0)
		return forward_glue_list(d, req, out, err, errlen);
	snprintf(err, errlen, "usage: forward add|remove|list ...");
	return -EINVAL;
}

void forward_glue_status_json(const struct daemon *d, struct json *j)
{
	json_key(j, "forwards");
	forward_glue_json(d, j);
}

void forward_glue_status_text(const struct daemon *d, FILE *out)
{
	size_t none = 0;

	for (size_t i = 0; i < d->forwards.n; i++)
		none += d->forwards.v[i].addr == 0;
	fprintf(out, "forwards:     %zu", d->forwards.n);
	if (none)
		fprintf(out, " (%zu without a lease)", none);
	fputc('\n', out);
	forward_glue_text(d, out, "              ");
}
