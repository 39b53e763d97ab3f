/* tests/unit/test_datetime.c — XEP-0082 DateTime (lib/datetime.c). */
#include <setjmp.h>
#include <stdbool.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <cmocka.h>

#include "extdisco/datetime.h"

struct valid_case {
    const char *in;
    int64_t unix_s;
    int32_t nanos;
};

static const struct valid_case valid[] = {
    {"1970-01-01T00:00:00Z", 0, 0},
    {"1969-12-31T23:59:59Z", -1, 0},
    {"1969-12-31T23:59:59.5Z", -1, 500000000},
    {"2026-11-22T10:00:00Z", 1795341600, 0},
    {"2026-11-22T12:00:00+02:00", 1795341600, 0},
    {"2026-11-22T05:30:00-04:30", 1795341600, 0},
    {"2026-11-22T10:00:00+00:00", 1795341600, 0},
    {"2026-11-22T10:00:00-00:00", 1795341600, 0},
    {"2026-11-23T00:00:00+14:00", 1795341600, 0},
    {"2026-11-21T20:00:00-14:00", 1795341600, 0},
    {"2026-11-22T10:59:00+00:59", 1795341600, 0},
    {"2024-02-29T12:00:00Z", 1709208000, 0},
    {"2000-02-29T00:00:00Z", 951782400, 0},
    {"1900-02-28T23:59:59Z", -2203891201LL, 0},
    {"2038-01-19T03:14:08Z", 2147483648LL, 0},
    {"0000-01-01T00:00:00Z", -62167219200LL, 0},
    {"0000-02-29T00:00:00Z", -62167219200LL + 59 * 86400, 0}, /* 0 is leap */
    {"9999-12-31T23:59:59Z", 253402300799LL, 0},
    {"9999-12-31T23:59:59.999999999Z", 253402300799LL, 999999999},
    /* leap second folded into the next minute */
    {"2016-12-31T23:59:60Z", 1483228800, 0},
    {"2016-12-31T23:59:60.25Z", 1483228800, 250000000},
    {"2017-01-01T00:59:60+01:00", 1483228800, 0},
    /* fractions of any length; digits past nine dropped */
    {"2026-11-22T10:00:00.1Z", 1795341600, 100000000},
    {"2026-11-22T10:00:00.000000001Z", 1795341600, 1},
    {"2026-11-22T10:00:00.123456789Z", 1795341600, 123456789},
    {"2026-11-22T10:00:00.1234567891234567890123Z", 1795341600, 123456789},
    {"2026-11-22T10:00:00.0000000009Z", 1795341600, 0},
    {"2026-11-22T12:00:00.750+02:00", 1795341600, 750000000},
    /* month ends */
    {"2023-01-31T00:00:00Z", 1675123200, 0},
    {"2023-04-30T00:00:00Z", 1682812800, 0},
    {"2023-12-31T23:59:59Z", 1704067199, 0},
};

static void test_valid(void **state)
{
    (void)state;
    for (size_t i = 0; i < sizeof valid / sizeof valid[0]; i++) {
        const struct valid_case *c = &valid[i];
        int64_t t = 42;
        int32_t ns = 42;
        ed_err e = ed_datetime_parse(c->in, strlen(c->in), &t, &ns);
        if (e != ED_OK) fail_msg("'%s': error %d", c->in, (int)e);
        if (t != c->unix_s || ns != c->nanos)
            fail_msg("'%s': got %lld.%09d want %lld.%09d", c->in, (long long)t,
                     (int)ns, (long long)c->unix_s, (int)c->nanos);
        /* nanos_out may be NULL */
        t = 42;
        assert_int_equal(ed_datetime_parse(c->in, strlen(c->in), &t, NULL), ED_OK);
        assert_int_equal(t, c->unix_s);
    }
}

static const char *const invalid[] = {
    "",
    "2024",
    "2024-01-01",
    "2024-01-01T00:00:00",         /* missing TZD */
    "2024-01-01T00:00:00.5",       /* missing TZD after fraction */
    "2024-01-01T00:00Z",           /* no seconds */
    "2023-02-29T00:00:00Z",        /* not a leap year */
    "1900-02-29T00:00:00Z",        /* century, not leap */
    "2024-02-30T00:00:00Z",
    "2024-04-31T00:00:00Z",
    "2024-06-31T00:00:00Z",
    "2024-09-31T00:00:00Z",
    "2024-11-31T00:00:00Z",
    "2024-01-32T00:00:00Z",
    "2024-01-00T00:00:00Z",
    "2024-00-01T00:00:00Z",
    "2024-13-01T00:00:00Z",
    "2024-01-01T24:00:00Z",
    "2024-01-01T23:60:00Z",
    "2024-01-01T23:59:61Z",
    "2024-01-01T99:00:00Z",
    "2024-01-01t00:00:00Z",        /* lower-case t */
    "2024-01-01T00:00:00z",        /* lower-case z */
    "2024-01-01 00:00:00Z",
    "2024-01-01T00:00:00ZZ",
    "2024-01-01T00:00:00Z ",
    " 2024-01-01T00:00:00Z",
    "2024-01-01T00:00:00Z\n",
    "+2024-01-01T00:00:00Z",
    "-2024-01-01T00:00:00Z",
    "-0001-01-01T00:00:00Z",
    "12024-01-01T00:00:00Z",
    "224-01-01T00:00:00Z",
    "2024-1-01T00:00:00Z",
    "2024-01-1T00:00:00Z",
    "2024-01-01T0:00:00Z",
    "2024-01-01T00:0:00Z",
    "2024-01-01T00:00:0Z",
    "2024/01/01T00:00:00Z",
    "2024-01-01T00.00.00Z",
    "2024-01-01T00:00:00.Z",       /* empty fraction */
    "2024-01-01T00:00:00,5Z",
    "2024-01-01T00:00:00.5.5Z",
    "2024-01-01T00:00:00+15:00",
    "2024-01-01T00:00:00+14:01",
    "2024-01-01T00:00:00-14:30",
    "2024-01-01T00:00:00+05:60",
    "2024-01-01T00:00:00+0500",
    "2024-01-01T00:00:00+05",
    "2024-01-01T00:00:00+5:00",
    "2024-01-01T00:00:00+05:00Z",
    "2024-01-01T00:00:00+05:00:00",
    "2024-01-01T00:00:00 +05:00",
    "2024-01-01T00:00:00UTC",
    "2024-01-01T00:00:00GMT",
    "2024-01-01T00:00:00+a5:00",
    "20240101T000000Z",
    "2024-01-01T00:00:00\xEF\xBC\xBA", /* fullwidth Z */
    "\xEF\xBC\x92" "024-01-01T00:00:00Z",
};

static void test_invalid(void **state)
{
    (void)state;
    for (size_t i = 0; i < sizeof invalid / sizeof invalid[0]; i++) {
        int64_t t = 42;
        int32_t ns = 42;
        ed_err e = ed_datetime_parse(invalid[i], strlen(invalid[i]), &t, &ns);
        if (e != ED_DATETIME_INVALID)
            fail_msg("'%s': got %d, want ED_DATETIME_INVALID", invalid[i], (int)e);
        assert_int_equal(t, 42); /* untouched on error */
        assert_int_equal(ns, 42);
    }
}

static void test_len_and_nul(void **state)
{
    (void)state;
    int64_t t;
    /* only len bytes are read: the valid prefix of a longer buffer */
    const char *s = "2026-11-22T10:00:00Zjunk";
    assert_int_equal(ed_datetime_parse(s, 20, &t, NULL), ED_OK);
    assert_int_equal(t, 1795341600);
    assert_int_equal(ed_datetime_parse(s, 21, &t, NULL), ED_DATETIME_INVALID);
    assert_int_equal(ed_datetime_parse(s, 19, &t, NULL), ED_DATETIME_INVALID);
    /* fraction cut by len */
    const char *f = "2026-11-22T10:00:00.5Z";
    assert_int_equal(ed_datetime_parse(f, 21, &t, NULL), ED_DATETIME_INVALID);
    /* embedded NUL */
    const char n[] = "2026-11-22T10:00:00\0Z";
    assert_int_equal(ed_datetime_parse(n, sizeof n - 1, &t, NULL), ED_DATETIME_INVALID);
    const char n2[] = "2026-11-22T10:00:00.5\0Z";
    assert_int_equal(ed_datetime_parse(n2, sizeof n2 - 1, &t, NULL), ED_DATETIME_INVALID);
    assert_int_equal(ed_datetime_parse(NULL, 0, &t, NULL), ED_EINVAL);
    assert_int_equal(ed_datetime_parse(s, 20, NULL, NULL), ED_EINVAL);
}

static void test_format(void **state)
{
    (void)state;
    char out[ED_DATETIME_BUFSZ];
    assert_int_equal(ed_datetime_format(0, out), 20);
    assert_string_equal(out, "1970-01-01T00:00:00Z");
    assert_int_equal(ed_datetime_format(-1, out), 20);
    assert_string_equal(out, "1969-12-31T23:59:59Z");
    assert_int_equal(ed_datetime_format(1795341600, out), 20);
    assert_string_equal(out, "2026-11-22T10:00:00Z");
    assert_int_equal(ed_datetime_format(1709208000, out), 20);
    assert_string_equal(out, "2024-02-29T12:00:00Z");
    assert_int_equal(ed_datetime_format(-62167219200LL, out), 20);
    assert_string_equal(out, "0000-01-01T00:00:00Z");
    assert_int_equal(ed_datetime_format(253402300799LL, out), 20);
    assert_string_equal(out, "9999-12-31T23:59:59Z");
    /* outside years 0000..9999 */
    assert_int_equal(ed_datetime_format(-62167219201LL, out), 0);
    assert_int_equal(ed_datetime_format(253402300800LL, out), 0);
    assert_int_equal(ed_datetime_format(INT64_MAX, out), 0);
    assert_int_equal(ed_datetime_format(INT64_MIN, out), 0);
}

/* format(parse(x)) == x for canonical UTC strings */
static void test_round_trip_strings(void **state)
{
    (void)state;
    static const char *const rt[] = {
        "1970-01-01T00:00:00Z", "2024-02-29T23:59:59Z", "2000-03-01T00:00:00Z",
        "2100-02-28T12:34:56Z", "1600-02-29T01:02:03Z", "0001-01-01T00:00:00Z",
        "0000-12-31T23:59:59Z", "9999-12-31T23:59:59Z", "1999-12-31T23:59:59Z",
        "2026-11-22T10:00:00Z",
    };
    char out[ED_DATETIME_BUFSZ];
    for (size_t i = 0; i < sizeof rt / sizeof rt[0]; i++) {
        int64_t t;
        assert_int_equal(ed_datetime_parse(rt[i], strlen(rt[i]), &t, NULL), ED_OK);
        assert_int_equal(ed_datetime_format(t, out), strlen(rt[i]));
        assert_string_equal(out, rt[i]);
    }
    /* non-canonical inputs format to UTC */
    int64_t t;
    const char *o = "2024-03-01T01:30:00.9+02:00";
    assert_int_equal(ed_datetime_parse(o, strlen(o), &t, NULL), ED_OK);
    ed_datetime_format(t, out);
    assert_string_equal(out, "2024-02-29T23:30:00Z");
}

/* Cross-check against the C library (gmtime_r/strftime) and round trip
 * parse(format(t)) == t over a spread of instants in 0000..9999. */
static void test_against_libc(void **state)
{
    (void)state;
    const int64_t lo = -62167219200LL, hi = 253402300799LL;
    uint64_t x = 0x2545F4914F6CDD1Dull;
    char out[ED_DATETIME_BUFSZ], ref[64];
    for (int i = 0; i < 200000; i++) {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        int64_t t = lo + (int64_t)(x % (uint64_t)(hi - lo + 1));
        if (i < 1000) t = lo + i * 86399LL;       /* near the low end */
        else if (i < 2000) t = hi - (i - 1000) * 86399LL;
        size_t n = ed_datetime_format(t, out);
        assert_int_equal(n, 20);
        time_t tt = (time_t)t;
        struct tm tm;
        assert_non_null(gmtime_r(&tt, &tm));
        snprintf(ref, sizeof ref, "%04d-%02d-%02dT%02d:%02d:%02dZ",
                 tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday, tm.tm_hour,
                 tm.tm_min, tm.tm_sec);
        if (strcmp(out, ref) != 0)
            fail_msg("t=%lld: got %s want %s", (long long)t, out, ref);
        int64_t back;
        int32_t ns;
        assert_int_equal(ed_datetime_parse(out, n, &back, &ns), ED_OK);
        assert_int_equal(back, t);
        assert_int_equal(ns, 0);
    }
}

/* Every day of 1999..2025 parses and matches timegm(). */
static void test_every_day(void **state)
{
    (void)state;
    char s[64];
    for (int y = 1999; y <= 2025; y++) {
        for (int m = 1; m <= 12; m++) {
            for (int d = 1; d <= 32; d++) {
                snprintf(s, sizeof s, "%04d-%02d-%02dT13:07:42Z", y, m, d);
                struct tm tm = {.tm_year = y - 1900, .tm_mon = m - 1,
                                .tm_mday = d, .tm_hour = 13, .tm_min = 7,
                                .tm_sec = 42};
                time_t ref = timegm(&tm);
                bool exists = tm.tm_mday == d; /* timegm normalised it? */
                int64_t t;
                ed_err e = ed_datetime_parse(s, strlen(s), &t, NULL);
                if (exists) {
                    if (e != ED_OK) fail_msg("%s rejected", s);
                    assert_int_equal(t, (int64_t)ref);
                } else if (e != ED_DATETIME_INVALID) {
                    fail_msg("%s accepted", s);
                }
            }
        }
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_valid),
        cmocka_unit_test(test_invalid),
        cmocka_unit_test(test_len_and_nul),
        cmocka_unit_test(test_format),
        cmocka_unit_test(test_round_trip_strings),
        cmocka_unit_test(test_against_libc),
        cmocka_unit_test(test_every_day),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
