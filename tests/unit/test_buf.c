/* tests/unit/test_buf.c — ed_buf: growth, limits, escaping (every byte
 * value in text and attribute values, against a table written here),
 * undoing an append (ed_buf_truncate), resetting without keeping a burst. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "extdisco/buf.h"

static void test_append_and_nul(void **state)
{
    (void)state;
    ed_buf b = {0};
    assert_int_equal(ed_buf_append(&b, "abc", 3), ED_OK);
    assert_int_equal(b.len, 3);
    assert_string_equal(b.data, "abc");
    assert_int_equal(ed_buf_puts(&b, "def"), ED_OK);
    assert_string_equal(b.data, "abcdef");
    assert_int_equal(ed_buf_printf(&b, "-%d-%s", 42, "x"), ED_OK);
    assert_string_equal(b.data, "abcdef-42-x");
    assert_int_equal(b.len, strlen("abcdef-42-x"));
    assert_true(b.cap > b.len);
    /* empty append on an empty buffer still yields a NUL-terminated string */
    ed_buf e = {0};
    assert_int_equal(ed_buf_append(&e, "", 0), ED_OK);
    assert_non_null(e.data);
    assert_string_equal(e.data, "");
    ed_buf_free(&e);
    /* growth over many appends keeps content */
    for (int i = 0; i < 10000; i++)
        assert_int_equal(ed_buf_append(&b, "0123456789", 10), ED_OK);
    assert_int_equal(b.len, 11 + 100000);
    assert_memory_equal(b.data + b.len - 10, "0123456789", 10);
    assert_int_equal(b.data[b.len], '\0');
    ed_buf_free(&b);
    assert_null(b.data);
    assert_int_equal(b.len, 0);
    assert_int_equal(b.cap, 0);
}

static void test_printf_long(void **state)
{
    (void)state;
    ed_buf b = {0};
    char big[1000];
    memset(big, 'q', sizeof big - 1);
    big[sizeof big - 1] = '\0';
    assert_int_equal(ed_buf_printf(&b, "<%s>", big), ED_OK);
    assert_int_equal(b.len, 1001);
    assert_int_equal(b.data[0], '<');
    assert_int_equal(b.data[1000], '>');
    assert_int_equal(b.data[1001], '\0');
    ed_buf_free(&b);
}

static void test_max_limit(void **state)
{
    (void)state;
    ed_buf b = {.max = 10};
    assert_int_equal(ed_buf_append(&b, "0123456789", 10), ED_OK); /* exactly max */
    assert_int_equal(ed_buf_append(&b, "x", 1), ED_ELIMIT);
    assert_int_equal(b.len, 10);
    assert_string_equal(b.data, "0123456789");
    assert_int_equal(ed_buf_puts(&b, "y"), ED_ELIMIT);
    assert_int_equal(ed_buf_printf(&b, "%d", 1), ED_ELIMIT);
    assert_int_equal(ed_buf_xml_escape(&b, "z", 1, 0), ED_ELIMIT);
    assert_string_equal(b.data, "0123456789");
    assert_int_equal(ed_buf_append(&b, "", 0), ED_OK);

    ed_buf_reset(&b);
    assert_int_equal(b.len, 0);
    assert_string_equal(b.data, "");
    assert_int_equal(ed_buf_append(&b, "01234", 5), ED_OK);
    /* printf that would pass max leaves the buffer unchanged */
    assert_int_equal(ed_buf_printf(&b, "%s", "abcdef"), ED_ELIMIT);
    assert_string_equal(b.data, "01234");
    assert_int_equal(ed_buf_printf(&b, "%s", "abcde"), ED_OK);
    assert_string_equal(b.data, "01234abcde");

    /* escaping that grows past max: unchanged */
    ed_buf_reset(&b);
    assert_int_equal(ed_buf_puts(&b, "ab"), ED_OK);
    assert_int_equal(ed_buf_xml_escape(&b, "&&", 2, 0), ED_ELIMIT); /* 2+10 > 10 */
    assert_string_equal(b.data, "ab");
    assert_int_equal(b.len, 2);
    assert_int_equal(ed_buf_xml_escape(&b, "a&", 2, 0), ED_OK); /* 2+6 */
    assert_string_equal(b.data, "aba&amp;");

    ed_buf_free(&b);
    assert_int_equal(b.max, 10); /* max kept */
    assert_null(b.data);
}

static void test_escape_text(void **state)
{
    (void)state;
    ed_buf b = {0};
    const char *in = "a&b<c>d'e\"f\tg\nh\ri";
    assert_int_equal(ed_buf_xml_escape(&b, in, strlen(in), 0), ED_OK);
    assert_string_equal(b.data, "a&amp;b&lt;c&gt;d'e\"f\tg\nh&#13;i");
    ed_buf_reset(&b);
    assert_int_equal(ed_buf_xml_escape(&b, in, strlen(in), 1), ED_OK);
    assert_string_equal(b.data,
                        "a&amp;b&lt;c&gt;d&apos;e&quot;f&#9;g&#10;h&#13;i");
    ed_buf_reset(&b);
    /* n bytes only */
    assert_int_equal(ed_buf_xml_escape(&b, "<<<", 1, 0), ED_OK);
    assert_string_equal(b.data, "&lt;");
    ed_buf_free(&b);
}

static void test_escape_utf8(void **state)
{
    (void)state;
    ed_buf b = {0};
    const char *ok = "caf\xC3\xA9 \xE2\x82\xAC \xF0\x9F\x98\x80 \x7F";
    assert_int_equal(ed_buf_xml_escape(&b, ok, strlen(ok), 1), ED_OK);
    assert_string_equal(b.data, ok);

    static const char *bad[] = {
        "\xC3",              /* truncated */
        "\xC3\x28",          /* bad continuation */
        "\xC0\xAF",          /* overlong */
        "\xE0\x80\xAF",      /* overlong 3-byte */
        "\xED\xA0\x80",      /* surrogate */
        "\xF4\x90\x80\x80",  /* > U+10FFFF */
        "\xF5\x80\x80\x80",
        "\xFF",
        "\xEF\xBF\xBE",      /* U+FFFE */
        "\x01",              /* C0 control */
        "\x1F",
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        ed_buf_reset(&b);
        assert_int_equal(ed_buf_puts(&b, "keep"), ED_OK);
        char tmp[16];
        snprintf(tmp, sizeof tmp, "x%sy", bad[i]);
        assert_int_equal(ed_buf_xml_escape(&b, tmp, strlen(tmp), 0), ED_EINVAL);
        assert_string_equal(b.data, "keep");
        assert_int_equal(b.len, 4);
    }
    /* an embedded NUL is not an XML character either */
    ed_buf_reset(&b);
    assert_int_equal(ed_buf_xml_escape(&b, "a\0b", 3, 0), ED_EINVAL);
    assert_int_equal(b.len, 0);
    ed_buf_free(&b);
}

/* What ed_buf_xml_escape must make of the one byte c between ASCII letters,
 * written out here independently of lib/buf.c: the replacement, or NULL
 * when c alone is an error (a control XML forbids, or a byte that is not a
 * UTF-8 character on its own). */
static const char *ref_escape(unsigned c, int attr, char one[2])
{
    switch (c) {
    case '&': return "&amp;";
    case '<': return "&lt;";
    case '>': return "&gt;";
    case '\r': return "&#13;";
    case '\'': return attr ? "&apos;" : "'";
    case '"': return attr ? "&quot;" : "\"";
    case '\t': return attr ? "&#9;" : "\t";
    case '\n': return attr ? "&#10;" : "\n";
    }
    if (c < 0x20 || c > 0x7F)
        return NULL;
    one[0] = (char)c;
    one[1] = '\0';
    return one;
}

/* Every byte value, in text and in attribute values, at every position of
 * strings of 1 to 40 bytes (so any word- or vector-sized scanning would be
 * caught at each offset and tail length too). */
static void test_escape_every_byte(void **state)
{
    (void)state;
    ed_buf b = {0};
    char s[41], want[64], one[2];
    for (int attr = 0; attr < 2; attr++) {
        for (unsigned c = 0; c < 256; c++) {
            const char *rep = ref_escape(c, attr, one);
            for (size_t len = 1; len <= 40; len++) {
                for (size_t p = 0; p < len; p++) {
                    memset(s, 'x', len);
                    s[p] = (char)c;
                    ed_buf_reset(&b);
                    assert_int_equal(ed_buf_puts(&b, "keep"), ED_OK);
                    ed_err e = ed_buf_xml_escape(&b, s, len, attr);
                    if (!rep) {
                        if (e != ED_EINVAL)
                            print_error("byte 0x%02X at %zu of %zu, attr %d\n", c, p, len, attr);
                        assert_int_equal(e, ED_EINVAL);
                        assert_int_equal(b.len, 4);
                        assert_string_equal(b.data, "keep");
                        continue;
                    }
                    snprintf(want, sizeof want, "keep%.*s%s%.*s", (int)p, s, rep,
                             (int)(len - p - 1), s + p + 1);
                    if (e != ED_OK || strcmp(b.data, want))
                        print_error("byte 0x%02X at %zu of %zu, attr %d: %s\n", c, p, len,
                                    attr, b.data);
                    assert_int_equal(e, ED_OK);
                    assert_string_equal(b.data, want);
                    assert_int_equal(b.len, strlen(want));
                }
            }
        }
        /* all the allowed bytes in one string, each escaped on its own */
        char all[256];
        size_t n = 0;
        ed_buf w = {0};
        for (unsigned c = 1; c < 0x80; c++) {
            const char *rep = ref_escape(c, attr, one);
            if (rep) {
                all[n++] = (char)c;
                assert_int_equal(ed_buf_puts(&w, rep), ED_OK);
            }
        }
        ed_buf_reset(&b);
        assert_int_equal(ed_buf_xml_escape(&b, all, n, attr), ED_OK);
        assert_string_equal(b.data, w.data);
        ed_buf_free(&w);
    }
    ed_buf_free(&b);
}

/* Bytes 0x80-0xFF inside UTF-8 sequences: every lead byte with the second
 * byte's whole range, valid ones copied as they are, the rest refused. */
static void test_escape_utf8_every_byte(void **state)
{
    (void)state;
    ed_buf b = {0};
    for (unsigned lead = 0x80; lead < 0x100; lead++) {
        /* RFC 3629 section 4: the second byte's range, and the length */
        unsigned lo = 0x80, hi = 0xBF, len = 0;
        if (lead >= 0xC2 && lead <= 0xDF) len = 2;
        else if (lead >= 0xE0 && lead <= 0xEF) len = 3;
        else if (lead >= 0xF0 && lead <= 0xF4) len = 4;
        if (lead == 0xE0) lo = 0xA0;
        if (lead == 0xED) hi = 0x9F; /* no surrogates */
        if (lead == 0xF0) lo = 0x90;
        if (lead == 0xF4) hi = 0x8F; /* nothing past U+10FFFF */
        for (unsigned c2 = 0; c2 < 0x100; c2++) {
            for (int attr = 0; attr < 2; attr++) {
                char s[8] = {'a', (char)lead, (char)c2, (char)0x80, (char)0x80, 'z'};
                size_t n = len ? 2 + len : 4; /* invalid leads: a lead c2 z */
                if (!len)
                    s[3] = 'z';
                else
                    s[1 + len] = 'z';
                int ok = len && c2 >= lo && c2 <= hi;
                ed_buf_reset(&b);
                ed_err e = ed_buf_xml_escape(&b, s, n, attr);
                if (e != (ok ? ED_OK : ED_EINVAL))
                    print_error("lead 0x%02X second 0x%02X attr %d\n", lead, c2, attr);
                assert_int_equal(e, ok ? ED_OK : ED_EINVAL);
                if (ok) {
                    assert_int_equal(b.len, n);
                    assert_memory_equal(b.data, s, n);
                } else {
                    assert_int_equal(b.len, 0);
                }
            }
        }
    }
    /* U+FFFE and U+FFFF are not XML characters; U+FFFD is */
    assert_int_equal(ed_buf_xml_escape(&b, "\xEF\xBF\xBF", 3, 0), ED_EINVAL);
    ed_buf_reset(&b);
    assert_int_equal(ed_buf_xml_escape(&b, "\xEF\xBF\xBD", 3, 1), ED_OK);
    assert_string_equal(b.data, "\xEF\xBF\xBD");
    ed_buf_free(&b);
}

static void test_consume(void **state)
{
    (void)state;
    ed_buf b = {0};
    assert_int_equal(ed_buf_puts(&b, "hello world"), ED_OK);
    ed_buf_consume(&b, 6);
    assert_string_equal(b.data, "world");
    assert_int_equal(b.len, 5);
    ed_buf_consume(&b, 0);
    assert_string_equal(b.data, "world");
    ed_buf_consume(&b, 5);
    assert_int_equal(b.len, 0);
    assert_string_equal(b.data, "");
    ed_buf_free(&b);
    ed_buf_free(&b); /* twice is fine */
}

/* Undoing an append (the c2s cork drops a stanza that overflows the
 * queue) and dropping a burst's memory. */
static void test_truncate_and_trim(void **state)
{
    (void)state;
    ed_buf b = {0};
    ed_buf_truncate(&b, 0); /* empty: nothing to do */
    assert_null(b.data);
    assert_int_equal(ed_buf_puts(&b, "<a/>"), ED_OK);
    size_t before = b.len;
    assert_int_equal(ed_buf_puts(&b, "<b/>"), ED_OK);
    ed_buf_truncate(&b, before);
    assert_int_equal(b.len, 4);
    assert_string_equal(b.data, "<a/>");
    ed_buf_truncate(&b, 10); /* longer than the buffer: unchanged */
    assert_string_equal(b.data, "<a/>");
    ed_buf_truncate(&b, 0);
    assert_string_equal(b.data, "");
    /* a small buffer keeps its memory, a grown one gives it back */
    assert_int_equal(ed_buf_puts(&b, "xyz"), ED_OK);
    char *mem = b.data;
    ed_buf_reset_trim(&b, 1024);
    assert_ptr_equal(b.data, mem);
    assert_int_equal(b.len, 0);
    assert_string_equal(b.data, "");
    char big[4096];
    memset(big, 'x', sizeof big);
    b.max = 1 << 20;
    assert_int_equal(ed_buf_append(&b, big, sizeof big), ED_OK);
    ed_buf_reset_trim(&b, 1024);
    assert_null(b.data);
    assert_int_equal(b.len, 0);
    assert_int_equal(b.cap, 0);
    assert_int_equal(b.max, 1 << 20); /* the limit stays */
    ed_buf_reset_trim(NULL, 0);
    ed_buf_truncate(NULL, 0);
    ed_buf_free(&b);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_append_and_nul),
        cmocka_unit_test(test_printf_long),
        cmocka_unit_test(test_max_limit),
        cmocka_unit_test(test_escape_text),
        cmocka_unit_test(test_escape_utf8),
        cmocka_unit_test(test_escape_every_byte),
        cmocka_unit_test(test_escape_utf8_every_byte),
        cmocka_unit_test(test_consume),
        cmocka_unit_test(test_truncate_and_trim),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
