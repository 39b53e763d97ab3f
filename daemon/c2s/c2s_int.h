/* daemon/c2s/c2s_int.h — what the parts of the standalone server role share:
 * c2s.c (listeners, TLS context), session.c (one client connection, over a
 * transport.h transport),
 * router.c (local delivery, presence), roster.c (rosters, subscriptions).
 * Not a public interface.  Single-threaded on the server's event base. */
#ifndef EXTDISCOD_C2S_INT_H
#define EXTDISCOD_C2S_INT_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/socket.h>

#include <event2/listener.h>
#include <openssl/ssl.h>

#include "c2s/c2s.h"
#include "core/hash.h"
#include "c2s/sasl.h"
#include "c2s/store.h"
#include "c2s/throttle.h"
#include "c2s/transport.h"


#define EDD_C2S_READ_HIGH   4096       /* bytes read per turn before parsing */
#define EDD_C2S_OUT_MAX     (1 << 20)  /* queued output before a slow client is cut */
#define EDD_C2S_FLUSH_SECS  5          /* time to flush a closing stream */
#define EDD_C2S_MAX_AUTH_FAILURES 3    /* per connection */
#define EDD_C2S_MAX_RESOURCES 16       /* per account */
#define EDD_C2S_PRESENCE_MAX 4096      /* bytes of a stored presence payload */
#define EDD_C2S_LANG_MAX    35         /* bytes of a stream xml:lang we stamp */
#define EDD_C2S_MAX_DIRECTED 32        /* directed-presence targets remembered
                                       * per session (the oldest give way) */
#define EDD_C2S_BUSY_READS  3          /* reads per sweep period that keep
                                       * the parser of a bound session */
#define EDD_C2S_BUSY_READS_LOGIN 16    /* the same before binding (a login
                                       * takes fewer: a byte trickler more) */
#define EDD_C2S_SWEEP_SLICE 1024       /* sessions visited per sweep turn:
                                        * ~0.3 ms (10,000 sessions in one
                                        * turn stalled the loop 2.8 ms) */
#define EDD_C2S_SWEEP_SECS  1          /* quiet for 1-2 sweeps: the XML parser's
                                       * expat state is released */
#define EDD_C2S_IQ_PENDING_SECS 120    /* an unanswered IQ to a local entity
                                       * stops counting against
                                       * limits.max_pending_iqs after this */

typedef struct edd_session edd_session;
typedef struct edd_user edd_user;
typedef struct edd_pending_iqs edd_pending_iqs; /* router.c */

typedef struct edd_listener {
    edd_c2s *c2s;
    struct evconnlistener *ev;
    struct event *retry; /* re-enables ev after an accept error (owned) */
    char *address;       /* as configured, to compare on reload */
    edd_listen_tls tls;
    bool proxy;
    bool secure_front;   /* consider_secure: a TLS proxy in front */
    struct edd_ws_conf *ws; /* kind websocket: its endpoint (referenced), else NULL */
} edd_listener;

/* An account with at least one bound resource. */
struct edd_user {
    edd_hash_node node;   /* in edd_c2s.users, keyed by local */
    char *local;
    edd_session *res;     /* bound sessions, linked by rnext */
    unsigned nres;
};

struct edd_c2s {
    edd_server *srv;
    struct event_base *base;
    SSL_CTX *ssl;        /* NULL without tls cert/key */
    edd_store *store;
    edd_sasl *sasl;
    edd_throttle *throttle;
    edd_listener **lst;
    size_t nlst;
    edd_session *sessions; /* every session not closed, doubly linked */
    size_t nsessions;    /* sessions not freed yet (closed ones included) */
    edd_session *closed;  /* closed sessions, linked by next, waiting for
                          * edd_session_reap() */
    struct event *close_ev; /* runs edd_session_reap(): the deferred close */
    struct event *sweeper; /* idle sessions shrink: every session once per
                            * EDD_C2S_SWEEP_SECS, EDD_C2S_SWEEP_SLICE a turn */
    edd_session *sweep_next; /* the sweep's cursor in sessions (session.c
                              * moves it past a session it unlinks) */
    bool sweep_mid;      /* a round is under way (sweep_next NULL: its end) */
    size_t sweep_slice;  /* sessions a turn: EDD_C2S_SWEEP_SLICE (tests:
                          * EXTDISCOD_SWEEP_SLICE) */
    size_t sweep_released; /* parsers released in this round */
    int64_t sweep_round; /* when this round began (monotonic ms) */
    uint64_t serial;     /* sessions accepted so far */
    edd_hash *users;      /* edd_user by local part (router.c); NULL before
                          * the first bind */
    ed_buf out;          /* scratch for serialising */
    ed_buf cork;         /* output gathered for `corked` (session.c) */
    edd_session *corked;  /* the bound session whose input is being read:
                          * its output goes to cork and out in one send(2)
                          * when the read is done */
    char rbuf[EDD_C2S_READ_HIGH]; /* fast reads of bound plaintext sessions
                                  * (transport_tcp.c) */
    char *domain;
    ed_xml_limits xlim;
    unsigned long xml_salt; /* expat's hash salt, one secret per process:
                             * no getrandom(2) per stream (bench/RESULTS.md) */
    bool require_tls;
    int64_t handshake_timeout, idle_timeout;
    size_t max_connections;
    unsigned max_unauth_per_address;
    edd_hash *unauth;     /* sessions not bound yet, per address (unauth.c) */
};

/* A session's one state.  Changed only by edd_session_enter().  Usual
 * course: [PROXY] [TLS_HANDSHAKE] STREAM OPEN (STARTTLS: TLS_HANDSHAKE
 * STREAM OPEN) AUTH_STREAM AUTHED BOUND, then CLOSING or CLOSED from
 * anywhere. */
typedef enum edd_session_state {
    EDD_SS_PROXY = 0,     /* waiting for the PROXY header */
    EDD_SS_TLS_HANDSHAKE, /* TLS first: direct TLS, or after <proceed/> */
    EDD_SS_STREAM,        /* waiting for the client's stream header */
    EDD_SS_AUTH_STREAM,   /* authenticated (SASL success): waiting for the
                          * header of the new stream */
    EDD_SS_OPEN,          /* stream open, not authenticated: STARTTLS, SASL */
    EDD_SS_AUTHED,        /* authenticated stream open: resource binding */
    EDD_SS_BOUND,         /* resource bound: stanzas go to router.c */
    EDD_SS_CLOSING,       /* closed: its last bytes are being written */
    EDD_SS_CLOSED         /* closed: nothing more is written */
} edd_session_state;

typedef enum edd_close_how {
    EDD_CLOSE_FLUSH,      /* what is queued (a stream error, the close tag)
                          * is written first, for EDD_C2S_FLUSH_SECS at most */
    EDD_CLOSE_ABORT       /* EOF, errors, output overflow: dropped */
} edd_close_how;

struct edd_session {
    edd_c2s *c2s;
    edd_session *prev, *next; /* all sessions */
    edd_session *rnext;       /* next resource of the same user */
    edd_user *user;           /* set while bound */
    edd_transport *t;         /* the connection (transport.h) */
    struct edd_unauth_entry *ua; /* counted against its address while not
                                 * bound (unauth.c), else NULL */
    ed_xml_stream *xs;
    edd_sasl_conv *sasl;
    ed_jid *jid;             /* bare after auth, full after bind */
    char *presence;          /* payload of the last available presence */
    char *lang;              /* the stream's xml:lang, NULL when none */
    char **directed;         /* JIDs sent directed available presence
                              * (router.c; RFC 6121 §4.6.3), NULL: none */
    uint8_t ndirected;
    edd_pending_iqs *pending; /* IQ requests sent to local entities and not
                              * answered yet (router.c); NULL when none */
    struct sockaddr_storage peer; /* the client (as the proxy reports it) */
    socklen_t peerlen;
    int64_t started;
    uint64_t serial;         /* for log lines */
    uint8_t state;           /* edd_session_state */
    uint8_t auth_failures;
    uint8_t busy_reads;      /* reads this sweep period (since bound) */
    int8_t priority;
    bool direct_tls : 1;     /* listener is direct TLS (handshake pending) */
    bool starttls_ok : 1;    /* the listener offers STARTTLS */
    bool secure_front : 1;   /* the listener is behind a TLS-terminating proxy */
    bool available : 1;      /* sent initial presence, not unavailable */
    bool roster_wanted : 1;  /* asked for the roster: gets pushes */
    bool active : 1;         /* read something since the last sweep */
    bool parser_idle : 1;    /* the sweep released xs's expat state */
    bool pending_logged : 1; /* hit max_pending_iqs (logged once) */
};

/* Encrypted for SASL's purposes: TLS here, or a TLS-terminating proxy in
 * front of the listener (consider_secure). */
static inline bool edd_session_secure(const edd_session *s)
{
    return edd_transport_secure(s->t) || s->secure_front;
}

/* --- session.c -------------------------------------------------------- */
edd_session *edd_session_new(edd_c2s *c, evutil_socket_t fd, const struct sockaddr *sa,
                           socklen_t salen, const edd_listener *l);
/* Serialise and queue (never blocks).  Cuts a client whose queue passes
 * EDD_C2S_OUT_MAX. */
void edd_session_send(edd_session *s, const ed_elem *stanza);
void edd_session_send_raw(edd_session *s, const char *data, size_t n);
/* Send <stream:error> (and a header first when none went out), then close
 * with EDD_CLOSE_FLUSH. */
void edd_session_stream_error(edd_session *s, const char *cond, const char *text);
/* The absolute handshake deadline (c2s.c's sweep, every second): a
 * session not bound within limits.handshake_timeout of its accept is closed,
 * whatever it is doing (trickling a PROXY header or a TLS handshake
 * included; reads restart only the idle timer). */
void edd_session_check_deadline(edd_session *s, int64_t now);
/* The one state change (logged at debug level). */
void edd_session_enter(edd_session *s, edd_session_state to);
/* The one close path; safe from anywhere, also for a recipient while
 * router.c walks its lists: s becomes CLOSING (flush) or CLOSED (abort),
 * its input stops, nothing more is sent to it, and the close event is
 * armed.  A second call does nothing. */
void edd_session_close(edd_session *s, edd_close_how how);
/* The deferred close callback (c2s.c's close event; at shutdown directly):
 * unbind and unregister every closed session, hand a flushing connection to
 * io.c's closer (flush_secs at most), free.  Sessions closed meanwhile are
 * done too. */
void edd_session_reap(edd_c2s *c, int flush_secs);
/* Free s and its connection (edd_session_reap). */
void edd_session_free(edd_session *s);

static inline bool edd_session_closed(const edd_session *s)
{
    return s->state >= EDD_SS_CLOSING;
}

/* The client's stream header arrived (and ours went out). */
static inline bool edd_session_stream_open(const edd_session *s)
{
    return s->state >= EDD_SS_OPEN && s->state <= EDD_SS_BOUND;
}

/* Bound, available and not closing: may be chosen as a recipient. */
static inline bool edd_session_online(const edd_session *s)
{
    return s->available && s->state == EDD_SS_BOUND;
}
/* The edd_route of s for pushes. */
edd_route edd_session_route(edd_session *s);

/* --- unauth.c: sessions not bound yet, per client address ------------ */
/* Count s against its address (s->peer).  false: the address has
 * limits.max_unauthenticated_per_address such sessions already (or no
 * memory), s is not counted and is to be closed. */
bool edd_unauth_enter(edd_c2s *c, edd_session *s);
/* s is bound or gone: no longer counted (no-op when it is not). */
void edd_unauth_leave(edd_c2s *c, edd_session *s);
/* At stop, after the sessions: the table and its entries. */
void edd_unauth_free(edd_c2s *c);

/* --- session_sasl.c ---------------------------------------------------- */
/* An element in the SASL namespace from a session not yet authenticated:
 * <auth/>, <response/>, <abort/> (anything else: a stream error).  On
 * success s->jid (bare) is set and s enters EDD_SS_AUTH_STREAM. */
void edd_session_sasl(edd_session *s, ed_elem *st);

/* --- router.c --------------------------------------------------------- */
/* Bind s (authed, jid bare) to resource (NULL: generate one): s->user is
 * set from then on.  false with *condition on failure. */
bool edd_router_bind(edd_session *s, const char *resource, const char **condition);
/* s goes away (from edd_session_reap): unavailable presence to whoever saw
 * it, out of the table; nothing when s->user is NULL. */
void edd_router_unbind(edd_session *s);
/* A stanza from bound session s (owned by the caller). */
void edd_router_stanza(edd_session *s, ed_elem *st);
edd_user *edd_router_user(edd_c2s *c, const char *local);
void edd_router_free(edd_c2s *c);
/* Does the local account exist (online or in the store)?  1 yes, 0 no, -1
 * the store cannot say now (locked, failing). */
int edd_router_account_exists(edd_c2s *c, const char *local);
/* Reply with an error to st from s (st's to/from swapped). */
void edd_router_error(edd_session *s, const ed_elem *st, const char *cond);
/* Free s->pending (session teardown). */
void edd_router_pending_free(edd_session *s);

/* --- presence.c ------------------------------------------------------- */
/* Deliver the presence of every available resource of `from` to every
 * available resource of user `to` (both local parts); unavailable when
 * unavail; only: when non-NULL, only this session of `to` receives. */
void edd_presence_between(edd_c2s *c, const char *from, const char *to, bool unavail,
                         edd_session *only);
/* Send a presence stanza text of type (NULL: available) from `from` (a JID
 * string) to session s; payload (serialised children, may be NULL) goes
 * with available and unavailable presence. */
void edd_presence_send(edd_session *s, const char *from, const char *type,
                      const char *payload);
/* Presence from s without a `to` (or to its own bare JID): initial,
 * updated or unavailable (type NULL or "unavailable"). */
void edd_presence_from_client(edd_session *s, ed_elem *st, const char *type);
/* s (available) goes: unavailable to subscribers, its other resources and
 * directed-presence recipients; pushes forget it. */
void edd_presence_gone(edd_session *s);
/* s sent presence of type (NULL or "unavailable") directly to jid, a local
 * user's full or bare JID: remembered or forgotten (RFC 6121 §4.6). */
void edd_presence_directed(edd_session *s, const char *jid, const char *type);
/* Forget s's directed-presence targets (no presence is sent). */
void edd_presence_directed_free(edd_session *s);

/* --- roster.c --------------------------------------------------------- */
/* jabber:iq:roster get/set from s for its own roster. */
void edd_roster_iq(edd_session *s, const ed_elem *iq);
/* A subscription presence (subscribe/subscribed/unsubscribe/unsubscribed)
 * from s to the local bare JID contact (local part; a subscribe to an
 * account that does not exist is answered with unsubscribed).  false when
 * the store refused a change (disk full, database error): nothing was
 * delivered, and the caller answers s with resource-constraint (wait). */
bool edd_roster_subscription(edd_session *s, const char *contact, const char *type);
/* Initial presence of s: send it the pending subscription requests. */
void edd_roster_initial(edd_session *s);
/* Contacts of user (local part) with a subscription mask (EDD_SUB_*):
 * callback per contact bare JID. */
void edd_roster_each(edd_c2s *c, const char *user, int mask,
                    void (*fn)(void *ud, const char *contact_bare), void *ud);

#endif
