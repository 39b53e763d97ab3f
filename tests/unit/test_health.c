/* Unit tests of daemon/health/health_state.c: the fall/rise state machine
 * (unknown -> up on the first success, up -> down after `fall` failures in
 * a row and not before, a success in between restarts the count, down ->
 * up after `rise` successes in a row) and the served set with fail open
 * per type (all of one type down: all of that type served and marked fail
 * open; another type unaffected; one back up ends it); the names reserved
 * for examples and tests that are never checked. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdbool.h>
#include <string.h>

#include "health/health_int.h"

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
    const char *types[] = { "stun", "turn", "turn", "turns" };
    edd_health_state st[4] = { EDD_HEALTH_UP, EDD_HEALTH_DOWN, EDD_HEALTH_UP,
                               EDD_HEALTH_UNKNOWN };
    bool served[4], fo[4];
    edd_health_compute_served(4, st, types, served, fo);
    assert_true(served[0]);
    assert_false(served[1]);  /* down, another turn is up */
    assert_true(served[2]);
    assert_true(served[3]);   /* unknown is served */
    for (int i = 0; i < 4; i++)
        assert_false(fo[i]);

    st[2] = EDD_HEALTH_DOWN;  /* every turn down: fail open */
    edd_health_compute_served(4, st, types, served, fo);
    assert_true(served[1] && served[2]);
    assert_true(fo[1] && fo[2]);
    assert_false(fo[0] || fo[3]);

    st[0] = EDD_HEALTH_DOWN;  /* the only stun down: fail open for it too */
    edd_health_compute_served(4, st, types, served, fo);
    assert_true(served[0] && fo[0]);

    st[2] = EDD_HEALTH_UP;    /* one turn back: the other one is left out */
    edd_health_compute_served(4, st, types, served, fo);
    assert_false(served[1]);
    assert_false(fo[1] || fo[2]);
    assert_true(served[2]);
    assert_string_equal(edd_health_state_name(EDD_HEALTH_DOWN), "down");
    assert_string_equal(edd_health_state_name(EDD_HEALTH_UNKNOWN), "unknown");
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
        cmocka_unit_test(unknown_up_on_first_success),
        cmocka_unit_test(fall_counts_failures_in_a_row),
        cmocka_unit_test(unknown_down_after_fall),
        cmocka_unit_test(rise_counts_successes_in_a_row),
        cmocka_unit_test(served_and_fail_open),
        cmocka_unit_test(reserved_names),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
