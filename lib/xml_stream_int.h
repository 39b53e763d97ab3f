/* lib/xml_stream_int.h — what the two halves of the stream parser share:
 * lib/xml_stream.c (state, the expat handlers that build stanzas under the
 * limits, the event queue, lifecycle, ed_xml_parse) and lib/xml_stream_feed.c
 * (bytes to expat, suspension and ed_xml_stream_next(), releasing expat
 * while idle).  Library-internal, not installed. */
#ifndef EXTDISCO_XML_STREAM_INT_H
#define EXTDISCO_XML_STREAM_INT_H

#include <stdint.h>
#include <expat.h>

#include "extdisco/xml.h"
#include "xml_priv.h"

#define NS_SEP '\x01'
#define EVQ 4 /* event slots: expat may deliver 2 before a stop takes effect */

struct ed_xml_stream {
    XML_Parser p;
    ed_xml_limits lim;
    int standalone;        /* ed_xml_parse(): the root is the stanza */
    int in_parse;          /* inside XML_Parse (handlers may stop it) */
    int quiet;             /* idle_wake() re-parses the header: no event */
    unsigned long hash_salt; /* expat's hash salt; 0: expat draws one */
    /* Events completed and not taken yet (ring), and the header last
     * returned by ed_xml_stream_next() (freed on the next call). */
    ed_xml_event q[EVQ];
    unsigned qhead, qlen;
    ed_elem *lent;
    int suspended;         /* expat is suspended after an event */
    uint64_t parse_end;    /* offset past the last byte expat gets before
                              control returns to the caller: an event that
                              ends there needs no suspension */
    size_t more;           /* bytes push() gives expat after this run */
    int flush_held;        /* held must all go to expat on resumption */
    int tail;              /* the checks at the end of a feed are due */
    int raw_bad;           /* the feed's bytes end in a raw error:
                              1 invalid UTF-8, 2 control character */
    ed_err err;            /* first error; sticky */
    char detail[160];
    unsigned depth;        /* open elements, the stream header included */
    int opened, closed;
    unsigned hdr_ns;       /* namespace declarations on the stream header */
    ed_elem *stanza;       /* stanza under construction (a root) */
    ed_elem *cur;          /* its innermost open element */
    ed_elem *result;       /* standalone: the parsed element */
    size_t text_bytes;     /* text in the current stanza */
    uint64_t fed;          /* bytes given to this expat parser */
    uint64_t mark;         /* where the current top-level unit began */
    uint64_t close_end;    /* offset just past </stream:stream> */
    char *content_ns;      /* default ns declared on the header (malloc'd) */
    struct ed_xml_scan sc; /* raw-byte checks: UTF-8, lexer (xml_bytes.c) */
    /* Deferral of unfinished markup: expat (< 2.6) rescans a partial token
     * from its start on every call, so a big tag trickling in byte by byte
     * would cost O(n^2).  Bytes inside an unfinished construct are held
     * back until a construct ends or they outnumber what expat already has
     * of it; events are never delayed (they need a construct's end). */
    ed_buf held;           /* bytes not yet given to expat */
    uint64_t total;        /* bytes accepted by feed (fed + held) */
    size_t con_fed;        /* bytes of the current unfinished construct
                              (sc.con_len) that expat already has */
    /* ed_xml_stream_idle(): while p is released between stanzas, the raw
     * bytes of the stream header tag rebuild it on the next feed. */
    char *idle_hdr;        /* malloc'd copy of the header start tag, or NULL */
    size_t idle_hdr_len;
    int idle;              /* p was released; the next feed rebuilds it */
};

/* xml_stream.c */
/* Record the first error (detail with expat's position) and stop expat
 * when inside it. */
ED_PRIV void ed_xs_fail(ed_xml_stream *s, ed_err err, const char *what);
ED_PRIV ed_err ed_xs_map_expat_error(enum XML_Error code);
/* Install the handlers on a new s->p. */
ED_PRIV void ed_xs_setup_parser(ed_xml_stream *s);

/* xml_stream_feed.c */
/* Hand n bytes to expat; the bytes it did not take because it suspended. */
ED_PRIV size_t ed_xs_run_expat(ed_xml_stream *s, const char *buf, size_t n, int final);
/* Fail with an error found on the raw bytes (after expat's own, if any). */
ED_PRIV void ed_xs_fail_raw(ed_xml_stream *s, ed_err err, const char *what);
/* Bytes the unit being parsed may take: a stanza max_stanza_bytes; the
 * stream header (with anything before it) ED_XML_MAX_HEADER_BYTES at most,
 * since every idle wake parses it again. */
static inline uint64_t ed_xs_unit_max(const ed_xml_stream *s)
{
    if (s->opened || s->standalone || s->lim.max_stanza_bytes < ED_XML_MAX_HEADER_BYTES)
        return s->lim.max_stanza_bytes;
    return ED_XML_MAX_HEADER_BYTES;
}

/* The header has been parsed: keep its start tag for ed_xml_stream_idle(). */
ED_PRIV void ed_xs_idle_save_header(ed_xml_stream *s);

#endif
