/* Unit tests of daemon/health/health_state.c: the fall/rise state machine
 * (unknown -> up on the first success, up -> down after `fall` failures in
 * a row and not before, a success in between restarts the count, down ->
 * up after `rise` successes in a row) and the served set with fail open
 * per type (all of one type down: all of that type served and marked fail
 * open; another type unaffected; one back up ends it) and per network (a
 * network whose services of a type are all down gets its own, whatever
 * other networks have); the order by check latency; the names reserved
 * for examples and tests that are never checked; the jitter of the check
 * schedule. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdbool.h>
#include <stdint.h>
#include <string.h>

#include "health/health_int.h"

/* The next check: first within the first tenth of the interval (100 ms ..
 * 3.1 s), then interval ± 10 %, spread over the whole window by r. */
static void next_check_jitter(void **state)
{
    (void)state;
    int64_t lo = INT64_MAX, hi = 0, first_hi = 0;
    uint64_t x = 0x9e3779b97f4a7c15u; /* a fixed sequence (splitmix64) */
    for (int i = 0; i < 1000; i++) {
        uint64_t z = (x += 0x9e3779b97f4a7c15u);
        z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9u;
        z = (z ^ (z >> 27)) * 0x94d049bb133111ebu;
        z ^= z >> 31;
        int64_t ms = edd_hstate_next_ms(30, false, z);
        assert_true(ms >= 27000 && ms <= 33000);
        lo = ms < lo ? ms : lo;
        hi = ms > hi ? ms : hi;
        int64_t f = edd_hstate_next_ms(30, true, z);
        assert_true(f >= 100 && f < 3100);
        first_hi = f > first_hi ? f : first_hi;
    }
    /* not a fixed delay: 1,000 draws cover most of the window */
    assert_true(lo < 27600 && hi > 32400);
    assert_true(first_hi > 2500);
    /* the ends of the window, and a short interval */
    assert_int_equal(edd_hstate_next_ms(30, false, 0), 27000);
    assert_int_equal(edd_hstate_next_ms(30, false, 6000), 33000);
    assert_int_equal(edd_hstate_next_ms(2, true, 0), 100);
    assert_true(edd_hstate_next_ms(2, true, UINT64_MAX) < 300);
    assert_true(edd_hstate_next_ms(2, false, UINT64_MAX) <= 2200);
}

static void unknown_up_on_first_success(void **state)
{
    (void)state;
    edd_hstate st = { EDD_HEALTH_UNKNOWN, 0, 0 };
    assert_true(edd_hstate_step(&st, true, 3, 2));
    assert_int_equal(st.state, EDD_HEALTH_UP);
    assert_false(edd_hstate_step(&st, true, 3, 2));
    assert_int_equal(st.state, EDD_HEALTH_UP);
}

static void fall_counts_failures_in_a_row(void **state)
{
    (void)state;
    edd_hstate st = { EDD_HEALTH_UP, 5, 0 };
    assert_false(edd_hstate_step(&st, false, 3, 2));
    assert_false(edd_hstate_step(&st, false, 3, 2));
    assert_false(edd_hstate_step(&st, true, 3, 2));  /* restarts the count */
    assert_false(edd_hstate_step(&st, false, 3, 2));
    assert_false(edd_hstate_step(&st, false, 3, 2));
    assert_int_equal(st.state, EDD_HEALTH_UP);
    assert_true(edd_hstate_step(&st, false, 3, 2));
    assert_int_equal(st.state, EDD_HEALTH_DOWN);
    assert_int_equal(st.fails, 3);
    assert_false(edd_hstate_step(&st, false, 3, 2)); /* stays down, no change */
}

static void unknown_down_after_fall(void **state)
{
    (void)state;
    edd_hstate st = { EDD_HEALTH_UNKNOWN, 0, 0 };
    assert_false(edd_hstate_step(&st, false, 2, 2));
    assert_int_equal(st.state, EDD_HEALTH_UNKNOWN);
    assert_true(edd_hstate_step(&st, false, 2, 2));
    assert_int_equal(st.state, EDD_HEALTH_DOWN);
}

static void rise_counts_successes_in_a_row(void **state)
{
    (void)state;
    edd_hstate st = { EDD_HEALTH_DOWN, 0, 7 };
    assert_false(edd_hstate_step(&st, true, 3, 3));
    assert_false(edd_hstate_step(&st, true, 3, 3));
    assert_false(edd_hstate_step(&st, false, 3, 3)); /* restarts */
    assert_int_equal(st.state, EDD_HEALTH_DOWN);
    assert_false(edd_hstate_step(&st, true, 3, 3));
    assert_false(edd_hstate_step(&st, true, 3, 3));
    assert_true(edd_hstate_step(&st, true, 3, 3));
    assert_int_equal(st.state, EDD_HEALTH_UP);
    /* fall 1 / rise 1 */
    assert_true(edd_hstate_step(&st, false, 1, 1));
    assert_true(edd_hstate_step(&st, true, 1, 1));
}

static void served_and_fail_open(void **state)
{
    (void)state;
    /* stun, turn, turn, turns; no networks: one scope (no network) */
    const unsigned tids[] = { 0, 1, 1, 3 };
    const uint64_t masks[4] = { 0, 0, 0, 0 };
    const uint64_t ALL = EDD_NETSCOPE_NONE;
    edd_health_state st[4] = { EDD_HEALTH_UP, EDD_HEALTH_DOWN, EDD_HEALTH_UP,
                               EDD_HEALTH_UNKNOWN };
    bool served[4];
    uint64_t sm[4], fo[4];
    edd_health_compute_served(4, st, tids, masks, 0, served, sm, fo);
    assert_true(served[0]);
    assert_false(served[1]);  /* down, another turn is up */
    assert_true(served[2]);
    assert_true(served[3]);   /* unknown is served */
    for (int i = 0; i < 4; i++) {
        assert_true(fo[i] == 0);
        assert_true(sm[i] == 0);
    }

    st[2] = EDD_HEALTH_DOWN;  /* every turn down: fail open */
    edd_health_compute_served(4, st, tids, masks, 0, served, sm, fo);
    assert_true(served[1] && served[2]);
    assert_true(fo[1] == ALL && fo[2] == ALL);
    assert_true(sm[1] == 0 && sm[2] == 0); /* to everyone, as configured */
    assert_false(fo[0] || fo[3]);

    st[0] = EDD_HEALTH_DOWN;  /* the only stun down: fail open for it too */
    edd_health_compute_served(4, st, tids, masks, 0, served, sm, fo);
    assert_true(served[0] && fo[0]);

    st[2] = EDD_HEALTH_UP;    /* one turn back: the other one is left out */
    edd_health_compute_served(4, st, tids, masks, 0, served, sm, fo);
    assert_false(served[1]);
    assert_false(fo[1] || fo[2]);
    assert_true(served[2]);
    assert_string_equal(edd_health_state_name(EDD_HEALTH_DOWN), "down");
    assert_string_equal(edd_health_state_name(EDD_HEALTH_UNKNOWN), "unknown");
}

/* Fail open per network: networks internal (bit 0) and public (bit 1).
 * The internal network's only TURN is dead while the public one works:
 * internal clients get their own dead one (before: the public TURN being
 * up left internal clients with no TURN at all). */
static void fail_open_per_network(void **state)
{
    (void)state;
    enum { INTERNAL = 1, PUBLIC = 2 };
    /* 0: turn internal, 1: turn public, 2: stun everyone, 3: turn everyone */
    const unsigned tids[] = { 0, 0, 2, 0 };
    uint64_t masks[4] = { INTERNAL, PUBLIC, 0, INTERNAL | PUBLIC };
    edd_health_state st[4] = { EDD_HEALTH_DOWN, EDD_HEALTH_UP, EDD_HEALTH_UP,
                               EDD_HEALTH_DOWN };
    bool served[4];
    uint64_t sm[4], fo[4];
    edd_health_compute_served(4, st, tids, masks, 2, served, sm, fo);
    assert_true(served[0]);
    assert_true(fo[0] == INTERNAL && sm[0] == INTERNAL);
    assert_true(served[1] && sm[1] == PUBLIC && fo[1] == 0);
    /* offered to both, dead: fails open for internal only, where every
     * TURN is dead; public clients have a live one */
    assert_true(served[3] && fo[3] == INTERNAL && sm[3] == INTERNAL);
    assert_true(edd_netscope_allows(sm[3], 0));
    assert_false(edd_netscope_allows(sm[3], 1));
    assert_false(edd_netscope_allows(sm[3], -1));

    /* the public TURN dies too: everything fails open where offered, with
     * the configured masks */
    st[1] = EDD_HEALTH_DOWN;
    edd_health_compute_served(4, st, tids, masks, 2, served, sm, fo);
    for (int i = 0; i < 4; i++)
        assert_true(served[i]);
    assert_true(sm[0] == INTERNAL && sm[1] == PUBLIC && sm[3] == (INTERNAL | PUBLIC));
    assert_true(fo[3] == (INTERNAL | PUBLIC));

    /* a TURN for everyone (mask 0), dead, beside a live internal one:
     * served to the public network and to clients of no network only */
    uint64_t m2[2] = { INTERNAL, 0 };
    const unsigned t2[] = { 0, 0 };
    edd_health_state s2[2] = { EDD_HEALTH_UP, EDD_HEALTH_DOWN };
    edd_health_compute_served(2, s2, t2, m2, 2, served, sm, fo);
    assert_true(served[0] && sm[0] == INTERNAL);
    assert_true(served[1] && sm[1] == (PUBLIC | EDD_NETSCOPE_NONE));
    assert_false(edd_netscope_allows(sm[1], 0));
    assert_true(edd_netscope_allows(sm[1], 1));
    assert_true(edd_netscope_allows(sm[1], -1));
    assert_true(edd_health_scopes(0, 2) == (INTERNAL | PUBLIC | EDD_NETSCOPE_NONE));
    assert_true(edd_health_scopes(0, 63) == ~UINT64_C(0));
}

/* The order by latency: per type, in the positions that type has in the
 * configuration; measured fastest first, then not measured, then failing,
 * then down; configuration order among equals. */
static void order_by_latency(void **state)
{
    (void)state;
    /* 0 stun, 1 turn, 2 turn, 3 stun, 4 turn, 5 turn, 6 turn */
    const unsigned tids[] = { 0, 1, 1, 0, 1, 1, 1 };
    edd_hrank rank[7] = { EDD_HRANK_MEASURED, EDD_HRANK_UNMEASURED, EDD_HRANK_MEASURED,
                          EDD_HRANK_MEASURED, EDD_HRANK_MEASURED, EDD_HRANK_FAILING,
                          EDD_HRANK_MEASURED };
    long lat[7] = { 30, -1, 40, 5, 12, 1, 12 };
    size_t order[7];
    edd_health_order(7, tids, rank, lat, order);
    /* stuns in positions 0 and 3: 3 (5 ms) then 0 (30 ms); turns in 1, 2,
     * 4, 5, 6: 4 and 6 (12 ms, config order), 2 (40 ms), 1 (unmeasured),
     * 5 (failing, although its last good latency was 1 ms) */
    const size_t want[7] = { 3, 4, 6, 0, 2, 1, 5 };
    for (int i = 0; i < 7; i++)
        assert_int_equal(order[i], want[i]);

    /* latencies swap: the order follows */
    lat[4] = 50;
    lat[2] = 3;
    edd_health_order(7, tids, rank, lat, order);
    const size_t want2[7] = { 3, 2, 6, 0, 4, 1, 5 };
    for (int i = 0; i < 7; i++)
        assert_int_equal(order[i], want2[i]);

    /* nothing measured: configuration order exactly */
    for (int i = 0; i < 7; i++)
        rank[i] = EDD_HRANK_UNMEASURED;
    edd_health_order(7, tids, rank, lat, order);
    for (int i = 0; i < 7; i++)
        assert_int_equal(order[i], (size_t)i);
    rank[0] = EDD_HRANK_DOWN; /* a down stun after the other */
    edd_health_order(7, tids, rank, lat, order);
    assert_int_equal(order[0], 3);
    assert_int_equal(order[3], 0);
    edd_health_order(0, tids, rank, lat, order); /* nothing: no access */
}

static void reserved_names(void **state)
{
    (void)state;
    assert_true(edd_health_reserved_name("turn.example.org"));
    assert_true(edd_health_reserved_name("EXAMPLE.COM"));
    assert_true(edd_health_reserved_name("a.b.example.net."));
    assert_true(edd_health_reserved_name("turn.internal.example"));
    assert_true(edd_health_reserved_name("sa.test"));
    assert_true(edd_health_reserved_name("x.invalid"));
    assert_false(edd_health_reserved_name("notexample.org"));
    assert_false(edd_health_reserved_name("example.org.uk"));
    assert_false(edd_health_reserved_name("turn.example.de"));
    assert_false(edd_health_reserved_name("localhost"));
    assert_false(edd_health_reserved_name("127.0.0.1"));
    assert_false(edd_health_reserved_name("testing"));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(next_check_jitter),
        cmocka_unit_test(unknown_up_on_first_success),
        cmocka_unit_test(fall_counts_failures_in_a_row),
        cmocka_unit_test(unknown_down_after_fall),
        cmocka_unit_test(rise_counts_successes_in_a_row),
        cmocka_unit_test(served_and_fail_open),
        cmocka_unit_test(fail_open_per_network),
        cmocka_unit_test(order_by_latency),
        cmocka_unit_test(reserved_names),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
