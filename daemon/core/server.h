/* daemon/server.h — what one extdiscod process shares between its roles.
 *
 * An ed_server holds the current configuration and service registry, the
 * push table and the roles that carry stanzas (XEP-0114 component links,
 * the c2s listener).  Roles hand IQs addressed to a served domain or to the
 * component to ed_server_handle_iq(); it answers disco, ping, XEP-0215 and
 * (when the role knows the client's address) XEP-0279, and records who asked
 * so that a reload can push the change to them.
 *
 * Single-threaded: everything runs on the server's libevent base. */
#ifndef EXTDISCOD_SERVER_H
#define EXTDISCOD_SERVER_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/socket.h>

#include <event2/event.h>

#include "extdisco/extdisco.h"
#include "config/config.h"
#include "core/registry.h"

typedef struct ed_pushes ed_pushes;
typedef struct ed_component_set ed_component_set;
typedef struct ed_c2s ed_c2s;

/* How to reach a requester later (for a push).  Filled by the role that
 * received the request; owner is the c2s session or component link.  A role
 * that closes must call ed_pushes_forget_owner(owner) first. */
typedef struct ed_route {
    void *owner;
    /* Serialise and queue stanza towards its `to`; never blocks, never
     * waits for a reply.  The stanza stays owned by the caller. */
    void (*send)(void *owner, const ed_elem *stanza);
} ed_route;

typedef struct ed_server {
    struct event_base *base;
    char *config_path;
    ed_config *cfg;       /* current; replaced only by a successful reload */
    ed_registry *reg;     /* built from cfg */
    ed_pushes *pushes;
    uint64_t next_id;     /* for stanza ids this process generates */
    int64_t (*clock)(void); /* Unix seconds; time(NULL) unless a test sets it */
    ed_component_set *components; /* component.c, NULL when none */
    ed_c2s *c2s;          /* c2s.c, NULL when no standalone mode */
    uint64_t requests;    /* IQs answered (for stats / logs) */
} ed_server;

/* Load path, build the registry.  NULL with err ("FILE:LINE: what") on
 * failure.  Roles are started separately (ed_component_start, ed_c2s_start). */
ed_server *ed_server_new(struct event_base *base, const char *path, char *err,
                         size_t errlen);

/* Load the file again; on success swap configuration and registry, push the
 * differences to every online requester, tell the roles (components and c2s
 * pick up their own changes) and return true.  On failure keep everything
 * as it was and return false with err set. */
bool ed_server_reload(ed_server *s, char *err, size_t errlen);

void ed_server_free(ed_server *s);

/* A fresh stanza id "ed-N" in buf (at least 24 bytes). */
const char *ed_server_next_id(ed_server *s, char *buf, size_t len);

/* --- answering (daemon/handler.c) ------------------------------------- */

typedef struct ed_iq_ctx {
    const ed_jid *from;   /* the requester (for delegated IQs: the user) */
    const char *to;       /* the address the IQ was sent to, as on the wire */
    bool to_domain;       /* `to` is a served domain (not the component JID) */
    const struct sockaddr *peer; /* c2s: the client's address; else NULL */
    socklen_t peerlen;
    ed_route route;       /* how to push to `from` later */
    bool online;          /* the role knows `from` is online now */
} ed_iq_ctx;

typedef enum ed_iq_outcome {
    ED_IQ_REPLIED = 0,    /* *reply is set: send it, then free it */
    ED_IQ_CONSUMED,       /* a result/error (e.g. a push ack): nothing to send */
    ED_IQ_UNHANDLED       /* not ours: the role decides (service-unavailable) */
} ed_iq_outcome;

ed_iq_outcome ed_server_handle_iq(ed_server *s, const ed_elem *iq,
                                  const ed_iq_ctx *ctx, ed_elem **reply);

/* --- pushes (daemon/pushes.c) ------------------------------------------ */

ed_pushes *ed_pushes_new(size_t max_entries);
void ed_pushes_free(ed_pushes *p);

/* Remember that `full` asked for services (version 1/2, type filter or NULL,
 * its xml:lang or NULL) at address `self` (the from of future pushes),
 * reachable through route.  online: the role already knows the requester is
 * online.  The strings are copied. */
void ed_pushes_record(ed_pushes *p, const ed_jid *full, int version,
                      const char *type_filter, const char *lang, const char *self,
                      const ed_route *route, bool online);

/* Entries of a role that cannot tell when a requester goes away (a
 * component link: ejabberd forwards no unavailable presence when a client
 * just disconnects) are dropped once both their last request and their last
 * available presence are this old: when the table is full (one scan a
 * minute at most) and before a reload's pushes. */
#define ED_PUSHES_IDLE_SECS (24 * 3600)

/* Component mode: from now on p reads the time from s->clock and the access
 * policy from s->reg (looked up at each use: a reload replaces the registry,
 * a test the clock).  Available presence is then stored only for JIDs the
 * policy lets list services (no one else can ever get a push: presence from
 * other domains cannot fill the table), and entries whose route sends with
 * `send` expire after ED_PUSHES_IDLE_SECS.  s stays owned by the caller and
 * must outlive p (the server owns both); NULL s detaches. */
void ed_pushes_attach(ed_pushes *p, const ed_server *s,
                      void (*send)(void *owner, const ed_elem *stanza));

/* Presence information (component mode): available or unavailable. */
void ed_pushes_presence(ed_pushes *p, const ed_jid *full, bool available,
                        const ed_route *route);

/* Every requester reached through owner goes offline (link or session
 * closed). */
void ed_pushes_forget_owner(ed_pushes *p, void *owner);

/* Push what changed between registries old and nw to every requester that
 * is online; returns how many pushes were sent. */
size_t ed_pushes_send(ed_pushes *p, ed_server *s, const ed_registry *old,
                      const ed_registry *nw);

/* Number of remembered requesters, and how many are online. */
size_t ed_pushes_count(const ed_pushes *p, size_t *online);

#endif
