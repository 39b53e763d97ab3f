/* daemon/config_int.h — internals shared by config.c (the schema, load,
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

typedef enum ed_ftype {
    ED_F_STR,      /* char *, 1 .. ED_CONFIG_MAX_STR bytes */
    ED_F_INT,      /* int64_t, plain decimal; min..max when max > 0 */
    ED_F_BOOL,     /* bool: true/false/yes/no/on/off, any case */
    ED_F_TRISTATE, /* int: -1 when absent, else 0 or 1 (a bool) */
    ED_F_ENUM,     /* an int-sized enum, one of names */
    ED_F_DURATION, /* int64_t seconds; the text as written at count */
    ED_F_STRS,     /* char ** with unsigned count at count; min..max entries */
    ED_F_MAP,      /* an embedded struct described by sub */
    ED_F_MAP_PTR,  /* a pointer to a struct of size bytes described by sub */
    ED_F_SEQ,      /* an array of structs (size bytes, sub) + unsigned count */
    ED_F_NAMES     /* ed_cfg_name * + size_t count: language tag -> text */
} ed_ftype;

typedef struct ed_enum_name {
    const char *name;
    int value;
} ed_enum_name;

typedef struct ed_field {
    const char *key;         /* NULL ends a table */
    ed_ftype type;
    size_t off;              /* the member */
    size_t count;            /* STRS, SEQ, NAMES: the count; DURATION: the text */
    bool required;
    bool secret_file;        /* names a file holding a secret (the dump says so) */
    int64_t min, max;        /* INT: value range; STRS, SEQ: entries */
    int64_t def;             /* INT, BOOL, TRISTATE, ENUM, DURATION default */
    const char *sdef;        /* STR default, or NULL */
    const ed_enum_name *names; /* ENUM, ended by { NULL, 0 } */
    const struct ed_field *sub; /* MAP, MAP_PTR, SEQ */
    size_t size;             /* MAP_PTR, SEQ: bytes of one struct */
} ed_field;

/* The whole file (config.c). */
extern const ed_field ed_config_schema[];

/* Set the defaults of the table fields in obj (zeroed).  false: no memory. */
bool ed_fields_init(const ed_field *fields, void *obj);
/* Free every member the table fields own in obj (not obj itself). */
void ed_fields_free(const ed_field *fields, void *obj);

/* ------------------------------------------------------------------ */
/* Lines: where each value of the file is, for every later message.     */

/* One mapping value or sequence entry of the document, by its path
 * ("services[2].transport", 0-based indexes; "" is the root). */
typedef struct ed_ymap_entry {
    char *path;
    int line;      /* 1-based line of the value (or entry) */
    int key_line;  /* 1-based line of the key; == line for sequence entries */
} ed_ymap_entry;

typedef struct ed_ymap {
    const char *file;     /* borrowed: the path as given by the caller */
    ed_ymap_entry *v;
    size_t n, cap;
} ed_ymap;

/* The one pass: parse data (len bytes of file) with libyaml and fill obj
 * (zeroed) as the schema fields say, with their defaults: syntax, one
 * document, no aliases, node kinds, unknown/duplicate/missing keys,
 * integer/boolean/enum/duration syntax and ranges, string and list lengths.
 * Records the line of every value in m.  false with err = "FILE:LINE: ..."
 * on the first problem (obj is then partly filled: free it with
 * ed_fields_free()).  m must be zeroed; release with ed_ymap_free() in
 * every case. */
bool ed_yaml_read(ed_ymap *m, const char *file, const unsigned char *data,
                  size_t len, const ed_field *schema, void *obj, char *err,
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

/* A BCP 47-ish language tag: 1-8 letters, then -[alnum]{1,8} parts. */
bool ed_is_lang_tag(const char *s);

/* ------------------------------------------------------------------ */
/* Semantic checks and resolution (config_check.c)                      */

/* Normalisation, paths, secrets, services, components, c2s.  cfg was just
 * filled from the document whose lines are in m. */
bool ed_config_resolve(ed_config *cfg, const ed_ymap *m, char *err,
                       size_t errlen);

/* Wipe and free the members ed_config_resolve() adds outside the schema. */
void ed_config_free_resolved(ed_config *cfg);

/* Wipe and free a secret string. */
void ed_secret_free(char *s, size_t len);

#endif
