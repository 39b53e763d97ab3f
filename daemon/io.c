/* daemon/io.c — see io.h.  One send(2) for a whole read's replies saves an
 * epoll_ctl to watch for writability, a loop turn, a writev and an
 * epoll_ctl to stop watching. */
#include "io.h"

#include <event2/buffer.h>
#include <sys/socket.h>
#include <sys/types.h>

void ed_io_send(struct bufferevent *bev, bool direct, const char *p, size_t n)
{
    size_t off = 0;
    if (!bev || n == 0)
        return;
    if (direct && evbuffer_get_length(bufferevent_get_output(bev)) == 0) {
        ssize_t w = send(bufferevent_getfd(bev), p, n, MSG_NOSIGNAL | MSG_DONTWAIT);
        if (w > 0)
            off = (size_t)w;
        /* EAGAIN or an error: the bufferevent writes or reports it */
    }
    if (off < n)
        bufferevent_write(bev, p + off, n - off);
}
