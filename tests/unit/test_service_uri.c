/* Unit tests of lib/service_uri.c: RFC 7064 / RFC 7065 URIs as XEP-0215
 * service records (ed_service_from_uri). */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include <string.h>

#include "extdisco/service.h"

static void ok(const char *uri, const char *type, const char *host, int port,
               const char *transport)
{
    ed_service s;
    ed_err e = ed_service_from_uri(uri, &s);
    if (e != ED_OK)
        fail_msg("%s: %s", uri, ed_strerror(e));
    assert_string_equal(s.type, type);
    assert_string_equal(s.host, host);
    assert_int_equal(s.port, port);
    assert_string_equal(s.transport, transport);
    assert_null(s.username);
    assert_null(s.password);
    assert_int_equal(s.restricted, -1);
    assert_int_equal(s.expires, 0);
    assert_int_equal(ed_service_validate(&s), ED_OK);
    ed_service_clear(&s);
}

static void bad(const char *uri, ed_err want)
{
    ed_service s;
    ed_err e = ed_service_from_uri(uri, &s);
    if (e != want)
        fail_msg("%s: %s, wanted %s", uri, ed_strerror(e), ed_strerror(want));
    ed_service_clear(&s);
}

static void good_uris(void **state)
{
    /* defaults: RFC 7064 §3.2 / RFC 7065 §3.2 */
    ok("stun:stun.example.org", "stun", "stun.example.org", 3478, "udp");
    ok("stuns:stun.example.org", "stuns", "stun.example.org", 5349, "tcp");
    ok("turn:turn.example.org", "turn", "turn.example.org", 3478, "udp");
    ok("turns:turn.example.org", "turns", "turn.example.org", 5349, "tcp");
    /* what Cloudflare and Twilio write */
    ok("turn:turn.cloudflare.com:53?transport=udp", "turn", "turn.cloudflare.com", 53, "udp");
    ok("turn:turn.cloudflare.com:3478?transport=tcp", "turn", "turn.cloudflare.com", 3478, "tcp");
    ok("turns:turn.cloudflare.com:443?transport=tcp", "turns", "turn.cloudflare.com", 443, "tcp");
    ok("turn:global.turn.twilio.com:443?transport=tcp", "turn", "global.turn.twilio.com", 443,
       "tcp");
    ok("stun:global.stun.twilio.com:3478", "stun", "global.stun.twilio.com", 3478, "udp");
    /* case, IP literals, transport on stun: */
    ok("TURN:Turn.Example.org:3479?Transport=TCP", "turn", "Turn.Example.org", 3479, "tcp");
    ok("turn:192.0.2.1:3478", "turn", "192.0.2.1", 3478, "udp");
    ok("turn:[2001:db8::1]:3478?transport=tcp", "turn", "2001:db8::1", 3478, "tcp");
    ok("stun:[2001:db8::1]", "stun", "2001:db8::1", 3478, "udp");
    ok("stun:stun.example.org:3478?transport=udp", "stun", "stun.example.org", 3478, "udp");
    ok("turn:t.example:65535", "turn", "t.example", 65535, "udp");
}

static void bad_uris(void **state)
{
    bad("http://turn.example.org", ED_SVC_BAD_URI);
    bad("turn", ED_SVC_BAD_URI);
    bad("turnx:turn.example.org", ED_SVC_BAD_URI);
    bad("turn://turn.example.org", ED_SVC_BAD_URI);       /* a path */
    bad("turn:user@turn.example.org", ED_SVC_BAD_URI);     /* user info */
    bad("turn:turn.example.org:0", ED_SVC_BAD_URI);
    bad("turn:turn.example.org:65536", ED_SVC_BAD_URI);
    bad("turn:turn.example.org:", ED_SVC_BAD_URI);
    bad("turn:turn.example.org:34a", ED_SVC_BAD_URI);
    bad("turn:turn.example.org:123456", ED_SVC_BAD_URI);
    bad("turn:turn.example.org?transport=sctp", ED_SVC_BAD_URI);
    bad("turn:turn.example.org?transport=udp&x=1", ED_SVC_BAD_URI);
    bad("turn:turn.example.org?foo=bar", ED_SVC_BAD_URI);
    bad("turn:turn.example.org#frag", ED_SVC_BAD_URI);
    bad("turns:turn.example.org?transport=udp", ED_SVC_BAD_URI); /* DTLS */
    bad("stuns:turn.example.org:5349?transport=udp", ED_SVC_BAD_URI);
    bad("turn:[2001:db8::1", ED_SVC_BAD_URI);
    bad("turn:[2001:db8::1]x", ED_SVC_BAD_URI);
    bad("turn:2001:db8::1", ED_SVC_BAD_URI);  /* IPv6 needs brackets */
    bad("turn:", ED_SVC_BAD_HOST);
    bad("turn::3478", ED_SVC_BAD_HOST);
    bad("turn:[192.0.2.1]", ED_SVC_BAD_HOST);
    bad("turn:bad_host!.example", ED_SVC_BAD_HOST);
    bad("turn:[]:3478", ED_SVC_BAD_HOST);
    char longer[1100];
    memset(longer, 'a', sizeof longer - 1);
    memcpy(longer, "turn:", 5);
    longer[sizeof longer - 1] = '\0';
    bad(longer, ED_SVC_BAD_URI);
    ed_service s;
    assert_int_equal(ed_service_from_uri(NULL, &s), ED_EINVAL);
    assert_int_equal(ed_service_from_uri("turn:x", NULL), ED_EINVAL);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(good_uris),
        cmocka_unit_test(bad_uris),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
