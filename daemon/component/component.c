/* daemon/component/component.c — what arrives on a ready XEP-0114 link.
 *
 *   - IQs to the component JID: answered by edd_server_handle_iq (disco,
 *     ping, XEP-0215); anything else get/set -> service-unavailable.
 *   - XEP-0355 namespace delegation: the host server wraps a client's IQ to
 *     its own domain in <delegation><forwarded><iq xmlns='jabber:client'/>
 *     and expects the reply wrapped the same way in the result.  ejabberd
 *     23.01 speaks urn:xmpp:delegation:1, prosody-modules'
 *     mod_delegation urn:xmpp:delegation:2: the reply uses the namespace of
 *     the request.  Only the link's own server may delegate (the inner
 *     `from` is trusted as the user): the outer `from` must be a domain the
 *     link speaks for (link_domain).
 *   - XEP-0356 privileged entity: mod_privilege (presence permission
 *     managed_entity/roster) forwards users' presence to the component;
 *     directed presence from a client to the component counts the same.
 *     Both feed the push table.  The permission/delegation advertisement
 *     messages are logged when they come from a domain of the link.
 *   - Answers to the delegation probe (component_probe.c) are taken first.
 *   - Pushes go out through edd_link_route_send: from the domain the user
 *     asked (needs validate_from_addresses = false in Prosody / check_from:
 *     false in ejabberd), or from the component JID once the server has
 *     refused that (stream error invalid-from, see component_link.c).
 *
 * Bad stanzas never drop the link: they get a stanza error or are ignored.
 * A request (IQ get/set) over the request limits (limits.max_stanza_bytes,
 * max_depth, max_attrs: those of a client stream, the server's wrapping
 * excluded) gets policy-violation; results and errors are never answered
 * (RFC 6120 §8.2.3). */
#include <stdio.h>
#include <string.h>

#include "component/component_int.h"
#include "core/log.h"


static bool is_delegation_ns(const char *ns)
{
    return strcmp(ns, ED_NS_DELEGATION2) == 0 || strcmp(ns, ED_NS_DELEGATION1) == 0;
}

/* Is the component JID jid a subdomain of d? */
static bool sub_of(const char *jid, const char *d)
{
    size_t jl = strlen(jid), dl = strlen(d);
    return jl > dl + 1 && jid[jl - dl - 1] == '.' && strcmp(jid + jl - dl, d) == 0;
}

/* May the server at the other end of l speak for served domain d
 * (delegate its users' IQs, advertise permissions)?  A link speaks for the
 * served domains its component JID is a subdomain of (extdisco.example.org:
 * example.org); a link whose JID is a subdomain of none speaks for every
 * served domain (one server, any component name).  With several links a
 * host thus speaks only for its own domain(s). */
static bool link_domain(const edd_link *l, const char *d)
{
    const edd_config *cfg = l->set->s->cfg;
    bool served = false, any_parent = false;
    for (unsigned i = 0; i < cfg->ndomains; i++) {
        bool parent = sub_of(l->jid, cfg->domains[i]);
        any_parent |= parent;
        if (strcmp(cfg->domains[i], d) == 0) {
            served = true;
            if (parent)
                return true;
        }
    }
    return served && !any_parent;
}

bool edd_link_domain(const edd_link *l, const char *d) { return link_domain(l, d); }

const char *edd_link_probe_domain(const edd_link *l)
{
    const edd_config *cfg = l->set->s->cfg;
    for (unsigned i = 0; i < cfg->ndomains; i++)
        if (link_domain(l, cfg->domains[i]))
            return cfg->domains[i];
    return NULL;
}

/* Send and free (NULL: nothing). */
static void send_free(edd_link *l, ed_elem *st)
{
    if (st) {
        edd_link_send(l, st);
        ed_elem_free(st);
    }
}

void edd_link_route_send(void *owner, const ed_elem *stanza)
{
    edd_link *l = owner;
    const char *from = ed_elem_attr(stanza, "from");
    if (!l->push_from_component || !from || strcmp(from, l->jid) == 0) {
        edd_link_send(l, stanza);
        return;
    }
    ed_elem *c = ed_elem_copy(NULL, stanza);
    if (c && ed_elem_set_attr(c, "from", l->jid) == ED_OK)
        edd_link_send(l, c);
    ed_elem_free(c);
}

/* An upper bound of e's serialised size: every character escaped at the
 * longest (6 bytes: &apos;), every element declaring its namespace, every
 * attribute name a namespaced one with its own declaration; generous
 * constants.  Stops counting once past cap. */
static size_t size_bound(const ed_elem *e, size_t cap, unsigned depth)
{
    if (!e->name)
        return 6 * e->text_len;
    if (depth > 64)
        return cap + 1; /* unusual: let the exact measure decide */
    size_t n = 2 * strlen(e->name) + 6 * strlen(e->ns) + 32;
    for (size_t i = 0; i < e->nattrs && n <= cap; i++)
        n += 6 * (strlen(e->attrs[i].name) + strlen(e->attrs[i].value)) + 48;
    for (const ed_elem *c = e->children; c && n <= cap; c = c->next)
        n += size_bound(c, cap, depth + 1);
    return n;
}

/* Over the request limit?  Measured as serialised (the server's wrapping
 * excluded); serialised only when the cheap upper bound is over it. */
static bool too_big(edd_link *l, const ed_elem *iq)
{
    int64_t max = l->set->s->cfg->limits.max_stanza_bytes;
    if (max <= 0 || size_bound(iq, (size_t)max, 0) <= (size_t)max)
        return false;
    ed_buf_reset(&l->scratch);
    l->scratch.max = (size_t)max;
    return ed_xml_write(&l->scratch, iq, iq->ns) == ED_ELIMIT;
}

/* Nested deeper (iq = level 1, as on a client stream) or with more
 * attributes on one element than the request limits allow?  An iterative
 * walk that stops at the first excess. */
static const char *over_shape(const edd_server *s, const ed_elem *iq)
{
    int64_t maxd = s->cfg->limits.max_depth, maxa = s->cfg->limits.max_attrs;
    const ed_elem *e = iq;
    int64_t level = 1;
    for (;;) {
        if (maxd > 0 && level > maxd)
            return "elements nested too deeply";
        if (maxa > 0 && (int64_t)e->nattrs > maxa)
            return "too many attributes";
        const ed_elem *c = e->children;
        while (c && !c->name)
            c = c->next; /* text */
        if (c) {
            e = c;
            level++;
            continue;
        }
        for (;;) {
            if (e == iq)
                return NULL;
            const ed_elem *n = e->next;
            while (n && !n->name)
                n = n->next;
            if (n) {
                e = n;
                break;
            }
            e = e->parent;
            level--;
        }
    }
}

/* Answer one IQ get/set with ctx; NULL only on allocation failure. */
static ed_elem *answer(edd_link *l, const ed_elem *iq, const edd_iq_ctx *ctx, bool *consumed)
{
    edd_server *s = l->set->s;
    ed_elem *reply = NULL;
    *consumed = false;
    const char *type = ed_elem_attr(iq, "type");
    if (type && (strcmp(type, "get") == 0 || strcmp(type, "set") == 0)) {
        const char *why = too_big(l, iq) ? "stanza too big" : over_shape(s, iq);
        if (why) {
            edd_log_debug("component %s: request %s from %s refused: %s", l->jid,
                         ed_elem_attr(iq, "id") ? ed_elem_attr(iq, "id") : "(no id)",
                         ctx->from->full, why);
            return ed_stanza_error(iq, "policy-violation", "modify", why);
        }
    }
    switch (edd_server_handle_iq(s, iq, ctx, &reply)) {
    case EDD_IQ_REPLIED:
        return reply ? reply : ed_stanza_error(iq, "internal-server-error", NULL, NULL);
    case EDD_IQ_CONSUMED:
        *consumed = true;
        return NULL;
    case EDD_IQ_UNHANDLED:
    default:
        return ed_stanza_error(iq, "service-unavailable", NULL, NULL);
    }
}

/* XEP-0355: outer is <iq type='set' from=DOMAIN><delegation><forwarded><iq/>. */
static void delegated(edd_link *l, const ed_elem *outer, const ed_elem *deleg)
{
    const char *ofrom = ed_elem_attr(outer, "from");
    const char *type = ed_elem_attr(outer, "type");
    if (!type || strcmp(type, "result") == 0 || strcmp(type, "error") == 0)
        return; /* never answered (RFC 6120 §8.2.3) */
    if (strcmp(type, "set") != 0) {
        send_free(l, ed_stanza_error(outer, "bad-request", NULL, NULL));
        return;
    }
    if (!ofrom || !link_domain(l, ofrom)) {
        edd_log_warn("component %s: delegation from %s refused (not a domain of this link)",
                    l->jid, ofrom ? ofrom : "(none)");
        send_free(l, ed_stanza_error(outer, "forbidden", NULL, NULL));
        return;
    }
    ed_elem *fwd = ed_elem_child(deleg, "forwarded", ED_NS_FORWARD);
    ed_elem *inner = fwd ? ed_elem_child(fwd, "iq", NULL) : NULL;
    ed_elem *ip = inner ? ed_iq_payload(inner) : NULL;
    edd_link_delegated(l, ip ? ip->ns : NULL); /* the server delegates to us: it is set up */
    const char *ifrom = inner ? ed_elem_attr(inner, "from") : NULL;
    const char *itype = inner ? ed_elem_attr(inner, "type") : NULL;
    ed_jid *from = NULL;
    if (!inner || !ifrom || !itype ||
        ed_jid_parse(ifrom, strlen(ifrom), &from) != ED_OK) {
        send_free(l, ed_stanza_error(outer, "bad-request", NULL, "no forwarded IQ"));
        return;
    }
    if (strcmp(itype, "result") == 0 || strcmp(itype, "error") == 0) {
        /* nothing to answer inside; acknowledge the wrapper */
        ed_jid_free(from);
        send_free(l, ed_iq_result(outer));
        return;
    }
    const char *ito = ed_elem_attr(inner, "to");
    edd_iq_ctx ctx = {
        .from = from,
        .to = ito ? ito : ofrom,
        .to_domain = true,
        .route = {.owner = l, .send = edd_link_route_send},
        .online = false, /* presence (privilege or directed) says so */
    };
    bool consumed;
    ed_elem *ireply = answer(l, inner, &ctx, &consumed);
    ed_jid_free(from);
    /* The reply inside must be from the address the client asked and to
     * the client (both servers check to and id). */
    if (ireply && strcmp(ireply->ns, ED_NS_CLIENT) != 0)
        ireply->ns = ED_NS_CLIENT; /* Prosody checks it; static string */
    ed_elem *r = ed_iq_result(outer);
    ed_elem *d = r ? ed_elem_add(r, "delegation", deleg->ns) : NULL;
    ed_elem *f = d ? ed_elem_add(d, "forwarded", ED_NS_FORWARD) : NULL;
    if (!ireply || !f || !ed_elem_copy(f, ireply)) {
        ed_elem_free(r);
        r = ed_stanza_error(outer, "internal-server-error", NULL, NULL);
    }
    ed_elem_free(ireply);
    send_free(l, r);
}

/* A push (id "ed-N") bounced by the server because the resource is gone:
 * the requester is offline even though no unavailable presence came
 * (ejabberd 23.01 forwards no presence when a client just disconnects). */
static void push_bounced(edd_link *l, const ed_elem *iq, const ed_jid *from)
{
    const char *id = ed_elem_attr(iq, "id");
    ed_elem *err = ed_elem_child(iq, "error", NULL);
    if (!id || strncmp(id, "ed-", 3) != 0 || !err || !from->resource)
        return;
    for (ed_elem *c = ed_elem_first(err); c; c = ed_elem_next(c, NULL, NULL)) {
        if (strcmp(c->ns, ED_NS_STANZAS) != 0)
            continue;
        if (strcmp(c->name, "service-unavailable") == 0 ||
            strcmp(c->name, "recipient-unavailable") == 0 ||
            strcmp(c->name, "item-not-found") == 0) {
            edd_route route = {.owner = l, .send = edd_link_route_send};
            edd_pushes_presence(l->set->s->pushes, from, false, &route);
            edd_log_info("component %s: push to %s bounced (%s): offline", l->jid,
                        from->full, c->name);
        }
        return;
    }
}

static void on_iq(edd_link *l, const ed_elem *iq)
{
    const char *type = ed_elem_attr(iq, "type");
    const char *from = ed_elem_attr(iq, "from");
    if (!type)
        return; /* RFC 6120: an IQ without type is not answered with a result */
    ed_elem *p = ed_elem_first(iq);
    if (p && strcmp(p->name, "delegation") == 0 && is_delegation_ns(p->ns) &&
        !ed_elem_next(p, NULL, NULL)) {
        delegated(l, iq, p);
        return;
    }
    if (edd_link_probe_answer(l, iq))
        return;
    ed_jid *jfrom = NULL;
    if (!from || ed_jid_parse(from, strlen(from), &jfrom) != ED_OK) {
        if (strcmp(type, "get") == 0 || strcmp(type, "set") == 0)
            send_free(l, ed_stanza_error(iq, "jid-malformed", NULL, NULL));
        return;
    }
    if (strcmp(type, "error") == 0)
        push_bounced(l, iq, jfrom);
    edd_iq_ctx ctx = {
        .from = jfrom,
        .to = ed_elem_attr(iq, "to"),
        .to_domain = false,
        .route = {.owner = l, .send = edd_link_route_send},
        .online = false,
    };
    bool consumed;
    ed_elem *reply = answer(l, iq, &ctx, &consumed);
    ed_jid_free(jfrom);
    if (!consumed)
        send_free(l, reply);
}

static void on_presence(edd_link *l, const ed_elem *pr)
{
    const char *from = ed_elem_attr(pr, "from");
    const char *type = ed_elem_attr(pr, "type");
    bool available;
    if (!type)
        available = true;
    else if (strcmp(type, "unavailable") == 0)
        available = false;
    else
        return; /* subscribe, probe, error: not presence information */
    ed_jid *j = NULL;
    if (!from || ed_jid_parse(from, strlen(from), &j) != ED_OK)
        return;
    edd_route route = {.owner = l, .send = edd_link_route_send};
    edd_pushes_presence(l->set->s->pushes, j, available, &route);
    edd_log_debug("component %s: %s is %s", l->jid, j->full, available ? "online" : "offline");
    ed_jid_free(j);
}

static void log_advertisement(edd_link *l, const ed_elem *msg)
{
    const char *from = ed_elem_attr(msg, "from");
    if (!from || !link_domain(l, from)) {
        edd_log_debug("component %s: message from %s ignored (not the server of a domain "
                     "of this link)", l->jid, from ? from : "(none)");
        return;
    }
    for (ed_elem *c = ed_elem_first(msg); c; c = ed_elem_next(c, NULL, NULL)) {
        if (strcmp(c->name, "delegation") == 0 && is_delegation_ns(c->ns)) {
            for (ed_elem *d = ed_elem_child(c, "delegated", NULL); d;
                 d = ed_elem_next(d, "delegated", NULL)) {
                const char *ns = ed_elem_attr(d, "namespace");
                if (ns && strncmp(ns, "urn:xmpp:extdisco:", 18) == 0)
                    edd_link_delegated(l, ns);
                edd_log_info("component %s: %s delegates %s to us (%s)", l->jid,
                            ed_elem_attr(msg, "from") ? ed_elem_attr(msg, "from") : "?",
                            ns ? ns : "?", c->ns);
            }
        } else if (strcmp(c->name, "privilege") == 0 &&
                   (strcmp(c->ns, ED_NS_PRIVILEGE1) == 0 || strcmp(c->ns, ED_NS_PRIVILEGE2) == 0)) {
            for (ed_elem *p = ed_elem_child(c, "perm", NULL); p;
                 p = ed_elem_next(p, "perm", NULL)) {
                const char *acc = ed_elem_attr(p, "access");
                const char *ty = ed_elem_attr(p, "type");
                edd_log_info("component %s: %s grants %s permission %s (%s)", l->jid,
                            ed_elem_attr(msg, "from") ? ed_elem_attr(msg, "from") : "?",
                            acc ? acc : "?", ty ? ty : "(iq)", c->ns);
            }
        }
    }
}

void edd_link_stanza(edd_link *l, ed_elem *st)
{
    if (strcmp(st->name, "iq") == 0)
        on_iq(l, st);
    else if (strcmp(st->name, "presence") == 0)
        on_presence(l, st);
    else if (strcmp(st->name, "message") == 0)
        log_advertisement(l, st);
    else
        edd_log_debug("component %s: ignoring <%s/> from the server", l->jid, st->name);
}
