/* File I/O for the lease store: see lease_file.h. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include "durable_file.h"
#include "lease_file.h"

int lease_file_read(int fd, size_t max, uint8_t **buf, size_t *len)
{
	struct stat st;
	uint8_t *p;
	size_t got = 0, size;
	ssize_t r;

	*buf = NULL;
	*len = 0;
	if (fstat(fd, &st) < 0)
		return -errno;
	if (st.st_size < 0 || (uint64_t)st.st_size > max)
		return -EFBIG;
	size = (size_t)st.st_size;
	if (size == 0)
		return 0;
	p = malloc(size);
	if (!p)
		return -ENOMEM;
	/* The file cannot grow meanwhile: the store is its only writer. */
	while (got < size) {
		r = read(fd, p + got, size - got);
		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0) {
			free(p);
			return r < 0 ? -errno : -EIO;
		}
		got += (size_t)r;
	}
	*buf = p;
	*len = got;
	return 0;
}

int lease_file_append(int fd, const uint8_t *buf, size_t len)
{
	int ret = durable_write_all(fd, buf, len);

	/* fdatasync() includes the size, which an append changes. */
	if (ret == 0 && fdatasync(fd) < 0)
		ret = -errno;
	return ret;
}

int lease_file_create(int dfd, const char *tmp)
{
	int fd = openat(dfd, tmp, O_CREAT | O_TRUNC | O_WRONLY | O_APPEND |
			O_CLOEXEC | O_NOCTTY, 0644);

	return fd < 0 ? -errno : fd;
}

int lease_file_set_aside(int dfd, const char *name, const char *aside)
{
	return renameat(dfd, name, dfd, aside) < 0 ? -errno : 0;
}
