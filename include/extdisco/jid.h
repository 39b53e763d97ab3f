/* extdisco/jid.h — JIDs per RFC 7622 with the stringprep profiles of
 * RFC 6122 (nodeprep, nameprep, resourceprep via libidn); IDNA domains are
 * converted to their Unicode form and lower-cased; IP literals are accepted
 * ("[::1]" keeps its brackets).  Each part is at most 1023 bytes after
 * preparation.
 *
 * Canonical form (what eq_* compare): "user@xn--bcher-kva.example" and
 * "User@B\u00dcCHER.example." both become "user@b\u00fccher.example"
 * (UTF-8); one trailing '.' of the domain is dropped; IPv6 literals are
 * re-printed by inet_ntop ("[0:0::1]" -> "[::1]"); a domain of digits and
 * dots must be a dotted-quad IPv4 address; domain labels follow the STD3
 * rules (letters, digits, '-').  The resource keeps its case.  Errors: an
 * empty part or embedded NUL is ED_JID_MALFORMED, invalid UTF-8 the part's
 * *_INVALID code; a raw part over 4096 bytes is ED_JID_TOO_LONG even if
 * preparation would shrink it. */
#ifndef EXTDISCO_JID_H
#define EXTDISCO_JID_H

#include <stdbool.h>
#include <stddef.h>
#include "extdisco/error.h"

#ifdef __cplusplus
extern "C" {
#endif

#define ED_JID_PART_MAX 1023

/* One allocation holds the struct and all its strings; free with
 * ed_jid_free().  All strings are the normalised (prepared) forms. */
typedef struct ed_jid {
    const char *local;    /* NULL when absent */
    const char *domain;   /* never NULL */
    const char *resource; /* NULL when absent */
    const char *bare;     /* "local@domain" or "domain" */
    const char *full;     /* bare plus "/resource" when present */
} ed_jid;

/* Parse and normalise s (len bytes, need not be NUL-terminated).  On success
 * *out is a new JID the caller frees. */
ed_err ed_jid_parse(const char *s, size_t len, ed_jid **out);

/* Build from parts (local and resource may be NULL); each is prepared. */
ed_err ed_jid_make(const char *local, const char *domain, const char *resource,
                   ed_jid **out);

/* Copy of j (caller frees) or NULL on allocation failure. */
ed_jid *ed_jid_dup(const ed_jid *j);

/* Copy of j without its resource (caller frees) or NULL. */
ed_jid *ed_jid_to_bare(const ed_jid *j);

void ed_jid_free(ed_jid *j);

bool ed_jid_eq_full(const ed_jid *a, const ed_jid *b);
bool ed_jid_eq_bare(const ed_jid *a, const ed_jid *b);

/* Normalise the JID in s into a malloc'd full string (caller frees); NULL and
 * *err set when s is not a valid JID. */
char *ed_jid_normalize(const char *s, ed_err *err);

#ifdef __cplusplus
}
#endif
#endif
