/* client/client.c — XEP-0215 / XEP-0279 client on libstrophe; see
 * include/extdisco/client.h. */
#include "extdisco/client.h"

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
#define NS_DISCO_INFO "http://jabber.org/protocol/disco#info"
#define NS_PING "urn:xmpp:ping"

enum conn_state { ST_IDLE = 0, ST_CONNECTING, ST_ONLINE, ST_FAILED, ST_CLOSED };

struct ed_client {
    xmpp_ctx_t *ctx;
    xmpp_conn_t *conn;
    xmpp_log_t log;
    char *jid, *password, *server, *ca_file;
    char *domain;
    char *push_source;
    unsigned short port;
    bool direct_tls, insecure, debug;
    int timeout_ms;
    enum conn_state state;
    char err[ERR_MAX];
    char lib_err[ERR_MAX];   /* last error/warning libstrophe logged */
    char cond[64];
    bool has_cond;
    unsigned long next_id;
    /* the one outstanding request */
    char wait_id[48];
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
static void log_handler(void *ud, xmpp_log_level_t level, const char *area,
                        const char *msg)
{
    ed_client *c = ud;
    if (c->debug)
        fprintf(stderr, "strophe %s: %s\n", area, msg);
    if (level >= XMPP_LEVEL_WARN)
        snprintf(c->lib_err, sizeof c->lib_err, "%s: %s", area, msg);
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

static void conn_handler(xmpp_conn_t *conn, xmpp_conn_event_t status, int error,
                         xmpp_stream_error_t *se, void *ud)
{
    ed_client *c = ud;
    (void)conn;
    if (status == XMPP_CONN_CONNECT) {
        c->state = ST_ONLINE;
        return;
    }
    if (status == XMPP_CONN_RAW_CONNECT)
        return;
    bool was_online = c->state == ST_ONLINE;
    c->state = (status == XMPP_CONN_FAIL || !was_online) ? ST_FAILED : ST_CLOSED;
    if (se)
        set_err(c, "stream error %s%s%s", stream_error_name(se->type),
                se->text ? ": " : "", se->text ? se->text : "");
    else if (error)
        set_err(c, "connection %s: %s", was_online ? "lost" : "failed",
                strerror(error));
    else if (!was_online)
        set_err(c, "login failed%s%s", c->lib_err[0] ? ": " : "",
                c->lib_err[0] ? c->lib_err : " (TLS or authentication)");
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
    c->state = ST_CONNECTING;
    if (xmpp_connect_client(c->conn, c->server, port, conn_handler, c) != XMPP_EOK) {
        c->state = ST_FAILED;
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

static int id_handler(xmpp_conn_t *conn, xmpp_stanza_t *st, void *ud)
{
    ed_client *c = ud;
    (void)conn;
    const char *type = xmpp_stanza_get_type(st);
    if (!type || (strcmp(type, "result") != 0 && strcmp(type, "error") != 0))
        return 1; /* not an answer: keep waiting */
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

/* New <iq type=TYPE to=TO> with one payload child; *payload gets it. */
static ed_elem *new_iq(const char *type, const char *to, const char *name,
                       const char *ns, ed_elem **payload)
{
    ed_elem *iq = ed_elem_new("iq", ED_NS_CLIENT);
    if (!iq)
        return NULL;
    ed_elem *p = NULL;
    if (ed_elem_set_attr(iq, "type", type) != ED_OK ||
        (to && ed_elem_set_attr(iq, "to", to) != ED_OK) ||
        !(p = ed_elem_add(iq, name, ns))) {
        ed_elem_free(iq);
        return NULL;
    }
    if (payload)
        *payload = p;
    return iq;
}

/* Send iq; a stanza error reply becomes ED_ESTATE with the condition noted.
 * On ED_OK *reply is the result IQ. */
static ed_err ask(ed_client *c, ed_elem *iq, ed_elem **reply, const char *what)
{
    ed_elem *r = NULL;
    ed_err err = ed_client_iq(c, iq, &r);
    ed_elem_free(iq);
    if (err) {
        if (err != ED_ESTATE)
            set_err(c, "%s: %s", what, ed_strerror(err));
        else {
            char tmp[ERR_MAX];
            memcpy(tmp, c->err, sizeof tmp);
            set_err(c, "%s: %.*s", what, (int)(sizeof tmp - 64), tmp);
        }
        return err;
    }
    const char *type = ed_elem_attr(r, "type");
    if (type && strcmp(type, "error") == 0) {
        const char *cond = "undefined-condition";
        const char *text = NULL;
        ed_elem *er = ed_elem_child(r, "error", NULL);
        for (ed_elem *k = er ? ed_elem_first(er) : NULL; k; k = ed_elem_next(k, NULL, NULL)) {
            if (strcmp(k->ns, ED_NS_STANZAS) != 0)
                continue;
            if (strcmp(k->name, "text") == 0)
                text = ed_elem_text(k);
            else
                cond = k->name;
        }
        snprintf(c->cond, sizeof c->cond, "%s", cond);
        c->has_cond = true;
        set_err(c, "%s: stanza error %s%s%s", what, cond, text ? ": " : "",
                text ? text : "");
        ed_elem_free(r);
        return ED_ESTATE;
    }
    *reply = r;
    return ED_OK;
}

static const char *target(ed_client *c, const char *to)
{
    return to ? to : c->domain;
}

ed_err ed_client_disco_info(ed_client *c, const char *to, unsigned *features,
                            ed_elem **reply)
{
    if (!c || !features)
        return ED_EINVAL;
    *features = 0;
    if (reply)
        *reply = NULL;
    ed_elem *iq = new_iq("get", target(c, to), "query", NS_DISCO_INFO, NULL);
    if (!iq)
        return ED_ENOMEM;
    ed_elem *r = NULL;
    ed_err err = ask(c, iq, &r, "disco#info");
    if (err)
        return err;
    ed_elem *q = ed_elem_child(r, "query", NS_DISCO_INFO);
    for (ed_elem *f = q ? ed_elem_child(q, "feature", NS_DISCO_INFO) : NULL; f;
         f = ed_elem_next(f, "feature", NS_DISCO_INFO)) {
        const char *v = ed_elem_attr(f, "var");
        if (!v)
            continue;
        if (strcmp(v, ED_NS_EXTDISCO2) == 0)
            *features |= ED_FEAT_EXTDISCO2;
        else if (strcmp(v, ED_NS_EXTDISCO1) == 0)
            *features |= ED_FEAT_EXTDISCO1;
        else if (strcmp(v, ED_NS_SIC1) == 0)
            *features |= ED_FEAT_SIC1;
        else if (strcmp(v, ED_NS_SIC0) == 0)
            *features |= ED_FEAT_SIC0;
    }
    if (reply)
        *reply = r;
    else
        ed_elem_free(r);
    return ED_OK;
}

static const char *ns_for(int version)
{
    return version == 1 ? ED_NS_EXTDISCO1 : ED_NS_EXTDISCO2;
}

/* Parse the <services/> or <credentials/> of a result. */
static ed_err parse_reply(ed_client *c, ed_elem *r, const char *name,
                          const char *ns, ed_service **out, size_t *n,
                          size_t *skipped, ed_elem **reply)
{
    ed_elem *p = ed_elem_child(r, name, ns);
    ed_err err;
    /* ejabberd 23.01 answers <credentials/> with <services/>: accept it. */
    if (!p && strcmp(name, "credentials") == 0)
        p = ed_elem_child(r, "services", ns);
    if (!p) {
        ed_elem *got = ed_elem_first(r);
        set_err(c, "%s: result without <%s xmlns='%s'/> (got %s%s%s%s%s)", name, name,
                ns, got ? "<" : "an empty result", got ? got->name : "",
                got ? " xmlns='" : "", got ? got->ns : "", got ? "'>" : "");
        err = ED_SVC_NOT_EXTDISCO;
    } else if ((err = ed_xep0215_parse_services(p, out, n, skipped))) {
        set_err(c, "%s: %s", name, ed_strerror(err));
    }
    if (!err && reply)
        *reply = r;
    else
        ed_elem_free(r);
    return err;
}

ed_err ed_client_services(ed_client *c, const char *to, int version,
                          const char *type, ed_service **out, size_t *n,
                          size_t *skipped, ed_elem **reply)
{
    if (!c || !out || !n || (version != 1 && version != 2))
        return ED_EINVAL;
    *out = NULL;
    *n = 0;
    if (skipped)
        *skipped = 0;
    if (reply)
        *reply = NULL;
    ed_elem *p = NULL;
    ed_elem *iq = new_iq("get", target(c, to), "services", ns_for(version), &p);
    if (!iq)
        return ED_ENOMEM;
    if (type && ed_elem_set_attr(p, "type", type) != ED_OK) {
        ed_elem_free(iq);
        return ED_ENOMEM;
    }
    ed_elem *r = NULL;
    ed_err err = ask(c, iq, &r, "services");
    if (err)
        return err;
    return parse_reply(c, r, "services", ns_for(version), out, n, skipped, reply);
}

ed_err ed_client_credentials(ed_client *c, const char *to, int version,
                             const ed_service *wanted, size_t nwanted,
                             ed_service **out, size_t *n, ed_elem **reply)
{
    if (!c || !out || !n || !wanted || !nwanted || nwanted > 256 ||
        (version != 1 && version != 2))
        return ED_EINVAL;
    *out = NULL;
    *n = 0;
    if (reply)
        *reply = NULL;
    ed_elem *p = NULL;
    ed_elem *iq = new_iq("get", target(c, to), "credentials", ns_for(version), &p);
    if (!iq)
        return ED_ENOMEM;
    for (size_t i = 0; i < nwanted; i++) {
        const ed_service *w = &wanted[i];
        ed_elem *s = ed_elem_add(p, "service", NULL);
        char port[8];
        snprintf(port, sizeof port, "%d", w->port);
        if (!s || !w->type || !w->host ||
            ed_elem_set_attr(s, "type", w->type) != ED_OK ||
            ed_elem_set_attr(s, "host", w->host) != ED_OK ||
            (w->port >= 0 && ed_elem_set_attr(s, "port", port) != ED_OK) ||
            (w->transport && ed_elem_set_attr(s, "transport", w->transport) != ED_OK)) {
            ed_elem_free(iq);
            return (!w->type || !w->host) ? ED_EINVAL : ED_ENOMEM;
        }
    }
    ed_elem *r = NULL;
    ed_err err = ask(c, iq, &r, "credentials");
    if (err)
        return err;
    return parse_reply(c, r, "credentials", ns_for(version), out, n, NULL, reply);
}

static ed_err ip_check_ns(ed_client *c, const char *to, const char *ns,
                          char *ip, int *port)
{
    bool v1 = strcmp(ns, ED_NS_SIC1) == 0;
    ed_elem *iq = new_iq("get", to, v1 ? "address" : "ip", ns, NULL);
    if (!iq)
        return ED_ENOMEM;
    ed_elem *r = NULL;
    ed_err err = ask(c, iq, &r, v1 ? "sic:1" : "sic:0");
    if (err)
        return err;
    ed_elem *p = ed_elem_child(r, v1 ? "address" : "ip", ns);
    err = p ? ed_xep0279_parse_result(p, ip, port) : ED_SIC_BAD_ADDRESS;
    if (err)
        set_err(c, "%s: malformed answer: %s", v1 ? "sic:1" : "sic:0",
                ed_strerror(err));
    ed_elem_free(r);
    return err;
}

ed_err ed_client_ip_check(ed_client *c, const char *to, char *ip, int *port,
                          const char **ns)
{
    if (!c || !ip || !port)
        return ED_EINVAL;
    ip[0] = 0;
    *port = -1;
    if (ns)
        *ns = NULL;
    ed_err err = ip_check_ns(c, to, ED_NS_SIC1, ip, port);
    if (err == ED_OK) {
        if (ns)
            *ns = ED_NS_SIC1;
        return ED_OK;
    }
    if (err == ED_ENOMEM || !ed_client_is_connected(c))
        return err;
    char first[ERR_MAX];
    snprintf(first, sizeof first, "%s", c->err);
    err = ip_check_ns(c, to, ED_NS_SIC0, ip, port);
    if (err == ED_OK) {
        if (ns)
            *ns = ED_NS_SIC0;
        return ED_OK;
    }
    char second[ERR_MAX];
    snprintf(second, sizeof second, "%s", c->err);
    set_err(c, "%s; %s", first, second);
    return err;
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
              (c->push_source && strcmp(f, c->push_source) == 0);
    if (!ok) {
        ed_jid *mine = NULL, *theirs = NULL;
        const char *b = ed_client_bound_jid(c);
        if (!b)
            b = c->jid;
        if (ed_jid_parse(b, strlen(b), &mine) == ED_OK &&
            ed_jid_parse(f, strlen(f), &theirs) == ED_OK)
            ok = !theirs->resource && ed_jid_eq_bare(mine, theirs);
        ed_jid_free(mine);
        ed_jid_free(theirs);
    }
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
               strcmp(p->ns, NS_PING) == 0) {
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
