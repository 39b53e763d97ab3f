/* lib/xml_write.c — the XML serialiser: ed_xml_write() and
 * ed_xml_to_string() turn an element tree (lib/xml_tree.c) into
 * deterministic XML text.
 *
 * What it holds: the name checks (NCNames, "URI|local" and xml: attribute
 * names), generated nsK prefixes for namespaced attributes, the start and
 * end tag writers and the iterative tree walk; prefix mode (pK prefixes
 * declared once on the top element) for trees that would otherwise repeat
 * a namespace declaration past a budget, so output stays proportional to
 * input (see ed_xml_write() in include/extdisco/xml.h for the bound).  Text and attribute values
 * go through ed_buf_xml_escape() (lib/buf.c), the one place that decides
 * which bytes need escaping.
 *
 * Ownership: nothing is allocated here except in the caller's ed_buf;
 * ed_xml_to_string() returns a malloc'd string the caller frees.  On error
 * the buffer is left as it was.  A name that points into ed_snames[] is
 * known good and not checked again (see lib/xml_priv.h).
 */
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "extdisco/xml.h"
#include "xml_priv.h"

/* Name characters: 1 = NCName char (ASCII letters, digits, _ - . and any
 * non-ASCII byte), 2 = ':', 3 = '|', 0 = not allowed in a name. */
static const unsigned char name_class[256] = {
    ['a' ... 'z'] = 1, ['A' ... 'Z'] = 1, ['0' ... '9'] = 1,
    ['_'] = 1, ['-'] = 1, ['.'] = 1, [0x80 ... 0xFF] = 1,
    [':'] = 2, ['|'] = 3,
};

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
        *ed_copy_small(b->data + b->len, s, n) = '\0';
        b->len += n;
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

/* ='value' after an attribute name, the value escaped (a value with
 * nothing to escape, the usual one, is copied here). */
static inline ed_err write_attr_value(ed_buf *out, const char *v)
{
    size_t vl = strlen(v);
    TRY(PUTS(out, "='"));
    if (ed_xml_plain_len((const unsigned char *)v, vl, 1) == vl)
        TRY(put(out, v, vl));
    else
        TRY(ed_buf_xml_escape(out, v, vl, 1));
    return PUTS(out, "'");
}

/* " name='value'" for attribute at of e. */
static ed_err write_attr(ed_buf *out, const ed_elem *e, size_t at)
{
    const char *n = e->attrs[at].name;
    const char *v = e->attrs[at].value;
    int sl = ed_sname_len_of(n);
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
            return write_attr_value(out, v);
        }
        unsigned char c0 = (unsigned char)n[0];
        if (bad || len == 0 || c0 == '-' || c0 == '.' ||
            (c0 >= '0' && c0 <= '9') || (len == 5 && !memcmp(n, "xmlns", 5)))
            return ED_EINVAL;
    }
    /* the usual attribute, a plain name and a value with nothing to
     * escape: " name='value'" in one append (one room check, not five) */
    size_t vl = strlen(v);
    if (out->data && len + vl + 4 < out->cap - out->len &&
        (!out->max || len + vl + 4 <= out->max - out->len) &&
        ed_xml_plain_len((const unsigned char *)v, vl, 1) == vl) {
        char *w = out->data + out->len;
        *w++ = ' ';
        w = ed_copy_small(w, n, len);
        *w++ = '=';
        *w++ = '\'';
        w = ed_copy_small(w, v, vl);
        *w++ = '\'';
        *w = '\0';
        out->len = (size_t)(w - out->data);
        return ED_OK;
    }
    TRY(PUTS(out, " "));
    TRY(put(out, n, len));
    return write_attr_value(out, v);
}

/* The start tag of e: <name, xmlns='ns' when it differs from the parent's
 * (pns), the attributes, then > or /> when e has no children. */
static ed_err write_open(ed_buf *out, const ed_elem *e, const char *pns)
{
    int sl = ed_sname_len_of(e->name);
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

static ed_err write_close(ed_buf *out, const ed_elem *e)
{
    int sl = ed_sname_len_of(e->name);
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

/* Next element or text node of top's subtree in document order after n,
 * writing the close tags of the elements it leaves (close(out, e, pfx)); NULL
 * when the walk is done.  Iterative: no recursion on deep trees. */
typedef ed_err (*close_fn)(ed_buf *out, const ed_elem *e, const void *ctx);

static ed_err close_plain(ed_buf *out, const ed_elem *e, const void *ctx)
{
    (void)ctx;
    return write_close(out, e);
}

static ed_err step(ed_buf *out, const ed_elem *top, const ed_elem **np, close_fn close,
                   const void *ctx)
{
    const ed_elem *n = *np;
    if (n->name && n->children) {
        *np = n->children;
        return ED_OK;
    }
    while (n != top && !n->next) {
        n = n->parent;
        if (close)
            TRY(close(out, n, ctx));
    }
    *np = n == top ? NULL : n->next;
    return ED_OK;
}

/* Repeated declarations cost at most this many bytes before a tree is
 * written in prefix mode (ordinary stanzas repeat a few: a stanza error's
 * condition and text both declare urn:ietf:params:xml:ns:xmpp-stanzas). */
#define ED_XML_REPEAT_BUDGET 1024

/* Bytes of the declaration xmlns='ns' (unescaped URI). */
static size_t decl_bytes(const char *ns)
{
    return strlen(ns) + sizeof " xmlns=''" - 1;
}

/* The default scheme.  It counts the bytes of the declarations it writes:
 * past budget it stops with *over set (the caller then plans the tree), so
 * an ordinary tree is written in one walk and pays nothing more. */
static ed_err write_tree(ed_buf *out, const ed_elem *top, const char *ctx_ns, size_t budget,
                         bool *over)
{
    const ed_elem *n = top;
    const char *pns = ctx_ns;
    size_t decl = 0;
    for (;;) {
        if (n->name && n->ns != pns && strcmp(n->ns, pns) &&
            (decl += decl_bytes(n->ns)) > budget) {
            *over = true;
            return ED_OK;
        }
        TRY(write_node(out, n, pns));
        TRY(step(out, top, &n, close_plain, NULL));
        if (!n)
            return ED_OK;
        pns = n->parent->ns;
    }
}

/* --- prefix mode ----------------------------------------------------------
 * The default scheme above declares a namespace on every element whose ns
 * differs from its parent's, so a tree that alternates namespaces repeats
 * the same declaration once per element: N small elements in a namespace
 * with a U-byte URI, declared once in the input (xmlns:p='...'), came out
 * as N x U bytes (2,288 -> 203,967 bytes, 89x).  A tree in which the
 * default scheme would declare some URI twice is written in prefix mode
 * instead: every namespace other than ctx_ns and "" gets a generated prefix
 * pK (K its index among the tree's distinct URIs in strcmp order), declared
 * once on the top element; elements in ctx_ns or "" stay unprefixed, with
 * xmlns='...' only where the in-scope default differs.  Trees that would
 * declare no URI twice (every ordinary stanza) are written byte for byte as
 * before. */

typedef struct pfx_map {
    const char **uri; /* distinct prefixed URIs, strcmp order */
    size_t n;
    const char *ctx;
} pfx_map;

static int cmp_str(const void *a, const void *b)
{
    const char *x = *(const char *const *)a, *y = *(const char *const *)b;
    return x == y ? 0 : strcmp(x, y); /* parsed trees share URIs (xml_tree.c) */
}

/* Sort v[0..n) and drop duplicates. */
static void sort_unique(const char **v, size_t *n)
{
    if (*n < 2)
        return;
    qsort(v, *n, sizeof *v, cmp_str);
    size_t k = 1;
    for (size_t i = 1; i < *n; i++)
        if (strcmp(v[i], v[k - 1]) != 0)
            v[k++] = v[i];
    *n = k;
}

/* The namespace e's default scheme would declare (its ns when it differs
 * from the parent's, for top from ctx), or NULL. */
static const char *decl_of(const ed_elem *e, const ed_elem *top, const char *ctx)
{
    const char *pns = e == top ? ctx : e->parent->ns;
    return e->ns != pns && strcmp(e->ns, pns) ? e->ns : NULL;
}

static int prefixed(const pfx_map *m, const char *ns)
{
    return *ns && strcmp(ns, m->ctx) != 0;
}

static size_t pfx_index(const pfx_map *m, const char *ns)
{
    const char **hit = bsearch(&ns, m->uri, m->n, sizeof *m->uri, cmp_str);
    return hit ? (size_t)(hit - m->uri) : 0; /* always found */
}

/* Decide the mode.  0: default scheme (its repeated declarations cost at
 * most ED_XML_REPEAT_BUDGET bytes); 1: prefix mode, m filled (m->uri is
 * stack, or malloc'd when the tree has more than nstack elements: the
 * caller frees it then); <0: ED_ENOMEM.  Only called for a tree whose
 * default-scheme declarations passed the budget (write_tree said so):
 * three walks and a sort. */
static int plan(const ed_elem *top, const char *ctx, pfx_map *m, const char **stack,
                size_t nstack)
{
    size_t ne = 0, total = 0;
    const ed_elem *n = top;
    for (; n; step(NULL, top, &n, NULL, NULL)) { /* no close_fn: no output */
        if (!n->name)
            continue;
        ne++;
        const char *d = decl_of(n, top, ctx);
        if (d)
            total += decl_bytes(d);
    }
    if (total <= ED_XML_REPEAT_BUDGET)
        return 0;
    const char **v = ne <= nstack ? stack : malloc(ne * sizeof *v);
    if (!v)
        return -1;
    size_t k = 0;
    for (n = top; n; step(NULL, top, &n, NULL, NULL)) {
        const char *d = n->name ? decl_of(n, top, ctx) : NULL;
        if (d)
            v[k++] = d;
    }
    sort_unique(v, &k);
    size_t distinct = 0;
    for (size_t i = 0; i < k; i++)
        distinct += decl_bytes(v[i]);
    if (total - distinct <= ED_XML_REPEAT_BUDGET) {
        if (v != stack)
            free(v);
        return 0;
    }
    k = 0;
    for (n = top; n; step(NULL, top, &n, NULL, NULL))
        if (n->name && prefixed(&(pfx_map){.ctx = ctx}, n->ns))
            v[k++] = n->ns;
    sort_unique(v, &k);
    m->uri = v;
    m->n = k;
    m->ctx = ctx;
    return 1;
}

static ed_err close_pfx(ed_buf *out, const ed_elem *e, const void *ctx)
{
    const pfx_map *m = ctx;
    TRY(PUTS(out, "</"));
    if (prefixed(m, e->ns))
        TRY(ed_buf_printf(out, "p%zu:", pfx_index(m, e->ns)));
    TRY(ed_buf_puts(out, e->name));
    return PUTS(out, ">");
}

/* The start tag of e in prefix mode. */
static ed_err write_open_pfx(ed_buf *out, const ed_elem *e, const ed_elem *top,
                             const pfx_map *m)
{
    if (!ncname_ok(e->name, strlen(e->name)))
        return ED_EINVAL;
    TRY(PUTS(out, "<"));
    if (prefixed(m, e->ns)) {
        TRY(ed_buf_printf(out, "p%zu:", pfx_index(m, e->ns)));
        TRY(ed_buf_puts(out, e->name));
    } else {
        TRY(ed_buf_puts(out, e->name));
        /* the in-scope default: the nearest unprefixed ancestor's ns (at
         * most max_depth steps for a parsed tree) */
        const char *dflt = m->ctx;
        for (const ed_elem *a = e; a != top;) {
            a = a->parent;
            if (!prefixed(m, a->ns)) {
                dflt = a->ns;
                break;
            }
        }
        if (strcmp(e->ns, dflt) != 0) {
            TRY(PUTS(out, " xmlns='"));
            TRY(ed_buf_xml_escape(out, e->ns, strlen(e->ns), 1));
            TRY(PUTS(out, "'"));
        }
    }
    if (e == top)
        for (size_t i = 0; i < m->n; i++) {
            TRY(ed_buf_printf(out, " xmlns:p%zu='", i));
            TRY(ed_buf_xml_escape(out, m->uri[i], strlen(m->uri[i]), 1));
            TRY(PUTS(out, "'"));
        }
    for (size_t i = 0; i < e->nattrs; i++)
        TRY(write_attr(out, e, i));
    return e->children ? PUTS(out, ">") : PUTS(out, "/>");
}

static ed_err write_tree_pfx(ed_buf *out, const ed_elem *top, const pfx_map *m)
{
    const ed_elem *n = top;
    for (;;) {
        if (n->name)
            TRY(write_open_pfx(out, n, top, m));
        else
            TRY(ed_buf_xml_escape(out, n->text, n->text_len, 0));
        TRY(step(out, top, &n, close_pfx, m));
        if (!n)
            return ED_OK;
    }
}

ed_err ed_xml_write(ed_buf *out, const ed_elem *e, const char *ctx_ns)
{
    if (!out || !e)
        return ED_EINVAL;
    size_t len0 = out->len;
    const char *ctx = ctx_ns ? ctx_ns : "";
    bool over = false;
    ed_err err = write_tree(out, e, ctx, ED_XML_REPEAT_BUDGET, &over);
    if (!err && over) { /* many declarations: plan the tree, start over */
        out->len = len0;
        if (out->data)
            out->data[len0] = '\0';
        pfx_map m;
        const char *stack[64];
        int mode = plan(e, ctx, &m, stack, 64);
        if (mode < 0) {
            err = ED_ENOMEM;
        } else if (mode == 0) { /* declared once each: as they are */
            err = write_tree(out, e, ctx, SIZE_MAX, &over);
        } else {
            err = write_tree_pfx(out, e, &m);
            if (m.uri != stack)
                free(m.uri);
        }
    }
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
