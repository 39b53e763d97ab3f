/* daemon/core/metrics.h — the counters extdiscod keeps for /metrics and
 * /status (daemon/http/).
 *
 * One process-wide struct of plain integers: the daemon is single-threaded,
 * so an increment is one add, no lock, no atomic.  The code that handles a
 * request increments where it handles it (core/handler.c, core/pushes.c,
 * c2s/session_sasl.c, core/server.c); gauges that the daemon's own state
 * already holds (open connections, link states) are not duplicated here but
 * read when /metrics is asked (daemon/http/metrics.c).
 *
 * Labels are bounded: protocol and outcome are enums below; credentials are
 * counted per `turn_secrets` name of the configuration (at most
 * EDD_M_MAX_SECRET_SETS names, later ones under "other"); never a JID, a
 * username or a secret.
 *
 * Service health (the health-check role) reaches /metrics and /status
 * through edd_health_provider: the role registers one function that walks
 * its rows (edd_metrics_set_health_provider); nothing here depends on how it
 * checks. */
#ifndef EXTDISCOD_METRICS_H
#define EXTDISCOD_METRICS_H

#include <stdbool.h>
#include <stdint.h>
#include <time.h>

#include "extdisco/turn_rest.h"

/* requests by protocol ... */
typedef enum edd_m_proto {
    EDD_MP_SERVICES = 0, /* XEP-0215 <services/> */
    EDD_MP_CREDENTIALS,  /* XEP-0215 <credentials/> */
    EDD_MP_SIC,          /* XEP-0279 */
    EDD_MP_DISCO,        /* XEP-0030 info and items */
    EDD_MP_PING,         /* XEP-0199 */
    EDD_MP_OTHER,        /* an IQ no handler took (service-unavailable) */
    EDD_MP_N
} edd_m_proto;

/* ... and outcome: a result or the RFC 6120 condition of the error. */
typedef enum edd_m_outcome {
    EDD_MO_RESULT = 0,
    EDD_MO_BAD_REQUEST,
    EDD_MO_FORBIDDEN,
    EDD_MO_ITEM_NOT_FOUND,
    EDD_MO_NOT_ACCEPTABLE,
    EDD_MO_NOT_ALLOWED,
    EDD_MO_SERVICE_UNAVAILABLE,
    EDD_MO_INTERNAL_SERVER_ERROR,
    EDD_MO_OTHER_ERROR, /* any other condition */
    EDD_MO_N
} edd_m_outcome;

/* Histograms of durations: EDD_M_DURATION_BOUNDS upper bounds in
 * nanoseconds (the exposition writes seconds) and one more bucket for +Inf.
 * Request handling times use edd_m_duration_bounds_ns (10 us .. 100 ms),
 * health checks edd_m_check_bounds_ns (1 ms .. 5 s). */
#define EDD_M_DURATION_BOUNDS 12
extern const uint64_t edd_m_duration_bounds_ns[EDD_M_DURATION_BOUNDS];
extern const uint64_t edd_m_check_bounds_ns[EDD_M_DURATION_BOUNDS];

typedef struct edd_histogram {
    uint64_t bucket[EDD_M_DURATION_BOUNDS + 1]; /* not cumulative; last: +Inf */
    uint64_t sum_ns;
    uint64_t count;
} edd_histogram;

static inline void edd_histogram_observe(edd_histogram *h, const uint64_t *bounds, uint64_t ns)
{
    unsigned i = 0;
    while (i < EDD_M_DURATION_BOUNDS && ns > bounds[i])
        i++;
    h->bucket[i]++;
    h->sum_ns += ns;
    h->count++;
}

/* A request's handling time. */
static inline void edd_histogram_add(edd_histogram *h, uint64_t ns)
{
    edd_histogram_observe(h, edd_m_duration_bounds_ns, ns);
}

/* A health check's duration (the histogram of an edd_health_row). */
static inline void edd_histogram_add_check(edd_histogram *h, uint64_t ns)
{
    edd_histogram_observe(h, edd_m_check_bounds_ns, ns);
}

/* TURN REST credentials minted, per turn_secrets name and algorithm. */
#define EDD_M_MAX_SECRET_SETS 64
typedef struct edd_m_minted {
    char name[64];        /* the turn_secrets name (truncated), "" unused */
    ed_hmac_alg alg;
    uint64_t n;
} edd_m_minted;

typedef enum edd_m_push_action { EDD_MPA_ADD = 0, EDD_MPA_MODIFY, EDD_MPA_DELETE, EDD_MPA_N } edd_m_push_action;

typedef struct edd_metrics {
    bool on;              /* an HTTP listener is configured: time requests */
    uint64_t requests[EDD_MP_N][EDD_MO_N];
    edd_histogram duration[EDD_MP_N];
    edd_m_minted minted[EDD_M_MAX_SECRET_SETS + 1]; /* last: "other" */
    /* mints since the running configuration was loaded, by its
     * turn_secrets index (the hot path: one add); folded into minted[] by
     * name when the configuration is replaced or /metrics is read */
    uint64_t minted_now[EDD_M_MAX_SECRET_SETS];
    uint64_t pushes;                   /* push stanzas sent */
    uint64_t push_changes[EDD_MPA_N];  /* services in them, by action */
    uint64_t logins_ok, logins_failed; /* c2s SASL */
    uint64_t logins_throttled;         /* refused while the address waits */
    uint64_t reloads_ok, reloads_failed;
    double config_loaded;              /* Unix time of the last successful load */
    bool last_reload_ok;
    double start_time;                 /* Unix time the process started */
    /* the HTTP listener itself */
    uint64_t http_requests[6];         /* by status class: [2]=2xx ... [5]=5xx */
    uint64_t http_refused;             /* connections over max_connections */
    uint64_t http_cut;                 /* connections cut at the deadline */
} edd_metrics;

/* The one instance (core/metrics.c). */
extern edd_metrics edd_metrics_g;

/* Monotonic nanoseconds (for handling times). */
static inline uint64_t edd_m_now_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

/* Label values of the enums (static strings). */
const char *edd_m_proto_name(edd_m_proto p);
const char *edd_m_outcome_name(edd_m_outcome o);
const char *edd_m_push_action_name(edd_m_push_action a);
/* The outcome of an RFC 6120 condition name (NULL: a result). */
edd_m_outcome edd_m_outcome_of(const char *condition);

/* n TURN REST credentials minted by the turn_secrets entry `name` with
 * algorithm alg (the name is copied into the table on first use; n = 0
 * only makes sure the row exists). */
void edd_m_minted_add(const char *name, ed_hmac_alg alg, uint64_t n);

/* Move minted_now[] into minted[] under the names and algorithms of the
 * configuration they were counted with (ntsets entries of tsets; index k
 * is turn_secrets[k]), then zero it.  At reload (with the old
 * configuration) and before /metrics is written. */
struct edd_cfg_turn_secret;
void edd_m_minted_fold(const struct edd_cfg_turn_secret *tsets, unsigned ntsets);

/* --- service health (the health-check role) ----------------------------- */

/* One checked service as the health role sees it.  Every string is
 * borrowed for the duration of the callback and comes from the
 * configuration (never a credential). */
typedef struct edd_health_row {
    const char *type;      /* "stun", "turn", "turns" */
    const char *host;
    int port;
    const char *transport; /* "udp", "tcp", or NULL */
    int up;                /* 1 up, 0 down, -1 not checked yet */
    uint64_t state_changes;
    const edd_histogram *check_duration; /* filled with
                                          * edd_histogram_add_check(); NULL
                                          * when none */
    double last_check;     /* Unix time of the last check, 0: none */
    long latency_ms;       /* RTT of the last successful check; -1 none */
    long reply_position;   /* place in the reply's served list (0 first);
                              -1 not served */
} edd_health_row;

typedef void (*edd_health_row_fn)(void *ud, const edd_health_row *row);
/* Walks every checked service, calling fn(ud, row) once per service. */
typedef void (*edd_health_foreach_fn)(void *ctx, edd_health_row_fn fn, void *ud);

/* Register (or with NULL remove) the provider: from then on /metrics and
 * /status show its rows.  ctx is the provider's and must live as long as
 * the registration. */
void edd_metrics_set_health_provider(edd_health_foreach_fn foreach, void *ctx);
/* Walk the provider's rows; nothing when none is registered.  Returns
 * whether a provider is registered. */
bool edd_metrics_health_foreach(edd_health_row_fn fn, void *ud);
bool edd_metrics_has_health_provider(void);

#endif
