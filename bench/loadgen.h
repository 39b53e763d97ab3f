/* bench/loadgen.h — shared state of the XMPP load generator (bench only).
 *
 * loadgen.c       options, the request engine (virtual clients, ids,
 *                 latencies), server CPU and RSS sampling, the report;
 * loadgen_conn.c  the wire: c2s logins (STARTTLS, SASL via libgsasl, bind)
 *                 and the server side of a XEP-0114 component link;
 * loadgen_ws.c    c2s over WebSocket (RFC 7395; wslay frames, masked).
 *
 * A virtual client (lg_vc) owns R requests with F in flight; in c2s mode it
 * is one TCP connection, in component mode all of them share the one link
 * that extdiscod opens to us.  Reply ids are "q<vc>-<n>", so a reply is
 * matched to its client and request whatever the transport. */
#ifndef BENCH_LOADGEN_H
#define BENCH_LOADGEN_H

#include <event2/bufferevent.h>
#include <event2/event.h>
#include <event2/listener.h>
#include <gsasl.h>
#include <openssl/ssl.h>
#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include "extdisco/xml.h"

#define LG_MAX_PIDS 8
#define LG_MAX_CONNS 20000
#define LG_MAX_REQS 1000000L
#define LG_MAX_INFLIGHT 256

typedef enum { LG_SERVICES, LG_CREDENTIALS, LG_SIC, LG_PING } lg_kind;

typedef struct lg_opts {
    const char *host;       /* server address (c2s) */
    int port;               /* c2s: server port; component: our listen port */
    const char *domain;     /* the XMPP domain */
    const char *user;       /* account name prefix: USER0, USER1, ... */
    const char *pass;
    int nusers;             /* accounts used round-robin by the clients */
    int conns;              /* virtual clients */
    long reqs;              /* requests per client */
    int inflight;           /* in flight per client */
    lg_kind kind;
    bool tls;               /* STARTTLS before auth */
    const char *ws_path;    /* NULL: TCP; else XMPP over ws:// on this path */
    const char *mech;       /* auto | PLAIN | SCRAM-SHA-1 | SCRAM-SHA-256 */
    const char *turn_host;  /* for <credentials/> */
    int turn_port;
    const char *pids[LG_MAX_PIDS]; /* server PIDs ("@FILE": read when needed) */
    int npids;
    bool idle;              /* log in, measure RSS growth, no requests */
    int settle_ms;          /* idle: wait before reading RSS */
    int idle_base;          /* idle: connections at the baseline reading */
    int timeout;            /* seconds for the whole run */
    int login_parallel;     /* logins in progress at once */
    bool component;         /* act as the server side of XEP-0114 */
    const char *comp_jid;
    const char *secret;
} lg_opts;

typedef struct lg lg;
typedef struct lg_conn lg_conn;
typedef struct lg_ws lg_ws;

typedef struct lg_vc {
    lg_conn *conn;          /* transport the requests go out on */
    int idx;
    long sent, done;
    double *t_sent;         /* [reqs] send time, µs; < 0 once answered */
    char from[96];          /* component mode: the fake user's full JID */
} lg_vc;

enum lg_state {
    ST_IDLE, ST_OPEN1, ST_STARTTLS, ST_AUTH, ST_OPEN2, ST_BIND, ST_SESSION,
    ST_READY, ST_COMP_OPEN, ST_COMP_HANDSHAKE, ST_DEAD
};

struct lg_conn {
    lg *g;
    int idx;
    struct bufferevent *bev;
    ed_xml_stream *xs;
    enum lg_state st;
    bool tls_on, want_reset, want_tls, want_session, closed;
    Gsasl_session *sasl;
    char stream_id[48];
    char user[64];
    bool fast;              /* request phase: replies go through lg_scan */
    char *sbuf;             /* fast mode: bytes not yet scanned */
    size_t slen;
    lg_ws *ws;              /* WebSocket mode: loadgen_ws.c's state */
};

struct lg {
    lg_opts o;
    struct event_base *base;
    SSL_CTX *ssl;
    Gsasl *gsasl;
    struct evconnlistener *listener;
    lg_conn *conns;
    int nconns;
    lg_vc *vcs;
    int started, ready, failed, finished;
    bool running, done, timed_out, paused, pid_missing;
    double t0, t1;              /* request phase, µs */
    double cpu0, cpu1;          /* server CPU, µs (schedstat) */
    double tcpu0, tcpu1;        /* the same from utime+stime ticks */
    double lgcpu0, lgcpu1;      /* our own CPU, µs */
    long rss0, rss1;            /* server RSS, KiB */
    float *lat;                 /* µs, one per reply */
    long nlat;
    long errors, bad_ids, extra, quirks;
    long slow;                  /* fast mode: times the real parser took over */
    int items;                  /* <service/> children in the first reply */
    char first_error[256];
    char fail_reason[256];
};

/* What the load generator checks in a reply (loadgen_scan.c fills it
 * straight from the bytes; loadgen_conn.c from a parsed tree).  Pointers
 * point into the scanned bytes (or the tree) and are not terminated. */
typedef struct lg_scan_info {
    bool result;            /* type='result' (else 'error') */
    const char *id;         /* NULL: no id */
    size_t id_len;
    const char *child;      /* first child element's name, NULL: none */
    size_t child_len;
    const char *child_ns;   /* its xmlns attribute, NULL: none */
    size_t child_ns_len;
    int services;           /* <service/> grandchildren */
    int services_pw;        /* ... of them with a password attribute */
    int ips;                /* <ip/> grandchildren */
} lg_scan_info;

typedef enum {
    LG_SCAN_IQ_REPLY,       /* one whole <iq type='result|error'/>, *used bytes */
    LG_SCAN_MORE,           /* incomplete: call again with more bytes */
    LG_SCAN_OTHER           /* anything else: hand it to the real parser */
} lg_scan_res;

#define LG_SCAN_MAX_DEPTH 32
#define LG_SBUF_SIZE (64 * 1024)  /* fast mode: largest reply we take */

/* loadgen_scan.c: p[0..n) starts at a top-level element's '<'. */
lg_scan_res lg_scan_stanza(const char *p, size_t n, lg_scan_info *info, size_t *used);

/* loadgen.c */
double lg_now_us(void);
void lg_conn_ready(lg *g, lg_conn *c);      /* c2s login done */
void lg_conn_failed(lg *g, lg_conn *c, const char *why);
void lg_link_ready(lg *g, lg_conn *c);      /* component handshake done */
/* an iq result/error; raw/rawlen: its bytes, for the first bad reply's
 * report (may be NULL) */
void lg_reply(lg *g, lg_conn *c, const lg_scan_info *r, const char *raw, size_t rawlen);

/* loadgen_conn.c */
int lg_conn_start(lg *g, lg_conn *c);       /* c2s: connect and log in */
int lg_listen(lg *g);                       /* component: accept one link */
void lg_send(lg_conn *c, const char *data, size_t n);
void lg_conn_close(lg_conn *c);
__attribute__((format(printf, 2, 3))) void lg_conn_fail(lg_conn *c, const char *fmt, ...);
void lg_conn_ws_open(lg_conn *c);           /* WebSocket up: open the stream */
/* one RFC 7395 message from the server (NULL: a close frame) */
void lg_ws_message(lg_conn *c, const char *msg, size_t n);

/* loadgen_ws.c */
int lg_ws_init(lg_conn *c);
void lg_ws_free(lg_conn *c);
void lg_ws_handshake(lg_conn *c);           /* connected: the Upgrade request */
void lg_ws_read(lg_conn *c, struct evbuffer *in);
void lg_ws_send(lg_conn *c, const char *data, size_t n);

#endif
