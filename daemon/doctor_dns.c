/* Probing the upstream DNS servers: see doctor_dns.h. */
#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "boot_clock.h"
#include "dns_codec.h"
#include "dns_const.h"
#include "doctor_dns.h"

#define DOCTOR_DNS_ID 0xd0c7

/* A query for the root's NS records with recursion desired: every
 * resolver can answer it, from its cache or its hints. */
static int doctor_dns_query(uint8_t *buf, size_t size, size_t *len)
{
	static const uint8_t root[1] = { 0 };
	struct dns_builder b;
	int r = dns_builder_init(&b, buf, size, DOCTOR_DNS_ID, DNS_FLAG_RD);

	if (r == 0)
		r = dns_builder_question(&b, root, sizeof(root), DNS_TYPE_NS, DNS_CLASS_IN);
	*len = dns_builder_len(&b);
	return r;
}

static int doctor_dns_connect(const struct dns_server_addr *s)
{
	struct sockaddr_storage ss = { 0 };
	uint16_t port = htons(s->port ? s->port : DNS_PORT);
	socklen_t sl;
	int fd;

	if (s->family == AF_INET) {
		struct sockaddr_in *in = (struct sockaddr_in *)&ss;

		in->sin_family = AF_INET;
		in->sin_port = port;
		memcpy(&in->sin_addr, s->addr, 4);
		sl = sizeof(*in);
	} else {
		struct sockaddr_in6 *in6 = (struct sockaddr_in6 *)&ss;

		in6->sin6_family = AF_INET6;
		in6->sin6_port = port;
		memcpy(&in6->sin6_addr, s->addr, 16);
		sl = sizeof(*in6);
	}
	fd = socket(s->family, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -errno;
	if (connect(fd, (struct sockaddr *)&ss, sl) < 0) {
		int e = errno;

		close(fd);
		return -e;
	}
	return fd;
}

/* One datagram on a ready socket: our answer, a refusal, or noise. */
static void doctor_dns_read(int fd, struct doctor_dns_result *res, unsigned ms, bool *done)
{
	uint8_t buf[512];
	struct dns_header h;
	ssize_t n = recv(fd, buf, sizeof(buf), 0);

	if (n < 0 && errno == ECONNREFUSED) {
		*res = (struct doctor_dns_result){ DOCTOR_DNS_REFUSED, ms, 0, ECONNREFUSED };
		*done = true;
		return;
	}
	if (n < 0 || dns_msg_parse_header(buf, (size_t)n, &h) < 0 || h.id != DOCTOR_DNS_ID ||
	    !(h.flags & DNS_FLAG_QR))
		return;
	*res = (struct doctor_dns_result){ DOCTOR_DNS_ANSWERED, ms, dns_header_rcode(&h), 0 };
	*done = true;
}

static void doctor_dns_wait(struct pollfd *pfd, size_t n, struct doctor_dns_result *out,
			    uint64_t start)
{
	bool done[RESOLV_CONF_MAX_SERVERS] = { false };
	size_t left = 0;

	for (size_t i = 0; i < n; i++) {
		done[i] = pfd[i].fd < 0;
		left += !done[i];
	}
	while (left) {
		uint64_t spent = boot_clock_ms() - start;
		int r;

		if (spent >= DOCTOR_DNS_TIMEOUT_MS)
			break;
		r = poll(pfd, n, (int)(DOCTOR_DNS_TIMEOUT_MS - spent));
		if (r < 0 && errno != EINTR)
			break;
		for (size_t i = 0; r > 0 && i < n; i++) {
			if (done[i] || !(pfd[i].revents & (POLLIN | POLLERR)))
				continue;
			doctor_dns_read(pfd[i].fd, &out[i], (unsigned)(boot_clock_ms() - start),
					&done[i]);
			if (done[i]) {
				pfd[i].fd = -1;  /* poll skips it; the caller closes it */
				left--;
			}
		}
	}
}

void doctor_dns_probe(const struct dns_server_addr *servers, size_t n,
		      struct doctor_dns_result *out)
{
	struct pollfd pfd[RESOLV_CONF_MAX_SERVERS];
	int fds[RESOLV_CONF_MAX_SERVERS];
	uint8_t q[64];
	size_t qlen;
	uint64_t start = boot_clock_ms();
	int qr = doctor_dns_query(q, sizeof(q), &qlen);

	if (n > RESOLV_CONF_MAX_SERVERS)
		n = RESOLV_CONF_MAX_SERVERS;
	for (size_t i = 0; i < n; i++) {
		int fd = qr < 0 ? qr : doctor_dns_connect(&servers[i]);

		out[i] = (struct doctor_dns_result){ DOCTOR_DNS_TIMEOUT, DOCTOR_DNS_TIMEOUT_MS, 0, 0 };
		pfd[i] = (struct pollfd){ .fd = -1, .events = POLLIN };
		if (fd >= 0 && send(fd, q, qlen, 0) < 0) {
			int e = errno;

			close(fd);
			fd = -e;
		}
		if (fd < 0)
			out[i] = (struct doctor_dns_result){ DOCTOR_DNS_ERROR, 0, 0, -fd };
		else
			pfd[i].fd = fd;
		fds[i] = fd;
	}
	doctor_dns_wait(pfd, n, out, start);
	for (size_t i = 0; i < n; i++)
		if (fds[i] >= 0)
			close(fds[i]);
}
