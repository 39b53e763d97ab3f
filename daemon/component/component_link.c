/* daemon/component/component_link.c — XEP-0114 links to host servers: connect, open
 * the jabber:component:accept stream, handshake (lower-case hex
 * SHA-1(stream id + secret)), whitespace keepalive, and reconnect with
 * capped exponential backoff (1 s doubling to 60 s; started over only after
 * a link stayed up EDD_LINK_STABLE_SECS) and jitter from the OS when the link
 * drops, the server restarts, the handshake is refused or the server sends
 * bad XML.  What arrives on a ready link is component.c's.
 *
 * One state per link (edd_link_state), changed only by link_enter() (logged
 * at debug level); one way down, edd_link_fail() (teardown, then a
 * reconnect).  The parser hands its events back (ed_xml_stream_next), so
 * an event that ends the link drops it right there, after the parser has
 * returned: no flags carried across a feed. */
#include <errno.h>
#include <limits.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <event2/event.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>

#include "component/component_int.h"
#include "core/io.h"
#include "core/log.h"

static void link_connect(edd_link *l);
static void swap_parser(edd_link *l);

static bool on_open(edd_link *l, const ed_elem *header, const char *content_ns);
static bool on_stanza(edd_link *l, ed_elem *stanza);

static const char *const link_state_names[] = {
    [EDD_LINK_WAITING] = "waiting",     [EDD_LINK_CONNECTING] = "connecting",
    [EDD_LINK_OPENING] = "opening",     [EDD_LINK_HANDSHAKE] = "handshake",
    [EDD_LINK_READY] = "ready",
};

/* The one state change of a link (logged at debug level). */
static void link_enter(edd_link *l, edd_link_state to)
{
    if (l->state == to)
        return;
    if (edd_log_get_level() >= EDD_LOG_DEBUG)
        edd_log_debug("component %s: %s -> %s", l->jid, link_state_names[l->state],
                     link_state_names[to]);
    l->state = to;
}

static ed_xml_limits link_limits(const edd_server *s)
{
    ed_xml_limits lim = ed_xml_limits_default();
    const edd_cfg_limits *c = &s->cfg->limits;
    size_t max = c->max_stanza_bytes > 0 ? (size_t)c->max_stanza_bytes : lim.max_stanza_bytes;
    /* The server's wrapping adds a little; its own client limits apply
     * before; keep the parser's bound well above the request bound. */
    lim.max_stanza_bytes = max * 4 > EDD_LINK_MIN_PARSER_BYTES ? max * 4 : EDD_LINK_MIN_PARSER_BYTES;
    lim.max_text_bytes = lim.max_stanza_bytes;
    /* The server is authenticated and the bytes bound the memory: a client's
     * stanza over the request limits for depth or attributes must not break
     * the stream (component.c answers it with policy-violation).  No element
     * or attribute takes less than a byte: these never fail first. */
    unsigned loose = lim.max_stanza_bytes > UINT_MAX ? UINT_MAX : (unsigned)lim.max_stanza_bytes;
    lim.max_depth = loose;
    lim.max_attrs = loose;
    return lim;
}

static bool same_limits(const ed_xml_limits *a, const ed_xml_limits *b)
{
    return a->max_stanza_bytes == b->max_stanza_bytes && a->max_depth == b->max_depth &&
           a->max_attrs == b->max_attrs && a->max_text_bytes == b->max_text_bytes;
}

static int64_t mono_secs(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec;
}

static unsigned jitter(unsigned secs_ms)
{
    uint32_t r = 0;
    if (getrandom(&r, sizeof r, GRND_NONBLOCK) != (ssize_t)sizeof r)
        r = (uint32_t)rand(); /* entropy pool not ready: still spreads */
    return secs_ms ? r % secs_ms : 0;
}

/* Close the socket and parser; the link object stays. */
static void link_teardown(edd_link *l)
{
    edd_server *s = l->set->s;
    if (l->state == EDD_LINK_READY)
        edd_pushes_forget_owner(s->pushes, l);
    if (l->rev) {
        event_free(l->rev);
        l->rev = NULL;
    }
    if (l->bev) {
        bufferevent_free(l->bev);
        l->bev = NULL;
    }
    if (l->keepalive)
        event_del(l->keepalive);
    if (l->deleg_check)
        event_del(l->deleg_check);
    edd_link_probe_stop(l);
    if (l->retry)
        event_del(l->retry);
    link_enter(l, EDD_LINK_WAITING);
}

/* A link ready for EDD_LINK_DELEGATION_WARN_SECS that no request reached by
 * delegation and no delegation advertisement named: clients asking their
 * own server get service-unavailable, and nothing else would say why. */
static void on_deleg_check(evutil_socket_t fd, short what, void *arg)
{
    (void)fd;
    (void)what;
    edd_link *l = arg;
    if (l->state != EDD_LINK_READY || l->delegated)
        return;
    edd_log_warn("component %s: connected to %s:%d for %d s, but the server has not delegated "
                "urn:xmpp:extdisco:2 to it: clients asking their own server for STUN/TURN "
                "services get service-unavailable. Check the host server: Prosody needs "
                "modules_enabled = { \"delegation\"; \"privilege\" } on this Component "
                "(prosody-modules) and the namespaces in its delegations; ejabberd needs "
                "mod_delegation with urn:xmpp:extdisco:2 and :1 for this component, and "
                "mod_privilege (examples/prosody, examples/ejabberd)",
                l->jid, l->host, l->port, EDD_LINK_DELEGATION_WARN_SECS);
}

static void schedule_reconnect(edd_link *l)
{
    /* delay in [b/2, b] with b = backoff (capped), then double b. */
    unsigned b = l->backoff ? l->backoff : EDD_LINK_BACKOFF_MIN;
    unsigned ms = b * 1000u / 2 + jitter(b * 1000u / 2 + 1);
    if (l->relink) {
        /* the probe found the delegation lost: a new handshake restores it
         * (not the backoff: the link was fine) */
        l->relink = false;
        ms = EDD_LINK_RELINK_DELAY_MS;
        b = 0;
    }
    struct timeval tv = {ms / 1000, (ms % 1000) * 1000};
    l->backoff = b * 2 > EDD_LINK_BACKOFF_MAX ? EDD_LINK_BACKOFF_MAX : b * 2;
    link_enter(l, EDD_LINK_WAITING);
    event_add(l->retry, &tv);
    edd_log_info("component %s: reconnecting to %s:%d in %u.%03u s", l->jid, l->host,
                l->port, ms / 1000, ms % 1000);
}

void edd_link_fail(edd_link *l, const char *why)
{
    /* A link that worked for a while starts the backoff over; one the
     * server closes right after the handshake keeps doubling it. */
    if (l->state == EDD_LINK_READY && mono_secs() - l->ready_since >= EDD_LINK_STABLE_SECS)
        l->backoff = 0;
    if (why)
        edd_log_warn("component %s: link to %s:%d lost: %s", l->jid, l->host, l->port, why);
    link_teardown(l);
    schedule_reconnect(l);
}

static void on_retry(evutil_socket_t fd, short what, void *arg)
{
    edd_link *l = arg;
    if (l->state == EDD_LINK_WAITING) {
        link_connect(l);
    } else if (l->state != EDD_LINK_READY) {
        /* the handshake timer ran out */
        edd_link_fail(l, "no handshake within the handshake timeout");
    }
}

static void on_keepalive(evutil_socket_t fd, short what, void *arg)
{
    edd_link *l = arg;
    if (l->state == EDD_LINK_READY && l->bev &&
        evbuffer_get_length(bufferevent_get_output(l->bev)) == 0)
        bufferevent_write(l->bev, " ", 1);
}

/* Corking: while on_read parses, what the link sends is gathered in l->out
 * and written with one send(2) at the end (the rest, if the socket does not
 * take it all, through the bufferevent).  Through the bufferevent alone every
 * read cost an epoll_ctl to watch for writability, a loop turn, a writev
 * and an epoll_ctl to stop watching. */
static void uncork(edd_link *l)
{
    ed_buf *b = &l->out;
    l->corked = false;
    edd_io_send(l->bev, true, b->data, b->len);
    ed_buf_reset_trim(b, 256u * 1024); /* a big burst: not kept */
}

static void write_raw(edd_link *l, const char *p, size_t n)
{
    if (!l->bev)
        return;
    if (l->corked && ed_buf_append(&l->out, p, n) == ED_OK)
        return;
    bufferevent_write(l->bev, p, n);
}

void edd_link_send(edd_link *l, const ed_elem *stanza)
{
    if (l->state != EDD_LINK_READY || !l->bev) {
        edd_log_debug("component %s: link not ready, %s dropped", l->jid, stanza->name);
        return;
    }
    size_t queued = evbuffer_get_length(bufferevent_get_output(l->bev)) + l->out.len;
    if (queued > EDD_LINK_MAX_OUTPUT) {
        edd_log_warn("component %s: server not reading (%zu bytes queued), %s dropped",
                    l->jid, queued, stanza->name);
        return;
    }
    /* Written in its own namespace: no xmlns on the top element, so the
     * server reads it in the stream's jabber:component:accept. */
    size_t before = l->out.len;
    if (ed_xml_write(&l->out, stanza, stanza->ns) != ED_OK) {
        ed_buf_truncate(&l->out, before);
        edd_log_error("component %s: cannot serialise a %s", l->jid, stanza->name);
        return;
    }
    if (!l->corked)
        uncork(l); /* a push or a keepalive: out at once */
}

/* n bytes from the server to the parser, then each event they complete,
 * handled with the parser off the stack.  false when the link was dropped
 * (bad XML, or an event that ends it: what was gathered for the server is
 * not sent). */
static bool feed(edd_link *l, const char *p, size_t n)
{
    ed_err err = ed_xml_stream_feed(l->xs, p, n);
    ed_xml_event ev;
    while (err == ED_OK && (err = ed_xml_stream_next(l->xs, &ev)) == ED_OK && ev.type) {
        bool go_on;
        if (ev.type == ED_XML_EV_OPEN) {
            go_on = on_open(l, ev.elem, ev.content_ns);
        } else if (ev.type == ED_XML_EV_STANZA) {
            go_on = on_stanza(l, ev.elem);
        } else {
            edd_log_warn("component %s: the server closed the stream", l->jid);
            go_on = false;
        }
        if (!go_on) {
            l->corked = false;
            ed_buf_reset(&l->out);
            edd_link_fail(l, NULL);
            return false;
        }
    }
    if (err == ED_OK)
        return true;
    l->corked = false;
    ed_buf_reset(&l->out);
    if (!l->garbage_logged) {
        edd_log_error("component %s: bad XML from the server %s:%d (%s: %s); "
                     "reconnecting",
                     l->jid, l->host, l->port, ed_strerror(err),
                     ed_xml_stream_error_detail(l->xs));
        l->garbage_logged = true;
    }
    edd_link_fail(l, NULL);
    return false;
}

/* A ready link reads with recv(2) into a stack buffer: the bufferevent's
 * evbuffer_read costs an ioctl(FIONREAD) and a copy per read.  EOF and
 * read errors are reported here, write errors still by the bufferevent. */
static void on_raw_read(evutil_socket_t fd, short what, void *arg)
{
    edd_link *l = arg;
    char buf[16384];
    ssize_t n = recv(fd, buf, sizeof buf, 0);
    if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR))
        return;
    if (n <= 0) {
        edd_link_fail(l, n == 0 ? "connection closed by the server"
                               : evutil_socket_error_to_string(EVUTIL_SOCKET_ERROR()));
        return;
    }
    l->corked = true;
    if (feed(l, buf, (size_t)n)) {
        uncork(l);
        if (l->limits_pending)
            swap_parser(l);
    }
}

static void raw_reading(edd_link *l)
{
    if (l->rev || l->state != EDD_LINK_READY || !l->bev ||
        evbuffer_get_length(bufferevent_get_input(l->bev)) > 0)
        return;
    evutil_socket_t fd = bufferevent_getfd(l->bev);
    struct event *ev = fd >= 0 ? event_new(l->set->s->base, fd, EV_READ | EV_PERSIST,
                                           on_raw_read, l)
                               : NULL;
    if (!ev || event_add(ev, NULL) != 0) {
        if (ev)
            event_free(ev);
        return; /* keep reading through the bufferevent */
    }
    l->rev = ev;
    bufferevent_disable(l->bev, EV_READ);
}

static void on_read(struct bufferevent *bev, void *arg)
{
    edd_link *l = arg;
    struct evbuffer *in = bufferevent_get_input(bev);
    struct evbuffer_iovec v;
    l->corked = true;
    while (evbuffer_get_length(in) > 0 && evbuffer_peek(in, -1, NULL, &v, 1) >= 1) {
        bool go_on = feed(l, v.iov_base, v.iov_len);
        if (!go_on)
            return; /* the bufferevent is gone */
        evbuffer_drain(in, v.iov_len);
    }
    uncork(l);
    if (l->limits_pending)
        swap_parser(l);
    raw_reading(l);
}

static void on_event(struct bufferevent *bev, short what, void *arg)
{
    edd_link *l = arg;
    if (what & BEV_EVENT_CONNECTED) {
        int fd = bufferevent_getfd(bev);
        int one = 1;
        setsockopt(fd, SOL_SOCKET, SO_KEEPALIVE, &one, sizeof one);
        setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
        ed_buf h = {0};
        if (ed_buf_puts(&h, "<?xml version='1.0'?><stream:stream xmlns='jabber:component:accept'"
                            " xmlns:stream='http://etherx.jabber.org/streams' to='") ||
            ed_buf_xml_escape(&h, l->jid, strlen(l->jid), 1) || ed_buf_puts(&h, "'>")) {
            ed_buf_free(&h);
            edd_link_fail(l, "out of memory");
            return;
        }
        link_enter(l, EDD_LINK_OPENING);
        write_raw(l, h.data, h.len);
        ed_buf_free(&h);
        return;
    }
    if (what & BEV_EVENT_EOF)
        edd_link_fail(l, "connection closed by the server");
    else if (what & BEV_EVENT_ERROR)
        edd_link_fail(l, evutil_socket_error_to_string(EVUTIL_SOCKET_ERROR()));
    else if (what & BEV_EVENT_TIMEOUT)
        edd_link_fail(l, "timeout");
}

/* The parser for a new stream, with the current limits. */
static bool stream_parser(edd_link *l)
{
    ed_xml_limits lim = link_limits(l->set->s);
    l->limits_pending = false;
    if (same_limits(&lim, &l->lim))
        return ed_xml_stream_reset(l->xs) == ED_OK;
    ed_xml_stream *xs = ed_xml_stream_new(&lim);
    if (!xs)
        return false;
    ed_xml_stream_free(l->xs);
    l->xs = xs;
    l->lim = lim;
    return true;
}

/* After a reload changed the limits: a ready link between two stanzas gets
 * a parser with the new ones at once, primed with a stream header of our
 * own (its OPEN event is taken here); mid-stanza, after a later read; a
 * link not ready, at its next stream (stream_parser). */
static void swap_parser(edd_link *l)
{
    static const char hdr[] = "<stream:stream xmlns='jabber:component:accept'"
                              " xmlns:stream='http://etherx.jabber.org/streams'>";
    ed_xml_limits lim = link_limits(l->set->s);
    if (same_limits(&lim, &l->lim)) {
        l->limits_pending = false;
        return;
    }
    if (l->state != EDD_LINK_READY || ed_xml_stream_idle(l->xs) != 1)
        return; /* later */
    ed_xml_stream *xs = ed_xml_stream_new(&lim);
    ed_xml_event ev;
    bool ok = xs && ed_xml_stream_feed(xs, hdr, sizeof hdr - 1) == ED_OK &&
              ed_xml_stream_next(xs, &ev) == ED_OK && ev.type == ED_XML_EV_OPEN &&
              ed_xml_stream_next(xs, &ev) == ED_OK && ev.type == ED_XML_EV_NONE;
    if (!ok) {
        ed_xml_stream_free(xs); /* out of memory: the old one stays, try later */
        return;
    }
    ed_xml_stream_free(l->xs);
    l->xs = xs;
    l->lim = lim;
    l->limits_pending = false;
    edd_log_info("component %s: new limits in effect (link stanzas up to %zu bytes)", l->jid,
                lim.max_stanza_bytes);
}

static void link_connect(edd_link *l)
{
    edd_server *s = l->set->s;
    struct addrinfo hints = {0}, *res = NULL;
    hints.ai_family = AF_UNSPEC;
    hints.ai_socktype = SOCK_STREAM;
    char port[16];
    snprintf(port, sizeof port, "%d", l->port);
    /* Usually a literal (the server runs beside extdiscod); a name is
     * resolved synchronously, once per attempt. */
    int gai = getaddrinfo(l->host, port, &hints, &res);
    if (gai != 0 || !res) {
        edd_log_warn("component %s: cannot resolve %s: %s", l->jid, l->host, gai_strerror(gai));
        schedule_reconnect(l);
        return;
    }
    if (!stream_parser(l)) {
        freeaddrinfo(res);
        schedule_reconnect(l);
        return;
    }
    l->bev = bufferevent_socket_new(s->base, -1, BEV_OPT_CLOSE_ON_FREE);
    if (!l->bev) {
        freeaddrinfo(res);
        schedule_reconnect(l);
        return;
    }
    bufferevent_setcb(l->bev, on_read, NULL, on_event, l);
    bufferevent_enable(l->bev, EV_READ | EV_WRITE);
    link_enter(l, EDD_LINK_CONNECTING);
    /* One timer covers connect + stream open + handshake. */
    int64_t hs = s->cfg->limits.handshake_timeout > 0 ? s->cfg->limits.handshake_timeout : 30;
    struct timeval tv = {(time_t)hs, 0};
    event_add(l->retry, &tv);
    int rc = bufferevent_socket_connect(l->bev, res->ai_addr, (int)res->ai_addrlen);
    freeaddrinfo(res);
    if (rc != 0)
        edd_link_fail(l, "connect failed");
}

/* --- parser events: false drops the link --------------------------------- */

static bool on_open(edd_link *l, const ed_elem *header, const char *content_ns)
{
    if (l->state != EDD_LINK_OPENING)
        return false;
    const char *id = ed_elem_attr(header, "id");
    if (!id || !*id || strcmp(content_ns, ED_NS_COMPONENT) != 0) {
        edd_log_error("component %s: the server's stream header has %s", l->jid,
                     !id || !*id ? "no id" : "the wrong namespace");
        return false;
    }
    unsigned char md[EVP_MAX_MD_SIZE];
    unsigned mdlen = 0;
    EVP_MD_CTX *c = EVP_MD_CTX_new();
    bool ok = c && EVP_DigestInit_ex(c, EVP_sha1(), NULL) &&
              EVP_DigestUpdate(c, id, strlen(id)) &&
              EVP_DigestUpdate(c, l->secret, strlen(l->secret)) &&
              EVP_DigestFinal_ex(c, md, &mdlen);
    EVP_MD_CTX_free(c);
    if (!ok)
        return false;
    char hs[sizeof "<handshake></handshake>" + 2 * EVP_MAX_MD_SIZE];
    size_t p = (size_t)snprintf(hs, sizeof hs, "<handshake>");
    for (unsigned i = 0; i < mdlen; i++)
        p += (size_t)snprintf(hs + p, sizeof hs - p, "%02x", md[i]);
    p += (size_t)snprintf(hs + p, sizeof hs - p, "</handshake>");
    link_enter(l, EDD_LINK_HANDSHAKE);
    write_raw(l, hs, p);
    OPENSSL_cleanse(hs, sizeof hs);
    return true;
}

static void stream_error(edd_link *l, ed_elem *e)
{
    const char *cond = "undefined-condition";
    const char *text = NULL;
    for (ed_elem *c = ed_elem_first(e); c; c = ed_elem_next(c, NULL, NULL)) {
        if (strcmp(c->ns, ED_NS_STREAMERR) != 0)
            continue;
        if (strcmp(c->name, "text") == 0)
            text = ed_elem_text(c);
        else
            cond = c->name;
    }
    edd_log_error("component %s: stream error from %s:%d: %s%s%s", l->jid, l->host, l->port,
                 cond, text ? ": " : "", text ? text : "");
    if (strcmp(cond, "not-authorized") == 0)
        edd_log_error("component %s: handshake refused: check the secret and the "
                     "component's name in the server configuration", l->jid);
    if (strcmp(cond, "invalid-from") == 0 && !l->push_from_component) {
        /* Prosody (validate_from_addresses) and ejabberd (check_from) refuse
         * stanzas from the served domain unless configured otherwise. */
        edd_log_error("component %s: the server refuses pushes from the user's domain; "
                     "sending them from %s from now on (allow it with "
                     "validate_from_addresses = false in Prosody, check_from: false "
                     "in ejabberd)", l->jid, l->jid);
        l->push_from_component = true;
    }
}

/* The stanza is freed here. */
static bool on_stanza(edd_link *l, ed_elem *stanza)
{
    bool go_on = true;
    if (strcmp(stanza->name, "error") == 0 && strcmp(stanza->ns, ED_NS_STREAMS) == 0) {
        stream_error(l, stanza);
        go_on = false;
    } else if (l->state == EDD_LINK_HANDSHAKE) {
        if (strcmp(stanza->name, "handshake") == 0 && !ed_elem_first(stanza)) {
            link_enter(l, EDD_LINK_READY);
            l->ready_since = mono_secs(); /* backoff reset: edd_link_fail */
            l->garbage_logged = false;
            l->connects++;
            event_del(l->retry);
            struct timeval tv = {EDD_LINK_KEEPALIVE_SECS, 0};
            event_add(l->keepalive, &tv);
            l->delegated = false;
            l->deleg_ns = 0;
            struct timeval dv = {EDD_LINK_DELEGATION_WARN_SECS, 0};
            event_add(l->deleg_check, &dv);
            edd_link_probe_start(l);
            edd_log_info("component %s: connected to %s:%d", l->jid, l->host, l->port);
        } else {
            edd_log_error("component %s: expected <handshake/>, got <%s/>", l->jid,
                         stanza->name);
            go_on = false;
        }
    } else if (l->state == EDD_LINK_READY) {
        edd_link_stanza(l, stanza);
        go_on = !l->relink; /* dropped after the parser returned: feed() */
    } else {
        go_on = false;
    }
    ed_elem_free(stanza);
    return go_on;
}

/* --- set management ------------------------------------------------------ */


/* polite: an open stream is closed with </stream:stream>, written by a
 * closer after l is gone (a bufferevent's output cannot be written by
 * hand: libevent keeps it frozen for its own write callback). */
static void link_free(edd_link *l, bool polite)
{
    if (!l)
        return;
    if (polite && l->bev && l->state >= EDD_LINK_OPENING) {
        static const char close_tag[] = "</stream:stream>";
        if (l->state == EDD_LINK_READY)
            edd_pushes_forget_owner(l->set->s->pushes, l);
        if (l->corked)
            uncork(l);
        bufferevent_write(l->bev, close_tag, sizeof close_tag - 1);
        if (l->rev) {
            event_free(l->rev);
            l->rev = NULL;
        }
        edd_io_close_later(l->set->s->base, l->bev, EDD_LINK_STOP_FLUSH_SECS);
        l->bev = NULL;
        link_enter(l, EDD_LINK_WAITING);
    }
    link_teardown(l);
    if (l->retry)
        event_free(l->retry);
    if (l->keepalive)
        event_free(l->keepalive);
    if (l->deleg_check)
        event_free(l->deleg_check);
    edd_link_probe_free(l);
    ed_xml_stream_free(l->xs);
    ed_buf_free(&l->scratch);
    ed_buf_free(&l->out);
    if (l->secret) {
        OPENSSL_cleanse(l->secret, strlen(l->secret));
        free(l->secret);
    }
    free(l->host);
    free(l->jid);
    free(l);
}

static edd_link *link_new(edd_component_set *set, const edd_cfg_component *c)
{
    edd_link *l = calloc(1, sizeof *l);
    if (!l)
        return NULL;
    l->set = set;
    l->port = c->port;
    l->host = strdup(c->host);
    l->jid = strdup(c->jid);
    l->secret = strdup(c->secret ? c->secret : "");
    l->lim = link_limits(set->s);
    l->xs = ed_xml_stream_new(&l->lim);
    l->retry = evtimer_new(set->s->base, on_retry, l);
    l->keepalive = event_new(set->s->base, -1, EV_PERSIST, on_keepalive, l);
    l->deleg_check = evtimer_new(set->s->base, on_deleg_check, l);
    if (!l->host || !l->jid || !l->secret || !l->xs || !l->retry || !l->keepalive ||
        !l->deleg_check || !edd_link_probe_init(l)) {
        link_free(l, false);
        return NULL;
    }
    return l;
}

static bool same_link(const edd_link *l, const edd_cfg_component *c)
{
    return l->port == c->port && strcmp(l->host, c->host) == 0 &&
           strcmp(l->jid, c->jid) == 0 && strcmp(l->secret, c->secret ? c->secret : "") == 0;
}

edd_component_set *edd_component_start(edd_server *s)
{
    edd_component_set *set = calloc(1, sizeof *set);
    if (!set)
        return NULL;
    set->s = s;
    /* links cannot tell when a requester leaves; presence comes from
     * anyone the host server federates with (pushes.c) */
    edd_pushes_attach(s->pushes, s, edd_link_route_send);
    unsigned n = s->cfg->ncomponents;
    set->links = calloc(n ? n : 1, sizeof *set->links);
    if (!set->links) {
        free(set);
        return NULL;
    }
    for (unsigned i = 0; i < n; i++) {
        edd_link *l = link_new(set, &s->cfg->components[i]);
        if (!l) {
            edd_component_stop(set);
            return NULL;
        }
        set->links[set->n++] = l;
        edd_log_info("component %s: connecting to %s:%d", l->jid, l->host, l->port);
        link_connect(l);
    }
    return set;
}

void edd_component_reconfigure(edd_component_set *set, edd_server *s)
{
    if (!set)
        return;
    set->s = s;
    unsigned n = s->cfg->ncomponents;
    edd_link **nl = calloc(n ? n : 1, sizeof *nl);
    if (!nl) {
        edd_log_error("components: out of memory; keeping the current links");
        return;
    }
    for (unsigned i = 0; i < n; i++) {
        const edd_cfg_component *c = &s->cfg->components[i];
        for (size_t k = 0; k < set->n; k++) {
            if (set->links[k] && same_link(set->links[k], c)) {
                nl[i] = set->links[k];
                set->links[k] = NULL;
                break;
            }
        }
    }
    for (size_t k = 0; k < set->n; k++) {
        if (set->links[k]) {
            edd_log_info("component %s: no longer configured (or changed), closing",
                        set->links[k]->jid);
            link_free(set->links[k], true);
        }
    }
    free(set->links);
    set->links = nl;
    set->n = n;
    for (unsigned i = 0; i < n; i++) {
        if (nl[i]) {
            nl[i]->limits_pending = true; /* new limits: at once if idle */
            swap_parser(nl[i]);
            continue;
        }
        nl[i] = link_new(set, &s->cfg->components[i]);
        if (!nl[i]) {
            edd_log_error("component %s: out of memory", s->cfg->components[i].jid);
            continue;
        }
        edd_log_info("component %s: connecting to %s:%d", nl[i]->jid, nl[i]->host, nl[i]->port);
        link_connect(nl[i]);
    }
}

void edd_component_stop(edd_component_set *set)
{
    if (!set)
        return;
    for (size_t k = 0; k < set->n; k++)
        link_free(set->links[k], true);
    free(set->links);
    free(set);
}

void edd_component_foreach(const edd_component_set *set,
                           void (*fn)(void *ud, const edd_link_info *li), void *ud)
{
    for (size_t k = 0; set && k < set->n; k++) {
        const edd_link *l = set->links[k];
        if (!l)
            continue;
        edd_link_info li = {
            .index = (unsigned)k,
            .host = l->host,
            .port = l->port,
            .state = link_state_names[l->state],
            .up = l->state == EDD_LINK_READY,
            .deleg_ns = l->state == EDD_LINK_READY ? l->deleg_ns : 0,
            .connects = l->connects,
            .up_since = l->ready_since,
        };
        fn(ud, &li);
    }
}
