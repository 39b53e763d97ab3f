/* probe/probe.h — the one STUN/TURN probe engine, shared by the client's
 * `extdisco check` (client/turncheck.c, a blocking poll() driver) and the
 * daemon's health checks (daemon/health/health_probe.c, a libevent driver).
 *
 * Sans-I/O: the engine never touches a socket, a clock or a resolver.  The
 * driver resolves, connects (and does TLS), then loops:
 *
 *     while (!ed_probe_done(p)) {
 *         while ((n = ed_probe_pull(p, now, &msg)) > 0)  send msg (n bytes);
 *         wait for bytes or until ed_probe_next_timer(p);
 *         bytes:   ed_probe_input(p, data, len, now);
 *         timeout: ed_probe_tick(p, now);
 *         error:   ed_probe_fail(p, ED_CHECK_FAIL_..., step, "why");
 *     }
 *     ed_probe_result(p)
 *
 * Times are milliseconds on any monotonic clock of the driver's choice.
 * Message building, authentication and parsing are libnice's sans-I/O STUN
 * library (stun/usages/bind.h, turn.h; RFC 5389 agent, RFC 5766 TURN):
 *
 *   STUN: one Binding transaction; the mapped address and the RTT.
 *   TURN: Allocate without credentials, expect 401 with REALM and NONCE,
 *         Allocate again with the long-term credential; a 438 Stale Nonce is
 *         retried with the new nonce (twice at most).  Then Refresh
 *         (LIFETIME 600) and deallocation (Refresh, LIFETIME 0; a 437 answer
 *         to it counts as done, RFC 8656 §7.3).  Relayed and mapped address,
 *         lifetime, the server's ERROR-CODE and reason phrase.
 *
 * Datagrams (udp): one input = one datagram; retransmission with RTO 500 ms
 * doubling, 4 transmissions (gives up 7.5 s after the first).  Streams
 * (tcp, tls): input is any chunk of the byte stream; messages are framed by
 * the 20-byte header's length (at most ED_PROBE_MAX_MSG bytes; anything that
 * is not STUN fails the probe).  No retransmission on streams.  Every
 * transaction is also bounded by the probe's overall deadline.
 *
 * Costs are bounded by the engine: one request buffer, one stream buffer of
 * ED_PROBE_MAX_MSG bytes, at most 7 transactions per probe. */
#ifndef EXTDISCO_PROBE_H
#define EXTDISCO_PROBE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>

#ifdef __cplusplus
extern "C" {
#endif

typedef enum ed_check_transport {
    ED_CHECK_UDP = 0,
    ED_CHECK_TCP,
    ED_CHECK_TLS   /* TLS over TCP: the `turns` / `stuns` service types */
} ed_check_transport;

/* What went wrong, when something did (result->ok false). */
typedef enum ed_check_fail {
    ED_CHECK_FAIL_NONE = 0,
    ED_CHECK_FAIL_ARGS,      /* bad argument (empty host, port 0, ...) */
    ED_CHECK_FAIL_RESOLVE,   /* name resolution failed */
    ED_CHECK_FAIL_REFUSED,   /* connection refused / ICMP port unreachable */
    ED_CHECK_FAIL_CONNECT,   /* other connect error (unreachable, ...) */
    ED_CHECK_FAIL_TLS,       /* TLS handshake or certificate verification */
    ED_CHECK_FAIL_TIMEOUT,   /* no (valid) answer before the deadline */
    ED_CHECK_FAIL_IO,        /* socket error, or the peer closed the stream */
    ED_CHECK_FAIL_PROTOCOL,  /* malformed/unauthenticated/unexpected answer */
    ED_CHECK_FAIL_SERVER     /* an error response: see error_code/reason */
} ed_check_fail;

/* Name of a fail value ("none", "refused", "timeout", ...); static. */
const char *ed_check_fail_name(ed_check_fail f);

/* Map an XEP-0215 service type ("stun", "stuns", "turn", "turns") and
 * transport ("udp", "tcp", or NULL meaning udp for stun/turn, tcp for
 * stuns/turns) to a transport.  Returns false for anything unsupported
 * (e.g. turns over udp would be DTLS, which the engine's drivers do not
 * speak).  *is_turn is set true for turn/turns. */
bool ed_check_transport_from(const char *type, const char *transport,
                             ed_check_transport *out, bool *is_turn);

#define ED_CHECK_ADDR_MAX   64   /* "[v6]:port" fits */
#define ED_CHECK_REASON_MAX 256

typedef struct ed_check_result {
    bool ok;                   /* the whole check passed */
    ed_check_fail fail;        /* why not, when !ok */
    const char *step;          /* static: "resolve", "connect", "tls",
                                  "binding", "allocate", "refresh",
                                  "deallocate" — where it stopped or "" */
    int error_code;            /* STUN ERROR-CODE of the failing step, or 0 */
    char error_reason[ED_CHECK_REASON_MAX]; /* server's reason phrase, or a
                                  local description of the failure; "" if ok */
    char server[ED_CHECK_ADDR_MAX];  /* address actually used (driver) */
    long connect_ms;           /* TCP connect + TLS handshake; 0 on UDP
                                  (driver) */
    long rtt_ms;               /* Binding (STUN) or authenticated Allocate
                                  (TURN) transaction time, from the first
                                  transmission to the response; -1 if none */
    int transmissions;         /* of that transaction (UDP retransmits) */
    char mapped[ED_CHECK_ADDR_MAX];  /* XOR-MAPPED-ADDRESS, "" if none */
    char relayed[ED_CHECK_ADDR_MAX]; /* XOR-RELAYED-ADDRESS, "" if none */
    uint32_t lifetime;         /* LIFETIME granted by Allocate, seconds */
    bool refreshed;            /* Refresh (LIFETIME 600) succeeded */
    uint32_t refresh_lifetime; /* LIFETIME granted by that Refresh */
    bool deallocated;          /* Refresh with LIFETIME 0 succeeded */
    char realm[128];           /* REALM the server asked for (TURN) */
    /* TLS (ED_CHECK_TLS; filled by a driver that reports them, else empty):
     * the negotiated version and cipher once the handshake is done; the
     * server certificate's subject, issuer and notAfter as soon as it was
     * seen, even when its verification then failed */
    char tls_version[16];      /* "TLSv1.3" or "" */
    char tls_cipher[64];
    char cert_subject[160];
    char cert_issuer[160];
    int64_t cert_not_after;    /* Unix time; 0 unknown */
} ed_check_result;

/* Largest STUN message accepted from a server (header + attributes).
 * Real responses are well under 1 KiB. */
#define ED_PROBE_MAX_MSG 4096
#define ED_PROBE_USERNAME_MAX 513  /* RFC 8489 §14.3 */
#define ED_PROBE_PASSWORD_MAX 256

/* The comprehension-required attributes (< 0x8000) a client may meet in
 * Binding and TURN responses, 0-terminated: the list libnice's
 * stun_agent_init() takes (any other one fails the transaction, RFC 5389
 * §7.3.3).  Shared with the client's TURN sessions (client/turnsess.c). */
extern const uint16_t ed_probe_known_attrs[];

/* The ERROR-CODE of a libnice STUN message (0 if it has none) and its reason
 * phrase, control characters replaced by '?', cut to cap - 1 bytes, into
 * reason.  Shared with client/turnsess.c. */
struct _StunMessage;
int ed_probe_error_of(const struct _StunMessage *m, char *reason, size_t cap);

typedef struct ed_probe ed_probe;

/* A new probe over transport t (datagrams for ED_CHECK_UDP, a stream
 * otherwise), starting at now with an overall deadline now + timeout_ms.
 * username NULL: STUN Binding; else TURN with username/password (copied,
 * wiped on free).  Always returns a probe unless out of memory (NULL); bad
 * arguments give a probe that is already done with ED_CHECK_FAIL_ARGS. */
ed_probe *ed_probe_new(ed_check_transport t, const char *username,
                       const char *password, int64_t now, int timeout_ms);

/* Wipes the credentials and frees; NULL is a no-op. */
void ed_probe_free(ed_probe *p);

/* The next message to send now, if any: its length (> 0) with *msg
 * pointing into p (valid until the next call on p), or 0.  Taking it counts
 * as a transmission at now: the driver must send it whole. */
size_t ed_probe_pull(ed_probe *p, int64_t now, const uint8_t **msg);

/* Bytes from the server: one datagram (udp) or the next chunk of the
 * stream (tcp/tls). */
void ed_probe_input(ed_probe *p, const uint8_t *data, size_t len, int64_t now);

/* Call at (or after) ed_probe_next_timer(): retransmissions and
 * timeouts. */
void ed_probe_tick(ed_probe *p, int64_t now);

/* When ed_probe_tick() is due (<= now when a message waits in
 * ed_probe_pull()); INT64_MAX when done. */
int64_t ed_probe_next_timer(const ed_probe *p);

/* A transport failure seen by the driver (resolve, connect, TLS, socket
 * error, peer closed): the probe is done with that reason, unless it was
 * done already. */
void ed_probe_fail(ed_probe *p, ed_check_fail f, const char *step,
                   const char *fmt, ...) __attribute__((format(printf, 4, 5)));

bool ed_probe_done(const ed_probe *p);

/* The step in flight ("binding", "allocate", "refresh", "deallocate"), for
 * the driver's own failure messages; static. */
const char *ed_probe_step(const ed_probe *p);

/* The result so far (final once done; ok is set only then).  Owned by p;
 * the driver fills server and connect_ms. */
ed_check_result *ed_probe_result(ed_probe *p);

/* Set res->fail, res->step and a printf-style res->error_reason. */
void ed_check_result_fail(ed_check_result *res, ed_check_fail f,
                          const char *step, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

/* Format a sockaddr as "1.2.3.4:5" or "[::1]:5" into out (cap bytes). */
void ed_probe_addr_str(const struct sockaddr *sa, char *out, size_t cap);

#ifdef __cplusplus
}
#endif
#endif
