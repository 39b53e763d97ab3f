/* Unit tests of daemon/c2s/ws_http.c and ws_xmpp.c (ws.h): the RFC 6455
 * opening handshake with RFC 7395's subprotocol (the accept value of RFC
 * 6455's own example, every refusal with its status), XEP-0156 host-meta,
 * the header size bound, and the translation of <open/> and <close/> into
 * the XML stream the session's parser reads. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "c2s/ws.h"

#define KEY "dGhlIHNhbXBsZSBub25jZQ=="

static edd_ws_conf *conf(void)
{
    char *origins[] = {"https://app.example", "http://localhost:8080"};
    edd_ws_conf *c = edd_ws_conf_new("/xmpp-websocket", origins, 2, true);
    assert_non_null(c);
    return c;
}

/* Run one request; returns the status line's code (101, 4xx, 200) or 0
 * for MORE. */
static int run(const edd_ws_conf *c, const char *req, ed_buf *resp, size_t *used)
{
    const char *why;
    ed_buf_reset(resp);
    edd_ws_http r = edd_ws_http_request(c, req, strlen(req), resp, used, &why);
    if (r == EDD_WS_HTTP_MORE) {
        assert_int_equal(resp->len, 0);
        return 0;
    }
    assert_true(resp->len > 12);
    assert_memory_equal(resp->data, "HTTP/1.1 ", 9);
    if (r == EDD_WS_HTTP_UPGRADE)
        assert_null(why);
    return atoi(resp->data + 9);
}

static void test_accept_rfc6455_example(void **st)
{
    (void)st;
    char out[29];
    edd_ws_accept(KEY, strlen(KEY), out);
    assert_string_equal(out, "s3pPLMBiTxaQ9kYGzzhZRbK+xOo="); /* RFC 6455 §1.3 */
}

static void test_upgrade(void **st)
{
    (void)st;
    edd_ws_conf *c = conf();
    ed_buf b = {0};
    size_t used;
    const char *req = "GET /xmpp-websocket HTTP/1.1\r\nHost: chat.example\r\n"
                      "Upgrade: WebSocket\r\nConnection: keep-alive, Upgrade\r\n"
                      "Sec-WebSocket-Key: " KEY "\r\nSec-WebSocket-Version: 13\r\n"
                      "Origin: https://APP.example\r\n"
                      "Sec-WebSocket-Protocol: chat, xmpp\r\n\r\n\x81\x85";
    assert_int_equal(run(c, req, &b, &used), 101);
    assert_int_equal(used, strlen(req) - 2); /* the frame bytes after it are not taken */
    assert_non_null(strstr(b.data, "\r\nSec-WebSocket-Accept: s3pPLMBiTxaQ9kYGzzhZRbK+xOo=\r\n"));
    assert_non_null(strstr(b.data, "\r\nSec-WebSocket-Protocol: xmpp\r\n\r\n"));
    /* a query string is not part of the path; no Origin (not a browser) is fine */
    req = "GET /xmpp-websocket?x=1 HTTP/1.1\r\nHost: h\r\nUpgrade: websocket\r\n"
          "Connection: Upgrade\r\nSec-WebSocket-Key: " KEY "\r\n"
          "Sec-WebSocket-Version: 13\r\nSec-WebSocket-Protocol: xmpp\r\n\r\n";
    assert_int_equal(run(c, req, &b, &used), 101);
    ed_buf_free(&b);
    edd_ws_conf_unref(c);
}

static void test_incomplete_and_too_large(void **st)
{
    (void)st;
    edd_ws_conf *c = conf();
    ed_buf b = {0};
    size_t used;
    assert_int_equal(run(c, "GET /xmpp-websocket HTTP/1.1\r\nHost: h\r\n", &b, &used), 0);
    char big[EDD_WS_HTTP_MAX + 100];
    memset(big, 'a', sizeof big - 1);
    big[sizeof big - 1] = 0;
    memcpy(big, "GET / HTTP/1.1\r\nX: ", 19);
    assert_int_equal(run(c, big, &b, &used), 431);
    /* headers that end just past the bound are refused too */
    memcpy(big + EDD_WS_HTTP_MAX - 1, "\r\n\r\n", 4);
    assert_int_equal(run(c, big, &b, &used), 431);
    ed_buf_free(&b);
    edd_ws_conf_unref(c);
}

typedef struct refusal {
    const char *req;
    int status;
} refusal;

#define UP "Upgrade: websocket\r\nConnection: Upgrade\r\n"
#define V13 "Sec-WebSocket-Version: 13\r\n"
#define K "Sec-WebSocket-Key: " KEY "\r\n"
#define PX "Sec-WebSocket-Protocol: xmpp\r\n"

static void test_refusals(void **st)
{
    (void)st;
    static const refusal cases[] = {
        {"POST /xmpp-websocket HTTP/1.1\r\nHost: h\r\n" UP K V13 PX "\r\n", 405},
        {"GET /other HTTP/1.1\r\nHost: h\r\n" UP K V13 PX "\r\n", 404},
        {"GET /XMPP-websocket HTTP/1.1\r\nHost: h\r\n" UP K V13 PX "\r\n", 404},
        {"GET /xmpp-websocket HTTP/1.1\r\nHost: h\r\n\r\n", 426},
        {"GET /xmpp-websocket HTTP/1.1\r\nHost: h\r\n" UP K "Sec-WebSocket-Version: 8\r\n" PX "\r\n", 426},
        {"GET /xmpp-websocket HTTP/1.1\r\nHost: h\r\n" UP V13 PX "\r\n", 400},
        {"GET /xmpp-websocket HTTP/1.1\r\nHost: h\r\n" UP "Sec-WebSocket-Key: c2hvcnQ=\r\n" V13 PX "\r\n", 400},
        {"GET /xmpp-websocket HTTP/1.1\r\nHost: h\r\n" UP K K V13 PX "\r\n", 400},
        {"GET /xmpp-websocket HTTP/1.1\r\n" UP K V13 PX "\r\n", 400},
        {"GET /xmpp-websocket HTTP/1.0\r\nHost: h\r\n" UP K V13 PX "\r\n", 400},
        {"GET /xmpp-websocket HTTP/1.1\r\nHost: h\r\n" UP K V13 "\r\n", 400},
        {"GET /xmpp-websocket HTTP/1.1\r\nHost: h\r\n" UP K V13 "Sec-WebSocket-Protocol: XMPP, chat\r\n\r\n", 400},
        {"GET /xmpp-websocket HTTP/1.1\r\nHost: h\r\n" UP K V13 PX "Origin: https://evil.example\r\n\r\n", 403},
        {"GET /xmpp-websocket HTTP/1.1\r\nHost: h\r\n" UP K V13 PX "Origin: https://app.example.evil\r\n\r\n", 403},
        {"GARBAGE\r\n\r\n", 400},
        {"GET /xmpp-websocket HTTP/1.1\r\nHost: h\r\nBad Header\r\n\r\n", 400},
    };
    edd_ws_conf *c = conf();
    ed_buf b = {0};
    size_t used;
    for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
        int got = run(c, cases[i].req, &b, &used);
        if (got != cases[i].status)
            fail_msg("case %zu: %d, expected %d: %s", i, got, cases[i].status, b.data);
        assert_non_null(strstr(b.data, "\r\nConnection: close\r\n"));
        assert_int_equal(used, 0);
    }
    ed_buf_free(&b);
    edd_ws_conf_unref(c);
}

static void test_any_origin(void **st)
{
    (void)st;
    char *star[] = {"*"};
    edd_ws_conf *c = edd_ws_conf_new("/ws", star, 1, false);
    ed_buf b = {0};
    size_t used;
    assert_int_equal(run(c, "GET /ws HTTP/1.1\r\nHost: h\r\n" UP K V13 PX
                            "Origin: https://anything.example\r\n\r\n", &b, &used), 101);
    ed_buf_free(&b);
    edd_ws_conf_unref(c);
}

static void test_host_meta(void **st)
{
    (void)st;
    edd_ws_conf *c = conf();
    ed_buf b = {0};
    size_t used;
    assert_int_equal(run(c, "GET /.well-known/host-meta HTTP/1.1\r\nHost: chat.example:5443\r\n\r\n",
                         &b, &used), 200);
    assert_non_null(strstr(b.data, "Content-Type: application/xrd+xml"));
    assert_non_null(strstr(b.data, "<Link rel='urn:xmpp:alt-connections:websocket' "
                                   "href='wss://chat.example:5443/xmpp-websocket'/>"));
    assert_non_null(strstr(b.data, "Access-Control-Allow-Origin: *\r\n"));
    assert_int_equal(run(c, "GET /.well-known/host-meta.json HTTP/1.1\r\nHost: [::1]:5443\r\n\r\n",
                         &b, &used), 200);
    assert_non_null(strstr(b.data, "\r\n\r\n{\"links\":[{\"rel\":\"urn:xmpp:alt-connections:websocket\","
                                   "\"href\":\"wss://[::1]:5443/xmpp-websocket\"}]}\n"));
    /* Content-Length is the body's */
    const char *body = strstr(b.data, "\r\n\r\n") + 4;
    char cl[64];
    snprintf(cl, sizeof cl, "Content-Length: %zu\r\n", strlen(body));
    assert_non_null(strstr(b.data, cl));
    /* a Host that would need escaping is refused */
    assert_int_equal(run(c, "GET /.well-known/host-meta HTTP/1.1\r\nHost: a'b\r\n\r\n", &b, &used), 400);
    assert_int_equal(run(c, "GET /.well-known/host-meta HTTP/1.1\r\n\r\n", &b, &used), 400);
    ed_buf_free(&b);
    edd_ws_conf_unref(c);
}

static void in(const char *msg, bool translated, const char *want)
{
    ed_buf b = {0};
    assert_int_equal(edd_ws_message_in(msg, strlen(msg), &b), translated);
    if (translated)
        assert_string_equal(b.data, want);
    else
        assert_int_equal(b.len, 0);
    ed_buf_free(&b);
}

static void test_message_in(void **st)
{
    (void)st;
    in("<open xmlns='urn:ietf:params:xml:ns:xmpp-framing' to='localhost' version='1.0' "
       "xml:lang='de'/>", true,
       "<stream:stream xmlns='jabber:client' xmlns:stream='http://etherx.jabber.org/streams' "
       "to='localhost' version='1.0' xml:lang='de'>");
    /* values are escaped again; unknown attributes are dropped */
    in(" <open xmlns=\"urn:ietf:params:xml:ns:xmpp-framing\" to=\"a&amp;b&apos;\" id='x'></open>\n",
       true,
       "<stream:stream xmlns='jabber:client' xmlns:stream='http://etherx.jabber.org/streams' "
       "to='a&amp;b&apos;'>");
    in("<close xmlns='urn:ietf:params:xml:ns:xmpp-framing'/>", true, "</stream:stream>");
    in("<f:close xmlns:f='urn:ietf:params:xml:ns:xmpp-framing'/>", false, NULL); /* not <close */
    /* stanzas and anything malformed go to the session's parser as they are */
    in("<message xmlns='jabber:client' to='a@b'><body>hi</body></message>", false, NULL);
    in("<opener/>", false, NULL);
    in("<open xmlns='jabber:client'/>", false, NULL);
    in("<open xmlns='urn:ietf:params:xml:ns:xmpp-framing'><x/></open>", false, NULL);
    in("<open xmlns='urn:ietf:params:xml:ns:xmpp-framing'>text</open>", false, NULL);
    in("<open xmlns='urn:ietf:params:xml:ns:xmpp-framing'/><message/>", false, NULL);
    in("<open xmlns='urn:ietf:params:xml:ns:xmpp-framing'", false, NULL);
    in("<!DOCTYPE open [<!ENTITY a 'b'>]><open xmlns='urn:ietf:params:xml:ns:xmpp-framing'/>",
       false, NULL);
    /* an over-long value is left out (the session then refuses the stream) */
    char longto[400];
    int n = snprintf(longto, sizeof longto, "<open xmlns='urn:ietf:params:xml:ns:xmpp-framing' to='");
    memset(longto + n, 'a', 300);
    strcpy(longto + n + 300, "'/>");
    in(longto, true, "<stream:stream xmlns='jabber:client' xmlns:stream='http://etherx.jabber.org/streams'>");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_accept_rfc6455_example),
        cmocka_unit_test(test_upgrade),
        cmocka_unit_test(test_incomplete_and_too_large),
        cmocka_unit_test(test_refusals),
        cmocka_unit_test(test_any_origin),
        cmocka_unit_test(test_host_meta),
        cmocka_unit_test(test_message_in),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
