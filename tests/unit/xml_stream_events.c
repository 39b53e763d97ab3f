/* tests/unit/xml_stream_events.c — see xml_stream_events.h. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "xml_stream_events.h"

static void on_open(log_t *l, const ed_elem *h, const char *content_ns)
{
    l->opens++;
    snprintf(l->content_ns, sizeof l->content_ns, "%s", content_ns);
    assert_null(h->children);
    ed_buf_printf(&l->b, "open:%s|%s|%s", h->name, h->ns, content_ns);
    for (size_t i = 0; i < h->nattrs; i++)
        ed_buf_printf(&l->b, "|%s=%s", h->attrs[i].name, h->attrs[i].value);
    ed_buf_puts(&l->b, "\n");
}

static void on_stanza(log_t *l, ed_elem *st)
{
    l->stanzas++;
    assert_null(st->parent);
    ed_buf_puts(&l->b, "stanza:");
    assert_int_equal(ed_xml_write(&l->b, st, l->content_ns), ED_OK);
    ed_buf_puts(&l->b, "\n");
    ed_elem_free(st);
}

static void on_close(log_t *l)
{
    l->closes++;
    ed_buf_puts(&l->b, "close\n");
}

/* Take the events waiting in s into l (NULL: drop them); the error
 * ed_xml_stream_next() ends with. */
ed_err drain(ed_xml_stream *s, log_t *l)
{
    ed_xml_event ev;
    ed_err err;
    int guard = 0;
    while ((err = ed_xml_stream_next(s, &ev)) == ED_OK && ev.type != ED_XML_EV_NONE) {
        assert_true(++guard < 100000);
        if (ev.type == ED_XML_EV_OPEN) {
            assert_non_null(ev.elem);
            if (l)
                on_open(l, ev.elem, ev.content_ns);
        } else if (ev.type == ED_XML_EV_STANZA) {
            assert_non_null(ev.elem);
            if (l)
                on_stanza(l, ev.elem);
            else
                ed_elem_free(ev.elem);
        } else {
            assert_int_equal(ev.type, ED_XML_EV_CLOSE);
            assert_null(ev.elem);
            if (l)
                on_close(l);
        }
    }
    assert_int_equal(ev.type, ED_XML_EV_NONE);
    /* drained: another call changes nothing */
    ed_err again = ed_xml_stream_next(s, &ev);
    assert_int_equal(again, err);
    assert_int_equal(ev.type, ED_XML_EV_NONE);
    return err;
}

/* Feed n bytes and take every event they complete into l: the error the
 * feed or the events end with. */
ed_err feed(ed_xml_stream *s, log_t *l, const char *buf, size_t n)
{
    ed_err err = ed_xml_stream_feed(s, buf, n);
    return err ? err : drain(s, l);
}

/* Feed `in` in chunks of `step` bytes (0 = whole); returns the first error. */
ed_err run(const char *in, size_t len, size_t step,
                  const ed_xml_limits *lim, log_t *l, char *detail, size_t dsz)
{
    memset(l, 0, sizeof *l);
    ed_xml_stream *s = ed_xml_stream_new(lim);
    assert_non_null(s);
    ed_err err = ED_OK;
    if (step == 0)
        step = len ? len : 1;
    for (size_t off = 0; off < len && !err; off += step) {
        size_t n = len - off < step ? len - off : step;
        err = feed(s, l, in + off, n);
    }
    if (err) {
        /* sticky */
        assert_int_equal(feed(s, l, "<a/>", 4), err);
        assert_int_equal(feed(s, l, "", 0), err);
    }
    if (detail)
        snprintf(detail, dsz, "%s", ed_xml_stream_error_detail(s));
    ed_xml_stream_free(s);
    return err;
}

/* Run whole, in 1..7-byte chunks: same error and same log every time. */
ed_err run_all(const char *in, const ed_xml_limits *lim, char **logout)
{
    size_t len = strlen(in);
    log_t ref;
    ed_err err = run(in, len, 0, lim, &ref, NULL, 0);
    for (size_t step = 1; step <= 7; step++) {
        log_t l;
        ed_err e2 = run(in, len, step, lim, &l, NULL, 0);
        assert_int_equal(e2, err);
        assert_string_equal(l.b.data ? l.b.data : "", ref.b.data ? ref.b.data : "");
        ed_buf_free(&l.b);
    }
    if (logout)
        *logout = ref.b.data ? ref.b.data : strdup("");
    else
        ed_buf_free(&ref.b);
    return err;
}

/* A stanza of exactly `size` bytes: <m a='xxxx...'/> */
char *stanza_of(size_t size)
{
    char *s = malloc(size + 1);
    size_t fixed = strlen("<m a=''/>");
    memcpy(s, "<m a='", 6);
    memset(s + 6, 'x', size - fixed);
    memcpy(s + 6 + size - fixed, "'/>", 4);
    return s;
}
