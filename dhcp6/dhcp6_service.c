/* Stateless DHCPv6: the socket around dhcp6_codec.c. */
#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "dhcp6_service.h"

#define DHCP6_RECV_BATCH 32
#define DHCP6_RECV_MAX 1500

struct dhcp6_service {
	struct dhcp6_service_opts o;
	struct dhcp6_server_cfg cfg;
	int fd;
	struct event *read_ev;
	struct dhcp6_counters c;
};

static int dhcp6_cfg(struct dhcp6_server_cfg *cfg, const struct dhcp6_service_opts *o)
{
	const char *domain = o->domain ? o->domain : "";

	memset(cfg, 0, sizeof(*cfg));
	if (strlen(domain) >= sizeof(cfg->domain))
		return -EINVAL;
	dhcp6_duid_ll(cfg, o->mac);
	memcpy(cfg->dns, o->dns, sizeof(cfg->dns));
	strcpy(cfg->domain, domain);
	return 0;
}

static void dhcp6_on_read(evutil_socket_t fd, short what, void *arg)
{
	struct dhcp6_service *s = arg;
	uint8_t in[DHCP6_RECV_MAX], out[DHCP6_REPLY_MAX];
	struct sockaddr_in6 from;
	socklen_t from_len;
	ssize_t n;
	int r, i;

	for (i = 0; i < DHCP6_RECV_BATCH; i++) {
		from_len = sizeof(from);
		n = recvfrom(fd, in, sizeof(in), 0, (struct sockaddr *)&from, &from_len);
		if (n < 0)
			return;
		r = dhcp6_handle(&s->cfg, in, (size_t)n, out, sizeof(out));
		if (r <= 0 || from.sin6_family != AF_INET6 ||
		    sendto(fd, out, (size_t)r, MSG_DONTWAIT, (struct sockaddr *)&from,
			   sizeof(from)) < 0)
			s->c.ignored++;
		else
			s->c.replies++;
	}
}

static int dhcp6_socket(struct dhcp6_service *s)
{
	struct sockaddr_in6 sin = { .sin6_family = AF_INET6,
				    .sin6_port = htons(DHCP6_SERVER_PORT) };
	struct ipv6_mreq group = {
		.ipv6mr_multiaddr = { .s6_addr = { 0xff, 0x02, [13] = 1, [15] = 2 } },
		.ipv6mr_interface = s->o.ifindex,
	};
	int one = 1;

	s->fd = socket(AF_INET6, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (s->fd < 0 ||
	    setsockopt(s->fd, IPPROTO_IPV6, IPV6_V6ONLY, &one, sizeof(one)) < 0 ||
	    setsockopt(s->fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)) < 0 ||
	    setsockopt(s->fd, SOL_SOCKET, SO_BINDTODEVICE, s->o.ifname,
		       (socklen_t)strlen(s->o.ifname)) < 0 ||
	    bind(s->fd, (struct sockaddr *)&sin, sizeof(sin)) < 0 ||
	    setsockopt(s->fd, IPPROTO_IPV6, IPV6_JOIN_GROUP, &group, sizeof(group)) < 0) {
		log_sink_printf(&s->o.log, LOG_LEVEL_ERROR, "dhcp6: cannot listen on %s port %u: %s",
				s->o.ifname, DHCP6_SERVER_PORT, strerror(errno));
		return -errno;
	}
	return 0;
}

static void dhcp6_free(struct dhcp6_service *s)
{
	if (s->read_ev)
		event_free(s->read_ev);
	if (s->fd >= 0)
		close(s->fd);
	free(s);
}

int dhcp6_service_start(struct event_base *base, const struct dhcp6_service_opts *opts,
			struct dhcp6_service **svc)
{
	struct dhcp6_service *s;
	int r;

	if (!base || !opts || !opts->ifname || !opts->ifindex || !svc)
		return -EINVAL;
	s = calloc(1, sizeof(*s));
	if (!s)
		return -ENOMEM;
	s->fd = -1;
	s->o = *opts;
	r = dhcp6_cfg(&s->cfg, opts);
	if (r == 0)
		r = dhcp6_socket(s);
	if (r == 0) {
		s->read_ev = event_new(base, s->fd, EV_READ | EV_PERSIST, dhcp6_on_read, s);
		if (!s->read_ev || event_add(s->read_ev, NULL) < 0)
			r = -ENOMEM;
	}
	if (r < 0) {
		dhcp6_free(s);
		return r;
	}
	log_sink_printf(&s->o.log, LOG_LEVEL_INFO, "dhcp6: stateless DHCPv6 on %s", s->o.ifname);
	*svc = s;
	return 0;
}

int dhcp6_service_reload(struct dhcp6_service *s, const struct dhcp6_service_opts *opts)
{
	struct dhcp6_server_cfg cfg;
	int r;

	if (!s || !opts)
		return -EINVAL;
	r = dhcp6_cfg(&cfg, opts);
	if (r < 0)
		return r;
	s->cfg = cfg;
	return 0;
}

void dhcp6_service_stop(struct dhcp6_service *s)
{
	if (s)
		dhcp6_free(s);
}

void dhcp6_service_counters(const struct dhcp6_service *s, struct dhcp6_counters *c)
{
	*c = s->c;
}
