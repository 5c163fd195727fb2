#include <errno.h>
#include <stdio.h>
#include <unistd.h>

#include "durable_file.h"

int durable_write_all(int fd, const void *buf, size_t len)
{
	const char *p = buf;
	ssize_t r;

	while (len > 0) {
		r = write(fd, p, len);
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0)
			return -errno;
		if (r == 0)
			return -EIO;
		p += r;
		len -= (size_t)r;
	}
	return 0;
}

int durable_replace(int dfd, int fd, const char *tmp, const char *name)
{
	if (fsync(fd) < 0)
		return -errno;
	if (renameat(dfd, tmp, dfd, name) < 0)
		return -errno;
	if (fsync(dfd) < 0)
		return -errno;
	return 0;
}
