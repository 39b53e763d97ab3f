/* daemon/providers/provider_int.h — one provider (provider.c) as the set
 * (providers.c) drives it.  Internal to daemon/providers/. */
#ifndef EXTDISCOD_PROVIDER_INT_H
#define EXTDISCOD_PROVIDER_INT_H

#include <stdbool.h>
#include <stdint.h>

#include <event2/event.h>

#include "providers/fetch.h"
#include "providers/providers.h"
#include "providers/request.h"

typedef struct edd_provider edd_provider;

/* What a provider needs from its set. */
typedef struct edd_prov_env {
    struct event_base *base;
    edd_fetch *http;
    int64_t (*clock)(void);
    /* the provider's services changed (new result, or the old one expired) */
    void (*changed)(void *arg);
    void *arg;
} edd_prov_env;

/* From a checked configuration entry; the first fetch starts at once (from
 * the loop, never inside this call).  NULL on failure. */
edd_provider *edd_provider_new(const edd_prov_env *env, const edd_cfg_provider *cfg);
void edd_provider_free(edd_provider *p);

/* Would cfg make the same provider (request, mapping, timing)? */
bool edd_provider_same(const edd_provider *p, const edd_cfg_provider *cfg);
void edd_provider_set_mask(edd_provider *p, uint64_t mask);

/* Its services now (none when it has no usable result); borrowed. */
const ed_service_def *edd_provider_defs(const edd_provider *p, size_t *n, uint64_t *mask);

/* Passed over without a usable result: log that once per such period. */
void edd_provider_note_missing(edd_provider *p);
const char *edd_provider_name(const edd_provider *p);
void edd_provider_info_of(const edd_provider *p, edd_provider_info *out);

#endif
