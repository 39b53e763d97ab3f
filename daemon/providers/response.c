/* daemon/providers/response.c — see response.h. */
#include "providers/response.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <json-c/json.h>

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
static json_object *at_path(json_object *o, const char *path)
{
    char seg[256];
    const char *p = path;
    while (o && *p) {
        const char *dot = strchr(p, '.');
        size_t n = dot ? (size_t)(dot - p) : strlen(p);
        if (n == 0 || n >= sizeof seg || !json_object_is_type(o, json_type_object))
            return NULL;
        memcpy(seg, p, n);
        seg[n] = '\0';
        json_object *next = NULL;
        if (!json_object_object_get_ex(o, seg, &next))
            return NULL;
        o = next;
        p = dot ? dot + 1 : p + n;
    }
    return o;
}

/* A string member (absent: *out NULL, true). */
static bool opt_string(json_object *srv, const char *key, char **out, const char *what,
                       char *why, size_t whylen)
{
    *out = NULL;
    json_object *v;
    if (!key || !json_object_object_get_ex(srv, key, &v) || json_object_is_type(v, json_type_null))
        return true;
    if (!json_object_is_type(v, json_type_string))
        return fail(why, whylen, "%s is not a string", what);
    size_t len = (size_t)json_object_get_string_len(v);
    const char *s = json_object_get_string(v);
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

static bool add_url(edd_ice_server *s, json_object *u, size_t *total, char *why, size_t whylen)
{
    if (!json_object_is_type(u, json_type_string))
        return fail(why, whylen, "a URL is not a string");
    if (++*total > EDD_PROV_MAX_URLS)
        return fail(why, whylen, "more than %d URLs", EDD_PROV_MAX_URLS);
    size_t len = (size_t)json_object_get_string_len(u);
    const char *str = json_object_get_string(u);
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

static bool parse_server(json_object *o, const edd_prov_map *m, edd_ice_server *s,
                         size_t *total, char *why, size_t whylen)
{
    if (!json_object_is_type(o, json_type_object))
        return fail(why, whylen, "an ICE server is not an object");
    json_object *u = NULL;
    if (!(m->urls && json_object_object_get_ex(o, m->urls, &u)) &&
        !(m->url && json_object_object_get_ex(o, m->url, &u)))
        u = NULL;
    if (u && json_object_is_type(u, json_type_array)) {
        size_t n = json_object_array_length(u);
        for (size_t i = 0; i < n; i++)
            if (!add_url(s, json_object_array_get_idx(u, i), total, why, whylen))
                return false;
    } else if (u && !json_object_is_type(u, json_type_null)) {
        if (!add_url(s, u, total, why, whylen))
            return false;
    }
    return opt_string(o, m->username, &s->username, "username", why, whylen) &&
           opt_string(o, m->credential, &s->credential, "credential", why, whylen);
}

/* A TTL: a positive integer, as a number or a decimal string. */
static bool parse_ttl(json_object *t, int64_t *out)
{
    if (json_object_is_type(t, json_type_int)) {
        errno = 0;
        int64_t v = json_object_get_int64(t);
        if (errno || v <= 0)
            return false;
        *out = v;
        return true;
    }
    if (json_object_is_type(t, json_type_string)) {
        const char *s = json_object_get_string(t);
        size_t n = strlen(s);
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
    if (len > INT32_MAX)
        return fail(why, whylen, "response too large");
    json_tokener *tok = json_tokener_new_ex(EDD_PROV_MAX_DEPTH);
    if (!tok)
        return fail(why, whylen, "out of memory");
    json_tokener_set_flags(tok, JSON_TOKENER_STRICT | JSON_TOKENER_VALIDATE_UTF8);
    json_object *root = json_tokener_parse_ex(tok, body, (int)len);
    enum json_tokener_error jerr = json_tokener_get_error(tok);
    /* the whole body is one document (trailing whitespace allowed) */
    size_t used = json_tokener_get_parse_end(tok);
    json_tokener_free(tok);
    if (!root || jerr != json_tokener_success) {
        json_object_put(root);
        return fail(why, whylen, "malformed JSON (%s)",
                    jerr == json_tokener_continue ? "truncated"
                                                  : json_tokener_error_desc(jerr));
    }
    for (size_t i = used; i < len; i++)
        if (body[i] != ' ' && body[i] != '\n' && body[i] != '\r' && body[i] != '\t') {
            json_object_put(root);
            return fail(why, whylen, "malformed JSON (data after the document)");
        }
    bool ok = false;
    json_object *list = json_object_is_type(root, json_type_object)
                            ? at_path(root, map->ice_servers) : NULL;
    if (!list) {
        fail(why, whylen, "no '%s' in the response", map->ice_servers);
        goto done;
    }
    bool single = json_object_is_type(list, json_type_object);
    if (!single && !json_object_is_type(list, json_type_array)) {
        fail(why, whylen, "'%s' is not a list", map->ice_servers);
        goto done;
    }
    size_t n = single ? 1 : json_object_array_length(list);
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
        if (!parse_server(single ? list : json_object_array_get_idx(list, i), map, s, &total,
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
        json_object *t = at_path(root, map->ttl);
        if (t && !parse_ttl(t, &out->ttl)) {
            fail(why, whylen, "'%s' is not a positive number of seconds", map->ttl);
            goto done;
        }
    }
    ok = true;
done:
    json_object_put(root);
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
