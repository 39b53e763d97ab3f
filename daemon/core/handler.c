/* daemon/core/handler.c — answer IQs addressed to a served domain or to the
 * component: XEP-0030 disco#info/items, XEP-0199 ping, XEP-0215 (recording
 * the requesters the responder's outcome names for pushes) and, where the
 * role knows the client's address, XEP-0279.  Every role (component link, c2s session) comes through here. */
#include <string.h>

#include "core/log.h"
#include "core/metrics.h"
#include "core/server.h"

#define DELEGATION_NODE_PREFIX ED_NS_DELEGATION2 "::"
#define DELEGATION1_NODE_PREFIX ED_NS_DELEGATION1 "::"

static bool add_feature(ed_elem *q, const char *var)
{
    ed_elem *f = ed_elem_add(q, "feature", NULL);
    return f && ed_elem_set_attr(f, "var", var) == ED_OK;
}

/* Is ns one this process answers for ctx? */
static bool serves(const edd_server *s, const edd_iq_ctx *ctx, const char *ns)
{
    if (strcmp(ns, ED_NS_EXTDISCO2) == 0)
        return true;
    if (strcmp(ns, ED_NS_EXTDISCO1) == 0)
        return s->cfg->serve_v1;
    if (strcmp(ns, ED_NS_SIC1) == 0 || strcmp(ns, ED_NS_SIC0) == 0)
        return ctx->peer != NULL;
    return false;
}

static ed_elem *disco_info(edd_server *s, const ed_elem *iq, const ed_elem *q,
                           const edd_iq_ctx *ctx)
{
    const char *node = ed_elem_attr(q, "node");
    ed_elem *r = ed_iq_result(iq);
    ed_elem *rq = r ? ed_elem_add(r, "query", ED_NS_DISCO_INFO) : NULL;
    if (!rq)
        goto oom;
    if (node) {
        /* XEP-0355 §6: the host server asks which features of a delegated
         * namespace to advertise on its own disco#info. */
        size_t pl = strlen(DELEGATION_NODE_PREFIX);
        const char *ns = strncmp(node, DELEGATION_NODE_PREFIX, pl) == 0 ? node + pl : NULL;
        /* ejabberd 23.01 still speaks XEP-0355 v0.3: "urn:xmpp:delegation:1::NS". */
        if (!ns && strncmp(node, DELEGATION1_NODE_PREFIX, strlen(DELEGATION1_NODE_PREFIX)) == 0)
            ns = node + strlen(DELEGATION1_NODE_PREFIX);
        if (!ns || !serves(s, ctx, ns)) {
            ed_elem_free(r);
            return ed_stanza_error(iq, "item-not-found", NULL, NULL);
        }
        if (ed_elem_set_attr(rq, "node", node) != ED_OK || !add_feature(rq, ns))
            goto oom;
        return r;
    }
    ed_elem *id = ed_elem_add(rq, "identity", NULL);
    if (!id)
        goto oom;
    bool server = ctx->to_domain && ctx->peer; /* we are the user's server */
    if (ed_elem_set_attr(id, "category", server ? "server" : "component") != ED_OK ||
        ed_elem_set_attr(id, "type", server ? "im" : "generic") != ED_OK ||
        ed_elem_set_attr(id, "name", "extdisco") != ED_OK)
        goto oom;
    static const char *const always[] = {ED_NS_DISCO_INFO, ED_NS_DISCO_ITEMS, ED_NS_PING,
                                         ED_NS_EXTDISCO2, ED_NS_EXTDISCO1,
                                         ED_NS_SIC0, ED_NS_SIC1};
    for (size_t i = 0; i < sizeof always / sizeof *always; i++) {
        const char *f = always[i];
        bool ours = strncmp(f, "urn:xmpp:extdisco", 17) == 0 || strncmp(f, "urn:xmpp:sic", 12) == 0;
        if ((!ours || serves(s, ctx, f)) && !add_feature(rq, f))
            goto oom;
    }
    return r;
oom:
    ed_elem_free(r);
    return NULL;
}

/* What one request counts as in the metrics (NULL m: not counted). */
typedef struct mreq {
    edd_m_proto proto;
    edd_m_outcome outcome;
    bool counted;
} mreq;

static void mset(mreq *m, edd_m_proto proto, edd_m_outcome outcome)
{
    if (m) {
        m->proto = proto;
        m->outcome = outcome;
        m->counted = true;
    }
}

/* The outcome a reply stanza carries: a result, or its error condition. */
static edd_m_outcome outcome_of_reply(const ed_elem *reply)
{
    const char *type = reply ? ed_elem_attr(reply, "type") : NULL;
    if (!reply)
        return EDD_MO_INTERNAL_SERVER_ERROR;
    if (!type || strcmp(type, "error") != 0)
        return EDD_MO_RESULT;
    ed_elem *e = ed_elem_child(reply, "error", NULL);
    for (ed_elem *c = e ? ed_elem_first(e) : NULL; c; c = ed_elem_next(c, NULL, NULL))
        if (strcmp(c->ns, ED_NS_STANZAS) == 0 && strcmp(c->name, "text") != 0)
            return edd_m_outcome_of(c->name);
    return EDD_MO_OTHER_ERROR;
}

static edd_m_outcome outcome_of_status(ed_xep0215_status st)
{
    switch (st) {
    case ED_XEP0215_RESULT: return EDD_MO_RESULT;
    case ED_XEP0215_SERVICE_UNAVAILABLE: return EDD_MO_SERVICE_UNAVAILABLE;
    case ED_XEP0215_NOT_ALLOWED: return EDD_MO_NOT_ALLOWED;
    case ED_XEP0215_BAD_REQUEST: return EDD_MO_BAD_REQUEST;
    case ED_XEP0215_FORBIDDEN: return EDD_MO_FORBIDDEN;
    case ED_XEP0215_ITEM_NOT_FOUND: return EDD_MO_ITEM_NOT_FOUND;
    case ED_XEP0215_NOT_ACCEPTABLE: return EDD_MO_NOT_ACCEPTABLE;
    case ED_XEP0215_INTERNAL_ERROR:
    case ED_XEP0215_NO_REPLY:
        break;
    }
    return EDD_MO_INTERNAL_SERVER_ERROR;
}

/* Count the TURN REST credentials out minted, by turn_secrets entry. */
static void count_minted(const edd_server *s, const ed_xep0215_outcome *out)
{
    size_t n = out->nminted < ED_XEP0215_MAX_MINTED ? out->nminted : ED_XEP0215_MAX_MINTED;
    for (size_t i = 0; i < n; i++) {
        int k = edd_registry_rest_index(s->reg, out->minted[i]);
        if (k >= 0 && k < EDD_M_MAX_SECRET_SETS)
            edd_metrics_g.minted_now[k]++; /* named at the next fold */
    }
}

static edd_iq_outcome handle(edd_server *s, const ed_elem *iq, const edd_iq_ctx *ctx,
                             ed_elem **reply, mreq *m)
{
    *reply = NULL;
    const char *type = ed_elem_attr(iq, "type");
    if (!type)
        return EDD_IQ_UNHANDLED;
    if (strcmp(type, "result") == 0 || strcmp(type, "error") == 0)
        return EDD_IQ_CONSUMED; /* push acknowledgements and the like */
    bool get = strcmp(type, "get") == 0;
    ed_elem *p = ed_iq_payload(iq);
    if (!p || (!get && strcmp(type, "set") != 0)) {
        *reply = ed_stanza_error(iq, "bad-request", NULL, NULL);
        mset(m, EDD_MP_OTHER, EDD_MO_BAD_REQUEST);
        return EDD_IQ_REPLIED;
    }
    s->requests++;

    if (strcmp(p->ns, ED_NS_DISCO_INFO) == 0 && strcmp(p->name, "query") == 0) {
        *reply = get ? disco_info(s, iq, p, ctx)
                     : ed_stanza_error(iq, "not-allowed", NULL, NULL);
        if (m)
            mset(m, EDD_MP_DISCO, outcome_of_reply(*reply));
        return EDD_IQ_REPLIED;
    }
    if ((strcmp(p->ns, ED_NS_DISCO_ITEMS) == 0 && strcmp(p->name, "query") == 0) ||
        (strcmp(p->ns, ED_NS_PING) == 0 && strcmp(p->name, "ping") == 0)) {
        if (!get) {
            *reply = ed_stanza_error(iq, "not-allowed", NULL, NULL);
        } else if ((*reply = ed_iq_result(iq)) && p->name[0] == 'q') {
            ed_elem *q = ed_elem_add(*reply, "query", ED_NS_DISCO_ITEMS);
            const char *node = ed_elem_attr(p, "node");
            if (q && node)
                ed_elem_set_attr(q, "node", node);
        }
        mset(m, p->name[0] == 'q' ? EDD_MP_DISCO : EDD_MP_PING,
             !get ? EDD_MO_NOT_ALLOWED : *reply ? EDD_MO_RESULT : EDD_MO_INTERNAL_SERVER_ERROR);
        return EDD_IQ_REPLIED;
    }

    size_t ndefs; /* this requester's networks' services (netscope.h), providers' too */
    const ed_service_def *defs =
        edd_server_services_for(s, ctx->from, ctx->peer, ctx->peerlen, &ndefs);
    ed_xep0215_policy pol = edd_registry_policy_for(s->reg, ctx->from);
    ed_xep0215_outcome out;
    *reply = ed_xep0215_respond(iq, ctx->from, s->clock(), defs, ndefs, &pol, &out);
    if (out.record && ctx->route.send) {
        edd_route route = ctx->route; /* pushes choose by its address too */
        route.peer = ctx->peer;
        route.peerlen = ctx->peerlen;
        edd_pushes_record(s->pushes, ctx->from, out.version, out.type, out.lang, ctx->to,
                         &route, ctx->online);
    }
    if (m && out.status != ED_XEP0215_NO_REPLY) {
        mset(m, p->name[0] == 'c' ? EDD_MP_CREDENTIALS : EDD_MP_SERVICES,
             outcome_of_status(out.status));
        if (out.nminted)
            count_minted(s, &out);
    }
    if (*reply) {
        if (out.status != ED_XEP0215_RESULT)
            edd_log_debug("xep0215: %s from %s refused (%s): %s", p->name, ctx->from->full,
                         ed_xep0215_status_condition(out.status), ed_strerror(out.err));
        return EDD_IQ_REPLIED;
    }
    ed_err err = out.err;
    if (err != ED_SVC_NOT_EXTDISCO) {
        edd_log_error("xep0215: cannot answer %s: %s", ctx->from->full, ed_strerror(err));
        *reply = ed_stanza_error(iq, "internal-server-error", NULL, NULL);
        mset(m, EDD_MP_OTHER, EDD_MO_INTERNAL_SERVER_ERROR);
        return EDD_IQ_REPLIED;
    }
    if (ctx->peer) {
        *reply = ed_xep0279_respond(iq, ctx->from, s->cfg->c2s ? s->cfg->c2s->domain : NULL,
                                    ctx->peer, ctx->peerlen, &err);
        if (*reply) {
            if (m)
                mset(m, EDD_MP_SIC, outcome_of_reply(*reply));
            return EDD_IQ_REPLIED;
        }
    }
    mset(m, EDD_MP_OTHER, EDD_MO_SERVICE_UNAVAILABLE); /* the role answers so */
    return EDD_IQ_UNHANDLED;
}

edd_iq_outcome edd_server_handle_iq(edd_server *s, const ed_elem *iq,
                                  const edd_iq_ctx *ctx, ed_elem **reply)
{
    if (!edd_metrics_g.on)
        return handle(s, iq, ctx, reply, NULL);
    mreq m = {EDD_MP_OTHER, EDD_MO_RESULT, false};
    uint64_t t0 = edd_m_now_ns();
    edd_iq_outcome r = handle(s, iq, ctx, reply, &m);
    if (m.counted) {
        edd_metrics_g.requests[m.proto][m.outcome]++;
        edd_histogram_add(&edd_metrics_g.duration[m.proto], edd_m_now_ns() - t0);
    }
    return r;
}
