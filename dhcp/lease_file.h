/* File I/O for the lease store (lease_store.c is its only user): whole
 * reads and appends made durable; a replacement is written with
 * durable_file.h. */
#ifndef DEFNET_LEASE_FILE_H
#define DEFNET_LEASE_FILE_H

#include <stddef.h>
#include <stdint.h>

/* Reads the whole file at fd's current offset into a malloc()ed buffer
 * (NULL when empty); -EFBIG past max bytes. */
int lease_file_read(int fd, size_t max, uint8_t **buf, size_t *len);
/* Appends buf and waits until it is on disk. */
int lease_file_append(int fd, const uint8_t *buf, size_t len);
/* Opens DIR/tmp empty, for writing a replacement of some file. */
int lease_file_create(int dfd, const char *tmp);
/* Renames DIR/name to DIR/aside. */
int lease_file_set_aside(int dfd, const char *name, const char *aside);

#endif
