/* tests/unit/test_stanza.c — IQ results, stanza errors, IQ payloads. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "extdisco/stanza.h"

#define NSS "urn:ietf:params:xml:ns:xmpp-stanzas"

static ed_elem *parse(const char *s)
{
    ed_elem *e = NULL;
    assert_int_equal(ed_xml_parse(s, strlen(s), NULL, &e), ED_OK);
    return e;
}

static void assert_xml(const ed_elem *e, const char *ctx, const char *want)
{
    char *s = ed_xml_to_string(e, ctx);
    assert_non_null(s);
    if (strcmp(s, want))
        print_error("got:  %s\nwant: %s\n", s, want);
    assert_string_equal(s, want);
    free(s);
}

static void test_iq_result(void **state)
{
    (void)state;
    ed_elem *req = parse("<iq xmlns='jabber:client' type='get' id='q1' from='romeo@example.net/orchard'"
                         " to='example.net'><services xmlns='urn:xmpp:extdisco:2'/></iq>");
    ed_elem *r = ed_iq_result(req);
    assert_non_null(r);
    assert_string_equal(r->ns, ED_NS_CLIENT);
    assert_xml(r, ED_NS_CLIENT,
               "<iq from='example.net' id='q1' to='romeo@example.net/orchard' type='result'/>");
    assert_xml(r, NULL,
               "<iq xmlns='jabber:client' from='example.net' id='q1' to='romeo@example.net/orchard' type='result'/>");
    ed_elem_free(r);
    ed_elem_free(req);

    /* no to/from: omitted; a component stream namespace is kept */
    req = parse("<iq xmlns='jabber:component:accept' type='get' id='x&apos;1'><q xmlns='urn:x'/></iq>");
    r = ed_iq_result(req);
    assert_xml(r, ED_NS_COMPONENT, "<iq id='x&apos;1' type='result'/>");
    ed_elem_free(r);
    ed_elem_free(req);
    assert_null(ed_iq_result(NULL));
}

static void test_stanza_error(void **state)
{
    (void)state;
    ed_elem *req = parse("<iq xmlns='jabber:client' type='get' id='q1' from='a@b/c' to='b'>"
                         "<credentials xmlns='urn:xmpp:extdisco:2'><service host='h' type='turn'/></credentials></iq>");
    ed_elem *r = ed_stanza_error(req, "item-not-found", NULL, "no such <service>");
    assert_non_null(r);
    assert_xml(r, ED_NS_CLIENT,
               "<iq from='b' id='q1' to='a@b/c' type='error'><error type='cancel'>"
               "<item-not-found xmlns='" NSS "'/>"
               "<text xmlns='" NSS "' xml:lang='en'>no such &lt;service&gt;</text>"
               "</error></iq>");
    ed_elem *err = ed_elem_child(r, "error", ED_NS_CLIENT);
    assert_non_null(err);
    assert_non_null(ed_elem_child(err, "item-not-found", NSS));
    assert_string_equal(ed_elem_text(ed_elem_child(err, "text", NSS)), "no such <service>");
    ed_elem_free(r);

    /* explicit type, no text */
    r = ed_stanza_error(req, "bad-request", "cancel", NULL);
    assert_xml(r, ED_NS_CLIENT,
               "<iq from='b' id='q1' to='a@b/c' type='error'><error type='cancel'>"
               "<bad-request xmlns='" NSS "'/></error></iq>");
    ed_elem_free(r);
    r = ed_stanza_error(req, "forbidden", NULL, NULL);
    assert_xml(r, ED_NS_CLIENT,
               "<iq from='b' id='q1' to='a@b/c' type='error'><error type='auth'>"
               "<forbidden xmlns='" NSS "'/></error></iq>");
    ed_elem_free(r);
    ed_elem_free(req);

    /* other stanza kinds keep their name; no id, no from */
    req = parse("<message xmlns='jabber:server' to='x@y' type='chat'><body>hi</body></message>");
    r = ed_stanza_error(req, "service-unavailable", NULL, NULL);
    assert_xml(r, ED_NS_SERVER,
               "<message from='x@y' type='error'><error type='cancel'>"
               "<service-unavailable xmlns='" NSS "'/></error></message>");
    ed_elem_free(r);
    ed_elem_free(req);
}

static void test_default_types(void **state)
{
    (void)state;
    static const char *table[][2] = {
        { "bad-request", "modify" },
        { "conflict", "cancel" },
        { "feature-not-implemented", "cancel" },
        { "forbidden", "auth" },
        { "gone", "cancel" },
        { "internal-server-error", "cancel" },
        { "item-not-found", "cancel" },
        { "jid-malformed", "modify" },
        { "not-acceptable", "modify" },
        { "not-allowed", "cancel" },
        { "not-authorized", "auth" },
        { "policy-violation", "modify" },
        { "recipient-unavailable", "wait" },
        { "redirect", "modify" },
        { "registration-required", "auth" },
        { "remote-server-not-found", "cancel" },
        { "remote-server-timeout", "wait" },
        { "resource-constraint", "wait" },
        { "service-unavailable", "cancel" },
        { "subscription-required", "auth" },
        { "undefined-condition", "cancel" },
        { "unexpected-request", "wait" },
        { "no-such-condition", "cancel" },
    };
    for (size_t i = 0; i < sizeof table / sizeof table[0]; i++)
        assert_string_equal(ed_stanza_error_default_type(table[i][0]), table[i][1]);
    assert_string_equal(ed_stanza_error_default_type(NULL), "cancel");
}

static void test_iq_payload(void **state)
{
    (void)state;
    ed_elem *iq = parse("<iq type='get'><a/></iq>");
    ed_elem *p = ed_iq_payload(iq);
    assert_non_null(p);
    assert_string_equal(p->name, "a");
    ed_elem_free(iq);
    iq = parse("<iq type='get'>\n  <a/>\n</iq>"); /* whitespace text is not an element */
    p = ed_iq_payload(iq);
    assert_non_null(p);
    assert_string_equal(p->name, "a");
    ed_elem_free(iq);
    iq = parse("<iq type='get'><a/><b/></iq>");
    assert_null(ed_iq_payload(iq));
    ed_elem_free(iq);
    iq = parse("<iq type='get'>text</iq>");
    assert_null(ed_iq_payload(iq));
    ed_elem_free(iq);
    assert_null(ed_iq_payload(NULL));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_iq_result),
        cmocka_unit_test(test_stanza_error),
        cmocka_unit_test(test_default_types),
        cmocka_unit_test(test_iq_payload),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
