/* tests/unit/test_xml_stream.c — the stream parser (ed_xml_stream_*):
 * chunking (every case also fed in 1..7-byte chunks, events taken after
 * each feed), one event per call, rejections, limits, reset, keepalives,
 * idle release.
 * Trees, serialiser and ed_xml_parse are in test_xml.c. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <cmocka.h>
#include <sys/random.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "extdisco/xml.h"

/* ---- helpers ------------------------------------------------------------- */

/* Everything a stream reported, as text. */
typedef struct log {
    ed_buf b;
    int opens, stanzas, closes;
    char content_ns[64];
} log_t;

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
static ed_err drain(ed_xml_stream *s, log_t *l)
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
static ed_err feed(ed_xml_stream *s, log_t *l, const char *buf, size_t n)
{
    ed_err err = ed_xml_stream_feed(s, buf, n);
    return err ? err : drain(s, l);
}

/* Feed `in` in chunks of `step` bytes (0 = whole); returns the first error. */
static ed_err run(const char *in, size_t len, size_t step,
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
static ed_err run_all(const char *in, const ed_xml_limits *lim, char **logout)
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

#define HDR "<stream:stream xmlns='jabber:client' " \
            "xmlns:stream='http://etherx.jabber.org/streams' to='example.com' version='1.0'>"
#define HDRLOG "open:stream|http://etherx.jabber.org/streams|jabber:client|to=example.com|version=1.0\n"

static void expect_stream_err(const char *in, const ed_xml_limits *lim,
                              ed_err want, const char *cond)
{
    ed_err e = run_all(in, lim, NULL);
    if (e != want)
        print_error("input %s: got %d want %d\n", in, e, want);
    assert_int_equal(e, want);
    assert_string_equal(ed_err_stream_condition(e), cond);
    log_t l;
    char detail[200];
    run(in, strlen(in), 0, lim, &l, detail, sizeof detail);
    ed_buf_free(&l.b);
    assert_true(strncmp(detail, "line ", 5) == 0);
    assert_non_null(strstr(detail, ", column "));
}

/* ---- stream parser ---------------------------------------------------------- */

static void test_stream_basic(void **state)
{
    (void)state;
    const char *in =
        "<?xml version='1.0'?>" HDR " \n\t "
        "<iq type='get' id='1' to='example.com'><services xmlns='urn:xmpp:extdisco:2'/></iq>\n"
        "<message to='a@b' xml:lang='fr'><body>caf&#233; &amp; t\xC3\xA9\xE2\x82\xAC&lt;"
        "<![CDATA[x]]>y</body></message>   "
        "<stream:features><bind xmlns='urn:ietf:params:xml:ns:xmpp-bind'/></stream:features>"
        "<foo:iq xmlns:foo='jabber:server'/>"
        "</stream:stream>";
    char *log = NULL;
    assert_int_equal(run_all(in, NULL, &log), ED_OK);
    assert_string_equal(log,
        HDRLOG
        "stanza:<iq type='get' id='1' to='example.com'><services xmlns='urn:xmpp:extdisco:2'/></iq>\n"
        "stanza:<message to='a@b' xml:lang='fr'><body>caf\xC3\xA9 &amp; t\xC3\xA9\xE2\x82\xAC&lt;xy</body></message>\n"
        "stanza:<features xmlns='http://etherx.jabber.org/streams'><bind xmlns='urn:ietf:params:xml:ns:xmpp-bind'/></features>\n"
        "stanza:<iq xmlns='jabber:server'/>\n"
        "close\n");
    free(log);

    log_t l;
    assert_int_equal(run(in, strlen(in), 1, NULL, &l, NULL, 0), ED_OK);
    assert_int_equal(l.opens, 1);
    assert_int_equal(l.stanzas, 4);
    assert_int_equal(l.closes, 1);
    ed_buf_free(&l.b);

    /* header without a default namespace; xml:lang on the header */
    in = "<stream:stream xmlns:stream='http://etherx.jabber.org/streams' xml:lang='en'>"
         "<a/></stream:stream>";
    assert_int_equal(run_all(in, NULL, &log), ED_OK);
    assert_string_equal(log, "open:stream|http://etherx.jabber.org/streams||xml:lang=en\n"
                             "stanza:<a/>\nclose\n");
    free(log);
}

static void test_stream_text_merge(void **state)
{
    (void)state;
    const char *in = HDR "<message><body>a&amp;b&#x41;\xE2\x82\xAC<![CDATA[c]]>d\r\ne</body></message>";
    ed_elem *got = NULL;
    ed_xml_stream *s = ed_xml_stream_new(NULL);
    for (size_t i = 0; in[i]; i++) {
        assert_int_equal(ed_xml_stream_feed(s, in + i, 1), ED_OK);
        ed_xml_event ev;
        while (ed_xml_stream_next(s, &ev) == ED_OK && ev.type) {
            if (ev.type == ED_XML_EV_STANZA) {
                assert_null(got);
                got = ev.elem;
            }
        }
    }
    assert_non_null(got);
    ed_elem *body = ed_elem_child(got, "body", ED_NS_CLIENT);
    assert_non_null(body);
    assert_non_null(body->children);
    assert_ptr_equal(body->children, body->last);
    assert_null(body->children->name);
    assert_string_equal(body->children->text, "a&bA\xE2\x82\xAC" "cd\ne");
    assert_int_equal(body->children->text_len, 11);
    ed_elem_free(got);
    ed_xml_stream_free(s);
}

/* Fed a byte at a time, every stanza arrives with its own last byte: the
 * parser's deferral of unfinished markup never delays an event. */
static void test_stream_no_delay(void **state)
{
    (void)state;
    const char *stanzas[] = {
        "<iq type='get' id='1'><services xmlns='urn:xmpp:extdisco:2'/></iq>",
        "<m a=\"it's > 'x'\" b='say \"hi\" >'/>",
        "<m><![CDATA[ it's \" ]] > ]]></m>",
        "<m>a&amp;b<x y='1'/>c</m>",
        "<m xmlns='urn:a'>\xE2\x82\xAC</m>",
    };
    log_t l;
    memset(&l, 0, sizeof l);
    ed_xml_stream *s = ed_xml_stream_new(NULL);
    const char *pre = "<?xml version='1.0'?>\n" HDR;
    for (size_t i = 0; pre[i]; i++) {
        assert_int_equal(l.opens, 0);
        assert_int_equal(feed(s, &l, pre + i, 1), ED_OK);
    }
    assert_int_equal(l.opens, 1);
    for (int round = 0; round < 3; round++) {
        for (size_t k = 0; k < sizeof stanzas / sizeof stanzas[0]; k++) {
            int before = l.stanzas;
            const char *st = stanzas[k];
            for (size_t i = 0; st[i]; i++) {
                assert_int_equal(l.stanzas, before);
                assert_int_equal(feed(s, &l, st + i, 1), ED_OK);
            }
            assert_int_equal(l.stanzas, before + 1);
            assert_int_equal(feed(s, &l, " ", 1), ED_OK);
        }
    }
    const char *end = "</stream:stream>";
    for (size_t i = 0; end[i]; i++) {
        assert_int_equal(l.closes, 0);
        assert_int_equal(feed(s, &l, end + i, 1), ED_OK);
    }
    assert_int_equal(l.closes, 1);
    ed_xml_stream_free(s);
    ed_buf_free(&l.b);
}

/* A huge start tag trickling in a byte at a time stays linear (expat 2.5
 * would rescan the partial tag on every call). */
static void test_stream_slow_tag(void **state)
{
    (void)state;
    log_t l;
    memset(&l, 0, sizeof l);
    ed_xml_stream *s = ed_xml_stream_new(NULL);
    assert_int_equal(feed(s, &l, HDR "<m a='", strlen(HDR) + 6), ED_OK);
    clock_t t0 = clock();
    for (int i = 0; i < 60000; i++)
        assert_int_equal(feed(s, &l, i % 2 ? ">" : "x", 1), ED_OK);
    assert_int_equal(feed(s, &l, "'/>", 3), ED_OK);
    double secs = (double)(clock() - t0) / CLOCKS_PER_SEC;
    assert_int_equal(l.stanzas, 1);
    assert_true(secs < 0.5); /* quadratic behaviour takes seconds */
    ed_xml_stream_free(s);
    ed_buf_free(&l.b);
}

static void test_stream_rejects(void **state)
{
    (void)state;
    /* restricted XML */
    expect_stream_err("<!DOCTYPE stream:stream>" HDR, NULL, ED_XML_RESTRICTED, "restricted-xml");
    expect_stream_err("<?xml version='1.0'?><!DOCTYPE s [<!ENTITY x 'y'>]>" HDR, NULL,
                      ED_XML_RESTRICTED, "restricted-xml");
    expect_stream_err("<?foo bar?>" HDR, NULL, ED_XML_RESTRICTED, "restricted-xml");
    expect_stream_err(HDR "<iq><?foo bar?></iq>", NULL, ED_XML_RESTRICTED, "restricted-xml");
    expect_stream_err(HDR "<iq/><!-- hi -->", NULL, ED_XML_RESTRICTED, "restricted-xml");
    expect_stream_err(HDR "<iq><!-- hi --></iq>", NULL, ED_XML_RESTRICTED, "restricted-xml");
    expect_stream_err("<!-- hi -->" HDR, NULL, ED_XML_RESTRICTED, "restricted-xml");
    /* encodings */
    expect_stream_err("<?xml version='1.0' encoding='ISO-8859-1'?>" HDR, NULL,
                      ED_XML_BAD_ENCODING, "unsupported-encoding");
    expect_stream_err("<?xml version='1.0' encoding='utf-16'?>" HDR, NULL,
                      ED_XML_BAD_ENCODING, "unsupported-encoding");
    assert_int_equal(run_all("<?xml version='1.0' encoding='UTF-8'?>" HDR, NULL, NULL), ED_OK);
    assert_int_equal(run_all("<?xml version='1.0' encoding='utf-8'?>" HDR, NULL, NULL), ED_OK);
    /* the XML declaration only at the very start */
    expect_stream_err(HDR "<?xml version='1.0'?>", NULL, ED_XML_NOT_WELL_FORMED, "not-well-formed");
    /* UTF-8 */
    expect_stream_err(HDR "<message><body>\xC3\x28</body></message>", NULL,
                      ED_XML_BAD_UTF8, "not-well-formed");
    expect_stream_err(HDR "<a x='\xC0\xAF'/>", NULL, ED_XML_BAD_UTF8, "not-well-formed");
    expect_stream_err(HDR "<a>\xED\xA0\x80</a>", NULL, ED_XML_BAD_UTF8, "not-well-formed");
    expect_stream_err(HDR "<a>\xF4\x90\x80\x80</a>", NULL, ED_XML_BAD_UTF8, "not-well-formed");
    expect_stream_err(HDR "<a>\xE2\x82" "A</a>", NULL, ED_XML_BAD_UTF8, "not-well-formed");
    expect_stream_err("\xFF\xFE<", NULL, ED_XML_BAD_UTF8, "not-well-formed");
    /* syntax */
    expect_stream_err(HDR "<a></b>", NULL, ED_XML_NOT_WELL_FORMED, "not-well-formed");
    expect_stream_err(HDR "<a>&nope;</a>", NULL, ED_XML_NOT_WELL_FORMED, "not-well-formed");
    expect_stream_err(HDR "<a>\x01</a>", NULL, ED_XML_NOT_WELL_FORMED, "not-well-formed");
    expect_stream_err(HDR "hello<a/>", NULL, ED_XML_NOT_WELL_FORMED, "not-well-formed");
    expect_stream_err(HDR "<a/></stream>", NULL, ED_XML_NOT_WELL_FORMED, "not-well-formed");
    /* stream header */
    expect_stream_err("<stream:stream xmlns:stream='urn:wrong'>", NULL,
                      ED_XML_BAD_NAMESPACE, "invalid-namespace");
    expect_stream_err("<stream xmlns='jabber:client'>", NULL,
                      ED_XML_BAD_NAMESPACE, "invalid-namespace");
    expect_stream_err("<iq xmlns='jabber:client'/>", NULL,
                      ED_XML_BAD_STREAM_HEADER, "bad-format");
    expect_stream_err("<s:features xmlns:s='http://etherx.jabber.org/streams'>", NULL,
                      ED_XML_BAD_STREAM_HEADER, "bad-format");
    /* after close */
    expect_stream_err(HDR "<a/></stream:stream><a/>", NULL,
                      ED_XML_STREAM_CLOSED, "not-well-formed");
    expect_stream_err(HDR "</stream:stream> ", NULL, ED_XML_STREAM_CLOSED, "not-well-formed");

    /* the stanzas before an error were delivered, whatever the chunking */
    char *log = NULL;
    assert_int_equal(run_all(HDR "<a/><b>\xC3\x28", NULL, &log), ED_XML_BAD_UTF8);
    assert_string_equal(log, HDRLOG "stanza:<a/>\n");
    free(log);
    assert_int_equal(run_all(HDR "<a/></stream:stream>junk", NULL, &log), ED_XML_STREAM_CLOSED);
    assert_string_equal(log, HDRLOG "stanza:<a/>\nclose\n");
    free(log);

    /* detail for an expat syntax error */
    log_t l;
    char detail[200];
    const char *in = "<stream:stream xmlns:stream='http://etherx.jabber.org/streams'>\n<a></b>";
    assert_int_equal(run(in, strlen(in), 0, NULL, &l, detail, sizeof detail), ED_XML_NOT_WELL_FORMED);
    assert_string_equal(detail, "line 2, column 6: mismatched tag");
    ed_buf_free(&l.b);
    /* no error: empty detail */
    ed_xml_stream *s = ed_xml_stream_new(NULL);
    assert_string_equal(ed_xml_stream_error_detail(s), "");
    ed_xml_stream_free(s);
}

static void test_stream_split_utf8(void **state)
{
    (void)state;
    /* valid 2-, 3- and 4-byte sequences split across every feed boundary */
    const char *in = HDR "<a>\xC3\xA9\xE2\x82\xAC\xF0\x9F\x98\x80</a>";
    char *log = NULL;
    assert_int_equal(run_all(in, NULL, &log), ED_OK);
    assert_string_equal(log, HDRLOG "stanza:<a>\xC3\xA9\xE2\x82\xAC\xF0\x9F\x98\x80</a>\n");
    free(log);
    /* invalid continuation arriving in a later feed */
    ed_xml_stream *s = ed_xml_stream_new(NULL);
    assert_int_equal(feed(s, NULL, HDR "<a>\xF0\x9F", strlen(HDR) + 5), ED_OK);
    assert_int_equal(feed(s, NULL, "\x98", 1), ED_OK);
    assert_int_equal(feed(s, NULL, "<", 1), ED_XML_BAD_UTF8);
    assert_non_null(strstr(ed_xml_stream_error_detail(s), "invalid UTF-8"));
    ed_xml_stream_free(s);
}

/* A stanza of exactly `size` bytes: <m a='xxxx...'/> */
static char *stanza_of(size_t size)
{
    char *s = malloc(size + 1);
    size_t fixed = strlen("<m a=''/>");
    memcpy(s, "<m a='", 6);
    memset(s + 6, 'x', size - fixed);
    memcpy(s + 6 + size - fixed, "'/>", 4);
    return s;
}

static void test_stream_limits(void **state)
{
    (void)state;
    ed_xml_limits lim = ed_xml_limits_default();
    char buf[4096];

    lim.max_depth = 3;
    snprintf(buf, sizeof buf, HDR "<a><b><c/></b></a>");
    assert_int_equal(run_all(buf, &lim, NULL), ED_OK);
    snprintf(buf, sizeof buf, HDR "<a><b><c><d/></c></b></a>");
    expect_stream_err(buf, &lim, ED_XML_TOO_DEEP, "policy-violation");

    lim = ed_xml_limits_default();
    lim.max_attrs = 2;
    snprintf(buf, sizeof buf, HDR "<a x='1' y='2' xmlns:p='urn:p'><b p:z='1' q='2'/></a>");
    assert_int_equal(run_all(buf, &lim, NULL), ED_OK);
    snprintf(buf, sizeof buf, HDR "<a><b x='1' y='2' z='3'/></a>");
    expect_stream_err(buf, &lim, ED_XML_TOO_MANY_ATTRS, "policy-violation");
    /* the header counts too: it has 2 */
    lim.max_attrs = 1;
    expect_stream_err(HDR, &lim, ED_XML_TOO_MANY_ATTRS, "policy-violation");

    lim = ed_xml_limits_default();
    lim.max_text_bytes = 5;
    snprintf(buf, sizeof buf, HDR "<a>12<b>3&amp;</b>5</a>  \n <a>12345</a>");
    assert_int_equal(run_all(buf, &lim, NULL), ED_OK);
    snprintf(buf, sizeof buf, HDR "<a>12345</a><a>12<b>34</b>56</a>");
    expect_stream_err(buf, &lim, ED_XML_TEXT_TOO_BIG, "policy-violation");

    /* stanza bytes: exactly at the limit, one over, and unfinished */
    lim = ed_xml_limits_default();
    lim.max_stanza_bytes = 300;
    char *ok = stanza_of(300), *over = stanza_of(301);
    snprintf(buf, sizeof buf, HDR " %s\n%s ", ok, ok);
    char *log = NULL;
    assert_int_equal(run_all(buf, &lim, &log), ED_OK);
    assert_int_equal(strlen(log), strlen(HDRLOG) + 2 * (strlen("stanza:\n") + 300));
    free(log);
    snprintf(buf, sizeof buf, HDR "%s%s", ok, over);
    expect_stream_err(buf, &lim, ED_XML_STANZA_TOO_BIG, "policy-violation");
    assert_int_equal(run_all(buf, &lim, &log), ED_XML_STANZA_TOO_BIG);
    assert_int_equal(strlen(log), strlen(HDRLOG) + strlen("stanza:\n") + 300);
    free(log);
    /* an unfinished stanza: 300 bytes so far is fine, 301 is over */
    memset(over + 6, 'x', 294);
    over[300] = '\0'; /* "<m a='xxx...": 300 bytes, no end yet */
    snprintf(buf, sizeof buf, HDR "%s", over);
    assert_int_equal(run_all(buf, &lim, NULL), ED_OK);
    snprintf(buf, sizeof buf, HDR "%sx", over);
    expect_stream_err(buf, &lim, ED_XML_STANZA_TOO_BIG, "policy-violation");
    snprintf(buf, sizeof buf, HDR "<m>%s", over + 3); /* 300 bytes, in content */
    assert_int_equal(run_all(buf, &lim, NULL), ED_OK);
    /* an endless header is caught too */
    memset(buf, 0, sizeof buf);
    strcpy(buf, "<stream:stream a='");
    memset(buf + strlen(buf), 'y', 400);
    expect_stream_err(buf, &lim, ED_XML_STANZA_TOO_BIG, "policy-violation");
    free(ok);
    free(over);
}

/* The stream header is bounded by ED_XML_MAX_HEADER_BYTES whatever
 * max_stanza_bytes says (every idle wake parses it again): a header of
 * 2,000 namespace declarations is refused as soon as it passes the bound,
 * finished or not; one just under it is accepted.  So is a header with more
 * than ED_XML_MAX_HEADER_NS namespace declarations. */
static void test_stream_header_bound(void **state)
{
    (void)state;
    ed_xml_limits big = ed_xml_limits_default(); /* 64 KiB stanzas */
    static char hb[64 * 1024];
    const char *start = "<stream:stream xmlns='jabber:client' "
                        "xmlns:stream='http://etherx.jabber.org/streams'";
    size_t n = (size_t)snprintf(hb, sizeof hb, "%s", start);
    for (int i = 0; i < 2000; i++)
        n += (size_t)snprintf(hb + n, sizeof hb - n, " xmlns:n%d='u'", i);
    snprintf(hb + n, sizeof hb - n, ">");
    assert_true(strlen(hb) > 20000 && strlen(hb) < big.max_stanza_bytes);
    expect_stream_err(hb, &big, ED_XML_STANZA_TOO_BIG, "policy-violation");
    hb[n] = '\0'; /* unfinished: refused by the byte count alone */
    expect_stream_err(hb, &big, ED_XML_STANZA_TOO_BIG, "policy-violation");
    /* 17 namespace declarations in a small header: refused; 16 are fine */
    n = (size_t)snprintf(hb, sizeof hb, "%s", start);
    for (int i = 0; i < 14; i++)
        n += (size_t)snprintf(hb + n, sizeof hb - n, " xmlns:n%d='u'", i);
    snprintf(hb + n, sizeof hb - n, ">");
    assert_int_equal(run_all(hb, &big, NULL), ED_OK);
    snprintf(hb + n, sizeof hb - n, " xmlns:x='u'>");
    expect_stream_err(hb, &big, ED_XML_TOO_MANY_ATTRS, "policy-violation");
    /* just under the bound: fine */
    n = (size_t)snprintf(hb, sizeof hb, "%s to='", start);
    size_t pad = ED_XML_MAX_HEADER_BYTES - n - 2; /* "'>" */
    memset(hb + n, 'x', pad);
    snprintf(hb + n + pad, sizeof hb - n - pad, "'>");
    assert_int_equal(strlen(hb), ED_XML_MAX_HEADER_BYTES);
    assert_int_equal(run_all(hb, &big, NULL), ED_OK);
    memmove(hb + n + 1, hb + n, strlen(hb + n) + 1); /* one byte more */
    hb[n] = 'x';
    expect_stream_err(hb, &big, ED_XML_STANZA_TOO_BIG, "policy-violation");
}

static void test_stream_keepalive_reset(void **state)
{
    (void)state;
    ed_xml_limits lim = ed_xml_limits_default();
    lim.max_stanza_bytes = 200;
    log_t l = {0};
    ed_xml_stream *s = ed_xml_stream_new(&lim);
    assert_int_equal(feed(s, &l, HDR, strlen(HDR)), ED_OK);
    /* 1000 whitespace keepalives: far more than max_stanza_bytes in total */
    for (int i = 0; i < 1000; i++)
        assert_int_equal(feed(s, &l, i % 2 ? " " : "\n", 1), ED_OK);
    assert_int_equal(feed(s, &l, "<a/>", 4), ED_OK);
    assert_int_equal(l.stanzas, 1);
    /* half a stanza, then STARTTLS: start over */
    assert_int_equal(feed(s, &l, "<b><c>", 6), ED_OK);
    assert_int_equal(ed_xml_stream_reset(s), ED_OK);
    const char *again = "<?xml version='1.0'?>"
        "<stream:stream xmlns='jabber:server' xmlns:stream='http://etherx.jabber.org/streams'>"
        "<d/></stream:stream>";
    assert_int_equal(feed(s, &l, again, strlen(again)), ED_OK);
    assert_string_equal(l.b.data,
        HDRLOG "stanza:<a/>\n"
        "open:stream|http://etherx.jabber.org/streams|jabber:server\n"
        "stanza:<d/>\nclose\n");
    /* closed: more bytes are an error; reset clears even that */
    assert_int_equal(feed(s, &l, " ", 1), ED_XML_STREAM_CLOSED);
    assert_int_equal(feed(s, &l, "", 0), ED_XML_STREAM_CLOSED);
    assert_int_equal(ed_xml_stream_reset(s), ED_OK);
    assert_string_equal(ed_xml_stream_error_detail(s), "");
    assert_int_equal(feed(s, &l, HDR "<e/>", strlen(HDR) + 4), ED_OK);
    assert_int_equal(l.opens, 3);
    assert_int_equal(l.stanzas, 3);
    /* reset after an error */
    assert_int_equal(feed(s, &l, "<!-- x -->", 10), ED_XML_RESTRICTED);
    assert_int_equal(ed_xml_stream_reset(s), ED_OK);
    assert_int_equal(feed(s, &l, HDR, strlen(HDR)), ED_OK);
    assert_int_equal(l.opens, 4);
    ed_xml_stream_free(s);
    ed_buf_free(&l.b);
}

/* One event per call: nothing after a stanza is parsed before the caller
 * asks for the next event, and after a reset (STARTTLS, SASL success) the
 * bytes that followed are never parsed as the old stream. */
static void test_stream_events_one_at_a_time(void **state)
{
    (void)state;
    ed_xml_stream *s = ed_xml_stream_new(NULL);
    const char *in = HDR "<a/><b>x</b><c/></stream:stream>";
    assert_int_equal(ed_xml_stream_feed(s, in, strlen(in)), ED_OK);
    ed_xml_event ev;
    assert_int_equal(ed_xml_stream_next(s, &ev), ED_OK);
    assert_int_equal(ev.type, ED_XML_EV_OPEN);
    assert_string_equal(ev.elem->name, "stream");
    assert_string_equal(ev.content_ns, "jabber:client");
    /* events waiting: no more bytes, no idling */
    assert_int_equal(ed_xml_stream_feed(s, " ", 1), ED_ESTATE);
    assert_int_equal(ed_xml_stream_idle(s), 0);
    const char *want[] = {"a", "b", "c"};
    for (int i = 0; i < 3; i++) {
        assert_int_equal(ed_xml_stream_next(s, &ev), ED_OK);
        assert_int_equal(ev.type, ED_XML_EV_STANZA);
        assert_string_equal(ev.elem->name, want[i]);
        ed_elem_free(ev.elem);
    }
    assert_int_equal(ed_xml_stream_next(s, &ev), ED_OK);
    assert_int_equal(ev.type, ED_XML_EV_CLOSE);
    assert_int_equal(ed_xml_stream_next(s, &ev), ED_OK);
    assert_int_equal(ev.type, ED_XML_EV_NONE);
    ed_xml_stream_free(s);

    /* <starttls/> and a TLS ClientHello in the same read: the hello's bytes
     * (invalid UTF-8, control characters) are dropped with the reset */
    s = ed_xml_stream_new(NULL);
    static const char hello[] = "<starttls xmlns='urn:ietf:params:xml:ns:xmpp-tls'/>"
                                "\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03<a/>";
    assert_int_equal(feed(s, NULL, HDR, strlen(HDR)), ED_OK);
    assert_int_equal(ed_xml_stream_feed(s, hello, sizeof hello - 1), ED_OK);
    assert_int_equal(ed_xml_stream_next(s, &ev), ED_OK);
    assert_int_equal(ev.type, ED_XML_EV_STANZA);
    assert_string_equal(ev.elem->name, "starttls");
    ed_elem_free(ev.elem);
    assert_int_equal(ed_xml_stream_reset(s), ED_OK);
    log_t l = {0};
    assert_int_equal(feed(s, &l, HDR "<d/>", strlen(HDR) + 4), ED_OK);
    assert_string_equal(l.b.data, HDRLOG "stanza:<d/>\n");
    ed_buf_free(&l.b);
    /* well-formed bytes after it: not parsed either (a wrong end tag there
     * would be an error if they were) */
    assert_int_equal(ed_xml_stream_reset(s), ED_OK);
    assert_int_equal(feed(s, NULL, HDR, strlen(HDR)), ED_OK);
    static const char two[] = "<starttls xmlns='urn:ietf:params:xml:ns:xmpp-tls'/><a></b>";
    assert_int_equal(ed_xml_stream_feed(s, two, sizeof two - 1), ED_OK);
    assert_int_equal(ed_xml_stream_next(s, &ev), ED_OK);
    assert_int_equal(ev.type, ED_XML_EV_STANZA);
    assert_string_equal(ev.elem->name, "starttls");
    ed_elem_free(ev.elem);
    assert_string_equal(ed_xml_stream_error_detail(s), "");
    assert_int_equal(ed_xml_stream_next(s, &ev), ED_XML_NOT_WELL_FORMED);
    /* without the reset the same bytes are the error they are */
    assert_int_equal(ed_xml_stream_reset(s), ED_OK);
    assert_int_equal(feed(s, NULL, HDR, strlen(HDR)), ED_OK);
    assert_int_equal(feed(s, NULL, hello, sizeof hello - 1), ED_XML_NOT_WELL_FORMED);
    /* a header of an empty stream: two events from one tag */
    assert_int_equal(ed_xml_stream_reset(s), ED_OK);
    memset(&l, 0, sizeof l);
    const char *empty = "<stream:stream xmlns:stream='http://etherx.jabber.org/streams'/>";
    assert_int_equal(feed(s, &l, empty, strlen(empty)), ED_OK);
    assert_string_equal(l.b.data, "open:stream|http://etherx.jabber.org/streams|\nclose\n");
    ed_buf_free(&l.b);
    ed_xml_stream_free(s);
}

/* ---- ed_xml_stream_idle() ---------------------------------------------------- */

/* Like run(), but offer the parser ed_xml_stream_idle() after every chunk;
 * *idled counts the times it was released. */
static ed_err run_idling(const char *in, size_t len, size_t step,
                         const ed_xml_limits *lim, log_t *l, int *idled)
{
    memset(l, 0, sizeof *l);
    *idled = 0;
    ed_xml_stream *s = ed_xml_stream_new(lim);
    assert_non_null(s);
    ed_err err = ED_OK;
    if (step == 0)
        step = len ? len : 1;
    for (size_t off = 0; off < len && !err; off += step) {
        size_t n = len - off < step ? len - off : step;
        err = feed(s, l, in + off, n);
        int r = ed_xml_stream_idle(s);
        assert_true(r == 0 || r == 1);
        if (r) {
            assert_int_equal(err, ED_OK);
            assert_int_equal(ed_xml_stream_idle(s), 1); /* idempotent */
            assert_int_equal(feed(s, l, "", 0), ED_OK);
            (*idled)++;
        }
    }
    if (err) {
        assert_int_equal(ed_xml_stream_idle(s), 0);
        assert_int_equal(feed(s, l, "<a/>", 4), err);
    }
    ed_xml_stream_free(s);
    return err;
}

/* The same events and error as without idling, in every chunking; returns
 * the most releases seen in one run. */
static int same_when_idling(const char *in, const ed_xml_limits *lim)
{
    size_t len = strlen(in);
    log_t ref;
    ed_err want = run(in, len, 0, lim, &ref, NULL, 0);
    int most = 0;
    for (size_t step = 0; step <= 9; step++) {
        log_t l;
        int idled;
        ed_err got = run_idling(in, len, step, lim, &l, &idled);
        if (got != want || strcmp(l.b.data ? l.b.data : "", ref.b.data ? ref.b.data : ""))
            print_error("input %s, step %zu: err %d want %d\ngot:  %s\nwant: %s\n", in,
                        step, got, want, l.b.data ? l.b.data : "",
                        ref.b.data ? ref.b.data : "");
        assert_int_equal(got, want);
        assert_string_equal(l.b.data ? l.b.data : "", ref.b.data ? ref.b.data : "");
        ed_buf_free(&l.b);
        if (idled > most)
            most = idled;
    }
    ed_buf_free(&ref.b);
    return most;
}

static void test_stream_idle_same_events(void **state)
{
    (void)state;
    /* plain traffic, keepalives, nested namespaces, the close */
    assert_true(same_when_idling(HDR "<a/> <b xmlns='urn:x' id='1'><c>t&amp;</c></b>\n"
                                 "<iq type='get'><q xmlns='urn:q'/></iq>  </stream:stream>",
                                 NULL) >= 4);
    /* prefixes bound on the header stay bound after a rebuild, and the
     * close must match the header's own prefix */
    const char *pfx = "<?xml version='1.0'?><s:stream xmlns:s='http://etherx.jabber.org/streams' "
                      "xmlns='jabber:server' xmlns:db='jabber:server:dialback' version='1.0'>"
                      "<db:result from='a.example' to='b.example'>key</db:result> "
                      "<s:features><x xmlns='urn:x'/></s:features> "
                      "<message to='x@b.example'><db:verify/></message></s:stream>";
    assert_true(same_when_idling(pfx, NULL) >= 3);
    /* header with the stream namespace as the default */
    assert_true(same_when_idling("<stream xmlns='http://etherx.jabber.org/streams'>"
                                 "<a/> <b/></stream>", NULL) >= 2);
    /* errors found after a rebuild are the same errors */
    same_when_idling(HDR "<a/> stray text", NULL);
    same_when_idling(HDR "<a/> <!-- comment -->", NULL);
    same_when_idling(HDR "<a/> <?pi x?>", NULL);
    same_when_idling(HDR "<a/> <?xml version='1.0'?>", NULL);
    same_when_idling(HDR "<a/> </stream>", NULL);
    same_when_idling(HDR "<a/> </stream:stream> <b/>", NULL);
    same_when_idling(HDR "<a/> <b></c>", NULL);
    same_when_idling(HDR "<a/> <p:b/>", NULL);
    same_when_idling(HDR "<a/> <b>\xc3\x28</b>", NULL);
    same_when_idling(HDR "<a/> \x01", NULL);
    /* references and CRs between stanzas: expat may hold part of them */
    same_when_idling(HDR "<a/>&#32;\r\n\r<b/>&#x20;&#9;\r", NULL);
    same_when_idling(HDR "<a/>&amp;<b/>", NULL);
    same_when_idling(HDR "<a/>&#65;<b/>", NULL);
    /* limits count from the end of the header again */
    ed_xml_limits lim = ed_xml_limits_default();
    lim.max_stanza_bytes = 300;
    lim.max_depth = 2;
    char *ok = stanza_of(300), *over = stanza_of(301);
    char buf[2048];
    snprintf(buf, sizeof buf, HDR "%s %s <a><b/></a>", ok, ok);
    assert_true(same_when_idling(buf, &lim) >= 2);
    snprintf(buf, sizeof buf, HDR "%s %s", ok, over);
    same_when_idling(buf, &lim);
    snprintf(buf, sizeof buf, HDR "<a/> <a><b><c/></b></a>");
    same_when_idling(buf, &lim);
    free(ok);
    free(over);
}

/* Entropy drawn by expat: these definitions stand in for libc's (the
 * executable's symbols come first for libexpat's calls too) and count. */
static int entropy_calls;

void arc4random_buf(void *buf, size_t n)
{
    entropy_calls++;
    syscall(SYS_getrandom, buf, n, 0);
}

ssize_t getrandom(void *buf, size_t n, unsigned flags)
{
    entropy_calls++;
    return syscall(SYS_getrandom, buf, n, flags);
}

/* A stream, a wake after an idle release, a reset and a second stream:
 * the events they give, and how often expat drew entropy meanwhile. */
static int salted_run(unsigned long salt, log_t *l)
{
    memset(l, 0, sizeof *l);
    ed_xml_stream *s = ed_xml_stream_new(NULL);
    assert_non_null(s);
    if (salt)
        ed_xml_stream_set_hash_salt(s, salt);
    entropy_calls = 0;
    assert_int_equal(feed(s, l, HDR "<a x='1'/>", strlen(HDR "<a x='1'/>")), ED_OK);
    assert_int_equal(ed_xml_stream_idle(s), 1);
    assert_int_equal(feed(s, l, "<b xmlns='urn:b'><c/></b>", 25), ED_OK);
    assert_int_equal(ed_xml_stream_reset(s), ED_OK);
    assert_int_equal(feed(s, l, HDR "<d/>", strlen(HDR "<d/>")), ED_OK);
    int calls = entropy_calls;
    ed_xml_stream_free(s);
    return calls;
}

/* With a hash salt given, no parser the stream makes (the first, after an
 * idle release, after a reset) draws entropy: one getrandom(2) each
 * otherwise, several per login in the daemon.  The events are the same. */
static void test_stream_hash_salt(void **state)
{
    (void)state;
    log_t plain, salted;
    int drawn = salted_run(0, &plain);
    print_message("expat drew entropy %d times without a salt\n", drawn);
    assert_true(drawn >= 3); /* this expat draws per parser: the case is real */
    assert_int_equal(salted_run(0x5eed5a17UL, &salted), 0);
    assert_string_equal(salted.b.data, plain.b.data);
    assert_int_equal(salted.opens, 2);
    assert_int_equal(salted.stanzas, 3);
    ed_buf_free(&plain.b);
    ed_buf_free(&salted.b);
}

static void test_stream_idle_when(void **state)
{
    (void)state;
    log_t l = {0};
    ed_xml_stream *s = ed_xml_stream_new(NULL);
    assert_int_equal(ed_xml_stream_idle(NULL), 0);
    assert_int_equal(ed_xml_stream_idle(s), 0); /* no header yet */
    assert_int_equal(feed(s, &l, "<stream:stream xmlns='jabber:client' ", 37), ED_OK);
    assert_int_equal(ed_xml_stream_idle(s), 0); /* half a header */
    const char *rest = "xmlns:stream='http://etherx.jabber.org/streams' to='example.com' "
                       "version='1.0'>";
    assert_int_equal(feed(s, &l, rest, strlen(rest)), ED_OK);
    assert_int_equal(l.opens, 1);
    assert_int_equal(ed_xml_stream_idle(s), 1);
    assert_int_equal(feed(s, &l, "<a><b/>", 7), ED_OK);
    assert_int_equal(l.opens, 1); /* the rebuild reports no second header */
    assert_int_equal(ed_xml_stream_idle(s), 0); /* inside a stanza */
    assert_int_equal(feed(s, &l, "</a><c x='", 10), ED_OK);
    assert_int_equal(l.stanzas, 1);
    assert_int_equal(ed_xml_stream_idle(s), 0); /* inside a tag */
    assert_int_equal(feed(s, &l, "1'/>\xc3", 5), ED_OK);
    assert_int_equal(ed_xml_stream_idle(s), 0); /* half a character */
    /* (0xc3 0xa9 is é: text outside a stanza, an error either way) */
    ed_xml_stream_free(s);
    ed_buf_free(&l.b);

    memset(&l, 0, sizeof l);
    s = ed_xml_stream_new(NULL);
    assert_int_equal(feed(s, &l, HDR "<a/>", strlen(HDR) + 4), ED_OK);
    assert_int_equal(ed_xml_stream_idle(s), 1);
    /* reset while idle: a fresh stream, a new header reported */
    assert_int_equal(ed_xml_stream_reset(s), ED_OK);
    assert_int_equal(ed_xml_stream_idle(s), 0);
    assert_int_equal(feed(s, &l, HDR "<b/>", strlen(HDR) + 4), ED_OK);
    assert_int_equal(l.opens, 2);
    assert_int_equal(ed_xml_stream_idle(s), 1);
    assert_int_equal(feed(s, &l, "</stream:stream>", 16), ED_OK);
    assert_int_equal(l.closes, 1);
    assert_int_equal(ed_xml_stream_idle(s), 0); /* closed */
    assert_int_equal(feed(s, &l, " ", 1), ED_XML_STREAM_CLOSED);
    assert_int_equal(ed_xml_stream_idle(s), 0); /* failed */
    assert_string_equal(l.b.data, HDRLOG "stanza:<a/>\n" HDRLOG "stanza:<b/>\nclose\n");
    /* idle, then freed without another feed */
    assert_int_equal(ed_xml_stream_reset(s), ED_OK);
    assert_int_equal(feed(s, &l, HDR, strlen(HDR)), ED_OK);
    assert_int_equal(ed_xml_stream_idle(s), 1);
    ed_xml_stream_free(s);
    ed_buf_free(&l.b);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_stream_basic),
        cmocka_unit_test(test_stream_text_merge),
        cmocka_unit_test(test_stream_events_one_at_a_time),
        cmocka_unit_test(test_stream_no_delay),
        cmocka_unit_test(test_stream_slow_tag),
        cmocka_unit_test(test_stream_rejects),
        cmocka_unit_test(test_stream_split_utf8),
        cmocka_unit_test(test_stream_limits),
        cmocka_unit_test(test_stream_header_bound),
        cmocka_unit_test(test_stream_keepalive_reset),
        cmocka_unit_test(test_stream_idle_same_events),
        cmocka_unit_test(test_stream_idle_when),
        cmocka_unit_test(test_stream_hash_salt),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
