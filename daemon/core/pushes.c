/* daemon/core/pushes.c — who asked for services, who is online, and the pushes a
 * reload, a health change or a provider's new result sends them (XEP-0215
 * §3.2: only to requesters with presence), each requester's for the
 * services of its own networks (by its address and domain).
 *
 * A table keyed by full JID (hash.h, under a random key).  An entry exists while the JID is online or
 * has asked; it is pushable when both.  Pushes are fire-and-forget: their
 * replies (Psi sends none, Conversations an error) are consumed by the
 * handler without being matched.
 *
 * Attached to the server (edd_pushes_attach, component mode), presence is
 * kept only for JIDs the access policy lets list services, and the entries
 * of component links expire when idle (EDD_PUSHES_IDLE_SECS without a request
 * or available presence): a host server that never says a client left, or
 * that forwards presence from every federated domain, cannot fill the table
 * for good. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "core/hash.h"
#include "core/log.h"
#include "core/metrics.h"
#include "core/server.h"

typedef struct entry {
    edd_hash_node node; /* in edd_pushes.tab, keyed by full */
    char *full;
    char *type;    /* filter of the last request, NULL = all */
    char *self;    /* from of pushes: the address the request went to */
    char *lang;    /* xml:lang of the last request, NULL = none */
    int version;   /* 0 = never asked */
    bool online;
    int64_t seen;  /* last request or available presence (attached only) */
    edd_route route;
    ed_jid *jid;
} entry;

struct edd_pushes {
    edd_hash *tab;      /* the entries (owned: freed with the table) */
    size_t max;
    bool full_warned;  /* "table full" logged; again only after room was made */
    /* edd_pushes_attach: clock and policy; entries routed through `expiring`
     * expire when idle */
    const edd_server *srv;
    void (*expiring)(void *owner, const ed_elem *stanza);
    int64_t last_sweep; /* when the full table was last scanned for idle ones */
    bool swept;         /* last_sweep is set */
};

/* Idle expired entries scanned for at most once this often while full. */
#define SWEEP_EVERY_SECS 60

edd_pushes *edd_pushes_new(size_t max_entries)
{
    edd_pushes *p = calloc(1, sizeof *p);
    if (!p)
        return NULL;
    p->max = max_entries ? max_entries : 1000000;
    unsigned char key[EDD_HASH_KEY_LEN];
    edd_hash_random_key(key);
    if (!(p->tab = edd_hash_new(key, p->max))) {
        free(p);
        return NULL;
    }
    return p;
}

static void entry_free(entry *e)
{
    free(e->full);
    free(e->type);
    free(e->self);
    free(e->lang);
    ed_jid_free(e->jid);
    free(e);
}

/* Take e out of the table and free it (e: the entry the caller's
 * iteration is on, or any when none is). */
static void drop(edd_pushes *p, entry *e)
{
    edd_hash_remove(p->tab, &e->node);
    entry_free(e);
    p->full_warned = false;
}

void edd_pushes_free(edd_pushes *p)
{
    if (!p)
        return;
    edd_hash_iter it;
    edd_hash_iter_init(&it, p->tab);
    for (edd_hash_node *n; (n = edd_hash_iter_next(&it));)
        drop(p, EDD_HASH_ENTRY(n, entry, node));
    edd_hash_free(p->tab);
    free(p);
}

static entry *lookup(const edd_pushes *p, const char *full)
{
    return EDD_HASH_ENTRY(edd_hash_get(p->tab, full), entry, node);
}

static int64_t now_of(const edd_pushes *p)
{
    return p->srv && p->srv->clock ? p->srv->clock() : (int64_t)time(NULL);
}

static bool idle(const edd_pushes *p, const entry *e, int64_t now)
{
    return p->expiring && e->route.send == p->expiring &&
           now - e->seen > (int64_t)EDD_PUSHES_IDLE_SECS;
}

/* Drop every idle entry; returns how many. */
static size_t sweep(edd_pushes *p, int64_t now)
{
    size_t n = 0;
    if (!p->expiring)
        return 0;
    edd_hash_iter it;
    edd_hash_iter_init(&it, p->tab);
    for (edd_hash_node *hn; (hn = edd_hash_iter_next(&it));) {
        entry *e = EDD_HASH_ENTRY(hn, entry, node);
        if (idle(p, e, now)) {
            drop(p, e);
            n++;
        }
    }
    if (n) {
        edd_log_info("push table: %zu entries idle for over %d h dropped", n,
                    (int)(EDD_PUSHES_IDLE_SECS / 3600));
    }
    return n;
}

static entry *get_or_add(edd_pushes *p, const ed_jid *full)
{
    entry *e = lookup(p, full->full);
    if (e)
        return e;
    if (edd_hash_count(p->tab) >= p->max && p->expiring) {
        int64_t now = now_of(p);
        if (!p->swept || now - p->last_sweep >= SWEEP_EVERY_SECS ||
            now < p->last_sweep) {
            p->swept = true;
            p->last_sweep = now;
            sweep(p, now);
        }
    }
    if (edd_hash_count(p->tab) >= p->max) {
        if (!p->full_warned)
            edd_log_warn("push table full (%zu entries): %s and later new requesters get no "
                        "pushes until some go offline", p->max, full->full);
        p->full_warned = true;
        return NULL;
    }
    e = calloc(1, sizeof *e);
    if (!e || !(e->full = strdup(full->full)) || !(e->jid = ed_jid_dup(full))) {
        if (e)
            entry_free(e);
        return NULL;
    }
    e->node.key = e->full;
    if (edd_hash_put(p->tab, &e->node) != ED_OK) { /* not reached: count < max */
        entry_free(e);
        return NULL;
    }
    return e;
}

static void remove_entry(edd_pushes *p, const char *full)
{
    entry *e = lookup(p, full);
    if (e)
        drop(p, e);
}

static bool set_str(char **dst, const char *src)
{
    if (src ? *dst && strcmp(*dst, src) == 0 : !*dst)
        return true; /* unchanged: the usual case of a client asking again */
    char *c = NULL;
    if (src && !(c = strdup(src)))
        return false;
    free(*dst);
    *dst = c;
    return true;
}

void edd_pushes_record(edd_pushes *p, const ed_jid *full, int version,
                      const char *type_filter, const char *lang, const char *self,
                      const edd_route *route, bool online)
{
    if (!full->resource)
        return; /* pushes go to a resource; a bare requester has none */
    entry *e = get_or_add(p, full);
    if (!e)
        return;
    if (!set_str(&e->type, type_filter) || !set_str(&e->lang, lang) ||
        !set_str(&e->self, self)) {
        remove_entry(p, full->full);
        return;
    }
    e->version = version;
    e->route = *route;
    if (online)
        e->online = true;
    if (p->expiring)
        e->seen = now_of(p);
}

void edd_pushes_presence(edd_pushes *p, const ed_jid *full, bool available,
                        const edd_route *route)
{
    if (!full->resource)
        return;
    if (!available) {
        remove_entry(p, full->full);
        return;
    }
    if (p->srv && !edd_registry_policy_for(p->srv->reg, full).may_list)
        return; /* could never get a push: not worth an entry */
    entry *e = get_or_add(p, full);
    if (!e)
        return;
    e->online = true;
    if (!e->version)
        e->route = *route;
    if (p->expiring)
        e->seen = now_of(p);
}

void edd_pushes_attach(edd_pushes *p, const edd_server *s,
                      void (*send)(void *owner, const ed_elem *stanza))
{
    p->srv = s;
    p->expiring = s ? send : NULL;
    p->swept = false;
}

void edd_pushes_forget_owner(edd_pushes *p, void *owner)
{
    edd_hash_iter it;
    edd_hash_iter_init(&it, p->tab);
    for (edd_hash_node *n; (n = edd_hash_iter_next(&it));) {
        entry *e = EDD_HASH_ENTRY(n, entry, node);
        if (e->route.owner == owner)
            drop(p, e);
    }
}

size_t edd_pushes_count(const edd_pushes *p, size_t *online)
{
    if (online) {
        size_t n = 0;
        edd_hash_iter it;
        edd_hash_iter_init(&it, p->tab);
        for (edd_hash_node *hn; (hn = edd_hash_iter_next(&it));) {
            const entry *e = EDD_HASH_ENTRY(hn, entry, node);
            n += e->online && e->version;
        }
        *online = n;
    }
    return edd_hash_count(p->tab);
}

/* The defs of offer o that `e` is offered (its networks, netscope.h): a
 * new array of shallow copies, NULL on failure. */
static ed_service_def *select_for(const edd_offer *o, const entry *e, size_t *n)
{
    size_t cap = o->n + (o->extra ? o->extra->n : 0);
    ed_service_def *v = calloc(cap ? cap : 1, sizeof *v);
    if (v)
        *n = edd_registry_select(o->reg, o->defs, o->masks, o->n, o->extra, e->jid,
                                 e->route.peer, e->route.peerlen, v, cap);
    return v;
}

/* The records `e` sees in offer o, for the diff: no minted credentials
 * (they differ on every call); static ones with creds
 * ED_XEP0215_CREDS_STATIC, so that changing them is a `modify`. */
static ed_service *public_view(const edd_offer *o, const entry *e, int64_t now,
                               ed_xep0215_creds creds, size_t *n)
{
    size_t nd = 0;
    const ed_jid *who = e->jid;
    ed_service_def *defs = select_for(o, e, &nd);
    ed_service *v = defs ? calloc(nd ? nd : 1, sizeof *v) : NULL;
    if (!v) {
        free(defs);
        return NULL;
    }
    for (size_t i = 0; i < nd; i++) {
        if (ed_xep0215_materialize_creds(&defs[i], who, now, creds, &v[i]) != ED_OK) {
            ed_services_free(v, i);
            free(defs);
            return NULL;
        }
    }
    free(defs);
    *n = nd;
    return v;
}

/* Give add/modify entries the credentials the requester would get now. */
static bool add_credentials(ed_service *chg, size_t n, const edd_offer *nwo,
                            const entry *e, int64_t now)
{
    const ed_jid *who = e->jid;
    ed_xep0215_policy pol = edd_registry_policy_for(nwo->reg, who);
    if (!pol.may_credentials || !pol.inline_credentials)
        return true;
    size_t nd = 0;
    ed_service_def *defs = select_for(nwo, e, &nd);
    if (!defs)
        return false;
    for (size_t i = 0; i < n; i++) {
        if (chg[i].action == ED_ACTION_DELETE)
            continue;
        for (size_t k = 0; k < nd; k++) {
            if (!ed_service_same_identity(&defs[k].svc, &chg[i]))
                continue;
            ed_service full;
            if (ed_xep0215_materialize(&defs[k], who, now, true, &full) != ED_OK) {
                free(defs);
                return false;
            }
            full.action = chg[i].action;
            ed_service_clear(&chg[i]);
            chg[i] = full;
            break;
        }
    }
    free(defs);
    return true;
}

size_t edd_pushes_send(edd_pushes *p, edd_server *s, const edd_offer *old,
                      const edd_offer *nw)
{
    size_t sent = 0;
    int64_t now = s->clock();
    sweep(p, now_of(p)); /* no pushes to long-idle entries */
    edd_hash_iter it;
    edd_hash_iter_init(&it, p->tab);
    for (edd_hash_node *hn; (hn = edd_hash_iter_next(&it));) {
        entry *e = EDD_HASH_ENTRY(hn, entry, node);
        if (!e->online || !e->version || !e->route.send)
            continue;
        size_t no = 0, nn = 0, nc = 0;
        /* static credentials take part in the diff only for a requester
         * who gets credentials inline (else the push would leak them) */
        ed_xep0215_policy pol = edd_registry_policy_for(nw->reg, e->jid);
        ed_xep0215_creds creds = pol.may_credentials && pol.inline_credentials
                                     ? ED_XEP0215_CREDS_STATIC
                                     : ED_XEP0215_CREDS_NONE;
        ed_service *ov = public_view(old, e, now, creds, &no);
        ed_service *nv = public_view(nw, e, now, creds, &nn);
        ed_service *chg = NULL;
        bool ok = ov && nv &&
                  ed_service_diff(ov, no, nv, nn, e->type, &chg, &nc) == ED_OK &&
                  add_credentials(chg, nc, nw, e, now);
        ed_services_free(ov, no);
        ed_services_free(nv, nn);
        if (ok && nc > 0 && pol.may_list) {
            char id[32];
            /* names in the requester's language, as in its reply */
            const char *lang = e->lang;
            if (lang && pol.default_lang && strcasecmp(lang, pol.default_lang) == 0)
                lang = NULL;
            ed_elem *push = ed_xep0215_push(e->self, e->full,
                                            edd_server_next_id(s, id, sizeof id),
                                            e->version, e->type, lang, chg, nc);
            if (push) {
                /* sends never close synchronously (a full queue dooms a
                 * session for later), so no entry goes away under `it` */
                e->route.send(e->route.owner, push);
                ed_elem_free(push);
                sent++;
                edd_metrics_g.pushes++;
                for (size_t i = 0; i < nc; i++)
                    edd_metrics_g.push_changes[chg[i].action == ED_ACTION_DELETE ? EDD_MPA_DELETE
                                               : chg[i].action == ED_ACTION_MODIFY ? EDD_MPA_MODIFY
                                                                                   : EDD_MPA_ADD]++;
            }
        } else if (!ok) {
            edd_log_warn("could not compute the push for %s", e->full);
        }
        ed_services_free(chg, nc);
    }
    return sent;
}
