/* bench/test_lg_scan.c — the load generator's reply scanner (loadgen_scan.c):
 * what it picks out of real servers' replies, where it says "need more"
 * and what it leaves to the real parser.  A wrong answer here would make
 * the benchmark count bad replies as good or lose replies. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "loadgen.h"

static lg_scan_res scan(const char *s, lg_scan_info *r, size_t *used)
{
    return lg_scan_stanza(s, strlen(s), r, used);
}

static bool is(const char *p, size_t n, const char *lit)
{
    return p && strlen(lit) == n && memcmp(p, lit, n) == 0;
}

/* extdiscod's services reply, and two stanzas back to back */
static void test_services_reply(void **st)
{
    (void)st;
    const char *one =
        "<iq type='result' id='q3-17' to='bench3@localhost/r3' from='localhost'>"
        "<services xmlns='urn:xmpp:extdisco:2'>"
        "<service type='stun' host='127.0.0.1' port='3478' transport='udp'/>"
        "<service type='turn' host='127.0.0.1' port='3478' transport='udp' "
        "username='1700000000:bench3' password='abc=' expires='2023-11-14T22:13:20Z' "
        "restricted='1'/>"
        "<service type='turn' host='127.0.0.1' port='3478' transport='tcp'></service>"
        "</services></iq>";
    char two[2048];
    lg_scan_info r;
    size_t used;
    assert_int_equal(scan(one, &r, &used), LG_SCAN_IQ_REPLY);
    assert_int_equal(used, strlen(one));
    assert_true(r.result);
    assert_true(is(r.id, r.id_len, "q3-17"));
    assert_true(is(r.child, r.child_len, "services"));
    assert_true(is(r.child_ns, r.child_ns_len, "urn:xmpp:extdisco:2"));
    assert_int_equal(r.services, 3);
    assert_int_equal(r.services_pw, 1);
    assert_int_equal(r.ips, 0);

    snprintf(two, sizeof two, "%s<iq type='result' id='q3-18'/>", one);
    assert_int_equal(scan(two, &r, &used), LG_SCAN_IQ_REPLY);
    assert_int_equal(used, strlen(one));
    assert_int_equal(scan(two + used, &r, &used), LG_SCAN_IQ_REPLY);
    assert_true(is(r.id, r.id_len, "q3-18"));
    assert_null(r.child);
}

/* Prosody writes double quotes in places, ejabberd puts xmlns first and
 * whitespace between attributes; an error reply; a SIC reply */
static void test_other_servers(void **st)
{
    (void)st;
    lg_scan_info r;
    size_t used;
    assert_int_equal(scan("<iq id=\"q0-1\"\n type=\"error\" to='a@b/c'><error type=\"cancel\">"
                          "<service-unavailable xmlns=\"urn:ietf:params:xml:ns:xmpp-stanzas\"/>"
                          "</error></iq>",
                          &r, &used),
                     LG_SCAN_IQ_REPLY);
    assert_false(r.result);
    assert_true(is(r.id, r.id_len, "q0-1"));
    assert_true(is(r.child, r.child_len, "error"));
    assert_int_equal(r.services, 0);

    assert_int_equal(scan("<iq xml:lang='en' to='a@b/c' from='b' type='result' id='q1-2'>"
                          "<address xmlns='urn:xmpp:sic:1'><ip>127.0.0.1</ip><port>4</port>"
                          "</address></iq>",
                          &r, &used),
                     LG_SCAN_IQ_REPLY);
    assert_true(is(r.child, r.child_len, "address"));
    assert_true(is(r.child_ns, r.child_ns_len, "urn:xmpp:sic:1"));
    assert_int_equal(r.ips, 1);

    /* an attribute value holding '>' and '/' does not end the tag early */
    assert_int_equal(scan("<iq type='result' id='q1-3'><x xmlns='u' a='1>2/'/></iq>", &r, &used),
                     LG_SCAN_IQ_REPLY);
    assert_int_equal(used, strlen("<iq type='result' id='q1-3'><x xmlns='u' a='1>2/'/></iq>"));
    assert_true(is(r.child_ns, r.child_ns_len, "u"));
}

/* every proper prefix of a reply is "more", never a wrong answer */
static void test_incomplete(void **st)
{
    (void)st;
    const char *s = "<iq type='result' id='q3-17'><services xmlns='urn:xmpp:extdisco:2'>"
                    "<service type='stun' host='h' port='1'/></services></iq>";
    lg_scan_info r;
    size_t used;
    for (size_t n = 1; n < strlen(s); n++)
        assert_int_equal(lg_scan_stanza(s, n, &r, &used), LG_SCAN_MORE);
    assert_int_equal(lg_scan_stanza(s, strlen(s), &r, &used), LG_SCAN_IQ_REPLY);
}

/* what the real parser must read */
static void test_declined(void **st)
{
    (void)st;
    lg_scan_info r;
    size_t used;
    const char *other[] = {
        "<iq type='get' id='s1'><ping xmlns='urn:xmpp:ping'/></iq>", /* a request */
        "<message to='a@b'><body>hi</body></message>",
        "<presence/>",
        "<stream:error><conflict xmlns='urn:ietf:params:xml:ns:xmpp-streams'/></stream:error>",
        "</stream:stream>",
        "<iq type='result' id='q1-1'><!-- c --></iq>",
        "<iq type='result' id='q1-1'><x xmlns:p='u'><p:y/></x></iq>",
        "<iq type='result' id='q1-1'><![CDATA[<a>]]></iq>",
        "<iq type=result id='q1-1'/>",
        "<?xml version='1.0'?>",
        "text",
    };
    for (size_t i = 0; i < sizeof other / sizeof other[0]; i++)
        assert_int_equal(scan(other[i], &r, &used), LG_SCAN_OTHER);
}

/* nesting past the limit goes to the real parser (which has its own) */
static void test_depth(void **st)
{
    (void)st;
    char s[4096];
    size_t n = (size_t)snprintf(s, sizeof s, "<iq type='result' id='q1-1'>");
    lg_scan_info r;
    size_t used;
    for (int i = 0; i < LG_SCAN_MAX_DEPTH + 1; i++)
        n += (size_t)snprintf(s + n, sizeof s - n, "<a>");
    assert_int_equal(lg_scan_stanza(s, n, &r, &used), LG_SCAN_OTHER);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_services_reply), cmocka_unit_test(test_other_servers),
        cmocka_unit_test(test_incomplete),     cmocka_unit_test(test_declined),
        cmocka_unit_test(test_depth),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
