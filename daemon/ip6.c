/* IPv6 prefixes and the ULA choice: see ip6.h. */
#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "ip6.h"

#define IP6_ULA_SUBNETS 65536u

static uint8_t ip6_byte_mask(uint8_t len, size_t i)
{
	if (len >= 8 * (i + 1))
		return 0xff;
	if (len <= 8 * i)
		return 0;
	return (uint8_t)(0xff << (8 * (i + 1) - len));
}

bool ip6_prefix_overlaps(const struct ip6_prefix *a, const struct ip6_prefix *b)
{
	uint8_t len = a->len < b->len ? a->len : b->len;
	size_t i;

	for (i = 0; i < 16; i++)
		if ((a->addr[i] ^ b->addr[i]) & ip6_byte_mask(len, i))
			return false;
	return true;
}

bool ip6_prefix_contains(const struct ip6_prefix *p, const uint8_t addr[16])
{
	struct ip6_prefix a = { .len = 128 };

	memcpy(a.addr, addr, 16);
	return p->len && ip6_prefix_overlaps(p, &a);
}

bool ip6_prefix_equal(const struct ip6_prefix *a, const struct ip6_prefix *b)
{
	return a->len == b->len && memcmp(a->addr, b->addr, 16) == 0;
}

void ip6_prefix_mask(struct ip6_prefix *p)
{
	size_t i;

	for (i = 0; i < 16; i++)
		p->addr[i] &= ip6_byte_mask(p->len, i);
}

static int ip6_parse_len(const char *s, size_t n, uint8_t *len)
{
	unsigned v = 0;
	size_t i;

	if (n == 0 || n > 3 || (n > 1 && s[0] == '0'))
		return -EINVAL;
	for (i = 0; i < n; i++) {
		if (s[i] < '0' || s[i] > '9')
			return -EINVAL;
		v = v * 10 + (unsigned)(s[i] - '0');
	}
	if (v > 128)
		return -EINVAL;
	*len = (uint8_t)v;
	return 0;
}

int ip6_prefix_parse(const char *s, size_t n, struct ip6_prefix *out)
{
	const char *slash = s ? memchr(s, '/', n) : NULL;
	char text[IP6_STRLEN];
	struct ip6_prefix p, masked;
	size_t alen;

	if (!slash || !out)
		return -EINVAL;
	alen = (size_t)(slash - s);
	if (alen == 0 || alen >= sizeof(text))
		return -EINVAL;
	memcpy(text, s, alen);
	text[alen] = '\0';
	if (inet_pton(AF_INET6, text, p.addr) != 1 ||
	    ip6_parse_len(slash + 1, n - alen - 1, &p.len) < 0)
		return -EINVAL;
	masked = p;
	ip6_prefix_mask(&masked);
	if (!ip6_prefix_equal(&masked, &p))
		return -EINVAL;
	*out = p;
	return 0;
}

char *ip6_format(const uint8_t addr[16], char buf[IP6_STRLEN])
{
	if (!inet_ntop(AF_INET6, addr, buf, IP6_STRLEN))
		snprintf(buf, IP6_STRLEN, "?");
	return buf;
}

char *ip6_prefix_format(const struct ip6_prefix *p, char buf[IP6_PREFIX_STRLEN])
{
	char a[IP6_STRLEN];

	snprintf(buf, IP6_PREFIX_STRLEN, "%s/%u", ip6_format(p->addr, a), p->len);
	return buf;
}

void ip6_gateway(const struct ip6_prefix *p, uint8_t gw[16])
{
	memcpy(gw, p->addr, 16);
	gw[15] |= 1;
}

static bool ip6_overlaps_any(const struct ip6_prefix *p, const struct ip6_prefix *v, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (ip6_prefix_overlaps(p, &v[i]))
			return true;
	return false;
}

int ip6_ula_choose(const struct ip6_prefix *used, size_t n_used,
		   const struct ip6_prefix *avoid, size_t n_avoid,
		   uint64_t seed, struct ip6_prefix *out)
{
	struct ip6_prefix p = { .len = IP6_GUEST_LEN };
	unsigned start = (unsigned)(seed >> 40) & 0xffff, i, sub;

	p.addr[0] = 0xfd;  /* fc00::/7 with the L bit set: locally assigned */
	for (i = 0; i < 5; i++)
		p.addr[1 + i] = (uint8_t)(seed >> (8 * (4 - i)));
	for (i = 0; i < IP6_ULA_SUBNETS; i++) {
		sub = (start + i) % IP6_ULA_SUBNETS;
		p.addr[6] = (uint8_t)(sub >> 8);
		p.addr[7] = (uint8_t)sub;
		if (!ip6_overlaps_any(&p, used, n_used) && !ip6_overlaps_any(&p, avoid, n_avoid)) {
			*out = p;
			return 0;
		}
	}
	return -ENOSPC;
}
