/* extdisco/xep0215.h — XEP-0215 External Service Discovery, urn:xmpp:extdisco:2
 * and :1 (same wire format, different namespace): request parsing, the
 * responder (a pure function of request, requester, time, service set and
 * policy, whose outcome says what it answered), pushes and client-side
 * result parsing.
 *
 * Ownership: stanzas returned are new roots the caller frees with
 * ed_elem_free(); the request and the outcome borrow from the request IQ;
 * ed_service values filled here are the caller's to clear. */
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

/* An outcome names at most this many minting signers (ed_xep0215_outcome). */
#define ED_XEP0215_MAX_MINTED 8

/* A <credentials/> request names at most this many services. */
#define ED_XEP0215_MAX_WANTED 64

/* One service a <credentials/> request names.  Borrowed from the stanza. */
typedef struct ed_xep0215_wanted {
    const char *host;      /* non-empty */
    const char *type;      /* non-empty */
    const char *transport; /* an NCName, or NULL: any */
    int port;              /* 0..65535, or -1: any */
} ed_xep0215_wanted;

/* An XEP-0215 request as parsed once by ed_xep0215_parse_request().  It owns
 * nothing: every string points into the IQ it was parsed from, which must
 * outlive it; there is nothing to free.  About 2 KiB (wanted[] is inline,
 * so that parsing never allocates): a stack variable is the usual home. */
typedef struct ed_xep0215_request {
    int version;           /* 1 (urn:xmpp:extdisco:1) or 2 */
    ed_xep0215_kind kind;  /* <services/> or <credentials/> */
    const char *iq_type;   /* "get" or "set" */
    const char *lang;      /* the requester's language: xml:lang of the
                              payload, else of the iq, else NULL */
    ed_err bad;            /* ED_OK, or why the request is malformed */
    /* services, when not bad: */
    const char *type;      /* type filter; NULL when absent, empty or only
                              XML whitespace (no filter: never "") */
    /* credentials, when not bad: the services named, 1..MAX_WANTED */
    size_t nwanted;
    ed_xep0215_wanted wanted[ED_XEP0215_MAX_WANTED];
} ed_xep0215_request;

/* Recognise and parse an XEP-0215 request: an IQ get or set whose first
 * child is <services/> or <credentials/> in an extdisco namespace.  Returns
 * ED_SVC_NOT_EXTDISCO when iq is none (the caller tries other handlers; req
 * is then not usable).  Otherwise it is ours and req says what it asks:
 * version, kind, iq_type and lang always; the result is req->bad, ED_OK or
 * why the request is malformed (ed_xep0215_respond() answers bad-request:
 * ED_SVC_BAD_IQ, ED_SVC_NONE_NAMED, ED_ELIMIT for more than MAX_WANTED
 * services, or the first bad <service/>'s ED_SVC_MISSING_HOST,
 * ED_SVC_MISSING_TYPE, ED_SVC_BAD_PORT, ED_SVC_BAD_TRANSPORT); type and
 * wanted are then empty.  Allocates nothing. */
ed_err ed_xep0215_parse_request(const ed_elem *iq, ed_xep0215_request *req);

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

/* What the responder answered.  ED_XEP0215_RESULT is a result; the error
 * statuses are named after the RFC 6120 condition of the error reply. */
typedef enum ed_xep0215_status {
    ED_XEP0215_RESULT = 0,
    ED_XEP0215_SERVICE_UNAVAILABLE, /* v1 request, policy serve_v1 off */
    ED_XEP0215_NOT_ALLOWED,         /* IQ-set */
    ED_XEP0215_BAD_REQUEST,         /* malformed (req->bad) */
    ED_XEP0215_FORBIDDEN,           /* policy: may_list / may_credentials */
    ED_XEP0215_ITEM_NOT_FOUND,      /* <credentials/>: nothing matches */
    ED_XEP0215_NOT_ACCEPTABLE,      /* <credentials/>: every match needs a
                                       TURN REST credential that cannot be
                                       minted for this requester */
    ED_XEP0215_INTERNAL_ERROR,      /* minting or building the reply failed */
    ED_XEP0215_NO_REPLY             /* NULL returned: not a request, or no
                                       memory even for an error reply */
} ed_xep0215_status;

/* The RFC 6120 condition the error reply of status carries
 * ("bad-request", ...), NULL for RESULT and NO_REPLY.  Static string. */
const char *ed_xep0215_status_condition(ed_xep0215_status status);

/* What happened, for the caller to act on without reading the reply. */
typedef struct ed_xep0215_outcome {
    ed_xep0215_status status;
    /* ED_OK exactly for a result; else the cause: ED_SVC_NOT_EXTDISCO (not
     * ours, no reply), ED_SVC_V1_OFF, ED_SVC_IQ_SET, req->bad (bad-request),
     * ED_SVC_FORBIDDEN, ED_SVC_NO_MATCH, ED_ELIMIT (not-acceptable), the
     * minting or allocation error (internal-server-error), ED_ENOMEM (no
     * reply: not even the error could be built). */
    ed_err err;
    /* A <services/> result: remember the requester for pushes (XEP-0215
     * §3.2) with version, type filter and language. */
    bool record;
    /* The request's version (0 when not ours), type filter (NULL: none,
     * blank ones included) and language (NULL: none; as sent, before the
     * policy's default_lang is applied).  Borrowed from the iq. */
    int version;
    const char *type;
    const char *lang;
    /* The TURN REST signers that minted a credential into this reply, in
     * order, one entry per mint (services sharing a signer share one
     * mint); at most ED_XEP0215_MAX_MINTED are named, nminted counts them
     * all.  Borrowed from the service set (for counting, e.g. metrics). */
    const ed_turn_rest *minted[ED_XEP0215_MAX_MINTED];
    size_t nminted;
} ed_xep0215_outcome;

/* Answer iq (a stanza whose from is requester) from the service set: parse
 * it once with ed_xep0215_parse_request() and answer from the parsed
 * request.  Returns NULL (status NO_REPLY, err ED_SVC_NOT_EXTDISCO) when iq
 * is not an XEP-0215 request; otherwise a new reply stanza, result or error,
 * the caller frees (from = the request's to), and *out says which (see
 * ed_xep0215_status; with more than one reason to refuse, the first of
 * service-unavailable, not-allowed, bad-request, forbidden wins).  A
 * credential that cannot be minted for this requester never fails a
 * <services/> reply: that service is listed without credentials
 * (restricted='true'), and left out of a <credentials/> result that has
 * other matches.  pol NULL: ed_xep0215_policy_default().  out may be NULL;
 * its strings borrow from iq. */
ed_elem *ed_xep0215_respond(const ed_elem *iq, const ed_jid *requester,
                            int64_t now, const ed_service_def *set, size_t n,
                            const ed_xep0215_policy *pol, ed_xep0215_outcome *out);

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
