/* daemon/config/config.h — extdiscod's YAML configuration (docs/extdiscod.yml.5).
 *
 * edd_config_load() reads the file in one pass with libyaml straight into
 * these structs, checks every value (types, unknown keys, durations, hosts,
 * service rules, references), fills in the defaults, resolves
 * relative paths against the directory of the configuration file and reads
 * every secret file into memory.  Any problem refuses the whole file with
 * one message "FILE:LINE: PATH: what" (PATH like services[2].transport, 0-based
 * indexes; omitted when the problem is the file as a whole).
 *
 * No global state: a configuration is a plain value.  A reload loads a new
 * one (and builds a new registry from it) and swaps only on success.
 *
 * Ownership: everything reachable from an edd_config is owned by it and freed
 * by edd_config_free(); secrets are wiped before they are freed.  Do not
 * modify or reallocate its members.  Members marked "resolved" are computed
 * by the loader from the values of the file. */
#ifndef EXTDISCOD_CONFIG_H
#define EXTDISCOD_CONFIG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "extdisco/turn_rest.h"
#include "core/log.h"

#ifdef __cplusplus
extern "C" {
#endif

/* Limits of the loader itself. */
#define EDD_CONFIG_MAX_FILE      (1024 * 1024) /* bytes of YAML */
#define EDD_CONFIG_MAX_NODES     20000         /* YAML nodes */
#define EDD_CONFIG_MAX_LIST      256           /* entries of any list */
#define EDD_CONFIG_MAX_STR       1023          /* bytes of any string */
#define EDD_CONFIG_MAX_SECRET    4096          /* bytes of a secret file */
#define EDD_CONFIG_MAX_DURATION  (10 * 366 * 86400LL) /* 10 years */

typedef enum edd_listen_tls {
    EDD_LISTEN_STARTTLS = 0, /* plain connect, STARTTLS offered */
    EDD_LISTEN_DIRECT,       /* XEP-0368 direct TLS */
    EDD_LISTEN_NONE          /* no TLS at all (tests, loopback) */
} edd_listen_tls;

typedef enum edd_listen_kind {
    EDD_LISTEN_XMPP = 0,     /* XMPP over TCP (RFC 6120) */
    EDD_LISTEN_WEBSOCKET     /* XMPP over WebSocket (RFC 7395), HTTP/1.1 */
} edd_listen_kind;

typedef struct edd_cfg_log {
    edd_log_level level; /* default info */
    bool syslog;        /* default false: stderr */
} edd_cfg_log;

/* An access list: "*" (anyone), domains (every JID whose domain is exactly
 * that domain; subdomains do NOT match) and bare JIDs (exactly that JID).
 * Entries are normalised (ed_jid_normalize) by the loader. */
typedef struct edd_cfg_acl {
    char **entries;
    unsigned nentries;
} edd_cfg_acl;

typedef struct edd_cfg_access {
    edd_cfg_acl services;    /* who may list services */
    edd_cfg_acl credentials; /* who may receive credentials */
    /* resolved: false when the key was absent; the list is then filled
     * with a copy of `domains` (the users of the served domains). */
    bool services_set;
    bool credentials_set;
} edd_cfg_access;

typedef struct edd_cfg_turn_secret {
    char *name;
    char **secret_files; /* resolved to absolute paths; newest first */
    unsigned nsecret_files;
    char *ttl_text;      /* as written, or NULL */
    int64_t ttl;         /* seconds (default 12h) */
    ed_hmac_alg algorithm; /* default sha1 */
    char *separator;     /* exactly one character; default ":" */
    ed_turn_user_mode user; /* default token */
    /* resolved: the secrets, same order as secret_files; never log them */
    char **secrets;
    size_t *secret_lens;
} edd_cfg_turn_secret;

/* A client network (per-network service sets): a client belongs to the
 * first network of `networks:` whose rules it meets; a service or provider
 * with `networks:` is offered only to clients of those networks.  Rules: the
 * client's address in one of `addresses` (CIDR; only where the role knows
 * the address: standalone, the TCP peer or the PROXY header's source), and
 * the requester's domain in `domains`; an empty list does not restrict. */
#define EDD_CONFIG_MAX_NETWORKS 63 /* bit 63 of a mask: no network (netscope.h) */

typedef struct edd_cfg_network {
    char *name;
    char **addresses;    /* "10.0.0.0/8", "2001:db8::/32", a bare address */
    unsigned naddresses;
    char **domains;      /* normalised */
    unsigned ndomains;
} edd_cfg_network;

typedef enum edd_provider_preset {
    EDD_PROVIDER_CLOUDFLARE = 0, /* Cloudflare Realtime TURN */
    EDD_PROVIDER_TWILIO,         /* Twilio Network Traversal Service */
    EDD_PROVIDER_GENERIC         /* any JSON API: url, method, auth, body, response */
} edd_provider_preset;

typedef enum edd_provider_method {
    EDD_PROVIDER_POST = 0,
    EDD_PROVIDER_GET
} edd_provider_method;

typedef enum edd_provider_auth {
    EDD_PROVIDER_AUTH_BEARER = 0, /* Authorization: Bearer KEY */
    EDD_PROVIDER_AUTH_BASIC,      /* Authorization: Basic base64(key_user:KEY) */
    EDD_PROVIDER_AUTH_HEADER,     /* auth_header: KEY */
    EDD_PROVIDER_AUTH_NONE
} edd_provider_auth;

/* Where the ICE servers are in a JSON response: dot-separated member paths
 * from the top object ("iceServers", "data.ice_servers"); urls, url,
 * username and credential are members of each server; ttl (optional) is a
 * path from the top object to a number or a numeric string. */
typedef struct edd_cfg_provider_response {
    char *ice_servers;
    char *urls;
    char *url;           /* singular fallback (Twilio writes both) */
    char *username;
    char *credential;
    char *ttl;           /* NULL: the configured ttl */
} edd_cfg_provider_response;

/* An HTTP credential provider (`turn_providers:`, daemon/providers/). */
typedef struct edd_cfg_provider {
    char *name;
    edd_provider_preset preset;
    char *url;           /* presets: the API base (default: the vendor's);
                            generic: the whole URL (required) */
    char *key_id;        /* cloudflare: TURN key id; twilio: account SID */
    char *key_user;      /* basic auth user (twilio: default the account SID) */
    char *api_key_file;  /* resolved to an absolute path, or NULL (auth none) */
    edd_provider_method method;  /* generic; presets POST */
    edd_provider_auth auth;      /* generic; cloudflare bearer, twilio basic */
    char *auth_header;   /* auth header: its name */
    char *body;          /* generic: request body, "{ttl}" replaced */
    char *content_type;  /* generic: of the body (default application/json) */
    edd_cfg_provider_response *response; /* generic; NULL: the defaults */
    char *ttl_text;
    int64_t ttl;         /* seconds asked for (default 1d) */
    int64_t cache_percent; /* serve a result for this % of its TTL, then refresh */
    char *timeout_text;
    int64_t timeout;     /* whole request, seconds (default 10) */
    char *retry_min_text, *retry_max_text;
    int64_t retry_min;   /* first back-off after an error (default 5s) */
    int64_t retry_max;   /* back-off cap (default 5m) */
    char *ca_file;       /* resolved; NULL: the system's CAs */
    int64_t max_response_bytes; /* default 65536 */
    char **networks;     /* names of `networks` entries; none: everyone */
    unsigned nnetworks;
    /* resolved */
    char *request_url;   /* the URL requested */
    char *api_key;       /* the key; never log it */
    size_t api_key_len;
    uint64_t network_mask; /* bit i: networks[i] of the config; 0: everyone */
} edd_cfg_provider;

typedef struct edd_cfg_name {
    char *lang;
    char *text;
} edd_cfg_name;

typedef struct edd_cfg_form_field {
    char *var;
    char *type;  /* NULL when absent */
    char *label; /* NULL when absent */
    char **values;
    unsigned nvalues;
} edd_cfg_form_field;

typedef struct edd_cfg_form {
    char *form_type; /* NULL when absent */
    edd_cfg_form_field *fields;
    unsigned nfields;
} edd_cfg_form;

/* Health checks (`check:` at the top: defaults for every service; `check:`
 * on a service: its own values, each absent one taken from the top).
 * daemon/health/ runs them. */
typedef struct edd_cfg_check {
    int enabled;          /* TRISTATE: -1 absent; top default 1 */
    char *interval_text;  /* as written, or NULL */
    int64_t interval;     /* seconds; top default 30; 0 in a service: absent */
    char *timeout_text;
    int64_t timeout;      /* seconds; top default 5 */
    int64_t fall;         /* failures in a row to mark down; top default 3 */
    int64_t rise;         /* successes in a row to mark up; top default 2 */
    char *ca_file;        /* top only: trusted CAs (PEM) for stuns/turns
                             instead of the system's; resolved absolute */
    bool order_by_latency; /* top only: replies list each type's services
                              fastest first (daemon/health/); default false */
} edd_cfg_check;

#define EDD_CHECK_MAX_INTERVAL 86400 /* seconds */
#define EDD_CHECK_MAX_TIMEOUT  60
#define EDD_CHECK_MAX_COUNT    100   /* fall, rise */

typedef struct edd_cfg_service {
    char *type;
    char *host;
    int64_t port;
    char *transport;
    char *name;          /* default-language name or NULL */
    int restricted;      /* -1 absent, 0 false, 1 true */
    char *credentials;   /* name of a turn_secrets entry or NULL */
    char *username;      /* static username or NULL */
    char *password_file; /* resolved to an absolute path, or NULL */
    edd_cfg_form *extended; /* NULL when absent */
    bool allow_local;
    edd_cfg_name *names;  /* from the `names` mapping, in file order */
    size_t nnames;
    char **networks;     /* names of `networks` entries; none: everyone */
    unsigned nnetworks;
    edd_cfg_check *check; /* NULL when absent */
    /* resolved */
    uint64_t network_mask; /* bit i: networks[i] of the config; 0: everyone */
    edd_cfg_check eff;   /* the effective check: this service's values over
                            the top's (ca_file borrowed from the top) */
    char *password;      /* the static password; never log it */
    int credentials_index; /* index into edd_config.turn_secrets, or -1 */
} edd_cfg_service;

typedef struct edd_cfg_component {
    char *server;        /* "host:port" as written */
    char *jid;           /* the component's domain JID, normalised */
    char *secret_file;   /* resolved to an absolute path */
    /* resolved */
    char *secret;        /* never log it */
    char *host;          /* from server, without brackets */
    int port;
} edd_cfg_component;

typedef struct edd_cfg_tls {
    char *cert; /* resolved to absolute paths */
    char *key;
} edd_cfg_tls;

typedef struct edd_cfg_listen {
    char *address;        /* as written: "127.0.0.1:5222", "[::1]:5222" */
    edd_listen_tls tls;    /* default starttls */
    bool proxy_protocol;  /* expect a PROXY protocol header first */
    bool consider_secure; /* tls: none behind a TLS-terminating proxy: its
                           * connections count as encrypted (SASL, host-meta) */
    edd_listen_kind kind;  /* default xmpp */
    /* kind websocket only */
    char *path;           /* the WebSocket endpoint, default /xmpp-websocket */
    char **origins;       /* allowed Origin values (exact, "*": any); none
                           * listed: any Origin */
    unsigned norigins;
    /* resolved from address */
    char *host;           /* numeric address without brackets */
    int port;
} edd_cfg_listen;

typedef struct edd_cfg_c2s {
    char *domain;        /* normalised; must be one of `domains` */
    char *database;      /* resolved to an absolute path, or NULL */
    edd_cfg_tls *tls;     /* NULL when absent */
    bool require_tls;    /* default true */
    edd_cfg_listen *listen;
    unsigned nlisten;
} edd_cfg_c2s;

typedef struct edd_cfg_limits {
    int64_t max_stanza_bytes;  /* default 65536 */
    int64_t max_depth;         /* default 32 */
    int64_t max_attrs;         /* default 64 */
    int64_t max_connections;   /* default 10000 */
    int64_t max_pending_iqs;   /* default 64 */
    int64_t max_unauth_per_address; /* max_unauthenticated_per_address, 16 */
    char *handshake_timeout_text; /* as written, or NULL */
    char *idle_timeout_text;
    int64_t handshake_timeout; /* seconds, default 30 */
    int64_t idle_timeout;      /* seconds, default 600 */
} edd_cfg_limits;

/* One client-address range of http.allow ("10.0.0.0/8", "::1"). */
typedef struct edd_cfg_cidr {
    int family;                /* AF_INET or AF_INET6 */
    unsigned char addr[16];    /* network address (host bits cleared) */
    unsigned prefix;           /* 0..32 or 0..128 */
} edd_cfg_cidr;

/* The HTTP listener (daemon/http/): /metrics, /health, /ready, /status. */
#define EDD_HTTP_DEFAULT_LISTEN "127.0.0.1:9215"
typedef struct edd_cfg_http {
    char **listen;           /* "IP:PORT" / "[IPV6]:PORT"; default
                              * EDD_HTTP_DEFAULT_LISTEN (loopback) */
    unsigned nlisten;
    char **allow;            /* client address ranges; none: any client */
    unsigned nallow;
    char *token_file;        /* bearer token file (absolute), or NULL */
    int64_t max_connections; /* default 64 */
    int64_t max_header_bytes;/* request line + headers, default 8192 */
    char *timeout_text;      /* as written, or NULL */
    int64_t timeout;         /* seconds, default 10: a request's deadline
                              * from its first byte, and keep-alive idle */
    /* resolved */
    char **hosts;            /* listen[i] without brackets */
    int *ports;
    edd_cfg_cidr *cidrs;     /* allow[i] parsed */
    char *token;             /* never log it */
    size_t token_len;
} edd_cfg_http;

typedef struct edd_config {
    edd_cfg_log log;
    char *user;              /* drop privileges to this user, or NULL */
    char **domains;          /* normalised, at least one */
    unsigned ndomains;
    edd_cfg_access access;    /* lists always filled (defaults applied) */
    char *default_lang;      /* resolved default "en" */
    bool serve_v1;           /* default true */
    bool inline_credentials; /* default true */
    edd_cfg_turn_secret *turn_secrets;
    unsigned nturn_secrets;
    edd_cfg_service *services; /* at least one, unless turn_providers */
    unsigned nservices;
    edd_cfg_network *networks;
    unsigned nnetworks;
    edd_cfg_provider *turn_providers;
    unsigned nturn_providers;
    edd_cfg_component *components;
    unsigned ncomponents;
    edd_cfg_c2s *c2s;         /* NULL: no standalone mode */
    edd_cfg_limits limits;    /* defaults applied */
    edd_cfg_http *http;       /* NULL: no HTTP listener */
    edd_cfg_check check;      /* health-check defaults (defaults applied) */
    /* resolved */
    char *path;              /* absolute path of the file loaded */
    char *dir;               /* its directory; base of relative paths */
} edd_config;

/* Load and check path.  NULL on failure with err (errlen bytes, always
 * NUL-terminated when errlen > 0) set to "FILE:LINE: what" (or "FILE:
 * what" for the file as a whole, e.g. when it cannot be opened).  The result is
 * freed with edd_config_free(). */
edd_config *edd_config_load(const char *path, char *err, size_t errlen);

/* Wipe the secrets and free everything; NULL is a no-op. */
void edd_config_free(edd_config *cfg);

/* printf into the caller's error buffer err (errlen bytes; nothing when err
 * is NULL or errlen 0); the loader's and the registry's way of reporting. */
void edd_set_err(char *err, size_t errlen, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* Write the effective configuration (defaults filled in, names normalised,
 * paths absolute, durations in seconds) as YAML to out: `extdiscod -n -v`.
 * Secrets are never written, only the files they are read from (marked
 * "# contents: <redacted>").  The output loads as the same configuration. */
void edd_config_dump(const edd_config *cfg, FILE *out);

/* Parse a duration: "90s", "10m", "12h", "1d" or plain seconds, 1 ..
 * EDD_CONFIG_MAX_DURATION.  false on anything else. */
bool edd_config_parse_duration(const char *s, int64_t *out);

#ifdef __cplusplus
}
#endif
#endif
