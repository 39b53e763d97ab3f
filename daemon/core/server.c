/* daemon/core/server.c — the configuration and registry one process runs with,
 * and the atomic reload: a new file is loaded and checked completely, and
 * only then swapped in; a failed reload changes nothing. */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "core/log.h"
#include "core/metrics.h"
#include "core/server.h"
#include "health/health.h"
#include "providers/providers.h"

static int64_t wall_clock(void)
{
    return (int64_t)time(NULL);
}

/* Unix time with sub-second part (for the metrics' timestamps). */
static double real_now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static bool load(const char *path, edd_config **cfg, edd_registry **reg, char *err,
                 size_t errlen)
{
    *cfg = edd_config_load(path, err, errlen);
    if (!*cfg)
        return false;
    *reg = edd_registry_build(*cfg, err, errlen);
    if (!*reg) {
        edd_config_free(*cfg);
        *cfg = NULL;
        return false;
    }
    return true;
}

/* Would no requester see a difference between a and b?  Same services in
 * the same order for the same networks, comparing what a push compares
 * (credentials with an expiry are not compared: every refresh changes
 * them). */
static bool same_public(const edd_defset *a, const edd_defset *b)
{
    if (!a || !b || a->n != b->n)
        return false;
    for (size_t i = 0; i < a->n; i++)
        if (a->masks[i] != b->masks[i] ||
            !ed_service_same_content(&a->defs[i].svc, &b->defs[i].svc))
            return false;
    return true;
}

/* A provider's result changed: push the difference (none for a refresh
 * that only renews the credentials, the usual case: no walk of the push
 * table then). */
static void providers_changed(void *arg, const edd_defset *old, const edd_defset *nw)
{
    edd_server *s = arg;
    if (same_public(old, nw))
        return;
    edd_offer before, after;
    edd_server_offer(s, &before);
    before.extra = old;
    after = before;
    after.extra = nw;
    size_t sent = edd_pushes_send(s->pushes, s, &before, &after);
    if (sent)
        edd_log_info("turn_providers: %zu pushes sent", sent);
}

const ed_service_def *edd_server_defs(const edd_server *s, size_t *n)
{
    const ed_service_def *d = edd_health_served(s->health, n);
    return d ? d : edd_registry_defs(s->reg, n);
}

/* The networks of edd_server_defs()' services (parallel to them). */
static const uint64_t *served_masks(const edd_server *s)
{
    const uint64_t *m = edd_health_served_masks(s->health);
    return m ? m : edd_registry_masks(s->reg);
}

void edd_server_offer(const edd_server *s, edd_offer *o)
{
    o->reg = s->reg;
    o->defs = edd_server_defs(s, &o->n);
    o->masks = served_masks(s);
    o->extra = s->prov ? edd_providers_current(s->prov) : NULL;
}

size_t edd_server_push_served(edd_server *s, const ed_service_def *od,
                              const uint64_t *om, size_t no)
{
    edd_offer before, after;
    edd_server_offer(s, &after);
    before = after;
    before.defs = od;
    before.masks = om;
    before.n = no;
    return edd_pushes_send(s->pushes, s, &before, &after);
}

const ed_service_def *edd_server_services_for(edd_server *s, const ed_jid *who,
                                              const struct sockaddr *peer,
                                              socklen_t peerlen, size_t *n)
{
    edd_offer o;
    edd_server_offer(s, &o);
    /* a request logs a provider it passes over without a result */
    o.extra = s->prov ? edd_providers_defs(s->prov) : NULL;
    size_t need = o.n + (o.extra ? o.extra->n : 0);
    if (need > s->scratch_cap) {
        ed_service_def *v = realloc(s->scratch, need * sizeof *v);
        if (!v) {
            *n = 0;
            return NULL;
        }
        s->scratch = v;
        s->scratch_cap = need;
    }
    *n = edd_registry_select(o.reg, o.defs, o.masks, o.n, o.extra, who, peer, peerlen,
                             s->scratch, s->scratch_cap);
    return s->scratch;
}

edd_server *edd_server_new(struct event_base *base, const char *path, char *err,
                         size_t errlen)
{
    edd_server *s = calloc(1, sizeof *s);
    if (!s || !(s->config_path = strdup(path))) {
        snprintf(err, errlen, "%s: out of memory", path);
        free(s);
        return NULL;
    }
    s->base = base;
    s->clock = wall_clock;
    if (!load(path, &s->cfg, &s->reg, err, errlen)) {
        edd_server_free(s);
        return NULL;
    }
    edd_metrics_g.config_loaded = real_now();
    edd_metrics_g.last_reload_ok = true;
    s->pushes = edd_pushes_new(0);
    edd_defset *none = NULL;
    if (!s->pushes || !(s->prov = edd_providers_new(base, s->clock, providers_changed, s)) ||
        !edd_providers_apply(s->prov, s->cfg, &none)) {
        snprintf(err, errlen, "%s: out of memory", path);
        edd_server_free(s);
        return NULL;
    }
    edd_defset_free(none); /* the empty set from before the first apply */
    return s;
}

bool edd_server_reload(edd_server *s, char *err, size_t errlen)
{
    edd_config *cfg;
    edd_registry *reg;
    if (!load(s->config_path, &cfg, &reg, err, errlen)) {
        edd_metrics_g.reloads_failed++;
        edd_metrics_g.last_reload_ok = false;
        return false;
    }
    /* what clients got before (it points into the old registry, which
     * lives until the pushes are sent) */
    edd_offer before;
    edd_server_offer(s, &before);
    ed_service_def *od = malloc((before.n ? before.n : 1) * sizeof *od);
    uint64_t *om = malloc((before.n ? before.n : 1) * sizeof *om);
    edd_defset *oldx = NULL;
    if (!od || !om || !edd_providers_apply(s->prov, cfg, &oldx)) {
        free(od);
        free(om);
        edd_registry_free(reg);
        edd_config_free(cfg);
        snprintf(err, errlen, "%s: out of memory", s->config_path);
        return false;
    }
    if (before.n) {
        memcpy(od, before.defs, before.n * sizeof *od);
        memcpy(om, before.masks, before.n * sizeof *om);
    }
    before.defs = od;
    before.masks = om;
    before.extra = oldx;
    edd_metrics_g.reloads_ok++;
    edd_metrics_g.last_reload_ok = true;
    edd_metrics_g.config_loaded = real_now();
    edd_config *old_cfg = s->cfg;
    edd_registry *old_reg = s->reg;
    /* credentials counted by turn_secrets index: named by the old file */
    edd_m_minted_fold(old_cfg->turn_secrets, old_cfg->nturn_secrets);
    s->cfg = cfg;
    s->reg = reg;
    edd_log_setup(cfg->log.level, cfg->log.syslog, NULL);
    /* unchanged services keep their health state */
    if (!edd_health_apply(s->health))
        edd_log_error("health: out of memory: every service served unchecked");
    edd_offer after;
    edd_server_offer(s, &after);
    size_t sent = edd_pushes_send(s->pushes, s, &before, &after);
    free(od);
    free(om);
    edd_defset_free(oldx);
    /* unlimited (edd_log): every reload's result is shown */
    edd_log(EDD_LOG_INFO, "reloaded %s: %u services, %zu pushes sent", s->config_path,
           cfg->nservices, sent);
    edd_registry_free(old_reg);
    edd_config_free(old_cfg);
    return true;
}

void edd_server_free(edd_server *s)
{
    if (!s)
        return;
    edd_health_free(s->health);
    edd_pushes_free(s->pushes);
    edd_providers_free(s->prov);
    free(s->scratch);
    edd_registry_free(s->reg);
    edd_config_free(s->cfg);
    free(s->config_path);
    free(s);
}

const char *edd_server_next_id(edd_server *s, char *buf, size_t len)
{
    snprintf(buf, len, "ed-%" PRIu64, ++s->next_id);
    return buf;
}
