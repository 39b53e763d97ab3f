/* daemon/http/status.c — GET /health (liveness: 200 whenever the event loop
 * answers), /ready (200 only when every configured component link is up
 * with an extdisco delegation and every c2s listener is open; 503 with the
 * first reason otherwise) and /status (JSON, built with jansson: version,
 * uptime, readiness, links, services and their health (with
 * check.order_by_latency: the last check's latency and the reply order),
 * the HTTP credential providers' state, counts; what `extdiscoctl status`
 * prints).  No JID, username or secret appears: links are named by their
 * configuration index and host server, providers by their configured name
 * and preset (never a URL, key id or key). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <event2/buffer.h>
#include <event2/http.h>
#include <jansson.h>

#include "c2s/c2s.h"
#include "component/component.h"
#include "core/metrics.h"
#include "http/http.h"
#include "providers/providers.h"

typedef struct ready_ctx {
    bool ready;
    char *why;
    size_t whylen;
} ready_ctx;

static void ready_link(void *ud, const edd_link_info *li)
{
    ready_ctx *c = ud;
    if (!c->ready)
        return;
    if (!li->up || !li->deleg_ns) {
        c->ready = false;
        if (c->why)
            snprintf(c->why, c->whylen, "component link %u (%s:%d) %s", li->index, li->host,
                     li->port, li->up ? "has no extdisco delegation" : "is down");
    }
}

bool edd_http_is_ready(const edd_server *s, char *why, size_t whylen)
{
    ready_ctx c = {true, why, whylen};
    if (why && whylen)
        why[0] = '\0';
    if (s->cfg->ncomponents && !s->components) {
        if (why)
            snprintf(why, whylen, "component links not started");
        return false;
    }
    edd_component_foreach(s->components, ready_link, &c);
    if (!c.ready)
        return false;
    if (s->cfg->c2s) {
        edd_c2s_info ci;
        edd_c2s_info_get(s->c2s, &ci);
        if (!s->c2s || ci.listeners < ci.configured) {
            if (why)
                snprintf(why, whylen, "c2s listeners open: %zu of %zu", ci.listeners,
                         ci.configured);
            return false;
        }
    }
    return true;
}

void edd_http_health(struct evhttp_request *req, edd_server *s, void *ud)
{
    (void)s;
    (void)ud;
    edd_http_send_text(req, HTTP_OK, "OK", "ok");
}

void edd_http_ready(struct evhttp_request *req, edd_server *s, void *ud)
{
    (void)ud;
    char why[300], text[320];
    if (edd_http_is_ready(s, why, sizeof why)) {
        edd_http_send_text(req, HTTP_OK, "OK", "ready");
    } else {
        snprintf(text, sizeof text, "not ready: %s", why);
        edd_http_send_text(req, 503, "Service Unavailable", text);
    }
}

/* --- /status --------------------------------------------------------------- */

static int64_t mono_secs(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec;
}

static void status_link(void *ud, const edd_link_info *li)
{
    json_t *arr = ud;
    char server[300];
    snprintf(server, sizeof server, strchr(li->host, ':') ? "[%s]:%d" : "%s:%d", li->host,
             li->port);
    json_t *d = json_array();
    if (li->deleg_ns & EDD_LINK_NS_EXTDISCO2)
        json_array_append_new(d, json_string(ED_NS_EXTDISCO2));
    if (li->deleg_ns & EDD_LINK_NS_EXTDISCO1)
        json_array_append_new(d, json_string(ED_NS_EXTDISCO1));
    json_array_append_new(arr, json_pack("{s:I, s:s, s:s, s:b, s:o, s:I, s:I}",
                                         "index", (json_int_t)li->index, "server", server,
                                         "state", li->state, "up", li->up, "delegations", d,
                                         "connects", (json_int_t)li->connects,
                                         "up_seconds", (json_int_t)(li->up ? mono_secs() - li->up_since : 0)));
}

typedef struct svc_ctx {
    json_t *services;
    const edd_server *s;
} svc_ctx;

static bool same(const char *a, const char *b)
{
    return (!a && !b) || (a && b && strcmp(a, b) == 0);
}

/* The health row goes to the configured services with its identity. */
static void status_health(void *ud, const edd_health_row *r)
{
    svc_ctx *c = ud;
    size_t i;
    json_t *v;
    json_array_foreach(c->services, i, v) {
        const edd_cfg_service *cs = &c->s->cfg->services[i];
        if (same(cs->type, r->type) && same(cs->host, r->host) && cs->port == r->port &&
            same(cs->transport, r->transport)) {
            json_object_set_new(v, "health", json_string(r->up > 0 ? "up" : r->up == 0 ? "down"
                                                                                   : "unknown"));
            json_object_set_new(v, "latency_ms", r->latency_ms >= 0
                                                     ? json_integer((json_int_t)r->latency_ms)
                                                     : json_null());
            json_object_set_new(v, "reply_position",
                                r->reply_position >= 0
                                    ? json_integer((json_int_t)r->reply_position + 1)
                                    : json_null());
        }
    }
}

/* One HTTP credential provider (providers.h's accessor, as /metrics). */
typedef struct prov_ctx {
    json_t *arr;
    int64_t now;
} prov_ctx;

static json_t *int_or_null(bool have, int64_t v)
{
    return have ? json_integer((json_int_t)(v < 0 ? 0 : v)) : json_null();
}

static void status_provider(const edd_provider_info *in, void *arg)
{
    prov_ctx *c = arg;
    json_t *fetches = json_object();
    for (unsigned r = 0; r < EDD_PROV_R_N; r++)
        json_object_set_new(fetches, edd_prov_result_name(r),
                            json_integer((json_int_t)in->fetches[r]));
    json_t *o = json_pack(
        "{s:s, s:s, s:s, s:I, s:o, s:o, s:o, s:I, s:I, s:o, s:o}", "name", in->name, "preset",
        in->preset, "state", edd_provider_state_name(in), "services", (json_int_t)in->services,
        "cache_age_seconds", int_or_null(in->have, c->now - in->fetched),
        "cache_expiry_seconds", int_or_null(in->have, in->served_until - c->now),
        "last_success", int_or_null(in->last_success != 0, in->last_success),
        "consecutive_failures", (json_int_t)in->failures, "backoff_seconds",
        (json_int_t)in->retry_in, "last_error",
        in->failed_ever ? json_string(edd_prov_result_name(in->last_error)) : json_null(),
        "fetches", fetches);
    json_array_append_new(c->arr, o ? o : json_null());
}

static json_t *requests_json(void)
{
    json_t *o = json_object();
    for (unsigned p = 0; p < EDD_MP_N; p++) {
        json_t *po = json_object();
        for (unsigned k = 0; k < EDD_MO_N; k++)
            if (edd_metrics_g.requests[p][k])
                json_object_set_new(po, edd_m_outcome_name(k),
                                    json_integer((json_int_t)edd_metrics_g.requests[p][k]));
        json_object_set_new(o, edd_m_proto_name(p), po);
    }
    return o;
}

void edd_http_status(struct evhttp_request *req, edd_server *s, void *ud)
{
    (void)ud;
    const edd_metrics *m = &edd_metrics_g;
    struct timespec now;
    clock_gettime(CLOCK_REALTIME, &now);
    double tnow = (double)now.tv_sec + (double)now.tv_nsec / 1e9;
    char why[300];
    bool ready = edd_http_is_ready(s, why, sizeof why);

    json_t *links = json_array();
    edd_component_foreach(s->components, status_link, links);

    json_t *services = json_array();
    for (unsigned i = 0; i < s->cfg->nservices; i++) {
        const edd_cfg_service *cs = &s->cfg->services[i];
        json_t *sv = json_pack("{s:s, s:s, s:I, s:b}", "type", cs->type, "host", cs->host,
                               "port", (json_int_t)cs->port, "credentials",
                               cs->credentials || cs->username);
        if (sv && cs->transport)
            json_object_set_new(sv, "transport", json_string(cs->transport));
        if (sv) {
            json_object_set_new(sv, "health", json_string("unchecked"));
            json_object_set_new(sv, "latency_ms", json_null());
            json_object_set_new(sv, "reply_position", json_null());
        }
        json_array_append_new(services, sv ? sv : json_null());
    }
    svc_ctx sc = {services, s};
    edd_metrics_health_foreach(status_health, &sc);

    prov_ctx pc = {json_array(), s->clock ? s->clock() : (int64_t)now.tv_sec};
    if (s->prov && s->cfg->nturn_providers)
        edd_providers_foreach(s->prov, status_provider, &pc);

    json_t *c2s = json_null();
    if (s->cfg->c2s) {
        edd_c2s_info ci;
        edd_c2s_info_get(s->c2s, &ci);
        c2s = json_pack("{s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:I}",
                        "listeners_open", (json_int_t)ci.listeners,
                        "listeners_configured", (json_int_t)ci.configured,
                        "connections", (json_int_t)(ci.plain + ci.tls),
                        "connections_tls", (json_int_t)ci.tls,
                        "connections_websocket", (json_int_t)(ci.ws_plain + ci.ws_tls),
                        "sessions_bound", (json_int_t)ci.bound,
                        "logins_ok", (json_int_t)m->logins_ok,
                        "logins_failed", (json_int_t)m->logins_failed,
                        "throttled_addresses", (json_int_t)ci.throttled);
    }
    size_t online = 0, requesters = s->pushes ? edd_pushes_count(s->pushes, &online) : 0;
    json_t *root = json_pack(
        "{s:s, s:f, s:b, s:s?, s:o, s:b, s:o, s:o, s:o, s:o,"
        " s:{s:I, s:I, s:I, s:I},"
        " s:{s:f, s:b, s:I, s:I}}",
        "version", ED_VERSION, "uptime_seconds", tnow - m->start_time, "ready", ready,
        "not_ready_because", ready ? NULL : why, "links", links, "order_by_latency",
        s->cfg->check.order_by_latency, "services", services, "providers", pc.arr,
        "c2s", c2s ? c2s : json_null(), "requests", requests_json(),
        "counts", "push_requesters", (json_int_t)requesters, "push_online", (json_int_t)online,
        "pushes_sent", (json_int_t)m->pushes, "http_connections",
        (json_int_t)edd_http_connections(s->http),
        "config", "loaded", m->config_loaded, "last_reload_ok", m->last_reload_ok,
        "reloads_ok", (json_int_t)m->reloads_ok, "reloads_failed", (json_int_t)m->reloads_failed);
    char *text = root ? json_dumps(root, JSON_INDENT(2) | JSON_PRESERVE_ORDER) : NULL;
    json_decref(root);
    struct evbuffer *b = text ? evbuffer_new() : NULL;
    if (!b) {
        free(text);
        edd_http_send(req, HTTP_INTERNAL, "Internal Server Error", NULL, NULL);
        return;
    }
    evbuffer_add(b, text, strlen(text));
    evbuffer_add(b, "\n", 1);
    free(text);
    edd_http_send(req, HTTP_OK, "OK", "application/json", b);
    evbuffer_free(b);
}
