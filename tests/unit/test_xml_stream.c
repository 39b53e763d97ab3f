/* tests/unit/test_xml_stream.c — the stream parser (ed_xml_stream_*):
 * chunking (every case also fed in 1..7-byte chunks, events taken after
 * each feed), one event per call, rejections, limits, reset, keepalives.
 * Idle release and the hash salt are in test_xml_stream_idle.c; trees,
 * serialiser and ed_xml_parse in test_xml.c. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <cmocka.h>

#include "extdisco/xml.h"
#include "xml_stream_events.h"

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
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
