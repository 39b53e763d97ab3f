/* client/relaycheck.c — relay round trip, peer restrictions and the
 * open-relay probe of `extdisco check`.  See relaycheck.h. */
#include "relaycheck.h"
#include "turnsess.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define LEG_WAIT_MS 2000  /* how long one leg waits for its data */
#define UDP_RESEND  500   /* udp: data sent again until it arrives */
#define CHANNEL     0x4000

static const char *const private_peers[ED_RELAY_PEERS] = {
    "10.0.0.1", "169.254.169.254"
};

static void rfail(ed_relay_result *r, const ed_ts *s, const char *step,
                  const char *fmt, ...) __attribute__((format(printf, 4, 5)));
static void rfail(ed_relay_result *r, const ed_ts *s, const char *step,
                  const char *fmt, ...)
{
    char what[ED_CHECK_REASON_MAX];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(what, sizeof what, fmt, ap);
    va_end(ap);
    r->ok = false;
    r->step = step;
    if (s && s->res.fail != ED_CHECK_FAIL_NONE) {
        r->fail = s->res.fail;
        r->error_code = s->res.error_code;
        char both[2 * ED_CHECK_REASON_MAX + 4];
        snprintf(both, sizeof both, "%s: %s", what, s->res.error_reason);
        snprintf(r->error_reason, sizeof r->error_reason, "%.*s",
                 (int)sizeof r->error_reason - 1, both);
    } else {
        r->fail = ED_CHECK_FAIL_TIMEOUT;
        snprintf(r->error_reason, sizeof r->error_reason, "%s", what);
    }
}

/* One leg: data from `from` through its relay to `to`'s relayed address,
 * waited for at `to`.  Over udp the data is sent again every 500 ms. */
static bool leg(ed_ts *from, ed_ts *to, uint16_t chan, const char *name,
                int64_t deadline, const char *step, ed_relay_leg *out,
                ed_relay_result *r)
{
    uint8_t payload[64];
    int n = snprintf((char *)payload, sizeof payload, "extdisco check %s %08x",
                     name, (unsigned)random());
    int64_t t0 = ed_tc_now_ms(), t0_us = ed_ts_now_us();
    int64_t end = t0 + LEG_WAIT_MS < deadline ? t0 + LEG_WAIT_MS : deadline;
    out->ms = out->us = -1;
    while (ed_tc_now_ms() < end) {
        if (ed_ts_send(from, &to->relayed, to->relayed_len, chan, payload,
                       (size_t)n, end, step)) {
            rfail(r, from, step, "sending %s", name);
            return false;
        }
        out->sends++;
        int64_t until = from->t == ED_CHECK_UDP ? ed_tc_now_ms() + UDP_RESEND : end;
        if (until > end)
            until = end;
        ed_ts_data d;
        int g = ed_ts_wait_data(to, payload, (size_t)n, until, &d, step);
        if (g < 0) {
            rfail(r, to, step, "waiting for %s", name);
            return false;
        }
        if (g > 0) {
            out->ok = true;
            out->us = (long)(d.at_us - t0_us);
            out->ms = out->us / 1000;
            out->as_channel = d.channel;
            if (out->us > r->rtt_us) {
                r->rtt_us = out->us;
                r->rtt_ms = out->ms;
            }
            return true;
        }
    }
    rfail(r, NULL, step,
          "%s: data sent through relay %s to relay %s never arrived (%d "
          "transmission%s, %ld ms): the server allocates but does not forward "
          "(relay-ip/external-ip wrong, relay ports firewalled?)",
          name, from->relayed_str, to->relayed_str, out->sends,
          out->sends == 1 ? "" : "s", (long)(ed_tc_now_ms() - t0));
    return false;
}

static void check_peers(ed_ts *a, int64_t deadline, ed_relay_result *r)
{
    for (int i = 0; i < ED_RELAY_PEERS; i++) {
        r->peers[i].ip = private_peers[i];
        r->peers[i].state = -1;
        if (a->relayed.ss_family != AF_INET)
            continue; /* IPv4 peers on an IPv6 relay: 443, tells nothing */
        struct sockaddr_storage ss;
        memset(&ss, 0, sizeof ss);
        struct sockaddr_in *s4 = (struct sockaddr_in *)&ss;
        s4->sin_family = AF_INET;
        s4->sin_port = htons(9);
        inet_pton(AF_INET, private_peers[i], &s4->sin_addr);
        /* only the permission is asked for: nothing is ever sent there */
        ed_check_result keep = a->res;
        int rc = ed_ts_permit(a, &ss, sizeof *s4, 0, deadline, "peer-restriction");
        r->peers[i].state = rc == 0 ? 1 : rc > 0 ? 0 : 2;
        r->peers[i].code = rc > 0 ? rc : 0;
        a->res = keep;
    }
}

static int pair_check(const struct addrinfo *ai, const char *host,
                      ed_check_transport t, const char *user, const char *pass,
                      int64_t deadline, const ed_check_tls *tls,
                      ed_relay_result *r, ed_ts *s)
{
    ed_ts *a = &s[0], *b = &s[1];
    for (int i = 0; i < 2; i++) {
        if (ed_ts_open(&s[i], ai, host, t, tls, user, pass, deadline)) {
            rfail(r, &s[i], "relay-allocate", "connection %c", 'A' + i);
            return -1;
        }
        snprintf(r->server, sizeof r->server, "%s", s[i].res.server);
        if (ed_ts_allocate(&s[i], deadline, "relay-allocate")) {
            rfail(r, &s[i], "relay-allocate", "allocation %c", 'A' + i);
            return -1;
        }
        snprintf(r->relayed[i], sizeof r->relayed[i], "%s", s[i].relayed_str);
    }
    check_peers(a, deadline, r);
    if (ed_ts_permit(a, &b->relayed, b->relayed_len, 0, deadline, "relay-permission")) {
        rfail(r, a, "relay-permission", "CreatePermission on A for B's relayed %s",
              b->relayed_str);
        return -1;
    }
    if (ed_ts_permit(b, &a->relayed, a->relayed_len, 0, deadline, "relay-permission")) {
        rfail(r, b, "relay-permission", "CreatePermission on B for A's relayed %s",
              a->relayed_str);
        return -1;
    }
    if (!leg(a, b, 0, "Send indication A->B", deadline, "relay-indication",
             &r->ind[0], r) ||
        !leg(b, a, 0, "Send indication B->A", deadline, "relay-indication",
             &r->ind[1], r))
        return -1;
    if (ed_ts_permit(a, &b->relayed, b->relayed_len, CHANNEL, deadline,
                     "relay-channelbind")) {
        rfail(r, a, "relay-channelbind", "ChannelBind on A to %s", b->relayed_str);
        return -1;
    }
    if (ed_ts_permit(b, &a->relayed, a->relayed_len, CHANNEL, deadline,
                     "relay-channelbind")) {
        rfail(r, b, "relay-channelbind", "ChannelBind on B to %s", a->relayed_str);
        return -1;
    }
    if (!leg(a, b, CHANNEL, "ChannelData A->B", deadline, "relay-channeldata",
             &r->chan[0], r) ||
        !leg(b, a, CHANNEL, "ChannelData B->A", deadline, "relay-channeldata",
             &r->chan[1], r))
        return -1;
    r->ok = true;
    r->step = "";
    return 0;
}

int ed_relay_check(const char *host, uint16_t port, ed_check_transport t,
                   const char *user, const char *pass, int timeout_ms,
                   const ed_check_tls *tls, ed_relay_result *r)
{
    memset(r, 0, sizeof *r);
    r->ran = true;
    r->step = "";
    r->rtt_ms = r->rtt_us = -1;
    for (int i = 0; i < 2; i++) /* null until the leg ran */
        r->ind[i].ms = r->chan[i].ms = r->ind[i].us = r->chan[i].us = -1;
    for (int i = 0; i < ED_RELAY_PEERS; i++) {
        r->peers[i].ip = private_peers[i];
        r->peers[i].state = -1;
    }
    int64_t deadline = ed_tc_now_ms() + timeout_ms;
    ed_check_result res;
    memset(&res, 0, sizeof res);
    struct addrinfo *ais;
    if (ed_tc_resolve(host, port, t, tls ? tls->family : 0, &ais, &res)) {
        r->fail = res.fail;
        r->step = "relay-allocate";
        snprintf(r->error_reason, sizeof r->error_reason, "%s", res.error_reason);
        return -1;
    }
    ed_ts *s = calloc(2, sizeof *s);
    if (!s) {
        freeaddrinfo(ais);
        rfail(r, NULL, "relay-allocate", "out of memory");
        return -1;
    }
    int rc = pair_check(ais, host, t, user, pass, deadline, tls, r, s);
    ed_ts_close(&s[0], deadline);
    ed_ts_close(&s[1], deadline);
    free(s);
    freeaddrinfo(ais);
    return rc;
}

int ed_open_relay_check(const char *host, uint16_t port, ed_check_transport t,
                        int timeout_ms, const ed_check_tls *tls, int *code,
                        char *why, size_t cap)
{
    int64_t deadline = ed_tc_now_ms() + timeout_ms;
    ed_check_result res;
    memset(&res, 0, sizeof res);
    *code = 0;
    why[0] = '\0';
    struct addrinfo *ais;
    if (ed_tc_resolve(host, port, t, tls ? tls->family : 0, &ais, &res)) {
        snprintf(why, cap, "%s", res.error_reason);
        return -1;
    }
    ed_ts *s = calloc(1, sizeof *s);
    int rc = -1;
    if (!s) {
        snprintf(why, cap, "out of memory");
    } else if (ed_ts_open(s, ais, host, t, tls, NULL, NULL, deadline)) {
        snprintf(why, cap, "%s", s->res.error_reason);
    } else {
        int a = ed_ts_allocate(s, deadline, "open-relay");
        if (a == 0) {
            rc = 1;
            snprintf(why, cap, "allocated %s without credentials", s->relayed_str);
        } else if (a > 0) {
            rc = 0;
            *code = a;
            snprintf(why, cap, "%s", s->res.error_reason);
        } else {
            snprintf(why, cap, "%s", s->res.error_reason);
        }
    }
    if (s) {
        ed_ts_close(s, deadline);
        free(s);
    }
    freeaddrinfo(ais);
    return rc;
}
