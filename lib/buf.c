/* lib/buf.c — growable, limited, always NUL-terminated byte buffer and XML
 * escaping.
 *
 * Ownership: the ed_buf owns data (malloc'd); ed_buf_free() releases it.
 * Every append either succeeds completely or leaves the buffer unchanged. */
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "extdisco/buf.h"
#include "xml_priv.h"

/* Make room for `extra` more bytes plus the NUL.  Checks max. */
static ed_err buf_reserve(ed_buf *b, size_t extra)
{
    if (extra > SIZE_MAX - 1 - b->len)
        return ED_ELIMIT;
    size_t need = b->len + extra;
    if (b->max && need > b->max)
        return ED_ELIMIT;
    if (b->data && need + 1 <= b->cap)
        return ED_OK;
    size_t cap = b->cap ? b->cap : 64;
    while (cap < need + 1) {
        if (cap > SIZE_MAX / 2) {
            cap = need + 1;
            break;
        }
        cap *= 2;
    }
    /* Never allocate (much) more than the limit allows. */
    if (b->max && cap > b->max + 1)
        cap = b->max + 1;
    char *p = realloc(b->data, cap);
    if (!p)
        return ED_ENOMEM;
    if (!b->data)
        p[0] = '\0';
    b->data = p;
    b->cap = cap;
    return ED_OK;
}

ed_err ed_buf_reserve(ed_buf *b, size_t extra)
{
    return buf_reserve(b, extra);
}

ed_err ed_buf_append(ed_buf *b, const void *p, size_t n)
{
    if (!b || (!p && n))
        return ED_EINVAL;
    if (b->data && n < b->cap - b->len && (!b->max || n <= b->max - b->len)) {
        memcpy(b->data + b->len, p, n); /* fast path: room already there */
        b->len += n;
        b->data[b->len] = '\0';
        return ED_OK;
    }
    ed_err e = buf_reserve(b, n);
    if (e)
        return e;
    if (n)
        memcpy(b->data + b->len, p, n);
    b->len += n;
    b->data[b->len] = '\0';
    return ED_OK;
}

ed_err ed_buf_puts(ed_buf *b, const char *s)
{
    if (!s)
        return ED_EINVAL;
    return ed_buf_append(b, s, strlen(s));
}

ed_err ed_buf_printf(ed_buf *b, const char *fmt, ...)
{
    if (!b || !fmt)
        return ED_EINVAL;
    char small[256];
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(small, sizeof small, fmt, ap);
    va_end(ap);
    if (n < 0)
        return ED_EINVAL;
    if ((size_t)n < sizeof small)
        return ed_buf_append(b, small, (size_t)n);
    ed_err e = buf_reserve(b, (size_t)n);
    if (e)
        return e;
    va_start(ap, fmt);
    vsnprintf(b->data + b->len, (size_t)n + 1, fmt, ap);
    va_end(ap);
    b->len += (size_t)n;
    b->data[b->len] = '\0';
    return ED_OK;
}

const unsigned char ed_xml_esc_class[2][256] = {
#define ROW(q) { \
    [0 ... 31] = 1, ['&'] = 1, ['<'] = 1, ['>'] = 1, \
    ['\''] = q, ['"'] = q, [0x80 ... 0xFF] = 1 }
    ROW(0), ROW(1)
#undef ROW
};

/* Length of the valid UTF-8 sequence (RFC 3629, only XML Chars: no
 * surrogates, no U+FFFE/U+FFFF) starting at s, or 0 if invalid. */
static size_t utf8_seq(const unsigned char *s, size_t n)
{
    unsigned c = s[0];
    if (c < 0xC2 || c > 0xF4)
        return 0;
    size_t len = c < 0xE0 ? 2 : c < 0xF0 ? 3 : 4;
    if (n < len)
        return 0;
    unsigned lo = 0x80, hi = 0xBF;
    if (c == 0xE0) lo = 0xA0;
    else if (c == 0xED) hi = 0x9F;
    else if (c == 0xF0) lo = 0x90;
    else if (c == 0xF4) hi = 0x8F;
    if (s[1] < lo || s[1] > hi)
        return 0;
    for (size_t i = 2; i < len; i++)
        if ((s[i] & 0xC0) != 0x80)
            return 0;
    if (c == 0xEF && s[1] == 0xBF && (s[2] == 0xBE || s[2] == 0xBF))
        return 0; /* U+FFFE, U+FFFF are not XML characters */
    return len;
}

ed_err ed_buf_xml_escape(ed_buf *b, const char *s, size_t n, int attr)
{
    if (!b || (!s && n))
        return ED_EINVAL;
    const unsigned char *u = (const unsigned char *)s;
    attr = attr != 0;
    size_t len0 = b->len, i = 0, j = ed_xml_plain_len(u, n, attr);
    if (j == n) { /* usual case: nothing to escape */
        if (b->data && n < b->cap - b->len && (!b->max || n <= b->max - b->len)) {
            *ed_copy_small(b->data + b->len, s, n) = '\0'; /* room there */
            b->len += n;
            return ED_OK;
        }
        return ed_buf_append(b, s, n);
    }
    ed_err e = buf_reserve(b, n);
    if (e)
        return e;
    for (;;) { /* u[i..j) is plain */
        if (j > i && (e = ed_buf_append(b, u + i, j - i)))
            goto fail;
        if (j == n)
            break;
        const char *rep = NULL;
        size_t take = 1;
        switch (u[j]) {
        case '&': rep = "&amp;"; break;
        case '<': rep = "&lt;"; break;
        case '>': rep = "&gt;"; break;
        case '\'': rep = "&apos;"; break;
        case '"': rep = "&quot;"; break;
        case '\r': rep = "&#13;"; break; /* would be normalised to \n */
        case '\t': rep = attr ? "&#9;" : NULL; break;
        case '\n': rep = attr ? "&#10;" : NULL; break;
        default:
            if (u[j] < 0x20) { /* not an XML character */
                e = ED_EINVAL;
                goto fail;
            }
            take = utf8_seq(u + j, n - j);
            if (!take) {
                e = ED_EINVAL;
                goto fail;
            }
        }
        if (rep)
            e = ed_buf_append(b, rep, strlen(rep));
        else
            e = ed_buf_append(b, u + j, take);
        if (e)
            goto fail;
        i = j + take;
        j = i + ed_xml_plain_len(u + i, n - i, attr);
    }
    return ED_OK;
fail:
    b->len = len0;
    if (b->data)
        b->data[len0] = '\0';
    return e;
}

void ed_buf_consume(ed_buf *b, size_t n)
{
    if (!b || !b->data)
        return;
    if (n >= b->len) {
        b->len = 0;
    } else {
        memmove(b->data, b->data + n, b->len - n);
        b->len -= n;
    }
    b->data[b->len] = '\0';
}

void ed_buf_reset(ed_buf *b)
{
    if (!b)
        return;
    b->len = 0;
    if (b->data)
        b->data[0] = '\0';
}

void ed_buf_free(ed_buf *b)
{
    if (!b)
        return;
    size_t max = b->max;
    free(b->data);
    b->data = NULL;
    b->len = 0;
    b->cap = 0;
    b->max = max;
}

void ed_buf_truncate(ed_buf *b, size_t len)
{
    if (!b || !b->data || len >= b->len)
        return;
    b->len = len;
    b->data[len] = '\0';
}

void ed_buf_reset_trim(ed_buf *b, size_t keep)
{
    if (!b)
        return;
    if (b->cap > keep)
        ed_buf_free(b);
    else
        ed_buf_reset(b);
}
