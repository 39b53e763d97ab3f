/* bench/storm.c — many c2s logins over STARTTLS + SASL SCRAM, then hold
 * them idle (bench only; bench/scale.sh drives it).
 *
 * One process, one thread, epoll, non-blocking sockets, OpenSSL directly
 * (no libevent: a client connection costs its SSL object and ~100 bytes
 * here, so 100,000 of them fit), SASL through libgsasl as the project does.
 * The XMPP side is a scan for the few elements a login meets (features,
 * proceed, challenge, success, the bind result), not a parser: it talks to
 * servers we start ourselves on loopback.
 *
 * Per connection: connect (source address 127.0.0.x, several of them so
 * that 100,000 connections find ports), stream, STARTTLS, TLS handshake
 * (no certificate check: loopback, self-signed), stream, SASL (the
 * SaltedPassword of each account is computed once and then handed to
 * libgsasl, so the load generator does not spend 4096 HMACs per login), a
 * stream, bind, initial presence.  Then the connection is idle.
 *
 * Reports (key=value lines on stdout):
 *   ready=N failed=N t_all_ms (first connect to last bound) logins_per_s,
 *   login latency p50/p99/max, the server's RSS (VmRSS of --pid) before
 *   and after, per connection, our own RSS per connection; then, with
 *   --probe-conns C --probe-reqs R, R <services/> requests on each of C
 *   connections spread over the population, one in flight each: p50/p99.
 *
 * Options: --host --port --domain --user (prefix: USER0..) --pass --nusers
 *   --conns --parallel (logins in progress at once, 0: all) --src-base
 *   (e.g. 127.0.1.) --nsrc --mech --pid --settle-ms --timeout --hold-s
 *   --probe-conns --probe-reqs --no-presence --warm (one login per account
 *   first, outside the measured phase, to learn the SaltedPasswords) */

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <gsasl.h>
#include <malloc.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <openssl/err.h>
#include <openssl/ssl.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <signal.h>
#include <sys/epoll.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#define NS_SASL "urn:ietf:params:xml:ns:xmpp-sasl"
#define MAX_USERS 100000
#define BUF_MAX (64 * 1024)

enum st {
    S_NEW, S_CONNECTING, S_FEAT1, S_PROCEED, S_HANDSHAKE, S_FEAT2, S_AUTH, S_FEAT3, S_BIND,
    S_READY, S_PROBE, S_DEAD
};

typedef struct conn {
    int fd;
    uint8_t st;
    bool want_write;
    uint16_t user;
    SSL *ssl;
    Gsasl_session *sasl;
    char *buf;              /* input not consumed yet (login and probe only) */
    uint32_t len, cap;
    double t0;              /* connect started, ms */
    double tsent;           /* probe: request sent, ms */
    int probe_left;
} conn;

static struct {
    const char *host, *domain, *user, *pass, *mech, *src_base;
    int port, nusers, conns, parallel, nsrc, pid, settle_ms, timeout, hold_s;
    int probe_conns, probe_reqs;
    bool presence, warm;
} o = {"127.0.0.1", "localhost", "bench", "bench", "SCRAM-SHA-256", "127.0.1.", 0, 64, 1000,
       0, 8, 0, 2000, 600, 0, 0, 0, true, false};

static conn *C;
static int ep;
static SSL_CTX *ctx;
static Gsasl *gs;
static char *salted[MAX_USERS]; /* hex SaltedPassword per account */
static int started, inprog, ready, failed, probing;
static double t_first, t_last_ready;
static float *login_ms, *probe_ms;
static long nprobe, probe_bad;
static char first_fail[256];

static double now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}

static long rss_kib(int pid)
{
    char path[64], line[256];
    long v = -1;
    if (pid)
        snprintf(path, sizeof path, "/proc/%d/status", pid);
    else
        snprintf(path, sizeof path, "/proc/self/status");
    FILE *f = fopen(path, "r");
    if (!f)
        return -1;
    while (fgets(line, sizeof line, f))
        if (sscanf(line, "VmRSS: %ld", &v) == 1)
            break;
    fclose(f);
    return v;
}

/* utime + stime of pid (all its threads), ms */
static double cpu_ms(int pid)
{
    char path[64], b[1024];
    snprintf(path, sizeof path, "/proc/%d/stat", pid ? pid : getpid());
    FILE *f = fopen(path, "r");
    if (!f)
        return -1;
    size_t n = fread(b, 1, sizeof b - 1, f);
    fclose(f);
    b[n] = 0;
    char *p = strrchr(b, ')');
    unsigned long ut = 0, st = 0;
    if (!p || sscanf(p + 2, "%*c %*d %*d %*d %*d %*d %*u %*u %*u %*u %*u %lu %lu", &ut, &st) != 2)
        return -1;
    return (double)(ut + st) * 1e3 / (double)sysconf(_SC_CLK_TCK);
}

static void drop_buf(conn *c)
{
    free(c->buf);
    c->buf = NULL;
    c->len = c->cap = 0;
}

static void kill_conn(conn *c, const char *why)
{
    if (c->st == S_DEAD)
        return;
    if (!first_fail[0])
        snprintf(first_fail, sizeof first_fail, "conn %ld state %d: %s [%.120s]", (long)(c - C),
                 c->st, why, c->buf ? c->buf : "");
    if (c->st < S_READY)
        inprog--;
    c->st = S_DEAD;
    failed++;
    if (c->ssl)
        SSL_free(c->ssl);
    c->ssl = NULL;
    if (c->sasl)
        gsasl_finish(c->sasl);
    c->sasl = NULL;
    drop_buf(c);
    if (c->fd >= 0)
        close(c->fd);
    c->fd = -1;
}

static void watch(conn *c, bool wr)
{
    if (wr == c->want_write)
        return;
    struct epoll_event ev = {.events = EPOLLIN | (wr ? EPOLLOUT : 0), .data.ptr = c};
    epoll_ctl(ep, EPOLL_CTL_MOD, c->fd, &ev);
    c->want_write = wr;
}

/* Small writes on an idle socket: all of it goes, or the connection fails. */
static bool put(conn *c, const char *p, size_t n)
{
    if (c->ssl) {
        ERR_clear_error();
        int w = SSL_write(c->ssl, p, (int)n);
        if (w != (int)n) {
            kill_conn(c, "SSL_write short");
            return false;
        }
        return true;
    }
    ssize_t w = send(c->fd, p, n, MSG_NOSIGNAL);
    if (w != (ssize_t)n) {
        kill_conn(c, "send short");
        return false;
    }
    return true;
}

__attribute__((format(printf, 2, 3))) static bool putf(conn *c, const char *fmt, ...)
{
    char b[2048];
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(b, sizeof b, fmt, ap);
    va_end(ap);
    return n > 0 && (size_t)n < sizeof b && put(c, b, (size_t)n);
}

static bool stream_open(conn *c)
{
    return putf(c, "<?xml version='1.0'?><stream:stream to='%s' version='1.0' "
                   "xmlns='jabber:client' xmlns:stream='http://etherx.jabber.org/streams'>",
                o.domain);
}

/* Text between <NAME ...> and </NAME> in the buffer (terminated in place);
 * NULL when not all there yet. */
static char *elem_text(conn *c, const char *name, char **end)
{
    char open[32], close[32];
    snprintf(open, sizeof open, "<%s", name);
    snprintf(close, sizeof close, "</%s>", name);
    char *s = strstr(c->buf, open);
    if (!s)
        return NULL;
    char *gt = strchr(s, '>');
    if (!gt)
        return NULL;
    if (gt[-1] == '/') { /* empty */
        *end = gt + 1;
        *gt = 0;
        return gt;
    }
    char *e = strstr(gt, close);
    if (!e)
        return NULL;
    *e = 0;
    *end = e + strlen(close);
    return gt + 1;
}

static void consume_all(conn *c)
{
    c->len = 0;
    if (c->buf)
        c->buf[0] = 0;
}

static void became_ready(conn *c)
{
    double t = now_ms();
    login_ms[ready++] = (float)(t - c->t0);
    t_last_ready = t;
    inprog--;
    c->st = S_READY;
    drop_buf(c);
}

static void sasl_begin(conn *c)
{
    char *out = NULL;
    char user[64];
    snprintf(user, sizeof user, "%s%d", o.user, c->user);
    if (gsasl_client_start(gs, o.mech, &c->sasl) != GSASL_OK) {
        kill_conn(c, "gsasl_client_start");
        return;
    }
    gsasl_property_set(c->sasl, GSASL_AUTHID, user);
    gsasl_property_set(c->sasl, GSASL_PASSWORD, o.pass);
    int rc = gsasl_step64(c->sasl, "", &out);
    if (rc != GSASL_OK && rc != GSASL_NEEDS_MORE) {
        kill_conn(c, "SASL first step");
        return;
    }
    putf(c, "<auth xmlns='" NS_SASL "' mechanism='%s'>%s</auth>", o.mech,
         out && *out ? out : "=");
    gsasl_free(out);
    c->st = S_AUTH;
}

/* What is in c->buf moves the login on. */
static void advance(conn *c)
{
    char *t, *end;
    for (;;) {
        switch (c->st) {
        case S_FEAT1:
            if (!strstr(c->buf, "</stream:features>"))
                return;
            consume_all(c);
            if (!putf(c, "<starttls xmlns='urn:ietf:params:xml:ns:xmpp-tls'/>"))
                return;
            c->st = S_PROCEED;
            return;
        case S_PROCEED:
            if (!strstr(c->buf, "<proceed"))
                return;
            consume_all(c);
            if (!(c->ssl = SSL_new(ctx))) {
                kill_conn(c, "SSL_new");
                return;
            }
            SSL_set_fd(c->ssl, c->fd);
            SSL_set_connect_state(c->ssl);
            SSL_set_tlsext_host_name(c->ssl, o.domain);
            c->st = S_HANDSHAKE;
            return; /* the caller drives the handshake */
        case S_FEAT2:
            if (!strstr(c->buf, "</stream:features>"))
                return;
            consume_all(c);
            sasl_begin(c);
            return;
        case S_AUTH:
            if (strstr(c->buf, "<failure")) {
                kill_conn(c, "SASL failure");
                return;
            }
            if ((t = elem_text(c, "challenge", &end))) {
                char *out = NULL;
                if (salted[c->user])
                    gsasl_property_set(c->sasl, GSASL_SCRAM_SALTED_PASSWORD, salted[c->user]);
                int rc = gsasl_step64(c->sasl, t, &out);
                consume_all(c);
                if (rc != GSASL_OK && rc != GSASL_NEEDS_MORE) {
                    gsasl_free(out);
                    kill_conn(c, "SASL step");
                    return;
                }
                if (!salted[c->user]) {
                    const char *sp = gsasl_property_fast(c->sasl, GSASL_SCRAM_SALTED_PASSWORD);
                    if (sp)
                        salted[c->user] = strdup(sp);
                }
                bool ok = putf(c, "<response xmlns='" NS_SASL "'>%s</response>", out ? out : "");
                gsasl_free(out);
                if (!ok)
                    return;
                continue;
            }
            if ((t = elem_text(c, "success", &end))) {
                char *out = NULL;
                int rc = *t ? gsasl_step64(c->sasl, t, &out) : GSASL_OK;
                gsasl_free(out);
                consume_all(c);
                if (rc != GSASL_OK) {
                    kill_conn(c, "server proof rejected");
                    return;
                }
                gsasl_finish(c->sasl);
                c->sasl = NULL;
                if (!stream_open(c))
                    return;
                c->st = S_FEAT3;
                continue;
            }
            return;
        case S_FEAT3:
            if (!strstr(c->buf, "</stream:features>"))
                return;
            consume_all(c);
            if (!putf(c, "<iq type='set' id='b'><bind xmlns='urn:ietf:params:xml:ns:xmpp-bind'/>"
                         "</iq>"))
                return;
            c->st = S_BIND;
            return;
        case S_BIND:
            if (!(t = strstr(c->buf, "</iq>")) && !strstr(c->buf, "/>"))
                return;
            if (!strstr(c->buf, "<jid>")) {
                if (strstr(c->buf, "type='error'") || strstr(c->buf, "type=\"error\"")) {
                    kill_conn(c, "bind error");
                    return;
                }
                if (!t)
                    return;
                kill_conn(c, "bind: no jid");
                return;
            }
            if (!t)
                return;
            if (o.presence && !putf(c, "<presence/>"))
                return;
            became_ready(c);
            return;
        case S_PROBE:
            if (!(t = strstr(c->buf, "</iq>")))
                return;
            nprobe++;
            if (!strstr(c->buf, "<service ") ||
                !(strstr(c->buf, "type='result'") || strstr(c->buf, "type=\"result\"")))
                probe_bad++;
            probe_ms[nprobe - 1] = (float)(now_ms() - c->tsent);
            consume_all(c);
            if (--c->probe_left == 0) {
                c->st = S_READY;
                drop_buf(c);
                probing--;
                return;
            }
            c->tsent = now_ms();
            putf(c, "<iq type='get' id='s%d' to='%s'><services xmlns='urn:xmpp:extdisco:2'/></iq>",
                 c->probe_left, o.domain);
            return;
        default:
            return;
        }
    }
}

static void append(conn *c, const char *p, size_t n)
{
    if (c->st == S_READY)
        return; /* idle: ignore what the server says (presence echo) */
    if (c->len + n + 1 > c->cap) {
        size_t cap = c->cap ? c->cap : 1024;
        while (cap < c->len + n + 1)
            cap *= 2;
        if (cap > BUF_MAX) {
            kill_conn(c, "input too big");
            return;
        }
        char *b = realloc(c->buf, cap);
        if (!b) {
            kill_conn(c, "out of memory");
            return;
        }
        c->buf = b;
        c->cap = (uint32_t)cap;
    }
    memcpy(c->buf + c->len, p, n);
    c->len += (uint32_t)n;
    c->buf[c->len] = 0;
}

static void handshake(conn *c)
{
    ERR_clear_error();
    int r = SSL_do_handshake(c->ssl);
    if (r == 1) {
        watch(c, false);
        if (!stream_open(c))
            return;
        c->st = S_FEAT2;
        return;
    }
    int e = SSL_get_error(c->ssl, r);
    if (e == SSL_ERROR_WANT_READ)
        watch(c, false);
    else if (e == SSL_ERROR_WANT_WRITE)
        watch(c, true);
    else {
        char why[160];
        snprintf(why, sizeof why, "TLS handshake: %s",
                 ERR_reason_error_string(ERR_peek_error()) ?: "?");
        kill_conn(c, why);
    }
}

static void on_event(conn *c, uint32_t ev)
{
    static char rb[16384];
    if (c->st == S_CONNECTING) {
        int err = 0;
        socklen_t l = sizeof err;
        getsockopt(c->fd, SOL_SOCKET, SO_ERROR, &err, &l);
        if (err) {
            kill_conn(c, strerror(err));
            return;
        }
        watch(c, false);
        c->st = S_FEAT1;
        stream_open(c);
        return;
    }
    if (c->st == S_HANDSHAKE) {
        handshake(c);
        if (c->st != S_FEAT2)
            return;
    }
    for (;;) {
        ssize_t n;
        if (c->ssl) {
            ERR_clear_error();
            int r = SSL_read(c->ssl, rb, sizeof rb - 1);
            if (r <= 0) {
                int e = SSL_get_error(c->ssl, r);
                if (e == SSL_ERROR_WANT_READ)
                    break;
                if (e == SSL_ERROR_WANT_WRITE) {
                    watch(c, true);
                    break;
                }
                kill_conn(c, e == SSL_ERROR_ZERO_RETURN ? "closed by server (TLS)"
                                                        : "SSL_read error");
                return;
            }
            n = r;
        } else {
            n = recv(c->fd, rb, sizeof rb - 1, 0);
            if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
                break;
            if (n <= 0) {
                kill_conn(c, n == 0 ? "closed by server" : strerror(errno));
                return;
            }
        }
        append(c, rb, (size_t)n);
        if (c->st == S_DEAD)
            return;
        int before = c->st;
        advance(c);
        if (c->st == S_DEAD)
            return;
        if (c->st == S_HANDSHAKE) {
            handshake(c);
            if (c->st != S_FEAT2)
                return;
        }
        (void)before;
    }
    (void)ev;
}

static void start_conn(int i)
{
    conn *c = &C[i];
    c->user = (uint16_t)(i % o.nusers);
    c->t0 = now_ms();
    if (!t_first)
        t_first = c->t0;
    started++;
    inprog++;
    c->fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (c->fd < 0) {
        c->st = S_NEW;
        kill_conn(c, strerror(errno));
        return;
    }
    int one = 1;
    setsockopt(c->fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    struct sockaddr_in sa = {.sin_family = AF_INET};
    if (o.nsrc > 0) {
        char ip[32];
        snprintf(ip, sizeof ip, "%s%d", o.src_base, 1 + i % o.nsrc);
        setsockopt(c->fd, IPPROTO_IP, IP_BIND_ADDRESS_NO_PORT, &one, sizeof one);
        inet_pton(AF_INET, ip, &sa.sin_addr);
        if (bind(c->fd, (struct sockaddr *)&sa, sizeof sa) != 0) {
            kill_conn(c, "bind source address");
            return;
        }
    }
    sa.sin_port = htons((uint16_t)o.port);
    inet_pton(AF_INET, o.host, &sa.sin_addr);
    c->st = S_CONNECTING;
    if (connect(c->fd, (struct sockaddr *)&sa, sizeof sa) != 0 && errno != EINPROGRESS) {
        kill_conn(c, strerror(errno));
        return;
    }
    struct epoll_event ev = {.events = EPOLLIN | EPOLLOUT, .data.ptr = c};
    c->want_write = true;
    epoll_ctl(ep, EPOLL_CTL_ADD, c->fd, &ev);
}

static int cmpf(const void *a, const void *b)
{
    float x = *(const float *)a, y = *(const float *)b;
    return x < y ? -1 : x > y;
}

static double pct(float *v, long n, double p)
{
    if (n <= 0)
        return -1;
    long i = (long)(p * (double)(n - 1) + 0.5);
    return v[i];
}

static void loop_until(bool (*done)(void), double deadline)
{
    struct epoll_event evs[512];
    while (!done() && now_ms() < deadline) {
        int budget = 256;
        while (started < o.conns && (o.parallel == 0 || inprog < o.parallel) && budget-- > 0)
            start_conn(started);
        bool more = started < o.conns && (o.parallel == 0 || inprog < o.parallel);
        int n = epoll_wait(ep, evs, 512, more ? 0 : 50);
        for (int i = 0; i < n; i++) {
            conn *c = evs[i].data.ptr;
            if (c->st != S_DEAD)
                on_event(c, evs[i].events);
        }
    }
}

static bool logins_done(void)
{
    return started == o.conns && inprog == 0;
}

static bool probes_done(void)
{
    return probing == 0;
}

static bool never(void)
{
    return false;
}

int main(int argc, char **argv)
{
    for (int i = 1; i < argc; i++) {
        const char *k = argv[i], *v = i + 1 < argc ? argv[i + 1] : "";
        if (!strcmp(k, "--no-presence")) {
            o.presence = false;
            continue;
        }
        if (!strcmp(k, "--warm")) {
            o.warm = true;
            continue;
        }
        i++;
        if (!strcmp(k, "--host")) o.host = v;
        else if (!strcmp(k, "--port")) o.port = atoi(v);
        else if (!strcmp(k, "--domain")) o.domain = v;
        else if (!strcmp(k, "--user")) o.user = v;
        else if (!strcmp(k, "--pass")) o.pass = v;
        else if (!strcmp(k, "--mech")) o.mech = v;
        else if (!strcmp(k, "--nusers")) o.nusers = atoi(v);
        else if (!strcmp(k, "--conns")) o.conns = atoi(v);
        else if (!strcmp(k, "--parallel")) o.parallel = atoi(v);
        else if (!strcmp(k, "--src-base")) o.src_base = v;
        else if (!strcmp(k, "--nsrc")) o.nsrc = atoi(v);
        else if (!strcmp(k, "--pid")) o.pid = atoi(v);
        else if (!strcmp(k, "--settle-ms")) o.settle_ms = atoi(v);
        else if (!strcmp(k, "--timeout")) o.timeout = atoi(v);
        else if (!strcmp(k, "--hold-s")) o.hold_s = atoi(v);
        else if (!strcmp(k, "--probe-conns")) o.probe_conns = atoi(v);
        else if (!strcmp(k, "--probe-reqs")) o.probe_reqs = atoi(v);
        else {
            fprintf(stderr, "storm: unknown option %s\n", k);
            return 2;
        }
    }
    if (o.port <= 0 || o.conns <= 0 || o.nusers <= 0 || o.nusers > MAX_USERS ||
        o.probe_conns > o.conns) {
        fprintf(stderr, "storm: need --port, --conns >= 1, 1 <= --nusers <= %d\n", MAX_USERS);
        return 2;
    }
    signal(SIGPIPE, SIG_IGN); /* OpenSSL writes with write(2): a reset peer */
    setvbuf(stdout, NULL, _IOLBF, 0);
    struct rlimit rl;
    getrlimit(RLIMIT_NOFILE, &rl);
    if (rl.rlim_cur < (rlim_t)o.conns + 64) {
        fprintf(stderr, "storm: open files limit %lu < %d connections\n",
                (unsigned long)rl.rlim_cur, o.conns);
        return 2;
    }
    C = calloc((size_t)o.conns, sizeof *C);
    login_ms = calloc((size_t)o.conns, sizeof *login_ms);
    probe_ms = calloc((size_t)o.probe_conns * (size_t)o.probe_reqs + 1, sizeof *probe_ms);
    ep = epoll_create1(EPOLL_CLOEXEC);
    ctx = SSL_CTX_new(TLS_client_method());
    if (!C || !login_ms || !probe_ms || ep < 0 || !ctx || gsasl_init(&gs) != GSASL_OK) {
        fprintf(stderr, "storm: cannot initialise\n");
        return 1;
    }
    SSL_CTX_set_verify(ctx, SSL_VERIFY_NONE, NULL); /* loopback, self-signed */
    SSL_CTX_set_mode(ctx, SSL_MODE_RELEASE_BUFFERS);
    SSL_CTX_set_session_cache_mode(ctx, SSL_SESS_CACHE_OFF);
    for (int i = 0; i < o.conns; i++)
        C[i].fd = -1;

    if (o.warm) {
        /* one login per account first, to learn each account's SaltedPassword
         * (4096 PBKDF2 rounds on our side) outside the measured storm */
        int n = o.conns, par = o.parallel;
        o.conns = o.nusers < n ? o.nusers : n;
        o.parallel = 64;
        loop_until(logins_done, now_ms() + o.timeout * 1e3);
        int wr = ready, wf = failed;
        for (int i = 0; i < o.conns; i++) {
            if (C[i].ssl)
                SSL_free(C[i].ssl);
            if (C[i].sasl)
                gsasl_finish(C[i].sasl);
            free(C[i].buf);
            if (C[i].fd >= 0)
                close(C[i].fd);
        }
        memset(C, 0, (size_t)n * sizeof *C);
        for (int i = 0; i < n; i++)
            C[i].fd = -1;
        printf("warm_ready=%d warm_failed=%d\n", wr, wf);
        if (first_fail[0])
            printf("warm_first_failure=%s\n", first_fail);
        first_fail[0] = 0;
        started = inprog = ready = failed = 0;
        t_first = t_last_ready = 0;
        o.conns = n;
        o.parallel = par;
        struct epoll_event evs[64]; /* let the server see the closes */
        double end = now_ms() + 1000;
        while (now_ms() < end)
            epoll_wait(ep, evs, 64, 100);
    }
    long srv0 = rss_kib(o.pid), self0 = rss_kib(0);
    double scpu0 = o.pid ? cpu_ms(o.pid) : 0, mycpu0 = cpu_ms(0);
    double deadline = now_ms() + o.timeout * 1e3;
    loop_until(logins_done, deadline);
    double t_all = t_last_ready - t_first;
    double scpu1 = o.pid ? cpu_ms(o.pid) : 0, mycpu1 = cpu_ms(0);
    printf("ready=%d failed=%d timed_out=%d conns=%d\n", ready, failed,
           logins_done() ? 0 : 1, o.conns);
    if (first_fail[0])
        printf("first_failure=%s\n", first_fail);
    qsort(login_ms, (size_t)ready, sizeof *login_ms, cmpf);
    printf("t_all_ms=%.0f logins_per_s=%.0f login_p50_ms=%.1f login_p99_ms=%.1f "
           "login_max_ms=%.1f\n",
           t_all, ready > 0 && t_all > 0 ? ready / (t_all / 1e3) : 0, pct(login_ms, ready, 0.5),
           pct(login_ms, ready, 0.99), pct(login_ms, ready, 1.0));
    printf("server_cpu_ms=%.0f server_cpu_ms_per_login=%.3f self_cpu_ms=%.0f\n", scpu1 - scpu0,
           ready ? (scpu1 - scpu0) / ready : 0, mycpu1 - mycpu0);
    fflush(stdout);

    /* idle: let the server settle (its sweep), then read its RSS */
    loop_until(never, now_ms() + o.settle_ms);
    long srv1 = rss_kib(o.pid), self1 = rss_kib(0);
    int alive = 0;
    for (int i = 0; i < o.conns; i++)
        alive += C[i].st == S_READY;
    printf("server_rss0_kib=%ld server_rss1_kib=%ld server_kib_per_conn=%.2f "
           "self_kib_per_conn=%.2f alive=%d\n",
           srv0, srv1, ready ? (double)(srv1 - srv0) / ready : 0,
           ready ? (double)(self1 - self0) / ready : 0, alive);
    fflush(stdout);

    if (o.probe_conns > 0 && o.probe_reqs > 0) {
        int step = o.conns / o.probe_conns;
        for (int k = 0; k < o.probe_conns; k++) {
            conn *c = &C[k * step];
            if (c->st != S_READY)
                continue;
            c->st = S_PROBE;
            c->probe_left = o.probe_reqs;
            probing++;
            c->tsent = now_ms();
            putf(c, "<iq type='get' id='s%d' to='%s'><services xmlns='urn:xmpp:extdisco:2'/></iq>",
                 c->probe_left, o.domain);
        }
        double t0 = now_ms();
        loop_until(probes_done, now_ms() + 120e3);
        double t1 = now_ms();
        qsort(probe_ms, (size_t)nprobe, sizeof *probe_ms, cmpf);
        printf("probe_replies=%ld probe_bad=%ld probe_unfinished=%d probe_rps=%.0f "
               "probe_p50_ms=%.3f probe_p99_ms=%.3f probe_max_ms=%.3f\n",
               nprobe, probe_bad, probing, nprobe / ((t1 - t0) / 1e3), pct(probe_ms, nprobe, 0.5),
               pct(probe_ms, nprobe, 0.99), pct(probe_ms, nprobe, 1.0));
        long srv2 = rss_kib(o.pid);
        printf("server_rss2_kib=%ld\n", srv2);
        fflush(stdout);
    }
    if (o.hold_s > 0) {
        printf("holding=%d\n", o.hold_s);
        fflush(stdout);
        loop_until(never, now_ms() + o.hold_s * 1e3);
    }
    int dropped = 0;
    for (int i = 0; i < o.conns; i++)
        if (C[i].st == S_READY || C[i].st == S_PROBE) {
            SSL_free(C[i].ssl);
            close(C[i].fd);
        } else if (C[i].st == S_DEAD && i < started) {
            dropped++;
        }
    printf("end_failed=%d\n", dropped);
    gsasl_done(gs);
    SSL_CTX_free(ctx);
    return ready == o.conns && probe_bad == 0 && probing == 0 ? 0 : 1;
}
