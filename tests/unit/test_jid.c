/* tests/unit/test_jid.c — JID parsing and normalisation (lib/jid.c). */
#include <setjmp.h>
#include <stdbool.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include <idna.h>
#include <stringprep.h>

#include "extdisco/jid.h"

/* ---- valid JIDs: input -> exact parts ---- */

struct valid_case {
    const char *in;
    const char *full;
    const char *local;    /* NULL = absent */
    const char *domain;
    const char *resource; /* NULL = absent */
};

static const struct valid_case valid[] = {
    {"user@example.com", "user@example.com", "user", "example.com", NULL},
    {"example.com", "example.com", NULL, "example.com", NULL},
    {"example.com/r", "example.com/r", NULL, "example.com", "r"},
    /* case folding of local and domain, resource case preserved */
    {"User@Example.COM/Res", "user@example.com/Res", "user", "example.com", "Res"},
    {"JULIET@EXAMPLE.COM/BALCONY", "juliet@example.com/BALCONY", "juliet",
     "example.com", "BALCONY"},
    /* trailing dot stripped */
    {"example.com.", "example.com", NULL, "example.com", NULL},
    {"user@example.com./r", "user@example.com/r", "user", "example.com", "r"},
    /* resource is everything after the first '/', may hold '@' and '/' */
    {"a/b@c", "a/b@c", NULL, "a", "b@c"},
    {"u@d/r/with/slash", "u@d/r/with/slash", "u", "d", "r/with/slash"},
    {"u@d/r@x", "u@d/r@x", "u", "d", "r@x"},
    {"u@d/ spaced res ", "u@d/ spaced res ", "u", "d", " spaced res "},
    {"u@d/@", "u@d/@", "u", "d", "@"},
    /* ASCII characters nodeprep allows */
    {"a!#$%()*+,;=?[\\]^_`{|}~.-b@d", "a!#$%()*+,;=?[\\]^_`{|}~.-b@d",
     "a!#$%()*+,;=?[\\]^_`{|}~.-b", "d", NULL},
    {"x@ex-ample.com", "x@ex-ample.com", "x", "ex-ample.com", NULL},
    {"x@123.example", "x@123.example", "x", "123.example", NULL},
    /* IDN: Unicode and ACE forms give the same (Unicode, lower-case) JID */
    {"user@b\xC3\xBC" "cher.example", "user@b\xC3\xBC" "cher.example", "user",
     "b\xC3\xBC" "cher.example", NULL},
    {"user@xn--bcher-kva.example", "user@b\xC3\xBC" "cher.example", "user",
     "b\xC3\xBC" "cher.example", NULL},
    {"user@XN--BCHER-KVA.Example", "user@b\xC3\xBC" "cher.example", "user",
     "b\xC3\xBC" "cher.example", NULL},
    {"user@B\xC3\x9C" "CHER.EXAMPLE", "user@b\xC3\xBC" "cher.example", "user",
     "b\xC3\xBC" "cher.example", NULL},
    {"x@xn--55qx5d.cn", "x@\xE5\x85\xAC\xE5\x8F\xB8.cn", "x",
     "\xE5\x85\xAC\xE5\x8F\xB8.cn", NULL},
    /* ideographic full stop U+3002 is a label separator */
    {"x@b\xC3\xBC" "cher\xE3\x80\x82" "example", "x@b\xC3\xBC" "cher.example", "x",
     "b\xC3\xBC" "cher.example", NULL},
    /* nodeprep: case folding, NFKC, sharp s -> ss */
    {"\xC3\x84\xC3\x96\xC3\x9C@example", "\xC3\xA4\xC3\xB6\xC3\xBC@example",
     "\xC3\xA4\xC3\xB6\xC3\xBC", "example", NULL},
    {"fu\xC3\x9F@d", "fuss@d", "fuss", "d", NULL},
    {"\xEF\xBC\xA1\xEF\xBC\xA2\xEF\xBC\xA3@d", "abc@d", "abc", "d", NULL},
    /* resourceprep: NFKC (ROMAN NUMERAL NINE -> "IX"), no case folding,
     * SOFT HYPHEN mapped to nothing */
    {"u@d/\xE2\x85\xA8", "u@d/IX", "u", "d", "IX"},
    {"u@d/\xC3\x84pfel", "u@d/\xC3\x84pfel", "u", "d", "\xC3\x84pfel"},
    {"u@d/\xC2\xAD" "res", "u@d/res", "u", "d", "res"},
    /* IP literals */
    {"user@[::1]", "user@[::1]", "user", "[::1]", NULL},
    {"user@[0:0:0:0:0:0:0:1]/r", "user@[::1]/r", "user", "[::1]", "r"},
    {"user@[2001:DB8::A]", "user@[2001:db8::a]", "user", "[2001:db8::a]", NULL},
    {"[::ffff:192.0.2.1]", "[::ffff:192.0.2.1]", NULL, "[::ffff:192.0.2.1]", NULL},
    {"user@127.0.0.1", "user@127.0.0.1", "user", "127.0.0.1", NULL},
    {"192.0.2.1./x", "192.0.2.1/x", NULL, "192.0.2.1", "x"},
    /* NFKC turns circled digits into an IPv4 literal */
    {"u@\xE2\x91\xA0.\xE2\x91\xA1.\xE2\x91\xA2.\xE2\x91\xA3", "u@1.2.3.4", "u",
     "1.2.3.4", NULL},
};

static void check_parts(const ed_jid *j, const struct valid_case *c)
{
    assert_string_equal(j->full, c->full);
    assert_string_equal(j->domain, c->domain);
    if (c->local) {
        assert_non_null(j->local);
        assert_string_equal(j->local, c->local);
    } else {
        assert_null(j->local);
    }
    if (c->resource) {
        assert_non_null(j->resource);
        assert_string_equal(j->resource, c->resource);
    } else {
        assert_null(j->resource);
    }
    /* bare is full without "/resource" */
    size_t bl = strlen(j->bare);
    assert_memory_equal(j->bare, j->full, bl);
    assert_true(j->full[bl] == (c->resource ? '/' : '\0'));
}

static void test_valid(void **state)
{
    (void)state;
    for (size_t i = 0; i < sizeof valid / sizeof valid[0]; i++) {
        const struct valid_case *c = &valid[i];
        ed_jid *j = NULL;
        ed_err e = ed_jid_parse(c->in, strlen(c->in), &j);
        if (e != ED_OK) fail_msg("'%s': error %d", c->in, (int)e);
        check_parts(j, c);

        /* idempotent */
        ed_jid *k = NULL;
        assert_int_equal(ed_jid_parse(j->full, strlen(j->full), &k), ED_OK);
        assert_string_equal(k->full, j->full);
        assert_true(ed_jid_eq_full(j, k));
        ed_jid_free(k);

        /* ed_jid_make from the raw or prepared parts gives the same JID */
        k = NULL;
        assert_int_equal(ed_jid_make(j->local, j->domain, j->resource, &k), ED_OK);
        check_parts(k, c);
        ed_jid_free(k);

        ed_err ne = (ed_err)-1;
        char *n = ed_jid_normalize(c->in, &ne);
        assert_int_equal(ne, ED_OK);
        assert_non_null(n);
        assert_string_equal(n, c->full);
        free(n);
        ed_jid_free(j);
    }
}

/* The input need not be NUL-terminated: only len bytes are read. */
static void test_not_terminated(void **state)
{
    (void)state;
    const char buf[] = "Juliet@Example.com/balconyXXXX";
    ed_jid *j = NULL;
    assert_int_equal(ed_jid_parse(buf, strlen(buf) - 4, &j), ED_OK);
    assert_string_equal(j->full, "juliet@example.com/balcony");
    ed_jid_free(j);
    assert_int_equal(ed_jid_parse(buf, 18, &j), ED_OK);
    assert_string_equal(j->full, "juliet@example.com");
    assert_null(j->resource);
    ed_jid_free(j);
}

/* ---- invalid JIDs: input (with length) -> exact error ---- */

struct invalid_case {
    const char *in;
    size_t len; /* 0 = strlen */
    ed_err err;
};

static const struct invalid_case invalid[] = {
    /* empty parts */
    {"", 0, ED_JID_MALFORMED},
    {"@d", 0, ED_JID_MALFORMED},
    {"l@", 0, ED_JID_MALFORMED},
    {"d/", 0, ED_JID_MALFORMED},
    {"l@d/", 0, ED_JID_MALFORMED},
    {"/r", 0, ED_JID_MALFORMED},
    {"@", 0, ED_JID_MALFORMED},
    {"@/", 0, ED_JID_MALFORMED},
    {"l@/r", 0, ED_JID_MALFORMED},
    {"u@.", 0, ED_JID_MALFORMED},
    {".", 0, ED_JID_MALFORMED},
    /* embedded NUL */
    {"u\0@d", 4, ED_JID_MALFORMED},
    {"u@d\0", 4, ED_JID_MALFORMED},
    {"u@d/r\0x", 7, ED_JID_MALFORMED},
    /* forbidden local characters (RFC 6122 A.2) and spaces */
    {"a\"b@d", 0, ED_JID_LOCAL_INVALID},
    {"a&b@d", 0, ED_JID_LOCAL_INVALID},
    {"a'b@d", 0, ED_JID_LOCAL_INVALID},
    {"a:b@d", 0, ED_JID_LOCAL_INVALID},
    {"a<b@d", 0, ED_JID_LOCAL_INVALID},
    {"a>b@d", 0, ED_JID_LOCAL_INVALID},
    {"a b@d", 0, ED_JID_LOCAL_INVALID},
    {" a@d", 0, ED_JID_LOCAL_INVALID},
    {"a\tb@d", 0, ED_JID_LOCAL_INVALID},
    {"a\x7F@d", 0, ED_JID_LOCAL_INVALID},
    {"a\xC2\xA0" "b@d", 0, ED_JID_LOCAL_INVALID},         /* NBSP, C.1.2 */
    {"a\xE2\x80\x83" "b@d", 0, ED_JID_LOCAL_INVALID},     /* EM SPACE */
    {"a\xEE\x80\x80@d", 0, ED_JID_LOCAL_INVALID},         /* private use */
    {"a\xD7\x90@d", 0, ED_JID_LOCAL_INVALID},             /* L + RAL bidi */
    {"\xC2\xAD@d", 0, ED_JID_LOCAL_INVALID},              /* maps to empty */
    /* invalid UTF-8 in each part */
    {"\xC3@d", 0, ED_JID_LOCAL_INVALID},
    {"\xC0\x80@d", 0, ED_JID_LOCAL_INVALID},              /* overlong NUL */
    {"\xED\xA0\x80@d", 0, ED_JID_LOCAL_INVALID},          /* surrogate */
    {"\xF4\x90\x80\x80@d", 0, ED_JID_LOCAL_INVALID},      /* > U+10FFFF */
    {"u@\xFF.com", 0, ED_JID_DOMAIN_INVALID},
    {"u@b\xC3" "cher.example", 0, ED_JID_DOMAIN_INVALID},
    {"u@d/\xC0\xAF", 0, ED_JID_RESOURCE_INVALID},
    {"u@d/abc\xE2\x82", 0, ED_JID_RESOURCE_INVALID},
    /* resource controls */
    {"u@d/a\x01" "b", 0, ED_JID_RESOURCE_INVALID},
    {"u@d/a\x7F", 0, ED_JID_RESOURCE_INVALID},
    {"u@d/\xC2\x85", 0, ED_JID_RESOURCE_INVALID},          /* NEL, C.2.2 */
    /* domains */
    {"a@b@c", 0, ED_JID_DOMAIN_INVALID},
    {"u@exa mple.com", 0, ED_JID_DOMAIN_INVALID},
    {"u@ex_ample.com", 0, ED_JID_DOMAIN_INVALID},
    {"u@-ex.com", 0, ED_JID_DOMAIN_INVALID},
    {"u@ex-.com", 0, ED_JID_DOMAIN_INVALID},
    {"u@a..b", 0, ED_JID_DOMAIN_INVALID},
    {"u@.a", 0, ED_JID_DOMAIN_INVALID},
    {"u@example.com..", 0, ED_JID_DOMAIN_INVALID},
    {"u@example.com:5222", 0, ED_JID_DOMAIN_INVALID},
    {"u@[::1", 0, ED_JID_DOMAIN_INVALID},
    {"u@::1", 0, ED_JID_DOMAIN_INVALID},
    {"u@[::g]", 0, ED_JID_DOMAIN_INVALID},
    {"u@[]", 0, ED_JID_DOMAIN_INVALID},
    {"u@[1.2.3.4]", 0, ED_JID_DOMAIN_INVALID},
    {"u@[fe80::1%eth0]", 0, ED_JID_DOMAIN_INVALID},
    {"u@1.2.3", 0, ED_JID_DOMAIN_INVALID},
    {"u@256.1.1.1", 0, ED_JID_DOMAIN_INVALID},
    {"u@01.2.3.4", 0, ED_JID_DOMAIN_INVALID},
    {"u@xn--zz.example", 0, ED_JID_DOMAIN_INVALID},        /* bad punycode */
    {"u@xn--abc-.example", 0, ED_JID_DOMAIN_INVALID},      /* no round trip */
    {"u@xn--.example", 0, ED_JID_DOMAIN_INVALID},
    {"u@b\xC3\xBC" "cher_x.example", 0, ED_JID_DOMAIN_INVALID},
    {"u@\xC2\xA0.example", 0, ED_JID_DOMAIN_INVALID},
    {"u@a\xD7\x90.example", 0, ED_JID_DOMAIN_INVALID},     /* bidi */
    {"u@\xE3\x80\x82", 0, ED_JID_DOMAIN_INVALID},          /* only a dot */
    {"\xE2\x91\xA8", 0, ED_JID_DOMAIN_INVALID},            /* NFKC -> "9" */
    {"xn--r6jeo", 0, ED_JID_DOMAIN_INVALID},  /* decodes to a U+3002 label */
    {"u@\xE2\x91\xA0.\xE2\x91\xA1.\xE2\x91\xA2", 0, ED_JID_DOMAIN_INVALID},
};

static void test_invalid(void **state)
{
    (void)state;
    for (size_t i = 0; i < sizeof invalid / sizeof invalid[0]; i++) {
        const struct invalid_case *c = &invalid[i];
        size_t len = c->len ? c->len : strlen(c->in);
        ed_jid *j = (ed_jid *)&j; /* must be reset to NULL */
        ed_err e = ed_jid_parse(c->in, len, &j);
        if (e != c->err)
            fail_msg("case %zu '%s': got %d, want %d", i, c->in, (int)e,
                     (int)c->err);
        assert_null(j);
        if (c->len == 0) {
            ed_err ne = ED_OK;
            assert_null(ed_jid_normalize(c->in, &ne));
            assert_int_equal(ne, c->err);
        }
    }
}

/* ---- part lengths: 1023 bytes ok, 1024 too long ---- */

static char *repeat(const char *unit, size_t n, const char *prefix,
                    const char *suffix)
{
    size_t ul = strlen(unit), pl = strlen(prefix), sl = strlen(suffix);
    char *s = malloc(pl + ul * n + sl + 1);
    assert_non_null(s);
    memcpy(s, prefix, pl);
    for (size_t i = 0; i < n; i++) memcpy(s + pl + i * ul, unit, ul);
    memcpy(s + pl + ul * n, suffix, sl + 1);
    return s;
}

static void expect(const char *s, ed_err want, size_t part_len, int which)
{
    ed_jid *j = NULL;
    ed_err e = ed_jid_parse(s, strlen(s), &j);
    if (e != want) fail_msg("len %zu: got %d, want %d", strlen(s), (int)e, (int)want);
    if (want == ED_OK) {
        const char *p = which == 0 ? j->local : which == 1 ? j->domain : j->resource;
        assert_int_equal(strlen(p), part_len);
        ed_jid_free(j);
    }
}

static void test_lengths(void **state)
{
    (void)state;
    char *s;
    /* ASCII local (fast path) */
    s = repeat("A", 1023, "", "@d");
    expect(s, ED_OK, 1023, 0);
    free(s);
    s = repeat("a", 1024, "", "@d");
    expect(s, ED_JID_TOO_LONG, 0, 0);
    free(s);
    /* non-ASCII local (stringprep path): 511 x U+00E9 + "a" = 1023 bytes */
    s = repeat("\xC3\xA9", 511, "", "a@d");
    expect(s, ED_OK, 1023, 0);
    free(s);
    s = repeat("\xC3\xA9", 512, "", "@d");
    expect(s, ED_JID_TOO_LONG, 0, 0);
    free(s);
    /* upper case U+00C9 folds to U+00E9: same length, over by one */
    s = repeat("\xC3\x89", 512, "", "@d");
    expect(s, ED_JID_TOO_LONG, 0, 0);
    free(s);
    /* expansion by NFKC: U+FB03 (ffi ligature, 3 bytes) -> "ffi" */
    s = repeat("\xEF\xAC\x83", 341, "", "@d");
    expect(s, ED_OK, 1023, 0);
    free(s);
    s = repeat("\xEF\xAC\x83", 342, "", "@d");
    expect(s, ED_JID_TOO_LONG, 0, 0);
    free(s);
    /* shrinking: soft hyphens vanish; within the raw limit this is fine */
    s = repeat("\xC2\xAD", 1000, "", "ab@d");
    expect(s, ED_OK, 2, 0);
    free(s);
    /* raw part far over any limit */
    s = repeat("\xC2\xAD", 100000, "", "ab@d");
    expect(s, ED_JID_TOO_LONG, 0, 0);
    free(s);

    /* resource */
    s = repeat("R", 1023, "u@d/", "");
    expect(s, ED_OK, 1023, 2);
    free(s);
    s = repeat("R", 1024, "u@d/", "");
    expect(s, ED_JID_TOO_LONG, 0, 2);
    free(s);
    s = repeat("\xC3\x84", 511, "u@d/", "x");
    expect(s, ED_OK, 1023, 2);
    free(s);
    s = repeat("\xC3\x84", 512, "u@d/", "");
    expect(s, ED_JID_TOO_LONG, 0, 2);
    free(s);

    /* domain: 16 labels of 63 bytes and 15 dots = 1023 bytes */
    char label[64];
    memset(label, 'x', 63);
    label[63] = '\0';
    char dom[2048] = "";
    for (int i = 0; i < 16; i++) {
        if (i) strcat(dom, ".");
        strcat(dom, label);
    }
    assert_int_equal(strlen(dom), 1023);
    s = repeat("", 0, "u@", dom);
    expect(s, ED_OK, 1023, 1);
    free(s);
    /* with a trailing dot it is still 1023 */
    s = repeat("", 0, dom, ".");
    expect(s, ED_OK, 1023, 1);
    free(s);
    s = repeat("", 0, label, "y.example"); /* a 64-byte label */
    expect(s, ED_JID_DOMAIN_INVALID, 0, 1);
    free(s);
    s = repeat("", 0, "y.", dom); /* 1025 bytes */
    expect(s, ED_JID_TOO_LONG, 0, 1);
    free(s);
    /* 63-byte label ok, 64 not */
    s = repeat("", 0, label, ".example");
    expect(s, ED_OK, 63 + 8, 1);
    free(s);
}

/* Bytes, not characters: 51 labels of 10 x U+00FC (20 bytes) + '.' = 1071
 * plus "ab" = 1073 > 1023 -> too long (each ACE label is short). */
static void test_unicode_domain_too_long(void **state)
{
    (void)state;
    char *s = repeat("\xC3\xBC\xC3\xBC\xC3\xBC\xC3\xBC\xC3\xBC\xC3\xBC\xC3\xBC"
                     "\xC3\xBC\xC3\xBC\xC3\xBC.", 51, "u@", "ab");
    expect(s, ED_JID_TOO_LONG, 0, 1);
    free(s);
    /* 48 such labels: 48 * 21 + 2 = 1010 bytes: fine */
    s = repeat("\xC3\xBC\xC3\xBC\xC3\xBC\xC3\xBC\xC3\xBC\xC3\xBC\xC3\xBC"
               "\xC3\xBC\xC3\xBC\xC3\xBC.", 48, "u@", "ab");
    expect(s, ED_OK, 1010, 1);
    free(s);
}

/* ---- API behaviour ---- */

static void test_idn_equal(void **state)
{
    (void)state;
    ed_jid *a = NULL, *b = NULL;
    const char *u = "user@b\xC3\xBC" "cher.example/Home";
    const char *x = "USER@xn--bcher-kva.example./Home";
    assert_int_equal(ed_jid_parse(u, strlen(u), &a), ED_OK);
    assert_int_equal(ed_jid_parse(x, strlen(x), &b), ED_OK);
    assert_true(ed_jid_eq_full(a, b));
    assert_true(ed_jid_eq_bare(a, b));
    ed_jid_free(b);
    const char *y = "user@xn--bcher-kva.example/home";
    assert_int_equal(ed_jid_parse(y, strlen(y), &b), ED_OK);
    assert_false(ed_jid_eq_full(a, b)); /* resource case matters */
    assert_true(ed_jid_eq_bare(a, b));
    ed_jid_free(b);
    ed_jid_free(a);
}

static void test_dup_bare_eq(void **state)
{
    (void)state;
    ed_jid *j = NULL;
    assert_int_equal(ed_jid_parse("Romeo@Montague.lit/Orchard", 26, &j), ED_OK);
    ed_jid *d = ed_jid_dup(j);
    assert_non_null(d);
    assert_ptr_not_equal(d, j);
    assert_string_equal(d->full, "romeo@montague.lit/Orchard");
    assert_string_equal(d->bare, "romeo@montague.lit");
    assert_string_equal(d->local, "romeo");
    assert_string_equal(d->domain, "montague.lit");
    assert_string_equal(d->resource, "Orchard");
    assert_true(ed_jid_eq_full(j, d));
    ed_jid_free(j); /* the copy owns its own strings */
    assert_string_equal(d->full, "romeo@montague.lit/Orchard");

    ed_jid *b = ed_jid_to_bare(d);
    assert_non_null(b);
    assert_null(b->resource);
    assert_string_equal(b->full, "romeo@montague.lit");
    assert_string_equal(b->bare, "romeo@montague.lit");
    assert_false(ed_jid_eq_full(b, d));
    assert_true(ed_jid_eq_bare(b, d));

    ed_jid *dom = NULL;
    assert_int_equal(ed_jid_parse("montague.lit/x", 14, &dom), ED_OK);
    ed_jid *db = ed_jid_to_bare(dom);
    assert_string_equal(db->full, "montague.lit");
    assert_null(db->local);
    assert_false(ed_jid_eq_bare(dom, d));

    assert_false(ed_jid_eq_full(NULL, d));
    assert_false(ed_jid_eq_bare(d, NULL));
    assert_null(ed_jid_dup(NULL));
    assert_null(ed_jid_to_bare(NULL));
    ed_jid_free(NULL);
    ed_jid_free(db);
    ed_jid_free(dom);
    ed_jid_free(b);
    ed_jid_free(d);
}

static void test_make(void **state)
{
    (void)state;
    ed_jid *j = NULL;
    assert_int_equal(ed_jid_make("Juliet", "Capulet.LIT", "Balcony", &j), ED_OK);
    assert_string_equal(j->full, "juliet@capulet.lit/Balcony");
    ed_jid_free(j);
    assert_int_equal(ed_jid_make(NULL, "capulet.lit", NULL, &j), ED_OK);
    assert_string_equal(j->full, "capulet.lit");
    ed_jid_free(j);
    /* parts go through their own profile: '@' and '/' are not separators */
    assert_int_equal(ed_jid_make("a@b", "d", NULL, &j), ED_JID_LOCAL_INVALID);
    assert_null(j);
    assert_int_equal(ed_jid_make("a/b", "d", NULL, &j), ED_JID_LOCAL_INVALID);
    assert_int_equal(ed_jid_make("a", "d/x", NULL, &j), ED_JID_DOMAIN_INVALID);
    assert_int_equal(ed_jid_make("a", "d@x", NULL, &j), ED_JID_DOMAIN_INVALID);
    assert_int_equal(ed_jid_make("a", "d", "x/y@z", &j), ED_OK);
    assert_string_equal(j->resource, "x/y@z");
    ed_jid_free(j);
    assert_int_equal(ed_jid_make("", "d", NULL, &j), ED_JID_MALFORMED);
    assert_int_equal(ed_jid_make("a", "", NULL, &j), ED_JID_MALFORMED);
    assert_int_equal(ed_jid_make("a", "d", "", &j), ED_JID_MALFORMED);
    assert_int_equal(ed_jid_make("a", NULL, NULL, &j), ED_EINVAL);
    assert_int_equal(ed_jid_make("a", "d", NULL, NULL), ED_EINVAL);
    assert_int_equal(ed_jid_parse("a@d", 3, NULL), ED_EINVAL);
    ed_err e = ED_OK;
    assert_null(ed_jid_normalize(NULL, &e));
    assert_int_equal(e, ED_EINVAL);
    char *n = ed_jid_normalize("A@B", NULL); /* err may be NULL */
    assert_string_equal(n, "a@b");
    free(n);
}

/* ---- the ASCII fast paths agree with libidn on every ASCII input ---- */

static void check_local_vs_idn(const char *raw)
{
    char ref[2048];
    snprintf(ref, sizeof ref, "%s", raw);
    int rc = stringprep_xmpp_nodeprep(ref, sizeof ref);
    ed_jid *j = NULL;
    ed_err e = ed_jid_make(raw, "d", NULL, &j);
    if (rc == STRINGPREP_OK && ref[0]) {
        if (e != ED_OK) fail_msg("local '%s': libidn ok, got %d", raw, (int)e);
        assert_string_equal(j->local, ref);
        ed_jid_free(j);
    } else if (e != ED_JID_LOCAL_INVALID) {
        fail_msg("local '%s': libidn rc %d, got %d", raw, rc, (int)e);
    }
}

static void check_resource_vs_idn(const char *raw)
{
    char ref[2048];
    snprintf(ref, sizeof ref, "%s", raw);
    int rc = stringprep_xmpp_resourceprep(ref, sizeof ref);
    ed_jid *j = NULL;
    ed_err e = ed_jid_make("u", "d", raw, &j);
    if (rc == STRINGPREP_OK && ref[0]) {
        if (e != ED_OK) fail_msg("resource '%s': libidn ok, got %d", raw, (int)e);
        assert_string_equal(j->resource, ref);
        ed_jid_free(j);
    } else if (e != ED_JID_RESOURCE_INVALID) {
        fail_msg("resource '%s': libidn rc %d, got %d", raw, rc, (int)e);
    }
}

/* Reference for non-literal ASCII domains: ToASCII with STD3 rules, then
 * lower-case (ToASCII leaves all-ASCII labels' case alone). */
static void check_domain_vs_idn(const char *raw)
{
    size_t n = strlen(raw);
    bool literal = raw[0] == '[' || strspn(raw, "0123456789.") == n;
    if (literal) return;
    char *ace = NULL;
    int rc = idna_to_ascii_8z(raw, &ace, IDNA_USE_STD3_ASCII_RULES);
    bool ok = rc == IDNA_SUCCESS;
    if (ok) {
        size_t al = strlen(ace);
        for (size_t i = 0; i < al; i++)
            if (ace[i] >= 'A' && ace[i] <= 'Z') ace[i] = (char)(ace[i] + 32);
        /* libidn lets empty labels and one trailing dot through */
        if (al && ace[al - 1] == '.') ace[--al] = '\0';
        ok = al > 0 && ace[0] != '.' && ace[al - 1] != '.' && !strstr(ace, "..");
    }
    ed_jid *j = NULL;
    ed_err e = ed_jid_make(NULL, raw, NULL, &j);
    if (ok) {
        if (e != ED_OK) fail_msg("domain '%s': libidn ok ('%s'), got %d", raw, ace, (int)e);
        assert_string_equal(j->domain, ace);
        ed_jid_free(j);
    } else if (e != ED_JID_DOMAIN_INVALID && e != ED_JID_MALFORMED) {
        fail_msg("domain '%s': libidn rc %d, got %d", raw, rc, (int)e);
    }
    free(ace);
}

static void test_fast_path_every_ascii(void **state)
{
    (void)state;
    for (int c = 1; c < 128; c++) {
        char raw[4] = {'a', (char)c, 'b', '\0'};
        check_local_vs_idn(raw);
        check_resource_vs_idn(raw);
        if (c != '.') check_domain_vs_idn(raw);
        char one[2] = {(char)c, '\0'};
        check_local_vs_idn(one);
        check_resource_vs_idn(one);
    }
}

static uint64_t rng_state = 0x9E3779B97F4A7C15ull;
static uint64_t rng(void)
{
    rng_state ^= rng_state << 13;
    rng_state ^= rng_state >> 7;
    rng_state ^= rng_state << 17;
    return rng_state;
}

static void test_fast_path_random(void **state)
{
    (void)state;
    static const char alpha[] = "abcXYZ019.-_ @/&'\"<>:!~\t\x7f";
    static const char dalpha[] = "abcXYZ09.-_";
    for (int iter = 0; iter < 20000; iter++) {
        char raw[16];
        size_t n = 1 + rng() % 12;
        for (size_t i = 0; i < n; i++) raw[i] = alpha[rng() % (sizeof alpha - 1)];
        raw[n] = '\0';
        check_local_vs_idn(raw);
        check_resource_vs_idn(raw);
        for (size_t i = 0; i < n; i++) raw[i] = dalpha[rng() % (sizeof dalpha - 1)];
        if (raw[n - 1] == '.' && n > 1) raw[n - 1] = 'q';
        check_domain_vs_idn(raw);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_valid),
        cmocka_unit_test(test_not_terminated),
        cmocka_unit_test(test_invalid),
        cmocka_unit_test(test_lengths),
        cmocka_unit_test(test_unicode_domain_too_long),
        cmocka_unit_test(test_idn_equal),
        cmocka_unit_test(test_dup_bare_eq),
        cmocka_unit_test(test_make),
        cmocka_unit_test(test_fast_path_every_ascii),
        cmocka_unit_test(test_fast_path_random),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
