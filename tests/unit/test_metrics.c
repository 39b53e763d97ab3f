/* Unit tests of the request metrics (daemon/core/metrics.c, counted in
 * daemon/core/handler.c): each IQ through edd_server_handle_iq() counts once
 * under its protocol and outcome (result or the error condition), with one
 * handling-time sample; TURN REST credentials are counted per turn_secrets
 * entry and algorithm (one mint per reply, whatever the number of services
 * sharing the signer; by index on the hot path, named at a reload or a
 * fold); nothing is counted while the metrics are off; the
 * health provider hook walks the provider's rows. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "config/config.h"
#include "core/metrics.h"
#include "core/server.h"

#define NS2 "urn:xmpp:extdisco:2"

static char dir[64], conf[96];

static int setup(void **state)
{
    snprintf(dir, sizeof dir, "/tmp/test_metrics.XXXXXX");
    assert_non_null(mkdtemp(dir));
    snprintf(conf, sizeof conf, "%s/ed.yml", dir);
    FILE *f = fopen(conf, "w");
    assert_non_null(f);
    fprintf(f,
            "domains: [localhost]\n"
            "turn_secrets:\n"
            "  - {name: dev, secret_files: [%s/tests/config/secrets/turn.secret], ttl: 3600,"
            " algorithm: sha256}\n"
            "services:\n"
            "  - {type: stun, host: 127.0.0.1, port: 3478, transport: udp, allow_local: true}\n"
            "  - {type: turn, host: 127.0.0.1, port: 3478, transport: udp, credentials: dev,"
            " allow_local: true}\n"
            "  - {type: turn, host: 127.0.0.1, port: 3478, transport: tcp, credentials: dev,"
            " allow_local: true}\n"
            "c2s:\n  domain: localhost\n  database: accounts.sqlite\n  require_tls: false\n"
            "  listen:\n    - {address: \"127.0.0.1:5222\", tls: none}\n",
            SRCDIR);
    assert_int_equal(fclose(f), 0);
    char err[512];
    edd_server *s = edd_server_new(NULL, conf, err, sizeof err);
    if (!s)
        fail_msg("%s", err);
    *state = s;
    memset(&edd_metrics_g, 0, sizeof edd_metrics_g);
    return 0;
}

static int teardown(void **state)
{
    edd_server_free(*state);
    unlink(conf);
    rmdir(dir);
    return 0;
}

/* Send xml from alice (with a client address when peer) and check the
 * reply's type. */
static void ask(edd_server *s, const char *xml, bool peer, const char *want_type)
{
    ed_jid *j = NULL;
    assert_int_equal(ed_jid_parse("alice@localhost/r", 17, &j), ED_OK);
    ed_elem *iq = NULL;
    assert_int_equal(ed_xml_parse(xml, strlen(xml), NULL, &iq), ED_OK);
    struct sockaddr_in sin = {.sin_family = AF_INET, .sin_port = htons(40000)};
    inet_pton(AF_INET, "192.0.2.10", &sin.sin_addr);
    edd_iq_ctx ctx = {.from = j, .to = "localhost", .to_domain = true};
    if (peer) {
        ctx.peer = (const struct sockaddr *)&sin;
        ctx.peerlen = sizeof sin;
    }
    ed_elem *reply = NULL;
    edd_iq_outcome o = edd_server_handle_iq(s, iq, &ctx, &reply);
    if (want_type) {
        assert_int_equal(o, EDD_IQ_REPLIED);
        assert_non_null(reply);
        assert_string_equal(ed_elem_attr(reply, "type"), want_type);
    } else {
        assert_int_equal(o, EDD_IQ_UNHANDLED);
    }
    ed_elem_free(reply);
    ed_elem_free(iq);
    ed_jid_free(j);
}

static uint64_t total(void)
{
    uint64_t n = 0;
    for (unsigned p = 0; p < EDD_MP_N; p++)
        for (unsigned o = 0; o < EDD_MO_N; o++)
            n += edd_metrics_g.requests[p][o];
    return n;
}

static uint64_t minted(const char *name)
{
    for (unsigned i = 0; i < EDD_M_MAX_SECRET_SETS; i++)
        if (strcmp(edd_metrics_g.minted[i].name, name) == 0)
            return edd_metrics_g.minted[i].n;
    return 0;
}

static void test_counts_by_protocol_and_outcome(void **state)
{
    edd_server *s = *state;
    edd_metrics_g.on = true;
    ask(s, "<iq type='get' id='1'><services xmlns='" NS2 "'/></iq>", false, "result");
    ask(s, "<iq type='get' id='2'><services xmlns='" NS2 "'/></iq>", false, "result");
    ask(s, "<iq type='set' id='3'><services xmlns='" NS2 "'/></iq>", false, "error");
    ask(s, "<iq type='get' id='4'><credentials xmlns='" NS2 "'><service type='turn' "
           "host='127.0.0.1'/></credentials></iq>", false, "result");
    ask(s, "<iq type='get' id='5'><credentials xmlns='" NS2 "'><service type='turn' "
           "host='nowhere.example'/></credentials></iq>", false, "error");
    ask(s, "<iq type='get' id='6'><credentials xmlns='" NS2 "'/></iq>", false, "error");
    ask(s, "<iq type='get' id='7'><address xmlns='urn:xmpp:sic:1'/></iq>", true, "result");
    ask(s, "<iq type='get' id='8'><ping xmlns='urn:xmpp:ping'/></iq>", false, "result");
    ask(s, "<iq type='set' id='9'><ping xmlns='urn:xmpp:ping'/></iq>", false, "error");
    ask(s, "<iq type='get' id='10'><query xmlns='http://jabber.org/protocol/disco#info'/></iq>",
        false, "result");
    ask(s, "<iq type='get' id='11'><query xmlns='http://jabber.org/protocol/disco#info' "
           "node='nope'/></iq>", false, "error");
    ask(s, "<iq type='get' id='12'><query xmlns='http://jabber.org/protocol/disco#items'/></iq>",
        false, "result");
    ask(s, "<iq type='get' id='13'><x xmlns='urn:example:unknown'/></iq>", false, NULL);
    ask(s, "<iq type='get' id='14'/>", false, "error");
    /* a result (a push acknowledgement) is not a request */
    ed_elem *iq = NULL;
    ed_jid *j = NULL;
    assert_int_equal(ed_jid_parse("alice@localhost/r", 17, &j), ED_OK);
    assert_int_equal(ed_xml_parse("<iq type='result' id='ed-1'/>", 29, NULL, &iq), ED_OK);
    edd_iq_ctx ctx = {.from = j, .to = "localhost", .to_domain = true};
    ed_elem *reply = NULL;
    assert_int_equal(edd_server_handle_iq(s, iq, &ctx, &reply), EDD_IQ_CONSUMED);
    ed_elem_free(iq);
    ed_jid_free(j);

    const edd_metrics *m = &edd_metrics_g;
    assert_int_equal(m->requests[EDD_MP_SERVICES][EDD_MO_RESULT], 2);
    assert_int_equal(m->requests[EDD_MP_SERVICES][EDD_MO_NOT_ALLOWED], 1);
    assert_int_equal(m->requests[EDD_MP_CREDENTIALS][EDD_MO_RESULT], 1);
    assert_int_equal(m->requests[EDD_MP_CREDENTIALS][EDD_MO_ITEM_NOT_FOUND], 1);
    assert_int_equal(m->requests[EDD_MP_CREDENTIALS][EDD_MO_BAD_REQUEST], 1);
    assert_int_equal(m->requests[EDD_MP_SIC][EDD_MO_RESULT], 1);
    assert_int_equal(m->requests[EDD_MP_PING][EDD_MO_RESULT], 1);
    assert_int_equal(m->requests[EDD_MP_PING][EDD_MO_NOT_ALLOWED], 1);
    assert_int_equal(m->requests[EDD_MP_DISCO][EDD_MO_RESULT], 2);
    assert_int_equal(m->requests[EDD_MP_DISCO][EDD_MO_ITEM_NOT_FOUND], 1);
    assert_int_equal(m->requests[EDD_MP_OTHER][EDD_MO_SERVICE_UNAVAILABLE], 1);
    assert_int_equal(m->requests[EDD_MP_OTHER][EDD_MO_BAD_REQUEST], 1);
    assert_int_equal(total(), 14);
    /* one handling-time sample per counted request */
    uint64_t samples = 0;
    for (unsigned p = 0; p < EDD_MP_N; p++) {
        uint64_t b = 0;
        for (unsigned i = 0; i <= EDD_M_DURATION_BOUNDS; i++)
            b += m->duration[p].bucket[i];
        assert_int_equal(b, m->duration[p].count);
        samples += m->duration[p].count;
    }
    assert_int_equal(samples, 14);
    assert_int_equal(m->duration[EDD_MP_SERVICES].count, 3);
    /* two services results (turn/udp and turn/tcp share one mint each) and
     * one credentials result, counted by turn_secrets index; a reload names
     * them with the configuration they were counted under */
    assert_int_equal(m->minted_now[0], 3);
    assert_int_equal(minted("dev"), 0);
    char err[256];
    assert_true(edd_server_reload(s, err, sizeof err));
    assert_int_equal(m->minted_now[0], 0);
    assert_int_equal(minted("dev"), 3);
    assert_int_equal(m->minted[0].alg, ED_HMAC_SHA256);
    assert_int_equal(m->reloads_ok, 1);
    ask(s, "<iq type='get' id='15'><services xmlns='" NS2 "'/></iq>", false, "result");
    edd_m_minted_fold(s->cfg->turn_secrets, s->cfg->nturn_secrets);
    assert_int_equal(minted("dev"), 4);
}

static void test_off_counts_nothing(void **state)
{
    edd_server *s = *state;
    memset(&edd_metrics_g, 0, sizeof edd_metrics_g);
    edd_metrics_g.on = false;
    ask(s, "<iq type='get' id='1'><services xmlns='" NS2 "'/></iq>", false, "result");
    ask(s, "<iq type='get' id='2'><credentials xmlns='" NS2 "'/></iq>", false, "error");
    assert_int_equal(total(), 0);
    assert_int_equal(edd_metrics_g.minted_now[0], 0);
}

static void test_outcome_names(void **state)
{
    (void)state;
    assert_int_equal(edd_m_outcome_of(NULL), EDD_MO_RESULT);
    assert_int_equal(edd_m_outcome_of("forbidden"), EDD_MO_FORBIDDEN);
    assert_int_equal(edd_m_outcome_of("internal-server-error"), EDD_MO_INTERNAL_SERVER_ERROR);
    assert_int_equal(edd_m_outcome_of("gone"), EDD_MO_OTHER_ERROR);
    assert_string_equal(edd_m_proto_name(EDD_MP_CREDENTIALS), "credentials");
    assert_string_equal(edd_m_outcome_name(EDD_MO_NOT_ACCEPTABLE), "not-acceptable");
}

/* More secret sets than the table holds: the rest go to "other". */
static void test_minted_table_bound(void **state)
{
    (void)state;
    memset(&edd_metrics_g, 0, sizeof edd_metrics_g);
    char name[32];
    for (unsigned i = 0; i < EDD_M_MAX_SECRET_SETS + 5; i++) {
        snprintf(name, sizeof name, "set%u", i);
        edd_m_minted_add(name, ED_HMAC_SHA1, 2);
    }
    edd_m_minted_add("set0", ED_HMAC_SHA1, 1);
    edd_m_minted_add("set0", ED_HMAC_SHA256, 1); /* another algorithm: its own row? no room */
    assert_int_equal(minted("set0"), 3);
    assert_int_equal(edd_metrics_g.minted[EDD_M_MAX_SECRET_SETS].n, 5 * 2 + 1);
}

typedef struct rows {
    int n;
    int up;
} rows;

static void provider(void *ctx, edd_health_row_fn fn, void *ud)
{
    const int *states = ctx;
    for (int i = 0; i < 3; i++) {
        edd_health_row r = {.type = "turn", .host = "t.example", .port = 3478 + i,
                            .transport = "udp", .up = states[i]};
        fn(ud, &r);
    }
}

static void count_row(void *ud, const edd_health_row *r)
{
    rows *c = ud;
    c->n++;
    c->up += r->up > 0;
}

static void test_health_provider(void **state)
{
    (void)state;
    rows c = {0};
    assert_false(edd_metrics_has_health_provider());
    assert_false(edd_metrics_health_foreach(count_row, &c));
    static const int states[3] = {1, 0, -1};
    edd_metrics_set_health_provider(provider, (void *)states);
    assert_true(edd_metrics_has_health_provider());
    assert_true(edd_metrics_health_foreach(count_row, &c));
    assert_int_equal(c.n, 3);
    assert_int_equal(c.up, 1);
    edd_metrics_set_health_provider(NULL, NULL);
    assert_false(edd_metrics_has_health_provider());
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_counts_by_protocol_and_outcome, setup, teardown),
        cmocka_unit_test_setup_teardown(test_off_counts_nothing, setup, teardown),
        cmocka_unit_test(test_outcome_names),
        cmocka_unit_test(test_minted_table_bound),
        cmocka_unit_test(test_health_provider),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
