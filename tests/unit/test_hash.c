/* Unit tests of daemon/core/hash.c: SipHash-1-3 against CPython's (the same
 * function under an all-zero key), insert / lookup / remove, growth of the
 * bucket array, iteration that removes as it goes, many keys aimed at one
 * bucket (found by brute force under a known key: they chain, stay
 * correct, and spread out under another key), and the bounds on entries
 * and buckets (built with EDD_HASH_MAX_BUCKETS 1024, see daemon/meson.build). */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/hash.h"

typedef struct item {
    int val;
    edd_hash_node node;   /* not first: EDD_HASH_ENTRY must do the offset */
    char key[40];
    bool seen;
} item;

static const unsigned char K1[EDD_HASH_KEY_LEN] = "0123456789abcdef";
static const unsigned char K2[EDD_HASH_KEY_LEN] = "fedcba9876543210";

/* n items with keys PREFIX<i>SUFFIX */
static item *items_new(size_t n, const char *prefix, const char *suffix)
{
    item *v = calloc(n, sizeof *v);
    assert_non_null(v);
    for (size_t i = 0; i < n; i++) {
        snprintf(v[i].key, sizeof v[i].key, "%s%zu%s", prefix, i, suffix);
        v[i].node.key = v[i].key;
        v[i].val = (int)i;
    }
    return v;
}

static item *get(const edd_hash *h, const char *key)
{
    return EDD_HASH_ENTRY(edd_hash_get(h, key), item, node);
}

static void test_siphash13(void **state)
{
    (void)state;
    /* PYTHONHASHSEED=0 python3 -c 'print(hex(hash(b"abc") & (2**64-1)))' */
    static const struct {
        const char *in;
        uint64_t want;
    } v[] = {
        {"a", 0x407448d2b89b1813ULL},
        {"abc", 0xc03bc3a0042630f2ULL},
        {"1234567", 0xa33d651594fdae81ULL},
        {"12345678", 0x3489982430560a87ULL},
        {"123456789", 0x0fbc0f0007965fcfULL},
        {"alice@localhost/phone", 0x6877cef4761a3e81ULL},
        {"bench12@localhost/r3xyz", 0xceb45767aa3405eaULL},
        /* every tail length, with and without whole blocks */
        {"0", 0x49bc192c478bfc2eULL},
        {"01", 0x748af13ac9ed7becULL},
        {"012", 0x27007a47f534b10cULL},
        {"0123", 0xe2614298a482dc84ULL},
        {"01234", 0xe2c4ef0f59d25695ULL},
        {"012345", 0xb95fd06b7c3d68abULL},
        {"0123456", 0x810aaf7acf670379ULL},
        {"01234567", 0xda3dcedf84ea6cc6ULL},
        {"012345678", 0xb79d8581f8552753ULL},
        {"0123456789", 0x52b62a4184e1c734ULL},
        {"0123456789a", 0x7188f6617526617bULL},
        {"0123456789ab", 0x58ad1e5ac2bf1033ULL},
        {"0123456789abc", 0x6c5a77666b0b9ac0ULL},
        {"0123456789abcd", 0x5aa577192a3435c6ULL},
        {"0123456789abcde", 0x26f4d862282d8fcbULL},
        {"0123456789abcdef", 0x1d42b30f7e060c24ULL},
        {"0123456789abcdefg", 0x3323a4f8b8d9776bULL},
        {"0123456789abcdefgh", 0x5b5c74d6eb3b75ccULL},
    };
    static const unsigned char zero[EDD_HASH_KEY_LEN];
    for (size_t i = 0; i < sizeof v / sizeof v[0]; i++)
        assert_int_equal(edd_hash_siphash13(zero, v[i].in, strlen(v[i].in)), v[i].want);
    /* the key matters */
    assert_int_not_equal(edd_hash_siphash13(K1, "abc", 3), edd_hash_siphash13(K2, "abc", 3));
}

static void test_random_key(void **state)
{
    (void)state;
    unsigned char a[EDD_HASH_KEY_LEN], b[EDD_HASH_KEY_LEN];
    edd_hash_random_key(a);
    edd_hash_random_key(b);
    assert_memory_not_equal(a, b, sizeof a);
}

static void test_put_get_remove(void **state)
{
    (void)state;
    enum { N = 1000 };
    edd_hash *h = edd_hash_new(K1, 0);
    assert_non_null(h);
    item *v = items_new(N, "user", "@example.org/res");
    for (size_t i = 0; i < N; i++) {
        assert_null(edd_hash_get(h, v[i].key));
        assert_int_equal(edd_hash_put(h, &v[i].node), ED_OK);
    }
    assert_int_equal(edd_hash_count(h), N);
    for (size_t i = 0; i < N; i++) {
        char k[40];
        snprintf(k, sizeof k, "user%zu@example.org/res", i); /* another copy */
        item *it = get(h, k);
        assert_ptr_equal(it, &v[i]);
        assert_int_equal(it->val, (int)i);
    }
    assert_null(get(h, "user1000@example.org/res"));
    assert_null(get(h, "user1@example.org/re"));
    assert_null(get(h, ""));
    for (size_t i = 0; i < N; i += 2)
        edd_hash_remove(h, &v[i].node);
    assert_int_equal(edd_hash_count(h), N / 2);
    for (size_t i = 0; i < N; i++)
        assert_ptr_equal(get(h, v[i].key), i % 2 ? &v[i] : NULL);
    /* back in, and the empty key is a key like any other */
    for (size_t i = 0; i < N; i += 2)
        assert_int_equal(edd_hash_put(h, &v[i].node), ED_OK);
    item empty = {.node.key = "", .val = -1};
    assert_int_equal(edd_hash_put(h, &empty.node), ED_OK);
    assert_ptr_equal(get(h, ""), &empty);
    assert_int_equal(edd_hash_count(h), N + 1);
    edd_hash_remove(h, &empty.node);
    assert_null(get(h, ""));
    edd_hash_free(h);
    free(v);
    edd_hash_free(NULL);
}

static void test_growth(void **state)
{
    (void)state;
    enum { N = 1000 };
    edd_hash *h = edd_hash_new(K1, 0);
    assert_non_null(h);
    assert_int_equal(edd_hash_buckets(h), EDD_HASH_MIN_BUCKETS);
    item *v = items_new(N, "", "");
    size_t last = edd_hash_buckets(h);
    for (size_t i = 0; i < N; i++) {
        assert_int_equal(edd_hash_put(h, &v[i].node), ED_OK);
        size_t nb = edd_hash_buckets(h);
        assert_true(nb == last || nb == 2 * last); /* doubles, one step at a time */
        assert_true(edd_hash_count(h) <= nb);       /* load factor at most 1 */
        last = nb;
    }
    assert_int_equal(edd_hash_buckets(h), 1024);
    /* a keyed hash spreads sequential keys: no long chain */
    assert_true(edd_hash_longest_chain(h) <= 8);
    for (size_t i = 0; i < N; i++)
        assert_ptr_equal(get(h, v[i].key), &v[i]);
    edd_hash_free(h);
    free(v);
}

static void test_iterate_remove(void **state)
{
    (void)state;
    enum { N = 700 };
    edd_hash *h = edd_hash_new(K2, 0);
    assert_non_null(h);
    item *v = items_new(N, "k", "");
    for (size_t i = 0; i < N; i++)
        assert_int_equal(edd_hash_put(h, &v[i].node), ED_OK);

    /* every node once; the odd ones removed on the way (and scribbled on,
     * as freeing would) */
    edd_hash_iter it;
    edd_hash_iter_init(&it, h);
    size_t visited = 0;
    for (edd_hash_node *n; (n = edd_hash_iter_next(&it));) {
        item *e = EDD_HASH_ENTRY(n, item, node);
        assert_false(e->seen);
        e->seen = true;
        visited++;
        if (e->val % 2) {
            edd_hash_remove(h, n);
            memset(n, 0xa5, sizeof *n);
        }
        assert_true(visited <= N);
    }
    assert_int_equal(visited, N);
    assert_int_equal(edd_hash_count(h), N / 2);
    for (size_t i = 0; i < N; i++) {
        assert_true(v[i].seen);
        assert_ptr_equal(get(h, v[i].key), i % 2 ? NULL : &v[i]);
    }

    /* drain: remove everything while iterating */
    edd_hash_iter_init(&it, h);
    visited = 0;
    for (edd_hash_node *n; (n = edd_hash_iter_next(&it));) {
        edd_hash_remove(h, n);
        visited++;
    }
    assert_int_equal(visited, N / 2);
    assert_int_equal(edd_hash_count(h), 0);
    edd_hash_iter_init(&it, h);
    assert_null(edd_hash_iter_next(&it));
    edd_hash_free(h);
    free(v);
}

static void test_colliding_keys(void **state)
{
    (void)state;
    enum { N = 200, MASK = 0xfff };
    /* N keys whose hash under K1 has 12 low zero bits: one bucket in every
     * table of up to 4096 buckets (about 820,000 tries) */
    item *v = calloc(N, sizeof *v);
    assert_non_null(v);
    size_t found = 0;
    for (unsigned long t = 0; found < N && t < 50000000UL; t++) {
        char k[40];
        int len = snprintf(k, sizeof k, "flood%lu@example.org/x", t);
        if ((edd_hash_siphash13(K1, k, (size_t)len) & MASK) == 0) {
            memcpy(v[found].key, k, (size_t)len + 1);
            v[found].node.key = v[found].key;
            v[found].val = (int)found;
            found++;
        }
    }
    assert_int_equal(found, N);

    /* under K1 they share one chain and everything still works */
    edd_hash *h = edd_hash_new(K1, 0);
    assert_non_null(h);
    for (size_t i = 0; i < N; i++)
        assert_int_equal(edd_hash_put(h, &v[i].node), ED_OK);
    assert_int_equal(edd_hash_buckets(h), 256);
    assert_int_equal(edd_hash_longest_chain(h), N);
    for (size_t i = 0; i < N; i++)
        assert_ptr_equal(get(h, v[i].key), &v[i]);
    for (size_t i = 0; i < N; i += 3) /* from the chain's head, middle, tail */
        edd_hash_remove(h, &v[i].node);
    for (size_t i = 0; i < N; i++)
        assert_ptr_equal(get(h, v[i].key), i % 3 ? &v[i] : NULL);
    assert_int_equal(edd_hash_longest_chain(h), N - (N + 2) / 3);
    edd_hash_free(h);

    /* under another key (what an attacker who does not know ours gets) they
     * spread like any keys */
    h = edd_hash_new(K2, 0);
    assert_non_null(h);
    for (size_t i = 0; i < N; i++)
        assert_int_equal(edd_hash_put(h, &v[i].node), ED_OK);
    assert_true(edd_hash_longest_chain(h) <= 8);
    for (size_t i = 0; i < N; i++)
        assert_ptr_equal(get(h, v[i].key), &v[i]);
    edd_hash_free(h);
    free(v);
}

static void test_bound(void **state)
{
    (void)state;
    enum { MAX = 100 };
    edd_hash *h = edd_hash_new(K1, MAX);
    assert_non_null(h);
    item *v = items_new(MAX + 5, "b", "");
    for (size_t i = 0; i < MAX; i++)
        assert_int_equal(edd_hash_put(h, &v[i].node), ED_OK);
    for (size_t i = MAX; i < MAX + 5; i++) {
        assert_int_equal(edd_hash_put(h, &v[i].node), ED_ELIMIT);
        assert_null(get(h, v[i].key)); /* not added */
    }
    assert_int_equal(edd_hash_count(h), MAX);
    assert_int_equal(edd_hash_buckets(h), 128); /* the bound needs no more */
    edd_hash_remove(h, &v[0].node);
    assert_int_equal(edd_hash_put(h, &v[MAX].node), ED_OK); /* room made */
    assert_int_equal(edd_hash_put(h, &v[0].node), ED_ELIMIT);
    for (size_t i = 1; i <= MAX; i++)
        assert_ptr_equal(get(h, v[i].key), &v[i]);
    edd_hash_free(h);

    /* a one-entry bound keeps the minimum of buckets */
    h = edd_hash_new(K1, 1);
    assert_non_null(h);
    assert_int_equal(edd_hash_put(h, &v[1].node), ED_OK);
    assert_int_equal(edd_hash_put(h, &v[2].node), ED_ELIMIT);
    assert_int_equal(edd_hash_buckets(h), EDD_HASH_MIN_BUCKETS);
    edd_hash_free(h);
    free(v);

    /* no entry bound: the buckets stop at EDD_HASH_MAX_BUCKETS (1024 in this
     * test's build) and the chains grow instead */
    enum { N = 5000 };
    assert_int_equal(EDD_HASH_MAX_BUCKETS, 1024);
    h = edd_hash_new(K1, 0);
    assert_non_null(h);
    v = items_new(N, "unbounded", "");
    for (size_t i = 0; i < N; i++)
        assert_int_equal(edd_hash_put(h, &v[i].node), ED_OK);
    assert_int_equal(edd_hash_buckets(h), 1024);
    assert_int_equal(edd_hash_count(h), N);
    for (size_t i = 0; i < N; i++)
        assert_ptr_equal(get(h, v[i].key), &v[i]);
    edd_hash_free(h);
    free(v);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_siphash13),     cmocka_unit_test(test_random_key),
        cmocka_unit_test(test_put_get_remove), cmocka_unit_test(test_growth),
        cmocka_unit_test(test_iterate_remove), cmocka_unit_test(test_colliding_keys),
        cmocka_unit_test(test_bound),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
