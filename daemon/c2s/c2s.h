/* daemon/c2s/c2s.h — the standalone XMPP server role: client listeners
 * (STARTTLS, direct TLS, optional PROXY protocol), authentication, sessions. */
#ifndef EXTDISCOD_C2S_H
#define EXTDISCOD_C2S_H

#include "core/server.h"

/* What `extdiscod -n` and the start check beyond the loader, without
 * binding anything: the TLS certificate and key load into a throwaway
 * context exactly as at start, and the directory of the account database
 * exists.  true when fine or when cfg has no c2s section; false with err
 * ("KEY ...: what", e.g. "c2s.tls.key /etc/x.pem: key values mismatch"). */
bool edd_c2s_check(const edd_config *cfg, char *err, size_t errlen);

/* The account database the running role uses (for the check after the
 * privilege drop). */
struct edd_store *edd_c2s_store(edd_c2s *c);

/* Open the account database, load the TLS certificate and bind every
 * listener of s->cfg->c2s.  NULL with err set on failure. */
edd_c2s *edd_c2s_start(edd_server *s, char *err, size_t errlen);

/* After a successful reload: pick up new limits and TLS material; listeners
 * whose address changed are re-bound (failures are logged, the old listener
 * stays). */
void edd_c2s_reconfigure(edd_c2s *c, edd_server *s);

/* What /metrics and /status show of the standalone server. */
typedef struct edd_c2s_info {
    size_t listeners;      /* listening now */
    size_t configured;     /* configured (c2s.listen) */
    size_t plain, tls;     /* open connections without / with TLS */
    size_t ws_plain, ws_tls; /* of them: XMPP over WebSocket (RFC 7395) */
    size_t bound;          /* of them: resource bound (logged in) */
    size_t throttled;      /* client addresses locked out of logins now */
} edd_c2s_info;
/* Fill out from c (a walk over the connections: for /metrics, not for a
 * hot path). */
void edd_c2s_info_get(const edd_c2s *c, edd_c2s_info *out);

/* Close every session and listener and free; NULL is a no-op. */
void edd_c2s_stop(edd_c2s *c);

#endif
