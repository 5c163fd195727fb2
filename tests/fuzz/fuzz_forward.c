/* The forward spec parser and the forwards state file: any bytes, no
 * crash, and what parses formats back to a state file that parses to the
 * same table. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "forward.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct forward_table t, again;
	static char text[FORWARD_STATE_MAX];
	struct forward f;
	const char *why;
	size_t bad;
	int len;

	(void)forward_parse((const char *)data, size, &f, &why);
	t.n = 0;
	forward_state_parse((const char *)data, size, &t, &bad);
	len = forward_state_format(&t, text, sizeof(text));
	if (len < 0)
		abort();
	again.n = 0;
	forward_state_parse(text, (size_t)len, &again, &bad);
	if (bad || again.n != t.n)
		abort();
	for (size_t i = 0; i < t.n; i++)
		if (again.v[i].port != t.v[i].port || strcmp(again.v[i].guest, t.v[i].guest) != 0)
			abort();
	return 0;
}
