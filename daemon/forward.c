/* Port forwards: see forward.h. */
#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "forward.h"
#include "ip4.h"
#include "ip6.h"

#define FORWARD_WORD_MAX 5   /* "65535" */

static bool forward_eq(const char *s, size_t n, const char *word)
{
	return strlen(word) == n && strncasecmp(s, word, n) == 0;
}

static int forward_parse_proto(const char *s, size_t n, uint8_t *proto)
{
	if (forward_eq(s, n, "tcp"))
		*proto = IPPROTO_TCP;
	else if (forward_eq(s, n, "udp"))
		*proto = IPPROTO_UDP;
	else
		return -EINVAL;
	return 0;
}

static int forward_parse_port(const char *s, size_t n, uint16_t *port)
{
	uint32_t v = 0;

	if (n == 0 || n > FORWARD_WORD_MAX)
		return -EINVAL;
	for (size_t i = 0; i < n; i++) {
		if (s[i] < '0' || s[i] > '9')
			return -EINVAL;
		v = v * 10 + (uint32_t)(s[i] - '0');
	}
	if (v == 0 || v > UINT16_MAX)
		return -EINVAL;
	*port = (uint16_t)v;
	return 0;
}

/* RFC 1123 2.1: letters, digits and hyphens, not at either end. */
static bool forward_is_label(const char *s, size_t n)
{
	if (n == 0 || n > FORWARD_GUEST_MAX || s[0] == '-' || s[n - 1] == '-')
		return false;
	for (size_t i = 0; i < n; i++) {
		char c = s[i];

		if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
		      (c >= '0' && c <= '9') || c == '-'))
			return false;
	}
	return true;
}

/* 0/8, 127/8 and 224/3 are never a guest's. */
static bool forward_is_guest_ip(uint32_t ip)
{
	uint8_t first = (uint8_t)(ip >> 24);

	return first != 0 && first != 127 && first < 224;
}

/* An address, a unicast MAC or a name, in that order: "10" is a name, and
 * so is a label of digits. */
static int forward_parse_guest(const char *s, size_t n, struct forward *f)
{
	if (ip4_parse(s, n, &f->ip) == 0) {
		if (!forward_is_guest_ip(f->ip))
			return -EINVAL;
		f->kind = FORWARD_GUEST_IP;
		ip4_format(f->ip, f->guest);
		return 0;
	}
	if (mac_parse(s, n, f->mac) == 0) {
		if (f->mac[0] & 1)  /* the I/G bit: a group address */
			return -EINVAL;
		f->kind = FORWARD_GUEST_MAC;
		mac_format(f->mac, f->guest);
		return 0;
	}
	if (!forward_is_label(s, n))
		return -EINVAL;
	f->kind = FORWARD_GUEST_NAME;
	memcpy(f->guest, s, n);
	f->guest[n] = '\0';
	return 0;
}

static int forward_fill(const char *proto, size_t proto_n, const char *port, size_t port_n,
			const char *guest, size_t guest_n, const char *gport, size_t gport_n,
			struct forward *f, const char **why)
{
	memset(f, 0, sizeof(*f));
	if (forward_parse_proto(proto, proto_n, &f->proto) < 0) {
		*why = "PROTO is tcp or udp";
		return -EINVAL;
	}
	if (forward_parse_port(port, port_n, &f->port) < 0) {
		*why = "HOSTPORT is a port number, 1-65535";
		return -EINVAL;
	}
	if (forward_parse_guest(guest, guest_n, f) < 0) {
		*why = "GUEST is a guest's name, its MAC or its address";
		return -EINVAL;
	}
	f->guest_port = f->port;
	if (gport && forward_parse_port(gport, gport_n, &f->guest_port) < 0) {
		*why = "GUESTPORT is a port number, 1-65535";
		return -EINVAL;
	}
	return 0;
}

int forward_from_words(const char *proto, const char *port, const char *guest,
		       const char *gport, struct forward *f, const char **why)
{
	return forward_fill(proto, strlen(proto), port, strlen(port), guest, strlen(guest),
			    gport, gport ? strlen(gport) : 0, f, why);
}

/* Fields after HOSTPORT: GUEST, or GUEST and GUESTPORT (k = 3 or 4), or a
 * MAC's six, with or without GUESTPORT (k = 8 or 9). */
#define FORWARD_FIELDS_MAX 9

int forward_parse(const char *s, size_t n, struct forward *f, const char **why)
{
	const char *field[FORWARD_FIELDS_MAX];
	size_t len[FORWARD_FIELDS_MAX], k = 0, start = 0, guest_n;
	bool mac, gport;

	*why = "not PROTO:HOSTPORT:GUEST[:GUESTPORT]";
	for (size_t i = 0; i <= n; i++) {
		if (i < n && s[i] != ':')
			continue;
		if (k == FORWARD_FIELDS_MAX)
			return -EINVAL;
		field[k] = s + start;
		len[k++] = i - start;
		start = i + 1;
	}
	if (k != 3 && k != 4 && k != 8 && k != 9)
		return -EINVAL;
	mac = k >= 8;
	gport = k == 4 || k == 9;
	guest_n = mac ? (size_t)(field[7] + len[7] - field[2]) : len[2];
	return forward_fill(field[0], len[0], field[1], len[1], field[2], guest_n,
			    gport ? field[k - 1] : NULL, gport ? len[k - 1] : 0, f, why);
}

const char *forward_proto_name(uint8_t proto)
{
	return proto == IPPROTO_UDP ? "udp" : "tcp";
}

char *forward_format(const struct forward *f, char *buf)
{
	snprintf(buf, FORWARD_SPEC_MAX, "%s:%u:%s:%u", forward_proto_name(f->proto), f->port,
		 f->guest, f->guest_port);
	return buf;
}

int forward_table_find(const struct forward_table *t, uint8_t proto, uint16_t port)
{
	for (size_t i = 0; i < t->n; i++)
		if (t->v[i].proto == proto && t->v[i].port == port)
			return (int)i;
	return -1;
}

int forward_table_add(struct forward_table *t, const struct forward *f)
{
	if (forward_table_find(t, f->proto, f->port) >= 0)
		return -EEXIST;
	if (t->n >= FORWARD_MAX)
		return -ENOSPC;
	t->v[t->n++] = *f;
	return 0;
}

void forward_table_remove(struct forward_table *t, size_t idx)
{
	if (idx >= t->n)
		return;
	memmove(&t->v[idx], &t->v[idx + 1], (t->n - idx - 1) * sizeof(t->v[0]));
	t->n--;
}

int forward_state_format(const struct forward_table *t, char *buf, size_t size)
{
	char spec[FORWARD_SPEC_MAX];
	size_t used;
	int n;

	n = snprintf(buf, size, "# defnet port forwards (defnetctl forward add), "
		     "PROTO:HOSTPORT:GUEST:GUESTPORT\n");
	if (n < 0 || (size_t)n >= size)
		return -ENOSPC;
	used = (size_t)n;
	for (size_t i = 0; i < t->n; i++) {
		if (t->v[i].from_config)
			continue;
		n = snprintf(buf + used, size - used, "%s\n", forward_format(&t->v[i], spec));
		if (n < 0 || (size_t)n >= size - used)
			return -ENOSPC;
		used += (size_t)n;
	}
	return (int)used;
}

static void forward_state_line(const char *s, size_t n, struct forward_table *t, size_t *bad)
{
	struct forward f;
	const char *why;

	while (n && (s[n - 1] == ' ' || s[n - 1] == '\t' || s[n - 1] == '\r'))
		n--;
	while (n && (s[0] == ' ' || s[0] == '\t')) {
		s++;
		n--;
	}
	if (n == 0 || s[0] == '#')
		return;
	if (forward_parse(s, n, &f, &why) < 0 || forward_table_add(t, &f) < 0)
		(*bad)++;
}

int forward_state_parse(const char *buf, size_t len, struct forward_table *t, size_t *bad)
{
	size_t pos = 0;

	*bad = 0;
	while (pos < len) {
		const char *nl = memchr(buf + pos, '\n', len - pos);
		size_t end = nl ? (size_t)(nl - buf) : len;

		forward_state_line(buf + pos, end - pos, t, bad);
		pos = end + 1;
	}
	return 0;
}

bool forward_has_addr6(const struct forward *f)
{
	static const uint8_t none[16];

	return memcmp(f->addr6, none, sizeof(none)) != 0;
}

void forward_json(struct json *j, const struct forward *f)
{
	char ip[IP4_STRLEN], ip6[IP6_STRLEN];

	json_object_begin(j);
	json_field_string(j, "proto", forward_proto_name(f->proto));
	json_field_uint(j, "port", f->port);
	json_field_string(j, "guest", f->guest);
	json_field_uint(j, "guest_port", f->guest_port);
	json_key(j, "address");
	if (f->addr)
		json_string(j, ip4_format(f->addr, ip));
	else
		json_null(j);
	json_key(j, "address6");
	if (forward_has_addr6(f))
		json_string(j, ip6_format(f->addr6, ip6));
	else
		json_null(j);
	json_object_end(j);
}
