/* daemon/c2s/roster.c — rosters (RFC 6121 §2) and presence subscriptions
 * (§3) between local users, persisted in the store.  Roster pushes go to
 * every resource of the user that has asked for the roster.  Contacts in
 * other domains can be kept in the roster but never get subscriptions
 * (there is no s2s).  A subscribe to a local account that does not exist is
 * answered with unsubscribed (§3.1.3).  Every change is stored before it is
 * pushed or delivered; a change the store refuses (disk full) is delivered
 * to nobody, and the caller answers the sender with an error. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "c2s/c2s_int.h"
#include "core/log.h"

static const char *sub_name(int sub)
{
    static const char *const n[] = {"none", "to", "from", "both"};
    return n[sub & 3];
}

void edd_roster_each(edd_c2s *c, const char *user, int mask,
                    void (*fn)(void *ud, const char *contact_bare), void *ud)
{
    /* only the contacts: a presence costs per contact, not per roster byte */
    if (edd_store_roster_contacts(c->store, user, mask, fn, ud) != 0)
        edd_log_error("roster: cannot read the roster of %s", user);
}

static bool add_item(ed_elem *q, const edd_roster_item *it, bool removed)
{
    ed_elem *e = ed_elem_add(q, "item", NULL);
    if (!e || ed_elem_set_attr(e, "jid", it->contact) != ED_OK)
        return false;
    if (removed)
        return ed_elem_set_attr(e, "subscription", "remove") == ED_OK;
    if (it->name && ed_elem_set_attr(e, "name", it->name) != ED_OK)
        return false;
    if (ed_elem_set_attr(e, "subscription", sub_name(it->sub)) != ED_OK)
        return false;
    if (it->ask && ed_elem_set_attr(e, "ask", "subscribe") != ED_OK)
        return false;
    for (size_t i = 0; i < it->ngroups; i++) {
        ed_elem *g = ed_elem_add(e, "group", NULL);
        if (!g || ed_elem_add_text(g, it->groups[i], strlen(it->groups[i])) != ED_OK)
            return false;
    }
    return true;
}

/* Bytes of it's <item/> in a roster result (0 when hidden, or when it
 * cannot be measured: out of memory then fails the put anyway). */
static size_t item_wire(const edd_roster_item *it)
{
    if (it->hidden)
        return 0;
    ed_elem *q = ed_elem_new("query", ED_NS_ROSTER);
    ed_buf b = {0};
    size_t n = 0;
    if (q && add_item(q, it, false) && ed_xml_write(&b, ed_elem_first(q), ED_NS_ROSTER) == ED_OK)
        n = b.len;
    ed_buf_free(&b);
    ed_elem_free(q);
    return n;
}

/* The one way an item goes to the store: with its size in a result. */
static int put_item(edd_c2s *c, const char *user, edd_roster_item *it)
{
    it->wire = item_wire(it);
    return edd_store_roster_put(c->store, user, it);
}

/* Roster push of one item to every interested resource of user. */
static void push(edd_c2s *c, const char *user, const edd_roster_item *it, bool removed)
{
    edd_user *u = edd_router_user(c, user);
    for (edd_session *r = u ? u->res : NULL; r; r = r->rnext) {
        if (!r->roster_wanted)
            continue;
        char id[32];
        ed_elem *iq = ed_elem_new("iq", ED_NS_CLIENT);
        ed_elem *q = iq ? ed_elem_add(iq, "query", ED_NS_ROSTER) : NULL;
        if (q && ed_elem_set_attr(iq, "type", "set") == ED_OK &&
            ed_elem_set_attr(iq, "id", edd_server_next_id(c->srv, id, sizeof id)) == ED_OK &&
            ed_elem_set_attr(iq, "to", r->jid->full) == ED_OK && add_item(q, it, removed))
            edd_session_send(r, iq);
        ed_elem_free(iq);
    }
}

/* Store it (or delete it when nothing is left of a hidden item) and push.
 * false when the store refused it (disk full, database error, roster
 * full): nothing was pushed, and the caller delivers nothing either. */
static bool save(edd_c2s *c, const char *user, edd_roster_item *it, bool pushit)
{
    if (it->hidden && it->sub == EDD_SUB_NONE && !it->ask && !it->pending_in)
        return edd_store_roster_del(c->store, user, it->contact) >= 0;
    if (put_item(c, user, it) != 1) {
        edd_log_warn("roster: cannot store %s in the roster of %s: %s", it->contact, user,
                    edd_store_errmsg(c->store));
        return false;
    }
    if (pushit && !it->hidden)
        push(c, user, it, false);
    return true;
}

static void send_result(edd_session *s, const ed_elem *iq)
{
    ed_elem *r = ed_iq_result(iq);
    if (r)
        edd_session_send(s, r);
    ed_elem_free(r);
}

static bool valid_text(const char *t)
{
    if (strlen(t) > EDD_ROSTER_MAX_NAME)
        return false;
    for (; *t; t++)
        if ((unsigned char)*t < 0x20)
            return false;
    return true;
}

static void roster_get(edd_session *s, const ed_elem *iq)
{
    edd_c2s *c = s->c2s;
    edd_roster_item *v;
    size_t n;
    if (edd_store_roster_list(c->store, s->jid->local, &v, &n) != 0) {
        edd_router_error(s, iq, "internal-server-error");
        return;
    }
    ed_elem *r = ed_iq_result(iq);
    ed_elem *q = r ? ed_elem_add(r, "query", ED_NS_ROSTER) : NULL;
    bool ok = q != NULL;
    for (size_t i = 0; ok && i < n; i++)
        if (!v[i].hidden)
            ok = add_item(q, &v[i], false);
    edd_roster_items_free(v, n);
    if (ok) {
        edd_session_send(s, r);
        s->roster_wanted = true;
    } else {
        edd_router_error(s, iq, "internal-server-error");
    }
    ed_elem_free(r);
}

static void roster_set(edd_session *s, const ed_elem *iq, ed_elem *q)
{
    edd_c2s *c = s->c2s;
    ed_elem *item = ed_elem_child(q, "item", ED_NS_ROSTER);
    if (!item || ed_elem_next(item, "item", ED_NS_ROSTER)) {
        edd_router_error(s, iq, "bad-request"); /* exactly one item (§2.3.3) */
        return;
    }
    const char *jid = ed_elem_attr(item, "jid");
    ed_err e;
    char *bare = jid ? ed_jid_normalize(jid, &e) : NULL;
    if (!bare || strchr(bare, '/')) {
        free(bare);
        edd_router_error(s, iq, "bad-request");
        return;
    }
    const char *subs = ed_elem_attr(item, "subscription");
    edd_roster_item it;
    int found = edd_store_roster_get(c->store, s->jid->local, bare, &it);
    if (found < 0) {
        free(bare);
        edd_router_error(s, iq, "internal-server-error");
        return;
    }
    if (subs && strcmp(subs, "remove") == 0) {
        if (found == 1 && !it.hidden) {
            const char *at = strchr(bare, '@');
            bool local = at && strcmp(at + 1, c->domain) == 0;
            char contact[ED_JID_PART_MAX + 1];
            snprintf(contact, sizeof contact, "%.*s", at ? (int)(at - bare) : 0, bare);
            int sub = it.sub;
            bool pin = it.pending_in, ask = it.ask;
            /* §2.5.2: cancel both directions first */
            if (local && (sub & EDD_SUB_TO || ask))
                edd_roster_subscription(s, contact, "unsubscribe");
            if (local && (sub & EDD_SUB_FROM || pin))
                edd_roster_subscription(s, contact, "unsubscribed");
            edd_store_roster_del(c->store, s->jid->local, bare);
            send_result(s, iq);
            push(c, s->jid->local, &it, true);
        } else {
            edd_router_error(s, iq, "item-not-found");
        }
        if (found == 1)
            edd_roster_item_clear(&it);
        free(bare);
        return;
    }
    if (strcmp(bare, s->jid->bare) == 0) {
        if (found == 1)
            edd_roster_item_clear(&it);
        free(bare);
        edd_router_error(s, iq, "not-allowed");
        return;
    }
    if (found != 1) {
        memset(&it, 0, sizeof it);
        it.contact = bare;
        bare = NULL;
    }
    free(bare);
    it.hidden = false;
    const char *name = ed_elem_attr(item, "name");
    char **groups = NULL;
    size_t ng = 0;
    bool ok = !name || valid_text(name);
    const char *cond = "not-acceptable"; /* §2.3.3: empty or too long */
    for (ed_elem *g = ed_elem_child(item, "group", ED_NS_ROSTER); ok && g;
         g = ed_elem_next(g, "group", ED_NS_ROSTER)) {
        const char *t = ed_elem_text(g);
        ok = t && *t && valid_text(t) && ng < EDD_ROSTER_MAX_GROUPS;
        for (size_t i = 0; ok && i < ng; i++)
            if (!(ok = strcmp(groups[i], t) != 0))
                cond = "bad-request"; /* §2.3.3: the same group twice */
        if (ok) {
            char **ngv = realloc(groups, (ng + 1) * sizeof *groups);
            ok = ngv && (ngv[ng] = strdup(t));
            if (ngv) {
                groups = ngv;
                ng += ok;
            }
        }
    }
    if (!ok) {
        for (size_t i = 0; i < ng; i++)
            free(groups[i]);
        free(groups);
        edd_roster_item_clear(&it);
        edd_router_error(s, iq, cond);
        return;
    }
    for (size_t i = 0; i < it.ngroups; i++)
        free(it.groups[i]);
    free(it.groups);
    it.groups = groups;
    it.ngroups = ng;
    free(it.name);
    it.name = name ? strdup(name) : NULL;
    int r = put_item(c, s->jid->local, &it);
    if (r == 1) {
        send_result(s, iq);
        push(c, s->jid->local, &it, false);
    } else {
        if (r < 0)
            edd_log_error("roster: cannot store %s in the roster of %s: %s", it.contact,
                         s->jid->local, edd_store_errmsg(c->store));
        edd_router_error(s, iq, r == 0 ? "not-allowed" : "internal-server-error");
    }
    edd_roster_item_clear(&it);
}

void edd_roster_iq(edd_session *s, const ed_elem *iq)
{
    const char *type = ed_elem_attr(iq, "type");
    ed_elem *q = ed_iq_payload(iq);
    if (type && strcmp(type, "get") == 0)
        roster_get(s, iq);
    else if (type && strcmp(type, "set") == 0)
        roster_set(s, iq, q);
    else
        edd_router_error(s, iq, "bad-request");
}

/* --- subscriptions ------------------------------------------------------------- */

/* Load user's item for contact_bare, or a fresh hidden one. */
static bool load(edd_c2s *c, const char *user, const char *contact_bare, edd_roster_item *it,
                 bool *existed)
{
    int r = edd_store_roster_get(c->store, user, contact_bare, it);
    if (r < 0)
        return false;
    *existed = r == 1;
    if (r == 0) {
        memset(it, 0, sizeof *it);
        it->hidden = true;
        if (!(it->contact = strdup(contact_bare)))
            return false;
    }
    return true;
}

/* Deliver a subscription presence from bare `from` to every available
 * resource of user `to`. */
static void deliver_sub(edd_c2s *c, const char *from_bare, const char *to, const char *type)
{
    edd_user *u = edd_router_user(c, to);
    for (edd_session *r = u ? u->res : NULL; r; r = r->rnext)
        if (r->available)
            edd_presence_send(r, from_bare, type, NULL);
}

/* §3.1.3, §8.5.1: a subscription request to an account that does not
 * exist.  The contact's server (we) answers for the contact with
 * unsubscribed, which the user's server (we again) processes as an inbound
 * cancellation (§3.2.3): the item the request created (§3.1.2: pushed with
 * subscription='none' ask='subscribe') loses its pending-out state and is
 * pushed again (subscription='none', no ask), then the user's available
 * resources get <presence type='unsubscribed' from=contact/>.  (Prosody
 * 0.12 and ejabberd 23.01 leave the item at ask='subscribe' for ever;
 * Prosody also sends unavailable presence from the contact.) */
static bool subscribe_nobody(edd_c2s *c, const char *user, const char *cbare)
{
    edd_roster_item mine;
    bool existed;
    if (!load(c, user, cbare, &mine, &existed))
        return false;
    bool ok = true;
    if (!(mine.sub & EDD_SUB_TO) && !mine.ask) {
        mine.hidden = false;
        mine.ask = true;
        ok = save(c, user, &mine, true);
    }
    if (ok) {
        mine.hidden = false;
        mine.sub &= ~EDD_SUB_TO;
        mine.ask = false;
        if ((ok = save(c, user, &mine, true)))
            deliver_sub(c, cbare, user, "unsubscribed");
    }
    edd_roster_item_clear(&mine);
    return ok;
}

bool edd_roster_subscription(edd_session *s, const char *contact, const char *type)
{
    edd_c2s *c = s->c2s;
    const char *user = s->jid->local;
    char cbare[2 * ED_JID_PART_MAX + 2];
    snprintf(cbare, sizeof cbare, "%s@%s", contact, c->domain);
    const char *ubare = s->jid->bare;
    int exists = edd_router_account_exists(c, contact);
    if (exists < 0)
        return false; /* the database cannot say: the sender hears of it */
    if (!exists)
        return strcmp(type, "subscribe") != 0 || subscribe_nobody(c, user, cbare);
    edd_roster_item mine, theirs;
    bool mine_existed, theirs_existed;
    if (!load(c, user, cbare, &mine, &mine_existed))
        return false;
    if (!load(c, contact, ubare, &theirs, &theirs_existed)) {
        edd_roster_item_clear(&mine);
        return false;
    }
    (void)theirs_existed;
    /* every state change is stored before anyone hears of it: when the
     * store refuses one (disk full), nothing more is stored or delivered
     * and the caller answers the sender with an error */
    bool ok = true;

    if (strcmp(type, "subscribe") == 0) {
        if (theirs.sub & EDD_SUB_FROM) {
            /* already approved: answer for the contact (§3.1.3) */
            if (!(mine.sub & EDD_SUB_TO)) {
                mine.hidden = false;
                mine.ask = true; /* §3.1.2: the item first, pushed */
                ok = save(c, user, &mine, true);
            }
            if (ok && (mine.ask || !(mine.sub & EDD_SUB_TO))) {
                mine.ask = false;
                mine.sub |= EDD_SUB_TO;
                ok = save(c, user, &mine, true);
            }
            if (ok) {
                deliver_sub(c, cbare, user, "subscribed");
                edd_presence_between(c, contact, user, false, NULL);
            }
        } else {
            /* the contact's pending request first: if it cannot be
             * stored, the user's item is left as it was */
            bool was_pending = theirs.pending_in;
            theirs.pending_in = true;
            ok = was_pending || save(c, contact, &theirs, false);
            if (ok && !(mine.sub & EDD_SUB_TO)) {
                (void)mine_existed;
                mine.hidden = false; /* §3.1.2: the server adds the item */
                mine.ask = true;
                if (!(ok = save(c, user, &mine, true)) && !was_pending) {
                    theirs.pending_in = false; /* undo, as far as it goes */
                    save(c, contact, &theirs, false);
                }
            }
            if (ok)
                deliver_sub(c, ubare, contact, "subscribe");
        }
    } else if (strcmp(type, "subscribed") == 0) {
        /* s approves contact's request: s's item gains `from` */
        if (!mine.pending_in) {
            edd_roster_item_clear(&mine);
            edd_roster_item_clear(&theirs);
            return true; /* no pre-approval support: ignored */
        }
        mine.pending_in = false;
        mine.sub |= EDD_SUB_FROM;
        mine.hidden = false;
        ok = save(c, user, &mine, true);
        if (ok && theirs.ask) {
            theirs.ask = false;
            theirs.sub |= EDD_SUB_TO;
            if ((ok = save(c, contact, &theirs, true))) {
                deliver_sub(c, ubare, contact, "subscribed");
                edd_presence_between(c, user, contact, false, NULL);
            }
        }
    } else if (strcmp(type, "unsubscribe") == 0) {
        if (mine.sub & EDD_SUB_TO || mine.ask) {
            mine.sub &= ~EDD_SUB_TO;
            mine.ask = false;
            ok = save(c, user, &mine, true);
        }
        if (ok && (theirs.sub & EDD_SUB_FROM || theirs.pending_in)) {
            /* §3.3.3: unavailable presence only where the contact's
             * presence was shared; a pending request just goes away */
            bool shared = theirs.sub & EDD_SUB_FROM;
            theirs.sub &= ~EDD_SUB_FROM;
            theirs.pending_in = false;
            if ((ok = save(c, contact, &theirs, true))) {
                deliver_sub(c, ubare, contact, "unsubscribe");
                if (shared)
                    edd_presence_between(c, contact, user, true, NULL);
            }
        }
    } else if (strcmp(type, "unsubscribed") == 0) {
        if (mine.sub & EDD_SUB_FROM || mine.pending_in) {
            /* §3.2.3: a denied request gets no presence; a cancelled
             * subscription gets the user's unavailable presence */
            bool shared = mine.sub & EDD_SUB_FROM;
            mine.sub &= ~EDD_SUB_FROM;
            mine.pending_in = false;
            if ((ok = save(c, user, &mine, true)) && shared)
                edd_presence_between(c, user, contact, true, NULL);
        }
        if (ok && (theirs.sub & EDD_SUB_TO || theirs.ask)) {
            theirs.sub &= ~EDD_SUB_TO;
            theirs.ask = false;
            if ((ok = save(c, contact, &theirs, true)))
                deliver_sub(c, ubare, contact, "unsubscribed");
        }
    }
    edd_roster_item_clear(&mine);
    edd_roster_item_clear(&theirs);
    return ok;
}

void edd_roster_initial(edd_session *s)
{
    /* §3.1.3: pending requests are delivered when the contact comes online */
    edd_roster_item *v;
    size_t n;
    if (edd_store_roster_list(s->c2s->store, s->jid->local, &v, &n) != 0)
        return;
    for (size_t i = 0; i < n; i++)
        if (v[i].pending_in)
            edd_presence_send(s, v[i].contact, "subscribe", NULL);
    edd_roster_items_free(v, n);
}
