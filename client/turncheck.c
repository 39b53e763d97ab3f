/* client/turncheck.c — STUN Binding and TURN Allocate/Refresh/deallocate
 * checks.  Messages are built, authenticated and parsed by libnice's
 * sans-I/O STUN library (RFC 5389 agent, RFC 5766 TURN usage); this file
 * runs the transactions (retransmission, deadlines, long-term credential
 * dance) over the transport of turncheck_net.c.  See turncheck.h. */
#include "turncheck.h"
#include "turncheck_net.h"

#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include <stun/stunagent.h>
#include <stun/usages/bind.h>
#include <stun/usages/turn.h>

#define UDP_RTO_MS       500  /* RFC 5389 §7.2.1 initial RTO */
#define UDP_MAX_TX       4    /* transmissions: at 0, 0.5, 1.5, 3.5 s */
#define REFRESH_LIFETIME 600
#define MAX_STALE_RETRY  2    /* 438 Stale Nonce retries per request */
#define USERNAME_MAX     513  /* RFC 8489 §14.3 */
#define PASSWORD_MAX     256

#define TURN_COMPAT STUN_USAGE_TURN_COMPATIBILITY_RFC5766

/* Comprehension-required attributes (< 0x8000) a client may meet in
 * Binding and TURN responses; any other one fails the transaction
 * (RFC 5389 §7.3.3).  Terminated by 0. */
static const uint16_t known_attrs[] = {
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

typedef struct session {
    ed_tc_conn conn;
    StunAgent agent;
    ed_check_result *res;
    int64_t deadline;
    const char *user;   /* NULL for STUN */
    const char *pass;
    StunMessage msg;    /* request being sent */
    StunMessage rmsg;   /* validated response, over resp */
    StunMessage amsg;   /* last 401/438 carrying REALM+NONCE, over auth */
    bool have_auth;
    uint8_t req[ED_TC_MAX_MSG];
    uint8_t resp[ED_TC_MAX_MSG];
    uint8_t auth[ED_TC_MAX_MSG];
} session;

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

/* Copy a server-supplied string attribute, replacing control bytes. */
static void copy_text(char *out, size_t cap, const uint8_t *p, size_t n)
{
    if (n > cap - 1)
        n = cap - 1;
    for (size_t i = 0; i < n; i++)
        out[i] = (p[i] < 0x20 || p[i] == 0x7f) ? '?' : (char)p[i];
    out[n] = '\0';
}

/* ERROR-CODE of m (0 if none) and its reason phrase into reason. */
static int error_of(const StunMessage *m, char *reason, size_t cap)
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

static void fail_server(session *s, const char *step)
{
    char reason[ED_CHECK_REASON_MAX];
    int code = error_of(&s->rmsg, reason, sizeof reason);
    ed_tc_fail(s->res, ED_CHECK_FAIL_SERVER, step, "%s",
               reason[0] ? reason : "(no reason phrase)");
    s->res->error_code = code;
}

static bool is_error(const StunMessage *m, int code)
{
    int c = 0;
    return stun_message_get_class(m) == STUN_ERROR &&
           stun_message_find_error(m, &c) == STUN_MESSAGE_RETURN_SUCCESS &&
           c == code;
}

/* Run one transaction for the request in s->req (len bytes): send,
 * retransmit on UDP, wait for a response the agent validates (matching
 * transaction, MESSAGE-INTEGRITY when a key was used).  0 with the response
 * in s->rmsg, or -1 with s->res filled. */
static int transact(session *s, size_t len, const char *step, long *rtt,
                    int *tx)
{
    bool udp = s->conn.transport == ED_CHECK_UDP;
    int64_t t0 = ed_tc_now_ms(), rto = UDP_RTO_MS, next = t0;
    int64_t giveup = udp ? t0 + (int64_t)UDP_RTO_MS * ((1 << UDP_MAX_TX) - 1)
                         : s->deadline;
    int sent = 0;
    bool unauth = false;
    StunTransactionId id;

    if (len == 0) {
        ed_tc_fail(s->res, ED_CHECK_FAIL_ARGS, step,
                   "cannot build the request (credentials too long?)");
        return -1;
    }
    stun_message_id(&s->msg, id);
    if (giveup > s->deadline)
        giveup = s->deadline;
    for (;;) {
        int64_t now = ed_tc_now_ms();
        if (now >= giveup)
            break;
        if (sent == 0 || (udp && sent < UDP_MAX_TX && now >= next)) {
            if (ed_tc_send(&s->conn, s->req, len, s->deadline, step, s->res))
                goto fail;
            sent++;
            next = now + rto;
            rto *= 2;
        }
        int64_t until = udp && sent < UDP_MAX_TX && next < giveup ? next : giveup;
        ssize_t n = ed_tc_recv(&s->conn, s->resp, sizeof s->resp, until, step,
                               s->res);
        if (n < 0)
            goto fail;
        if (n == 0)
            continue;
        switch (stun_agent_validate(&s->agent, &s->rmsg, s->resp, (size_t)n,
                                    NULL, NULL)) {
        case STUN_VALIDATION_SUCCESS:
            *rtt = (long)(ed_tc_now_ms() - t0);
            *tx = sent;
            return 0;
        case STUN_VALIDATION_UNAUTHORIZED:
        case STUN_VALIDATION_UNAUTHORIZED_BAD_REQUEST:
            unauth = true; /* maybe forged: ignore, keep waiting */
            continue;
        case STUN_VALIDATION_UNKNOWN_ATTRIBUTE:
        case STUN_VALIDATION_UNKNOWN_REQUEST_ATTRIBUTE:
            ed_tc_fail(s->res, ED_CHECK_FAIL_PROTOCOL, step,
                       "response carries an unknown comprehension-required "
                       "attribute");
            goto fail;
        default:
            continue; /* not STUN, not ours, or malformed: ignore */
        }
    }
    if (unauth)
        ed_tc_fail(s->res, ED_CHECK_FAIL_PROTOCOL, step,
                   "only responses failing the MESSAGE-INTEGRITY check "
                   "arrived from %s", s->res->server);
    else
        ed_tc_fail(s->res, ED_CHECK_FAIL_TIMEOUT, step,
                   "no response from %s after %d transmission%s in %ld ms",
                   s->res->server, sent, sent == 1 ? "" : "s",
                   (long)(ed_tc_now_ms() - t0));
fail:
    s->res->transmissions = sent;
    stun_agent_forget_transaction(&s->agent, id);
    return -1;
}

/* ---- STUN ---- */

static int run_stun(session *s)
{
    ed_check_result *res = s->res;
    struct sockaddr_storage addr, alt;
    socklen_t alen = sizeof addr, altlen = sizeof alt;

    stun_agent_init(&s->agent, known_attrs, STUN_COMPATIBILITY_RFC5389, 0);
    size_t len = stun_usage_bind_create(&s->agent, &s->msg, s->req, sizeof s->req);
    if (transact(s, len, "binding", &res->rtt_ms, &res->transmissions))
        return -1;
    switch (stun_usage_bind_process(&s->rmsg, (struct sockaddr *)&addr, &alen,
                                    (struct sockaddr *)&alt, &altlen)) {
    case STUN_USAGE_BIND_RETURN_SUCCESS:
        ed_tc_addr_str((struct sockaddr *)&addr, res->mapped, sizeof res->mapped);
        return 0;
    case STUN_USAGE_BIND_RETURN_ALTERNATE_SERVER:
        fail_server(s, "binding");
        return -1;
    default:
        if (stun_message_get_class(&s->rmsg) == STUN_ERROR)
            fail_server(s, "binding");
        else
            ed_tc_fail(res, ED_CHECK_FAIL_PROTOCOL, "binding",
                       "Binding response without a usable "
                       "(XOR-)MAPPED-ADDRESS");
        return -1;
    }
}

/* ---- TURN ---- */

/* Keep the current response (a 401 or 438) for its REALM and NONCE. */
static int save_auth(session *s, const char *step)
{
    uint16_t rl = 0, nl = 0;
    const uint8_t *realm = stun_message_find(&s->rmsg, STUN_ATTRIBUTE_REALM, &rl);
    if (!realm || !stun_message_find(&s->rmsg, STUN_ATTRIBUTE_NONCE, &nl)) {
        int code = error_of(&s->rmsg, s->res->error_reason,
                            sizeof s->res->error_reason);
        ed_tc_fail(s->res, ED_CHECK_FAIL_PROTOCOL, step,
                   "error %d response without REALM and NONCE", code);
        s->res->error_code = code;
        return -1;
    }
    size_t n = stun_message_length(&s->rmsg);
    memcpy(s->auth, s->resp, n);
    s->amsg = s->rmsg;
    s->amsg.buffer = s->auth;
    s->amsg.buffer_len = n;
    s->have_auth = true;
    copy_text(s->res->realm, sizeof s->res->realm, realm, rl);
    return 0;
}

static size_t user_len(const session *s)
{
    return s->have_auth ? strlen(s->user) : 0;
}

/* Send the request built by `build` (Allocate or Refresh) and answer
 * 438 Stale Nonce by rebuilding with the new nonce. */
static int authed(session *s, int32_t lifetime, bool refresh, const char *step,
                  long *rtt, int *tx)
{
    uint8_t *u = s->have_auth ? (uint8_t *)s->user : NULL;
    uint8_t *p = s->have_auth ? (uint8_t *)s->pass : NULL;
    StunMessage *prev = s->have_auth ? &s->amsg : NULL;
    for (int attempt = 0;; attempt++) {
        size_t len = refresh
            ? stun_usage_turn_create_refresh(&s->agent, &s->msg, s->req,
                  sizeof s->req, prev, lifetime, u, user_len(s), p,
                  p ? strlen(s->pass) : 0, TURN_COMPAT)
            : stun_usage_turn_create(&s->agent, &s->msg, s->req, sizeof s->req,
                  prev, STUN_USAGE_TURN_REQUEST_PORT_NORMAL, -1, lifetime, u,
                  user_len(s), p, p ? strlen(s->pass) : 0, TURN_COMPAT);
        if (transact(s, len, step, rtt, tx))
            return -1;
        if (!is_error(&s->rmsg, 438) || attempt >= MAX_STALE_RETRY)
            return 0;
        if (save_auth(s, step))
            return -1;
    }
}

static int turn_allocate(session *s)
{
    ed_check_result *res = s->res;
    struct sockaddr_storage relay, mapped, alt;
    socklen_t rl = sizeof relay, ml = sizeof mapped, al = sizeof alt;
    uint32_t bw = 0, lifetime = 0;
    long rtt;
    int tx;

    stun_agent_init(&s->agent, known_attrs, STUN_COMPATIBILITY_RFC5389,
                    STUN_AGENT_USAGE_LONG_TERM_CREDENTIALS);
    /* RFC 5766 §6.1: first without credentials, to learn realm and nonce. */
    s->have_auth = false;
    if (authed(s, -1, false, "allocate", &rtt, &tx))
        return -1;
    if (is_error(&s->rmsg, 401)) {
        if (save_auth(s, "allocate") || authed(s, -1, false, "allocate",
                                               &res->rtt_ms, &res->transmissions))
            return -1;
    } else {
        res->rtt_ms = rtt; /* a server without authentication */
        res->transmissions = tx;
    }
    switch (stun_usage_turn_process(&s->rmsg, &relay, &rl, &mapped, &ml, &alt,
                                    &al, &bw, &lifetime, TURN_COMPAT)) {
    case STUN_USAGE_TURN_RETURN_MAPPED_SUCCESS:
        ed_tc_addr_str((struct sockaddr *)&mapped, res->mapped, sizeof res->mapped);
        /* fall through */
    case STUN_USAGE_TURN_RETURN_RELAY_SUCCESS:
        ed_tc_addr_str((struct sockaddr *)&relay, res->relayed, sizeof res->relayed);
        res->lifetime = lifetime;
        return 0;
    default:
        if (stun_message_get_class(&s->rmsg) == STUN_ERROR)
            fail_server(s, "allocate");
        else
            ed_tc_fail(res, ED_CHECK_FAIL_PROTOCOL, "allocate",
                       "Allocate success without a usable XOR-RELAYED-ADDRESS");
        return -1;
    }
}

static int turn_refresh(session *s, int32_t lifetime, const char *step,
                        uint32_t *granted)
{
    long rtt;
    int tx;
    *granted = 0;
    if (authed(s, lifetime, true, step, &rtt, &tx))
        return -1;
    if (stun_usage_turn_refresh_process(&s->rmsg, granted, TURN_COMPAT) ==
        STUN_USAGE_TURN_RETURN_RELAY_SUCCESS)
        return 0;
    /* RFC 8656 §7.3: a 437 (Allocation Mismatch) answer to a request to
     * delete the allocation means it no longer exists (e.g. our first
     * transmission did delete it and its response was lost): the request
     * effectively succeeded. */
    if (lifetime == 0 && is_error(&s->rmsg, 437))
        return 0;
    if (stun_message_get_class(&s->rmsg) == STUN_ERROR)
        fail_server(s, step);
    else
        ed_tc_fail(s->res, ED_CHECK_FAIL_PROTOCOL, step,
                   "unexpected Refresh response");
    return -1;
}

static int run_turn(session *s)
{
    ed_check_result *res = s->res;
    uint32_t granted;
    if (turn_allocate(s))
        return -1;
    if (res->lifetime == 0)
        ed_tc_fail(res, ED_CHECK_FAIL_PROTOCOL, "allocate",
                   "Allocate success without LIFETIME");
    if (turn_refresh(s, REFRESH_LIFETIME, "refresh", &granted) == 0) {
        res->refreshed = true;
        res->refresh_lifetime = granted;
    }
    /* Deallocate even after a failed refresh; report the first failure. */
    ed_check_result keep = *res;
    if (turn_refresh(s, 0, "deallocate", &granted) == 0)
        res->deallocated = true;
    if (keep.fail != ED_CHECK_FAIL_NONE) {
        res->fail = keep.fail;
        res->step = keep.step;
        res->error_code = keep.error_code;
        memcpy(res->error_reason, keep.error_reason, sizeof res->error_reason);
    }
    return res->fail == ED_CHECK_FAIL_NONE && res->refreshed &&
           res->deallocated ? 0 : -1;
}

/* ---- driver ---- */

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
        ed_tc_fail(res, ED_CHECK_FAIL_ARGS, "args",
                   "need a host, a port > 0, a timeout > 0 and a transport");
        return -1;
    }
    if (user && (strlen(user) > USERNAME_MAX || !pass ||
                 strlen(pass) > PASSWORD_MAX || !*user)) {
        ed_tc_fail(res, ED_CHECK_FAIL_ARGS, "args",
                   "TURN needs a username (1..%d bytes) and a password "
                   "(at most %d bytes)", USERNAME_MAX, PASSWORD_MAX);
        return -1;
    }

    int64_t deadline = ed_tc_now_ms() + timeout_ms;
    struct addrinfo *ais;
    if (ed_tc_resolve(host, port, t, &ais, res))
        return -1;
    session *s = calloc(1, sizeof *s);
    if (!s) {
        freeaddrinfo(ais);
        ed_tc_fail(res, ED_CHECK_FAIL_ARGS, "args", "out of memory");
        return -1;
    }
    int rc = -1;
    for (const struct addrinfo *ai = ais; ai; ai = ai->ai_next) {
        memset(res, 0, sizeof *res);
        res->rtt_ms = -1;
        res->step = "";
        s->res = res;
        s->deadline = deadline;
        s->user = user;
        s->pass = pass;
        s->have_auth = false;
        if (ed_tc_connect(&s->conn, t, ai, host, tls, deadline, res) == 0)
            rc = user ? run_turn(s) : run_stun(s);
        ed_tc_close(&s->conn);
        /* Only a refused address passes the turn to the next one. */
        if (rc == 0 || res->fail != ED_CHECK_FAIL_REFUSED ||
            ed_tc_now_ms() >= deadline)
            break;
    }
    free(s);
    freeaddrinfo(ais);
    res->ok = rc == 0;
    if (res->ok)
        res->step = "";
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
            ed_tc_fail(result, ED_CHECK_FAIL_ARGS, "args",
                       "TURN needs a username and a password");
        }
        return -1;
    }
    return run(host, port, transport, username, password, timeout_ms, tls,
               result);
}
