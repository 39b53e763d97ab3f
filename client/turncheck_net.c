/* client/turncheck_net.c — sockets and TLS for the STUN/TURN checker, with
 * poll() deadlines (the STUN framing is the probe engine's, probe/probe.c).
 * See turncheck_net.h. */
#include "turncheck_net.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <openssl/err.h>
#include <openssl/x509v3.h>


int64_t ed_tc_now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* "[2001:db8::1]" -> "2001:db8::1" in buf (one pair of brackets, as in a
 * URI); any other host is returned as it is.  A bracketed host that does
 * not fit buf is returned as it is (and then fails to resolve). */
static const char *unbracket(const char *host, char *buf, size_t cap)
{
    size_t n = strlen(host);
    if (n < 2 || host[0] != '[' || host[n - 1] != ']' || n - 2 >= cap)
        return host;
    memcpy(buf, host + 1, n - 2);
    buf[n - 2] = '\0';
    return buf;
}

static bool is_ip_literal(const char *host)
{
    unsigned char b[sizeof(struct in6_addr)];
    return inet_pton(AF_INET, host, b) == 1 || inet_pton(AF_INET6, host, b) == 1;
}

/* Wait for events on fd until `until` (monotonic ms).  1 ready, 0 timed
 * out, -1 poll error (errno). */
static int wait_fd(int fd, short events, int64_t until)
{
    for (;;) {
        int64_t left = until - ed_tc_now_ms();
        if (left <= 0)
            return 0;
        struct pollfd p = { .fd = fd, .events = events };
        int r = poll(&p, 1, left > 60000 ? 60000 : (int)left);
        if (r > 0)
            return 1;
        if (r < 0 && errno != EINTR)
            return -1;
    }
}

int ed_tc_resolve(const char *host, uint16_t port, ed_check_transport t,
                  int family, struct addrinfo **out, ed_check_result *res)
{
    struct addrinfo hints;
    char svc[8];
    memset(&hints, 0, sizeof hints);
    hints.ai_family = family == AF_INET || family == AF_INET6 ? family : AF_UNSPEC;
    hints.ai_socktype = t == ED_CHECK_UDP ? SOCK_DGRAM : SOCK_STREAM;
    hints.ai_flags = AI_NUMERICSERV;
    snprintf(svc, sizeof svc, "%u", port);
    char bare[INET6_ADDRSTRLEN + 64];
    int r = getaddrinfo(unbracket(host, bare, sizeof bare), svc, &hints, out);
    if (r != 0) {
        ed_check_result_fail(res, ED_CHECK_FAIL_RESOLVE, "resolve",
                   "DNS lookup of %s%s failed: %s", host,
                   hints.ai_family == AF_INET ? " (IPv4 only)" :
                   hints.ai_family == AF_INET6 ? " (IPv6 only)" : "",
                   r == EAI_SYSTEM ? strerror(errno) : gai_strerror(r));
        return -1;
    }
    return 0;
}

/* The most precise description of a failed TLS operation. */
static void tls_fail(ed_tc_conn *c, int ret, const char *step,
                     ed_check_result *res)
{
    int err = SSL_get_error(c->ssl, ret);
    long vr = SSL_get_verify_result(c->ssl);
    unsigned long e = ERR_peek_last_error();
    char buf[160];

    if (vr != X509_V_OK) {
        ed_check_result_fail(res, ED_CHECK_FAIL_TLS, step,
                   "certificate verification failed: %s",
                   X509_verify_cert_error_string(vr));
    } else if (e != 0) {
        ERR_error_string_n(e, buf, sizeof buf);
        ed_check_result_fail(res, ED_CHECK_FAIL_TLS, step, "TLS error: %s", buf);
    } else if (err == SSL_ERROR_SYSCALL && errno != 0) {
        ed_check_result_fail(res, errno == ECONNREFUSED ? ED_CHECK_FAIL_REFUSED
                                              : ED_CHECK_FAIL_IO,
                   step, "TLS: %s", strerror(errno));
    } else if (err == SSL_ERROR_ZERO_RETURN || err == SSL_ERROR_SYSCALL) {
        ed_check_result_fail(res, ED_CHECK_FAIL_IO, step,
                   "server closed the connection during TLS");
    } else {
        ed_check_result_fail(res, ED_CHECK_FAIL_TLS, step, "TLS error %d", err);
    }
    ERR_clear_error();
}

/* Wait as an SSL call asked.  1 go on, 0 timeout, -1 other error. */
static int tls_wait(ed_tc_conn *c, int ret, int64_t until)
{
    int err = SSL_get_error(c->ssl, ret);
    if (err == SSL_ERROR_WANT_READ)
        return wait_fd(c->fd, POLLIN, until);
    if (err == SSL_ERROR_WANT_WRITE)
        return wait_fd(c->fd, POLLOUT, until);
    return -1;
}

/* The server certificate's subject, issuer and notAfter into res. */
static void note_cert(X509 *x, ed_check_result *res)
{
    if (!x)
        return;
    const ASN1_TIME *na = X509_get0_notAfter(x);
    struct tm tm;
    memset(&tm, 0, sizeof tm);
    if (na && ASN1_TIME_to_tm(na, &tm) == 1)
        res->cert_not_after = (int64_t)timegm(&tm);
    X509_NAME_oneline(X509_get_subject_name(x), res->cert_subject,
                      sizeof res->cert_subject);
    X509_NAME_oneline(X509_get_issuer_name(x), res->cert_issuer,
                      sizeof res->cert_issuer);
}

/* Verification callback: only notes the leaf certificate (verification
 * itself is OpenSSL's; its verdict is returned unchanged). */
static int verify_cb(int ok, X509_STORE_CTX *ctx)
{
    SSL *ssl = X509_STORE_CTX_get_ex_data(ctx, SSL_get_ex_data_X509_STORE_CTX_idx());
    ed_check_result *res = ssl ? SSL_get_app_data(ssl) : NULL;
    if (res && X509_STORE_CTX_get_error_depth(ctx) == 0)
        note_cert(X509_STORE_CTX_get_current_cert(ctx), res);
    return ok;
}

static int tls_handshake(ed_tc_conn *c, const char *host,
                         const ed_check_tls *tls, int64_t deadline,
                         ed_check_result *res)
{
    int64_t t0 = ed_tc_now_ms();
    bool verify = !(tls && tls->insecure);
    ERR_clear_error();
    c->ctx = SSL_CTX_new(TLS_client_method());
    if (!c->ctx) {
        ed_check_result_fail(res, ED_CHECK_FAIL_TLS, "tls", "SSL_CTX_new failed");
        return -1;
    }
    SSL_CTX_set_min_proto_version(c->ctx, TLS1_2_VERSION);
    if (verify) {
        int ok = tls && tls->ca_file
                 ? SSL_CTX_load_verify_locations(c->ctx, tls->ca_file, NULL)
                 : SSL_CTX_set_default_verify_paths(c->ctx);
        if (ok != 1) {
            ed_check_result_fail(res, ED_CHECK_FAIL_TLS, "tls", "cannot load CA file %s",
                       tls && tls->ca_file ? tls->ca_file : "(system)");
            return -1;
        }
    }
    c->ssl = SSL_new(c->ctx);
    if (!c->ssl || SSL_set_fd(c->ssl, c->fd) != 1) {
        ed_check_result_fail(res, ED_CHECK_FAIL_TLS, "tls", "SSL_new failed");
        return -1;
    }
    char bare[INET6_ADDRSTRLEN + 64];
    host = unbracket(host, bare, sizeof bare);
    bool ip = is_ip_literal(host);
    /* RFC 6066 §3: no IP literals in SNI. */
    if (!ip)
        SSL_set_tlsext_host_name(c->ssl, host);
    if (verify) {
        int ok = ip ? X509_VERIFY_PARAM_set1_ip_asc(SSL_get0_param(c->ssl), host)
                    : SSL_set1_host(c->ssl, host);
        if (ok != 1) {
            ed_check_result_fail(res, ED_CHECK_FAIL_TLS, "tls",
                       "cannot set verification name %s", host);
            return -1;
        }
        SSL_set_app_data(c->ssl, res);
        SSL_set_verify(c->ssl, SSL_VERIFY_PEER, verify_cb);
    } else {
        SSL_set_verify(c->ssl, SSL_VERIFY_NONE, NULL);
    }
    for (;;) {
        errno = 0;
        int r = SSL_connect(c->ssl);
        if (r == 1) {
            snprintf(res->tls_version, sizeof res->tls_version, "%s",
                     SSL_get_version(c->ssl));
            snprintf(res->tls_cipher, sizeof res->tls_cipher, "%s",
                     SSL_get_cipher_name(c->ssl));
            if (!res->cert_not_after)
                note_cert(SSL_get0_peer_certificate(c->ssl), res);
            return 0;
        }
        int w = tls_wait(c, r, deadline);
        if (w == 0) {
            ed_check_result_fail(res, ED_CHECK_FAIL_TIMEOUT, "tls",
                       "TLS handshake with %s timed out after %ld ms",
                       res->server, (long)(ed_tc_now_ms() - t0));
            return -1;
        }
        if (w < 0) {
            tls_fail(c, r, "tls", res);
            return -1;
        }
    }
}

int ed_tc_connect(ed_tc_conn *c, ed_check_transport t,
                  const struct addrinfo *ai, const char *host,
                  const ed_check_tls *tls, int64_t deadline,
                  ed_check_result *res)
{
    c->fd = -1;
    c->transport = t;
    c->ctx = NULL;
    c->ssl = NULL;
    ed_probe_addr_str(ai->ai_addr, res->server, sizeof res->server);
    res->connect_ms = 0;

    int64_t t0 = ed_tc_now_ms();
    c->fd = socket(ai->ai_family, ai->ai_socktype | SOCK_NONBLOCK | SOCK_CLOEXEC,
                   ai->ai_protocol);
    if (c->fd < 0) {
        ed_check_result_fail(res, ED_CHECK_FAIL_CONNECT, "connect", "socket: %s",
                   strerror(errno));
        return -1;
    }
    int err = 0;
    if (connect(c->fd, ai->ai_addr, ai->ai_addrlen) != 0) {
        if (errno != EINPROGRESS) {
            err = errno;
        } else {
            int w = wait_fd(c->fd, POLLOUT, deadline);
            if (w == 0) {
                ed_check_result_fail(res, ED_CHECK_FAIL_TIMEOUT, "connect",
                           "TCP connect to %s timed out after %ld ms",
                           res->server, (long)(ed_tc_now_ms() - t0));
                return -1;
            }
            socklen_t sl = sizeof err;
            if (w < 0)
                err = errno;
            else if (getsockopt(c->fd, SOL_SOCKET, SO_ERROR, &err, &sl) != 0)
                err = errno;
        }
    }
    if (err != 0) {
        ed_check_result_fail(res, err == ECONNREFUSED ? ED_CHECK_FAIL_REFUSED
                                            : ED_CHECK_FAIL_CONNECT,
                   "connect", "connect to %s: %s", res->server, strerror(err));
        return -1;
    }
    if (t != ED_CHECK_UDP) {
        int one = 1;
        setsockopt(c->fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    }
    if (t == ED_CHECK_TLS && tls_handshake(c, host, tls, deadline, res) != 0)
        return -1;
    if (t != ED_CHECK_UDP)
        res->connect_ms = (long)(ed_tc_now_ms() - t0);
    return 0;
}

int ed_tc_send(ed_tc_conn *c, const uint8_t *buf, size_t len, int64_t deadline,
               const char *step, ed_check_result *res)
{
    size_t off = 0;
    while (off < len) {
        if (c->ssl) {
            ERR_clear_error();
            errno = 0;
            int r = SSL_write(c->ssl, buf + off, (int)(len - off));
            if (r > 0) {
                off += (size_t)r;
                continue;
            }
            int w = tls_wait(c, r, deadline);
            if (w == 0)
                goto timeout;
            if (w < 0) {
                tls_fail(c, r, step, res);
                return -1;
            }
            continue;
        }
        ssize_t n = send(c->fd, buf + off, len - off, MSG_NOSIGNAL);
        if (n >= 0) {
            if (c->transport == ED_CHECK_UDP && (size_t)n != len) {
                ed_check_result_fail(res, ED_CHECK_FAIL_IO, step, "short datagram send");
                return -1;
            }
            off += (size_t)n;
            continue;
        }
        if (errno == EINTR)
            continue;
        if (errno == EAGAIN || errno == EWOULDBLOCK) {
            int w = wait_fd(c->fd, POLLOUT, deadline);
            if (w == 0)
                goto timeout;
            if (w > 0)
                continue;
        }
        ed_check_result_fail(res, errno == ECONNREFUSED ? ED_CHECK_FAIL_REFUSED
                                              : ED_CHECK_FAIL_IO,
                   step, "send to %s: %s", res->server, strerror(errno));
        return -1;
    }
    return 0;
timeout:
    ed_check_result_fail(res, ED_CHECK_FAIL_TIMEOUT, step, "send to %s timed out",
               res->server);
    return -1;
}

ssize_t ed_tc_recv(ed_tc_conn *c, uint8_t *buf, size_t cap, int64_t until,
                   const char *step, ed_check_result *res)
{
    for (;;) {
        if (c->ssl) {
            ERR_clear_error();
            errno = 0;
            int r = SSL_read(c->ssl, buf, (int)cap);
            if (r > 0)
                return r;
            int w = tls_wait(c, r, until);
            if (w > 0)
                continue;
            if (w == 0)
                return 0;
            tls_fail(c, r, step, res);
            return -1;
        }
        int w = wait_fd(c->fd, POLLIN, until);
        if (w == 0)
            return 0;
        bool udp = c->transport == ED_CHECK_UDP;
        ssize_t n = w < 0 ? -1 : recv(c->fd, buf, cap, udp ? MSG_TRUNC : 0);
        if (udp && n > (ssize_t)cap)
            continue; /* over the limit: not an answer we accept */
        if (n > 0)
            return n;
        if (n == 0 && udp)
            continue;
        if (n == 0) {
            ed_check_result_fail(res, ED_CHECK_FAIL_IO, step,
                                 "server %s closed the TCP connection",
                                 res->server);
            return -1;
        }
        if (errno == EINTR || errno == EAGAIN)
            continue;
        if (udp && errno == ECONNREFUSED)
            ed_check_result_fail(res, ED_CHECK_FAIL_REFUSED, step,
                       "nothing listens on udp %s (ICMP port unreachable)",
                       res->server);
        else
            ed_check_result_fail(res, errno == ECONNREFUSED ? ED_CHECK_FAIL_REFUSED
                                                            : ED_CHECK_FAIL_IO,
                       step, "recv from %s: %s", res->server, strerror(errno));
        return -1;
    }
}

void ed_tc_close(ed_tc_conn *c)
{
    if (c->ssl) {
        SSL_shutdown(c->ssl); /* best effort close_notify, non-blocking */
        SSL_free(c->ssl);
        c->ssl = NULL;
    }
    if (c->ctx) {
        SSL_CTX_free(c->ctx);
        c->ctx = NULL;
    }
    if (c->fd >= 0) {
        close(c->fd);
        c->fd = -1;
    }
    ERR_clear_error();
}
