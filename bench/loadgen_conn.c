/* bench/loadgen_conn.c — the wire side of the load generator.
 *
 * c2s: connect, open the stream, STARTTLS when asked (no certificate check:
 * loopback benchmark against self-signed test certificates), SASL through
 * libgsasl (PLAIN when the server offers it, else SCRAM), a new stream, bind
 * "r<idx>", the legacy session when it is not optional; then every iq
 * result/error goes to lg_reply().  Once a connection is ready and its
 * parser is between stanzas, replies are read by the scanner of
 * loadgen_scan.c ("fast mode"); whatever it does not recognise goes back
 * through the real parser.
 *
 * component: listen on 127.0.0.1:PORT, accept ONE link (extdiscod is the
 * XEP-0114 component and connects to us), answer its stream header with an
 * id, check <handshake/> = hex(SHA-1(id + secret)), then the link carries
 * the virtual clients' requests.
 *
 * WebSocket (--ws PATH): the same c2s login and requests, each stanza one
 * RFC 7395 message (loadgen_ws.c does the HTTP Upgrade and the frames);
 * the server's <open/> and <close/> become the stream header and end the
 * parser expects, and in fast mode each message is one scanner input. */
#include <arpa/inet.h>
#include <event2/bufferevent_ssl.h>
#include <event2/buffer.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/rand.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>

#include "loadgen.h"


__attribute__((format(printf, 2, 3))) static void fail(lg_conn *c, const char *fmt, ...)
{
    char why[200];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(why, sizeof why, fmt, ap);
    va_end(ap);
    if (c->st != ST_DEAD) {
        c->st = ST_DEAD;
        lg_conn_failed(c->g, c, why);
    }
    c->closed = true;
}

void lg_conn_fail(lg_conn *c, const char *fmt, ...)
{
    char why[200];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(why, sizeof why, fmt, ap);
    va_end(ap);
    fail(c, "%s", why);
}

void lg_send(lg_conn *c, const char *data, size_t n)
{
    if (c->bev && !c->closed) {
        if (c->ws)
            lg_ws_send(c, data, n);
        else
            bufferevent_write(c->bev, data, n);
    }
}

__attribute__((format(printf, 2, 3))) static void sendf(lg_conn *c, const char *fmt, ...)
{
    char buf[1024];
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(buf, sizeof buf, fmt, ap);
    va_end(ap);
    if (n > 0 && (size_t)n < sizeof buf)
        lg_send(c, buf, (size_t)n);
}

void lg_conn_close(lg_conn *c)
{
    if (c->bev) {
        bufferevent_free(c->bev);
        c->bev = NULL;
    }
    if (c->xs) {
        ed_xml_stream_free(c->xs);
        c->xs = NULL;
    }
    if (c->sasl) {
        gsasl_finish(c->sasl);
        c->sasl = NULL;
    }
    lg_ws_free(c);
    free(c->sbuf);
    c->sbuf = NULL;
    c->slen = 0;
    c->fast = false;
    c->closed = true;
}

static void send_header(lg_conn *c)
{
    if (c->ws) {
        sendf(c, "<open xmlns='" ED_NS_FRAMING "' to='%s' version='1.0'/>", c->g->o.domain);
        return;
    }
    sendf(c, "<?xml version='1.0'?><stream:stream to='%s' version='1.0' "
             "xmlns='jabber:client' xmlns:stream='http://etherx.jabber.org/streams'>",
          c->g->o.domain);
}

/* --- SASL ---------------------------------------------------------------- */

static const char *pick_mech(lg_conn *c, const ed_elem *feat)
{
    const char *want = c->g->o.mech;
    static const char *const pref[] = {"PLAIN", "SCRAM-SHA-256", "SCRAM-SHA-1"};
    ed_elem *ms = ed_elem_child(feat, "mechanisms", ED_NS_SASL);
    if (!ms)
        return NULL;
    for (size_t i = 0; i < sizeof pref / sizeof pref[0]; i++) {
        if (strcmp(want, "auto") != 0 && strcmp(want, pref[i]) != 0)
            continue;
        for (ed_elem *m = ed_elem_child(ms, "mechanism", ED_NS_SASL); m;
             m = ed_elem_next(m, "mechanism", ED_NS_SASL)) {
            const char *t = ed_elem_text(m);
            if (t && strcmp(t, pref[i]) == 0)
                return pref[i];
        }
    }
    return NULL;
}

static void sasl_start(lg_conn *c, const ed_elem *feat)
{
    const char *mech = pick_mech(c, feat);
    char *out = NULL;
    if (!mech) {
        fail(c, "no usable SASL mechanism (wanted %s)", c->g->o.mech);
        return;
    }
    if (gsasl_client_start(c->g->gsasl, mech, &c->sasl) != GSASL_OK) {
        fail(c, "gsasl_client_start %s failed", mech);
        return;
    }
    gsasl_property_set(c->sasl, GSASL_AUTHID, c->user);
    gsasl_property_set(c->sasl, GSASL_PASSWORD, c->g->o.pass);
    int rc = gsasl_step64(c->sasl, "", &out);
    if (rc != GSASL_OK && rc != GSASL_NEEDS_MORE) {
        fail(c, "SASL %s: first step failed", mech);
        return;
    }
    sendf(c, "<auth xmlns='" ED_NS_SASL "' mechanism='%s'>%s</auth>", mech,
          out && *out ? out : "=");
    gsasl_free(out);
    c->st = ST_AUTH;
}

static void sasl_step(lg_conn *c, ed_elem *st)
{
    const char *t = ed_elem_text(st);
    char *out = NULL;
    int rc = gsasl_step64(c->sasl, t ? t : "", &out);
    if (strcmp(st->name, "challenge") == 0) {
        if (rc != GSASL_OK && rc != GSASL_NEEDS_MORE) {
            fail(c, "SASL step failed: %s", gsasl_strerror(rc));
        } else {
            sendf(c, "<response xmlns='" ED_NS_SASL "'>%s</response>", out && *out ? out : "");
        }
    } else if (t && *t && rc != GSASL_OK) {
        fail(c, "SASL success but server proof rejected: %s", gsasl_strerror(rc));
    }
    gsasl_free(out);
}

/* --- c2s stanzas ----------------------------------------------------------- */

static bool is_iq_reply(const ed_elem *st)
{
    const char *ty = ed_elem_attr(st, "type");
    return strcmp(st->name, "iq") == 0 && ty &&
           (strcmp(ty, "result") == 0 || strcmp(ty, "error") == 0);
}

/* An iq get/set from the server (a ping, say): answer so it never waits. */
static void answer_request(lg_conn *c, const ed_elem *st)
{
    const char *id = ed_elem_attr(st, "id"), *from = ed_elem_attr(st, "from");
    char buf[600];
    int n;
    if (!id || strlen(id) > 200 || (from && strlen(from) > 200))
        return;
    if (c->g->o.component) {
        const char *to = ed_elem_attr(st, "to");
        n = snprintf(buf, sizeof buf, "<iq type='result' id='%s' to='%s' from='%s'/>", id,
                     from ? from : "", to ? to : c->g->o.domain);
    } else {
        n = snprintf(buf, sizeof buf,
                     "<iq type='error' id='%s'%s%s%s><error type='cancel'>"
                     "<service-unavailable xmlns='" ED_NS_STANZAS "'/></error></iq>",
                     id, from ? " to='" : "", from ? from : "", from ? "'" : "");
    }
    if (n > 0 && (size_t)n < sizeof buf)
        lg_send(c, buf, (size_t)n);
}

/* A reply that came through the real parser: the same checks as the scanner's. */
static void reply_tree(lg_conn *c, ed_elem *st)
{
    lg_scan_info r = {.result = strcmp(ed_elem_attr(st, "type"), "result") == 0};
    ed_elem *ch = ed_elem_first(st);
    if ((r.id = ed_elem_attr(st, "id")))
        r.id_len = strlen(r.id);
    if (ch && ch->name) {
        r.child = ch->name;
        r.child_len = strlen(ch->name);
        r.child_ns = ch->ns;
        r.child_ns_len = ch->ns ? strlen(ch->ns) : 0;
        for (ed_elem *g = ed_elem_first(ch); g; g = ed_elem_next(g, NULL, NULL)) {
            if (!g->name)
                continue;
            if (strcmp(g->name, "service") == 0) {
                r.services++;
                r.services_pw += ed_elem_attr(g, "password") != NULL;
            } else if (strcmp(g->name, "ip") == 0) {
                r.ips++;
            }
        }
    }
    char *raw = ed_xml_to_string(st, ED_NS_CLIENT);
    lg_reply(c->g, c, &r, raw, raw ? strlen(raw) : 0);
    free(raw);
}

static void c2s_stanza(lg_conn *c, ed_elem *st)
{
    bool features = strcmp(st->name, "features") == 0 && strcmp(st->ns, ED_NS_STREAMS) == 0;
    switch (c->st) {
    case ST_OPEN1:
        if (!features)
            break;
        if (c->g->o.tls && !c->tls_on) {
            if (!ed_elem_child(st, "starttls", ED_NS_TLS)) {
                fail(c, "server offers no STARTTLS");
                break;
            }
            sendf(c, "<starttls xmlns='" ED_NS_TLS "'/>");
            c->st = ST_STARTTLS;
        } else {
            sasl_start(c, st);
        }
        break;
    case ST_STARTTLS:
        if (strcmp(st->name, "proceed") == 0)
            c->want_tls = true;
        else
            fail(c, "STARTTLS refused: <%s/>", st->name);
        break;
    case ST_AUTH:
        if (strcmp(st->name, "challenge") == 0) {
            sasl_step(c, st);
        } else if (strcmp(st->name, "success") == 0) {
            sasl_step(c, st);
            if (c->st == ST_DEAD)
                break;
            gsasl_finish(c->sasl);
            c->sasl = NULL;
            c->want_reset = true;
            send_header(c);
            c->st = ST_OPEN2;
        } else {
            ed_elem *cond = ed_elem_first(st);
            fail(c, "SASL failure: %s", cond && cond->name ? cond->name : st->name);
        }
        break;
    case ST_OPEN2: {
        if (!features)
            break;
        char res[16];
        snprintf(res, sizeof res, "r%d", c->idx);
        ed_elem *sess = ed_elem_child(st, "session", ED_NS_SESSION);
        c->want_session = sess && !ed_elem_child(sess, "optional", NULL);
        sendf(c, "<iq type='set' id='bind1'><bind xmlns='" ED_NS_BIND "'><resource>%s"
                 "</resource></bind></iq>", res);
        c->st = ST_BIND;
        break;
    }
    case ST_BIND:
    case ST_SESSION: {
        const char *id = ed_elem_attr(st, "id"), *ty = ed_elem_attr(st, "type");
        if (!is_iq_reply(st) || !id || (strcmp(id, "bind1") && strcmp(id, "sess1")))
            break;
        if (strcmp(ty, "result") != 0) {
            fail(c, "%s refused", c->st == ST_BIND ? "bind" : "session");
        } else if (c->st == ST_BIND && c->want_session) {
            sendf(c, "<iq type='set' id='sess1'><session xmlns='" ED_NS_SESSION "'/></iq>");
            c->st = ST_SESSION;
        } else {
            c->st = ST_READY;
            lg_conn_ready(c->g, c);
        }
        break;
    }
    case ST_READY:
        if (is_iq_reply(st))
            reply_tree(c, st);
        else if (strcmp(st->name, "iq") == 0)
            answer_request(c, st);
        break;
    default:
        break;
    }
}

/* --- component link (we are the server) ---------------------------------- */

static void comp_open(lg_conn *c, const ed_elem *hdr, const char *ns)
{
    const char *to = ed_elem_attr(hdr, "to");
    unsigned char rnd[8];
    if (strcmp(ns, ED_NS_COMPONENT) != 0) {
        fail(c, "component stream namespace is '%s'", ns);
        return;
    }
    if (c->g->o.comp_jid && (!to || strcmp(to, c->g->o.comp_jid) != 0)) {
        fail(c, "component asked for to='%s'", to);
        return;
    }
    if (RAND_bytes(rnd, sizeof rnd) != 1) {
        fail(c, "RAND_bytes failed");
        return;
    }
    for (size_t i = 0; i < sizeof rnd; i++)
        snprintf(c->stream_id + 2 * i, 3, "%02x", rnd[i]);
    sendf(c, "<?xml version='1.0'?><stream:stream xmlns:stream='http://etherx.jabber.org/"
             "streams' xmlns='jabber:component:accept' from='%s' id='%s'>",
          to ? to : c->g->o.domain, c->stream_id);
    c->st = ST_COMP_HANDSHAKE;
}

static bool handshake_ok(lg_conn *c, const char *got)
{
    unsigned char md[EVP_MAX_MD_SIZE];
    unsigned int mdlen = 0;
    char hex[2 * EVP_MAX_MD_SIZE + 1], in[256];
    int n = snprintf(in, sizeof in, "%s%s", c->stream_id, c->g->o.secret);
    if (n <= 0 || (size_t)n >= sizeof in ||
        EVP_Digest(in, (size_t)n, md, &mdlen, EVP_sha1(), NULL) != 1)
        return false;
    for (unsigned i = 0; i < mdlen; i++)
        snprintf(hex + 2 * i, 3, "%02x", md[i]);
    return got && strcasecmp(got, hex) == 0;
}

static void comp_stanza(lg_conn *c, ed_elem *st)
{
    if (c->st == ST_COMP_HANDSHAKE) {
        if (strcmp(st->name, "handshake") != 0)
            return;
        if (!handshake_ok(c, ed_elem_text(st))) {
            sendf(c, "<stream:error><not-authorized xmlns='" ED_NS_STREAMERR
                     "'/></stream:error></stream:stream>");
            fail(c, "component handshake digest wrong");
            return;
        }
        sendf(c, "<handshake/>");
        c->st = ST_READY;
        lg_link_ready(c->g, c);
    } else if (c->st == ST_READY) {
        if (is_iq_reply(st))
            reply_tree(c, st);
        else if (strcmp(st->name, "iq") == 0)
            answer_request(c, st);
    }
}

/* --- parser events and libevent glue -------------------------------------- */

static void on_open(lg_conn *c, const ed_elem *hdr, const char *ns)
{
    if (c->st == ST_COMP_OPEN)
        comp_open(c, hdr, ns);
}

static void on_stanza(lg_conn *c, ed_elem *st)
{
    if (st->name && strcmp(st->name, "error") == 0 && strcmp(st->ns, ED_NS_STREAMS) == 0) {
        ed_elem *cond = ed_elem_first(st);
        fail(c, "stream error: %s", cond && cond->name ? cond->name : "?");
    } else if (c->st != ST_DEAD && st->name) {
        if (c->g->o.component)
            comp_stanza(c, st);
        else
            c2s_stanza(c, st);
    }
    ed_elem_free(st);
}

static void on_close(lg_conn *c)
{
    if (!c->g->done)
        fail(c, "server closed the stream");
}

/* n bytes from the server to the parser, then its events one at a time,
 * until a new stream is due (want_reset, want_tls: what follows belongs to
 * it) or the connection is done.  The parser's error, if any. */
static ed_err feed_events(lg_conn *c, const char *p, size_t n)
{
    ed_err e = ed_xml_stream_feed(c->xs, p, n);
    ed_xml_event ev;
    while (!e && !c->closed && !c->want_reset && !c->want_tls &&
           (e = ed_xml_stream_next(c->xs, &ev)) == ED_OK && ev.type) {
        if (ev.type == ED_XML_EV_OPEN)
            on_open(c, ev.elem, ev.content_ns);
        else if (ev.type == ED_XML_EV_STANZA)
            on_stanza(c, ev.elem);
        else
            on_close(c);
    }
    return e;
}

static void read_cb(struct bufferevent *bev, void *ud);
static void event_cb(struct bufferevent *bev, short what, void *ud);

static void start_tls(lg_conn *c)
{
    SSL *ssl = SSL_new(c->g->ssl);
    struct bufferevent *f;
    if (!ssl) {
        fail(c, "SSL_new failed");
        return;
    }
    SSL_set_tlsext_host_name(ssl, c->g->o.domain);
    f = bufferevent_openssl_filter_new(c->g->base, c->bev, ssl, BUFFEREVENT_SSL_CONNECTING,
                                       BEV_OPT_CLOSE_ON_FREE);
    if (!f) {
        SSL_free(ssl);
        fail(c, "TLS filter failed");
        return;
    }
    bufferevent_openssl_set_allow_dirty_shutdown(f, 1);
    c->bev = f;
    c->tls_on = true;
    bufferevent_setcb(f, read_cb, NULL, event_cb, c);
    bufferevent_enable(f, EV_READ | EV_WRITE);
    if (ed_xml_stream_reset(c->xs) != ED_OK) {
        fail(c, "parser reset failed");
        return;
    }
    c->st = ST_OPEN1;
    send_header(c);
}

/* Fast mode: scan what is buffered; false when the rest must go through the
 * real parser (then c->fast is false). */
static void scan_buffered(lg_conn *c)
{
    size_t pos = 0, used;
    lg_scan_info r;
    while (!c->closed && c->fast) {
        while (pos < c->slen && (c->sbuf[pos] == ' ' || c->sbuf[pos] == '\n' ||
                                 c->sbuf[pos] == '\t' || c->sbuf[pos] == '\r'))
            pos++;
        if (pos == c->slen)
            break;
        lg_scan_res res = lg_scan_stanza(c->sbuf + pos, c->slen - pos, &r, &used);
        if (res == LG_SCAN_IQ_REPLY) {
            lg_reply(c->g, c, &r, c->sbuf + pos, used);
            pos += used;
        } else if (res == LG_SCAN_MORE) {
            if (pos == 0 && c->slen == LG_SBUF_SIZE)
                fail(c, "reply larger than %d bytes", LG_SBUF_SIZE);
            break;
        } else { /* the real parser takes everything from here on */
            ed_err e = feed_events(c, c->sbuf + pos, c->slen - pos);
            if (e != ED_OK && !c->closed)
                fail(c, "XML from server: %s", ed_xml_stream_error_detail(c->xs));
            c->g->slow++;
            pos = c->slen;
            c->fast = !c->closed && ed_xml_stream_idle(c->xs) == 1;
        }
    }
    memmove(c->sbuf, c->sbuf + pos, c->slen - pos);
    c->slen -= pos;
}

/* --- WebSocket messages (loadgen_ws.c calls these) ------------------------ */

void lg_conn_ws_open(lg_conn *c)
{
    c->st = ST_OPEN1;
    send_header(c);
}

/* the element name a message starts with, after blanks and an XML
 * declaration: does it start with <NAME followed by a blank, / or >? */
static bool msg_is(const char *p, size_t n, const char *name)
{
    size_t i = 0, nl = strlen(name);
    while (i < n && (p[i] == ' ' || p[i] == '\n' || p[i] == '\r' || p[i] == '\t'))
        i++;
    if (n - i > 5 && memcmp(p + i, "<?xml", 5) == 0) {
        const char *e = memmem(p + i, n - i, "?>", 2);
        if (!e)
            return false;
        i = (size_t)(e - p) + 2;
        while (i < n && (p[i] == ' ' || p[i] == '\n' || p[i] == '\r' || p[i] == '\t'))
            i++;
    }
    return n - i > nl + 1 && p[i] == '<' && memcmp(p + i + 1, name, nl) == 0 &&
           strchr(" \t\r\n/>", p[i + 1 + nl]) != NULL;
}

void lg_ws_message(lg_conn *c, const char *p, size_t n)
{
    static const char header[] = "<stream:stream xmlns='jabber:client' "
                                 "xmlns:stream='http://etherx.jabber.org/streams' version='1.0'>";
    static const char end[] = "</stream:stream>";
    lg_scan_info r;
    size_t used;
    ed_err e;
    if (c->closed)
        return;
    if (!p || msg_is(p, n, "close")) {
        e = feed_events(c, end, sizeof end - 1);
        if (!c->closed) /* after our own close: nothing more to read */
            fail(c, "server closed the WebSocket stream");
        return;
    }
    if (msg_is(p, n, "open")) {
        e = feed_events(c, header, sizeof header - 1);
    } else if (c->fast && lg_scan_stanza(p, n, &r, &used) == LG_SCAN_IQ_REPLY && used == n) {
        lg_reply(c->g, c, &r, p, n);
        return;
    } else {
        if (c->fast)
            c->g->slow++;
        e = feed_events(c, p, n);
    }
    if (e != ED_OK && !c->closed)
        fail(c, "XML from server: %s", ed_xml_stream_error_detail(c->xs));
    if (c->closed)
        return;
    if (c->want_reset) {
        c->want_reset = false;
        if (ed_xml_stream_reset(c->xs) != ED_OK)
            fail(c, "parser reset failed");
    }
    /* ready and between stanzas: from now on the scanner reads */
    c->fast = c->st == ST_READY && c->sbuf && ed_xml_stream_idle(c->xs) == 1;
}

static void read_cb(struct bufferevent *bev, void *ud)
{
    lg_conn *c = ud;
    struct evbuffer *in = bufferevent_get_input(bev);
    char buf[16384];
    if (c->ws) {
        lg_ws_read(c, in);
        if (c->closed)
            lg_conn_close(c);
        return;
    }
    for (int guard = 0; guard < 4096 && !c->closed; guard++) {
        if (c->fast) {
            int n = evbuffer_remove(in, c->sbuf + c->slen, LG_SBUF_SIZE - c->slen);
            if (n <= 0)
                break;
            c->slen += (size_t)n;
            scan_buffered(c);
            continue;
        }
        int n = evbuffer_remove(in, buf, sizeof buf);
        if (n <= 0)
            break;
        ed_err e = feed_events(c, buf, (size_t)n);
        if (e != ED_OK && !c->closed)
            fail(c, "XML from server: %s", ed_xml_stream_error_detail(c->xs));
        if (c->closed)
            break;
        if (c->want_reset) {
            c->want_reset = false;
            if (ed_xml_stream_reset(c->xs) != ED_OK)
                fail(c, "parser reset failed");
        }
        if (c->want_tls) {
            c->want_tls = false;
            start_tls(c);
            return;
        }
        /* ready and between stanzas: from now on the scanner reads */
        if (c->st == ST_READY && !c->closed && c->sbuf && ed_xml_stream_idle(c->xs) == 1)
            c->fast = true;
    }
    if (c->closed)
        lg_conn_close(c);
}

static void event_cb(struct bufferevent *bev, short what, void *ud)
{
    lg_conn *c = ud;
    if (what & BEV_EVENT_CONNECTED) {
        int one = 1;
        setsockopt(bufferevent_getfd(bev), IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
        if (c->st == ST_IDLE && c->ws) {
            lg_ws_handshake(c);
        } else if (c->st == ST_IDLE) {
            c->st = ST_OPEN1;
            send_header(c);
        }
        return;
    }
    if (what & (BEV_EVENT_EOF | BEV_EVENT_ERROR)) {
        unsigned long e = bufferevent_get_openssl_error(bev);
        char detail[160] = "";
        if (e)
            ERR_error_string_n(e, detail, sizeof detail);
        else if (what & BEV_EVENT_ERROR)
            snprintf(detail, sizeof detail, "%s", strerror(EVUTIL_SOCKET_ERROR()));
        if (!c->g->done)
            fail(c, "%s %s", what & BEV_EVENT_EOF ? "connection closed by server" : "connection error",
                 detail);
        lg_conn_close(c);
    }
}

static int conn_setup(lg_conn *c, struct bufferevent *bev)
{
    c->bev = bev;
    c->xs = ed_xml_stream_new(NULL);
    if (!c->xs)
        return -1;
    /* the idle memory test keeps its connections lean: no scan buffer */
    if (!c->g->o.idle && !(c->sbuf = malloc(LG_SBUF_SIZE)))
        return -1;
    if (c->g->o.ws_path && !c->g->o.component && lg_ws_init(c) != 0)
        return -1;
    bufferevent_setcb(bev, read_cb, NULL, event_cb, c);
    bufferevent_enable(bev, EV_READ | EV_WRITE);
    return 0;
}

int lg_conn_start(lg *g, lg_conn *c)
{
    struct sockaddr_storage ss;
    int sslen = sizeof ss;
    char addr[128];
    struct bufferevent *bev;
    snprintf(addr, sizeof addr, strchr(g->o.host, ':') ? "[%s]:%d" : "%s:%d", g->o.host,
             g->o.port);
    if (evutil_parse_sockaddr_port(addr, (struct sockaddr *)&ss, &sslen) != 0)
        return -1;
    bev = bufferevent_socket_new(g->base, -1, BEV_OPT_CLOSE_ON_FREE);
    if (!bev || conn_setup(c, bev) != 0)
        return -1;
    c->st = ST_IDLE;
    if (bufferevent_socket_connect(bev, (struct sockaddr *)&ss, sslen) != 0)
        return -1;
    return 0;
}

static void accept_cb(struct evconnlistener *l, evutil_socket_t fd, struct sockaddr *sa,
                      int salen, void *ud)
{
    lg *g = ud;
    lg_conn *c = &g->conns[0];
    struct bufferevent *bev;
    int one = 1;
    if (c->bev || c->st != ST_IDLE) { /* one link only */
        evutil_closesocket(fd);
        return;
    }
    setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    bev = bufferevent_socket_new(g->base, fd, BEV_OPT_CLOSE_ON_FREE);
    if (!bev || conn_setup(c, bev) != 0) {
        fail(c, "cannot set up the component link");
        return;
    }
    c->st = ST_COMP_OPEN;
}

int lg_listen(lg *g)
{
    struct sockaddr_in sin = {.sin_family = AF_INET, .sin_port = htons((uint16_t)g->o.port)};
    inet_pton(AF_INET, "127.0.0.1", &sin.sin_addr);
    g->listener = evconnlistener_new_bind(g->base, accept_cb, g,
                                          LEV_OPT_CLOSE_ON_FREE | LEV_OPT_REUSEABLE, 16,
                                          (struct sockaddr *)&sin, sizeof sin);
    return g->listener ? 0 : -1;
}
