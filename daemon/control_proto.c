#include <errno.h>
#include <string.h>

#include "control_proto.h"

static int control_word_char(char c)
{
	return c > ' ' && c < 0x7f;
}

int control_request_parse(const char *buf, size_t len, struct control_request *req)
{
	req->argc = 0;
	if (len > 0 && buf[len - 1] == '\n')
		len--;
	if (len >= sizeof(req->text))
		return -EMSGSIZE;
	if (len == 0 || memchr(buf, '\0', len))
		return -EINVAL;
	memcpy(req->text, buf, len);
	req->text[len] = '\0';

	char *p = req->text;
	for (;;) {
		char *start = p;
		while (control_word_char(*p))
			p++;
		if (p == start)
			return -EINVAL;  /* empty word, or a byte no word may hold */
		if (req->argc == CONTROL_MAX_ARGS)
			return -E2BIG;
		req->argv[req->argc++] = start;
		if (*p == '\0')
			return 0;
		if (*p != ' ')
			return -EINVAL;
		*p++ = '\0';
	}
}

static int control_word_valid(const char *w)
{
	if (*w == '\0')
		return 0;
	for (; *w; w++)
		if (!control_word_char(*w))
			return 0;
	return 1;
}

int control_request_format(char *buf, size_t size, size_t argc, char *const argv[])
{
	size_t len = 0;

	if (argc == 0)
		return -EINVAL;
	if (argc > CONTROL_MAX_ARGS)
		return -E2BIG;
	for (size_t i = 0; i < argc; i++)
		if (!control_word_valid(argv[i]))
			return -EINVAL;
	for (size_t i = 0; i < argc; i++) {
		size_t n = strlen(argv[i]);
		/* the word, its separator (or the newline), and the final NUL */
		if (len + n + 2 > size || len + n + 1 > CONTROL_REQUEST_MAX)
			return -EMSGSIZE;
		memcpy(buf + len, argv[i], n);
		len += n;
		buf[len++] = i + 1 < argc ? ' ' : '\n';
	}
	buf[len] = '\0';
	return (int)len;
}

int control_status_parse(const char *line, const char **message)
{
	static const char error_prefix[] = "error: ";

	*message = NULL;
	if (strcmp(line, "ok") == 0)
		return 0;
	if (strncmp(line, error_prefix, sizeof(error_prefix) - 1) == 0) {
		*message = line + sizeof(error_prefix) - 1;
		return -EPROTO;
	}
	return -EBADMSG;
}
