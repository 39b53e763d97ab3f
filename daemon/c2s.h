/* daemon/c2s.h — the standalone XMPP server role: client listeners
 * (STARTTLS, direct TLS, optional PROXY protocol), authentication, sessions. */
#ifndef EXTDISCOD_C2S_H
#define EXTDISCOD_C2S_H

#include "server.h"

/* Open the account database, load the TLS certificate and bind every
 * listener of s->cfg->c2s.  NULL with err set on failure. */
ed_c2s *ed_c2s_start(ed_server *s, char *err, size_t errlen);

/* After a successful reload: pick up new limits and TLS material; listeners
 * whose address changed are re-bound (failures are logged, the old listener
 * stays). */
void ed_c2s_reconfigure(ed_c2s *c, ed_server *s);

/* Close every session and listener and free; NULL is a no-op. */
void ed_c2s_stop(ed_c2s *c);

#endif
