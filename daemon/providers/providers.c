/* daemon/providers/providers.c — the providers of one server: their shared
 * HTTP client, reconfiguration on reload (an unchanged provider keeps its
 * cache), and the merged set of their services requesters see.  See
 * providers.h. */
#include "providers/providers.h"

#include <stdlib.h>
#include <string.h>

#include "core/log.h"
#include "providers/provider_int.h"
#include "providers/response.h"

struct edd_providers {
    struct event_base *base;
    int64_t (*clock)(void);
    edd_providers_changed_fn changed;
    void *arg;
    edd_fetch *http;
    edd_provider **v;
    size_t n;
    edd_defset *merged;   /* never NULL after new */
    bool any_missing;     /* some provider may need its "answering without" line */
};

void edd_defset_free(edd_defset *d)
{
    if (!d)
        return;
    edd_prov_defs_free(d->defs, d->n);
    free(d->masks);
    free(d);
}

/* A deep copy of every provider's current services. */
static edd_defset *merge(edd_providers *p)
{
    edd_defset *d = calloc(1, sizeof *d);
    if (!d)
        return NULL;
    size_t total = 0;
    for (size_t i = 0; i < p->n; i++) {
        size_t n;
        uint64_t mask;
        edd_provider_defs(p->v[i], &n, &mask);
        total += n;
    }
    d->defs = calloc(total ? total : 1, sizeof *d->defs);
    d->masks = calloc(total ? total : 1, sizeof *d->masks);
    if (!d->defs || !d->masks)
        goto fail;
    p->any_missing = false;
    for (size_t i = 0; i < p->n; i++) {
        size_t n;
        uint64_t mask;
        const ed_service_def *src = edd_provider_defs(p->v[i], &n, &mask);
        if (!src)
            p->any_missing = true;
        for (size_t k = 0; k < n; k++) {
            if (ed_service_copy(&d->defs[d->n].svc, &src[k].svc) != ED_OK)
                goto fail;
            d->masks[d->n++] = mask;
        }
    }
    return d;
fail:
    edd_defset_free(d);
    return NULL;
}

/* A provider's services changed: a new merged set, `changed`, the old one
 * freed. */
static void on_changed(void *arg)
{
    edd_providers *p = arg;
    edd_defset *nw = merge(p);
    if (!nw) {
        edd_log_error("turn_providers: out of memory: the services offered stay as they were");
        return;
    }
    edd_defset *old = p->merged;
    p->merged = nw;
    if (p->changed)
        p->changed(p->arg, old, nw);
    edd_defset_free(old);
}

edd_providers *edd_providers_new(struct event_base *base, int64_t (*clock)(void),
                                 edd_providers_changed_fn changed, void *arg)
{
    edd_providers *p = calloc(1, sizeof *p);
    if (!p)
        return NULL;
    p->base = base;
    p->clock = clock;
    p->changed = changed;
    p->arg = arg;
    if (!(p->merged = merge(p))) {
        free(p);
        return NULL;
    }
    return p;
}

void edd_providers_free(edd_providers *p)
{
    if (!p)
        return;
    for (size_t i = 0; i < p->n; i++)
        edd_provider_free(p->v[i]);
    free(p->v);
    edd_fetch_free(p->http);
    edd_defset_free(p->merged);
    free(p);
}

bool edd_providers_apply(edd_providers *p, const edd_config *cfg, edd_defset **old)
{
    *old = NULL;
    if (cfg->nturn_providers && !p->http && !(p->http = edd_fetch_new(p->base)))
        return false;
    edd_provider **nv = calloc(cfg->nturn_providers ? cfg->nturn_providers : 1, sizeof *nv);
    bool *kept = calloc(p->n ? p->n : 1, sizeof *kept);
    if (!nv || !kept)
        goto fail;
    edd_prov_env env = { p->base, p->http, p->clock, on_changed, p };
    for (unsigned i = 0; i < cfg->nturn_providers; i++) {
        const edd_cfg_provider *c = &cfg->turn_providers[i];
        for (size_t k = 0; !nv[i] && k < p->n; k++) {
            if (!kept[k] && edd_provider_same(p->v[k], c)) {
                kept[k] = true;
                nv[i] = p->v[k];
            }
        }
        if (!nv[i] && !(nv[i] = edd_provider_new(&env, c)))
            goto fail;
    }
    /* committed: masks, the old providers that go, the new merged set */
    for (unsigned i = 0; i < cfg->nturn_providers; i++)
        edd_provider_set_mask(nv[i], cfg->turn_providers[i].network_mask);
    edd_provider **ov = p->v;
    size_t on = p->n;
    p->v = nv;
    p->n = cfg->nturn_providers;
    edd_defset *merged = merge(p);
    if (!merged) {
        p->v = ov;
        p->n = on;
        goto fail;
    }
    for (size_t k = 0; k < on; k++)
        if (!kept[k])
            edd_provider_free(ov[k]);
    free(ov);
    free(kept);
    *old = p->merged;
    p->merged = merged;
    return true;
fail:
    /* free only the providers made here */
    for (unsigned i = 0; nv && i < cfg->nturn_providers; i++) {
        bool ours = nv[i] != NULL;
        for (size_t k = 0; ours && k < p->n; k++)
            ours = p->v[k] != nv[i];
        if (ours)
            edd_provider_free(nv[i]);
    }
    free(nv);
    free(kept);
    return false;
}

const edd_defset *edd_providers_defs(edd_providers *p)
{
    if (p->any_missing)
        for (size_t i = 0; i < p->n; i++)
            edd_provider_note_missing(p->v[i]);
    return p->merged;
}

void edd_providers_foreach(const edd_providers *p, edd_provider_info_cb cb, void *arg)
{
    for (size_t i = 0; p && cb && i < p->n; i++) {
        edd_provider_info in;
        edd_provider_info_of(p->v[i], &in);
        cb(&in, arg);
    }
}

const edd_defset *edd_providers_current(const edd_providers *p)
{
    return p->merged;
}
