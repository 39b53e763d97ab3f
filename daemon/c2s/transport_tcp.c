/* daemon/c2s/transport_tcp.c — plain TCP under a client session (see
 * transport.h), and the bufferevent-backed operations TLS shares.
 *
 * The hot path of the benchmark: once the session is bound (fast_reads)
 * and what the bufferevent had read is consumed, reads go straight to
 * recv(2) into the c2s-wide buffer (the bufferevent's evbuffer_read costs
 * an ioctl(FIONREAD) and a copy per read) and a read's replies go out with
 * one send(2) (io.c's edd_io_send).  The bufferevent keeps the writing (and
 * reports write errors); the read timeout moves to the read event
 * (persistent: reset by every read). */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <event2/event.h>

#include "c2s/transport.h"
#include "core/io.h"

/* --- the bufferevent-backed operations --------------------------------- */

const char *edd_transport_bev_peek(edd_transport *t, size_t *n)
{
    struct evbuffer *in = bufferevent_get_input(t->bev);
    struct evbuffer_iovec v;
    if (evbuffer_get_length(in) == 0 || evbuffer_peek(in, -1, NULL, &v, 1) < 1) {
        *n = 0;
        return NULL;
    }
    *n = v.iov_len;
    return v.iov_base;
}

const char *edd_transport_bev_pullup(edd_transport *t, size_t max, size_t *n)
{
    struct evbuffer *in = bufferevent_get_input(t->bev);
    size_t len = evbuffer_get_length(in);
    if (len > max)
        len = max;
    *n = len;
    return (const char *)evbuffer_pullup(in, (ev_ssize_t)len);
}

void edd_transport_bev_drain(edd_transport *t, size_t n)
{
    struct evbuffer *in = bufferevent_get_input(t->bev);
    evbuffer_drain(in, n == SIZE_MAX ? evbuffer_get_length(in) : n);
}

void edd_transport_bev_write(edd_transport *t, const char *p, size_t n)
{
    bufferevent_write(t->bev, p, n);
}

size_t edd_transport_bev_pending(const edd_transport *t)
{
    return evbuffer_get_length(bufferevent_get_output(t->bev));
}

void edd_transport_bev_set_timeout(edd_transport *t, int64_t secs)
{
    t->timeout = secs;
    struct timeval tv = {.tv_sec = secs > 0 ? secs : 1, .tv_usec = 0};
    bufferevent_set_timeouts(t->bev, &tv, NULL);
}

void edd_transport_bev_stop(edd_transport *t, bool flush)
{
    t->stopped = true;
    if (t->rev) {
        event_free(t->rev);
        t->rev = NULL;
    }
    if (!t->bev)
        return;
    bufferevent_disable(t->bev, flush ? EV_READ : EV_READ | EV_WRITE);
    bufferevent_setcb(t->bev, NULL, NULL, NULL, NULL);
}

void edd_transport_bev_free(edd_transport *t, bool flush, int flush_secs)
{
    if (t->rev)
        event_free(t->rev);
    if (t->bev) {
        if (flush)
            edd_io_close_later(t->base, t->bev, flush_secs);
        else
            bufferevent_free(t->bev);
    }
    free(t);
}

static void fast_reading(edd_transport *t);

static void on_bev_read(struct bufferevent *bev, void *arg)
{
    edd_transport *t = arg;
    t->cbs.readable(t->ud);
    if (t->fast && !t->stopped)
        fast_reading(t);
}

static void on_bev_event(struct bufferevent *bev, short what, void *arg)
{
    edd_transport *t = arg;
    if (what & BEV_EVENT_CONNECTED) { /* TLS handshake done */
        t->cbs.connected(t->ud);
        return;
    }
    if (what & BEV_EVENT_TIMEOUT) {
        t->cbs.timeout(t->ud);
        return;
    }
    char buf[256];
    const char *why = (what & BEV_EVENT_ERROR) && t->ops->why ? t->ops->why(t, buf, sizeof buf)
                                                              : NULL;
    t->cbs.closed(t->ud, why); /* EOF or error */
}

void edd_transport_bev_setup(edd_transport *t)
{
    bufferevent_setcb(t->bev, on_bev_read, NULL, on_bev_event, t);
    bufferevent_setwatermark(t->bev, EV_READ, 0, t->read_high);
    edd_transport_bev_set_timeout(t, t->timeout);
    bufferevent_enable(t->bev, EV_READ | EV_WRITE);
}

/* --- plain TCP ------------------------------------------------------------ */

static const char *tcp_peek(edd_transport *t, size_t *n)
{
    if (!t->rev)
        return edd_transport_bev_peek(t, n);
    *n = t->rlen - t->roff;
    return *n ? t->rbuf + t->roff : NULL;
}

static void tcp_drain(edd_transport *t, size_t n)
{
    if (!t->rev) {
        edd_transport_bev_drain(t, n);
        return;
    }
    t->roff = n >= t->rlen - t->roff ? t->rlen : t->roff + n;
}

static void tcp_send(edd_transport *t, const char *p, size_t n)
{
    edd_io_send(t->bev, true, p, n);
}

static void tcp_set_timeout(edd_transport *t, int64_t secs)
{
    edd_transport_bev_set_timeout(t, secs);
    if (t->rev) {
        struct timeval tv = {.tv_sec = secs > 0 ? secs : 1, .tv_usec = 0};
        event_add(t->rev, &tv);
    }
}

static void on_fast_read(evutil_socket_t fd, short what, void *arg)
{
    edd_transport *t = arg;
    if (what & EV_TIMEOUT) {
        t->cbs.timeout(t->ud);
        return;
    }
    ssize_t n = recv(fd, t->rbuf, t->rbufsz, 0);
    if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR))
        return;
    if (n <= 0) {
        char why[160];
        if (n < 0)
            snprintf(why, sizeof why, "read: %s", strerror(errno));
        t->cbs.closed(t->ud, n < 0 ? why : NULL); /* EOF or error */
        return;
    }
    t->rlen = (size_t)n;
    t->roff = 0;
    t->cbs.readable(t->ud);
    t->rlen = t->roff = 0; /* rbuf is shared: what is left is dropped */
}

/* Switch to recv(2) once nothing is left in the bufferevent's input. */
static void fast_reading(edd_transport *t)
{
    if (t->rev || t->ops->secure || evbuffer_get_length(bufferevent_get_input(t->bev)) > 0)
        return;
    evutil_socket_t fd = bufferevent_getfd(t->bev);
    if (fd < 0)
        return;
    struct event *ev = event_new(t->base, fd, EV_READ | EV_PERSIST, on_fast_read, t);
    if (!ev)
        return; /* keep reading through the bufferevent */
    struct timeval tv = {.tv_sec = t->timeout > 0 ? t->timeout : 1, .tv_usec = 0};
    if (event_add(ev, &tv) != 0) {
        event_free(ev);
        return;
    }
    t->rev = ev;
    bufferevent_disable(t->bev, EV_READ);
}

static void tcp_fast_reads(edd_transport *t)
{
    t->fast = true; /* on_bev_read switches when the read is done */
}

static const edd_transport_ops tcp_ops = {
    .name = "tcp",
    .secure = false,
    .peek = tcp_peek,
    .pullup = edd_transport_bev_pullup,
    .drain = tcp_drain,
    .write = edd_transport_bev_write,
    .send = tcp_send,
    .pending = edd_transport_bev_pending,
    .set_timeout = tcp_set_timeout,
    .fast_reads = tcp_fast_reads,
    .start_tls = edd_transport_tls_start,
    .stop = edd_transport_bev_stop,
    .free = edd_transport_bev_free,
    .why = NULL,
};

edd_transport *edd_transport_tcp_new(struct event_base *base, evutil_socket_t fd,
                                   char *rbuf, size_t rbufsz, size_t read_high,
                                   int64_t timeout, const edd_transport_cbs *cbs, void *ud)
{
    edd_transport *t = calloc(1, sizeof *t);
    if (!t)
        return NULL;
    if (!(t->bev = bufferevent_socket_new(base, fd, BEV_OPT_CLOSE_ON_FREE))) {
        free(t);
        return NULL;
    }
    t->ops = &tcp_ops;
    t->base = base;
    t->rbuf = rbuf;
    t->rbufsz = rbufsz;
    t->read_high = read_high;
    t->timeout = timeout;
    t->cbs = *cbs;
    t->ud = ud;
    edd_transport_bev_setup(t);
    return t;
}
