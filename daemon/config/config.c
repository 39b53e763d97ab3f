/* daemon/config.c — loading and freeing extdiscod's configuration: the
 * libcyaml schema, the load sequence (read, libyaml check, libcyaml load,
 * semantic resolution) and the redacted dump.  See config.h. */
#include "config/config_int.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ------------------------------------------------------------------ */
/* Schema                                                               */

#define STR_OPT(key, st, member) \
    CYAML_FIELD_STRING_PTR(key, CYAML_FLAG_POINTER | CYAML_FLAG_OPTIONAL, st, \
                           member, 1, ED_CONFIG_MAX_STR)
#define STR_REQ(key, st, member) \
    CYAML_FIELD_STRING_PTR(key, CYAML_FLAG_POINTER, st, member, 1, ED_CONFIG_MAX_STR)

static const cyaml_schema_value_t string_entry = {
    CYAML_VALUE_STRING(CYAML_FLAG_POINTER, char, 1, ED_CONFIG_MAX_STR),
};

#define STR_LIST(key, flags, st, member, count) \
    CYAML_FIELD_SEQUENCE_COUNT(key, CYAML_FLAG_POINTER | (flags), st, member, \
                               count, &string_entry, 0, ED_CONFIG_MAX_LIST)

static const cyaml_strval_t level_strings[] = {
    { "error", ED_LOG_ERROR }, { "warn", ED_LOG_WARN },
    { "info", ED_LOG_INFO },   { "debug", ED_LOG_DEBUG },
};
static const cyaml_strval_t alg_strings[] = {
    { "sha1", ED_HMAC_SHA1 }, { "sha256", ED_HMAC_SHA256 },
};
static const cyaml_strval_t user_mode_strings[] = {
    { "token", ED_TURN_USER_TOKEN }, { "jid", ED_TURN_USER_JID },
    { "none", ED_TURN_USER_NONE },
};
static const cyaml_strval_t listen_tls_strings[] = {
    { "starttls", ED_LISTEN_STARTTLS }, { "direct", ED_LISTEN_DIRECT },
    { "none", ED_LISTEN_NONE },
};
#define NELEM(a) (sizeof(a) / sizeof((a)[0]))
#define ENUM_OPT(key, st, member, strings) \
    CYAML_FIELD_ENUM(key, CYAML_FLAG_OPTIONAL | CYAML_FLAG_STRICT, st, member, \
                     strings, NELEM(strings))

static const cyaml_schema_field_t log_fields[] = {
    ENUM_OPT("level", ed_cfg_log, level, level_strings),
    CYAML_FIELD_BOOL("syslog", CYAML_FLAG_OPTIONAL, ed_cfg_log, syslog),
    CYAML_FIELD_END
};

static const cyaml_schema_field_t access_fields[] = {
    STR_LIST("services", CYAML_FLAG_OPTIONAL, ed_cfg_access, services.entries,
             services.nentries),
    STR_LIST("credentials", CYAML_FLAG_OPTIONAL, ed_cfg_access,
             credentials.entries, credentials.nentries),
    CYAML_FIELD_END
};

static const cyaml_schema_field_t turn_secret_fields[] = {
    STR_REQ("name", ed_cfg_turn_secret, name),
    CYAML_FIELD_SEQUENCE_COUNT("secret_files", CYAML_FLAG_POINTER,
                               ed_cfg_turn_secret, secret_files, nsecret_files,
                               &string_entry, 1, 16),
    STR_OPT("ttl", ed_cfg_turn_secret, ttl_text),
    ENUM_OPT("algorithm", ed_cfg_turn_secret, algorithm, alg_strings),
    STR_OPT("separator", ed_cfg_turn_secret, separator),
    ENUM_OPT("user", ed_cfg_turn_secret, user, user_mode_strings),
    CYAML_FIELD_END
};
static const cyaml_schema_value_t turn_secret_entry = {
    CYAML_VALUE_MAPPING(CYAML_FLAG_DEFAULT, ed_cfg_turn_secret, turn_secret_fields),
};

static const cyaml_schema_field_t form_field_fields[] = {
    STR_REQ("var", ed_cfg_form_field, var),
    STR_OPT("type", ed_cfg_form_field, type),
    STR_OPT("label", ed_cfg_form_field, label),
    STR_LIST("values", CYAML_FLAG_OPTIONAL, ed_cfg_form_field, values, nvalues),
    CYAML_FIELD_END
};
static const cyaml_schema_value_t form_field_entry = {
    CYAML_VALUE_MAPPING(CYAML_FLAG_DEFAULT, ed_cfg_form_field, form_field_fields),
};
static const cyaml_schema_field_t form_fields[] = {
    STR_OPT("form_type", ed_cfg_form, form_type),
    CYAML_FIELD_SEQUENCE_COUNT("fields", CYAML_FLAG_POINTER | CYAML_FLAG_OPTIONAL,
                               ed_cfg_form, fields, nfields, &form_field_entry,
                               0, ED_CONFIG_MAX_LIST),
    CYAML_FIELD_END
};

static const cyaml_schema_field_t service_fields[] = {
    STR_REQ("type", ed_cfg_service, type),
    STR_REQ("host", ed_cfg_service, host),
    CYAML_FIELD_INT("port", CYAML_FLAG_OPTIONAL, ed_cfg_service, port),
    STR_OPT("transport", ed_cfg_service, transport),
    STR_OPT("name", ed_cfg_service, name),
    CYAML_FIELD_IGNORE("names", CYAML_FLAG_OPTIONAL), /* read in config_check.c */
    CYAML_FIELD_BOOL("restricted", CYAML_FLAG_OPTIONAL, ed_cfg_service,
                     restricted_value),
    STR_OPT("credentials", ed_cfg_service, credentials),
    STR_OPT("username", ed_cfg_service, username),
    STR_OPT("password_file", ed_cfg_service, password_file),
    CYAML_FIELD_MAPPING_PTR("extended", CYAML_FLAG_POINTER | CYAML_FLAG_OPTIONAL,
                            ed_cfg_service, extended, form_fields),
    CYAML_FIELD_BOOL("allow_local", CYAML_FLAG_OPTIONAL, ed_cfg_service, allow_local),
    CYAML_FIELD_END
};
static const cyaml_schema_value_t service_entry = {
    CYAML_VALUE_MAPPING(CYAML_FLAG_DEFAULT, ed_cfg_service, service_fields),
};

static const cyaml_schema_field_t component_fields[] = {
    STR_REQ("server", ed_cfg_component, server),
    STR_REQ("jid", ed_cfg_component, jid),
    STR_REQ("secret_file", ed_cfg_component, secret_file),
    CYAML_FIELD_END
};
static const cyaml_schema_value_t component_entry = {
    CYAML_VALUE_MAPPING(CYAML_FLAG_DEFAULT, ed_cfg_component, component_fields),
};

static const cyaml_schema_field_t tls_fields[] = {
    STR_REQ("cert", ed_cfg_tls, cert),
    STR_REQ("key", ed_cfg_tls, key),
    CYAML_FIELD_END
};
static const cyaml_schema_field_t listen_fields[] = {
    STR_REQ("address", ed_cfg_listen, address),
    ENUM_OPT("tls", ed_cfg_listen, tls, listen_tls_strings),
    CYAML_FIELD_BOOL("proxy_protocol", CYAML_FLAG_OPTIONAL, ed_cfg_listen,
                     proxy_protocol),
    CYAML_FIELD_END
};
static const cyaml_schema_value_t listen_entry = {
    CYAML_VALUE_MAPPING(CYAML_FLAG_DEFAULT, ed_cfg_listen, listen_fields),
};
static const cyaml_schema_field_t c2s_fields[] = {
    STR_REQ("domain", ed_cfg_c2s, domain),
    STR_OPT("database", ed_cfg_c2s, database),
    CYAML_FIELD_MAPPING_PTR("tls", CYAML_FLAG_POINTER | CYAML_FLAG_OPTIONAL,
                            ed_cfg_c2s, tls, tls_fields),
    CYAML_FIELD_BOOL("require_tls", CYAML_FLAG_OPTIONAL, ed_cfg_c2s, require_tls),
    CYAML_FIELD_SEQUENCE_COUNT("listen", CYAML_FLAG_POINTER, ed_cfg_c2s, listen,
                               nlisten, &listen_entry, 1, 64),
    CYAML_FIELD_END
};

static const cyaml_schema_field_t limits_fields[] = {
    CYAML_FIELD_INT("max_stanza_bytes", CYAML_FLAG_OPTIONAL, ed_cfg_limits, max_stanza_bytes),
    CYAML_FIELD_INT("max_depth", CYAML_FLAG_OPTIONAL, ed_cfg_limits, max_depth),
    CYAML_FIELD_INT("max_attrs", CYAML_FLAG_OPTIONAL, ed_cfg_limits, max_attrs),
    CYAML_FIELD_INT("max_connections", CYAML_FLAG_OPTIONAL, ed_cfg_limits, max_connections),
    CYAML_FIELD_INT("max_pending_iqs", CYAML_FLAG_OPTIONAL, ed_cfg_limits, max_pending_iqs),
    STR_OPT("handshake_timeout", ed_cfg_limits, handshake_timeout_text),
    STR_OPT("idle_timeout", ed_cfg_limits, idle_timeout_text),
    CYAML_FIELD_END
};

static const cyaml_schema_field_t top_fields[] = {
    CYAML_FIELD_MAPPING("log", CYAML_FLAG_OPTIONAL, ed_config, log, log_fields),
    STR_OPT("user", ed_config, user),
    STR_LIST("domains", CYAML_FLAG_DEFAULT, ed_config, domains, ndomains),
    CYAML_FIELD_MAPPING("access", CYAML_FLAG_OPTIONAL, ed_config, access, access_fields),
    STR_OPT("default_lang", ed_config, default_lang),
    CYAML_FIELD_BOOL("serve_v1", CYAML_FLAG_OPTIONAL, ed_config, serve_v1),
    CYAML_FIELD_BOOL("inline_credentials", CYAML_FLAG_OPTIONAL, ed_config,
                     inline_credentials),
    CYAML_FIELD_SEQUENCE_COUNT("turn_secrets", CYAML_FLAG_POINTER | CYAML_FLAG_OPTIONAL,
                               ed_config, turn_secrets, nturn_secrets,
                               &turn_secret_entry, 0, 64),
    CYAML_FIELD_SEQUENCE_COUNT("services", CYAML_FLAG_POINTER | CYAML_FLAG_OPTIONAL, ed_config, services,
                               nservices, &service_entry, 0, ED_CONFIG_MAX_LIST),
    CYAML_FIELD_SEQUENCE_COUNT("components", CYAML_FLAG_POINTER | CYAML_FLAG_OPTIONAL,
                               ed_config, components, ncomponents,
                               &component_entry, 0, 64),
    CYAML_FIELD_MAPPING_PTR("c2s", CYAML_FLAG_POINTER | CYAML_FLAG_OPTIONAL,
                            ed_config, c2s, c2s_fields),
    CYAML_FIELD_MAPPING("limits", CYAML_FLAG_OPTIONAL, ed_config, limits, limits_fields),
    CYAML_FIELD_END
};

static const cyaml_schema_value_t top_schema = {
    CYAML_VALUE_MAPPING(CYAML_FLAG_POINTER, ed_config, top_fields),
};

/* ------------------------------------------------------------------ */
/* Loading                                                              */

/* libcyaml's messages, kept for the (unexpected) case where it refuses a
 * document the libyaml pass accepted. */
typedef struct cyaml_msgs {
    char first[256]; /* first error-level message */
    int line;        /* innermost backtrace line, 0 when none */
} cyaml_msgs;

__attribute__((format(printf, 3, 0)))
static void cyaml_log_cb(cyaml_log_t level, void *ctx, const char *fmt, va_list ap)
{
    cyaml_msgs *c = ctx;
    char buf[256];
    if (level < CYAML_LOG_ERROR)
        return;
    vsnprintf(buf, sizeof buf, fmt, ap);
    buf[strcspn(buf, "\n")] = '\0';
    const char *l = strstr(buf, "(line: ");
    if (l && c->line == 0)
        c->line = atoi(l + 7);
    if (!c->first[0] && strncmp(buf, "Load: Backtrace", 15) != 0 && !l)
        snprintf(c->first, sizeof c->first, "%s",
                 strncmp(buf, "Load: ", 6) == 0 ? buf + 6 : buf);
}

static const cyaml_config_t free_config = {
    .log_fn = NULL,
    .mem_fn = cyaml_mem,
    .log_level = CYAML_LOG_ERROR,
    .flags = CYAML_CFG_NO_ALIAS,
};

void ed_set_err(char *err, size_t errlen, const char *fmt, ...)
{
    if (!err || errlen == 0)
        return;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(err, errlen, fmt, ap);
    va_end(ap);
}

/* Read the whole file (at most ED_CONFIG_MAX_FILE bytes).  Problems with the
 * file as a whole have no line: err is "FILE: what". */
static unsigned char *read_file(const char *path, size_t *len, char *err,
                                size_t errlen)
{
    FILE *f = fopen(path, "rb");
    if (!f) {
        ed_set_err(err, errlen, "%s: cannot open: %s", path, strerror(errno));
        return NULL;
    }
    unsigned char *buf = malloc(ED_CONFIG_MAX_FILE + 1);
    if (!buf) {
        fclose(f);
        ed_set_err(err, errlen, "%s: out of memory", path);
        return NULL;
    }
    size_t n = fread(buf, 1, ED_CONFIG_MAX_FILE + 1, f);
    bool bad = ferror(f);
    int e = errno;
    fclose(f);
    if (bad) {
        free(buf);
        ed_set_err(err, errlen, "%s: read error: %s", path, strerror(e));
        return NULL;
    }
    if (n > ED_CONFIG_MAX_FILE) {
        free(buf);
        ed_set_err(err, errlen, "%s: file larger than %d bytes", path,
                ED_CONFIG_MAX_FILE);
        return NULL;
    }
    *len = n;
    return buf;
}

ed_config *ed_config_load(const char *path, char *err, size_t errlen)
{
    if (err && errlen)
        err[0] = '\0';
    if (!path) {
        ed_set_err(err, errlen, "no configuration file given");
        return NULL;
    }
    size_t len = 0;
    unsigned char *data = read_file(path, &len, err, errlen);
    if (!data)
        return NULL;

    ed_ymap m;
    memset(&m, 0, sizeof m);
    ed_config *cfg = NULL;
    if (!ed_ymap_load(&m, path, data, len, &top_schema, err, errlen))
        goto out;

    cyaml_msgs msgs;
    memset(&msgs, 0, sizeof msgs);
    cyaml_config_t cc = {
        .log_fn = cyaml_log_cb,
        .log_ctx = &msgs,
        .mem_fn = cyaml_mem,
        .log_level = CYAML_LOG_ERROR,
        .flags = CYAML_CFG_NO_ALIAS,
    };
    cyaml_err_t ce = cyaml_load_data(data, len, &cc, &top_schema,
                                     (cyaml_data_t **)&cfg, NULL);
    if (ce != CYAML_OK || !cfg) {
        ed_set_err(err, errlen, "%s:%d: %s", path, msgs.line > 0 ? msgs.line : 1,
                msgs.first[0] ? msgs.first : cyaml_strerror(ce));
        cfg = NULL;
        goto out;
    }
    if (!ed_config_resolve(cfg, &m, err, errlen)) {
        ed_config_free(cfg);
        cfg = NULL;
    }
out:
    ed_ymap_free(&m);
    free(data);
    return cfg;
}

void ed_config_free(ed_config *cfg)
{
    if (!cfg)
        return;
    ed_config_free_resolved(cfg);
    cyaml_free(&free_config, &top_schema, cfg, 0);
}

/* ------------------------------------------------------------------ */
/* Dump                                                                 */

/* Double-quoted YAML scalar (the values are printable config strings). */
static void q(FILE *out, const char *s)
{
    if (!s) {
        fputs("null", out);
        return;
    }
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

static void dump_list(FILE *out, const char *indent, const char *key,
                      char *const *v, unsigned n)
{
    fprintf(out, "%s%s: [", indent, key);
    for (unsigned i = 0; i < n; i++) {
        if (i)
            fputs(", ", out);
        q(out, v[i]);
    }
    fputs("]\n", out);
}

static const char *enum_name(const cyaml_strval_t *v, size_t n, int value)
{
    for (size_t i = 0; i < n; i++)
        if (v[i].val == value)
            return v[i].str;
    return "?";
}

void ed_config_dump(const ed_config *cfg, FILE *out)
{
    if (!cfg || !out)
        return;
    fprintf(out, "# effective configuration of ");
    q(out, cfg->path);
    fprintf(out, " (secrets redacted)\n");
    fprintf(out, "log: {level: %s, syslog: %s}\n", ed_log_level_name(cfg->log.level),
            cfg->log.syslog ? "true" : "false");
    fputs("user: ", out);
    q(out, cfg->user);
    fputc('\n', out);
    dump_list(out, "", "domains", cfg->domains, cfg->ndomains);
    fputs("access:\n", out);
    dump_list(out, "  ", "services", cfg->access.services.entries,
              cfg->access.services.nentries);
    dump_list(out, "  ", "credentials", cfg->access.credentials.entries,
              cfg->access.credentials.nentries);
    fputs("default_lang: ", out);
    q(out, cfg->default_lang);
    fprintf(out, "\nserve_v1: %s\ninline_credentials: %s\n",
            cfg->serve_v1 ? "true" : "false",
            cfg->inline_credentials ? "true" : "false");
    fputs("turn_secrets:\n", out);
    for (unsigned i = 0; i < cfg->nturn_secrets; i++) {
        const ed_cfg_turn_secret *t = &cfg->turn_secrets[i];
        fputs("  - name: ", out);
        q(out, t->name);
        fputc('\n', out);
        dump_list(out, "    ", "secret_files", t->secret_files, t->nsecret_files);
        fprintf(out, "    secrets: \"<redacted>\"\n    ttl: %lld\n"
                     "    algorithm: %s\n    separator: ",
                (long long)t->ttl, enum_name(alg_strings, NELEM(alg_strings), (int)t->algorithm));
        q(out, t->separator);
        fprintf(out, "\n    user: %s\n",
                enum_name(user_mode_strings, NELEM(user_mode_strings), (int)t->user));
    }
    fputs("services:\n", out);
    for (unsigned i = 0; i < cfg->nservices; i++) {
        const ed_cfg_service *s = &cfg->services[i];
        fputs("  - type: ", out);
        q(out, s->type);
        fputs("\n    host: ", out);
        q(out, s->host);
        fprintf(out, "\n    port: %lld\n    transport: ", (long long)s->port);
        q(out, s->transport);
        fputc('\n', out);
        if (s->name) {
            fputs("    name: ", out);
            q(out, s->name);
            fputc('\n', out);
        }
        if (s->nnames) {
            fputs("    names: {", out);
            for (size_t k = 0; k < s->nnames; k++) {
                fprintf(out, "%s%s: ", k ? ", " : "", s->names[k].lang);
                q(out, s->names[k].text);
            }
            fputs("}\n", out);
        }
        if (s->restricted >= 0)
            fprintf(out, "    restricted: %s\n", s->restricted ? "true" : "false");
        if (s->credentials) {
            fputs("    credentials: ", out);
            q(out, s->credentials);
            fputc('\n', out);
        }
        if (s->username) {
            fputs("    username: ", out);
            q(out, s->username);
            fputs("\n    password_file: ", out);
            q(out, s->password_file);
            fputs("\n    password: \"<redacted>\"\n", out);
        }
        if (s->extended) {
            fputs("    extended:\n      form_type: ", out);
            q(out, s->extended->form_type);
            fputs("\n      fields:\n", out);
            for (unsigned k = 0; k < s->extended->nfields; k++) {
                const ed_cfg_form_field *f = &s->extended->fields[k];
                fputs("        - var: ", out);
                q(out, f->var);
                fputc('\n', out);
                dump_list(out, "          ", "values", f->values, f->nvalues);
            }
        }
        fprintf(out, "    allow_local: %s\n", s->allow_local ? "true" : "false");
    }
    fputs("components:\n", out);
    for (unsigned i = 0; i < cfg->ncomponents; i++) {
        const ed_cfg_component *c = &cfg->components[i];
        fputs("  - server: ", out);
        q(out, c->server);
        fputs("\n    jid: ", out);
        q(out, c->jid);
        fputs("\n    secret_file: ", out);
        q(out, c->secret_file);
        fputs("\n    secret: \"<redacted>\"\n", out);
    }
    if (cfg->c2s) {
        const ed_cfg_c2s *c = cfg->c2s;
        fputs("c2s:\n  domain: ", out);
        q(out, c->domain);
        fputs("\n  database: ", out);
        q(out, c->database);
        fputc('\n', out);
        if (c->tls) {
            fputs("  tls: {cert: ", out);
            q(out, c->tls->cert);
            fputs(", key: ", out);
            q(out, c->tls->key);
            fputs("}\n", out);
        }
        fprintf(out, "  require_tls: %s\n  listen:\n", c->require_tls ? "true" : "false");
        for (unsigned i = 0; i < c->nlisten; i++) {
            fputs("    - {address: ", out);
            q(out, c->listen[i].address);
            fprintf(out, ", tls: %s, proxy_protocol: %s}\n",
                    enum_name(listen_tls_strings, NELEM(listen_tls_strings),
                              (int)c->listen[i].tls),
                    c->listen[i].proxy_protocol ? "true" : "false");
        }
    }
    const ed_cfg_limits *l = &cfg->limits;
    fprintf(out, "limits: {max_stanza_bytes: %lld, max_depth: %lld, max_attrs: %lld, "
                 "max_connections: %lld, max_pending_iqs: %lld, "
                 "handshake_timeout: %lld, idle_timeout: %lld}\n",
            (long long)l->max_stanza_bytes, (long long)l->max_depth,
            (long long)l->max_attrs, (long long)l->max_connections,
            (long long)l->max_pending_iqs, (long long)l->handshake_timeout,
            (long long)l->idle_timeout);
}
