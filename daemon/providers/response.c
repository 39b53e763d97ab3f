/* daemon/providers/response.c — see response.h. */
#include "providers/response.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

static bool fail(char *why, size_t whylen, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
static bool fail(char *why, size_t whylen, const char *fmt, ...)
{
    if (why && whylen) {
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(why, whylen, fmt, ap);
        va_end(ap);
    }
    return false;
}

/* The member at a dot-separated path from o, or NULL. */
static json_t *at_path(json_t *o, const char *path)
{
    char seg[256];
    const char *p = path;
    while (o && *p) {
        const char *dot = strchr(p, '.');
        size_t n = dot ? (size_t)(dot - p) : strlen(p);
        if (n == 0 || n >= sizeof seg || !json_is_object(o))
            return NULL;
        memcpy(seg, p, n);
        seg[n] = '\0';
        o = json_object_get(o, seg);
        p = dot ? dot + 1 : p + n;
    }
    return o;
}

/* The member key of object o, or NULL (key NULL: none). */
static json_t *member(json_t *o, const char *key)
{
    return key ? json_object_get(o, key) : NULL;
}

/* A string member (absent: *out NULL, true). */
static bool opt_string(json_t *srv, const char *key, char **out, const char *what,
                       char *why, size_t whylen)
{
    *out = NULL;
    json_t *v = member(srv, key);
    if (!v || json_is_null(v))
        return true;
    if (!json_is_string(v))
        return fail(why, whylen, "%s is not a string", what);
    size_t len = json_string_length(v);
    const char *s = json_string_value(v);
    if (len == 0 || len > EDD_PROV_MAX_STRING || memchr(s, '\0', len))
        return fail(why, whylen, "%s is empty, too long or holds a NUL", what);
    if (!(*out = strndup(s, len)))
        return fail(why, whylen, "out of memory");
    return true;
}

static void server_clear(edd_ice_server *s)
{
    for (size_t i = 0; i < s->nurls; i++)
        free(s->urls[i]);
    free(s->urls);
    free(s->username);
    if (s->credential) {
        explicit_bzero(s->credential, strlen(s->credential));
        free(s->credential);
    }
    memset(s, 0, sizeof *s);
}

void edd_ice_list_clear(edd_ice_list *l)
{
    for (size_t i = 0; i < l->n; i++)
        server_clear(&l->v[i]);
    free(l->v);
    memset(l, 0, sizeof *l);
}

static bool add_url(edd_ice_server *s, json_t *u, size_t *total, char *why, size_t whylen)
{
    if (!json_is_string(u))
        return fail(why, whylen, "a URL is not a string");
    if (++*total > EDD_PROV_MAX_URLS)
        return fail(why, whylen, "more than %d URLs", EDD_PROV_MAX_URLS);
    size_t len = json_string_length(u);
    const char *str = json_string_value(u);
    if (len == 0 || len > EDD_PROV_MAX_STRING || memchr(str, '\0', len))
        return fail(why, whylen, "a URL is empty, too long or holds a NUL");
    char **v = realloc(s->urls, (s->nurls + 1) * sizeof *v);
    if (!v)
        return fail(why, whylen, "out of memory");
    s->urls = v;
    if (!(s->urls[s->nurls] = strndup(str, len)))
        return fail(why, whylen, "out of memory");
    s->nurls++;
    return true;
}

static bool parse_server(json_t *o, const edd_prov_map *m, edd_ice_server *s,
                         size_t *total, char *why, size_t whylen)
{
    if (!json_is_object(o))
        return fail(why, whylen, "an ICE server is not an object");
    json_t *u = member(o, m->urls);
    if (!u)
        u = member(o, m->url);
    if (u && json_is_array(u)) {
        size_t n = json_array_size(u);
        for (size_t i = 0; i < n; i++)
            if (!add_url(s, json_array_get(u, i), total, why, whylen))
                return false;
    } else if (u && !json_is_null(u)) {
        if (!add_url(s, u, total, why, whylen))
            return false;
    }
    return opt_string(o, m->username, &s->username, "username", why, whylen) &&
           opt_string(o, m->credential, &s->credential, "credential", why, whylen);
}

/* A TTL: a positive integer, as a number or a decimal string. */
static bool parse_ttl(json_t *t, int64_t *out)
{
    if (json_is_integer(t)) {
        json_int_t v = json_integer_value(t);
        if (v <= 0)
            return false;
        *out = (int64_t)v;
        return true;
    }
    if (json_is_string(t)) {
        const char *s = json_string_value(t);
        size_t n = json_string_length(t);
        if (strlen(s) != n)
            return false;
        if (n == 0 || n > 10 || strspn(s, "0123456789") != n)
            return false;
        *out = strtoll(s, NULL, 10);
        return *out > 0;
    }
    return false;
}

bool edd_prov_parse(const char *body, size_t len, const edd_prov_map *map,
                    edd_ice_list *out, char *why, size_t whylen)
{
    memset(out, 0, sizeof *out);
    json_error_t jerr;
    /* one document, nothing after it (but white space); no NUL in
     * strings; UTF-8 checked by jansson */
    json_t *root = json_loadb(body, len, JSON_REJECT_DUPLICATES, &jerr);
    if (!root)
        return fail(why, whylen, "malformed JSON (%s at byte %d)", jerr.text, jerr.position);
    bool ok = false;
    json_t *list = json_is_object(root) ? at_path(root, map->ice_servers) : NULL;
    if (!list) {
        fail(why, whylen, "no '%s' in the response", map->ice_servers);
        goto done;
    }
    bool single = json_is_object(list);
    if (!single && !json_is_array(list)) {
        fail(why, whylen, "'%s' is not a list", map->ice_servers);
        goto done;
    }
    size_t n = single ? 1 : json_array_size(list);
    if (n > EDD_PROV_MAX_SERVERS) {
        fail(why, whylen, "more than %d ICE servers", EDD_PROV_MAX_SERVERS);
        goto done;
    }
    out->v = calloc(n ? n : 1, sizeof *out->v);
    if (!out->v) {
        fail(why, whylen, "out of memory");
        goto done;
    }
    size_t total = 0;
    for (size_t i = 0; i < n; i++) {
        edd_ice_server *s = &out->v[out->n];
        if (!parse_server(single ? list : json_array_get(list, i), map, s, &total,
                          why, whylen)) {
            server_clear(s);
            goto done;
        }
        if (s->nurls)
            out->n++;
        else
            server_clear(s);
    }
    if (map->ttl) {
        json_t *t = at_path(root, map->ttl);
        if (t && !parse_ttl(t, &out->ttl)) {
            fail(why, whylen, "'%s' is not a positive number of seconds", map->ttl);
            goto done;
        }
    }
    ok = true;
done:
    json_decref(root);
    if (!ok)
        edd_ice_list_clear(out);
    return ok;
}

void edd_prov_defs_free(ed_service_def *defs, size_t n)
{
    for (size_t i = 0; defs && i < n; i++) {
        if (defs[i].svc.password)
            explicit_bzero(defs[i].svc.password, strlen(defs[i].svc.password));
        ed_service_clear(&defs[i].svc);
    }
    free(defs);
}

bool edd_prov_to_defs(const edd_ice_list *l, int64_t expires, ed_service_def **defs,
                      size_t *n, size_t *skipped)
{
    size_t total = 0;
    for (size_t i = 0; i < l->n; i++)
        total += l->v[i].nurls;
    *defs = calloc(total ? total : 1, sizeof **defs);
    *n = 0;
    *skipped = 0;
    if (!*defs)
        return false;
    for (size_t i = 0; i < l->n; i++) {
        const edd_ice_server *srv = &l->v[i];
        for (size_t k = 0; k < srv->nurls; k++) {
            ed_service_def *d = &(*defs)[*n];
            memset(d, 0, sizeof *d);
            ed_err e = ed_service_from_uri(srv->urls[k], &d->svc);
            bool dup = false;
            for (size_t j = 0; e == ED_OK && !dup && j < *n; j++)
                dup = ed_service_same_identity(&(*defs)[j].svc, &d->svc);
            if (e == ED_ENOMEM)
                goto nomem;
            bool turn = e == ED_OK && strncmp(d->svc.type, "turn", 4) == 0;
            bool creds = srv->username && srv->credential;
            /* a TURN server without credentials is one clients drop */
            if (e != ED_OK || dup || (turn && !creds)) {
                ed_service_clear(&d->svc);
                ++*skipped;
                continue;
            }
            /* XEP-0215 needs both or neither */
            if (creds) {
                if (!(d->svc.username = strdup(srv->username)) ||
                    !(d->svc.password = strdup(srv->credential))) {
                    ++*n;
                    goto nomem;
                }
                d->svc.expires = expires;
                d->svc.restricted = 1;
            }
            ++*n;
        }
    }
    return true;
nomem:
    edd_prov_defs_free(*defs, *n);
    *defs = NULL;
    *n = 0;
    return false;
}
