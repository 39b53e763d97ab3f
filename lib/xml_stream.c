/* lib/xml_stream.c — incremental XMPP stream parser on top of expat, and
 * ed_xml_parse() for single standalone elements (the same machinery with the
 * document element treated as the "stanza").
 *
 * Ownership: ed_xml_stream owns its expat parser, the stanza being built and
 * a copy of the content namespace.  A finished stanza is handed to on_stanza
 * and belongs to the callee from then on.
 *
 * What it holds: the stream state, the expat callbacks that build stanzas
 * under the limits, the lifecycle, feeding expat (holding back the bytes of
 * an unfinished tag), and ed_xml_stream_idle(), which releases expat
 * between stanzas and rebuilds it from the saved stream header.
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

#define NS_SEP '\x01'

struct ed_xml_stream {
    XML_Parser p;
    ed_xml_limits lim;
    ed_xml_stream_cbs cbs;
    void *ud;
    int standalone;        /* ed_xml_parse(): the root is the stanza */
    int in_parse;          /* inside XML_Parse (handlers may stop it) */
    ed_err err;            /* first error; sticky */
    char detail[160];
    unsigned depth;        /* open elements, the stream header included */
    int opened, closed;
    ed_elem *stanza;       /* stanza under construction (a root) */
    ed_elem *cur;          /* its innermost open element */
    ed_elem *result;       /* standalone: the parsed element */
    size_t text_bytes;     /* text in the current stanza */
    uint64_t fed;          /* bytes given to this expat parser */
    uint64_t mark;         /* where the current top-level unit began */
    uint64_t close_end;    /* offset just past </stream:stream> */
    char *content_ns;      /* default ns declared on the header (malloc'd) */
    struct ed_xml_scan sc; /* raw-byte checks: UTF-8, lexer (xml_bytes.c) */
    /* Deferral of unfinished markup: expat (< 2.6) rescans a partial token
     * from its start on every call, so a big tag trickling in byte by byte
     * would cost O(n^2).  Bytes inside an unfinished construct are held
     * back until a construct ends or they outnumber what expat already has
     * of it; events are never delayed (they need a construct's end). */
    ed_buf held;           /* bytes not yet given to expat */
    uint64_t total;        /* bytes accepted by feed (fed + held) */
    size_t con_fed;        /* bytes of the current unfinished construct
                              (sc.con_len) that expat already has */
    /* ed_xml_stream_idle(): while p is released between stanzas, the raw
     * bytes of the stream header tag rebuild it on the next feed. */
    char *idle_hdr;        /* malloc'd copy of the header start tag, or NULL */
    size_t idle_hdr_len;
    int idle;              /* p was released; the next feed rebuilds it */
};

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

static void fail(ed_xml_stream *s, ed_err err, const char *what)
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

static ed_err map_expat_error(enum XML_Error code)
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
    if (end - s->mark > s->lim.max_stanza_bytes) {
        fail(s, ED_XML_STANZA_TOO_BIG, "stanza too big");
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
    fail(s, ED_ENOMEM, "out of memory");
    return -1;
}

static void idle_save_header(ed_xml_stream *s);

static void open_stream(ed_xml_stream *s, const char *local, const char *ns,
                        size_t nslen, const XML_Char **atts, size_t nattrs)
{
    if (strcmp(local, "stream")) {
        fail(s, ED_XML_BAD_STREAM_HEADER, "first element is not <stream>");
        return;
    }
    if (!ns || nslen != sizeof ED_NS_STREAMS - 1 ||
        memcmp(ns, ED_NS_STREAMS, nslen)) {
        fail(s, ED_XML_BAD_NAMESPACE, "stream header not in " ED_NS_STREAMS);
        return;
    }
    ed_elem *h = ed_elem_new_n("stream", 6, ED_NS_STREAMS,
                               sizeof ED_NS_STREAMS - 1, 0);
    if (!h || copy_attrs(s, h, atts, nattrs)) {
        ed_elem_free(h);
        fail(s, ED_ENOMEM, "out of memory");
        return;
    }
    s->opened = 1;
    s->depth = 1;
    idle_save_header(s);
    s->mark = event_end(s);
    if (s->cbs.on_open)
        s->cbs.on_open(s->ud, h, s->content_ns ? s->content_ns : "");
    ed_elem_free(h);
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
        fail(s, ED_XML_TOO_MANY_ATTRS, "too many attributes");
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
        fail(s, ED_XML_TOO_DEEP, "elements nested too deeply");
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
        fail(s, ED_ENOMEM, "out of memory");
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
        if (s->cbs.on_close)
            s->cbs.on_close(s->ud);
        XML_StopParser(s->p, XML_FALSE); /* nothing may follow */
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
    if (s->standalone) {
        s->result = st;
    } else if (s->cbs.on_stanza) {
        s->cbs.on_stanza(s->ud, st);
    } else {
        ed_elem_free(st);
    }
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
                fail(s, ED_XML_NOT_WELL_FORMED, "text outside a stanza");
                return;
            }
        }
        s->mark = event_end(s);
        return;
    }
    if ((size_t)len > s->lim.max_text_bytes - s->text_bytes) {
        fail(s, ED_XML_TEXT_TOO_BIG, "too much text in stanza");
        return;
    }
    s->text_bytes += (size_t)len;
    if (ed_elem_add_text(s->cur, txt, (size_t)len))
        fail(s, ED_ENOMEM, "out of memory");
}

static void XMLCALL on_ns_start(void *ud, const XML_Char *prefix,
                                const XML_Char *uri)
{
    ed_xml_stream *s = ud;
    if (s->err || s->standalone || s->depth != 0 || prefix)
        return;
    free(s->content_ns);
    s->content_ns = strdup(uri ? uri : "");
    if (!s->content_ns)
        fail(s, ED_ENOMEM, "out of memory");
}

static void XMLCALL on_xmldecl(void *ud, const XML_Char *version,
                               const XML_Char *encoding, int standalone)
{
    ed_xml_stream *s = ud;
    (void)version;
    (void)standalone;
    if (encoding && strcasecmp(encoding, "UTF-8"))
        fail(s, ED_XML_BAD_ENCODING, "encoding other than UTF-8 declared");
}

static void XMLCALL on_pi(void *ud, const XML_Char *target,
                          const XML_Char *data)
{
    (void)target;
    (void)data;
    fail(ud, ED_XML_RESTRICTED, "processing instruction");
}

static void XMLCALL on_comment(void *ud, const XML_Char *data)
{
    (void)data;
    fail(ud, ED_XML_RESTRICTED, "comment");
}

static void XMLCALL on_doctype(void *ud, const XML_Char *name,
                               const XML_Char *sysid, const XML_Char *pubid,
                               int has_internal_subset)
{
    (void)name;
    (void)sysid;
    (void)pubid;
    (void)has_internal_subset;
    fail(ud, ED_XML_RESTRICTED, "document type declaration");
}

static void XMLCALL on_entity_decl(void *ud, const XML_Char *name, int is_pe,
                                   const XML_Char *value, int value_len,
                                   const XML_Char *base, const XML_Char *sysid,
                                   const XML_Char *pubid,
                                   const XML_Char *notation)
{
    (void)name; (void)is_pe; (void)value; (void)value_len; (void)base;
    (void)sysid; (void)pubid; (void)notation;
    fail(ud, ED_XML_RESTRICTED, "entity declaration");
}

/* --- lifecycle ----------------------------------------------------------------- */

static void setup_parser(ed_xml_stream *s)
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
}

static void clear_state(ed_xml_stream *s)
{
    ed_elem_free(s->stanza);
    ed_elem_free(s->result);
    free(s->content_ns);
    s->stanza = s->cur = s->result = NULL;
    s->content_ns = NULL;
    s->err = ED_OK;
    s->detail[0] = '\0';
    s->depth = 0;
    s->opened = s->closed = 0;
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
                          const ed_xml_stream_cbs *cbs, void *ud, int standalone)
{
    memset(s, 0, sizeof *s);
    s->lim = lim ? *lim : ed_xml_limits_default();
    if (cbs)
        s->cbs = *cbs;
    s->ud = ud;
    s->standalone = standalone;
    s->p = XML_ParserCreateNS("UTF-8", NS_SEP);
    if (!s->p)
        return ED_ENOMEM;
    setup_parser(s);
    return ED_OK;
}

static void stream_fini(ed_xml_stream *s)
{
    clear_state(s);
    if (s->p)
        XML_ParserFree(s->p);
    s->p = NULL;
}

ed_xml_stream *ed_xml_stream_new(const ed_xml_limits *lim,
                                 const ed_xml_stream_cbs *cbs, void *ud)
{
    ed_xml_stream *s = malloc(sizeof *s);
    if (!s)
        return NULL;
    if (stream_init(s, lim, cbs, ud, 0)) {
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
    setup_parser(s);
    return ED_OK;
}

const char *ed_xml_stream_error_detail(const ed_xml_stream *s)
{
    return s ? s->detail : "";
}

/* Hand n bytes to expat. */
static void run_expat(ed_xml_stream *s, const char *buf, size_t n, int final)
{
    while (!s->err && !s->closed && (n || final)) {
        int chunk = n > (1u << 30) ? (1 << 30) : (int)n;
        int last = final && (size_t)chunk == n;
        s->in_parse = 1;
        enum XML_Status st = XML_Parse(s->p, buf, chunk, last);
        s->in_parse = 0;
        s->fed += (uint64_t)chunk;
        if (st == XML_STATUS_ERROR && !s->err && !s->closed) {
            enum XML_Error code = XML_GetErrorCode(s->p);
            fail(s, map_expat_error(code), XML_ErrorString(code));
        }
        buf += chunk;
        n -= (size_t)chunk;
        if (last)
            break;
    }
}

/* Fail with err (found on the raw bytes, not by expat), unless the bytes
 * expat already holds contain an error of their own: expat detects some
 * errors only once it sees more input (e.g. at the start of a document), so
 * it is asked to finish first; truncation errors are what we expect there.
 * This keeps the reported error the same however the input was chunked. */
static void fail_raw(ed_xml_stream *s, ed_err err, const char *what)
{
    if (s->err)
        return;
    s->in_parse = 1;
    enum XML_Status st = XML_Parse(s->p, "", 0, 1);
    s->in_parse = 0;
    if (s->err)
        return;
    if (st == XML_STATUS_ERROR) {
        enum XML_Error code = XML_GetErrorCode(s->p);
        switch (code) {
        case XML_ERROR_NO_ELEMENTS:
        case XML_ERROR_UNCLOSED_TOKEN:
        case XML_ERROR_PARTIAL_CHAR:
        case XML_ERROR_UNCLOSED_CDATA_SECTION:
        case XML_ERROR_ABORTED:
            break;
        default:
            fail(s, map_expat_error(code), XML_ErrorString(code));
            return;
        }
    }
    fail(s, err, what);
}

/* Give the held bytes and then buf[0..n) to expat. */
static void push(ed_xml_stream *s, const char *buf, size_t n)
{
    if (s->held.len) {
        run_expat(s, s->held.data, s->held.len, 0);
        ed_buf_reset(&s->held);
    }
    run_expat(s, buf, n, 0);
    s->con_fed = s->sc.con_len;
}

static int idle_wake(ed_xml_stream *s);

ed_err ed_xml_stream_feed(ed_xml_stream *s, const char *buf, size_t n)
{
    if (!s || (!buf && n))
        return ED_EINVAL;
    if (s->err)
        return s->err;
    if (s->idle && n == 0)
        return ED_OK; /* nothing held back while idle */
    if (s->idle && idle_wake(s))
        return s->err;
    if (!s->p)
        return ED_ESTATE;
    if (n == 0) { /* nothing new: hand over anything held back */
        if (s->held.len && !s->closed)
            push(s, "", 0);
        return s->err;
    }
    if (s->closed) {
        fail(s, ED_XML_STREAM_CLOSED, "data after </stream:stream>");
        return s->err;
    }
    uint64_t start = s->total;
    s->total += n;
    int ctl;
    size_t good = ed_xml_utf8_scan(&s->sc, (const unsigned char *)buf, n, &ctl);
    int ended = ed_xml_lex(&s->sc, (const unsigned char *)buf, good);
    if (good < n || ended || s->sc.lx == ED_XML_LX_TEXT ||
        s->held.len + good >= s->con_fed) {
        push(s, buf, good);
    } else if (ed_buf_append(&s->held, buf, good)) {
        fail(s, ED_ENOMEM, "out of memory");
    }
    if (s->err)
        return s->err;
    if (s->closed) {
        if (start + n > s->close_end)
            fail(s, ED_XML_STREAM_CLOSED, "data after </stream:stream>");
        return s->err;
    }
    if (good < n) {
        if (ctl)
            fail_raw(s, ED_XML_NOT_WELL_FORMED, "control character");
        else
            fail_raw(s, ED_XML_BAD_UTF8, "invalid UTF-8");
        return s->err;
    }
    /* Bytes of an unfinished unit (header, stanza, partial tag) so far. */
    if (s->total - s->mark > s->lim.max_stanza_bytes) {
        push(s, "", 0);
        if (!s->err && s->fed - s->mark > s->lim.max_stanza_bytes)
            fail_raw(s, ED_XML_STANZA_TOO_BIG, "stanza too big");
    }
    return s->err;
}

ed_err ed_xml_parse(const char *buf, size_t len, const ed_xml_limits *lim,
                    ed_elem **out)
{
    if (!out || (!buf && len))
        return ED_EINVAL;
    *out = NULL;
    ed_xml_stream s;
    ed_err err = stream_init(&s, lim, NULL, NULL, 1);
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
    run_expat(&s, buf, good, !bad);
    if (!s.err && bad)
        fail_raw(&s, ctl ? ED_XML_NOT_WELL_FORMED : ED_XML_BAD_UTF8,
                 ctl ? "control character" : "invalid UTF-8");
    if (!s.err && !s.result)
        fail(&s, ED_XML_NOT_WELL_FORMED, "no element found");
    err = s.err;
    if (!err) {
        *out = s.result;
        s.result = NULL;
    }
    stream_fini(&s);
    return err;
}

/* --- releasing expat while the stream is idle ------------------------------------ */

/* Called when the stream header has been parsed (from open_stream): keep
 * the raw bytes of its start tag, the one thing a new expat parser needs to
 * continue the stream (the namespace bindings and the element that
 * </stream:stream> must close).  Expat keeps the current token in its
 * buffer (XML_CONTEXT_BYTES, on in every distribution build); without it
 * nothing is saved and ed_xml_stream_idle() never releases. */
static void idle_save_header(ed_xml_stream *s)
{
    if (s->idle_hdr || s->standalone)
        return; /* a rebuild parses the saved header again */
    int off = 0, size = 0;
    const char *ctx = XML_GetInputContext(s->p, &off, &size);
    int n = XML_GetCurrentByteCount(s->p);
    if (!ctx || n <= 0 || off < 0 || off > size || n > size - off ||
        ctx[off] != '<' || ctx[off + n - 1] != '>')
        return;
    s->idle_hdr = malloc((size_t)n);
    if (!s->idle_hdr)
        return; /* only means: never idle */
    memcpy(s->idle_hdr, ctx + off, (size_t)n);
    s->idle_hdr_len = (size_t)n;
}

/* A new expat parser positioned just after the stream header, as if it had
 * parsed the stream so far (on_open is not called again).  Byte offsets
 * restart at the end of the saved header.  -1 with s->err on failure. */
static int idle_wake(ed_xml_stream *s)
{
    s->idle = 0;
    s->p = XML_ParserCreateNS("UTF-8", NS_SEP);
    if (!s->p) {
        fail(s, ED_ENOMEM, "out of memory");
        return -1;
    }
    setup_parser(s);
    void (*on_open)(void *, const ed_elem *, const char *) = s->cbs.on_open;
    s->cbs.on_open = NULL;
    s->depth = 0;
    s->opened = 0;
    s->fed = s->mark = s->total = 0;
    run_expat(s, s->idle_hdr, s->idle_hdr_len, 0);
    s->cbs.on_open = on_open;
    s->total = s->fed;
    if (!s->err && (s->depth != 1 || !s->opened))
        fail(s, ED_ESTATE, "cannot resume the stream");
    return s->err ? -1 : 0;
}

int ed_xml_stream_idle(ed_xml_stream *s)
{
    if (!s || s->standalone)
        return 0;
    if (s->idle)
        return 1;
    /* only between stanzas, with no byte of anything unfinished anywhere:
     * not in our lexer, not held back, not half a UTF-8 character, and
     * nothing expat keeps unparsed (a trailing CR, part of a reference) */
    if (!s->p || s->err || !s->opened || s->closed || s->in_parse || s->depth != 1 ||
        s->stanza || s->held.len || s->sc.lx != ED_XML_LX_TEXT || s->sc.u8_need ||
        !s->idle_hdr || s->total != s->fed ||
        (uint64_t)XML_GetCurrentByteIndex(s->p) != s->fed)
        return 0;
    XML_ParserFree(s->p);
    s->p = NULL;
    s->idle = 1;
    return 1;
}
