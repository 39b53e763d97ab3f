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
    if (!s->pushes) {
        snprintf(err, errlen, "%s: out of memory", path);
        edd_server_free(s);
        return NULL;
    }
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
    size_t no;
    const ed_service_def *od0 = edd_server_defs(s, &no);
    ed_service_def *od = malloc((no ? no : 1) * sizeof *od);
    if (!od) {
        edd_registry_free(reg);
        edd_config_free(cfg);
        snprintf(err, errlen, "%s: out of memory", s->config_path);
        return false;
    }
    if (no)
        memcpy(od, od0, no * sizeof *od);
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
    size_t nn;
    const ed_service_def *nd = edd_server_defs(s, &nn);
    size_t sent = edd_pushes_send_defs(s->pushes, s, od, no, nd, nn, reg);
    free(od);
    /* unlimited (edd_log): every reload's result is shown */
    edd_log(EDD_LOG_INFO, "reloaded %s: %u services, %zu pushes sent", s->config_path,
           cfg->nservices, sent);
    edd_registry_free(old_reg);
    edd_config_free(old_cfg);
    return true;
}

const ed_service_def *edd_server_defs(const edd_server *s, size_t *n)
{
    const ed_service_def *d = edd_health_served(s->health, n);
    return d ? d : edd_registry_defs(s->reg, n);
}

void edd_server_free(edd_server *s)
{
    if (!s)
        return;
    edd_health_free(s->health);
    edd_pushes_free(s->pushes);
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
