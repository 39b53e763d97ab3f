/* tests/unit/xml_stream_events.h — what the stream parser's unit tests
 * (test_xml_stream.c, test_xml_stream_idle.c) share: a stream's events
 * written down as text, feeding whole or in chunks, a stanza of a given
 * size.  Failed expectations are cmocka assertions. */
#ifndef EXTDISCO_TEST_XML_STREAM_EVENTS_H
#define EXTDISCO_TEST_XML_STREAM_EVENTS_H

#include <stddef.h>

#include "extdisco/xml.h"

/* Everything a stream reported, as text. */
typedef struct log {
    ed_buf b;
    int opens, stanzas, closes;
    char content_ns[64];
} log_t;

/* Take the events waiting in s into l (NULL: drop them); the error
 * ed_xml_stream_next() ends with. */
ed_err drain(ed_xml_stream *s, log_t *l);

/* Feed n bytes and take every event they complete into l. */
ed_err feed(ed_xml_stream *s, log_t *l, const char *buf, size_t n);

/* A new stream fed `in` in chunks of `step` bytes (0 = whole), into l
 * (cleared first; the caller frees l->b); the first error, checked sticky;
 * the error detail into detail when not NULL. */
ed_err run(const char *in, size_t len, size_t step, const ed_xml_limits *lim, log_t *l,
           char *detail, size_t dsz);

/* run() whole and in 1..7-byte chunks: the same error and events every
 * time; the events into *logout (the caller frees) when not NULL. */
ed_err run_all(const char *in, const ed_xml_limits *lim, char **logout);

/* A stanza of exactly size bytes (malloc'd): <m a='xxxx...'/> */
char *stanza_of(size_t size);

#define HDR "<stream:stream xmlns='jabber:client' " \
            "xmlns:stream='http://etherx.jabber.org/streams' to='example.com' version='1.0'>"
#define HDRLOG "open:stream|http://etherx.jabber.org/streams|jabber:client|to=example.com|version=1.0\n"

#endif
