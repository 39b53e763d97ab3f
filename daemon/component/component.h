/* daemon/component/component.h — XEP-0114 component links to host servers (Prosody,
 * ejabberd, any server), one per `components` entry of the configuration. */
#ifndef EXTDISCOD_COMPONENT_H
#define EXTDISCOD_COMPONENT_H

#include "core/server.h"

/* Start every link in s->cfg->components (connect, handshake, reconnect with
 * capped exponential backoff and jitter).  NULL only on allocation failure. */
edd_component_set *edd_component_start(edd_server *s);

/* After a successful reload: close links no longer configured, open new
 * ones, restart those whose server/jid/secret changed. */
void edd_component_reconfigure(edd_component_set *c, edd_server *s);

/* What /metrics and /status show of a link: no JID, no secret. */
#define EDD_LINK_NS_EXTDISCO2 1u
#define EDD_LINK_NS_EXTDISCO1 2u
typedef struct edd_link_info {
    unsigned index;        /* components[index] of the configuration */
    const char *host;      /* the host server, as configured */
    int port;
    const char *state;     /* "waiting", "connecting", ..., "ready" */
    bool up;               /* ready (authenticated) */
    unsigned deleg_ns;     /* EDD_LINK_NS_* delegated since ready */
    uint64_t connects;     /* successful handshakes */
    int64_t up_since;      /* CLOCK_MONOTONIC seconds of the handshake */
} edd_link_info;

/* Call fn once per configured link (NULL c: none).  The strings are
 * borrowed for the call. */
void edd_component_foreach(const edd_component_set *c,
                           void (*fn)(void *ud, const edd_link_info *li), void *ud);

/* Close every link (with </stream:stream>) and free; NULL is a no-op. */
void edd_component_stop(edd_component_set *c);

#endif
