/* daemon/health/health_probe.c — the libevent driver of the STUN/TURN probe
 * engine (probe/probe.h) for extdiscod's health checks: asynchronous DNS
 * (evdns_getaddrinfo; never blocks the loop), a UDP socket with an event,
 * or a bufferevent for TCP and TLS (bufferevent_openssl, certificate and
 * host name verified, SNI unless the host is an IP literal), one timer for
 * the probe's deadline and the engine's retransmissions.  The addresses of
 * a name are tried in order while they refuse, as `extdisco check` does.  One probe in flight per service; every
 * cost is bounded by the engine (one message buffer) and the timeout. */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <event2/bufferevent.h>
#include <event2/bufferevent_ssl.h>
#include <event2/buffer.h>
#include <event2/util.h>
#include <openssl/err.h>
#include <openssl/x509v3.h>

#include "health/health_int.h"

struct edd_hprobe {
    struct event_base *base;
    SSL_CTX *ctx;
    ed_probe *eng;
    ed_check_transport t;
    char host[256];
    int port;
    int timeout_ms;
    int64_t start, deadline;
    const char *phase;               /* "resolve", "connect", "tls", or NULL
                                        once the engine runs */
    struct evdns_getaddrinfo_request *dnsreq;
    struct evutil_addrinfo *ais, *ai; /* the addresses, the one in use */
    char *cuser, *cpass;             /* copies, for the next address */
    evutil_socket_t fd;              /* UDP */
    struct event *rd;                /* UDP readable */
    struct bufferevent *bev;         /* TCP/TLS */
    SSL *ssl;                        /* owned by bev once it exists */
    struct event *timer;
    struct event *finish_ev;         /* done is called from here */
    edd_hprobe_done done;
    void *arg;
    bool finished;
};

static int64_t mono_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void release(edd_hprobe *p)
{
    if (p->dnsreq) {
        evdns_getaddrinfo_cancel(p->dnsreq); /* its callback still runs */
        p->dnsreq = NULL;
    }
    if (p->rd)
        event_free(p->rd);
    p->rd = NULL;
    if (p->fd >= 0)
        evutil_closesocket(p->fd);
    p->fd = -1;
    if (p->bev)
        bufferevent_free(p->bev); /* closes the socket, frees the SSL */
    else if (p->ssl)
        SSL_free(p->ssl);
    p->bev = NULL;
    p->ssl = NULL;
    if (p->timer)
        event_free(p->timer);
    p->timer = NULL;
}

static void wipe_free(char *v)
{
    if (v) {
        explicit_bzero(v, strlen(v));
        free(v);
    }
}

static void on_timer(evutil_socket_t fd, short what, void *arg);
static void arm(edd_hprobe *p, int64_t at);

static void free_probe(edd_hprobe *p)
{
    release(p);
    if (p->ais)
        evutil_freeaddrinfo(p->ais);
    wipe_free(p->cuser);
    wipe_free(p->cpass);
    if (p->finish_ev)
        event_free(p->finish_ev);
    ed_probe_free(p->eng);
    free(p);
}

static void on_finish(evutil_socket_t fd, short what, void *arg)
{
    edd_hprobe *p = arg;
    p->done(p->arg, ed_probe_result(p->eng));
    free_probe(p);
}

/* The engine is done (or the driver failed it): release the transport now,
 * tell the owner from a fresh loop iteration (never from inside a
 * bufferevent callback or the start function). */
static void connect_to(edd_hprobe *p, struct evutil_addrinfo *ai);

static void finish(edd_hprobe *p)
{
    if (p->finished)
        return;
    /* As `extdisco check` does: only a refused address passes the turn to
     * the next one (e.g. a name with an IPv6 address nothing listens on). */
    if (p->ai && p->ai->ai_next &&
        ed_probe_result(p->eng)->fail == ED_CHECK_FAIL_REFUSED) {
        int64_t now = mono_ms();
        ed_probe *eng = now < p->deadline
            ? ed_probe_new(p->t, p->cuser, p->cpass, now, (int)(p->deadline - now))
            : NULL;
        if (eng) {
            release(p);
            p->timer = evtimer_new(p->base, on_timer, p);
            if (p->timer) {
                ed_probe_free(p->eng);
                p->eng = eng;
                arm(p, p->deadline);
                connect_to(p, p->ai->ai_next);
                return;
            }
            ed_probe_free(eng);
        }
    }
    p->finished = true;
    release(p);
    event_active(p->finish_ev, 0, 0);
}

static void schedule(edd_hprobe *p);

/* Send what the engine wants to send, then arm the timer. */
static void pump(edd_hprobe *p)
{
    if (ed_probe_done(p->eng)) {
        finish(p);
        return;
    }
    const uint8_t *msg;
    size_t n;
    while ((n = ed_probe_pull(p->eng, mono_ms(), &msg)) > 0) {
        if (p->t == ED_CHECK_UDP) {
            ssize_t w = send(p->fd, msg, n, MSG_NOSIGNAL);
            if (w < 0 && errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR) {
                ed_check_result *r = ed_probe_result(p->eng);
                ed_probe_fail(p->eng, errno == ECONNREFUSED ? ED_CHECK_FAIL_REFUSED
                                                           : ED_CHECK_FAIL_IO,
                              ed_probe_step(p->eng), "send to %s: %s", r->server,
                              strerror(errno));
            }
        } else if (bufferevent_write(p->bev, msg, n) != 0) {
            ed_probe_fail(p->eng, ED_CHECK_FAIL_IO, ed_probe_step(p->eng),
                          "out of memory");
        }
    }
    if (ed_probe_done(p->eng)) {
        finish(p);
        return;
    }
    schedule(p);
}

static void arm(edd_hprobe *p, int64_t at)
{
    int64_t left = at - mono_ms();
    if (left < 0)
        left = 0;
    struct timeval tv = { (time_t)(left / 1000), (suseconds_t)(left % 1000) * 1000 };
    evtimer_add(p->timer, &tv);
}

static void schedule(edd_hprobe *p)
{
    int64_t at = ed_probe_next_timer(p->eng);
    if (at > p->deadline)
        at = p->deadline;
    arm(p, at);
}

static void on_timer(evutil_socket_t fd, short what, void *arg)
{
    edd_hprobe *p = arg;
    int64_t now = mono_ms();
    if (p->phase) { /* resolve/connect/TLS did not finish in time */
        ed_probe_fail(p->eng, ED_CHECK_FAIL_TIMEOUT, p->phase,
                      "%s %s timed out after %ld ms",
                      strcmp(p->phase, "resolve") == 0 ? "resolving" :
                      strcmp(p->phase, "tls") == 0 ? "TLS handshake with" :
                                                    "TCP connect to",
                      p->phase[0] == 'r' ? p->host : ed_probe_result(p->eng)->server,
                      (long)(now - p->start));
        finish(p);
        return;
    }
    ed_probe_tick(p->eng, now);
    if (!ed_probe_done(p->eng) && now >= p->deadline)
        ed_probe_fail(p->eng, ED_CHECK_FAIL_TIMEOUT, ed_probe_step(p->eng),
                      "no answer within %d ms", p->timeout_ms);
    pump(p);
}

/* ---- UDP ---- */

static void on_udp(evutil_socket_t fd, short what, void *arg)
{
    edd_hprobe *p = arg;
    uint8_t buf[ED_PROBE_MAX_MSG];
    for (int i = 0; i < 16 && !ed_probe_done(p->eng); i++) {
        ssize_t n = recv(fd, buf, sizeof buf, MSG_TRUNC);
        if (n < 0) {
            if (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR)
                break;
            ed_check_result *r = ed_probe_result(p->eng);
            if (errno == ECONNREFUSED)
                ed_probe_fail(p->eng, ED_CHECK_FAIL_REFUSED, ed_probe_step(p->eng),
                              "nothing listens on udp %s (ICMP port unreachable)",
                              r->server);
            else
                ed_probe_fail(p->eng, ED_CHECK_FAIL_IO, ed_probe_step(p->eng),
                              "recv from %s: %s", r->server, strerror(errno));
            break;
        }
        if (n > 0 && (size_t)n <= sizeof buf) /* larger: not an answer */
            ed_probe_input(p->eng, buf, (size_t)n, mono_ms());
    }
    pump(p);
}

/* ---- TCP / TLS ---- */

static void on_read(struct bufferevent *bev, void *arg)
{
    edd_hprobe *p = arg;
    struct evbuffer *in = bufferevent_get_input(bev);
    uint8_t buf[1024];
    int n;
    /* the engine bounds what it keeps; at most 64 KiB per call */
    for (int i = 0; i < 64 && !ed_probe_done(p->eng) &&
                    (n = evbuffer_remove(in, buf, sizeof buf)) > 0; i++)
        ed_probe_input(p->eng, buf, (size_t)n, mono_ms());
    if (ed_probe_done(p->eng))
        evbuffer_drain(in, evbuffer_get_length(in));
    pump(p);
}

static void tls_reason(edd_hprobe *p, char *out, size_t cap, ed_check_fail *f)
{
    long vr = p->ssl ? SSL_get_verify_result(p->ssl) : X509_V_OK;
    unsigned long e = bufferevent_get_openssl_error(p->bev);
    *f = ED_CHECK_FAIL_TLS;
    if (vr != X509_V_OK) {
        snprintf(out, cap, "certificate verification failed: %s",
                 X509_verify_cert_error_string(vr));
    } else if (e) {
        char b[160];
        ERR_error_string_n(e, b, sizeof b);
        snprintf(out, cap, "TLS error: %s", b);
    } else {
        int err = EVUTIL_SOCKET_ERROR();
        *f = err == ECONNREFUSED ? ED_CHECK_FAIL_REFUSED : ED_CHECK_FAIL_IO;
        snprintf(out, cap, "TLS: %s", err ? strerror(err)
                                          : "server closed the connection");
    }
    while (bufferevent_get_openssl_error(p->bev))
        ;
}

static void on_event(struct bufferevent *bev, short what, void *arg)
{
    edd_hprobe *p = arg;
    ed_check_result *r = ed_probe_result(p->eng);
    if (what & BEV_EVENT_CONNECTED) {
        r->connect_ms = (long)(mono_ms() - p->start);
        p->phase = NULL;
        int one = 1;
        setsockopt(bufferevent_getfd(bev), IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
        evtimer_del(p->timer);
        pump(p);
        return;
    }
    if (!(what & (BEV_EVENT_ERROR | BEV_EVENT_EOF)))
        return;
    const char *step = p->phase ? p->phase : ed_probe_step(p->eng);
    int err = EVUTIL_SOCKET_ERROR();
    if (p->t == ED_CHECK_TLS && (p->phase == NULL || strcmp(p->phase, "connect") != 0 ||
                                 (what & BEV_EVENT_ERROR) == 0 || err == 0)) {
        char why[200];
        ed_check_fail f;
        tls_reason(p, why, sizeof why, &f);
        if (p->phase && strcmp(p->phase, "connect") == 0)
            step = "tls";
        ed_probe_fail(p->eng, f, step, "%s", why);
    } else if (what & BEV_EVENT_EOF) {
        ed_probe_fail(p->eng, ED_CHECK_FAIL_IO, step,
                      "server %s closed the TCP connection", r->server);
    } else {
        ed_probe_fail(p->eng, err == ECONNREFUSED ? ED_CHECK_FAIL_REFUSED
                                                  : ED_CHECK_FAIL_CONNECT,
                      step, "connect to %s: %s", r->server,
                      strerror(err ? err : EIO));
    }
    finish(p);
}

static bool is_ip_literal(const char *host)
{
    unsigned char b[sizeof(struct in6_addr)];
    return inet_pton(AF_INET, host, b) == 1 || inet_pton(AF_INET6, host, b) == 1;
}

static void connect_to(edd_hprobe *p, struct evutil_addrinfo *ai)
{
    p->ai = ai;
    ed_check_result *r = ed_probe_result(p->eng);
    ed_probe_addr_str(ai->ai_addr, r->server, sizeof r->server);
    p->phase = "connect";
    if (p->t == ED_CHECK_UDP) {
        p->fd = socket(ai->ai_family, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
        if (p->fd < 0 || connect(p->fd, ai->ai_addr, ai->ai_addrlen) != 0) {
            ed_probe_fail(p->eng, ED_CHECK_FAIL_CONNECT, "connect", "udp %s: %s",
                          r->server, strerror(errno));
            finish(p);
            return;
        }
        p->rd = event_new(p->base, p->fd, EV_READ | EV_PERSIST, on_udp, p);
        if (!p->rd || event_add(p->rd, NULL) != 0) {
            ed_probe_fail(p->eng, ED_CHECK_FAIL_IO, "connect", "out of memory");
            finish(p);
            return;
        }
        p->phase = NULL;
        evtimer_del(p->timer);
        pump(p);
        return;
    }
    if (p->t == ED_CHECK_TLS) {
        p->ssl = SSL_new(p->ctx);
        bool ip = is_ip_literal(p->host);
        if (!p->ssl || (!ip && SSL_set_tlsext_host_name(p->ssl, p->host) != 1) ||
            (ip ? X509_VERIFY_PARAM_set1_ip_asc(SSL_get0_param(p->ssl), p->host)
                : SSL_set1_host(p->ssl, p->host)) != 1) {
            ed_probe_fail(p->eng, ED_CHECK_FAIL_TLS, "tls",
                          "cannot set up TLS for %s", p->host);
            finish(p);
            return;
        }
        SSL_set_verify(p->ssl, SSL_VERIFY_PEER, NULL);
        p->bev = bufferevent_openssl_socket_new(p->base, -1, p->ssl,
                                                BUFFEREVENT_SSL_CONNECTING,
                                                BEV_OPT_CLOSE_ON_FREE);
    } else {
        p->bev = bufferevent_socket_new(p->base, -1, BEV_OPT_CLOSE_ON_FREE);
    }
    if (!p->bev) {
        ed_probe_fail(p->eng, ED_CHECK_FAIL_IO, "connect", "out of memory");
        finish(p);
        return;
    }
    bufferevent_setcb(p->bev, on_read, NULL, on_event, p);
    /* at most one message in flight: the input never needs more */
    bufferevent_setwatermark(p->bev, EV_READ, 0, 64 * 1024);
    bufferevent_enable(p->bev, EV_READ | EV_WRITE);
    if (bufferevent_socket_connect(p->bev, ai->ai_addr, (int)ai->ai_addrlen) != 0) {
        int err = EVUTIL_SOCKET_ERROR();
        ed_probe_fail(p->eng, err == ECONNREFUSED ? ED_CHECK_FAIL_REFUSED
                                                  : ED_CHECK_FAIL_CONNECT,
                      "connect", "connect to %s: %s", r->server,
                      strerror(err ? err : EIO));
        finish(p);
    }
}

static void on_resolved(int result, struct evutil_addrinfo *res, void *arg)
{
    edd_hprobe *p = arg;
    if (result == EVUTIL_EAI_CANCEL) {
        if (res)
            evutil_freeaddrinfo(res);
        return; /* released: p may be gone */
    }
    p->dnsreq = NULL;
    if (result != 0 || !res) {
        ed_probe_fail(p->eng, ED_CHECK_FAIL_RESOLVE, "resolve", "cannot resolve %s: %s",
                      p->host, evutil_gai_strerror(result));
        finish(p);
    } else {
        p->ais = res; /* freed with p */
        connect_to(p, res);
        return;
    }
    if (res)
        evutil_freeaddrinfo(res);
}

edd_hprobe *edd_hprobe_start(struct event_base *base, struct evdns_base *dns,
                             SSL_CTX *ctx, const edd_hprobe_spec *spec,
                             edd_hprobe_done done, void *arg)
{
    edd_hprobe *p = calloc(1, sizeof *p);
    if (!p)
        return NULL;
    p->base = base;
    p->ctx = ctx;
    p->fd = -1;
    p->t = spec->transport;
    p->port = spec->port;
    p->timeout_ms = spec->timeout_ms;
    p->done = done;
    p->arg = arg;
    snprintf(p->host, sizeof p->host, "%s", spec->host);
    p->start = mono_ms();
    p->deadline = p->start + spec->timeout_ms;
    p->eng = ed_probe_new(spec->transport, spec->username, spec->password, p->start,
                          spec->timeout_ms);
    if (spec->username && (!(p->cuser = strdup(spec->username)) ||
                           !(p->cpass = strdup(spec->password ? spec->password : "")))) {
        free_probe(p);
        return NULL;
    }
    p->timer = evtimer_new(base, on_timer, p);
    p->finish_ev = event_new(base, -1, 0, on_finish, p);
    if (!p->eng || !p->timer || !p->finish_ev) {
        free_probe(p);
        return NULL;
    }
    if (ed_probe_done(p->eng)) { /* bad arguments */
        finish(p);
        return p;
    }
    if (p->t == ED_CHECK_TLS && !ctx) {
        ed_probe_fail(p->eng, ED_CHECK_FAIL_TLS, "tls", "no TLS context");
        finish(p);
        return p;
    }
    p->phase = "resolve";
    arm(p, p->deadline);
    struct evutil_addrinfo hints;
    memset(&hints, 0, sizeof hints);
    hints.ai_family = AF_UNSPEC;
    hints.ai_socktype = p->t == ED_CHECK_UDP ? SOCK_DGRAM : SOCK_STREAM;
    hints.ai_protocol = p->t == ED_CHECK_UDP ? IPPROTO_UDP : IPPROTO_TCP;
    hints.ai_flags = EVUTIL_AI_NUMERICSERV;
    char svc[8];
    snprintf(svc, sizeof svc, "%d", p->port);
    /* may call on_resolved before returning (IP literals, /etc/hosts) */
    struct evdns_getaddrinfo_request *req =
        evdns_getaddrinfo(dns, p->host, svc, &hints, on_resolved, p);
    if (!p->finished && p->phase && strcmp(p->phase, "resolve") == 0)
        p->dnsreq = req;
    return p;
}

void edd_hprobe_cancel(edd_hprobe *p)
{
    if (!p)
        return;
    free_probe(p);
}

SSL_CTX *edd_hprobe_tls_ctx(const char *ca_file, char *why, size_t whylen)
{
    SSL_CTX *ctx = SSL_CTX_new(TLS_client_method());
    if (!ctx) {
        snprintf(why, whylen, "SSL_CTX_new failed");
        return NULL;
    }
    SSL_CTX_set_min_proto_version(ctx, TLS1_2_VERSION);
    int ok = ca_file ? SSL_CTX_load_verify_locations(ctx, ca_file, NULL)
                     : SSL_CTX_set_default_verify_paths(ctx);
    if (ok != 1) {
        snprintf(why, whylen, "cannot load the CA file %s", ca_file ? ca_file : "(system)");
        SSL_CTX_free(ctx);
        ERR_clear_error();
        return NULL;
    }
    SSL_CTX_set_verify(ctx, SSL_VERIFY_PEER, NULL);
    return ctx;
}
