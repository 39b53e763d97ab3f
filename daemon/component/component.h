/* daemon/component.h — XEP-0114 component links to host servers (Prosody,
 * ejabberd, any server), one per `components` entry of the configuration. */
#ifndef EXTDISCOD_COMPONENT_H
#define EXTDISCOD_COMPONENT_H

#include "core/server.h"

/* Start every link in s->cfg->components (connect, handshake, reconnect with
 * capped exponential backoff and jitter).  NULL only on allocation failure. */
ed_component_set *ed_component_start(ed_server *s);

/* After a successful reload: close links no longer configured, open new
 * ones, restart those whose server/jid/secret changed. */
void ed_component_reconfigure(ed_component_set *c, ed_server *s);

/* Close every link (with </stream:stream>) and free; NULL is a no-op. */
void ed_component_stop(ed_component_set *c);

#endif
