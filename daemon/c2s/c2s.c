/* daemon/c2s/c2s.c — the standalone XMPP server role: the TLS context, the
 * account database, the client listeners (STARTTLS, direct TLS, PROXY
 * protocol) and the set of sessions (session.c, each over a transport.h
 * transport).  See c2s.h. */
#include <errno.h>
#include <grp.h>
#include <libgen.h>
#ifdef __GLIBC__
#include <malloc.h>
#endif
#include <limits.h>
#include <pwd.h>
#include <stdio.h>
#include <time.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>
#include <sys/stat.h>

#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <event2/event.h>
#include <event2/listener.h>
#include <event2/util.h>
#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/ssl.h>

#include "c2s/c2s_int.h"
#include "c2s/ws.h"
#include "core/file.h"
#include "core/io.h"
#include "core/log.h"

/* seconds a connection closed at shutdown may take to flush its last bytes */
#define C2S_STOP_FLUSH_SECS 2

/* Why the last OpenSSL call failed, from the error queue (which is
 * emptied): the earliest entry is the most specific one.  A system error
 * (the file is missing or unreadable) has no reason string in OpenSSL 3:
 * strerror() of its errno. */
static void tls_reason(char *buf, size_t len)
{
    unsigned long e, first = 0, sys = 0;
    while ((e = ERR_get_error()) != 0) {
        if (!first)
            first = e;
        if (!sys && ERR_GET_LIB(e) == ERR_LIB_SYS)
            sys = e;
    }
    const char *r = first ? ERR_reason_error_string(first) : NULL;
    if (sys && ERR_GET_REASON(sys) > 0)
        snprintf(buf, len, "%s", strerror(ERR_GET_REASON(sys)));
    else if (r)
        snprintf(buf, len, "%s", r);
    else if (first)
        ERR_error_string_n(first, buf, len);
    else
        snprintf(buf, len, "unknown TLS error");
}

#define EDD_TLS_FILE_MAX (1024 * 1024) /* bytes of a certificate chain or key */

/* The PEM bytes of c2s.tls.cert or .key, read by core/file.h (a FIFO or
 * device is refused without blocking; OpenSSL never opens the path). */
static BIO *pem_bio(const char *key, const char *path, char **buf, char *err,
                    size_t errlen)
{
    char why[256];
    size_t len;
    if (edd_file_read(path, EDD_TLS_FILE_MAX, buf, &len, why, sizeof why) != 0) {
        snprintf(err, errlen, "%s %s: %s", key, path, why);
        return NULL;
    }
    BIO *bio = BIO_new_mem_buf(*buf, (int)len);
    if (!bio) {
        edd_file_free(*buf, EDD_TLS_FILE_MAX, 1);
        *buf = NULL;
        snprintf(err, errlen, "%s %s: out of memory", key, path);
    }
    return bio;
}

/* OpenSSL's default PEM password callback prompts on the terminal (a
 * blocking read): an encrypted key is refused instead. */
static int no_password(char *buf, int size, int rwflag, void *u)
{
    (void)buf, (void)size, (void)rwflag, (void)u;
    return -1;
}

/* What SSL_CTX_use_certificate_chain_file does, from a BIO: the first
 * certificate is the server's, the rest its chain. */
static bool use_chain(SSL_CTX *ctx, BIO *bio)
{
    X509 *x = PEM_read_bio_X509_AUX(bio, NULL, no_password, NULL);
    if (!x)
        return false;
    bool ok = SSL_CTX_use_certificate(ctx, x) == 1 && SSL_CTX_clear_chain_certs(ctx) == 1;
    X509_free(x);
    while (ok && (x = PEM_read_bio_X509(bio, NULL, no_password, NULL)))
        if (!(ok = SSL_CTX_add0_chain_cert(ctx, x) == 1))
            X509_free(x);
    if (!ok)
        return false;
    /* the end of the PEM data is the expected way out of the loop */
    unsigned long e = ERR_peek_last_error();
    if (ERR_GET_LIB(e) == ERR_LIB_PEM && ERR_GET_REASON(e) == PEM_R_NO_START_LINE)
        ERR_clear_error();
    else if (e)
        return false;
    return true;
}

/* The server's TLS context from c2s.tls: the certificate chain, the key,
 * and that they belong together.  NULL with err naming the key on failure. */
static SSL_CTX *make_ssl(const edd_cfg_tls *tls, char *err, size_t errlen)
{
    char why[256], *buf = NULL;
    BIO *bio = NULL;
    ERR_clear_error();
    SSL_CTX *ctx = SSL_CTX_new(TLS_server_method());
    if (!ctx) {
        tls_reason(why, sizeof why);
        snprintf(err, errlen, "c2s.tls: cannot create a TLS context: %s", why);
        return NULL;
    }
    SSL_CTX_set_min_proto_version(ctx, TLS1_2_VERSION);
    /* idle sessions keep no read/write buffers */
    SSL_CTX_set_mode(ctx, SSL_MODE_RELEASE_BUFFERS);
    SSL_CTX_set_options(ctx, SSL_OP_NO_COMPRESSION | SSL_OP_NO_RENEGOTIATION);
    if (!(bio = pem_bio("c2s.tls.cert", tls->cert, &buf, err, errlen)))
        goto fail;
    if (!use_chain(ctx, bio)) {
        tls_reason(why, sizeof why);
        snprintf(err, errlen, "c2s.tls.cert %s: %s", tls->cert, why);
        goto fail;
    }
    BIO_free(bio);
    edd_file_free(buf, EDD_TLS_FILE_MAX, 0);
    buf = NULL;
    if (!(bio = pem_bio("c2s.tls.key", tls->key, &buf, err, errlen)))
        goto fail;
    EVP_PKEY *pkey = PEM_read_bio_PrivateKey(bio, NULL, no_password, NULL);
    bool ok = pkey && SSL_CTX_use_PrivateKey(ctx, pkey) == 1 &&
              SSL_CTX_check_private_key(ctx) == 1;
    EVP_PKEY_free(pkey);
    if (!ok) {
        tls_reason(why, sizeof why);
        if (!pkey && strstr(buf, "ENCRYPTED"))
            snprintf(why, sizeof why, "an encrypted key (no pass phrase can be given)");
        snprintf(err, errlen, "c2s.tls.key %s: %s", tls->key, why);
        goto fail;
    }
    BIO_free(bio);
    edd_file_free(buf, EDD_TLS_FILE_MAX, 1);
    return ctx;
fail:
    BIO_free(bio);
    edd_file_free(buf, EDD_TLS_FILE_MAX, 1);
    SSL_CTX_free(ctx);
    ERR_clear_error();
    return NULL;
}

/* The database, when it exists, is a regular file: SQLite would block on
 * a FIFO (stat(2) never opens it).  SQLite opens the path itself, so this
 * is a check for mistakes, not against a race with the file's owner. */
static bool db_path_ok(const char *db, char *err, size_t errlen)
{
    struct stat st;
    if (stat(db, &st) == 0 && !S_ISREG(st.st_mode)) {
        snprintf(err, errlen, "c2s.database %s: not a regular file", db);
        return false;
    }
    return true;
}

bool edd_c2s_check(const edd_config *cfg, char *err, size_t errlen)
{
    const edd_cfg_c2s *cc = cfg->c2s;
    if (!cc)
        return true;
    if (cc->tls) {
        SSL_CTX *ctx = make_ssl(cc->tls, err, errlen);
        if (!ctx)
            return false;
        SSL_CTX_free(ctx);
    }
    if (cc->database) {
        char copy[PATH_MAX];
        struct stat st;
        snprintf(copy, sizeof copy, "%s", cc->database);
        const char *dir = dirname(copy);
        const char *why = stat(dir, &st) != 0 ? strerror(errno)
                          : !S_ISDIR(st.st_mode) ? "not a directory" : NULL;
        if (why) {
            snprintf(err, errlen, "c2s.database %s: directory %s: %s", cc->database, dir,
                     why);
            return false;
        }
        if (!db_path_ok(cc->database, err, errlen))
            return false;
    }
    return true;
}

/* Open the account database.  When extdiscod runs as root and will drop
 * privileges to `user`, the database is opened with that user's effective
 * IDs: the files SQLite creates are that user's, and root needs no access
 * to them (the systemd unit leaves root without CAP_DAC_OVERRIDE). */
static edd_store *open_store(const edd_config *cfg, char *err, size_t errlen)
{
    const char *db = cfg->c2s->database;
    struct passwd *pw = NULL;
    char e[768];
    if (cfg->user && geteuid() == 0) {
        if (!(pw = getpwnam(cfg->user))) {
            snprintf(err, errlen, "user: no such user '%s'", cfg->user);
            return NULL;
        }
        /* the groups the daemon keeps after dropping privileges */
        if (setgroups(0, NULL) != 0 || setegid(pw->pw_gid) != 0 ||
            seteuid(pw->pw_uid) != 0) {
            int en = errno;
            if (seteuid(0) != 0 || setegid(0) != 0) {
                /* cannot return to root: nothing else is safe */
                snprintf(err, errlen, "c2s.database: cannot switch back to root: %s",
                     strerror(errno));
                return NULL;
            }
            snprintf(err, errlen, "c2s.database %s: cannot open it as %s: %s", db,
                     cfg->user, strerror(en));
            return NULL;
        }
    }
    if (!db_path_ok(db, err, errlen))
        return NULL;
    edd_store *st = edd_store_open(db, e, sizeof e);
    if (pw && (seteuid(0) != 0 || setegid(0) != 0)) {
        edd_store_close(st);
        snprintf(err, errlen, "c2s.database: cannot switch back to root: %s",
                 strerror(errno));
        return NULL;
    }
    if (!st && pw)
        snprintf(err, errlen, "c2s.database: %s (opened as %s: the database and its "
                 "directory must belong to %s)", e, cfg->user, cfg->user);
    else if (!st)
        snprintf(err, errlen, "c2s.database: %s", e);
    return st;
}

static void apply_limits(edd_c2s *c, const edd_config *cfg)
{
    c->xlim = ed_xml_limits_default();
    c->xlim.max_stanza_bytes = (size_t)cfg->limits.max_stanza_bytes;
    c->xlim.max_text_bytes = (size_t)cfg->limits.max_stanza_bytes;
    c->xlim.max_depth = (unsigned)cfg->limits.max_depth;
    c->xlim.max_attrs = (unsigned)cfg->limits.max_attrs;
    c->handshake_timeout = cfg->limits.handshake_timeout;
    c->idle_timeout = cfg->limits.idle_timeout;
    c->max_connections = (size_t)cfg->limits.max_connections;
    c->max_unauth_per_address = (unsigned)cfg->limits.max_unauth_per_address;
    c->require_tls = cfg->c2s->require_tls;
}

static void on_accept(struct evconnlistener *ev, evutil_socket_t fd,
                      struct sockaddr *sa, int salen, void *arg)
{
    edd_listener *l = arg;
    edd_c2s *c = l->c2s;
    if (c->nsessions >= c->max_connections) {
        edd_log_warn("c2s: %zu connections, refusing another", c->nsessions);
        evutil_closesocket(fd);
        return;
    }
    if (l->tls != EDD_LISTEN_NONE && !c->ssl) {
        evutil_closesocket(fd);
        return;
    }
    /* Replies are small and latency-bound: without this, Nagle plus the
     * peer's delayed ACK holds back every second reply by up to 40 ms. */
    int one = 1;
    if (sa->sa_family == AF_INET || sa->sa_family == AF_INET6)
        setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    edd_session *s = edd_session_new(c, fd, sa, (socklen_t)salen, l);
    if (!s) {
        edd_log_error("c2s: out of memory accepting a connection");
        evutil_closesocket(fd);
        return;
    }
    /* a proxy listener's client is counted once its PROXY header names it */
    if (!l->proxy && !edd_unauth_enter(c, s)) {
        edd_log_warn("c2s: %u connections from one address are not logged in yet "
                    "(limits.max_unauthenticated_per_address), closing another",
                    c->max_unauth_per_address);
        edd_session_close(s, EDD_CLOSE_ABORT);
    }
}

static void reenable(evutil_socket_t fd, short what, void *arg)
{
    edd_listener *l = arg;
    evconnlistener_enable(l->ev);
}

static void on_accept_error(struct evconnlistener *ev, void *arg)
{
    edd_listener *l = arg;
    int e = EVUTIL_SOCKET_ERROR();
    edd_log_warn("c2s: accept: %s", evutil_socket_error_to_string(e));
    /* EMFILE and friends: pause briefly instead of spinning.  The timer is
     * the listener's, so freeing the listener (reload, stop) cancels it. */
    evconnlistener_disable(ev);
    struct timeval tv = {.tv_sec = 0, .tv_usec = 100000};
    if (!l->retry)
        l->retry = evtimer_new(evconnlistener_get_base(ev), reenable, l);
    if (!l->retry || evtimer_add(l->retry, &tv) != 0)
        evconnlistener_enable(ev); /* no timer: keep accepting rather than stop */
}

static void listener_free(edd_listener *l)
{
    if (!l)
        return;
    if (l->retry)
        event_free(l->retry);
    if (l->ev)
        evconnlistener_free(l->ev);
    edd_ws_conf_unref(l->ws);
    free(l->address);
    free(l);
}

/* A websocket listener's endpoint from cl (replacing the old one: live
 * handshakes keep theirs); nothing for an xmpp listener.  false when out of
 * memory. */
static bool listener_ws(edd_listener *l, const edd_cfg_listen *cl)
{
    edd_ws_conf *ws = NULL;
    if (cl->kind == EDD_LISTEN_WEBSOCKET &&
        !(ws = edd_ws_conf_new(cl->path, cl->origins, cl->norigins,
                               cl->tls == EDD_LISTEN_DIRECT || cl->consider_secure)))
        return false;
    edd_ws_conf_unref(l->ws);
    l->ws = ws;
    return true;
}

/* Bind c2s.listen[index] (cl).  NULL with err naming the key on failure. */
static edd_listener *listener_new(edd_c2s *c, const edd_cfg_listen *cl, unsigned index,
                                 char *err, size_t errlen)
{
    struct sockaddr_storage ss;
    int sslen = sizeof ss;
    char spec[300];
    snprintf(spec, sizeof spec, strchr(cl->host, ':') ? "[%s]:%d" : "%s:%d", cl->host, cl->port);
    if (evutil_parse_sockaddr_port(spec, (struct sockaddr *)&ss, &sslen) != 0) {
        snprintf(err, errlen, "c2s.listen[%u].address %s: not a numeric address", index,
                 cl->address);
        return NULL;
    }
    edd_listener *l = calloc(1, sizeof *l);
    if (!l || !(l->address = strdup(cl->address))) {
        free(l);
        snprintf(err, errlen, "c2s: out of memory");
        return NULL;
    }
    l->c2s = c;
    l->tls = cl->tls;
    l->proxy = cl->proxy_protocol;
    l->secure_front = cl->consider_secure;
    if (!listener_ws(l, cl)) {
        snprintf(err, errlen, "c2s: out of memory");
        listener_free(l);
        return NULL;
    }
    unsigned flags = LEV_OPT_CLOSE_ON_FREE | LEV_OPT_REUSEABLE | LEV_OPT_CLOSE_ON_EXEC;
    if (ss.ss_family == AF_INET6)
        flags |= LEV_OPT_BIND_IPV6ONLY;
    /* The accept queue: the kernel caps it at net.core.somaxconn (4096 by
     * default).  After a restart every client reconnects at once; with 512
     * the kernel dropped ~2,000 of 10,000 SYNs, which their clients sent
     * again 1 s, 3 s, 7 s later (bench/scale.sh's storm: 13.5 s until all
     * were bound, the server half idle). */
    l->ev = evconnlistener_new_bind(c->base, on_accept, l, flags, 65535,
                                    (struct sockaddr *)&ss, sslen);
    if (!l->ev) {
        snprintf(err, errlen, "c2s.listen[%u].address %s: %s", index, cl->address,
                 strerror(errno));
        listener_free(l);
        return NULL;
    }
    evconnlistener_set_error_cb(l->ev, on_accept_error);
    if (cl->kind == EDD_LISTEN_WEBSOCKET)
        edd_log_info("c2s: listening on %s (WebSocket %s://%s%s, host-meta%s)", cl->address,
                    cl->tls == EDD_LISTEN_DIRECT ? "wss" : "ws", cl->address, cl->path,
                    cl->consider_secure ? ", TLS terminated in front" : "");
    else
        edd_log_info("c2s: listening on %s (%s%s)", cl->address,
                    cl->tls == EDD_LISTEN_DIRECT ? "direct TLS"
                    : cl->tls == EDD_LISTEN_STARTTLS ? "STARTTLS"
                    : cl->consider_secure ? "no TLS here, terminated in front" : "no TLS",
                    cl->proxy_protocol ? ", PROXY protocol" : "");
    return l;
}

/* The deferred close callback (edd_session_close arms it). */
static void on_close_ev(evutil_socket_t fd, short what, void *arg)
{
    edd_session_reap(arg, EDD_C2S_FLUSH_SECS);
}

/* Sessions that read nothing since the last sweep give back their
 * parser's expat state (several KiB each) until their next byte.  The freed
 * blocks sit between the small long-lived ones of other sessions, so glibc
 * never returns them by itself: malloc_trim() gives the free pages inside
 * the heap back to the kernel.  (With the early release in session.c's
 * on_read, an idle plaintext connection went from 12.5 to ~2.3 KiB of RSS:
 * bench/idle_rss.py.)
 *
 * Every session is visited once per EDD_C2S_SWEEP_SECS (a round), at most
 * EDD_C2S_SWEEP_SLICE of them a turn, the turns spread over the round: one
 * walk over 10,000 sessions took 2.8 ms (a cache miss or more per
 * session), a stall every request waits behind; at 100,000 it would be
 * ~30 ms (bench/scale.sh).  The cursor is c->sweep_next; a session closed
 * meanwhile moves it on (session.c). */
static int64_t mono_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void sweep(evutil_socket_t fd, short what, void *arg)
{
    edd_c2s *c = arg;
    int64_t now = c->srv->clock(), ms = mono_ms();
    if (!c->sweep_mid) {
        c->sweep_mid = true;
        c->sweep_next = c->sessions;
        c->sweep_round = ms;
    }
    edd_session *s = c->sweep_next;
    for (size_t n = 0; s && n < c->sweep_slice; n++) {
        edd_session *next = s->next; /* closing s moves it to the closed list */
        c->sweep_next = next;
        edd_session_check_deadline(s, now);
        if (!edd_session_closed(s)) {
            if (!s->active && !s->parser_idle && s->xs && edd_session_stream_open(s) &&
                ed_xml_stream_idle(s->xs)) {
                s->parser_idle = true;
                c->sweep_released++;
            }
            s->active = false;
            s->busy_reads = 0;
        }
        s = c->sweep_next; /* next, unless closing s closed it too */
    }
    int64_t wait_ms;
    if (!c->sweep_next) { /* the round is over: the next one a period after this one began */
        c->sweep_mid = false;
#ifdef __GLIBC__
        if (c->sweep_released)
            malloc_trim(0);
#endif
        c->sweep_released = 0;
        wait_ms = c->sweep_round + EDD_C2S_SWEEP_SECS * 1000 - ms;
    } else { /* the rest of the round's turns share what is left of its period */
        size_t turns = c->nsessions / c->sweep_slice + 1;
        wait_ms = (c->sweep_round + EDD_C2S_SWEEP_SECS * 1000 - ms) / (int64_t)turns;
    }
    if (wait_ms < 1)
        wait_ms = 1;
    if (wait_ms > EDD_C2S_SWEEP_SECS * 1000)
        wait_ms = EDD_C2S_SWEEP_SECS * 1000;
    struct timeval tv = {.tv_sec = wait_ms / 1000, .tv_usec = (wait_ms % 1000) * 1000};
    event_add(c->sweeper, &tv);
}

edd_c2s *edd_c2s_start(edd_server *srv, char *err, size_t errlen)
{
    const edd_cfg_c2s *cc = srv->cfg->c2s;
    if (!cc) {
        snprintf(err, errlen, "c2s: no c2s section");
        return NULL;
    }
    edd_c2s *c = calloc(1, sizeof *c);
    if (!c) {
        snprintf(err, errlen, "c2s: out of memory");
        return NULL;
    }
    c->srv = srv;
    c->base = srv->base;
    apply_limits(c, srv->cfg);
    unsigned char key[EDD_HASH_KEY_LEN];
    edd_hash_random_key(key);
    memcpy(&c->xml_salt, key, sizeof c->xml_salt);
    c->xml_salt |= 1; /* 0 would mean: expat draws its own */
    if (!(c->domain = strdup(cc->domain)) || !(c->sasl = edd_sasl_new()) ||
        !(c->throttle = edd_throttle_new(4096)) ||
        !(c->close_ev = event_new(c->base, -1, 0, on_close_ev, c)) ||
        !(c->sweeper = event_new(c->base, -1, 0, sweep, c))) {
        snprintf(err, errlen, "c2s: cannot initialise (memory or libgsasl)");
        goto fail;
    }
    /* EXTDISCOD_SWEEP_SLICE (1 to EDD_C2S_SWEEP_SLICE): a smaller slice, so
     * that the tests (c2s_badinput) run every sweep-driven rule — absolute
     * deadlines, parser release, busy reads — over rounds of many turns
     * with a handful of sessions */
    c->sweep_slice = EDD_C2S_SWEEP_SLICE;
    const char *slice = getenv("EXTDISCOD_SWEEP_SLICE");
    if (slice && atoi(slice) >= 1 && atoi(slice) <= EDD_C2S_SWEEP_SLICE)
        c->sweep_slice = (size_t)atoi(slice);
    struct timeval every = {.tv_sec = EDD_C2S_SWEEP_SECS, .tv_usec = 0};
    event_add(c->sweeper, &every);
    if (cc->tls && !(c->ssl = make_ssl(cc->tls, err, errlen)))
        goto fail;
    if (!cc->database) { /* the loader refuses that already */
        snprintf(err, errlen, "c2s.database: missing");
        goto fail;
    }
    if (!(c->store = open_store(srv->cfg, err, errlen)))
        goto fail;
    if (cc->nlisten && !(c->lst = calloc(cc->nlisten, sizeof *c->lst))) {
        snprintf(err, errlen, "c2s: out of memory");
        goto fail;
    }
    for (unsigned i = 0; i < cc->nlisten; i++) {
        if (cc->listen[i].tls != EDD_LISTEN_NONE && !c->ssl) {
            snprintf(err, errlen, "c2s.listen[%u] %s needs c2s.tls (cert and key)", i,
                     cc->listen[i].address);
            goto fail;
        }
        if (!(c->lst[i] = listener_new(c, &cc->listen[i], i, err, errlen)))
            goto fail;
        c->nlst++;
    }
    return c;
fail:
    edd_c2s_stop(c);
    return NULL;
}

void edd_c2s_reconfigure(edd_c2s *c, edd_server *srv)
{
    const edd_cfg_c2s *cc = srv->cfg->c2s;
    if (!cc) {
        edd_log_warn("c2s: the new configuration has no c2s section; "
                    "keeping the running server (restart to stop it)");
        return;
    }
    c->srv = srv;
    apply_limits(c, srv->cfg);
    if (strcmp(cc->domain, c->domain) != 0)
        edd_log_warn("c2s: the domain changed to %s; restart to apply it", cc->domain);
    if (cc->tls) {
        char err[512];
        SSL_CTX *ctx = make_ssl(cc->tls, err, sizeof err);
        if (ctx) {
            SSL_CTX_free(c->ssl); /* live sessions hold their own reference */
            c->ssl = ctx;
        } else {
            edd_log_error("%s (keeping the old certificate)", err);
        }
    }
    /* listeners: keep those whose address and mode are unchanged */
    edd_listener **nl = calloc(cc->nlisten ? cc->nlisten : 1, sizeof *nl);
    if (!nl)
        return;
    size_t nn = 0;
    for (unsigned i = 0; i < cc->nlisten; i++) {
        const edd_cfg_listen *cl = &cc->listen[i];
        for (size_t k = 0; k < c->nlst; k++) {
            edd_listener *l = c->lst[k];
            if (l && strcmp(l->address, cl->address) == 0) {
                if (!listener_ws(l, cl)) {
                    edd_log_error("c2s: out of memory; %s keeps its old settings", l->address);
                    nl[nn++] = l;
                    c->lst[k] = NULL;
                    goto next;
                }
                l->tls = cl->tls;
                l->proxy = cl->proxy_protocol;
                l->secure_front = cl->consider_secure;
                nl[nn++] = l;
                c->lst[k] = NULL;
                goto next;
            }
        }
        char err[512];
        edd_listener *l = listener_new(c, cl, i, err, sizeof err);
        if (l)
            nl[nn++] = l;
        else
            edd_log_error("%s", err);
    next:;
    }
    for (size_t k = 0; k < c->nlst; k++) {
        if (c->lst[k])
            edd_log_info("c2s: no longer listening on %s", c->lst[k]->address);
        listener_free(c->lst[k]);
    }
    free(c->lst);
    c->lst = nl;
    c->nlst = nn;
}

edd_store *edd_c2s_store(edd_c2s *c)
{
    return c->store;
}

/* --- shutdown ----------------------------------------------------------- */

void edd_c2s_stop(edd_c2s *c)
{
    if (!c)
        return;
    /* no new connections */
    for (size_t k = 0; k < c->nlst; k++)
        listener_free(c->lst[k]);
    free(c->lst);
    c->lst = NULL;
    c->nlst = 0;
    /* Every open stream gets system-shutdown and </stream:stream> (RFC
     * 6120 §4.9.3.22), the others are closed; a close takes only the
     * session it closes off the list.  The closed ones are then done with
     * at once: connections with something to write keep it for
     * C2S_STOP_FLUSH_SECS (main.c runs the loop until they are done). */
    while (c->sessions) {
        edd_session *s = c->sessions;
        if (edd_session_stream_open(s))
            edd_session_stream_error(s, "system-shutdown", NULL);
        else
            edd_session_close(s, EDD_CLOSE_ABORT);
    }
    edd_session_reap(c, C2S_STOP_FLUSH_SECS);
    if (c->close_ev)
        event_free(c->close_ev);
    if (c->sweeper)
        event_free(c->sweeper);
    edd_router_free(c);
    edd_unauth_free(c);
    edd_store_close(c->store);
    edd_sasl_free(c->sasl);
    edd_throttle_free(c->throttle);
    SSL_CTX_free(c->ssl);
    ed_buf_free(&c->out);
    ed_buf_free(&c->cork);
    free(c->domain);
    free(c);
}

void edd_c2s_info_get(const edd_c2s *c, edd_c2s_info *out)
{
    memset(out, 0, sizeof *out);
    if (!c)
        return;
    out->configured = c->srv && c->srv->cfg->c2s ? c->srv->cfg->c2s->nlisten : c->nlst;
    for (size_t i = 0; i < c->nlst; i++)
        if (c->lst[i] && c->lst[i]->ev)
            out->listeners++;
    out->throttled = edd_throttle_locked(c->throttle, c->srv->clock());
    for (const edd_session *s = c->sessions; s; s = s->next) {
        if (edd_session_closed(s) || !s->t)
            continue;
        bool ws = edd_transport_framed(s->t);
        if (edd_transport_secure(s->t)) {
            out->tls++;
            out->ws_tls += ws;
        } else {
            out->plain++;
            out->ws_plain += ws;
        }
        if (s->state == EDD_SS_BOUND)
            out->bound++;
    }
}
