/* lib/xml_priv.h — private to lib/xml_tree.c and lib/xml_stream.c: the arena
 * behind every element tree, and fast (length-taking) builders the parser
 * uses.  Not installed, not part of the API. */
#ifndef EXTDISCO_XML_PRIV_H
#define EXTDISCO_XML_PRIV_H

#include <stddef.h>
#include <stdint.h>
#include "extdisco/xml.h"

#define ED_PRIV __attribute__((visibility("hidden")))

struct ed_arena_chunk;

/* Bump allocator.  The first block holds this struct, the root element and
 * the first stretch of memory; further chunks are chained and freed with the
 * root.  Nothing is freed individually. */
struct ed_arena {
    char *cur, *end;              /* free space of the current chunk */
    struct ed_arena_chunk *chunks;/* extra chunks (malloc'd), newest first */
    size_t next_size;             /* size of the next chunk */
    ed_elem *root;                /* the element that owns the arena */
};

ED_PRIV void *ed_arena_alloc_slow(struct ed_arena *a, size_t n, size_t align);

/* n bytes aligned to `align` (a power of two <= 16), or NULL. */
static inline void *ed_arena_alloc(struct ed_arena *a, size_t n, size_t align)
{
    uintptr_t c = ((uintptr_t)a->cur + (align - 1)) & ~(uintptr_t)(align - 1);
    if (c <= (uintptr_t)a->end && n <= (size_t)((uintptr_t)a->end - c)) {
        a->cur = (char *)(c + n);
        return (void *)c;
    }
    return ed_arena_alloc_slow(a, n, align);
}

/* Copy of s[0..n) plus NUL in the arena, or NULL. */
ED_PRIV char *ed_arena_strndup(struct ed_arena *a, const char *s, size_t n);

/* New root element; name/ns are n bytes long (ns may be NULL).  `hint` is a
 * guess of the bytes the tree will need (0: default). */
ED_PRIV ed_elem *ed_elem_new_n(const char *name, size_t nlen, const char *ns,
                               size_t nslen, size_t hint);

/* New last child of parent; ns NULL inherits; an ns equal to the parent's
 * shares its string. */
ED_PRIV ed_elem *ed_elem_add_n(ed_elem *parent, const char *name, size_t nlen,
                               const char *ns, size_t nslen);

/* Make room for at least n attributes in e->attrs (keeps existing ones). */
ED_PRIV ed_err ed_elem_reserve_attrs(ed_elem *e, size_t n);

#endif
