/* lib/xml_bytes.c — the raw-byte checks the stream parser (lib/xml_stream.c)
 * makes on every feed before expat sees the bytes:
 *   - UTF-8 validation that carries a partial character across feeds, so
 *     that an encoding error is told apart from a syntax error;
 *   - refusal of the C0 control characters XML never allows (which also
 *     keeps expat's start-of-document heuristics out of the way);
 *   - a small lexer over markup boundaries that tells when a construct
 *     (tag, comment, PI, CDATA section, declaration) ended and how long the
 *     unfinished one at the end of the input is, from which the stream
 *     decides to hold bytes of a slowly arriving tag back from expat.
 *
 * The state lives in struct ed_xml_scan (lib/xml_priv.h), embedded in the
 * stream; all zero is the initial state.  Nothing here allocates or calls
 * expat.
 */
#include <stdint.h>
#include <string.h>

#include "xml_priv.h"

enum { LX_TEXT, LX_LT, LX_TAG, LX_SQ, LX_DQ, LX_BANG, LX_COMMENT, LX_CDATA,
       LX_PI, LX_DECL };
_Static_assert(LX_TEXT == ED_XML_LX_TEXT, "lexer start state");

/* --- UTF-8 ----------------------------------------------------------------- */

/* Validate p[0..n) continuing the state left by earlier feeds; returns the
 * offset of the first byte that cannot be part of valid UTF-8 (*ctl = 0) or
 * is a C0 control character XML never allows (*ctl = 1), or n.  Checking
 * controls here too keeps expat's start-of-document heuristics (it guesses
 * UTF-16 from NUL bytes) out of the way. */
size_t ed_xml_utf8_scan(struct ed_xml_scan *s, const unsigned char *p,
                        size_t n, int *ctl)
{
    size_t i = 0;
    *ctl = 0;
    while (i < n) {
        if (s->u8_need) {
            if (p[i] < s->u8_lo || p[i] > s->u8_hi)
                return i;
            s->u8_lo = 0x80;
            s->u8_hi = 0xBF;
            s->u8_need--;
            i++;
            continue;
        }
        while (i + 8 <= n) {
            uint64_t w;
            memcpy(&w, p + i, 8);
            /* any byte >= 0x80 or < 0x20: look closer */
            if ((w | ((w - 0x2020202020202020ull) & ~w)) & 0x8080808080808080ull)
                break;
            i += 8;
        }
        while (i < n && p[i] < 0x80) {
            if (p[i] < 0x20 && p[i] != '\t' && p[i] != '\n' && p[i] != '\r') {
                *ctl = 1;
                return i;
            }
            i++;
        }
        if (i == n)
            break;
        unsigned c = p[i];
        if (c < 0xC2 || c > 0xF4)
            return i;
        s->u8_need = c < 0xE0 ? 1 : c < 0xF0 ? 2 : 3;
        s->u8_lo = c == 0xE0 ? 0xA0 : c == 0xF0 ? 0x90 : 0x80;
        s->u8_hi = c == 0xED ? 0x9F : c == 0xF4 ? 0x8F : 0xBF;
        i++;
    }
    return n;
}

/* --- markup boundaries ------------------------------------------------------ */

/* Follow markup boundaries over p[0..n): returns 1 when some construct
 * (tag, comment, PI, CDATA section, declaration) ended in it.  Only the
 * bytes that can change the state are looked at. */
int ed_xml_lex(struct ed_xml_scan *s, const unsigned char *p, size_t n)
{
    int ended = 0;
    unsigned st = s->lx;
    size_t i = 0, cstart = SIZE_MAX;
    const unsigned char *q;
#define PREV1 (i >= 1 ? p[i - 1] : s->lx_p1)
#define PREV2 (i >= 2 ? p[i - 2] : i == 1 ? s->lx_p1 : s->lx_p2)
    while (i < n) {
        unsigned c;
        switch (st) {
        case LX_TEXT:
            q = memchr(p + i, '<', n - i);
            if (!q) {
                i = n;
                break;
            }
            i = (size_t)(q - p);
            cstart = i++;
            st = LX_LT;
            break;
        case LX_LT:
        case LX_BANG:
            c = p[i++];
            if (c == '>') {
                st = LX_TEXT;
                ended = 1;
            } else if (st == LX_LT) {
                st = c == '!' ? LX_BANG : c == '?' ? LX_PI : LX_TAG;
            } else {
                st = c == '-' ? LX_COMMENT : c == '[' ? LX_CDATA : LX_DECL;
            }
            break;
        case LX_TAG:
            while (i < n && p[i] != '>' && p[i] != '\'' && p[i] != '"')
                i++;
            if (i == n)
                break;
            c = p[i++];
            st = c == '\'' ? LX_SQ : c == '"' ? LX_DQ : LX_TEXT;
            ended |= st == LX_TEXT;
            break;
        case LX_SQ:
        case LX_DQ:
            q = memchr(p + i, st == LX_SQ ? '\'' : '"', n - i);
            if (!q) {
                i = n;
                break;
            }
            i = (size_t)(q - p) + 1;
            st = LX_TAG;
            break;
        default: /* comment, CDATA, PI, declaration: up to the right '>' */
            q = memchr(p + i, '>', n - i);
            if (!q) {
                i = n;
                break;
            }
            i = (size_t)(q - p);
            if ((st == LX_COMMENT && PREV1 == '-' && PREV2 == '-') ||
                (st == LX_CDATA && PREV1 == ']' && PREV2 == ']') ||
                (st == LX_PI && PREV1 == '?') || st == LX_DECL) {
                st = LX_TEXT;
                ended = 1;
            }
            i++;
            break;
        }
    }
    i = n;
    unsigned char p1 = PREV1, p2 = PREV2;
#undef PREV1
#undef PREV2
    s->lx_p1 = p1;
    s->lx_p2 = p2;
    s->lx = (unsigned char)st;
    if (st == LX_TEXT)
        s->con_len = 0;
    else
        s->con_len = cstart != SIZE_MAX ? n - cstart : s->con_len + n;
    return ended;
}
