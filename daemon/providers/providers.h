/* daemon/providers/providers.h — HTTP credential providers (`turn_providers:`
 * in extdiscod.yml): hosted TURN services (Cloudflare Realtime TURN, Twilio
 * Network Traversal Service, any JSON API) whose ICE servers and
 * credentials come from an HTTPS call made with an API key.
 *
 * The set of providers of one server.  Each provider fetches in the
 * background on the server's libevent loop (fetch.c: libcurl's multi
 * interface driven by libevent; nothing ever waits on the network), keeps
 * the last good result for cache_percent of its TTL, refreshes ahead of
 * expiry, backs off on errors (retry_min doubling up to retry_max) and
 * serves its cached set until the credentials are about to expire.  A
 * request never waits for a provider: it gets what is cached, or nothing
 * from that provider (logged once).
 *
 * What requesters see is one merged edd_defset (registry.h) of every
 * provider's current services: a deep copy owned by the set, replaced as a
 * whole when a provider's result changes; `changed` is then called with the
 * sets before and after (both valid during the call), e.g. for pushes.
 *
 * The API keys are copied from the configuration into the request of each
 * provider (request.c) and wiped on free; they never reach a log line, a
 * metric or a reply.  Single-threaded. */
#ifndef EXTDISCOD_PROVIDERS_H
#define EXTDISCOD_PROVIDERS_H

#include <stdbool.h>
#include <stdint.h>

#include <event2/event.h>

#include "config/config.h"
#include "core/registry.h"

typedef struct edd_providers edd_providers;

typedef void (*edd_providers_changed_fn)(void *arg, const edd_defset *old,
                                         const edd_defset *nw);

/* An empty set on base.  clock: Unix seconds.  NULL on failure. */
edd_providers *edd_providers_new(struct event_base *base, int64_t (*clock)(void),
                                 edd_providers_changed_fn changed, void *arg);

/* Cancels every fetch, wipes the keys, frees everything; NULL is a no-op. */
void edd_providers_free(edd_providers *p);

/* Take cfg's turn_providers: one whose request, response mapping and timing
 * are unchanged keeps its cache and schedule (its networks are updated);
 * others start afresh (first fetch at once); removed ones stop.  On success
 * *old receives the merged set from before (the caller frees it with
 * edd_defset_free() once done, e.g. after the reload's pushes) and
 * `changed` is NOT called.  false (nothing changed) when out of memory. */
bool edd_providers_apply(edd_providers *p, const edd_config *cfg, edd_defset **old);

/* The merged set now, for answering a request (never NULL; borrowed until
 * the next change).  The first time a request passes over a provider
 * without a usable result since it lost (or never had) one, one line is
 * logged. */
const edd_defset *edd_providers_defs(edd_providers *p);

/* The same without logging (pushes, tests). */
const edd_defset *edd_providers_current(const edd_providers *p);

/* How a fetch ended, for /metrics. */
typedef enum edd_prov_result {
    EDD_PROV_OK = 0,
    EDD_PROV_HTTP_ERROR,    /* a status other than 2xx */
    EDD_PROV_TIMEOUT,       /* the request's timeout passed */
    EDD_PROV_NETWORK_ERROR, /* no response: resolution, connection, TLS */
    EDD_PROV_PARSE_ERROR,   /* 2xx but unusable: malformed, too large, no
                               usable ICE server */
    EDD_PROV_R_N
} edd_prov_result;

/* "ok", "http_error", "timeout", "network_error", "parse_error". */
const char *edd_prov_result_name(edd_prov_result r);

/* One provider as operators see it (/metrics); pointers borrowed for the
 * callback only.  Counters live as long as the provider: a reload that
 * changes its request, mapping or timing starts them again at 0. */
typedef struct edd_provider_info {
    const char *name;              /* the configured name: never a URL or key */
    uint64_t fetches[EDD_PROV_R_N]; /* finished fetches by result */
    int64_t last_success;          /* Unix seconds of the last good fetch; 0 none */
    bool have;                     /* a cached result is served */
    int64_t fetched;               /* when it was fetched (have) */
    int64_t served_until;          /* when it stops being served (have) */
    size_t services;               /* services it offers now */
    unsigned failures;             /* failed fetches in a row */
    int64_t retry_in;              /* the delay before the retry after the
                                      last failure (backoff); 0 when none */
} edd_provider_info;

typedef void (*edd_provider_info_cb)(const edd_provider_info *info, void *arg);

/* cb for every provider, in configuration order; p NULL: none. */
void edd_providers_foreach(const edd_providers *p, edd_provider_info_cb cb, void *arg);

/* Deep-copied sets (what edd_providers_apply hands back). */
void edd_defset_free(edd_defset *d);

#endif
