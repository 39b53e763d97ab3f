/* extdisco/xep0215.h — XEP-0215 External Service Discovery, urn:xmpp:extdisco:2
 * and :1 (same wire format, different namespace): request parsing, the
 * responder (a pure function of request, requester, time, service set and
 * policy), pushes and client-side result parsing. */
#ifndef EXTDISCO_XEP0215_H
#define EXTDISCO_XEP0215_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "extdisco/jid.h"
#include "extdisco/service.h"
#include "extdisco/turn_rest.h"
#include "extdisco/xml.h"

#ifdef __cplusplus
extern "C" {
#endif

/* A service as the server knows it: its public record plus where its
 * credentials come from.  svc.username/password, when set, are static
 * credentials; rest, when non-NULL, mints TURN REST credentials per requester
 * (and takes precedence).  Owned by the caller (the daemon's registry). */
typedef struct ed_service_def {
    ed_service svc;
    const ed_turn_rest *rest;
} ed_service_def;

typedef struct ed_xep0215_policy {
    bool may_list;           /* requester may receive the service list */
    bool may_credentials;    /* requester may receive credentials */
    bool inline_credentials; /* credentials inline in <services/> (interop rule 3) */
    bool serve_v1;           /* answer urn:xmpp:extdisco:1 too */
    const char *default_lang;/* language of svc.name; NULL = none */
} ed_xep0215_policy;

/* policy with every flag true and default_lang "en". */
ed_xep0215_policy ed_xep0215_policy_default(void);

typedef enum ed_xep0215_kind {
    ED_XEP0215_SERVICES = 1,
    ED_XEP0215_CREDENTIALS
} ed_xep0215_kind;

typedef struct ed_xep0215_request {
    int version;           /* 1 or 2 */
    ed_xep0215_kind kind;
    const char *iq_type;   /* "get" or "set" (borrowed from the stanza) */
    const char *type;      /* services type filter, NULL when absent, empty
                              or only XML whitespace (no filter: callers
                              never see ""); borrowed */
    const char *lang;      /* xml:lang of payload or iq, or NULL (borrowed) */
    ed_service *wanted;    /* credentials: the requested identities (owned) */
    size_t nwanted;
} ed_xep0215_request;

/* Recognise and parse an XEP-0215 IQ.  Returns ED_SVC_NOT_EXTDISCO when the
 * payload is not <services/> or <credentials/> in an extdisco namespace (the
 * caller tries other handlers).  Any other error means it is ours and
 * malformed: *condition (may be NULL) then names the stanza error to send
 * ("bad-request").  Borrowed strings point into iq, which must outlive req.
 * Release with ed_xep0215_request_clear(). */
ed_err ed_xep0215_parse_request(const ed_elem *iq, ed_xep0215_request *req,
                                const char **condition);
void ed_xep0215_request_clear(ed_xep0215_request *req);

/* Which credentials a materialised service carries.  Whatever the mode, a
 * def with credentials (static or TURN REST) gets restricted='true'. */
typedef enum ed_xep0215_creds {
    ED_XEP0215_CREDS_NONE = 0, /* none: the public record */
    ED_XEP0215_CREDS_ALL,      /* static ones, or TURN REST minted for requester */
    /* Static ones only (svc.username/password of a def without rest); a TURN
     * REST def gets none.  For diffs: static credentials are compared by
     * ed_service_same_content(), minted ones would differ on every mint.
     * Use it only for a requester that may receive credentials inline. */
    ED_XEP0215_CREDS_STATIC
} ed_xep0215_creds;

/* The service as requester sees it at time now: the public record and the
 * credentials creds asks for (minted ones with expires).  When a TURN REST
 * credential cannot be minted for this requester (the username would pass
 * ED_TURN_USERNAME_MAX, e.g. a long bare JID with user mode jid), out is
 * the record without credentials (restricted='true') and ED_OK is returned,
 * as the responder lists such a service.  out is initialised by the call;
 * the caller clears it with ed_service_clear(), also after an error. */
ed_err ed_xep0215_materialize_creds(const ed_service_def *def,
                                    const ed_jid *requester, int64_t now,
                                    ed_xep0215_creds creds, ed_service *out);

/* ed_xep0215_materialize_creds() with ED_XEP0215_CREDS_ALL when with_creds,
 * ED_XEP0215_CREDS_NONE otherwise. */
ed_err ed_xep0215_materialize(const ed_service_def *def, const ed_jid *requester,
                              int64_t now, bool with_creds, ed_service *out);

/* Answer iq (a stanza whose from is requester) from the service set.  Returns
 * NULL with *err == ED_SVC_NOT_EXTDISCO when iq is not an XEP-0215 request;
 * otherwise a new reply stanza (result or error) the caller frees, from = the
 * request's to.  Errors: bad-request (malformed), not-allowed (IQ-set),
 * forbidden (policy), item-not-found (no credentials match),
 * service-unavailable (v1 not served), not-acceptable (type cancel: every
 * matching service needs a TURN REST credential that cannot be minted for
 * this requester, *err ED_ELIMIT), internal-server-error (minting or
 * building failed for another reason).  A credential that cannot be minted
 * for this requester never fails a <services/> reply: that service is listed
 * without credentials (restricted='true'), and left out of a <credentials/>
 * result that has other matches.  *err is ED_OK for a result, else the cause
 * of the error reply.  err may be NULL. */
ed_elem *ed_xep0215_respond(const ed_elem *iq, const ed_jid *requester,
                            int64_t now, const ed_service_def *set, size_t n,
                            const ed_xep0215_policy *pol, ed_err *err);

/* A push: <iq type='set' from to id><services xmlns type?> with one
 * <service action/> per change (ed_service_diff() output, credentials already
 * materialised).  version 1 or 2.  type_filter NULL or "": no type
 * attribute.  lang: the requester's language (its request's xml:lang; NULL:
 * none): a service's name in that language is used where it has one, as in
 * ed_xep0215_respond().  Caller frees. */
ed_elem *ed_xep0215_push(const char *from, const char *to, const char *id,
                         int version, const char *type_filter, const char *lang,
                         const ed_service *changes, size_t n);

/* Client side: parse the <services/> or <credentials/> payload of a result or
 * push (liberal, interop.md).  Malformed <service/> entries are skipped and
 * counted in *skipped (may be NULL); *out is a new array (free with
 * ed_services_free()), possibly empty. */
ed_err ed_xep0215_parse_services(const ed_elem *payload, ed_service **out,
                                 size_t *n, size_t *skipped);

#ifdef __cplusplus
}
#endif
#endif
