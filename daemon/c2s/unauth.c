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

struct edd_unauth_entry {
    edd_hash_node node; /* key: addr */
    unsigned count;
    char addr[ED_SIC_IP_MAX];
};

bool edd_unauth_enter(edd_c2s *c, edd_session *s)
{
    if (s->ua)
        return true;
    char ip[ED_SIC_IP_MAX];
    int port;
    if (ed_sic_format_peer((const struct sockaddr *)&s->peer, s->peerlen, ip, &port) != ED_OK)
        return true; /* not an IP address (a UNIX socket): not counted */
    if (!c->unauth) {
        unsigned char key[EDD_HASH_KEY_LEN];
        edd_hash_random_key(key);
        if (!(c->unauth = edd_hash_new(key, 0)))
            return false;
    }
    struct edd_unauth_entry *e =
        EDD_HASH_ENTRY(edd_hash_get(c->unauth, ip), struct edd_unauth_entry, node);
    if (!e) {
        if (!(e = calloc(1, sizeof *e)))
            return false;
        memcpy(e->addr, ip, sizeof e->addr);
        e->node.key = e->addr;
        if (edd_hash_put(c->unauth, &e->node) != ED_OK) {
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

void edd_unauth_leave(edd_c2s *c, edd_session *s)
{
    struct edd_unauth_entry *e = s->ua;
    if (!e)
        return;
    s->ua = NULL;
    if (--e->count == 0) {
        edd_hash_remove(c->unauth, &e->node);
        free(e);
    }
}

void edd_unauth_free(edd_c2s *c)
{
    if (!c->unauth)
        return;
    edd_hash_iter it;
    edd_hash_iter_init(&it, c->unauth);
    for (edd_hash_node *n; (n = edd_hash_iter_next(&it));) {
        edd_hash_remove(c->unauth, n);
        free(EDD_HASH_ENTRY(n, struct edd_unauth_entry, node));
    }
    edd_hash_free(c->unauth);
    c->unauth = NULL;
}
