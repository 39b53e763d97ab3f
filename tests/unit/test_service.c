/* tests/unit/test_service.c — the service record: schema checks, host
 * classification, liberal parsing, emission, names, copy and comparison. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "extdisco/extdisco.h"

static ed_elem *parse(const char *xml)
{
    ed_elem *e = NULL;
    ed_err err = ed_xml_parse(xml, strlen(xml), NULL, &e);
    assert_int_equal(err, ED_OK);
    assert_non_null(e);
    return e;
}

/* Parse a lone <service/> and return the error. */
static ed_err from_xml(const char *xml, ed_service *out)
{
    ed_elem *e = parse(xml);
    ed_err err = ed_service_from_elem(e, out);
    ed_elem_free(e);
    return err;
}

/* Emit s into <services xmlns=extdisco:2> and return the string (caller frees). */
static char *emit(const ed_service *s, const char *lang)
{
    ed_elem *root = ed_elem_new("services", ED_NS_EXTDISCO2);
    assert_non_null(root);
    ed_elem *child = NULL;
    assert_int_equal(ed_service_to_elem(root, s, lang, &child), ED_OK);
    assert_non_null(child);
    char *str = ed_xml_to_string(root, NULL);
    assert_non_null(str);
    ed_elem_free(root);
    return str;
}

static void test_ncname(void **st)
{
    (void)st;
    assert_true(ed_is_ncname("turn"));
    assert_true(ed_is_ncname("short-lived-token"));
    assert_true(ed_is_ncname("_x.y-z9"));
    assert_false(ed_is_ncname(""));
    assert_false(ed_is_ncname(NULL));
    assert_false(ed_is_ncname("1turn"));
    assert_false(ed_is_ncname("-turn"));
    assert_false(ed_is_ncname("a:b"));
    assert_false(ed_is_ncname("a b"));
}

static void test_port(void **st)
{
    (void)st;
    int p = -7;
    assert_int_equal(ed_parse_port("3478", &p), ED_OK);
    assert_int_equal(p, 3478);
    assert_int_equal(ed_parse_port("0", &p), ED_OK);
    assert_int_equal(p, 0);
    assert_int_equal(ed_parse_port("65535", &p), ED_OK);
    assert_int_equal(p, 65535);
    assert_int_equal(ed_parse_port(" 443 ", &p), ED_OK); /* xs collapse */
    assert_int_equal(p, 443);
    assert_int_equal(ed_parse_port("00080", &p), ED_OK);
    assert_int_equal(p, 80);
    p = 1;
    assert_int_equal(ed_parse_port("65536", &p), ED_SVC_BAD_PORT);
    assert_int_equal(ed_parse_port("-1", &p), ED_SVC_BAD_PORT);
    assert_int_equal(ed_parse_port("abc", &p), ED_SVC_BAD_PORT);
    assert_int_equal(ed_parse_port("", &p), ED_SVC_BAD_PORT);
    assert_int_equal(ed_parse_port("12a", &p), ED_SVC_BAD_PORT);
    assert_int_equal(ed_parse_port("99999999999999999999", &p), ED_SVC_BAD_PORT);
    assert_int_equal(ed_parse_port("+80", &p), ED_SVC_BAD_PORT);
    assert_int_equal(ed_parse_port(NULL, &p), ED_SVC_BAD_PORT);
    assert_int_equal(p, 1); /* untouched on error */
}

static void test_bool_action(void **st)
{
    (void)st;
    int b = -1;
    assert_int_equal(ed_parse_xsd_bool("true", &b), ED_OK);
    assert_int_equal(b, 1);
    assert_int_equal(ed_parse_xsd_bool("1", &b), ED_OK);
    assert_int_equal(b, 1);
    assert_int_equal(ed_parse_xsd_bool("false", &b), ED_OK);
    assert_int_equal(b, 0);
    assert_int_equal(ed_parse_xsd_bool("0", &b), ED_OK);
    assert_int_equal(b, 0);
    assert_int_equal(ed_parse_xsd_bool("yes", &b), ED_SVC_BAD_BOOLEAN);
    assert_int_equal(ed_parse_xsd_bool("2", &b), ED_SVC_BAD_BOOLEAN);
    assert_int_equal(ed_parse_xsd_bool("", &b), ED_SVC_BAD_BOOLEAN);

    ed_action a = ED_ACTION_NONE;
    assert_int_equal(ed_parse_action("add", &a), ED_OK);
    assert_int_equal(a, ED_ACTION_ADD);
    assert_int_equal(ed_parse_action("modify", &a), ED_OK);
    assert_int_equal(a, ED_ACTION_MODIFY);
    assert_int_equal(ed_parse_action("delete", &a), ED_OK);
    assert_int_equal(a, ED_ACTION_DELETE);
    a = ED_ACTION_NONE;
    assert_int_equal(ed_parse_action("remove", &a), ED_OK);
    assert_int_equal(a, ED_ACTION_DELETE);
    assert_int_equal(ed_parse_action("update", &a), ED_SVC_BAD_ACTION);
    assert_int_equal(ed_parse_action("", &a), ED_SVC_BAD_ACTION);
}

static void test_check_host(void **st)
{
    (void)st;
    const char *good[] = {"turn.example.org", "example.org.", "localhost",
                          "192.0.2.1", "2001:db8::1", "::", "::ffff:192.0.2.1",
                          "a-b.c_d.example", "xn--bcher-kva.example"};
    for (size_t i = 0; i < sizeof good / sizeof *good; i++)
        assert_int_equal(ed_check_host(good[i]), ED_OK);
    const char *bad[] = {"", "-a.example", "a-.example", "a..b", ".a", "a b",
                         "300.1.1.1", "1.2.3", "2001:db8::1::2", "[::1",
                         "host/path", "a@b",
                         /* URI syntax, not an address (XEP-0215: FQDN or IP) */
                         "[2001:db8::1]", "[::1]", "[192.0.2.1]", "[turn.example.org]"};
    for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
        if (ed_check_host(bad[i]) != ED_SVC_BAD_HOST)
            fail_msg("accepted bad host '%s'", bad[i]);
    }
    char longlab[80];
    memset(longlab, 'a', 64);
    strcpy(longlab + 64, ".example");
    assert_int_equal(ed_check_host(longlab), ED_SVC_BAD_HOST);
    longlab[1] = '.'; /* now labels of 1 and 62 */
    assert_int_equal(ed_check_host(longlab), ED_OK);
    assert_int_equal(ed_check_host(NULL), ED_SVC_BAD_HOST);
}

static void test_host_is_local(void **st)
{
    (void)st;
    const char *local[] = {"0.0.0.0", "::", "127.0.0.1", "127.255.0.9", "::1",
                           "[::1]", "169.254.1.1", "fe80::1", "febf::1",
                           "10.0.0.1", "172.16.0.1", "172.31.255.255",
                           "192.168.1.1", "100.64.0.1", "100.127.255.255",
                           "fc00::1", "fd12:3456::1", "::ffff:127.0.0.1",
                           "::ffff:10.1.2.3", "::ffff:192.168.0.1", "::ffff:0.0.0.0",
                           "255.255.255.255", "224.0.0.1", "ff02::1",
                           /* RFC 6761: always loopback */
                           "localhost", "LocalHost", "localhost.", "a.localhost",
                           "x.y.LOCALHOST.",
                           /* RFC 6762: multicast DNS names, link-local */
                           "printer.local", "Turn.Local.", "a.b.local",
                           /* IPv4 embedded in IPv6 counts as that IPv4 */
                           "::127.0.0.1", "::10.0.0.1", "::192.168.1.1", "::2",
                           "::ffff:0:127.0.0.1", "::ffff:0:10.0.0.1",
                           "64:ff9b::127.0.0.1", "64:ff9b::10.0.0.1",
                           "64:ff9b::c0a8:101", "64:FF9B::169.254.0.1",
                           "64:ff9b:1::203.0.113.5", "2002:7f00:1::1",
                           "2002:c0a8:101::", "[::ffff:10.0.0.1]"};
    for (size_t i = 0; i < sizeof local / sizeof *local; i++)
        if (!ed_host_is_local(local[i]))
            fail_msg("'%s' should be local", local[i]);
    const char *global[] = {"203.0.113.5", "198.51.100.7", "8.8.8.8", "172.32.0.1",
                            "172.15.255.255", "100.128.0.1", "100.63.255.255",
                            "169.253.1.1", "2001:db8::1", "fec0::1x",
                            "::ffff:8.8.8.8", "turn.example.org",
                            "fe7f::1", "fe00::1", "notlocalhost", "localhost.example.org",
                            "localhostx", "xlocalhost.", "::8.8.8.8", "::ffff:0:8.8.8.8",
                            "local", "notlocal", "local.example.org", "x.locals",
                            "64:ff9b::8.8.8.8", "64:ff9b::203.0.113.5",
                            "64:ff9b:2::a00:1", "2002:808:808::1", "2003:7f00:1::1"};
    for (size_t i = 0; i < sizeof global / sizeof *global; i++)
        if (ed_host_is_local(global[i]))
            fail_msg("'%s' should not be local", global[i]);
    assert_false(ed_host_is_local(NULL));
}

static void test_from_elem_full(void **st)
{
    (void)st;
    ed_service s;
    assert_int_equal(from_xml("<service xmlns='urn:xmpp:extdisco:2' action='remove' "
                              "type='turn' host='turn.example.org' port='3478' "
                              "transport='udp' name='Relay' restricted='1' "
                              "username='u' password='p' "
                              "expires='2026-11-22T10:00:00.123Z' unknown='x'>"
                              "<future xmlns='urn:example'/></service>", &s),
                     ED_OK);
    assert_string_equal(s.type, "turn");
    assert_string_equal(s.host, "turn.example.org");
    assert_int_equal(s.port, 3478);
    assert_string_equal(s.transport, "udp");
    assert_string_equal(s.name, "Relay");
    assert_int_equal(s.restricted, 1);
    assert_string_equal(s.username, "u");
    assert_string_equal(s.password, "p");
    assert_int_equal(s.expires, 1795341600);
    assert_int_equal(s.action, ED_ACTION_DELETE);
    assert_null(s.form);
    assert_int_equal(ed_service_validate(&s), ED_OK);
    ed_service_clear(&s);
    assert_null(s.type);
    assert_int_equal(s.port, -1);
    assert_int_equal(s.restricted, -1);

    /* Minimal: only host and type; everything else absent. */
    assert_int_equal(from_xml("<service host='h.example' type='stun'/>", &s), ED_OK);
    assert_int_equal(s.port, -1);
    assert_int_equal(s.restricted, -1);
    assert_null(s.transport);
    assert_null(s.name);
    assert_int_equal(s.expires, 0);
    assert_int_equal(s.action, ED_ACTION_NONE);
    ed_service_clear(&s);

    /* Timezone offset is converted to UTC. */
    assert_int_equal(from_xml("<service host='h.example' type='stun' "
                              "expires='2026-11-22T12:00:00+02:00'/>", &s), ED_OK);
    assert_int_equal(s.expires, 1795341600);
    ed_service_clear(&s);
}

static void test_from_elem_errors(void **st)
{
    (void)st;
    static const struct {
        const char *xml;
        ed_err want;
    } cases[] = {
        {"<service type='turn' port='1'/>", ED_SVC_MISSING_HOST},
        {"<service type='turn' host=''/>", ED_SVC_MISSING_HOST},
        {"<service host='h.example'/>", ED_SVC_MISSING_TYPE},
        {"<service host='h.example' type=''/>", ED_SVC_MISSING_TYPE},
        {"<service host='h.example' type='a:b'/>", ED_SVC_BAD_TYPE},
        {"<service host='h..example' type='turn'/>", ED_SVC_BAD_HOST},
        {"<service host='[::1]' type='turn'/>", ED_SVC_BAD_HOST},
        {"<service host='[2001:db8::1]' type='stun' port='3478'/>", ED_SVC_BAD_HOST},
        {"<service host='h.example' type='turn' port='65536'/>", ED_SVC_BAD_PORT},
        {"<service host='h.example' type='turn' port='-1'/>", ED_SVC_BAD_PORT},
        {"<service host='h.example' type='turn' port='abc'/>", ED_SVC_BAD_PORT},
        {"<service host='h.example' type='turn' transport='u d p'/>", ED_SVC_BAD_TRANSPORT},
        {"<service host='h.example' type='turn' action='update'/>", ED_SVC_BAD_ACTION},
        {"<service host='h.example' type='turn' restricted='yes'/>", ED_SVC_BAD_BOOLEAN},
        {"<service host='h.example' type='turn' expires='tomorrow'/>", ED_SVC_BAD_EXPIRES},
        {"<service host='h.example' type='turn' expires='2026-02-30T10:00:00Z'/>", ED_SVC_BAD_EXPIRES},
        {"<service host='h.example' type='turn' expires='2026-11-22T10:00:00'/>", ED_SVC_BAD_EXPIRES},
        {"<service host='h.example' type='turn'><x xmlns='jabber:x:data' type='result'>"
         "<field><value>v</value></field></x></service>", ED_SVC_BAD_FORM},
    };
    for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
        ed_service s;
        ed_err err = from_xml(cases[i].xml, &s);
        if (err != cases[i].want)
            fail_msg("case %zu (%s): got %d (%s), want %d", i, cases[i].xml, err,
                     ed_strerror(err), cases[i].want);
        assert_null(s.type); /* out is left initialised */
        assert_null(s.host);
        assert_null(s.transport);
    }
}

static void test_form(void **st)
{
    (void)st;
    const char *xml =
        "<service xmlns='urn:xmpp:extdisco:2' type='turn' host='turn.example.org' port='3478' transport='udp'>"
        "<x xmlns='jabber:x:data' type='result'>"
        "<field var='FORM_TYPE' type='hidden'><value>urn:example:turn-info</value></field>"
        "<field var='regions' type='list-multi' label='Regions'><value>eu</value><value>us</value></field>"
        "<field var='empty'/>"
        "<field type='fixed'><value>a label</value></field>"
        "</x></service>";
    ed_service s;
    assert_int_equal(from_xml(xml, &s), ED_OK);
    assert_non_null(s.form);
    assert_int_equal(s.form->nfields, 3); /* the var-less fixed field carries no data */
    assert_string_equal(s.form->fields[0].var, "FORM_TYPE");
    assert_string_equal(s.form->fields[0].type, "hidden");
    assert_int_equal(s.form->fields[0].nvalues, 1);
    assert_string_equal(s.form->fields[0].values[0], "urn:example:turn-info");
    assert_string_equal(s.form->fields[1].label, "Regions");
    assert_int_equal(s.form->fields[1].nvalues, 2);
    assert_string_equal(s.form->fields[1].values[1], "us");
    assert_int_equal(s.form->fields[2].nvalues, 0);
    assert_null(s.form->fields[2].type);

    char *out = emit(&s, NULL);
    assert_string_equal(out,
        "<services xmlns='urn:xmpp:extdisco:2'>"
        "<service type='turn' host='turn.example.org' port='3478' transport='udp'>"
        "<x xmlns='jabber:x:data' type='result'>"
        "<field var='FORM_TYPE' type='hidden'><value>urn:example:turn-info</value></field>"
        "<field var='regions' type='list-multi' label='Regions'><value>eu</value><value>us</value></field>"
        "<field var='empty'/>"
        "</x></service></services>");
    free(out);

    /* Copy is deep and compares equal; a changed value makes content differ. */
    ed_service c;
    assert_int_equal(ed_service_copy(&c, &s), ED_OK);
    assert_ptr_not_equal(c.form, s.form);
    assert_true(ed_service_same_content(&c, &s));
    free(c.form->fields[1].values[1]);
    c.form->fields[1].values[1] = strdup("ap");
    assert_false(ed_service_same_content(&c, &s));
    assert_true(ed_service_same_identity(&c, &s));
    ed_service_clear(&c);

    /* FORM_TYPE without a type is emitted hidden (XEP-0068). */
    free(s.form->fields[0].type);
    s.form->fields[0].type = NULL;
    out = emit(&s, NULL);
    assert_non_null(strstr(out, "<field var='FORM_TYPE' type='hidden'>"));
    free(out);
    ed_service_clear(&s);

    /* A FORM_TYPE without a type is read as hidden too. */
    assert_int_equal(from_xml("<service host='h.example' type='turn'>"
                              "<x xmlns='jabber:x:data' type='result'><field var='FORM_TYPE'>"
                              "<value>urn:x</value></field></x></service>", &s), ED_OK);
    assert_string_equal(s.form->fields[0].type, "hidden");
    ed_service_clear(&s);
}

static void test_emit_order_and_forms(void **st)
{
    (void)st;
    ed_service s;
    ed_service_init(&s);
    s.type = strdup("turn");
    s.host = strdup("turn.example.org");
    s.port = 3478;
    s.transport = strdup("udp");
    s.name = strdup("Relay & <Co>");
    s.restricted = 1;
    s.username = strdup("1795341600:u");
    s.password = strdup("p'w");
    s.expires = 1795341600;
    s.action = ED_ACTION_MODIFY;
    char *out = emit(&s, NULL);
    assert_string_equal(out,
        "<services xmlns='urn:xmpp:extdisco:2'><service action='modify' type='turn' "
        "host='turn.example.org' port='3478' transport='udp' name='Relay &amp; &lt;Co&gt;' "
        "restricted='true' username='1795341600:u' password='p&apos;w' "
        "expires='2026-11-22T10:00:00Z'/></services>");
    free(out);

    s.restricted = 0;
    s.action = ED_ACTION_NONE;
    s.port = 0;
    out = emit(&s, NULL);
    assert_non_null(strstr(out, " port='0' "));
    assert_non_null(strstr(out, " restricted='false' "));
    assert_null(strstr(out, "action="));
    free(out);

    /* A delete carries the identity only. */
    s.action = ED_ACTION_DELETE;
    out = emit(&s, NULL);
    assert_string_equal(out,
        "<services xmlns='urn:xmpp:extdisco:2'><service action='delete' type='turn' "
        "host='turn.example.org' port='0' transport='udp'/></services>");
    free(out);

    /* Port absent, restricted absent: neither attribute. */
    s.action = ED_ACTION_ADD;
    s.port = -1;
    s.restricted = -1;
    free(s.username);
    free(s.password);
    s.username = s.password = NULL;
    s.expires = 0;
    out = emit(&s, NULL);
    assert_string_equal(out,
        "<services xmlns='urn:xmpp:extdisco:2'><service action='add' type='turn' "
        "host='turn.example.org' transport='udp' name='Relay &amp; &lt;Co&gt;'/></services>");
    free(out);

    /* Round trip: what is emitted parses back to the same content. */
    ed_elem *root = ed_elem_new("services", ED_NS_EXTDISCO2);
    ed_elem *child = NULL;
    assert_int_equal(ed_service_to_elem(root, &s, NULL, &child), ED_OK);
    ed_service back;
    assert_int_equal(ed_service_from_elem(child, &back), ED_OK);
    assert_true(ed_service_same_content(&back, &s));
    assert_int_equal(back.action, ED_ACTION_ADD);
    ed_service_clear(&back);
    ed_elem_free(root);

    /* Bad values are refused on output. */
    root = ed_elem_new("services", ED_NS_EXTDISCO2);
    s.port = 70000;
    assert_int_equal(ed_service_to_elem(root, &s, NULL, NULL), ED_SVC_BAD_PORT);
    s.port = 1;
    assert_int_equal(ed_service_validate(&s), ED_OK);
    ed_elem_free(root);
    ed_service_clear(&s);
}

static void test_lang(void **st)
{
    (void)st;
    ed_service s;
    ed_service_init(&s);
    s.type = strdup("stun");
    s.host = strdup("stun.example.org");
    s.name = strdup("Public STUN");
    s.nnames = 3;
    s.names = calloc(3, sizeof *s.names);
    s.names[0].lang = strdup("de");
    s.names[0].text = strdup("Öffentlicher STUN");
    s.names[1].lang = strdup("pt-BR");
    s.names[1].text = strdup("STUN público (BR)");
    s.names[2].lang = strdup("pt");
    s.names[2].text = strdup("STUN público");
    assert_string_equal(ed_service_name_for_lang(&s, NULL), "Public STUN");
    assert_string_equal(ed_service_name_for_lang(&s, ""), "Public STUN");
    assert_string_equal(ed_service_name_for_lang(&s, "en"), "Public STUN");
    assert_string_equal(ed_service_name_for_lang(&s, "de"), "Öffentlicher STUN");
    assert_string_equal(ed_service_name_for_lang(&s, "DE"), "Öffentlicher STUN");
    assert_string_equal(ed_service_name_for_lang(&s, "de-AT"), "Öffentlicher STUN");
    assert_string_equal(ed_service_name_for_lang(&s, "pt-br"), "STUN público (BR)");
    assert_string_equal(ed_service_name_for_lang(&s, "pt-PT"), "STUN público");
    assert_string_equal(ed_service_name_for_lang(&s, "pt"), "STUN público");
    assert_string_equal(ed_service_name_for_lang(&s, "fr"), "Public STUN");
    /* 'd' is not a prefix match for "de". */
    assert_string_equal(ed_service_name_for_lang(&s, "d"), "Public STUN");

    char *out = emit(&s, "de-CH");
    assert_string_equal(out,
        "<services xmlns='urn:xmpp:extdisco:2'><service type='stun' host='stun.example.org' "
        "name='Öffentlicher STUN'/></services>");
    free(out);

    /* Only "pt-BR" left: "pt" falls back to any pt-* name. */
    ed_service c;
    assert_int_equal(ed_service_copy(&c, &s), ED_OK);
    assert_int_equal(c.nnames, 3);
    assert_true(ed_service_same_content(&c, &s));
    free(c.names[2].text);
    c.names[2].text = strdup("changed");
    assert_false(ed_service_same_content(&c, &s));
    free(c.names[2].lang);
    free(c.names[2].text);
    c.nnames = 2;
    assert_string_equal(ed_service_name_for_lang(&c, "pt"), "STUN público (BR)");
    ed_service_clear(&c);

    free(s.name);
    s.name = NULL;
    assert_null(ed_service_name_for_lang(&s, "fr"));
    ed_service_clear(&s);
}

static void test_identity_validate(void **st)
{
    (void)st;
    ed_service a, b;
    assert_int_equal(from_xml("<service type='turn' host='Turn.Example.org' port='3478' "
                              "transport='UDP' username='a' password='b'/>", &a), ED_OK);
    assert_int_equal(from_xml("<service type='turn' host='turn.example.org' port='3478' "
                              "transport='udp' username='c' password='d' "
                              "expires='2030-01-01T00:00:00Z'/>", &b), ED_OK);
    assert_true(ed_service_same_identity(&a, &b));
    assert_true(ed_service_same_content(&a, &b)); /* ephemeral ones do not count */
    free(b.host); /* the root's trailing dot: the same DNS name */
    b.host = strdup("turn.example.org.");
    assert_true(ed_service_same_identity(&a, &b));
    free(b.host);
    b.host = strdup("turn.example.com");
    assert_false(ed_service_same_identity(&a, &b));
    free(b.host);
    b.host = strdup("turn.example.org");
    b.port = 3479;
    assert_false(ed_service_same_identity(&a, &b));
    b.port = 3478;
    free(b.transport);
    b.transport = NULL;
    assert_false(ed_service_same_identity(&a, &b));
    b.transport = strdup("udp");
    b.restricted = 1;
    assert_false(ed_service_same_content(&a, &b));
    b.restricted = -1;
    b.name = strdup("n");
    assert_false(ed_service_same_content(&a, &b));
    free(b.name);
    b.name = NULL;
    assert_true(ed_service_same_content(&a, &b));

    /* Static credentials (no expires on either side) are content. */
    ed_service c;
    assert_int_equal(ed_service_copy(&c, &a), ED_OK);
    assert_true(ed_service_same_content(&a, &c));
    free(c.password);
    c.password = strdup("B");
    assert_false(ed_service_same_content(&a, &c));
    free(c.password);
    c.password = strdup("b");
    free(c.username);
    c.username = strdup("A");
    assert_false(ed_service_same_content(&a, &c));
    free(c.username);
    c.username = NULL; /* credentials gone */
    assert_false(ed_service_same_content(&a, &c));
    ed_service_clear(&c);

    assert_int_equal(ed_service_validate(&a), ED_OK);
    free(a.transport);
    a.transport = strdup("u:dp");
    assert_int_equal(ed_service_validate(&a), ED_SVC_BAD_TRANSPORT);
    free(a.transport);
    a.transport = NULL;
    a.port = 65536;
    assert_int_equal(ed_service_validate(&a), ED_SVC_BAD_PORT);
    a.port = -1;
    a.restricted = 2;
    assert_int_equal(ed_service_validate(&a), ED_SVC_BAD_BOOLEAN);
    a.restricted = 0;
    free(a.host);
    a.host = NULL;
    assert_int_equal(ed_service_validate(&a), ED_SVC_MISSING_HOST);
    a.host = strdup("bad host");
    assert_int_equal(ed_service_validate(&a), ED_SVC_BAD_HOST);
    free(a.type);
    a.type = NULL;
    assert_int_equal(ed_service_validate(&a), ED_SVC_MISSING_TYPE);
    assert_int_equal(ed_service_validate(NULL), ED_EINVAL);
    ed_service_clear(&a);
    ed_service_clear(&b);

    /* ed_services_free takes an array. */
    ed_service *v = calloc(2, sizeof *v);
    assert_int_equal(from_xml("<service type='stun' host='a.example'/>", &v[0]), ED_OK);
    assert_int_equal(from_xml("<service type='stun' host='b.example'/>", &v[1]), ED_OK);
    ed_services_free(v, 2);
    ed_services_free(NULL, 0);
    ed_form_free(NULL);
    assert_null(ed_form_copy(NULL));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_ncname),
        cmocka_unit_test(test_port),
        cmocka_unit_test(test_bool_action),
        cmocka_unit_test(test_check_host),
        cmocka_unit_test(test_host_is_local),
        cmocka_unit_test(test_from_elem_full),
        cmocka_unit_test(test_from_elem_errors),
        cmocka_unit_test(test_form),
        cmocka_unit_test(test_emit_order_and_forms),
        cmocka_unit_test(test_lang),
        cmocka_unit_test(test_identity_validate),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
