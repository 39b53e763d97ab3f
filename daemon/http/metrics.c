/* daemon/http/metrics.c — GET /metrics: the Prometheus text exposition
 * format (version 0.0.4) of core/metrics.h's counters, the gauges the roles
 * hold (connections, links, readiness), service health from the registered
 * provider, and the standard process_* metrics from /proc/self.
 *
 * Every label value comes from a bounded set: the enums of metrics.h, the
 * configuration's turn_secrets and turn_providers names, component servers
 * (host:port) and service hosts.  Never a JID, a username, a secret, or a
 * provider's URL or key. */
#include <dirent.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <unistd.h>

#include <event2/buffer.h>
#include <event2/http.h>

#include "c2s/c2s.h"
#include "component/component.h"
#include "core/metrics.h"
#include "http/http.h"
#include "providers/providers.h"

/* A label value: \\, " and newline escaped. */
/* Append a string literal. */
#define ADDS(b, lit) evbuffer_add((b), (lit), sizeof(lit) - 1)

static void label(struct evbuffer *b, const char *v)
{
    for (const char *p = v ? v : ""; *p; p++) {
        if (*p == '\\')
            ADDS(b, "\\\\");
        else if (*p == '"')
            ADDS(b, "\\\"");
        else if (*p == '\n')
            ADDS(b, "\\n");
        else
            evbuffer_add(b, p, 1);
    }
}

static void family(struct evbuffer *b, const char *name, const char *type, const char *help)
{
    evbuffer_add_printf(b, "# HELP %s %s\n# TYPE %s %s\n", name, help, name, type);
}

static void histogram(struct evbuffer *b, const char *name, const char *labels,
                      const edd_histogram *h, const uint64_t *bounds)
{
    uint64_t cum = 0;
    for (unsigned i = 0; i < EDD_M_DURATION_BOUNDS; i++) {
        cum += h->bucket[i];
        evbuffer_add_printf(b, "%s_bucket{%s%sle=\"%g\"} %" PRIu64 "\n", name, labels,
                            *labels ? "," : "", (double)bounds[i] / 1e9, cum);
    }
    cum += h->bucket[EDD_M_DURATION_BOUNDS];
    evbuffer_add_printf(b, "%s_bucket{%s%sle=\"+Inf\"} %" PRIu64 "\n", name, labels,
                        *labels ? "," : "", cum);
    evbuffer_add_printf(b, "%s_sum{%s} %.9f\n", name, labels, (double)h->sum_ns / 1e9);
    evbuffer_add_printf(b, "%s_count{%s} %" PRIu64 "\n", name, labels, h->count);
}

static void requests(struct evbuffer *b)
{
    const edd_metrics *m = &edd_metrics_g;
    family(b, "extdisco_requests_total", "counter",
           "IQ requests answered, by protocol and outcome (result or the error condition).");
    for (unsigned p = 0; p < EDD_MP_N; p++)
        for (unsigned o = 0; o < EDD_MO_N; o++)
            evbuffer_add_printf(b, "extdisco_requests_total{protocol=\"%s\",outcome=\"%s\"} %" PRIu64
                                "\n", edd_m_proto_name(p), edd_m_outcome_name(o), m->requests[p][o]);
    family(b, "extdisco_request_duration_seconds", "histogram",
           "Time to handle one IQ request (parse to reply stanza), by protocol.");
    for (unsigned p = 0; p < EDD_MP_N; p++) {
        char l[64];
        snprintf(l, sizeof l, "protocol=\"%s\"", edd_m_proto_name(p));
        histogram(b, "extdisco_request_duration_seconds", l, &m->duration[p],
                  edd_m_duration_bounds_ns);
    }
}

static void minted(struct evbuffer *b, const edd_server *s)
{
    /* rows from the start (n = 0), and the mints counted by index */
    for (unsigned i = 0; i < s->cfg->nturn_secrets; i++)
        edd_m_minted_add(s->cfg->turn_secrets[i].name, s->cfg->turn_secrets[i].algorithm, 0);
    edd_m_minted_fold(s->cfg->turn_secrets, s->cfg->nturn_secrets);
    family(b, "extdisco_credentials_minted_total", "counter",
           "TURN REST credentials minted into replies, by turn_secrets entry and HMAC algorithm.");
    const edd_m_minted *t = edd_metrics_g.minted;
    for (unsigned i = 0; i <= EDD_M_MAX_SECRET_SETS; i++) {
        if (i < EDD_M_MAX_SECRET_SETS && !t[i].name[0])
            continue;
        if (i == EDD_M_MAX_SECRET_SETS && t[i].n == 0)
            continue;
        ADDS(b, "extdisco_credentials_minted_total{secret_set=\"");
        label(b, i < EDD_M_MAX_SECRET_SETS ? t[i].name : "other");
        evbuffer_add_printf(b, "\",algorithm=\"%s\"} %" PRIu64 "\n",
                            i == EDD_M_MAX_SECRET_SETS ? "other"
                            : t[i].alg == ED_HMAC_SHA256 ? "sha256" : "sha1", t[i].n);
    }
}

static void pushes(struct evbuffer *b, const edd_server *s)
{
    const edd_metrics *m = &edd_metrics_g;
    family(b, "extdisco_pushes_total", "counter", "XEP-0215 push stanzas sent after reloads.");
    evbuffer_add_printf(b, "extdisco_pushes_total %" PRIu64 "\n", m->pushes);
    family(b, "extdisco_push_services_total", "counter",
           "Services carried by pushes, by action.");
    for (unsigned a = 0; a < EDD_MPA_N; a++)
        evbuffer_add_printf(b, "extdisco_push_services_total{action=\"%s\"} %" PRIu64 "\n",
                            edd_m_push_action_name(a), m->push_changes[a]);
    size_t online = 0, n = s->pushes ? edd_pushes_count(s->pushes, &online) : 0;
    family(b, "extdisco_push_requesters", "gauge",
           "Requesters remembered for pushes, and how many of them are online.");
    evbuffer_add_printf(b, "extdisco_push_requesters{state=\"all\"} %zu\n", n);
    evbuffer_add_printf(b, "extdisco_push_requesters{state=\"online\"} %zu\n", online);
}

static void c2s(struct evbuffer *b, const edd_server *s)
{
    const edd_metrics *m = &edd_metrics_g;
    edd_c2s_info ci;
    edd_c2s_info_get(s->c2s, &ci);
    family(b, "extdisco_c2s_connections", "gauge",
           "Open client connections of the standalone server, by transport (tcp: RFC 6120, "
           "websocket: RFC 7395) and TLS.");
    evbuffer_add_printf(b, "extdisco_c2s_connections{transport=\"tcp\",tls=\"no\"} %zu\n",
                        ci.plain - ci.ws_plain);
    evbuffer_add_printf(b, "extdisco_c2s_connections{transport=\"tcp\",tls=\"yes\"} %zu\n",
                        ci.tls - ci.ws_tls);
    evbuffer_add_printf(b, "extdisco_c2s_connections{transport=\"websocket\",tls=\"no\"} %zu\n",
                        ci.ws_plain);
    evbuffer_add_printf(b, "extdisco_c2s_connections{transport=\"websocket\",tls=\"yes\"} %zu\n",
                        ci.ws_tls);
    family(b, "extdisco_c2s_sessions_bound", "gauge", "Client connections with a bound resource.");
    evbuffer_add_printf(b, "extdisco_c2s_sessions_bound %zu\n", ci.bound);
    family(b, "extdisco_c2s_listeners", "gauge", "Client listeners open, and configured.");
    evbuffer_add_printf(b, "extdisco_c2s_listeners{state=\"open\"} %zu\n", ci.listeners);
    evbuffer_add_printf(b, "extdisco_c2s_listeners{state=\"configured\"} %zu\n", ci.configured);
    family(b, "extdisco_c2s_logins_total", "counter", "SASL logins, by result.");
    evbuffer_add_printf(b, "extdisco_c2s_logins_total{result=\"ok\"} %" PRIu64 "\n", m->logins_ok);
    evbuffer_add_printf(b, "extdisco_c2s_logins_total{result=\"failed\"} %" PRIu64 "\n",
                        m->logins_failed);
    family(b, "extdisco_c2s_logins_throttled_total", "counter",
           "Login attempts refused because the client address is throttled after failures.");
    evbuffer_add_printf(b, "extdisco_c2s_logins_throttled_total %" PRIu64 "\n", m->logins_throttled);
    family(b, "extdisco_c2s_throttled_addresses", "gauge",
           "Client addresses locked out of logins now after failed attempts.");
    evbuffer_add_printf(b, "extdisco_c2s_throttled_addresses %zu\n", ci.throttled);
}

typedef struct link_ctx {
    struct evbuffer *b;
    int what;
} link_ctx;

static void link_labels(struct evbuffer *b, const edd_link_info *li)
{
    evbuffer_add_printf(b, "{link=\"%u\",server=\"", li->index);
    label(b, li->host);
    evbuffer_add_printf(b, ":%d\"", li->port);
}

static void link_row(void *ud, const edd_link_info *li)
{
    link_ctx *c = ud;
    struct evbuffer *b = c->b;
    switch (c->what) {
    case 0:
        ADDS(b, "extdisco_component_link_up");
        link_labels(b, li);
        evbuffer_add_printf(b, "} %d\n", li->up ? 1 : 0);
        break;
    case 1:
        ADDS(b, "extdisco_component_link_connects_total");
        link_labels(b, li);
        evbuffer_add_printf(b, "} %" PRIu64 "\n", li->connects);
        break;
    case 2:
        ADDS(b, "extdisco_component_link_reconnects_total");
        link_labels(b, li);
        evbuffer_add_printf(b, "} %" PRIu64 "\n", li->connects > 0 ? li->connects - 1 : 0);
        break;
    default:
        for (unsigned k = 0; k < 2; k++) {
            ADDS(b, "extdisco_component_delegation_active");
            link_labels(b, li);
            evbuffer_add_printf(b, ",namespace=\"%s\"} %d\n",
                                k == 0 ? ED_NS_EXTDISCO2 : ED_NS_EXTDISCO1,
                                (li->deleg_ns & (k == 0 ? EDD_LINK_NS_EXTDISCO2
                                                        : EDD_LINK_NS_EXTDISCO1)) ? 1 : 0);
        }
    }
}

static void links(struct evbuffer *b, const edd_server *s)
{
    link_ctx c = {b, 0};
    family(b, "extdisco_component_links", "gauge", "Component links configured.");
    evbuffer_add_printf(b, "extdisco_component_links %u\n", s->cfg->ncomponents);
    family(b, "extdisco_component_link_up", "gauge",
           "1 when the XEP-0114 link is authenticated, by configuration index and host server.");
    edd_component_foreach(s->components, link_row, &c);
    c.what = 1;
    family(b, "extdisco_component_link_connects_total", "counter",
           "Successful handshakes of the link.");
    edd_component_foreach(s->components, link_row, &c);
    c.what = 2;
    family(b, "extdisco_component_link_reconnects_total", "counter",
           "Handshakes of the link after its first one.");
    edd_component_foreach(s->components, link_row, &c);
    c.what = 3;
    family(b, "extdisco_component_delegation_active", "gauge",
           "1 when the host server delegates the namespace to the link (XEP-0355) since it came up.");
    edd_component_foreach(s->components, link_row, &c);
}

typedef struct health_ctx {
    struct evbuffer *b;
    int what;
} health_ctx;

/* The labels of a health row, without the braces. */
static void health_labels(struct evbuffer *b, const edd_health_row *r)
{
    ADDS(b, "type=\"");
    label(b, r->type);
    ADDS(b, "\",host=\"");
    label(b, r->host);
    evbuffer_add_printf(b, "\",port=\"%d\",transport=\"", r->port);
    label(b, r->transport ? r->transport : "");
    ADDS(b, "\"");
}

static void health_row(void *ud, const edd_health_row *r)
{
    health_ctx *c = ud;
    if (c->what == 0) {
        if (r->up < 0)
            return; /* not checked yet: no sample */
        ADDS(c->b, "extdisco_service_up{");
        health_labels(c->b, r);
        evbuffer_add_printf(c->b, "} %d\n", r->up);
    } else if (c->what == 1) {
        ADDS(c->b, "extdisco_service_state_changes_total{");
        health_labels(c->b, r);
        evbuffer_add_printf(c->b, "} %" PRIu64 "\n", r->state_changes);
    } else if (r->check_duration) {
        struct evbuffer *l = evbuffer_new();
        if (!l)
            return;
        health_labels(l, r);
        evbuffer_add(l, "", 1); /* NUL-terminated for histogram() */
        const char *txt = (const char *)evbuffer_pullup(l, -1);
        if (txt)
            histogram(c->b, "extdisco_service_check_duration_seconds", txt, r->check_duration,
                      edd_m_check_bounds_ns);
        evbuffer_free(l);
    }
}

static void health(struct evbuffer *b)
{
    health_ctx c = {b, 0};
    if (!edd_metrics_has_health_provider())
        return;
    family(b, "extdisco_service_up", "gauge",
           "1 when the health check of the configured STUN/TURN service passes.");
    edd_metrics_health_foreach(health_row, &c);
    c.what = 1;
    family(b, "extdisco_service_state_changes_total", "counter",
           "Up/down changes of the service's health.");
    edd_metrics_health_foreach(health_row, &c);
    c.what = 2;
    family(b, "extdisco_service_check_duration_seconds", "histogram",
           "Time one health check of the service took.");
    edd_metrics_health_foreach(health_row, &c);
}

/* ---- HTTP credential providers (daemon/providers/): one row per
 * provider, labelled with its configured name only ---- */

typedef struct prov_ctx {
    struct evbuffer *b;
    int what;
    int64_t now;
} prov_ctx;

static void prov_row(const edd_provider_info *in, void *arg)
{
    prov_ctx *c = arg;
    struct evbuffer *b = c->b;
    if (c->what == 0) {
        for (unsigned r = 0; r < EDD_PROV_R_N; r++) {
            ADDS(b, "extdisco_provider_fetches_total{provider=\"");
            label(b, in->name);
            evbuffer_add_printf(b, "\",result=\"%s\"} %" PRIu64 "\n", edd_prov_result_name(r),
                                in->fetches[r]);
        }
        return;
    }
    if (c->what == 2 && !in->have)
        return; /* no age without a cached result */
    static const char *const names[] = {
        NULL, "extdisco_provider_last_success_timestamp_seconds",
        "extdisco_provider_cache_age_seconds", "extdisco_provider_cache_expiry_seconds",
        "extdisco_provider_services", "extdisco_provider_consecutive_failures",
        "extdisco_provider_backoff_seconds",
    };
    int64_t v = 0;
    switch (c->what) {
    case 1: v = in->last_success; break;
    case 2: v = c->now - in->fetched; break;
    case 3: v = in->have && in->served_until > c->now ? in->served_until - c->now : 0; break;
    case 4: v = (int64_t)in->services; break;
    case 5: v = in->failures; break;
    default: v = in->retry_in; break;
    }
    evbuffer_add_printf(b, "%s{provider=\"", names[c->what]);
    label(b, in->name);
    evbuffer_add_printf(b, "\"} %" PRId64 "\n", v < 0 ? 0 : v);
}

static void providers(struct evbuffer *b, const edd_server *s)
{
    if (!s->prov || !s->cfg->nturn_providers)
        return;
    static const char *const fam[][3] = {
        { "extdisco_provider_fetches_total", "counter",
          "Fetches of an HTTP credential provider (turn_providers), by result." },
        { "extdisco_provider_last_success_timestamp_seconds", "gauge",
          "Unix time of the provider's last successful fetch; 0 when none yet." },
        { "extdisco_provider_cache_age_seconds", "gauge",
          "Age of the provider's cached result (absent without one)." },
        { "extdisco_provider_cache_expiry_seconds", "gauge",
          "Seconds until the provider's cached result stops being served; 0 without one." },
        { "extdisco_provider_services", "gauge", "Services the provider offers now." },
        { "extdisco_provider_consecutive_failures", "gauge",
          "Failed fetches of the provider in a row (0 after a success)." },
        { "extdisco_provider_backoff_seconds", "gauge",
          "The delay before the provider's next retry while it fails (backoff); 0 when not failing." },
    };
    prov_ctx c = { b, 0, s->clock ? s->clock() : 0 };
    for (int w = 0; w < (int)(sizeof fam / sizeof *fam); w++) {
        family(b, fam[w][0], fam[w][1], fam[w][2]);
        c.what = w;
        edd_providers_foreach(s->prov, prov_row, &c);
    }
}

static void config_and_http(struct evbuffer *b, const edd_server *s)
{
    const edd_metrics *m = &edd_metrics_g;
    family(b, "extdisco_config_reloads_total", "counter", "Configuration reloads (SIGHUP), by result.");
    evbuffer_add_printf(b, "extdisco_config_reloads_total{result=\"ok\"} %" PRIu64 "\n", m->reloads_ok);
    evbuffer_add_printf(b, "extdisco_config_reloads_total{result=\"failed\"} %" PRIu64 "\n",
                        m->reloads_failed);
    family(b, "extdisco_config_last_reload_successful", "gauge",
           "1 when the last load of the configuration succeeded.");
    evbuffer_add_printf(b, "extdisco_config_last_reload_successful %d\n", m->last_reload_ok ? 1 : 0);
    family(b, "extdisco_config_last_load_timestamp_seconds", "gauge",
           "Unix time the running configuration was loaded.");
    evbuffer_add_printf(b, "extdisco_config_last_load_timestamp_seconds %.3f\n", m->config_loaded);
    family(b, "extdisco_services_configured", "gauge", "Services in the running configuration.");
    evbuffer_add_printf(b, "extdisco_services_configured %u\n", s->cfg->nservices);
    family(b, "extdisco_ready", "gauge", "1 when /ready answers 200.");
    evbuffer_add_printf(b, "extdisco_ready %d\n", edd_http_is_ready(s, NULL, 0) ? 1 : 0);
    family(b, "extdisco_http_requests_total", "counter", "HTTP requests answered, by status class.");
    for (unsigned c = 2; c <= 5; c++)
        evbuffer_add_printf(b, "extdisco_http_requests_total{code=\"%uxx\"} %" PRIu64 "\n", c,
                            m->http_requests[c]);
    family(b, "extdisco_http_connections", "gauge", "Open HTTP connections.");
    evbuffer_add_printf(b, "extdisco_http_connections %zu\n", edd_http_connections(s->http));
    family(b, "extdisco_http_connections_cut_total", "counter",
           "HTTP connections shut down at http.timeout without a complete request.");
    evbuffer_add_printf(b, "extdisco_http_connections_cut_total %" PRIu64 "\n", m->http_cut);
    family(b, "extdisco_http_connection_limit_reached_total", "counter",
           "Times http.max_connections was reached (accepting paused).");
    evbuffer_add_printf(b, "extdisco_http_connection_limit_reached_total %" PRIu64 "\n",
                        m->http_refused);
    family(b, "extdisco_build_info", "gauge", "The running version.");
    evbuffer_add_printf(b, "extdisco_build_info{version=\"%s\"} 1\n", ED_VERSION);
}

/* The standard process metrics (what Prometheus client libraries export). */
static void process(struct evbuffer *b)
{
    long tick = sysconf(_SC_CLK_TCK), page = sysconf(_SC_PAGESIZE);
    char buf[1024];
    FILE *f = fopen("/proc/self/stat", "re");
    size_t n = f ? fread(buf, 1, sizeof buf - 1, f) : 0;
    if (f)
        fclose(f);
    buf[n] = '\0';
    /* fields after the command (which may hold spaces) start after ") " */
    char *p = strrchr(buf, ')');
    unsigned long long ut = 0, st = 0, start = 0, vsize = 0;
    long long rss = 0;
    if (p && tick > 0 &&
        sscanf(p + 2, "%*c %*d %*d %*d %*d %*d %*u %*u %*u %*u %*u %llu %llu %*d %*d %*d %*d "
                      "%*d %*d %llu %llu %lld", &ut, &st, &start, &vsize, &rss) == 5) {
        family(b, "process_cpu_seconds_total", "counter", "Total user and system CPU time spent in seconds.");
        evbuffer_add_printf(b, "process_cpu_seconds_total %.2f\n", (double)(ut + st) / (double)tick);
        family(b, "process_resident_memory_bytes", "gauge", "Resident memory size in bytes.");
        evbuffer_add_printf(b, "process_resident_memory_bytes %lld\n", rss * (long long)page);
        family(b, "process_virtual_memory_bytes", "gauge", "Virtual memory size in bytes.");
        evbuffer_add_printf(b, "process_virtual_memory_bytes %llu\n", vsize);
    }
    family(b, "process_start_time_seconds", "gauge",
           "Start time of the process since unix epoch in seconds.");
    evbuffer_add_printf(b, "process_start_time_seconds %.2f\n", edd_metrics_g.start_time);
    DIR *d = opendir("/proc/self/fd");
    if (d) {
        long fds = -1; /* the directory's own descriptor */
        for (struct dirent *e; (e = readdir(d));)
            if (e->d_name[0] != '.')
                fds++;
        closedir(d);
        family(b, "process_open_fds", "gauge", "Number of open file descriptors.");
        evbuffer_add_printf(b, "process_open_fds %ld\n", fds);
    }
    struct rlimit rl;
    if (getrlimit(RLIMIT_NOFILE, &rl) == 0) {
        family(b, "process_max_fds", "gauge", "Maximum number of open file descriptors.");
        evbuffer_add_printf(b, "process_max_fds %llu\n", (unsigned long long)rl.rlim_cur);
    }
}

void edd_http_metrics_write(struct evbuffer *b, const edd_server *s)
{
    requests(b);
    minted(b, s);
    pushes(b, s);
    c2s(b, s);
    links(b, s);
    health(b);
    providers(b, s);
    config_and_http(b, s);
    process(b);
}

void edd_http_metrics(struct evhttp_request *req, edd_server *s, void *ud)
{
    (void)ud;
    struct evbuffer *b = evbuffer_new();
    if (!b) {
        edd_http_send(req, HTTP_INTERNAL, "Internal Server Error", NULL, NULL);
        return;
    }
    edd_http_metrics_write(b, s);
    edd_http_send(req, HTTP_OK, "OK", "text/plain; version=0.0.4; charset=utf-8", b);
    evbuffer_free(b);
}
