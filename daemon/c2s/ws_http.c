/* daemon/c2s/ws_http.c — the HTTP/1.1 request that starts a connection on a
 * websocket listener (see ws.h): the RFC 6455 §4.2 opening handshake with
 * the RFC 7395 subprotocol `xmpp`, XEP-0156 host-meta (XML and JSON), and
 * a status for every refusal.  The request line and headers are parsed by
 * http-parser (Debian's libhttp-parser, the parser Node.js used before
 * llhttp); SHA-1 and base64 are OpenSSL's.  Nothing here does I/O. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <http_parser.h>
#include <openssl/evp.h>
#include <openssl/sha.h>

#include "c2s/ws.h"

edd_ws_conf *edd_ws_conf_new(const char *path, char *const *origins, unsigned norigins,
                           bool tls)
{
    edd_ws_conf *c = calloc(1, sizeof *c);
    if (!c || !(c->path = strdup(path)) ||
        (norigins && !(c->origins = calloc(norigins, sizeof *c->origins)))) {
        edd_ws_conf_unref(c);
        return NULL;
    }
    c->refs = 1;
    c->tls = tls;
    c->any_origin = norigins == 0;
    for (unsigned i = 0; i < norigins; i++) {
        if (strcmp(origins[i], "*") == 0) {
            c->any_origin = true;
            continue;
        }
        if (!(c->origins[c->norigins] = strdup(origins[i]))) {
            edd_ws_conf_unref(c);
            return NULL;
        }
        c->norigins++;
    }
    return c;
}

edd_ws_conf *edd_ws_conf_ref(edd_ws_conf *c)
{
    c->refs++;
    return c;
}

void edd_ws_conf_unref(edd_ws_conf *c)
{
    if (!c || (c->refs > 1 && --c->refs > 0))
        return;
    for (unsigned i = 0; i < c->norigins; i++)
        free(c->origins[i]);
    free(c->origins);
    free(c->path);
    free(c);
}

void edd_ws_accept(const char *key, size_t keylen, char out[29])
{
    static const char guid[] = "258EAFA5-E914-47DA-95CA-C5AB0DC85B11";
    unsigned char md[SHA_DIGEST_LENGTH];
    /* SHA-1 is what RFC 6455 prescribes here; nothing secret is hashed */
    EVP_MD_CTX *m = EVP_MD_CTX_new();
    unsigned mdlen = 0;
    if (!m || EVP_DigestInit_ex(m, EVP_sha1(), NULL) != 1 ||
        EVP_DigestUpdate(m, key, keylen) != 1 ||
        EVP_DigestUpdate(m, guid, sizeof guid - 1) != 1 ||
        EVP_DigestFinal_ex(m, md, &mdlen) != 1)
        memset(md, 0, sizeof md); /* out of memory: a wrong accept, refused by the client */
    EVP_MD_CTX_free(m);
    EVP_EncodeBlock((unsigned char *)out, md, SHA_DIGEST_LENGTH);
}

/* --- the request ----------------------------------------------------------- */

typedef struct span {
    const char *p;
    size_t n;
} span;

typedef struct req {
    span url, host, key, version, origin;
    span field;            /* the header whose value comes next */
    bool upgrade_ws;       /* Upgrade: lists websocket */
    bool conn_upgrade;     /* Connection: lists upgrade */
    bool proto_header;     /* Sec-WebSocket-Protocol was sent */
    bool proto_xmpp;       /* ... and lists xmpp */
    bool dup;              /* a header that must be single came twice */
    bool done;             /* headers complete */
} req;

static bool is(span s, const char *name)
{
    return s.n == strlen(name) && strncasecmp(s.p, name, s.n) == 0;
}

/* Does the comma-separated list v contain token (case-insensitive when
 * icase)? */
static bool has_token(span v, const char *token, bool icase)
{
    size_t tl = strlen(token), i = 0;
    while (i < v.n) {
        while (i < v.n && (v.p[i] == ' ' || v.p[i] == '\t' || v.p[i] == ','))
            i++;
        size_t s = i;
        while (i < v.n && v.p[i] != ',')
            i++;
        size_t e = i;
        while (e > s && (v.p[e - 1] == ' ' || v.p[e - 1] == '\t'))
            e--;
        if (e - s == tl && (icase ? strncasecmp(v.p + s, token, tl) : strncmp(v.p + s, token, tl)) == 0)
            return true;
    }
    return false;
}

static int on_url(http_parser *hp, const char *at, size_t n)
{
    req *r = hp->data;
    if (r->url.p) { /* one contiguous buffer: pieces are adjacent */
        r->url.n = (size_t)(at + n - r->url.p);
        return 0;
    }
    r->url.p = at;
    r->url.n = n;
    return 0;
}

static int on_field(http_parser *hp, const char *at, size_t n)
{
    req *r = hp->data;
    r->field.p = at;
    r->field.n = n;
    return 0;
}

static void single(req *r, span *dst, span v)
{
    if (dst->p)
        r->dup = true;
    *dst = v;
}

static int on_value(http_parser *hp, const char *at, size_t n)
{
    req *r = hp->data;
    span v = {at, n};
    if (is(r->field, "Host"))
        single(r, &r->host, v);
    else if (is(r->field, "Sec-WebSocket-Key"))
        single(r, &r->key, v);
    else if (is(r->field, "Sec-WebSocket-Version"))
        single(r, &r->version, v);
    else if (is(r->field, "Origin"))
        single(r, &r->origin, v);
    else if (is(r->field, "Upgrade"))
        r->upgrade_ws = r->upgrade_ws || has_token(v, "websocket", true);
    else if (is(r->field, "Connection"))
        r->conn_upgrade = r->conn_upgrade || has_token(v, "upgrade", true);
    else if (is(r->field, "Sec-WebSocket-Protocol")) {
        r->proto_header = true;
        r->proto_xmpp = r->proto_xmpp || has_token(v, EDD_WS_PROTOCOL, false);
    }
    return 0;
}

static int on_headers_complete(http_parser *hp)
{
    ((req *)hp->data)->done = true;
    return 1; /* no body is read */
}

/* --- responses ------------------------------------------------------------- */

static const char *reason(int status)
{
    switch (status) {
    case 101: return "Switching Protocols";
    case 200: return "OK";
    case 400: return "Bad Request";
    case 403: return "Forbidden";
    case 404: return "Not Found";
    case 405: return "Method Not Allowed";
    case 426: return "Upgrade Required";
    case 431: return "Request Header Fields Too Large";
    default: return "Error";
    }
}

/* A final response with a text body (why, for the operator and the
 * browser's console) and Connection: close. */
static edd_ws_http refuse(ed_buf *resp, int status, const char *extra, const char *why,
                         const char **whyp)
{
    ed_buf_printf(resp,
                  "HTTP/1.1 %d %s\r\nContent-Type: text/plain; charset=utf-8\r\n"
                  "Content-Length: %zu\r\n%sConnection: close\r\n\r\n%s\n",
                  status, reason(status), strlen(why) + 1, extra ? extra : "", why);
    *whyp = why;
    return EDD_WS_HTTP_RESPOND;
}

/* Host as a browser sends it: host[:port], IPv6 in brackets. */
static bool host_ok(span h)
{
    if (h.n == 0 || h.n > 255)
        return false;
    for (size_t i = 0; i < h.n; i++) {
        char ch = h.p[i];
        if (!((ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') || (ch >= '0' && ch <= '9') ||
              strchr(".-:[]", ch)))
            return false;
    }
    return true;
}

/* XEP-0156: where the WebSocket endpoint is, in XRD or JSON. */
static edd_ws_http host_meta(const edd_ws_conf *conf, span host, bool json, ed_buf *resp,
                            const char **whyp)
{
    if (!host_ok(host))
        return refuse(resp, 400, NULL, "a Host header (host[:port]) is required", whyp);
    char href[600];
    /* host_ok and the configured path (config_check.c) need no escaping
     * in XML attributes or JSON strings */
    snprintf(href, sizeof href, "%s://%.*s%s", conf->tls ? "wss" : "ws", (int)host.n, host.p,
             conf->path);
    char body[800];
    if (json)
        snprintf(body, sizeof body,
                 "{\"links\":[{\"rel\":\"urn:xmpp:alt-connections:websocket\","
                 "\"href\":\"%s\"}]}\n", href);
    else
        snprintf(body, sizeof body,
                 "<?xml version='1.0' encoding='utf-8'?>\n"
                 "<XRD xmlns='http://docs.oasis-open.org/ns/xri/xrd-1.0'>\n"
                 "  <Link rel='urn:xmpp:alt-connections:websocket' href='%s'/>\n"
                 "</XRD>\n", href);
    ed_buf_printf(resp,
                  "HTTP/1.1 200 OK\r\nContent-Type: %s\r\nContent-Length: %zu\r\n"
                  "Access-Control-Allow-Origin: *\r\nCache-Control: max-age=3600\r\n"
                  "Connection: close\r\n\r\n%s",
                  json ? "application/json" : "application/xrd+xml; charset=utf-8",
                  strlen(body), body);
    *whyp = NULL;
    return EDD_WS_HTTP_RESPOND;
}

static bool origin_allowed(const edd_ws_conf *conf, span o)
{
    if (conf->any_origin || !o.p)
        return true; /* not a browser (it would send one): nothing to check */
    for (unsigned i = 0; i < conf->norigins; i++)
        if (strlen(conf->origins[i]) == o.n && strncasecmp(conf->origins[i], o.p, o.n) == 0)
            return true;
    return false;
}

/* The key: base64 of 16 bytes (24 characters). */
static bool key_ok(span k)
{
    unsigned char raw[20];
    if (k.n != 24 || k.p[22] != '=' || k.p[23] != '=')
        return false;
    for (size_t i = 0; i < 22; i++)
        if (!strchr("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/", k.p[i]))
            return false;
    return EVP_DecodeBlock(raw, (const unsigned char *)k.p, 24) == 18;
}

edd_ws_http edd_ws_http_request(const edd_ws_conf *conf, const char *in, size_t n,
                              ed_buf *resp, size_t *used, const char **whyp)
{
    *whyp = NULL;
    *used = 0;
    size_t lim = n < EDD_WS_HTTP_MAX ? n : EDD_WS_HTTP_MAX;
    const char *end = memmem(in, lim, "\r\n\r\n", 4);
    if (!end) {
        if (n < EDD_WS_HTTP_MAX)
            return EDD_WS_HTTP_MORE;
        return refuse(resp, 431, NULL, "request headers too large", whyp);
    }
    size_t len = (size_t)(end - in) + 4;
    req r = {0};
    http_parser hp;
    http_parser_init(&hp, HTTP_REQUEST);
    hp.data = &r;
    http_parser_settings st = {0};
    st.on_url = on_url;
    st.on_header_field = on_field;
    st.on_header_value = on_value;
    st.on_headers_complete = on_headers_complete;
    http_parser_execute(&hp, &st, in, len);
    if (!r.done || HTTP_PARSER_ERRNO(&hp) != HPE_OK || r.dup)
        return refuse(resp, 400, NULL, r.dup ? "a header that must be single came twice"
                                             : "malformed HTTP request", whyp);
    struct http_parser_url u;
    http_parser_url_init(&u);
    if (!r.url.p || http_parser_parse_url(r.url.p, r.url.n, 0, &u) != 0 ||
        !(u.field_set & (1 << UF_PATH)))
        return refuse(resp, 400, NULL, "bad request target", whyp);
    span path = {r.url.p + u.field_data[UF_PATH].off, u.field_data[UF_PATH].len};
    if (hp.method != HTTP_GET)
        return refuse(resp, 405, "Allow: GET\r\n", "only GET is served here", whyp);
    if (hp.http_major != 1 || hp.http_minor < 1)
        return refuse(resp, 400, NULL, "HTTP/1.1 is required", whyp);
    if (is(path, "/.well-known/host-meta") || is(path, "/.well-known/host-meta.json")) {
        /* exact, case-sensitive paths; is() ignores case: check the bytes */
        if (strncmp(path.p, "/.well-known/host-meta", 22) == 0)
            return host_meta(conf, r.host, path.n > 22, resp, whyp);
    }
    if (path.n != strlen(conf->path) || strncmp(path.p, conf->path, path.n) != 0)
        return refuse(resp, 404, NULL, "no such resource", whyp);
    if (!r.upgrade_ws || !r.conn_upgrade)
        return refuse(resp, 426, "Upgrade: websocket\r\nConnection: Upgrade\r\n"
                                 "Sec-WebSocket-Version: 13\r\n",
                      "this is an XMPP WebSocket endpoint (RFC 7395): upgrade to websocket",
                      whyp);
    if (!is(r.version, "13"))
        return refuse(resp, 426, "Sec-WebSocket-Version: 13\r\n",
                      "Sec-WebSocket-Version 13 is required", whyp);
    if (!key_ok(r.key))
        return refuse(resp, 400, NULL, "a valid Sec-WebSocket-Key is required", whyp);
    if (!host_ok(r.host))
        return refuse(resp, 400, NULL, "a Host header (host[:port]) is required", whyp);
    if (!origin_allowed(conf, r.origin))
        return refuse(resp, 403, NULL, "this Origin is not allowed", whyp);
    if (!r.proto_xmpp)
        return refuse(resp, 400, NULL,
                      r.proto_header ? "Sec-WebSocket-Protocol does not offer xmpp"
                                     : "Sec-WebSocket-Protocol: xmpp is required (RFC 7395)",
                      whyp);
    char accept[29];
    edd_ws_accept(r.key.p, r.key.n, accept);
    ed_buf_printf(resp,
                  "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\n"
                  "Connection: Upgrade\r\nSec-WebSocket-Accept: %s\r\n"
                  "Sec-WebSocket-Protocol: " EDD_WS_PROTOCOL "\r\n\r\n",
                  accept);
    *used = len;
    return EDD_WS_HTTP_UPGRADE;
}
