/* daemon/c2s/presence.c — presence of the standalone server's users (RFC 6121
 * §4): the client's own presence broadcast to its subscribers and its other
 * resources, probes answered from the contacts' available resources,
 * directed presence remembered so that its recipients learn when the user
 * goes (§4.6.3), and the presence stanzas the roster's subscription
 * handling (roster.c) sends.  Sending never frees a session here: a
 * recipient whose output overflows is only marked closed, and unbound and
 * freed by the deferred close callback (edd_session_close/edd_session_reap in
 * session.c), so the loops over resources below stay valid. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "c2s/c2s_int.h"
#include "core/log.h"

void edd_presence_send(edd_session *s, const char *from, const char *type,
                      const char *payload)
{
    ed_buf *b = &s->c2s->out;
    ed_buf_reset(b);
    /* over WebSocket every message declares its namespace (RFC 7395) */
    ed_buf_puts(b, edd_transport_framed(s->t) ? "<presence xmlns='" ED_NS_CLIENT "' from='"
                                              : "<presence from='");
    ed_buf_xml_escape(b, from, strlen(from), 1);
    ed_buf_puts(b, "' to='");
    ed_buf_xml_escape(b, s->jid->full, strlen(s->jid->full), 1);
    ed_buf_puts(b, "'");
    if (type)
        ed_buf_printf(b, " type='%s'", type);
    /* available presence and unavailable (its <status/>, RFC 6121 §4.5.1)
     * carry the payload; subscription types never do */
    if (payload && *payload && (!type || strcmp(type, "unavailable") == 0))
        ed_buf_printf(b, ">%s</presence>", payload);
    else
        ed_buf_puts(b, "/>");
    edd_session_send_raw(s, b->data, b->len);
}

/* Presence of `from`'s resources (or unavailable) to `to`'s available ones.
 * only: when non-NULL, only this session of `to` receives. */
void edd_presence_between(edd_c2s *c, const char *from, const char *to, bool unavail,
                         edd_session *only)
{
    edd_user *uf = edd_router_user(c, from), *ut = edd_router_user(c, to);
    if (!uf || !ut)
        return;
    for (edd_session *a = uf->res; a; a = a->rnext) {
        if (!edd_session_online(a)) /* a closing one is as good as gone */
            continue;
        for (edd_session *b = ut->res; b; b = b->rnext)
            if (b->available && (!only || b == only))
                edd_presence_send(b, a->jid->full, unavail ? "unavailable" : NULL,
                                 unavail ? NULL : a->presence);
    }
}

typedef struct bcast {
    edd_session *s;
    const char *type;
} bcast;

/* s's presence to every available resource of a contact. */
static void bcast_one(void *ud, const char *contact_bare)
{
    bcast *bc = ud;
    edd_c2s *c = bc->s->c2s;
    const char *at = strchr(contact_bare, '@');
    if (!at || strcmp(at + 1, c->domain) != 0)
        return;
    char local[ED_JID_PART_MAX + 1];
    snprintf(local, sizeof local, "%.*s", (int)(at - contact_bare), contact_bare);
    edd_user *u = edd_router_user(c, local);
    for (edd_session *r = u ? u->res : NULL; r; r = r->rnext)
        if (r->available && r != bc->s)
            edd_presence_send(r, bc->s->jid->full, bc->type, bc->s->presence);
}

/* Probe answer: the contact's available resources to s. */
static void probe_one(void *ud, const char *contact_bare)
{
    edd_session *s = ud;
    const char *at = strchr(contact_bare, '@');
    if (!at || strcmp(at + 1, s->c2s->domain) != 0)
        return;
    char local[ED_JID_PART_MAX + 1];
    snprintf(local, sizeof local, "%.*s", (int)(at - contact_bare), contact_bare);
    if (strcmp(local, s->jid->local) != 0)
        edd_presence_between(s->c2s, local, s->jid->local, false, s);
}

/* --- directed presence (RFC 6121 §4.6) ----------------------------------------- */

void edd_presence_directed_free(edd_session *s)
{
    for (uint8_t i = 0; i < s->ndirected; i++)
        free(s->directed[i]);
    free(s->directed);
    s->directed = NULL;
    s->ndirected = 0;
}

static int directed_find(const edd_session *s, const char *jid)
{
    for (uint8_t i = 0; i < s->ndirected; i++)
        if (strcmp(s->directed[i], jid) == 0)
            return i;
    return -1;
}

static void directed_forget(edd_session *s, const char *jid)
{
    int i = directed_find(s, jid);
    if (i < 0)
        return;
    free(s->directed[i]);
    memmove(&s->directed[i], &s->directed[i + 1],
            (size_t)(s->ndirected - i - 1) * sizeof *s->directed);
    if (--s->ndirected == 0)
        edd_presence_directed_free(s);
}

/* s sent available presence to jid (a local user's full or bare JID). */
static void directed_remember(edd_session *s, const char *jid)
{
    if (directed_find(s, jid) >= 0)
        return;
    char *c = strdup(jid);
    if (!c)
        return;
    if (!s->directed && !(s->directed = calloc(EDD_C2S_MAX_DIRECTED, sizeof *s->directed))) {
        free(c);
        return;
    }
    if (s->ndirected == EDD_C2S_MAX_DIRECTED) { /* the oldest gives way */
        free(s->directed[0]);
        memmove(&s->directed[0], &s->directed[1],
                (EDD_C2S_MAX_DIRECTED - 1) * sizeof *s->directed);
        s->ndirected--;
    }
    s->directed[s->ndirected++] = c;
}

/* s becomes unavailable: the entities it sent directed presence to and
 * that do not get its presence through a subscription get unavailable
 * presence too (§4.6.3); then they are forgotten. */
static void directed_unavailable(edd_session *s)
{
    edd_c2s *c = s->c2s;
    for (uint8_t i = 0; i < s->ndirected; i++) {
        ed_jid *t = NULL;
        const char *j = s->directed[i];
        if (ed_jid_parse(j, strlen(j), &t) != ED_OK || !t->local) {
            ed_jid_free(t);
            continue;
        }
        edd_roster_item it;
        bool sub = false;
        if (edd_store_roster_get(c->store, s->jid->local, t->bare, &it) == 1) {
            sub = it.sub & EDD_SUB_FROM;
            edd_roster_item_clear(&it);
        }
        edd_user *u = sub ? NULL : edd_router_user(c, t->local);
        for (edd_session *r = u ? u->res : NULL; r; r = r->rnext)
            if (r->available && r != s &&
                (!t->resource || strcmp(r->jid->resource, t->resource) == 0))
                edd_presence_send(r, s->jid->full, "unavailable", s->presence);
        ed_jid_free(t);
    }
    edd_presence_directed_free(s);
}

static void broadcast(edd_session *s, const char *type)
{
    bcast bc = {.s = s, .type = type};
    edd_roster_each(s->c2s, s->jid->local, EDD_SUB_FROM, bcast_one, &bc);
    /* and the user's own other resources */
    for (edd_session *r = s->user->res; r; r = r->rnext)
        if (r != s && r->available)
            edd_presence_send(r, s->jid->full, type, s->presence);
    if (type && strcmp(type, "unavailable") == 0)
        directed_unavailable(s);
}

/* The payload of an available presence, serialised, or NULL. */
static char *presence_payload(edd_c2s *c, const ed_elem *st, int8_t *prio)
{
    *prio = 0;
    ed_buf b = {.max = EDD_C2S_PRESENCE_MAX};
    for (ed_elem *ch = ed_elem_first(st); ch; ch = ed_elem_next(ch, NULL, NULL)) {
        if (strcmp(ch->name, "priority") == 0 && strcmp(ch->ns, ED_NS_CLIENT) == 0) {
            long v = strtol(ed_elem_text(ch) ? ed_elem_text(ch) : "0", NULL, 10);
            *prio = (int8_t)(v < -128 ? -128 : v > 127 ? 127 : v);
        }
        if (ed_xml_write(&b, ch, ED_NS_CLIENT) != ED_OK) {
            ed_buf_free(&b);
            return NULL;
        }
    }
    return b.data; /* NULL when empty */
}

void edd_presence_from_client(edd_session *s, ed_elem *st, const char *type)
{
    edd_c2s *c = s->c2s;
    if (!type) {
        bool initial = !s->available;
        free(s->presence);
        s->presence = presence_payload(c, st, &s->priority);
        s->available = true;
        if (initial) /* broadcast, probes, pending requests: one read */
            edd_store_read_begin(c->store);
        broadcast(s, NULL);
        if (initial) {
            edd_roster_each(c, s->jid->local, EDD_SUB_TO, probe_one, s);
            /* the user's own other resources */
            for (edd_session *r = s->user->res; r; r = r->rnext)
                if (r != s && r->available)
                    edd_presence_send(s, r->jid->full, NULL, r->presence);
            edd_roster_initial(s);
            edd_store_read_end(c->store);
            edd_route route = edd_session_route(s);
            edd_pushes_presence(c->srv->pushes, s->jid, true, &route);
        }
    } else if (strcmp(type, "unavailable") == 0) {
        if (!s->available)
            return;
        int8_t prio;
        free(s->presence);
        s->presence = presence_payload(c, st, &prio); /* e.g. its <status/> */
        broadcast(s, "unavailable");
        free(s->presence);
        s->presence = NULL;
        s->available = false;
        edd_pushes_presence(c->srv->pushes, s->jid, false, NULL);
    }
    /* other types without a `to` are meaningless: ignored (RFC 6121 §4.3) */
}

void edd_presence_directed(edd_session *s, const char *jid, const char *type)
{
    if (!type)
        directed_remember(s, jid);
    else if (strcmp(type, "unavailable") == 0)
        directed_forget(s, jid);
}

void edd_presence_gone(edd_session *s)
{
    free(s->presence);
    s->presence = NULL;
    broadcast(s, "unavailable");
    s->available = false;
    edd_pushes_presence(s->c2s->srv->pushes, s->jid, false, NULL);
}
