/* daemon/ctl_status.c — `extdiscoctl status`: GET /status from the running
 * extdiscod's HTTP listener (the first http.listen address of the
 * configuration, with its bearer token) and print it as tables.  The HTTP
 * client is libevent's evhttp, the JSON parser jansson; the request is
 * bounded by CTL_STATUS_TIMEOUT seconds. */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <event2/buffer.h>
#include <event2/event.h>
#include <event2/http.h>
#include <event2/keyvalq_struct.h>
#include <jansson.h>

#include "config/config.h"
#include "ctl_status.h"

#define CTL_STATUS_TIMEOUT 5
#define CTL_STATUS_MAX_BODY (1 << 20)

typedef struct fetch {
    int code;
    char *body;
    size_t len;
    bool done;
} fetch;

static void on_done(struct evhttp_request *req, void *arg)
{
    fetch *f = arg;
    f->done = true;
    if (!req)
        return;
    f->code = evhttp_request_get_response_code(req);
    struct evbuffer *b = evhttp_request_get_input_buffer(req);
    size_t n = evbuffer_get_length(b);
    if (n > CTL_STATUS_MAX_BODY)
        n = CTL_STATUS_MAX_BODY;
    f->body = malloc(n + 1);
    if (f->body) {
        evbuffer_copyout(b, f->body, n);
        f->body[n] = '\0';
        f->len = n;
    }
}

static const char *str(json_t *o, const char *k)
{
    const char *s = json_string_value(json_object_get(o, k));
    return s ? s : "";
}

static long long num(json_t *o, const char *k)
{
    json_t *v = json_object_get(o, k);
    return json_is_integer(v) ? (long long)json_integer_value(v)
                              : json_is_real(v) ? (long long)json_real_value(v) : 0;
}

static void duration(char *buf, size_t len, long long s)
{
    if (s >= 86400)
        snprintf(buf, len, "%lldd%02lldh%02lldm", s / 86400, s % 86400 / 3600, s % 3600 / 60);
    else if (s >= 3600)
        snprintf(buf, len, "%lldh%02lldm%02llds", s / 3600, s % 3600 / 60, s % 60);
    else if (s >= 60)
        snprintf(buf, len, "%lldm%02llds", s / 60, s % 60);
    else
        snprintf(buf, len, "%llds", s);
}

/* A duration in seconds, "-" for null. */
static void duration_or_dash(char *buf, size_t len, json_t *v)
{
    if (json_is_integer(v))
        duration(buf, len, (long long)json_integer_value(v));
    else
        snprintf(buf, len, "-");
}

/* The configured services; with check.order_by_latency also the latency
 * of each one's last successful check and its place in the reply, so that
 * the order replies use is visible. */
static void print_services(json_t *root, FILE *out)
{
    json_t *svcs = json_object_get(root, "services"), *v;
    size_t i;
    if (!json_array_size(svcs))
        return;
    bool by_latency = json_is_true(json_object_get(root, "order_by_latency"));
    /* HEALTH is padded only when columns follow (no trailing blanks) */
    int hw = by_latency ? 9 : 0;
    fprintf(out, "\n%-6s %-32s %-6s %-9s %-11s %-*s", "TYPE", "HOST", "PORT", "TRANSPORT",
            "CREDENTIALS", hw, "HEALTH");
    if (by_latency)
        fprintf(out, " %10s %5s", "LATENCY", "ORDER");
    fputc('\n', out);
    json_array_foreach(svcs, i, v) {
        fprintf(out, "%-6s %-32s %-6lld %-9s %-11s %-*s", str(v, "type"), str(v, "host"),
                num(v, "port"), *str(v, "transport") ? str(v, "transport") : "-",
                json_is_true(json_object_get(v, "credentials")) ? "yes" : "no", hw,
                str(v, "health"));
        if (by_latency) {
            char lat[32] = "-", pos[32] = "-";
            if (json_is_integer(json_object_get(v, "latency_ms")))
                snprintf(lat, sizeof lat, "%lld ms", num(v, "latency_ms"));
            if (json_is_integer(json_object_get(v, "reply_position")))
                snprintf(pos, sizeof pos, "%lld", num(v, "reply_position"));
            fprintf(out, " %10s %5s", lat, pos);
        }
        fputc('\n', out);
    }
    if (by_latency)
        fprintf(out, "(check.order_by_latency: each type's services are offered fastest "
                     "first; ORDER is the place in replies, - not offered)\n");
}

/* The HTTP credential providers (turn_providers); nothing when none is
 * configured. */
static void print_providers(json_t *root, FILE *out)
{
    json_t *provs = json_object_get(root, "providers"), *v;
    size_t i;
    if (!json_array_size(provs))
        return;
    fprintf(out, "\n%-16s %-10s %-8s %8s %9s %9s %-19s %5s %7s %s\n", "PROVIDER", "PRESET",
            "STATE", "SERVICES", "CACHE AGE", "EXPIRES", "LAST SUCCESS (UTC)", "FAILS",
            "BACKOFF", "LAST ERROR");
    json_array_foreach(provs, i, v) {
        char age[64], expiry[64], back[64] = "-", when[64] = "-";
        duration_or_dash(age, sizeof age, json_object_get(v, "cache_age_seconds"));
        duration_or_dash(expiry, sizeof expiry, json_object_get(v, "cache_expiry_seconds"));
        if (num(v, "backoff_seconds") > 0)
            duration(back, sizeof back, num(v, "backoff_seconds"));
        time_t t = (time_t)num(v, "last_success");
        struct tm tm;
        if (t > 0 && gmtime_r(&t, &tm))
            strftime(when, sizeof when, "%Y-%m-%d %H:%M:%S", &tm);
        fprintf(out, "%-16s %-10s %-8s %8lld %9s %9s %-19s %5lld %7s %s\n", str(v, "name"),
                str(v, "preset"), str(v, "state"), num(v, "services"), age, expiry, when,
                num(v, "consecutive_failures"), back,
                *str(v, "last_error") ? str(v, "last_error") : "-");
    }
}

static void print_status(json_t *root, FILE *out)
{
    char d[64];
    duration(d, sizeof d, num(root, "uptime_seconds"));
    bool ready = json_is_true(json_object_get(root, "ready"));
    fprintf(out, "extdiscod %s, up %s, %s%s%s\n", str(root, "version"), d,
            ready ? "ready" : "NOT READY: ", ready ? "" : str(root, "not_ready_because"), "");

    json_t *links = json_object_get(root, "links"), *v;
    size_t i;
    if (json_array_size(links)) {
        fprintf(out, "\n%-5s %-28s %-11s %-8s %-8s %s\n", "LINK", "SERVER", "STATE", "CONNECTS",
                "UP", "DELEGATIONS");
        json_array_foreach(links, i, v) {
            char deleg[256] = "", up[64] = "-";
            json_t *ns;
            size_t k;
            json_array_foreach(json_object_get(v, "delegations"), k, ns) {
                if (k)
                    strncat(deleg, " ", sizeof deleg - strlen(deleg) - 1);
                strncat(deleg, json_string_value(ns) ? json_string_value(ns) : "?",
                        sizeof deleg - strlen(deleg) - 1);
            }
            if (json_is_true(json_object_get(v, "up")))
                duration(up, sizeof up, num(v, "up_seconds"));
            fprintf(out, "%-5lld %-28s %-11s %-8lld %-8s %s\n", num(v, "index"), str(v, "server"),
                    str(v, "state"), num(v, "connects"), up, deleg[0] ? deleg : "-");
        }
    }

    print_services(root, out);
    print_providers(root, out);

    json_t *req = json_object_get(root, "requests");
    const char *proto;
    fprintf(out, "\n%-12s %10s %10s  %s\n", "REQUESTS", "RESULT", "ERRORS", "BY CONDITION");
    json_object_foreach(req, proto, v) {
        long long ok = num(v, "result"), errs = 0;
        char conds[256] = "";
        const char *cond;
        json_t *n;
        json_object_foreach(v, cond, n) {
            if (strcmp(cond, "result") == 0)
                continue;
            errs += (long long)json_integer_value(n);
            size_t l = strlen(conds);
            snprintf(conds + l, sizeof conds - l, "%s%s=%lld", l ? " " : "", cond,
                     (long long)json_integer_value(n));
        }
        fprintf(out, "%-12s %10lld %10lld  %s\n", proto, ok, errs, conds[0] ? conds : "-");
    }

    json_t *c2s = json_object_get(root, "c2s");
    if (json_is_object(c2s))
        fprintf(out, "\nc2s: %lld of %lld listeners open, %lld connections (%lld TLS), %lld logged in;"
                     " logins %lld ok, %lld failed\n",
                num(c2s, "listeners_open"), num(c2s, "listeners_configured"),
                num(c2s, "connections"), num(c2s, "connections_tls"), num(c2s, "sessions_bound"),
                num(c2s, "logins_ok"), num(c2s, "logins_failed"));
    json_t *counts = json_object_get(root, "counts");
    fprintf(out, "pushes: %lld sent, %lld requesters remembered (%lld online); http: %lld connections\n",
            num(counts, "pushes_sent"), num(counts, "push_requesters"), num(counts, "push_online"),
            num(counts, "http_connections"));
    json_t *cfg = json_object_get(root, "config");
    time_t loaded = (time_t)num(cfg, "loaded");
    char when[64] = "?";
    struct tm tm;
    if (gmtime_r(&loaded, &tm))
        strftime(when, sizeof when, "%Y-%m-%d %H:%M:%S UTC", &tm);
    fprintf(out, "config: loaded %s, last reload %s; reloads %lld ok, %lld failed\n", when,
            json_is_true(json_object_get(cfg, "last_reload_ok")) ? "ok" : "FAILED",
            num(cfg, "reloads_ok"), num(cfg, "reloads_failed"));
}

int edd_ctl_status_print(const char *json, size_t len, FILE *out)
{
    json_error_t je;
    json_t *root = json_loadb(json, len, 0, &je);
    if (!json_is_object(root)) {
        fprintf(stderr, "extdiscoctl: /status is not JSON: %s\n",
                root ? "not an object" : je.text);
        json_decref(root);
        return 1;
    }
    print_status(root, out);
    json_decref(root);
    return 0;
}

int edd_ctl_status(const edd_config *cfg, const char *cfgpath, bool json_out, FILE *out)
{
    if (!cfg->http) {
        fprintf(stderr, "%s: no http section: the daemon has no status endpoint\n", cfgpath);
        return 1;
    }
    const edd_cfg_http *h = cfg->http;
    /* a wildcard listen address is reached on loopback */
    const char *host = h->hosts[0];
    if (strcmp(host, "0.0.0.0") == 0)
        host = "127.0.0.1";
    else if (strcmp(host, "::") == 0)
        host = "::1";
    struct event_base *base = event_base_new();
    struct evhttp_connection *con =
        base ? evhttp_connection_base_new(base, NULL, host, (unsigned short)h->ports[0]) : NULL;
    fetch f = {0};
    int rc = 1;
    struct evhttp_request *req = con ? evhttp_request_new(on_done, &f) : NULL;
    if (!req) {
        fprintf(stderr, "extdiscoctl: out of memory\n");
        goto out;
    }
    evhttp_connection_set_timeout(con, CTL_STATUS_TIMEOUT);
    struct evkeyvalq *hdr = evhttp_request_get_output_headers(req);
    evhttp_add_header(hdr, "Host", host);
    if (h->token) {
        char *auth = malloc(h->token_len + 8);
        if (auth) {
            snprintf(auth, h->token_len + 8, "Bearer %s", h->token);
            evhttp_add_header(hdr, "Authorization", auth);
            free(auth);
        }
    }
    if (evhttp_make_request(con, req, EVHTTP_REQ_GET, "/status") != 0) {
        fprintf(stderr, "extdiscoctl: cannot send the request to %s\n", h->listen[0]);
        goto out;
    }
    while (!f.done && event_base_loop(base, EVLOOP_ONCE) == 0)
        ;
    if (f.code != 200 || !f.body) {
        if (f.code)
            fprintf(stderr, "extdiscoctl: http://%s/status: HTTP %d%s\n", h->listen[0], f.code,
                    f.code == 403 ? " (this address is not in http.allow)" : "");
        else
            fprintf(stderr, "extdiscoctl: http://%s/status: no answer (is extdiscod running?)\n",
                    h->listen[0]);
        goto out;
    }
    if (json_out) {
        fputs(f.body, out);
        rc = 0;
        goto out;
    }
    rc = edd_ctl_status_print(f.body, f.len, out);
out:
    free(f.body);
    if (con)
        evhttp_connection_free(con);
    if (base)
        event_base_free(base);
    return rc;
}
