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


#define ED_C2S_READ_HIGH   4096       /* bytes read per turn before parsing */
#define ED_C2S_OUT_MAX     (1 << 20)  /* queued output before a slow client is cut */
#define ED_C2S_FLUSH_SECS  5          /* time to flush a closing stream */
#define ED_C2S_MAX_AUTH_FAILURES 3    /* per connection */
#define ED_C2S_MAX_RESOURCES 16       /* per account */
#define ED_C2S_PRESENCE_MAX 4096      /* bytes of a stored presence payload */
#define ED_C2S_LANG_MAX    35         /* bytes of a stream xml:lang we stamp */
#define ED_C2S_MAX_DIRECTED 32        /* directed-presence targets remembered
                                       * per session (the oldest give way) */
#define ED_C2S_BUSY_READS  3          /* reads per sweep period that keep
                                       * the parser of a bound session */
#define ED_C2S_SWEEP_SECS  1          /* quiet for 1-2 sweeps: the XML parser's
                                       * expat state is released */
#define ED_C2S_IQ_PENDING_SECS 120    /* an unanswered IQ to a local entity
                                       * stops counting against
                                       * limits.max_pending_iqs after this */

typedef struct ed_session ed_session;
typedef struct ed_user ed_user;
typedef struct ed_pending_iqs ed_pending_iqs; /* router.c */

typedef struct ed_listener {
    ed_c2s *c2s;
    struct evconnlistener *ev;
    struct event *retry; /* re-enables ev after an accept error (owned) */
    char *address;       /* as configured, to compare on reload */
    ed_listen_tls tls;
    bool proxy;
} ed_listener;

/* An account with at least one bound resource. */
struct ed_user {
    ed_hash_node node;   /* in ed_c2s.users, keyed by local */
    char *local;
    ed_session *res;     /* bound sessions, linked by rnext */
    unsigned nres;
};

struct ed_c2s {
    ed_server *srv;
    struct event_base *base;
    SSL_CTX *ssl;        /* NULL without tls cert/key */
    ed_store *store;
    ed_sasl *sasl;
    ed_throttle *throttle;
    ed_listener **lst;
    size_t nlst;
    ed_session *sessions; /* every session not closed, doubly linked */
    size_t nsessions;    /* sessions not freed yet (closed ones included) */
    ed_session *closed;  /* closed sessions, linked by next, waiting for
                          * ed_session_reap() */
    struct event *close_ev; /* runs ed_session_reap(): the deferred close */
    struct event *sweeper; /* every ED_C2S_SWEEP_SECS: idle sessions shrink */
    uint64_t serial;     /* sessions accepted so far */
    ed_hash *users;      /* ed_user by local part (router.c); NULL before
                          * the first bind */
    ed_buf out;          /* scratch for serialising */
    ed_buf cork;         /* output gathered for `corked` (session.c) */
    ed_session *corked;  /* the bound session whose input is being read:
                          * its output goes to cork and out in one send(2)
                          * when the read is done */
    char rbuf[ED_C2S_READ_HIGH]; /* fast reads of bound plaintext sessions
                                  * (transport_tcp.c) */
    char *domain;
    ed_xml_limits xlim;
    bool require_tls;
    int64_t handshake_timeout, idle_timeout;
    size_t max_connections;
    unsigned max_unauth_per_address;
    ed_hash *unauth;     /* sessions not bound yet, per address (unauth.c) */
};

/* A session's one state.  Changed only by ed_session_enter().  Usual
 * course: [PROXY] [TLS_HANDSHAKE] STREAM OPEN (STARTTLS: TLS_HANDSHAKE
 * STREAM OPEN) AUTH_STREAM AUTHED BOUND, then CLOSING or CLOSED from
 * anywhere. */
typedef enum ed_session_state {
    ED_SS_PROXY = 0,     /* waiting for the PROXY header */
    ED_SS_TLS_HANDSHAKE, /* TLS first: direct TLS, or after <proceed/> */
    ED_SS_STREAM,        /* waiting for the client's stream header */
    ED_SS_AUTH_STREAM,   /* authenticated (SASL success): waiting for the
                          * header of the new stream */
    ED_SS_OPEN,          /* stream open, not authenticated: STARTTLS, SASL */
    ED_SS_AUTHED,        /* authenticated stream open: resource binding */
    ED_SS_BOUND,         /* resource bound: stanzas go to router.c */
    ED_SS_CLOSING,       /* closed: its last bytes are being written */
    ED_SS_CLOSED         /* closed: nothing more is written */
} ed_session_state;

typedef enum ed_close_how {
    ED_CLOSE_FLUSH,      /* what is queued (a stream error, the close tag)
                          * is written first, for ED_C2S_FLUSH_SECS at most */
    ED_CLOSE_ABORT       /* EOF, errors, output overflow: dropped */
} ed_close_how;

struct ed_session {
    ed_c2s *c2s;
    ed_session *prev, *next; /* all sessions */
    ed_session *rnext;       /* next resource of the same user */
    ed_user *user;           /* set while bound */
    ed_transport *t;         /* the connection (transport.h) */
    struct ed_unauth_entry *ua; /* counted against its address while not
                                 * bound (unauth.c), else NULL */
    ed_xml_stream *xs;
    ed_sasl_conv *sasl;
    ed_jid *jid;             /* bare after auth, full after bind */
    char *presence;          /* payload of the last available presence */
    char *lang;              /* the stream's xml:lang, NULL when none */
    char **directed;         /* JIDs sent directed available presence
                              * (router.c; RFC 6121 §4.6.3), NULL: none */
    uint8_t ndirected;
    ed_pending_iqs *pending; /* IQ requests sent to local entities and not
                              * answered yet (router.c); NULL when none */
    struct sockaddr_storage peer; /* the client (as the proxy reports it) */
    socklen_t peerlen;
    int64_t started;
    uint64_t serial;         /* for log lines */
    uint8_t state;           /* ed_session_state */
    uint8_t auth_failures;
    uint8_t busy_reads;      /* reads while bound this sweep period */
    int8_t priority;
    bool direct_tls : 1;     /* listener is direct TLS (handshake pending) */
    bool starttls_ok : 1;    /* the listener offers STARTTLS */
    bool available : 1;      /* sent initial presence, not unavailable */
    bool roster_wanted : 1;  /* asked for the roster: gets pushes */
    bool active : 1;         /* read something since the last sweep */
    bool parser_idle : 1;    /* the sweep released xs's expat state */
    bool pending_logged : 1; /* hit max_pending_iqs (logged once) */
};

/* --- session.c -------------------------------------------------------- */
ed_session *ed_session_new(ed_c2s *c, evutil_socket_t fd, const struct sockaddr *sa,
                           socklen_t salen, const ed_listener *l);
/* Serialise and queue (never blocks).  Cuts a client whose queue passes
 * ED_C2S_OUT_MAX. */
void ed_session_send(ed_session *s, const ed_elem *stanza);
void ed_session_send_raw(ed_session *s, const char *data, size_t n);
/* Send <stream:error> (and a header first when none went out), then close
 * with ED_CLOSE_FLUSH. */
void ed_session_stream_error(ed_session *s, const char *cond, const char *text);
/* The absolute handshake deadline (c2s.c's sweep, every second): a
 * session not bound within limits.handshake_timeout of its accept is closed,
 * whatever it is doing (trickling a PROXY header or a TLS handshake
 * included; reads restart only the idle timer). */
void ed_session_check_deadline(ed_session *s, int64_t now);
/* The one state change (logged at debug level). */
void ed_session_enter(ed_session *s, ed_session_state to);
/* The one close path; safe from anywhere, also for a recipient while
 * router.c walks its lists: s becomes CLOSING (flush) or CLOSED (abort),
 * its input stops, nothing more is sent to it, and the close event is
 * armed.  A second call does nothing. */
void ed_session_close(ed_session *s, ed_close_how how);
/* The deferred close callback (c2s.c's close event; at shutdown directly):
 * unbind and unregister every closed session, hand a flushing connection to
 * io.c's closer (flush_secs at most), free.  Sessions closed meanwhile are
 * done too. */
void ed_session_reap(ed_c2s *c, int flush_secs);
/* Free s and its connection (ed_session_reap). */
void ed_session_free(ed_session *s);

static inline bool ed_session_closed(const ed_session *s)
{
    return s->state >= ED_SS_CLOSING;
}

/* The client's stream header arrived (and ours went out). */
static inline bool ed_session_stream_open(const ed_session *s)
{
    return s->state >= ED_SS_OPEN && s->state <= ED_SS_BOUND;
}

/* Bound, available and not closing: may be chosen as a recipient. */
static inline bool ed_session_online(const ed_session *s)
{
    return s->available && s->state == ED_SS_BOUND;
}
/* The ed_route of s for pushes. */
ed_route ed_session_route(ed_session *s);

/* --- unauth.c: sessions not bound yet, per client address ------------ */
/* Count s against its address (s->peer).  false: the address has
 * limits.max_unauthenticated_per_address such sessions already (or no
 * memory), s is not counted and is to be closed. */
bool ed_unauth_enter(ed_c2s *c, ed_session *s);
/* s is bound or gone: no longer counted (no-op when it is not). */
void ed_unauth_leave(ed_c2s *c, ed_session *s);
/* At stop, after the sessions: the table and its entries. */
void ed_unauth_free(ed_c2s *c);

/* --- session_sasl.c ---------------------------------------------------- */
/* An element in the SASL namespace from a session not yet authenticated:
 * <auth/>, <response/>, <abort/> (anything else: a stream error).  On
 * success s->jid (bare) is set and s enters ED_SS_AUTH_STREAM. */
void ed_session_sasl(ed_session *s, ed_elem *st);

/* --- router.c --------------------------------------------------------- */
/* Bind s (authed, jid bare) to resource (NULL: generate one): s->user is
 * set from then on.  false with *condition on failure. */
bool ed_router_bind(ed_session *s, const char *resource, const char **condition);
/* s goes away (from ed_session_reap): unavailable presence to whoever saw
 * it, out of the table; nothing when s->user is NULL. */
void ed_router_unbind(ed_session *s);
/* A stanza from bound session s (owned by the caller). */
void ed_router_stanza(ed_session *s, ed_elem *st);
ed_user *ed_router_user(ed_c2s *c, const char *local);
void ed_router_free(ed_c2s *c);
/* Does the local account exist (online or in the store)?  1 yes, 0 no, -1
 * the store cannot say now (locked, failing). */
int ed_router_account_exists(ed_c2s *c, const char *local);
/* Reply with an error to st from s (st's to/from swapped). */
void ed_router_error(ed_session *s, const ed_elem *st, const char *cond);
/* Free s->pending (session teardown). */
void ed_router_pending_free(ed_session *s);

/* --- presence.c ------------------------------------------------------- */
/* Deliver the presence of every available resource of `from` to every
 * available resource of user `to` (both local parts); unavailable when
 * unavail; only: when non-NULL, only this session of `to` receives. */
void ed_presence_between(ed_c2s *c, const char *from, const char *to, bool unavail,
                         ed_session *only);
/* Send a presence stanza text of type (NULL: available) from `from` (a JID
 * string) to session s; payload (serialised children, may be NULL) goes
 * with available and unavailable presence. */
void ed_presence_send(ed_session *s, const char *from, const char *type,
                      const char *payload);
/* Presence from s without a `to` (or to its own bare JID): initial,
 * updated or unavailable (type NULL or "unavailable"). */
void ed_presence_from_client(ed_session *s, ed_elem *st, const char *type);
/* s (available) goes: unavailable to subscribers, its other resources and
 * directed-presence recipients; pushes forget it. */
void ed_presence_gone(ed_session *s);
/* s sent presence of type (NULL or "unavailable") directly to jid, a local
 * user's full or bare JID: remembered or forgotten (RFC 6121 §4.6). */
void ed_presence_directed(ed_session *s, const char *jid, const char *type);
/* Forget s's directed-presence targets (no presence is sent). */
void ed_presence_directed_free(ed_session *s);

/* --- roster.c --------------------------------------------------------- */
/* jabber:iq:roster get/set from s for its own roster. */
void ed_roster_iq(ed_session *s, const ed_elem *iq);
/* A subscription presence (subscribe/subscribed/unsubscribe/unsubscribed)
 * from s to the local bare JID contact (local part; a subscribe to an
 * account that does not exist is answered with unsubscribed).  false when
 * the store refused a change (disk full, database error): nothing was
 * delivered, and the caller answers s with resource-constraint (wait). */
bool ed_roster_subscription(ed_session *s, const char *contact, const char *type);
/* Initial presence of s: send it the pending subscription requests. */
void ed_roster_initial(ed_session *s);
/* Contacts of user (local part) with a subscription mask (ED_SUB_*):
 * callback per contact bare JID. */
void ed_roster_each(ed_c2s *c, const char *user, int mask,
                    void (*fn)(void *ud, const char *contact_bare), void *ud);

#endif
