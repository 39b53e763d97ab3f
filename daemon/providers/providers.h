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

/* Deep-copied sets (what edd_providers_apply hands back). */
void edd_defset_free(edd_defset *d);

#endif
