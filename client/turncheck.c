/* client/turncheck.c — the blocking driver of the STUN/TURN probe engine
 * (probe/probe.h) for `extdisco check`: resolve, connect and TLS through
 * turncheck_net.c, then move bytes between the socket and the engine with
 * poll() until the engine is done.  See turncheck.h. */
#include "turncheck.h"
#include "turncheck_net.h"

#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

/* Run the engine p over connection c until it is done. */
static void drive(ed_probe *p, ed_tc_conn *c, int64_t deadline)
{
    ed_check_result *res = ed_probe_result(p);
    uint8_t *buf = malloc(ED_TC_MAX_MSG);
    if (!buf) {
        ed_probe_fail(p, ED_CHECK_FAIL_IO, "connect", "out of memory");
        return;
    }
    while (!ed_probe_done(p)) {
        const uint8_t *msg;
        size_t n;
        while ((n = ed_probe_pull(p, ed_tc_now_ms(), &msg)) > 0) {
            ed_check_result tmp = *res;
            if (ed_tc_send(c, msg, n, deadline, ed_probe_step(p), &tmp)) {
                ed_probe_fail(p, tmp.fail, tmp.step, "%s", tmp.error_reason);
                break;
            }
        }
        if (ed_probe_done(p))
            break;
        int64_t until = ed_probe_next_timer(p);
        int64_t now = ed_tc_now_ms();
        if (until <= now) {
            ed_probe_tick(p, now);
            continue;
        }
        ed_check_result tmp = *res;
        ssize_t r = ed_tc_recv(c, buf, ED_TC_MAX_MSG, until, ed_probe_step(p),
                               &tmp);
        now = ed_tc_now_ms();
        if (r < 0) {
            ed_probe_fail(p, tmp.fail, tmp.step, "%s", tmp.error_reason);
        } else if (r > 0) {
            ed_probe_input(p, buf, (size_t)r, now);
        } else {
            ed_probe_tick(p, now);
        }
    }
    free(buf);
}

static int run(const char *host, uint16_t port, ed_check_transport t,
               const char *user, const char *pass, int timeout_ms,
               const ed_check_tls *tls, ed_check_result *res)
{
    if (!res)
        return -1;
    memset(res, 0, sizeof *res);
    res->rtt_ms = -1;
    res->step = "";
    if (!host || !*host || port == 0 || timeout_ms <= 0 ||
        (t != ED_CHECK_UDP && t != ED_CHECK_TCP && t != ED_CHECK_TLS)) {
        ed_check_result_fail(res, ED_CHECK_FAIL_ARGS, "args",
                   "need a host, a port > 0, a timeout > 0 and a transport");
        return -1;
    }
    int64_t start = ed_tc_now_ms(), deadline = start + timeout_ms;
    /* arguments first (as the engine checks them), then the network */
    ed_probe *p = ed_probe_new(t, user, pass, start, timeout_ms);
    if (!p) {
        ed_check_result_fail(res, ED_CHECK_FAIL_ARGS, "args", "out of memory");
        return -1;
    }
    if (ed_probe_done(p)) {
        *res = *ed_probe_result(p);
        ed_probe_free(p);
        return -1;
    }
    ed_probe_free(p);
    struct addrinfo *ais;
    if (ed_tc_resolve(host, port, t, tls ? tls->family : 0, &ais, res))
        return -1;
    int rc = -1;
    for (const struct addrinfo *ai = ais; ai; ai = ai->ai_next) {
        int64_t now = ed_tc_now_ms();
        p = ed_probe_new(t, user, pass, now, (int)(deadline - now));
        if (!p) {
            ed_check_result_fail(res, ED_CHECK_FAIL_ARGS, "args", "out of memory");
            break;
        }
        ed_check_result *pr = ed_probe_result(p);
        ed_tc_conn conn;
        if (ed_tc_connect(&conn, t, ai, host, tls, deadline, pr) == 0)
            drive(p, &conn, deadline);
        else
            ed_probe_fail(p, pr->fail, pr->step, "%s", pr->error_reason);
        ed_tc_close(&conn);
        *res = *pr;
        ed_probe_free(p);
        rc = res->ok ? 0 : -1;
        /* Only a refused address passes the turn to the next one. */
        if (rc == 0 || res->fail != ED_CHECK_FAIL_REFUSED ||
            ed_tc_now_ms() >= deadline)
            break;
    }
    freeaddrinfo(ais);
    return rc;
}

int ed_stun_check(const char *host, uint16_t port, ed_check_transport transport,
                  int timeout_ms, const ed_check_tls *tls,
                  ed_check_result *result)
{
    return run(host, port, transport, NULL, NULL, timeout_ms, tls, result);
}

int ed_turn_check(const char *host, uint16_t port, ed_check_transport transport,
                  const char *username, const char *password, int timeout_ms,
                  const ed_check_tls *tls, ed_check_result *result)
{
    if (!username) {
        if (result) {
            memset(result, 0, sizeof *result);
            result->rtt_ms = -1;
            ed_check_result_fail(result, ED_CHECK_FAIL_ARGS, "args",
                       "TURN needs a username and a password");
        }
        return -1;
    }
    return run(host, port, transport, username, password, timeout_ms, tls,
               result);
}
