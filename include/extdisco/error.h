/* extdisco/error.h — the one error enum of libextdisco.
 *
 * Every fallible public function returns an ed_err (ED_OK == 0) or reports
 * one through an out-parameter.  ed_strerror() gives a static English
 * message; ed_err_stream_condition() maps an XML stream error to the RFC 6120
 * <stream:error/> condition a server sends for it.
 */
#ifndef EXTDISCO_ERROR_H
#define EXTDISCO_ERROR_H

#ifdef __cplusplus
extern "C" {
#endif

typedef enum ed_err {
    ED_OK = 0,
    ED_ENOMEM,            /* allocation failed */
    ED_EINVAL,            /* invalid argument from the caller */
    ED_ELIMIT,            /* a configured limit would be exceeded */
    ED_ESTATE,            /* call not valid in the object's current state */

    /* XML stream parser (lib/xml_stream.c) */
    ED_XML_NOT_WELL_FORMED = 100, /* syntax error                  -> not-well-formed */
    ED_XML_BAD_UTF8,              /* invalid UTF-8 in the input      -> not-well-formed */
    ED_XML_BAD_ENCODING,          /* XML decl names another encoding -> unsupported-encoding */
    ED_XML_RESTRICTED,            /* DTD, entity decl, PI or comment -> restricted-xml */
    ED_XML_STANZA_TOO_BIG,        /* stanza over max_stanza_bytes    -> policy-violation */
    ED_XML_TOO_DEEP,              /* nesting over max_depth          -> policy-violation */
    ED_XML_TOO_MANY_ATTRS,        /* element over max_attrs          -> policy-violation */
    ED_XML_TEXT_TOO_BIG,          /* text over max_text_bytes        -> policy-violation */
    ED_XML_BAD_NAMESPACE,         /* stream header namespace wrong   -> invalid-namespace */
    ED_XML_BAD_STREAM_HEADER,     /* first element is not a stream   -> bad-format */
    ED_XML_STREAM_CLOSED,         /* bytes after </stream:stream>    -> not-well-formed */

    /* JIDs (lib/jid.c) */
    ED_JID_MALFORMED = 200, /* syntax: empty part, stray '@' or '/' */
    ED_JID_LOCAL_INVALID,   /* nodeprep failed or forbidden character */
    ED_JID_DOMAIN_INVALID,  /* nameprep/IDNA failed, bad label or IP literal */
    ED_JID_RESOURCE_INVALID,/* resourceprep failed */
    ED_JID_TOO_LONG,        /* a part over 1023 bytes after preparation */

    /* XEP-0082 date-time (lib/datetime.c) */
    ED_DATETIME_INVALID = 300,

    /* Service model and XEP-0215 (lib/service.c, lib/xep0215.c) */
    ED_SVC_MISSING_HOST = 400,
    ED_SVC_MISSING_TYPE,
    ED_SVC_BAD_TYPE,       /* type not an NCName */
    ED_SVC_BAD_TRANSPORT,  /* transport not an NCName */
    ED_SVC_BAD_PORT,       /* not a decimal 0..65535 */
    ED_SVC_BAD_HOST,       /* not an FQDN, IPv4 or IPv6 literal */
    ED_SVC_BAD_ACTION,     /* not add/modify/delete (or remove) */
    ED_SVC_BAD_BOOLEAN,    /* restricted not 1/0/true/false */
    ED_SVC_BAD_EXPIRES,    /* expires not an XEP-0082 dateTime */
    ED_SVC_BAD_FORM,       /* malformed jabber:x:data child */
    ED_SVC_NOT_EXTDISCO,   /* stanza is not an XEP-0215 payload */
    /* why the XEP-0215 responder answered with an error (ed_xep0215_respond) */
    ED_SVC_BAD_IQ,         /* request without id or with more than one payload */
    ED_SVC_NONE_NAMED,     /* <credentials/> names no service */
    ED_SVC_IQ_SET,         /* request sent as an IQ-set: only get is answered */
    ED_SVC_V1_OFF,         /* urn:xmpp:extdisco:1 is not served */
    ED_SVC_FORBIDDEN,      /* the access policy refuses this requester */
    ED_SVC_NO_MATCH,       /* no service matches a <credentials/> request */
    ED_SVC_BAD_URI,        /* not a stun:/stuns:/turn:/turns: URI (RFC 7064/7065) a client can use */

    /* XEP-0279 (lib/xep0279.c) */
    ED_SIC_BAD_ADDRESS = 500, /* peer address not AF_INET/AF_INET6 or malformed reply */

    /* TURN REST (lib/turn_rest.c) */
    ED_TURN_NO_SECRET = 600,  /* no secret configured */
    ED_TURN_BAD_USERNAME,     /* username has no parsable expiry */
    ED_TURN_EXPIRED,          /* credential past its expiry */
    ED_TURN_BAD_PASSWORD      /* no secret reproduces the password */
} ed_err;

/* Static, never NULL; unknown values give "unknown error". */
const char *ed_strerror(ed_err err);

/* RFC 6120 §4.9.3 condition name (e.g. "not-well-formed",
 * "policy-violation", "restricted-xml") for an XML stream error, or NULL when
 * err is not one.  Static string. */
const char *ed_err_stream_condition(ed_err err);

#ifdef __cplusplus
}
#endif
#endif
