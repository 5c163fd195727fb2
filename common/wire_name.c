/* Domain names in wire form: see wire_name.h. */
#include <errno.h>
#include <string.h>

#include "wire_name.h"

int wire_name_encode(const char *name, uint8_t *out, size_t size)
{
	size_t n = strlen(name), pos = 0, start = 0, i;

	if (n > 0 && name[n - 1] == '.')
		n--;
	if (n == 0 || n > WIRE_NAME_MAX || n + 2 > size)
		return -EINVAL;
	for (i = 0; i <= n; i++) {
		if (i < n && name[i] != '.')
			continue;
		if (i == start || i - start > WIRE_LABEL_MAX)
			return -EINVAL;
		out[pos++] = (uint8_t)(i - start);
		memcpy(out + pos, name + start, i - start);
		pos += i - start;
		start = i + 1;
	}
	out[pos++] = 0;
	return (int)pos;
}
