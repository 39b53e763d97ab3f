/* tests/unit/test_xep0215.c — XEP-0215 codec: the XEP's examples parsed and
 * regenerated, request parsing, pushes, parsing of received services.  The
 * responder and materialisation are in test_xep0215_respond.c. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <cmocka.h>

#include "extdisco/extdisco.h"

/* 2026-11-22T10:00:00Z; TURN REST ttl 86400 gives expiry 1795428000. */
#define NOW 1795341600
#define JULIET_USER "1795428000:juliet@example.org"
#define JULIET_PASS "ICWhqVmqnG5QuRVbV8Hha99em2U=" /* HMAC-SHA1("s3cret", user) */
#define EXPIRY_STR "2026-11-23T10:00:00Z"

static ed_elem *parse(const char *xml)
{
    ed_elem *e = NULL;
    ed_err err = ed_xml_parse(xml, strlen(xml), NULL, &e);
    if (err)
        fail_msg("parse failed (%s): %s", ed_strerror(err), xml);
    return e;
}

/* Regenerate services as children of a fresh <NAME xmlns=extdisco:2 type?>. */
static char *regen(const char *name, const char *type, const ed_service *v, size_t n)
{
    ed_elem *root = ed_elem_new(name, ED_NS_EXTDISCO2);
    if (type)
        assert_int_equal(ed_elem_set_attr(root, "type", type), ED_OK);
    for (size_t i = 0; i < n; i++)
        assert_int_equal(ed_service_to_elem(root, &v[i], NULL, NULL), ED_OK);
    char *s = ed_xml_to_string(root, NULL);
    ed_elem_free(root);
    return s;
}

/* Parse the payload of an IQ given as text. */
static void parse_payload(const char *iq_xml, ed_service **v, size_t *n, size_t *skipped)
{
    ed_elem *iq = parse(iq_xml);
    assert_int_equal(ed_xep0215_parse_services(ed_elem_first(iq), v, n, skipped), ED_OK);
    ed_elem_free(iq);
}

/* --- the XEP's examples ------------------------------------------------------ */

/* Listings as in the XEP, with the PDF's stray spaces inside attribute values
 * removed and Listing 5's unclosed first <service> closed. */
static const char *L1 =
    "<iq from='bard@shakespeare.lit/globe' id='ul2bc7y6' to='shakespeare.lit' type='get'>\n"
    "  <services xmlns='urn:xmpp:extdisco:2'/>\n</iq>";
static const char *L2 =
    "<iq from='shakespeare.lit' id='ul2bc7y6' to='bard@shakespeare.lit/globe' type='result'>\n"
    "  <services xmlns='urn:xmpp:extdisco:2'>\n"
    "    <service host='stun.shakespeare.lit' port='9998' transport='udp' type='stun'/>\n"
    "    <service host='relay.shakespeare.lit' password='jj929jkj5sadjfj93v3n' port='9999'\n"
    "             transport='udp' type='turn' username='nb78932lkjlskjfdb7g8'/>\n"
    "    <service host='192.0.2.1' port='8888' transport='udp' type='stun'/>\n"
    "    <service host='192.0.2.1' port='8889' password='93jn3bakj9s832lrjbbz'\n"
    "             transport='udp' type='turn' username='auu98sjl2wk3e9fjdsl7'/>\n"
    "    <service host='ftp.shakespeare.lit' name='Shakespearean File Server'\n"
    "             password='guest' port='20' transport='tcp' type='ftp' username='guest'/>\n"
    "  </services>\n</iq>";
static const char *L3 =
    "<iq from='bard@shakespeare.lit/globe' id='yv2c19f7' to='shakespeare.lit' type='get'>\n"
    "  <services xmlns='urn:xmpp:extdisco:2' type='turn'/>\n</iq>";
static const char *L4 =
    "<iq from='shakespeare.lit' id='yv2c19f7' to='bard@shakespeare.lit/globe' type='result'>\n"
    "  <services xmlns='urn:xmpp:extdisco:2' type='turn'>\n"
    "    <service host='turn.shakespeare.lit' password='jj929jkj5sadjfj93v3n' port='9999'\n"
    "             transport='udp' type='turn' username='nb78932lkjlskjfdb7g8'/>\n"
    "    <service host='192.0.2.1' port='8889' password='93jn3bakj9s832lrjbbz'\n"
    "             transport='udp' type='turn' username='auu98sjl2wk3e9fjdsl7'/>\n"
    "  </services>\n</iq>";
static const char *L5 =
    "<iq from='shakespeare.lit' id='lh3f1vc7' to='bard@shakespeare.lit/globe' type='set'>\n"
    "  <services xmlns='urn:xmpp:extdisco:2' type='turn'>\n"
    "    <service action='add' host='stun.shakespeare.lit' port='9999' transport='udp'\n"
    "             type='turn' username='1nas9dlm3hzl89d0b9v' password='gh9023ljjdk109iajqn'/>\n"
    "    <service action='add' host='192.0.2.2' port='7778' transport='udp' type='turn'\n"
    "             username='bnsv120afg48snsdozp' password='zxp023na98dsfahn1kk'/>\n"
    "    <service action='delete' host='192.0.2.1' port='8889' type='turn'/>\n"
    "  </services>\n</iq>";
static const char *L6 =
    "<iq from='bard@shakespeare.lit/globe' id='xi2cax48' to='shakespeare.lit' type='get'>\n"
    "  <credentials xmlns='urn:xmpp:extdisco:2'>\n"
    "    <service host='turn.shakespeare.lit' type='turn'/>\n"
    "  </credentials>\n</iq>";
static const char *L7 =
    "<iq from='shakespeare.lit' id='xi2cax48' to='bard@shakespeare.lit/globe' type='result'>\n"
    "  <credentials xmlns='urn:xmpp:extdisco:2'>\n"
    "    <service host='turn.shakespeare.lit' type='turn' password='jj929jkj5sadjfj93v3n'\n"
    "             username='nb78932lkjlskjfdb7g8'/>\n"
    "  </credentials>\n</iq>";

static void test_listing1_3_requests(void **st)
{
    (void)st;
    ed_elem *iq = parse(L1);
    ed_xep0215_request req;
    assert_int_equal(ed_xep0215_parse_request(iq, &req), ED_OK);
    assert_int_equal(req.bad, ED_OK);
    assert_int_equal(req.version, 2);
    assert_int_equal(req.kind, ED_XEP0215_SERVICES);
    assert_string_equal(req.iq_type, "get");
    assert_null(req.type);
    assert_null(req.lang);
    assert_int_equal(req.nwanted, 0);
    ed_elem_free(iq);

    iq = parse(L3);
    assert_int_equal(ed_xep0215_parse_request(iq, &req), ED_OK);
    assert_string_equal(req.type, "turn");
    ed_elem_free(iq);
}

static void test_listing2(void **st)
{
    (void)st;
    ed_service *v = NULL;
    size_t n = 0, skipped = 9;
    parse_payload(L2, &v, &n, &skipped);
    assert_int_equal(n, 5);
    assert_int_equal(skipped, 0);
    assert_string_equal(v[1].username, "nb78932lkjlskjfdb7g8");
    assert_string_equal(v[4].name, "Shakespearean File Server");
    assert_int_equal(v[4].port, 20);
    char *s = regen("services", NULL, v, n);
    assert_string_equal(s,
        "<services xmlns='urn:xmpp:extdisco:2'>"
        "<service type='stun' host='stun.shakespeare.lit' port='9998' transport='udp'/>"
        "<service type='turn' host='relay.shakespeare.lit' port='9999' transport='udp' "
        "username='nb78932lkjlskjfdb7g8' password='jj929jkj5sadjfj93v3n'/>"
        "<service type='stun' host='192.0.2.1' port='8888' transport='udp'/>"
        "<service type='turn' host='192.0.2.1' port='8889' transport='udp' "
        "username='auu98sjl2wk3e9fjdsl7' password='93jn3bakj9s832lrjbbz'/>"
        "<service type='ftp' host='ftp.shakespeare.lit' port='20' transport='tcp' "
        "name='Shakespearean File Server' username='guest' password='guest'/>"
        "</services>");
    free(s);
    ed_services_free(v, n);
}

static void test_listing4(void **st)
{
    (void)st;
    ed_service *v = NULL;
    size_t n = 0, skipped = 0;
    parse_payload(L4, &v, &n, &skipped);
    assert_int_equal(n, 2);
    char *s = regen("services", "turn", v, n);
    assert_string_equal(s,
        "<services xmlns='urn:xmpp:extdisco:2' type='turn'>"
        "<service type='turn' host='turn.shakespeare.lit' port='9999' transport='udp' "
        "username='nb78932lkjlskjfdb7g8' password='jj929jkj5sadjfj93v3n'/>"
        "<service type='turn' host='192.0.2.1' port='8889' transport='udp' "
        "username='auu98sjl2wk3e9fjdsl7' password='93jn3bakj9s832lrjbbz'/>"
        "</services>");
    free(s);
    ed_services_free(v, n);
}

static void test_listing5_push(void **st)
{
    (void)st;
    ed_elem *iq = parse(L5);
    /* A push is an IQ-set: recognised, and a server refuses it. */
    ed_xep0215_request req;
    assert_int_equal(ed_xep0215_parse_request(iq, &req), ED_OK);
    assert_string_equal(req.iq_type, "set");
    ed_service *v = NULL;
    size_t n = 0, skipped = 0;
    assert_int_equal(ed_xep0215_parse_services(ed_elem_first(iq), &v, &n, &skipped), ED_OK);
    ed_elem_free(iq);
    assert_int_equal(n, 3);
    assert_int_equal(v[0].action, ED_ACTION_ADD);
    assert_int_equal(v[1].action, ED_ACTION_ADD);
    assert_int_equal(v[2].action, ED_ACTION_DELETE);
    assert_null(v[2].transport);
    ed_elem *push = ed_xep0215_push("shakespeare.lit", "bard@shakespeare.lit/globe",
                                    "lh3f1vc7", 2, "turn", NULL, v, n);
    assert_non_null(push);
    char *s = ed_xml_to_string(push, ED_NS_CLIENT);
    assert_string_equal(s,
        "<iq from='shakespeare.lit' id='lh3f1vc7' to='bard@shakespeare.lit/globe' type='set'>"
        "<services xmlns='urn:xmpp:extdisco:2' type='turn'>"
        "<service action='add' type='turn' host='stun.shakespeare.lit' port='9999' "
        "transport='udp' username='1nas9dlm3hzl89d0b9v' password='gh9023ljjdk109iajqn'/>"
        "<service action='add' type='turn' host='192.0.2.2' port='7778' transport='udp' "
        "username='bnsv120afg48snsdozp' password='zxp023na98dsfahn1kk'/>"
        "<service action='delete' type='turn' host='192.0.2.1' port='8889'/>"
        "</services></iq>");
    free(s);
    ed_elem_free(push);

    /* v1, no filter, action NONE becomes add, no from/to. */
    v[0].action = ED_ACTION_NONE;
    push = ed_xep0215_push(NULL, NULL, "p2", 1, NULL, NULL, v, 1);
    s = ed_xml_to_string(push, ED_NS_CLIENT);
    assert_string_equal(s,
        "<iq id='p2' type='set'><services xmlns='urn:xmpp:extdisco:1'>"
        "<service action='add' type='turn' host='stun.shakespeare.lit' port='9999' "
        "transport='udp' username='1nas9dlm3hzl89d0b9v' password='gh9023ljjdk109iajqn'/>"
        "</services></iq>");
    free(s);
    ed_elem_free(push);
    /* An empty type filter is no filter: no type='' on the wire. */
    push = ed_xep0215_push(NULL, NULL, "p5", 2, "", NULL, v, 1);
    s = ed_xml_to_string(push, ED_NS_CLIENT);
    assert_non_null(strstr(s, "<services xmlns='urn:xmpp:extdisco:2'><service "));
    free(s);
    ed_elem_free(push);
    /* An empty push is still a well-formed stanza. */
    push = ed_xep0215_push("a", "b", "p3", 2, NULL, NULL, NULL, 0);
    assert_non_null(push);
    ed_elem_free(push);
    assert_null(ed_xep0215_push("a", "b", "p4", 3, NULL, NULL, v, n));
    assert_null(ed_xep0215_push("a", "b", NULL, 2, NULL, NULL, v, n));
    ed_services_free(v, n);
}

static void test_listing6_7_credentials(void **st)
{
    (void)st;
    ed_elem *iq = parse(L6);
    ed_xep0215_request req;
    assert_int_equal(ed_xep0215_parse_request(iq, &req), ED_OK);
    assert_int_equal(req.kind, ED_XEP0215_CREDENTIALS);
    assert_int_equal(req.nwanted, 1);
    assert_string_equal(req.wanted[0].host, "turn.shakespeare.lit");
    assert_string_equal(req.wanted[0].type, "turn");
    assert_int_equal(req.wanted[0].port, -1);
    assert_null(req.type);
    ed_elem_free(iq);

    ed_service *v = NULL;
    size_t n = 0, skipped = 0;
    parse_payload(L7, &v, &n, &skipped);
    assert_int_equal(n, 1);
    char *s = regen("credentials", NULL, v, n);
    assert_string_equal(s,
        "<credentials xmlns='urn:xmpp:extdisco:2'>"
        "<service type='turn' host='turn.shakespeare.lit' "
        "username='nb78932lkjlskjfdb7g8' password='jj929jkj5sadjfj93v3n'/>"
        "</credentials>");
    free(s);
    ed_services_free(v, n);
}

static void test_extended_info(void **st)
{
    (void)st;
    /* The XEP's schematic: a <service/> with no host or type is malformed
     * and skipped, the form is no excuse. */
    const char *schematic =
        "<iq type='result'><services xmlns='urn:xmpp:extdisco:2'><service>"
        "<x type='result' xmlns='jabber:x:data'>"
        "<field var='[var-name]' label='[optional]'><value>[var-value]</value></field>"
        "</x></service></services></iq>";
    ed_service *v = NULL;
    size_t n = 9, skipped = 0;
    parse_payload(schematic, &v, &n, &skipped);
    assert_int_equal(n, 0);
    assert_int_equal(skipped, 1);
    ed_services_free(v, n);

    const char *concrete =
        "<iq type='result'><services xmlns='urn:xmpp:extdisco:2'>"
        "<service host='turn.example.org' type='turn' port='3478' transport='udp' restricted='1'>"
        "<x type='result' xmlns='jabber:x:data'>"
        "<field var='FORM_TYPE' type='hidden'><value>urn:example:turn</value></field>"
        "<field var='region' label='Region'><value>eu-west</value><value>eu-central</value></field>"
        "</x></service>"
        "<service host='bad host' type='turn'/>"
        "<service host='stun.example.org' type='stun' port='70000'/>"
        "<other/></services></iq>";
    parse_payload(concrete, &v, &n, &skipped);
    assert_int_equal(n, 1);
    assert_int_equal(skipped, 2);
    assert_int_equal(v[0].form->nfields, 2);
    assert_int_equal(v[0].form->fields[1].nvalues, 2);
    char *s = regen("services", NULL, v, n);
    assert_string_equal(s,
        "<services xmlns='urn:xmpp:extdisco:2'>"
        "<service type='turn' host='turn.example.org' port='3478' transport='udp' restricted='true'>"
        "<x xmlns='jabber:x:data' type='result'>"
        "<field var='FORM_TYPE' type='hidden'><value>urn:example:turn</value></field>"
        "<field var='region' label='Region'><value>eu-west</value><value>eu-central</value></field>"
        "</x></service></services>");
    free(s);
    ed_services_free(v, n);

    /* Not an extdisco payload. */
    ed_elem *e = parse("<query xmlns='http://jabber.org/protocol/disco#info'/>");
    assert_int_equal(ed_xep0215_parse_services(e, &v, &n, NULL), ED_SVC_NOT_EXTDISCO);
    ed_elem_free(e);
}

/* --- request parsing ------------------------------------------------------- */

static void test_parse_request_edges(void **st)
{
    (void)st;
    /* Not ours, or ours and malformed (req->bad says why; version, kind,
     * iq_type and lang are still read, as the responder's earlier
     * conditions need them). */
    static const struct {
        const char *xml;
        ed_err want;
        int version;
        ed_xep0215_kind kind;
    } cases[] = {
        {"<iq type='get' id='a'><query xmlns='http://jabber.org/protocol/disco#info'/></iq>",
         ED_SVC_NOT_EXTDISCO, 0, 0},
        {"<iq type='result' id='a'><services xmlns='urn:xmpp:extdisco:2'/></iq>",
         ED_SVC_NOT_EXTDISCO, 0, 0},
        {"<iq type='error' id='a'><services xmlns='urn:xmpp:extdisco:2'/></iq>",
         ED_SVC_NOT_EXTDISCO, 0, 0},
        {"<iq type='get' id='a'/>", ED_SVC_NOT_EXTDISCO, 0, 0},
        {"<message id='a'><services xmlns='urn:xmpp:extdisco:2'/></message>",
         ED_SVC_NOT_EXTDISCO, 0, 0},
        {"<iq type='get' id='a'><services xmlns='urn:xmpp:extdisco:3'/></iq>",
         ED_SVC_NOT_EXTDISCO, 0, 0},
        {"<iq type='get' id='a'><service xmlns='urn:xmpp:extdisco:2'/></iq>",
         ED_SVC_NOT_EXTDISCO, 0, 0},
        {"<iq type='get' id='a' xml:lang='fr'><credentials xmlns='urn:xmpp:extdisco:2'/></iq>",
         ED_SVC_NONE_NAMED, 2, ED_XEP0215_CREDENTIALS},
        {"<iq type='get' id='a' xml:lang='fr'><credentials xmlns='urn:xmpp:extdisco:2'>"
         "<service type='turn'/></credentials></iq>", ED_SVC_MISSING_HOST, 2,
         ED_XEP0215_CREDENTIALS},
        {"<iq type='get' id='a' xml:lang='fr'><credentials xmlns='urn:xmpp:extdisco:2'>"
         "<service host='' type='turn'/></credentials></iq>", ED_SVC_MISSING_HOST, 2,
         ED_XEP0215_CREDENTIALS},
        {"<iq type='get' id='a' xml:lang='fr'><credentials xmlns='urn:xmpp:extdisco:2'>"
         "<service host='t.example'/></credentials></iq>", ED_SVC_MISSING_TYPE, 2,
         ED_XEP0215_CREDENTIALS},
        {"<iq type='get' id='a' xml:lang='fr'><credentials xmlns='urn:xmpp:extdisco:1'>"
         "<service host='t.example' type='turn' port='x'/></credentials></iq>",
         ED_SVC_BAD_PORT, 1, ED_XEP0215_CREDENTIALS},
        {"<iq type='get' id='a' xml:lang='fr'><credentials xmlns='urn:xmpp:extdisco:2'>"
         "<service host='t.example' type='turn'/>"
         "<service host='t.example' type='turn' transport='u dp'/></credentials></iq>",
         ED_SVC_BAD_TRANSPORT, 2, ED_XEP0215_CREDENTIALS},
        {"<iq type='get' id='a' xml:lang='fr'><services xmlns='urn:xmpp:extdisco:2' type='stun'/>"
         "<services xmlns='urn:xmpp:extdisco:2'/></iq>", ED_SVC_BAD_IQ, 2,
         ED_XEP0215_SERVICES},
        {"<iq type='set' xml:lang='fr'><services xmlns='urn:xmpp:extdisco:1' type='stun'/></iq>",
         ED_SVC_BAD_IQ, 1, ED_XEP0215_SERVICES},
    };
    for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
        ed_elem *iq = parse(cases[i].xml);
        ed_xep0215_request req;
        req.bad = ED_ESTATE;
        ed_err err = ed_xep0215_parse_request(iq, &req);
        if (err != cases[i].want)
            fail_msg("case %zu: got %s want %s", i, ed_strerror(err),
                     ed_strerror(cases[i].want));
        assert_int_equal(req.version, cases[i].version);
        assert_int_equal(req.kind, cases[i].kind);
        assert_null(req.type);
        assert_int_equal(req.nwanted, 0);
        if (err != ED_SVC_NOT_EXTDISCO) {
            assert_int_equal(req.bad, err);
            assert_string_equal(req.iq_type, ed_elem_attr(iq, "type"));
            assert_string_equal(req.lang, "fr");
        }
        ed_elem_free(iq);
    }
    assert_int_equal(ed_xep0215_parse_request(NULL, &(ed_xep0215_request){0}),
                     ED_SVC_NOT_EXTDISCO);

    /* Liberal: a <service/> child of <services/> is ignored; lang taken from
     * the payload, else the iq; v1; several wanted services. */
    ed_elem *iq = parse("<iq type='get' id='a' xml:lang='fr'>"
                        "<services xmlns='urn:xmpp:extdisco:1' xml:lang='de' type='stun'>"
                        "<service host='stun.example.org'/></services></iq>");
    ed_xep0215_request req;
    assert_int_equal(ed_xep0215_parse_request(iq, &req), ED_OK);
    assert_int_equal(req.version, 1);
    assert_string_equal(req.lang, "de");
    assert_string_equal(req.type, "stun");
    assert_int_equal(req.nwanted, 0);
    ed_elem_free(iq);

    /* An IQ-set is parsed like a get (the responder refuses it). */
    iq = parse("<iq type='set' id='a'><services xmlns='urn:xmpp:extdisco:2' type='turn'/></iq>");
    assert_int_equal(ed_xep0215_parse_request(iq, &req), ED_OK);
    assert_string_equal(req.iq_type, "set");
    assert_string_equal(req.type, "turn");
    assert_null(req.lang);
    ed_elem_free(iq);

    /* type='' (or only whitespace, which xs:NCName collapses to '') is no
     * filter: callers see NULL, never "". */
    static const char *const blank[] = {
        "<iq type='get' id='a'><services xmlns='urn:xmpp:extdisco:2' type=''/></iq>",
        "<iq type='get' id='a'><services xmlns='urn:xmpp:extdisco:2' type=' &#9;'/></iq>",
        "<iq type='get' id='a'><services xmlns='urn:xmpp:extdisco:2' type='&#10;&#13; '/></iq>",
    };
    for (size_t i = 0; i < sizeof blank / sizeof *blank; i++) {
        iq = parse(blank[i]);
        req.type = "unset";
        assert_int_equal(ed_xep0215_parse_request(iq, &req), ED_OK);
        assert_null(req.type);
        ed_elem_free(iq);
    }

    iq = parse("<iq type='get' id='a' xml:lang='fr'><credentials xmlns='urn:xmpp:extdisco:2'>"
               "<service host='a.example' type='turn' port='3478' junk='1'/>"
               "<service host='b.example' type='stun' transport='tcp'><x/></service>"
               "</credentials></iq>");
    assert_int_equal(ed_xep0215_parse_request(iq, &req), ED_OK);
    assert_string_equal(req.lang, "fr");
    assert_null(req.type);
    assert_int_equal(req.nwanted, 2);
    assert_string_equal(req.wanted[0].host, "a.example");
    assert_string_equal(req.wanted[0].type, "turn");
    assert_int_equal(req.wanted[0].port, 3478);
    assert_null(req.wanted[0].transport);
    assert_string_equal(req.wanted[1].host, "b.example");
    assert_string_equal(req.wanted[1].transport, "tcp");
    assert_int_equal(req.wanted[1].port, -1);
    ed_elem_free(iq);
    assert_int_equal(ed_xep0215_parse_request(NULL, NULL), ED_EINVAL);
}

/* At most ED_XEP0215_MAX_WANTED services in one <credentials/>: all of
 * them are read; one more is malformed (ED_ELIMIT), before any entry is. */
static void test_parse_request_max_wanted(void **st)
{
    (void)st;
    for (int extra = 0; extra <= 1; extra++) {
        char xml[ED_XEP0215_MAX_WANTED * 64 + 256];
        size_t len = (size_t)snprintf(xml, sizeof xml,
                                      "<iq type='get' id='m'><credentials xmlns='urn:xmpp:extdisco:2'>");
        for (int i = 0; i < ED_XEP0215_MAX_WANTED + extra; i++)
            len += (size_t)snprintf(xml + len, sizeof xml - len,
                                    i == ED_XEP0215_MAX_WANTED
                                        ? "<service type='turn'/>" /* also no host */
                                        : "<service host='h%d.example' type='turn'/>", i);
        snprintf(xml + len, sizeof xml - len, "</credentials></iq>");
        ed_elem *iq = parse(xml);
        ed_xep0215_request req;
        ed_err err = ed_xep0215_parse_request(iq, &req);
        if (!extra) {
            assert_int_equal(err, ED_OK);
            assert_int_equal(req.nwanted, ED_XEP0215_MAX_WANTED);
            char last[32];
            snprintf(last, sizeof last, "h%d.example", ED_XEP0215_MAX_WANTED - 1);
            assert_string_equal(req.wanted[ED_XEP0215_MAX_WANTED - 1].host, last);
        } else {
            assert_int_equal(err, ED_ELIMIT);
            assert_int_equal(req.bad, ED_ELIMIT);
            assert_int_equal(req.nwanted, 0);
        }
        ed_elem_free(iq);
    }
}

/* A received bracketed host is malformed like any bad host: skipped. */
static void test_parse_services_bracketed(void **st)
{
    (void)st;
    ed_service *v = NULL;
    size_t n = 9, skipped = 0;
    parse_payload("<iq type='result' id='b'><services xmlns='urn:xmpp:extdisco:2'>"
                  "<service type='stun' host='[::1]' port='3478' transport='udp'/>"
                  "<service type='stun' host='[2001:db8::1]' port='3478' transport='udp'/>"
                  "<service type='stun' host='2001:db8::1' port='3478' transport='udp'/>"
                  "</services></iq>", &v, &n, &skipped);
    assert_int_equal(n, 1);
    assert_int_equal(skipped, 2);
    assert_string_equal(v[0].host, "2001:db8::1");
    ed_services_free(v, n);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_listing1_3_requests),
        cmocka_unit_test(test_listing2),
        cmocka_unit_test(test_listing4),
        cmocka_unit_test(test_listing5_push),
        cmocka_unit_test(test_listing6_7_credentials),
        cmocka_unit_test(test_extended_info),
        cmocka_unit_test(test_parse_request_edges),
        cmocka_unit_test(test_parse_request_max_wanted),
        cmocka_unit_test(test_parse_services_bracketed),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
