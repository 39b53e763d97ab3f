/* daemon/http/http.h — extdiscod's one HTTP listener (libevent evhttp) and
 * its route table.
 *
 * The listener serves the `http:` section of the configuration: the listen
 * addresses, the client allow-list (403 otherwise), the bearer token (401
 * otherwise), and the bounds every outside party gets: request line and
 * headers at most http.max_header_bytes (evhttp answers 400/413 past them),
 * no request body (GET and HEAD only, 405 otherwise), at most
 * http.max_connections connections (more are closed at accept), and
 * http.timeout per connection: from accept (or the last answered request
 * of a kept-alive connection) to a complete request, whatever arrives in
 * between (a client that trickles its headers is cut then).
 *
 * Routes are a table of exact paths; each handler answers synchronously on
 * the event loop.  /metrics (http/metrics.c) and /health, /ready, /status
 * (http/status.c) are the routes; edd_http_route_add() adds one.  XMPP
 * over WebSocket is not a route here: libevent 2.1's evhttp cannot give an
 * upgraded connection away, and a WebSocket is a client connection with the
 * c2s limits, so it is a c2s listener of kind websocket (c2s/ws_http.c reads
 * its one HTTP request).
 *
 * Single-threaded, on the server's event base. */
#ifndef EXTDISCOD_HTTP_H
#define EXTDISCOD_HTTP_H

#include <stdbool.h>
#include <stddef.h>

#include <event2/http.h>

#include "core/server.h"

typedef struct edd_http edd_http;

/* A route handler: answer req (evhttp_send_reply) before returning.  ud is
 * the pointer given to edd_http_route_add. */
typedef void (*edd_http_handler)(struct evhttp_request *req, edd_server *s, void *ud);

/* Route flags. */
#define EDD_HTTP_PUBLIC 1u /* no bearer token needed (the allow-list still
                            * applies): /health and /ready, for probes */

/* At most this many routes. */
#define EDD_HTTP_MAX_ROUTES 16

/* Bind every http.listen address of s->cfg and register the built-in
 * routes.  NULL with err set ("http.listen[0] 127.0.0.1:9215: Address in use")
 * on failure.  s->cfg->http must be set. */
edd_http *edd_http_start(edd_server *s, char *err, size_t errlen);

/* Add a route for the exact path (a static string).  false when the table
 * is full or the path is taken. */
bool edd_http_route_add(edd_http *h, const char *path, unsigned flags,
                        edd_http_handler fn, void *ud);

/* After a successful reload: new allow-list, token and limits take effect
 * for the next request; changed listen addresses are re-bound (a failure is
 * logged and the old listeners stay). */
void edd_http_reconfigure(edd_http *h, edd_server *s);

/* Close the listeners and every connection; NULL is a no-op. */
void edd_http_stop(edd_http *h);

/* Answer req with code (reason, Content-Type ctype or none, body or
 * none), counted in the metrics; the one way routes reply. */
void edd_http_send(struct evhttp_request *req, int code, const char *reason,
                   const char *ctype, struct evbuffer *body);

/* edd_http_send() with text and a newline as text/plain. */
void edd_http_send_text(struct evhttp_request *req, int code, const char *reason,
                        const char *text);

/* Open HTTP connections (for /metrics). */
size_t edd_http_connections(const edd_http *h);

/* The whole /metrics exposition appended to b (http/metrics.c). */
struct evbuffer;
void edd_http_metrics_write(struct evbuffer *b, const edd_server *s);

/* Built-in routes (http/metrics.c, http/status.c). */
void edd_http_metrics(struct evhttp_request *req, edd_server *s, void *ud);
void edd_http_health(struct evhttp_request *req, edd_server *s, void *ud);
void edd_http_ready(struct evhttp_request *req, edd_server *s, void *ud);
void edd_http_status(struct evhttp_request *req, edd_server *s, void *ud);

/* Whether the process is ready (http/status.c): every configured component
 * link up with an extdisco delegation, and the c2s listeners open.  why
 * (may be NULL) receives the first reason it is not. */
bool edd_http_is_ready(const edd_server *s, char *why, size_t whylen);

#endif
