/* extdisco/ns.h — every XML namespace extdisco speaks, defined once.
 *
 * The library, the daemon and the client all use these names; nothing else
 * spells a namespace URI.  Grouped by where it comes from. */
#ifndef EXTDISCO_NS_H
#define EXTDISCO_NS_H

/* RFC 6120 (XMPP core): streams, stanzas, STARTTLS, SASL, binding. */
#define ED_NS_STREAMS   "http://etherx.jabber.org/streams"
#define ED_NS_CLIENT    "jabber:client"
#define ED_NS_SERVER    "jabber:server"
#define ED_NS_STANZAS   "urn:ietf:params:xml:ns:xmpp-stanzas"
#define ED_NS_STREAMERR "urn:ietf:params:xml:ns:xmpp-streams"
#define ED_NS_TLS       "urn:ietf:params:xml:ns:xmpp-tls"
#define ED_NS_SASL      "urn:ietf:params:xml:ns:xmpp-sasl"
#define ED_NS_BIND      "urn:ietf:params:xml:ns:xmpp-bind"
#define ED_NS_SESSION   "urn:ietf:params:xml:ns:xmpp-session" /* RFC 3921, still sent */
#define ED_NS_XML       "http://www.w3.org/XML/1998/namespace"
#define ED_NS_FRAMING   "urn:ietf:params:xml:ns:xmpp-framing" /* RFC 7395 */

/* RFC 6121 (IM): rosters. */
#define ED_NS_ROSTER    "jabber:iq:roster"

/* XEPs. */
#define ED_NS_COMPONENT   "jabber:component:accept"            /* XEP-0114 */
#define ED_NS_DISCO_INFO  "http://jabber.org/protocol/disco#info"  /* XEP-0030 */
#define ED_NS_DISCO_ITEMS "http://jabber.org/protocol/disco#items" /* XEP-0030 */
#define ED_NS_XDATA       "jabber:x:data"                      /* XEP-0004 */
#define ED_NS_PING        "urn:xmpp:ping"                      /* XEP-0199 */
#define ED_NS_FORWARD     "urn:xmpp:forward:0"                 /* XEP-0297 */
#define ED_NS_EXTDISCO1   "urn:xmpp:extdisco:1"                /* XEP-0215 */
#define ED_NS_EXTDISCO2   "urn:xmpp:extdisco:2"                /* XEP-0215 */
#define ED_NS_SIC0        "urn:xmpp:sic:0"                     /* XEP-0279 */
#define ED_NS_SIC1        "urn:xmpp:sic:1"                     /* XEP-0279 */
#define ED_NS_DELEGATION1 "urn:xmpp:delegation:1"              /* XEP-0355 0.3 (ejabberd) */
#define ED_NS_DELEGATION2 "urn:xmpp:delegation:2"              /* XEP-0355 0.4+ (Prosody) */
#define ED_NS_PRIVILEGE1  "urn:xmpp:privilege:1"               /* XEP-0356 0.3 (ejabberd) */
#define ED_NS_PRIVILEGE2  "urn:xmpp:privilege:2"               /* XEP-0356 0.4+ (Prosody) */

#endif
