/* daemon/c2s/session_sasl.c — SASL (RFC 6120 §6) for a c2s session, through
 * sasl.c (libgsasl; SCRAM keys from the store): <auth/>, <response/>,
 * <abort/>, failed-login throttling per address.  The rest of the session
 * is session.c's. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <gsasl.h>

#include "c2s/c2s_int.h"
#include "core/log.h"
#include "core/metrics.h"

static void sasl_reply(edd_session *s, const char *name, const char *cond,
                       const char *data, size_t n, const char *text)
{
    ed_buf *b = &s->c2s->out;
    ed_buf_reset(b);
    ed_buf_printf(b, "<%s xmlns='" ED_NS_SASL "'", name);
    if (cond) {
        ed_buf_printf(b, "><%s/>", cond);
        if (text) {
            ed_buf_puts(b, "<text xml:lang='en'>");
            ed_buf_xml_escape(b, text, strlen(text), 0);
            ed_buf_puts(b, "</text>");
        }
        ed_buf_printf(b, "</%s>", name);
    } else if (data && n) {
        char *enc = NULL;
        size_t el = 0;
        if (gsasl_base64_to(data, n, &enc, &el) != GSASL_OK) {
            edd_session_close(s, EDD_CLOSE_ABORT);
            return;
        }
        ed_buf_puts(b, ">");
        ed_buf_append(b, enc, el);
        ed_buf_printf(b, "</%s>", name);
        gsasl_free(enc);
    } else {
        ed_buf_puts(b, "/>");
    }
    edd_session_send_raw(s, b->data, b->len);
}

static const char *peer_ip(const edd_session *s, char *ip)
{
    int port;
    if (ed_sic_format_peer((const struct sockaddr *)&s->peer, s->peerlen, ip, &port) != ED_OK)
        strcpy(ip, "?");
    return ip;
}

static void sasl_failed(edd_session *s, const char *cond, const char *text)
{
    edd_c2s *c = s->c2s;
    edd_sasl_end(s->sasl);
    s->sasl = NULL;
    sasl_reply(s, "failure", cond, NULL, 0, text);
    edd_metrics_g.logins_failed++;
    if (strcmp(cond, "not-authorized") == 0) {
        char ip[ED_SIC_IP_MAX];
        edd_throttle_failed(c->throttle, peer_ip(s, ip), c->srv->clock());
        edd_log_info("c2s %s: authentication failed", ip);
    }
    if (++s->auth_failures >= EDD_C2S_MAX_AUTH_FAILURES)
        edd_session_stream_error(s, "policy-violation", "too many failed authentication attempts");
}

static void sasl_step(edd_session *s, const char *in, size_t inlen)
{
    edd_c2s *c = s->c2s;
    char *out = NULL;
    size_t outlen = 0;
    const char *cond = NULL;
    edd_sasl_status st = edd_sasl_step(s->sasl, in, inlen, &out, &outlen, &cond);
    if (st == EDD_SASL_CONTINUE) {
        sasl_reply(s, "challenge", NULL, out ? out : "", outlen, NULL);
    } else if (st == EDD_SASL_SUCCESS) {
        ed_jid *j = NULL;
        if (ed_jid_make(edd_sasl_user(s->sasl), c->domain, NULL, &j) != ED_OK) {
            free(out);
            sasl_failed(s, "not-authorized", NULL);
            return;
        }
        char ip[ED_SIC_IP_MAX];
        edd_throttle_succeeded(c->throttle, peer_ip(s, ip));
        edd_metrics_g.logins_ok++;
        sasl_reply(s, "success", NULL, out, outlen, NULL);
        edd_log_info("c2s %s: %s authenticated", ip, j->bare);
        edd_sasl_end(s->sasl);
        s->sasl = NULL;
        s->jid = j;
        edd_session_enter(s, EDD_SS_AUTH_STREAM); /* session.c resets the stream */
    } else {
        sasl_failed(s, cond, NULL);
    }
    free(out);
}

/* The base64 text of an <auth/> or <response/>: absent (no data), "=" (empty)
 * or data.  false when the encoding is wrong. */
static bool sasl_data(ed_elem *e, char **out, size_t *outlen, bool *present)
{
    *out = NULL;
    *outlen = 0;
    const char *t = ed_elem_text(e);
    if (!t)
        return false;
    *present = *t != '\0';
    if (!*t || strcmp(t, "=") == 0)
        return true;
    size_t n = strlen(t);
    if (n > EDD_SASL_MAX_MSG * 4 / 3 + 4)
        return false;
    return gsasl_base64_from(t, n, out, outlen) == GSASL_OK;
}

static void handle_auth(edd_session *s, ed_elem *st)
{
    edd_c2s *c = s->c2s;
    if (s->sasl) {
        edd_sasl_end(s->sasl);
        s->sasl = NULL;
    }
    const char *mech = ed_elem_attr(st, "mechanism");
    bool tls = edd_session_secure(s);
    if (!tls && (c->require_tls || (mech && strcmp(mech, "PLAIN") == 0))) {
        sasl_reply(s, "failure", "encryption-required", NULL, 0,
                   c->require_tls ? "STARTTLS first" : "PLAIN needs TLS");
        return;
    }
    char ip[ED_SIC_IP_MAX];
    int64_t wait = edd_throttle_wait(c->throttle, peer_ip(s, ip), c->srv->clock());
    if (wait > 0) {
        char text[80];
        edd_metrics_g.logins_throttled++;
        snprintf(text, sizeof text, "too many failed logins; try again in %lld s",
                 (long long)wait);
        sasl_reply(s, "failure", "temporary-auth-failure", NULL, 0, text);
        return;
    }
    const char *cond = "invalid-mechanism";
    if (!mech || !(s->sasl = edd_sasl_start(c->sasl, mech, tls, c->store, c->domain, &cond))) {
        sasl_reply(s, "failure", cond, NULL, 0, NULL);
        return;
    }
    char *data;
    size_t n;
    bool present;
    if (!sasl_data(st, &data, &n, &present)) {
        sasl_failed(s, "incorrect-encoding", NULL);
        return;
    }
    if (!present)
        sasl_reply(s, "challenge", NULL, "", 0, NULL); /* no initial response */
    else
        sasl_step(s, data ? data : "", n);
    gsasl_free(data);
}

static void handle_response(edd_session *s, ed_elem *st)
{
    if (!s->sasl) {
        sasl_reply(s, "failure", "malformed-request", NULL, 0, "no exchange in progress");
        return;
    }
    char *data;
    size_t n;
    bool present;
    if (!sasl_data(st, &data, &n, &present)) {
        sasl_failed(s, "incorrect-encoding", NULL);
        return;
    }
    sasl_step(s, data ? data : "", n);
    gsasl_free(data);
}

void edd_session_sasl(edd_session *s, ed_elem *st)
{
    if (strcmp(st->name, "auth") == 0) {
        handle_auth(s, st);
    } else if (strcmp(st->name, "response") == 0) {
        handle_response(s, st);
    } else if (strcmp(st->name, "abort") == 0) {
        edd_sasl_end(s->sasl);
        s->sasl = NULL;
        sasl_reply(s, "failure", "aborted", NULL, 0, NULL);
    } else {
        edd_session_stream_error(s, "unsupported-stanza-type", NULL);
    }
}
