/* daemon/health/health.h — health-aware discovery: extdiscod probes the
 * STUN/TURN services it announces (the probe engine of probe/probe.h,
 * driven on the event loop by health_probe.c) and serves only those that
 * work.
 *
 * Each configured service is `unknown` (not checked yet, or checks
 * disabled: served), `up` or `down` (left out of <services/> and
 * <credentials/> replies).  `fall` failed checks in a row mark a service
 * down, `rise` successes in a row mark it up again (the first success marks
 * an unknown service up).  Fail open: when every service of one type that
 * the clients of one network are offered is down, those are served again
 * to that network's clients (only) and one error is logged
 * (health_state.c; without networks: all of the type, to everyone).  With
 * check.order_by_latency, each type's services are served fastest first
 * by their last check (computed when a result arrives; an order change
 * alone pushes nothing).  A
 * change of the served set is pushed (XEP-0215 delete/add) to the online
 * requesters through core/pushes.c, exactly as a reload does (each
 * requester's push covers only the services of its own networks,
 * edd_server_push_served()).  Every state change is logged once with its
 * reason; SIGUSR1 logs every service's state (edd_health_dump).  A reload
 * keeps the state of every service whose
 * definition (type, host, port, transport, credentials, check settings)
 * did not change.
 *
 * Read-only access for operators' views (/status, /metrics):
 * edd_health_foreach().  Single-threaded: everything runs on the server's
 * event base. */
#ifndef EXTDISCOD_HEALTH_H
#define EXTDISCOD_HEALTH_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/metrics.h"
#include "core/server.h"

typedef enum edd_health_state {
    EDD_HEALTH_UNKNOWN = 0,
    EDD_HEALTH_UP,
    EDD_HEALTH_DOWN
} edd_health_state;

/* "unknown", "up", "down"; static. */
const char *edd_health_state_name(edd_health_state st);

/* One service's health, as edd_health_foreach() shows it.  Every pointer
 * is borrowed for the duration of the callback only. */
typedef struct edd_health_info {
    const char *type, *host, *transport; /* as configured */
    int port;
    bool enabled;          /* checks run for this service */
    edd_health_state state;
    bool served;           /* in replies now, to some clients at least (down
                              but served = fail open, maybe in some networks
                              only) */
    int64_t since;         /* Unix seconds: the last state change (or when
                              the service was first configured) */
    int64_t last_check;    /* Unix seconds of the last finished check; 0 none */
    long latency_ms;       /* RTT of the last successful check; -1 none */
    const char *last_reason; /* why the last failed check failed; "" none */
    uint64_t checks;       /* finished checks */
    uint64_t failures;     /* of those, failed */
    uint64_t changes;      /* state changes */
    int64_t interval;      /* seconds between checks */
    const edd_histogram *check_duration; /* every finished check's duration */
} edd_health_info;

typedef void (*edd_health_cb)(const edd_health_info *info, void *arg);

/* cb for every configured service, in configuration order.  h NULL: none. */
void edd_health_foreach(const edd_health *h, edd_health_cb cb, void *arg);

/* Start checking the services of s->cfg / s->reg on s->base (NULL when out
 * of memory).  Owned by s (s->health); freed by edd_health_free(), which
 * stops every probe in flight. */
edd_health *edd_health_new(edd_server *s);
void edd_health_free(edd_health *h);

/* After a reload swapped s->cfg and s->reg: rebuild the entries from them,
 * keeping state, counters, timer and probe in flight of every service whose
 * definition is unchanged; new or changed services start unknown.  false
 * when out of memory (every service is then served, unchecked). */
bool edd_health_apply(edd_health *h);

/* The served set (shallow copies of the registry's definitions, in
 * configuration order); borrowed until the next change. */
const ed_service_def *edd_health_served(const edd_health *h, size_t *n);

/* The networks of each served service (edd_registry_masks() of the
 * registry's; same order and count as edd_health_served(), NULL when it
 * is); borrowed until the next change. */
const uint64_t *edd_health_served_masks(const edd_health *h);

/* Log one line per service (state, since, last check, latency, reason,
 * counters): SIGUSR1. */
void edd_health_dump(const edd_health *h);

#endif
