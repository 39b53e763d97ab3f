/* lib/xml_stream_feed.c — the moving half of the stream parser: bytes
 * through the raw checks (lib/xml_bytes.c) to expat, holding back the bytes
 * of an unfinished tag; expat suspended after each event until the caller
 * takes it with ed_xml_stream_next(), the checks at the end of a feed
 * waiting meanwhile; and ed_xml_stream_idle(), which releases expat between
 * stanzas and rebuilds it from the saved stream header.  The state and the
 * handlers are in lib/xml_stream.c (see there for the design). */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <expat.h>

#include "extdisco/xml.h"
#include "xml_priv.h"
#include "xml_stream_int.h"

static int idle_wake(ed_xml_stream *s);

/* Hand n bytes to expat.  Returns how many of them it did not take because
 * it was suspended (an event is waiting); 0 otherwise (after an error or
 * the close, whatever is left is dropped). */
size_t ed_xs_run_expat(ed_xml_stream *s, const char *buf, size_t n, int final)
{
    while (!s->err && !s->closed && (n || final)) {
        if (s->suspended)
            return n;
        int chunk = n > (1u << 30) ? (1 << 30) : (int)n;
        int last = final && (size_t)chunk == n;
        s->parse_end = s->fed + n + s->more;
        s->in_parse = 1;
        enum XML_Status st = XML_Parse(s->p, buf, chunk, last);
        s->in_parse = 0;
        s->fed += (uint64_t)chunk;
        if (st == XML_STATUS_SUSPENDED) /* expat keeps the rest of chunk */
            s->suspended = 1;
        else if (st == XML_STATUS_ERROR && !s->err && !s->closed) {
            enum XML_Error code = XML_GetErrorCode(s->p);
            ed_xs_fail(s, ed_xs_map_expat_error(code), XML_ErrorString(code));
        }
        buf += chunk;
        n -= (size_t)chunk;
        if (last)
            break;
    }
    return 0;
}

/* Fail with err (found on the raw bytes, not by expat), unless the bytes
 * expat already holds contain an error of their own: expat detects some
 * errors only once it sees more input (e.g. at the start of a document), so
 * it is asked to finish first; truncation errors are what we expect there.
 * This keeps the reported error the same however the input was chunked.
 * Never called while expat is suspended. */
void ed_xs_fail_raw(ed_xml_stream *s, ed_err err, const char *what)
{
    if (s->err)
        return;
    s->parse_end = s->fed;
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
            ed_xs_fail(s, ed_xs_map_expat_error(code), XML_ErrorString(code));
            return;
        }
    }
    ed_xs_fail(s, err, what);
}

/* Give the held bytes and then buf[0..n) to expat.  When expat suspends on
 * an event before it has all of them, the rest waits in held (flush_held)
 * until the caller has taken the event. */
static void push(ed_xml_stream *s, const char *buf, size_t n)
{
    if (s->held.len) {
        s->more = n;
        size_t left = ed_xs_run_expat(s, s->held.data, s->held.len, 0);
        s->more = 0;
        ed_buf_consume(&s->held, s->held.len - left);
    }
    size_t left = n;
    if (!s->held.len)
        left = ed_xs_run_expat(s, buf, n, 0);
    if (s->err || s->closed) {
        ed_buf_reset(&s->held);
        return;
    }
    if (s->held.len || left) {
        if (ed_buf_append(&s->held, buf + (n - left), left))
            ed_xs_fail(s, ED_ENOMEM, "out of memory");
        s->flush_held = 1;
        return;
    }
    s->flush_held = 0;
    s->con_fed = s->sc.con_len;
}

/* The checks at the end of a feed, once expat has had every byte it was
 * to get: data after the close, the raw error the feed's bytes end in, an
 * unfinished unit that is too big already. */
static void feed_tail(ed_xml_stream *s)
{
    s->tail = 0;
    if (s->err)
        return;
    if (s->closed) {
        if (s->total > s->close_end)
            ed_xs_fail(s, ED_XML_STREAM_CLOSED, "data after </stream:stream>");
        return;
    }
    if (s->raw_bad) {
        int ctl = s->raw_bad == 2;
        s->raw_bad = 0;
        if (ctl)
            ed_xs_fail_raw(s, ED_XML_NOT_WELL_FORMED, "control character");
        else
            ed_xs_fail_raw(s, ED_XML_BAD_UTF8, "invalid UTF-8");
        return;
    }
    /* Bytes of an unfinished unit (header, stanza, partial tag) so far. */
    if (s->total - s->mark > ed_xs_unit_max(s)) {
        push(s, "", 0);
        if (s->suspended) {
            s->tail = 1; /* again once the event is taken */
            return;
        }
        if (!s->err && s->fed - s->mark > ed_xs_unit_max(s))
            ed_xs_fail_raw(s, ED_XML_STANZA_TOO_BIG,
                           s->opened ? "stanza too big" : "stream header too big");
    }
}

/* The caller has taken every event: let expat go on from where it was
 * suspended, then give it what waited and finish the feed. */
static void resume(ed_xml_stream *s)
{
    s->suspended = 0;
    s->parse_end = s->fed + (s->flush_held ? s->held.len : 0);
    s->in_parse = 1;
    enum XML_Status st = XML_ResumeParser(s->p);
    s->in_parse = 0;
    if (st == XML_STATUS_SUSPENDED) {
        s->suspended = 1;
        return;
    }
    if (st == XML_STATUS_ERROR && !s->err && !s->closed) {
        enum XML_Error code = XML_GetErrorCode(s->p);
        ed_xs_fail(s, ed_xs_map_expat_error(code), XML_ErrorString(code));
    }
    if (s->flush_held && !s->err && !s->closed) {
        push(s, "", 0);
        if (s->suspended)
            return;
    }
    s->flush_held = 0;
    if (s->tail)
        feed_tail(s);
}

ed_err ed_xml_stream_feed(ed_xml_stream *s, const char *buf, size_t n)
{
    if (!s || (!buf && n))
        return ED_EINVAL;
    if (s->err)
        return s->err;
    if (s->qlen || s->suspended)
        return ED_ESTATE; /* events are waiting: ed_xml_stream_next() */
    ed_elem_free(s->lent); /* the header's borrow ends here too */
    s->lent = NULL;
    if (s->idle && n == 0)
        return ED_OK; /* nothing held back while idle */
    if (s->idle && idle_wake(s))
        return ED_OK; /* the error comes from ed_xml_stream_next() */
    if (!s->p)
        return ED_ESTATE;
    if (n == 0) { /* nothing new: hand over anything held back */
        if (s->held.len && !s->closed)
            push(s, "", 0);
        return ED_OK;
    }
    if (s->closed) {
        ed_xs_fail(s, ED_XML_STREAM_CLOSED, "data after </stream:stream>");
        return ED_OK;
    }
    s->total += n;
    int ctl;
    size_t good = ed_xml_utf8_scan(&s->sc, (const unsigned char *)buf, n, &ctl);
    int ended = ed_xml_lex(&s->sc, (const unsigned char *)buf, good);
    s->raw_bad = good < n ? (ctl ? 2 : 1) : 0;
    if (good < n || ended || s->sc.lx == ED_XML_LX_TEXT ||
        s->held.len + good >= s->con_fed) {
        push(s, buf, good);
    } else if (ed_buf_append(&s->held, buf, good)) {
        ed_xs_fail(s, ED_ENOMEM, "out of memory");
    }
    s->tail = 1;
    if (!s->suspended)
        feed_tail(s);
    return ED_OK;
}

ed_err ed_xml_stream_next(ed_xml_stream *s, ed_xml_event *ev)
{
    if (!ev)
        return ED_EINVAL;
    memset(ev, 0, sizeof *ev);
    if (!s)
        return ED_EINVAL;
    ed_elem_free(s->lent);
    s->lent = NULL;
    /* each round takes an event, ends, or resumes expat, which then either
     * queues an event or finishes: two rounds do */
    for (int round = 0; round < 3; round++) {
        if (s->qlen) {
            *ev = s->q[s->qhead];
            s->qhead = (s->qhead + 1) % EVQ;
            s->qlen--;
            if (ev->type == ED_XML_EV_OPEN)
                s->lent = ev->elem;
            return ED_OK;
        }
        if (s->err)
            return s->err;
        if (!s->suspended)
            return ED_OK; /* ED_XML_EV_NONE: feed more */
        resume(s);
    }
    ed_xs_fail(s, ED_ESTATE, "parser suspended without an event");
    return s->err;
}

/* --- releasing expat while the stream is idle ------------------------------------ */

/* Called when the stream header has been parsed (from open_stream): keep
 * the raw bytes of its start tag, the one thing a new expat parser needs to
 * continue the stream (the namespace bindings and the element that
 * </stream:stream> must close).  Expat keeps the current token in its
 * buffer (XML_CONTEXT_BYTES, on in every distribution build); without it
 * nothing is saved and ed_xml_stream_idle() never releases. */
void ed_xs_idle_save_header(ed_xml_stream *s)
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
 * parsed the stream so far (no second OPEN event).  Byte offsets
 * restart at the end of the saved header.  -1 with s->err on failure. */
static int idle_wake(ed_xml_stream *s)
{
    s->idle = 0;
    s->p = XML_ParserCreateNS("UTF-8", NS_SEP);
    if (!s->p) {
        ed_xs_fail(s, ED_ENOMEM, "out of memory");
        return -1;
    }
    ed_xs_setup_parser(s);
    s->quiet = 1; /* the caller had this header's event already */
    s->depth = 0;
    s->opened = 0;
    s->hdr_ns = 0;
    s->fed = s->mark = s->total = 0;
    ed_xs_run_expat(s, s->idle_hdr, s->idle_hdr_len, 0);
    s->quiet = 0;
    s->total = s->fed;
    if (!s->err && (s->depth != 1 || !s->opened))
        ed_xs_fail(s, ED_ESTATE, "cannot resume the stream");
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
        s->qlen || s->suspended || s->tail ||
        s->stanza || s->held.len || s->sc.lx != ED_XML_LX_TEXT || s->sc.u8_need ||
        !s->idle_hdr || s->total != s->fed ||
        (uint64_t)XML_GetCurrentByteIndex(s->p) != s->fed)
        return 0;
    XML_ParserFree(s->p);
    s->p = NULL;
    s->idle = 1;
    return 1;
}
