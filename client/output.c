/* client/output.c — table, JSON, RTCIceServer[] and URI output for the
 * `extdisco` command. */
#include "cli.h"

#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "extdisco/datetime.h"

/* --- JSON writer ------------------------------------------------------------ */

void jw_init(jw *w, FILE *f)
{
    memset(w, 0, sizeof *w);
    w->f = f;
}

static void jw_raw_str(FILE *f, const char *s)
{
    fputc('"', f);
    for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
        switch (*p) {
        case '"': fputs("\\\"", f); break;
        case '\\': fputs("\\\\", f); break;
        case '\n': fputs("\\n", f); break;
        case '\r': fputs("\\r", f); break;
        case '\t': fputs("\\t", f); break;
        default:
            if (*p < 0x20 || *p == 0x7f)
                fprintf(f, "\\u%04x", *p);
            else
                fputc(*p, f);
        }
    }
    fputc('"', f);
}

static void jw_key(jw *w, const char *key)
{
    if (w->comma[w->depth])
        fputc(',', w->f);
    w->comma[w->depth] = true;
    if (key) {
        jw_raw_str(w->f, key);
        fputc(':', w->f);
    }
}

static void jw_open(jw *w, const char *key, char ch)
{
    jw_key(w, key);
    fputc(ch, w->f);
    if (w->depth < 31)
        w->depth++;
    w->comma[w->depth] = false;
}

void jw_obj(jw *w, const char *key) { jw_open(w, key, '{'); }
void jw_arr(jw *w, const char *key) { jw_open(w, key, '['); }

void jw_obj_end(jw *w)
{
    if (w->depth > 0)
        w->depth--;
    fputc('}', w->f);
}

void jw_arr_end(jw *w)
{
    if (w->depth > 0)
        w->depth--;
    fputc(']', w->f);
}

void jw_str(jw *w, const char *key, const char *v)
{
    jw_key(w, key);
    if (v)
        jw_raw_str(w->f, v);
    else
        fputs("null", w->f);
}

void jw_int(jw *w, const char *key, long long v)
{
    jw_key(w, key);
    fprintf(w->f, "%lld", v);
}

void jw_bool(jw *w, const char *key, bool v)
{
    jw_key(w, key);
    fputs(v ? "true" : "false", w->f);
}

void jw_null(jw *w, const char *key)
{
    jw_key(w, key);
    fputs("null", w->f);
}

void jw_end(jw *w)
{
    fputc('\n', w->f);
    w->comma[0] = false;
    fflush(w->f);
}

/* --- services ----------------------------------------------------------------- */

bool cli_service_uri(const ed_service *s, char *out, size_t cap)
{
    if (!s->type || !s->host)
        return false;
    bool turn = strcmp(s->type, "turn") == 0 || strcmp(s->type, "turns") == 0;
    bool stun = strcmp(s->type, "stun") == 0 || strcmp(s->type, "stuns") == 0;
    if (!turn && !stun)
        return false;
    bool v6 = strchr(s->host, ':') != NULL && s->host[0] != '[';
    char port[16] = "";
    if (s->port >= 0)
        snprintf(port, sizeof port, ":%d", s->port);
    int len = snprintf(out, cap, "%s:%s%s%s%s", s->type, v6 ? "[" : "", s->host,
                       v6 ? "]" : "", port);
    /* RFC 7065: turn/turns carry ?transport=; RFC 7064 stun URIs have no
     * query part. */
    if (turn && s->transport && len > 0 && (size_t)len < cap)
        snprintf(out + len, cap - (size_t)len, "?transport=%s", s->transport);
    return true;
}

const char *cli_expiry_str(int64_t expires, int64_t now, char *buf, size_t cap)
{
    if (!expires) {
        snprintf(buf, cap, "-");
        return buf;
    }
    char dt[ED_DATETIME_BUFSZ];
    if (!ed_datetime_format(expires, dt))
        snprintf(dt, sizeof dt, "%" PRId64, expires);
    int64_t d = expires - now;
    if (d <= 0)
        snprintf(buf, cap, "%s (expired)", dt);
    else if (d >= 3600)
        snprintf(buf, cap, "%s (in %" PRId64 "h%02" PRId64 "m)", dt, d / 3600,
                 (d % 3600) / 60);
    else
        snprintf(buf, cap, "%s (in %" PRId64 "m%02" PRId64 "s)", dt, d / 60, d % 60);
    return buf;
}

void cli_json_service(jw *w, const char *key, const ed_service *s)
{
    char uri[600];
    jw_obj(w, key);
    jw_str(w, "type", s->type);
    jw_str(w, "host", s->host);
    if (s->port >= 0)
        jw_int(w, "port", s->port);
    else
        jw_null(w, "port");
    jw_str(w, "transport", s->transport);
    jw_str(w, "name", s->name);
    if (s->restricted >= 0)
        jw_bool(w, "restricted", s->restricted == 1);
    else
        jw_null(w, "restricted");
    jw_str(w, "username", s->username);
    jw_str(w, "password", s->password);
    if (s->expires) {
        char dt[ED_DATETIME_BUFSZ];
        jw_str(w, "expires", ed_datetime_format(s->expires, dt) ? dt : NULL);
        jw_int(w, "expires_unix", s->expires);
    } else {
        jw_null(w, "expires");
        jw_null(w, "expires_unix");
    }
    jw_str(w, "uri", cli_service_uri(s, uri, sizeof uri) ? uri : NULL);
    jw_obj_end(w);
}

static void print_json(FILE *f, const char *entity, const char *ns,
                       const ed_service *v, size_t n, size_t skipped)
{
    jw w;
    jw_init(&w, f);
    jw_obj(&w, NULL);
    jw_str(&w, "entity", entity);
    jw_str(&w, "namespace", ns);
    jw_int(&w, "skipped", (long long)skipped);
    jw_arr(&w, "services");
    for (size_t i = 0; i < n; i++)
        cli_json_service(&w, NULL, &v[i]);
    jw_arr_end(&w);
    jw_obj_end(&w);
    jw_end(&w);
}

/* The URL of s in an RTCIceServer, or false when s does not belong there:
 * stuns (browsers reject the scheme), stun over tcp (browsers do STUN over
 * udp only), turns over udp (DTLS: nothing a browser can use), other types. */
static bool ice_url(const ed_service *s, char *uri, size_t cap)
{
    if (strcmp(s->type, "stuns") == 0 || !cli_service_uri(s, uri, cap))
        return false;
    if (s->transport && strcmp(s->type, "stun") == 0 &&
        strcasecmp(s->transport, "udp") != 0)
        return false;
    if (s->transport && strcmp(s->type, "turns") == 0 &&
        strcasecmp(s->transport, "udp") == 0)
        return false;
    return true;
}

/* A TURN entry without username and password is useless as an
 * RTCIceServer (the browser rejects it or fails the allocation). */
static bool ice_usable(const ed_service *s)
{
    return strcmp(s->type, "stun") == 0 || (s->username && s->password);
}

/* WebRTC RTCIceServer[]: one object per stun and turn/turns URL (see
 * ice_url); an URL already given is not repeated; TURN entries without
 * credentials are left out with a warning on stderr. */
static void print_ice(FILE *f, const ed_service *v, size_t n)
{
    jw w;
    jw_init(&w, f);
    jw_arr(&w, NULL);
    for (size_t i = 0; i < n; i++) {
        const ed_service *s = &v[i];
        char uri[600], prev[600];
        if (!ice_url(s, uri, sizeof uri))
            continue;
        if (!ice_usable(s)) {
            fprintf(stderr, "extdisco: warning: %s left out of --ice-servers: no "
                    "credentials (none inline, none from <credentials/>)\n", uri);
            continue;
        }
        bool dup = false;
        for (size_t j = 0; j < i && !dup; j++)
            dup = ice_url(&v[j], prev, sizeof prev) && ice_usable(&v[j]) &&
                  strcasecmp(prev, uri) == 0; /* scheme, host: any case */
        if (dup)
            continue;
        jw_obj(&w, NULL);
        jw_arr(&w, "urls");
        jw_str(&w, NULL, uri);
        jw_arr_end(&w);
        if (strcmp(s->type, "stun") != 0) {
            jw_str(&w, "username", s->username);
            jw_str(&w, "credential", s->password);
        }
        jw_obj_end(&w);
    }
    jw_arr_end(&w);
    jw_end(&w);
}

static void print_uris(FILE *f, const ed_service *v, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        char uri[600];
        if (cli_service_uri(&v[i], uri, sizeof uri))
            fprintf(f, "%s\n", uri);
    }
}

static void print_table(FILE *f, const cli_opts *o, const char *entity,
                        const char *ns, const ed_service *v, size_t n,
                        size_t skipped, int64_t now)
{
    fprintf(f, "%zu service%s from %s (%s)%s\n", n, n == 1 ? "" : "s", entity, ns,
            skipped ? "" : "");
    if (skipped)
        fprintf(f, "%zu malformed entr%s skipped\n", skipped, skipped == 1 ? "y" : "ies");
    if (!n)
        return;
    fprintf(f, "%-6s %-9s %-28s %-5s %-10s %-34s %s\n", "TYPE", "TRANSPORT",
            "HOST", "PORT", "RESTRICTED", "EXPIRES", "CREDENTIALS");
    for (size_t i = 0; i < n; i++) {
        const ed_service *s = &v[i];
        char port[12] = "-", exp[80], cred[700];
        if (s->port >= 0)
            snprintf(port, sizeof port, "%d", s->port);
        if (s->username || s->password)
            snprintf(cred, sizeof cred, "%s / %s", s->username ? s->username : "-",
                     !s->password ? "-" : o->show_secrets ? s->password : "***");
        else
            snprintf(cred, sizeof cred, "-");
        fprintf(f, "%-6s %-9s %-28s %-5s %-10s %-34s %s", s->type,
                s->transport ? s->transport : "-", s->host, port,
                s->restricted < 0 ? "-" : s->restricted ? "true" : "false",
                cli_expiry_str(s->expires, now, exp, sizeof exp), cred);
        if (s->name)
            fprintf(f, "  \"%s\"", s->name);
        fputc('\n', f);
    }
}

void cli_print_services(FILE *f, const cli_opts *o, const char *entity,
                        const char *ns, const ed_service *v, size_t n,
                        size_t skipped, int64_t now)
{
    switch (o->format) {
    case CLI_JSON: print_json(f, entity, ns, v, n, skipped); break;
    case CLI_ICE: print_ice(f, v, n); break;
    case CLI_URIS: print_uris(f, v, n); break;
    default: print_table(f, o, entity, ns, v, n, skipped, now); break;
    }
}
