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

#endif
