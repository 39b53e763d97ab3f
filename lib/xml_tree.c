/* lib/xml_tree.c — arena-backed element trees and the XML serialiser.
 *
 * Ownership: a root element owns its arena (struct ed_arena); every node,
 * attribute array and string of the tree lives there and is released by
 * ed_elem_free(root).  Nothing in a tree is freed individually.
 *
 * Private conventions (not visible through the API):
 *   - a text node (name == NULL) keeps the capacity of its text buffer in
 *     cap_attrs, so that adjacent text appends are amortised O(1);
 *   - an element's `text` field caches ed_elem_text() when the element has
 *     several text children; any change to its children clears it;
 *   - names (and some constant values) set by the library's own builders
 *     are not copied: they point at static strings (ed_snames[], literals),
 *     and the serialiser skips its checks for a name in ed_snames[].
 */
#include <stdlib.h>
#include <string.h>
#ifdef __SSE2__
#include <emmintrin.h>
#endif

#include "extdisco/service.h"
#include "extdisco/xep0279.h"
#include "extdisco/xml.h"
#include "xml_priv.h"

#define ARENA_FIRST 1024u          /* first block (malloc tcache-sized) */
#define ARENA_CHUNK_MAX (64u * 1024u)

struct ed_arena_chunk {
    struct ed_arena_chunk *next;
    size_t pad; /* keeps the data 16-byte aligned */
};

/* --- arena ----------------------------------------------------------------- */

void *ed_arena_alloc_slow(struct ed_arena *a, size_t n, size_t align)
{
    size_t hdr = sizeof(struct ed_arena_chunk);
    if (n > SIZE_MAX / 2)
        return NULL;
    size_t want = n + align;
    if (want > a->next_size / 4) {
        /* Big request: a chunk of its own, the current chunk stays. */
        struct ed_arena_chunk *c = malloc(hdr + want);
        if (!c)
            return NULL;
        c->next = a->chunks;
        a->chunks = c;
        uintptr_t p = ((uintptr_t)(c + 1) + (align - 1)) & ~(uintptr_t)(align - 1);
        return (void *)p;
    }
    size_t sz = a->next_size;
    struct ed_arena_chunk *c = malloc(hdr + sz);
    if (!c)
        return NULL;
    c->next = a->chunks;
    a->chunks = c;
    a->cur = (char *)(c + 1);
    a->end = a->cur + sz;
    if (a->next_size < ARENA_CHUNK_MAX)
        a->next_size *= 2;
    return ed_arena_alloc(a, n, align);
}

char *ed_arena_strndup(struct ed_arena *a, const char *s, size_t n)
{
    char *p = ed_arena_alloc(a, n + 1, 1);
    if (!p)
        return NULL;
    if (n)
        memcpy(p, s, n);
    p[n] = '\0';
    return p;
}

static void arena_free(struct ed_arena *a)
{
    struct ed_arena_chunk *c = a->chunks;
    while (c) {
        struct ed_arena_chunk *n = c->next;
        free(c);
        c = n;
    }
    free(a);
}

static ed_elem *elem_alloc(struct ed_arena *a)
{
    ed_elem *e = ed_arena_alloc(a, sizeof *e, _Alignof(ed_elem));
    if (e) {
        memset(e, 0, sizeof *e);
        e->arena = a;
    }
    return e;
}

static void link_child(ed_elem *parent, ed_elem *c)
{
    c->parent = parent;
    c->next = NULL;
    if (parent->last)
        parent->last->next = c;
    else
        parent->children = c;
    parent->last = c;
    if (parent->name)
        parent->text = NULL; /* drop the ed_elem_text() cache */
}

/* Copy n bytes where n is usually small: no library call below 17. */
static inline char *copy_small(char *d, const char *s, size_t n)
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

/* --- static names ---------------------------------------------------------- */

#define SN_STR(id, str) [ED_SN_##id] = str,
#define SN_LEN(id, str) [ED_SN_##id] = sizeof str - 1,
const char ed_snames[ED_SN_COUNT][ED_SNAME_SIZE] = { ED_SNAMES(SN_STR) };
static const unsigned char sname_len[ED_SN_COUNT] = { ED_SNAMES(SN_LEN) };
#undef SN_STR
#undef SN_LEN

/* Length of s when it points at a static name, else -1. */
static inline int sname_len_of(const char *s)
{
    uintptr_t off = (uintptr_t)s - (uintptr_t)ed_snames;
    if (off < sizeof ed_snames && off % ED_SNAME_SIZE == 0)
        return sname_len[off / ED_SNAME_SIZE];
    return -1;
}

int ed_sname_find(const char *name, size_t n)
{
    if (n == 0 || n >= ED_SNAME_SIZE)
        return -1;
    for (int i = 0; i < ED_SN_COUNT; i++)
        if (sname_len[i] == n && ed_snames[i][0] == name[0] &&
            !memcmp(ed_snames[i], name, n))
            return i;
    return -1;
}

static const struct {
    const char *s;
    size_t n;
} static_ns[] = {
#define NS(x) { x, sizeof x - 1 }
    NS(ED_NS_CLIENT), NS(ED_NS_SERVER), NS(ED_NS_COMPONENT),
    NS(ED_NS_EXTDISCO2), NS(ED_NS_EXTDISCO1), NS(ED_NS_SIC1), NS(ED_NS_SIC0),
    NS(ED_NS_STANZAS), NS(ED_NS_XDATA),
#undef NS
};

const char *ed_static_ns(const char *ns, size_t n)
{
    for (size_t i = 0; i < sizeof static_ns / sizeof static_ns[0]; i++)
        if (static_ns[i].n == n && !memcmp(static_ns[i].s, ns, n))
            return static_ns[i].s;
    return NULL;
}

/* --- building ------------------------------------------------------------ */

ed_elem *ed_elem_new_n(const char *name, size_t nlen, const char *ns,
                       size_t nslen, size_t hint)
{
    size_t size = ARENA_FIRST;
    if (hint > ARENA_FIRST / 2 && hint < ARENA_CHUNK_MAX)
        size = hint * 2;
    struct ed_arena *a = malloc(size);
    if (!a)
        return NULL;
    a->cur = (char *)(a + 1);
    a->end = (char *)a + size;
    a->chunks = NULL;
    a->next_size = size < 4096 ? 4096 : size;
    a->root = NULL;
    ed_elem *e = elem_alloc(a);
    const char *sns = ns ? ed_static_ns(ns, nslen) : "";
    if (!e || !(e->name = name ? ed_arena_strndup(a, name, nlen) : "") ||
        !(e->ns = sns ? sns : ed_arena_strndup(a, ns, nslen))) {
        arena_free(a);
        return NULL;
    }
    a->root = e;
    return e;
}

ed_elem *ed_elem_new_s(int id, const char *ns, size_t nslen, size_t hint)
{
    ed_elem *e = ed_elem_new_n(NULL, 0, ns, nslen, hint);
    if (e)
        e->name = ed_snames[id];
    return e;
}

ed_elem *ed_elem_add_s(ed_elem *parent, int id, const char *ns)
{
    if (!parent || !parent->name)
        return NULL;
    ed_elem *e = elem_alloc(parent->arena);
    if (!e)
        return NULL;
    e->name = ed_snames[id];
    e->ns = ns ? ns : parent->ns;
    link_child(parent, e);
    return e;
}

/* Room for one more attribute. */
static inline ed_err attr_slot(ed_elem *e)
{
    if (e->nattrs < e->cap_attrs)
        return ED_OK;
    return ed_elem_reserve_attrs(e, e->nattrs + 1);
}

ed_err ed_elem_append_attr_static(ed_elem *e, int id, const char *v)
{
    ed_err err = attr_slot(e);
    if (err)
        return err;
    e->attrs[e->nattrs].name = ed_snames[id];
    e->attrs[e->nattrs].value = v;
    e->nattrs++;
    return ED_OK;
}

char *ed_elem_append_attr_buf(ed_elem *e, int id, size_t vlen)
{
    if (vlen >= SIZE_MAX / 2 || attr_slot(e))
        return NULL;
    char *v = ed_arena_alloc(e->arena, vlen + 1, 1);
    if (!v)
        return NULL;
    v[vlen] = '\0';
    e->attrs[e->nattrs].name = ed_snames[id];
    e->attrs[e->nattrs].value = v;
    e->nattrs++;
    return v;
}

ed_err ed_elem_append_attr(ed_elem *e, int id, const char *v, size_t vlen)
{
    char *d = ed_elem_append_attr_buf(e, id, vlen);
    if (!d)
        return ED_ENOMEM;
    copy_small(d, v, vlen);
    return ED_OK;
}

ed_elem *ed_elem_add_n(ed_elem *parent, const char *name, size_t nlen,
                       const char *ns, size_t nslen)
{
    if (!parent || !parent->name)
        return NULL;
    struct ed_arena *a = parent->arena;
    ed_elem *e = elem_alloc(a);
    if (!e || !(e->name = ed_arena_strndup(a, name, nlen)))
        return NULL;
    if (!ns || (strlen(parent->ns) == nslen && !memcmp(parent->ns, ns, nslen)))
        e->ns = parent->ns;
    else if (!(e->ns = ed_arena_strndup(a, ns, nslen)))
        return NULL;
    link_child(parent, e);
    return e;
}

ed_elem *ed_elem_new(const char *name, const char *ns)
{
    if (!name || !*name)
        return NULL;
    return ed_elem_new_n(name, strlen(name), ns, ns ? strlen(ns) : 0, 0);
}

ed_elem *ed_elem_add(ed_elem *parent, const char *name, const char *ns)
{
    if (!parent || !name || !*name)
        return NULL;
    return ed_elem_add_n(parent, name, strlen(name), ns, ns ? strlen(ns) : 0);
}

ed_err ed_elem_add_text(ed_elem *e, const char *s, size_t n)
{
    if (!e || !e->name || (!s && n))
        return ED_EINVAL;
    if (n == 0)
        return ED_OK;
    struct ed_arena *a = e->arena;
    ed_elem *t = e->last;
    if (t && !t->name) {
        size_t need = t->text_len + n + 1;
        if (need < n)
            return ED_ELIMIT;
        char *buf = (char *)t->text;
        if (need > t->cap_attrs) {
            char *end = buf + t->cap_attrs;
            if (end == a->cur && need - t->cap_attrs <= (size_t)(a->end - a->cur)) {
                a->cur += need - t->cap_attrs; /* grow in place */
                t->cap_attrs = need;
            } else {
                size_t cap = t->cap_attrs * 2;
                if (cap < need)
                    cap = need;
                char *nb = ed_arena_alloc(a, cap, 1);
                if (!nb)
                    return ED_ENOMEM;
                memcpy(nb, buf, t->text_len);
                buf = nb;
                t->text = nb;
                t->cap_attrs = cap;
            }
        }
        memcpy(buf + t->text_len, s, n);
        t->text_len += n;
        buf[t->text_len] = '\0';
        e->text = NULL;
        return ED_OK;
    }
    t = elem_alloc(a);
    if (!t)
        return ED_ENOMEM;
    char *buf = ed_arena_alloc(a, n + 1, 1);
    if (!buf)
        return ED_ENOMEM;
    memcpy(buf, s, n);
    buf[n] = '\0';
    t->text = buf;
    t->text_len = n;
    t->cap_attrs = n + 1;
    link_child(e, t);
    return ED_OK;
}

ed_err ed_elem_reserve_attrs(ed_elem *e, size_t n)
{
    if (n <= e->cap_attrs)
        return ED_OK;
    size_t cap = e->cap_attrs ? e->cap_attrs * 2 : 4;
    if (cap < n)
        cap = n;
    if (cap > SIZE_MAX / sizeof(ed_attr))
        return ED_ELIMIT;
    ed_attr *na = ed_arena_alloc(e->arena, cap * sizeof(ed_attr), _Alignof(ed_attr));
    if (!na)
        return ED_ENOMEM;
    if (e->nattrs)
        memcpy(na, e->attrs, e->nattrs * sizeof(ed_attr));
    e->attrs = na;
    e->cap_attrs = cap;
    return ED_OK;
}

ed_err ed_elem_set_attr(ed_elem *e, const char *name, const char *value)
{
    if (!e || !e->name || !name || !*name)
        return ED_EINVAL;
    size_t i;
    for (i = 0; i < e->nattrs; i++)
        if (e->attrs[i].name[0] == name[0] && !strcmp(e->attrs[i].name, name))
            break;
    if (!value) {
        if (i < e->nattrs) {
            memmove(&e->attrs[i], &e->attrs[i + 1],
                    (e->nattrs - i - 1) * sizeof(ed_attr));
            e->nattrs--;
        }
        return ED_OK;
    }
    char *v = ed_arena_strndup(e->arena, value, strlen(value));
    if (!v)
        return ED_ENOMEM;
    if (i < e->nattrs) {
        e->attrs[i].value = v;
        return ED_OK;
    }
    char *nm = ed_arena_strndup(e->arena, name, strlen(name));
    if (!nm)
        return ED_ENOMEM;
    ed_err err = ed_elem_reserve_attrs(e, e->nattrs + 1);
    if (err)
        return err;
    e->attrs[e->nattrs].name = nm;
    e->attrs[e->nattrs].value = v;
    e->nattrs++;
    return ED_OK;
}

/* Copy one node (no children) as the last child of parent, or as a new root
 * when parent is NULL (elements only). */
static ed_elem *copy_shallow(ed_elem *parent, const ed_elem *s)
{
    if (!s->name) {
        if (!parent || ed_elem_add_text(parent, s->text, s->text_len))
            return NULL;
        return parent->last;
    }
    ed_elem *d = parent ? ed_elem_add(parent, s->name, s->ns)
                        : ed_elem_new(s->name, s->ns);
    if (!d)
        return NULL;
    if (s->nattrs) {
        if (ed_elem_reserve_attrs(d, s->nattrs))
            goto fail;
        for (size_t i = 0; i < s->nattrs; i++) {
            const ed_attr *at = &s->attrs[i];
            char *n = ed_arena_strndup(d->arena, at->name, strlen(at->name));
            char *v = n ? ed_arena_strndup(d->arena, at->value, strlen(at->value)) : NULL;
            if (!v)
                goto fail;
            d->attrs[i].name = n;
            d->attrs[i].value = v;
        }
        d->nattrs = s->nattrs;
    }
    return d;
fail:
    if (!parent)
        ed_elem_free(d);
    return NULL;
}

ed_elem *ed_elem_copy(ed_elem *parent, const ed_elem *src)
{
    if (!src || (parent && !parent->name))
        return NULL;
    ed_elem *top = copy_shallow(parent, src);
    if (!top || !src->name)
        return top;
    const ed_elem *s = src;
    ed_elem *d = top;
    for (;;) {
        if (s->name && s->children) {
            s = s->children;
            d = copy_shallow(d, s);
        } else {
            while (s != src && !s->next) {
                s = s->parent;
                d = d->parent;
            }
            if (s == src)
                break;
            s = s->next;
            d = copy_shallow(d->parent, s);
        }
        if (!d)
            goto fail;
    }
    return top;
fail:
    if (parent)
        ed_elem_unlink(top);
    else
        ed_elem_free(top);
    return NULL;
}

void ed_elem_unlink(ed_elem *e)
{
    if (!e || !e->parent)
        return;
    ed_elem *p = e->parent;
    ed_elem *prev = NULL;
    for (ed_elem *c = p->children; c; prev = c, c = c->next) {
        if (c != e)
            continue;
        if (prev)
            prev->next = e->next;
        else
            p->children = e->next;
        if (p->last == e)
            p->last = prev;
        break;
    }
    p->text = NULL;
    e->parent = NULL;
    e->next = NULL;
}

void ed_elem_free(ed_elem *root)
{
    if (!root || !root->arena || root->arena->root != root)
        return; /* only the root owns the arena */
    arena_free(root->arena);
}

/* --- reading ------------------------------------------------------------- */

const char *ed_elem_attr(const ed_elem *e, const char *name)
{
    if (!e || !name)
        return NULL;
    for (size_t i = 0; i < e->nattrs; i++)
        if (e->attrs[i].name[0] == name[0] && !strcmp(e->attrs[i].name, name))
            return e->attrs[i].value;
    return NULL;
}

static int matches(const ed_elem *c, const char *name, const char *ns)
{
    return c->name && (!name || !strcmp(c->name, name)) &&
           (!ns || !strcmp(c->ns, ns));
}

ed_elem *ed_elem_child(const ed_elem *e, const char *name, const char *ns)
{
    if (!e)
        return NULL;
    for (ed_elem *c = e->children; c; c = c->next)
        if (matches(c, name, ns))
            return c;
    return NULL;
}

ed_elem *ed_elem_next(const ed_elem *after, const char *name, const char *ns)
{
    if (!after)
        return NULL;
    for (ed_elem *c = after->next; c; c = c->next)
        if (matches(c, name, ns))
            return c;
    return NULL;
}

ed_elem *ed_elem_first(const ed_elem *e)
{
    return ed_elem_child(e, NULL, NULL);
}

const char *ed_elem_text(ed_elem *e)
{
    if (!e)
        return NULL;
    if (!e->name)
        return e->text;
    if (e->text)
        return e->text;
    const ed_elem *only = NULL;
    size_t total = 0, count = 0;
    for (const ed_elem *c = e->children; c; c = c->next) {
        if (!c->name) {
            only = c;
            total += c->text_len;
            count++;
        }
    }
    if (count == 0)
        return "";
    if (count == 1)
        return only->text;
    char *buf = ed_arena_alloc(e->arena, total + 1, 1);
    if (!buf)
        return NULL;
    size_t off = 0;
    for (const ed_elem *c = e->children; c; c = c->next) {
        if (!c->name) {
            memcpy(buf + off, c->text, c->text_len);
            off += c->text_len;
        }
    }
    buf[off] = '\0';
    e->text = buf;
    e->text_len = off;
    return buf;
}

/* --- serialising --------------------------------------------------------- */

/* Name characters: 1 = NCName char (ASCII letters, digits, _ - . and any
 * non-ASCII byte), 2 = ':', 3 = '|', 0 = not allowed in a name. */
static const unsigned char name_class[256] = {
    ['a' ... 'z'] = 1, ['A' ... 'Z'] = 1, ['0' ... '9'] = 1,
    ['_'] = 1, ['-'] = 1, ['.'] = 1, [0x80 ... 0xFF] = 1,
    [':'] = 2, ['|'] = 3,
};

/* Bytes the serialiser copies as they are: [0] in text, [1] in attribute
 * values (ASCII, no & < >, no ' " in values, no controls). */
static const unsigned char plain_class[2][256] = {
    { [0x20 ... 0x25] = 1, [0x27 ... 0x3B] = 1, ['='] = 1, [0x3F ... 0x7F] = 1 },
    { [0x20 ... 0x21] = 1, [0x23 ... 0x25] = 1, [0x28 ... 0x3B] = 1, ['='] = 1,
      [0x3F ... 0x7F] = 1 },
};

/* Non-zero when one of the 8 bytes at p is not plain (see plain_class);
 * SWAR: a byte of x is zero iff (x - 1) & ~x has its top bit set, and the
 * first such byte is exact (borrows only go upwards). */
static inline uint64_t word_unplain(const char *p, int attr)
{
    const uint64_t k1 = 0x0101010101010101ull;
    uint64_t w, x, t;
    memcpy(&w, p, 8);
    t = w | ((w - 0x20 * k1) & ~w);         /* >= 0x80, < 0x20 */
    x = (w | 0x02 * k1) ^ (0x3E * k1);      /* < > */
    t |= (x - k1) & ~x;
    if (attr) {
        x = (w | k1) ^ (0x27 * k1);         /* & ' */
        t |= (x - k1) & ~x;
        x = w ^ (0x22 * k1);                /* " */
        t |= (x - k1) & ~x;
    } else {
        x = w ^ (0x26 * k1);                /* & */
        t |= (x - k1) & ~x;
    }
    return t & 0x8080808080808080ull;
}

#ifdef __SSE2__
/* Non-zero when one of the 16 bytes at p is not plain. */
static inline int vec_unplain(const char *p, int attr)
{
    __m128i x = _mm_loadu_si128((const __m128i *)(const void *)p);
    /* signed: bytes >= 0x80 are negative, so "< 0x20" catches them too */
    __m128i m = _mm_cmplt_epi8(x, _mm_set1_epi8(0x20));
    m = _mm_or_si128(m, _mm_cmpeq_epi8(x, _mm_set1_epi8('&')));
    m = _mm_or_si128(m, _mm_cmpeq_epi8(x, _mm_set1_epi8('<')));
    m = _mm_or_si128(m, _mm_cmpeq_epi8(x, _mm_set1_epi8('>')));
    if (attr) {
        m = _mm_or_si128(m, _mm_cmpeq_epi8(x, _mm_set1_epi8('\'')));
        m = _mm_or_si128(m, _mm_cmpeq_epi8(x, _mm_set1_epi8('"')));
    }
    return _mm_movemask_epi8(m);
}
#endif

static inline size_t plain_len(const char *s, size_t n, int attr)
{
    const unsigned char *cls = plain_class[attr];
    size_t i = 0;
#ifdef __SSE2__
    if (n >= 16) {
        for (; i + 16 <= n; i += 16)
            if (vec_unplain(s + i, attr))
                goto bytes;
        if (i == n || !vec_unplain(s + n - 16, attr)) /* the last 16, overlapping */
            return n;
        goto bytes;
    }
#endif
    if (n >= 8) {
        for (; i + 8 <= n; i += 8)
            if (word_unplain(s + i, attr))
                goto bytes;
        if (i == n || !word_unplain(s + n - 8, attr)) /* the last 8, overlapping */
            return n;
    } else if (n >= 4) {
        /* two overlapping 4-byte loads make one word: every byte checked */
        uint32_t lo, hi;
        char w[8];
        memcpy(&lo, s, 4);
        memcpy(&hi, s + n - 4, 4);
        memcpy(w, &lo, 4);
        memcpy(w + 4, &hi, 4);
        if (!word_unplain(w, attr))
            return n;
    }
bytes:
    while (i < n && cls[(unsigned char)s[i]])
        i++;
    return i;
}

size_t ed_xml_plain_len(const char *s, size_t n, int attr)
{
    return attr ? plain_len(s, n, 1) : plain_len(s, n, 0);
}

/* An NCName, roughly: name characters, no ':', not starting with - . digit. */
static int ncname_ok(const char *s, size_t n)
{
    if (n == 0)
        return 0;
    unsigned char c0 = (unsigned char)s[0];
    if (c0 == '-' || c0 == '.' || (c0 >= '0' && c0 <= '9'))
        return 0;
    for (size_t i = 0; i < n; i++)
        if (name_class[(unsigned char)s[i]] != 1)
            return 0;
    return 1;
}

/* Append n bytes; inline fast path when there is room. */
static inline ed_err put(ed_buf *b, const char *s, size_t n)
{
    if (b->data && n < b->cap - b->len && (!b->max || n <= b->max - b->len)) {
        memcpy(b->data + b->len, s, n);
        b->len += n;
        b->data[b->len] = '\0';
        return ED_OK;
    }
    return ed_buf_append(b, s, n);
}

#define PUTS(b, lit) put((b), (lit), sizeof(lit) - 1)
#define TRY(x) do { ed_err e_ = (x); if (e_) return e_; } while (0)

/* Length of the URI part of a "URI|local" name (position of the last '|'),
 * or (size_t)-1 when there is none. */
static size_t uri_len(const char *n)
{
    const char *bar = strrchr(n, '|');
    return bar ? (size_t)(bar - n) : (size_t)-1;
}

/* Write a "URI|local" attribute name (the URI is ulen bytes): declare a
 * generated prefix nsK for the URI where it first occurs on e (K counts the
 * distinct URIs in attribute order), or use xml: for the XML namespace. */
static ed_err write_ns_attr_name(ed_buf *out, const ed_elem *e, size_t at,
                                 const char *n, size_t ulen)
{
    const char *local = n + ulen + 1;
    if (ulen == 0 || !ncname_ok(local, strlen(local)))
        return ED_EINVAL;
    if (ulen == sizeof ED_NS_XML - 1 && !memcmp(n, ED_NS_XML, ulen)) {
        TRY(PUTS(out, " xml:"));
        return ed_buf_puts(out, local);
    }
    size_t idx = 0, i;
    int declared = 0;
    for (i = 0; i < at; i++) {
        const char *m = e->attrs[i].name;
        size_t ml = uri_len(m);
        if (ml == (size_t)-1 ||
            (ml == sizeof ED_NS_XML - 1 && !memcmp(m, ED_NS_XML, ml)))
            continue;
        size_t j; /* is m's URI new at i? */
        for (j = 0; j < i; j++) {
            const char *o = e->attrs[j].name;
            if (uri_len(o) == ml && !memcmp(o, m, ml))
                break;
        }
        if (ml == ulen && !memcmp(m, n, ulen)) {
            declared = 1;
            break; /* idx is the number of distinct URIs before m's */
        }
        if (j == i)
            idx++;
    }
    if (!declared) {
        TRY(ed_buf_printf(out, " xmlns:ns%zu='", idx));
        TRY(ed_buf_xml_escape(out, n, ulen, 1));
        TRY(PUTS(out, "'"));
    }
    TRY(ed_buf_printf(out, " ns%zu:", idx));
    return ed_buf_puts(out, local);
}

/* Append " name='value'" (name nlen bytes, value vlen bytes, neither
 * needing any escaping) in one go. */
static inline ed_err put_attr(ed_buf *out, const char *n, size_t len,
                              const char *v, size_t vl)
{
    size_t need = len + vl + 4;
    if (out->data && need < out->cap - out->len &&
        (!out->max || need <= out->max - out->len)) {
        char *w = out->data + out->len;
        *w++ = ' ';
        memcpy(w, n, len);
        w += len;
        *w++ = '=';
        *w++ = '\'';
        memcpy(w, v, vl);
        w += vl;
        *w++ = '\'';
        *w = '\0';
        out->len += need;
        return ED_OK;
    }
    TRY(PUTS(out, " "));
    TRY(put(out, n, len));
    TRY(PUTS(out, "='"));
    TRY(put(out, v, vl));
    return PUTS(out, "'");
}

static ed_err write_attr(ed_buf *out, const ed_elem *e, size_t at)
{
    const char *n = e->attrs[at].name;
    const char *v = e->attrs[at].value;
    int sl = sname_len_of(n);
    size_t len = 0;
    if (sl >= 0) {
        len = (size_t)sl; /* a static name: known good */
    } else {
        /* one pass: length, validity as a plain NCName, any ':' or '|' */
        int bad = 0, special = 0;
        for (; n[len]; len++) {
            unsigned c = name_class[(unsigned char)n[len]];
            bad |= c == 0;
            special |= c > 1;
        }
        if (special) {
            size_t ul = uri_len(n);
            if (ul != (size_t)-1) {
                TRY(write_ns_attr_name(out, e, at, n, ul));
            } else if (len > 4 && !memcmp(n, "xml:", 4) && !bad &&
                       ncname_ok(n + 4, len - 4)) {
                TRY(PUTS(out, " "));
                TRY(put(out, n, len));
            } else {
                return ED_EINVAL;
            }
            TRY(PUTS(out, "='"));
            TRY(ed_buf_xml_escape(out, v, strlen(v), 1));
            return PUTS(out, "'");
        }
        unsigned char c0 = (unsigned char)n[0];
        if (bad || len == 0 || c0 == '-' || c0 == '.' ||
            (c0 >= '0' && c0 <= '9') || (len == 5 && !memcmp(n, "xmlns", 5)))
            return ED_EINVAL;
    }
    /* usual case: a plain name and a value with nothing to escape, written
     * in one go */
    size_t vl = strlen(v);
    if (plain_len(v, vl, 1) == vl)
        return put_attr(out, n, len, v, vl);
    TRY(PUTS(out, " "));
    TRY(put(out, n, len));
    TRY(PUTS(out, "='"));
    TRY(ed_buf_xml_escape(out, v, vl, 1));
    return PUTS(out, "'");
}

/* The start tag of e the general way, piece by piece. */
static ed_err write_open_slow(ed_buf *out, const ed_elem *e, const char *pns)
{
    int sl = sname_len_of(e->name);
    size_t nlen;
    if (sl >= 0) {
        nlen = (size_t)sl;
    } else {
        nlen = strlen(e->name);
        if (!ncname_ok(e->name, nlen))
            return ED_EINVAL;
    }
    TRY(PUTS(out, "<"));
    TRY(put(out, e->name, nlen));
    if (e->ns != pns && strcmp(e->ns, pns)) {
        TRY(PUTS(out, " xmlns='"));
        TRY(ed_buf_xml_escape(out, e->ns, strlen(e->ns), 1));
        TRY(PUTS(out, "'"));
    }
    for (size_t i = 0; i < e->nattrs; i++)
        TRY(write_attr(out, e, i));
    return e->children ? PUTS(out, ">") : PUTS(out, "/>");
}

#define FAST_ATTRS 16

/* Length of a plain attribute name (an NCName other than xmlns), or 0. */
static size_t plain_attr_name(const char *n)
{
    int sl = sname_len_of(n);
    if (sl >= 0)
        return (size_t)sl;
    size_t len = 0;
    for (; n[len]; len++)
        if (name_class[(unsigned char)n[len]] != 1)
            return 0;
    unsigned char c0 = (unsigned char)n[0];
    if (len == 0 || c0 == '-' || c0 == '.' || (c0 >= '0' && c0 <= '9') ||
        (len == 5 && !memcmp(n, "xmlns", 5)))
        return 0;
    return len;
}

/* The usual start tag: a valid name, attributes with plain names and
 * values with nothing to escape (at most FAST_ATTRS), a namespace with
 * nothing to escape: measured first, then written in one go.  Anything
 * else, and any error, goes the general way (which then reports it), so
 * the output and the errors are the same either way. */
static ed_err write_open(ed_buf *out, const ed_elem *e, const char *pns)
{
    size_t nl[FAST_ATTRS], vl[FAST_ATTRS];
    size_t na = e->nattrs;
    if (na > FAST_ATTRS)
        return write_open_slow(out, e, pns);
    int sl = sname_len_of(e->name);
    size_t nlen;
    if (sl >= 0) {
        nlen = (size_t)sl;
    } else {
        nlen = strlen(e->name);
        if (!ncname_ok(e->name, nlen))
            return ED_EINVAL;
    }
    size_t total = (e->children ? 2 : 3) + nlen, nslen = 0; /* <name> or <name/> */
    int with_ns = e->ns != pns && strcmp(e->ns, pns);
    if (with_ns) {
        nslen = strlen(e->ns);
        if (plain_len(e->ns, nslen, 1) != nslen)
            return write_open_slow(out, e, pns);
        total += 9 + nslen; /*  xmlns='' */
    }
    for (size_t i = 0; i < na; i++) {
        const char *v = e->attrs[i].value;
        nl[i] = plain_attr_name(e->attrs[i].name);
        vl[i] = strlen(v);
        if (!nl[i] || plain_len(v, vl[i], 1) != vl[i])
            return write_open_slow(out, e, pns);
        total += 4 + nl[i] + vl[i]; /*  n='v' */
    }
    /* No room (or past max): the general way fails or grows exactly as it
     * always did. */
    if (!out->data || total >= out->cap - out->len ||
        (out->max && total > out->max - out->len)) {
        if ((out->max && total > out->max - out->len) || ed_buf_reserve(out, total))
            return write_open_slow(out, e, pns);
    }
    char *w = out->data + out->len;
    *w++ = '<';
    w = copy_small(w, e->name, nlen);
    if (with_ns) {
        memcpy(w, " xmlns='", 8);
        w = copy_small(w + 8, e->ns, nslen);
        *w++ = '\'';
    }
    for (size_t i = 0; i < na; i++) {
        *w++ = ' ';
        w = copy_small(w, e->attrs[i].name, nl[i]);
        *w++ = '=';
        *w++ = '\'';
        w = copy_small(w, e->attrs[i].value, vl[i]);
        *w++ = '\'';
    }
    if (!e->children)
        *w++ = '/';
    *w++ = '>';
    *w = '\0';
    out->len = (size_t)(w - out->data);
    return ED_OK;
}

static ed_err write_close(ed_buf *out, const ed_elem *e)
{
    int sl = sname_len_of(e->name);
    TRY(PUTS(out, "</"));
    TRY(put(out, e->name, sl >= 0 ? (size_t)sl : strlen(e->name)));
    return PUTS(out, ">");
}

static ed_err write_node(ed_buf *out, const ed_elem *n, const char *pns)
{
    if (!n->name)
        return ed_buf_xml_escape(out, n->text, n->text_len, 0);
    return write_open(out, n, pns);
}

static ed_err write_tree(ed_buf *out, const ed_elem *top, const char *ctx_ns)
{
    /* Iterative depth-first walk: no recursion on deep trees. */
    const ed_elem *n = top;
    TRY(write_node(out, n, ctx_ns));
    for (;;) {
        if (n->name && n->children) {
            n = n->children;
            TRY(write_node(out, n, n->parent->ns));
            continue;
        }
        while (n != top && !n->next) {
            n = n->parent;
            TRY(write_close(out, n));
        }
        if (n == top)
            return ED_OK;
        n = n->next;
        TRY(write_node(out, n, n->parent->ns));
    }
}

ed_err ed_xml_write(ed_buf *out, const ed_elem *e, const char *ctx_ns)
{
    if (!out || !e)
        return ED_EINVAL;
    size_t len0 = out->len;
    ed_err err = write_tree(out, e, ctx_ns ? ctx_ns : "");
    if (err) {
        out->len = len0; /* leave the buffer as it was */
        if (out->data)
            out->data[len0] = '\0';
    }
    return err;
}

char *ed_xml_to_string(const ed_elem *e, const char *ctx_ns)
{
    ed_buf b = {0};
    if (ed_xml_write(&b, e, ctx_ns) || !b.data) {
        ed_buf_free(&b);
        return NULL;
    }
    return b.data;
}
