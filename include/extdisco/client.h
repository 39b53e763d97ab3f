/* extdisco/client.h — an XMPP client for XEP-0215 and XEP-0279 on top of
 * libstrophe (the `extdisco` command uses it).
 *
 * Library: libextdisco-client (shared and static), on libextdisco; build
 * with `pkg-config --cflags --libs extdisco-client`.
 *
 * Unlike the rest of libextdisco this module does I/O: libstrophe owns the
 * socket, TLS (STARTTLS or direct TLS), SASL and the SRV lookup.  Every
 * stanza it hands over is serialised (xmpp_stanza_to_text) and parsed with
 * ed_xml_parse(), so all protocol parsing goes through libextdisco
 * (ed_xep0215_parse_services, ed_xep0279_parse_result, ...).
 *
 * Everything is bounded: connecting and logging in, and each request, take
 * at most opts.timeout_ms (default 10 s); the event loop is only run from
 * the calls below, never in the background.  One client is used by one
 * thread at a time; it has no global state beyond libstrophe's one-time
 * xmpp_initialize().
 *
 * Errors: functions return an ed_err.  ED_ESTATE means the exchange failed
 * at the XMPP level (could not connect, TLS or login failed, timeout, the
 * connection dropped, or the peer answered with a stanza error); the
 * human-readable reason is ed_client_error() and, for a stanza error, its
 * RFC 6120 condition is ed_client_error_condition().  ED_EINVAL: bad
 * arguments; ED_ENOMEM; other ed_err values come from parsing the reply.
 */
#ifndef EXTDISCO_CLIENT_H
#define EXTDISCO_CLIENT_H

#include <stdbool.h>
#include <stddef.h>
#include "extdisco/error.h"
#include "extdisco/service.h"
#include "extdisco/xml.h"
#include "extdisco/xep0279.h"

#ifdef __cplusplus
extern "C" {
#endif

#define ED_CLIENT_TIMEOUT_MS 10000

typedef struct ed_client ed_client;

typedef struct ed_client_opts {
    const char *jid;        /* account JID (bare or full); required */
    const char *password;   /* required; copied, wiped on free */
    const char *server;     /* connect to this host instead of the SRV
                               lookup of the JID's domain; NULL: SRV */
    unsigned short port;    /* with server: 0 means 5222 (5223 direct TLS) */
    bool direct_tls;        /* TLS from the first byte (XEP-0368) instead
                               of STARTTLS; TLS is mandatory either way */
    bool insecure;          /* accept any server certificate */
    const char *ca_file;    /* PEM file of trusted CAs (NULL: system) */
    int timeout_ms;         /* per step; <= 0 means ED_CLIENT_TIMEOUT_MS */
    bool debug;             /* libstrophe's protocol log on stderr */
} ed_client_opts;

/* New, unconnected client; the strings of opts are copied.  NULL on
 * allocation failure or when jid/password are missing.  Free with
 * ed_client_free(), which disconnects. */
ed_client *ed_client_new(const ed_client_opts *opts);
void ed_client_free(ed_client *c);

/* Connect, secure the stream and log in (bounded by timeout_ms). */
ed_err ed_client_connect(ed_client *c);
bool ed_client_is_connected(const ed_client *c);

/* Why the last call failed: static-until-next-call string, "" when none. */
const char *ed_client_error(const ed_client *c);
/* The stanza error condition of the last failed request ("item-not-found",
 * ...), or NULL when it did not fail with a stanza error. */
const char *ed_client_error_condition(const ed_client *c);

/* The account's domain, and the full JID bound by the server (NULL before
 * login).  Borrowed. */
const char *ed_client_domain(const ed_client *c);
const char *ed_client_bound_jid(const ed_client *c);

/* Send one IQ (get or set; an id is set when iq has none; iq is not
 * consumed) and wait for its answer.  On ED_OK, *reply is the result or error
 * IQ as a new tree the caller frees with ed_elem_free().  ED_ESTATE on
 * timeout or disconnection; ED_EINVAL when iq's 'to' is not a valid JID.
 * Only an answer from the entity asked counts (RFC 6120 §8.1.2.1): its
 * 'from' must equal the request's 'to' (compared normalised), except that
 * for a request to our own server (no 'to', the domain, or our bare JID)
 * an answer without 'from' or from our bare JID is accepted too.  Stanzas
 * with the right id from anyone else are ignored (the wait goes on). */
ed_err ed_client_iq(ed_client *c, const ed_elem *iq, ed_elem **reply);

/* disco#info of `to` (NULL: the account's domain). */
#define ED_FEAT_EXTDISCO2 0x1u
#define ED_FEAT_EXTDISCO1 0x2u
#define ED_FEAT_SIC1      0x4u
#define ED_FEAT_SIC0      0x8u
/* *features receives the ED_FEAT_* bits found; *reply (may be NULL) the
 * whole reply IQ (caller frees) for listing the other features. */
ed_err ed_client_disco_info(ed_client *c, const char *to, unsigned *features,
                            ed_elem **reply);

/* XEP-0215 <services/> (version 2 or 1) to `to` (NULL: the domain), with
 * an optional type filter.  *out gets the parsed services (free with
 * ed_services_free()), *skipped the malformed entries dropped (may be NULL),
 * *reply (may be NULL) the whole reply IQ (caller frees) so that callers can
 * look at raw attributes (e.g. restricted='1'). */
ed_err ed_client_services(ed_client *c, const char *to, int version,
                          const char *type, ed_service **out, size_t *n,
                          size_t *skipped, ed_elem **reply);

/* XEP-0215 <credentials/> for the given identities (type, host and, when
 * set, port and transport of each wanted[i]).  Outputs as
 * ed_client_services(). */
ed_err ed_client_credentials(ed_client *c, const char *to, int version,
                             const ed_service *wanted, size_t nwanted,
                             ed_service **out, size_t *n, ed_elem **reply);

/* XEP-0279: ask sic:1, and when that fails with a stanza error (or an
 * unparsable answer), sic:0.  ip holds ED_SIC_IP_MAX bytes; *port is -1
 * when the answer has none; *ns (may be NULL) the namespace that answered
 * (static). */
ed_err ed_client_ip_check(ed_client *c, const char *to, char *ip, int *port,
                          const char **ns);

/* Pushes: cb is called for every IQ-set <services/> (extdisco:1/2) from the
 * account's domain, its bare JID, or `from_ok` when set with
 * ed_client_set_push_source() (e.g. the --to entity).  payload points into
 * iq; both are borrowed for the call.  cb's return decides the answer: ED_OK
 * sends an IQ result, anything else a bad-request error.  Other IQ get/set
 * are answered (ping: result; others: service-unavailable). */
typedef ed_err (*ed_client_push_cb)(void *ud, const ed_elem *iq,
                                    const ed_elem *payload);
void ed_client_set_push_handler(ed_client *c, ed_client_push_cb cb, void *ud);
ed_err ed_client_set_push_source(ed_client *c, const char *jid);

/* Send initial presence (so that the server counts the client online, as
 * the XEP-0215 push rule requires). */
ed_err ed_client_send_presence(ed_client *c);

/* Run the event loop for up to timeout_ms (pushes are handled from here).
 * ED_ESTATE when the connection is gone. */
ed_err ed_client_run(ed_client *c, int timeout_ms);

#ifdef __cplusplus
}
#endif
#endif
