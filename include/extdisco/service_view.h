/* extdisco/service_view.h — the client-side view of a server's external
 * services (XEP-0215), sans I/O.
 *
 * A view holds the services last received from one entity.  Feed it the
 * payload of a <services/> result (replaces the view, or only the entries of
 * the result's type filter), the payload of a <credentials/> result (merges
 * fresh username/password/expires over matching entries) and pushes (IQ-set
 * <services/> with action add/modify/delete; "remove" is accepted as delete).
 *
 * A push is applied all-or-nothing: when any <service/> in it is malformed
 * (missing host/type, bad port, bad action, bad expires, ...) the whole push
 * is rejected and the view is left exactly as it was.  Unknown children and
 * unknown attributes are ignored (interop.md).  Identity of an entry is
 * type + host (case-insensitive) + port + transport; a delete or modify that
 * omits port or transport matches every entry that agrees on the attributes
 * it does give (a modify then updates each of them, keeping each entry's own
 * port and transport).
 *
 * Time is passed in (Unix seconds); the view keeps, per entry, when its
 * credentials arrived, and says when they should be refreshed: at
 * received + max((expires - received) / 2, floor).  The floor (default
 * ED_VIEW_REFRESH_FLOOR, at least 1 s) keeps a client from hammering the
 * server with short-lived or already expired credentials: a refresh is
 * never due sooner than floor seconds after the credentials arrived.
 *
 * No global state; one view is used by one thread at a time.
 */
#ifndef EXTDISCO_SERVICE_VIEW_H
#define EXTDISCO_SERVICE_VIEW_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "extdisco/error.h"
#include "extdisco/service.h"
#include "extdisco/xml.h"

#ifdef __cplusplus
extern "C" {
#endif

#define ED_VIEW_REFRESH_FLOOR 300   /* seconds */
#define ED_VIEW_MAX_SERVICES  256   /* entries in one view */

typedef struct ed_service_view ed_service_view;

/* One change a push (or a result) made to the view, for display. */
typedef struct ed_view_change {
    ed_action action;  /* ED_ACTION_ADD, ED_ACTION_MODIFY or ED_ACTION_DELETE
                          as applied (a modify of an unknown entry is an add,
                          an add of a known entry a modify) */
    ed_service svc;    /* the new record (add/modify) or the removed one
                          (delete); owned by the change array */
} ed_view_change;

/* Free an array of n changes (each svc cleared, then the array); NULL ok. */
void ed_view_changes_free(ed_view_change *c, size_t n);

/* New empty view with the default floor.  NULL on allocation failure.
 * Free with ed_service_view_free(). */
ed_service_view *ed_service_view_new(void);
void ed_service_view_free(ed_service_view *v);

/* Minimum refresh delay in seconds (>= 1; default 300).  ED_EINVAL for
 * floor_s < 1 (the view keeps its floor). */
ed_err ed_service_view_set_floor(ed_service_view *v, int64_t floor_s);

size_t ed_service_view_count(const ed_service_view *v);
/* Entry i (< count) or NULL; borrowed, valid until the view next changes. */
const ed_service *ed_service_view_get(const ed_service_view *v, size_t i);
/* When entry i's credentials arrived (Unix seconds), or 0. */
int64_t ed_service_view_received(const ed_service_view *v, size_t i);

/* Apply the payload of a <services/> result (urn:xmpp:extdisco:1 or :2)
 * received at now.  Without a type attribute on the payload the view is
 * replaced; with type='T' only entries of type T are replaced.  Malformed
 * <service/> entries are skipped (liberal, as clients do) and counted in
 * *skipped (may be NULL).  The action attribute is ignored in a result.
 * Errors: ED_SVC_NOT_EXTDISCO (not a <services/> payload), ED_ELIMIT (more
 * than ED_VIEW_MAX_SERVICES entries), ED_ENOMEM; on error the view is
 * unchanged. */
ed_err ed_service_view_apply_result(ed_service_view *v, const ed_elem *payload,
                                    int64_t now, size_t *skipped);

/* Merge the payload of a <credentials/> result received at now: each valid
 * <service/> with credentials updates username, password, expires (and
 * restricted when given) of every entry with the same identity (absent port
 * or transport match any).  *updated (may be NULL) gets how many entries
 * changed.  Malformed entries are skipped.  Errors as apply_result. */
ed_err ed_service_view_apply_credentials(ed_service_view *v,
                                         const ed_elem *payload, int64_t now,
                                         size_t *updated);

/* Apply a push payload (<services/> of an IQ-set) received at now.  Every
 * <service/> is parsed strictly first; any malformed one rejects the whole
 * push with its ED_SVC_* error and the view is unchanged.  A delete of an
 * entry the view does not hold changes nothing (no error).  On success,
 * *changes (may be NULL; then nothing is reported) receives a new array of
 * the *nchanges changes actually made (free with ed_view_changes_free()).
 * Errors: ED_SVC_NOT_EXTDISCO, ED_SVC_*, ED_ELIMIT (the view would exceed
 * ED_VIEW_MAX_SERVICES), ED_ENOMEM. */
ed_err ed_service_view_apply_push(ed_service_view *v, const ed_elem *payload,
                                  int64_t now, ed_view_change **changes,
                                  size_t *nchanges);

/* When entry i's credentials should be refreshed (Unix seconds):
 * received + max((expires - received) / 2, floor).  Returns 0 when the
 * entry has no expires (nothing to refresh) or i is out of range. */
int64_t ed_service_view_refresh_at(const ed_service_view *v, size_t i);

/* The earliest refresh_at over all entries, or 0 when none needs one. */
int64_t ed_service_view_next_refresh(const ed_service_view *v);

/* Answer to a push IQ: an IQ result when err is ED_OK, otherwise a
 * bad-request error with ed_strerror(err) as text.  Caller frees; NULL on
 * allocation failure. */
ed_elem *ed_service_view_push_reply(const ed_elem *iq, ed_err err);

#ifdef __cplusplus
}
#endif
#endif
