/* lib/service_uri.c — RFC 7064 / RFC 7065 URIs (stun:, stuns:, turn:,
 * turns:) as XEP-0215 service records: what an ICE server list (an HTTP
 * TURN provider's answer, RTCIceServer.urls) names becomes type, host, port
 * and transport.  See ed_service_from_uri() in extdisco/service.h. */
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "extdisco/service.h"

#define URI_MAX 1023

/* scheme (case-insensitive) -> canonical type and TLS flag. */
static const char *scheme_type(const char *s, size_t n, bool *tls)
{
    static const struct { const char *name; bool tls; } schemes[] = {
        { "stun", false }, { "stuns", true }, { "turn", false }, { "turns", true },
    };
    for (size_t i = 0; i < sizeof schemes / sizeof *schemes; i++) {
        if (strlen(schemes[i].name) == n && strncasecmp(schemes[i].name, s, n) == 0) {
            *tls = schemes[i].tls;
            return schemes[i].name;
        }
    }
    return NULL;
}

/* The query: nothing, or exactly "transport=udp|tcp". */
static ed_err parse_query(const char *q, const char **transport)
{
    static const char key[] = "transport=";
    if (strncasecmp(q, key, sizeof key - 1) != 0)
        return ED_SVC_BAD_URI;
    const char *v = q + sizeof key - 1;
    if (strcasecmp(v, "udp") == 0)
        *transport = "udp";
    else if (strcasecmp(v, "tcp") == 0)
        *transport = "tcp";
    else
        return ED_SVC_BAD_URI;
    return ED_OK;
}

ed_err ed_service_from_uri(const char *uri, ed_service *out)
{
    if (!out)
        return ED_EINVAL;
    ed_service_init(out);
    if (!uri)
        return ED_EINVAL;
    size_t len = strnlen(uri, URI_MAX + 1);
    if (len > URI_MAX)
        return ED_SVC_BAD_URI;
    const char *colon = memchr(uri, ':', len);
    bool tls = false;
    const char *type = colon ? scheme_type(uri, (size_t)(colon - uri), &tls) : NULL;
    if (!type)
        return ED_SVC_BAD_URI;
    const char *p = colon + 1, *end = uri + len;
    /* host: an IP-literal in brackets, else up to ':' or '?' */
    const char *query = memchr(p, '?', (size_t)(end - p));
    const char *hend = query ? query : end;
    if (memchr(p, '@', (size_t)(hend - p)) || memchr(p, '/', (size_t)(hend - p)) ||
        memchr(p, '#', (size_t)(end - p)))
        return ED_SVC_BAD_URI; /* user info, path, fragment */
    const char *hs = p, *he, *rest;
    if (*p == '[') {
        const char *rb = memchr(p, ']', (size_t)(hend - p));
        if (!rb)
            return ED_SVC_BAD_URI;
        hs = p + 1;
        he = rb;
        rest = rb + 1;
    } else {
        const char *c = memchr(p, ':', (size_t)(hend - p));
        he = c ? c : hend;
        rest = he;
    }
    int port = tls ? 5349 : 3478;
    if (rest < hend) {
        if (*rest != ':')
            return ED_SVC_BAD_URI;
        const char *ps = rest + 1;
        size_t pl = (size_t)(hend - ps);
        if (pl == 0 || pl > 5)
            return ED_SVC_BAD_URI;
        port = 0;
        for (size_t i = 0; i < pl; i++) {
            if (ps[i] < '0' || ps[i] > '9')
                return ED_SVC_BAD_URI;
            port = port * 10 + (ps[i] - '0');
        }
        if (port < 1 || port > 65535)
            return ED_SVC_BAD_URI;
    }
    const char *transport = tls ? "tcp" : "udp";
    ed_err err;
    if (query && (err = parse_query(query + 1, &transport)) != ED_OK)
        return err;
    if (tls && strcmp(transport, "udp") == 0)
        return ED_SVC_BAD_URI;
    size_t hl = (size_t)(he - hs);
    if (hl == 0)
        return ED_SVC_BAD_HOST;
    out->host = strndup(hs, hl);
    out->type = strdup(type);
    out->transport = strdup(transport);
    if (!out->host || !out->type || !out->transport) {
        ed_service_clear(out);
        return ED_ENOMEM;
    }
    out->port = port;
    /* brackets hold an IPv6 literal and nothing else */
    if (ed_check_host(out->host) != ED_OK || (*p == '[' && !strchr(out->host, ':')))
        return ED_SVC_BAD_HOST;
    return ED_OK;
}
