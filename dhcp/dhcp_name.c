/* DNS names in DHCP options: dotted text to wire format and back
 * (RFC 1035 3.1), for client FQDN (RFC 4702) and domain search
 * (RFC 3397). */
#include <errno.h>
#include <string.h>

#include "dhcp_wire.h"
#include "dns_const.h"

#define DHCP_WIRE_NAME_MAX 255

int dhcp_name_to_wire(const char *name, uint8_t *out, size_t cap,
		      size_t *len)
{
	size_t n = strlen(name), o = 0, i, j, l;

	if (n > 0 && name[n - 1] == '.')
		n--;
	/* What is left may not end with a dot: "a.." has an empty label. */
	if (n > 0 && name[n - 1] == '.')
		return -EINVAL;
	for (i = 0; i < n; i = j + 1) {
		for (j = i; j < n && name[j] != '.'; j++)
			;
		l = j - i;
		if (l == 0 || l > DNS_LABEL_MAX)
			return -EINVAL;
		/* Room for this label and the terminating zero. */
		if (o + 1 + l + 1 > DHCP_WIRE_NAME_MAX)
			return -EINVAL;
		if (o + 1 + l + 1 > cap)
			return -ENOBUFS;
		out[o++] = (uint8_t)l;
		memcpy(out + o, name + i, l);
		o += l;
	}
	if (o + 1 > cap)
		return -ENOBUFS;
	out[o++] = 0;
	*len = o;
	return 0;
}

static int dhcp_label_to_text(const uint8_t *p, size_t l, char *out)
{
	size_t i;

	for (i = 0; i < l; i++) {
		/* Either would make the dotted text mean another name. */
		if (p[i] == '.' || p[i] == '\0')
			return -EINVAL;
		out[i] = (char)p[i];
	}
	return 0;
}

int dhcp_name_from_wire(const uint8_t *p, size_t len, char *out, size_t cap,
			size_t *out_len)
{
	size_t off = 0, o = 0, l, sep;
	int r;

	if (cap == 0)
		return -ENOBUFS;
	while (off < len) {
		l = p[off++];
		if (l == 0) {
			if (off != len)
				return -EINVAL;
			break;
		}
		/* Above 63 are compression pointers and reserved label
		 * types; RFC 4702 2.3.1 forbids compression here. */
		if (l > DNS_LABEL_MAX || len - off < l)
			return -EINVAL;
		sep = o > 0;
		if (o + sep + l >= cap)
			return -ENOBUFS;
		if (sep)
			out[o++] = '.';
		r = dhcp_label_to_text(p + off, l, out + o);
		if (r < 0)
			return r;
		o += l;
		off += l;
	}
	out[o] = '\0';
	*out_len = o;
	return 0;
}
