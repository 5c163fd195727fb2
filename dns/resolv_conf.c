/* resolv.conf nameserver lines. */
#include <arpa/inet.h>
#include <string.h>
#include <sys/socket.h>

#include "dns_const.h"
#include "resolv_conf.h"

#define RESOLV_ADDR_TEXT_MAX 64

static int resolv_blank(char c)
{
	return c == ' ' || c == '\t' || c == '\r';
}

static int resolv_has(const struct resolv_conf *rc, const struct dns_server_addr *a)
{
	for (size_t i = 0; i < rc->n_servers; i++)
		if (rc->servers[i].family == a->family &&
		    memcmp(rc->servers[i].addr, a->addr, sizeof(a->addr)) == 0)
			return 1;
	return 0;
}

/* One address word (w, n bytes) of a nameserver line. */
static int resolv_addr(const char *w, size_t n, struct dns_server_addr *a)
{
	char text[RESOLV_ADDR_TEXT_MAX];

	if (n == 0 || n >= sizeof(text) || memchr(w, '%', n))
		return -1;
	memcpy(text, w, n);
	text[n] = '\0';
	memset(a, 0, sizeof(*a));
	a->port = DNS_PORT;
	if (inet_pton(AF_INET, text, a->addr) == 1) {
		a->family = AF_INET;
		return 0;
	}
	if (inet_pton(AF_INET6, text, a->addr) == 1) {
		a->family = AF_INET6;
		return 0;
	}
	return -1;
}

static void resolv_line(const char *l, size_t n, struct resolv_conf *rc)
{
	static const char kw[] = "nameserver";
	struct dns_server_addr a;
	size_t i = sizeof(kw) - 1, start;

	if (n <= i || memcmp(l, kw, i) != 0 || !resolv_blank(l[i]))
		return;
	while (i < n && resolv_blank(l[i]))
		i++;
	start = i;
	while (i < n && !resolv_blank(l[i]) && l[i] != '#' && l[i] != ';')
		i++;
	if (resolv_addr(l + start, i - start, &a) < 0) {
		rc->n_ignored++;
		return;
	}
	if (resolv_has(rc, &a))
		return;
	if (rc->n_servers == RESOLV_CONF_MAX_SERVERS) {
		rc->n_ignored++;
		return;
	}
	rc->servers[rc->n_servers++] = a;
}

void resolv_conf_parse(const char *s, size_t n, struct resolv_conf *out)
{
	size_t off = 0;

	memset(out, 0, sizeof(*out));
	if (!s)
		return;
	while (off < n) {
		const char *nl = memchr(s + off, '\n', n - off);
		size_t end = nl ? (size_t)(nl - s) : n;

		resolv_line(s + off, end - off, out);
		off = end + 1;
	}
}

int resolv_conf_same(const struct dns_server_addr *a, size_t na,
		     const struct dns_server_addr *b, size_t nb)
{
	if (na != nb)
		return 0;
	for (size_t i = 0; i < na; i++)
		if (a[i].family != b[i].family || a[i].port != b[i].port ||
		    memcmp(a[i].addr, b[i].addr, sizeof(a[i].addr)) != 0)
			return 0;
	return 1;
}
