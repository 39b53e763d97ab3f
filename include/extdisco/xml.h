/* extdisco/xml.h — element trees, the XML stream parser and the serialiser.
 *
 * Element trees
 *   A tree is allocated from one arena owned by its root; every string and
 *   node in it lives there.  ed_elem_free(root) frees the whole tree at once;
 *   children are never freed separately.  Pointers returned by accessors stay
 *   valid until the root is freed.
 *
 *   Namespaces are resolved: every element carries its namespace URI in `ns`
 *   ("" for none), never a prefix.  Attributes keep their qualified form for
 *   the XML namespace ("xml:lang"); attributes in any other namespace are
 *   named "URI|local".  Namespace declarations are not attributes.
 *
 * The stream parser
 *   Feed bytes of an XMPP stream in any chunking (one byte at a time works),
 *   then take its events one at a time: the stream header, each complete
 *   top-level stanza (depth 2) as a tree, and the stream's close.  It calls
 *   nothing back, owns no socket and no loop.
 */
#ifndef EXTDISCO_XML_H
#define EXTDISCO_XML_H

#include <stddef.h>
#include "extdisco/buf.h"
#include "extdisco/error.h"
#include "extdisco/ns.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct ed_attr {
    const char *name;
    const char *value;
} ed_attr;

typedef struct ed_elem ed_elem;
struct ed_elem {
    const char *name;   /* local name; NULL for a text node */
    const char *ns;     /* namespace URI, "" for none; NULL for a text node */
    ed_attr *attrs;     /* in document / insertion order */
    size_t nattrs;
    const char *text;   /* text node: its characters (NUL-terminated) */
    size_t text_len;
    ed_elem *parent;
    ed_elem *children;  /* first child (elements and text nodes) */
    ed_elem *last;
    ed_elem *next;      /* next sibling */
    struct ed_arena *arena; /* shared by the whole tree */
    size_t cap_attrs;
};

/* --- building ------------------------------------------------------------ */

/* New root element with its own arena.  ns may be NULL (= "").  Returns NULL
 * on allocation failure.  Free with ed_elem_free(). */
ed_elem *ed_elem_new(const char *name, const char *ns);

/* New child element appended to parent; ns NULL inherits parent->ns.  The
 * child belongs to parent's tree.  NULL on allocation failure. */
ed_elem *ed_elem_add(ed_elem *parent, const char *name, const char *ns);

/* Append a text node (n bytes of s, copied) to e; adjacent text merges. */
ed_err ed_elem_add_text(ed_elem *e, const char *s, size_t n);

/* Set (replace or append) attribute name to value; value NULL removes it.
 * Both strings are copied into the tree. */
ed_err ed_elem_set_attr(ed_elem *e, const char *name, const char *value);

/* Deep-copy src (and its subtree) as a new child of parent (parent's arena);
 * when parent is NULL the copy is a new root.  NULL on allocation failure. */
ed_elem *ed_elem_copy(ed_elem *parent, const ed_elem *src);

/* Detach e from its parent's child list (it stays in the arena). */
void ed_elem_unlink(ed_elem *e);

/* Free a whole tree given its root; NULL is a no-op. */
void ed_elem_free(ed_elem *root);

/* --- reading ------------------------------------------------------------- */

/* Attribute value or NULL. */
const char *ed_elem_attr(const ed_elem *e, const char *name);

/* First child element with this local name and namespace (ns NULL: any);
 * name NULL matches any element.  Text nodes are skipped.  NULL if none. */
ed_elem *ed_elem_child(const ed_elem *e, const char *name, const char *ns);

/* Next sibling element after `after` with this name/ns (same matching). */
ed_elem *ed_elem_next(const ed_elem *after, const char *name, const char *ns);

/* First child element of any name (text skipped), or NULL. */
ed_elem *ed_elem_first(const ed_elem *e);

/* Text content of a leaf: the concatenation of e's direct text children,
 * stored in the arena on first use.  "" when none; NULL on allocation
 * failure. */
const char *ed_elem_text(ed_elem *e);

/* --- serialising --------------------------------------------------------- */

/* Append e as XML to out.  Namespaces are written as default-namespace
 * declarations wherever an element's ns differs from its parent's (for the
 * root: from ctx_ns, the stream's content namespace, e.g. ED_NS_CLIENT; NULL
 * means "").  Attributes are written in order with single quotes; output is
 * deterministic.
 *
 * Output proportional to input: a tree whose repeated declarations (the
 * same URI declared again on a sibling or below an element in another
 * namespace) would cost more than 1 kB is written in prefix mode instead:
 * each namespace other than ctx_ns and "" is declared once on e as pK and
 * its elements are written pK:name (lib/xml_write.c).  So for a tree parsed
 * from `in` bytes, with strlen(ctx_ns) <= 16 and fewer than 10^7 elements,
 * output <= 16 * in + 1100 bytes: escaping grows a byte at most 6x
 * (' -> &apos;), an element (>= 4 input bytes, "<a/>") gains at most 25
 * bytes (a prefix twice or an xmlns='ctx_ns' declaration), each distinct
 * URI is declared once, repeats cost at most 1 kB.  Measured on the shape
 * that used to cost 89x (2,288 -> 203,967 bytes): 1.08x. */
ed_err ed_xml_write(ed_buf *out, const ed_elem *e, const char *ctx_ns);

/* Convenience: serialise to a malloc'd NUL-terminated string (caller frees),
 * or NULL on allocation failure. */
char *ed_xml_to_string(const ed_elem *e, const char *ctx_ns);

/* --- limits and parsing ---------------------------------------------------- */

/* The stream header start tag (with the XML declaration and whitespace
 * before it) may take at most this many bytes (max_stanza_bytes when that
 * is smaller): a real one takes a few hundred, and a parser released while
 * idle parses it again at every wake (ED_XML_STANZA_TOO_BIG past it). */
#define ED_XML_MAX_HEADER_BYTES 4096
/* Namespace declarations the stream header may make (a real one makes two
 * or three: the content namespace, stream:, perhaps db:); more is
 * ED_XML_TOO_MANY_ATTRS.  They are what makes parsing it again costly. */
#define ED_XML_MAX_HEADER_NS 16

typedef struct ed_xml_limits {
    size_t max_stanza_bytes;  /* bytes of one stanza incl. markup; 64 KiB */
    unsigned max_depth;       /* element depth below the stream; 32 */
    unsigned max_attrs;       /* attributes per element; 64 */
    size_t max_text_bytes;    /* text characters in one stanza; 64 KiB */
} ed_xml_limits;

/* The defaults above. */
ed_xml_limits ed_xml_limits_default(void);

/* Parse one standalone XML element (no stream) from buf, with the same
 * restrictions as the stream parser (no DTD/PI/comments, UTF-8 only); the
 * element counts as the stanza for the limits (len over max_stanza_bytes is
 * ED_XML_STANZA_TOO_BIG).  On success *out is a new root (caller frees),
 * else *out is NULL.  lim NULL = defaults. */
ed_err ed_xml_parse(const char *buf, size_t len, const ed_xml_limits *lim,
                    ed_elem **out);

typedef struct ed_xml_stream ed_xml_stream;

typedef enum ed_xml_event_type {
    ED_XML_EV_NONE = 0, /* nothing complete: feed more bytes */
    ED_XML_EV_OPEN,     /* the stream header */
    ED_XML_EV_STANZA,   /* a complete top-level stanza */
    ED_XML_EV_CLOSE     /* </stream:stream> */
} ed_xml_event_type;

typedef struct ed_xml_event {
    ed_xml_event_type type;
    /* OPEN: a childless element <stream> in ED_NS_STREAMS with the header's
     * attributes, owned by the parser and valid until the next call on the
     * stream.  STANZA: the stanza, a root owned by the caller from now on
     * (ed_elem_free).  NONE, CLOSE: NULL. */
    ed_elem *elem;
    /* OPEN: the default namespace declared on the header ("" if none),
     * valid as long as elem.  Otherwise "". */
    const char *content_ns;
} ed_xml_event;

/* New parser; lim NULL = defaults.  NULL on allocation failure.  Free with
 * ed_xml_stream_free(). */
ed_xml_stream *ed_xml_stream_new(const ed_xml_limits *lim);

/* Parse, then handle: the parser calls nothing back.  Give it bytes with
 * ed_xml_stream_feed(), then take the events they complete, one per call,
 * with ed_xml_stream_next() until it reports ED_XML_EV_NONE or an error:
 *
 *     ed_xml_stream_feed(s, buf, n);
 *     ed_xml_event ev;
 *     while ((err = ed_xml_stream_next(s, &ev)) == ED_OK && ev.type)
 *         handle(&ev);           // may reset s (STARTTLS): then stop
 *
 * Parsing stops after each event and goes on only when the next one is
 * asked for, so the bytes after a stanza are not parsed while the caller
 * handles it; after ed_xml_stream_reset() they are never parsed at all (what
 * follows <proceed/> or SASL success belongs to the next stream).  Nothing
 * the peer sends makes the parser keep more than one feed's bytes and the
 * one stanza being built.
 *
 * Feed n bytes, in any chunking (one byte at a time works).  Every event
 * is ready after the feed that brings its last byte; bytes of an unfinished
 * tag may be held back internally (never needed: n == 0 hands them over,
 * which only matters to tests that want errors in a truncated tail).
 * Returns ED_OK; errors found in these bytes come from ed_xml_stream_next()
 * after the events before them.  ED_ESTATE when events are still waiting
 * (ed_xml_stream_next() has not reported NONE or an error since the last
 * feed); ED_EINVAL for bad arguments.  After an error the parser stays
 * failed and every later feed and next returns the same error; map it with
 * ed_err_stream_condition().  A description of the error's position is
 * available from ed_xml_stream_error_detail(). */
ed_err ed_xml_stream_feed(ed_xml_stream *s, const char *buf, size_t n);

/* The next event into *ev (always written; type ED_XML_EV_NONE when nothing
 * more is complete), ED_OK; or the stream's error once every event before
 * it has been returned (ev->type NONE). */
ed_err ed_xml_stream_next(ed_xml_stream *s, ed_xml_event *ev);

/* Static-lifetime (until the next feed/reset/free) human-readable detail of
 * the last error, e.g. "line 1, column 40: mismatched tag"; "" if none. */
const char *ed_xml_stream_error_detail(const ed_xml_stream *s);

/* Start over for a new stream (after STARTTLS or SASL success); limits are
 * kept; waiting events and bytes not yet parsed are dropped.  Returns ED_ENOMEM if a new parser cannot be made. */
ed_err ed_xml_stream_reset(ed_xml_stream *s);

void ed_xml_stream_free(ed_xml_stream *s);

/* Release the expat parser while the stream is idle: when s is between
 * stanzas (the header parsed, no stanza or tag begun, no byte of anything
 * unfinished held), free its expat state (several KiB: buffers and hash
 * tables) and keep only the bytes of the stream header's start tag.  The
 * next ed_xml_stream_feed() with data builds a new parser primed with that
 * header (no second OPEN event) and goes on exactly as before;
 * nothing else changes for the caller.  Only the line/column numbers in
 * ed_xml_stream_error_detail() then count from the re-parsed header.
 * Returns 1 when s is now idle (or already was), 0 when it could not be
 * released now (mid-stanza, before the header, events waiting, closed,
 * failed); s stays usable either way.  E.g. for a connection that has been
 * quiet for a while. */
int ed_xml_stream_idle(ed_xml_stream *s);

/* The salt of expat's hash tables in every parser s makes from now on
 * (after ed_xml_stream_reset() and idle wakes too), and in its current one
 * if that has not parsed yet.  Without it (salt 0, the default) expat draws
 * a fresh salt from the system at each parser start: one getrandom(2) per
 * stream and per wake, which a server with many streams pays per login.
 * Such a caller passes one secret random value per process (not per
 * stream), as hash tables keyed per process do. */
void ed_xml_stream_set_hash_salt(ed_xml_stream *s, unsigned long salt);

#ifdef __cplusplus
}
#endif
#endif
