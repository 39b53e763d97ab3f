/* probe/probe.c — the sans-I/O STUN Binding / TURN Allocate-Refresh-
 * deallocate state machine over libnice's STUN library.  See probe.h. */
#include "probe.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <stun/stunagent.h>
#include <stun/usages/bind.h>
#include <stun/usages/turn.h>

#define UDP_RTO_MS       500  /* RFC 5389 §7.2.1 initial RTO */
#define UDP_MAX_TX       4    /* transmissions: at 0, 0.5, 1.5, 3.5 s */
#define REFRESH_LIFETIME 600
#define MAX_STALE_RETRY  2    /* 438 Stale Nonce retries per request */
#define STUN_HDR         20
#define STUN_COOKIE      0x2112A442u

#define TURN_COMPAT STUN_USAGE_TURN_COMPATIBILITY_RFC5766

/* Comprehension-required attributes (< 0x8000) a client may meet in
 * Binding and TURN responses; any other one fails the transaction
 * (RFC 5389 §7.3.3).  Terminated by 0. */
const uint16_t ed_probe_known_attrs[] = {
    STUN_ATTRIBUTE_MAPPED_ADDRESS, STUN_ATTRIBUTE_USERNAME,
    STUN_ATTRIBUTE_MESSAGE_INTEGRITY, STUN_ATTRIBUTE_ERROR_CODE,
    STUN_ATTRIBUTE_UNKNOWN_ATTRIBUTES, STUN_ATTRIBUTE_CHANNEL_NUMBER,
    STUN_ATTRIBUTE_LIFETIME, STUN_ATTRIBUTE_XOR_PEER_ADDRESS,
    STUN_ATTRIBUTE_DATA, STUN_ATTRIBUTE_REALM, STUN_ATTRIBUTE_NONCE,
    STUN_ATTRIBUTE_XOR_RELAYED_ADDRESS, STUN_ATTRIBUTE_EVEN_PORT,
    STUN_ATTRIBUTE_REQUESTED_TRANSPORT, STUN_ATTRIBUTE_DONT_FRAGMENT,
    STUN_ATTRIBUTE_XOR_MAPPED_ADDRESS, STUN_ATTRIBUTE_RESERVATION_TOKEN,
    0x001C /* MESSAGE-INTEGRITY-SHA256 */, 0x001D /* PASSWORD-ALGORITHM */,
    0x001E /* USERHASH */,
    0
};

typedef enum phase {
    PH_BIND,      /* STUN Binding */
    PH_ALLOC,     /* TURN Allocate (first without, then with credentials) */
    PH_REFRESH,   /* Refresh, LIFETIME 600 */
    PH_DEALLOC,   /* Refresh, LIFETIME 0 */
    PH_DONE
} phase;

struct ed_probe {
    ed_check_transport t;
    bool turn;
    phase ph;
    ed_check_result res;
    int64_t deadline;
    char user[ED_PROBE_USERNAME_MAX + 1];
    char pass[ED_PROBE_PASSWORD_MAX + 1];
    StunAgent agent;
    bool have_auth;       /* amsg holds a 401/438 with REALM and NONCE */
    bool alloc_authed;    /* the Allocate in flight carries credentials */
    int stale;            /* 438 retries of the current request */
    /* the transaction in flight */
    bool in_tx, want_send, unauth;
    const char *step;
    size_t reqlen;
    int sent;
    int64_t t0, next, giveup, rto;
    StunMessage msg;      /* request being sent */
    StunMessage rmsg;     /* validated response, over resp */
    StunMessage amsg;     /* last 401/438 carrying REALM+NONCE, over auth */
    uint8_t req[ED_PROBE_MAX_MSG];
    uint8_t resp[ED_PROBE_MAX_MSG];
    uint8_t auth[ED_PROBE_MAX_MSG];
    uint8_t rbuf[ED_PROBE_MAX_MSG]; /* stream reassembly */
    size_t rlen;
};

static const char *const fail_names[] = {
    [ED_CHECK_FAIL_NONE] = "none",         [ED_CHECK_FAIL_ARGS] = "args",
    [ED_CHECK_FAIL_RESOLVE] = "resolve",   [ED_CHECK_FAIL_REFUSED] = "refused",
    [ED_CHECK_FAIL_CONNECT] = "connect",   [ED_CHECK_FAIL_TLS] = "tls",
    [ED_CHECK_FAIL_TIMEOUT] = "timeout",   [ED_CHECK_FAIL_IO] = "io",
    [ED_CHECK_FAIL_PROTOCOL] = "protocol", [ED_CHECK_FAIL_SERVER] = "server",
};

const char *ed_check_fail_name(ed_check_fail f)
{
    if ((unsigned)f < sizeof fail_names / sizeof fail_names[0] && fail_names[f])
        return fail_names[f];
    return "unknown";
}

bool ed_check_transport_from(const char *type, const char *transport,
                             ed_check_transport *out, bool *is_turn)
{
    if (!type || !out || !is_turn)
        return false;
    bool secure;
    if (strcmp(type, "stun") == 0 || strcmp(type, "turn") == 0)
        secure = false;
    else if (strcmp(type, "stuns") == 0 || strcmp(type, "turns") == 0)
        secure = true;
    else
        return false;
    *is_turn = type[0] == 't';
    if (!transport)
        transport = secure ? "tcp" : "udp";
    if (strcmp(transport, "tcp") == 0)
        *out = secure ? ED_CHECK_TLS : ED_CHECK_TCP;
    else if (strcmp(transport, "udp") == 0 && !secure)
        *out = ED_CHECK_UDP;
    else
        return false; /* stuns/turns over udp would be DTLS: unsupported */
    return true;
}

static void vfail(ed_check_result *res, ed_check_fail f, const char *step,
                  const char *fmt, va_list ap) __attribute__((format(printf, 4, 0)));
static void vfail(ed_check_result *res, ed_check_fail f, const char *step,
                  const char *fmt, va_list ap)
{
    res->ok = false;
    res->fail = f;
    res->step = step;
    vsnprintf(res->error_reason, sizeof res->error_reason, fmt, ap);
}

void ed_check_result_fail(ed_check_result *res, ed_check_fail f,
                          const char *step, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vfail(res, f, step, fmt, ap);
    va_end(ap);
}

void ed_probe_addr_str(const struct sockaddr *sa, char *out, size_t cap)
{
    char ip[INET6_ADDRSTRLEN];
    if (sa->sa_family == AF_INET) {
        const struct sockaddr_in *s4 = (const struct sockaddr_in *)sa;
        inet_ntop(AF_INET, &s4->sin_addr, ip, sizeof ip);
        snprintf(out, cap, "%s:%u", ip, ntohs(s4->sin_port));
    } else if (sa->sa_family == AF_INET6) {
        const struct sockaddr_in6 *s6 = (const struct sockaddr_in6 *)sa;
        inet_ntop(AF_INET6, &s6->sin6_addr, ip, sizeof ip);
        snprintf(out, cap, "[%s]:%u", ip, ntohs(s6->sin6_port));
    } else {
        snprintf(out, cap, "(family %d)", sa->sa_family);
    }
}

/* The first failure of a probe is the one reported (a failed Refresh is
 * still followed by the deallocation, whose own failure must not hide
 * it). */
static void fail(ed_probe *p, ed_check_fail f, const char *step,
                 const char *fmt, ...) __attribute__((format(printf, 4, 5)));
static void fail(ed_probe *p, ed_check_fail f, const char *step,
                 const char *fmt, ...)
{
    if (p->res.fail != ED_CHECK_FAIL_NONE)
        return;
    va_list ap;
    va_start(ap, fmt);
    vfail(&p->res, f, step, fmt, ap);
    va_end(ap);
}

static void forget(ed_probe *p)
{
    StunTransactionId id;
    stun_message_id(&p->msg, id);
    stun_agent_forget_transaction(&p->agent, id);
}

static void finish(ed_probe *p)
{
    if (p->in_tx)
        forget(p);
    p->ph = PH_DONE;
    p->in_tx = p->want_send = false;
    p->res.ok = p->res.fail == ED_CHECK_FAIL_NONE &&
                (!p->turn || (p->res.refreshed && p->res.deallocated));
    if (p->res.ok)
        p->res.step = "";
}

/* Copy a server-supplied string attribute, replacing control bytes. */
static void copy_text(char *out, size_t cap, const uint8_t *s, size_t n)
{
    if (n > cap - 1)
        n = cap - 1;
    for (size_t i = 0; i < n; i++)
        out[i] = (s[i] < 0x20 || s[i] == 0x7f) ? '?' : (char)s[i];
    out[n] = '\0';
}

int ed_probe_error_of(const StunMessage *m, char *reason, size_t cap)
{
    int code = 0;
    uint16_t alen = 0;
    reason[0] = '\0';
    if (stun_message_find_error(m, &code) != STUN_MESSAGE_RETURN_SUCCESS)
        return 0;
    const uint8_t *a = stun_message_find(m, STUN_ATTRIBUTE_ERROR_CODE, &alen);
    if (a && alen > 4)
        copy_text(reason, cap, a + 4, alen - 4u);
    return code;
}

static void fail_server(ed_probe *p, const char *step)
{
    if (p->res.fail != ED_CHECK_FAIL_NONE)
        return;
    char reason[ED_CHECK_REASON_MAX];
    int code = ed_probe_error_of(&p->rmsg, reason, sizeof reason);
    fail(p, ED_CHECK_FAIL_SERVER, step, "%s",
         reason[0] ? reason : "(no reason phrase)");
    p->res.error_code = code;
}

static bool is_error(const StunMessage *m, int code)
{
    int c = 0;
    return stun_message_get_class(m) == STUN_ERROR &&
           stun_message_find_error(m, &c) == STUN_MESSAGE_RETURN_SUCCESS &&
           c == code;
}

/* ---- transactions ---- */

/* Start a transaction for the request just built in p->req (len bytes). */
static void begin(ed_probe *p, size_t len, const char *step)
{
    if (len == 0) {
        fail(p, ED_CHECK_FAIL_ARGS, step,
             "cannot build the request (credentials too long?)");
        finish(p);
        return;
    }
    p->reqlen = len;
    p->step = step;
    p->sent = 0;
    p->unauth = false;
    p->rto = UDP_RTO_MS;
    p->in_tx = true;
    p->want_send = true;
    p->giveup = p->deadline;
}

static void next_phase(ed_probe *p, int64_t now);

/* The transaction in flight failed (res set): a failed Refresh still
 * deallocates, everything else ends the probe. */
static void tx_failed(ed_probe *p, int64_t now)
{
    p->res.transmissions = p->sent;
    forget(p);
    p->in_tx = p->want_send = false;
    if (p->ph == PH_REFRESH) {
        p->ph = PH_DEALLOC;
        next_phase(p, now);
    } else {
        finish(p);
    }
}

static size_t user_len(const ed_probe *p)
{
    return p->have_auth ? strlen(p->user) : 0;
}

/* Build and start the request of the current phase. */
static void send_request(ed_probe *p)
{
    uint8_t *u = p->have_auth ? (uint8_t *)p->user : NULL;
    uint8_t *pw = p->have_auth ? (uint8_t *)p->pass : NULL;
    size_t pl = pw ? strlen(p->pass) : 0;
    StunMessage *prev = p->have_auth ? &p->amsg : NULL;
    size_t len;
    switch (p->ph) {
    case PH_BIND:
        len = stun_usage_bind_create(&p->agent, &p->msg, p->req, sizeof p->req);
        begin(p, len, "binding");
        break;
    case PH_ALLOC:
        len = stun_usage_turn_create(&p->agent, &p->msg, p->req, sizeof p->req,
                  prev, STUN_USAGE_TURN_REQUEST_PORT_NORMAL, -1, -1, u,
                  user_len(p), pw, pl, TURN_COMPAT);
        begin(p, len, "allocate");
        break;
    case PH_REFRESH:
    case PH_DEALLOC:
        len = stun_usage_turn_create_refresh(&p->agent, &p->msg, p->req,
                  sizeof p->req, prev, p->ph == PH_REFRESH ? REFRESH_LIFETIME : 0,
                  u, user_len(p), pw, pl, TURN_COMPAT);
        begin(p, len, p->ph == PH_REFRESH ? "refresh" : "deallocate");
        break;
    case PH_DONE:
        break;
    }
}

static void next_phase(ed_probe *p, int64_t now)
{
    (void)now;
    p->stale = 0;
    send_request(p);
}

/* Keep the current response (a 401 or 438) for its REALM and NONCE. */
static bool save_auth(ed_probe *p, const char *step)
{
    uint16_t rl = 0, nl = 0;
    const uint8_t *realm = stun_message_find(&p->rmsg, STUN_ATTRIBUTE_REALM, &rl);
    if (!realm || !stun_message_find(&p->rmsg, STUN_ATTRIBUTE_NONCE, &nl)) {
        char reason[ED_CHECK_REASON_MAX];
        int code = ed_probe_error_of(&p->rmsg, reason, sizeof reason);
        fail(p, ED_CHECK_FAIL_PROTOCOL, step,
             "error %d response without REALM and NONCE%s%s", code,
             reason[0] ? ": " : "", reason);
        p->res.error_code = code;
        return false;
    }
    size_t n = stun_message_length(&p->rmsg);
    memcpy(p->auth, p->resp, n);
    p->amsg = p->rmsg;
    p->amsg.buffer = p->auth;
    p->amsg.buffer_len = n;
    p->have_auth = true;
    copy_text(p->res.realm, sizeof p->res.realm, realm, rl);
    return true;
}

static void on_bind(ed_probe *p)
{
    struct sockaddr_storage addr, alt;
    socklen_t alen = sizeof addr, altlen = sizeof alt;
    switch (stun_usage_bind_process(&p->rmsg, (struct sockaddr *)&addr, &alen,
                                    (struct sockaddr *)&alt, &altlen)) {
    case STUN_USAGE_BIND_RETURN_SUCCESS:
        ed_probe_addr_str((struct sockaddr *)&addr, p->res.mapped,
                          sizeof p->res.mapped);
        break;
    case STUN_USAGE_BIND_RETURN_ALTERNATE_SERVER:
        fail_server(p, "binding");
        break;
    default:
        if (stun_message_get_class(&p->rmsg) == STUN_ERROR)
            fail_server(p, "binding");
        else
            fail(p, ED_CHECK_FAIL_PROTOCOL, "binding",
                 "Binding response without a usable (XOR-)MAPPED-ADDRESS");
    }
    finish(p);
}

static void on_alloc(ed_probe *p, int64_t now, long rtt, int tx)
{
    if (!p->alloc_authed && is_error(&p->rmsg, 401)) {
        /* RFC 5766 §6.1: the first Allocate learns realm and nonce. */
        if (!save_auth(p, "allocate")) {
            finish(p);
            return;
        }
        p->alloc_authed = true;
        p->stale = 0;
        send_request(p);
        return;
    }
    p->res.rtt_ms = rtt;   /* authenticated, or a server without auth */
    p->res.transmissions = tx;
    struct sockaddr_storage relay, mapped, alt;
    socklen_t rl = sizeof relay, ml = sizeof mapped, al = sizeof alt;
    uint32_t bw = 0, lifetime = 0;
    switch (stun_usage_turn_process(&p->rmsg, &relay, &rl, &mapped, &ml, &alt,
                                    &al, &bw, &lifetime, TURN_COMPAT)) {
    case STUN_USAGE_TURN_RETURN_MAPPED_SUCCESS:
        ed_probe_addr_str((struct sockaddr *)&mapped, p->res.mapped,
                          sizeof p->res.mapped);
        /* fall through */
    case STUN_USAGE_TURN_RETURN_RELAY_SUCCESS:
        ed_probe_addr_str((struct sockaddr *)&relay, p->res.relayed,
                          sizeof p->res.relayed);
        p->res.lifetime = lifetime;
        if (lifetime == 0)
            fail(p, ED_CHECK_FAIL_PROTOCOL, "allocate",
                 "Allocate success without LIFETIME");
        p->ph = PH_REFRESH;
        next_phase(p, now);
        return;
    default:
        if (stun_message_get_class(&p->rmsg) == STUN_ERROR)
            fail_server(p, "allocate");
        else
            fail(p, ED_CHECK_FAIL_PROTOCOL, "allocate",
                 "Allocate success without a usable XOR-RELAYED-ADDRESS");
        finish(p);
    }
}

static void on_refresh(ed_probe *p, int64_t now)
{
    uint32_t granted = 0;
    bool dealloc = p->ph == PH_DEALLOC;
    const char *step = dealloc ? "deallocate" : "refresh";
    bool ok = stun_usage_turn_refresh_process(&p->rmsg, &granted, TURN_COMPAT) ==
              STUN_USAGE_TURN_RETURN_RELAY_SUCCESS;
    /* RFC 8656 §7.3: a 437 (Allocation Mismatch) answer to a request to
     * delete the allocation means it no longer exists (e.g. our first
     * transmission did delete it and its response was lost). */
    if (!ok && dealloc && is_error(&p->rmsg, 437))
        ok = true;
    if (!ok) {
        if (stun_message_get_class(&p->rmsg) == STUN_ERROR)
            fail_server(p, step);
        else
            fail(p, ED_CHECK_FAIL_PROTOCOL, step, "unexpected Refresh response");
    }
    if (dealloc) {
        p->res.deallocated = ok;
        finish(p);
        return;
    }
    if (ok) {
        p->res.refreshed = true;
        p->res.refresh_lifetime = granted;
    }
    p->ph = PH_DEALLOC; /* deallocate even after a failed refresh */
    next_phase(p, now);
}

/* A validated response to the transaction in flight. */
static void on_response(ed_probe *p, int64_t now)
{
    long rtt = (long)(now - p->t0);
    int tx = p->sent;
    p->in_tx = p->want_send = false;
    if (p->ph != PH_BIND && is_error(&p->rmsg, 438) && p->stale < MAX_STALE_RETRY) {
        p->stale++;
        if (!save_auth(p, p->step)) {
            finish(p);
            return;
        }
        send_request(p); /* the same request with the new nonce */
        return;
    }
    switch (p->ph) {
    case PH_BIND:
        p->res.rtt_ms = rtt;
        p->res.transmissions = tx;
        on_bind(p);
        break;
    case PH_ALLOC:
        on_alloc(p, now, rtt, tx);
        break;
    case PH_REFRESH:
    case PH_DEALLOC:
        on_refresh(p, now);
        break;
    case PH_DONE:
        break;
    }
}

/* One whole STUN message from the server (in p->resp, n bytes). */
static void on_message(ed_probe *p, size_t n, int64_t now)
{
    if (!p->in_tx || p->sent == 0)
        return;
    switch (stun_agent_validate(&p->agent, &p->rmsg, p->resp, n, NULL, NULL)) {
    case STUN_VALIDATION_SUCCESS:
        on_response(p, now);
        return;
    case STUN_VALIDATION_UNAUTHORIZED:
    case STUN_VALIDATION_UNAUTHORIZED_BAD_REQUEST:
        p->unauth = true; /* maybe forged: ignore, keep waiting */
        return;
    case STUN_VALIDATION_UNKNOWN_ATTRIBUTE:
    case STUN_VALIDATION_UNKNOWN_REQUEST_ATTRIBUTE:
        fail(p, ED_CHECK_FAIL_PROTOCOL, p->step,
             "response carries an unknown comprehension-required attribute");
        tx_failed(p, now);
        return;
    default:
        return; /* not STUN, not ours, or malformed: ignore */
    }
}

/* One framed STUN message from the head of rbuf: its length, 0 when more
 * bytes are needed, -1 (probe failed) when the stream does not carry STUN
 * or the message is over the limit. */
static long frame(ed_probe *p)
{
    const uint8_t *b = p->rbuf;
    size_t have = p->rlen < 8 ? p->rlen : 8;
    bool bad = (have >= 1 && (b[0] & 0xC0) != 0);
    if (have >= 8) {
        uint32_t cookie = (uint32_t)b[4] << 24 | (uint32_t)b[5] << 16 |
                          (uint32_t)b[6] << 8 | b[7];
        bad = bad || cookie != STUN_COOKIE || (b[3] & 3) != 0;
    }
    const char *step = p->step ? p->step : "connect";
    if (bad) {
        char hex[3 * 8 + 1] = "";
        for (size_t i = 0; i < have; i++)
            snprintf(hex + 3 * i, sizeof hex - 3 * i, "%02x ", b[i]);
        fail(p, ED_CHECK_FAIL_PROTOCOL, step,
             "%s %s sent data that is not STUN (first bytes: %s)",
             p->t == ED_CHECK_TLS ? "tls" : "tcp", p->res.server, hex);
        return -1;
    }
    if (p->rlen < STUN_HDR)
        return 0;
    size_t mlen = STUN_HDR + ((size_t)b[2] << 8 | b[3]);
    if (mlen > sizeof p->rbuf) {
        fail(p, ED_CHECK_FAIL_PROTOCOL, step,
             "STUN message of %zu bytes is over the %zu-byte limit", mlen,
             sizeof p->rbuf);
        return -1;
    }
    return p->rlen >= mlen ? (long)mlen : 0;
}

void ed_probe_input(ed_probe *p, const uint8_t *data, size_t len, int64_t now)
{
    if (!p || p->ph == PH_DONE)
        return;
    if (p->t == ED_CHECK_UDP) {
        if (len > 0 && len <= sizeof p->resp) { /* over the limit: ignored */
            memcpy(p->resp, data, len);
            on_message(p, len, now);
        }
        return;
    }
    while (len > 0 && p->ph != PH_DONE) {
        size_t room = sizeof p->rbuf - p->rlen;
        size_t take = len < room ? len : room;
        memcpy(p->rbuf + p->rlen, data, take);
        p->rlen += take;
        data += take;
        len -= take;
        for (;;) {
            long m = frame(p);
            if (m < 0) {
                if (p->in_tx)
                    tx_failed(p, now);
                if (p->ph != PH_DONE)
                    finish(p); /* the stream is unusable for the rest */
                return;
            }
            if (m == 0)
                break;
            memcpy(p->resp, p->rbuf, (size_t)m);
            memmove(p->rbuf, p->rbuf + m, p->rlen - (size_t)m);
            p->rlen -= (size_t)m;
            on_message(p, (size_t)m, now);
            if (p->ph == PH_DONE)
                return;
        }
    }
}

size_t ed_probe_pull(ed_probe *p, int64_t now, const uint8_t **msg)
{
    if (!p || p->ph == PH_DONE || !p->want_send)
        return 0;
    if (p->sent == 0) {
        p->t0 = now;
        p->giveup = p->t == ED_CHECK_UDP
                        ? now + (int64_t)UDP_RTO_MS * ((1 << UDP_MAX_TX) - 1)
                        : p->deadline;
        if (p->giveup > p->deadline)
            p->giveup = p->deadline;
    }
    p->sent++;
    p->next = now + p->rto;
    p->rto *= 2;
    p->want_send = false;
    *msg = p->req;
    return p->reqlen;
}

void ed_probe_tick(ed_probe *p, int64_t now)
{
    if (!p || p->ph == PH_DONE || !p->in_tx)
        return;
    int64_t giveup = p->sent ? p->giveup : p->deadline;
    if (now >= giveup) {
        if (p->unauth)
            fail(p, ED_CHECK_FAIL_PROTOCOL, p->step,
                 "only responses failing the MESSAGE-INTEGRITY check arrived "
                 "from %s", p->res.server);
        else
            fail(p, ED_CHECK_FAIL_TIMEOUT, p->step,
                 "no response from %s after %d transmission%s in %ld ms",
                 p->res.server, p->sent, p->sent == 1 ? "" : "s",
                 (long)(now - (p->sent ? p->t0 : now)));
        tx_failed(p, now);
        return;
    }
    if (p->t == ED_CHECK_UDP && p->sent > 0 && p->sent < UDP_MAX_TX &&
        now >= p->next)
        p->want_send = true;
}

int64_t ed_probe_next_timer(const ed_probe *p)
{
    if (!p || p->ph == PH_DONE)
        return INT64_MAX;
    if (p->want_send)
        return INT64_MIN;
    int64_t giveup = p->sent ? p->giveup : p->deadline;
    if (p->t == ED_CHECK_UDP && p->sent > 0 && p->sent < UDP_MAX_TX &&
        p->next < giveup)
        return p->next;
    return giveup;
}

void ed_probe_fail(ed_probe *p, ed_check_fail f, const char *step,
                   const char *fmt, ...)
{
    if (!p || p->ph == PH_DONE)
        return;
    if (p->res.fail == ED_CHECK_FAIL_NONE) {
        va_list ap;
        va_start(ap, fmt);
        vfail(&p->res, f, step, fmt, ap);
        va_end(ap);
    }
    if (p->in_tx)
        p->res.transmissions = p->sent;
    finish(p);
}

bool ed_probe_done(const ed_probe *p)
{
    return !p || p->ph == PH_DONE;
}

const char *ed_probe_step(const ed_probe *p)
{
    if (!p || !p->step)
        return p && p->turn ? "allocate" : "binding";
    return p->step;
}

ed_check_result *ed_probe_result(ed_probe *p)
{
    return &p->res;
}

ed_probe *ed_probe_new(ed_check_transport t, const char *username,
                       const char *password, int64_t now, int timeout_ms)
{
    ed_probe *p = calloc(1, sizeof *p);
    if (!p)
        return NULL;
    p->t = t;
    p->turn = username != NULL;
    p->res.rtt_ms = -1;
    p->res.step = "";
    p->deadline = now + (timeout_ms > 0 ? timeout_ms : 0);
    if (timeout_ms <= 0 ||
        (t != ED_CHECK_UDP && t != ED_CHECK_TCP && t != ED_CHECK_TLS)) {
        fail(p, ED_CHECK_FAIL_ARGS, "args",
             "need a host, a port > 0, a timeout > 0 and a transport");
        finish(p);
        return p;
    }
    if (username && (!*username || strlen(username) > ED_PROBE_USERNAME_MAX ||
                     !password || strlen(password) > ED_PROBE_PASSWORD_MAX)) {
        fail(p, ED_CHECK_FAIL_ARGS, "args",
             "TURN needs a username (1..%d bytes) and a password (at most %d "
             "bytes)", ED_PROBE_USERNAME_MAX, ED_PROBE_PASSWORD_MAX);
        finish(p);
        return p;
    }
    if (p->turn) {
        memcpy(p->user, username, strlen(username) + 1);
        memcpy(p->pass, password, strlen(password) + 1);
        stun_agent_init(&p->agent, ed_probe_known_attrs, STUN_COMPATIBILITY_RFC5389,
                        STUN_AGENT_USAGE_LONG_TERM_CREDENTIALS);
        p->ph = PH_ALLOC;
    } else {
        stun_agent_init(&p->agent, ed_probe_known_attrs, STUN_COMPATIBILITY_RFC5389, 0);
        p->ph = PH_BIND;
    }
    send_request(p);
    return p;
}

void ed_probe_free(ed_probe *p)
{
    if (!p)
        return;
    explicit_bzero(p->user, sizeof p->user);
    explicit_bzero(p->pass, sizeof p->pass);
    explicit_bzero(p->req, sizeof p->req);
    free(p);
}
