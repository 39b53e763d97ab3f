/* daemon/core/file.c — see file.h: whole-file reads that cannot block on a
 * FIFO or device and that refuse anything but a bounded regular file. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "core/file.h"

void edd_file_free(char *buf, size_t max, int wipe)
{
    if (!buf)
        return;
    if (wipe)
        explicit_bzero(buf, max + 2);
    free(buf);
}

int edd_file_read(const char *path, size_t max, char **out, size_t *len, char *why,
                 size_t whylen)
{
    *out = NULL;
    *len = 0;
    int fd = open(path, O_RDONLY | O_NONBLOCK | O_NOCTTY | O_CLOEXEC);
    if (fd < 0) {
        snprintf(why, whylen, "%s", strerror(errno));
        return -2;
    }
    struct stat st;
    if (fstat(fd, &st) != 0) {
        snprintf(why, whylen, "fstat: %s", strerror(errno));
        close(fd);
        return -1;
    }
    if (!S_ISREG(st.st_mode)) {
        snprintf(why, whylen, "not a regular file");
        close(fd);
        return -1;
    }
    if ((unsigned long long)st.st_size > max) {
        snprintf(why, whylen, "larger than %zu bytes", max);
        close(fd);
        return -1;
    }
    char *buf = malloc(max + 2);
    if (!buf) {
        snprintf(why, whylen, "out of memory");
        close(fd);
        return -1;
    }
    /* a regular file: every read returns bytes or 0 at the end, so the
     * loop ends after at most max + 1 bytes (the file may grow meanwhile) */
    size_t n = 0;
    int eintr = 0;
    while (n <= max) {
        ssize_t r = read(fd, buf + n, max + 1 - n);
        if (r < 0 && errno == EINTR && ++eintr < 64)
            continue;
        if (r < 0) {
            snprintf(why, whylen, "read error: %s", strerror(errno));
            close(fd);
            edd_file_free(buf, max, 1);
            return -1;
        }
        if (r == 0)
            break;
        n += (size_t)r;
    }
    close(fd);
    if (n > max) {
        snprintf(why, whylen, "larger than %zu bytes", max);
        edd_file_free(buf, max, 1);
        return -1;
    }
    buf[n] = '\0';
    *out = buf;
    *len = n;
    return 0;
}
