/* Unit tests of daemon/c2s/proxy_proto.c: PROXY protocol v1 and v2. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <string.h>

#include "c2s/proxy_proto.h"

static edd_proxy_status parse(const char *s, size_t n, edd_proxy_info *i, size_t *used)
{
    const char *why = NULL;
    edd_proxy_status st = edd_proxy_parse((const unsigned char *)s, n, i, used, &why);
    if (st == EDD_PROXY_BAD)
        assert_non_null(why);
    return st;
}

static void v1_tcp4(void **state)
{
    const char h[] = "PROXY TCP4 198.51.100.22 203.0.113.7 35646 5222\r\n<?xml";
    edd_proxy_info i;
    size_t used;
    assert_int_equal(parse(h, sizeof h - 1, &i, &used), EDD_PROXY_DONE);
    assert_int_equal(used, strlen("PROXY TCP4 198.51.100.22 203.0.113.7 35646 5222\r\n"));
    assert_int_equal(i.version, 1);
    assert_false(i.local);
    struct sockaddr_in *s = (struct sockaddr_in *)&i.src;
    assert_int_equal(s->sin_family, AF_INET);
    assert_int_equal(ntohs(s->sin_port), 35646);
    char buf[64];
    inet_ntop(AF_INET, &s->sin_addr, buf, sizeof buf);
    assert_string_equal(buf, "198.51.100.22");
    assert_int_equal(i.srclen, sizeof(struct sockaddr_in));
    /* every prefix waits for more */
    for (size_t n = 0; n < used; n++)
        assert_int_equal(parse(h, n, &i, &used), EDD_PROXY_NEED_MORE);
}

static void v1_tcp6_unknown(void **state)
{
    edd_proxy_info i;
    size_t used;
    const char h6[] = "PROXY TCP6 2001:db8::1 ::1 1 65535\r\n";
    assert_int_equal(parse(h6, sizeof h6 - 1, &i, &used), EDD_PROXY_DONE);
    struct sockaddr_in6 *s = (struct sockaddr_in6 *)&i.src;
    assert_int_equal(s->sin6_family, AF_INET6);
    assert_int_equal(ntohs(s->sin6_port), 1);
    assert_int_equal(ntohs(((struct sockaddr_in6 *)&i.dst)->sin6_port), 65535);
    const char hu[] = "PROXY UNKNOWN ffff::1 ::1 1 2\r\n";
    assert_int_equal(parse(hu, sizeof hu - 1, &i, &used), EDD_PROXY_DONE);
    assert_true(i.local);
    assert_int_equal(used, sizeof hu - 1);
}

static void v1_bad(void **state)
{
    static const char *const bad[] = {
        "PROXY TCP4 1.2.3.4 5.6.7.8 1 2 3\r\n",     /* too many fields */
        "PROXY TCP4 1.2.3.4 5.6.7.8 1\r\n",         /* too few */
        "PROXY TCP4 1.2.3.4 5.6.7.8 01 2\r\n",      /* leading zero */
        "PROXY TCP4 1.2.3.4 5.6.7.8 65536 2\r\n",   /* port range */
        "PROXY TCP4 ::1 5.6.7.8 1 2\r\n",           /* family mismatch */
        "PROXY TCP4 1.2.3.4  5.6.7.8 1 2\r\n",      /* double space */
        "PROXY TCP5 1.2.3.4 5.6.7.8 1 2\r\n",       /* protocol */
        "PROXY TCP4 1.2.3.4 5.6.7.8 1 2\n",         /* bare LF */
        "PROXY TCP4 999.2.3.4 5.6.7.8 1 2\r\n",     /* address */
        "PROXY TCP4 1.2.3.4 5.6.7.8 1 2 \r\n",      /* trailing space */
        "PROXY\tTCP4 1.2.3.4 5.6.7.8 1 2\r\n",      /* tab */
        "<?xml version='1.0'?>",                    /* not a header at all */
        "PROXX",
        "proxy TCP4 1.2.3.4 5.6.7.8 1 2\r\n",
    };
    edd_proxy_info i;
    size_t used;
    for (size_t k = 0; k < sizeof bad / sizeof *bad; k++)
        assert_int_equal(parse(bad[k], strlen(bad[k]), &i, &used), EDD_PROXY_BAD);
    /* longer than 107 bytes without CRLF */
    char big[200];
    memset(big, 'a', sizeof big);
    memcpy(big, "PROXY TCP4 ", 11);
    assert_int_equal(parse(big, sizeof big, &i, &used), EDD_PROXY_BAD);
    /* the limit is 107 bytes including CRLF: 107 parses, 108 does not (found
     * by fuzz_proxy: the 108-byte line parsed whole while its prefix failed) */
    for (size_t n = 107; n <= 108; n++) {
        memset(big, 'x', sizeof big);
        memcpy(big, "PROXY UNKNOWN ", 14);
        memcpy(big + n - 2, "\r\n", 2);
        edd_proxy_status want = n == 107 ? EDD_PROXY_DONE : EDD_PROXY_BAD;
        assert_int_equal(parse(big, n, &i, &used), want);
        assert_int_equal(parse(big, n - 1, &i, &used),
                         n == 107 ? EDD_PROXY_NEED_MORE : EDD_PROXY_BAD);
    }
}

static const unsigned char sig[12] = {0x0D, 0x0A, 0x0D, 0x0A, 0x00, 0x0D,
                                      0x0A, 0x51, 0x55, 0x49, 0x54, 0x0A};

static void v2(void **state)
{
    unsigned char h[16 + 36 + 5];
    memcpy(h, sig, 12);
    h[12] = 0x21; /* v2 PROXY */
    h[13] = 0x21; /* TCP6 */
    h[14] = 0;
    h[15] = 36 + 5; /* with a 5-byte TLV */
    memset(h + 16, 0, 36 + 5);
    inet_pton(AF_INET6, "2001:db8::9", h + 16);
    inet_pton(AF_INET6, "::1", h + 32);
    h[48] = 0x9c; h[49] = 0x40; /* 40000 */
    h[50] = 0x14; h[51] = 0x66; /* 5222 */
    edd_proxy_info i;
    size_t used;
    assert_int_equal(parse((char *)h, sizeof h, &i, &used), EDD_PROXY_DONE);
    assert_int_equal(used, sizeof h);
    assert_int_equal(i.version, 2);
    assert_false(i.local);
    struct sockaddr_in6 *s = (struct sockaddr_in6 *)&i.src;
    assert_int_equal(ntohs(s->sin6_port), 40000);
    char buf[64];
    inet_ntop(AF_INET6, &s->sin6_addr, buf, sizeof buf);
    assert_string_equal(buf, "2001:db8::9");
    for (size_t n = 0; n < used; n++)
        assert_int_equal(parse((char *)h, n, &i, &used), EDD_PROXY_NEED_MORE);

    /* LOCAL: keep the socket's address */
    h[12] = 0x20;
    assert_int_equal(parse((char *)h, sizeof h, &i, &used), EDD_PROXY_DONE);
    assert_true(i.local);
    /* UDP and UNIX: valid, but local */
    h[12] = 0x21;
    h[13] = 0x22;
    assert_int_equal(parse((char *)h, sizeof h, &i, &used), EDD_PROXY_DONE);
    assert_true(i.local);
    /* bad version, command, family */
    h[13] = 0x21;
    h[12] = 0x11;
    assert_int_equal(parse((char *)h, sizeof h, &i, &used), EDD_PROXY_BAD);
    h[12] = 0x22;
    assert_int_equal(parse((char *)h, sizeof h, &i, &used), EDD_PROXY_BAD);
    h[12] = 0x21;
    h[13] = 0x51;
    assert_int_equal(parse((char *)h, sizeof h, &i, &used), EDD_PROXY_BAD);
    /* IPv4 family with a too short block */
    h[13] = 0x11;
    h[15] = 8;
    assert_int_equal(parse((char *)h, 24, &i, &used), EDD_PROXY_BAD);
    /* length over the limit */
    h[14] = 0xff;
    h[15] = 0xff;
    assert_int_equal(parse((char *)h, sizeof h, &i, &used), EDD_PROXY_BAD);
    /* a broken signature is refused at once */
    h[5] = 'X';
    assert_int_equal(parse((char *)h, 8, &i, &used), EDD_PROXY_BAD);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(v1_tcp4),
        cmocka_unit_test(v1_tcp6_unknown),
        cmocka_unit_test(v1_bad),
        cmocka_unit_test(v2),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
