/* daemon/config/config_int.h — internals shared by config.c (the schema, load,
 * free, dump), config_yaml.c (the one pass that reads the YAML into the
 * structs) and config_check.c (semantic checks).  Not installed, not used
 * outside the loader. */
#ifndef EXTDISCOD_CONFIG_INT_H
#define EXTDISCOD_CONFIG_INT_H

#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "config/config.h"

/* ------------------------------------------------------------------ */
/* The schema: one table of fields per struct.                          */

typedef enum edd_ftype {
    EDD_F_STR,      /* char *, 1 .. EDD_CONFIG_MAX_STR bytes */
    EDD_F_INT,      /* int64_t, plain decimal; min..max when max > 0 */
    EDD_F_BOOL,     /* bool: true/false/yes/no/on/off, any case */
    EDD_F_TRISTATE, /* int: -1 when absent, else 0 or 1 (a bool) */
    EDD_F_ENUM,     /* an int-sized enum, one of names */
    EDD_F_DURATION, /* int64_t seconds; the text as written at count */
    EDD_F_STRS,     /* char ** with unsigned count at count; min..max entries */
    EDD_F_MAP,      /* an embedded struct described by sub */
    EDD_F_MAP_PTR,  /* a pointer to a struct of size bytes described by sub */
    EDD_F_SEQ,      /* an array of structs (size bytes, sub) + unsigned count */
    EDD_F_NAMES     /* edd_cfg_name * + size_t count: language tag -> text */
} edd_ftype;

typedef struct edd_enum_name {
    const char *name;
    int value;
} edd_enum_name;

typedef struct edd_field {
    const char *key;         /* NULL ends a table */
    edd_ftype type;
    size_t off;              /* the member */
    size_t count;            /* STRS, SEQ, NAMES: the count; DURATION: the text */
    bool required;
    bool secret_file;        /* names a file holding a secret (the dump says so) */
    int64_t min, max;        /* INT: value range; STRS, SEQ: entries */
    int64_t def;             /* INT, BOOL, TRISTATE, ENUM, DURATION default */
    const char *sdef;        /* STR default, or NULL */
    const edd_enum_name *names; /* ENUM, ended by { NULL, 0 } */
    const struct edd_field *sub; /* MAP, MAP_PTR, SEQ */
    size_t size;             /* MAP_PTR, SEQ: bytes of one struct */
} edd_field;

/* The whole file (config.c). */
extern const edd_field edd_config_schema[];

/* Set the defaults of the table fields in obj (zeroed).  false: no memory. */
bool edd_fields_init(const edd_field *fields, void *obj);
/* Free every member the table fields own in obj (not obj itself). */
void edd_fields_free(const edd_field *fields, void *obj);

/* ------------------------------------------------------------------ */
/* Lines: where each value of the file is, for every later message.     */

/* One mapping value or sequence entry of the document, by its path
 * ("services[2].transport", 0-based indexes; "" is the root). */
typedef struct edd_ymap_entry {
    char *path;
    int line;      /* 1-based line of the value (or entry) */
    int key_line;  /* 1-based line of the key; == line for sequence entries */
} edd_ymap_entry;

typedef struct edd_ymap {
    const char *file;     /* borrowed: the path as given by the caller */
    edd_ymap_entry *v;
    size_t n, cap;
} edd_ymap;

/* The one pass: parse data (len bytes of file) with libyaml and fill obj
 * (zeroed) as the schema fields say, with their defaults: syntax, one
 * document, no aliases, node kinds, unknown/duplicate/missing keys,
 * integer/boolean/enum/duration syntax and ranges, string and list lengths.
 * Records the line of every value in m.  false with err = "FILE:LINE: ..."
 * on the first problem (obj is then partly filled: free it with
 * edd_fields_free()).  m must be zeroed; release with edd_ymap_free() in
 * every case. */
bool edd_yaml_read(edd_ymap *m, const char *file, const unsigned char *data,
                  size_t len, const edd_field *schema, void *obj, char *err,
                  size_t errlen);
void edd_ymap_free(edd_ymap *m);

/* The entry at path, or NULL when the key was absent. */
const edd_ymap_entry *edd_ymap_find(const edd_ymap *m, const char *path);
bool edd_ymap_has(const edd_ymap *m, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

/* Line of path or, when absent, of its nearest present ancestor (1 for the
 * root). */
int edd_ymap_line(const edd_ymap *m, const char *path);

/* err = "FILE:LINE: PATH: message" (no "PATH: " when path is ""); LINE from
 * edd_ymap_line(path).  Always returns false (for "return edd_cfg_fail(...)"). */
bool edd_cfg_fail(const edd_ymap *m, char *err, size_t errlen, const char *path,
                 const char *fmt, ...) __attribute__((format(printf, 5, 6)));
/* Same with an explicit line. */
bool edd_cfg_fail_at(const edd_ymap *m, char *err, size_t errlen, int line,
                    const char *path, const char *fmt, ...)
    __attribute__((format(printf, 6, 7)));

/* A BCP 47-ish language tag: 1-8 letters, then -[alnum]{1,8} parts. */
bool edd_is_lang_tag(const char *s);

/* ------------------------------------------------------------------ */
/* Semantic checks and resolution (config_check.c)                      */

/* Normalisation, paths, secrets, services, components, c2s.  cfg was just
 * filled from the document whose lines are in m. */
bool edd_config_resolve(edd_config *cfg, const edd_ymap *m, char *err,
                       size_t errlen);

/* Wipe and free the members edd_config_resolve() adds outside the schema. */
void edd_config_free_resolved(edd_config *cfg);

/* Wipe and free a secret string. */
void edd_secret_free(char *s, size_t len);


/* --- shared by config_check.c and config_check_providers.c ------------- */
#define P 128 /* path buffer for messages */

typedef struct ctx {
    edd_config *cfg;
    const edd_ymap *m;
    char *err;
    size_t errlen;
} ctx;

#define FAIL(path, ...) edd_cfg_fail(c->m, c->err, c->errlen, (path), __VA_ARGS__)

/* config_check.c: a path relative to the file's directory made absolute;
 * a secret file read (the caller frees with edd_secret_free); a domain
 * normalised in place.  False with the message in c->err. */
bool edd_cfgc_resolve_path(ctx *c, char **p, const char *path);
bool edd_cfgc_read_secret(ctx *c, const char *file, const char *path, char **out,
                          size_t *outlen);
bool edd_cfgc_norm_domain(ctx *c, char **s, const char *path);
/* config_check_providers.c */
bool edd_cfgc_check_networks(ctx *c);
bool edd_cfgc_network_mask(ctx *c, char **names, unsigned n, const char *where,
                           uint64_t *mask);
bool edd_cfgc_check_provider(ctx *c, unsigned i);

#endif
