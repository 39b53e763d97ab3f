/* daemon/config_yaml.c — the libyaml pass of the configuration loader.
 *
 * libcyaml fills the structs, but its messages carry no usable positions
 * (its backtrace line is that of the last event read, not of the culprit)
 * and it is lenient where a configuration must not be ("port: 1e3" loads as
 * 1, "010" as 8, any word as boolean true).  So before libcyaml sees the
 * file, this pass walks libyaml's node tree against the very same cyaml
 * schema tables, refuses what is wrong with its exact line, and records a
 * path -> line map that the semantic checks use for their messages. */
#include "config/config_int.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#define PATH_MAX_LEN 512

static int node_line(const yaml_node_t *n)
{
    return n ? (int)n->start_mark.line + 1 : 1;
}

__attribute__((format(printf, 6, 0)))
static void vfail_at(const ed_ymap *m, char *err, size_t errlen, int line,
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

bool ed_cfg_fail_at(const ed_ymap *m, char *err, size_t errlen, int line,
                    const char *path, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vfail_at(m, err, errlen, line, path, fmt, ap);
    va_end(ap);
    return false;
}

bool ed_cfg_fail(const ed_ymap *m, char *err, size_t errlen, const char *path,
                 const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vfail_at(m, err, errlen, ed_ymap_line(m, path), path, fmt, ap);
    va_end(ap);
    return false;
}

const ed_ymap_entry *ed_ymap_find(const ed_ymap *m, const char *path)
{
    for (size_t i = 0; i < m->n; i++)
        if (strcmp(m->v[i].path, path) == 0)
            return &m->v[i];
    return NULL;
}

bool ed_ymap_has(const ed_ymap *m, const char *fmt, ...)
{
    char path[PATH_MAX_LEN];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(path, sizeof path, fmt, ap);
    va_end(ap);
    return ed_ymap_find(m, path) != NULL;
}

int ed_ymap_line(const ed_ymap *m, const char *path)
{
    char p[PATH_MAX_LEN];
    snprintf(p, sizeof p, "%s", path ? path : "");
    for (;;) {
        const ed_ymap_entry *e = ed_ymap_find(m, p);
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

static bool add_entry(ed_ymap *m, const char *path, int line, int key_line,
                      yaml_node_t *node)
{
    if (m->n == m->cap) {
        size_t cap = m->cap ? m->cap * 2 : 64;
        ed_ymap_entry *v = realloc(m->v, cap * sizeof *v);
        if (!v)
            return false;
        m->v = v;
        m->cap = cap;
    }
    char *p = strdup(path);
    if (!p)
        return false;
    m->v[m->n++] = (ed_ymap_entry){ p, line, key_line, node };
    return true;
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

static bool is_decimal_int(const char *s, size_t len)
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
    (void)strtoll(s, NULL, 10);
    return errno == 0;
}

static bool is_bool_word(const char *s)
{
    static const char *const w[] = { "true", "false", "yes", "no", "on", "off" };
    for (size_t i = 0; i < sizeof w / sizeof w[0]; i++)
        if (strcasecmp(s, w[i]) == 0)
            return true;
    return false;
}

/* A BCP 47-ish language tag: 1-8 letters, then -[alnum]{1,8} parts. */
static bool is_lang_tag(const char *s)
{
    size_t i = 0, part = 0;
    bool first = true;
    for (;; i++) {
        char c = s[i];
        if (c == '-' || c == '\0') {
            if (part == 0 || part > 8)
                return false;
            if (c == '\0')
                return true;
            part = 0;
            first = false;
            continue;
        }
        bool alpha = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
        bool digit = c >= '0' && c <= '9';
        if (!(alpha || (digit && !first)))
            return false;
        part++;
    }
}

typedef struct walk {
    ed_ymap *m;
    char *err;
    size_t errlen;
} walk;

static bool walk_value(walk *w, yaml_node_t *n, const cyaml_schema_value_t *sv,
                       const char *path, int use_line);

static bool fail_kind(walk *w, yaml_node_t *n, const char *path, int line,
                      const char *expected)
{
    char got[64];
    describe(n, got, sizeof got);
    return ed_cfg_fail_at(w->m, w->err, w->errlen, line, path,
                          "expected %s, %s", expected, got);
}

/* Whether a pair of mapping n before p has the key key. */
static bool dup_key(walk *w, yaml_node_t *n, yaml_node_pair_t *p, const char *key)
{
    for (yaml_node_pair_t *q = n->data.mapping.pairs.start; q < p; q++) {
        yaml_node_t *k = yaml_document_get_node(&w->m->doc, q->key);
        if (k && k->type == YAML_SCALAR_NODE &&
            strcmp((const char *)k->data.scalar.value, key) == 0)
            return true;
    }
    return false;
}

/* `names`: a mapping from language tags to non-empty strings. */
static bool walk_names(walk *w, yaml_node_t *n, const char *path, int line)
{
    if (n->type != YAML_MAPPING_NODE)
        return fail_kind(w, n, path, line, "a mapping of language: name");
    yaml_node_pair_t *p;
    for (p = n->data.mapping.pairs.start; p < n->data.mapping.pairs.top; p++) {
        yaml_node_t *k = yaml_document_get_node(&w->m->doc, p->key);
        yaml_node_t *v = yaml_document_get_node(&w->m->doc, p->value);
        char sub[PATH_MAX_LEN];
        if (!k || !v || k->type != YAML_SCALAR_NODE)
            return ed_cfg_fail_at(w->m, w->err, w->errlen, node_line(k), path,
                                  "keys must be language tags");
        const char *key = (const char *)k->data.scalar.value;
        snprintf(sub, sizeof sub, "%s.%s", path, key);
        if (!is_lang_tag(key) || strlen(key) != k->data.scalar.length)
            return ed_cfg_fail_at(w->m, w->err, w->errlen, node_line(k), sub,
                                  "not a language tag");
        if (dup_key(w, n, p, key))
            return ed_cfg_fail_at(w->m, w->err, w->errlen, node_line(k), sub,
                                  "duplicate key");
        if (p - n->data.mapping.pairs.start >= 64)
            return ed_cfg_fail_at(w->m, w->err, w->errlen, node_line(k), path,
                                  "too many names (at most 64)");
        if (v->type != YAML_SCALAR_NODE || v->data.scalar.length == 0 ||
            v->data.scalar.length > ED_CONFIG_MAX_STR ||
            strlen((const char *)v->data.scalar.value) != v->data.scalar.length)
            return fail_kind(w, v, sub, node_line(v), "a name");
        if (!add_entry(w->m, sub, node_line(v), node_line(k), v))
            return ed_cfg_fail_at(w->m, w->err, w->errlen, 1, "", "out of memory");
    }
    return true;
}

static bool walk_mapping(walk *w, yaml_node_t *n, const cyaml_schema_value_t *sv,
                         const char *path, int line)
{
    if (n->type != YAML_MAPPING_NODE)
        return fail_kind(w, n, path, line, "a mapping");
    const cyaml_schema_field_t *fields = sv->mapping.fields;
    yaml_node_pair_t *p;
    for (p = n->data.mapping.pairs.start; p < n->data.mapping.pairs.top; p++) {
        yaml_node_t *k = yaml_document_get_node(&w->m->doc, p->key);
        yaml_node_t *v = yaml_document_get_node(&w->m->doc, p->value);
        if (!k || !v || k->type != YAML_SCALAR_NODE)
            return ed_cfg_fail_at(w->m, w->err, w->errlen, node_line(k), path,
                                  "keys must be plain strings");
        const char *key = (const char *)k->data.scalar.value;
        char sub[PATH_MAX_LEN];
        int r = snprintf(sub, sizeof sub, "%s%s%.64s", path, *path ? "." : "", key);
        if (r < 0 || (size_t)r >= sizeof sub)
            return ed_cfg_fail_at(w->m, w->err, w->errlen, node_line(k), path,
                                  "nested too deeply");
        const cyaml_schema_field_t *f = fields;
        while (f->key && strcmp(f->key, key) != 0)
            f++;
        if (!f->key)
            return ed_cfg_fail_at(w->m, w->err, w->errlen, node_line(k), sub,
                                  "unknown key");
        if (dup_key(w, n, p, key))
            return ed_cfg_fail_at(w->m, w->err, w->errlen, node_line(k), sub,
                                  "duplicate key");
        size_t vidx = (size_t)(v - w->m->doc.nodes.start);
        if (vidx < w->m->nnodes && w->m->seen[vidx])
            return ed_cfg_fail_at(w->m, w->err, w->errlen, node_line(k), sub,
                                  "YAML aliases are not supported");
        int vline = node_line(v);
        /* An empty value ("key:") sits on the key's line. */
        if (v->type == YAML_SCALAR_NODE && v->data.scalar.length == 0)
            vline = node_line(k);
        if (!add_entry(w->m, sub, vline, node_line(k), v))
            return ed_cfg_fail_at(w->m, w->err, w->errlen, 1, "", "out of memory");
        if (!walk_value(w, v, &f->value, sub, vline))
            return false;
    }
    for (const cyaml_schema_field_t *f = fields; f->key; f++) {
        if (f->value.flags & CYAML_FLAG_OPTIONAL)
            continue;
        char sub[PATH_MAX_LEN];
        snprintf(sub, sizeof sub, "%s%s%s", path, *path ? "." : "", f->key);
        if (!ed_ymap_find(w->m, sub))
            return ed_cfg_fail_at(w->m, w->err, w->errlen, line, path,
                                  "missing required key '%s'", f->key);
    }
    return true;
}

static bool walk_value(walk *w, yaml_node_t *n, const cyaml_schema_value_t *sv,
                       const char *path, int line)
{
    size_t idx = (size_t)(n - w->m->doc.nodes.start);
    if (idx >= w->m->nnodes)
        return ed_cfg_fail_at(w->m, w->err, w->errlen, line, path, "bad node");
    if (w->m->seen[idx])
        return ed_cfg_fail_at(w->m, w->err, w->errlen, line, path,
                              "YAML aliases are not supported");
    w->m->seen[idx] = 1;

    const char *s = n->type == YAML_SCALAR_NODE ? (const char *)n->data.scalar.value : NULL;
    size_t len = s ? n->data.scalar.length : 0;
    if (s && strlen(s) != len)
        return ed_cfg_fail_at(w->m, w->err, w->errlen, line, path,
                              "contains a NUL character");

    switch (sv->type) {
    case CYAML_MAPPING:
        return walk_mapping(w, n, sv, path, line);
    case CYAML_SEQUENCE: {
        if (n->type != YAML_SEQUENCE_NODE)
            return fail_kind(w, n, path, line, "a list");
        size_t cnt = (size_t)(n->data.sequence.items.top - n->data.sequence.items.start);
        if (cnt > sv->sequence.max)
            return ed_cfg_fail_at(w->m, w->err, w->errlen, line, path,
                                  "too many entries (at most %u)", sv->sequence.max);
        if (cnt < sv->sequence.min)
            return ed_cfg_fail_at(w->m, w->err, w->errlen, line, path,
                                  "needs at least %u %s", sv->sequence.min,
                                  sv->sequence.min == 1 ? "entry" : "entries");
        for (size_t i = 0; i < cnt; i++) {
            yaml_node_t *e = yaml_document_get_node(&w->m->doc,
                                                    n->data.sequence.items.start[i]);
            char sub[PATH_MAX_LEN];
            snprintf(sub, sizeof sub, "%s[%zu]", path, i);
            if (!e)
                return ed_cfg_fail_at(w->m, w->err, w->errlen, line, sub, "bad node");
            if (!add_entry(w->m, sub, node_line(e), node_line(e), e))
                return ed_cfg_fail_at(w->m, w->err, w->errlen, 1, "", "out of memory");
            if (!walk_value(w, e, sv->sequence.entry, sub, node_line(e)))
                return false;
        }
        return true;
    }
    case CYAML_STRING:
        if (!s)
            return fail_kind(w, n, path, line, "a string");
        if (len < sv->string.min)
            return ed_cfg_fail_at(w->m, w->err, w->errlen, line, path,
                                  "must not be empty");
        if (len > sv->string.max)
            return ed_cfg_fail_at(w->m, w->err, w->errlen, line, path,
                                  "longer than %u bytes", sv->string.max);
        return true;
    case CYAML_INT:
        if (!s || !is_decimal_int(s, len))
            return fail_kind(w, n, path, line, "an integer");
        return true;
    case CYAML_BOOL:
        if (!s || !is_bool_word(s))
            return fail_kind(w, n, path, line, "true or false");
        return true;
    case CYAML_ENUM: {
        char list[256] = "";
        size_t used = 0;
        for (uint32_t i = 0; s && i < sv->enumeration.count; i++)
            if (strcmp(s, sv->enumeration.strings[i].str) == 0)
                return true;
        for (uint32_t i = 0; i < sv->enumeration.count && used < sizeof list; i++) {
            int r = snprintf(list + used, sizeof list - used, "%s%s", i ? ", " : "",
                             sv->enumeration.strings[i].str);
            if (r < 0)
                break;
            used += (size_t)r;
        }
        char got[64];
        describe(n, got, sizeof got);
        return ed_cfg_fail_at(w->m, w->err, w->errlen, line, path,
                              "expected one of %s; %s", list, got);
    }
    case CYAML_IGNORE:
        /* The one free-form mapping of the schema. */
        return walk_names(w, n, path, line);
    default:
        return ed_cfg_fail_at(w->m, w->err, w->errlen, line, path,
                              "internal error: unsupported schema type");
    }
}

bool ed_ymap_load(ed_ymap *m, const char *file, const unsigned char *data,
                  size_t len, const cyaml_schema_value_t *schema, char *err,
                  size_t errlen)
{
    yaml_parser_t parser;
    m->file = file;
    if (!yaml_parser_initialize(&parser))
        return ed_cfg_fail_at(m, err, errlen, 1, "", "out of memory");
    yaml_parser_set_input_string(&parser, data, len);
    if (!yaml_parser_load(&parser, &m->doc)) {
        int line = (int)parser.problem_mark.line + 1;
        const char *what = parser.problem ? parser.problem : "syntax error";
        if (parser.error == YAML_MEMORY_ERROR)
            what = "out of memory";
        ed_cfg_fail_at(m, err, errlen, line, "", "YAML syntax error: %s", what);
        yaml_parser_delete(&parser);
        return false;
    }
    m->have_doc = true;
    yaml_node_t *root = yaml_document_get_root_node(&m->doc);
    if (!root) {
        yaml_parser_delete(&parser);
        return ed_cfg_fail_at(m, err, errlen, 1, "", "the file holds no configuration");
    }
    /* A second document would be silently ignored: refuse it. */
    yaml_document_t next;
    if (!yaml_parser_load(&parser, &next)) {
        int line = (int)parser.problem_mark.line + 1;
        ed_cfg_fail_at(m, err, errlen, line, "", "YAML syntax error: %s",
                       parser.problem ? parser.problem : "syntax error");
        yaml_parser_delete(&parser);
        return false;
    }
    yaml_node_t *nroot = yaml_document_get_root_node(&next);
    int nline = nroot ? (int)next.start_mark.line + 1 : 0;
    yaml_document_delete(&next);
    yaml_parser_delete(&parser);
    if (nroot)
        return ed_cfg_fail_at(m, err, errlen, nline, "",
                              "more than one YAML document");

    m->nnodes = (size_t)(m->doc.nodes.top - m->doc.nodes.start);
    if (m->nnodes > ED_CONFIG_MAX_NODES)
        return ed_cfg_fail_at(m, err, errlen, 1, "",
                              "too many YAML nodes (at most %d)", ED_CONFIG_MAX_NODES);
    m->seen = calloc(m->nnodes ? m->nnodes : 1, 1);
    if (!m->seen)
        return ed_cfg_fail_at(m, err, errlen, 1, "", "out of memory");
    if (!add_entry(m, "", node_line(root), node_line(root), root))
        return ed_cfg_fail_at(m, err, errlen, 1, "", "out of memory");
    walk w = { m, err, errlen };
    return walk_value(&w, root, schema, "", node_line(root));
}

void ed_ymap_free(ed_ymap *m)
{
    if (!m)
        return;
    for (size_t i = 0; i < m->n; i++)
        free(m->v[i].path);
    free(m->v);
    free(m->seen);
    if (m->have_doc)
        yaml_document_delete(&m->doc);
    memset(m, 0, sizeof *m);
}
