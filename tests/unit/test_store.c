/* Unit tests of the standalone server's account side: daemon/c2s/store_sqlite.c
 * (accounts, rosters, schema version), daemon/c2s/sasl.c (SCRAM-SHA-1/256 and
 * PLAIN against stored keys, driven by libgsasl's own client; fake salts
 * from a persistent secret), daemon/c2s/throttle.c, and a database locked by
 * another connection (short wait, then fail fast). */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <gsasl.h>
#include <sqlite3.h>

#include "c2s/sasl.h"
#include "c2s/store.h"
#include "c2s/throttle.h"

static char dbpath[64];

static int setup(void **state)
{
    snprintf(dbpath, sizeof dbpath, "/tmp/ed-test-store-%d.sqlite", (int)getpid());
    unlink(dbpath);
    char err[256];
    edd_store *st = edd_store_open(dbpath, err, sizeof err);
    assert_non_null(st);
    *state = st;
    return 0;
}

static int teardown(void **state)
{
    edd_store_close(*state);
    unlink(dbpath);
    return 0;
}

static void accounts(void **state)
{
    edd_store *st = *state;
    edd_account a, b;
    assert_true(edd_sasl_make_account("s3cret", 1000, &a));
    assert_int_equal(a.iter, 1000);
    assert_int_equal(edd_store_account_get(st, "alice", &b), 0);
    assert_int_equal(edd_store_account_put(st, "alice", &a, false), 0); /* no such user */
    assert_int_equal(edd_store_account_put(st, "alice", &a, true), 1);
    assert_int_equal(edd_store_account_put(st, "alice", &a, true), 0);  /* exists */
    assert_int_equal(edd_store_account_get(st, "alice", &b), 1);
    assert_memory_equal(&a, &b, sizeof a);
    assert_true(edd_sasl_check_password(&b, "s3cret"));
    assert_false(edd_sasl_check_password(&b, "s3cret "));
    assert_false(edd_sasl_check_password(&b, ""));
    /* the password itself is nowhere in the database file */
    FILE *f = fopen(dbpath, "rb");
    assert_non_null(f);
    char buf[65536];
    size_t n = fread(buf, 1, sizeof buf, f);
    fclose(f);
    assert_null(memmem(buf, n, "s3cret", 6));
    /* passwd */
    edd_account c;
    assert_true(edd_sasl_make_account("other", 0, &c));
    assert_int_equal(c.iter, EDD_SASL_DEFAULT_ITER);
    assert_string_not_equal(c.salt, a.salt);
    assert_int_equal(edd_store_account_put(st, "alice", &c, false), 1);
    assert_int_equal(edd_store_account_get(st, "alice", &b), 1);
    assert_true(edd_sasl_check_password(&b, "other"));
    assert_false(edd_sasl_check_password(&b, "s3cret"));
    assert_int_equal(edd_store_account_del(st, "alice"), 1);
    assert_int_equal(edd_store_account_del(st, "alice"), 0);
    assert_int_equal(edd_store_account_get(st, "alice", &b), 0);
}

static void roster(void **state)
{
    edd_store *st = *state;
    char *groups[] = {"Friends", "Work"};
    edd_roster_item it = {.contact = "bob@localhost", .name = "Bob", .sub = EDD_SUB_TO,
                         .ask = true, .groups = groups, .ngroups = 2};
    assert_int_equal(edd_store_roster_put(st, "alice", &it), 1);
    edd_roster_item hid = {.contact = "carol@localhost", .pending_in = true, .hidden = true};
    assert_int_equal(edd_store_roster_put(st, "alice", &hid), 1);
    edd_roster_item got;
    assert_int_equal(edd_store_roster_get(st, "alice", "bob@localhost", &got), 1);
    assert_string_equal(got.name, "Bob");
    assert_int_equal(got.sub, EDD_SUB_TO);
    assert_true(got.ask);
    assert_false(got.pending_in);
    assert_int_equal(got.ngroups, 2);
    assert_string_equal(got.groups[0], "Friends");
    assert_string_equal(got.groups[1], "Work");
    edd_roster_item_clear(&got);
    assert_int_equal(edd_store_roster_get(st, "bob", "alice@localhost", &got), 0);
    edd_roster_item *v;
    size_t n;
    assert_int_equal(edd_store_roster_list(st, "alice", &v, &n), 0);
    assert_int_equal(n, 2);
    assert_string_equal(v[0].contact, "bob@localhost");
    assert_true(v[1].hidden);
    assert_true(v[1].pending_in);
    assert_null(v[1].name);
    assert_int_equal(v[1].ngroups, 0);
    edd_roster_items_free(v, n);
    /* replace keeps one row */
    it.sub = EDD_SUB_BOTH;
    it.ask = false;
    it.ngroups = 0;
    assert_int_equal(edd_store_roster_put(st, "alice", &it), 1);
    assert_int_equal(edd_store_roster_get(st, "alice", "bob@localhost", &got), 1);
    assert_int_equal(got.sub, EDD_SUB_BOTH);
    assert_int_equal(got.ngroups, 0);
    edd_roster_item_clear(&got);
    assert_int_equal(edd_store_roster_del(st, "alice", "bob@localhost"), 1);
    assert_int_equal(edd_store_roster_del(st, "alice", "bob@localhost"), 0);
    /* deleting the account deletes its roster */
    edd_account a;
    assert_true(edd_sasl_make_account("x", 64, &a));
    assert_int_equal(edd_store_account_put(st, "alice", &a, true), 1);
    assert_int_equal(edd_store_account_del(st, "alice"), 1);
    assert_int_equal(edd_store_roster_list(st, "alice", &v, &n), 0);
    assert_int_equal(n, 0);
    free(v);
}

static void roster_limit(void **state)
{
    edd_store *st = *state;
    char jid[64];
    for (int i = 0; i < EDD_ROSTER_MAX_ITEMS; i++) {
        snprintf(jid, sizeof jid, "u%d@localhost", i);
        edd_roster_item it = {.contact = jid};
        assert_int_equal(edd_store_roster_put(st, "big", &it), 1);
    }
    edd_roster_item extra = {.contact = "one-more@localhost"};
    assert_int_equal(edd_store_roster_put(st, "big", &extra), 0); /* full */
    edd_roster_item again = {.contact = "u5@localhost", .name = "five"};
    assert_int_equal(edd_store_roster_put(st, "big", &again), 1); /* updates still work */
}

static void contact_cb(void *ud, const char *contact)
{
    struct { int *calls; char *seen; } *u = ud;
    (*u->calls)++;
    snprintf(u->seen, 64, "%s", contact);
}

/* The size budget (issue 10 item 4: limits that compose): items whose
 * result sizes add up past EDD_ROSTER_MAX_WIRE are refused; an update that
 * does not grow an item, and hidden items, always go in. */
static void roster_wire_limit(void **state)
{
    edd_store *st = *state;
    char jid[64];
    size_t each = 40000, fit = EDD_ROSTER_MAX_WIRE / each;
    for (size_t i = 0; i < fit; i++) {
        snprintf(jid, sizeof jid, "w%zu@localhost", i);
        edd_roster_item it = {.contact = jid, .wire = each};
        assert_int_equal(edd_store_roster_put(st, "wide", &it), 1);
    }
    edd_roster_item extra = {.contact = "one-more@localhost", .wire = each};
    assert_int_equal(edd_store_roster_put(st, "wide", &extra), 0);
    edd_roster_item hidden = {.contact = "asker@localhost", .hidden = true, .pending_in = true,
                             .wire = each};
    assert_int_equal(edd_store_roster_put(st, "wide", &hidden), 1);
    edd_roster_item same = {.contact = "w0@localhost", .sub = EDD_SUB_TO, .wire = each};
    assert_int_equal(edd_store_roster_put(st, "wide", &same), 1); /* not larger */
    edd_roster_item grow = {.contact = "w0@localhost", .wire = each * 2};
    assert_int_equal(edd_store_roster_put(st, "wide", &grow), 0);
    /* the contacts by subscription: only w0 has "to" */
    int calls = 0;
    char seen[64] = "";
    struct { int *calls; char *seen; } ud = {&calls, seen};
    assert_int_equal(edd_store_roster_contacts(st, "wide", EDD_SUB_TO, contact_cb, &ud), 0);
    assert_int_equal(calls, 1);
    assert_string_equal(seen, "w0@localhost");
    calls = 0;
    assert_int_equal(edd_store_roster_contacts(st, "wide", EDD_SUB_FROM, contact_cb, &ud), 0);
    assert_int_equal(calls, 0);
}

static void newer_schema_refused(void **state)
{
    edd_store_close(*state);
    sqlite3 *db;
    assert_int_equal(sqlite3_open(dbpath, &db), SQLITE_OK);
    assert_int_equal(sqlite3_exec(db, "PRAGMA user_version = 99", NULL, NULL, NULL), SQLITE_OK);
    sqlite3_close(db);
    char err[256];
    assert_null(edd_store_open(dbpath, err, sizeof err));
    assert_non_null(strstr(err, "newer"));
    *state = NULL;
}

/* --- SASL against libgsasl's client ------------------------------------------ */

static const char *client_pw;

static int client_cb(Gsasl *ctx, Gsasl_session *s, Gsasl_property p)
{
    switch (p) {
    case GSASL_AUTHID: return gsasl_property_set(s, p, "alice");
    case GSASL_PASSWORD: return gsasl_property_set(s, p, client_pw);
    default: return GSASL_NO_CALLBACK;
    }
}

/* Run one exchange; returns the server's final status and condition. */
static edd_sasl_status exchange(edd_sasl *srv, edd_store *st, const char *mech, const char *pw,
                               const char **cond)
{
    Gsasl *cctx;
    assert_int_equal(gsasl_init(&cctx), GSASL_OK);
    gsasl_callback_set(cctx, client_cb);
    client_pw = pw;
    Gsasl_session *cs;
    assert_int_equal(gsasl_client_start(cctx, mech, &cs), GSASL_OK);
    edd_sasl_conv *c = edd_sasl_start(srv, mech, true, st, "localhost", cond);
    assert_non_null(c);
    char *in = NULL, *out = NULL;
    size_t inlen = 0, outlen = 0;
    edd_sasl_status r = EDD_SASL_CONTINUE;
    for (int round = 0; round < 5 && r == EDD_SASL_CONTINUE; round++) {
        int crc = gsasl_step(cs, out, outlen, &in, &inlen);
        free(out);
        out = NULL;
        if (crc != GSASL_OK && crc != GSASL_NEEDS_MORE) {
            gsasl_free(in);
            *cond = "client-refused";
            r = EDD_SASL_FAILURE;
            break;
        }
        r = edd_sasl_step(c, in, inlen, &out, &outlen, cond);
        gsasl_free(in);
        in = NULL;
    }
    if (r == EDD_SASL_SUCCESS) {
        assert_string_equal(edd_sasl_user(c), "alice");
        /* the client verifies the server signature (mutual auth) */
        if (outlen)
            assert_int_equal(gsasl_step(cs, out, outlen, &in, &inlen), GSASL_OK);
        gsasl_free(in);
    }
    free(out);
    edd_sasl_end(c);
    gsasl_finish(cs);
    gsasl_done(cctx);
    return r;
}

static void sasl(void **state)
{
    edd_store *st = *state;
    edd_account a;
    assert_true(edd_sasl_make_account("pencil", 512, &a));
    assert_int_equal(edd_store_account_put(st, "alice", &a, true), 1);
    edd_sasl *srv = edd_sasl_new();
    assert_non_null(srv);
    const char *cond = NULL;
    static const char *const mechs[] = {"SCRAM-SHA-256", "SCRAM-SHA-1", "PLAIN"};
    for (size_t i = 0; i < 3; i++) {
        assert_int_equal(exchange(srv, st, mechs[i], "pencil", &cond), EDD_SASL_SUCCESS);
        cond = NULL;
        assert_int_equal(exchange(srv, st, mechs[i], "pen", &cond), EDD_SASL_FAILURE);
        assert_string_equal(cond, "not-authorized");
    }
    /* PLAIN is not offered without TLS */
    const char *m[3];
    assert_int_equal(edd_sasl_mechanisms(false, m), 2);
    assert_int_equal(edd_sasl_mechanisms(true, m), 3);
    assert_null(edd_sasl_start(srv, "PLAIN", false, st, "localhost", &cond));
    assert_string_equal(cond, "invalid-mechanism");
    assert_null(edd_sasl_start(srv, "DIGEST-MD5", true, st, "localhost", &cond));
    /* malformed client-first */
    edd_sasl_conv *c = edd_sasl_start(srv, "SCRAM-SHA-256", true, st, "localhost", &cond);
    char *out;
    size_t outlen;
    assert_int_equal(edd_sasl_step(c, "garbage", 7, &out, &outlen, &cond), EDD_SASL_FAILURE);
    edd_sasl_end(c);
    /* an unknown user gets a stable fake salt (no enumeration) */
    char *o1, *o2;
    size_t l1, l2;
    c = edd_sasl_start(srv, "SCRAM-SHA-256", true, st, "localhost", &cond);
    assert_int_equal(edd_sasl_step(c, "n,,n=nobody,r=abc", 17, &o1, &l1, &cond), EDD_SASL_CONTINUE);
    edd_sasl_end(c);
    c = edd_sasl_start(srv, "SCRAM-SHA-256", true, st, "localhost", &cond);
    assert_int_equal(edd_sasl_step(c, "n,,n=nobody,r=abc", 17, &o2, &l2, &cond), EDD_SASL_CONTINUE);
    edd_sasl_end(c);
    const char *s1 = memmem(o1, l1, ",s=", 3), *s2 = memmem(o2, l2, ",s=", 3);
    assert_non_null(s1);
    assert_non_null(s2);
    assert_memory_equal(s1, s2, 20);
    free(o1);
    free(o2);
    edd_sasl_free(srv);
}

static double ms_since(const struct timespec *t0)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)(t.tv_sec - t0->tv_sec) * 1e3 + (double)(t.tv_nsec - t0->tv_nsec) / 1e6;
}

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

/* Server-side time of one failed PLAIN exchange for user (ms). */
static double plain_fail_ms(edd_sasl *srv, edd_store *st, const char *user)
{
    char msg[64];
    int n = snprintf(msg, sizeof msg, "%c%s%cwrong", 0, user, 0);
    const char *cond = NULL;
    char *out = NULL;
    size_t outlen = 0;
    struct timespec t0;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    edd_sasl_conv *c = edd_sasl_start(srv, "PLAIN", true, st, "localhost", &cond);
    assert_non_null(c);
    assert_int_equal(edd_sasl_step(c, msg, (size_t)n, &out, &outlen, &cond), EDD_SASL_FAILURE);
    edd_sasl_end(c);
    double ms = ms_since(&t0);
    assert_string_equal(cond, "not-authorized");
    free(out);
    return ms;
}

/* A failed PLAIN login costs the same for an unknown user as for an
 * existing one (the same PBKDF2): medians of 15 within a factor of 2
 * (16d8f94: 8 ms against 0.4 ms). */
static void plain_timing(void **state)
{
    edd_store *st = *state;
    edd_account a;
    assert_true(edd_sasl_make_account("pencil", 0, &a)); /* the default count */
    assert_int_equal(edd_store_account_put(st, "alice", &a, true), 1);
    edd_sasl *srv = edd_sasl_new();
    assert_non_null(srv);
    enum { N = 15 };
    double known[N], unknown[N];
    for (int i = 0; i < N; i++) {
        char u[32];
        snprintf(u, sizeof u, "nobody%d", i);
        known[i] = plain_fail_ms(srv, st, "alice");
        unknown[i] = plain_fail_ms(srv, st, u);
    }
    edd_sasl_free(srv);
    qsort(known, N, sizeof *known, cmp_double);
    qsort(unknown, N, sizeof *unknown, cmp_double);
    double mk = known[N / 2], mu = unknown[N / 2];
    print_message("failed PLAIN, median of %d: existing %.3f ms, unknown %.3f ms\n", N, mk, mu);
    assert_true(mu >= mk / 2 && mu <= mk * 2);
}

/* The salt an unknown user gets in the server-first message (malloc'd). */
static char *fake_salt(edd_sasl *srv, edd_store *st, const char *user)
{
    char msg[64], *o = NULL;
    size_t l = 0;
    const char *cond = NULL;
    int n = snprintf(msg, sizeof msg, "n,,n=%s,r=abc", user);
    edd_sasl_conv *c = edd_sasl_start(srv, "SCRAM-SHA-256", true, st, "localhost", &cond);
    assert_non_null(c);
    assert_int_equal(edd_sasl_step(c, msg, (size_t)n, &o, &l, &cond), EDD_SASL_CONTINUE);
    edd_sasl_end(c);
    const char *s = memmem(o, l, ",s=", 3), *e = s ? memchr(s + 1, ',', l - (size_t)(s + 1 - o)) : NULL;
    assert_non_null(e);
    char *salt = strndup(s + 3, (size_t)(e - s - 3));
    free(o);
    return salt;
}

/* The fake salts come from a secret kept in the database: the same after
 * the daemon restarts (new edd_sasl, store reopened), different for another
 * database; the secret is created once and then never replaced. */
static void fake_salt_persistent(void **state)
{
    edd_store *st = *state;
    edd_sasl *srv = edd_sasl_new();
    char *a1 = fake_salt(srv, st, "nobody"), *b1 = fake_salt(srv, st, "other");
    assert_string_not_equal(a1, b1);
    assert_int_equal(strlen(a1), 24); /* base64 of 16 bytes, as a real salt */
    edd_sasl_free(srv);
    edd_store_close(st);
    char err[256];
    *state = st = edd_store_open(dbpath, err, sizeof err);
    assert_non_null(st);
    srv = edd_sasl_new();
    char *a2 = fake_salt(srv, st, "nobody");
    assert_string_equal(a1, a2);
    edd_sasl_free(srv);
    unsigned char fresh[32] = {1}, got[32];
    assert_int_equal(edd_store_secret(st, "scram-fake-salt-key", fresh, 32, got), 1);
    assert_memory_not_equal(fresh, got, 32); /* the stored one */
    assert_int_equal(edd_store_secret(st, "scram-fake-salt-key", fresh, 16, got), -1);

    char other[80];
    snprintf(other, sizeof other, "%s-other", dbpath);
    unlink(other);
    edd_store *st2 = edd_store_open(other, err, sizeof err);
    assert_non_null(st2);
    srv = edd_sasl_new();
    char *a3 = fake_salt(srv, st2, "nobody");
    assert_string_not_equal(a1, a3);
    edd_sasl_free(srv);
    edd_store_close(st2);
    unlink(other);
    free(a1);
    free(b1);
    free(a2);
    free(a3);
}


/* Another process holding the database (BEGIN EXCLUSIVE): a call waits at
 * most EDD_STORE_BUSY_WAIT_MS and fails as busy; the calls that follow within
 * the back-off fail at once; after the lock is gone calls work again.  The
 * bounds are generous (a loaded machine): 50 ms for the first call (5 ms
 * budget), 20 ms for the next hundred together. */
static void locked_database(void **state)
{
    edd_store *st = *state;
    edd_account a, b;
    assert_true(edd_sasl_make_account("pw", 512, &a));
    assert_int_equal(edd_store_account_put(st, "alice", &a, true), 1);
    sqlite3 *other;
    assert_int_equal(sqlite3_open(dbpath, &other), SQLITE_OK);
    assert_int_equal(sqlite3_exec(other, "BEGIN EXCLUSIVE", NULL, NULL, NULL), SQLITE_OK);
    struct timespec t0;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    assert_int_equal(edd_store_account_get(st, "alice", &b), -1);
    double first = ms_since(&t0);
    assert_true(edd_store_busy(st));
    clock_gettime(CLOCK_MONOTONIC, &t0);
    for (int i = 0; i < 100; i++) {
        assert_int_equal(edd_store_account_get(st, "alice", &b), -1);
        assert_true(edd_store_busy(st));
    }
    double next = ms_since(&t0);
    edd_roster_item *v;
    size_t n;
    assert_int_equal(edd_store_roster_list(st, "alice", &v, &n), -1);
    print_message("locked: first call failed after %.2f ms, the next 100 in %.2f ms\n", first,
                  next);
    assert_true(first >= EDD_STORE_BUSY_WAIT_MS - 1 && first < 50);
    assert_true(next < 20);
    assert_int_equal(sqlite3_exec(other, "ROLLBACK", NULL, NULL, NULL), SQLITE_OK);
    sqlite3_close(other);
    usleep((EDD_STORE_BUSY_BACKOFF_MS + 50) * 1000);
    assert_int_equal(edd_store_account_get(st, "alice", &b), 1);
    assert_false(edd_store_busy(st));
    /* extdiscoctl waits longer */
    edd_store_set_busy_wait(st, EDD_STORE_OPEN_WAIT_MS);
    assert_int_equal(edd_store_account_get(st, "alice", &b), 1);
}

static int count_rows(sqlite3 *db)
{
    sqlite3_stmt *q;
    int n = -1;
    assert_int_equal(sqlite3_prepare_v2(db, "SELECT count(*) FROM roster", -1, &q, NULL),
                     SQLITE_OK);
    if (sqlite3_step(q) == SQLITE_ROW)
        n = sqlite3_column_int(q, 0);
    sqlite3_finalize(q);
    return n;
}

/* edd_store_read_begin/_end: the reads between are one transaction (the
 * file stays share-locked from the first read to the end, so another
 * process cannot commit in between), and after the end the store's own
 * writes commit at once as before. */
static void read_transaction(void **state)
{
    edd_store *st = *state;
    edd_roster_item it = {.contact = "bob@localhost", .sub = EDD_SUB_BOTH};
    assert_int_equal(edd_store_roster_put(st, "alice", &it), 1);
    sqlite3 *other;
    assert_int_equal(sqlite3_open(dbpath, &other), SQLITE_OK);
    const char *ins = "INSERT INTO roster (user, contact) VALUES ('x', 'y@localhost')";
    edd_store_read_begin(st);
    edd_roster_item got;
    assert_int_equal(edd_store_roster_get(st, "alice", "bob@localhost", &got), 1);
    edd_roster_item_clear(&got);
    assert_int_equal(sqlite3_exec(other, ins, NULL, NULL, NULL), SQLITE_BUSY);
    edd_roster_item *v;
    size_t n;
    assert_int_equal(edd_store_roster_list(st, "alice", &v, &n), 0);
    assert_int_equal(n, 1);
    edd_roster_items_free(v, n);
    edd_store_read_end(st);
    assert_int_equal(sqlite3_exec(other, ins, NULL, NULL, NULL), SQLITE_OK);
    assert_int_equal(count_rows(other), 2);
    /* ending twice, or without a begin, does nothing */
    edd_store_read_end(st);
    edd_roster_item carol = {.contact = "carol@localhost", .sub = EDD_SUB_TO};
    assert_int_equal(edd_store_roster_put(st, "alice", &carol), 1);
    assert_int_equal(count_rows(other), 3); /* committed, seen by the other */
    /* a locked database fails the reads as usual, and the end still ends */
    assert_int_equal(sqlite3_exec(other, "BEGIN EXCLUSIVE", NULL, NULL, NULL), SQLITE_OK);
    edd_store_read_begin(st);
    assert_int_equal(edd_store_roster_get(st, "alice", "bob@localhost", &got), -1);
    assert_true(edd_store_busy(st));
    edd_store_read_end(st);
    assert_int_equal(sqlite3_exec(other, "ROLLBACK", NULL, NULL, NULL), SQLITE_OK);
    sqlite3_close(other);
    usleep((EDD_STORE_BUSY_BACKOFF_MS + 50) * 1000);
    assert_int_equal(edd_store_roster_get(st, "alice", "bob@localhost", &got), 1);
    edd_roster_item_clear(&got);
}

static void throttle(void **state)
{
    edd_throttle *t = edd_throttle_new(2);
    assert_int_equal(edd_throttle_wait(t, "192.0.2.1", 100), 0);
    for (int i = 0; i < EDD_THROTTLE_FREE; i++)
        edd_throttle_failed(t, "192.0.2.1", 100);
    assert_int_equal(edd_throttle_wait(t, "192.0.2.1", 100), 0); /* free failures */
    edd_throttle_failed(t, "192.0.2.1", 100);
    assert_int_equal(edd_throttle_wait(t, "192.0.2.1", 100), EDD_THROTTLE_BASE);
    assert_int_equal(edd_throttle_wait(t, "192.0.2.1", 101), EDD_THROTTLE_BASE - 1);
    edd_throttle_failed(t, "192.0.2.1", 102);
    assert_int_equal(edd_throttle_wait(t, "192.0.2.1", 102), 2 * EDD_THROTTLE_BASE);
    for (int i = 0; i < 40; i++)
        edd_throttle_failed(t, "192.0.2.1", 200);
    assert_int_equal(edd_throttle_wait(t, "192.0.2.1", 200), EDD_THROTTLE_MAX);
    assert_int_equal(edd_throttle_wait(t, "192.0.2.2", 200), 0); /* others unaffected */
    /* forgotten after a while, and on success */
    assert_int_equal(edd_throttle_wait(t, "192.0.2.1", 200 + EDD_THROTTLE_FORGET), 0);
    for (int i = 0; i < 5; i++)
        edd_throttle_failed(t, "192.0.2.3", 300);
    assert_true(edd_throttle_wait(t, "192.0.2.3", 300) > 0);
    edd_throttle_succeeded(t, "192.0.2.3");
    assert_int_equal(edd_throttle_wait(t, "192.0.2.3", 300), 0);
    /* bounded table: the oldest entry is replaced */
    edd_throttle_failed(t, "a", 1);
    edd_throttle_failed(t, "b", 2);
    edd_throttle_failed(t, "c", 3);
    for (int i = 0; i < 5; i++)
        edd_throttle_failed(t, "c", 3);
    assert_true(edd_throttle_wait(t, "c", 3) > 0);
    edd_throttle_free(t);
}

/* The database holds SCRAM keys: created owner-only, an older wider file is
 * narrowed, and a writable one passes the check the daemon makes after
 * dropping privileges. */
static void file_mode(void **state)
{
    edd_store *st = *state;
    struct stat sb;
    assert_int_equal(stat(dbpath, &sb), 0);
    assert_int_equal(sb.st_mode & 0777, 0600);
    char err[256];
    assert_int_equal(edd_store_check_writable(st, dbpath, err, sizeof err), 0);
    edd_store_close(st);
    assert_int_equal(chmod(dbpath, 0644), 0);
    st = edd_store_open(dbpath, err, sizeof err);
    assert_non_null(st);
    *state = st;
    assert_int_equal(stat(dbpath, &sb), 0);
    assert_int_equal(sb.st_mode & 0777, 0600);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(accounts, setup, teardown),
        cmocka_unit_test_setup_teardown(file_mode, setup, teardown),
        cmocka_unit_test_setup_teardown(roster, setup, teardown),
        cmocka_unit_test_setup_teardown(roster_limit, setup, teardown),
        cmocka_unit_test_setup_teardown(roster_wire_limit, setup, teardown),
        cmocka_unit_test_setup_teardown(newer_schema_refused, setup, teardown),
        cmocka_unit_test_setup_teardown(sasl, setup, teardown),
        cmocka_unit_test_setup_teardown(plain_timing, setup, teardown),
        cmocka_unit_test_setup_teardown(fake_salt_persistent, setup, teardown),
        cmocka_unit_test_setup_teardown(locked_database, setup, teardown),
        cmocka_unit_test_setup_teardown(read_transaction, setup, teardown),
        cmocka_unit_test(throttle),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
