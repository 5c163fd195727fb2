/* Domain names: reading compressed names out of messages, comparing,
 * text form. */
#include <errno.h>
#include <string.h>

#include "dns_codec.h"
#include "dns_internal.h"

int dns_name_walk(const uint8_t *msg, size_t len, size_t off,
		  uint8_t *out, size_t *out_len, size_t *next)
{
	size_t pos = off, seg = off, limit = len, n = 0, end = 0;
	unsigned hops = 0;

	for (;;) {
		uint8_t c;
		size_t target;

		if (pos >= limit)
			return -EBADMSG;
		c = msg[pos];
		if (c == 0)
			break;
		if (c <= DNS_LABEL_MAX) {
			/* Room for this label and the root label after it. */
			if (c >= limit - pos || n + c + 2 > DNS_NAME_MAX)
				return -EBADMSG;
			if (out)
				memcpy(out + n, msg + pos, c + 1u);
			n += c + 1u;
			pos += c + 1u;
			continue;
		}
		/* 0x40 and 0x80 are reserved label types (RFC 6891 5). */
		if ((c & 0xc0) != 0xc0 || pos + 1 >= limit)
			return -EBADMSG;
		target = (size_t)(c & 0x3f) << 8 | msg[pos + 1];
		/* RFC 1035 4.1.4: a pointer refers to a name written earlier,
		 * so the suffix it names lies wholly before the labels that
		 * led to it. Holding every jump to that makes them go
		 * strictly down (no loop), and keeps a name from changing
		 * when the bytes after it go (dns_msg_strip_opt()). */
		if (target >= seg || target < DNS_HEADER_LEN ||
		    ++hops > DNS_NAME_MAX_HOPS)
			return -EBADMSG;
		if (!end)
			end = pos + 2;
		limit = seg;
		pos = seg = target;
	}
	if (out)
		out[n] = 0;
	*out_len = n + 1;
	*next = end ? end : pos + 1;
	return 0;
}

int dns_name_read(const uint8_t *msg, size_t len, size_t off,
		  uint8_t *out, size_t *out_len, size_t *next)
{
	if (!msg || !out || !out_len || !next)
		return -EINVAL;
	return dns_name_walk(msg, len, off, out, out_len, next);
}

int dns_name_check(const uint8_t *name, size_t len)
{
	size_t pos = 0;

	if (!name || len == 0 || len > DNS_NAME_MAX)
		return -EINVAL;
	while (pos < len - 1) {
		if (name[pos] == 0 || name[pos] > DNS_LABEL_MAX)
			return -EINVAL;
		pos += name[pos] + 1u;
	}
	return pos == len - 1 && name[pos] == 0 ? 0 : -EINVAL;
}

bool dns_name_equal(const uint8_t *a, size_t alen,
		    const uint8_t *b, size_t blen)
{
	size_t i;

	if (alen != blen)
		return false;
	/* Length bytes are below 64, so they never look like letters and a
	 * byte-wise ASCII case fold over the whole wire form is exact. */
	for (i = 0; i < alen; i++) {
		uint8_t x = a[i] ^ b[i], c = a[i] | 0x20;

		if (x != 0 && (x != 0x20 || c < 'a' || c > 'z'))
			return false;
	}
	return true;
}

int dns_name_equal_at(const uint8_t *msg, size_t len, size_t off,
		      const uint8_t *name, size_t name_len)
{
	uint8_t buf[DNS_NAME_MAX];
	size_t n, next;
	int r;

	r = dns_name_walk(msg, len, off, buf, &n, &next);
	if (r < 0)
		return r;
	return dns_name_equal(buf, n, name, name_len);
}

/* Writes one label byte in text form at out[k], or returns -ENOSPC. */
static int name_text_byte(uint8_t c, char *out, size_t size, size_t *k)
{
	if (c == '.' || c == '\\') {
		if (size - *k < 3)
			return -ENOSPC;
		out[(*k)++] = '\\';
		out[(*k)++] = (char)c;
	} else if (c < '!' || c > '~') {
		if (size - *k < 5)
			return -ENOSPC;
		out[(*k)++] = '\\';
		out[(*k)++] = (char)('0' + c / 100);
		out[(*k)++] = (char)('0' + c / 10 % 10);
		out[(*k)++] = (char)('0' + c % 10);
	} else {
		if (size - *k < 2)
			return -ENOSPC;
		out[(*k)++] = (char)c;
	}
	return 0;
}

int dns_name_to_text(const uint8_t *name, size_t name_len,
		     char *out, size_t size)
{
	size_t pos = 0, k = 0;
	int r;

	if (!out || dns_name_check(name, name_len) < 0)
		return -EINVAL;
	if (name_len == 1) {
		if (size < 2)
			return -ENOSPC;
		memcpy(out, ".", 2);
		return 1;
	}
	while (name[pos] != 0) {
		size_t i, l = name[pos];

		if (pos > 0) {
			if (size - k < 2)
				return -ENOSPC;
			out[k++] = '.';
		}
		for (i = 1; i <= l; i++) {
			r = name_text_byte(name[pos + i], out, size, &k);
			if (r < 0)
				return r;
		}
		pos += l + 1;
	}
	if (size - k < 1)
		return -ENOSPC;
	out[k] = '\0';
	return (int)k;
}

/* Reads one character of a label at s[*i] (an escape or a plain byte). */
static int name_text_char(const char *s, size_t n, size_t *i, uint8_t *c)
{
	unsigned v;

	if (s[*i] != '\\') {
		*c = (uint8_t)s[(*i)++];
		return 0;
	}
	if (n - *i < 2)
		return -EINVAL;
	if (s[*i + 1] < '0' || s[*i + 1] > '9') {
		*c = (uint8_t)s[*i + 1];
		*i += 2;
		return 0;
	}
	if (n - *i < 4 || s[*i + 2] < '0' || s[*i + 2] > '9' ||
	    s[*i + 3] < '0' || s[*i + 3] > '9')
		return -EINVAL;
	v = (unsigned)(s[*i + 1] - '0') * 100 + (unsigned)(s[*i + 2] - '0') * 10 +
	    (unsigned)(s[*i + 3] - '0');
	if (v > 255)
		return -EINVAL;
	*c = (uint8_t)v;
	*i += 4;
	return 0;
}

int dns_name_from_text(const char *s, size_t n, uint8_t *out, size_t *out_len)
{
	size_t i = 0, len = 0;
	int r;

	if (!s || !out || !out_len)
		return -EINVAL;
	if (n == 1 && s[0] == '.')
		n = 0;
	while (i < n) {
		size_t lab = len++;

		/* Room for at least one byte and the root label after it. */
		while (i < n && s[i] != '.') {
			if (len + 2 > DNS_NAME_MAX || len - lab > DNS_LABEL_MAX)
				return -EINVAL;
			r = name_text_char(s, n, &i, &out[len]);
			if (r < 0)
				return r;
			len++;
		}
		if (len - lab == 1)
			return -EINVAL;  /* empty label */
		out[lab] = (uint8_t)(len - lab - 1);
		i++;  /* the dot; a trailing one ends the loop */
	}
	out[len++] = 0;
	*out_len = len;
	return 0;
}
