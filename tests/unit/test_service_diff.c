/* tests/unit/test_service_diff.c — ed_service_diff: add, modify, delete,
 * type filter, order, identical sets, credential-only changes. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "extdisco/extdisco.h"

static void mk(ed_service *s, const char *type, const char *host, int port,
               const char *transport, const char *name)
{
    ed_service_init(s);
    s->type = strdup(type);
    s->host = strdup(host);
    s->port = port;
    s->transport = transport ? strdup(transport) : NULL;
    s->name = name ? strdup(name) : NULL;
}

/* old: stun udp, turn udp, turn tcp, turns tcp */
static ed_service *old_set(size_t *n)
{
    ed_service *v = calloc(4, sizeof *v);
    mk(&v[0], "stun", "stun.example.org", 3478, "udp", NULL);
    mk(&v[1], "turn", "turn.example.org", 3478, "udp", "Relay");
    mk(&v[2], "turn", "turn.example.org", 3478, "tcp", "Relay");
    mk(&v[3], "turns", "turn.example.org", 5349, "tcp", NULL);
    v[1].username = strdup("1:u");
    v[1].password = strdup("p1");
    v[1].expires = 100;
    *n = 4;
    return v;
}

static ed_service *copy_set(const ed_service *v, size_t n)
{
    ed_service *c = calloc(n + 2, sizeof *c); /* room to append */
    for (size_t i = 0; i < n; i++)
        assert_int_equal(ed_service_copy(&c[i], &v[i]), ED_OK);
    return c;
}

static void test_identical(void **st)
{
    (void)st;
    size_t n;
    ed_service *a = old_set(&n);
    ed_service *b = copy_set(a, n);
    /* New credentials every mint are not a change. */
    free(b[1].username);
    free(b[1].password);
    b[1].username = strdup("2:u");
    b[1].password = strdup("p2");
    b[1].expires = 200;
    ed_service *out = (ed_service *)1;
    size_t nout = 99;
    assert_int_equal(ed_service_diff(a, n, b, n, NULL, &out, &nout), ED_OK);
    assert_int_equal(nout, 0);
    assert_null(out);
    /* Host case differences are the same service. */
    free(b[0].host);
    b[0].host = strdup("STUN.Example.ORG");
    assert_int_equal(ed_service_diff(a, n, b, n, NULL, &out, &nout), ED_OK);
    assert_int_equal(nout, 0);
    /* Empty to empty. */
    assert_int_equal(ed_service_diff(NULL, 0, NULL, 0, NULL, &out, &nout), ED_OK);
    assert_int_equal(nout, 0);
    ed_services_free(a, n);
    ed_services_free(b, n);
}

static void test_add_modify_delete_order(void **st)
{
    (void)st;
    size_t n;
    ed_service *a = old_set(&n);
    ed_service *b = copy_set(a, n);
    /* nw: [stun(new port 3479), turn udp (renamed), turn tcp, turns tcp] minus
     * turns tcp, plus a new turn on 443 — so: stun 3478 deleted, stun 3479
     * added, turn udp modified, turns deleted, turn 443 added. */
    b[0].port = 3479;
    free(b[1].name);
    b[1].name = strdup("Relay (EU)");
    ed_service_clear(&b[3]);
    mk(&b[3], "turn", "turn.example.org", 443, "tcp", NULL);
    ed_service *out = NULL;
    size_t nout = 0;
    assert_int_equal(ed_service_diff(a, n, b, n, NULL, &out, &nout), ED_OK);
    assert_int_equal(nout, 5);
    /* adds/modifies in nw order */
    assert_int_equal(out[0].action, ED_ACTION_ADD);
    assert_string_equal(out[0].type, "stun");
    assert_int_equal(out[0].port, 3479);
    assert_int_equal(out[1].action, ED_ACTION_MODIFY);
    assert_string_equal(out[1].name, "Relay (EU)");
    assert_string_equal(out[1].username, "1:u"); /* copied as given */
    assert_int_equal(out[2].action, ED_ACTION_ADD);
    assert_int_equal(out[2].port, 443);
    /* then deletes in old order, identity only */
    assert_int_equal(out[3].action, ED_ACTION_DELETE);
    assert_string_equal(out[3].type, "stun");
    assert_int_equal(out[3].port, 3478);
    assert_string_equal(out[3].transport, "udp");
    assert_int_equal(out[4].action, ED_ACTION_DELETE);
    assert_string_equal(out[4].type, "turns");
    assert_int_equal(out[4].port, 5349);
    assert_null(out[4].name);
    assert_null(out[4].username);

    /* The inputs are untouched. */
    assert_int_equal(a[0].action, ED_ACTION_NONE);
    assert_int_equal(b[1].action, ED_ACTION_NONE);

    /* It pushes as expected. */
    ed_elem *push = ed_xep0215_push("example.org", "juliet@example.org/balcony",
                                    "push1", 2, NULL, NULL, out, nout);
    assert_non_null(push);
    char *s = ed_xml_to_string(push, ED_NS_CLIENT);
    assert_string_equal(s,
        "<iq from='example.org' id='push1' to='juliet@example.org/balcony' type='set'>"
        "<services xmlns='urn:xmpp:extdisco:2'>"
        "<service action='add' type='stun' host='stun.example.org' port='3479' transport='udp'/>"
        "<service action='modify' type='turn' host='turn.example.org' port='3478' transport='udp' "
        "name='Relay (EU)' username='1:u' password='p1' expires='1970-01-01T00:01:40Z'/>"
        "<service action='add' type='turn' host='turn.example.org' port='443' transport='tcp'/>"
        "<service action='delete' type='stun' host='stun.example.org' port='3478' transport='udp'/>"
        "<service action='delete' type='turns' host='turn.example.org' port='5349' transport='tcp'/>"
        "</services></iq>");
    free(s);
    ed_elem_free(push);
    ed_services_free(out, nout);
    ed_services_free(a, n);
    ed_services_free(b, n);
}

static void test_type_filter(void **st)
{
    (void)st;
    size_t n;
    ed_service *a = old_set(&n);
    ed_service *b = copy_set(a, n);
    b[0].port = 3479;               /* stun changes: not for a turn push */
    free(b[2].name);                /* turn tcp renamed */
    b[2].name = strdup("Relay TCP");
    ed_service *out = NULL;
    size_t nout = 0;
    assert_int_equal(ed_service_diff(a, n, b, n, "turn", &out, &nout), ED_OK);
    assert_int_equal(nout, 1);
    assert_int_equal(out[0].action, ED_ACTION_MODIFY);
    assert_string_equal(out[0].transport, "tcp");
    ed_services_free(out, nout);

    assert_int_equal(ed_service_diff(a, n, b, n, "stun", &out, &nout), ED_OK);
    assert_int_equal(nout, 2);
    assert_int_equal(out[0].action, ED_ACTION_ADD);
    assert_int_equal(out[1].action, ED_ACTION_DELETE);
    ed_services_free(out, nout);

    /* A filter nothing matches. */
    assert_int_equal(ed_service_diff(a, n, b, n, "ftp", &out, &nout), ED_OK);
    assert_int_equal(nout, 0);
    ed_services_free(a, n);
    ed_services_free(b, n);
}

static void test_all_new_all_gone(void **st)
{
    (void)st;
    size_t n;
    ed_service *a = old_set(&n);
    ed_service *out = NULL;
    size_t nout = 0;
    assert_int_equal(ed_service_diff(NULL, 0, a, n, NULL, &out, &nout), ED_OK);
    assert_int_equal(nout, 4);
    for (size_t i = 0; i < nout; i++) {
        assert_int_equal(out[i].action, ED_ACTION_ADD);
        assert_true(ed_service_same_content(&out[i], &a[i]));
    }
    ed_services_free(out, nout);
    assert_int_equal(ed_service_diff(a, n, NULL, 0, NULL, &out, &nout), ED_OK);
    assert_int_equal(nout, 4);
    for (size_t i = 0; i < nout; i++) {
        assert_int_equal(out[i].action, ED_ACTION_DELETE);
        assert_true(ed_service_same_identity(&out[i], &a[i]));
    }
    ed_services_free(out, nout);

    /* A duplicate identity in a set is one service. */
    ed_service *d = copy_set(a, n);
    assert_int_equal(ed_service_copy(&d[n], &a[0]), ED_OK);
    assert_int_equal(ed_service_diff(NULL, 0, d, n + 1, NULL, &out, &nout), ED_OK);
    assert_int_equal(nout, 4);
    ed_services_free(out, nout);
    assert_int_equal(ed_service_diff(d, n + 1, NULL, 0, NULL, &out, &nout), ED_OK);
    assert_int_equal(nout, 4);
    ed_services_free(out, nout);
    ed_services_free(d, n + 1);

    assert_int_equal(ed_service_diff(a, n, NULL, 0, NULL, NULL, &nout), ED_EINVAL);
    assert_int_equal(ed_service_diff(NULL, 2, a, n, NULL, &out, &nout), ED_EINVAL);
    ed_services_free(a, n);
}

static void test_restricted_and_form_changes(void **st)
{
    (void)st;
    size_t n;
    ed_service *a = old_set(&n);
    ed_service *b = copy_set(a, n);
    b[3].restricted = 1;
    b[0].form = calloc(1, sizeof *b[0].form);
    ed_service *out = NULL;
    size_t nout = 0;
    assert_int_equal(ed_service_diff(a, n, b, n, NULL, &out, &nout), ED_OK);
    assert_int_equal(nout, 2);
    assert_int_equal(out[0].action, ED_ACTION_MODIFY);
    assert_string_equal(out[0].type, "stun");
    assert_non_null(out[0].form);
    assert_int_equal(out[1].action, ED_ACTION_MODIFY);
    assert_string_equal(out[1].type, "turns");
    ed_services_free(out, nout);
    ed_services_free(a, n);
    ed_services_free(b, n);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_identical),
        cmocka_unit_test(test_add_modify_delete_order),
        cmocka_unit_test(test_type_filter),
        cmocka_unit_test(test_all_new_all_gone),
        cmocka_unit_test(test_restricted_and_form_changes),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
