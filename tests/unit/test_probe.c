/* Unit tests of the STUN/TURN probe engine (probe/probe.c) as a state
 * machine, with server answers built byte by byte here: Binding success
 * (mapped address, RTT from the caller's clock), UDP retransmission times
 * (0, 500, 1500, 3500 ms) and the timeout after 7.5 s, a stream answer fed
 * one byte at a time, bytes that are not STUN, an answer to another
 * transaction ignored, TURN's first Allocate answered by 401 with
 * REALM/NONCE (the next Allocate carries USERNAME and MESSAGE-INTEGRITY),
 * a 401 to that one (a wrong secret) reported with code and reason, a 401
 * without REALM, a driver's transport failure, and bad arguments. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "probe.h"

typedef struct msgb {
    uint8_t b[1024];
    size_t n;
} msgb;

/* A response header answering request req (same method and ID). */
static void hdr(msgb *m, const uint8_t *req, unsigned cls /* 0x100 ok, 0x110 err */)
{
    uint16_t method = (uint16_t)((req[0] << 8 | req[1]) & 0x3EEF);
    uint16_t t = (uint16_t)(method | cls);
    m->b[0] = (uint8_t)(t >> 8);
    m->b[1] = (uint8_t)t;
    memcpy(m->b + 4, req + 4, 16);
    m->n = 20;
}

static void attr(msgb *m, uint16_t type, const void *v, size_t len)
{
    uint8_t *p = m->b + m->n;
    p[0] = (uint8_t)(type >> 8);
    p[1] = (uint8_t)type;
    p[2] = (uint8_t)(len >> 8);
    p[3] = (uint8_t)len;
    memcpy(p + 4, v, len);
    size_t pad = (4 - len % 4) % 4;
    memset(p + 4 + len, 0, pad);
    m->n += 4 + len + pad;
    m->b[2] = (uint8_t)((m->n - 20) >> 8);
    m->b[3] = (uint8_t)(m->n - 20);
}

static void xor_mapped(msgb *m, uint16_t type, const uint8_t ip[4], uint16_t port)
{
    uint8_t v[8] = { 0, 1, (uint8_t)((port ^ 0x2112) >> 8), (uint8_t)(port ^ 0x2112),
                     (uint8_t)(ip[0] ^ 0x21), (uint8_t)(ip[1] ^ 0x12),
                     (uint8_t)(ip[2] ^ 0xA4), (uint8_t)(ip[3] ^ 0x42) };
    attr(m, type, v, sizeof v);
}

static void error_code(msgb *m, int code, const char *reason)
{
    uint8_t v[128] = { 0, 0, (uint8_t)(code / 100), (uint8_t)(code % 100) };
    size_t rl = strlen(reason);
    memcpy(v + 4, reason, rl);
    attr(m, 0x0009, v, 4 + rl);
}

static bool has_attr(const uint8_t *msg, size_t n, uint16_t type)
{
    for (size_t off = 20; off + 4 <= n;) {
        uint16_t t = (uint16_t)(msg[off] << 8 | msg[off + 1]);
        size_t l = (size_t)(msg[off + 2] << 8 | msg[off + 3]);
        if (t == type)
            return true;
        off += 4 + l + (4 - l % 4) % 4;
    }
    return false;
}

static size_t pull(ed_probe *p, int64_t now, uint8_t *copy)
{
    const uint8_t *m;
    size_t n = ed_probe_pull(p, now, &m);
    if (n && copy)
        memcpy(copy, m, n);
    return n;
}

static void stun_binding_udp(void **state)
{
    (void)state;
    uint8_t req[1024];
    ed_probe *p = ed_probe_new(ED_CHECK_UDP, NULL, NULL, 1000, 5000);
    assert_non_null(p);
    assert_true(ed_probe_next_timer(p) <= 1000);
    size_t n = pull(p, 1000, req);
    assert_int_equal(n, 20);
    assert_int_equal(pull(p, 1000, NULL), 0);   /* one message at a time */
    assert_int_equal(ed_probe_next_timer(p), 1500);
    msgb r;
    hdr(&r, req, 0x100);
    xor_mapped(&r, 0x0020, (const uint8_t[]){ 192, 0, 2, 7 }, 40000);
    /* an answer to another transaction is ignored */
    msgb other = r;
    other.b[19] ^= 1;
    ed_probe_input(p, other.b, other.n, 1010);
    assert_false(ed_probe_done(p));
    ed_probe_input(p, r.b, r.n, 1042);
    assert_true(ed_probe_done(p));
    ed_check_result *res = ed_probe_result(p);
    assert_true(res->ok);
    assert_string_equal(res->mapped, "192.0.2.7:40000");
    assert_int_equal(res->rtt_ms, 42);
    assert_int_equal(res->transmissions, 1);
    assert_int_equal(ed_probe_next_timer(p), INT64_MAX);
    ed_probe_free(p);
}

static void udp_retransmits_then_times_out(void **state)
{
    (void)state;
    ed_probe *p = ed_probe_new(ED_CHECK_UDP, NULL, NULL, 0, 60000);
    int64_t sends[8];
    int ns = 0;
    int64_t now = 0;
    for (int guard = 0; guard < 100 && !ed_probe_done(p); guard++) {
        if (pull(p, now, NULL))
            sends[ns++] = now;
        int64_t t = ed_probe_next_timer(p);
        if (t > now)
            now = t;
        ed_probe_tick(p, now);
    }
    assert_true(ed_probe_done(p));
    assert_int_equal(ns, 4);
    assert_int_equal(sends[0], 0);
    assert_int_equal(sends[1], 500);
    assert_int_equal(sends[2], 1500);
    assert_int_equal(sends[3], 3500);
    assert_int_equal(now, 7500);
    ed_check_result *res = ed_probe_result(p);
    assert_false(res->ok);
    assert_int_equal(res->fail, ED_CHECK_FAIL_TIMEOUT);
    assert_string_equal(res->step, "binding");
    assert_int_equal(res->transmissions, 4);
    ed_probe_free(p);
}

static void overall_deadline_bounds_udp(void **state)
{
    (void)state;
    ed_probe *p = ed_probe_new(ED_CHECK_UDP, NULL, NULL, 0, 1000);
    assert_true(pull(p, 0, NULL) > 0);
    assert_int_equal(ed_probe_next_timer(p), 500);
    ed_probe_tick(p, 500);
    assert_true(pull(p, 500, NULL) > 0);
    assert_int_equal(ed_probe_next_timer(p), 1000); /* not 1500: the deadline */
    ed_probe_tick(p, 1000);
    assert_true(ed_probe_done(p));
    assert_int_equal(ed_probe_result(p)->fail, ED_CHECK_FAIL_TIMEOUT);
    ed_probe_free(p);
}

static void stream_byte_by_byte(void **state)
{
    (void)state;
    uint8_t req[1024];
    ed_probe *p = ed_probe_new(ED_CHECK_TCP, NULL, NULL, 0, 5000);
    assert_int_equal(pull(p, 0, req), 20);
    assert_int_equal(ed_probe_next_timer(p), 5000); /* no retransmission */
    msgb r;
    hdr(&r, req, 0x100);
    xor_mapped(&r, 0x0020, (const uint8_t[]){ 127, 0, 0, 1 }, 5);
    for (size_t i = 0; i < r.n; i++) {
        assert_false(ed_probe_done(p));
        ed_probe_input(p, r.b + i, 1, 7);
    }
    assert_true(ed_probe_done(p));
    assert_true(ed_probe_result(p)->ok);
    assert_string_equal(ed_probe_result(p)->mapped, "127.0.0.1:5");
    ed_probe_free(p);
}

static void stream_not_stun(void **state)
{
    (void)state;
    ed_probe *p = ed_probe_new(ED_CHECK_TLS, NULL, NULL, 0, 5000);
    assert_true(pull(p, 0, NULL) > 0);
    const char *http = "HTTP/1.0 400 Bad Request\r\n\r\n";
    ed_probe_input(p, (const uint8_t *)http, strlen(http), 3);
    assert_true(ed_probe_done(p));
    ed_check_result *res = ed_probe_result(p);
    assert_int_equal(res->fail, ED_CHECK_FAIL_PROTOCOL);
    assert_non_null(strstr(res->error_reason, "not STUN"));
    assert_non_null(strstr(res->error_reason, "tls"));
    ed_probe_free(p);
}

static void turn_401_then_wrong_secret(void **state)
{
    (void)state;
    uint8_t req[1024];
    ed_probe *p = ed_probe_new(ED_CHECK_UDP, "1700000000:probe", "pw", 0, 5000);
    size_t n = pull(p, 0, req);
    assert_true(n >= 20);
    assert_int_equal((req[0] << 8 | req[1]), 0x0003);   /* Allocate */
    assert_false(has_attr(req, n, 0x0006));             /* no USERNAME */
    msgb r;
    hdr(&r, req, 0x110);
    error_code(&r, 401, "Unauthorized");
    attr(&r, 0x0014, "example.org", 11);                /* REALM */
    attr(&r, 0x0015, "abcdef0123456789", 16);           /* NONCE */
    ed_probe_input(p, r.b, r.n, 10);
    assert_false(ed_probe_done(p));
    n = pull(p, 10, req);
    assert_true(n > 20);
    assert_true(has_attr(req, n, 0x0006));              /* USERNAME */
    assert_true(has_attr(req, n, 0x0008));              /* MESSAGE-INTEGRITY */
    assert_string_equal(ed_probe_result(p)->realm, "example.org");
    hdr(&r, req, 0x110);
    error_code(&r, 401, "Unauthorized");
    attr(&r, 0x0014, "example.org", 11);
    attr(&r, 0x0015, "abcdef0123456789", 16);
    ed_probe_input(p, r.b, r.n, 30);
    assert_true(ed_probe_done(p));
    ed_check_result *res = ed_probe_result(p);
    assert_false(res->ok);
    assert_int_equal(res->fail, ED_CHECK_FAIL_SERVER);
    assert_int_equal(res->error_code, 401);
    assert_string_equal(res->step, "allocate");
    assert_string_equal(res->error_reason, "Unauthorized");
    ed_probe_free(p);
}

static void turn_401_without_realm(void **state)
{
    (void)state;
    uint8_t req[1024];
    ed_probe *p = ed_probe_new(ED_CHECK_TCP, "u", "pw", 0, 5000);
    assert_true(pull(p, 0, req) > 0);
    msgb r;
    hdr(&r, req, 0x110);
    error_code(&r, 401, "Unauthorized");
    ed_probe_input(p, r.b, r.n, 10);
    assert_true(ed_probe_done(p));
    assert_int_equal(ed_probe_result(p)->fail, ED_CHECK_FAIL_PROTOCOL);
    assert_int_equal(ed_probe_result(p)->error_code, 401);
    ed_probe_free(p);
}

static void driver_failure_and_args(void **state)
{
    (void)state;
    ed_probe *p = ed_probe_new(ED_CHECK_TCP, NULL, NULL, 0, 5000);
    ed_probe_fail(p, ED_CHECK_FAIL_REFUSED, "connect", "connect to %s: refused",
                  "127.0.0.1:9");
    assert_true(ed_probe_done(p));
    assert_int_equal(ed_probe_result(p)->fail, ED_CHECK_FAIL_REFUSED);
    assert_string_equal(ed_probe_result(p)->step, "connect");
    /* later failures do not overwrite the first */
    ed_probe_fail(p, ED_CHECK_FAIL_IO, "binding", "x");
    assert_int_equal(ed_probe_result(p)->fail, ED_CHECK_FAIL_REFUSED);
    assert_int_equal(pull(p, 1, NULL), 0);
    ed_probe_free(p);

    p = ed_probe_new(ED_CHECK_UDP, NULL, NULL, 0, 0);
    assert_true(ed_probe_done(p));
    assert_int_equal(ed_probe_result(p)->fail, ED_CHECK_FAIL_ARGS);
    ed_probe_free(p);
    p = ed_probe_new(ED_CHECK_UDP, "", "pw", 0, 100);
    assert_true(ed_probe_done(p));
    assert_int_equal(ed_probe_result(p)->fail, ED_CHECK_FAIL_ARGS);
    ed_probe_free(p);
    ed_probe_free(NULL);
}

static void transport_names(void **state)
{
    (void)state;
    ed_check_transport t;
    bool turn;
    assert_true(ed_check_transport_from("turns", NULL, &t, &turn));
    assert_int_equal(t, ED_CHECK_TLS);
    assert_true(turn);
    assert_true(ed_check_transport_from("stun", "tcp", &t, &turn));
    assert_int_equal(t, ED_CHECK_TCP);
    assert_false(turn);
    assert_false(ed_check_transport_from("turns", "udp", &t, &turn));
    assert_string_equal(ed_check_fail_name(ED_CHECK_FAIL_SERVER), "server");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(stun_binding_udp),
        cmocka_unit_test(udp_retransmits_then_times_out),
        cmocka_unit_test(overall_deadline_bounds_udp),
        cmocka_unit_test(stream_byte_by_byte),
        cmocka_unit_test(stream_not_stun),
        cmocka_unit_test(turn_401_then_wrong_secret),
        cmocka_unit_test(turn_401_without_realm),
        cmocka_unit_test(driver_failure_and_args),
        cmocka_unit_test(transport_names),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
