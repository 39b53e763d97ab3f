/* daemon/c2s/transport.h — the byte transport under a client session: what
 * session.c reads its input from and writes its output to.  Plain TCP
 * (transport_tcp.c), TLS (transport_tls.c) and XMPP over WebSocket
 * (transport_ws.c, RFC 7395, over either) implement it, each with its own
 * edd_transport_ops.
 *
 * Reading: the transport calls cbs.readable when input is there; the
 * session looks at it with edd_transport_peek/pullup and consumes it with
 * edd_transport_drain; what it leaves stays for the next call (a transport
 * reading into c2s-wide memory drops it: see edd_transport_fast_reads).
 * Writing never blocks: edd_transport_write queues, edd_transport_send hands
 * over a whole read's replies at once (one send(2) where the transport can).
 *
 * Ownership: the session owns its transport (one each) and frees it with
 * edd_transport_free; the transport owns the socket from edd_transport_tcp_new
 * on.  Single-threaded on the server's event base. */
#ifndef EXTDISCOD_C2S_TRANSPORT_H
#define EXTDISCOD_C2S_TRANSPORT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <event2/event.h>
#include <openssl/ssl.h>

typedef struct edd_transport edd_transport;

/* What the transport tells its session (ud: the session). */
typedef struct edd_transport_cbs {
    void (*readable)(void *ud);  /* input is there to peek at */
    void (*connected)(void *ud); /* the TLS handshake is done */
    void (*timeout)(void *ud);   /* nothing read within the read timeout */
    /* EOF or an error: the session closes (aborts).  why: NULL on EOF,
     * else a reason for the debug log ("read: ...", "TLS: ...") */
    void (*closed)(void *ud, const char *why);
} edd_transport_cbs;

typedef struct edd_transport_ops {
    const char *name; /* "tcp", "tls", "ws", "wss" */
    bool secure;      /* the bytes are encrypted (TLS) */
    /* Message-framed (WebSocket, RFC 7395): each write or send is exactly
     * one top-level element and goes out as one message, so the session
     * does not gather output (no corking) and writes RFC 7395's <open/>
     * and <close/> instead of the stream tags, with every namespace
     * declared on each element.  Input is still a byte stream for the
     * parser: the transport translates the client's <open/> and <close/>
     * into a stream header and </stream:stream>. */
    bool framed;
    /* --- input: what was read and not drained yet */
    /* The first contiguous piece (*n bytes); NULL (*n 0) when none. */
    const char *(*peek)(edd_transport *t, size_t *n);
    /* Up to max bytes in one piece (*n of them); NULL on failure. */
    const char *(*pullup)(edd_transport *t, size_t max, size_t *n);
    /* Consume n bytes (SIZE_MAX: all of them). */
    void (*drain)(edd_transport *t, size_t n);
    /* --- output */
    /* Queue p[0..n) (copied). */
    void (*write)(edd_transport *t, const char *p, size_t n);
    /* A read's replies p[0..n) (copied): written at once when nothing is
     * queued and the transport can (plain TCP: one send(2)), the rest
     * queued. */
    void (*send)(edd_transport *t, const char *p, size_t n);
    /* Bytes queued and not written yet (the output limit's measure). */
    size_t (*pending)(const edd_transport *t);
    /* --- control */
    /* Reading nothing for secs seconds calls cbs.timeout. */
    void (*set_timeout)(edd_transport *t, int64_t secs);
    /* The session is bound: reads are small and frequent.  Once what is
     * buffered is drained the transport may read the cheapest way it has
     * (plain TCP: recv(2) into the c2s-wide buffer; input left undrained
     * after cbs.readable returns is then dropped).  May do nothing. */
    void (*fast_reads)(edd_transport *t);
    /* Continue over TLS with a new SSL from ctx.  after_proxy: what is
     * buffered is the start of the handshake (direct TLS after a PROXY
     * header): a filter is stacked.  Otherwise (STARTTLS, input drained)
     * the queued output (<proceed/>) is written out first and the socket
     * continues under TLS.  false: the connection cannot go on (the
     * session aborts); t stays valid for edd_transport_free. */
    bool (*start_tls)(edd_transport *t, SSL_CTX *ctx, bool after_proxy);
    /* The PROXY header is consumed (and the listener is not direct TLS):
     * what follows is the transport's own protocol (WebSocket: the HTTP
     * request).  NULL: nothing to do (tcp). */
    void (*proxied)(edd_transport *t);
    /* The session closes: no more callbacks, no more reading; flush:
     * what is queued will still be written (edd_transport_free). */
    void (*stop)(edd_transport *t, bool flush);
    /* Free t and close the connection; flush: once what is queued is
     * written, within flush_secs at most (io.c's closer). */
    void (*free)(edd_transport *t, bool flush, int flush_secs);
    /* For the implementations: the reason a connection failed, for
     * cbs.closed (NULL: nothing to add).  May be NULL. */
    const char *(*why)(edd_transport *t, char *buf, size_t n);
} edd_transport_ops;

/* Shared by the implementations (transport_tcp.c, transport_tls.c); the
 * session only goes through the functions below. */
struct edd_transport {
    const edd_transport_ops *ops;
    struct event_base *base;
    struct bufferevent *bev; /* the connection (writes always go here) */
    struct event *rev;       /* tcp fast reads: recv(2) into rbuf */
    char *rbuf;              /* c2s-wide, rbufsz bytes (fast reads) */
    size_t rbufsz;
    size_t rlen, roff;       /* fast reads: rbuf[roff..rlen) not drained */
    size_t read_high;        /* bytes read per turn at most */
    int64_t timeout;         /* read timeout, seconds (set_timeout) */
    edd_transport_cbs cbs;
    void *ud;
    bool fast : 1;           /* fast_reads asked for */
    bool stopped : 1;        /* stop() called */
};

/* Plain TCP on fd.  rbuf: c2s-wide memory for fast reads (rbufsz bytes,
 * outliving t).  Reads stop at read_high bytes per turn; the read timeout
 * is timeout seconds.  Reading and writing start at once.  NULL on failure
 * (out of memory); fd is t's from a successful return on (the caller
 * closes it otherwise). */
edd_transport *edd_transport_tcp_new(struct event_base *base, evutil_socket_t fd,
                                   char *rbuf, size_t rbufsz, size_t read_high,
                                   int64_t timeout, const edd_transport_cbs *cbs, void *ud);
/* The same over TLS from the first byte (direct TLS, no PROXY header): a
 * new SSL from ctx, the handshake as server.  read_high is not a watermark
 * under TLS (see transport_tls.c): a turn reads one 16 KiB read and the
 * rest of the current TLS record, at most about 32 KiB. */
edd_transport *edd_transport_tls_new(struct event_base *base, evutil_socket_t fd, SSL_CTX *ctx,
                                   size_t read_high, int64_t timeout,
                                   const edd_transport_cbs *cbs, void *ud);

/* XMPP over WebSocket (transport_ws.c): an HTTP/1.1 request first (the
 * Upgrade handshake of conf's endpoint, XEP-0156 host-meta, refusals),
 * then WebSocket frames (wslay) carrying RFC 7395 messages of at most
 * max_msg bytes.  ctx: TLS first (wss://), NULL: plain (ws://, or wss://
 * after a PROXY header: start_tls with after_proxy).  proxy: a PROXY
 * header comes first, which the session reads and drains as raw bytes
 * before calling edd_transport_proxied or start_tls.  conf is referenced
 * until the handshake is over.  NULL on failure (out of
 * memory); fd is t's from a successful return on. */
struct edd_ws_conf;
edd_transport *edd_transport_ws_new(struct event_base *base, evutil_socket_t fd, SSL_CTX *ctx,
                                  struct edd_ws_conf *conf, bool proxy, size_t max_msg,
                                  size_t read_high, int64_t timeout,
                                  const edd_transport_cbs *cbs, void *ud);

static inline const char *edd_transport_peek(edd_transport *t, size_t *n)
{
    return t->ops->peek(t, n);
}
static inline const char *edd_transport_pullup(edd_transport *t, size_t max, size_t *n)
{
    return t->ops->pullup(t, max, n);
}
static inline void edd_transport_drain(edd_transport *t, size_t n)
{
    t->ops->drain(t, n);
}
static inline void edd_transport_write(edd_transport *t, const char *p, size_t n)
{
    t->ops->write(t, p, n);
}
static inline void edd_transport_send(edd_transport *t, const char *p, size_t n)
{
    t->ops->send(t, p, n);
}
static inline size_t edd_transport_pending(const edd_transport *t)
{
    return t->ops->pending(t);
}
static inline void edd_transport_set_timeout(edd_transport *t, int64_t secs)
{
    t->ops->set_timeout(t, secs);
}
static inline void edd_transport_fast_reads(edd_transport *t)
{
    t->ops->fast_reads(t);
}
static inline bool edd_transport_start_tls(edd_transport *t, SSL_CTX *ctx, bool after_proxy)
{
    return t->ops->start_tls(t, ctx, after_proxy);
}
static inline void edd_transport_proxied(edd_transport *t)
{
    if (t->ops->proxied)
        t->ops->proxied(t);
}
static inline void edd_transport_stop(edd_transport *t, bool flush)
{
    t->ops->stop(t, flush);
}
static inline void edd_transport_free(edd_transport *t, bool flush, int flush_secs)
{
    if (t)
        t->ops->free(t, flush, flush_secs);
}
static inline bool edd_transport_secure(const edd_transport *t)
{
    return t->ops->secure;
}
static inline bool edd_transport_framed(const edd_transport *t)
{
    return t->ops->framed;
}

/* --- for the implementations: the bufferevent-backed operations
 * (transport_tcp.c), which TLS shares, and the STARTTLS upgrade
 * (transport_tls.c), which the tcp transport offers. */
const char *edd_transport_bev_peek(edd_transport *t, size_t *n);
const char *edd_transport_bev_pullup(edd_transport *t, size_t max, size_t *n);
void edd_transport_bev_drain(edd_transport *t, size_t n);
void edd_transport_bev_write(edd_transport *t, const char *p, size_t n);
size_t edd_transport_bev_pending(const edd_transport *t);
void edd_transport_bev_set_timeout(edd_transport *t, int64_t secs);
void edd_transport_bev_stop(edd_transport *t, bool flush);
void edd_transport_bev_free(edd_transport *t, bool flush, int flush_secs);
/* t->bev's callbacks (read: cbs.readable, events: the other cbs), read
 * watermark t->read_high, timeout t->timeout, reading and writing on. */
void edd_transport_bev_setup(edd_transport *t);
bool edd_transport_tls_start(edd_transport *t, SSL_CTX *ctx, bool after_proxy);
/* A server-side OpenSSL bufferevent on fd with a new SSL from ctx (dirty
 * shutdowns allowed), for transports on TLS (transport_ws.c); NULL on
 * failure (fd not taken). */
struct bufferevent *edd_transport_tls_bev(struct event_base *base, evutil_socket_t fd,
                                         SSL_CTX *ctx);
/* An OpenSSL filter (server side, dirty shutdowns allowed) stacked on
 * t->bev, whose buffered bytes start the handshake (after a PROXY header);
 * NULL on failure (t->bev untouched). */
struct bufferevent *edd_transport_tls_filter(edd_transport *t, SSL_CTX *ctx);
/* OpenSSL's reasons for a failed connection (ops->why of TLS transports). */
const char *edd_transport_tls_why(edd_transport *t, char *buf, size_t n);

#endif
