/* Unit tests of daemon/core/pushes.c (with the real daemon/core/server.c reload):
 * who gets a XEP-0215 push when the configuration changes (§3.2: only
 * requesters that are online, with their own type filter and namespace
 * version), what the push carries (credentials minted for the requester),
 * forgetting a closed session's requesters, and the table's entry cap
 * (refused entries are warned about once, not once per request).  Attached
 * to the server (component mode): presence only from JIDs the policy lets
 * list services, and idle expiry of the component's entries (a fake clock:
 * when the table is full, at most one scan a minute, and before a reload's
 * pushes).  Through daemon/core/handler.c: which XEP-0215 requests are recorded
 * (from the responder's outcome).  The push metrics (stanzas, services by
 * action) count what was sent.  Per-network sets: a requester is offered
 * and pushed (after a health change or a reload) only its network's
 * services. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "core/log.h"
#include "core/metrics.h"
#include "core/server.h"

#define NS2 "urn:xmpp:extdisco:2"
#define NS1 "urn:xmpp:extdisco:1"

static char dir[64], conf[96];

static void write_config_pw(bool with_tcp, bool stun_moved, const char *static_pw)
{
    FILE *f = fopen(conf, "w");
    assert_non_null(f);
    fprintf(f,
            "domains: [localhost]\n"
            "turn_secrets:\n"
            "  - name: dev\n"
            "    secret_files: [%s/tests/config/secrets/turn.secret]\n"
            "    ttl: 3600\n"
            "services:\n"
            "  - {type: stun, host: 127.0.0.1, port: %d, transport: udp, allow_local: true}\n"
            "  - {type: turn, host: 127.0.0.1, port: 3478, transport: udp, credentials: dev,"
            " allow_local: true}\n",
            SRCDIR, stun_moved ? 3479 : 3478);
    if (with_tcp)
        fprintf(f, "  - {type: turn, host: 127.0.0.1, port: 3478, transport: tcp,"
                   " credentials: dev, allow_local: true, name: TURN relay,"
                   " names: {de: TURN-Relais}}\n");
    if (static_pw) { /* a TURN service with static credentials */
        char pw[128];
        snprintf(pw, sizeof pw, "%s/static.pass", dir);
        FILE *g = fopen(pw, "w");
        assert_non_null(g);
        fprintf(g, "%s\n", static_pw);
        assert_int_equal(fclose(g), 0);
        fprintf(f, "  - {type: turn, host: 127.0.0.1, port: 3479, transport: udp,"
                   " username: fixed, password_file: %s, allow_local: true}\n", pw);
    }
    fprintf(f, "c2s:\n  domain: localhost\n  database: accounts.sqlite\n  require_tls: false\n"
               "  listen:\n    - {address: \"127.0.0.1:5222\", tls: none}\n");
    assert_int_equal(fclose(f), 0);
}

static void write_config(bool with_tcp, bool stun_moved)
{
    write_config_pw(with_tcp, stun_moved, NULL);
}

/* what a route received */
typedef struct sink {
    int n;
    char *last;
} sink;

static void sink_send(void *owner, const ed_elem *stanza)
{
    sink *k = owner;
    k->n++;
    free(k->last);
    k->last = ed_xml_to_string(stanza, ED_NS_CLIENT);
    assert_non_null(k->last);
}

static ed_jid *jid(const char *s)
{
    ed_jid *j = NULL;
    assert_int_equal(ed_jid_parse(s, strlen(s), &j), ED_OK);
    return j;
}

static int64_t fixed_clock(void)
{
    return 1700000000;
}

static int64_t fake_now;
static int64_t fake_clock(void)
{
    return fake_now;
}

/* a second route kind: the one attached as expiring (a component link's) */
static void link_send(void *owner, const ed_elem *stanza)
{
    sink_send(owner, stanza);
}

static int setup(void **state)
{
    snprintf(dir, sizeof dir, "/tmp/ed-test-pushes-%d", (int)getpid());
    assert_int_equal(mkdir(dir, 0700), 0);
    snprintf(conf, sizeof conf, "%s/extdiscod.yml", dir);
    write_config(false, false);
    char err[256] = "";
    edd_server *s = edd_server_new(NULL, conf, err, sizeof err);
    if (!s)
        fail_msg("%s", err);
    s->clock = fixed_clock;
    *state = s;
    return 0;
}

static int teardown(void **state)
{
    edd_server_free(*state);
    unlink(conf);
    rmdir(dir);
    return 0;
}

static void reload(edd_server *s)
{
    char err[256] = "";
    if (!edd_server_reload(s, err, sizeof err))
        fail_msg("%s", err);
}

/* An added TURN service reaches online requesters only, each in its own
 * namespace version and filter, with credentials minted for it. */
static void test_reload_pushes_to_online_requesters(void **state)
{
    edd_server *s = *state;
    sink alice = {0}, bob = {0}, carol = {0}, dave = {0};
    edd_route ra = {.owner = &alice, .send = sink_send}, rb = {.owner = &bob, .send = sink_send}, rc = {.owner = &carol, .send = sink_send},
             rd = {.owner = &dave, .send = sink_send};
    ed_jid *a = jid("alice@localhost/r1"), *b = jid("bob@localhost/r2"),
           *c = jid("carol@localhost/r3"), *d = jid("dave@localhost/r4");
    edd_pushes_record(s->pushes, a, 2, NULL, NULL, "localhost", &ra, true);
    edd_pushes_record(s->pushes, b, 2, NULL, NULL, "localhost", &rb, false); /* no presence */
    edd_pushes_record(s->pushes, c, 2, "stun", NULL, "localhost", &rc, true);
    edd_pushes_record(s->pushes, d, 1, "turn", "de", "localhost", &rd, true);
    size_t online = 0;
    assert_int_equal(edd_pushes_count(s->pushes, &online), 4);
    assert_int_equal(online, 3);

    edd_metrics m0 = edd_metrics_g;
    write_config(true, false);
    reload(s);
    /* the metrics: two push stanzas, one added service in each */
    assert_int_equal(edd_metrics_g.pushes - m0.pushes, 2);
    assert_int_equal(edd_metrics_g.push_changes[EDD_MPA_ADD] - m0.push_changes[EDD_MPA_ADD], 2);
    assert_int_equal(edd_metrics_g.reloads_ok - m0.reloads_ok, 1);
    assert_int_equal(alice.n, 1);
    assert_int_equal(bob.n, 0);   /* not online: no push */
    assert_int_equal(carol.n, 0); /* asked for stun only: nothing changed there */
    assert_int_equal(dave.n, 1);

    ed_elem *iq = NULL;
    assert_int_equal(ed_xml_parse(alice.last, strlen(alice.last), NULL, &iq), ED_OK);
    assert_string_equal(ed_elem_attr(iq, "type"), "set");
    assert_string_equal(ed_elem_attr(iq, "to"), "alice@localhost/r1");
    assert_string_equal(ed_elem_attr(iq, "from"), "localhost");
    ed_elem *svcs = ed_elem_child(iq, "services", NS2);
    assert_non_null(svcs);
    ed_elem *sv = ed_elem_child(svcs, "service", NULL);
    assert_non_null(sv);
    assert_null(ed_elem_next(sv, "service", NULL)); /* only the change */
    assert_string_equal(ed_elem_attr(sv, "action"), "add");
    assert_string_equal(ed_elem_attr(sv, "type"), "turn");
    assert_string_equal(ed_elem_attr(sv, "transport"), "tcp");
    assert_non_null(ed_elem_attr(sv, "password"));
    const char *user = ed_elem_attr(sv, "username");
    assert_non_null(user);
    assert_int_equal(strncmp(user, "1700003600:", 11), 0); /* now + ttl */
    assert_string_equal(ed_elem_attr(sv, "name"), "TURN relay");
    ed_elem_free(iq);

    assert_int_equal(ed_xml_parse(dave.last, strlen(dave.last), NULL, &iq), ED_OK);
    assert_non_null(ed_elem_child(iq, "services", NS1)); /* asked with :1 */
    /* asked with xml:lang='de': the German name */
    assert_string_equal(
        ed_elem_attr(ed_elem_child(ed_elem_child(iq, "services", NS1), "service", NULL), "name"),
        "TURN-Relais");
    ed_elem_free(iq);

    /* moving the STUN port: a delete and an add for carol's filter, and
     * bob, once online, gets pushes too */
    edd_pushes_presence(s->pushes, b, true, &rb);
    m0 = edd_metrics_g;
    write_config(true, true);
    reload(s);
    /* carol, alice and bob: a delete and an add each */
    assert_int_equal(edd_metrics_g.pushes - m0.pushes, 3);
    assert_int_equal(edd_metrics_g.push_changes[EDD_MPA_DELETE] - m0.push_changes[EDD_MPA_DELETE], 3);
    assert_int_equal(edd_metrics_g.push_changes[EDD_MPA_ADD] - m0.push_changes[EDD_MPA_ADD], 3);
    assert_int_equal(edd_metrics_g.push_changes[EDD_MPA_MODIFY] - m0.push_changes[EDD_MPA_MODIFY], 0);
    assert_int_equal(carol.n, 1);
    assert_int_equal(alice.n, 2);
    assert_int_equal(bob.n, 1);
    assert_int_equal(dave.n, 1); /* turn unchanged */
    assert_int_equal(ed_xml_parse(carol.last, strlen(carol.last), NULL, &iq), ED_OK);
    int del = 0, add = 0;
    for (ed_elem *e = ed_elem_child(ed_elem_child(iq, "services", NS2), "service", NULL); e;
         e = ed_elem_next(e, "service", NULL)) {
        assert_string_equal(ed_elem_attr(e, "type"), "stun");
        del += strcmp(ed_elem_attr(e, "action"), "delete") == 0;
        add += strcmp(ed_elem_attr(e, "action"), "add") == 0;
    }
    assert_int_equal(del, 1);
    assert_int_equal(add, 1);
    ed_elem_free(iq);

    /* a closed session's requesters are gone; unavailable presence too */
    edd_pushes_forget_owner(s->pushes, &alice);
    edd_pushes_presence(s->pushes, d, false, &rd);
    assert_int_equal(edd_pushes_count(s->pushes, &online), 2);
    write_config(false, false);
    reload(s);
    assert_int_equal(alice.n, 2);
    assert_int_equal(dave.n, 1);
    assert_int_equal(bob.n, 2);
    assert_int_equal(carol.n, 2);

    for (sink *k = &alice; k; k = k == &alice ? &bob : k == &bob ? &carol : k == &carol ? &dave
                                                                                        : NULL)
        free(k->last);
    ed_jid_free(a);
    ed_jid_free(b);
    ed_jid_free(c);
    ed_jid_free(d);
}

/* The handler records from the XEP-0215 responder's outcome: a <services/>
 * result with its version, filter (a blank one: none) and language; not a
 * <credentials/> result, an IQ-set, a malformed or a refused request.  A
 * reload's push then shows what was recorded. */
static edd_iq_outcome ask(edd_server *s, const char *who, sink *k, const char *xml,
                         const char *want_type)
{
    ed_jid *j = jid(who);
    ed_elem *iq = NULL;
    assert_int_equal(ed_xml_parse(xml, strlen(xml), NULL, &iq), ED_OK);
    edd_iq_ctx ctx = {.from = j, .to = "localhost", .to_domain = true,
                     .route = {.owner = k, .send = sink_send}, .online = true};
    ed_elem *reply = NULL;
    edd_iq_outcome o = edd_server_handle_iq(s, iq, &ctx, &reply);
    assert_int_equal(o, EDD_IQ_REPLIED);
    assert_non_null(reply);
    assert_string_equal(ed_elem_attr(reply, "type"), want_type);
    ed_elem_free(reply);
    ed_elem_free(iq);
    ed_jid_free(j);
    return o;
}

static void test_handler_records_from_outcome(void **state)
{
    edd_server *s = *state;
    sink alice = {0}, bob = {0}, carol = {0}, dave = {0}, erin = {0};
    ask(s, "alice@localhost/r1", &alice,
        "<iq type='get' id='a1' to='localhost' xml:lang='de'>"
        "<services xmlns='" NS1 "' type=' '/></iq>", "result");
    ask(s, "bob@localhost/r2", &bob,
        "<iq type='get' id='b1' to='localhost'><services xmlns='" NS2 "' type='stun'/></iq>",
        "result");
    ask(s, "carol@localhost/r3", &carol,
        "<iq type='get' id='c1' to='localhost'><credentials xmlns='" NS2 "'>"
        "<service host='127.0.0.1' type='turn'/></credentials></iq>", "result");
    ask(s, "dave@localhost/r4", &dave,
        "<iq type='set' id='d1' to='localhost'><services xmlns='" NS2 "'/></iq>", "error");
    ask(s, "erin@localhost/r5", &erin,
        "<iq type='get' id='e1' to='localhost'><services xmlns='" NS2 "'/><x xmlns='y'/></iq>",
        "error");
    size_t online = 0;
    assert_int_equal(edd_pushes_count(s->pushes, &online), 2); /* alice and bob */
    assert_int_equal(online, 2);

    write_config(true, false); /* adds turn/tcp, named */
    reload(s);
    assert_int_equal(alice.n, 1);
    assert_int_equal(bob.n, 0); /* filter stun: nothing changed there */
    assert_int_equal(carol.n + dave.n + erin.n, 0);
    ed_elem *iq = NULL;
    assert_int_equal(ed_xml_parse(alice.last, strlen(alice.last), NULL, &iq), ED_OK);
    ed_elem *svcs = ed_elem_child(iq, "services", NS1); /* asked with :1 */
    assert_non_null(svcs);
    assert_null(ed_elem_attr(svcs, "type")); /* the blank filter is none */
    ed_elem *sv = ed_elem_child(svcs, "service", NULL);
    assert_non_null(sv);
    assert_string_equal(ed_elem_attr(sv, "name"), "TURN-Relais"); /* asked in de */
    ed_elem_free(iq);

    write_config(true, true); /* moves the stun port */
    reload(s);
    assert_int_equal(bob.n, 1);
    assert_int_equal(ed_xml_parse(bob.last, strlen(bob.last), NULL, &iq), ED_OK);
    svcs = ed_elem_child(iq, "services", NS2);
    assert_non_null(svcs);
    assert_string_equal(ed_elem_attr(svcs, "type"), "stun");
    ed_elem_free(iq);
    free(alice.last);
    free(bob.last);
}

/* Changing a static password is a `modify` carrying the new one. */
static void test_static_credentials_change(void **state)
{
    edd_server *s = *state;
    sink k = {0};
    edd_route r = {.owner = &k, .send = sink_send};
    ed_jid *j = jid("alice@localhost/r1");
    write_config_pw(false, false, "old-pass");
    reload(s);
    edd_pushes_record(s->pushes, j, 2, NULL, NULL, "localhost", &r, true);
    write_config_pw(false, false, "new-pass");
    reload(s);
    assert_int_equal(k.n, 1);
    ed_elem *iq = NULL;
    assert_int_equal(ed_xml_parse(k.last, strlen(k.last), NULL, &iq), ED_OK);
    ed_elem *sv = ed_elem_child(ed_elem_child(iq, "services", NS2), "service", NULL);
    assert_non_null(sv);
    assert_null(ed_elem_next(sv, "service", NULL));
    assert_string_equal(ed_elem_attr(sv, "action"), "modify");
    assert_string_equal(ed_elem_attr(sv, "port"), "3479");
    assert_string_equal(ed_elem_attr(sv, "password"), "new-pass");
    ed_elem_free(iq);
    free(k.last);
    ed_jid_free(j);
    char pw[128];
    snprintf(pw, sizeof pw, "%s/static.pass", dir);
    unlink(pw);
}

/* A bare JID cannot receive pushes, so it is not remembered. */
static void test_bare_requester_ignored(void **state)
{
    edd_server *s = *state;
    sink k = {0};
    edd_route r = {.owner = &k, .send = sink_send};
    ed_jid *j = jid("alice@localhost");
    edd_pushes_record(s->pushes, j, 2, NULL, NULL, "localhost", &r, true);
    edd_pushes_presence(s->pushes, j, true, &r);
    assert_int_equal(edd_pushes_count(s->pushes, NULL), 0);
    ed_jid_free(j);
}

static int count_lines(FILE *f, const char *needle)
{
    char line[512];
    int n = 0;
    rewind(f);
    while (fgets(line, sizeof line, f))
        n += strstr(line, needle) != NULL;
    return n;
}

/* The cap: new requesters beyond it are refused (old ones keep working),
 * with one warning until there is room again. */
static void test_entry_cap(void **state)
{
    (void)state;
    edd_pushes *p = edd_pushes_new(3);
    assert_non_null(p);
    sink k = {0};
    edd_route r = {.owner = &k, .send = sink_send};
    ed_jid *j[6];
    char buf[64];
    FILE *log = tmpfile();
    assert_non_null(log);
    fflush(stderr);
    int saved = dup(2);
    assert_true(saved >= 0);
    assert_true(dup2(fileno(log), 2) >= 0);
    edd_log_setup(EDD_LOG_INFO, false, NULL);
    for (int i = 0; i < 6; i++) {
        snprintf(buf, sizeof buf, "u%d@localhost/r", i);
        j[i] = jid(buf);
        edd_pushes_record(p, j[i], 2, NULL, NULL, "localhost", &r, true);
    }
    /* asking again while full: the same three, still no new ones */
    edd_pushes_record(p, j[0], 2, "turn", NULL, "localhost", &r, true);
    edd_pushes_record(p, j[4], 2, NULL, NULL, "localhost", &r, true);
    assert_int_equal(edd_pushes_count(p, NULL), 3);
    edd_pushes_presence(p, j[1], false, &r); /* room for one */
    edd_pushes_record(p, j[5], 2, NULL, NULL, "localhost", &r, true);
    edd_pushes_record(p, j[4], 2, NULL, NULL, "localhost", &r, true); /* full again */
    size_t online = 0;
    assert_int_equal(edd_pushes_count(p, &online), 3);
    assert_int_equal(online, 3);
    fflush(stderr);
    assert_true(dup2(saved, 2) >= 0);
    close(saved);
    /* full twice: two warnings, not one per refused request */
    assert_int_equal(count_lines(log, "push table full"), 2);
    fclose(log);
    for (int i = 0; i < 6; i++)
        ed_jid_free(j[i]);
    edd_pushes_free(p);
}

/* Attached: available presence from a JID that may not list services (a
 * remote domain) takes no entry; a local user's does; unavailable presence
 * still removes. */
static void test_presence_only_from_allowed(void **state)
{
    edd_server *s = *state;
    sink k = {0};
    edd_route r = {.owner = &k, .send = link_send};
    ed_jid *evil = jid("mallory@remote.test/r"), *bob = jid("bob@localhost/r");
    edd_pushes_attach(s->pushes, s, link_send);
    edd_pushes_presence(s->pushes, evil, true, &r);
    assert_int_equal(edd_pushes_count(s->pushes, NULL), 0);
    edd_pushes_presence(s->pushes, bob, true, &r);
    assert_int_equal(edd_pushes_count(s->pushes, NULL), 1);
    edd_pushes_presence(s->pushes, bob, false, &r);
    assert_int_equal(edd_pushes_count(s->pushes, NULL), 0);
    ed_jid_free(evil);
    ed_jid_free(bob);
}

/* Full table: entries idle over EDD_PUSHES_IDLE_SECS make room, scanned for
 * at most once a minute; other routes' entries (c2s) never expire.  The old
 * entries are not online, the new ones are: the online count tells which
 * are in. */
static void test_idle_expiry_when_full(void **state)
{
    edd_server *s = *state;
    const int64_t T = 1700000000, IDLE = EDD_PUSHES_IDLE_SECS;
    s->clock = fake_clock;
    edd_pushes *p = edd_pushes_new(4);
    assert_non_null(p);
    edd_pushes_attach(p, s, link_send);
    sink k = {0}, kc = {0};
    edd_route rl = {.owner = &k, .send = link_send}, rc = {.owner = &kc, .send = sink_send};
    ed_jid *a = jid("a@localhost/r"), *b = jid("b@localhost/r"), *c = jid("c@localhost/r"),
           *d = jid("d@localhost/r"), *e = jid("e@localhost/r"), *f = jid("f@localhost/r"),
           *g = jid("g@localhost/r"), *h = jid("h@localhost/r");
    size_t online = 0;
    fake_now = T;
    edd_pushes_record(p, a, 2, NULL, NULL, "localhost", &rl, false);
    edd_pushes_record(p, b, 2, NULL, NULL, "localhost", &rl, false);
    edd_pushes_record(p, g, 2, NULL, NULL, "localhost", &rc, true); /* c2s: stays */
    fake_now = T + 100;
    edd_pushes_record(p, c, 2, NULL, NULL, "localhost", &rl, false);
    assert_int_equal(edd_pushes_count(p, &online), 4);
    assert_int_equal(online, 1);
    /* a day later, a and b just within: d refused (the scan found nothing) */
    fake_now = T + IDLE;
    edd_pushes_record(p, d, 2, NULL, NULL, "localhost", &rl, true);
    assert_int_equal(edd_pushes_count(p, &online), 4);
    assert_int_equal(online, 1);
    /* a and b idle now, but the last scan was 10 s ago: refused */
    fake_now = T + IDLE + 10;
    edd_pushes_record(p, d, 2, NULL, NULL, "localhost", &rl, true);
    assert_int_equal(edd_pushes_count(p, &online), 4);
    assert_int_equal(online, 1);
    /* a minute after that scan: a and b go, d and e come in */
    fake_now = T + IDLE + 61;
    edd_pushes_record(p, d, 2, NULL, NULL, "localhost", &rl, true);
    edd_pushes_record(p, e, 2, NULL, NULL, "localhost", &rl, true);
    assert_int_equal(edd_pushes_count(p, &online), 4);
    assert_int_equal(online, 3);
    /* c (asked at T + 100) idle too, the last scan 49 s ago: f refused */
    fake_now = T + IDLE + 110;
    edd_pushes_record(p, f, 2, NULL, NULL, "localhost", &rl, true);
    assert_int_equal(edd_pushes_count(p, &online), 4);
    assert_int_equal(online, 3);
    fake_now = T + IDLE + 122;
    edd_pushes_record(p, f, 2, NULL, NULL, "localhost", &rl, true); /* c goes */
    edd_pushes_record(p, h, 2, NULL, NULL, "localhost", &rl, true); /* full */
    assert_int_equal(edd_pushes_count(p, &online), 4);
    assert_int_equal(online, 4);
    /* g (c2s, idle for a day) is still there: d, e, f, g */
    edd_pushes_forget_owner(p, &kc);
    assert_int_equal(edd_pushes_count(p, NULL), 3);
    edd_pushes_forget_owner(p, &k);
    assert_int_equal(edd_pushes_count(p, NULL), 0);
    ed_jid *all[] = {a, b, c, d, e, f, g, h};
    for (size_t i = 0; i < sizeof all / sizeof *all; i++)
        ed_jid_free(all[i]);
    edd_pushes_free(p);
}

/* A reload pushes to no long-idle component entry (and forgets it); a
 * recent presence keeps one alive; c2s entries do not expire. */
static void test_idle_no_push_on_reload(void **state)
{
    edd_server *s = *state;
    const int64_t T = 1700000000;
    s->clock = fake_clock;
    edd_pushes_attach(s->pushes, s, link_send);
    sink ka = {0}, kb = {0}, kc = {0};
    edd_route ra = {.owner = &ka, .send = link_send}, rb = {.owner = &kb, .send = link_send}, rc = {.owner = &kc, .send = sink_send};
    ed_jid *a = jid("alice@localhost/r1"), *b = jid("bob@localhost/r2"),
           *c = jid("carol@localhost/r3");
    fake_now = T;
    edd_pushes_presence(s->pushes, a, true, &ra);
    edd_pushes_record(s->pushes, a, 2, NULL, NULL, "localhost", &ra, false);
    edd_pushes_presence(s->pushes, b, true, &rb);
    edd_pushes_record(s->pushes, b, 2, NULL, NULL, "localhost", &rb, false);
    edd_pushes_record(s->pushes, c, 2, NULL, NULL, "localhost", &rc, true);
    fake_now = T + 20 * 3600;
    edd_pushes_presence(s->pushes, b, true, &rb); /* bob is still around */
    fake_now = T + 25 * 3600;
    write_config(true, false);
    reload(s);
    assert_int_equal(ka.n, 0); /* idle for 25 h: no push */
    assert_int_equal(kb.n, 1);
    assert_int_equal(kc.n, 1);
    assert_int_equal(edd_pushes_count(s->pushes, NULL), 2);
    free(kb.last);
    free(kc.last);
    ed_jid_free(a);
    ed_jid_free(b);
    ed_jid_free(c);
}

/* Per-network service sets (networks:, netscope.h) with the served set of
 * core/server.h: a requester is offered, and pushed, only the services of
 * its own network.  alice connects from 10.0.0.1 (network internal), bob
 * from 192.0.2.1 (everyone else); the TURN service is for internal only. */
static void write_config_nets(bool tcp_internal)
{
    FILE *f = fopen(conf, "w");
    assert_non_null(f);
    fprintf(f,
            "domains: [localhost]\n"
            "turn_secrets:\n"
            "  - name: dev\n"
            "    secret_files: [%s/tests/config/secrets/turn.secret]\n"
            "    ttl: 3600\n"
            "networks:\n"
            "  - {name: internal, addresses: [10.0.0.0/8]}\n"
            "  - {name: outside}\n"
            "services:\n"
            "  - {type: stun, host: 127.0.0.1, port: 3478, transport: udp, allow_local: true}\n"
            "  - {type: turn, host: 127.0.0.1, port: 3478, transport: udp, credentials: dev,"
            " allow_local: true, networks: [internal]}\n",
            SRCDIR);
    if (tcp_internal)
        fprintf(f, "  - {type: turn, host: 127.0.0.1, port: 3478, transport: tcp,"
                   " credentials: dev, allow_local: true, networks: [internal]}\n");
    fprintf(f, "c2s:\n  domain: localhost\n  database: accounts.sqlite\n  require_tls: false\n"
               "  listen:\n    - {address: \"127.0.0.1:5222\", tls: none}\n");
    assert_int_equal(fclose(f), 0);
}

static void sin4(struct sockaddr_in *sa, const char *ip)
{
    memset(sa, 0, sizeof *sa);
    sa->sin_family = AF_INET;
    assert_int_equal(inet_pton(AF_INET, ip, &sa->sin_addr), 1);
}

static void test_pushes_per_network(void **state)
{
    edd_server *s = *state;
    write_config_nets(false);
    reload(s);
    struct sockaddr_in pa, pb;
    sin4(&pa, "10.0.0.1");
    sin4(&pb, "192.0.2.1");
    sink alice = {0}, bob = {0};
    edd_route ra = {.owner = &alice, .send = sink_send, .peer = (struct sockaddr *)&pa,
                    .peerlen = sizeof pa},
              rb = {.owner = &bob, .send = sink_send, .peer = (struct sockaddr *)&pb,
                    .peerlen = sizeof pb};
    ed_jid *a = jid("alice@localhost/r1"), *b = jid("bob@localhost/r2");

    /* what a request gets: its network's share of the served services */
    size_t n = 0;
    const ed_service_def *d = edd_server_services_for(s, a, ra.peer, ra.peerlen, &n);
    assert_int_equal(n, 2);
    assert_string_equal(d[1].svc.type, "turn");
    d = edd_server_services_for(s, b, rb.peer, rb.peerlen, &n);
    assert_int_equal(n, 1);
    assert_string_equal(d[0].svc.type, "stun");

    edd_pushes_record(s->pushes, a, 2, NULL, NULL, "localhost", &ra, true);
    edd_pushes_record(s->pushes, b, 2, NULL, NULL, "localhost", &rb, true);

    /* the health checks bring the TURN service back (it was not served):
     * only alice's network has it, so only alice gets the add */
    size_t nall = 0;
    const ed_service_def *all = edd_server_defs(s, &nall);
    assert_int_equal(nall, 2);
    uint64_t stun_mask = 0; /* the STUN service: every network */
    assert_int_equal(edd_server_push_served(s, all, &stun_mask, 1), 1);
    assert_int_equal(alice.n, 1);
    assert_int_equal(bob.n, 0);
    ed_elem *iq = NULL;
    assert_int_equal(ed_xml_parse(alice.last, strlen(alice.last), NULL, &iq), ED_OK);
    ed_elem *sv = ed_elem_child(ed_elem_child(iq, "services", NS2), "service", NULL);
    assert_non_null(sv);
    assert_string_equal(ed_elem_attr(sv, "action"), "add");
    assert_string_equal(ed_elem_attr(sv, "type"), "turn");
    assert_null(ed_elem_next(sv, "service", NULL));
    ed_elem_free(iq);

    /* a reload adding another internal service: alice only */
    write_config_nets(true);
    reload(s);
    assert_int_equal(alice.n, 2);
    assert_int_equal(bob.n, 0);
    /* and removing it: alice only */
    write_config_nets(false);
    reload(s);
    assert_int_equal(alice.n, 3);
    assert_int_equal(bob.n, 0);

    free(alice.last);
    ed_jid_free(a);
    ed_jid_free(b);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_reload_pushes_to_online_requesters, setup, teardown),
        cmocka_unit_test_setup_teardown(test_handler_records_from_outcome, setup, teardown),
        cmocka_unit_test_setup_teardown(test_static_credentials_change, setup, teardown),
        cmocka_unit_test_setup_teardown(test_bare_requester_ignored, setup, teardown),
        cmocka_unit_test(test_entry_cap),
        cmocka_unit_test_setup_teardown(test_presence_only_from_allowed, setup, teardown),
        cmocka_unit_test_setup_teardown(test_idle_expiry_when_full, setup, teardown),
        cmocka_unit_test_setup_teardown(test_idle_no_push_on_reload, setup, teardown),
        cmocka_unit_test_setup_teardown(test_pushes_per_network, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
