/* lib/xml_stream.c — incremental XMPP stream parser on top of expat, and
 * ed_xml_parse() for single standalone elements (the same machinery with the
 * document element treated as the "stanza").
 *
 * Ownership: ed_xml_stream owns its expat parser, the stanza being built,
 * the events not yet taken and a copy of the content namespace.  A stanza
 * returned by ed_xml_stream_next() belongs to the caller from then on.
 *
 * Parse, then handle: events are not called back.  When expat completes
 * one (header, stanza, close) it is put on a small fixed queue and expat is
 * suspended (XML_StopParser resumable); the caller takes it with
 * ed_xml_stream_next(), which resumes expat for the next one.  So the
 * caller handles every stanza with the parser off the stack, and when a
 * stanza ends the stream (<starttls/>, SASL success) and the caller resets
 * the parser, the bytes after it are never parsed as XML of the old stream.
 * One event per step rather than a queue of everything one feed brings:
 * nothing an outside party sends can grow the queue (4 slots; expat
 * delivers at most 2 events before a suspension takes effect), and no
 * stanza is built before the caller wanted it.
 *
 * What it holds: the expat handlers that build stanzas under the limits,
 * the event queue, the lifecycle and ed_xml_parse().  The state is in
 * lib/xml_stream_int.h; feeding expat (holding back the bytes of an
 * unfinished tag; the tail checks of a feed wait while expat is suspended),
 * ed_xml_stream_next() and ed_xml_stream_idle() are in lib/xml_stream_feed.c.
 *
 * Restricted XML (RFC 6120 §11.1): DTDs, entity declarations, processing
 * instructions other than the XML declaration, and comments are refused.
 * UTF-8 and control characters are checked on the raw bytes before expat
 * sees them (lib/xml_bytes.c), so that an encoding error is told apart from
 * a syntax error; expat is forced to UTF-8.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <expat.h>

#include "extdisco/xml.h"
#include "xml_priv.h"
#include "xml_stream_int.h"

ed_xml_limits ed_xml_limits_default(void)
{
    ed_xml_limits l = {
        .max_stanza_bytes = 64 * 1024,
        .max_depth = 32,
        .max_attrs = 64,
        .max_text_bytes = 64 * 1024,
    };
    return l;
}

/* --- errors ---------------------------------------------------------------- */

void ed_xs_fail(ed_xml_stream *s, ed_err err, const char *what)
{
    if (s->err)
        return;
    s->err = err;
    unsigned long line = 1, col = 1;
    if (s->p) {
        line = (unsigned long)XML_GetCurrentLineNumber(s->p);
        col = (unsigned long)XML_GetCurrentColumnNumber(s->p) + 1;
    }
    snprintf(s->detail, sizeof s->detail, "line %lu, column %lu: %s", line, col,
             what);
    if (s->in_parse)
        XML_StopParser(s->p, XML_FALSE);
}

ed_err ed_xs_map_expat_error(enum XML_Error code)
{
    switch (code) {
    case XML_ERROR_NO_MEMORY:
        return ED_ENOMEM;
    case XML_ERROR_UNKNOWN_ENCODING:
    case XML_ERROR_INCORRECT_ENCODING:
        return ED_XML_BAD_ENCODING;
    case XML_ERROR_PARAM_ENTITY_REF:
    case XML_ERROR_RECURSIVE_ENTITY_REF:
    case XML_ERROR_BINARY_ENTITY_REF:
    case XML_ERROR_ATTRIBUTE_EXTERNAL_ENTITY_REF:
    case XML_ERROR_EXTERNAL_ENTITY_HANDLING:
    case XML_ERROR_NOT_STANDALONE:
    case XML_ERROR_ENTITY_DECLARED_IN_PE:
    case XML_ERROR_FEATURE_REQUIRES_XML_DTD:
    case XML_ERROR_CANT_CHANGE_FEATURE_ONCE_PARSING:
    case XML_ERROR_AMPLIFICATION_LIMIT_BREACH:
        return ED_XML_RESTRICTED;
    default:
        return ED_XML_NOT_WELL_FORMED;
    }
}

/* --- building -------------------------------------------------------------- */

/* Offset just past the current event. */
static uint64_t event_end(ed_xml_stream *s)
{
    return (uint64_t)XML_GetCurrentByteIndex(s->p) +
           (uint64_t)XML_GetCurrentByteCount(s->p);
}

static int check_size(ed_xml_stream *s, uint64_t end)
{
    if (end - s->mark > ed_xs_unit_max(s)) {
        ed_xs_fail(s, ED_XML_STANZA_TOO_BIG, s->opened ? "stanza too big" : "stream header too big");
        return -1;
    }
    return 0;
}

/* Length of an expat name (usually short: one loop, no library calls);
 * *sep = its first NS_SEP (namespace separator) or NULL. */
static inline size_t name_len(const char *n, const char **sep)
{
    size_t i = 0;
    *sep = NULL;
    for (; n[i]; i++)
        if (n[i] == NS_SEP && !*sep)
            *sep = n + i;
    return i;
}

/* Copy expat's attributes (after namespace processing) into e. */
static int copy_attrs(ed_xml_stream *s, ed_elem *e, const XML_Char **atts,
                      size_t n)
{
    if (!n)
        return 0;
    if (ed_elem_reserve_attrs(e, n))
        goto nomem;
    struct ed_arena *a = e->arena;
    for (size_t i = 0; i < n; i++) {
        const char *an = atts[2 * i], *av = atts[2 * i + 1], *sep;
        size_t al = name_len(an, &sep);
        char *name;
        if (!sep) {
            name = ed_arena_strndup(a, an, al);
        } else if ((size_t)(sep - an) == sizeof ED_NS_XML - 1 &&
                   !memcmp(an, ED_NS_XML, sizeof ED_NS_XML - 1)) {
            size_t ll = al - (size_t)(sep + 1 - an);
            name = ed_arena_alloc(a, 4 + ll + 1, 1);
            if (name) {
                memcpy(name, "xml:", 4);
                memcpy(name + 4, sep + 1, ll + 1);
            }
        } else {
            name = ed_arena_strndup(a, an, al);
            if (name)
                name[sep - an] = '|';
        }
        char *val = name ? ed_arena_strndup(a, av, strlen(av)) : NULL;
        if (!val)
            goto nomem;
        e->attrs[i].name = name;
        e->attrs[i].value = val;
    }
    e->nattrs = n;
    return 0;
nomem:
    ed_xs_fail(s, ED_ENOMEM, "out of memory");
    return -1;
}

/* An event is complete: queue it (e is handed over) and suspend expat, so
 * that nothing after it is parsed before the caller has taken it (unless
 * it ends where expat's input ends: nothing follows to hold back, and the
 * usual request costs no suspend and resume).  The close ends parsing for
 * good (nothing may follow). */
static void queue_event(ed_xml_stream *s, ed_xml_event_type type, ed_elem *e)
{
    if (s->qlen == EVQ) { /* expat never gets this far */
        ed_elem_free(e);
        ed_xs_fail(s, ED_ESTATE, "too many events at once");
        return;
    }
    ed_xml_event *ev = &s->q[(s->qhead + s->qlen++) % EVQ];
    ev->type = type;
    ev->elem = e;
    ev->content_ns = type == ED_XML_EV_OPEN && s->content_ns ? s->content_ns : "";
    if (!s->in_parse)
        return;
    if (type == ED_XML_EV_CLOSE)
        XML_StopParser(s->p, XML_FALSE);
    else if (event_end(s) < s->parse_end)
        XML_StopParser(s->p, XML_TRUE);
}

static void open_stream(ed_xml_stream *s, const char *local, const char *ns,
                        size_t nslen, const XML_Char **atts, size_t nattrs)
{
    if (strcmp(local, "stream")) {
        ed_xs_fail(s, ED_XML_BAD_STREAM_HEADER, "first element is not <stream>");
        return;
    }
    if (!ns || nslen != sizeof ED_NS_STREAMS - 1 ||
        memcmp(ns, ED_NS_STREAMS, nslen)) {
        ed_xs_fail(s, ED_XML_BAD_NAMESPACE, "stream header not in " ED_NS_STREAMS);
        return;
    }
    ed_elem *h = ed_elem_new_n("stream", 6, ED_NS_STREAMS,
                               sizeof ED_NS_STREAMS - 1, 0);
    if (!h || copy_attrs(s, h, atts, nattrs)) {
        ed_elem_free(h);
        ed_xs_fail(s, ED_ENOMEM, "out of memory");
        return;
    }
    s->opened = 1;
    s->depth = 1;
    ed_xs_idle_save_header(s);
    s->mark = event_end(s);
    if (s->quiet)
        ed_elem_free(h);
    else
        queue_event(s, ED_XML_EV_OPEN, h);
}

static void XMLCALL on_start(void *ud, const XML_Char *name,
                             const XML_Char **atts)
{
    ed_xml_stream *s = ud;
    if (s->err)
        return;
    size_t nattrs = 0;
    while (atts[2 * nattrs])
        nattrs++;
    if (nattrs > s->lim.max_attrs) {
        ed_xs_fail(s, ED_XML_TOO_MANY_ATTRS, "too many attributes");
        return;
    }
    const char *sep = strchr(name, NS_SEP);
    const char *ns = sep ? name : NULL, *local = sep ? sep + 1 : name;
    size_t nslen = sep ? (size_t)(sep - name) : 0;

    if (!s->standalone && s->depth == 0) {
        if (check_size(s, event_end(s)) == 0)
            open_stream(s, local, ns, nslen, atts, nattrs);
        return;
    }
    unsigned level = s->standalone ? s->depth + 1 : s->depth;
    if (level > s->lim.max_depth) {
        ed_xs_fail(s, ED_XML_TOO_DEEP, "elements nested too deeply");
        return;
    }
    if (check_size(s, event_end(s)))
        return;
    ed_elem *e;
    if (level == 1) {
        e = ed_elem_new_n(local, strlen(local), ns ? ns : "", nslen, 0);
        s->stanza = e;
        s->text_bytes = 0;
    } else {
        e = ed_elem_add_n(s->cur, local, strlen(local), ns ? ns : "", nslen);
    }
    if (!e) {
        ed_xs_fail(s, ED_ENOMEM, "out of memory");
        return;
    }
    s->cur = e;
    s->depth++;
    copy_attrs(s, e, atts, nattrs);
}

static void XMLCALL on_end(void *ud, const XML_Char *name)
{
    ed_xml_stream *s = ud;
    (void)name;
    if (s->err)
        return;
    if (!s->standalone && s->depth == 1) {
        s->depth = 0;
        s->closed = 1;
        s->close_end = event_end(s);
        queue_event(s, ED_XML_EV_CLOSE, NULL); /* nothing may follow */
        return;
    }
    s->depth--;
    if (s->cur != s->stanza) {
        s->cur = s->cur->parent;
        return;
    }
    uint64_t end = event_end(s);
    if (check_size(s, end))
        return;
    ed_elem *st = s->stanza;
    s->stanza = s->cur = NULL;
    s->mark = end;
    if (s->standalone)
        s->result = st;
    else
        queue_event(s, ED_XML_EV_STANZA, st);
}

static void XMLCALL on_text(void *ud, const XML_Char *txt, int len)
{
    ed_xml_stream *s = ud;
    if (s->err || len <= 0)
        return;
    if (!s->stanza) {
        /* Between stanzas: whitespace keepalives only. */
        for (int i = 0; i < len; i++) {
            char c = txt[i];
            if (c != ' ' && c != '\t' && c != '\n' && c != '\r') {
                ed_xs_fail(s, ED_XML_NOT_WELL_FORMED, "text outside a stanza");
                return;
            }
        }
        s->mark = event_end(s);
        return;
    }
    if ((size_t)len > s->lim.max_text_bytes - s->text_bytes) {
        ed_xs_fail(s, ED_XML_TEXT_TOO_BIG, "too much text in stanza");
        return;
    }
    s->text_bytes += (size_t)len;
    if (ed_elem_add_text(s->cur, txt, (size_t)len))
        ed_xs_fail(s, ED_ENOMEM, "out of memory");
}

static void XMLCALL on_ns_start(void *ud, const XML_Char *prefix,
                                const XML_Char *uri)
{
    ed_xml_stream *s = ud;
    if (s->err || s->standalone || s->depth != 0)
        return;
    if (check_size(s, event_end(s)))
        return; /* a header over its byte bound says so, however it was fed */
    if (++s->hdr_ns > ED_XML_MAX_HEADER_NS) { /* each is parsed again at a wake */
        ed_xs_fail(s, ED_XML_TOO_MANY_ATTRS,
                   "too many namespace declarations on the stream header");
        return;
    }
    if (prefix)
        return;
    free(s->content_ns);
    s->content_ns = strdup(uri ? uri : "");
    if (!s->content_ns)
        ed_xs_fail(s, ED_ENOMEM, "out of memory");
}

static void XMLCALL on_xmldecl(void *ud, const XML_Char *version,
                               const XML_Char *encoding, int standalone)
{
    ed_xml_stream *s = ud;
    (void)version;
    (void)standalone;
    if (encoding && strcasecmp(encoding, "UTF-8"))
        ed_xs_fail(s, ED_XML_BAD_ENCODING, "encoding other than UTF-8 declared");
}

static void XMLCALL on_pi(void *ud, const XML_Char *target,
                          const XML_Char *data)
{
    (void)target;
    (void)data;
    ed_xs_fail(ud, ED_XML_RESTRICTED, "processing instruction");
}

static void XMLCALL on_comment(void *ud, const XML_Char *data)
{
    (void)data;
    ed_xs_fail(ud, ED_XML_RESTRICTED, "comment");
}

static void XMLCALL on_doctype(void *ud, const XML_Char *name,
                               const XML_Char *sysid, const XML_Char *pubid,
                               int has_internal_subset)
{
    (void)name;
    (void)sysid;
    (void)pubid;
    (void)has_internal_subset;
    ed_xs_fail(ud, ED_XML_RESTRICTED, "document type declaration");
}

static void XMLCALL on_entity_decl(void *ud, const XML_Char *name, int is_pe,
                                   const XML_Char *value, int value_len,
                                   const XML_Char *base, const XML_Char *sysid,
                                   const XML_Char *pubid,
                                   const XML_Char *notation)
{
    (void)name; (void)is_pe; (void)value; (void)value_len; (void)base;
    (void)sysid; (void)pubid; (void)notation;
    ed_xs_fail(ud, ED_XML_RESTRICTED, "entity declaration");
}

/* --- lifecycle ----------------------------------------------------------------- */

void ed_xs_setup_parser(ed_xml_stream *s)
{
    XML_Parser p = s->p;
    XML_SetUserData(p, s);
    XML_SetElementHandler(p, on_start, on_end);
    XML_SetCharacterDataHandler(p, on_text);
    XML_SetStartNamespaceDeclHandler(p, on_ns_start);
    XML_SetXmlDeclHandler(p, on_xmldecl);
    XML_SetProcessingInstructionHandler(p, on_pi);
    XML_SetCommentHandler(p, on_comment);
    XML_SetStartDoctypeDeclHandler(p, on_doctype);
    XML_SetEntityDeclHandler(p, on_entity_decl);
    XML_SetParamEntityParsing(p, XML_PARAM_ENTITY_PARSING_NEVER);
    if (s->hash_salt)
        XML_SetHashSalt(p, s->hash_salt);
}

void ed_xml_stream_set_hash_salt(ed_xml_stream *s, unsigned long salt)
{
    if (!s)
        return;
    s->hash_salt = salt;
    if (s->p && salt)
        XML_SetHashSalt(s->p, salt); /* refused (0) once it has parsed: kept */
}

static void clear_events(ed_xml_stream *s)
{
    for (; s->qlen; s->qlen--, s->qhead = (s->qhead + 1) % EVQ)
        ed_elem_free(s->q[s->qhead].elem);
    s->qhead = 0;
    ed_elem_free(s->lent);
    s->lent = NULL;
}

static void clear_state(ed_xml_stream *s)
{
    clear_events(s);
    s->suspended = s->flush_held = s->tail = s->raw_bad = s->quiet = 0;
    ed_elem_free(s->stanza);
    ed_elem_free(s->result);
    free(s->content_ns);
    s->stanza = s->cur = s->result = NULL;
    s->content_ns = NULL;
    s->err = ED_OK;
    s->detail[0] = '\0';
    s->depth = 0;
    s->opened = s->closed = 0;
    s->hdr_ns = 0;
    s->text_bytes = 0;
    s->fed = s->mark = s->close_end = 0;
    s->in_parse = 0;
    ed_buf_free(&s->held);
    s->total = 0;
    memset(&s->sc, 0, sizeof s->sc); /* lx = ED_XML_LX_TEXT */
    s->con_fed = 0;
    free(s->idle_hdr);
    s->idle_hdr = NULL;
    s->idle_hdr_len = 0;
    s->idle = 0;
}

static ed_err stream_init(ed_xml_stream *s, const ed_xml_limits *lim,
                          int standalone)
{
    memset(s, 0, sizeof *s);
    s->lim = lim ? *lim : ed_xml_limits_default();
    s->standalone = standalone;
    s->p = XML_ParserCreateNS("UTF-8", NS_SEP);
    if (!s->p)
        return ED_ENOMEM;
    ed_xs_setup_parser(s);
    return ED_OK;
}

static void stream_fini(ed_xml_stream *s)
{
    clear_state(s);
    if (s->p)
        XML_ParserFree(s->p);
    s->p = NULL;
}

ed_xml_stream *ed_xml_stream_new(const ed_xml_limits *lim)
{
    ed_xml_stream *s = malloc(sizeof *s);
    if (!s)
        return NULL;
    if (stream_init(s, lim, 0)) {
        free(s);
        return NULL;
    }
    return s;
}

void ed_xml_stream_free(ed_xml_stream *s)
{
    if (!s)
        return;
    stream_fini(s);
    free(s);
}

ed_err ed_xml_stream_reset(ed_xml_stream *s)
{
    if (!s)
        return ED_EINVAL;
    clear_state(s);
    if (!s->p || !XML_ParserReset(s->p, "UTF-8")) {
        if (s->p)
            XML_ParserFree(s->p);
        s->p = XML_ParserCreateNS("UTF-8", NS_SEP);
        if (!s->p) {
            s->err = ED_ENOMEM;
            snprintf(s->detail, sizeof s->detail, "out of memory");
            return ED_ENOMEM;
        }
    }
    ed_xs_setup_parser(s);
    return ED_OK;
}

const char *ed_xml_stream_error_detail(const ed_xml_stream *s)
{
    return s ? s->detail : "";
}

ed_err ed_xml_parse(const char *buf, size_t len, const ed_xml_limits *lim,
                    ed_elem **out)
{
    if (!out || (!buf && len))
        return ED_EINVAL;
    *out = NULL;
    ed_xml_stream s;
    ed_err err = stream_init(&s, lim, 1);
    if (err) {
        stream_fini(&s);
        return err;
    }
    if (len > s.lim.max_stanza_bytes) {
        stream_fini(&s);
        return ED_XML_STANZA_TOO_BIG;
    }
    int ctl;
    size_t good = ed_xml_utf8_scan(&s.sc, (const unsigned char *)buf, len, &ctl);
    int bad = good < len || s.sc.u8_need;
    ed_xs_run_expat(&s, buf, good, !bad);
    if (!s.err && bad)
        ed_xs_fail_raw(&s, ctl ? ED_XML_NOT_WELL_FORMED : ED_XML_BAD_UTF8,
                 ctl ? "control character" : "invalid UTF-8");
    if (!s.err && !s.result)
        ed_xs_fail(&s, ED_XML_NOT_WELL_FORMED, "no element found");
    err = s.err;
    if (!err) {
        *out = s.result;
        s.result = NULL;
    }
    stream_fini(&s);
    return err;
}

