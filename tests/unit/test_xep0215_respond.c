/* tests/unit/test_xep0215_respond.c — XEP-0215 server side: the responder
 * (services and credentials replies, every error condition and the cause
 * its outcome names, which refusal wins, who is recorded for pushes, the
 * outcome of every reply checked against the reply itself, credentials
 * that cannot be minted), materialisation of service definitions for a
 * requester (all, none or only static credentials).  The codec side (the
 * XEP's examples, request parsing, pushes) is in test_xep0215.c; the cost
 * of parse + respond is measured by bench/bench_lib, not here. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "extdisco/extdisco.h"

/* 2026-11-22T10:00:00Z; TURN REST ttl 86400 gives expiry 1795428000. */
#define NOW 1795341600
#define JULIET_USER "1795428000:juliet@example.org"
#define JULIET_PASS "ICWhqVmqnG5QuRVbV8Hha99em2U=" /* HMAC-SHA1("s3cret", user) */
#define EXPIRY_STR "2026-11-23T10:00:00Z"

static ed_elem *parse(const char *xml)
{
    ed_elem *e = NULL;
    ed_err err = ed_xml_parse(xml, strlen(xml), NULL, &e);
    if (err)
        fail_msg("parse failed (%s): %s", ed_strerror(err), xml);
    return e;
}

static ed_turn_rest *rest;
static ed_service_def set[5];
static size_t nset = 5;
static ed_jid *juliet;

static void mkdef(ed_service_def *d, const char *type, const char *host, int port,
                  const char *transport, const ed_turn_rest *r)
{
    ed_service_init(&d->svc);
    d->svc.type = strdup(type);
    d->svc.host = strdup(host);
    d->svc.port = port;
    d->svc.transport = strdup(transport);
    d->rest = r;
}

static int setup(void **st)
{
    (void)st;
    static const char *const secrets[] = {"s3cret", "older"};
    ed_turn_rest_config cfg = {.secrets = secrets, .nsecrets = 2, .ttl = 86400,
                               .user_mode = ED_TURN_USER_JID};
    if (ed_turn_rest_new(&cfg, &rest))
        return -1;
    mkdef(&set[0], "stun", "stun.example.org", 3478, "udp", NULL);
    mkdef(&set[1], "turn", "turn.example.org", 3478, "udp", rest);
    mkdef(&set[2], "turn", "turn.example.org", 3478, "tcp", rest);
    mkdef(&set[3], "turns", "turn.example.org", 5349, "tcp", rest);
    mkdef(&set[4], "ftp", "ftp.example.org", 21, "tcp", NULL);
    set[4].svc.name = strdup("File Server");
    set[4].svc.names = calloc(1, sizeof *set[4].svc.names);
    set[4].svc.names[0].lang = strdup("de");
    set[4].svc.names[0].text = strdup("Dateiserver");
    set[4].svc.nnames = 1;
    set[4].svc.username = strdup("guest");
    set[4].svc.password = strdup("guest");
    return ed_jid_parse("juliet@example.org/balcony", 26, &juliet) ? -1 : 0;
}

static int teardown(void **st)
{
    (void)st;
    for (size_t i = 0; i < nset; i++)
        ed_service_clear(&set[i].svc);
    ed_turn_rest_free(rest);
    ed_jid_free(juliet);
    return 0;
}

#define REQ_HEAD "<iq xmlns='jabber:client' from='juliet@example.org/balcony' id='r1' " \
                 "to='example.org' "

/* The outcome of the last respond_as(), its strings copied (the request
 * they borrow from is freed by then). */
static ed_xep0215_outcome last;
static char last_type[64], last_lang[64];

static const char *keep(char *buf, size_t len, const char *s)
{
    if (!s)
        return NULL;
    snprintf(buf, len, "%s", s);
    return buf;
}

/* The outcome says what the reply says: a result exactly for RESULT; an
 * error reply carries the condition of the status and an error status has a
 * cause; record exactly for a <services/> result, with the request's
 * version, type filter and language (blank filter: none). */
static void check_outcome(const ed_elem *iq, const ed_elem *r, const ed_xep0215_outcome *o)
{
    ed_xep0215_request req;
    ed_err perr = ed_xep0215_parse_request(iq, &req);
    assert_int_equal(o->version, req.version);
    if (!r) {
        assert_int_equal(o->status, ED_XEP0215_NO_REPLY);
        assert_int_not_equal(o->err, ED_OK);
        assert_false(o->record);
        return;
    }
    assert_int_not_equal(perr, ED_SVC_NOT_EXTDISCO);
    assert_ptr_equal(o->type, req.type);
    assert_ptr_equal(o->lang, req.lang);
    const char *type = ed_elem_attr(r, "type");
    if (strcmp(type, "result") == 0) {
        assert_int_equal(o->status, ED_XEP0215_RESULT);
        assert_int_equal(o->err, ED_OK);
        assert_null(ed_xep0215_status_condition(o->status));
        assert_int_equal(o->record, req.kind == ED_XEP0215_SERVICES);
        return;
    }
    assert_string_equal(type, "error");
    assert_false(o->record);
    assert_int_not_equal(o->err, ED_OK);
    const ed_elem *e = ed_elem_child(r, "error", NULL);
    assert_non_null(e);
    const ed_elem *c = ed_elem_first(e);
    assert_non_null(c);
    assert_string_equal(c->ns, ED_NS_STANZAS);
    const char *cond = ed_xep0215_status_condition(o->status);
    assert_non_null(cond);
    assert_string_equal(c->name, cond);
}

static char *respond_as(const char *xml, const ed_jid *who, const ed_xep0215_policy *pol,
                        ed_err *err)
{
    ed_elem *iq = parse(xml);
    memset(&last, 0xa5, sizeof last);
    ed_elem *r = ed_xep0215_respond(iq, who, NOW, set, nset, pol, &last);
    check_outcome(iq, r, &last);
    last.type = keep(last_type, sizeof last_type, last.type);
    last.lang = keep(last_lang, sizeof last_lang, last.lang);
    if (err)
        *err = last.err;
    ed_elem_free(iq);
    if (!r)
        return NULL;
    char *s = ed_xml_to_string(r, ED_NS_CLIENT);
    ed_elem_free(r);
    /* Every reply re-parses. */
    ed_elem *back = NULL;
    assert_int_equal(ed_xml_parse(s, strlen(s), NULL, &back), ED_OK);
    ed_elem_free(back);
    return s;
}

static char *respond(const char *xml, const ed_xep0215_policy *pol, ed_err *err)
{
    return respond_as(xml, juliet, pol, err);
}

/* The error reply cond (of type etype), and the outcome names it: status
 * and cause. */
static void expect_error(const char *xml, const ed_xep0215_policy *pol, const char *cond,
                         const char *etype, ed_xep0215_status status, ed_err cause)
{
    char *s = respond(xml, pol, NULL);
    if (!s)
        fail_msg("no reply to %s", xml);
    char want[512];
    snprintf(want, sizeof want,
             "<iq from='example.org' id='r1' to='juliet@example.org/balcony' type='error'>"
             "<error type='%s'><%s xmlns='urn:ietf:params:xml:ns:xmpp-stanzas'/></error></iq>",
             etype, cond);
    assert_string_equal(s, want);
    free(s);
    assert_int_equal(last.status, status);
    if (last.err != cause)
        fail_msg("%s: cause %s, want %s", cond, ed_strerror(last.err), ed_strerror(cause));
    assert_false(last.record);
}

#define TURN_CREDS(port, tr) \
    "<service type='turn' host='turn.example.org' port='" port "' transport='" tr "' " \
    "restricted='true' username='" JULIET_USER "' password='" JULIET_PASS "' " \
    "expires='" EXPIRY_STR "'/>"

static void test_respond_services(void **st)
{
    (void)st;
    ed_xep0215_policy pol = ed_xep0215_policy_default();
    ed_err err = ED_ENOMEM;
    char *s = respond(REQ_HEAD "type='get'><services xmlns='urn:xmpp:extdisco:2'/></iq>",
                      &pol, &err);
    assert_int_equal(err, ED_OK);
    assert_string_equal(s,
        "<iq from='example.org' id='r1' to='juliet@example.org/balcony' type='result'>"
        "<services xmlns='urn:xmpp:extdisco:2'>"
        "<service type='stun' host='stun.example.org' port='3478' transport='udp'/>"
        TURN_CREDS("3478", "udp") TURN_CREDS("3478", "tcp")
        "<service type='turns' host='turn.example.org' port='5349' transport='tcp' "
        "restricted='true' username='" JULIET_USER "' password='" JULIET_PASS "' "
        "expires='" EXPIRY_STR "'/>"
        "<service type='ftp' host='ftp.example.org' port='21' transport='tcp' "
        "name='File Server' restricted='true' username='guest' password='guest'/>"
        "</services></iq>");
    free(s);
    /* The minted credential is one coturn would accept. */
    assert_int_equal(ed_turn_rest_verify(rest, JULIET_USER, JULIET_PASS, NOW), ED_OK);

    /* Type filter, echoed; a <service/> child is ignored; lang de. */
    s = respond(REQ_HEAD "type='get' xml:lang='de-DE'><services xmlns='urn:xmpp:extdisco:2' "
                "type='ftp'><service host='x.example'/></services></iq>", &pol, &err);
    assert_string_equal(s,
        "<iq from='example.org' id='r1' to='juliet@example.org/balcony' type='result'>"
        "<services xmlns='urn:xmpp:extdisco:2' type='ftp'>"
        "<service type='ftp' host='ftp.example.org' port='21' transport='tcp' "
        "name='Dateiserver' restricted='true' username='guest' password='guest'/>"
        "</services></iq>");
    free(s);

    /* type='': no filter, nothing echoed (the same reply as no type). */
    char *all = respond(REQ_HEAD "type='get'><services xmlns='urn:xmpp:extdisco:2'/></iq>",
                        &pol, &err);
    s = respond(REQ_HEAD "type='get'><services xmlns='urn:xmpp:extdisco:2' type=''/></iq>",
                &pol, &err);
    assert_int_equal(err, ED_OK);
    assert_string_equal(s, all);
    free(s);
    free(all);

    /* Unknown type: empty list, type echoed, not an error (rule 9). */
    s = respond(REQ_HEAD "type='get'><services xmlns='urn:xmpp:extdisco:2' type='xmpp-ftp'/></iq>",
                &pol, &err);
    assert_int_equal(err, ED_OK);
    assert_string_equal(s,
        "<iq from='example.org' id='r1' to='juliet@example.org/balcony' type='result'>"
        "<services xmlns='urn:xmpp:extdisco:2' type='xmpp-ftp'/></iq>");
    free(s);

    /* No credentials allowed: none inline, restricted still says so. */
    pol.may_credentials = false;
    s = respond(REQ_HEAD "type='get'><services xmlns='urn:xmpp:extdisco:2' type='turn'/></iq>",
                &pol, &err);
    assert_string_equal(s,
        "<iq from='example.org' id='r1' to='juliet@example.org/balcony' type='result'>"
        "<services xmlns='urn:xmpp:extdisco:2' type='turn'>"
        "<service type='turn' host='turn.example.org' port='3478' transport='udp' restricted='true'/>"
        "<service type='turn' host='turn.example.org' port='3478' transport='tcp' restricted='true'/>"
        "</services></iq>");
    free(s);
    pol.may_credentials = true;
    pol.inline_credentials = false;
    char *s2 = respond(REQ_HEAD "type='get'><services xmlns='urn:xmpp:extdisco:2' type='turn'/></iq>",
                       &pol, &err);
    assert_non_null(strstr(s2, "restricted='true'/>"));
    assert_null(strstr(s2, "username"));
    free(s2);

    /* v1 answers in v1; default_lang 'en' asked gives the default name. */
    pol = ed_xep0215_policy_default();
    s = respond(REQ_HEAD "type='get' xml:lang='en'><services xmlns='urn:xmpp:extdisco:1' "
                "type='ftp'/></iq>", &pol, &err);
    assert_string_equal(s,
        "<iq from='example.org' id='r1' to='juliet@example.org/balcony' type='result'>"
        "<services xmlns='urn:xmpp:extdisco:1' type='ftp'>"
        "<service type='ftp' host='ftp.example.org' port='21' transport='tcp' "
        "name='File Server' restricted='true' username='guest' password='guest'/>"
        "</services></iq>");
    free(s);

    /* Request without to/from: reply without them. NULL policy = default. */
    s = respond("<iq xmlns='jabber:client' type='get' id='r9'><services xmlns='urn:xmpp:extdisco:2' type='stun'/></iq>",
                NULL, &err);
    assert_string_equal(s,
        "<iq id='r9' type='result'><services xmlns='urn:xmpp:extdisco:2' type='stun'>"
        "<service type='stun' host='stun.example.org' port='3478' transport='udp'/>"
        "</services></iq>");
    free(s);
}

static void test_respond_credentials(void **st)
{
    (void)st;
    ed_xep0215_policy pol = ed_xep0215_policy_default();
    ed_err err = ED_ENOMEM;
    /* host+type: both transports of turn on that host. */
    char *s = respond(REQ_HEAD "type='get'><credentials xmlns='urn:xmpp:extdisco:2'>"
                      "<service host='turn.example.org' type='turn'/></credentials></iq>",
                      &pol, &err);
    assert_int_equal(err, ED_OK);
    assert_string_equal(s,
        "<iq from='example.org' id='r1' to='juliet@example.org/balcony' type='result'>"
        "<credentials xmlns='urn:xmpp:extdisco:2'>"
        TURN_CREDS("3478", "udp") TURN_CREDS("3478", "tcp")
        "</credentials></iq>");
    free(s);

    /* a fully qualified host with the root's trailing dot names the same
     * service */
    s = respond(REQ_HEAD "type='get'><credentials xmlns='urn:xmpp:extdisco:2'>"
                "<service host='turn.example.org.' type='turn' port='3478' transport='tcp'/>"
                "</credentials></iq>", &pol, &err);
    assert_int_equal(err, ED_OK);
    assert_string_equal(s,
        "<iq from='example.org' id='r1' to='juliet@example.org/balcony' type='result'>"
        "<credentials xmlns='urn:xmpp:extdisco:2'>" TURN_CREDS("3478", "tcp")
        "</credentials></iq>");
    free(s);

    /* Psi: several services in one request, host case-insensitive; the stun
     * service is answered too (rule 3), without credentials; a service
     * named twice is answered once. */
    s = respond(REQ_HEAD "type='get'><credentials xmlns='urn:xmpp:extdisco:2'>"
                "<service host='TURN.example.org' type='turns' port='5349'/>"
                "<service host='stun.example.org' type='stun' port='3478'/>"
                "<service host='turn.example.org' type='turns'/></credentials></iq>",
                &pol, &err);
    assert_string_equal(s,
        "<iq from='example.org' id='r1' to='juliet@example.org/balcony' type='result'>"
        "<credentials xmlns='urn:xmpp:extdisco:2'>"
        "<service type='stun' host='stun.example.org' port='3478' transport='udp'/>"
        "<service type='turns' host='turn.example.org' port='5349' transport='tcp' "
        "restricted='true' username='" JULIET_USER "' password='" JULIET_PASS "' "
        "expires='" EXPIRY_STR "'/>"
        "</credentials></iq>");
    free(s);

    /* Port given and matching nothing. */
    expect_error(REQ_HEAD "type='get'><credentials xmlns='urn:xmpp:extdisco:2'>"
                 "<service host='turn.example.org' type='turn' port='5349'/></credentials></iq>",
                 &pol, "item-not-found", "cancel",
                 ED_XEP0215_ITEM_NOT_FOUND, ED_SVC_NO_MATCH);
    expect_error(REQ_HEAD "type='get'><credentials xmlns='urn:xmpp:extdisco:2'>"
                 "<service host='nowhere.example' type='turn'/></credentials></iq>",
                 &pol, "item-not-found", "cancel",
                 ED_XEP0215_ITEM_NOT_FOUND, ED_SVC_NO_MATCH);
}

static void test_respond_errors(void **st)
{
    (void)st;
    ed_xep0215_policy pol = ed_xep0215_policy_default();
    const char *creds_ok = REQ_HEAD "type='get'><credentials xmlns='urn:xmpp:extdisco:2'>"
                           "<service host='turn.example.org' type='turn'/></credentials></iq>";
    const char *list = REQ_HEAD "type='get'><services xmlns='urn:xmpp:extdisco:2'/></iq>";
    expect_error(REQ_HEAD "type='get'><credentials xmlns='urn:xmpp:extdisco:2'/></iq>",
                 &pol, "bad-request", "modify",
                 ED_XEP0215_BAD_REQUEST, ED_SVC_NONE_NAMED);
    expect_error(REQ_HEAD "type='get'><credentials xmlns='urn:xmpp:extdisco:2'>"
                 "<service type='turn'/></credentials></iq>", &pol, "bad-request", "modify",
                 ED_XEP0215_BAD_REQUEST, ED_SVC_MISSING_HOST);
    expect_error(REQ_HEAD "type='get'><credentials xmlns='urn:xmpp:extdisco:2'>"
                 "<service host='turn.example.org'/></credentials></iq>",
                 &pol, "bad-request", "modify",
                 ED_XEP0215_BAD_REQUEST, ED_SVC_MISSING_TYPE);
    expect_error(REQ_HEAD "type='get'><services xmlns='urn:xmpp:extdisco:2'/><x/></iq>",
                 &pol, "bad-request", "modify",
                 ED_XEP0215_BAD_REQUEST, ED_SVC_BAD_IQ);
    expect_error(REQ_HEAD "type='set'><services xmlns='urn:xmpp:extdisco:2'/></iq>",
                 &pol, "not-allowed", "cancel",
                 ED_XEP0215_NOT_ALLOWED, ED_SVC_IQ_SET);
    expect_error(REQ_HEAD "type='set'><credentials xmlns='urn:xmpp:extdisco:2'>"
                 "<service host='turn.example.org' type='turn'/></credentials></iq>",
                 &pol, "not-allowed", "cancel",
                 ED_XEP0215_NOT_ALLOWED, ED_SVC_IQ_SET);
    pol.may_list = false;
    expect_error(list, &pol, "forbidden", "auth", ED_XEP0215_FORBIDDEN, ED_SVC_FORBIDDEN);
    char *s = respond(creds_ok, &pol, NULL); /* credentials are another permission */
    assert_non_null(strstr(s, "type='result'"));
    free(s);
    pol.may_list = true;
    pol.may_credentials = false;
    expect_error(creds_ok, &pol, "forbidden", "auth", ED_XEP0215_FORBIDDEN,
                 ED_SVC_FORBIDDEN);
    pol.may_credentials = true;
    pol.serve_v1 = false;
    expect_error(REQ_HEAD "type='get'><services xmlns='urn:xmpp:extdisco:1'/></iq>",
                 &pol, "service-unavailable", "cancel",
                 ED_XEP0215_SERVICE_UNAVAILABLE, ED_SVC_V1_OFF);
    expect_error(REQ_HEAD "type='get'><credentials xmlns='urn:xmpp:extdisco:1'>"
                 "<service host='turn.example.org' type='turn'/></credentials></iq>",
                 &pol, "service-unavailable", "cancel",
                 ED_XEP0215_SERVICE_UNAVAILABLE, ED_SVC_V1_OFF);

    /* Not ours: NULL and ED_SVC_NOT_EXTDISCO. */
    ed_err err = ED_OK;
    assert_null(respond(REQ_HEAD "type='get'><query xmlns='http://jabber.org/protocol/disco#info'/></iq>",
                        &pol, &err));
    assert_int_equal(err, ED_SVC_NOT_EXTDISCO);
    err = ED_OK;
    assert_null(respond(REQ_HEAD "type='result'><services xmlns='urn:xmpp:extdisco:2'/></iq>",
                        &pol, &err));
    assert_int_equal(err, ED_SVC_NOT_EXTDISCO);
    assert_null(ed_xep0215_respond(NULL, juliet, NOW, set, nset, &pol, NULL));

    /* Minting fails for another reason (a time TURN REST cannot encode):
     * internal-server-error. */
    ed_elem *iq = parse(creds_ok);
    ed_xep0215_outcome out;
    ed_elem *r = ed_xep0215_respond(iq, juliet, -1, set, nset, &pol, &out);
    assert_non_null(r);
    check_outcome(iq, r, &out);
    assert_int_equal(out.status, ED_XEP0215_INTERNAL_ERROR);
    assert_int_equal(out.err, ED_EINVAL);
    ed_elem *e = ed_elem_child(r, "error", NULL);
    assert_non_null(e);
    assert_non_null(ed_elem_child(e, "internal-server-error", ED_NS_STANZAS));
    ed_elem_free(r);
    ed_elem_free(iq);
}

/* With several reasons to refuse, the first of service-unavailable,
 * not-allowed, bad-request, forbidden is answered, and named. */
static void test_respond_precedence(void **st)
{
    (void)st;
    ed_xep0215_policy pol = ed_xep0215_policy_default();
    pol.serve_v1 = false;
    pol.may_list = pol.may_credentials = false;
    /* v1, set, malformed (no service named), forbidden */
    const char *v1 = REQ_HEAD "type='set'><credentials xmlns='urn:xmpp:extdisco:1'/></iq>";
    expect_error(v1, &pol, "service-unavailable", "cancel", ED_XEP0215_SERVICE_UNAVAILABLE,
                 ED_SVC_V1_OFF);
    const char *set2 = REQ_HEAD "type='set'><credentials xmlns='urn:xmpp:extdisco:2'/></iq>";
    expect_error(set2, &pol, "not-allowed", "cancel", ED_XEP0215_NOT_ALLOWED, ED_SVC_IQ_SET);
    const char *bad = REQ_HEAD "type='get'><credentials xmlns='urn:xmpp:extdisco:2'/></iq>";
    expect_error(bad, &pol, "bad-request", "modify", ED_XEP0215_BAD_REQUEST, ED_SVC_NONE_NAMED);
    const char *list = REQ_HEAD "type='get'><services xmlns='urn:xmpp:extdisco:2'/><x/></iq>";
    expect_error(list, &pol, "bad-request", "modify", ED_XEP0215_BAD_REQUEST, ED_SVC_BAD_IQ);
    /* a v1 request that is served: the other reasons in the same order */
    pol.serve_v1 = true;
    expect_error(v1, &pol, "not-allowed", "cancel", ED_XEP0215_NOT_ALLOWED, ED_SVC_IQ_SET);
}

/* Who is recorded for pushes: the requester of a <services/> result, with
 * its version, filter (blank: none) and language as sent (the default
 * language included); nobody for a <credentials/> result or any error. */
static void test_respond_record(void **st)
{
    (void)st;
    ed_xep0215_policy pol = ed_xep0215_policy_default();
    char *s = respond(REQ_HEAD "type='get' xml:lang='EN'><services xmlns='urn:xmpp:extdisco:1' "
                      "type='turn'/></iq>", &pol, NULL);
    assert_true(last.record);
    assert_int_equal(last.status, ED_XEP0215_RESULT);
    assert_int_equal(last.version, 1);
    assert_string_equal(last.type, "turn");
    assert_string_equal(last.lang, "EN");
    free(s);

    s = respond(REQ_HEAD "type='get'><services xmlns='urn:xmpp:extdisco:2' type=' '/></iq>",
                &pol, NULL);
    assert_true(last.record);
    assert_int_equal(last.version, 2);
    assert_null(last.type);
    assert_null(last.lang);
    free(s);

    /* An unknown type is still a result: recorded (it may appear later). */
    s = respond(REQ_HEAD "type='get'><services xmlns='urn:xmpp:extdisco:2' type='ftp2'/></iq>",
                &pol, NULL);
    assert_true(last.record);
    assert_string_equal(last.type, "ftp2");
    free(s);

    s = respond(REQ_HEAD "type='get' xml:lang='de'><credentials xmlns='urn:xmpp:extdisco:2'>"
                "<service host='turn.example.org' type='turn'/></credentials></iq>", &pol, NULL);
    assert_int_equal(last.status, ED_XEP0215_RESULT);
    assert_false(last.record);
    assert_string_equal(last.lang, "de");
    free(s);

    pol.may_list = false;
    s = respond(REQ_HEAD "type='get'><services xmlns='urn:xmpp:extdisco:2'/></iq>", &pol, NULL);
    assert_int_equal(last.status, ED_XEP0215_FORBIDDEN);
    assert_false(last.record);
    free(s);

    /* out may be NULL */
    ed_elem *iq = parse(REQ_HEAD "type='get'><services xmlns='urn:xmpp:extdisco:2'/></iq>");
    ed_elem *r = ed_xep0215_respond(iq, juliet, NOW, set, nset, NULL, NULL);
    assert_non_null(r);
    assert_string_equal(ed_elem_attr(r, "type"), "result");
    ed_elem_free(r);
    ed_elem_free(iq);
}

static void test_status_condition(void **st)
{
    (void)st;
    static const struct {
        ed_xep0215_status status;
        const char *cond;
    } t[] = {
        {ED_XEP0215_RESULT, NULL},
        {ED_XEP0215_SERVICE_UNAVAILABLE, "service-unavailable"},
        {ED_XEP0215_NOT_ALLOWED, "not-allowed"},
        {ED_XEP0215_BAD_REQUEST, "bad-request"},
        {ED_XEP0215_FORBIDDEN, "forbidden"},
        {ED_XEP0215_ITEM_NOT_FOUND, "item-not-found"},
        {ED_XEP0215_NOT_ACCEPTABLE, "not-acceptable"},
        {ED_XEP0215_INTERNAL_ERROR, "internal-server-error"},
        {ED_XEP0215_NO_REPLY, NULL},
    };
    for (size_t i = 0; i < sizeof t / sizeof *t; i++) {
        const char *c = ed_xep0215_status_condition(t[i].status);
        if (t[i].cond)
            assert_string_equal(c, t[i].cond);
        else
            assert_null(c);
    }
    assert_null(ed_xep0215_status_condition((ed_xep0215_status)99));
    /* every cause the responder names has its own message */
    static const ed_err causes[] = {ED_SVC_BAD_IQ, ED_SVC_NONE_NAMED, ED_SVC_IQ_SET,
                                    ED_SVC_V1_OFF, ED_SVC_FORBIDDEN, ED_SVC_NO_MATCH};
    for (size_t i = 0; i < sizeof causes / sizeof *causes; i++)
        assert_string_not_equal(ed_strerror(causes[i]), "unknown error");
}

/* A bare JID so long that "EXPIRY:JID" passes the STUN USERNAME limit (513
 * bytes) with user mode jid: the list is still answered (XEP-0215 §2), its
 * TURN entries without credentials; <credentials/> for them alone is
 * not-acceptable; mixed with a service it can answer, that one alone. */
static void test_respond_unmintable(void **st)
{
    (void)st;
    ed_xep0215_policy pol = ed_xep0215_policy_default();
    char local[700];
    memset(local, 'a', sizeof local - 1);
    local[sizeof local - 1] = 0;
    ed_jid *big = NULL;
    assert_int_equal(ed_jid_make(local, "example.org", "r", &big), ED_OK);
    ed_err err = ED_ENOMEM;
    char *s = respond_as(REQ_HEAD "type='get'><services xmlns='urn:xmpp:extdisco:2'/></iq>",
                         big, &pol, &err);
    assert_int_equal(err, ED_OK);
    const char *p = strstr(s, "<services");
    assert_non_null(p);
    assert_string_equal(p, "<services xmlns='urn:xmpp:extdisco:2'>"
        "<service type='stun' host='stun.example.org' port='3478' transport='udp'/>"
        "<service type='turn' host='turn.example.org' port='3478' transport='udp' restricted='true'/>"
        "<service type='turn' host='turn.example.org' port='3478' transport='tcp' restricted='true'/>"
        "<service type='turns' host='turn.example.org' port='5349' transport='tcp' restricted='true'/>"
        "<service type='ftp' host='ftp.example.org' port='21' transport='tcp' "
        "name='File Server' restricted='true' username='guest' password='guest'/></services></iq>");
    free(s);

    s = respond_as(REQ_HEAD "type='get'><credentials xmlns='urn:xmpp:extdisco:2'>"
                   "<service host='turn.example.org' type='turn'/></credentials></iq>",
                   big, &pol, &err);
    assert_int_equal(err, ED_ELIMIT);
    assert_int_equal(last.status, ED_XEP0215_NOT_ACCEPTABLE);
    assert_non_null(strstr(s, "type='error'><error type='cancel'><not-acceptable "
                              "xmlns='urn:ietf:params:xml:ns:xmpp-stanzas'/><text "));
    assert_null(strstr(s, "aaaa@")); /* the JID is not echoed in the text */
    free(s);

    s = respond_as(REQ_HEAD "type='get'><credentials xmlns='urn:xmpp:extdisco:2'>"
                   "<service host='turn.example.org' type='turns'/>"
                   "<service host='stun.example.org' type='stun'/></credentials></iq>",
                   big, &pol, &err);
    assert_int_equal(err, ED_OK);
    p = strstr(s, "<credentials");
    assert_non_null(p);
    assert_string_equal(p, "<credentials xmlns='urn:xmpp:extdisco:2'>"
                           "<service type='stun' host='stun.example.org' port='3478' "
                           "transport='udp'/></credentials></iq>");
    free(s);

    /* Materialised for a push: the record without credentials, not an error. */
    ed_service m;
    assert_int_equal(ed_xep0215_materialize(&set[1], big, NOW, true, &m), ED_OK);
    assert_int_equal(m.restricted, 1);
    assert_null(m.username);
    assert_null(m.password);
    ed_service_clear(&m);
    ed_jid_free(big);
}

static void test_materialize(void **st)
{
    (void)st;
    ed_service s;
    assert_int_equal(ed_xep0215_materialize(&set[1], juliet, NOW, true, &s), ED_OK);
    assert_string_equal(s.username, JULIET_USER);
    assert_string_equal(s.password, JULIET_PASS);
    assert_int_equal(s.expires, 1795428000);
    assert_int_equal(s.restricted, 1);
    assert_int_equal(ed_service_validate(&s), ED_OK);
    ed_service_clear(&s);
    assert_int_equal(ed_xep0215_materialize(&set[1], juliet, NOW, false, &s), ED_OK);
    assert_null(s.username);
    assert_null(s.password);
    assert_int_equal(s.expires, 0);
    assert_int_equal(s.restricted, 1);
    ed_service_clear(&s);
    assert_int_equal(ed_xep0215_materialize(&set[4], juliet, NOW, true, &s), ED_OK);
    assert_string_equal(s.username, "guest");
    assert_int_equal(s.nnames, 1);
    assert_string_equal(s.names[0].text, "Dateiserver");
    ed_service_clear(&s);
    assert_int_equal(ed_xep0215_materialize(&set[0], juliet, NOW, true, &s), ED_OK);
    assert_int_equal(s.restricted, -1);
    assert_null(s.username);
    ed_service_clear(&s);
    /* No requester: username is the expiry alone or with no user part. */
    assert_int_equal(ed_xep0215_materialize(&set[1], NULL, NOW, true, &s), ED_OK);
    assert_int_equal(ed_turn_rest_verify(rest, s.username, s.password, NOW), ED_OK);
    ed_service_clear(&s);
    assert_int_equal(ed_xep0215_materialize(NULL, juliet, NOW, true, &s), ED_EINVAL);

    /* A diff of two materialisations at different times is empty: only the
     * credentials changed. */
    ed_service a[5], b[5];
    for (size_t i = 0; i < nset; i++) {
        assert_int_equal(ed_xep0215_materialize(&set[i], juliet, NOW, true, &a[i]), ED_OK);
        assert_int_equal(ed_xep0215_materialize(&set[i], juliet, NOW + 3600, true, &b[i]), ED_OK);
    }
    assert_string_not_equal(a[1].password, b[1].password);
    ed_service *out = NULL;
    size_t nout = 1;
    assert_int_equal(ed_service_diff(a, nset, b, nset, NULL, &out, &nout), ED_OK);
    assert_int_equal(nout, 0);
    for (size_t i = 0; i < nset; i++) {
        ed_service_clear(&a[i]);
        ed_service_clear(&b[i]);
    }
    assert_int_equal(ed_xep0215_materialize_creds(&set[0], juliet, NOW, 7, &s), ED_EINVAL);
    ed_service_clear(&s);
}

/* ED_XEP0215_CREDS_STATIC: static credentials kept, minted ones never; so a
 * diff of two such views sees a changed static password (a modify push) and
 * nothing for a re-mint. */
static void mat_all(const ed_service_def *defs, int64_t now, ed_xep0215_creds mode,
                    ed_service *out)
{
    for (size_t i = 0; i < nset; i++)
        assert_int_equal(ed_xep0215_materialize_creds(&defs[i], juliet, now, mode, &out[i]),
                         ED_OK);
}

static size_t diff_count(ed_service *a, ed_service *b, ed_service **out)
{
    size_t nout = 0;
    assert_int_equal(ed_service_diff(a, nset, b, nset, NULL, out, &nout), ED_OK);
    for (size_t i = 0; i < nset; i++) {
        ed_service_clear(&a[i]);
        ed_service_clear(&b[i]);
    }
    return nout;
}

static void test_materialize_static(void **st)
{
    (void)st;
    ed_service a[5], b[5], *out = NULL;
    mat_all(set, NOW, ED_XEP0215_CREDS_STATIC, a);
    assert_string_equal(a[4].username, "guest"); /* static: kept */
    assert_string_equal(a[4].password, "guest");
    assert_int_equal(a[4].expires, 0);
    assert_null(a[1].username);                  /* minted: never */
    assert_int_equal(a[1].expires, 0);
    assert_int_equal(a[1].restricted, 1);
    mat_all(set, NOW, ED_XEP0215_CREDS_NONE, b);
    assert_null(b[4].username);
    assert_int_equal(b[4].restricted, 1);
    assert_int_equal(diff_count(a, b, &out), 1); /* the stripped ftp differs */
    ed_services_free(out, 1);

    /* The new set: ftp's static password changed; minted an hour later. */
    ed_service_def nw[5];
    memcpy(nw, set, sizeof nw);
    nw[4].svc.password = "changed";
    mat_all(set, NOW, ED_XEP0215_CREDS_STATIC, a);
    mat_all(nw, NOW + 3600, ED_XEP0215_CREDS_STATIC, b);
    assert_int_equal(diff_count(a, b, &out), 1);
    assert_int_equal(out[0].action, ED_ACTION_MODIFY);
    assert_string_equal(out[0].type, "ftp");
    assert_string_equal(out[0].password, "changed");
    ed_services_free(out, 1);
    /* Without the static credentials the change is invisible. */
    mat_all(set, NOW, ED_XEP0215_CREDS_NONE, a);
    mat_all(nw, NOW + 3600, ED_XEP0215_CREDS_NONE, b);
    assert_int_equal(diff_count(a, b, &out), 0);
    /* Same static credentials, re-minted TURN REST ones: nothing to push. */
    mat_all(set, NOW, ED_XEP0215_CREDS_STATIC, a);
    mat_all(set, NOW + 3600, ED_XEP0215_CREDS_STATIC, b);
    assert_int_equal(diff_count(a, b, &out), 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_respond_services),
        cmocka_unit_test(test_respond_credentials),
        cmocka_unit_test(test_respond_errors),
        cmocka_unit_test(test_respond_precedence),
        cmocka_unit_test(test_respond_record),
        cmocka_unit_test(test_status_condition),
        cmocka_unit_test(test_respond_unmintable),
        cmocka_unit_test(test_materialize),
        cmocka_unit_test(test_materialize_static),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
