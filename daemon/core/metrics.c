/* daemon/core/metrics.c — the one edd_metrics instance, label names, the
 * credential table and the service-health provider hook.  See metrics.h. */
#include <string.h>

#include "config/config.h"
#include "core/metrics.h"

edd_metrics edd_metrics_g;

/* 10 us .. 100 ms: a request is answered in tens of microseconds. */
const uint64_t edd_m_duration_bounds_ns[EDD_M_DURATION_BOUNDS] = {
    10000, 25000, 50000, 100000, 250000, 500000,
    1000000, 2500000, 5000000, 10000000, 25000000, 100000000,
};

/* 1 ms .. 5 s: a STUN/TURN exchange over the network. */
const uint64_t edd_m_check_bounds_ns[EDD_M_DURATION_BOUNDS] = {
    1000000, 2500000, 5000000, 10000000, 25000000, 50000000,
    100000000, 250000000, 500000000, 1000000000, 2500000000u, 5000000000u,
};

static const char *const proto_names[EDD_MP_N] = {
    [EDD_MP_SERVICES] = "services", [EDD_MP_CREDENTIALS] = "credentials",
    [EDD_MP_SIC] = "sic",           [EDD_MP_DISCO] = "disco",
    [EDD_MP_PING] = "ping",         [EDD_MP_OTHER] = "other",
};

static const char *const outcome_names[EDD_MO_N] = {
    [EDD_MO_RESULT] = "result",
    [EDD_MO_BAD_REQUEST] = "bad-request",
    [EDD_MO_FORBIDDEN] = "forbidden",
    [EDD_MO_ITEM_NOT_FOUND] = "item-not-found",
    [EDD_MO_NOT_ACCEPTABLE] = "not-acceptable",
    [EDD_MO_NOT_ALLOWED] = "not-allowed",
    [EDD_MO_SERVICE_UNAVAILABLE] = "service-unavailable",
    [EDD_MO_INTERNAL_SERVER_ERROR] = "internal-server-error",
    [EDD_MO_OTHER_ERROR] = "other-error",
};

static const char *const push_action_names[EDD_MPA_N] = {
    [EDD_MPA_ADD] = "add", [EDD_MPA_MODIFY] = "modify", [EDD_MPA_DELETE] = "delete",
};

const char *edd_m_proto_name(edd_m_proto p)
{
    return (unsigned)p < EDD_MP_N ? proto_names[p] : "other";
}

const char *edd_m_outcome_name(edd_m_outcome o)
{
    return (unsigned)o < EDD_MO_N ? outcome_names[o] : "other-error";
}

const char *edd_m_push_action_name(edd_m_push_action a)
{
    return (unsigned)a < EDD_MPA_N ? push_action_names[a] : "?";
}

edd_m_outcome edd_m_outcome_of(const char *condition)
{
    if (!condition)
        return EDD_MO_RESULT;
    for (unsigned i = 1; i < EDD_MO_OTHER_ERROR; i++)
        if (strcmp(outcome_names[i], condition) == 0)
            return (edd_m_outcome)i;
    return EDD_MO_OTHER_ERROR;
}

void edd_m_minted_add(const char *name, ed_hmac_alg alg, uint64_t n)
{
    edd_m_minted *t = edd_metrics_g.minted;
    size_t i;
    for (i = 0; i < EDD_M_MAX_SECRET_SETS && t[i].name[0]; i++)
        if (t[i].alg == alg && strncmp(t[i].name, name, sizeof t[i].name - 1) == 0)
            break; /* names past 63 bytes are told apart by their start only */
    if (i < EDD_M_MAX_SECRET_SETS && !t[i].name[0]) {
        size_t len = strlen(name);
        if (len >= sizeof t[i].name)
            len = sizeof t[i].name - 1;
        memcpy(t[i].name, name, len);
        t[i].name[len] = '\0';
        t[i].alg = alg;
    }
    t[i].n += n; /* i == EDD_M_MAX_SECRET_SETS: "other" */
}

void edd_m_minted_fold(const edd_cfg_turn_secret *tsets, unsigned ntsets)
{
    for (unsigned k = 0; k < ntsets && k < EDD_M_MAX_SECRET_SETS; k++) {
        edd_m_minted_add(tsets[k].name, tsets[k].algorithm, edd_metrics_g.minted_now[k]);
        edd_metrics_g.minted_now[k] = 0;
    }
}

static edd_health_foreach_fn health_fn;
static void *health_ctx;

void edd_metrics_set_health_provider(edd_health_foreach_fn foreach, void *ctx)
{
    health_fn = foreach;
    health_ctx = foreach ? ctx : NULL;
}

bool edd_metrics_health_foreach(edd_health_row_fn fn, void *ud)
{
    if (!health_fn)
        return false;
    health_fn(health_ctx, fn, ud);
    return true;
}

bool edd_metrics_has_health_provider(void)
{
    return health_fn != NULL;
}
