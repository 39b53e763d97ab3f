/* daemon/providers/response.h — a provider's JSON response as ICE servers
 * (jansson: one document, valid UTF-8, no NUL in strings, no duplicate
 * keys), and those as XEP-0215 services.
 *
 * Both presets answer with a list of RTCIceServer-like objects:
 *   Cloudflare: {"iceServers": [{"urls": [...], "username", "credential"}, ...]}
 *               (the older .../credentials/generate: "iceServers" is one object)
 *   Twilio:     {"ice_servers": [{"url", "urls", "username"?, "credential"?}], "ttl": "86400", ...}
 * and a generic provider names its members (edd_prov_map).  Pure: no I/O;
 * the fuzz target tests/fuzz/fuzz_provider.c feeds it arbitrary bytes. */
#ifndef EXTDISCOD_PROVIDERS_RESPONSE_H
#define EXTDISCOD_PROVIDERS_RESPONSE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "extdisco/xep0215.h"
#include "providers/request.h"

/* Bounds on what a response may hold (more is refused, not truncated). */
#define EDD_PROV_MAX_SERVERS 32
#define EDD_PROV_MAX_URLS    64   /* in all */
#define EDD_PROV_MAX_STRING  513  /* bytes of a URL, username or credential */

typedef struct edd_ice_server {
    char **urls;
    size_t nurls;
    char *username;    /* NULL when absent */
    char *credential;  /* NULL when absent; a secret: wiped on clear */
} edd_ice_server;

typedef struct edd_ice_list {
    edd_ice_server *v;
    size_t n;
    int64_t ttl;       /* from the response (map->ttl), 0 when none */
} edd_ice_list;

/* Parse body (len bytes, any content) with map.  false with why (a short
 * reason without any of the response's values) on malformed JSON, a
 * missing or mistyped member, a bound exceeded or no memory; out is then
 * empty.  A server with no URL is skipped. */
bool edd_prov_parse(const char *body, size_t len, const edd_prov_map *map,
                    edd_ice_list *out, char *why, size_t whylen);

void edd_ice_list_clear(edd_ice_list *l);

/* Every URL of l as a service (ed_service_from_uri): credentials from its
 * server (static username/password with `expires`; restricted='true'),
 * a STUN URL without them stays public.  Unusable URLs (another scheme,
 * turns over udp, ...) and a second URL with the identity of an earlier one
 * are skipped and counted in *skipped.  *defs is a new array (n may be 0)
 * freed with edd_prov_defs_free().  false: no memory. */
bool edd_prov_to_defs(const edd_ice_list *l, int64_t expires, ed_service_def **defs,
                      size_t *n, size_t *skipped);

/* Wipe the passwords, free. */
void edd_prov_defs_free(ed_service_def *defs, size_t n);

#endif
