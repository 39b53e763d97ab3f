/* daemon/core/file.h — reading a whole file the daemon was told to trust
 * (the configuration, secret files, the TLS certificate and key) without
 * ever blocking: the path is opened O_NONBLOCK|O_NOCTTY|O_CLOEXEC, so a FIFO
 * or a terminal cannot stall open(2); anything that fstat(2) does not call a
 * regular file (FIFO, directory, device, socket) is refused before a byte is
 * read; at most `max` bytes are accepted.  The bytes read are the bytes of
 * the file that was checked (no second open by name, no TOCTOU window). */
#ifndef EXTDISCOD_FILE_H
#define EXTDISCOD_FILE_H

#include <stddef.h>

/* Read the regular file at path, at most max bytes (max < SIZE_MAX - 2).
 * On success *out is a new NUL-terminated buffer of exactly max + 2 bytes
 * holding *len bytes (the caller frees it; wipe it first when it held a
 * secret: edd_file_free(buf, max, 1)) and 0 is returned.  On failure *out
 * is NULL and why says what, without the path: -2 when open(2) failed (why
 * is strerror, e.g. "No such file or directory"), else -1 with "not a
 * regular file", "larger than N bytes", "read error: strerror" or "out of
 * memory".  Anything read before a failure is wiped. */
int edd_file_read(const char *path, size_t max, char **out, size_t *len, char *why,
                 size_t whylen);

/* Free a buffer from edd_file_read(path, max, ...), wiping it when wipe. */
void edd_file_free(char *buf, size_t max, int wipe);

#endif
