/* lib/xml_write.c — the XML serialiser: ed_xml_write() and
 * ed_xml_to_string() turn an element tree (lib/xml_tree.c) into
 * deterministic XML text.
 *
 * What it holds: the name checks (NCNames, "URI|local" and xml: attribute
 * names), generated nsK prefixes for namespaced attributes, the start and
 * end tag writers and the iterative tree walk.  Text and attribute values
 * go through ed_buf_xml_escape() (lib/buf.c), the one place that decides
 * which bytes need escaping.
 *
 * Ownership: nothing is allocated here except in the caller's ed_buf;
 * ed_xml_to_string() returns a malloc'd string the caller frees.  On error
 * the buffer is left as it was.  A name that points into ed_snames[] is
 * known good and not checked again (see lib/xml_priv.h).
 */
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
