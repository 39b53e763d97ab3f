/* client/turncheck.h — prove that a STUN or TURN service works.
 *
 * Blocking checks for the `extdisco check` command (one CLI call at a time;
 * no global state; poll() with an overall deadline).  Message building and
 * parsing is libnice's sans-I/O STUN code (stun/usages/bind.h, turn.h,
 * RFC 5389 / RFC 5766 modes); this module does the I/O around it:
 *
 *   STUN: one Binding transaction; reports the mapped address and the RTT.
 *   TURN: Allocate without credentials, expect 401 with REALM and NONCE,
 *         Allocate again with the long-term credential (MESSAGE-INTEGRITY
 *         keyed by MD5(user:realm:pass)); a 438 Stale Nonce is retried with
 *         the new nonce.  Then Refresh (LIFETIME 600) and deallocation
 *         (Refresh, LIFETIME 0).  Reports relayed and mapped address, the
 *         lifetime granted and the server's ERROR-CODE and reason phrase.
 *
 * Transports: UDP (retransmission RTO 500 ms doubling, 4 transmissions,
 * i.e. give up 7.5 s after the first one), TCP (STUN messages back to back,
 * framed by the length in the 20-byte header) and TLS over TCP (OpenSSL, SNI
 * = host unless it is an IP literal, certificate verified against host by
 * default).  No retransmission on TCP/TLS.  Every transaction is also bounded
 * by the overall deadline timeout_ms, which covers resolution, connect,
 * handshake and all transactions of one check.
 *
 * Hostnames are resolved with getaddrinfo (IPv4 and IPv6).  When an address
 * refuses the connection (TCP RST, or ICMP port unreachable on UDP), the
 * next address is tried while time remains.
 */
#ifndef EXTDISCO_CLIENT_TURNCHECK_H
#define EXTDISCO_CLIENT_TURNCHECK_H

#include <stdbool.h>
#include <stdint.h>

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
    ED_CHECK_FAIL_RESOLVE,   /* getaddrinfo failed */
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
 * (e.g. turns over udp would be DTLS, which this checker does not speak).
 * *is_turn is set true for turn/turns. */
bool ed_check_transport_from(const char *type, const char *transport,
                             ed_check_transport *out, bool *is_turn);

/* TLS options; NULL means defaults (system trust store, verification on). */
typedef struct ed_check_tls {
    const char *ca_file;  /* PEM file of trusted CAs instead of the system's */
    bool insecure;        /* skip certificate verification (still uses SNI) */
} ed_check_tls;

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
    char server[ED_CHECK_ADDR_MAX];  /* address actually used */
    long connect_ms;           /* TCP connect + TLS handshake; 0 on UDP */
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
} ed_check_result;

/* STUN Binding check of host:port.  tls is used only for ED_CHECK_TLS (NULL:
 * defaults).  timeout_ms bounds the whole check (> 0).  *result is always
 * filled (caller owns it; nothing to free).  Returns 0 when result->ok,
 * -1 otherwise. */
int ed_stun_check(const char *host, uint16_t port, ed_check_transport transport,
                  int timeout_ms, const ed_check_tls *tls,
                  ed_check_result *result);

/* TURN Allocate/Refresh/deallocate check with a long-term credential
 * (e.g. a TURN REST username/password from XEP-0215).  username and
 * password are NUL-terminated, at most 513 and 256 bytes; both borrowed for
 * the duration of the call.  Otherwise as ed_stun_check(). */
int ed_turn_check(const char *host, uint16_t port, ed_check_transport transport,
                  const char *username, const char *password, int timeout_ms,
                  const ed_check_tls *tls, ed_check_result *result);

#ifdef __cplusplus
}
#endif
#endif
