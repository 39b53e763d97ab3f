/* Unit tests of daemon/core/netscope.c: CIDR rules, first-match networks by
 * address and domain, and what edd_registry_select offers. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <string.h>

#include "core/netscope.h"

static struct sockaddr_storage ss;

static const struct sockaddr *addr(const char *ip, socklen_t *len)
{
    memset(&ss, 0, sizeof ss);
    if (strchr(ip, ':')) {
        struct sockaddr_in6 *s6 = (struct sockaddr_in6 *)&ss;
        s6->sin6_family = AF_INET6;
        assert_int_equal(inet_pton(AF_INET6, ip, &s6->sin6_addr), 1);
        *len = sizeof *s6;
    } else {
        struct sockaddr_in *s4 = (struct sockaddr_in *)&ss;
        s4->sin_family = AF_INET;
        assert_int_equal(inet_pton(AF_INET, ip, &s4->sin_addr), 1);
        *len = sizeof *s4;
    }
    return (const struct sockaddr *)&ss;
}

static bool in(const char *cidr, const char *ip)
{
    edd_cidr c;
    assert_true(edd_cidr_parse(cidr, &c));
    socklen_t len;
    const struct sockaddr *sa = addr(ip, &len);
    return edd_cidr_match(&c, sa, len);
}

static void cidr(void **state)
{
    edd_cidr c;
    assert_true(in("10.0.0.0/8", "10.200.1.1"));
    assert_false(in("10.0.0.0/8", "11.0.0.1"));
    assert_true(in("127.0.0.2", "127.0.0.2"));
    assert_false(in("127.0.0.2/32", "127.0.0.3"));
    assert_true(in("127.0.0.2/31", "127.0.0.3"));
    assert_true(in("0.0.0.0/0", "203.0.113.9"));
    assert_true(in("192.168.0.0/17", "192.168.127.255"));
    assert_false(in("192.168.0.0/17", "192.168.128.0"));
    assert_true(in("2001:db8::/32", "2001:db8:1::5"));
    assert_false(in("2001:db8::/32", "2001:db9::5"));
    /* an IPv4-mapped IPv6 peer (dual-stack listener) counts as IPv4 */
    assert_true(in("10.0.0.0/8", "::ffff:10.1.2.3"));
    assert_false(in("2001:db8::/32", "10.0.0.1"));
    assert_false(edd_cidr_parse("10.0.0.1/8", &c)); /* host bits set */
    assert_false(edd_cidr_parse("10.0.0.0/33", &c));
    assert_false(edd_cidr_parse("10.0.0.0/", &c));
    assert_false(edd_cidr_parse("10.0.0.0/08", &c));
    assert_false(edd_cidr_parse("example.org/8", &c));
    assert_false(edd_cidr_parse("", &c));
    assert_false(edd_cidr_parse("::/129", &c));
    assert_true(edd_cidr_parse("::/0", &c));
}

static void classify(void **state)
{
    char *a_int[] = {"127.0.0.2/32", "10.0.0.0/8"}, *d_corp[] = {"corp.example"},
         *a_all[] = {"0.0.0.0/0", "::/0"};
    edd_cfg_network nets[] = {
        { .name = "internal", .addresses = a_int, .naddresses = 2 },
        { .name = "corp", .domains = d_corp, .ndomains = 1 },
        { .name = "public", .addresses = a_all, .naddresses = 2 },
    };
    edd_config cfg;
    memset(&cfg, 0, sizeof cfg);
    cfg.networks = nets;
    cfg.nnetworks = 3;
    edd_netscope *n = edd_netscope_build(&cfg);
    assert_non_null(n);
    ed_jid *alice = NULL, *bob = NULL;
    assert_int_equal(ed_jid_parse("alice@localhost/r", 17, &alice), ED_OK);
    assert_int_equal(ed_jid_parse("bob@corp.example/r", 18, &bob), ED_OK);
    assert_non_null(alice);
    assert_non_null(bob);
    socklen_t len;
    const struct sockaddr *sa = addr("127.0.0.2", &len);
    assert_int_equal(edd_netscope_classify(n, alice, sa, len), 0);
    sa = addr("127.0.0.3", &len);
    assert_int_equal(edd_netscope_classify(n, alice, sa, len), 2);
    /* first match wins: bob from an internal address is internal */
    sa = addr("10.1.1.1", &len);
    assert_int_equal(edd_netscope_classify(n, bob, sa, len), 0);
    sa = addr("127.0.0.3", &len);
    assert_int_equal(edd_netscope_classify(n, bob, sa, len), 1);
    /* no address (component mode): only domain rules can match */
    assert_int_equal(edd_netscope_classify(n, bob, NULL, 0), 1);
    assert_int_equal(edd_netscope_classify(n, alice, NULL, 0), -1);
    assert_true(edd_netscope_allows(0, -1));
    assert_true(edd_netscope_allows(0x2, 1));
    assert_false(edd_netscope_allows(0x2, 0));
    assert_false(edd_netscope_allows(0x2, -1));
    /* the health checks' "clients of no network" bit (fail open there) */
    assert_true(edd_netscope_allows(EDD_NETSCOPE_NONE, -1));
    assert_false(edd_netscope_allows(EDD_NETSCOPE_NONE, 0));
    assert_false(edd_netscope_allows(EDD_NETSCOPE_NONE, 62));
    assert_true(edd_netscope_allows(EDD_NETSCOPE_NONE | 0x2, 1));
    assert_true(edd_netscope_allows(UINT64_C(1) << 62, 62));
    assert_false(edd_netscope_allows(UINT64_C(1) << 62, -1));
    ed_jid_free(alice);
    ed_jid_free(bob);
    edd_netscope_free(n);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(cidr),
        cmocka_unit_test(classify),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
