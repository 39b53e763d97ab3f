/* tests/unit/test_turn_rest.c — TURN REST credentials (lib/turn_rest.c).
 *
 * Expected values come from a different code path than the library: the
 * one-shot HMAC() with the raw key (no precomputed key schedule), a
 * bit-by-bit base32 written here, and vectors produced by the openssl CLI. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <openssl/evp.h>
#include <openssl/hmac.h>

#include <stdio.h>
#include <string.h>

#include "extdisco/turn_rest.h"

/* ---- reference implementations ----------------------------------------- */

static void ref_password(ed_hmac_alg alg, const void *secret, size_t slen,
                         const char *username, char *out)
{
    unsigned char mac[EVP_MAX_MD_SIZE];
    unsigned int n = 0;
    assert_non_null(HMAC(alg == ED_HMAC_SHA1 ? EVP_sha1() : EVP_sha256(),
                         secret, (int)slen, (const unsigned char *)username,
                         strlen(username), mac, &n));
    EVP_EncodeBlock((unsigned char *)out, mac, (int)n);
}

/* Base32 by reading bit i of the input for each output bit. */
static void ref_base32(const unsigned char *in, size_t n, char *out)
{
    const char *a = "abcdefghijklmnopqrstuvwxyz234567";
    size_t nbits = n * 8, o = 0;
    for (size_t b = 0; b < nbits; b += 5) {
        unsigned v = 0;
        for (size_t j = 0; j < 5; j++) {
            size_t bit = b + j;
            unsigned x = bit < nbits ? (in[bit / 8] >> (7 - bit % 8)) & 1u : 0u;
            v = (v << 1) | x;
        }
        out[o++] = a[v];
    }
    out[o] = '\0';
}

static void ref_token(const void *key, size_t klen, const char *jid, char *out)
{
    unsigned char mac[EVP_MAX_MD_SIZE];
    unsigned int n = 0;
    assert_non_null(HMAC(EVP_sha256(), key, (int)klen,
                         (const unsigned char *)jid, strlen(jid), mac, &n));
    ref_base32(mac, 16, out);
}

static void ref_token_derived(const char *oldest, const char *jid, char *out)
{
    unsigned char k[EVP_MAX_MD_SIZE];
    unsigned int n = 0;
    const char *label = "extdisco user token";
    assert_non_null(HMAC(EVP_sha256(), oldest, (int)strlen(oldest),
                         (const unsigned char *)label, strlen(label), k, &n));
    ref_token(k, n, jid, out);
}

static ed_turn_rest *make(const char *const *secrets, size_t n, ed_hmac_alg alg,
                          ed_turn_user_mode mode, char sep, int64_t ttl)
{
    ed_turn_rest_config cfg = {
        .secrets = secrets, .nsecrets = n, .alg = alg, .separator = sep,
        .ttl = ttl, .user_mode = mode,
    };
    ed_turn_rest *r = NULL;
    assert_int_equal(ed_turn_rest_new(&cfg, &r), ED_OK);
    assert_non_null(r);
    return r;
}

/* ---- known answers ------------------------------------------------------ */

static void test_kat_openssl_cli(void **state)
{
    (void)state;
    static const char *const s[] = {"north-wind-secret"};
    ed_turn_cred c;

    /* user='1700043200:alice@example.org'; secret='north-wind-secret'
     * printf '%s' "$user" | openssl dgst -sha1 -hmac "$secret" -binary | base64
     *   -> bPwEXtRvQAH1cmK3iZkojmv30o0=
     * printf '%s' "$user" | openssl dgst -sha256 -hmac "$secret" -binary | base64
     *   -> XjqWW2GNqAeWPdcya4XOwABoAdNRyxUOXkV9wGKJ7fQ= */
    ed_turn_rest *r = make(s, 1, ED_HMAC_SHA1, ED_TURN_USER_JID, 0, 43200);
    assert_int_equal(ed_turn_rest_mint(r, "alice@example.org", 1700000000, &c), ED_OK);
    assert_string_equal(c.username, "1700043200:alice@example.org");
    assert_string_equal(c.password, "bPwEXtRvQAH1cmK3iZkojmv30o0=");
    assert_int_equal(c.expires, 1700043200);
    assert_int_equal(ed_turn_rest_verify(r, c.username, c.password, 1700000000), ED_OK);
    ed_turn_rest_free(r);

    r = make(s, 1, ED_HMAC_SHA256, ED_TURN_USER_JID, 0, 43200);
    assert_int_equal(ed_turn_rest_mint(r, "alice@example.org", 1700000000, &c), ED_OK);
    assert_string_equal(c.password, "XjqWW2GNqAeWPdcya4XOwABoAdNRyxUOXkV9wGKJ7fQ=");
    assert_int_equal(strlen(c.password), 44);
    ed_turn_rest_free(r);

    /* printf '%s' 1700043200 | openssl dgst -sha1 -hmac north-wind-secret -binary | base64
     *   -> mH9B/z4WXTdbzXUrZZmU3DCq5Fs= */
    r = make(s, 1, ED_HMAC_SHA1, ED_TURN_USER_NONE, 0, 0 /* default 43200 */);
    assert_int_equal(ed_turn_rest_ttl(r), ED_TURN_DEFAULT_TTL);
    assert_int_equal(ed_turn_rest_mint(r, "alice@example.org", 1700000000, &c), ED_OK);
    assert_string_equal(c.username, "1700043200");
    assert_string_equal(c.password, "mH9B/z4WXTdbzXUrZZmU3DCq5Fs=");
    ed_turn_rest_free(r);

    /* Token mode, token computed with the CLI only:
     * k=$(printf '%s' "extdisco user token" | openssl dgst -sha256 \
     *       -hmac north-wind-secret -binary | xxd -p -c 64)
     * printf '%s' alice@example.org | openssl dgst -sha256 -mac HMAC \
     *   -macopt hexkey:$k -binary | head -c 16 | base32 | tr A-Z a-z | tr -d =
     *   -> mzjfgo6skjtuzxk6nlfi3gn5o4
     * printf '%s' 1700043200:mzjfgo6skjtuzxk6nlfi3gn5o4 | openssl dgst -sha1 \
     *   -hmac north-wind-secret -binary | base64
     *   -> Ylre4W/dFKRNZHxyP6MMWj2uNhI= */
    r = make(s, 1, ED_HMAC_SHA1, ED_TURN_USER_TOKEN, 0, 43200);
    char tok[27];
    assert_int_equal(ed_turn_rest_user_token(r, "alice@example.org", tok), 26);
    assert_string_equal(tok, "mzjfgo6skjtuzxk6nlfi3gn5o4");
    assert_int_equal(ed_turn_rest_mint(r, "alice@example.org", 1700000000, &c), ED_OK);
    assert_string_equal(c.username, "1700043200:mzjfgo6skjtuzxk6nlfi3gn5o4");
    assert_string_equal(c.password, "Ylre4W/dFKRNZHxyP6MMWj2uNhI=");
    ed_turn_rest_free(r);
}

/* Many users, times, secret lengths (short, exactly a block, longer than a
 * block, embedded NUL) against the one-shot reference. */
static void test_kat_reference(void **state)
{
    (void)state;
    char long_secret[200];
    for (size_t i = 0; i < sizeof long_secret - 1; i++)
        long_secret[i] = (char)('A' + i % 26);
    long_secret[sizeof long_secret - 1] = '\0';
    char block_secret[65];
    memset(block_secret, 'k', 64);
    block_secret[64] = '\0';
    const char nul_secret[] = {'a', '\0', 'b', 'c'};

    const char *secrets[] = {"x", block_secret, long_secret, nul_secret};
    const size_t lens[] = {1, 64, strlen(long_secret), sizeof nul_secret};
    const char *users[] = {"a@b", "juliet@capulet.example", "\xc3\xa9l\xc3\xa8ve@\xc3\xa9" "cole.fr",
                           NULL};
    const ed_hmac_alg algs[] = {ED_HMAC_SHA1, ED_HMAC_SHA256};

    for (size_t si = 0; si < 4; si++) {
        for (size_t ai = 0; ai < 2; ai++) {
            ed_turn_rest_config cfg = {
                .secrets = &secrets[si], .secret_lens = &lens[si], .nsecrets = 1,
                .alg = algs[ai], .ttl = 3600, .user_mode = ED_TURN_USER_JID,
            };
            ed_turn_rest *r = NULL;
            assert_int_equal(ed_turn_rest_new(&cfg, &r), ED_OK);
            for (size_t ui = 0; ui < 4; ui++) {
                for (int64_t now = 0; now < 2000000000; now += 333333333) {
                    ed_turn_cred c;
                    char want_user[600], want_pw[100];
                    assert_int_equal(ed_turn_rest_mint(r, users[ui], now, &c), ED_OK);
                    if (users[ui])
                        snprintf(want_user, sizeof want_user, "%lld:%s",
                                 (long long)(now + 3600), users[ui]);
                    else
                        snprintf(want_user, sizeof want_user, "%lld",
                                 (long long)(now + 3600));
                    assert_string_equal(c.username, want_user);
                    assert_int_equal(c.expires, now + 3600);
                    ref_password(algs[ai], secrets[si], lens[si], want_user, want_pw);
                    assert_string_equal(c.password, want_pw);
                    assert_int_equal(strlen(c.password), ai == 0 ? 28 : 44);
                    assert_int_equal(ed_turn_rest_verify(r, c.username, c.password, now),
                                     ED_OK);
                }
            }
            ed_turn_rest_free(r);
        }
    }
}

/* ---- rotation ----------------------------------------------------------- */

static void test_rotation(void **state)
{
    (void)state;
    static const char *const old_only[] = {"old-secret"};
    static const char *const rotated[] = {"new-secret", "mid-secret", "old-secret"};
    static const char *const mid_only[] = {"mid-secret"};
    ed_turn_rest *r_old = make(old_only, 1, ED_HMAC_SHA1, ED_TURN_USER_JID, 0, 600);
    ed_turn_rest *r_rot = make(rotated, 3, ED_HMAC_SHA1, ED_TURN_USER_JID, 0, 600);
    ed_turn_rest *r_mid = make(mid_only, 1, ED_HMAC_SHA1, ED_TURN_USER_JID, 0, 600);
    ed_turn_cred c_old, c_mid, c_new;
    char want[100];

    assert_int_equal(ed_turn_rest_mint(r_old, "u@example.com", 1000, &c_old), ED_OK);
    assert_int_equal(ed_turn_rest_mint(r_mid, "u@example.com", 1000, &c_mid), ED_OK);
    assert_int_equal(ed_turn_rest_mint(r_rot, "u@example.com", 1000, &c_new), ED_OK);

    /* The newest secret signs. */
    ref_password(ED_HMAC_SHA1, "new-secret", 10, c_new.username, want);
    assert_string_equal(c_new.password, want);
    assert_string_not_equal(c_new.password, c_old.password);

    /* All three verify with the rotated set. */
    assert_int_equal(ed_turn_rest_verify(r_rot, c_new.username, c_new.password, 1001), ED_OK);
    assert_int_equal(ed_turn_rest_verify(r_rot, c_mid.username, c_mid.password, 1001), ED_OK);
    assert_int_equal(ed_turn_rest_verify(r_rot, c_old.username, c_old.password, 1001), ED_OK);

    /* A server that only knows the old secret refuses the new credential. */
    assert_int_equal(ed_turn_rest_verify(r_old, c_new.username, c_new.password, 1001),
                     ED_TURN_BAD_PASSWORD);
    assert_int_equal(ed_turn_rest_verify(r_old, c_mid.username, c_mid.password, 1001),
                     ED_TURN_BAD_PASSWORD);
    assert_int_equal(ed_turn_rest_verify(r_old, c_old.username, c_old.password, 1001), ED_OK);

    /* Tampering with the username breaks the signature. */
    char tampered[ED_TURN_USERNAME_MAX + 1];
    snprintf(tampered, sizeof tampered, "%s", c_new.username);
    tampered[strlen(tampered) - 1] ^= 1;
    assert_int_equal(ed_turn_rest_verify(r_rot, tampered, c_new.password, 1001),
                     ED_TURN_BAD_PASSWORD);
    snprintf(tampered, sizeof tampered, "1601:u@example.com"); /* expiry +1 */
    assert_int_equal(ed_turn_rest_verify(r_rot, tampered, c_new.password, 1001),
                     ED_TURN_BAD_PASSWORD);

    ed_turn_rest_free(r_old);
    ed_turn_rest_free(r_rot);
    ed_turn_rest_free(r_mid);
}

/* ---- expiry ------------------------------------------------------------- */

static void test_expiry_boundaries(void **state)
{
    (void)state;
    static const char *const s[] = {"k"};
    ed_turn_rest *r = make(s, 1, ED_HMAC_SHA1, ED_TURN_USER_NONE, 0, 60);
    ed_turn_cred c;

    assert_int_equal(ed_turn_rest_mint(r, NULL, 1000, &c), ED_OK);
    assert_string_equal(c.username, "1060");
    assert_int_equal(c.expires, 1060);
    assert_int_equal(ed_turn_rest_verify(r, c.username, c.password, 0), ED_OK);
    assert_int_equal(ed_turn_rest_verify(r, c.username, c.password, 1000), ED_OK);
    assert_int_equal(ed_turn_rest_verify(r, c.username, c.password, 1059), ED_OK);
    /* Boundary: expired from the second EXPIRY itself (EXPIRY <= now). */
    assert_int_equal(ed_turn_rest_verify(r, c.username, c.password, 1060), ED_TURN_EXPIRED);
    assert_int_equal(ed_turn_rest_verify(r, c.username, c.password, 1061), ED_TURN_EXPIRED);
    /* Expiry is checked before the password. */
    assert_int_equal(ed_turn_rest_verify(r, c.username, "garbage", 1060), ED_TURN_EXPIRED);

    /* now = 0 gives EXPIRY = ttl; a negative now or an overflowing expiry is
     * a caller error. */
    assert_int_equal(ed_turn_rest_mint(r, NULL, 0, &c), ED_OK);
    assert_string_equal(c.username, "60");
    assert_int_equal(ed_turn_rest_mint(r, NULL, -1, &c), ED_EINVAL);
    assert_string_equal(c.username, "");
    assert_int_equal(ed_turn_rest_mint(r, NULL, INT64_MAX - 60, &c), ED_OK);
    assert_string_equal(c.username, "9223372036854775807");
    assert_int_equal(ed_turn_rest_verify(r, c.username, c.password, INT64_MAX - 1), ED_OK);
    assert_int_equal(ed_turn_rest_mint(r, NULL, INT64_MAX - 59, &c), ED_EINVAL);
    ed_turn_rest_free(r);
}

/* ---- username syntax ---------------------------------------------------- */

static void test_separator(void **state)
{
    (void)state;
    static const char *const s[] = {"sep-secret"};
    ed_turn_rest *r = make(s, 1, ED_HMAC_SHA1, ED_TURN_USER_JID, '|', 100);
    ed_turn_rest *rc = make(s, 1, ED_HMAC_SHA1, ED_TURN_USER_JID, 0, 100);
    ed_turn_cred c;
    char want[100];

    assert_int_equal(ed_turn_rest_mint(r, "bob@example.net", 5, &c), ED_OK);
    assert_string_equal(c.username, "105|bob@example.net");
    ref_password(ED_HMAC_SHA1, "sep-secret", 10, "105|bob@example.net", want);
    assert_string_equal(c.password, want);
    assert_int_equal(ed_turn_rest_verify(r, c.username, c.password, 6), ED_OK);
    /* With ':' configured, '|' after the digits is not a separator. */
    assert_int_equal(ed_turn_rest_verify(rc, c.username, c.password, 6),
                     ED_TURN_BAD_USERNAME);
    /* and vice versa */
    assert_int_equal(ed_turn_rest_mint(rc, "bob@example.net", 5, &c), ED_OK);
    assert_string_equal(c.username, "105:bob@example.net");
    assert_int_equal(ed_turn_rest_verify(r, c.username, c.password, 6), ED_TURN_BAD_USERNAME);
    /* The user part may itself contain the separator. */
    assert_int_equal(ed_turn_rest_mint(rc, "a:b@c", 5, &c), ED_OK);
    assert_string_equal(c.username, "105:a:b@c");
    assert_int_equal(ed_turn_rest_verify(rc, c.username, c.password, 6), ED_OK);
    ed_turn_rest_free(r);
    ed_turn_rest_free(rc);

    /* Digits, control characters and space cannot be separators. */
    const char bad[] = {'0', '7', ' ', '\n', (char)0x80};
    for (size_t i = 0; i < sizeof bad; i++) {
        ed_turn_rest_config cfg = {.secrets = s, .nsecrets = 1, .separator = bad[i]};
        ed_turn_rest *x = (ed_turn_rest *)&cfg; /* must be reset to NULL */
        assert_int_equal(ed_turn_rest_new(&cfg, &x), ED_EINVAL);
        assert_null(x);
    }
}

static void test_verify_bad_input(void **state)
{
    (void)state;
    static const char *const s[] = {"v"};
    ed_turn_rest *r = make(s, 1, ED_HMAC_SHA1, ED_TURN_USER_JID, 0, 100);
    ed_turn_cred c;
    assert_int_equal(ed_turn_rest_mint(r, "x@y", 1000, &c), ED_OK);

    const char *bad_users[] = {"", ":x@y", "abc", "12a:x", "1100 ", "-1100",
                               "+1100", "99999999999999999999", "9223372036854775808",
                               "1100;x@y"};
    for (size_t i = 0; i < sizeof bad_users / sizeof *bad_users; i++)
        assert_int_equal(ed_turn_rest_verify(r, bad_users[i], c.password, 0),
                         ED_TURN_BAD_USERNAME);
    assert_int_equal(ed_turn_rest_verify(r, NULL, c.password, 0), ED_TURN_BAD_USERNAME);

    char huge[ED_TURN_USERNAME_MAX + 10];
    memset(huge, '1', sizeof huge - 1);
    huge[sizeof huge - 1] = '\0';
    assert_int_equal(ed_turn_rest_verify(r, huge, c.password, 0), ED_TURN_BAD_USERNAME);

    /* Bare expiry with a leading zero still parses (it is not ours, so the
     * password is wrong). */
    assert_int_equal(ed_turn_rest_verify(r, "01100:x@y", c.password, 0), ED_TURN_BAD_PASSWORD);

    assert_int_equal(ed_turn_rest_verify(r, c.username, NULL, 0), ED_TURN_BAD_PASSWORD);
    assert_int_equal(ed_turn_rest_verify(r, c.username, "", 0), ED_TURN_BAD_PASSWORD);
    char pw[ED_TURN_PASSWORD_MAX + 8];
    snprintf(pw, sizeof pw, "%s", c.password);
    pw[27] = '\0'; /* truncated */
    assert_int_equal(ed_turn_rest_verify(r, c.username, pw, 0), ED_TURN_BAD_PASSWORD);
    snprintf(pw, sizeof pw, "%sA", c.password); /* one too long */
    assert_int_equal(ed_turn_rest_verify(r, c.username, pw, 0), ED_TURN_BAD_PASSWORD);
    snprintf(pw, sizeof pw, "%s", c.password);
    pw[3] = pw[3] == 'A' ? 'B' : 'A';
    assert_int_equal(ed_turn_rest_verify(r, c.username, pw, 0), ED_TURN_BAD_PASSWORD);
    assert_int_equal(ed_turn_rest_verify(r, c.username, c.password, 0), ED_OK);
    assert_int_equal(ed_turn_rest_verify(NULL, c.username, c.password, 0), ED_EINVAL);
    ed_turn_rest_free(r);
}

static void test_username_limit(void **state)
{
    (void)state;
    static const char *const s[] = {"limit"};
    /* now + ttl = 1000000000: 10 digits, 1 separator, so 502 user bytes fit
     * the 513-byte STUN limit exactly. */
    ed_turn_rest *r = make(s, 1, ED_HMAC_SHA1, ED_TURN_USER_JID, 0, 1);
    ed_turn_cred c;
    char user[4000];

    memset(user, 'u', sizeof user);
    user[502] = '\0';
    assert_int_equal(ed_turn_rest_mint(r, user, 999999999, &c), ED_OK);
    assert_int_equal(strlen(c.username), ED_TURN_USERNAME_MAX);
    assert_int_equal(ed_turn_rest_verify(r, c.username, c.password, 999999999), ED_OK);

    user[502] = 'u';
    user[503] = '\0';
    assert_int_equal(ed_turn_rest_mint(r, user, 999999999, &c), ED_ELIMIT);
    assert_string_equal(c.username, "");
    assert_string_equal(c.password, "");
    /* One digit fewer in the expiry makes room again. */
    assert_int_equal(ed_turn_rest_mint(r, user, 99999999, &c), ED_OK);
    assert_int_equal(strlen(c.username), ED_TURN_USERNAME_MAX);

    memset(user, 'u', sizeof user);
    user[sizeof user - 1] = '\0'; /* 3999 bytes: past any JID */
    assert_int_equal(ed_turn_rest_mint(r, user, 1, &c), ED_ELIMIT);
    assert_int_equal(ed_turn_rest_mint(r, "", 1, &c), ED_EINVAL);
    assert_int_equal(ed_turn_rest_mint(NULL, "a@b", 1, &c), ED_EINVAL);
    assert_int_equal(ed_turn_rest_mint(r, "a@b", 1, NULL), ED_EINVAL);
    ed_turn_rest_free(r);

    /* In TOKEN mode a long (but valid-length) JID still gives 46 bytes. */
    r = make(s, 1, ED_HMAC_SHA1, ED_TURN_USER_TOKEN, 0, 1);
    user[3000] = '\0';
    assert_int_equal(ed_turn_rest_mint(r, user, 999999999, &c), ED_OK);
    assert_int_equal(strlen(c.username), 10 + 1 + 26);
    user[3000] = 'u';
    assert_int_equal(ed_turn_rest_mint(r, user, 999999999, &c), ED_ELIMIT);
    ed_turn_rest_free(r);
}

/* ---- tokens ------------------------------------------------------------- */

static void test_token(void **state)
{
    (void)state;
    static const char *const one[] = {"oldest"};
    static const char *const two[] = {"newer", "oldest"};
    static const char *const other[] = {"another"};
    ed_turn_rest *r1 = make(one, 1, ED_HMAC_SHA1, ED_TURN_USER_TOKEN, 0, 100);
    ed_turn_rest *r1b = make(one, 1, ED_HMAC_SHA256, ED_TURN_USER_TOKEN, '-', 5);
    ed_turn_rest *r2 = make(two, 2, ED_HMAC_SHA1, ED_TURN_USER_TOKEN, 0, 100);
    ed_turn_rest *ro = make(other, 1, ED_HMAC_SHA1, ED_TURN_USER_TOKEN, 0, 100);
    char t1[27], t1b[27], t2[27], to[27], tu[27], want[27];

    assert_int_equal(ed_turn_rest_user_token(r1, "romeo@montague.lit", t1), 26);
    ref_token_derived("oldest", "romeo@montague.lit", want);
    assert_string_equal(t1, want);
    for (size_t i = 0; i < 26; i++)
        assert_true((t1[i] >= 'a' && t1[i] <= 'z') || (t1[i] >= '2' && t1[i] <= '7'));
    /* Stable across objects, algorithms and the rotation of newer secrets. */
    assert_int_equal(ed_turn_rest_user_token(r1b, "romeo@montague.lit", t1b), 26);
    assert_int_equal(ed_turn_rest_user_token(r2, "romeo@montague.lit", t2), 26);
    assert_string_equal(t1, t1b);
    assert_string_equal(t1, t2);
    assert_int_equal(ed_turn_rest_user_token(r1, "romeo@montague.lit", t1b), 26);
    assert_string_equal(t1, t1b);
    /* Another oldest secret, another token; another user, another token. */
    assert_int_equal(ed_turn_rest_user_token(ro, "romeo@montague.lit", to), 26);
    assert_string_not_equal(t1, to);
    assert_int_equal(ed_turn_rest_user_token(r1, "juliet@capulet.lit", tu), 26);
    assert_string_not_equal(t1, tu);
    ref_token_derived("oldest", "juliet@capulet.lit", want);
    assert_string_equal(tu, want);

    /* The username carries the token, and the password signs it. */
    ed_turn_cred c;
    char expect[100], pw[100];
    assert_int_equal(ed_turn_rest_mint(r2, "romeo@montague.lit", 1000, &c), ED_OK);
    snprintf(expect, sizeof expect, "1100:%s", t1);
    assert_string_equal(c.username, expect);
    ref_password(ED_HMAC_SHA1, "newer", 5, expect, pw);
    assert_string_equal(c.password, pw);
    assert_int_equal(ed_turn_rest_verify(r2, c.username, c.password, 1000), ED_OK);
    assert_null(strstr(c.username, "romeo"));

    /* Bad input gives no token. */
    strcpy(to, "x");
    assert_int_equal(ed_turn_rest_user_token(r1, "", to), 0);
    assert_string_equal(to, "");
    assert_int_equal(ed_turn_rest_user_token(r1, NULL, to), 0);
    assert_int_equal(ed_turn_rest_user_token(NULL, "a@b", to), 0);
    assert_int_equal(ed_turn_rest_user_token(r1, "a@b", NULL), 0);

    ed_turn_rest_free(r1);
    ed_turn_rest_free(r1b);
    ed_turn_rest_free(r2);
    ed_turn_rest_free(ro);

    /* An explicit token key. */
    ed_turn_rest_config cfg = {
        .secrets = one, .nsecrets = 1, .user_mode = ED_TURN_USER_TOKEN,
        .token_key = "token-key\0tail", .token_key_len = 14,
    };
    ed_turn_rest *rk = NULL;
    assert_int_equal(ed_turn_rest_new(&cfg, &rk), ED_OK);
    assert_int_equal(ed_turn_rest_user_token(rk, "romeo@montague.lit", tu), 26);
    ref_token("token-key\0tail", 14, "romeo@montague.lit", want);
    assert_string_equal(tu, want);
    assert_string_not_equal(tu, t1);
    ed_turn_rest_free(rk);
    cfg.token_key_len = 0; /* NUL-terminated */
    assert_int_equal(ed_turn_rest_new(&cfg, &rk), ED_OK);
    assert_int_equal(ed_turn_rest_user_token(rk, "romeo@montague.lit", tu), 26);
    ref_token("token-key", 9, "romeo@montague.lit", want);
    assert_string_equal(tu, want);
    ed_turn_rest_free(rk);
    cfg.token_key = "";
    assert_int_equal(ed_turn_rest_new(&cfg, &rk), ED_EINVAL);
    assert_null(rk);
}

/* ---- configuration ------------------------------------------------------ */

static void test_config_errors(void **state)
{
    (void)state;
    static const char *const ok[] = {"a", "b"};
    static const char *const with_empty[] = {"a", ""};
    static const char *const with_null[] = {"a", NULL};
    const size_t zero_len[] = {1, 0};
    ed_turn_rest *r = NULL;
    ed_turn_rest_config cfg = {.secrets = ok, .nsecrets = 0};

    assert_int_equal(ed_turn_rest_new(&cfg, &r), ED_TURN_NO_SECRET);
    assert_null(r);
    cfg.secrets = NULL;
    assert_int_equal(ed_turn_rest_new(&cfg, &r), ED_TURN_NO_SECRET);
    cfg.nsecrets = 2;
    assert_int_equal(ed_turn_rest_new(&cfg, &r), ED_EINVAL);
    cfg.secrets = with_empty;
    assert_int_equal(ed_turn_rest_new(&cfg, &r), ED_EINVAL);
    cfg.secrets = with_null;
    assert_int_equal(ed_turn_rest_new(&cfg, &r), ED_EINVAL);
    cfg.secrets = ok;
    cfg.secret_lens = zero_len;
    assert_int_equal(ed_turn_rest_new(&cfg, &r), ED_EINVAL);
    cfg.secret_lens = NULL;
    cfg.alg = (ed_hmac_alg)7;
    assert_int_equal(ed_turn_rest_new(&cfg, &r), ED_EINVAL);
    cfg.alg = ED_HMAC_SHA1;
    cfg.user_mode = (ed_turn_user_mode)9;
    assert_int_equal(ed_turn_rest_new(&cfg, &r), ED_EINVAL);
    cfg.user_mode = ED_TURN_USER_NONE;
    cfg.ttl = -1;
    assert_int_equal(ed_turn_rest_new(&cfg, &r), ED_EINVAL);
    cfg.ttl = 0;
    assert_int_equal(ed_turn_rest_new(NULL, &r), ED_EINVAL);
    assert_int_equal(ed_turn_rest_new(&cfg, NULL), ED_EINVAL);

    const char *many[100];
    for (size_t i = 0; i < 100; i++)
        many[i] = "s";
    cfg.secrets = many;
    cfg.nsecrets = 100;
    assert_int_equal(ed_turn_rest_new(&cfg, &r), ED_ELIMIT);
    cfg.nsecrets = 64;
    assert_int_equal(ed_turn_rest_new(&cfg, &r), ED_OK);
    ed_turn_rest_free(r);
    ed_turn_rest_free(NULL);

    /* The library copies the secrets: the caller's buffer may change. */
    char buf[] = "mutable-secret";
    const char *sv[] = {buf};
    cfg.secrets = sv;
    cfg.nsecrets = 1;
    r = NULL;
    assert_int_equal(ed_turn_rest_new(&cfg, &r), ED_OK);
    memset(buf, 'X', sizeof buf - 1);
    ed_turn_cred c;
    char want[100];
    assert_int_equal(ed_turn_rest_mint(r, NULL, 10, &c), ED_OK);
    ref_password(ED_HMAC_SHA1, "mutable-secret", 14, c.username, want);
    assert_string_equal(c.password, want);
    ed_turn_rest_free(r);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_kat_openssl_cli),
        cmocka_unit_test(test_kat_reference),
        cmocka_unit_test(test_rotation),
        cmocka_unit_test(test_expiry_boundaries),
        cmocka_unit_test(test_separator),
        cmocka_unit_test(test_verify_bad_input),
        cmocka_unit_test(test_username_limit),
        cmocka_unit_test(test_token),
        cmocka_unit_test(test_config_errors),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
