/* lib/xml_write.c — the XML serialiser: ed_xml_write() and
 * ed_xml_to_string() turn an element tree (lib/xml_tree.c) into
 * deterministic XML text.
 *
 * What it holds: the name checks (NCNames, "URI|local" and xml: attribute
 * names), generated nsK prefixes for namespaced attributes, the plain-byte
 * scan (ed_xml_plain_len(), shared with ed_buf_xml_escape()), the one-pass
 * writer for the usual start tag and the general piece-by-piece one, and
 * the iterative tree walk.
 *
 * Ownership: nothing is allocated here except in the caller's ed_buf;
 * ed_xml_to_string() returns a malloc'd string the caller frees.  On error
 * the buffer is left as it was.  A name that points into ed_snames[] is
 * known good and not checked again (see lib/xml_priv.h).
 */
#include <stdlib.h>
#include <string.h>
#ifdef __SSE2__
#include <emmintrin.h>
#endif

#include "extdisco/xml.h"
#include "xml_priv.h"

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

#define FAST_ATTRS 16

/* Length of a plain attribute name (an NCName other than xmlns), or 0. */
static size_t plain_attr_name(const char *n)
{
    int sl = ed_sname_len_of(n);
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
    int sl = ed_sname_len_of(e->name);
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
    w = ed_copy_small(w, e->name, nlen);
    if (with_ns) {
        memcpy(w, " xmlns='", 8);
        w = ed_copy_small(w + 8, e->ns, nslen);
        *w++ = '\'';
    }
    for (size_t i = 0; i < na; i++) {
        *w++ = ' ';
        w = ed_copy_small(w, e->attrs[i].name, nl[i]);
        *w++ = '=';
        *w++ = '\'';
        w = ed_copy_small(w, e->attrs[i].value, vl[i]);
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
