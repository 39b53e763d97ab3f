/* daemon/http/http.c — the HTTP listener: binding, the route table, access
 * (allow-list, bearer token) and the bounds on what a client may cost.  See
 * http.h.
 *
 * Connections.  evhttp owns each connection; extdiscod creates its
 * bufferevent (evhttp_set_bevcb) and keeps one extra reference to it, so
 * that the sweep (every second) can tell, without touching freed memory,
 * when evhttp is done with it (bufferevent_free clears the callbacks):
 * then the reference is dropped and the slot is free.  A connection whose
 * deadline (http.timeout after accept or after its last answered request)
 * has passed is shut down (shutdown(2)); evhttp sees the end and frees it.
 * With http.max_connections open, the listeners stop accepting until the
 * sweep finds a free slot. */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <time.h>

#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <event2/event.h>
#include <event2/http.h>
#include <event2/keyvalq_struct.h>
#include <event2/listener.h>
#include <openssl/crypto.h>

#include "core/log.h"
#include "core/metrics.h"
#include "http/http.h"

typedef struct route {
    const char *path;
    unsigned flags;
    edd_http_handler fn;
    void *ud;
} route;

typedef struct conn {
    struct bufferevent *bev; /* our reference; NULL: free slot */
    int64_t deadline;        /* monotonic milliseconds */
    bool nodelay;            /* TCP_NODELAY set (at its first request) */
} conn;

typedef struct bound {
    char *address;           /* as configured */
    struct evhttp_bound_socket *sock;
} bound;

struct edd_http {
    edd_server *s;
    struct evhttp *http;
    bound *bound;
    size_t nbound;
    route routes[EDD_HTTP_MAX_ROUTES];
    size_t nroutes;
    conn *conns;             /* max_connections slots */
    size_t maxconns, nconns;
    bool paused;             /* listeners disabled at the limit */
    struct event *sweeper;
    int64_t timeout;         /* milliseconds */
};

static int64_t mono(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void pause_listeners(edd_http *h, bool pause)
{
    if (h->paused == pause)
        return;
    h->paused = pause;
    for (size_t i = 0; i < h->nbound; i++) {
        struct evconnlistener *l = evhttp_bound_socket_get_listener(h->bound[i].sock);
        if (pause)
            evconnlistener_disable(l);
        else
            evconnlistener_enable(l);
    }
}

/* evhttp is done with the bufferevent once bufferevent_free() cleared its
 * callbacks (evhttp keeps an event callback for as long as it uses it). */
static bool conn_gone(struct bufferevent *bev)
{
    bufferevent_data_cb r, w;
    bufferevent_event_cb e;
    void *arg;
    bufferevent_getcb(bev, &r, &w, &e, &arg);
    return !r && !w && !e;
}

static void sweep(edd_http *h)
{
    int64_t now = mono();
    for (size_t i = 0; i < h->maxconns; i++) {
        conn *c = &h->conns[i];
        if (!c->bev)
            continue;
        if (conn_gone(c->bev)) {
            bufferevent_decref(c->bev);
            c->bev = NULL;
            h->nconns--;
        } else if (now >= c->deadline) {
            evutil_socket_t fd = bufferevent_getfd(c->bev);
            if (fd >= 0)
                shutdown(fd, SHUT_RDWR); /* evhttp reads the end and frees it */
            c->deadline = now + 1000;    /* look again next sweep */
            edd_metrics_g.http_cut++;
        }
    }
    if (h->nconns < h->maxconns)
        pause_listeners(h, false);
}

static void on_sweep(evutil_socket_t fd, short what, void *arg)
{
    (void)fd;
    (void)what;
    sweep(arg);
}

/* evhttp asks for the bufferevent of a new connection. */
static struct bufferevent *on_new_conn(struct event_base *base, void *arg)
{
    edd_http *h = arg;
    struct bufferevent *bev = bufferevent_socket_new(base, -1, BEV_OPT_CLOSE_ON_FREE);
    if (!bev)
        return NULL;
    size_t i;
    for (i = 0; i < h->maxconns && h->conns[i].bev; i++)
        ;
    /* Never full here: the listeners pause at the limit below, and
     * libevent's accept loop stops as soon as its listener is disabled.
     * (Were it full, the connection would still be served, only not cut
     * at its deadline: evhttp's own idle timeout would end it.) */
    if (i < h->maxconns) {
        bufferevent_incref(bev);
        h->conns[i].bev = bev;
        h->conns[i].deadline = mono() + h->timeout;
        h->conns[i].nodelay = false;
        h->nconns++;
    }
    if (h->nconns >= h->maxconns) {
        /* the next connection waits in the kernel's queue until a slot is
         * free (at most one sweep after a connection ends) */
        if (!h->paused)
            edd_metrics_g.http_refused++;
        pause_listeners(h, true);
    }
    return bev;
}

/* A request is being answered on its connection: the deadline restarts
 * (keep-alive idle time).  The first time, TCP_NODELAY: evhttp writes the
 * headers and the body separately, and Nagle would hold the body of every
 * kept-alive answer for the client's delayed ACK (40 ms). */
static void conn_answered(edd_http *h, struct evhttp_request *req)
{
    struct evhttp_connection *evcon = evhttp_request_get_connection(req);
    struct bufferevent *bev = evcon ? evhttp_connection_get_bufferevent(evcon) : NULL;
    for (size_t i = 0; bev && i < h->maxconns; i++)
        if (h->conns[i].bev == bev) {
            conn *c = &h->conns[i];
            c->deadline = mono() + h->timeout;
            if (!c->nodelay) {
                int one = 1;
                evutil_socket_t fd = bufferevent_getfd(bev);
                if (fd >= 0)
                    setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
                c->nodelay = true;
            }
            break;
        }
}

static bool cidr_match(const edd_cfg_cidr *c, const unsigned char *a, int family)
{
    if (c->family != family)
        return false;
    unsigned full = c->prefix / 8, rest = c->prefix % 8;
    if (memcmp(c->addr, a, full) != 0)
        return false;
    if (rest == 0)
        return true;
    unsigned char mask = (unsigned char)(0xff00u >> rest);
    return (a[full] & mask) == c->addr[full];
}

static bool allowed(const edd_cfg_http *cfg, const struct sockaddr *sa)
{
    if (cfg->nallow == 0)
        return true;
    if (!sa)
        return false;
    const unsigned char *a;
    int family = sa->sa_family;
    if (family == AF_INET) {
        a = (const unsigned char *)&((const struct sockaddr_in *)(const void *)sa)->sin_addr;
    } else if (family == AF_INET6) {
        a = (const unsigned char *)&((const struct sockaddr_in6 *)(const void *)sa)->sin6_addr;
        static const unsigned char mapped[12] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff};
        if (memcmp(a, mapped, 12) == 0) {
            a += 12;
            family = AF_INET;
        }
    } else {
        return false;
    }
    for (unsigned i = 0; i < cfg->nallow; i++)
        if (cidr_match(&cfg->cidrs[i], a, family))
            return true;
    return false;
}

/* "Bearer TOKEN" with the configured token (compared in constant time). */
static bool token_ok(const edd_cfg_http *cfg, struct evhttp_request *req)
{
    if (!cfg->token)
        return true;
    const char *v = evhttp_find_header(evhttp_request_get_input_headers(req), "Authorization");
    if (!v || strncasecmp(v, "Bearer ", 7) != 0)
        return false;
    v += 7;
    while (*v == ' ')
        v++;
    size_t n = strlen(v);
    while (n > 0 && (v[n - 1] == ' ' || v[n - 1] == '\t'))
        n--;
    return n == cfg->token_len && CRYPTO_memcmp(v, cfg->token, n) == 0;
}

void edd_http_send(struct evhttp_request *req, int code, const char *reason,
                   const char *ctype, struct evbuffer *body)
{
    struct evkeyvalq *hdr = evhttp_request_get_output_headers(req);
    if (ctype)
        evhttp_add_header(hdr, "Content-Type", ctype);
    evhttp_add_header(hdr, "Cache-Control", "no-store");
    int cls = code / 100;
    if (cls >= 1 && cls <= 5)
        edd_metrics_g.http_requests[cls]++;
    evhttp_send_reply(req, code, reason, body);
}

void edd_http_send_text(struct evhttp_request *req, int code, const char *reason,
                        const char *text)
{
    struct evbuffer *b = evbuffer_new();
    if (b)
        evbuffer_add_printf(b, "%s\n", text);
    edd_http_send(req, code, reason, "text/plain; charset=utf-8", b);
    if (b)
        evbuffer_free(b);
}

static void on_request(struct evhttp_request *req, void *arg)
{
    edd_http *h = arg;
    const edd_cfg_http *cfg = h->s->cfg->http;
    struct evhttp_connection *evcon = evhttp_request_get_connection(req);
    const struct sockaddr *peer = evcon ? evhttp_connection_get_addr(evcon) : NULL;
    conn_answered(h, req);
    if (!cfg || !allowed(cfg, peer)) {
        edd_http_send_text(req, 403, "Forbidden", "forbidden");
        return;
    }
    const struct evhttp_uri *uri = evhttp_request_get_evhttp_uri(req);
    const char *path = uri ? evhttp_uri_get_path(uri) : NULL;
    const route *r = NULL;
    for (size_t i = 0; path && i < h->nroutes; i++)
        if (strcmp(h->routes[i].path, path) == 0) {
            r = &h->routes[i];
            break;
        }
    if (!r) {
        edd_http_send_text(req, HTTP_NOTFOUND, "Not Found", "not found");
        return;
    }
    if (!(r->flags & EDD_HTTP_PUBLIC) && !token_ok(cfg, req)) {
        evhttp_add_header(evhttp_request_get_output_headers(req), "WWW-Authenticate",
                          "Bearer realm=\"extdiscod\"");
        edd_http_send_text(req, 401, "Unauthorized", "unauthorized");
        return;
    }
    r->fn(req, h->s, r->ud);
}

bool edd_http_route_add(edd_http *h, const char *path, unsigned flags,
                        edd_http_handler fn, void *ud)
{
    if (h->nroutes >= EDD_HTTP_MAX_ROUTES)
        return false;
    for (size_t i = 0; i < h->nroutes; i++)
        if (strcmp(h->routes[i].path, path) == 0)
            return false;
    h->routes[h->nroutes++] = (route){path, flags, fn, ud};
    return true;
}

static bool bind_one(edd_http *h, const edd_cfg_http *cfg, unsigned i, bound *b, char *err,
                     size_t errlen)
{
    struct sockaddr_storage ss;
    int sslen = sizeof ss;
    char spec[300];
    snprintf(spec, sizeof spec, strchr(cfg->hosts[i], ':') ? "[%s]:%d" : "%s:%d",
             cfg->hosts[i], cfg->ports[i]);
    if (evutil_parse_sockaddr_port(spec, (struct sockaddr *)&ss, &sslen) != 0) {
        snprintf(err, errlen, "http.listen[%u] %s: not a numeric address", i, cfg->listen[i]);
        return false;
    }
    unsigned flags = LEV_OPT_CLOSE_ON_FREE | LEV_OPT_REUSEABLE | LEV_OPT_CLOSE_ON_EXEC;
    if (ss.ss_family == AF_INET6)
        flags |= LEV_OPT_BIND_IPV6ONLY;
    struct evconnlistener *l = evconnlistener_new_bind(h->s->base, NULL, NULL, flags, 128,
                                                       (struct sockaddr *)&ss, sslen);
    if (!l) {
        snprintf(err, errlen, "http.listen[%u] %s: %s", i, cfg->listen[i], strerror(errno));
        return false;
    }
    b->sock = evhttp_bind_listener(h->http, l);
    b->address = strdup(cfg->listen[i]);
    if (!b->sock || !b->address) {
        if (b->sock)
            evhttp_del_accept_socket(h->http, b->sock);
        else
            evconnlistener_free(l);
        free(b->address);
        b->address = NULL;
        b->sock = NULL;
        snprintf(err, errlen, "http: out of memory");
        return false;
    }
    if (h->paused)
        evconnlistener_disable(l);
    edd_log_info("http: listening on %s", cfg->listen[i]);
    return true;
}

static void apply_limits(edd_http *h, const edd_cfg_http *cfg)
{
    evhttp_set_max_headers_size(h->http, (ev_ssize_t)cfg->max_header_bytes);
    evhttp_set_max_body_size(h->http, 0); /* GET and HEAD only: no body */
    /* The sweep cuts at http.timeout (and counts it); evhttp's own idle
     * timeout is only the backstop for a connection the table could not
     * hold, so it must never fire first: with both at http.timeout, a
     * connection accepted late in a second was ended by evhttp, uncounted,
     * before the sweep (whole seconds then) reached it. */
    evhttp_set_timeout(h->http, (int)cfg->timeout + 2);
    h->timeout = cfg->timeout * 1000;
}

edd_http *edd_http_start(edd_server *s, char *err, size_t errlen)
{
    const edd_cfg_http *cfg = s->cfg->http;
    edd_http *h = calloc(1, sizeof *h);
    if (!h || !cfg) {
        free(h);
        snprintf(err, errlen, "http: %s", cfg ? "out of memory" : "not configured");
        return NULL;
    }
    h->s = s;
    h->maxconns = (size_t)cfg->max_connections;
    h->conns = calloc(h->maxconns, sizeof *h->conns);
    h->bound = calloc(cfg->nlisten, sizeof *h->bound);
    h->http = evhttp_new(s->base);
    h->sweeper = event_new(s->base, -1, EV_PERSIST, on_sweep, h);
    struct timeval every = {1, 0};
    if (!h->conns || !h->bound || !h->http || !h->sweeper || event_add(h->sweeper, &every)) {
        snprintf(err, errlen, "http: out of memory");
        edd_http_stop(h);
        return NULL;
    }
    evhttp_set_allowed_methods(h->http, EVHTTP_REQ_GET | EVHTTP_REQ_HEAD);
    evhttp_set_bevcb(h->http, on_new_conn, h);
    evhttp_set_gencb(h->http, on_request, h);
    evhttp_set_default_content_type(h->http, "text/plain; charset=utf-8");
    apply_limits(h, cfg);
    edd_http_route_add(h, "/metrics", 0, edd_http_metrics, NULL);
    edd_http_route_add(h, "/status", 0, edd_http_status, NULL);
    edd_http_route_add(h, "/health", EDD_HTTP_PUBLIC, edd_http_health, NULL);
    edd_http_route_add(h, "/ready", EDD_HTTP_PUBLIC, edd_http_ready, NULL);
    for (unsigned i = 0; i < cfg->nlisten; i++) {
        if (!bind_one(h, cfg, i, &h->bound[h->nbound], err, errlen)) {
            edd_http_stop(h);
            return NULL;
        }
        h->nbound++;
    }
    edd_metrics_g.on = true;
    return h;
}

void edd_http_reconfigure(edd_http *h, edd_server *s)
{
    if (!h)
        return;
    h->s = s;
    const edd_cfg_http *cfg = s->cfg->http;
    if (!cfg) {
        edd_log_warn("http: the reloaded configuration has no http section; the listener "
                    "stays as it was started (restart to remove it)");
        return;
    }
    apply_limits(h, cfg);
    if ((size_t)cfg->max_connections != h->maxconns)
        edd_log_warn("http: max_connections changes at the next restart");
    /* listeners: keep those still configured, bind the new ones */
    bound *nb = calloc(cfg->nlisten, sizeof *nb);
    if (!nb) {
        edd_log_error("http: out of memory; keeping the listeners");
        return;
    }
    size_t n = 0;
    for (unsigned i = 0; i < cfg->nlisten; i++) {
        for (size_t k = 0; k < h->nbound; k++)
            if (h->bound[k].address && strcmp(h->bound[k].address, cfg->listen[i]) == 0) {
                nb[n++] = h->bound[k];
                h->bound[k].address = NULL;
                h->bound[k].sock = NULL;
                break;
            }
    }
    for (size_t k = 0; k < h->nbound; k++)
        if (h->bound[k].sock) {
            edd_log_info("http: no longer listening on %s", h->bound[k].address);
            evhttp_del_accept_socket(h->http, h->bound[k].sock);
            free(h->bound[k].address);
        }
    free(h->bound);
    h->bound = nb;
    h->nbound = n;
    for (unsigned i = 0; i < cfg->nlisten; i++) {
        bool have = false;
        for (size_t k = 0; k < h->nbound; k++)
            have = have || strcmp(h->bound[k].address, cfg->listen[i]) == 0;
        char e[300];
        if (!have && bind_one(h, cfg, i, &h->bound[h->nbound], e, sizeof e))
            h->nbound++;
        else if (!have)
            edd_log_error("%s", e);
    }
}

void edd_http_stop(edd_http *h)
{
    if (!h)
        return;
    if (h->sweeper)
        event_free(h->sweeper);
    if (h->http)
        evhttp_free(h->http); /* closes the listeners and every connection */
    for (size_t i = 0; h->conns && i < h->maxconns; i++)
        if (h->conns[i].bev)
            bufferevent_decref(h->conns[i].bev);
    for (size_t k = 0; h->bound && k < h->nbound; k++)
        free(h->bound[k].address);
    free(h->bound);
    free(h->conns);
    free(h);
    edd_metrics_g.on = false;
}

size_t edd_http_connections(const edd_http *h)
{
    return h ? h->nconns : 0;
}
