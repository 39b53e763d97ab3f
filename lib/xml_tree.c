/* lib/xml_tree.c — arena-backed element trees: the arena, the static name
 * and namespace tables, building, copying, unlinking and reading trees.
 * The serialiser is in lib/xml_write.c.
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

/* --- static names ---------------------------------------------------------- */

#define SN_STR(id, str) [ED_SN_##id] = str,
#define SN_LEN(id, str) [ED_SN_##id] = sizeof str - 1,
const char ed_snames[ED_SN_COUNT][ED_SNAME_SIZE] = { ED_SNAMES(SN_STR) };
const unsigned char ed_sname_len[ED_SN_COUNT] = { ED_SNAMES(SN_LEN) };
#undef SN_STR
#undef SN_LEN

int ed_sname_find(const char *name, size_t n)
{
    if (n == 0 || n >= ED_SNAME_SIZE)
        return -1;
    for (int i = 0; i < ED_SN_COUNT; i++)
        if (ed_sname_len[i] == n && ed_snames[i][0] == name[0] &&
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
    memset(a->ns_seen, 0, sizeof a->ns_seen);
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
    ed_copy_small(d, v, vlen);
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
    if (!ns || (strlen(parent->ns) == nslen && !memcmp(parent->ns, ns, nslen))) {
        e->ns = parent->ns;
    } else {
        /* Siblings in another namespace than their parent's share one copy
         * of the URI (<p:a/><p:a/>... with a long URI declared once cost
         * one copy per element: 152 MB for a 61 kB stanza), and so do the
         * elements of a few URIs that alternate; the serialiser also
         * compares shared URIs by pointer (lib/xml_write.c). */
        const char *hit = NULL;
        size_t k = sizeof a->ns_seen / sizeof *a->ns_seen;
        for (size_t i = 0; i < k && !hit; i++)
            if (a->ns_seen[i] && strlen(a->ns_seen[i]) == nslen &&
                !memcmp(a->ns_seen[i], ns, nslen))
                hit = a->ns_seen[i];
        if (!hit) {
            if (!(hit = ed_arena_strndup(a, ns, nslen)))
                return NULL;
            memmove(a->ns_seen + 1, a->ns_seen, (k - 1) * sizeof *a->ns_seen);
            a->ns_seen[0] = hit;
        }
        e->ns = hit;
    }
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
