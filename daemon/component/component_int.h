/* daemon/component/component_int.h — shared between the two halves of the component
 * role: component_link.c (the XEP-0114 connection state machine: connect,
 * handshake, keepalive, reconnect with backoff) and component.c (what
 * arrives on a ready link: IQs, XEP-0355 delegation, XEP-0356 privilege and
 * presence). */
#ifndef EXTDISCOD_COMPONENT_INT_H
#define EXTDISCOD_COMPONENT_INT_H

#include <stdbool.h>
#include <stdint.h>
#include <string.h>

#include <event2/bufferevent.h>
#include <event2/event.h>

#include "component/component.h"

/* Bytes queued towards the host server beyond which stanzas are dropped
 * (the server is not reading: pushes must never pile up without bound). */
#define EDD_LINK_MAX_OUTPUT (16u * 1024 * 1024)
/* Stanzas from the host server may be bigger than what extdiscod accepts
 * as a request (the server wraps client IQs in <delegation/> and applies
 * its own client limits); a request over cfg->limits.max_stanza_bytes gets
 * policy-violation, the link parser only fails past 4 times that and at
 * least this many bytes.  Depth and attributes are bounded on the link by
 * those bytes only: a request over limits.max_depth or max_attrs gets
 * policy-violation too (component.c), the link stays. */
#define EDD_LINK_MIN_PARSER_BYTES (1024u * 1024)
#define EDD_LINK_KEEPALIVE_SECS 60
#define EDD_LINK_BACKOFF_MIN 1
#define EDD_LINK_BACKOFF_MAX 60
/* A link that stayed up this long starts the backoff over at its next
 * drop; one closed sooner (a server that accepts the handshake and closes)
 * keeps doubling it. */
#define EDD_LINK_STABLE_SECS 30
/* A ready link the server has not delegated an extdisco namespace to by
 * then gets one warning with what to check on the host server. */
#define EDD_LINK_DELEGATION_WARN_SECS 10
/* The delegation probe (component_probe.c): a disco#info of the served
 * domain this often.  A link that found the delegation lost reconnects
 * after EDD_LINK_RELINK_DELAY_MS (the server finishes closing the old
 * connection first), then not again for a hold that starts at
 * EDD_LINK_RELINK_HOLD_MIN s and doubles up to EDD_LINK_RELINK_HOLD_MAX s
 * while the reconnects do not bring the namespace back. */
#define EDD_LINK_PROBE_SECS 2
#define EDD_LINK_RELINK_DELAY_MS 500
#define EDD_LINK_RELINK_HOLD_MIN 4
#define EDD_LINK_RELINK_HOLD_MAX 300
/* Seconds a link closed politely (shutdown, reload) may take to write its
 * </stream:stream> before the socket is closed anyway. */
#define EDD_LINK_STOP_FLUSH_SECS 2

typedef enum edd_link_state {
    EDD_LINK_WAITING = 0, /* reconnect timer armed */
    EDD_LINK_CONNECTING,  /* TCP connect in progress */
    EDD_LINK_OPENING,     /* stream header sent, waiting for the server's */
    EDD_LINK_HANDSHAKE,   /* <handshake/> sent, waiting for the empty one */
    EDD_LINK_READY        /* authenticated: stanzas flow */
} edd_link_state;

typedef struct edd_link {
    struct edd_component_set *set;
    /* copied from the configuration entry (survive a reload) */
    char *host;
    int port;
    char *jid;         /* the component's JID */
    char *secret;      /* never logged; wiped on free */
    edd_link_state state;
    struct bufferevent *bev;
    struct event *rev;       /* ready link: reads with recv(2) (bev writes) */
    ed_xml_stream *xs;
    ed_xml_limits lim;       /* xs's limits */
    bool limits_pending;     /* a reload changed them: swap xs when idle */
    struct event *retry;     /* reconnect / handshake timeout timer */
    struct event *keepalive; /* whitespace ping while ready */
    struct event *deleg_check; /* EDD_LINK_DELEGATION_WARN_SECS after ready */
    bool delegated;          /* since ready: the server delegated (or
                              * advertised delegating) urn:xmpp:extdisco:* */
    unsigned deleg_ns;       /* since ready: which (EDD_LINK_NS_* bits) */
    struct event *probe;     /* delegation probe while ready */
    bool probe_seen;         /* since ready: the domain listed extdisco:2 */
    bool relink;             /* the delegation was lost: reconnect now */
    unsigned probe_seq;
    int64_t relinked_at;     /* CLOCK_MONOTONIC seconds, 0 = never */
    unsigned relink_hold;    /* seconds before another relink, 0 = min */
    unsigned backoff;        /* seconds of the next reconnect delay */
    int64_t ready_since;     /* CLOCK_MONOTONIC seconds of the handshake */
    bool push_from_component;/* the server refused from=DOMAIN (invalid-from) */
    bool garbage_logged;     /* bad input from the server logged once */
    uint64_t connects;       /* successful handshakes (for logs/tests) */
    ed_buf scratch;          /* size checks of incoming requests */
    ed_buf out;              /* replies gathered while a read is parsed, */
    bool corked;             /* then sent with one send(2) */
} edd_link;

struct edd_component_set {
    edd_server *s;
    edd_link **links;
    size_t n;
};

/* component_link.c */
/* Serialise stanza and queue it on l (dropped, with a log line, when the
 * link is not ready or its output is over EDD_LINK_MAX_OUTPUT). */
void edd_link_send(edd_link *l, const ed_elem *stanza);
/* Drop the connection (after bad input or a stream error) and schedule a
 * reconnect with backoff. */
void edd_link_fail(edd_link *l, const char *why);

/* component_probe.c: the delegation probe's timer (init false: out of
 * memory), started when the link is ready, stopped on teardown.  answer:
 * true when iq is the answer to a probe (consumed); sets l->relink when the
 * delegation was lost. */
bool edd_link_probe_init(edd_link *l);
void edd_link_probe_start(edd_link *l);
void edd_link_probe_stop(edd_link *l);
void edd_link_probe_free(edd_link *l);
bool edd_link_probe_answer(edd_link *l, const ed_elem *iq);

/* component.c */
/* May the server at the other end of l speak for served domain d? */
bool edd_link_domain(const edd_link *l, const char *d);
/* The first served domain l speaks for (what the probe asks), or NULL. */
const char *edd_link_probe_domain(const edd_link *l);
/* The server delegates an extdisco namespace to l (advertised, or a
 * delegated request arrived): no "never delegated" warning for this link. */
static inline void edd_link_delegated(edd_link *l, const char *ns)
{
    l->delegated = true;
    if (ns && strcmp(ns, ED_NS_EXTDISCO2) == 0)
        l->deleg_ns |= EDD_LINK_NS_EXTDISCO2;
    else if (ns && strcmp(ns, ED_NS_EXTDISCO1) == 0)
        l->deleg_ns |= EDD_LINK_NS_EXTDISCO1;
}
/* A stanza on a ready link; ownership stays with the caller. */
void edd_link_stanza(edd_link *l, ed_elem *stanza);
/* The edd_route send function of a link (owner = the edd_link). */
void edd_link_route_send(void *owner, const ed_elem *stanza);

#endif
