/* defnet.conf: systemd-style INI. One pass over the lines sets the keys;
 * a second pass checks what only the whole file can tell (a Pool or a
 * Reservation against a Subnet given anywhere in the file). As in systemd,
 * an empty value resets a key, and the last assignment of a key wins,
 * except Reservation=, which repeats: each line adds one reservation and
 * an empty one clears those before it. */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include "config.h"
#include "subnet.h"

#define CONFIG_LINE_MAX 4096
#define CONFIG_FILE_MAX (1024 * 1024)
#define CONFIG_QUOTE_MAX 64
#define CONFIG_QUOTE_SIZE (CONFIG_QUOTE_MAX + 4)  /* "..." + NUL */

#define CONFIG_LEASE_DEFAULT 3600
#define CONFIG_LEASE_MIN 60
#define CONFIG_LEASE_MAX (30 * 86400)

#define CONFIG_DEFAULT_BRIDGE "defnet0"
#define CONFIG_DEFAULT_RESOLV_CONF "/etc/resolv.conf"

struct config_parser {
	struct config *c;
	struct config_error *err;
	unsigned line;
	const char *section;   /* from config_keys[]; NULL before any header */
	const char *key;       /* from config_keys[] */
	char quoted[CONFIG_QUOTE_SIZE];  /* the value, printable, for messages */
	unsigned subnet_line;
	unsigned pool_line;
	unsigned *res_lines;   /* line of each reservation, 0 if not from buf */
	size_t res_cap;        /* entries allocated in both arrays */
};

struct config_key {
	const char *section;
	const char *key;
	int (*set)(struct config_parser *p, const char *v, size_t n);
};

void config_init(struct config *c)
{
	memset(c, 0, sizeof(*c));
	c->log_level = LOG_LEVEL_INFO;
	strcpy(c->bridge, CONFIG_DEFAULT_BRIDGE);
	c->subnet_auto = true;
	c->ipv6 = true;
	c->prefix6_auto = true;
	c->lease_time = CONFIG_LEASE_DEFAULT;
	c->pool_auto = true;
	c->rate_limit = CONFIG_RATE_LIMIT_DEFAULT;
	c->rate_limit_port = CONFIG_RATE_LIMIT_PORT_DEFAULT;
	c->leases_per_port = CONFIG_LEASES_PER_PORT_DEFAULT;
	c->upstream_auto = true;
	strcpy(c->resolv_conf, CONFIG_DEFAULT_RESOLV_CONF);
	c->mdns_enable = true;
	c->masquerade = true;
	c->docker_compat = false;
	c->guard_dhcp_servers = true;
	c->guard_router_ads = true;
	c->guard_spoof = false;
}

void config_free(struct config *c)
{
	free(c->reservations);
	c->reservations = NULL;
	c->n_reservations = 0;
}

/* ---- small text helpers ---- */

static bool config_is_space(char ch)
{
	return ch == ' ' || ch == '\t' || ch == '\r' || ch == '\v' || ch == '\f';
}

static bool config_is_digit(char ch)
{
	return ch >= '0' && ch <= '9';
}

static bool config_is_alnum(char ch)
{
	return config_is_digit(ch) || (ch >= 'a' && ch <= 'z') ||
	       (ch >= 'A' && ch <= 'Z');
}

static void config_trim(const char **s, size_t *n)
{
	while (*n > 0 && config_is_space(**s)) {
		(*s)++;
		(*n)--;
	}
	while (*n > 0 && config_is_space((*s)[*n - 1]))
		(*n)--;
}

static bool config_eq(const char *s, size_t n, const char *word)
{
	return strlen(word) == n && memcmp(s, word, n) == 0;
}

/* The next whitespace-separated token at or after *pos, or false. */
static bool config_token(const char *s, size_t n, size_t *pos,
			 const char **tok, size_t *tok_n)
{
	size_t i = *pos;

	while (i < n && config_is_space(s[i]))
		i++;
	if (i == n)
		return false;
	*tok = s + i;
	while (i < n && !config_is_space(s[i]))
		i++;
	*tok_n = (size_t)(s + i - *tok);
	*pos = i;
	return true;
}

/* User text made safe to print: control and non-ASCII bytes become '?',
 * long text is cut with "...". */
static const char *config_quote(const char *s, size_t n,
				char buf[CONFIG_QUOTE_SIZE])
{
	size_t i, shown = n > CONFIG_QUOTE_MAX ? CONFIG_QUOTE_MAX : n;

	for (i = 0; i < shown; i++)
		buf[i] = (s[i] >= 0x20 && s[i] < 0x7f) ? s[i] : '?';
	if (shown < n) {
		memcpy(buf + shown, "...", 3);
		shown += 3;
	}
	buf[shown] = '\0';
	return buf;
}

/* A decimal number without leading zeros (except "0"), at most max. */
static int config_parse_uint(const char *s, size_t n, uint32_t max,
			     uint32_t *out)
{
	uint64_t v = 0;
	size_t i;

	if (n == 0 || n > 10 || (n > 1 && s[0] == '0'))
		return -EINVAL;
	for (i = 0; i < n; i++) {
		if (!config_is_digit(s[i]))
			return -EINVAL;
		v = v * 10 + (uint64_t)(s[i] - '0');
	}
	if (v > max)
		return -EINVAL;
	*out = (uint32_t)v;
	return 0;
}

/* ---- errors ---- */

static int config_fail(struct config_error *err, unsigned line,
		       const char *fmt, ...) __attribute__((format(printf, 3, 4)));

static int config_fail(struct config_error *err, unsigned line,
		       const char *fmt, ...)
{
	va_list ap;

	err->line = line;
	va_start(ap, fmt);
	vsnprintf(err->msg, sizeof(err->msg), fmt, ap);
	va_end(ap);
	return -EINVAL;
}

/* "[Section] Key: " and the rest, at the parser's current line. */
static int config_bad(struct config_parser *p, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

static int config_bad(struct config_parser *p, const char *fmt, ...)
{
	struct config_error *err = p->err;
	va_list ap;
	int used;

	err->line = p->line;
	used = snprintf(err->msg, sizeof(err->msg), "[%s] %s: ", p->section,
			p->key);
	if (used > 0 && (size_t)used < sizeof(err->msg)) {
		va_start(ap, fmt);
		vsnprintf(err->msg + used, sizeof(err->msg) - (size_t)used, fmt,
			  ap);
		va_end(ap);
	}
	return -EINVAL;
}

/* ---- value parsers shared by several keys ---- */

static int config_parse_bool(const char *v, size_t n, bool *out)
{
	static const char *const yes[] = { "yes", "true", "on", "1" };
	static const char *const no[] = { "no", "false", "off", "0" };
	size_t i;

	for (i = 0; i < sizeof(yes) / sizeof(yes[0]); i++) {
		if (strlen(yes[i]) == n && strncasecmp(v, yes[i], n) == 0) {
			*out = true;
			return 0;
		}
		if (strlen(no[i]) == n && strncasecmp(v, no[i], n) == 0) {
			*out = false;
			return 0;
		}
	}
	return -EINVAL;
}

static int config_set_bool(struct config_parser *p, const char *v, size_t n,
			   bool *field, bool dflt)
{
	if (n == 0) {
		*field = dflt;
		return 0;
	}
	if (config_parse_bool(v, n, field) < 0)
		return config_bad(p, "'%s' is not a boolean (use yes or no)",
				  p->quoted);
	return 0;
}

/* RFC 1123 2.1: letters, digits and hyphens, 1..63 characters, neither
 * starting nor ending with a hyphen (a leading digit is allowed). */
static bool config_is_label(const char *s, size_t n)
{
	size_t i;

	if (n == 0 || n > CONFIG_HOSTNAME_MAX || s[0] == '-' || s[n - 1] == '-')
		return false;
	for (i = 0; i < n; i++)
		if (!config_is_alnum(s[i]) && s[i] != '-')
			return false;
	return true;
}

/* Durations: plain seconds ("3600") or number+unit groups ("90s", "1h30m").
 * Big numbers saturate rather than wrap, so "99999999999d" is too long,
 * not short. */
static int config_parse_duration(const char *v, size_t n, uint64_t *out)
{
	uint64_t total = 0;
	size_t i = 0;

	if (n == 0)
		return -EINVAL;
	while (i < n) {
		uint64_t num = 0, mult;
		size_t start = i;

		for (; i < n && config_is_digit(v[i]); i++)
			if (num < UINT32_MAX)
				num = num * 10 + (uint64_t)(v[i] - '0');
		if (i == start)
			return -EINVAL;
		if (i == n) {
			/* A bare number is seconds only when it stands alone. */
			if (start != 0)
				return -EINVAL;
			mult = 1;
		} else {
			switch (v[i++]) {
			case 's': mult = 1; break;
			case 'm': mult = 60; break;
			case 'h': mult = 3600; break;
			case 'd': mult = 86400; break;
			default: return -EINVAL;
			}
		}
		total += num * mult;
		if (total > UINT32_MAX)
			total = UINT32_MAX;
	}
	*out = total;
	return 0;
}

/* ---- [Daemon] ---- */

static int config_set_log_level(struct config_parser *p, const char *v,
				size_t n)
{
	static const struct {
		const char *name;
		enum log_level level;
	} levels[] = {
		{ "error", LOG_LEVEL_ERROR },
		{ "warning", LOG_LEVEL_WARNING },
		{ "info", LOG_LEVEL_INFO },
		{ "debug", LOG_LEVEL_DEBUG },
	};
	size_t i;

	if (n == 0) {
		p->c->log_level = LOG_LEVEL_INFO;
		return 0;
	}
	for (i = 0; i < sizeof(levels) / sizeof(levels[0]); i++) {
		if (config_eq(v, n, levels[i].name)) {
			p->c->log_level = levels[i].level;
			return 0;
		}
	}
	return config_bad(p, "'%s' is not a log level (use error, warning, info or debug)",
			  p->quoted);
}

/* ---- [Network] ---- */

/* The kernel's dev_valid_name(): 1..15 bytes, not "." or "..", no '/',
 * ':' or whitespace. Control characters are refused too. */
static bool config_is_ifname(const char *v, size_t n)
{
	size_t i;

	if (n == 0 || n >= IFNAMSIZ || config_eq(v, n, ".") ||
	    config_eq(v, n, ".."))
		return false;
	for (i = 0; i < n; i++) {
		unsigned char ch = (unsigned char)v[i];

		if (ch <= 0x20 || ch == 0x7f || ch == '/' || ch == ':')
			return false;
	}
	return true;
}

static int config_set_bridge(struct config_parser *p, const char *v, size_t n)
{
	if (n == 0) {
		strcpy(p->c->bridge, CONFIG_DEFAULT_BRIDGE);
		return 0;
	}
	if (!config_is_ifname(v, n))
		return config_bad(p, "'%s' is not an interface name (1 to 15 characters, no '/', ':' or spaces)",
				  p->quoted);
	memcpy(p->c->bridge, v, n);
	p->c->bridge[n] = '\0';
	return 0;
}

static int config_set_subnet(struct config_parser *p, const char *v, size_t n)
{
	const char *slash = memchr(v, '/', n);
	char fixed[IP4_PREFIX_STRLEN];
	struct ip4_prefix s;
	uint32_t addr, len;

	p->subnet_line = p->line;
	if (n == 0 || config_eq(v, n, "auto")) {
		p->c->subnet_auto = true;
		return 0;
	}
	if (!slash || ip4_parse(v, (size_t)(slash - v), &addr) < 0 ||
	    config_parse_uint(slash + 1, n - (size_t)(slash - v) - 1, 32,
			      &len) < 0)
		return config_bad(p, "'%s' is not auto or a CIDR such as 172.20.48.0/20",
				  p->quoted);
	s.addr = addr & ip4_mask((uint8_t)len);
	s.len = (uint8_t)len;
	if (s.addr != addr)
		return config_bad(p, "'%s' has host bits set; did you mean %s?",
				  p->quoted, ip4_prefix_format(s, fixed));
	/* /31 and /32 leave no address for a guest beside the gateway. */
	if (len < 8 || len > 30)
		return config_bad(p, "'%s': the prefix length must be between 8 and 30",
				  p->quoted);
	p->c->subnet_auto = false;
	p->c->subnet = s;
	return 0;
}

static int config_set_ipv6(struct config_parser *p, const char *v, size_t n)
{
	return config_set_bool(p, v, n, &p->c->ipv6, true);
}

/* A /64: SLAAC forms addresses from 64-bit interface identifiers
 * (RFC 4862 5.5.3, RFC 7421). */
static int config_set_prefix6(struct config_parser *p, const char *v, size_t n)
{
	struct ip6_prefix s;

	if (n == 0 || config_eq(v, n, "auto")) {
		p->c->prefix6_auto = true;
		return 0;
	}
	if (ip6_prefix_parse(v, n, &s) < 0)
		return config_bad(p, "'%s' is not auto or an IPv6 prefix such as "
				  "fd12:3456:789a:1::/64 (host bits zero)", p->quoted);
	if (s.len != IP6_GUEST_LEN)
		return config_bad(p, "'%s': the prefix length must be 64 (SLAAC needs a /64)",
				  p->quoted);
	p->c->prefix6_auto = false;
	p->c->prefix6 = s;
	return 0;
}

/* A DNS name of RFC 1123 labels, at most 253 characters without the
 * optional trailing dot. */
static bool config_is_domain(const char *v, size_t n)
{
	size_t start = 0, i;

	if (n == 0 || n > CONFIG_DOMAIN_MAX)
		return false;
	for (i = 0; i <= n; i++) {
		if (i < n && v[i] != '.')
			continue;
		if (!config_is_label(v + start, i - start))
			return false;
		start = i + 1;
	}
	return true;
}

/* RFC 6762 3: names under "local." belong to multicast DNS. */
static bool config_is_mdns_name(const char *v, size_t n)
{
	return (n == 5 && strncasecmp(v, "local", 5) == 0) ||
	       (n > 6 && strncasecmp(v + n - 6, ".local", 6) == 0);
}

static int config_set_domain(struct config_parser *p, const char *v, size_t n)
{
	if (n > 1 && v[n - 1] == '.')
		n--;
	if (n == 0) {
		p->c->domain[0] = '\0';
		return 0;
	}
	if (!config_is_domain(v, n))
		return config_bad(p, "'%s' is not a domain name (labels of letters, digits and '-', at most 253 characters)",
				  p->quoted);
	if (config_is_mdns_name(v, n))
		return config_bad(p, "'%s' is for multicast DNS (guests are already NAME.local); pick another, e.g. internal",
				  p->quoted);
	memcpy(p->c->domain, v, n);
	p->c->domain[n] = '\0';
	return 0;
}

/* ---- [DHCP] ---- */

static int config_set_lease_time(struct config_parser *p, const char *v,
				 size_t n)
{
	uint64_t secs;

	if (n == 0) {
		p->c->lease_time = CONFIG_LEASE_DEFAULT;
		return 0;
	}
	if (config_parse_duration(v, n, &secs) < 0)
		return config_bad(p, "'%s' is not a duration (use e.g. 30m, 1h, 2d)",
				  p->quoted);
	if (secs < CONFIG_LEASE_MIN)
		return config_bad(p, "'%s' is shorter than the minimum of 60s",
				  p->quoted);
	if (secs > CONFIG_LEASE_MAX)
		return config_bad(p, "'%s' is longer than the maximum of 30d",
				  p->quoted);
	p->c->lease_time = (uint32_t)secs;
	return 0;
}

static int config_set_pool(struct config_parser *p, const char *v, size_t n)
{
	const char *dash = memchr(v, '-', n);
	const char *a, *b;
	size_t an, bn;
	uint32_t first, last;

	p->pool_line = p->line;
	if (n == 0 || config_eq(v, n, "auto")) {
		p->c->pool_auto = true;
		return 0;
	}
	if (!dash)
		goto bad;
	a = v;
	an = (size_t)(dash - v);
	b = dash + 1;
	bn = n - an - 1;
	config_trim(&a, &an);
	config_trim(&b, &bn);
	if (ip4_parse(a, an, &first) < 0 || ip4_parse(b, bn, &last) < 0)
		goto bad;
	if (first > last)
		return config_bad(p, "'%s' ends before it starts", p->quoted);
	p->c->pool_auto = false;
	p->c->pool_first = first;
	p->c->pool_last = last;
	return 0;
bad:
	return config_bad(p, "'%s' is not auto or a range such as 172.20.48.100-172.20.48.200",
			  p->quoted);
}

/* New leases per second: a number, or off (no limit). */
static int config_set_rate(struct config_parser *p, const char *v, size_t n,
			   uint32_t *out, uint32_t dflt)
{
	uint32_t rate;

	if (n == 0) {
		*out = dflt;
		return 0;
	}
	if (config_eq(v, n, "off")) {
		*out = 0;
		return 0;
	}
	if (config_parse_uint(v, n, CONFIG_RATE_LIMIT_MAX, &rate) < 0 || rate == 0)
		return config_bad(p, "'%s' is not off or a number of new leases per second (1 to %d)",
				  p->quoted, CONFIG_RATE_LIMIT_MAX);
	*out = rate;
	return 0;
}

static int config_set_rate_limit(struct config_parser *p, const char *v, size_t n)
{
	return config_set_rate(p, v, n, &p->c->rate_limit, CONFIG_RATE_LIMIT_DEFAULT);
}

static int config_set_rate_limit_port(struct config_parser *p, const char *v, size_t n)
{
	return config_set_rate(p, v, n, &p->c->rate_limit_port, CONFIG_RATE_LIMIT_PORT_DEFAULT);
}

/* Live leases per bridge port: a number, or off (no cap). */
static int config_set_leases_per_port(struct config_parser *p, const char *v, size_t n)
{
	uint32_t cap;

	if (n == 0) {
		p->c->leases_per_port = CONFIG_LEASES_PER_PORT_DEFAULT;
		return 0;
	}
	if (config_eq(v, n, "off")) {
		p->c->leases_per_port = 0;
		return 0;
	}
	if (config_parse_uint(v, n, CONFIG_LEASES_PER_PORT_MAX, &cap) < 0 || cap == 0)
		return config_bad(p, "'%s' is not off or a number of leases (1 to %d)",
				  p->quoted, CONFIG_LEASES_PER_PORT_MAX);
	p->c->leases_per_port = cap;
	return 0;
}

static bool config_is_unicast_mac(const uint8_t mac[6])
{
	static const uint8_t zero[6];

	/* The I/G bit (first octet, bit 0) marks group addresses. */
	return !(mac[0] & 1) && memcmp(mac, zero, sizeof(zero)) != 0;
}

/* An address a guest can hold: not in 0/8, 127/8, or 224/3 (multicast,
 * reserved, broadcast). */
static bool config_is_guest_ip(uint32_t ip)
{
	uint8_t first = (uint8_t)(ip >> 24);

	return first != 0 && first != 127 && first < 224;
}

static int config_res_grow(struct config_parser *p)
{
	struct config *c = p->c;
	struct config_reservation *res;
	unsigned *lines;
	bool fresh = p->res_lines == NULL;
	size_t cap;

	if (!fresh && c->n_reservations < p->res_cap)
		return 0;
	cap = c->n_reservations < 8 ? 16 : c->n_reservations * 2;
	if (cap > CONFIG_MAX_RESERVATIONS)
		cap = CONFIG_MAX_RESERVATIONS;
	res = reallocarray(c->reservations, cap, sizeof(*res));
	if (!res)
		return -ENOMEM;
	c->reservations = res;
	lines = reallocarray(p->res_lines, cap, sizeof(*lines));
	if (!lines)
		return -ENOMEM;
	/* Reservations already in *c before this parse have no line. */
	if (fresh)
		memset(lines, 0, c->n_reservations * sizeof(*lines));
	p->res_lines = lines;
	p->res_cap = cap;
	return 0;
}

static const char *config_line_ref(unsigned line, char buf[32])
{
	if (line == 0)
		return "";
	snprintf(buf, 32, " on line %u", line);
	return buf;
}

/* Two reservations may share neither MAC, nor IP, nor a non-empty name. */
static int config_res_check_unique(struct config_parser *p,
				   const struct config_reservation *r)
{
	const struct config *c = p->c;
	char text[MAC_STRLEN], ref[32];
	size_t i;

	for (i = 0; i < c->n_reservations; i++) {
		const struct config_reservation *o = &c->reservations[i];
		const char *at = config_line_ref(p->res_lines[i], ref);

		if (memcmp(o->mac, r->mac, sizeof(r->mac)) == 0)
			return config_bad(p, "MAC %s is already reserved%s",
					  mac_format(r->mac, text), at);
		if (o->ip == r->ip)
			return config_bad(p, "IP %s is already reserved%s",
					  ip4_format(r->ip, text), at);
		if (r->name[0] && strcasecmp(o->name, r->name) == 0)
			return config_bad(p, "name '%s' is already reserved%s",
					  r->name, at);
	}
	return 0;
}

static int config_res_parse(struct config_parser *p, const char *v, size_t n,
			    struct config_reservation *r)
{
	const char *tok[4];
	size_t tok_n[4], pos = 0, count = 0;
	char q[CONFIG_QUOTE_SIZE];

	while (count < 4 && config_token(v, n, &pos, &tok[count], &tok_n[count]))
		count++;
	if (count < 2 || count > 3)
		return config_bad(p, "'%s' is not MAC IP [NAME]", p->quoted);
	if (mac_parse(tok[0], tok_n[0], r->mac) < 0)
		return config_bad(p, "'%s' is not a MAC address such as 52:54:00:12:34:56",
				  config_quote(tok[0], tok_n[0], q));
	if (!config_is_unicast_mac(r->mac))
		return config_bad(p, "'%s' is not a unicast MAC address",
				  config_quote(tok[0], tok_n[0], q));
	if (ip4_parse(tok[1], tok_n[1], &r->ip) < 0)
		return config_bad(p, "'%s' is not an IPv4 address",
				  config_quote(tok[1], tok_n[1], q));
	if (!config_is_guest_ip(r->ip))
		return config_bad(p, "'%s' cannot be a guest's address",
				  config_quote(tok[1], tok_n[1], q));
	r->name[0] = '\0';
	if (count == 3) {
		if (!config_is_label(tok[2], tok_n[2]))
			return config_bad(p, "'%s' is not a host name (letters, digits and '-', at most 63)",
					  config_quote(tok[2], tok_n[2], q));
		memcpy(r->name, tok[2], tok_n[2]);
		r->name[tok_n[2]] = '\0';
	}
	return 0;
}

static int config_set_reservation(struct config_parser *p, const char *v,
				  size_t n)
{
	struct config *c = p->c;
	struct config_reservation r;
	int ret;

	if (n == 0) {
		c->n_reservations = 0;
		return 0;
	}
	ret = config_res_parse(p, v, n, &r);
	if (ret < 0)
		return ret;
	if (c->n_reservations >= CONFIG_MAX_RESERVATIONS)
		return config_bad(p, "more than %d reservations",
				  CONFIG_MAX_RESERVATIONS);
	ret = config_res_grow(p);
	if (ret < 0) {
		config_fail(p->err, p->line, "out of memory");
		return ret;
	}
	ret = config_res_check_unique(p, &r);
	if (ret < 0)
		return ret;
	p->res_lines[c->n_reservations] = p->line;
	c->reservations[c->n_reservations++] = r;
	return 0;
}

/* ---- [DNS] ---- */

static int config_parse_port(const char *s, size_t n, uint16_t *out)
{
	uint32_t port;

	if (config_parse_uint(s, n, UINT16_MAX, &port) < 0 || port == 0)
		return -EINVAL;
	*out = (uint16_t)port;
	return 0;
}

static int config_parse_ip6(const char *s, size_t n, uint8_t out[16])
{
	char text[INET6_ADDRSTRLEN];

	if (n == 0 || n >= sizeof(text))
		return -EINVAL;
	memcpy(text, s, n);
	text[n] = '\0';
	return inet_pton(AF_INET6, text, out) == 1 ? 0 : -EINVAL;
}

/* "1.2.3.4", "1.2.3.4:5353", "2001:db8::1", "[2001:db8::1]" or
 * "[2001:db8::1]:5353". An IPv6 address always has two colons or more,
 * which tells a bare one from IPv4 with a port. */
static int config_parse_upstream(const char *s, size_t n,
				 struct config_upstream *u)
{
	const char *colon = memchr(s, ':', n);
	uint32_t ip;

	memset(u, 0, sizeof(*u));
	u->port = DNS_PORT;
	if (n > 0 && s[0] == '[') {
		const char *close = memchr(s, ']', n);
		size_t after;

		if (!close)
			return -EINVAL;
		after = n - (size_t)(close - s) - 1;
		if (after > 0 && (close[1] != ':' ||
				  config_parse_port(close + 2, after - 1, &u->port) < 0))
			return -EINVAL;
		u->family = AF_INET6;
		return config_parse_ip6(s + 1, (size_t)(close - s) - 1, u->addr);
	}
	if (colon && memchr(colon + 1, ':', n - (size_t)(colon - s) - 1)) {
		u->family = AF_INET6;
		return config_parse_ip6(s, n, u->addr);
	}
	if (colon && config_parse_port(colon + 1, n - (size_t)(colon - s) - 1,
				       &u->port) < 0)
		return -EINVAL;
	if (ip4_parse(s, colon ? (size_t)(colon - s) : n, &ip) < 0)
		return -EINVAL;
	u->family = AF_INET;
	u->addr[0] = (uint8_t)(ip >> 24);
	u->addr[1] = (uint8_t)(ip >> 16);
	u->addr[2] = (uint8_t)(ip >> 8);
	u->addr[3] = (uint8_t)ip;
	return 0;
}

static int config_set_upstream(struct config_parser *p, const char *v,
			       size_t n)
{
	struct config *c = p->c;
	const char *tok;
	size_t tok_n, pos = 0, count = 0;
	char q[CONFIG_QUOTE_SIZE];

	c->n_upstreams = 0;
	c->upstream_auto = true;
	if (n == 0 || config_eq(v, n, "auto"))
		return 0;
	while (config_token(v, n, &pos, &tok, &tok_n)) {
		if (config_eq(tok, tok_n, "auto"))
			return config_bad(p, "auto cannot be mixed with addresses");
		if (count == CONFIG_MAX_UPSTREAMS)
			return config_bad(p, "more than %d servers",
					  CONFIG_MAX_UPSTREAMS);
		if (config_parse_upstream(tok, tok_n, &c->upstreams[count]) < 0)
			return config_bad(p, "'%s' is not an IPv4 or IPv6 address (with an optional port: 192.0.2.1:5353, [2001:db8::1]:5353)",
					  config_quote(tok, tok_n, q));
		count++;
	}
	c->upstream_auto = false;
	c->n_upstreams = count;
	return 0;
}

static int config_set_resolv_conf(struct config_parser *p, const char *v,
				  size_t n)
{
	size_t i;

	if (n == 0) {
		strcpy(p->c->resolv_conf, CONFIG_DEFAULT_RESOLV_CONF);
		return 0;
	}
	if (v[0] != '/' || n >= sizeof(p->c->resolv_conf))
		goto bad;
	for (i = 0; i < n; i++)
		if ((unsigned char)v[i] < 0x20 || v[i] == 0x7f)
			goto bad;
	memcpy(p->c->resolv_conf, v, n);
	p->c->resolv_conf[n] = '\0';
	return 0;
bad:
	return config_bad(p, "'%s' is not an absolute path (at most %zu characters)",
			  p->quoted, sizeof(p->c->resolv_conf) - 1);
}

/* ---- [MDNS], [NAT] ---- */

static int config_set_mdns_enable(struct config_parser *p, const char *v,
				  size_t n)
{
	return config_set_bool(p, v, n, &p->c->mdns_enable, true);
}

static int config_set_masquerade(struct config_parser *p, const char *v,
				 size_t n)
{
	return config_set_bool(p, v, n, &p->c->masquerade, true);
}

static int config_set_docker_compat(struct config_parser *p, const char *v,
				    size_t n)
{
	return config_set_bool(p, v, n, &p->c->docker_compat, false);
}

/* ---- [Forward] ---- */

/* Port= repeats like Reservation=: each line adds a forward, an empty one
 * clears those before it. */
static int config_set_forward(struct config_parser *p, const char *v, size_t n)
{
	struct forward_table *t = &p->c->forwards;
	struct forward f;
	const char *why;
	int i;

	if (n == 0) {
		t->n = 0;
		return 0;
	}
	if (forward_parse(v, n, &f, &why) < 0)
		return config_bad(p, "'%s': %s", p->quoted, why);
	f.from_config = true;
	i = forward_table_find(t, f.proto, f.port);
	if (i >= 0)
		return config_bad(p, "%s port %u is already forwarded (to %s)",
				  forward_proto_name(f.proto), f.port, t->v[i].guest);
	if (forward_table_add(t, &f) < 0)
		return config_bad(p, "more than %d forwards", FORWARD_MAX);
	return 0;
}

/* ---- [Guard] ---- */

/* deny|allow: deny drops what the guard names (the default). */
static int config_set_guard(struct config_parser *p, const char *v, size_t n, bool *deny)
{
	if (n == 0 || config_eq(v, n, "deny"))
		*deny = true;
	else if (config_eq(v, n, "allow"))
		*deny = false;
	else
		return config_bad(p, "'%s' is neither deny nor allow", p->quoted);
	return 0;
}

static int config_set_guard_dhcp(struct config_parser *p, const char *v, size_t n)
{
	return config_set_guard(p, v, n, &p->c->guard_dhcp_servers);
}

static int config_set_guard_ra(struct config_parser *p, const char *v, size_t n)
{
	return config_set_guard(p, v, n, &p->c->guard_router_ads);
}

static int config_set_guard_spoof(struct config_parser *p, const char *v, size_t n)
{
	return config_set_bool(p, v, n, &p->c->guard_spoof, false);
}

static const struct config_key config_keys[] = {
	{ "Daemon", "LogLevel", config_set_log_level },
	{ "Network", "Bridge", config_set_bridge },
	{ "Network", "Subnet", config_set_subnet },
	{ "Network", "Domain", config_set_domain },
	{ "Network", "IPv6", config_set_ipv6 },
	{ "Network", "Prefix6", config_set_prefix6 },
	{ "DHCP", "LeaseTime", config_set_lease_time },
	{ "DHCP", "Pool", config_set_pool },
	{ "DHCP", "Reservation", config_set_reservation },
	{ "DHCP", "RateLimit", config_set_rate_limit },
	{ "DHCP", "RateLimitPerPort", config_set_rate_limit_port },
	{ "DHCP", "LeasesPerPort", config_set_leases_per_port },
	{ "DNS", "Upstream", config_set_upstream },
	{ "DNS", "ResolvConf", config_set_resolv_conf },
	{ "MDNS", "Enable", config_set_mdns_enable },
	{ "NAT", "Masquerade", config_set_masquerade },
	{ "NAT", "DockerCompat", config_set_docker_compat },
	{ "Forward", "Port", config_set_forward },
	{ "Guard", "DHCPServers", config_set_guard_dhcp },
	{ "Guard", "RouterAdvertisements", config_set_guard_ra },
	{ "Guard", "SpoofProtection", config_set_guard_spoof },
};

#define CONFIG_N_KEYS (sizeof(config_keys) / sizeof(config_keys[0]))

/* ---- lines ---- */

static int config_parse_section(struct config_parser *p, const char *s,
				size_t n)
{
	char q[CONFIG_QUOTE_SIZE];
	size_t i;

	if (n < 3 || s[n - 1] != ']')
		return config_fail(p->err, p->line,
				   "'%s' is not a section header such as [DHCP]",
				   config_quote(s, n, q));
	for (i = 0; i < CONFIG_N_KEYS; i++) {
		if (config_eq(s + 1, n - 2, config_keys[i].section)) {
			p->section = config_keys[i].section;
			return 0;
		}
	}
	return config_fail(p->err, p->line, "unknown section [%s]",
			   config_quote(s + 1, n - 2, q));
}

static int config_parse_assignment(struct config_parser *p, const char *s,
				   size_t n)
{
	const char *eq = memchr(s, '=', n);
	const char *key = s, *v;
	size_t key_n, v_n, i;
	char q[CONFIG_QUOTE_SIZE];

	if (!eq)
		return config_fail(p->err, p->line,
				   "'%s' is not a [Section] header, a Key=value line or a # comment",
				   config_quote(s, n, q));
	key_n = (size_t)(eq - s);
	v = eq + 1;
	v_n = n - key_n - 1;
	config_trim(&key, &key_n);
	config_trim(&v, &v_n);
	if (key_n == 0)
		return config_fail(p->err, p->line, "'%s' has no key before '='",
				   config_quote(s, n, q));
	if (!p->section)
		return config_fail(p->err, p->line,
				   "%s: key outside any section (put it under its [Section] header)",
				   config_quote(key, key_n, q));
	for (i = 0; i < CONFIG_N_KEYS; i++) {
		const struct config_key *k = &config_keys[i];

		if (strcmp(k->section, p->section) == 0 &&
		    config_eq(key, key_n, k->key)) {
			p->key = k->key;
			config_quote(v, v_n, p->quoted);
			return k->set(p, v, v_n);
		}
	}
	return config_fail(p->err, p->line, "[%s] %s: unknown key", p->section,
			   config_quote(key, key_n, q));
}

static int config_parse_line(struct config_parser *p, const char *s, size_t n)
{
	if (n > CONFIG_LINE_MAX)
		return config_fail(p->err, p->line,
				   "line is longer than %d bytes", CONFIG_LINE_MAX);
	if (memchr(s, '\0', n))
		return config_fail(p->err, p->line, "NUL byte in the file");
	/* Trimming removes the '\r' of CRLF line ends too. */
	config_trim(&s, &n);
	if (n == 0 || s[0] == '#' || s[0] == ';')
		return 0;
	if (s[0] == '[')
		return config_parse_section(p, s, n);
	return config_parse_assignment(p, s, n);
}

/* ---- checks that need the whole file ---- */

static unsigned config_max_line(unsigned a, unsigned b)
{
	return a > b ? a : b;
}

/* The network, gateway and broadcast addresses of s, or NULL. */
static const char *config_reserved_role(struct ip4_prefix s, uint32_t ip)
{
	if (ip == s.addr)
		return "network";
	if (ip == subnet_gateway(s))
		return "gateway";
	if (ip == ip4_prefix_last(s))
		return "broadcast";
	return NULL;
}

static int config_check_pool(struct config_parser *p)
{
	const struct config *c = p->c;
	char first[IP4_STRLEN], last[IP4_STRLEN], net[IP4_PREFIX_STRLEN];
	char addr[IP4_STRLEN];
	struct ip4_prefix s = c->subnet;
	uint32_t special[3];
	size_t i;

	p->section = "DHCP";
	p->key = "Pool";
	p->line = config_max_line(p->pool_line, p->subnet_line);
	if (c->subnet_auto)
		return config_bad(p, "Pool needs a fixed Subnet (Subnet=auto picks one at run time)");
	ip4_format(c->pool_first, first);
	ip4_format(c->pool_last, last);
	ip4_prefix_format(s, net);
	if (!ip4_prefix_contains(s, c->pool_first) ||
	    !ip4_prefix_contains(s, c->pool_last))
		return config_bad(p, "%s-%s is not inside Subnet %s", first,
				  last, net);
	special[0] = s.addr;
	special[1] = subnet_gateway(s);
	special[2] = ip4_prefix_last(s);
	for (i = 0; i < 3; i++) {
		if (special[i] >= c->pool_first && special[i] <= c->pool_last)
			return config_bad(p, "%s-%s contains %s, the %s address of Subnet %s",
					  first, last, ip4_format(special[i], addr),
					  config_reserved_role(s, special[i]), net);
	}
	return 0;
}

static int config_check_reservations(struct config_parser *p)
{
	const struct config *c = p->c;
	struct ip4_prefix s = c->subnet;
	char ip[IP4_STRLEN], net[IP4_PREFIX_STRLEN];
	size_t i;

	p->section = "DHCP";
	p->key = "Reservation";
	ip4_prefix_format(s, net);
	for (i = 0; i < c->n_reservations; i++) {
		const struct config_reservation *r = &c->reservations[i];
		const char *role = config_reserved_role(s, r->ip);

		p->line = config_max_line(p->res_lines ? p->res_lines[i] : 0,
					  p->subnet_line);
		ip4_format(r->ip, ip);
		if (!ip4_prefix_contains(s, r->ip))
			return config_bad(p, "%s is not inside Subnet %s", ip, net);
		if (role)
			return config_bad(p, "%s is the %s address of Subnet %s",
					  ip, role, net);
	}
	return 0;
}

static int config_check(struct config_parser *p)
{
	int r;

	if (!p->c->pool_auto) {
		r = config_check_pool(p);
		if (r < 0)
			return r;
	}
	if (!p->c->subnet_auto)
		return config_check_reservations(p);
	return 0;
}

int config_parse(struct config *c, const char *buf, size_t len,
		 struct config_error *err)
{
	struct config_parser p = {
		.c = c,
		.err = err,
		.res_cap = c->n_reservations,
	};
	size_t pos = 0;
	int r = 0;

	err->line = 0;
	err->msg[0] = '\0';
	while (pos < len && r == 0) {
		const char *nl = memchr(buf + pos, '\n', len - pos);
		size_t end = nl ? (size_t)(nl - buf) : len;

		p.line++;
		r = config_parse_line(&p, buf + pos, end - pos);
		pos = end + 1;
	}
	if (r == 0)
		r = config_check(&p);
	free(p.res_lines);
	if (r < 0) {
		config_free(c);
		config_init(c);
	}
	return r;
}

/* ---- files ---- */

static int config_fail_errno(struct config_error *err, int neg_errno,
			     const char *what)
{
	err->line = 0;
	snprintf(err->msg, sizeof(err->msg), "%s: %s", what,
		 strerror(-neg_errno));
	return neg_errno;
}

static int config_fail_size(struct config_error *err)
{
	err->line = 0;
	snprintf(err->msg, sizeof(err->msg),
		 "the file is larger than %d bytes", CONFIG_FILE_MAX);
	return -EFBIG;
}

/* Refuses what is not a regular file of at most CONFIG_FILE_MAX bytes. */
static int config_check_file(int fd, struct config_error *err)
{
	struct stat st;

	if (fstat(fd, &st) < 0)
		return config_fail_errno(err, -errno, "cannot read");
	if (S_ISDIR(st.st_mode))
		return config_fail_errno(err, -EISDIR, "cannot read");
	if (!S_ISREG(st.st_mode))
		return config_fail(err, 0, "cannot read: not a regular file");
	if (st.st_size > CONFIG_FILE_MAX)
		return config_fail_size(err);
	return 0;
}

/* Reads until end of file or until cap bytes; the length, or -errno. */
static ssize_t config_read_all(int fd, char *buf, size_t cap)
{
	size_t len = 0;

	while (len < cap) {
		ssize_t got = read(fd, buf + len, cap - len);

		if (got == 0)
			break;
		if (got < 0 && errno == EINTR)
			continue;
		if (got < 0)
			return -errno;
		len += (size_t)got;
	}
	return (ssize_t)len;
}

int config_load(struct config *c, const char *path, struct config_error *err)
{
	char *buf;
	ssize_t len;
	int fd, r;

	err->line = 0;
	err->msg[0] = '\0';
	/* O_NONBLOCK: opening a FIFO must not hang; the check refuses it. */
	fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);
	if (fd < 0) {
		if (errno == ENOENT)
			return 0;
		return config_fail_errno(err, -errno, "cannot open");
	}
	r = config_check_file(fd, err);
	if (r < 0)
		goto out_close;
	/* One byte more than allowed, to see a file that grew meanwhile. */
	buf = malloc(CONFIG_FILE_MAX + 1);
	if (!buf) {
		r = config_fail_errno(err, -ENOMEM, "cannot read");
		goto out_close;
	}
	len = config_read_all(fd, buf, CONFIG_FILE_MAX + 1);
	if (len < 0)
		r = config_fail_errno(err, (int)len, "cannot read");
	else if (len > CONFIG_FILE_MAX)
		r = config_fail_size(err);
	else
		r = config_parse(c, buf, (size_t)len, err);
	free(buf);
out_close:
	close(fd);
	return r;
}
