/* libFuzzer target for the control socket's requests, as defnetd reads
 * them: the input is what a client wrote; its first line (the daemon reads
 * one, at most CONTROL_REQUEST_MAX bytes with its newline) is parsed, and
 * the words of `reserve` and `unreserve` are parsed as a MAC and an IPv4
 * address the way the commands do. The input is also read as the status
 * line of a response, as defnetctl does. Broken promises abort: a request
 * that parses but does not format back to the same line, a word with a
 * space or a control character, an address that parses but is not in its
 * canonical form, a status line judged "ok" that is not "ok". */
#include <errno.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "control_proto.h"
#include "ip4.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void fuzz_check_word(const char *w)
{
	if (*w == '\0')
		abort();
	for (; *w; w++)
		if (*w <= ' ' || *w >= 0x7f)
			abort();
}

static void fuzz_check_args(const struct control_request *req)
{
	uint8_t mac[6];
	uint32_t ip;
	char text[IP4_STRLEN > MAC_STRLEN ? IP4_STRLEN : MAC_STRLEN];
	const char *cmd = req->argv[0];

	if (strcmp(cmd, "reserve") != 0 && strcmp(cmd, "unreserve") != 0)
		return;
	if (req->argc >= 2 && mac_parse(req->argv[1], strlen(req->argv[1]), mac) == 0 &&
	    strcasecmp(mac_format(mac, text), req->argv[1]) != 0)
		abort();
	if (req->argc >= 3 && ip4_parse(req->argv[2], strlen(req->argv[2]), &ip) == 0 &&
	    strcmp(ip4_format(ip, text), req->argv[2]) != 0)
		abort();
}

/* The line the daemon takes: up to and with the first newline. */
static void fuzz_request(const char *buf, size_t size)
{
	static struct control_request req;
	char line[CONTROL_REQUEST_MAX + 1];
	const char *nl = memchr(buf, '\n', size);
	size_t len = nl ? (size_t)(nl - buf) + 1 : size;
	size_t body = nl ? len - 1 : len;
	int r, n;

	r = control_request_parse(buf, len, &req);
	if (r == -EINVAL || r == -E2BIG || r == -EMSGSIZE) {
		if (req.argc > CONTROL_MAX_ARGS)
			abort();
		return;
	}
	if (r != 0 || req.argc == 0 || req.argc > CONTROL_MAX_ARGS || body >= CONTROL_REQUEST_MAX)
		abort();
	for (size_t i = 0; i < req.argc; i++)
		fuzz_check_word(req.argv[i]);
	n = control_request_format(line, sizeof(line), req.argc, (char *const *)req.argv);
	if (n < 0 || (size_t)n != body + 1 || memcmp(line, buf, body) != 0 || line[body] != '\n')
		abort();
	fuzz_check_args(&req);
}

static void fuzz_status(const char *buf, size_t size)
{
	char *line = malloc(size + 1);
	const char *msg;
	int r;

	if (!line)
		return;
	memcpy(line, buf, size);
	line[size] = '\0';
	r = control_status_parse(line, &msg);
	if ((r == 0 && (strcmp(line, "ok") != 0 || msg)) ||
	    (r == -EPROTO && (!msg || msg != line + 7 || strncmp(line, "error: ", 7) != 0)) ||
	    (r != 0 && r != -EPROTO && (r != -EBADMSG || msg)))
		abort();
	free(line);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	fuzz_request((const char *)data, size);
	fuzz_status((const char *)data, size);
	return 0;
}
