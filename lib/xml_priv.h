/* lib/xml_priv.h — library-internal: the arena behind every element tree,
 * fast (length-taking, non-copying) builders the parser and the reply
 * builders use, what the trees (lib/xml_tree.c) share with the serialiser
 * (lib/xml_write.c), and the raw-byte checks (lib/xml_bytes.c) ahead of
 * the stream parser (lib/xml_stream.c).
 * Not installed, not part of the API. */
#ifndef EXTDISCO_XML_PRIV_H
#define EXTDISCO_XML_PRIV_H

#include <stddef.h>
#include <stdint.h>
#include <string.h>
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
    const char *ns_seen[4];       /* the last namespace URIs copied in: a
                                   * child in one of them shares the copy */
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

/* Copy n bytes to d where n is usually small: no library call below 17.
 * Returns d + n. */
static inline char *ed_copy_small(char *d, const char *s, size_t n)
{
    if (n >= 8 && n <= 16) {
        uint64_t a, b;
        memcpy(&a, s, 8);
        memcpy(&b, s + n - 8, 8);
        memcpy(d, &a, 8);
        memcpy(d + n - 8, &b, 8);
    } else if (n >= 4 && n < 8) {
        uint32_t a, b;
        memcpy(&a, s, 4);
        memcpy(&b, s + n - 4, 4);
        memcpy(d, &a, 4);
        memcpy(d + n - 4, &b, 4);
    } else if (n < 4) {
        for (size_t i = 0; i < n; i++)
            d[i] = s[i];
    } else {
        memcpy(d, s, n);
    }
    return d + n;
}

/* --- static names --------------------------------------------------------
 * Element and attribute names the library writes itself.  They live in one
 * static table (ed_snames[id], each < ED_SNAME_SIZE bytes, valid NCNames):
 * builders store a pointer into the table instead of copying, and the
 * serialiser recognises such a pointer and skips its checks.  Any other
 * string is treated as before. */
#define ED_SNAME_SIZE 16
#define ED_SNAMES(X)                                                         \
    X(FROM, "from") X(ID, "id") X(TO, "to") X(TYPE, "type")                 \
    X(ACTION, "action") X(HOST, "host") X(PORT, "port")                     \
    X(TRANSPORT, "transport") X(NAME, "name") X(RESTRICTED, "restricted")   \
    X(USERNAME, "username") X(PASSWORD, "password") X(EXPIRES, "expires")   \
    X(IQ, "iq") X(SERVICES, "services") X(CREDENTIALS, "credentials")       \
    X(SERVICE, "service") X(ERROR, "error") X(ADDRESS, "address")           \
    X(IP, "ip")
enum ed_sname {
#define ED_SN_ENUM(id, s) ED_SN_##id,
    ED_SNAMES(ED_SN_ENUM)
#undef ED_SN_ENUM
    ED_SN_COUNT
};
ED_PRIV extern const char ed_snames[ED_SN_COUNT][ED_SNAME_SIZE];
ED_PRIV extern const unsigned char ed_sname_len[ED_SN_COUNT]; /* strlen */

/* Length of s when it points at a static name, else -1. */
static inline int ed_sname_len_of(const char *s)
{
    uintptr_t off = (uintptr_t)s - (uintptr_t)ed_snames;
    if (off < sizeof ed_snames && off % ED_SNAME_SIZE == 0)
        return ed_sname_len[off / ED_SNAME_SIZE];
    return -1;
}

/* The static name id of name[0..n), or -1. */
ED_PRIV int ed_sname_find(const char *name, size_t n);

/* Static copy of a well-known namespace URI ns[0..n) (jabber:client, the
 * extdisco and sic namespaces...), or NULL: trees point at it instead of
 * copying it. */
ED_PRIV const char *ed_static_ns(const char *ns, size_t n);

/* New root named ed_snames[id] in namespace ns[0..nslen) (copied unless
 * well known); hint as for ed_elem_new_n. */
ED_PRIV ed_elem *ed_elem_new_s(int id, const char *ns, size_t nslen,
                               size_t hint);

/* New last child of parent named ed_snames[id]; ns NULL inherits the
 * parent's, otherwise it must be a string that outlives the tree (a
 * literal): it is not copied. */
ED_PRIV ed_elem *ed_elem_add_s(ed_elem *parent, int id, const char *ns);

/* Append attribute ed_snames[id] = v[0..vlen) (copied), without looking
 * for an existing attribute of that name: for builders that know the name
 * is not set yet.  e must be an element. */
ED_PRIV ed_err ed_elem_append_attr(ed_elem *e, int id, const char *v,
                                   size_t vlen);

/* Same with a value that outlives the tree (a literal): not copied. */
ED_PRIV ed_err ed_elem_append_attr_static(ed_elem *e, int id, const char *v);

/* Append attribute ed_snames[id] with an uninitialised value of vlen bytes
 * (+ NUL, set) in the tree's arena, for the caller to fill; NULL when out
 * of memory. */
ED_PRIV char *ed_elem_append_attr_buf(ed_elem *e, int id, size_t vlen);

/* The one test of which bytes XML output can take as they are (used by
 * ed_buf_xml_escape() and, for values with nothing to escape, inline by
 * the serialiser): 0 copy as is, 1 look closer (an entity or character
 * reference, a UTF-8 sequence to validate, or a character XML forbids).
 * [0] text: & < >, C0 controls and every non-ASCII byte; [1] attribute
 * values: ' and " too.  DEL (0x7F) is an XML character and copied. */
ED_PRIV extern const unsigned char ed_xml_esc_class[2][256];

/* Length of the prefix of u[0..n) that needs no look in text (attr 0) or
 * attribute values (attr 1); four bytes a turn, then one at a time. */
static inline size_t ed_xml_plain_len(const unsigned char *u, size_t n, int attr)
{
    const unsigned char *cls = ed_xml_esc_class[attr];
    size_t i = 0;
    while (n - i >= 4 &&
           !(cls[u[i]] | cls[u[i + 1]] | cls[u[i + 2]] | cls[u[i + 3]]))
        i += 4;
    while (i < n && !cls[u[i]])
        i++;
    return i;
}

/* Make room in b for extra more bytes (plus the NUL); ED_ELIMIT past
 * b->max (lib/buf.c). */
ED_PRIV ed_err ed_buf_reserve(ed_buf *b, size_t extra);

/* ed_iq_result() with a guess of the bytes the reply tree will need (see
 * ed_elem_new_n), so that a big reply is built in one block (lib/stanza.c). */
ED_PRIV ed_elem *ed_iq_result_sized(const ed_elem *req, size_t hint);

/* ed_service_to_elem() (lib/service.c) with s->expires already formatted
 * by the caller (ed_datetime_format(s->expires) = expires_txt[0..len)), or
 * expires_txt NULL to format it here. */
struct ed_service;
ED_PRIV ed_err ed_service_to_elem_fmt(ed_elem *parent, const struct ed_service *s,
                                      const char *lang, ed_elem **out,
                                      const char *expires_txt, size_t expires_len);

/* --- raw-byte checks of the stream parser (lib/xml_bytes.c) ---------------
 * State carried across feeds; all zero is the start of a stream. */
#define ED_XML_LX_TEXT 0          /* lx: outside markup */
struct ed_xml_scan {
    unsigned u8_need;             /* UTF-8 continuation bytes still expected */
    unsigned char u8_lo, u8_hi;   /* allowed range of the next one */
    unsigned char lx, lx_p1, lx_p2; /* lexer state, previous two bytes */
    size_t con_len;               /* bytes of the current unfinished construct */
};

/* Validate p[0..n) continuing the state left by earlier feeds; returns the
 * offset of the first byte that cannot be part of valid UTF-8 (*ctl = 0) or
 * is a C0 control character XML never allows (*ctl = 1), or n. */
ED_PRIV size_t ed_xml_utf8_scan(struct ed_xml_scan *s, const unsigned char *p,
                                size_t n, int *ctl);

/* Follow markup boundaries over p[0..n): returns 1 when some construct
 * (tag, comment, PI, CDATA section, declaration) ended in it; updates
 * s->lx and s->con_len. */
ED_PRIV int ed_xml_lex(struct ed_xml_scan *s, const unsigned char *p, size_t n);

#endif
