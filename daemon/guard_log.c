/* The guards' nflog copies, tallied by port: see guard_log.h. */
#include <errno.h>
#include <net/if.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include <libmnl/libmnl.h>

#include "guard_log.h"
#include "ip4.h"
#include "nat_nflog.h"

/* Ports named per guard and report; the rest are only counted. */
#define GUARD_LOG_PORTS 4
/* Datagrams read per wake-up: the kernel's limit keeps them few. */
#define GUARD_LOG_READS 16
/* A datagram of metadata-only copies fits many times over. */
#define GUARD_LOG_BUF 8192

struct guard_log_port {
	unsigned port;
	bool has_mac;
	uint8_t mac[6];
	uint64_t n;
};

struct guard_log {
	struct mnl_socket *sock;
	struct event *ev;
	uint32_t seq;
	struct guard_log_port seen[NAT_GUARD_COUNT][GUARD_LOG_PORTS];
	uint64_t others[NAT_GUARD_COUNT];  /* from ports past GUARD_LOG_PORTS */
	char buf[GUARD_LOG_BUF];
};

static void guard_log_tally(void *ctx, const struct nat_nflog_event *e)
{
	struct guard_log *gl = ctx;
	struct guard_log_port *p;
	int g;

	for (g = 0; g < NAT_GUARD_COUNT; g++)
		if (strcmp(e->prefix, nat_guard_spec((enum nat_guard)g)->counter) == 0)
			break;
	if (g == NAT_GUARD_COUNT)
		return;
	for (size_t i = 0; i < GUARD_LOG_PORTS; i++) {
		p = &gl->seen[g][i];
		if (p->n && (p->port != e->port || p->has_mac != e->has_mac ||
			     memcmp(p->mac, e->mac, 6) != 0))
			continue;
		if (!p->n)
			*p = (struct guard_log_port){ .port = e->port, .has_mac = e->has_mac };
		memcpy(p->mac, e->mac, 6);
		p->n++;
		return;
	}
	gl->others[g]++;
}

static void guard_log_on_read(evutil_socket_t fd, short what, void *arg)
{
	struct guard_log *gl = arg;
	ssize_t n;

	for (int i = 0; i < GUARD_LOG_READS; i++) {
		n = recv(fd, gl->buf, sizeof(gl->buf), MSG_DONTWAIT);
		if (n < 0 && errno == ENOBUFS)
			continue;  /* copies lost: the counters still count */
		if (n <= 0)
			return;
		nat_nflog_parse(gl->buf, (size_t)n, NAT_NFLOG_GROUP, guard_log_tally, gl);
	}
}

/* Sends one config message and reads its ACK. */
static int guard_log_config(struct guard_log *gl, enum nat_nflog_config what)
{
	uint32_t seq = ++gl->seq;
	size_t len = nat_nflog_config(gl->buf, sizeof(gl->buf), what, NAT_NFLOG_GROUP, seq);
	ssize_t n;
	int r;

	if (mnl_socket_sendto(gl->sock, gl->buf, len) < 0)
		return -errno;
	n = recv(mnl_socket_get_fd(gl->sock), gl->buf, sizeof(gl->buf), MSG_DONTWAIT);
	if (n < 0)
		return -errno;
	r = mnl_cb_run(gl->buf, (size_t)n, seq, mnl_socket_get_portid(gl->sock), NULL, NULL);
	return r < 0 ? -errno : 0;
}

int guard_log_start(struct event_base *base, struct guard_log **out)
{
	struct guard_log *gl = calloc(1, sizeof(*gl));
	int r = -ENOMEM;

	*out = NULL;
	if (!gl)
		return -ENOMEM;
	gl->sock = mnl_socket_open2(NETLINK_NETFILTER, SOCK_CLOEXEC | SOCK_NONBLOCK);
	if (!gl->sock || mnl_socket_bind(gl->sock, 0, MNL_SOCKET_AUTOPID) < 0)
		r = -errno;
	else if ((r = guard_log_config(gl, NAT_NFLOG_BIND)) == 0 &&
		 (r = guard_log_config(gl, NAT_NFLOG_COPY_NONE)) == 0) {
		gl->ev = event_new(base, mnl_socket_get_fd(gl->sock), EV_READ | EV_PERSIST,
				   guard_log_on_read, gl);
		r = gl->ev && event_add(gl->ev, NULL) == 0 ? 0 : -ENOMEM;
	}
	if (r < 0) {
		guard_log_stop(gl);
		return r;
	}
	*out = gl;
	return 0;
}

void guard_log_stop(struct guard_log *gl)
{
	if (!gl)
		return;
	if (gl->ev)
		event_free(gl->ev);
	if (gl->sock)
		mnl_socket_close(gl->sock);
	free(gl);
}

void guard_log_take(struct guard_log *gl, enum nat_guard g, char *out, size_t outlen)
{
	char name[IF_NAMESIZE], mac[MAC_STRLEN];
	size_t used = 0;
	int k;

	out[0] = '\0';
	if (!gl || (unsigned)g >= NAT_GUARD_COUNT)
		return;
	for (size_t i = 0; i < GUARD_LOG_PORTS && gl->seen[g][i].n; i++) {
		const struct guard_log_port *p = &gl->seen[g][i];

		if (!p->port || !if_indextoname(p->port, name))
			snprintf(name, sizeof(name), "%s", p->port ? "(gone)" : "?");
		k = snprintf(out + used, outlen - used, "%sport %s%s%s%s %llu", used ? ", " : "",
			     name, p->has_mac ? " (" : "", p->has_mac ? mac_format(p->mac, mac) : "",
			     p->has_mac ? ")" : "", (unsigned long long)p->n);
		if (k < 0 || (size_t)k >= outlen - used)
			break;
		used += (size_t)k;
	}
	if (gl->others[g] && used < outlen)
		snprintf(out + used, outlen - used, ", other ports %llu",
			 (unsigned long long)gl->others[g]);
	memset(gl->seen[g], 0, sizeof(gl->seen[g]));
	gl->others[g] = 0;
}
