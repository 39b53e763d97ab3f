/* daemon/c2s/session.c — one client connection of the standalone server: the
 * PROXY header, the stream (RFC 6120 §4), STARTTLS (§5), SASL (§6, in
 * session_sasl.c) and resource binding (§7); after binding every stanza goes
 * to router.c.
 *
 * Memory: nothing big is allocated up front.  The XML parser is created
 * when the first stream byte arrives, and c2s.c's sweep releases its expat
 * state (ed_xml_stream_idle) once the session has been quiet for a second
 * or two; reads stop at EDD_C2S_READ_HIGH bytes per turn (about 32 KiB
 * under TLS, see transport_tls.c); output is
 * serialised into the c2s-wide scratch buffer.
 *
 * I/O: through the session's transport (transport.h: plain TCP in
 * transport_tcp.c, TLS in transport_tls.c, XMPP over WebSocket in
 * transport_ws.c), nothing else.  A `framed` transport (WebSocket, RFC
 * 7395) gets one top-level element per write, the stream's tags as <open/>
 * and <close/> and every namespace declared on each element (see
 * send_header, send_stream_end); its input is a stream like any other.  Per request (the
 * benchmark's hot path) a bound plaintext session reads with one recv(2)
 * (edd_transport_fast_reads) and its replies to one read go out with one
 * send(2) (cork/uncork, edd_transport_send).
 *
 * Lifecycle: one state (edd_session_state, c2s_int.h), changed only by
 * edd_session_enter(), which logs every transition at debug level.  The
 * parser hands events back (ed_xml_stream_next), so each stanza is handled
 * with nothing of the parser on the stack; a stanza that starts a new
 * stream (<starttls/>, SASL success) moves the state to one that waits for
 * a header, and the rest of the read is dropped with the old stream.
 * Closing: one path, edd_session_close() (flush what is queued, or abort),
 * safe from anywhere, also while router.c walks its lists: it only marks
 * the session CLOSING/CLOSED and stops its input; edd_session_reap(), the
 * deferred close callback run from c2s.c's close event, then unregisters
 * it (router, pushes), frees the transport (a flushing one goes to io.c's
 * closer first) and frees the session. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <event2/event.h>
#include <event2/util.h>

#include "c2s/c2s_int.h"
#include "c2s/proxy_proto.h"
#include "core/log.h"

static void uncork(edd_session *s);
static const edd_transport_cbs session_cbs;

static const char *peer_str(const edd_session *s, char *buf, size_t n)
{
    char ip[ED_SIC_IP_MAX];
    int port = 0;
    if (ed_sic_format_peer((const struct sockaddr *)&s->peer, s->peerlen, ip, &port) != ED_OK)
        snprintf(buf, n, "?");
    else
        snprintf(buf, n, strchr(ip, ':') ? "[%s]:%d" : "%s:%d", ip, port);
    return buf;
}

edd_session *edd_session_new(edd_c2s *c, evutil_socket_t fd, const struct sockaddr *sa,
                           socklen_t salen, const edd_listener *l)
{
    edd_session *s = calloc(1, sizeof *s);
    if (!s)
        return NULL;
    s->c2s = c;
    if (salen > sizeof s->peer)
        salen = sizeof s->peer;
    memcpy(&s->peer, sa, salen);
    s->peerlen = salen;
    s->started = c->srv->clock();
    s->serial = ++c->serial;
    s->direct_tls = l->tls == EDD_LISTEN_DIRECT;
    s->state = l->proxy ? EDD_SS_PROXY : s->direct_tls ? EDD_SS_TLS_HANDSHAKE : EDD_SS_STREAM;
    s->starttls_ok = l->tls == EDD_LISTEN_STARTTLS && c->ssl && !l->ws;
    s->secure_front = l->secure_front;
    if (l->ws) /* XMPP over WebSocket: HTTP first, then RFC 7395 messages */
        s->t = edd_transport_ws_new(c->base, fd, s->direct_tls && !l->proxy ? c->ssl : NULL,
                                   l->ws, l->proxy, c->xlim.max_stanza_bytes, EDD_C2S_READ_HIGH,
                                   c->handshake_timeout, &session_cbs, s);
    else if (s->direct_tls && !l->proxy)
        s->t = edd_transport_tls_new(c->base, fd, c->ssl, EDD_C2S_READ_HIGH,
                                    c->handshake_timeout, &session_cbs, s);
    else
        s->t = edd_transport_tcp_new(c->base, fd, c->rbuf, sizeof c->rbuf, EDD_C2S_READ_HIGH,
                                    c->handshake_timeout, &session_cbs, s);
    if (!s->t) {
        free(s);
        return NULL;
    }
    s->next = c->sessions;
    if (c->sessions)
        c->sessions->prev = s;
    c->sessions = s;
    c->nsessions++;
    return s;
}

void edd_session_free(edd_session *s)
{
    edd_transport_free(s->t, false, 0);
    ed_xml_stream_free(s->xs);
    edd_sasl_end(s->sasl);
    ed_jid_free(s->jid);
    free(s->presence);
    free(s->lang);
    edd_router_pending_free(s);
    edd_presence_directed_free(s);
    free(s);
}

static const char *const state_names[] = {
    [EDD_SS_PROXY] = "proxy",           [EDD_SS_TLS_HANDSHAKE] = "tls-handshake",
    [EDD_SS_STREAM] = "stream",         [EDD_SS_AUTH_STREAM] = "auth-stream",
    [EDD_SS_OPEN] = "open",             [EDD_SS_AUTHED] = "authed",
    [EDD_SS_BOUND] = "bound",           [EDD_SS_CLOSING] = "closing",
    [EDD_SS_CLOSED] = "closed",
};

void edd_session_enter(edd_session *s, edd_session_state to)
{
    if (s->state == to)
        return;
    if (to >= EDD_SS_BOUND) /* bound, or going: no longer "not logged in" */
        edd_unauth_leave(s->c2s, s);
    if (to == EDD_SS_BOUND)
        s->busy_reads = 0; /* login reads do not make a bound session busy */
    if (edd_log_get_level() >= EDD_LOG_DEBUG)
        edd_log_debug("c2s #%llu: %s -> %s", (unsigned long long)s->serial,
                     state_names[s->state], state_names[to]);
    s->state = to;
}

void edd_session_close(edd_session *s, edd_close_how how)
{
    if (edd_session_closed(s))
        return;
    edd_c2s *c = s->c2s;
    if (c->corked == s) {
        if (how == EDD_CLOSE_FLUSH)
            uncork(s); /* what was sent so far goes out before the close */
        else
            c->corked = NULL; /* dropped with the connection */
    }
    edd_session_enter(s, how == EDD_CLOSE_FLUSH ? EDD_SS_CLOSING : EDD_SS_CLOSED);
    edd_transport_stop(s->t, how == EDD_CLOSE_FLUSH);
    /* out of the live list, onto the close callback's */
    if (c->sweep_next == s)
        c->sweep_next = s->next;
    if (s->prev)
        s->prev->next = s->next;
    else
        c->sessions = s->next;
    if (s->next)
        s->next->prev = s->prev;
    s->prev = NULL;
    s->next = c->closed;
    c->closed = s;
    event_active(c->close_ev, EV_TIMEOUT, 0);
}

void edd_session_reap(edd_c2s *c, int flush_secs)
{
    /* Unbinding sends unavailable presence, which may close more sessions
     * (their output overflows): they join the list; each only once. */
    while (c->closed) {
        edd_session *s = c->closed;
        c->closed = s->next;
        if (s->user)
            edd_router_unbind(s);
        edd_pushes_forget_owner(c->srv->pushes, s);
        if (s->state == EDD_SS_CLOSING) {
            edd_transport_free(s->t, true, flush_secs);
            s->t = NULL;
        }
        c->nsessions--;
        edd_session_free(s);
    }
}

/* Too much queued for s (with n more bytes): the client is not reading. */
static bool out_full(edd_session *s, size_t n)
{
    size_t q = edd_transport_pending(s->t) + n;
    if (s->c2s->corked == s)
        q += s->c2s->cork.len;
    if (q <= EDD_C2S_OUT_MAX)
        return false;
    char p[64];
    edd_log_warn("c2s %s: output queue full, closing", peer_str(s, p, sizeof p));
    edd_session_close(s, EDD_CLOSE_ABORT);
    return true;
}

/* Corking.  While a session's input is parsed, what it is sent is gathered
 * in c2s->cork and handed to edd_transport_send when the read is done: one
 * send(2) over plain TCP, one SSL_write under TLS (nothing queued before),
 * the rest queued.  Queued writes alone cost every read that produced
 * replies an epoll_ctl to watch for writability, a loop turn, a writev and
 * an epoll_ctl to stop watching: during a login (stream headers, features,
 * SASL steps, the bind result) that was about a third of its system calls.
 * A <proceed/> is uncorked before the TLS swap (read_input), so it leaves
 * in the clear.  Only one session is corked at a time; output for other
 * sessions goes the usual way. */
static void cork(edd_session *s)
{
    edd_c2s *c = s->c2s;
    if (c->corked || edd_session_closed(s) || edd_transport_framed(s->t))
        return; /* a framed transport sends each element as its own message */
    c->corked = s;
    ed_buf_reset(&c->cork);
}

static void uncork(edd_session *s)
{
    edd_c2s *c = s->c2s;
    if (c->corked != s)
        return;
    c->corked = NULL;
    ed_buf *b = &c->cork;
    edd_transport_send(s->t, b->data, b->len);
    ed_buf_reset_trim(b, 4 * EDD_C2S_READ_HIGH * 8); /* a big burst: not kept */
}

void edd_session_send_raw(edd_session *s, const char *data, size_t n)
{
    if (edd_session_closed(s) || out_full(s, n))
        return;
    if (s->c2s->corked == s) {
        if (ed_buf_append(&s->c2s->cork, data, n) != ED_OK)
            edd_session_close(s, EDD_CLOSE_ABORT); /* out of memory: the stream is broken */
        return;
    }
    edd_transport_write(s->t, data, n);
}

void edd_session_send(edd_session *s, const ed_elem *stanza)
{
    edd_c2s *c = s->c2s;
    if (edd_session_closed(s))
        return;
    if (c->corked == s) { /* straight into the cork, no copy */
        size_t before = c->cork.len;
        if (ed_xml_write(&c->cork, stanza, ED_NS_CLIENT) != ED_OK) { /* never framed */
            ed_buf_truncate(&c->cork, before);
            edd_log_error("c2s: cannot serialise a stanza");
            return;
        }
        if (out_full(s, 0)) /* the cork counts what was just written */
            ed_buf_truncate(&c->cork, before);
        return;
    }
    ed_buf *b = &c->out;
    ed_buf_reset(b);
    /* framed: each message declares its namespace (RFC 7395 §3.3.3) */
    if (ed_xml_write(b, stanza, edd_transport_framed(s->t) ? NULL : ED_NS_CLIENT) != ED_OK) {
        edd_log_error("c2s: cannot serialise a stanza");
        return;
    }
    edd_session_send_raw(s, b->data, b->len);
}

static void route_send(void *owner, const ed_elem *stanza)
{
    edd_session_send(owner, stanza);
}

edd_route edd_session_route(edd_session *s)
{
    edd_route r = {.owner = s, .send = route_send};
    return r;
}

/* --- stream ---------------------------------------------------------------- */

/* Over a framed transport (WebSocket) the stream's tags are RFC 7395's
 * <open/> and <close/>, and the stream prefix is declared on each element
 * that uses it. */
#define FRAMING_CLOSE "<close xmlns='" ED_NS_FRAMING "'/>"
#define STREAM_NS_DECL " xmlns:stream='" ED_NS_STREAMS "'"

static void send_stream_end(edd_session *s)
{
    if (edd_transport_framed(s->t))
        edd_session_send_raw(s, FRAMING_CLOSE, sizeof FRAMING_CLOSE - 1);
    else
        edd_session_send_raw(s, "</stream:stream>", 16);
}

static void send_header(edd_session *s)
{
    edd_c2s *c = s->c2s;
    unsigned char rnd[8];
    evutil_secure_rng_get_bytes(rnd, sizeof rnd);
    ed_buf *b = &c->out;
    ed_buf_reset(b);
    bool framed = edd_transport_framed(s->t);
    if (framed)
        ed_buf_puts(b, "<open xmlns='" ED_NS_FRAMING "' id='");
    else
        ed_buf_printf(b, "<?xml version='1.0'?><stream:stream xmlns='" ED_NS_CLIENT
                         "' xmlns:stream='" ED_NS_STREAMS "' id='");
    for (size_t i = 0; i < sizeof rnd; i++)
        ed_buf_printf(b, "%02x", rnd[i]);
    ed_buf_puts(b, "' from='");
    ed_buf_xml_escape(b, c->domain, strlen(c->domain), 1);
    ed_buf_puts(b, framed ? "' version='1.0' xml:lang='en'/>" : "' version='1.0' xml:lang='en'>");
    edd_session_send_raw(s, b->data, b->len);
}

void edd_session_stream_error(edd_session *s, const char *cond, const char *text)
{
    if (edd_session_closed(s))
        return;
    char p[64];
    edd_log_info("c2s %s: stream error %s%s%s", peer_str(s, p, sizeof p), cond,
                text ? ": " : "", text ? text : "");
    if (!edd_session_stream_open(s))
        send_header(s); /* an error before our header: the header first */
    ed_buf *b = &s->c2s->out;
    ed_buf_reset(b);
    bool framed = edd_transport_framed(s->t);
    ed_buf_printf(b, "<stream:error%s><%s xmlns='" ED_NS_STREAMERR "'/>",
                  framed ? STREAM_NS_DECL : "", cond);
    if (text) {
        ed_buf_puts(b, "<text xmlns='" ED_NS_STREAMERR "' xml:lang='en'>");
        ed_buf_xml_escape(b, text, strlen(text), 0);
        ed_buf_puts(b, "</text>");
    }
    ed_buf_puts(b, framed ? "</stream:error>" : "</stream:error></stream:stream>");
    edd_session_send_raw(s, b->data, b->len);
    if (framed)
        send_stream_end(s);
    edd_session_close(s, EDD_CLOSE_FLUSH);
}

static void send_features(edd_session *s)
{
    edd_c2s *c = s->c2s;
    ed_buf *b = &c->out;
    ed_buf_reset(b);
    ed_buf_puts(b, edd_transport_framed(s->t) ? "<stream:features" STREAM_NS_DECL ">"
                                              : "<stream:features>");
    bool authed = s->state == EDD_SS_AUTHED;
    /* STARTTLS only before authentication (RFC 6120 §5.3.1: it comes
     * first; once authenticated it would only be refused) */
    if (!authed && !edd_session_secure(s) && s->starttls_ok)
        ed_buf_puts(b, c->require_tls ? "<starttls xmlns='" ED_NS_TLS "'><required/></starttls>"
                                      : "<starttls xmlns='" ED_NS_TLS "'/>");
    if (!authed && (edd_session_secure(s) || !c->require_tls)) {
        const char *m[3];
        size_t n = edd_sasl_mechanisms(edd_session_secure(s), m);
        ed_buf_puts(b, "<mechanisms xmlns='" ED_NS_SASL "'>");
        for (size_t i = 0; i < n; i++)
            ed_buf_printf(b, "<mechanism>%s</mechanism>", m[i]);
        ed_buf_puts(b, "</mechanisms>");
    }
    if (authed)
        ed_buf_puts(b, "<bind xmlns='" ED_NS_BIND "'/><session xmlns='" ED_NS_SESSION
                       "'><optional/></session>");
    ed_buf_puts(b, "</stream:features>");
    edd_session_send_raw(s, b->data, b->len);
}

/* A plausible language tag (BCP 47 shape: letters, digits, '-'; at most
 * EDD_C2S_LANG_MAX bytes); anything else is not stamped on stanzas. */
static bool valid_lang(const char *t)
{
    size_t n = 0;
    for (; t[n]; n++)
        if (n >= EDD_C2S_LANG_MAX ||
            !((t[n] >= 'a' && t[n] <= 'z') || (t[n] >= 'A' && t[n] <= 'Z') ||
              (t[n] >= '0' && t[n] <= '9') || (t[n] == '-' && n > 0)))
            return false;
    return n > 0;
}

static void on_open(edd_session *s, const ed_elem *hdr, const char *content_ns)
{
    send_header(s);
    edd_session_enter(s, s->state == EDD_SS_AUTH_STREAM ? EDD_SS_AUTHED : EDD_SS_OPEN);
    const char *to = ed_elem_attr(hdr, "to");
    const char *version = ed_elem_attr(hdr, "version");
    if (strcmp(content_ns, ED_NS_CLIENT) != 0) {
        edd_session_stream_error(s, "invalid-namespace", "the content namespace must be jabber:client");
        return;
    }
    if (!version || atoi(version) < 1) {
        edd_session_stream_error(s, "unsupported-version", "XMPP 1.0 is required");
        return;
    }
    ed_err e;
    char *norm = to ? ed_jid_normalize(to, &e) : NULL;
    bool ok = norm && strcmp(norm, s->c2s->domain) == 0;
    free(norm);
    if (!ok) {
        edd_session_stream_error(s, "host-unknown", "this server serves another domain");
        return;
    }
    /* RFC 6120 §4.7.4: the stream's default language, stamped on the
     * client's stanzas that carry none (router.c) */
    const char *lang = ed_elem_attr(hdr, "xml:lang");
    free(s->lang);
    s->lang = lang && valid_lang(lang) ? strdup(lang) : NULL;
    send_features(s);
}

static void on_close(edd_session *s)
{
    send_stream_end(s);
    edd_session_close(s, EDD_CLOSE_FLUSH);
}

/* --- before binding ---------------------------------------------------------- */

static void handle_preauth(edd_session *s, ed_elem *st)
{
    if (strcmp(st->ns, ED_NS_TLS) == 0 && strcmp(st->name, "starttls") == 0) {
        if (edd_transport_secure(s->t) || !s->starttls_ok) {
            static const char failure[] = "<failure xmlns='" ED_NS_TLS "'/>";
            edd_session_send_raw(s, failure, sizeof failure - 1);
            send_stream_end(s);
            edd_session_close(s, EDD_CLOSE_FLUSH);
            return;
        }
        static const char proceed[] = "<proceed xmlns='" ED_NS_TLS "'/>";
        edd_session_send_raw(s, proceed, sizeof proceed - 1);
        edd_session_enter(s, EDD_SS_TLS_HANDSHAKE); /* read_input goes on */
        return;
    }
    if (strcmp(st->ns, ED_NS_SASL) == 0) {
        edd_session_sasl(s, st);
        return;
    }
    edd_session_stream_error(s, "not-authorized", "authenticate first");
}

static void handle_bind(edd_session *s, ed_elem *iq, ed_elem *bind)
{
    ed_elem *res = ed_elem_child(bind, "resource", ED_NS_BIND);
    const char *want = res ? ed_elem_text(res) : NULL;
    const char *cond = NULL;
    if (want && !*want)
        want = NULL; /* the server names it */
    if (!edd_router_bind(s, want, &cond)) {
        ed_elem *e = ed_stanza_error(iq, cond, NULL, NULL);
        if (e)
            edd_session_send(s, e);
        ed_elem_free(e);
        return;
    }
    edd_session_enter(s, EDD_SS_BOUND);
    edd_transport_set_timeout(s->t, s->c2s->idle_timeout);
    edd_transport_fast_reads(s->t);
    ed_elem *r = ed_iq_result(iq);
    ed_elem *b = r ? ed_elem_add(r, "bind", ED_NS_BIND) : NULL;
    ed_elem *j = b ? ed_elem_add(b, "jid", NULL) : NULL;
    if (j && ed_elem_add_text(j, s->jid->full, strlen(s->jid->full)) == ED_OK)
        edd_session_send(s, r);
    ed_elem_free(r);
    char p[64];
    edd_log_info("c2s %s: bound %s", peer_str(s, p, sizeof p), s->jid->full);
}

static void handle_prebind(edd_session *s, ed_elem *st)
{
    const char *type = ed_elem_attr(st, "type");
    ed_elem *p = strcmp(st->name, "iq") == 0 && strcmp(st->ns, ED_NS_CLIENT) == 0
                     ? ed_iq_payload(st) : NULL;
    if (p && type && strcmp(type, "set") == 0 && strcmp(p->ns, ED_NS_BIND) == 0 &&
        strcmp(p->name, "bind") == 0) {
        handle_bind(s, st, p);
        return;
    }
    edd_session_stream_error(s, "not-authorized", "bind a resource first");
}

static void on_stanza(edd_session *s, ed_elem *st)
{
    if (s->state == EDD_SS_OPEN)
        handle_preauth(s, st);
    else if (s->state == EDD_SS_AUTHED)
        handle_prebind(s, st);
    else if (strcmp(st->ns, ED_NS_CLIENT) != 0 ||
             (strcmp(st->name, "iq") && strcmp(st->name, "message") &&
              strcmp(st->name, "presence")))
        edd_session_stream_error(s, "unsupported-stanza-type", NULL);
    else
        edd_router_stanza(s, st);
    ed_elem_free(st);
}

/* --- reading --------------------------------------------------------------- */

/* The PROXY header.  true when the stream may go on. */
static bool read_proxy(edd_session *s)
{
    size_t len;
    const unsigned char *p = (const unsigned char *)edd_transport_pullup(s->t, EDD_PROXY_MAX, &len);
    edd_proxy_info info;
    size_t used = 0;
    const char *why = NULL;
    edd_proxy_status st = p ? edd_proxy_parse(p, len, &info, &used, &why) : EDD_PROXY_BAD;
    if (st == EDD_PROXY_NEED_MORE) {
        if (len < EDD_PROXY_MAX)
            return false;
        st = EDD_PROXY_BAD;
        why = "PROXY header too long";
    }
    char pb[64];
    if (st == EDD_PROXY_BAD) {
        edd_log_info("c2s %s: %s", peer_str(s, pb, sizeof pb), why ? why : "bad PROXY header");
        if (s->direct_tls) {
            edd_session_close(s, EDD_CLOSE_ABORT); /* the client speaks TLS: nothing to say */
        } else {
            edd_session_enter(s, EDD_SS_STREAM);
            edd_session_stream_error(s, "bad-format", "a PROXY protocol header was expected");
        }
        return false;
    }
    edd_transport_drain(s->t, used);
    if (!info.local) {
        memcpy(&s->peer, &info.src, info.srclen);
        s->peerlen = info.srclen;
        if (!edd_unauth_enter(s->c2s, s)) {
            edd_log_warn("c2s %s: %u connections of this address are not logged in yet "
                        "(limits.max_unauthenticated_per_address), closing another",
                        peer_str(s, pb, sizeof pb), s->c2s->max_unauth_per_address);
            edd_session_close(s, EDD_CLOSE_ABORT);
            return false;
        }
    }
    edd_log_debug("c2s: PROXY v%d: client %s", info.version, peer_str(s, pb, sizeof pb));
    edd_session_enter(s, s->direct_tls ? EDD_SS_TLS_HANDSHAKE : EDD_SS_STREAM);
    if (s->direct_tls) {
        if (!edd_transport_start_tls(s->t, s->c2s->ssl, true)) {
            edd_session_close(s, EDD_CLOSE_ABORT);
            return false;
        }
        /* the filter reads what is left in the lower buffer */
        return false;
    }
    edd_transport_proxied(s->t); /* WebSocket: the HTTP request comes next */
    return true;
}

typedef enum { FED, FED_CLOSED, FED_NEW_STREAM } fed;

/* n bytes of the stream to the parser, then each event they complete,
 * handled with the parser off the stack.  FED_CLOSED when the session is
 * closed (a stream error sent, or the stream ended); FED_NEW_STREAM when an
 * event started a new stream (<proceed/> or <success/> sent: the state
 * waits for a header again), after which nothing more of the old stream is
 * looked at. */
static fed feed(edd_session *s, const char *p, size_t n)
{
    if (!s->xs) {
        if (!(s->xs = ed_xml_stream_new(&s->c2s->xlim))) {
            edd_session_close(s, EDD_CLOSE_ABORT);
            return FED_CLOSED;
        }
        ed_xml_stream_set_hash_salt(s->xs, s->c2s->xml_salt);
    }
    ed_err e = ed_xml_stream_feed(s->xs, p, n);
    ed_xml_event ev;
    while (e == ED_OK && (e = ed_xml_stream_next(s->xs, &ev)) == ED_OK &&
           ev.type != ED_XML_EV_NONE) {
        if (ev.type == ED_XML_EV_OPEN)
            on_open(s, ev.elem, ev.content_ns);
        else if (ev.type == ED_XML_EV_STANZA)
            on_stanza(s, ev.elem);
        else
            on_close(s);
        if (edd_session_closed(s))
            return FED_CLOSED;
        if (s->state == EDD_SS_TLS_HANDSHAKE || s->state == EDD_SS_AUTH_STREAM)
            return FED_NEW_STREAM;
    }
    if (e != ED_OK) {
        const char *cond = ed_err_stream_condition(e);
        edd_session_stream_error(s, cond ? cond : "not-well-formed",
                                ed_xml_stream_error_detail(s->xs));
        return FED_CLOSED;
    }
    return FED;
}

static void read_input(edd_session *s)
{
    if (s->state == EDD_SS_PROXY && !read_proxy(s))
        return;
    if (s->state == EDD_SS_TLS_HANDSHAKE)
        edd_session_enter(s, EDD_SS_STREAM); /* input: the handshake is done */
    if (s->state != EDD_SS_BOUND &&
        s->c2s->srv->clock() - s->started > s->c2s->handshake_timeout) {
        edd_session_stream_error(s, "connection-timeout", "too slow to log in");
        return;
    }
    const char *p;
    size_t n;
    while ((p = edd_transport_peek(s->t, &n)) != NULL) {
        fed f = feed(s, p, n);
        edd_transport_drain(s->t, n);
        if (f == FED_CLOSED)
            return;
        if (f == FED_NEW_STREAM) {
            /* a new stream starts; nothing of the old one may be left */
            edd_transport_drain(s->t, SIZE_MAX);
            if (s->state == EDD_SS_TLS_HANDSHAKE)
                uncork(s); /* <proceed/> goes out before TLS takes the socket */
            if (ed_xml_stream_reset(s->xs) != ED_OK)
                edd_session_close(s, EDD_CLOSE_ABORT);
            else if (s->state == EDD_SS_TLS_HANDSHAKE &&
                     !edd_transport_start_tls(s->t, s->c2s->ssl, false))
                edd_session_close(s, EDD_CLOSE_ABORT);
            return;
        }
    }
}

static void read_start(edd_session *s)
{
    s->active = true;
    s->parser_idle = false;
    if (s->busy_reads < UINT8_MAX)
        s->busy_reads++;
    cork(s);
}

static void read_done(edd_session *s)
{
    uncork(s);
    /* An unused parser costs several KiB: give its expat state back at
     * once, unless the session is busy (EDD_C2S_BUSY_READS reads within
     * one sweep period once bound, EDD_C2S_BUSY_READS_LOGIN before: it
     * keeps the parser until the sweep finds it quiet).  A login costs a
     * few cheap rebuilds; in return short-lived parsers do not end up
     * strewn between the long-lived blocks of other sessions, which would
     * keep whole pages resident.  A client that trickles its bytes one read
     * at a time before logging in stops paying a rebuild (a re-parse of its
     * stream header) per read after EDD_C2S_BUSY_READS_LOGIN of them. */
    unsigned busy = s->state == EDD_SS_BOUND ? EDD_C2S_BUSY_READS : EDD_C2S_BUSY_READS_LOGIN;
    if (edd_session_stream_open(s) && s->xs && s->busy_reads < busy)
        s->parser_idle = ed_xml_stream_idle(s->xs);
}

/* --- what the transport tells the session -------------------------------- */

static void on_readable(void *arg)
{
    edd_session *s = arg;
    read_start(s);
    read_input(s);
    read_done(s);
}

void edd_session_check_deadline(edd_session *s, int64_t now)
{
    if (s->state >= EDD_SS_BOUND || now - s->started <= s->c2s->handshake_timeout)
        return;
    if (s->state == EDD_SS_PROXY || s->state == EDD_SS_TLS_HANDSHAKE) {
        /* no XML can go out yet: the PROXY header or the TLS handshake is
         * still coming in (one byte at a time, perhaps) */
        char peer[INET6_ADDRSTRLEN + 8];
        edd_log_info("c2s #%llu (%s): %s not done within %lld s, closed",
                    (unsigned long long)s->serial, peer_str(s, peer, sizeof peer),
                    s->state == EDD_SS_PROXY ? "PROXY header" : "TLS handshake",
                    (long long)s->c2s->handshake_timeout);
        edd_session_close(s, EDD_CLOSE_ABORT);
        return;
    }
    edd_session_stream_error(s, "connection-timeout", "too slow to log in");
}

static void on_connected(void *arg)
{
    edd_session *s = arg; /* TLS handshake done */
    if (s->state == EDD_SS_TLS_HANDSHAKE)
        edd_session_enter(s, EDD_SS_STREAM);
}

static void on_timeout(void *arg)
{
    edd_session *s = arg;
    edd_session_stream_error(s, "connection-timeout",
                            s->state == EDD_SS_BOUND ? "idle for too long" : "too slow to log in");
}

static void on_closed(void *arg, const char *why)
{
    edd_session *s = arg;
    if (why) {
        char p[64];
        edd_log_debug("c2s %s: %s", peer_str(s, p, sizeof p), why);
    }
    edd_session_close(s, EDD_CLOSE_ABORT); /* EOF or error */
}

static const edd_transport_cbs session_cbs = {
    .readable = on_readable,
    .connected = on_connected,
    .timeout = on_timeout,
    .closed = on_closed,
};
