/* defnetctl: ask a running defnetd over its control socket. */
#include <errno.h>
#include <getopt.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <sys/un.h>
#include <unistd.h>

#include "control_proto.h"
#include "defnet_config.h"
#include "doctor_report.h"

#define DEFAULT_SOCKET "/run/defnet/control"
#define EXIT_USAGE 2
#define REPLY_TIMEOUT_SEC 10
/* doctor --trace answers after its SECONDS, 60 at most. */
#define REPLY_TRACE_SEC 60
#define REPLY_MAX (16u << 20)

static const struct {
	const char *name;
	int min_args, max_args;  /* after the command word */
	const char *usage;
} commands[] = {
	{ "status", 0, 1, "status [--json]" },
	{ "leases", 0, 1, "leases [--json]" },
	{ "reserve", 2, 3, "reserve MAC IP [NAME]" },
	{ "unreserve", 1, 1, "unreserve MAC" },
	{ "reload", 0, 0, "reload" },
	{ "forward", 1, 5, "forward add PROTO HOSTPORT GUEST [GUESTPORT] | "
	  "forward remove PROTO HOSTPORT | forward list [--json]" },
	{ "doctor", 0, 4, "doctor [GUEST] [--json] [--trace [SECONDS]]" },
};

static void usage(FILE *f)
{
	fprintf(f, "usage: defnetctl [--socket PATH] COMMAND [ARGS]\n\ncommands:\n");
	for (size_t i = 0; i < sizeof(commands) / sizeof(commands[0]); i++)
		fprintf(f, "  %s\n", commands[i].usage);
	fprintf(f, "\n  --socket PATH  the daemon's control socket (default %s)\n", DEFAULT_SOCKET);
}

/* Known command with a plausible number of arguments? The daemon checks
 * the arguments themselves. */
static int check_command(int argc, char **argv)
{
	for (size_t i = 0; i < sizeof(commands) / sizeof(commands[0]); i++) {
		if (strcmp(argv[0], commands[i].name) != 0)
			continue;
		if (argc - 1 < commands[i].min_args || argc - 1 > commands[i].max_args) {
			fprintf(stderr, "defnetctl: usage: defnetctl %s\n", commands[i].usage);
			return -EINVAL;
		}
		if (commands[i].max_args == 1 && commands[i].min_args == 0 && argc == 2 &&
		    strcmp(argv[1], "--json") != 0) {
			fprintf(stderr, "defnetctl: usage: defnetctl %s\n", commands[i].usage);
			return -EINVAL;
		}
		return 0;
	}
	fprintf(stderr, "defnetctl: unknown command '%s'\n", argv[0]);
	usage(stderr);
	return -EINVAL;
}

static bool has_word(int argc, char **argv, const char *word)
{
	for (int i = 0; i < argc; i++)
		if (strcmp(argv[i], word) == 0)
			return true;
	return false;
}

static int connect_daemon(const char *path, time_t timeout)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	struct timeval tv = { timeout, 0 };
	int fd;

	if (strlen(path) >= sizeof(sa.sun_path)) {
		fprintf(stderr, "defnetctl: socket path too long: %s\n", path);
		return -1;
	}
	strcpy(sa.sun_path, path);
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0) {
		perror("defnetctl: socket");
		return -1;
	}
	if (setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv)) < 0 ||
	    setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv)) < 0 ||
	    connect(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0) {
		int e = errno;
		fprintf(stderr, "defnetctl: cannot reach defnetd at %s: %s%s\n", path, strerror(e),
			e == EACCES ? " (root or the defnet group only)" :
			e == ENOENT || e == ECONNREFUSED ? " (is defnetd running?)" : "");
		close(fd);
		return -1;
	}
	return fd;
}

static int write_all(int fd, const char *buf, size_t len)
{
	while (len) {
		ssize_t n = write(fd, buf, len);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			return -errno;
		}
		buf += n;
		len -= (size_t)n;
	}
	return 0;
}

/* Reads the whole reply (the daemon closes when done). */
static char *read_reply(int fd, size_t *lenp)
{
	size_t len = 0, cap = 4096;
	char *buf = malloc(cap + 1);

	while (buf) {
		ssize_t n = read(fd, buf + len, cap - len);
		if (n == 0)
			break;
		if (n < 0) {
			if (errno == EINTR)
				continue;
			fprintf(stderr, "defnetctl: reading the reply: %s\n",
				errno == EAGAIN ? "timed out" : strerror(errno));
			free(buf);
			return NULL;
		}
		len += (size_t)n;
		if (len == cap) {
			char *more = cap < REPLY_MAX ? realloc(buf, cap * 2 + 1) : NULL;
			if (!more) {
				fprintf(stderr, "defnetctl: reply too large\n");
				free(buf);
				return NULL;
			}
			buf = more;
			cap *= 2;
		}
	}
	if (buf) {
		buf[len] = '\0';
		*lenp = len;
	}
	return buf;
}

/* Prints the body and returns the exit code the status line calls for;
 * for doctor, 1 also when it found something wrong. */
static int show_reply(char *reply, size_t len, bool doctor)
{
	char *nl = memchr(reply, '\n', len);
	const char *message;
	size_t body;

	if (!nl) {
		fprintf(stderr, "defnetctl: defnetd closed the connection without a reply\n");
		return EXIT_FAILURE;
	}
	*nl = '\0';
	switch (control_status_parse(reply, &message)) {
	case 0:
		body = len - (size_t)(nl + 1 - reply);
		fwrite(nl + 1, 1, body, stdout);
		if (fflush(stdout) != 0)
			return EXIT_FAILURE;
		return doctor && doctor_reply_ok(nl + 1, body) != 1 ? EXIT_FAILURE : 0;
	case -EPROTO:
		fprintf(stderr, "defnetctl: %s\n", message);
		return EXIT_FAILURE;
	default:
		fprintf(stderr, "defnetctl: unexpected reply from defnetd\n");
		return EXIT_FAILURE;
	}
}

int main(int argc, char **argv)
{
	static const struct option options[] = {
		{ "socket", required_argument, NULL, 's' },
		{ "version", no_argument, NULL, 'V' },
		{ "help", no_argument, NULL, 'h' },
		{ 0 }
	};
	const char *path = DEFAULT_SOCKET;
	char request[CONTROL_REQUEST_MAX];
	char *reply;
	size_t len;
	int opt, n, fd, rc;

	/* "+": stop at the command, so its own options (--json) stay its own. */
	while ((opt = getopt_long(argc, argv, "+", options, NULL)) != -1) {
		switch (opt) {
		case 's': path = optarg; break;
		case 'V': printf("defnetctl %s\n", DEFNET_VERSION); return 0;
		case 'h': usage(stdout); return 0;
		default: usage(stderr); return EXIT_USAGE;
		}
	}
	if (optind >= argc) {
		usage(stderr);
		return EXIT_USAGE;
	}
	if (check_command(argc - optind, argv + optind) < 0)
		return EXIT_USAGE;
	n = control_request_format(request, sizeof(request), (size_t)(argc - optind), argv + optind);
	if (n < 0) {
		fprintf(stderr, "defnetctl: arguments must be non-empty words without spaces "
			"or control characters\n");
		return EXIT_USAGE;
	}
	fd = connect_daemon(path, REPLY_TIMEOUT_SEC + (has_word(argc - optind, argv + optind,
								 "--trace") ? REPLY_TRACE_SEC : 0));
	if (fd < 0)
		return EXIT_FAILURE;
	if (write_all(fd, request, (size_t)n) < 0) {
		fprintf(stderr, "defnetctl: sending the request: %s\n", strerror(errno));
		close(fd);
		return EXIT_FAILURE;
	}
	reply = read_reply(fd, &len);
	close(fd);
	if (!reply)
		return EXIT_FAILURE;
	rc = show_reply(reply, len, strcmp(argv[optind], "doctor") == 0);
	free(reply);
	return rc;
}
