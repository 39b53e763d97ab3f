/* daemon/c2s/ws.h — XMPP over WebSocket (RFC 7395), the parts without I/O:
 * the HTTP/1.1 request that opens a connection (ws_http.c: the Upgrade
 * handshake of RFC 6455 §4.2, XEP-0156 host-meta, the refusals) and the
 * translation between RFC 7395 messages and the XML stream the session's
 * parser reads (ws_xmpp.c).  transport_ws.c puts them on a connection with
 * wslay doing the frames.  Both are fed whatever a client sends: every
 * input is bounded (EDD_WS_HTTP_MAX, the message limit). */
#ifndef EXTDISCOD_C2S_WS_H
#define EXTDISCOD_C2S_WS_H

#include <stdbool.h>
#include <stddef.h>

#include <extdisco/buf.h>

#define EDD_WS_HTTP_MAX 8192 /* bytes of a request line and headers */
#define EDD_WS_PROTOCOL "xmpp" /* RFC 7395 §3.1: Sec-WebSocket-Protocol */

/* What a listener of kind websocket accepts (from its configuration).
 * Shared by the listener and each connection still in its handshake
 * (reference counted: a reload may drop the listener first). */
typedef struct edd_ws_conf {
    unsigned refs;
    char *path;      /* the WebSocket endpoint, "/xmpp-websocket" */
    char **origins;  /* allowed Origin values, exact (case-insensitive) */
    unsigned norigins;
    bool any_origin; /* none listed, or "*" among them */
    bool tls;        /* wss:// (for host-meta's links) */
} edd_ws_conf;

/* A new configuration with one reference (copies path and origins); NULL
 * when out of memory. */
edd_ws_conf *edd_ws_conf_new(const char *path, char *const *origins, unsigned norigins,
                           bool tls);
edd_ws_conf *edd_ws_conf_ref(edd_ws_conf *c);
void edd_ws_conf_unref(edd_ws_conf *c); /* NULL is a no-op */

typedef enum edd_ws_http {
    EDD_WS_HTTP_MORE = 0, /* the request's headers are not complete yet */
    EDD_WS_HTTP_UPGRADE,  /* 101 written to resp: WebSocket from *used on */
    EDD_WS_HTTP_RESPOND   /* a final response (host-meta, or a refusal) is
                          * in resp: write it and close */
} edd_ws_http;

/* Look at the start of a connection's input req[0..n).  MORE: nothing
 * written (n < EDD_WS_HTTP_MAX; at that size a request whose headers are
 * still not complete is answered 431).  UPGRADE: *used is the request's
 * length (what follows is WebSocket frames).  RESPOND: the response to
 * send before closing.  *why: for the log, what was refused (NULL when
 * nothing was).  resp is appended to. */
edd_ws_http edd_ws_http_request(const edd_ws_conf *conf, const char *req, size_t n,
                              ed_buf *resp, size_t *used, const char **why);

/* The Sec-WebSocket-Accept value for key (RFC 6455 §4.2.2: base64 of the
 * SHA-1 of key and the GUID) into out (29 bytes with the NUL). */
void edd_ws_accept(const char *key, size_t keylen, char out[29]);

/* --- RFC 7395 messages <-> the XML stream (ws_xmpp.c) ----------------- */

/* One text message from the client.  true: it is <open/> or <close/> in
 * the framing namespace, and out has the bytes of the XML stream the
 * session's parser reads in its place: a stream header (to, version and
 * xml:lang carried over, values escaped) or </stream:stream>.  false:
 * anything else, which goes to the parser as it is (a stanza; the parser's
 * limits and checks apply, and a malformed <open/> fails there as on TCP).
 * The framing element is checked with expat as a document of its own: one
 * element, no children, text or DTD. */
bool edd_ws_message_in(const char *msg, size_t n, ed_buf *out);

#endif
