/* daemon/config/config_check.c — the semantic half of the configuration loader,
 * after the one pass of config_yaml.c has filled the structs (types, ranges
 * and defaults are the schema's): normalisation, relative paths, secret
 * files, references, and the rules a service set must follow so that real
 * clients use it (/work/shared/notes/interop.md).  Every message carries
 * FILE:LINE through the path -> line map of config_yaml.c. */
#include "config/config_int.h"
#include "core/file.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

#include "extdisco/jid.h"
#include "extdisco/service.h"
#include "core/netscope.h"


void edd_secret_free(char *s, size_t len)
{
    if (!s)
        return;
    explicit_bzero(s, len);
    free(s);
}

/* ------------------------------------------------------------------ */
/* Small parsers                                                        */

/* "host:port" / "[v6]:port" -> host (malloc'd, no brackets) and port.
 * numeric: host must be an IP literal. */
static bool parse_hostport(const char *s, bool numeric, char **host, int *port)
{
    const char *colon;
    const char *hs, *he;
    if (s[0] == '[') {
        he = strchr(s, ']');
        if (!he || he[1] != ':')
            return false;
        hs = s + 1;
        colon = he + 1;
    } else {
        colon = strrchr(s, ':');
        if (!colon || memchr(s, ':', (size_t)(colon - s)))
            return false; /* bare IPv6 needs brackets */
        hs = s;
        he = colon;
    }
    size_t hl = (size_t)(he - hs);
    if (hl == 0 || hl > 255)
        return false;
    const char *ps = colon + 1;
    if (!*ps || strlen(ps) > 5 || strspn(ps, "0123456789") != strlen(ps))
        return false;
    long pv = strtol(ps, NULL, 10);
    if (pv < 1 || pv > 65535)
        return false;
    char h[256];
    memcpy(h, hs, hl);
    h[hl] = '\0';
    unsigned char addr[16];
    bool is_ip = inet_pton(AF_INET, h, addr) == 1 || inet_pton(AF_INET6, h, addr) == 1;
    if (s[0] == '[' && inet_pton(AF_INET6, h, addr) != 1)
        return false;
    if (!is_ip) {
        if (numeric)
            return false;
        if (strspn(h, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789.-") != hl)
            return false;
    }
    *host = strdup(h);
    if (!*host)
        return false;
    *port = (int)pv;
    return true;
}

/* Replace *p (a malloc string) by its absolute form. */
bool edd_cfgc_resolve_path(ctx *c, char **p, const char *path)
{
    if (!*p || (*p)[0] == '/')
        return true;
    size_t n = strlen(c->cfg->dir) + 1 + strlen(*p) + 1;
    if (n > PATH_MAX)
        return FAIL(path, "path too long");
    char *abs = malloc(n);
    if (!abs)
        return FAIL(path, "out of memory");
    size_t dl = strlen(c->cfg->dir);
    memcpy(abs, c->cfg->dir, dl);
    abs[dl] = '/';
    memcpy(abs + dl + 1, *p, strlen(*p) + 1);
    free(*p);
    *p = abs;
    return true;
}

/* Read a secret file: regular (a FIFO or device is refused without
 * blocking, core/file.h), at most EDD_CONFIG_MAX_SECRET bytes, trailing CR/LF
 * stripped, not empty.  The message names the path, never content.  *out is
 * EDD_CONFIG_MAX_SECRET + 2 bytes (edd_secret_free). */
bool edd_cfgc_read_secret(ctx *c, const char *file, const char *path, char **out,
                        size_t *outlen)
{
    char *buf, why[256];
    size_t n;
    if (edd_file_read(file, EDD_CONFIG_MAX_SECRET, &buf, &n, why, sizeof why) != 0)
        return FAIL(path, "cannot read secret file %s: %s", file, why);
    if (memchr(buf, '\0', n)) {
        edd_secret_free(buf, EDD_CONFIG_MAX_SECRET + 2);
        return FAIL(path, "secret file %s contains a NUL byte", file);
    }
    while (n > 0 && (buf[n - 1] == '\n' || buf[n - 1] == '\r'))
        n--;
    buf[n] = '\0';
    if (n == 0) {
        edd_secret_free(buf, EDD_CONFIG_MAX_SECRET + 2);
        return FAIL(path, "secret file %s is empty", file);
    }
    *out = buf;
    *outlen = n;
    return true;
}

/* Normalise a domain (no local part, no resource) in place. */
bool edd_cfgc_norm_domain(ctx *c, char **s, const char *path)
{
    ed_err e = ED_OK;
    char *n = ed_jid_normalize(*s, &e);
    if (!n || strchr(n, '@') || strchr(n, '/')) {
        free(n);
        return FAIL(path, "'%s' is not a domain", *s);
    }
    free(*s);
    *s = n;
    return true;
}

/* ------------------------------------------------------------------ */
/* Sections                                                             */

static bool check_top(ctx *c)
{
    edd_config *cfg = c->cfg;
    char path[P];
    if (!edd_is_lang_tag(cfg->default_lang))
        return FAIL("default_lang", "'%s' is not a language tag", cfg->default_lang);
    if (cfg->ndomains == 0)
        return FAIL("domains", "no domains configured");
    for (unsigned i = 0; i < cfg->ndomains; i++) {
        snprintf(path, sizeof path, "domains[%u]", i);
        if (!edd_cfgc_norm_domain(c, &cfg->domains[i], path))
            return false;
        for (unsigned k = 0; k < i; k++)
            if (strcmp(cfg->domains[k], cfg->domains[i]) == 0)
                return FAIL(path, "duplicate domain %s", cfg->domains[i]);
    }
    return true;
}

static bool check_acl(ctx *c, edd_cfg_acl *acl, bool set, const char *name)
{
    char path[P];
    if (!set) {
        /* default: users of the served domains */
        acl->entries = calloc(c->cfg->ndomains, sizeof *acl->entries);
        if (!acl->entries)
            return FAIL("", "out of memory");
        for (unsigned i = 0; i < c->cfg->ndomains; i++) {
            if (!(acl->entries[i] = strdup(c->cfg->domains[i])))
                return FAIL("", "out of memory");
            acl->nentries = i + 1;
        }
        return true;
    }
    for (unsigned i = 0; i < acl->nentries; i++) {
        snprintf(path, sizeof path, "access.%s[%u]", name, i);
        if (strcmp(acl->entries[i], "*") == 0)
            continue;
        ed_err e = ED_OK;
        char *n = ed_jid_normalize(acl->entries[i], &e);
        if (!n || strchr(n, '/')) {
            free(n);
            return FAIL(path, "'%s' is not a domain or bare JID", acl->entries[i]);
        }
        free(acl->entries[i]);
        acl->entries[i] = n;
    }
    return true;
}

static bool check_turn_secrets(ctx *c)
{
    char path[P];
    for (unsigned i = 0; i < c->cfg->nturn_secrets; i++) {
        edd_cfg_turn_secret *t = &c->cfg->turn_secrets[i];
        snprintf(path, sizeof path, "turn_secrets[%u].name", i);
        for (unsigned k = 0; k < i; k++)
            if (strcmp(c->cfg->turn_secrets[k].name, t->name) == 0)
                return FAIL(path, "duplicate turn_secrets name '%s'", t->name);
        snprintf(path, sizeof path, "turn_secrets[%u].separator", i);
        if (strlen(t->separator) != 1 || t->separator[0] <= ' ' ||
            (unsigned char)t->separator[0] > 0x7e)
            return FAIL(path, "must be one printable ASCII character");
        t->secrets = calloc(t->nsecret_files, sizeof *t->secrets);
        t->secret_lens = calloc(t->nsecret_files, sizeof *t->secret_lens);
        if (!t->secrets || !t->secret_lens)
            return FAIL("", "out of memory");
        for (unsigned k = 0; k < t->nsecret_files; k++) {
            snprintf(path, sizeof path, "turn_secrets[%u].secret_files[%u]", i, k);
            if (!edd_cfgc_resolve_path(c, &t->secret_files[k], path) ||
                !edd_cfgc_read_secret(c, t->secret_files[k], path, &t->secrets[k],
                             &t->secret_lens[k]))
                return false;
        }
    }
    return true;
}

static bool is_tls_type(const char *type)
{
    return strcmp(type, "turns") == 0 || strcmp(type, "stuns") == 0;
}

/* The identity the library matches and diffs by (ed_service_same_identity),
 * borrowing s's strings: duplicates are what clients and pushes see as one. */
static ed_service identity_of(const edd_cfg_service *s)
{
    ed_service v;
    ed_service_init(&v);
    v.type = s->type;
    v.host = s->host;
    v.port = (int)s->port;
    v.transport = s->transport;
    return v;
}

/* The check's values (top: path "check"; a service: "services[N].check"):
 * ranges the schema cannot say (durations) and timeout <= interval. */
static bool check_ranges(ctx *c, const edd_cfg_check *k, const char *path,
                         const edd_cfg_check *eff)
{
    char sub[2 * P];
#define KSUB(key) (snprintf(sub, sizeof sub, "%s.%s", path, key), sub)
    if (k->interval_text && k->interval > EDD_CHECK_MAX_INTERVAL)
        return FAIL(KSUB("interval"), "%s is over the maximum of %d seconds",
                    k->interval_text, EDD_CHECK_MAX_INTERVAL);
    if (k->timeout_text && k->timeout > EDD_CHECK_MAX_TIMEOUT)
        return FAIL(KSUB("timeout"), "%s is over the maximum of %d seconds",
                    k->timeout_text, EDD_CHECK_MAX_TIMEOUT);
    if (eff->timeout > eff->interval)
        return FAIL(k->timeout_text ? KSUB("timeout") : KSUB("interval"),
                    "the check timeout (%llds) is longer than its interval (%llds)",
                    (long long)eff->timeout, (long long)eff->interval);
#undef KSUB
    return true;
}

/* services[i].eff: the service's check values over the top's. */
static bool check_health(ctx *c, edd_cfg_service *s, const char *path)
{
    const edd_cfg_check *top = &c->cfg->check;
    s->eff = *top;
    s->eff.interval_text = s->eff.timeout_text = NULL;
    const edd_cfg_check *k = s->check;
    if (!k)
        return true;
    if (k->enabled >= 0)
        s->eff.enabled = k->enabled;
    if (k->interval_text)
        s->eff.interval = k->interval;
    if (k->timeout_text)
        s->eff.timeout = k->timeout;
    if (k->fall > 0)
        s->eff.fall = k->fall;
    if (k->rise > 0)
        s->eff.rise = k->rise;
    char kp[2 * P];
    snprintf(kp, sizeof kp, "%s.check", path);
    return check_ranges(c, k, kp, &s->eff);
}

static bool check_service(ctx *c, unsigned i)
{
    edd_cfg_service *s = &c->cfg->services[i];
    char path[32], sub[2 * P];
    snprintf(path, sizeof path, "services[%u]", i);
#define SUB(key) (snprintf(sub, sizeof sub, "%s.%s", path, key), sub)

    s->credentials_index = -1;
    if (!ed_is_ncname(s->type))
        return FAIL(SUB("type"), "'%s' is not a valid service type", s->type);
    if (s->host[0] == '[')
        return FAIL(SUB("host"),
                    "'%s': write the IPv6 address without brackets (a service host "
                    "is a hostname or an IP address, not a URI)", s->host);
    if (ed_check_host(s->host) != ED_OK)
        return FAIL(SUB("host"), "'%s' is not a hostname or IP address", s->host);
    unsigned char ipbuf[16];
    bool is_ip = inet_pton(AF_INET, s->host, ipbuf) == 1 ||
                 inet_pton(AF_INET6, s->host, ipbuf) == 1;
    if (!s->allow_local && !is_ip && ed_host_is_local(s->host))
        return FAIL(SUB("host"),
                    "%s is a local name (localhost, RFC 6761, or .local, multicast DNS); "
                    "set allow_local: true to advertise it anyway", s->host);
    if (!s->allow_local && ed_host_is_local(s->host))
        return FAIL(SUB("host"),
                    "%s is a local address (loopback, private or unspecified); "
                    "set allow_local: true to advertise it anyway", s->host);
    if (s->port == 0) /* the schema reads 1 .. 65535 */
        return FAIL(path, "no port (clients drop services without port/transport)");
    if (!s->transport)
        return FAIL(path, "no transport (clients drop services without port/transport)");
    /* Clients drop any other transport (interop.md rule 2); TLS is in the
     * type (turns, stuns), never in the transport. */
    if (strcmp(s->transport, "udp") != 0 && strcmp(s->transport, "tcp") != 0)
        return FAIL(SUB("transport"),
                    "'%s' is not a transport clients accept: use udp or tcp "
                    "(lower case; for TLS use type turns or stuns with tcp)",
                    s->transport);
    if (is_tls_type(s->type) && strcmp(s->transport, "udp") == 0)
        return FAIL(SUB("transport"), "%s over udp: TLS services need transport tcp",
                    s->type);

    bool is_turn = strcmp(s->type, "turn") == 0 || strcmp(s->type, "turns") == 0;
    if (s->credentials) {
        for (unsigned k = 0; k < c->cfg->nturn_secrets; k++)
            if (strcmp(c->cfg->turn_secrets[k].name, s->credentials) == 0)
                s->credentials_index = (int)k;
        if (s->credentials_index < 0)
            return FAIL(SUB("credentials"),
                        "unknown credentials '%s' (no turn_secrets entry has that name)",
                        s->credentials);
        if (s->username || s->password_file)
            return FAIL(SUB("credentials"),
                        "use either credentials or username/password_file, not both");
    }
    if (s->username && !s->password_file)
        return FAIL(SUB("username"), "username without password_file");
    if (s->password_file && !s->username)
        return FAIL(SUB("password_file"), "password_file without username");
    if (s->password_file) {
        size_t len;
        if (!edd_cfgc_resolve_path(c, &s->password_file, SUB("password_file")) ||
            !edd_cfgc_read_secret(c, s->password_file, sub, &s->password, &len))
            return false;
    }
    if (is_turn && !s->credentials && !s->username)
        return FAIL(path, "%s service without credentials (clients drop it): "
                          "set credentials or username/password_file", s->type);
    if (s->extended) {
        for (unsigned k = 0; k < s->extended->nfields; k++)
            if (strcmp(s->extended->fields[k].var, "FORM_TYPE") == 0) {
                snprintf(sub, sizeof sub, "%s.extended.fields[%u].var", path, k);
                return FAIL(sub, "set FORM_TYPE with form_type");
            }
    }
    if (!check_health(c, s, path))
        return false;
    ed_service me = identity_of(s);
    for (unsigned k = 0; k < i; k++) {
        ed_service other = identity_of(&c->cfg->services[k]);
        if (ed_service_same_identity(&other, &me))
            return FAIL(path, "same type, host, port and transport as services[%u]", k);
    }
#undef SUB
    return true;
}

static bool same_host(const char *a, const char *b)
{
    unsigned char x[16], y[16];
    if (inet_pton(AF_INET, a, x) == 1)
        return inet_pton(AF_INET, b, y) == 1 && memcmp(x, y, 4) == 0;
    if (inet_pton(AF_INET6, a, x) == 1)
        return inet_pton(AF_INET6, b, y) == 1 && memcmp(x, y, 16) == 0;
    size_t la = strlen(a), lb = strlen(b);
    if (la && a[la - 1] == '.')
        la--;
    if (lb && b[lb - 1] == '.')
        lb--;
    return la == lb && strncasecmp(a, b, la) == 0;
}

static bool check_components(ctx *c)
{
    char path[P];
    for (unsigned i = 0; i < c->cfg->ncomponents; i++) {
        edd_cfg_component *co = &c->cfg->components[i];
        snprintf(path, sizeof path, "components[%u].server", i);
        if (!parse_hostport(co->server, false, &co->host, &co->port))
            return FAIL(path, "bad server address '%s' (expected HOST:PORT or [IPV6]:PORT)",
                        co->server);
        snprintf(path, sizeof path, "components[%u].jid", i);
        if (!edd_cfgc_norm_domain(c, &co->jid, path))
            return false;
        /* The server accepts one link per component JID: two entries for
         * the same server and JID would replace each other forever
         * (conflict, reconnect, conflict).  The same JID on different
         * servers (e.g. the nodes of a cluster) is fine. */
        for (unsigned k = 0; k < i; k++) {
            const edd_cfg_component *o = &c->cfg->components[k];
            if (o->port == co->port && same_host(o->host, co->host) &&
                strcmp(o->jid, co->jid) == 0) {
                snprintf(path, sizeof path, "components[%u]", i);
                return FAIL(path, "same server and jid as components[%u] (%s, %s): "
                                  "the two links would take each other's place forever",
                            k, co->server, co->jid);
            }
        }
        snprintf(path, sizeof path, "components[%u].secret_file", i);
        size_t len;
        if (!edd_cfgc_resolve_path(c, &co->secret_file, path) ||
            !edd_cfgc_read_secret(c, co->secret_file, path, &co->secret, &len))
            return false;
    }
    return true;
}

/* Would binding b fail because a is bound?  Same port and family, and the
 * same address or either one the wildcard (0.0.0.0 or ::). */
static bool listen_overlap(const edd_cfg_listen *a, const edd_cfg_listen *b)
{
    unsigned char x[16], y[16];
    static const unsigned char any[16] = {0};
    if (a->port != b->port)
        return false;
    if (inet_pton(AF_INET, a->host, x) == 1) {
        if (inet_pton(AF_INET, b->host, y) != 1)
            return false;
        return memcmp(x, y, 4) == 0 || memcmp(x, any, 4) == 0 || memcmp(y, any, 4) == 0;
    }
    if (inet_pton(AF_INET6, a->host, x) != 1 || inet_pton(AF_INET6, b->host, y) != 1)
        return false;
    /* IPv6 listeners are bound IPV6_V6ONLY: they never clash with IPv4 ones */
    return memcmp(x, y, 16) == 0 || memcmp(x, any, 16) == 0 || memcmp(y, any, 16) == 0;
}

/* A WebSocket endpoint path: absolute, visible ASCII, no query or
 * fragment, not one of the host-meta documents served beside it. */
static bool ws_path_ok(const char *p)
{
    size_t n = strlen(p);
    if (n < 1 || n > 256 || p[0] != '/')
        return false;
    for (size_t i = 0; i < n; i++)
        if (p[i] <= 0x20 || p[i] >= 0x7f || p[i] == '?' || p[i] == '#')
            return false;
    return strcmp(p, "/.well-known/host-meta") != 0 &&
           strcmp(p, "/.well-known/host-meta.json") != 0;
}

/* An allowed Origin (RFC 6454 serialisation): "*", or http(s)://host[:port]
 * with no path; compared case-insensitively at the handshake. */
static bool ws_origin_ok(const char *o)
{
    if (strcmp(o, "*") == 0)
        return true;
    const char *h = strncmp(o, "https://", 8) == 0 ? o + 8
                    : strncmp(o, "http://", 7) == 0 ? o + 7 : NULL;
    if (!h || !*h || strlen(h) > 255)
        return false;
    for (; *h; h++)
        if (!((*h >= 'a' && *h <= 'z') || (*h >= 'A' && *h <= 'Z') ||
              (*h >= '0' && *h <= '9') || strchr(".-:[]", *h)))
            return false;
    return true;
}

/* The keys of a `kind: websocket` listener (and that an xmpp one has none
 * of them), and consider_secure (any kind, only with tls: none). */
static bool check_ws_listen(ctx *c, edd_cfg_listen *l, unsigned i)
{
    char path[P];
    if (l->consider_secure && l->tls != EDD_LISTEN_NONE) {
        snprintf(path, sizeof path, "c2s.listen[%u].consider_secure", i);
        return FAIL(path, "only a listener with tls: none can be considered secure (it is "
                          "for a TLS-terminating proxy in front of a plaintext listener)");
    }
    if (l->kind != EDD_LISTEN_WEBSOCKET) {
        snprintf(path, sizeof path, "c2s.listen[%u].%s", i, l->path ? "path" : "origins");
        if (l->path || l->norigins)
            return FAIL(path, "only a listener of kind websocket has %s",
                        l->path ? "a path" : "origins");
        return true;
    }
    if (l->tls == EDD_LISTEN_STARTTLS) {
        snprintf(path, sizeof path, "c2s.listen[%u].tls", i);
        return FAIL(path, "a websocket listener takes tls: direct (wss://) or none (ws://); "
                          "WebSocket has no STARTTLS");
    }
    if (!l->path && !(l->path = strdup("/xmpp-websocket")))
        return FAIL("c2s", "out of memory");
    snprintf(path, sizeof path, "c2s.listen[%u].path", i);
    if (!ws_path_ok(l->path))
        return FAIL(path, "bad path '%s' (expected /PATH: visible ASCII, no '?' or '#', "
                          "at most 256 bytes, not a /.well-known/host-meta document)",
                    l->path);
    for (unsigned k = 0; k < l->norigins; k++) {
        snprintf(path, sizeof path, "c2s.listen[%u].origins[%u]", i, k);
        if (!ws_origin_ok(l->origins[k]))
            return FAIL(path, "bad origin '%s' (expected \"*\" or http[s]://HOST[:PORT], "
                              "no path)", l->origins[k]);
    }
    return true;
}

static bool check_c2s(ctx *c)
{
    edd_cfg_c2s *s = c->cfg->c2s;
    char path[P];
    if (!s)
        return true;
    if (!edd_cfgc_norm_domain(c, &s->domain, "c2s.domain"))
        return false;
    bool served = false;
    for (unsigned i = 0; i < c->cfg->ndomains; i++)
        served = served || strcmp(c->cfg->domains[i], s->domain) == 0;
    if (!served)
        return FAIL("c2s.domain", "%s is not one of domains", s->domain);
    if (!edd_cfgc_resolve_path(c, &s->database, "c2s.database"))
        return false;
    if (s->tls && (!edd_cfgc_resolve_path(c, &s->tls->cert, "c2s.tls.cert") ||
                   !edd_cfgc_resolve_path(c, &s->tls->key, "c2s.tls.key")))
        return false;
    for (unsigned i = 0; i < s->nlisten; i++) {
        edd_cfg_listen *l = &s->listen[i];
        snprintf(path, sizeof path, "c2s.listen[%u].address", i);
        if (!parse_hostport(l->address, true, &l->host, &l->port))
            return FAIL(path, "bad listen address '%s' (expected IP:PORT or [IPV6]:PORT)",
                        l->address);
        if (!check_ws_listen(c, l, i))
            return false;
        if (l->tls != EDD_LISTEN_NONE && !s->tls) {
            snprintf(path, sizeof path, "c2s.listen[%u]", i);
            return FAIL(path, "TLS listener but no c2s.tls (cert and key)");
        }
        for (unsigned k = 0; k < i; k++) {
            if (listen_overlap(&s->listen[k], l))
                return FAIL(path, "'%s' is the same address as c2s.listen[%u] ('%s'): "
                                  "the second cannot be bound",
                            l->address, k, s->listen[k].address);
        }
    }
    /* last, so that the listener checks above keep their messages */
    if (!s->database) {
        const edd_ymap_entry *e = edd_ymap_find(c->m, "c2s");
        return edd_cfg_fail_at(c->m, c->err, c->errlen, e ? e->key_line : 1, "c2s",
                              "missing required key 'database' (the account "
                              "database of the standalone server)");
    }
    return true;
}

/* "10.0.0.0/8", "2001:db8::/32", "127.0.0.1" (one address). */
static bool parse_cidr(const char *s, edd_cfg_cidr *out)
{
    char a[64];
    const char *slash = strchr(s, '/');
    size_t al = slash ? (size_t)(slash - s) : strlen(s);
    if (al == 0 || al >= sizeof a)
        return false;
    memcpy(a, s, al);
    a[al] = '\0';
    memset(out, 0, sizeof *out);
    unsigned max;
    if (inet_pton(AF_INET, a, out->addr) == 1) {
        out->family = AF_INET;
        max = 32;
    } else if (inet_pton(AF_INET6, a, out->addr) == 1) {
        out->family = AF_INET6;
        max = 128;
    } else {
        return false;
    }
    out->prefix = max;
    if (slash) {
        const char *p = slash + 1;
        if (!*p || strlen(p) > 3 || strspn(p, "0123456789") != strlen(p))
            return false;
        long v = strtol(p, NULL, 10);
        if (v < 0 || v > (long)max)
            return false;
        out->prefix = (unsigned)v;
    }
    for (unsigned bit = out->prefix; bit < max; bit++)
        out->addr[bit / 8] &= (unsigned char)~(0x80u >> (bit % 8));
    return true;
}

static bool check_http(ctx *c)
{
    edd_cfg_http *h = c->cfg->http;
    char path[P];
    if (!h)
        return true;
    if (h->nlisten == 0) {
        if (edd_ymap_has(c->m, "http.listen"))
            return FAIL("http.listen", "no address to listen on (leave the key out for "
                                       "the default " EDD_HTTP_DEFAULT_LISTEN ")");
        h->listen = calloc(1, sizeof *h->listen);
        if (!h->listen || !(h->listen[0] = strdup(EDD_HTTP_DEFAULT_LISTEN)))
            return FAIL("http", "out of memory");
        h->nlisten = 1;
    }
    h->hosts = calloc(h->nlisten, sizeof *h->hosts);
    h->ports = calloc(h->nlisten, sizeof *h->ports);
    h->cidrs = calloc(h->nallow ? h->nallow : 1, sizeof *h->cidrs);
    if (!h->hosts || !h->ports || !h->cidrs)
        return FAIL("http", "out of memory");
    for (unsigned i = 0; i < h->nlisten; i++) {
        snprintf(path, sizeof path, "http.listen[%u]", i);
        if (!parse_hostport(h->listen[i], true, &h->hosts[i], &h->ports[i]))
            return FAIL(path, "bad listen address '%s' (expected IP:PORT or [IPV6]:PORT)",
                        h->listen[i]);
        for (unsigned k = 0; k < i; k++)
            if (h->ports[k] == h->ports[i] && same_host(h->hosts[k], h->hosts[i]))
                return FAIL(path, "'%s' is the same address as http.listen[%u]",
                            h->listen[i], k);
    }
    for (unsigned i = 0; i < h->nallow; i++) {
        snprintf(path, sizeof path, "http.allow[%u]", i);
        if (!parse_cidr(h->allow[i], &h->cidrs[i]))
            return FAIL(path, "bad address range '%s' (expected IP, IP/PREFIX)", h->allow[i]);
    }
    if (h->token_file) {
        if (!edd_cfgc_resolve_path(c, &h->token_file, "http.token_file") ||
            !edd_cfgc_read_secret(c, h->token_file, "http.token_file", &h->token, &h->token_len))
            return false;
        for (size_t i = 0; i < h->token_len; i++)
            if ((unsigned char)h->token[i] <= 0x20 || (unsigned char)h->token[i] >= 0x7f)
                return FAIL("http.token_file", "the token in %s must be printable ASCII "
                                               "without spaces", h->token_file);
    }
    return true;
}

bool edd_config_resolve(edd_config *cfg, const edd_ymap *m, char *err, size_t errlen)
{
    ctx cc = { cfg, m, err, errlen };
    ctx *c = &cc;

    char *abs = realpath(m->file, NULL);
    if (!abs)
        return FAIL("", "cannot resolve path: %s", strerror(errno));
    cfg->path = abs;
    cfg->dir = strdup(abs);
    if (!cfg->dir)
        return FAIL("", "out of memory");
    char *slash = strrchr(cfg->dir, '/');
    if (slash == cfg->dir)
        slash[1] = '\0';
    else if (slash)
        *slash = '\0';

    cfg->access.services_set = edd_ymap_has(m, "access.services");
    cfg->access.credentials_set = edd_ymap_has(m, "access.credentials");
    if (!check_top(c) ||
        !check_acl(c, &cfg->access.services, cfg->access.services_set, "services") ||
        !check_acl(c, &cfg->access.credentials, cfg->access.credentials_set,
                   "credentials") ||
        !check_turn_secrets(c) || !edd_cfgc_check_networks(c))
        return false;
    if (!check_ranges(c, &cfg->check, "check", &cfg->check) ||
        !edd_cfgc_resolve_path(c, &cfg->check.ca_file, "check.ca_file"))
        return false;
    if (cfg->check.ca_file && access(cfg->check.ca_file, R_OK) != 0)
        return FAIL("check.ca_file", "cannot read %s: %s", cfg->check.ca_file,
                    strerror(errno));
    if (cfg->nservices == 0 && cfg->nturn_providers == 0)
        return FAIL("services", "no services configured");
    for (unsigned i = 0; i < cfg->nservices; i++) {
        char where[32];
        snprintf(where, sizeof where, "services[%u]", i);
        if (!check_service(c, i) ||
            !edd_cfgc_network_mask(c, cfg->services[i].networks, cfg->services[i].nnetworks, where,
                          &cfg->services[i].network_mask))
            return false;
    }
    for (unsigned i = 0; i < cfg->nturn_providers; i++)
        if (!edd_cfgc_check_provider(c, i))
            return false;
    if (!check_components(c) || !check_c2s(c) || !check_http(c))
        return false;
    if (cfg->ncomponents == 0 && !cfg->c2s)
        return FAIL("", "neither components nor c2s configured: nothing to serve");
    return true;
}

void edd_config_free_resolved(edd_config *cfg)
{
    free(cfg->path);
    free(cfg->dir);
    cfg->path = cfg->dir = NULL;
    for (unsigned i = 0; cfg->turn_secrets && i < cfg->nturn_secrets; i++) {
        edd_cfg_turn_secret *t = &cfg->turn_secrets[i];
        for (unsigned k = 0; t->secrets && t->secret_lens && k < t->nsecret_files; k++)
            if (t->secrets[k])
                edd_secret_free(t->secrets[k], t->secret_lens[k]);
        free(t->secrets); /* entries NULL unless both arrays exist */
        free(t->secret_lens);
        t->secrets = NULL;
        t->secret_lens = NULL;
    }
    for (unsigned i = 0; cfg->services && i < cfg->nservices; i++) {
        edd_cfg_service *s = &cfg->services[i];
        if (s->password)
            edd_secret_free(s->password, strlen(s->password));
        s->password = NULL;
    }
    for (unsigned i = 0; cfg->turn_providers && i < cfg->nturn_providers; i++) {
        edd_cfg_provider *p = &cfg->turn_providers[i];
        if (p->api_key)
            edd_secret_free(p->api_key, EDD_CONFIG_MAX_SECRET + 2);
        free(p->request_url);
        p->api_key = p->request_url = NULL;
    }
    for (unsigned i = 0; cfg->components && i < cfg->ncomponents; i++) {
        edd_cfg_component *co = &cfg->components[i];
        if (co->secret)
            edd_secret_free(co->secret, strlen(co->secret));
        free(co->host);
        co->secret = co->host = NULL;
    }
    for (unsigned i = 0; cfg->c2s && i < cfg->c2s->nlisten; i++) {
        free(cfg->c2s->listen[i].host);
        cfg->c2s->listen[i].host = NULL;
    }
    edd_cfg_http *h = cfg->http;
    if (h) {
        for (unsigned i = 0; h->hosts && i < h->nlisten; i++)
            free(h->hosts[i]);
        free(h->hosts);
        free(h->ports);
        free(h->cidrs);
        if (h->token)
            edd_secret_free(h->token, EDD_CONFIG_MAX_SECRET + 2);
        h->hosts = NULL;
        h->ports = NULL;
        h->cidrs = NULL;
        h->token = NULL;
    }
}
