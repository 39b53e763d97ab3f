/* daemon/config_int.h — internals shared by config.c, config_yaml.c and
 * config_check.c.  Not installed, not used outside the loader. */
#ifndef EXTDISCOD_CONFIG_INT_H
#define EXTDISCOD_CONFIG_INT_H

#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <cyaml/cyaml.h>
#include <yaml.h>

#include "config/config.h"

/* One mapping value or sequence entry of the document, by its path
 * ("services[2].transport", 0-based indexes; "" is the root). */
typedef struct ed_ymap_entry {
    char *path;
    int line;      /* 1-based line of the value (or entry) */
    int key_line;  /* 1-based line of the key; == line for sequence entries */
    yaml_node_t *node;
} ed_ymap_entry;

/* The YAML document as libyaml sees it, checked against the cyaml schema,
 * with a path -> line map for every later error message. */
typedef struct ed_ymap {
    const char *file;     /* borrowed: the path as given by the caller */
    yaml_document_t doc;
    bool have_doc;
    ed_ymap_entry *v;
    size_t n, cap;
    unsigned char *seen;  /* per node: visited (detects aliases) */
    size_t nnodes;
} ed_ymap;

/* Parse data (len bytes of file) with libyaml and check it against schema:
 * syntax, one document, no aliases, node kinds, unknown/duplicate/missing
 * keys, integer/boolean/enum syntax, string and list lengths.  false with
 * err = "FILE:LINE: ..." on the first problem.  m must be zeroed; release
 * with ed_ymap_free() in every case. */
bool ed_ymap_load(ed_ymap *m, const char *file, const unsigned char *data,
                  size_t len, const cyaml_schema_value_t *schema, char *err,
                  size_t errlen);
void ed_ymap_free(ed_ymap *m);

/* The entry at path, or NULL when the key was absent. */
const ed_ymap_entry *ed_ymap_find(const ed_ymap *m, const char *path);
bool ed_ymap_has(const ed_ymap *m, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

/* Line of path or, when absent, of its nearest present ancestor (1 for the
 * root). */
int ed_ymap_line(const ed_ymap *m, const char *path);

/* err = "FILE:LINE: PATH: message" (no "PATH: " when path is ""); LINE from
 * ed_ymap_line(path).  Always returns false (for "return ed_cfg_fail(...)"). */
bool ed_cfg_fail(const ed_ymap *m, char *err, size_t errlen, const char *path,
                 const char *fmt, ...) __attribute__((format(printf, 5, 6)));
/* Same with an explicit line. */
bool ed_cfg_fail_at(const ed_ymap *m, char *err, size_t errlen, int line,
                    const char *path, const char *fmt, ...)
    __attribute__((format(printf, 6, 7)));

/* Semantic checks and resolution (config_check.c): defaults, durations,
 * normalisation, paths, secrets, services, components, c2s.  cfg was just
 * filled by libcyaml from the document in m. */
bool ed_config_resolve(ed_config *cfg, const ed_ymap *m, char *err,
                       size_t errlen);

/* Free the members ed_config_resolve() adds that libcyaml does not know. */
void ed_config_free_resolved(ed_config *cfg);

/* Wipe and free a secret string. */
void ed_secret_free(char *s, size_t len);

#endif
