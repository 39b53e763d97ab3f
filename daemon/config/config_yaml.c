/* daemon/config/config_yaml.c — the one pass that reads the configuration file
 * into the structs.
 *
 * libyaml parses the file into its node tree (every node knows its line);
 * one walk of that tree against the schema tables of config.c refuses what
 * is wrong with its exact line and fills the structs: strings are copied,
 * integers, booleans, enums and durations converted, lists and nested
 * structs allocated.  It is strict where a configuration must be: unknown,
 * duplicate and missing keys, "port: 1e3" or "010" (no octal, no floats),
 * any word but true/false/yes/no/on/off as a boolean, aliases.  It also
 * records a path -> line map that the semantic checks (config_check.c) use
 * for their messages.  The same tables set the defaults and free. */
#include "config/config_int.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <yaml.h>

#define PATH_MAX_LEN 512

/* ------------------------------------------------------------------ */
/* Messages and the line map                                            */

__attribute__((format(printf, 6, 0)))
static void vfail_at(const edd_ymap *m, char *err, size_t errlen, int line,
                     const char *path, const char *fmt, va_list ap)
{
    if (!err || errlen == 0)
        return;
    int n;
    if (path && *path)
        n = snprintf(err, errlen, "%s:%d: %s: ", m->file, line, path);
    else
        n = snprintf(err, errlen, "%s:%d: ", m->file, line);
    if (n >= 0 && (size_t)n < errlen)
        vsnprintf(err + n, errlen - (size_t)n, fmt, ap);
}

bool edd_cfg_fail_at(const edd_ymap *m, char *err, size_t errlen, int line,
                    const char *path, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vfail_at(m, err, errlen, line, path, fmt, ap);
    va_end(ap);
    return false;
}

bool edd_cfg_fail(const edd_ymap *m, char *err, size_t errlen, const char *path,
                 const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vfail_at(m, err, errlen, edd_ymap_line(m, path), path, fmt, ap);
    va_end(ap);
    return false;
}

const edd_ymap_entry *edd_ymap_find(const edd_ymap *m, const char *path)
{
    for (size_t i = 0; i < m->n; i++)
        if (strcmp(m->v[i].path, path) == 0)
            return &m->v[i];
    return NULL;
}

bool edd_ymap_has(const edd_ymap *m, const char *fmt, ...)
{
    char path[PATH_MAX_LEN];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(path, sizeof path, fmt, ap);
    va_end(ap);
    return edd_ymap_find(m, path) != NULL;
}

int edd_ymap_line(const edd_ymap *m, const char *path)
{
    char p[PATH_MAX_LEN];
    snprintf(p, sizeof p, "%s", path ? path : "");
    for (;;) {
        const edd_ymap_entry *e = edd_ymap_find(m, p);
        if (e)
            return e->line;
        /* strip the last component: ".key" or "[i]" */
        char *dot = strrchr(p, '.');
        char *br = strrchr(p, '[');
        char *cut = dot > br ? dot : br;
        if (!cut)
            break;
        *cut = '\0';
    }
    return 1;
}

static bool add_entry(edd_ymap *m, const char *path, int line, int key_line)
{
    if (m->n == m->cap) {
        size_t cap = m->cap ? m->cap * 2 : 64;
        edd_ymap_entry *v = realloc(m->v, cap * sizeof *v);
        if (!v)
            return false;
        m->v = v;
        m->cap = cap;
    }
    char *p = strdup(path);
    if (!p)
        return false;
    m->v[m->n++] = (edd_ymap_entry){ p, line, key_line };
    return true;
}

void edd_ymap_free(edd_ymap *m)
{
    if (!m)
        return;
    for (size_t i = 0; i < m->n; i++)
        free(m->v[i].path);
    free(m->v);
    memset(m, 0, sizeof *m);
}

/* ------------------------------------------------------------------ */
/* Scalar syntax                                                        */

static bool is_decimal_int(const char *s, size_t len, int64_t *out)
{
    size_t i = 0;
    if (i < len && (s[i] == '+' || s[i] == '-'))
        i++;
    if (i == len)
        return false;
    if (s[i] == '0' && i + 1 < len)
        return false; /* no octal, hex or padded forms */
    for (; i < len; i++)
        if (s[i] < '0' || s[i] > '9')
            return false;
    errno = 0;
    long long v = strtoll(s, NULL, 10);
    if (errno != 0)
        return false;
    *out = v;
    return true;
}

/* true/yes/on and false/no/off, any case. */
static bool parse_bool(const char *s, bool *out)
{
    static const char *const w[] = { "false", "no", "off", "true", "yes", "on" };
    for (size_t i = 0; i < sizeof w / sizeof w[0]; i++)
        if (strcasecmp(s, w[i]) == 0) {
            *out = i >= 3;
            return true;
        }
    return false;
}

bool edd_is_lang_tag(const char *s)
{
    size_t part = 0;
    bool first = true;
    for (;; s++) {
        char ch = *s;
        if (ch == '-' || ch == '\0') {
            if (part == 0 || part > 8)
                return false;
            if (ch == '\0')
                return true;
            part = 0;
            first = false;
            continue;
        }
        bool alpha = (ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z');
        bool digit = ch >= '0' && ch <= '9';
        if (!(alpha || (digit && !first)))
            return false;
        part++;
    }
}

bool edd_config_parse_duration(const char *s, int64_t *out)
{
    if (!s || !*s)
        return false;
    int64_t v = 0;
    const char *p = s;
    for (; *p >= '0' && *p <= '9'; p++) {
        if (v > EDD_CONFIG_MAX_DURATION)
            return false;
        v = v * 10 + (*p - '0');
    }
    if (p == s)
        return false;
    int64_t mul = 1;
    if (*p) {
        switch (*p) {
        case 's': mul = 1; break;
        case 'm': mul = 60; break;
        case 'h': mul = 3600; break;
        case 'd': mul = 86400; break;
        default: return false;
        }
        if (p[1])
            return false;
    }
    if (v > EDD_CONFIG_MAX_DURATION / mul)
        return false;
    v *= mul;
    if (v < 1)
        return false;
    *out = v;
    return true;
}

/* ------------------------------------------------------------------ */
/* Defaults and free, by the tables                                     */

#define AT(obj, off, type) ((type *)(void *)((char *)(obj) + (off)))

bool edd_fields_init(const edd_field *fields, void *obj)
{
    for (const edd_field *f = fields; f->key; f++) {
        switch (f->type) {
        case EDD_F_INT:
        case EDD_F_DURATION:
            *AT(obj, f->off, int64_t) = f->def;
            break;
        case EDD_F_BOOL:
            *AT(obj, f->off, bool) = f->def != 0;
            break;
        case EDD_F_TRISTATE:
        case EDD_F_ENUM:
            *AT(obj, f->off, int) = (int)f->def;
            break;
        case EDD_F_STR:
            if (f->sdef && !(*AT(obj, f->off, char *) = strdup(f->sdef)))
                return false;
            break;
        case EDD_F_MAP:
            if (!edd_fields_init(f->sub, AT(obj, f->off, char)))
                return false;
            break;
        default:
            break;
        }
    }
    return true;
}

void edd_fields_free(const edd_field *fields, void *obj)
{
    for (const edd_field *f = fields; f->key; f++) {
        char **s = AT(obj, f->off, char *);
        switch (f->type) {
        case EDD_F_STR:
            free(*s);
            *s = NULL;
            break;
        case EDD_F_DURATION:
            free(*AT(obj, f->count, char *));
            *AT(obj, f->count, char *) = NULL;
            break;
        case EDD_F_STRS: {
            unsigned *n = AT(obj, f->count, unsigned);
            for (unsigned i = 0; *s && i < *n; i++)
                free(((char **)*s)[i]);
            free(*s);
            *s = NULL;
            *n = 0;
            break;
        }
        case EDD_F_MAP:
            edd_fields_free(f->sub, AT(obj, f->off, char));
            break;
        case EDD_F_MAP_PTR:
            if (*s)
                edd_fields_free(f->sub, *s);
            free(*s);
            *s = NULL;
            break;
        case EDD_F_SEQ: {
            unsigned *n = AT(obj, f->count, unsigned);
            for (unsigned i = 0; *s && i < *n; i++)
                edd_fields_free(f->sub, *s + (size_t)i * f->size);
            free(*s);
            *s = NULL;
            *n = 0;
            break;
        }
        case EDD_F_NAMES: {
            edd_cfg_name **names = AT(obj, f->off, edd_cfg_name *);
            size_t *n = AT(obj, f->count, size_t);
            for (size_t i = 0; *names && i < *n; i++) {
                free((*names)[i].lang);
                free((*names)[i].text);
            }
            free(*names);
            *names = NULL;
            *n = 0;
            break;
        }
        default:
            break;
        }
    }
}

/* ------------------------------------------------------------------ */
/* The walk                                                             */

typedef struct walk {
    edd_ymap *m;
    yaml_document_t *doc;
    unsigned char *seen; /* per node: visited (detects aliases) */
    size_t nnodes;
    char *err;
    size_t errlen;
} walk;

#define FAIL_AT(line, path, ...) \
    edd_cfg_fail_at(w->m, w->err, w->errlen, (line), (path), __VA_ARGS__)
#define OOM() FAIL_AT(1, "", "out of memory")

static int node_line(const yaml_node_t *n)
{
    return n ? (int)n->start_mark.line + 1 : 1;
}

static const char *kind_name(const yaml_node_t *n)
{
    switch (n->type) {
    case YAML_MAPPING_NODE:  return "a mapping";
    case YAML_SEQUENCE_NODE: return "a list";
    default:                 return "a scalar";
    }
}

/* "got 'value'" for scalars (cut to 40 bytes), "got a list" otherwise. */
static void describe(const yaml_node_t *n, char *out, size_t outlen)
{
    if (n->type != YAML_SCALAR_NODE) {
        snprintf(out, outlen, "got %s", kind_name(n));
        return;
    }
    size_t len = n->data.scalar.length;
    if (len == 0) {
        snprintf(out, outlen, "got nothing");
        return;
    }
    snprintf(out, outlen, "got '%.*s%s'", (int)(len > 40 ? 40 : len),
             (const char *)n->data.scalar.value, len > 40 ? "..." : "");
}

static bool fail_kind(walk *w, const yaml_node_t *n, const char *path, int line,
                      const char *expected)
{
    char got[64];
    describe(n, got, sizeof got);
    return FAIL_AT(line, path, "expected %s, %s", expected, got);
}

/* Each node is read once: a second visit is an alias. */
static bool take(walk *w, const yaml_node_t *n, const char *path, int line)
{
    size_t idx = (size_t)(n - w->doc->nodes.start);
    if (idx >= w->nnodes)
        return FAIL_AT(line, path, "bad node");
    if (w->seen[idx])
        return FAIL_AT(line, path, "YAML aliases are not supported");
    w->seen[idx] = 1;
    if (n->type == YAML_SCALAR_NODE &&
        strlen((const char *)n->data.scalar.value) != n->data.scalar.length)
        return FAIL_AT(line, path, "contains a NUL character");
    return true;
}

/* A string of 1 .. EDD_CONFIG_MAX_STR bytes into *out. */
static bool read_str(walk *w, const yaml_node_t *n, const char *path, int line,
                     char **out)
{
    if (n->type != YAML_SCALAR_NODE)
        return fail_kind(w, n, path, line, "a string");
    size_t len = n->data.scalar.length;
    if (len == 0)
        return FAIL_AT(line, path, "must not be empty");
    if (len > EDD_CONFIG_MAX_STR)
        return FAIL_AT(line, path, "longer than %u bytes", EDD_CONFIG_MAX_STR);
    char *s = strdup((const char *)n->data.scalar.value);
    if (!s)
        return OOM();
    free(*out);
    *out = s;
    return true;
}

static bool read_value(walk *w, yaml_node_t *n, const edd_field *f, void *obj,
                       const char *path, int line);

static bool read_mapping(walk *w, yaml_node_t *n, const edd_field *fields,
                         void *obj, const char *path, int line)
{
    if (n->type != YAML_MAPPING_NODE)
        return fail_kind(w, n, path, line, "a mapping");
    uint64_t present = 0; /* bit i: fields[i] was read */
    for (yaml_node_pair_t *p = n->data.mapping.pairs.start;
         p < n->data.mapping.pairs.top; p++) {
        yaml_node_t *k = yaml_document_get_node(w->doc, p->key);
        yaml_node_t *v = yaml_document_get_node(w->doc, p->value);
        if (!k || !v || k->type != YAML_SCALAR_NODE)
            return FAIL_AT(node_line(k), path, "keys must be plain strings");
        const char *key = (const char *)k->data.scalar.value;
        char sub[PATH_MAX_LEN];
        int r = snprintf(sub, sizeof sub, "%s%s%.64s", path, *path ? "." : "", key);
        if (r < 0 || (size_t)r >= sizeof sub)
            return FAIL_AT(node_line(k), path, "nested too deeply");
        size_t i = 0;
        while (fields[i].key && strcmp(fields[i].key, key) != 0)
            i++;
        if (!fields[i].key)
            return FAIL_AT(node_line(k), sub, "unknown key");
        if (present & (UINT64_C(1) << i))
            return FAIL_AT(node_line(k), sub, "duplicate key");
        present |= UINT64_C(1) << i;
        size_t vidx = (size_t)(v - w->doc->nodes.start);
        if (vidx < w->nnodes && w->seen[vidx])
            return FAIL_AT(node_line(k), sub, "YAML aliases are not supported");
        int vline = node_line(v);
        /* An empty value ("key:") sits on the key's line. */
        if (v->type == YAML_SCALAR_NODE && v->data.scalar.length == 0)
            vline = node_line(k);
        if (!add_entry(w->m, sub, vline, node_line(k)))
            return OOM();
        if (!read_value(w, v, &fields[i], obj, sub, vline))
            return false;
    }
    for (size_t i = 0; fields[i].key; i++)
        if (fields[i].required && !(present & (UINT64_C(1) << i)))
            return FAIL_AT(line, path, "missing required key '%s'", fields[i].key);
    return true;
}

/* A list: STRS (strings) or SEQ (structs). */
static bool read_list(walk *w, yaml_node_t *n, const edd_field *f, void *obj,
                      const char *path, int line)
{
    if (n->type != YAML_SEQUENCE_NODE)
        return fail_kind(w, n, path, line, "a list");
    size_t cnt = (size_t)(n->data.sequence.items.top - n->data.sequence.items.start);
    if (cnt > (size_t)f->max)
        return FAIL_AT(line, path, "too many entries (at most %lld)", (long long)f->max);
    if (cnt < (size_t)f->min)
        return FAIL_AT(line, path, "needs at least %lld %s", (long long)f->min,
                       f->min == 1 ? "entry" : "entries");
    size_t size = f->type == EDD_F_SEQ ? f->size : sizeof(char *);
    char *arr = calloc(cnt ? cnt : 1, size);
    if (!arr)
        return OOM();
    *AT(obj, f->off, char *) = arr;
    *AT(obj, f->count, unsigned) = (unsigned)cnt; /* entries zeroed: freeable */
    for (size_t i = 0; i < cnt; i++) {
        char *elem = arr + i * size;
        yaml_node_t *e = yaml_document_get_node(w->doc, n->data.sequence.items.start[i]);
        char sub[PATH_MAX_LEN];
        int r = snprintf(sub, sizeof sub, "%s[%zu]", path, i);
        if (r < 0 || (size_t)r >= sizeof sub)
            return FAIL_AT(line, path, "nested too deeply");
        if (!e)
            return FAIL_AT(line, sub, "bad node");
        int eline = node_line(e);
        if (!add_entry(w->m, sub, eline, eline))
            return OOM();
        if (!take(w, e, sub, eline))
            return false;
        if (f->type == EDD_F_STRS) {
            if (!read_str(w, e, sub, eline, (char **)(void *)elem))
                return false;
        } else if (!edd_fields_init(f->sub, elem)) {
            return OOM();
        } else if (!read_mapping(w, e, f->sub, elem, sub, eline)) {
            return false;
        }
    }
    return true;
}

/* `names`: a mapping from language tags to non-empty strings. */
static bool read_names(walk *w, yaml_node_t *n, const edd_field *f, void *obj,
                       const char *path, int line)
{
    if (n->type != YAML_MAPPING_NODE)
        return fail_kind(w, n, path, line, "a mapping of language: name");
    size_t cnt = (size_t)(n->data.mapping.pairs.top - n->data.mapping.pairs.start);
    edd_cfg_name *names = calloc(cnt ? cnt : 1, sizeof *names);
    if (!names)
        return OOM();
    *AT(obj, f->off, edd_cfg_name *) = names;
    *AT(obj, f->count, size_t) = cnt;
    for (size_t i = 0; i < cnt; i++) {
        yaml_node_pair_t *p = &n->data.mapping.pairs.start[i];
        yaml_node_t *k = yaml_document_get_node(w->doc, p->key);
        yaml_node_t *v = yaml_document_get_node(w->doc, p->value);
        if (!k || !v || k->type != YAML_SCALAR_NODE)
            return FAIL_AT(node_line(k), path, "keys must be language tags");
        const char *key = (const char *)k->data.scalar.value;
        char sub[PATH_MAX_LEN];
        int r = snprintf(sub, sizeof sub, "%s.%.64s", path, key);
        if (r < 0 || (size_t)r >= sizeof sub)
            return FAIL_AT(node_line(k), path, "nested too deeply");
        if (!edd_is_lang_tag(key) || strlen(key) != k->data.scalar.length)
            return FAIL_AT(node_line(k), sub, "not a language tag");
        for (size_t j = 0; j < i; j++)
            if (strcmp(names[j].lang, key) == 0)
                return FAIL_AT(node_line(k), sub, "duplicate key");
        if (i >= 64)
            return FAIL_AT(node_line(k), path, "too many names (at most 64)");
        if (!take(w, v, sub, node_line(v)))
            return false;
        if (v->type != YAML_SCALAR_NODE || v->data.scalar.length == 0 ||
            v->data.scalar.length > EDD_CONFIG_MAX_STR)
            return fail_kind(w, v, sub, node_line(v), "a name");
        if (!add_entry(w->m, sub, node_line(v), node_line(k)) ||
            !(names[i].lang = strdup(key)) ||
            !(names[i].text = strdup((const char *)v->data.scalar.value)))
            return OOM();
    }
    return true;
}

static bool read_value(walk *w, yaml_node_t *n, const edd_field *f, void *obj,
                       const char *path, int line)
{
    if (!take(w, n, path, line))
        return false;
    const char *s = n->type == YAML_SCALAR_NODE ? (const char *)n->data.scalar.value : NULL;
    size_t len = s ? n->data.scalar.length : 0;
    bool b;
    int64_t v;

    switch (f->type) {
    case EDD_F_STR:
        return read_str(w, n, path, line, AT(obj, f->off, char *));
    case EDD_F_INT:
        if (!s || !is_decimal_int(s, len, &v))
            return fail_kind(w, n, path, line, "an integer");
        if (f->max > f->min && (v < f->min || v > f->max))
            return FAIL_AT(line, path, "must be between %lld and %lld",
                           (long long)f->min, (long long)f->max);
        *AT(obj, f->off, int64_t) = v;
        return true;
    case EDD_F_BOOL:
    case EDD_F_TRISTATE:
        if (!s || !parse_bool(s, &b))
            return fail_kind(w, n, path, line, "true or false");
        if (f->type == EDD_F_BOOL)
            *AT(obj, f->off, bool) = b;
        else
            *AT(obj, f->off, int) = b;
        return true;
    case EDD_F_ENUM: {
        char list[256] = "", got[64];
        size_t used = 0;
        for (const edd_enum_name *e = f->names; s && e->name; e++)
            if (strcmp(s, e->name) == 0) {
                *AT(obj, f->off, int) = e->value;
                return true;
            }
        for (const edd_enum_name *e = f->names; e->name && used < sizeof list; e++) {
            int r = snprintf(list + used, sizeof list - used, "%s%s",
                             e == f->names ? "" : ", ", e->name);
            if (r < 0)
                break;
            used += (size_t)r;
        }
        describe(n, got, sizeof got);
        return FAIL_AT(line, path, "expected one of %s; %s", list, got);
    }
    case EDD_F_DURATION: {
        char **text = AT(obj, f->count, char *);
        if (!read_str(w, n, path, line, text))
            return false;
        if (!edd_config_parse_duration(*text, AT(obj, f->off, int64_t)))
            return FAIL_AT(line, path,
                           "bad duration '%s' (use 90s, 10m, 12h, 1d or seconds)", *text);
        return true;
    }
    case EDD_F_STRS:
    case EDD_F_SEQ:
        return read_list(w, n, f, obj, path, line);
    case EDD_F_MAP:
        return read_mapping(w, n, f->sub, AT(obj, f->off, char), path, line);
    case EDD_F_MAP_PTR: {
        char *sub = calloc(1, f->size);
        if (!sub)
            return OOM();
        *AT(obj, f->off, char *) = sub;
        if (!edd_fields_init(f->sub, sub))
            return OOM();
        return read_mapping(w, n, f->sub, sub, path, line);
    }
    case EDD_F_NAMES:
        return read_names(w, n, f, obj, path, line);
    }
    return FAIL_AT(line, path, "internal error: unsupported schema type");
}

/* ------------------------------------------------------------------ */
/* Parse, then walk                                                     */

static bool load_document(edd_ymap *m, yaml_parser_t *parser, yaml_document_t *doc,
                          char *err, size_t errlen)
{
    if (!yaml_parser_load(parser, doc)) {
        int line = (int)parser->problem_mark.line + 1;
        const char *what = parser->problem ? parser->problem : "syntax error";
        if (parser->error == YAML_MEMORY_ERROR)
            what = "out of memory";
        return edd_cfg_fail_at(m, err, errlen, line, "", "YAML syntax error: %s", what);
    }
    return true;
}

bool edd_yaml_read(edd_ymap *m, const char *file, const unsigned char *data,
                  size_t len, const edd_field *schema, void *obj, char *err,
                  size_t errlen)
{
    m->file = file;
    if (!edd_fields_init(schema, obj))
        return edd_cfg_fail_at(m, err, errlen, 1, "", "out of memory");
    yaml_parser_t parser;
    if (!yaml_parser_initialize(&parser))
        return edd_cfg_fail_at(m, err, errlen, 1, "", "out of memory");
    yaml_parser_set_input_string(&parser, data, len);
    yaml_document_t doc, next;
    if (!load_document(m, &parser, &doc, err, errlen)) {
        yaml_parser_delete(&parser);
        return false;
    }
    bool ok = false;
    walk w = { m, &doc, NULL, (size_t)(doc.nodes.top - doc.nodes.start), err, errlen };
    yaml_node_t *root = yaml_document_get_root_node(&doc);
    if (!root) {
        edd_cfg_fail_at(m, err, errlen, 1, "", "the file holds no configuration");
        goto out;
    }
    /* A second document would be silently ignored: refuse it. */
    if (!load_document(m, &parser, &next, err, errlen))
        goto out;
    yaml_node_t *nroot = yaml_document_get_root_node(&next);
    int nline = (int)next.start_mark.line + 1;
    yaml_document_delete(&next);
    if (nroot) {
        edd_cfg_fail_at(m, err, errlen, nline, "", "more than one YAML document");
        goto out;
    }
    if (w.nnodes > EDD_CONFIG_MAX_NODES) {
        edd_cfg_fail_at(m, err, errlen, 1, "", "too many YAML nodes (at most %d)",
                       EDD_CONFIG_MAX_NODES);
        goto out;
    }
    if (!(w.seen = calloc(w.nnodes ? w.nnodes : 1, 1)) ||
        !add_entry(m, "", node_line(root), node_line(root))) {
        edd_cfg_fail_at(m, err, errlen, 1, "", "out of memory");
        goto out;
    }
    ok = take(&w, root, "", node_line(root)) &&
         read_mapping(&w, root, schema, obj, "", node_line(root));
out:
    free(w.seen);
    yaml_document_delete(&doc);
    yaml_parser_delete(&parser);
    return ok;
}
