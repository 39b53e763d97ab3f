/* daemon/component/component_probe.c — the delegation probe: every
 * EDD_LINK_PROBE_SECS a ready link asks its server for the disco#info of
 * the domain it serves and looks for urn:xmpp:extdisco:2 among the
 * features.
 *
 * Why: ejabberd 23.01 keeps XEP-0355 delegations (mod_delegation) per node,
 * keyed by the component's JID alone.  When any one connection of a
 * component closes, that node drops every delegation of that JID, although
 * other connections of the same JID (other extdiscod instances) are still
 * up there, and sets them up again only when a connection of that JID
 * authenticates to that node (the component_connected hook).  Until then
 * the node's users get service-unavailable from their own server
 * (docs/deploying.md; tests/interop/cluster_ejabberd.sh, B2).  A link that
 * has seen its domain list the namespace and then sees it missing
 * reconnects at once: its new handshake makes the node delegate again.
 *
 * ejabberd routes the answer to any connection of the component on that
 * node, possibly another instance's, so a link may never get the answers to
 * its own probes.  What counts is therefore whether the domain has been
 * seen listing the namespace by any link of this process that probes the
 * same domain (the nodes of a cluster serve the same domain), or by the
 * asking instance: the probe's id says so ("edp-1-N").  Whichever link gets
 * an answer without the namespace, with that evidence, reconnects.  A
 * server that never lists a delegated namespace in its disco#info never
 * triggers it.  A reconnect waits EDD_LINK_RELINK_DELAY_MS, so that the
 * server has unregistered the old connection before the new one's
 * handshake (its delegation queries could go to the old one and be lost);
 * then the link does not reconnect this way again for a hold of
 * EDD_LINK_RELINK_HOLD_MIN s, doubled (up to EDD_LINK_RELINK_HOLD_MAX s)
 * each time the reconnect did not bring the namespace back, reset once the
 * link sees it listed. */
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "component/component_int.h"
#include "core/log.h"

static int64_t mono_secs(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec;
}

/* Has any link of l's process that probes domain d seen d list the
 * namespace since it connected? */
static bool seen_listed(const edd_link *l, const char *d)
{
    const edd_component_set *set = l->set;
    for (size_t k = 0; k < set->n; k++) {
        const edd_link *o = set->links[k];
        if (o && o->probe_seen && o->state == EDD_LINK_READY) {
            const char *od = edd_link_probe_domain(o);
            if (od && strcmp(od, d) == 0)
                return true;
        }
    }
    return false;
}

static void on_probe(evutil_socket_t fd, short what, void *arg)
{
    (void)fd;
    (void)what;
    edd_link *l = arg;
    const char *d = edd_link_probe_domain(l);
    if (l->state != EDD_LINK_READY || !d)
        return;
    char id[48];
    snprintf(id, sizeof id, "edp-%d-%u", seen_listed(l, d) ? 1 : 0, ++l->probe_seq);
    ed_elem *iq = ed_elem_new("iq", ED_NS_COMPONENT);
    if (iq && ed_elem_set_attr(iq, "type", "get") == ED_OK &&
        ed_elem_set_attr(iq, "id", id) == ED_OK && ed_elem_set_attr(iq, "from", l->jid) == ED_OK &&
        ed_elem_set_attr(iq, "to", d) == ED_OK && ed_elem_add(iq, "query", ED_NS_DISCO_INFO))
        edd_link_send(l, iq);
    ed_elem_free(iq);
}

bool edd_link_probe_init(edd_link *l)
{
    l->probe = event_new(l->set->s->base, -1, EV_PERSIST, on_probe, l);
    return l->probe != NULL;
}

void edd_link_probe_start(edd_link *l)
{
    l->probe_seen = false;
    struct timeval tv = {EDD_LINK_PROBE_SECS, 0};
    event_add(l->probe, &tv);
}

void edd_link_probe_stop(edd_link *l)
{
    if (l->probe)
        event_del(l->probe);
}

void edd_link_probe_free(edd_link *l)
{
    if (l->probe)
        event_free(l->probe);
    l->probe = NULL;
}

bool edd_link_probe_answer(edd_link *l, const ed_elem *iq)
{
    const char *id = ed_elem_attr(iq, "id");
    const char *type = ed_elem_attr(iq, "type");
    const char *from = ed_elem_attr(iq, "from");
    if (!id || strncmp(id, "edp-", 4) != 0 || (id[4] != '0' && id[4] != '1') || id[5] != '-' ||
        !type || (strcmp(type, "result") != 0 && strcmp(type, "error") != 0))
        return false;
    /* ours; only a result from a domain of this link counts */
    if (strcmp(type, "result") != 0 || !from || !edd_link_domain(l, from))
        return true;
    const ed_elem *q = ed_elem_child(iq, "query", ED_NS_DISCO_INFO);
    if (!q)
        return true;
    for (ed_elem *f = ed_elem_child(q, "feature", ED_NS_DISCO_INFO); f;
         f = ed_elem_next(f, "feature", ED_NS_DISCO_INFO)) {
        const char *var = ed_elem_attr(f, "var");
        if (var && strcmp(var, ED_NS_EXTDISCO2) == 0) {
            l->probe_seen = true;
            l->relink_hold = 0; /* a loss from now on is a new one */
            l->relinked_at = 0;
            return true;
        }
    }
    if (id[4] != '1' && !seen_listed(l, from))
        return true; /* never seen listed: nothing was lost */
    int64_t now = mono_secs();
    unsigned hold = l->relink_hold ? l->relink_hold : EDD_LINK_RELINK_HOLD_MIN;
    if (l->relinked_at && now - l->relinked_at < (int64_t)hold)
        return true;
    if (l->relinked_at)
        l->relink_hold = hold * 2 > EDD_LINK_RELINK_HOLD_MAX ? EDD_LINK_RELINK_HOLD_MAX : hold * 2;
    l->relinked_at = now;
    l->relink = true; /* on_stanza drops the link after this stanza */
    edd_log_warn("component %s: %s no longer delegates %s to this component on %s:%d "
                "(ejabberd drops a component's delegations on a node when any one of its "
                "connections there closes): reconnecting to restore them",
                l->jid, from, ED_NS_EXTDISCO2, l->host, l->port);
    return true;
}
