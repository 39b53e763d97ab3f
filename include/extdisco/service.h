/* extdisco/service.h — the XEP-0215 service record, its schema validation,
 * its wire form (parse liberal, emit per ../shared/notes/interop.md), and the
 * add/modify/delete diff between two service sets. */
#ifndef EXTDISCO_SERVICE_H
#define EXTDISCO_SERVICE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "extdisco/error.h"
#include "extdisco/xml.h"
#include "extdisco/ns.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef enum ed_action {
    ED_ACTION_NONE = 0, /* attribute absent (means add) */
    ED_ACTION_ADD,
    ED_ACTION_MODIFY,
    ED_ACTION_DELETE    /* emitted as "delete"; "remove" accepted */
} ed_action;

/* One XEP-0004 field.  All strings malloc'd, owned by the field. */
typedef struct ed_form_field {
    char *var;
    char *type;  /* NULL when absent */
    char *label; /* NULL when absent */
    char **values;
    size_t nvalues;
} ed_form_field;

/* An <x xmlns='jabber:x:data' type='result'> form.  FORM_TYPE, when present,
 * is the field with var "FORM_TYPE" (type hidden). */
typedef struct ed_form {
    ed_form_field *fields;
    size_t nfields;
} ed_form;

typedef struct ed_i18n_name {
    char *lang; /* e.g. "de", "pt-BR" */
    char *text;
} ed_i18n_name;

/* A service as on the wire.  Every pointer member is malloc'd and owned by
 * the record; release with ed_service_clear().  A zeroed record is invalid
 * until type and host are set; use ed_service_init() for the "absent"
 * markers. */
typedef struct ed_service {
    char *type;       /* required, NCName */
    char *host;       /* required, FQDN / IPv4 / IPv6 literal (no brackets) */
    int port;         /* 0..65535, -1 when absent */
    char *transport;  /* NCName or NULL */
    char *name;       /* default name or NULL */
    ed_i18n_name *names; /* per-language names */
    size_t nnames;
    int restricted;   /* -1 absent, 0 false, 1 true */
    char *username;   /* NULL when absent */
    char *password;   /* NULL when absent */
    int64_t expires;  /* Unix seconds, 0 when absent */
    ed_action action;
    ed_form *form;    /* NULL when absent */
} ed_service;

void ed_service_init(ed_service *s);         /* zero + port/restricted -1 */
void ed_service_clear(ed_service *s);        /* free members, then init */
ed_err ed_service_copy(ed_service *dst, const ed_service *src); /* deep; dst uninitialised */
void ed_services_free(ed_service *v, size_t n); /* clear each, free v */

void ed_form_free(ed_form *f);
ed_form *ed_form_copy(const ed_form *f);     /* NULL on allocation failure */

/* Schema checks (the XEP's XML schema plus RFC host syntax). */
bool ed_is_ncname(const char *s);
ed_err ed_parse_port(const char *s, int *out);          /* decimal 0..65535 */
ed_err ed_parse_xsd_bool(const char *s, int *out);      /* 1/0/true/false */
ed_err ed_parse_action(const char *s, ed_action *out);  /* add/modify/delete/remove */
/* FQDN, IPv4 or IPv6 literal; a bracketed "[v6]" (URI syntax) is
 * ED_SVC_BAD_HOST, as XEP-0215's host is an FQDN or an IP address. */
ed_err ed_check_host(const char *s);
ed_err ed_service_validate(const ed_service *s);

/* Host classification for operator checks and client warnings
 * (interop.md rule 7): true for 0.0.0.0, ::, loopback, link-local,
 * RFC 1918 / RFC 4193 private and other non-global literals; for IPv6
 * addresses that embed an IPv4 address (::ffff:a.b.c.d mapped, ::a.b.c.d
 * compatible, ::ffff:0:a.b.c.d translated, 64:ff9b::a.b.c.d NAT64, 6to4
 * 2002:AABB:CCDD::) whatever that IPv4 address is; the local-use NAT64
 * prefix 64:ff9b:1::/48; the names "localhost" and "*.localhost" (any
 * case, optional root dot; always loopback, RFC 6761 §6.3) and "*.local"
 * (multicast DNS, link-local, RFC 6762).  "[v6]" is
 * classified like v6.  Other hostnames are never "local" (they are not
 * resolved). */
bool ed_host_is_local(const char *host);

/* An RFC 7064 (stun:, stuns:) or RFC 7065 (turn:, turns:) URI as a service
 * record, the way ICE server lists (RTCIceServer.urls) name their servers:
 * type = the scheme (lower case), host (an IPv6 literal without its
 * brackets), port (default 3478, 5349 for stuns/turns), transport from
 * "?transport=udp|tcp" (any case; default udp for stun/turn, tcp for
 * stuns/turns).  "?transport=" is accepted on stun: too (deployed lists
 * write it).  Refused with ED_SVC_BAD_URI: another scheme, user info, a path
 * or fragment, another query parameter, a transport other than udp/tcp,
 * stuns/turns over udp (DTLS: XEP-0215 cannot say it, clients drop it), a
 * port outside 1..65535, over 1023 bytes; a bad host is ED_SVC_BAD_HOST.
 * Nothing else of out is set (no credentials, restricted absent).  out is
 * initialised by the call; clear it with ed_service_clear() (also after an
 * error). */
ed_err ed_service_from_uri(const char *uri, ed_service *out);

/* Parse a <service/> element (any namespace) liberally: accepts boolean
 * 1/0/true/false, action remove, fractional-second expires, ignores unknown
 * attributes and children.  Missing host/type or a malformed value gives the
 * matching ED_SVC_* error.  out is initialised by the call. */
ed_err ed_service_from_elem(const ed_elem *e, ed_service *out);

/* The name to show for a request in language lang (NULL: none): an exact
 * (case-insensitive) match of a per-language name, then a match on the
 * primary subtag, then the default name.  NULL when the service has none. */
const char *ed_service_name_for_lang(const ed_service *s, const char *lang);

/* Append <service/> to parent (in parent's namespace) following the wire
 * rules: attributes in a fixed order, port decimal, restricted true/false,
 * expires XEP-0082 UTC with Z, action add/modify/delete, name chosen for lang,
 * x:data form as a child.  *out (may be NULL) receives the new element. */
ed_err ed_service_to_elem(ed_elem *parent, const ed_service *s,
                          const char *lang, ed_elem **out);

/* Services are the same service when type, host, port and transport agree
 * (host as a DNS name: case-insensitive, a trailing dot ignored). */
bool ed_service_same_identity(const ed_service *a, const ed_service *b);
/* Every published attribute equal.  username/password count only when
 * neither record has expires (static credentials, e.g. from
 * ed_xep0215_materialize_creds(..., ED_XEP0215_CREDS_STATIC, ...)); with an
 * expiry they are ephemeral and change with every mint, so they and expires
 * are ignored. */
bool ed_service_same_content(const ed_service *a, const ed_service *b);

/* The push a change from set old to set nw needs for a requester whose last
 * request had type filter `type` (NULL: all types): entries of nw that are new
 * (action add) or changed (action modify), then entries of old that are gone
 * (action delete, identity attributes only).  *out is a new array the caller
 * frees with ed_services_free(); *nout may be 0 (nothing to push). */
ed_err ed_service_diff(const ed_service *old, size_t nold,
                       const ed_service *nw, size_t nnew, const char *type,
                       ed_service **out, size_t *nout);

#ifdef __cplusplus
}
#endif
#endif
