/* daemon/config/config.c — extdiscod's configuration: the schema (what the file
 * may hold, with types, limits and defaults: one table per struct of
 * config.h), the load sequence (read the file, one pass of config_yaml.c
 * into the structs, the semantic checks of config_check.c), free, and the
 * redacted dump of `extdiscod -n -v`.  See config.h. */
#include "config/config_int.h"
#include "core/file.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ------------------------------------------------------------------ */
/* Schema                                                               */

/* One field: key, type, member of struct st, then options (edd_field). */
#define F(key_, type_, st, member, ...) \
    { .key = key_, .type = EDD_F_##type_, .off = offsetof(st, member), __VA_ARGS__ }
#define COUNT(st, member) .count = offsetof(st, member)
#define SUB(st, fields) .sub = fields, .size = sizeof(st)
#define END { .key = NULL }

/* Enums are read and written as int. */
_Static_assert(sizeof(edd_log_level) == sizeof(int), "enum size");
_Static_assert(sizeof(ed_hmac_alg) == sizeof(int), "enum size");
_Static_assert(sizeof(ed_turn_user_mode) == sizeof(int), "enum size");
_Static_assert(sizeof(edd_listen_tls) == sizeof(int), "enum size");
_Static_assert(sizeof(edd_provider_preset) == sizeof(int), "enum size");
_Static_assert(sizeof(edd_provider_method) == sizeof(int), "enum size");
_Static_assert(sizeof(edd_provider_auth) == sizeof(int), "enum size");
_Static_assert(sizeof(edd_listen_kind) == sizeof(int), "enum size");

static const edd_enum_name levels[] = {
    { "error", EDD_LOG_ERROR }, { "warn", EDD_LOG_WARN },
    { "info", EDD_LOG_INFO },   { "debug", EDD_LOG_DEBUG }, { NULL, 0 },
};
static const edd_enum_name algs[] = {
    { "sha1", ED_HMAC_SHA1 }, { "sha256", ED_HMAC_SHA256 }, { NULL, 0 },
};
static const edd_enum_name user_modes[] = {
    { "token", ED_TURN_USER_TOKEN }, { "jid", ED_TURN_USER_JID },
    { "none", ED_TURN_USER_NONE }, { NULL, 0 },
};
static const edd_enum_name listen_tls[] = {
    { "starttls", EDD_LISTEN_STARTTLS }, { "direct", EDD_LISTEN_DIRECT },
    { "none", EDD_LISTEN_NONE }, { NULL, 0 },
};
static const edd_enum_name listen_kinds[] = {
    { "xmpp", EDD_LISTEN_XMPP }, { "websocket", EDD_LISTEN_WEBSOCKET }, { NULL, 0 },
};

static const edd_enum_name presets[] = {
    { "cloudflare", EDD_PROVIDER_CLOUDFLARE }, { "twilio", EDD_PROVIDER_TWILIO },
    { "generic", EDD_PROVIDER_GENERIC }, { NULL, 0 },
};
static const edd_enum_name methods[] = {
    { "POST", EDD_PROVIDER_POST }, { "GET", EDD_PROVIDER_GET }, { NULL, 0 },
};
static const edd_enum_name auths[] = {
    { "bearer", EDD_PROVIDER_AUTH_BEARER }, { "basic", EDD_PROVIDER_AUTH_BASIC },
    { "header", EDD_PROVIDER_AUTH_HEADER }, { "none", EDD_PROVIDER_AUTH_NONE }, { NULL, 0 },
};

static const edd_field log_fields[] = {
    F("level", ENUM, edd_cfg_log, level, .names = levels, .def = EDD_LOG_INFO),
    F("syslog", BOOL, edd_cfg_log, syslog),
    END
};

static const edd_field access_fields[] = {
    F("services", STRS, edd_cfg_access, services.entries,
      COUNT(edd_cfg_access, services.nentries), .max = EDD_CONFIG_MAX_LIST),
    F("credentials", STRS, edd_cfg_access, credentials.entries,
      COUNT(edd_cfg_access, credentials.nentries), .max = EDD_CONFIG_MAX_LIST),
    END
};

static const edd_field turn_secret_fields[] = {
    F("name", STR, edd_cfg_turn_secret, name, .required = true),
    F("secret_files", STRS, edd_cfg_turn_secret, secret_files,
      COUNT(edd_cfg_turn_secret, nsecret_files), .required = true, .min = 1, .max = 16,
      .secret_file = true),
    F("ttl", DURATION, edd_cfg_turn_secret, ttl, COUNT(edd_cfg_turn_secret, ttl_text),
      .def = ED_TURN_DEFAULT_TTL),
    F("algorithm", ENUM, edd_cfg_turn_secret, algorithm, .names = algs),
    F("separator", STR, edd_cfg_turn_secret, separator, .sdef = ":"),
    F("user", ENUM, edd_cfg_turn_secret, user, .names = user_modes),
    END
};

static const edd_field form_field_fields[] = {
    F("var", STR, edd_cfg_form_field, var, .required = true),
    F("type", STR, edd_cfg_form_field, type),
    F("label", STR, edd_cfg_form_field, label),
    F("values", STRS, edd_cfg_form_field, values, COUNT(edd_cfg_form_field, nvalues),
      .max = EDD_CONFIG_MAX_LIST),
    END
};
static const edd_field form_fields[] = {
    F("form_type", STR, edd_cfg_form, form_type),
    F("fields", SEQ, edd_cfg_form, fields, COUNT(edd_cfg_form, nfields),
      SUB(edd_cfg_form_field, form_field_fields), .max = EDD_CONFIG_MAX_LIST),
    END
};

/* `check:` at the top: the defaults of every service's health check. */
static const edd_field check_fields[] = {
    F("enabled", TRISTATE, edd_cfg_check, enabled, .def = 1),
    F("interval", DURATION, edd_cfg_check, interval, COUNT(edd_cfg_check, interval_text),
      .def = 30),
    F("timeout", DURATION, edd_cfg_check, timeout, COUNT(edd_cfg_check, timeout_text),
      .def = 5),
    F("fall", INT, edd_cfg_check, fall, .def = 3, .min = 1, .max = EDD_CHECK_MAX_COUNT),
    F("rise", INT, edd_cfg_check, rise, .def = 2, .min = 1, .max = EDD_CHECK_MAX_COUNT),
    F("ca_file", STR, edd_cfg_check, ca_file),
    F("order_by_latency", BOOL, edd_cfg_check, order_by_latency, .def = 0),
    END
};
/* `check:` on a service: no defaults (absent = the top's value). */
static const edd_field service_check_fields[] = {
    F("enabled", TRISTATE, edd_cfg_check, enabled, .def = -1),
    F("interval", DURATION, edd_cfg_check, interval, COUNT(edd_cfg_check, interval_text)),
    F("timeout", DURATION, edd_cfg_check, timeout, COUNT(edd_cfg_check, timeout_text)),
    F("fall", INT, edd_cfg_check, fall, .min = 1, .max = EDD_CHECK_MAX_COUNT),
    F("rise", INT, edd_cfg_check, rise, .min = 1, .max = EDD_CHECK_MAX_COUNT),
    END
};

static const edd_field service_fields[] = {
    F("type", STR, edd_cfg_service, type, .required = true),
    F("host", STR, edd_cfg_service, host, .required = true),
    F("port", INT, edd_cfg_service, port, .min = 1, .max = 65535),
    F("transport", STR, edd_cfg_service, transport),
    F("name", STR, edd_cfg_service, name),
    F("names", NAMES, edd_cfg_service, names, COUNT(edd_cfg_service, nnames)),
    F("restricted", TRISTATE, edd_cfg_service, restricted, .def = -1),
    F("credentials", STR, edd_cfg_service, credentials),
    F("username", STR, edd_cfg_service, username),
    F("password_file", STR, edd_cfg_service, password_file, .secret_file = true),
    F("extended", MAP_PTR, edd_cfg_service, extended, SUB(edd_cfg_form, form_fields)),
    F("allow_local", BOOL, edd_cfg_service, allow_local),
    F("networks", STRS, edd_cfg_service, networks, COUNT(edd_cfg_service, nnetworks),
      .max = EDD_CONFIG_MAX_NETWORKS),
    F("check", MAP_PTR, edd_cfg_service, check, SUB(edd_cfg_check, service_check_fields)),
    END
};

static const edd_field network_fields[] = {
    F("name", STR, edd_cfg_network, name, .required = true),
    F("addresses", STRS, edd_cfg_network, addresses, COUNT(edd_cfg_network, naddresses),
      .max = EDD_CONFIG_MAX_LIST),
    F("domains", STRS, edd_cfg_network, domains, COUNT(edd_cfg_network, ndomains),
      .max = EDD_CONFIG_MAX_LIST),
    END
};

static const edd_field provider_response_fields[] = {
    F("ice_servers", STR, edd_cfg_provider_response, ice_servers, .sdef = "iceServers"),
    F("urls", STR, edd_cfg_provider_response, urls, .sdef = "urls"),
    F("url", STR, edd_cfg_provider_response, url, .sdef = "url"),
    F("username", STR, edd_cfg_provider_response, username, .sdef = "username"),
    F("credential", STR, edd_cfg_provider_response, credential, .sdef = "credential"),
    F("ttl", STR, edd_cfg_provider_response, ttl),
    END
};

static const edd_field provider_fields[] = {
    F("name", STR, edd_cfg_provider, name, .required = true),
    F("preset", ENUM, edd_cfg_provider, preset, .names = presets, .required = true),
    F("url", STR, edd_cfg_provider, url),
    F("key_id", STR, edd_cfg_provider, key_id),
    F("key_user", STR, edd_cfg_provider, key_user),
    F("api_key_file", STR, edd_cfg_provider, api_key_file, .secret_file = true),
    F("method", ENUM, edd_cfg_provider, method, .names = methods),
    F("auth", ENUM, edd_cfg_provider, auth, .names = auths),
    F("auth_header", STR, edd_cfg_provider, auth_header),
    F("body", STR, edd_cfg_provider, body),
    F("content_type", STR, edd_cfg_provider, content_type),
    F("response", MAP_PTR, edd_cfg_provider, response,
      SUB(edd_cfg_provider_response, provider_response_fields)),
    F("ttl", DURATION, edd_cfg_provider, ttl, COUNT(edd_cfg_provider, ttl_text),
      .def = 86400),
    F("cache_percent", INT, edd_cfg_provider, cache_percent, .def = 50, .min = 10,
      .max = 90),
    F("timeout", DURATION, edd_cfg_provider, timeout, COUNT(edd_cfg_provider, timeout_text),
      .def = 10),
    F("retry_min", DURATION, edd_cfg_provider, retry_min,
      COUNT(edd_cfg_provider, retry_min_text), .def = 5),
    F("retry_max", DURATION, edd_cfg_provider, retry_max,
      COUNT(edd_cfg_provider, retry_max_text), .def = 300),
    F("ca_file", STR, edd_cfg_provider, ca_file),
    F("max_response_bytes", INT, edd_cfg_provider, max_response_bytes, .def = 65536,
      .min = 1024, .max = 1 << 20),
    F("networks", STRS, edd_cfg_provider, networks, COUNT(edd_cfg_provider, nnetworks),
      .max = EDD_CONFIG_MAX_NETWORKS),
    END
};

static const edd_field component_fields[] = {
    F("server", STR, edd_cfg_component, server, .required = true),
    F("jid", STR, edd_cfg_component, jid, .required = true),
    F("secret_file", STR, edd_cfg_component, secret_file, .required = true,
      .secret_file = true),
    END
};

static const edd_field tls_fields[] = {
    F("cert", STR, edd_cfg_tls, cert, .required = true),
    F("key", STR, edd_cfg_tls, key, .required = true),
    END
};
static const edd_field listen_fields[] = {
    F("address", STR, edd_cfg_listen, address, .required = true),
    F("tls", ENUM, edd_cfg_listen, tls, .names = listen_tls),
    F("proxy_protocol", BOOL, edd_cfg_listen, proxy_protocol),
    F("consider_secure", BOOL, edd_cfg_listen, consider_secure),
    F("kind", ENUM, edd_cfg_listen, kind, .names = listen_kinds),
    F("path", STR, edd_cfg_listen, path),
    F("origins", STRS, edd_cfg_listen, origins, COUNT(edd_cfg_listen, norigins),
      .max = EDD_CONFIG_MAX_LIST),
    END
};
/* `database` is required too, but checked last (config_check.c). */
static const edd_field c2s_fields[] = {
    F("domain", STR, edd_cfg_c2s, domain, .required = true),
    F("database", STR, edd_cfg_c2s, database),
    F("tls", MAP_PTR, edd_cfg_c2s, tls, SUB(edd_cfg_tls, tls_fields)),
    F("require_tls", BOOL, edd_cfg_c2s, require_tls, .def = true),
    F("listen", SEQ, edd_cfg_c2s, listen, COUNT(edd_cfg_c2s, nlisten),
      SUB(edd_cfg_listen, listen_fields), .required = true, .min = 1, .max = 64),
    END
};

static const edd_field limits_fields[] = {
    F("max_stanza_bytes", INT, edd_cfg_limits, max_stanza_bytes, .def = 65536,
      .min = 1024, .max = 16 << 20),
    F("max_depth", INT, edd_cfg_limits, max_depth, .def = 32, .min = 4, .max = 1000),
    F("max_attrs", INT, edd_cfg_limits, max_attrs, .def = 64, .min = 4, .max = 1000),
    F("max_connections", INT, edd_cfg_limits, max_connections, .def = 10000,
      .min = 1, .max = 1000000),
    F("max_pending_iqs", INT, edd_cfg_limits, max_pending_iqs, .def = 64,
      .min = 1, .max = 100000),
    F("max_unauthenticated_per_address", INT, edd_cfg_limits, max_unauth_per_address,
      .def = 16, .min = 1, .max = 1000000),
    F("handshake_timeout", DURATION, edd_cfg_limits, handshake_timeout,
      COUNT(edd_cfg_limits, handshake_timeout_text), .def = 30),
    F("idle_timeout", DURATION, edd_cfg_limits, idle_timeout,
      COUNT(edd_cfg_limits, idle_timeout_text), .def = 600),
    END
};

static const edd_field http_fields[] = {
    F("listen", STRS, edd_cfg_http, listen, COUNT(edd_cfg_http, nlisten), .max = 16),
    F("allow", STRS, edd_cfg_http, allow, COUNT(edd_cfg_http, nallow), .max = EDD_CONFIG_MAX_LIST),
    F("token_file", STR, edd_cfg_http, token_file, .secret_file = true),
    F("max_connections", INT, edd_cfg_http, max_connections, .def = 64, .min = 1, .max = 10000),
    F("max_header_bytes", INT, edd_cfg_http, max_header_bytes, .def = 8192,
      .min = 512, .max = 65536),
    F("timeout", DURATION, edd_cfg_http, timeout, COUNT(edd_cfg_http, timeout_text), .def = 10),
    END
};

const edd_field edd_config_schema[] = {
    F("log", MAP, edd_config, log, .sub = log_fields),
    F("user", STR, edd_config, user),
    F("domains", STRS, edd_config, domains, COUNT(edd_config, ndomains),
      .required = true, .max = EDD_CONFIG_MAX_LIST),
    F("access", MAP, edd_config, access, .sub = access_fields),
    F("default_lang", STR, edd_config, default_lang, .sdef = "en"),
    F("serve_v1", BOOL, edd_config, serve_v1, .def = true),
    F("inline_credentials", BOOL, edd_config, inline_credentials, .def = true),
    F("turn_secrets", SEQ, edd_config, turn_secrets, COUNT(edd_config, nturn_secrets),
      SUB(edd_cfg_turn_secret, turn_secret_fields), .max = 64),
    F("services", SEQ, edd_config, services, COUNT(edd_config, nservices),
      SUB(edd_cfg_service, service_fields), .max = EDD_CONFIG_MAX_LIST),
    F("networks", SEQ, edd_config, networks, COUNT(edd_config, nnetworks),
      SUB(edd_cfg_network, network_fields), .max = EDD_CONFIG_MAX_NETWORKS),
    F("turn_providers", SEQ, edd_config, turn_providers, COUNT(edd_config, nturn_providers),
      SUB(edd_cfg_provider, provider_fields), .max = 16),
    F("components", SEQ, edd_config, components, COUNT(edd_config, ncomponents),
      SUB(edd_cfg_component, component_fields), .max = 64),
    F("c2s", MAP_PTR, edd_config, c2s, SUB(edd_cfg_c2s, c2s_fields)),
    F("limits", MAP, edd_config, limits, .sub = limits_fields),
    F("http", MAP_PTR, edd_config, http, SUB(edd_cfg_http, http_fields)),
    F("check", MAP, edd_config, check, .sub = check_fields),
    END
};

/* ------------------------------------------------------------------ */
/* Loading                                                              */

void edd_set_err(char *err, size_t errlen, const char *fmt, ...)
{
    if (!err || errlen == 0)
        return;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(err, errlen, fmt, ap);
    va_end(ap);
}

/* Read the whole file (at most EDD_CONFIG_MAX_FILE bytes; a FIFO, directory
 * or device is refused without blocking, core/file.h).  Problems with the
 * file as a whole have no line: err is "FILE: what". */
static unsigned char *read_file(const char *path, size_t *len, char *err,
                                size_t errlen)
{
    char *buf, why[256];
    int r = edd_file_read(path, EDD_CONFIG_MAX_FILE, &buf, len, why, sizeof why);
    if (r != 0) {
        edd_set_err(err, errlen, "%s: %s%s", path, r == -2 ? "cannot open: " : "", why);
        return NULL;
    }
    return (unsigned char *)buf;
}

edd_config *edd_config_load(const char *path, char *err, size_t errlen)
{
    if (err && errlen)
        err[0] = '\0';
    if (!path) {
        edd_set_err(err, errlen, "no configuration file given");
        return NULL;
    }
    size_t len = 0;
    unsigned char *data = read_file(path, &len, err, errlen);
    if (!data)
        return NULL;
    edd_config *cfg = calloc(1, sizeof *cfg);
    if (!cfg) {
        free(data);
        edd_set_err(err, errlen, "%s: out of memory", path);
        return NULL;
    }
    edd_ymap m;
    memset(&m, 0, sizeof m);
    bool ok = edd_yaml_read(&m, path, data, len, edd_config_schema, cfg, err, errlen) &&
              edd_config_resolve(cfg, &m, err, errlen);
    edd_ymap_free(&m);
    free(data);
    if (!ok) {
        edd_config_free(cfg);
        return NULL;
    }
    return cfg;
}

void edd_config_free(edd_config *cfg)
{
    if (!cfg)
        return;
    edd_config_free_resolved(cfg);
    edd_fields_free(edd_config_schema, cfg);
    free(cfg);
}

/* ------------------------------------------------------------------ */
/* Dump: the schema's fields, nothing else, so no resolved secret can    */
/* appear; the output loads again as the same configuration.            */

#define AT(obj, off, type) ((const type *)(const void *)((const char *)(obj) + (off)))

/* Double-quoted YAML scalar (the values are printable config strings). */
static void q(FILE *out, const char *s)
{
    fputc('"', out);
    for (; *s; s++) {
        unsigned char c = (unsigned char)*s;
        if (c == '"' || c == '\\')
            fprintf(out, "\\%c", c);
        else if (c < 0x20 || c == 0x7f)
            fprintf(out, "\\x%02x", c);
        else
            fputc(c, out);
    }
    fputc('"', out);
}

/* Start the line of key: indentation, or "- " for a list entry's first key. */
static void key(FILE *out, int indent, bool *dash, const char *k)
{
    if (*dash) {
        fprintf(out, "%*s- %s:", indent - 2, "", k);
        *dash = false;
    } else {
        fprintf(out, "%*s%s:", indent, "", k);
    }
}

static void dump_fields(FILE *out, const edd_field *fields, const void *obj,
                        int indent, bool dash)
{
    for (const edd_field *f = fields; f->key; f++) {
        const char *s; /* read as a pointer only where the field is one */
        switch (f->type) {
        case EDD_F_STR:
            s = *AT(obj, f->off, char *);
            if (!s)
                continue;
            key(out, indent, &dash, f->key);
            fputc(' ', out);
            q(out, s);
            break;
        case EDD_F_INT:
        case EDD_F_DURATION:
            /* 0 below the range (INT) or a duration never written with no
             * default: an absent optional value (services[N].check) */
            if (*AT(obj, f->off, int64_t) == 0 &&
                (f->type == EDD_F_DURATION || f->min > 0))
                continue;
            key(out, indent, &dash, f->key);
            fprintf(out, " %lld", (long long)*AT(obj, f->off, int64_t));
            break;
        case EDD_F_BOOL:
            key(out, indent, &dash, f->key);
            fputs(*AT(obj, f->off, bool) ? " true" : " false", out);
            break;
        case EDD_F_TRISTATE: {
            int v = *AT(obj, f->off, int);
            if (v < 0)
                continue;
            key(out, indent, &dash, f->key);
            fputs(v ? " true" : " false", out);
            break;
        }
        case EDD_F_ENUM: {
            int v = *AT(obj, f->off, int);
            const edd_enum_name *e = f->names;
            while (e->name && e->value != v)
                e++;
            key(out, indent, &dash, f->key);
            fprintf(out, " %s", e->name ? e->name : "?");
            break;
        }
        case EDD_F_STRS: {
            s = *AT(obj, f->off, char *);
            unsigned n = *AT(obj, f->count, unsigned);
            key(out, indent, &dash, f->key);
            fputs(" [", out);
            for (unsigned i = 0; i < n; i++) {
                fputs(i ? ", " : "", out);
                q(out, ((char *const *)s)[i]);
            }
            fputc(']', out);
            break;
        }
        case EDD_F_NAMES: {
            const edd_cfg_name *nm = *AT(obj, f->off, edd_cfg_name *);
            size_t n = *AT(obj, f->count, size_t);
            if (n == 0)
                continue;
            key(out, indent, &dash, f->key);
            fputs(" {", out);
            for (size_t i = 0; i < n; i++) {
                fputs(i ? ", " : "", out);
                q(out, nm[i].lang);
                fputs(": ", out);
                q(out, nm[i].text);
            }
            fputc('}', out);
            break;
        }
        case EDD_F_MAP:
        case EDD_F_MAP_PTR: {
            const void *sub = f->type == EDD_F_MAP ? (const void *)AT(obj, f->off, char)
                                                  : (const void *)*AT(obj, f->off, char *);
            if (!sub)
                continue;
            key(out, indent, &dash, f->key);
            fputc('\n', out);
            dump_fields(out, f->sub, sub, indent + 2, false);
            continue;
        }
        case EDD_F_SEQ: {
            s = *AT(obj, f->off, char *);
            unsigned n = *AT(obj, f->count, unsigned);
            key(out, indent, &dash, f->key);
            fputs(n ? "\n" : " []\n", out);
            for (unsigned i = 0; i < n; i++)
                dump_fields(out, f->sub, s + (size_t)i * f->size, indent + 4, true);
            continue;
        }
        }
        if (f->secret_file)
            fputs("  # contents: <redacted>", out);
        fputc('\n', out);
    }
}

void edd_config_dump(const edd_config *cfg, FILE *out)
{
    if (!cfg || !out)
        return;
    fputs("# effective configuration of ", out);
    q(out, cfg->path ? cfg->path : "?");
    fputs("\n# defaults filled in, paths absolute, durations in seconds;"
          " secrets are never shown\n", out);
    dump_fields(out, edd_config_schema, cfg, 0, false);
}
