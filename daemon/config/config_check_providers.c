/* daemon/config/config_check_providers.c — the semantic checks of
 * `networks:` and `turn_providers:` (split from config_check.c, which calls
 * them from edd_config_resolve): network names and rules, provider URLs,
 * presets, key files and response paths.  Every message carries FILE:LINE. */
#include "config/config_int.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "extdisco/jid.h"
#include "extdisco/service.h"
#include "core/netscope.h"

/* ------------------------------------------------------------------ */
/* Networks and HTTP credential providers                               */

bool edd_cfgc_check_networks(ctx *c)
{
    char path[P];
    for (unsigned i = 0; i < c->cfg->nnetworks; i++) {
        edd_cfg_network *n = &c->cfg->networks[i];
        snprintf(path, sizeof path, "networks[%u].name", i);
        for (unsigned k = 0; k < i; k++)
            if (strcmp(c->cfg->networks[k].name, n->name) == 0)
                return FAIL(path, "duplicate network name '%s'", n->name);
        for (unsigned k = 0; k < n->naddresses; k++) {
            edd_cidr cidr;
            snprintf(path, sizeof path, "networks[%u].addresses[%u]", i, k);
            if (!edd_cidr_parse(n->addresses[k], &cidr))
                return FAIL(path, "'%s' is not an address or CIDR block (like 10.0.0.0/8 or "
                                  "2001:db8::/32, host bits zero)", n->addresses[k]);
        }
        for (unsigned k = 0; k < n->ndomains; k++) {
            snprintf(path, sizeof path, "networks[%u].domains[%u]", i, k);
            if (!edd_cfgc_norm_domain(c, &n->domains[k], path))
                return false;
        }
    }
    return true;
}

/* names (of `networks` entries) -> bit mask. */
bool edd_cfgc_network_mask(ctx *c, char **names, unsigned n, const char *where,
                         uint64_t *mask)
{
    char path[2 * P];
    *mask = 0;
    for (unsigned i = 0; i < n; i++) {
        unsigned k = 0;
        while (k < c->cfg->nnetworks && strcmp(c->cfg->networks[k].name, names[i]) != 0)
            k++;
        snprintf(path, sizeof path, "%s.networks[%u]", where, i);
        if (k == c->cfg->nnetworks)
            return FAIL(path, "unknown network '%s' (no networks entry has that name)",
                        names[i]);
        *mask |= UINT64_C(1) << k;
    }
    return true;
}

/* Characters that may go into a URL path segment as they are. */
static bool url_segment_ok(const char *s)
{
    return *s && strspn(s, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
                           "0123456789-_.~") == strlen(s);
}

/* A response path: dot-separated JSON member names, none empty. */
static bool json_path_ok(const char *s)
{
    size_t n = strlen(s);
    return n && s[0] != '.' && s[n - 1] != '.' && !strstr(s, "..");
}

/* The URL a preset requests: base (or the vendor's) + the documented path. */
static bool provider_url(ctx *c, edd_cfg_provider *p, const char *path)
{
    char sub[2 * P];
    const char *base = p->url;
    const char *pre = NULL, *post = NULL; /* around key_id */
    switch (p->preset) {
    case EDD_PROVIDER_CLOUDFLARE:
        if (!base)
            base = "https://rtc.live.cloudflare.com/v1";
        pre = "/turn/keys/";
        post = "/credentials/generate-ice-servers";
        break;
    case EDD_PROVIDER_TWILIO:
        if (!base)
            base = "https://api.twilio.com/2010-04-01";
        pre = "/Accounts/";
        post = "/Tokens.json";
        break;
    case EDD_PROVIDER_GENERIC:
        break;
    }
    snprintf(sub, sizeof sub, "%s.url", path);
    if (!base)
        return FAIL(path, "generic provider without url");
    if (strncasecmp(base, "https://", 8) != 0 || strlen(base) < 9)
        return FAIL(sub, "'%s' is not an https:// URL (keys never go out in clear)", base);
    if (strpbrk(base, " \t\r\n\"<>\\^`{|}"))
        return FAIL(sub, "'%s' has characters a URL cannot hold", base);
    if (!pre) {
        p->request_url = strdup(base);
    } else {
        size_t bl = strlen(base);
        while (bl > 9 && base[bl - 1] == '/')
            bl--; /* "https://x/v1/" and "https://x/v1" are one base */
        size_t n = bl + strlen(pre) + strlen(p->key_id) + strlen(post) + 1;
        if ((p->request_url = malloc(n)))
            snprintf(p->request_url, n, "%.*s%s%s%s", (int)bl, base, pre, p->key_id, post);
    }
    if (!p->request_url)
        return FAIL("", "out of memory");
    return true;
}

bool edd_cfgc_check_provider(ctx *c, unsigned i)
{
    edd_cfg_provider *p = &c->cfg->turn_providers[i];
    char path[P], sub[2 * P];
    snprintf(path, sizeof path, "turn_providers[%u]", i);
#define SUB(key) (snprintf(sub, sizeof sub, "%s.%s", path, key), sub)
    for (unsigned k = 0; k < i; k++)
        if (strcmp(c->cfg->turn_providers[k].name, p->name) == 0)
            return FAIL(SUB("name"), "duplicate turn_providers name '%s'", p->name);
    bool generic = p->preset == EDD_PROVIDER_GENERIC;
    if (!generic) {
        static const char *const only_generic[] = {"auth_header", "body", "content_type",
                                                   "response"};
        for (size_t k = 0; k < sizeof only_generic / sizeof *only_generic; k++)
            if (edd_ymap_has(c->m, "%s.%s", path, only_generic[k]))
                return FAIL(SUB(only_generic[k]),
                            "set by the preset (only a generic provider takes it)");
        /* method and auth may be written as the preset has them (the dump
         * of -n -v does) */
        edd_provider_auth want = p->preset == EDD_PROVIDER_CLOUDFLARE ? EDD_PROVIDER_AUTH_BEARER
                                                                      : EDD_PROVIDER_AUTH_BASIC;
        if (edd_ymap_has(c->m, "%s.method", path) && p->method != EDD_PROVIDER_POST)
            return FAIL(SUB("method"), "the preset sends POST");
        if (edd_ymap_has(c->m, "%s.auth", path) && p->auth != want)
            return FAIL(SUB("auth"), "the preset authenticates with %s",
                        want == EDD_PROVIDER_AUTH_BEARER ? "bearer" : "basic");
        if (!p->key_id)
            return FAIL(path, "missing required key 'key_id' (%s)",
                        p->preset == EDD_PROVIDER_CLOUDFLARE ? "the TURN key id"
                                                             : "the account SID");
        p->method = EDD_PROVIDER_POST;
        p->auth = p->preset == EDD_PROVIDER_CLOUDFLARE ? EDD_PROVIDER_AUTH_BEARER
                                                       : EDD_PROVIDER_AUTH_BASIC;
    }
    if (p->key_id && !url_segment_ok(p->key_id))
        return FAIL(SUB("key_id"), "'%s': letters, digits, '-', '_', '.', '~' only", p->key_id);
    if (!provider_url(c, p, path))
        return false;
    if (p->auth == EDD_PROVIDER_AUTH_HEADER) {
        if (!p->auth_header || !url_segment_ok(p->auth_header))
            return FAIL(SUB("auth_header"), "auth header needs auth_header, a header name");
    } else if (p->auth_header) {
        return FAIL(SUB("auth_header"), "only with auth: header");
    }
    if (p->auth == EDD_PROVIDER_AUTH_BASIC && !p->key_user && !p->key_id)
        return FAIL(SUB("key_user"), "basic auth needs key_user (or key_id)");
    if (p->key_user && (strchr(p->key_user, ':') || strpbrk(p->key_user, "\r\n")))
        return FAIL(SUB("key_user"), "no ':' or line breaks in a basic auth user");
    if (p->auth == EDD_PROVIDER_AUTH_NONE) {
        if (p->api_key_file)
            return FAIL(SUB("api_key_file"), "auth none sends no key");
    } else {
        if (!p->api_key_file)
            return FAIL(path, "missing required key 'api_key_file'");
        if (!edd_cfgc_resolve_path(c, &p->api_key_file, SUB("api_key_file")) ||
            !edd_cfgc_read_secret(c, p->api_key_file, sub, &p->api_key, &p->api_key_len))
            return false;
        if (strpbrk(p->api_key, "\r\n"))
            return FAIL(SUB("api_key_file"), "the key has a line break inside");
    }
    if (p->body && p->method == EDD_PROVIDER_GET)
        return FAIL(SUB("body"), "a GET request has no body");
    if (p->content_type && strpbrk(p->content_type, "\r\n"))
        return FAIL(SUB("content_type"), "line break in a header value");
    if (p->response) {
        const char *keys[] = {"ice_servers", "urls", "url", "username", "credential", "ttl"};
        const char *vals[] = {p->response->ice_servers, p->response->urls, p->response->url,
                              p->response->username, p->response->credential,
                              p->response->ttl};
        for (size_t k = 0; k < 6; k++) {
            if (!vals[k])
                continue;
            snprintf(sub, sizeof sub, "%s.response.%s", path, keys[k]);
            if (!json_path_ok(vals[k]) || (k >= 1 && k <= 4 && strchr(vals[k], '.')))
                return FAIL(sub, "'%s' is not a JSON member %s", vals[k],
                            k == 0 || k == 5 ? "path (names joined by '.')" : "name");
        }
    }
    if (p->retry_min > p->retry_max)
        return FAIL(SUB("retry_min"), "longer than retry_max (%llds)",
                    (long long)p->retry_max);
    if (p->timeout > 300)
        return FAIL(SUB("timeout"), "at most 5m");
    if (p->ttl < 10)
        return FAIL(SUB("ttl"), "at least 10s");
    if (p->ca_file && !edd_cfgc_resolve_path(c, &p->ca_file, SUB("ca_file")))
        return false;
    if (!edd_cfgc_network_mask(c, p->networks, p->nnetworks, path, &p->network_mask))
        return false;
#undef SUB
    return true;
}

/* Do two host strings (no brackets) name the same host?  IP literals by
 * value (2001:db8::1 = 2001:DB8:0::1), names case-insensitively. */
