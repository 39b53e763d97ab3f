/* client/client_xep.c — the XEP-0030/0215/0279 requests of the client
 * (disco#info, services, credentials, IP check) on top of ed_client_iq();
 * see include/extdisco/client.h.  The connection, the request/answer
 * matching and incoming IQs are client/client.c. */
#include "extdisco/client.h"
#include "client_int.h"

#include <stdio.h>
#include <string.h>

#include "extdisco/stanza.h"
#include "extdisco/xep0215.h"
#include "extdisco/xep0279.h"

#define ERR_MAX 512

/* New <iq type=TYPE to=TO> with one payload child; *payload gets it. */
static ed_elem *new_iq(const char *type, const char *to, const char *name,
                       const char *ns, ed_elem **payload)
{
    ed_elem *iq = ed_elem_new("iq", ED_NS_CLIENT);
    if (!iq)
        return NULL;
    ed_elem *p = NULL;
    if (ed_elem_set_attr(iq, "type", type) != ED_OK ||
        (to && ed_elem_set_attr(iq, "to", to) != ED_OK) ||
        !(p = ed_elem_add(iq, name, ns))) {
        ed_elem_free(iq);
        return NULL;
    }
    if (payload)
        *payload = p;
    return iq;
}

/* Send iq; a stanza error reply becomes ED_ESTATE with the condition noted.
 * On ED_OK *reply is the result IQ. */
static ed_err ask(ed_client *c, ed_elem *iq, ed_elem **reply, const char *what)
{
    ed_elem *r = NULL;
    ed_err err = ed_client_iq(c, iq, &r);
    ed_elem_free(iq);
    if (err) {
        if (!ed_client_error(c)[0]) {
            ed_client_seterr(c, "%s: %s", what, ed_strerror(err));
        } else {
            char tmp[ERR_MAX];
            snprintf(tmp, sizeof tmp, "%s", ed_client_error(c));
            ed_client_seterr(c, "%s: %.*s", what, (int)(sizeof tmp - 64), tmp);
        }
        return err;
    }
    const char *type = ed_elem_attr(r, "type");
    if (type && strcmp(type, "error") == 0) {
        const char *cond = "undefined-condition";
        const char *text = NULL;
        ed_elem *er = ed_elem_child(r, "error", NULL);
        for (ed_elem *k = er ? ed_elem_first(er) : NULL; k; k = ed_elem_next(k, NULL, NULL)) {
            if (strcmp(k->ns, ED_NS_STANZAS) != 0)
                continue;
            if (strcmp(k->name, "text") == 0)
                text = ed_elem_text(k);
            else
                cond = k->name;
        }
        ed_client_setcond(c, cond);
        ed_client_seterr(c, "%s: stanza error %s%s%s", what, cond, text ? ": " : "",
                text ? text : "");
        ed_elem_free(r);
        return ED_ESTATE;
    }
    *reply = r;
    return ED_OK;
}

static const char *target(ed_client *c, const char *to)
{
    return to ? to : ed_client_domain(c);
}

ed_err ed_client_disco_info(ed_client *c, const char *to, unsigned *features,
                            ed_elem **reply)
{
    if (!c || !features)
        return ED_EINVAL;
    *features = 0;
    if (reply)
        *reply = NULL;
    ed_elem *iq = new_iq("get", target(c, to), "query", ED_NS_DISCO_INFO, NULL);
    if (!iq)
        return ED_ENOMEM;
    ed_elem *r = NULL;
    ed_err err = ask(c, iq, &r, "disco#info");
    if (err)
        return err;
    ed_elem *q = ed_elem_child(r, "query", ED_NS_DISCO_INFO);
    for (ed_elem *f = q ? ed_elem_child(q, "feature", ED_NS_DISCO_INFO) : NULL; f;
         f = ed_elem_next(f, "feature", ED_NS_DISCO_INFO)) {
        const char *v = ed_elem_attr(f, "var");
        if (!v)
            continue;
        if (strcmp(v, ED_NS_EXTDISCO2) == 0)
            *features |= ED_FEAT_EXTDISCO2;
        else if (strcmp(v, ED_NS_EXTDISCO1) == 0)
            *features |= ED_FEAT_EXTDISCO1;
        else if (strcmp(v, ED_NS_SIC1) == 0)
            *features |= ED_FEAT_SIC1;
        else if (strcmp(v, ED_NS_SIC0) == 0)
            *features |= ED_FEAT_SIC0;
    }
    if (reply)
        *reply = r;
    else
        ed_elem_free(r);
    return ED_OK;
}

static const char *ns_for(int version)
{
    return version == 1 ? ED_NS_EXTDISCO1 : ED_NS_EXTDISCO2;
}

/* Parse the <services/> or <credentials/> of a result. */
static ed_err parse_reply(ed_client *c, ed_elem *r, const char *name,
                          const char *ns, ed_service **out, size_t *n,
                          size_t *skipped, ed_elem **reply)
{
    ed_elem *p = ed_elem_child(r, name, ns);
    ed_err err;
    /* ejabberd 23.01 answers <credentials/> with <services/>: accept it. */
    if (!p && strcmp(name, "credentials") == 0)
        p = ed_elem_child(r, "services", ns);
    if (!p) {
        ed_elem *got = ed_elem_first(r);
        ed_client_seterr(c, "%s: result without <%s xmlns='%s'/> (got %s%s%s%s%s)", name, name,
                ns, got ? "<" : "an empty result", got ? got->name : "",
                got ? " xmlns='" : "", got ? got->ns : "", got ? "'>" : "");
        err = ED_SVC_NOT_EXTDISCO;
    } else if ((err = ed_xep0215_parse_services(p, out, n, skipped))) {
        ed_client_seterr(c, "%s: %s", name, ed_strerror(err));
    }
    if (!err && reply)
        *reply = r;
    else
        ed_elem_free(r);
    return err;
}

ed_err ed_client_services(ed_client *c, const char *to, int version,
                          const char *type, ed_service **out, size_t *n,
                          size_t *skipped, ed_elem **reply)
{
    if (!c || !out || !n || (version != 1 && version != 2))
        return ED_EINVAL;
    *out = NULL;
    *n = 0;
    if (skipped)
        *skipped = 0;
    if (reply)
        *reply = NULL;
    ed_elem *p = NULL;
    ed_elem *iq = new_iq("get", target(c, to), "services", ns_for(version), &p);
    if (!iq)
        return ED_ENOMEM;
    if (type && ed_elem_set_attr(p, "type", type) != ED_OK) {
        ed_elem_free(iq);
        return ED_ENOMEM;
    }
    ed_elem *r = NULL;
    ed_err err = ask(c, iq, &r, "services");
    if (err)
        return err;
    return parse_reply(c, r, "services", ns_for(version), out, n, skipped, reply);
}

ed_err ed_client_credentials(ed_client *c, const char *to, int version,
                             const ed_service *wanted, size_t nwanted,
                             ed_service **out, size_t *n, ed_elem **reply)
{
    if (!c || !out || !n || !wanted || !nwanted || nwanted > 256 ||
        (version != 1 && version != 2))
        return ED_EINVAL;
    *out = NULL;
    *n = 0;
    if (reply)
        *reply = NULL;
    ed_elem *p = NULL;
    ed_elem *iq = new_iq("get", target(c, to), "credentials", ns_for(version), &p);
    if (!iq)
        return ED_ENOMEM;
    for (size_t i = 0; i < nwanted; i++) {
        const ed_service *w = &wanted[i];
        ed_elem *s = ed_elem_add(p, "service", NULL);
        char port[8];
        snprintf(port, sizeof port, "%d", w->port);
        if (!s || !w->type || !w->host ||
            ed_elem_set_attr(s, "type", w->type) != ED_OK ||
            ed_elem_set_attr(s, "host", w->host) != ED_OK ||
            (w->port >= 0 && ed_elem_set_attr(s, "port", port) != ED_OK) ||
            (w->transport && ed_elem_set_attr(s, "transport", w->transport) != ED_OK)) {
            ed_elem_free(iq);
            return (!w->type || !w->host) ? ED_EINVAL : ED_ENOMEM;
        }
    }
    ed_elem *r = NULL;
    ed_err err = ask(c, iq, &r, "credentials");
    if (err)
        return err;
    return parse_reply(c, r, "credentials", ns_for(version), out, n, NULL, reply);
}

static ed_err ip_check_ns(ed_client *c, const char *to, const char *ns,
                          char *ip, int *port)
{
    bool v1 = strcmp(ns, ED_NS_SIC1) == 0;
    ed_elem *iq = new_iq("get", to, v1 ? "address" : "ip", ns, NULL);
    if (!iq)
        return ED_ENOMEM;
    ed_elem *r = NULL;
    ed_err err = ask(c, iq, &r, v1 ? "sic:1" : "sic:0");
    if (err)
        return err;
    ed_elem *p = ed_elem_child(r, v1 ? "address" : "ip", ns);
    err = p ? ed_xep0279_parse_result(p, ip, port) : ED_SIC_BAD_ADDRESS;
    if (err)
        ed_client_seterr(c, "%s: malformed answer: %s", v1 ? "sic:1" : "sic:0",
                ed_strerror(err));
    ed_elem_free(r);
    return err;
}

ed_err ed_client_ip_check(ed_client *c, const char *to, char *ip, int *port,
                          const char **ns)
{
    if (!c || !ip || !port)
        return ED_EINVAL;
    ip[0] = 0;
    *port = -1;
    if (ns)
        *ns = NULL;
    ed_err err = ip_check_ns(c, to, ED_NS_SIC1, ip, port);
    if (err == ED_OK) {
        if (ns)
            *ns = ED_NS_SIC1;
        return ED_OK;
    }
    if (err == ED_ENOMEM || !ed_client_is_connected(c))
        return err;
    char first[ERR_MAX];
    snprintf(first, sizeof first, "%s", ed_client_error(c));
    err = ip_check_ns(c, to, ED_NS_SIC0, ip, port);
    if (err == ED_OK) {
        if (ns)
            *ns = ED_NS_SIC0;
        return ED_OK;
    }
    char second[ERR_MAX];
    snprintf(second, sizeof second, "%s", ed_client_error(c));
    ed_client_seterr(c, "%s; %s", first, second);
    return err;
}

