/* client/turnsess.c — one blocking TURN client session (allocation,
 * permissions, channels, data) for the relay checks.  See turnsess.h. */
#include "turnsess.h"

#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <stun/usages/turn.h>

#include "probe.h"

#define RTO_MS       500
#define MAX_RETRY    2      /* 401/438 answered again, per request */
#define STUN_HDR     20
#define CHAN_HDR     4

int ed_ts_open(ed_ts *s, const struct addrinfo *ai, const char *host,
               ed_check_transport t, const ed_check_tls *tls,
               const char *user, const char *pass, int64_t deadline)
{
    memset(s, 0, sizeof *s);
    s->conn.fd = -1;
    s->t = t;
    s->res.step = "";
    s->res.rtt_ms = -1;
    if (user) {
        if (!pass || strlen(user) >= sizeof s->user || strlen(pass) >= sizeof s->pass) {
            ed_check_result_fail(&s->res, ED_CHECK_FAIL_ARGS, "args",
                                 "credentials too long");
            return -1;
        }
        s->creds = true;
        memcpy(s->user, user, strlen(user) + 1);
        memcpy(s->pass, pass, strlen(pass) + 1);
    }
    stun_agent_init(&s->agent, ed_probe_known_attrs, STUN_COMPATIBILITY_RFC5389,
                    (s->creds ? STUN_AGENT_USAGE_LONG_TERM_CREDENTIALS : 0) |
                    STUN_AGENT_USAGE_NO_INDICATION_AUTH);
    s->open = true;
    return ed_tc_connect(&s->conn, t, ai, host, tls, deadline, &s->res);
}

/* ---- input ---- */

int64_t ed_ts_now_us(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

static void keep_data(ed_ts *s, ed_ts_data *d, int64_t now)
{
    if (s->nin >= ED_TS_INBOX)
        return;
    d->at_us = now;
    s->inbox[s->nin++] = *d;
}

/* One whole STUN message (m, n bytes). */
static void on_stun(ed_ts *s, const uint8_t *m, size_t n, int64_t now)
{
    if (n < STUN_HDR)
        return;
    /* libnice only reads the buffer of a message it did not build */
    StunMessage msg = { .agent = &s->agent, .buffer = (uint8_t *)(uintptr_t)m,
                        .buffer_len = n };
    if (stun_message_validate_buffer_length(m, n, true) != (int)n)
        return;
    if (stun_message_get_class(&msg) == STUN_INDICATION) {
        if (stun_message_get_method(&msg) != STUN_IND_DATA)
            return;
        ed_ts_data d;
        memset(&d, 0, sizeof d);
        socklen_t pl = sizeof d.peer;
        uint16_t dl = 0;
        const void *data = stun_message_find(&msg, STUN_ATTRIBUTE_DATA, &dl);
        if (!data || dl > sizeof d.buf ||
            stun_message_find_xor_addr(&msg, STUN_ATTRIBUTE_XOR_PEER_ADDRESS,
                                       &d.peer, &pl) != STUN_MESSAGE_RETURN_SUCCESS)
            return;
        memcpy(d.buf, data, dl);
        d.len = dl;
        keep_data(s, &d, now);
        return;
    }
    if (!s->in_tx || s->answered)
        return;
    StunTransactionId id;
    stun_message_id(&msg, id);
    if (memcmp(id, s->tx_id, sizeof id) != 0)
        return;
    memcpy(s->resp, m, n);
    StunValidationStatus v =
        stun_agent_validate(&s->agent, &s->rmsg, s->resp, n, NULL, NULL);
    if (v == STUN_VALIDATION_SUCCESS)
        s->answered = true;
}

static void on_channel(ed_ts *s, const uint8_t *m, size_t n, int64_t now)
{
    if (n < CHAN_HDR)
        return;
    size_t dl = (size_t)m[2] << 8 | m[3];
    if (dl > n - CHAN_HDR || dl > ED_TS_DATA_MAX)
        return;
    ed_ts_data d;
    memset(&d, 0, sizeof d);
    d.channel = true;
    d.chan = (uint16_t)(m[0] << 8 | m[1]);
    memcpy(d.buf, m + CHAN_HDR, dl);
    d.len = dl;
    keep_data(s, &d, now);
}

/* Frames of the stream in rbuf: 1 one handled, 0 need more, -1 garbage. */
static int frame(ed_ts *s, int64_t now)
{
    uint8_t *b = s->rbuf;
    if (s->rlen < CHAN_HDR)
        return 0;
    size_t len = (size_t)b[2] << 8 | b[3];
    size_t total;
    bool chan = (b[0] & 0xC0) == 0x40;
    if (chan)
        total = CHAN_HDR + ((len + 3) & ~(size_t)3); /* padded on streams */
    else if ((b[0] & 0xC0) == 0)
        total = STUN_HDR + len;
    else
        return -1;
    if (total > sizeof s->rbuf)
        return -1;
    if (s->rlen < total)
        return 0;
    if (chan)
        on_channel(s, b, CHAN_HDR + len, now);
    else
        on_stun(s, b, total, now);
    memmove(b, b + total, s->rlen - total);
    s->rlen -= total;
    return 1;
}

/* Bytes from the server (one datagram, or the next chunk of the stream):
 * 1, or -1 when the stream carries something else (s->res). */
static int feed(ed_ts *s, const uint8_t *buf, size_t r, int64_t now,
                const char *step)
{
    if (r == 0)
        return 1;
    if (s->t == ED_CHECK_UDP) {
        if ((buf[0] & 0xC0) == 0x40)
            on_channel(s, buf, (size_t)r, now);
        else
            on_stun(s, buf, (size_t)r, now);
        return 1;
    }
    size_t off = 0;
    while (off < r) {
        size_t room = sizeof s->rbuf - s->rlen;
        size_t take = r - off < room ? r - off : room;
        memcpy(s->rbuf + s->rlen, buf + off, take);
        s->rlen += take;
        off += take;
        int f;
        while ((f = frame(s, now)) > 0)
            ;
        if (f < 0) {
            ed_check_result_fail(&s->res, ED_CHECK_FAIL_PROTOCOL, step,
                                 "the server sent data that is neither STUN nor "
                                 "ChannelData");
            return -1;
        }
    }
    return 1;
}

/* Read what arrives until `until`: 1 read something, 0 timed out, -1
 * failure (s->res). */
static int pump(ed_ts *s, int64_t until, const char *step)
{
    uint8_t buf[ED_TC_MAX_MSG];
    ssize_t r = ed_tc_recv(&s->conn, buf, sizeof buf, until, step, &s->res);
    if (r <= 0)
        return (int)r;
    return feed(s, buf, (size_t)r, ed_ts_now_us(), step);
}

/* ---- requests ---- */

typedef struct req_args {
    StunMethod method;
    int lifetime;                          /* -1: none */
    const struct sockaddr_storage *peer;
    socklen_t plen;
    uint16_t chan;
} req_args;

static size_t build(ed_ts *s, const req_args *a, uint8_t *buf, size_t cap,
                    StunMessage *msg)
{
    if (!stun_agent_init_request(&s->agent, msg, buf, cap, a->method))
        return 0;
    if (a->method == STUN_ALLOCATE &&
        stun_message_append32(msg, STUN_ATTRIBUTE_REQUESTED_TRANSPORT,
                              17u << 24) != STUN_MESSAGE_RETURN_SUCCESS)
        return 0;
    if (a->lifetime >= 0 &&
        stun_message_append32(msg, STUN_ATTRIBUTE_LIFETIME, (uint32_t)a->lifetime) !=
            STUN_MESSAGE_RETURN_SUCCESS)
        return 0;
    if (a->chan &&
        stun_message_append32(msg, STUN_ATTRIBUTE_CHANNEL_NUMBER,
                              (uint32_t)a->chan << 16) != STUN_MESSAGE_RETURN_SUCCESS)
        return 0;
    if (a->peer &&
        stun_message_append_xor_addr(msg, STUN_ATTRIBUTE_XOR_PEER_ADDRESS, a->peer,
                                     a->plen) != STUN_MESSAGE_RETURN_SUCCESS)
        return 0;
    bool auth = s->creds && s->have_auth;
    if (auth &&
        (stun_message_append_bytes(msg, STUN_ATTRIBUTE_USERNAME, s->user,
                                   strlen(s->user)) != STUN_MESSAGE_RETURN_SUCCESS ||
         stun_message_append_bytes(msg, STUN_ATTRIBUTE_REALM, s->realm,
                                   s->realm_len) != STUN_MESSAGE_RETURN_SUCCESS ||
         stun_message_append_bytes(msg, STUN_ATTRIBUTE_NONCE, s->nonce,
                                   s->nonce_len) != STUN_MESSAGE_RETURN_SUCCESS))
        return 0;
    return stun_agent_finish_message(&s->agent, msg,
                                     auth ? (const uint8_t *)s->pass : NULL,
                                     auth ? strlen(s->pass) : 0);
}

/* Learn REALM and NONCE from an error answer; false if it has none. */
static bool learn_auth(ed_ts *s)
{
    uint16_t rl = 0, nl = 0;
    const uint8_t *realm = stun_message_find(&s->rmsg, STUN_ATTRIBUTE_REALM, &rl);
    const uint8_t *nonce = stun_message_find(&s->rmsg, STUN_ATTRIBUTE_NONCE, &nl);
    if (!nonce || nl > sizeof s->nonce || (realm && rl > sizeof s->realm))
        return false;
    if (realm) {
        memcpy(s->realm, realm, rl);
        s->realm_len = rl;
    } else if (!s->have_auth) {
        return false;
    }
    memcpy(s->nonce, nonce, nl);
    s->nonce_len = nl;
    s->have_auth = true;
    return true;
}

/* One request with its retries: 0 success, > 0 error code, -1 failure. */
static int request(ed_ts *s, const req_args *a, int64_t deadline, const char *step)
{
    for (int attempt = 0; attempt <= MAX_RETRY; attempt++) {
        uint8_t req[ED_TC_MAX_MSG];
        StunMessage msg;
        size_t len = build(s, a, req, sizeof req, &msg);
        if (!len) {
            ed_check_result_fail(&s->res, ED_CHECK_FAIL_ARGS, step,
                                 "cannot build the request");
            return -1;
        }
        stun_message_id(&msg, s->tx_id);
        s->in_tx = true;
        s->answered = false;
        int64_t rto = RTO_MS, next = 0;
        int rc = -1;
        while (!s->answered) {
            int64_t now = ed_tc_now_ms();
            if (now >= deadline) {
                ed_check_result_fail(&s->res, ED_CHECK_FAIL_TIMEOUT, step,
                                     "no answer from %s", s->res.server);
                break;
            }
            if (next == 0 || (s->t == ED_CHECK_UDP && now >= next)) {
                if (ed_tc_send(&s->conn, req, len, deadline, step, &s->res))
                    break;
                next = now + rto;
                rto *= 2;
            }
            int64_t until = s->t == ED_CHECK_UDP && next < deadline ? next : deadline;
            if (pump(s, until, step) < 0)
                break;
        }
        s->in_tx = false;
        stun_agent_forget_transaction(&s->agent, s->tx_id);
        if (!s->answered)
            return rc;
        if (stun_message_get_class(&s->rmsg) == STUN_RESPONSE)
            return 0;
        char reason[ED_CHECK_REASON_MAX];
        int code = ed_probe_error_of(&s->rmsg, reason, sizeof reason);
        if (s->creds && (code == 401 || code == 438) && attempt < MAX_RETRY &&
            (code == 438 || !s->have_auth) && learn_auth(s))
            continue;
        ed_check_result_fail(&s->res, ED_CHECK_FAIL_SERVER, step, "error %d %s",
                             code, reason[0] ? reason : "(no reason phrase)");
        s->res.error_code = code ? code : 400;
        return s->res.error_code;
    }
    return -1;
}

int ed_ts_allocate(ed_ts *s, int64_t deadline, const char *step)
{
    req_args a = { .method = STUN_ALLOCATE, .lifetime = -1 };
    int rc = request(s, &a, deadline, step);
    if (rc != 0)
        return rc;
    s->relayed_len = sizeof s->relayed;
    if (stun_message_find_xor_addr(&s->rmsg, STUN_ATTRIBUTE_XOR_RELAYED_ADDRESS,
                                   &s->relayed, &s->relayed_len) !=
        STUN_MESSAGE_RETURN_SUCCESS) {
        ed_check_result_fail(&s->res, ED_CHECK_FAIL_PROTOCOL, step,
                             "Allocate success without XOR-RELAYED-ADDRESS");
        return -1;
    }
    s->allocated = true;
    ed_probe_addr_str((struct sockaddr *)&s->relayed, s->relayed_str,
                      sizeof s->relayed_str);
    return 0;
}

int ed_ts_permit(ed_ts *s, const struct sockaddr_storage *peer, socklen_t plen,
                 uint16_t chan, int64_t deadline, const char *step)
{
    req_args a = { .method = chan ? STUN_CHANNELBIND : STUN_CREATEPERMISSION,
                   .lifetime = -1, .peer = peer, .plen = plen, .chan = chan };
    return request(s, &a, deadline, step);
}

int ed_ts_send(ed_ts *s, const struct sockaddr_storage *peer, socklen_t plen,
               uint16_t chan, const uint8_t *data, size_t len,
               int64_t deadline, const char *step)
{
    uint8_t buf[ED_TC_MAX_MSG];
    size_t n;
    if (len > ED_TS_DATA_MAX)
        return -1;
    if (chan) {
        buf[0] = (uint8_t)(chan >> 8);
        buf[1] = (uint8_t)chan;
        buf[2] = (uint8_t)(len >> 8);
        buf[3] = (uint8_t)len;
        memcpy(buf + CHAN_HDR, data, len);
        n = CHAN_HDR + len;
        if (s->t != ED_CHECK_UDP) /* RFC 8656 §12.5: padded on streams */
            while (n % 4)
                buf[n++] = 0;
    } else {
        StunMessage msg;
        if (!stun_agent_init_indication(&s->agent, &msg, buf, sizeof buf,
                                        STUN_IND_SEND) ||
            stun_message_append_xor_addr(&msg, STUN_ATTRIBUTE_XOR_PEER_ADDRESS,
                                         peer, plen) != STUN_MESSAGE_RETURN_SUCCESS ||
            stun_message_append_bytes(&msg, STUN_ATTRIBUTE_DATA, data, len) !=
                STUN_MESSAGE_RETURN_SUCCESS)
            return -1;
        n = stun_agent_finish_message(&s->agent, &msg, NULL, 0);
        if (!n)
            return -1;
    }
    return ed_tc_send(&s->conn, buf, n, deadline, step, &s->res);
}

int ed_ts_wait_data(ed_ts *s, const uint8_t *data, size_t len, int64_t until,
                    ed_ts_data *out, const char *step)
{
    for (;;) {
        for (int i = 0; i < s->nin; i++) {
            if (s->inbox[i].len != len || memcmp(s->inbox[i].buf, data, len) != 0)
                continue;
            *out = s->inbox[i];
            s->inbox[i] = s->inbox[--s->nin];
            return 1;
        }
        s->nin = 0; /* anything else is stale */
        if (ed_tc_now_ms() >= until)
            return 0;
        int r = pump(s, until, step);
        if (r < 0)
            return -1;
        if (r == 0)
            return 0;
    }
}

void ed_ts_close(ed_ts *s, int64_t deadline)
{
    if (!s->open)
        return;
    if (s->allocated && s->conn.fd >= 0) {
        int64_t d = ed_tc_now_ms() + 1000;
        if (deadline > ed_tc_now_ms() && deadline < d)
            d = deadline;
        req_args a = { .method = STUN_REFRESH, .lifetime = 0 };
        ed_check_result keep = s->res;
        request(s, &a, d, "deallocate");
        s->res = keep; /* a failed deallocation does not hide the result */
        s->allocated = false;
    }
    ed_tc_close(&s->conn);
    explicit_bzero(s->user, sizeof s->user);
    explicit_bzero(s->pass, sizeof s->pass);
    s->open = false;
}
