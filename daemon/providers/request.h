/* daemon/providers/request.h — the HTTP request of a provider, made from
 * its configuration and preset:
 *   cloudflare  POST {base}/turn/keys/{key_id}/credentials/generate-ice-servers
 *               Authorization: Bearer KEY, application/json {"ttl": N}
 *   twilio      POST {base}/Accounts/{sid}/Tokens.json, HTTP basic
 *               (key_user or the SID : KEY), form body Ttl=N
 *   generic     url, method, auth (bearer, basic, a named header, none),
 *               body with "{ttl}" replaced by N, content_type
 * and the response mapping each preset reads (response.h).  Pure: no I/O. */
#ifndef EXTDISCOD_PROVIDERS_REQUEST_H
#define EXTDISCOD_PROVIDERS_REQUEST_H

#include <stdbool.h>
#include <stddef.h>

#include "config/config.h"

typedef struct edd_prov_map {
    char *ice_servers; /* path of the list (a single object is a list of one) */
    char *urls;        /* a string or a list of strings */
    char *url;         /* fallback when urls is absent */
    char *username;
    char *credential;
    char *ttl;         /* path to the TTL (number or numeric string), or NULL */
} edd_prov_map;

typedef struct edd_prov_request {
    char *url;
    bool post;
    char *body;          /* NULL: none (GET) */
    char *content_type;  /* of the body */
    char *auth_line;     /* "Authorization: Bearer KEY" / "Name: KEY"; SECRET */
    char *userpwd;       /* basic auth "user:KEY"; SECRET */
    char *ca_file;       /* NULL: the system's CAs */
    long timeout_ms;
    size_t max_bytes;    /* response body cap */
    edd_prov_map map;
} edd_prov_request;

/* Build from a checked configuration entry.  false: no memory (out is then
 * cleared). */
bool edd_prov_request_build(const edd_cfg_provider *cfg, edd_prov_request *out);

/* Deep copy; false: no memory (dst cleared). */
bool edd_prov_request_copy(edd_prov_request *dst, const edd_prov_request *src);

/* Same request (every field, the key included: compared, never shown). */
bool edd_prov_request_equal(const edd_prov_request *a, const edd_prov_request *b);

/* Wipe the secrets, free everything, zero. */
void edd_prov_request_clear(edd_prov_request *r);

#endif
