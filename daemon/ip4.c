/* IPv4 addresses, prefixes and MAC addresses: parsing and formatting.
 * Only canonical text is accepted, so that a value has exactly one
 * spelling in configuration files, state files and control requests. */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "hex.h"
#include "ip4.h"

/* A decimal number of 1..3 digits without a leading zero, at most max.
 * Returns the number of characters used, or 0 when there is none. */
static size_t ip4_parse_small_uint(const char *s, size_t n, unsigned max,
				   unsigned *out)
{
	unsigned v = 0;
	size_t i;

	for (i = 0; i < n && i < 3 && s[i] >= '0' && s[i] <= '9'; i++)
		v = v * 10 + (unsigned)(s[i] - '0');
	if (i == 0 || (i > 1 && s[0] == '0') || v > max)
		return 0;
	/* A fourth digit would make the number too long. */
	if (i < n && s[i] >= '0' && s[i] <= '9')
		return 0;
	*out = v;
	return i;
}

int ip4_parse(const char *s, size_t n, uint32_t *out)
{
	uint32_t addr = 0;
	size_t pos = 0;
	int i;

	for (i = 0; i < 4; i++) {
		unsigned octet;
		size_t used;

		if (i > 0) {
			if (pos >= n || s[pos] != '.')
				return -EINVAL;
			pos++;
		}
		used = ip4_parse_small_uint(s + pos, n - pos, 255, &octet);
		if (used == 0)
			return -EINVAL;
		pos += used;
		addr = addr << 8 | octet;
	}
	if (pos != n)
		return -EINVAL;
	*out = addr;
	return 0;
}

int ip4_prefix_parse(const char *s, size_t n, struct ip4_prefix *out)
{
	const char *slash = memchr(s, '/', n);
	size_t addr_len, len_len;
	unsigned len;
	uint32_t addr;

	if (!slash)
		return -EINVAL;
	addr_len = (size_t)(slash - s);
	len_len = n - addr_len - 1;
	if (ip4_parse(s, addr_len, &addr) < 0)
		return -EINVAL;
	if (len_len == 0 ||
	    ip4_parse_small_uint(slash + 1, len_len, 32, &len) != len_len)
		return -EINVAL;
	if (addr & ~ip4_mask((uint8_t)len))
		return -EINVAL;
	out->addr = addr;
	out->len = (uint8_t)len;
	return 0;
}

int mac_parse(const char *s, size_t n, uint8_t out[6])
{
	uint8_t mac[6];
	int i;

	if (n != MAC_STRLEN - 1)
		return -EINVAL;
	for (i = 0; i < 6; i++) {
		const char *p = s + 3 * i;
		int hi = hex_digit(p[0]);
		int lo = hex_digit(p[1]);

		if (hi < 0 || lo < 0 || (i < 5 && p[2] != ':'))
			return -EINVAL;
		mac[i] = (uint8_t)(hi << 4 | lo);
	}
	memcpy(out, mac, sizeof(mac));
	return 0;
}

char *ip4_format(uint32_t addr, char buf[IP4_STRLEN])
{
	snprintf(buf, IP4_STRLEN, "%u.%u.%u.%u", addr >> 24, (addr >> 16) & 0xff,
		 (addr >> 8) & 0xff, addr & 0xff);
	return buf;
}

char *ip4_prefix_format(struct ip4_prefix p, char buf[IP4_PREFIX_STRLEN])
{
	/* len is 0..32 by contract; the clamp lets the compiler see that
	 * the text fits. */
	unsigned len = p.len > 32 ? 32 : p.len;

	snprintf(buf, IP4_PREFIX_STRLEN, "%u.%u.%u.%u/%u", p.addr >> 24,
		 (p.addr >> 16) & 0xff, (p.addr >> 8) & 0xff, p.addr & 0xff, len);
	return buf;
}

char *mac_format(const uint8_t mac[6], char buf[MAC_STRLEN])
{
	snprintf(buf, MAC_STRLEN, "%02x:%02x:%02x:%02x:%02x:%02x", mac[0],
		 mac[1], mac[2], mac[3], mac[4], mac[5]);
	return buf;
}
