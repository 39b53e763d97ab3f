/* lib/service_view.c — client-side XEP-0215 service view (sans I/O); see
 * include/extdisco/service_view.h. */
#include "extdisco/service_view.h"

#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "extdisco/stanza.h"
#include "extdisco/xep0215.h"
#include "str_priv.h"

typedef struct view_entry {
    ed_service svc;
    int64_t received;
} view_entry;

struct ed_service_view {
    view_entry *e;
    size_t n;
    int64_t floor_s;
};

/* Pushes carry at most this many <service/> children. */
#define MAX_PUSH_SERVICES ED_VIEW_MAX_SERVICES

static bool ns_extdisco(const char *ns)
{
    return ns && (strcmp(ns, ED_NS_EXTDISCO2) == 0 ||
                  strcmp(ns, ED_NS_EXTDISCO1) == 0);
}

static bool is_payload(const ed_elem *p, const char *name)
{
    return p && p->name && strcmp(p->name, name) == 0 && ns_extdisco(p->ns);
}

/* key's absent port (-1) or transport (NULL) match anything. */
static bool match_loose(const ed_service *entry, const ed_service *key)
{
    if (!str_eq(entry->type, key->type) || !str_case_eq(entry->host, key->host))
        return false;
    if (key->port >= 0 && entry->port != key->port)
        return false;
    if (key->transport && !str_case_eq(entry->transport, key->transport))
        return false;
    return true;
}

void ed_view_changes_free(ed_view_change *c, size_t n)
{
    if (!c)
        return;
    for (size_t i = 0; i < n; i++)
        ed_service_clear(&c[i].svc);
    free(c);
}

ed_service_view *ed_service_view_new(void)
{
    ed_service_view *v = calloc(1, sizeof *v);
    if (v)
        v->floor_s = ED_VIEW_REFRESH_FLOOR;
    return v;
}

static void entries_free(view_entry *e, size_t n)
{
    if (!e)
        return;
    for (size_t i = 0; i < n; i++)
        ed_service_clear(&e[i].svc);
    free(e);
}

void ed_service_view_free(ed_service_view *v)
{
    if (!v)
        return;
    entries_free(v->e, v->n);
    free(v);
}

ed_err ed_service_view_set_floor(ed_service_view *v, int64_t floor_s)
{
    if (!v || floor_s < 1)
        return ED_EINVAL;
    v->floor_s = floor_s;
    return ED_OK;
}

size_t ed_service_view_count(const ed_service_view *v)
{
    return v ? v->n : 0;
}

const ed_service *ed_service_view_get(const ed_service_view *v, size_t i)
{
    return (v && i < v->n) ? &v->e[i].svc : NULL;
}

int64_t ed_service_view_received(const ed_service_view *v, size_t i)
{
    return (v && i < v->n) ? v->e[i].received : 0;
}

/* A deep copy of the entries with room for `extra` more (all zeroed). */
static ed_err entries_copy(const ed_service_view *v, size_t extra,
                           view_entry **out)
{
    *out = calloc(v->n + extra + 1, sizeof **out);
    if (!*out)
        return ED_ENOMEM;
    for (size_t i = 0; i < v->n; i++) {
        if (ed_service_copy(&(*out)[i].svc, &v->e[i].svc) != ED_OK) {
            entries_free(*out, i);
            *out = NULL;
            return ED_ENOMEM;
        }
        (*out)[i].received = v->e[i].received;
    }
    return ED_OK;
}

ed_err ed_service_view_apply_result(ed_service_view *v, const ed_elem *payload,
                                    int64_t now, size_t *skipped)
{
    if (skipped)
        *skipped = 0;
    if (!v)
        return ED_EINVAL;
    if (!is_payload(payload, "services"))
        return ED_SVC_NOT_EXTDISCO;
    ed_service *svcs = NULL;
    size_t ns = 0, bad = 0;
    ed_err err = ed_xep0215_parse_services(payload, &svcs, &ns, &bad);
    if (err)
        return err;
    const char *filter = ed_elem_attr(payload, "type");
    if (filter && !*filter)
        filter = NULL;
    size_t keep = 0;
    for (size_t i = 0; filter && i < v->n; i++)
        if (!str_eq(v->e[i].svc.type, filter))
            keep++;
    if (keep + ns > ED_VIEW_MAX_SERVICES) {
        ed_services_free(svcs, ns);
        return ED_ELIMIT;
    }
    view_entry *ne = calloc(keep + ns + 1, sizeof *ne);
    if (!ne) {
        ed_services_free(svcs, ns);
        return ED_ENOMEM;
    }
    size_t k = 0;
    for (size_t i = 0; filter && i < v->n; i++) {
        if (str_eq(v->e[i].svc.type, filter))
            continue;
        /* Move the kept entry (the old array is freed without it). */
        ne[k] = v->e[i];
        ed_service_init(&v->e[i].svc);
        k++;
    }
    for (size_t i = 0; i < ns; i++) {
        ne[k].svc = svcs[i]; /* moved */
        ne[k].svc.action = ED_ACTION_NONE;
        ne[k].received = now;
        k++;
    }
    free(svcs); /* members moved */
    entries_free(v->e, v->n);
    v->e = ne;
    v->n = k;
    if (skipped)
        *skipped = bad;
    return ED_OK;
}

static ed_err set_str(char **dst, const char *src)
{
    char *c = NULL;
    if (src && !(c = strdup(src)))
        return ED_ENOMEM;
    free(*dst);
    *dst = c;
    return ED_OK;
}

ed_err ed_service_view_apply_credentials(ed_service_view *v,
                                         const ed_elem *payload, int64_t now,
                                         size_t *updated)
{
    if (updated)
        *updated = 0;
    if (!v)
        return ED_EINVAL;
    if (!is_payload(payload, "credentials") && !is_payload(payload, "services"))
        return ED_SVC_NOT_EXTDISCO;
    ed_service *svcs = NULL;
    size_t ns = 0;
    ed_err err = ed_xep0215_parse_services(payload, &svcs, &ns, NULL);
    if (err)
        return err;
    /* Work on a copy so that an allocation failure leaves v as it was. */
    view_entry *ne = NULL;
    if ((err = entries_copy(v, 0, &ne))) {
        ed_services_free(svcs, ns);
        return err;
    }
    size_t cnt = 0;
    for (size_t j = 0; j < ns && !err; j++) {
        const ed_service *c = &svcs[j];
        if (!c->username && !c->password && !c->expires)
            continue;
        for (size_t i = 0; i < v->n && !err; i++) {
            if (!match_loose(&ne[i].svc, c))
                continue;
            if ((err = set_str(&ne[i].svc.username, c->username)) ||
                (err = set_str(&ne[i].svc.password, c->password)))
                break;
            ne[i].svc.expires = c->expires;
            if (c->restricted >= 0)
                ne[i].svc.restricted = c->restricted;
            ne[i].received = now;
            cnt++;
        }
    }
    ed_services_free(svcs, ns);
    if (err) {
        entries_free(ne, v->n);
        return err;
    }
    entries_free(v->e, v->n);
    v->e = ne;
    if (updated)
        *updated = cnt;
    return ED_OK;
}

/* Parse every <service/> of a push strictly. */
static ed_err parse_push(const ed_elem *payload, ed_service **out, size_t *n)
{
    size_t cnt = 0;
    for (const ed_elem *e = ed_elem_child(payload, "service", payload->ns); e;
         e = ed_elem_next(e, "service", payload->ns))
        if (++cnt > MAX_PUSH_SERVICES)
            return ED_ELIMIT;
    ed_service *s = calloc(cnt + 1, sizeof *s);
    if (!s)
        return ED_ENOMEM;
    size_t k = 0;
    for (const ed_elem *e = ed_elem_child(payload, "service", payload->ns); e;
         e = ed_elem_next(e, "service", payload->ns)) {
        ed_err err = ed_service_from_elem(e, &s[k]);
        if (err) {
            ed_services_free(s, k);
            return err;
        }
        k++;
    }
    *out = s;
    *n = k;
    return ED_OK;
}

/* Append a change record (copy of svc). */
static ed_err note_change(ed_view_change **c, size_t *n, size_t *cap,
                          ed_action a, const ed_service *svc)
{
    if (*n == *cap) {
        size_t nc = *cap ? *cap * 2 : 8;
        ed_view_change *p = realloc(*c, nc * sizeof *p);
        if (!p)
            return ED_ENOMEM;
        *c = p;
        *cap = nc;
    }
    if (ed_service_copy(&(*c)[*n].svc, svc) != ED_OK)
        return ED_ENOMEM;
    (*c)[*n].svc.action = ED_ACTION_NONE;
    (*c)[*n].action = a;
    (*n)++;
    return ED_OK;
}

/* Replace entry e with a deep copy of p (received at now).  What p omits
 * of the identity (port, transport) is kept from e, and a p without
 * credentials keeps e's.  On ED_ENOMEM e is unchanged. */
static ed_err update_entry(view_entry *e, const ed_service *p, int64_t now)
{
    ed_service n;
    if (ed_service_copy(&n, p) != ED_OK)
        return ED_ENOMEM;
    n.action = ED_ACTION_NONE;
    if (n.port < 0)
        n.port = e->svc.port;
    if (!n.transport && e->svc.transport && !(n.transport = strdup(e->svc.transport))) {
        ed_service_clear(&n);
        return ED_ENOMEM;
    }
    bool fresh = p->username || p->password || p->expires;
    if (!fresh) {
        /* A modify without credentials keeps the ones already held. */
        n.username = e->svc.username;
        n.password = e->svc.password;
        n.expires = e->svc.expires;
        e->svc.username = e->svc.password = NULL;
    }
    ed_service_clear(&e->svc);
    e->svc = n; /* moved */
    if (fresh)
        e->received = now;
    return ED_OK;
}

/* Apply one parsed push entry to the working array (w, *wn, capacity wcap).
 * delete and modify match loosely (what p omits of port and transport
 * matches anything: every such entry is deleted or updated); add, or a
 * modify that matches nothing, replaces the entry of the same identity or
 * appends. */
static ed_err apply_one(view_entry *w, size_t *wn, size_t wcap, ed_service *p,
                        int64_t now, bool report, ed_view_change **ch,
                        size_t *nch, size_t *chcap)
{
    ed_err err = ED_OK;
    if (p->action == ED_ACTION_DELETE) {
        size_t i = 0;
        while (i < *wn) {
            if (!match_loose(&w[i].svc, p)) {
                i++;
                continue;
            }
            if (report && (err = note_change(ch, nch, chcap, ED_ACTION_DELETE,
                                             &w[i].svc)))
                return err;
            ed_service_clear(&w[i].svc);
            memmove(&w[i], &w[i + 1], (*wn - i - 1) * sizeof *w);
            (*wn)--;
        }
        return ED_OK;
    }
    size_t hits = 0;
    for (size_t i = 0; i < *wn; i++) {
        bool m = p->action == ED_ACTION_MODIFY ? match_loose(&w[i].svc, p)
                                               : ed_service_same_identity(&w[i].svc, p);
        if (!m)
            continue;
        if ((err = update_entry(&w[i], p, now)))
            return err;
        if (report && (err = note_change(ch, nch, chcap, ED_ACTION_MODIFY, &w[i].svc)))
            return err;
        hits++;
        if (p->action != ED_ACTION_MODIFY)
            break; /* add: the one entry of that identity */
    }
    if (hits)
        return ED_OK;
    if (*wn >= ED_VIEW_MAX_SERVICES || *wn >= wcap)
        return ED_ELIMIT;
    p->action = ED_ACTION_NONE;
    w[*wn].svc = *p; /* moved */
    ed_service_init(p);
    w[*wn].received = now;
    (*wn)++;
    if (report)
        err = note_change(ch, nch, chcap, ED_ACTION_ADD, &w[*wn - 1].svc);
    return err;
}

ed_err ed_service_view_apply_push(ed_service_view *v, const ed_elem *payload,
                                  int64_t now, ed_view_change **changes,
                                  size_t *nchanges)
{
    if (changes)
        *changes = NULL;
    if (nchanges)
        *nchanges = 0;
    if (!v)
        return ED_EINVAL;
    if (!is_payload(payload, "services"))
        return ED_SVC_NOT_EXTDISCO;
    ed_service *p = NULL;
    size_t np = 0;
    ed_err err = parse_push(payload, &p, &np);
    if (err)
        return err;
    view_entry *w = NULL;
    size_t wcap = v->n + np;
    if ((err = entries_copy(v, np, &w))) {
        ed_services_free(p, np);
        return err;
    }
    size_t wn = v->n;
    ed_view_change *ch = NULL;
    size_t nch = 0, chcap = 0;
    bool report = changes != NULL;
    for (size_t i = 0; i < np && !err; i++)
        err = apply_one(w, &wn, wcap, &p[i], now, report, &ch, &nch, &chcap);
    ed_services_free(p, np);
    if (err) {
        entries_free(w, wn);
        ed_view_changes_free(ch, nch);
        return err;
    }
    entries_free(v->e, v->n);
    v->e = w;
    v->n = wn;
    if (changes) {
        *changes = ch;
        if (nchanges)
            *nchanges = nch;
    } else {
        ed_view_changes_free(ch, nch);
    }
    return ED_OK;
}

int64_t ed_service_view_refresh_at(const ed_service_view *v, size_t i)
{
    if (!v || i >= v->n || v->e[i].svc.expires == 0)
        return 0;
    int64_t rec = v->e[i].received;
    int64_t life = v->e[i].svc.expires - rec;
    int64_t delay = life > 0 ? life / 2 : 0;
    if (delay < v->floor_s)
        delay = v->floor_s;
    return rec + delay;
}

int64_t ed_service_view_next_refresh(const ed_service_view *v)
{
    int64_t best = 0;
    for (size_t i = 0; v && i < v->n; i++) {
        int64_t t = ed_service_view_refresh_at(v, i);
        if (t && (!best || t < best))
            best = t;
    }
    return best;
}

ed_elem *ed_service_view_push_reply(const ed_elem *iq, ed_err err)
{
    if (!iq)
        return NULL;
    if (err == ED_OK)
        return ed_iq_result(iq);
    return ed_stanza_error(iq, "bad-request", "modify", ed_strerror(err));
}
