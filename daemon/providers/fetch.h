/* daemon/providers/fetch.h — asynchronous HTTPS requests on a libevent loop,
 * with libcurl's multi interface (CURLMOPT_SOCKETFUNCTION/TIMERFUNCTION):
 * curl tells which sockets to watch and when to time out, libevent watches,
 * curl_multi_socket_action() does the work.  Name resolution runs in
 * libcurl's resolver thread (AsynchDNS), TLS is libcurl's OpenSSL with peer
 * and host name verification, only https:// is ever spoken (no redirects,
 * no other protocol), every request has a whole-request timeout and a
 * response size cap.  Nothing here blocks the loop.
 *
 * The request's secrets (an auth header, a basic-auth user:key) are wiped
 * from this module's copies when a request ends; libcurl's verbose output
 * is never enabled and no header or body is ever logged. */
#ifndef EXTDISCOD_PROVIDERS_FETCH_H
#define EXTDISCOD_PROVIDERS_FETCH_H

#include <stddef.h>

#include <event2/event.h>

#include "providers/request.h"

typedef struct edd_fetch edd_fetch;
typedef struct edd_fetch_req edd_fetch_req;

/* status: the HTTP status (0 when there was no response); body/len: the
 * response body (not NUL-terminated past len; valid during the call only);
 * error: NULL, or why the request failed without a usable response
 * ("timeout", "response larger than N bytes", libcurl's reason).  The
 * request is over when this runs: do not cancel it. */
typedef void (*edd_fetch_done_fn)(void *arg, long status, const char *body, size_t len,
                                 const char *error);

edd_fetch *edd_fetch_new(struct event_base *base);
/* Cancels what is in flight (no callbacks); NULL is a no-op. */
void edd_fetch_free(edd_fetch *h);

/* Start r (copied: r may go right after).  NULL when it cannot even start
 * (no memory): done is then never called. */
edd_fetch_req *edd_fetch_start(edd_fetch *h, const edd_prov_request *r,
                             edd_fetch_done_fn done, void *arg);

/* Stop a request in flight; done is not called. */
void edd_fetch_cancel(edd_fetch_req *q);

#endif
