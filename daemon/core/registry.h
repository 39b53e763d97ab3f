/* daemon/core/registry.h — the service registry built from a configuration: the
 * ed_service_def array the XEP-0215 responder answers from, the TURN REST
 * minters behind it, and the access policy.
 *
 * A registry is independent of the edd_config it was built from: it copies
 * what it needs (secrets go into ed_turn_rest objects, which wipe them on
 * free), so the configuration may be freed right after the build.  No
 * global state: a reload builds a new config and registry and swaps them in
 * only when both succeeded; the old registry stays valid until freed.  A
 * built registry is immutable and may be read from several threads. */
#ifndef EXTDISCOD_REGISTRY_H
#define EXTDISCOD_REGISTRY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>

#include "extdisco/jid.h"
#include "extdisco/xep0215.h"
#include "config/config.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct edd_registry edd_registry;

/* Build from cfg.  NULL on failure with err (errlen bytes) set to
 * "FILE:LINE: what" when the problem is in a service, else "FILE: what".
 * The result is freed with edd_registry_free(). */
edd_registry *edd_registry_build(const edd_config *cfg, char *err, size_t errlen);

/* Wipes the static passwords, frees the TURN REST objects; NULL is a no-op. */
void edd_registry_free(edd_registry *reg);

/* The service set, in configuration order.  Owned by reg; *n receives the
 * count. */
const ed_service_def *edd_registry_defs(const edd_registry *reg, size_t *n);

/* The policy for requester (NULL: an unknown requester, nothing allowed):
 * may_list / may_credentials from the access lists, inline_credentials =
 * config inline_credentials && may_credentials, serve_v1 and default_lang
 * from the configuration (default_lang points into reg).
 *
 * Access entries match like this: "*" matches anyone; a domain entry matches
 * every JID whose domain is exactly that domain (users and the domain
 * itself; subdomains do NOT match); a bare-JID entry matches that bare JID
 * (any resource). */
ed_xep0215_policy edd_registry_policy_for(const edd_registry *reg,
                                         const ed_jid *requester);

/* Services from elsewhere (HTTP credential providers, daemon/providers/):
 * defs[i] is offered to the networks of masks[i] (0: everyone).  Owned by
 * whoever built it. */
typedef struct edd_defset {
    ed_service_def *defs;
    uint64_t *masks;
    size_t n;
} edd_defset;

/* The networks of each of edd_registry_defs() (same order and count; bit
 * i: networks[i] of the config, 0: everyone).  Owned by reg. */
const uint64_t *edd_registry_masks(const edd_registry *reg);

/* The services requester `who` at peer (NULL: unknown, e.g. component
 * mode) is offered out of base (nbase of the registry's services, e.g. those
 * the health checks serve: core/server.h edd_offer; base[i] for the
 * networks of masks[i], edd_registry_masks()) and then extra's (may be
 * NULL): each only when its networks include the requester's, classified
 * by reg's networks (netscope.h).  Shallow copies into out (cap entries;
 * cap >= nbase + extra->n is always enough): they borrow from base and
 * extra, which must outlive them.  Returns the count. */
size_t edd_registry_select(const edd_registry *reg, const ed_service_def *base,
                           const uint64_t *masks, size_t nbase, const edd_defset *extra,
                           const ed_jid *who, const struct sockaddr *peer,
                           socklen_t peerlen, ed_service_def *out, size_t cap);

/* The index in the configuration's turn_secrets of the TURN REST signer
 * rest (as named by an ed_xep0215_outcome), or -1 when it is not reg's. */
int edd_registry_rest_index(const edd_registry *reg, const ed_turn_rest *rest);

/* Whether requester is in one of the served domains (exact match). */
bool edd_registry_is_local(const edd_registry *reg, const ed_jid *requester);

#ifdef __cplusplus
}
#endif
#endif
