/* daemon/c2s/unauth.c — connections of the standalone server that have not
 * bound a resource yet, counted per client address (issue 10 item 1), so
 * that a few addresses cannot hold every slot of limits.max_connections
 * with connections that never log in.  The address is the TCP peer's, or
 * on a proxy listener the one its PROXY header gives (counted from then
 * on).  An entry lives while its address has a counted session; the table
 * holds at most as many entries as there are sessions. */
#include <stdlib.h>
#include <string.h>

#include "c2s/c2s_int.h"

struct ed_unauth_entry {
    ed_hash_node node; /* key: addr */
    unsigned count;
    char addr[ED_SIC_IP_MAX];
};

bool ed_unauth_enter(ed_c2s *c, ed_session *s)
{
    if (s->ua)
        return true;
    char ip[ED_SIC_IP_MAX];
    int port;
    if (ed_sic_format_peer((const struct sockaddr *)&s->peer, s->peerlen, ip, &port) != ED_OK)
        return true; /* not an IP address (a UNIX socket): not counted */
    if (!c->unauth) {
        unsigned char key[ED_HASH_KEY_LEN];
        ed_hash_random_key(key);
        if (!(c->unauth = ed_hash_new(key, 0)))
            return false;
    }
    struct ed_unauth_entry *e =
        ED_HASH_ENTRY(ed_hash_get(c->unauth, ip), struct ed_unauth_entry, node);
    if (!e) {
        if (!(e = calloc(1, sizeof *e)))
            return false;
        memcpy(e->addr, ip, sizeof e->addr);
        e->node.key = e->addr;
        if (ed_hash_put(c->unauth, &e->node) != ED_OK) {
            free(e);
            return false;
        }
    } else if (e->count >= c->max_unauth_per_address) {
        return false;
    }
    e->count++;
    s->ua = e;
    return true;
}

void ed_unauth_leave(ed_c2s *c, ed_session *s)
{
    struct ed_unauth_entry *e = s->ua;
    if (!e)
        return;
    s->ua = NULL;
    if (--e->count == 0) {
        ed_hash_remove(c->unauth, &e->node);
        free(e);
    }
}

void ed_unauth_free(ed_c2s *c)
{
    if (!c->unauth)
        return;
    ed_hash_iter it;
    ed_hash_iter_init(&it, c->unauth);
    for (ed_hash_node *n; (n = ed_hash_iter_next(&it));) {
        ed_hash_remove(c->unauth, n);
        free(ED_HASH_ENTRY(n, struct ed_unauth_entry, node));
    }
    ed_hash_free(c->unauth);
    c->unauth = NULL;
}
