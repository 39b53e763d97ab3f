/* daemon/providers/request.c — see request.h. */
#include "providers/request.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void wipe_free(char *s)
{
    if (s) {
        explicit_bzero(s, strlen(s));
        free(s);
    }
}

/* strdup that keeps NULL; false on allocation failure. */
static bool dup(char **dst, const char *src)
{
    *dst = NULL;
    return !src || (*dst = strdup(src)) != NULL;
}

/* "a" + "b" (+ "c"), malloc'd. */
static char *cat3(const char *a, const char *b, const char *c)
{
    size_t n = strlen(a) + strlen(b) + strlen(c) + 1;
    char *s = malloc(n);
    if (s)
        snprintf(s, n, "%s%s%s", a, b, c);
    return s;
}

/* tmpl with every "{ttl}" replaced by ttl. */
static char *fill_body(const char *tmpl, int64_t ttl)
{
    char num[24];
    snprintf(num, sizeof num, "%" PRId64, ttl);
    size_t n = 0;
    for (const char *p = tmpl; (p = strstr(p, "{ttl}")); p += 5)
        n++;
    char *out = malloc(strlen(tmpl) + n * strlen(num) + 1), *o = out;
    if (!out)
        return NULL;
    for (const char *p = tmpl; *p;) {
        if (strncmp(p, "{ttl}", 5) == 0) {
            o = stpcpy(o, num);
            p += 5;
        } else {
            *o++ = *p++;
        }
    }
    *o = '\0';
    return out;
}

static bool map_set(edd_prov_map *m, const char *list, const char *urls, const char *url,
                    const char *user, const char *cred, const char *ttl)
{
    return dup(&m->ice_servers, list) && dup(&m->urls, urls) && dup(&m->url, url) &&
           dup(&m->username, user) && dup(&m->credential, cred) && dup(&m->ttl, ttl);
}

bool edd_prov_request_build(const edd_cfg_provider *cfg, edd_prov_request *out)
{
    memset(out, 0, sizeof *out);
    char num[24];
    snprintf(num, sizeof num, "%" PRId64, cfg->ttl);
    out->post = cfg->method == EDD_PROVIDER_POST;
    out->timeout_ms = (long)cfg->timeout * 1000;
    out->max_bytes = (size_t)cfg->max_response_bytes;
    if (!dup(&out->url, cfg->request_url) || !dup(&out->ca_file, cfg->ca_file))
        goto fail;
    bool ok = true;
    switch (cfg->preset) {
    case EDD_PROVIDER_CLOUDFLARE:
        out->body = cat3("{\"ttl\": ", num, "}");
        ok = out->body && dup(&out->content_type, "application/json") &&
             map_set(&out->map, "iceServers", "urls", "url", "username", "credential", NULL);
        break;
    case EDD_PROVIDER_TWILIO:
        out->body = cat3("Ttl=", num, "");
        ok = out->body && dup(&out->content_type, "application/x-www-form-urlencoded") &&
             map_set(&out->map, "ice_servers", "urls", "url", "username", "credential", "ttl");
        break;
    case EDD_PROVIDER_GENERIC: {
        const edd_cfg_provider_response *r = cfg->response;
        if (out->post) {
            out->body = fill_body(cfg->body ? cfg->body : "", cfg->ttl);
            ok = out->body != NULL &&
                 dup(&out->content_type, cfg->content_type ? cfg->content_type
                                                            : "application/json");
        }
        ok = ok && (r ? map_set(&out->map, r->ice_servers, r->urls, r->url, r->username,
                                r->credential, r->ttl)
                      : map_set(&out->map, "iceServers", "urls", "url", "username",
                                "credential", NULL));
        break;
    }
    }
    if (!ok)
        goto fail;
    if (cfg->api_key) {
        switch (cfg->auth) {
        case EDD_PROVIDER_AUTH_BEARER:
            ok = (out->auth_line = cat3("Authorization: Bearer ", cfg->api_key, "")) != NULL;
            break;
        case EDD_PROVIDER_AUTH_HEADER: {
            char *name = cat3(cfg->auth_header, ": ", "");
            ok = name && (out->auth_line = cat3(name, cfg->api_key, "")) != NULL;
            free(name);
            break;
        }
        case EDD_PROVIDER_AUTH_BASIC:
            ok = (out->userpwd = cat3(cfg->key_user ? cfg->key_user : cfg->key_id, ":",
                                      cfg->api_key)) != NULL;
            break;
        case EDD_PROVIDER_AUTH_NONE:
            break;
        }
        if (!ok)
            goto fail;
    }
    return true;
fail:
    edd_prov_request_clear(out);
    return false;
}

static bool str_eq(const char *a, const char *b)
{
    return a && b ? strcmp(a, b) == 0 : a == b;
}

bool edd_prov_request_equal(const edd_prov_request *a, const edd_prov_request *b)
{
    const edd_prov_map *x = &a->map, *y = &b->map;
    return str_eq(a->url, b->url) && a->post == b->post && str_eq(a->body, b->body) &&
           str_eq(a->content_type, b->content_type) && str_eq(a->auth_line, b->auth_line) &&
           str_eq(a->userpwd, b->userpwd) && str_eq(a->ca_file, b->ca_file) &&
           a->timeout_ms == b->timeout_ms && a->max_bytes == b->max_bytes &&
           str_eq(x->ice_servers, y->ice_servers) && str_eq(x->urls, y->urls) &&
           str_eq(x->url, y->url) && str_eq(x->username, y->username) &&
           str_eq(x->credential, y->credential) && str_eq(x->ttl, y->ttl);
}

bool edd_prov_request_copy(edd_prov_request *dst, const edd_prov_request *src)
{
    memset(dst, 0, sizeof *dst);
    dst->post = src->post;
    dst->timeout_ms = src->timeout_ms;
    dst->max_bytes = src->max_bytes;
    const edd_prov_map *m = &src->map;
    if (dup(&dst->url, src->url) && dup(&dst->body, src->body) &&
        dup(&dst->content_type, src->content_type) && dup(&dst->auth_line, src->auth_line) &&
        dup(&dst->userpwd, src->userpwd) && dup(&dst->ca_file, src->ca_file) &&
        map_set(&dst->map, m->ice_servers, m->urls, m->url, m->username, m->credential,
                m->ttl))
        return true;
    edd_prov_request_clear(dst);
    return false;
}

void edd_prov_request_clear(edd_prov_request *r)
{
    free(r->url);
    free(r->body);
    free(r->content_type);
    wipe_free(r->auth_line);
    wipe_free(r->userpwd);
    free(r->ca_file);
    free(r->map.ice_servers);
    free(r->map.urls);
    free(r->map.url);
    free(r->map.username);
    free(r->map.credential);
    free(r->map.ttl);
    memset(r, 0, sizeof *r);
}
