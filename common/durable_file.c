#include <errno.h>
#include <fcntl.h>
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

int durable_save(const char *dir, const char *tmp, const char *name,
		 const void *buf, size_t len)
{
	int dfd, fd, ret;

	dfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (dfd < 0)
		return -errno;
	fd = openat(dfd, tmp, O_CREAT | O_TRUNC | O_WRONLY | O_CLOEXEC | O_NOCTTY, 0644);
	if (fd < 0) {
		ret = -errno;
		(void)close(dfd);
		return ret;
	}
	ret = durable_write_all(fd, buf, len);
	if (ret == 0)
		ret = durable_replace(dfd, fd, tmp, name);
	if (close(fd) < 0 && ret == 0)
		ret = -errno;
	if (ret < 0) {
		/* Best effort: the save has failed already and says why; a
		 * leftover temporary file is truncated by the next save. */
		(void)unlinkat(dfd, tmp, 0);
	}
	if (close(dfd) < 0 && ret == 0)
		ret = -errno;
	return ret;
}

static int durable_read_all(int fd, char *buf, size_t size, size_t *len)
{
	size_t got = 0;
	ssize_t r;

	while (got < size) {
		r = read(fd, buf + got, size - got);
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0)
			return -errno;
		if (r == 0)
			break;
		got += (size_t)r;
	}
	*len = got;
	return 0;
}

int durable_load(const char *dir, const char *name, char *buf, size_t size,
		 size_t *len)
{
	int dfd, fd, ret;

	*len = 0;
	dfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (dfd < 0)
		return -errno;
	fd = openat(dfd, name, O_RDONLY | O_CLOEXEC | O_NOCTTY);
	if (fd < 0) {
		ret = -errno;
		goto out_dir;
	}
	ret = durable_read_all(fd, buf, size, len);
	if (close(fd) < 0 && ret == 0)
		ret = -errno;
out_dir:
	if (close(dfd) < 0 && ret == 0)
		ret = -errno;
	return ret;
}
