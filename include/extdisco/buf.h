/* extdisco/buf.h — growable byte buffer used for serialised output. */
#ifndef EXTDISCO_BUF_H
#define EXTDISCO_BUF_H

#include <stddef.h>
#include "extdisco/error.h"

#ifdef __cplusplus
extern "C" {
#endif

/* A buffer owns data (malloc'd); zero-initialise it ({0}) before first use and
 * release with ed_buf_free().  data is always NUL-terminated when non-NULL.
 * max == 0 means no limit; otherwise appends that would pass max fail with
 * ED_ELIMIT and leave the buffer unchanged. */
typedef struct ed_buf {
    char *data;
    size_t len;
    size_t cap;
    size_t max;
} ed_buf;

ed_err ed_buf_append(ed_buf *b, const void *p, size_t n);
ed_err ed_buf_puts(ed_buf *b, const char *s);
ed_err ed_buf_printf(ed_buf *b, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
/* Append s with XML escaping: & < > always; ' and " too when attr != 0; CR
 * always and TAB/LF in attributes as character references (so they survive
 * a parser's normalisation).  Every other byte (printable ASCII, DEL, TAB
 * and LF in text, valid UTF-8) is copied as is.  ED_EINVAL (buffer
 * unchanged) when s is not valid UTF-8 or holds a character XML forbids
 * (NUL and the other C0 controls, U+FFFE/FFFF).  The serialiser
 * (ed_xml_write) escapes all text and attribute values with this. */
ed_err ed_buf_xml_escape(ed_buf *b, const char *s, size_t n, int attr);
/* Drop the first n bytes (n <= len), keeping the rest. */
void ed_buf_consume(ed_buf *b, size_t n);
void ed_buf_reset(ed_buf *b); /* len = 0, keeps memory */
/* Cut b back to its first len bytes (NUL-terminated again), e.g. to undo
 * an append that must not stand; len >= b->len leaves b unchanged. */
void ed_buf_truncate(ed_buf *b, size_t len);
/* ed_buf_reset(), and give the memory back (ed_buf_free) when it has grown
 * past keep bytes: a buffer reused for every read keeps its usual size, not
 * the size of its biggest burst. */
void ed_buf_reset_trim(ed_buf *b, size_t keep);
void ed_buf_free(ed_buf *b);  /* frees data, zeroes the struct (max kept) */

#ifdef __cplusplus
}
#endif
#endif
