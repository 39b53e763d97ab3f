/* tests/unit/test_log.c — daemon/core/log.c (issue 10, items 5 and 6):
 * the escaper (one message is one line, valid UTF-8 stays readable, the cap
 * never splits a character or an escape and says how much was cut), the
 * per-site limiter (burst, then 1 line/s, with the count of what was
 * suppressed) on an injected clock, and the whole path through the stderr
 * sink (stderr redirected to a temporary file). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "core/log.h"

static char out[EDD_LOG_LINE_MAX + 1];

static const char *esc(const char *in, size_t len)
{
    edd_log_escape(out, sizeof out, in, len, len);
    return out;
}
#define ESC(lit) esc(lit, sizeof lit - 1)

static void test_escape_plain(void **state)
{
    (void)state;
    assert_string_equal(ESC("c2s 127.0.0.1:5222: bound alice@localhost/r"),
                        "c2s 127.0.0.1:5222: bound alice@localhost/r");
    assert_string_equal(ESC(""), "");
    /* valid UTF-8 stays as it is */
    assert_string_equal(ESC("h\xc3\xa9llo \xe2\x82\xac \xf0\x9f\x98\x80 \xe4\xb8\xad"),
                        "h\xc3\xa9llo \xe2\x82\xac \xf0\x9f\x98\x80 \xe4\xb8\xad");
}

static void test_escape_controls(void **state)
{
    (void)state;
    assert_string_equal(ESC("a\nb\rc\td\\e"), "a\\nb\\rc\\td\\\\e");
    assert_string_equal(ESC("\x1b[31mred\x7f"), "\\x1b[31mred\\x7f");
    assert_string_equal(ESC("nul\0after\x01\x1f"), "nul\\x00after\\x01\\x1f");
    /* C1 controls, line/paragraph separators, bidi overrides and isolates */
    assert_string_equal(ESC("\xc2\x85\xc2\x9b\xe2\x80\xa8\xe2\x80\xa9\xe2\x80\xae\xe2\x81\xa6"),
                        "\\u0085\\u009b\\u2028\\u2029\\u202e\\u2066");
    /* U+00A0 and U+2030 (neighbours) stay */
    assert_string_equal(ESC("\xc2\xa0\xe2\x80\xb0"), "\xc2\xa0\xe2\x80\xb0");
}

static void test_escape_invalid_utf8(void **state)
{
    (void)state;
    assert_string_equal(ESC("\x80"), "\\x80");                      /* stray */
    assert_string_equal(ESC("\xc0\xaf"), "\\xc0\\xaf");             /* overlong */
    assert_string_equal(ESC("\xe0\x80\xaf"), "\\xe0\\x80\\xaf");    /* overlong */
    assert_string_equal(ESC("\xed\xa0\x80"), "\\xed\\xa0\\x80");    /* surrogate */
    assert_string_equal(ESC("\xf4\x90\x80\x80"), "\\xf4\\x90\\x80\\x80"); /* > 10FFFF */
    assert_string_equal(ESC("\xff\xfe"), "\\xff\\xfe");
    assert_string_equal(ESC("x\xe2\x82"), "x\\xe2\\x82");            /* truncated */
    assert_string_equal(ESC("\xe2\x82\n"), "\\xe2\\x82\\n");
}

/* A forged second line ends up inside the first. */
static void test_escape_forged_line(void **state)
{
    (void)state;
    const char *in = "stream error: bye\n2026-12-02T05:00:00Z extdiscod[error] forged\r\n";
    edd_log_escape(out, sizeof out, in, strlen(in), strlen(in));
    assert_null(strchr(out, '\n'));
    assert_null(strchr(out, '\r'));
    assert_string_equal(out, "stream error: bye\\n2026-12-02T05:00:00Z extdiscod[error] "
                             "forged\\r\\n");
}

/* The shown part and N of "…[N bytes cut]" add up to the input. */
static size_t cut_count(const char *s, size_t *shown_bytes)
{
    const char *m = strstr(s, "\xe2\x80\xa6[");
    assert_non_null(m);
    *shown_bytes = (size_t)(m - s);
    char *end;
    unsigned long long n = strtoull(m + 4, &end, 10);
    assert_string_equal(end, " bytes cut]");
    return (size_t)n;
}

static void test_escape_cap(void **state)
{
    (void)state;
    static char big[5000];
    size_t shown;

    memset(big, 'a', sizeof big);
    size_t n = edd_log_escape(out, sizeof out, big, sizeof big, sizeof big);
    assert_int_equal(n, strlen(out));
    assert_true(n <= EDD_LOG_LINE_MAX);
    assert_true(n >= EDD_LOG_LINE_MAX - 40);
    assert_int_equal(cut_count(out, &shown) + shown, sizeof big);

    /* never inside a UTF-8 sequence: 1666 x U+20AC */
    for (size_t i = 0; i + 3 <= sizeof big; i += 3)
        memcpy(big + i, "\xe2\x82\xac", 3);
    n = edd_log_escape(out, sizeof out, big, 4998, 4998);
    assert_true(n <= EDD_LOG_LINE_MAX);
    size_t cut = cut_count(out, &shown);
    assert_int_equal(shown % 3, 0);
    assert_int_equal(cut + shown, 4998);

    /* never inside an escape: 2000 newlines, 2 bytes each when shown */
    memset(big, '\n', 2000);
    n = edd_log_escape(out, sizeof out, big, 2000, 2000);
    assert_true(n <= EDD_LOG_LINE_MAX);
    assert_null(strchr(out, '\n'));
    cut = cut_count(out, &shown);
    assert_int_equal(shown % 2, 0);
    assert_int_equal(cut + shown / 2, 2000);

    /* the caller's buffer was too small: total > len, marked although it fits */
    n = edd_log_escape(out, sizeof out, "abc", 3, 4000);
    assert_string_equal(out, "abc\xe2\x80\xa6[3997 bytes cut]");

    /* exactly at the cap: no marker */
    memset(big, 'b', EDD_LOG_LINE_MAX);
    n = edd_log_escape(out, sizeof out, big, EDD_LOG_LINE_MAX, EDD_LOG_LINE_MAX);
    assert_int_equal(n, EDD_LOG_LINE_MAX);
    assert_null(strstr(out, "bytes cut"));
}

static void test_limit_bucket(void **state)
{
    (void)state;
    edd_log_limit l = { 0 };
    uint64_t sup, span;
    unsigned ok = 0;
    for (int i = 0; i < 100; i++) /* 100 at t = 5 s: the burst passes */
        ok += edd_log_limit_take(&l, 5000, &sup, &span);
    assert_int_equal(ok, EDD_LOG_BURST);
    assert_false(edd_log_limit_take(&l, 5999, &sup, &span)); /* 91st suppressed */
    assert_true(edd_log_limit_take(&l, 6000, &sup, &span));  /* 1 s later: one */
    assert_int_equal(sup, 91);
    assert_int_equal(span, 1000);
    assert_false(edd_log_limit_take(&l, 6000, &sup, &span));
    assert_true(edd_log_limit_take(&l, 7000, &sup, &span));
    assert_int_equal(sup, 1);
    assert_int_equal(span, 1000);
    assert_true(edd_log_limit_take(&l, 8000, &sup, &span)); /* nothing suppressed */
    assert_int_equal(sup, 0);
    assert_int_equal(span, 0);
    /* quiet for a minute: the whole burst again, no more */
    ok = 0;
    for (int i = 0; i < 50; i++)
        ok += edd_log_limit_take(&l, 68000, &sup, &span);
    assert_int_equal(ok, EDD_LOG_BURST);
    /* a clock that steps back refills nothing and does not wrap */
    assert_false(edd_log_limit_take(&l, 1000, &sup, &span));
    /* steady 1000 calls/s for 100 s: about 1 line/s */
    ok = 0;
    for (uint64_t t = 100000; t < 200000; t++)
        ok += edd_log_limit_take(&l, t, &sup, &span);
    assert_in_range(ok, 99, 100 + EDD_LOG_BURST);
}

/* ------------------------------------------------ through the sink */

static uint64_t fake_now;
static uint64_t fake_clock(void)
{
    return fake_now;
}

static FILE *capture;
static int saved_stderr = -1;

static void capture_start(void)
{
    fflush(stderr);
    capture = tmpfile();
    assert_non_null(capture);
    saved_stderr = dup(2);
    assert_true(dup2(fileno(capture), 2) == 2);
}

/* The captured text (caller frees); stderr restored. */
static char *capture_end(size_t *lines)
{
    fflush(stderr);
    dup2(saved_stderr, 2);
    close(saved_stderr);
    long n = ftell(capture);
    assert_true(n >= 0);
    char *s = calloc(1, (size_t)n + 1);
    rewind(capture);
    assert_int_equal(fread(s, 1, (size_t)n, capture), (size_t)n);
    fclose(capture);
    *lines = 0;
    for (char *p = s; *p; p++)
        *lines += *p == '\n';
    return s;
}

static void flood_site_a(void)
{
    edd_log_warn("c2s: %d connections, refusing another", 2);
}

static void flood_site_b(void)
{
    edd_log_info("site b %s", "x");
}

static void test_sink_rate_limited(void **state)
{
    (void)state;
    edd_log_setup(EDD_LOG_INFO, false, "extdiscod");
    edd_log_set_clock(fake_clock);
    fake_now = 1000000;
    size_t lines;

    /* 5000 calls over 5 s from one site: burst + ~1/s; another site is not
     * affected; the suppressed count appears. */
    capture_start();
    for (int i = 0; i < 5000; i++, fake_now++)
        flood_site_a();
    flood_site_b();
    char *s = capture_end(&lines);
    assert_in_range(lines, EDD_LOG_BURST + 1 + 4, EDD_LOG_BURST + 1 + 5);
    assert_non_null(strstr(s, "extdiscod[info] site b x\n"));
    assert_non_null(strstr(s, "extdiscod[warn] c2s: 2 connections, refusing another "
                              "(990 similar lines suppressed in the last 0.9 s)\n"));
    free(s);

    /* after a quiet window the next call reports the rest */
    fake_now += 60000;
    capture_start();
    flood_site_a();
    s = capture_end(&lines);
    assert_int_equal(lines, 1);
    assert_non_null(strstr(s, "lines suppressed in the last"));
    free(s);

    /* lines below the threshold spend nothing; edd_log() is not limited */
    edd_log_setup(EDD_LOG_WARN, false, "extdiscod");
    capture_start();
    for (int i = 0; i < 100; i++)
        flood_site_b();
    for (int i = 0; i < 100; i++)
        edd_log(EDD_LOG_INFO, "always %d", i);
    for (int i = 0; i < 100; i++)
        edd_log(EDD_LOG_ERROR, "always %d", i);
    s = capture_end(&lines);
    assert_int_equal(lines, 100);
    free(s);
    edd_log_setup(EDD_LOG_INFO, false, "extdiscod");
    capture_start();
    flood_site_b();
    s = capture_end(&lines);
    assert_int_equal(lines, 1);
    assert_null(strstr(s, "suppressed"));
    free(s);
    edd_log_set_clock(NULL);
}

static void test_sink_escaped_and_capped(void **state)
{
    (void)state;
    edd_log_setup(EDD_LOG_INFO, false, "extdiscod");
    size_t lines;
    capture_start();
    edd_log_error("component x: stream error: %s",
                 "bye\nextdiscod: error: forged\r\x1b[2K\xff");
    char *s = capture_end(&lines);
    assert_int_equal(lines, 1);
    assert_non_null(strstr(s, "extdiscod[error] component x: stream error: "
                              "bye\\nextdiscod: error: forged\\r\\x1b[2K\\xff\n"));
    free(s);

    static char big[10000];
    memset(big, 'z', sizeof big - 1);
    capture_start();
    edd_log(EDD_LOG_INFO, "long: %s", big);
    s = capture_end(&lines);
    assert_int_equal(lines, 1);
    assert_true(strlen(s) <= EDD_LOG_LINE_MAX + 64);
    size_t shown;
    const char *msg = strstr(s, "long: ");
    assert_non_null(msg);
    char *nl = strchr(msg, '\n');
    *nl = '\0';
    assert_int_equal(cut_count(msg, &shown) + shown, 6 + sizeof big - 1);
    free(s);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_escape_plain),
        cmocka_unit_test(test_escape_controls),
        cmocka_unit_test(test_escape_invalid_utf8),
        cmocka_unit_test(test_escape_forged_line),
        cmocka_unit_test(test_escape_cap),
        cmocka_unit_test(test_limit_bucket),
        cmocka_unit_test(test_sink_rate_limited),
        cmocka_unit_test(test_sink_escaped_and_capped),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
