/* The control socket's wire format, shared by defnetd and defnetctl.
 *
 * Request: one line, at most CONTROL_REQUEST_MAX bytes with its newline:
 * the command and its arguments as words separated by single spaces, the
 * way defnetctl got them ("status --json", "reserve 52:54:00:12:34:56
 * 172.20.48.50 vm1"). Words are printable ASCII without spaces.
 *
 * Response: a status line, "ok" or "error: MESSAGE", then the body (the
 * command's output, to be printed as it is) until the daemon closes the
 * connection. New commands need no change here. */
#ifndef DEFNET_CONTROL_PROTO_H
#define DEFNET_CONTROL_PROTO_H

#include <stddef.h>

#define CONTROL_REQUEST_MAX 512
#define CONTROL_MAX_ARGS 8
#define CONTROL_STATUS_MAX 512

struct control_request {
	size_t argc;
	const char *argv[CONTROL_MAX_ARGS];
	char text[CONTROL_REQUEST_MAX];  /* argv points in here */
};

/* Parses a request line (buf may hold the trailing newline, no more).
 * Returns 0, or -EINVAL (bad characters, empty words, no command),
 * -E2BIG (too many words) or -EMSGSIZE (too long). */
int control_request_parse(const char *buf, size_t len, struct control_request *req);

/* Joins argv into a request line with its newline. Returns the length, or
 * -EINVAL (a word that is empty or has a space or control character) or
 * -EMSGSIZE. */
int control_request_format(char *buf, size_t size, size_t argc, char *const argv[]);

/* Parses the response's status line (without its newline). Returns 0 for
 * "ok"; -EPROTO with *message pointing at the daemon's message for
 * "error: ..."; -EBADMSG for anything else. */
int control_status_parse(const char *line, const char **message);

#endif
