/* bench/bench_lib.c — library hot paths, single core, in ns/op:
 *   services: parse a Conversations-style <services/> IQ from bytes, answer
 *             it from 3 services (stun udp, turn udp + tcp with TURN REST
 *             credentials minted per request) and serialise the reply;
 *   credentials: the same for a <credentials/> request;
 *   sic:      parse + answer + serialise an XEP-0279 request.
 * Usage: bench_lib [N [CASE]] — N ops per case (500000), only CASE if given
 * (e.g. for instruction counts under valgrind --tool=callgrind).
 * Not a test: numbers go to the README (make bench). */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "extdisco/extdisco.h"

static double now_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec * 1e9 + ts.tv_nsec;
}

static void die(const char *what)
{
    fprintf(stderr, "bench_lib: %s\n", what);
    exit(1);
}

static void set(char **dst, const char *v)
{
    if (!(*dst = strdup(v)))
        die("out of memory");
}

static ed_service_def defs[3];

static void make_defs(const ed_turn_rest *rest)
{
    const char *types[] = {"stun", "turn", "turn"}, *tr[] = {"udp", "udp", "tcp"};
    for (int i = 0; i < 3; i++) {
        ed_service_init(&defs[i].svc);
        set(&defs[i].svc.type, types[i]);
        set(&defs[i].svc.host, "turn.example.org");
        set(&defs[i].svc.transport, tr[i]);
        defs[i].svc.port = 3478;
        if (i > 0) {
            defs[i].svc.restricted = 1;
            defs[i].rest = rest;
        }
    }
}

typedef ed_elem *(*respond_fn)(const ed_elem *iq, const ed_jid *who);

static ed_xep0215_policy pol;
static int64_t fixed_now = 1790000000;

static ed_elem *respond215(const ed_elem *iq, const ed_jid *who)
{
    return ed_xep0215_respond(iq, who, fixed_now, defs, 3, &pol, NULL);
}

static struct sockaddr_in peer;

static ed_elem *respond279(const ed_elem *iq, const ed_jid *who)
{
    return ed_xep0279_respond(iq, who, "example.org", (struct sockaddr *)&peer, sizeof peer,
                              NULL);
}

/* As the daemon does it: one long-lived stream parser per connection, fed
 * the bytes of each request as they arrive. */
static ed_elem *got;

/* Feed n bytes and take the stanza they complete into got. */
static ed_err feed(ed_xml_stream *xs, const char *p, size_t n)
{
    ed_err e = ed_xml_stream_feed(xs, p, n);
    ed_xml_event ev;
    while (!e && (e = ed_xml_stream_next(xs, &ev)) == ED_OK && ev.type)
        if (ev.type == ED_XML_EV_STANZA)
            got = ev.elem;
    return e;
}

/* Optional second argument: run only the case of that name (for
 * instruction counting with callgrind). */
static const char *only;

static void run(const char *name, const char *req, respond_fn fn, const ed_jid *who, long n)
{
    if (only && strcmp(only, name) != 0)
        return;
    size_t len = strlen(req);
    ed_buf out = {0};
    size_t bytes = 0;
    ed_xml_stream *xs = ed_xml_stream_new(NULL);
    static const char hdr[] = "<stream:stream xmlns='jabber:client' "
                              "xmlns:stream='http://etherx.jabber.org/streams' to='example.org'>";
    if (!xs || feed(xs, hdr, sizeof hdr - 1) != ED_OK)
        die("stream open failed");
    double t0 = now_ns();
    for (long i = 0; i < n; i++) {
        got = NULL;
        if (feed(xs, req, len) != ED_OK || !got)
            die("parse failed");
        ed_elem *iq = got;
        ed_elem *r = fn(iq, who);
        if (!r)
            die("no reply");
        ed_buf_reset(&out);
        if (ed_xml_write(&out, r, ED_NS_CLIENT) != ED_OK)
            die("write failed");
        bytes += out.len;
        ed_elem_free(r);
        ed_elem_free(iq);
    }
    double dt = now_ns() - t0;
    ed_xml_stream_free(xs);
    printf("%-12s %8.0f ns/op  %10.0f op/s  (%zu reply bytes)\n", name, dt / n, n / (dt / 1e9),
           bytes / (size_t)n);
    ed_buf_free(&out);
}

int main(int argc, char **argv)
{
    long n = argc > 1 ? atol(argv[1]) : 500000;
    only = argc > 2 ? argv[2] : NULL;
    const char *secrets[] = {"bench-secret"};
    ed_turn_rest_config rc = {.secrets = secrets, .nsecrets = 1};
    ed_turn_rest *rest;
    if (ed_turn_rest_new(&rc, &rest) != ED_OK)
        die("turn_rest_new");
    make_defs(rest);
    pol = ed_xep0215_policy_default();
    ed_jid *who;
    if (ed_jid_parse("juliet@example.org/balcony", 26, &who) != ED_OK)
        die("jid");
    peer.sin_family = AF_INET;
    peer.sin_port = htons(51234);
    inet_pton(AF_INET, "203.0.113.5", &peer.sin_addr);

    run("services", "<iq type='get' id='ul2bc7y6' to='example.org' "
                    "from='juliet@example.org/balcony'><services xmlns='urn:xmpp:extdisco:2'/></iq>",
        respond215, who, n);
    run("credentials", "<iq type='get' id='xi2cax48' to='example.org'><credentials "
                       "xmlns='urn:xmpp:extdisco:2'><service host='turn.example.org' "
                       "type='turn' port='3478'/></credentials></iq>",
        respond215, who, n);
    run("sic", "<iq type='get' id='s1'><address xmlns='urn:xmpp:sic:1'/></iq>", respond279, who, n);

    for (int i = 0; i < 3; i++)
        ed_service_clear(&defs[i].svc);
    ed_jid_free(who);
    ed_turn_rest_free(rest);
    return 0;
}
