/* tests/fuzz/fuzz_xml_stream.c — libFuzzer target for the XML stream parser,
 * ed_xml_parse and the serialiser.
 *
 * Invariants checked (abort() on violation):
 *   - every stanza the stream parser delivers serialises, and the output
 *     parses again with ed_xml_parse; serialising that gives the same bytes;
 *   - the same for whatever ed_xml_parse accepts from the raw input;
 *   - events are taken one at a time after every feed (ed_xml_stream_next);
 *   - feeding the input whole and in data-derived chunks gives the same
 *     serialised events and the same error (except that a limit error may
 *     race a syntax error right after it: see below).
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "extdisco/error.h"
#include "extdisco/xml.h"

typedef struct {
    ed_buf log;
    char content_ns[256];
} fz_ctx;

static void check_round_trip(const ed_elem *e)
{
    char *s1 = ed_xml_to_string(e, NULL);
    if (!s1)
        abort(); /* a parsed tree must always serialise */
    /* Escaping and namespace declarations can grow the text: loose limits. */
    ed_xml_limits lim = ed_xml_limits_default();
    lim.max_stanza_bytes = strlen(s1) + 1;
    lim.max_text_bytes = (size_t)-1;
    ed_elem *back = NULL;
    ed_err err = ed_xml_parse(s1, strlen(s1), &lim, &back);
    if (err != ED_OK) {
        fprintf(stderr, "round trip failed (%s): %s\n", ed_strerror(err), s1);
        abort();
    }
    char *s2 = ed_xml_to_string(back, NULL);
    if (!s2 || strcmp(s1, s2)) {
        fprintf(stderr, "not stable:\n%s\n%s\n", s1, s2 ? s2 : "(null)");
        abort();
    }
    free(s2);
    free(s1);
    ed_elem_free(back);
}

static void fz_open(fz_ctx *c, const ed_elem *h, const char *content_ns)
{
    snprintf(c->content_ns, sizeof c->content_ns, "%s", content_ns);
    ed_buf_puts(&c->log, "open ");
    if (ed_xml_write(&c->log, h, NULL))
        abort();
    ed_buf_printf(&c->log, " %s\n", content_ns);
}

static void fz_stanza(fz_ctx *c, ed_elem *st)
{
    check_round_trip(st);
    if (ed_xml_write(&c->log, st, c->content_ns))
        abort();
    ed_buf_puts(&c->log, "\n");
    ed_elem_free(st);
}

static void fz_close(fz_ctx *c)
{
    ed_buf_puts(&c->log, "close\n");
}

/* Feed n bytes, then take every event they complete (one per call). */
static ed_err fz_feed(ed_xml_stream *s, fz_ctx *c, const char *p, size_t n)
{
    ed_err err = ed_xml_stream_feed(s, p, n);
    if (err)
        return err;
    ed_xml_event ev;
    while ((err = ed_xml_stream_next(s, &ev)) == ED_OK && ev.type != ED_XML_EV_NONE) {
        if (ev.type == ED_XML_EV_OPEN)
            fz_open(c, ev.elem, ev.content_ns);
        else if (ev.type == ED_XML_EV_STANZA)
            fz_stanza(c, ev.elem);
        else
            fz_close(c);
    }
    if (ev.type != ED_XML_EV_NONE)
        abort();
    return err;
}

static ed_err feed_stream(const uint8_t *data, size_t size, int chunked,
                          ed_buf *log)
{
    fz_ctx c;
    memset(&c, 0, sizeof c);
    ed_xml_limits lim = ed_xml_limits_default();
    lim.max_stanza_bytes = 4096; /* reachable limits */
    lim.max_depth = 8;
    lim.max_attrs = 8;
    lim.max_text_bytes = 1024;
    ed_xml_stream *s = ed_xml_stream_new(&lim);
    if (!s)
        abort();
    ed_err err = ED_OK;
    size_t off = 0;
    unsigned seed = size ? data[0] : 0;
    while (off < size && !err) {
        size_t n = size - off;
        if (chunked) {
            /* chunk length from the data itself: 1..16 bytes */
            seed = seed * 31u + data[off];
            size_t want = 1 + (seed >> 3) % 16;
            if (want < n)
                n = want;
        }
        err = fz_feed(s, &c, (const char *)data + off, n);
        off += n;
    }
    if (!err)
        err = fz_feed(s, &c, "", 0); /* hand over held-back bytes */
    if (err && fz_feed(s, &c, "x", 1) != err)
        abort(); /* errors are sticky */
    if (err && !ed_err_stream_condition(err) && err != ED_ENOMEM)
        abort(); /* every parse error maps to a stream condition */
    /* a reset parser works again */
    if (ed_xml_stream_reset(s) != ED_OK)
        abort();
    static const char hdr[] = "<stream:stream xmlns:stream='http://etherx.jabber.org/streams'><a/>";
    ed_buf after = {0};
    fz_ctx c2 = {.log = after};
    if (fz_feed(s, &c2, hdr, sizeof hdr - 1) != ED_OK)
        abort();
    ed_buf_free(&c2.log);
    ed_xml_stream_free(s);
    *log = c.log;
    return err;
}

static int is_limit(ed_err e)
{
    return e == ED_XML_STANZA_TOO_BIG || e == ED_XML_TEXT_TOO_BIG ||
           e == ED_XML_TOO_DEEP || e == ED_XML_TOO_MANY_ATTRS;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size > 64 * 1024)
        return 0;
    ed_buf whole = {0}, parts = {0};
    ed_err e1 = feed_stream(data, size, 0, &whole);
    ed_err e2 = feed_stream(data, size, 1, &parts);
    const char *a = whole.data ? whole.data : "", *b = parts.data ? parts.data : "";
    /* expat may drop the text just before a syntax error when both arrive in
     * one buffer, so a limit error can race a syntax error; anything else
     * must not depend on the chunking. */
    int racy = e1 != e2 && e1 && e2 &&
               (is_limit(e1) || is_limit(e2));
    if ((e1 != e2 && !racy) || strcmp(a, b)) {
        fprintf(stderr, "chunking changed the result: %d vs %d\n%s\n---\n%s\n",
                e1, e2, a, b);
        abort();
    }
    ed_buf_free(&whole);
    ed_buf_free(&parts);

    ed_elem *e = NULL;
    if (ed_xml_parse((const char *)data, size, NULL, &e) == ED_OK) {
        check_round_trip(e);
        ed_elem_free(e);
    }
    return 0;
}
