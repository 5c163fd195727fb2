/* The gateway's DNS server as a service (dns_service.h): its life cycle,
 * the upstream set (fixed, or the host's resolv.conf followed live) and
 * the gateway addresses it listens on. The query pipeline is dns_server.c. */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "dns_server.h"

/* Upstream servers ------------------------------------------------------- */

static void server_format_servers(const struct dns_server_addr *v, size_t n, char *out,
				  size_t size)
{
	size_t off = 0;

	out[0] = '\0';
	for (size_t i = 0; i < n && off < size; i++) {
		char a[INET6_ADDRSTRLEN];

		inet_ntop(v[i].family, v[i].addr, a, sizeof(a));
		off += (size_t)snprintf(out + off, size - off, "%s%s", i ? ", " : "", a);
	}
}

/* Takes a new server set: a new channel, an empty cache. Our own gateway
 * address is left out (it would loop); no server at all means 127.0.0.1,
 * as for the host's resolver (resolv.conf(5)). */
static int server_set_upstreams(struct dns_service *s, const struct dns_server_addr *v,
				size_t n)
{
	struct dns_server_addr use[RESOLV_CONF_MAX_SERVERS];
	uint32_t gw = htonl(s->local.gateway);
	char text[512];
	size_t m = 0;
	int r;

	for (size_t i = 0; i < n && i < RESOLV_CONF_MAX_SERVERS; i++) {
		if (v[i].family == AF_INET && memcmp(v[i].addr, &gw, 4) == 0 &&
		    v[i].port == DNS_PORT) {
			log_sink_printf(&s->log, LOG_LEVEL_WARNING, "dns: ignoring our own address as an upstream");
			continue;
		}
		use[m++] = v[i];
	}
	if (m == 0) {
		use[0] = (struct dns_server_addr){ .family = AF_INET, .addr = { 127, 0, 0, 1 },
						   .port = DNS_PORT };
		m = 1;
	}
	if (s->fwd && resolv_conf_same(use, m, s->servers, s->n_servers))
		return 0;
	r = dns_forward_set_servers(s->fwd, use, m);
	if (r < 0) {
		log_sink_printf(&s->log, LOG_LEVEL_ERROR, "dns: cannot switch upstream servers: %s", strerror(-r));
		return r;
	}
	memcpy(s->servers, use, m * sizeof(use[0]));
	s->n_servers = m;
	dns_cache_flush(s->cache);
	s->n.upstream_changes++;
	server_format_servers(use, m, text, sizeof(text));
	log_sink_printf(&s->log, LOG_LEVEL_INFO, "dns: upstream servers %s", text);
	return 0;
}

/* Reads resolv.conf (small, local; bounded). A missing file is a file
 * without nameservers. */
static void server_read_resolv(struct dns_service *s)
{
	static char buf[RESOLV_CONF_MAX_SIZE];
	struct resolv_conf rc;
	ssize_t n = 0;
	int fd;

	fd = open(s->resolv_conf, O_RDONLY | O_CLOEXEC | O_NONBLOCK);
	if (fd >= 0) {
		n = read(fd, buf, sizeof(buf));
		close(fd);
	}
	if (fd < 0 || n < 0) {
		log_sink_printf(&s->log, LOG_LEVEL_WARNING, "dns: cannot read %s: %s", s->resolv_conf,
			strerror(errno));
		n = 0;
	}
	resolv_conf_parse(buf, (size_t)n, &rc);
	if (rc.n_ignored)
		log_sink_printf(&s->log, LOG_LEVEL_DEBUG, "dns: %s: %zu nameserver line(s) not usable",
			s->resolv_conf, rc.n_ignored);
	server_set_upstreams(s, rc.servers, rc.n_servers);
}

static void server_on_resolv_change(void *ctx)
{
	server_read_resolv(ctx);
}

static int server_upstreams(struct dns_service *s, const struct dns_service_opts *o)
{
	const char *path = o->resolv_conf && o->resolv_conf[0] ? o->resolv_conf : "/etc/resolv.conf";
	int r;

	if (!o->upstream_auto) {
		resolv_watch_free(s->watch);
		s->watch = NULL;
		s->upstream_auto = false;
		return server_set_upstreams(s, o->upstreams, o->n_upstreams);
	}
	if (strlen(path) >= sizeof(s->resolv_conf))
		return -ENAMETOOLONG;
	if (!s->upstream_auto || strcmp(path, s->resolv_conf) != 0 || !s->watch) {
		resolv_watch_free(s->watch);
		s->watch = NULL;
		strcpy(s->resolv_conf, path);
		r = resolv_watch_new(&s->watch, s->base, path, server_on_resolv_change, s);
		if (r < 0)
			log_sink_printf(&s->log, LOG_LEVEL_WARNING, "dns: cannot watch %s (%s): its changes "
				"apply at the next reload", path, strerror(-r));
	}
	s->upstream_auto = true;
	server_read_resolv(s);
	return 0;
}

static int server_local_ctx(struct dns_service *s, const struct dns_service_opts *o)
{
	struct dns_local_ctx ctx;
	int r;

	r = dns_local_ctx_init(&ctx, o->names, o->domain, o->hostname, o->gateway,
			       o->subnet_addr, o->subnet_len);
	if (r < 0) {
		log_sink_printf(&s->log, LOG_LEVEL_ERROR, "dns: bad domain '%s' or subnet", o->domain ? o->domain : "");
		return r;
	}
	ctx.aaaa = o->aaaa;
	ctx.name6 = o->name6;
	ctx.aaaa_ctx = o->aaaa_ctx;
	memcpy(ctx.prefix6, o->prefix6, sizeof(ctx.prefix6));
	ctx.prefix6_len = o->prefix6_len;
	memcpy(ctx.gateway6, o->gateway6, sizeof(ctx.gateway6));
	s->local = ctx;
	s->names = o->names;
	return 0;
}

/* The gateway's IPv6 address, when it moved or appeared. IPv4 service
 * does not depend on it: a failure is logged (dns_io_listen6) and the
 * guests ask over IPv4. */
static void server_listen6(struct dns_service *s, const struct dns_service_opts *o)
{
	const struct dns_listen *l = &s->io.l6;

	memcpy(s->prefix6, o->prefix6, sizeof(s->prefix6));
	s->prefix6_len = o->prefix6_len;
	if (!o->prefix6_len) {
		dns_io_unlisten6(s);
		return;
	}
	if (l->v6 && memcmp(l->addr6, o->gateway6, sizeof(l->addr6)) == 0)
		return;
	if (dns_io_listen6(s, o->gateway6) < 0)
		log_sink_printf(&s->log, LOG_LEVEL_WARNING,
				"dns: not answering on the IPv6 gateway; guests ask over IPv4");
}

/* The gateway and, while a renumbering drains the old subnet, the old
 * gateway: a listener opens for each that has none, then any other one
 * closes (the daemon ends one drain before it starts the next, so two
 * listeners are enough). */
static int server_listen(struct dns_service *s, const struct dns_service_opts *o)
{
	const uint32_t want[DNS_MAX_LISTEN] = { o->gateway, o->old_gateway };
	int r;

	for (size_t i = 0; i < DNS_MAX_LISTEN; i++) {
		if (!want[i] || dns_io_listening(s, want[i]))
			continue;
		r = dns_io_listen(s, want[i]);
		if (r < 0)
			return r;
	}
	for (size_t i = 0; i < DNS_MAX_LISTEN; i++) {
		uint32_t a = s->io.l[i].addr;

		if (a && a != want[0] && a != want[1])
			dns_io_unlisten(s, a);
	}
	s->old_subnet_addr = o->old_subnet_addr;
	s->old_subnet_len = o->old_subnet_len;
	server_listen6(s, o);
	return 0;
}

int dns_service_start(struct event_base *base, const struct dns_service_opts *o,
		      struct dns_service **out)
{
	struct dns_service *s;
	uint64_t seed;
	int r;

	if (!out || !base || !o || !o->ifname || strlen(o->ifname) >= IFNAMSIZ)
		return -EINVAL;
	s = calloc(1, sizeof(*s));
	if (!s)
		return -ENOMEM;
	s->base = base;
	s->log = o->log;
	strcpy(s->ifname, o->ifname);
	s->port = o->port ? o->port : DNS_PORT;
	arc4random_buf(&seed, sizeof(seed));
	s->pending_share = malloc(sizeof(*s->pending_share));
	if (!s->pending_share) {
		r = -ENOMEM;
		goto fail;
	}
	src_share_init(s->pending_share, 0, 0, (uint32_t)seed);
	r = server_local_ctx(s, o);
	if (r < 0)
		goto fail;
	s->cache = dns_cache_new(o->cache_bytes ? o->cache_bytes : DNS_CACHE_DEFAULT_BYTES, seed);
	r = s->cache ? dns_forward_new(&s->fwd, base, &o->log) : -ENOMEM;
	if (r < 0)
		goto fail;
	r = server_upstreams(s, o);
	if (r < 0)
		goto fail;
	r = dns_io_open(s);
	if (r == 0)
		r = server_listen(s, o);
	if (r < 0)
		goto fail;
	*out = s;
	return 0;
fail:
	dns_service_stop(s);
	return r;
}

int dns_service_reload(struct dns_service *s, const struct dns_service_opts *o)
{
	int r;

	if (!s || !o)
		return -EINVAL;
	r = server_listen(s, o);
	if (r == 0)
		r = server_local_ctx(s, o);
	if (r < 0)
		return r;
	return server_upstreams(s, o);
}

void dns_service_stop(struct dns_service *s)
{
	if (!s)
		return;
	s->stopping = true;
	/* Fails what is in flight: each pending query lets go of its TCP
	 * connection before the connections go. */
	dns_forward_free(s->fwd);
	resolv_watch_free(s->watch);
	dns_io_close(s);
	dns_cache_free(s->cache);
	free(s->pending_share);
	free(s);
}

void dns_service_counters(const struct dns_service *s, struct dns_counters *c)
{
	struct dns_cache_stats cs = { 0 };

	if (!s || !c)
		return;
	*c = s->n;
	dns_cache_stats(s->cache, &cs);
	c->cache_entries = cs.entries;
	c->cache_bytes = cs.bytes;
	c->tcp_open = s->io.tcp_open;
	c->n_upstreams = s->n_servers;
	memcpy(c->upstreams, s->servers, sizeof(c->upstreams));
}

const struct dns_last_query *dns_service_last_query(const struct dns_service *s, uint32_t src)
{
	return s ? dns_history_find(&s->history, src) : NULL;
}
