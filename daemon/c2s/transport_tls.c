/* daemon/c2s/transport_tls.c — TLS under a client session (see
 * transport.h): OpenSSL through libevent's bufferevent_openssl, from the
 * first byte (direct TLS), stacked as a filter after a PROXY header (direct
 * TLS behind a proxy), or swapped in for the socket bufferevent on STARTTLS
 * (RFC 6120 §5).  Reading, queued writing and closing are the bufferevent
 * operations of transport_tcp.c; a bound session's replies (the cork,
 * edd_transport_send) go to SSL_write at once when nothing is queued
 * (tls_send); what a failed connection reports comes from OpenSSL's error
 * queue. */
#include <stdio.h>
#include <string.h>
#include <stdlib.h>

#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <event2/bufferevent_ssl.h>
#include <event2/util.h>
#include <openssl/err.h>
#include <openssl/ssl.h>

#include "c2s/transport.h"
#include "core/io.h"
#include "core/log.h"

/* "TLS: " and the reasons OpenSSL queued for the failed connection,
 * separated by "; "; NULL when there are none. */
const char *edd_transport_tls_why(edd_transport *t, char *buf, size_t n)
{
    unsigned long e;
    size_t len = 0;
    while ((e = bufferevent_get_openssl_error(t->bev)) != 0) {
        const char *r = ERR_reason_error_string(e);
        int w = snprintf(buf + len, n - len, "%s%s", len ? "; " : "TLS: ", r ? r : "?");
        if (w > 0)
            len = (size_t)w >= n - len ? n - 1 : len + (size_t)w;
    }
    return len ? buf : NULL;
}

/* Bytes per direct SSL_write: what bufferevent_openssl hands OpenSSL per
 * call (its MAX_TO_WRITE_EVER), so that a write OpenSSL could not finish
 * (WANT_WRITE: the socket is full) is retried by the bufferevent with the
 * same start and length, as OpenSSL requires. */
#define TLS_DIRECT_CHUNK 16384

/* bufferevent_openssl writes only after a loop turn spent waiting for the
 * socket to become writable (an epoll_ctl, an epoll_wait, a second
 * epoll_ctl): with nothing queued, the handshake done and the socket
 * OpenSSL's own (not a filter), OpenSSL writes at once, as the plaintext
 * path sends at once (core/io.c).  What it cannot take now goes to the
 * bufferevent, from the first byte it has not written.  Any error is left
 * for the bufferevent's own write to meet and report. */
static void tls_send(edd_transport *t, const char *p, size_t n)
{
    size_t off = 0;
    if (n == 0)
        return; /* an empty cork: p may be NULL */
    SSL *ssl = bufferevent_openssl_get_ssl(t->bev);
    if (ssl && bufferevent_get_underlying(t->bev) == NULL && SSL_is_init_finished(ssl) &&
        evbuffer_get_length(bufferevent_get_output(t->bev)) == 0) {
        while (off < n) {
            size_t k = n - off < TLS_DIRECT_CHUNK ? n - off : TLS_DIRECT_CHUNK;
            ERR_clear_error();
            int r = SSL_write(ssl, p + off, (int)k);
            if (r <= 0) {
                ERR_clear_error();
                break;
            }
            off += (size_t)r;
        }
    }
    edd_io_send(t->bev, false, p + off, n - off); /* the rest: OpenSSL via the bufferevent */
}

static void tls_fast_reads(edd_transport *t)
{
    (void)t; /* OpenSSL reads the socket */
}

static bool tls_start_again(edd_transport *t, SSL_CTX *ctx, bool after_proxy)
{
    (void)t, (void)ctx, (void)after_proxy;
    return false; /* already TLS */
}

const edd_transport_ops edd_transport_tls_ops = {
    .name = "tls",
    .secure = true,
    .peek = edd_transport_bev_peek,
    .pullup = edd_transport_bev_pullup,
    .drain = edd_transport_bev_drain,
    .write = edd_transport_bev_write,
    .send = tls_send,
    .pending = edd_transport_bev_pending,
    .set_timeout = edd_transport_bev_set_timeout,
    .fast_reads = tls_fast_reads,
    .start_tls = tls_start_again,
    .stop = edd_transport_bev_stop,
    .free = edd_transport_bev_free,
    .why = edd_transport_tls_why,
};

/* The read watermark of transport_tcp.c is not used under OpenSSL.
 * libevent 2.1's bufferevent_openssl stops SSL_read at the high watermark
 * and, once the input is drained, only waits for the socket to become
 * readable again: the rest of a record OpenSSL had already taken off the
 * socket (the tail of a big stanza) then sat there until the client sent
 * more.  Without a watermark one readable socket is read as one
 * READ_DEFAULT (16 KiB) read plus what is left of the current record, so a
 * turn is still bounded (about 32 KiB) and nothing stays behind in SSL. */
static void tls_setup(edd_transport *t)
{
    edd_transport_bev_setup(t);
    bufferevent_setwatermark(t->bev, EV_READ, 0, 0);
}

struct bufferevent *edd_transport_tls_bev(struct event_base *base, evutil_socket_t fd,
                                         SSL_CTX *ctx)
{
    SSL *ssl = SSL_new(ctx);
    struct bufferevent *bev = NULL;
    if (ssl)
        bev = bufferevent_openssl_socket_new(base, fd, ssl, BUFFEREVENT_SSL_ACCEPTING,
                                             BEV_OPT_CLOSE_ON_FREE);
    if (!bev) {
        SSL_free(ssl);
        return NULL;
    }
    bufferevent_openssl_set_allow_dirty_shutdown(bev, 1);
    return bev;
}

edd_transport *edd_transport_tls_new(struct event_base *base, evutil_socket_t fd, SSL_CTX *ctx,
                                   size_t read_high, int64_t timeout,
                                   const edd_transport_cbs *cbs, void *ud)
{
    edd_transport *t = calloc(1, sizeof *t);
    if (!t || !(t->bev = edd_transport_tls_bev(base, fd, ctx))) {
        free(t);
        return NULL;
    }
    t->ops = &edd_transport_tls_ops;
    t->base = base;
    t->read_high = read_high;
    t->timeout = timeout;
    t->cbs = *cbs;
    t->ud = ud;
    tls_setup(t);
    return t;
}

/* Put TLS on top of a tcp transport.  STARTTLS: the socket bufferevent is
 * replaced by an OpenSSL one on the same descriptor (one bufferevent per
 * connection, and the queued <proceed/> is written out first).  Direct TLS
 * after a PROXY header: the bytes already read are the start of the TLS
 * handshake, so a filter is stacked on the socket bufferevent instead. */
struct bufferevent *edd_transport_tls_filter(edd_transport *t, SSL_CTX *ctx)
{
    SSL *ssl = SSL_new(ctx);
    struct bufferevent *tls = ssl ? bufferevent_openssl_filter_new(t->base, t->bev, ssl,
                                                                  BUFFEREVENT_SSL_ACCEPTING,
                                                                  BEV_OPT_CLOSE_ON_FREE)
                                  : NULL;
    if (!tls) {
        SSL_free(ssl);
        return NULL;
    }
    bufferevent_openssl_set_allow_dirty_shutdown(tls, 1);
    return tls;
}

bool edd_transport_tls_start(edd_transport *t, SSL_CTX *ctx, bool after_proxy)
{
    struct bufferevent *tls;
    if (after_proxy) {
        if (!(tls = edd_transport_tls_filter(t, ctx)))
            return false;
        t->bev = tls;
        t->ops = &edd_transport_tls_ops;
        tls_setup(t);
        return true;
    }
    SSL *ssl = SSL_new(ctx);
    if (!ssl)
        return false;
    evutil_socket_t fd = bufferevent_getfd(t->bev);
    struct evbuffer *out = bufferevent_get_output(t->bev);
    /* <proceed/> (and anything before it) is tiny: the socket takes it.
     * A socket bufferevent keeps the start of its output frozen. */
    evbuffer_unfreeze(out, 1);
    while (evbuffer_get_length(out) > 0)
        if (evbuffer_write(out, fd) <= 0)
            break;
    if (evbuffer_get_length(out) > 0) {
        edd_log_warn("c2s: STARTTLS: cannot write <proceed/> (fd %d): %s", (int)fd,
                    evutil_socket_error_to_string(EVUTIL_SOCKET_ERROR()));
        SSL_free(ssl);
        return false;
    }
    bufferevent_disable(t->bev, EV_READ | EV_WRITE);
    bufferevent_setfd(t->bev, -1);
    bufferevent_free(t->bev);
    t->bev = NULL;
    tls = bufferevent_openssl_socket_new(t->base, fd, ssl, BUFFEREVENT_SSL_ACCEPTING,
                                         BEV_OPT_CLOSE_ON_FREE);
    if (!tls) {
        evutil_closesocket(fd);
        /* a transport needs a bufferevent until it is freed */
        t->bev = bufferevent_socket_new(t->base, -1, 0);
        return false;
    }
    bufferevent_openssl_set_allow_dirty_shutdown(tls, 1);
    t->bev = tls;
    t->ops = &edd_transport_tls_ops;
    tls_setup(t);
    return true;
}
