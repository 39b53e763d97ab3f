/* tests/unit/test_xml_stream_idle.c — the stream parser released while
 * idle (ed_xml_stream_idle): the same events and errors in every chunking
 * with releases between feeds, when a release is possible, and the hash
 * salt that spares a rebuilt parser expat's entropy draw.
 * The rest of the stream parser is in test_xml_stream.c. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <sys/random.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "extdisco/xml.h"
#include "xml_stream_events.h"

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
        cmocka_unit_test(test_stream_idle_same_events),
        cmocka_unit_test(test_stream_idle_when),
        cmocka_unit_test(test_stream_hash_salt),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
