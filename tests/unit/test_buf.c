/* tests/unit/test_buf.c — ed_buf: growth, limits, escaping, undoing an
 * append (ed_buf_truncate), resetting without keeping a burst. */
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
        cmocka_unit_test(test_consume),
        cmocka_unit_test(test_truncate_and_trim),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
