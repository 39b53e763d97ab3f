/* daemon/core/server.h — what one extdiscod process shares between its roles.
 *
 * An edd_server holds the current configuration and service registry, the
 * push table and the roles that carry stanzas (XEP-0114 component links,
 * the c2s listener).  Roles hand IQs addressed to a served domain or to the
 * component to edd_server_handle_iq(); it answers disco, ping, XEP-0215 and
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

typedef struct edd_pushes edd_pushes;
typedef struct edd_providers edd_providers;
typedef struct edd_component_set edd_component_set;
typedef struct edd_c2s edd_c2s;
typedef struct edd_http edd_http;
typedef struct edd_health edd_health;

/* How to reach a requester later (for a push).  Filled by the role that
 * received the request; owner is the c2s session or component link.  A role
 * that closes must call edd_pushes_forget_owner(owner) first. */
typedef struct edd_route {
    void *owner;
    /* Serialise and queue stanza towards its `to`; never blocks, never
     * waits for a reply.  The stanza stays owned by the caller. */
    void (*send)(void *owner, const ed_elem *stanza);
    /* The requester's address where the role knows it (c2s: the TCP peer or
     * the PROXY source; it lives as long as owner), else NULL: what the
     * per-network service sets (netscope.h) of its pushes are chosen by. */
    const struct sockaddr *peer;
    socklen_t peerlen;
} edd_route;

typedef struct edd_server {
    struct event_base *base;
    char *config_path;
    edd_config *cfg;       /* current; replaced only by a successful reload */
    edd_registry *reg;     /* built from cfg */
    edd_pushes *pushes;
    uint64_t next_id;     /* for stanza ids this process generates */
    int64_t (*clock)(void); /* Unix seconds; time(NULL) unless a test sets it */
    edd_component_set *components; /* component.c, NULL when none */
    edd_c2s *c2s;          /* c2s.c, NULL when no standalone mode */
    edd_http *http;        /* http/http.c, NULL when no `http:` section */
    edd_health *health;    /* health/health.c; NULL without an event base
                              (then every service is served) */
    uint64_t requests;    /* IQs answered (for stats / logs) */
    edd_providers *prov;   /* HTTP credential providers (daemon/providers/) */
    ed_service_def *scratch; /* edd_server_services_for()'s answer */
    size_t scratch_cap;
} edd_server;

/* Load path, build the registry.  NULL with err ("FILE:LINE: what") on
 * failure.  Roles are started separately (edd_component_start, edd_c2s_start). */
edd_server *edd_server_new(struct event_base *base, const char *path, char *err,
                         size_t errlen);

/* Load the file again; on success swap configuration and registry, push the
 * differences to every online requester, tell the roles (components and c2s
 * pick up their own changes) and return true.  On failure keep everything
 * as it was and return false with err set. */
bool edd_server_reload(edd_server *s, char *err, size_t errlen);

void edd_server_free(edd_server *s);

/* The services clients get now before networks: the registry's, less
 * those the health checks found down (daemon/health/health.h).  Borrowed
 * until the next health change or reload.  What one requester is offered
 * is edd_server_services_for(). */
const ed_service_def *edd_server_defs(const edd_server *s, size_t *n);

/* What requesters are offered, before each one's networks are chosen: the
 * configured services served now (edd_server_defs) with their networks,
 * and the providers' services.  Every pointer borrowed. */
typedef struct edd_offer {
    const edd_registry *reg;     /* classifies requesters into networks;
                                    its services are what defs are taken from */
    const ed_service_def *defs;  /* the served configured services */
    const uint64_t *masks;       /* their networks, parallel to defs */
    size_t n;
    const edd_defset *extra;     /* the providers' (with their masks); NULL none */
} edd_offer;

/* The offer now (borrowed as edd_server_defs and the providers' set). */
void edd_server_offer(const edd_server *s, edd_offer *o);

/* The services requester `who` at peer (NULL: unknown) is offered now: the
 * health-served configured ones and the providers' cached ones, limited to
 * the requester's networks (edd_registry_select).  Borrowed until the
 * next call, reload, health or provider change; *n receives the count (0
 * and NULL when out of memory). */
const ed_service_def *edd_server_services_for(edd_server *s, const ed_jid *who,
                                              const struct sockaddr *peer,
                                              socklen_t peerlen, size_t *n);

/* The health checks changed the served set from od/om (no of them;
 * borrowed, pointing into s->reg) to what edd_server_defs() gives now:
 * push the difference to every online requester, each for its own
 * networks (providers' services unchanged).  Returns the pushes sent. */
size_t edd_server_push_served(edd_server *s, const ed_service_def *od,
                              const uint64_t *om, size_t no);

/* A fresh stanza id "ed-N" in buf (at least 24 bytes). */
const char *edd_server_next_id(edd_server *s, char *buf, size_t len);

/* --- answering (daemon/core/handler.c) ------------------------------------- */

typedef struct edd_iq_ctx {
    const ed_jid *from;   /* the requester (for delegated IQs: the user) */
    const char *to;       /* the address the IQ was sent to, as on the wire */
    bool to_domain;       /* `to` is a served domain (not the component JID) */
    const struct sockaddr *peer; /* c2s: the client's address; else NULL */
    socklen_t peerlen;
    edd_route route;       /* how to push to `from` later */
    bool online;          /* the role knows `from` is online now */
} edd_iq_ctx;

typedef enum edd_iq_outcome {
    EDD_IQ_REPLIED = 0,    /* *reply is set: send it, then free it */
    EDD_IQ_CONSUMED,       /* a result/error (e.g. a push ack): nothing to send */
    EDD_IQ_UNHANDLED       /* not ours: the role decides (service-unavailable) */
} edd_iq_outcome;

edd_iq_outcome edd_server_handle_iq(edd_server *s, const ed_elem *iq,
                                  const edd_iq_ctx *ctx, ed_elem **reply);

/* --- pushes (daemon/core/pushes.c) ------------------------------------------ */

edd_pushes *edd_pushes_new(size_t max_entries);
void edd_pushes_free(edd_pushes *p);

/* Remember that `full` asked for services (version 1/2, type filter or NULL,
 * its xml:lang or NULL) at address `self` (the from of future pushes),
 * reachable through route.  online: the role already knows the requester is
 * online.  The strings are copied. */
void edd_pushes_record(edd_pushes *p, const ed_jid *full, int version,
                      const char *type_filter, const char *lang, const char *self,
                      const edd_route *route, bool online);

/* Entries of a role that cannot tell when a requester goes away (a
 * component link: ejabberd forwards no unavailable presence when a client
 * just disconnects) are dropped once both their last request and their last
 * available presence are this old: when the table is full (one scan a
 * minute at most) and before a reload's pushes. */
#define EDD_PUSHES_IDLE_SECS (24 * 3600)

/* Component mode: from now on p reads the time from s->clock and the access
 * policy from s->reg (looked up at each use: a reload replaces the registry,
 * a test the clock).  Available presence is then stored only for JIDs the
 * policy lets list services (no one else can ever get a push: presence from
 * other domains cannot fill the table), and entries whose route sends with
 * `send` expire after EDD_PUSHES_IDLE_SECS.  s stays owned by the caller and
 * must outlive p (the server owns both); NULL s detaches. */
void edd_pushes_attach(edd_pushes *p, const edd_server *s,
                      void (*send)(void *owner, const ed_elem *stanza));

/* Presence information (component mode): available or unavailable. */
void edd_pushes_presence(edd_pushes *p, const ed_jid *full, bool available,
                        const edd_route *route);

/* Every requester reached through owner goes offline (link or session
 * closed). */
void edd_pushes_forget_owner(edd_pushes *p, void *owner);

/* Push what changed between offers old and nw (borrowed, nothing kept;
 * core/server.h edd_offer: the served configured services with the
 * providers', before networks) to every requester that is online, each
 * seeing its own networks' services of each (the requester classified by
 * old->reg, then nw->reg), with the policy and inline credentials of
 * nw->reg.  Returns how many pushes were sent. */
size_t edd_pushes_send(edd_pushes *p, edd_server *s, const edd_offer *old,
                      const edd_offer *nw);

/* Number of remembered requesters, and how many are online. */
size_t edd_pushes_count(const edd_pushes *p, size_t *online);

#endif
