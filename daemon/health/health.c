/* daemon/health/health.c — health-aware discovery: one entry per
 * configured service (its state, counters, timer and probe in flight),
 * scheduling with jitter, the served set (health_state.c) and its pushes,
 * the logs, the reload that keeps unchanged services' state, the read-only
 * view.  See health.h. */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <event2/dns.h>
#include <event2/util.h>
#include <openssl/evp.h>

#include "core/log.h"
#include "health/health_int.h"

#define FP_LEN 32

typedef struct entry {
    edd_health *h;
    size_t idx;                  /* in the registry's definitions */
    unsigned char fp[FP_LEN];    /* fingerprint of the definition */
    char *type, *host, *transport;
    int port;
    char label[320];             /* "turn udp host:port" for logs */
    /* the check */
    bool enabled, probeable;     /* probeable: a type/transport we can check */
    ed_check_transport tr;
    bool is_turn;
    int64_t interval, timeout;   /* seconds */
    int fall, rise;
    unsigned tid;                /* type as a number: the first entry of its type */
    /* state */
    edd_hstate st;
    bool last_ok;                /* the last finished check succeeded */
    uint64_t fo;                 /* down, served by fail open to these scopes */
    bool served;                 /* in replies (to served_mask's clients) */
    uint64_t served_mask;
    int64_t since, last_check;
    long latency_ms;
    char reason[ED_CHECK_REASON_MAX + 64];
    uint64_t checks, failures, changes;
    edd_histogram duration;      /* of every finished check (/metrics) */
    struct timespec started;     /* of the check in flight */
    struct event *timer;
    edd_hprobe *probe;
} entry;

struct edd_health {
    edd_server *s;
    struct evdns_base *dns;
    SSL_CTX *tls;
    char *ca_file;               /* of tls */
    entry **e;
    size_t n;
    ed_service_def *served;      /* shallow copies of registry definitions */
    uint64_t *served_masks;      /* their networks (registry masks, or fewer
                                    for fail open in some only), parallel */
    size_t *served_idx;          /* their entries, parallel */
    size_t nserved;
};

static void on_timer(evutil_socket_t fd, short what, void *arg);

/* ---- entries ---- */

static void fp_add(EVP_MD_CTX *md, const char *tag, const char *v)
{
    EVP_DigestUpdate(md, tag, strlen(tag) + 1);
    if (v)
        EVP_DigestUpdate(md, v, strlen(v) + 1);
    else
        EVP_DigestUpdate(md, "\xff", 1);
}

/* What a check depends on: a change of any of these resets the state.
 * Secrets go into the digest only, never anywhere else. */
static void fingerprint(const edd_config *cfg, const edd_cfg_service *cs,
                        unsigned char out[FP_LEN])
{
    EVP_MD_CTX *md = EVP_MD_CTX_new();
    char num[160];
    memset(out, 0, FP_LEN);
    if (!md)
        return;
    EVP_DigestInit_ex(md, EVP_sha256(), NULL);
    fp_add(md, "type", cs->type);
    fp_add(md, "host", cs->host);
    snprintf(num, sizeof num, "%lld/%d/%lld/%lld/%lld/%lld", (long long)cs->port,
             cs->eff.enabled, (long long)cs->eff.interval, (long long)cs->eff.timeout,
             (long long)cs->eff.fall, (long long)cs->eff.rise);
    fp_add(md, "num", num);
    fp_add(md, "transport", cs->transport);
    fp_add(md, "username", cs->username);
    fp_add(md, "password", cs->password);
    fp_add(md, "ca", cfg->check.ca_file);
    if (cs->credentials_index >= 0 && (unsigned)cs->credentials_index < cfg->nturn_secrets) {
        const edd_cfg_turn_secret *t = &cfg->turn_secrets[cs->credentials_index];
        snprintf(num, sizeof num, "%lld/%d/%d/%s", (long long)t->ttl, (int)t->algorithm,
                 (int)t->user, t->separator ? t->separator : ":");
        fp_add(md, "rest", num);
        for (unsigned k = 0; k < t->nsecret_files && t->secrets; k++)
            EVP_DigestUpdate(md, t->secrets[k], t->secret_lens[k]);
    }
    unsigned len = FP_LEN;
    EVP_DigestFinal_ex(md, out, &len);
    EVP_MD_CTX_free(md);
}

static void entry_free(entry *e)
{
    if (!e)
        return;
    edd_hprobe_cancel(e->probe);
    if (e->timer)
        event_free(e->timer);
    free(e->type);
    free(e->host);
    free(e->transport);
    free(e);
}

static entry *entry_new(edd_health *h, const edd_cfg_service *cs, size_t idx)
{
    entry *e = calloc(1, sizeof *e);
    if (!e)
        return NULL;
    e->h = h;
    e->idx = idx;
    e->type = strdup(cs->type);
    e->host = strdup(cs->host);
    e->transport = cs->transport ? strdup(cs->transport) : NULL;
    if (!e->type || !e->host || (cs->transport && !e->transport)) {
        entry_free(e);
        return NULL;
    }
    e->port = (int)cs->port;
    snprintf(e->label, sizeof e->label, "%s %s %s:%d", cs->type,
             cs->transport ? cs->transport : "-", cs->host, e->port);
    e->probeable = ed_check_transport_from(cs->type, cs->transport, &e->tr, &e->is_turn);
    e->enabled = cs->eff.enabled > 0 && e->probeable;
    if (e->enabled && edd_health_reserved_name(cs->host)) {
        e->enabled = false;
        edd_log(EDD_LOG_INFO, "health: %s: a name reserved for examples and tests "
                "(RFC 2606, 6761): not checked", e->label);
    }
    e->interval = cs->eff.interval;
    e->timeout = cs->eff.timeout;
    e->fall = (int)cs->eff.fall;
    e->rise = (int)cs->eff.rise;
    e->since = h->s->clock();
    e->latency_ms = -1;
    if (h->s->base) {
        e->timer = evtimer_new(h->s->base, on_timer, e);
        if (!e->timer) {
            entry_free(e);
            return NULL;
        }
    }
    return e;
}

/* Arm e's timer for its next check (edd_hstate_next_ms: jittered). */
static void schedule(entry *e, bool first)
{
    if (!e->enabled || !e->timer)
        return;
    uint64_t r = 0;
    evutil_secure_rng_get_bytes(&r, sizeof r);
    int64_t ms = edd_hstate_next_ms(e->interval, first, r);
    struct timeval tv = { (time_t)(ms / 1000), (suseconds_t)(ms % 1000) * 1000 };
    evtimer_add(e->timer, &tv);
}

/* ---- the served set ---- */

/* The scopes of bits as "network a, network b, no network" (at most
 * len bytes, cut with "...").  Names come from the checked configuration. */
static void scope_names(const edd_config *cfg, uint64_t bits, char *out, size_t len)
{
    size_t o = 0;
    out[0] = '\0';
    for (unsigned k = 0; k <= cfg->nnetworks && k < 64; k++) {
        uint64_t b = k == cfg->nnetworks ? EDD_NETSCOPE_NONE : UINT64_C(1) << k;
        if (!(bits & b))
            continue;
        int w = k == cfg->nnetworks
                    ? snprintf(out + o, len - o, "%sno network", o ? ", " : "")
                    : snprintf(out + o, len - o, "%snetwork %s", o ? ", " : "",
                               cfg->networks[k].name);
        if (w < 0 || (size_t)w >= len - o) {
            if (len > 4)
                memcpy(out + len - 4, "...", 4);
            return;
        }
        o += (size_t)w;
    }
}

/* Log fail-open transitions once per type and change (the type's first
 * entry says it), judged on the entries' flags of before this change: the
 * classic line when the whole type fails open (or stops), else which
 * networks' clients it fails open for. */
static void log_failopen(const edd_health *h, const uint64_t *fo)
{
    const edd_config *cfg = h->s->cfg;
    for (size_t i = 0; i < h->n; i++) {
        const entry *e = h->e[i];
        if (e->tid != i)
            continue; /* not the first of its type */
        uint64_t was = 0, now = 0, all = 0;
        for (size_t k = i; k < h->n; k++) {
            if (h->e[k]->tid != e->tid)
                continue;
            was |= h->e[k]->fo;
            now |= fo[k];
            all |= edd_health_scopes(edd_registry_masks(h->s->reg)[h->e[k]->idx],
                                     cfg->nnetworks);
        }
        if (was == now)
            continue;
        char names[512];
        uint64_t began = now & ~was, ended = was & ~now;
        if (began && was == 0 && now == all)
            edd_log(EDD_LOG_ERROR, "health: every %s service is down; "
                    "announcing all of them anyway (fail open)", e->type);
        else if (began) {
            scope_names(cfg, began, names, sizeof names);
            edd_log(EDD_LOG_ERROR, "health: every %s service offered to %s is down; "
                    "announcing those anyway there (fail open)", e->type, names);
        }
        if (ended && now == 0 && was == all)
            edd_log(EDD_LOG_INFO, "health: %s services no longer all down: "
                    "fail open ends", e->type);
        else if (ended) {
            scope_names(cfg, ended, names, sizeof names);
            edd_log(EDD_LOG_INFO, "health: %s services offered to %s no longer all "
                    "down: fail open ends there", e->type, names);
        }
    }
}

static edd_hrank rank_of(const entry *e)
{
    if (e->st.state == EDD_HEALTH_DOWN)
        return EDD_HRANK_DOWN;
    if (e->checks && !e->last_ok)
        return EDD_HRANK_FAILING;
    if (e->st.state == EDD_HEALTH_UP && e->last_ok && e->latency_ms >= 0)
        return EDD_HRANK_MEASURED;
    return EDD_HRANK_UNMEASURED;
}

/* Recompute which services are served, to whom and in what order; push
 * the difference when the set changed (push true; an order change alone
 * is no XEP-0215 change and pushes nothing) and log fail-open
 * transitions once. */
static void recompute(edd_health *h, bool push)
{
    size_t nd;
    const ed_service_def *defs = edd_registry_defs(h->s->reg, &nd);
    const uint64_t *masks = edd_registry_masks(h->s->reg);
    if (nd != h->n)
        return; /* not built for this registry (out of memory): all served */
    size_t n1 = h->n + 1;
    edd_health_state *st = calloc(n1, sizeof *st);
    unsigned *tids = calloc(n1, sizeof *tids);
    uint64_t *m = calloc(n1, sizeof *m), *sm = calloc(n1, sizeof *sm), *fo = calloc(n1, sizeof *fo);
    bool *served = calloc(n1, sizeof *served);
    edd_hrank *rank = calloc(n1, sizeof *rank);
    long *lat = calloc(n1, sizeof *lat);
    size_t *order = calloc(n1, sizeof *order);
    ed_service_def *nw = calloc(n1, sizeof *nw);
    uint64_t *nwm = calloc(n1, sizeof *nwm);
    size_t *nwi = calloc(n1, sizeof *nwi);
    if (!st || !tids || !m || !sm || !fo || !served || !rank || !lat || !order || !nw ||
        !nwm || !nwi) {
        edd_log_error("health: out of memory");
        goto fail;
    }
    for (size_t i = 0; i < h->n; i++) {
        const entry *e = h->e[i];
        st[i] = e->st.state;
        tids[i] = e->tid;
        m[i] = masks[e->idx];
        rank[i] = rank_of(e);
        lat[i] = e->latency_ms;
    }
    edd_health_compute_served(h->n, st, tids, m, h->s->cfg->nnetworks, served, sm, fo);
    log_failopen(h, fo);
    if (h->s->cfg->check.order_by_latency)
        edd_health_order(h->n, tids, rank, lat, order);
    else
        for (size_t i = 0; i < h->n; i++)
            order[i] = i;
    bool changed = !h->served; /* who gets what */
    size_t nn = 0;
    for (size_t p = 0; p < h->n; p++) {
        size_t i = order[p];
        entry *e = h->e[i];
        if (served[i] != e->served || (served[i] && sm[i] != e->served_mask))
            changed = true;
        e->fo = fo[i];
        e->served = served[i];
        e->served_mask = sm[i];
        if (served[i]) {
            nwi[nn] = i;
            nwm[nn] = sm[i];
            nw[nn++] = defs[e->idx];
        }
    }
    bool reordered = nn != h->nserved ||
                     (nn && h->served_idx && memcmp(nwi, h->served_idx, nn * sizeof *nwi) != 0);
    if (!changed && !reordered)
        goto fail; /* nothing new: the arrays just made go */
    ed_service_def *old = h->served;
    uint64_t *oldm = h->served_masks;
    size_t no = h->nserved;
    free(h->served_idx);
    h->served = nw;
    h->served_masks = nwm;
    h->served_idx = nwi;
    h->nserved = nn;
    nw = NULL;
    nwm = NULL;
    nwi = NULL;
    if (changed && push && old) {
        /* each requester's push covers its own networks' services */
        size_t sent = edd_server_push_served(h->s, old, oldm, no);
        edd_log(EDD_LOG_INFO, "health: %zu of %zu services served, %zu pushes sent", nn,
                h->n, sent);
    } else if (!changed && old) {
        edd_log_debug("health: reply order by check latency changed (no push)");
    }
    free(old);
    free(oldm);
fail:
    free(nw);
    free(nwm);
    free(nwi);
    free(st);
    free(tids);
    free(m);
    free(sm);
    free(fo);
    free(served);
    free(rank);
    free(lat);
    free(order);
}

/* ---- checks ---- */

static void on_done(void *arg, const ed_check_result *r)
{
    entry *e = arg;
    edd_health *h = e->h;
    e->probe = NULL;
    struct timespec now;
    clock_gettime(CLOCK_MONOTONIC, &now);
    int64_t ns = (int64_t)(now.tv_sec - e->started.tv_sec) * 1000000000 +
                 (now.tv_nsec - e->started.tv_nsec);
    edd_histogram_add_check(&e->duration, ns > 0 ? (uint64_t)ns : 0);
    e->checks++;
    e->last_check = h->s->clock();
    long lat_before = e->latency_ms;
    bool ok_before = e->last_ok;
    e->last_ok = r->ok;
    if (r->ok) {
        e->latency_ms = r->rtt_ms;
    } else {
        e->failures++;
        if (r->error_code)
            snprintf(e->reason, sizeof e->reason, "%s: error %d: %s", r->step,
                     r->error_code, r->error_reason);
        else
            snprintf(e->reason, sizeof e->reason, "%s: %s", r->step, r->error_reason);
    }
    /* where the probe went (tests check that it is a configured address) */
    edd_log_debug("health: %s checked at %s: %s%s%s", e->label,
                  r->server[0] ? r->server : "(no address)", r->ok ? "ok" : "failed",
                  r->ok ? "" : ": ", r->ok ? "" : e->reason);
    edd_health_state before = e->st.state;
    bool changed = edd_hstate_step(&e->st, r->ok, e->fall, e->rise);
    if (changed) {
        e->changes++;
        e->since = e->last_check;
        /* bounded: at most one line per service and check interval */
        if (r->ok)
            edd_log(EDD_LOG_INFO, "health: %s %s: %s ok in %ld ms (%d of %d)", e->label,
                    edd_health_state_name(e->st.state), e->is_turn ? "allocate" : "binding",
                    r->rtt_ms, e->st.oks, before == EDD_HEALTH_UNKNOWN ? 1 : e->rise);
        else
            edd_log(EDD_LOG_WARN, "health: %s down: %s (%d of %d)", e->label, e->reason,
                    e->st.fails, e->fall);
        recompute(h, true);
    } else {
        if (!r->ok)
            edd_log_debug("health: %s check failed: %s (%d of %d)", e->label, e->reason,
                          e->st.fails, e->fall);
        /* the order by latency follows every result, computed here once
         * rather than on each request */
        if (h->s->cfg->check.order_by_latency &&
            (e->latency_ms != lat_before || e->last_ok != ok_before || e->checks == 1))
            recompute(h, true);
    }
    schedule(e, false);
}

static void on_timer(evutil_socket_t fd, short what, void *arg)
{
    entry *e = arg;
    edd_health *h = e->h;
    if (e->probe) { /* still running: its own deadline ends it */
        schedule(e, false);
        return;
    }
    size_t nd;
    const ed_service_def *defs = edd_registry_defs(h->s->reg, &nd);
    if (e->idx >= nd)
        return;
    const ed_service_def *d = &defs[e->idx];
    ed_turn_cred cred;
    const char *user = NULL, *pass = NULL;
    if (e->is_turn && d->rest) {
        /* credentials extdiscod mints for itself (user: the first domain) */
        const char *who = h->s->cfg->ndomains ? h->s->cfg->domains[0] : NULL;
        if (ed_turn_rest_mint(d->rest, who, h->s->clock(), &cred) != ED_OK) {
            edd_log_error("health: %s: cannot mint credentials", e->label);
            schedule(e, false);
            return;
        }
        user = cred.username;
        pass = cred.password;
    } else if (e->is_turn) {
        user = d->svc.username;
        pass = d->svc.password;
    }
    edd_hprobe_spec spec = {
        .host = e->host, .port = e->port, .transport = e->tr,
        .username = user, .password = pass, .timeout_ms = (int)(e->timeout * 1000),
    };
    clock_gettime(CLOCK_MONOTONIC, &e->started);
    e->probe = edd_hprobe_start(h->s->base, h->dns, h->tls, &spec, on_done, e);
    if (user == cred.username)
        explicit_bzero(&cred, sizeof cred);
    if (!e->probe) {
        edd_log_error("health: %s: cannot start a check (out of memory)", e->label);
        schedule(e, false);
    }
}

/* ---- lifecycle ---- */

static bool same_str(const char *a, const char *b)
{
    return (!a && !b) || (a && b && strcmp(a, b) == 0);
}

/* (Re)build the entries from s->cfg / s->reg, taking over old entries
 * whose fingerprint matches. */
static bool build(edd_health *h)
{
    const edd_config *cfg = h->s->cfg;
    entry **nw = calloc(cfg->nservices + 1, sizeof *nw);
    if (!nw)
        return false;
    bool ok = true;
    for (unsigned i = 0; i < cfg->nservices; i++) {
        const edd_cfg_service *cs = &cfg->services[i];
        unsigned char fp[FP_LEN];
        fingerprint(cfg, cs, fp);
        for (size_t k = 0; k < h->n; k++) {
            if (h->e[k] && memcmp(h->e[k]->fp, fp, FP_LEN) == 0) {
                nw[i] = h->e[k];
                h->e[k] = NULL;
                nw[i]->idx = i;
                break;
            }
        }
        if (!nw[i]) {
            if (!(nw[i] = entry_new(h, cs, i))) {
                ok = false;
                break;
            }
            memcpy(nw[i]->fp, fp, FP_LEN);
            schedule(nw[i], true);
        }
    }
    for (size_t k = 0; k < h->n; k++)
        entry_free(h->e[k]);
    free(h->e);
    h->e = nw;
    h->n = ok ? cfg->nservices : 0;
    if (!ok) {
        for (unsigned i = 0; i < cfg->nservices; i++)
            entry_free(nw[i]);
        return false;
    }
    /* each type as the index of its first entry (bounded: at most
     * EDD_CONFIG_MAX_LIST services) */
    for (size_t i = 0; i < h->n; i++) {
        size_t k = 0;
        while (k < i && strcmp(nw[k]->type, nw[i]->type) != 0)
            k++;
        nw[i]->tid = (unsigned)k;
    }
    return true;
}

static bool tls_setup(edd_health *h)
{
    const char *ca = h->s->cfg->check.ca_file;
    if (h->tls && same_str(ca, h->ca_file))
        return true;
    char why[256];
    SSL_CTX *ctx = edd_hprobe_tls_ctx(ca, why, sizeof why);
    if (!ctx) {
        edd_log_error("health: %s: stuns/turns checks will fail", why);
        return false;
    }
    SSL_CTX_free(h->tls); /* probes in flight hold their own reference */
    free(h->ca_file);
    h->tls = ctx;
    h->ca_file = ca ? strdup(ca) : NULL;
    return true;
}

edd_health *edd_health_new(edd_server *s)
{
    edd_health *h = calloc(1, sizeof *h);
    if (!h)
        return NULL;
    h->s = s;
    if (s->base) {
        h->dns = evdns_base_new(s->base, EVDNS_BASE_INITIALIZE_NAMESERVERS |
                                         EVDNS_BASE_DISABLE_WHEN_INACTIVE);
        if (!h->dns) /* no resolv.conf: names then fail, IP literals work */
            h->dns = evdns_base_new(s->base, EVDNS_BASE_DISABLE_WHEN_INACTIVE);
        if (h->dns)
            evdns_base_load_hosts(h->dns, NULL);
    }
    tls_setup(h);
    if (!build(h)) {
        edd_health_free(h);
        return NULL;
    }
    recompute(h, false);
    size_t on = 0;
    for (size_t i = 0; i < h->n; i++)
        on += h->e[i]->enabled;
    edd_log(EDD_LOG_INFO, "health: checking %zu of %zu services", on, h->n);
    return h;
}

bool edd_health_apply(edd_health *h)
{
    if (!h)
        return true;
    tls_setup(h);
    /* the served set pointed into the old registry: rebuilt below */
    free(h->served);
    free(h->served_masks);
    free(h->served_idx);
    h->served = NULL;
    h->served_masks = NULL;
    h->served_idx = NULL;
    h->nserved = 0;
    bool ok = build(h);
    recompute(h, false);
    return ok;
}

void edd_health_free(edd_health *h)
{
    if (!h)
        return;
    for (size_t i = 0; i < h->n; i++)
        entry_free(h->e[i]);
    free(h->e);
    free(h->served);
    free(h->served_masks);
    free(h->served_idx);
    if (h->dns)
        evdns_base_free(h->dns, 0);
    SSL_CTX_free(h->tls);
    free(h->ca_file);
    free(h);
}

const ed_service_def *edd_health_served(const edd_health *h, size_t *n)
{
    if (!h || !h->served) {
        if (n)
            *n = 0;
        return NULL;
    }
    *n = h->nserved;
    return h->served;
}

const uint64_t *edd_health_served_masks(const edd_health *h)
{
    return h && h->served ? h->served_masks : NULL;
}

static void fill_info(const entry *e, edd_health_info *in)
{
    memset(in, 0, sizeof *in);
    in->type = e->type;
    in->host = e->host;
    in->transport = e->transport;
    in->port = e->port;
    in->enabled = e->enabled;
    in->state = e->st.state;
    in->served = e->served;
    in->since = e->since;
    in->last_check = e->last_check;
    in->latency_ms = e->latency_ms;
    in->last_reason = e->reason;
    in->checks = e->checks;
    in->failures = e->failures;
    in->changes = e->changes;
    in->interval = e->interval;
    in->check_duration = &e->duration;
}

void edd_health_foreach(const edd_health *h, edd_health_cb cb, void *arg)
{
    if (!h || !cb)
        return;
    for (size_t i = 0; i < h->n; i++) {
        edd_health_info in;
        fill_info(h->e[i], &in);
        in.reply_position = -1;
        for (size_t p = 0; h->served && h->served_idx && p < h->nserved; p++)
            if (h->served_idx[p] == i)
                in.reply_position = (long)p;
        cb(&in, arg);
    }
}

static void dump_one(const edd_health_info *in, void *arg)
{
    (void)arg;
    edd_log(EDD_LOG_INFO,
            "health: %s %s %s:%d %s%s%s since %" PRId64 " last_check %" PRId64
            " latency_ms %ld checks %" PRIu64 " failures %" PRIu64 " changes %" PRIu64
            "%s%s", in->type, in->transport ? in->transport : "-", in->host, in->port,
            in->enabled ? edd_health_state_name(in->state) : "unchecked",
            in->state == EDD_HEALTH_DOWN && in->served ? " (served: fail open)" : "",
            in->served ? "" : " (not served)", in->since, in->last_check, in->latency_ms,
            in->checks, in->failures, in->changes, in->last_reason[0] ? " last_reason " : "",
            in->last_reason);
}

void edd_health_dump(const edd_health *h)
{
    edd_health_foreach(h, dump_one, NULL);
}
