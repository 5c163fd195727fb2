#include <errno.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include "notify.h"

#define NOTIFY_MAX 1024

/* Connected once and kept: the connection, not each datagram, is checked
 * against the socket file's mode, so it outlives a drop from root to the
 * defnet user (a socket made by a root-run supervisor is often 0755). */
static int notify_fd = -1;

/* $NOTIFY_SOCKET is a path, or an abstract name written with a leading
 * '@'. Returns the address length or -EINVAL. */
static int notify_address(const char *name, struct sockaddr_un *sa)
{
	size_t n = strlen(name);

	if (n < 2 || n >= sizeof(sa->sun_path) || (name[0] != '/' && name[0] != '@'))
		return -EINVAL;
	memset(sa, 0, sizeof(*sa));
	sa->sun_family = AF_UNIX;
	memcpy(sa->sun_path, name, n);
	if (name[0] == '@')
		sa->sun_path[0] = '\0';
	return (int)(offsetof(struct sockaddr_un, sun_path) + n);
}

static int notify_connect(const char *name)
{
	struct sockaddr_un sa;
	int salen, fd, r;

	salen = notify_address(name, &sa);
	if (salen < 0)
		return salen;
	fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -errno;
	if (connect(fd, (struct sockaddr *)&sa, (socklen_t)salen) < 0) {
		r = -errno;
		close(fd);
		return r;
	}
	return fd;
}

int notify_send(const char *fmt, ...)
{
	const char *name = getenv("NOTIFY_SOCKET");
	char msg[NOTIFY_MAX];
	va_list ap;
	int len, r = 0;

	if (!name)
		return 0;
	va_start(ap, fmt);
	len = vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	if (len < 0 || (size_t)len >= sizeof(msg))
		return -EMSGSIZE;
	/* A manager that made its socket anew refuses the old connection:
	 * connect again, once. */
	for (int attempt = 0; attempt < 2; attempt++) {
		if (notify_fd < 0)
			notify_fd = notify_connect(name);
		if (notify_fd < 0)
			return notify_fd;
		if (send(notify_fd, msg, (size_t)len, MSG_NOSIGNAL) == len)
			return 0;
		r = -errno;
		close(notify_fd);
		notify_fd = -1;
	}
	return r;
}

unsigned long long notify_monotonic_usec(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (unsigned long long)ts.tv_sec * 1000000ULL + (unsigned long long)ts.tv_nsec / 1000;
}
