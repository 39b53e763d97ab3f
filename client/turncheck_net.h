/* client/turncheck_net.h — internal to the turncheck module: sockets, TLS
 * and STUN-over-stream framing with poll() deadlines.  Not a public API. */
#ifndef EXTDISCO_CLIENT_TURNCHECK_NET_H
#define EXTDISCO_CLIENT_TURNCHECK_NET_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>
#include <netdb.h>
#include <openssl/ssl.h>

#include "turncheck.h"

/* Largest STUN message accepted from a server (header + attributes).
 * Real responses are well under 1 KiB. */
#define ED_TC_MAX_MSG 4096

typedef struct ed_tc_conn {
    int fd;                       /* -1 when closed */
    ed_check_transport transport;
    SSL_CTX *ctx;
    SSL *ssl;
    uint8_t rbuf[ED_TC_MAX_MSG];  /* stream reassembly */
    size_t rlen;
} ed_tc_conn;

/* Monotonic milliseconds. */
int64_t ed_tc_now_ms(void);

/* Set res->fail, res->step and a printf-style res->error_reason. */
void ed_tc_fail(ed_check_result *res, ed_check_fail f, const char *step,
                const char *fmt, ...) __attribute__((format(printf, 4, 5)));

/* Format a sockaddr as "1.2.3.4:5" or "[::1]:5" into out (cap bytes). */
void ed_tc_addr_str(const struct sockaddr *sa, char *out, size_t cap);

/* getaddrinfo for host:port with the socket type of transport.  On success
 * *out is freed by the caller with freeaddrinfo().  On failure res is
 * filled and -1 returned. */
int ed_tc_resolve(const char *host, uint16_t port, ed_check_transport t,
                  struct addrinfo **out, ed_check_result *res);

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

/* Receive one STUN message (a datagram, or one framed message from the
 * stream) waiting at most until `until`.  Returns its length (> 0), 0 when
 * `until` passed first, or -1 with res filled (error, peer closed, message
 * larger than cap, bytes on a stream that are not STUN). */
ssize_t ed_tc_recv(ed_tc_conn *c, uint8_t *buf, size_t cap, int64_t until,
                   const char *step, ed_check_result *res);

void ed_tc_close(ed_tc_conn *c);

#endif
