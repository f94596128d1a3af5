/* io.h — whole-file reads and all-or-nothing writes for batch conversion. */
#ifndef QCTS_CLI_IO_H
#define QCTS_CLI_IO_H

#include <stddef.h>

/* Reads all of path into a new buffer (free() it; never NULL on success,
 * even for an empty file). Returns 0, or -1 with errno set. */
int qcts_read_file(const char *path, unsigned char **data, size_t *size);

/* Writes data to a temporary file next to path, then renames it over path,
 * so path either keeps its old contents or holds all of data; never a part.
 * The file gets mode 0666 minus the umask. Returns 0, or -1 with errno set
 * and the temporary file removed. */
int qcts_write_file_atomic(const char *path, const void *data, size_t size);

#endif
