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

/* Close every link (with </stream:stream>) and free; NULL is a no-op. */
void edd_component_stop(edd_component_set *c);

#endif
