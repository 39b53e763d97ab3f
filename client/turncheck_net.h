/* client/turncheck_net.h — internal to the turncheck module: sockets and
 * TLS with poll() deadlines, under the probe engine (probe/probe.h).  Not a
 * public API. */
#ifndef EXTDISCO_CLIENT_TURNCHECK_NET_H
#define EXTDISCO_CLIENT_TURNCHECK_NET_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>
#include <netdb.h>
#include <openssl/ssl.h>

#include "turncheck.h"

#define ED_TC_MAX_MSG ED_PROBE_MAX_MSG

typedef struct ed_tc_conn {
    int fd;                       /* -1 when closed */
    ed_check_transport transport;
    SSL_CTX *ctx;
    SSL *ssl;
} ed_tc_conn;

/* Monotonic milliseconds. */
int64_t ed_tc_now_ms(void);

/* getaddrinfo for host:port with the socket type of transport.  On success
 * *out is freed by the caller with freeaddrinfo().  On failure res is
 * filled and -1 returned. */
int ed_tc_resolve(const char *host, uint16_t port, ed_check_transport t,
                  int family, struct addrinfo **out, ed_check_result *res);

/* Connect to one address (and do the TLS handshake for ED_CHECK_TLS, with
 * SNI/verification name host) before deadline.  c is initialised here;
 * call ed_tc_close() afterwards whatever the result.  Sets res->server and
 * res->connect_ms.  Returns 0, or -1 with res filled. */
int ed_tc_connect(ed_tc_conn *c, ed_check_transport t,
                  const struct addrinfo *ai, const char *host,
                  const ed_check_tls *tls, int64_t deadline,
                  ed_check_result *res);

/* Send one whole message.  Returns 0, or -1 with res filled (step given). */
int ed_tc_send(ed_tc_conn *c, const uint8_t *buf, size_t len, int64_t deadline,
               const char *step, ed_check_result *res);

/* Receive one datagram (at most cap bytes; larger ones are dropped) or the
 * next chunk of the stream, waiting at most until `until`.  Returns its
 * length (> 0), 0 when `until` passed first, or -1 with res filled (error,
 * peer closed). */
ssize_t ed_tc_recv(ed_tc_conn *c, uint8_t *buf, size_t cap, int64_t until,
                   const char *step, ed_check_result *res);

void ed_tc_close(ed_tc_conn *c);

#endif
