/* client/relaycheck.h — `extdisco check`'s TURN checks beyond one
 * allocation (issue 13), on client/turnsess.c sessions:
 *
 *   relay round trip: two allocations with the handed-out credentials (as
 *     `turnutils_uclient -y`: client to client through the relay),
 *     CreatePermission each way, a Send indication through one relay
 *     received as a Data indication from the other, both directions; then
 *     ChannelBind each way and ChannelData both directions.  The time from
 *     sending to receiving is reported.  A relay that allocates but does
 *     not forward (relay-ip/external-ip wrong, relay ports firewalled)
 *     fails here;
 *   peer restrictions: CreatePermission (never any data) for 10.0.0.1 and
 *     169.254.169.254 on one of the allocations; granted = a warning;
 *   open relay: an Allocate without credentials must be refused.
 *
 * Blocking; everything bounded by timeout_ms (the open-relay probe by its
 * own timeout_ms as well).  Each allocation is deleted at the end. */
#ifndef EXTDISCO_CLIENT_RELAYCHECK_H
#define EXTDISCO_CLIENT_RELAYCHECK_H

#include <stdbool.h>
#include <stdint.h>

#include "turncheck.h"

#define ED_RELAY_PEERS 2

typedef struct ed_relay_leg {
    bool ok;
    long ms;             /* send -> receive, -1 when nothing arrived */
    long us;             /* the same in microseconds */
    int sends;           /* transmissions (udp: repeated until it arrives) */
    bool as_channel;     /* arrived as ChannelData (else Data indication) */
} ed_relay_leg;

typedef struct ed_relay_result {
    bool ran;
    bool ok;
    ed_check_fail fail;
    const char *step;    /* static: "relay-allocate", "relay-permission",
                            "relay-indication", "relay-channelbind",
                            "relay-channeldata", or "" */
    int error_code;
    char error_reason[ED_CHECK_REASON_MAX];
    char server[ED_CHECK_ADDR_MAX];
    char relayed[2][ED_CHECK_ADDR_MAX];
    /* [0] A->B, [1] B->A; indication then channel */
    ed_relay_leg ind[2], chan[2];
    long rtt_ms;         /* the slowest leg that arrived, -1 if none */
    long rtt_us;         /* the same in microseconds */
    /* peer restrictions: state -1 not asked, 0 refused, 1 granted,
     * 2 no answer / transport failure */
    struct {
        const char *ip;  /* static */
        int state;
        int code;        /* error code of a refusal */
    } peers[ED_RELAY_PEERS];
} ed_relay_result;

/* The relay round trip and the peer restrictions (one pair of
 * allocations).  0 when the round trip worked, -1 otherwise (r says). */
int ed_relay_check(const char *host, uint16_t port, ed_check_transport t,
                   const char *user, const char *pass, int timeout_ms,
                   const ed_check_tls *tls, ed_relay_result *r);

/* Allocate without credentials.  Returns 1 when the server allocated (an
 * open relay; the allocation is deleted again), 0 when it refused (code in
 * *code, normally 401), -1 when it could not be asked (why in why). */
int ed_open_relay_check(const char *host, uint16_t port, ed_check_transport t,
                        int timeout_ms, const ed_check_tls *tls, int *code,
                        char *why, size_t cap);

#endif
