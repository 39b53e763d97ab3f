/* Unit tests of daemon/c2s/transport_tcp.c (transport.h) on a socketpair:
 * input through the bufferevent, the switch to fast reads (recv(2) into the
 * caller's buffer) once asked for and what was buffered is drained, one
 * read's replies written at once, the input dropped after a fast read, the
 * read timeout, EOF, and a flushing free. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdint.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <event2/event.h>

#include "c2s/transport.h"

typedef struct rec {
    edd_transport *t;
    char got[256];
    size_t ngot;
    const char *last_piece; /* where the last peek pointed */
    int readable, timeouts, closed;
    bool closed_why;
    bool ask_fast;   /* call fast_reads from readable */
    bool leave_some; /* drain only one byte */
} rec;

static void on_readable(void *ud)
{
    rec *r = ud;
    const char *p;
    size_t n;
    r->readable++;
    while ((p = edd_transport_peek(r->t, &n)) != NULL) {
        r->last_piece = p;
        if (r->leave_some)
            n = 1;
        assert_true(r->ngot + n <= sizeof r->got);
        memcpy(r->got + r->ngot, p, n);
        r->ngot += n;
        edd_transport_drain(r->t, n);
        if (r->leave_some)
            break;
    }
    if (r->ask_fast)
        edd_transport_fast_reads(r->t);
}

static void on_connected(void *ud)
{
    (void)ud;
    fail_msg("no TLS here");
}

static void on_timeout(void *ud)
{
    ((rec *)ud)->timeouts++;
}

static void on_closed(void *ud, const char *why)
{
    rec *r = ud;
    r->closed++;
    r->closed_why = why != NULL;
}

static const edd_transport_cbs cbs = {on_readable, on_connected, on_timeout, on_closed};

typedef struct fixture {
    struct event_base *base;
    int sv[2];
    char rbuf[64];
    rec r;
} fixture;

static int setup(void **state)
{
    static fixture f;
    memset(&f, 0, sizeof f);
    assert_non_null(f.base = event_base_new());
    assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM, 0, f.sv), 0);
    assert_int_equal(evutil_make_socket_nonblocking(f.sv[0]), 0);
    f.r.t = edd_transport_tcp_new(f.base, f.sv[0], f.rbuf, sizeof f.rbuf, 4096, 30, &cbs, &f.r);
    assert_non_null(f.r.t);
    *state = &f;
    return 0;
}

static int teardown(void **state)
{
    fixture *f = *state;
    edd_transport_free(f->r.t, false, 0);
    close(f->sv[1]);
    event_base_free(f->base);
    return 0;
}

static void peer_says(fixture *f, const char *s)
{
    assert_int_equal(write(f->sv[1], s, strlen(s)), (ssize_t)strlen(s));
    event_base_loop(f->base, EVLOOP_ONCE | EVLOOP_NONBLOCK);
}

static bool in_rbuf(fixture *f, const char *p)
{
    return p >= f->rbuf && p < f->rbuf + sizeof f->rbuf;
}

static void reads_then_fast(void **state)
{
    fixture *f = *state;
    assert_false(edd_transport_secure(f->r.t));
    peer_says(f, "<a/>");
    assert_int_equal(f->r.readable, 1);
    assert_int_equal(f->r.ngot, 4);
    assert_false(in_rbuf(f, f->r.last_piece)); /* the bufferevent's input */
    f->r.ask_fast = true;
    peer_says(f, "<b/>"); /* asks for fast reads: the next read is recv(2) */
    peer_says(f, "<c/>");
    assert_int_equal(f->r.readable, 3);
    assert_true(in_rbuf(f, f->r.last_piece));
    assert_memory_equal(f->r.got, "<a/><b/><c/>", 12);
    /* left undrained after a fast read: dropped (rbuf is shared) */
    f->r.leave_some = true;
    peer_says(f, "<d/>");
    f->r.leave_some = false;
    size_t n;
    assert_null(edd_transport_peek(f->r.t, &n));
    assert_int_equal(n, 0);
    assert_int_equal(f->r.ngot, 13);
    /* EOF */
    shutdown(f->sv[1], SHUT_WR);
    event_base_loop(f->base, EVLOOP_ONCE | EVLOOP_NONBLOCK);
    assert_int_equal(f->r.closed, 1);
    assert_false(f->r.closed_why);
}

static void fast_waits_for_buffered(void **state)
{
    fixture *f = *state;
    /* only one byte drained per call: the rest stays in the bufferevent,
     * so fast reads must not start yet */
    f->r.leave_some = true;
    f->r.ask_fast = true;
    peer_says(f, "xyz");
    assert_int_equal(f->r.ngot, 1);
    f->r.leave_some = false;
    peer_says(f, "w"); /* the bufferevent still reads: "yz" comes first */
    assert_memory_equal(f->r.got, "xyzw", 4);
    assert_false(in_rbuf(f, f->r.last_piece));
    peer_says(f, "v");
    assert_true(in_rbuf(f, f->r.last_piece));
}

static void send_and_pending(void **state)
{
    fixture *f = *state;
    edd_transport_send(f->r.t, "reply", 5); /* direct: nothing is queued */
    assert_int_equal(edd_transport_pending(f->r.t), 0);
    char buf[16];
    assert_int_equal(read(f->sv[1], buf, sizeof buf), 5);
    assert_memory_equal(buf, "reply", 5);
    edd_transport_write(f->r.t, "queued", 6); /* queued for the loop */
    assert_int_equal(edd_transport_pending(f->r.t), 6);
    edd_transport_send(f->r.t, "after", 5); /* behind what is queued */
    assert_int_equal(edd_transport_pending(f->r.t), 11);
    for (int i = 0; i < 10 && edd_transport_pending(f->r.t) > 0; i++)
        event_base_loop(f->base, EVLOOP_ONCE | EVLOOP_NONBLOCK);
    assert_int_equal(read(f->sv[1], buf, sizeof buf), 11);
    assert_memory_equal(buf, "queuedafter", 11);
}

static void stop_then_flush(void **state)
{
    fixture *f = *state;
    edd_transport_write(f->r.t, "bye", 3);
    edd_transport_stop(f->r.t, true);
    peer_says(f, "ignored"); /* stopped: no more callbacks */
    assert_int_equal(f->r.readable, 0);
    edd_transport_free(f->r.t, true, 5); /* io.c's closer writes, then closes */
    f->r.t = NULL;
    for (int i = 0; i < 10; i++)
        event_base_loop(f->base, EVLOOP_ONCE | EVLOOP_NONBLOCK);
    char buf[16];
    assert_int_equal(read(f->sv[1], buf, sizeof buf), 3);
    assert_memory_equal(buf, "bye", 3);
    /* closed: EOF, or ECONNRESET as "ignored" was never read */
    assert_true(read(f->sv[1], buf, sizeof buf) <= 0);
}

static void fast_read_timeout(void **state)
{
    fixture *f = *state;
    f->r.ask_fast = true;
    peer_says(f, "<a/>");
    edd_transport_set_timeout(f->r.t, 1); /* also moves the read event's */
    event_base_loop(f->base, EVLOOP_ONCE); /* blocks until the timeout */
    assert_int_equal(f->r.timeouts, 1);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(reads_then_fast, setup, teardown),
        cmocka_unit_test_setup_teardown(fast_waits_for_buffered, setup, teardown),
        cmocka_unit_test_setup_teardown(send_and_pending, setup, teardown),
        cmocka_unit_test_setup_teardown(stop_then_flush, setup, teardown),
        cmocka_unit_test_setup_teardown(fast_read_timeout, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
