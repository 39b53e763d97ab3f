/* client/turnsess.h — one TURN client session for `extdisco check`'s relay
 * checks (client/relaycheck.c): a connection to the server (turncheck_net.c:
 * udp, tcp or tls), an allocation, and the requests a client makes on it
 * (CreatePermission, ChannelBind, Refresh) with the long-term credential,
 * Send indications and ChannelData out, Data indications and ChannelData in.
 * Messages are built and checked with libnice's STUN library
 * (stun/stunagent.h), as in probe/probe.c.
 *
 * Blocking, with poll() deadlines: every call takes an absolute deadline on
 * ed_tc_now_ms()'s clock.  Requests over udp are retransmitted (RTO 500 ms,
 * doubling) until the deadline.  A 401 (first request) or 438 (stale nonce)
 * with REALM and NONCE is answered again with credentials, twice at most.
 * At most ED_TS_INBOX received data messages are kept; more are dropped.
 *
 * The caller owns an ed_ts (no allocation here) and must ed_ts_close() it
 * after ed_ts_open(), whatever ed_ts_open() returned. */
#ifndef EXTDISCO_CLIENT_TURNSESS_H
#define EXTDISCO_CLIENT_TURNSESS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <stun/stunagent.h>

#include "turncheck_net.h"

#define ED_TS_INBOX    4
#define ED_TS_DATA_MAX 256

typedef struct ed_ts_data {
    bool channel;                  /* ChannelData, else a Data indication */
    uint16_t chan;                 /* its channel number */
    struct sockaddr_storage peer;  /* the indication's XOR-PEER-ADDRESS */
    size_t len;
    uint8_t buf[ED_TS_DATA_MAX];
    int64_t at_us;                 /* when it arrived (ed_ts_now_us()) */
} ed_ts_data;

typedef struct ed_ts {
    ed_tc_conn conn;
    bool open;
    ed_check_transport t;
    StunAgent agent;
    bool creds;                    /* a username and password were given */
    char user[514], pass[257];
    uint8_t realm[128], nonce[256];
    size_t realm_len, nonce_len;
    bool have_auth;                /* realm and nonce learnt */
    uint8_t rbuf[ED_TC_MAX_MSG];   /* stream reassembly */
    size_t rlen;
    ed_ts_data inbox[ED_TS_INBOX];
    int nin;
    /* the transaction in flight and its answer */
    bool in_tx, answered;
    StunTransactionId tx_id;
    uint8_t resp[ED_TC_MAX_MSG];
    StunMessage rmsg;
    /* the allocation */
    bool allocated;
    struct sockaddr_storage relayed;
    socklen_t relayed_len;
    char relayed_str[ED_CHECK_ADDR_MAX];
    /* the last failure (fail, step, error_code, error_reason) and server */
    ed_check_result res;
} ed_ts;

/* Connect to ai (host for TLS verification) with transport t.  user NULL:
 * requests go without credentials.  0 or -1 (s->res says why). */
int ed_ts_open(ed_ts *s, const struct addrinfo *ai, const char *host,
               ed_check_transport t, const ed_check_tls *tls,
               const char *user, const char *pass, int64_t deadline);

/* Allocate (REQUESTED-TRANSPORT udp).  0: allocated (s->relayed);
 * > 0: the server's error code; -1: no answer or transport failure. */
int ed_ts_allocate(ed_ts *s, int64_t deadline, const char *step);

/* CreatePermission for peer's IP (chan 0) or ChannelBind of chan to peer.
 * Same returns as ed_ts_allocate. */
int ed_ts_permit(ed_ts *s, const struct sockaddr_storage *peer, socklen_t plen,
                 uint16_t chan, int64_t deadline, const char *step);

/* Data to peer: a Send indication (chan 0) or ChannelData on chan.  0 or
 * -1. */
int ed_ts_send(ed_ts *s, const struct sockaddr_storage *peer, socklen_t plen,
               uint16_t chan, const uint8_t *data, size_t len,
               int64_t deadline, const char *step);

/* The first received data message whose payload is data/len, removed from
 * the inbox into *out; waits for one until `until`.  1 got it, 0 not by
 * then, -1 transport failure. */
int ed_ts_wait_data(ed_ts *s, const uint8_t *data, size_t len, int64_t until,
                    ed_ts_data *out, const char *step);

/* A monotonic clock in microseconds (data arrival times). */
int64_t ed_ts_now_us(void);

/* Deallocate (best effort, at most until deadline or 1 s) and close;
 * wipes the credentials.  Safe on a session that failed to open. */
void ed_ts_close(ed_ts *s, int64_t deadline);

#endif
