/* extdisco/stanza.h — helpers shared by every responder: IQ replies and
 * RFC 6120 stanza errors. */
#ifndef EXTDISCO_STANZA_H
#define EXTDISCO_STANZA_H

#include "extdisco/xml.h"

#ifdef __cplusplus
extern "C" {
#endif

/* New <iq type='result'> root answering req: id copied, to = req's from,
 * from = req's to (either omitted when absent), ns = req's ns.  Caller frees.
 * NULL on allocation failure. */
ed_elem *ed_iq_result(const ed_elem *req);

/* New error reply to req (any stanza kind): same name, type='error', id,
 * swapped to/from; an <error type='TYPE'> with <CONDITION
 * xmlns='urn:ietf:params:xml:ns:xmpp-stanzas'/> and, when text is non-NULL, a
 * <text xml:lang='en'>.  type is NULL for the condition's RFC 6120 default
 * type.  The request's payload is not echoed.  Caller frees. */
ed_elem *ed_stanza_error(const ed_elem *req, const char *condition,
                         const char *type, const char *text);

/* The RFC 6120 §8.3.3 default error type for condition ("cancel", "modify",
 * "auth", "wait"); "cancel" for unknown conditions.  Static string. */
const char *ed_stanza_error_default_type(const char *condition);

/* The single child element of an IQ (its payload), or NULL when there is none
 * or more than one.  IQ get/set must carry exactly one. */
ed_elem *ed_iq_payload(const ed_elem *iq);

#ifdef __cplusplus
}
#endif
#endif
