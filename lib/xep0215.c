/* lib/xep0215.c — XEP-0215 External Service Discovery (urn:xmpp:extdisco:2
 * and :1): request parsing (once, into an ed_xep0215_request), the responder
 * (answers from the parsed request and says what it answered in an
 * ed_xep0215_outcome), pushes and client-side result parsing.  Wire rules:
 * ../shared/notes/interop.md. */
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "extdisco/datetime.h"
#include "extdisco/stanza.h"
#include "extdisco/xep0215.h"
#include "xml_priv.h"
#include "str_priv.h"

/* A result or push carries at most this many services. */
#define MAX_PARSED_SERVICES 1024

/* Arena bytes of a reply: the <iq/> and payload, and per <service/> (the
 * element, its attributes and their values, credentials included). */
#define REPLY_BASE_BYTES 512
#define REPLY_SERVICE_BYTES 512

ed_xep0215_policy ed_xep0215_policy_default(void)
{
    ed_xep0215_policy p = {
        .may_list = true,
        .may_credentials = true,
        .inline_credentials = true,
        .serve_v1 = true,
        .default_lang = "en",
    };
    return p;
}

static int ns_version(const char *ns)
{
    if (!ns)
        return 0;
    if (strcmp(ns, ED_NS_EXTDISCO2) == 0)
        return 2;
    if (strcmp(ns, ED_NS_EXTDISCO1) == 0)
        return 1;
    return 0;
}

/* Is iq an XEP-0215 request (IQ get/set whose first child is <services/> or
 * <credentials/> in an extdisco namespace)?  Fills what it found. */
static ed_err classify(const ed_elem *iq, const ed_elem **payload, int *version,
                       ed_xep0215_kind *kind, const char **iq_type)
{
    if (!iq || !iq->name || iq->name[0] != 'i' || iq->name[1] != 'q' || iq->name[2])
        return ED_SVC_NOT_EXTDISCO;
    const char *t = ed_elem_attr(iq, "type");
    if (!t || (t[0] != 'g' && t[0] != 's') || t[1] != 'e' || t[2] != 't' || t[3])
        return ED_SVC_NOT_EXTDISCO; /* results and errors are never requests */
    const ed_elem *p = ed_elem_first(iq);
    if (!p)
        return ED_SVC_NOT_EXTDISCO;
    int v = ns_version(p->ns);
    if (!v)
        return ED_SVC_NOT_EXTDISCO;
    if (strcmp(p->name, "services") == 0)
        *kind = ED_XEP0215_SERVICES;
    else if (strcmp(p->name, "credentials") == 0)
        *kind = ED_XEP0215_CREDENTIALS;
    else
        return ED_SVC_NOT_EXTDISCO;
    *payload = p;
    *version = v;
    *iq_type = t;
    return ED_OK;
}

/* One requested identity: host and type required, port and transport
 * optional.  Nothing else in it matters for matching, so nothing else is
 * checked.  w's strings point into e's tree. */
static ed_err wanted_from_elem(const ed_elem *e, ed_xep0215_wanted *w)
{
    w->host = ed_elem_attr(e, "host");
    w->type = ed_elem_attr(e, "type");
    const char *port = ed_elem_attr(e, "port");
    /* Optional: a client that names the transport wants that entry only. */
    w->transport = ed_elem_attr(e, "transport");
    w->port = -1;
    if (!w->host || !*w->host)
        return ED_SVC_MISSING_HOST;
    if (!w->type || !*w->type)
        return ED_SVC_MISSING_TYPE;
    ed_err err;
    if (port && (err = ed_parse_port(port, &w->port)))
        return err;
    if (w->transport && !ed_is_ncname(w->transport))
        return ED_SVC_BAD_TRANSPORT;
    return ED_OK;
}

/* NULL, "" or only XML whitespace: an xs:NCName attribute that collapses to
 * nothing, i.e. no type filter. */
static bool is_blank(const char *s)
{
    if (!s)
        return true;
    for (; *s; s++)
        if (*s != ' ' && *s != '\t' && *s != '\n' && *s != '\r')
            return false;
    return true;
}

/* The payload of a request classify() accepted; sets what req->bad says. */
static ed_err parse_payload(const ed_elem *iq, const ed_elem *p, ed_xep0215_request *req)
{
    /* An IQ carries exactly one payload (RFC 6120 §8.2.3). */
    if (ed_elem_next(p, NULL, NULL) || !ed_elem_attr(iq, "id"))
        return ED_SVC_BAD_IQ;
    if (req->kind == ED_XEP0215_SERVICES) {
        /* Children (some web clients send a <service host/>) are ignored. */
        const char *t = ed_elem_attr(p, "type");
        req->type = is_blank(t) ? NULL : t;
        return ED_OK;
    }
    size_t n = 0;
    for (const ed_elem *s = ed_elem_child(p, "service", p->ns); s;
         s = ed_elem_next(s, "service", p->ns))
        n++;
    if (n == 0)
        return ED_SVC_NONE_NAMED;
    if (n > ED_XEP0215_MAX_WANTED)
        return ED_ELIMIT;
    for (const ed_elem *s = ed_elem_child(p, "service", p->ns); s;
         s = ed_elem_next(s, "service", p->ns)) {
        ed_err err = wanted_from_elem(s, &req->wanted[req->nwanted]);
        if (err) {
            req->nwanted = 0;
            return err;
        }
        req->nwanted++;
    }
    return ED_OK;
}

ed_err ed_xep0215_parse_request(const ed_elem *iq, ed_xep0215_request *req)
{
    if (!req)
        return ED_EINVAL;
    /* Field by field: wanted[] is only read up to nwanted. */
    req->version = 0;
    req->kind = 0;
    req->iq_type = req->lang = req->type = NULL;
    req->nwanted = 0;
    const ed_elem *p = NULL;
    ed_err err = classify(iq, &p, &req->version, &req->kind, &req->iq_type);
    if (err)
        return req->bad = err;
    req->lang = ed_elem_attr(p, "xml:lang");
    if (!req->lang)
        req->lang = ed_elem_attr(iq, "xml:lang");
    return req->bad = parse_payload(iq, p, req);
}

/* --- the responder ------------------------------------------------------------ */

static bool def_has_creds(const ed_service_def *d)
{
    return d->rest || d->svc.username || d->svc.password;
}

/* The credential last minted in one reply: services sharing a TURN REST
 * signer (turn/udp, turn/tcp, turns/tcp) get the same one, minted once (or
 * fail once). */
typedef struct mint_cache {
    const ed_turn_rest *rest; /* NULL: nothing minted yet */
    ed_err err;                      /* the mint's outcome for rest */
    ed_xep0215_outcome *out;         /* counts the mints; NULL: not counted */
    ed_turn_cred cred;               /* valid when err is ED_OK */
    char exp_txt[ED_DATETIME_BUFSZ]; /* cred.expires formatted, once */
    size_t exp_len;                  /* 0: not formatted */
} mint_cache;

/* A shallow view of def as requester sees it: *v borrows def's strings and
 * the cache's buffers, so no allocation happens here.  *unminted is set when
 * def's TURN REST credential cannot be minted for requester (ED_ELIMIT: the
 * username would be too long): *v then carries no credentials and ED_OK is
 * returned.  Other mint failures are returned. */
static ed_err view(const ed_service_def *def, const ed_jid *requester,
                   int64_t now, ed_xep0215_creds creds, ed_service *v,
                   mint_cache *mc, bool *unminted)
{
    *v = def->svc;
    v->action = ED_ACTION_NONE;
    *unminted = false;
    if (!def_has_creds(def))
        return ED_OK;
    v->restricted = 1; /* credentials are needed, and maybe given here */
    if (creds == ED_XEP0215_CREDS_ALL && def->rest) {
        if (mc->rest != def->rest) {
            mc->rest = def->rest;
            mc->err = ed_turn_rest_mint(def->rest, requester ? requester->bare : NULL,
                                        now, &mc->cred);
            mc->exp_len = mc->err ? 0 : ed_datetime_format(mc->cred.expires, mc->exp_txt);
            if (!mc->err && mc->out) {
                if (mc->out->nminted < ED_XEP0215_MAX_MINTED)
                    mc->out->minted[mc->out->nminted] = def->rest;
                mc->out->nminted++;
            }
        }
        if (!mc->err) {
            v->username = mc->cred.username;
            v->password = mc->cred.password;
            v->expires = mc->cred.expires; /* the username's expiry, by construction */
            return ED_OK;
        }
        if (mc->err != ED_ELIMIT)
            return mc->err;
        *unminted = true; /* this requester cannot have one: list it without */
    } else if (creds == ED_XEP0215_CREDS_ALL ||
               (creds == ED_XEP0215_CREDS_STATIC && !def->rest)) {
        return ED_OK; /* static credentials as configured */
    }
    v->username = v->password = NULL;
    v->expires = 0;
    return ED_OK;
}

/* <service/> of v under payload; a minted credential's expiry is
 * formatted once per reply. */
static ed_err emit(ed_elem *payload, const ed_service *v, const char *lang,
                   const mint_cache *mc)
{
    bool minted = mc->rest && !mc->err && v->username == mc->cred.username && mc->exp_len &&
                  v->expires == mc->cred.expires;
    return ed_service_to_elem_fmt(payload, v, lang, NULL, minted ? mc->exp_txt : NULL,
                                  minted ? mc->exp_len : 0);
}

ed_err ed_xep0215_materialize_creds(const ed_service_def *def,
                                    const ed_jid *requester, int64_t now,
                                    ed_xep0215_creds creds, ed_service *out)
{
    if (!out)
        return ED_EINVAL;
    ed_service_init(out);
    if (!def || (creds != ED_XEP0215_CREDS_NONE && creds != ED_XEP0215_CREDS_ALL &&
                 creds != ED_XEP0215_CREDS_STATIC))
        return ED_EINVAL;
    ed_service v;
    bool unminted;
    mint_cache mc = {0};
    ed_err err = view(def, requester, now, creds, &v, &mc, &unminted);
    if (!err)
        err = ed_service_copy(out, &v);
    explicit_bzero(&mc, sizeof mc);
    return err;
}

ed_err ed_xep0215_materialize(const ed_service_def *def, const ed_jid *requester,
                              int64_t now, bool with_creds, ed_service *out)
{
    return ed_xep0215_materialize_creds(def, requester, now,
                                        with_creds ? ED_XEP0215_CREDS_ALL
                                                   : ED_XEP0215_CREDS_NONE,
                                        out);
}

static bool type_matches(const ed_service *s, const char *type)
{
    return !type || (s->type && strcmp(s->type, type) == 0);
}

static bool wanted_match(const ed_xep0215_request *req, const ed_service *s)
{
    for (size_t i = 0; i < req->nwanted; i++) {
        const ed_xep0215_wanted *w = &req->wanted[i];
        if (s->type && strcmp(w->type, s->type) == 0 && s->host && host_eq(w->host, s->host) &&
            (w->port < 0 || w->port == s->port) &&
            (!w->transport || (s->transport && strcasecmp(w->transport, s->transport) == 0)))
            return true;
    }
    return false;
}

const char *ed_xep0215_status_condition(ed_xep0215_status status)
{
    switch (status) {
    case ED_XEP0215_SERVICE_UNAVAILABLE: return "service-unavailable";
    case ED_XEP0215_NOT_ALLOWED: return "not-allowed";
    case ED_XEP0215_BAD_REQUEST: return "bad-request";
    case ED_XEP0215_FORBIDDEN: return "forbidden";
    case ED_XEP0215_ITEM_NOT_FOUND: return "item-not-found";
    case ED_XEP0215_NOT_ACCEPTABLE: return "not-acceptable";
    case ED_XEP0215_INTERNAL_ERROR: return "internal-server-error";
    case ED_XEP0215_RESULT:
    case ED_XEP0215_NO_REPLY:
        break;
    }
    return NULL;
}

/* The error reply of status, caused by cause; out says which (or NO_REPLY
 * with ED_ENOMEM when it cannot be built). */
static ed_elem *refuse(const ed_elem *iq, ed_xep0215_status status, ed_err cause,
                       ed_xep0215_outcome *out)
{
    ed_elem *r;
    if (status == ED_XEP0215_NOT_ACCEPTABLE)
        /* The request is fine and the service exists, but no credential
         * that fits a STUN USERNAME (RFC 8489 §14.3) can be made for this
         * JID under the configured username scheme: not-acceptable (RFC
         * 6120 §8.3.3.9, the requester does not meet the server's
         * criteria), type cancel as no retry can change it.  Not
         * internal-server-error: the server is neither misconfigured nor
         * failing, and that condition stays for the real failures (a mint
         * error, no memory) operators must look at. */
        r = ed_stanza_error(iq, "not-acceptable", "cancel",
                            "no TURN credential can be issued to this address: "
                            "the TURN username would be too long");
    else
        r = ed_stanza_error(iq, ed_xep0215_status_condition(status), NULL, NULL);
    out->status = r ? status : ED_XEP0215_NO_REPLY;
    out->err = r ? cause : ED_ENOMEM;
    return r;
}

/* The reply to req, a request ed_xep0215_parse_request() found ours. */
static ed_elem *answer(const ed_elem *iq, const ed_xep0215_request *req,
                       const ed_jid *requester, int64_t now, const ed_service_def *set,
                       size_t n, const ed_xep0215_policy *pol, ed_xep0215_outcome *out)
{
    if (req->version == 1 && !pol->serve_v1)
        return refuse(iq, ED_XEP0215_SERVICE_UNAVAILABLE, ED_SVC_V1_OFF, out);
    if (req->iq_type[0] == 's')
        return refuse(iq, ED_XEP0215_NOT_ALLOWED, ED_SVC_IQ_SET, out);
    if (req->bad)
        return refuse(iq, ED_XEP0215_BAD_REQUEST, req->bad, out);
    bool services = req->kind == ED_XEP0215_SERVICES;
    if (services ? !pol->may_list : !pol->may_credentials)
        return refuse(iq, ED_XEP0215_FORBIDDEN, ED_SVC_FORBIDDEN, out);

    const char *lang = req->lang;
    if (lang && pol->default_lang && strcasecmp(lang, pol->default_lang) == 0)
        lang = NULL; /* the default name is already in that language */

    /* Sized so that the whole reply fits the arena's first block. */
    ed_elem *reply = ed_iq_result_sized(iq, REPLY_BASE_BYTES + n * REPLY_SERVICE_BYTES);
    ed_elem *payload = reply ? ed_elem_add_s(reply, services ? ED_SN_SERVICES : ED_SN_CREDENTIALS,
                                             req->version == 2 ? ED_NS_EXTDISCO2
                                                               : ED_NS_EXTDISCO1)
                             : NULL;
    ed_err e = payload ? ED_OK : ED_ENOMEM;
    mint_cache mc;
    mc.rest = NULL;
    mc.out = out;
    size_t matched = 0, unminted = 0;
    if (!e && services) {
        if (req->type)
            e = ed_elem_append_attr(payload, ED_SN_TYPE, req->type, strlen(req->type));
        ed_xep0215_creds creds = pol->inline_credentials && pol->may_credentials
                                     ? ED_XEP0215_CREDS_ALL : ED_XEP0215_CREDS_NONE;
        for (size_t i = 0; !e && i < n; i++) {
            if (!type_matches(&set[i].svc, req->type))
                continue;
            ed_service v;
            bool um; /* unminted: listed without credentials (XEP-0215 §2) */
            if (!(e = view(&set[i], requester, now, creds, &v, &mc, &um)))
                e = emit(payload, &v, lang, &mc);
        }
    } else if (!e) {
        for (size_t i = 0; !e && i < n; i++) {
            if (!wanted_match(req, &set[i].svc))
                continue;
            ed_service v;
            bool um;
            if ((e = view(&set[i], requester, now, ED_XEP0215_CREDS_ALL, &v, &mc, &um)))
                break;
            if (um) {
                unminted++; /* a <credentials/> entry without them is useless */
                continue;
            }
            e = emit(payload, &v, lang, &mc);
            matched++;
        }
    }
    if (mc.rest)
        explicit_bzero(&mc.cred, sizeof mc.cred);
    if (!e && (services || matched > 0)) {
        out->status = ED_XEP0215_RESULT;
        out->err = ED_OK;
        out->record = services;
        return reply;
    }
    ed_elem_free(reply);
    if (e)
        return refuse(iq, ED_XEP0215_INTERNAL_ERROR, e, out);
    if (unminted > 0)
        return refuse(iq, ED_XEP0215_NOT_ACCEPTABLE, ED_ELIMIT, out);
    return refuse(iq, ED_XEP0215_ITEM_NOT_FOUND, ED_SVC_NO_MATCH, out);
}

ed_elem *ed_xep0215_respond(const ed_elem *iq, const ed_jid *requester,
                            int64_t now, const ed_service_def *set, size_t n,
                            const ed_xep0215_policy *pol, ed_xep0215_outcome *out)
{
    ed_xep0215_outcome dummy;
    if (!out)
        out = &dummy;
    ed_xep0215_policy defpol;
    if (!pol) {
        defpol = ed_xep0215_policy_default();
        pol = &defpol;
    }
    ed_xep0215_request req; /* nothing to free: it borrows from iq */
    ed_err err = ed_xep0215_parse_request(iq, &req);
    out->status = ED_XEP0215_NO_REPLY;
    out->err = err;
    out->record = false;
    out->version = req.version;
    out->type = req.type;
    out->lang = req.lang;
    out->nminted = 0;
    if (err == ED_SVC_NOT_EXTDISCO)
        return NULL;
    return answer(iq, &req, requester, now, set, n, pol, out);
}

/* --- pushes and results ----------------------------------------------------- */

ed_elem *ed_xep0215_push(const char *from, const char *to, const char *id,
                         int version, const char *type_filter, const char *lang,
                         const ed_service *changes, size_t n)
{
    if ((version != 1 && version != 2) || !id || (n && !changes))
        return NULL;
    ed_elem *iq = ed_elem_new("iq", ED_NS_CLIENT);
    if (!iq)
        return NULL;
    /* Attribute order as in lib/stanza.c's replies: from, id, to, type. */
    ed_err err = from ? ed_elem_set_attr(iq, "from", from) : ED_OK;
    if (!err)
        err = ed_elem_set_attr(iq, "id", id);
    if (!err && to)
        err = ed_elem_set_attr(iq, "to", to);
    if (!err)
        err = ed_elem_set_attr(iq, "type", "set");
    ed_elem *s = err ? NULL
                     : ed_elem_add(iq, "services",
                                   version == 1 ? ED_NS_EXTDISCO1 : ED_NS_EXTDISCO2);
    if (!s)
        err = err ? err : ED_ENOMEM;
    if (!err && !is_blank(type_filter))
        err = ed_elem_set_attr(s, "type", type_filter);
    for (size_t i = 0; !err && i < n; i++) {
        ed_service c = changes[i];
        if (c.action == ED_ACTION_NONE)
            c.action = ED_ACTION_ADD; /* every pushed entry says what it is */
        err = ed_service_to_elem(s, &c, lang, NULL);
    }
    if (err) {
        ed_elem_free(iq);
        return NULL;
    }
    return iq;
}

ed_err ed_xep0215_parse_services(const ed_elem *payload, ed_service **out,
                                 size_t *n, size_t *skipped)
{
    if (!out || !n)
        return ED_EINVAL;
    *out = NULL;
    *n = 0;
    if (skipped)
        *skipped = 0;
    if (!payload || !payload->name || !ns_version(payload->ns) ||
        (strcmp(payload->name, "services") != 0 &&
         strcmp(payload->name, "credentials") != 0))
        return ED_SVC_NOT_EXTDISCO;
    size_t cnt = 0;
    for (const ed_elem *e = ed_elem_child(payload, "service", payload->ns); e;
         e = ed_elem_next(e, "service", payload->ns))
        cnt++;
    if (cnt > MAX_PARSED_SERVICES)
        return ED_ELIMIT;
    if (cnt == 0) {
        /* An empty array the caller may still free. */
        *out = calloc(1, sizeof **out);
        return *out ? ED_OK : ED_ENOMEM;
    }
    ed_service *v = calloc(cnt, sizeof *v);
    if (!v)
        return ED_ENOMEM;
    size_t k = 0, bad = 0;
    for (const ed_elem *e = ed_elem_child(payload, "service", payload->ns); e;
         e = ed_elem_next(e, "service", payload->ns)) {
        ed_err err = ed_service_from_elem(e, &v[k]);
        if (err == ED_ENOMEM) {
            ed_services_free(v, k);
            return err;
        }
        if (err)
            bad++;
        else
            k++;
    }
    *out = v;
    *n = k;
    if (skipped)
        *skipped = bad;
    return ED_OK;
}
