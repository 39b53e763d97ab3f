/* daemon/providers/provider.c — one HTTP credential provider: when to fetch
 * (at once, then after cache_percent of the TTL: ahead of expiry), what to
 * keep (the last good result, served until its credentials are about to
 * expire), how to fail (back off from retry_min, doubling up to retry_max;
 * one warning per failing streak, one line when it recovers) and what to
 * log (names, HTTP statuses, reasons: never the key, never a body). */
#include "providers/provider_int.h"

#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "core/log.h"
#include "providers/response.h"

struct edd_provider {
    edd_prov_env env;
    char *name;
    edd_prov_request req;
    int64_t ttl, cache_percent, retry_min, retry_max;
    uint64_t mask;
    edd_fetch_req *inflight;
    struct event *refresh; /* the next fetch */
    struct event *expire;  /* the cached result stops being served */
    ed_service_def *defs;  /* the cached result (have) */
    size_t ndefs;
    bool have;
    int64_t expires;
    unsigned failures;     /* in a row */
    bool missing_logged;   /* "answering without" said for this period */
    /* for /metrics */
    uint64_t fetches[EDD_PROV_R_N];
    int64_t last_success, fetched, served_until, retry_in;
};

const char *edd_prov_result_name(edd_prov_result r)
{
    static const char *const names[EDD_PROV_R_N] = { "ok", "http_error", "timeout",
                                                      "network_error", "parse_error" };
    return (unsigned)r < EDD_PROV_R_N ? names[r] : "unknown";
}

/* A result is no longer served this long before its credentials expire,
 * so that a client still has time to use them: a tenth of the TTL, at most
 * a minute. */
static int64_t margin_of(int64_t ttl)
{
    int64_t m = ttl / 10;
    return m > 60 ? 60 : m;
}

static void arm(struct event *ev, int64_t secs)
{
    struct timeval tv = { (time_t)(secs > 0 ? secs : 0), 0 };
    evtimer_add(ev, &tv);
}

static void on_done(void *arg, long status, const char *body, size_t len, const char *error);

static void on_refresh(evutil_socket_t fd, short what, void *arg)
{
    edd_provider *p = arg;
    if (p->inflight)
        return;
    p->inflight = edd_fetch_start(p->env.http, &p->req, on_done, p);
    if (!p->inflight) {
        edd_log_error("turn_providers %s: cannot start a request (out of memory)", p->name);
        arm(p->refresh, p->retry_min);
    } else {
        edd_log_debug("turn_providers %s: fetching", p->name);
    }
}

static void on_expire(evutil_socket_t fd, short what, void *arg)
{
    edd_provider *p = arg;
    if (!p->have)
        return;
    ed_service_def *old = p->defs;
    size_t nold = p->ndefs;
    p->defs = NULL;
    p->ndefs = 0;
    p->have = false;
    p->missing_logged = true;
    edd_log_warn("turn_providers %s: cached credentials expire and no new ones came: "
                 "answering without its services until a fetch succeeds", p->name);
    p->env.changed(p->env.arg);
    edd_prov_defs_free(old, nold);
}

static void failed(edd_provider *p, edd_prov_result r, const char *why)
{
    p->fetches[r]++;
    p->failures++;
    int64_t back = p->retry_min;
    for (unsigned i = 1; i < p->failures && back < p->retry_max; i++)
        back *= 2;
    if (back > p->retry_max)
        back = p->retry_max;
    p->retry_in = back;
    if (p->failures == 1) {
        edd_log_warn("turn_providers %s: fetch failed: %s; %s; retrying in %" PRId64
                     "s, backing off up to %" PRId64 "s",
                     p->name, why,
                     p->have ? "serving the cached result meanwhile" : "no result to serve",
                     back, p->retry_max);
    } else {
        edd_log_debug("turn_providers %s: fetch failed again (%u in a row): %s; retrying in "
                      "%" PRId64 "s", p->name, p->failures, why, back);
    }
    arm(p->refresh, back);
}

static void on_done(void *arg, long status, const char *body, size_t len, const char *error)
{
    edd_provider *p = arg;
    p->inflight = NULL;
    char why[256];
    if (error) {
        failed(p, strcmp(error, "timeout") == 0 ? EDD_PROV_TIMEOUT
                  : strncmp(error, "response larger", 15) == 0 ? EDD_PROV_PARSE_ERROR
                                                               : EDD_PROV_NETWORK_ERROR,
               error);
        return;
    }
    if (status < 200 || status > 299) {
        snprintf(why, sizeof why, "HTTP %ld%s", status,
                 status == 401 || status == 403 ? " (is the API key right?)"
                 : status == 429 ? " (rate limited)" : "");
        failed(p, EDD_PROV_HTTP_ERROR, why);
        return;
    }
    edd_ice_list l;
    char pwhy[200];
    if (!edd_prov_parse(body, len, &p->req.map, &l, pwhy, sizeof pwhy)) {
        snprintf(why, sizeof why, "HTTP %ld, malformed response: %s", status, pwhy);
        failed(p, EDD_PROV_PARSE_ERROR, why);
        return;
    }
    int64_t now = p->env.clock();
    int64_t ttl = l.ttl > 0 ? l.ttl : p->ttl;
    if (ttl > p->ttl)
        ttl = p->ttl; /* never serve past what was asked for */
    if (ttl < 10)
        ttl = 10;
    ed_service_def *defs;
    size_t n, skipped;
    bool ok = edd_prov_to_defs(&l, now + ttl, &defs, &n, &skipped);
    edd_ice_list_clear(&l);
    if (!ok) {
        failed(p, EDD_PROV_PARSE_ERROR, "out of memory");
        return;
    }
    if (n == 0) {
        edd_prov_defs_free(defs, n);
        snprintf(why, sizeof why, "HTTP %ld, no usable ICE server in the response (%zu skipped)",
                 status, skipped);
        failed(p, EDD_PROV_PARSE_ERROR, why);
        return;
    }
    if (p->failures)
        edd_log_info("turn_providers %s: fetched after %u failed attempts: %zu services "
                     "(%zu URLs skipped), valid %" PRId64 "s", p->name, p->failures, n,
                     skipped, ttl);
    else
        edd_log_info("turn_providers %s: fetched %zu services (%zu URLs skipped), valid %"
                     PRId64 "s", p->name, n, skipped, ttl);
    p->failures = 0;
    p->fetches[EDD_PROV_OK]++;
    p->last_success = now;
    p->fetched = now;
    p->served_until = now + ttl - margin_of(ttl);
    p->retry_in = 0;
    ed_service_def *old = p->defs;
    size_t nold = p->ndefs;
    p->defs = defs;
    p->ndefs = n;
    p->have = true;
    p->expires = now + ttl;
    p->missing_logged = false;
    int64_t next = ttl * p->cache_percent / 100;
    arm(p->refresh, next > 0 ? next : 1);
    arm(p->expire, ttl - margin_of(ttl));
    p->env.changed(p->env.arg);
    edd_prov_defs_free(old, nold);
}

edd_provider *edd_provider_new(const edd_prov_env *env, const edd_cfg_provider *cfg)
{
    edd_provider *p = calloc(1, sizeof *p);
    if (!p)
        return NULL;
    p->env = *env;
    p->ttl = cfg->ttl;
    p->cache_percent = cfg->cache_percent;
    p->retry_min = cfg->retry_min;
    p->retry_max = cfg->retry_max;
    p->mask = cfg->network_mask;
    if (!(p->name = strdup(cfg->name)) || !edd_prov_request_build(cfg, &p->req) ||
        !(p->refresh = evtimer_new(env->base, on_refresh, p)) ||
        !(p->expire = evtimer_new(env->base, on_expire, p))) {
        edd_provider_free(p);
        return NULL;
    }
    arm(p->refresh, 0);
    return p;
}

void edd_provider_free(edd_provider *p)
{
    if (!p)
        return;
    edd_fetch_cancel(p->inflight);
    if (p->refresh)
        event_free(p->refresh);
    if (p->expire)
        event_free(p->expire);
    edd_prov_defs_free(p->defs, p->ndefs);
    edd_prov_request_clear(&p->req);
    free(p->name);
    free(p);
}

bool edd_provider_same(const edd_provider *p, const edd_cfg_provider *cfg)
{
    edd_prov_request r;
    if (strcmp(p->name, cfg->name) != 0 || p->ttl != cfg->ttl ||
        p->cache_percent != cfg->cache_percent || p->retry_min != cfg->retry_min ||
        p->retry_max != cfg->retry_max || !edd_prov_request_build(cfg, &r))
        return false;
    bool same = edd_prov_request_equal(&p->req, &r);
    edd_prov_request_clear(&r);
    return same;
}

void edd_provider_set_mask(edd_provider *p, uint64_t mask)
{
    p->mask = mask;
}

const ed_service_def *edd_provider_defs(const edd_provider *p, size_t *n, uint64_t *mask)
{
    *n = p->have ? p->ndefs : 0;
    *mask = p->mask;
    return p->have ? p->defs : NULL;
}

void edd_provider_note_missing(edd_provider *p)
{
    if (p->have || p->missing_logged)
        return;
    p->missing_logged = true;
    edd_log_warn("turn_providers %s: no credentials fetched yet: answering without its "
                 "services", p->name);
}

const char *edd_provider_name(const edd_provider *p)
{
    return p->name;
}

void edd_provider_info_of(const edd_provider *p, edd_provider_info *out)
{
    memset(out, 0, sizeof *out);
    out->name = p->name;
    memcpy(out->fetches, p->fetches, sizeof out->fetches);
    out->last_success = p->last_success;
    out->have = p->have;
    out->fetched = p->have ? p->fetched : 0;
    out->served_until = p->have ? p->served_until : 0;
    out->services = p->have ? p->ndefs : 0;
    out->failures = p->failures;
    out->retry_in = p->failures ? p->retry_in : 0;
}
