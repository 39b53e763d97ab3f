/* daemon/health/health_int.h — internals shared by health.c (entries,
 * scheduling, served set, pushes, logs), health_state.c (the pure
 * fall/rise and fail-open logic, unit-tested alone) and health_probe.c
 * (the libevent driver of the probe engine).  Not used elsewhere. */
#ifndef EXTDISCOD_HEALTH_INT_H
#define EXTDISCOD_HEALTH_INT_H

#include <event2/dns.h>
#include <event2/event.h>
#include <openssl/ssl.h>

#include "core/netscope.h"
#include "health/health.h"
#include "probe.h"

/* ---- health_state.c: pure logic ---- */

typedef struct edd_hstate {
    edd_health_state state;
    int oks;    /* successes in a row */
    int fails;  /* failures in a row */
} edd_hstate;

/* One finished check: count it and move the state (down after `fall`
 * failures in a row; up after `rise` successes in a row from down, after
 * the first success from unknown).  true when the state changed. */
bool edd_hstate_step(edd_hstate *st, bool ok, int fall, int rise);

/* Milliseconds until a service's next check, from the check interval in
 * seconds and r, a uniform random 64-bit number (the caller draws it): the
 * first check within the first tenth of the interval (at most 3 s, at
 * least 100 ms), later ones interval ± 10 %, so that many instances (and
 * many services of one) drift apart instead of probing in step. */
int64_t edd_hstate_next_ms(int64_t interval_s, bool first, uint64_t r);

/* Which services are served, and to whom.  Scopes: each of the nnets
 * configured networks (bit k) and the clients of no network
 * (EDD_NETSCOPE_NONE); service i is offered to the scopes of masks[i]
 * (0: all of them, netscope.h).  A service not down is served with its
 * own mask.  Fail open per type AND scope: when every service of a type
 * that a scope is offered is down, all of them are served to that scope
 * (and only to it: a network whose TURN services are all dead gets its
 * own dead ones, whatever other networks have).  tids[i]: the type of i
 * as a small number (equal numbers: same type; each < n).  Out:
 * served_masks[i] the mask i is served with (masks[i], or the scopes it
 * fails open in when that is fewer than masks[i] has), served[i] whether
 * it is served at all, fo[i] the scopes where i, down, is served by fail
 * open (0: none).  n <= EDD_CONFIG_MAX_LIST, nnets < 64. */
void edd_health_compute_served(size_t n, const edd_health_state *states,
                               const unsigned *tids, const uint64_t *masks, unsigned nnets,
                               bool *served, uint64_t *served_masks, uint64_t *fo);

/* Every scope bit of a service mask (0: every network and no network). */
uint64_t edd_health_scopes(uint64_t mask, unsigned nnets);

/* Where a service stands when ordering by latency (check.order_by_latency):
 * measured by a successful last check, not measured (unknown, or not
 * checked at all), last check failed (not yet down), down (served by fail
 * open only). */
typedef enum edd_hrank {
    EDD_HRANK_MEASURED = 0,
    EDD_HRANK_UNMEASURED,
    EDD_HRANK_FAILING,
    EDD_HRANK_DOWN
} edd_hrank;

/* The order of n services for a reply: each type keeps the positions its
 * services have in configuration order, and those positions are filled
 * with that type's services by rank, then latency_ms (rank MEASURED
 * only), then configuration order (stable).  order[p] = the index of the
 * service at position p.  tids as above.  n <= EDD_CONFIG_MAX_LIST. */
void edd_health_order(size_t n, const unsigned *tids, const edd_hrank *rank,
                      const long *latency_ms, size_t *order);

/* A name reserved for documentation and testing (RFC 2606, RFC 6761:
 * .example, .invalid, .test, example.com/net/org and names under them, any
 * case, optional root dot).  Such services are not checked: no DNS query is
 * ever sent for a name that cannot name a real server. */
bool edd_health_reserved_name(const char *host);

/* ---- health_probe.c: one probe on the event loop ---- */

typedef struct edd_hprobe edd_hprobe;

typedef struct edd_hprobe_spec {
    const char *host;        /* as configured (name or IP literal) */
    int port;
    ed_check_transport transport;
    const char *username;    /* NULL: STUN Binding */
    const char *password;
    int timeout_ms;          /* the whole probe: resolve, connect, TLS, STUN */
} edd_hprobe_spec;

/* Done: res is the probe's result (borrowed for the call); the probe is
 * freed right after the callback returns. */
typedef void (*edd_hprobe_done)(void *arg, const ed_check_result *res);

/* Start a probe (DNS through dns, TLS with ctx for ED_CHECK_TLS:
 * certificate and host name verified).  NULL when out of memory.  done is
 * never called from inside this function. */
edd_hprobe *edd_hprobe_start(struct event_base *base, struct evdns_base *dns,
                             SSL_CTX *ctx, const edd_hprobe_spec *spec,
                             edd_hprobe_done done, void *arg);

/* Stop a probe in flight without calling done. */
void edd_hprobe_cancel(edd_hprobe *p);

/* A client TLS context that verifies peers against ca_file (NULL: the
 * system's trust store); NULL with why set on failure. */
SSL_CTX *edd_hprobe_tls_ctx(const char *ca_file, char *why, size_t whylen);

#endif
