/* extdisco/xep0279.h — XEP-0279 Server IP Check, urn:xmpp:sic:1
 * (<address><ip/><port/></address>) and urn:xmpp:sic:0 (<ip/>). */
#ifndef EXTDISCO_XEP0279_H
#define EXTDISCO_XEP0279_H

#include <stddef.h>
#include <sys/socket.h>
#include "extdisco/error.h"
#include "extdisco/jid.h"
#include "extdisco/xml.h"
#include "extdisco/ns.h"

#ifdef __cplusplus
extern "C" {
#endif

#define ED_SIC_IP_MAX 46 /* INET6_ADDRSTRLEN */

/* The textual address and port of a peer sockaddr; IPv4-mapped IPv6 is
 * printed as IPv4.  ip must hold ED_SIC_IP_MAX bytes. */
ed_err ed_sic_format_peer(const struct sockaddr *sa, socklen_t salen,
                          char *ip, int *port);

/* Answer a SIC request from requester, who is connected from peer, to a
 * server whose domain is server_domain.  Returns NULL with *err ==
 * ED_SVC_NOT_EXTDISCO when iq is not a SIC request.  Otherwise a new reply
 * the caller frees:
 *   - to absent, the server domain, or requester's own bare/full JID: result
 *     with the address (sic:1 with ip and port, sic:0 with ip);
 *   - to any other entity: forbidden (XEP-0279 §3);
 *   - IQ-set: not-allowed.
 * err may be NULL. */
ed_elem *ed_xep0279_respond(const ed_elem *iq, const ed_jid *requester,
                            const char *server_domain,
                            const struct sockaddr *peer, socklen_t peerlen,
                            ed_err *err);

/* Client side: parse a sic:1 or sic:0 result payload (the <address/> or <ip/>
 * element).  ip must hold ED_SIC_IP_MAX bytes; *port is -1 when absent. */
ed_err ed_xep0279_parse_result(const ed_elem *payload, char *ip, int *port);

#ifdef __cplusplus
}
#endif
#endif
