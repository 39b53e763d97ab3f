/* tests/unit/test_service_view.c — the client-side service view: results,
 * type-filtered results, credentials merges, push sequences (add, modify,
 * delete, remove), malformed pushes rejected all-or-nothing, refresh times. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "extdisco/extdisco.h"
#include "extdisco/service_view.h"

#define NOW 1800000000LL /* 2027-01-15T08:00:00Z */

static ed_elem *parse(const char *xml)
{
    ed_elem *e = NULL;
    assert_int_equal(ed_xml_parse(xml, strlen(xml), NULL, &e), ED_OK);
    assert_non_null(e);
    return e;
}

static ed_err apply_result(ed_service_view *v, const char *xml, size_t *skipped)
{
    ed_elem *e = parse(xml);
    ed_err err = ed_service_view_apply_result(v, e, NOW, skipped);
    ed_elem_free(e);
    return err;
}

static ed_err apply_push_at(ed_service_view *v, const char *xml, int64_t now,
                            ed_view_change **ch, size_t *nch)
{
    ed_elem *e = parse(xml);
    ed_err err = ed_service_view_apply_push(v, e, now, ch, nch);
    ed_elem_free(e);
    return err;
}

static ed_err apply_push(ed_service_view *v, const char *xml)
{
    return apply_push_at(v, xml, NOW, NULL, NULL);
}

/* A canonical one-line dump of the view, to compare whole views. */
static char *dump(const ed_service_view *v)
{
    size_t cap = 8192, len = 0;
    char *s = calloc(1, cap);
    for (size_t i = 0; i < ed_service_view_count(v); i++) {
        const ed_service *x = ed_service_view_get(v, i);
        len += (size_t)snprintf(s + len, cap - len, "%s|%s|%d|%s|%s|%s|%s|%lld|%d;",
                                x->type, x->host, x->port,
                                x->transport ? x->transport : "-",
                                x->name ? x->name : "-",
                                x->username ? x->username : "-",
                                x->password ? x->password : "-",
                                (long long)x->expires, x->restricted);
        assert_true(len < cap);
    }
    return s;
}

static const char *const INITIAL =
    "<services xmlns='urn:xmpp:extdisco:2'>"
    "<service type='stun' host='stun.example.org' port='3478' transport='udp'/>"
    "<service type='turn' host='turn.example.org' port='3478' transport='udp'"
    " username='1800086400:u' password='p1' expires='2027-01-16T08:00:00Z'"
    " restricted='1'/>"
    "<service type='turn' host='turn.example.org' port='3478' transport='tcp'"
    " username='1800086400:u' password='p1' expires='2027-01-16T08:00:00Z'/>"
    "<service type='turns' host='turn.example.org' port='5349' transport='tcp'/>"
    "</services>";

static ed_service_view *loaded(void)
{
    ed_service_view *v = ed_service_view_new();
    assert_non_null(v);
    size_t skipped = 99;
    assert_int_equal(apply_result(v, INITIAL, &skipped), ED_OK);
    assert_int_equal(skipped, 0);
    assert_int_equal(ed_service_view_count(v), 4);
    return v;
}

static void test_result_replaces(void **st)
{
    (void)st;
    ed_service_view *v = loaded();
    const ed_service *t = ed_service_view_get(v, 1);
    assert_string_equal(t->type, "turn");
    assert_int_equal(t->restricted, 1);
    assert_int_equal(t->expires, NOW + 86400);
    assert_null(ed_service_view_get(v, 4));
    /* A second result replaces everything; a malformed entry is skipped. */
    size_t skipped = 0;
    assert_int_equal(apply_result(v,
        "<services xmlns='urn:xmpp:extdisco:1'>"
        "<service type='stun' host='a.example' port='3478'/>"
        "<service type='stun' port='3478'/>"           /* no host */
        "<service type='turn' host='b.example' port='99999'/>" /* bad port */
        "<unknown/>"
        "</services>", &skipped), ED_OK);
    assert_int_equal(skipped, 2);
    assert_int_equal(ed_service_view_count(v), 1);
    assert_string_equal(ed_service_view_get(v, 0)->host, "a.example");
    ed_service_view_free(v);
}

static void test_result_type_filter(void **st)
{
    (void)st;
    ed_service_view *v = loaded();
    /* type='turn' replaces only the turn entries. */
    assert_int_equal(apply_result(v,
        "<services xmlns='urn:xmpp:extdisco:2' type='turn'>"
        "<service type='turn' host='new.example' port='3479' transport='udp'/>"
        "</services>", NULL), ED_OK);
    char *d = dump(v);
    assert_non_null(strstr(d, "stun|stun.example.org"));
    assert_non_null(strstr(d, "turns|turn.example.org"));
    assert_non_null(strstr(d, "turn|new.example|3479"));
    assert_null(strstr(d, "turn|turn.example.org"));
    assert_int_equal(ed_service_view_count(v), 3);
    free(d);
    ed_service_view_free(v);
}

static void test_result_not_services(void **st)
{
    (void)st;
    ed_service_view *v = loaded();
    char *before = dump(v);
    assert_int_equal(apply_result(v, "<services xmlns='urn:other'/>", NULL),
                     ED_SVC_NOT_EXTDISCO);
    assert_int_equal(apply_result(v, "<credentials xmlns='urn:xmpp:extdisco:2'/>",
                                  NULL), ED_SVC_NOT_EXTDISCO);
    char *after = dump(v);
    assert_string_equal(before, after);
    free(before);
    free(after);
    ed_service_view_free(v);
}

static void test_push_add_modify_delete(void **st)
{
    (void)st;
    ed_service_view *v = loaded();
    ed_view_change *ch = NULL;
    size_t nch = 0;
    assert_int_equal(apply_push_at(v,
        "<services xmlns='urn:xmpp:extdisco:2'>"
        "<service action='add' type='stun' host='stun2.example.org' port='3478' transport='udp'/>"
        "<service action='modify' type='turn' host='TURN.example.org' port='3478'"
        " transport='udp' name='Relay' username='u2' password='p2'"
        " expires='2027-01-15T09:00:00Z'/>"
        "<service action='delete' type='turns' host='turn.example.org' port='5349' transport='tcp'/>"
        "</services>", NOW + 10, &ch, &nch), ED_OK);
    assert_int_equal(nch, 3);
    assert_int_equal(ch[0].action, ED_ACTION_ADD);
    assert_string_equal(ch[0].svc.host, "stun2.example.org");
    assert_int_equal(ch[1].action, ED_ACTION_MODIFY);
    assert_string_equal(ch[1].svc.username, "u2");
    assert_int_equal(ch[2].action, ED_ACTION_DELETE);
    assert_string_equal(ch[2].svc.type, "turns");
    ed_view_changes_free(ch, nch);
    assert_int_equal(ed_service_view_count(v), 4);
    char *d = dump(v);
    assert_null(strstr(d, "turns|"));
    assert_non_null(strstr(d, "stun|stun2.example.org|3478|udp"));
    assert_non_null(strstr(d, "turn|TURN.example.org|3478|udp|Relay|u2|p2"));
    free(d);
    /* The modified entry's credentials arrived at NOW + 10. */
    for (size_t i = 0; i < ed_service_view_count(v); i++)
        if (strcmp(ed_service_view_get(v, i)->username ? ed_service_view_get(v, i)->username : "", "u2") == 0)
            assert_int_equal(ed_service_view_received(v, i), NOW + 10);
    ed_service_view_free(v);
}

static void test_push_remove_spelling_and_loose_delete(void **st)
{
    (void)st;
    ed_service_view *v = loaded();
    /* 'remove' (XEP table) deletes like 'delete'; no port/transport given
     * matches both turn entries of that host. */
    ed_view_change *ch = NULL;
    size_t nch = 0;
    assert_int_equal(apply_push_at(v,
        "<services xmlns='urn:xmpp:extdisco:2'>"
        "<service action='remove' type='turn' host='turn.example.org'/>"
        "</services>", NOW, &ch, &nch), ED_OK);
    assert_int_equal(nch, 2);
    assert_int_equal(ch[0].action, ED_ACTION_DELETE);
    assert_int_equal(ch[1].action, ED_ACTION_DELETE);
    ed_view_changes_free(ch, nch);
    assert_int_equal(ed_service_view_count(v), 2);
    char *d = dump(v);
    assert_null(strstr(d, "turn|turn.example.org"));
    free(d);
    /* Deleting something unknown changes nothing and is not an error. */
    char *before = dump(v);
    assert_int_equal(apply_push_at(v,
        "<services xmlns='urn:xmpp:extdisco:2'>"
        "<service action='delete' type='stun' host='nowhere.example' port='1'/>"
        "</services>", NOW, &ch, &nch), ED_OK);
    assert_int_equal(nch, 0);
    ed_view_changes_free(ch, nch);
    char *after = dump(v);
    assert_string_equal(before, after);
    free(before);
    free(after);
    ed_service_view_free(v);
}

static void test_push_add_existing_is_modify(void **st)
{
    (void)st;
    ed_service_view *v = loaded();
    ed_view_change *ch = NULL;
    size_t nch = 0;
    /* No action attribute means add; same identity -> modify in place.
     * A modify without credentials keeps the held ones. */
    assert_int_equal(apply_push_at(v,
        "<services xmlns='urn:xmpp:extdisco:2'>"
        "<service type='turn' host='turn.example.org' port='3478' transport='tcp' name='TCP relay'/>"
        "<service action='modify' type='stun' host='fresh.example' port='3478' transport='udp'/>"
        "</services>", NOW + 100, &ch, &nch), ED_OK);
    assert_int_equal(nch, 2);
    assert_int_equal(ch[0].action, ED_ACTION_MODIFY);
    assert_int_equal(ch[1].action, ED_ACTION_ADD); /* modify of unknown */
    ed_view_changes_free(ch, nch);
    assert_int_equal(ed_service_view_count(v), 5);
    char *d = dump(v);
    assert_non_null(strstr(d, "turn|turn.example.org|3478|tcp|TCP relay|1800086400:u|p1|"));
    free(d);
    ed_service_view_free(v);
}

/* A modify that omits port and/or transport updates every entry agreeing
 * on what it gives (service_view.h), keeping each entry's own port and
 * transport; it adds no entry without port/transport. */
static void test_push_loose_modify(void **st)
{
    (void)st;
    ed_service_view *v = loaded();
    ed_view_change *ch = NULL;
    size_t nch = 0;
    /* no port, no transport: both turn entries of turn.example.org */
    assert_int_equal(apply_push_at(v,
        "<services xmlns='urn:xmpp:extdisco:2'>"
        "<service action='modify' type='turn' host='TURN.example.org' name='R'"
        " username='u2' password='p2' expires='2027-01-15T10:00:00Z'/>"
        "</services>", NOW + 5, &ch, &nch), ED_OK);
    assert_int_equal(nch, 2);
    for (size_t i = 0; i < nch; i++) {
        assert_int_equal(ch[i].action, ED_ACTION_MODIFY);
        assert_int_equal(ch[i].svc.port, 3478);
        assert_non_null(ch[i].svc.transport);
        assert_string_equal(ch[i].svc.username, "u2");
    }
    ed_view_changes_free(ch, nch);
    assert_int_equal(ed_service_view_count(v), 4);
    char *d = dump(v);
    assert_non_null(strstr(d, "turn|TURN.example.org|3478|udp|R|u2|p2|1800007200|"));
    assert_non_null(strstr(d, "turn|TURN.example.org|3478|tcp|R|u2|p2|1800007200|"));
    /* the stun and turns entries are untouched */
    assert_non_null(strstr(d, "stun|stun.example.org|3478|udp|-|-|-|0|"));
    assert_non_null(strstr(d, "turns|turn.example.org|5349|tcp|-|-|-|0|"));
    free(d);
    assert_int_equal(ed_service_view_received(v, 1), NOW + 5);
    assert_int_equal(ed_service_view_received(v, 2), NOW + 5);
    assert_int_equal(ed_service_view_received(v, 0), NOW);

    /* port given, no transport, no credentials: both transports, held
     * credentials kept */
    assert_int_equal(apply_push_at(v,
        "<services xmlns='urn:xmpp:extdisco:2'>"
        "<service action='modify' type='turn' host='turn.example.org' port='3478' name='S'/>"
        "</services>", NOW + 9, &ch, &nch), ED_OK);
    assert_int_equal(nch, 2);
    ed_view_changes_free(ch, nch);
    d = dump(v);
    assert_non_null(strstr(d, "turn|turn.example.org|3478|udp|S|u2|p2|1800007200|"));
    assert_non_null(strstr(d, "turn|turn.example.org|3478|tcp|S|u2|p2|1800007200|"));
    free(d);
    assert_int_equal(ed_service_view_received(v, 1), NOW + 5);

    /* transport given, no port: only the tcp entry */
    assert_int_equal(apply_push_at(v,
        "<services xmlns='urn:xmpp:extdisco:2'>"
        "<service action='modify' type='turn' host='turn.example.org' transport='TCP'"
        " username='u3' password='p3'/>"
        "</services>", NOW + 20, &ch, &nch), ED_OK);
    assert_int_equal(nch, 1);
    assert_string_equal(ch[0].svc.transport, "TCP");
    assert_int_equal(ch[0].svc.port, 3478);
    ed_view_changes_free(ch, nch);
    d = dump(v);
    assert_non_null(strstr(d, "turn|turn.example.org|3478|udp|S|u2|p2|"));
    assert_non_null(strstr(d, "turn|turn.example.org|3478|TCP|-|u3|p3|0|"));
    free(d);
    assert_int_equal(ed_service_view_count(v), 4);

    /* a loose modify that matches nothing is an add (as documented) */
    assert_int_equal(apply_push_at(v,
        "<services xmlns='urn:xmpp:extdisco:2'>"
        "<service action='modify' type='turn' host='other.example'/>"
        "</services>", NOW, &ch, &nch), ED_OK);
    assert_int_equal(nch, 1);
    assert_int_equal(ch[0].action, ED_ACTION_ADD);
    ed_view_changes_free(ch, nch);
    assert_int_equal(ed_service_view_count(v), 5);
    ed_service_view_free(v);
}

/* Each malformed push must leave the view byte-for-byte as it was, even
 * when valid entries precede the bad one. */
static void test_malformed_pushes_rejected(void **st)
{
    (void)st;
    static const struct {
        const char *xml;
        ed_err want;
    } bad[] = {
        {"<services xmlns='urn:xmpp:extdisco:2'>"
         "<service action='delete' type='stun' host='stun.example.org' port='3478' transport='udp'/>"
         "<service action='add' type='turn' port='3478'/>"
         "</services>", ED_SVC_MISSING_HOST},
        {"<services xmlns='urn:xmpp:extdisco:2'>"
         "<service action='add' type='stun' host='x.example' port='3478'/>"
         "<service action='add' host='y.example' port='3478'/>"
         "</services>", ED_SVC_MISSING_TYPE},
        {"<services xmlns='urn:xmpp:extdisco:2'>"
         "<service action='add' type='stun' host='x.example' port='3478'/>"
         "<service action='add' type='stun' host='y.example' port='65536'/>"
         "</services>", ED_SVC_BAD_PORT},
        {"<services xmlns='urn:xmpp:extdisco:2'>"
         "<service action='delete' type='turns' host='turn.example.org' port='5349' transport='tcp'/>"
         "<service action='purge' type='stun' host='stun.example.org' port='3478'/>"
         "</services>", ED_SVC_BAD_ACTION},
        {"<services xmlns='urn:xmpp:extdisco:2'>"
         "<service action='modify' type='turn' host='turn.example.org' port='3478'"
         " transport='udp' expires='tomorrow'/>"
         "</services>", ED_SVC_BAD_EXPIRES},
        {"<services xmlns='urn:xmpp:extdisco:2'>"
         "<service action='add' type='stun' host='x.example' restricted='yes'/>"
         "</services>", ED_SVC_BAD_BOOLEAN},
        {"<services xmlns='urn:xmpp:extdisco:2'>"
         "<service action='add' type='st un' host='x.example'/>"
         "</services>", ED_SVC_BAD_TYPE},
        {"<services xmlns='urn:xmpp:extdisco:2'>"
         "<service action='add' type='stun' host='bad host!'/>"
         "</services>", ED_SVC_BAD_HOST},
        {"<services xmlns='urn:xmpp:extdisco:2'>"
         "<service action='add' type='stun' host='x.example' transport='u d p'/>"
         "</services>", ED_SVC_BAD_TRANSPORT},
        {"<services xmlns='urn:xmpp:wrong'>"
         "<service action='delete' type='stun' host='stun.example.org'/>"
         "</services>", ED_SVC_NOT_EXTDISCO},
        {"<credentials xmlns='urn:xmpp:extdisco:2'>"
         "<service action='delete' type='stun' host='stun.example.org'/>"
         "</credentials>", ED_SVC_NOT_EXTDISCO},
    };
    ed_service_view *v = loaded();
    char *before = dump(v);
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        ed_view_change *ch = (ed_view_change *)1;
        size_t nch = 99;
        ed_err err = apply_push_at(v, bad[i].xml, NOW + 1, &ch, &nch);
        if (err != bad[i].want)
            fail_msg("push %zu: got %d (%s), want %d", i, err, ed_strerror(err),
                     bad[i].want);
        assert_null(ch);
        assert_int_equal(nch, 0);
        char *after = dump(v);
        assert_string_equal(before, after);
        free(after);
        for (size_t j = 0; j < ed_service_view_count(v); j++)
            assert_int_equal(ed_service_view_received(v, j), NOW);
    }
    free(before);
    /* The view still works after the rejections. */
    assert_int_equal(apply_push(v,
        "<services xmlns='urn:xmpp:extdisco:2'>"
        "<service action='delete' type='stun' host='stun.example.org' port='3478' transport='udp'/>"
        "</services>"), ED_OK);
    assert_int_equal(ed_service_view_count(v), 3);
    ed_service_view_free(v);
}

static void test_push_limit(void **st)
{
    (void)st;
    ed_service_view *v = ed_service_view_new();
    /* Fill to the limit with one push, then one more add must fail and
     * leave the view at the limit. */
    size_t cap = 64 * (ED_VIEW_MAX_SERVICES + 2) + 64;
    char *xml = malloc(cap);
    size_t len = (size_t)snprintf(xml, cap, "<services xmlns='urn:xmpp:extdisco:2'>");
    for (int i = 0; i < ED_VIEW_MAX_SERVICES; i++)
        len += (size_t)snprintf(xml + len, cap - len,
                                "<service type='stun' host='h%d.example' port='1'/>", i);
    snprintf(xml + len, cap - len, "</services>");
    assert_int_equal(apply_push(v, xml), ED_OK);
    assert_int_equal(ed_service_view_count(v), ED_VIEW_MAX_SERVICES);
    assert_int_equal(apply_push(v,
        "<services xmlns='urn:xmpp:extdisco:2'>"
        "<service action='delete' type='stun' host='h0.example' port='1'/>"
        "<service type='stun' host='one.example' port='1'/>"
        "<service type='stun' host='two.example' port='1'/>"
        "</services>"), ED_ELIMIT);
    assert_int_equal(ed_service_view_count(v), ED_VIEW_MAX_SERVICES);
    assert_string_equal(ed_service_view_get(v, 0)->host, "h0.example");
    free(xml);
    ed_service_view_free(v);
}

static void test_refresh_times(void **st)
{
    (void)st;
    ed_service_view *v = loaded();
    /* turn entries: 24 h lifetime received at NOW -> refresh at NOW + 12 h. */
    assert_int_equal(ed_service_view_refresh_at(v, 0), 0); /* stun, no expires */
    assert_int_equal(ed_service_view_refresh_at(v, 1), NOW + 43200);
    assert_int_equal(ed_service_view_next_refresh(v), NOW + 43200);
    assert_int_equal(ed_service_view_refresh_at(v, 99), 0);
    /* 8 minute lifetime: half is 240 s, under the 300 s floor. */
    assert_int_equal(apply_push_at(v,
        "<services xmlns='urn:xmpp:extdisco:2'>"
        "<service action='modify' type='turn' host='turn.example.org' port='3478'"
        " transport='udp' username='u' password='p' expires='2027-01-15T08:18:00Z'/>"
        "</services>", NOW + 600, NULL, NULL), ED_OK);
    size_t idx = 99;
    for (size_t i = 0; i < ed_service_view_count(v); i++)
        if (ed_service_view_get(v, i)->username &&
            strcmp(ed_service_view_get(v, i)->username, "u") == 0)
            idx = i;
    assert_true(idx < 99);
    assert_int_equal(ed_service_view_refresh_at(v, idx), NOW + 600 + 300);
    assert_int_equal(ed_service_view_next_refresh(v), NOW + 900);
    /* A configurable floor. */
    assert_int_equal(ed_service_view_set_floor(v, 60), ED_OK);
    assert_int_equal(ed_service_view_refresh_at(v, idx), NOW + 600 + 240);
    assert_int_equal(ed_service_view_set_floor(v, -1), ED_EINVAL);
    /* A floor of 0 would make an expired entry due again at once, every
     * time: refused, the floor stays. */
    assert_int_equal(ed_service_view_set_floor(v, 0), ED_EINVAL);
    assert_int_equal(ed_service_view_refresh_at(v, idx), NOW + 600 + 240);
    /* Already expired: refresh after the floor, not in a loop. */
    assert_int_equal(ed_service_view_set_floor(v, 300), ED_OK);
    assert_int_equal(apply_push_at(v,
        "<services xmlns='urn:xmpp:extdisco:2'>"
        "<service action='modify' type='turn' host='turn.example.org' port='3478'"
        " transport='udp' username='u' password='p' expires='2027-01-15T07:00:00Z'/>"
        "</services>", NOW, NULL, NULL), ED_OK);
    assert_int_equal(ed_service_view_refresh_at(v, idx), NOW + 300);
    ed_service_view_free(v);
}

static void test_credentials_merge(void **st)
{
    (void)st;
    ed_service_view *v = loaded();
    ed_elem *e = parse(
        "<credentials xmlns='urn:xmpp:extdisco:2'>"
        "<service type='turn' host='turn.example.org' port='3478' transport='tcp'"
        " username='1800007200:u' password='fresh' expires='2027-01-15T10:00:00Z'"
        " restricted='true'/>"
        "<service type='turn' host='turn.example.org' port='bogus'/>"
        "</credentials>");
    size_t updated = 0;
    assert_int_equal(ed_service_view_apply_credentials(v, e, NOW + 60, &updated), ED_OK);
    ed_elem_free(e);
    assert_int_equal(updated, 1);
    const ed_service *t = ed_service_view_get(v, 2);
    assert_string_equal(t->transport, "tcp");
    assert_string_equal(t->password, "fresh");
    assert_int_equal(t->expires, NOW + 7200);
    assert_int_equal(t->restricted, 1);
    assert_int_equal(ed_service_view_received(v, 2), NOW + 60);
    /* The udp entry is untouched. */
    assert_string_equal(ed_service_view_get(v, 1)->password, "p1");
    assert_int_equal(ed_service_view_refresh_at(v, 2), NOW + 60 + 3570);
    ed_service_view_free(v);
}

static void test_push_reply(void **st)
{
    (void)st;
    ed_elem *iq = parse("<iq xmlns='jabber:client' type='set' id='p1' from='example.org'"
                        " to='u@example.org/r'><services xmlns='urn:xmpp:extdisco:2'/></iq>");
    ed_elem *ok = ed_service_view_push_reply(iq, ED_OK);
    assert_non_null(ok);
    assert_string_equal(ed_elem_attr(ok, "type"), "result");
    assert_string_equal(ed_elem_attr(ok, "id"), "p1");
    assert_string_equal(ed_elem_attr(ok, "to"), "example.org");
    ed_elem *bad = ed_service_view_push_reply(iq, ED_SVC_BAD_PORT);
    assert_string_equal(ed_elem_attr(bad, "type"), "error");
    ed_elem *er = ed_elem_child(bad, "error", NULL);
    assert_non_null(er);
    assert_non_null(ed_elem_child(er, "bad-request", ED_NS_STANZAS));
    ed_elem_free(ok);
    ed_elem_free(bad);
    ed_elem_free(iq);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_result_replaces),
        cmocka_unit_test(test_result_type_filter),
        cmocka_unit_test(test_result_not_services),
        cmocka_unit_test(test_push_add_modify_delete),
        cmocka_unit_test(test_push_remove_spelling_and_loose_delete),
        cmocka_unit_test(test_push_add_existing_is_modify),
        cmocka_unit_test(test_push_loose_modify),
        cmocka_unit_test(test_malformed_pushes_rejected),
        cmocka_unit_test(test_push_limit),
        cmocka_unit_test(test_refresh_times),
        cmocka_unit_test(test_credentials_merge),
        cmocka_unit_test(test_push_reply),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
