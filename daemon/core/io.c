/* daemon/core/io.c — see io.h.  One send(2) for a whole read's replies saves an
 * epoll_ctl to watch for writability, a loop turn, a writev and an
 * epoll_ctl to stop watching.  The closer lets a stream's last bytes (a
 * </stream:stream>, a stream error) reach the peer before the socket is
 * closed: libevent offers no way to drain a bufferevent synchronously. */
#include "core/io.h"

#include <event2/buffer.h>
#include <event2/event.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <sys/types.h>

void edd_io_send(struct bufferevent *bev, bool direct, const char *p, size_t n)
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

typedef struct closer {
    struct bufferevent *bev;
    struct event *deadline;
} closer;

static void closer_free(closer *k)
{
    bufferevent_free(k->bev);
    event_free(k->deadline);
    free(k);
}

static void closer_written(struct bufferevent *bev, void *arg)
{
    closer_free(arg);
}

static void closer_event(struct bufferevent *bev, short what, void *arg)
{
    closer_free(arg);
}

static void closer_timeout(evutil_socket_t fd, short what, void *arg)
{
    closer_free(arg);
}

void edd_io_close_later(struct event_base *base, struct bufferevent *bev, int secs)
{
    struct timeval tv = {.tv_sec = secs, .tv_usec = 0};
    closer *k = NULL;
    if (evbuffer_get_length(bufferevent_get_output(bev)) == 0 ||
        !(k = calloc(1, sizeof *k)) ||
        !(k->deadline = evtimer_new(base, closer_timeout, k)) ||
        evtimer_add(k->deadline, &tv) != 0) {
        if (k && k->deadline)
            event_free(k->deadline);
        free(k);
        bufferevent_free(bev);
        return;
    }
    k->bev = bev;
    bufferevent_setwatermark(bev, EV_WRITE, 0, 0);
    bufferevent_setcb(bev, NULL, closer_written, closer_event, k);
    bufferevent_set_timeouts(bev, NULL, NULL);
    bufferevent_disable(bev, EV_READ);
    bufferevent_enable(bev, EV_WRITE);
}
