/* lib/error.c — messages for ed_err and the RFC 6120 stream-error mapping. */
#include <stddef.h>

#include "extdisco/error.h"

const char *ed_strerror(ed_err err)
{
    switch (err) {
    case ED_OK: return "success";
    case ED_ENOMEM: return "out of memory";
    case ED_EINVAL: return "invalid argument";
    case ED_ELIMIT: return "limit exceeded";
    case ED_ESTATE: return "operation not valid in the current state";

    case ED_XML_NOT_WELL_FORMED: return "XML not well-formed";
    case ED_XML_BAD_UTF8: return "invalid UTF-8 in XML input";
    case ED_XML_BAD_ENCODING: return "XML declaration names an encoding other than UTF-8";
    case ED_XML_RESTRICTED: return "restricted XML (DTD, entity declaration, processing instruction or comment)";
    case ED_XML_STANZA_TOO_BIG: return "stanza exceeds the size limit";
    case ED_XML_TOO_DEEP: return "XML nesting exceeds the depth limit";
    case ED_XML_TOO_MANY_ATTRS: return "element has too many attributes";
    case ED_XML_TEXT_TOO_BIG: return "stanza text exceeds the size limit";
    case ED_XML_BAD_NAMESPACE: return "stream header has the wrong namespace";
    case ED_XML_BAD_STREAM_HEADER: return "first element is not a stream header";
    case ED_XML_STREAM_CLOSED: return "data after the stream was closed";

    case ED_JID_MALFORMED: return "malformed JID";
    case ED_JID_LOCAL_INVALID: return "invalid JID localpart";
    case ED_JID_DOMAIN_INVALID: return "invalid JID domainpart";
    case ED_JID_RESOURCE_INVALID: return "invalid JID resourcepart";
    case ED_JID_TOO_LONG: return "JID part too long";

    case ED_DATETIME_INVALID: return "invalid XEP-0082 date-time";

    case ED_SVC_MISSING_HOST: return "service has no host";
    case ED_SVC_MISSING_TYPE: return "service has no type";
    case ED_SVC_BAD_TYPE: return "service type is not an NCName";
    case ED_SVC_BAD_TRANSPORT: return "service transport is not an NCName";
    case ED_SVC_BAD_PORT: return "service port is not a number in 0..65535";
    case ED_SVC_BAD_HOST: return "service host is not an FQDN or IP address";
    case ED_SVC_BAD_ACTION: return "service action is not add, modify or delete";
    case ED_SVC_BAD_BOOLEAN: return "service restricted flag is not a boolean";
    case ED_SVC_BAD_EXPIRES: return "service expires is not an XEP-0082 dateTime";
    case ED_SVC_BAD_FORM: return "malformed data form in service";
    case ED_SVC_NOT_EXTDISCO: return "stanza is not an external service discovery payload";
    case ED_SVC_BAD_IQ: return "request IQ has no id or more than one payload";
    case ED_SVC_NONE_NAMED: return "credentials request names no service";
    case ED_SVC_IQ_SET: return "external service discovery request sent as an IQ set";
    case ED_SVC_V1_OFF: return "urn:xmpp:extdisco:1 is not served";
    case ED_SVC_FORBIDDEN: return "the access policy refuses this requester";
    case ED_SVC_NO_MATCH: return "no service matches the credentials request";
    case ED_SVC_BAD_URI: return "not a usable stun:, stuns:, turn: or turns: URI";

    case ED_SIC_BAD_ADDRESS: return "bad or unsupported IP address";

    case ED_TURN_NO_SECRET: return "no TURN secret configured";
    case ED_TURN_BAD_USERNAME: return "TURN username has no parsable expiry";
    case ED_TURN_EXPIRED: return "TURN credential expired";
    case ED_TURN_BAD_PASSWORD: return "TURN password does not match any secret";
    }
    return "unknown error";
}

const char *ed_err_stream_condition(ed_err err)
{
    switch (err) {
    case ED_XML_NOT_WELL_FORMED:
    case ED_XML_BAD_UTF8:
    case ED_XML_STREAM_CLOSED:
        return "not-well-formed";
    case ED_XML_BAD_ENCODING:
        return "unsupported-encoding";
    case ED_XML_RESTRICTED:
        return "restricted-xml";
    case ED_XML_STANZA_TOO_BIG:
    case ED_XML_TOO_DEEP:
    case ED_XML_TOO_MANY_ATTRS:
    case ED_XML_TEXT_TOO_BIG:
        return "policy-violation";
    case ED_XML_BAD_NAMESPACE:
        return "invalid-namespace";
    case ED_XML_BAD_STREAM_HEADER:
        return "bad-format";
    default:
        return NULL;
    }
}
