/* client/turncheck.h — prove that a STUN or TURN service works.
 *
 * Blocking checks for the `extdisco check` command (one CLI call at a time;
 * no global state; poll() with an overall deadline).  The STUN/TURN logic
 * is the probe engine shared with extdiscod (probe/probe.h, on libnice's
 * sans-I/O STUN code); this module is its blocking driver (resolve,
 * connect, TLS, poll):
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

#include "probe.h"  /* ed_check_result, ed_check_transport, ... */

#ifdef __cplusplus
extern "C" {
#endif

/* TLS options; NULL means defaults (system trust store, verification on). */
typedef struct ed_check_tls {
    const char *ca_file;  /* PEM file of trusted CAs instead of the system's */
    bool insecure;        /* skip certificate verification (still uses SNI) */
    int family;           /* addresses tried: AF_UNSPEC (0, all), AF_INET or
                             AF_INET6 only (also for udp/tcp checks) */
} ed_check_tls;

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
