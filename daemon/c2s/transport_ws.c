/* daemon/c2s/transport_ws.c — XMPP over WebSocket (RFC 7395) under a client
 * session (see transport.h), over plain TCP (ws://) or TLS (wss://, the
 * bufferevent_openssl of transport_tls.c).
 *
 * A connection starts in HTTP: the request is read (at most
 * EDD_WS_HTTP_MAX bytes, within the session's handshake deadline) and
 * answered by ws_http.c: 101 and WebSocket from then on, or a final
 * response (XEP-0156 host-meta, or a refusal with its status) written out
 * before the connection closes.  The session sees none of it: it waits for
 * its stream header as on TCP, and what it writes before the upgrade is
 * dropped.
 *
 * Why wslay (Debian's libwslay 1.1.1) and not libwebsockets: wslay's event
 * API is only frames, driven by recv/send callbacks, so it sits on the
 * session's own bufferevent (plain or OpenSSL) and libevent loop as it is;
 * libwebsockets wants to own the sockets, the TLS and the event loop, and
 * Debian's build has no libevent event-lib plugin.  Why http-parser
 * (libhttp-parser 2.9.4): the only HTTP/1.1 request parser Debian 12
 * ships as a C library (llhttp only as Node.js sources, picohttpparser not
 * at all); upstream is archived, Debian maintains it, and here it only
 * reads one bounded request.
 *
 * Frames are wslay's (its event API): this file gives it
 * the bytes read (recv callback) and takes the bytes to write (send
 * callback, into the bufferevent, never blocking).  wslay reassembles
 * fragmented messages up to the message limit (else it closes with 1009),
 * refuses unmasked client frames and bad UTF-8 (1002, 1007), answers pings
 * and echoes a close.  Each text message is translated by ws_xmpp.c into
 * the XML stream the session's parser reads (<open/> -> a stream header,
 * <close/> -> </stream:stream>, stanzas as they are); a binary message is
 * refused with 1003.  The other way, the transport is `framed`: each write
 * of the session is one top-level element and goes out as one text message
 * (session.c writes RFC 7395's <open/> and <close/> itself).
 *
 * When wslay ends the connection (a protocol error, the client's close
 * frame without a stream to end), or after a final HTTP response, the
 * transport reads into nothing, lets what is queued (the close frame, the
 * response) reach the client within EDD_WS_FLUSH_SECS and only then tells
 * the session (cbs.closed). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <event2/bufferevent_ssl.h>
#include <event2/event.h>
#include <wslay/wslay.h>

#include "c2s/transport.h"
#include "c2s/ws.h"
#include "core/log.h"

#define EDD_WS_FLUSH_SECS 5 /* a final response or close frame gets this long */
#define EDD_WS_LINGER_SECS 2 /* then the client this long to close its side */

typedef enum {
    WS_PROXY, /* a PROXY header first: raw bytes for the session (read_proxy) */
    WS_HTTP,  /* the HTTP request */
    WS_OPEN,  /* WebSocket */
    WS_DONE   /* over: flushing, then lingering */
} ws_phase;

typedef struct ws {
    edd_transport t;            /* first: the bufferevent operations see this */
    edd_ws_conf *conf;          /* until the handshake is over */
    wslay_event_context_ptr ctx; /* from the upgrade on */
    struct evbuffer *xml;       /* the XML stream for the session */
    size_t max_msg;             /* bytes of a message */
    ws_phase phase;
    bool opened;                /* an <open/> went to the session */
    bool lingering;             /* over, written, half-closed (linger) */
    char why[96];               /* why it ended, for cbs.closed */
} ws;

static void finish(ws *w, const char *why);
static void set_watermark(ws *w);

/* --- wslay's callbacks ---------------------------------------------------- */

static ssize_t ws_recv(wslay_event_context_ptr ctx, uint8_t *buf, size_t len, int flags,
                       void *ud)
{
    (void)flags;
    ws *w = ud;
    int n = evbuffer_remove(bufferevent_get_input(w->t.bev), buf, len);
    if (n <= 0) {
        wslay_event_set_error(ctx, WSLAY_ERR_WOULDBLOCK);
        return -1;
    }
    return n;
}

static ssize_t ws_send(wslay_event_context_ptr ctx, const uint8_t *data, size_t len,
                       int flags, void *ud)
{
    (void)flags;
    ws *w = ud;
    if (bufferevent_write(w->t.bev, data, len) != 0) {
        wslay_event_set_error(ctx, WSLAY_ERR_CALLBACK_FAILURE);
        return -1;
    }
    return (ssize_t)len;
}

static void ws_msg(wslay_event_context_ptr ctx, const struct wslay_event_on_msg_recv_arg *m,
                   void *ud)
{
    ws *w = ud;
    if (m->opcode == WSLAY_BINARY_FRAME) {
        static const char r[] = "XMPP is sent in text messages (RFC 7395)";
        wslay_event_queue_close(ctx, WSLAY_CODE_UNSUPPORTED_DATA, (const uint8_t *)r,
                                sizeof r - 1);
        wslay_event_shutdown_read(ctx);
        snprintf(w->why, sizeof w->why, "websocket: a binary message (closed with 1003)");
        return;
    }
    if (m->opcode == WSLAY_CONNECTION_CLOSE) {
        /* wslay queued the reply; an open stream ends as with </stream:stream> */
        if (w->opened)
            evbuffer_add(w->xml, "</stream:stream>", 16);
        return;
    }
    if (m->opcode != WSLAY_TEXT_FRAME)
        return; /* ping and pong: wslay answers */
    ed_buf b = {0};
    const char *p = (const char *)m->msg;
    if (edd_ws_message_in(p, m->msg_length, &b)) {
        if (b.len > 0 && b.data[1] != '/')
            w->opened = true;
        evbuffer_add(w->xml, b.data, b.len);
        ed_buf_free(&b);
        return;
    }
    evbuffer_add(w->xml, p, m->msg_length);
}

static const struct wslay_event_callbacks ws_cbs = {
    .recv_callback = ws_recv,
    .send_callback = ws_send,
    .on_msg_recv_callback = ws_msg,
};

/* --- reading --------------------------------------------------------------- */

static void read_http(ws *w)
{
    struct evbuffer *in = bufferevent_get_input(w->t.bev);
    size_t n = evbuffer_get_length(in);
    if (n > EDD_WS_HTTP_MAX)
        n = EDD_WS_HTTP_MAX;
    const char *p = (const char *)evbuffer_pullup(in, (ev_ssize_t)n);
    ed_buf resp = {0};
    size_t used = 0;
    const char *why = NULL;
    edd_ws_http st = p ? edd_ws_http_request(w->conf, p, n, &resp, &used, &why) : EDD_WS_HTTP_MORE;
    if (st == EDD_WS_HTTP_MORE) {
        ed_buf_free(&resp);
        return;
    }
    bufferevent_write(w->t.bev, resp.data, resp.len);
    ed_buf_free(&resp);
    if (st == EDD_WS_HTTP_RESPOND) {
        if (why) {
            char line[128];
            snprintf(line, sizeof line, "websocket: HTTP request refused: %s", why);
            finish(w, line);
        } else {
            finish(w, NULL);
        }
        return;
    }
    evbuffer_drain(in, used);
    if (wslay_event_context_server_init(&w->ctx, &ws_cbs, w) != 0) {
        w->ctx = NULL;
        finish(w, "websocket: out of memory");
        return;
    }
    wslay_event_config_set_max_recv_msg_length(w->ctx, w->max_msg);
    w->phase = WS_OPEN;
    set_watermark(w);
    edd_ws_conf_unref(w->conf);
    w->conf = NULL;
}

static void read_frames(ws *w)
{
    int r = wslay_event_recv(w->ctx);
    wslay_event_send(w->ctx); /* pongs, the close frame */
    if (evbuffer_get_length(w->xml) > 0)
        w->t.cbs.readable(w->t.ud);
    if (w->t.stopped)
        return; /* the session is closing */
    if (r != 0 || !wslay_event_get_read_enabled(w->ctx)) {
        if (!w->why[0] && !wslay_event_get_close_received(w->ctx))
            snprintf(w->why, sizeof w->why, "websocket: protocol error (closed with %u)",
                     (unsigned)wslay_event_get_status_code_sent(w->ctx));
        finish(w, w->why[0] ? w->why : NULL);
    }
}

static void on_read(struct bufferevent *bev, void *arg)
{
    ws *w = arg;
    if (w->phase == WS_PROXY) {
        w->t.cbs.readable(w->t.ud); /* the session reads the PROXY header */
        if (w->t.stopped || w->t.bev != bev)
            return; /* closed, or a TLS filter now reads (start_tls) */
    }
    if (w->phase == WS_HTTP)
        read_http(w);
    if (w->phase == WS_OPEN)
        read_frames(w);
    else if (w->phase == WS_DONE)
        evbuffer_drain(bufferevent_get_input(bev), SIZE_MAX);
}

/* What is queued is written: half-close and read into nothing until the
 * client closes too (or EDD_WS_LINGER_SECS pass), so that input still in
 * flight does not turn the close into a reset that destroys the response
 * before the client has read it (a refused 8 KiB request).  Then the
 * session is told. */
static void linger(ws *w)
{
    if (w->lingering)
        return;
    w->lingering = true;
    evutil_socket_t fd = bufferevent_getfd(w->t.bev);
    if (fd >= 0)
        shutdown(fd, SHUT_WR);
    struct timeval tv = {.tv_sec = EDD_WS_LINGER_SECS, .tv_usec = 0};
    bufferevent_set_timeouts(w->t.bev, &tv, NULL);
}

/* The connection is over: what is read from now on is dropped; once what
 * is queued is written (within EDD_WS_FLUSH_SECS) it lingers. */
static void finish(ws *w, const char *why)
{
    w->phase = WS_DONE;
    if (why && why != w->why)
        snprintf(w->why, sizeof w->why, "%s", why);
    else if (!why)
        w->why[0] = 0;
    struct timeval tv = {.tv_sec = EDD_WS_FLUSH_SECS, .tv_usec = 0};
    bufferevent_set_timeouts(w->t.bev, NULL, &tv);
    if (evbuffer_get_length(bufferevent_get_output(w->t.bev)) == 0)
        linger(w);
    /* else on_write, or the write timeout */
}

static void on_write(struct bufferevent *bev, void *arg)
{
    ws *w = arg;
    (void)bev;
    if (w->phase == WS_DONE && !w->t.stopped)
        linger(w);
}

static void on_event(struct bufferevent *bev, short what, void *arg)
{
    ws *w = arg;
    (void)bev;
    if (what & BEV_EVENT_CONNECTED) { /* TLS handshake done */
        w->t.cbs.connected(w->t.ud);
        return;
    }
    if ((what & BEV_EVENT_TIMEOUT) && w->phase != WS_DONE) {
        /* the session's read timeout (before the end: the linger and flush
         * timeouts fall through to closed) */
        w->t.cbs.timeout(w->t.ud);
        return;
    }
    char buf[256];
    const char *why = (what & BEV_EVENT_ERROR) && w->t.ops->why ? w->t.ops->why(&w->t, buf, sizeof buf)
                                                                : NULL;
    if (!why && w->phase == WS_DONE && w->why[0])
        why = w->why;
    w->t.cbs.closed(w->t.ud, why);
}

/* --- the operations -------------------------------------------------------- */

static const char *ws_peek(edd_transport *t, size_t *n)
{
    ws *w = (ws *)t;
    if (w->phase == WS_PROXY)
        return edd_transport_bev_peek(t, n);
    struct evbuffer_iovec v;
    if (evbuffer_get_length(w->xml) == 0 || evbuffer_peek(w->xml, -1, NULL, &v, 1) < 1) {
        *n = 0;
        return NULL;
    }
    *n = v.iov_len;
    return v.iov_base;
}

static const char *ws_pullup(edd_transport *t, size_t max, size_t *n)
{
    ws *w = (ws *)t;
    if (w->phase == WS_PROXY)
        return edd_transport_bev_pullup(t, max, n);
    size_t len = evbuffer_get_length(w->xml);
    *n = len > max ? max : len;
    return (const char *)evbuffer_pullup(w->xml, (ev_ssize_t)*n);
}

static void ws_drain(edd_transport *t, size_t n)
{
    ws *w = (ws *)t;
    if (w->phase == WS_PROXY) {
        edd_transport_bev_drain(t, n);
        return;
    }
    size_t len = evbuffer_get_length(w->xml);
    if (n >= len) {
        evbuffer_drain(w->xml, len);
        if (n == SIZE_MAX) /* a new stream: the next <open/> starts it */
            w->opened = false;
        return;
    }
    evbuffer_drain(w->xml, n);
}

static void ws_proxied(edd_transport *t)
{
    ws *w = (ws *)t;
    if (w->phase == WS_PROXY)
        w->phase = WS_HTTP; /* on_read goes on with what follows the header */
}

/* One top-level element from the session: one text message. */
static void ws_write(edd_transport *t, const char *p, size_t n)
{
    ws *w = (ws *)t;
    if (w->phase != WS_OPEN || n == 0)
        return; /* before the upgrade, or after the end: nobody reads it */
    struct wslay_event_msg m = {WSLAY_TEXT_FRAME, (const uint8_t *)p, n};
    if (wslay_event_queue_msg(w->ctx, &m) == 0)
        wslay_event_send(w->ctx);
}

static void ws_fast_reads(edd_transport *t)
{
    (void)t; /* wslay reads through the bufferevent */
}

static void setup_bev(ws *w);
static const edd_transport_ops wss_ops;

/* Only after a PROXY header on a wss:// listener: the bytes read so far
 * are the start of the TLS handshake, so an OpenSSL filter is stacked on
 * the socket bufferevent (as transport_tls.c does for XMPP).  There is no
 * STARTTLS over WebSocket. */
static bool ws_start_tls(edd_transport *t, SSL_CTX *ctx, bool after_proxy)
{
    ws *w = (ws *)t;
    if (!after_proxy || w->phase != WS_PROXY)
        return false;
    struct bufferevent *tls = edd_transport_tls_filter(t, ctx);
    if (!tls)
        return false;
    t->bev = tls;
    t->ops = &wss_ops;
    w->phase = WS_HTTP;
    setup_bev(w);
    return true;
}

static void ws_stop(edd_transport *t, bool flush)
{
    ws *w = (ws *)t;
    if (flush && w->phase == WS_OPEN && !wslay_event_get_close_sent(w->ctx)) {
        /* the session wrote its <close/>: the WebSocket closes too (RFC 7395 §3.6) */
        wslay_event_queue_close(w->ctx, WSLAY_CODE_NORMAL_CLOSURE, NULL, 0);
        wslay_event_send(w->ctx);
    }
    edd_transport_bev_stop(t, flush);
}

static void ws_free(edd_transport *t, bool flush, int flush_secs)
{
    ws *w = (ws *)t;
    if (w->ctx)
        wslay_event_context_free(w->ctx);
    evbuffer_free(w->xml);
    edd_ws_conf_unref(w->conf);
    edd_transport_bev_free(t, flush, flush_secs); /* frees w */
}

#define WS_OPS(name_, secure_, why_)                                             \
    {                                                                            \
        .name = name_, .secure = secure_, .framed = true, .peek = ws_peek,       \
        .pullup = ws_pullup, .drain = ws_drain, .write = ws_write,               \
        .send = ws_write, .pending = edd_transport_bev_pending,                  \
        .set_timeout = edd_transport_bev_set_timeout, .fast_reads = ws_fast_reads, \
        .proxied = ws_proxied, .start_tls = ws_start_tls, .stop = ws_stop,       \
        .free = ws_free, .why = why_,                                            \
    }
static const edd_transport_ops ws_ops = WS_OPS("ws", false, NULL);
static const edd_transport_ops wss_ops = WS_OPS("wss", true, edd_transport_tls_why);

/* The read watermark: none under OpenSSL (see transport_tls.c); in plain
 * HTTP the whole request may be buffered (the request is looked at whole,
 * so a watermark below EDD_WS_HTTP_MAX would stall a big one), then
 * read_high per turn. */
static void set_watermark(ws *w)
{
    size_t high = w->t.ops->secure ? 0 : w->phase <= WS_HTTP ? EDD_WS_HTTP_MAX : w->t.read_high;
    bufferevent_setwatermark(w->t.bev, EV_READ, 0, high);
}

static void setup_bev(ws *w)
{
    bufferevent_setcb(w->t.bev, on_read, on_write, on_event, w);
    set_watermark(w);
    edd_transport_bev_set_timeout(&w->t, w->t.timeout);
    bufferevent_enable(w->t.bev, EV_READ | EV_WRITE);
}

edd_transport *edd_transport_ws_new(struct event_base *base, evutil_socket_t fd, SSL_CTX *ctx,
                                  edd_ws_conf *conf, bool proxy, size_t max_msg,
                                  size_t read_high, int64_t timeout,
                                  const edd_transport_cbs *cbs, void *ud)
{
    ws *w = calloc(1, sizeof *w);
    if (!w)
        return NULL;
    if (!(w->xml = evbuffer_new()))
        goto fail;
    w->t.bev = ctx ? edd_transport_tls_bev(base, fd, ctx)
                   : bufferevent_socket_new(base, fd, BEV_OPT_CLOSE_ON_FREE);
    if (!w->t.bev)
        goto fail;
    w->t.ops = ctx ? &wss_ops : &ws_ops;
    w->t.base = base;
    w->t.read_high = read_high;
    w->t.timeout = timeout;
    w->t.cbs = *cbs;
    w->t.ud = ud;
    w->conf = edd_ws_conf_ref(conf);
    w->max_msg = max_msg;
    w->phase = proxy ? WS_PROXY : WS_HTTP;
    setup_bev(w);
    return &w->t;
fail:
    if (w->xml)
        evbuffer_free(w->xml);
    free(w);
    return NULL;
}
