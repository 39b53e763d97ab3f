/* daemon/c2s/router.c — stanzas from bound sessions: the account table (bound
 * resources per user) and delivery between local users (presence itself:
 * presence.c) by the rules of RFC 6121 §8.5 (bare and full JIDs,
 * service-unavailable where they say so).  IQs to the server or to the
 * user's own account go to roster.c or to edd_server_handle_iq() (disco,
 * ping, XEP-0215, XEP-0279 with the client's address).  No s2s: stanzas for
 * other domains get remote-server-not-found.  A stanza whose serialisation
 * would pass 2 x limits.max_stanza_bytes is refused with policy-violation
 * (over_route_cap). */
#include <event2/util.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "c2s/c2s_int.h"
#include "core/log.h"

/* --- the account table ----------------------------------------------------- */

edd_user *edd_router_user(edd_c2s *c, const char *local)
{
    return c->users ? EDD_HASH_ENTRY(edd_hash_get(c->users, local), edd_user, node) : NULL;
}

static void user_free(edd_c2s *c, edd_user *u)
{
    edd_hash_remove(c->users, &u->node);
    free(u->local);
    free(u);
}

static edd_user *user_get_or_add(edd_c2s *c, const char *local)
{
    if (!c->users) { /* users are bounded by the sessions: no bound here */
        unsigned char key[EDD_HASH_KEY_LEN];
        edd_hash_random_key(key);
        if (!(c->users = edd_hash_new(key, 0)))
            return NULL;
    }
    edd_user *u = edd_router_user(c, local);
    if (u)
        return u;
    u = calloc(1, sizeof *u);
    if (!u || !(u->local = strdup(local))) {
        free(u);
        return NULL;
    }
    u->node.key = u->local;
    if (edd_hash_put(c->users, &u->node) != ED_OK) { /* not reached: no bound */
        free(u->local);
        free(u);
        return NULL;
    }
    return u;
}

void edd_router_free(edd_c2s *c)
{
    if (!c->users)
        return;
    edd_hash_iter it;
    edd_hash_iter_init(&it, c->users);
    for (edd_hash_node *n; (n = edd_hash_iter_next(&it));)
        user_free(c, EDD_HASH_ENTRY(n, edd_user, node));
    edd_hash_free(c->users);
    c->users = NULL;
}

int edd_router_account_exists(edd_c2s *c, const char *local)
{
    if (edd_router_user(c, local))
        return 1;
    edd_account a;
    int r = edd_store_account_get(c->store, local, &a);
    return r < 0 ? -1 : r == 1;
}

static edd_session *find_resource(edd_user *u, const char *resource)
{
    for (edd_session *r = u ? u->res : NULL; r; r = r->rnext)
        if (strcmp(r->jid->resource, resource) == 0)
            return r;
    return NULL;
}

bool edd_router_bind(edd_session *s, const char *resource, const char **condition)
{
    edd_c2s *c = s->c2s;
    ed_jid *full = NULL;
    char gen[24];
    if (!resource) { /* RFC 6120 §7.6.2.1: the server generates one */
        unsigned char r[6];
        evutil_secure_rng_get_bytes(r, sizeof r);
        snprintf(gen, sizeof gen, "ed-%02x%02x%02x%02x%02x%02x", r[0], r[1], r[2], r[3], r[4],
                 r[5]);
        resource = gen;
    }
    if (ed_jid_make(s->jid->local, c->domain, resource, &full) != ED_OK) {
        *condition = "bad-request";
        return false;
    }
    edd_user *u = user_get_or_add(c, full->local);
    if (!u) {
        ed_jid_free(full);
        *condition = "internal-server-error";
        return false;
    }
    edd_session *old = find_resource(u, full->resource);
    if (old) { /* RFC 6120 §7.7.2.2: the new session wins */
        edd_session_stream_error(old, "conflict", "replaced by a new session");
        /* the new session takes old's place now (not when old's close is
         * done): we are in s's own input, no list of ours is being walked;
         * the unbind frees the user record when old was the last resource */
        edd_router_unbind(old);
        if (!(u = user_get_or_add(c, full->local))) {
            ed_jid_free(full);
            *condition = "internal-server-error";
            return false;
        }
    }
    if (u->nres >= EDD_C2S_MAX_RESOURCES) {
        ed_jid_free(full);
        *condition = "resource-constraint";
        return false;
    }
    ed_jid_free(s->jid);
    s->jid = full;
    s->user = u;
    s->rnext = u->res;
    u->res = s;
    u->nres++;
    return true;
}

void edd_router_unbind(edd_session *s)
{
    if (!s->user)
        return;
    edd_c2s *c = s->c2s;
    if (s->available)
        edd_presence_gone(s);
    edd_user *u = s->user;
    for (edd_session **pp = &u->res; *pp; pp = &(*pp)->rnext) {
        if (*pp == s) {
            *pp = s->rnext;
            break;
        }
    }
    s->rnext = NULL;
    s->user = NULL;
    if (--u->nres == 0)
        user_free(c, u);
}

/* --- pending IQs (limits.max_pending_iqs) ------------------------------------- */

/* An IQ get/set a session sent to another local entity (a full JID) that
 * has not been answered yet: the hash of its id and the serial of the
 * session it went to (the answer must come from there).  Entries are kept
 * in a small array grown on demand (no memory while nothing is pending). */
typedef struct pend_ent {
    uint64_t id;
    uint64_t peer;
    int64_t sent;
} pend_ent;

struct edd_pending_iqs {
    uint32_t n, cap;
    pend_ent e[];
};

void edd_router_pending_free(edd_session *s)
{
    free(s->pending);
    s->pending = NULL;
}

/* A fingerprint of st's id (no secret key needed: a collision could only
 * let the peer asked answer another of the asker's IQs, which it can). */
static uint64_t iq_id_key(const ed_elem *st)
{
    static const unsigned char zero[EDD_HASH_KEY_LEN];
    const char *id = ed_elem_attr(st, "id");
    return id ? edd_hash_siphash13(zero, id, strlen(id)) : 0;
}

static void pending_remove(edd_session *s, uint32_t i)
{
    edd_pending_iqs *p = s->pending;
    p->e[i] = p->e[--p->n];
    if (p->n == 0)
        edd_router_pending_free(s);
}

/* s sends the IQ request st to session to: count it.  false when s already
 * has limits.max_pending_iqs unanswered (after dropping the expired). */
static bool pending_add(edd_session *s, const ed_elem *st, const edd_session *to)
{
    edd_c2s *c = s->c2s;
    int64_t max = c->srv->cfg->limits.max_pending_iqs;
    int64_t now = c->srv->clock();
    edd_pending_iqs *p = s->pending;
    if (p && p->n >= max) {
        for (uint32_t i = p->n; i-- > 0;)
            if (now - p->e[i].sent > EDD_C2S_IQ_PENDING_SECS) {
                pending_remove(s, i);
                if (!(p = s->pending))
                    break;
            }
    }
    if (p && p->n >= max) {
        if (!s->pending_logged) {
            edd_log_warn("c2s: %s has %u IQs awaiting replies (limits.max_pending_iqs); "
                        "answering more with resource-constraint", s->jid->full, p->n);
            s->pending_logged = true;
        }
        return false;
    }
    if (!p || p->n == p->cap) {
        uint32_t cap = p ? p->cap * 2 : 4;
        if (cap > max)
            cap = (uint32_t)max;
        edd_pending_iqs *np = realloc(p, sizeof *np + cap * sizeof np->e[0]);
        if (!np)
            return true; /* out of memory: deliver it uncounted */
        if (!p)
            np->n = 0;
        np->cap = cap;
        s->pending = p = np;
    }
    p->e[p->n++] = (pend_ent){.id = iq_id_key(st), .peer = to->serial, .sent = now};
    return true;
}

/* from answers (result or error) the IQ st of session to. */
static void pending_answered(edd_session *to, const ed_elem *st, const edd_session *from)
{
    edd_pending_iqs *p = to->pending;
    if (!p)
        return;
    uint64_t id = iq_id_key(st);
    for (uint32_t i = 0; i < p->n; i++)
        if (p->e[i].id == id && p->e[i].peer == from->serial) {
            pending_remove(to, i);
            return;
        }
}

/* --- delivery --------------------------------------------------------------- */

void edd_router_error(edd_session *s, const ed_elem *st, const char *cond)
{
    const char *type = ed_elem_attr(st, "type");
    if (type && strcmp(type, "error") == 0)
        return; /* never answer an error with an error */
    if (strcmp(st->name, "iq") == 0 && type && strcmp(type, "result") == 0)
        return;
    ed_elem *e = ed_stanza_error(st, cond, NULL, NULL);
    if (e)
        edd_session_send(s, e);
    ed_elem_free(e);
}

static void server_iq(edd_session *s, ed_elem *st, const char *to, bool to_domain)
{
    edd_c2s *c = s->c2s;
    edd_iq_ctx ctx = {
        .from = s->jid,
        .to = to,
        .to_domain = to_domain,
        .peer = (const struct sockaddr *)&s->peer,
        .peerlen = s->peerlen,
        .route = edd_session_route(s),
        .online = s->available,
    };
    ed_elem *reply = NULL;
    switch (edd_server_handle_iq(c->srv, st, &ctx, &reply)) {
    case EDD_IQ_REPLIED:
        if (reply)
            edd_session_send(s, reply);
        else
            edd_router_error(s, st, "internal-server-error");
        ed_elem_free(reply);
        break;
    case EDD_IQ_CONSUMED:
        break;
    case EDD_IQ_UNHANDLED:
        edd_router_error(s, st, "service-unavailable");
        break;
    }
}

/* disco#info/items of the user's own bare JID, answered for the account
 * (RFC 6121 §8.5.1, XEP-0030): an account, with no items; the server's
 * features (XEP-0215, XEP-0279) are on the domain. */
static void account_disco(edd_session *s, const ed_elem *st, bool info)
{
    ed_elem *r = ed_iq_result(st);
    ed_elem *q = r ? ed_elem_add(r, "query", info ? ED_NS_DISCO_INFO : ED_NS_DISCO_ITEMS) : NULL;
    bool ok = q != NULL;
    if (ok && info) {
        ed_elem *id = ed_elem_add(q, "identity", NULL), *f = ed_elem_add(q, "feature", NULL);
        ok = id && f && ed_elem_set_attr(id, "category", "account") == ED_OK &&
             ed_elem_set_attr(id, "type", "registered") == ED_OK &&
             ed_elem_set_attr(f, "var", ED_NS_DISCO_INFO) == ED_OK;
    }
    if (ok)
        edd_session_send(s, r);
    else
        edd_router_error(s, st, "internal-server-error");
    ed_elem_free(r);
}

/* IQs the server answers for the account itself (no `to`, or the user's
 * own bare JID). */
static void own_iq(edd_session *s, ed_elem *st, const char *to)
{
    const char *type = ed_elem_attr(st, "type");
    if (type && (strcmp(type, "result") == 0 || strcmp(type, "error") == 0))
        return; /* e.g. answers to roster and service pushes */
    ed_elem *p = ed_iq_payload(st);
    if (p && strcmp(p->ns, ED_NS_ROSTER) == 0 && strcmp(p->name, "query") == 0) {
        edd_roster_iq(s, st);
    } else if (p && strcmp(p->ns, ED_NS_SESSION) == 0 && strcmp(p->name, "session") == 0) {
        ed_elem *r = ed_iq_result(st);
        if (r)
            edd_session_send(s, r);
        ed_elem_free(r);
    } else if (p && strcmp(p->ns, ED_NS_BIND) == 0) {
        edd_router_error(s, st, "not-allowed");
    } else if (to && p && strcmp(p->name, "query") == 0 && type && strcmp(type, "get") == 0 &&
               !ed_elem_attr(p, "node") &&
               (strcmp(p->ns, ED_NS_DISCO_INFO) == 0 || strcmp(p->ns, ED_NS_DISCO_ITEMS) == 0)) {
        account_disco(s, st, strcmp(p->ns, ED_NS_DISCO_INFO) == 0);
    } else {
        server_iq(s, st, to ? to : s->c2s->domain, to == NULL);
    }
}

static bool is_sic(const ed_elem *st)
{
    ed_elem *p = ed_iq_payload(st);
    return p && (strcmp(p->ns, ED_NS_SIC1) == 0 || strcmp(p->ns, ED_NS_SIC0) == 0);
}

/* Message to a local bare JID (RFC 6121 §8.5.2). */
static void message_to_bare(edd_session *s, ed_elem *st, edd_user *u)
{
    const char *type = ed_elem_attr(st, "type");
    if (!type)
        type = "normal";
    if (strcmp(type, "error") == 0)
        return;
    if (strcmp(type, "groupchat") == 0) {
        edd_router_error(s, st, "service-unavailable");
        return;
    }
    int best = -1;
    for (edd_session *r = u ? u->res : NULL; r; r = r->rnext)
        if (edd_session_online(r) && r->priority >= 0 && r->priority > best)
            best = r->priority;
    if (best < 0) {
        /* no offline storage: normal and chat bounce, headline is dropped */
        if (strcmp(type, "headline") != 0)
            edd_router_error(s, st, "service-unavailable");
        return;
    }
    bool headline = strcmp(type, "headline") == 0;
    for (edd_session *r = u->res; r; r = r->rnext)
        if (edd_session_online(r) && r->priority >= 0 && (headline || r->priority == best))
            edd_session_send(r, st);
}

/* A subscription presence handled by roster.c; a change the store refused
 * (disk full) was delivered to nobody: the sender learns it. */
static void subscription(edd_session *s, const ed_elem *st, const char *contact,
                         const char *type)
{
    if (!edd_roster_subscription(s, contact, type))
        edd_router_error(s, st, "resource-constraint");
}

/* The serialised size of a stanza routed between local users is bounded:
 * twice limits.max_stanza_bytes (what one stanza may cost on the wire),
 * never more than half a recipient's output queue, so no stanza from one
 * user can cut another's session ("output queue full").  The serialiser
 * keeps output proportional to input (lib/xml_write.c); this is the hard
 * cap on top.  Over it the sender gets policy-violation and nothing is
 * delivered.  Cost: one more serialisation per routed stanza, into a
 * buffer that stops at the cap. */
static size_t route_cap(const edd_c2s *c)
{
    size_t cap = c->xlim.max_stanza_bytes;
    cap = cap > EDD_C2S_OUT_MAX / 4 ? EDD_C2S_OUT_MAX / 2 : 2 * cap;
    return cap ? cap : EDD_C2S_OUT_MAX / 2;
}

static bool over_route_cap(edd_session *s, const ed_elem *st)
{
    ed_buf b = {.max = route_cap(s->c2s)};
    ed_err e = ed_xml_write(&b, st, ED_NS_CLIENT);
    ed_buf_free(&b);
    if (e != ED_ELIMIT)
        return false;
    edd_router_error(s, st, "policy-violation");
    return true;
}

static void to_local_user(edd_session *s, ed_elem *st, const ed_jid *to)
{
    edd_c2s *c = s->c2s;
    const char *kind = st->name;
    const char *type = ed_elem_attr(st, "type");
    bool own = strcmp(to->local, s->jid->local) == 0;
    edd_user *u = edd_router_user(c, to->local);
    bool presence = kind[0] == 'p', message = kind[0] == 'm';
    bool iq_request = kind[0] == 'i' && type &&
                      (strcmp(type, "get") == 0 || strcmp(type, "set") == 0);

    if (iq_request && !own && is_sic(st)) {
        /* XEP-0279: forbidden, existing account or not (no account probe) */
        server_iq(s, st, ed_elem_attr(st, "to"), false);
        return;
    }
    int exists = u || own ? 1 : edd_router_account_exists(c, to->local);
    if (exists < 0) {
        /* the database cannot say (locked, failing): not "no such
         * account", which would answer a subscribe with unsubscribed */
        if (!presence || (type && strcmp(type, "subscribe") == 0))
            edd_router_error(s, st, "resource-constraint");
        return;
    }
    if (!exists) {
        if (!presence) /* §8.5.1: no such account */
            edd_router_error(s, st, "service-unavailable");
        else if (type && strcmp(type, "subscribe") == 0) /* §3.1.3: unsubscribed */
            subscription(s, st, to->local, type);
        return;
    }
    if (over_route_cap(s, st))
        return;
    /* §3.1.2, §4.3.2, §8.5.3.1: subscription presence and probes to a full
     * JID are the server's business, as for the bare JID */
    bool sub_or_probe = presence && type &&
                        (strcmp(type, "subscribe") == 0 || strcmp(type, "subscribed") == 0 ||
                         strcmp(type, "unsubscribe") == 0 || strcmp(type, "unsubscribed") == 0 ||
                         strcmp(type, "probe") == 0);
    if (presence && !own)
        edd_presence_directed(s, to->full, type);
    if (to->resource && !sub_or_probe) {
        edd_session *r = find_resource(u, to->resource);
        if (r && (!presence || r != s)) {
            if (iq_request && !pending_add(s, st, r)) {
                edd_router_error(s, st, "resource-constraint");
                return;
            }
            if (kind[0] == 'i' && !iq_request)
                pending_answered(r, st, s);
            edd_session_send(r, st);
            return;
        }
        /* §8.5.3.2: no such resource */
        if (message) {
            if (type && strcmp(type, "groupchat") == 0)
                edd_router_error(s, st, "service-unavailable");
            else
                message_to_bare(s, st, u);
        } else if (presence) {
            if (type && strncmp(type, "subscri", 7) != 0 && strncmp(type, "unsubscri", 9) != 0)
                return;
            if (type)
                subscription(s, st, to->local, type);
        } else if (iq_request) {
            edd_router_error(s, st, "service-unavailable");
        }
        return;
    }
    /* bare JID */
    if (message) {
        message_to_bare(s, st, u);
    } else if (presence) {
        if (type && (strcmp(type, "subscribe") == 0 || strcmp(type, "subscribed") == 0 ||
                     strcmp(type, "unsubscribe") == 0 || strcmp(type, "unsubscribed") == 0)) {
            if (!own)
                subscription(s, st, to->local, type);
        } else if (type && strcmp(type, "probe") == 0) {
            edd_roster_item it;
            if (!own && edd_store_roster_get(c->store, to->local, s->jid->bare, &it) == 1) {
                if (it.sub & EDD_SUB_FROM)
                    edd_presence_between(c, to->local, s->jid->local, false, s);
                edd_roster_item_clear(&it);
            }
        } else if (!type || strcmp(type, "unavailable") == 0) {
            for (edd_session *r = u ? u->res : NULL; r; r = r->rnext)
                if (r->available && r != s)
                    edd_session_send(r, st);
        }
    } else if (own) {
        own_iq(s, st, ed_elem_attr(st, "to"));
    } else if (iq_request) {
        edd_router_error(s, st, "service-unavailable");
    }
}

/* A stanza to the server's bare domain. */
static void to_server(edd_session *s, ed_elem *st, const char *tos, const char *type)
{
    if (st->name[0] == 'i') {
        server_iq(s, st, tos, true);
    } else if (st->name[0] == 'm' && (!type || (strcmp(type, "error") != 0 &&
                                                 strcmp(type, "headline") != 0))) {
        edd_router_error(s, st, "service-unavailable"); /* normal (no type) too */
    }
    /* presence to the server: nothing to do */
}

void edd_router_stanza(edd_session *s, ed_elem *st)
{
    edd_c2s *c = s->c2s;
    const char *from = ed_elem_attr(st, "from");
    if (from && strcmp(from, s->jid->full) != 0) { /* the same string needs no parse */
        ed_jid *f = NULL;
        bool ok = ed_jid_parse(from, strlen(from), &f) == ED_OK &&
                  (ed_jid_eq_full(f, s->jid) ||
                   (!f->resource && ed_jid_eq_bare(f, s->jid)));
        ed_jid_free(f);
        if (!ok) {
            edd_session_stream_error(s, "invalid-from", "not your JID");
            return;
        }
    }
    if (ed_elem_set_attr(st, "from", s->jid->full) != ED_OK ||
        (s->lang && !ed_elem_attr(st, "xml:lang") &&
         ed_elem_set_attr(st, "xml:lang", s->lang) != ED_OK)) { /* RFC 6120 §8.1.5 */
        edd_session_close(s, EDD_CLOSE_ABORT);
        return;
    }
    const char *tos = ed_elem_attr(st, "to");
    const char *type = ed_elem_attr(st, "type");
    if (st->name[0] == 'i') { /* RFC 6120 §8.2.3: type and id are required */
        bool request = type && (strcmp(type, "get") == 0 || strcmp(type, "set") == 0);
        bool reply = type && (strcmp(type, "result") == 0 || strcmp(type, "error") == 0);
        if (!request && !reply) {
            edd_router_error(s, st, "bad-request");
            return;
        }
        if (!ed_elem_attr(st, "id")) {
            if (request)
                edd_router_error(s, st, "bad-request");
            return; /* a reply without id answers nothing */
        }
    }
    if (!tos) {
        if (st->name[0] == 'i')
            own_iq(s, st, NULL);
        else if (st->name[0] == 'p')
            edd_presence_from_client(s, st, type);
        else
            message_to_bare(s, st, s->user); /* RFC 6120 §10.3.1 */
        return;
    }
    if (strcmp(tos, c->domain) == 0) { /* the server itself: the usual case, no parse */
        to_server(s, st, tos, type);
        return;
    }
    ed_jid *to = NULL;
    if (ed_jid_parse(tos, strlen(tos), &to) != ED_OK) {
        if (st->name[0] != 'p')
            edd_router_error(s, st, "jid-malformed");
        ed_jid_free(to);
        return;
    }
    if (strcmp(to->domain, c->domain) != 0) {
        if (st->name[0] != 'p')
            edd_router_error(s, st, "remote-server-not-found"); /* no s2s */
    } else if (!to->local) {
        if (to->resource) {
            if (st->name[0] == 'i')
                edd_router_error(s, st, "service-unavailable");
        } else {
            to_server(s, st, tos, type);
        }
    } else if (!to->resource && strcmp(to->local, s->jid->local) == 0 &&
               st->name[0] == 'p' && !type) {
        edd_presence_from_client(s, st, NULL); /* presence to one's own bare JID */
    } else {
        to_local_user(s, st, to);
    }
    ed_jid_free(to);
}
