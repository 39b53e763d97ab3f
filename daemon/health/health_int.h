/* daemon/health/health_int.h — internals shared by health.c (entries,
 * scheduling, served set, pushes, logs), health_state.c (the pure
 * fall/rise and fail-open logic, unit-tested alone) and health_probe.c
 * (the libevent driver of the probe engine).  Not used elsewhere. */
#ifndef EXTDISCOD_HEALTH_INT_H
#define EXTDISCOD_HEALTH_INT_H

#include <event2/dns.h>
#include <event2/event.h>
#include <openssl/ssl.h>

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

/* Which services are served: every one not down, except that when every
 * service of a type is down, all of that type are served (fail open,
 * failopen[i] true for them).  types[i] compared exactly. */
void edd_health_compute_served(size_t n, const edd_health_state *states,
                               const char *const *types, bool *served,
                               bool *failopen);

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
