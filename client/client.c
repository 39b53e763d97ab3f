/* client/client.c — XEP-0215 / XEP-0279 client on libstrophe; see
 * include/extdisco/client.h.  This file: the connection, one request and its
 * answer (ed_client_iq), incoming IQs and pushes; the XEP requests on top of
 * it are client/client_xep.c. */
#include "extdisco/client.h"
#include "client_int.h"

#include <errno.h>
#include <netdb.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <strophe.h>

#include "extdisco/jid.h"
#include "extdisco/service_view.h"
#include "extdisco/stanza.h"
#include "extdisco/xep0215.h"

#define ERR_MAX 512

enum conn_state { ST_IDLE = 0, ST_CONNECTING, ST_ONLINE, ST_FAILED, ST_CLOSED };

struct ed_client {
    xmpp_ctx_t *ctx;
    xmpp_conn_t *conn;
    xmpp_log_t log;
    char *jid, *password, *server, *ca_file;
    char *domain;
    char *push_source;
    unsigned short port;
    unsigned short port_used; /* of the last connect (the default if none) */
    bool direct_tls, insecure, debug;
    int timeout_ms;
    enum conn_state state;
    bool tls_up;             /* TLS was established when we came online */
    char err[ERR_MAX];
    char lib_err[ERR_MAX];   /* last error/warning libstrophe logged */
    /* what libstrophe's log said about a failed login (diagnose_login) */
    int sock_errno;          /* "connection failed, error N" */
    bool tls_cert_fail;      /* certificate verification failed */
    char tls_err[160];       /* last TLS error line */
    char sasl_cond[48];      /* condition of a received SASL <failure/> */
    char sasl_text[160];     /* its <text/> */
    char cond[64];
    bool has_cond;
    unsigned long next_id;
    /* the one outstanding request */
    char wait_id[48];
    char *wait_to;           /* normalised 'to' it went to; NULL: none */
    bool got_reply;
    ed_elem *reply;
    ed_err reply_err;
    ed_client_push_cb push_cb;
    void *push_ud;
};

static int64_t now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void set_err(ed_client *c, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
static void set_err(ed_client *c, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(c->err, sizeof c->err, fmt, ap);
    va_end(ap);
}

/* libstrophe's log: keep the last error/warning as a failure detail; print
 * everything when debugging. */
/* The text between "<tag" ...">" and "</tag>" of s into out ("" if none). */
static void inner_text(const char *s, const char *tag, char *out, size_t cap)
{
    char open[32], close[32];
    snprintf(open, sizeof open, "<%s", tag);
    snprintf(close, sizeof close, "</%s>", tag);
    out[0] = '\0';
    const char *a = strstr(s, open);
    const char *gt = a ? strchr(a, '>') : NULL;
    const char *b = gt ? strstr(gt, close) : NULL;
    if (!b || gt[-1] == '/')
        return;
    size_t n = (size_t)(b - gt - 1);
    if (n >= cap)
        n = cap - 1;
    memcpy(out, gt + 1, n);
    out[n] = '\0';
}

/* Remember what the log says about why a login fails: libstrophe reports
 * a refused connection, a certificate problem or a SASL failure to the
 * connection handler without the reason. */
static void note_login_trouble(ed_client *c, const char *area, const char *msg)
{
    int e;
    if (sscanf(msg, "connection failed, error %d", &e) == 1) {
        c->sock_errno = e;
    } else if (strcmp(area, "tls") == 0 && strstr(msg, "error:")) {
        snprintf(c->tls_err, sizeof c->tls_err, "%s", msg);
        if (strstr(msg, "certificate verify failed"))
            c->tls_cert_fail = true;
    } else if (strncmp(msg, "RECV: <failure", 14) == 0 &&
               strstr(msg, "urn:ietf:params:xml:ns:xmpp-sasl")) {
        static const char *const conds[] = {
            "not-authorized", "temporary-auth-failure", "account-disabled",
            "credentials-expired", "encryption-required", "invalid-authzid",
            "invalid-mechanism", "malformed-request", "mechanism-too-weak",
            "aborted", "incorrect-encoding"
        };
        snprintf(c->sasl_cond, sizeof c->sasl_cond, "undefined-condition");
        for (size_t i = 0; i < sizeof conds / sizeof conds[0]; i++) {
            char tag[48];
            snprintf(tag, sizeof tag, "<%s", conds[i]);
            if (strstr(msg, tag)) {
                snprintf(c->sasl_cond, sizeof c->sasl_cond, "%s", conds[i]);
                break;
            }
        }
        inner_text(msg, "text", c->sasl_text, sizeof c->sasl_text);
    }
}

static void log_handler(void *ud, xmpp_log_level_t level, const char *area,
                        const char *msg)
{
    ed_client *c = ud;
    if (c->debug)
        fprintf(stderr, "strophe %s: %s\n", area, msg);
    if (!c->sasl_cond[0] && c->state == ST_CONNECTING)
        note_login_trouble(c, area, msg);
    if (level >= XMPP_LEVEL_WARN)
        snprintf(c->lib_err, sizeof c->lib_err, "%s: %s", area, msg);
}

/* A failed login with no stream error and no error code: the one message
 * a person can act on (connection refused, no route, certificate, wrong
 * password, throttled), else libstrophe's last complaint. */
static void diagnose_login(ed_client *c)
{
    const char *where = c->server ? c->server : c->domain;
    int e = c->sock_errno;
    if (e == ECONNREFUSED)
        set_err(c, "connection refused by %s port %u: nothing listens there "
                "(wrong --server or port, or the XMPP server is down)", where,
                (unsigned)c->port_used);
    else if (e == EHOSTUNREACH || e == ENETUNREACH)
        set_err(c, "no route to %s: %s (network or firewall)", where, strerror(e));
    else if (e == ETIMEDOUT)
        set_err(c, "connection to %s timed out (firewall dropping packets?)", where);
    else if (e)
        set_err(c, "cannot connect to %s: %s", where, strerror(e));
    else if (c->tls_cert_fail)
        set_err(c, "TLS certificate problem: the XMPP server's certificate did not "
                "verify (unknown CA: see --ca-file; expired; or issued for another "
                "name than %s) [%s]", c->domain, c->tls_err);
    else if (strcmp(c->sasl_cond, "not-authorized") == 0)
        set_err(c, "authentication failed: wrong JID or password (SASL "
                "not-authorized%s%s)", c->sasl_text[0] ? ": " : "", c->sasl_text);
    else if (strcmp(c->sasl_cond, "temporary-auth-failure") == 0)
        set_err(c, "login throttled or temporarily impossible: %s (SASL "
                "temporary-auth-failure; wait and try again)",
                c->sasl_text[0] ? c->sasl_text : "no reason given");
    else if (c->sasl_cond[0])
        set_err(c, "authentication failed: SASL %s%s%s", c->sasl_cond,
                c->sasl_text[0] ? ": " : "", c->sasl_text);
    else if (c->tls_err[0])
        set_err(c, "TLS handshake failed: %s", c->tls_err);
    else
        set_err(c, "login failed%s%s", c->lib_err[0] ? ": " : "",
                c->lib_err[0] ? c->lib_err : " (TLS or authentication)");
}

void ed_client_seterr(ed_client *c, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(c->err, sizeof c->err, fmt, ap);
    va_end(ap);
}

void ed_client_setcond(ed_client *c, const char *cond)
{
    snprintf(c->cond, sizeof c->cond, "%s", cond);
    c->has_cond = true;
}

static char *dup_opt(const char *s)
{
    return s ? strdup(s) : NULL;
}

ed_client *ed_client_new(const ed_client_opts *o)
{
    if (!o || !o->jid || !*o->jid || !o->password)
        return NULL;
    ed_jid *j = NULL;
    if (ed_jid_parse(o->jid, strlen(o->jid), &j) != ED_OK || !j->local) {
        ed_jid_free(j);
        return NULL;
    }
    ed_client *c = calloc(1, sizeof *c);
    if (!c) {
        ed_jid_free(j);
        return NULL;
    }
    c->jid = strdup(o->jid);
    c->password = strdup(o->password);
    c->domain = strdup(j->domain);
    ed_jid_free(j);
    c->server = dup_opt(o->server);
    c->ca_file = dup_opt(o->ca_file);
    if (!c->jid || !c->password || !c->domain || (o->server && !c->server) ||
        (o->ca_file && !c->ca_file)) {
        ed_client_free(c);
        return NULL;
    }
    c->port = o->port;
    c->direct_tls = o->direct_tls;
    c->insecure = o->insecure;
    c->debug = o->debug;
    c->timeout_ms = o->timeout_ms > 0 ? o->timeout_ms : ED_CLIENT_TIMEOUT_MS;
    c->log.handler = log_handler;
    c->log.userdata = c;
    xmpp_initialize();
    c->ctx = xmpp_ctx_new(NULL, &c->log);
    if (!c->ctx) {
        ed_client_free(c);
        return NULL;
    }
    xmpp_ctx_set_verbosity(c->ctx, 0);
    return c;
}

static void wipe_free(char *s)
{
    if (s) {
        volatile char *p = s;
        while (*p)
            *p++ = 0;
        free(s);
    }
}

void ed_client_free(ed_client *c)
{
    if (!c)
        return;
    if (c->conn) {
        if (c->state == ST_ONLINE || c->state == ST_CONNECTING) {
            xmpp_disconnect(c->conn);
            /* Let the close go out, bounded. */
            int64_t end = now_ms() + 500;
            while (c->state != ST_CLOSED && c->state != ST_FAILED && now_ms() < end)
                xmpp_run_once(c->ctx, 50);
        }
        xmpp_conn_release(c->conn);
    }
    if (c->ctx)
        xmpp_ctx_free(c->ctx);
    ed_elem_free(c->reply);
    free(c->jid);
    wipe_free(c->password);
    free(c->server);
    free(c->ca_file);
    free(c->domain);
    free(c->push_source);
    free(c->wait_to);
    free(c);
}

const char *ed_client_error(const ed_client *c)
{
    return c ? c->err : "";
}

const char *ed_client_error_condition(const ed_client *c)
{
    return (c && c->has_cond) ? c->cond : NULL;
}

const char *ed_client_domain(const ed_client *c)
{
    return c ? c->domain : NULL;
}

const char *ed_client_bound_jid(const ed_client *c)
{
    if (!c || !c->conn || c->state != ST_ONLINE)
        return NULL;
    return xmpp_conn_get_bound_jid(c->conn);
}

bool ed_client_is_connected(const ed_client *c)
{
    return c && c->state == ST_ONLINE;
}

/* libstrophe stanza -> ed_elem via its text form. */
static ed_err to_elem(xmpp_stanza_t *st, ed_elem **out)
{
    char *buf = NULL;
    size_t len = 0;
    *out = NULL;
    if (xmpp_stanza_to_text(st, &buf, &len) != XMPP_EOK || !buf)
        return ED_ENOMEM;
    ed_err err = ed_xml_parse(buf, len, NULL, out);
    xmpp_free(xmpp_stanza_get_context(st), buf);
    return err;
}

static ed_err send_elem(ed_client *c, const ed_elem *e)
{
    char *s = ed_xml_to_string(e, ED_NS_CLIENT);
    if (!s)
        return ED_ENOMEM;
    xmpp_stanza_t *st = xmpp_stanza_new_from_string(c->ctx, s);
    free(s);
    if (!st)
        return ED_ENOMEM;
    xmpp_send(c->conn, st);
    xmpp_stanza_release(st);
    return ED_OK;
}

static const char *stream_error_name(xmpp_error_type_t t)
{
    switch (t) {
    case XMPP_SE_BAD_FORMAT: return "bad-format";
    case XMPP_SE_BAD_NS_PREFIX: return "bad-namespace-prefix";
    case XMPP_SE_CONFLICT: return "conflict";
    case XMPP_SE_CONN_TIMEOUT: return "connection-timeout";
    case XMPP_SE_HOST_GONE: return "host-gone";
    case XMPP_SE_HOST_UNKNOWN: return "host-unknown";
    case XMPP_SE_IMPROPER_ADDR: return "improper-addressing";
    case XMPP_SE_INTERNAL_SERVER_ERROR: return "internal-server-error";
    case XMPP_SE_INVALID_FROM: return "invalid-from";
    case XMPP_SE_INVALID_ID: return "invalid-id";
    case XMPP_SE_INVALID_NS: return "invalid-namespace";
    case XMPP_SE_INVALID_XML: return "invalid-xml";
    case XMPP_SE_NOT_AUTHORIZED: return "not-authorized";
    case XMPP_SE_POLICY_VIOLATION: return "policy-violation";
    case XMPP_SE_REMOTE_CONN_FAILED: return "remote-connection-failed";
    case XMPP_SE_RESOURCE_CONSTRAINT: return "resource-constraint";
    case XMPP_SE_RESTRICTED_XML: return "restricted-xml";
    case XMPP_SE_SEE_OTHER_HOST: return "see-other-host";
    case XMPP_SE_SYSTEM_SHUTDOWN: return "system-shutdown";
    case XMPP_SE_UNDEFINED_CONDITION: return "undefined-condition";
    case XMPP_SE_UNSUPPORTED_ENCODING: return "unsupported-encoding";
    case XMPP_SE_UNSUPPORTED_STANZA_TYPE: return "unsupported-stanza-type";
    case XMPP_SE_UNSUPPORTED_VERSION: return "unsupported-version";
    case XMPP_SE_XML_NOT_WELL_FORMED: return "not-well-formed";
    default: return "unknown";
    }
}

/* What libstrophe's error code means.  On a TLS connection libstrophe
 * reports the OpenSSL SSL_get_error() value (SSL_ERROR_SSL is 1, which
 * strerror() would call "Operation not permitted"); otherwise an errno
 * value.  (libstrophe has freed its TLS state by the time it reports the
 * disconnection, so whether TLS was up is remembered at login.) */
static void describe_conn_error(bool tls, int error, char *out, size_t cap)
{
    if (tls && error > 0 && error < 16) {
        const char *what;
        switch (error) {
        case 1: what = "TLS error (or the server closed the connection "
                       "without a TLS close_notify)"; break;
        case 5: what = "TLS I/O error (connection reset or closed)"; break;
        case 6: what = "the server closed the TLS session"; break;
        default: what = "TLS error"; break;
        }
        snprintf(out, cap, "%s [SSL error %d]", what, error);
    } else {
        snprintf(out, cap, "%s", strerror(error));
    }
}

static void conn_handler(xmpp_conn_t *conn, xmpp_conn_event_t status, int error,
                         xmpp_stream_error_t *se, void *ud)
{
    ed_client *c = ud;
    if (status == XMPP_CONN_CONNECT) {
        c->state = ST_ONLINE;
        c->tls_up = xmpp_conn_is_secured(conn) != 0;
        return;
    }
    if (status == XMPP_CONN_RAW_CONNECT)
        return;
    bool was_online = c->state == ST_ONLINE;
    c->state = (status == XMPP_CONN_FAIL || !was_online) ? ST_FAILED : ST_CLOSED;
    if (se && se->type == XMPP_SE_POLICY_VIOLATION && !was_online && se->text &&
        strstr(se->text, "too many"))
        set_err(c, "login throttled: stream error policy-violation: %s", se->text);
    else if (se)
        set_err(c, "stream error %s%s%s", stream_error_name(se->type),
                se->text ? ": " : "", se->text ? se->text : "");
    else if (!was_online && (c->sock_errno || c->tls_cert_fail))
        diagnose_login(c);
    else if (error) {
        char why[160];
        describe_conn_error(was_online && c->tls_up, error, why, sizeof why);
        set_err(c, "connection %s: %s", was_online ? "lost" : "failed", why);
    }
    else if (!was_online)
        diagnose_login(c);
    else
        set_err(c, "disconnected by the server");
}

static int iq_handler(xmpp_conn_t *conn, xmpp_stanza_t *st, void *ud);

ed_err ed_client_connect(ed_client *c)
{
    if (!c)
        return ED_EINVAL;
    if (c->state == ST_ONLINE)
        return ED_OK;
    if (c->conn) {
        xmpp_conn_release(c->conn);
        c->conn = NULL;
    }
    c->err[0] = c->lib_err[0] = 0;
    c->sock_errno = 0;
    c->tls_cert_fail = false;
    c->tls_err[0] = c->sasl_cond[0] = c->sasl_text[0] = 0;
    c->conn = xmpp_conn_new(c->ctx);
    if (!c->conn)
        return ED_ENOMEM;
    long flags = XMPP_CONN_FLAG_MANDATORY_TLS | XMPP_CONN_FLAG_DISABLE_SM;
    if (c->direct_tls)
        flags |= XMPP_CONN_FLAG_LEGACY_SSL;
    if (c->insecure)
        flags |= XMPP_CONN_FLAG_TRUST_TLS;
    xmpp_conn_set_flags(c->conn, flags);
    if (c->ca_file)
        xmpp_conn_set_cafile(c->conn, c->ca_file);
    xmpp_conn_set_jid(c->conn, c->jid);
    xmpp_conn_set_pass(c->conn, c->password);
    xmpp_conn_set_password_retries(c->conn, 1);
    xmpp_handler_add(c->conn, iq_handler, NULL, "iq", NULL, c);
    unsigned short port = c->port;
    if (c->server && !port)
        port = c->direct_tls ? 5223 : 5222;
    c->port_used = port;
    c->state = ST_CONNECTING;
    errno = 0;
    if (xmpp_connect_client(c->conn, c->server, port, conn_handler, c) != XMPP_EOK) {
        int e = errno; /* a connect() that failed at once (no route) */
        c->state = ST_FAILED;
        /* libstrophe resolves here: say so when the name does not resolve */
        struct addrinfo hints = { .ai_socktype = SOCK_STREAM }, *ai = NULL;
        const char *host = c->server ? c->server : c->domain;
        int g = getaddrinfo(host, NULL, &hints, &ai);
        if (ai)
            freeaddrinfo(ai);
        if (g != 0) {
            set_err(c, "DNS lookup of %s failed: %s", host,
                    g == EAI_SYSTEM ? strerror(errno) : gai_strerror(g));
            return ED_ESTATE;
        }
        if (e == ENETUNREACH || e == EHOSTUNREACH) {
            set_err(c, "no route to %s: %s (network down or unreachable from "
                    "here, or a firewall)", host, strerror(e));
            return ED_ESTATE;
        }
        set_err(c, "cannot connect to %s%s", c->server ? c->server : c->domain,
                c->lib_err[0] ? "" : "");
        if (c->lib_err[0])
            set_err(c, "cannot connect to %s: %s",
                    c->server ? c->server : c->domain, c->lib_err);
        return ED_ESTATE;
    }
    int64_t end = now_ms() + c->timeout_ms;
    while (c->state == ST_CONNECTING && now_ms() < end)
        xmpp_run_once(c->ctx, 50);
    if (c->state == ST_ONLINE)
        return ED_OK;
    if (c->state == ST_CONNECTING) {
        xmpp_disconnect(c->conn);
        int64_t e2 = now_ms() + 300;
        while (c->state == ST_CONNECTING && now_ms() < e2)
            xmpp_run_once(c->ctx, 50);
        c->state = ST_FAILED;
        set_err(c, "connect/login to %s timed out after %d ms%s%s",
                c->server ? c->server : c->domain, c->timeout_ms,
                c->lib_err[0] ? " (last: " : "", c->lib_err[0] ? c->lib_err : "");
        if (c->lib_err[0])
            strncat(c->err, ")", sizeof c->err - strlen(c->err) - 1);
    }
    return ED_ESTATE;
}

/* --- requests -------------------------------------------------------------- */

/* Is jid (normalised, may be NULL) our own bare JID? */
static bool is_own_bare(ed_client *c, const char *jid)
{
    if (!jid)
        return false;
    ed_jid *mine = NULL, *theirs = NULL;
    const char *b = ed_client_bound_jid(c);
    if (!b)
        b = c->jid;
    bool ok = ed_jid_parse(b, strlen(b), &mine) == ED_OK &&
              ed_jid_parse(jid, strlen(jid), &theirs) == ED_OK &&
              !theirs->resource && ed_jid_eq_bare(mine, theirs);
    ed_jid_free(mine);
    ed_jid_free(theirs);
    return ok;
}

/* Does an answer from `from` (possibly NULL) come from the entity the
 * request went to?  It must (RFC 6120 §8.1.2.1, interop.md "The reply's from
 * is the JID the request went to"), except that our own server may answer a
 * request to itself or to our bare JID without 'from' or from our bare JID.
 * Anything else with the right id is someone else's guess: ignored. */
static bool reply_from_ok(ed_client *c, const char *from)
{
    const char *asked = c->wait_to;
    bool own = !asked || strcmp(asked, c->domain) == 0 || is_own_bare(c, asked);
    if (!from)
        return own;
    ed_err err = ED_OK;
    char *f = ed_jid_normalize(from, &err);
    if (!f)
        return false;
    bool ok = asked && strcmp(f, asked) == 0;
    if (!ok && own)
        ok = strcmp(f, c->domain) == 0 || is_own_bare(c, f);
    free(f);
    return ok;
}

static int id_handler(xmpp_conn_t *conn, xmpp_stanza_t *st, void *ud)
{
    ed_client *c = ud;
    (void)conn;
    const char *type = xmpp_stanza_get_type(st);
    if (!type || (strcmp(type, "result") != 0 && strcmp(type, "error") != 0))
        return 1; /* not an answer: keep waiting */
    const char *from = xmpp_stanza_get_from(st);
    if (!reply_from_ok(c, from)) {
        if (c->debug)
            fprintf(stderr, "extdisco: ignoring an answer to %s from %s "
                    "(asked %s)\n", c->wait_id, from ? from : "(none)",
                    c->wait_to ? c->wait_to : "our server");
        return 1; /* not from the entity asked: keep waiting */
    }
    ed_elem_free(c->reply);
    c->reply = NULL;
    c->reply_err = to_elem(st, &c->reply);
    c->got_reply = true;
    return 0;
}

ed_err ed_client_iq(ed_client *c, const ed_elem *iq, ed_elem **reply)
{
    if (!c || !iq || !reply)
        return ED_EINVAL;
    *reply = NULL;
    c->has_cond = false;
    c->err[0] = 0;
    if (c->state != ST_ONLINE) {
        set_err(c, "not connected");
        return ED_ESTATE;
    }
    ed_elem *copy = ed_elem_copy(NULL, iq);
    if (!copy)
        return ED_ENOMEM;
    const char *id = ed_elem_attr(copy, "id");
    if (!id) {
        char buf[40];
        snprintf(buf, sizeof buf, "ed%lx-%lu", (unsigned long)now_ms() & 0xffffff,
                 ++c->next_id);
        if (ed_elem_set_attr(copy, "id", buf) != ED_OK) {
            ed_elem_free(copy);
            return ED_ENOMEM;
        }
        id = ed_elem_attr(copy, "id");
    }
    snprintf(c->wait_id, sizeof c->wait_id, "%s", id);
    free(c->wait_to);
    c->wait_to = NULL;
    const char *to = ed_elem_attr(copy, "to");
    if (to) {
        ed_err nerr = ED_OK;
        if (!(c->wait_to = ed_jid_normalize(to, &nerr))) {
            set_err(c, "invalid JID '%.*s': %s", 300, to,
                    ed_strerror(nerr ? nerr : ED_ENOMEM));
            ed_elem_free(copy);
            return nerr && nerr != ED_ENOMEM ? ED_EINVAL : ED_ENOMEM;
        }
    }
    c->got_reply = false;
    ed_elem_free(c->reply);
    c->reply = NULL;
    xmpp_id_handler_add(c->conn, id_handler, c->wait_id, c);
    ed_err err = send_elem(c, copy);
    ed_elem_free(copy);
    if (err) {
        xmpp_id_handler_delete(c->conn, id_handler, c->wait_id);
        return err;
    }
    int64_t end = now_ms() + c->timeout_ms;
    while (!c->got_reply && c->state == ST_ONLINE && now_ms() < end)
        xmpp_run_once(c->ctx, 50);
    if (!c->got_reply) {
        xmpp_id_handler_delete(c->conn, id_handler, c->wait_id);
        if (c->state != ST_ONLINE)
            return ED_ESTATE; /* err set by conn_handler */
        set_err(c, "no answer within %d ms", c->timeout_ms);
        return ED_ESTATE;
    }
    if (c->reply_err) {
        set_err(c, "unparsable answer: %s", ed_strerror(c->reply_err));
        return c->reply_err;
    }
    *reply = c->reply;
    c->reply = NULL;
    return ED_OK;
}

/* --- incoming IQs ----------------------------------------------------------- */

void ed_client_set_push_handler(ed_client *c, ed_client_push_cb cb, void *ud)
{
    if (!c)
        return;
    c->push_cb = cb;
    c->push_ud = ud;
}

ed_err ed_client_set_push_source(ed_client *c, const char *jid)
{
    if (!c)
        return ED_EINVAL;
    char *n = NULL;
    if (jid) {
        ed_err err = ED_OK;
        n = ed_jid_normalize(jid, &err);
        if (!n)
            return err ? err : ED_ENOMEM;
    }
    free(c->push_source);
    c->push_source = n;
    return ED_OK;
}

/* Is from (possibly NULL) the domain, our bare JID or the push source? */
static bool push_from_ok(ed_client *c, const char *from)
{
    if (!from)
        return true; /* from our own server */
    ed_err err = ED_OK;
    char *f = ed_jid_normalize(from, &err);
    if (!f)
        return false;
    bool ok = strcmp(f, c->domain) == 0 ||
              (c->push_source && strcmp(f, c->push_source) == 0) ||
              is_own_bare(c, f);
    free(f);
    return ok;
}

static int iq_handler(xmpp_conn_t *conn, xmpp_stanza_t *st, void *ud)
{
    ed_client *c = ud;
    (void)conn;
    const char *type = xmpp_stanza_get_type(st);
    if (!type || (strcmp(type, "get") != 0 && strcmp(type, "set") != 0))
        return 1;
    ed_elem *iq = NULL;
    if (to_elem(st, &iq) != ED_OK)
        return 1; /* cannot even parse it: libstrophe's own checks apply */
    ed_elem *reply = NULL;
    ed_elem *p = ed_iq_payload(iq);
    if (!p) {
        reply = ed_stanza_error(iq, "bad-request", NULL, NULL);
    } else if (strcmp(type, "get") == 0 && strcmp(p->name, "ping") == 0 &&
               strcmp(p->ns, ED_NS_PING) == 0) {
        reply = ed_iq_result(iq);
    } else if (strcmp(type, "set") == 0 && strcmp(p->name, "services") == 0 &&
               (strcmp(p->ns, ED_NS_EXTDISCO2) == 0 ||
                strcmp(p->ns, ED_NS_EXTDISCO1) == 0) && c->push_cb) {
        if (!push_from_ok(c, ed_elem_attr(iq, "from")))
            reply = ed_stanza_error(iq, "forbidden", NULL, "push from a stranger");
        else
            reply = ed_service_view_push_reply(iq, c->push_cb(c->push_ud, iq, p));
    } else {
        reply = ed_stanza_error(iq, "service-unavailable", NULL, NULL);
    }
    if (reply)
        send_elem(c, reply);
    ed_elem_free(reply);
    ed_elem_free(iq);
    return 1;
}

ed_err ed_client_send_presence(ed_client *c)
{
    if (!c || c->state != ST_ONLINE)
        return ED_ESTATE;
    ed_elem *p = ed_elem_new("presence", ED_NS_CLIENT);
    if (!p)
        return ED_ENOMEM;
    ed_err err = send_elem(c, p);
    ed_elem_free(p);
    return err;
}

ed_err ed_client_run(ed_client *c, int timeout_ms)
{
    if (!c)
        return ED_EINVAL;
    int64_t end = now_ms() + (timeout_ms > 0 ? timeout_ms : 0);
    do {
        if (c->state != ST_ONLINE)
            return ED_ESTATE;
        xmpp_run_once(c->ctx, 50);
    } while (now_ms() < end);
    return c->state == ST_ONLINE ? ED_OK : ED_ESTATE;
}
