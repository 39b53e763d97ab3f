/* daemon/c2s/ws_xmpp.c — RFC 7395 §3.3 framing to the XML stream the
 * session's parser reads (see ws.h).  A client opens (and, after SASL,
 * restarts) with <open xmlns='urn:ietf:params:xml:ns:xmpp-framing'/> and
 * ends with <close/>; each of these is one message, checked with expat on
 * its own (it is a complete document), and replaced by the stream header or
 * </stream:stream> the session's parser expects.  Stanzas go through
 * untouched: the session parses, limits and handles them exactly as on TCP. */
#include <stdint.h>
#include <string.h>

#include <expat.h>

#include <extdisco/ns.h>

#include "c2s/ws.h"

#define SEP '\x01' /* expat's namespace separator: "uri\x01local" */

typedef struct framing {
    int depth;
    bool bad;        /* children, text, a DTD */
    bool open, close;
    char to[256], version[16], lang[64];
    bool has_to, has_version, has_lang;
} framing;

static bool named(const char *qn, const char *local)
{
    size_t un = strlen(ED_NS_FRAMING);
    return strncmp(qn, ED_NS_FRAMING, un) == 0 && qn[un] == SEP && strcmp(qn + un + 1, local) == 0;
}

static void keep(char *dst, size_t n, const char *v, bool *has)
{
    size_t l = strlen(v);
    if (l >= n)
        return; /* longer than any valid value: left out, the session refuses */
    memcpy(dst, v, l + 1);
    *has = true;
}

static void on_start(void *ud, const XML_Char *name, const XML_Char **atts)
{
    framing *f = ud;
    if (f->depth++ > 0) {
        f->bad = true;
        return;
    }
    f->open = named(name, "open");
    f->close = named(name, "close");
    for (size_t i = 0; f->open && atts[i]; i += 2) {
        if (strcmp(atts[i], "to") == 0)
            keep(f->to, sizeof f->to, atts[i + 1], &f->has_to);
        else if (strcmp(atts[i], "version") == 0)
            keep(f->version, sizeof f->version, atts[i + 1], &f->has_version);
        else if (strcmp(atts[i], ED_NS_XML "\x01lang") == 0)
            keep(f->lang, sizeof f->lang, atts[i + 1], &f->has_lang);
    }
}

static void on_end(void *ud, const XML_Char *name)
{
    (void)name;
    ((framing *)ud)->depth--;
}

static void on_text(void *ud, const XML_Char *s, int len)
{
    framing *f = ud;
    for (int i = 0; i < len; i++)
        if (!strchr(" \t\r\n", s[i]))
            f->bad = true;
}

static void on_doctype(void *ud, const XML_Char *name, const XML_Char *sysid,
                       const XML_Char *pubid, int has_internal_subset)
{
    (void)name, (void)sysid, (void)pubid, (void)has_internal_subset;
    ((framing *)ud)->bad = true;
}

/* Does the message start (after white space) with <open or <close? */
static bool looks_framing(const char *m, size_t n)
{
    size_t i = 0;
    while (i < n && strchr(" \t\r\n", m[i]) && m[i])
        i++;
    m += i, n -= i;
    return (n >= 6 && memcmp(m, "<open", 5) == 0 && strchr(" \t\r\n/>", m[5]) && m[5]) ||
           (n >= 7 && memcmp(m, "<close", 6) == 0 && strchr(" \t\r\n/>", m[6]) && m[6]);
}

static void attr(ed_buf *out, const char *name, const char *v)
{
    ed_buf_printf(out, " %s='", name);
    ed_buf_xml_escape(out, v, strlen(v), 1);
    ed_buf_puts(out, "'");
}

bool edd_ws_message_in(const char *msg, size_t n, ed_buf *out)
{
    if (!looks_framing(msg, n))
        return false;
    framing f = {0};
    XML_Parser p = XML_ParserCreateNS("UTF-8", SEP);
    if (!p)
        return false;
    XML_SetUserData(p, &f);
    XML_SetElementHandler(p, on_start, on_end);
    XML_SetCharacterDataHandler(p, on_text);
    XML_SetStartDoctypeDeclHandler(p, on_doctype);
    bool ok = n <= INT32_MAX && XML_Parse(p, msg, (int)n, 1) == XML_STATUS_OK && !f.bad &&
              (f.open || f.close);
    XML_ParserFree(p);
    if (!ok)
        return false;
    if (f.close) {
        ed_buf_puts(out, "</stream:stream>");
        return true;
    }
    ed_buf_puts(out, "<stream:stream xmlns='" ED_NS_CLIENT "' xmlns:stream='" ED_NS_STREAMS "'");
    if (f.has_to)
        attr(out, "to", f.to);
    if (f.has_version)
        attr(out, "version", f.version);
    if (f.has_lang)
        attr(out, "xml:lang", f.lang);
    ed_buf_puts(out, ">");
    return true;
}
