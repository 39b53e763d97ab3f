/* Unit tests for lib/xep0279.c: Server IP Check (sic:1 and sic:0). */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "extdisco/extdisco.h"

static ed_jid *juliet;

static int setup(void **state)
{
    (void)state;
    return ed_jid_parse("juliet@capulet.lit/balcony", 26, &juliet) == ED_OK ? 0 : -1;
}

static int teardown(void **state)
{
    (void)state;
    ed_jid_free(juliet);
    return 0;
}

static struct sockaddr_storage peer4(const char *ip, int port)
{
    struct sockaddr_storage ss;
    memset(&ss, 0, sizeof ss);
    struct sockaddr_in *in = (struct sockaddr_in *)&ss;
    in->sin_family = AF_INET;
    in->sin_port = htons((uint16_t)port);
    assert_int_equal(inet_pton(AF_INET, ip, &in->sin_addr), 1);
    return ss;
}

static struct sockaddr_storage peer6(const char *ip, int port)
{
    struct sockaddr_storage ss;
    memset(&ss, 0, sizeof ss);
    struct sockaddr_in6 *in6 = (struct sockaddr_in6 *)&ss;
    in6->sin6_family = AF_INET6;
    in6->sin6_port = htons((uint16_t)port);
    assert_int_equal(inet_pton(AF_INET6, ip, &in6->sin6_addr), 1);
    return ss;
}

/* Parse request, respond, serialise; returns malloc'd reply text or NULL. */
static char *respond(const char *req, const struct sockaddr_storage *ss, ed_err *err)
{
    ed_elem *iq = NULL;
    assert_int_equal(ed_xml_parse(req, strlen(req), NULL, &iq), ED_OK);
    ed_elem *r = ed_xep0279_respond(iq, juliet, "capulet.lit", (const struct sockaddr *)ss,
                                    sizeof *ss, err);
    char *s = r ? ed_xml_to_string(r, NULL) : NULL;
    ed_elem_free(r);
    ed_elem_free(iq);
    return s;
}

static void expect_reply(const char *req, const struct sockaddr_storage *ss, const char *want)
{
    ed_err err = ED_EINVAL;
    char *got = respond(req, ss, &err);
    assert_non_null(got);
    assert_string_equal(got, want);
    free(got);
}

static void sic1_v4(void **state)
{
    (void)state;
    struct sockaddr_storage ss = peer4("203.0.113.5", 51234);
    expect_reply("<iq type='get' id='a1' from='juliet@capulet.lit/balcony'>"
                 "<address xmlns='urn:xmpp:sic:1'/></iq>", &ss,
                 "<iq id='a1' to='juliet@capulet.lit/balcony' type='result'>"
                 "<address xmlns='urn:xmpp:sic:1'><ip>203.0.113.5</ip><port>51234</port>"
                 "</address></iq>");
}

static void sic1_v6_and_mapped(void **state)
{
    (void)state;
    struct sockaddr_storage ss = peer6("2001:db8::7", 443);
    expect_reply("<iq type='get' id='b'><address xmlns='urn:xmpp:sic:1'/></iq>", &ss,
                 "<iq id='b' type='result'><address xmlns='urn:xmpp:sic:1'>"
                 "<ip>2001:db8::7</ip><port>443</port></address></iq>");
    ss = peer6("::ffff:198.51.100.7", 1);
    expect_reply("<iq type='get' id='c'><address xmlns='urn:xmpp:sic:1'/></iq>", &ss,
                 "<iq id='c' type='result'><address xmlns='urn:xmpp:sic:1'>"
                 "<ip>198.51.100.7</ip><port>1</port></address></iq>");
}

static void sic0(void **state)
{
    (void)state;
    struct sockaddr_storage ss = peer4("192.0.2.9", 5000);
    expect_reply("<iq type='get' id='d' to='juliet@capulet.lit'><ip xmlns='urn:xmpp:sic:0'/></iq>",
                 &ss,
                 "<iq from='juliet@capulet.lit' id='d' type='result'>"
                 "<ip xmlns='urn:xmpp:sic:0'>192.0.2.9</ip></iq>");
}

static void to_self_variants_allowed(void **state)
{
    (void)state;
    struct sockaddr_storage ss = peer4("192.0.2.9", 5000);
    const char *tos[] = {"capulet.lit", "CAPULET.lit", "juliet@capulet.lit",
                         "Juliet@capulet.lit/balcony"};
    for (size_t i = 0; i < sizeof tos / sizeof *tos; i++) {
        char req[256];
        snprintf(req, sizeof req,
                 "<iq type='get' id='e' to='%s'><address xmlns='urn:xmpp:sic:1'/></iq>", tos[i]);
        ed_err err;
        char *got = respond(req, &ss, &err);
        assert_non_null(got);
        assert_non_null(strstr(got, "type='result'"));
        assert_non_null(strstr(got, "<ip>192.0.2.9</ip>"));
        free(got);
    }
}

static void other_entity_forbidden(void **state)
{
    (void)state;
    struct sockaddr_storage ss = peer4("192.0.2.9", 5000);
    const char *tos[] = {"romeo@montague.lit", "juliet@capulet.lit/other",
                         "nurse@capulet.lit", "montague.lit", "not a jid@@"};
    for (size_t i = 0; i < sizeof tos / sizeof *tos; i++) {
        char req[256];
        snprintf(req, sizeof req,
                 "<iq type='get' id='f' to='%s'><address xmlns='urn:xmpp:sic:1'/></iq>", tos[i]);
        ed_err err;
        char *got = respond(req, &ss, &err);
        assert_non_null(got);
        assert_non_null(strstr(got, "type='error'"));
        assert_non_null(strstr(got, "<forbidden xmlns='urn:ietf:params:xml:ns:xmpp-stanzas'/>"));
        assert_null(strstr(got, "192.0.2.9")); /* never leaks the address */
        free(got);
    }
}

static void set_not_allowed(void **state)
{
    (void)state;
    struct sockaddr_storage ss = peer4("192.0.2.9", 5000);
    ed_err err;
    char *got = respond("<iq type='set' id='g'><ip xmlns='urn:xmpp:sic:0'/></iq>", &ss, &err);
    assert_non_null(got);
    assert_non_null(strstr(got, "<not-allowed xmlns='urn:ietf:params:xml:ns:xmpp-stanzas'/>"));
    assert_non_null(strstr(got, "type='cancel'"));
    free(got);
}

static void not_ours(void **state)
{
    (void)state;
    struct sockaddr_storage ss = peer4("192.0.2.9", 5000);
    const char *reqs[] = {
        "<iq type='get' id='h'><query xmlns='http://jabber.org/protocol/disco#info'/></iq>",
        "<iq type='result' id='h'><address xmlns='urn:xmpp:sic:1'/></iq>",
        "<iq type='get' id='h'><address xmlns='urn:xmpp:sic:0'/></iq>",
        "<message><address xmlns='urn:xmpp:sic:1'/></message>",
        "<iq type='get' id='h'/>",
    };
    for (size_t i = 0; i < sizeof reqs / sizeof *reqs; i++) {
        ed_err err = ED_OK;
        char *got = respond(reqs[i], &ss, &err);
        assert_null(got);
        assert_int_equal(err, ED_SVC_NOT_EXTDISCO);
    }
}

static void bad_peer_address(void **state)
{
    (void)state;
    struct sockaddr_storage ss;
    memset(&ss, 0, sizeof ss);
    ss.ss_family = AF_UNIX;
    ed_err err = ED_OK;
    char *got = respond("<iq type='get' id='i'><address xmlns='urn:xmpp:sic:1'/></iq>", &ss, &err);
    assert_non_null(got);
    assert_int_equal(err, ED_SIC_BAD_ADDRESS);
    assert_non_null(strstr(got, "internal-server-error"));
    free(got);
}

static void parse_result(void **state)
{
    (void)state;
    struct { const char *xml; ed_err want; const char *ip; int port; } cases[] = {
        {"<address xmlns='urn:xmpp:sic:1'><ip>203.0.113.5</ip><port>51234</port></address>",
         ED_OK, "203.0.113.5", 51234},
        {"<address xmlns='urn:xmpp:sic:1'><ip> 2001:db8::1 </ip></address>", ED_OK,
         "2001:db8::1", -1},
        {"<ip xmlns='urn:xmpp:sic:0'>192.0.2.1</ip>", ED_OK, "192.0.2.1", -1},
        {"<address xmlns='urn:xmpp:sic:1'><ip>example.com</ip></address>", ED_SIC_BAD_ADDRESS, 0, 0},
        {"<address xmlns='urn:xmpp:sic:1'/>", ED_SIC_BAD_ADDRESS, 0, 0},
        {"<address xmlns='urn:xmpp:sic:1'><ip>192.0.2.1</ip><port>65536</port></address>",
         ED_SIC_BAD_ADDRESS, 0, 0},
        {"<address xmlns='urn:xmpp:sic:1'><ip>192.0.2.1</ip><port>-1</port></address>",
         ED_SIC_BAD_ADDRESS, 0, 0},
        {"<address xmlns='urn:xmpp:sic:1'><ip>192.0.2.1</ip><port>12x</port></address>",
         ED_SIC_BAD_ADDRESS, 0, 0},
        {"<query xmlns='urn:xmpp:sic:1'/>", ED_SVC_NOT_EXTDISCO, 0, 0},
    };
    for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
        ed_elem *e = NULL;
        assert_int_equal(ed_xml_parse(cases[i].xml, strlen(cases[i].xml), NULL, &e), ED_OK);
        char ip[ED_SIC_IP_MAX];
        int port = 7;
        assert_int_equal(ed_xep0279_parse_result(e, ip, &port), cases[i].want);
        if (cases[i].want == ED_OK) {
            assert_string_equal(ip, cases[i].ip);
            assert_int_equal(port, cases[i].port);
        }
        ed_elem_free(e);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(sic1_v4),
        cmocka_unit_test(sic1_v6_and_mapped),
        cmocka_unit_test(sic0),
        cmocka_unit_test(to_self_variants_allowed),
        cmocka_unit_test(other_entity_forbidden),
        cmocka_unit_test(set_not_allowed),
        cmocka_unit_test(not_ours),
        cmocka_unit_test(bad_peer_address),
        cmocka_unit_test(parse_result),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
