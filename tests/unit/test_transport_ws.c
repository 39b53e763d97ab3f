/* Unit tests of daemon/c2s/transport_ws.c (transport.h) on a socketpair:
 * the upgrade, a masked fragmented <open/> reaching the session as a stream
 * header (and a stanza as it is), one write = one unmasked text frame, a
 * ping answered, writes before the upgrade dropped, a refused request
 * answered and then closed (cbs.closed once the response is out and the
 * peer closes), a binary message closed with 1003, the close frame on a
 * flushing stop, and a request over the per-turn read answered 431. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <event2/event.h>

#include "c2s/transport.h"
#include "c2s/ws.h"

#define REQ "GET /x HTTP/1.1\r\nHost: h\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n" \
            "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n" \
            "Sec-WebSocket-Protocol: xmpp\r\n\r\n"

typedef struct fx {
    struct event_base *base;
    int sv[2];
    edd_transport *t;
    edd_ws_conf *conf;
    char got[1024];
    size_t ngot;
    int readable, closed;
} fx;

static void on_readable(void *ud)
{
    fx *f = ud;
    const char *p;
    size_t n;
    f->readable++;
    while ((p = edd_transport_peek(f->t, &n)) != NULL) {
        assert_true(f->ngot + n < sizeof f->got);
        memcpy(f->got + f->ngot, p, n);
        f->ngot += n;
        edd_transport_drain(f->t, n);
    }
}
static void on_connected(void *ud) { (void)ud; fail_msg("no TLS here"); }
static void on_timeout(void *ud) { (void)ud; }
static void on_closed(void *ud, const char *why) { (void)why; ((fx *)ud)->closed++; }
static const edd_transport_cbs cbs = {on_readable, on_connected, on_timeout, on_closed};

static int setup(void **state)
{
    static fx f;
    memset(&f, 0, sizeof f);
    assert_non_null(f.base = event_base_new());
    assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM, 0, f.sv), 0);
    assert_int_equal(evutil_make_socket_nonblocking(f.sv[0]), 0);
    assert_non_null(f.conf = edd_ws_conf_new("/x", NULL, 0, false));
    f.t = edd_transport_ws_new(f.base, f.sv[0], NULL, f.conf, false, 1000, 4096, 30, &cbs, &f);
    assert_non_null(f.t);
    edd_ws_conf_unref(f.conf); /* the transport holds its own reference */
    *state = &f;
    return 0;
}

static int teardown(void **state)
{
    fx *f = *state;
    edd_transport_free(f->t, false, 0);
    close(f->sv[1]);
    event_base_free(f->base);
    return 0;
}

static void turn(fx *f)
{
    for (int i = 0; i < 4; i++)
        event_base_loop(f->base, EVLOOP_ONCE | EVLOOP_NONBLOCK);
}

static void peer_sends(fx *f, const void *p, size_t n)
{
    assert_int_equal(write(f->sv[1], p, n), (ssize_t)n);
    turn(f);
}

/* A masked client frame. */
static size_t frame(uint8_t *out, int op, bool fin, const char *payload)
{
    size_t n = strlen(payload);
    static const uint8_t m[4] = {0x11, 0x22, 0x33, 0x44};
    out[0] = (uint8_t)((fin ? 0x80 : 0) | op);
    out[1] = (uint8_t)(0x80 | n);
    memcpy(out + 2, m, 4);
    for (size_t i = 0; i < n; i++)
        out[6 + i] = (uint8_t)payload[i] ^ m[i % 4];
    return 6 + n;
}

static size_t peer_reads(fx *f, uint8_t *buf, size_t max)
{
    ssize_t n = recv(f->sv[1], buf, max, MSG_DONTWAIT);
    return n > 0 ? (size_t)n : 0;
}

static void upgrade_and_frames(void **state)
{
    fx *f = *state;
    assert_true(edd_transport_framed(f->t));
    edd_transport_write(f->t, "<dropped/>", 10); /* before the upgrade: nobody reads it */
    peer_sends(f, REQ, strlen(REQ));
    uint8_t buf[2048];
    size_t n = peer_reads(f, buf, sizeof buf);
    assert_true(n > 12 && memcmp(buf, "HTTP/1.1 101 ", 13) == 0);
    assert_non_null(memmem(buf, n, "s3pPLMBiTxaQ9kYGzzhZRbK+xOo=", 28));
    assert_null(memmem(buf, n, "dropped", 7));
    assert_int_equal(f->readable, 0);

    /* <open/> in two fragments with a ping between them, then a stanza */
    uint8_t in[512];
    size_t k = frame(in, 1, false, "<open xmlns='urn:ietf:params:xml:ns:xmpp-framing' ");
    k += frame(in + k, 9, true, "hi");
    k += frame(in + k, 0, true, "to='h' version='1.0'/>");
    k += frame(in + k, 1, true, "<message to='a@h'/>");
    peer_sends(f, in, k);
    f->got[f->ngot] = 0;
    assert_string_equal(f->got, "<stream:stream xmlns='jabber:client' "
                                "xmlns:stream='http://etherx.jabber.org/streams' to='h' "
                                "version='1.0'><message to='a@h'/>");
    n = peer_reads(f, buf, sizeof buf);
    assert_int_equal(n, 4); /* the pong: unmasked, same payload */
    assert_memory_equal(buf, "\x8a\x02hi", 4);

    /* one write, one unmasked text frame */
    edd_transport_write(f->t, "<presence/>", 11);
    turn(f);
    n = peer_reads(f, buf, sizeof buf);
    assert_int_equal(n, 13);
    assert_memory_equal(buf, "\x81\x0b<presence/>", 13);
    assert_int_equal(edd_transport_pending(f->t), 0);

    /* a flushing stop sends a close frame 1000 */
    edd_transport_stop(f->t, true);
    turn(f);
    n = peer_reads(f, buf, sizeof buf);
    assert_int_equal(n, 4);
    assert_memory_equal(buf, "\x88\x02\x03\xe8", 4);
    assert_int_equal(f->closed, 0); /* stopped: no more callbacks */
}

static void binary_closes_1003(void **state)
{
    fx *f = *state;
    peer_sends(f, REQ, strlen(REQ));
    uint8_t buf[2048], in[64];
    peer_reads(f, buf, sizeof buf);
    peer_sends(f, in, frame(in, 2, true, "<x/>"));
    size_t n = peer_reads(f, buf, sizeof buf);
    assert_true(n >= 4);
    assert_memory_equal(buf, "\x88", 1);
    assert_int_equal((buf[2] << 8) | buf[3], 1003);
    assert_int_equal(f->readable, 0);
    /* the transport half-closed after the close frame; the session is told
     * when the peer closes too */
    assert_int_equal(f->closed, 0);
    shutdown(f->sv[1], SHUT_WR);
    turn(f);
    assert_int_equal(f->closed, 1);
}

static void refused_request(void **state)
{
    fx *f = *state;
    const char *req = "GET /other HTTP/1.1\r\nHost: h\r\n\r\n";
    peer_sends(f, req, strlen(req));
    char buf[1024];
    size_t n = peer_reads(f, (uint8_t *)buf, sizeof buf - 1);
    buf[n] = 0;
    assert_non_null(strstr(buf, "HTTP/1.1 404 Not Found\r\n"));
    assert_int_equal(recv(f->sv[1], buf, 1, MSG_DONTWAIT), 0); /* half-closed: EOF */
    close(f->sv[1]);
    f->sv[1] = socket(AF_UNIX, SOCK_STREAM, 0); /* for teardown */
    turn(f);
    assert_int_equal(f->closed, 1);
}

/* A request bigger than the per-turn read (4096 here) is still read up to
 * EDD_WS_HTTP_MAX and refused with 431 (the read watermark once stalled it:
 * no answer at all). */
static void big_request_431(void **state)
{
    fx *f = *state;
    static char req[9100];
    int n = snprintf(req, sizeof req, "GET /x HTTP/1.1\r\nHost: h\r\nX-Pad: ");
    memset(req + n, 'a', 9000);
    memcpy(req + n + 9000, "\r\n\r\n", 4);
    size_t len = (size_t)n + 9004;
    assert_int_equal(write(f->sv[1], req, len), (ssize_t)len);
    turn(f);
    turn(f);
    char buf[256];
    ssize_t got = recv(f->sv[1], buf, sizeof buf - 1, MSG_DONTWAIT);
    assert_true(got > 0);
    buf[got] = 0;
    assert_non_null(strstr(buf, "HTTP/1.1 431 "));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(upgrade_and_frames, setup, teardown),
        cmocka_unit_test_setup_teardown(binary_closes_1003, setup, teardown),
        cmocka_unit_test_setup_teardown(refused_request, setup, teardown),
        cmocka_unit_test_setup_teardown(big_request_431, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
