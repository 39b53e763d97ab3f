/* bench/loadgen_ws.c — the load generator's XMPP over WebSocket (RFC 7395)
 * client side: the HTTP Upgrade request and its 101 answer (Sec-WebSocket-
 * Accept checked), then frames by wslay (client mode: every frame masked,
 * as RFC 6455 requires of a client).  Each received text message, one
 * complete XML element, goes to lg_ws_message() in loadgen_conn.c; what
 * loadgen_conn.c sends goes out as one text message each (lg_ws_send).
 * Plain ws:// only (the side-by-side benchmark is plaintext for every
 * server).  Masks come from a xorshift generator seeded by OpenSSL: a
 * loopback benchmark needs them present, not unpredictable. */
#include <event2/buffer.h>
#include <openssl/evp.h>
#include <openssl/rand.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <wslay/wslay.h>

#include "loadgen.h"

#define WS_GUID "258EAFA5-E914-47DA-95CA-C5AB0DC85B11"
#define WS_MAX_HTTP 8192             /* the 101 answer's headers */
#define WS_MAX_MSG (LG_SBUF_SIZE)    /* largest message taken */

struct lg_ws {
    struct wslay_event_context *ctx;
    bool up;                /* 101 received: frames from now on */
    bool in_recv;           /* inside wslay_event_recv: send afterwards */
    struct evbuffer *in;    /* the bufferevent's input, while receiving */
    char accept[32];        /* the Sec-WebSocket-Accept we expect */
    uint64_t rnd;           /* mask generator state */
};

static ssize_t recv_cb(wslay_event_context_ptr ctx, uint8_t *buf, size_t len, int flags,
                       void *ud)
{
    lg_conn *c = ud;
    (void)flags;
    int n = c->ws->in ? evbuffer_remove(c->ws->in, buf, len) : 0;
    if (n <= 0) {
        wslay_event_set_error(ctx, WSLAY_ERR_WOULDBLOCK);
        return -1;
    }
    return n;
}

static ssize_t send_cb(wslay_event_context_ptr ctx, const uint8_t *data, size_t len, int flags,
                       void *ud)
{
    lg_conn *c = ud;
    (void)flags;
    if (!c->bev || bufferevent_write(c->bev, data, len) != 0) {
        wslay_event_set_error(ctx, WSLAY_ERR_CALLBACK_FAILURE);
        return -1;
    }
    return (ssize_t)len;
}

static int genmask_cb(wslay_event_context_ptr ctx, uint8_t *buf, size_t len, void *ud)
{
    lg_conn *c = ud;
    (void)ctx;
    for (size_t i = 0; i < len; i++) {
        uint64_t x = c->ws->rnd;
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        c->ws->rnd = x;
        buf[i] = (uint8_t)(x >> 24);
    }
    return 0;
}

static void msg_cb(wslay_event_context_ptr ctx, const struct wslay_event_on_msg_recv_arg *a,
                   void *ud)
{
    lg_conn *c = ud;
    (void)ctx;
    if (a->opcode == WSLAY_TEXT_FRAME)
        lg_ws_message(c, (const char *)a->msg, a->msg_length);
    else if (a->opcode == WSLAY_CONNECTION_CLOSE)
        lg_ws_message(c, NULL, 0);
}

int lg_ws_init(lg_conn *c)
{
    static const struct wslay_event_callbacks cbs = {
        .recv_callback = recv_cb, .send_callback = send_cb, .genmask_callback = genmask_cb,
        .on_msg_recv_callback = msg_cb};
    if (!(c->ws = calloc(1, sizeof *c->ws)))
        return -1;
    if (RAND_bytes((unsigned char *)&c->ws->rnd, sizeof c->ws->rnd) != 1 || !c->ws->rnd)
        c->ws->rnd = 0x9e3779b97f4a7c15ULL ^ (uint64_t)c->idx;
    if (wslay_event_context_client_init(&c->ws->ctx, &cbs, c) != 0)
        return -1;
    wslay_event_config_set_max_recv_msg_length(c->ws->ctx, WS_MAX_MSG);
    return 0;
}

void lg_ws_free(lg_conn *c)
{
    if (!c->ws)
        return;
    if (c->ws->ctx)
        wslay_event_context_free(c->ws->ctx);
    free(c->ws);
    c->ws = NULL;
}

/* The Upgrade request, once connected. */
void lg_ws_handshake(lg_conn *c)
{
    unsigned char key[16], md[EVP_MAX_MD_SIZE];
    char key64[32], in[96], req[512];
    unsigned int mdlen = 0;
    if (RAND_bytes(key, sizeof key) != 1) {
        lg_conn_fail(c, "RAND_bytes failed");
        return;
    }
    EVP_EncodeBlock((unsigned char *)key64, key, sizeof key);
    snprintf(in, sizeof in, "%s" WS_GUID, key64);
    if (EVP_Digest(in, strlen(in), md, &mdlen, EVP_sha1(), NULL) != 1) {
        lg_conn_fail(c, "SHA-1 failed");
        return;
    }
    EVP_EncodeBlock((unsigned char *)c->ws->accept, md, mdlen);
    /* Host: the XMPP domain (Prosody picks the virtual host by it) */
    int n = snprintf(req, sizeof req,
                     "GET %s HTTP/1.1\r\nHost: %s:%d\r\nUpgrade: websocket\r\n"
                     "Connection: Upgrade\r\nSec-WebSocket-Key: %s\r\n"
                     "Sec-WebSocket-Version: 13\r\nSec-WebSocket-Protocol: xmpp\r\n\r\n",
                     c->g->o.ws_path, c->g->o.domain, c->g->o.port, key64);
    if (n <= 0 || (size_t)n >= sizeof req) {
        lg_conn_fail(c, "WebSocket path too long");
        return;
    }
    bufferevent_write(c->bev, req, (size_t)n);
}

/* header NAME's value in the CRLF-separated block h (NUL-terminated) */
static bool header_is(const char *h, const char *name, const char *want)
{
    size_t nl = strlen(name);
    for (const char *p = strstr(h, "\r\n"); p; p = strstr(p + 2, "\r\n")) {
        const char *l = p + 2;
        if (strncasecmp(l, name, nl) == 0 && l[nl] == ':') {
            const char *v = l + nl + 1;
            while (*v == ' ' || *v == '\t')
                v++;
            size_t wl = strlen(want);
            return strncmp(v, want, wl) == 0 && (v[wl] == '\r' || v[wl] == ' ');
        }
    }
    return false;
}

/* Bytes from the server: the 101 answer first, then frames. */
void lg_ws_read(lg_conn *c, struct evbuffer *in)
{
    if (!c->ws->up) {
        struct evbuffer_ptr end = evbuffer_search(in, "\r\n\r\n", 4, NULL);
        if (end.pos < 0) {
            if (evbuffer_get_length(in) > WS_MAX_HTTP)
                lg_conn_fail(c, "WebSocket: HTTP answer too long");
            return;
        }
        size_t hl = (size_t)end.pos + 4;
        if (hl > WS_MAX_HTTP) {
            lg_conn_fail(c, "WebSocket: HTTP answer too long");
            return;
        }
        char h[WS_MAX_HTTP + 1];
        evbuffer_remove(in, h, hl);
        h[hl] = 0;
        if (strncmp(h, "HTTP/1.1 101", 12) != 0) {
            char *eol = strstr(h, "\r\n");
            if (eol)
                *eol = 0;
            lg_conn_fail(c, "WebSocket upgrade refused: %s", h);
            return;
        }
        if (!header_is(h, "Sec-WebSocket-Accept", c->ws->accept)) {
            lg_conn_fail(c, "WebSocket: wrong or missing Sec-WebSocket-Accept");
            return;
        }
        if (!header_is(h, "Sec-WebSocket-Protocol", "xmpp")) {
            lg_conn_fail(c, "WebSocket: server did not accept the xmpp subprotocol");
            return;
        }
        c->ws->up = true;
        lg_conn_ws_open(c);
    }
    c->ws->in = in;
    c->ws->in_recv = true;
    int rc = wslay_event_recv(c->ws->ctx);
    c->ws->in_recv = false;
    c->ws->in = NULL;
    if (rc != 0 && !c->closed) {
        lg_conn_fail(c, "WebSocket: bad frames from the server (wslay %d)", rc);
        return;
    }
    if (!c->closed && wslay_event_send(c->ws->ctx) != 0)
        lg_conn_fail(c, "WebSocket: send failed");
}

/* A stanza that loadgen_conn.c and loadgen.c write for a stream (whose
 * header declares jabber:client) gets that namespace declaration itself:
 * under RFC 7395 each message stands alone (Prosody refuses it otherwise):
 * <iq ...> -> <iq xmlns='jabber:client' ...>, into buf.  Others: NULL. */
static const char *qualify(const char *data, size_t *n, char *buf, size_t size)
{
    static const char *const names[] = {"iq", "message", "presence"};
    static const char ns[] = " xmlns='jabber:client'";
    const char *gt = memchr(data, '>', *n);
    for (size_t i = 0; i < sizeof names / sizeof names[0]; i++) {
        size_t l = strlen(names[i]);
        if (*n > l + 1 && data[0] == '<' && memcmp(data + 1, names[i], l) == 0 &&
            (data[l + 1] == ' ' || data[l + 1] == '>' || data[l + 1] == '/') && gt &&
            !memmem(data, (size_t)(gt - data), "xmlns=", 6) && *n + sizeof ns <= size) {
            memcpy(buf, data, l + 1);
            memcpy(buf + l + 1, ns, sizeof ns - 1);
            memcpy(buf + l + sizeof ns, data + l + 1, *n - l - 1);
            *n += sizeof ns - 1;
            return buf;
        }
    }
    return NULL;
}

/* One text message; sent now unless we are inside wslay_event_recv (then
 * lg_ws_read sends what was queued when it returns). */
void lg_ws_send(lg_conn *c, const char *data, size_t n)
{
    char buf[2048];
    const char *q = qualify(data, &n, buf, sizeof buf);
    struct wslay_event_msg m = {.opcode = WSLAY_TEXT_FRAME,
                                .msg = (const uint8_t *)(q ? q : data), .msg_length = n};
    if (!c->ws || !c->ws->up || wslay_event_queue_msg(c->ws->ctx, &m) != 0) {
        lg_conn_fail(c, "WebSocket: cannot queue a message");
        return;
    }
    if (!c->ws->in_recv && wslay_event_send(c->ws->ctx) != 0)
        lg_conn_fail(c, "WebSocket: send failed");
}
