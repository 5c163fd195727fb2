/* The host's resolv.conf (resolv.conf(5)): only its nameserver lines
 * matter to the forwarder. Pure: text in, addresses out. */
#ifndef DEFNET_RESOLV_CONF_H
#define DEFNET_RESOLV_CONF_H

#include <stddef.h>
#include <stdint.h>

#define RESOLV_CONF_MAX_SERVERS 8
#define RESOLV_CONF_MAX_SIZE 65536   /* more than this is not read */

struct dns_server_addr {
	int family;          /* AF_INET or AF_INET6 */
	uint8_t addr[16];    /* network order, 4 or 16 bytes used */
	uint16_t port;
};

struct resolv_conf {
	struct dns_server_addr servers[RESOLV_CONF_MAX_SERVERS];
	size_t n_servers;
	size_t n_ignored;    /* nameserver lines we could not use */
};

/* Parses s (n bytes, need not be NUL-terminated). Like glibc: keywords at
 * the start of a line, '#' or ';' start a comment, one address per
 * nameserver line (IPv4 or IPv6; an IPv6 zone "%eth0" cannot be told to
 * c-ares, so such a line is ignored), the first RESOLV_CONF_MAX_SERVERS
 * kept, duplicates dropped. Port 53. Never fails: a file without a usable
 * nameserver gives n_servers 0 (glibc then asks 127.0.0.1). */
void resolv_conf_parse(const char *s, size_t n, struct resolv_conf *out);

/* Both lists hold the same servers in the same order. */
int resolv_conf_same(const struct dns_server_addr *a, size_t na,
		     const struct dns_server_addr *b, size_t nb);

#endif
