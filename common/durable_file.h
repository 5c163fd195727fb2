/* Files that survive a crash whole: the lease file and the subnet state.
 * A new version is written to a temporary file in the same directory,
 * synced, and renamed over the old one; the directory is synced so the
 * rename itself is on disk. After a crash the file is the old version or
 * the new one, never a mix. */
#ifndef DEFNET_DURABLE_FILE_H
#define DEFNET_DURABLE_FILE_H

#include <stddef.h>

/* Writes all of buf (retrying short writes and EINTR). 0 or -errno. */
int durable_write_all(int fd, const void *buf, size_t len);

/* Syncs fd (the temporary file tmp in directory dfd), renames tmp to name
 * and syncs the directory. fd stays open. 0 or -errno. */
int durable_replace(int dfd, int fd, const char *tmp, const char *name);

/* Writes buf as file name in directory dir, through tmp, durably as
 * above. 0 or -errno. */
int durable_save(const char *dir, const char *tmp, const char *name,
		 const void *buf, size_t len);

/* Reads file name of directory dir into buf, at most size bytes (a file
 * that fills buf may be larger). 0 with *len set, or -errno (-ENOENT:
 * no such file or directory). */
int durable_load(const char *dir, const char *name, char *buf, size_t size,
		 size_t *len);

#endif
